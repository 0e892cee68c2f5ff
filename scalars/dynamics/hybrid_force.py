"""A fitted pair-force law plus a learned residual pair force, for charged particles.

:class:`HybridPairForce` predicts where ``k`` charged particles are after one time unit
as the prediction of a fitted :class:`~scalars.dynamics.PairForceLaw` plus the
displacement of a learned residual force (:class:`~scalars.dynamics.LearnedPairForce`,
started at zero, so the untrained hybrid is the law). It is the ``scalars hybrid`` of
``python -m scalars bench nbody`` (:class:`~scalars.datasets.ChargedNBody`).
"""

import torch
from torch import nn

from scalars.dynamics.force_law import PairForceLaw
from scalars.dynamics.learned_force import LearnedPairForce
from scalars.nn.devices import resolve_device

__all__ = ["HybridPairForce"]


class HybridPairForce(nn.Module):
    """A fitted law's positions moved by a learned residual force, on rows ``"kT0+kP+kT1"``.

    With the law's prediction ``L(X)`` and the residual network ``R`` (positions after one
    time unit of a learned pair force), the prediction is

        ``L(X) + R(X) - (x + t v)``:

    the law's motion plus the residual force's departure from free flight, the two
    integrated side by side from the same state (a splitting that is exact to first order
    in the residual force). The law stays as fitted (its coefficients are a buffer, not a
    parameter); only ``R`` trains, and since ``R`` starts at no force the untrained hybrid
    is the law. Both parts are ``S(k) x E(3)``-equivariant, so the hybrid is too.
    Training ``R`` alone on :meth:`residual_targets` is training the hybrid, without
    integrating the law at every step.

    Parameters
    ----------
    law : PairForceLaw
        The law, fitted (:meth:`scalars.dynamics.PairForceLaw.fit`); it runs in float64.
    residual : LearnedPairForce, optional
        The residual network; by default ``LearnedPairForce(particles=law.particles)``.
        Its ``duration`` must be the law's.
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Raises
    ------
    TypeError
        If ``law`` or ``residual`` is not of its class.
    ValueError
        If they disagree on the number of particles or the duration.

    Examples
    --------
    >>> import torch
    >>> law = PairForceLaw(steps=10)
    >>> hybrid = HybridPairForce(law, LearnedPairForce(steps=4, hidden=(8,)))
    >>> X = torch.linspace(-1, 1, 70, dtype=torch.float64).reshape(2, 35)
    >>> torch.allclose(hybrid(X), law(X))  # the residual starts at no force
    True
    """

    def __init__(self, law, residual=None, device="cpu"):
        super().__init__()
        if not isinstance(law, PairForceLaw):
            raise TypeError(f"law must be a PairForceLaw, got {type(law).__name__}")
        residual = LearnedPairForce(particles=law.particles) if residual is None else residual
        if not isinstance(residual, LearnedPairForce):
            raise TypeError(f"residual must be a LearnedPairForce, got {type(residual).__name__}")
        if (residual.particles, residual.duration) != (law.particles, law.duration):
            raise ValueError(f"residual has {residual.particles} particles over {residual.duration} time units, "
                             f"the law {law.particles} over {law.duration}")
        self.law, self.residual, self.particles = law, residual, law.particles
        self.to(resolve_device(device, "HybridPairForce: device"))

    def free_flight(self, X):
        """``x + t v``: the positions after the time unit without forces, (n, 7 k) -> (n, 3 k)."""
        k = self.particles
        return X[:, k : 4 * k] + self.law.duration * X[:, 4 * k : 7 * k]

    def law_prediction(self, X):
        """The law's positions, integrated in float64 without gradient, in the dtype of ``X``."""
        with torch.no_grad():
            return self.law(X.to(torch.float64)).to(X.dtype)

    def residual_targets(self, X, y):
        """What ``residual`` must predict for the hybrid to predict ``y``: ``y - L(X) + x + t v``.

        Parameters
        ----------
        X : torch.Tensor of shape (n, 7 k)
        y : torch.Tensor of shape (n, 3 k)
            Positions at the end of the time unit.

        Returns
        -------
        torch.Tensor of shape (n, 3 k), the dtype of ``y``
        """
        if tuple(y.shape) != (len(X), 3 * self.particles):
            raise ValueError(f"y must have shape {(len(X), 3 * self.particles)}, got {tuple(y.shape)}")
        return (y - self.law_prediction(X).to(y.dtype) + self.free_flight(X).to(y.dtype)).detach()

    def forward(self, X):
        """Positions at the end of the time unit.

        Parameters
        ----------
        X : torch.Tensor of shape (n, 7 k)
            Rows ``"kT0+kP+kT1"``: charges (k), positions (3 k, particle-major), velocities (3 k).
            The law reads them in float64, the residual in its own dtype.

        Returns
        -------
        positions : torch.Tensor of shape (n, 3 k), the dtype of ``X``
        """
        inputs = X.to(self.residual.pair[-1].weight.dtype)  # the law in float64, the residual in its own dtype
        return self.law_prediction(X) + (self.residual(inputs) - self.free_flight(inputs)).to(X.dtype)
