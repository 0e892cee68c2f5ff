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

try:
    import dask
    import dask.array as da
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "scalars.parallel needs dask (dask[array], distributed and dask-ml): "
        "pip install scalars[dask]"
    ) from error

import json
import math
import os
import uuid
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

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

#: Environment of a dask worker process that runs one task per thread: numba's kernels and
#: BLAS then use one thread per task instead of one per core per task (for ``dask worker``
#: or a dask-jobqueue ``job_script_prologue``; a Nanny reads it through :func:`worker_config`).
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1"}


def worker_config():
    """dask config under which a Nanny starts fast worker processes for ``scalars``.

    For ``dask.config.set(worker_config())`` around the creation of a
    ``distributed.LocalCluster`` (or any cluster whose workers have a Nanny, such as
    dask-jobqueue's). It sets :data:`WORKER_ENV` before each worker process starts (numba
    reads ``NUMBA_NUM_THREADS`` when it is imported, which is before the Nanny's ``env=``
    applies), and leaves ``MALLOC_TRIM_THRESHOLD_`` unset: distributed sets it to 64 kB by
    default, which turns off glibc's adaptive mmap threshold, so that every array of more
    than 128 kB is mapped and page-faulted afresh; predicting with
    :class:`~scalars.EquivariantRegressor` was 3 times slower so. Worker memory is then
    returned to the OS less eagerly.

    Note that the Nanny writes these variables into ``os.environ`` of the process that
    starts it (as distributed does with its own defaults).

    Returns
    -------
    dict
        Dotted ``distributed.nanny.pre-spawn-environ`` keys for :func:`dask.config.set`.
    """
    config = {f"distributed.nanny.pre-spawn-environ.{name}": value for name, value in WORKER_ENV.items()}
    config["distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"] = None
    return config

_INFO = "shards.json"


def featurize(transformer, X):
    """Lazy features of a dask array chunked by rows, bit-identical to ``transform``.

    Parameters
    ----------
    transformer : fitted transformer
        :class:`~scalars.InvariantFeatures`, :class:`~scalars.DimensionlessFeatures`, a
        Pipeline of them, or any fitted transformer that works row by row.
    X : dask array of shape (n_samples, n_features)
        Chunked by rows. Several column chunks are merged into one (each row needs all its
        columns); a numpy array is wrapped as a dask array of one chunk.

    Returns
    -------
    dask array of shape (n_samples, n_features_out)
        Same row chunks as ``X``; dtype and width those of ``transformer.transform``.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, has the wrong number of columns, or has several column chunks
        and rows chunks of unknown size (which cannot be merged without computing them).
        When computed, a ValueError of ``transform`` on a chunk, with the first failing row
        of ``X`` (not of the chunk) in front of its message.
    sklearn.exceptions.NotFittedError
        If ``transformer`` is not fitted.
    """
    return _map_rows(transformer, X, "transform")


def predict(estimator, X):
    """Lazy predictions for a dask array chunked by rows, bit-identical to ``predict``.

    Parameters
    ----------
    estimator : fitted regressor
        :class:`~scalars.EquivariantRegressor`, :class:`~scalars.EquivariantMLPRegressor`,
        :class:`~scalars.UnitsEquivariantRegressor`, a Pipeline ending in one, or any fitted
        estimator that predicts row by row.
    X : dask array of shape (n_samples, n_features)
        Chunked by rows, as in :func:`featurize`.

    Returns
    -------
    dask array of shape (n_samples,) or (n_samples, n_outputs)
        The shape of ``estimator.predict``: one column for an invariant output, the
        flat columns of a vector or tensor output (``d * d`` for ``"T2"``).

    Raises
    ------
    ValueError, sklearn.exceptions.NotFittedError
        As for :func:`featurize`.
    """
    return _map_rows(estimator, X, "predict")


def _map_rows(estimator, X, method):
    check_is_fitted(estimator)
    X = _as_row_chunked(X, getattr(estimator, "n_features_in_", None), type(estimator).__name__)
    probe = _probe(estimator, method, X)
    meta = np.empty((0,) + probe.shape[1:], dtype=probe.dtype)
    kwargs = dict(dtype=probe.dtype, meta=meta)
    if probe.ndim == 1:
        kwargs["drop_axis"] = 1
    else:
        kwargs["chunks"] = (X.chunks[0],) + tuple((n,) for n in probe.shape[1:])
    # The estimator goes into the graph once (one key), not once per chunk.
    fitted = dask.delayed(estimator, name=f"{type(estimator).__name__.lower()}-{uuid.uuid4().hex}")
    return da.map_blocks(
        _apply, X, fitted, method, meta.shape[1:], name=f"{type(estimator).__name__}.{method}", **kwargs
    )


def _apply(block, estimator, method, trailing, block_info=None):
    """``estimator.<method>(block)`` as an ndarray; an empty block gives an empty result.

    A ValueError names the first row of the whole array on which ``method`` fails: the
    estimator only sees the block, and counts its rows from the block's first.
    """
    if len(block) == 0:  # scikit-learn refuses zero rows; dask makes them (e.g. X[mask])
        return np.empty((0,) + tuple(trailing), dtype=_probe(estimator, method, block).dtype)
    call = getattr(estimator, method)
    try:
        return np.asarray(call(block))  # a DataFrame (set_output) as array
    except ValueError as error:
        start = block_info[0]["array-location"][0][0] if block_info else 0
        row = _first_failing_row(call, block)
        where = f"row {start + row} of X" if row is not None else f"the rows {start} to {start + len(block) - 1} of X"
        raise ValueError(
            f"{type(estimator).__name__}.{method} failed on {where} (its chunk starts at row {start}, "
            f"and the message counts rows and samples from there): {error}"
        ) from error


def _first_failing_row(call, block):
    """The first row of ``block`` on which ``call`` fails, or None if no single row does.

    ``call(block)`` failed. Bisection over prefixes (a row-by-row ``call`` fails on a
    prefix exactly when the prefix holds a bad row), confirmed on the row alone.
    """
    def fails(rows):
        try:
            call(rows)
        except ValueError:
            return True
        return False

    low, high = 0, len(block)  # the prefix of ``high`` rows fails, that of ``low`` is taken not to
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if fails(block[:middle]) else (middle, high)
    return high - 1 if fails(block[high - 1 : high]) else None


def _probe(estimator, method, X):
    """Output of ``method`` on two rows of ones: its dtype and trailing shape.

    Ones are valid input for every estimator here (a monomial of ones is 1, a zero
    would be refused by the units featurizers).
    """
    try:
        return np.asarray(getattr(estimator, method)(np.ones((2, X.shape[1]), dtype=X.dtype)))
    except Exception as error:
        error.add_note(
            f"scalars.parallel: {type(estimator).__name__}.{method} failed on two rows of ones, "
            "which are used to find the dtype and shape of its output"
        )
        raise


def _as_row_chunked(X, n_features, name):
    """X as a 2-D dask array with a single chunk along the columns."""
    if not isinstance(X, da.Array):
        if not hasattr(X, "shape") or hasattr(X, "dask"):
            raise TypeError(
                f"expected a dask array (or numpy array), got {type(X).__name__}; "
                "a dask DataFrame becomes one with df.to_dask_array(lengths=True)"
            )
        X = da.from_array(np.asarray(X), chunks=-1)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if math.isnan(X.shape[1]):
        raise ValueError(f"X has an unknown number of columns (shape {X.shape}); "
                         "call X.compute_chunk_sizes() first")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} columns but {name} was fitted on {n_features}")
    if X.numblocks[1] > 1:
        if any(math.isnan(c) for c in X.chunks[0]):
            raise ValueError(
                f"X has {X.numblocks[1]} column chunks {X.chunks[1]} and row chunks of unknown "
                "size, so they cannot be merged into whole rows; call X.compute_chunk_sizes() "
                "first, or chunk X by rows only (chunks=(rows, -1))"
            )
        X = X.rechunk({1: -1})
    return X


def postfit_meta(estimator, X=None):
    """Keyword arguments that ``dask_ml.wrappers.ParallelPostFit`` needs for ``estimator``.

    dask-ml finds the output type of an estimator by calling it on a row of zeros, which
    the units featurizers refuse (a monomial with a negative power of zero is undefined):
    ``ParallelPostFit(estimator, **postfit_meta(estimator))`` declares ``predict_meta``
    and ``transform_meta`` instead. dask-ml's wrapper keeps the input's column chunks for a
    transform and drops the columns of a prediction, so it gives the right lazy shape only
    for transforms that keep the number of columns and one-column predictions: use
    :class:`ParallelPostFit` from this module for the others.

    Parameters
    ----------
    estimator : estimator, fitted or not
        A fitted one gives the dtype of its output (probed on ones of ``X``'s dtype); an
        unfitted one is declared float64, 1-D for ``predict`` and 2-D for ``transform``.
    X : dask array, default=None
        The input, for its dtype (float64 if None).

    Returns
    -------
    dict with keys among ``"predict_meta"``, ``"transform_meta"``
    """
    dtype = np.float64 if X is None else X.dtype
    meta = {}
    for method, ndim in (("predict", 1), ("transform", 2)):
        if not hasattr(estimator, method):
            continue
        try:
            check_is_fitted(estimator)
            probe = _probe(estimator, method, np.empty((0, estimator.n_features_in_), dtype))
            meta[f"{method}_meta"] = np.empty((0,) * probe.ndim, dtype=probe.dtype)
        except Exception:
            meta[f"{method}_meta"] = np.empty((0,) * ndim, dtype=np.float64)
    return meta


def __getattr__(name):
    # dask-ml is imported only when ParallelPostFit is asked for: it takes seconds to import.
    if name == "ParallelPostFit":
        from scalars._dask_ml import ParallelPostFit

        globals()[name] = ParallelPostFit
        return ParallelPostFit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------
# Shards on disk


def write_shards(path, generate, n_samples, *, rows_per_shard=1_000_000, seed=0,
                 overwrite=False, compute=True):
    """Generate a data set shard by shard into ``path`` as ``.npy`` files.

    Shard ``i`` holds rows ``i * rows_per_shard`` onwards and is drawn with its own
    generator ``np.random.default_rng([seed, i])``, on its own dask task: the data set is
    never in memory as a whole (each task holds one shard), and a cluster writes its shards
    in parallel (every worker must see ``path``). The same arguments give the same files,
    whatever the scheduler.

    Parameters
    ----------
    path : str or Path
        Directory to create; it holds ``X-00000.npy``, ``y-00000.npy``, ... and
        ``shards.json`` (shapes, dtypes, rows per shard and, for a data set class, its
        ``estimator_params()``).
    generate : RegressionDataset subclass or callable
        A class of :mod:`scalars.datasets` (``Inertia``, ``O5Synthetic``, ...), drawn as
        ``generate(rows, seed=(seed, i))`` and written as ``X`` and ``y``; or a callable
        ``generate(rows, rng)`` returning an array (written as ``X``), a tuple
        ``(X, y)`` or a dict of arrays (written under their keys), each with ``rows`` rows.
    n_samples : int
    rows_per_shard : int, default=1_000_000
    seed : int, default=0
    overwrite : bool, default=False
        Replace the shards of an existing ``path``; otherwise an existing ``shards.json``
        is an error.
    compute : bool, default=True
        Write now (on the current dask scheduler); False returns the dask.delayed task that
        writes them and returns the info.

    Returns
    -------
    dict
        The contents of ``shards.json`` (see :func:`shard_info`).
    """
    path = Path(path)
    n_samples, rows_per_shard = int(n_samples), int(rows_per_shard)
    if n_samples < 1 or rows_per_shard < 1:
        raise ValueError(f"n_samples and rows_per_shard must be positive, got {n_samples} and "
                         f"{rows_per_shard}")
    if (path / _INFO).exists() and not overwrite:
        raise FileExistsError(f"{path} holds shards already; pass overwrite=True to replace them")
    path.mkdir(parents=True, exist_ok=True)
    rows = [min(rows_per_shard, n_samples - start) for start in range(0, n_samples, rows_per_shard)]
    shards = [dask.delayed(_write_shard, pure=True)(str(path), generate, i, r, seed)
              for i, r in enumerate(rows)]
    info = dask.delayed(_write_info, pure=True)(str(path), generate, rows, seed, shards)
    return info.compute() if compute else info


def _write_shard(path, generate, index, rows, seed):
    arrays = _generated_arrays(generate, rows, seed, index)
    for name, array in arrays.items():
        if len(array) != rows:
            raise ValueError(f"generate gave {name} with {len(array)} rows for a shard of {rows}")
        target = Path(path) / f"{name}-{index:05d}.npy"
        partial = target.with_suffix(f".{os.getpid()}.partial")
        with open(partial, "wb") as file:
            np.save(file, np.ascontiguousarray(array))
        os.replace(partial, target)  # a reader never sees half a shard
    return {name: [list(array.shape[1:]), array.dtype.str] for name, array in arrays.items()}


def _generated_arrays(generate, rows, seed, index):
    from scalars.datasets import RegressionDataset

    if isinstance(generate, type) and issubclass(generate, RegressionDataset):
        data = generate(rows, seed=(seed, index))
        return {"X": data.X, "y": data.y}
    out = generate(rows, np.random.default_rng([seed, index]))
    if isinstance(out, dict):
        return {str(k): np.asarray(v) for k, v in out.items()}
    if isinstance(out, tuple):
        if len(out) != 2:
            raise ValueError(f"generate returned a tuple of {len(out)} arrays; expected (X, y)")
        return {"X": np.asarray(out[0]), "y": np.asarray(out[1])}
    return {"X": np.asarray(out)}


def _write_info(path, generate, rows, seed, shards):
    first = shards[0]
    for index, shard in enumerate(shards):
        if shard != first:
            raise ValueError(f"shard {index} has arrays {shard}, shard 0 has {first}")
    info = {
        "n_samples": int(sum(rows)),
        "rows": [int(r) for r in rows],
        "seed": seed,
        "arrays": {name: {"shape": shape, "dtype": dtype} for name, (shape, dtype) in first.items()},
        "generator": getattr(generate, "__qualname__", repr(generate)),
    }
    if isinstance(generate, type) and hasattr(generate, "estimator_params"):
        info["estimator_params"] = {k: getattr(generate, k) for k in ("group", "layout", "output", "particles")}
    (Path(path) / _INFO).write_text(json.dumps(info, indent=1))
    return info


def shard_info(path):
    """The contents of ``path/shards.json`` written by :func:`write_shards`.

    Keys: ``n_samples``, ``rows`` (rows of each shard), ``seed``, ``arrays`` (name ->
    ``shape`` past the rows and ``dtype``), ``generator`` and, for a data set class,
    ``estimator_params``.
    """
    file = Path(path) / _INFO
    if not file.exists():
        raise FileNotFoundError(f"{path} has no {_INFO}: not a directory of shards from write_shards")
    return json.loads(file.read_text())


def from_shards(path, name="X", *, mmap_mode=None):
    """A lazy dask array over the shards of one array written by :func:`write_shards`.

    Parameters
    ----------
    path : str or Path
    name : str, default="X"
        Which array: ``"X"``, ``"y"`` or a key of the generator's dict.
    mmap_mode : {None, "r"}, default=None
        None reads a shard into memory when its chunk is computed; ``"r"`` maps it
        (no copy; keep the chunk on the worker that opened it).

    Returns
    -------
    dask array
        One chunk per shard, of shape ``(n_samples,) + shape`` and the stored dtype.
    """
    info = shard_info(path)
    if name not in info["arrays"]:
        raise KeyError(f"{path} has arrays {sorted(info['arrays'])}, not {name!r}")
    spec = info["arrays"][name]
    trailing, dtype = tuple(spec["shape"]), np.dtype(spec["dtype"])
    chunks = (tuple(info["rows"]),) + tuple((n,) for n in trailing)
    files = [str(Path(path) / f"{name}-{i:05d}.npy") for i in range(len(info["rows"]))]
    return da.map_blocks(
        _load_shard, files=files, mmap_mode=mmap_mode, chunks=chunks, dtype=dtype,
        meta=np.empty((0,) * len(chunks), dtype=dtype), name=f"shards-{name}-{dask.base.tokenize(str(Path(path).resolve()), name, info)}",
    )


def _load_shard(files, mmap_mode, block_id=None):
    return np.load(files[block_id[0]], mmap_mode=mmap_mode)
