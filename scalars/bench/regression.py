"""The EMLP regression benchmark: test MSE against training size, beside the published rows.

``python -m scalars bench regression [--quick]`` trains, for each task of
:mod:`scalars.datasets`, each training size and seed:

- ``scalars ridge``: :class:`~scalars.estimators.EquivariantRegressor`. A degree-2
  polynomial in the invariants for Inertia (with ``particles=5``) and ParticleInteraction,
  whose targets are such polynomials. For O5Synthetic, whose target is not, a kernel
  basis: the lengths ``|x_i|`` and cosines of the vectors, mapped by a Nystroem
  approximation of an RBF kernel whose length scales maximise the Gaussian-process
  marginal likelihood on (at most 400 of) the training samples.
- ``scalars MLP``: :class:`~scalars.estimators.EquivariantMLPRegressor` with its default,
  size-scaled settings (3000 steps up to 10,000 samples, more beyond; width, weight decay,
  early stopping or L-BFGS by size; a bilinear readout); same
  invariants and equivariant basis, coefficients from an MLP.
- ``MLP``: :class:`scalars.nn.PlainMLPRegressor`, a plain MLP on the raw coordinates,
  trained by the same loop.
- ``scalars EMLP`` (only with ``--emlp``): ``EquivariantMLPRegressor(backbone="emlp")``,
  our torch EMLP with the EMLP paper's width, batch size, learning rate and epochs, in
  the estimator's training loop (below 10,000 samples its defaults add weight decay and
  give the second half of the budget to L-BFGS; the paper used Adam alone).

Protocol of the EMLP paper: 5000 test samples, sizes 30 to 30000, 3 seeds; the table
reports the median over seeds with the range. The test set is never used for any choice.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from scalars.datasets import Inertia, O5Synthetic, ParticleInteraction
from scalars.estimators import EquivariantMLPRegressor, EquivariantRegressor
from scalars.preprocessing import kernel_basis

__all__ = ["main", "run", "table", "plot", "PUBLISHED", "REFERENCE"]

TASKS = {task.__name__: task for task in (O5Synthetic, Inertia, ParticleInteraction)}
SIZES = (30, 100, 300, 1000, 3000, 10000, 30000)
QUICK_SIZES = (30, 100)
QUICK_MLP_EPOCHS = 100  # of the scalars MLP under --quick (its "auto" default takes minutes per fit)

# ANCHORS.md: EMLP repository, experiments/notebooks/synthetic_results_all.csv (means of 3 trials).
PUBLISHED = {
    ("O5Synthetic", "MLP (EMLP paper)"): (28.1, 2.83, 0.248, 0.0892, 0.0623, 0.0616, 0.0622),
    ("O5Synthetic", "EMLP (EMLP paper)"): (0.152, 0.0408, 0.0344, 0.0170, 0.0310, 0.0130, 0.0273),
    ("Inertia", "MLP (EMLP paper)"): (13.4, 7.91, 4.94, 3.24, 0.840, 0.154, 0.112),
    ("Inertia", "EMLP (EMLP paper)"): (4.11, 1.44, 0.303, 0.136, 0.0282, 0.0180, 0.0141),
    ("ParticleInteraction", "MLP (EMLP paper)"): (0.733, 0.733, 0.697, 0.364, 0.0504, 0.0166, 0.0120),
    ("ParticleInteraction", "EMLP (EMLP paper)"): (0.540, 0.00888, 0.00195, 3.3e-4, 2.7e-4, 2.6e-4, 1.6e-4),
}
# Scalar MLP of Villar et al. (NeurIPS 2021), read from their figures: {size: MSE}.
VILLAR = {
    "O5Synthetic": {1000: 8e-3, 30000: 3.5e-4},
    "Inertia": {1000: 4e-3, 30000: 7e-4},
    "ParticleInteraction": {1000: 1e-2},
}
# task -> {label: {size: MSE}}: every published curve, for plotting beside ours.
REFERENCE = {
    task: {
        **{method: dict(zip(SIZES, values)) for (name, method), values in PUBLISHED.items() if name == task},
        "scalar MLP (Villar et al.)": VILLAR[task],
    }
    for task in TASKS
}
MAX_STEPS = 1000  # gradient steps per MLP fit, so the largest sizes fit in the time budget
BATCH_SIZE = 256


def _epochs(n_samples, max_steps):
    steps_per_epoch = -(-int(0.9 * n_samples) // BATCH_SIZE)
    return int(np.clip(max_steps // steps_per_epoch, 20, 500))


def make_models(train, seed, max_steps=MAX_STEPS, emlp=False, mlp_epochs="auto"):
    """Name -> unfitted model for one training set; with ``emlp``, our torch EMLP too.

    ``mlp_epochs`` is the ``max_epochs`` of the scalars MLP (its default, "auto", in the
    full protocol).

    The EMLP row has the EMLP paper's settings: 3 x 384 channels, learning rate 3e-3,
    batches of 500, ``min(900000 / n_train, 1000)`` epochs (about 900,000 samples seen per
    fit from 900 samples up; 5 to 9 minutes per fit here at 1000 samples). The estimator's other defaults apply: below 10,000 samples weight
    decay 1e-3 and L-BFGS for the second half of the budget, where the paper used Adam alone.
    """
    from scalars.nn import PlainMLPRegressor  # torch, only when models are made

    params = train.estimator_params()
    epochs = _epochs(len(train), max_steps)
    if isinstance(train, O5Synthetic):
        ridge = EquivariantRegressor(**params, basis=kernel_basis(train.X, train.y, train.group, train.layout,
                                                                  random_state=seed))
    else:
        ridge = EquivariantRegressor(**params)
    models = {
        "scalars ridge": ridge,
        "scalars MLP": EquivariantMLPRegressor(**params, max_epochs=mlp_epochs, random_state=seed),
        "MLP": PlainMLPRegressor(max_epochs=epochs, batch_size=BATCH_SIZE, random_state=seed),
    }
    if emlp:
        epochs = min(900_000 // len(train), 1000)
        models["scalars EMLP"] = EquivariantMLPRegressor(
            **params, backbone="emlp", hidden_layer_sizes=(384, 384, 384), batch_size=500,
            learning_rate=3e-3, max_epochs=epochs, patience=epochs, random_state=seed,
        )
    return models


def run(sizes=SIZES, seeds=(0, 1, 2), n_test=5000, tasks=tuple(TASKS), max_steps=MAX_STEPS, progress=True, csv=None,
        emlp=False, mlp_epochs="auto"):
    """Train and test every model; one row per (task, model, size, seed).

    ``max_steps`` bounds the plain MLP's gradient steps and ``mlp_epochs`` is the scalars
    MLP's ``max_epochs``.

    With ``csv`` a path, the rows so far are written there after every training set, so
    that an interrupted run keeps its results.

    Returns
    -------
    pandas.DataFrame with columns task, model, n_train, seed, mse, seconds
    """
    import pandas as pd
    import torch
    from tqdm.auto import tqdm

    torch.set_num_threads(1)
    rows = []
    jobs = [(task, seed, size) for task in tasks for seed in seeds for size in sizes]
    for task, seed, size in tqdm(jobs, disable=not progress, desc="regression benchmark"):
        test = TASKS[task](n_test, seed=[seed, 0])
        train = TASKS[task](size, seed=[seed, size])
        start = time.perf_counter()
        for name, model in make_models(train, seed, max_steps, emlp, mlp_epochs).items():
            model.fit(train.X, train.y)
            mse = float(np.mean((model.predict(test.X) - test.y) ** 2))
            seconds = time.perf_counter() - start
            rows.append(dict(task=task, model=name, n_train=size, seed=seed, mse=mse, seconds=seconds))
            start = time.perf_counter()
        if csv is not None:
            pd.DataFrame(rows).to_csv(csv, index=False)
    return pd.DataFrame(rows)


def _format(value):
    return f"{value:.2g}"


def table(results):
    """Markdown table: median [min, max] over seeds of our models beside the published rows.

    A model not run at some size (results merged from several runs) has an empty cell there.
    """
    sizes = sorted(results.n_train.unique())
    header = "| task | method | " + " | ".join(f"{n:g}" for n in sizes) + " |"
    lines = [header, "|" + "---|" * (len(sizes) + 2)]
    for task in results.task.unique():
        for label, curve in REFERENCE[task].items():
            lines.append(f"| {task} | {label} | " + " | ".join(_format(curve[n]) if n in curve else "" for n in sizes) + " |")
        for model, group in results[results.task == task].groupby("model", sort=False):
            stats = group.groupby("n_train").mse.agg(["median", "min", "max"])
            cells = [
                f"{_format(stats.loc[n, 'median'])} [{_format(stats.loc[n, 'min'])}, {_format(stats.loc[n, 'max'])}]"
                if n in stats.index else ""
                for n in sizes
            ]
            lines.append(f"| {task} | **{model}** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results, path):
    """Write the figure of the results beside the published curves to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scalars.plotting import plot_learning_curves

    fig = plot_learning_curves(results, REFERENCE)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    """``python -m scalars bench regression [--quick] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench regression", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {', '.join(map(str, QUICK_SIZES))}, one seed, short training of both MLPs "
                        f"(the scalars MLP {QUICK_MLP_EPOCHS} epochs)")
    parser.add_argument("--out", default="out", help="directory for the CSV and the plot (default: out)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--sizes", type=int, nargs="+", choices=SIZES, metavar="N", help=f"training sizes of the full protocol to run (default: all of {SIZES})"
    )
    parser.add_argument("--emlp", action="store_true", help="add our torch EMLP (the EMLP paper's settings; 5 to 9 minutes per fit at 1000 samples)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "regression_quick" if args.quick else "regression"
    progress = not args.no_progress
    if args.quick:
        results = run(QUICK_SIZES, seeds=(0,), max_steps=300, progress=progress, csv=out / f"{name}.csv", emlp=args.emlp,
                      mlp_epochs=QUICK_MLP_EPOCHS)
    else:
        results = run(sizes=tuple(args.sizes or SIZES), progress=progress, csv=out / f"{name}.csv", emlp=args.emlp)
    plot(results, out / f"{name}.png")
    print(table(results))
    print(f"\nwrote {out / f'{name}.csv'} and {out / f'{name}.png'} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
