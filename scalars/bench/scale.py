"""Featurizing and predicting out of memory on a two-worker dask LocalCluster.

``python -m scalars bench scale`` (``--quick`` for a small run; needs ``scalars[dask]``):

1. The O(3) invariants of 1e8 x 5 x 3 float32 vectors (6 GB in, 6 GB out) with
   :func:`scalars.parallel.featurize` on a ``distributed.LocalCluster`` of two worker
   processes with one thread each. Every chunk of 5e5 rows is drawn inside its task
   (``default_rng([seed, chunk])``) and the features are summed chunk by chunk, so no
   process holds more than a few chunks. The featurizing throughput is the rows divided by
   the wall time that featurizing adds: the same pipeline without ``featurize`` (draw
   the chunk, sum it) is timed too and subtracted; the sum costs the same on 15 input as on
   15 output columns. It is compared with ``InvariantFeatures.transform`` of 1e7 rows in
   memory in this process, numba on both cores. The in-memory pass and the two cluster
   passes take turns, ``--repeats`` times, so that a changing load on the machine weighs
   on both; the best pass of each counts, and the ratios pass by pass are printed too.
   The peak resident memory of each worker process is read from the OS (VmHWM, reset
   after warm-up), and chunks of the lazy result are compared bit for bit with the
   in-memory transform of the same rows.
2. ``dask_ml.wrappers.ParallelPostFit(EquivariantRegressor(...))`` predicting the trace of
   the inertia tensor of five point masses (degree-2 polynomials of the 20 invariants)
   for 1e7 rows, per core, against the in-memory ``predict`` of 1e6 rows run in two
   processes at once with one thread each (the in-memory predict on both cores, under the
   same load as the workers), with the same subtraction of the time to draw the inputs
   and the same turns.
"""

import argparse
import logging
import os
import resource
import sys
import time

import numpy as np

from scalars import EquivariantRegressor, InvariantFeatures
from scalars.datasets import Inertia

LAYOUT, N_VECTORS, DIM = "5T1", 5, 3
SEED = 2026


def vectors_chunk(rows, index, seed=SEED):
    """Chunk ``index`` of the featurizing data: uniform in [-1, 1), float32, (rows, 15)."""
    block = np.random.default_rng([seed, index]).random((rows, N_VECTORS * DIM), dtype=np.float32)
    block *= 2
    block -= 1
    return block


def inertia_inputs_chunk(rows, index, seed=SEED + 1):
    """Chunk ``index`` of the prediction data: five masses and five positions, (rows, 20)."""
    rng = np.random.default_rng([seed, index])
    masses = np.logaddexp(0.0, rng.standard_normal((rows, 5)))
    return np.concatenate([masses, rng.standard_normal((rows, 15))], axis=1)


def _lazy(generate, n_rows, chunk_rows, width, dtype):
    import dask.array as da

    rows = [min(chunk_rows, n_rows - start) for start in range(0, n_rows, chunk_rows)]

    def block(block_id=None):
        return generate(rows[block_id[0]], block_id[0])

    return da.map_blocks(block, chunks=(tuple(rows), (width,)), dtype=dtype,
                         meta=np.empty((0, 0), dtype=dtype), name=f"draw-{generate.__name__}-{n_rows}-{chunk_rows}")


def _best(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), times


def _alternate(functions, repeats):
    """Best wall time of each function, run alternately so that load drift hits both."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}, times


def _reset_peak_rss():
    """Start a new peak: Linux resets a process's high-water RSS on ``5 > clear_refs``."""
    try:
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
        return True
    except OSError:
        return False


def _rounded(passes):
    return {name: [round(t, 1) for t in times] for name, times in passes.items()}


def _peak_rss_mb():
    """Peak resident memory of this process in MiB, since the last reset (VmHWM)."""
    try:
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux: since start


def _rss_mb():
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _load():
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def in_memory_featurize(rows):
    """A pass of InvariantFeatures.transform over rows in memory (numba on all cores)."""
    X = np.concatenate([vectors_chunk(min(1_000_000, rows - s), 10_000 + i)
                        for i, s in enumerate(range(0, rows, 1_000_000))])
    features = InvariantFeatures(group="O(3)", layout=LAYOUT).fit(X[:10])
    features.transform(X[:1000])  # compile
    from scalars.invariants import gram_upper

    out = np.empty((rows, 15), np.float32)
    kernel, _ = _best(lambda: gram_upper(X.reshape(rows, N_VECTORS, DIM), out=out), 3)
    return (lambda: features.transform(X)), rows / kernel


def fitted_regressor():
    """EquivariantRegressor for the trace of the inertia tensor, ``2 sum_i m_i <r_i, r_i>``.

    Degree-2 polynomials of the 20 invariants (231 coefficients): exact for the trace.
    """
    train = Inertia(500, seed=0)
    trace = train.y[:, [0, 4, 8]].sum(1)
    return EquivariantRegressor(group="O(3)", layout="5T0+5T1").fit(train.X, trace)


_STATE = {}


def _predict_process_init(rows, barrier):
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(1)
    _STATE["limits"] = threadpool_limits(1)  # kept: limits last while the object lives
    _STATE["model"], _STATE["X"], _STATE["barrier"] = fitted_regressor(), inertia_inputs_chunk(rows, 10_000), barrier
    _STATE["model"].predict(_STATE["X"][:1000])


def _predict_once(_):
    _STATE["barrier"].wait()  # both processes start together, one pass each
    start = time.perf_counter()
    _STATE["model"].predict(_STATE["X"])
    return time.perf_counter() - start


def in_memory_predict(rows, processes):
    """A pass of in-memory ``predict`` over ``rows`` in each of ``processes`` processes at once.

    One thread each (numba and BLAS): the in-memory predict on every core, under the same
    load as the workers. Returns a function that shuts the processes down and a function
    timing one pass, which returns the time of the slower process.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_predict_process_init,
                               initargs=(rows, manager.Barrier(processes)))

    def run():
        return max(pool.map(_predict_once, range(processes)))

    def close():
        pool.shutdown()
        manager.shutdown()

    run()
    return close, run


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scalars bench scale", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1e6 rows to featurize, 2e5 to predict, one repeat")
    parser.add_argument("--rows", type=float, default=1e8, help="rows of 5 x 3 vectors to featurize (default 1e8)")
    parser.add_argument("--chunk-rows", type=float, default=5e5,
                        help="rows per chunk (default 5e5: 29 MB, under glibc's 32 MB mmap ceiling)")
    parser.add_argument("--predict-rows", type=float, default=1e7, help="rows to predict (default 1e7)")
    parser.add_argument("--predict-chunk-rows", type=float, default=5e5, help="rows per prediction chunk (default 5e5)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes of each pipeline; the best counts")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.chunk_rows, args.predict_rows, args.predict_chunk_rows = 1e6, 2.5e5, 2e5, 1e5
        args.repeats = 1
    rows, chunk_rows = int(args.rows), int(args.chunk_rows)
    predict_rows, predict_chunk_rows = int(args.predict_rows), int(args.predict_chunk_rows)

    try:
        import dask
        from dask_ml.wrappers import ParallelPostFit
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise SystemExit(f"python -m scalars bench scale needs dask: pip install scalars[dask] ({error})")
    from scalars.parallel import featurize, postfit_meta, worker_config

    started = time.perf_counter()
    load_before = _load()
    print(f"{os.cpu_count()} cores, {load_before} before", flush=True)

    features = InvariantFeatures(group="O(3)", layout=LAYOUT).fit(vectors_chunk(10, 0))
    memory_rows = min(rows, 10_000_000)
    memory_pass, kernel_rate = in_memory_featurize(memory_rows)
    model = fitted_regressor()
    memory_predict_rows = min(predict_rows, 1_000_000)
    close_predict_processes, memory_predict_pass = in_memory_predict(memory_predict_rows, args.workers)

    environ = dict(os.environ)  # the Nanny writes the workers' variables into ours: put them back
    try:
        with dask.config.set(worker_config()):  # one numba thread per task, glibc's malloc thresholds
            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=logging.ERROR)
    finally:
        os.environ.clear()
        os.environ.update(environ)
    with cluster, Client(cluster) as client:
        print(f"LocalCluster: {args.workers} workers x 1 thread, dashboard {client.dashboard_link}", flush=True)
        X = _lazy(vectors_chunk, rows, chunk_rows, N_VECTORS * DIM, np.float32)
        Z = featurize(features, X)
        featurize(features, X[: 2 * chunk_rows]).sum(axis=0, dtype=np.float64).compute()  # warm up, compile
        baseline_rss = client.run(_rss_mb)
        client.run(_reset_peak_rss)
        # In memory (workers idle) and on the cluster (this process idle), in turn: the other
        # engineers' load then weighs on both alike.
        best, passes = _alternate({
            "in memory": memory_pass,
            "draw + sum": lambda: X.sum(axis=0, dtype=np.float64).compute(),
            "draw + featurize + sum": lambda: Z.sum(axis=0, dtype=np.float64).compute(),
        }, args.repeats)
        peak_rss = client.run(_peak_rss_mb)
        memory_rate = memory_rows / best["in memory"]
        cluster_rate = rows / (best["draw + featurize + sum"] - best["draw + sum"])
        ratios = [rows / (f - b) / (memory_rows / m) for m, b, f in zip(*passes.values())]
        print(f"featurize passes (s): {_rounded(passes)}", flush=True)
        picks = sorted({0, Z.numblocks[0] // 2, Z.numblocks[0] - 1})
        identical = all(
            np.array_equal(Z.blocks[i].compute(), features.transform(vectors_chunk(X.chunks[0][i], i))) for i in picks
        )

        P_inputs = _lazy(inertia_inputs_chunk, predict_rows, predict_chunk_rows, 20, np.float64)
        wrapped = ParallelPostFit(model, **postfit_meta(model))
        P = wrapped.predict(P_inputs)
        wrapped.predict(P_inputs[:predict_chunk_rows]).sum().compute()  # warm up
        client.run(_reset_peak_rss)
        predict_best, predict_passes = _alternate({
            f"in memory, {args.workers} processes": memory_predict_pass,
            "draw + sum": lambda: P_inputs[:, 0].sum().compute(),
            "draw + predict + sum": lambda: P.sum().compute(),
        }, args.repeats)
        predict_peak_rss = client.run(_peak_rss_mb)
        close_predict_processes()
        predict_rate = memory_predict_rows / predict_best[f"in memory, {args.workers} processes"]
        cluster_predict_rate = predict_rows / (predict_best["draw + predict + sum"] - predict_best["draw + sum"]) / args.workers
        predict_ratios = [predict_rows / (f - b) / args.workers / (memory_predict_rows / m)
                          for m, b, f in zip(*predict_passes.values())]
        print(f"predict passes (s): {_rounded(predict_passes)}", flush=True)
        predict_picks = sorted({0, P.numblocks[0] - 1})
        predict_identical = all(
            np.array_equal(P.blocks[i].compute(), model.predict(inertia_inputs_chunk(P_inputs.chunks[0][i], i)))
            for i in predict_picks
        )
    load_after = _load()

    chunk_mb = chunk_rows * N_VECTORS * DIM * 4 / 2**20
    ratio = cluster_rate / memory_rate
    predict_ratio = cluster_predict_rate / predict_rate
    gb = rows * N_VECTORS * DIM * 4 / 1e9
    print(f"\nO(3) invariants of {rows:.0e} x {N_VECTORS} x {DIM} float32 ({gb:.1f} GB in, {gb:.1f} GB out), "
          f"chunks of {chunk_rows:.0e} rows ({chunk_mb:.0f} MB in, {chunk_mb:.0f} MB out); "
          f"{args.workers} worker processes x 1 thread; {load_before} before, {load_after} after\n")
    print("| measurement | value | target |")
    print("|---|---|---|")
    print(f"| in-memory transform, {memory_rows:.0e} rows, numba on {os.cpu_count()} cores | "
          f"{memory_rate / 1e6:.2f} M rows/s (the gram_upper kernel alone: {kernel_rate / 1e6:.1f}) | |")
    print(f"| dask: draw + sum / draw + featurize + sum, wall | {best['draw + sum']:.1f} s / "
          f"{best['draw + featurize + sum']:.1f} s | |")
    print(f"| dask featurize throughput (rows / added wall time) | {cluster_rate / 1e6:.2f} M rows/s = "
          f"{ratio:.0%} of in memory (pass by pass: {', '.join(f'{r:.0%}' for r in ratios)}) | "
          f">= 70% {'met' if ratio >= 0.7 else 'MISSED'} |")
    for worker, peak in sorted(peak_rss.items()):
        print(f"| peak RSS of worker {worker.rsplit(':', 1)[-1]} while featurizing | {peak:.0f} MB ({(peak - baseline_rss[worker]) / chunk_mb:.1f} "
              f"chunks above its {baseline_rss[worker]:.0f} MB after imports) | a few chunks |")
    print(f"| chunks {picks} equal to in-memory transform, bit for bit | {'yes' if identical else 'NO'} | yes |")
    predict_chunk_mb = predict_chunk_rows * 20 * 8 / 2**20
    print(f"| peak RSS of the workers while predicting | {', '.join(f'{v:.0f}' for _, v in sorted(predict_peak_rss.items()))} MB "
          f"(chunks of {predict_chunk_mb:.0f} MB) | |")
    print(f"| in-memory predict, {memory_predict_rows:.0e} rows in each of {args.workers} processes at once, "
          f"one thread each, per core | {predict_rate / 1e3:.0f} k rows/s | |")
    print(f"| ParallelPostFit predict, {predict_rows:.0e} rows, per core | {cluster_predict_rate / 1e3:.0f} k rows/s = "
          f"{predict_ratio:.0%} of in memory (pass by pass: {', '.join(f'{r:.0%}' for r in predict_ratios)}) | "
          f">= 70% {'met' if predict_ratio >= 0.7 else 'MISSED'} |")
    print(f"| chunks {predict_picks} of predict equal to in-memory, bit for bit | {'yes' if predict_identical else 'NO'} | yes |")
    print(f"\n{time.perf_counter() - started:.0f} s of wall time")
    return 0 if identical and predict_identical else 1


if __name__ == "__main__":
    sys.exit(main())
