"""PDELawFinder: exact recovery of a reaction-diffusion law, invariance, units, bad input."""

import numpy as np
import pytest

from scalars.dynamics import PDELawFinder
from scalars.dynamics.pde_laws import field_symbols

UNITS = ["mole / metre ** 2", "mole / metre ** 2"]
PARAMETERS = ["mole / metre ** 2 / second", "1 / second", "metre ** 2 / second", "mole / metre ** 2"]
TRUE = dict(S=0.5, r=0.3, q=0.8, K=1.5, r2=0.4, Da=0.6, Db=0.05)


def _laplacian(x):
    return sum(np.roll(x, s, axis) for s in (1, -1) for axis in (-1, -2)) - 4 * x


def _reaction_diffusion(n=16, steps=24, dt=0.05, seed=0):
    """Forward Euler of da/dt = S - r a - q a b/(K + b) + Da lap a,
    db/dt = q a b/(K + b) - r2 b + Db lap b on an n x n periodic grid of unit cells."""
    p = TRUE
    rng = np.random.default_rng(seed)
    a, b = 1 + 0.5 * rng.random((n, n)), 1 + 0.5 * rng.random((n, n))
    out = []
    for _ in range(steps + 1):
        out.append((a, b))
        uptake = p["q"] * a * b / (p["K"] + b)
        a, b = (a + dt * (p["S"] - p["r"] * a - uptake + p["Da"] * _laplacian(a)),
                b + dt * (uptake - p["r2"] * b + p["Db"] * _laplacian(b)))
    return [np.stack([x[0] for x in out]), np.stack([x[1] for x in out])], dt


def _truth():
    s = field_symbols(["a", "b"])
    a, b, p = s["a"], s["b"], TRUE
    uptake = p["q"] * a * b / (p["K"] + b)
    return [p["S"] - p["r"] * a - uptake + p["Da"] * s["lap(a)"], uptake - p["r2"] * b + p["Db"] * s["lap(b)"]]


def _finder(**kwargs):
    options = dict(names=["a", "b"], units=UNITS, length_unit="metre", time_unit="second",
                   parameter_units=PARAMETERS, radius=3, window=4)
    return PDELawFinder(**{**options, **kwargs})


@pytest.fixture(scope="module")
def fitted():
    fields, dt = _reaction_diffusion()
    return _finder().fit(fields, spacing=1.0, dt=dt)


def test_recovers_the_exact_terms_coefficients_and_saturation_constant(fitted):
    for report in fitted.compare(_truth()):
        assert report["missing"] == [] and report["extra"] == [], report
        assert report["max_error"] < 1e-6, report
    assert fitted.saturation_[0, 1] == pytest.approx(TRUE["K"], rel=1e-6)  # K, in the units of b
    assert np.isnan(fitted.saturation_[0, 0])
    assert "lap(a)" in str(fitted.equations()[0])


def test_coefficient_units_follow_their_terms(fitted):
    names = [term.name(["a", "b"]) for term in fitted.library_]
    units = dict(zip(names, fitted.coefficient_units_[0]))
    assert units["lap(a)"] == "meter ** 2 / second"
    assert units["1"] == "mole / meter ** 2 / second"
    assert units["a*b/(k_b+b)"] == "1 / second"
    assert "[meter ** 2 / second] * lap(a)" in fitted.describe()


def test_units_rule_offers_only_terms_made_of_known_parameters(fitted):
    names = [term.name(["a", "b"]) for term in fitted.library_]
    offered = {name for name, keep in zip(names, fitted.candidates_[0]) if keep}
    # a*a needs a coefficient in m^2 / (mol s): no known parameter has those units
    assert {"a*a", "a*b", "|grad a|^2", "grad a.grad b"}.isdisjoint(offered)
    assert {"1", "a", "b", "lap(a)", "lap(b)", "a*b/(k_b+b)", "b/(k_b+b)"} <= offered
    # without the parameters' units every term is offered, still with its units
    fields, dt = _reaction_diffusion(steps=10)
    free = _finder(parameter_units=None, window=2)
    free.fit(fields, 1.0, dt)
    assert free.candidates_.all()


def test_library_is_invariant_under_the_grids_rotations_reflections_and_translations(fitted):
    fields, _ = _reaction_diffusion(steps=2)
    snapshot = [f[-1] for f in fields]
    values = fitted.evaluate(snapshot, 1.0)
    for move in (np.rot90, np.flipud, np.transpose, lambda x: np.roll(x, (3, 5), (0, 1))):
        moved = fitted.evaluate([move(f) for f in snapshot], 1.0)
        np.testing.assert_allclose(moved, np.stack([move(v) for v in values]), rtol=1e-12, atol=1e-12)


def test_an_advected_field_gives_the_same_law_in_every_direction():
    """f_t = -c f_x + D lap f: no x-derivative can enter, so the law found from the field
    advected along x is the one found from it advected along y, and it explains less."""
    n, dt, c, D = 16, 0.05, 0.8, 0.3
    rng = np.random.default_rng(1)
    f = 1 + 0.3 * rng.random((n, n))
    snapshots = []
    for _ in range(21):
        snapshots.append(f)
        f = f + dt * (-c * (np.roll(f, -1, 1) - np.roll(f, 1, 1)) / 2 + D * _laplacian(f))
    along_x = np.stack(snapshots)
    options = dict(names=["f"], radius=3, window=3, saturating=False)
    law_x = PDELawFinder(**options).fit([along_x], 1.0, dt)
    law_y = PDELawFinder(**options).fit([np.swapaxes(along_x, 1, 2)], 1.0, dt)
    np.testing.assert_allclose(law_x.coef_, law_y.coef_, rtol=1e-9, atol=1e-12)
    assert law_x.r2_[0] < 0.999
    diffusion_only = PDELawFinder(**options).fit([np.stack(list(_diffusion(n, dt, D)))], 1.0, dt)
    assert diffusion_only.r2_[0] > 1 - 1e-12


def _diffusion(n, dt, D):
    f = 1 + 0.3 * np.random.default_rng(1).random((n, n))
    for _ in range(21):
        yield f
        f = f + dt * D * _laplacian(f)


@pytest.mark.parametrize("fields, spacing, dt, match", [
    ("shapes", 1.0, 0.05, "different shapes"),
    ("nan", 1.0, 0.05, "field 'a' has NaN"),
    ("ramp", 1.0, 0.05, "field 'b' is not periodic"),
    ("good", (1.0, 2.0), 0.05, "differs between the axes"),
    ("good", 1.0, -0.1, "dt must be a positive number"),
])
def test_bad_input_is_refused_naming_the_problem(fields, spacing, dt, match):
    good, _ = _reaction_diffusion(steps=10)
    data = {
        "good": good,
        "shapes": [good[0], good[1][:, :8]],
        "nan": [np.where(good[0] > 1.2, np.nan, good[0]), good[1]],
        "ramp": [good[0], good[1] + np.arange(16)[None, None, :]],
    }[fields]
    with pytest.raises(ValueError, match=match):
        _finder(window=2).fit(data, spacing, dt)


def test_rietkerk_right_hand_sides_in_the_finders_terms():
    from scalars.dynamics import Rietkerk
    from scalars.dynamics.pde_laws import library_coefficients

    model = Rietkerk()
    names = ["u", "w", "v"]
    du, dw, dv = (library_coefficients(rhs, names) for rhs in model.right_hand_sides())
    named = [{term.name(names): value for term, value in terms.items()} for terms, _ in (du, dw, dv)]
    alpha, W0 = 0.2, 0.1
    assert named[0] == pytest.approx({"1": 0.375, "u": -alpha * W0, "u*v/(k_v+v)": -alpha * (1 - W0), "lap(u)": 100.0})
    assert named[2] == pytest.approx({"v": -0.25, "v*w/(k_w+w)": 20 * 0.05, "lap(v)": 0.1})
    assert set(named[1]) == {"u", "u*v/(k_v+v)", "w", "v*w/(k_w+w)", "lap(w)"}
    assert du[1] == {2: 5.0} and dw[1] == {1: 5.0, 2: 5.0}  # k2 (of v) and k1 (of w)


def test_fourier_weak_integrals_equal_the_strong_form():
    """Moving the derivatives onto the Fourier test functions changes no integral: the
    Laplacian's symbol and the bump's backward difference give the integrals of the
    five-point Laplacian and of the forward difference of the data, for any data."""
    from scalars.dynamics.pde_laws import _FourierTestFunctions

    x = np.random.default_rng(0).random((31, 12, 12))
    weights = _FourierTestFunctions(12, 30, 3, 6)
    strong_laplacian = weights.integrate(_laplacian(x[:-1]) / 0.7**2)
    np.testing.assert_allclose(weights.laplacian(x[:-1], 0.7), strong_laplacian, atol=1e-13)
    np.testing.assert_allclose(weights.rate(x, 0.1), weights.integrate((x[1:] - x[:-1]) / 0.1), atol=1e-13)
    # 18 windows (centres 1 step apart from step 6 to 23); 15 modes of the half-disc, 14 with a sine part
    assert weights.n_rows == len(strong_laplacian) == 18 * (15 + 14)


def test_fourier_test_functions_keep_the_clean_law_exact():
    fields, dt = _reaction_diffusion(steps=12)
    finder = _finder(test_functions="fourier", max_wavenumber=2, window=3).fit(fields, spacing=1.0, dt=dt)
    for report in finder.compare(_truth()):
        assert report["missing"] == [] and report["extra"] == [], report
        assert report["max_error"] < 1e-6, report


def _logistic_diffusion(n=24, steps=120, dt=0.05, D=0.8, r=0.5, s=0.4):
    """Forward Euler of df/dt = D lap f + r f - s f^2 from long random waves (|k| <= 3)."""
    rng = np.random.default_rng(0)
    k = np.fft.fftfreq(n, 1 / n)
    kx, ky = np.meshgrid(k, k)
    waves = np.real(np.fft.ifft2((rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) * (kx**2 + ky**2 <= 9)))
    f, out = 0.6 + 0.25 * waves / waves.std(), []
    for _ in range(steps + 1):
        out.append(f)
        f = f + dt * (D * _laplacian(f) + r * f - s * f * f)
    return np.stack(out), dt


@pytest.mark.parametrize("noise, tolerance", [(0.0, 1e-8), (0.01, 0.01), (0.05, 0.05)])
def test_weak_form_recovers_a_noisy_reaction_diffusion_law(noise, tolerance):
    f, dt = _logistic_diffusion()
    noisy = f + noise * np.sqrt((f**2).mean()) * np.random.default_rng(1).standard_normal(f.shape)
    finder = PDELawFinder(names=["f"], saturating=False, test_functions="fourier", max_wavenumber=3, window=20)
    s = field_symbols(["f"])
    report = finder.fit([noisy], 1.0, dt).compare([0.8 * s["lap(f)"] + 0.5 * s["f"] - 0.4 * s["f"] ** 2])[0]
    assert report["missing"] == [] and report["extra"] == [], report
    assert report["max_error"] < tolerance, report


def test_max_wavenumber_must_fit_the_grid():
    fields, dt = _reaction_diffusion(steps=10)
    with pytest.raises(ValueError, match="max_wavenumber=8 must be below half"):
        _finder(window=2, test_functions="fourier", max_wavenumber=8).fit(fields, 1.0, dt)
