"""Lightweight invariants of symmetric matrices (weighted graphs) under relabelling of nodes.

A permutation ``P`` of the ``n`` nodes acts on a symmetric matrix by conjugation,
``A -> P A P^T``. After Blum-Smith, Huang, Cuturi and Villar (2024), "Learning functions on
symmetric matrices and point clouds via lightweight invariant features" (SIAM J. Appl.
Algebra Geom. 9, 2025), whose invariants generate the field of rational invariants by a
Galois-theory argument, :func:`graph_invariants` computes ``n (n + 3) / 2`` polynomial
invariants:

- the power sums of the diagonal, ``p_k = sum_i A_ii^k`` for ``k = 1, ..., n``;
- the mixed sums ``q_ab = sum_{i != j} A_ii^a A_ij A_jj^b`` for ``0 <= a <= b <= n - 1``
  (``q_ab = q_ba`` since ``A`` is symmetric).

They separate orbits generically: two symmetric matrices whose diagonal entries are
pairwise distinct have the same features only if one is ``P A P^T`` of the other. (The
``p_k`` give the multiset of diagonal entries by Newton's identities; in the order of the
sorted diagonal ``q = V^T W V`` with ``V`` the Vandermonde matrix of the diagonal, invertible
when its entries are distinct, and ``W`` the off-diagonal part, so ``W`` is recovered.)
They are not complete: where diagonal entries repeat, distinct orbits can share features;
for an unweighted graph (zero diagonal) they reduce to the total edge weight, so put
distinct node weights on the diagonal first (for example :func:`walk_weights`, degrees, or
node labels).

How far apart the features of two graphs are, and not only whether they differ, decides
whether a model on them tells the graphs apart: the features are polynomials of degree up to
``2n - 1`` in the node weights, and they resolve two graphs only as well as the weights
differ. :func:`walk_weights` therefore scales each closed-walk count by its largest possible
value in the graph itself (``Delta^k`` for the graph's maximum degree ``Delta``), not by a
bound taken over a data set: a tree of maximum degree 3 keeps the resolution of its walk
counts in a set that also holds graphs of degree 7.

Node weights from walks (degrees, closed-walk counts, any function of powers of ``A``) are
the same at every node of a walk-regular graph, and equal on two strongly regular graphs
with the same parameters, such as the 4x4 rook's graph and the Shrikhande graph (both
srg(16, 6, 2, 2)). :func:`node_clique_counts` counts structure that walks do not: the
4-cliques through each node, the triangles of its neighbourhood (rook: its neighbourhood is
two disjoint triangles, 2 four-cliques; Shrikhande: a 6-cycle, none).
``GraphInvariants(cliques=True)`` appends the invariants of the graph weighted by them.
"""

from math import comb
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from scalars._backend import as_backend_of, as_floating, as_index, concatenate, diagonal, swap_last, vandermonde

__all__ = ["GraphInvariants", "graph_invariants", "graph_invariant_names", "n_graph_invariants",
           "node_clique_counts", "clique_weights", "walk_weights"]


def n_graph_invariants(n):
    """Number of features of :func:`graph_invariants` for ``n`` nodes: ``n (n + 3) / 2``."""
    return n * (n + 3) // 2


def node_clique_counts(A):
    """Edges, triangles and 4-cliques through each node of the graph of the nonzero entries.

    Parameters
    ----------
    A : array-like of shape (..., n, n)
        Symmetric; only which off-diagonal entries are nonzero matters.

    Returns
    -------
    ndarray of int64, shape (..., n, 3)
        Per node ``i``: its degree, the number of edges among its neighbours (triangles
        through ``i``) and the number of triangles among its neighbours (4-cliques through
        ``i``). Computed with matrix products, ``O(n^4)`` per graph: for graphs of tens of
        nodes.

    Examples
    --------
    >>> K4 = np.ones((4, 4)) - np.eye(4)
    >>> node_clique_counts(K4)[0].tolist()
    [3, 3, 1]
    """
    A = np.asarray(A)
    n = A.shape[-1]
    S = ((A != 0) & ~np.eye(n, dtype=bool)).astype(np.int64)
    common = S @ S  # common[j, k]: neighbours shared by j and k
    edges_between = S * common  # triangles on each edge
    triangles = (edges_between * S).sum(-1) // 2
    # 4-cliques through i: triangles j-k-l among i's neighbours, sum_{jkl} S_ij S_ik S_il S_jk S_kl S_lj / 6.
    neighbours = S[..., :, None, :] * S[..., :, :, None]  # (..., i, j, k): S_ij S_ik
    inside = neighbours * S[..., None, :, :]  # S_ij S_ik S_jk
    four = np.einsum("...ijk,...ikl,...ilj->...i", inside, inside, inside) // 6
    return np.stack([S.sum(-1), triangles, four], axis=-1)


def clique_weights(A):
    """One node weight in ``[1, 2)`` that orders the nodes as ``(4-cliques, triangles, degree)``.

    ``w_i = 1 + c_i / (C + 1) + t_i / ((C + 1)(T + 1)) + d_i / ((C + 1)(T + 1) n)`` from the
    counts of :func:`node_clique_counts` (``c_i`` 4-cliques, ``t_i`` triangles, ``d_i``
    degree), with ``C = binom(n - 1, 3)`` and ``T = binom(n - 1, 2)`` their largest values:
    each count is a digit of its own, so two nodes get equal weights exactly when all three
    counts agree. The 4-cliques lead because walk counts (which can be put on the diagonal
    of ``A`` itself) already see degrees and triangles; the weights stay near 1 so that
    their powers up to ``2n - 1`` fit float32.

    Parameters
    ----------
    A : array-like of shape (..., n, n)

    Returns
    -------
    ndarray of float64, shape (..., n)
    """
    counts = node_clique_counts(A).astype(np.float64)
    n = counts.shape[-2]
    cliques, triangles = comb(n - 1, 3) + 1, comb(n - 1, 2) + 1
    return 1.0 + (counts[..., 2] + (counts[..., 1] + counts[..., 0] / n) / triangles) / cliques


def walk_weights(A, lengths=(3, 4, 5, 6)):
    """One node weight from the degree and the closed walks through each node.

    ``w_i = d_i + sum_k W_k(i) / (Delta^k 10^(k - 2))`` over the walk ``lengths`` ``k``, for
    the graph of the nonzero off-diagonal entries of ``A``: ``d_i`` the degree of node ``i``,
    ``W_k(i) = (S^k)_ii`` its closed walks of length ``k`` (``S`` the 0/1 adjacency) and
    ``Delta = max_i d_i`` the graph's maximum degree (1 for a graph without edges). Since
    ``W_k(i) <= Delta^k``, the walk term of length ``k`` is in ``[0, 10^(2 - k)]``: the
    degree sets the integer part, the walks refine it at decreasing scales. The scale
    ``Delta^k`` is an invariant of each graph, so the weights are equivariant (relabelling
    the nodes permutes them) and independent of the other graphs of a data set.

    Parameters
    ----------
    A : array-like of shape (..., n, n)
        Symmetric; only which off-diagonal entries are nonzero matters.
    lengths : sequence of int, default=(3, 4, 5, 6)
        Walk lengths ``k >= 3`` (length 2 is the degree).

    Returns
    -------
    ndarray of float64, shape (..., n)

    Raises
    ------
    ValueError
        If ``A`` is not square or a length is not an integer of at least 3.

    Examples
    --------
    >>> path = np.diag(np.ones(3), 1) + np.diag(np.ones(3), -1)  # 0-1-2-3
    >>> ((walk_weights(path, lengths=(4,)) - [1, 2, 2, 1]) * 2**4 * 10**2).round().tolist()  # W_4
    [2.0, 5.0, 5.0, 2.0]
    """
    A = np.asarray(A)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"A must have shape (..., n, n), got {A.shape}")
    bad = [k for k in lengths if not isinstance(k, (int, np.integer)) or k < 3]
    if bad:
        raise ValueError(f"lengths must be integers of at least 3, got {list(lengths)}")
    n = A.shape[-1]
    S = ((A != 0) & ~np.eye(n, dtype=bool)).astype(np.float64)
    degrees = S.sum(-1)
    top = np.maximum(degrees.max(-1, keepdims=True, initial=0.0), 1.0)
    weights, power, done = degrees.copy(), S, 1
    for k in sorted(set(int(k) for k in lengths)):
        power = power @ np.linalg.matrix_power(S, k - done)
        done = k
        weights += np.diagonal(power, axis1=-2, axis2=-1) / top**k / 10.0 ** (k - 2)
    return weights


def graph_invariants(A):
    """Invariants of symmetric matrices under ``A -> P A P^T``, in numpy or torch.

    Parameters
    ----------
    A : ndarray or tensor of shape (..., n, n)
        Symmetric (not checked here; :class:`GraphInvariants` checks). Integer input is
        promoted to float64; torch input stays torch and is differentiable.

    Returns
    -------
    ndarray or tensor of shape (..., n (n + 3) / 2)
        ``p_1, ..., p_n`` then ``q_ab`` for ``a <= b`` in row-major order (see the module
        docstring), in the names of :func:`graph_invariant_names`. Cost ``O(n^3)`` per
        matrix (two matrix products).
    """
    A = as_floating(A)
    n = A.shape[-1]
    d = diagonal(A)
    V = vandermonde(d, n)  # (..., n, n): V[i, a] = A_ii^a
    W = A * as_backend_of(1.0 - np.eye(n), A)
    power_sums = (V * d[..., None]).sum(-2)
    Q = swap_last(V) @ (W @ V)
    rows, columns = np.triu_indices(n)
    return concatenate([power_sums, Q[..., as_index(rows, A), as_index(columns, A)]], axis=-1)


def graph_invariant_names(n):
    """Names of the features of :func:`graph_invariants` for ``n`` nodes, as an object array."""
    power_sums = [f"sum_i A_ii^{k}" for k in range(1, n + 1)]
    mixed = [f"sum_i!=j A_ii^{a} A_ij A_jj^{b}" for a, b in zip(*np.triu_indices(n))]
    return np.asarray(power_sums + mixed, dtype=object)


class GraphInvariants(TransformerMixin, BaseEstimator):
    """Invariant features of symmetric matrices (weighted graphs) under relabelling.

    The ``n (n + 3) / 2`` invariants of :func:`graph_invariants`: power sums of the
    diagonal and sums ``sum_{i != j} A_ii^a A_ij A_jj^b``. They separate every matrix
    whose diagonal entries are pairwise distinct from every matrix not obtained from it
    by relabelling (generically separating, not complete; see :mod:`scalars.graphs`).
    They are polynomials of degree up to ``2n - 1``: scale entries to order one and
    standardise the features before a model. For unweighted graphs put node weights on the
    diagonal (:func:`walk_weights`): weights spread over the degrees separate better than
    weights squeezed near one (see ``docs/benchmarks/graphs.md``).

    Parameters
    ----------
    tol : float, default=1e-8
        Largest ``|A_ij - A_ji|`` accepted, relative to ``max(1, max |A|)``.
    cliques : bool, default=False
        Append the ``n (n + 3) / 2`` invariants of the unweighted graph of the nonzero
        off-diagonal entries with :func:`clique_weights` (degree, triangles and 4-cliques
        of each node) on its diagonal. They see what walk counts do not: they split the
        4x4 rook's graph from the Shrikhande graph. The first ``n (n + 3) / 2`` features
        are those of ``cliques=False``, unchanged.

    Attributes
    ----------
    n_nodes_ : int
        The ``n`` of the ``n x n`` matrices seen in ``fit``.
    n_features_in_ : int
        ``n * n``, the width of the flat input.
    n_output_features_ : int
        ``n (n + 3) / 2``, twice that with ``cliques=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalars import GraphInvariants
    >>> A = np.array([[[1.0, 2.0, 0.0], [2.0, 3.0, 1.0], [0.0, 1.0, 5.0]]])
    >>> P = np.eye(3)[[2, 0, 1]]
    >>> features = GraphInvariants().fit(A)
    >>> features.n_output_features_
    9
    >>> bool(np.allclose(features.transform(A), features.transform(P @ A @ P.T)))
    True
    """

    _parameter_constraints = {"tol": [Interval(Real, 0, None, closed="left")], "cliques": ["boolean"]}

    def __init__(self, tol=1e-8, cliques=False):
        self.tol = tol
        self.cliques = cliques

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of nodes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n, n) or (n_samples, n * n)
            Symmetric matrices, or their rows flattened (row-major).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        X = validate_data(self, _flat(X), dtype=[np.float64, np.float32])
        self.n_nodes_ = _side(X.shape[1])
        self.n_output_features_ = n_graph_invariants(self.n_nodes_) * (2 if self.cliques else 1)
        _check_symmetric(X.reshape(-1, self.n_nodes_, self.n_nodes_), self.tol)
        return self

    def transform(self, X):
        """Compute the invariants.

        Parameters
        ----------
        X : array-like of shape (n_samples, n, n) or (n_samples, n * n)
            Symmetric matrices with the ``n`` seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_output_features_)
            Same float dtype as X.

        Raises
        ------
        ValueError
            If X is not 2-D or 3-D, not square, of another size than in ``fit``, not
            symmetric, or holds NaN or infinity.
        """
        check_is_fitted(self)
        X = _flat(X)
        if np.ndim(X) == 2 and np.shape(X)[1] != self.n_features_in_:
            raise ValueError(
                f"X has {np.shape(X)[1]} columns, but GraphInvariants was fitted on {self.n_nodes_} x "
                f"{self.n_nodes_} matrices ({self.n_features_in_} columns)"
            )
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        A = X.reshape(-1, self.n_nodes_, self.n_nodes_)
        _check_symmetric(A, self.tol)
        features = graph_invariants(A)
        if not self.cliques:
            return features
        support = ((A != 0) & ~np.eye(self.n_nodes_, dtype=bool)).astype(A.dtype)
        weighted = support + clique_weights(A)[..., None].astype(A.dtype) * np.eye(self.n_nodes_, dtype=A.dtype)
        return np.concatenate([features, graph_invariants(weighted)], axis=-1)

    def get_feature_names_out(self, input_features=None):
        """Names such as ``sum_i A_ii^2`` and ``sum_i!=j A_ii^0 A_ij A_jj^1``.

        With ``cliques=True`` the appended features have the same names, each followed
        by ``[cliques]``.

        Parameters
        ----------
        input_features : None
            Ignored (the names are those of the matrix entries).

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_output_features_,)
        """
        check_is_fitted(self)
        names = graph_invariant_names(self.n_nodes_)
        if not self.cliques:
            return names
        return np.concatenate([names, [f"{name} [cliques]" for name in names]]).astype(object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _flat(X):
    """3-D X (n_samples, n, n) as (n_samples, n * n); anything else as it is."""
    if np.ndim(X) != 3:
        if np.ndim(X) not in (1, 2):
            raise ValueError(
                f"X must be 3-D (n_samples, n, n) or 2-D (n_samples, n * n), got {np.ndim(X)} dimensions"
            )
        return X
    X = np.asarray(X)
    if X.shape[1] != X.shape[2]:
        raise ValueError(f"the matrices of X must be square, got shape {X.shape[1:]} (X has shape {X.shape})")
    return X.reshape(len(X), -1)


def _side(n_columns):
    n = int(round(n_columns**0.5))
    if n * n != n_columns:
        raise ValueError(
            f"a flat X must have n * n columns (a square matrix per row), got {n_columns}, which is not a square"
        )
    return n


def _check_symmetric(A, tol):
    scale = max(1.0, float(np.abs(A).max(initial=0.0)))
    asymmetry = np.abs(A - np.swapaxes(A, 1, 2))
    if asymmetry.size and asymmetry.max() > tol * scale:
        sample, i, j = np.unravel_index(np.argmax(asymmetry), asymmetry.shape)
        raise ValueError(
            f"the matrices of X must be symmetric: sample {sample} has A[{i}, {j}] = {A[sample, i, j]} but "
            f"A[{j}, {i}] = {A[sample, j, i]} (tolerance {tol} relative to max(1, max |A|))"
        )
