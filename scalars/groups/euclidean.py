"""Euclidean groups E(d) and SE(d): rotations (and reflections) with translations.

An element is a homogeneous matrix ``[[R, t], [0, 1]]`` of shape (d+1, d+1). It moves a
point ``x`` to ``R x + t`` and a free vector ``v`` (a velocity, a force, a difference of
points) to ``R v``; a layout marks points with ``P`` (``"5T0+5P+5T1"``). The invariants
are those of the linear group :attr:`linear` (O(d) or SO(d)) of the points centred on
their centroid, together with the free vectors.
"""

import numpy as np

from scalars._backend import as_backend_of, swap_last
from scalars.groups.base import Group, skew_basis
from scalars.groups.classical import Orthogonal, SpecialOrthogonal

__all__ = ["Euclidean", "SpecialEuclidean"]


class Euclidean(Group):
    """E(d): isometries of R^d, points ``x -> R x + t`` with ``R`` in O(d).

    Parameters
    ----------
    d : int
    translation_scale : float, default=1.0
        Random elements translate by ``N(0, translation_scale^2 I)``.
    """

    linear_group = Orthogonal
    invariant_tensor_name = "I"

    def __init__(self, d, translation_scale=1.0):
        self.linear = self.linear_group(d)
        self.d = self.linear.d
        self.name = f"E({self.d})" if self.linear_group is Orthogonal else f"SE({self.d})"
        self.translation_scale = translation_scale

    @property
    def invariant_tensor(self):
        return np.eye(self.d)

    def identity(self):
        return np.eye(self.d + 1)

    def sample(self, size=None, rng=None):
        rng = np.random.default_rng(rng)
        batch = () if size is None else (size,)
        g = np.zeros(batch + (self.d + 1, self.d + 1))
        g[..., : self.d, : self.d] = self.linear.sample(size, rng)
        g[..., : self.d, self.d] = self.translation_scale * rng.standard_normal(batch + (self.d,))
        g[..., self.d, self.d] = 1.0
        return g

    def real_form(self, g):
        """The rotation part ``R``, by which free vectors move."""
        return np.asarray(g)[..., : self.d, : self.d]

    def algebra_real_form(self, A):
        """The rotation part of homogeneous algebra elements ``A``."""
        return np.asarray(A)[..., : self.d, : self.d]

    def translation(self, g):
        """The translation ``t`` (..., d) of homogeneous elements ``g``."""
        return np.asarray(g)[..., : self.d, self.d]

    def act(self, g, V):
        """Free vectors ``V`` (..., n, d) move by the rotation part of ``g`` only."""
        return V @ swap_last(as_backend_of(self.real_form(g), V))

    def lie_algebra(self):
        """Rotations, then the d translations, as homogeneous (d+1, d+1) matrices."""
        rotations = skew_basis(self.d)
        algebra = np.zeros((len(rotations) + self.d, self.d + 1, self.d + 1))
        algebra[: len(rotations), : self.d, : self.d] = rotations
        algebra[np.arange(len(rotations), len(algebra)), np.arange(self.d), self.d] = 1.0
        return algebra

    def discrete_generators(self):
        return self._homogeneous(self.linear.discrete_generators())

    def _homogeneous(self, R):
        g = np.zeros(R.shape[:-2] + (self.d + 1, self.d + 1))
        g[..., : self.d, : self.d] = R
        g[..., self.d, self.d] = 1.0
        return g

    def contains(self, M, atol=1e-10):
        M = np.asarray(M)
        bottom = np.abs(M[..., self.d, :] - np.eye(self.d + 1)[self.d]).max(-1) <= atol
        return bottom & self.linear.contains(M[..., : self.d, : self.d], atol)

    def invariants(self, V):
        """Invariants of free vectors (or of centred points): those of :attr:`linear`."""
        return self.linear.invariants(V)

    def invariant_names(self, names):
        return self.linear.invariant_names(names)

    def vector_basis(self, V):
        return self.linear.vector_basis(V)

    def vector_basis_names(self, names):
        return self.linear.vector_basis_names(names)


class SpecialEuclidean(Euclidean):
    """SE(d): rotations and translations, ``x -> R x + t`` with ``R`` in SO(d)."""

    linear_group = SpecialOrthogonal
