"""Trajectory data sets of any :class:`~scalars.dynamics.System`, seeded and cached on disk.

:func:`trajectory_data` draws initial states with the system's own
:meth:`~scalars.dynamics.System.sample_initial_states` and integrates reference
trajectories; :func:`pendulum_data` is the springy double pendulum's protocol, below.

The protocol is the one of the EMLP paper (Finzi et al. 2021), reused by Villar et al.
(2021): initial states ``q1 = (0, 0, -1.5) + 0.2 N(0, I)``, ``q2 = (0, 0, -3) + 0.2 N(0, I)``,
``p = 0.4 N(0, I_6)``; trajectories of 30 time units saved every 0.2 (150 points); for
training, one random chunk of 5 consecutive points out of the 30 aligned chunks of each
trajectory; for testing, whole trajectories from fresh initial states.

The units variant (Villar et al., JMLR 2023) draws a system per trajectory: masses, spring
constants and natural lengths from U(1, 2), and ``g`` of magnitude U(1, 2) in a random
direction; the initial states are rotated so that "down" is along ``g``. Its test sets
come in three settings: ``"in-distribution"``; ``"rescaled-masses"``, where every input
that carries mass (masses, spring constants, momenta) is multiplied by a per-system factor
from U(3, 7); ``"wide-parameters"``, with m, k, L from U(1, 5).

Data sets are cached in :func:`cache_dir` (default ``~/.cache/scalars``) in an ``.npz``
file named after a hash of the configuration, with a SHA-256 checksum of the arrays that
is checked on every load.
"""

import hashlib
import json
import os
import warnings
import zipfile
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils import check_scalar

from scalars.dynamics.pendulum import DoubleSpringPendulum

__all__ = ["PendulumData", "TrajectoryData", "pendulum_data", "trajectory_data", "sample_initial_states", "cache_dir", "cached_arrays"]

# Bump when the generator changes, so that old cache files are not reused.
_FORMAT = 1

VARIANTS = ("emlp", "units")
TEST_SETTINGS = ("in-distribution", "rescaled-masses", "wide-parameters")
PARAMETER_NAMES = ("m1", "m2", "k1", "k2", "L1", "L2")


@dataclass(frozen=True)
class PendulumData:
    """Training chunks and test trajectories, with the system of each.

    Attributes
    ----------
    t_chunk : ndarray of shape (C,)
        Times of the points of a training chunk, from 0.
    train : ndarray of shape (n_train, C, 12)
        Training chunks of states ``(q1, q2, p1, p2)``.
    train_params : ndarray of shape (n_train, 6)
        ``m1, m2, k1, k2, L1, L2`` of the system of each training chunk.
    train_g : ndarray of shape (n_train, 3)
        Gravity vector of each training system.
    t : ndarray of shape (T,)
        Times of the test trajectories, from 0.
    test, test_params, test_g : ndarrays of shapes (n_test, T, 12), (n_test, 6), (n_test, 3)
        Test trajectories and their systems.
    checksum : str
        SHA-256 of all arrays: equal checksums mean identical data.
    """

    t_chunk: np.ndarray
    train: np.ndarray
    train_params: np.ndarray
    train_g: np.ndarray
    t: np.ndarray
    test: np.ndarray
    test_params: np.ndarray
    test_g: np.ndarray
    checksum: str


@dataclass(frozen=True)
class TrajectoryData:
    """Training chunks and test trajectories of one system.

    Attributes
    ----------
    t_chunk : ndarray of shape (C,)
        Times of the points of a training chunk, from 0.
    train : ndarray of shape (n_train, C, state_size)
        Training chunks.
    t : ndarray of shape (T,)
        Times of the test trajectories, from 0.
    test : ndarray of shape (n_test, T, state_size)
        Test trajectories.
    checksum : str
        SHA-256 of all arrays: equal checksums mean identical data.
    """

    t_chunk: np.ndarray
    train: np.ndarray
    t: np.ndarray
    test: np.ndarray
    checksum: str


def cache_dir():
    """Directory for cached data sets: ``$SCALARS_CACHE``, else ``scalars`` in
    ``$XDG_CACHE_HOME`` (default ``~/.cache``)."""
    if "SCALARS_CACHE" in os.environ:
        return Path(os.environ["SCALARS_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "scalars"


def sample_initial_states(n, rng, g=None):
    """Initial states of the EMLP protocol, rotated so that "down" points along ``g``.

    Parameters
    ----------
    n : int
    rng : numpy.random.Generator
    g : array of shape (n, 3) or (3,), optional
        Gravity vectors; default ``(0, 0, -1)`` (no rotation).

    Returns
    -------
    ndarray of shape (n, 12)
    """
    q1 = np.array([0.0, 0.0, -1.5]) + 0.2 * rng.standard_normal((n, 3))
    q2 = np.array([0.0, 0.0, -3.0]) + 0.2 * rng.standard_normal((n, 3))
    p = 0.4 * rng.standard_normal((n, 6))
    z0 = np.concatenate([q1, q2, p], axis=-1)
    if g is None:
        return z0
    rotations = _rotations_taking_down_to(np.broadcast_to(g, (n, 3)))
    return np.einsum("nij,nkj->nki", rotations, z0.reshape(n, 4, 3)).reshape(n, 12)


def _rotations_taking_down_to(g):
    """Rotations ``R`` (n, 3, 3) with ``R (0, 0, -1) = g / |g|``, by Rodrigues' formula."""
    down = np.array([0.0, 0.0, -1.0])
    target = g / np.linalg.norm(g, axis=-1, keepdims=True)
    axis = np.cross(down, target)
    sin = np.linalg.norm(axis, axis=-1)
    cos = target @ down
    K = np.zeros(g.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -axis[..., 2], axis[..., 1], -axis[..., 0]
    K = K - np.swapaxes(K, -1, -2)
    # R = I + K + K^2 (1 - cos) / sin^2; for g = -down, rotate by pi about the x axis.
    factor = np.where(sin > 1e-12, (1 - cos) / np.maximum(sin, 1e-12) ** 2, 0.0)
    R = np.eye(3) + K + factor[..., None, None] * (K @ K)
    flipped = cos < -1 + 1e-12
    R[flipped] = np.diag([1.0, -1.0, -1.0])
    return R


def _sample_systems(n, rng, low, high):
    params = rng.uniform(low, high, size=(n, 6))
    direction = rng.standard_normal((n, 3))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    g = direction * rng.uniform(1.0, 2.0, size=(n, 1))
    return params, g


def _trajectories(z0, t, params, g):
    """Reference trajectories (n, T, 12), one system per row of ``params`` and ``g``."""
    return DoubleSpringPendulum(*params.T, g=g).trajectory(z0, t)


def _generate(n_train, n_test, variant, test, chunk_len, dt, duration, seed):
    train_rng, test_rng = _streams(seed)
    t, n_chunks = _time_grid(chunk_len, dt, duration)

    def systems(n, rng, low=1.0, high=2.0):
        if variant == "emlp":
            reference = DoubleSpringPendulum.emlp()
            params = np.array([[getattr(reference, name) for name in PARAMETER_NAMES]])
            return np.repeat(params, n, axis=0), np.repeat(reference.g[None], n, axis=0)
        return _sample_systems(n, rng, low, high)

    train_params, train_g = systems(n_train, train_rng)
    z0 = sample_initial_states(n_train, train_rng, train_g)
    chunk_index = train_rng.integers(0, n_chunks, size=n_train)
    train = _chunks(lambda z, times: _trajectories(z, times, train_params, train_g), z0, t, chunk_index, chunk_len)

    test_params, test_g = systems(n_test, test_rng, *((1.0, 5.0) if test == "wide-parameters" else (1.0, 2.0)))
    z0 = sample_initial_states(n_test, test_rng, test_g)
    if test == "rescaled-masses":
        scale = test_rng.uniform(3.0, 7.0, size=n_test)
        test_params = test_params * np.where(np.isin(PARAMETER_NAMES, ("m1", "m2", "k1", "k2")), scale[:, None], 1.0)
        z0[:, 6:] *= scale[:, None]
    test_trajectories = _trajectories(z0, t, test_params, test_g)
    return dict(
        t_chunk=t[:chunk_len],
        train=train,
        train_params=train_params,
        train_g=train_g,
        t=t,
        test=test_trajectories,
        test_params=test_params,
        test_g=test_g,
    )


def _streams(seed):
    """Independent training and test generators of ``seed``."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2)]


def _time_grid(chunk_len, dt, duration):
    """Saved times ``round(duration / dt)`` (T,) and the number of aligned chunks in them."""
    t = np.arange(round(duration / dt)) * dt
    n_chunks = len(t) // chunk_len
    if n_chunks < 1:
        raise ValueError(
            f"chunk_len={chunk_len} points do not fit in the round(duration / dt) = {len(t)} points of a "
            "trajectory; lower chunk_len or dt, or raise duration"
        )
    return t, n_chunks


def _chunks(trajectory, z0, t, chunk_index, chunk_len):
    """Chunk ``chunk_index[i]`` of the trajectory from each ``z0[i]``: (n, chunk_len, k).

    ``trajectory(z0, t)`` integrates; only up to the end of the last chosen chunk.
    """
    whole = trajectory(z0, t[: (chunk_index.max() + 1) * chunk_len])
    starts = chunk_index * chunk_len
    return np.stack([whole[i, s : s + chunk_len] for i, s in enumerate(starts)])


def _check_protocol(n_train, n_test, chunk_len, dt, duration, seed):
    """Raise, naming the argument, unless sizes are positive integers, ``dt`` and
    ``duration`` positive finite numbers and ``seed`` a non-negative integer."""
    for name, value in dict(n_train=n_train, n_test=n_test, chunk_len=chunk_len).items():
        check_scalar(value, name, Integral, min_val=1)
    check_scalar(seed, "seed", Integral, min_val=0)
    for name, value in dict(dt=dt, duration=duration).items():
        check_scalar(value, name, Real, min_val=0, include_boundaries="neither")
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")


def cached_arrays(prefix, config, generate, cache):
    """The arrays and ``checksum`` of the data set ``config``: from the cache file named by
    ``prefix`` and a hash of ``config`` if it is intact, else from ``generate()`` (stored).

    Parameters
    ----------
    prefix : str
        Start of the cache file's name (the kind of data set).
    config : dict
        JSON-serialisable settings that determine the data; their hash names the file.
    generate : callable
        ``generate() -> dict of str to ndarray``, called when the cache cannot serve.
    cache : bool
        Whether to read and write the cache file (in :func:`cache_dir`).

    Returns
    -------
    dict
        The arrays, and ``checksum`` (str).
    """
    key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / f"{prefix}-{key}.npz"
    if cache and path.exists():
        cached = load_checked(path, stacklevel=4)
        if cached is not None:
            return cached
    arrays = generate()
    checksum = _checksum(arrays)
    if cache:
        _store(path, arrays, checksum, stacklevel=4)
    return {**arrays, "checksum": checksum}


def _checksum(arrays):
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name], dtype=np.float64).tobytes())
    return digest.hexdigest()


def pendulum_data(
    n_train=500,
    n_test=100,
    *,
    variant="emlp",
    test="in-distribution",
    chunk_len=5,
    dt=0.2,
    duration=30.0,
    seed=0,
    cache=True,
):
    """Training chunks and test trajectories of the springy double pendulum.

    Parameters
    ----------
    n_train : int
        Training trajectories, one chunk each.
    n_test : int
        Test trajectories, each ``duration`` long.
    variant : {"emlp", "units"}
        One system for all (:meth:`DoubleSpringPendulum.emlp`), or one random system per
        trajectory.
    test : {"in-distribution", "rescaled-masses", "wide-parameters"}
        Test setting; the last two only for ``variant="units"``.
    chunk_len : int
        Points per training chunk.
    dt : float
        Time between saved points.
    duration : float
        Length of a trajectory; ``round(duration / dt)`` points are saved.
    seed : int
        Seed of the training and test draws (independent streams: ``n_test`` does not
        change the training data).
    cache : bool
        Read from and write to :func:`cache_dir`.

    Returns
    -------
    PendulumData

    Raises
    ------
    ValueError, TypeError
        Naming the argument: sizes that are not positive integers, ``dt`` or ``duration``
        that are not positive finite numbers, a negative ``seed``, unknown settings.
    """
    _check_protocol(n_train, n_test, chunk_len, dt, duration, seed)
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if test not in TEST_SETTINGS:
        raise ValueError(f"test must be one of {TEST_SETTINGS}, got {test!r}")
    if variant == "emlp" and test != "in-distribution":
        raise ValueError(f"the test setting {test!r} needs variant='units'")
    config = dict(
        format=_FORMAT, n_train=int(n_train), n_test=int(n_test), variant=variant, test=test,
        chunk_len=int(chunk_len), dt=float(dt), duration=float(duration), seed=int(seed),
    )
    generate = lambda: _generate(**{name: config[name] for name in config if name != "format"})  # noqa: E731
    return PendulumData(**cached_arrays("pendulum", config, generate, cache))


def trajectory_data(system, n_train=500, n_test=100, *, chunk_len=5, dt=0.2, duration=30.0, seed=0, cache=True):
    """Training chunks and test trajectories of any one system, seeded and cached.

    The protocol of :func:`pendulum_data` for one system: ``n_train`` initial states
    from ``system.sample_initial_states`` (training stream of ``seed``), one random chunk
    of ``chunk_len`` consecutive saved points out of the aligned chunks of each
    trajectory; ``n_test`` whole trajectories from fresh initial states (test stream).

    Parameters
    ----------
    system : System
        One system (no batch), with a ``sample_initial_states`` method.
    n_train, n_test : int
    chunk_len : int
    dt : float
        Time between saved points, in seconds.
    duration : float
        Length of a trajectory; ``round(duration / dt)`` points are saved.
    seed : int
    cache : bool
        Read from and write to :func:`cache_dir`; the file is named after a hash of the
        configuration and ``repr(system)``.

    Returns
    -------
    TrajectoryData

    Raises
    ------
    ValueError, TypeError
        Naming the argument, as :func:`pendulum_data`; for a batch of systems.
    """
    _check_protocol(n_train, n_test, chunk_len, dt, duration, seed)
    if system.batch_shape:
        raise ValueError(f"trajectory_data needs one system, got a batch of shape {system.batch_shape}")
    config = dict(
        format=_FORMAT, system=repr(system), n_train=int(n_train), n_test=int(n_test), chunk_len=int(chunk_len),
        dt=float(dt), duration=float(duration), seed=int(seed),
    )

    def generate():
        train_rng, test_rng = _streams(seed)
        t, n_chunks = _time_grid(chunk_len, dt, duration)
        z0 = system.sample_initial_states(n_train, train_rng)
        chunk_index = train_rng.integers(0, n_chunks, size=n_train)
        train = _chunks(system.trajectory, z0, t, chunk_index, chunk_len)
        test = system.trajectory(system.sample_initial_states(n_test, test_rng), t)
        return dict(t_chunk=t[:chunk_len], train=train, t=t, test=test)

    return TrajectoryData(**cached_arrays(type(system).__name__.lower(), config, generate, cache))


def load_checked(path, stacklevel=3):
    """The arrays cached at ``path`` with their ``checksum``, or None (with a warning naming the
    file) if it cannot be read or its checksum does not match; any cached data set uses this."""
    try:
        with np.load(path) as stored:
            arrays = {name: stored[name] for name in stored.files if name != "checksum"}
            checksum = str(stored["checksum"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        warnings.warn(f"cannot read {path} ({error}); regenerating the data set", stacklevel=stacklevel)
        return None
    if _checksum(arrays) != checksum:
        warnings.warn(f"checksum mismatch in {path}; regenerating the data set", stacklevel=stacklevel)
        return None
    return {**arrays, "checksum": checksum}


def _store(path, arrays, checksum, stacklevel=3):
    """Write the cache file atomically (safe for parallel test workers); warn if it cannot."""
    partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(partial, checksum=checksum, **arrays)
        os.replace(partial, path)
    except OSError as error:
        warnings.warn(f"cannot cache the data set in {path} ({error})", stacklevel=stacklevel)
    finally:
        partial.unlink(missing_ok=True)
