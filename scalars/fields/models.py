"""Small convolutional networks on geometric images: equivariant ones and their plain twin.

:class:`GeometricCNN` stacks :class:`~scalars.fields.GeometricConv` layers (hidden images
of one order, ReLU on scalar channels, :class:`~scalars.fields.NormGate` on tensor ones),
so it is exactly equivariant to the grid's translations and ``B(d)``. :class:`PlainCNN`
has the same layers, dilations and image format with unconstrained ``torch.nn`` filters:
the baseline of ``python -m scalars bench fields``. :class:`GroupCNN` is the regular group
CNN for p4 and p4m (:mod:`scalars.fields.group_conv`) on scalar images, and
:class:`SteerableCNN` the steerable one (:mod:`scalars.fields.steerable`).
"""

import torch
from torch import nn

from scalars.fields.group_conv import GroupConv, GroupPool, LiftingConv
from scalars.fields.layers import GeometricConv, NormGate, check_images, from_planes, to_planes
from scalars.fields.steerable import FieldGate, SteerableConv
from scalars.nn.devices import resolve_device

__all__ = ["GeometricCNN", "PlainCNN", "GroupCNN", "SteerableCNN"]


def _activation(order, parity, channels, d):
    return nn.ReLU() if order == 0 and parity == 0 else NormGate(order, channels, d)


class GeometricCNN(nn.Sequential):
    """Equivariant CNN: ``GeometricConv`` layers with hidden images of order ``hidden_order``.

    Parameters
    ----------
    in_order, out_order : int
    in_channels, out_channels : int, default 1
    channels : int, default 8
        Hidden channels.
    dilations : tuple of int, default (1, 2, 4, 1)
        One convolution per entry; their receptive field is ``1 + (size - 1) * sum(dilations)``.
    size : int, default 3
    d : int, default 2
    hidden_order : int, default 0
    in_parity, out_parity : {0, 1}, default 0
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> from scalars.fields.models import GeometricCNN
    >>> model = GeometricCNN(0, 1).double()
    >>> model(torch.zeros(3, 1, 16, 16, dtype=torch.float64)).shape
    torch.Size([3, 1, 16, 16, 2])
    """

    def __init__(self, in_order, out_order, in_channels=1, out_channels=1, channels=8, dilations=(1, 2, 4, 1), size=3,
                 d=2, hidden_order=0, in_parity=0, out_parity=0, device="cpu"):
        if len(dilations) < 1:
            raise ValueError("dilations must list at least one convolution")
        orders = [(in_order, in_parity, in_channels)] + [(hidden_order, 0, channels)] * (len(dilations) - 1)
        orders.append((out_order, out_parity, out_channels))
        layers = []
        for k, dilation in enumerate(dilations):
            (k_in, p_in, c_in), (k_out, p_out, c_out) = orders[k], orders[k + 1]
            layers.append(GeometricConv(k_in, k_out, c_in, c_out, size, d, p_in, p_out, dilation=dilation))
            if k < len(dilations) - 1:
                layers.append(_activation(k_out, p_out, c_out, d))
        super().__init__(*layers)
        self.to(resolve_device(device, "GeometricCNN: device"))


class PlainCNN(nn.Module):
    """A plain CNN on the same images: each tensor component a channel of ``torch.nn`` convolutions.

    Translation equivariant (periodic padding) but not rotation equivariant.

    Parameters
    ----------
    in_order, out_order : int
    in_channels, out_channels : int, default 1
    channels : int, default 8
        Hidden planes.
    dilations : tuple of int, default (1, 2, 4, 1)
    size : int, default 3
    d : {1, 2, 3}, default 2
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).
    """

    def __init__(self, in_order, out_order, in_channels=1, out_channels=1, channels=8, dilations=(1, 2, 4, 1), size=3, d=2,
                 device="cpu"):
        super().__init__()
        if len(dilations) < 1:
            raise ValueError("dilations must list at least one convolution")
        self.in_order, self.out_order, self.in_channels, self.out_channels, self.d = in_order, out_order, in_channels, out_channels, d
        conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[d]
        widths = [in_channels * d**in_order] + [channels] * (len(dilations) - 1) + [out_channels * d**out_order]
        layers = []
        for k, dilation in enumerate(dilations):
            layers.append(conv(widths[k], widths[k + 1], size, padding=dilation * (size // 2), dilation=dilation,
                               padding_mode="circular"))
            if k < len(dilations) - 1:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)
        self.to(resolve_device(device, "PlainCNN: device"))

    def forward(self, x):
        check_images(x, self.d, self.in_order, self.in_channels)
        out = self.net(to_planes(x, self.d, self.in_order))
        return from_planes(out, self.d, self.out_order, self.out_channels)


class GroupCNN(nn.Sequential):
    """Regular group CNN (p4 or p4m): lift, group convolutions, pool over the group.

    Scalar images in, scalar images out, exactly equivariant to the grid's translations and
    ``point_group``: a :class:`~scalars.fields.LiftingConv`, ``len(dilations) - 1``
    :class:`~scalars.fields.GroupConv` layers with ReLU between them (a pointwise function
    of a group feature map commutes with the regular representation), then
    :class:`~scalars.fields.GroupPool` over the group's ``|H|`` images.

    Parameters
    ----------
    in_channels, out_channels : int, default 1
    channels : int, default 8
        Hidden channels, each ``|H|`` images (8 for p4m, 4 for p4).
    dilations : tuple of int, default (1, 2, 4, 1)
    size : int, default 3
    point_group : str or Group, default "D(4)"
        ``"C(4)"`` for p4, ``"D(4)"`` for p4m.
    reduction : {"mean", "max"}, default "mean"
        The pooling over the group.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import GroupCNN
    >>> GroupCNN(1, 3, channels=2)(torch.zeros(5, 1, 8, 8)).shape
    torch.Size([5, 3, 8, 8])
    """

    def __init__(self, in_channels=1, out_channels=1, channels=8, dilations=(1, 2, 4, 1), size=3, point_group="D(4)",
                 reduction="mean", device="cpu"):
        if len(dilations) < 1:
            raise ValueError("dilations must list at least one convolution")
        widths = [channels] * (len(dilations) - 1) + [out_channels]
        layers = [LiftingConv(in_channels, widths[0], size, point_group, dilation=dilations[0])]
        for k, dilation in enumerate(dilations[1:]):
            layers += [nn.ReLU(), GroupConv(widths[k], widths[k + 1], size, point_group, dilation=dilation)]
        super().__init__(*layers, GroupPool(reduction))
        self.to(resolve_device(device, "GroupCNN: device"))


class SteerableCNN(nn.Sequential):
    """Steerable CNN: hidden fields of circular frequencies, steerable filters, gated.

    Scalar images (batch, in_channels, n, n) in, scalar images (batch, out_channels, n, n)
    out; exactly equivariant to translations and ``C(4)`` (``D(4)`` with reflections). Each
    hidden channel holds one field per frequency of ``frequencies``
    (:class:`~scalars.fields.SteerableConv`), with :class:`~scalars.fields.FieldGate` between
    the convolutions.

    Parameters
    ----------
    in_channels, out_channels : int, default 1
    channels : int, default 8
    frequencies : tuple of int, default (0, 1, 2)
    dilations : tuple of int, default (1, 2, 4, 1)
    size : int, default 3
    band_limit : int, default 2
    reflections : bool, default True
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import SteerableCNN
    >>> SteerableCNN(1, 3, channels=2)(torch.zeros(5, 1, 8, 8)).shape
    torch.Size([5, 3, 8, 8])
    """

    def __init__(self, in_channels=1, out_channels=1, channels=8, frequencies=(0, 1, 2), dilations=(1, 2, 4, 1), size=3,
                 band_limit=2, reflections=True, device="cpu"):
        if len(dilations) < 1:
            raise ValueError("dilations must list at least one convolution")
        types = [((0,), in_channels)] + [(tuple(frequencies), channels)] * (len(dilations) - 1) + [((0,), out_channels)]
        layers = []
        for k, dilation in enumerate(dilations):
            (f_in, c_in), (f_out, c_out) = types[k], types[k + 1]
            layers.append(SteerableConv(f_in, f_out, c_in, c_out, size, band_limit, reflections, dilation))
            if k < len(dilations) - 1:
                layers.append(FieldGate(f_out, c_out))
        super().__init__(*layers)
        self.to(resolve_device(device, "SteerableCNN: device"))
