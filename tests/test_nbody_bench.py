"""The charged n-body benchmark runs end to end on a tiny data set."""

import csv

import pytest
import torch

from scalars.bench import nbody


def test_bench_prints_the_table_beside_the_published_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(nbody, "N_TRAIN", 30)
    monkeypatch.setattr(nbody, "N_VALIDATION", 20)
    monkeypatch.setattr(nbody, "N_TEST", 20)
    models = "scalars ridge,scalars GNN,FA-GNN,GA-MLP,linear (x + t v)"
    assert nbody.main(["--epochs", "1", "--models", models, "--no-progress", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "| **FA-GNN** |" in printed and "| FA-GNN (published) | 0.0057 |" in printed
    assert "| **linear (x + t v)** |" in printed and "| 0.0819 |" in printed
    with open(tmp_path / "nbody.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["model"] for row in rows] == models.split(",")
    assert all(0 < float(row["mse"]) < 1 for row in rows)


def test_bench_rejects_unknown_models(tmp_path):
    with pytest.raises(SystemExit, match="unknown model 'EGNN'"):
        nbody.main(["--quick", "--models", "EGNN", "--out", str(tmp_path)])


def test_the_models_that_moved_into_the_package_keep_their_old_names():
    from scalars.dynamics import PairForceLaw
    from scalars.nn import ParticleMessagePassing, Residual

    assert nbody.PairForceLaw is PairForceLaw
    with pytest.warns(FutureWarning, match="scalars.nn.ParticleMessagePassing"):
        assert nbody.Particles is ParticleMessagePassing
    with pytest.warns(FutureWarning, match=r"scalars.nn.Residual\(net, columns=slice\(5, 20\)\)"):
        residual = nbody.Residual(torch.nn.Linear(35, 15))
    assert isinstance(residual, Residual) and residual.columns == slice(5, 20)
