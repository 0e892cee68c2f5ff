"""Regular group convolutions for p4 and p4m: images lifted to functions on the group.

The second of the three classic ways to make a convolution rotation equivariant (Cohen &
Welling 2016, "Group equivariant convolutional networks"): a *group feature map* holds one
scalar image per element ``h`` of the point group ``H`` (``C(4)`` for p4, ``D(4)`` =
``B(2)`` for p4m), a tensor ``(batch, channels, |H|, n, n)`` (``n_H = |H|`` in the shapes below). An element ``g`` of ``H``
turns each image about the centre pixel (:func:`~scalars.fields.act`) and permutes the
images by left multiplication, the regular representation:

.. math::

    (g \\cdot f)_h = g \\cdot f_{g^{-1} h}.

* :class:`LiftingConv` maps scalar images to group feature maps, correlating the input
  with every turned copy ``h . psi`` of one learned filter: ``out_h = x * (h . psi)``.
* :class:`GroupConv` maps group feature maps to group feature maps:
  ``out_h = sum_k f_k * (h . psi_{h^{-1} k})``.
* :class:`GroupPool` averages (or takes the maximum) over the ``|H|`` images: scalar
  images, invariant on the fibre and still equivariant on the grid.

All three commute exactly with the point group and with translations (periodic padding):
a turned correlation is the correlation of the turned image with the turned filter, and
the sums over ``k`` are reindexed by the group law. The stacked filter
``(out_channels * |H|, in_channels [* |H|], size, size)`` is assembled once per call, by
indexing, and passed to one ``torch.nn.functional.conv2d``.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from scalars._backend import as_index
from scalars.fields.filters import check_filter_size
from scalars.fields.images import act, image_shape, pixel_sources, signed_permutation
from scalars.groups import get_group
from scalars.nn.devices import resolve_device

__all__ = ["point_group_elements", "act_regular", "LiftingConv", "GroupConv", "GroupPool"]

_PADDING = ("periodic", "zero")


def point_group_elements(point_group):
    """The elements of a 2-D point group as integer signed permutations, and its table.

    Parameters
    ----------
    point_group : str or Group
        ``"C(4)"`` (p4), ``"D(4)"`` or ``"B(2)"`` (p4m), or any finite group of 2 x 2
        signed permutations.

    Returns
    -------
    elements : ndarray of int, shape (m, 2, 2)
        In the group's order (``elements[0]`` need not be the identity).
    quotient : ndarray of int, shape (m, m)
        ``quotient[g, h]`` is the index of ``g^{-1} h``.
    """
    group = get_group(point_group)
    if not group.is_finite or group.d != 2:
        raise ValueError(f"point_group must be a finite group of 2 x 2 signed permutations (C(4), D(4), B(2)), got {group.name}")
    elements = np.array([signed_permutation(g, 2) for g in group.elements()])
    index = {g.tobytes(): i for i, g in enumerate(elements)}
    quotient = np.array([[index[(g.T @ h).tobytes()] for h in elements] for g in elements])
    return elements, quotient


def act_regular(g, features, point_group, shift=None):
    """Apply ``g`` (and a translation) to group feature maps ``(..., |H|, n, n)``.

    Parameters
    ----------
    g : array-like (2, 2)
        An element of the point group.
    features : ndarray or torch tensor of shape (..., n_H, n, n)
        One scalar image per element of ``point_group``, in its order.
    point_group : str or Group
    shift : array-like of int (2,), optional
        A translation applied after ``g``.

    Returns
    -------
    Same type and shape: ``out[..., h, :, :] = g . features[..., g^{-1} h, :, :]``.
    """
    elements, quotient = point_group_elements(point_group)
    g = signed_permutation(g, 2)
    matches = np.flatnonzero(np.all(elements == g, axis=(1, 2)))
    if len(matches) == 0:
        raise ValueError(f"g = {g.tolist()} is not an element of {get_group(point_group).name}")
    if features.ndim < 3 or features.shape[-3] != len(elements):
        raise ValueError(f"group feature maps of {get_group(point_group).name} need shape (..., {len(elements)}, n, n), "
                         f"got shape {tuple(features.shape)}")
    permuted = features[..., as_index(quotient[matches[0]], features), :, :]
    return act(g, permuted, 0, shift=shift)


def _turned_filters(weight, sources):
    """``weight`` (..., s, s) turned about its middle by each element: (m, ..., s, s), by indexing.

    ``sources`` (m, s * s) are the :func:`~scalars.fields.images.pixel_sources` of the elements.
    """
    size = weight.shape[-1]
    flat = weight.reshape(weight.shape[:-2] + (size * size,))
    return flat[..., sources].movedim(-2, 0).reshape((len(sources),) + tuple(weight.shape))


class _RegularConv(nn.Module):
    """Shared: validation, parameters, padding and the one ``conv2d`` call."""

    def __init__(self, in_channels, out_channels, size, fibre, point_group, dilation, padding, bias):
        super().__init__()
        for name, value in [("in_channels", in_channels), ("out_channels", out_channels), ("dilation", dilation)]:
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if padding not in _PADDING:
            raise ValueError(f"padding must be one of {_PADDING}, got {padding!r}")
        self.in_channels, self.out_channels, self.size = int(in_channels), int(out_channels), check_filter_size(size)
        self.dilation, self.padding, self.point_group = int(dilation), padding, point_group
        elements, quotient = point_group_elements(point_group)
        self.register_buffer("elements", torch.as_tensor(elements), persistent=False)
        self.register_buffer("quotient", torch.as_tensor(quotient), persistent=False)
        sources = np.stack([pixel_sources(h, self.size) for h in elements])
        self.register_buffer("sources", torch.as_tensor(sources), persistent=False)
        self.weight = nn.Parameter(torch.empty((self.out_channels, self.in_channels) + fibre + (self.size, self.size)))
        self.bias = nn.Parameter(torch.empty(self.out_channels)) if bias else None
        self.reset_parameters()

    @property
    def group_order(self):
        """``|H|``: images per channel of a group feature map."""
        return len(self.elements)

    def reset_parameters(self):
        """Weights normal with variance ``2 / fan_in`` (He); bias zero."""
        fan_in = self.weight[0].numel()
        nn.init.normal_(self.weight, std=math.sqrt(2.0 / fan_in))
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def _correlate(self, planes, kernel, n):
        """``planes`` (batch, c, n, n) correlated with ``kernel`` (o * n_H, c, s, s): (batch, o, n_H, n, n)."""
        width = self.dilation * (self.size // 2)
        if width:
            planes = F.pad(planes, (width,) * 4, mode="circular" if self.padding == "periodic" else "constant")
        out = F.conv2d(planes, kernel.to(planes.dtype), dilation=self.dilation)
        out = out.reshape(len(planes), self.out_channels, self.group_order, n, n)
        if self.bias is not None:
            out = out + self.bias.to(out.dtype).reshape(1, -1, 1, 1, 1)
        return out

    def _check(self, x, axes, shape, what):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{what} must be a torch tensor, got {type(x).__name__}")
        if x.ndim != axes or x.shape[1:-2] != shape:
            raise ValueError(f"{what} must have shape (batch, {', '.join(map(str, shape))}, n, n), got shape {tuple(x.shape)}")
        _, n = image_shape(x, 2, 0, what)
        if not torch.isfinite(x.sum()) and not torch.isfinite(x).all():
            raise ValueError(f"{what} contain NaN or infinite values")
        return n

    def extra_repr(self):
        return (f"{self.in_channels} -> {self.out_channels}, size={self.size}, point_group={self.point_group!r}, "
                f"|H|={self.group_order}, dilation={self.dilation}, padding={self.padding!r}")


class LiftingConv(_RegularConv):
    """Scalar images to group feature maps: correlation with every turned copy of a filter.

    ``out[:, o, h] = sum_i x[:, i] * (h . psi[o, i]) + b[o]``: equivariant,
    ``lift(g . x) = g . lift(x)`` with ``g`` acting on the output by :func:`act_regular`.

    Parameters
    ----------
    in_channels, out_channels : int
    size : int
        Filter pixels a side; odd (the filter turns about its middle pixel).
    point_group : str or Group, default "D(4)"
        ``"C(4)"`` for p4, ``"D(4)"`` (= ``"B(2)"``) for p4m.
    dilation : int, default 1
    padding : {"periodic", "zero"}, default "periodic"
        "zero" keeps the turns only on grids of odd ``n`` and breaks translations.
    bias : bool, default True
        One learned number per output channel (the same on every element: invariant).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    weight : parameter (out_channels, in_channels, size, size)
    bias : parameter (out_channels,) or None

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import LiftingConv
    >>> LiftingConv(1, 4, size=3)(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 4, 8, 8, 8])
    """

    def __init__(self, in_channels, out_channels, size, point_group="D(4)", dilation=1, padding="periodic", bias=True,
                 device="cpu"):
        super().__init__(in_channels, out_channels, size, (), point_group, dilation, padding, bias)
        self.to(resolve_device(device, "LiftingConv: device"))

    def kernel(self):
        """The stacked filter (out_channels * n_H, in_channels, size, size)."""
        turned = _turned_filters(self.weight, self.sources)  # (m, o, i, s, s)
        return turned.transpose(0, 1).reshape(-1, self.in_channels, self.size, self.size)

    def forward(self, x):
        """Images (batch, in_channels, n, n) -> group feature maps (batch, out_channels, n_H, n, n)."""
        n = self._check(x, 4, (self.in_channels,), "the input images")
        return self._correlate(x, self.kernel(), n)


class GroupConv(_RegularConv):
    """Group feature maps to group feature maps: ``out_h = sum_k f_k * (h . psi_{h^{-1} k})``.

    Parameters
    ----------
    in_channels, out_channels : int
    size : int
        Odd.
    point_group : str or Group, default "D(4)"
    dilation : int, default 1
    padding : {"periodic", "zero"}, default "periodic"
    bias : bool, default True
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    weight : parameter (out_channels, in_channels, n_H, size, size)
        One filter per input element, relative to the output element.
    bias : parameter (out_channels,) or None

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import GroupConv
    >>> GroupConv(4, 2, size=3, point_group="C(4)")(torch.zeros(2, 4, 4, 8, 8)).shape
    torch.Size([2, 2, 4, 8, 8])
    """

    def __init__(self, in_channels, out_channels, size, point_group="D(4)", dilation=1, padding="periodic", bias=True,
                 device="cpu"):
        m = len(get_group(point_group).elements())
        super().__init__(in_channels, out_channels, size, (m,), point_group, dilation, padding, bias)
        self.to(resolve_device(device, "GroupConv: device"))

    def kernel(self):
        """The stacked filter (out_channels * n_H, in_channels * n_H, size, size)."""
        turned = _turned_filters(self.weight, self.sources)  # (h, o, i, k', s, s), k' relative
        m = self.group_order
        h = torch.arange(m).reshape(m, 1)
        stacked = turned[h, :, :, self.quotient[h, torch.arange(m)]]  # (h, k, o, i, s, s): filter of g^-1 k
        stacked = stacked.permute(2, 0, 3, 1, 4, 5)  # (o, h, i, k, s, s)
        return stacked.reshape(self.out_channels * m, self.in_channels * m, self.size, self.size)

    def forward(self, x):
        """Group feature maps (batch, in_channels, n_H, n, n) -> (batch, out_channels, n_H, n, n)."""
        n = self._check(x, 5, (self.in_channels, self.group_order), "the input group feature maps")
        return self._correlate(x.reshape(len(x), -1, n, n), self.kernel(), n)


class GroupPool(nn.Module):
    """Pool group feature maps over the group: ``(batch, c, |H|, n, n) -> (batch, c, n, n)``.

    The mean (or maximum) over the ``|H|`` images is unchanged by their permutation, so
    the result is a scalar image on which ``g`` acts by turning alone: invariant on the
    fibre, equivariant on the grid.

    Parameters
    ----------
    reduction : {"mean", "max"}, default "mean"
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Checked like every module's (it holds no tensors).
    """

    def __init__(self, reduction="mean", device="cpu"):
        super().__init__()
        if reduction not in ("mean", "max"):
            raise ValueError(f"reduction must be 'mean' or 'max', got {reduction!r}")
        self.reduction = reduction
        self.to(resolve_device(device, "GroupPool: device"))

    def forward(self, x):
        if not isinstance(x, torch.Tensor) or x.ndim != 5:
            raise ValueError(f"group feature maps must be a tensor (batch, channels, |H|, n, n), got shape "
                             f"{tuple(getattr(x, 'shape', ()))}")
        return x.mean(2) if self.reduction == "mean" else x.amax(2)

    def extra_repr(self):
        return f"reduction={self.reduction!r}"
