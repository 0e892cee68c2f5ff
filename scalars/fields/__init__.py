"""Fields on grids: geometric images, invariant filters and equivariant convolutions.

Scalar, vector and tensor images on a periodic ``d``-dimensional grid, the action of the
grid's symmetries on them (signed permutations about the centre pixel, and translations),
the filters that make convolutions equivariant (from the package's solver), and torch
layers built from them (Gregory et al. 2023, "Geometric convolutions").

>>> from scalars.fields import invariant_filters, invariant_filter_count
>>> invariant_filters(2, 5, order=1).shape, invariant_filter_count(2, 5, order=1)
((6, 50), 6)

The torch layers (``GeometricConv`` and its companions) are imported on first use, so
that ``import scalars.fields`` does not import torch.
"""

from scalars.fields.filters import invariant_filter_count, invariant_filters
from scalars.fields.images import GridGroup, ImageRep, act

__all__ = ["act", "invariant_filters", "invariant_filter_count", "ImageRep", "GridGroup"]
