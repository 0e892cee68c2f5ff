"""The periodic vorticity solver: a closed-form flow, exact symmetry, bad inputs; the benchmark's command."""

import numpy as np
import pytest

from scalars.fields import act
from scalars.fields.navier_stokes import PeriodicVorticity, random_vorticity, vorticity_trajectories
from scalars.groups import get_group


def test_taylor_green_vortices_decay_at_their_viscous_rate_and_have_their_velocity():
    n, nu = 16, 0.05
    x = 2 * np.pi * np.arange(n) / n
    w = 2 * np.sin(2 * x)[:, None] * np.sin(2 * x)[None, :] + np.cos(x)[:, None]  # steady: u . grad w = 0 for each
    flow = PeriodicVorticity(n, viscosity=nu, dt=0.1)
    shear = np.cos(x)[:, None] * np.ones(n)
    cell = 2 * np.sin(2 * x)[:, None] * np.sin(2 * x)[None, :]
    assert np.allclose(flow.advance(cell, 2.0), cell * np.exp(-8 * nu * 2.0), atol=1e-10)
    assert np.allclose(flow.advance(shear, 2.0), shear * np.exp(-nu * 2.0), atol=1e-10)
    u = flow.velocity(shear)  # w = d0 u1 - d1 u0 with u = (0, sin x0)
    assert np.allclose(u[..., 0], 0, atol=1e-12) and np.allclose(u[..., 1], np.sin(x)[:, None] * np.ones(n))
    assert flow.advance(w, 0.0) is not w and np.allclose(flow.advance(w, 0.0), w)


def test_the_solver_commutes_with_b2_and_translations_with_vorticity_a_pseudo_scalar():
    flow = PeriodicVorticity(16, viscosity=5e-3)
    w = random_vorticity(2, 16, peak=2.5, seed=0)
    out = flow.advance(w, 0.5)
    assert np.abs(out - w).max() > 0.05  # it moved
    rng = np.random.default_rng(0)
    for g in get_group("B(2)").elements():
        shift = rng.integers(16, size=2)
        assert np.abs(flow.advance(act(g, w, 0, 1, shift), 0.5) - act(g, out, 0, 1, shift)).max() < 1e-12
    assert not np.allclose(flow.advance(act([[-1, 0], [0, 1]], w, 0, 0), 0.5), act([[-1, 0], [0, 1]], out, 0, 0))


def test_dealias_projects_on_the_resolved_modes_keeps_the_solver_frames_and_commutes_with_the_grid_group():
    flow = PeriodicVorticity(16, viscosity=5e-3)
    frames = flow.advance(random_vorticity(2, 16, peak=2.5, seed=0), 0.5)
    assert np.allclose(flow.dealias(frames), frames, atol=1e-12)  # what the solver makes it keeps
    i = np.arange(16)
    checkerboard = (-1.0) ** (i[:, None] + i[None, :])  # the mode k = (8, 8): not resolved
    assert np.abs(flow.dealias(checkerboard)).max() < 1e-12
    w = np.random.default_rng(0).standard_normal((2, 16, 16))
    projected = flow.dealias(w)
    assert np.allclose(flow.dealias(projected), projected) and not np.allclose(projected, w)
    rng = np.random.default_rng(1)
    for g in get_group("B(2)").elements():
        shift = rng.integers(16, size=2)
        assert np.abs(flow.dealias(act(g, w, 0, 1, shift)) - act(g, projected, 0, 1, shift)).max() < 1e-12
    with pytest.raises(ValueError, match="NaN"):
        flow.dealias(np.full((16, 16), np.nan))


def test_random_vorticity_and_trajectories_have_their_shapes_and_scale():
    w = random_vorticity(3, 16, seed=1)
    assert w.shape == (3, 16, 16)
    assert np.allclose(w.mean((1, 2)), 0) and np.allclose(np.sqrt((w**2).mean((1, 2))), 1)
    frames = vorticity_trajectories(2, 3, n=16, seed=1)
    assert frames.shape == (2, 4, 16, 16)
    assert np.all(np.sqrt((frames**2).mean((2, 3)))[:, 1:] < np.sqrt((frames**2).mean((2, 3)))[:, :-1])  # enstrophy decays


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="n must be an even"):
        PeriodicVorticity(15)
    with pytest.raises(ValueError, match="viscosity must be"):
        PeriodicVorticity(16, viscosity=-1.0)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 16, 16\)"):
        PeriodicVorticity(16).advance(np.zeros((8, 8)), 1.0)
    with pytest.raises(ValueError, match="time must be"):
        PeriodicVorticity(16).advance(np.zeros((16, 16)), -1.0)
    with pytest.raises(ValueError, match="n_samples"):
        random_vorticity(0)


def test_navier_stokes_benchmark_tables_median_and_spread_and_names_bad_models(capsys):
    from scalars.__main__ import main
    from scalars.bench.navier_stokes import table

    rows = [("persistence", 0, 0, 0.27, 1.7, 0.0, 0.0), ("geometric ResNet", 0, 4410, 0.2, 0.5, 1e-15, 10.0),
            ("geometric ResNet", 1, 4410, 0.1, 0.7, 2e-15, 12.0), ("geometric ResNet", 2, 4410, 0.3, 0.6, 1e-15, 11.0)]
    lines = table(rows).splitlines()
    assert lines[2].startswith("| persistence | 0 | 0.27 [0.27, 0.27] | 1.7 [1.7, 1.7] | - | - |")
    assert lines[3] == "| geometric ResNet | 4410 | 0.2 [0.1, 0.3] | 0.6 [0.5, 0.7] | 2.0e-15 | 11 |"
    with pytest.raises(SystemExit):
        main(["bench", "navier_stokes", "--models", "transformer"])
    assert "unknown ['transformer']" in capsys.readouterr().err
