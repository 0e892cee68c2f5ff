"""scalars.dynamics.LearnedPairForce: exact S(5) x E(3) equivariance, conservation, closed forms, bad input."""

import numpy as np
import pytest
import torch

from scalars.dynamics import LearnedPairForce
from scalars.testing import assert_equivariant

LAYOUT = "5T0+5P+5T1"


def _rows(n=6, seed=0, dtype=torch.float64):
    X = torch.as_tensor(np.random.default_rng(seed).standard_normal((n, 35)), dtype=dtype)
    X[:, :5] = torch.sign(X[:, :5])  # charges +-1
    return X


def _trained_looking(seed=1, **kwargs):
    """A network whose zero-initialised output layer is replaced by random weights (a real force)."""
    torch.manual_seed(seed)
    net = LearnedPairForce(hidden=(16,), **kwargs)
    torch.nn.init.normal_(net.pair[-1].weight, std=0.05)
    torch.nn.init.normal_(net.pair[-1].bias, std=0.05)
    return net


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_network_is_s5_x_e3_equivariant_on_flat_rows(dtype):
    net = _trained_looking(steps=5).to(dtype)
    with torch.no_grad():
        assert not torch.allclose(net(_rows(dtype=dtype)), _rows(dtype=dtype)[:, 5:20] + _rows(dtype=dtype)[:, 20:35])
        assert_equivariant(net, "S(5)xE(3)", _rows(dtype=dtype), layout=LAYOUT, output="5P", rng=2)


def test_untrained_or_reset_the_particles_move_in_straight_lines():
    X = _rows()
    net = _trained_looking(steps=3).double()
    net.reset_parameters()  # what scalars.nn.fit calls before training
    with torch.no_grad():
        torch.testing.assert_close(net(X), X[:, 5:20] + X[:, 20:35], rtol=1e-14, atol=1e-14)


def test_the_pair_forces_cancel_so_the_centre_of_mass_drifts_freely():
    X = _rows()
    net = _trained_looking(steps=4).double()
    with torch.no_grad():
        centre = net(X).reshape(-1, 5, 3).mean(1)
    expected = (X[:, 5:20] + X[:, 20:35]).reshape(-1, 5, 3).mean(1)  # duration 1: centroid + mean velocity
    torch.testing.assert_close(centre, expected, rtol=1e-12, atol=1e-12)


def test_one_kick_drift_step_of_a_constant_acceleration_by_hand():
    net = LearnedPairForce(steps=1, hidden=(4,), duration=0.5, particles=2).double()
    with torch.no_grad():
        net.pair[-1].bias[-2] = 1.0  # the constant shape: a = sum_j (x_i - x_j)
    X = torch.tensor([[1.0, -1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]], dtype=torch.float64)
    # particle 0: a = (-2, 0, 0), v = (1, 0, 0) + 0.5 a = (0, 0, 0), x = (0, 0, 0); particle 1: a = (2, 0, 0), v = (1, 0, 0), x = (2.5, 0, 0)
    with torch.no_grad():
        torch.testing.assert_close(net(X), torch.tensor([[0.0, 0.0, 0.0, 2.5, 0.0, 0.0]], dtype=torch.float64))


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=0), "steps must be an int >= 1, got 0"),
    (dict(particles=1), "particles must be an int >= 2, got 1"),
    (dict(duration=0.0), "duration must be a positive number, got 0.0"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LearnedPairForce(**kwargs)


def test_bad_rows_are_named():
    with pytest.raises(ValueError, match=r"X must have shape \(n, 35\)"):
        LearnedPairForce()(torch.zeros(2, 34))
