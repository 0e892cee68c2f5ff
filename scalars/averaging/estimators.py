"""scikit-learn meta-estimators that make any regressor invariant or equivariant by averaging.

Both fit the inner regressor on the inputs it will see when predicting, ``rho_in(h)^-1 x``
with targets ``rho_out(h)^-1 y`` (the training data in the frame of each sample, or
under random group elements), and predict the average
``sum_h w_h rho_out(h) f(rho_in(h)^-1 x)``. Gradient boosting, k-nearest neighbours or a
neural network become exactly invariant (:class:`FrameAveragedRegressor`) or
equivariant in expectation (:class:`GroupAveragedRegressor` over a continuous group).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.linear_model import LinearRegression
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from scalars.averaging.averages import FrameAverage, GroupAverage
from scalars.groups import Group
from scalars.layout import Layout, resolve_group_and_layout
from scalars.reps import rep

__all__ = ["GroupAveragedRegressor", "FrameAveragedRegressor"]


class _AveragedRegressor(RegressorMixin, BaseEstimator):
    """Fit on the transformed training data, predict the average."""

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "group": [str, Group, None],
        "layout": [str, Layout, None],
        "output": [str],
    }

    def _averager(self, group, layout):
        raise NotImplementedError

    def _training_frame(self, averager, X):
        raise NotImplementedError

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the inner regressor on every transformed training sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Flat rows read with ``layout``.
        y : array-like of shape (n_samples,) for ``output="T0"``, else (n_samples, n_columns)
            Targets; the output representation acts on their columns.

        Returns
        -------
        self : object
        """
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=self.output != "T0", dtype=np.float64)
        group, layout = resolve_group_and_layout(self.group, self.layout, X.shape[1])
        averager = self._averager(group, layout)
        columns = y.reshape(len(y), -1)
        if averager.output_rep is not None and columns.shape[1] != averager.output_rep.size:
            raise ValueError(
                f"output {self.output!r} of {group.name} needs y of shape (n_samples, "
                f"{averager.output_rep.size}), got {y.shape}"
            )
        inputs, targets = averager.pairs(self._training_frame(averager, X), X, columns)
        estimator = LinearRegression() if self.estimator is None else clone(self.estimator)
        if targets.shape[1] > 1 and not get_tags(estimator).target_tags.multi_output:
            estimator = MultiOutputRegressor(estimator)
        self.estimator_ = estimator.fit(inputs, targets[:, 0] if self.output == "T0" else targets)
        self.averager_ = averager
        self.rep_in_ = averager.input_rep
        self.rep_out_ = averager.output_rep if averager.output_rep is not None else rep("T0", averager.group)
        return self

    def predict(self, X):
        """The average of the inner regressor's predictions over the group elements.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_columns)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.averager_(self.estimator_.predict, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = self.output != "T0"
        tags.target_tags.single_output = self.output == "T0"
        tags.regressor_tags.poor_score = self.group is None  # O(n_features): only |x| is invariant
        return tags


class GroupAveragedRegressor(_AveragedRegressor):
    """Any regressor averaged over a group: exact over finite groups, Monte Carlo otherwise.

    The inner regressor is fitted on ``n_augment`` copies of each training sample, each
    under an independent random group element (``rho_in(h)^-1 x`` against
    ``rho_out(h)^-1 y``; E(d) centres the points), and predicts the average over every
    element of the finite factors and ``n_samples`` Haar draws of the continuous ones,
    the same draws for every prediction (see :class:`scalars.averaging.GroupAverage`).

    Parameters
    ----------
    estimator : regressor, default=None
        Cloned; ``LinearRegression()`` when None. Wrapped in ``MultiOutputRegressor`` when
        the output has several columns and it predicts one.
    group : str or Group, default=None
        ``"S(5)"``, ``"D(6)"``, ``"O(3)"``, ``"S(5)xE(3)"``, ...; None means O(d) as for
        :class:`scalars.EquivariantRegressor`.
    layout : str or Layout, default=None
        Column layout, e.g. ``"5T0+5P+5T1"``; None means every column belongs to a vector.
    output : str, default="T0"
        ``"T0"`` (invariant, ``y`` of shape (n_samples,)), ``"T1"``, ``"T2"``, ``"5P"``, ...
    n_samples : int, default=16
        Haar draws of the continuous factors per prediction.
    n_augment : int, default=4
        Randomly transformed copies of each training sample.
    random_state : int, RandomState instance or None, default=None
        Seeds the augmentation and the draws.

    Attributes
    ----------
    estimator_ : regressor
        The fitted inner regressor.
    averager_ : scalars.averaging.GroupAverage
    rep_in_, rep_out_ : Rep
        The representations on the input columns and on the output columns.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsRegressor
    >>> from scalars import GroupAveragedRegressor
    >>> X = np.random.default_rng(0).standard_normal((200, 3))
    >>> y = X.max(axis=1)                                      # invariant under S(3)
    >>> model = GroupAveragedRegressor(KNeighborsRegressor(), group="S(3)", layout="T1").fit(X, y)
    >>> bool(np.allclose(model.predict(X), model.predict(X[:, [2, 0, 1]])))
    True
    """

    _parameter_constraints = {
        **_AveragedRegressor._parameter_constraints,
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_augment": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, group=None, layout=None, output="T0", n_samples=16, n_augment=4, random_state=None):
        self.estimator = estimator
        self.group = group
        self.layout = layout
        self.output = output
        self.n_samples = n_samples
        self.n_augment = n_augment
        self.random_state = random_state

    def _averager(self, group, layout):
        seed = int(check_random_state(self.random_state).randint(2**31))
        return GroupAverage(group, layout, self.output, self.n_samples, random_state=seed)

    def _training_frame(self, averager, X):
        return averager.random_frame(X, self.n_augment, rng=averager.random_state + 1)

    def predict_spread(self, X):
        """Standard error of the Monte Carlo average of each prediction (0 for a finite group).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of the shape of :meth:`predict`
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.averager_.spread(self.estimator_.predict, X)


class FrameAveragedRegressor(_AveragedRegressor):
    """Any regressor made exactly invariant or equivariant by frame averaging.

    The inner regressor is fitted on each training sample in every element of its frame
    (``rho_in(h)^-1 x`` against ``rho_out(h)^-1 y``: the PCA axes of the centred points
    with their sign choices, particles sorted by their invariants), or with
    ``canonical=True`` on the canonical form of each sample, and predicts the frame
    average (see :class:`scalars.averaging.FrameAverage`). Symmetric inputs (repeated
    covariance eigenvalues, tied particles) stay exactly equivariant.

    Parameters
    ----------
    estimator : regressor, default=None
        Cloned; ``LinearRegression()`` when None. Wrapped in ``MultiOutputRegressor`` when
        the output has several columns and it predicts one.
    group : str or Group, default=None
        ``"O(d)"``, ``"SO(d)"``, ``"E(d)"``, ``"SE(d)"``, ``"S(k)"`` or ``"S(k)xG"``; None
        means O(d) as for :class:`scalars.EquivariantRegressor`.
    layout : str or Layout, default=None
        Scalars, vectors and points, e.g. ``"5T0+5P+5T1"``.
    output : str, default="T0"
        ``"T0"`` (invariant, ``y`` of shape (n_samples,)), ``"T1"``, ``"T2"``, ``"5P"``, ...
    canonical : bool, default=False
        Fit and predict on one canonical element per generic sample instead of the 2^d
        sign choices (cheaper, but the function is less smooth where axes swap).
    tol : float, default=1e-5
        Relative tolerance for repeated eigenvalues, tied particles and vector components.

    Attributes
    ----------
    estimator_ : regressor
    averager_ : scalars.averaging.FrameAverage
    rep_in_, rep_out_ : Rep
        The representations on the input columns and on the output columns.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import GradientBoostingRegressor
    >>> from scalars import FrameAveragedRegressor
    >>> from scalars.testing import assert_invariant
    >>> X = np.random.default_rng(0).standard_normal((100, 9))        # 3 vectors in 3-D
    >>> y = np.linalg.norm(X[:, :3] - X[:, 3:6], axis=1)
    >>> model = FrameAveragedRegressor(GradientBoostingRegressor(random_state=0), group="O(3)", layout="3T1")
    >>> assert_invariant(model.fit(X, y).predict, "O(3)", X, layout="3T1") < 1e-10
    True
    """

    _parameter_constraints = {
        **_AveragedRegressor._parameter_constraints,
        "canonical": ["boolean"],
        "tol": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, estimator=None, group=None, layout=None, output="T0", canonical=False, tol=1e-5):
        self.estimator = estimator
        self.group = group
        self.layout = layout
        self.output = output
        self.canonical = canonical
        self.tol = tol

    def _averager(self, group, layout):
        return FrameAverage(group, layout, self.output, canonical=self.canonical, tol=self.tol)

    def _training_frame(self, averager, X):
        return averager.frame(X)
