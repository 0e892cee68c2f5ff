"""Check that a model transforms exactly as its units say under changes of units."""

import numpy as np
from sklearn.utils import check_random_state

from .dimensions import dimension_matrix
from .dimensions import column_units


def assert_units_equivariant(
    model, X, units, target_units=None, *, registry=None, n_draws=3, max_factor=1e3,
    rtol=1e-10, atol=0.0, random_state=0,
):
    """Assert that rescaling each base unit rescales the model's output exactly.

    Each draw multiplies every base dimension (mass, length, ...) by a random factor
    in ``[1 / max_factor, max_factor]`` (log-uniform), rescales each input column
    and the reference output by the product of those factors its units carry, and
    compares the model's output on the rescaled inputs with the rescaled reference.

    Parameters
    ----------
    model : estimator or callable
        Its ``predict`` (or else ``transform``) method is used; a plain callable is
        called on X.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Inputs, in the units given by ``units``.
    units : sequence or dict
        Units of the input columns, as in :class:`DimensionlessFeatures`.
    target_units : unit, default=None
        Units of the output (every output column); None means dimensionless, so
        the output must be invariant.
    registry : pint.UnitRegistry, default=None
        Registry that parses unit strings.
    n_draws : int, default=3
        Number of random changes of units.
    max_factor : float, default=1e3
        Largest rescaling of a base unit.
    rtol, atol : float, default=1e-10, 0.0
        Tolerances of :func:`numpy.testing.assert_allclose`.
    random_state : int, RandomState instance or None, default=0
        Seeds the rescaling factors.

    Raises
    ------
    AssertionError
        If an output differs from the rescaled reference beyond tolerance; the
        message lists the factors of the base units.
    """
    output = getattr(model, "predict", None) or getattr(model, "transform", None) or model
    names = list(getattr(X, "columns", [])) or None
    per_column = column_units(units, np.shape(X)[1], names)
    matrix, dimensions = dimension_matrix([*per_column, target_units], registry)
    rng = check_random_state(random_state)
    reference = np.asarray(output(X), dtype=np.float64)
    for _ in range(n_draws):
        log_factors = rng.uniform(-np.log(max_factor), np.log(max_factor), len(dimensions))
        scales = np.exp(matrix.T @ log_factors)
        np.testing.assert_allclose(
            np.asarray(output(X * scales[:-1]), dtype=np.float64),
            reference * scales[-1],
            rtol=rtol,
            atol=atol,
            err_msg="Output is not units-equivariant when the base units are scaled by "
            f"{dict(zip(dimensions, np.exp(log_factors).round(6)))}",
        )
