"""Generators for the regression benchmarks of the EMLP paper (Finzi et al., ICML 2021).

Each dataset draws its inputs from a seeded generator and computes the target in closed
form. ``X`` is flat, ``(n_samples, n_features)``, with the columns named by ``layout``;
``y`` is ``(n_samples,)`` for a scalar target and ``(n_samples, d * d)`` for a tensor.
The attributes ``group``, ``layout``, ``output`` and ``particles`` are the parameters an
:class:`~scalars.estimators.EquivariantRegressor` needs for the task::

    >>> data = Inertia(100, seed=0)
    >>> data.X.shape, data.y.shape
    ((100, 20), (100, 9))
    >>> data.estimator_params()
    {'group': 'O(3)', 'layout': '5T0+5T1', 'output': 'T2', 'particles': 5}
"""

import numpy as np

__all__ = ["RegressionDataset", "O5Synthetic", "Inertia", "ParticleInteraction"]


class RegressionDataset:
    """Base class: ``n_samples`` input-target pairs drawn with ``np.random.default_rng(seed)``.

    Parameters
    ----------
    n_samples : int
    seed : int, default 0

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    """

    group = None
    layout = None
    output = None
    particles = None

    def __init__(self, n_samples, seed=0):
        self.n_samples = int(n_samples)
        self.seed = seed
        self.X, self.y = self._generate(self.n_samples, np.random.default_rng(seed))

    def __len__(self):
        return self.n_samples

    def __repr__(self):
        return f"{type(self).__name__}({self.n_samples}, seed={self.seed})"

    def estimator_params(self):
        """``group``, ``layout``, ``output`` and ``particles`` as keyword arguments."""
        return {
            "group": self.group,
            "layout": self.layout,
            "output": self.output,
            "particles": self.particles,
        }

    def _generate(self, n_samples, rng):
        raise NotImplementedError


class O5Synthetic(RegressionDataset):
    """``y = sin|x1| - |x2|^3 / 2 + <x1, x2> / (|x1| |x2|)`` with ``x1, x2 ~ N(0, I_5)``.

    Two vectors of O(5), scalar target.
    """

    group = "O(5)"
    layout = "2T1"
    output = "T0"

    def _generate(self, n_samples, rng):
        X = rng.standard_normal((n_samples, 10))
        x1, x2 = X[:, :5], X[:, 5:]
        norm1, norm2 = np.linalg.norm(x1, axis=1), np.linalg.norm(x2, axis=1)
        y = np.sin(norm1) - norm2**3 / 2 + np.einsum("ni,ni->n", x1, x2) / (norm1 * norm2)
        return X, y


class Inertia(RegressionDataset):
    """Inertia tensor ``sum_i m_i (|r_i|^2 I - r_i r_i^T)`` of five point masses.

    ``m_i = softplus(z_i)`` with ``z_i ~ N(0, 1)`` and ``r_i ~ N(0, I_3)``. Columns: the
    five masses, then the five positions; target flattened to 9 columns. O(3), and the
    masses with their positions are five interchangeable particles.
    """

    group = "O(3)"
    layout = "5T0+5T1"
    output = "T2"
    particles = 5

    def _generate(self, n_samples, rng):
        masses = np.logaddexp(0.0, rng.standard_normal((n_samples, 5)))
        positions = rng.standard_normal((n_samples, 5, 3))
        squared_norms = np.einsum("nki,nki->nk", positions, positions)
        outer = positions[..., :, None] * positions[..., None, :]
        per_particle = squared_norms[..., None, None] * np.eye(3) - outer
        y = np.einsum("nk,nkij->nij", masses, per_particle)
        return np.concatenate([masses, positions.reshape(n_samples, 15)], axis=1), y.reshape(n_samples, 9)


class ParticleInteraction(RegressionDataset):
    """Electron-muon scattering amplitude of four 4-momenta ``p_i ~ N(0, I_4) / 4``.

    With ``eta = diag(1, -1, -1, -1)`` and ``a.b = a^T eta b``::

        Le  = p1 p3^T - (p1.p3 - p1.p1) eta
        Lmu = (eta p2)(eta p4)^T - (p2.p4 - p2.p2) eta
        y   = 4 sum_{mu, nu} Le[mu, nu] * Lmu[mu, nu]

    Lorentz group O(1,3), scalar target.
    """

    group = "O(1,3)"
    layout = "4T1"
    output = "T0"

    def _generate(self, n_samples, rng):
        P = rng.standard_normal((n_samples, 4, 4)) / 4
        p1, p2, p3, p4 = (P[:, i] for i in range(4))
        eta = np.diag([1.0, -1.0, -1.0, -1.0])

        def dot(a, b):
            return np.einsum("ni,ij,nj->n", a, eta, b)

        Le = p1[:, :, None] * p3[:, None, :] - (dot(p1, p3) - dot(p1, p1))[:, None, None] * eta
        lowered2, lowered4 = p2 @ eta, p4 @ eta
        Lmu = lowered2[:, :, None] * lowered4[:, None, :] - (dot(p2, p4) - dot(p2, p2))[:, None, None] * eta
        y = 4 * np.einsum("nij,nij->n", Le, Lmu)
        return P.reshape(n_samples, 16), y
