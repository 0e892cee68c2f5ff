import numpy as np
import pytest
import torch
from torch import nn

from scalars.nn import BilinearReadout, Standardizer, location_scale, mlp


def _data(n=500, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, dtype=torch.float64, generator=generator)
    return torch.stack([3 + 2 * x[:, 0], x[:, 0] + 0.03 * x[:, 1], x[:, 2], torch.full((n,), 0.1)], dim=1)


def test_mlp_layers_widths_and_output_bias():
    net = mlp(5, 2, (8, 4), activation=nn.Tanh, output_bias=False)
    linears = [layer for layer in net if isinstance(layer, nn.Linear)]
    assert [(layer.in_features, layer.out_features) for layer in linears] == [(5, 8), (8, 4), (4, 2)]
    assert [type(layer) for layer in net][1::2] == [nn.Tanh, nn.Tanh]
    assert linears[-1].bias is None and linears[0].bias is not None
    assert isinstance(mlp(3, 1, ())[0], nn.Linear) and len(mlp(3, 1, ())) == 1


def test_bilinear_readout_adds_the_mean_of_products_to_the_linear_output():
    torch.manual_seed(0)
    readout = BilinearReadout(5, 2, rank=3).double()
    h = torch.randn(7, 5, dtype=torch.float64)
    left, right = readout.left.weight.reshape(2, 3, 5), readout.right.weight.reshape(2, 3, 5)
    products = torch.einsum("kri,ni,krj,nj->nk", left, h, right, h) / 3
    torch.testing.assert_close(readout(h), readout.linear(h) + products, rtol=1e-12, atol=1e-12)
    # quadratic: doubling h doubles the linear part and quadruples the products
    torch.testing.assert_close(readout(2 * h) - 2 * readout.linear(h) + readout.linear.bias, 4 * products)
    net = mlp(4, 2, (8,), bilinear=3)
    assert isinstance(net[-1], BilinearReadout) and net[-1].linear.in_features == 8
    assert net(torch.randn(6, 4)).shape == (6, 2)


def test_bilinear_readout_needs_a_positive_rank():
    with pytest.raises(ValueError, match="rank >= 1"):
        BilinearReadout(4, 2, rank=0)


def test_standardizer_centres_and_scales_and_leaves_constant_features_alone():
    x = _data()
    scaler = Standardizer(4).double().fit(x)
    standard = scaler(x)
    torch.testing.assert_close(standard.mean(0), torch.zeros(4, dtype=torch.float64), atol=1e-12, rtol=0)
    torch.testing.assert_close(standard[:, :3].std(0), torch.ones(3, dtype=torch.float64), atol=1e-12, rtol=0)
    # the constant column has only rounding noise in its spread: centred, not blown up
    assert scaler.std[3] == 1.0 and standard[:, 3].abs().max() < 1e-12
    assert not hasattr(scaler, "whitening")


def test_whitening_decorrelates_almost_collinear_features():
    x = _data()
    scaler = Standardizer(4, whiten=True).double().fit(x)
    white = scaler.whiten(x)[:, :3]
    torch.testing.assert_close(torch.cov(white.T), torch.eye(3, dtype=torch.float64), atol=1e-8, rtol=0)
    assert torch.corrcoef(scaler(x)[:, :2].T)[0, 1] > 0.99  # standardising alone keeps them collinear


def test_statistics_are_buffers_and_one_sample_is_centred_only():
    scaler = Standardizer(2, whiten=True).double().fit(torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    assert set(scaler.state_dict()) == {"mean", "std", "whitening"}
    assert scaler.std.tolist() == [1.0, 1.0] and torch.equal(scaler.whitening, torch.eye(2, dtype=torch.float64))
    assert scaler(torch.tensor([[2.0, 2.0]], dtype=torch.float64)).tolist() == [[1.0, 0.0]]


def test_location_scale_per_feature_is_the_mean_and_standard_deviation_in_either_library():
    x = _data()
    x[:, 3] = 0.5  # constant (exactly: its mean rounds to 0.5): scale 1, or with constant=None eps alone
    for correction in (0, 1):
        location, scale = location_scale(x, correction=correction)
        torch.testing.assert_close(location, x.mean(0), rtol=0, atol=0)
        expected = x.std(0, correction=correction)
        torch.testing.assert_close(scale, torch.where(expected > 1e-12, expected, 1.0), rtol=1e-14, atol=0)
        numpy_location, numpy_scale = location_scale(x.numpy(), correction=correction)
        np.testing.assert_allclose(numpy_scale, scale.numpy(), rtol=1e-14)
        np.testing.assert_array_equal(numpy_scale[:3], x.numpy().std(0, ddof=correction)[:3])
    _, kept = location_scale(x.numpy(), constant=None, eps=1e-12)
    assert kept[3] == 1e-12 and kept[0] == x.numpy().std(0)[0] + 1e-12


def test_location_scale_pooled_with_an_invariant_centre_commutes_with_rotations():
    # vectors of O(3) have no invariant direction: no shift, one rms scale, so a rotation
    # of the data rotates the standardised data; a scalar's invariant direction is itself
    generator = torch.Generator().manual_seed(1)
    vectors = torch.randn(200, 3, dtype=torch.float64, generator=generator) + torch.tensor([5.0, 0.0, 0.0])
    rotation = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=generator))[0]
    (location, scale), (_, rotated_scale) = (location_scale(v.numpy(), center=np.zeros((3, 0)), pooled=True)
                                              for v in (vectors, vectors @ rotation.T))
    np.testing.assert_array_equal(location, 0.0)
    assert scale == pytest.approx(float(vectors.pow(2).mean().sqrt()), rel=1e-14)
    assert rotated_scale == pytest.approx(scale, rel=1e-13)
    scalar = vectors[:, :1].numpy()
    assert location_scale(scalar, center=np.ones((1, 1)), pooled=True)[0] == pytest.approx(scalar.mean(), rel=1e-14)
    # a pooled mean is the mean of everything, the scale its standard deviation; zero data scale to 1
    assert location_scale(vectors, pooled=True) == (vectors.mean(), vectors.std(correction=0))
    assert location_scale(torch.zeros(5, 2), center=None, pooled=True)[1] == 1.0


def test_location_scale_rejects_an_unknown_centre():
    with pytest.raises(ValueError, match="center must be 'mean', None or an array of invariant vectors, got 'median'"):
        location_scale(np.ones((3, 2)), center="median")
