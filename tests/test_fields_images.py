"""Geometric images: the action of B(d) and translations, ImageRep, and the invariant filters."""

import numpy as np
import pytest
import torch

from scalars.fields import GridGroup, ImageRep, act, invariant_filter_count, invariant_filters
from scalars.groups import get_group
from scalars.reps import equivariant_basis


def random_images(rng, d, n, order, batch=2):
    return rng.standard_normal((batch,) + (n,) * d + (d,) * order)


@pytest.mark.parametrize("d, n, order, parity", [(2, 5, 1, 0), (2, 4, 2, 1), (3, 3, 1, 1), (3, 4, 0, 0)])
def test_act_is_a_group_action_and_matches_the_image_rep(d, n, order, parity):
    rng = np.random.default_rng(0)
    elements = get_group(f"B({d})").elements()
    X = random_images(rng, d, n, order)
    rep = ImageRep(n, order, parity)(f"B({d})")
    for g, h in elements[rng.integers(len(elements), size=(4, 2))]:
        assert np.array_equal(act(g, act(h, X, order, parity), order, parity), act(g @ h, X, order, parity))
        assert np.allclose(act(g, X, order, parity).reshape(2, -1), X.reshape(2, -1) @ rep.rho(g).T)


def test_act_turns_about_the_centre_pixel_and_moves_values_with_the_pixels():
    image = np.zeros((5, 5, 2))
    image[2, 4] = [1.0, 0.0]  # two pixels along axis 0's neighbour axis from the centre (2, 2)
    turn = np.array([[0, -1], [1, 0]])
    moved = act(turn, image, order=1)
    assert np.array_equal(np.argwhere(np.abs(moved).sum(-1)), [[0, 2]])  # g (0, 2) = (-2, 0)
    assert moved[0, 2].tolist() == [0.0, 1.0]
    shifted = act(np.eye(2), image, order=1, shift=[1, 2])
    assert shifted[3, 1].tolist() == [1.0, 0.0]  # (2, 4) + (1, 2) mod 5


def test_act_on_torch_keeps_dtype_and_agrees_with_numpy():
    rng = np.random.default_rng(1)
    X = random_images(rng, 2, 4, 2)
    g = get_group("B(2)").elements()[5]
    out = act(g, torch.tensor(X, dtype=torch.float32), order=2, parity=1, shift=[1, 3])
    assert out.dtype == torch.float32
    assert np.allclose(out.numpy(), act(g, X, order=2, parity=1, shift=[1, 3]), atol=1e-6)


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("size", [1, 3, 5])
@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("parity", [0, 1])
def test_invariant_filter_counts_equal_the_character_formula(d, size, order, parity):
    filters = invariant_filters(d, size, order, parity)
    assert filters.shape == (invariant_filter_count(d, size, order, parity), size**d * d**order)
    if len(filters):
        assert np.allclose(filters @ filters.T, np.eye(len(filters)))
        F = filters.reshape((-1,) + (size,) * d + (d,) * order)
        for g in get_group(f"B({d})").discrete_generators():
            assert np.array_equal(act(g, F, order, parity), F)


def test_subgroups_allow_more_filters_and_the_known_counts_hold():
    assert invariant_filters(2, 3, order=0).shape == (3, 9)  # centre, edges, corners
    assert invariant_filter_count(2, 3, order=1, group="C(4)") == invariant_filters(2, 3, 1, group="C(4)").shape[0] == 4
    assert invariant_filters(2, 3, 1, group="D(4)").shape[0] == 2


def test_grid_group_maps_are_convolutions_with_symmetric_filters():
    # translations alone: the n^2 circulant (convolution) maps; with B(2) as well, one per
    # B(2)-orbit of offsets mod 4: |offsets| in {0,1,2} unordered, 6 of them
    shifts = ImageRep(4)(GridGroup(4, "C(1)"))
    assert equivariant_basis(shifts, shifts).shape[1] == 16
    grid = GridGroup(4, "B(2)")
    assert equivariant_basis(ImageRep(4)(grid), ImageRep(4)(grid)).shape[1] == 6
    g = grid.sample(rng=0)
    assert g.shape == (3, 3) and get_group("B(2)").contains(g[:2, :2].astype(float))


def test_bad_images_and_elements_are_named():
    with pytest.raises(ValueError, match="signed permutation"):
        act(np.array([[1.0, 1.0], [0.0, 1.0]]), np.zeros((3, 3)), order=0)
    with pytest.raises(ValueError, match="must be square"):
        act(np.eye(2), np.zeros((1, 3, 4, 2)), order=1)
    with pytest.raises(ValueError, match="tensor indices of size d = 2"):
        act(np.eye(2), np.zeros((1, 3, 3, 3)), order=1)
    with pytest.raises(ValueError, match="at least 4 axes"):
        act(np.eye(2), np.zeros((3, 3, 2)), order=2)
    with pytest.raises(ValueError, match="positive odd integer"):
        invariant_filters(2, 4, order=0)
    with pytest.raises(ValueError, match="parity must be 0"):
        invariant_filters(2, 3, order=0, parity=2)
    with pytest.raises(ValueError, match="acts in 2 dimensions"):
        invariant_filters(3, 3, order=0, group="D(4)")
