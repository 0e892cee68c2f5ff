"""CARE's loss: the equivariance term vanishes exactly for orthogonal actions on the embeddings."""

import math

import pytest
import torch

from scalars.nn import care_loss


def batch(dtype=torch.float64, n=12, m=5):
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(n, m, dtype=dtype, generator=generator)
    return z, z + 0.1 * torch.randn(n, m, dtype=dtype, generator=generator), generator


@pytest.mark.parametrize("dtype, tolerance", [(torch.float32, 1e-12), (torch.float64, 1e-28)])
def test_equivariance_term_is_zero_for_orthogonal_actions(dtype, tolerance):
    z, positives, generator = batch(dtype)
    Q = torch.linalg.qr(torch.randn(5, 5, dtype=torch.float64, generator=generator))[0].to(dtype)
    assert float(care_loss(z, positives, z @ Q.T)["equivariance"]) < tolerance
    assert float(care_loss(z, positives, 3.0 * z @ Q.T)["equivariance"]) < tolerance  # scale drops on the sphere


def test_equivariance_term_is_positive_otherwise_and_weighted_in_the_total():
    z, positives, _ = batch()
    A = torch.diag(torch.tensor([1.0, 3.0, 0.5, 1.0, 2.0], dtype=torch.float64))
    terms = care_loss(z, positives, z @ A.T, strength=0.7)
    assert float(terms["equivariance"]) > 1e-3
    expected = terms["invariance"] + terms["uniformity"] + 0.7 * terms["equivariance"]
    assert float(terms["total"]) == pytest.approx(float(expected), rel=1e-14)


def test_invariance_and_uniformity_in_closed_form():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=torch.float64)
    terms = care_loss(z, z, z, temperature=1.0)
    assert float(terms["invariance"]) == 0.0
    # squared distances between the unit vectors: 2, 2 and 4, each counted twice
    assert float(terms["uniformity"]) == pytest.approx(math.log((4 * math.exp(-2) + 2 * math.exp(-4)) / 6), rel=1e-14)


def test_bad_inputs_are_named():
    z, positives, _ = batch()
    with pytest.raises(ValueError, match="strength must be a finite number >= 0, got -1"):
        care_loss(z, positives, z, strength=-1.0)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0, got 0"):
        care_loss(z, positives, z, temperature=0)
    with pytest.raises(ValueError, match="transformed must be a tensor of shape \\(12, 5\\)"):
        care_loss(z, positives, z[:3])
    with pytest.raises(ValueError, match="at least 2 samples"):
        care_loss(z[:1], positives[:1], z[:1])
