"""Outer products and contractions of geometric images: the equivariant bilinear maps per pixel.

The outer product of images of order ``k1`` (parity ``p1``) and ``k2`` (``p2``) is the image
of order ``k1 + k2`` and parity ``p1 + p2 mod 2`` whose value at each pixel is the tensor
product of theirs, ``(a (x) b)_(i..j..) = a_(i..) b_(j..)``: since
``g^(x)k1 a (x) g^(x)k2 b = g^(x)(k1+k2) (a (x) b)`` and the signs ``det(g)`` multiply, it commutes
with every signed permutation and translation. A contraction sums two tensor indices
(``delta_ij``), which the orthogonal ``g`` keeps: order ``k`` to ``k - 2``, the same parity.
Together they give the invariant and equivariant polynomials of the pixel values (a dot
product ``u . v`` is the contraction of ``u (x) v``), the nonlinearity of Gregory et al.'s
geometric networks. They work on numpy arrays and torch tensors alike.
"""

import numpy as np

from scalars.fields.images import check_order_parity, image_shape

__all__ = ["outer_product", "contract", "product_type"]


def product_type(first, second):
    """``(order, parity)`` of the outer product of images of types ``first`` and ``second``.

    >>> product_type((1, 0), (1, 1))      # a vector times a pseudo-vector
    (2, 1)
    """
    (k1, p1), (k2, p2) = first, second
    check_order_parity(k1, p1), check_order_parity(k2, p2)
    return k1 + k2, (p1 + p2) % 2


def outer_product(a, b, a_order, b_order, d=2):
    """Pixelwise tensor product of two images, channels and batch broadcast.

    Parameters
    ----------
    a : ndarray or torch tensor of shape (..., n, ..., n, d x a_order)
    b : ndarray or torch tensor of shape (..., n, ..., n, d x b_order)
        Leading axes (batch, channels) that broadcast against ``a``'s.
    a_order, b_order : int
    d : int, default 2

    Returns
    -------
    Images of shape (broadcast leading axes, n, ..., n, d x (a_order + b_order)): ``a``'s
    tensor indices, then ``b``'s. Parity: the sum of the two, mod 2
    (``product_type``).

    Examples
    --------
    >>> import numpy as np
    >>> u, v = np.ones((3, 3, 2)), np.arange(18.0).reshape(3, 3, 2)
    >>> outer_product(u, v, 1, 1).shape
    (3, 3, 2, 2)
    """
    check_order_parity(a_order, 0), check_order_parity(b_order, 0)
    lead_a, n_a = image_shape(a, d, a_order, "a")
    lead_b, n_b = image_shape(b, d, b_order, "b")
    if n_a != n_b:
        raise ValueError(f"a and b must be on the same grid, got {n_a} and {n_b} pixels a side")
    a = a.reshape(tuple(a.shape) + (1,) * b_order)
    b = b.reshape(tuple(b.shape[: len(b.shape) - b_order]) + (1,) * a_order + tuple(b.shape[len(b.shape) - b_order :]))
    return a * b


def contract(x, order, axes=(0, 1), d=2):
    """Sum two tensor indices of images: order ``k`` to ``k - 2``, the same parity.

    Parameters
    ----------
    x : ndarray or torch tensor of shape (..., n, ..., n, d x order)
    order : int
        At least 2.
    axes : pair of int, default (0, 1)
        The two tensor indices summed, counted from the first tensor index (``0 .. order - 1``).
    d : int, default 2

    Returns
    -------
    Images of order ``order - 2``: the remaining tensor indices in their order.

    Examples
    --------
    >>> import numpy as np
    >>> u, v = np.ones((3, 3, 2)), np.arange(18.0).reshape(3, 3, 2)
    >>> np.allclose(contract(outer_product(u, v, 1, 1), 2), (u * v).sum(-1))    # the dot product
    True
    """
    check_order_parity(order, 0)
    if order < 2:
        raise ValueError(f"a contraction needs order >= 2, got order {order}")
    i, j = sorted(int(a) for a in axes)
    if len(set(axes)) != 2 or not 0 <= i < j < order:
        raise ValueError(f"axes must be two different tensor indices in 0 .. {order - 1}, got {axes!r}")
    image_shape(x, d, order, "x")
    first = x.ndim - order
    return x.diagonal(0, first + i, first + j).sum(-1)
