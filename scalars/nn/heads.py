"""Equivariant torch heads: an MLP on the invariants weighting an equivariant basis.

A head maps flat rows ``X`` of shape (..., n_features), read with ``layout``, to

- :class:`InvariantMLP`: an invariant scalar, shape (...,);
- :class:`VectorHead`: ``sum_s f_s(invariants) b_s`` over ``group.vector_basis`` (the input
  vectors, plus cross products for SO(d)), shape (..., d);
- :class:`TensorHead`: ``sum_K f_K(invariants) T_K`` over ``group.tensor_basis``
  (symmetrised outer products and I, or eta for the Lorentz group), shape (..., d, d).

The invariants are encoded and standardised (:class:`~scalars.nn.InvariantEncoder`) and
the output is rescaled to the units of the target, with statistics set once from training
data by :meth:`EquivariantHead.fit_statistics` and stored as buffers, so that a head saves
and loads with ``torch.save(head.state_dict())`` and ``torch.load(..., weights_only=True)``.
"""

import torch
from torch import nn

from scalars.expansion import EquivariantExpansion
from scalars.nn.devices import resolve_device
from scalars.nn.encoding import InvariantEncoder
from scalars.nn.layers import location_scale, mlp

__all__ = ["EquivariantHead", "InvariantMLP", "VectorHead", "TensorHead"]


class _Block(nn.Module):
    """Coefficient functions of one block of terms: encoder then MLP, (..., m) -> (..., K)."""

    def __init__(self, n_invariants, n_basis, hidden, encoding, activation, bilinear):
        super().__init__()
        self.encoder = InvariantEncoder(n_invariants, encoding)
        self.net = mlp(self.encoder.n_outputs, n_basis, hidden, activation, bilinear=bilinear)

    def forward(self, invariants):
        return self.net(self.encoder(invariants))


def _check_range(invariants, X):
    """Raise if the invariants of finite ``X`` overflow its dtype (a NaN loss otherwise)."""
    if not torch.isfinite(invariants).all() and torch.isfinite(X).all():
        raise ValueError(
            f"the invariants of X overflow {invariants.dtype}: X is finite with entries up to "
            f"{X.abs().max().item():.3g}, but a product of two of them is not; rescale X"
        )


class EquivariantHead(nn.Module):
    """``y = scale * sum_terms sum_k f_k(invariants) B_k + offset`` for any group.

    Parameters
    ----------
    group : str or Group
    layout : str or Layout
        Column layout of the flat input, e.g. ``"5T0+5T1"``.
    output : str, default="T0"
        ``"T0"``, ``"T1"``, ``"T2"``, a sum such as ``"T0+T1"``, or with particles one per
        particle (``"5T1"`` for ``particles=5``); see :class:`scalars.expansion.EquivariantExpansion`.
    particles : int, default=None
        Interchangeable particles the scalars and vectors split into; the head then sums
        shared functions over particles and ordered pairs (see :mod:`scalars.expansion`).
    hidden : tuple of int, default=(64, 64)
        Hidden layer widths of each coefficient MLP.
    encoding : {None, "log", "rbf"}, default=None
        Per-feature encoding of the invariants, see :class:`~scalars.nn.InvariantEncoder`.
    activation : nn.Module class, default=nn.SiLU
    bilinear : int, default=0
        Rank of a :class:`~scalars.nn.BilinearReadout` ending each coefficient MLP; 0 for
        a linear output layer.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    expansion : EquivariantExpansion
    rep_in, rep_out : Rep
        The representations on the input columns and on the output columns.
    blocks : nn.ModuleList
        One coefficient network per block of terms.
    output_scale, output_offset : buffers of shape ()
        Target scale and (invariant outputs only) offset, set by :meth:`fit_statistics`.
    """

    def __init__(
        self, group, layout, output="T0", particles=None, hidden=(64, 64), encoding=None, activation=nn.SiLU, bilinear=0,
        device="cpu",
    ):
        super().__init__()
        self.expansion = EquivariantExpansion(group, layout, output, particles)
        self.rep_in, self.rep_out = self.expansion.rep_in, self.expansion.output_rep
        probe = torch.zeros(1, self.expansion.n_features, dtype=torch.float64)
        self.blocks = nn.ModuleList(
            _Block(invariants.shape[-1], sum(self.expansion.basis_sizes(bases)), tuple(hidden), encoding, activation, bilinear)
            for invariants, bases in self.expansion.blocks(probe)
        )
        self.register_buffer("output_scale", torch.tensor(1.0))
        self.register_buffer("output_offset", torch.tensor(0.0))
        self.to(resolve_device(device, "EquivariantHead: device"))

    def forward(self, X):
        """Predict from flat rows.

        Parameters
        ----------
        X : tensor of shape (..., n_features)

        Returns
        -------
        tensor of shape (..., *expansion.output_shape): (...,), (..., d) or (..., d, d),
        with a particle axis for per-particle outputs (..., k, ...), or the columns of a
        sum of outputs (..., n_output_columns); complex for vectors of U(d)
        """
        lead = X.shape[:-1]
        totals = None
        for index, (block, (z, bases)) in enumerate(zip(self.blocks, self.expansion.blocks(X.reshape(-1, X.shape[-1])))):
            _check_range(z, X)
            outputs = self.expansion.combine(block(z), bases, index)
            totals = outputs if totals is None else [total + out for total, out in zip(totals, outputs)]
        out = self.expansion.assemble(totals) * self.output_scale + self.output_offset
        return out.reshape(tuple(lead) + tuple(out.shape[1:]))

    @torch.no_grad()
    def fit_statistics(self, X, y=None):
        """Set the encoders' statistics from training inputs and the output scale from targets.

        Parameters
        ----------
        X : tensor of shape (n_samples, n_features)
        y : tensor of shape (n_samples, *output_shape), optional
            For scalar outputs (invariant or one per particle) the offset becomes the mean
            and the scale the standard deviation; otherwise (no equivariant offset) the
            scale becomes the root mean square.

        Returns
        -------
        self
        """
        for block, (invariants, _) in zip(self.blocks, self.expansion.blocks(X)):
            block.encoder.fit(invariants)
        if y is not None:
            scalar = all(slot.kind == "T0" for slot in self.expansion.outputs)
            offset, spread = location_scale(y, center="mean" if scalar else None, pooled=True)
            self.output_offset.fill_(offset)
            self.output_scale.fill_(spread)
        return self


class InvariantMLP(EquivariantHead):
    """An invariant scalar ``f(invariants)``: an :class:`EquivariantHead` with ``output="T0"``."""

    def __init__(
        self, group, layout, particles=None, hidden=(64, 64), encoding=None, activation=nn.SiLU, bilinear=0, device="cpu",
    ):
        super().__init__(group, layout, "T0", particles, hidden, encoding, activation, bilinear, device=device)


class VectorHead(EquivariantHead):
    """An equivariant vector ``sum_s f_s(invariants) b_s``: ``output="T1"``."""

    def __init__(
        self, group, layout, particles=None, hidden=(64, 64), encoding=None, activation=nn.SiLU, bilinear=0, device="cpu",
    ):
        super().__init__(group, layout, "T1", particles, hidden, encoding, activation, bilinear, device=device)


class TensorHead(EquivariantHead):
    """An equivariant symmetric tensor ``sum_K f_K(invariants) T_K``: ``output="T2"``."""

    def __init__(
        self, group, layout, particles=None, hidden=(64, 64), encoding=None, activation=nn.SiLU, bilinear=0, device="cpu",
    ):
        super().__init__(group, layout, "T2", particles, hidden, encoding, activation, bilinear, device=device)
