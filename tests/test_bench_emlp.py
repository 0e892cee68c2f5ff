import pytest

from scalars.__main__ import main
from scalars.bench.peers import PEERS_PYTHON_VARIABLE


@pytest.fixture
def no_peers(monkeypatch, tmp_path):
    monkeypatch.setenv(PEERS_PYTHON_VARIABLE, str(tmp_path / "absent" / "python"))


def test_emlp_benchmark_prints_the_solve_and_step_tables(capsys, no_peers):
    assert main(["bench", "emlp", "--quick", "--steps", "1"]) == 0
    out = capsys.readouterr().out
    assert "| S(8) | T2 -> T2 | 15 |" in out and "| O(3) | T2 -> T0 | 1 |" in out
    assert "seconds per Adam step" in out and "load average" in out
    # without a peers environment emlp's cells say so, never a copied number
    assert "| not run | not run |" in out and "| emlp 1.0.3 EMLP 3x384, float32, batch 500 | not run |" in out
    assert "peers: not run" in out
    assert "| phase of our EMLP step |" in out and "| assembly |" in out and "| backward |" in out


def test_regression_benchmark_has_an_opt_in_emlp_row():
    from scalars.bench.regression import make_models
    from scalars.datasets import Inertia

    train = Inertia(300, seed=0)
    model = make_models(train, seed=0, emlp=True)["scalars EMLP"]
    assert model.backbone == "emlp" and model.hidden_layer_sizes == (384, 384, 384) and model.max_epochs == 1000
    assert "scalars EMLP" not in make_models(train, seed=0)


def test_emlp_benchmark_fit_prints_a_fit_row(capsys, no_peers):
    assert main(["bench", "emlp", "--quick", "--steps", "1", "--fit", "--width", "32", "--epochs", "1"]) == 0
    assert "| ours: scalars.nn.EMLP 3x32" in capsys.readouterr().out
