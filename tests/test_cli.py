import subprocess
import sys
from pathlib import Path

import pytest

from scalars.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_the_commands(capsys):
    assert main([]) == 0
    assert "python -m scalars demo" in capsys.readouterr().out


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


def test_featurize_benchmark_runs():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "featurize.py"), "--samples", "2000", "--repeats", "1"],
        capture_output=True, text=True, check=True,
    )
    assert "ours / copy" in result.stdout and "| 50 | 3 |" in result.stdout
