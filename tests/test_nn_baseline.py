"""scalars.nn.PlainMLPRegressor: the no-symmetry baseline fits, predicts in the targets' units, checks its input."""

import numpy as np
import pytest

from scalars.nn import PlainMLPRegressor


def _data(n=64, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, 3))
    return X, np.column_stack([X.sum(1), X[:, 0] * X[:, 1]])


def test_shapes_follow_the_targets():
    X, Y = _data()
    model = PlainMLPRegressor(hidden_layer_sizes=(8,), max_epochs=2).fit(X, Y)
    assert model.predict(X[:5]).shape == (5, 2)
    assert PlainMLPRegressor(hidden_layer_sizes=(8,), max_epochs=2).fit(X, Y[:, 0]).predict(X[:5]).shape == (5,)


def test_the_same_seed_gives_the_same_model_and_another_seed_another():
    X, Y = _data()
    fit = lambda seed: PlainMLPRegressor(hidden_layer_sizes=(8,), max_epochs=3, random_state=seed).fit(X, Y).predict(X)
    np.testing.assert_array_equal(fit(0), fit(0))
    assert not np.allclose(fit(0), fit(1))


def test_an_untrained_direction_predicts_the_targets_mean_and_scale():
    X, Y = _data()
    model = PlainMLPRegressor(hidden_layer_sizes=(8,), max_epochs=1).fit(X, 1e6 + 1e3 * Y)
    np.testing.assert_allclose(model.y_mean_, 1e6 + 1e3 * Y.mean(0))
    np.testing.assert_allclose(model.y_scale_, 1e3 * Y.std(0) + 1e-12)
    assert np.all(np.abs(model.predict(X) - 1e6) < 1e5)  # predictions in the targets' units


def test_a_constant_column_stays_finite():
    X, Y = _data()
    X[:, 1] = 7.0
    assert np.isfinite(PlainMLPRegressor(hidden_layer_sizes=(4,), max_epochs=1).fit(X, Y).predict(X)).all()


@pytest.mark.parametrize("params, match", [
    (dict(max_epochs=0), "max_epochs"),
    (dict(batch_size=0), "batch_size"),
    (dict(random_state=-1), "random_state"),
])
def test_bad_parameters_are_named(params, match):
    X, Y = _data()
    with pytest.raises(ValueError, match=match):
        PlainMLPRegressor(**params).fit(X, Y)


def test_predict_checks_the_number_of_columns():
    X, Y = _data()
    model = PlainMLPRegressor(hidden_layer_sizes=(4,), max_epochs=1).fit(X, Y)
    with pytest.raises(ValueError, match="3 features"):
        model.predict(X[:, :2])
