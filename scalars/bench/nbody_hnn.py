"""Five gravitating bodies: models of a System, invariant, equivariant and sparse, against raw.

``python -m scalars bench nbody-hnn [--quick] [--seeds N] [--time-limit S] [--models M]``
draws, for each seed, training chunks (5 points, 0.1 s apart) and test trajectories (10 s)
of :class:`~scalars.dynamics.NBodySystem` with masses 1, 1.5, 0.5, 2, 1, G = 1 and
softening 0.5, from :func:`~scalars.dynamics.trajectory_data`, trains three networks with
the same wall-clock budget and fits a sparse H:

- ``scalar HNN``: H = sum over particles of one MLP of per-particle invariants plus sum
  over pairs of one MLP of pair invariants (exactly S(5) x E(3)-invariant), separable,
  fourth-order leapfrog, 4 steps per 0.1 s (:class:`~scalars.dynamics.HamiltonianNetwork`);
- ``scalar neural ODE``: each particle's velocity and force a sum over the other
  particles of MLP coefficients of pair invariants times ``q_i - q_j``, ``p_i - p_j`` and
  ``p_i`` (exactly equivariant), RK4, 4 steps per 0.1 s (:class:`~scalars.dynamics.NeuralODE`);
- ``MLP HNN``: one MLP of the 30 raw coordinates, RK4 (the baseline);
- ``sparse H``: H = sum_k c_k phi_k over sums over particles and pairs of their invariants
  and of products of two, found by one sparse linear solve and polished on the rollouts
  (:class:`~scalars.dynamics.SparseHamiltonian`), fourth-order leapfrog, 8 steps per
  0.1 s. It is not trained for a budget: its fit takes what it takes (seconds).

Scored by the geometric-mean relative state error of test rollouts
(:func:`~scalars.dynamics.rollout_error`) and the largest relative drift of the true
energy along them. ``--models`` runs a subset, e.g. ``--models "sparse H"``.
"""

import argparse
import time

import numpy as np
import torch

from scalars.dynamics import (
    HamiltonianNetwork, NBodySystem, NeuralODE, SparseHamiltonian, evaluate, train, trajectory_data,
)

__all__ = ["main", "SYSTEM", "MODELS"]

SYSTEM = dict(masses=[1.0, 1.5, 0.5, 2.0, 1.0], G=1.0, softening=0.5)

# name -> (model class, its keyword arguments, learning rates of train; None: model.fit(data))
MODELS = {
    "scalar HNN": (HamiltonianNetwork, dict(substeps=4), dict(learning_rate=1e-3, mlp_learning_rate=1e-4)),
    "scalar neural ODE": (NeuralODE, dict(substeps=4), dict(learning_rate=1e-3, mlp_learning_rate=1e-4)),
    "MLP HNN": (HamiltonianNetwork, dict(raw=True, separable=False, method="rk4", hidden=128), dict(learning_rate=3e-3)),
    "sparse H": (SparseHamiltonian, dict(), None),
}


def main(argv=None):
    """Run the benchmark and print a markdown table of mean and spread over seeds."""
    parser = argparse.ArgumentParser(prog="python -m scalars bench nbody-hnn", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 50 chunks, 3 test trajectories, 5 s per model")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 2, quick 1)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds of training per model (default 60)")
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of: {', '.join(MODELS)}")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    for name in names:
        if name not in MODELS:
            parser.error(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    torch.set_num_threads(1)
    n_train, n_test, budget, seeds = (50, 3, 5.0, 1) if args.quick else (500, 20, 60.0, 2)
    budget = args.time_limit or budget
    seeds = seeds if args.seeds is None else args.seeds
    system = NBodySystem(**SYSTEM)
    start = time.perf_counter()
    scores = {name: [] for name in names}
    for seed in range(seeds):
        data = trajectory_data(system, n_train, n_test, dt=0.1, duration=10.0, seed=seed)
        for name in names:
            cls, kwargs, rates = MODELS[name]
            model = cls(system, **kwargs)
            fitting = time.perf_counter()
            if rates is None:
                model.fit(data)
            else:
                train(model, data, time_limit=budget, seed=seed, progress=False, **rates)
            fitting = time.perf_counter() - fitting
            result = evaluate(model, data)
            with np.errstate(all="ignore"):
                drift = system.energy_error(result["prediction"])
            scores[name].append((result["rollout_error"], drift))
            found = f", H = {model.to_sympy()}" if hasattr(model, "to_sympy") else ""
            print(f"seed {seed} {name}: rollout error {result['rollout_error']:.3g}, energy drift {drift:.3g}, "
                  f"{fitting:.0f} s of training{found}")
    print(f"\n{n_train} chunks, {n_test} test trajectories of 10 s, {budget:g} s per trained model, "
          f"{seeds} seeds, {time.perf_counter() - start:.0f} s in all\n")
    print("| model | rollout error | energy drift |\n|---|---|---|")
    for name, rows in scores.items():
        errors, drifts = np.array(rows).T
        print(f"| {name} | {errors.mean():.2g} ± {errors.std():.1g} | {drifts.mean():.2g} |")
    return 0
