"""scikit-learn transformers that turn flat rows of scalars and vectors into invariants."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from scalars.groups import Orthogonal, get_group
from scalars.layout import Layout
from scalars.units import UnitsError, column_units, dimension_exponents, invariant_units

__all__ = ["InvariantFeatures"]


def resolve_group_and_layout(group, layout, n_features):
    """The group and layout an estimator uses for ``n_features`` flat columns.

    ``group=None`` means O(d), with ``d`` the vector dimension that makes ``layout`` fit
    ``n_features`` columns; ``layout=None`` means every column belongs to a vector, so
    both None is O(n_features) acting on the whole row as one vector.

    Raises
    ------
    ValueError
        If the group name is unknown, if the layout does not describe ``n_features``
        columns, or if ``group=None`` and no vector dimension fits.
    """
    layout = None if layout is None else Layout.parse(layout)
    group = _default_group(layout, n_features) if group is None else get_group(group)
    if layout is None:
        if n_features % group.n_columns:
            raise ValueError(
                f"X has {n_features} columns, which is not a whole number of "
                f"{group.n_columns}-column vectors for {group.name}; pass layout= "
                "(e.g. '2T0+3T1') to say which columns are scalars"
            )
        layout = Layout.vectors(n_features // group.n_columns)
    layout.check_n_features(n_features, group.n_columns)
    return group, layout


def _default_group(layout, n_features):
    """O(d) for the one ``d`` with ``layout.n_features(d) == n_features``."""
    if layout is None or layout.n_vectors == 0:
        return Orthogonal(n_features)
    d, remainder = divmod(n_features - layout.n_scalars, layout.n_vectors)
    if d < 1 or remainder:
        raise ValueError(
            f"layout '{layout}' has {layout.n_scalars} scalars and {layout.n_vectors} "
            f"vectors, so X needs {layout.n_scalars} + d * {layout.n_vectors} columns for a "
            f"vector dimension d, but X has {n_features}"
        )
    return Orthogonal(d)


def split_columns(X, group, layout):
    """Scalars (n_samples, n_scalars) and group vectors (n_samples, n_vectors, d) of flat X."""
    scalars, columns = layout.split(X, group.n_columns)
    return scalars, group.vectors_from_columns(columns)


class InvariantFeatures(TransformerMixin, BaseEstimator):
    """Invariant scalars of rows made of scalars and vectors.

    Each row of ``X`` is read, according to ``layout``, as scalars and vectors acted on by
    ``group``. The output is the scalars, which are invariant already, followed by the
    invariants of the vectors (see :mod:`scalars.groups`): for O(d) the Gram entries
    ``<v_i, v_j>``, ``i <= j``; SO(d) adds ``det(v_i1, ..., v_id)``; O(1,d) uses Minkowski
    products; Sp(2m) symplectic products; U(d) real and imaginary Hermitian products. Any
    function of the output is invariant; by the first fundamental theorem every invariant
    function (polynomial, and continuous for O(d)) of the vectors is a function of these.

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
        and ``v0, v1, ...`` for the vectors.

    Attributes
    ----------
    group_ : Group
        The group acting on the vectors.
    layout_ : Layout
        The column layout.
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

    def __init__(self, group=None, layout=None, names=None):
        self.group = group
        self.layout = layout
        self.names = names

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
        self.n_output_features_ = self.layout_.n_scalars + self.group_.n_invariants(
            self.layout_.n_vectors
        )
        return self

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
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        scalars, vectors = split_columns(X, self.group_, self.layout_)
        invariants = self.group_.invariants(vectors).astype(X.dtype, copy=False)
        return np.concatenate([scalars, invariants], axis=1)

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
        check_is_fitted(self)
        scalar_names, vector_names = self._slot_names(input_features)
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
        check_is_fitted(self)
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
            scalar_columns, _ = self.layout_.column_indices(self.group_.n_columns)
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
