"""Fields on grids: geometric images, invariant filters and equivariant convolutions.

Scalar, vector and tensor images on a periodic ``d``-dimensional grid, the action of the
grid's symmetries on them (signed permutations about the centre pixel, and translations),
the filters that make convolutions equivariant (from the package's solver), and torch
layers built from them (Gregory et al. 2023, "Geometric convolutions").

>>> from scalars.fields import invariant_filters, invariant_filter_count
>>> invariant_filters(2, 5, order=1).shape, invariant_filter_count(2, 5, order=1)
((6, 50), 6)

Regular group convolutions for p4 and p4m (``LiftingConv``, ``GroupConv``, ``GroupPool``,
``GroupCNN``), steerable filters (``steerable_filters``, ``SteerableConv``, ``SteerableCNN``)
and the averages of any CNN over the point group or a frame
(``ImageAveraging``) complete the three classic ways. Outer products and contractions
(``outer_product``, ``contract``), features of mixed orders and parities (``MixedConv``,
``MixedGate``), ``Upsample`` and the residual and U-shaped networks built from them
(``GeometricResNet``, ``GeometricUNet``) are the geometric networks of Gregory et al.; the
vorticity solver of :mod:`scalars.fields.navier_stokes` gives them a flow to learn. The torch
layers are imported on first use, so that ``import scalars.fields`` does not import torch.
"""

from scalars.fields.filters import invariant_filter_count, invariant_filters
from scalars.fields.images import GridGroup, ImageRep, act
from scalars.fields.products import contract, outer_product

__all__ = ["act", "invariant_filters", "invariant_filter_count", "ImageRep", "GridGroup", "GeometricConv", "NormGate", "AveragePool",
           "GeometricCNN", "PlainCNN", "LiftingConv", "GroupConv", "GroupPool", "act_regular", "GroupCNN",
           "ImageAveraging", "SteerableConv", "FieldGate", "SteerableCNN", "steerable_filters",
           "Upsample", "outer_product", "contract", "MixedConv", "MixedGate", "GeometricResNet", "GeometricUNet"]

_TORCH = {"GeometricConv": "scalars.fields.layers", "NormGate": "scalars.fields.layers", "AveragePool": "scalars.fields.layers",
          "GeometricCNN": "scalars.fields.models", "PlainCNN": "scalars.fields.models",
          "LiftingConv": "scalars.fields.group_conv", "GroupConv": "scalars.fields.group_conv",
          "GroupPool": "scalars.fields.group_conv", "act_regular": "scalars.fields.group_conv",
          "GroupCNN": "scalars.fields.models", "ImageAveraging": "scalars.fields.averaging",
          "SteerableConv": "scalars.fields.steerable", "FieldGate": "scalars.fields.steerable",
          "SteerableCNN": "scalars.fields.models", "steerable_filters": "scalars.fields.steerable",
          "Upsample": "scalars.fields.layers", "MixedConv": "scalars.fields.mixed", "MixedGate": "scalars.fields.mixed",
          "GeometricResNet": "scalars.fields.networks", "GeometricUNet": "scalars.fields.networks"}


def __getattr__(name):
    # torch layers on first use (PEP 562): ``import scalars.fields`` stays light
    if name in _TORCH:
        import importlib

        value = getattr(importlib.import_module(_TORCH[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_TORCH))
