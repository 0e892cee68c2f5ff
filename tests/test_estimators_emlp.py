import numpy as np
import pytest

from scalars.datasets import Inertia, O5Synthetic
from scalars.estimators import EquivariantMLPRegressor
from scalars.nn import EMLP
from scalars.testing import assert_equivariant


@pytest.mark.parametrize("task", [O5Synthetic, Inertia])
def test_emlp_backbone_trains_through_the_estimator_and_is_equivariant(task):
    train, test = task(200, seed=0), task(50, seed=1)
    params = train.estimator_params()
    model = EquivariantMLPRegressor(**params, hidden_layer_sizes=(32,), max_epochs=30, random_state=0, backbone="emlp")
    model.fit(train.X, train.y)
    assert isinstance(model.module_, EMLP)
    prediction = model.predict(test.X)
    assert prediction.shape == test.y.shape
    baseline = np.mean((test.y - train.y.mean(0)) ** 2)
    assert np.mean((prediction - test.y) ** 2) < baseline  # it learned something
    assert_equivariant(model.predict, params["group"], test.X, layout=params["layout"], output=params["output"])


def test_emlp_backbone_is_reproducible_and_the_default_stays_the_scalar_heads():
    train = O5Synthetic(100, seed=0)

    def fit():
        params = train.estimator_params()
        model = EquivariantMLPRegressor(**params, hidden_layer_sizes=(24,), max_epochs=3, random_state=0, backbone="emlp")
        return model.fit(train.X, train.y)

    np.testing.assert_array_equal(fit().predict(train.X), fit().predict(train.X))
    assert EquivariantMLPRegressor().backbone == "scalars"
    with pytest.raises(ValueError, match="'backbone' parameter of EquivariantMLPRegressor must be a str among"):
        EquivariantMLPRegressor(**train.estimator_params(), backbone="transformer").fit(train.X, train.y)
