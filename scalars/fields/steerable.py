"""Steerable filters for rotations: circular harmonics times radial profiles (escnn's ``R2Conv``).

The first classic way, for the rotations of the plane: a feature is a *field* of irreducible
representations of ``SO(2)`` (or ``O(2)``), one per *frequency* ``m``: a scalar for ``m = 0``,
a 2-vector turned by ``R(m alpha)`` (and flipped to ``(x, -y)`` by the reflection) for
``m >= 1``. A convolution maps fields of frequency ``m_in`` to ``m_out`` when its kernel obeys

.. math::

    K(g y) = \\rho_{m_{out}}(g) \\, K(y) \\, \\rho_{m_{in}}(g)^{\\mathsf T},

and the solutions (Weiler & Cesa 2019, "General E(2)-equivariant steerable CNNs") are
radial profiles times circular harmonics ``cos k theta``, ``sin k theta`` of frequencies
``k = |m_out - m_in|`` and ``m_out + m_in``. :func:`steerable_filters` gets them from the
package's solver: the harmonics of frequencies ``0..band_limit`` are the representation
:class:`CircularRep` summed over ``k``, and the filters are the equivariant maps
``rho_in -> harmonics (x) rho_out`` (:func:`scalars.reps.equivariant_basis`), sampled on the
filter's pixels with Gaussian rings of radius ``0, 1, ..., size // 2`` (width 0.6; a ring
of radius ``r`` carries frequencies up to ``2 r``, as escnn's default). The kernel holds
for every rotation, so on the grid it holds exactly for the quarter turns ``C(4)`` (and,
with ``reflections=True``, ``D(4)``), which map pixels to pixels: those are what the
tests check, to rounding.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalars.fields.filters import check_filter_size
from scalars.fields.images import act, image_shape
from scalars.groups import get_group
from scalars.nn.devices import resolve_device
from scalars.reps import Rep, equivariant_basis

__all__ = ["CircularRep", "field_matrix", "act_fields", "steerable_filters", "SteerableConv", "FieldGate"]

_SIGMA = 0.6
_FLIP = np.diag([1.0, -1.0])


class CircularRep(Rep):
    """The irreducible representation of ``SO(2)`` or ``O(2)`` of frequency ``m``.

    ``m = 0``: the trivial one (1 column). ``m >= 1``: 2 columns, a rotation by ``alpha``
    acting as ``R(m alpha)``, the reflection ``diag(1, -1)`` as ``diag(1, -1)``. Also the
    coefficients ``(c, s)`` of a circular harmonic ``c cos m theta + s sin m theta``,
    turned as a function.

    Parameters
    ----------
    frequency : int
        Non-negative.
    """

    def __init__(self, frequency, group=None):
        if int(frequency) != frequency or frequency < 0:
            raise ValueError(f"frequency must be a non-negative integer, got {frequency!r}")
        self.frequency, self.group = int(frequency), group

    def bind(self, group):
        return CircularRep(self.frequency, group)

    def _size(self):
        return 1 if self.frequency == 0 else 2

    def rho(self, g):
        return field_matrix(np.asarray(self.group.real_form(g), dtype=float), (self.frequency,))

    def drho(self, A):
        A = np.asarray(A, dtype=float)
        return np.zeros((1, 1)) if self.frequency == 0 else self.frequency * A

    def key(self):
        return ("circular", self.frequency, self.group)

    def __str__(self):
        return f"Circular({self.frequency})"


def field_matrix(g, frequencies):
    """The block-diagonal matrix of a 2 x 2 orthogonal ``g`` on a field of ``frequencies``.

    Parameters
    ----------
    g : array-like (2, 2)
        A rotation, or a reflection ``R(alpha) diag(1, -1)``.
    frequencies : tuple of int

    Returns
    -------
    ndarray (dim, dim), ``dim`` = 1 per frequency 0 and 2 per other frequency.
    """
    g = np.asarray(g, dtype=float)
    reflected = np.linalg.det(g) < 0
    rotation = g @ _FLIP if reflected else g
    alpha = math.atan2(rotation[1, 0], rotation[0, 0])
    blocks = []
    for m in frequencies:
        if m == 0:
            blocks.append(np.ones((1, 1)))
            continue
        c, s = math.cos(m * alpha), math.sin(m * alpha)
        block = np.array([[c, -s], [s, c]])
        blocks.append(block @ _FLIP if reflected else block)
    dim = sum(len(b) for b in blocks)
    out, start = np.zeros((dim, dim)), 0
    for block in blocks:
        out[start : start + len(block), start : start + len(block)] = block
        start += len(block)
    return out


def _dim(frequencies):
    return sum(1 if m == 0 else 2 for m in frequencies)


def act_fields(g, fields, frequencies, shift=None):
    """Apply a signed permutation ``g`` (and a shift) to fields ``(batch, channels * dim, n, n)``.

    Each channel holds the components of ``frequencies`` in order; the pixels turn about the
    centre pixel (:func:`~scalars.fields.act`) and the components by :func:`field_matrix`.
    """
    dim = _dim(frequencies)
    batch, planes, n = fields.shape[0], fields.shape[1], fields.shape[-1]
    moved = act(g, fields, 0, shift=shift).reshape(batch, planes // dim, dim, n, n)
    matrix = torch.as_tensor(field_matrix(g, frequencies), dtype=fields.dtype)
    return torch.einsum("ab,ncbij->ncaij", matrix, moved).reshape(fields.shape)


def _harmonics(theta, band_limit):
    """``[1, cos t, sin t, cos 2t, sin 2t, ...]`` up to ``band_limit``: (..., 2 band_limit + 1)."""
    columns = [np.ones_like(theta)]
    for k in range(1, band_limit + 1):
        columns += [np.cos(k * theta), np.sin(k * theta)]
    return np.stack(columns, axis=-1)


def steerable_filters(size, in_frequency, out_frequency, band_limit=2, reflections=False):
    """A basis of the steerable filters from frequency ``in_frequency`` to ``out_frequency``.

    Parameters
    ----------
    size : int
        Pixels a side; odd.
    in_frequency, out_frequency : int
        Frequencies of the input and output fields.
    band_limit : int, default 2
        The largest harmonic frequency of the filters.
    reflections : bool, default False
        ``O(2)`` (rotations and reflections) instead of ``SO(2)``.

    Returns
    -------
    ndarray (n_filters, size * size, out_dim, in_dim), float64
        Orthonormal (as vectors); pixels in C order. Equivariant to ``C(4)`` (``D(4)`` with
        reflections) on the grid. Possibly empty (no harmonic within the band limit).

    Examples
    --------
    >>> from scalars.fields.steerable import steerable_filters
    >>> steerable_filters(5, 0, 0).shape                 # one radial profile per ring
    (3, 25, 1, 1)
    >>> steerable_filters(5, 0, 1).shape                 # gradient-like filters on rings 1 and 2
    (4, 25, 2, 1)
    """
    size = check_filter_size(size)
    for name, value in [("in_frequency", in_frequency), ("out_frequency", out_frequency), ("band_limit", band_limit)]:
        if int(value) != value or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    group = get_group("O(2)" if reflections else "SO(2)")
    harmonics = sum(CircularRep(k) for k in range(band_limit + 1))
    rep_in, rep_out = CircularRep(in_frequency)(group), CircularRep(out_frequency)(group)
    solutions = equivariant_basis(rep_in, (harmonics @ CircularRep(out_frequency))(group))  # (H * out * in, r)
    out_dim, in_dim = rep_out.size, rep_in.size
    solutions = solutions.T.reshape(-1, 2 * band_limit + 1, out_dim, in_dim)
    offsets = np.indices((size, size)).reshape(2, -1).T - size // 2
    radius, theta = np.hypot(offsets[:, 0], offsets[:, 1]), np.arctan2(offsets[:, 1], offsets[:, 0])
    waves = _harmonics(theta, band_limit)
    waves[radius == 0, 1:] = 0.0  # no direction at the middle pixel: only frequency 0 there
    frequency = np.r_[0, np.repeat(np.arange(1, band_limit + 1), 2)]
    filters = []
    for ring in range(size // 2 + 1):
        profile = np.exp(-((radius - ring) ** 2) / (2 * _SIGMA**2))
        allowed = (frequency <= 2 * ring).astype(float)  # a ring of radius r carries frequencies up to 2 r
        for solution in solutions:
            filters.append(np.einsum("p,ph,h,hab->pab", profile, waves, allowed, solution))
    if not filters:
        return np.zeros((0, size * size, out_dim, in_dim))
    flat = np.array(filters).reshape(len(filters), -1)
    u, s, vt = np.linalg.svd(flat, full_matrices=False)
    keep = s > 1e-8 * max(s.max(initial=0.0), 1e-300)
    return vt[keep].reshape(-1, size * size, out_dim, in_dim)


class SteerableConv(nn.Module):
    """A convolution of fields of circular frequencies with learned steerable filters.

    Parameters
    ----------
    in_frequencies, out_frequencies : tuple of int
        The frequencies each channel holds, e.g. ``(0, 1, 2)`` (a scalar, then two 2-vectors).
    in_channels, out_channels : int
    size : int
        Odd.
    band_limit : int, default 2
    reflections : bool, default False
        ``O(2)`` filters (equivariant to ``D(4)`` on the grid) instead of ``SO(2)`` (``C(4)``).
    dilation : int, default 1
    bias : bool, default True
        On the frequency-0 components of the output.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Fields are tensors ``(batch, channels * dim, n, n)``, each channel's ``dim`` components
    in the order of its frequencies; the padding is periodic (the grid keeps every symmetry).

    Attributes
    ----------
    filters : buffer (n_filters, out_dim, in_dim, size, size)
        All pairs' steerable filters, each placed in its block.
    weight : parameter (out_channels, in_channels, n_filters)

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import SteerableConv
    >>> SteerableConv((0,), (0, 1), 1, 4, size=5)(torch.zeros(2, 1, 8, 8)).shape   # 4 x 3 planes
    torch.Size([2, 12, 8, 8])
    """

    def __init__(self, in_frequencies, out_frequencies, in_channels, out_channels, size, band_limit=2, reflections=False,
                 dilation=1, bias=True, device="cpu"):
        super().__init__()
        for name, value in [("in_channels", in_channels), ("out_channels", out_channels), ("dilation", dilation)]:
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.in_frequencies, self.out_frequencies = tuple(in_frequencies), tuple(out_frequencies)
        self.in_channels, self.out_channels, self.size = int(in_channels), int(out_channels), check_filter_size(size)
        self.band_limit, self.reflections, self.dilation = band_limit, bool(reflections), int(dilation)
        self.in_dim, self.out_dim = _dim(self.in_frequencies), _dim(self.out_frequencies)
        self.register_buffer("filters", torch.tensor(self._filters(), dtype=torch.get_default_dtype()))
        if len(self.filters) == 0:
            raise ValueError(f"no steerable filters from frequencies {self.in_frequencies} to {self.out_frequencies} "
                             f"within band_limit={band_limit} on {size} x {size} pixels")
        self.weight = nn.Parameter(torch.empty(self.out_channels, self.in_channels, len(self.filters)))
        scalars = [i for i, m in enumerate(self._components(self.out_frequencies)) if m == 0]
        self.register_buffer("bias_components", torch.tensor(scalars, dtype=torch.long))
        self.bias = nn.Parameter(torch.empty(self.out_channels, len(scalars))) if bias and scalars else None
        self.reset_parameters()
        self.to(resolve_device(device, "SteerableConv: device"))

    @staticmethod
    def _components(frequencies):
        return [m for m in frequencies for _ in range(1 if m == 0 else 2)]

    def _filters(self):
        blocks, out_start = [], 0
        for m_out in self.out_frequencies:
            in_start = 0
            for m_in in self.in_frequencies:
                basis = steerable_filters(self.size, m_in, m_out, self.band_limit, self.reflections)
                placed = np.zeros((len(basis), self.size**2, self.out_dim, self.in_dim))
                placed[:, :, out_start : out_start + basis.shape[2], in_start : in_start + basis.shape[3]] = basis
                blocks.append(placed)
                in_start += _dim((m_in,))
            out_start += _dim((m_out,))
        filters = np.concatenate(blocks)
        return np.moveaxis(filters, 1, -1).reshape((len(filters), self.out_dim, self.in_dim, self.size, self.size))

    def reset_parameters(self):
        """Weights normal with variance ``2 out_dim / (in_channels * n_filters)``; bias zero."""
        nn.init.normal_(self.weight, std=math.sqrt(2.0 * self.out_dim / (self.in_channels * len(self.filters))))
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def kernel(self):
        """The convolution weight (out_channels * out_dim, in_channels * in_dim, size, size)."""
        kernel = torch.einsum("oir,rabxy->oaibxy", self.weight, self.filters)
        return kernel.reshape(self.out_channels * self.out_dim, self.in_channels * self.in_dim, self.size, self.size)

    def forward(self, x):
        """Fields (batch, in_channels * in_dim, n, n) -> (batch, out_channels * out_dim, n, n)."""
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != self.in_channels * self.in_dim:
            raise ValueError(f"the input fields must have shape (batch, {self.in_channels * self.in_dim}, n, n) "
                             f"({self.in_channels} channels of frequencies {self.in_frequencies}), "
                             f"got shape {tuple(getattr(x, 'shape', ()))}")
        image_shape(x, 2, 0, "the input fields")
        if not torch.isfinite(x.sum()) and not torch.isfinite(x).all():
            raise ValueError("the input fields contain NaN or infinite values")
        width = self.dilation * (self.size // 2)
        out = F.conv2d(F.pad(x, (width,) * 4, mode="circular"), self.kernel().to(x.dtype), dilation=self.dilation)
        if self.bias is not None:
            n = out.shape[-1]
            out = out.reshape(len(x), self.out_channels, self.out_dim, n, n)
            offset = torch.zeros(self.out_channels, self.out_dim, dtype=out.dtype)
            offset[:, self.bias_components] = self.bias.to(out.dtype)
            out = (out + offset[None, :, :, None, None]).reshape(len(x), -1, n, n)
        return out

    def extra_repr(self):
        return (f"{self.in_channels}x{self.in_frequencies} -> {self.out_channels}x{self.out_frequencies}, size={self.size}, "
                f"band_limit={self.band_limit}, reflections={self.reflections}, filters={len(self.filters)}")


class FieldGate(nn.Module):
    """ReLU on the frequency-0 components, ``v * sigmoid(|v| - b)`` on each 2-vector of ``m >= 1``.

    The norm of a 2-vector is unchanged by every ``rho_m(g)``: the gate is equivariant.

    Parameters
    ----------
    frequencies : tuple of int
    channels : int
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(self, frequencies, channels, device="cpu"):
        super().__init__()
        self.frequencies, self.channels = tuple(frequencies), int(channels)
        self.offset = nn.Parameter(torch.zeros(self.channels, sum(1 for m in self.frequencies if m)))
        self.to(resolve_device(device, "FieldGate: device"))

    def forward(self, x):
        dim = _dim(self.frequencies)
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != self.channels * dim:
            raise ValueError(f"fields of {self.channels} channels of frequencies {self.frequencies} have shape "
                             f"(batch, {self.channels * dim}, n, n), got shape {tuple(getattr(x, 'shape', ()))}")
        batch, n = x.shape[0], x.shape[-1]
        x = x.reshape(batch, self.channels, dim, n, n)
        parts, start, vector = [], 0, 0
        for m in self.frequencies:
            if m == 0:
                parts.append(torch.relu(x[:, :, start : start + 1]))
                start += 1
                continue
            v = x[:, :, start : start + 2]
            norm = torch.sqrt((v * v).sum(2, keepdim=True) + 1e-12)
            parts.append(v * torch.sigmoid(norm - self.offset[:, vector].reshape(1, -1, 1, 1, 1)))
            start, vector = start + 2, vector + 1
        return torch.cat(parts, dim=2).reshape(batch, -1, n, n)
