"""Timings of the equivariant-basis solver and of our torch EMLP, beside ``emlp`` 1.0.3.

``python -m scalars bench emlp [--quick]`` prints two markdown tables, each with a row (or
columns) of ``emlp`` 1.0.3 run in the same command on the same problems, in the peers
environment (``make peers``; ``peers/emlp_step.py``, see ``scalars.bench.peers``). Without
that environment the peer's cells read "not run".

- **solves**: for each (group, rep_in, rep_out), the dimension of the equivariant maps,
  the seconds of a cold solve (:func:`scalars.reps.solver.clear_cache` first; the imports
  are not counted), the largest equivariance error ``|rho_out(g) W - W rho_in(g)|`` of the
  basis under three random elements; then emlp's dimension and seconds for the same solve
  (float32, one process, its solution cache emptied before each solve, jax start-up and
  first compilations done before the first). With ``--quick`` emlp skips the two large
  solves (``LARGE``, its iterative path: minutes under load) and their cells read "not run".
- **training step**: our :class:`scalars.nn.EMLP` at EMLP's width (three hidden layers of
  384 channels) on O5Synthetic with 1000 samples, float32, Adam (lr 3e-3) on batches of
  500 (EMLP's regression trainer), one thread: the build time (all its basis solves), the
  number of parameters and the mean wall time of a step (forward, backward, update) after
  one warm-up step; the same for emlp's EMLP (objax, the step jitted as in its trainer;
  the warm-up step, which compiles, is printed apart) on the same data, one thread.

With ``--fit`` it also trains our EMLP on O5Synthetic (1000 samples, seed 0) through
``EquivariantMLPRegressor(backbone="emlp")`` with the EMLP paper's settings (three hidden
layers of 384 channels, learning rate 3e-3, batches of 500, ``min(900000 / n, 1000)`` = 900
epochs; ``--width`` and ``--epochs`` shrink it to fit a budget) and the estimator's
defaults otherwise (weight decay 1e-3 and L-BFGS for the second half of the budget; the
paper used Adam alone) and prints the wall time
of the fit and the test MSE on 5000 samples, beside EMLP's published 0.0170.

The load average of the machine is printed with the tables: the timings are only
comparable at a similar load.
"""

import argparse
import os
import tempfile
import time

import numpy as np
import torch

from scalars.bench.peers import NOT_RUN, peers_line, run_peer
from scalars.datasets import O5Synthetic
from scalars.groups import get_group
from scalars.nn import EMLP, EquivariantBilinear, EquivariantLinear, GatedNonlinearity
from scalars.reps import equivariant_basis, rep
from scalars.reps.solver import clear_cache

__all__ = [
    "main", "SOLVES", "LARGE", "time_solves", "time_peer_solves", "time_training_step", "time_peer_training_step", "time_fit",
]

SOLVES = [
    *[(group, a, b) for group in ("O(3)", "SO(3)", "O(1,3)", "Sp(4)") for a, b in [("T1", "T1"), ("T2", "T0"), ("T2", "T1")]],
    *[("S(4)", f"T{k}", "T0") for k in range(1, 5)],
    *[("O(5)", a, b) for a, b in [("T1", "T1"), ("T2", "T0"), ("T2", "T1")]],  # O5Synthetic's group
    ("S(8)", "T2", "T2"),  # EMLP's V**2 -> V**2: 4096 entries, 15 maps
    ("O(1,3)", "T3", "T3"),  # the largest block of EMLP's hidden layers for ParticleInteraction
]
# emlp takes its iterative path on these (about 100 s each at load 13): not in --quick
LARGE = [("S(8)", "T2", "T2"), ("O(1,3)", "T3", "T3")]
def time_solves(solves=SOLVES, n_elements=3):
    """One row per solve: dimension, cold seconds and the basis's equivariance error.

    Returns
    -------
    list of dict with keys group, rep_in, rep_out, dim, seconds, error
    """
    rows = []
    for name, spec_in, spec_out in solves:
        group = get_group(name)
        rep_in, rep_out = rep(spec_in, group), rep(spec_out, group)
        clear_cache()
        start = time.perf_counter()
        Q = equivariant_basis(rep_in, rep_out)
        seconds = time.perf_counter() - start
        W = Q.T.reshape(-1, rep_out.size, rep_in.size)
        elements = [group.sample(rng=seed) for seed in range(n_elements)]
        error = max(np.abs(rep_out.rho(g) @ W - W @ rep_in.rho(g)).max(initial=0.0) for g in elements)
        rows.append(dict(group=name, rep_in=spec_in, rep_out=spec_out, dim=Q.shape[1], seconds=seconds, error=error))
    return rows


def time_peer_solves(solves=SOLVES):
    """The same cold solves by ``emlp`` 1.0.3 in the peers environment.

    Returns
    -------
    dict or None
        (group, rep_in, rep_out) -> dict with keys dim (None if it crashed), seconds and
        error (None, or the exception's message); None without a peers environment.
    """
    result = run_peer("emlp_step.py", "solves", *(":".join(solve) for solve in solves))
    if result is None:
        return None
    return {(row["group"], row["rep_in"], row["rep_out"]): row for row in result["rows"]}


def time_training_step(n_steps=10, hidden=384, layers=3, n_samples=1000, batch_size=500, seed=0):
    """Build our EMLP for O5Synthetic and time Adam steps on it (float32, one thread).

    Returns
    -------
    dict with keys build_seconds, step_seconds (mean over ``n_steps`` after a warm-up), steps,
    parameters, split (seconds per step of each phase, from ``n_steps`` more steps with
    timing hooks: assembly, linear, bilinear, gates, backward, rest)
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = O5Synthetic(n_samples, seed=seed)
        X = torch.tensor(data.X, dtype=torch.float32)
        y = torch.tensor(data.y, dtype=torch.float32)[:, None]
        torch.manual_seed(seed)
        clear_cache()
        start = time.perf_counter()
        net = EMLP(data.layout, data.output, data.group, hidden=hidden, layers=layers).fit_statistics(X, y)
        build = time.perf_counter() - start
        optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
        generator = torch.Generator().manual_seed(seed)

        def step(phases=None):
            batch = torch.randperm(n_samples, generator=generator)[:batch_size]
            start = time.perf_counter()
            loss = ((net(X[batch]) - y[batch]) ** 2).mean()
            optimizer.zero_grad()
            backward = time.perf_counter()
            loss.backward()
            if phases is not None:
                phases["backward"] += time.perf_counter() - backward
            optimizer.step()
            return time.perf_counter() - start

        times = [step() for _ in range(n_steps + 1)]
        phases, remove = _phase_timers(net)
        total = sum(step(phases) for _ in range(n_steps))
        remove()
        split = {name: seconds / n_steps for name, seconds in phases.items()}
        split["rest (loss, Adam, glue)"] = total / n_steps - sum(split.values())
        parameters = sum(p.numel() for p in net.parameters())
        return dict(build_seconds=build, step_seconds=float(np.mean(times[1:])), steps=n_steps, parameters=parameters,
                    split=split)
    finally:
        torch.set_num_threads(threads)


def _phase_timers(net):
    """Wall time of the EMLP's phases, accumulated by hooks (the numerics are untouched).

    Returns
    -------
    phases : dict
        Seconds so far of "assembly" (``EquivariantLinear.weight`` and ``.bias``: basis
        times coefficients; the forward pass assembles only the bias, it applies ``W``
        block by block), "linear" (the rest of each ``EquivariantLinear``), "bilinear",
        "gates" and "backward" (filled by the caller).
    remove : callable
        Takes the hooks off again.
    """
    phases = dict.fromkeys(("assembly", "linear", "bilinear", "gates", "backward"), 0.0)
    starts, handles, wrapped = {}, [], []

    def timed_method(layer, name):
        method = getattr(layer, name)

        def timed():
            start = time.perf_counter()
            try:
                return method()
            finally:
                phases["assembly"] += time.perf_counter() - start
                phases["linear"] -= time.perf_counter() - start  # counted in the linear layer's time too

        setattr(layer, name, timed)
        wrapped.append((layer, name))

    for module in net.modules():
        kinds = {EquivariantLinear: "linear", EquivariantBilinear: "bilinear", GatedNonlinearity: "gates"}
        phase = kinds.get(type(module))
        if phase is None:
            continue
        if phase == "linear":
            timed_method(module, "weight"), timed_method(module, "bias")

        def before(module, inputs):
            starts[module] = time.perf_counter()

        def after(module, inputs, output, phase=phase):
            phases[phase] += time.perf_counter() - starts.pop(module)

        handles += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]

    def remove():
        for handle in handles:
            handle.remove()
        for layer, name in wrapped:
            delattr(layer, name)

    return phases, remove


def time_peer_training_step(n_steps=10, hidden=384, layers=3, n_samples=1000, batch_size=500, seed=0):
    """``emlp`` 1.0.3's EMLP on the same O5Synthetic data, in the peers environment, one thread.

    Returns
    -------
    dict or None
        Keys build_seconds, first_step_seconds (the warm-up, which compiles),
        step_seconds, steps, parameters, versions; None without a peers environment.
    """
    data = O5Synthetic(n_samples, seed=seed)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "o5synthetic.npz")
        np.savez(path, X=data.X, y=data.y)
        env = {"OMP_NUM_THREADS": "1", "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}
        return run_peer("emlp_step.py", "step", path, "--steps", n_steps, "--hidden", hidden, "--layers", layers,
                        "--batch-size", batch_size, env=env)


def time_fit(width=384, epochs=900, n_samples=1000, seed=0):
    """Train our EMLP on O5Synthetic with EMLP's settings; wall time and test MSE.

    Returns
    -------
    dict with keys seconds, mse, width, epochs
    """
    from scalars.estimators import EquivariantMLPRegressor

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train, test = O5Synthetic(n_samples, seed=[seed, n_samples]), O5Synthetic(5000, seed=[seed, 0])
        model = EquivariantMLPRegressor(
            **train.estimator_params(), backbone="emlp", hidden_layer_sizes=(width,) * 3, batch_size=500,
            learning_rate=3e-3, max_epochs=epochs, validation_fraction=0.0, random_state=seed,
        )
        start = time.perf_counter()
        model.fit(train.X, train.y)
        seconds = time.perf_counter() - start
        mse = float(np.mean((model.predict(test.X) - test.y) ** 2))
        return dict(seconds=seconds, mse=mse, width=width, epochs=epochs)
    finally:
        torch.set_num_threads(threads)


def fit_table(result):
    return "\n".join(
        [
            "| model | epochs | fit (s) | test MSE | published EMLP test MSE |",
            "|---|---|---|---|---|",
            f"| ours: scalars.nn.EMLP 3x{result['width']}, float64, batch 500, O5Synthetic n=1000 | "
            f"{result['epochs']} | {result['seconds']:.0f} | {result['mse']:.3g} | 0.0170 |",
        ]
    )


def _peer_solve_cells(peer, key):
    if peer is None or key not in peer:
        return [NOT_RUN, NOT_RUN]
    row = peer[key]
    if row["error"] is not None:
        return [f"crashes ({row['error'].split(':')[0]})", f"{row['seconds']:.3f}"]
    return [str(row["dim"]), f"{row['seconds']:.3f}"]


def solve_table(rows, peer=None):
    """Ours and, from :func:`time_peer_solves`, emlp's (or "not run") side by side."""
    lines = [
        "| group | rep_in -> rep_out | maps | seconds (ours, cold) | max equivariance error "
        "| maps (emlp 1.0.3) | seconds (emlp 1.0.3, cold) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        key = (row["group"], row["rep_in"], row["rep_out"])
        pair = f"{row['rep_in']} -> {row['rep_out']}"
        cells = [row["group"], pair, str(row["dim"]), f"{row['seconds']:.3f}", f"{row['error']:.1e}",
                 *_peer_solve_cells(peer, key)]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)


def step_table(ours, peer=None):
    """Ours and, from :func:`time_peer_training_step`, emlp's (or "not run") rows."""
    speed_up = "" if peer is None else f"{peer['step_seconds'] / ours['step_seconds']:.1f}x"
    lines = [
        "| model | parameters | build (s) | first step (s) | seconds per Adam step | speed-up |",
        "|---|---|---|---|---|---|",
        f"| ours: scalars.nn.EMLP 3x384, float32, batch 500 | {ours['parameters']:,} | "
        f"{ours['build_seconds']:.1f} | | {ours['step_seconds']:.3f} | {speed_up} |",
    ]
    if peer is None:
        lines.append(f"| emlp 1.0.3 EMLP 3x384, float32, batch 500 | {' | '.join([NOT_RUN] * 4)} | |")
    else:
        lines.append(
            f"| emlp 1.0.3 EMLP 3x384, float32, batch 500 (jax {peer['versions']['jax']}, objax "
            f"{peer['versions']['objax']}) | {peer['parameters']:,} | {peer['build_seconds']:.1f} | "
            f"{peer['first_step_seconds']:.1f} | {peer['step_seconds']:.3f} | 1x |"
        )
    return "\n".join(lines)


def split_table(ours):
    """Seconds per step of each phase of our EMLP step, and its share."""
    total = sum(ours["split"].values())
    lines = ["| phase of our EMLP step | seconds per step | share |", "|---|---|---|"]
    lines += [f"| {name} | {seconds:.4f} | {100 * seconds / total:.0f}% |" for name, seconds in ours["split"].items()]
    return "\n".join(lines)


def main(argv=None):
    """``python -m scalars bench emlp [--quick] [--steps N]``."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench emlp", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 training steps instead of 20 (emlp's: 1 instead of 5); emlp skips the two large solves")
    parser.add_argument("--steps", type=int, default=None, help="steps to time, ours and emlp's (after a warm-up)")
    parser.add_argument("--fit", action="store_true", help="also time a full fit of our EMLP on O5Synthetic (1000 samples)")
    parser.add_argument("--width", type=int, default=384, help="channels per hidden layer of the --fit model (default 384)")
    parser.add_argument("--epochs", type=int, default=900, help="epochs of the --fit model (default 900, EMLP's protocol)")
    args = parser.parse_args(argv)
    steps = args.steps if args.steps is not None else (3 if args.quick else 20)
    peer_steps = args.steps if args.steps is not None else (1 if args.quick else 5)
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; {peers_line()}\n")
    print(solve_table(time_solves(), time_peer_solves([s for s in SOLVES if not (args.quick and s in LARGE)])))
    print()
    ours = time_training_step(n_steps=steps)
    print(step_table(ours, time_peer_training_step(n_steps=peer_steps)))
    print()
    print(split_table(ours))
    if args.fit:
        print()
        print(fit_table(time_fit(width=args.width, epochs=args.epochs)))
    print(f"\nload average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
