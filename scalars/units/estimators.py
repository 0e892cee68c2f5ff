"""scikit-learn estimators that are exactly equivariant under changes of units."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, _fit_context, clone
from sklearn.linear_model import LinearRegression
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from .dimensions import column_units, dimension_matrix
from .exceptions import UnitsError
from .lattice import integer_nullspace, solve_exponents
from scalars.monomials import evaluate_monomials, monomial_name


class DimensionlessFeatures(TransformerMixin, BaseEstimator):
    """Map physical inputs to a complete set of independent dimensionless monomials.

    A monomial ``prod_i x_i^a_i`` is dimensionless when the dimension matrix ``M`` of
    the inputs has ``M a = 0``. The output columns are a basis of all such integer
    ``a`` (Buckingham pi theorem, over the integers): every dimensionless monomial of
    the inputs is a product of integer powers of the outputs. There are
    ``n_features_in_ - rank(M)`` of them, and they do not change under any change of
    units of the inputs.

    Parameters
    ----------
    units : sequence or dict, default=None
        Units of the input columns: a sequence with one entry per column, or a dict
        keyed by DataFrame column name. Entries are pint unit strings (``"m/s^2"``),
        pint quantities or units, dicts of dimension exponents, ``sympy.physics.units``
        expressions, or None for dimensionless. None means every column is
        dimensionless, so the features are the inputs themselves.
    registry : pint.UnitRegistry, default=None
        Registry that parses unit strings, e.g. one with a custom water-volume base
        dimension. pint's application registry when None.
    repeating : sequence of str or int, default=None
        Preferred repeating variables, best first (column names or indices); every
        other variable then appears in exactly one feature, to the smallest positive
        power the lattice allows. When None, features have the smallest exponents
        LLL reduction finds.
    isolate : sequence of str or int, default=None
        Variables that must each appear in at most one feature.

    Attributes
    ----------
    powers_ : ndarray of int64, shape (n_output_features_, n_features_in_)
        ``powers_[j, i]`` is the exponent of input ``i`` in feature ``j``.
    dimension_matrix_ : ndarray of int64, shape (n_dimensions, n_features_in_)
        Exponent of each base dimension in each input.
    dimensions_ : tuple of str of length n_dimensions
        Names of the base dimensions, e.g. ``("[length]", "[mass]", "[time]")``.
    n_output_features_ : int
        Number of dimensionless features, ``n_features_in_ - rank(dimension_matrix_)``.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        Input column names, when X was a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from scalars.units import DimensionlessFeatures
    >>> # pendulum: period T, length L, gravity g, mass m
    >>> features = DimensionlessFeatures(units=["s", "m", "m/s^2", "kg"])
    >>> features.fit_transform(np.array([[2.0, 1.0, 9.8, 0.3]]))
    array([[39.2]])
    >>> features.get_feature_names_out()
    array(['x0^2*x1^-1*x2'], dtype=object)
    """

    _parameter_constraints = {
        "units": "no_validation",  # checked against the columns at fit (column_units)
        "registry": "no_validation",  # a pint.UnitRegistry; pint is imported only when needed
        "repeating": ["array-like", None],
        "isolate": ["array-like", None],
    }

    def __init__(self, units=None, registry=None, repeating=None, isolate=None):
        self.units = units
        self.registry = registry
        self.repeating = repeating
        self.isolate = isolate

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Work out the dimensionless monomials of the inputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input values; only the number (and names) of columns is used.
        y : None
            Ignored.

        Returns
        -------
        self : DimensionlessFeatures
            Fitted transformer.
        """
        validate_data(self, X, dtype=np.float64)
        self.dimension_matrix_, self.dimensions_ = _input_dimensions(self)
        names = _variable_names(self)
        self.powers_ = integer_nullspace(
            self.dimension_matrix_,
            isolate=_positions(self.isolate, names, "isolate"),
            repeating=_positions(self.repeating, names, "repeating"),
            variable_names=names,
        ).T
        self.n_output_features_ = self.powers_.shape[0]
        return self

    def transform(self, X):
        """Evaluate the dimensionless monomials.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input values in the units given at fit time (or any consistent rescaling
            of them: the output does not change).

        Returns
        -------
        features : ndarray of shape (n_samples, n_output_features_)
            Dimensionless features.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return evaluate_monomials(X, self.powers_, _variable_names(self))

    def get_feature_names_out(self, input_features=None):
        """Names of the features, like ``R^-1*alpha*k1``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input names; ``feature_names_in_`` or ``x0, x1, ...`` when None.

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_output_features_,)
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.array([monomial_name(p, names) for p in self.powers_], dtype=object)


class UnitsEquivariantRegressor(RegressorMixin, BaseEstimator):
    """Regressor whose predictions change exactly as the target's units say.

    The target is modelled as ``y = prod_i x_i^b_i * f(z)``: ``z`` are the
    dimensionless features of the inputs (:class:`DimensionlessFeatures`), ``f`` is
    any regressor fitted on ``z`` against ``y / prod_i x_i^b_i``, and ``b`` solves
    ``M b = u_y`` with small exponents. Rescaling any base unit rescales the inputs,
    leaves ``z`` unchanged and rescales the prediction as ``y`` itself.

    Parameters
    ----------
    estimator : regressor, default=None
        Learns ``f`` on the dimensionless features; cloned. ``LinearRegression()``
        when None. With no dimensionless features it sees a single constant column
        (and fit warns, naming the monomial the model reduces to).
    units : sequence or dict, default=None
        Units of the input columns, as in :class:`DimensionlessFeatures`.
    target_units : str, pint unit, dict, sympy unit or None, default=None
        Units of the target; None means dimensionless.
    registry : pint.UnitRegistry, default=None
        Registry that parses unit strings.
    max_denominator : int, default=1
        Largest denominator allowed in ``b``. 1 requires integer exponents; 2 allows
        square roots, as in a pendulum period ``sqrt(L / g) f(theta_0)``, and then
        the inputs raised to fractional powers must be positive.
    repeating : sequence of str or int, default=None
        Preferred repeating variables of the dimensionless features, as in
        :class:`DimensionlessFeatures`.
    isolate : sequence of str or int, default=None
        Variables that must each appear in at most one dimensionless feature, as in
        :class:`DimensionlessFeatures`.

    Attributes
    ----------
    features_ : DimensionlessFeatures
        The fitted dimensionless features ``z``; ``features_.powers_`` holds their
        exponents.
    target_powers_ : ndarray of shape (n_features_in_,)
        Exponents ``b`` of the monomial that carries the target's units.
    estimator_ : regressor
        The fitted regressor ``f``.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        Input column names, when X was a DataFrame with string column names.
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "units": "no_validation",
        "target_units": "no_validation",  # any form of one unit, checked when parsed
        "registry": "no_validation",
        "max_denominator": [Interval(Integral, 1, None, closed="left")],
        "repeating": ["array-like", None],
        "isolate": ["array-like", None],
    }

    def __init__(
        self, estimator=None, units=None, target_units=None, *, registry=None,
        max_denominator=1, repeating=None, isolate=None,
    ):
        self.estimator = estimator
        self.units = units
        self.target_units = target_units
        self.registry = registry
        self.max_denominator = max_denominator
        self.repeating = repeating
        self.isolate = isolate

    @_fit_context(prefer_skip_nested_validation=False)  # estimator is the user's regressor
    def fit(self, X, y):
        """Solve for the target's monomial and fit ``f`` on the dimensionless features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units given by ``units``.
        y : array-like of shape (n_samples,)
            Target, in units ``target_units``.

        Returns
        -------
        self : UnitsEquivariantRegressor
            Fitted regressor.
        """
        values, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        self.features_ = DimensionlessFeatures(
            units=self.units, registry=self.registry, repeating=self.repeating,
            isolate=self.isolate,
        ).fit(X)
        self.target_powers_ = self._solve_target_powers()
        if not self.features_.n_output_features_:
            warnings.warn(
                "The inputs have no dimensionless monomial, so the model is a constant times "
                f"{monomial_name(self.target_powers_, _variable_names(self))}, the monomial with "
                "the target's units. Add the inputs (such as a physical constant) it lacks to "
                "learn anything else.",
                UserWarning,
                stacklevel=2,
            )
        estimator = LinearRegression() if self.estimator is None else self.estimator
        scaled = _finite(y / self._target_scale(values), "y divided by", self)
        self.estimator_ = clone(estimator).fit(self._features(X), scaled)
        return self

    def predict(self, X):
        """Predict ``y = prod_i x_i^b_i * f(z)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs, in the units given at fit time or any consistent rescaling.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predictions, in the target units matching the units of ``X``.
        """
        check_is_fitted(self)
        values = validate_data(self, X, dtype=np.float64, reset=False)
        prediction = self.estimator_.predict(self._features(X)) * self._target_scale(values)
        return _finite(prediction, "the prediction, f(z) times", self)

    def _solve_target_powers(self):
        """Small exponents ``b`` of a monomial of the inputs with the target's units."""
        matrix, dimensions = _input_dimensions(self, self.target_units)
        return solve_exponents(
            matrix[:, :-1],
            matrix[:, -1],
            nullspace=self.features_.powers_.T,
            max_denominator=self.max_denominator,
            variable_names=_variable_names(self),
            dimension_names=dimensions,
        )

    def _features(self, X):
        # X as given (maybe a DataFrame), so that features_ sees the fitted column names.
        features = self.features_.transform(X)
        return features if features.shape[1] else np.ones((len(features), 1))

    def _target_scale(self, values):
        """``prod_i x_i^b_i``, which must be nonzero to divide the target by it."""
        names = _variable_names(self)
        scale = evaluate_monomials(values, self.target_powers_, names)
        if not np.all(scale != 0):
            raise UnitsError(
                f"The monomial {monomial_name(self.target_powers_, names)} that carries "
                f"the target's units is zero at row {int(np.argmin(scale != 0))}."
            )
        return scale

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.estimator is not None:
            tags.regressor_tags.poor_score = get_tags(self.estimator).regressor_tags.poor_score
        return tags


def _finite(values, what, estimator):
    """``values``, or a ValueError naming the first row where ``what`` the target's monomial overflows."""
    if not np.all(np.isfinite(values)):
        monomial = monomial_name(estimator.target_powers_, _variable_names(estimator))
        raise ValueError(
            f"{what} the monomial {monomial} that carries the target's units overflows float64 at row "
            f"{int(np.argmin(np.isfinite(values)))}; rescale X or y (change their units)."
        )
    return values


def _input_dimensions(estimator, *extra_units):
    """Dimension matrix of the fitted columns' units, then of ``extra_units``."""
    units = column_units(
        estimator.units, estimator.n_features_in_, getattr(estimator, "feature_names_in_", None)
    )
    return dimension_matrix([*units, *extra_units], estimator.registry)


def _variable_names(estimator):
    return list(_check_feature_names_in(estimator, None))


def _positions(variables, names, option):
    """Column indices of ``variables`` given by name or index; ``option`` names them in errors."""
    positions = []
    for variable in () if variables is None else variables:
        if isinstance(variable, str):
            if variable not in names:
                raise ValueError(f"{option} names an unknown column {variable!r}; columns are {names}.")
            positions.append(names.index(variable))
        elif isinstance(variable, Integral) and 0 <= variable < len(names):
            positions.append(int(variable))
        else:
            raise ValueError(
                f"{option} has {variable!r}, which is neither a column name nor an index in [0, {len(names)})."
            )
    return positions
