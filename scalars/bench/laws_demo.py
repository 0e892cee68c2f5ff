"""Laws, printed: four physical laws recovered by sparse regression on invariants.

``python -m scalars demo laws`` fits and prints, each in seconds:

- the inertia tensor ``sum_i m_i (|r_i|^2 I - r_i r_i^T)`` of five point masses, from 100
  samples (O(3) x S(5));
- the Lorentz-invariant electron-muon scattering amplitude, from 100 samples (O(1,3));
- a pendulum's period with units: ``sqrt(L / g)`` times a function of the amplitude
  (the mass drops out), with ``2 pi`` for small swings;
- the springy double pendulum's Hamiltonian from the standard 500 training chunks, and
  its rollout error on the standard test set.

The first two are checked symbolically against the textbook formula.
"""

import argparse
import time
from dataclasses import replace

import numpy as np

MASSES = [f"m{i}" for i in range(5)]
POSITIONS = [f"r{i}" for i in range(5)]
MOMENTA = ["p1", "p2", "p3", "p4"]
METRIC = (1, -1, -1, -1)


def inertia_law(n_samples=100, seed=0):
    """The fitted law (3 x 3 sympy Matrix) and whether it equals the inertia tensor."""
    import sympy

    from scalars import SparseEquivariantRegressor
    from scalars.datasets import Inertia
    from scalars.laws import gram_substitutions

    train = Inertia(n_samples, seed=seed)
    model = SparseEquivariantRegressor(**train.estimator_params()).fit(train.X, train.y)
    law = model.to_sympy(names=MASSES + POSITIONS)
    m = sympy.symbols(MASSES)
    r = [sympy.MatrixSymbol(name, 3, 1).as_explicit() for name in POSITIONS]
    truth = sum((m[i] * ((r[i].T * r[i])[0] * sympy.eye(3) - r[i] * r[i].T) for i in range(5)), sympy.zeros(3, 3))
    difference = (law.xreplace(gram_substitutions(POSITIONS, 3)) - truth).applyfunc(sympy.expand)
    return model, difference == sympy.zeros(3, 3)


def scattering_law(n_samples=100, seed=0):
    """The fitted amplitude and whether it equals ``4 sum Le * Lmu``."""
    import sympy

    from scalars import SparseEquivariantRegressor
    from scalars.datasets import ParticleInteraction
    from scalars.laws import gram_substitutions

    train = ParticleInteraction(n_samples, seed=seed)
    model = SparseEquivariantRegressor(**train.estimator_params()).fit(train.X, train.y)
    law = model.to_sympy(names=MOMENTA)
    eta = sympy.diag(*METRIC)
    p1, p2, p3, p4 = (sympy.MatrixSymbol(name, 4, 1).as_explicit() for name in MOMENTA)

    def dot(a, b):
        return (a.T * eta * b)[0]

    electron = p1 * p3.T - (dot(p1, p3) - dot(p1, p1)) * eta
    muon = (eta * p2) * (eta * p4).T - (dot(p2, p4) - dot(p2, p2)) * eta
    truth = 4 * sum(electron[i, j] * muon[i, j] for i in range(4) for j in range(4))
    return law, sympy.expand(law.xreplace(gram_substitutions(MOMENTA, 4, METRIC)) - truth) == 0


def period_law(n_samples=200, degree=8, seed=0):
    """Period of a pendulum from its length, gravity, mass and amplitude, with units.

    Exact periods ``4 sqrt(L / g) K(sin^2(theta / 2))``; the fitted law is
    ``sqrt(L / g) f(theta)`` with ``f`` a polynomial of degree ``degree``.
    """
    from scipy.special import ellipk

    from scalars import SparseEquivariantRegressor

    rng = np.random.default_rng(seed)
    L, g = rng.uniform(0.5, 2.0, n_samples), rng.uniform(1.0, 20.0, n_samples)
    m, theta = rng.uniform(0.1, 5.0, n_samples), rng.uniform(-1.0, 1.0, n_samples)
    period = 4 * np.sqrt(L / g) * ellipk(np.sin(theta / 2) ** 2)
    model = SparseEquivariantRegressor(
        layout="4T0", degree=degree, units=["m", "m/s^2", "kg", ""], target_units="s", max_denominator=2
    ).fit(np.column_stack([L, g, m, theta]), period)
    return model.to_sympy(names=["L", "g", "m", "theta"], tolerance=1e-10)


def hamiltonian_law(n_test=200, noise=0.0, seed=0):
    """The sparse Hamiltonian fitted to the standard training chunks (states with relative
    Gaussian noise ``noise`` times each coordinate's RMS) and its test rollout error."""
    from scalars.dynamics import SparseHamiltonian, evaluate, pendulum_data

    data = pendulum_data(500, n_test, seed=seed)
    if noise:
        rng = np.random.default_rng(seed + 1)
        rms = np.sqrt(np.mean(data.train.reshape(-1, 12) ** 2, axis=0))
        data = replace(data, train=data.train + noise * rms * rng.standard_normal(data.train.shape))
    model = SparseHamiltonian().fit(data)
    return model, evaluate(model, data)["rollout_error"]


# The true Hamiltonian of DoubleSpringPendulum.emlp() (k2 = 2 with the 1/2 on both springs),
# without its constant.
TRUE_TERMS = {
    "<p1,p1>": 0.5, "<p2,p2>": 0.5, "<q1,q1>": 0.5, "|q1|": -1.0,
    "<q1-q2,q1-q2>": 1.0, "|q1-q2|": -2.0, "<q1,g>": -1.0, "<q2,g>": -1.0,
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scalars demo laws", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-test", type=int, default=200, help="test trajectories of the pendulum (default 200)")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="relative noise on the pendulum's training states, e.g. 0.01 (default 0)")
    args = parser.parse_args(argv)
    import sympy

    start = time.perf_counter()
    model, exact = inertia_law()
    print(f"Inertia tensor, 100 samples ({time.perf_counter() - start:.1f} s):")
    print("  I =", model.to_sympy(names=MASSES + POSITIONS, explicit=False))
    print(f"  equals sum_i m_i (|r_i|^2 I - r_i r_i^T): {exact}")

    start = time.perf_counter()
    law, exact = scattering_law()
    print(f"\nElectron-muon scattering amplitude, 100 samples ({time.perf_counter() - start:.1f} s):")
    print("  |M|^2 =", law)
    print(f"  equals 4 sum Le * Lmu: {exact}")

    start = time.perf_counter()
    law = period_law()
    L, g, theta = sympy.symbols("L g theta")
    shape = sympy.expand(law * sympy.sqrt(g) / sympy.sqrt(L))
    small = float(shape.subs(theta, 0))
    print(f"\nPendulum period with units, 200 samples ({time.perf_counter() - start:.1f} s):")
    print("  T =", law)
    print(f"  = 2 pi sqrt(L/g) ({sympy.expand(shape / small).evalf(4)}), 2 pi to {abs(small / (2 * np.pi) - 1):.1e}")
    print("  exact: 2 pi sqrt(L/g) (1 + 0.0625 theta^2 + 0.003581 theta^4 + 0.0002346 theta^6 + ...)")

    start = time.perf_counter()
    model, error = hamiltonian_law(args.n_test, args.noise)
    noise = f", {args.noise:g} noise on the states" if args.noise else ""
    print(f"\nSpringy double pendulum, 500 training chunks{noise} "
          f"({model.fit_seconds_:.1f} s of fitting, {time.perf_counter() - start:.1f} s with data and test):")
    print("  H =", model.to_sympy())
    print(f"  terms: {'the true ones' if set(model.terms_) == set(TRUE_TERMS) else 'not the true ones'}; "
          "largest relative coefficient error "
          f"{max(abs(model.terms_.get(k, 0.0) / v - 1) for k, v in TRUE_TERMS.items()):.1e}")
    print(f"  rollout error on {args.n_test} test trajectories: {error:.2e}")
    return 0
