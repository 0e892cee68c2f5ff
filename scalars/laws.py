"""Laws instead of fits: sparse equivariant models, printed as sympy expressions.

A fitted equivariant polynomial model is written down by :func:`scalars.symbolic.to_sympy`
(re-exported here, with :func:`rationalize` and :func:`gram_substitutions`).
:class:`SparseEquivariantRegressor` fits the same equivariant design with
few terms (sequentially thresholded least squares, the threshold chosen by an information
criterion) and, given the units of its inputs and target, only with terms of the target's
dimension, so that every law it prints is dimensionally consistent.

sympy is imported only when an expression is built.
"""

from numbers import Integral, Real

import numpy as np
from scipy import linalg, optimize
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval

from scalars.estimators import EquivariantRegressor, ridge_solve
from scalars.monomials import evaluate_monomials, exponents
from scalars.symbolic import TermStructure, design_columns, gram_substitutions, probe_inputs, rationalize, to_sympy
from scalars.units import UnitsError, column_units, dimension_matrix, integer_nullspace, solve_exponents

__all__ = ["to_sympy", "SparseEquivariantRegressor", "stlsq", "sparse_path", "rationalize", "gram_substitutions"]

# A fit whose mean squared residual is below this fraction of the mean squared target is
# exact to rounding: information criteria do not tell such fits apart by their residual.
_EXACT = 1e-13


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
    coef = ridge_solve(gram, moment, alpha)
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
    refit[support] = ridge_solve(gram[np.ix_(support, support)], moment[support], alpha)
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
        structure = TermStructure(self.expansion_)
        if dimensions is None:
            self.candidates_ = np.ones(len(design_columns(self, structure)), dtype=bool)
        else:
            invariant_dims, basis_dims, target = dimensions
            self.candidates_ = np.array([
                np.array_equal(invariant_dims[block] @ self.bases_[block].powers_[p] + basis_dims[block][slot][k], target)
                for block, slot, p, k in design_columns(self, structure)
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
    X = probe_inputs(expansion)
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
