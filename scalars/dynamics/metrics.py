"""Rollout metrics: the relative state error of the EMLP paper and conservation errors.

All take numpy arrays (or anything ``np.asarray`` accepts) of trajectories batch-first,
``(..., T, 12)``.
"""

import numpy as np

__all__ = ["relative_error", "rollout_error", "energy_drift", "angular_momentum_error", "geometric_mean"]

# Errors below this are clamped before taking logs, as in the reference implementation, so
# that the exact initial state (error 0) does not send the geometric mean to zero.
_FLOOR = 1e-7


def _rms(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sqrt(np.mean(np.square(x), axis=-1))


def relative_error(pred, true):
    """Per-state relative error ``rms(a - b) / (rms(a) + rms(b))``.

    Parameters
    ----------
    pred, true : array of shape (..., n)

    Returns
    -------
    ndarray of shape (...), in [0, 1]: 0 where both are zero, 1 (the largest error) where
    a prediction has diverged to inf or NaN.
    """
    pred, true = _matching(pred, true)
    return _bounded_ratio(_rms(pred - true), _rms(pred) + _rms(true))


def _bounded_ratio(difference, size):
    """``difference / size`` with 0 for 0 / 0 and 1 for non-finite values."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ratio = np.where((size == 0) & (difference == 0), 0.0, difference / size)
    return np.where(np.isfinite(ratio), ratio, 1.0)


def rollout_error(pred, true):
    """Geometric mean over steps and trajectories of :func:`relative_error`.

    This is the metric of Finzi et al. (2021) and Villar et al. (2021): each error is
    clamped below at 1e-7 before the logarithm.

    Parameters
    ----------
    pred, true : array of shape (..., T, n)
        Predicted and reference trajectories.

    Returns
    -------
    float
    """
    return float(geometric_mean(relative_error(pred, true)))


def energy_drift(energy):
    """Mean relative change of a conserved energy along trajectories.

    Parameters
    ----------
    energy : array of shape (..., T)
        The true energy evaluated on predicted states.

    Returns
    -------
    float
        ``mean |E(t) - E(0)| / |E(0)|`` over steps and trajectories.
    """
    energy = np.asarray(energy, dtype=np.float64)
    return float(np.mean(np.abs(energy - energy[..., :1]) / np.abs(energy[..., :1])))


def angular_momentum_error(pred_momentum, true_momentum):
    """Geometric mean relative error of a conserved angular momentum (as in the EMLP paper).

    Parameters
    ----------
    pred_momentum, true_momentum : array of shape (..., T)

    Returns
    -------
    float
        Geometric mean over steps and trajectories of ``|a - b| / (|a| + |b|)``.
    """
    a, b = _matching(pred_momentum, true_momentum)
    with np.errstate(invalid="ignore", over="ignore"):
        errors = _bounded_ratio(np.abs(a - b), np.abs(a) + np.abs(b))
    return float(geometric_mean(errors))


def geometric_mean(errors, axis=None):
    """Geometric mean of errors clamped below at 1e-7, as the papers' rollout metric does.

    Parameters
    ----------
    errors : array of non-negative numbers
    axis : int or None
        Axis to average over; all of them by default.

    Returns
    -------
    float or ndarray
    """
    return np.exp(np.mean(np.log(np.maximum(errors, _FLOOR)), axis=axis))


def _matching(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"predicted and true arrays differ in shape: {a.shape} vs {b.shape}")
    return a, b
