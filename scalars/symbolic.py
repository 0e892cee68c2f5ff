"""Fitted equivariant polynomial models written down as sympy expressions.

An :class:`~scalars.estimators.EquivariantRegressor` with its default polynomial basis
predicts ``y = sum_k f_k(z) B_k`` with each ``f_k`` a polynomial in the invariants ``z``
and ``B_k`` the equivariant basis of the output. :func:`to_sympy` writes that model down:
the invariants become symbols named as :class:`~scalars.InvariantFeatures` names them
(``<q,p>``, ``det(a,b,c)``), the coefficients become exact rationals where that leaves the
predictions alone, and a vector or tensor output becomes a sympy Matrix in the named
input vectors. The sparse fits that find few-term laws are in :mod:`scalars.laws`.

sympy is imported only when an expression is built.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from scalars.expansion import EquivariantExpansion
from scalars.groups import Euclidean, SpecialOrthogonal, Unitary
from scalars.invariants import pair_indices, subset_indices
from scalars.preprocessing import InvariantFeatures

__all__ = ["to_sympy", "rationalize", "gram_substitutions", "TermStructure", "design_columns", "probe_inputs"]


# -- writing a fitted model down ------------------------------------------------------------
def to_sympy(estimator, names=None, tolerance=1e-8, max_denominator=100, explicit=True, threshold=1e-6):
    """A fitted equivariant polynomial model as a sympy expression.

    What is printed: the terms of the model (coefficient times monomial of invariants
    times basis element) whose size, ``|coefficient|`` times the root mean square of what
    it multiplies over the training data, is at least ``threshold`` times the size of the
    largest term; their coefficients rounded to rationals within ``tolerance``.

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
    threshold : float in [0, 1), default=1e-6
        Terms smaller than ``threshold`` times the largest (sizes as above) are left out.
        A ridge fit (``alpha > 0``) of an exact law leaves every other term of the basis
        with a coefficient of about ``alpha`` relative size (1e-9 to 1e-7 of the largest
        term at the default ``alpha``), which is noise, not law. ``threshold=0`` prints
        every term above ``tolerance``, so that the law reproduces ``predict``.

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
        If the basis is not a monomial one, ``explicit`` is asked for a group whose
        equivariant basis this function cannot write out, ``threshold`` is not in [0, 1),
        ``tolerance`` is negative or ``max_denominator`` not a positive integer.
    TypeError
        If the estimator has no linear basis (an MLP, say): there is no law to write down.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    """
    import sympy

    if not (isinstance(threshold, Real) and 0 <= threshold < 1):
        raise ValueError(f"threshold must be a number in [0, 1), got {threshold!r}")
    if not (isinstance(tolerance, Real) and 0 <= tolerance < np.inf):
        raise ValueError(f"tolerance must be a finite non-negative number, got {tolerance!r}")
    if isinstance(max_denominator, bool) or not (isinstance(max_denominator, Integral) and max_denominator >= 1):
        raise ValueError(f"max_denominator must be a positive integer, got {max_denominator!r}")
    check_is_fitted(estimator)
    if not all(hasattr(estimator, name) for name in ("coef_", "design_rms_", "bases_", "expansion_")):
        raise TypeError(
            f"{type(estimator).__name__} has no linear basis to print: to_sympy writes down models that "
            "are sums of coefficients times basis functions (EquivariantRegressor, SparseEquivariantRegressor)"
        )
    for basis in estimator.bases_:
        if not hasattr(basis, "powers_"):
            raise ValueError(
                f"to_sympy needs a monomial basis (basis=None), got {type(basis).__name__}: "
                "its functions have no closed form here"
            )
    structure = TermStructure(estimator.expansion_, names)
    coef = np.asarray(estimator.coef_, dtype=float)
    sizes = np.abs(coef) * estimator.design_rms_
    coef = np.where(sizes < threshold * sizes.max(initial=0.0), 0.0, coef)
    coefficients = rationalize(coef, estimator.design_rms_, tolerance, max_denominator)
    invariants = [sympy.Symbol(name) for name in structure.invariant_names]
    bases = {kind: structure.symbolic_basis(kind, explicit) for kind in structure.kinds}
    expansion = estimator.expansion_
    # terms[slot][owner][element]: the scalar terms of the coefficient of one basis element
    terms = [
        [[[] for _ in bases[slot.kind]] for _ in range(expansion.particles if slot.per_particle else 1)]
        for slot in expansion.outputs
    ]
    for index, (block, slot_index, p, k) in enumerate(design_columns(estimator, structure)):
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


def design_columns(estimator, structure):
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


class TermStructure:
    """How the terms of an expansion's blocks read in the global invariants and bases.

    Every invariant of a term (one particle, or an ordered pair, with the global slots) is
    one invariant of all the vectors up to sign, and every basis element of a term one
    global basis element up to sign; both maps are read off numerically at random inputs,
    so they hold for any group whose invariants are polynomials of the vectors.
    """

    def __init__(self, expansion, names=None):
        self.expansion, self.names = expansion, names
        base, layout = expansion.base, expansion.layout
        probe = probe_inputs(expansion)
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


def probe_inputs(expansion, n=6, seed=0):
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
