"""O(5)-invariant regression with a plain scikit-learn pipeline.

``python -m scalars demo o5``: the O5Synthetic problem of the EMLP paper,
``y = sin|x1| - |x2|^3/2 + <x1,x2>/(|x1||x2|)``, learned by the same MLP on the three
invariants ``<x1,x1>, <x1,x2>, <x2,x2>`` and on the ten raw coordinates.
"""

import argparse
import time

import numpy as np
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scalars.datasets import O5Synthetic
from scalars.preprocessing import InvariantFeatures

# Test MSE of EMLP O(5) at the same training sizes (EMLP repository, ANCHORS.md).
PUBLISHED_EMLP = {30: 0.152, 100: 0.0408, 300: 0.0344, 1000: 0.0170, 3000: 0.0310, 10000: 0.0130, 30000: 0.0273}


def make_models(seed):
    """The same MLP on invariants and on raw coordinates."""

    def mlp():
        return MLPRegressor(
            hidden_layer_sizes=(100, 100), learning_rate_init=3e-3, max_iter=1000, tol=1e-7,
            n_iter_no_change=50, random_state=seed,
        )

    return {
        "InvariantFeatures + MLP": make_pipeline(InvariantFeatures(group="O(5)"), StandardScaler(), mlp()),
        "MLP on coordinates": make_pipeline(StandardScaler(), mlp()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scalars demo o5", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--test-size", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    test = O5Synthetic(args.test_size, seed=10_000 + args.seed)
    rows = []
    for n in args.sizes:
        train = O5Synthetic(n, seed=args.seed)
        for name, model in make_models(args.seed).items():
            start = time.perf_counter()
            model.fit(train.X, train.y)
            mse = float(np.mean((model.predict(test.X) - test.y) ** 2))
            rows.append((n, name, mse, time.perf_counter() - start))
            print(f"  n={n:>6}  {name:<24} test MSE {mse:.3g}  ({rows[-1][3]:.1f} s)", flush=True)

    print(f"\nO5Synthetic, test MSE on {args.test_size} samples (seed {args.seed})\n")
    print("| training size | " + " | ".join(make_models(0)) + " | EMLP O(5) (published) |")
    print("|---|---|---|---|")
    for n in args.sizes:
        mses = [f"{mse:.3g}" for size, _, mse, _ in rows if size == n]
        print(f"| {n} | " + " | ".join(mses) + f" | {PUBLISHED_EMLP.get(n, float('nan')):.3g} |")


if __name__ == "__main__":
    main()
