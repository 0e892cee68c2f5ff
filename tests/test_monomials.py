"""Monomials: exponents (known counts and orders), values (exact products; stable
evaluation with signs, huge and tiny magnitudes, clear errors), names, and the old paths."""

import subprocess
import sys
from math import comb
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalars.exceptions import UnitsError
from scalars.monomials import (
    evaluate_monomials,
    exponents,
    monomial_name,
    monomial_names,
    monomials,
    signed_exponents,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("n, degree", [(1, 3), (3, 2), (5, 3)])
def test_exponents_are_every_monomial_of_each_degree_once(n, degree):
    powers = exponents(n, range(degree + 1))
    assert len(powers) == comb(n + degree, degree)  # monomials of degree <= d in n variables
    assert len({tuple(row) for row in powers}) == len(powers)
    assert powers.sum(1).tolist() == sorted(powers.sum(1).tolist())
    assert powers.dtype.kind == "i" and powers.shape[1] == n


def test_exponents_of_no_degree_have_the_right_width():
    assert exponents(4, []).shape == (0, 4)


@pytest.mark.parametrize("n", [1, 2, 6])
def test_signed_exponents_count_and_order(n):
    powers = signed_exponents(n, 2)
    assert len(powers) == 1 + 2 * n + 4 * comb(n, 2)
    assert not powers[0].any() and set(np.unique(powers)) <= {-1, 0, 1}
    assert np.abs(powers).sum(1).tolist() == sorted(np.abs(powers).sum(1).tolist())
    assert len({tuple(row) for row in powers}) == len(powers)
    assert signed_exponents(n, 1).tolist() == powers[: 1 + 2 * n].tolist()


def test_integer_monomials_agree_with_stable_evaluation_in_numpy_and_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    variables = rng.normal(size=(4, 3, 5))  # (batch, variable, item)
    powers = exponents(3, [1, 2, 3])
    values = monomials(variables, powers)
    flat = np.swapaxes(variables, 1, 2).reshape(-1, 3)
    expected = np.swapaxes(evaluate_monomials(flat, powers).reshape(4, 5, -1), 1, 2)
    np.testing.assert_allclose(values, expected, rtol=1e-13)
    np.testing.assert_allclose(monomials(torch.tensor(variables), powers).numpy(), values, rtol=1e-14)


def test_names_of_rows():
    assert monomial_names(exponents(2, [1, 2]), ["a", "b"]) == ["a", "b", "a^2", "a*b", "b^2"]
    assert monomial_names([[1, 2, -1]], ["k1", "L1", "m1"]) == ["k1*L1^2*m1^-1"]


def test_the_module_is_light():
    code = (
        "import sys, scalars.monomials; "
        "print([m for m in ('sympy', 'pint', 'torch') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"


def test_the_old_paths_are_the_same_objects():
    import scalars.monomials as home
    import scalars.units as units
    from scalars.units import exceptions, monomials as units_monomials

    assert units.evaluate_monomials is home.evaluate_monomials is units_monomials.evaluate_monomials
    assert units.monomial_name is home.monomial_name is units_monomials.monomial_name
    assert units.UnitsError is exceptions.UnitsError is UnitsError


def test_huge_and_tiny_magnitudes_cancel_exactly():
    X = np.array([[1e200, 1e200, 1e-200, 1e-300]])
    powers = np.array([[2, -2, 0, 0], [1, 0, 1, 0], [0, 0, -1, 1], [3, 0, 0, 1]])
    values = evaluate_monomials(X, powers)
    np.testing.assert_allclose(values, [[1.0, 1.0, 1e-100, 1e300]], rtol=1e-14)


def test_a_monomial_beyond_float64_is_an_error_naming_it():
    X = np.array([[1.0, 1.0], [1e300, 1e-300]])
    with pytest.raises(ValueError, match=r"monomial a\^2\*b\^-1 overflows float64 at row 1: it is about 1e\+900"):
        evaluate_monomials(X, np.array([[1, 1], [2, -1]]), variable_names=["a", "b"])


def test_a_monomial_below_the_normal_floats_warns_and_underflows_to_zero_or_subnormal():
    X = np.array([[1e300, 1e-300], [1.0, 1e-160]])
    with pytest.warns(RuntimeWarning, match=r"monomial b\^2 underflows float64 at row 0: it is about 1e-600"):
        values = evaluate_monomials(X, np.array([[1, 1], [0, 2]]), variable_names=["a", "b"])
    np.testing.assert_allclose(values[0], [1.0, 0.0], rtol=1e-15)
    assert 0 < values[1, 1] < np.finfo(float).tiny


def test_signs_follow_integer_powers():
    X = np.array([[-2.0, -3.0, 5.0]])
    values = evaluate_monomials(X, np.array([[1, 0, 0], [2, 0, 0], [1, -1, 1], [0, 3, 0]]))
    np.testing.assert_allclose(values, [[-2.0, 4.0, 10.0 / 3.0, -27.0]], rtol=1e-15)


def test_fractional_powers_of_positive_values():
    np.testing.assert_allclose(evaluate_monomials([[4.0, 9.0]], [0.5, -0.5]), [2.0 / 3.0])


def test_zero_to_a_positive_power_is_zero():
    assert evaluate_monomials([[0.0, 2.0]], [[1, -1], [0, 1]]).tolist() == [[0.0, 2.0]]


@pytest.mark.parametrize(
    "X, powers, message",
    [
        ([[1.0, 0.0]], [1, -1], "'b' is zero but has a negative power"),
        ([[1.0, 2.0], [-4.0, 1.0]], [0.5, 1], r"'a' is negative .* non-integer .*row 1\)"),
    ],
)
def test_undefined_values_are_named(X, powers, message):
    with pytest.raises(UnitsError, match=message):
        evaluate_monomials(X, powers, variable_names=["a", "b"])


def test_rejects_nan_and_shape_mismatch():
    with pytest.raises(ValueError, match="NaN"):
        evaluate_monomials([[np.nan, 1.0]], [1, 1])
    with pytest.raises(ValueError, match=r"shape \(1, 2\).*shape \(1, 3\)"):
        evaluate_monomials([[1.0, 1.0]], [[1, 1, 1]])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(1e-100, 1e100) | st.floats(-1e100, -1e-100), min_size=3, max_size=3),
    st.lists(st.integers(-1, 1), min_size=3, max_size=3),
)
def test_agrees_with_exact_products(values, powers):
    exact = mpmath.fprod([mpmath.mpf(x) ** p for x, p in zip(values, powers)])
    np.testing.assert_allclose(evaluate_monomials([values], powers), [float(exact)], rtol=1e-14)


def test_names_read_like_the_mathematics():
    assert monomial_name([-1, 1, 1], ["R", "alpha", "k1"]) == "R^-1*alpha*k1"
    assert monomial_name([0.5, 0, -0.5], ["L", "m", "g"]) == "L^(1/2)*g^(-1/2)"
    assert monomial_name([0, 0], ["a", "b"]) == "1"


def test_variable_names_may_be_a_numpy_array():
    with pytest.raises(UnitsError, match="Variable 'b' is zero"):
        evaluate_monomials([[1.0, 0.0]], [[1, -1]], variable_names=np.array(["a", "b"]))
