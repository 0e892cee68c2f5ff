"""The integer matrix algorithms return what sympy's return (the answers of the lattice used them)."""

from math import gcd

import numpy as np
import pytest
from sympy import QQ, ZZ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices.normalforms import smith_normal_decomp as sympy_smith

from scalars.bench.dimensional_analysis import random_dimension_matrices
from scalars.units.integer_matrices import gcdex, lll_reduce, rank, row_space_basis, smith_normal_decomp


def _domain(rows, n):
    return DomainMatrix([[ZZ(a) for a in row] for row in rows], (len(rows), n), ZZ)


def _ints(domain_matrix):
    return [[int(a) for a in row] for row in domain_matrix.to_list()]


def _matrices():
    rng = np.random.default_rng(5)
    dense = [rng.integers(-4, 5, size=(rng.integers(1, 5), rng.integers(1, 8))) for _ in range(40)]
    return [M.tolist() for M in random_dimension_matrices(60, seed=11) + dense]


@pytest.mark.parametrize("a, b", [(12, 8), (3, -7), (-5, 0), (0, 4), (0, 0), (-9, -6)])
def test_gcdex_is_bezout_with_sympys_coefficients(a, b):
    x, y, g = gcdex(a, b)
    assert x * a + y * b == g == gcd(a, b)
    assert (x, y, g) == tuple(int(c) for c in ZZ.gcdex(ZZ(a), ZZ(b)))


def test_smith_decomposition_is_sympys_and_its_product_is_exact():
    for rows in _matrices():
        n = len(rows[0])
        D, S, T = sympy_smith(_domain(rows, n))
        smith = smith_normal_decomp(rows, n)
        assert (smith.left, smith.right) == (_ints(S), _ints(T)), rows
        assert smith.invariants == tuple(int(D[i, i].element) for i in range(min(len(rows), n)))
        assert smith.product == _ints(S * _domain(rows, n) * T)
        assert smith.unimodular == (abs(S.det()) == 1 and abs(T.det()) == 1)


def test_echelon_basis_and_rank_match_sympy():
    for rows in _matrices():
        n = len(rows[0])
        echelon, _, pivots = _domain(rows, n).rref_den()
        expected = []
        for row, pivot in zip(_ints(echelon), pivots):
            content = gcd(*row) * (1 if row[pivot] > 0 else -1)
            expected.append([a // content for a in row])
        assert row_space_basis(rows, n) == expected
        assert rank(rows, list(range(n))) == len(pivots) == _domain(rows, n).convert_to(QQ).rank()


def test_lll_makes_sympys_choices():
    rng = np.random.default_rng(2)
    for _ in range(60):
        m = int(rng.integers(1, 6))
        rows = rng.integers(-20, 21, size=(m, int(rng.integers(m, 9)))).tolist()
        if np.linalg.matrix_rank(np.array(rows)) < m:
            continue
        for p, q in ((99, 100), (3, 4)):
            assert lll_reduce(rows, (p, q)) == _ints(_domain(rows, len(rows[0])).lll(delta=QQ(p, q))), rows


def test_lll_refuses_dependent_rows():
    with pytest.raises(ValueError, match="linearly dependent"):
        lll_reduce([[1, 2, 3], [2, 4, 6]])
