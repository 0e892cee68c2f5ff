"""SparseHamiltonian of a System: five gravitating bodies' Hamiltonian, recovered exactly."""

import numpy as np
import pytest
import sympy
import torch

from scalars.dynamics import NBodySystem, SparseHamiltonian, evaluate, sparse, trajectory_data
from scalars.groups import get_group

MASSES = [1.0, 1.5, 0.5, 2.0, 1.0]  # bodies 0 and 4 are interchangeable
TRUE_TERMS = {"sum_particles(|p_i|^2/m_i)": 0.5, "sum_pairs(m_i*m_j/s_ij)": -1.0}  # G = 1


@pytest.fixture(scope="module")
def fitted():
    system = NBodySystem(MASSES, G=1.0, softening=0.5)
    data = trajectory_data(system, 50, 2, dt=0.1, duration=2.0, seed=0)
    return SparseHamiltonian(system).fit(data), system, data


def test_the_library_sums_features_and_their_products_over_particles_and_pairs(fitted):
    model, _, _ = fitted
    names = model.feature_names_
    # particles: |p_i|^2, |p_i|^2/m_i, m_i; pairs: 3 Gram entries of q_i-q_j, p_i-p_j, the
    # length, 1/s, m_i*m_j/s, m_i*m_j, m_i+m_j; then the products of two of one term, each
    # name once (m_i*m_j times 1/s_ij is the base m_i*m_j/s_ij)
    assert model._library.n_base == 3 + 8 and len(names) == 11 + 6 + (36 - 1) == len(set(names))
    assert names[:4] == ["sum_particles(|p_i|^2)", "sum_particles(|p_i|^2/m_i)", "sum_particles(m_i)", "sum_pairs(<q_i-q_j,q_i-q_j>)"]
    assert "sum_pairs(m_i*m_j/s_ij)" in names and "sum_pairs(|q_i-q_j|*(m_i+m_j))" in names
    assert "sum_particles(|p_i|^2*m_i)" in names and "sum_pairs(<q_i-q_j,p_i-p_j>*<p_i-p_j,p_i-p_j>)" in names


def test_equal_and_constant_candidates_are_left_out_of_the_solve(fitted):
    model, system, data = fitted
    names = model.feature_names_
    chunks = torch.as_tensor(data.train)
    design, _ = model._linear_problem(chunks, [], torch.as_tensor(data.t_chunk))
    distinct = sparse._distinct_columns(design)
    # a length squared is the Gram entry; a sum of mass products moves nothing
    assert distinct[names.index("sum_pairs(<q_i-q_j,q_i-q_j>)")] and not distinct[names.index("sum_pairs(|q_i-q_j|*|q_i-q_j|)")]
    assert not distinct[names.index("sum_pairs(m_i*m_j)")] and not distinct[names.index("sum_pairs((m_i+m_j)*(m_i+m_j))")]
    assert distinct[names.index("sum_pairs(m_i*m_j/s_ij)")] and distinct[names.index("sum_particles(|p_i|^2/m_i)")]


def test_recovers_exactly_the_true_terms(fitted):
    model, _, _ = fitted
    assert set(model.terms_) == set(TRUE_TERMS)
    for name, value in TRUE_TERMS.items():
        assert model.terms_[name] == pytest.approx(value, rel=1e-3)
    # the linear residual alone would keep more: extra terms chase the quadrature's error
    floor = min(m["mse"] for m in model.path_)
    assert len(next(m["terms"] for m in model.path_ if m["mse"] <= 1.1 * floor)) > 2
    assert [len(m["terms"]) for m in model.selection_][:2] == [1, 2]
    K, U = sympy.Symbol("sum_particles(|p_i|^2/m_i)"), sympy.Symbol("sum_pairs(m_i*m_j/s_ij)")
    assert sympy.simplify(model.to_sympy() - (K / 2 - U)) == 0


def test_integrates_like_the_true_system(fitted):
    model, system, data = fitted
    assert model._library.separable(np.flatnonzero(model.coef_))  # leapfrog
    z = data.test[:, 0]
    np.testing.assert_allclose(model.vector_field(z), system.time_derivative(z), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.hamiltonian(z), system.hamiltonian(z), rtol=1e-5)
    assert evaluate(model, data)["rollout_error"] < 1e-5


def test_hamiltonian_is_exactly_e3_and_permutation_invariant(fitted):
    model, system, data = fitted
    z = data.test[:, ::7].reshape(-1, 30)
    q, p = system.split(z)
    R = get_group("O(3)").sample(rng=1)
    shift = np.random.default_rng(2).standard_normal(3)
    moved = np.concatenate([(q @ R.T + shift).reshape(len(z), -1), (p @ R.T).reshape(len(z), -1)], -1)
    H = model.hamiltonian(z)
    np.testing.assert_allclose(model.hamiltonian(moved), H, rtol=1e-12)
    field = model.vector_field(z).reshape(len(z), 2, 5, 3)
    np.testing.assert_allclose(model.vector_field(moved).reshape(len(z), 2, 5, 3), field @ R.T, atol=1e-10)
    swap = [4, 1, 2, 3, 0]  # the two bodies of mass 1
    swapped = np.concatenate([q[:, swap].reshape(len(z), -1), p[:, swap].reshape(len(z), -1)], -1)
    np.testing.assert_allclose(model.hamiltonian(swapped), H, rtol=1e-12)
    np.testing.assert_allclose(model.vector_field(swapped).reshape(len(z), 2, 5, 3), field[:, :, swap], atol=1e-10)
    assert isinstance(model.hamiltonian(torch.as_tensor(z)), torch.Tensor)


def test_refuses_a_system_without_invariant_features_and_the_wrong_states():
    from scalars.dynamics import ChargedParticleInMagneticField, pendulum_data

    data = pendulum_data(4, 1, duration=2.0)
    with pytest.raises(TypeError, match="ChargedParticleInMagneticField does not declare .* no invariant features"):
        SparseHamiltonian(ChargedParticleInMagneticField()).fit(data)
    with pytest.raises(ValueError, match=r"\(n, C >= 2, 30\)"):
        SparseHamiltonian(NBodySystem(MASSES)).fit(data)


def test_the_nbody_bench_refuses_unknown_models():
    from scalars.bench import nbody_hnn

    assert "sparse H" in nbody_hnn.MODELS
    with pytest.raises(SystemExit):
        nbody_hnn.main(["--quick", "--models", "sparse H,EGNN"])
