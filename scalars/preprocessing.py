"""scikit-learn transformers that turn flat rows of scalars and vectors into invariants."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from scalars.groups import Orthogonal, get_group
from scalars.layout import Layout

__all__ = ["InvariantFeatures"]


def resolve_group_and_layout(group, layout, n_features):
    """The group and layout an estimator uses for ``n_features`` flat columns.

    ``group=None`` means O(n_features) acting on the whole row as one vector; ``layout=None``
    means every column belongs to a vector.

    Raises
    ------
    ValueError
        If the group name is unknown or the layout does not describe ``n_features`` columns.
    """
    group = Orthogonal(n_features) if group is None else get_group(group)
    if layout is None:
        if n_features % group.n_columns:
            raise ValueError(
                f"X has {n_features} columns, which is not a whole number of "
                f"{group.n_columns}-column vectors for {group.name}; pass layout= "
                "(e.g. '2T0+3T1') to say which columns are scalars"
            )
        layout = Layout.vectors(n_features // group.n_columns)
    layout = Layout.parse(layout)
    layout.check_n_features(n_features, group.n_columns)
    return group, layout


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
        O(n_features) acting on each row as one vector (the invariant is its squared norm).
    layout : str or Layout, default=None
        Column layout such as ``"2T0+3T1"`` (two scalars then three vectors). A vector
        takes ``group.n_columns`` consecutive columns (``d``, or ``2d`` for U(d): real parts
        then imaginary parts). None means every column belongs to a vector.
    names : list of str, default=None
        Names of the layout's slots in order, used in the output feature names. Default:
        the DataFrame column names of the scalars (``s0, s1, ...`` for an array) and
        ``v0, v1, ...`` for the vectors.

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
        self._scalar_names, self._vector_names = self._slot_names()
        self.n_output_features_ = len(self._scalar_names) + self.group_.n_invariants(
            self.layout_.n_vectors
        )
        return self

    def _slot_names(self):
        if self.names is None:
            scalar_names, vector_names = self.layout_.names()
            if hasattr(self, "feature_names_in_"):
                scalar_columns, _ = self.layout_.column_indices(self.group_.n_columns)
                scalar_names = [str(name) for name in self.feature_names_in_[scalar_columns]]
            return scalar_names, vector_names
        names = list(self.names)
        if len(names) != len(self.layout_.ranks):
            raise ValueError(
                f"names has {len(names)} entries but layout '{self.layout_}' has "
                f"{len(self.layout_.ranks)} slots"
            )
        ranks = self.layout_.ranks
        return (
            [name for name, rank in zip(names, ranks) if rank == 0],
            [name for name, rank in zip(names, ranks) if rank == 1],
        )

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

        Returns
        -------
        ndarray of str of shape (n_output_features_,)
        """
        check_is_fitted(self)
        invariants = self.group_.invariant_names(self._vector_names)
        return np.asarray(self._scalar_names + invariants, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
