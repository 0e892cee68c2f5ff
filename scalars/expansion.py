"""The equivariant expansion: the one source of invariant features, their names, and the
equivariant vector and tensor terms of every model.

Every model of this package predicts, for each output slot,

    y(X) = sum_blocks sum_terms sum_k f_block,k(z_term) B_term,k

where ``z_term`` are the invariant scalars of one term, ``B_term,k`` the equivariant basis
of its vectors (the number 1, a vector or a symmetric tensor) and ``f_block`` one function
shared by all the terms of a block. Without particles there is a single block with a
single term: all the invariants and the whole basis. Under ``S(k) x G`` (``particles=k``)
the slots split into ``k`` interchangeable particles and global slots (see
:meth:`scalars.layout.Layout.particle_of`); one block has a term per particle and a
second block a term per ordered pair ``(i, j)``, ``i != j``, each term with the global
slots too. Pairs are ordered: ``(i, j)`` and ``(j, i)`` are two terms, so a pair block
needs no symmetric function (this is the package's one pair convention; a feature of an
unordered pair is a sum of a feature over both orders). A global output sums over the terms, which makes it invariant under
permutations; a per-particle output (``"kT0"``, ``"kT1"``) gives particle ``i`` its own
term and the pairs ``(i, j)``, so it permutes with the particles. Under E(d) and SE(d)
the points are first centred on their centroid, and the linear group does the rest.
The linear models (``f`` in a fixed basis) and the torch heads (``f`` an MLP) both build
on this module; arrays are numpy or torch alike.
"""

import warnings
from dataclasses import dataclass

import numpy as np

from scalars import _backend
from scalars.groups import Euclidean, Orthogonal, Permutation, ProductGroup, get_group
from scalars.layout import Layout
from scalars.reps import parse_terms, per_particle, rep, slots

__all__ = ["EquivariantExpansion", "PhaseSpaceExpansion", "ParticleExpansion", "OutputSlot", "particle_group", "OUTPUTS", "PARTS"]

OUTPUTS = ("T0", "T1", "T2")
_OUTPUT_KINDS = {(0, 0): "T0", (1, 0): "T1", (2, 0): "T2"}


@dataclass(frozen=True)
class OutputSlot:
    """One output: a scalar, vector or symmetric tensor, global or one per particle."""

    kind: str
    per_particle: bool


def particle_group(group, particles=None):
    """``group``, or ``S(particles) x group``; checks that the two agree.

    Raises
    ------
    ValueError
        If ``particles`` is not a positive integer or disagrees with the group's.
    """
    group = get_group(group)
    if particles is None:
        return group
    if isinstance(particles, bool) or int(particles) != particles or particles < 1:
        raise ValueError(f"particles must be a positive integer or None, got {particles!r}")
    if getattr(group, "particles", None) is None:
        return ProductGroup(Permutation(int(particles)), group)
    if group.particles != particles:
        raise ValueError(f"particles={particles} but the group {group.name} permutes {group.particles}")
    return group


class EquivariantExpansion:
    """Blocks of (invariants, equivariant bases) for flat inputs.

    Parameters
    ----------
    group : str or Group
        Any group of :mod:`scalars.groups`; ``S(k) x G`` for interchangeable particles.
    layout : str, Layout or Rep
        The input columns (a Rep is read through :func:`scalars.reps.slots`).
    output : str, default="T0"
        ``"T0"``, ``"T1"``, ``"T2"`` (scalar, vector, symmetric rank-2 tensor: ``"T2"`` is
        always the symmetric one here, and ``"T(2,0)"`` is refused), sums such as
        ``"T0+T1"``, and with particles ``"kT0"``, ``"kT1"``, ``"kT2"``: one per particle.
    particles : int or None
        Number of interchangeable particles: the group becomes ``S(particles) x group``.

    Raises
    ------
    ValueError
        For an unknown output, a vector or tensor output without input vectors, a
        per-particle output without particles, or a group that is not of this form.
    """

    def __init__(self, group, layout, output="T0", particles=None):
        self.group = particle_group(group, particles)
        self.particles = getattr(self.group, "particles", None)
        base = self.group.base if self.particles else self.group
        if isinstance(base, ProductGroup):
            raise ValueError(f"group {self.group.name}: the expansion needs G or S(k) x G with G not a product")
        self.base = base
        self.linear = base.linear if isinstance(base, Euclidean) else base
        self.layout = Layout.parse(layout)
        self.rep_in = rep(str(self.layout), self.group)
        self.output = output
        self.outputs = self._parse_output(output)
        if any(slot.kind != "T0" for slot in self.outputs) and self.layout.n_vectors == 0:
            raise ValueError(f"output {output!r} needs input vectors, but layout '{self.layout}' has none")
        self.output_rep = rep(output, self.group)
        self._owners = None if self.particles is None else self.layout.particle_of(self.particles)
        if self.particles is not None and not (self._owners >= 0).any():
            counts = ", ".join(str(count) for count, _ in self.layout.terms)
            warnings.warn(
                f"layout '{self.layout}' has no term per particle under {self.group.name}: its counts "
                f"({counts}) are not multiples of {self.particles}, so every slot is global (shared "
                "by all particles) and the particles play no part; give each particle its slots, "
                f"e.g. '{self.particles}T0+{self.particles}T1'",
                UserWarning,
                stacklevel=3,
            )

    def _parse_output(self, output):
        if not isinstance(output, str):
            raise ValueError(f"output must be a string such as 'T0', 'T1', 'T2' or 'T0+T1', got {output!r}")
        if "(" in output:
            raise ValueError(
                f"output {output!r}: the expansion's tensors are written 'T2', the symmetric tensor "
                "sum_{i<=j} f_ij sym(v_i v_j^T) + f_0 I; a general (non-symmetric) tensor 'T(2,0)' or a "
                "mixed one is not supported by the scalar models yet (scalars.nn.EMLP takes any T(p,q))"
            )
        slots = []
        for count, kind in parse_terms(output, "output"):
            if kind not in _OUTPUT_KINDS:
                raise ValueError(
                    f"output must be one of {OUTPUTS}, a sum of them such as 'T0+T1', or with "
                    f"particles=k one per particle such as 'kT1'; got {output!r}"
                )
            split = per_particle(count, self.particles)
            if count > 1 and not split:
                hint = f" (with particles={self.particles}, '{self.particles}T1' is a vector per particle)" if self.particles else ""
                raise ValueError(
                    f"output {output!r}: {count} copies of {_OUTPUT_KINDS[kind]} need particles=k "
                    f"with k dividing {count} (one per particle){hint}"
                )
            slots += [OutputSlot(_OUTPUT_KINDS[kind], split)] * (count // self.particles if split else 1)
        if self.base.is_complex and any(slot.kind == "T2" for slot in slots):
            try:
                self.base.tensor_basis(None)
            except NotImplementedError as reason:  # an unsupported option, so a bad argument
                raise ValueError(f"output {output!r} for the group {self.base.name}: {reason}") from None
        return slots

    # -- sizes ----------------------------------------------------------------------------
    @property
    def n_features(self):
        return self.layout.n_features(self.base.n_columns)

    def _slot_shape(self, slot):
        return {"T0": (), "T1": (self.base.d,), "T2": (self.base.d, self.base.d)}[slot.kind]

    def slot_columns(self, slot):
        """Number of output columns of one output slot (all particles' for a per-particle slot)."""
        width = {"T0": 1, "T1": self.base.n_columns, "T2": self.base.d**2}[slot.kind]
        return width * (self.particles if slot.per_particle else 1)

    @property
    def output_shape(self):
        """Shape of one output: () for T0, (d,) for T1, (d, d) for T2, with a leading
        particle axis when per particle; (n_output_columns,) for a sum of outputs."""
        if len(self.outputs) > 1:
            return (self.n_output_columns,)
        slot = self.outputs[0]
        return ((self.particles,) if slot.per_particle else ()) + self._slot_shape(slot)

    @property
    def n_output_columns(self):
        return sum(self.slot_columns(slot) for slot in self.outputs)

    # -- blocks of terms ------------------------------------------------------------------
    def _term(self, scalars, vectors):
        """Invariants (..., m) and, per output slot, the basis (..., K, *shape) of one term."""
        parts = [scalars]
        if vectors.shape[-2]:
            parts.append(self.linear.invariants(vectors))
        invariants = _backend.concatenate(parts, axis=-1)
        bases = []
        for slot in self.outputs:
            if slot.kind == "T0":
                bases.append(_backend.ones(tuple(invariants.shape[:-1]) + (1,), like=invariants))
            elif slot.kind == "T1":
                bases.append(self.linear.vector_basis(vectors))
            else:
                bases.append(self.linear.tensor_basis(vectors))
        return invariants, bases

    def _read(self, X):
        """Scalars (n, p) and vectors (n, q, d) of flat X, points centred for E(d)."""
        scalars, columns = self.layout.split(X, self.base.n_columns)
        vectors = self.base.vectors_from_columns(columns)
        points = self.layout.is_point
        if isinstance(self.base, Euclidean) and points.any():
            index = _backend.as_index(np.flatnonzero(points), vectors)
            centroid = vectors[:, index].mean(axis=1, keepdims=True) if _backend.is_numpy(vectors) else vectors[:, index].mean(dim=1, keepdim=True)
            mask = _backend.as_backend_of(points[:, None], vectors)
            vectors = vectors - mask * centroid
        return scalars, vectors

    def blocks(self, X):
        """Split flat inputs into blocks of terms.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        list of (invariants, bases)
            ``invariants`` of shape (n_samples, n_terms, m) and ``bases`` a list over the
            output slots of arrays (n_samples, n_terms, K, *slot_shape); ``m``, ``K`` and
            ``n_terms`` per block.
        """
        scalars, vectors = self._read(X)
        if self.particles is None:
            invariants, bases = self._term(scalars, vectors)
            return [(invariants[:, None], [basis[:, None] for basis in bases])]
        k = self.particles
        ranks = np.array(self.layout.ranks)
        scalar_owner, vector_owner = self._owners[ranks == 0], self._owners[ranks == 1]
        own_s = [_backend.as_index(np.flatnonzero(scalar_owner == i), scalars) for i in range(k)]
        own_v = [_backend.as_index(np.flatnonzero(vector_owner == i), vectors) for i in range(k)]
        shared_s = scalars[:, _backend.as_index(np.flatnonzero(scalar_owner < 0), scalars)]
        shared_v = vectors[:, _backend.as_index(np.flatnonzero(vector_owner < 0), vectors)]
        S = _backend.stack([scalars[:, index] for index in own_s], axis=1)  # (n, k, p)
        V = _backend.stack([vectors[:, index] for index in own_v], axis=1)  # (n, k, q, d)
        shared_s = _backend.broadcast_to(shared_s[:, None], (len(S), k) + tuple(shared_s.shape[1:]))
        shared_v = _backend.broadcast_to(shared_v[:, None], (len(V), k) + tuple(shared_v.shape[1:]))
        blocks = [self._term(_backend.concatenate([S, shared_s], -1), _backend.concatenate([V, shared_v], -2))]
        if k > 1:
            i, j = np.nonzero(~np.eye(k, dtype=bool))
            blocks.append(
                self._term(
                    _backend.concatenate([S[:, i], S[:, j], shared_s[:, i]], axis=-1),
                    _backend.concatenate([V[:, i], V[:, j], shared_v[:, i]], axis=-2),
                )
            )
        return blocks

    def invariant_names(self):
        """Names of the invariants of each block, with ``i`` and ``j`` for the particles."""
        scalar_names, vector_names = self.layout.names()
        if self.particles is None:
            return [self._term_names(scalar_names, vector_names)]
        ranks = np.array(self.layout.ranks)
        scalar_owner, vector_owner = self._owners[ranks == 0], self._owners[ranks == 1]

        def names(prefix, owner, suffixes):
            own = [f"{prefix}{a}_{suffix}" for suffix in suffixes for a in range(np.sum(owner == 0))]
            return own + [f"{prefix}{a}" for a in np.flatnonzero(owner < 0)]

        blocks = [self._term_names(names("s", scalar_owner, "i"), names("v", vector_owner, "i"))]
        if self.particles > 1:
            blocks.append(self._term_names(names("s", scalar_owner, "ij"), names("v", vector_owner, "ij")))
        return blocks

    def _term_names(self, scalar_names, vector_names):
        return list(scalar_names) + (self.linear.invariant_names(vector_names) if vector_names else [])

    # -- outputs --------------------------------------------------------------------------
    def basis_sizes(self, bases):
        """Number of basis elements ``K`` of each output slot."""
        return [basis.shape[2] for basis in bases]

    def combine(self, coefficients, bases, block):
        """Each output slot of one block: ``sum_k coefficients[..., t, k] * basis[..., t, k, ...]``.

        Parameters
        ----------
        coefficients : array of shape (n_samples, n_terms, sum of K over the slots)
        bases : list of arrays (n_samples, n_terms, K, *slot_shape)
        block : int
            0 for the single or per-particle terms, 1 for the ordered pairs.

        Returns
        -------
        list of arrays, one per output slot: (n_samples, *slot_shape), or
        (n_samples, k, *slot_shape) for a per-particle slot
        """
        outputs, start = [], 0
        for slot, basis in zip(self.outputs, bases):
            K = basis.shape[2]
            weights = coefficients[..., start : start + K]
            start += K
            weights = weights.reshape(tuple(weights.shape) + (1,) * (basis.ndim - 3))
            terms = _sum(weights * basis, axis=2)  # (n, n_terms, *shape)
            if not slot.per_particle:
                outputs.append(_sum(terms, axis=1))
            elif block == 0:
                outputs.append(terms)
            else:
                k = self.particles
                outputs.append(_sum(terms.reshape((terms.shape[0], k, k - 1) + tuple(terms.shape[2:])), axis=2))
        return outputs

    def assemble(self, outputs):
        """One output slot as it is; several as their columns side by side (n, n_output_columns)."""
        if len(outputs) == 1:
            return outputs[0]
        return _backend.concatenate([self.slot_to_columns(slot, y) for slot, y in zip(self.outputs, outputs)], axis=-1)

    def slot_to_columns(self, slot, outputs):
        """Outputs of one slot ``(..., [k,] *slot_shape)`` as real columns ``(..., slot columns)``."""
        lead = tuple(outputs.shape[: outputs.ndim - len(self._slot_shape(slot)) - slot.per_particle])
        if slot.kind == "T1":
            outputs = self.base.columns_from_vectors(outputs)
        return outputs.reshape(lead + (-1,))

    def basis_columns(self, slot, basis):
        """A slot's basis (..., K, *slot_shape) as real columns (..., K, width of one output)."""
        if slot.kind == "T0":
            return basis[..., None]
        if slot.kind == "T1":
            return self.base.columns_from_vectors(basis)
        return basis.reshape(tuple(basis.shape[:-2]) + (-1,))

    def to_columns(self, outputs):
        """Outputs of :meth:`assemble` (..., *output_shape) as real columns (..., n_output_columns)."""
        if len(self.outputs) > 1:
            return outputs
        return self.slot_to_columns(self.outputs[0], outputs)


def _sum(x, axis):
    return x.sum(axis=axis) if _backend.is_numpy(x) else x.sum(dim=axis)


PARTS = ("K", "U", "H")  # kinetic, potential, the whole Hamiltonian


def _check_part(part):
    """Raise a ValueError naming ``part`` unless it is one of ``PARTS``."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")


class PhaseSpaceExpansion:
    """Invariant features and equivariant vectors of phase-space states ``z = (q, p)``.

    The learned models of :mod:`scalars.dynamics` see the states of a system with a fixed
    origin (a pivot, the origin of a gauge) through this expansion, the same for every
    such system. The state's vector slots split in half, as Hamilton's canonical
    coordinates do: positions ``q_1 .. q_n`` then momenta ``p_1 .. p_n``. The
    *separations* are the positions, measured from the origin, then their differences
    ``q_a - q_b`` (``a < b``): the vectors whose lengths a potential depends on (a spring
    from the pivot, a spring between two masses). The models also take extra inputs after
    the state, the *context* (gravity, the parameters of the system): vectors and
    scalars laid out by ``context_layouts``.

    The invariant features of a part of the Hamiltonian are the group's invariants (the
    Gram entries, for O(d)) of

    - ``"K"`` (kinetic, momenta only): the momenta and the context vectors;
    - ``"U"`` (potential, positions only): the separations and the context vectors;
    - ``"H"`` (both): the separations, the momenta and the context vectors;

    then the lengths ``|q_a|, |q_a - q_b|`` of the separations in the part (in which a
    spring's energy is linear), then the context scalars. The vector terms of an
    equivariant field ``dz/dt = sum_b f_b(features) v_b`` have the features of ``"H"``
    with the inverse lengths after the lengths (central forces), and the vectors ``v_b``:
    the state's vectors, then the context vectors.

    Parameters
    ----------
    group : str or Group
        O(d) or SO(d): the state turns about the fixed origin.
    layout : str
        The state, an even number of vectors: ``"4T1"`` is ``q1, q2, p1, p2``.
    context_layouts : sequence of str, default=()
        The context's arrays, each vectors (``"T1"``) or scalars (``"6T0"``).
    context_names : sequence of str, optional
        One name per context slot (vectors and scalars, in order), for the feature names;
        default ``c0, c1, ...``.

    Raises
    ------
    ValueError
        For another group, a state that is not an even number of vectors, context arrays
        that mix vectors and scalars or hold anything else, or the wrong number of names.

    Examples
    --------
    >>> expansion = PhaseSpaceExpansion("O(3)", "4T1", ("T1", "2T0"), ("g", "m1", "m2"))
    >>> expansion.feature_names("U")
    ['<q1,q1>', '<q1,q2>', '<q1,q1-q2>', '<q1,g>', '<q2,q2>', '<q2,q1-q2>', '<q2,g>', '<q1-q2,q1-q2>', '<q1-q2,g>', '<g,g>', '|q1|', '|q2|', '|q1-q2|', 'm1', 'm2']
    """


    def __init__(self, group, layout, context_layouts=(), context_names=None):
        self.group = get_group(group)
        if not isinstance(self.group, Orthogonal):
            raise ValueError(f"PhaseSpaceExpansion needs O(d) or SO(d) about a fixed origin, got {self.group.name}")
        self.d = self.group.d
        kinds = [slot.kind for slot in slots(rep(layout, self.group))]
        if set(kinds) != {"T1"} or len(kinds) % 2:
            raise ValueError(f"layout '{layout}' must be an even number of vectors: positions, then momenta")
        self.layout = layout
        self.n_positions = len(kinds) // 2
        self.context_layouts = tuple(context_layouts)
        context_slots = [slots(rep(context_layout, self.group)) for context_layout in self.context_layouts]
        self.context_kinds = []
        for context_layout, array_slots in zip(self.context_layouts, context_slots):
            kinds = {slot.kind for slot in array_slots}
            if len(kinds) != 1 or not kinds <= {"T0", "T1"}:
                raise ValueError(f"a context array is vectors or scalars, got '{context_layout}'")
            self.context_kinds.append(kinds.pop())
        n_slots = sum(map(len, context_slots))
        names = [f"c{k}" for k in range(n_slots)] if context_names is None else list(context_names)
        if len(names) != n_slots:
            raise ValueError(f"context_names must name the {n_slots} context slots, got {len(names)}")
        self.context_names = names
        # the names of the context's vectors and of its scalars, in order
        self.context_vector_names, self.context_scalar_names, start = [], [], 0
        for kind, array_slots in zip(self.context_kinds, context_slots):
            names_of_kind = self.context_vector_names if kind == "T1" else self.context_scalar_names
            names_of_kind.extend(names[start : start + len(array_slots)])
            start += len(array_slots)
        n = self.n_positions
        self.pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]

    # -- names ----------------------------------------------------------------------------
    def vector_names(self, part):
        """Names of the vectors whose invariants make the features of ``part``."""
        _check_part(part)
        n = self.n_positions
        separations = [f"q{a + 1}" for a in range(n)] + [f"q{a + 1}-q{b + 1}" for a, b in self.pairs]
        momenta = [f"p{a + 1}" for a in range(n)]
        context_vectors = self.context_vector_names
        if part == "K":
            return momenta + context_vectors
        return separations + (momenta if part == "H" else []) + context_vectors

    def n_separations(self, part):
        """Separations among the vectors of ``part``: their lengths follow the invariants."""
        return 0 if part == "K" else self.n_positions + len(self.pairs)

    def feature_names(self, part, inverse_lengths=False):
        """Names of the columns of :meth:`features`.

        Parameters
        ----------
        part : {"K", "U", "H"}
        inverse_lengths : bool, default=False

        Returns
        -------
        list of str
        """
        vectors = self.vector_names(part)
        separations = vectors[: self.n_separations(part)]
        names = self.group.invariant_names(vectors) + [f"|{v}|" for v in separations]
        if inverse_lengths:
            names += [f"1/|{v}|" for v in separations]
        return names + self.context_scalar_names


    # -- values ---------------------------------------------------------------------------
    def _split(self, z, context):
        """Positions and momenta (lists of (..., d) views of ``z``), context vectors and scalars."""
        if len(context) != len(self.context_layouts):
            raise TypeError(f"the context is {len(self.context_layouts)} arrays ({', '.join(self.context_layouts) or 'none'}), got {len(context)}")
        d, n = self.d, self.n_positions
        vectors = [z[..., a * d : (a + 1) * d] for a in range(2 * n)]
        context_vectors, context_scalars = [], []
        for array, kind in zip(context, self.context_kinds):
            if kind == "T1":
                context_vectors += [array[..., k * d : (k + 1) * d] for k in range(array.shape[-1] // d)]
            else:
                context_scalars.append(array)
        return vectors[:n], vectors[n:], context_vectors, context_scalars

    def _vectors(self, part, z, context):
        positions, momenta, context_vectors, context_scalars = self._split(z, context)
        separations = positions + [positions[a] - positions[b] for a, b in self.pairs]
        if part == "K":
            chosen = momenta + context_vectors
        else:
            chosen = separations + (momenta if part == "H" else []) + context_vectors
        return _stack_vectors(chosen), context_scalars

    def features(self, z, part, *context, inverse_lengths=False):
        """Invariant features of states ``z`` in the systems ``context``.

        Parameters
        ----------
        z : tensor of shape (..., state size)
        part : {"K", "U", "H"}
        *context : tensors of shape (..., width of each context array)
        inverse_lengths : bool, default=False
            Put ``1 / |v|`` of each separation after the lengths.

        Returns
        -------
        tensor of shape (..., len(feature_names(part, inverse_lengths)))
        """
        import torch

        _check_part(part)
        vectors, scalars = self._vectors(part, z, context)
        lengths = vectors[..., : self.n_separations(part), :].pow(2).sum(-1).sqrt()
        inverses = [1 / lengths] if inverse_lengths else []
        scalars = [s.expand(vectors.shape[:-2] + s.shape[-1:]) for s in scalars]
        return torch.cat([self.group.invariants(vectors), lengths, *inverses, *scalars], dim=-1)

    def terms(self, z, *context):
        """Features and vectors of the equivariant field ``dz/dt = sum_b f_b(features) v_b``.

        Parameters
        ----------
        z : tensor of shape (..., state size)
        *context : tensors of shape (..., width of each context array)

        Returns
        -------
        features : tensor of shape (..., len(feature_names("H", inverse_lengths=True)))
        vectors : tensor of shape (..., 2 n_positions + context vectors, d)
            The state's vectors (a view of ``z`` of their own, so that the gradients of
            the vectors and of the features add up at ``z`` in one fixed order), then the
            context vectors.
        """
        context_vectors = self._split(z, context)[2]
        state = z.unflatten(-1, (2 * self.n_positions, self.d)).unbind(-2)
        vectors = _stack_vectors(list(state) + context_vectors)
        return self.features(z, "H", *context, inverse_lengths=True), vectors

    # -- the groups of terms a System's learned models read ---------------------------------
    def feature_groups(self, z, part, *context):
        """:meth:`features` as one group ``""`` of one term: ``{"": (..., 1, n_features)}``."""
        return {"": self.features(z, part, *context)[..., None, :]}

    def feature_group_names(self, part):
        """Names of the columns of :meth:`feature_groups`: ``{"": feature_names(part)}``."""
        return {"": self.feature_names(part)}

    def vector_terms(self, z, *context):
        """:meth:`terms` as one vector of one term: features (..., 1, 1, k), vectors (..., 1, 1, b, d)."""
        features, vectors = self.terms(z, *context)
        return features[..., None, None, :], vectors[..., None, None, :, :]

    def selection(self, part):
        """The linear maps from a state to the vectors of ``part`` (context vectors: zero).

        Returns
        -------
        ndarray of shape (n_vectors, d, state size)
            ``v_b = selection[b] @ z`` for the vectors that depend on the state.
        """
        d, n = self.d, self.n_positions
        eye = np.eye(d)
        position = [np.zeros((d, 2 * n * d)) for _ in range(2 * n)]
        for a in range(2 * n):
            position[a][:, a * d : (a + 1) * d] = eye
        separations = position[:n] + [position[a] - position[b] for a, b in self.pairs]
        context = [np.zeros((d, 2 * n * d))] * len(self.context_vector_names)
        chosen = position[n:] + context if part == "K" else separations + (position[n:] if part == "H" else []) + context
        return np.stack(chosen)


class ParticleExpansion:
    """Invariant features and equivariant vectors of ``n`` interchangeable particles.

    The state is ``z = (q_1 .. q_n, p_1 .. p_n)``: positions (points) then momenta, each
    ``d`` numbers, under ``S(n) x E(d)``. Every particle carries the same named scalars
    (masses, charges): fixed attributes of the system that tell the particles apart, not
    inputs. A Hamiltonian's terms come in two groups, each term of a group with the same
    features, so that one function of them summed over the group is invariant:

    - ``"particles"``, one term per particle ``i`` (parts ``"K"`` and ``"H"``):
      ``|p_i|^2``, then ``|p_i|^2 / x_i`` for each positive scalar (a kinetic energy, for
      a mass), then the scalars ``x_i``;
    - ``"pairs"``, one term per pair ``i < j`` (parts ``"U"`` and ``"H"``): the O(d)
      invariants of ``q_i - q_j`` (and ``p_i - p_j`` for ``"H"``), the length
      ``|q_i - q_j|``, the inverse softened length ``1 / s_ij``,
      ``s_ij = sqrt(|q_i - q_j|^2 + eps^2)``, then for each scalar ``x_i x_j / s_ij`` (the
      potential of an inverse-distance coupling), ``x_i x_j`` and ``x_i + x_j``.

    :meth:`pair_features` computes this block for any pair vectors (models that integrate
    their own pair forces read theirs from it). Every pair feature is symmetric in
    ``i, j``: the sum over both orders of a feature of
    the ordered pair, as the package's pair convention has it (see the module), so a
    pair is one term. A Hamiltonian of particles with inverse-distance couplings is
    linear in the features, as a spring's is in a pendulum's lengths. Differences of
    positions make every feature translation invariant, the O(d) invariants rotation
    invariant.

    An equivariant field (:meth:`vector_terms`) sums, for each particle ``i``, over the
    ordered pairs ``(i, j)``, ``j != i``: ``dz_ki = sum_j sum_b f_kb(features_ij) v_ijb``
    with the vectors ``q_i - q_j``, ``p_i - p_j`` and ``p_i``; permuting the particles
    permutes these terms with them.

    Parameters
    ----------
    n : int
        Particles, at least 2.
    d : int
        Dimension of space.
    scalars : sequence of str, default=()
        Names of the particles' scalars (``("m",)``; ``("e", "m")`` for charges and masses).
    positive : sequence of str, default=()
        Those of ``scalars`` that are positive, which divide: ``|p_i|^2 / m_i``, ``1 / m_i``.

    Examples
    --------
    >>> expansion = ParticleExpansion(3, 3, scalars=("m",), positive=("m",))
    >>> expansion.feature_group_names("U")["pairs"]
    ['<q_i-q_j,q_i-q_j>', '|q_i-q_j|', '1/s_ij', 'm_i*m_j/s_ij', 'm_i*m_j', 'm_i+m_j']
    """


    def __init__(self, n, d, scalars=(), positive=()):
        if int(n) < 2 or int(d) < 1:
            raise ValueError(f"ParticleExpansion needs at least 2 particles in d >= 1 dimensions, got n={n}, d={d}")
        if not set(positive) <= set(scalars):
            raise ValueError(f"positive scalars {sorted(set(positive) - set(scalars))} are not among the scalars {list(scalars)}")
        self.n, self.d = int(n), int(d)
        self.scalars, self.positive = tuple(scalars), tuple(s for s in scalars if s in positive)
        self.group = get_group(f"O({self.d})")
        n = self.n
        self.pairs = [list(axis) for axis in zip(*[(i, j) for i in range(n) for j in range(i + 1, n)])]
        self.ordered_pairs = [list(axis) for axis in zip(*[(i, j) for i in range(n) for j in range(n) if j != i])]

    # -- names ----------------------------------------------------------------------------
    def feature_group_names(self, part):
        """Names of the columns of :meth:`feature_groups`, per group, as formulas of one
        particle ``i`` or one pair ``i, j``.

        Parameters
        ----------
        part : {"K", "U", "H"}

        Returns
        -------
        dict of str to list of str
        """
        _check_part(part)
        names = {}
        if part != "U":
            names["particles"] = ["|p_i|^2"] + [f"|p_i|^2/{x}_i" for x in self.positive] + [f"{x}_i" for x in self.scalars]
        if part != "K":
            vectors = ["q_i-q_j"] + (["p_i-p_j"] if part == "H" else [])
            couplings = [name for x in self.scalars for name in (f"{x}_i*{x}_j/s_ij", f"{x}_i*{x}_j", f"{x}_i+{x}_j")]
            names["pairs"] = self.group.invariant_names(vectors) + ["|q_i-q_j|", "1/s_ij"] + couplings
        return names


    # -- values ---------------------------------------------------------------------------
    def _split(self, z, scalars):
        """Positions and momenta (..., n, d) of ``z``, and the scalars broadcast to (..., n)."""
        import torch

        if len(scalars) != len(self.scalars):
            raise TypeError(f"the particles carry {len(self.scalars)} scalars ({', '.join(self.scalars) or 'none'}), got {len(scalars)}")
        q, p = z.unflatten(-1, (2, self.n, self.d)).unbind(-3)
        shape = tuple(z.shape[:-1]) + (self.n,)
        scalars = [torch.broadcast_to(torch.as_tensor(x, dtype=z.dtype, device=z.device), shape) for x in scalars]
        return q, p, scalars

    @staticmethod
    def _inverse_softened(separation, softening):
        """``1 / sqrt(|v|^2 + eps^2)`` (...) of vectors (..., d), and ``|v|``; ``eps`` broadcasts to (...)."""
        import torch

        r2 = separation.pow(2).sum(-1)
        if not isinstance(softening, float):
            softening = torch.as_tensor(softening, dtype=r2.dtype, device=r2.device)
        return (r2 + softening**2).rsqrt(), r2.sqrt()

    def feature_groups(self, z, part, scalars=(), softening=0.0):
        """Invariant features of states ``z``, per particle and per pair.

        Parameters
        ----------
        z : tensor of shape (..., 2 n d)
        part : {"K", "U", "H"}
        scalars : sequence of tensors of shape (..., n)
            The particles' scalars, in the order of the ``scalars`` names.
        softening : float or tensor of shape (...), default=0.0
            ``eps`` of the softened lengths (a length).

        Returns
        -------
        dict of str to tensor
            ``"particles"`` (..., n, k) for ``"K"`` and ``"H"``, ``"pairs"``
            (..., n (n - 1) / 2, k) for ``"U"`` and ``"H"``, columns as
            :meth:`feature_group_names`.
        """
        import torch

        _check_part(part)
        q, p, scalars = self._split(z, scalars)
        groups = {}
        if part != "U":
            squares = p.pow(2).sum(-1)
            positive = [x for name, x in zip(self.scalars, scalars) if name in self.positive]
            groups["particles"] = torch.stack([squares, *(squares / x for x in positive), *scalars], -1)
        if part != "K":
            i, j = self.pairs
            difference = p[..., i, :] - p[..., j, :] if part == "H" else None
            if not isinstance(softening, float):
                softening = torch.as_tensor(softening, dtype=z.dtype, device=z.device)[..., None]
            groups["pairs"] = self.pair_features(q[..., i, :] - q[..., j, :], difference,
                                                 [(x[..., i], x[..., j]) for x in scalars], softening)
        return groups

    def pair_features(self, separation, difference=None, scalars=(), softening=0.0, columns=None):
        """The pair block of given pair vectors: the ``"pairs"`` columns of :meth:`feature_groups`.

        The one place where the invariants of a pair are computed: :meth:`feature_groups`
        calls it on the pairs ``i < j`` of a state, and models that integrate their own
        pair forces (:class:`scalars.dynamics.PairForceLaw`,
        :class:`scalars.dynamics.LearnedPairForce`, :class:`scalars.nn.ParticleMessagePassing`)
        call it on the ordered pairs of theirs. Every column is symmetric in ``i, j``.

        Parameters
        ----------
        separation : tensor of shape (..., d)
            ``q_i - q_j`` (a length).
        difference : tensor of shape (..., d), optional
            ``p_i - p_j``: the block of part ``"H"``; None for part ``"U"``.
        scalars : sequence of (tensor, tensor) of shape (...)
            ``(x_i, x_j)`` for each of the particles' scalars, in the order of their names.
        softening : float or tensor broadcastable to (...), default=0.0
            ``eps`` of ``s_ij = sqrt(|q_i - q_j|^2 + eps^2)``.
        columns : sequence of str, optional
            Names of the columns to compute and return, in this order; default all, as
            ``feature_group_names(part)["pairs"]``.

        Returns
        -------
        tensor of shape (..., len(columns))

        Raises
        ------
        TypeError
            If ``scalars`` does not give one pair per scalar name.
        ValueError
            If a name of ``columns`` is not a column of the block.

        Examples
        --------
        >>> import torch
        >>> expansion = ParticleExpansion(2, 3, scalars=("e",))
        >>> d = torch.tensor([[3.0, 4.0, 0.0]])
        >>> expansion.pair_features(d, scalars=[(torch.tensor([2.0]), torch.tensor([-1.0]))],
        ...                         columns=["|q_i-q_j|", "e_i*e_j"])
        tensor([[ 5., -2.]])
        """
        import torch

        names = self.feature_group_names("U" if difference is None else "H")["pairs"]
        columns = names if columns is None else list(columns)
        unknown = [name for name in columns if name not in names]
        if unknown:
            raise ValueError(f"columns {unknown} are not in the pair block {names}")
        if len(scalars) != len(self.scalars):
            raise TypeError(f"the particles carry {len(self.scalars)} scalars ({', '.join(self.scalars) or 'none'}), "
                            f"got {len(scalars)} pairs (x_i, x_j)")
        values = {}
        gram = names[: len(names) - 2 - 3 * len(self.scalars)]
        if set(gram) & set(columns):
            vectors = [separation] + ([] if difference is None else [difference])
            values.update(zip(gram, self.group.invariants(torch.stack(vectors, -2)).unbind(-1)))
        if "|q_i-q_j|" in columns or any(name.endswith("/s_ij") for name in columns):
            values["1/s_ij"], values["|q_i-q_j|"] = self._inverse_softened(separation, softening)
        for name, (x_i, x_j) in zip(self.scalars, scalars):
            coupling = x_i * x_j
            values[f"{name}_i*{name}_j"], values[f"{name}_i+{name}_j"] = coupling, x_i + x_j
            if f"{name}_i*{name}_j/s_ij" in columns:
                values[f"{name}_i*{name}_j/s_ij"] = coupling * values["1/s_ij"]
        return torch.stack([values[name] for name in columns], -1)

    def vector_terms(self, z, scalars=(), softening=0.0):
        """Features and vectors of the ordered pairs ``(i, j)``, grouped by particle ``i``.

        Parameters
        ----------
        z : tensor of shape (..., 2 n d)
        scalars, softening
            As for :meth:`feature_groups`.

        Returns
        -------
        features : tensor of shape (..., n, n - 1, k)
            The O(d) invariants of the three vectors, ``|q_i - q_j|``, ``1 / s_ij``, then
            for each scalar ``x_i``, ``x_j`` and ``x_i x_j / s_ij^3`` (the central force of
            an inverse-distance coupling), then ``1 / x_i`` of the positive ones.
        vectors : tensor of shape (..., n, n - 1, 3, d)
            ``q_i - q_j``, ``p_i - p_j``, ``p_i``.
        """
        import torch

        q, p, scalars = self._split(z, scalars)
        i, j = self.ordered_pairs
        separation = q[..., i, :] - q[..., j, :]
        vectors = torch.stack([separation, p[..., i, :] - p[..., j, :], p[..., i, :]], -2)
        if not isinstance(softening, float):
            softening = torch.as_tensor(softening, dtype=z.dtype, device=z.device)[..., None]
        inverse, length = self._inverse_softened(separation, softening)
        columns = [length, inverse]
        for x in scalars:
            columns += [x[..., i], x[..., j], x[..., i] * x[..., j] * inverse**3]
        columns += [1 / x[..., i] for name, x in zip(self.scalars, scalars) if name in self.positive]
        features = torch.cat([self.group.invariants(vectors), torch.stack(columns, -1)], -1)
        return features.unflatten(-2, (self.n, self.n - 1)), vectors.unflatten(-3, (self.n, self.n - 1))


def _stack_vectors(vectors):
    """Tensors (..., d) into (..., n, d), broadcasting their leading axes."""
    import torch

    return torch.stack(torch.broadcast_tensors(*vectors), dim=-2)
