from scalars.__main__ import main


def test_emlp_benchmark_prints_the_solve_and_step_tables(capsys):
    assert main(["bench", "emlp", "--quick", "--steps", "1"]) == 0
    out = capsys.readouterr().out
    assert "| S(8) | T2 -> T2 | 15 |" in out and "| O(3) | T2 -> T0 | 1 |" in out
    assert "seconds per Adam step" in out and "load average" in out
