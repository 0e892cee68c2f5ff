"""The peers environment lookup and a peer runner end to end (pint is installed here too)."""

import sys

import numpy as np
import pytest

from scalars.bench import dimensional_analysis
from scalars.bench.peers import NOT_RUN, PEERS_PYTHON_VARIABLE, peer_script, peers_line, peers_python, run_peer


def test_peers_python_follows_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(PEERS_PYTHON_VARIABLE, sys.executable)
    assert peers_python() == sys.executable and peers_line() == f"peers: {sys.executable}"
    monkeypatch.setenv(PEERS_PYTHON_VARIABLE, str(tmp_path / "python"))
    assert peers_python() is None and run_peer("pint_units.py", "unused.npz") is None
    assert peers_line().startswith(f"peers: {NOT_RUN}")


def test_peer_script_names_the_missing_file():
    with pytest.raises(FileNotFoundError, match="peer script 'nope.py'"):
        peer_script("nope.py")


def test_pint_runner_solves_the_problems_it_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv(PEERS_PYTHON_VARIABLE, sys.executable)
    pendulum = np.array([[1, 0, -2, 0], [0, 1, 1, 0], [0, 0, 0, 1]])  # rows: time, length, mass
    path = tmp_path / "problems.npz"
    np.savez(path, m0=pendulum, m1=np.array([[1, 1]]))
    result = run_peer("pint_units.py", path, env={"PYTHONHASHSEED": "0"})
    assert len(result["answers"]) == len(result["seconds"]) == 2
    (group,) = result["answers"][0]  # T^2 g / L, up to sign and scale
    group = np.array(group) / group[0] * 2
    np.testing.assert_allclose(group, [2, -1, 1, 0])
    assert len(result["answers"][1]) == 1


def test_units_tables_print_not_run_without_pint_runs():
    problems = dimensional_analysis.textbook_matrices() + dimensional_analysis.random_dimension_matrices(3)
    runs = [{dimensional_analysis.OURS: {"answers": [dimensional_analysis.solve_with_scalars(M) for M in problems],
                                         "seconds": [0.001] * len(problems)}}] * 3
    summary = dimensional_analysis.summary_table(problems, runs, len(dimensional_analysis.TEXTBOOK))
    assert f"| pint.pi_theorem | {NOT_RUN} |" in summary and "| scalars.units.integer_nullspace | 100.0% |" in summary
    assert f"| pipe flow | pint.pi_theorem | {NOT_RUN} |" in dimensional_analysis.textbook_table(runs)
    percentiles = dimensional_analysis.percentile_table(runs, len(dimensional_analysis.TEXTBOOK))
    assert f"| pint.pi_theorem | {NOT_RUN} |" in percentiles
    assert f"| scalars.units.integer_nullspace | {' | '.join(['1'] * 9)} |" in percentiles
