"""Lightweight invariants of point clouds under rotations, reflections and relabelling.

``O(d) x S(n)`` acts on a cloud of ``n`` points ``x_i`` in ``R^d`` by ``x_i -> g x_{pi(i)}``.
Every invariant is a function of the Gram matrix ``G_ij = <x_i, x_j>`` up to relabelling,
that is of the symmetric matrix ``G`` under conjugation, whose generically separating
invariants are those of :mod:`scalars.graphs` (after Blum-Smith, Huang, Cuturi and Villar,
2024). With ``r_i = |x_i|^2`` (the diagonal of ``G``), those invariants are sums
``sum_{i,j} r_i^a G_ij r_j^b = <m_a, m_b>`` of inner products of the moment vectors
``m_a = sum_i r_i^a x_i`` in ``R^d``: they cost ``O(n d)`` each, without the ``n x n`` Gram
matrix. :func:`cloud_invariants` computes, for a maximal degree ``K``, means over points
(so that clouds of different sizes give comparable values):

- radial moments ``mean_i r_i^k``, ``k = 1, ..., K``;
- first moments ``<m_a, m_b>``, ``1 <= a <= b <= K``, with ``m_a = mean_i r_i^a x_i``;
- second moments ``tr(S_a S_b)``, ``0 <= a <= b <= K - 1``, with the ``d x d`` matrices
  ``S_a = mean_i r_i^a x_i x_i^T`` (``= mean_{i,j} r_i^a G_ij^2 r_j^b``);
- ``tr(S_0^k)`` for ``k = 3, ..., d``: with ``tr S_0 = mean r`` and ``tr S_0^2`` these fix
  the eigenvalues of the second-moment (inertia) matrix, hence the axis ratios.

That is ``K + K (K + 1) + max(d - 2, 0)`` features at a cost of ``O(n d^2 K)``, linear in
``n`` for a fixed ``K``. With ``K = n`` they separate orbits generically: two clouds whose
points have pairwise distinct nonzero norms have the same features only if they are
related by ``O(d) x S(n)`` (the radial moments give the multiset of norms; in the order of
the norms the first moments are ``D V^T G V D`` with ``D = diag(r)`` and ``V`` the
Vandermonde matrix of the norms, both invertible, so ``G`` is recovered, and ``G`` fixes the
cloud up to ``O(d)``). That needs ``O(n^2 d)`` time. With ``K < n`` the features are
invariant but no longer separating for large ``n``; they are not complete in any case.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from scalars._backend import as_floating, as_index, concatenate, diagonal, swap_last, vandermonde

__all__ = ["PointCloudInvariants", "cloud_invariants", "cloud_invariant_names", "n_cloud_invariants"]


def n_cloud_invariants(d, degree):
    """Number of features of :func:`cloud_invariants`: ``K + K (K + 1) + max(d - 2, 0)``."""
    return degree + degree * (degree + 1) + max(d - 2, 0)


def cloud_invariants(X, degree, center=False):
    """Invariants of point clouds under ``O(d) x S(n)``, in numpy or torch.

    Parameters
    ----------
    X : ndarray or tensor of shape (..., n, d)
        Clouds of ``n`` points in ``R^d``; integer input is promoted to float64, torch
        input stays torch and is differentiable.
    degree : int
        The ``K`` of :mod:`scalars.clouds`: highest power of ``r_i = |x_i|^2`` used.
    center : bool, default=False
        Subtract each cloud's centroid first (then invariant under translations too).

    Returns
    -------
    ndarray or tensor of shape (..., K + K (K + 1) + max(d - 2, 0))
        Radial, first-moment and second-moment invariants (names in
        :func:`cloud_invariant_names`). Cost ``O(n d^2 K)`` per cloud.
    """
    X = as_floating(X)
    if center:
        X = X - X.mean(-2)[..., None, :]
    n, d = X.shape[-2:]
    r = (X * X).sum(-1)
    R = vandermonde(r, degree + 1)  # (..., n, K + 1): R[i, a] = r_i^a
    radial = R[..., 1:].mean(-2)
    first = swap_last(R[..., 1:]) @ X / n  # (..., K, d): rows m_1, ..., m_K
    weighted = (R[..., :degree, None] * X[..., None, :]).reshape(X.shape[:-2] + (n, degree * d))
    second = (swap_last(weighted) @ X / n).reshape(X.shape[:-2] + (degree, d, d))  # S_0, ..., S_{K-1}
    flat = second.reshape(X.shape[:-2] + (degree, d * d))
    rows, columns = (as_index(index, X) for index in np.triu_indices(degree))
    parts = [radial, (first @ swap_last(first))[..., rows, columns], (flat @ swap_last(flat))[..., rows, columns]]
    S0, power = second[..., 0, :, :], second[..., 0, :, :] @ second[..., 0, :, :]
    for _ in range(3, d + 1):
        power = power @ S0
        parts.append(diagonal(power).sum(-1)[..., None])
    return concatenate(parts, axis=-1)


def cloud_invariant_names(d, degree):
    """Names of the features of :func:`cloud_invariants`, as an object array."""
    pairs = list(zip(*np.triu_indices(degree)))
    radial = [f"mean r^{k}" for k in range(1, degree + 1)]
    first = [f"<m_{a + 1},m_{b + 1}>" for a, b in pairs]
    second = [f"tr(S_{a} S_{b})" for a, b in pairs]
    spectrum = [f"tr(S_0^{k})" for k in range(3, d + 1)]
    return np.asarray(radial + first + second + spectrum, dtype=object)


class PointCloudInvariants(TransformerMixin, BaseEstimator):
    """Invariant features of point clouds under ``O(d) x S(n)``, at a cost linear in ``n``.

    The moment invariants of :func:`cloud_invariants` (see :mod:`scalars.clouds`): radial
    moments ``mean |x_i|^(2k)``, inner products of the moment vectors
    ``m_a = mean_i |x_i|^(2a) x_i``, traces of products of the moment matrices
    ``S_a = mean_i |x_i|^(2a) x_i x_i^T`` and of powers of ``S_0``, computed without any
    ``n x n`` matrix. With ``degree=None`` (``K = n``) they separate orbits generically
    (clouds whose points have distinct nonzero norms), at a cost of ``O(n^2 d)``; with a
    fixed ``degree`` they are cheap invariant features, not a separating set.

    Repeated points are allowed: the features are polynomials, defined everywhere (the
    separation guarantee does not cover them, their norms coincide).

    Parameters
    ----------
    d : int, default=3
        Dimension of the points.
    degree : int or None, default=3
        ``K``, the highest power of ``|x_i|^2`` in the features; None means ``n``.
    center : bool, default=False
        Subtract each cloud's centroid first: invariant under ``E(d) x S(n)``.

    Attributes
    ----------
    n_points_ : int
        The ``n`` of the clouds seen in ``fit`` (at least 2).
    degree_ : int
        ``degree``, or ``n`` if it is None.
    n_features_in_ : int
        ``n * d``, the width of the flat input.
    n_output_features_ : int
        ``K + K (K + 1) + max(d - 2, 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalars import PointCloudInvariants
    >>> from scipy.stats import special_ortho_group
    >>> X = np.random.default_rng(0).standard_normal((4, 100, 3))     # 4 clouds of 100 points
    >>> Q = special_ortho_group.rvs(3, random_state=1)
    >>> features = PointCloudInvariants(d=3).fit(X)
    >>> features.transform(X).shape
    (4, 16)
    >>> bool(np.allclose(features.transform(X[:, ::-1] @ Q.T), features.transform(X)))
    True
    """

    _parameter_constraints = {
        "d": [Interval(Integral, 1, None, closed="left")],
        "degree": [Interval(Integral, 1, None, closed="left"), None],
        "center": ["boolean"],
    }

    def __init__(self, d=3, degree=3, center=False):
        self.d = d
        self.degree = degree
        self.center = center

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number of points.

        Parameters
        ----------
        X : array-like of shape (n_samples, n, d) or (n_samples, n * d)
            Clouds, or their points' coordinates in one row per cloud (point by point).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        X = validate_data(self, self._flat(X), dtype=[np.float64, np.float32])
        if X.shape[1] % self.d:
            raise ValueError(f"a flat X must have n * d = n * {self.d} columns (d={self.d}), got {X.shape[1]}")
        self.n_points_ = X.shape[1] // self.d
        if self.n_points_ < 2:
            raise ValueError(f"a point cloud needs at least 2 points, X has clouds of {self.n_points_}")
        self.degree_ = self.n_points_ if self.degree is None else self.degree
        self.n_output_features_ = n_cloud_invariants(self.d, self.degree_)
        return self

    def transform(self, X):
        """Compute the invariants.

        Parameters
        ----------
        X : array-like of shape (n_samples, n, d) or (n_samples, n * d)
            Clouds with the ``n`` and ``d`` seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_output_features_)
            Same float dtype as X.

        Raises
        ------
        ValueError
            If X is not 2-D or 3-D, has points of another dimension than ``d``, clouds of
            another size than in ``fit``, or holds NaN or infinity.
        """
        check_is_fitted(self)
        X = validate_data(self, self._flat(X), dtype=[np.float64, np.float32], reset=False)
        return cloud_invariants(X.reshape(-1, self.n_points_, self.d), self.degree_, self.center)

    def get_feature_names_out(self, input_features=None):
        """Names such as ``mean r^2``, ``<m_1,m_2>``, ``tr(S_0 S_1)`` and ``tr(S_0^3)``.

        Parameters
        ----------
        input_features : None
            Ignored (the names are those of the moments).

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_output_features_,)
        """
        check_is_fitted(self)
        return cloud_invariant_names(self.d, self.degree_)

    def _flat(self, X):
        """3-D X (n_samples, n, d) as (n_samples, n * d); 2-D X as it is."""
        if np.ndim(X) not in (2, 3):
            raise ValueError(
                f"X must be 3-D (n_samples, n, d) or 2-D (n_samples, n * d), got {np.ndim(X)} dimensions"
            )
        if np.ndim(X) == 2:
            return X
        X = np.asarray(X)
        if X.shape[2] != self.d:
            raise ValueError(f"the points of X must have d={self.d} coordinates, got shape {X.shape}")
        return X.reshape(len(X), -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
