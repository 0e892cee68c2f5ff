"""Laws instead of fits: equivariant models printed as sympy expressions, and sparse ones.

An :class:`~scalars.estimators.EquivariantRegressor` with its default polynomial basis
predicts ``y = sum_k f_k(z) B_k`` with each ``f_k`` a polynomial in the invariants ``z``
and ``B_k`` the equivariant basis of the output. :func:`to_sympy` writes that model down:
the invariants become symbols named as :class:`~scalars.InvariantFeatures` names them
(``<q,p>``, ``det(a,b,c)``), the coefficients become exact rationals where that leaves the
predictions alone, and a vector or tensor output becomes a sympy Matrix in the named
input vectors. :class:`SparseEquivariantRegressor` fits the same equivariant design with
few terms (sequentially thresholded least squares, the threshold chosen by an information
criterion) and, given the units of its inputs and target, only with terms of the target's
dimension, so that every law it prints is dimensionally consistent.

sympy is imported only when an expression is built.
"""

from numbers import Integral, Real

import numpy as np
from scipy import linalg, optimize
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from scalars._expansion import EquivariantExpansion
from scalars.estimators import EquivariantRegressor, _ridge_solve
from scalars.groups import Euclidean, SpecialOrthogonal, Unitary
from scalars.invariants import pair_indices, subset_indices
from scalars.monomials import evaluate_monomials, exponents
from scalars.preprocessing import InvariantFeatures
from scalars.units import UnitsError, column_units, dimension_matrix, integer_nullspace, solve_exponents

__all__ = ["to_sympy", "SparseEquivariantRegressor", "stlsq", "sparse_path", "rationalize", "gram_substitutions"]

# A fit whose mean squared residual is below this fraction of the mean squared target is
# exact to rounding: information criteria do not tell such fits apart by their residual.
_EXACT = 1e-13


# -- writing a fitted model down ------------------------------------------------------------
def to_sympy(estimator, names=None, tolerance=1e-8, max_denominator=100, explicit=True):
    """A fitted equivariant polynomial model as a sympy expression.

    Parameters
    ----------
    estimator : EquivariantRegressor or SparseEquivariantRegressor, fitted
        With a monomial basis: ``basis=None`` (polynomials of degree ``degree``).
    names : sequence of str, default=None
        Names of the layout's slots in order, as in :class:`~scalars.InvariantFeatures`;
        default ``s0, s1, ...`` for the scalars and ``v0, v1, ...`` for the vectors.
    tolerance : float, default=1e-8
        Each coefficient becomes the rational of smallest denominator (at most
        ``max_denominator``) that changes its term by at most ``tolerance`` times the
        largest term, both measured by their root mean square over the training data;
        terms smaller than that are dropped. A coefficient with no such rational stays a
        float.
    max_denominator : int, default=100
        Largest denominator of a rounded coefficient.
    explicit : bool, default=True
        Write vector and tensor outputs as explicit sympy Matrices in the components of
        the input vectors (``q[0, 0]``, the entries of ``MatrixSymbol("q", d, 1)``). If
        False, keep each equivariant basis element as a matrix symbol named as the group
        names it (``q``, ``sym(q,p)``, ``cross(a,b)``, ``I``), which reads like the law.

    Returns
    -------
    law : sympy expression, Matrix, or list of them
        One output slot: a sympy scalar for ``"T0"``, a (d, 1) Matrix for ``"T1"``, a
        (d, d) Matrix for ``"T2"``; a per-particle slot (``"5T1"``) gives a list with one
        per particle; several slots (``"T0+T1"``) a list over the slots. The invariants
        are symbols named exactly as ``InvariantFeatures(group, layout,
        names=names).get_feature_names_out()`` names them (with ``particles=k``, for the
        group without the permutations: the invariants of all the vectors), so a scalar
        law evaluated on those columns reproduces ``predict``. A centred point ``q`` of
        E(d) is ``q-c`` in names and ``q - mean of the points`` when explicit.

    Raises
    ------
    ValueError
        If the basis is not a monomial one, or ``explicit`` is asked for a group whose
        equivariant basis this function cannot write out.
    """
    import sympy

    check_is_fitted(estimator, ["coef_", "design_rms_"])
    for basis in estimator.bases_:
        if not hasattr(basis, "powers_"):
            raise ValueError(
                f"to_sympy needs a monomial basis (basis=None), got {type(basis).__name__}: "
                "its functions have no closed form here"
            )
    structure = _Structure(estimator.expansion_, names)
    coefficients = rationalize(estimator.coef_, estimator.design_rms_, tolerance, max_denominator)
    invariants = [sympy.Symbol(name) for name in structure.invariant_names]
    bases = {kind: structure.symbolic_basis(kind, explicit) for kind in structure.kinds}
    expansion = estimator.expansion_
    # terms[slot][owner][element]: the scalar terms of the coefficient of one basis element
    terms = [
        [[[] for _ in bases[slot.kind]] for _ in range(expansion.particles if slot.per_particle else 1)]
        for slot in expansion.outputs
    ]
    for index, (block, slot_index, p, k) in enumerate(_columns(estimator, structure)):
        if coefficients[index] == 0:
            continue
        powers = [_exact(a) for a in estimator.bases_[block].powers_[p]]
        per_particle = expansion.outputs[slot_index].per_particle
        for term in range(structure.n_terms[block]):
            columns, signs = structure.invariant_maps[block][term]
            monomial = sympy.Mul(*(
                (int(sign) * invariants[column]) ** power
                for column, sign, power in zip(columns, signs, powers) if power != 0
            ))
            element, sign = structure.basis_maps[block][slot_index][term][k]
            owner = structure.owner(block, term) if per_particle else 0
            terms[slot_index][owner][element].append(int(sign) * coefficients[index] * monomial)
    outputs = []
    for slot, per_owner in zip(expansion.outputs, terms):
        laws = [_combine([sympy.Add(*parts) for parts in elements], bases[slot.kind], slot.kind, explicit) for elements in per_owner]
        outputs.append(laws if slot.per_particle else laws[0])
    return outputs[0] if len(outputs) == 1 else outputs


def _combine(coefficients, basis, kind, explicit):
    """``sum_k coefficients[k] * basis[k]``, leaving out zero coefficients."""
    import sympy

    pairs = [(c, b) for c, b in zip(coefficients, basis) if c != 0]
    if kind == "T0":
        return sympy.Add(*(c * b for c, b in pairs))
    if explicit:
        total = sympy.zeros(*basis[0].shape)
        for c, b in pairs:
            total += c * b
        return total
    if not pairs:
        return sympy.ZeroMatrix(*basis[0].shape)
    return sympy.MatAdd(*(sympy.MatMul(c, b) for c, b in pairs))


def _exact(power):
    """An exponent as a sympy integer or rational."""
    import sympy
    from fractions import Fraction

    fraction = Fraction(float(power)).limit_denominator(1000)
    return sympy.Rational(fraction.numerator, fraction.denominator)


def _columns(estimator, structure):
    """(block, slot, basis function p, basis element k) of each design column, in order."""
    columns = []
    for block, basis in enumerate(estimator.bases_):
        for slot_index in range(len(estimator.expansion_.outputs)):
            n_elements = structure.n_elements[block][slot_index]
            columns += [(block, slot_index, p, k) for p in range(len(basis.powers_)) for k in range(n_elements)]
    return columns


def rationalize(coef, scale, tolerance=1e-8, max_denominator=100):
    """Coefficients as sympy rationals where that changes their terms by little.

    Parameters
    ----------
    coef : ndarray of shape (n,)
    scale : ndarray of shape (n,)
        Size (root mean square) of the term each coefficient multiplies.
    tolerance : float
        Largest change of a term, relative to the largest term ``max |coef| * scale``.
    max_denominator : int

    Returns
    -------
    list of sympy numbers, length n
        Zero for a term smaller than ``tolerance`` times the largest, the rational of
        smallest denominator within reach otherwise, else a sympy Float.
    """
    import sympy

    coef, scale = np.asarray(coef, dtype=float), np.asarray(scale, dtype=float)
    sizes = np.abs(coef) * scale
    largest = sizes.max(initial=0.0)
    out = []
    for c, size, s in zip(coef, sizes, scale):
        if size <= tolerance * largest or c == 0:
            out.append(sympy.Integer(0))
            continue
        reach = tolerance * largest / s
        for q in range(1, max_denominator + 1):
            p = round(c * q)
            if abs(p / q - c) <= reach:
                out.append(sympy.Rational(p, q))
                break
        else:
            out.append(sympy.Float(c))
    return out


class _Structure:
    """How the terms of an expansion's blocks read in the global invariants and bases.

    Every invariant of a term (one particle, or an ordered pair, with the global slots) is
    one invariant of all the vectors up to sign, and every basis element of a term one
    global basis element up to sign; both maps are read off numerically at random inputs,
    so they hold for any group whose invariants are polynomials of the vectors.
    """

    def __init__(self, expansion, names=None):
        self.expansion, self.names = expansion, names
        base, layout = expansion.base, expansion.layout
        probe = _probe(expansion)
        features = InvariantFeatures(group=base, layout=layout, names=names).fit(probe)
        self.invariant_names = list(features.get_feature_names_out())
        self.kinds = sorted({slot.kind for slot in expansion.outputs})
        whole = EquivariantExpansion(base, layout, "+".join(self.kinds))
        (global_invariants, global_bases), = whole.blocks(probe)
        global_invariants = global_invariants[:, 0]
        self._global_bases = {kind: basis[:, 0] for kind, basis in zip(self.kinds, global_bases)}
        scalar_names, vector_names = _slot_names(layout, names)
        if isinstance(base, Euclidean):
            vector_names = [f"{name}-c" if point else name for name, point in zip(vector_names, layout.is_point)]
        self.vector_names = vector_names
        self.basis_names = {
            "T0": ["1"],
            "T1": list(expansion.linear.vector_basis_names(vector_names)) if vector_names else [],
            "T2": list(expansion.linear.tensor_basis_names(vector_names)) if vector_names else [],
        }
        self.invariant_maps, self.basis_maps, self.n_terms, self.n_elements = [], [], [], []
        for invariants, bases in expansion.blocks(probe):
            n_terms = invariants.shape[1]
            self.n_terms.append(n_terms)
            self.invariant_maps.append([_signed_match(invariants[:, t], global_invariants, "invariant") for t in range(n_terms)])
            maps, sizes = [], []
            for slot, basis in zip(expansion.outputs, bases):
                reference = self._global_bases[slot.kind]
                flat = reference.reshape(len(reference), reference.shape[1], -1)
                term_maps = []
                for t in range(n_terms):
                    columns = basis[:, t].reshape(len(basis), basis.shape[2], -1)
                    index, sign = _signed_match(columns, flat, "basis element")
                    term_maps.append(list(zip(index, sign)))
                maps.append(term_maps)
                sizes.append(basis.shape[2])
            self.basis_maps.append(maps)
            self.n_elements.append(sizes)
        self._probe = probe

    def owner(self, block, term):
        """Particle whose per-particle output a term contributes to."""
        if block == 0:
            return term
        return term // (self.expansion.particles - 1)  # ordered pairs (i, j), i first

    def symbolic_basis(self, kind, explicit):
        """The global basis elements of one output kind as sympy objects."""
        import sympy

        d = self.expansion.base.d
        if kind == "T0":
            return [sympy.Integer(1)]
        if not explicit:
            shape = (d, 1) if kind == "T1" else (d, d)
            identity = {"I": sympy.Identity(d)}
            return [identity.get(name, sympy.MatrixSymbol(name, *shape)) for name in self.basis_names[kind]]
        vectors = self._explicit_vectors()
        basis = _explicit_vector_basis(self.expansion.linear, vectors)
        if kind == "T2":
            rows, cols = pair_indices(len(basis))
            basis = [(basis[i] * basis[j].T + basis[j] * basis[i].T) / 2 for i, j in zip(rows, cols)]
            fixed = self.expansion.linear.invariant_tensor
            if fixed is not None:
                basis.append(sympy.Matrix(d, d, [sympy.nsimplify(x) for x in np.ravel(fixed)]))
        self._check_explicit(kind, basis)
        return basis

    def _explicit_vectors(self):
        import sympy

        base, layout = self.expansion.base, self.expansion.layout
        _, names = _slot_names(layout, self.names)
        vectors = [sympy.MatrixSymbol(name, base.d, 1).as_explicit() for name in names]
        points = layout.is_point
        if isinstance(base, Euclidean) and points.any():
            centroid = sum((v for v, point in zip(vectors, points) if point), sympy.zeros(base.d, 1)) / int(points.sum())
            vectors = [v - centroid if point else v for v, point in zip(vectors, points)]
        return vectors

    def _check_explicit(self, kind, basis):
        """The explicit basis must equal the group's own at the probe inputs."""
        import sympy

        base, layout = self.expansion.base, self.expansion.layout
        _, vector_columns = layout.column_indices(base.n_columns)
        _, names = _slot_names(layout, self.names)
        row = self._probe[0]
        values = {}
        for name, columns in zip(names, vector_columns):
            vector = base.vectors_from_columns(row[columns][None])[0]
            symbol = sympy.MatrixSymbol(name, base.d, 1)
            values.update({symbol[i, 0]: complex(vector[i]) if base.is_complex else float(vector[i]) for i in range(base.d)})
        reference = self._global_bases[kind][0]
        if len(basis) == len(reference):
            computed = np.array([np.array(element.xreplace(values).evalf(), dtype=complex) for element in basis])
            if np.allclose(computed.reshape(reference.shape), reference, rtol=1e-9, atol=1e-9):
                return
        raise ValueError(
            f"to_sympy(explicit=True) cannot write the equivariant basis of {base.name} out; "
            "pass explicit=False to keep its elements as named matrix symbols"
        )


def _explicit_vector_basis(linear, vectors):
    """The vector basis of the classical groups in sympy: the vectors, then the cross
    products of SO(d) or the ``i v`` of U(d)."""
    import sympy

    basis = list(vectors)
    if isinstance(linear, SpecialOrthogonal):
        d = linear.d
        for subset in subset_indices(len(vectors), d - 1):
            rows = sympy.Matrix.hstack(*(vectors[i] for i in subset)).T  # (d-1, d)
            basis.append(sympy.Matrix([(-1) ** (d - 1 + k) * rows[:, [c for c in range(d) if c != k]].det() for k in range(d)]))
    if isinstance(linear, Unitary):
        basis += [sympy.I * v for v in vectors]
    return basis


def _slot_names(layout, names):
    """Names of the scalar slots and of the vector slots."""
    if names is None:
        return layout.names()
    ranks = np.asarray(layout.ranks)
    names = [str(name) for name in names]
    return [n for n, r in zip(names, ranks) if r == 0], [n for n, r in zip(names, ranks) if r == 1]


def _probe(expansion, n=6, seed=0):
    """Random flat inputs: positive scalars, normal vector components."""
    rng = np.random.default_rng(seed)
    scalar_columns, _ = expansion.layout.column_indices(expansion.base.n_columns)
    X = rng.standard_normal((n, expansion.n_features))
    X[:, scalar_columns] = rng.uniform(0.5, 2.0, (n, len(scalar_columns)))
    return X


def _signed_match(values, reference, what):
    """For each item of ``values`` (n, a, ...) the item of ``reference`` (n, b, ...) it
    equals up to sign: indices (a,) and signs (a,)."""
    values = values.reshape(values.shape[0], values.shape[1], -1)
    reference = reference.reshape(reference.shape[0], reference.shape[1], -1)
    size = max(np.abs(reference).max(), 1.0)
    distances = [np.abs(values[:, :, None] - sign * reference[:, None]).max(axis=(0, 3)) for sign in (1, -1)]
    distance = np.minimum(*distances)
    index = distance.argmin(axis=1)
    if np.any(distance[np.arange(len(index)), index] > 1e-9 * size):
        raise ValueError(f"a term's {what} is not one of those of all the vectors: this group is not supported")
    sign = np.where(distances[0][np.arange(len(index)), index] <= distances[1][np.arange(len(index)), index], 1, -1)
    return index, sign


# -- sparse fits ----------------------------------------------------------------------------
def stlsq(gram, moment, threshold, candidates=None, alpha=1e-10, max_iter=100, start=None):
    """Sequentially thresholded least squares on the normal equations of a linear model.

    Columns are scaled to unit root mean square; starting from all candidates, the least
    squares coefficients are computed, those below ``threshold`` times the largest are
    dropped, and the rest refitted until none is dropped (Brunton et al. 2016). Two
    things differ from the textbook loop. A column that equals an earlier one up to
    scale is left out from the start. And where the kept columns are exactly dependent,
    so that many coefficient vectors give the same predictions, the one with the least
    sum of scaled magnitudes is taken (a small linear program), which is also the
    sparsest in every case of physics met here (``<q1,q1>/2 + <q1-q2,q1-q2>`` rather
    than its expansion in ``<q1,q2>`` and ``<q2,q2>``).

    Parameters
    ----------
    gram : ndarray of shape (P, P)
        ``D^T D / n`` for the design ``D``.
    moment : ndarray of shape (P,)
        ``D^T y / n``.
    threshold : float
        Smallest kept scaled coefficient, relative to the largest; 0 keeps all.
    candidates : ndarray of bool, shape (P,), default=None
        Columns allowed in the model; all when None.
    alpha : float
        Ridge penalty on the scaled coefficients, relative to the mean squared target.
    max_iter : int
    start : ndarray of shape (P,), default=None
        The result with ``threshold=0`` for the same candidates, to start from: a path
        over thresholds then does the largest fit once.

    Returns
    -------
    coef : ndarray of shape (P,)
    """
    scale = np.sqrt(np.clip(np.diag(gram), 0.0, None))
    active = _distinct_columns(gram, scale) if candidates is None else candidates & _distinct_columns(gram, scale)
    safe = np.where(scale > 0, scale, 1.0)
    scaled_gram, scaled_moment = gram / np.outer(safe, safe), moment / safe
    coef = None if start is None else start * safe
    for _ in range(max_iter):
        index = np.flatnonzero(active)
        if coef is None:
            coef = np.zeros(len(moment))
            if len(index):
                coef[index] = _sparsest(scaled_gram[np.ix_(index, index)], scaled_moment[index], alpha)
        if not len(index):
            break
        small = active & (np.abs(coef) < threshold * np.abs(coef).max())
        small |= active & (coef == 0)
        if not small.any():
            break
        active &= ~small
        coef = None
    return (0.0 if coef is None else coef) / safe


def _distinct_columns(gram, scale):
    """Columns with nonzero size that are not an earlier column up to scale."""
    keep = scale > 0
    safe = np.where(keep, scale, 1.0)
    correlation = np.abs(gram / np.outer(safe, safe))
    for j in np.flatnonzero(keep):
        earlier = np.flatnonzero(keep[:j])
        if len(earlier) and correlation[earlier, j].max() > 1 - 1e-12:
            keep[j] = False
    return keep


def _sparsest(gram, moment, alpha):
    """Least squares coefficients of unit-scaled columns; among exactly equivalent ones the
    least in L1 norm, refitted on their support."""
    coef = _ridge_solve(gram, moment, alpha)
    eigenvalues, eigenvectors = linalg.eigh(gram)
    null = eigenvectors[:, eigenvalues <= 1e-10 * max(eigenvalues.max(), 1e-300)]
    if not null.shape[1]:
        return coef
    n, r = null.shape
    # minimise sum(t) over (w, t) subject to -t <= coef + null w <= t
    cost = np.concatenate([np.zeros(r), np.ones(n)])
    bounds = [(None, None)] * r + [(0, None)] * n
    upper = np.block([[null, -np.eye(n)], [-null, -np.eye(n)]])
    solution = optimize.linprog(cost, A_ub=upper, b_ub=np.concatenate([-coef, coef]), bounds=bounds, method="highs")
    if not solution.success:
        return coef
    sparse = coef + null @ solution.x[:r]
    support = np.abs(sparse) > 1e-9 * np.abs(sparse).max()
    refit = np.zeros(n)
    refit[support] = _ridge_solve(gram[np.ix_(support, support)], moment[support], alpha)
    return refit


def sparse_path(gram, moment, yy, n_observations, candidates=None, thresholds=None, alpha=1e-10):
    """:func:`stlsq` over a grid of thresholds, each distinct model scored by BIC.

    Parameters
    ----------
    gram, moment, candidates, alpha
        As for :func:`stlsq`.
    yy : float
        ``y^T y / n``, so that the mean squared residual is
        ``yy - 2 coef . moment + coef . gram . coef``.
    n_observations : int
        Number of target values (samples times output columns).
    thresholds : sequence of float, default=None
        Default: 30 values from 1e-6 to 0.9, evenly spaced in log.

    Returns
    -------
    list of dict
        One per distinct support, sparsest first: ``threshold``, ``coef``, ``mse`` and
        ``bic = n log(max(mse, floor)) + k log(n)``, with ``k`` the number of terms and
        the floor ``1e-13 yy`` below which residuals are rounding.
    """
    thresholds = np.geomspace(1e-6, 0.9, 30) if thresholds is None else np.asarray(thresholds, dtype=float)
    models = {}
    start = stlsq(gram, moment, 0.0, candidates, alpha)
    for threshold in sorted(thresholds, reverse=True):
        coef = stlsq(gram, moment, threshold, candidates, alpha, start=start)
        support = tuple(np.flatnonzero(coef))
        if support in models:
            continue
        mse = float(yy - 2 * coef @ moment + coef @ gram @ coef)
        bic = n_observations * np.log(max(mse, _EXACT * yy, 1e-300)) + len(support) * np.log(n_observations)
        models[support] = dict(threshold=float(threshold), coef=coef, mse=mse, bic=float(bic))
    return sorted(models.values(), key=lambda model: np.count_nonzero(model["coef"]))


class _MonomialBasis(TransformerMixin, BaseEstimator):
    """Monomials ``prod_i z_i^powers[p, i]`` of the columns, integer or fractional powers."""

    def __init__(self, powers):
        self.powers = powers

    def fit(self, X, y=None):
        self.powers_ = np.asarray(self.powers, dtype=float).reshape(-1, X.shape[1])
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return evaluate_monomials(X, self.powers_)


class SparseEquivariantRegressor(EquivariantRegressor):
    """A law with few terms: sparse regression on the equivariant polynomial basis.

    The model is that of :class:`~scalars.estimators.EquivariantRegressor`,
    ``y = sum_k f_k(z) B_k`` with ``f_k`` polynomials in the invariants ``z``, but fitted
    by sequentially thresholded least squares (:func:`stlsq`), the threshold chosen by the
    Bayesian information criterion over a grid (:func:`sparse_path`), so that only the
    terms the data need are kept; :meth:`to_sympy` prints the law.

    With ``units``, the candidate terms are only those of the target's dimension:
    for each basis element ``B_k`` of units ``w_k``, the monomials ``m_k(z) pi^a`` with
    ``m_k`` a monomial of the invariants of units ``u_y - w_k`` (exponents with
    denominators up to ``max_denominator``) and ``pi^a`` a monomial of degree up to
    ``degree`` in the dimensionless groups of the invariants (Buckingham's theorem). Every
    printed law is then dimensionally consistent, and the model exactly equivariant under
    changes of units as well as under the group.

    Parameters
    ----------
    group, layout, output, particles
        As for :class:`~scalars.estimators.EquivariantRegressor`.
    degree : int, default=2
        Degree of the polynomials in the invariants (with units: in their dimensionless
        groups).
    threshold : float in [0, 1], default=None
        Fixed threshold of :func:`stlsq`, relative to the largest scaled coefficient;
        None chooses it by BIC.
    alpha : float, default=1e-10
        Ridge penalty of each least squares fit, as in ``EquivariantRegressor``.
    units : sequence or dict, default=None
        Units of the input columns (the columns of one vector share them), in any form
        :class:`~scalars.DimensionlessFeatures` accepts.
    target_units : str, pint unit, dict or None, default=None
        Units of the target (of each component for a vector or tensor); None is
        dimensionless. Only used with ``units``.
    max_denominator : int, default=1
        Largest denominator of the exponents that carry the target's units: 2 allows
        square roots, as in a pendulum's period ``sqrt(L / g) f(theta)``.
    registry : pint.UnitRegistry, default=None
        Registry that parses unit strings.

    Attributes
    ----------
    expansion_, bases_, coef_, design_rms_, n_features_in_
        As for :class:`~scalars.estimators.EquivariantRegressor`; ``coef_`` is sparse.
    candidates_ : ndarray of bool, shape (n_coefficients,)
        Design columns allowed by the units (all without units).
    threshold_ : float
        Threshold of the chosen model.
    path_ : list of dict
        The models of :func:`sparse_path`, sparsest first.

    Examples
    --------
    >>> from scalars.datasets import ParticleInteraction
    >>> train = ParticleInteraction(100, seed=0)
    >>> model = SparseEquivariantRegressor(group="O(1,3)", layout="4T1").fit(train.X, train.y)
    >>> model.to_sympy(names=["p1", "p2", "p3", "p4"])
    16*<p1,p1>*<p2,p2> - 12*<p1,p1>*<p2,p4> + 4*<p1,p2>*<p3,p4> - 12*<p1,p3>*<p2,p2> + 8*<p1,p3>*<p2,p4>
    """

    _parameter_constraints = {
        "group": [None, str, object],
        "layout": [None, str, object],
        "output": [str],
        "degree": [Interval(Integral, 0, None, closed="left")],
        "particles": [None, Interval(Integral, 1, None, closed="left")],
        "threshold": [None, Interval(Real, 0, 1, closed="both")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "units": [None, "array-like", dict],
        "target_units": [None, str, dict, object],
        "max_denominator": [Interval(Integral, 1, None, closed="left")],
        "registry": [None, object],
    }

    def __init__(
        self, group=None, layout=None, output="T0", degree=2, particles=None, threshold=None, alpha=1e-10,
        units=None, target_units=None, max_denominator=1, registry=None,
    ):
        self.group = group
        self.layout = layout
        self.output = output
        self.degree = degree
        self.particles = particles
        self.threshold = threshold
        self.alpha = alpha
        self.units = units
        self.target_units = target_units
        self.max_denominator = max_denominator
        self.registry = registry

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit a sparse law.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), (n_samples, n_columns) or (n_samples, d * d)

        Returns
        -------
        self : object

        Raises
        ------
        UnitsError
            If the units are inconsistent with the layout, or no term has the target's
            dimension.
        """
        if self.units is None and self.target_units is not None:
            raise ValueError("target_units needs units= for the inputs too")
        X, y = self._validate_fit_data(X, y)
        powers, dimensions = self._candidate_powers(X)
        self.bases_ = [
            _MonomialBasis(p).fit(invariants.reshape(-1, invariants.shape[-1]))
            for p, (invariants, _) in zip(powers, self.expansion_.blocks(X[:1]))
        ]
        structure = _Structure(self.expansion_)
        if dimensions is None:
            self.candidates_ = np.ones(len(_columns(self, structure)), dtype=bool)
        else:
            invariant_dims, basis_dims, target = dimensions
            self.candidates_ = np.array([
                np.array_equal(invariant_dims[block] @ self.bases_[block].powers_[p] + basis_dims[block][slot][k], target)
                for block, slot, p, k in _columns(self, structure)
            ])
            if not self.candidates_.any():
                raise UnitsError(f"no term of the model has the target's units {self.target_units!r}")
        gram, moment = self._normal_equations(X, y)
        self.design_rms_ = np.sqrt(np.clip(np.diag(gram), 0.0, None))
        yy = float((y**2).sum() / len(X))
        thresholds = None if self.threshold is None else [self.threshold]
        self.path_ = sparse_path(gram, moment, yy, y.size, self.candidates_, thresholds, self.alpha)
        best = min(self.path_, key=lambda model: model["bic"])
        self.coef_, self.threshold_ = best["coef"], best["threshold"]
        return self

    def _candidate_powers(self, X):
        """Exponents of the candidate monomials of each block and, with units, the
        dimensions of the invariants, the basis elements and the target."""
        blocks = self.expansion_.blocks(X[:1])
        if self.units is None:
            return [exponents(invariants.shape[-1], range(self.degree + 1)) for invariants, _ in blocks], None
        units = column_units(self.units, self.n_features_in_, getattr(self, "feature_names_in_", None))
        matrix, dimension_names = dimension_matrix([*units, self.target_units], self.registry)
        columns, target = matrix[:, :-1], matrix[:, -1]
        invariant_dims, basis_dims = _term_dimensions(self.expansion_, columns)
        powers = []
        for block, (invariants, _) in enumerate(blocks):
            U = invariant_dims[block]
            nullspace = integer_nullspace(U)
            shifts = []
            for slot_dims in basis_dims[block]:
                for need in {tuple(target - w) for w in slot_dims}:
                    try:
                        shifts.append(solve_exponents(U, need, nullspace=nullspace, max_denominator=self.max_denominator))
                    except UnitsError:
                        continue
            if nullspace.shape[1]:
                groups = exponents(nullspace.shape[1], range(self.degree + 1)) @ nullspace.T
            else:  # no dimensionless group: the monomials of the target's units alone
                groups = np.zeros((1, U.shape[1]))
            rows = {tuple(np.round(shift + row, 12)) for shift in shifts for row in groups}
            powers.append(np.array(sorted(rows), dtype=float).reshape(-1, U.shape[1]))
        return powers, (invariant_dims, basis_dims, target)


def _term_dimensions(expansion, column_dims):
    """Dimension exponents of the invariants and of the basis elements of each block.

    Read off by a change of units: scaling base dimension ``j`` by 2 scales each input
    column by ``2^column_dims[j]``, and each derived quantity by 2 to its own exponent.

    Returns
    -------
    invariants : list over blocks of int arrays (k, m)
    bases : list over blocks of lists over slots of int arrays (K, k)

    Raises
    ------
    UnitsError
        If the columns of a vector do not share their units.
    """
    base, layout = expansion.base, expansion.layout
    _, vector_columns = layout.column_indices(base.n_columns)
    for columns in vector_columns:
        if not (column_dims[:, columns] == column_dims[:, columns[:1]]).all():
            raise UnitsError(f"the columns {columns.tolist()} of one vector have different units")
    X = _probe(expansion)
    reference = expansion.blocks(X)
    invariants = [np.zeros((len(column_dims), inv.shape[-1]), dtype=int) for inv, _ in reference]
    bases = [[np.zeros((basis.shape[2], len(column_dims)), dtype=int) for basis in b] for _, b in reference]
    for j, dims in enumerate(column_dims):
        scaled = expansion.blocks(X * 2.0 ** dims)
        for block, ((inv0, bases0), (inv1, bases1)) in enumerate(zip(reference, scaled)):
            invariants[block][j] = _exponent(inv1, inv0, axes=(0, 1))
            for slot, (b0, b1) in enumerate(zip(bases0, bases1)):
                flat0, flat1 = (np.abs(b.reshape(b.shape[:3] + (-1,))).max(-1) for b in (b0, b1))
                bases[block][slot][:, j] = _exponent(flat1, flat0, axes=(0, 1))
    return invariants, bases


def _exponent(scaled, reference, axes):
    """``log2(|scaled| / |reference|)``, the same integer at every sample and term."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.log2(np.abs(scaled) / np.abs(reference))
    exponent = np.round(np.nanmedian(ratios, axis=axes))
    if not np.allclose(ratios, np.expand_dims(exponent, axes), atol=1e-6, equal_nan=True):
        raise UnitsError("an invariant or basis element is not homogeneous under a change of units")
    return exponent.astype(int)


def gram_substitutions(names, d, metric=None):
    """Gram-entry symbols ``<a,b>`` as expressions in the components of the vectors.

    For checking a printed law against a formula: ``law.xreplace(gram_substitutions(...))``
    is in the entries of ``MatrixSymbol(name, d, 1)``, as the explicit vectors of
    :func:`to_sympy` are.

    Parameters
    ----------
    names : sequence of str
        Vector names; every pair ``a, b`` with ``a`` not after ``b`` is substituted.
    d : int
        Number of components.
    metric : sequence of d numbers, default=None
        Diagonal of the metric: None for Euclidean (O(d)), ``(1, -1, -1, -1)`` for O(1,3).

    Returns
    -------
    dict of sympy Symbol to sympy expression
    """
    import sympy

    M = sympy.eye(d) if metric is None else sympy.diag(*metric)
    vectors = {name: sympy.MatrixSymbol(name, d, 1).as_explicit() for name in names}
    return {
        sympy.Symbol(f"<{a},{b}>"): (vectors[a].T * M * vectors[b])[0]
        for i, a in enumerate(names) for b in names[i:]
    }
