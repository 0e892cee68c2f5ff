import pandas as pd

from scalars.bench.approximate import MODELS, table


def test_table_gives_median_range_error_and_the_published_number():
    rows = [dict(model=name, seed=seed, mse=mse, equivariance_error=0.1, seconds=2.0)
            for name in MODELS[:3] for seed, mse in enumerate((3.0, 1.0, 2.0))]
    lines = table(pd.DataFrame(rows)).splitlines()
    assert lines[0] == "| model | test MSE | equivariance error | published MSE (RPP paper) | seconds |"
    assert "| MLP | 2 [1, 3] | 0.1 | 4.78 | 2 |" in lines
    assert "| equivariant MLP (no g) | 2 [1, 3] | 0.1 | 2.39 | 2 |" in lines
    assert "| RPP | 2 [1, 3] | 0.1 | 0.15 | 2 |" in lines
