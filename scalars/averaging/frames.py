"""Frames: small equivariant sets of group elements, one set per sample.

A frame ``F(x)`` is a set of group elements with ``F(g x) = g F(x)``; averaging
``rho_out(h) Phi(rho_in(h)^-1 x)`` over ``h`` in ``F(x)`` is then exactly equivariant for
any ``Phi`` (Puny et al., ICLR 2022). Two constructions, batched over samples:

PCA frames (O(d), SO(d), E(d), SE(d))
    The eigenvectors ``U`` of the covariance of the centred points (of all the vectors when
    there are no points) with every sign choice ``U diag(s)``: 2^d elements, those with
    determinant +1 for SO(d); E(d) adds the centroid as the translation. Where
    eigenvalues repeat (within ``tol`` of the largest: a square, a regular polygon or
    polyhedron, collinear points, a single point) the eigenvectors of the repeated
    eigenvalue are not defined. That eigenspace ``E`` is then cut by the input vectors in
    layout order (centred points, then free vectors): the first vector with a component in
    ``E`` (above ``tol`` of its length) fixes a direction, sign included, and so on. What
    no vector reaches, every vector is orthogonal to: the input is invariant under all of
    O(E), and the frame averages over a finite design of O(E) (SO(E) for SO(d)) that
    integrates the output representation exactly (``{I}`` for invariant outputs, ``{I, -I}``
    for vectors and points, signed permutations for tensors of rank 2 and 3). The only
    inputs this cannot make exact are those with vectors almost, but not quite, orthogonal
    to such an ``E`` (components between ``tol**2`` and ``tol`` of their length); they are
    reported by sample.

Permutation frames (S(k), and S(k) x G)
    Particles sorted by their G-invariant scalars, lexicographically; particles whose
    scalars agree within ``tol`` are tied, and the frame holds every order of the tied ones.
    With a PCA frame of G this gives a frame of ``S(k) x G``: ``{(P, h) : P in F_S(x),
    h in F_G(P^-1 x)}``.

Spectral frames (S(n) acting on symmetric matrices, ``A -> P A P^T``: weighted graphs)
    Nodes sorted by invariant keys from the Laplacian ``L = D - A`` (``D`` the row sums of
    ``A``) and its eigenvectors: first the sign- and basis-free keys (the diagonal of
    ``A``, the row sums, then for each eigenvalue, in increasing order, the diagonal of
    the projector on its eigenspace, ``u_i^2`` for a simple one); where these leave nodes
    tied, the eigenvectors of simple eigenvalues, in increasing order, each taken when it
    splits a tie, with both of its signs (the frame holds the orders of every sign
    choice). Nodes still tied (as those exchanged by an automorphism) are taken in every
    order. Every choice depends on ``A`` only through equivariant quantities, so the frame
    is exactly equivariant; a frame larger than ``max_size`` is refused.

Canonical-labelling frames (S(n) on symmetric matrices, ``canonical=True``)
    The orders of the nodes that take the graph to its exact canonical form
    (:func:`scalars.canonical_labelling.canonical_labelling`: colour refinement and an
    individualisation-refinement search, entries compared exactly): a coset of its
    automorphism group, so every element gives the same relabelled input. Exact where the
    spectral keys tie every node, as in strongly regular graphs; a graph whose search tree
    is larger than ``max_size`` nodes is refused.

A canonical frame of a vector input (``canonical=True``) also fixes the sign of every eigenvector with the
first vector that has a component along it, so that a generic input gets one element: a
canonicalisation. Its elements differ only by symmetries of the input, so the canonical
input ``h^-1 x`` is the same for all of them.
"""

from itertools import permutations, product
from math import factorial, prod

import numpy as np

from scalars.canonical_labelling import SearchTooLarge, canonical_labelling

__all__ = ["pca_frames", "sort_frames", "spectral_frames", "canonical_frames", "design", "in_safe_range", "SampleError"]

_EPS = np.finfo(np.float64).eps
_SAFE_FRACTION = 0.4  # of the largest exponent: sums of squares of |x| < 2^(0.4 maxexp) stay finite and normal


class SampleError(ValueError):
    """A frame cannot be built for the input row ``row``."""

    def __init__(self, row, message):
        super().__init__(f"row {row}: {message}")
        self.row, self.message = row, message


def in_safe_range(X):
    """``X`` (n, ...) with the samples whose squares would leave the float range scaled to order one.

    Such a sample is divided by a power of two, exactly; every other sample is left as it
    is. Frames are unchanged by a positive factor, so the frame of the result is that of ``X``.

    Returns
    -------
    X : ndarray of the shape of ``X``, floating (float64 for other dtypes)
    shift : ndarray of int, shape (n,)
        The scaled sample is ``X[i] / 2**shift[i]``.
    """
    X = X if X.dtype.kind == "f" else X.astype(np.float64)
    axes = tuple(range(1, X.ndim))
    exponent = np.frexp(np.abs(X).max(axis=axes, initial=0.0))[1]
    shift = np.where(np.abs(exponent) > _SAFE_FRACTION * np.finfo(X.dtype).maxexp, exponent, 0)
    return np.ldexp(X, -shift.reshape((-1,) + (1,) * len(axes))), shift


def _signed_permutations(k, special):
    """All k x k signed permutation matrices (det +1 only if ``special``)."""
    out = []
    for order in permutations(range(k)):
        for signs in product((1.0, -1.0), repeat=k):
            M = np.eye(k)[:, list(order)] * np.array(signs)
            if not special or np.linalg.det(M) > 0:
                out.append(M)
    return np.array(out)


def design(k, max_rank, special):
    """Finite elements of O(k) (SO(k) if ``special``) whose average of every tensor
    representation of rank at most ``max_rank`` equals its Haar average.

    Parameters
    ----------
    k : int
        Dimension of the subspace, at least 2.
    max_rank : int
        Largest tensor rank of the output representation.
    special : bool

    Returns
    -------
    ndarray of shape (n_elements, k, k)

    Raises
    ------
    ValueError
        For ranks above 3, or ranks 2 and 3 with ``k > 3`` (no small design implemented).
    """
    if max_rank == 0:
        return np.eye(k)[None]
    if max_rank == 1:
        if not special:
            return np.stack([np.eye(k), -np.eye(k)])
        signs = np.array([s for s in product((1.0, -1.0), repeat=k) if np.prod(s) > 0])
        return signs[:, None, :] * np.eye(k)
    if max_rank <= 3 and k <= 3:
        return _signed_permutations(k, special)
    raise ValueError(
        f"no exact design for outputs of tensor rank {max_rank} over a symmetric subspace of "
        f"dimension {k}: frames support ranks up to 3 (up to 1 when the subspace has more than "
        "3 dimensions)"
    )


def _homogeneous(R, c):
    """Homogeneous E(d) elements [[R, c], [0, 1]] of shape (..., d+1, d+1)."""
    d = R.shape[-1]
    g = np.zeros(R.shape[:-2] + (d + 1, d + 1))
    g[..., :d, :d] = R
    g[..., :d, d] = c
    g[..., d, d] = 1.0
    return g


def _sign_patterns(d, special):
    patterns = np.array(list(product((1.0, -1.0), repeat=d)))
    return patterns[np.prod(patterns, axis=1) > 0] if special else patterns


def pca_frames(V, is_point, euclidean, special, tol=1e-5, canonical=False, max_rank=1, symmetric_below=None):
    """PCA frames of a batch of vector sets.

    Parameters
    ----------
    V : ndarray of shape (n, q, d)
        The vectors of each sample in layout order, points included (float64).
    is_point : ndarray of bool, shape (q,)
        Which vectors are points (centred on their centroid when ``euclidean``).
    euclidean : bool
        E(d) or SE(d): elements are homogeneous (d+1, d+1) with the centroid as translation.
    special : bool
        SO(d) or SE(d): determinant +1 only.
    tol : float
        Relative tolerance for repeated eigenvalues and for vector components.
    canonical : bool
        Fix eigenvector signs with the input vectors too (one element for generic inputs).
    max_rank : int
        Largest tensor rank of the outputs (decides the design of symmetric subspaces).
    symmetric_below : float, default ``tol**2``
        Vectors whose components in a symmetric subspace are below this fraction of their
        length count as exactly orthogonal to it (the input precision: larger for float32).

    Returns
    -------
    sample : ndarray of int, shape (R,)
        Sample of each element, in increasing order.
    elements : ndarray of shape (R, d, d) or (R, d+1, d+1)
    weights : ndarray of shape (R,)
        ``1 / |F(x)|``.
    views : ndarray of int, shape (R,)
        Elements with equal views give the same input ``h^-1 x`` (they differ by a symmetry
        of ``x``), so ``Phi`` needs evaluating once per view.
    near : list of (int, float)
        Samples whose vectors are nearly, but not exactly, orthogonal to a symmetric
        subspace, with the largest relative component: their average is equivariant only
        to about that size.

    Raises
    ------
    SampleError
        For a row whose symmetric subspace has no exact design for ``max_rank``.
    """
    n, q, d = V.shape
    V, shift = in_safe_range(V)  # the frame of x is that of x / 2^k
    points = is_point & euclidean
    centroid = V[:, points].mean(axis=1) if points.any() else np.zeros((n, d))
    V = V - np.where(points[:, None], centroid[:, None, :], 0.0)
    norms = np.linalg.norm(V, axis=-1)
    scales = norms.copy()
    if points.any():  # a centred point is known only to the precision of the spread of the points
        scales[:, points] = np.maximum(norms[:, points], norms[:, points].max(axis=1, keepdims=True))
    spanning = points if points.any() else np.ones(q, dtype=bool)
    W = V[:, spanning]
    eigenvalues, eigenvectors = np.linalg.eigh(np.swapaxes(W, -1, -2) @ W)
    raw = np.abs(W + np.where(points[spanning][:, None], centroid[:, None, :], 0.0)).max(axis=(1, 2), initial=0.0)
    floor = (256 * _EPS * raw) ** 2 * max(W.shape[1], 1)
    eigenvalues = np.where(eigenvalues <= floor[:, None], 0.0, eigenvalues)
    top = eigenvalues[:, -1]
    gaps = np.diff(eigenvalues, axis=1) / np.where(top > 0, top, 1.0)[:, None]
    generic = (top > 0) & np.all(gaps > tol, axis=1)

    samples, elements, views, near = [], [], [], []
    index = np.flatnonzero(generic)
    U = eigenvectors[index]
    if canonical:
        projections = V[index] @ U  # (m, q, d): component of each vector along each axis
        significant = np.abs(projections) > tol * scales[index][:, :, None]
        fixed = np.all(np.any(significant, axis=1), axis=1)
        index, U, projections, significant = index[fixed], U[fixed], projections[fixed], significant[fixed]
        first = np.argmax(significant, axis=1)  # the first vector along each axis
        signs = np.sign(np.take_along_axis(projections, first[:, None, :], axis=1))
        U = U * signs
        if special:
            U[..., -1] *= np.sign(np.linalg.det(U))[:, None]
        frames = U[:, None]
    else:
        if special:
            U[..., -1] *= np.sign(np.linalg.det(U))[:, None]
        frames = U[:, None] * _sign_patterns(d, special)[None, :, None, :]
    samples.append(np.repeat(index, frames.shape[1]))
    elements.append(frames.reshape(-1, d, d))
    views.append(np.arange(len(samples[0])))

    for s in np.setdiff1d(np.arange(n), index):
        try:
            matrices, view, residual = _resolve(eigenvalues[s], eigenvectors[s], V[s], scales[s], tol, canonical, special, max_rank)
        except ValueError as error:
            raise SampleError(int(s), str(error)) from None
        if residual > (tol**2 if symmetric_below is None else symmetric_below):
            near.append((int(s), float(residual)))
        samples.append(np.full(len(matrices), s))
        elements.append(matrices)
        views.append(view + sum(map(len, views)))

    sample = np.concatenate(samples)
    order = np.argsort(sample, kind="stable")
    sample, R, view = sample[order], np.concatenate(elements)[order], np.concatenate(views)[order]
    weights = 1.0 / np.bincount(sample, minlength=n)[sample]
    translation = np.ldexp(centroid, shift.reshape(-1, 1))[sample]
    return sample, (_homogeneous(R, translation) if euclidean else R), weights, view, near


def _clusters(eigenvalues, tol):
    """Index lists of eigenvalues within ``tol`` (relative to the largest) of their neighbours."""
    top = eigenvalues[-1]
    if top <= 0:
        return [np.arange(len(eigenvalues))]
    cuts = np.flatnonzero(np.diff(eigenvalues) / top > tol) + 1
    return np.split(np.arange(len(eigenvalues)), cuts)


def _cut(B, V, scales, tol):
    """Directions of span(B) fixed, sign included, by the vectors in order; and what is left.

    Returns the fixed unit vectors (list of (d,)) and an orthonormal basis (d, k') of the
    part of span(B) orthogonal to them.
    """
    fixed = []
    for u, scale in zip(V, scales):
        if B.shape[1] == 0:
            break
        w = B.T @ u
        length = np.linalg.norm(w)
        if length > tol * scale:
            fixed.append(B @ (w / length))
            B = B @ np.linalg.svd(w[None, :])[2][1:].T  # the complement of w in span(B)
    return fixed, B


def _resolve(eigenvalues, U, V, scales, tol, canonical, special, max_rank):
    """The frame of one sample with repeated eigenvalues (or an unfixed sign when canonical).

    Returns the elements (m, d, d), their views (m,) (equal for elements that differ only
    inside a symmetric subspace) and the largest relative component of a vector in a
    symmetric subspace (0 if there is none).
    """
    groups = []  # (basis (d, w), choices (c, w, w))
    residual = 0.0
    sign = np.array([[[1.0]], [[-1.0]]])
    for cluster in _clusters(eigenvalues, tol):
        B = U[:, cluster]
        if len(cluster) == 1 and not canonical:
            groups.append((B, sign))
            continue
        fixed, B = _cut(B, V, scales, tol)
        groups += [(e[:, None], np.ones((1, 1, 1))) for e in fixed]
        if B.shape[1] == 1:
            groups.append((B, sign))
        elif B.shape[1] > 1:
            groups.append((B, design(B.shape[1], max_rank, special)))
            with np.errstate(invalid="ignore", divide="ignore"):
                components = np.linalg.norm(V @ B, axis=1) / scales
            residual = max(residual, float(np.nanmax(components, initial=0.0)))
    basis = np.concatenate([B for B, _ in groups], axis=1)
    widths = np.cumsum([0] + [B.shape[1] for B, _ in groups])
    blocks = [i for i, (B, choices) in enumerate(groups) if B.shape[1] > 1]
    free = [i for i, (B, choices) in enumerate(groups) if len(choices) == 2 and B.shape[1] == 1]
    matrices, views = [], []
    for combination in product(*(range(len(choices)) for _, choices in groups)):
        D = np.zeros((len(basis), len(basis)))
        for i, pick in enumerate(combination):
            D[widths[i] : widths[i + 1], widths[i] : widths[i + 1]] = groups[i][1][pick]
        g = basis @ D
        if special and np.linalg.det(g) < 0:
            if blocks:  # a reflection inside a symmetric subspace keeps the canonical input
                g[:, widths[blocks[0]]] *= -1
            elif free:
                continue
            else:
                g[:, -1] *= -1
        matrices.append(g)
        views.append(tuple(pick for i, pick in enumerate(combination) if i not in blocks))
    labels = {view: label for label, view in enumerate(dict.fromkeys(views))}
    return np.array(matrices), np.array([labels[view] for view in views]), residual


def sort_frames(keys, tol=1e-5):
    """Permutation frames: particles sorted by their invariant keys, ties in every order.

    Parameters
    ----------
    keys : ndarray of shape (n, k, m)
        ``m`` invariant scalars of each of ``k`` particles; the first is the primary key.
    tol : float
        Keys closer than ``tol`` times the largest magnitude of that key in the sample are
        tied.

    Returns
    -------
    sample : ndarray of int, shape (R,)
    elements : ndarray of shape (R, k, k)
        Permutation matrices ``P`` with ``P^T x`` the particles in sorted order (column i
        of ``P`` is ``e_order[i]``, as :meth:`scalars.groups.Permutation.sample`).
    weights : ndarray of shape (R,)
    """
    n, k, m = keys.shape
    scale = np.abs(keys).max(axis=1)
    scale = np.where(scale > 0, scale, 1.0)
    order = np.lexsort(np.moveaxis(keys, -1, 0)[::-1], axis=-1)  # first key primary
    ordered = np.take_along_axis(keys, order[..., None], axis=1)
    steps = np.abs(np.diff(ordered, axis=1))  # (n, k-1, m)
    differs = steps != 0
    first = np.argmax(differs, axis=-1)  # the key that decides each neighbouring pair
    decisive = np.take_along_axis(steps, first[..., None], axis=-1)[..., 0]
    big = decisive > tol * scale[np.arange(n)[:, None], first]
    clean = np.all(np.any(differs, axis=-1) & big, axis=1)
    samples, orders = [np.flatnonzero(clean)], [order[clean]]
    for s in np.flatnonzero(~clean):
        tied = _tie_groups(keys[s], scale[s], tol)
        every = [sum(choice, ()) for choice in product(*(permutations(group) for group in tied))]
        samples.append(np.full(len(every), s))
        orders.append(np.array(every))
    sample = np.concatenate(samples)
    rank_order = np.argsort(sample, kind="stable")
    sample, orders = sample[rank_order], np.concatenate(orders)[rank_order]
    elements = np.swapaxes(np.eye(k)[orders], -1, -2)  # column i is e_order[i]
    return sample, elements, 1.0 / np.bincount(sample, minlength=n)[sample]


def _tie_groups(keys, scale, tol):
    """Ordered groups of tied particles: split by each key in turn where it jumps by more than tol."""
    order, label = _split_by_keys(keys, scale, tol)
    return _groups(order, label)


def _split_by_keys(keys, scale, tol, order=None, label=None):
    """``(order, label)``: the particles in order, and their group numbers, increasing.

    Starting from the groups ``label`` of the particles in ``order`` (one group by
    default), each key in turn sorts the particles within each group (stably) and splits
    the group where neighbours differ by more than ``tol * scale`` of that key.
    """
    if order is None:
        order, label = np.arange(len(keys)), np.zeros(len(keys), dtype=np.int64)
    for column in range(keys.shape[1]):
        if label[-1] == len(keys) - 1:  # every particle apart
            break
        values = keys[order, column]
        resort = np.lexsort((values, label))
        order, label, values = order[resort], label[resort], values[resort]
        label = np.cumsum(np.r_[0, (np.diff(label) != 0) | (np.diff(values) > tol * scale[column])])
    return order, label


def _groups(order, label):
    return [tuple(int(i) for i in part) for part in np.split(order, np.flatnonzero(np.diff(label)) + 1)]


def _n_orders(label):
    return prod(factorial(int(size)) for size in np.bincount(label))


def spectral_frames(A, tol=1e-5, max_size=4096):
    """Spectral permutation frames of symmetric matrices (see the module docstring).

    Parameters
    ----------
    A : ndarray of shape (n, k, k)
        Symmetric matrices (weighted adjacency matrices of graphs on ``k`` nodes), float64.
    tol : float
        Eigenvalues closer than ``tol`` times their spread are repeated; keys closer than
        ``tol`` times the largest magnitude of that key in the sample are tied.
    max_size : int
        Largest frame accepted for a sample (sign choices times orders of tied nodes).

    Returns
    -------
    sample : ndarray of int, shape (R,)
    elements : ndarray of shape (R, k, k)
        Permutation matrices ``P`` with ``P^T A P`` the nodes in sorted order.
    weights : ndarray of shape (R,)
    views : ndarray of int, shape (R,)
        Elements with equal views give the same ``P^T A P`` (they differ by an automorphism).

    Raises
    ------
    SampleError
        For a row whose frame would have more than ``max_size`` elements.
    """
    n, k, _ = A.shape
    degrees = A.sum(axis=-1)
    eigenvalues, eigenvectors = np.linalg.eigh(degrees[..., None] * np.eye(k) - A)
    samples, orders = [], []
    for s in range(n):
        keys, signed = _spectral_keys(A[s], degrees[s], eigenvalues[s], eigenvectors[s], tol)
        start = _split_by_keys(keys, _scale(keys), tol)
        state, size, chosen = start, _n_orders(start[1]), []
        for u in signed:  # an eigenvector is used (with both signs) only if it splits a tie
            if size == 1:
                break
            refined = _split_by_keys(u[:, None], _scale(u[:, None]), tol, *state)
            if _n_orders(refined[1]) < size:
                state, size = refined, _n_orders(refined[1])
                chosen.append(u)
        if size << len(chosen) > max_size:
            raise SampleError(s, f"its spectral frame has {size << len(chosen)} elements, more than {max_size} "
                                 f"({len(chosen)} eigenvector signs, and ties of nodes that no key separates)")
        for signs in product((1.0, -1.0), repeat=len(chosen)):
            columns = np.column_stack(chosen) * np.array(signs) if chosen else np.zeros((k, 0))
            groups = _groups(*_split_by_keys(columns, _scale(columns), tol, *start))
            every = [sum(choice, ()) for choice in product(*(permutations(group) for group in groups))]
            orders.append(np.array(every))
            samples.append(np.full(len(every), s))
    sample, order = np.concatenate(samples), np.concatenate(orders)
    ordered = np.take_along_axis(np.take_along_axis(A[sample], order[:, :, None], axis=1), order[:, None, :], axis=2)
    _, views = np.unique(np.column_stack([sample, ordered.reshape(len(sample), -1)]), axis=0, return_inverse=True)
    elements = np.swapaxes(np.eye(k)[order], -1, -2)  # column i is e_order[i]
    return sample, elements, 1.0 / np.bincount(sample, minlength=n)[sample], views.ravel()


def canonical_frames(A, max_size=2**20):
    """Canonical-labelling frames of symmetric matrices (see the module docstring).

    Parameters
    ----------
    A : ndarray of shape (n, k, k)
        Symmetric matrices (weighted adjacency matrices of graphs on ``k`` nodes).
    max_size : int
        Largest search tree accepted for a sample (refined colourings).

    Returns
    -------
    sample : ndarray of int, shape (R,)
    elements : ndarray of shape (R, k, k)
        Permutation matrices ``P`` with ``P^T A P`` the canonical form: ``|Aut(A)|`` per sample.
    weights : ndarray of shape (R,)
    views : ndarray of int, shape (R,)
        The sample itself: every element of a sample gives the same input.

    Raises
    ------
    SampleError
        For a row whose search tree would have more than ``max_size`` nodes.
    """
    try:
        _, sample, orders = canonical_labelling(A, max_nodes=max_size)
    except SearchTooLarge as error:
        raise SampleError(error.row, error.message) from None
    elements = np.swapaxes(np.eye(A.shape[-1])[orders], -1, -2)  # column i is e_order[i]
    return sample, elements, 1.0 / np.bincount(sample, minlength=len(A))[sample], sample.copy()


def _scale(keys):
    scale = np.abs(keys).max(axis=0)
    return np.where(scale > 0, scale, 1.0)


def _spectral_keys(A, degrees, eigenvalues, U, tol):
    """Sign-free keys (k, m) of the nodes, and the eigenvectors of simple eigenvalues."""
    clusters = _clusters(eigenvalues - eigenvalues[0], tol)
    projector_diagonals = [(U[:, cluster] ** 2).sum(axis=1) for cluster in clusters]
    signed = [U[:, cluster[0]] for cluster in clusters if len(cluster) == 1]
    return np.column_stack([np.diag(A), degrees, *projector_diagonals]), signed
