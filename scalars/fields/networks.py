"""Residual and U-shaped networks on geometric images, of any input and output order and parity.

Both carry *mixed features* (:mod:`scalars.fields.mixed`): ``channels`` images of each
order ``0 .. hidden_order`` and each parity. A residual block adds to its input
``conv2(gate(z) + products(saturate(z)))`` with ``z = conv1(input)``: a
:class:`~scalars.fields.MixedGate` and the channelwise outer products of the types
(``scalars.fields.mixed.mixed_products``, up to order 2) of the saturated features
(``scalars.fields.mixed.saturate``: lengths below 1, so that the quadratic terms do
not compound from block to block), so that a block can form
``u . grad w`` from a vector ``u`` and a gradient. :class:`GeometricResNet` is an embedding
convolution, ``blocks`` residual blocks and an output convolution;
:class:`GeometricUNet` adds :class:`~scalars.fields.AveragePool` down and
:class:`~scalars.fields.Upsample` up through ``levels`` coarser grids, with skip
connections. Every part commutes with ``B(2)`` turning the grid about its centre pixel and
with translations; the pooling only with translations by multiples of ``factor``, so a
U-net with ``levels`` levels is equivariant to translations by multiples of
``factor**levels`` (and the grid must have a multiple of that many pixels a side).

``equivariant=False`` gives the plain twin: the same features, gates, products, pooling and
upsampling, with free convolution filters.
"""

import torch
from torch import nn

from scalars.fields.images import check_order_parity
from scalars.fields.layers import AveragePool, Upsample, check_images
from scalars.fields.mixed import MixedConv, MixedGate, check_types, mixed_products, product_types, saturate
from scalars.nn.devices import resolve_device

__all__ = ["GeometricResNet", "GeometricUNet"]


def _hidden_types(channels, hidden_order):
    if int(hidden_order) != hidden_order or hidden_order < 0:
        raise ValueError(f"hidden_order must be a non-negative integer, got {hidden_order!r}")
    return check_types({(k, p): channels for k in range(int(hidden_order) + 1) for p in (0, 1)}, "hidden types")


def _merged_types(first, second):
    return {key: first.get(key, 0) + second.get(key, 0) for key in sorted(set(first) | set(second))}


def _merged(first, second):
    """Mixed features of both, concatenated along the channels type by type (``first``'s first)."""
    keys = sorted(set(first) | set(second))
    return {key: torch.cat([f[key] for f in (first, second) if key in f], dim=1) for key in keys}


class _ResidualBlock(nn.Module):
    def __init__(self, types, size, d, equivariant):
        super().__init__()
        self.d = d
        self.conv1 = MixedConv(types, types, size, d, equivariant=equivariant)
        self.gate = MixedGate(types, d)
        self.conv2 = MixedConv(_merged_types(types, product_types(types)), types, size, d, equivariant=equivariant)

    def forward(self, h):
        z = self.conv1(h)
        update = self.conv2(_merged(self.gate(z), mixed_products(saturate(z), d=self.d)))
        return {key: h[key] + update[key] for key in h}


class _PerOrder(nn.Module):
    """One pooling or upsampling layer per tensor order, applied to each type of mixed features."""

    def __init__(self, layer, factor, orders, d):
        super().__init__()
        self.layers = nn.ModuleDict({str(k): layer(factor, d, k) for k in sorted(set(orders))})

    def forward(self, features):
        return {key: self.layers[str(key[0])](x) for key, x in features.items()}


class _Network(nn.Module):
    """The parts both networks share: checks, the embedding and the output convolution."""

    def __init__(self, in_order, out_order, in_channels, out_channels, in_parity, out_parity, channels, size, hidden_order,
                 equivariant, d=2):
        super().__init__()
        check_order_parity(in_order, in_parity), check_order_parity(out_order, out_parity)
        for name, value in [("in_channels", in_channels), ("out_channels", out_channels), ("channels", channels)]:
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.d, self.size, self.equivariant = d, int(size), bool(equivariant)
        self.in_type, self.out_type = (int(in_order), int(in_parity)), (int(out_order), int(out_parity))
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.types = _hidden_types(channels, hidden_order)
        self.embed = MixedConv({self.in_type: self.in_channels}, self.types, size, d, equivariant=equivariant)
        self.gate = MixedGate(self.types, d)
        self.head = MixedConv(self.types, {self.out_type: self.out_channels}, size, d, equivariant=equivariant)

    def _block(self):
        return _ResidualBlock(self.types, self.size, self.d, self.equivariant)

    def _check(self, x):
        return check_images(x, self.d, self.in_type[0], self.in_channels, "the input images")

    def _output(self, h):
        return self.head(self.gate(h))[self.out_type]


class GeometricResNet(_Network):
    """Residual network of mixed geometric images: order ``in_order`` images in, ``out_order`` out.

    Equivariant to ``B(2)`` and all translations of a periodic grid (``equivariant=True``).

    Parameters
    ----------
    in_order, out_order : int, default 0
    in_channels, out_channels : int, default 1
    in_parity, out_parity : {0, 1}, default 0
        1 for pseudo-tensors (a 2-D vorticity is a pseudo-scalar: order 0, parity 1).
    channels : int, default 4
        Hidden channels of each type.
    blocks : int, default 2
        Residual blocks.
    size : int, default 3
        Filter pixels a side, odd.
    hidden_order : int, default 1
        Hidden types: orders ``0 .. hidden_order``, both parities.
    equivariant : bool, default True
        False: the plain twin (free filters).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import GeometricResNet
    >>> model = GeometricResNet(in_parity=1, out_parity=1, channels=2).double()    # vorticity to vorticity
    >>> model(torch.zeros(3, 1, 8, 8, dtype=torch.float64)).shape
    torch.Size([3, 1, 8, 8])
    """

    def __init__(self, in_order=0, out_order=0, in_channels=1, out_channels=1, in_parity=0, out_parity=0, channels=4, blocks=2,
                 size=3, hidden_order=1, equivariant=True, device="cpu"):
        super().__init__(in_order, out_order, in_channels, out_channels, in_parity, out_parity, channels, size, hidden_order,
                         equivariant)
        if int(blocks) != blocks or blocks < 0:
            raise ValueError(f"blocks must be a non-negative integer, got {blocks!r}")
        self.blocks = nn.ModuleList([self._block() for _ in range(int(blocks))])
        self.to(resolve_device(device, "GeometricResNet: device"))

    def forward(self, x):
        """Images (batch, in_channels, n, n, 2 x in_order) -> (batch, out_channels, n, n, 2 x out_order)."""
        self._check(x)
        h = self.embed({self.in_type: x})
        for block in self.blocks:
            h = block(h)
        return self._output(h)


class GeometricUNet(_Network):
    """U-net of mixed geometric images: residual blocks on ``levels + 1`` grids, each ``factor`` times coarser.

    Down: a residual block, then :class:`~scalars.fields.AveragePool`; at the bottom a
    block; up: :class:`~scalars.fields.Upsample`, the features of that level concatenated
    (skip connection), a :class:`~scalars.fields.MixedConv` back to ``channels`` per type
    and a block. Equivariant to ``B(2)`` and to translations by multiples of
    ``factor**levels``; the grid's pixels a side must be a multiple of ``factor**levels``.

    Parameters
    ----------
    in_order, out_order : int, default 0
    in_channels, out_channels : int, default 1
    in_parity, out_parity : {0, 1}, default 0
    channels : int, default 4
        Hidden channels of each type, on every level.
    levels : int, default 2
        Coarser grids.
    factor : int, default 2
    size : int, default 3
    hidden_order : int, default 1
    upsampling : {"linear", "nearest"}, default "linear"
        See :class:`~scalars.fields.Upsample` ("nearest" needs an odd ``factor``).
    equivariant : bool, default True
        False: the plain twin (free filters).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import GeometricUNet
    >>> model = GeometricUNet(0, 1, channels=2).double()                 # scalar images to vector images
    >>> model(torch.zeros(3, 1, 8, 8, dtype=torch.float64)).shape
    torch.Size([3, 1, 8, 8, 2])
    """

    def __init__(self, in_order=0, out_order=0, in_channels=1, out_channels=1, in_parity=0, out_parity=0, channels=4, levels=2,
                 factor=2, size=3, hidden_order=1, upsampling="linear", equivariant=True, device="cpu"):
        super().__init__(in_order, out_order, in_channels, out_channels, in_parity, out_parity, channels, size, hidden_order,
                         equivariant)
        if int(levels) != levels or levels < 0:
            raise ValueError(f"levels must be a non-negative integer, got {levels!r}")
        self.levels, self.factor = int(levels), int(factor)
        orders = [k for k, _ in self.types]
        self.pool = _PerOrder(AveragePool, factor, orders, self.d)
        self.upsample = _PerOrder(lambda f, d, k: Upsample(f, d, k, mode=upsampling), factor, orders, self.d)
        self.down = nn.ModuleList([self._block() for _ in range(self.levels)])
        self.bottom = self._block()
        skip = _merged_types(self.types, self.types)
        self.merge = nn.ModuleList([MixedConv(skip, self.types, size, self.d, equivariant=equivariant)
                                    for _ in range(self.levels)])
        self.up = nn.ModuleList([self._block() for _ in range(self.levels)])
        self.to(resolve_device(device, "GeometricUNet: device"))

    def forward(self, x):
        """Images (batch, in_channels, n, n, 2 x in_order) -> (batch, out_channels, n, n, 2 x out_order)."""
        _, n = self._check(x)
        if n % self.factor**self.levels:
            raise ValueError(f"GeometricUNet: the grid's {n} pixels a side are not a multiple of "
                             f"factor**levels = {self.factor**self.levels}")
        h = self.embed({self.in_type: x})
        skips = []
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = self.pool(h)
        h = self.bottom(h)
        for merge, block, skip in zip(self.merge, self.up, reversed(skips)):
            h = block(merge(_merged(self.upsample(h), skip)))
        return self._output(h)
