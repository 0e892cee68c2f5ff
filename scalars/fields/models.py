"""Small convolutional networks on geometric images: an equivariant one and its plain twin.

:class:`GeometricCNN` stacks :class:`~scalars.fields.GeometricConv` layers (hidden images
of one order, ReLU on scalar channels, :class:`~scalars.fields.NormGate` on tensor ones),
so it is exactly equivariant to the grid's translations and ``B(d)``. :class:`PlainCNN`
has the same layers, dilations and image format with unconstrained ``torch.nn`` filters:
the baseline of ``python -m scalars bench fields``.
"""

import torch
from torch import nn

from scalars.fields.layers import GeometricConv, NormGate, check_images, from_planes, to_planes
from scalars.nn.devices import resolve_device

__all__ = ["GeometricCNN", "PlainCNN"]


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
