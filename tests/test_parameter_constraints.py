"""Every estimator declares its parameter constraints and checks them, by name, at fit."""

import numpy as np
import pytest
from sklearn.base import clone

from scalars import DimensionlessFeatures, EquivariantMLPRegressor, EquivariantRegressor, InvariantFeatures
from scalars import UnitsEquivariantRegressor
from scalars.datasets import Inertia

X = np.random.default_rng(0).uniform(1, 2, (40, 7))
Y = X[:, 0] * (X[:, 1:4] * X[:, 4:]).sum(1)
EQUIVARIANT = dict(group="O(3)", layout="T0+2T1")
UNITS = dict(units=["kg", "m", "m", "m", "s", "s", "s"])

CASES = [
    (EquivariantRegressor(**EQUIVARIANT), "alpha", -1),
    (EquivariantRegressor(**EQUIVARIANT), "degree", -1),
    (EquivariantRegressor(**EQUIVARIANT), "degree", 1.5),
    (EquivariantRegressor(**EQUIVARIANT), "basis", "polynomial"),
    (EquivariantMLPRegressor(**EQUIVARIANT), "validation_fraction", 1.5),
    (EquivariantMLPRegressor(**EQUIVARIANT), "batch_size", 0),
    (EquivariantMLPRegressor(**EQUIVARIANT), "learning_rate", 0.0),
    (EquivariantMLPRegressor(**EQUIVARIANT), "max_epochs", 0),
    (EquivariantMLPRegressor(**EQUIVARIANT), "patience", 0),
    (EquivariantMLPRegressor(**EQUIVARIANT), "encoding", "sqrt"),
    (EquivariantMLPRegressor(**EQUIVARIANT), "bilinear", -1),
    (EquivariantMLPRegressor(**EQUIVARIANT), "weight_decay", "none"),
    (EquivariantMLPRegressor(**EQUIVARIANT), "random_state", "seed"),
    (InvariantFeatures(**EQUIVARIANT), "names", 3),
    (DimensionlessFeatures(**UNITS), "repeating", 0),
    (UnitsEquivariantRegressor(**UNITS), "max_denominator", 0),
    (UnitsEquivariantRegressor(**UNITS), "max_denominator", -3),
    (UnitsEquivariantRegressor(**UNITS), "max_denominator", 2.5),
    (UnitsEquivariantRegressor(**UNITS), "estimator", "ridge"),
]


@pytest.mark.parametrize("estimator, name, value", CASES, ids=[f"{type(e).__name__}-{n}={v!r}" for e, n, v in CASES])
def test_out_of_range_parameters_are_rejected_by_name_at_fit(estimator, name, value):
    model = clone(estimator).set_params(**{name: value})  # construction never validates
    with pytest.raises(ValueError, match=f"The '{name}' parameter of {type(estimator).__name__} must be"):
        model.fit(X, Y)


def test_hidden_layer_sizes_must_be_positive_integers():
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive integers, got \\(16, 0\\)"):
        EquivariantMLPRegressor(**EQUIVARIANT, hidden_layer_sizes=(16, 0)).fit(X, Y)


def test_random_state_takes_an_int_a_random_state_a_generator_or_none():
    train = Inertia(64, seed=0)
    params = dict(**train.estimator_params(), hidden_layer_sizes=(8,), max_epochs=3)

    def predict(random_state):
        return EquivariantMLPRegressor(**params, random_state=random_state).fit(train.X, train.y).predict(train.X)

    np.testing.assert_array_equal(predict(np.random.default_rng(5)), predict(np.random.default_rng(5)))
    assert not np.array_equal(predict(np.random.default_rng(5)), predict(np.random.default_rng(6)))
    np.testing.assert_array_equal(predict(3), predict(np.random.RandomState(3)))
    assert np.all(np.isfinite(predict(None)))
