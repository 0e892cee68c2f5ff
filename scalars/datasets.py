"""Generators for the regression benchmarks of the EMLP paper (Finzi et al., ICML 2021).

Each dataset draws its inputs from a seeded generator and computes the target in closed
form (:class:`GravityField`, images in and out, is the exception: see there). ``X`` is flat, ``(n_samples, n_features)``, with the columns named by ``layout``;
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

__all__ = ["RegressionDataset", "O5Synthetic", "Inertia", "ModifiedInertia", "ParticleInteraction", "ChargedNBody", "GravityField", "gravity_field",
           "surface_patches", "halo_clouds", "halo_properties"]


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


class ModifiedInertia(Inertia):
    """The inertia tensor plus ``0.3 (I g) g^T`` for the z axis ``g``: a broken O(3) symmetry.

    The task of the residual pathway priors paper (Finzi, Benton and Wilson, NeurIPS 2021;
    ``ModifiedInertia`` in ``experiments/datasets.py`` of their repository): the inputs of
    :class:`Inertia` (no standardisation), the target ``M = I + 0.3 (I g) g^T`` with
    ``g = (0, 0, 1)``, flattened row-major to 9 columns. ``M`` is not symmetric and not an
    O(3)-equivariant function of the masses and positions: a rotation that moves the z
    axis changes it otherwise than ``R M R^T``.

    It is exactly O(3)-equivariant as a function of the masses, the positions *and* the
    vector ``g``. With ``symmetry_breaking_input=True`` the column ``g`` is appended as one
    more (global) vector, layout ``"5T0+5T1+T1"``, and an exactly equivariant model fits
    the target. The package's scalar models write a ``"T2"`` output as a symmetric tensor;
    :meth:`equivariant_parts` splits ``M`` into its symmetric part and the vector
    ``u = A g`` of its antisymmetric part ``A = u g^T - g u^T`` (an output ``"T2+T1"``),
    and :meth:`from_equivariant_parts` puts them back together.

    Parameters
    ----------
    n_samples : int
    seed : int, default 0
    symmetry_breaking_input : bool, default False
        Append ``g`` to every row of ``X``.

    Attributes
    ----------
    X : ndarray of shape (n_samples, 20), or (n_samples, 23) with ``g``
        The five masses, the five positions, then ``g`` if asked.
    y : ndarray of shape (n_samples, 9)
    g : ndarray of shape (3,)
        The symmetry-breaking axis.

    Examples
    --------
    >>> data = ModifiedInertia(100, seed=0, symmetry_breaking_input=True)
    >>> data.X.shape, data.y.shape, data.layout
    ((100, 23), (100, 9), '5T0+5T1+T1')
    >>> parts = data.equivariant_parts(data.y)                 # output "T2+T1"
    >>> bool(np.allclose(data.from_equivariant_parts(parts), data.y))
    True
    """

    g = np.array([0.0, 0.0, 1.0])
    strength = 0.3

    def __init__(self, n_samples, seed=0, symmetry_breaking_input=False):
        self.symmetry_breaking_input = bool(symmetry_breaking_input)
        self.layout = "5T0+5T1+T1" if self.symmetry_breaking_input else Inertia.layout
        super().__init__(n_samples, seed)

    def __repr__(self):
        return f"{type(self).__name__}({self.n_samples}, seed={self.seed}, symmetry_breaking_input={self.symmetry_breaking_input})"

    def _generate(self, n_samples, rng):
        X, inertia = super()._generate(n_samples, rng)
        inertia = inertia.reshape(n_samples, 3, 3)
        y = inertia + self.strength * (inertia @ self.g)[:, :, None] * self.g
        if self.symmetry_breaking_input:
            X = np.concatenate([X, np.broadcast_to(self.g, (n_samples, 3))], axis=1)
        return X, y.reshape(n_samples, 9)

    def equivariant_parts(self, y, g=None):
        """``y`` as the columns of an output ``"T2+T1"``: its symmetric part, then ``A g``.

        Parameters
        ----------
        y : ndarray of shape (n_samples, 9)
            Targets of this task (antisymmetric parts of the form ``u g^T - g u^T``).
        g : ndarray of shape (3,) or (n_samples, 3), optional
            The unit axis of each sample (default :attr:`g`): the last three columns of a
            rotated ``X`` with ``symmetry_breaking_input=True``.

        Returns
        -------
        ndarray of shape (n_samples, 12)
        """
        M = np.asarray(y).reshape(-1, 3, 3)
        g = np.broadcast_to(self.g if g is None else np.asarray(g), (len(M), 3))
        antisymmetric = (M - M.transpose(0, 2, 1)) / 2
        symmetric = (M + M.transpose(0, 2, 1)) / 2
        return np.concatenate([symmetric.reshape(-1, 9), np.einsum("nij,nj->ni", antisymmetric, g)], axis=1)

    def from_equivariant_parts(self, parts, g=None):
        """The targets (n_samples, 9) from the columns (n_samples, 12) of :meth:`equivariant_parts`.

        ``g`` as for :meth:`equivariant_parts`; with the axes of rotated inputs the map is
        O(3)-equivariant in ``(parts, g)``.
        """
        parts = np.asarray(parts)
        g = np.broadcast_to(self.g if g is None else np.asarray(g), (len(parts), 3))
        u = parts[:, 9:]
        antisymmetric = u[:, :, None] * g[:, None, :] - g[:, :, None] * u[:, None, :]
        return parts[:, :9] + antisymmetric.reshape(-1, 9)


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


class ChargedNBody:
    """Charged particles of the EGNN "nbody_small" task (Satorras et al., ICML 2021).

    The protocol of the public generator (the NRI ``ChargedParticlesSim`` used by the EGNN
    and frame-averaging code), vectorised over trajectories:

    - 5 particles in 3-D, charges -1 or +1 with probability 1/2; initial positions
      N(0, 1) per coordinate; initial velocities N(0, I) rescaled to norm 0.5 per particle;
      coordinates beyond the box ``|x| <= 5`` reflected once at the start, with that
      velocity component turned inwards (as the original code does), and no walls after.
    - Force on ``i``: ``sum_j q_i q_j (x_i - x_j) / |x_i - x_j|^3`` (unit masses and
      interaction strength: like charges repel), each component clipped to [-100, 100].
    - Leapfrog with ``dt = 0.001``: one full kick ``v += dt F(x)`` at the start, then for
      steps ``i = 1, 2, ...`` a drift ``x += dt v``, a save when ``i`` is a multiple of 100,
      and a kick. Frame ``k`` (0 to 48) holds ``x`` after ``100 (k + 1)`` drifts and ``v``
      half a step earlier (before that step's kick).
    - Task: charges, positions and velocities at frame 30 in, positions at frame 40 out.

    Trajectory ``i`` depends only on ``seed`` and ``i`` (``ChargedNBody(3000, s)`` is the
    first 3000 trajectories of ``ChargedNBody(7000, s)``). Data sets are cached in
    :func:`scalars.dynamics.data.cache_dir` with a SHA-256 checksum checked on every load.

    Parameters
    ----------
    n_samples : int
        Trajectories.
    seed : int, default 0
    cache : bool, default True

    Attributes
    ----------
    X : ndarray of shape (n_samples, 35)
        Layout ``"5T0+5P+5T1"``: the 5 charges, the 5 positions (points: E(3) translates
        them), the 5 velocities, at frame :attr:`input_frame`.
    y : ndarray of shape (n_samples, 15)
        The 5 positions at frame :attr:`target_frame` (``"5P"``).
    charges : ndarray of shape (n_samples, 5)
    positions, velocities : ndarrays of shape (n_samples, 49, 5, 3)
        Every saved frame.
    checksum : str

    Examples
    --------
    >>> data = ChargedNBody(4, seed=0, cache=False)
    >>> data.X.shape, data.y.shape, data.frame(30)[0].shape
    ((4, 35), (4, 15), (4, 5, 3))
    """

    group = "E(3)"
    layout = "5T0+5P+5T1"
    output = "5P"
    particles = 5
    dt = 1e-3
    save_every = 100
    n_frames = 49
    input_frame = 30
    target_frame = 40
    box = 5.0
    max_force = 100.0
    _FORMAT = 1  # bump when the generator changes, so that old cache files are not reused
    _CHUNK = 512  # trajectories integrated together

    def __init__(self, n_samples, seed=0, cache=True):
        self.n_samples, self.seed = int(n_samples), int(seed)
        arrays = self._load_or_generate(cache)
        self.charges, self.positions, self.velocities = arrays["charges"], arrays["positions"], arrays["velocities"]
        self.checksum = arrays["checksum"]
        x, v = self.frame(self.input_frame)[:2]
        n = self.n_samples
        self.X = np.concatenate([self.charges, x.reshape(n, -1), v.reshape(n, -1)], axis=1)
        self.y = self.positions[:, self.target_frame].reshape(n, -1)

    def __len__(self):
        return self.n_samples

    def __repr__(self):
        return f"ChargedNBody({self.n_samples}, seed={self.seed})"

    def estimator_params(self):
        """``group``, ``layout``, ``output`` and ``particles`` as keyword arguments."""
        return {"group": self.group, "layout": self.layout, "output": self.output, "particles": self.particles}

    def frame(self, k):
        """Positions (n, 5, 3), velocities (n, 5, 3) and charges (n, 5) at saved frame ``k``."""
        if not 0 <= k < self.n_frames:
            raise ValueError(f"frame must be in 0 .. {self.n_frames - 1}, got {k}")
        return self.positions[:, k], self.velocities[:, k], self.charges

    @classmethod
    def initial_states(cls, n_samples, seed):
        """Charges (n, 5), positions (n, 5, 3) and velocities (n, 5, 3) of the protocol."""
        charge_rng, state_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        k = cls.particles
        charges = np.where(charge_rng.integers(0, 2, (n_samples, k)) == 1, 1.0, -1.0)
        draws = state_rng.standard_normal((n_samples, 2, k, 3))  # row by row: prefixes agree
        x, v = draws[:, 0], draws[:, 1]
        v *= 0.5 / np.linalg.norm(v, axis=-1, keepdims=True)
        above, below = x > cls.box, x < -cls.box
        x = np.where(above, 2 * cls.box - x, np.where(below, -2 * cls.box - x, x))
        v = np.where(above, -np.abs(v), np.where(below, np.abs(v), v))
        return charges, x, v

    @classmethod
    def forces(cls, x, charges):
        """Clipped Coulomb forces (n, k, 3) on particles at ``x`` (n, k, 3) with ``charges`` (n, k)."""
        from scalars.dynamics.nbody import pair_forces

        strength = charges[:, :, None] * charges[:, None, :]
        return np.clip(pair_forces(x, strength), -cls.max_force, cls.max_force)

    @staticmethod
    def energy(x, v, charges):
        """Kinetic plus Coulomb energy (n,) of states ``x``, ``v`` (n, k, 3)."""
        i, j = np.triu_indices(x.shape[1], k=1)
        distance = np.linalg.norm(x[:, i] - x[:, j], axis=-1)
        return 0.5 * (v**2).sum((1, 2)) + (charges[:, i] * charges[:, j] / distance).sum(1)

    @classmethod
    def simulate(cls, x, v, charges, dt=None, n_frames=None, save_every=None):
        """Run the protocol's leapfrog from positions ``x`` and velocities ``v`` (n, k, 3).

        Parameters
        ----------
        x, v : ndarrays of shape (n, k, 3)
        charges : ndarray of shape (n, k)
        dt, n_frames, save_every : default the protocol's (0.001, 49, 100)

        Returns
        -------
        positions, velocities : ndarrays of shape (n, n_frames, k, 3)
            Frame ``f`` holds ``x`` after ``save_every (f + 1)`` drifts and ``v`` before the
            kick that follows.
        """
        dt = cls.dt if dt is None else dt
        n_frames = cls.n_frames if n_frames is None else n_frames
        save_every = cls.save_every if save_every is None else save_every
        chunks = [slice(start, start + cls._CHUNK) for start in range(0, len(x), cls._CHUNK)]
        runs = [cls._leapfrog(x[c], v[c], charges[c], dt, n_frames, save_every) for c in chunks]
        positions, velocities = (np.concatenate([run[m] for run in runs], axis=-1) for m in (0, 1))
        return positions.transpose(3, 0, 1, 2), velocities.transpose(3, 0, 1, 2)

    def _load_or_generate(self, cache):
        from scalars.dynamics.data import cached_arrays

        def generate():
            charges, x, v = self.initial_states(self.n_samples, self.seed)
            positions, velocities = self.simulate(x, v, charges)
            return dict(charges=charges, positions=positions, velocities=velocities)

        config = dict(format=self._FORMAT, n_samples=self.n_samples, seed=self.seed)
        return cached_arrays("charged-nbody", config, generate, cache)

    @classmethod
    def _leapfrog(cls, x, v, charges, dt, n_frames, save_every):
        """:meth:`simulate` for one chunk; arrays (frames, particles, 3, trajectories).

        The protocol's leapfrog is the ``"symplectic_euler"`` method (kick, then drift) of
        :data:`~scalars.dynamics.INTEGRATORS`, here in time units of ``dt`` (steps of 1,
        velocity ``dt v``, force ``dt F`` clipped at ``dt max_force``) to round as the
        protocol does.
        """
        from scalars.dynamics.integrators import SeparableField, integrate_separable

        n, k, _ = x.shape
        i, j = np.triu_indices(k, k=1)
        incidence = np.zeros((k, len(i)))
        incidence[i, np.arange(len(i))], incidence[j, np.arange(len(i))] = 1.0, -1.0
        # Trajectories innermost, so that every operation runs over them contiguously, in
        # chunks small enough for the cache; dt folded into the pair strengths and the clip.
        strength = dt * (charges[:, i] * charges[:, j]).T  # (pairs, n)
        separation, squares = np.empty((len(i), 3, n)), np.empty((len(i), 3, n))
        distance2, scale, impulse = np.empty((len(i), n)), np.empty((len(i), n)), np.empty((k, 3, n))
        bound = dt * cls.max_force

        def kick(x):
            """The impulse ``dt F(x)`` (k, 3, n), clipped, in a buffer reused by the next call."""
            np.matmul(incidence.T, x.reshape(k, -1), out=separation.reshape(len(i), -1))  # x_i - x_j per pair
            np.multiply(separation, separation, out=squares)
            np.add(squares[:, 0], squares[:, 1], out=distance2)
            np.add(distance2, squares[:, 2], out=distance2)
            np.sqrt(distance2, out=scale)
            np.multiply(scale, distance2, out=scale)
            np.divide(strength, scale, out=scale)  # dt q_i q_j / r^3
            np.multiply(separation, scale[:, None], out=separation)
            np.matmul(incidence, separation.reshape(len(i), -1), out=impulse.reshape(k, -1))
            return np.clip(impulse, -bound, bound, out=impulse)

        field = SeparableField(lambda v: v * dt, kick)
        x, v = np.ascontiguousarray(x.transpose(1, 2, 0)), np.ascontiguousarray(v.transpose(1, 2, 0))
        steps = np.arange(n_frames + 1.0) * save_every
        positions, velocities = integrate_separable(field, x, v, steps, "symplectic_euler", save_every)
        return positions[1:], velocities[1:]


def gravity_field(masses, d=2):
    """The gravitational field of a periodic mass image: minus the gradient of its potential.

    The potential solves the discrete Poisson equation ``L phi = m - mean(m)`` with ``L``
    the ``2d + 1``-point Laplacian of unit spacing on the periodic grid (its Green's
    function applied in Fourier space: ``phi_k = m_k / lambda_k``,
    ``lambda_k = sum_a (2 cos(2 pi k_a / n) - 2)``, ``phi_0 = 0``), and the field is
    ``-grad phi`` by central differences (``-i sin(2 pi k_a / n) phi_k``). Both operators
    commute with the grid's translations and signed permutations, so the map from masses to
    field is exactly equivariant (a vector image, order 1). Units: ``4 pi G = 1``, pixels.

    Parameters
    ----------
    masses : ndarray of shape (..., n, ..., n)
        Any leading axes, then ``d`` grid axes.
    d : int, default 2
        Grid dimension.

    Returns
    -------
    ndarray of shape (..., n, ..., n, d)
    """
    masses = np.asarray(masses, dtype=float)
    n = masses.shape[-1]
    if masses.ndim < d or any(size != n for size in masses.shape[masses.ndim - d :]):
        raise ValueError(f"masses must end in {d} grid axes of equal length (a square grid), got shape {masses.shape}")
    axes = tuple(range(-d, 0))
    frequencies = 2 * np.pi * np.fft.fftfreq(n)
    waves = np.meshgrid(*[frequencies] * d, indexing="ij")
    eigenvalues = sum(2 * np.cos(k) - 2 for k in waves)
    eigenvalues.flat[0] = 1.0  # the mean: phi_0 = 0 below
    potential = np.fft.fftn(masses, axes=axes) / eigenvalues
    potential[(...,) + (0,) * d] = 0.0
    field = [np.real(np.fft.ifftn(-1j * np.sin(k) * potential, axes=axes)) for k in waves]
    return np.stack(field, axis=-1)


class GravityField:
    """Point masses on a periodic grid in, their gravitational vector field out.

    The toy problem of the geometric-convolution paper (Gregory et al. 2023): each sample
    has ``n_masses`` point masses, uniform in [0.5, 1.5], on distinct pixels drawn
    uniformly; the target is :func:`gravity_field` of the mass image. Exactly equivariant
    to the grid's translations and signed permutations.

    Parameters
    ----------
    n_samples : int
    n : int, default 16
        Pixels a side.
    n_masses : int, default 5
    d : {2, 3}, default 2
    seed : int, default 0

    Attributes
    ----------
    X : ndarray of shape (n_samples, 1, n, ..., n)
        Mass images: one scalar channel.
    y : ndarray of shape (n_samples, 1, n, ..., n, d)
        Field images: one vector channel.

    Examples
    --------
    >>> data = GravityField(8, n=16, seed=0)
    >>> data.X.shape, data.y.shape
    ((8, 1, 16, 16), (8, 1, 16, 16, 2))
    """

    def __init__(self, n_samples, n=16, n_masses=5, d=2, seed=0):
        for name, value in [("n_samples", n_samples), ("n", n), ("n_masses", n_masses)]:
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if d not in (2, 3):
            raise ValueError(f"d must be 2 or 3, got {d!r}")
        if n_masses > n**d:
            raise ValueError(f"n_masses = {n_masses} point masses do not fit on {n}^{d} pixels")
        self.n_samples, self.n, self.n_masses, self.d, self.seed = int(n_samples), int(n), int(n_masses), d, seed
        rng = np.random.default_rng(seed)
        masses = np.zeros((self.n_samples, self.n**d))
        for sample in masses:
            sample[rng.choice(self.n**d, size=self.n_masses, replace=False)] = rng.uniform(0.5, 1.5, self.n_masses)
        masses = masses.reshape((self.n_samples, 1) + (self.n,) * d)
        self.X, self.y = masses, gravity_field(masses, d)

    def __len__(self):
        return self.n_samples

    def __repr__(self):
        return f"GravityField({self.n_samples}, n={self.n}, n_masses={self.n_masses}, d={self.d}, seed={self.seed})"


def surface_patches(n_patches, n_points=32, noise=0.0, rotate=True, seed=None):
    """Patches of random smooth surfaces and their unit normals at the patch centre.

    Each surface is a height field ``z = h(u, v)`` over the unit disc: a random plane, a
    random quadric and three Gaussian bumps (heights and widths random, centres in the
    disc). ``n_points`` points are drawn uniformly in the disc, lifted to the surface, and
    moved by Gaussian noise of standard deviation ``noise``; the patch is then rotated by a
    Haar-random rotation (``rotate=True``; otherwise left as drawn) and translated by a
    standard normal vector. The target is the unit normal of the surface at ``(0, 0)``,
    rotated with the points, and defined up to sign. The same ``seed`` gives the same
    patches with and without the rotations.

    Parameters
    ----------
    n_patches : int
    n_points : int, default=32
    noise : float, default=0.0
        Standard deviation of the noise on every coordinate (the disc has radius 1).
    rotate : bool, default=True
    seed : int or None

    Returns
    -------
    X : ndarray of shape (n_patches, n_points * 3)
        The points, flat (layout ``"{n_points}P"``).
    normals : ndarray of shape (n_patches, 3)
    """
    if isinstance(n_patches, bool) or not isinstance(n_patches, (int, np.integer)) or n_patches < 1:
        raise ValueError(f"n_patches must be a positive int, got {n_patches!r}")
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 3:
        raise ValueError(f"n_points must be an int >= 3 (a plane needs three points), got {n_points!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    radius, angle = np.sqrt(rng.random((n_patches, n_points))), 2 * np.pi * rng.random((n_patches, n_points))
    uv = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1)  # (n, N, 2)
    slope = rng.normal(0.0, 0.5, (n_patches, 2))
    hessian = rng.normal(0.0, 0.5, (n_patches, 2, 2))
    hessian = hessian + np.swapaxes(hessian, 1, 2)
    centres = rng.uniform(-0.7, 0.7, (n_patches, 3, 2))
    heights, widths = rng.normal(0.0, 0.3, (n_patches, 3)), rng.uniform(0.2, 0.5, (n_patches, 3))

    def bumps(p):  # p (n, m, 2) -> heights (n, m) and gradients (n, m, 2)
        offset = p[:, :, None, :] - centres[:, None]
        value = heights[:, None] * np.exp(-(offset**2).sum(-1) / (2 * widths[:, None] ** 2))
        return value.sum(-1), (-value[..., None] * offset / widths[:, None, :, None] ** 2).sum(2)

    z = (uv @ slope[:, :, None])[..., 0] + 0.5 * np.einsum("npi,nij,npj->np", uv, hessian, uv) + bumps(uv)[0]
    points = np.concatenate([uv, z[..., None]], axis=-1) + noise * rng.standard_normal((n_patches, n_points, 3))
    gradient = slope + bumps(np.zeros((n_patches, 1, 2)))[1][:, 0]
    normals = np.concatenate([-gradient, np.ones((n_patches, 1))], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    Q, R = np.linalg.qr(rng.standard_normal((n_patches, 3, 3)))  # drawn either way: same patches
    Q = Q * np.sign(np.diagonal(R, axis1=1, axis2=2))[:, None, :]  # Haar on O(3)
    Q[:, :, 0] *= np.sign(np.linalg.det(Q))[:, None]  # on SO(3)
    if rotate:
        points, normals = points @ np.swapaxes(Q, 1, 2), (Q @ normals[:, :, None])[..., 0]
    points = points + rng.standard_normal((n_patches, 1, 3))
    return points.reshape(n_patches, -1), normals


def halo_clouds(n_clouds, n_points=100, anisotropic=True, seed=None):
    """Halo-like clouds: positions and velocities of particles of a triaxial Plummer sphere.

    Units ``G = M = a = 1`` (total mass, Plummer radius), equal masses ``1 / n_points``.
    Radii are drawn from the Plummer profile ``rho ~ (1 + r^2)^(-5/2)`` truncated at
    ``r = 10`` (its second moment diverges otherwise), directions uniformly; the positions
    are then squashed to a random triaxial shape ``diag(1, q, s q)`` with ``q, s`` uniform in
    ``[0.5, 1]``. Velocities are Gaussian with the isotropic Plummer dispersion
    ``sigma^2(r) = 1 / (6 sqrt(1 + r^2))`` along the radius and
    ``sigma^2(r) (1 - beta)`` across it, ``beta`` uniform in ``[-0.5, 0.5]`` per cloud
    (0 with ``anisotropic=False``), all scaled by a factor uniform in ``[0.7, 1.3]`` (the
    virial ratio changes with its square). Each cloud is then rotated by a Haar-random
    rotation. The targets are measured on the particles by :func:`halo_properties`.

    Parameters
    ----------
    n_clouds : int
    n_points : int, default=100
        Particles per cloud (at least 2).
    anisotropic : bool, default=True
    seed : int or None

    Returns
    -------
    ndarray of shape (n_clouds, n_points, 6)
        Positions (columns 0-2) and velocities (columns 3-5) of each particle.
    """
    for name, value, least in (("n_clouds", n_clouds, 1), ("n_points", n_points, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"{name} must be an int >= {least}, got {value!r}")
    rng = np.random.default_rng(seed)
    shape = (n_clouds, n_points)
    enclosed = rng.uniform(0.0, 1000.0 / 101.0**1.5, shape)  # M(r) = r^3 / (1 + r^2)^(3/2), up to M(10)
    r = 1.0 / np.sqrt(enclosed ** (-2.0 / 3.0) - 1.0)
    radial = rng.standard_normal(shape + (3,))
    radial /= np.linalg.norm(radial, axis=-1, keepdims=True)
    q = rng.uniform(0.5, 1.0, n_clouds)
    axes = np.stack([np.ones(n_clouds), q, q * rng.uniform(0.5, 1.0, n_clouds)], axis=1)
    positions = r[..., None] * radial * axes[:, None, :]
    beta = rng.uniform(-0.5, 0.5, (n_clouds, 1, 1)) if anisotropic else np.zeros((n_clouds, 1, 1))
    sigma = rng.uniform(0.7, 1.3, (n_clouds, 1, 1)) / np.sqrt(6.0 * np.sqrt(1.0 + r[..., None] ** 2))
    v = sigma * rng.standard_normal(shape + (3,))
    along = (v * radial).sum(-1, keepdims=True) * radial
    velocities = along + np.sqrt(1.0 - beta) * (v - along)
    Q, R = np.linalg.qr(rng.standard_normal((n_clouds, 3, 3)))
    Q = Q * np.sign(np.diagonal(R, axis1=1, axis2=2))[:, None, :]
    Q[:, :, 0] *= np.sign(np.linalg.det(Q))[:, None]  # Haar on SO(3)
    rotate = np.swapaxes(Q, 1, 2)  # rows x -> Q x
    return np.concatenate([positions @ rotate, velocities @ rotate], axis=-1)


HALO_PROPERTIES = ("virial ratio", "b/a", "c/a", "anisotropy beta")


def halo_properties(X, softening=0.01):
    """Virial ratio, axis ratios and velocity anisotropy of particle clouds.

    With equal masses ``m = 1 / n``, positions ``x_i`` and velocities ``v_i`` taken about
    the centre of mass and its velocity (``G = 1``):

    - virial ratio ``2 K / |W|``, ``K = m / 2 sum_i |v_i|^2``,
      ``W = -m^2 sum_{i<j} (|x_i - x_j|^2 + softening^2)^(-1/2)`` (all pairs: ``O(n^2)``);
    - ``b/a`` and ``c/a``: the square roots of the ratios of the eigenvalues of the
      second-moment (inertia) tensor ``mean_i x_i x_i^T``, largest first;
    - anisotropy ``beta = 1 - mean_i |v_t|^2 / (2 mean_i v_r^2)``, ``v_r`` the radial and
      ``v_t`` the tangential velocity of each particle (``-inf`` for a cloud whose
      radial velocities are all zero while some tangential one is not).

    All are invariant under rotations, reflections and relabellings of the particles.

    Parameters
    ----------
    X : ndarray of shape (n_clouds, n, 6)
        Positions then velocities of each particle, as :func:`halo_clouds` draws them.
    softening : float, default=0.01

    Returns
    -------
    ndarray of shape (n_clouds, 4)
        The four properties in that order (their names are ``HALO_PROPERTIES``).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[2] != 6 or X.shape[1] < 2:
        raise ValueError(f"X must have shape (n_clouds, n >= 2, 6) (positions and velocities), got {X.shape}")
    n = X.shape[1]
    X = X - X.mean(axis=1, keepdims=True)
    x, v = X[..., :3], X[..., 3:]
    kinetic = 0.5 * (v * v).sum(axis=(1, 2)) / n
    potential = np.concatenate([_inverse_distance_sum(part, softening)
                                for part in np.array_split(x, max(1, len(x) * n * n // 2**22), axis=0)]) / n**2
    eigenvalues = np.linalg.eigvalsh(np.swapaxes(x, 1, 2) @ x / n)  # ascending
    r = np.linalg.norm(x, axis=-1, keepdims=True)
    v_r = (x * v).sum(-1, keepdims=True) / np.maximum(r, np.finfo(float).tiny)
    tangential = ((v - v_r * x / np.maximum(r, np.finfo(float).tiny)) ** 2).sum(-1)
    with np.errstate(divide="ignore"):  # documented: -inf without radial motion
        beta = 1.0 - tangential.mean(1) / (2.0 * (v_r[..., 0] ** 2).mean(1))
    ratios = np.sqrt(eigenvalues[:, 1::-1] / eigenvalues[:, 2:])
    return np.column_stack([2.0 * kinetic / potential, ratios, beta])


def _inverse_distance_sum(x, softening):
    """``sum_{i<j} (|x_i - x_j|^2 + softening^2)^(-1/2)`` per cloud of ``x`` (m, n, 3)."""
    r = (x * x).sum(-1)
    squared = np.maximum(r[:, :, None] + r[:, None, :] - 2.0 * x @ np.swapaxes(x, 1, 2), 0.0) + softening**2
    squared[:, np.arange(x.shape[1]), np.arange(x.shape[1])] = np.inf
    return 0.5 * (1.0 / np.sqrt(squared)).sum(axis=(1, 2))
