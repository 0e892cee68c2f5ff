"""The classical groups: O(d), SO(d), O(1,d), Sp(2m) and U(d).

=========  ==================================  =========================================
group      invariant scalars                   equivariant vectors
=========  ==================================  =========================================
O(d)       <v_i, v_j>, i <= j                  v_i
SO(d)      <v_i, v_j> and det(v_i1 .. v_id)    v_i and cross products of (d-1)-subsets
O(1,d)     Minkowski <v_i, v_j>, i <= j        v_i
Sp(2m)     omega(v_i, v_j), i < j              v_i
U(d)       Re and Im of conj(v_i).v_j          v_i and i v_i (real coefficients)
=========  ==================================  =========================================
"""

import numpy as np

from scalars import invariants as inv
from scalars._backend import as_index, concatenate
from scalars.groups.base import Group, haar_orthogonal, pair_names, preserves, skew_basis, subset_names

__all__ = ["Orthogonal", "SpecialOrthogonal", "Lorentz", "Symplectic", "Unitary"]


class _MetricGroup(Group):
    """The linear maps that keep a symmetric metric; invariants are its Gram entries.

    Subclasses set ``metric``: None for the Euclidean metric, else its diagonal.
    """

    metric = None

    @property
    def invariant_tensor(self):
        return np.eye(self.d) if self.metric is None else np.diag(self.metric)

    def invariants(self, V):
        return inv.gram_upper(V, metric=self.metric)

    def invariant_names(self, names):
        return pair_names(names, *inv.pair_indices(len(names)))

    def contains(self, M, atol=1e-10):
        return preserves(M, self.invariant_tensor, atol)


class Orthogonal(_MetricGroup):
    """O(d): rotations and reflections of R^d. Invariants: the Gram entries <v_i, v_j>."""

    invariant_tensor_name = "I"

    def __init__(self, d):
        self.d = int(d)
        self.name = f"O({self.d})"

    def sample(self, size=None, rng=None):
        return haar_orthogonal(self.d, size, np.random.default_rng(rng))

    def lie_algebra(self):
        """The d(d-1)/2 rotation generators ``E_ij - E_ji``, i < j."""
        return skew_basis(self.d)

    def discrete_generators(self):
        """The reflection of the first axis."""
        return np.diag(np.r_[-1.0, np.ones(self.d - 1)])[None]


class SpecialOrthogonal(Orthogonal):
    """SO(d): rotations of R^d. Adds every d x d determinant to the invariants and the
    generalised cross products of (d-1)-subsets to the equivariant vectors."""

    def __init__(self, d):
        super().__init__(d)
        self.name = f"SO({self.d})"

    def sample(self, size=None, rng=None):
        Q = super().sample(size, rng)
        flip = np.linalg.det(Q) < 0
        Q[..., 0] = np.where(flip[..., None], -Q[..., 0], Q[..., 0])
        return Q

    def discrete_generators(self):
        """None: SO(d) is connected."""
        return np.zeros((0, self.d, self.d))

    def contains(self, M, atol=1e-10):
        return super().contains(M, atol) & (np.linalg.det(M) > 0)

    def invariants(self, V):
        return concatenate([super().invariants(V), inv.determinants(V)], axis=-1)

    def invariant_names(self, names):
        return super().invariant_names(names) + subset_names("det", names, self.d)

    def vector_basis(self, V):
        return concatenate([V, inv.cross_products(V)], axis=-2)

    def vector_basis_names(self, names):
        return list(names) + subset_names("cross", names, self.d - 1)


class Lorentz(_MetricGroup):
    """O(1,d): the Lorentz group of R^(1+d) with metric eta = diag(+1, -1, ..., -1).

    Vectors have ``d + 1`` components, time first. Invariants: Minkowski products
    ``<v, w> = v_0 w_0 - v_1 w_1 - ... - v_d w_d``.

    Parameters
    ----------
    d : int
        Number of space dimensions.
    max_rapidity : float
        Random elements are a boost of rapidity up to this bound in a random direction,
        times a random spatial rotation or reflection, times a random time reversal.
    """

    invariant_tensor_name = "eta"

    def __init__(self, d, max_rapidity=1.0):
        self.space = int(d)
        self.d = self.space + 1
        self.name = f"O(1,{self.space})"
        self.max_rapidity = max_rapidity
        self.metric = np.concatenate([[1.0], -np.ones(self.space)])

    def sample(self, size=None, rng=None):
        rng = np.random.default_rng(rng)
        batch = () if size is None else (size,)
        direction = rng.standard_normal(batch + (self.space,))
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        rapidity = rng.uniform(0, self.max_rapidity, batch)
        cosh, sinh = np.cosh(rapidity)[..., None], np.sinh(rapidity)[..., None]
        boost = np.zeros(batch + (self.d, self.d))
        boost[..., 0, 0] = cosh[..., 0]
        boost[..., 0, 1:] = boost[..., 1:, 0] = sinh * direction
        outer = direction[..., :, None] * direction[..., None, :]
        boost[..., 1:, 1:] = np.eye(self.space) + (cosh[..., None] - 1) * outer
        spatial = np.zeros(batch + (self.d, self.d))
        spatial[..., 0, 0] = rng.choice([-1.0, 1.0], size=batch)  # time reversal
        spatial[..., 1:, 1:] = haar_orthogonal(self.space, size, rng)
        return boost @ spatial

    def lie_algebra(self):
        """The d(d-1)/2 spatial rotations, then the d boosts ``E_0i + E_i0``: d(d+1)/2 in all."""
        rotations = np.zeros((self.space * (self.space - 1) // 2, self.d, self.d))
        rotations[:, 1:, 1:] = skew_basis(self.space)
        boosts = np.zeros((self.space, self.d, self.d))
        boosts[np.arange(self.space), 0, np.arange(1, self.d)] = 1.0
        boosts[np.arange(self.space), np.arange(1, self.d), 0] = 1.0
        return np.concatenate([rotations, boosts])

    def discrete_generators(self):
        """Parity (the first space axis reflected) and time reversal."""
        parity, reversal = np.eye(self.d), np.eye(self.d)
        parity[1, 1] = reversal[0, 0] = -1.0
        return np.stack([parity, reversal])


class Symplectic(Group):
    """Sp(2m): linear maps of R^(2m) that keep omega(v, w) = v^T J w, J = [[0, I], [-I, 0]].

    Vectors are ``(q, p)`` with ``m`` positions then ``m`` momenta. Invariants: the
    symplectic products ``omega(v_i, v_j)`` for ``i < j``.

    Parameters
    ----------
    d : int
        Even dimension ``2m``.
    scale : float
        Random elements are ``exp(J S)`` with ``S`` symmetric, entries ~ N(0, scale^2).
    """

    def __init__(self, d, scale=0.5):
        if int(d) % 2:
            raise ValueError(f"Sp(d) needs an even dimension d = 2m, got Sp({d})")
        self.d = int(d)
        self.name = f"Sp({self.d})"
        self.scale = scale
        m = self.d // 2
        self.J = np.block([[np.zeros((m, m)), np.eye(m)], [-np.eye(m), np.zeros((m, m))]])

    def sample(self, size=None, rng=None):
        from scipy.linalg import expm

        rng = np.random.default_rng(rng)
        A = self.scale * rng.standard_normal((() if size is None else (size,)) + (self.d, self.d))
        S = (A + np.swapaxes(A, -1, -2)) / 2
        generators = self.J @ S
        if size is None:
            return expm(generators)
        return np.stack([expm(x) for x in generators])

    def lie_algebra(self):
        """``J S`` for ``S`` in a basis of the symmetric matrices: m(2m+1) generators."""
        rows, cols = np.triu_indices(self.d)
        S = np.zeros((len(rows), self.d, self.d))
        S[np.arange(len(rows)), rows, cols] = 1.0
        S[np.arange(len(rows)), cols, rows] = 1.0
        return self.J @ S

    def discrete_generators(self):
        """None: Sp(2m) is connected."""
        return np.zeros((0, self.d, self.d))

    def contains(self, M, atol=1e-10):
        return preserves(M, self.J, atol)

    def invariants(self, V):
        return inv.symplectic_products(V)

    def invariant_names(self, names):
        return pair_names(names, *inv.pair_indices(len(names), strict=True), "omega({},{})")


class Unitary(Group):
    """U(d): unitary maps of C^d. Invariants: real and imaginary parts of conj(v_i).v_j.

    In a flat feature matrix a complex vector takes ``2d`` real columns, real parts first.
    The equivariant vectors over the reals are ``v_i`` and ``i v_i``. There is no real
    symmetric tensor basis: :meth:`tensor_basis` raises ``NotImplementedError``.
    """

    is_complex = True
    _NO_TENSOR_BASIS = (
        "U(d) has no real symmetric tensor basis (its equivariant rank-2 tensors are complex "
        "Hermitian): rank-2 tensor outputs are not supported for unitary groups"
    )

    def __init__(self, d):
        self.d = int(d)
        self.name = f"U({self.d})"

    def sample(self, size=None, rng=None):
        return haar_orthogonal(self.d, size, np.random.default_rng(rng), complex_=True)

    def real_form(self, g):
        """``[[Re g, -Im g], [Im g, Re g]]``: ``g`` acting on columns (real parts, imaginary parts)."""
        g = np.asarray(g)
        return np.block([[g.real, -g.imag], [g.imag, g.real]])

    def lie_algebra(self):
        """Real forms of a basis of the skew-Hermitian matrices: d^2 generators."""
        d = self.d
        diagonal = np.zeros((d, d, d))
        diagonal[np.arange(d), np.arange(d), np.arange(d)] = 1.0
        basis = np.concatenate([skew_basis(d), 1j * np.abs(skew_basis(d)), 1j * diagonal])
        return self.real_form(basis)

    def discrete_generators(self):
        """None: U(d) is connected."""
        return np.zeros((0, 2 * self.d, 2 * self.d))

    def contains(self, M, atol=1e-10):
        complex_structure = self.real_form(1j * np.eye(self.d))
        commutes = np.all(np.abs(M @ complex_structure - complex_structure @ M) <= atol, axis=(-2, -1))
        return preserves(M, np.eye(2 * self.d), atol) & commutes

    @property
    def n_columns(self):
        return 2 * self.d

    def vectors_from_columns(self, V):
        return V[..., : self.d] + 1j * V[..., self.d :]

    def columns_from_vectors(self, V):
        return concatenate([V.real, V.imag], axis=-1)

    def invariants(self, V):
        H = inv.hermitian_products(V)
        off_diagonal = as_index(np.flatnonzero(np.not_equal(*inv.pair_indices(V.shape[-2]))), H)
        return concatenate([H.real, H.imag[..., off_diagonal]], axis=-1)

    def invariant_names(self, names):
        rows, cols = inv.pair_indices(len(names))
        strict = rows != cols
        return pair_names(names, rows, cols, "Re<{},{}>") + pair_names(
            names, rows[strict], cols[strict], "Im<{},{}>"
        )

    def vector_basis(self, V):
        return concatenate([V, 1j * V], axis=-2)

    def vector_basis_names(self, names):
        return list(names) + [f"i*{name}" for name in names]

    def tensor_basis(self, V):
        raise NotImplementedError(self._NO_TENSOR_BASIS)

    def tensor_basis_names(self, names):
        raise NotImplementedError(self._NO_TENSOR_BASIS)
