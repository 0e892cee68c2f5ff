"""Column layouts: which columns of a flat feature matrix are scalars, vectors and points.

A layout string names the columns of ``X`` in order as a sum of terms ``<count><kind>``:
``"5T0+5T1"`` is five scalars followed by five vectors, ``"T1+2T0+T1"`` is a vector, two
scalars and another vector, ``"5T0+5P+5T1"`` marks five points (positions, which E(d)
translates) before five free vectors. A vector takes ``d`` consecutive columns, where
``d`` is the dimension the group acts on, so the layout alone does not fix
``n_features``. The same terms, plus tensors ``T2`` and ``T(p,q)``, name representations
in :func:`scalars.reps.rep`; a :class:`Layout` is the scalars-and-vectors view of one.

Under a group of interchangeable particles ``S(k) x G`` a term whose count is a multiple
of ``k`` holds the same number of slots for each particle, particle by particle; any
other term holds global slots shared by all particles (see :meth:`Layout.particle_of`).

:func:`resolve_group_and_layout` is how every estimator reads its ``group`` and ``layout``
parameters for a given number of columns, and :func:`split_columns` splits flat rows into
scalars and the group's vectors. The strings are parsed by :mod:`scalars.reps.layouts`,
the one parser.
"""

from dataclasses import dataclass

import numpy as np

from scalars.groups import Orthogonal, ProductGroup, get_group
from scalars.reps import ProductRep
from scalars.reps.layouts import parse_terms, per_particle, slots

__all__ = ["Layout", "parse_terms", "resolve_group_and_layout", "column_width", "split_columns"]

_KINDS = {(0, 0): "T0", (1, 0): "T1"}


@dataclass(frozen=True)
class Layout:
    """An ordered sequence of terms of scalar (``T0``), vector (``T1``) and point (``P``) slots.

    Parameters
    ----------
    terms : tuple of (int, str)
        ``(count, kind)`` in column order, ``kind`` one of ``"T0"``, ``"T1"``, ``"P"``.
    """

    terms: tuple

    @classmethod
    def parse(cls, spec):
        """Build a layout from a string such as ``"5T0+5T1"`` or return ``spec`` if it is one.

        Raises
        ------
        ValueError
            If a term is not of the form ``<count>T0``, ``<count>T1`` or ``<count>P``.
        """
        if isinstance(spec, Layout):
            return spec
        if not isinstance(spec, str) and hasattr(spec, "bind"):  # a Rep
            return cls.from_rep(spec)
        terms = []
        for count, kind in parse_terms(spec):
            if kind != "P" and kind not in _KINDS:
                raise ValueError(
                    f"layout {spec!r}: the term {count}T{kind} is a tensor, but a layout holds "
                    "scalars '<count>T0', vectors '<count>T1' and points '<count>P' (tensors are "
                    "representations: scalars.reps.rep)"
                )
            terms.append((count, "P" if kind == "P" else _KINDS[kind]))
        return cls(tuple(terms))

    @classmethod
    def from_rep(cls, rep):
        """The scalars-and-vectors view of a representation's columns (:func:`scalars.reps.slots`).

        Raises
        ------
        ValueError
            If a slot is a tensor, or a term mixes kinds: a layout holds terms of scalars,
            vectors or points.
        """
        terms = []
        for part in getattr(rep, "reps", (rep,)):  # a term per part: a particle term stays whole
            kinds = {slot.kind for slot in slots(part)}
            tensors = sorted(kinds - {"T0", "T1", "P"})
            if tensors or len(kinds) > 1:
                raise ValueError(
                    f"the representation {rep} has a part {part} that is not one kind of slot "
                    f"(scalars T0, vectors T1, points P): a layout cannot describe it"
                )
            count, kind = len(slots(part)), kinds.pop()
            single = not isinstance(part, ProductRep)  # a lone scalar, vector or point merges with its neighbours
            if single and terms and terms[-1][1] == kind and terms[-1][2]:
                terms[-1] = (terms[-1][0] + count, kind, True)
            else:
                terms.append((count, kind, single))
        return cls(tuple((count, kind) for count, kind, _ in terms))

    @classmethod
    def from_ranks(cls, ranks):
        """A layout of one slot per rank (0 a scalar, 1 a vector), in column order."""
        return cls(tuple((1, "T1" if rank else "T0") for rank in ranks))

    @classmethod
    def vectors(cls, n_vectors):
        """A layout of ``n_vectors`` vectors and no scalars."""
        return cls(((n_vectors, "T1"),))

    @property
    def kinds(self):
        """Kind of each slot in column order: ``"T0"``, ``"T1"`` or ``"P"``."""
        return tuple(kind for count, kind in self.terms for _ in range(count))

    @property
    def ranks(self):
        """Rank of each slot in column order: 0 for a scalar, 1 for a vector or point."""
        return tuple(0 if kind == "T0" else 1 for kind in self.kinds)

    @property
    def n_scalars(self):
        return self.ranks.count(0)

    @property
    def n_vectors(self):
        """Number of vector slots, points included."""
        return self.ranks.count(1)

    @property
    def is_point(self):
        """Boolean array (n_vectors,): which vector slots are points."""
        return np.array([kind == "P" for kind in self.kinds if kind != "T0"], dtype=bool)

    def __str__(self):
        return "+".join(f"{count}{kind}" for count, kind in self.terms)

    def n_features(self, d):
        """Number of flat columns when vectors have ``d`` components."""
        return self.n_scalars + d * self.n_vectors

    def column_indices(self, d):
        """Column indices of the scalars, shape (n_scalars,), and of the vectors, (n_vectors, d)."""
        ranks = np.array(self.ranks, dtype=int)
        widths = np.where(ranks == 0, 1, d)
        starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.intp)
        scalar_columns = starts[ranks == 0]
        vector_columns = starts[ranks == 1, None] + np.arange(d)
        return scalar_columns, vector_columns.reshape(-1, d)

    def check_n_features(self, n_features, d):
        """Raise a ValueError naming the layout if it does not describe ``n_features`` columns."""
        expected = self.n_features(d)
        if n_features != expected:
            raise ValueError(
                f"layout '{self}' with {d}-dimensional vectors describes {expected} columns "
                f"({self.n_scalars} scalars + {self.n_vectors} x {d}), but X has {n_features}"
            )

    def split(self, X, d):
        """Split flat rows into scalars and vectors.

        Parameters
        ----------
        X : array of shape (..., n_features)
            numpy array or torch tensor.
        d : int
            Dimension of each vector.

        Returns
        -------
        scalars : array of shape (..., n_scalars)
        vectors : array of shape (..., n_vectors, d)
            Points included, in slot order.
        """
        self.check_n_features(X.shape[-1], d)
        scalar_columns, vector_columns = self.column_indices(d)
        if not isinstance(X, np.ndarray):  # torch tensors index with tensors of the same device
            import torch

            scalar_columns = torch.as_tensor(scalar_columns, device=X.device)
            vector_columns = torch.as_tensor(vector_columns, device=X.device)
        return X[..., scalar_columns], X[..., vector_columns]

    def names(self, scalar_prefix="s", vector_prefix="v"):
        """Default names ``s0, s1, ...`` for the scalars and ``v0, v1, ...`` for the vectors."""
        return (
            [f"{scalar_prefix}{i}" for i in range(self.n_scalars)],
            [f"{vector_prefix}{i}" for i in range(self.n_vectors)],
        )

    def particle_of(self, k):
        """Particle of each slot for ``k`` interchangeable particles, -1 for a global slot.

        A term whose count is a multiple of ``k`` gives each particle ``count / k`` slots,
        particle 0 first; any other term is global.

        Returns
        -------
        ndarray of int, shape (n_slots,)
        """
        owners = []
        for count, _ in self.terms:
            if per_particle(count, k):
                owners.extend(np.repeat(np.arange(k), count // k))
            else:
                owners.extend([-1] * count)
        return np.array(owners, dtype=int)


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
    width = column_width(group)
    if layout is None:
        if n_features % width:
            raise ValueError(
                f"X has {n_features} columns, which is not a whole number of "
                f"{width}-column vectors for {group.name}; pass layout= "
                "(e.g. '2T0+3T1') to say which columns are scalars"
            )
        layout = Layout.vectors(n_features // width)
    layout.check_n_features(n_features, width)
    return group, layout


def column_width(group):
    """Columns one vector of a layout takes: ``n_columns`` of ``G`` for ``G`` or ``S(k) x G``.

    Raises
    ------
    ValueError
        For a product that is not of the form ``S(k) x G``.
    """
    if isinstance(group, ProductGroup):
        if group.particles is None:
            raise ValueError(
                f"group {group.name}: layouts are read under G or S(k) x G (interchangeable "
                "particles), not under other products"
            )
        return group.base.n_columns
    return group.n_columns


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
