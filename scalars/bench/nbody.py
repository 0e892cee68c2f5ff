"""The charged n-body benchmark (EGNN "nbody_small"): scalars against averaging, beside the papers.

``python -m scalars bench nbody [--quick] [--epochs N] [--time-limit S] [--seeds N] [--models a,b]
[--force-law-iterations N]`` generates 7000
trajectories with :class:`~scalars.datasets.ChargedNBody` (the first 3000 train, the
next 2000 validate, the last 2000 test) and fits, on the charges, positions and
velocities at frame 30, the positions at frame 40:

- ``scalars ridge``: :class:`~scalars.estimators.EquivariantRegressor`, E(3) x S(5), a
  vector per particle (the displacement ``y - x``) from degree-2 polynomials in the
  invariants of each particle and each ordered pair (charges, Gram entries of centred
  positions and velocities);
- ``scalars MLP``: :class:`~scalars.estimators.EquivariantMLPRegressor`, the same
  expansion with MLP coefficients;
- ``FA-MLP``: :class:`scalars.nn.FrameAveraging` over ``S(5) x E(3)`` (PCA frames, 8
  elements, and particles sorted by their invariants) around a plain MLP;
- ``scalars GNN``: :class:`scalars.nn.ParticleMessagePassing`, EGNN's E(3) x
  S(5)-equivariant message passing built from scalars (4 layers, width 64; node
  features ``q_i, |v_i|``, edge features ``q_i q_j, |x_i - x_j|^2``), trained in float32;
- ``FA-GNN``: frame averaging over E(3) around the same message-passing network reading
  the raw coordinates too (``equivariant=False``: permutation-equivariant only), as in
  Puny et al. (ICLR 2022);
- ``GA-MLP``: :class:`scalars.nn.GroupAveraging` over E(3) around the same MLP: one Haar
  rotation per training batch, 16 averaged at test time (translations fixed by the
  centroid);
- ``scalars force law``: :class:`scalars.dynamics.PairForceLaw`, a central pair force
  ``f(r_ij, e_i e_j) (x_i - x_j)`` from a library of five softened inverse-square laws,
  integrated with the generator's step over the time unit; its five coefficients are fitted by
  Levenberg-Marquardt through the integrator (trained on the first 3000 trajectories,
  the iterate of lowest error on the next 2000 kept);
- ``scalars force network``: :class:`scalars.dynamics.LearnedPairForce`, a learned pair
  force (an MLP of the pair's invariants weighting softened inverse-square shapes of
  ``x_i - x_j``, plus a term along ``v_i - v_j``) integrated by 10 kick-drift steps inside
  the network, trained in float32 with Adam at a constant 2e-4 (at 1e-3 it falls back
  towards ``x + t v``); ``scalars force network x3`` the mean of three of them
  (initialisation seeds ``seed``, ``seed + 1000``, ``seed + 2000``; the training time is
  their sum);
- ``scalars hybrid``: :class:`scalars.dynamics.HybridPairForce`, the fitted force law
  (the same fit as the ``scalars force law`` row, shared when both run: its fit time
  counts in both rows) plus a residual ``scalars force network`` started at no force,
  trained like it on what the law leaves;
- ``MLP``: the plain MLP on raw coordinates (:class:`scalars.nn.Residual`: ``x +
  MLP(...)``); ``linear (x + t v)``: EGNN's linear baseline, a least-squares time
  ``t``; ``linear regression``: ordinary least squares on the raw 35 columns.

Every torch model predicts ``x + net(...)``, trains with :func:`scalars.nn.fit` for the same
number of epochs (batch 100, Adam, cosine decay, early stopping on the validation MSE), or
with ``--time-limit`` for the same seconds (the cosine over the time, no early stop),
and is tested with the weights of its best validation epoch. ``scalars.nn.fit`` draws its
validation split at random, so the 2000 validation trajectories are a random 40% of the
first 5000 rather than exactly trajectories 3000-4999 (the same distribution). The test
MSE is the mean over the 2000 x 15 coordinates.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import scalars.nn
from scalars.datasets import ChargedNBody
from scalars.dynamics import HybridPairForce, LearnedPairForce, PairForceLaw
from scalars.estimators import EquivariantMLPRegressor, EquivariantRegressor
from scalars.nn import FrameAveraging, GroupAveraging, ParticleMessagePassing, fit, mlp

__all__ = ["main", "run", "table", "PUBLISHED"]

# ANCHORS.md: test MSE on nbody_small (seed 000's table, from the frame-averaging paper).
PUBLISHED = {
    "Linear": 0.0819, "SE(3) Transformer": 0.0244, "TFN": 0.0155, "GNN": 0.0107,
    "Radial Field": 0.0104, "EGNN": 0.0071, "FA-GNN": 0.0057,
}
N_TRAIN, N_VALIDATION, N_TEST = 3000, 2000, 2000
FORCE_LAW_ITERATIONS = 15  # of Levenberg-Marquardt, each a Jacobian through 1000 steps per training row
# --quick: (training, validation, test) trajectories and force-law iterations
QUICK_SIZES, QUICK_FORCE_LAW_ITERATIONS = (500, 300, 300), 3
BATCH_SIZE = 100
FORCE_NETWORK_STEPS = 10  # kick-drift steps of the learned force over the time unit
POSITIONS, VELOCITIES = slice(5, 20), slice(20, 35)


def _sizes(sizes):
    """(training, validation, test) trajectories: ``sizes``, or the protocol's by default."""
    return (N_TRAIN, N_VALIDATION, N_TEST) if sizes is None else tuple(sizes)


def _split(data, sizes):
    """Training plus validation rows (validation the last ones, for the random split) and test rows."""
    n_fit = sizes[0] + sizes[1]
    return (data.X[:n_fit], data.y[:n_fit]), (data.X[n_fit:], data.y[n_fit:])


def _train_torch(module, X, y, epochs, seed, progress, time_limit, dtype, validation_fraction, learning_rate=1e-3,
                 decay_to=0.01):
    """Train with :func:`scalars.nn.fit`: ``epochs``, or ``time_limit`` seconds (no early stop)."""
    history = fit(
        module, torch.as_tensor(X, dtype=dtype), torch.as_tensor(y, dtype=dtype), max_epochs=epochs,
        batch_size=BATCH_SIZE, learning_rate=learning_rate, validation_fraction=validation_fraction,
        patience=max(10, epochs // 5) if time_limit is None else 10**9, seed=seed, progress=progress,
        time_limit=time_limit, decay_to=decay_to,
    )
    return history


def _predict_torch(module, X, dtype=torch.float64):
    with torch.no_grad():
        return module(torch.as_tensor(X, dtype=dtype)).double().numpy()


def _models(epochs, seed, time_limit=None, sizes=None, force_law_iterations=FORCE_LAW_ITERATIONS):
    """Name -> function (X, y, progress) -> (predict, epochs run, best epoch).

    ``time_limit`` (seconds) replaces the epoch budget of the torch models; ``sizes``
    are the (training, validation, test) trajectories (default the protocol's).
    """
    layout = ChargedNBody.layout
    n_train, n_validation, _ = _sizes(sizes)
    validation_fraction = n_validation / (n_train + n_validation)

    def torch_model(build, group=None, averaging=None, dtype=torch.float64, members=1, **training):
        """Train ``members`` copies (initialisation seeds ``seed + 1000 m``); predict their mean."""
        def train_member(X, y, progress, member_seed):
            torch.manual_seed(member_seed)
            backbone = build().to(dtype)
            if averaging == "frame":
                module = FrameAveraging(backbone, group, layout, output="5P")
            elif averaging == "group":
                module = GroupAveraging(backbone, group, layout, output="5P", n_samples=1, seed=member_seed)
            else:
                module = backbone
            history = _train_torch(module, X, y, epochs, member_seed, progress, time_limit, dtype,
                                   validation_fraction, **training)
            if averaging == "group":
                module.n_samples = 16
            return module, history

        def train(X, y, progress):
            fitted = [train_member(X, y, progress, seed + 1000 * m) for m in range(members)]
            predict = lambda X: np.mean([_predict_torch(module, X, dtype) for module, _ in fitted], axis=0)
            return predict, sum(len(h.train_loss) for _, h in fitted), fitted[0][1].best_epoch

        return train

    def plain_mlp():
        return _positions_residual(mlp(35, 15, (256, 256)))

    def scalar(estimator):
        def train(X, y, progress):
            estimator.set_params(**({"verbose": progress} if hasattr(estimator, "verbose") else {}))
            estimator.fit(X, y - X[:, POSITIONS])  # the displacement: a free vector per particle
            history = getattr(estimator, "history_", None)
            runs = (len(history.train_loss), history.best_epoch) if history else (0, 0)
            return (lambda X: X[:, POSITIONS] + estimator.predict(X)), *runs

        return train

    def linear_time(X, y, progress):
        x, v = X[:n_train, POSITIONS], X[:n_train, VELOCITIES]
        t = float(np.sum(v * (y[:n_train] - x)) / np.sum(v * v))
        return (lambda X: X[:, POSITIONS] + t * X[:, VELOCITIES]), 0, 0

    def least_squares(X, y, progress):
        design = lambda X: np.column_stack([X, np.ones(len(X))])
        coefficients = np.linalg.lstsq(design(X[:n_train]), y[:n_train], rcond=None)[0]
        return (lambda X: design(X) @ coefficients), 0, 0

    fitted = {}  # the force law of this seed, shared by its row and the hybrid's

    def fitted_law(X, y, progress):
        """The law, its fit's (seconds, iterations, best iteration), and whether it was fitted now."""
        if "law" in fitted:
            return fitted["law"], fitted["fit"], False
        start, law = time.perf_counter(), PairForceLaw()
        X, y = torch.as_tensor(X), torch.as_tensor(y)
        history = law.fit(X[:n_train], y[:n_train], X[n_train:], y[n_train:], iterations=force_law_iterations,
                          progress=progress)
        print(f"  f(r, e_i e_j) = {law.to_sympy()}", flush=True)
        fitted["law"], fitted["fit"] = law, (time.perf_counter() - start, len(history), int(np.argmin(history)) + 1)
        return law, fitted["fit"], True

    def force_law(X, y, progress):
        law, (seconds, ran, best), now = fitted_law(X, y, progress)
        return (lambda X: _predict_torch(law, X)), ran, best, 0.0 if now else seconds

    force_network = lambda: LearnedPairForce(steps=FORCE_NETWORK_STEPS)
    force_network_training = dict(learning_rate=2e-4, decay_to=1.0)  # a constant rate: at 1e-3 it falls back towards x + t v

    def hybrid(X, y, progress):
        """The fitted law plus a residual force network trained on what the law leaves (float32)."""
        law, (seconds, _, _), now = fitted_law(X, y, progress)
        torch.manual_seed(seed)
        model = HybridPairForce(law, force_network())
        model.residual.float()
        targets = model.residual_targets(torch.as_tensor(X), torch.as_tensor(y))  # the law in float64
        history = _train_torch(model.residual, X, targets, epochs, seed, progress, time_limit, torch.float32,
                               validation_fraction, **force_network_training)
        return (lambda X: _predict_torch(model, X)), len(history.train_loss), history.best_epoch, 0.0 if now else seconds
    params = dict(group="E(3)", layout=layout, output="5T1", particles=5)
    return {
        "scalars ridge": scalar(EquivariantRegressor(**params, degree=2, alpha=1e-6)),
        "scalars MLP": scalar(EquivariantMLPRegressor(
            **params, hidden_layer_sizes=(128, 128), max_epochs=epochs, batch_size=BATCH_SIZE, learning_rate=1e-3,
            weight_decay=0.0, bilinear=0,  # the settings of the README's table
            validation_fraction=validation_fraction, patience=max(10, epochs // 5), random_state=seed,
        )),
        "FA-MLP": torch_model(plain_mlp, "S(5)xE(3)", "frame"),
        "scalars GNN": torch_model(ParticleMessagePassing, dtype=torch.float32),  # twice as fast as float64
        "FA-GNN": torch_model(lambda: ParticleMessagePassing(equivariant=False), "E(3)", "frame"),
        "GA-MLP": torch_model(plain_mlp, "E(3)", "group"),
        "MLP": torch_model(plain_mlp),
        "scalars force law": force_law,
        "scalars force network": torch_model(force_network, dtype=torch.float32, **force_network_training),
        "scalars force network x3": torch_model(force_network, dtype=torch.float32, members=3, **force_network_training),
        "scalars hybrid": hybrid,
        "linear (x + t v)": linear_time,
        "linear regression": least_squares,
    }


def run(epochs, seeds=(0,), models=None, progress=True, csv=None, time_limit=None, sizes=None,
        force_law_iterations=FORCE_LAW_ITERATIONS):
    """Fit and test every model for each seed; one row per (model, seed).

    ``sizes`` are the (training, validation, test) trajectories, by default the protocol's
    (3000, 2000, 2000); ``force_law_iterations`` those of the force law's fit.

    Returns
    -------
    pandas.DataFrame with columns model, seed, mse, train_seconds, epochs, best_epoch
    """
    import pandas as pd

    torch.set_num_threads(1)
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        data = ChargedNBody(sum(_sizes(sizes)), seed=seed)
        print(f"seed {seed}: {len(data)} trajectories in {time.perf_counter() - start:.1f} s", flush=True)
        (X, y), (X_test, y_test) = _split(data, _sizes(sizes))
        for name, train in _models(epochs, seed, time_limit, sizes, force_law_iterations).items():
            if models is not None and name not in models:
                continue
            print(f"seed {seed}: {name}", flush=True)
            start = time.perf_counter()
            predict, ran, best, *earlier = train(X, y, progress)  # earlier: seconds of a shared fit done before
            seconds = time.perf_counter() - start + sum(earlier)
            mse = float(np.mean((predict(X_test) - y_test) ** 2))
            rows.append(dict(model=name, seed=seed, mse=mse, train_seconds=seconds, epochs=ran, best_epoch=best))
            print(f"  test MSE {mse:.4g} ({seconds:.0f} s)", flush=True)
            if csv is not None:
                pd.DataFrame(rows).to_csv(csv, index=False)
    return pd.DataFrame(rows)


def table(results):
    """Markdown: our models (median over seeds, range when several) beside the published rows."""
    lines = ["| model | test MSE | train time (s) | epochs (best) | published test MSE |", "|---|---|---|---|---|"]
    published = {"linear (x + t v)": "Linear", "FA-GNN": "FA-GNN"}
    for name, group in results.groupby("model", sort=False):
        mse = group.mse
        cell = f"{mse.median():.4g}" + (f" [{mse.min():.3g}, {mse.max():.3g}]" if len(group) > 1 else "")
        epochs = "" if group.epochs.max() == 0 else f"{int(group.epochs.median())} ({int(group.best_epoch.median())})"
        reference = published.get(name)
        lines.append(f"| **{name}** | {cell} | {group.train_seconds.median():.0f} | {epochs} | "
                     f"{'' if reference is None else PUBLISHED[reference]} |")
    for name, value in PUBLISHED.items():
        lines.append(f"| {name} (published) | {value} | | | |")
    return "\n".join(lines)


def main(argv=None):
    """``python -m scalars bench nbody [--quick] [--epochs N] [--time-limit S] [--seeds N] [--models a,b] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench nbody", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 epochs per torch model; {}, {} and {} trajectories to train, validate "
                        "and test; {} force-law iterations (a few minutes)".format(*QUICK_SIZES, QUICK_FORCE_LAW_ITERATIONS))
    parser.add_argument("--epochs", type=int, default=None, help="epochs per torch model (default 100; quick 4)")
    parser.add_argument("--seeds", type=int, default=1, help="data and initialisation seeds (default 1)")
    parser.add_argument("--models", default=None, help="comma-separated subset of the models")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds of training per torch model instead of --epochs (cosine schedule over it)")
    parser.add_argument("--force-law-iterations", type=int, default=None,
                        help=f"Levenberg-Marquardt iterations of the force law (default {FORCE_LAW_ITERATIONS}; "
                        f"quick {QUICK_FORCE_LAW_ITERATIONS})")
    parser.add_argument("--out", type=Path, default=Path("out"), help="directory for the CSV (default: out)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    epochs = args.epochs if args.epochs is not None else 4 if args.quick else 100
    models = None if args.models is None else [name.strip() for name in args.models.split(",")]
    unknown = sorted(set(models or ()) - set(_models(1, 0)))
    if unknown:
        raise SystemExit(f"unknown model {unknown[0]!r}; choose from {', '.join(_models(1, 0))}")
    args.out.mkdir(parents=True, exist_ok=True)
    name = "nbody_quick" if args.quick else "nbody"
    started = time.perf_counter()
    iterations = args.force_law_iterations or (QUICK_FORCE_LAW_ITERATIONS if args.quick else FORCE_LAW_ITERATIONS)
    results = run(epochs, range(args.seeds), models, not args.no_progress, csv=args.out / f"{name}.csv",
                  time_limit=args.time_limit, sizes=QUICK_SIZES if args.quick else None, force_law_iterations=iterations)
    print()
    print(table(results))
    budget = f"{epochs} epochs" if args.time_limit is None else f"{args.time_limit:.0f} s of training"
    print(f"\n{budget} per torch model, {args.seeds} seed(s); wall time {time.perf_counter() - started:.0f} s; "
          f"per-seed rows in {args.out / f'{name}.csv'}")
    return 0


# The models that lived here until they moved into the package: old name -> public one.
# (PairForceLaw keeps its name, imported above.)
def __getattr__(name):
    if name == "Particles":
        warnings.warn("scalars.bench.nbody.Particles is scalars.nn.ParticleMessagePassing; "
                      "the old name will be removed", FutureWarning, stacklevel=2)
        return ParticleMessagePassing
    if name == "Residual":
        warnings.warn("scalars.bench.nbody.Residual(net) is scalars.nn.Residual(net, columns=slice(5, 20)); "
                      "the old name will be removed", FutureWarning, stacklevel=2)
        return _positions_residual
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _positions_residual(net):
    """``x + net(X)``: the positions of rows ``"5T0+5P+5T1"`` moved by ``net`` (the old ``Residual(net)``)."""
    return scalars.nn.Residual(net, POSITIONS)


if __name__ == "__main__":
    raise SystemExit(main())
