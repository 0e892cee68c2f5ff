"""Encodings of invariant features before an MLP: standardisation and heavy-tail transforms.

Invariants such as squared norms and products of many vectors are heavy-tailed; an MLP
trains better on features of order one. :class:`InvariantEncoder` applies, per feature,
an optional compressing transform and then standardises with statistics of the training
data, kept as buffers so that a saved model carries them.
"""

import torch
from torch import nn

__all__ = ["InvariantEncoder", "ENCODINGS"]

ENCODINGS = (None, "log", "rbf")


def signed_log(z):
    """``sign(z) log(1 + |z|)``: the identity near 0, logarithmic in the tails, odd."""
    return torch.sign(z) * torch.log1p(torch.abs(z))


class InvariantEncoder(nn.Module):
    """Per-feature encoding and standardisation of invariant features.

    Parameters
    ----------
    n_features : int
        Number of invariant features ``m``.
    encoding : {None, "log", "rbf"}, default=None
        None: standardise only. ``"log"``: :func:`signed_log` of each feature, then
        standardise. ``"rbf"``: standardise, then append for each feature ``n_centers``
        Gaussian bumps with centres evenly spaced over [-3, 3] standard deviations.
    n_centers : int, default=8
        Centres per feature for ``"rbf"``.

    Attributes
    ----------
    mean, scale : buffers of shape (m,)
        Set by :meth:`fit` from training features; 0 and 1 until then.
    n_outputs : int
        ``m``, or ``m * (1 + n_centers)`` for ``"rbf"``.
    """

    def __init__(self, n_features, encoding=None, n_centers=8):
        super().__init__()
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
        if encoding == "rbf" and n_centers < 2:
            raise ValueError(f"the rbf encoding needs n_centers >= 2 to set its width, got {n_centers}")
        self.encoding = encoding
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))
        self.register_buffer("centers", torch.linspace(-3.0, 3.0, n_centers) if encoding == "rbf" else torch.zeros(0))
        self.n_outputs = n_features * (1 + len(self.centers))

    def _compress(self, z):
        return signed_log(z) if self.encoding == "log" else z

    @torch.no_grad()
    def fit(self, z):
        """Set ``mean`` and ``scale`` from training features ``z`` of shape (..., m)."""
        flat = self._compress(z).reshape(-1, z.shape[-1])
        self.mean.copy_(flat.mean(0))
        std = flat.std(0, correction=0) if len(flat) > 1 else torch.zeros_like(self.scale)
        self.scale.copy_(torch.where(std > 0, std, torch.ones_like(std)))
        return self

    def forward(self, z):
        """Encode features (..., m) as (..., n_outputs)."""
        standard = (self._compress(z) - self.mean) / self.scale
        if self.encoding != "rbf":
            return standard
        width = self.centers[1] - self.centers[0]
        bumps = torch.exp(-(((standard[..., None] - self.centers) / width) ** 2))
        return torch.cat([standard, bumps.flatten(-2)], dim=-1)
