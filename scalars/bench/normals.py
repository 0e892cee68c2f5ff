"""Normals of noisy surface patches: PCA, PointNet, FA-PointNet and an equivariant network.

    python -m scalars bench clouds --normals            # 4,000 training patches, 100 epochs
    python -m scalars bench clouds --normals --quick    # 1,000 training patches, 10 epochs
    python -m scalars bench clouds --normals --models PointNet   # one row only (names of MODELS)

The settings of Puny et al. (ICLR 2022, Table 1): trained on patches in their canonical pose
(``I``) or randomly rotated (``SO(3)``), tested in the canonical pose or rotated. The patches
(:func:`scalars.datasets.surface_patches`: 32 points of a random plane + quadric + three
bumps over the unit disc, noise 0.02, randomly translated; a rotated set holds the same
patches as its canonical one, rotated) have the unit normal at their
centre as the target, up to sign; the error is the mean angle in degrees between the
predicted and true normal lines, on 1,000 test patches (500 with ``--quick``).

Rows (float64; trained with :func:`scalars.nn.fit` on the mean squared error of ``n n^T``, the
sign-free tensor of the normal line; the prediction is the top eigenvector of the output):

- PCA: the smallest principal axis of the centred patch (no training; the classical baseline);
- PointNet (:class:`scalars.nn.PointNet`, centred points, 9 outputs): not rotation invariant;
- FA-PointNet: the same network averaged over the PCA frames of ``E(3)`` with output
  ``"T2"`` (:class:`scalars.nn.FrameAveraging`): exactly equivariant;
- equivariant (:class:`scalars.nn.PointTensorNet`): ``sum_s f_s V_s`` over the tensors of
  the cloud with invariant coefficients, ``S(n) x E(3)``-equivariant by construction.
"""

import os
import time

import numpy as np
import torch

from scalars.datasets import surface_patches
from scalars.nn import FrameAveraging, PointNet, PointTensorNet, fit

N_POINTS = 32
NOISE = 0.02
SETTINGS = (("I/I", False, False), ("I/SO(3)", False, True), ("SO(3)/SO(3)", True, True))


def angle_error(predicted, normals):
    """Mean angle in degrees between the lines of ``predicted`` and ``normals`` (n, 3)."""
    cosine = np.abs((predicted * normals).sum(axis=1)) / np.linalg.norm(predicted, axis=1)
    return float(np.degrees(np.arccos(np.clip(cosine, 0.0, 1.0))).mean())


def pca_normals(X):
    points = X.reshape(len(X), -1, 3)
    points = points - points.mean(axis=1, keepdims=True)
    return np.linalg.eigh(np.swapaxes(points, 1, 2) @ points)[1][:, :, 0]


def tensor_normals(T):
    """The top eigenvector of each symmetrised 3 x 3 output (n, 9)."""
    T = T.reshape(len(T), 3, 3)
    return np.linalg.eigh(T + np.swapaxes(T, 1, 2))[1][:, :, -1]


MODELS = {
    "PointNet": lambda: PointNet(N_POINTS, 9),
    "FA-PointNet": lambda: FrameAveraging(PointNet(N_POINTS, 9), "E(3)", f"{N_POINTS}P", output="T2"),
    "equivariant (PointTensorNet)": lambda: PointTensorNet(N_POINTS),
}


def line_loss(prediction, target):
    """Mean squared error between outputs (n, 9) or (n, 3, 3) and ``n n^T`` (n, 9)."""
    return ((prediction.reshape(len(prediction), 9) - target) ** 2).mean()


def trained(make, X, normals, epochs):
    model = make().double()
    y = torch.as_tensor(np.einsum("ni,nj->nij", normals, normals).reshape(len(X), 9))
    fit(model, torch.as_tensor(X), y, loss=line_loss, max_epochs=epochs, patience=epochs, seed=0, progress=False)
    return model


def predict(model, X):
    with torch.no_grad():
        return tensor_normals(model(torch.as_tensor(X)).reshape(len(X), 9).numpy())


def main(quick=False, n_train=None, epochs=None, models=None):
    """Print the table; ``n_train`` and ``epochs`` override the defaults of the mode.

    The test sets have ``min(500, n_train // 2)`` patches (1,000 without ``quick``).
    ``models`` (names of ``MODELS``) restricts the trained rows; PCA is always printed.
    """
    torch.set_num_threads(1)
    default_train, default_test, default_epochs = (1000, 500, 10) if quick else (4000, 1000, 100)
    n_train, epochs = n_train or default_train, epochs or default_epochs
    n_test = min(default_test, n_train // 2)
    data = {rotate: surface_patches(n_train, N_POINTS, NOISE, rotate, seed=1) for rotate in (False, True)}
    tests = {rotate: surface_patches(n_test, N_POINTS, NOISE, rotate, seed=2) for rotate in (False, True)}
    print(f"{n_train:,} training and {n_test:,} test patches of {N_POINTS} points (the rotated sets are the same "
          f"patches rotated), noise {NOISE}, {epochs} epochs per model; torch {torch.__version__}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| model | " + " | ".join(name for name, _, _ in SETTINGS) + " | seconds |")
    print("|---|" + "---|" * (len(SETTINGS) + 1))
    print("| PCA (smallest principal axis) | " + " | ".join(
        f"{angle_error(pca_normals(tests[test][0]), tests[test][1]):.2f}" for _, _, test in SETTINGS) + " | 0 |")
    for name, make in MODELS.items():
        if models is not None and name not in models:
            continue
        start = time.perf_counter()
        fitted = {rotate: trained(make, *data[rotate], epochs) for rotate in (False, True)}
        errors = [angle_error(predict(fitted[train], tests[test][0]), tests[test][1]) for _, train, test in SETTINGS]
        print(f"| {name} | " + " | ".join(f"{e:.2f}" for e in errors) + f" | {time.perf_counter() - start:.0f} |",
              flush=True)
    return 0
