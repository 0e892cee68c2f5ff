"""The charged n-body benchmark (EGNN "nbody_small"): scalars against averaging, beside the papers.

``python -m scalars bench nbody [--quick] [--epochs N] [--time-limit S] [--seeds N] [--models a,b]`` generates 7000
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
- ``scalars GNN``: :class:`scalars.nn.MessagePassing`, EGNN's E(3) x S(5)-equivariant
  message passing built from scalars (4 layers, width 64; node features ``q_i, |v_i|``,
  edge features ``q_i q_j, |x_i - x_j|^2``), trained in float32;
- ``FA-GNN``: frame averaging over E(3) around the same message-passing network reading
  the raw coordinates too (``equivariant=False``: permutation-equivariant only), as in
  Puny et al. (ICLR 2022);
- ``GA-MLP``: :class:`scalars.nn.GroupAveraging` over E(3) around the same MLP: one Haar
  rotation per training batch, 16 averaged at test time (translations fixed by the
  centroid);
- ``scalars force law``: :class:`PairForceLaw`, a central pair force ``f(r_ij, e_i e_j)
  (x_i - x_j)`` from a library of five softened inverse-square laws, integrated with the
  generator's step over the time unit; its five coefficients are fitted by
  Levenberg-Marquardt through the integrator (trained on the first 3000 trajectories,
  the iterate of lowest error on the next 2000 kept);
- ``MLP``: the plain MLP on raw coordinates; ``linear (x + t v)``: EGNN's linear
  baseline, a least-squares time ``t``; ``linear regression``: ordinary least squares on
  the raw 35 columns.

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
from pathlib import Path

import numpy as np
import torch
from torch import nn

from scalars.datasets import ChargedNBody
from scalars.dynamics import SeparableField, integrate_separable
from scalars.estimators import EquivariantMLPRegressor, EquivariantRegressor
from scalars.nn import FrameAveraging, GroupAveraging, MessagePassing, fit, mlp

__all__ = ["main", "run", "table", "Particles", "PairForceLaw", "Residual", "PUBLISHED"]

# ANCHORS.md: test MSE on nbody_small (seed 000's table, from the frame-averaging paper).
PUBLISHED = {
    "Linear": 0.0819, "SE(3) Transformer": 0.0244, "TFN": 0.0155, "GNN": 0.0107,
    "Radial Field": 0.0104, "EGNN": 0.0071, "FA-GNN": 0.0057,
}
N_TRAIN, N_VALIDATION, N_TEST = 3000, 2000, 2000
BATCH_SIZE = 100
POSITIONS, VELOCITIES = slice(5, 20), slice(20, 35)


class Residual(nn.Module):
    """``x + net(X)``: the positions of flat rows ``"5T0+5P+5T1"`` moved by a network."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, X):
        return X[:, POSITIONS] + self.net(X)


class Particles(nn.Module):
    """:class:`scalars.nn.MessagePassing` on flat rows ``"5T0+5P+5T1"``: the positions it predicts.

    Node features ``(q_i, |v_i|)``, edge features ``(q_i q_j, |x_i - x_j|^2)`` at the input
    frame, as in EGNN's n-body model.

    Parameters
    ----------
    hidden : int, default=64
    layers : int, default=4
    equivariant : bool, default=True
        False: the backbone also reads the raw coordinates (for frame averaging).
    particles : int, default=5
    """

    def __init__(self, hidden=64, layers=4, equivariant=True, particles=5):
        super().__init__()
        self.particles = particles
        self.net = MessagePassing(2, 2, hidden=hidden, layers=layers, equivariant=equivariant)

    def forward(self, X):
        k = self.particles
        q = X[:, :k, None]
        x, v = X[:, k : 4 * k].reshape(-1, k, 3), X[:, 4 * k : 7 * k].reshape(-1, k, 3)
        nodes = torch.cat([q, v.norm(dim=-1, keepdim=True)], dim=-1)
        distances = ((x[:, :, None] - x[:, None]) ** 2).sum(-1, keepdim=True)
        edges = torch.cat([q[:, :, None] * q[:, None], distances], dim=-1)
        return self.net(x, v, nodes, edges).reshape(len(X), 3 * k)


class PairForceLaw(nn.Module):
    """Positions after one time unit of a fitted central pair-force law, on rows ``"5T0+5P+5T1"``.

    The force on particle ``i`` is ``sum_j f(r_ij, e_i e_j) (x_i - x_j)`` with ``r_ij =
    |x_i - x_j|`` and charges ``e``, and ``f = sum_b c_b phi_b`` over a small library of
    softened inverse-square laws, ``phi = e_i e_j / (r^2 + eps^2)^(3/2)`` for each ``eps``
    of :attr:`SOFTENINGS` and one charge-blind ``1 / (r^2 + 0.1^2)^(3/2)``
    (:attr:`BLIND_SOFTENING`): an
    ``S(5) x E(3)``-equivariant law, linear in its ``c``. The positions move by
    ``steps`` kick-drift steps (``"symplectic_euler"``) over :attr:`duration` (the generator's own step, 1e-3).
    The coefficients are fitted by Levenberg-Marquardt on the mean squared error of the
    predicted positions (the Jacobian by forward-mode differentiation through the
    integrator), starting from no force at all (``x + t v``); the iterate of lowest
    validation error is kept.
    """

    SOFTENINGS = (0.05, 0.1, 0.2, 0.4)
    BLIND_SOFTENING = 0.1
    duration = 1.0

    def __init__(self, steps=1000, particles=5):
        super().__init__()
        self.steps, self.particles = steps, particles
        self.register_buffer("coefficients", torch.zeros(len(self.SOFTENINGS) + 1, dtype=torch.float64))
        i, j = np.where(~np.eye(particles, dtype=bool))
        self.i, self.j = i.tolist(), j.tolist()

    def forward(self, X, coefficients=None):
        """Positions (n, 3 k) at the end of the time unit, from rows ``X`` (n, 7 k)."""
        c = self.coefficients if coefficients is None else coefficients
        k = self.particles
        q = X[:, :k]
        x, v = X[:, k : 4 * k].reshape(-1, k, 3), X[:, 4 * k : 7 * k].reshape(-1, k, 3)
        charges = q[:, self.i] * q[:, self.j]

        def force(x):
            separation = x[:, self.i] - x[:, self.j]
            r2 = (separation * separation).sum(-1)
            pair = (torch.stack(self._laws(r2, charges, 1.5), -1) @ c)[..., None] * separation
            return pair.reshape(len(X), k, k - 1, 3).sum(2)

        t = torch.tensor([0.0, self.duration], dtype=torch.float64)
        x = integrate_separable(SeparableField(lambda v: v, force), x, v, t, "symplectic_euler", self.steps)[0][-1]
        return x.reshape(len(X), 3 * k)

    def to_sympy(self, digits=4):
        """The fitted ``f(r, e_i e_j)`` as a sympy expression in ``r`` and ``e_i*e_j``, coefficients
        rounded to ``digits`` significant digits."""
        import sympy

        r, charges = sympy.symbols("r e_i*e_j", positive=True)
        laws = self._laws(r**2, charges, sympy.Rational(3, 2))
        return sum(sympy.Float(float(c), digits) * law for c, law in zip(self.coefficients, laws))

    def _laws(self, r2, charges, three_halves):
        """The library's terms at squared distances ``r2``: torch tensors, or sympy expressions."""
        laws = [charges / (r2 + eps**2) ** three_halves for eps in self.SOFTENINGS]
        return laws + [1 / (r2 + self.BLIND_SOFTENING**2) ** three_halves]

    def fit(self, X, y, X_validation, y_validation, iterations=15, chunk=1000, progress=True):
        """Levenberg-Marquardt on the training MSE; returns the validation MSE of each iteration."""
        from torch.func import jacfwd
        from tqdm.auto import tqdm

        def residual(c, X, y):
            return (y - self(X, c)).reshape(-1)

        c, damping = self.coefficients.clone(), 1e-3
        current = residual(c, X, y)  # kept from the accepted step: one rollout less per iteration
        history, best = [], np.inf
        for _ in tqdm(range(iterations), disable=not progress, desc="force law"):
            jacobian = torch.cat([jacfwd(lambda c: self(X[s : s + chunk], c))(c).reshape(-1, len(c))
                                  for s in range(0, len(X), chunk)])
            normal, gradient = jacobian.T @ jacobian, jacobian.T @ current
            while damping < 1e6:
                step = torch.linalg.solve(normal + damping * torch.diag(torch.diag(normal)), gradient)
                trial = residual(c + step, X, y)
                if trial.pow(2).mean() < current.pow(2).mean():
                    c, current, damping = c + step, trial, damping / 3
                    break
                damping *= 10
            history.append(float(residual(c, X_validation, y_validation).pow(2).mean()))
            if history[-1] < best:
                best = history[-1]
                self.coefficients.copy_(c)
        return history


def _split(data):
    """Training plus validation rows (validation the last 40%, for the random split) and test rows."""
    n_fit = N_TRAIN + N_VALIDATION
    return (data.X[:n_fit], data.y[:n_fit]), (data.X[n_fit:], data.y[n_fit:])


def _train_torch(module, X, y, epochs, seed, progress, time_limit=None, dtype=torch.float64):
    """Train with :func:`scalars.nn.fit`: ``epochs``, or ``time_limit`` seconds (no early stop)."""
    history = fit(
        module, torch.as_tensor(X, dtype=dtype), torch.as_tensor(y, dtype=dtype), max_epochs=epochs,
        batch_size=BATCH_SIZE, learning_rate=1e-3, validation_fraction=N_VALIDATION / (N_TRAIN + N_VALIDATION),
        patience=max(10, epochs // 5) if time_limit is None else 10**9, seed=seed, progress=progress,
        time_limit=time_limit,
    )
    return history


def _predict_torch(module, X, dtype=torch.float64):
    with torch.no_grad():
        return module(torch.as_tensor(X, dtype=dtype)).double().numpy()


def _models(epochs, seed, time_limit=None):
    """Name -> function (X, y, progress) -> (predict, epochs run, best epoch).

    ``time_limit`` (seconds) replaces the epoch budget of the torch models.
    """
    layout = ChargedNBody.layout

    def torch_model(build, group=None, averaging=None, dtype=torch.float64):
        def train(X, y, progress):
            torch.manual_seed(seed)
            backbone = build().to(dtype)
            if averaging == "frame":
                module = FrameAveraging(backbone, group, layout, output="5P")
            elif averaging == "group":
                module = GroupAveraging(backbone, group, layout, output="5P", n_samples=1, seed=seed)
            else:
                module = backbone
            history = _train_torch(module, X, y, epochs, seed, progress, time_limit, dtype)
            if averaging == "group":
                module.n_samples = 16
            return (lambda X: _predict_torch(module, X, dtype)), len(history.train_loss), history.best_epoch

        return train

    def plain_mlp():
        return Residual(mlp(35, 15, (256, 256)))

    def scalar(estimator):
        def train(X, y, progress):
            estimator.set_params(**({"verbose": progress} if hasattr(estimator, "verbose") else {}))
            estimator.fit(X, y - X[:, POSITIONS])  # the displacement: a free vector per particle
            history = getattr(estimator, "history_", None)
            runs = (len(history.train_loss), history.best_epoch) if history else (0, 0)
            return (lambda X: X[:, POSITIONS] + estimator.predict(X)), *runs

        return train

    def linear_time(X, y, progress):
        x, v = X[:N_TRAIN, POSITIONS], X[:N_TRAIN, VELOCITIES]
        t = float(np.sum(v * (y[:N_TRAIN] - x)) / np.sum(v * v))
        return (lambda X: X[:, POSITIONS] + t * X[:, VELOCITIES]), 0, 0

    def least_squares(X, y, progress):
        design = lambda X: np.column_stack([X, np.ones(len(X))])
        coefficients = np.linalg.lstsq(design(X[:N_TRAIN]), y[:N_TRAIN], rcond=None)[0]
        return (lambda X: design(X) @ coefficients), 0, 0

    def force_law(X, y, progress):
        law = PairForceLaw()
        X, y = torch.as_tensor(X), torch.as_tensor(y)
        history = law.fit(X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:], progress=progress)
        print(f"  f(r, e_i e_j) = {law.to_sympy()}", flush=True)
        return (lambda X: _predict_torch(law, X)), len(history), int(np.argmin(history)) + 1

    params = dict(group="E(3)", layout=layout, output="5T1", particles=5)
    return {
        "scalars ridge": scalar(EquivariantRegressor(**params, degree=2, alpha=1e-6)),
        "scalars MLP": scalar(EquivariantMLPRegressor(
            **params, hidden_layer_sizes=(128, 128), max_epochs=epochs, batch_size=BATCH_SIZE, learning_rate=1e-3,
            weight_decay=0.0, bilinear=0,  # the settings of the README's table
            validation_fraction=N_VALIDATION / (N_TRAIN + N_VALIDATION), patience=max(10, epochs // 5), random_state=seed,
        )),
        "FA-MLP": torch_model(plain_mlp, "S(5)xE(3)", "frame"),
        "scalars GNN": torch_model(Particles, dtype=torch.float32),  # twice as fast as float64
        "FA-GNN": torch_model(lambda: Particles(equivariant=False), "E(3)", "frame"),
        "GA-MLP": torch_model(plain_mlp, "E(3)", "group"),
        "MLP": torch_model(plain_mlp),
        "scalars force law": force_law,
        "linear (x + t v)": linear_time,
        "linear regression": least_squares,
    }


def run(epochs, seeds=(0,), models=None, progress=True, csv=None, time_limit=None):
    """Fit and test every model for each seed; one row per (model, seed).

    Returns
    -------
    pandas.DataFrame with columns model, seed, mse, train_seconds, epochs, best_epoch
    """
    import pandas as pd

    torch.set_num_threads(1)
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        data = ChargedNBody(N_TRAIN + N_VALIDATION + N_TEST, seed=seed)
        print(f"seed {seed}: {len(data)} trajectories in {time.perf_counter() - start:.1f} s", flush=True)
        (X, y), (X_test, y_test) = _split(data)
        for name, train in _models(epochs, seed, time_limit).items():
            if models is not None and name not in models:
                continue
            print(f"seed {seed}: {name}", flush=True)
            start = time.perf_counter()
            predict, ran, best = train(X, y, progress)
            seconds = time.perf_counter() - start
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
    parser.add_argument("--quick", action="store_true", help="4 epochs per torch model (a few minutes)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per torch model (default 100; quick 4)")
    parser.add_argument("--seeds", type=int, default=1, help="data and initialisation seeds (default 1)")
    parser.add_argument("--models", default=None, help="comma-separated subset of the models")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds of training per torch model instead of --epochs (cosine schedule over it)")
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
    results = run(epochs, range(args.seeds), models, not args.no_progress, csv=args.out / f"{name}.csv",
                  time_limit=args.time_limit)
    print()
    print(table(results))
    budget = f"{epochs} epochs" if args.time_limit is None else f"{args.time_limit:.0f} s of training"
    print(f"\n{budget} per torch model, {args.seeds} seed(s); wall time {time.perf_counter() - started:.0f} s; "
          f"per-seed rows in {args.out / f'{name}.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
