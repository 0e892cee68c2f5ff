"""scikit-learn transformers that turn flat rows of scalars and vectors into invariants."""

import warnings
from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_feature_names_in, check_array, check_is_fitted, validate_data

from scalars.expansion import EquivariantExpansion
from scalars.monomials import exponents, monomial_names, monomials
from scalars.groups import Euclidean, Group, Orthogonal, SpecialOrthogonal, invariant_degrees
from scalars.invariants import determinants, gram_upper_flat, pair_indices
from scalars.layout import column_width, resolve_group_and_layout, split_columns
from scalars.reps import rep

__all__ = ["InvariantFeatures", "lengths_and_cosines", "kernel_basis"]


def _in_place_path(group):
    """``(metric, with_determinants)`` if ``group``'s invariants are Gram entries of a diagonal
    metric (then, for SO(d), determinants), which :func:`gram_upper_flat` reads in place from
    the flat columns; None for any other group (or a subclass that changes them)."""
    invariants = type(group).invariants
    if invariants not in (Orthogonal.invariants, SpecialOrthogonal.invariants):
        return None
    if type(group).vectors_from_columns is not Group.vectors_from_columns or np.ndim(group.metric) > 1:
        return None
    return group.metric, invariants is SpecialOrthogonal.invariants


class InvariantFeatures(TransformerMixin, BaseEstimator):
    """Invariant scalars of rows made of scalars and vectors.

    Each row of ``X`` is read, according to ``layout``, as scalars and vectors acted on by
    ``group``. The output is the scalars, which are invariant already, followed by the
    invariants of the vectors (see :mod:`scalars.groups`): for O(d) the Gram entries
    ``<v_i, v_j>``, ``i <= j``; SO(d) adds ``det(v_i1, ..., v_id)``; O(1,d) uses Minkowski
    products; Sp(2m) symplectic products; U(d) real and imaginary Hermitian products. Any
    function of the output is invariant; by the first fundamental theorem every invariant
    function (polynomial, and continuous for O(d)) of the vectors is a function of these.

    Under E(d) and SE(d) the points (``P`` in the layout) are first centred on their
    centroid ``c`` (names such as ``<x0-c,x1-c>``). Under ``S(k) x G`` (interchangeable
    particles, see :class:`scalars.EquivariantRegressor` for how a layout splits) the
    output is the power sums ``sum_i m(z_i)`` of the monomials ``m`` of degree 1 to
    ``degree`` of each particle's invariants ``z_i`` (its scalars, the global scalars and
    the invariants of its and the global vectors), then ``sum_{i != j} m(z_ij)`` over
    ordered pairs for the monomials that involve both particles. These are invariant
    under both groups, but only generating for small enough ``k`` and high enough
    ``degree``: treat them as features, not as a complete set.

    Parameters
    ----------
    group : str or Group, default=None
        ``"O(3)"``, ``"SO(3)"``, ``"O(1,3)"``, ``"Sp(4)"``, ``"U(2)"``, ... None means
        O(d), with ``d`` fixed by the layout and the number of columns; without a layout,
        O(n_features) acting on each row as one vector (the invariant is its squared norm).
    layout : str or Layout, default=None
        Column layout such as ``"2T0+3T1"`` (two scalars then three vectors). A vector
        takes ``group.n_columns`` consecutive columns (``d``, or ``2d`` for U(d): real parts
        then imaginary parts). None means every column belongs to a vector.
    names : sequence of str, default=None
        Distinct names of the layout's slots in order, used in the output feature names.
        Default: the input column names of the scalars (``s0, s1, ...`` when X has none)
        and ``v0, v1, ...`` for the vectors. Under ``S(k) x G`` the names are
        ``s0_i, v0_i, ...`` per particle.
    degree : int, default=2
        Largest degree of the monomials summed over particles; only for ``S(k) x G``.

    Attributes
    ----------
    group_ : Group
        The group acting on the vectors.
    expansion_ : EquivariantExpansion
        How the columns split into particles and terms.
    layout_ : Layout
        The column layout.
    rep_in_, rep_out_ : Rep
        The representations on the input columns and on the (invariant) output columns;
        ``rep_out_`` is None when there are no output columns.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names, when X is a DataFrame with string column names.
    n_output_features_ : int
        Number of output columns: scalars plus invariants.

    Examples
    --------
    >>> import numpy as np
    >>> from scalars import InvariantFeatures
    >>> X = np.array([[2.0, 1.0, 0.0, 0.0, 0.0, 3.0, 0.0]])
    >>> features = InvariantFeatures(group="O(3)", layout="T0+2T1").fit(X)
    >>> features.transform(X)
    array([[2., 1., 0., 9.]])
    >>> features.get_feature_names_out().tolist()
    ['s0', '<v0,v0>', '<v0,v1>', '<v1,v1>']
    """

    _parameter_constraints = {
        # str or object: the group and layout are checked when they are resolved
        "group": "no_validation",
        "layout": "no_validation",
        "names": ["array-like", None],
        "degree": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, group=None, layout=None, names=None, degree=2):
        self.group = group
        self.layout = layout
        self.names = names
        self.degree = degree

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check X against the group and layout.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self.group_, self.layout_ = resolve_group_and_layout(self.group, self.layout, X.shape[1])
        if self.names is not None:
            _check_slot_names(self.names, self.layout_)
        self.expansion_ = EquivariantExpansion(self.group_, self.layout_)
        self.n_output_features_ = len(self.get_feature_names_out())
        self.rep_in_ = self.expansion_.rep_in
        n = self.n_output_features_
        self.rep_out_ = rep(f"{n}T0", self.group_) if n else None  # some layouts have no invariants (one vector of Sp)
        return self

    def _plain(self):
        """Whether the features are the scalars and the group invariants of the vectors as they are."""
        points = isinstance(self.group_, Euclidean) and self.layout_.is_point.any()
        return not points and self.expansion_.particles is None

    def transform(self, X):
        """Compute the invariants.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_output_features_)
            The scalars, then the invariants of the vectors; same float dtype as X.
        """
        check_is_fitted(self)
        path = _in_place_path(self.group_) if self._plain() else None
        # The compiled path checks for NaN and infinity on its one pass: X is not read twice.
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False, ensure_all_finite=path is None)
        if not self._plain():
            return self._in_range(self._expanded_features(X).astype(X.dtype, copy=False))
        if path is None:
            scalars, vectors = split_columns(X, self.group_, self.layout_)
            invariants = self.group_.invariants(vectors).astype(X.dtype, copy=False)
            return self._in_range(np.concatenate([scalars, invariants], axis=1))
        # One compiled pass writes the scalars and the Gram entries straight into the output.
        metric, with_determinants = path
        scalar_columns, vector_columns = self.layout_.column_indices(self.group_.d)
        out = np.empty((X.shape[0], self.n_output_features_), X.dtype)
        check_finite = not get_config()["assume_finite"]
        gram_upper_flat(
            X, vector_columns[:, 0], self.group_.d, metric, scalar_columns, out=out, check_finite=check_finite
        )
        if with_determinants:  # SO(d): the d x d determinants follow the Gram entries
            n = self.layout_.n_vectors
            out[:, len(scalar_columns) + n * (n + 1) // 2 :] = determinants(X[:, vector_columns])
        return out

    def _in_range(self, features):
        """``features`` of finite X, or a ValueError naming the first invariant that overflows."""
        if get_config()["assume_finite"]:  # X unchecked too: NaN in X may give NaN features
            return features
        bad = ~np.isfinite(features)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(
                f"the invariant {self.get_feature_names_out()[column]} overflows {features.dtype} in "
                f"sample {row} of X, although X is finite: rescale X (high-degree invariants of "
                f"{self.group_.name} grow like |X| to their degree)"
            )
        return features

    def _expanded_features(self, X):
        """Points centred (E(d)); for particles, power sums over particles and ordered pairs."""
        blocks = self.expansion_.blocks(X)
        if self.expansion_.particles is None:
            return blocks[0][0][:, 0]
        sums = [  # a block with no monomials (the pairs, when every slot is global) adds no columns
            monomials(np.swapaxes(invariants, -1, -2), powers).sum(-1) if len(powers) else np.zeros((len(X), 0))
            for (invariants, _), powers in zip(blocks, self._powers())
        ]
        return np.concatenate(sums, axis=1)

    def _powers(self):
        """Exponents of the monomials summed over particles, and over ordered pairs ``(i, j)``.

        All monomials of degree 1 to ``degree`` of a particle's invariants; for pairs, those
        that involve both particles (the others are sums over single particles already).
        """
        expansion = self.expansion_
        singles = exponents(len(expansion.invariant_names()[0]), range(1, self.degree + 1))
        if expansion.particles == 1:
            return [singles]
        ranks = np.array(self.layout_.ranks)
        owners = self.layout_.particle_of(expansion.particles)
        p, q = np.sum(owners[ranks == 0] == 0), np.sum(owners[ranks == 1] == 0)
        shared_s, shared_v = np.sum(owners[ranks == 0] < 0), np.sum(owners[ranks == 1] < 0)
        degrees = invariant_degrees(expansion.linear, 2 * q + shared_v) if 2 * q + shared_v else np.zeros((0, 0))
        no_scalars = np.zeros(shared_s, dtype=bool)
        touches = [
            np.concatenate([np.arange(2 * p) < p, no_scalars, degrees[:, :q].sum(1) > 0]),
            np.concatenate([np.arange(2 * p) >= p, no_scalars, degrees[:, q : 2 * q].sum(1) > 0]),
        ]
        pairs = exponents(len(touches[0]), range(1, self.degree + 1))
        both = (pairs[:, touches[0]] > 0).any(1) & (pairs[:, touches[1]] > 0).any(1)
        return [singles, pairs[both]]

    def get_feature_names_out(self, input_features=None):
        """Output names: scalar names, then names such as ``<v0,v1>`` and ``det(v0,v1,v2)``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the input columns; must match ``feature_names_in_`` when X had
            column names. Without ``names``, the scalars take their column's name and
            the vectors are ``v0, v1, ...``; with neither, the scalars are ``s0, s1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (n_output_features_,)
        """
        check_is_fitted(self, "expansion_")
        scalar_names, vector_names = self._slot_names(input_features)
        if self.expansion_.particles is not None:
            templates = ("sum_i({})", "sum_i!=j({})")
            names = [
                template.format(name)
                for template, variables, powers in zip(templates, self.expansion_.invariant_names(), self._powers())
                for name in monomial_names(powers, variables)
            ]
            return np.asarray(names, dtype=object)
        if isinstance(self.group_, Euclidean):
            vector_names = [f"{name}-c" if point else name for name, point in zip(vector_names, self.layout_.is_point)]
        invariants = self.group_.invariant_names(vector_names)
        return np.asarray([*scalar_names, *invariants], dtype=object)

    def get_feature_units_out(self, input_units, registry=None):
        """Units of the output features, in the order of :meth:`get_feature_names_out`.

        A scalar keeps its units; an invariant of vectors carries the product of their
        units to its degree in each (``<q,p>`` is a length times a momentum), as
        worked out by :func:`scalars.units.invariant_units`. Pass the result as
        ``units=`` to :class:`scalars.DimensionlessFeatures` after this transformer.

        Parameters
        ----------
        input_units : sequence or dict
            Units of the input columns, one per column as in
            :class:`scalars.DimensionlessFeatures` (a dict is keyed by column name),
            so the same list serves :func:`scalars.testing.assert_units_equivariant`.
            All columns of a vector must have the same units.
        registry : pint.UnitRegistry, default=None
            Registry that parses unit strings.

        Returns
        -------
        feature_units_out : list of dict of str to int, length n_output_features_
            Dimension exponents of each output feature, e.g. ``{"[length]": 2}``.

        Raises
        ------
        UnitsError
            If the columns of one vector have different units.
        """
        from scalars.units import UnitsError, column_units, dimension_exponents, invariant_units

        check_is_fitted(self)
        if self.expansion_.particles is not None:
            raise NotImplementedError(
                f"get_feature_units_out: the power sums of {self.group_.name} have no units "
                "worked out yet; use the features of a single particle's group"
            )
        units = column_units(
            input_units, self.n_features_in_, getattr(self, "feature_names_in_", None)
        )
        columns = [dimension_exponents(unit, registry) for unit in units]
        scalar_columns, vector_columns = self.layout_.column_indices(self.group_.n_columns)
        for vector in vector_columns:
            if any(columns[i] != columns[vector[0]] for i in vector):
                names = _check_feature_names_in(self, None)[vector].tolist()
                raise UnitsError(
                    f"Columns {names} form one vector but have different units "
                    f"{[units[i] for i in vector]}."
                )
        slot_starts = np.sort(np.concatenate([scalar_columns, vector_columns[:, 0]]))
        return invariant_units(self.group_, self.layout_, [columns[i] for i in slot_starts], registry)

    def _slot_names(self, input_features):
        """Names of the scalar slots and of the vector slots."""
        columns = _check_feature_names_in(self, input_features, generate_names=False)
        if self.names is not None:
            ranks = np.asarray(self.layout_.ranks)
            names = np.asarray(self.names, dtype=object)
            return [str(n) for n in names[ranks == 0]], [str(n) for n in names[ranks == 1]]
        scalar_names, vector_names = self.layout_.names()
        if columns is not None:
            scalar_columns, _ = self.layout_.column_indices(column_width(self.group_))
            scalar_names = [str(name) for name in columns[scalar_columns]]
        return scalar_names, vector_names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _check_slot_names(names, layout):
    names = list(names)
    if len(names) != len(layout.ranks):
        raise ValueError(
            f"names has {len(names)} entries but layout '{layout}' has "
            f"{len(layout.ranks)} slots"
        )
    repeated = sorted({str(name) for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"names must be distinct; {repeated} appear more than once")


def lengths_and_cosines(gram_entries):
    """Lengths of vectors and cosines of the angles between them, from their Gram entries.

    Angles and lengths separate what dot products mix: a function of the shape of a set
    of vectors (such as ``<x1, x2> / (|x1| |x2|)``) is then a function of the cosines
    alone, which suits kernels with one length scale per feature (:func:`kernel_basis`).

    Parameters
    ----------
    gram_entries : array-like of shape (n_samples, n * (n + 1) / 2)
        The products ``<v_i, v_j>``, ``i <= j``, of ``n`` Euclidean vectors in the order of
        :class:`InvariantFeatures` (``<v0,v0>, <v0,v1>, ..., <v1,v1>, ...``).

    Returns
    -------
    ndarray of shape (n_samples, n * (n + 1) / 2)
        The lengths ``|v_i|``, then the cosines ``<v_i, v_j> / (|v_i| |v_j|)``, ``i < j``
        (0 where a vector is zero).

    Raises
    ------
    ValueError
        If the number of columns is not ``n (n + 1) / 2`` for any ``n``, or a squared
        length ``<v_i, v_i>`` is negative.

    Examples
    --------
    >>> from scalars.preprocessing import lengths_and_cosines
    >>> lengths_and_cosines([[9.0, 3.0, 4.0]])   # |v0| = 3, |v1| = 2, <v0, v1> = 3
    array([[3. , 2. , 0.5]])
    """
    gram_entries = check_array(gram_entries, dtype=[np.float64, np.float32])
    n_entries = gram_entries.shape[1]
    n_vectors = int(round((np.sqrt(8 * n_entries + 1) - 1) / 2))
    if n_vectors * (n_vectors + 1) // 2 != n_entries:
        raise ValueError(
            f"gram_entries has {n_entries} columns, which is not n (n + 1) / 2 Gram entries of n vectors for any n"
        )
    rows, cols = pair_indices(n_vectors)
    squared = gram_entries[:, rows == cols]
    if np.any(squared < 0):
        raise ValueError("gram_entries has a negative squared length <v_i, v_i>: these are not Euclidean Gram entries")
    lengths = np.sqrt(squared)
    off = rows != cols
    safe = np.where(lengths > 0, lengths, 1.0)
    cosines = gram_entries[:, off] / (safe[:, rows[off]] * safe[:, cols[off]])
    return np.concatenate([lengths, cosines], axis=1)


def kernel_basis(X, y, group=None, layout=None, *, n_components=1000, max_samples=400, random_state=None):
    """A kernel basis of the invariants, tuned to the data, for :class:`~scalars.EquivariantRegressor`.

    The basis maps Gram entries to :func:`lengths_and_cosines` and then to Nystroem
    features of an RBF kernel with one length scale per length and cosine. The length
    scales maximise the marginal likelihood of a Gaussian process (constant times RBF
    plus white noise, two restarts) fitted to the first ``max_samples`` samples; for a
    smooth target that is not a polynomial in the invariants this is far more accurate
    than a polynomial basis.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training inputs: vectors only, no scalar columns.
    y : array-like of shape (n_samples,)
        Training targets.
    group, layout : default=None
        As for :class:`InvariantFeatures`; the invariants must be Gram entries (O(d), or
        SO(d) with fewer than ``d`` vectors).
    n_components : int, default=1000
        Largest number of Nystroem components; at most ``n_samples`` are used.
    max_samples : int, default=400
        Samples for the Gaussian-process fit (its cost grows as the cube).
    random_state : int, RandomState instance or None, default=None
        Seeds the restarts of the Gaussian-process fit and the Nystroem components.

    Returns
    -------
    Pipeline
        Unfitted: pass it as ``basis=`` (it is cloned and fitted per block of terms).

    Raises
    ------
    ValueError
        If the layout has scalars, or the invariants are not Gram entries.

    Examples
    --------
    >>> from scalars import EquivariantRegressor
    >>> from scalars.datasets import O5Synthetic
    >>> from scalars.preprocessing import kernel_basis
    >>> train = O5Synthetic(100, seed=0)
    >>> basis = kernel_basis(train.X, train.y, "O(5)", "2T1", random_state=0)
    >>> model = EquivariantRegressor("O(5)", "2T1", basis=basis).fit(train.X, train.y)
    >>> test = O5Synthetic(1000, seed=1)
    >>> bool(((model.predict(test.X) - test.y) ** 2).mean() < 1e-3)
    True
    """
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.kernel_approximation import Nystroem
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = check_array(X), np.asarray(y)
    subset = slice(0, min(len(X), max_samples))
    invariants = InvariantFeatures(group, layout).fit(X[subset])
    if invariants.layout_.n_scalars:
        raise ValueError(f"kernel_basis needs a layout of vectors only, got '{invariants.layout_}'")
    Z = lengths_and_cosines(invariants.transform(X[subset]))
    prior = ConstantKernel() * RBF(np.ones(Z.shape[1]), (1e-2, 1e4)) + WhiteKernel(1e-6, (1e-12, 1e-1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # length scales at their bounds are expected, not a failure
        process = GaussianProcessRegressor(prior, normalize_y=True, n_restarts_optimizer=2, random_state=random_state)
        process.fit(Z, y[subset])
    return make_pipeline(
        FunctionTransformer(lengths_and_cosines),
        Nystroem(kernel=process.kernel_.k1.k2, n_components=min(len(X), n_components), random_state=random_state),
    )
