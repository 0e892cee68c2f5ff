"""Halo-like clouds at scale: regression of their properties, and the featurizing cost against N.

    python -m scalars bench clouds --halos            # 100, 1,000 and 10,000 training clouds
    python -m scalars bench clouds --halos --quick    # 100 and 1,000 training clouds, fewer epochs

The clouds are :func:`scalars.datasets.halo_clouds`: positions and velocities of ``N``
particles of a triaxial Plummer sphere with a random shape, velocity anisotropy and velocity
scale, randomly rotated. The targets are :func:`scalars.datasets.halo_properties`, measured on
the particles: the virial ratio ``2K / |W|`` (the potential energy sums all ``N^2`` pairs),
the axis ratios ``b/a`` and ``c/a`` of the inertia tensor and the velocity anisotropy
``beta``. The regression uses clouds of 100 particles; the score is R^2 on 2,000 held-out
clouds (500 with ``--quick``), per target. Rows, each an MLP (``scalars.nn.mlp``, hidden
(64, 64)) trained by ``scalars.nn.fit`` on the standardised targets:

- lightweight: :class:`scalars.PointCloudInvariants` (``degree=3, center=True``, 16 features)
  of the positions ``x_i``, of the velocities ``v_i`` and of the clouds ``x_i + v_i`` and
  ``x_i - v_i`` (polarisation: their radial moments carry ``x_i . v_i``), 64 features,
  ``O(N)`` per cloud, exactly invariant under rotations, reflections and relabellings;
- full Gram: the Gram matrix of the ``2N`` vectors ``x_1 .. x_N, v_1 .. v_N``, particles
  ordered by ``|x_i|`` (a frame for the relabellings; complete for clouds of distinct radii),
  upper triangle, ``N (2N + 1) = 20,100`` features, ``O(N^2)`` per cloud: run up to 1,000
  training clouds (100 with ``--quick``; at 10,000 its MLP would take hours of these two cores);
- DeepSets: ``scalars.nn.PointNet(pooling="mean")`` on the centred particles ``(x_i, v_i)``
  in 6-D: invariant under relabellings and translations, not rotations (it sees the clouds
  in their random orientations).

Training stops after 100 epochs (30 with ``--quick``), 20 without improvement of the
validation loss, or 900 s. The second table times the lightweight features (the four transforms) on 10,000 clouds
(1,000 with ``--quick``) of N = 100, 300 and 1000 particles, best of 2 passes, and fits the
exponent ``t ~ N^p`` (``p = 1`` is linear).
"""

import os
import time

import numpy as np
import torch

from scalars import PointCloudInvariants
from scalars.datasets import HALO_PROPERTIES, halo_clouds, halo_properties
from scalars.nn import PointNet, fit, location_scale, mlp

N_PARTICLES = 100
FEATURE_SIZES = (100, 300, 1000)
TIME_LIMIT = 900  # seconds of training per model, so that a loaded machine ends the full run


def lightweight_features(X):
    """``PointCloudInvariants`` of the clouds x, v, x + v and x - v of ``X`` (n, N, 6): (n, 64).

    Each feature is a homogeneous polynomial of degree ``2k`` in the coordinates; it is
    taken to the power ``1 / k`` (keeping its sign), so that all scale as a squared length
    and the heavy tails of high moments do not swamp the standardised inputs.
    """
    x, v = X[..., :3], X[..., 3:]
    features = PointCloudInvariants(d=3, center=True).fit(x[:1])
    F = np.concatenate([features.transform(cloud) for cloud in (x, v, x + v, x - v)], axis=1)
    return np.sign(F) * np.abs(F) ** (1.0 / np.tile(feature_degrees(features.degree_, 3), 4))


def feature_degrees(K, d):
    """Half the polynomial degree of each feature of ``PointCloudInvariants(d, degree=K)``."""
    a, b = np.triu_indices(K)
    return np.concatenate([np.arange(1, K + 1), a + b + 3, a + b + 2, np.arange(3, d + 1)]).astype(float)


def sorted_gram_features(X):
    """Upper triangle of the Gram matrix of ``x_1 .. x_N, v_1 .. v_N``, particles by radius."""
    X = X - X.mean(axis=1, keepdims=True)
    order = np.argsort((X[..., :3] ** 2).sum(-1), axis=1)
    X = np.take_along_axis(X, order[..., None], axis=1)
    vectors = np.concatenate([X[..., :3], X[..., 3:]], axis=1)  # (n, 2N, 3)
    rows, columns = np.triu_indices(vectors.shape[1])
    return (vectors @ np.swapaxes(vectors, 1, 2))[:, rows, columns]


def r2_scores(predicted, y):
    return 1.0 - ((predicted - y) ** 2).mean(0) / y.var(0)


def trained_scores(model, X, y, X_test, y_test, epochs):
    """R^2 per target of ``model`` trained on standardised ``y``, on the test clouds (at most TIME_LIMIT s)."""
    mean, std = y.mean(0), y.std(0)
    X, X_test = torch.as_tensor(X), torch.as_tensor(X_test)
    fit(model, X, torch.as_tensor((y - mean) / std), max_epochs=epochs, patience=max(10, epochs // 5), seed=0,
        progress=False, time_limit=TIME_LIMIT)
    with torch.no_grad():
        return r2_scores(model(X_test).numpy() * std + mean, y_test)


def standardised(X_train, X_test):
    """Both sets standardised with the training set's location and scale (computed in numpy:
    the torch ``Standardizer`` takes the diagonal of a full covariance, slow for 20,100 features)."""
    location, scale = location_scale(X_train, correction=1, constant=1e-6)
    return (X_train - location) / scale, (X_test - location) / scale


def regression_table(train_sizes, n_test, epochs, gram_limit):
    clouds = halo_clouds(max(train_sizes) + n_test, N_PARTICLES, seed=0)
    start = time.perf_counter()
    y = halo_properties(clouds)
    print(f"{len(clouds):,} clouds of {N_PARTICLES} particles; their properties (all pairs) in "
          f"{time.perf_counter() - start:.1f} s\n")
    test, train = slice(0, n_test), slice(n_test, None)
    inputs = {"lightweight (PointCloudInvariants of x, v, x+v, x-v)": lightweight_features(clouds),
              "full Gram of the 2N vectors, particles by radius": sorted_gram_features(clouds),
              "DeepSets (PointNet, mean pooling, 6-D particles)": clouds.reshape(len(clouds), -1)}
    print("| model | features | training clouds | " + " | ".join(f"R^2 {name}" for name in HALO_PROPERTIES)
          + " | seconds |")
    print("|---|---|---|" + "---|" * (len(HALO_PROPERTIES) + 1))
    for name, X in inputs.items():
        for n_train in train_sizes:
            if name.startswith("full Gram") and n_train > gram_limit:
                continue
            start = time.perf_counter()
            X_train, y_train = X[train][:n_train], y[train][:n_train]
            X_test = X[test]
            if name.startswith("DeepSets"):
                model = PointNet(N_PARTICLES, len(HALO_PROPERTIES), d=6, pooling="mean").double()
            else:
                model = mlp(X.shape[1], len(HALO_PROPERTIES)).double()
                X_train, X_test = standardised(X_train, X_test)
            scores = trained_scores(model, X_train, y_train, X_test, y[test], epochs)
            width = "-" if name.startswith("DeepSets") else f"{X.shape[1]:,}"
            print(f"| {name} | {width} | {n_train:,} | " + " | ".join(f"{s:.3f}" for s in scores)
                  + f" | {time.perf_counter() - start:.0f} |", flush=True)


def timing_table(n_clouds):
    print(f"\nLightweight features of {n_clouds:,} clouds (4 x PointCloudInvariants, 64 features), best of 2 passes\n")
    print("| particles N | seconds | microseconds per particle |")
    print("|---|---|---|")
    seconds = []
    for n in FEATURE_SIZES:
        X = halo_clouds(n_clouds, n, seed=n)
        times = []
        for _ in range(2):
            start = time.perf_counter()
            lightweight_features(X)
            times.append(time.perf_counter() - start)
        seconds.append(min(times))
        print(f"| {n} | {seconds[-1]:.2f} | {1e6 * seconds[-1] / (n_clouds * n):.2f} |", flush=True)
    exponent = np.polyfit(np.log(FEATURE_SIZES), np.log(seconds), 1)[0]
    print(f"\nfitted exponent p in t ~ N^p: {exponent:.2f} (load average {os.getloadavg()[0]:.1f})")


def main(quick=False):
    """Print the regression and timing tables (``quick``: fewer clouds and epochs)."""
    torch.set_num_threads(1)
    train_sizes, n_test, epochs, n_timed = ((100, 1000), 500, 30, 1000) if quick else ((100, 1000, 10_000), 2000, 100, 10_000)
    gram_limit = 100 if quick else 1000
    print(f"halo-like clouds; torch {torch.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    regression_table(train_sizes, n_test, epochs, gram_limit)
    timing_table(n_timed)
    return 0
