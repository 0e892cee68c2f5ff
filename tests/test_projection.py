"""``project_equivariant``: the group average of linear maps and the basis projection."""

import numpy as np
import pytest

from scalars.groups import get_group
from scalars.reps import T, equivariant_basis, project_equivariant, rep

CASES = [
    ("S(4)", "T1", "T1"),
    ("S(3)", "T2", "T1"),
    ("D(4)", "T1+T0", "T2"),
    ("Z(5)", "T1", "T1"),
    ("S(2)xO(2)", "T1", "T1"),
    ("O(3)", "T0+T1", "T2"),
    ("SO(3)", "T2", "T1"),
    ("O(1,3)", "T1", "T(1,1)"),
]


def reps_of(name, spec_in, spec_out):
    group = get_group(name)
    return group, rep(spec_in, group), rep(spec_out, group)


@pytest.mark.parametrize("name, spec_in, spec_out", CASES)
def test_projection_is_idempotent_and_equivariant(name, spec_in, spec_out):
    group, rep_in, rep_out = reps_of(name, spec_in, spec_out)
    W = np.random.default_rng(0).standard_normal((2, rep_out.size, rep_in.size))
    P = project_equivariant(W, rep_in, rep_out)
    assert P.shape == W.shape
    np.testing.assert_allclose(project_equivariant(P, rep_in, rep_out), P, atol=1e-10)
    for seed in range(3):
        g = group.sample(rng=seed)
        np.testing.assert_allclose(rep_out.rho(g) @ P, P @ rep_in.rho(g), atol=1e-9)


@pytest.mark.parametrize("name, spec_in, spec_out", CASES)
def test_equivariant_maps_are_fixed(name, spec_in, spec_out):
    _, rep_in, rep_out = reps_of(name, spec_in, spec_out)
    Q = equivariant_basis(rep_in, rep_out)
    coefficients = np.random.default_rng(1).standard_normal(Q.shape[1])
    W = (Q @ coefficients).reshape(rep_out.size, rep_in.size)
    np.testing.assert_allclose(project_equivariant(W, rep_in, rep_out), W, atol=1e-10)


@pytest.mark.parametrize("name, spec_in, spec_out", [case for case in CASES if get_group(case[0]).is_finite])
def test_finite_group_average_equals_basis_projection(name, spec_in, spec_out):
    _, rep_in, rep_out = reps_of(name, spec_in, spec_out)
    W = np.random.default_rng(2).standard_normal((rep_out.size, rep_in.size))
    average = project_equivariant(W, rep_in, rep_out, method="average")
    np.testing.assert_allclose(average, project_equivariant(W, rep_in, rep_out, method="basis"), atol=1e-10)


def test_permutation_projection_in_closed_form():
    # S(n) on T1 -> T1: a I + b 1 1^T, with a + b the mean diagonal and b the mean off-diagonal entry
    n = 5
    W = np.random.default_rng(3).standard_normal((n, n))
    V = T(1)(f"S({n})")
    off = (W.sum() - np.trace(W)) / (n * n - n)
    expected = (np.trace(W) / n - off) * np.eye(n) + off * np.ones((n, n))
    np.testing.assert_allclose(project_equivariant(W, V, V), expected, atol=1e-12)


def test_float32_maps_come_back_in_float64_and_exact():
    V = T(1)("S(4)")
    W = np.random.default_rng(4).standard_normal((4, 4)).astype(np.float32)
    P = project_equivariant(W, V, V)
    assert P.dtype == np.float64
    g = get_group("S(4)").sample(rng=0)
    np.testing.assert_allclose(V.rho(g) @ P, P @ V.rho(g), atol=1e-12)


def test_bad_inputs_name_the_problem():
    V3, V2 = T(1)("O(3)"), T(1)("O(2)")
    with pytest.raises(ValueError, match="rep_in .* of O\\(3\\) but rep_out .* of O\\(2\\)"):
        project_equivariant(np.zeros((2, 3)), V3, V2)
    with pytest.raises(ValueError, match="W must have shape .*\\(\\.\\.\\., 3, 3\\), got \\(3, 2\\)"):
        project_equivariant(np.zeros((3, 2)), V3, V3)
    with pytest.raises(ValueError, match="got \\(3,\\)"):
        project_equivariant(np.zeros(3), V3, V3)
    with pytest.raises(TypeError, match="rep_out must be a Rep, got str"):
        project_equivariant(np.zeros((3, 3)), V3, "T1")
    with pytest.raises(ValueError, match="method must be one of"):
        project_equivariant(np.zeros((3, 3)), V3, V3, method="haar")
    with pytest.raises(ValueError, match="method='average' needs a finite group .*O\\(3\\)"):
        project_equivariant(np.zeros((3, 3)), V3, V3, method="average")
    with pytest.raises(ValueError, match="not bound to a group"):
        project_equivariant(np.zeros((3, 3)), T(1), T(1))


@pytest.mark.parametrize("name", ["S(4)", "S(2)xS(2)"])
def test_risk_gap_matches_least_squares_simulation(name):
    from scalars.reps import risk_gap

    V = T(1)(name)
    rng = np.random.default_rng(0)
    d, n, trials, sigma2 = 4, 12, 4000, 1.0
    theta = project_equivariant(rng.standard_normal((d, d)), V, V) + 0.15 * rng.standard_normal((d, d))
    X = rng.standard_normal((trials, n, d))
    Y = X @ theta.T + np.sqrt(sigma2) * rng.standard_normal((trials, n, d))
    W = np.linalg.solve(np.swapaxes(X, 1, 2) @ X, np.swapaxes(X, 1, 2) @ Y).swapaxes(1, 2)  # (trials, k, d)
    excess = ((W - theta) ** 2).sum((1, 2)) - ((project_equivariant(W, V, V) - theta) ** 2).sum((1, 2))
    half_width = 1.96 * excess.std(ddof=1) / np.sqrt(trials)
    assert abs(excess.mean() - risk_gap(n, V, V, sigma2, target=theta)) < half_width
    assert risk_gap(n, V, V, sigma2, target=theta) < risk_gap(n, V, V, sigma2)  # the bias lowers the gain


def test_risk_gap_refuses_too_few_samples_and_negative_noise():
    from scalars.reps import risk_gap

    V = T(1)("S(3)")
    with pytest.raises(ValueError, match="n_samples must be an integer above d \\+ 1 = 4, got 4"):
        risk_gap(4, V, V, 1.0)
    with pytest.raises(ValueError, match="noise_variance must be >= 0, got -1"):
        risk_gap(10, V, V, -1.0)
