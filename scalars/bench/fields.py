"""Gravity fields: an equivariant geometric CNN against plain CNNs of the same size.

``python -m scalars bench fields [--quick] [--sizes 10,100,1000] [--seeds 3] [--steps N] [--no-averaging] [--no-peers]``
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

The two averaged rows cost most of the time (the CNN runs 8 or about 2 times per image):
``--no-averaging`` leaves them out. The full protocol (no options) is 10, 100 and 1000
training images, 2000 steps, 3 seeds, all five rows; ``--quick`` is 10 and 100 images, 200
steps, 2 seeds, without the averaged rows (about 2 minutes of CPU; 474 s before).

With the peers environment (``make peers``; ``scalars.bench.peers``), one more row:

- ``e2cnn D4 steerable CNN (peer)``: e2cnn 0.2.3's ``R2Conv`` layers of ``FlipRot2dOnR2(N=4)``
  (one regular field of 8 channels per hidden layer: the width with the parameter count
  closest to the geometric CNN's; the same dilations, 3 x 3 filters, ReLU), trained by
  ``peers/e2cnn_fields.py`` on the same images with the same protocol (its own copy of the
  training loop: it never imports scalars); its equivariance error is the largest of
  ``max |f(g x) - g f(x)| / max |f(x)|`` over the 8 elements with random translations on 16
  test images. Without the environment the row reads "not run".

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
import os
import tempfile
import time

import numpy as np
import torch

from scalars.bench.peers import NOT_RUN, peers_line, run_peer
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


def run(sizes, seeds, steps, progress=False, averaging=True, peers=False):
    """Rows ``(model, n_train, seed, parameters, relative test MSE, equivariance error, seconds)``;
    ``averaging=False`` leaves out the two rows of the averaged plain CNN, ``peers=True`` adds
    the e2cnn row (NaN errors when the peers environment is missing)."""
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
            models = [("geometric CNN", geometric, (X, y)), ("plain CNN", plain[0], (X, y)),
                      ("plain CNN + D4 aug", plain[1], _augmented(X, y))]
            if averaging:
                models += [("plain CNN + group averaging", ImageAveraging(plain[2], 0, 1), (X, y)),
                           ("plain CNN + frames", ImageAveraging(plain[3], 0, 1, frame=True), (X, y))]
            for name, model, (X_fit, y_fit) in models:
                started = time.perf_counter()
                epochs = int(np.ceil(steps * BATCH / len(X_fit)))
                fit(model, torch.tensor(X_fit), torch.tensor(y_fit), max_epochs=epochs, batch_size=BATCH,
                    learning_rate=3e-3, patience=epochs, seed=seed, progress=progress)
                seconds = time.perf_counter() - started
                with torch.no_grad():
                    error = model(X_test) * y_scale - torch.tensor(test.y)
                    mse = float(torch.mean(torch.sum(error**2, dim=-1))) / scale
                rows.append((name, n_train, seed, _parameters(model), mse, _rotation_error(model, X_test[:16]), seconds))
            if peers:
                rows.append(_e2cnn_row(X, y, test, y_scale, scale, n_train, seed, steps))
    return rows


PEER = "e2cnn D4 steerable CNN (peer)"


def _probes(X):
    """The 8 elements of ``B(2)``, each with a random translation, and the images they move ``X`` to."""
    rng = np.random.default_rng(0)
    moves = [(g, rng.integers(N, size=2)) for g in get_group("B(2)").elements()]
    return moves, np.concatenate([act(g, X, 0, shift=shift) for g, shift in moves])


def _e2cnn_row(X, y, test, y_scale, scale, n_train, seed, steps):
    """The row of ``peers/e2cnn_fields.py`` trained on ``(X, y)``, or a row of NaN when it did not run."""
    moves, probes = _probes(test.X[:16])
    with tempfile.TemporaryDirectory() as folder:
        data, out = os.path.join(folder, "data.npz"), os.path.join(folder, "out.npz")
        np.savez(data, X_train=X, y_train=y, X_eval=np.concatenate([test.X, probes]))
        report = run_peer("e2cnn_fields.py", data, out, "--steps", steps, "--seed", seed, "--fields", 1)
        if report is None:
            return (PEER, n_train, seed, 0, np.nan, np.nan, 0.0)
        predictions = np.load(out)["y_eval"] * y_scale
    fitted, moved = predictions[: len(test.X)], predictions[len(test.X) :].reshape((len(moves), 16) + predictions.shape[1:])
    mse = float(np.mean(np.sum((fitted - test.y) ** 2, axis=-1))) / scale
    expected = [act(g, fitted[:16], 1, shift=shift) for g, shift in moves]
    error = max(np.abs(m - e).max() for m, e in zip(moved, expected)) / np.abs(fitted[:16]).max()
    return (PEER, n_train, seed, report["parameters"], mse, float(error), report["seconds"])


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
        if np.isnan(mine[0][4]):
            lines.append(f"| {name} | {NOT_RUN} | " + " | ".join(NOT_RUN for _ in sizes) + f" | {NOT_RUN} |")
            continue
        cells = []
        for n in sizes:
            mse = np.array([row[4] for row in mine if row[1] == n])
            cells.append(f"{np.median(mse):.3g} [{mse.min():.3g}, {mse.max():.3g}]")
        error = max(row[5] for row in mine)
        lines.append(f"| {name} | {mine[0][3]} | " + " | ".join(cells) + f" | {error:.1e} |")
    return "\n".join(lines)


def main(argv=None):
    """``python -m scalars bench fields [--quick] [--sizes 10,100,1000] [--seeds 3] [--steps N] [--no-averaging] [--no-peers]``."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench fields", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="10 and 100 training images, 200 steps, 2 seeds, no averaged rows")
    parser.add_argument("--sizes", default=None, help="comma-separated training sizes (default 10,100,1000)")
    parser.add_argument("--seeds", type=int, default=None, help="data and initialisation seeds (default 3; quick 2)")
    parser.add_argument("--steps", type=int, default=None, help="Adam steps per model (default 2000; quick 200)")
    parser.add_argument("--no-averaging", action="store_true", help="leave out the two averaged rows (quick does)")
    parser.add_argument("--no-peers", action="store_true", help="leave out the e2cnn row")
    parser.add_argument("--progress", action="store_true", help="show the progress bars")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("10,100" if args.quick else "10,100,1000")).split(",")]
    steps = args.steps if args.steps is not None else 200 if args.quick else 2000
    seeds = args.seeds if args.seeds is not None else 2 if args.quick else 3
    torch.set_num_threads(1)
    started = time.perf_counter()
    rows = run(sizes, range(seeds), steps, args.progress, averaging=not (args.quick or args.no_averaging),
               peers=not args.no_peers)
    print(peers_line())
    print(table(rows))
    print(f"\nrelative test MSE (MSE / mean |field|^2, {N_TEST} test images), {steps} steps, {seeds} seeds")
    geometric, plain = layer_timing(3 if args.quick else 10)
    print(f"forward + backward, 8 x 16 vector images of 64 x 64, 3 x 3, one thread: GeometricConv {1e3 * geometric:.1f} ms, "
          f"conv2d {1e3 * plain:.1f} ms (ratio {geometric / plain:.2f}); wall time {time.perf_counter() - started:.0f} s, "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0
