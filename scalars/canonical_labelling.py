"""Exact canonical labelling of small graphs by individualisation and refinement (numpy only).

A canonical form maps every relabelling ``P A P^T`` of a graph ``A`` to the same matrix, and
non-isomorphic graphs to different ones. :func:`canonical_labelling` finds it as nauty does,
without nauty's pruning: the nodes are coloured by their weight (the diagonal) and their
numbers of closed walks of lengths 3 to 6 (exact integers, which split the nodes of many
regular graphs and so shrink the tree), and the colours refined until stable (1-WL: a node's new colour is its old colour with the multiset of
``(A_ij, colour of j)`` over the other nodes ``j``, named by sorting, so that the names do not
depend on the labels); while some colour holds several nodes, the first smallest such cell
is split by giving each of its nodes in turn a colour of its own (a child of the search
tree) and refining again. Each leaf (all colours distinct) orders the nodes, and the canonical
form is the smallest relabelled matrix over all leaves (row-major, entries compared exactly).

The tree is built from ``A`` alone, so a relabelling of ``A`` relabels its leaves: the minimum
is the same matrix. The leaves that reach it are exactly the orders ``p`` with
``A[p][:, p]`` the canonical form; two of them differ by an automorphism of ``A``, and an
automorphism maps one to another, so they form a coset of the automorphism group: an exact
frame for ``S(n)`` acting on ``A``, whatever its spectrum. The whole tree is searched (at
least ``|Aut(A)|`` leaves: ``n!`` for the complete graph), so a tree larger than ``max_nodes``
is refused; graphs of a few dozen nodes without huge automorphism groups are fine.

>>> import numpy as np
>>> from scalars.canonical_labelling import canonical_labelling
>>> path = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])      # 0 - 1 - 2
>>> other = np.array([[0, 0, 1], [0, 0, 1], [1, 1, 0]])     # 0 - 2 - 1
>>> forms, sample, orders = canonical_labelling(np.stack([path, other]))
>>> bool((forms[0] == forms[1]).all()), sample.tolist()     # two orders each: the flip
(True, [0, 0, 1, 1])

``backend="pynauty"`` asks nauty itself (through the optional ``pynauty`` package,
``pip install scalars[nauty]``) for the canonical labelling and the automorphism group, for
graphs whose nonzero off-diagonal entries are all equal (node weights on the diagonal
become nauty's vertex colours). Its canonical forms are nauty's, not those of the default
``backend="numpy"``: they split the same graphs into the same classes, but are other
matrices, so a model evaluated on them gives other numbers; the backend is therefore never
chosen automatically.
"""

import numpy as np

__all__ = ["canonical_labelling", "dense_ranks", "SearchTooLarge"]

_CHUNK = 2**22  # entries of the (nodes, n, n) key arrays refined at once


class SearchTooLarge(ValueError):
    """The search tree of graph ``row`` has more than the allowed number of nodes."""

    def __init__(self, row, message):
        super().__init__(f"row {row}: {message}")
        self.row, self.message = row, message


def canonical_labelling(A, max_nodes=2**20, backend="numpy"):
    """Canonical forms of graphs, and every order of the nodes that gives each.

    Parameters
    ----------
    A : array-like of shape (n_graphs, n, n)
        Symmetric matrices (weighted graphs, node weights on the diagonal), any dtype;
        entries are compared exactly (a weight differing by one rounding is another weight).
    max_nodes : int, default=2**20
        Largest search tree accepted for a graph (its number of refined colourings); with
        ``backend="pynauty"``, largest automorphism group.
    backend : {"numpy", "pynauty"}, default="numpy"
        ``"numpy"``: the search of this module. ``"pynauty"``: nauty's canonical labelling
        and automorphism group (needs the ``pynauty`` package; graphs whose nonzero
        off-diagonal entries are all equal).

    Returns
    -------
    forms : ndarray of shape (n_graphs, n, n)
        The canonical forms, dtype of ``A``: ``forms[s] = A[s][p][:, p]`` for each order ``p``
        of graph ``s``; equal for two graphs exactly when they are isomorphic.
    sample : ndarray of int, shape (R,)
        The graph of each order, increasing.
    orders : ndarray of int, shape (R, n)
        ``orders[r][i]`` is the node placed at position ``i``. The orders of a graph form a
        coset of its automorphism group (there are ``|Aut(A[s])|`` of them).

    Raises
    ------
    ValueError
        If ``A`` is not 3-D with square, symmetric matrices, or holds NaN; if ``backend``
        is unknown; with ``"pynauty"``, if a graph has two different nonzero off-diagonal
        entries.
    ImportError
        With ``backend="pynauty"`` when ``pynauty`` is not installed.
    SearchTooLarge
        For a graph whose search tree (``"pynauty"``: automorphism group) has more than
        ``max_nodes`` nodes (elements).
    """
    if backend not in ("numpy", "pynauty"):
        raise ValueError(f"backend must be 'numpy' or 'pynauty', got {backend!r}")
    A = _checked(A)
    n_graphs, n, _ = A.shape
    if n_graphs == 0 or n == 0:
        return A.copy(), np.zeros(0, dtype=np.intp), np.zeros((0, n), dtype=np.intp)
    if backend == "pynauty":
        return _nauty_labelling(A, max_nodes)
    labels = np.unique(A.reshape(-1), return_inverse=True)[1].reshape(A.shape).astype(np.int64)
    graph = np.arange(n_graphs)
    colours = _refine(labels, graph, _initial_colours(A, labels))
    tree_sizes = np.ones(n_graphs, dtype=np.int64)
    leaf_graphs, leaf_orders = [], []
    while len(graph):
        discrete = colours.max(axis=1) == n - 1
        leaf_graphs.append(graph[discrete])
        leaf_orders.append(np.argsort(colours[discrete], axis=1))
        graph, colours = graph[~discrete], colours[~discrete]
        graph, colours = _children(graph, colours)
        tree_sizes += np.bincount(graph, minlength=n_graphs)
        if (tree_sizes > max_nodes).any():
            row = int(np.argmax(tree_sizes > max_nodes))
            raise SearchTooLarge(row, f"its canonical-labelling search tree has more than {max_nodes} nodes "
                                      "(a graph with a large automorphism group)")
        colours = _refine(labels, graph, colours)
    return _smallest_leaves(A, labels, np.concatenate(leaf_graphs), np.concatenate(leaf_orders))


def _checked(A):
    A = np.asarray(A)
    if A.ndim != 3 or A.shape[1] != A.shape[2]:
        raise ValueError(f"A must have shape (n_graphs, n, n) (square matrices), got shape {A.shape}")
    if A.dtype.kind == "f" and np.isnan(A).any():
        raise ValueError(f"A contains NaN (graphs {np.flatnonzero(np.isnan(A).any(axis=(1, 2)))[:10].tolist()})")
    asymmetric = (A != np.swapaxes(A, 1, 2)).any(axis=(1, 2))
    if asymmetric.any():
        s = int(np.argmax(asymmetric))
        i, j = np.argwhere(A[s] != A[s].T)[0]
        raise ValueError(f"the matrices of A must be symmetric: graph {s} has A[{i}, {j}] = {A[s, i, j]} but "
                         f"A[{j}, {i}] = {A[s, j, i]}")
    return A


def _initial_colours(A, labels):
    """Colours (n_graphs, n) from the node weight and the closed walks of the support.

    The numbers of closed walks of lengths 3 to 6 at each node, in the graph of the nonzero
    off-diagonal entries, are exact integers that relabelling permutes, and they split the
    nodes of many regular graphs that colour refinement leaves in one cell: a smaller tree.
    """
    n = A.shape[-1]
    support = ((A != 0) & ~np.eye(n, dtype=bool)).astype(np.int64)
    keys, power = [np.diagonal(labels, axis1=1, axis2=2)], support
    for _ in range(2, 7):
        power = power @ support
        keys.append(np.diagonal(power, axis1=1, axis2=2))
    keys = np.stack(keys, axis=2)  # (n_graphs, n, 6)
    graphs = np.repeat(np.arange(len(A)), n)[:, None]
    ids = _row_ranks(np.concatenate([graphs, keys.reshape(-1, keys.shape[2])], axis=1)).reshape(len(A), n)
    return ids - ids.min(axis=1, keepdims=True)


def dense_ranks(values):
    """Per row, the rank of each value among the row's distinct values.

    Parameters
    ----------
    values : ndarray of shape (m, n)

    Returns
    -------
    ndarray of int64, shape (m, n)
        0 for each row's smallest value, 1 for the next distinct one, and so on.

    Examples
    --------
    >>> dense_ranks(np.array([[5, 2, 5, 9]]))
    array([[1, 0, 1, 2]])
    """
    order = np.argsort(values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    ranks_sorted = np.concatenate([np.zeros((len(values), 1), dtype=np.int64),
                                   np.cumsum(np.diff(ordered, axis=1) != 0, axis=1)], axis=1)
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    return ranks


def _refine(labels, graph, colours):
    """Stable colours (m, n) of the tree nodes (their graphs ``graph`` (m,)), names canonical."""
    n = labels.shape[-1]
    step = max(1, _CHUNK // (n * n))
    return np.concatenate([_refine_chunk(labels, graph[s : s + step], colours[s : s + step])
                           for s in range(0, len(graph), step)] or [colours])


def _refine_chunk(labels, graph, colours):
    m, n = colours.shape
    off_diagonal = ~np.eye(n, dtype=bool)
    while True:
        keys = labels[graph] * n + colours[:, None, :]  # (m, n, n): (A_ij, colour of j)
        keys = np.sort(np.where(off_diagonal, keys, -1), axis=2)
        signature = np.concatenate([np.repeat(np.arange(m), n)[:, None], colours.reshape(-1, 1),
                                    keys.reshape(m * n, n)], axis=1)
        ids = _row_ranks(signature).reshape(m, n)
        refined = ids - ids.min(axis=1, keepdims=True)  # ids of a tree node are consecutive
        if np.array_equal(refined.max(axis=1), colours.max(axis=1)):
            return refined
        colours = refined


def _row_ranks(rows):
    """Dense ranks of the rows of an integer array (m, w) in lexicographic order, shape (m,)."""
    rows = rows - rows.min(axis=0, initial=0)
    base = int(rows.max(initial=0)) + 1
    width = max(1, int(62 // np.log2(base + 1)))  # digits of base ``base`` that fit an int64
    packed = []
    for start in range(0, rows.shape[1], width):  # same order, fewer sort keys
        word = np.zeros(len(rows), dtype=np.int64)
        for column in rows[:, start : start + width].T:
            word = word * base + column
        packed.append(word)
    order = np.lexsort(packed[::-1])
    ordered = rows[order]
    ranks = np.empty(len(rows), dtype=np.int64)
    ranks[order] = np.r_[0, np.cumsum((ordered[1:] != ordered[:-1]).any(axis=1))]
    return ranks


def _children(graph, colours):
    """Individualise each node of the first smallest non-singleton cell, one child per node."""
    m, n = colours.shape
    if not m:
        return graph, colours
    sizes = (colours[:, :, None] == np.arange(n)).sum(axis=1)  # (m, n): size of each colour
    target = np.argmin(np.where(sizes > 1, sizes, n + 1), axis=1)
    parent, node = np.nonzero(colours == target[:, None])
    children = 2 * colours[parent]
    children[np.arange(len(parent)), node] = 2 * target[parent] - 1  # just before its old cell
    return graph[parent], dense_ranks(children)


def _smallest_leaves(A, labels, graph, orders):
    """Keep the leaves whose relabelled matrix is the smallest of their graph."""
    relabelled = labels[graph[:, None, None], orders[:, :, None], orders[:, None, :]]
    codes = np.concatenate([graph[:, None], relabelled.reshape(len(graph), -1)], axis=1)
    ids = _row_ranks(codes)
    best = np.full(len(A), len(ids))
    np.minimum.at(best, graph, ids)
    keep = ids == best[graph]
    sort = np.argsort(graph[keep], kind="stable")
    sample, orders = graph[keep][sort], orders[keep][sort]
    first = np.r_[0, np.flatnonzero(np.diff(sample)) + 1]
    p = orders[first]
    forms = A[np.arange(len(A))[:, None, None], p[:, :, None], p[:, None, :]]
    return forms, sample, orders


def _nauty_labelling(A, max_nodes):
    """:func:`canonical_labelling` by nauty: its canonical order, composed with every automorphism."""
    try:
        import pynauty
    except ImportError as error:
        raise ImportError("canonical_labelling(backend='pynauty') needs the pynauty package "
                          "(pip install pynauty, or scalars[nauty])") from error
    n = A.shape[-1]
    off_diagonal = ~np.eye(n, dtype=bool)
    samples, orders = [], []
    for s, graph in enumerate(A):
        weights = np.unique(graph[off_diagonal & (graph != 0)])
        if len(weights) > 1:
            raise ValueError(f"backend='pynauty' takes graphs whose nonzero off-diagonal entries are all equal; graph {s} "
                             f"has {len(weights)} different ones ({weights[:3].tolist()}...); use backend='numpy'")
        diagonal = np.diagonal(graph)
        colouring = [set(np.flatnonzero(diagonal == value).tolist()) for value in np.unique(diagonal)]
        nauty_graph = pynauty.Graph(n, adjacency_dict={i: np.flatnonzero(graph[i] != 0).tolist() for i in range(n)},
                                    vertex_coloring=colouring)
        generators, mantissa, exponent, _, _ = pynauty.autgrp(nauty_graph)
        if mantissa * 10.0**exponent > max_nodes:
            raise SearchTooLarge(s, f"its automorphism group has {mantissa * 10.0**exponent:.4g} elements, "
                                    f"more than max_nodes={max_nodes}")
        label = np.asarray(pynauty.canon_label(nauty_graph))
        group = _group_elements(np.asarray(generators, dtype=np.intp).reshape(-1, n), n)
        samples.append(np.full(len(group), s))
        orders.append(group[:, label])  # sigma o label: also reaches the canonical form
    sample, orders = np.concatenate(samples), np.concatenate(orders)
    first = orders[np.r_[0, np.flatnonzero(np.diff(sample)) + 1]]
    forms = A[np.arange(len(A))[:, None, None], first[:, :, None], first[:, None, :]]
    return forms, sample, orders


def _group_elements(generators, n):
    """Every element (m, n) of the permutation group that ``generators`` (k, n) generate."""
    elements = {tuple(range(n))}
    frontier = [np.arange(n)]
    while frontier:
        new = []
        for element in frontier:
            for generator in generators:
                product = generator[element]
                if tuple(product) not in elements:
                    elements.add(tuple(product))
                    new.append(product)
        frontier = new
    return np.array(sorted(elements), dtype=np.intp)
