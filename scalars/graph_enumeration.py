"""Every connected graph on a few nodes, up to isomorphism, and canonical forms (numpy only).

:func:`connected_graphs` builds the connected graphs on ``n`` nodes by canonical
augmentation: every connected graph has a vertex whose removal leaves it connected (a
leaf of a spanning tree), so each is a connected graph on ``n - 1`` nodes plus a vertex
joined to a nonempty set of them; the candidates are reduced to one per isomorphism
class by their canonical forms. :func:`canonical_forms` refines node colours by their
neighbours' colours (1-WL, with colours named by sorting, so that isomorphic graphs get
the same names) and takes the smallest adjacency bit string over the orders of the
nodes that keep the refined colours sorted; the orders within colour classes are tried
exhaustively, which is fast for the small ``n`` meant here (at most ``n!`` orders, for a
regular graph).

>>> from scalars.graph_enumeration import connected_graphs
>>> [len(connected_graphs(n)) for n in range(1, 7)]
[1, 1, 2, 6, 21, 112]
"""

from itertools import permutations, product

import numpy as np

__all__ = ["connected_graphs", "canonical_forms"]

_CHUNK = 2**21  # graphs times orders per vectorised step


def connected_graphs(n):
    """The connected graphs on ``n`` nodes, one per isomorphism class.

    Parameters
    ----------
    n : int
        Number of nodes, 1 to 10 (the counts are 1, 1, 2, 6, 21, 112, 853, 11117 for
        ``n = 1..8``; ``n = 8`` takes tens of seconds, more for larger ``n``).

    Returns
    -------
    ndarray of uint8, shape (n_graphs, n, n)
        Adjacency matrices in canonical form, sorted by their canonical bit strings.
    """
    if not 1 <= n <= 10:
        raise ValueError(f"n must be between 1 and 10 (exhaustive generation), got {n}")
    graphs = np.zeros((1, 1, 1), dtype=np.uint8)
    for size in range(2, n + 1):
        subsets = np.array(list(product((0, 1), repeat=size - 1))[1:], dtype=np.uint8)  # nonempty
        candidates = np.zeros((len(graphs), len(subsets), size, size), dtype=np.uint8)
        candidates[:, :, :-1, :-1] = graphs[:, None]
        candidates[:, :, -1, :-1] = candidates[:, :, :-1, -1] = subsets
        forms, codes = canonical_forms(candidates.reshape(-1, size, size))
        _, first = np.unique(codes, return_index=True)
        graphs = forms[first]
    return graphs


def canonical_forms(A):
    """Canonical forms of simple graphs: equal exactly for isomorphic graphs.

    Parameters
    ----------
    A : ndarray of shape (n_graphs, n, n)
        0/1 symmetric adjacency matrices with zero diagonal, ``n <= 10``.

    Returns
    -------
    forms : ndarray of uint8, shape (n_graphs, n, n)
        The relabelled adjacency matrices.
    codes : ndarray of int64, shape (n_graphs,)
        Their upper triangles as bit strings (the canonical form is the smallest).
    """
    A = np.asarray(A, dtype=np.uint8)
    n_graphs, n, _ = A.shape
    colours = _refined_colours(A)
    order = np.argsort(colours, axis=1, kind="stable")
    sorted_colours = np.take_along_axis(colours, order, axis=1)
    forms, codes = np.empty_like(A), np.empty(n_graphs, dtype=np.int64)
    patterns, which = np.unique(sorted_colours, axis=0, return_inverse=True)
    for p, pattern in enumerate(patterns):
        members = np.flatnonzero(which.ravel() == p)
        orders = _orders_within_cells(pattern)  # (m, n) positions -> positions
        step = max(1, _CHUNK // len(orders))
        for start in range(0, len(members), step):
            chunk = members[start : start + step]
            nodes = order[chunk][:, orders]  # (g, m, n): node at each position
            codes_all = _codes(A[chunk], nodes)
            best = np.argmin(codes_all, axis=1)
            codes[chunk] = codes_all[np.arange(len(chunk)), best]
            chosen = nodes[np.arange(len(chunk)), best]
            forms[chunk] = A[chunk[:, None, None], chosen[:, :, None], chosen[:, None, :]]
    return forms, codes


def _refined_colours(A):
    """Stable 1-WL colours (n_graphs, n), named 0, 1, ... by sorted signature within each graph."""
    n_graphs, n, _ = A.shape
    colours = np.zeros((n_graphs, n), dtype=np.int64)
    for _ in range(n):
        counts = np.einsum("gij,gjc->gic", A.astype(np.int64), np.eye(n, dtype=np.int64)[colours])
        signature = colours * (n + 1) ** n + (counts * (n + 1) ** np.arange(n - 1, -1, -1)).sum(axis=2)
        refined = _dense_ranks(signature)
        if np.array_equal(refined, colours):
            break
        colours = refined
    return colours


def _dense_ranks(values):
    """Per row, the rank of each value among the row's distinct values."""
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    ranks_sorted = np.concatenate([np.zeros((len(values), 1), dtype=np.int64),
                                   np.cumsum(np.diff(ordered, axis=1) != 0, axis=1)], axis=1)
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    return ranks


def _orders_within_cells(sorted_colours):
    """Every permutation of positions that only reorders positions of equal colour, (m, n)."""
    cells = np.split(np.arange(len(sorted_colours)), np.flatnonzero(np.diff(sorted_colours)) + 1)
    return np.array([sum(choice, ()) for choice in product(*(permutations(cell) for cell in cells))])


def _codes(A, nodes):
    """Upper-triangle bit strings of ``A`` relabelled by each order in ``nodes`` (g, m, n)."""
    n = A.shape[-1]
    rows, columns = np.triu_indices(n, 1)
    bits = A[np.arange(len(A))[:, None, None], nodes[:, :, rows], nodes[:, :, columns]]
    weights = np.left_shift(np.int64(1), np.arange(len(rows) - 1, -1, -1, dtype=np.int64))
    return bits.astype(np.int64) @ weights
