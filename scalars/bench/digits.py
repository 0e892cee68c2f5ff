"""Rotated digits: invariant CNNs against a plain CNN, trained upright, tested in 8 orientations.

``python -m scalars bench digits [--quick] [--seeds 3] [--epochs N]`` takes scikit-learn's
``load_digits`` (1797 images of 8 x 8 pixels, no download), pads them to 10 x 10 with zeros,
splits them 70 / 30 (stratified, per seed), trains on the upright training images and tests
on the test images under each of the 8 elements of ``D(4)`` (turned about the middle of the
image, :func:`scalars.fields.act`). Every model ends in a maximum over the pixels of 10 output
channels (the class logits) and trains with :func:`scalars.nn.fit` (cross-entropy, Adam,
float32, the same number of steps for every model):

- ``p4m group CNN``: :class:`scalars.fields.GroupCNN` (lifting and group convolutions for
  ``D(4)``, the maximum over the group), exactly invariant;
- ``steerable CNN``: :class:`scalars.fields.SteerableCNN` (hidden fields of frequencies 0, 1,
  2 of ``O(2)``, filters of band limit 2), exactly invariant;
- ``geometric CNN``: :class:`scalars.fields.GeometricCNN` on scalar images (invariant 3 x 3
  filters), exactly invariant;
- ``plain CNN``: :class:`scalars.fields.PlainCNN`;
- ``plain CNN + D4 aug``: the same trained on the 8 orientations of each training image.

All have four 3 x 3 convolutions with dilations 1, 2, 4, 1 and periodic padding, hidden
widths :data:`CHANNELS` (4 channels of 8 images for the group CNN, 6 channels of 5 field
components for the steerable one, 16 for the others), Adam at 3e-3 in batches of 32. It prints
the accuracy (median [min, max] over seeds) upright, averaged over the 8 orientations, and
in the worst one, and the number of test images whose predicted class is not the same in
all 8 orientations (evaluated in float64; the largest over seeds).
"""

import argparse
import os
import time

import numpy as np
import torch

from scalars.fields import GeometricCNN, GroupCNN, PlainCNN, SteerableCNN, act
from scalars.groups import get_group
from scalars.nn import fit

__all__ = ["main", "run", "table", "orientations", "MODELS"]

PAD, BATCH, LEARNING_RATE = 1, 32, 3e-3
CHANNELS = {"group": 4, "steerable": 6, "geometric": 16, "plain": 16}
"""Hidden channels of each model."""


def _parameters(model):
    return sum(p.numel() for p in model.parameters())


def orientations(images):
    """The 8 orientations of images (..., n, n): each element of ``D(4)`` about the image's middle.

    ``act`` turns about the centre pixel ``n // 2``; the shift ``(g (1, 1) - (1, 1)) / 2``
    moves the turning point to the middle of the image for even ``n`` (``np.rot90`` and flips).
    """
    out = []
    for g in get_group("D(4)").elements():
        g = np.round(g).astype(int)
        out.append(act(g, images, 0, shift=(g @ np.ones(2, dtype=int) - 1) // 2))
    return out


def _data(seed):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = np.pad(digits.images / 16.0, ((0, 0), (PAD, PAD), (PAD, PAD)))[:, None]
    return train_test_split(images, digits.target, test_size=0.3, stratify=digits.target, random_state=seed)


def _classifier(body):
    return torch.nn.Sequential(body, torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten())


MODELS = {
    "group": ("p4m group CNN", lambda c: GroupCNN(1, 10, channels=c["group"], point_group="D(4)", reduction="max"), False),
    "steerable": ("steerable CNN", lambda c: SteerableCNN(1, 10, channels=c["steerable"]), False),
    "geometric": ("geometric CNN", lambda c: GeometricCNN(0, 0, out_channels=10, channels=c["geometric"]), False),
    "plain": ("plain CNN", lambda c: PlainCNN(0, 0, out_channels=10, channels=c["plain"]), False),
    "augmented": ("plain CNN + D4 aug", lambda c: PlainCNN(0, 0, out_channels=10, channels=c["plain"]), True),
}
"""Key -> (row name, body from the channels, trained on the 8 orientations of each image)."""


def _models(channels, keys):
    return [(MODELS[key][0], _classifier(MODELS[key][1](channels)), MODELS[key][2]) for key in keys]


def _predict(model, X):
    with torch.no_grad():
        return np.concatenate([model(torch.tensor(X[i : i + 256])).argmax(1).numpy() for i in range(0, len(X), 256)])


def run(seeds, epochs, channels, progress=False, models=tuple(MODELS)):
    """Rows ``(model, seed, parameters, accuracy per orientation (8,), differing predictions, seconds)``.

    ``models`` are keys of :data:`MODELS`. The first orientation is the identity (upright).
    """
    rows = []
    for seed in seeds:
        X_train, X_test, y_train, y_test = _data(seed)
        tests = orientations(X_test)
        torch.manual_seed(seed)
        for name, model, augment in _models(channels, models):
            X, y = (np.concatenate(orientations(X_train)), np.tile(y_train, 8)) if augment else (X_train, y_train)
            started = time.perf_counter()
            n_epochs = max(1, int(np.ceil(epochs * len(X_train) / len(X))))
            fit(model.float(), torch.tensor(X, dtype=torch.float32), torch.tensor(y), loss=torch.nn.functional.cross_entropy,
                max_epochs=n_epochs, batch_size=BATCH, learning_rate=LEARNING_RATE, patience=n_epochs, seed=seed, progress=progress)
            seconds = time.perf_counter() - started
            model.double().eval()
            predictions = np.stack([_predict(model, X) for X in tests])
            accuracy = (predictions == y_test).mean(axis=1)
            differing = int(np.sum(np.any(predictions != predictions[0], axis=0)))
            rows.append((name, seed, _parameters(model), accuracy, differing, seconds))
    return rows


def _cell(values, scale=100):
    values = scale * np.asarray(values)
    return f"{np.median(values):.1f} [{values.min():.1f}, {values.max():.1f}]"


def table(rows):
    """Markdown: accuracy (%) upright, mean over the 8 orientations and worst, median [min, max] over seeds."""
    lines = ["| model | parameters | upright | mean of 8 orientations | worst orientation | differing predictions | seconds |",
             "|---|---|---|---|---|---|---|"]
    for name in dict.fromkeys(row[0] for row in rows):
        mine = [row for row in rows if row[0] == name]
        accuracy = np.array([row[3] for row in mine])
        lines.append(f"| {name} | {mine[0][2]} | {_cell(accuracy[:, 0])} | {_cell(accuracy.mean(1))} | "
                     f"{_cell(accuracy.min(1))} | {max(row[4] for row in mine)} | {np.median([row[5] for row in mine]):.0f} |")
    return "\n".join(lines)


def main(argv=None):
    """``python -m scalars bench digits [--quick] [--seeds 3] [--epochs N]``."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench digits", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 epochs")
    parser.add_argument("--seeds", type=int, default=3, help="split and initialisation seeds (default 3)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs of the upright training set (default 20; quick 6)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated rows to run, of {', '.join(MODELS)} (default all)")
    parser.add_argument("--progress", action="store_true", help="show the progress bars")
    args = parser.parse_args(argv)
    models = [key.strip() for key in args.models.split(",")]
    unknown = [key for key in models if key not in MODELS]
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    epochs = args.epochs if args.epochs is not None else 6 if args.quick else 20
    torch.set_num_threads(1)
    started = time.perf_counter()
    rows = run(range(args.seeds), epochs, CHANNELS, args.progress, models)
    print(table(rows))
    print(f"\naccuracy (%) on {len(_data(0)[1])} test digits, {epochs} epochs (batches of {BATCH}), {args.seeds} seeds; "
          f"wall time {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    return 0
