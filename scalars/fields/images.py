"""Geometric images: tensor fields on a periodic grid and how the grid's symmetries move them.

A geometric image of order ``k`` and parity ``p`` on a ``d``-dimensional grid of ``n``
pixels a side holds a tensor of ``d^k`` components at each pixel: an array
``(..., n, ..., n, d, ..., d)`` with ``d`` grid axes then ``k`` tensor axes. A signed
permutation ``g`` (an element of ``B(d)``, :class:`scalars.groups.Hyperoctahedral`) and a
translation ``t`` act by moving the pixels and transforming the values:

.. math::

    (g \\cdot f)(g (i - c) + c + t \\bmod n) = \\det(g)^p \\, g^{\\otimes k} f(i),

where ``c = n // 2`` is the *centre pixel* on every axis (the middle pixel for odd ``n``,
the one just past the middle for even ``n``): the point group turns the grid about it. On a
periodic grid every choice of ``c`` gives an equivalent group (conjugate by a translation);
this one also turns an odd ``size`` filter about its middle. Parity 1 makes a pseudo
(axial) tensor, which a reflection flips once more.

:class:`ImageRep` is this action as a :class:`scalars.reps.Rep` (so the equivariant-basis
solver and :mod:`scalars.testing` work on images), and :class:`GridGroup` is the group of
the grid: a point group (``B(d)``, or ``C(4)``, ``D(4)`` in 2-D) with the translations.
"""

from functools import reduce

import numpy as np

from scalars._backend import as_backend_of, as_index, swap_last
from scalars.groups import Group, get_group
from scalars.reps import Rep

__all__ = [
    "act", "signed_permutation", "pixel_sources", "tensor_matrix", "image_shape", "check_order_parity", "ImageRep", "GridGroup",
]


def signed_permutation(g, d=None):
    """``g`` as an integer signed permutation matrix (d, d), or a ValueError naming it.

    Parameters
    ----------
    g : array-like of shape (d, d)
        An element of ``B(d)``: one entry +-1 in each row and column (floating-point noise
        up to 1e-9 is rounded away, so ``Z(4)``'s rotation matrices qualify).
    d : int, optional
        The expected dimension.
    """
    g = np.asarray(g, dtype=float)
    if g.ndim != 2 or g.shape[0] != g.shape[1] or (d is not None and g.shape[0] != d):
        want = "a square matrix" if d is None else f"a ({d}, {d}) matrix"
        raise ValueError(f"g must be {want} (a signed permutation), got shape {g.shape}")
    rounded = np.round(g)
    if not (np.all(np.abs(g - rounded) <= 1e-9) and np.all(np.abs(rounded).sum(0) == 1) and np.all(np.abs(rounded).sum(1) == 1)):
        raise ValueError(f"g must be a signed permutation matrix (an element of B({len(g)})), got {g.tolist()}")
    return rounded.astype(np.int64)


def pixel_sources(g, n, shift=None):
    """For each pixel of the moved image (C order), the pixel of the original it comes from.

    Parameters
    ----------
    g : array-like (d, d)
        A signed permutation matrix.
    n : int
        Pixels a side.
    shift : array-like of int (d,), optional
        The translation, applied after ``g``.

    Returns
    -------
    ndarray of int, shape (n**d,)
        ``source[j] = i`` with ``j = g (i - c) + c + shift mod n``, ``c = n // 2``.
    """
    g = signed_permutation(g)
    d = len(g)
    shift = np.zeros(d, dtype=np.int64) if shift is None else np.asarray(shift, dtype=np.int64).reshape(d)
    grid = np.indices((n,) * d).reshape(d, -1)
    c = n // 2
    targets = np.ravel_multi_index(tuple((g @ (grid - c) + c + shift[:, None]) % n), (n,) * d)
    sources = np.empty_like(targets)
    sources[targets] = np.arange(n**d)
    return sources


def tensor_matrix(g, order, parity=0):
    """The (d**order, d**order) matrix ``det(g)^parity g^(x)order`` acting on flat tensor values."""
    g = np.asarray(g, dtype=float)
    sign = np.round(np.linalg.det(g)) ** parity
    return sign * reduce(np.kron, [g] * order, np.ones((1, 1)))


def image_shape(images, d, order, what="images"):
    """``(leading shape, n)`` of images ``(..., n, ..., n, d, ..., d)``, or a ValueError naming the problem."""
    shape = tuple(images.shape)
    if len(shape) < d + order:
        raise ValueError(
            f"{what} of order {order} on a {d}-D grid need at least {d + order} axes (..., n x{d}, d x{order}), "
            f"got shape {shape}"
        )
    tensor, grid = shape[len(shape) - order :], shape[len(shape) - order - d : len(shape) - order]
    if any(size != d for size in tensor):
        raise ValueError(f"{what}: the last {order} axes must be tensor indices of size d = {d}, got shape {shape}")
    if len(set(grid)) != 1:
        raise ValueError(f"{what}: the grid must be square (n pixels on each of its {d} axes), got grid shape {grid}")
    return shape[: len(shape) - order - d], grid[0]


def act(g, images, order, parity=0, shift=None):
    """Apply a signed permutation ``g`` (and a translation) to tensor images.

    Parameters
    ----------
    g : array-like of shape (d, d)
        A signed permutation matrix (an element of ``B(d)``), turning the grid about its
        centre pixel ``c = n // 2`` (see the module docstring).
    images : ndarray or torch tensor of shape (..., n, ..., n, d, ..., d)
        Any leading axes (batch, channels), ``d`` grid axes, ``order`` tensor axes.
    order : int
        Tensor order ``k`` of the values (0 scalars, 1 vectors, 2 matrices, ...).
    parity : {0, 1}
        1 for pseudo-tensors, which also change sign under reflections (``det(g) = -1``).
    shift : array-like of int (d,), optional
        A translation by whole pixels (periodic), applied after ``g``.

    Returns
    -------
    Same type, shape and dtype as ``images``:
    ``out[g (i - c) + c + shift] = det(g)^parity g^(x)order images[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalars.fields import act
    >>> image = np.zeros((3, 3, 2)); image[1, 2] = [0.0, 1.0]   # at offset (0, 1) from the centre (1, 1)
    >>> quarter_turn = np.array([[0, -1], [1, 0]])
    >>> turned = act(quarter_turn, image, order=1)
    >>> turned[0, 1].tolist()                                   # at offset (-1, 0), turned the same way
    [-1.0, 0.0]
    """
    check_order_parity(order, parity)
    g = signed_permutation(g)
    d = len(g)
    lead, n = image_shape(images, d, order)
    flat = images.reshape(lead + (n**d, d**order))
    moved = flat[..., as_index(pixel_sources(g, n, shift), flat), :]
    if order or parity:
        moved = moved @ swap_last(as_backend_of(tensor_matrix(g, order, parity), flat))
    return moved.reshape(tuple(images.shape))


def check_order_parity(order, parity):
    """A ValueError unless ``order`` is a non-negative integer and ``parity`` 0 or 1."""
    if int(order) != order or order < 0:
        raise ValueError(f"order must be a non-negative integer (tensor order), got {order!r}")
    if parity not in (0, 1):
        raise ValueError(f"parity must be 0 (tensor) or 1 (pseudo-tensor), got {parity!r}")


class GridGroup(Group):
    """The symmetries of a periodic grid: a point group of signed permutations and translations.

    An element is an integer affine matrix ``[[g, t], [0, 1]]`` of shape (d + 1, d + 1): the
    point-group element ``g`` (turning the grid about its centre pixel) followed by the
    translation ``t`` (mod ``n``). As a group acting on vectors (``T(1)``, the values of a
    vector image) only ``g`` acts; :class:`ImageRep` moves whole images.

    Parameters
    ----------
    n : int
        Pixels a side.
    point_group : str or Group, default "B(2)"
        A finite group of signed permutations: ``"B(d)"``, or ``"C(4)"``, ``"D(4)"`` in 2-D.
    """

    is_finite = True

    def __init__(self, n, point_group="B(2)"):
        if int(n) != n or n < 1:
            raise ValueError(f"n must be a positive number of pixels a side, got {n!r}")
        self.n, self.point_group = int(n), get_group(point_group)
        self.d = self.point_group.d
        self.name = f"Grid({self.n},{self.point_group.name})"
        self._points = np.array([signed_permutation(g) for g in self.point_group.elements()])

    def affine(self, g, shift):
        """The element ``[[g, shift], [0, 1]]``."""
        element = np.eye(self.d + 1, dtype=np.int64)
        element[: self.d, : self.d], element[: self.d, self.d] = signed_permutation(g, self.d), np.mod(shift, self.n)
        return element

    def identity(self):
        return np.eye(self.d + 1, dtype=np.int64)

    def sample(self, size=None, rng=None):
        rng = np.random.default_rng(rng)
        count = 1 if size is None else size
        points = self._points[rng.integers(len(self._points), size=count)]
        elements = np.array([self.affine(g, rng.integers(self.n, size=self.d)) for g in points])
        return elements[0] if size is None else elements

    def elements(self):
        shifts = np.indices((self.n,) * self.d).reshape(self.d, -1).T
        return np.array([self.affine(g, t) for g in self._points for t in shifts])

    def discrete_generators(self):
        unit = np.eye(self.d, dtype=np.int64)
        turns = [self.affine(h, 0) for h in self.point_group.discrete_generators()]
        return np.array(turns + [self.affine(unit, e) for e in unit])

    def lie_algebra(self):
        return np.zeros((0, self.d, self.d))

    def real_form(self, g):
        """The point-group part ``g[:d, :d]``: how the element acts on a tensor's values."""
        return np.asarray(g)[..., : self.d, : self.d].astype(float)

    def invariants(self, V):
        raise NotImplementedError(f"{self.name} acts on images: use ImageRep and scalars.fields, not bare vectors")


class ImageRep(Rep):
    """Tensor images as a representation: ``channels`` images of one order and parity, flat.

    The columns are the entries of an array ``(channels, n, ..., n, d, ..., d)`` in C order
    (channels, then pixels, then tensor indices). Bound to a point group of signed
    permutations (``B(d)``, ``C(4)``, ``D(4)``) it turns images about the centre pixel; bound
    to a :class:`GridGroup` it also translates them. :meth:`act` takes flat rows
    ``(..., size)`` or images ``(..., channels, n, ..., n, d, ..., d)``, moving pixels by
    indexing (never forming ``rho``), so ``scalars.testing.assert_equivariant`` checks
    image models that carry an ``ImageRep`` as ``rep_in`` and ``rep_out``.

    Parameters
    ----------
    n : int
        Pixels a side (a filter's ``size``).
    order : int, default 0
    parity : {0, 1}, default 0
    channels : int, default 1

    Examples
    --------
    >>> from scalars.fields import ImageRep
    >>> from scalars.reps import equivariant_basis
    >>> equivariant_basis(ImageRep(3, order=1)("B(2)")).shape   # invariant 3x3 vector filters
    (18, 2)
    """

    def __init__(self, n, order=0, parity=0, channels=1, group=None):
        check_order_parity(order, parity)
        if int(n) != n or n < 1 or int(channels) != channels or channels < 1:
            raise ValueError(f"ImageRep needs positive integers n and channels, got n={n!r}, channels={channels!r}")
        self.n, self.order, self.parity, self.channels, self.group = int(n), int(order), parity, int(channels), group

    def bind(self, group):
        return ImageRep(self.n, self.order, self.parity, self.channels, group)

    @property
    def d(self):
        return self.require_group().d

    def _size(self):
        return self.channels * self.n**self.d * self.d**self.order

    def _parts(self, g):
        """``(point-group element, shift)`` of a group element."""
        g = np.asarray(g)
        if isinstance(self.group, GridGroup):
            if g.shape != (self.d + 1, self.d + 1):
                raise ValueError(
                    f"{self!r} takes an affine ({self.d + 1}, {self.d + 1}) element of {self.group.name}, got shape {g.shape}"
                )
            return g[: self.d, : self.d], g[: self.d, self.d]
        return signed_permutation(self.group.real_form(g), self.d), None

    def rho(self, g):
        point, shift = self._parts(g)
        pixels = np.eye(self.n**self.d)[pixel_sources(point, self.n, shift)]  # (rho x)[j] = x[source[j]]
        return reduce(np.kron, [np.eye(self.channels), pixels, tensor_matrix(point, self.order, self.parity)])

    def drho(self, A):
        return np.zeros((self.size, self.size))

    def act(self, g, X):
        """``g`` acting on flat rows (..., size) or on images (..., channels, n, ..., n, d, ..., d)."""
        point, shift = self._parts(g)
        shape = tuple(X.shape)
        image = (self.channels,) + (self.n,) * self.d + (self.d,) * self.order
        if shape[len(shape) - len(image) :] == image:
            lead = shape[: len(shape) - len(image)]
        elif shape[-1] == self.size:
            lead = shape[:-1]
        else:
            raise ValueError(f"representation {self} acts on {self.size} columns or images of shape {image}, got shape {shape}")
        return act(point, X.reshape(lead + image), self.order, self.parity, shift).reshape(shape)

    def key(self):
        return ("image", self.n, self.order, self.parity, self.channels, self.group)

    def __str__(self):
        pseudo = "p" if self.parity else ""
        return f"Image({self.channels}x{self.n}^d, T{self.order}{pseudo})"
