"""Features of several image types at once: a convolution between them, a gate and their products.

A *mixed feature* is a dict ``{(order, parity): images}``: for each image type, a tensor
``(batch, channels, n, ..., n, d, ..., d)`` of that order (:mod:`scalars.fields.layers`).
Its *types* are the dict ``{(order, parity): channels}``.

* :class:`MixedConv` maps mixed features to mixed features: one
  :class:`~scalars.fields.GeometricConv` per pair of input and output types for which
  invariant filters exist at that size, summed into each output, all run as one
  convolution. With ``equivariant=False`` the same convolution has free filters (the
  plain twin of a network).
* :class:`MixedGate` is ReLU on the scalars and a :class:`~scalars.fields.NormGate` on
  every other type.
* :func:`saturate` scales each tensor ``x`` to ``x / sqrt(1 + |x|^2)``, a length below 1,
  so that products of saturated features stay bounded however deep the network.
* :func:`mixed_products` multiplies pairs of types channel by channel
  (:func:`~scalars.fields.outer_product`), up to a largest order: the quadratic features
  (``u (x) grad w``, whose contraction is ``u . grad w``) that the next convolution mixes.
"""

import math

import torch
from torch import nn

from scalars.fields.images import check_order_parity
from scalars.fields.layers import CONVOLUTIONS, GeometricConv, NormGate, check_images, from_planes, pad_planes, to_planes
from scalars.fields.products import outer_product, product_type
from scalars.nn.devices import resolve_device

__all__ = ["check_types", "MixedConv", "MixedGate", "saturate", "mixed_products", "product_types"]


def check_types(types, what="types"):
    """``types`` as a dict ``{(order, parity): channels}`` in a fixed order, or a ValueError naming it."""
    if not isinstance(types, dict) or not types:
        raise ValueError(f"{what} must be a non-empty dict {{(order, parity): channels}}, got {types!r}")
    for key, channels in types.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"{what}: keys must be (order, parity) pairs, got {key!r}")
        check_order_parity(*key)
        if int(channels) != channels or channels < 1:
            raise ValueError(f"{what}: channels of type {key} must be a positive integer, got {channels!r}")
    return {(int(k), int(p)): int(c) for (k, p), c in sorted(types.items())}


def product_types(types, max_order=2):
    """The types of :func:`mixed_products`: ``{(order, parity): channels}``, channels summed."""
    types = check_types(types)
    out = {}
    for a, b in _pairs(types, max_order):
        key = product_type(a, b)
        out[key] = out.get(key, 0) + min(types[a], types[b])
    return dict(sorted(out.items()))


def _pairs(types, max_order):
    keys = list(types)
    return [(a, b) for i, a in enumerate(keys) for b in keys[i:] if a[0] + b[0] <= max_order]


def saturate(features):
    """Each tensor ``x`` of mixed features scaled to ``x / sqrt(1 + |x|^2)`` (norm over its tensor indices).

    The norm is invariant under ``B(d)`` (and the sign of a pseudo-tensor), so this
    commutes with the grid's group for every type.
    """
    out = {}
    for (order, _), x in features.items():
        axes = tuple(range(x.ndim - order, x.ndim))
        norm2 = (x * x).sum(axes, keepdim=True) if order else x * x
        out[(order, _)] = x * torch.rsqrt(1 + norm2)
    return out


def mixed_products(features, max_order=2, d=2):
    """Channelwise outer products of every pair of types (a type with itself too) up to ``max_order``.

    Parameters
    ----------
    features : dict {(order, parity): tensor (batch, channels, n.., d x order)}
    max_order : int, default 2
        Pairs whose orders add to more are left out.
    d : int, default 2

    Returns
    -------
    dict {(order, parity): tensor}
        The products of the first ``min(c_a, c_b)`` channels of each pair, those of one
        type concatenated along the channels in the order of :func:`product_types`.
    """
    types = {key: x.shape[1] for key, x in features.items()}
    out = {}
    for a, b in _pairs(check_types(types, "features"), max_order):
        c = min(types[a], types[b])
        out.setdefault(product_type(a, b), []).append(outer_product(features[a][:, :c], features[b][:, :c], a[0], b[0], d))
    return {key: torch.cat(out[key], dim=1) for key in sorted(out)}


class MixedConv(nn.Module):
    """Convolution from mixed features of types ``in_types`` to types ``out_types``.

    Equivariant to translations and ``B(d)`` (periodic padding); an output type that no
    input type reaches with filters of this size (a pseudo-scalar from scalars with 3 x 3
    filters: there is no such filter) is its bias alone, zero unless the type has an
    invariant offset.

    Parameters
    ----------
    in_types, out_types : dict {(order, parity): channels}
    size : int
        Filter pixels a side; odd.
    d : int, default 2
    dilation : int, default 1
    equivariant : bool, default True
        False: free filters from every input plane to every output plane and a free bias
        per output plane, the same shapes of features (not equivariant). Either way the
        initial weights give each output the variance of one layer: an output reached
        from ``m`` input types takes ``1 / m`` of each
        :class:`~scalars.fields.GeometricConv`'s initial variance.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import MixedConv
    >>> conv = MixedConv({(0, 1): 1}, {(0, 1): 4, (1, 0): 4, (1, 1): 4}, size=3).double()
    >>> out = conv({(0, 1): torch.randn(2, 1, 8, 8, dtype=torch.float64)})   # a pseudo-scalar (vorticity)
    >>> {key: tuple(x.shape) for key, x in out.items()}
    {(0, 1): (2, 4, 8, 8), (1, 0): (2, 4, 8, 8, 2), (1, 1): (2, 4, 8, 8, 2)}
    """

    def __init__(self, in_types, out_types, size, d=2, dilation=1, equivariant=True, device="cpu"):
        super().__init__()
        self.in_types, self.out_types = check_types(in_types, "in_types"), check_types(out_types, "out_types")
        self.size, self.d, self.dilation, self.equivariant = int(size), int(d), int(dilation), bool(equivariant)
        self.in_planes = [c * self.d**k for (k, _), c in self.in_types.items()]
        self.out_planes = [c * self.d**k for (k, _), c in self.out_types.items()]
        if self.equivariant:
            self.convs = nn.ModuleDict()
            for o, c_o in self.out_types.items():
                for i, c_i in self.in_types.items():
                    try:
                        conv = GeometricConv(i[0], o[0], c_i, c_o, size, self.d, i[1], o[1], dilation=dilation,
                                             bias=not any(key.startswith(_name(o)) for key in self.convs))
                    except ValueError as error:
                        if "invariant" not in str(error):
                            raise
                        continue
                    self.convs[_name(o) + _name(i)] = conv
            if not len(self.convs):
                raise ValueError(f"no {size}^{d} filters map any of {list(self.in_types)} to any of {list(self.out_types)}")
            self._share_fan_in()
        else:
            self.weight = nn.Parameter(torch.empty(sum(self.out_planes), sum(self.in_planes), *(self.size,) * self.d))
            self.bias = nn.Parameter(torch.empty(sum(self.out_planes)))
            self._draw_plain()
        self.to(resolve_device(device, "MixedConv: device"))

    def reset_parameters(self):
        """Redraw the weights as the constructor does (for :func:`scalars.nn.fit`); biases zero."""
        if self.equivariant:
            for conv in self.convs.values():
                conv.reset_parameters()
            self._share_fan_in()
        else:
            self._draw_plain()

    def _draw_plain(self):
        with torch.no_grad():
            self.weight.normal_(0.0, 1 / math.sqrt(sum(self.in_planes) * self.size**self.d))
            self.bias.zero_()

    def _share_fan_in(self):
        # each GeometricConv starts with the variance of a layer of its own input alone; an
        # output reached from m input types sums m of them, so each takes 1/m of it, as the
        # plain twin's one fan-in over all input planes does
        with torch.no_grad():
            for o in self.out_types:
                convs = [self.convs[_name(o) + _name(i)] for i in self.in_types if _name(o) + _name(i) in self.convs]
                for conv in convs:
                    conv.weight.mul_(1 / math.sqrt(len(convs)))

    def _kernel_and_bias(self, dtype):
        if not self.equivariant:
            return self.weight.to(dtype), self.bias.to(dtype)
        rows, biases = [], []
        for o, c_o in self.out_types.items():
            blocks = []
            bias = torch.zeros(c_o * self.d ** o[0], dtype=dtype, device=self.convs[next(iter(self.convs))].weight.device)
            for i, planes in zip(self.in_types, self.in_planes):
                conv = self.convs[_name(o) + _name(i)] if _name(o) + _name(i) in self.convs else None
                if conv is None:
                    blocks.append(torch.zeros((c_o * self.d ** o[0], planes) + (self.size,) * self.d, dtype=dtype,
                                              device=bias.device))
                    continue
                blocks.append(conv.kernel().to(dtype))
                if conv.bias is not None:
                    bias = bias + (conv.bias @ conv.bias_tensors).to(dtype).reshape(-1)
            rows.append(torch.cat(blocks, dim=1))
            biases.append(bias)
        return torch.cat(rows, dim=0), torch.cat(biases)

    def forward(self, features):
        """Mixed features of ``in_types`` -> mixed features of ``out_types`` (dicts of images)."""
        if set(features) != set(self.in_types):
            raise ValueError(f"MixedConv takes features of types {list(self.in_types)}, got {list(features)}")
        for (k, p), c in self.in_types.items():
            check_images(features[(k, p)], self.d, k, c, f"features of type {(k, p)}")
        planes = torch.cat([to_planes(features[key], self.d, key[0]) for key in self.in_types], dim=1)
        kernel, bias = self._kernel_and_bias(planes.dtype)
        planes = pad_planes(planes, self.d, self.dilation * (self.size // 2), "periodic")
        out = CONVOLUTIONS[self.d](planes, kernel, bias, dilation=self.dilation)
        parts = torch.split(out, self.out_planes, dim=1)
        return {key: from_planes(part, self.d, key[0], c) for (key, c), part in zip(self.out_types.items(), parts)}

    def extra_repr(self):
        return f"{self.in_types} -> {self.out_types}, size={self.size}, d={self.d}, equivariant={self.equivariant}"


def _name(key):
    return f"T{key[0]}p{key[1]}"


class MixedGate(nn.Module):
    """ReLU on the scalar images (order 0, parity 0), a :class:`~scalars.fields.NormGate` on the others.

    Parameters
    ----------
    types : dict {(order, parity): channels}
    d : int, default 2
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(self, types, d=2, device="cpu"):
        super().__init__()
        self.types = check_types(types)
        self.gates = nn.ModuleDict({_name(key): NormGate(key[0], c, d) for key, c in self.types.items() if key != (0, 0)})
        self.to(resolve_device(device, "MixedGate: device"))

    def forward(self, features):
        return {key: torch.relu(x) if key == (0, 0) else self.gates[_name(key)](x) for key, x in features.items()}
