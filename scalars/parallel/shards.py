"""Data sets written as ``.npy`` shards on disk, one dask task a shard, and read back lazily.

See :mod:`scalars.parallel` for the overview; this module needs dask.
"""

import json
import os
from pathlib import Path

import dask
import dask.array as da
import numpy as np

__all__ = ["write_shards", "from_shards", "shard_info"]

_INFO = "shards.json"


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
