"""Finite groups: permutations S(n) of R^n, cyclic Z(n) and dihedral D(n) groups of the plane.

Their Lie algebras are zero; :meth:`~scalars.groups.Group.discrete_generators` generate
them and :meth:`~scalars.groups.Group.elements` lists them, for exact group averages.
The invariants are generating sets (first fundamental theorems of these groups):

=====  ===================================================================================
S(n)   multisymmetric power sums ``sum_i prod_k v_k[i]^a_k``, ``1 <= |a| <= n``
Z(n)   ``<v_i, v_j>``, ``det(v_i, v_j)`` and Re, Im of ``prod_k z_k^a_k``, ``|a| = n``
       (``z = x + i y``; by Noether's bound these generate)
D(n)   the reflection-even ones of Z(n) and the products of pairs of the odd ones
=====  ===================================================================================
"""

from itertools import permutations

import numpy as np

from scalars import invariants as inv
from scalars._backend import as_index, concatenate, ones, stack
from scalars.monomials import exponents, monomial_names, monomials
from scalars.groups.base import Group, pair_names

__all__ = ["Permutation", "Cyclic", "Dihedral"]

_MAX_ELEMENTS = 40320  # 8!: the largest group whose elements are listed


class _FiniteGroup(Group):
    """A finite matrix group given by generators; elements found by closure."""

    is_finite = True

    def lie_algebra(self):
        return np.zeros((0, self.d, self.d))

    def sample(self, size=None, rng=None):
        elements = self.elements()
        picks = np.random.default_rng(rng).integers(len(elements), size=size)
        return elements[picks]

    def contains(self, M, atol=1e-10):
        M = np.asarray(M)
        difference = np.abs(M[..., None, :, :] - self.elements())
        return np.any(np.all(difference <= atol, axis=(-2, -1)), axis=-1)


class Permutation(_FiniteGroup):
    """S(n): the permutation matrices acting on R^n (one number per particle).

    Invariants of ``m`` vectors: the multisymmetric power sums up to total degree
    ``degree`` (default ``n``, which generates); equivariant vectors: the all-ones vector
    and the inputs.

    Parameters
    ----------
    n : int
    degree : int, default n
    """

    invariant_tensor_name = "I"
    permutes_slots = True

    def __init__(self, n, degree=None):
        self.d = int(n)
        self.degree = self.d if degree is None else int(degree)
        self.name = f"S({self.d})"

    @property
    def invariant_tensor(self):
        return np.eye(self.d)

    def elements(self):
        if np.prod(np.arange(1, self.d + 1), dtype=float) > _MAX_ELEMENTS:
            raise ValueError(f"{self.name} has more than {_MAX_ELEMENTS} elements: too many to list")
        return np.array([np.eye(self.d)[:, list(p)] for p in permutations(range(self.d))])

    def sample(self, size=None, rng=None):
        rng = np.random.default_rng(rng)
        orders = np.array([rng.permutation(self.d) for _ in range(1 if size is None else size)])
        matrices = np.eye(self.d)[:, orders].transpose(1, 0, 2)  # column i is e_order[i]
        return matrices[0] if size is None else matrices

    def discrete_generators(self):
        """The transposition (0 1) and the cycle (0 1 ... n-1)."""
        if self.d == 1:
            return np.eye(1)[None]
        swap = np.eye(self.d)[:, [1, 0, *range(2, self.d)]]
        cycle = np.roll(np.eye(self.d), 1, axis=0)
        return np.stack([swap, cycle])

    def _exponents(self, n_vectors):
        return exponents(n_vectors, range(1, self.degree + 1))

    def invariants(self, V):
        if V.shape[-2] == 0:
            return V[..., :0, 0]
        return monomials(V, self._exponents(V.shape[-2])).sum(-1)

    def invariant_names(self, names):
        return [f"sum({name})" for name in monomial_names(self._exponents(len(names)), names)]

    def vector_basis(self, V):
        return concatenate([ones(tuple(V.shape[:-2]) + (1, self.d), like=V), V], axis=-2)

    def vector_basis_names(self, names):
        return ["1"] + list(names)


def _rotation(angle):
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


class Cyclic(_FiniteGroup):
    """Z(n): rotations of the plane by multiples of 2 pi / n.

    Equivariant vectors: the inputs and their quarter turns (a subspace of all of them).
    """

    def __init__(self, n):
        self.n = int(n)
        self.d = 2
        self.name = f"Z({self.n})"

    def elements(self):
        return np.stack([_rotation(2 * np.pi * k / self.n) for k in range(self.n)])

    def discrete_generators(self):
        return _rotation(2 * np.pi / self.n)[None]

    def _parts(self, V):
        """Rotation-invariant scalars, holomorphic monomials of degree n, and their exponents."""
        z = V[..., 0] + 1j * V[..., 1]
        holomorphic = monomials(z[..., None], exponents(V.shape[-2], [self.n]))[..., 0]
        return inv.gram_upper(V), inv.determinants(V), holomorphic

    def invariants(self, V):
        gram, det, holomorphic = self._parts(V)
        return concatenate([gram, det, holomorphic.real, holomorphic.imag], axis=-1)

    def _part_names(self, names):
        gram = pair_names(names, *inv.pair_indices(len(names)))
        det = pair_names(names, *inv.pair_indices(len(names), strict=True), "det({},{})")
        monomials = monomial_names(exponents(len(names), [self.n]), names)
        return gram, det, monomials

    def invariant_names(self, names):
        gram, det, monomials = self._part_names(names)
        return gram + det + [f"Re({m})" for m in monomials] + [f"Im({m})" for m in monomials]

    def vector_basis(self, V):
        turned = stack([-V[..., 1], V[..., 0]], axis=-1)
        return concatenate([V, turned], axis=-2)

    def vector_basis_names(self, names):
        return list(names) + [f"J{name}" for name in names]


class Dihedral(Cyclic):
    """D(n): the symmetries of the regular n-gon, Z(n) and the reflection y -> -y (order 2n).

    Equivariant vectors: the inputs (a subspace of all of them).
    """

    def __init__(self, n):
        super().__init__(n)
        self.name = f"D({self.n})"

    def elements(self):
        rotations = super().elements()
        return np.concatenate([rotations, rotations @ np.diag([1.0, -1.0])])

    def discrete_generators(self):
        return np.stack([_rotation(2 * np.pi / self.n), np.diag([1.0, -1.0])])

    def _odd(self, det, holomorphic):
        return concatenate([det, holomorphic.imag], axis=-1)

    def invariants(self, V):
        gram, det, holomorphic = self._parts(V)
        odd = self._odd(det, holomorphic)
        rows, cols = inv.pair_indices(odd.shape[-1])
        return concatenate([gram, holomorphic.real, odd[..., as_index(rows, odd)] * odd[..., as_index(cols, odd)]], axis=-1)

    def invariant_names(self, names):
        gram, det, monomials = self._part_names(names)
        odd = det + [f"Im({m})" for m in monomials]
        return gram + [f"Re({m})" for m in monomials] + pair_names(odd, *inv.pair_indices(len(odd)), "{}*{}")

    def vector_basis(self, V):
        return V

    def vector_basis_names(self, names):
        return list(names)
