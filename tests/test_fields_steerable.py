"""Steerable filters: counts from the harmonics, exact C(4) / D(4) equivariance, bad input."""

import numpy as np
import pytest
import torch

from scalars.fields import FieldGate, SteerableCNN, SteerableConv, act, steerable_filters
from scalars.fields.steerable import act_fields, field_matrix
from scalars.groups import get_group

FREQUENCIES = (0, 1, 2)


@pytest.mark.parametrize(("m_in", "m_out", "reflections", "count"), [
    (0, 0, False, 3),   # one radial profile per ring (0, 1, 2)
    (0, 1, False, 4),   # cos, sin of frequency 1 on rings 1 and 2
    (1, 1, False, 10),  # frequency 0 (identity, quarter turn) on 3 rings, frequency 2 on rings 1 and 2
    (1, 1, True, 5),    # reflections keep half of them
    (2, 0, True, 2),
])
def test_filter_counts_follow_the_harmonics(m_in, m_out, reflections, count):
    assert steerable_filters(5, m_in, m_out, band_limit=2, reflections=reflections).shape == (
        count, 25, 1 if m_out == 0 else 2, 1 if m_in == 0 else 2)


def test_filters_obey_the_kernel_constraint_on_the_grid():
    basis = steerable_filters(5, 1, 2, band_limit=3, reflections=True).reshape(-1, 5, 5, 2, 2)
    assert len(basis) > 0
    for g in get_group("D(4)").elements():
        g = np.round(g).astype(int)
        turned = np.moveaxis(act(g, np.moveaxis(basis, (1, 2), (3, 4)), 0), (3, 4), (1, 2))  # K(g^-1 y) at y
        expected = field_matrix(g, (2,)).T @ basis @ field_matrix(g, (1,))
        assert np.abs(turned - expected).max() < 1e-12


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("reflections", "group"), [(False, "C(4)"), (True, "D(4)")])
def test_conv_and_gate_are_exactly_equivariant(reflections, group, dtype):
    torch.manual_seed(0)
    conv = SteerableConv(FREQUENCIES, FREQUENCIES, 2, 3, 3, band_limit=2, reflections=reflections, dilation=2).to(dtype)
    gate = FieldGate(FREQUENCIES, 3).to(dtype)
    x = torch.randn(2, 10, 9, 9, dtype=dtype)
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    with torch.no_grad():
        y = gate(conv(x))
        for g in get_group(group).elements():
            g = np.round(g).astype(int)
            moved = gate(conv(act_fields(g, x, FREQUENCIES, shift=[4, 1])))
            assert (moved - act_fields(g, y, FREQUENCIES, shift=[4, 1])).abs().max() <= tol * max(1.0, float(y.abs().max()))


def test_steerable_cnn_maps_scalar_images_equivariantly():
    torch.manual_seed(0)
    model = SteerableCNN(1, 2, channels=2, dilations=(1, 2)).double()
    x = torch.randn(2, 1, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        y = model(x)
        for g in get_group("D(4)").elements():
            assert torch.allclose(model(act(g, x, 0, shift=[1, 6])), act(g, y, 0, shift=[1, 6]), atol=1e-12)


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="odd"):
        steerable_filters(4, 0, 0)
    with pytest.raises(ValueError, match="out_frequency"):
        steerable_filters(3, 0, -1)
    with pytest.raises(ValueError, match="no steerable filters"):
        SteerableConv((0,), (3,), 1, 1, 3, band_limit=2)
    with pytest.raises(ValueError, match=r"shape \(batch, 3, n, n\)"):
        SteerableConv((0, 1), (0,), 1, 1, 3)(torch.zeros(1, 2, 6, 6))
    with pytest.raises(ValueError, match="NaN"):
        SteerableConv((0,), (0,), 1, 1, 3)(torch.full((1, 1, 6, 6), float("nan")))
    with pytest.raises(ValueError, match=r"\(batch, 5, n, n\)"):
        FieldGate(FREQUENCIES, 1)(torch.zeros(1, 4, 6, 6))
