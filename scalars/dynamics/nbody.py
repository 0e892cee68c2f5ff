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


def _stack(columns):
    """Columns (...) into (..., k), numpy or torch."""
    if isinstance(columns[0], np.ndarray):
        return np.stack(columns, -1)
    import torch

    return torch.stack(columns, -1)


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

    def invariant_features(self, z, part):
        """S(n) x E(d)-invariant features of states ``z``, per particle and per pair of particles.

        With ``m`` the masses, ``r`` the separation ``|q_i - q_j|``, ``s = sqrt(r^2 + eps^2)``:

        - ``"K"`` (momenta only): per particle ``|p_i|^2, |p_i|^2 / m_i, m_i``;
        - ``"U"`` (positions only): per pair ``r, r^2, 1 / s, m_i m_j / s, m_i m_j, m_i + m_j``
          (``e_i e_j / s`` and ``e_i e_j`` in place of the mass products for Coulomb);
        - ``"H"``: both, and per pair ``<q_i - q_j, p_i - p_j>, |p_i - p_j|^2``.

        Every pair feature is symmetric in ``i, j``, so a sum over particles and pairs of one
        function of each is invariant under permutations of identical particles.

        Parameters
        ----------
        z : tensor of shape (..., 2 n dim)
        part : {"K", "U", "H"}

        Returns
        -------
        dict of str to tensor
            ``"particles"`` (..., n, 3) for K and H, ``"pairs"`` (..., n (n - 1) / 2, k) for
            U (k = 6) and H (k = 8).
        """
        q, p = self.split(z)
        values = dict(zip(self.parameter_names, self._parameters(z)))
        masses = values["masses"].expand(q.shape[:-1])
        coupling = masses if self.kind == "gravity" else values["charges"].expand(q.shape[:-1])
        i, j = (index.tolist() for index in np.triu_indices(self.n_particles, k=1))
        features = {}
        if part in ("K", "H"):
            squares = (p * p).sum(-1)
            features["particles"] = _stack([squares, squares / masses, masses])
        if part in ("U", "H"):
            separation = q[..., i, :] - q[..., j, :]
            r2 = (separation * separation).sum(-1)
            softened = (r2 + values["softening"] ** 2) ** -0.5
            product = coupling[..., i] * coupling[..., j]
            pairs = [r2**0.5, r2, softened, product * softened, product, masses[..., i] + masses[..., j]]
            if part == "H":
                relative = p[..., i, :] - p[..., j, :]
                pairs += [(separation * relative).sum(-1), (relative * relative).sum(-1)]
            features["pairs"] = _stack(pairs)
        return features

    def invariant_feature_names(self, part):
        """Names of the columns of :meth:`invariant_features`, per group, as formulas of one
        particle ``i`` or one pair ``i, j``.

        Parameters
        ----------
        part : {"K", "U", "H"}

        Returns
        -------
        dict of str to list of str
            For gravity and ``"H"``: ``"particles"``: ``|p_i|^2, |p_i|^2/m_i, m_i``;
            ``"pairs"``: ``r, r^2, 1/s, m_i*m_j/s, m_i*m_j, m_i+m_j, <q_i-q_j,p_i-p_j>,
            |p_i-p_j|^2`` (``e_i*e_j`` for the couplings of Coulomb).
        """
        if part not in ("K", "U", "H"):
            raise ValueError(f"part must be 'K', 'U' or 'H', got {part!r}")
        c = "m" if self.kind == "gravity" else "e"
        names = {}
        if part in ("K", "H"):
            names["particles"] = ["|p_i|^2", "|p_i|^2/m_i", "m_i"]
        if part in ("U", "H"):
            names["pairs"] = ["r", "r^2", "1/s", f"{c}_i*{c}_j/s", f"{c}_i*{c}_j", "m_i+m_j"]
            if part == "H":
                names["pairs"] += ["<q_i-q_j,p_i-p_j>", "|p_i-p_j|^2"]
        return names

    def vector_terms(self, z):
        """Invariant features and vectors of the ordered pairs ``(i, j)``, ``j != i``.

        An equivariant field sums, for each particle ``i``, over the other particles ``j``:
        ``sum_j sum_b f_b(features_ij) v_ijb`` with the vectors ``q_i - q_j``,
        ``p_i - p_j`` and ``p_i``, and the features ``|q_i - q_j|^2, 1 / s,
        <q_i - q_j, p_i - p_j>, |p_i - p_j|^2, |p_i|^2, |p_j|^2, m_i, m_j, 1 / m_i,
        c_i c_j / s^3``
        (``s`` the softened distance, ``c`` the masses or the charges). Permuting the
        particles permutes the pairs with them.

        Parameters
        ----------
        z : tensor of shape (..., 2 n dim)

        Returns
        -------
        features : tensor of shape (..., n, n - 1, 10)
        vectors : tensor of shape (..., n, n - 1, 3, dim)
        """
        q, p = self.split(z)
        values = dict(zip(self.parameter_names, self._parameters(z)))
        masses = values["masses"].expand(q.shape[:-1])
        coupling = masses if self.kind == "gravity" else values["charges"].expand(q.shape[:-1])
        n = self.n_particles
        others = [[j for j in range(n) if j != i] for i in range(n)]
        separation = q[..., :, None, :] - q[..., others, :]
        relative = p[..., :, None, :] - p[..., others, :]
        own = p[..., :, None, :].expand(relative.shape)
        r2 = (separation * separation).sum(-1)
        softened = (r2 + values["softening"] ** 2) ** -0.5
        squares = (p * p).sum(-1)
        features = [
            r2, softened, (separation * relative).sum(-1), (relative * relative).sum(-1),
            squares[..., :, None].expand(r2.shape), squares[..., others], masses[..., :, None].expand(r2.shape),
            masses[..., others], 1 / masses[..., :, None].expand(r2.shape),
            coupling[..., :, None] * coupling[..., others] * softened**3,
        ]
        return _stack(features), _stack([separation, relative, own]).movedim(-1, -2)

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
