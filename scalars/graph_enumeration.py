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

:func:`cubic_graphs` builds the connected 3-regular graphs on ``n`` nodes: a backtracking
search fills the nodes' neighbours in order (interchangeable untouched nodes taken lowest
first, a node not reached by the earlier ones closing a component, so rejected), and the
labelled graphs it finds are reduced to one per isomorphism class by
:func:`scalars.canonical_labelling.canonical_labelling`. Colour refinement (1-WL) gives every
node of a regular graph the same colour, so it cannot tell two cubic graphs on ``n`` nodes
apart: all their pairs are hard cases for message passing. :func:`rook_graph` and
:func:`shrikhande_graph` are the two strongly regular graphs with parameters (16, 6, 2, 2):
not isomorphic, yet with the same spectrum and the same 3-WL colours.

>>> from scalars.graph_enumeration import connected_graphs, cubic_graphs
>>> [len(connected_graphs(n)) for n in range(1, 7)]
[1, 1, 2, 6, 21, 112]
>>> [len(cubic_graphs(n)) for n in (4, 6, 8)]
[1, 2, 5]
"""

from itertools import combinations, permutations, product

import numpy as np

from scalars.canonical_labelling import canonical_labelling, dense_ranks

__all__ = ["connected_graphs", "canonical_forms", "cubic_graphs", "rook_graph", "shrikhande_graph"]

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


def cubic_graphs(n):
    """The connected 3-regular (cubic) graphs on ``n`` nodes, one per isomorphism class.

    Parameters
    ----------
    n : int
        Even number of nodes, 4 to 12 (the counts are 1, 2, 5, 19, 85 for ``n = 4..12``;
        ``n = 12`` takes seconds).

    Returns
    -------
    ndarray of uint8, shape (n_graphs, n, n)
        Adjacency matrices in the canonical form of
        :func:`scalars.canonical_labelling.canonical_labelling`, sorted by their entries.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n % 2 or not 4 <= n <= 12:
        raise ValueError(f"n must be an even integer between 4 and 12 (3-regular graphs need n even), got {n!r}")
    labelled = np.array(list(_labelled_cubic_graphs(int(n))), dtype=np.uint8)
    forms = canonical_labelling(labelled)[0]
    return np.unique(forms, axis=0)


def rook_graph(m=4):
    """The ``m x m`` rook's graph: cells of a board, adjacent in the same row or column.

    Returns
    -------
    ndarray of uint8, shape (m * m, m * m)
        Node ``m i + j`` is the cell ``(i, j)``. For ``m = 4`` it is strongly regular with
        parameters (16, 6, 2, 2) and 1152 automorphisms.
    """
    cells = np.indices((m, m)).reshape(2, -1).T
    same = (cells[:, None, :] == cells[None, :, :]).sum(axis=2)
    return (same == 1).astype(np.uint8)


def shrikhande_graph():
    """The Shrikhande graph: cells of a 4 x 4 torus, adjacent by the steps (0, ±1), (±1, 0), ±(1, 1).

    Returns
    -------
    ndarray of uint8, shape (16, 16)
        Node ``4 i + j`` is the cell ``(i, j)``. Strongly regular with parameters
        (16, 6, 2, 2), as the 4 x 4 rook's graph, but not isomorphic to it (192
        automorphisms; the neighbours of a node form a 6-cycle, not two triangles).
    """
    cells = np.indices((4, 4)).reshape(2, -1).T
    steps = {(0, 1), (0, 3), (1, 0), (3, 0), (1, 1), (3, 3)}
    difference = (cells[None, :, :] - cells[:, None, :]) % 4
    return np.array([[tuple(d) in steps for d in row] for row in difference], dtype=np.uint8)


def _labelled_cubic_graphs(n):
    """Connected labelled cubic graphs covering every isomorphism class (with repeats)."""
    degree, A = np.zeros(n, dtype=int), np.zeros((n, n), dtype=np.uint8)

    def fill(v):
        if 0 < v < n and degree[v] == 0:  # nothing before v reaches v: a closed component
            return
        if v == n:
            yield A.copy()
            return
        need = 3 - degree[v]
        later = [w for w in range(v + 1, n) if degree[w] < 3]
        used, fresh = [w for w in later if degree[w]], [w for w in later if not degree[w]]
        for k in range(min(need, len(fresh)) + 1):  # untouched nodes are alike: the lowest k
            for chosen in combinations(used, need - k):
                neighbours = list(chosen) + fresh[:k]
                A[v, neighbours] = A[neighbours, v] = 1
                degree[neighbours] += 1
                degree[v] += need
                yield from fill(v + 1)
                degree[v] -= need
                degree[neighbours] -= 1
                A[v, neighbours] = A[neighbours, v] = 0

    return fill(0)


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

    Raises
    ------
    ValueError
        If ``A`` is not a stack of square, symmetric 0/1 matrices with zero diagonal
        (self-loops), naming the first bad graph.
    codes : ndarray of int64, shape (n_graphs,)
        Their upper triangles as bit strings (the canonical form is the smallest).
    """
    A = _simple(A)
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


def _simple(A):
    """``A`` as uint8 after checking it holds simple graphs (0/1, symmetric, no self-loops)."""
    A = np.asarray(A)
    if A.ndim != 3 or A.shape[1] != A.shape[2]:
        raise ValueError(f"A must have shape (n_graphs, n, n) (square adjacency matrices), got shape {A.shape}")
    for bad, problem in [
        (~np.isin(A, (0, 1)).all(axis=(1, 2)), "has entries other than 0 and 1"),
        ((A != np.swapaxes(A, 1, 2)).any(axis=(1, 2)), "is not symmetric"),
        ((np.diagonal(A, axis1=1, axis2=2) != 0).any(axis=1), "has self-loops (nonzero diagonal)"),
    ]:
        if bad.any():
            raise ValueError(f"A must hold simple graphs: graph {int(np.argmax(bad))} {problem}")
    return A.astype(np.uint8)


def _refined_colours(A):
    """Stable 1-WL colours (n_graphs, n), named 0, 1, ... by sorted signature within each graph."""
    n_graphs, n, _ = A.shape
    colours = np.zeros((n_graphs, n), dtype=np.int64)
    for _ in range(n):
        counts = np.einsum("gij,gjc->gic", A.astype(np.int64), np.eye(n, dtype=np.int64)[colours])
        signature = colours * (n + 1) ** n + (counts * (n + 1) ** np.arange(n - 1, -1, -1)).sum(axis=2)
        refined = dense_ranks(signature)
        if np.array_equal(refined, colours):
            break
        colours = refined
    return colours


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
