"""Exhaustive connected graphs and canonical forms."""

import numpy as np
import pytest

from scalars.graph_enumeration import canonical_forms, connected_graphs


def test_counts_of_connected_graphs():  # OEIS A001349; n = 8 (11117) is checked by bench graphs
    assert [len(connected_graphs(n)) for n in range(1, 8)] == [1, 1, 2, 6, 21, 112, 853]


def test_canonical_forms_are_equal_exactly_for_isomorphic_graphs():
    rng = np.random.default_rng(3)
    graphs = connected_graphs(6)
    orders = np.array([rng.permutation(6) for _ in graphs])
    relabelled = graphs[np.arange(len(graphs))[:, None, None], orders[:, :, None], orders[:, None, :]]
    forms, codes = canonical_forms(relabelled)
    assert np.array_equal(forms, graphs)
    assert len(np.unique(codes)) == len(graphs)
    assert (graphs == np.swapaxes(graphs, 1, 2)).all() and (np.diagonal(graphs, axis1=1, axis2=2) == 0).all()


def test_regular_graphs_are_told_apart():
    # The 6-cycle and two triangles are both 2-regular (1-WL cannot split their nodes).
    cycle = np.roll(np.eye(6, dtype=np.uint8), 1, axis=1)
    triangles = np.zeros((6, 6), dtype=np.uint8)
    for a, b in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)]:
        triangles[a, b] = triangles[b, a] = 1
    _, codes = canonical_forms(np.stack([cycle + cycle.T, triangles]))
    assert codes[0] != codes[1]


def test_sizes_outside_the_range_are_refused():
    with pytest.raises(ValueError, match="between 1 and 10"):
        connected_graphs(11)
