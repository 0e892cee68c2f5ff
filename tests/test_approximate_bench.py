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


def test_perfect_symmetry_table_gives_rpps_ratio_per_seed():
    from scalars.bench.approximate import perfect_symmetry_table

    rows = [dict(model="equivariant MLP (no g)", seed=0, mse=0.2), dict(model="RPP", seed=0, mse=0.21)]
    assert "| 0 | 0.2 | 0.21 | 1.05 |" in perfect_symmetry_table(pd.DataFrame(rows)).splitlines()


def test_inpainting_clusters_stay_inside_the_visible_or_the_hidden_half():
    import numpy as np

    from scalars.bench.inpainting import GROUPS, HIDDEN, VISIBLE, clusterings

    counts = {"S(64)": 2, "S(16)^4": 4, "S(4)^16": 16, "S(2)^32": 32, "trivial": 64}
    for name, labels in clusterings().items():
        assert name in GROUPS and len(np.unique(labels)) == counts[name]
        assert not set(labels[VISIBLE]) & set(labels[HIDDEN])


def test_care_augmentations_are_the_eight_symmetries_of_the_square():
    import torch

    from scalars.bench.care import dihedral

    image = torch.arange(64.0).reshape(1, 8, 8)
    moved = {tuple(dihedral(image, element).flatten().tolist()) for element in range(8)}
    assert len(moved) == 8
    quarter = dihedral(image, 1)
    assert torch.equal(dihedral(dihedral(quarter, 1), 2), image)  # four quarter turns
    assert torch.equal(dihedral(dihedral(image, 4), 4), image)  # a flip is an involution
