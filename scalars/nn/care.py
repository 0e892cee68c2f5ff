"""CARE: contrastive learning whose augmentations act on the embeddings by orthogonal maps.

Gupta, Robinson, Lim, Villar and Jegelka (ICLR 2024) add to a contrastive loss a term
that asks an augmentation ``a`` to preserve the inner products of the embeddings,
``<f(a x), f(a x')> = <f(x), f(x')>``, which holds exactly when ``a`` acts on the
embeddings by an orthogonal map ``R_a`` (``f(a x) = R_a f(x)``). :func:`care_loss`
returns the three terms on unit-normalised embeddings ``z = f(x) / |f(x)|``:

- invariance (alignment): ``mean_i |z_i - z_i^+|^2`` over positive pairs (two views);
- uniformity: ``log mean_{i != j} exp(-t |z_i - z_j|^2)`` (Wang and Isola 2020);
- equivariance: ``mean_{i != j} (<z_i^a, z_j^a> - <z_i, z_j>)^2`` with ``z^a`` the embeddings
  of the batch moved by one augmentation ``a``;

and their sum ``invariance + uniformity + strength * equivariance``.

>>> import torch
>>> z = torch.randn(16, 4, dtype=torch.float64)
>>> Q = torch.linalg.qr(torch.randn(4, 4, dtype=torch.float64))[0]
>>> terms = care_loss(z, z + 0.1, z @ Q.T)
>>> float(terms["equivariance"]) < 1e-28                         # an orthogonal action costs nothing
True
"""

import math
from numbers import Real

import torch

__all__ = ["care_loss"]


def _check_embeddings(name, z, shape):
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or (shape is not None and z.shape != shape):
        expected = "(n, m)" if shape is None else str(tuple(shape))
        raise ValueError(f"care_loss: {name} must be a tensor of shape {expected}, got {getattr(z, 'shape', type(z).__name__)}")
    if len(z) < 2:
        raise ValueError(f"care_loss: the uniformity and equivariance terms need at least 2 samples, {name} has {len(z)}")


def care_loss(embeddings, positives, transformed, strength=1.0, temperature=2.0):
    """The CARE loss and its three terms.

    Parameters
    ----------
    embeddings : tensor of shape (n, m)
        ``f(x)`` of a batch.
    positives : tensor of shape (n, m)
        ``f(x^+)``: another view of each sample (invariance term).
    transformed : tensor of shape (n, m)
        ``f(a x)`` for one augmentation ``a`` applied to the whole batch (equivariance term).
    strength : float, default=1.0
        ``lambda >= 0``, the weight of the equivariance term.
    temperature : float, default=2.0
        ``t > 0`` of the uniformity term.

    Returns
    -------
    dict of scalar tensors
        ``"invariance"``, ``"uniformity"``, ``"equivariance"`` and ``"total"``.

    Raises
    ------
    ValueError
        If the shapes differ or are not (n, m) with n >= 2, or ``strength`` is negative,
        or ``temperature`` is not positive.
    """
    _check_embeddings("embeddings", embeddings, None)
    _check_embeddings("positives", positives, embeddings.shape)
    _check_embeddings("transformed", transformed, embeddings.shape)
    for name, value, low in (("strength", strength, "a finite number >= 0"), ("temperature", temperature, "a finite number > 0")):
        valid = isinstance(value, Real) and math.isfinite(value) and (value >= 0 if name == "strength" else value > 0)
        if not valid:
            raise ValueError(f"care_loss: {name} must be {low}, got {value!r}")
    z, z_plus, z_a = (torch.nn.functional.normalize(t, dim=1) for t in (embeddings, positives, transformed))
    off_diagonal = ~torch.eye(len(z), dtype=torch.bool, device=z.device)
    invariance = (z - z_plus).pow(2).sum(1).mean()
    squared_distances = torch.cdist(z, z).pow(2)[off_diagonal]
    uniformity = torch.logsumexp(-temperature * squared_distances, 0) - math.log(squared_distances.numel())
    equivariance = ((z_a @ z_a.T) - (z @ z.T))[off_diagonal].pow(2).mean()
    total = invariance + uniformity + strength * equivariance
    return {"invariance": invariance, "uniformity": uniformity, "equivariance": equivariance, "total": total}
