"""The :class:`Group` interface, direct products, and the registry that turns names into groups.

Direct products ``G x H`` act on the tensor product of the factors' vectors: an element is
a tuple ``(g, h)`` of factor elements and acts on ``v (x) w`` as ``g v (x) h w``, so on flat
columns (row-major, the first factor outermost) as ``kron(g, h)``. The usual product is
``S(k) x G``: ``k`` interchangeable particles, each with scalars and vectors of ``G``
(see :func:`scalars.reps.rep`). Products live here, beside :class:`Group`, because a
group's ``*`` and :func:`get_group`'s names build them.

A group acts on ``d``-dimensional vectors, each stored in ``n_columns`` real columns of a
flat feature matrix (``d``, or ``2d`` for a complex group, real parts first). Besides its
action and random elements, a group knows its generators: a basis of its Lie algebra and
the discrete elements that, with the exponentials of the algebra, reach every component.
Both are real matrices acting on the columns of one vector, so every representation of
:mod:`scalars.reps` and the equivariant-basis solver read the same arrays.
"""

import re
from functools import reduce

import numpy as np

from scalars import invariants as inv
from scalars._backend import as_backend_of, as_index, broadcast_to, concatenate, swap_last

__all__ = ["Group", "ProductGroup", "get_group", "register_group", "invariant_degrees", "kron"]


class Group:
    """A matrix group acting on ``d``-dimensional vectors.

    Subclasses set ``name`` and ``d`` and implement :meth:`sample`, :meth:`invariants`
    and, for the solver and the tests, :meth:`lie_algebra` and
    :meth:`discrete_generators`. Everything else has a default.
    """

    name = None
    d = None
    is_complex = False
    is_finite = False
    permutes_slots = False  # S(n): a first factor that makes S(n) x G a group of n particles
    invariant_tensor = None
    """A symmetric (d, d) tensor fixed by the group (``g T g^T = T``), or None."""
    invariant_tensor_name = None
    """Name of the invariant tensor in :meth:`tensor_basis_names`: "I" for O(d), "eta" for O(1,d)."""

    def __repr__(self):
        return f"get_group({self.name!r})"

    def __eq__(self, other):
        return isinstance(other, Group) and self.name == other.name

    def __hash__(self):
        return hash(self.name)

    def __mul__(self, other):
        """The direct product ``self x other``, acting on the tensor product of their vectors."""
        return ProductGroup(self, get_group(other))

    # -- action ---------------------------------------------------------------------------
    def act(self, g, V):
        """Apply ``g`` of shape (..., d, d) to vectors ``V`` of shape (..., n, d)."""
        return V @ swap_last(g)

    def act_tensor(self, g, T):
        """Apply ``g`` to rank-2 tensors ``T`` of shape (..., d, d): ``g T g^T``."""
        return g @ T @ swap_last(g)

    def sample(self, size=None, rng=None):
        """Random elements: one (d, d) matrix, or (size, d, d) when ``size`` is given."""
        raise NotImplementedError

    def identity(self):
        """The identity element, in the form :meth:`sample` returns."""
        return np.eye(self.d)

    def real_form(self, g):
        """The real (..., n_columns, n_columns) matrix by which ``g`` acts on one vector's columns."""
        return np.asarray(g)

    def algebra_real_form(self, A):
        """The real (n_columns, n_columns) matrix by which algebra element ``A`` acts on one vector."""
        return np.asarray(A)

    # -- generators -----------------------------------------------------------------------
    def lie_algebra(self):
        """A basis of the Lie algebra, shape (D, n_columns, n_columns); D = 0 for a finite group."""
        raise NotImplementedError(f"{self.name} does not list its Lie algebra")

    def discrete_generators(self):
        """Elements (M, n_columns, n_columns) that, with exp of the algebra, generate the group."""
        raise NotImplementedError(f"{self.name} does not list its discrete generators")

    def lie_algebra_elements(self):
        """The Lie algebra basis in the form :meth:`scalars.reps.Rep.drho` takes."""
        return list(self.lie_algebra())

    def discrete_generator_elements(self):
        """The discrete generators in the form :meth:`scalars.reps.Rep.rho` takes."""
        return list(self.discrete_generators())

    def elements(self):
        """Every element, (order, d, d); only for finite groups."""
        raise TypeError(f"{self.name} is not a finite group: it has no list of elements")

    def contains(self, M, atol=1e-10):
        """Whether real matrices ``M`` (..., n_columns, n_columns) are elements (boolean array)."""
        raise NotImplementedError(f"{self.name} has no membership test")

    # -- flat real columns ----------------------------------------------------------------
    @property
    def n_columns(self):
        """Real columns a vector takes in a flat feature matrix."""
        return self.d

    def vectors_from_columns(self, V):
        """Vectors (..., n, d) from their real columns (..., n, n_columns)."""
        return V

    def columns_from_vectors(self, V):
        """Real columns (..., n, n_columns) of vectors (..., n, d)."""
        return V

    # -- invariants -----------------------------------------------------------------------
    def invariants(self, V):
        """Real invariant scalars of ``n`` vectors: (..., n, d) -> (..., n_invariants(n))."""
        raise NotImplementedError

    def invariant_names(self, names):
        """Names of :meth:`invariants` for vectors called ``names``, in the same order."""
        raise NotImplementedError

    def n_invariants(self, n):
        return len(self.invariant_names([f"v{i}" for i in range(n)]))

    # -- equivariant bases ----------------------------------------------------------------
    def vector_basis(self, V):
        """Vectors that span the equivariant vector outputs: (..., n, d) -> (..., k, d)."""
        return V

    def vector_basis_names(self, names):
        return list(names)

    def tensor_basis(self, V):
        """Symmetric tensors spanning the equivariant rank-2 outputs.

        ``sym(b_i b_j^T) = (b_i b_j^T + b_j b_i^T) / 2`` for ``i <= j`` over the vector basis,
        then the invariant tensor if the group has one. Shape (..., k, d) -> (..., K, d, d).
        """
        B = self.vector_basis(V)
        rows, cols = inv.pair_indices(B.shape[-2])
        outer = B[..., as_index(rows, B), :, None] * B[..., as_index(cols, B), None, :]
        tensors = (outer + swap_last(outer)) / 2
        if self.invariant_tensor is None:
            return tensors
        fixed = as_backend_of(self.invariant_tensor, tensors)
        fixed = broadcast_to(fixed, tuple(tensors.shape[:-3]) + (1,) + tuple(fixed.shape))
        return concatenate([tensors, fixed], axis=-3)

    def tensor_basis_names(self, names):
        """Names of :meth:`tensor_basis`: ``sym(a,b)`` per pair, then the invariant tensor."""
        basis = self.vector_basis_names(names)
        pairs = pair_names(basis, *inv.pair_indices(len(basis)), "sym({},{})")
        return pairs + ([] if self.invariant_tensor is None else [self.invariant_tensor_name])


def pair_names(names, rows, cols, template="<{},{}>"):
    """``template`` filled with the names of each pair ``(rows[k], cols[k])``."""
    return [template.format(names[i], names[j]) for i, j in zip(rows, cols)]


def subset_names(function, names, k):
    """``function(a,b,...)`` for every ``k``-subset of ``names``, in lexicographic order."""
    subsets = inv.subset_indices(len(names), k)
    return [f"{function}({','.join(names[i] for i in subset)})" for subset in subsets]


def haar_orthogonal(d, size, rng, complex_=False):
    """Haar-random orthogonal (or unitary) matrices by QR with the phase of R's diagonal fixed."""
    shape = (() if size is None else (size,)) + (d, d)
    A = rng.standard_normal(shape)
    if complex_:
        A = (A + 1j * rng.standard_normal(shape)) / np.sqrt(2)
    Q, R = np.linalg.qr(A)
    diagonal = np.diagonal(R, axis1=-2, axis2=-1)
    return Q * (diagonal / np.abs(diagonal))[..., None, :]


def skew_basis(d):
    """The d(d-1)/2 matrices ``E_ij - E_ji``, i < j: a basis of so(d), shape (D, d, d)."""
    rows, cols = np.triu_indices(d, k=1)
    basis = np.zeros((len(rows), d, d))
    basis[np.arange(len(rows)), rows, cols] = 1.0
    basis[np.arange(len(rows)), cols, rows] = -1.0
    return basis


def preserves(M, form, atol):
    """Whether ``M^T form M == form`` for each matrix of ``M`` (..., n, n)."""
    return np.all(np.abs(swap_last(M) @ form @ M - form) <= atol, axis=(-2, -1))


def invariant_degrees(group, n_vectors):
    """Degree of each invariant of ``group`` in each of ``n_vectors`` vectors.

    An invariant polynomial is multi-homogeneous: scaling vector ``i`` by ``t`` scales it
    by ``t^m_i``. The degrees are read off at a fixed random point, where every invariant
    is nonzero almost surely, by doubling one vector at a time.

    Returns
    -------
    ndarray of int, shape (n_invariants, n_vectors)

    Raises
    ------
    ValueError
        If an invariant is not homogeneous in each vector.
    """
    if n_vectors == 0:
        return np.zeros((0, 0), dtype=np.int64)
    point = np.random.default_rng(0).standard_normal((n_vectors, group.n_columns))
    vectors = group.vectors_from_columns(np.repeat(point[None], n_vectors + 1, axis=0))
    vectors[1:] *= np.where(np.eye(n_vectors, dtype=bool)[..., None], 2.0, 1.0)
    values = np.abs(group.invariants(vectors))
    degrees = np.log2(values[1:] / values[0]).T
    if not np.allclose(degrees, np.round(degrees), atol=1e-6):
        raise ValueError(f"The invariants of {group.name} are not homogeneous in each vector.")
    return np.round(degrees).astype(np.int64).reshape(-1, n_vectors)


# -- the registry ---------------------------------------------------------------------------
_REGISTRY = []  # (compiled pattern, factory), searched newest first


def kron(a, b):
    """Batched Kronecker product of (..., m, m') and (..., n, n') arrays: (..., mn, m'n')."""
    a, b = np.asarray(a), np.asarray(b)
    out = a[..., :, None, :, None] * b[..., None, :, None, :]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return out.reshape(shape + (a.shape[-2] * b.shape[-2], a.shape[-1] * b.shape[-1]))


class ProductGroup(Group):
    """The direct product of ``factors``, acting on the tensor product of their vectors.

    Parameters
    ----------
    *factors : str or Group
        Two or more groups; nested products are flattened.

    Attributes
    ----------
    factors : tuple of Group
    particles : int or None
        ``k`` for ``S(k) x G`` (interchangeable particles), else None.
    base : Group or None
        ``G`` for ``S(k) x G``, else None.
    """

    def __init__(self, *factors):
        flat = []
        for factor in map(get_group, factors):
            flat.extend(factor.factors if isinstance(factor, ProductGroup) else [factor])
        if len(flat) < 2:
            raise ValueError(f"a product needs at least two factors, got {len(flat)}")
        self.factors = tuple(flat)
        self.name = "x".join(factor.name for factor in self.factors)
        self.d = int(np.prod([factor.n_columns for factor in self.factors]))
        self.is_finite = all(factor.is_finite for factor in self.factors)
        permutes = len(self.factors) == 2 and self.factors[0].permutes_slots
        self.particles = self.factors[0].d if permutes else None
        self.base = self.factors[1] if permutes else None

    def sample(self, size=None, rng=None):
        """A tuple of factor elements (each batched when ``size`` is given)."""
        rng = np.random.default_rng(rng)
        return tuple(factor.sample(size, rng) for factor in self.factors)

    def identity(self):
        return tuple(factor.identity() for factor in self.factors)

    def elements(self):
        """Every element as a tuple of factor elements; only for finite factors."""
        lists = [factor.elements() for factor in self.factors]
        grids = np.meshgrid(*[np.arange(len(items)) for items in lists], indexing="ij")
        return tuple(items[grid.ravel()] for items, grid in zip(lists, grids))

    def real_form(self, g):
        return reduce(kron, (factor.real_form(part) for factor, part in zip(self.factors, g)))

    def algebra_real_form(self, A):
        """``sum_i I (x) ... (x) A_i (x) ... (x) I`` for a tuple ``A`` (None for a zero part)."""
        eyes = [np.eye(factor.n_columns) for factor in self.factors]
        total = np.zeros((self.d, self.d))
        for i, (factor, part) in enumerate(zip(self.factors, A)):
            if part is not None:
                total = total + reduce(kron, eyes[:i] + [factor.algebra_real_form(part)] + eyes[i + 1 :])
        return total

    def lie_algebra_elements(self):
        """Each factor's algebra basis, the other parts None (zero)."""
        nothing = [None] * len(self.factors)
        return [
            tuple(nothing[:i] + [A] + nothing[i + 1 :])
            for i, factor in enumerate(self.factors)
            for A in factor.lie_algebra_elements()
        ]

    def discrete_generator_elements(self):
        """Each factor's discrete generators, the other parts the identity."""
        identity = list(self.identity())
        return [
            tuple(identity[:i] + [h] + identity[i + 1 :])
            for i, factor in enumerate(self.factors)
            for h in factor.discrete_generator_elements()
        ]

    def lie_algebra(self):
        return np.array([self.algebra_real_form(A) for A in self.lie_algebra_elements()]).reshape(-1, self.d, self.d)

    def discrete_generators(self):
        return np.array([self.real_form(h) for h in self.discrete_generator_elements()]).reshape(-1, self.d, self.d)

    def act(self, g, V):
        """Vectors ``V`` (..., n, d) of the tensor product move by ``kron`` of the parts."""
        return V @ swap_last(as_backend_of(self.real_form(g), V))

    def invariants(self, V):
        raise NotImplementedError(
            f"{self.name} has no invariants of bare vectors: describe the inputs with a layout "
            f"(InvariantFeatures(group='{self.name}', layout=...))"
        )

    def invariant_names(self, names):
        self.invariants(None)


def register_group(pattern, factory):
    """Let :func:`get_group` build a group from a name matching ``pattern``.

    Parameters
    ----------
    pattern : str or compiled regex
        Matched against the whole name with spaces removed, e.g. ``r"Q\\((\\d+)\\)"``.
    factory : callable
        Called with the pattern's groups (digit strings converted to int) and returns a
        :class:`Group`. Later registrations take precedence over earlier ones.

    Examples
    --------
    >>> from scalars.groups import Orthogonal, register_group, get_group
    >>> register_group(r"Rot\\((\\d+)\\)", Orthogonal)
    >>> get_group("Rot(3)").name
    'O(3)'
    """
    _REGISTRY.insert(0, (re.compile(pattern), factory))


def _split_product(name):
    """Factors of ``"S(5)xO(3)"`` at top-level ``x`` (or ``×``), or None for a single group."""
    factors, depth, start = [], 0, 0
    for i, char in enumerate(name):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and char in "x×" and i > start and name[i - 1] == ")":
            factors.append(name[start:i])
            start = i + 1
    return factors + [name[start:]] if factors else None


def _product_factor(name, factor):
    """The group ``factor`` of the product named ``name``, or an error naming both."""
    if not factor:
        raise ValueError(f"unknown group {name!r}: a product needs a group on each side of 'x', as in 'S(5)xO(3)'")
    try:
        return get_group(factor)
    except ValueError as error:
        raise ValueError(f"unknown group {name!r}: its factor {factor!r} is not a group ({error})") from None


def get_group(group):
    """A :class:`Group` from its name or the group itself.

    Names: ``"O(d)"``, ``"SO(d)"``, ``"O(1,d)"``, ``"Sp(2m)"``, ``"U(d)"``, ``"S(n)"``,
    ``"Z(n)"`` (also ``"C(n)"``), ``"D(n)"``, ``"B(d)"``, ``"E(d)"``, ``"SE(d)"``, products such as ``"S(5)xO(3)"``,
    and any name added with :func:`register_group`.

    Raises
    ------
    ValueError
        If the name is not one of those forms.
    """
    if isinstance(group, Group):
        return group
    if isinstance(group, str):
        compact = group.replace(" ", "")
        factors = _split_product(compact)
        if factors:
            return ProductGroup(*(_product_factor(group, factor) for factor in factors))
        for pattern, factory in _REGISTRY:
            match = pattern.fullmatch(compact)
            if match:
                args = [int(a) if a is not None and a.isdigit() else a for a in match.groups()]
                if all(a > 0 for a in args if isinstance(a, int)):
                    return factory(*args)
    raise ValueError(
        f"unknown group {group!r}: use 'O(d)', 'SO(d)', 'O(1,d)', 'Sp(2m)', 'U(d)', 'S(n)', "
        "'Z(n)', 'C(n)', 'D(n)', 'B(d)', 'E(d)' or 'SE(d)' with d or n a positive integer (e.g. 'O(3)', "
        "'O(1,3)', 'U(2)'), a product such as 'S(5)xO(3)', a name added with "
        "register_group, or a Group"
    )
