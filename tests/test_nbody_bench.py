"""The charged n-body benchmark runs end to end on a tiny data set."""

import csv

import numpy as np
import pytest
import torch

from scalars.bench import nbody
from scalars.datasets import ChargedNBody


MEASURED_MSE = {  # test MSE of seed 0 on 30 training samples after 1 epoch (one thread); the linear model: 0.059
    "scalars ridge": 0.10, "scalars GNN": 0.67, "FA-GNN": 0.65, "GA-MLP": 0.33,
}


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
    mse = {row["model"]: float(row["mse"]) for row in rows}
    # x + t v with t fitted by least squares on the 30 training rows, by hand
    data = ChargedNBody(70, seed=0)
    x, v, y = data.X[:, nbody.POSITIONS], data.X[:, nbody.VELOCITIES], data.y
    t = np.sum(v[:30] * (y[:30] - x[:30])) / np.sum(v[:30] * v[:30])
    assert mse["linear (x + t v)"] == pytest.approx(np.mean((x[50:] + t * v[50:] - y[50:]) ** 2), rel=1e-12)
    for model, measured in MEASURED_MSE.items():
        assert measured / 2 < mse[model] < 2 * measured, (model, mse[model])


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


def test_the_force_network_ensemble_trains_three_members(tmp_path, monkeypatch):
    monkeypatch.setattr(nbody, "N_TRAIN", 30)
    monkeypatch.setattr(nbody, "N_VALIDATION", 20)
    monkeypatch.setattr(nbody, "N_TEST", 20)
    models = "scalars force network,scalars force network x3"
    assert nbody.main(["--epochs", "1", "--models", models, "--no-progress", "--out", str(tmp_path)]) == 0
    with open(tmp_path / "nbody.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    assert [int(rows[model]["epochs"]) for model in models.split(",")] == [1, 3]  # epochs summed over members
    assert all(np.isfinite(float(row["mse"])) for row in rows.values())
