"""scalars.dynamics.PairForceLaw: exact S(5) x E(3) equivariance, closed forms, the fit, bad input."""

import numpy as np
import pytest
import torch

from scalars.dynamics import PairForceLaw
from scalars.testing import assert_equivariant

LAYOUT = "5T0+5P+5T1"


def _rows(n=6, seed=0, dtype=torch.float64):
    X = torch.as_tensor(np.random.default_rng(seed).standard_normal((n, 35)), dtype=dtype)
    X[:, :5] = torch.sign(X[:, :5])  # charges +-1
    return X


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_law_is_s5_x_e3_equivariant_on_flat_rows(dtype):
    law = PairForceLaw(steps=20)
    law.coefficients.copy_(torch.as_tensor(np.random.default_rng(1).standard_normal(len(law.coefficients)) / 10))
    law = law.to(dtype)
    with torch.no_grad():
        assert_equivariant(law, "S(5)xE(3)", _rows(dtype=dtype), layout=LAYOUT, output="5P", rng=2)


def test_without_a_force_the_particles_move_in_straight_lines():
    X = _rows()
    with torch.no_grad():
        torch.testing.assert_close(PairForceLaw(steps=7)(X), X[:, 5:20] + X[:, 20:35], rtol=1e-14, atol=1e-14)


def test_one_kick_drift_step_of_two_charges_matches_coulomb_by_hand():
    law = PairForceLaw(steps=1, particles=2)
    law.coefficients[2] = 0.5  # 0.5 e_i e_j / (r^2 + 0.2^2)^(3/2) (x_i - x_j)
    q = np.array([1.0, -1.0])
    x = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])  # r = 3
    v = np.array([[0.1, 0.0, 0.0], [0.0, -0.2, 0.0]])
    X = torch.as_tensor(np.concatenate([q, x.ravel(), v.ravel()]))[None]
    force = 0.5 * q[0] * q[1] / (9 + 0.04) ** 1.5 * (x[0] - x[1])
    kicked = v + np.array([force, -force])  # dt = 1
    with torch.no_grad():
        np.testing.assert_allclose(law(X).numpy()[0], (x + kicked).ravel(), rtol=1e-14)


def test_the_fit_finds_a_law_in_its_library_and_keeps_the_best_validation_iterate():
    X = _rows(60)
    X[:, 5:20] *= 3  # spread out: few close encounters, a smooth loss
    X[:, 20:] *= 0.3
    truth, law = PairForceLaw(steps=50), PairForceLaw(steps=50)
    truth.coefficients[2] = 1.0  # the Coulomb law softened at 0.2
    with torch.no_grad():
        y = truth(X)
        no_force = float(((law(X[40:]) - y[40:]) ** 2).mean())
    history = law.fit(X[:40], y[:40], X[40:], y[40:], iterations=8, progress=False)
    assert no_force > 1e-3 and min(history) < 1e-8  # from x + t v to the law
    with torch.no_grad():
        assert float(((law(X[40:]) - y[40:]) ** 2).mean()) == pytest.approx(min(history), rel=1e-9)


def test_the_law_prints_its_terms():
    sympy = pytest.importorskip("sympy")
    law = PairForceLaw(steps=1)
    law.coefficients[1] = 1.0
    r, charges = sympy.symbols("r e_i*e_j", positive=True)
    f = law.to_sympy()
    assert float(f.subs({r: 0.5, charges: -1.0})) == pytest.approx(-1 / (0.25 + 0.01) ** 1.5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=0), r"steps must be an int >= 1, got 0"),
    (dict(steps=2.5), r"steps must be an int >= 1, got 2.5"),
    (dict(particles=1), r"particles must be an int >= 2, got 1"),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PairForceLaw(**kwargs)


def test_bad_rows_and_targets_are_named():
    law, X = PairForceLaw(steps=1), _rows(4)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 35\) .* got \(4, 34\)"):
        law(X[:, :34])
    with pytest.raises(ValueError, match=r"targets of X_validation must have shape \(2, 15\), got \(2, 14\)"):
        law.fit(X[:2], X[:2, 5:20], X[2:], X[2:, 5:19], progress=False)
