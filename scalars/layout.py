"""Column layouts: which columns of a flat feature matrix are scalars and which are vectors.

A layout string names the columns of ``X`` in order as a sum of terms ``<count>T<rank>``:
``"5T0+5T1"`` is five scalars followed by five vectors, ``"T1+2T0+T1"`` is a vector, two
scalars and another vector. A vector takes ``d`` consecutive columns, where ``d`` is the
dimension the group acts on, so the layout alone does not fix ``n_features``.
"""

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["Layout"]

_TERM = re.compile(r"^\s*(\d*)\s*[Tt]\s*([01])\s*$")


@dataclass(frozen=True)
class Layout:
    """An ordered sequence of scalar (rank 0) and vector (rank 1) slots.

    Parameters
    ----------
    ranks : tuple of int
        Rank of each slot in column order, 0 for a scalar and 1 for a vector.
    """

    ranks: tuple

    @classmethod
    def parse(cls, spec):
        """Build a layout from a string such as ``"5T0+5T1"`` or return ``spec`` if it is one.

        Raises
        ------
        ValueError
            If a term is not of the form ``<count>T0`` or ``<count>T1``.
        """
        if isinstance(spec, Layout):
            return spec
        if not isinstance(spec, str) or not spec.strip():
            raise ValueError(f"layout must be a string such as '5T0+5T1', got {spec!r}")
        ranks = []
        for term in spec.split("+"):
            match = _TERM.match(term)
            if match is None:
                raise ValueError(
                    f"layout {spec!r}: term {term.strip()!r} is not of the form "
                    "'<count>T0' (scalars) or '<count>T1' (vectors)"
                )
            count = int(match.group(1)) if match.group(1) else 1
            ranks.extend([int(match.group(2))] * count)
        if not ranks:
            raise ValueError(f"layout {spec!r} has no columns")
        return cls(tuple(ranks))

    @classmethod
    def vectors(cls, n_vectors):
        """A layout of ``n_vectors`` vectors and no scalars."""
        return cls((1,) * n_vectors)

    @property
    def n_scalars(self):
        return self.ranks.count(0)

    @property
    def n_vectors(self):
        return self.ranks.count(1)

    def __str__(self):
        terms, previous, count = [], None, 0
        for rank in self.ranks + (None,):
            if rank != previous and previous is not None:
                terms.append(f"{count}T{previous}")
                count = 0
            previous, count = rank, count + 1
        return "+".join(terms)

    def n_features(self, d):
        """Number of flat columns when vectors have ``d`` components."""
        return self.n_scalars + d * self.n_vectors

    def column_indices(self, d):
        """Column indices of the scalars, shape (n_scalars,), and of the vectors, (n_vectors, d)."""
        widths = np.where(np.array(self.ranks) == 0, 1, d)
        starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
        ranks = np.array(self.ranks)
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
