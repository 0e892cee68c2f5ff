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
columns the other. In the paper the plain weights of each layer act on the equivariant
features of the layer below, so a symmetry breaking that is a simple (say linear)
function of equivariant features costs the plain path little; a plain network of the raw
columns alone has to learn those features from scratch. ``plain_readout=True`` restores
this: the plain path also gets a linear map of the equivariant path's output columns
(initialised at zero, under the plain prior), ``f = f_eq + R f_eq + f_plain``. Train with ``scalars.nn.fit(model, X, y, penalty=lambda net, x:
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
    init_scale : float, default=1.0
        The output layer's initial weights and bias times this factor, at construction and
        at every :meth:`reset_parameters` (``scalars.nn.fit`` draws the weights with it).
        RPP starts its plain weights at ``1e-3`` of the equivariant ones, so that the model
        starts (almost) equivariant.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    standardizer : Standardizer
    net : nn.Sequential
    output_scale : buffer of shape ()
        The root mean square of the training targets (1 until :meth:`fit_statistics`).
    """

    def __init__(self, n_inputs, n_outputs, hidden=(128, 128), activation=nn.SiLU, init_scale=1.0, device="cpu"):
        super().__init__()
        self.init_scale = _check_decay("PlainMLP", "init_scale", init_scale)
        self.standardizer = Standardizer(n_inputs)
        self.net = mlp(n_inputs, n_outputs, tuple(hidden), activation)
        self.register_buffer("output_scale", torch.tensor(1.0))
        self._scale_output_layer()
        self.to(resolve_device(device, "PlainMLP: device"))

    def reset_parameters(self):
        """Draw the layers' weights as their constructors do, the output layer's times ``init_scale``."""
        for layer in self.net:
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
        self._scale_output_layer()

    @torch.no_grad()
    def _scale_output_layer(self):
        if self.init_scale != 1.0:
            for parameter in self.net[-1].parameters():
                parameter.mul_(self.init_scale)

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


def _check_decay(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


class ZeroLinear(nn.Linear):
    """A linear map without bias that starts at zero, also when ``scalars.nn.fit`` redraws the weights."""

    def __init__(self, n_inputs, n_outputs):
        super().__init__(n_inputs, n_outputs, bias=False)

    def reset_parameters(self):
        """Set the weight to zero (draws nothing from torch's generator)."""
        nn.init.zeros_(self.weight)


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
    plain_readout : bool, default=False
        Add the plain linear map ``R`` of the equivariant output's ``rep_out.size`` columns
        (zero at the start, a part of the plain path for the prior). Needs an equivariant
        path with a ``rep_out``.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    rep_in, rep_out : Rep or None
        Those of the equivariant path. The sum is equivariant exactly when the plain path
        is (for example zero).
    readout : ZeroLinear or None
        ``R`` of ``plain_readout``, without bias.
    """

    def __init__(self, equivariant, plain, equivariant_weight_decay=1e-5, plain_weight_decay=1e-1, plain_readout=False,
                 device="cpu"):
        super().__init__()
        for name, module in (("equivariant", equivariant), ("plain", plain)):
            if not isinstance(module, nn.Module):
                raise TypeError(f"ResidualPathway: {name} must be a torch.nn.Module, got {type(module).__name__}")
        self.equivariant, self.plain = equivariant, plain
        self.equivariant_weight_decay = _check_decay("ResidualPathway", "equivariant_weight_decay", equivariant_weight_decay)
        self.plain_weight_decay = _check_decay("ResidualPathway", "plain_weight_decay", plain_weight_decay)
        self.rep_in = getattr(equivariant, "rep_in", None)
        self.rep_out = getattr(equivariant, "rep_out", None)
        self.readout = self._zero_readout() if plain_readout else None
        self.to(resolve_device(device, "ResidualPathway: device"))

    def _zero_readout(self):
        if self.rep_out is None:
            raise ValueError("ResidualPathway: plain_readout=True needs an equivariant path with a rep_out (its output size)")
        return ZeroLinear(self.rep_out.size, self.rep_out.size).to(next((p.dtype for p in self.equivariant.parameters()), torch.get_default_dtype()))

    def forward(self, X):
        """The sum of the paths, in the shape of the equivariant path's output."""
        out = self.equivariant(X)
        plain = self.plain(X).reshape(out.shape)
        if self.readout is not None:
            plain = plain + self.readout(out.reshape(len(out), -1)).reshape(out.shape)
        return out + plain

    def plain_modules(self):
        """The modules of the plain prior: the plain path and, with ``plain_readout``, ``R``."""
        return [self.plain] + ([self.readout] if self.readout is not None else [])

    def prior_penalty(self):
        """``lambda_eq |theta_eq|^2 + lambda_plain |theta_plain|^2``: the two Gaussian priors, a scalar tensor."""
        def squares(module):
            return sum(parameter.square().sum() for parameter in module.parameters())

        plain = sum(squares(module) for module in self.plain_modules())
        return self.equivariant_weight_decay * squares(self.equivariant) + self.plain_weight_decay * plain

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
