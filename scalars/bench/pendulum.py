"""The springy double pendulum benchmark: rollout error of learned dynamics, beside the papers.

``python -m scalars bench pendulum [--quick] [--seeds N] [--time-limit S] [--units]``
trains, for each seed, on 500 training chunks of the EMLP protocol (ANCHORS.md):

- ``scalar HNN``: :class:`~scalars.dynamics.ScalarHNN`, H = K(p) + U(q) from O(3)
  invariants, fourth-order leapfrog;
- ``scalar neural ODE``: :class:`~scalars.dynamics.ScalarNeuralODE`, RK4;
- ``MLP HNN`` and ``MLP neural ODE``: the same training on raw coordinates, RK4.

Every model gets the same wall-clock budget (``--time-limit``, default 300 s) and is
scored on test trajectories of 30 time units from fresh initial states: the geometric-mean
relative state error, the mean relative energy drift and the angular-momentum error about
the gravity axis. The data, the initial weights and the batch order change with the seed.

``--units`` runs the units variant of Villar et al. (JMLR 2023) instead: a random system
per trajectory (500 training chunks), scalar HNNs whose linear coefficients are monomials
of the system parameters (``modulated=True``), with and without dimensionless inputs,
scored in the three test settings. Two differences from that paper's protocol: 500
training chunks instead of 30,000 samples, and rollouts scored over 150 steps (30 time
units, as above) instead of 60; both make our task harder, not easier.

The table is printed as markdown; one CSV row per model and seed goes to ``out/``.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from scalars.dynamics import MLPHNN, MLPNeuralODE, ScalarHNN, ScalarNeuralODE, evaluate, pendulum_data, train

__all__ = ["main", "MODELS", "PUBLISHED", "PUBLISHED_UNITS", "fit_and_score", "table"]

# name -> (constructor, learning rates for :func:`~scalars.dynamics.train`)
MODELS = {
    "scalar HNN": (ScalarHNN, dict(learning_rate=1e-3, mlp_learning_rate=1e-4)),
    "scalar neural ODE": (ScalarNeuralODE, dict(learning_rate=1e-3, mlp_learning_rate=1e-4)),
    "MLP HNN": (MLPHNN, dict(learning_rate=3e-3)),
    "MLP neural ODE": (MLPNeuralODE, dict(learning_rate=3e-3)),
}

# ANCHORS.md: geometric-mean rollout error over 30 time units, mean +- std over 3 trials.
PUBLISHED = {
    "HNN": {"MLP": (0.0281, 0.0011), "EMLP O(2)": (0.0121, 0.0018), "Scalars O(3)": (0.005, 0.002)},
    "neural ODE": {"MLP": (0.0482, 0.0002), "EMLP O(2)": (0.0192, 0.0013), "Scalars O(3)": (0.009, 0.001)},
}
# Villar et al. (JMLR 2023): plain scalars vs dimensionless scalars, per test setting.
PUBLISHED_UNITS = {
    "in-distribution": (0.0055, 0.0061),
    "rescaled-masses": (0.3669, 0.0089),
    "wide-parameters": (0.1885, 0.0435),
}


def fit_and_score(name, model, data, time_limit, rates, seed, progress, tests=None):
    """Train ``model`` on ``data`` within ``time_limit`` seconds and score it on each test set.

    Returns one dict of scores per test set (``tests``: name -> PendulumData; default
    ``data`` itself), with the predicted test trajectories under ``"prediction"``.
    """
    result = train(model, data, time_limit=time_limit, seed=seed, progress=progress, **rates)
    rows = []
    for setting, test in (tests or {"in-distribution": data}).items():
        scores = evaluate(model, test)
        rows.append(
            dict(
                model=name, seed=seed, test=setting, rollout_error=scores["rollout_error"],
                energy_drift=scores["energy_drift"], angular_momentum_error=scores["angular_momentum_error"],
                train_seconds=result["seconds"], steps=result["steps"], prediction=scores["prediction"],
            )
        )
    return rows


def _summary(values):
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.2g}"
    return f"{values.mean():.2g} ± {values.std(ddof=1):.1g}"


def _published_cell(name):
    kind = "HNN" if name.endswith("HNN") else "neural ODE"
    row = "Scalars O(3)" if name.startswith("scalar") else "MLP"
    mean, std = PUBLISHED[kind][row]
    return f"{mean:g} ± {std:g} ({row})"


def table(rows):
    """Markdown: one row per model, the mean and spread over seeds beside the published figures."""
    lines = [
        "| model | rollout error | energy drift | L_g error | train time (s) | published |",
        "|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(row["model"] for row in rows):
        mine = [row for row in rows if row["model"] == name]
        cells = [_summary([row[key] for row in mine]) for key in ("rollout_error", "energy_drift", "angular_momentum_error")]
        seconds = np.mean([row["train_seconds"] for row in mine])
        lines.append(f"| {name} | {' | '.join(cells)} | {seconds:.0f} | {_published_cell(name)} |")
    return "\n".join(lines)


def _units_table(rows):
    lines = [
        "| test setting | scalars | dimensionless scalars | published: scalars | published: dimensionless |",
        "|---|---|---|---|---|",
    ]
    for setting, (plain, dimensionless) in PUBLISHED_UNITS.items():
        cells = [_summary([r["rollout_error"] for r in rows if r["test"] == setting and r["model"] == name])
                 for name in ("scalar HNN", "dimensionless scalar HNN")]
        lines.append(f"| {setting} | {cells[0]} | {cells[1]} | {plain:g} | {dimensionless:g} |")
    return "\n".join(lines)


def _write_csv(rows, path):
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[key for key in rows[0] if key != "prediction"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _parser():
    parser = argparse.ArgumentParser(prog="python -m scalars bench pendulum", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 20 s per model, 20 test trajectories")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 3, quick 1)")
    parser.add_argument("--time-limit", type=float, default=None, help="training seconds per model (default 300, quick 20)")
    parser.add_argument("--n-test", type=int, default=None, help="test trajectories (default 200, quick 20)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of: " + ", ".join(MODELS))
    parser.add_argument("--units", action="store_true", help="the units variant instead (scalar HNNs, 3 test settings)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="directory for the CSV")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def _default(value, default):
    return default if value is None else value


def main(argv=None):
    args = _parser().parse_args(argv)
    seeds = _default(args.seeds, 1 if args.quick else 3)
    time_limit = _default(args.time_limit, 20.0 if args.quick else 300.0)
    n_test = _default(args.n_test, 20 if args.quick else 200)
    names = [name.strip() for name in args.models.split(",")]
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        raise SystemExit(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    rows = []
    for seed in range(seeds):
        if args.units:
            rows += _run_units(seed, n_test, time_limit, not args.no_progress)
            continue
        data = pendulum_data(500, n_test, seed=seed)
        for name in names:
            cls, rates = MODELS[name]
            print(f"seed {seed}: {name}", flush=True)
            rows += fit_and_score(name, cls(), data, time_limit, rates, seed, not args.no_progress)
    print()
    print(_units_table(rows) if args.units else table(rows))
    command = "python -m scalars bench pendulum " + " ".join(argv if argv is not None else [])
    print(f"\n{seeds} seed(s), {time_limit:.0f} s of training per model, {n_test} test trajectories; "
          f"wall time {time.perf_counter() - start:.0f} s. Command: `{command.strip()}`")
    path = args.out / ("pendulum_units.csv" if args.units else "pendulum.csv")
    _write_csv(rows, path)
    print(f"per-seed results: {path}")
    return 0


def _run_units(seed, n_test, time_limit, progress):
    data = pendulum_data(500, n_test, variant="units", seed=seed)
    tests = {setting: pendulum_data(500, n_test, variant="units", test=setting, seed=seed) for setting in PUBLISHED_UNITS}
    rows = []
    for name, dimensionless in (("scalar HNN", False), ("dimensionless scalar HNN", True)):
        print(f"seed {seed}: {name} (units variant)", flush=True)
        model = ScalarHNN(dimensionless=dimensionless, modulated=True)
        rows += fit_and_score(name, model, data, time_limit, MODELS["scalar HNN"][1], seed, progress, tests)
    return rows
