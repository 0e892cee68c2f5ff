"""Any CNN averaged over the point group or a moment frame: exact equivariance and the frames."""

import numpy as np
import pytest
import torch

from scalars.averaging import GroupAverage
from scalars.fields import ImageAveraging, ImageRep, PlainCNN, act
from scalars.fields.averaging import moment_frames, second_moments
from scalars.groups import get_group
from scalars.testing import assert_equivariant

ELEMENTS = get_group("B(2)").elements()


def _images(dtype):
    torch.manual_seed(0)
    x = torch.randn(3, 1, 8, 8, dtype=dtype)
    disc = torch.zeros(1, 1, 8, 8, dtype=dtype)
    disc[0, 0, 4, 4] = 1.0  # isotropic: its frame is the whole group
    return torch.cat([x, disc])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("frame", [False, True])
def test_averaged_cnn_is_exactly_equivariant(frame, dtype):
    torch.manual_seed(0)
    model = ImageAveraging(PlainCNN(0, 1, channels=4, dilations=(1, 2)).to(dtype), 0, 1, frame=frame)
    x = _images(dtype)
    tol = 1e-10 if dtype == torch.float64 else 1e-5
    with torch.no_grad():
        y = model(x)
        for g in ELEMENTS:
            assert torch.allclose(model(act(g, x, 0, shift=[2, 5])), act(g, y, 1, shift=[2, 5]), atol=tol)


def test_frames_are_equivariant_and_degenerate_images_use_their_stabiliser():
    x = _images(torch.float64).numpy()
    stripes = np.zeros((1, 1, 8, 8))
    stripes[0, 0, :, :2], stripes[0, 0, :, 4:6] = 1.0, 1.0  # S = diag(0, s): stabiliser of 4 sign changes
    S = second_moments(np.concatenate([x, stripes]), 2, 0)
    frame = moment_frames(S, ELEMENTS)
    assert frame.sizes.tolist() == [2, 2, 2, 8, 4]
    for g in ELEMENTS:
        moved = moment_frames(second_moments(act(g, x, 0, shift=[1, 3]), 2, 0), ELEMENTS)
        for s in range(len(x)):
            mine = frame.elements[frame.sample == s]
            assert {(g @ h).round().tobytes() for h in mine} == {h.round().tobytes() for h in moved.elements[moved.sample == s]}


def test_invariant_outputs_and_assert_equivariant():
    torch.manual_seed(0)
    head = torch.nn.Sequential(PlainCNN(0, 0, out_channels=3, channels=4, dilations=(1,)).double(),
                               torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    model = ImageAveraging(head, 0, None, frame=True)
    x = _images(torch.float64)
    with torch.no_grad():
        logits = model(x)
        assert logits.shape == (4, 3)
        assert all(torch.allclose(model(act(g, x, 0)), logits, atol=1e-12) for g in ELEMENTS)
        vector = ImageAveraging(PlainCNN(0, 1, channels=4, dilations=(1,)).double(), 0, 1)
        rep_in, rep_out = vector.image_reps(8)
        assert assert_equivariant(vector, rep_in.group, x, layout=rep_in, output=rep_out) < 1e-10


def test_group_average_takes_image_reps():
    average = GroupAverage("B(2)", ImageRep(4, order=1))
    X = np.random.default_rng(0).standard_normal((3, 32))
    assert np.allclose(average(lambda rows: rows.sum(1), X), X.sum(1) * 0)  # a vector image sums to zero on average


def test_bad_inputs_name_the_problem():
    model = ImageAveraging(PlainCNN(0, 1), 0, 1)
    with pytest.raises(ValueError, match="square"):
        model(torch.zeros(1, 1, 6, 7))
    with pytest.raises(ValueError, match="NaN"):
        model(torch.full((1, 1, 6, 6), float("nan")))
    with pytest.raises(ValueError, match="image_reps needs image outputs"):
        ImageAveraging(PlainCNN(0, 0), 0, None).image_reps(6)
    with pytest.raises(ValueError, match="acts in 3 dimensions, not d = 2"):
        ImageAveraging(PlainCNN(0, 1), 0, 1, point_group="B(3)")
