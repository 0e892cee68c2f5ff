"""The charged n-body benchmark runs end to end on a tiny data set."""

import csv

import numpy as np
import pytest
import torch

from scalars.bench import nbody
from scalars.datasets import ChargedNBody
from scalars.testing import act_on_inputs, assert_equivariant


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


def test_the_scalars_gnn_is_e3_x_s5_equivariant_on_flat_rows():
    torch.manual_seed(0)
    net = nbody.Particles(hidden=8, layers=2).double()
    X = torch.as_tensor(np.random.default_rng(0).standard_normal((6, 35)))
    X[:, :5] = torch.sign(X[:, :5])
    with torch.no_grad():
        assert assert_equivariant(net, "S(5)xE(3)", X, layout="5T0+5P+5T1", output="5P") < 1e-10


def test_message_passing_is_permutation_equivariant_and_frame_averaging_adds_e3():
    from scalars.nn import FrameAveraging

    torch.manual_seed(0)
    net = nbody.Particles(hidden=8, layers=2, equivariant=False).double()
    X = torch.as_tensor(np.random.default_rng(0).standard_normal((6, 35)))
    layout = "5T0+5P+5T1"
    permutation = (np.eye(5)[:, [2, 0, 4, 1, 3]], np.eye(4))
    with torch.no_grad():
        moved = net(act_on_inputs("S(5)xE(3)", permutation, X, layout))
        torch.testing.assert_close(moved, act_on_inputs("S(5)xE(3)", permutation, net(X), "5P"))
        averaged = FrameAveraging(net, "E(3)", layout, output="5P")
        assert assert_equivariant(averaged, "S(5)xE(3)", X, layout=layout, output="5P") < 1e-10


def test_the_force_law_is_e3_x_s5_equivariant_on_flat_rows():
    law = nbody.PairForceLaw(steps=20)
    law.coefficients.copy_(torch.as_tensor(np.random.default_rng(1).standard_normal(len(law.coefficients)) / 10))
    X = torch.as_tensor(np.random.default_rng(0).standard_normal((6, 35)))
    X[:, :5] = torch.sign(X[:, :5])
    with torch.no_grad():
        assert assert_equivariant(law, "S(5)xE(3)", X, layout="5T0+5P+5T1", output="5P") < 1e-10


def test_the_force_law_fit_finds_a_law_in_its_library():
    rng = np.random.default_rng(0)
    X = torch.as_tensor(rng.standard_normal((60, 35)))
    X[:, :5] = torch.sign(X[:, :5])
    X[:, 5:20] *= 3  # spread out: few close encounters, a smooth loss
    X[:, 20:] *= 0.3
    truth = nbody.PairForceLaw(steps=50)
    truth.coefficients[2] = 1.0  # the Coulomb law softened at 0.2
    law = nbody.PairForceLaw(steps=50)
    with torch.no_grad():
        y = truth(X)
        no_force = float(((law(X[40:]) - y[40:]) ** 2).mean())
    history = law.fit(X[:40], y[:40], X[40:], y[40:], iterations=8, progress=False)
    assert no_force > 1e-3 and min(history) < 1e-8  # from x + t v to the law
    with torch.no_grad():  # the kept coefficients are those of the best validation iterate
        assert float(((law(X[40:]) - y[40:]) ** 2).mean()) == pytest.approx(min(history), rel=1e-9)


def test_the_force_law_prints_its_terms():
    sympy = pytest.importorskip("sympy")
    law = nbody.PairForceLaw(steps=1)
    law.coefficients[1] = 1.0
    r, charges = sympy.symbols("r e_i*e_j", positive=True)
    f = law.to_sympy()
    assert float(f.subs({r: 0.5, charges: -1.0})) == pytest.approx(-1 / (0.25 + 0.01) ** 1.5)
