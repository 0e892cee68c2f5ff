"""Representations: how a group acts on flat columns, built with ``+``, ``*`` and duals.

A :class:`Rep` is bound to a group (``T(1)(group)`` or ``rep("T1", group)``) and gives the
real matrix of each group element, ``rho(g)`` of shape (size, size), acting on the flat
columns in this package's column order (the order of layouts: terms in order, a vector's
components consecutive, a tensor row-major, sums block by block, products row-major with
the left factor outermost); ``drho(A)`` of a Lie algebra element; and ``act(g, X)`` on
rows ``X`` of shape (..., size). E(d) translates points, so its point slots add
:meth:`Rep.translation` to the linear action.

==================  ============================================================
``T(0)``            the trivial representation (a scalar), size 1
``T(1)``            the group's vectors, size ``group.n_columns``
``T(p, q)``         ``V^(x)p (x) V*^(x)q``, size ``n^(p+q)``; ``T(2)`` is ``T(2, 0)``
``a + b``           direct sum: ``a``'s columns, then ``b``'s
``5 * a``           ``a + a + a + a + a``
``a * b``, ``a @ b``  tensor product; with reps of different groups, a rep of their product
``a.dual()``        the contragredient ``rho(g^-1)^T``
==================  ============================================================
"""

from functools import reduce

import numpy as np

from scalars._backend import as_backend_of, swap_last
from scalars.groups import ProductGroup, get_group

__all__ = ["Rep", "T", "TensorRep", "PointRep", "NodeSubsetRep", "SumRep", "ProductRep", "DualRep"]


class Rep:
    """A finite-dimensional real representation acting on flat columns.

    Subclasses implement :meth:`bind`, :meth:`_size`, :meth:`rho`, :meth:`drho`, and
    :meth:`key` (what makes two reps equal).
    """

    group = None

    # -- binding --------------------------------------------------------------------------
    def __call__(self, group):
        """This representation of ``group`` (a name or a Group)."""
        return self.bind(get_group(group))

    def bind(self, group):
        raise NotImplementedError

    def require_group(self):
        """The group this representation is bound to; a ValueError saying how to bind it if none."""
        if self.group is None:
            raise ValueError(
                f"the representation {self} is not bound to a group: write {self}(group) "
                "or scalars.reps.rep(spec, group)"
            )
        return self.group

    # -- the action -----------------------------------------------------------------------
    @property
    def size(self):
        """Number of flat columns."""
        self.require_group()
        return self._size()

    def rho(self, g):
        """The (size, size) real matrix of group element ``g``."""
        raise NotImplementedError

    def drho(self, A):
        """The (size, size) real matrix of Lie algebra element ``A``."""
        raise NotImplementedError

    def translation(self, g):
        """The affine part (size,) of the action of ``g``, or None for a linear action."""
        return None

    def act(self, g, X):
        """``g`` acting on rows ``X`` of shape (..., size): ``X rho(g)^T`` (plus the translation).

        ``X`` may be numpy or torch; the result has its backend and precision.
        """
        if X.shape[-1] != self.size:
            raise ValueError(f"representation {self} acts on {self.size} columns, but X has {X.shape[-1]}")
        out = X @ swap_last(as_backend_of(self.rho(g), X))
        shift = self.translation(g)
        return out if shift is None else out + as_backend_of(shift, X)

    def tangent(self):
        """The representation on velocities ``dX/dt``: translations drop out, so the
        velocity of a point is a vector (``"5P+5T1"`` -> ``"5T1+5T1"``); linear reps are
        their own."""
        return self

    def dual(self):
        """The dual (contragredient) representation ``g -> rho(g^-1)^T``."""
        return DualRep(self)

    # -- algebra of representations -------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, int) and other == 0:  # sum() starts from 0
            return self
        return SumRep([self, other])

    __radd__ = __add__

    def __mul__(self, other):
        if isinstance(other, (int, np.integer)):
            if other < 1:
                raise ValueError(f"a multiplicity must be a positive integer, got {other}")
            return SumRep([self] * int(other)) if other > 1 else self
        return _tensor_product(self, other)

    def __rmul__(self, other):
        return self * other

    def __matmul__(self, other):
        return _tensor_product(self, other)

    def key(self):
        """A hashable description: two representations are equal when their keys are."""
        raise NotImplementedError

    def __eq__(self, other):
        return isinstance(other, Rep) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        return f"{self}" if self.group is None else f"{self}({self.group.name})"


class TensorRep(Rep):
    """``T(p, q)``: ``p`` contravariant (vector) and ``q`` covariant (dual) indices.

    ``T(0)`` is a scalar; ``T(1)`` a vector; on flat columns the index of the first
    factor is outermost (row-major, so ``T(2)`` is a flattened (d, d) tensor).
    """

    def __init__(self, p, q=0, group=None):
        if int(p) != p or int(q) != q or p < 0 or q < 0:
            raise ValueError(f"T(p, q) needs non-negative integers p and q, got T({p!r}, {q!r})")
        self.p, self.q, self.group = int(p), int(q), group

    def bind(self, group):
        return TensorRep(self.p, self.q, group)

    def _size(self):
        return self.group.n_columns ** (self.p + self.q)

    @property
    def rank(self):
        return self.p + self.q

    def _factors(self, M, M_dual):
        return [M] * self.p + [M_dual] * self.q

    def rho(self, g):
        M = self.require_group().real_form(_check_element(self, g))
        if self.rank == 0:
            return np.ones((1, 1))
        return reduce(np.kron, self._factors(M, np.linalg.inv(M).T if self.q else None))

    def drho(self, A):
        a = _check_algebra_element(self, self.require_group().algebra_real_form(A))
        n = self.group.n_columns
        if self.rank == 0:
            return np.zeros((1, 1))
        factors = self._factors(a, -a.T)
        total = np.zeros((n**self.rank, n**self.rank))
        for i, factor in enumerate(factors):
            eyes = [np.eye(n)] * self.rank
            eyes[i] = factor
            total += reduce(np.kron, eyes)
        return total

    def dual(self):
        if self.p == 0 or self.q == 0:
            return TensorRep(self.q, self.p, self.group)
        return DualRep(self)

    def key(self):
        return ("T", self.p, self.q, self.group)

    def __str__(self):
        return f"T{self.p}" if self.q == 0 else f"T({self.p},{self.q})"


def T(p, q=0, group=None):
    """The tensor representation ``T(p, q)``, bound to ``group`` if one is given.

    Examples
    --------
    >>> from scalars.reps import T
    >>> (T(1) * T(1))("O(3)").size
    9
    >>> (5 * T(0) + 5 * T(1))("O(3)").size
    20
    """
    rep = TensorRep(p, q)
    return rep if group is None else rep(group)


class PointRep(Rep):
    """A point of E(d) or SE(d): rotated like a vector and translated.

    Bound to a linear group (which fixes the origin) a point is a vector, ``T(1)``.
    """

    def __init__(self, group=None):
        self.group = group

    def bind(self, group):
        return PointRep(group) if hasattr(group, "translation") else TensorRep(1, 0, group)

    def _size(self):
        return self.group.n_columns

    def rho(self, g):
        return self.require_group().real_form(_check_element(self, g))

    def drho(self, A):
        return _check_algebra_element(self, self.require_group().algebra_real_form(A))

    def translation(self, g):
        return self.require_group().translation(g)

    def tangent(self):
        return TensorRep(1, 0, self.group)

    def key(self):
        return ("P", self.group)

    def __str__(self):
        return "P"


class NodeSubsetRep(Rep):
    """A permutation group's action on the values at some of its nodes: ``T(1)`` restricted to ``nodes``.

    For a group of permutation matrices of ``n`` nodes (S(n), a
    :class:`~scalars.groups.YoungSubgroup`) and a set of nodes the group maps to itself (a
    union of clusters), ``rho(g)`` is ``g`` restricted to those rows and columns. The
    visible and the hidden pixels of an image, each a union of clusters, are two such
    representations, and the maps from one to the other are an inpainting model's.

    Parameters
    ----------
    nodes : sequence of int
        The nodes, in the order of the columns.
    group : Group or str, optional

    Raises
    ------
    ValueError
        On binding, if the group is not a group of permutation matrices or does not map
        ``nodes`` to themselves.

    Examples
    --------
    >>> from scalars.groups import YoungSubgroup
    >>> from scalars.reps import NodeSubsetRep, equivariant_basis
    >>> G = YoungSubgroup([[0, 1], [2, 3]])
    >>> equivariant_basis(NodeSubsetRep([0, 1], G), NodeSubsetRep([2, 3], G)).shape   # c 1 1^T
    (4, 1)
    """

    def __init__(self, nodes, group=None):
        self.nodes = tuple(int(node) for node in np.asarray(nodes).ravel())
        if len(self.nodes) == 0 or len(set(self.nodes)) != len(self.nodes):
            raise ValueError(f"NodeSubsetRep: nodes must be distinct and at least one, got {nodes!r}")
        self.group = None if group is None else self._checked(get_group(group))

    def bind(self, group):
        return NodeSubsetRep(self.nodes, group)

    def _checked(self, group):
        index = np.array(self.nodes)
        if group.is_complex or max(self.nodes) >= group.d or min(self.nodes) < 0:
            raise ValueError(f"NodeSubsetRep: nodes {list(self.nodes)} are not nodes of {group.name} (0 .. {group.d - 1})")
        outside = np.setdiff1d(np.arange(group.d), index)
        for h in group.discrete_generator_elements():
            h = np.asarray(h, dtype=float)
            permutation = np.all((h == 0) | (h == 1)) and np.all(h.sum(0) == 1) and np.all(h.sum(1) == 1)
            if not permutation or np.any(h[np.ix_(outside, index)]):
                raise ValueError(
                    f"NodeSubsetRep: {group.name} must permute its nodes and map the nodes {list(self.nodes)} to "
                    "themselves (a union of its orbits, e.g. of a YoungSubgroup's clusters); it does not"
                )
        if len(group.lie_algebra_elements()):
            raise ValueError(f"NodeSubsetRep: {group.name} is not a finite group of permutations")
        return group

    def _size(self):
        return len(self.nodes)

    def rho(self, g):
        matrix = self.require_group().real_form(_check_element(self, g))
        return matrix[np.ix_(self.nodes, self.nodes)]

    def drho(self, A):
        return np.zeros((len(self.nodes), len(self.nodes)))

    def key(self):
        return ("nodes", self.nodes, self.group)

    def __str__(self):
        return f"V[{len(self.nodes)} nodes]"


class SumRep(Rep):
    """The direct sum of ``reps``: their columns one after the other."""

    def __init__(self, reps):
        flat = []
        for rep in reps:
            if not isinstance(rep, Rep):
                raise TypeError(f"can only add representations, got {type(rep).__name__}")
            flat.extend(rep.reps if isinstance(rep, SumRep) else [rep])
        groups = {rep.group for rep in flat if rep.group is not None}
        if len(groups) > 1:
            raise ValueError(f"cannot add representations of different groups: {sorted(g.name for g in groups)}")
        self.reps = tuple(flat)
        self.group = groups.pop() if groups and all(rep.group is not None for rep in flat) else None

    def bind(self, group):
        return SumRep([rep.bind(group) for rep in self.reps])

    def _size(self):
        return sum(rep.size for rep in self.reps)

    def _blocks(self, matrices):
        out = np.zeros((self.size, self.size))
        start = 0
        for block in matrices:
            out[start : start + len(block), start : start + len(block)] = block
            start += len(block)
        return out

    def rho(self, g):
        _check_element(self, g)
        return self._blocks([rep.rho(g) for rep in self.reps])

    def drho(self, A):
        return self._blocks([rep.drho(A) for rep in self.reps])

    def translation(self, g):
        shifts = [rep.translation(g) for rep in self.reps]
        if all(shift is None for shift in shifts):
            return None
        return np.concatenate([np.zeros(rep.size) if s is None else s for rep, s in zip(self.reps, shifts)])

    def dual(self):
        return SumRep([rep.dual() for rep in self.reps])

    def tangent(self):
        return SumRep([rep.tangent() for rep in self.reps])

    def key(self):
        return ("+",) + tuple(rep.key() for rep in self.reps)

    def __str__(self):
        terms, previous, count = [], None, 0
        for rep in self.reps + (None,):
            if rep != previous and previous is not None:
                text = str(previous)
                plain = "*" not in text and "+" not in text and not text[0].isdigit()
                terms.append(text if count == 1 else f"{count}{text}" if plain else f"{count}*({text})")
                count = 0
            previous, count = rep, count + 1
        return "+".join(terms)


def check_rep_pair(owner, rep_in, rep_out):
    """Raise unless ``rep_in`` and ``rep_out`` are representations bound to one group.

    Parameters
    ----------
    owner : str
        The caller, named at the start of the message.
    rep_in, rep_out : Rep

    Raises
    ------
    TypeError
        If either is not a Rep.
    ValueError
        If either is unbound, or they are bound to different groups.
    """
    for name, value in (("rep_in", rep_in), ("rep_out", rep_out)):
        if not isinstance(value, Rep):
            raise TypeError(f"{owner}: {name} must be a Rep, got {type(value).__name__}")
        value.require_group()
    if rep_in.group != rep_out.group:
        raise ValueError(
            f"{owner}: rep_in {rep_in!r} is a representation of {rep_in.group.name} but rep_out "
            f"{rep_out!r} of {rep_out.group.name}; one group must act on both"
        )


def _describe(g):
    """``g`` in an error message: its type and shape (or length)."""
    if isinstance(g, (tuple, list)):
        return f"a {type(g).__name__} of {len(g)}"
    shape = getattr(g, "shape", None)
    return f"{type(g).__name__} of shape {tuple(shape)}" if shape is not None else f"{type(g).__name__} {g!r}"


def _check_element(rep, g):
    """``g`` if it is one element of ``rep``'s group (the form ``group.identity()`` has).

    Raises
    ------
    ValueError
        Naming ``rep``, its group and the expected form: a (m, m) array, or for a product
        group a tuple of one such array per factor.
    """
    group = rep.require_group()
    identity = group.identity()
    if isinstance(identity, tuple):
        if isinstance(g, (tuple, list)) and len(g) == len(identity) and all(
            np.shape(part) == np.shape(one) for part, one in zip(g, identity)
        ):
            return tuple(g)
        parts = ", ".join(f"a {np.shape(one)} element of {f.name}" for one, f in zip(identity, group.factors))
        expected = f"a tuple of {len(identity)} elements of its factors ({parts})"
    else:
        if not isinstance(g, tuple) and _shape(g) == np.shape(identity):
            return g
        expected = f"an array of shape {np.shape(identity)}"
    raise ValueError(
        f"representation {rep!r} takes one element of the group {group.name}, {expected}; got {_describe(g)}"
    )


def _shape(g):
    """The shape of an array-like ``g``, or None for a ragged one."""
    try:
        return np.shape(g)
    except ValueError:
        return None


def _check_algebra_element(rep, a):
    """``a``, the real form of a Lie algebra element, if it acts on one vector's columns."""
    n = rep.group.n_columns
    if np.shape(a) != (n, n):
        raise ValueError(
            f"representation {rep!r} takes a Lie algebra element of {rep.group.name} acting on {n} "
            f"columns, a ({n}, {n}) matrix in real form; got one of shape {np.shape(a)}"
        )
    return a


def _tensor_product(a, b):
    if not isinstance(b, Rep):
        raise TypeError(f"can only multiply representations by representations or integers, got {type(b).__name__}")
    same_group = a.group is None or b.group is None or a.group == b.group
    if same_group and isinstance(a, TensorRep) and isinstance(b, TensorRep):
        if a.rank == 0:
            return b if b.group is not None or a.group is None else b.bind(a.group)
        if b.rank == 0:
            return a if a.group is not None or b.group is None else a.bind(b.group)
        group = a.group or b.group
        if a.q == 0 or b.p == 0:
            return TensorRep(a.p + b.p, a.q + b.q, group)
    return ProductRep(a, b)


class ProductRep(Rep):
    """The tensor product ``a (x) b``: ``kron(rho_a, rho_b)``, ``a``'s index outermost.

    With ``a`` and ``b`` of different groups it is a representation of their product
    group, whose elements are tuples ``(g_a, g_b)``; this is how ``S(k) x G`` acts on ``k``
    particles' columns (``T(1)`` of S(k) times the columns of one particle).
    """

    def __init__(self, a, b):
        self.a, self.b = a, b
        if a.group is not None and b.group is not None and a.group != b.group:
            self.group, self.external = ProductGroup(a.group, b.group), True
        else:
            self.group, self.external = (a.group if a.group is not None else b.group), False
            if a.group is None or b.group is None:
                self.group = None

    def bind(self, group):
        if self.external:
            return self
        return ProductRep(self.a.bind(group), self.b.bind(group))

    def _size(self):
        return self.a.size * self.b.size

    def split_element(self, g):
        """``(g_a, g_b)``: the parts of a product element for ``a`` and ``b``, or ``g`` twice.

        For a representation of a product group ``g`` is a tuple with one element (or Lie
        algebra element) per factor of the product, each maybe batched.

        Raises
        ------
        ValueError
            If ``g`` is not such a tuple.
        """
        if not self.external:
            return g, g
        factors = self.group.factors
        if not isinstance(g, (tuple, list)) or len(g) != len(factors):
            raise ValueError(
                f"representation {self!r} takes an element of the product group {self.group.name}: "
                f"a tuple of {len(factors)} elements, one of each of {', '.join(f.name for f in factors)}; "
                f"got {_describe(g)}"
            )
        n_a = len(getattr(self.a.group, "factors", (self.a.group,)))
        return (g[0] if n_a == 1 else g[:n_a]), (g[n_a] if len(g) == n_a + 1 else g[n_a:])

    def rho(self, g):
        g_a, g_b = self.split_element(_check_element(self, g))
        return np.kron(self.a.rho(g_a), self.b.rho(g_b))

    def drho(self, A):
        A_a, A_b = self.split_element(A)
        total = np.zeros((self.size, self.size))
        if A_a is not None:
            total += np.kron(self.a.drho(A_a), np.eye(self.b.size))
        if A_b is not None:
            total += np.kron(np.eye(self.a.size), self.b.drho(A_b))
        return total

    def translation(self, g):
        """Translations of ``b``'s points, the same for every index of ``a`` (a permutation rep)."""
        _, g_b = self.split_element(g)
        shift = self.b.translation(g_b)
        return None if shift is None else np.kron(np.ones(self.a.size), shift)

    def dual(self):
        return ProductRep(self.a.dual(), self.b.dual())

    def tangent(self):
        return ProductRep(self.a.tangent(), self.b.tangent())

    def key(self):
        return ("*", self.a.key(), self.b.key())

    def __str__(self):
        if self.external and self._particle_term():
            # the layout term it came from: k particles' copies of b (T1 of S(k)), or b shared (T0)
            k = self.a.size if self.a.rank else 1
            inner = self.b.reps if isinstance(self.b, SumRep) else (self.b,)
            n = k * len(inner)
            if len(set(inner)) == 1 and not str(inner[0])[0].isdigit():
                return f"{n}{inner[0]}" if n > 1 else str(inner[0])
        if self.external:
            return f"({self.a} of {self.a.group.name})*({self.b} of {self.b.group.name})"
        return f"{self.a}*{self.b}"

    def _particle_term(self):
        """Whether this is ``T0`` or ``T1`` of S(k) times a rep of the other group (a layout term)."""
        return isinstance(self.a, TensorRep) and self.a.rank <= 1 and self.a.q == 0 and self.a.group.permutes_slots


class DualRep(Rep):
    """The dual of ``rep``: ``rho(g^-1)^T`` and ``-drho(A)^T``."""

    def __init__(self, rep):
        self.rep, self.group = rep, rep.group

    def bind(self, group):
        return DualRep(self.rep.bind(group))

    def _size(self):
        return self.rep.size

    def rho(self, g):
        return np.linalg.inv(self.rep.rho(g)).T

    def drho(self, A):
        return -self.rep.drho(A).T

    def dual(self):
        return self.rep

    def key(self):
        return ("dual", self.rep.key())

    def __str__(self):
        return f"({self.rep})*"
