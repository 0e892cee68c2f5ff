"""Outer products, contractions, upsampling, mixed features and the geometric ResNet and U-net:
exact equivariance under every element of B(2) with random translations, float32 and float64."""

import numpy as np
import pytest
import torch

from scalars.fields import (AveragePool, GeometricResNet, GeometricUNet, MixedConv, Upsample, act, contract,
                            outer_product)
from scalars.fields.mixed import mixed_products, product_types
from scalars.groups import get_group

ELEMENTS = get_group("B(2)").elements()
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-11}


def images(shape, dtype=torch.float64, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def assert_commutes(f, x, in_type, out_type, shifts, dtype, stretch=1):
    """``f(g x) = g f(x)`` for every ``g`` of ``B(2)``, each with a translation ``t`` drawn from ``shifts``
    (by ``stretch * t`` on the output's grid)."""
    y = f(x)
    scale = y.abs().max().item()
    assert scale > 0
    rng = np.random.default_rng(0)
    for g in ELEMENTS:
        shift = rng.choice(shifts, size=2)
        error = (f(act(g, x, *in_type, shift=shift)) - act(g, y, *out_type, shift=stretch * shift)).abs().max().item()
        assert error <= TOLERANCE[dtype] * scale, (g.tolist(), shift, error)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_outer_products_and_contractions_are_equivariant_with_parities_adding(dtype):
    u, w = images((2, 3, 6, 6, 2), dtype), images((2, 3, 6, 6, 2, 2), dtype, seed=1)
    assert_commutes(lambda u: outer_product(u, w.new_ones(()) * u, 1, 1), u, (1, 0), (2, 0), np.arange(6), dtype)
    square = lambda x: contract(outer_product(x, x, 2, 2), 4, axes=(1, 2))  # the matrix product W W
    assert_commutes(square, w, (2, 1), (2, 0), np.arange(6), dtype)
    assert torch.allclose(square(w), w @ w)
    uu = outer_product(u, u, 1, 1)
    assert uu.shape == (2, 3, 6, 6, 2, 2) and torch.allclose(contract(uu, 2), (u * u).sum(-1))
    assert outer_product(u[:, :1], w, 1, 2).shape == (2, 3, 6, 6, 2, 2, 2)  # channels broadcast


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("factor, mode, order", [(2, "linear", 1), (3, "linear", 0), (3, "nearest", 2)])
def test_upsampling_commutes_with_turns_and_with_translations_by_multiples_of_the_factor(dtype, factor, mode, order):
    m = 4
    x = images((2, 2, m, m) + (2,) * order, dtype)
    up = Upsample(factor, order=order, mode=mode)
    assert up(x).shape == (2, 2, factor * m, factor * m) + (2,) * order
    assert_commutes(up, x, (order, 1), (order, 1), np.arange(m), dtype, stretch=factor)
    if mode == "linear":  # pooling the upsampled image keeps the mean; nearest copies the coarse pixels back
        assert torch.allclose(AveragePool(factor, order=order)(up(x)).mean((2, 3)), x.mean((2, 3)), atol=1e-6)
    else:
        assert torch.equal(up(x)[:, :, factor * m // 2, factor * m // 2], x[:, :, m // 2, m // 2])


def test_translations_not_multiples_of_the_factor_break_pool_and_upsample():
    x = images((1, 1, 8, 8))
    for layer in [AveragePool(2), Upsample(2)]:
        assert not torch.allclose(layer(act(np.eye(2), x, 0, shift=[1, 0])), act(np.eye(2), layer(x), 0, shift=[1, 0]))


def test_mixed_convolution_reaches_every_type_it_can_and_products_have_their_types():
    conv = MixedConv({(0, 0): 2}, {(0, 0): 1, (0, 1): 3, (1, 0): 2}, size=3).double()
    out = conv({(0, 0): images((1, 2, 6, 6))})
    assert sorted(out) == [(0, 0), (0, 1), (1, 0)]
    assert out[(0, 1)].abs().max() == 0  # no 3 x 3 pseudo-scalar filter: bias only, and a pseudo-scalar has none
    assert out[(1, 0)].shape == (1, 2, 6, 6, 2) and out[(1, 0)].abs().max() > 0
    types = {(0, 0): 2, (1, 1): 3}
    assert product_types(types) == {(0, 0): 2, (1, 1): 2, (2, 0): 3}
    products = mixed_products({key: images((1, c, 4, 4) + (2,) * key[0]) for key, c in types.items()})
    assert {key: x.shape[1] for key, x in products.items()} == product_types(types)


def test_mixed_convolution_shares_the_initial_variance_of_an_output_among_the_types_reaching_it():
    from scalars.fields import GeometricConv

    conv = MixedConv({(0, 0): 2, (1, 0): 2}, {(0, 0): 3}, size=3)  # the scalars come from scalars and vectors
    alone = GeometricConv(0, 0, 2, 3, 3)
    torch.manual_seed(0), conv.reset_parameters()
    torch.manual_seed(0), alone.reset_parameters()
    assert len(conv.convs) == 2
    assert torch.allclose(conv.convs["T0p0T0p0"].weight, alone.weight / np.sqrt(2))
    plain = MixedConv({(0, 0): 2, (1, 0): 2}, {(0, 0): 3}, size=3, equivariant=False)
    before = plain.weight.detach().clone()
    plain.reset_parameters()
    assert not torch.equal(plain.weight, before) and plain.bias.abs().max() == 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_geometric_resnet_is_equivariant_under_b2_and_every_translation(dtype):
    torch.manual_seed(0)
    model = GeometricResNet(1, 0, in_parity=0, out_parity=1, channels=2, blocks=1).to(dtype)  # vectors -> pseudo-scalars
    assert_commutes(model, images((2, 1, 6, 6, 2), dtype), (1, 0), (0, 1), np.arange(6), dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_geometric_unet_is_equivariant_under_b2_and_translations_by_multiples_of_four(dtype):
    torch.manual_seed(0)
    model = GeometricUNet(0, 0, in_parity=1, out_parity=1, channels=1, levels=2).to(dtype)  # vorticity -> vorticity
    x = images((2, 1, 8, 8), dtype)
    assert_commutes(model, x, (0, 1), (0, 1), np.array([0, 4]), dtype)
    shifted = model(act(np.eye(2), x, 0, 1, shift=[1, 0]))
    assert not torch.allclose(shifted, act(np.eye(2), model(x), 0, 1, shift=[1, 0]), atol=1e-3)


def test_the_plain_twin_has_the_shapes_but_not_the_symmetry():
    torch.manual_seed(0)
    model = GeometricUNet(0, 0, in_parity=1, out_parity=1, channels=1, levels=1, equivariant=False).double()
    x = images((1, 1, 8, 8))
    turn = np.array([[0, -1], [1, 0]])
    assert not torch.allclose(model(act(turn, x, 0, 1)), act(turn, model(x), 0, 1), atol=1e-3)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="odd factor"):
        Upsample(2, mode="nearest")
    with pytest.raises(ValueError, match="mode must be"):
        Upsample(2, mode="cubic")
    with pytest.raises(ValueError, match="factor must be"):
        Upsample(0)
    with pytest.raises(ValueError, match="order >= 2"):
        contract(images((4, 4, 2)), 1)
    with pytest.raises(ValueError, match="axes must be"):
        contract(images((4, 4, 2, 2)), 2, axes=(0, 0))
    with pytest.raises(ValueError, match="same grid"):
        outer_product(images((4, 4, 2)), images((5, 5, 2)), 1, 1)
    with pytest.raises(ValueError, match="multiple of factor\\*\\*levels = 4"):
        GeometricUNet(levels=2, channels=1)(images((1, 1, 6, 6), torch.float32))
    with pytest.raises(ValueError, match="channels must be a positive integer"):
        GeometricResNet(channels=0)
    with pytest.raises(ValueError, match="parity must be"):
        GeometricResNet(in_parity=2)
    with pytest.raises(ValueError, match="input images need 1 channels"):
        GeometricResNet(channels=1)(images((1, 2, 4, 4), torch.float32))
    with pytest.raises(ValueError, match="takes features of types"):
        MixedConv({(0, 0): 1}, {(1, 0): 1}, 3)({(1, 0): images((1, 1, 4, 4, 2))})
    with pytest.raises(ValueError, match="keys must be"):
        MixedConv({0: 1}, {(1, 0): 1}, 3)
