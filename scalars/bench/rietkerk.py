"""The Rietkerk vegetation model against rainfall: uniform cover, gaps, labyrinths, spots, bare soil.

``python -m scalars bench rietkerk [--quick] [--out DIR]`` simulates the model of the
parameter table (:class:`~scalars.dynamics.Rietkerk`, every parameter at its default but
the rainfall ``R``) for a sweep of rainfalls in one batch from the same random start,
prints, for each ``R``, the mean and spread of the vegetation after ``T`` days, the
fraction of vegetated cells, the pattern it makes and the wavelength of the fastest-growing
wave of the linear stability analysis, and writes ``rietkerk_sweep.png``: the pattern
snapshots and the mean vegetation against ``R``.

``--emulator`` learns instead the mean vegetation after ``T`` from the parameters of random
systems (every rate, constant and diffusion drawn within 30% of the table, ``W0`` in
[0.05, 0.2], on a 40 m landscape), with :class:`~scalars.UnitsEquivariantRegressor` and
with the same regressor on the raw parameters, and tests both on held-out systems, on the
same systems written in other units (km, hours, kg, millilitres of water) and on new
systems rescaled in every unit (the same dimensionless groups, simulated afresh).

``--laws`` recovers the three equations from snapshots (:class:`~scalars.dynamics.PDELawFinder`:
invariant terms, units, Michaelis-Menten constants) at noise 0, 1% and 5% of each field's
RMS, beside PySINDy's PDE-FIND run by ``peers/pdefind.py`` in the peers
environment (the python of ``.venv-peers``, or ``$SCALARS_PEERS_PYTHON``; "not run" without it).

``--stepper`` learns a time-stepper of the dimensionless fields
(:class:`~scalars.dynamics.FieldStepper`: one day ahead, ``x + f(x)``, trained on windows
of a few days of the bloom that follows random plants on a 50 m landscape): the equivariant
CNN against a plain CNN of about as many parameters and the same training budget, over
several seeds, rolled out on held-out starts, on a landscape twice as wide (the same cells)
and on a system rescaled in every unit (the same 12 groups), all without retraining.

The pattern is named from the fraction ``f`` of cells with ``v > k2 / 10``: uniform cover
(``f > 0.95`` and a spread under 5% of the mean), gaps (``f > 0.6``), labyrinths
(``f > 0.35``), spots (``f > 0.01``), bare soil.
"""

import argparse
import os
import tempfile
import time

import numpy as np

from scalars.dynamics import Rietkerk

__all__ = ["main", "pattern_name", "emulator", "laws", "law_data", "plot_sweep", "stepper", "stepper_data", "LAWS_DATA"]

# the other units of the emulator's test: (factor from the table's unit, the new unit) per base
OTHER_UNITS = {"water_litre": 1000.0, "gram": 1e-3, "metre": 1e-3, "day": 24.0}  # ml, kg, km, hours
RESCALE = {"water_litre": 3.0, "gram": 5.0, "metre": 2.0, "day": 2.0}  # new systems: every unit stretched


def pattern_name(v, threshold):
    """The pattern of a vegetation field ``v`` (N, N): see the module's docstring."""
    covered = float(np.mean(v > threshold))
    if covered > 0.95:
        return "uniform cover" if np.std(v) < 0.05 * np.mean(v) else "gaps"
    if covered > 0.6:
        return "gaps"
    if covered > 0.35:
        return "labyrinths"
    return "spots" if covered > 0.01 else "bare soil"


def main(argv=None):
    """Run the sweep, print a markdown table and write the figure."""
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(prog="python -m scalars bench rietkerk", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 100 m landscape (50 x 50 cells), 6 rainfalls")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out", help="directory of the figure")
    parser.add_argument("--emulator", action="store_true", help="learn the mean vegetation from the parameters")
    parser.add_argument("--laws", action="store_true", help="recover the equations from snapshots, beside PySINDy")
    parser.add_argument("--law-data", choices=sorted(LAWS_DATA), help="with --laws: the snapshots (default quick or full)")
    parser.add_argument("--weak", action="store_true",
                        help="with --laws: Fourier test functions, the derivatives moved onto them")
    parser.add_argument("--stepper", action="store_true", help="a learned time-stepper: equivariant CNN against plain CNN")
    args = parser.parse_args(argv)
    if args.stepper:
        return stepper(quick=args.quick)
    if args.laws:
        return laws(quick=args.quick, seed=args.seed, size=args.law_data, weak=args.weak)
    if args.emulator:
        return emulator(n_train=60 if args.quick else 400, n_test=30 if args.quick else 200, seed=args.seed)
    rain = np.linspace(0.3, 0.55, 6) if args.quick else np.linspace(0.3, 0.55, 11)
    model = Rietkerk(R=rain, L=100.0 if args.quick else 200.0)
    start = time.perf_counter()
    u, w, v = model.simulate(seed=args.seed)
    seconds = time.perf_counter() - start
    wavelengths = model.fastest_wavelength()
    threshold = float(model.k2) / 10
    print(f"{len(rain)} rainfalls, {model.n_grid} x {model.n_grid} cells of {model.dl:g} m, {model.T:g} days "
          f"(dt {model.dt:g} d): {seconds:.1f} s, load average {os.getloadavg()[0]:.1f}\n")
    print("| R (l/d/m^2) | mean v (g/m^2) | spread of v | vegetated cells | pattern | fastest wave (m) |")
    print("|---|---|---|---|---|---|")
    for R, field, wavelength in zip(rain, v, wavelengths):
        print(f"| {R:.2f} | {field.mean():.3g} | {field.std():.3g} | {np.mean(field > threshold):.0%} | "
              f"{pattern_name(field, threshold)} | {wavelength:.3g} |")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "rietkerk_sweep.png")
    figure = plot_sweep(rain, v, threshold)
    figure.savefig(path, dpi=110)
    print(f"\nfigure: {path}")


def _draw(n, rng):
    """Parameters of ``n`` random systems around the table, as an array (n, 16)."""
    from scalars.dynamics import RIETKERK_PARAMETERS

    columns = []
    for name, (default, _, _) in RIETKERK_PARAMETERS.items():
        if name in ("T", "dt", "L", "dl"):
            value = {"L": 40.0}.get(name, default) * np.ones(n)
        elif name == "W0":
            value = rng.uniform(0.05, 0.2, n)
        else:
            value = default * np.exp(rng.uniform(-0.3, 0.3, n))
        columns.append(value)
    return np.stack(columns, -1)


def _unit_factors(factors):
    """The factor of each parameter's number when the base units change by ``factors``
    (a number in the new units per number in the table's)."""
    from scalars.dynamics import RIETKERK_PARAMETERS, rietkerk_registry

    registry = rietkerk_registry()
    out = []
    for _, unit, _ in RIETKERK_PARAMETERS.values():
        exponents = registry.Quantity(1.0, unit).unit_items()
        factor = 1.0
        for base, power in exponents:
            factor *= factors[{"meter": "metre"}.get(base, base)] ** power
        out.append(factor)
    return np.array(out)


def _mean_vegetation(parameters, seed):
    """Mean vegetation after T of each row of parameters (n, 16) in the table's units."""
    from scalars.dynamics import RIETKERK_PARAMETERS

    values = dict(zip(RIETKERK_PARAMETERS, parameters.T))
    values.update({name: float(values[name][0]) for name in ("T", "dt", "L", "dl")})
    return Rietkerk(**values).simulate(seed=seed)[2].mean(axis=(-2, -1))


def emulator(n_train, n_test, seed=0):
    """Fit and score the units-equivariant emulator against the raw one; print a table."""
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from scalars import UnitsEquivariantRegressor
    from scalars.dynamics import RIETKERK_PARAMETERS, rietkerk_registry

    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    train, test = _draw(n_train, rng), _draw(n_test, rng)
    y_train, y_test = _mean_vegetation(train, seed), _mean_vegetation(test, seed)
    other = _unit_factors(OTHER_UNITS)
    stretch = _unit_factors(RESCALE)
    rescaled = test * stretch
    y_rescaled = _mean_vegetation(rescaled, seed) / RESCALE["gram"] * RESCALE["metre"] ** 2
    simulated = time.perf_counter() - start

    def regressor():
        return make_pipeline(FunctionTransformer(np.log), StandardScaler(), MLPRegressor(
            hidden_layer_sizes=(64, 64), max_iter=3000, tol=1e-6, random_state=seed))

    units = [unit for _, unit, _ in RIETKERK_PARAMETERS.values()]
    equivariant = UnitsEquivariantRegressor(regressor(), units, "gram / metre ** 2", registry=rietkerk_registry())
    models = {"units-equivariant (MLP of the 12 groups)": equivariant.fit(train, y_train),
              "plain (MLP of the 16 parameters)": regressor().fit(train, y_train)}
    target_factor = OTHER_UNITS["gram"] / OTHER_UNITS["metre"] ** 2
    sets = {
        "held-out systems": (test, y_test, 1.0),
        "the same, in km, h, kg, ml": (test * other, y_test * target_factor, target_factor),
        "systems rescaled in every unit": (rescaled, y_rescaled * RESCALE["gram"] / RESCALE["metre"] ** 2, 1.0),
    }
    print(f"{n_train} training and {n_test} test systems on {int(40 / 2)} x {int(40 / 2)} cells, 200 days; "
          f"simulations {simulated:.0f} s, load average {os.getloadavg()[0]:.1f}\n")
    print("| model | " + " | ".join(sets) + " |")
    print("|---|" + "---|" * len(sets))
    spreads = {}
    for name, model in models.items():
        errors = []
        for X, y, factor in sets.values():
            prediction = model.predict(X) / factor
            errors.append(np.sqrt(np.mean((prediction - y / factor) ** 2)) / np.sqrt(np.mean((y / factor) ** 2)))
        print(f"| {name} | " + " | ".join(f"{e:.4g}" for e in errors) + " |")
        spreads[name] = (max(errors) - min(errors)) / min(errors)
    print("\nrelative RMS error of the mean vegetation (g / m^2) after 200 days; largest relative "
          "difference between a model's three errors: " + ", ".join(f"{name.split(' (')[0]} {spread:.1e}" for name, spread in spreads.items()))


# (landscape [m], days before the snapshots, steps, test-function radius [cells], window [steps])
# "more": the quick landscape with 8 times the snapshots (the window a quarter of the record, as in
# "quick" and "full"); "pattern": the full one from day 170, when the pattern forms (the spread of
# the vegetation over its mean goes from 0.36 at day 150 to 0.98 at day 170); "bloom": the quick
# landscape through the bloom, days 1 to 21 (the mean vegetation rises tenfold and the surface
# water's falls sixfold: the terms of each law change in time, not only across the landscape)
LAWS_DATA = {"docs": (40.0, 5.0, 60, 3, 12), "quick": (40.0, 5.0, 100, 4, 25), "full": (100.0, 5.0, 200, 6, 50),
             "more": (40.0, 5.0, 800, 4, 200), "pattern": (100.0, 170.0, 200, 6, 50),
             "bloom": (40.0, 1.0, 4000, 4, 1000)}


def law_data(size, seed=0):
    """Snapshots of the three fields at every step of the explicit scheme from a day after
    random plants: day 5 (the young pattern, when every term of the law is large) or, for
    ``"pattern"``, day 170 (when the pattern forms).

    Parameters
    ----------
    size : {"docs", "quick", "full", "more", "pattern", "bloom"}
        A key of :data:`LAWS_DATA`: (landscape [m], days before the snapshots, steps,
        radius and window of the test functions).
    seed : int, default=0

    Returns
    -------
    model : Rietkerk
    fields : ndarray of shape (3, steps + 1, N, N)
    """
    L, start, steps, _, _ = LAWS_DATA[size]
    model = Rietkerk(L=L)
    first = model.simulate(T=start, seed=seed)
    later = model.simulate(T=steps * model.dt, n=steps, state=first)
    return model, np.stack([np.concatenate([a[None], b]) for a, b in zip(first, later)])


def run_pdefind(fields, dx, dt):
    """PySINDy's PDE-FIND (``peers/pdefind.py``) on the fields in the peers environment:
    its JSON, or why it did not run."""
    from scalars.bench.peers import NOT_RUN, run_peer

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "fields.npz")
        np.savez(path, fields=fields, dx=dx, dt=dt, names=np.array(["u", "w", "v"]))
        try:
            result = run_peer("pdefind.py", path)
        except RuntimeError as error:
            return f"{NOT_RUN}: {str(error).strip().splitlines()[-1]}"
    return f"{NOT_RUN} (no .venv-peers: make peers)" if result is None else result


def _pdefind_scores(result, truth):
    """Terms PDE-FIND keeps per equation and its largest relative error on the terms its
    polynomial library shares with the law: the constant and each diffusion along both axes."""
    features, coef = result["features"], np.array(result["coefficients"])
    rows = []
    for i, name in enumerate("uwv"):
        shared = {"1": truth[i].get("1", 0.0)}
        shared.update({f"{name}_11": truth[i][f"lap({name})"], f"{name}_22": truth[i][f"lap({name})"]})
        errors = [abs(coef[i, features.index(f)] - value) / abs(value) if value else abs(coef[i, features.index(f)])
                  for f, value in shared.items()]
        rows.append((int(np.count_nonzero(coef[i])), max(errors)))
    return rows


def laws(quick=False, seed=0, size=None, weak=False):
    """Recover the law at three noise levels with PDELawFinder and PDE-FIND; print tables.

    ``size`` is a key of :data:`LAWS_DATA`, by default ``"quick"`` or ``"full"``; ``weak``
    fits with ``test_functions="fourier"`` (the modes up to wavenumber 3, the window of
    :data:`LAWS_DATA`) instead of the bumps."""
    from scalars.dynamics import RIETKERK_PARAMETERS, PDELawFinder, rietkerk_registry
    from scalars.dynamics.pde_laws import library_coefficients

    size = size or ("quick" if quick else "full")
    model, clean = law_data(size, seed)
    _, start, steps, radius, window = LAWS_DATA[size]
    truth = model.right_hand_sides()
    true_terms = [{term.name(["u", "w", "v"]): value for term, value in library_coefficients(t, "uwv")[0].items()}
                  for t in truth]
    units = ["water_litre / metre ** 2", "water_litre / metre ** 2", "gram / metre ** 2"]
    parameters = [unit for name, (_, unit, _) in RIETKERK_PARAMETERS.items() if name not in ("T", "dt", "L", "dl")]
    rms = np.sqrt((clean**2).mean(axis=(1, 2, 3)))[:, None, None, None]
    print(f"{model.n_grid} x {model.n_grid} cells of {model.dl:g} m, {steps} steps of {model.dt:g} d from day {start:g}; "
          f"test functions: {'Fourier modes up to wavenumber 3' if weak else f'radius {radius} cells'} and {window} steps; load average {os.getloadavg()[0]:.1f}\n")
    print("| noise | method | equation | terms kept | true terms missed | extra terms | largest coefficient error | fit (s) |")
    print("|---|---|---|---|---|---|---|---|")
    printed = None
    for noise in (0.0, 0.01, 0.05):
        fields = clean + noise * rms * np.random.default_rng(seed + 1).standard_normal(clean.shape)
        finder = PDELawFinder(units=units, parameter_units=parameters, registry=rietkerk_registry(),
                              radius=radius, window=window, test_functions="fourier" if weak else "bumps")
        begin = time.perf_counter()
        finder.fit(list(fields), model.dl, model.dt)
        seconds = time.perf_counter() - begin
        printed = printed or finder.describe()
        for name, report in zip("uwv", finder.compare(truth)):
            print(f"| {noise:.0%} | PDELawFinder | d{name}/dt | {len(report['terms']) - len(report['missing'])} | "
                  f"{', '.join(report['missing']) or '-'} | {', '.join(report['extra']) or '-'} | "
                  f"{report['max_error']:.2g} | {seconds:.1f} |")
        result = run_pdefind(fields, model.dl, model.dt)
        if isinstance(result, str):
            print(f"| {noise:.0%} | PySINDy PDE-FIND | all | {result} | | | | |")
            continue
        for name, (kept, error) in zip("uwv", _pdefind_scores(result, true_terms)):
            print(f"| {noise:.0%} | PySINDy {result['pysindy']} PDE-FIND | d{name}/dt | {kept} | "
                  "the saturating terms (no polynomial has them) | not scored | "
                  f"{error:.2g} (constant, diffusion) | {result['seconds']:.1f} |")
    print("\nthe law found from clean data:\n" + printed)


def stepper_data(seeds, days=20, **parameters):
    """Dimensionless fields of the bloom after random plants, one day apart from day 1.

    Parameters
    ----------
    seeds : sequence of int
        Random starts (:meth:`Rietkerk.initial_state <scalars.dynamics.Rietkerk.initial_state>`).
    days : int, default=20
    **parameters
        Of :class:`~scalars.dynamics.Rietkerk` (default the table's, on a 50 m landscape).

    Returns
    -------
    ndarray of shape (len(seeds), days + 1, 3, N, N)
        ``u, w, v`` in the units of :meth:`Rietkerk.scales <scalars.dynamics.Rietkerk.scales>`.
    """
    model = Rietkerk(**{"L": 50.0, **parameters}).dimensionless()
    day = model.T / 200  # the table's T is 200 days
    out = []
    for seed in seeds:
        first = np.stack(model.simulate(T=day, seed=seed))
        later = np.stack(model.simulate(T=days * day, n=days, state=tuple(first)), 1)
        out.append(np.concatenate([first[None], later]))
    return np.stack(out)


def _field_errors(rollout, truth):
    """Relative error (:func:`scalars.dynamics.relative_error`) of each field of each start,
    averaged over fields and starts: rollout (steps + 1, starts, 3, N, N), truth (starts,
    steps + 1, 3, N, N); one number per step."""
    from scalars.dynamics import relative_error

    pred = np.moveaxis(rollout, 0, 1)
    return relative_error(pred.reshape(pred.shape[:3] + (-1,)), truth.reshape(truth.shape[:3] + (-1,))).mean(axis=(0, 2))


def stepper(quick=False):
    """The learned time-stepper: equivariant against plain CNN, over seeds; print a table."""
    from scalars.dynamics import FieldStepper

    n_train, n_seeds, epochs = (4, 3, 12) if quick else (8, 5, 40)
    begin = time.perf_counter()
    train = stepper_data(range(n_train))
    tests = {
        "held-out starts (50 m)": stepper_data(range(100, 103)),
        "100 m landscape, same cells": stepper_data(range(100, 103), L=100.0),
        "rescaled system (same 12 groups)": stepper_data(range(100, 103), L=100.0, dl=4.0, Du=400.0, Dw=0.4, Dv=0.4,
                                                         R=0.75, k1=10.0, k2=10.0),
    }
    simulated = time.perf_counter() - begin
    architectures = {"equivariant": 14, "plain": 8}  # hidden channels: about 1,500 parameters each
    print(f"{n_train} training starts on 25 x 25 cells (days 1-21, one-day steps, windows of 2), {epochs} epochs, "
          f"{n_seeds} seeds; simulations {simulated:.0f} s, load average {os.getloadavg()[0]:.1f}\n")
    print("| CNN | parameters | " + " | ".join(f"{name}: day 5 | day 20" for name in tests) + " | tiled 2 x 2 start: day 20 | fit (s) |")
    print("|---|---|" + "---|---|" * len(tests) + "---|---|")
    for name, channels in architectures.items():
        errors, seconds = [], []
        for seed in range(n_seeds):
            start = time.perf_counter()
            model = FieldStepper(name, channels=channels, max_epochs=epochs, random_state=seed).fit(train)
            seconds.append(time.perf_counter() - start)
            row = []
            for data in tests.values():
                error = _field_errors(model.rollout(data[:, 0], data.shape[1] - 1), data)
                row += [error[5], error[-1]]
            tiled = np.tile(tests["held-out starts (50 m)"], (1, 1, 1, 2, 2))
            row.append(_field_errors(model.rollout(tiled[:, 0], tiled.shape[1] - 1), tiled)[-1])
            errors.append(row)
        errors = np.array(errors)
        cells = [f"{np.median(e):.4f} [{e.min():.4f}, {e.max():.4f}]" for e in errors.T]
        print(f"| {name} | {model.n_parameters_} | " + " | ".join(cells) + f" | {np.median(seconds):.0f} |")
    print(f"\nrelative error of each dimensionless field, rms(a - b) / (rms(a) + rms(b)), averaged over u, w, v and "
          f"3 starts: median [min, max] over seeds; load average {os.getloadavg()[0]:.1f}, "
          f"{time.perf_counter() - begin:.0f} s in all")


def plot_sweep(rain, v, threshold):
    """The vegetation after ``T`` at each rainfall (one panel each, named by
    :func:`pattern_name`) and the mean vegetation against the rainfall.

    Parameters
    ----------
    rain : ndarray of shape (K,) [water_litre / day / m^2]
    v : ndarray of shape (K, N, N) [g / m^2]
    threshold : float
        Vegetation [g / m^2] above which a cell counts as vegetated.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(rain) + 1, figsize=(2.2 * (len(rain) + 1), 2.9))
    for axis, R, field in zip(axes, rain, v):
        axis.imshow(field, cmap="Greens", vmin=0, vmax=float(v.max()))  # one scale: bare soil is white
        axis.set_title(f"R = {R:.2f}\n{pattern_name(field, threshold)}", fontsize=8)
        axis.set_axis_off()
    axes[-1].plot(rain, v.mean(axis=(-2, -1)), "o-", color="darkgreen")
    axes[-1].set_xlabel("rainfall R (l / d / m$^2$)", fontsize=8)
    axes[-1].set_ylabel("mean vegetation (g / m$^2$)", fontsize=8)
    figure.tight_layout()
    return figure


if __name__ == "__main__":
    main()
