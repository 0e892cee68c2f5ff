import pickle
import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.preprocessing import PolynomialFeatures, SplineTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from scalars.datasets import Inertia, O5Synthetic, ParticleInteraction
from scalars.estimators import EquivariantMLPRegressor, EquivariantRegressor, ResidualPathwayRegressor
from scalars.groups import get_group
from scalars.layout import Layout
from scalars.testing import assert_equivariant


FAST_MLP = dict(hidden_layer_sizes=(16,), max_epochs=30, random_state=0)

# (group, layout, output): each output the group supports, with scalars and several vectors
CASES = [
    ("O(3)", "2T0+3T1", "T0"),
    ("O(3)", "2T0+3T1", "T1"),
    ("O(3)", "2T0+3T1", "T2"),
    ("SO(3)", "T0+3T1", "T1"),
    ("SO(3)", "T0+3T1", "T2"),
    ("O(1,3)", "T0+3T1", "T0"),
    ("O(1,3)", "T0+3T1", "T1"),
    ("O(1,3)", "T0+3T1", "T2"),
    ("Sp(4)", "T0+3T1", "T1"),
    ("U(2)", "T0+2T1", "T1"),
]


def _random_problem(group, layout, output, n_samples=60, seed=0):
    """Inputs and an equivariant target that is a polynomial in the invariants."""
    rng = np.random.default_rng(seed)
    group = get_group(group)
    X = rng.standard_normal((n_samples, Layout.parse(layout).n_features(group.n_columns)))
    teacher = EquivariantRegressor(group, layout, output, degree=1)
    teacher.fit(X, _zeros_target(group, output, n_samples))
    teacher.coef_ = rng.standard_normal(len(teacher.coef_))
    return X, teacher.predict(X)


def _zeros_target(group, output, n_samples):
    return np.zeros({"T0": (n_samples,), "T1": (n_samples, group.n_columns), "T2": (n_samples, group.d**2)}[output])


def _as_group_output(group, output, predict):
    """Predictions as the group acts on them: complex vectors for U(d)."""
    group = get_group(group)
    if output == "T1":
        return lambda X: group.vectors_from_columns(predict(X))
    return predict


@pytest.mark.parametrize("group, layout, output", CASES)
@pytest.mark.parametrize("estimator", [EquivariantRegressor(degree=1), EquivariantMLPRegressor(**FAST_MLP)], ids=["ridge", "mlp"])
def test_equivariant_under_random_group_elements(estimator, group, layout, output):
    X, y = _random_problem(group, layout, output)
    model = clone(estimator).set_params(group=group, layout=layout, output=output).fit(X, y)
    assert_equivariant(_as_group_output(group, output, model.predict), group, X[:10], layout, output, rng=1)


@pytest.mark.parametrize("estimator", [EquivariantRegressor(), EquivariantMLPRegressor(**FAST_MLP)], ids=["ridge", "mlp"])
@pytest.mark.parametrize("output", ["T0", "T1", "T2"])
def test_particles_permutation_and_group_equivariant(estimator, output):
    layout, group = "3T0+3T1", "O(3)"  # 3 particles of one scalar and one vector
    X, y = _random_problem(group, layout, output)
    model = clone(estimator).set_params(group=group, layout=layout, output=output, particles=3).fit(X, y)
    assert_equivariant(model.predict, group, X[:10], layout, output, rng=2)
    permuted = X[:, [2, 0, 1, 9, 10, 11, 3, 4, 5, 6, 7, 8]]
    np.testing.assert_allclose(model.predict(permuted), model.predict(X), rtol=1e-10, atol=1e-10)
    # ...while moving a scalar to another particle changes the prediction
    broken = X[:, [1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]
    assert not np.allclose(model.predict(broken), model.predict(X))


def test_particles_share_coefficients():
    train = Inertia(50)
    shared = EquivariantRegressor(**train.estimator_params(), degree=1).fit(train.X, train.y)
    generic = EquivariantRegressor(**dict(train.estimator_params(), particles=None), degree=1).fit(train.X, train.y)
    # one-body: (1 + m + |r|^2) x {r r^T, I}; pairs: (1 + 5 invariants) x {3 sym(r r^T), I}
    assert len(shared.coef_) == 3 * 2 + 6 * 4
    # generic: (1 + 5 masses + 15 Gram entries) x (15 sym(r_i r_j^T) + I)
    assert len(generic.coef_) == 21 * 16


def _xy(data):
    return data.X, data.y


@pytest.mark.parametrize("dataset", [Inertia, ParticleInteraction])
def test_polynomial_basis_is_exact_from_100_samples(dataset):
    train, test = dataset(100, seed=0), dataset(2000, seed=1)
    model = EquivariantRegressor(**train.estimator_params()).fit(train.X, train.y)
    assert np.mean((model.predict(test.X) - test.y) ** 2) < 1e-12


def test_basis_transformer_replaces_polynomials():
    train = O5Synthetic(200, seed=0)
    params = train.estimator_params()
    cubic = EquivariantRegressor(**params, degree=3).fit(train.X, train.y)
    via_basis = EquivariantRegressor(**params, basis=PolynomialFeatures(3)).fit(train.X, train.y)
    splines = EquivariantRegressor(**params, basis=SplineTransformer(n_knots=4)).fit(train.X, train.y)
    np.testing.assert_allclose(via_basis.predict(train.X), cubic.predict(train.X), rtol=1e-10)
    assert isinstance(splines.bases_[0], SplineTransformer)
    assert splines.coef_.shape == (3 * 6,)  # 3 invariants x (4 knots + degree 3 - 1) splines


def test_degree_one_cannot_fit_quadratic_invariants():
    train, test = ParticleInteraction(200, seed=0), ParticleInteraction(500, seed=1)
    model = EquivariantRegressor(**train.estimator_params(), degree=1).fit(train.X, train.y)
    assert np.mean((model.predict(test.X) - test.y) ** 2) > 1e-3


@pytest.mark.parametrize("estimator", [EquivariantRegressor, EquivariantMLPRegressor])
@pytest.mark.parametrize(
    "params, y_shape, message",
    [
        (dict(group="O(3)", layout="2T0+T1", output="T1"), (10, 2), r"needs y of shape \(n_samples, 3\)"),
        (dict(group="O(3)", layout="2T0+T1", output="T3"), (10,), "output must be one of"),
        (dict(group="O(3)", layout="3T1"), (10,), "layout '3T1'"),
        (dict(group="O(3)", layout="2T0+T1", particles=0), (10,), "particles must be a positive integer"),
        (dict(group="O(3)", layout="2T0+T1", output="2T1"), (10, 6), "need particles=k"),
        (dict(group="O(3)", layout="5T0", output="T1"), (10, 3), "needs input vectors"),
    ],
)
def test_clear_errors(estimator, params, y_shape, message):
    X = np.random.default_rng(0).standard_normal((10, 5))
    with pytest.raises(ValueError, match=message):
        estimator(**params).fit(X, np.zeros(y_shape))


@pytest.mark.parametrize("estimator", [EquivariantRegressor, EquivariantMLPRegressor])
def test_pickle_round_trip(estimator):
    train = Inertia(64, seed=0)
    model = estimator(**train.estimator_params()).set_params(**({} if estimator is EquivariantRegressor else FAST_MLP))
    model.fit(train.X, train.y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(train.X), model.predict(train.X))


def test_mlp_is_reproducible_and_learns():
    train, test = ParticleInteraction(400, seed=0), ParticleInteraction(500, seed=1)
    params = dict(**train.estimator_params(), max_epochs=60, random_state=3)
    first = EquivariantMLPRegressor(**params).fit(train.X, train.y)
    second = EquivariantMLPRegressor(**params).fit(train.X, train.y)
    np.testing.assert_array_equal(first.predict(test.X), second.predict(test.X))
    assert np.mean((first.predict(test.X) - test.y) ** 2) < 0.5 * np.var(test.y)


# the auto budget (3000 steps) would make the ~40 fits of the checks take minutes
@parametrize_with_checks([
    EquivariantRegressor(),
    EquivariantMLPRegressor(max_epochs=30),
    ResidualPathwayRegressor(max_epochs=1, polish=0.0, hidden_layer_sizes=(4,), plain_hidden_layer_sizes=(4,)),
])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_mlp_random_state_takes_a_generator_and_leaves_the_global_torch_seed_alone():
    import torch

    X, y = _random_problem("O(3)", "2T0+3T1", "T0")
    params = dict(group="O(3)", layout="2T0+3T1", **{**FAST_MLP, "max_epochs": 3})
    torch.manual_seed(123)
    expected_draw = torch.rand(1)
    torch.manual_seed(123)
    by_int = EquivariantMLPRegressor(**params).fit(X, y).predict(X)
    assert torch.rand(1) == expected_draw
    params["random_state"] = np.random.RandomState(0)
    by_generator = EquivariantMLPRegressor(**params).fit(X, y).predict(X)
    assert by_generator.shape == by_int.shape and np.all(np.isfinite(by_generator))


def test_a_failed_fit_leaves_no_fitted_state():
    X, y = _random_problem("O(3)", "2T0+3T1", "T0")
    model = EquivariantRegressor(group="O(3)", layout="2T0+3T1", output="T1")
    with pytest.raises(ValueError, match="needs y of shape"):
        model.fit(X, y)
    assert not hasattr(model, "expansion_")


def _unit_data(n=40, seed=0):
    X = np.random.default_rng(seed).standard_normal((n, 6))
    return X, (X[:, :3] ** 2).sum(1)


@pytest.mark.parametrize(
    "estimator", [EquivariantRegressor(group="O(3)"), EquivariantRegressor(group="O(3)", degree=1)]
)
@pytest.mark.parametrize("scale", [1e100, 1e200])
def test_fit_on_huge_finite_x_is_an_overflow_error_not_an_inf_error(estimator, scale):
    X, y = _unit_data()
    with pytest.raises(ValueError, match="overflow") as error:
        clone(estimator).fit(X * scale, y)
    assert "contain" not in str(error.value)  # not scipy's "must not contain infs" nor "X contains infinity"


def test_mlp_fit_on_huge_finite_x_is_an_overflow_error():
    X, y = _unit_data()
    with pytest.raises(ValueError, match="gram_upper overflows float64"):
        EquivariantMLPRegressor(group="O(3)", max_epochs=1, random_state=0).fit(X * 1e160, y)


@pytest.mark.parametrize(
    "estimator, scale",
    [
        (EquivariantRegressor(group="O(3)"), 1e120),  # the invariants are finite, their squares not
        (EquivariantMLPRegressor(group="O(3)", max_epochs=1, random_state=0), 1e160),
    ],
)
def test_predictions_that_overflow_are_an_error(estimator, scale):
    X, y = _unit_data()
    model = clone(estimator).fit(X, y)
    assert np.isfinite(model.predict(X * 1e50)).all()
    with pytest.raises(ValueError, match=r"overflow.*rescale X"):
        model.predict(X * scale)


@pytest.mark.parametrize("alpha", [-1.0, np.nan, np.inf, "1e-3", None])
def test_a_penalty_that_is_not_a_non_negative_number_is_refused(alpha):
    X, y = _unit_data()
    with pytest.raises((ValueError, TypeError), match=r"'alpha' parameter of EquivariantRegressor must be a float in the range \[0.0, inf\)"):
        EquivariantRegressor(group="O(3)", alpha=alpha).fit(X, y)  # nan dropped every coefficient: predictions 0


def test_mlp_targets_too_large_for_a_squared_error_are_refused():
    X, y = _unit_data()
    with pytest.raises(ValueError, match=r"y is too large for a squared-error loss in float64"):
        EquivariantMLPRegressor(group="O(3)", max_epochs=1, random_state=0).fit(X, y * 1e300)


@pytest.mark.parametrize("exponent", [-200, -60, -20, 0, 20, 60, 200])
def test_a_power_of_two_rescaling_of_x_gives_the_same_predictions_or_an_error(exponent):
    X, y = _unit_data(60)
    scale = 2.0**exponent
    reference = EquivariantRegressor(group="O(3)").fit(X, y).predict(X)
    try:
        predicted = EquivariantRegressor(group="O(3)").fit(X * scale, y).predict(X * scale)
    except ValueError as error:
        assert abs(exponent) > 100 and re.search("overflow|underflow", str(error))  # 2^-60: basis 1e-72, squares 1e-144
    else:
        np.testing.assert_allclose(predicted, reference, rtol=1e-9, atol=1e-12)  # 1e-200 used to give garbage silently


def test_auto_settings_scale_with_the_training_size():
    import torch

    from scalars.estimators import _defaults_for
    from scalars.nn import BilinearReadout

    small, large = _defaults_for(300), _defaults_for(10_000)
    assert small == dict(
        hidden_layer_sizes=(64, 64), max_epochs=1500, validation_fraction=0.0, weight_decay=1e-3, polish=0.5
    )
    assert large == dict(
        hidden_layer_sizes=(128, 128), max_epochs=84, validation_fraction=0.1, weight_decay=0.0, polish=0.0
    )
    assert _defaults_for(30_000)["max_epochs"] == 85  # the steps grow with the data from 10,000: 9000 here
    X = np.random.default_rng(0).normal(size=(40, 3))
    model = EquivariantMLPRegressor(group="O(3)", max_epochs=2, random_state=0).fit(X, (X**2).sum(1))
    settings = (model.hidden_layer_sizes_, model.max_epochs_, model.validation_fraction_, model.weight_decay_, model.polish_)
    assert settings == ((64, 64), 2, 0.0, 1e-3, 0.5)
    explicit = EquivariantMLPRegressor(
        group="O(3)", hidden_layer_sizes=(8,), max_epochs=2, validation_fraction=0.25, weight_decay=0.0, bilinear=0
    )
    explicit.fit(X, (X**2).sum(1))
    assert (explicit.hidden_layer_sizes_, explicit.validation_fraction_, explicit.weight_decay_, explicit.polish_) == (
        (8,), 0.25, 0.0, 0.0
    )
    assert isinstance(model.module_.blocks[0].net[-1], BilinearReadout)
    assert isinstance(explicit.module_.blocks[0].net[-1], torch.nn.Linear)
