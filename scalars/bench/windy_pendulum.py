"""The windy double spring pendulum: rollouts of HNNs that know the wind, ignore it, or learn it plainly.

Part of ``python -m scalars bench approximate --windy-pendulum``. Data: the EMLP paper's
pendulum in a wind of 0.3 N across gravity on each bob
(:class:`~scalars.dynamics.WindyDoubleSpringPendulum`), :func:`~scalars.dynamics.trajectory_data`'s
protocol (chunks of 5 points 0.2 s apart; test trajectories of 30 s). Rows, each a
:class:`~scalars.dynamics.HamiltonianNetwork` (``H = K(p) + U(q)``, fourth-order leapfrog)
trained on the rollout loss within the same time budget:

- ``MLP HNN``: raw coordinates (``raw=True``), no symmetry;
- ``equivariant HNN (no wind)``: the invariants of the pendulum without wind (its context
  is ``g`` only), exactly O(2)-symmetric about ``g``, which the data are not;
- ``RPP HNN``: :class:`~scalars.dynamics.ResidualHamiltonianNetwork`, the two above added,
  priors 1e-5 on the equivariant and 1e-1 on the plain weights; its warm start is the
  least-squares fit of least prior (from 2026-12-08; before, the least-norm fit, which
  shared the gravity potential between the paths);
- ``equivariant HNN with wind input``: the wind as a second context vector, so its
  invariants (``<w, q1>``, ...) are features: exactly O(3)-equivariant in the state, ``g``
  and ``w`` together, and able to represent the dynamics.

Scored by the geometric-mean relative state error of test rollouts
(:func:`~scalars.dynamics.evaluate`) and the relative drift of the true total energy along
them.
"""

import time

import numpy as np

from scalars.dynamics import (
    DoubleSpringPendulum, HamiltonianNetwork, ResidualHamiltonianNetwork, WindyDoubleSpringPendulum, evaluate, train, trajectory_data,
)

__all__ = ["MODELS", "WIND", "run", "table"]

WIND = (0.3, 0.0, 0.0)
MODELS = ("MLP HNN", "equivariant HNN (no wind)", "RPP HNN", "equivariant HNN with wind input")


def _model(name, system):
    if name == "MLP HNN":
        return HamiltonianNetwork(system, raw=True), dict(learning_rate=3e-3)
    if name == "equivariant HNN (no wind)":
        return HamiltonianNetwork(DoubleSpringPendulum.emlp()), dict(learning_rate=1e-3, mlp_learning_rate=1e-4)
    if name == "RPP HNN":
        rpp = ResidualHamiltonianNetwork(HamiltonianNetwork(DoubleSpringPendulum.emlp()), HamiltonianNetwork(system, raw=True))
        return rpp, dict(learning_rate=1e-3, mlp_learning_rate=1e-4)
    return HamiltonianNetwork(system), dict(learning_rate=1e-3, mlp_learning_rate=1e-4)


def run(seeds=(0, 1, 2), quick=False, models=MODELS, progress=True):
    """Train and score every row on every seed.

    ``quick``: 100 training chunks, 10 test trajectories, 10 s of training per model;
    otherwise 500, 50 and 120 s.

    Returns
    -------
    pandas.DataFrame
        Columns model, seed, rollout_error, energy_drift, train_seconds, seconds.
    """
    import pandas as pd

    system = WindyDoubleSpringPendulum.emlp(wind=WIND)
    n_train, n_test, budget = (100, 10, 10.0) if quick else (500, 50, 120.0)
    rows = []
    for seed in seeds:
        data = trajectory_data(system, n_train, n_test, seed=seed)
        for name in models:
            started = time.perf_counter()
            model, rates = _model(name, system)
            result = train(model, data, time_limit=budget, seed=seed, progress=False, **rates)
            scores = evaluate(model, data)
            energy = system.hamiltonian(scores["prediction"])
            with np.errstate(over="ignore", invalid="ignore"):
                drift = float(np.mean(np.abs(energy[:, -1] - energy[:, 0]) / np.abs(energy[:, 0])))
            rows.append(dict(model=name, seed=seed, rollout_error=float(scores["rollout_error"]), energy_drift=drift,
                             train_seconds=result["seconds"], seconds=time.perf_counter() - started))
            if progress:
                print(f"seed {seed} {name}: rollout error {rows[-1]['rollout_error']:.3g}, energy drift {drift:.2g} "
                      f"({rows[-1]['seconds']:.0f} s)", flush=True)
    return pd.DataFrame(rows)


def table(results):
    """A Markdown table: per model the geometric mean [min, max] rollout error over seeds and the median drift."""
    lines = ["| model | rollout error | energy drift | train seconds |", "|---|---|---|---|"]
    for name, group in results.groupby("model", sort=False):
        error = group["rollout_error"]
        lines.append(f"| {name} | {np.exp(np.log(error).mean()):.3g} [{error.min():.3g}, {error.max():.3g}] | "
                     f"{group['energy_drift'].median():.2g} | {group['train_seconds'].median():.0f} |")
    return "\n".join(lines)
