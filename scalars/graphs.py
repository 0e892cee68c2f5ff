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
distinct node weights on the diagonal first (for example degrees, or node labels).
"""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from scalars._backend import as_backend_of, as_floating, as_index, concatenate, diagonal, swap_last, vandermonde

__all__ = ["GraphInvariants", "graph_invariants", "graph_invariant_names", "n_graph_invariants"]


def n_graph_invariants(n):
    """Number of features of :func:`graph_invariants` for ``n`` nodes: ``n (n + 3) / 2``."""
    return n * (n + 3) // 2


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
    standardise the features before a model.

    Parameters
    ----------
    tol : float, default=1e-8
        Largest ``|A_ij - A_ji|`` accepted, relative to ``max(1, max |A|)``.

    Attributes
    ----------
    n_nodes_ : int
        The ``n`` of the ``n x n`` matrices seen in ``fit``.
    n_features_in_ : int
        ``n * n``, the width of the flat input.
    n_output_features_ : int
        ``n (n + 3) / 2``.

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

    _parameter_constraints = {"tol": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, tol=1e-8):
        self.tol = tol

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
        self.n_output_features_ = n_graph_invariants(self.n_nodes_)
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
        ndarray of shape (n_samples, n (n + 3) / 2)
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
        return graph_invariants(A)

    def get_feature_names_out(self, input_features=None):
        """Names such as ``sum_i A_ii^2`` and ``sum_i!=j A_ii^0 A_ij A_jj^1``.

        Parameters
        ----------
        input_features : None
            Ignored (the names are those of the matrix entries).

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_output_features_,)
        """
        check_is_fitted(self)
        return graph_invariant_names(self.n_nodes_)

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
