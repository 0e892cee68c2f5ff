"""Featurize and predict on dask arrays, and data sets written as shards on disk.

Every featurizer and estimator of ``scalars`` works row by row, so a dask array chunked
by rows is featurized (or predicted) chunk by chunk with the in-memory code, and the
result is bit-identical to calling ``transform`` (or ``predict``) on the whole array::

    >>> import dask.array as da
    >>> import numpy as np
    >>> from scalars import InvariantFeatures
    >>> from scalars.parallel import featurize
    >>> X = da.random.default_rng(0).standard_normal((10_000, 7), chunks=(2_500, 7))
    >>> features = InvariantFeatures(group="O(3)", layout="T0+2T1").fit(X[:10].compute())
    >>> Z = featurize(features, X)          # lazy: nothing is computed yet
    >>> Z.shape, Z.chunksize
    ((10000, 4), (2500, 4))
    >>> bool(np.array_equal(Z.compute(), features.transform(X.compute())))
    True

The same code runs on a laptop (dask's threads), on a ``distributed.LocalCluster`` or
on a cluster of many machines (``dask_jobqueue`` or ``distributed.Client(address)``):
dask picks the scheduler, this module only builds the graph. Start the worker processes
under :func:`worker_config`, which gives each task one numba and BLAS thread and keeps
glibc's malloc fast::

    with dask.config.set(worker_config()):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1)

:class:`ParallelPostFit` is ``dask_ml.wrappers.ParallelPostFit`` with the right output
shape for every estimator here: dask-ml's own wrapper assumes a transform keeps the
number of columns and a prediction is one column (see :func:`postfit_meta` for what it
needs to work with the estimators it can handle).

:func:`write_shards` generates a data set chunk by chunk into ``.npy`` shards (each shard
on one dask task, so a cluster writes them in parallel) and :func:`from_shards` reads
them back as a lazy dask array, one chunk per shard.

dask is an optional dependency: ``pip install scalars[dask]``.
"""

from scalars.parallel.arrays import WORKER_ENV, featurize, postfit_meta, predict, worker_config
from scalars.parallel.shards import from_shards, shard_info, write_shards

__all__ = [
    "featurize",
    "predict",
    "ParallelPostFit",
    "postfit_meta",
    "write_shards",
    "from_shards",
    "shard_info",
    "WORKER_ENV",
    "worker_config",
]


def __getattr__(name):
    # dask-ml is imported only when ParallelPostFit is asked for: it takes seconds to import.
    if name == "ParallelPostFit":
        from scalars.parallel.dask_ml import ParallelPostFit

        globals()[name] = ParallelPostFit
        return ParallelPostFit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
