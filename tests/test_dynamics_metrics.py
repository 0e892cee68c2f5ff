import numpy as np
import pytest

from scalars.dynamics import angular_momentum_error, energy_drift, relative_error, rollout_error


def test_relative_error_closed_forms():
    a = np.ones(12)
    assert relative_error(a, a) == 0
    assert relative_error(a, -a) == 1  # rms(2a) / (2 rms(a))
    assert relative_error(a, np.zeros(12)) == 1
    assert relative_error(a, 3 * a) == pytest.approx(2 / 4)


def test_rollout_error_is_the_geometric_mean_over_steps_and_trajectories():
    true = np.ones((2, 3, 12))
    pred = true * np.array([1.5, 2.0, 3.0])[None, :, None]  # rel errors 0.5/2.5, 1/3, 2/4
    pred[1] = 3.0  # second trajectory: 0.5 everywhere
    expected = np.exp(np.mean(np.log([0.2, 1 / 3, 0.5, 0.5, 0.5, 0.5])))
    assert rollout_error(pred, true) == pytest.approx(expected, rel=1e-14)


def test_rollout_error_clamps_exact_states():
    true = np.ones((1, 2, 12))
    pred = true.copy()
    pred[0, 1] *= 3  # error 0.5 at step 1, 0 at step 0 -> clamped to 1e-7
    assert rollout_error(pred, true) == pytest.approx(np.sqrt(0.5 * 1e-7))


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        rollout_error(np.ones((2, 3, 12)), np.ones((2, 4, 12)))


def test_energy_drift_and_angular_momentum_error():
    energy = np.array([[2.0, 2.0, 3.0, 1.0]])
    assert energy_drift(energy) == pytest.approx((0 + 0 + 0.5 + 0.5) / 4)
    assert angular_momentum_error([[1.0, 2.0]], [[1.0, 2.0]]) == pytest.approx(1e-7)
    assert angular_momentum_error([[1.0, 3.0]], [[1.0, 1.0]]) == pytest.approx(np.sqrt(1e-7 * 0.5))


def test_diverged_predictions_count_as_the_largest_error():
    true = np.ones((1, 3, 12))
    pred = true.copy()
    pred[0, 1, 0] = np.inf
    pred[0, 2, 0] = np.nan
    np.testing.assert_array_equal(relative_error(pred, true)[0], [0, 1, 1])
    assert rollout_error(pred, true) == pytest.approx(1e-7 ** (1 / 3))
    assert angular_momentum_error([[np.inf, 0.0]], [[1.0, 0.0]]) == pytest.approx(np.sqrt(1e-7))
