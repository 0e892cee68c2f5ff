"""scalars.dynamics.HybridPairForce: the law plus a residual that starts at zero; equivariance; bad input."""

import numpy as np
import pytest
import torch

from scalars.dynamics import HybridPairForce, LearnedPairForce, PairForceLaw
from scalars.testing import assert_equivariant


def _rows(n=6, seed=0, dtype=torch.float64):
    X = torch.as_tensor(np.random.default_rng(seed).standard_normal((n, 35)), dtype=dtype)
    X[:, :5] = torch.sign(X[:, :5])  # charges +-1
    return X


def _hybrid(dtype=torch.float64, random_residual=True):
    torch.manual_seed(0)
    law = PairForceLaw(steps=20)
    law.coefficients.copy_(torch.tensor([0.1, -0.2, 0.3, 0.05, 0.02], dtype=torch.float64))
    residual = LearnedPairForce(steps=3, hidden=(8,)).to(dtype)
    if random_residual:
        torch.nn.init.normal_(residual.pair[-1].weight, std=0.05)
    return HybridPairForce(law, residual)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_hybrid_is_s5_x_e3_equivariant_and_starts_as_the_law(dtype):
    X = _rows(dtype=dtype)
    with torch.no_grad():
        hybrid = _hybrid(dtype, random_residual=False)
        torch.testing.assert_close(hybrid(X), hybrid.law(X.double()).to(dtype))
        hybrid = _hybrid(dtype)
        assert not torch.allclose(hybrid(X), hybrid.law(X.double()).to(dtype))
        assert_equivariant(hybrid, "S(5)xE(3)", X, layout="5T0+5P+5T1", output="5P", rng=2)


def test_training_the_residual_on_its_targets_is_training_the_hybrid():
    X, y = _rows(), _rows(seed=1)[:, :15]
    hybrid = _hybrid()
    with torch.no_grad():
        torch.testing.assert_close(hybrid(X) - y, hybrid.residual(X) - hybrid.residual_targets(X, y), rtol=1e-12, atol=1e-12)
    assert list(dict(hybrid.named_parameters())) == [f"residual.{name}" for name, _ in hybrid.residual.named_parameters()]


def test_bad_parts_and_targets_are_refused():
    law = PairForceLaw(steps=2)
    with pytest.raises(TypeError, match="law must be a PairForceLaw, got LearnedPairForce"):
        HybridPairForce(LearnedPairForce())
    with pytest.raises(TypeError, match="residual must be a LearnedPairForce, got PairForceLaw"):
        HybridPairForce(law, law)
    with pytest.raises(ValueError, match="residual has 5 particles over 0.5 time units, the law 5 over 1.0"):
        HybridPairForce(law, LearnedPairForce(duration=0.5))
    with pytest.raises(ValueError, match=r"y must have shape \(6, 15\), got \(6, 14\)"):
        HybridPairForce(law).residual_targets(_rows(), _rows()[:, :14])
