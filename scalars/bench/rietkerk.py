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

The pattern is named from the fraction ``f`` of cells with ``v > k2 / 10``: uniform cover
(``f > 0.95`` and a spread under 5% of the mean), gaps (``f > 0.6``), labyrinths
(``f > 0.35``), spots (``f > 0.01``), bare soil.
"""

import argparse
import os
import time

import numpy as np

from scalars.dynamics import Rietkerk

__all__ = ["main", "pattern_name", "emulator"]

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
    parser = argparse.ArgumentParser(prog="python -m scalars bench rietkerk", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 100 m landscape (50 x 50 cells), 6 rainfalls")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out", help="directory of the figure")
    parser.add_argument("--emulator", action="store_true", help="learn the mean vegetation from the parameters")
    args = parser.parse_args(argv)
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
    path = _plot(rain, v, threshold, args.out)
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


def _plot(rain, v, threshold, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out, exist_ok=True)
    figure, axes = plt.subplots(1, len(rain) + 1, figsize=(2.2 * (len(rain) + 1), 2.9))
    for axis, R, field in zip(axes, rain, v):
        axis.imshow(field, cmap="Greens", vmin=0, vmax=float(v.max()))  # one scale: bare soil is white
        axis.set_title(f"R = {R:.2f}\n{pattern_name(field, threshold)}", fontsize=8)
        axis.set_axis_off()
    axes[-1].plot(rain, v.mean(axis=(-2, -1)), "o-", color="darkgreen")
    axes[-1].set_xlabel("rainfall R (l / d / m$^2$)", fontsize=8)
    axes[-1].set_ylabel("mean vegetation (g / m$^2$)", fontsize=8)
    figure.tight_layout()
    path = os.path.join(out, "rietkerk_sweep.png")
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


if __name__ == "__main__":
    main()
