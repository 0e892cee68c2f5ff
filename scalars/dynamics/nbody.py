"""Point particles in d dimensions under inverse-distance pair potentials: gravity or Coulomb.

The state is ``z = (q_1 .. q_n, p_1 .. p_n)`` flattened to ``2 n d`` numbers, and

    H = sum_i |p_i|^2 / (2 m_i) + sum_{i<j} c_ij / sqrt(|q_i - q_j|^2 + eps^2)

with ``c_ij = -G m_i m_j`` (gravity) or ``c_ij = k e_i e_j`` (Coulomb, charges ``e_i``)
and a softening length ``eps`` (0: the exact potential). The dynamics is equivariant under
E(d) (rotations, reflections, translations of every position) and under permutations of
particles with equal masses and charges: the group ``S(n) x E(d)`` acting on the layout
``"nP+nT1"`` (points, then momenta). Energy, the total momentum ``sum_i p_i`` and the
angular momentum ``sum_i q_i x p_i`` are conserved.

:func:`pair_forces` is the force law; :class:`scalars.datasets.ChargedNBody` clips it for
the EGNN protocol, whose own vectorised leapfrog (a fixed step of 1e-3, as the published
generator) is a separate kernel tuned for speed, not a reference integrator.
"""

from functools import cached_property

import numpy as np

from scalars.dynamics.system import System

__all__ = ["NBodySystem", "pair_forces"]

KINDS = ("gravity", "coulomb")

_COUPLING = {
    "gravity": "[length] ** 3 / [mass] / [time] ** 2",
    "coulomb": "[mass] * [length] ** 3 / [current] ** 2 / [time] ** 4",
}


def pair_forces(x, strength, softening=0.0):
    """Forces ``F_i = sum_j s_ij (x_i - x_j) / r_ij^3`` of the potentials ``s_ij / r_ij``.

    Parameters
    ----------
    x : ndarray of shape (..., k, d)
        Positions.
    strength : ndarray of shape (..., k, k)
        Pair strengths ``s_ij`` (positive: repulsion); the diagonal is ignored.
    softening : float or ndarray broadcasting to (..., k, k), default=0.0
        ``r_ij = sqrt(|x_i - x_j|^2 + softening^2)``.

    Returns
    -------
    ndarray of shape (..., k, d)
    """
    separation = x[..., :, None, :] - x[..., None, :, :]
    distance = np.hypot(np.linalg.norm(separation, axis=-1), softening)
    diagonal = np.arange(x.shape[-2])
    distance[..., diagonal, diagonal] = np.inf
    return np.einsum("...ij,...ijd->...id", strength / distance**3, separation)


class NBodySystem(System):
    """``n`` gravitating or charged point particles in ``dim`` dimensions.

    Parameters
    ----------
    masses : array-like of shape (..., n), or pint.Quantity [mass]
        Positive masses.
    charges : array-like of shape (..., n), or pint.Quantity [current * time], optional
        Charges, for ``kind="coulomb"`` only (required there).
    kind : {"gravity", "coulomb"}, default="gravity"
    G : float or pint.Quantity, default=1.0
        Coupling constant: Newton's G [length^3 / (mass time^2)], or Coulomb's k
        [mass length^3 / (current^2 time^4)].
    softening : float or pint.Quantity [length], default=0.0
    dim : int, default=3

    Leading axes of ``masses``, ``charges`` or ``G`` make a batch of systems, as for
    :class:`scalars.dynamics.System`. States are in SI base units.

    Examples
    --------
    >>> system = NBodySystem([1.0, 1.0])
    >>> z0 = np.array([1.0, 0, 0, -1, 0, 0, 0, 0.35, 0, 0, -0.35, 0])
    >>> system.trajectory(z0, np.linspace(0, 10, 11)).shape
    (11, 12)
    """

    event_ndim = {"masses": 1, "charges": 1}

    def __init__(self, masses, charges=None, kind="gravity", G=1.0, softening=0.0, dim=3):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if (charges is None) != (kind == "gravity"):
            raise ValueError("charges are needed for kind='coulomb' and only for it")
        self.kind, self.dim = kind, int(dim)
        self.dimensions = {"masses": "[mass]", "G": _COUPLING[kind], "softening": "[length]", "t": "[time]"}
        if kind == "coulomb":
            self.dimensions = {"charges": "[current] * [time]", **self.dimensions}
            self._set_parameter("charges", charges)
        self._set_parameter("masses", masses, positive=True)
        self._set_parameter("G", G)
        self._set_parameter("softening", softening)
        if np.ndim(self.masses) < 1 or np.shape(self.masses)[-1] == 0 or (kind == "coulomb" and np.shape(self.charges)[-1:] != np.shape(self.masses)[-1:]):
            raise ValueError("masses (and charges) must be arrays of shape (..., n), one per particle")
        if np.any(self.softening < 0):
            raise ValueError(f"softening must not be negative, got {self.softening}")
        self.n_particles = np.shape(self.masses)[-1]
        self.group = f"S({self.n_particles})xE({self.dim})"
        self.layout = f"{self.n_particles}P+{self.n_particles}T1"

    def split(self, z):
        """Positions and momenta (..., n, dim) of states ``z`` (..., 2 n dim), numpy or torch."""
        self._check_state(z)
        n, d = self.n_particles, self.dim
        shape = tuple(z.shape[:-1]) + (n, d)
        return z[..., : n * d].reshape(shape), z[..., n * d :].reshape(shape)

    def _strengths(self, z):
        """Masses (..., n), pair strengths ``c_ij`` (..., n, n) and softening (..., 1, 1)
        lined up with states ``z`` (a float stays a float)."""
        values = dict(zip(self.parameter_names, self._parameters(z)))
        masses, G, softening = values["masses"], values["G"], values["softening"]
        G, softening = (v if isinstance(v, float) else v[..., None, None] for v in (G, softening))
        if self.kind == "gravity":
            return masses, -G * masses[..., :, None] * masses[..., None, :], softening
        charges = values["charges"]
        return masses, G * charges[..., :, None] * charges[..., None, :], softening

    def hamiltonian(self, z):
        """Total energy of states ``z``.

        Parameters
        ----------
        z : array of shape (..., 2 n dim), numpy or torch (differentiable)

        Returns
        -------
        array of shape (...)
        """
        q, p = self.split(z)
        masses, strength, softening = self._strengths(z)
        softening = softening if isinstance(softening, float) else softening[..., 0]
        i, j = np.triu_indices(self.n_particles, k=1)
        i, j = i.tolist(), j.tolist()
        separation = q[..., i, :] - q[..., j, :]
        distance = ((separation * separation).sum(-1) + softening**2) ** 0.5
        kinetic = ((p * p).sum(-1) / (2 * masses)).sum(-1)
        return kinetic + (strength[..., i, j] / distance).sum(-1)

    def time_derivative(self, z):
        """Hamilton's equations ``dq_i/dt = p_i / m_i``, ``dp_i/dt = F_i`` (:func:`pair_forces`).

        Parameters
        ----------
        z : ndarray of shape (..., 2 n dim)

        Returns
        -------
        ndarray of shape (..., 2 n dim)

        Raises
        ------
        ValueError
            At a state where two particles coincide and there is no softening.
        """
        z = np.asarray(z, dtype=np.float64)
        q, p = self.split(z)
        masses, strength, softening = self._strengths(z)
        i, j = np.triu_indices(self.n_particles, k=1)
        hit = (q[..., i, :] == q[..., j, :]).all(-1).any(-1) & (np.asarray(softening) == 0).reshape(np.shape(softening)[:-2])
        if np.any(hit):
            raise ValueError(f"the state {z[hit][0].tolist()} is singular: two particles coincide")
        flat = z.shape[:-1] + (-1,)
        forces = pair_forces(q, strength, softening)
        return np.concatenate([(p / masses[..., None]).reshape(flat), forces.reshape(flat)], -1)

    @cached_property
    def phase_space(self):
        """The expansion of interchangeable particles that carry their masses (and charges).

        Returns
        -------
        scalars.expansion.ParticleExpansion
            Scalars ``("m",)`` (gravity) or ``("e", "m")`` (Coulomb); the masses positive.
        """
        from scalars.expansion import ParticleExpansion

        return ParticleExpansion(self.n_particles, self.dim, self._particle_scalars(), positive=("m",))

    def _particle_scalars(self):
        return ("m",) if self.kind == "gravity" else ("e", "m")

    def _expansion_inputs(self, z, context):
        """The particles' scalars (..., n) and the softening, lined up with states ``z``."""
        if context:
            raise TypeError(f"an NBodySystem's features take the state alone, got {len(context)} more arguments")
        values = dict(zip(self.parameter_names, self._parameters(z)))
        scalars = {"m": values["masses"], "e": values.get("charges")}
        return [scalars[name] for name in self._particle_scalars()], values["softening"]

    def momentum(self, z):
        """Total momentum ``sum_i p_i`` (..., dim) of states ``z`` (conserved)."""
        return self.split(np.asarray(z))[1].sum(-2)

    def angular_momentum(self, z):
        """Angular momentum ``sum_i q_i x p_i`` (..., 3) of states ``z`` in 3-D (conserved)."""
        if self.dim != 3:
            raise ValueError(f"angular_momentum is the 3-D cross product; this system has dim={self.dim}")
        q, p = self.split(np.asarray(z))
        return np.cross(q, p).sum(-2)

    def sample_initial_states(self, n, rng):
        """Positions N(0, I), velocities N(0, I / 4), with zero total momentum: (n, 2 n_particles dim)."""
        if self.batch_shape:
            raise ValueError("sample_initial_states needs one system, not a batch")
        k, d = self.n_particles, self.dim
        q = rng.standard_normal((n, k, d))
        v = 0.5 * rng.standard_normal((n, k, d))
        p = self.masses[:, None] * v
        p -= self.masses[:, None] * p.sum(-2, keepdims=True) / self.masses.sum()
        return np.concatenate([q.reshape(n, -1), p.reshape(n, -1)], -1)
