"""Time the O(d) invariants (unique Gram entries) against a memory copy and naive numpy.

    python -m scalars bench featurize            # 1,000,000 x 5 x 3, as in the README
    python -m scalars bench featurize --quick    # 100,000 samples

The copy baseline moves as many bytes as the featurizer must: it reads ``n d`` and writes
``n (n + 1) / 2`` float64 per sample, and ``np.copyto`` of ``(n d + n (n + 1) / 2) / 2``
float64 per sample into a preallocated array reads and writes the same total. The user's
path, ``InvariantFeatures(group="O(d)", layout="<n>T1").transform`` of the flat
``(samples, n d)`` rows, reads and writes the same bytes too; it also checks its input
and allocates its output (page faults of a fresh array), which the copy does not.
"""

import argparse
import os
import time

import numba
import numpy as np

from scalars import InvariantFeatures
from scalars.invariants import gram_upper, pair_indices


def median_time(func, repeats):
    func()  # warm-up: compilation, page faults
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(np.min(times)), float(np.max(times))


def naive(V):
    rows, cols = pair_indices(V.shape[-2])
    return np.einsum("bid,bjd->bij", V, V)[:, rows, cols]


def compare(n_samples, n, d, repeats, rng):
    V = rng.standard_normal((n_samples, n, d))
    n_out = n * (n + 1) // 2
    out = np.empty((n_samples, n_out))
    copy_width = (n * d + n_out + 1) // 2
    src, dst = np.ones((n_samples, copy_width)), np.empty((n_samples, copy_width))
    X = V.reshape(n_samples, n * d)  # the flat rows a scikit-learn user has
    features = InvariantFeatures(group=f"O({d})", layout=f"{n}T1").fit(X[:10])
    np.testing.assert_allclose(gram_upper(V[:1000]), naive(V[:1000]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(features.transform(X[:1000]), naive(V[:1000]), rtol=1e-10, atol=1e-12)
    return {
        "copy": median_time(lambda: np.copyto(dst, src), repeats),
        "ours": median_time(lambda: gram_upper(V, out=out), repeats),
        "transform": median_time(lambda: features.transform(X), repeats),
        "ours_alloc": median_time(lambda: gram_upper(V), repeats),
        "naive": median_time(lambda: naive(V), max(1, repeats // 3)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="100,000 samples, 5 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.repeats = 100_000, 5
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, numba {numba.__version__} ({numba.get_num_threads()} threads), "
          f"{os.cpu_count()} cores; median of {args.repeats} runs\n")

    r = compare(args.samples, 5, 3, args.repeats, rng)
    ms = {key: 1e3 * value[0] for key, value in r.items()}
    print(f"O(3) invariants of ({args.samples:,} x 5 x 3) float64 -> {args.samples:,} x 15\n")
    print("| method | median ms | min-max ms | / copy |")
    print("|---|---|---|---|")
    for key, label in [("copy", "np.copyto of the same bytes"), ("ours", "scalars gram_upper (out=)"),
                       ("ours_alloc", "scalars gram_upper (allocating)"),
                       ("transform", "InvariantFeatures(O(3), 5T1).transform"),
                       ("naive", "einsum + triu indexing")]:
        median, low, high = (1e3 * x for x in r[key])
        print(f"| {label} | {median:.1f} | {low:.1f}-{high:.1f} | {median / ms['copy']:.2f} |")
    print(f"\nours / copy = {ms['ours'] / ms['copy']:.2f} (target <= 2); "
          f"transform / copy = {ms['transform'] / ms['copy']:.2f} (target <= 2.5); "
          f"naive / ours = {ms['naive'] / ms['ours']:.1f} (target >= 10)\n")

    scaling_samples = max(1, args.samples // 10)
    print(f"Scaling ({scaling_samples:,} samples): time per sample in ns\n")
    print("| n | d | outputs | ours ns | copy ns | ours / copy | transform / copy | naive / ours |")
    print("|---|---|---|---|---|---|---|---|")
    for n, d in [(5, 3), (10, 3), (20, 3), (50, 3), (5, 2), (5, 10), (5, 50)]:
        r = compare(scaling_samples, n, d, max(3, args.repeats // 3), rng)
        per = {key: 1e9 * r[key][0] / scaling_samples for key in ("ours", "copy", "transform", "naive")}
        print(f"| {n} | {d} | {n * (n + 1) // 2} | {per['ours']:.1f} | {per['copy']:.1f} | "
              f"{per['ours'] / per['copy']:.2f} | {per['transform'] / per['copy']:.2f} | "
              f"{per['naive'] / per['ours']:.1f} |")


if __name__ == "__main__":
    main()
