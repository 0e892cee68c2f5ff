"""2-D Navier-Stokes: learned vorticity steps of an equivariant network against its plain twin, rolled out.

``python -m scalars bench navier_stokes [--quick] [--seeds 3] [--steps N] [--models resnet,unet]``
draws flows of :func:`scalars.fields.navier_stokes.vorticity_trajectories` (16 x 16 periodic
grid, viscosity 5e-3, random initial vorticity of unit root mean square with its largest
eddies at wavenumber 2.5, one time unit of warm-up, a frame every 0.5 time units: each frame
changes by about a quarter of its size) and trains, with :func:`scalars.nn.fit` (Adam,
cosine decay, the weights of the best epoch on a 10% validation split, batches of 8, the
same number of Adam steps for every model), each model to map a frame ``w_t`` to the
scaled step ``(w_(t+1) - w_t) / s`` (``s`` the root mean square of the steps in training),
on the 320 pairs of 16 training flows of 20 frames:

- ``geometric ResNet``: :class:`scalars.fields.GeometricResNet` from a pseudo-scalar (the
  vorticity: parity 1) to a pseudo-scalar, 3 channels of each hidden type (scalars,
  pseudo-scalars, vectors, pseudo-vectors), 2 residual blocks of 3 x 3 filters, exactly
  equivariant to translations and ``B(2)``;
- ``plain ResNet``: the same network with free filters (``equivariant=False``), 1 channel of
  each type: the width with the parameter count closest to the geometric one;
- ``geometric U-net`` and ``plain U-net`` (``--models`` with ``unet``; the full protocol):
  :class:`scalars.fields.GeometricUNet` (2 levels, 3 channels of each type) and its plain
  twin with 1.

The test rolls each model out for 20 steps (``w <- P(w + s * model(w))``, ``P`` the solver's
projection on the modes it resolves, :meth:`~scalars.fields.navier_stokes.PeriodicVorticity.dealias`:
the frames have no energy in the others, so a one-step loss leaves the model's gain on them
free, and an unprojected rollout can grow there; ``--no-projection`` rolls out without it)
from the first frame of 8 test flows and prints the relative error ``|w_pred - w_true| / |w_true|`` (root mean
square over the grid, mean over the flows) at step 1 and at step 20, as median [min, max]
over seeds, beside the error of persistence (predicting ``w_t`` for ever), and the
equivariance error of each trained model's step under the 8 elements of ``B(2)`` with
random translations by multiples of 4.
"""

import argparse
import os
import time

import numpy as np
import torch

from scalars.fields import GeometricResNet, GeometricUNet, act
from scalars.fields.navier_stokes import PeriodicVorticity, vorticity_trajectories
from scalars.groups import get_group
from scalars.nn import fit

__all__ = ["main", "run", "table", "MODELS"]

N, VISCOSITY, PEAK, WARMUP, FRAME_TIME = 16, 5e-3, 2.5, 1.0, 0.5
TRAIN_FLOWS, TEST_FLOWS, FRAMES, ROLLOUT, BATCH = 16, 8, 20, 20, 8

MODELS = {
    "resnet": [("geometric ResNet", lambda: GeometricResNet(in_parity=1, out_parity=1, channels=3, blocks=2)),
               ("plain ResNet", lambda: GeometricResNet(in_parity=1, out_parity=1, channels=1, blocks=2, equivariant=False))],
    "unet": [("geometric U-net", lambda: GeometricUNet(in_parity=1, out_parity=1, channels=3, levels=2)),
             ("plain U-net", lambda: GeometricUNet(in_parity=1, out_parity=1, channels=1, levels=2, equivariant=False))],
}


def flows(n_flows, seed):
    """Vorticity frames ``(n_flows, FRAMES + 1, N, N)`` of the benchmark's protocol."""
    return vorticity_trajectories(n_flows, FRAMES, N, FRAME_TIME, VISCOSITY, warmup=WARMUP, peak=PEAK, seed=seed)


def _rollout(model, w, scale, steps, project=True):
    """Frames ``(steps + 1, n_flows, N, N)`` of ``w <- P(w + scale * model(w))`` from ``w`` (n_flows, N, N),
    ``P`` the solver's projection on its resolved modes (the identity if not ``project``)."""
    flow = PeriodicVorticity(N, VISCOSITY)
    out = [np.asarray(w)]
    with torch.no_grad():
        for _ in range(steps):
            w = out[-1] + scale * model(torch.as_tensor(out[-1][:, None]))[:, 0].numpy()
            out.append(flow.dealias(w) if project else w)
    return np.stack(out)


def _relative_error(pred, true):
    """Mean over flows of the relative root-mean-square error, per frame: (frames,)."""
    return np.mean(np.sqrt(np.mean((pred - true) ** 2, axis=(-2, -1)) / np.mean(true**2, axis=(-2, -1))), axis=-1)


def _equivariance_error(model, w):
    x = torch.as_tensor(w[:, None])
    rng = np.random.default_rng(0)
    with torch.no_grad():
        y = model(x)
        errors = []
        for g in get_group("B(2)").elements():
            shift = 4 * rng.integers(N // 4, size=2)
            moved = model(act(g, x, 0, 1, shift=shift))
            errors.append(float((moved - act(g, y, 0, 1, shift=shift)).abs().max() / y.abs().max()))
    return max(errors)


def run(seeds, steps, models=("resnet",), progress=False, project=True):
    """Rows ``(model, seed, parameters, error at step 1, error at step 20, equivariance error, seconds)``;
    persistence is the model ``"persistence"``. ``project``: roll out with the solver's projection."""
    rows = []
    for seed in seeds:
        train, test = flows(TRAIN_FLOWS, 2 * seed), flows(TEST_FLOWS, 2 * seed + 1)
        X, dX = train[:, :-1].reshape(-1, 1, N, N), (train[:, 1:] - train[:, :-1]).reshape(-1, 1, N, N)
        scale = float(np.sqrt(np.mean(dX**2)))
        true = np.swapaxes(test[:, : ROLLOUT + 1], 0, 1)  # (frames, flows, N, N)
        persistence = _relative_error(np.broadcast_to(true[:1], true.shape), true)
        rows.append(("persistence", seed, 0, persistence[1], persistence[ROLLOUT], 0.0, 0.0))
        for key in models:
            for name, build in MODELS[key]:
                torch.manual_seed(seed)
                model = build().double()
                started = time.perf_counter()
                epochs = int(np.ceil(steps * BATCH / len(X)))
                fit(model, torch.tensor(X), torch.tensor(dX / scale), max_epochs=epochs, batch_size=BATCH,
                    learning_rate=3e-3, patience=epochs, seed=seed, progress=progress)
                model.eval()
                errors = _relative_error(_rollout(model, test[:, 0], scale, ROLLOUT, project), true)
                rows.append((name, seed, sum(p.numel() for p in model.parameters()), errors[1], errors[ROLLOUT],
                             _equivariance_error(model, test[:2, 0]), time.perf_counter() - started))
    return rows


def _cell(values):
    values = np.asarray(values)
    return f"{np.median(values):.3g} [{values.min():.3g}, {values.max():.3g}]"


def table(rows):
    """Markdown: median [min, max] over seeds per model."""
    lines = ["| model | parameters | error at step 1 | error at step 20 | equivariance error | seconds per model |",
             "|---|---|---|---|---|---|"]
    for name in dict.fromkeys(row[0] for row in rows):
        mine = [row for row in rows if row[0] == name]
        seconds = f"{np.median([row[6] for row in mine]):.0f}" if name != "persistence" else "-"
        equivariance = f"{max(row[5] for row in mine):.1e}" if name != "persistence" else "-"
        lines.append(f"| {name} | {mine[0][2]} | {_cell([r[3] for r in mine])} | {_cell([r[4] for r in mine])} | "
                     f"{equivariance} | {seconds} |")
    return "\n".join(lines)


def main(argv=None):
    """``python -m scalars bench navier_stokes [--quick] [--seeds 3] [--steps N] [--models resnet,unet]``."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench navier_stokes", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 150 steps, the ResNets only")
    parser.add_argument("--seeds", type=int, default=None, help="data and initialisation seeds (default 3; quick 2)")
    parser.add_argument("--steps", type=int, default=None, help="Adam steps per model (default 1500; quick 150)")
    parser.add_argument("--models", default=None, help="comma-separated of resnet, unet (default both; quick resnet)")
    parser.add_argument("--no-projection", action="store_true",
                        help="roll out without projecting each step on the solver's resolved modes")
    parser.add_argument("--progress", action="store_true", help="show the progress bars")
    args = parser.parse_args(argv)
    seeds = args.seeds if args.seeds is not None else 2 if args.quick else 3
    steps = args.steps if args.steps is not None else 150 if args.quick else 1500
    models = (args.models or ("resnet" if args.quick else "resnet,unet")).split(",")
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        parser.error(f"--models: unknown {unknown}; choose from {sorted(MODELS)}")
    torch.set_num_threads(1)
    started = time.perf_counter()
    rows = run(range(seeds), steps, models, args.progress, not args.no_projection)
    print(table(rows))
    print(f"\nrelative rollout error |w_pred - w_true| / |w_true| (mean over {TEST_FLOWS} test flows), {steps} Adam steps "
          f"(batches of {BATCH}), {seeds} seeds, {TRAIN_FLOWS} x {FRAMES} training pairs on {N} x {N}, rollout "
          f"{'without' if args.no_projection else 'with'} projection; "
          f"wall time {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    return 0
