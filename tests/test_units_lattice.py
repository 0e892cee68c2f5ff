"""The integer lattice of dimensionless monomials and the solve for a target's units."""

import itertools
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sympy import QQ, ZZ, Matrix
from sympy.polys.matrices import DomainMatrix

from scalars.units import UnitsError, dimension_matrix, integer_nullspace, solve_exponents
from scalars.units import lattice


@st.composite
def dimension_matrices(draw, max_dimensions=4, max_variables=7):
    k = draw(st.integers(0, max_dimensions))
    n = draw(st.integers(1, max_variables))
    entries = st.sampled_from([0, 0, 0, 1, -1, 2, -2, 3])
    return np.array(draw(st.lists(entries, min_size=k * n, max_size=k * n))).reshape(k, n)


def _gcd_of_maximal_minors(N):
    """1 exactly when the columns of N span a saturated lattice (N has a left inverse over Z)."""
    n, m = N.shape
    minors = (int(Matrix(N[list(rows)]).det()) for rows in itertools.combinations(range(n), m))
    return math.gcd(*minors)


@settings(max_examples=60, deadline=None)
@given(dimension_matrices())
def test_nullspace_is_a_basis_of_the_whole_integer_kernel(M):
    N = integer_nullspace(M)
    n = M.shape[1]
    rank = Matrix(M).rank() if M.size else 0
    assert N.shape == (n, n - rank)
    assert not (M @ N).any()
    if N.shape[1]:
        assert np.linalg.matrix_rank(N) == N.shape[1]
        assert _gcd_of_maximal_minors(N) == 1


@settings(max_examples=30, deadline=None)
@given(dimension_matrices())
def test_nullspace_is_canonical(M):
    N = integer_nullspace(M)
    assert np.array_equal(N, integer_nullspace(M.copy()))
    for column in N.T:
        assert column[np.flatnonzero(column)[0]] > 0


def _nullspace_or_error(M, **options):
    try:
        return integer_nullspace(M, **options).tolist()
    except UnitsError as error:
        return str(error)


@st.composite
def nullspace_options(draw, n):
    """No options, or one repeating variable, or one isolated variable."""
    variable = st.lists(st.integers(0, n - 1), min_size=1, max_size=1)
    return draw(st.one_of(
        st.just({}), st.fixed_dictionaries({"repeating": variable}),
        st.fixed_dictionaries({"isolate": variable}),
    ))


@settings(max_examples=60, deadline=None)
@given(dimension_matrices(), st.data())
def test_nullspace_ignores_row_order_and_repeated_rows(M, data):
    k, n = M.shape
    options = data.draw(nullspace_options(n))
    order = data.draw(st.permutations(range(k)))
    repeated = data.draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=3)) if k else []
    same_rows = M[list(order) + repeated]
    assert _nullspace_or_error(same_rows, **options) == _nullspace_or_error(M, **options)


@settings(max_examples=60, deadline=None)
@given(dimension_matrices(), st.data())
def test_nullspace_depends_only_on_the_rational_row_space(M, data):
    k, n = M.shape
    extra = data.draw(st.integers(0, 2))
    entries = st.lists(st.integers(-3, 3), min_size=(k + extra) * k, max_size=(k + extra) * k)
    A = np.array(data.draw(entries), dtype=np.int64).reshape(k + extra, k)
    assume(k == 0 or np.linalg.matrix_rank(A) == k)  # then A M has the row space of M
    options = data.draw(nullspace_options(n))
    assert _nullspace_or_error(A @ M, **options) == _nullspace_or_error(M, **options)


def test_a_repeated_row_does_not_change_the_nullspace():
    M = np.array([[-1, -1, -1, 2]])
    expected = [[1, 0, -1, 0], [0, 1, -1, 0], [1, 0, 1, 1]]
    assert integer_nullspace(M).T.tolist() == integer_nullspace(np.vstack([M, M])).T.tolist()
    assert integer_nullspace(M).T.tolist() == expected


@settings(max_examples=40, deadline=None)
@given(dimension_matrices(), st.data())
def test_solve_exponents_hits_any_reachable_target(M, data):
    n = M.shape[1]
    x = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)))
    b = solve_exponents(M, M @ x)
    assert b.dtype == np.int64
    assert np.array_equal(M @ b, M @ x)
    size = (np.abs(b).max(initial=0), np.abs(b).sum())
    for step in np.concatenate([integer_nullspace(M).T, -integer_nullspace(M).T]):
        assert (np.abs(b - step).max(initial=0), np.abs(b - step).sum()) >= size


@settings(max_examples=40, deadline=None)
@given(dimension_matrices(max_variables=6), st.data())
def test_isolated_variables_appear_in_at_most_one_group(M, data):
    variable = data.draw(st.integers(0, M.shape[1] - 1))
    N = integer_nullspace(M, isolate=[variable])
    assert np.count_nonzero(N[variable]) <= 1
    assert not (M @ N).any()
    assert N.shape == integer_nullspace(M).shape
    if N.shape[1]:
        assert _gcd_of_maximal_minors(N) == 1


def test_same_answer_under_every_hash_seed():
    script = (
        "import numpy as np; from scalars.units import integer_nullspace;"
        "rng = np.random.default_rng(1);"
        "Ms = [rng.choice([0, 0, 1, -1, 2], size=(4, 9)) for _ in range(20)];"
        "print([integer_nullspace(M).tolist() for M in Ms])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        ).stdout
        for seed in ("0", "12345")
    }
    assert len(outputs) == 1


REDUCED = [  # (M, largest exponent of its reduced basis); without the LLL step these get 2, 3
    ([[-1, 3, 0, 0, 2, 0, -2, 0]], 1),
    ([[0, -2, -1, 1, 0, 3, 1, 0], [1, -1, 0, 0, -2, 1, 1, 0], [3, 2, 3, 0, 0, 3, -2, 3]], 2),
]


@pytest.mark.parametrize("M, largest", REDUCED)
def test_the_basis_has_the_smallest_exponents_of_a_reduced_basis(M, largest):
    assert np.abs(integer_nullspace(M)).max() == largest


def test_a_single_dimension_gives_groups_of_exponents_one():  # without the LLL step: [1, 0, -2, 1, 0]
    assert integer_nullspace([[1, -3, -1, -3, 4]]).T.tolist() == [
        [1, 0, 1, 0, 0], [0, 1, 0, -1, 0], [0, 0, 1, 1, 1], [1, 1, -1, 1, 1],
    ]


def _lll(N):
    """An LLL-reduced basis (delta 0.99, columns) of the lattice spanned by the columns of ``N``."""
    rows = [[ZZ(int(a)) for a in column] for column in N.T]
    reduced = DomainMatrix(rows, (len(rows), len(rows[0])), ZZ).lll(delta=QQ(99, 100))
    return np.array(reduced.to_list(), dtype=np.int64).T


def test_the_basis_of_random_lattices_is_no_larger_than_their_lll_reduction():
    """Measured on these 300 matrices: the largest exponent never exceeds that of an LLL-reduced basis
    of the same lattice (it did on 4 of the 255 lattices of rank >= 2 without the LLL step)."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        k = rng.integers(1, 5)
        M = rng.choice([0, 0, 0, 1, -1, 2, -2, 3], size=(k, rng.integers(k + 1, 9)))
        N = integer_nullspace(M)
        if N.shape[1] >= 2:
            assert np.abs(N).max() <= np.abs(_lll(N)).max(), M.tolist()


PIPE_FLOW = ["Pa", "m", "m", "kg/m^3", "Pa*s", "m/s"]  # p, L, D, rho, mu, v


def test_pipe_flow_gives_the_reynolds_number():
    M, _ = dimension_matrix(PIPE_FLOW)
    N = integer_nullspace(M)
    assert N.shape == (6, 3)
    reynolds = np.array([0, 0, 1, 1, -1, 1])
    assert any(np.array_equal(column, reynolds) for column in N.T)


def test_repeating_variables_give_the_textbook_groups():
    M, _ = dimension_matrix(PIPE_FLOW)
    N = integer_nullspace(M, repeating=[3, 5, 2])  # rho, v, D
    assert N.T.tolist() == [
        [1, 0, 0, -1, 0, -2],  # Euler number p / (rho v^2)
        [0, 1, -1, 0, 0, 0],  # L / D
        [0, 0, -1, -1, 1, -1],  # 1 / Reynolds
    ]


def test_pendulum_period_group():
    M, _ = dimension_matrix(["s", "m", "m/s^2", "kg"])  # T, L, g, m
    assert integer_nullspace(M).T.tolist() == [[2, -1, 1, 0]]  # g T^2 / L


def test_planck_with_h_has_one_group_and_reaches_spectral_radiance():
    units = ["Hz", "K", "m/s", "J/K", "J*s"]  # nu, T, c, k_B, h
    M, dimensions = dimension_matrix([*units, "W/m^2/Hz"])
    N = integer_nullspace(M[:, :-1])
    assert N.T.tolist() == [[1, -1, 0, -1, 1]]  # h nu / (k_B T)
    b = solve_exponents(M[:, :-1], M[:, -1])
    assert np.array_equal(M[:, :-1] @ b, M[:, -1])
    assert np.abs(b).max() <= 2


def test_black_body_without_k_and_h_names_the_missing_dimension():
    M, dimensions = dimension_matrix(["Hz", "K", "m/s", "W/m^2/Hz"])
    with pytest.raises(UnitsError, match=r"No input carries \[mass\]"):
        solve_exponents(M[:, :-1], M[:, -1], dimension_names=dimensions)


def test_unbalanced_dimensions_are_named():
    with pytest.raises(
        UnitsError, match=r"satisfy \[length\] - \[mass\] = 0, the target's give 1"
    ):
        solve_exponents([[1], [1]], [1, 0], dimension_names=["[length]", "[mass]"])


def test_fractional_target_needs_permission():
    M, _ = dimension_matrix(["m", "m/s^2"])
    with pytest.raises(UnitsError, match=r"L\^\(1/2\)\*g\^\(-1/2\).*max_denominator=2"):
        solve_exponents(M, [0, 1], variable_names=["L", "g"])
    assert solve_exponents(M, [0, 1], max_denominator=2).tolist() == [0.5, -0.5]


@pytest.mark.parametrize("max_denominator", [0, -3, 2.5, None])
def test_max_denominator_is_validated(max_denominator):
    M, _ = dimension_matrix(["m", "m/s^2"])
    with pytest.raises((ValueError, TypeError), match="max_denominator must be a positive integer"):
        solve_exponents(M, [0, 1], max_denominator=max_denominator)
    assert solve_exponents(M, [0, 1], max_denominator=np.int64(2)).tolist() == [0.5, -0.5]


def test_repeating_variables_completed_to_span_the_dimensions_are_named():
    message = (r"repeating variables \['d', 'c'\] \(\['c'\] added to span the dimensions\), "
               r"not every other variable.* \['b'\] in more than one")
    with pytest.raises(UnitsError, match=message):
        integer_nullspace([[-2, 1, 1, 0], [0, 0, 0, 1]], repeating=[3], variable_names=["c", "a", "b", "d"])


def test_rejects_non_integer_dimension_matrix():
    with pytest.raises(UnitsError, match="integers"):
        integer_nullspace([[0.5, 1.0]])


def test_mixed_isolated_variables_are_refused():
    with pytest.raises(UnitsError, match=r"Cannot isolate \['b'\]"):
        integer_nullspace([[1, 1, -2]], isolate=[0, 1], variable_names=["a", "b", "c"])


def test_falls_back_when_sympy_smith_form_fails_its_checks(monkeypatch):
    calls = []

    def unimodular_only_on_retry(matrix):
        calls.append(matrix)
        return None if len(calls) == 1 else original(matrix)

    original = lattice._verified_smith
    monkeypatch.setattr(lattice, "_verified_smith", unimodular_only_on_retry)
    M, _ = dimension_matrix(PIPE_FLOW)
    N = integer_nullspace(M)
    assert len(calls) == 2 and not (M @ N).any() and N.shape == (6, 3)


def test_names_may_be_numpy_arrays():
    with pytest.raises(UnitsError, match=r"Cannot isolate \['b'\]"):
        integer_nullspace([[1, 1, -2]], isolate=[0, 1], variable_names=np.array(["a", "b", "c"]))
    with pytest.raises(UnitsError, match=r"\[length\] - \[mass\] = 0"):
        solve_exponents([[1], [1]], [1, 0], dimension_names=np.array(["[length]", "[mass]"]))
    with pytest.raises(UnitsError, match=r"L\^\(1/2\)\*g\^\(-1/2\)"):
        solve_exponents([[1, 1], [0, -2]], [0, 1], variable_names=np.array(["L", "g"]))
