"""scikit-learn estimators with exact units equivariance, and the testing kit."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, PolynomialFeatures, SplineTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from scalars.units import (
    DimensionlessFeatures,
    UnitsEquivariantRegressor,
    UnitsError,
    assert_units_equivariant,
    invariant_units,
)

H, C, K_B = 6.62607015e-34, 2.99792458e8, 1.380649e-23
PLANCK_UNITS = ["Hz", "K", "m/s", "J/K", "J*s"]  # nu, T, c, k_B, h
RADIANCE = "W/m^2/Hz/sr"


@parametrize_with_checks([DimensionlessFeatures(), UnitsEquivariantRegressor()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _planck_spectra(temperatures, n_per_temperature=60, noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    T = np.repeat(temperatures, n_per_temperature)
    nu = rng.uniform(0.05, 8.0, T.size) * K_B * T / H
    radiance = 2 * H * nu**3 / C**2 / np.expm1(H * nu / (K_B * T))
    X = np.column_stack([nu, T, np.full_like(T, C), np.full_like(T, K_B), np.full_like(T, H)])
    return X, radiance * (1 + noise * rng.standard_normal(T.size))


def _log_spline_model():
    return make_pipeline(
        FunctionTransformer(np.log), SplineTransformer(n_knots=12, degree=3), LinearRegression()
    )


def test_planck_law_learned_at_some_temperatures_predicts_unseen_ones():
    X, y = _planck_spectra([3000.0, 4000.0, 5000.0])
    model = UnitsEquivariantRegressor(_log_spline_model(), PLANCK_UNITS, RADIANCE).fit(X, y)
    X_new, _ = _planck_spectra([300.0, 20000.0], noise=0.0, seed=1)
    exact = _planck_spectra([300.0, 20000.0], noise=0.0, seed=1)[1]
    relative_error = np.abs(model.predict(X_new) / exact - 1)
    assert np.median(relative_error) < 0.02
    assert_units_equivariant(model, X_new, PLANCK_UNITS, RADIANCE, n_draws=5)


def test_without_planck_constant_the_model_is_rayleigh_jeans():
    X, y = _planck_spectra([3000.0, 4000.0])
    model = UnitsEquivariantRegressor(units=PLANCK_UNITS[:4], target_units=RADIANCE)
    message = r"no dimensionless monomial, so the model is a constant times x0\^2\*x1\*x2\^-2\*x3"
    with pytest.warns(UserWarning, match=message):
        model.fit(X[:, :4], y)
    assert model.features_.powers_.shape == (0, 4)
    assert model.target_powers_.tolist() == [2, 1, -2, 1]  # k_B T nu^2 / c^2
    ratio = model.predict(X[:, :4]) / (K_B * X[:, 1] * X[:, 0] ** 2 / C**2)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)  # no way to bend the spectrum


def test_without_boltzmann_and_planck_constants_the_error_names_mass():
    X, y = _planck_spectra([3000.0])
    model = UnitsEquivariantRegressor(units=PLANCK_UNITS[:3], target_units=RADIANCE)
    with pytest.raises(UnitsError, match=r"No input carries \[mass\]"):
        model.fit(X[:, :3], y)


def _pendulum(n, seed=0):
    rng = np.random.default_rng(seed)
    length, g = rng.uniform(0.1, 10, n), rng.uniform(1, 25, n)
    mass, angle = rng.uniform(0.1, 5, n), rng.uniform(0.05, 1.0, n)
    period = 2 * np.pi * np.sqrt(length / g) * (1 + angle**2 / 16 + 11 * angle**4 / 3072)
    return np.column_stack([length, g, mass, angle]), period


def test_pendulum_period_with_a_square_root():
    X, y = _pendulum(200)
    units = ["m", "m/s^2", "kg", "rad"]
    with pytest.raises(UnitsError, match="max_denominator=2"):
        UnitsEquivariantRegressor(units=units, target_units="s").fit(X, y)
    f = make_pipeline(PolynomialFeatures(4), LinearRegression())
    model = UnitsEquivariantRegressor(f, units, "s", max_denominator=2).fit(X, y)
    assert model.target_powers_.tolist() == [0.5, -0.5, 0.0, 0.0]
    X_test, y_test = _pendulum(100, seed=1)
    np.testing.assert_allclose(model.predict(X_test * [1e3, 1e3, 1, 1]), y_test, rtol=1e-6)
    assert_units_equivariant(model, X_test, units, "s")


def test_units_equivariance_is_exact_for_a_nonlinear_tree_model():
    X, y = _pendulum(300)
    units = ["m", "m/s^2", "kg", "rad"]
    y = y * X[:, 2] * X[:, 1]  # a momentum-like target: kg m / s
    model = UnitsEquivariantRegressor(
        HistGradientBoostingRegressor(max_iter=20), units, "kg*m/s", max_denominator=2
    )
    assert_units_equivariant(model.fit(X, y), X, units, "kg*m/s", n_draws=10)


def test_equivariance_check_catches_a_plain_model():
    X, y = _pendulum(100)
    plain = LinearRegression().fit(X, y)
    with pytest.raises(AssertionError, match="not units-equivariant"):
        assert_units_equivariant(plain, X, ["m", "m/s^2", "kg", "rad"], "s")


RIETKERK = {
    "R": "lw/d/m^2", "alpha": "1/d", "k2": "g/m^2", "W0": "", "Du": "m^2/d",
    "gm": "lw/g/d", "k1": "lw/m^2", "dw": "1/d", "Dw": "m^2/d", "c": "g/lw",
    "dv": "1/d", "Dv": "m^2/d", "T": "d", "dt": "d", "L": "m", "dl": "m",
}


@pytest.fixture(scope="module")
def water_registry():
    import pint

    registry = pint.UnitRegistry()
    registry.define("litre_of_water = [water_volume] = lw")
    return registry


def test_dataframe_units_by_column_and_pandas_output(water_registry):
    X = pd.DataFrame(np.random.default_rng(0).uniform(0.1, 10, (5, 16)), columns=list(RIETKERK))
    features = DimensionlessFeatures(
        units=RIETKERK, registry=water_registry, repeating=["alpha", "R", "c", "L"]
    ).set_output(transform="pandas")
    Z = features.fit_transform(X)
    assert isinstance(Z, pd.DataFrame) and Z.shape == (5, 12)
    assert list(Z.columns) == [
        "R^-1*alpha*k2*c^-1", "W0", "alpha^-1*Du*L^-2", "alpha^-1*gm*c", "R^-1*alpha*k1",
        "alpha^-1*dw", "alpha^-1*Dw*L^-2", "alpha^-1*dv", "alpha^-1*Dv*L^-2", "alpha*T",
        "alpha*dt", "L^-1*dl",
    ]
    assert_units_equivariant(features, X, RIETKERK, registry=water_registry)


def test_default_features_have_small_exponents(water_registry):
    X = pd.DataFrame(np.ones((2, 16)), columns=list(RIETKERK))
    features = DimensionlessFeatures(units=RIETKERK, registry=water_registry).fit(X)
    assert features.powers_.shape == (12, 16)
    assert np.abs(features.powers_).max() <= 2
    assert features.dimensions_ == ("[length]", "[mass]", "[time]", "[water_volume]")


@pytest.mark.parametrize(
    "units, X, message",
    [
        (["m"], np.ones((3, 2)), "units has 1 entries but X has 2 columns"),
        ({"a": "m"}, np.ones((3, 1)), "must be a DataFrame"),
        ({"a": "m"}, pd.DataFrame({"b": [1.0]}), r"no entry for columns \['b'\]"),
        ("m", np.ones((3, 1)), "one entry per column"),
    ],
)
def test_units_that_do_not_match_the_columns_are_refused(units, X, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DimensionlessFeatures(units=units).fit(X)


def test_zero_where_a_feature_divides_is_named():
    features = DimensionlessFeatures(units=["m", "m"]).fit(np.ones((1, 2)))
    with pytest.raises(UnitsError, match="'x1' is zero"):
        features.transform([[1.0, 0.0]])


def _spring_pendulum_hamiltonian(n, seed=0):
    """Double spring pendulum: scalars m1, m2, k1, k2, L1, L2; vectors q1, q2, p1, p2, g."""
    rng = np.random.default_rng(seed)
    m, k, lengths = rng.uniform(1, 2, (3, n, 2))
    g = rng.standard_normal((n, 3))
    g *= rng.uniform(1, 2, (n, 1)) / np.linalg.norm(g, axis=1, keepdims=True)
    q1 = lengths[:, :1] * [0, 0, -1] + 0.2 * rng.standard_normal((n, 3))
    q2 = q1 + lengths[:, 1:] * [0, 0, -1] + 0.2 * rng.standard_normal((n, 3))
    p1, p2 = 0.4 * rng.standard_normal((2, n, 3))
    energy = (
        (p1**2).sum(1) / (2 * m[:, 0]) + (p2**2).sum(1) / (2 * m[:, 1])
        + k[:, 0] * (np.linalg.norm(q1, axis=1) - lengths[:, 0]) ** 2 / 2
        + k[:, 1] * (np.linalg.norm(q1 - q2, axis=1) - lengths[:, 1]) ** 2 / 2
        - m[:, 0] * (g * q1).sum(1) - m[:, 1] * (g * q2).sum(1)
    )
    X = np.column_stack([m, k, lengths, q1, q2, p1, p2, g])
    return X, energy


def test_invariant_features_feed_dimensionless_features_for_a_hamiltonian():
    from scalars.preprocessing import InvariantFeatures

    layout = "6T0+5T1"
    slot_units = ["kg", "kg", "N/m", "N/m", "m", "m", "m", "m", "kg*m/s", "kg*m/s", "m/s^2"]
    column_units = slot_units[:6] + [u for u in slot_units[6:] for _ in range(3)]
    model = make_pipeline(
        InvariantFeatures(group="O(3)", layout=layout),
        UnitsEquivariantRegressor(
            HistGradientBoostingRegressor(max_iter=300, random_state=0),
            units=invariant_units("O(3)", layout, slot_units),
            target_units="J",
        ),
    )
    X, energy = _spring_pendulum_hamiltonian(3000)
    model.fit(X, energy)
    X_test, energy_test = _spring_pendulum_hamiltonian(500, seed=1)
    assert model[-1].features_.powers_.shape == (18, 21)
    assert model.score(X_test, energy_test) > 0.8
    assert_units_equivariant(model, X_test, column_units, "J")


PIPE_FLOW = {"p": "Pa", "L": "m", "D": "m", "rho": "kg/m^3", "mu": "Pa*s", "v": "m/s"}


def _pipe_flow(n, seed=0):
    """Pressure drop over a pipe (Blasius friction), as a function of the other five."""
    rng = np.random.default_rng(seed)
    L, D, rho = rng.uniform(1, 10, n), rng.uniform(0.01, 0.1, n), rng.uniform(500, 1500, n)
    mu, v = rng.uniform(1e-3, 1e-2, n), rng.uniform(0.5, 5, n)
    reynolds = rho * v * D / mu
    p = 0.316 * reynolds**-0.25 * L / D * rho * v**2 / 2
    return pd.DataFrame({"L": L, "D": D, "rho": rho, "mu": mu, "v": v}), p


def test_regressor_takes_the_options_of_its_dimensionless_features():
    X, p = _pipe_flow(200)
    units = {name: PIPE_FLOW[name] for name in X.columns}
    options = {"repeating": ["rho", "v", "D"], "isolate": ["L"]}
    power_law = TransformedTargetRegressor(
        make_pipeline(FunctionTransformer(np.log), LinearRegression()), func=np.log,
        inverse_func=np.exp,
    )
    model = UnitsEquivariantRegressor(power_law, units, "Pa", **options).fit(X, p)
    features = DimensionlessFeatures(units, **options).fit(X)
    assert model.features_.get_feature_names_out().tolist() == ["L*D^-1", "D^-1*rho^-1*mu*v^-1"]
    np.testing.assert_array_equal(model.features_.powers_, features.powers_)
    np.testing.assert_array_equal(model.features_.transform(X), features.transform(X))
    X_test, p_test = _pipe_flow(50, seed=1)
    np.testing.assert_allclose(model.predict(X_test), p_test, rtol=1e-8)
    assert_units_equivariant(model, X_test, units, "Pa")


def test_regressor_refuses_variables_it_cannot_isolate():
    model = UnitsEquivariantRegressor(units=["m", "m", "m^-2"], isolate=[0, 1])
    with pytest.raises(UnitsError, match="Cannot isolate"):
        model.fit(np.ones((3, 3)), np.ones(3))


def test_options_and_names_may_be_numpy_arrays():
    X, _ = _pipe_flow(5)
    units = np.array([PIPE_FLOW[name] for name in X.columns])
    by_list = DimensionlessFeatures(list(units), repeating=["rho", "v", "D"]).fit(X)
    by_array = DimensionlessFeatures(units, repeating=np.array(["rho", "v", "D"])).fit(X)
    np.testing.assert_array_equal(by_array.powers_, by_list.powers_)
    by_index = DimensionlessFeatures(units, repeating=np.array([2, 4, 1])).fit(X)
    np.testing.assert_array_equal(by_index.powers_, by_list.powers_)


def test_dimensionless_feature_names_follow_input_features():
    features = DimensionlessFeatures(units=["s", "m", "m/s^2"]).fit(np.ones((2, 3)))
    assert features.get_feature_names_out(["T", "L", "g"]).tolist() == ["T^2*L^-1*g"]
    with pytest.raises(ValueError, match="input_features should have length equal to"):
        features.get_feature_names_out(["T", "L"])
    X = pd.DataFrame(np.ones((2, 3)), columns=["T", "L", "g"])
    features.fit(X)
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        features.get_feature_names_out(["T", "L", "G"])


def test_offset_temperature_units_are_refused_by_the_estimators():
    X = np.array([[300.0, 310.0], [280.0, 290.0], [5.0, 6.0]])
    for estimator in (DimensionlessFeatures(units=["degC", "degC"]),
                      UnitsEquivariantRegressor(units=["K", "degF"], target_units="K")):
        with pytest.raises(UnitsError, match="'deg[CF]' is an offset unit.*kelvin"):
            estimator.fit(X, X[:, 0])


@pytest.mark.parametrize("max_denominator, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                                    ("2", TypeError), (True, TypeError)])
def test_max_denominator_must_be_a_positive_integer(max_denominator, error):
    X, y = _pendulum(20)
    model = UnitsEquivariantRegressor(units=["m", "m/s^2", "kg", ""], target_units="s",
                                      max_denominator=max_denominator)
    with pytest.raises(error, match=r"max_denominator.* must be (an int|a positive integer)"):
        model.fit(X, y)


def test_repeating_variables_that_cannot_separate_the_others_are_named_as_such():
    model = DimensionlessFeatures(units=["m", "m", "m^-2"], repeating=[2])
    message = r"repeating variables \['x2'\], not every other variable can have a dimensionless group .* \['x1'\]"
    with pytest.raises(UnitsError, match=message) as error:
        model.fit(np.ones((3, 3)))
    assert "isolate" not in str(error.value)


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(repeating=["nope"]), ValueError, "repeating names an unknown column 'nope'"),
        (dict(repeating=[7]), ValueError, r"repeating has 7, which is neither a column name nor an index in \[0, 2\)"),
        (dict(isolate=[-1]), ValueError, "isolate has -1"),
        (dict(isolate=[1.5]), ValueError, "isolate has 1.5"),
        (dict(repeating="x0"), TypeError, "'repeating' parameter of DimensionlessFeatures must be an array-like"),
    ],
)
def test_options_that_name_no_column_say_which_option(options, error, message):
    with pytest.raises(error, match=message):
        DimensionlessFeatures(units=["m", "s"], **options).fit(np.ones((3, 2)))


def test_a_target_or_prediction_beyond_float64_names_the_monomial():
    X = np.array([[0.5], [0.13], [1e9], [5e-301]])
    with pytest.warns(UserWarning, match="no dimensionless monomial"):
        model = UnitsEquivariantRegressor(units=["m"], target_units="m").fit(X, [1.0, 1.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"prediction, f\(z\) times the monomial x0 .* overflows float64 at row 2"):
        model.predict(X)  # 4e299 * 1e9
    with pytest.raises(ValueError, match=r"y divided by the monomial x0 .* overflows float64 at row 1"):
        UnitsEquivariantRegressor(units=["m"], target_units="m").fit(np.array([[1.0], [1e-310]]), [1.0, 1.0])
