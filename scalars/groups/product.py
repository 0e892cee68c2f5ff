"""Direct products ``G x H`` acting on the tensor product of the factors' vectors.

An element is a tuple ``(g, h)`` of factor elements and acts on ``v (x) w`` as
``g v (x) h w``, so on flat columns (row-major, the first factor outermost) as
``kron(g, h)``. The usual product is ``S(k) x G``: ``k`` interchangeable particles, each
with scalars and vectors of ``G``; layouts then count the slots of all particles
together (``"5T0+5T1"`` under ``S(5)xO(3)`` is one scalar and one vector per particle,
particle by particle), see :func:`scalars.reps.rep`.
"""

from functools import reduce

import numpy as np

from scalars._backend import as_backend_of, swap_last
from scalars.groups.base import Group, get_group
from scalars.groups.finite import Permutation

__all__ = ["ProductGroup", "kron"]


def kron(a, b):
    """Batched Kronecker product of (..., m, m') and (..., n, n') arrays: (..., mn, m'n')."""
    a, b = np.asarray(a), np.asarray(b)
    out = a[..., :, None, :, None] * b[..., None, :, None, :]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return out.reshape(shape + (a.shape[-2] * b.shape[-2], a.shape[-1] * b.shape[-1]))


class ProductGroup(Group):
    """The direct product of ``factors``, acting on the tensor product of their vectors.

    Parameters
    ----------
    *factors : str or Group
        Two or more groups; nested products are flattened.

    Attributes
    ----------
    factors : tuple of Group
    particles : int or None
        ``k`` for ``S(k) x G`` (interchangeable particles), else None.
    base : Group or None
        ``G`` for ``S(k) x G``, else None.
    """

    def __init__(self, *factors):
        flat = []
        for factor in map(get_group, factors):
            flat.extend(factor.factors if isinstance(factor, ProductGroup) else [factor])
        if len(flat) < 2:
            raise ValueError(f"a product needs at least two factors, got {len(flat)}")
        self.factors = tuple(flat)
        self.name = "x".join(factor.name for factor in self.factors)
        self.d = int(np.prod([factor.n_columns for factor in self.factors]))
        self.is_finite = all(factor.is_finite for factor in self.factors)
        permutes = len(self.factors) == 2 and isinstance(self.factors[0], Permutation)
        self.particles = self.factors[0].d if permutes else None
        self.base = self.factors[1] if permutes else None

    def sample(self, size=None, rng=None):
        """A tuple of factor elements (each batched when ``size`` is given)."""
        rng = np.random.default_rng(rng)
        return tuple(factor.sample(size, rng) for factor in self.factors)

    def identity(self):
        return tuple(factor.identity() for factor in self.factors)

    def elements(self):
        """Every element as a tuple of factor elements; only for finite factors."""
        lists = [factor.elements() for factor in self.factors]
        grids = np.meshgrid(*[np.arange(len(items)) for items in lists], indexing="ij")
        return tuple(items[grid.ravel()] for items, grid in zip(lists, grids))

    def real_form(self, g):
        return reduce(kron, (factor.real_form(part) for factor, part in zip(self.factors, g)))

    def algebra_real_form(self, A):
        """``sum_i I (x) ... (x) A_i (x) ... (x) I`` for a tuple ``A`` (None for a zero part)."""
        eyes = [np.eye(factor.n_columns) for factor in self.factors]
        total = np.zeros((self.d, self.d))
        for i, (factor, part) in enumerate(zip(self.factors, A)):
            if part is not None:
                total = total + reduce(kron, eyes[:i] + [factor.algebra_real_form(part)] + eyes[i + 1 :])
        return total

    def lie_algebra_elements(self):
        """Each factor's algebra basis, the other parts None (zero)."""
        nothing = [None] * len(self.factors)
        return [
            tuple(nothing[:i] + [A] + nothing[i + 1 :])
            for i, factor in enumerate(self.factors)
            for A in factor.lie_algebra_elements()
        ]

    def discrete_generator_elements(self):
        """Each factor's discrete generators, the other parts the identity."""
        identity = list(self.identity())
        return [
            tuple(identity[:i] + [h] + identity[i + 1 :])
            for i, factor in enumerate(self.factors)
            for h in factor.discrete_generator_elements()
        ]

    def lie_algebra(self):
        return np.array([self.algebra_real_form(A) for A in self.lie_algebra_elements()]).reshape(-1, self.d, self.d)

    def discrete_generators(self):
        return np.array([self.real_form(h) for h in self.discrete_generator_elements()]).reshape(-1, self.d, self.d)

    def act(self, g, V):
        """Vectors ``V`` (..., n, d) of the tensor product move by ``kron`` of the parts."""
        return V @ swap_last(as_backend_of(self.real_form(g), V))

    def invariants(self, V):
        raise NotImplementedError(
            f"{self.name} has no invariants of bare vectors: describe the inputs with a layout "
            f"(InvariantFeatures(group='{self.name}', layout=...))"
        )

    def invariant_names(self, names):
        self.invariants(None)
