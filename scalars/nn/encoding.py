"""Encodings of invariant features before an MLP: standardisation and heavy-tail transforms.

Invariants such as squared norms and products of many vectors are heavy-tailed; an MLP
trains better on features of order one. :class:`InvariantEncoder` applies, per feature,
an optional compressing transform and then standardises (a
:class:`~scalars.nn.Standardizer` fitted on the training data).
"""

import torch

from scalars.nn.devices import resolve_device
from scalars.nn.layers import Standardizer

__all__ = ["InvariantEncoder", "ENCODINGS"]

ENCODINGS = (None, "log", "rbf")


def signed_log(z):
    """``sign(z) log(1 + |z|)``: the identity near 0, logarithmic in the tails, odd."""
    return torch.sign(z) * torch.log1p(torch.abs(z))


class InvariantEncoder(Standardizer):
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
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    mean, std : buffers of shape (m,)
        Of the compressed features, set by :meth:`fit`; 0 and 1 until then.
    n_outputs : int
        ``m``, or ``m * (1 + n_centers)`` for ``"rbf"``.
    """

    def __init__(self, n_features, encoding=None, n_centers=8, device="cpu"):
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
        if encoding == "rbf" and n_centers < 2:
            raise ValueError(f"the rbf encoding needs n_centers >= 2 to set its width, got {n_centers}")
        super().__init__(n_features)
        self.encoding = encoding
        self.register_buffer("centers", torch.linspace(-3.0, 3.0, n_centers) if encoding == "rbf" else torch.zeros(0))
        self.n_outputs = n_features * (1 + len(self.centers))
        self.to(resolve_device(device, "InvariantEncoder: device"))

    def _compress(self, z):
        return signed_log(z) if self.encoding == "log" else z

    def fit(self, z):
        """Set ``mean`` and ``std`` from training features ``z`` of shape (..., m)."""
        return super().fit(self._compress(z))

    def forward(self, z):
        """Encode features (..., m) as (..., n_outputs)."""
        standard = super().forward(self._compress(z))
        if self.encoding != "rbf":
            return standard
        width = self.centers[1] - self.centers[0]
        bumps = torch.exp(-(((standard[..., None] - self.centers) / width) ** 2))
        return torch.cat([standard, bumps.flatten(-2)], dim=-1)
