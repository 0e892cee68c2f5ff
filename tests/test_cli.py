import subprocess
import sys
from pathlib import Path

import pytest

import scalars
from scalars.__main__ import BENCHMARKS, DEMOS, main

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_the_commands(capsys):
    assert main([]) == 0
    assert "python -m scalars demo" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_demo_and_benchmark(capsys, flag):
    assert main([flag]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
    assert listed == set(DEMOS) | set(BENCHMARKS)  # bench scale, added after the first help, included


def test_version_prints_the_version_and_exits_0():
    result = subprocess.run([sys.executable, "-m", "scalars", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"scalars {scalars.__version__}\n"


def test_unknown_command_fails_with_usage_on_stderr(capsys):
    assert main(["frobnicate"]) == 2
    captured = capsys.readouterr()
    assert "python -m scalars demo" in captured.err and captured.out == ""


@pytest.mark.parametrize("kind", ["demo", "bench"])
def test_unknown_name_is_named_in_the_error(kind):
    with pytest.raises(SystemExit, match="unknown .* 'foo'; name one of"):
        main([kind, "foo"])


def test_bench_needs_a_name():
    with pytest.raises(SystemExit, match="name one of"):
        main(["bench"])


def test_o5_demo_prints_a_table(capsys):
    main(["demo", "o5", "--sizes", "30", "--test-size", "200"])
    out = capsys.readouterr().out
    assert "| 30 |" in out and "InvariantFeatures + MLP" in out


@pytest.mark.parametrize("kind, names", [("bench", list(BENCHMARKS)), ("demo", list(DEMOS))])
def test_help_of_demo_and_bench_lists_the_names_and_exits_0(kind, names):
    result = subprocess.run([sys.executable, "-m", "scalars", kind, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert f"usage: python -m scalars {kind}" in result.stdout
    assert all(f"\n  {name} " in result.stdout for name in names)


def test_featurize_benchmark_runs(capsys):
    main(["bench", "featurize", "--samples", "2000", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "ours / copy" in out and "| 50 | 3 |" in out


def test_units_benchmark_runs(capsys, monkeypatch, tmp_path):
    from scalars.bench.peers import PEERS_PYTHON_VARIABLE

    # no peers here (tests/test_bench_peers.py runs pint's runner)
    monkeypatch.setenv(PEERS_PYTHON_VARIABLE, str(tmp_path / "python"))
    assert main(["bench", "units", "--n-problems", "5"]) == 0
    out = capsys.readouterr().out
    assert "| scalars.units.integer_nullspace | 100.0% | 100.0% | 100.0% | 100.0% |" in out
    assert "| pipe flow | scalars.units.integer_nullspace | L*D^-1, p*D*mu^-1*v^-1, D*rho*mu^-1*v | yes |" in out
    assert "| pendulum | pint.pi_theorem | not run | |" in out and "peers: not run" in out
