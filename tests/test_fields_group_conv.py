"""Regular group convolutions (p4, p4m): exact equivariance, shapes and bad input."""

import numpy as np
import pytest
import torch

from scalars.fields import GroupCNN, GroupConv, GroupPool, LiftingConv, act, act_regular
from scalars.fields.group_conv import point_group_elements

GROUPS = ["C(4)", "D(4)"]


def _close(a, b, dtype):
    return float((a - b).abs().max()) <= (1e-10 if dtype == torch.float64 else 1e-4) * max(1.0, float(b.abs().max()))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("group", GROUPS)
def test_lifting_group_conv_and_pooling_are_exactly_equivariant(group, dtype):
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    lift = LiftingConv(2, 3, 3, group).to(dtype)
    conv = GroupConv(3, 2, 5, group, dilation=2).to(dtype)
    pool = GroupPool("max")
    x = torch.randn(2, 2, 9, 9, dtype=dtype)
    features = torch.relu(lift(x))
    with torch.no_grad():
        for g in point_group_elements(group)[0]:
            shift = rng.integers(9, size=2)
            assert _close(lift(act(g, x, 0, shift=shift)), act_regular(g, lift(x), group, shift=shift), dtype)
            moved = act_regular(g, features, group, shift=shift)
            assert _close(conv(moved), act_regular(g, conv(features), group, shift=shift), dtype)
            assert _close(pool(moved), act(g, pool(features), 0, shift=shift), dtype)


def test_group_cnn_is_invariant_on_the_fibre_and_equivariant_on_the_grid():
    torch.manual_seed(0)
    model = GroupCNN(1, 2, channels=3, dilations=(1, 2)).double()
    x = torch.randn(3, 1, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        y = model(x)
        for g in point_group_elements("D(4)")[0]:
            assert torch.allclose(model(act(g, x, 0, shift=[3, 5])), act(g, y, 0, shift=[3, 5]), atol=1e-12)
    assert y.shape == (3, 2, 8, 8)


def test_regular_action_is_a_group_action():
    elements, quotient = point_group_elements("D(4)")
    features = torch.randn(2, 8, 5, 5, dtype=torch.float64)
    for a in elements[:3]:
        for b in elements[3:6]:
            twice = act_regular(a, act_regular(b, features, "D(4)"), "D(4)")
            assert torch.equal(twice, act_regular(a @ b, features, "D(4)"))
    assert sorted(quotient[0]) == list(range(8))


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="odd"):
        LiftingConv(1, 1, 4)
    with pytest.raises(ValueError, match="in_channels"):
        GroupConv(0, 1, 3)
    with pytest.raises(ValueError, match="finite group of 2 x 2"):
        LiftingConv(1, 1, 3, point_group="B(3)")
    with pytest.raises(ValueError, match=r"shape \(batch, 2, 8, n, n\)"):
        GroupConv(2, 1, 3)(torch.zeros(1, 2, 4, 6, 6))
    with pytest.raises(ValueError, match="square"):
        LiftingConv(1, 1, 3)(torch.zeros(1, 1, 6, 7))
    with pytest.raises(ValueError, match="NaN"):
        LiftingConv(1, 1, 3)(torch.full((1, 1, 6, 6), float("nan")))
    with pytest.raises(ValueError, match="not an element of Z"):
        act_regular(np.array([[0, 1], [1, 0]]), torch.zeros(4, 5, 5), "C(4)")
    with pytest.raises(ValueError, match="reduction"):
        GroupPool("sum")
