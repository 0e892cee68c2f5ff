"""Gravity fields: an equivariant geometric CNN against plain CNNs of the same size.

``python -m scalars bench fields [--quick] [--sizes 10,100,1000] [--seeds 3] [--steps N]``
draws :class:`~scalars.datasets.GravityField` images (16 x 16 periodic grid, 5 point
masses in, their gravitational vector field out) and trains, with :func:`scalars.nn.fit`
(Adam, cosine decay, the weights of the best epoch on a 10% validation split), on the
first ``n_train`` images of a training set, the fields divided by their root mean square:

- ``geometric CNN``: :class:`scalars.fields.GeometricCNN`, four
  :class:`~scalars.fields.GeometricConv` layers (3 x 3 invariant filters, dilations 1, 2,
  4, 1, 8 hidden scalar channels, ReLU), exactly equivariant to translations and ``B(2)``;
- ``plain CNN``: :class:`scalars.fields.PlainCNN`, the same layers with free filters, its
  width chosen for the parameter count closest to the geometric CNN's;
- ``plain CNN + D4 aug``: the same plain CNN trained on the 8 images of each training
  image under ``B(2)`` (= ``D(4)``);
- ``plain CNN + group averaging``: the same plain CNN inside
  :class:`scalars.fields.ImageAveraging`, averaged over the 8 elements of ``B(2)`` in
  training and test (exactly equivariant, 8 evaluations per image);
- ``plain CNN + frames``: the same inside ``ImageAveraging(..., frame=True)``, averaged
  over each image's second-moment frame (2 elements for generic images).

Every model takes the same number of Adam steps (batches of 16), whatever its number of
training images: ``max_epochs = steps * 16 / n_images``.

It prints the test MSE relative to the mean squared field (median [min, max] over seeds,
256 test images) and the equivariance error of each trained model under the 8 elements
of ``B(2)`` with random translations (largest relative error, :func:`scalars.testing.equivariance_error`).
Then the time of one forward and backward pass (one thread, float32, median of repeats)
of a ``GeometricConv`` on 8 vector images of 64 x 64 pixels, 16 channels in and out, 3 x 3
filters, beside ``torch.nn.functional.conv2d`` with the same input and output sizes
(32 planes in and out, periodic padding).
"""

import argparse
import time

import numpy as np
import torch

from scalars.datasets import GravityField
from scalars.fields import GeometricConv, GeometricCNN, GridGroup, ImageAveraging, ImageRep, PlainCNN, act
from scalars.groups import get_group
from scalars.nn import fit
from scalars.testing import equivariance_error

__all__ = ["main", "run", "table"]

N, N_TEST, BATCH = 16, 256, 16


def _parameters(model):
    return sum(p.numel() for p in model.parameters())


def _plain_matching(target):
    """The PlainCNN whose parameter count is closest to ``target``."""
    return min((PlainCNN(0, 1, channels=width) for width in range(1, 33)), key=lambda m: abs(_parameters(m) - target))


def _augmented(X, y):
    elements = get_group("B(2)").elements()
    return (np.concatenate([act(g, X, 0) for g in elements]), np.concatenate([act(g, y, 1) for g in elements]))


def _rotation_error(model, X):
    group = GridGroup(N, "B(2)")
    rep_in, rep_out = ImageRep(N, 0)(group), ImageRep(N, 1)(group)
    with torch.no_grad():
        return float(np.max(equivariance_error(model, group, X, layout=rep_in, output=rep_out, n_elements=8, rng=0)))


def run(sizes, seeds, steps, progress=False):
    """Rows ``(model, n_train, seed, parameters, relative test MSE, equivariance error, seconds)``."""
    rows = []
    for seed in seeds:
        train, test = GravityField(max(sizes), n=N, seed=2 * seed), GravityField(N_TEST, n=N, seed=2 * seed + 1)
        X_test = torch.tensor(test.X)
        y_scale = np.sqrt(np.mean(np.sum(train.y**2, axis=-1)))  # fields of order 0.1: fit y / y_scale
        scale = float(np.mean(np.sum(test.y**2, axis=-1)))
        for n_train in sizes:
            X, y = train.X[:n_train], train.y[:n_train] / y_scale
            geometric = GeometricCNN(0, 1).double()
            plain = [_plain_matching(_parameters(geometric)).double() for _ in range(4)]
            for name, model, (X_fit, y_fit) in [("geometric CNN", geometric, (X, y)), ("plain CNN", plain[0], (X, y)),
                                                ("plain CNN + D4 aug", plain[1], _augmented(X, y)),
                                                ("plain CNN + group averaging", ImageAveraging(plain[2], 0, 1), (X, y)),
                                                ("plain CNN + frames", ImageAveraging(plain[3], 0, 1, frame=True), (X, y))]:
                started = time.perf_counter()
                epochs = int(np.ceil(steps * BATCH / len(X_fit)))
                fit(model, torch.tensor(X_fit), torch.tensor(y_fit), max_epochs=epochs, batch_size=BATCH,
                    learning_rate=3e-3, patience=epochs, seed=seed, progress=progress)
                seconds = time.perf_counter() - started
                with torch.no_grad():
                    error = model(X_test) * y_scale - torch.tensor(test.y)
                    mse = float(torch.mean(torch.sum(error**2, dim=-1))) / scale
                rows.append((name, n_train, seed, _parameters(model), mse, _rotation_error(model, X_test[:16]), seconds))
    return rows


def _seconds(step, repeats):
    step()  # warm up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def layer_timing(repeats=10):
    """Seconds of a forward and backward pass: ``(GeometricConv, conv2d)`` on 8 x 16 vector images of 64 x 64."""
    torch.manual_seed(0)
    conv = GeometricConv(1, 1, 16, 16, size=3)
    x = torch.randn(8, 16, 64, 64, 2)
    weight = torch.randn(32, 32, 3, 3, requires_grad=True)
    planes = torch.randn(8, 32, 64, 64)

    def geometric():
        conv(x).square().mean().backward()

    def plain():
        torch.nn.functional.conv2d(torch.nn.functional.pad(planes, (1, 1, 1, 1), mode="circular"), weight).square().mean().backward()

    return _seconds(geometric, repeats), _seconds(plain, repeats)


def table(rows):
    """Markdown: median [min, max] over seeds of the relative test MSE, per model and training size."""
    models = list(dict.fromkeys(row[0] for row in rows))
    sizes = sorted({row[1] for row in rows})
    lines = ["| model | parameters | " + " | ".join(f"{n} images" for n in sizes) + " | equivariance error |",
             "|---|---|" + "---|" * len(sizes) + "---|"]
    for name in models:
        mine = [row for row in rows if row[0] == name]
        cells = []
        for n in sizes:
            mse = np.array([row[4] for row in mine if row[1] == n])
            cells.append(f"{np.median(mse):.3g} [{mse.min():.3g}, {mse.max():.3g}]")
        error = max(row[5] for row in mine)
        lines.append(f"| {name} | {mine[0][3]} | " + " | ".join(cells) + f" | {error:.1e} |")
    return "\n".join(lines)


def main(argv=None):
    """``python -m scalars bench fields [--quick] [--sizes 10,100,1000] [--seeds 3] [--steps N]``."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench fields", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 and 100 training images, 400 steps")
    parser.add_argument("--sizes", default=None, help="comma-separated training sizes (default 10,100,1000)")
    parser.add_argument("--seeds", type=int, default=3, help="data and initialisation seeds (default 3)")
    parser.add_argument("--steps", type=int, default=None, help="Adam steps per model (default 2000; quick 400)")
    parser.add_argument("--progress", action="store_true", help="show the progress bars")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("10,100" if args.quick else "10,100,1000")).split(",")]
    steps = args.steps if args.steps is not None else 400 if args.quick else 2000
    torch.set_num_threads(1)
    started = time.perf_counter()
    rows = run(sizes, range(args.seeds), steps, args.progress)
    print(table(rows))
    print(f"\nrelative test MSE (MSE / mean |field|^2, {N_TEST} test images), {steps} steps, {args.seeds} seeds")
    geometric, plain = layer_timing(3 if args.quick else 10)
    print(f"forward + backward, 8 x 16 vector images of 64 x 64, 3 x 3, one thread: GeometricConv {1e3 * geometric:.1f} ms, "
          f"conv2d {1e3 * plain:.1f} ms (ratio {geometric / plain:.2f}); wall time {time.perf_counter() - started:.0f} s")
    return 0
