"""Digits inpainting with subgroups of S(64): how much symmetry pays (Huang, Levie and Villar 2023).

Part of ``python -m scalars bench approximate --inpainting``. Each 8x8 digit of
scikit-learn's ``load_digits`` (pixels scaled to [0, 1]) is split into its visible top half
(nodes 0-31) and its hidden bottom half (nodes 32-63), and the hidden half is predicted
from the visible one by linear maps from 100 training images; the other 1697 are the test
set. The pixels are clustered and ``G`` is the product of the clusters' symmetric groups
(:class:`~scalars.groups.YoungSubgroup`); its maps from the visible to the hidden pixels
are those between :class:`~scalars.reps.NodeSubsetRep` s:

- ``S(64)``: one cluster. Its maps from the visible half to the hidden half are
  ``b 1 1^T`` (every hidden pixel the same multiple of the visible ink), the maps of
  ``S(32) x S(32)`` (top, bottom), with which the row is computed;
- ``S(16)^4``: the four 4x4 quadrants; ``S(4)^16``: the 2x2 blocks; ``S(2)^32``: pairs of
  horizontal neighbours; ``trivial``: every pixel its own cluster (plain least squares).

Per group: the test MSE (per hidden pixel) of least squares ``W`` projected onto the
equivariant maps, ``Psi_G(W)`` (:func:`scalars.reps.project_equivariant`); the measured
gap ``MSE(W) - MSE(Psi_G(W))`` beside the gap :func:`scalars.reps.risk_gap` predicts
from the population statistics (all 1797 images: the second moment of the inputs, the
least-squares map ``theta`` and the covariance of its residuals; the formula assumes
Gaussian inputs, which digits are not); and the test MSE of the ``G``-equivariant models
trained directly: least squares over the equivariant maps and a two-layer
:class:`~scalars.nn.SubgroupNetwork`. The inputs carry uniform noise of one grey level
(dequantisation), without which the always-blank corner pixel makes least squares singular.
"""

import time

import numpy as np

from scalars.groups import YoungSubgroup
from scalars.reps import NodeSubsetRep, equivariant_basis, project_equivariant, risk_gap

__all__ = ["GROUPS", "clusterings", "run", "table"]

GROUPS = ("S(64)", "S(16)^4", "S(4)^16", "S(2)^32", "trivial")
N_TRAIN = 100
VISIBLE, HIDDEN = np.arange(32), np.arange(32, 64)


def clusterings():
    """Row name -> the cluster label of each of the 64 pixels (row-major)."""
    row, column = np.divmod(np.arange(64), 8)
    return {
        "S(64)": row // 4,  # as maps from the top to the bottom half: S(32) x S(32)
        "S(16)^4": (row // 4) * 2 + column // 4,
        "S(4)^16": (row // 2) * 4 + column // 2,
        "S(2)^32": row * 4 + column // 2,
        "trivial": np.arange(64),
    }


def _digits(seed):
    """Visible and hidden pixels of every digit in [0, 1], the inputs dequantised."""
    from sklearn.datasets import load_digits

    images = load_digits().data / 16.0
    noise = np.random.default_rng(seed).uniform(-0.5, 0.5, (len(images), 32)) / 16.0
    return images[:, VISIBLE] + noise, images[:, HIDDEN]


def _least_squares(X, Y):
    """The map ``W`` (k, d) of least squares ``Y ~ X W^T``."""
    return np.linalg.lstsq(X, Y, rcond=None)[0].T


def _mse(W, X, Y):
    return float(np.mean((X @ W.T - Y) ** 2))


def _population(X, Y):
    """Second moment of the inputs, the least-squares map and its residuals' covariance, from every image."""
    theta = _least_squares(X, Y)
    residuals = Y - X @ theta.T
    return X.T @ X / len(X), theta, residuals.T @ residuals / len(X)


def _equivariant_least_squares(maps, X, Y):
    """Least squares over ``W = sum_j c_j maps_j``."""
    features = np.einsum("jod,nd->noj", maps, X).reshape(-1, len(maps))
    coefficients = np.linalg.lstsq(features, Y.reshape(-1), rcond=None)[0]
    return np.einsum("j,jod->od", coefficients, maps)


def _two_layer(group, X, Y, Xtest, seed, max_epochs):
    """Test predictions of a two-layer SubgroupNetwork (4 channels) trained full-batch."""
    import torch

    from scalars.nn import SubgroupNetwork, fit

    net = SubgroupNetwork(group, VISIBLE, HIDDEN, channels=4).double()
    fit(net, torch.as_tensor(X), torch.as_tensor(Y), max_epochs=max_epochs, batch_size=len(X),
        learning_rate=1e-2, validation_fraction=0.0, seed=seed, progress=False)
    with torch.no_grad():
        return net(torch.as_tensor(Xtest)).numpy()


def run(seeds=(0, 1, 2), groups=GROUPS, two_layer_epochs=300, n_train=N_TRAIN, progress=True):
    """Every group on every seed (a random draw of the ``n_train`` training images, default 100).

    Returns
    -------
    pandas.DataFrame
        Columns n_train, group, seed, maps (the dimension of the equivariant maps), mse_least_squares,
        mse_projected, gap, predicted_gap, mse_equivariant, mse_two_layer (NaN when
        ``two_layer_epochs`` is 0), seconds.
    """
    import pandas as pd

    labels, rows = clusterings(), []
    for seed in seeds:
        X, Y = _digits(seed)
        Sigma, theta, noise = _population(X, Y)
        train = np.random.default_rng(seed).permutation(len(X))[:n_train]
        test = np.setdiff1d(np.arange(len(X)), train)
        W = _least_squares(X[train], Y[train])
        for name in groups:
            started = time.perf_counter()
            group = YoungSubgroup.from_labels(labels[name])
            rep_in, rep_out = NodeSubsetRep(VISIBLE, group), NodeSubsetRep(HIDDEN, group)
            maps = equivariant_basis(rep_in, rep_out).T.reshape(-1, 32, 32)
            mse_ls = _mse(W, X[test], Y[test])
            mse_projected = _mse(project_equivariant(W, rep_in, rep_out), X[test], Y[test])
            predicted = risk_gap(n_train, rep_in, rep_out, noise, target=theta, input_covariance=Sigma) / 32
            equivariant = _equivariant_least_squares(maps, X[train], Y[train])
            two_layer = np.nan
            if two_layer_epochs:
                two_layer = float(np.mean((_two_layer(group, X[train], Y[train], X[test], seed, two_layer_epochs) - Y[test]) ** 2))
            rows.append(dict(n_train=n_train, group=name, seed=seed, maps=len(maps), mse_least_squares=mse_ls, mse_projected=mse_projected,
                             gap=mse_ls - mse_projected, predicted_gap=predicted, mse_equivariant=_mse(equivariant, X[test], Y[test]),
                             mse_two_layer=two_layer, seconds=time.perf_counter() - started))
            if progress:
                row = rows[-1]
                print(f"seed {seed} {name}: Psi_G(W) {row['mse_projected']:.4f}, gap {row['gap']:.4f} (predicted "
                      f"{predicted:.4f}), G-least squares {row['mse_equivariant']:.4f}, two-layer {two_layer:.4f}", flush=True)
    return pd.DataFrame(rows)


def table(results):
    """A Markdown table: per training size and group the mean over seeds (and the standard error of the measured gap)."""
    lines = [
        "| images | G | equivariant maps | test MSE of Psi_G(W) | measured gap MSE(W) - MSE(Psi_G(W)) | predicted gap (risk_gap) "
        "| G-equivariant least squares | G-equivariant two-layer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (n_train, name), group in results.groupby(["n_train", "group"], sort=False):
        spread = f" ± {group['gap'].std(ddof=1) / np.sqrt(len(group)):.4f}" if len(group) > 1 else ""
        lines.append(
            f"| {n_train} | {name} | {group['maps'].iloc[0]} | {group['mse_projected'].mean():.4f} | {group['gap'].mean():.4f}{spread} | {group['predicted_gap'].mean():.4f} | {group['mse_equivariant'].mean():.4f} "
            f"| {group['mse_two_layer'].mean():.4f} |"
        )
    return "\n".join(lines)
