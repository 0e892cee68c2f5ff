import pandas as pd

from scalars.bench.regression import table


def test_table_gives_median_and_range_and_leaves_sizes_a_model_was_not_run_at_empty():
    rows = [
        dict(task="Inertia", model="scalars MLP", n_train=n, seed=seed, mse=mse, seconds=1.0)
        for n, values in ((100, (0.3, 0.1, 0.2)), (1000, (0.02, 0.01, 0.03)))
        for seed, mse in enumerate(values)
    ] + [dict(task="Inertia", model="scalars EMLP", n_train=1000, seed=0, mse=0.5, seconds=1.0)]
    lines = table(pd.DataFrame(rows)).splitlines()
    assert lines[0] == "| task | method | 100 | 1000 |"
    assert "| Inertia | EMLP (EMLP paper) | 1.4 | 0.14 |" in lines
    assert "| Inertia | **scalars MLP** | 0.2 [0.1, 0.3] | 0.02 [0.01, 0.03] |" in lines
    assert "| Inertia | **scalars EMLP** |  | 0.5 [0.5, 0.5] |" in lines
