"""A central pair-force law of charged particles, fitted through the integrator.

:class:`PairForceLaw` predicts where ``k`` charged particles are after one time unit,
from a force ``f(r_ij, e_i e_j) (x_i - x_j)`` between each pair that is a linear
combination of a few softened inverse-square laws; its coefficients are fitted by
Levenberg-Marquardt through the integration. It is the ``scalars force law`` of
``python -m scalars bench nbody`` (:class:`~scalars.datasets.ChargedNBody`).
"""

from numbers import Integral

import numpy as np
import torch
from torch import nn

from scalars.dynamics.integrators import SeparableField, integrate_separable
from scalars.expansion import ParticleExpansion
from scalars.nn.devices import resolve_device

__all__ = ["PairForceLaw"]


class PairForceLaw(nn.Module):
    """Positions after one time unit of a fitted central pair-force law, on rows ``"kT0+kP+kT1"``.

    The force on particle ``i`` is ``sum_j f(r_ij, e_i e_j) (x_i - x_j)`` with ``r_ij =
    |x_i - x_j|`` and charges ``e``, and ``f = sum_b c_b phi_b`` over a small library of
    softened inverse-square laws, ``phi = e_i e_j / (r^2 + eps^2)^(3/2)`` for each ``eps``
    of :attr:`SOFTENINGS` and one charge-blind ``1 / (r^2 + 0.1^2)^(3/2)``
    (:attr:`BLIND_SOFTENING`): an ``S(k) x E(3)``-equivariant law, linear in its ``c``.
    Its invariants ``r^2`` and ``e_i e_j`` (:attr:`PAIR_FEATURES`) are the pair block of
    :class:`~scalars.expansion.ParticleExpansion` (:meth:`~scalars.expansion.ParticleExpansion.pair_features`).
    The positions move by ``steps`` kick-drift steps (``"symplectic_euler"`` of
    :data:`~scalars.dynamics.INTEGRATORS`) over :attr:`duration` (with the
    default 1000 steps, the step 1e-3 of :class:`~scalars.datasets.ChargedNBody`).

    Parameters
    ----------
    steps : int, default=1000
        Kick-drift steps over the time unit.
    particles : int, default=5
        Number of particles ``k`` (at least 2).
    device : {"cpu", "cuda", "auto"} or torch.device, default="cpu"
        Where its parameters and buffers live (:func:`scalars.nn.resolve_device`).

    Attributes
    ----------
    coefficients : torch.Tensor of shape (len(SOFTENINGS) + 1,), float64
        The ``c_b``, in the order of :attr:`SOFTENINGS` then the charge-blind law; zero
        (no force: ``x + t v``) until :meth:`fit`. Units of the data's acceleration times
        length^2 (per charge^2 for the charged laws); the masses are 1.

    Examples
    --------
    >>> import torch
    >>> law = PairForceLaw(steps=10)
    >>> X = torch.ones(2, 35, dtype=torch.float64)
    >>> torch.allclose(law(X), X[:, 5:20] + X[:, 20:35], rtol=1e-14)  # no force yet: x + t v (ten steps of 0.1)
    True
    """

    SOFTENINGS = (0.05, 0.1, 0.2, 0.4)
    BLIND_SOFTENING = 0.1
    PAIR_FEATURES = ("<q_i-q_j,q_i-q_j>", "e_i*e_j")
    duration = 1.0

    def __init__(self, steps=1000, particles=5, device="cpu"):
        super().__init__()
        for name, value, least in (("steps", steps, 1), ("particles", particles, 2)):
            if not isinstance(value, Integral) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
        self.steps, self.particles = steps, particles
        self.expansion = ParticleExpansion(particles, 3, scalars=("e",))
        self.register_buffer("coefficients", torch.zeros(len(self.SOFTENINGS) + 1, dtype=torch.float64))
        self.i, self.j = self.expansion.ordered_pairs
        self.to(resolve_device(device, "PairForceLaw: device"))

    def forward(self, X, coefficients=None):
        """Positions at the end of the time unit.

        Parameters
        ----------
        X : torch.Tensor of shape (n, 7 k)
            Rows ``"kT0+kP+kT1"``: charges (k), positions (3 k, particle-major), velocities (3 k).
        coefficients : torch.Tensor of shape (len(SOFTENINGS) + 1,), default=None
            The law's ``c``; :attr:`coefficients` when None (given, for differentiation).

        Returns
        -------
        positions : torch.Tensor of shape (n, 3 k)
        """
        self._check_rows(X)
        c = self.coefficients if coefficients is None else coefficients
        k = self.particles
        q = X[:, :k]
        x, v = X[:, k : 4 * k].reshape(-1, k, 3), X[:, 4 * k : 7 * k].reshape(-1, k, 3)
        charges = [(q[:, self.i], q[:, self.j])]

        def force(x):
            separation = x[:, self.i] - x[:, self.j]
            features = self.expansion.pair_features(separation, scalars=charges, columns=self.PAIR_FEATURES)
            pair = (torch.stack(self._laws(*features.unbind(-1), 1.5), -1) @ c)[..., None] * separation
            return pair.reshape(len(X), k, k - 1, 3).sum(2)

        t = torch.tensor([0.0, self.duration], dtype=torch.float64)
        x = integrate_separable(SeparableField(lambda v: v, force), x, v, t, "symplectic_euler", self.steps)[0][-1]
        return x.reshape(len(X), 3 * k)

    def to_sympy(self, digits=4):
        """The fitted ``f(r, e_i e_j)`` as a sympy expression.

        Parameters
        ----------
        digits : int, default=4
            Significant digits of the printed coefficients.

        Returns
        -------
        sympy.Expr
            In the positive symbols ``r`` and ``e_i*e_j``.
        """
        import sympy

        r, charges = sympy.symbols("r e_i*e_j", positive=True)
        laws = self._laws(r**2, charges, sympy.Rational(3, 2))
        return sum(sympy.Float(float(c), digits) * law for c, law in zip(self.coefficients, laws))

    def _laws(self, r2, charges, three_halves):
        """The library's terms at squared distances ``r2``: torch tensors, or sympy expressions."""
        laws = [charges / (r2 + eps**2) ** three_halves for eps in self.SOFTENINGS]
        return laws + [1 / (r2 + self.BLIND_SOFTENING**2) ** three_halves]

    def _check_rows(self, X):
        if X.ndim != 2 or X.shape[1] != 7 * self.particles:
            raise ValueError(
                f"X must have shape (n, {7 * self.particles}) (rows 'kT0+kP+kT1' of {self.particles} "
                f"particles), got {tuple(X.shape)}"
            )

    def fit(self, X, y, X_validation, y_validation, iterations=15, chunk=1000, progress=True):
        """Levenberg-Marquardt on the training MSE, keeping the iterate of lowest validation MSE.

        Starts from :attr:`coefficients`; the Jacobian comes from forward-mode
        differentiation through the integrator, ``chunk`` rows at a time.

        Parameters
        ----------
        X, X_validation : torch.Tensor of shape (n, 7 k) and (m, 7 k), float64
            Rows ``"kT0+kP+kT1"`` at the start of the time unit.
        y, y_validation : torch.Tensor of shape (n, 3 k) and (m, 3 k)
            Positions at its end.
        iterations : int, default=15
        chunk : int, default=1000
            Rows per Jacobian evaluation (memory).
        progress : bool, default=True
            Show a progress bar.

        Returns
        -------
        history : list of float
            The validation MSE after each iteration.
        """
        from torch.func import jacfwd
        from tqdm.auto import tqdm

        for name, inputs, targets in (("X", X, y), ("X_validation", X_validation, y_validation)):
            self._check_rows(inputs)
            if tuple(targets.shape) != (len(inputs), 3 * self.particles):
                raise ValueError(f"the targets of {name} must have shape {(len(inputs), 3 * self.particles)}, "
                                 f"got {tuple(targets.shape)}")

        def residual(c, X, y):
            return (y - self(X, c)).reshape(-1)

        c, damping = self.coefficients.clone(), 1e-3
        current = residual(c, X, y)  # kept from the accepted step: one rollout less per iteration
        history, best = [], np.inf
        for _ in tqdm(range(iterations), disable=not progress, desc="force law"):
            jacobian = torch.cat([jacfwd(lambda c: self(X[s : s + chunk], c))(c).reshape(-1, len(c))
                                  for s in range(0, len(X), chunk)])
            normal, gradient = jacobian.T @ jacobian, jacobian.T @ current
            while damping < 1e6:
                step = torch.linalg.solve(normal + damping * torch.diag(torch.diag(normal)), gradient)
                trial = residual(c + step, X, y)
                if trial.pow(2).mean() < current.pow(2).mean():
                    c, current, damping = c + step, trial, damping / 3
                    break
                damping *= 10
            history.append(float(residual(c, X_validation, y_validation).pow(2).mean()))
            if history[-1] < best:
                best = history[-1]
                self.coefficients.copy_(c)
        return history
