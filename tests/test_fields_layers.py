"""torch layers on geometric images: exact equivariance under B(d) and translations."""

import numpy as np
import pytest
import torch

from scalars.fields import AveragePool, GeometricConv, NormGate, act
from scalars.groups import get_group
from scalars.testing import assert_equivariant


def moved(x, g, order, parity=0, shift=None):
    """``g`` (and a shift) acting on every channel of a batch of images."""
    return act(g, x, order, parity, shift)


def random_images(shape, dtype=torch.float64, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize(
    "in_order, out_order, in_parity, out_parity, dilation",
    [(0, 0, 0, 0, 1), (0, 1, 0, 0, 1), (1, 1, 0, 1, 2), (1, 0, 1, 1, 1), (2, 1, 0, 0, 1), (1, 2, 0, 0, 1)],
)
def test_geometric_conv_is_equivariant_under_every_element_of_b2_and_translations(in_order, out_order, in_parity, out_parity, dilation):
    torch.manual_seed(0)
    conv = GeometricConv(in_order, out_order, 2, 3, size=3, in_parity=in_parity, out_parity=out_parity, dilation=dilation).double()
    with torch.no_grad():
        conv.bias.normal_() if conv.bias is not None else None
    x = random_images((2, 2, 6, 6) + (2,) * in_order)
    y = conv(x)
    assert y.shape == (2, 3, 6, 6) + (2,) * out_order
    rng = np.random.default_rng(0)
    scale = y.abs().max().item()
    for g in get_group("B(2)").elements():
        shift = rng.integers(6, size=2)
        out = conv(moved(x, g, in_order, in_parity, shift))
        expected = moved(y, g, out_order, out_parity, shift)
        assert (out - expected).abs().max().item() <= 1e-10 * scale


@pytest.mark.parametrize("in_order, out_order", [(0, 1), (1, 1), (1, 2)])
def test_geometric_conv_in_3d_is_equivariant_under_elements_of_b3(in_order, out_order):
    torch.manual_seed(1)
    conv = GeometricConv(in_order, out_order, 1, 2, size=3, d=3).double()
    x = random_images((1, 1, 4, 4, 4) + (3,) * in_order, seed=1)
    y = conv(x)
    elements = get_group("B(3)").elements()
    rng = np.random.default_rng(1)
    for g in elements[rng.choice(len(elements), size=4, replace=False)]:
        shift = rng.integers(4, size=3)
        expected = moved(y, g, out_order, shift=shift)
        assert torch.allclose(conv(moved(x, g, in_order, shift=shift)), expected, rtol=0, atol=1e-10 * y.abs().max().item())


def test_float32_and_the_testing_helpers_agree_on_exact_equivariance():
    conv = GeometricConv(1, 1, 2, 2, size=3)
    rep_in, rep_out = conv.image_reps(8)
    x = random_images((3, 2, 8, 8, 2), dtype=torch.float32)
    error = assert_equivariant(conv, rep_in.group, x, layout=rep_in, output=rep_out, n_elements=4, rng=0)
    assert error <= 1e-5
    # a plain convolution of the same shape is not equivariant: the helper sees it
    plain = torch.nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular")

    def unstructured(images):
        planes = images.movedim(-1, 2).reshape(3, 4, 8, 8)
        return plain(planes).reshape(3, 2, 2, 8, 8).movedim(2, -1)

    with pytest.raises(AssertionError, match="exceeds"):
        assert_equivariant(unstructured, rep_in.group, x, layout=rep_in, output=rep_out, n_elements=4, rng=0)


def test_zero_padding_keeps_the_turns_on_an_odd_grid():
    conv = GeometricConv(0, 1, 1, 2, size=3, padding="zero").double()
    x = random_images((2, 1, 7, 7))
    y = conv(x)
    for g in get_group("B(2)").elements():
        assert torch.allclose(conv(moved(x, g, 0)), moved(y, g, 1), atol=1e-12)


def test_norm_gate_and_pooling_are_equivariant():
    gate = NormGate(order=2, channels=2)
    pool = AveragePool(2, order=1)
    tensors, vectors = random_images((2, 2, 6, 6, 2, 2)), random_images((2, 3, 8, 8, 2))
    pooled = pool(vectors)
    assert pooled.shape == (2, 3, 4, 4, 2)
    assert torch.allclose(pooled.mean((2, 3)), vectors.mean((2, 3)))  # a periodic box average keeps the mean
    rng = np.random.default_rng(2)
    for g in get_group("B(2)").elements():
        shift = rng.integers(6, size=2)
        assert torch.allclose(gate(moved(tensors, g, 2, 1, shift)), moved(gate(tensors), g, 2, 1, shift), atol=1e-12)
        assert torch.allclose(pool(moved(vectors, g, 1, shift=2 * shift)), moved(pooled, g, 1, shift=shift), atol=1e-12)


def test_bad_inputs_are_named():
    conv = GeometricConv(1, 1, 2, 2, size=3)
    with pytest.raises(ValueError, match="2 channels"):
        conv(torch.zeros(1, 3, 6, 6, 2))
    with pytest.raises(ValueError, match="grid must be square"):
        conv(torch.zeros(1, 2, 6, 5, 2))
    with pytest.raises(ValueError, match="5 axes"):
        conv(torch.zeros(1, 2, 6, 6))
    with pytest.raises(ValueError, match="NaN"):
        conv(torch.full((1, 2, 6, 6, 2), float("nan")))
    with pytest.raises(ValueError, match="positive odd integer"):
        GeometricConv(0, 0, 1, 1, size=4)
    with pytest.raises(ValueError, match="no equivariant map"):
        GeometricConv(0, 1, 1, 1, size=1)
    with pytest.raises(ValueError, match="padding must be"):
        GeometricConv(0, 0, 1, 1, size=3, padding="reflect")
    with pytest.raises(ValueError, match="not a multiple of factor 4"):
        AveragePool(4)(torch.zeros(1, 1, 6, 6))


@pytest.mark.parametrize("n, factor", [(6, 2), (6, 3), (9, 3)])
def test_pooling_commutes_with_turns_about_the_centre_on_odd_and_even_pooled_grids(n, factor):
    pool = AveragePool(factor, order=1)
    x = random_images((1, 2, n, n, 2), seed=3)
    pooled = pool(x)
    assert pooled.shape == (1, 2, n // factor, n // factor, 2)
    assert torch.allclose(pooled.mean((2, 3)), x.mean((2, 3)))
    for g in get_group("B(2)").elements():
        assert torch.allclose(pool(moved(x, g, 1, shift=[factor, 0])), moved(pooled, g, 1, shift=[1, 0]), atol=1e-12)


def test_a_c4_convolution_commutes_with_quarter_turns_but_not_with_reflections():
    torch.manual_seed(2)
    conv = GeometricConv(0, 1, 1, 1, size=3, point_group="C(4)").double()
    assert conv.filters.shape[0] == 4  # gradient-like and curl-like, on the edge ring and the corner ring
    x = random_images((1, 1, 6, 6), seed=2)
    y = conv(x)
    for g in get_group("C(4)").elements():
        assert torch.allclose(conv(moved(x, g, 0)), moved(y, g, 1), atol=1e-12)
    flip = np.diag([1, -1])
    assert not torch.allclose(conv(moved(x, flip, 0)), moved(y, flip, 1), atol=1e-3)
