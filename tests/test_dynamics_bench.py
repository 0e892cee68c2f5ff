"""The pendulum benchmark and demo run end to end on a tiny budget."""

import csv

import pytest

from scalars.bench import pendulum, pendulum_demo


def test_bench_writes_a_table_and_a_csv(tmp_path, capsys):
    argv = ["--quick", "--time-limit", "1", "--n-test", "2", "--models", "scalar HNN,MLP neural ODE",
            "--no-progress", "--out", str(tmp_path)]
    assert pendulum.main(argv) == 0
    printed = capsys.readouterr().out
    assert "| scalar HNN |" in printed and "0.005 ± 0.002 (Scalars O(3))" in printed
    assert "| MLP neural ODE |" in printed and "0.0482 ± 0.0002 (MLP)" in printed
    with open(tmp_path / "pendulum.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["model"] for row in rows] == ["scalar HNN", "MLP neural ODE"]
    assert all(0 < float(row["rollout_error"]) <= 1 for row in rows)


def test_bench_rejects_unknown_models(tmp_path):
    with pytest.raises(SystemExit, match="unknown model"):
        pendulum.main(["--quick", "--models", "LSTM", "--out", str(tmp_path)])


def test_demo_writes_the_figure(tmp_path, capsys):
    assert pendulum_demo.main(["--time-limit", "1", "--n-test", "2", "--no-progress", "--out", str(tmp_path)]) == 0
    assert "| MLP HNN |" in capsys.readouterr().out
    assert (tmp_path / "pendulum_demo.png").stat().st_size > 10_000
