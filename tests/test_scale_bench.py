import pytest

pytest.importorskip("distributed")

from scalars.__main__ import main  # noqa: E402


@pytest.mark.slow
def test_scale_benchmark_prints_its_table(capsys):
    code = main(["bench", "scale", "--rows", "20000", "--chunk-rows", "5000", "--predict-rows", "4000",
                 "--predict-chunk-rows", "1000", "--repeats", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "| dask featurize throughput" in out and "| ParallelPostFit predict" in out
    assert out.count("while featurizing |") == 2
    assert "bit for bit | yes |" in out and "| NO |" not in out
