"""python -m scalars bench graphs (on the 21 connected graphs of 5 nodes) and bench clouds."""

import numpy as np
import pytest

pytest.importorskip("torch")

from scalars.__main__ import main  # noqa: E402
from scalars.bench.graphs import close_pairs  # noqa: E402
from scalars.graph_enumeration import connected_graphs  # noqa: E402


def test_close_pairs_finds_exactly_the_pairs_within_the_threshold():
    Y = np.random.default_rng(0).random((300, 3)) * 0.05
    distance = np.abs(Y[:, None] - Y[None]).sum(-1)
    expected = {(i, j) for i, j in zip(*np.nonzero(distance < 1e-2)) if i < j}
    assert {tuple(pair) for pair in close_pairs(Y, 1e-2).tolist()} == expected and expected


def test_graphs_benchmark_separates_every_pair_with_frames(capsys):
    assert main(["bench", "graphs", "--sets", "graph8c", "--nodes", "5", "--inits", "2"]) == 0
    out = capsys.readouterr().out
    assert "21 connected graphs on 5 nodes (210 pairs)" in out
    assert "| FA-MLP (spectral frames) | 0 |" in out and "| FA-MLP (canonical-labelling frames) | 0 | 0.0e+00 |" in out
    # With a zero diagonal the invariants see the number of edges only: graphs with equal counts merge.
    counts = np.bincount(connected_graphs(5).sum(axis=(1, 2)) // 2)
    assert f"| GraphInvariants + MLP, zero diagonal | {(counts * (counts - 1) // 2).sum()} |" in out


def test_graphs_benchmark_on_sets_that_1wl_cannot_split(capsys):
    assert main(["bench", "graphs", "--sets", "exp", "--cubic", "8", "--inits", "2"]) == 0
    out = capsys.readouterr().out
    assert "5 graphs on 8 nodes (10 pairs)" in out and "2 graphs on 16 nodes (1 pairs)" in out
    assert out.count("| 1-WL colour refinement (exact; the bound of message passing) | 10 |") == 1
    assert out.count("| GIN (4 layers) | 10 |") == 1 and out.count("| GIN (4 layers) | 1 |") == 1
    assert out.count("| FA-MLP (canonical-labelling frames) | 0 | 0.0e+00 |") == 2
    # Every eigenvalue of the strongly regular pair but one repeats: no spectral key splits a node.
    assert "| FA-MLP (spectral frames) (2 graphs refused: spectral frames over 4,096 elements) | 0 |" in out
    assert "| GraphInvariants + MLP, degrees + closed walks of lengths 3-6 | 1 |" in out  # vertex-transitive pair


def test_wl_bound_counts_the_two_triangles_against_the_hexagon():
    from scalars.bench.graphs import wl_unseparated

    hexagon = np.roll(np.eye(6, dtype=int), 1, axis=1)
    triangles = np.zeros((6, 6), dtype=int)
    triangles[[0, 1, 2, 3, 4, 5], [1, 2, 0, 4, 5, 3]] = 1
    path = np.eye(6, k=1, dtype=int)
    graphs = np.stack([g + g.T for g in (hexagon, triangles, path)])
    assert wl_unseparated(graphs) == 1


def test_clouds_benchmark_runs(capsys):
    assert main(["bench", "clouds", "--clouds", "20"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 1000 |")]
    assert len(rows) == 1 and float(rows[0].split("|")[-2]) < 1e-10


def test_normals_benchmark_gives_equivariant_rows_equal_in_every_setting(capsys):
    assert main(["bench", "clouds", "--normals", "--quick", "--patches", "60", "--epochs", "1"]) == 0
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:4] for line in capsys.readouterr().out.splitlines()
            if line.startswith("| ") and "model" not in line}
    for name in ("PCA (smallest principal axis)", "FA-PointNet", "equivariant (PointTensorNet)"):
        assert len(set(rows[name])) == 1, rows[name]  # I/I, I/SO(3) and SO(3)/SO(3) agree
    assert rows["PointNet"][0] != rows["PointNet"][1]


def test_normals_benchmark_trains_only_the_models_asked_for(capsys):
    assert main(["bench", "clouds", "--normals", "--quick", "--patches", "20", "--epochs", "1",
                 "--models", "equivariant (PointTensorNet)"]) == 0
    rows = [line.split(" | ")[0].strip("| ") for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows == ["model", "PCA (smallest principal axis)", "equivariant (PointTensorNet)"]
