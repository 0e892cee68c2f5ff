"""The Rietkerk vegetation model against rainfall: uniform cover, gaps, labyrinths, spots, bare soil.

``python -m scalars bench rietkerk [--quick] [--out DIR]`` simulates the model of the
parameter table (:class:`~scalars.dynamics.Rietkerk`, every parameter at its default but
the rainfall ``R``) for a sweep of rainfalls in one batch from the same random start,
prints, for each ``R``, the mean and spread of the vegetation after ``T`` days, the
fraction of vegetated cells, the pattern it makes and the wavelength of the fastest-growing
wave of the linear stability analysis, and writes ``rietkerk_sweep.png``: the pattern
snapshots and the mean vegetation against ``R``.

The pattern is named from the fraction ``f`` of cells with ``v > k2 / 10``: uniform cover
(``f > 0.95`` and a spread under 5% of the mean), gaps (``f > 0.6``), labyrinths
(``f > 0.35``), spots (``f > 0.01``), bare soil.
"""

import argparse
import os
import time

import numpy as np

from scalars.dynamics import Rietkerk

__all__ = ["main", "pattern_name"]


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
    args = parser.parse_args(argv)
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
