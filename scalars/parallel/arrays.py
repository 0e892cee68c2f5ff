"""Featurize and predict on dask arrays chunked by rows, bit-identical to the in-memory code.

See :mod:`scalars.parallel` for the overview; this module needs dask.
"""


try:
    import dask
    import dask.array as da
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "scalars.parallel needs dask (dask[array], distributed and dask-ml): "
        "pip install scalars[dask]"
    ) from error

import math
import uuid

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["featurize", "predict", "postfit_meta", "WORKER_ENV", "worker_config"]

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
