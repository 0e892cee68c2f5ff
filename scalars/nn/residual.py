"""Residual pathway priors (Finzi, Benton and Wilson, NeurIPS 2021): an equivariant model plus a plain one.

``f(x) = f_equivariant(x) + f_plain(x)`` with a Gaussian prior on each path's weights,
i.e. an L2 penalty ``lambda_eq |theta_eq|^2 + lambda_plain |theta_plain|^2`` added to the
training loss, with ``lambda_plain`` much larger than ``lambda_eq``: the plain path costs
more, so the fit uses it only as far as the data break the symmetry. On data with an
exact symmetry the plain path stays near zero and the model is (almost) the equivariant
one; on data with a broken symmetry the plain path takes up the difference.

The paper mixes the two paths inside every layer of an EMLP; here they are two whole
networks added at the output, so any equivariant module of the package (a head, an
:class:`~scalars.nn.EMLP`) is an equivariant path, and a :class:`PlainMLP` of the raw
columns the other. Train with ``scalars.nn.fit(model, X, y, penalty=lambda net, x:
model.prior_penalty())``.

>>> import torch
>>> from scalars.nn import PlainMLP, ResidualPathway, TensorHead
>>> head = TensorHead("O(3)", "5T0+5T1", particles=5).double()
>>> model = ResidualPathway(head, PlainMLP(20, 9).double())
>>> model(torch.randn(4, 20, dtype=torch.float64)).shape
torch.Size([4, 3, 3])
>>> model.rep_in is head.rep_in
True
"""

import math
from numbers import Real

import torch
from torch import nn

from scalars.nn.devices import resolve_device
from scalars.nn.layers import Standardizer, location_scale, mlp

__all__ = ["PlainMLP", "ResidualPathway"]


class PlainMLP(nn.Module):
    """A plain MLP on standardised raw columns, its output in the units of the target.

    ``y = scale * mlp((x - mean) / std)``, with the statistics set from training data by
    :meth:`fit_statistics` and kept as buffers. It has no symmetry: the plain path of a
    :class:`ResidualPathway`, or a model of its own.

    Parameters
    ----------
    n_inputs, n_outputs : int
    hidden : tuple of int, default=(128, 128)
    activation : nn.Module class, default=nn.SiLU
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    standardizer : Standardizer
    net : nn.Sequential
    output_scale : buffer of shape ()
        The root mean square of the training targets (1 until :meth:`fit_statistics`).
    """

    def __init__(self, n_inputs, n_outputs, hidden=(128, 128), activation=nn.SiLU, device="cpu"):
        super().__init__()
        self.standardizer = Standardizer(n_inputs)
        self.net = mlp(n_inputs, n_outputs, tuple(hidden), activation)
        self.register_buffer("output_scale", torch.tensor(1.0))
        self.to(resolve_device(device, "PlainMLP: device"))

    def forward(self, X):
        """Rows (..., n_inputs) to outputs (..., n_outputs)."""
        return self.net(self.standardizer(X)) * self.output_scale

    @torch.no_grad()
    def fit_statistics(self, X, y=None):
        """Set the input statistics from ``X`` (n, n_inputs) and the output scale from ``y``.

        Returns
        -------
        self
        """
        self.standardizer.fit(X)
        if y is not None:
            self.output_scale.fill_(location_scale(y.reshape(len(y), -1), center=None, pooled=True)[1])
        return self


def _check_decay(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not (math.isfinite(value) and value >= 0):
        raise ValueError(f"ResidualPathway: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


class ResidualPathway(nn.Module):
    """``equivariant(X) + plain(X)``, with a tighter prior on the plain path.

    Parameters
    ----------
    equivariant : nn.Module
        An equivariant model of rows (..., n_features), e.g. a
        :class:`~scalars.nn.EquivariantHead` or an :class:`~scalars.nn.EMLP`. Its
        ``rep_in`` and ``rep_out``, if it has them, become this module's.
    plain : nn.Module
        Any model of the same rows whose output has as many entries per row as the
        equivariant one's (it is reshaped to that shape), e.g. a :class:`PlainMLP`.
    equivariant_weight_decay : float, default=1e-5
        ``lambda_eq`` of :meth:`prior_penalty`.
    plain_weight_decay : float, default=1e-1
        ``lambda_plain`` of :meth:`prior_penalty`; much larger than ``lambda_eq``.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    rep_in, rep_out : Rep or None
        Those of the equivariant path. The sum is equivariant exactly when the plain path
        is (for example zero).
    """

    def __init__(self, equivariant, plain, equivariant_weight_decay=1e-5, plain_weight_decay=1e-1, device="cpu"):
        super().__init__()
        for name, module in (("equivariant", equivariant), ("plain", plain)):
            if not isinstance(module, nn.Module):
                raise TypeError(f"ResidualPathway: {name} must be a torch.nn.Module, got {type(module).__name__}")
        self.equivariant, self.plain = equivariant, plain
        self.equivariant_weight_decay = _check_decay("equivariant_weight_decay", equivariant_weight_decay)
        self.plain_weight_decay = _check_decay("plain_weight_decay", plain_weight_decay)
        self.rep_in = getattr(equivariant, "rep_in", None)
        self.rep_out = getattr(equivariant, "rep_out", None)
        self.to(resolve_device(device, "ResidualPathway: device"))

    def forward(self, X):
        """The sum of the two paths, in the shape of the equivariant path's output."""
        out = self.equivariant(X)
        return out + self.plain(X).reshape(out.shape)

    def prior_penalty(self):
        """``lambda_eq |theta_eq|^2 + lambda_plain |theta_plain|^2``: the two Gaussian priors, a scalar tensor."""
        def squares(module):
            return sum(parameter.square().sum() for parameter in module.parameters())

        return self.equivariant_weight_decay * squares(self.equivariant) + self.plain_weight_decay * squares(self.plain)

    def fit_statistics(self, X, y=None):
        """Call ``fit_statistics(X, y)`` of each path that has one.

        Returns
        -------
        self
        """
        for path in (self.equivariant, self.plain):
            if hasattr(path, "fit_statistics"):
                path.fit_statistics(X, y)
        return self
