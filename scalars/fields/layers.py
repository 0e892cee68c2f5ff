"""torch layers on geometric images, equivariant to the grid's translations and ``B(d)``.

Images are tensors ``(batch, channels, n, ..., n, d, ..., d)``: ``d`` grid axes, then
``order`` tensor axes (:mod:`scalars.fields.images`).

* :class:`GeometricConv` maps images of order ``k_in`` to order ``k_out`` by a convolution
  whose filter is a learned combination of the invariant filters of order
  ``k_in + k_out`` and parity ``p_in + p_out`` (:func:`~scalars.fields.invariant_filters`),
  each filter's last ``k_in`` indices contracted with the input's: the output has order
  ``k_in + (k_in + k_out) - 2 k_in = k_out`` (Gregory et al. 2023). Every other choice of
  filter order and contractions gives a subspace of these maps, which are all the linear
  equivariant ones (a kernel ``K`` with ``K(g y) = rho_out(g) K(y) rho_in(g)^T`` is exactly an
  invariant filter of that order). The filter is assembled once per call and the
  convolution is torch's ``conv{d}d`` on ``channels * d^k`` planes.
* :class:`NormGate` is a nonlinearity for tensor channels: each tensor is scaled by a
  function of its (invariant) norm. Scalar channels (order 0, parity 0) take any pointwise
  function, such as ``torch.nn.ReLU``.
* :class:`AveragePool` averages with tent weights and keeps every ``factor``-th pixel, on
  a sub-grid through the centre pixel so that turning commutes with it; :class:`Upsample`
  goes back, by linear interpolation from that sub-grid (``factor`` times the transpose of
  the pooling) or by copying the nearest pixel.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalars.fields.filters import check_filter_size, invariant_filters
from scalars.fields.images import GridGroup, ImageRep, check_order_parity, image_shape
from scalars.nn.devices import resolve_device

__all__ = ["GeometricConv", "NormGate", "AveragePool", "Upsample", "check_images", "to_planes", "from_planes",
           "pad_planes", "CONVOLUTIONS"]

_PADDING = ("periodic", "zero")


def check_images(x, d, order, channels=None, what="images"):
    """``(batch, n)`` of a tensor of images ``(batch, channels, n, ..., n, d, ..., d)``, or a ValueError.

    Names the problem: too few axes, tensor axes not of size ``d``, a grid that is not
    square, the wrong number of channels, or NaN or infinite values.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be a torch tensor, got {type(x).__name__}")
    if x.ndim != 2 + d + order:
        raise ValueError(
            f"{what} of order {order} on a {d}-D grid have shape (batch, channels, n x{d}, d x{order}): "
            f"{2 + d + order} axes, got shape {tuple(x.shape)}"
        )
    _, n = image_shape(x, d, order, what)
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{what} need {channels} channels on axis 1, got shape {tuple(x.shape)}")
    # one sum is cheaper than an elementwise test; it is finite unless an entry is (or the sum overflows)
    if not torch.isfinite(x.sum()) and not torch.isfinite(x).all():
        raise ValueError(f"{what} contain NaN or infinite values")
    return x.shape[0], n


def to_planes(x, d, order):
    """Images (batch, channels, n.., d x order) as planes (batch, channels * d^order, n, .., n).

    Each tensor component of each channel becomes a channel of torch's convolutions, the
    components of one image channel consecutive.
    """
    batch, channels, n = x.shape[0], x.shape[1], x.shape[2]
    x = x.reshape((batch, channels, n**d, d**order)).transpose(2, 3)
    return x.reshape((batch, channels * d**order) + (n,) * d)


def from_planes(x, d, order, channels):
    """The inverse of :func:`to_planes`."""
    batch, n = x.shape[0], x.shape[-1]
    x = x.reshape(batch, channels, d**order, n**d).transpose(2, 3)
    return x.reshape((batch, channels) + (n,) * d + (d,) * order)


def pad_planes(x, d, width, padding):
    """Planes (batch, planes, n, ..., n) padded by ``width`` pixels on each side of each grid axis.

    ``padding`` "periodic" wraps the grid around, "zero" pads with zeros.
    """
    if width == 0:
        return x
    mode = "circular" if padding == "periodic" else "constant"
    return F.pad(x, (width, width) * d, mode=mode)


CONVOLUTIONS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
"""torch's convolution of planes on a grid of each dimension ``d``."""


class GeometricConv(nn.Module):
    """A convolution of tensor images with a learned combination of invariant filters.

    Equivariant to translations (periodic padding) and to ``B(d)`` (or the point group
    given) turning the grid about its centre pixel: exactly, to rounding.

    Parameters
    ----------
    in_order, out_order : int
        Tensor orders of the input and output values.
    in_channels, out_channels : int
    size : int
        Filter pixels a side; odd.
    d : {1, 2, 3}, default 2
        Grid dimension.
    in_parity, out_parity : {0, 1}, default 0
        1 for pseudo-tensors; the filters have parity ``in_parity + out_parity mod 2``.
    dilation : int, default 1
        Spacing of the filter's pixels.
    padding : {"periodic", "zero"}, default "periodic"
        "periodic" keeps the grid's size and every symmetry; "zero" keeps the size and
        the turns about the centre only on grids of odd ``n`` (a zero border breaks
        translations, and an even grid is not symmetric about its centre pixel).
    bias : bool, default True
        Adds a learned invariant tensor (multiples of ``delta`` for order 2, ...) per
        output channel, where the order and parity allow one.
    point_group : str or Group, optional
        Default ``B(d)``; ``"C(4)"`` (rotations only) allows more filters.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    filters : buffer (n_filters, size**d, d**out_order, d**in_order)
        The invariant filters, output tensor indices before input ones.
    weight : parameter (out_channels, in_channels, n_filters)
    bias : parameter (out_channels, n_bias) or None

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import GeometricConv
    >>> conv = GeometricConv(0, 1, in_channels=1, out_channels=4, size=3).double()
    >>> conv(torch.randn(2, 1, 8, 8, dtype=torch.float64)).shape    # scalar images to vector images
    torch.Size([2, 4, 8, 8, 2])
    """

    def __init__(self, in_order, out_order, in_channels, out_channels, size, d=2, in_parity=0, out_parity=0,
                 dilation=1, padding="periodic", bias=True, point_group=None, device="cpu"):
        super().__init__()
        check_order_parity(in_order, in_parity), check_order_parity(out_order, out_parity)
        for name, value in [("in_channels", in_channels), ("out_channels", out_channels), ("dilation", dilation)]:
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if padding not in _PADDING:
            raise ValueError(f"padding must be one of {_PADDING}, got {padding!r}")
        self.in_order, self.out_order, self.in_parity, self.out_parity = int(in_order), int(out_order), in_parity, out_parity
        self.in_channels, self.out_channels, self.size, self.d = int(in_channels), int(out_channels), check_filter_size(size), int(d)
        self.dilation, self.padding = int(dilation), padding
        self.point_group = f"B({self.d})" if point_group is None else point_group
        parity = (in_parity + out_parity) % 2
        basis = invariant_filters(self.d, self.size, self.in_order + self.out_order, parity, self.point_group)
        if len(basis) == 0:
            raise ValueError(
                f"no {self.size}^{self.d} filters of order {self.in_order + self.out_order} and parity {parity} are "
                f"invariant under {self.point_group}: no equivariant map from order {in_order} (parity {in_parity}) "
                f"to order {out_order} (parity {out_parity}); use a larger size or other orders"
            )
        shape = (len(basis), self.size**self.d, self.d**self.out_order, self.d**self.in_order)
        self.register_buffer("filters", torch.tensor(basis.reshape(shape), dtype=torch.get_default_dtype()))
        self.weight = nn.Parameter(torch.empty(self.out_channels, self.in_channels, len(basis), dtype=self.filters.dtype))
        offsets = invariant_filters(self.d, 1, self.out_order, out_parity, self.point_group)
        if bias and len(offsets):
            self.register_buffer("bias_tensors", torch.tensor(offsets, dtype=torch.get_default_dtype()))
            self.bias = nn.Parameter(torch.empty(self.out_channels, len(offsets), dtype=self.filters.dtype))
        else:
            self.register_buffer("bias_tensors", None)
            self.bias = None
        self.reset_parameters()
        self.to(resolve_device(device, "GeometricConv: device"))

    def reset_parameters(self):
        """Weights normal with variance ``d^out_order / (in_channels * n_filters)``; bias zero."""
        fan_in = self.in_channels * self.weight.shape[-1]
        nn.init.normal_(self.weight, std=math.sqrt(self.d**self.out_order / fan_in))
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def kernel(self):
        """The convolution weight (out_channels * d^out_order, in_channels * d^in_order, size, ..., size)."""
        kernel = torch.einsum("oir,rsab->oaibs", self.weight, self.filters)
        shape = (self.out_channels * self.d**self.out_order, self.in_channels * self.d**self.in_order)
        return kernel.reshape(shape + (self.size,) * self.d)

    def forward(self, x):
        """Images (batch, in_channels, n.., d x in_order) -> (batch, out_channels, n.., d x out_order)."""
        check_images(x, self.d, self.in_order, self.in_channels, "the input images")
        planes = pad_planes(to_planes(x, self.d, self.in_order), self.d, self.dilation * (self.size // 2), self.padding)
        out = CONVOLUTIONS[self.d](planes, self.kernel().to(x.dtype), dilation=self.dilation)
        out = from_planes(out, self.d, self.out_order, self.out_channels)
        if self.bias is not None:
            offset = (self.bias @ self.bias_tensors).to(x.dtype)  # (out_channels, d^out_order)
            out = out + offset.reshape((1, self.out_channels) + (1,) * self.d + (self.d,) * self.out_order)
        return out

    def image_reps(self, n):
        """``(rep_in, rep_out)``: :class:`ImageRep` of the input and output on grids of ``n`` pixels a
        side, bound to the grid's group (translations and the point group), for
        ``scalars.testing.assert_equivariant(conv, group, X, layout=rep_in, output=rep_out)``."""
        group = GridGroup(n, self.point_group)
        return (ImageRep(n, self.in_order, self.in_parity, self.in_channels)(group),
                ImageRep(n, self.out_order, self.out_parity, self.out_channels)(group))

    def extra_repr(self):
        return (f"{self.in_channels}xT{self.in_order} -> {self.out_channels}xT{self.out_order}, size={self.size}, "
                f"d={self.d}, filters={self.filters.shape[0]}, dilation={self.dilation}, padding={self.padding!r}")


class NormGate(nn.Module):
    """Scale each tensor by a function of its norm: ``x * sigmoid(|x| / s_c + b_c)``, per channel.

    The norm over the tensor indices of a pixel is invariant under ``B(d)`` (orthogonal
    matrices, and signs for pseudo-tensors), so the gate is equivariant for any order and
    parity; a learned scale ``s_c > 0`` and offset ``b_c`` per channel.

    Parameters
    ----------
    order : int
    channels : int
    d : int, default 2
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(self, order, channels, d=2, device="cpu"):
        super().__init__()
        check_order_parity(order, 0)
        self.order, self.channels, self.d = int(order), int(channels), int(d)
        self.log_scale = nn.Parameter(torch.zeros(self.channels))
        self.offset = nn.Parameter(torch.zeros(self.channels))
        self.to(resolve_device(device, "NormGate: device"))

    def reset_parameters(self):
        nn.init.zeros_(self.log_scale), nn.init.zeros_(self.offset)

    def forward(self, x):
        check_images(x, self.d, self.order, self.channels)
        tensor_axes = tuple(range(x.ndim - self.order, x.ndim))
        norm = torch.sqrt((x * x).sum(tensor_axes, keepdim=True) + 1e-12) if self.order else x.abs()
        shape = (1, self.channels) + (1,) * (x.ndim - 2)
        gate = torch.sigmoid(norm * torch.exp(-self.log_scale).reshape(shape) + self.offset.reshape(shape))
        return x * gate


class AveragePool(nn.Module):
    """Average with tent weights and keep every ``factor``-th pixel along each axis, about the centre.

    The pooled pixel at a kept pixel ``i`` is the average of its neighbours ``i + k`` with
    weights ``prod_axes (f - |k_a|) / f^2`` (``|k_a| < f = factor``): the transpose of linear
    interpolation, so every pixel counts equally and the image's mean is kept. The kept
    pixels are those with ``i = c mod factor`` on each axis (``c = n // 2``), so the centre
    pixel is kept: turning the grid about its centre commutes with the pooling, as do
    translations by multiples of ``factor`` (periodic). ``n`` must be a multiple of
    ``factor``; the output has ``n / factor`` pixels a side and the same tensor order.

    Parameters
    ----------
    factor : int
    d : int, default 2
    order : int, default 0
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(self, factor, d=2, order=0, device="cpu"):
        super().__init__()
        if int(factor) != factor or factor < 1:
            raise ValueError(f"factor must be a positive integer, got {factor!r}")
        self.factor, self.d, self.order = int(factor), int(d), int(order)
        tent = (self.factor - np.abs(np.arange(1 - self.factor, self.factor))) / self.factor**2
        weights = tent
        for _ in range(self.d - 1):
            weights = np.multiply.outer(weights, tent)
        self.register_buffer("weights", torch.tensor(weights, dtype=torch.get_default_dtype()))
        self.to(resolve_device(device, "AveragePool: device"))

    def forward(self, x):
        _, n = check_images(x, self.d, self.order)
        if n % self.factor:
            raise ValueError(f"AveragePool: the grid's {n} pixels a side are not a multiple of factor {self.factor}")
        channels = x.shape[1]
        planes = pad_planes(to_planes(x, self.d, self.order), self.d, self.factor - 1, "periodic")
        start = (n // 2) % self.factor
        planes = planes[(slice(None), slice(None)) + (slice(start, None),) * self.d]
        kernel = self.weights.to(x.dtype).expand((planes.shape[1], 1) + self.weights.shape)
        pooled = CONVOLUTIONS[self.d](planes, kernel, stride=self.factor, groups=planes.shape[1])
        return from_planes(pooled, self.d, self.order, channels)


class Upsample(nn.Module):
    """Images of ``m`` pixels a side to ``factor * m``: the coarse pixels on a sub-grid through the centre.

    Coarse pixel ``j`` sits on the fine pixel ``s + factor * j`` (``s = c mod factor``,
    ``c = (factor * m) // 2``: the pixels :class:`~scalars.fields.AveragePool` keeps, so the coarse centre
    ``m // 2`` sits on the fine centre), and every fine pixel is filled from its coarse
    neighbours along each axis:

    * ``"linear"``: ``(1 - r / f) x_j + (r / f) x_(j+1)`` at ``s + f j + r``, ``0 <= r < f``
      (periodic), which is ``f^d`` times the transpose of :class:`~scalars.fields.AveragePool`: its
      weights depend only on distances to the sub-grid, so turning the grid about its centre
      commutes with it, for any ``factor``;
    * ``"nearest"``: the value of the nearest coarse pixel; only for odd ``factor``, since
      for even ones a fine pixel half-way between two coarse ones has no nearest one that a
      reflection keeps.

    Translations by ``t`` coarse pixels become translations by ``factor * t`` fine ones.
    The tensor values are copied or averaged, so any order and parity is kept.

    Parameters
    ----------
    factor : int
    d : int, default 2
    order : int, default 0
    mode : {"linear", "nearest"}, default "linear"
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import AveragePool, Upsample
    >>> x = torch.randn(2, 3, 4, 4, 2, dtype=torch.float64)                # vector images
    >>> Upsample(2, order=1)(x).shape
    torch.Size([2, 3, 8, 8, 2])
    >>> bool(torch.allclose(AveragePool(2, order=1)(Upsample(2, order=1)(x)).mean((2, 3)), x.mean((2, 3))))
    True
    """

    _MODES = ("linear", "nearest")

    def __init__(self, factor, d=2, order=0, mode="linear", device="cpu"):
        super().__init__()
        if int(factor) != factor or factor < 1:
            raise ValueError(f"factor must be a positive integer, got {factor!r}")
        if mode not in self._MODES:
            raise ValueError(f"mode must be one of {self._MODES}, got {mode!r}")
        if mode == "nearest" and factor % 2 == 0:
            raise ValueError(f"mode='nearest' needs an odd factor (an even one has no symmetric nearest pixel), got {factor}")
        self.factor, self.d, self.order, self.mode = int(factor), int(d), int(order), mode
        self.to(resolve_device(device, "Upsample: device"))

    def _sources(self, m):
        """Per fine pixel along one axis: two coarse pixels and the weight of the second."""
        f, n = self.factor, self.factor * m
        offset = np.arange(n) - (n // 2) % f  # from the first sub-grid pixel
        if self.mode == "nearest":
            near = np.floor_divide(offset + f // 2, f) % m
            return near, near, np.zeros(n)
        below, r = np.floor_divide(offset, f), np.mod(offset, f)
        return below % m, (below + 1) % m, r / f

    def forward(self, x):
        check_images(x, self.d, self.order)
        m = x.shape[2]
        below, above, weight = self._sources(m)
        below, above = torch.as_tensor(below, device=x.device), torch.as_tensor(above, device=x.device)
        for axis in range(2, 2 + self.d):
            shape = [1] * x.ndim
            shape[axis] = -1
            w = torch.as_tensor(weight, dtype=x.dtype, device=x.device).reshape(shape)
            x = (1 - w) * x.index_select(axis, below) + w * x.index_select(axis, above)
        return x
