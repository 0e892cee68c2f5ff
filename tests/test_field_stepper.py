"""FieldStepper: a learned time-stepper of fields, exactly equivariant or plain, any grid size."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from scalars.dynamics import FieldStepper
from scalars.fields import act
from scalars.groups import get_group


def _diffusion(n_starts, n_times, n=8, seed=0):
    """Two fields on an n x n periodic grid, each diffusing at its own rate, the second
    also fed by the first: trajectories (n_starts, n_times, 2, n, n)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_starts, 2, n, n))
    out = [x]
    for _ in range(n_times - 1):
        lap = sum(np.roll(x, s, a) - x for s in (1, -1) for a in (-1, -2))
        x = x + np.array([0.2, 0.05])[:, None, None] * lap + np.array([0.0, 0.1])[:, None, None] * (x[:, :1] - x[:, 1:])
        out.append(x)
    return np.stack(out, 1)


@pytest.fixture(scope="module")
def fitted():
    data = _diffusion(4, 6)
    return {name: FieldStepper(name, channels=4, dilations=(1, 2), max_epochs=3, random_state=0).fit(data)
            for name in ("equivariant", "plain")}


def test_equivariant_stepper_commutes_with_every_turn_reflection_and_shift(fitted):
    x = _diffusion(2, 1, seed=1)[:, 0]
    rng = np.random.default_rng(0)
    base = fitted["equivariant"].rollout(x, 3)
    for g in get_group("B(2)").elements():
        shift = rng.integers(8, size=2)
        moved = fitted["equivariant"].rollout(act(g, x, 0, shift=shift), 3)
        assert np.abs(moved - act(g, base, 0, shift=shift)).max() <= 1e-5 * np.abs(base).max()
    quarter = np.array([[0, -1], [1, 0]])
    plain = fitted["plain"].rollout(x, 3)
    assert np.abs(fitted["plain"].rollout(act(quarter, x, 0), 3) - act(quarter, plain, 0)).max() > 1e-4


@pytest.mark.parametrize("name", ["equivariant", "plain"])
def test_stepper_runs_on_a_larger_grid_and_a_tiled_start_gives_the_tiled_rollout(fitted, name):
    x = _diffusion(2, 1, seed=2)[:, 0]
    small = fitted[name].rollout(x, 2)
    large = fitted[name].rollout(np.tile(x, (1, 1, 3, 3)), 2)
    assert large.shape == (3, 2, 2, 24, 24)
    assert np.allclose(large, np.tile(small, (1, 1, 1, 3, 3)), atol=1e-5)
    assert fitted[name].predict(x[0]).shape == (2, 8, 8)


def test_stepper_learns_diffusion_better_than_standing_still():
    train, test = _diffusion(8, 6), _diffusion(2, 6, seed=5)
    model = FieldStepper(channels=6, dilations=(1, 1), max_epochs=30, learning_rate=1e-2, random_state=0).fit(train)
    rollout = np.moveaxis(model.rollout(test[:, 0], 5), 0, 1)
    still = np.broadcast_to(test[:, :1], test.shape)
    assert np.abs(rollout - test)[:, -1].mean() < 0.5 * np.abs(still - test)[:, -1].mean()
    assert model.n_fields_ == 2 and model.n_parameters_ == sum(p.numel() for p in model.network_.parameters())


def test_bad_input_is_refused_with_a_message_that_names_it(fitted):
    with pytest.raises(ValueError, match=r"trajectories must have shape \(n_trajectories"):
        FieldStepper().fit(np.zeros((3, 2, 8, 8)))
    with pytest.raises(ValueError, match="square grid"):
        FieldStepper().fit(np.zeros((1, 4, 2, 8, 6)))
    with pytest.raises(ValueError, match="horizon=3 needs trajectories of at least 4 snapshots, got 3"):
        FieldStepper(horizon=3).fit(np.zeros((1, 3, 2, 8, 8)))
    data = _diffusion(1, 4)
    data[0, 1, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        FieldStepper().fit(data)
    with pytest.raises(ValueError, match="architecture"):
        FieldStepper(architecture="steerable").fit(_diffusion(1, 4))
    with pytest.raises(ValueError, match="dilations must be a non-empty"):
        FieldStepper(dilations=()).fit(_diffusion(1, 4))
    with pytest.raises(ValueError, match="state has 3 fields on axis 1; the stepper was fitted on 2"):
        fitted["plain"].rollout(np.zeros((1, 3, 8, 8)), 2)
    with pytest.raises(ValueError, match="n_steps must be a non-negative integer"):
        fitted["plain"].rollout(np.zeros((2, 8, 8)), -1)
    with pytest.raises(NotFittedError):
        FieldStepper().rollout(np.zeros((2, 8, 8)), 1)
