"""Equivariant outputs as sums of invariant coefficients times equivariant basis tensors.

Every model of this package predicts

    y(X) = sum_blocks sum_terms sum_k f_block,k(z_term) B_term,k

where ``z_term`` are the invariant scalars of one term, ``B_term,k`` the equivariant basis
of its vectors (the number 1, a vector or a symmetric tensor) and ``f_block`` one function
shared by all the terms of a block. Without particles there is a single block with a
single term: all the invariants and the whole basis. With ``particles=k`` the columns split
into k interchangeable particles; one block has a term per particle and a second block a
term per ordered pair ``(i, j)``, ``i != j``. Sums over particles and pairs make the model
invariant under permutations of the particles, and the shared functions make it fit from
few samples. The linear models (``f`` in a fixed basis) and the torch heads (``f`` an MLP)
both build on this module; arrays are numpy or torch alike.
"""

import numpy as np

from scalars import _backend
from scalars.groups import get_group
from scalars.layout import Layout

OUTPUTS = ("T0", "T1", "T2")


class EquivariantExpansion:
    """Blocks of (invariants, equivariant basis) for flat inputs.

    Parameters
    ----------
    group : str or Group
    layout : str or Layout
    output : {"T0", "T1", "T2"}
        Scalar, vector or symmetric rank-2 tensor output.
    particles : int or None
        Number of interchangeable particles the scalars and vectors split into, in order.

    Raises
    ------
    ValueError
        For an unknown output, or a layout whose scalars or vectors do not split evenly
        into ``particles``, or a vector or tensor output without input vectors.
    """

    def __init__(self, group, layout, output="T0", particles=None):
        self.group = get_group(group)
        self.layout = Layout.parse(layout)
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        self.output = output
        if output != "T0" and self.layout.n_vectors == 0:
            raise ValueError(f"output {output!r} needs input vectors, but layout '{self.layout}' has none")
        self.particles = particles
        if particles is not None:
            if int(particles) != particles or particles < 1:
                raise ValueError(f"particles must be a positive integer or None, got {particles!r}")
            if self.layout.n_scalars % particles or self.layout.n_vectors % particles:
                raise ValueError(
                    f"layout '{self.layout}' ({self.layout.n_scalars} scalars, "
                    f"{self.layout.n_vectors} vectors) does not split into {particles} particles"
                )

    @property
    def n_features(self):
        return self.layout.n_features(self.group.n_columns)

    @property
    def output_shape(self):
        """Shape of one output: () for T0, (d,) for T1, (d, d) for T2."""
        return {"T0": (), "T1": (self.group.d,), "T2": (self.group.d, self.group.d)}[self.output]

    def _particle_sizes(self):
        k = self.particles
        return k, self.layout.n_scalars // k, self.layout.n_vectors // k

    def _term(self, scalars, vectors):
        """Invariants (..., m) and basis (..., K, *output_shape) of one set of scalars and vectors."""
        parts = [scalars]
        if vectors.shape[-2]:
            parts.append(self.group.invariants(vectors))
        invariants = _backend.concatenate(parts, axis=-1)
        if self.output == "T0":
            basis = _backend.ones(tuple(invariants.shape[:-1]) + (1,), like=invariants)
        elif self.output == "T1":
            basis = self.group.vector_basis(vectors)
        else:
            basis = self.group.tensor_basis(vectors)
        return invariants, basis

    def blocks(self, X):
        """Split flat inputs into blocks of terms.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        list of (invariants, basis)
            ``invariants`` of shape (n_samples, n_terms, m) and ``basis`` of shape
            (n_samples, n_terms, K, *output_shape); ``m``, ``K`` and ``n_terms`` per block.
        """
        scalars, columns = self.layout.split(X, self.group.n_columns)
        vectors = self.group.vectors_from_columns(columns)
        if self.particles is None:
            invariants, basis = self._term(scalars, vectors)
            return [(invariants[:, None], basis[:, None])]
        k, p, q = self._particle_sizes()
        scalars = scalars.reshape(scalars.shape[0], k, p)
        vectors = vectors.reshape(vectors.shape[0], k, q, vectors.shape[-1])
        blocks = [self._term(scalars, vectors)]
        if k > 1:
            i, j = np.nonzero(~np.eye(k, dtype=bool))
            blocks.append(
                self._term(
                    _backend.concatenate([scalars[:, i], scalars[:, j]], axis=-1),
                    _backend.concatenate([vectors[:, i], vectors[:, j]], axis=-2),
                )
            )
        return blocks

    def invariant_names(self):
        """Names of the invariants of each block, with ``i`` and ``j`` for the particles."""
        scalar_names, vector_names = self.layout.names()
        if self.particles is None:
            return [self._term_names(scalar_names, vector_names)]
        k, p, q = self._particle_sizes()
        one = ([f"s{a}_i" for a in range(p)], [f"v{a}_i" for a in range(q)])
        names = [self._term_names(*one)]
        if k > 1:
            two = ([f"s{a}_{b}" for b in "ij" for a in range(p)], [f"v{a}_{b}" for b in "ij" for a in range(q)])
            names.append(self._term_names(*two))
        return names

    def _term_names(self, scalar_names, vector_names):
        return list(scalar_names) + (self.group.invariant_names(vector_names) if vector_names else [])

    def combine(self, coefficients, basis):
        """``sum_terms sum_k coefficients[..., t, k] * basis[..., t, k, ...]``.

        Parameters
        ----------
        coefficients : array of shape (n_samples, n_terms, K)
        basis : array of shape (n_samples, n_terms, K, *output_shape)

        Returns
        -------
        array of shape (n_samples, *output_shape)
        """
        weights = coefficients.reshape(tuple(coefficients.shape) + (1,) * len(self.output_shape))
        return (weights * basis).sum(axis=(1, 2)) if isinstance(basis, np.ndarray) else (weights * basis).sum(dim=(1, 2))

    def to_columns(self, outputs):
        """Outputs (..., *output_shape) as real columns (..., n_output_columns)."""
        if self.output == "T0":
            return outputs[..., None]
        if self.output == "T1":
            return self.group.columns_from_vectors(outputs)
        return outputs.reshape(tuple(outputs.shape[:-2]) + (-1,))

    @property
    def n_output_columns(self):
        return {"T0": 1, "T1": self.group.n_columns, "T2": self.group.d**2}[self.output]
