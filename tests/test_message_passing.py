"""scalars.nn.MessagePassing: exact E(3) x S(n) equivariance, shapes and bad input."""

import numpy as np
import pytest
import torch

from scalars.nn import MessagePassing


def _inputs(batch=4, n=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    x, v = torch.randn(batch, n, 3, generator=g, dtype=torch.float64), torch.randn(batch, n, 3, generator=g, dtype=torch.float64)
    h, edges = torch.randn(batch, n, 2, generator=g, dtype=torch.float64), torch.randn(batch, n, n, 1, generator=g, dtype=torch.float64)
    return x, v, h, edges


def _net(equivariant=True):
    torch.manual_seed(0)
    net = MessagePassing(2, 1, hidden=16, layers=3, equivariant=equivariant).double()
    with torch.no_grad():  # make the coordinate updates large enough that a broken symmetry shows
        for coordinate in net.coordinate:
            coordinate[-1].weight.normal_()
    return net


def _orthogonal(determinant, seed=1):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    q = q * np.sign(np.linalg.det(q)) * determinant
    return torch.as_tensor(q)


@pytest.mark.parametrize("determinant", [1, -1])
def test_rotations_reflections_and_translations_act_on_the_output_as_on_the_positions(determinant):
    net, (x, v, h, edges) = _net(), _inputs()
    rotation, shift = _orthogonal(determinant), torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    with torch.no_grad():
        expected = net(x, v, h, edges) @ rotation + shift
        moved = net(x @ rotation + shift, v @ rotation, h, edges)
    assert (moved - expected).abs().max() < 1e-10


@pytest.mark.parametrize("equivariant", [True, False])
def test_permuting_the_particles_permutes_the_output(equivariant):
    net, (x, v, h, edges) = _net(equivariant), _inputs()
    p = torch.tensor([2, 0, 4, 1, 3])
    with torch.no_grad():
        moved = net(x[:, p], v[:, p], h[:, p], edges[:, p][:, :, p])
        assert (moved - net(x, v, h, edges)[:, p]).abs().max() < 1e-10


def test_the_frame_averaging_backbone_reads_raw_coordinates_so_it_is_not_rotation_equivariant():
    net, (x, v, h, edges) = _net(equivariant=False), _inputs()
    rotation = _orthogonal(1)
    with torch.no_grad():
        assert (net(x @ rotation, v @ rotation, h, edges) - net(x, v, h, edges) @ rotation).abs().max() > 1e-3


def test_shapes_and_an_initialisation_near_the_identity_plus_velocity_steps():
    torch.manual_seed(0)
    net = MessagePassing(2, 0, hidden=8, layers=2)
    x, v = torch.randn(7, 4, 3), torch.randn(7, 4, 3)
    out = net(x, v, torch.randn(7, 4, 2))
    assert out.shape == (7, 4, 3)
    with torch.no_grad():
        net.velocity.apply(lambda m: torch.nn.init.zeros_(m.weight) if isinstance(m, torch.nn.Linear) else None)
        for velocity in net.velocity:
            torch.nn.init.zeros_(velocity[-1].bias)
        assert (net(x, v, torch.randn(7, 4, 2)) - x).abs().max() < 1e-2  # coordinate weights start near 0


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda x, v, h, e: (x[..., :2], v, h, e), r"x must have shape \(batch, n >= 2, 3\); got \(4, 5, 2\)"),
        (lambda x, v, h, e: (x[:, :1], v[:, :1], h[:, :1], e[:, :1, :1]), "n >= 2"),
        (lambda x, v, h, e: (x, v[:, :4], h, e), r"v must have shape \(4, 5, 3\)"),
        (lambda x, v, h, e: (x, v, h[..., :1], e), r"h must have shape \(4, 5, 2\)"),
        (lambda x, v, h, e: (x, v, h, None), r"edges must have shape \(4, 5, 5, 1\).*got None"),
        (lambda x, v, h, e: (x, v, h, e[:, :, :4]), r"edges must have shape \(4, 5, 5, 1\)"),
    ],
)
def test_bad_inputs_name_the_expected_shape(change, match):
    with pytest.raises(ValueError, match=match):
        _net()(*change(*_inputs()))
