"""The integer lattice of dimensionless monomials and the solve for a target's units.

Variables with dimension matrix ``M`` (k base dimensions x n variables, integer
exponents) form a dimensionless monomial ``prod_i x_i^a_i`` exactly when ``M a = 0``.
Those ``a`` form a lattice of rank ``n - rank(M)``. Its basis comes from the Smith
normal form ``D = S M T`` (``S``, ``T`` unimodular): the columns of ``T`` past the rank
span the whole integer kernel. ``M`` is first replaced by a canonical matrix with the
same rational row space (the kernel depends on nothing else), so the order of its rows
and redundant rows do not matter. The basis is checked, LLL-reduced to small exponents,
then put in a canonical sign and order, so the answer never depends on the run.
"""

from fractions import Fraction
from math import lcm
from numbers import Integral

import numba
import numpy as np

from .exceptions import UnitsError
from .integer_matrices import lll_reduce, rank, row_space_basis, smith_normal_decomp
from scalars.monomials import default_names, monomial_name

_LLL_DELTA = (99, 100)


def integer_nullspace(M, *, isolate=(), repeating=(), variable_names=None):
    """Basis of all integer vectors ``a`` with ``M a = 0``, with small exponents.

    Parameters
    ----------
    M : array-like of int, shape (k, n)
        Dimension matrix: ``M[j, i]`` is the exponent of base dimension ``j`` in
        variable ``i``. ``k`` may be 0 (every variable dimensionless).
    isolate : sequence of int, default=()
        Variables that must each appear in at most one basis vector (a target, or a
        variable to solve for). Their vectors come first, in this order, each with
        a positive exponent on its variable.
    repeating : sequence of int, default=()
        Preferred "repeating" variables of the Buckingham pi theorem, best first.
        Repeating variables are picked greedily from this list (then from the other
        variables in order) until they span the dimensions; every other variable is
        then isolated, so each basis vector is one non-repeating variable times a
        monomial of the repeating ones (when the lattice allows it).
    variable_names : sequence of str, default=None
        Used in error messages.

    Returns
    -------
    N : ndarray of int64, shape (n, n - rank(M))
        Columns are a basis of the integer kernel: ``M N = 0`` and every integer
        ``a`` with ``M a = 0`` is ``N c`` for an integer ``c``. ``N`` depends only on
        the row space of ``M``: reordered, repeated or combined rows give the same.

    Raises
    ------
    UnitsError
        If the isolated variables, or with ``repeating`` the non-repeating ones, cannot be
        put in separate basis vectors.
    """
    rows, n = _integer_matrix(M)
    matrix = row_space_basis(rows, n), n
    isolate, repeating = _indices(isolate, n), _indices(repeating, n)
    isolated, chosen = _isolation_order(matrix, isolate, repeating)
    kernel = _smith_decomposition(matrix).kernel
    if isolated:
        basis = _isolated_basis(kernel, isolated)
        _check_isolated(basis, isolated, isolate, repeating, chosen, default_names(variable_names, "x", n))
    else:
        basis = _reduced_basis(kernel)
    return np.array(basis, dtype=np.int64).reshape(len(basis), n).T


def solve_exponents(
    M, u, *, nullspace=None, max_denominator=1, variable_names=None, dimension_names=None
):
    """Small exponents ``b`` with ``M b = u``: a monomial of the inputs with units ``u``.

    A particular solution from the Smith normal form is reduced against the kernel
    lattice (nearest plane, then greedy steps), so ``|b|`` is small.

    Parameters
    ----------
    M : array-like of int, shape (k, n)
        Dimension matrix of the inputs.
    u : array-like of int, shape (k,)
        Dimension exponents of the target over the same base dimensions.
    nullspace : array-like of int, shape (n, n - rank(M)), default=None
        Kernel basis to reduce against; :func:`integer_nullspace` of ``M`` when None.
    max_denominator : int, default=1
        Largest denominator allowed in ``b``. 1 asks for integer exponents; 2 allows
        square roots, as in a pendulum period ``sqrt(L / g)``.
    variable_names, dimension_names : sequence of str, default=None
        Used in error messages.

    Returns
    -------
    b : ndarray of shape (n,)
        int64 when every exponent is an integer, float64 otherwise.

    Raises
    ------
    UnitsError
        If no monomial of the inputs has units ``u``, naming the dimension the inputs
        lack; or if one exists only with a denominator above ``max_denominator``.
    ValueError, TypeError
        If ``max_denominator`` is not a positive integer.
    """
    _check_max_denominator(max_denominator)
    matrix = _integer_matrix(M)
    rows, n = matrix
    k = len(rows)
    target = _integer_matrix(np.reshape(u, (1, -1)))[0][0]
    if len(target) != k:
        raise ValueError(f"u has {len(target)} dimensions but M has {k}.")
    variable_names = default_names(variable_names, "x", n)
    dimension_names = default_names(dimension_names, "d", k)
    smith = _smith_decomposition(matrix)
    rotated = [_dot(row, target) for row in smith.left]
    _check_reachable(rows, target, smith, rotated, dimension_names)
    coefficients = [Fraction(rotated[i], d) for i, d in enumerate(smith.diagonal)]
    particular = [_dot(row, coefficients) for row in smith.right]
    if nullspace is None:
        nullspace = integer_nullspace(M)
    basis = np.asarray(nullspace, dtype=np.int64).T.reshape(-1, n).tolist()
    exponents = _reduce(particular, basis)
    denominator = lcm(*(e.denominator for e in exponents))
    if denominator > max_denominator:
        raise UnitsError(
            "No monomial of the inputs with integer exponents has the target's units; "
            f"the simplest has denominator {denominator}: "
            f"{monomial_name(exponents, variable_names)}. Pass "
            f"max_denominator={denominator} to allow it."
        )
    if denominator == 1:
        return np.array([int(e) for e in exponents], dtype=np.int64)
    return np.array([float(e) for e in exponents], dtype=np.float64)


def _check_max_denominator(max_denominator):
    if isinstance(max_denominator, bool) or not isinstance(max_denominator, Integral):
        raise TypeError(f"max_denominator must be a positive integer, got {max_denominator!r}")
    if max_denominator < 1:
        raise ValueError(f"max_denominator must be a positive integer, got {max_denominator!r}")


class _SmithDecomposition:
    """Rows of ``S`` (``left``) and ``T`` (``right``), with ``S M T`` = diag(``diagonal``)."""

    def __init__(self, diagonal, left, right):
        self.diagonal = diagonal
        self.left = left
        self.right = right
        self.rank = len(diagonal)

    @property
    def kernel(self):
        """Vectors spanning the integer kernel of M: the columns of T past the rank."""
        return [list(column) for column in zip(*self.right)][self.rank:]


def _smith_decomposition(matrix):
    """Checked Smith decomposition of ``matrix`` = (rows, n), retried on reversed columns.

    The algorithm (sympy's) has given non-unimodular transforms, so every answer is
    verified (``S M T`` diagonal, ``|det S| = |det T| = 1``).
    """
    rows, n = matrix
    for order in (list(range(n)), list(range(n))[::-1]):
        smith = _verified_smith(([[row[c] for c in order] for row in rows], n))
        if smith is not None:
            right = [None] * n
            for position, column in enumerate(order):
                right[column] = smith.right[position]
            return _SmithDecomposition(smith.diagonal, smith.left, right)
    raise RuntimeError(f"The Smith normal form failed its checks on {rows}")


def _verified_smith(matrix):
    """The Smith decomposition of ``matrix`` = (rows, n) if it passes its checks, else None."""
    rows, n = matrix
    k = len(rows)
    if k == 0:
        return _SmithDecomposition([], [], np.eye(n, dtype=int).tolist())
    smith = smith_normal_decomp(rows, n)
    diagonal = [d for d in smith.invariants if d]
    expected = [[0] * n for _ in range(k)]
    for i, d in enumerate(diagonal):
        expected[i][i] = d
    if smith.unimodular and smith.product == expected:
        return _SmithDecomposition(diagonal, smith.left, smith.right)
    return None


def _integer_matrix(M):
    """``M`` as (list of rows of int, number of columns), rejecting non-integer entries."""
    if hasattr(M, "tolist") and not isinstance(M, np.ndarray):  # a sympy Matrix
        M = np.array(M.tolist(), dtype=object).reshape(M.shape)
    array = np.asarray(M) if isinstance(M, np.ndarray) else np.asarray(M, dtype=object)
    if array.ndim != 2:
        raise ValueError(f"Expected a 2-D dimension matrix, got shape {array.shape}.")
    if array.dtype.kind in "iu":
        return array.tolist(), array.shape[1]
    entries = [[Fraction(x) for x in row] for row in array.tolist()]
    if any(x.denominator != 1 for row in entries for x in row):
        raise UnitsError(f"Dimension exponents must be integers, got {array.tolist()}.")
    return [[int(x) for x in row] for row in entries], array.shape[1]


def _indices(variables, n):
    indices = [int(i) for i in variables]
    if any(not 0 <= i < n for i in indices) or len(set(indices)) != len(indices):
        raise ValueError(f"Variable indices {indices} must be distinct and in [0, {n}).")
    return indices


def _isolation_order(matrix, isolate, repeating):
    """Variables to isolate, in order (``isolate``, then every non-repeating one), and the
    repeating variables: ``repeating`` completed greedily until they span the dimensions."""
    if set(isolate) & set(repeating):
        raise ValueError(f"Variables {sorted(set(isolate) & set(repeating))} are "
                         "asked to be both isolated and repeating.")
    if not repeating:
        return isolate, []
    rows, n = matrix
    full_rank = rank(rows, list(range(n)))
    chosen = []
    for i in repeating + [i for i in range(n) if i not in repeating]:
        if len(chosen) < full_rank and i not in isolate and rank(rows, chosen + [i]) > len(chosen):
            chosen.append(i)
    return isolate + [i for i in range(n) if i not in chosen + isolate], chosen


def _reduced_basis(vectors):
    """LLL-reduce, shorten pairwise, then fix sign and order canonically."""
    if not vectors:
        return []
    basis = _shorten_each(lll_reduce(vectors, _LLL_DELTA))
    return sorted((_positive_leading(v) for v in basis), key=_size_then_order)


def _isolated_basis(vectors, isolated):
    """Echelon form on the isolated columns, the rest LLL-reduced and canonical."""
    rows = [list(v) for v in vectors]
    n_pivots = 0
    for column in isolated:
        n_pivots += _eliminate(rows, n_pivots, column)
    free = _reduced_basis(rows[n_pivots:])
    pivots = [[int(a) for a in _reduce(row, free)] for row in rows[:n_pivots]]
    return pivots + free


def _check_isolated(basis, isolated, isolate, repeating, chosen, names):
    """Raise naming the isolated variables that appear in more than one basis vector.

    They are blamed on ``isolate`` if the user asked to isolate them, else on the
    repeating variables ``chosen`` (``repeating`` and those added to span the dimensions).
    """
    crowded = [i for i in isolated if sum(v[i] != 0 for v in basis) > 1]
    if not crowded:
        return
    mixed = "every basis of the integer lattice of dimensionless monomials mixes them"
    asked = [names[i] for i in crowded if i in isolate]
    if asked:
        raise UnitsError(
            f"Cannot isolate {asked} in a single dimensionless group each: {mixed}. "
            "Choose other repeating or isolated variables."
        )
    added = [names[i] for i in chosen if i not in repeating]
    completion = f" ({added} added to span the dimensions)" if added else ""
    raise UnitsError(
        f"With the repeating variables {[names[i] for i in chosen]}{completion}, not every other "
        "variable can have a dimensionless group of its own: every basis of the integer lattice "
        f"of dimensionless monomials puts {[names[i] for i in crowded]} in more than one. Choose "
        "other repeating variables."
    )


def _eliminate(rows, start, column):
    """Integer row operations making ``rows[start]`` the only pivot in ``column``.

    Rows from ``start`` on are combined (Euclid's algorithm) until one holds the gcd
    of their entries in ``column``; it moves to ``start`` with a positive pivot and
    reduces the rows above it. Returns 1 if a pivot was found, else 0.
    """
    while True:
        nonzero = [r for r in range(start, len(rows)) if rows[r][column] != 0]
        if not nonzero:
            return 0
        smallest = min(nonzero, key=lambda r: (abs(rows[r][column]), r))
        if len(nonzero) == 1:
            break
        for r in nonzero:
            if r != smallest:
                q = rows[r][column] // rows[smallest][column]
                rows[r] = [a - q * b for a, b in zip(rows[r], rows[smallest])]
    rows[start], rows[smallest] = rows[smallest], rows[start]
    if rows[start][column] < 0:
        rows[start] = [-a for a in rows[start]]
    pivot = rows[start][column]
    for r in range(start):
        q = _round_half_down(Fraction(rows[r][column], pivot))
        rows[r] = [a - q * b for a, b in zip(rows[r], rows[start])]
    return 1


def _reduce(vector, basis):
    """A short representative of ``vector`` (rational) modulo the lattice of ``basis``.

    Babai's nearest plane, then greedy steps (:func:`_shorten`) on the vector scaled
    to integers. Returns a list of Fraction.
    """
    vector = _nearest_plane(vector, basis)
    denominator = lcm(*(a.denominator for a in vector))
    scaled = _shorten([int(a * denominator) for a in vector], denominator * np.asarray(basis))
    return [Fraction(a, denominator) for a in scaled]


def _nearest_plane(vector, basis):
    """Babai's nearest-plane reduction of ``vector`` modulo the lattice of ``basis``."""
    vector = [Fraction(a) for a in vector]
    orthogonal = []
    for b in basis:
        b_star = [Fraction(a) for a in b]
        for o in orthogonal:
            mu = _dot(b, o) / _dot(o, o)
            b_star = [x - mu * y for x, y in zip(b_star, o)]
        orthogonal.append(b_star)
    for b, o in zip(reversed(basis), reversed(orthogonal)):
        q = _round_half_down(_dot(vector, o) / _dot(o, o))
        vector = [x - q * y for x, y in zip(vector, b)]
    return vector


def _shorten(vector, basis):
    """Add or subtract basis vectors while that makes ``vector`` smaller.

    Smaller means a smaller :func:`_size`; between equal sizes, the magnitudes
    compared variable by variable, so that ties go to exponents on later variables
    (pipe flow gets ``D*rho*v/mu`` rather than the equally small ``L*rho*v/mu``).
    Each step subtracts or adds the basis vector that makes ``vector`` smallest (among
    equals, subtracting before adding, then the earlier basis vector). The key
    decreases strictly at each step, so the loop ends.
    """
    vector = np.array(vector, dtype=np.int64)
    basis = np.asarray(basis, dtype=np.int64).reshape(-1, len(vector))
    _shorten_in_place(vector, basis, -1, np.empty_like(vector), np.empty_like(vector))
    return vector.tolist()


def _shorten_each(basis):
    """Shorten each basis vector by the others (:func:`_shorten`) until none changes.

    The passes run over the vectors in order; the result is a basis of the same lattice
    (each step is unimodular).
    """
    vectors = np.array(basis, dtype=np.int64).reshape(len(basis), -1)
    _shorten_rows_in_place(vectors)
    return vectors.tolist()


@numba.njit(cache=True)
def _shorten_rows_in_place(vectors):
    """:func:`_shorten_each` on an int64 array (m, n), compiled: most calls change nothing."""
    candidate, best = np.empty_like(vectors[0]), np.empty_like(vectors[0])
    changed = True
    while changed:
        changed = False
        for i in range(vectors.shape[0]):
            if _shorten_in_place(vectors[i], vectors, i, candidate, best):
                changed = True


@numba.njit(cache=True)
def _shorten_in_place(vector, basis, skip, candidate, best):
    """:func:`_shorten` of ``vector`` against the rows of ``basis`` but ``skip``; True if it changed.

    ``candidate`` and ``best`` are scratch vectors of the same length.
    """
    n = vector.shape[0]
    changed = False
    while True:
        size, total = 0, 0
        for c in range(n):
            best[c] = abs(vector[c])
            size = max(size, best[c])
            total += best[c]
        step, sign = -1, 0
        for s in (1, -1):
            for j in range(basis.shape[0]):
                if j == skip:
                    continue
                candidate_size, candidate_total = 0, 0
                for c in range(n):
                    candidate[c] = abs(vector[c] - s * basis[j, c])
                    candidate_size = max(candidate_size, candidate[c])
                    candidate_total += candidate[c]
                if _smaller(candidate, candidate_size, candidate_total, best, size, total):
                    best[:] = candidate
                    size, total, step, sign = candidate_size, candidate_total, j, s
        if step < 0:
            return changed
        for c in range(n):
            vector[c] -= sign * basis[step, c]
        changed = True


@numba.njit(cache=True)
def _smaller(a, a_size, a_total, b, b_size, b_total):
    """Whether magnitudes ``a`` come before ``b``: by largest, then sum, then in order."""
    if a_size != b_size:
        return a_size < b_size
    if a_total != b_total:
        return a_total < b_total
    for c in range(a.shape[0]):
        if a[c] != b[c]:
            return a[c] < b[c]
    return False


def _size(vector):
    """Sort key of exponent vectors: largest magnitude, then sum of magnitudes."""
    magnitudes = [abs(int(a)) for a in vector]
    return max(magnitudes, default=0), sum(magnitudes)


def _size_then_order(vector):
    """Sort key: smallest exponents first, then by earliest variable."""
    return _size(vector), [-a for a in vector]


def _positive_leading(vector):
    leading = next(a for a in vector if a != 0)
    return vector if leading > 0 else [-a for a in vector]


def _round_half_down(fraction):
    """Nearest integer to ``fraction``, ties towards minus infinity (deterministic)."""
    return -((fraction.denominator - 2 * fraction.numerator) // (2 * fraction.denominator))


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def _check_reachable(rows, target, smith, rotated, dimension_names):
    """Raise naming what the inputs lack when ``M b = u`` has no rational solution."""
    rank, k = smith.rank, len(target)
    unbalanced = [j for j in range(rank, k) if rotated[j] != 0]
    if not unbalanced:
        return
    missing = [
        dimension_names[j] for j in range(k)
        if target[j] != 0 and not any(rows[j])
    ]
    if missing:
        raise UnitsError(
            f"No input carries {' or '.join(missing)}, which the target's units need; "
            "no monomial of the inputs can have the target's units."
        )
    coefficients = list(smith.left[unbalanced[0]])
    value = int(rotated[unbalanced[0]])
    if next(c for c in coefficients if c) < 0:
        coefficients, value = [-c for c in coefficients], -value
    raise UnitsError(
        "No monomial of the inputs has the target's units: every input's dimension "
        f"exponents satisfy {_linear_combination(coefficients, dimension_names)} = 0, "
        f"the target's give {value}."
    )


def _linear_combination(coefficients, names):
    """``[length] - 2*[mass]`` from coefficients (1, -2) and names."""
    terms = []
    for c, name in zip(coefficients, names):
        if c:
            sign = "-" if c < 0 else "+"
            terms.append(f"{sign} {name}" if abs(c) == 1 else f"{sign} {abs(c)}*{name}")
    return " ".join(terms).lstrip("+ ")
