"""Equivariant linear maps between representations: the nullspace of the group's constraints.

A linear map ``W`` from ``rep_in`` to ``rep_out`` is equivariant when
``rho_out(g) W = W rho_in(g)`` for every group element. It is enough to ask it of the
generators (EMLP, Finzi et al. 2021): for each Lie algebra element ``A``,
``drho_out(A) W - W drho_in(A) = 0``, and for each discrete generator ``h``,
``rho_out(h) W rho_in(h)^-1 = W``. On ``vec(W)`` (row-major) these are
``(drho_out (x) I - I (x) drho_in^T) vec(W) = 0`` and
``(rho_out (x) rho_in^-T - I) vec(W) = 0``. The solver

1. splits both representations into their *leaves* (the blocks of sums, with products of
   sums distributed), groups equal leaves, and solves each distinct (in, out) pair of
   leaf types once; the maps between copies reuse that basis;
2. factors a pair of products ``a (x) b`` of two groups (``S(k) x G``) into the maps of
   ``a`` and of ``b``: the invariants of ``G x H`` on ``A (x) B`` are ``A^G (x) B^H``;
3. takes the fixed vectors of the discrete generators that are signed permutations
   (permutations, reflections of axes) exactly, one per orbit of the indices: the orbit's
   signed indicator. A permutation representation's invariants are its orbit sums;
4. imposes the remaining constraints on that subspace: for a small map space (up to
   ``SMALL_LIMIT`` entries) by one dense SVD of them all; for a larger one, one generator
   at a time, each on the subspace the ones before it leave. A generator couples few
   indices, so the columns of its
   constraint split into small connected blocks, each solved by a dense SVD (or the
   eigenvectors of its Gram matrix); a block beyond ``DENSE_LIMIT`` columns is solved
   iteratively, by conjugate gradients on ``C^T C y = 0`` with ``C^T C`` a
   ``scipy.sparse.linalg.LinearOperator``, which projects random vectors onto the
   nullspace. The constraints are sparse Kronecker products, never formed densely.

Bases are cached in memory per pair of leaf types and, optionally, on disk (``cache_dir``
or the environment variable ``SCALARS_BASIS_CACHE``), keyed by the representations and
:data:`VERSION`.

>>> from scalars.reps import T, equivariant_basis
>>> equivariant_basis(T(2)("O(3)")).shape          # the invariant vectors of T2: vec(I)
(9, 1)
>>> V = T(1)("S(8)")
>>> equivariant_basis(V * V, V * V).shape[1]       # orbits of S(8) on index quadruples
15
"""

import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.sparse.linalg import LinearOperator
from threadpoolctl import ThreadpoolController

from scalars.reps.base import DualRep, ProductRep, Rep, SumRep, TensorRep, check_rep_pair

__all__ = [
    "equivariant_basis",
    "equivariant_blocks",
    "leaf_basis",
    "BlockBasis",
    "MapBlock",
    "leaves",
    "leaf_types",
    "is_permutation",
    "clear_cache",
    "VERSION",
]

VERSION = 1
"""Bumped whenever the bases change; part of every disk-cache key."""
SMALL_LIMIT = 400
"""Largest map space (``out.size * in.size``) solved by one dense SVD of all its constraints."""
DENSE_LIMIT = 200
"""Largest block of coupled columns solved densely; beyond it, conjugate gradients."""
SVD_LIMIT = 20_000
"""Largest dense block (entries) solved by an SVD; a larger one by the eigenvectors of its Gram matrix."""
TOLERANCE = 1e-7
"""A singular value below ``TOLERANCE`` times (a bound on) the largest one spans the nullspace."""
CACHE_ENV = "SCALARS_BASIS_CACHE"

_LEAF_BASES = {}  # (rep_in leaf, rep_out leaf) -> basis (r, out, in)


# -- leaves ---------------------------------------------------------------------------------
def leaves(rep):
    """The blocks a representation is the direct sum of, with their columns.

    Sums split into their terms; a product ``(a1 + a2) (x) (b1 + b2)`` into the products
    ``ai (x) bj`` (whose columns interleave); a dual into the duals of the blocks.

    Returns
    -------
    list of (Rep, ndarray of int)
        Each leaf and the columns of ``rep`` it acts on, in the leaf's own order, so that
        ``rep.rho(g)[np.ix_(index, index)] == leaf.rho(g)`` and ``rho`` is zero between leaves.
    """
    if isinstance(rep, SumRep):
        out, start = [], 0
        for part in rep.reps:
            out += [(leaf, index + start) for leaf, index in leaves(part)]
            start += part.size
        return out
    if isinstance(rep, ProductRep):
        size_b = rep.b.size
        return [
            (leaf_a * leaf_b, (index_a[:, None] * size_b + index_b[None, :]).ravel())
            for leaf_a, index_a in leaves(rep.a)
            for leaf_b, index_b in leaves(rep.b)
        ]
    if isinstance(rep, DualRep):
        return [(leaf.dual(), index) for leaf, index in leaves(rep.rep)]
    return [(rep, np.arange(rep.size))]


def leaf_types(rep):
    """Distinct leaves of ``rep`` in order of appearance -> their columns, (copies, leaf size)."""
    grouped = OrderedDict()
    for leaf, index in leaves(rep):
        grouped.setdefault(leaf, []).append(index)
    return OrderedDict((leaf, np.stack(indices)) for leaf, indices in grouped.items())


def is_permutation(rep):
    """Whether ``rep`` is a permutation representation: every discrete generator acts by a
    permutation matrix and the Lie algebra acts as zero (so pointwise functions commute with it)."""
    group = rep.group
    if any(np.any(rep.drho(A)) for A in group.lie_algebra_elements()):
        return False
    return all(_monomial(rep.rho(h), signed=False) is not None for h in group.discrete_generator_elements())


# -- the basis of maps ------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class MapBlock:
    """The equivariant maps between every copy of one leaf type of ``rep_in`` and one of ``rep_out``.

    Attributes
    ----------
    leaf_in, leaf_out : Rep
        The two leaf types.
    in_index : ndarray of int, shape (m_in, leaf_in.size)
        Columns of ``rep_in`` of each copy of ``leaf_in``.
    out_index : ndarray of int, shape (m_out, leaf_out.size)
        Columns of ``rep_out`` of each copy of ``leaf_out``.
    basis : ndarray, shape (r, leaf_out.size, leaf_in.size)
        Orthonormal (in the Frobenius product) equivariant maps ``leaf_in -> leaf_out``.
    """

    leaf_in: Rep
    leaf_out: Rep
    in_index: np.ndarray
    out_index: np.ndarray
    basis: np.ndarray

    @property
    def dim(self):
        """``m_out * m_in * r``: the maps from any copy to any copy."""
        return len(self.out_index) * len(self.in_index) * len(self.basis)


class BlockBasis:
    """The equivariant maps ``rep_in -> rep_out``, kept as blocks between leaf types.

    The dense basis (:meth:`dense`) has one column per (block, out copy, in copy, basis
    map), in that order; columns of different blocks have disjoint supports.

    Attributes
    ----------
    rep_in, rep_out : Rep
    blocks : tuple of MapBlock
        The pairs of leaf types with at least one map.
    dim : int
        Dimension of the space of equivariant maps.
    """

    def __init__(self, rep_in, rep_out, blocks):
        self.rep_in, self.rep_out, self.blocks = rep_in, rep_out, tuple(blocks)
        self.dim = sum(block.dim for block in self.blocks)

    def __repr__(self):
        return f"BlockBasis({self.rep_in!r} -> {self.rep_out!r}, dim={self.dim}, blocks={len(self.blocks)})"

    def dense(self):
        """The basis as an array (rep_out.size * rep_in.size, dim) of orthonormal columns."""
        n_in = self.rep_in.size
        Q = np.zeros((self.rep_out.size * n_in, self.dim))
        start = 0
        for block in self.blocks:
            m_out, m_in, r = len(block.out_index), len(block.in_index), len(block.basis)
            rows = block.out_index[:, None, :, None] * n_in + block.in_index[None, :, None, :]  # (m_out, m_in, o, i)
            columns = start + np.arange(m_out * m_in * r).reshape(m_out, m_in, r)
            Q[rows[:, :, None], columns[:, :, :, None, None]] = block.basis[None, None]
            start += columns.size
        return Q


def _check_pair(rep_in, rep_out):
    check_rep_pair("equivariant_basis", rep_in, rep_out)
    for rep in (rep_in, rep_out):
        if rep.translation(rep.group.identity()) is not None:
            raise ValueError(
                f"{rep!r} translates (points of {rep.group.name}): it is affine, not linear, so it has no "
                "equivariant linear maps; use free vectors (differences of points) instead"
            )


def equivariant_blocks(rep_in, rep_out=None, cache_dir=None):
    """The equivariant maps ``rep_in -> rep_out`` as a :class:`BlockBasis`.

    Parameters
    ----------
    rep_in : Rep
    rep_out : Rep, optional
        None gives the invariant vectors of ``rep_in`` (the maps from a scalar to it).
    cache_dir : str or Path, optional
        Directory of the disk cache; default ``$SCALARS_BASIS_CACHE``, else none.

    Returns
    -------
    BlockBasis

    Raises
    ------
    ValueError
        If the two representations are of different groups, or one translates.
    """
    if rep_out is None:
        rep_in, rep_out = TensorRep(0, 0, rep_in.require_group()), rep_in
    _check_pair(rep_in, rep_out)
    return _blocks(rep_in, rep_out, _cache_path(cache_dir))


@lru_cache(maxsize=256)
def _blocks(rep_in, rep_out, cache_path):
    blocks = []
    for leaf_out, out_index in leaf_types(rep_out).items():
        for leaf_in, in_index in leaf_types(rep_in).items():
            basis = leaf_basis(leaf_in, leaf_out, cache_path)
            if len(basis):
                blocks.append(MapBlock(leaf_in, leaf_out, in_index, out_index, basis))
    return BlockBasis(rep_in, rep_out, blocks)


def equivariant_basis(rep_in, rep_out=None, cache_dir=None):
    """An orthonormal basis of the equivariant linear maps ``rep_in -> rep_out``.

    Parameters
    ----------
    rep_in : Rep
    rep_out : Rep, optional
        None gives the invariant vectors of ``rep_in``.
    cache_dir : str or Path, optional
        Directory of the disk cache; default ``$SCALARS_BASIS_CACHE``, else none.

    Returns
    -------
    ndarray of shape (rep_out.size * rep_in.size, r), float64, read-only
        Orthonormal columns; column ``k`` reshaped row-major to (rep_out.size, rep_in.size)
        is a map ``W`` with ``rho_out(g) W = W rho_in(g)`` for every ``g``. For invariant
        vectors, (rep_in.size, r).

    Raises
    ------
    ValueError
        If the two representations are of different groups, or one translates.

    Examples
    --------
    >>> from scalars.reps import T, equivariant_basis
    >>> V = T(1)("O(3)")
    >>> equivariant_basis(V, V).shape                  # multiples of the identity
    (9, 1)
    >>> equivariant_basis(T(4)("O(3)")).shape[1]       # three pairings of four indices
    3
    >>> equivariant_basis(V, T(0)("O(3)")).shape       # vectors do not map linearly to scalars
    (3, 0)
    """
    Q = equivariant_blocks(rep_in, rep_out, cache_dir).dense()
    Q.flags.writeable = False
    return Q


def clear_cache():
    """Forget every basis solved in this process (the disk cache stays)."""
    _LEAF_BASES.clear()
    _blocks.cache_clear()


# -- one pair of leaves -----------------------------------------------------------------------
def _cache_path(cache_dir):
    directory = cache_dir if cache_dir is not None else os.environ.get(CACHE_ENV)
    return None if directory in (None, "") else str(Path(directory))


def leaf_basis(leaf_in, leaf_out, cache_path=None):
    """Orthonormal equivariant maps between two leaves, (r, leaf_out.size, leaf_in.size), read-only.

    Solved once per pair (in memory, and on disk under ``cache_path`` if given).
    """
    key = (leaf_in, leaf_out)
    basis = _LEAF_BASES.get(key)
    file = None
    if cache_path is not None:
        digest = hashlib.sha256(repr((VERSION, leaf_in.key(), leaf_out.key())).encode()).hexdigest()[:32]
        file = Path(cache_path) / f"basis-v{VERSION}-{digest}.npy"
        if basis is None and file.exists():
            basis = np.load(file)
    if basis is None:
        with _blas_threads().limit(limits=1, user_api="blas"):  # small dense blocks: threads only contend
            basis = _solve_leaves(leaf_in, leaf_out, cache_path)
    if file is not None and not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_suffix(f".{os.getpid()}.tmp")
        with open(partial, "wb") as handle:
            np.save(handle, basis)
        os.replace(partial, file)  # atomic: readers never see half a file
    basis.flags.writeable = False
    _LEAF_BASES[key] = basis
    return basis


@lru_cache(maxsize=None)
def _blas_threads():
    return ThreadpoolController()  # inspects the loaded libraries once


def _factors(leaf_in, leaf_out):
    """``((a_in, a_out), (b_in, b_out))`` when both leaves are products over the same two groups."""
    pair = (leaf_in, leaf_out)
    if not all(isinstance(leaf, ProductRep) and leaf.external for leaf in pair):
        return None
    if leaf_in.a.group != leaf_out.a.group or leaf_in.b.group != leaf_out.b.group:
        return None
    return (leaf_in.a, leaf_out.a), (leaf_in.b, leaf_out.b)


def _solve_leaves(leaf_in, leaf_out, cache_path):
    factors = _factors(leaf_in, leaf_out)
    if factors is not None:
        (a_in, a_out), (b_in, b_out) = factors
        Qa, Qb = leaf_basis(a_in, a_out, cache_path), leaf_basis(b_in, b_out, cache_path)
        # maps (a (x) b) -> (a' (x) b'): entry [(a', b'), (a, b)] = Qa[a', a] Qb[b', b]
        basis = np.einsum("kxa,lyb->klxyab", Qa, Qb)
        return basis.reshape(len(Qa) * len(Qb), leaf_out.size, leaf_in.size)
    n_out, n_in = leaf_out.size, leaf_in.size
    small = n_out * n_in <= SMALL_LIMIT
    signed, constraints = _constraints(leaf_in, leaf_out, dense=small)
    Q = _signed_orbits(signed, n_out * n_in)
    if small:  # one dense SVD of every remaining constraint
        Q = Q.toarray()
        if constraints and Q.shape[1]:
            B = np.concatenate(constraints) @ Q
            Q = Q @ _dense_nullspace(B, _threshold(B))
    else:
        for C in constraints:  # each on the subspace the ones before it leave
            if Q.shape[1]:
                Q = Q @ _nullspace(C.tocsr() @ Q)
        Q = Q.toarray() if sparse.issparse(Q) else Q
    return np.ascontiguousarray(Q.T).reshape(-1, n_out, n_in)


def _constraints(leaf_in, leaf_out, dense):
    """The generators' constraints on ``vec(W)``, as numpy (``dense``) or sparse matrices.

    Returns
    -------
    signed : list of (perm, sign)
        Discrete generators that act on ``vec(W)`` as signed permutations (for
        :func:`_signed_orbits`).
    constraints : list of (n, n) matrices ``C`` with ``C vec(W) = 0``
        The Lie algebra generators and the other discrete generators.
    """
    kron, eye, convert = (np.kron, np.eye, np.asarray) if dense else (sparse.kron, sparse.identity, _sparse)
    n_out, n_in = leaf_out.size, leaf_in.size
    group = leaf_in.group
    signed, constraints = [], []
    for h in group.discrete_generator_elements():
        R_out, R_in = leaf_out.rho(h), leaf_in.rho(h)
        m_out, m_in = _monomial(R_out), _monomial(R_in)
        if m_out is not None and m_in is not None:
            # rho_in^-T = rho_in for a signed permutation; index (a, b) moves to (pi_out a, pi_in b)
            perm = (m_out[0][:, None] * n_in + m_in[0][None, :]).ravel()
            sign = (m_out[1][:, None] * m_in[1][None, :]).ravel()
            signed.append((perm, sign))
        else:
            constraints.append(kron(convert(R_out), convert(np.linalg.inv(R_in).T)) - eye(n_out * n_in))
    for A in group.lie_algebra_elements():
        d_out, d_in = leaf_out.drho(A), leaf_in.drho(A)
        if np.any(d_out) or np.any(d_in):
            constraints.append(kron(convert(d_out), eye(n_in)) - kron(eye(n_out), convert(d_in.T)))
    return signed, constraints


def _threshold(B):
    """``TOLERANCE`` times a bound on the largest singular value of ``B`` (at least ``TOLERANCE``)."""
    norm = sparse.linalg.norm if sparse.issparse(B) else np.linalg.norm
    return TOLERANCE * max(np.sqrt(norm(B, 1) * norm(B, np.inf)), 1.0)


def _sparse(M):
    return sparse.csr_matrix(np.where(np.abs(M) > 1e-14, M, 0.0))


def _monomial(R, signed=True):
    """``(perm, sign)`` with ``R[perm[b], b] = sign[b]`` if ``R`` is a signed permutation matrix
    (only +1 entries unless ``signed``), else None."""
    nonzero = np.abs(R) > 1e-12
    if not (np.all(nonzero.sum(0) == 1) and np.all(nonzero.sum(1) == 1)):
        return None
    perm = np.argmax(nonzero, axis=0)
    values = R[perm, np.arange(len(R))]
    sign = np.round(values)
    if np.any(np.abs(values - sign) > 1e-12) or (not signed and np.any(sign < 0)):
        return None
    return perm, sign.astype(np.int8)


def _signed_orbits(generators, n):
    """Orthonormal fixed vectors (sparse, (n, m)) of signed permutations of ``n`` indices.

    ``generators`` holds ``(perm, sign)``: index ``b`` goes to ``perm[b]`` with ``sign[b]``.
    A fixed vector is constant up to sign on each orbit; it exists iff the signs agree
    around every cycle, and is then the orbit's signed indicator over sqrt(orbit size).
    """
    if not generators:
        return sparse.identity(n, format="csc")
    source = np.concatenate([np.arange(n)] * len(generators))
    target = np.concatenate([perm for perm, _ in generators])
    sign = np.concatenate([s for _, s in generators]).astype(np.int64)
    graph = sparse.coo_matrix((np.ones(len(source)), (source, target)), shape=(n, n))
    n_orbits, label = csgraph.connected_components(graph, directed=False)
    # a spanning forest: the first index of each orbit is its root
    root = np.full(n_orbits, n)
    np.minimum.at(root, label, np.arange(n))
    forest = csgraph.breadth_first_tree(_with_roots(graph, root, n), n, directed=False)
    parent = np.full(n + 1, n)
    tree = forest.tocoo()
    parent[tree.col] = tree.row
    # sign of each forest edge parent -> child, read from a generator edge between them
    keys = np.concatenate([source * (n + 1) + target, target * (n + 1) + source])
    keys, first = np.unique(keys, return_index=True)
    signs = np.concatenate([sign, sign])[first]
    step = np.ones(n + 1, dtype=np.int64)
    children = np.flatnonzero(parent[:n] != n)
    step[children] = signs[np.searchsorted(keys, parent[children] * (n + 1) + children)]
    potential, up = step.copy(), parent.copy()
    while np.any(up[:n] != n):  # pointer jumping: product of the signs up to the root
        moving = up != n
        potential[moving] *= potential[up[moving]]
        up[moving] = up[up[moving]]
    potential = potential[:n]
    dead = np.unique(label[source[potential[target] != sign * potential[source]]])
    alive = np.setdiff1d(np.arange(n_orbits), dead)
    column = np.full(n_orbits, -1)
    column[alive] = np.arange(len(alive))
    rows = np.flatnonzero(column[label] >= 0)
    sizes = np.bincount(label, minlength=n_orbits)
    values = potential[rows] / np.sqrt(sizes[label[rows]])
    return sparse.csc_matrix((values, (rows, column[label[rows]])), shape=(n, len(alive)))


def _with_roots(graph, root, n):
    """``graph`` with an extra node ``n`` joined to every root, so one BFS spans the forest."""
    graph = graph.tocoo()
    rows = np.concatenate([graph.row, np.full(len(root), n)])
    cols = np.concatenate([graph.col, root])
    return sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1)).tocsr()


def _nullspace(B):
    """Orthonormal null vectors of ``B`` (rows, m), as a sparse (m, r) matrix.

    The columns split into connected components (columns linked when they share a row of
    ``B``; one generator couples few indices), solved apart: a column alone is null iff it
    is zero, a component by :func:`_dense_nullspace`, or beyond :data:`DENSE_LIMIT` columns
    by :func:`_iterative_nullspace`.
    """
    B = sparse.csc_matrix(B)
    threshold = _threshold(B)
    B.data[np.abs(B.data) <= 1e-7 * threshold] = 0.0  # rounding, not coupling
    B.eliminate_zeros()
    pattern = abs(B)
    n_parts, label = csgraph.connected_components(pattern.T @ pattern, directed=False)
    sizes = np.bincount(label, minlength=n_parts)
    zero = np.flatnonzero((sizes[label] == 1) & (sparse.linalg.norm(B, axis=0) <= threshold))
    pieces = [(zero, sparse.identity(len(zero)))]  # (columns, their null vectors): zero columns alone
    order = np.argsort(label, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    for part in np.flatnonzero(sizes > 1):
        columns = order[bounds[part] : bounds[part + 1]]
        block = B[:, columns]
        block = block[block.getnnz(axis=1) > 0]
        solve = _iterative_nullspace if len(columns) > DENSE_LIMIT else _dense_nullspace
        pieces.append((columns, solve(block, threshold)))
    rows, cols, values, start = [], [], [], 0
    for columns, null in pieces:
        null = sparse.coo_matrix(null)
        rows.append(columns[null.row]), cols.append(start + null.col), values.append(null.data)
        start += null.shape[1]
    entries = (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols)))
    return sparse.csc_matrix(entries, shape=(B.shape[1], start))


def _dense_nullspace(B, threshold):
    """Right singular vectors (m, r) of a (rows, m) ``B`` with singular value <= ``threshold``,
    densely: an SVD when ``B`` is small, else the eigenvectors of ``B^T B``."""
    B = B.toarray() if sparse.issparse(B) else B
    rows, m = B.shape
    if rows * m <= SVD_LIMIT:
        _, s, Vt = np.linalg.svd(B, full_matrices=rows < m)  # all of V, never more of U
        s = np.concatenate([s, np.zeros(m - len(s))])
        return Vt[s <= threshold].T
    eigenvalues, vectors = np.linalg.eigh(B.T @ B)
    return vectors[:, eigenvalues <= threshold**2]


def _iterative_nullspace(B, threshold):
    """Null vectors of a large sparse ``B`` (rows, m), never forming ``B^T B`` or a factorisation.

    Conjugate gradients on ``B^T B y = 0`` started from random vectors converge to their
    orthogonal projections onto the nullspace (the Krylov corrections lie in the row space),
    at a rate set by the nonzero singular values of ``B`` only. ``k`` random starts project
    onto ``min(k, r)`` independent null vectors; ``k`` doubles until they leave a margin.
    """
    m = B.shape[1]
    gram = LinearOperator((m, m), matvec=lambda x: B.T @ (B @ x), matmat=lambda X: B.T @ (B @ X), dtype=np.float64)
    rng = np.random.default_rng(0)
    k = 16
    while True:
        Y = _project_out_rows(gram, rng.standard_normal((m, min(k, m))), threshold)
        U, s, _ = np.linalg.svd(Y, full_matrices=False)
        rank = int(np.sum(s > 1e-6 * np.sqrt(m)))  # a start has norm about sqrt(m)
        if rank < Y.shape[1] or k >= m:
            return U[:, :rank]
        k *= 2


def _project_out_rows(gram, Y, threshold, max_iterations=10_000):
    """Columns of ``Y`` minus their row-space parts: conjugate gradients on ``gram Y = 0``."""
    Y = Y.copy()
    R = -(gram @ Y)
    P = R.copy()
    rr = np.einsum("ij,ij->j", R, R)
    for _ in range(max_iterations):
        if np.all(np.sqrt(rr) <= 0.1 * threshold**2 * np.linalg.norm(Y, axis=0)):
            break
        GP = gram @ P
        curvature = np.einsum("ij,ij->j", P, GP)
        alpha = np.divide(rr, curvature, out=np.zeros_like(rr), where=curvature > 0)
        Y += alpha * P
        R -= alpha * GP
        rr_next = np.einsum("ij,ij->j", R, R)
        P = R + np.divide(rr_next, rr, out=np.zeros_like(rr), where=rr > 0) * P
        rr = rr_next
    else:
        raise RuntimeError(f"the iterative nullspace did not converge in {max_iterations} iterations")
    return Y
