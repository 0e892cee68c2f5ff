"""The charged n-body generator: protocol, caching, an independent integration, energy."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from scalars.datasets import ChargedNBody


@pytest.fixture(scope="module")
def data():
    return ChargedNBody(40, seed=0)


def test_layout_shapes_and_protocol(data):
    assert data.X.shape == (40, 35) and data.y.shape == (40, 15)
    x, v, q = data.frame(30)
    np.testing.assert_array_equal(data.X, np.concatenate([q, x.reshape(40, 15), v.reshape(40, 15)], axis=1))
    np.testing.assert_array_equal(data.y, data.frame(40)[0].reshape(40, 15))
    assert set(np.unique(q)) == {-1.0, 1.0} and data.positions.shape == (40, 49, 5, 3)
    _, x0, v0 = ChargedNBody.initial_states(40, seed=0)
    np.testing.assert_allclose(np.linalg.norm(v0, axis=-1), 0.5)
    assert np.all(np.abs(x0) <= ChargedNBody.box)
    assert data.estimator_params() == {"group": "E(3)", "layout": "5T0+5P+5T1", "output": "5P", "particles": 5}
    with pytest.raises(ValueError, match="frame must be in 0 .. 48, got 49"):
        data.frame(49)


def test_trajectories_depend_only_on_seed_and_index(data):
    np.testing.assert_array_equal(ChargedNBody(15, seed=0, cache=False).X, data.X[:15])
    assert not np.allclose(ChargedNBody(15, seed=1, cache=False).X, data.X[:15])


def test_reflection_at_the_box_turns_velocities_inwards():
    charges, x, v = ChargedNBody.initial_states(200000, seed=3)
    drawn = np.random.default_rng(np.random.SeedSequence(3).spawn(2)[1]).standard_normal((200000, 2, 5, 3))[:, 0]
    outside = np.abs(drawn) > 5
    assert outside.any()  # about one coordinate in 1.7 million is drawn beyond the box
    np.testing.assert_allclose(x[outside], np.sign(drawn[outside]) * 10 - drawn[outside])
    assert np.all(np.abs(x) <= 5) and np.all(x[outside] * v[outside] <= 0)


def test_cache_is_reused_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    first = ChargedNBody(6, seed=2)
    (path,) = tmp_path.glob("charged-nbody-*.npz")
    np.testing.assert_array_equal(ChargedNBody(6, seed=2).X, first.X)
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["positions"][0, 0, 0, 0] += 1.0
    np.savez(path, **arrays)
    with pytest.warns(UserWarning, match="checksum mismatch"):
        again = ChargedNBody(6, seed=2)
    assert again.checksum == first.checksum


def _exact(x0, v0, q, times):
    """solve_ivp (DOP853, tight tolerances) of the same equations, unclipped."""
    k = len(q)

    def rhs(t, state):
        x, v = state[: 3 * k].reshape(k, 3), state[3 * k :]
        return np.concatenate([v, ChargedNBody.forces(x[None], q[None])[0].ravel()])

    solution = solve_ivp(rhs, (0, times[-1]), np.concatenate([x0.ravel(), v0.ravel()]), "DOP853",
                         t_eval=times, rtol=1e-12, atol=1e-12)
    return solution.y[: 3 * k].T.reshape(-1, k, 3), solution.y[3 * k :].T.reshape(-1, k, 3)


def _calm(n, seed):
    """Initial states whose particles stay apart (no clipped forces): min distance > 0.8."""
    q, x, v = ChargedNBody.initial_states(n, seed)
    positions, _ = ChargedNBody.simulate(x, v, q, n_frames=12, save_every=100)
    i, j = np.triu_indices(5, k=1)
    calm = np.linalg.norm(positions[:, :, i] - positions[:, :, j], axis=-1).min((1, 2)) > 0.8
    return q[calm][:3], x[calm][:3], v[calm][:3]


def test_leapfrog_matches_an_independent_integration_to_second_order():
    q, x, v = _calm(30, seed=4)
    frames, dt = 12, ChargedNBody.dt
    errors = []
    for refine in (1, 2):
        positions, velocities = ChargedNBody.simulate(x, v, q, dt=dt / refine, n_frames=frames, save_every=100 * refine)
        error = 0.0
        for n in range(len(q)):
            # The protocol's first kick is a whole step: leapfrog from v0 + dt/2 F(x0), whose
            # velocities are saved half a step before the positions.
            start = v[n] + dt / refine / 2 * ChargedNBody.forces(x[None, n], q[None, n])[0]
            times = 0.1 * np.arange(1, frames + 1)
            exact_x, _ = _exact(x[n], start, q[n], times)
            _, exact_v = _exact(x[n], start, q[n], times - dt / refine / 2)
            error = max(error, np.abs(positions[n] - exact_x).max(), np.abs(velocities[n] - exact_v).max())
        errors.append(error)
    assert errors[0] < 1e-5
    assert 3.0 < errors[0] / errors[1] < 5.0  # second order: halving dt divides the error by 4


def test_energy_is_conserved_to_second_order_after_the_first_kick():
    q, x, v = _calm(30, seed=5)
    drift, offset = [], []
    for dt in (1e-3, 5e-4):
        positions, velocities = ChargedNBody.simulate(x, v, q, dt=dt, n_frames=12, save_every=round(0.1 / dt))
        # synchronise the half-step velocities with the positions: v(t) = v(t - dt/2) + dt/2 F(x(t))
        flat_q = np.repeat(q, 12, axis=0)
        forces = ChargedNBody.forces(positions.reshape(-1, 5, 3), flat_q).reshape(positions.shape)
        synchronised = (velocities + dt / 2 * forces).reshape(-1, 5, 3)
        energies = ChargedNBody.energy(positions.reshape(-1, 5, 3), synchronised, flat_q).reshape(-1, 12)
        scale = np.abs(energies).max()
        drift.append(np.abs(energies - energies[:, :1]).max() / scale)
        offset.append(np.abs(energies[:, 0] - ChargedNBody.energy(x, v, q)).max() / scale)
    assert drift[0] < 1e-5 and 3.0 < drift[0] / drift[1] < 5.0  # bounded O(dt^2) oscillation
    # The protocol's first kick is a whole step, not a half: an O(dt) change of energy.
    assert 1.5 < offset[0] / offset[1] < 2.5
