"""Exact integer matrix algorithms on lists of Python ints: echelon form, Smith form, LLL.

The dimension matrices of dimensional analysis are small (a few rows, a few dozen
columns, exponents of a few units), so plain Python integers beat a general matrix
type: no rational arithmetic, no object per entry, no matrix products. Every function
takes and returns lists of rows (lists of ``int``) and never rounds.

:func:`~scalars.units.integer_matrices.smith_normal_decomp` and
:func:`~scalars.units.integer_matrices.lll_reduce` make the same decisions, step by step,
as ``sympy.polys.matrices.normalforms.smith_normal_decomp`` and ``DomainMatrix.lll``
(sympy 1.14, Python integers), so they return the same matrices; the LLL is fraction-free
(the integral LLL of Cohen, *A Course in Computational Algebraic Number Theory*,
Algorithm 2.6.7).
"""

from math import gcd

__all__ = ["SmithDecomposition", "gcdex", "lll_reduce", "rank", "row_space_basis", "smith_normal_decomp"]


def gcdex(a, b):
    """``(x, y, g)`` with ``x*a + y*b = g = gcd(a, b) >= 0``: the extended Euclidean algorithm.

    The same ``x`` and ``y`` as ``sympy.polys.domains.ZZ.gcdex`` with Python integers.
    """
    if not a or not b:
        g = abs(a) or abs(b)
        return (a // g, b // g, g) if g else (0, 0, 0)
    x_sign, a = (-1, -a) if a < 0 else (1, a)
    y_sign, b = (-1, -b) if b < 0 else (1, b)
    x, r, y, s = 1, 0, 0, 1
    while b:
        q, c = divmod(a, b)
        a, b = b, c
        x, r = r, x - q * r
        y, s = s, y - q * s
    return x * x_sign, y * y_sign, a


def _echelon(rows, n):
    """Fraction-free Gauss-Jordan elimination; returns (primitive rows, pivot columns)."""
    rows = [list(row) for row in rows if any(row)]
    pivots = []
    for column in range(n):
        top = len(pivots)
        found = next((r for r in range(top, len(rows)) if rows[r][column]), None)
        if found is None:
            continue
        rows[top], rows[found] = rows[found], rows[top]
        pivot_row = rows[top]
        p = pivot_row[column]
        for r, row in enumerate(rows):
            if r != top and row[column]:
                f = row[column]
                row = [p * a - f * b for a, b in zip(row, pivot_row)]
                content = gcd(*row) or 1
                rows[r] = [a // content for a in row]
        pivots.append(column)
        if len(pivots) == len(rows):
            break
    return rows[:len(pivots)], pivots


def row_space_basis(rows, n):
    """Canonical integer basis of the rational row space of ``rows`` (each of length ``n``).

    The rows of the reduced row echelon form, each scaled to primitive integers with a
    positive pivot: they depend only on the row space.
    """
    echelon, pivots = _echelon(rows, n)
    basis = []
    for row, pivot in zip(echelon, pivots):
        content = gcd(*row) * (1 if row[pivot] > 0 else -1)
        basis.append([a // content for a in row])
    return basis


def rank(rows, columns):
    """Rank of the submatrix of ``rows`` made of ``columns`` (a list of column indices)."""
    return len(_echelon([[row[c] for c in columns] for row in rows], len(columns))[1])


class SmithDecomposition:
    """What ``smith_normal_decomp`` found: ``S M T`` should be diag(``invariants``).

    Attributes
    ----------
    invariants : tuple of int, length min(k, n)
        The diagonal the algorithm claims.
    left : list of list of int, shape (k, k)
        Rows of ``S``.
    right : list of list of int, shape (n, n)
        Rows of ``T``.
    product : list of list of int, shape (k, n)
        ``S M T``, exactly (``M`` transformed by the same row and column operations).
    unimodular : bool
        Whether ``|det S| = |det T| = 1`` (the product of the operations' determinants).
    """

    def __init__(self, invariants, left, right, product, unimodular):
        self.invariants = invariants
        self.left = left
        self.right = right
        self.product = product
        self.unimodular = unimodular


class _Transform:
    """``M`` with the row operations recorded in ``S`` and the column operations in ``T``."""

    def __init__(self, rows, n):
        k = len(rows)
        self.m = [list(row) for row in rows]
        self.s = [[int(i == j) for j in range(k)] for i in range(k)]
        self.t = [[int(i == j) for j in range(n)] for i in range(n)]
        self.det = 1  # product of |det| of the operations

    def rows(self, i, j, a, b, c, d):
        """Rows i, j <- (a row_i + b row_j, c row_i + d row_j), in ``M`` and ``S``."""
        for matrix in (self.m, self.s):
            ri, rj = matrix[i], matrix[j]
            matrix[i] = [a * x + b * y for x, y in zip(ri, rj)]
            matrix[j] = [c * x + d * y for x, y in zip(ri, rj)]
        self.det *= abs(a * d - b * c)

    def columns(self, i, j, a, b, c, d):
        """Columns i, j <- (a col_i + b col_j, c col_i + d col_j), in ``M`` and ``T``."""
        for matrix in (self.m, self.t):
            for row in matrix:
                x, y = row[i], row[j]
                row[i], row[j] = a * x + b * y, c * x + d * y
        self.det *= abs(a * d - b * c)

    def swap_rows(self, i, j):
        for matrix in (self.m, self.s):
            matrix[i], matrix[j] = matrix[j], matrix[i]

    def swap_columns(self, i, j):
        for matrix in (self.m, self.t):
            for row in matrix:
                row[i], row[j] = row[j], row[i]

    def rotate(self, start):
        """Move row ``start`` of ``M`` and ``S``, and column ``start`` of ``M`` and ``T``, to the end."""
        if len(self.s) - start > 1:
            for matrix in (self.m, self.s):
                matrix[start:] = matrix[start + 1:] + [matrix[start]]
        if len(self.t) - start > 1:
            for matrix in (self.m, self.t):
                for row in matrix:
                    row[start:] = row[start + 1:] + [row[start]]


def smith_normal_decomp(rows, n):
    """Smith decomposition of the integer matrix ``rows`` (k rows of length ``n``).

    Step for step sympy's algorithm: at each diagonal position, move a nonzero entry to
    the corner, clear its row and column by extended-gcd operations, recurse on the
    rest, then fix the divisibility of neighbouring invariants. Sympy multiplies the
    transforms of the recursion; here every operation is applied once, in place, to
    ``M``, ``S`` and ``T`` (the same integers, fewer operations).

    Returns
    -------
    SmithDecomposition
    """
    k = len(rows)
    transform = _Transform(rows, n)
    corners = []
    for start in range(min(k, n)):
        corners.append(_clear_corner(transform, start, k, n))
        if start + 1 == k or start + 1 == n:
            break
    invariants = ()
    for start in reversed(range(len(corners))):
        invariants = _fix_divisibility(transform, start, corners[start], invariants)
    return SmithDecomposition(invariants, transform.s, transform.t, transform.m, transform.det == 1)


def _clear_corner(transform, start, k, n):
    """Make row and column ``start`` of ``M`` zero past the corner; return the corner (>= 0)."""
    m = transform.m
    below = [i for i in range(start, k) if m[i][start]]
    if below and below[0] != start:
        transform.swap_rows(start, below[0])
    else:
        right = [j for j in range(start, n) if m[start][j]]
        if right and right[0] != start:
            transform.swap_columns(start, right[0])
    while (any(m[start][j] for j in range(start + 1, n))
           or any(m[i][start] for i in range(start + 1, k))):
        _clear(transform.rows, [row[start] for row in m], start, k)
        _clear(transform.columns, m[start], start, n)
    if m[start][start] < 0:
        m[start][start] = -m[start][start]
        transform.s[start] = [-a for a in transform.s[start]]
    return m[start][start]


def _clear(operation, line, start, end):
    """Zero ``line[start + 1:end]`` (a column of ``M`` by row operations, or a row by column ones)."""
    pivot = line[start]
    for j in range(start + 1, end):
        entry = line[j]
        if not entry:
            continue
        d, r = divmod(entry, pivot)
        if not r:
            operation(start, j, 1, 0, -d, 1)
        else:
            a, b, g = gcdex(pivot, entry)
            operation(start, j, a, b, entry // g, -(pivot // g))
            pivot = g


def _fix_divisibility(transform, start, corner, invariants):
    """The invariants from ``start`` on: ``corner`` then ``invariants``, each dividing the next."""
    if not corner:
        transform.rotate(start)
        return invariants + (0,)
    result = [corner, *invariants]
    for i in range(len(result) - 1):
        a, b = result[i], result[i + 1]
        if not b or not b % a:
            break
        x, y, d = gcdex(a, b)
        alpha, beta = a // d, b // d
        p, q = start + i, start + i + 1
        transform.rows(p, q, 1, 0, x, 1)
        transform.columns(p, q, 1, y, 0, 1)
        transform.rows(p, q, 1, -alpha, 0, 1)
        transform.columns(p, q, 1, 0, -beta, 1)
        transform.rows(p, q, 0, 1, -1, 0)
        result[i + 1] = b * alpha
        result[i] = d
    return tuple(result)


def lll_reduce(rows, delta=(99, 100)):
    """LLL-reduce the linearly independent integer ``rows`` with parameter ``delta`` = p / q.

    Fraction-free: the Gram-Schmidt data are kept as the integers ``d[i]`` (Gram
    determinants of the first ``i`` rows) and ``lam[i][j] = d[j + 1] mu[i][j]``, so every
    test (size reduction, Lovasz condition) is the exact rational test of the textbook
    algorithm, in the same order as sympy's ``DomainMatrix.lll``.

    Raises
    ------
    ValueError
        If the rows are linearly dependent.
    """
    p, q = delta
    b = [list(row) for row in rows]
    m = len(b)
    d, lam = _gram_schmidt(b)
    k = 1
    while k < m:
        _size_reduce(b, d, lam, k, k - 1)
        if q * (d[k + 1] * d[k - 1] + lam[k][k - 1] ** 2) >= p * d[k] ** 2:
            for j in range(k - 2, -1, -1):
                _size_reduce(b, d, lam, k, j)
            k += 1
        else:
            _swap(b, d, lam, k)
            k = max(k - 1, 1)
    return b


def _gram_schmidt(b):
    m = len(b)
    d = [1] * (m + 1)
    lam = [[0] * m for _ in range(m)]
    for i in range(m):
        for j in range(i + 1):
            u = sum(x * y for x, y in zip(b[i], b[j]))
            for h in range(j):
                u = (d[h + 1] * u - lam[i][h] * lam[j][h]) // d[h]
            if j < i:
                lam[i][j] = u
            elif u == 0:
                raise ValueError("lll_reduce: the rows are linearly dependent")
            else:
                d[i + 1] = u
    return d, lam


def _size_reduce(b, d, lam, k, j):
    """Subtract the nearest integer multiple of row ``j`` from row ``k`` if |mu| > 1/2."""
    dj = d[j + 1]
    if 2 * abs(lam[k][j]) <= dj:
        return
    r = (2 * lam[k][j] + dj) // (2 * dj)  # floor(mu + 1/2)
    b[k] = [x - r * y for x, y in zip(b[k], b[j])]
    lam_k, lam_j = lam[k], lam[j]
    for h in range(j):
        lam_k[h] -= r * lam_j[h]
    lam_k[j] -= r * dj


def _swap(b, d, lam, k):
    """Exchange rows ``k - 1`` and ``k`` and update the Gram-Schmidt integers."""
    b[k], b[k - 1] = b[k - 1], b[k]
    for j in range(k - 1):
        lam[k][j], lam[k - 1][j] = lam[k - 1][j], lam[k][j]
    nu = lam[k][k - 1]
    new = (d[k - 1] * d[k + 1] + nu * nu) // d[k]
    for i in range(k + 1, len(b)):
        t = lam[i][k]
        lam[i][k] = (d[k + 1] * lam[i][k - 1] - nu * t) // d[k]
        lam[i][k - 1] = (new * t + nu * lam[i][k]) // d[k + 1]
    d[k] = new
