"""The pendulum benchmark and demo run end to end on a tiny budget."""

import csv
import itertools
from types import SimpleNamespace

import pytest

from scalars.bench import pendulum, pendulum_demo
from scalars.dynamics import training as dynamics_training
from scalars.nn import training as nn_training


@pytest.fixture
def step_clock(monkeypatch):
    """A clock the training loops read that advances 0.1 s per reading: budgets become step counts."""
    ticks = itertools.count()
    clock = SimpleNamespace(perf_counter=lambda: 0.1 * next(ticks))
    monkeypatch.setattr(dynamics_training, "time", clock)
    monkeypatch.setattr(nn_training, "time", clock)


def test_bench_writes_a_table_and_a_csv(tmp_path, capsys, step_clock):
    argv = ["--quick", "--time-limit", "1", "--n-test", "2", "--models", "scalar HNN,MLP neural ODE",
            "--no-progress", "--out", str(tmp_path)]
    assert pendulum.main(argv) == 0
    printed = capsys.readouterr().out
    assert "| scalar HNN |" in printed and "0.005 ± 0.002 (Scalars O(3))" in printed
    assert "| MLP neural ODE |" in printed and "0.0482 ± 0.0002 (MLP)" in printed
    with open(tmp_path / "pendulum.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    assert list(rows) == ["scalar HNN", "MLP neural ODE"]
    assert [int(row["steps"]) for row in rows.values()] == [5, 5]  # "1 s" of the step clock
    # measured (one thread): 4.6e-4 and 0.071, bounds 2x those; predicting no motion (the initial state
    # at every time) scores 0.23 on these 2 test trajectories
    assert float(rows["scalar HNN"]["rollout_error"]) < 1e-3
    assert float(rows["MLP neural ODE"]["rollout_error"]) < 0.15
    for name, row in rows.items():  # the table prints the CSV's errors
        assert f"| {name} | {float(row['rollout_error']):.2g} |" in printed


def test_bench_rejects_unknown_models(tmp_path):
    with pytest.raises(SystemExit, match="unknown model"):
        pendulum.main(["--quick", "--models", "LSTM", "--out", str(tmp_path)])


def test_demo_writes_the_figure(tmp_path, capsys, step_clock):
    assert pendulum_demo.main(["--time-limit", "1", "--n-test", "2", "--no-progress", "--out", str(tmp_path)]) == 0
    assert "| MLP HNN |" in capsys.readouterr().out
    assert (tmp_path / "pendulum_demo.png").stat().st_size > 10_000
