"""SparseHamiltonian: the springy double pendulum's Hamiltonian, recovered and integrated."""

import numpy as np
import pytest
import sympy
import torch

from scalars.bench.laws_demo import TRUE_TERMS
from scalars.dynamics import DoubleSpringPendulum, SparseHamiltonian, evaluate, pendulum_data
from scalars.groups import get_group


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fitted():
    data = pendulum_data(500, 5)  # the standard 500 training chunks
    return SparseHamiltonian().fit(data), data


def test_recovers_the_true_terms_and_coefficients(fitted):
    model, _ = fitted
    assert set(model.terms_) == set(TRUE_TERMS)
    for name, value in TRUE_TERMS.items():
        assert model.terms_[name] == pytest.approx(value, rel=1e-3)


def test_prints_the_hamiltonian(fitted):
    model, _ = fitted
    q1, q12, p1, p2, gq1, gq2 = map(sympy.Symbol, ["<q1,q1>", "<q1-q2,q1-q2>", "<p1,p1>", "<p2,p2>", "<q1,g>", "<q2,g>"])
    truth = p1 / 2 + p2 / 2 + q1 / 2 - sympy.sqrt(q1) + q12 - 2 * sympy.sqrt(q12) - gq1 - gq2
    assert sympy.simplify(model.to_sympy() - truth) == 0


def test_integrates_like_the_true_system(fitted):
    model, data = fitted
    assert evaluate(model, data)["rollout_error"] < 1e-6
    z = data.test[:, 0]
    system = DoubleSpringPendulum.emlp()
    np.testing.assert_allclose(model.vector_field(z, data.test_g), system.time_derivative(z), atol=1e-5)
    energy = model.hamiltonian(z, data.test_g) - system.hamiltonian(z)
    np.testing.assert_allclose(energy, energy[0], atol=1e-5)  # equal up to the constant


def test_hamiltonian_is_invariant(fitted):
    model, data = fitted
    R = get_group("O(3)").sample(rng=0)
    z, g = data.test[:, 0], data.test_g
    rotated = (z.reshape(-1, 4, 3) @ R.T).reshape(-1, 12)
    np.testing.assert_allclose(model.hamiltonian(rotated, g @ R.T), model.hamiltonian(z, g), rtol=1e-12, atol=1e-12)
    field = model.vector_field(torch.as_tensor(rotated), torch.as_tensor(g @ R.T)).numpy()
    np.testing.assert_allclose(field, (model.vector_field(z, g).reshape(-1, 4, 3) @ R.T).reshape(-1, 12), atol=1e-12)


def test_refuses_data_from_several_systems():
    data = pendulum_data(4, 1, variant="units", duration=2.0)
    with pytest.raises(ValueError, match="one system"):
        SparseHamiltonian().fit(data)
