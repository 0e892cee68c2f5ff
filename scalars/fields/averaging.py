"""Any CNN made exactly equivariant on the grid: averaged over the point group, or over a frame.

The third classic way (after invariant filters and group convolutions) leaves the network
alone and symmetrises its outputs (:mod:`scalars.averaging`):

.. math::

    \\langle\\Phi\\rangle(x) = \\frac{1}{|F(x)|} \\sum_{h \\in F(x)} h \\cdot \\Phi(h^{-1} \\cdot x),

with ``h`` acting on images by :func:`~scalars.fields.act`. Over the whole point group
(``F(x) = H``, :class:`scalars.averaging.GroupAverage` on an
:class:`~scalars.fields.ImageRep`) this costs ``|H|`` evaluations (8 for ``B(2)``). A
*frame* ``F(x)`` with ``F(g x) = g F(x)`` gives the same exact equivariance with fewer:
:func:`moment_frames` takes the elements that bring the image's second-moment tensor

.. math::

    S(x) = \\sum_{\\text{pixels, channels, components}} \\nabla x \\, \\nabla x^{\\mathsf T}

(periodic central differences, so ``S`` does not see translations and
``S(g x) = g S(x) g^T``) to a canonical form: diagonal in decreasing order, then the
off-diagonal entries as large as possible. ``S`` cannot tell ``h`` from ``-h`` (a half
turn), so a generic frame has 2 elements; a degenerate ``S`` (equal diagonal entries, a zero
off-diagonal entry) has a larger stabiliser and the frame is the whole coset of it, up to
the whole group for an isotropic ``S = s I`` (a constant image, a disc). If the wrapped
network commutes with translations (periodic padding), so does its average.
"""

import numpy as np
import torch
from torch import nn

from scalars._backend import to_numpy
from scalars.averaging import Frame, GroupAverage
from scalars.fields.images import GridGroup, ImageRep, check_order_parity, image_shape, signed_permutation
from scalars.fields.layers import check_images
from scalars.groups import get_group
from scalars.nn.devices import resolve_device

__all__ = ["second_moments", "moment_frames", "MomentFrameAverage", "ImageAveraging"]


def second_moments(images, d, order):
    """The second-moment (structure) tensor of each image, from periodic central differences.

    Parameters
    ----------
    images : ndarray or tensor of shape (batch, ..., n, ..., n, d, ..., d)
        Any axes between the batch and the grid (channels), ``d`` grid axes, ``order``
        tensor axes.
    d : int
    order : int

    Returns
    -------
    ndarray of shape (batch, d, d), float64
        ``S[b] = sum of grad x grad^T`` over pixels, channels and tensor components, with
        ``grad_a x(i) = (x(i + e_a) - x(i - e_a)) / 2`` (periodic).
    """
    check_order_parity(order, 0)
    images = np.asarray(to_numpy(images), dtype=np.float64)
    image_shape(images, d, order)
    first = images.ndim - order - d  # the first grid axis
    gradients = [(np.roll(images, -1, axis) - np.roll(images, 1, axis)) / 2 for axis in range(first, first + d)]
    G = np.stack([g.reshape(len(images), -1) for g in gradients], axis=1)  # (batch, d, everything)
    return G @ np.swapaxes(G, 1, 2)


def moment_frames(S, elements, tol=1e-8):
    """The frame of each second-moment tensor: the elements that make it canonical.

    Parameters
    ----------
    S : ndarray of shape (batch, d, d)
        Symmetric, with ``S(g x) = g S(x) g^T``.
    elements : ndarray of shape (m, d, d)
        The point group, signed permutations.
    tol : float, default 1e-8
        Entries of ``h^T S h`` within ``tol * trace(S)`` of the best count as tied.

    Returns
    -------
    scalars.averaging.Frame
        For each sample the ``h`` whose ``h^T S h`` has the lexicographically largest
        (diagonal, then upper off-diagonal) entries, with equal weights: ``F(g x) = g F(x)``.
    """
    S, elements = np.asarray(S, dtype=np.float64), np.asarray(elements)
    d = S.shape[-1]
    T = np.einsum("mab,nbc,mcd->nmad", np.swapaxes(elements, 1, 2), S, elements)  # h^T S h, entries permuted
    upper = np.triu_indices(d, 1)
    keys = np.concatenate([np.diagonal(T, axis1=2, axis2=3), T[..., upper[0], upper[1]]], axis=-1)
    slack = tol * np.maximum(np.trace(S, axis1=1, axis2=2), np.finfo(float).tiny)[:, None]
    chosen = np.ones(keys.shape[:2], dtype=bool)
    for column in np.moveaxis(keys, -1, 0):
        best = np.where(chosen, column, -np.inf).max(axis=1, keepdims=True)
        chosen &= column >= best - slack
    sample, element = np.nonzero(chosen)
    weights = 1.0 / chosen.sum(axis=1)[sample]
    return Frame(sample, elements[element].astype(np.float64), weights, len(S))


class MomentFrameAverage(GroupAverage):
    """:class:`scalars.averaging.GroupAverage` restricted to each image's moment frame.

    Parameters
    ----------
    group : str or Group
        The point group, signed permutations (``"B(2)"``, ``"C(4)"``, ``"B(3)"``, ...).
    layout : ImageRep
        The input images, flat.
    output : str or ImageRep, default "T0"
        ``"T0"`` for invariant outputs, an :class:`~scalars.fields.ImageRep` for images.
    tol : float, default 1e-8
        See :func:`moment_frames`.
    """

    def __init__(self, group, layout, output="T0", tol=1e-8):
        if not isinstance(layout, ImageRep):
            raise TypeError(f"layout must be an ImageRep (the input images), got {type(layout).__name__}")
        super().__init__(group, layout, output)
        self.tol = tol
        self._elements = np.array([signed_permutation(g, self.group.d) for g in self.group.elements()])

    def rows_per_sample(self, plan):
        """At most the whole point group per image."""
        return len(self._elements)

    def chunk_frame(self, X, offset, plan):
        """The moment frames (:func:`moment_frames`) of the images in the rows of ``X``."""
        rep = self.input_rep
        images = to_numpy(X).reshape((len(X), rep.channels) + (rep.n,) * rep.d + (rep.d,) * rep.order)
        return moment_frames(second_moments(images, rep.d, rep.order), self._elements, self.tol)


class ImageAveraging(nn.Module):
    """Any torch CNN on images, averaged over the point group or over each image's frame.

    Exactly equivariant to the point group (turning about the centre pixel); to translations
    as well when ``module`` is (periodic padding). The average is differentiable in the
    module's parameters, so the wrapped model trains through :func:`scalars.nn.fit`.

    Parameters
    ----------
    module : nn.Module
        Maps images (batch, in_channels, n, ..., n, d x in_order) to images
        (batch, out_channels, n, ..., n, d x out_order), or to invariant outputs
        (batch, ...) when ``out_order`` is None.
    in_order : int, default 0
    out_order : int or None, default 0
        None: the outputs are invariant (class logits, say), any shape per sample.
    in_channels, out_channels : int, default 1
    d : int, default 2
    in_parity, out_parity : {0, 1}, default 0
    point_group : str or Group, optional
        Default ``B(d)``.
    frame : bool, default False
        False: average over every element of the point group. True: over the elements of
        each image's second-moment frame (:func:`moment_frames`; 2 of 8 for generic
        images, more for symmetric ones).
    tol : float, default 1e-8
        Ties of the frame (``frame=True`` only).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Examples
    --------
    >>> import torch
    >>> from scalars.fields import ImageAveraging, PlainCNN
    >>> model = ImageAveraging(PlainCNN(0, 1).double(), 0, 1, frame=True)
    >>> model(torch.randn(2, 1, 8, 8, dtype=torch.float64)).shape
    torch.Size([2, 1, 8, 8, 2])
    """

    def __init__(self, module, in_order=0, out_order=0, in_channels=1, out_channels=1, d=2, in_parity=0, out_parity=0,
                 point_group=None, frame=False, tol=1e-8, device="cpu"):
        super().__init__()
        check_order_parity(in_order, in_parity)
        if out_order is not None:
            check_order_parity(out_order, out_parity)
        self.module = module
        self.in_order, self.out_order, self.in_channels, self.out_channels = in_order, out_order, in_channels, out_channels
        self.d, self.in_parity, self.out_parity, self.frame, self.tol = d, in_parity, out_parity, bool(frame), tol
        self.point_group = get_group(f"B({d})" if point_group is None else point_group)
        if self.point_group.d != d:
            raise ValueError(f"point_group {self.point_group.name} acts in {self.point_group.d} dimensions, not d = {d}")
        self._averages = {}
        self.to(resolve_device(device, "ImageAveraging: device"))

    def average(self, n):
        """The :class:`~scalars.averaging.GroupAverage` (or :class:`MomentFrameAverage`) on grids of ``n`` pixels."""
        if n not in self._averages:
            rep_in = ImageRep(n, self.in_order, self.in_parity, self.in_channels)
            rep_out = "T0" if self.out_order is None else ImageRep(n, self.out_order, self.out_parity, self.out_channels)
            if self.frame:
                self._averages[n] = MomentFrameAverage(self.point_group, rep_in, rep_out, self.tol)
            else:
                self._averages[n] = GroupAverage(self.point_group, rep_in, rep_out)
        return self._averages[n]

    def forward(self, x):
        """The average of ``module`` at images ``x`` (batch, in_channels, n, ..., n, d x in_order)."""
        batch, n = check_images(x, self.d, self.in_order, self.in_channels, "the input images")
        shape = tuple(x.shape[1:])

        def flat_module(rows):
            out = self.module(rows.reshape((len(rows),) + shape))
            return out.reshape(len(rows), -1) if self.out_order is not None else out

        out = self.average(n)(flat_module, x.reshape(batch, -1))
        if self.out_order is None:
            return out
        return out.reshape((batch, self.out_channels) + (n,) * self.d + (self.d,) * self.out_order)

    def image_reps(self, n):
        """``(rep_in, rep_out)`` bound to the grid's group, for ``scalars.testing.assert_equivariant``.

        Only for image outputs; invariant outputs (``out_order=None``) are checked directly.
        """
        if self.out_order is None:
            raise ValueError("image_reps needs image outputs: this average has invariant outputs (out_order=None)")
        group = GridGroup(n, self.point_group)
        return (ImageRep(n, self.in_order, self.in_parity, self.in_channels)(group),
                ImageRep(n, self.out_order, self.out_parity, self.out_channels)(group))

    def extra_repr(self):
        return f"point_group={self.point_group.name!r}, frame={self.frame}"
