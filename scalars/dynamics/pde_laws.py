"""Invariant PDE laws of fields on periodic grids: weak-form sparse regression with units.

:class:`PDELawFinder` recovers ``df_i/dt = sum_k c_ik theta_k`` for several fields ``f_i``
sampled on a periodic square grid at evenly spaced times, and prints each right-hand side
as a sympy expression whose coefficients carry units.

The library of candidate terms ``theta_k`` is

- *invariant* under the grid's translations, rotations and reflections: the constant, the
  fields and their products up to ``degree``, the Laplacians ``lap(f)``, the squared
  gradients ``|grad f|^2`` and the products ``grad f . grad g``, and the saturating
  (Michaelis-Menten) terms ``f g / (k + g)`` (``f`` a field other than ``g``, or 1). A
  first derivative such as ``df/dx`` is not a term, so no law found has a preferred
  direction: an advected field ``f_t = -a f_x`` is not explained, and the law found from
  it does not change when the data are rotated.
- *units-consistent*: with the units of the fields, of the grid's length and of time, each
  term of the equation of ``f_i`` is given the units of ``df_i/dt``, so its coefficient's
  units are ``[f_i] / [time] / [term]``. With ``parameter_units`` (the units of the
  model's known parameters), a term is offered only when its coefficient's units are those
  of a product of at most ``max_factors`` known parameters (repeats allowed; the empty
  product is dimensionless), and a saturating term ``f g / (k + g)`` only when, besides, a
  known parameter has the units of ``g`` (those of its half-saturation constant ``k``).
  This is the rule, exactly; terms that fail it never enter the design.

Derivatives are those of an explicit scheme: forward differences in time, the five-point
Laplacian, centred gradients. Each equation is integrated against test functions, products
of a function of space and a bump ``(1 - s^2 / (r + 1)^2)^4`` in time (``r = window``
steps), which averages noise away; two families are offered (``test_functions``):

- ``"bumps"``: in space too, bumps of half-width ``radius`` cells on a lattice of centres
  ``radius`` apart (time centres ``window`` apart). The Laplacians and time derivatives
  are differenced on the data, then integrated; on a periodic grid summation by parts is
  exact, so this is already the weak form of the discrete equation.
- ``"fourier"``: in space, the Fourier modes ``exp(2 pi i k.x / L)`` of the grid with
  ``|k| <= max_wavenumber`` (a set that the grid's rotations and reflections map to
  itself), time centres ``window / 4`` apart. The derivatives fall on the test functions:
  a Laplacian is the data's projection times the symbol of the five-point stencil, the
  time derivative the data integrated against the backward difference of the bump, so no
  noisy datum is differenced (only the gradient products, which are not linear, are). It
  keeps only the long waves, where a smooth field's signal is and white noise is thin.

Both are exact for data of the explicit scheme (forward Euler, five-point Laplacian)
sampled at every step. The
coefficients are then found by sequentially thresholded least squares
(:func:`scalars.laws.sparse_path`, the threshold chosen by BIC). Each half-saturation
constant ``k_g`` is found by a 1-D search around that linear solve: a log-spaced grid,
then Brent's method (golden section with parabolic steps), with the saturating fields
added one at a time while the BIC falls, and again on the chosen terms. A chosen term that
accounts for less than 1e-6 of the target's RMS is dropped (on clean data such terms only
chase rounding).

Forward differences make the law exact for data from forward Euler sampled at every
step; for smooth data sampled every ``dt`` the error of a coefficient is of order
``dt / 2`` times the rate at which the right-hand side changes.
"""

from dataclasses import dataclass
from itertools import combinations_with_replacement
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from scalars.laws import sparse_path
from scalars.units import UnitsError, dimension_matrix

__all__ = ["PDELawFinder", "PDETerm", "field_symbols", "library_coefficients"]

# Thresholds of the sparse path, relative to the largest scaled coefficient: a term below
# 1e-4 of the largest is never kept (on clean data such terms only chase rounding).
_THRESHOLDS = np.geomspace(1e-4, 0.9, 30)
# A kept term whose part of the fit is below this fraction of the target's RMS is dropped.
_NEGLIGIBLE = 1e-6

@dataclass(frozen=True)
class PDETerm:
    """One candidate term of a right-hand side.

    Attributes
    ----------
    kind : str
        ``"constant"``, ``"product"`` (``fields`` multiplied), ``"laplacian"`` (of
        ``fields[0]``), ``"gradient"`` (``grad fields[0] . grad fields[1]``) or
        ``"saturating"`` (``fields[0] * fields[1] / (k + fields[1])``; ``fields[0]`` is
        None for ``fields[1] / (k + fields[1])``).
    fields : tuple
        Indices of the fields the term is made of.
    """

    kind: str
    fields: tuple = ()

    def name(self, names):
        """Readable name, e.g. ``u*v``, ``lap(u)``, ``grad u.grad w``, ``u*v/(k_v+v)``."""
        f = [None if i is None else names[i] for i in self.fields]
        if self.kind == "constant":
            return "1"
        if self.kind == "product":
            return "*".join(f)
        if self.kind == "laplacian":
            return f"lap({f[0]})"
        if self.kind == "gradient":
            return f"|grad {f[0]}|^2" if f[0] == f[1] else f"grad {f[0]}.grad {f[1]}"
        numerator = f[1] if f[0] is None else f"{f[0]}*{f[1]}"
        return f"{numerator}/(k_{f[1]}+{f[1]})"


def field_symbols(names):
    """The sympy symbols of fields, Laplacians and gradient products the laws are written in.

    Parameters
    ----------
    names : sequence of str

    Returns
    -------
    dict of str to sympy.Symbol
        Keyed by ``name``, ``lap(name)``, ``|grad name|^2`` and ``grad a.grad b`` (``a``
        before ``b`` in ``names``).
    """
    import sympy

    keys = list(names) + [f"lap({name})" for name in names]
    keys += [PDETerm("gradient", pair).name(names) for pair in combinations_with_replacement(range(len(names)), 2)]
    return {key: sympy.Symbol(key) for key in keys}


def library_coefficients(expression, names):
    """A right-hand side written in the finder's terms: coefficients and half-saturations.

    Each fraction ``A / (g + k)`` (``g`` a field, ``k`` a number, ``A`` free of ``g``) is
    rewritten ``A / k - (A / k) g / (k + g)``, the rest expanded into monomials.

    Parameters
    ----------
    expression : sympy expression
        In the symbols of :func:`field_symbols`, with numeric coefficients.
    names : sequence of str
        The field names.

    Returns
    -------
    coefficients : dict of PDETerm to float
    constants : dict of int to float
        Half-saturation constant of each saturating field (by index).

    Raises
    ------
    ValueError
        If a part of the expression is not a term of the library.
    """
    import sympy

    symbols = field_symbols(names)
    fields = [symbols[name] for name in names]
    expression = sympy.expand(sympy.nsimplify(sympy.sympify(expression), rational=True))
    coefficients, constants = {}, {}

    def add(term, value):
        coefficients[term] = coefficients.get(term, 0.0) + value

    for whole in sympy.Add.make_args(expression):
        _, denominator = sympy.fraction(sympy.together(whole))
        pieces = [whole]
        if denominator.free_symbols:
            pieces = sympy.Add.make_args(sympy.expand(sympy.apart(whole, _saturating_field(denominator, fields))))
        for part in pieces:
            numerator, denominator = sympy.fraction(sympy.factor_terms(part))
            if not denominator.free_symbols:
                for monomial, value in _monomials(part, symbols, names):
                    add(monomial, value)
                continue
            g = _saturating_field(denominator, fields)
            lead, k = sympy.Poly(denominator, g).all_coeffs()
            constants[fields.index(g)] = float(k / lead)
            for monomial, value in _monomials(sympy.expand(numerator / k), symbols, names):
                if monomial.kind not in ("constant", "product") or len(monomial.fields) > 1:
                    raise ValueError(f"{part} is not a saturating term of the library")
                add(monomial, value)
                add(PDETerm("saturating", (monomial.fields[0] if monomial.fields else None, fields.index(g))), -value)
    return {term: value for term, value in coefficients.items() if value != 0}, constants


def _saturating_field(denominator, fields):
    import sympy

    present = [g for g in fields if g in denominator.free_symbols]
    if len(present) != 1 or len(denominator.free_symbols) != 1 or sympy.degree(sympy.expand(denominator), present[0]) != 1:
        raise ValueError(f"1/({denominator}) is not a saturation in one field")
    return present[0]


def _monomials(expression, symbols, names):
    """(PDETerm, coefficient) of each monomial of a polynomial in the field symbols."""
    import sympy

    by_symbol = {symbol: key for key, symbol in symbols.items()}
    index = {name: i for i, name in enumerate(names)}
    out = []
    for part in sympy.Add.make_args(sympy.expand(expression)):
        coefficient, rest = part.as_coeff_Mul()
        powers = {}
        for factor in sympy.Mul.make_args(rest):
            if factor == 1:
                continue
            base, exponent = factor.as_base_exp()
            if base not in by_symbol or not exponent.is_Integer or exponent < 1:
                raise ValueError(f"{part} is not a term of the library")
            powers[by_symbol[base]] = powers.get(by_symbol[base], 0) + int(exponent)
        out.append((_term_of(powers, index, part), float(coefficient)))
    return out


def _term_of(powers, index, part):
    if not powers:
        return PDETerm("constant")
    if all(key in index for key in powers):
        return PDETerm("product", tuple(sorted(index[key] for key, p in powers.items() for _ in range(p))))
    if len(powers) == 1 and next(iter(powers.values())) == 1:
        key = next(iter(powers))
        if key.startswith("lap("):
            return PDETerm("laplacian", (index[key[4:-1]],))
        inner = key.strip("|").replace("^2", "").replace("grad ", "").split(".")
        pair = tuple(sorted(index[name.strip()] for name in inner))
        return PDETerm("gradient", pair if len(pair) == 2 else pair * 2)
    raise ValueError(f"{part} is not a term of the library")


class PDELawFinder(BaseEstimator):
    """Sparse, invariant, units-consistent PDE laws of fields on a periodic grid.

    See the module's docstring for the library, the units rule and the weak form.

    Parameters
    ----------
    names : sequence of str
        Names of the fields, in the order they are passed to :meth:`fit`.
    units : sequence of str or None, default=None
        Unit of each field (pint strings, parsed with ``registry``); None: no units.
    length_unit, time_unit : str, default="metre", "day"
        Units of the grid spacing and of the time step (used with ``units``).
    parameter_units : sequence of str or None, default=None
        Units of the model's known parameters; with them, only terms whose coefficient
        units are a product of at most ``max_factors`` of them are offered.
    max_factors : int, default=1
    degree : int, default=2
        Largest degree of the products of fields.
    saturating : bool, default=True
        Offer the Michaelis-Menten terms ``f g / (k + g)``.
    threshold : float in [0, 1] or None, default=None
        Fixed threshold of :func:`scalars.laws.stlsq`; None chooses it by BIC among 30
        from 1e-4 to 0.9.
    radius : int, default=6
        With ``test_functions="bumps"``: half-width of the spatial test functions, in grid
        cells; their centres are ``radius`` cells apart.
    window : int, default=20
        Half-width of the temporal test functions, in time steps; centres ``window`` apart
        (``max(window // 4, 1)`` with ``"fourier"``).
    test_functions : {"bumps", "fourier"}, default="bumps"
        The spatial test functions (see the module's docstring): bumps on a lattice, the
        data differenced; or the long Fourier modes, the derivatives on the test functions.
    max_wavenumber : int, default=3
        With ``"fourier"``: the modes ``k`` (integer vectors, in units of ``2 pi / L``)
        with ``|k| <= max_wavenumber``; below half the number of cells.
    registry : pint.UnitRegistry or None, default=None
        Registry that parses the units (pint's default when None).

    Attributes
    ----------
    library_ : list of PDETerm
        Every candidate term (before the units rule).
    candidates_ : ndarray of bool, shape (n_fields, n_terms)
        Terms offered to each equation by the units rule.
    coef_ : ndarray of shape (n_fields, n_terms)
        Coefficients, in the units of ``coefficient_units_`` (zero for terms left out).
    saturation_ : ndarray of shape (n_fields, n_fields)
        Half-saturation constant of field ``g`` in the equation of field ``i``, in the
        units of ``g`` (NaN where no saturating term of ``g`` is kept).
    coefficient_units_ : list of list of str
        Units of each coefficient (empty strings without units).
    r2_ : ndarray of shape (n_fields,)
        Coefficient of determination of each weak-form equation.

    Examples
    --------
    Diffusion, ``df/dt = 0.3 lap(f)``, by forward Euler on a periodic grid:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f, snapshots = 1 + rng.random((16, 16)), []
    >>> for _ in range(21):
    ...     snapshots.append(f)
    ...     f = f + 0.05 * 0.3 * sum(np.roll(f, s, a) - f for s in (1, -1) for a in (0, 1))
    >>> finder = PDELawFinder(names=["f"], saturating=False, radius=3, window=3)
    >>> finder.fit([np.stack(snapshots)], spacing=1.0, dt=0.05).equations()
    [0.3*lap(f)]
    """

    _parameter_constraints = {
        "names": ["array-like"],
        "units": [None, "array-like"],
        "length_unit": [str],
        "time_unit": [str],
        "parameter_units": [None, "array-like"],
        "max_factors": [Interval(Integral, 0, None, closed="left")],
        "degree": [Interval(Integral, 1, None, closed="left")],
        "saturating": ["boolean"],
        "threshold": [None, Interval(Real, 0, 1, closed="both")],
        "radius": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "test_functions": [StrOptions({"bumps", "fourier"})],
        "max_wavenumber": [Interval(Integral, 1, None, closed="left")],
        "registry": [None, object],
    }

    def __init__(
        self, names=("u", "w", "v"), units=None, length_unit="metre", time_unit="day", parameter_units=None,
        max_factors=1, degree=2, saturating=True, threshold=None, radius=6, window=20, registry=None,
        test_functions="bumps", max_wavenumber=3,
    ):
        self.names = names
        self.units = units
        self.length_unit = length_unit
        self.time_unit = time_unit
        self.parameter_units = parameter_units
        self.max_factors = max_factors
        self.degree = degree
        self.saturating = saturating
        self.threshold = threshold
        self.radius = radius
        self.window = window
        self.registry = registry
        self.test_functions = test_functions
        self.max_wavenumber = max_wavenumber

    # -- fitting --------------------------------------------------------------------------
    def fit(self, fields, spacing, dt):
        """Find the law of each field.

        Parameters
        ----------
        fields : sequence of n_fields arrays of shape (n_times, N, N)
            Snapshots at times ``0, dt, 2 dt, ...`` on a periodic N x N grid, in the units
            of ``units``.
        spacing : float or pair of float
            Grid spacing [length_unit]; a pair must be equal (square cells).
        dt : float
            Time between snapshots [time_unit].

        Returns
        -------
        self : object

        Raises
        ------
        ValueError
            Naming the problem: fields of different shapes, a non-square or non-periodic
            grid, unequal spacings, a NaN, too few snapshots for ``window``.
        UnitsError
            If a unit cannot be parsed, or no term is offered to an equation.
        """
        self._validate_params()
        data, spacing, dt = self._check_data(fields, spacing, dt)
        self.library_ = self._library(len(data))
        self.candidates_, self.coefficient_units_ = self._units_rule(len(data))
        self.spacing_, self.dt_ = spacing, dt
        n_grid, n_times = data.shape[-1], data.shape[1] - 1
        if self.test_functions == "bumps":
            weights = _TestFunctions(n_grid, n_times, self.radius, self.window)
        else:
            weights = _FourierTestFunctions(n_grid, n_times, self.max_wavenumber, self.window)
        terms = _PointwiseTerms(data[:, :-1], spacing)
        fixed = [k for k, term in enumerate(self.library_) if term.kind != "saturating"]
        design = np.zeros((weights.n_rows, len(self.library_)))
        for k in fixed:
            term = self.library_[k]
            if term.kind == "laplacian":
                design[:, k] = weights.laplacian(data[term.fields[0], :-1], spacing)
            else:
                design[:, k] = weights.integrate(terms.value(term))
        self._weights, self._terms, self._cache = weights, terms, {}
        self.coef_ = np.zeros((len(data), len(self.library_)))
        self.saturation_ = np.full((len(data), len(data)), np.nan)
        self.r2_ = np.zeros(len(data))
        for i in range(len(data)):
            self._fit_equation(i, design.copy(), weights.rate(data[i], dt))
        del self._weights, self._terms, self._cache
        return self

    def _fit_equation(self, i, design, target):
        """Sparse coefficients and half-saturation constants of the equation of field ``i``.

        Saturating fields are added one at a time (forward selection): each candidate
        field's constant is found by a 1-D search of the least-squares residual with its
        terms added, and the field that lowers the BIC of the sparse solve most is kept,
        until none lowers it. The kept constants are then refined by 1-D searches on the
        chosen terms, one field at a time.
        """
        offered = self.candidates_[i]
        fixed = offered & np.array([term.kind != "saturating" for term in self.library_])
        constants = {}
        best_bic, coef = self._sparse(design, target, fixed)
        remaining = self._saturated(offered)
        while remaining:
            trials = {}
            for g in remaining:
                trial = {g: self._terms.rms(g), **constants}
                for h, k in trial.items():
                    self._set_saturation(design, h, k)
                self._coordinate_search(design, target, self._family(fixed, offered, trial), trial, coarse=True)
                trials[g] = (*self._sparse(design, target, self._family(fixed, offered, trial)), trial)
            g = min(trials, key=lambda h: trials[h][0])
            if trials[g][0] >= best_bic:
                break
            best_bic, coef, constants = trials[g]
            remaining.remove(g)
        for h, k in constants.items():
            self._set_saturation(design, h, k)
        for _ in range(3):  # refine the constants on the chosen terms, choose again
            kept = coef != 0
            refined = {g: constants[g] for g in self._saturated(kept)}
            self._coordinate_search(design, target, kept, refined, coarse=False)
            constants.update(refined)
            _, coef = self._sparse(design, target, self._family(fixed, offered, constants))
            if np.array_equal(coef != 0, kept):
                break
        kept = coef != 0
        for g in self._saturated(kept):
            self.saturation_[i, g] = constants[g]
        self.coef_[i] = coef
        residual = target - design @ self.coef_[i]
        self.r2_[i] = 1 - residual @ residual / max(float(((target - target.mean()) ** 2).sum()), 1e-300)

    def _family(self, fixed, offered, constants):
        """The offered columns: the non-saturating ones and the saturating terms of the
        fields in ``constants``."""
        return fixed | (offered & np.array([term.kind == "saturating" and term.fields[1] in constants for term in self.library_]))

    def _saturated(self, columns):
        """The saturating fields of the chosen columns."""
        return sorted({self.library_[k].fields[1] for k in np.flatnonzero(columns) if self.library_[k].kind == "saturating"})

    def _sparse(self, design, target, offered):
        n = len(target)
        gram, moment = design.T @ design / n, design.T @ target / n
        thresholds = _THRESHOLDS if self.threshold is None else [self.threshold]
        path = sparse_path(gram, moment, float(target @ target / n), n, offered, thresholds)
        best = min(path, key=lambda model: model["bic"])
        return best["bic"], _prune(design, target, best["coef"])

    def _set_saturation(self, design, g, k):
        """Write the columns of the saturating terms of field ``g`` at constant ``k``."""
        key = (g, float(k))
        if key not in self._cache:
            fraction = self._terms.fraction(g, k)
            self._cache[key] = {
                column: self._weights.integrate(fraction if term.fields[0] is None else self._terms.field(term.fields[0]) * fraction)
                for column, term in enumerate(self.library_) if term.kind == "saturating" and term.fields[1] == g
            }
        for column, values in self._cache[key].items():
            design[:, column] = values

    def _coordinate_search(self, design, target, columns, constants, coarse):
        """Update ``constants`` (field -> k) in place: 1-D searches one field at a time (over
        the whole grid with ``coarse``; three rounds for several fields), then, for several
        fields, Powell's method (1-D searches along conjugate directions) on all their
        ``log k`` together."""
        from scipy.optimize import minimize

        for _ in range(3 if len(constants) > 1 else 1):
            for g, k in constants.items():
                constants[g] = self._search(design, target, columns, g, k, coarse)
        if len(constants) > 1:
            fields = list(constants)

            def loss(log_k):
                for g, x in zip(fields, log_k):
                    self._set_saturation(design, g, np.exp(x))
                return _residual(design[:, columns], target)

            start = np.log([constants[g] for g in fields])
            result = minimize(loss, start, method="Powell", options={"xtol": 1e-8, "ftol": 1e-14})
            best = result.x if result.fun <= loss(start) else start
            for g, x in zip(fields, best):
                constants[g] = float(np.exp(x))
                self._set_saturation(design, g, constants[g])

    def _search(self, design, target, columns, g, k, coarse):
        """Half-saturation constant of field ``g`` minimising the least-squares residual on
        ``columns``, in ``log k``: with ``coarse`` the best of a log grid over 1e-2 to 1e2
        times the RMS of ``g``, then Brent's method (golden section with parabolic steps)
        within a grid step (half a unit of ``log k`` without ``coarse``)."""
        from scipy.optimize import minimize_scalar

        def loss(log_k):
            self._set_saturation(design, g, np.exp(log_k))
            return _residual(design[:, columns], target)

        if coarse:
            grid = np.log(self._terms.rms(g)) + np.linspace(np.log(1e-2), np.log(1e2), 17)
            best = int(np.argmin([loss(x) for x in grid]))
            bounds = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
        else:
            bounds = np.log(k) - 0.5, np.log(k) + 0.5
        result = minimize_scalar(loss, bounds=bounds, method="bounded", options={"xatol": 1e-7})
        best = float(np.exp(result.x))
        self._set_saturation(design, g, best)
        return best

    # -- the library and the units rule ---------------------------------------------------
    def _library(self, n):
        library = [PDETerm("constant")]
        for degree in range(1, self.degree + 1):
            library += [PDETerm("product", c) for c in combinations_with_replacement(range(n), degree)]
        library += [PDETerm("laplacian", (i,)) for i in range(n)]
        library += [PDETerm("gradient", pair) for pair in combinations_with_replacement(range(n), 2)]
        if self.saturating:
            library += [PDETerm("saturating", (f, g)) for g in range(n) for f in [None, *range(n)] if f != g]
        return library

    def _units_rule(self, n):
        """Offered terms of each equation and the units of every coefficient."""
        if self.units is None:
            if self.parameter_units is not None:
                raise ValueError("parameter_units needs units= for the fields too")
            return np.ones((n, len(self.library_)), dtype=bool), [[""] * len(self.library_) for _ in range(n)]
        units = list(self.units)
        if len(units) != n:
            raise ValueError(f"units has {len(units)} entries but there are {n} fields")
        parameters = [] if self.parameter_units is None else list(self.parameter_units)
        matrix, _ = dimension_matrix([*units, self.length_unit, self.time_unit, *parameters], self.registry)
        field_dims, length, time = matrix[:, :n].T, matrix[:, n], matrix[:, n + 1]
        parameter_dims = {tuple(column) for column in matrix[:, n + 2 :].T}
        allowed = {tuple(np.zeros(len(length), dtype=int))}
        for count in range(1, self.max_factors + 1):
            for combination in combinations_with_replacement(sorted(parameter_dims), count):
                allowed.add(tuple(np.sum(combination, axis=0)))
        offered = np.ones((n, len(self.library_)), dtype=bool)
        names = [[""] * len(self.library_) for _ in range(n)]
        for k, term in enumerate(self.library_):
            dims = self._term_dimensions(term, field_dims, length)
            for i in range(n):
                coefficient = field_dims[i] - time - dims
                if self.parameter_units is not None:
                    offered[i, k] = tuple(coefficient) in allowed and (
                        term.kind != "saturating" or tuple(field_dims[term.fields[1]]) in parameter_dims
                    )
                names[i][k] = self._unit_name(i, term)
        for i in range(n):
            if not offered[i].any():
                raise UnitsError(f"no term of the library has units consistent with d{self.names[i]}/dt")
        return offered, names

    @staticmethod
    def _term_dimensions(term, field_dims, length):
        if term.kind == "constant":
            return np.zeros_like(length)
        if term.kind == "product":
            return field_dims[list(term.fields)].sum(0)
        if term.kind == "laplacian":
            return field_dims[term.fields[0]] - 2 * length
        if term.kind == "gradient":
            return field_dims[list(term.fields)].sum(0) - 2 * length
        return np.zeros_like(length) if term.fields[0] is None else field_dims[term.fields[0]]

    def _unit_name(self, i, term):
        """pint's name of the units of the coefficient of ``term`` in the equation of field ``i``."""
        import pint

        registry = self.registry if self.registry is not None else pint.get_application_registry()
        unit = registry.Unit
        field = [unit(u) for u in self.units]
        length = unit(self.length_unit)
        if term.kind == "constant":
            dims = unit("")
        elif term.kind == "product":
            dims = unit("")
            for f in term.fields:
                dims = dims * field[f]
        elif term.kind == "laplacian":
            dims = field[term.fields[0]] / length**2
        elif term.kind == "gradient":
            dims = field[term.fields[0]] * field[term.fields[1]] / length**2
        else:
            dims = unit("") if term.fields[0] is None else field[term.fields[0]]
        return str(field[i] / unit(self.time_unit) / dims)

    # -- input checks ---------------------------------------------------------------------
    def _check_data(self, fields, spacing, dt):
        names = list(self.names)
        if isinstance(fields, np.ndarray) and fields.ndim == 3:
            fields = [fields]
        if len(fields) != len(names):
            raise ValueError(f"fit got {len(fields)} fields but names has {len(names)}: {names}")
        arrays = [np.asarray(f, dtype=np.float64) for f in fields]
        shapes = {name: a.shape for name, a in zip(names, arrays)}
        if len(set(shapes.values())) != 1:
            raise ValueError(f"the fields have different shapes: {shapes}; give each as (n_times, N, N) on one grid")
        shape = arrays[0].shape
        if len(shape) != 3 or shape[1] != shape[2]:
            raise ValueError(f"each field must be (n_times, N, N) on a square grid, got shape {shape}")
        for name, a in zip(names, arrays):
            if not np.all(np.isfinite(a)):
                raise ValueError(f"field {name!r} has NaN or infinite values at {int((~np.isfinite(a)).sum())} points")
            _check_periodic(name, a)
        spacings = np.atleast_1d(np.asarray(spacing, dtype=np.float64))
        if spacings.size > 2 or not np.all(spacings > 0) or not np.all(np.isfinite(spacings)):
            raise ValueError(f"spacing must be one positive number or a pair, got {spacing!r}")
        if not np.isclose(spacings.min(), spacings.max(), rtol=1e-12):
            raise ValueError(f"spacing {tuple(spacings)} differs between the axes: the invariant library needs square cells")
        if not (np.isfinite(dt) and dt > 0):
            raise ValueError(f"dt must be a positive number, got {dt!r}")
        if shape[0] - 1 < 2 * self.window + 1:
            raise ValueError(f"window={self.window} needs at least {2 * self.window + 2} snapshots, got {shape[0]}")
        if self.test_functions == "fourier" and 2 * self.max_wavenumber >= shape[1]:
            raise ValueError(f"max_wavenumber={self.max_wavenumber} must be below half the grid's {shape[1]} cells")
        if self.test_functions == "bumps" and shape[1] < 2 * self.radius + 1:
            raise ValueError(f"radius={self.radius} needs a grid of at least {2 * self.radius + 1} cells, got {shape[1]}")
        return np.stack(arrays), float(spacings[0]), float(dt)

    # -- output ---------------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this PDELawFinder is not fitted yet; call fit first")

    def equations(self):
        """The right-hand sides as sympy expressions, coefficients in ``coefficient_units_``.

        Returns
        -------
        list of sympy expressions, one per field, in the symbols of :func:`field_symbols`.
        """
        import sympy

        self._check_fitted()
        symbols = field_symbols(self.names)
        out = []
        for i, coef in enumerate(self.coef_):
            expression = sympy.Integer(0)
            for k in np.flatnonzero(coef):
                expression += sympy.Float(coef[k], 6) * self._symbol(self.library_[k], symbols, self.saturation_[i])
            out.append(expression)
        return out

    def _symbol(self, term, symbols, constants):
        import sympy

        fields = [symbols[name] for name in self.names]
        if term.kind == "constant":
            return sympy.Integer(1)
        if term.kind == "product":
            return sympy.Mul(*(fields[f] for f in term.fields))
        if term.kind in ("laplacian", "gradient"):
            return symbols[term.name(self.names)]
        f, g = term.fields
        numerator = fields[g] if f is None else fields[f] * fields[g]
        return numerator / (fields[g] + sympy.Float(constants[g], 6))

    def describe(self):
        """The laws as text: one line per equation, each coefficient with its units.

        Returns
        -------
        str
        """
        self._check_fitted()
        lines = []
        for i, coef in enumerate(self.coef_):
            parts = []
            for k in np.flatnonzero(coef):
                term = self.library_[k]
                name = term.name(self.names)
                if term.kind == "saturating":
                    g = term.fields[1]
                    unit = f" {self.units[g]}" if self.units is not None else ""
                    name = name.replace(f"k_{self.names[g]}", f"{self.saturation_[i, g]:.5g}{unit}")
                unit = f" [{self.coefficient_units_[i][k]}]" if self.coefficient_units_[i][k] else ""
                parts.append(f"{coef[k]:+.5g}{unit}" + ("" if name == "1" else f" * {name}"))
            lines.append(f"d{self.names[i]}/dt = " + " ".join(parts))
        return "\n".join(lines)

    def compare(self, truth):
        """Relative errors of the coefficients against known right-hand sides.

        Parameters
        ----------
        truth : sequence of sympy expressions
            One per field, in the symbols of :func:`field_symbols`.

        Returns
        -------
        list of dict
            Per equation: ``"terms"`` (name -> (found, true, relative error), over the
            union of found and true terms; a missing or extra term has error 1),
            ``"saturation"`` (field -> (found, true, relative error)), ``"missing"``,
            ``"extra"`` (term names) and ``"max_error"``.
        """
        self._check_fitted()
        report = []
        for i, expression in enumerate(truth):
            true, true_constants = library_coefficients(expression, self.names)
            found = {self.library_[k]: self.coef_[i, k] for k in np.flatnonzero(self.coef_[i])}
            terms = {}
            for term in sorted(set(true) | set(found), key=self.library_.index):
                a, b = found.get(term, 0.0), true.get(term, 0.0)
                terms[term.name(self.names)] = (a, b, abs(a - b) / abs(b) if b else 1.0)
            saturation = {}
            for g, k in true_constants.items():
                estimate = self.saturation_[i, g]
                saturation[self.names[g]] = (estimate, k, abs(estimate - k) / k if np.isfinite(estimate) else 1.0)
            errors = [e for *_, e in terms.values()] + [e for *_, e in saturation.values()]
            report.append(dict(
                terms=terms, saturation=saturation,
                missing=[t.name(self.names) for t in true if t not in found],
                extra=[t.name(self.names) for t in found if t not in true],
                max_error=max(errors),
            ))
        return report

    def evaluate(self, fields, spacing):
        """Pointwise values of every library term (Laplacians and gradients by finite
        differences), e.g. to check their invariance under the grid's symmetries.

        Parameters
        ----------
        fields : sequence of n_fields arrays of shape (..., N, N)
        spacing : float

        Returns
        -------
        ndarray of shape (n_terms, ..., N, N)
            Saturating terms at the fitted constants of the first equation that keeps
            them (1 where none does).
        """
        self._check_fitted()
        terms = _PointwiseTerms(np.stack([np.asarray(f, dtype=np.float64) for f in fields]), spacing)
        constants = np.nanmax(np.where(np.isnan(self.saturation_), -np.inf, self.saturation_), axis=0)
        out = []
        for term in self.library_:
            if term.kind == "saturating":
                f, g = term.fields
                k = constants[g] if np.isfinite(constants[g]) else 1.0
                out.append(terms.fraction(g, k) * (1.0 if f is None else terms.field(f)))
            else:
                out.append(terms.value(term))
        return np.stack(out)


def _check_periodic(name, field):
    """Raise if a field jumps across the grid's edge more than twice its largest inner step."""
    for axis in (-1, -2):
        inner = np.abs(np.diff(field, axis=axis)).max()
        edge = np.abs(np.take(field, 0, axis=axis) - np.take(field, -1, axis=axis)).max()
        if edge > 2 * inner + 1e-12 * np.abs(field).max():
            raise ValueError(
                f"field {name!r} is not periodic along axis {field.ndim + axis}: it jumps by {edge:.3g} across the "
                f"grid's edge, more than twice its largest step inside ({inner:.3g}); the finder needs a periodic grid"
            )


def _prune(design, target, coef):
    """Drop the terms whose part of the fit is below ``_NEGLIGIBLE`` of the target's RMS
    (on clean data such terms only chase rounding) and refit the rest, until none is dropped."""
    scale, size = np.sqrt((design**2).mean(0)), np.sqrt((target**2).mean())
    kept = coef != 0
    while True:
        out = np.zeros_like(coef)
        out[kept] = _least_squares(design[:, kept], target)
        small = kept & (np.abs(out) * scale < _NEGLIGIBLE * size)
        if not small.any():
            return out
        kept &= ~small


def _residual(design, target):
    """Sum of squared residuals of the least-squares fit of ``target`` on the columns."""
    residual = target - design @ _least_squares(design, target)
    return float(residual @ residual)


def _least_squares(design, target):
    if not design.shape[1]:
        return np.zeros(0)
    scale = np.sqrt((design**2).mean(0))
    scale = np.where(scale > 0, scale, 1.0)
    return np.linalg.lstsq(design / scale, target, rcond=None)[0] / scale


class _PointwiseTerms:
    """Library terms evaluated at every snapshot and grid point of fields (n, ..., N, N)."""

    def __init__(self, data, spacing):
        self.data, self.h = data, spacing
        self._rms = np.sqrt((data**2).mean(axis=tuple(range(1, data.ndim))))

    def field(self, i):
        return self.data[i]

    def rms(self, i):
        return float(self._rms[i]) if self._rms[i] > 0 else 1.0

    def fraction(self, g, k):
        return self.data[g] / (k + self.data[g])

    def value(self, term):
        f = self.data
        if term.kind == "constant":
            return np.ones_like(f[0])
        if term.kind == "product":
            return np.prod([f[i] for i in term.fields], axis=0)
        if term.kind == "laplacian":
            return _laplacian(f[term.fields[0]], self.h)
        if term.kind == "gradient":
            a, b = (self._gradient(f[i]) for i in term.fields)
            return a[0] * b[0] + a[1] * b[1]
        raise ValueError(f"{term} is evaluated with its constant")

    def _gradient(self, x):
        return [(np.roll(x, -1, axis) - np.roll(x, 1, axis)) / (2 * self.h) for axis in (-1, -2)]


def _laplacian(x, h):
    """Five-point Laplacian of fields (..., N, N) on a periodic grid of spacing ``h``."""
    neighbours = sum(np.roll(x, s, axis) for s in (1, -1) for axis in (-1, -2))
    return (neighbours - 4 * x) / h**2


class _TestFunctions:
    """Integrals of fields (n_times, N, N) against separable bumps on a lattice of centres."""

    def __init__(self, n_grid, n_times, radius, window):
        self.space = _bumps(n_grid, radius, radius, periodic=True)
        self.time = _bumps(n_times, window, window, periodic=False)
        self.n_rows = self.time.shape[0] * self.space.shape[0] ** 2

    def integrate(self, values):
        """Rows: one integral per test function, shape (n_rows,)."""
        x = values @ self.space.T  # (t, y, cx)
        x = np.einsum("ay,tyb->tab", self.space, x)
        return np.tensordot(self.time, x, axes=(1, 0)).reshape(-1)

    def laplacian(self, field, h):
        """Rows of the Laplacian of ``field`` (n_times, N, N), differenced on the data."""
        return self.integrate(_laplacian(field, h))

    def rate(self, field, dt):
        """Rows of the time derivative of ``field`` (n_times + 1, N, N), forward differences."""
        return self.integrate((field[1:] - field[:-1]) / dt)


class _FourierTestFunctions:
    """Integrals of fields (n_times, N, N) against the Fourier modes ``|k| <= max_wavenumber``
    times bumps in time, the derivatives moved onto the test functions.

    Each complex mode but ``k = 0`` gives two real rows (its cosine and sine parts); of
    ``k`` and ``-k`` only one is kept (they give the same rows up to sign)."""

    def __init__(self, n_grid, n_times, max_wavenumber, window):
        k = np.fft.fftfreq(n_grid, 1 / n_grid)
        kx, ky = np.meshgrid(k, k, indexing="ij")
        half = (ky > 0) | ((ky == 0) & (kx >= 0))
        self.modes = half & (kx**2 + ky**2 <= max_wavenumber**2)
        self.sine = (kx != 0) | (ky != 0)
        # symbol of the five-point stencil (times h^2): lap exp(i k x) = symbol exp(i k x) / h^2
        self.symbol = -4 * (np.sin(np.pi * kx / n_grid) ** 2 + np.sin(np.pi * ky / n_grid) ** 2)
        self.time = _bumps(n_times, window, max(window // 4, 1), periodic=False)
        # sum_t psi(t) (x(t+1) - x(t)) = sum_t x(t) (psi(t-1) - psi(t)), psi zero outside
        padded = np.pad(self.time, ((0, 0), (1, 1)))
        self.time_difference = padded[:, :-1] - padded[:, 1:]
        self.n_grid = n_grid
        self.n_rows = self.time.shape[0] * (self.modes.sum() + (self.modes & self.sine).sum())

    def _rows(self, values, time, symbol=1.0):
        """Real rows of ``values`` (n_times, N, N) integrated against ``time`` and the modes,
        each mode's integral multiplied by ``symbol``: in time first (the cheaper order)."""
        spectrum = np.fft.fft2(np.tensordot(time, values, axes=(1, 0))) * symbol
        x = spectrum[:, self.modes] / self.n_grid**2
        return np.concatenate([x.real, x.imag[:, self.sine[self.modes]]], 1).reshape(-1)

    def integrate(self, values):
        """Rows: one integral per test function, shape (n_rows,)."""
        return self._rows(values, self.time)

    def laplacian(self, field, h):
        """Rows of the Laplacian of ``field`` (n_times, N, N): the stencil on the test function."""
        return self._rows(field, self.time, self.symbol / h**2)

    def rate(self, field, dt):
        """Rows of the time derivative of ``field`` (n_times + 1, N, N): the difference on the
        test function."""
        return self._rows(field, self.time_difference / dt)


def _bumps(n, radius, stride, periodic):
    """Matrix (n_centres, n) of bumps ``(1 - s^2 / (radius + 1)^2)^4``, |s| <= radius."""
    offsets = np.arange(-radius, radius + 1)
    profile = (1 - (offsets / (radius + 1)) ** 2) ** 4
    centres = np.arange(0, n, stride) if periodic else np.arange(radius, n - radius, stride)
    rows = np.zeros((len(centres), n))
    for row, centre in zip(rows, centres):
        np.add.at(row, (centre + offsets) % n, profile)
    return rows / profile.sum()
