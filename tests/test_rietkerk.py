"""The Rietkerk vegetation simulator: parameters with units, equilibria, linear stability."""

import csv
from pathlib import Path

import numpy as np
import pytest

from scalars.dynamics import RIETKERK_PARAMETERS, Rietkerk, rietkerk_registry

SMALL = dict(L=24, T=2)  # a 12 x 12 grid, 400 steps


def test_defaults_are_the_parameter_table():
    table = Path(__file__).resolve().parents[1] / "data" / "rietkerk_parameters.csv"
    registry = rietkerk_registry()
    with open(table) as file:
        rows = list(csv.DictReader(file))
    assert [row["parameter"] for row in rows] == list(RIETKERK_PARAMETERS)
    for row in rows:
        default, unit, _ = RIETKERK_PARAMETERS[row["parameter"]]
        expected = registry.Quantity(float(row["value"]), row["unit"].replace("^", "**")).to(unit).magnitude
        assert default == pytest.approx(expected, rel=1e-12), row["parameter"]


def test_a_uniform_equilibrium_stays_put():
    model = Rietkerk(**SMALL)
    for name, state in model.equilibria().items():
        fields = tuple(np.full((12, 12), x) for x in state)
        out = model.simulate(state=fields)
        for before, after in zip(fields, out):
            np.testing.assert_allclose(after, before, rtol=1e-12, atol=1e-12, err_msg=name)


def test_the_vegetated_equilibrium_exists_only_with_enough_rain():
    wet, dry = Rietkerk(R=0.375).equilibria()["vegetated"], Rietkerk(R=0.3).equilibria()["vegetated"]
    assert np.all(np.array(wet) > 0) and np.all(np.isnan(dry))


def test_a_small_wave_grows_at_the_rate_of_the_linear_stability_analysis():
    # one Fourier mode of wavelength L / 2 about the vegetated equilibrium, integrated 20 days
    model = Rietkerk(L=84, T=20)
    u, w, v = model.equilibria()["vegetated"]
    x = np.arange(model.n_grid) * model.dl
    k = 2 * np.pi * 2 / model.L
    wave = np.cos(k * x)[None, :] * np.ones((model.n_grid, 1))
    # the perturbation along the growing eigenvector keeps the other modes out
    rates, vectors = np.linalg.eig(_jacobian(model, k))
    mode = vectors[:, np.argmax(rates.real)].real
    eps = 1e-7 / np.abs(mode).max()
    start = tuple(eq + eps * m * wave for eq, m in zip((u, w, v), mode))
    out = model.simulate(state=start)
    amplitude = (out[2] - v).ravel() @ wave.ravel() / (wave.ravel() @ wave.ravel())
    measured = np.log(amplitude / (eps * mode[2])) / model.T
    # the grid's Laplacian sees sin(k dl / 2)^2 (2 / dl)^2 instead of k^2
    k_grid = 2 * np.sin(k * model.dl / 2) / model.dl
    assert measured == pytest.approx(model.growth_rates([k_grid])[0], rel=2e-3)
    assert model.growth_rates([k_grid])[0] > 0  # a pattern-forming wave


def _jacobian(model, k):
    """The linear operator of the growth rates, read back from growth_rates' definition."""
    k_grid = 2 * np.sin(k * model.dl / 2) / model.dl
    eps = 1e-7
    u, w, v = (float(x) for x in model.equilibria()["vegetated"])
    p = {name: float(np.asarray(getattr(model, name))) for name in RIETKERK_PARAMETERS}

    def field(state):
        U, W, V = state
        infiltration = p["alpha"] * (V + p["k2"] * p["W0"]) / (V + p["k2"]) * U
        uptake = p["gm"] * V * W / (p["k1"] + W)
        return np.array([p["R"] - infiltration, infiltration - uptake - p["delta_w"] * W, p["c"] * uptake - p["delta_v"] * V])

    base = np.array([u, w, v])
    J = np.stack([(field(base + eps * e) - field(base - eps * e)) / (2 * eps) for e in np.eye(3)], 1)
    return J - k_grid**2 * np.diag([p["Du"], p["Dw"], p["Dv"]])


def test_a_batch_of_parameter_sets_runs_as_each_alone():
    rain = np.array([0.3, 0.5])
    batch = Rietkerk(R=rain, **SMALL).simulate(seed=3)
    for b, R in enumerate(rain):
        alone = Rietkerk(R=R, **SMALL).simulate(seed=3, state=tuple(x[b] for x in Rietkerk(R=rain, **SMALL).initial_state(3)))
        for x, y in zip(batch, alone):
            np.testing.assert_array_equal(x[b], y)


def test_the_torch_backend_gives_the_numpy_fields_on_a_batch():
    model = Rietkerk(R=[0.35, 0.45], L=20, T=0.5)
    u, w, v = model.simulate(n=2, seed=1)
    for a, b in zip((u, w, v), model.simulate(n=2, seed=1, backend="torch")):
        assert a.shape == b.shape == (2, 2, 10, 10)
        assert np.abs(a - b).max() <= 1e-10 * np.abs(a).max()
    with pytest.raises(ValueError, match="backend must be one of"):
        model.simulate(backend="jax")


def test_the_same_run_in_other_units_gives_the_same_fields():
    here = Rietkerk(**SMALL).simulate(seed=1)
    registry = rietkerk_registry()
    other = Rietkerk(
        L="0.024 km", T="48 hour", dt=registry.Quantity(0.12, "hour"), dl="200 cm", Du="100 / 24 m^2 / hour",
        R="0.00375 water_litre / day / dm^2", k2="5e-3 kg / m^2",
    ).simulate(seed=1)
    for x, y in zip(here, other):
        np.testing.assert_allclose(y, x, rtol=1e-9)


@pytest.mark.parametrize(
    "parameters, match",
    [
        (dict(Du="100 m / day"), "Du = .* cannot be expressed in metre \\*\\* 2 / day"),
        (dict(alpha=-0.2), "alpha must be positive"),
        (dict(R=-1.0), "R must be non-negative"),
        (dict(W0=1.5), "W0 .* in \\[0, 1\\]"),
        (dict(dt=0.02), "dt = 0.02 day is beyond the stability limit dl\\^2 / \\(4 Du\\)"),
        (dict(dl=3.0), "dl = 3.0 m must divide L = 200.0 m"),
        (dict(L=np.array([100.0, 200.0])), "L fixes the grid"),
        (dict(rain=1.0), "unknown parameters \\['rain'\\]"),
        (dict(c="twenty"), "c = 'twenty' cannot be expressed"),
    ],
)
def test_bad_parameters_are_refused_before_any_simulation(parameters, match):
    with pytest.raises(ValueError, match=match):
        Rietkerk(**parameters)


def test_the_dimensionless_model_times_its_scales_is_the_dimensional_one():
    model = Rietkerk(R=0.5, alpha=0.25, **SMALL)
    fields = model.simulate(seed=2)
    reduced, scales = model.dimensionless(), model.scales()
    assert reduced.n_grid == model.n_grid and reduced.dt * scales["time"] == pytest.approx(model.dt)
    for x, y, scale in zip(fields, reduced.simulate(seed=2), ("water", "water", "vegetation")):
        np.testing.assert_allclose(y * scales[scale], x, rtol=1e-9, atol=1e-12)


def test_systems_with_the_same_groups_have_the_same_dimensionless_model():
    one = Rietkerk(**SMALL)
    # every rate twice as fast, lengths twice as long, water and plants in other amounts
    other = Rietkerk(
        R=2 * 0.375 * 3, alpha=0.4, c=20 * 5, k1=5 * 3, k2=5 * 15, gm=0.1 / 5, delta_w=0.4, delta_v=0.5,
        Du=100 * 2 * 4, Dw=0.1 * 2 * 4, Dv=0.1 * 2 * 4, L=48, dl=4, T=1, dt=0.0025,
    )
    for name in RIETKERK_PARAMETERS:
        assert float(getattr(other.dimensionless(), name)) == pytest.approx(float(getattr(one.dimensionless(), name)), rel=1e-12), name


def test_the_groups_are_those_of_dimensionless_features():
    from scalars import DimensionlessFeatures

    names = list(RIETKERK_PARAMETERS)
    units = [RIETKERK_PARAMETERS[name][1] for name in names]
    model = Rietkerk()
    values = np.array([[float(getattr(model, name)) for name in names]])
    repeating = [names.index(name) for name in ("alpha", "R", "c", "L")]
    features = DimensionlessFeatures(units, rietkerk_registry(), repeating=repeating).fit(values)
    reduced = model.dimensionless()
    mine = sorted(float(getattr(reduced, name)) for name in names if name not in ("R", "alpha", "c", "L"))
    assert np.allclose(sorted(features.transform(values)[0]), mine, rtol=1e-12)


def test_the_sweep_names_the_patterns():
    from scalars.bench.rietkerk import pattern_name

    grid = np.indices((20, 20)).sum(0)
    assert pattern_name(np.full((20, 20), 3.0), 0.5) == "uniform cover"
    assert pattern_name(np.where(grid % 10 == 0, 0.0, 3.0), 0.5) == "gaps"
    assert pattern_name(np.where(grid % 2 == 0, 0.0, 3.0), 0.5) == "labyrinths"
    assert pattern_name(np.where(grid == 10, 3.0, 0.0), 0.5) == "spots"
    assert pattern_name(np.zeros((20, 20)), 0.5) == "bare soil"
