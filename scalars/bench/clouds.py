"""Time ``PointCloudInvariants`` on catalogues of clouds: is the cost linear in the points?

    python -m scalars bench clouds            # 10,000 clouds of 100, 300 and 1000 points
    python -m scalars bench clouds --quick    # 1,000 clouds
    python -m scalars bench clouds --normals  # normal estimation instead (scalars.bench.normals)
    python -m scalars bench clouds --halos    # halo-like clouds instead (scalars.bench.halos)

Each cloud is ``N`` points in 3-D, Gaussian; the transformer is the default
``PointCloudInvariants(d=3, degree=3, center=True)`` (16 features, no ``N x N`` matrix),
applied in chunks of 500 clouds as ``scalars.parallel.featurize`` would apply it to a dask
array. The best of 3 passes counts. A cost linear in ``N`` shows as a constant time per
point; the features are checked against a random rotation, reflection and relabelling.
"""

import argparse
import os
import time

import numpy as np
from scipy.stats import ortho_group

from scalars import PointCloudInvariants
from scalars.bench import halos, normals

CHUNK = 500


def featurize_in_chunks(features, X):
    return np.concatenate([features.transform(X[start : start + CHUNK]) for start in range(0, len(X), CHUNK)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clouds", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 clouds")
    parser.add_argument("--normals", action="store_true", help="normal estimation on surface patches instead")
    parser.add_argument("--halos", action="store_true", help="halo-like clouds: regression and featurizing cost")
    parser.add_argument("--patches", type=int, default=None, help="--normals: training patches (4,000; 1,000 quick)")
    parser.add_argument("--epochs", type=int, default=None, help="--normals: training epochs (100; 10 quick)")
    parser.add_argument("--models", nargs="+", choices=list(normals.MODELS), default=None,
                        help="--normals: train only these models (default: all)")
    args = parser.parse_args(argv)
    if args.normals:
        return normals.main(args.quick, args.patches, args.epochs, args.models)
    if args.halos:
        return halos.main(args.quick)
    if args.quick:
        args.clouds = 1_000
    rng = np.random.default_rng(0)
    print(f"{args.clouds:,} clouds in 3-D, chunks of {CHUNK}, best of 3 passes; numpy {np.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    print("| points N | seconds | microseconds per point | features | invariant (max relative change) |")
    print("|---|---|---|---|---|")
    for n in (100, 300, 1000):
        X = rng.standard_normal((args.clouds, n, 3))
        features = PointCloudInvariants(d=3, center=True).fit(X[:2])
        times = []
        for _ in range(3):
            start = time.perf_counter()
            F = featurize_in_chunks(features, X)
            times.append(time.perf_counter() - start)
        Q = ortho_group.rvs(3, random_state=n)
        moved = features.transform(X[:50, rng.permutation(n)] @ Q.T)
        change = np.max(np.abs(moved - F[:50]) / np.maximum(1.0, np.abs(F[:50])))
        best = min(times)
        print(f"| {n} | {best:.2f} | {1e6 * best / (args.clouds * n):.2f} | {F.shape[1]} | {change:.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    main()
