"""scalars.nn.ParticleMessagePassing and Residual on flat particle rows: equivariance, closed forms, bad input."""

import numpy as np
import pytest
import torch

from scalars.nn import FrameAveraging, ParticleMessagePassing, Residual, mlp
from scalars.testing import act_on_inputs, assert_equivariant

LAYOUT = "5T0+5P+5T1"


def _rows(dtype, n=6, seed=0):
    X = torch.as_tensor(np.random.default_rng(seed).standard_normal((n, 35)), dtype=dtype)
    X[:, :5] = torch.sign(X[:, :5])
    return X


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_scalars_gnn_is_s5_x_e3_equivariant_on_flat_rows(dtype):
    torch.manual_seed(0)
    net = ParticleMessagePassing(hidden=8, layers=2).to(dtype)
    with torch.no_grad():
        assert_equivariant(net, "S(5)xE(3)", _rows(dtype), layout=LAYOUT, output="5P", rng=1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_raw_backbone_is_permutation_equivariant_and_frame_averaging_adds_e3(dtype):
    torch.manual_seed(0)
    net, X = ParticleMessagePassing(hidden=8, layers=2, equivariant=False).to(dtype), _rows(dtype)
    permutation = (np.eye(5)[:, [2, 0, 4, 1, 3]], np.eye(4))
    with torch.no_grad():
        moved = net(act_on_inputs("S(5)xE(3)", permutation, X, LAYOUT))
        torch.testing.assert_close(moved, act_on_inputs("S(5)xE(3)", permutation, net(X), "5P"))
        averaged = FrameAveraging(net, "E(3)", LAYOUT, output="5P")
        assert_equivariant(averaged, "S(5)xE(3)", X, layout=LAYOUT, output="5P", rng=1)


def test_the_raw_backbone_is_not_rotation_equivariant():
    torch.manual_seed(0)
    net = ParticleMessagePassing(hidden=8, layers=2, equivariant=False).double()
    with torch.no_grad(), pytest.raises(AssertionError, match=r"E\(3\) element 0 \(5P output\): max \|difference\|"):
        assert_equivariant(net, "E(3)", _rows(torch.float64), layout=LAYOUT, output="5P", rng=1)


def test_other_numbers_of_particles():
    net = ParticleMessagePassing(hidden=4, layers=1, particles=3)
    assert net(torch.randn(2, 21)).shape == (2, 9)


def test_bad_rows_and_particles_are_named():
    with pytest.raises(ValueError, match=r"X must have shape \(n, 35\) .* got \(2, 30\)"):
        ParticleMessagePassing(hidden=4, layers=1)(torch.randn(2, 30))
    with pytest.raises(ValueError, match=r"particles must be an int >= 2, got 1"):
        ParticleMessagePassing(particles=1)


def test_residual_adds_the_columns_to_the_network_output():
    net = mlp(35, 15, (8,))
    with torch.no_grad():
        net[-1].weight.zero_()
        net[-1].bias.fill_(0.5)
    X = _rows(torch.float32)
    residual = Residual(net, slice(5, 20))
    with torch.no_grad():
        torch.testing.assert_close(residual(X), X[:, 5:20] + 0.5, rtol=0, atol=0)
        torch.testing.assert_close(Residual(net, range(5, 20))(X), residual(X), rtol=0, atol=0)


def test_residual_needs_a_module():
    with pytest.raises(TypeError, match="net must be a torch.nn.Module, got function"):
        Residual(lambda X: X, slice(0, 1))
