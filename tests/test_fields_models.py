"""Gravity-field data, the geometric CNN and its plain twin, and the fields benchmark's command."""

import numpy as np
import pytest
import torch

from scalars.datasets import GravityField, gravity_field
from scalars.fields import GeometricCNN, GridGroup, ImageRep, PlainCNN, act
from scalars.groups import get_group
from scalars.testing import assert_equivariant, equivariance_error


def test_gravity_field_is_exactly_equivariant_and_attractive():
    data = GravityField(3, n=8, n_masses=3, seed=0)
    assert data.X.shape == (3, 1, 8, 8) and data.y.shape == (3, 1, 8, 8, 2)
    assert np.count_nonzero(data.X[0]) == 3
    rng = np.random.default_rng(0)
    for g in get_group("B(2)").elements():
        shift = rng.integers(8, size=2)
        assert np.allclose(gravity_field(act(g, data.X, 0, shift=shift)), act(g, data.y, 1, shift=shift), atol=1e-13)
    one = np.zeros((9, 9))
    one[4, 4] = 1.0
    field = gravity_field(one)
    assert np.allclose(field.sum((0, 1)), 0.0, atol=1e-13)  # periodic: no net force
    assert field[4, 6, 1] < 0 < field[4, 2, 1] and field[6, 4, 0] < 0  # pointing at the mass
    cube = gravity_field(np.pad(one[None], ((4, 4), (0, 0), (0, 0))), d=3)
    assert cube.shape == (9, 9, 9, 3)


def test_geometric_cnn_with_tensor_hidden_channels_is_equivariant_in_float32():
    torch.manual_seed(0)
    model = GeometricCNN(1, 1, channels=3, dilations=(1, 2), hidden_order=2)
    X = torch.randn(2, 1, 6, 6, 2)
    group = GridGroup(6, "B(2)")
    error = assert_equivariant(model, group, X, layout=ImageRep(6, 1)(group), output=ImageRep(6, 1)(group), n_elements=8, rng=0)
    assert error <= 1e-5


def test_plain_cnn_has_the_image_format_but_not_the_symmetry():
    torch.manual_seed(0)
    model = PlainCNN(0, 1, channels=4, dilations=(1, 1)).double()
    X = torch.randn(2, 1, 6, 6, dtype=torch.float64)
    assert model(X).shape == (2, 1, 6, 6, 2)
    group = GridGroup(6, "B(2)")
    errors = equivariance_error(model, group, X, layout=ImageRep(6)(group), output=ImageRep(6, 1)(group), n_elements=8, rng=0)
    assert errors.max() > 1e-3
    with pytest.raises(ValueError, match="dilations"):
        PlainCNN(0, 1, dilations=())


def test_fields_benchmark_prints_a_table(capsys):
    from scalars.__main__ import main

    assert main(["bench", "fields", "--quick", "--sizes", "4", "--seeds", "1", "--steps", "1", "--no-peers"]) == 0
    out = capsys.readouterr().out
    for name in ["geometric CNN", "plain CNN", "plain CNN + D4 aug", "4 images"]:
        assert name in out


def test_fields_table_reads_not_run_for_a_missing_peer():
    from scalars.bench.fields import PEER, table

    rows = [("geometric CNN", 10, 0, 448, 0.01, 1e-15, 1.0), (PEER, 10, 0, 0, np.nan, np.nan, 0.0)]
    assert table(rows).splitlines()[-1] == f"| {PEER} | not run | not run | not run |"
