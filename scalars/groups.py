"""Matrix groups acting on vectors, with their invariant scalars and equivariant bases.

Each group knows how it acts on vectors ``(..., n, d)`` (``v -> g v``, i.e. ``V @ g.T``),
how to draw random elements, which scalars are invariant (first fundamental theorem) and
which vectors and symmetric tensors span its equivariant outputs:

=========  ==================================  =========================================
group      invariant scalars                   equivariant vectors
=========  ==================================  =========================================
O(d)       <v_i, v_j>, i <= j                  v_i
SO(d)      <v_i, v_j> and det(v_i1 .. v_id)    v_i and cross products of (d-1)-subsets
O(1,d)     Minkowski <v_i, v_j>, i <= j        v_i
Sp(2m)     omega(v_i, v_j), i < j              v_i
U(d)       Re and Im of conj(v_i).v_j          v_i and i v_i (real coefficients)
=========  ==================================  =========================================

A group is named by a string (``"O(3)"``, ``"SO(3)"``, ``"O(1,3)"``, ``"Sp(4)"``, ``"U(2)"``)
or passed as an object; :func:`get_group` turns either into an object.
"""

import re

import numpy as np

from scalars import invariants as inv
from scalars._backend import as_backend_of, as_index, broadcast_to, concatenate, swap_last

__all__ = [
    "Group",
    "Orthogonal",
    "SpecialOrthogonal",
    "Lorentz",
    "Symplectic",
    "Unitary",
    "get_group",
]


def _haar_orthogonal(d, size, rng, complex_=False):
    """Haar-random orthogonal (or unitary) matrices by QR with the phase of R's diagonal fixed."""
    shape = (() if size is None else (size,)) + (d, d)
    A = rng.standard_normal(shape)
    if complex_:
        A = (A + 1j * rng.standard_normal(shape)) / np.sqrt(2)
    Q, R = np.linalg.qr(A)
    diagonal = np.diagonal(R, axis1=-2, axis2=-1)
    return Q * (diagonal / np.abs(diagonal))[..., None, :]


class Group:
    """A matrix group acting on ``d``-dimensional vectors.

    Subclasses set ``name`` and ``d`` and implement :meth:`sample` and :meth:`invariants`.
    """

    name = None
    d = None
    is_complex = False
    invariant_tensor = None
    """A symmetric (d, d) tensor fixed by the group (``g T g^T = T``), or None."""
    invariant_tensor_name = None
    """Name of the invariant tensor in :meth:`tensor_basis_names`: "I" for O(d), "eta" for O(1,d)."""

    def __repr__(self):
        return f"get_group({self.name!r})"

    def __eq__(self, other):
        return isinstance(other, Group) and self.name == other.name

    def __hash__(self):
        return hash(self.name)

    # -- action ---------------------------------------------------------------------------
    def act(self, g, V):
        """Apply ``g`` of shape (..., d, d) to vectors ``V`` of shape (..., n, d)."""
        return V @ swap_last(g)

    def act_tensor(self, g, T):
        """Apply ``g`` to rank-2 tensors ``T`` of shape (..., d, d): ``g T g^T``."""
        return g @ T @ swap_last(g)

    def sample(self, size=None, rng=None):
        """Random elements: one (d, d) matrix, or (size, d, d) when ``size`` is given."""
        raise NotImplementedError

    # -- flat real columns ----------------------------------------------------------------
    @property
    def n_columns(self):
        """Real columns a vector takes in a flat feature matrix."""
        return self.d

    def vectors_from_columns(self, V):
        """Vectors (..., n, d) from their real columns (..., n, n_columns)."""
        return V

    def columns_from_vectors(self, V):
        """Real columns (..., n, n_columns) of vectors (..., n, d)."""
        return V

    # -- invariants -----------------------------------------------------------------------
    def invariants(self, V):
        """Real invariant scalars of ``n`` vectors: (..., n, d) -> (..., n_invariants(n))."""
        raise NotImplementedError

    def invariant_names(self, names):
        """Names of :meth:`invariants` for vectors called ``names``, in the same order."""
        raise NotImplementedError

    def n_invariants(self, n):
        return len(self.invariant_names([f"v{i}" for i in range(n)]))

    # -- equivariant bases ----------------------------------------------------------------
    def vector_basis(self, V):
        """Vectors that span the equivariant vector outputs: (..., n, d) -> (..., k, d)."""
        return V

    def vector_basis_names(self, names):
        return list(names)

    def tensor_basis(self, V):
        """Symmetric tensors spanning the equivariant rank-2 outputs.

        ``sym(b_i b_j^T) = (b_i b_j^T + b_j b_i^T) / 2`` for ``i <= j`` over the vector basis,
        then the invariant tensor if the group has one. Shape (..., k, d) -> (..., K, d, d).
        """
        B = self.vector_basis(V)
        rows, cols = inv.pair_indices(B.shape[-2])
        outer = B[..., as_index(rows, B), :, None] * B[..., as_index(cols, B), None, :]
        tensors = (outer + swap_last(outer)) / 2
        if self.invariant_tensor is None:
            return tensors
        fixed = as_backend_of(self.invariant_tensor, tensors)
        fixed = broadcast_to(fixed, tuple(tensors.shape[:-3]) + (1,) + tuple(fixed.shape))
        return concatenate([tensors, fixed], axis=-3)

    def tensor_basis_names(self, names):
        """Names of :meth:`tensor_basis`: ``sym(a,b)`` per pair, then the invariant tensor."""
        basis = self.vector_basis_names(names)
        pairs = _pair_names(basis, *inv.pair_indices(len(basis)), "sym({},{})")
        return pairs + ([] if self.invariant_tensor is None else [self.invariant_tensor_name])


def _pair_names(names, rows, cols, template="<{},{}>"):
    """``template`` filled with the names of each pair ``(rows[k], cols[k])``."""
    return [template.format(names[i], names[j]) for i, j in zip(rows, cols)]


def _subset_names(function, names, k):
    """``function(a,b,...)`` for every ``k``-subset of ``names``, in lexicographic order."""
    subsets = inv.subset_indices(len(names), k)
    return [f"{function}({','.join(names[i] for i in subset)})" for subset in subsets]


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
        return _pair_names(names, *inv.pair_indices(len(names)))


class Orthogonal(_MetricGroup):
    """O(d): rotations and reflections of R^d. Invariants: the Gram entries <v_i, v_j>."""

    invariant_tensor_name = "I"

    def __init__(self, d):
        self.d = int(d)
        self.name = f"O({self.d})"

    def sample(self, size=None, rng=None):
        return _haar_orthogonal(self.d, size, np.random.default_rng(rng))


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

    def invariants(self, V):
        return concatenate([super().invariants(V), inv.determinants(V)], axis=-1)

    def invariant_names(self, names):
        return super().invariant_names(names) + _subset_names("det", names, self.d)

    def vector_basis(self, V):
        return concatenate([V, inv.cross_products(V)], axis=-2)

    def vector_basis_names(self, names):
        return list(names) + _subset_names("cross", names, self.d - 1)


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
        spatial[..., 1:, 1:] = _haar_orthogonal(self.space, size, rng)
        return boost @ spatial


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

    def invariants(self, V):
        return inv.symplectic_products(V)

    def invariant_names(self, names):
        return _pair_names(names, *inv.pair_indices(len(names), strict=True), "omega({},{})")


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
        return _haar_orthogonal(self.d, size, np.random.default_rng(rng), complex_=True)

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
        return _pair_names(names, rows, cols, "Re<{},{}>") + _pair_names(
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


_GROUP_PATTERNS = [
    (re.compile(r"^O\((\d+)\)$"), Orthogonal),
    (re.compile(r"^SO\((\d+)\)$"), SpecialOrthogonal),
    (re.compile(r"^O\(1,(\d+)\)$"), Lorentz),
    (re.compile(r"^Sp\((\d+)\)$"), Symplectic),
    (re.compile(r"^U\((\d+)\)$"), Unitary),
]


def get_group(group):
    """A :class:`Group` from its name (``"O(3)"``, ``"SO(3)"``, ``"O(1,3)"``, ``"Sp(4)"``,
    ``"U(2)"``) or the group itself.

    Raises
    ------
    ValueError
        If the name is not one of those forms.
    """
    if isinstance(group, Group):
        return group
    if isinstance(group, str):
        compact = group.replace(" ", "")
        for pattern, cls in _GROUP_PATTERNS:
            match = pattern.match(compact)
            if match and int(match.group(1)) > 0:
                return cls(int(match.group(1)))
    raise ValueError(
        f"unknown group {group!r}: use 'O(d)', 'SO(d)', 'O(1,d)', 'Sp(2m)' or 'U(d)' with "
        "d a positive integer (e.g. 'O(3)', 'SO(3)', 'O(1,3)', 'Sp(4)', 'U(2)'), or a Group"
    )
