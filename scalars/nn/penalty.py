"""Soft equivariance: a Monte Carlo penalty on ``f(g x) - rho_out(g) f(x)``, and augmentation.

For a model that is not equivariant by construction, the penalty

    ``strength * E_g mean_x |f(rho_in(g) x) - rho_out(g) f(x)|^2``

(the squared difference averaged over samples and output columns, like a mean squared
error) is estimated on each minibatch from ``n_elements`` random elements of the group
(its sampler, :meth:`scalars.groups.Group.sample`) and added to the training loss
(``scalars.nn.fit(..., penalty=EquivariancePenalty(...))``). :func:`augment` is the other
soft answer: train on copies of the data moved by random group elements.

>>> import torch
>>> from scalars.nn import EquivariancePenalty
>>> from scalars.reps import rep
>>> penalty = EquivariancePenalty(rep("T1", "O(3)"), rep("T1", "O(3)"), strength=1.0, seed=0)
>>> float(penalty(torch.nn.Identity(), torch.randn(8, 3, dtype=torch.float64))) < 1e-28   # x -> x is equivariant
True
"""

import math
from numbers import Integral, Real

import numpy as np
import torch

from scalars.reps import check_rep_pair

__all__ = ["EquivariancePenalty", "augment"]


def _check_count(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer (at least one group element), got {value!r}")
    return int(value)


class EquivariancePenalty:
    """``strength * mean |f(rho_in(g) x) - rho_out(g) f(x)|^2`` over random ``g``, as a training penalty.

    Parameters
    ----------
    rep_in, rep_out : Rep
        Representations of one group on the model's input columns and output columns
        (the output is flattened row-major to ``rep_out.size`` columns).
    strength : float, default=1.0
        ``lambda >= 0``; 0 switches the penalty off.
    n_elements : int, default=1
        Group elements drawn per call (per minibatch).
    seed : int, default=None
        Seeds the elements drawn.

    Raises
    ------
    ValueError
        If ``strength`` is negative or not finite, ``n_elements`` is below 1, or the reps
        are of different groups.
    """

    def __init__(self, rep_in, rep_out, strength=1.0, n_elements=1, seed=None):
        check_rep_pair("EquivariancePenalty", rep_in, rep_out)
        if isinstance(strength, bool) or not isinstance(strength, Real) or not (math.isfinite(strength) and strength >= 0):
            raise ValueError(f"EquivariancePenalty: strength (lambda) must be a finite number >= 0, got {strength!r}")
        self.rep_in, self.rep_out = rep_in, rep_out
        self.strength = float(strength)
        self.n_elements = _check_count("EquivariancePenalty", "n_elements", n_elements)
        self.rng = np.random.default_rng(seed)

    def __call__(self, model, X):
        """The penalty of ``model`` on rows ``X`` (n, rep_in.size), a scalar tensor with gradients."""
        if self.strength == 0:
            return X.new_zeros(())
        Y = model(X).reshape(len(X), -1)
        total = X.new_zeros(())
        for _ in range(self.n_elements):
            g = self.rep_in.group.sample(rng=self.rng)
            moved = model(self.rep_in.act(g, X)).reshape(len(X), -1)
            total = total + (moved - self.rep_out.act(g, Y)).abs().pow(2).mean()
        return self.strength * total / self.n_elements


def augment(X, y, rep_in, rep_out, copies=1, seed=None):
    """The data and ``copies`` copies of it, each sample moved by its own random group element.

    Parameters
    ----------
    X : ndarray of shape (n_samples, rep_in.size)
    y : ndarray of shape (n_samples, rep_out.size)
    rep_in, rep_out : Rep
        Representations of one group.
    copies : int, default=1
        Moved copies added to the original samples.
    seed : int, default=None

    Returns
    -------
    X_augmented : ndarray of shape ((copies + 1) * n_samples, rep_in.size)
    y_augmented : ndarray of shape ((copies + 1) * n_samples, rep_out.size)
        The original samples first.

    Examples
    --------
    >>> from scalars.reps import rep
    >>> V = rep("T1", "O(2)")
    >>> X, y = np.ones((4, 2)), np.ones((4, 2))
    >>> [a.shape for a in augment(X, y, V, V, copies=2, seed=0)]
    [(12, 2), (12, 2)]
    """
    check_rep_pair("augment", rep_in, rep_out)
    copies = _check_count("augment", "copies", copies)
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    rng = np.random.default_rng(seed)
    moved_X, moved_y = [X], [y]
    for _ in range(copies):
        elements = [rep_in.group.sample(rng=rng) for _ in range(len(X))]
        moved_X.append(np.stack([rep_in.act(g, x) for g, x in zip(elements, X)]))
        moved_y.append(np.stack([rep_out.act(g, t) for g, t in zip(elements, y)]))
    return np.concatenate(moved_X), np.concatenate(moved_y)
