"""The Rietkerk model of dryland vegetation: surface water, soil water and plants on a landscape.

Rietkerk et al. (2002, The American Naturalist 160) couple three fields on a 2-D landscape,
surface water ``u`` and soil water ``w`` (litres of water per m^2) and vegetation ``v``
(grams of biomass per m^2):

    du/dt = R - alpha (v + k2 W0) / (v + k2) u + Du lap(u)
    dw/dt = alpha (v + k2 W0) / (v + k2) u - gm v w / (k1 + w) - delta_w w + Dw lap(w)
    dv/dt = c gm v w / (k1 + w) - delta_v v + Dv lap(v)

Rain falls at rate ``R`` and infiltrates faster where there are plants; plants take up soil
water with Michaelis-Menten saturation and die at rate ``delta_v``; surface water flows
fast (``Du``) and plants spread slowly. With little rain the uniform cover breaks into
gaps, labyrinths and spots before the soil goes bare.

:class:`Rietkerk` simulates it on a periodic square grid with the explicit scheme of the
parameter table (``data/rietkerk_parameters.csv``: forward Euler in time, the five-point
Laplacian in space), vectorised over the grid and over a batch of parameter sets. Litres
of water are a base dimension of their own (``water_litre``), not cubic metres: with day,
metre and gram the 16 parameters have four independent units, hence 12 dimensionless
groups (:class:`scalars.DimensionlessFeatures`).
"""

from functools import lru_cache

import numba
import numpy as np

__all__ = ["Rietkerk", "RIETKERK_PARAMETERS", "rietkerk_registry"]

# name -> (default, unit of the table, description): data/rietkerk_parameters.csv
RIETKERK_PARAMETERS = {
    "R": (0.375, "water_litre / day / metre ** 2", "rainfall"),
    "alpha": (0.2, "1 / day", "infiltration rate"),
    "k2": (5.0, "gram / metre ** 2", "saturation constant"),
    "W0": (0.1, "dimensionless", "water infiltration constant"),
    "Du": (100.0, "metre ** 2 / day", "surface water diffusion"),
    "gm": (0.05, "water_litre / gram / day", "water uptake"),
    "k1": (5.0, "water_litre / metre ** 2", "water uptake constant"),
    "delta_w": (0.2, "1 / day", "soil water loss"),
    "Dw": (0.1, "metre ** 2 / day", "soil water diffusion"),
    "c": (20.0, "gram / water_litre", "water to biomass conversion"),
    "delta_v": (0.25, "1 / day", "vegetation loss"),
    "Dv": (0.1, "metre ** 2 / day", "vegetation diffusion"),
    "T": (200.0, "day", "total integration time"),
    "dt": (0.005, "day", "integration time step"),
    "L": (200.0, "metre", "integration patch length"),
    "dl": (2.0, "metre", "spatial step size"),
}

# the parameters that fix the grid and the clock: one number each, never a batch
_GRID = ("T", "dt", "L", "dl")


@lru_cache(maxsize=1)
def rietkerk_registry():
    """A pint registry in which litres of water, ``water_litre``, are a base dimension.

    Returns
    -------
    pint.UnitRegistry
        Parse the model's quantities with it: ``rietkerk_registry().Quantity(0.4,
        "water_litre / day / m^2")``.
    """
    import pint

    registry = pint.UnitRegistry()
    registry.define("water_litre = [water_volume]")
    return registry


def _in_table_units(name, value):
    """``value`` as float64 in the table's unit of parameter ``name``.

    Numbers are taken to be in the table's units; strings are parsed with units; pint
    quantities (of any registry) are converted.
    """
    unit = RIETKERK_PARAMETERS[name][1]
    if isinstance(value, str) or hasattr(value, "units"):
        registry = rietkerk_registry()
        try:
            quantity = registry.Quantity(value) if isinstance(value, str) else registry.Quantity(
                np.asarray(value.magnitude), str(value.units)
            )
            value = quantity.to(unit).magnitude
        except Exception as error:  # pint's DimensionalityError, UndefinedUnitError, ...
            raise ValueError(f"{name} = {value!r} cannot be expressed in {unit}: {error}") from None
    array = np.asarray(value, dtype=np.float64) if np.asarray(value).dtype.kind in "biuf" else None
    if array is None:
        raise TypeError(f"{name} must be a number, a unit string or a pint quantity, got {value!r}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return array


class Rietkerk:
    """The Rietkerk vegetation model on a periodic square landscape.

    Parameters
    ----------
    **parameters
        Any of :data:`RIETKERK_PARAMETERS` (the others keep their defaults): a number in
        the table's unit, a string with units (``"2 m"``, ``"0.5 water_litre/day/m^2"``) or
        a pint quantity. All but ``T, dt, L, dl`` may be arrays of one shape: a batch of
        landscapes simulated together.

    Attributes
    ----------
    n_grid : int
        Grid points per side, ``L / dl``.
    batch_shape : tuple of int
        Shape of the batch of parameter sets, () for one.

    Raises
    ------
    ValueError
        Before any simulation, naming the parameter: an unknown name, wrong units, a
        negative rate, ``W0`` outside [0, 1], a grid step that does not divide ``L``, or a
        time step beyond the explicit scheme's stability limit ``dl^2 / (4 D)``.

    Examples
    --------
    >>> model = Rietkerk(L="40 m", T=5)
    >>> u, w, v = model.simulate(seed=0)
    >>> v.shape
    (20, 20)
    """

    def __init__(self, **parameters):
        unknown = sorted(set(parameters) - set(RIETKERK_PARAMETERS))
        if unknown:
            raise ValueError(f"unknown parameters {unknown}; the model's are {list(RIETKERK_PARAMETERS)}")
        values = {name: parameters.get(name, default) for name, (default, _, _) in RIETKERK_PARAMETERS.items()}
        for name, value in values.items():
            setattr(self, name, _in_table_units(name, value))
        self._check()

    def _check(self):
        for name in _GRID:
            if np.ndim(getattr(self, name)) != 0:
                raise ValueError(f"{name} fixes the grid and the clock: one number, not an array")
            setattr(self, name, float(getattr(self, name)))
        if np.any(self.R < 0):
            raise ValueError(f"R must be non-negative, got {self.R}")
        for name in RIETKERK_PARAMETERS:
            if name not in ("R", "W0") and np.any(getattr(self, name) <= 0):
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if np.any(self.W0 < 0) or np.any(self.W0 > 1):
            raise ValueError(f"W0 is the infiltration of bare soil relative to vegetated soil, in [0, 1]; got {self.W0}")
        ratio = self.L / self.dl
        if abs(ratio - round(ratio)) > 1e-9 * ratio or round(ratio) < 3:
            raise ValueError(f"dl = {self.dl} m must divide L = {self.L} m into at least 3 grid steps")
        self.n_grid = int(round(ratio))
        for name in ("Du", "Dw", "Dv"):
            limit = self.dl**2 / (4 * np.max(getattr(self, name)))
            if self.dt > limit:
                raise ValueError(
                    f"dt = {self.dt} day is beyond the stability limit dl^2 / (4 {name}) = {limit:.4g} day of the "
                    "explicit scheme; take a smaller dt or a coarser dl"
                )
        batched = [name for name in RIETKERK_PARAMETERS if name not in _GRID]
        self.batch_shape = np.broadcast_shapes(*(np.shape(getattr(self, name)) for name in batched))

    def _batch(self, name):
        """Parameter ``name`` broadcast to the batch, with two trailing grid axes."""
        return np.broadcast_to(getattr(self, name), self.batch_shape)[..., None, None]

    def equilibria(self):
        """The uniform steady states: bare soil, and vegetated where it exists.

        Bare soil: ``u = R / (alpha W0)``, ``w = R / delta_w``, ``v = 0``. Vegetated:
        ``w = k1 delta_v / (c gm - delta_v)``, ``v = (R - delta_w w) c / delta_v`` and ``u``
        from the balance of surface water; it exists where ``c gm > delta_v`` and
        ``R > delta_w w``.

        Returns
        -------
        dict of str to tuple of ndarray
            ``"bare"`` and ``"vegetated"``: ``(u, w, v)``, each of shape ``batch_shape``
            (NaN where the vegetated state does not exist).
        """
        p = {name: np.asarray(getattr(self, name)) for name in RIETKERK_PARAMETERS}
        bare = (p["R"] / (p["alpha"] * p["W0"]), p["R"] / p["delta_w"], np.zeros_like(p["R"]))
        with np.errstate(divide="ignore", invalid="ignore"):
            w = p["k1"] * p["delta_v"] / (p["c"] * p["gm"] - p["delta_v"])
            v = (p["R"] - p["delta_w"] * w) * p["c"] / p["delta_v"]
            exists = (p["c"] * p["gm"] > p["delta_v"]) & (v > 0)
            u = p["R"] * (v + p["k2"]) / (p["alpha"] * (v + p["k2"] * p["W0"]))
        vegetated = tuple(np.where(exists, x, np.nan) for x in np.broadcast_arrays(u, w, v))
        shape = self.batch_shape
        return {
            "bare": tuple(np.broadcast_to(x, shape).copy() for x in bare),
            "vegetated": tuple(np.broadcast_to(x, shape).copy() for x in vegetated),
        }

    def growth_rates(self, wavenumbers):
        """Growth rates of small waves about the vegetated equilibrium (linear stability).

        Parameters
        ----------
        wavenumbers : array-like of shape (K,) [1 / metre]
            Angular wavenumbers ``k`` of perturbations ``exp(i k x)``.

        Returns
        -------
        ndarray of shape batch_shape + (K,) [1 / day]
            The largest real part of the eigenvalues of ``J - k^2 diag(Du, Dw, Dv)``, with
            ``J`` the Jacobian of the reaction terms at the vegetated equilibrium; NaN
            where that equilibrium does not exist.
        """
        k2 = np.asarray(wavenumbers, dtype=float) ** 2
        u, w, v = self.equilibria()["vegetated"]
        p = {name: np.broadcast_to(getattr(self, name), self.batch_shape)[..., None] for name in RIETKERK_PARAMETERS}
        u, w, v = u[..., None], w[..., None], v[..., None]
        infiltration = p["alpha"] * (v + p["k2"] * p["W0"]) / (v + p["k2"])
        d_infiltration_dv = p["alpha"] * p["k2"] * (1 - p["W0"]) / (v + p["k2"]) ** 2 * u
        saturation = w / (p["k1"] + w)
        d_saturation_dw = p["k1"] / (p["k1"] + w) ** 2
        zero = np.zeros_like(k2 * u)
        J = np.stack([
            np.stack([-infiltration - p["Du"] * k2, zero, -d_infiltration_dv + zero], -1),
            np.stack([infiltration + zero, -p["gm"] * v * d_saturation_dw - p["delta_w"] - p["Dw"] * k2,
                      d_infiltration_dv - p["gm"] * saturation + zero], -1),
            np.stack([zero, p["c"] * p["gm"] * v * d_saturation_dw + zero,
                      p["c"] * p["gm"] * saturation - p["delta_v"] - p["Dv"] * k2], -1),
        ], -2)
        exists = np.isfinite(J).all(axis=(-2, -1))
        rates = np.linalg.eigvals(np.where(exists[..., None, None], J, 0.0)).real.max(-1)
        return np.where(exists, rates, np.nan)

    def fastest_wavelength(self, k_max=None, n_k=4000):
        """Wavelength [metre] of the fastest-growing wave about the vegetated equilibrium.

        Parameters
        ----------
        k_max : float, optional
            Largest wavenumber searched, [1 / metre]; default the grid's ``pi / dl``.
        n_k : int, default=4000

        Returns
        -------
        ndarray of shape batch_shape
            ``2 pi / k*`` with ``k*`` the maximiser of :meth:`growth_rates`; inf where the
            uniform state is stable to every wave (no pattern forms), NaN where there is no
            vegetated equilibrium.
        """
        k = np.linspace(0, np.pi / self.dl if k_max is None else k_max, n_k)[1:]
        rates = self.growth_rates(k)
        best = k[np.argmax(np.nan_to_num(rates, nan=-np.inf), axis=-1)]
        wavelength = np.where(rates.max(-1) > 0, 2 * np.pi / best, np.inf)
        return np.where(np.isnan(rates[..., 0]), np.nan, wavelength)

    def scales(self):
        """The units of the dimensionless form: repeating variables ``R, alpha, c, L``.

        Returns
        -------
        dict of str to ndarray
            ``"water"`` ``R / alpha`` [water_litre / m^2] (for ``u`` and ``w``),
            ``"vegetation"`` ``c R / alpha`` [g / m^2], ``"time"`` ``1 / alpha`` [day] and
            ``"length"`` ``L`` [m], each of shape ``batch_shape``.
        """
        R, alpha, c = (np.broadcast_to(getattr(self, name), self.batch_shape) for name in ("R", "alpha", "c"))
        return {"water": R / alpha, "vegetation": c * R / alpha, "time": 1 / alpha, "length": np.full(self.batch_shape, self.L)}

    def dimensionless(self):
        """The same model in the units of :meth:`scales`: ``R = alpha = c = L = 1``.

        Its other parameters are the 12 dimensionless groups of the seed's table (those of
        :class:`scalars.DimensionlessFeatures` with repeating variables ``alpha, R, c, L``):
        ``k1 -> alpha k1 / R``, ``k2 -> alpha k2 / (c R)``, ``gm -> c gm / alpha``,
        ``delta_w, delta_v -> delta / alpha``, ``D -> D / (alpha L^2)``, ``W0``,
        ``T, dt -> alpha T, alpha dt``, ``dl -> dl / L``. Its fields times the scales are
        this model's fields, and two systems with the same groups share one dimensionless
        model.

        Returns
        -------
        Rietkerk
            With pure numbers read in the table's units; ``T``, ``dt`` and ``dl`` must be
            one number, so a batch must share ``alpha T``, ``alpha dt`` and ``dl / L``.
        """
        p = {name: np.asarray(getattr(self, name)) for name in RIETKERK_PARAMETERS}
        groups = dict(
            R=1.0, alpha=1.0, c=1.0, L=1.0, W0=p["W0"],
            k1=p["alpha"] * p["k1"] / p["R"], k2=p["alpha"] * p["k2"] / (p["c"] * p["R"]),
            gm=p["c"] * p["gm"] / p["alpha"], delta_w=p["delta_w"] / p["alpha"], delta_v=p["delta_v"] / p["alpha"],
            Du=p["Du"] / (p["alpha"] * p["L"] ** 2), Dw=p["Dw"] / (p["alpha"] * p["L"] ** 2),
            Dv=p["Dv"] / (p["alpha"] * p["L"] ** 2), dl=p["dl"] / p["L"],
        )
        for name in ("T", "dt"):
            value = np.unique(p["alpha"] * p[name])
            if value.size != 1:
                raise ValueError(f"the batch has several alpha {name}; the dimensionless model needs one")
            groups[name] = float(value[0])
        return Rietkerk(**groups)

    def right_hand_sides(self):
        """The model's equations as sympy expressions, at this model's parameter values.

        Written in the symbols of :func:`scalars.dynamics.pde_laws.field_symbols` for the
        fields ``u, w, v`` (``lap(u)`` for the Laplacian), so that
        :meth:`PDELawFinder.compare <scalars.dynamics.PDELawFinder.compare>` can score a
        law found from data against them.

        Returns
        -------
        list of 3 sympy expressions
            ``du/dt, dw/dt, dv/dt``, numbers in the table's units.
        """
        from scalars.dynamics.pde_laws import field_symbols

        if self.batch_shape:
            raise ValueError(f"right_hand_sides needs one parameter set, not a batch of shape {self.batch_shape}")
        s = field_symbols(("u", "w", "v"))
        u, w, v = s["u"], s["w"], s["v"]
        p = {name: float(getattr(self, name)) for name in _RATES}
        infiltration = p["alpha"] * (v + p["k2"] * p["W0"]) / (v + p["k2"]) * u
        uptake = p["gm"] * v * w / (p["k1"] + w)
        return [
            p["R"] - infiltration + p["Du"] * s["lap(u)"],
            infiltration - uptake - p["delta_w"] * w + p["Dw"] * s["lap(w)"],
            p["c"] * uptake - p["delta_v"] * v + p["Dv"] * s["lap(v)"],
        ]

    def initial_state(self, seed=0):
        """Bare-soil water and random plants: the start of :meth:`simulate`.

        ``u`` and ``w`` at the bare-soil equilibrium, ``v`` uniform in ``[0, 2 k2)`` in every
        cell (``k2``, the vegetation density of half-effective infiltration, sets the scale,
        so that systems with the same dimensionless groups start alike).

        Returns
        -------
        tuple of 3 ndarrays of shape batch_shape + (n_grid, n_grid)
        """
        rng = np.random.default_rng(seed)
        shape = self.batch_shape + (self.n_grid, self.n_grid)
        u, w, _ = (x[..., None, None] for x in self.equilibria()["bare"])
        v = 2 * self._batch("k2") * rng.random(shape)
        return np.broadcast_to(u, shape).copy(), np.broadcast_to(w, shape).copy(), v

    def simulate(self, T=None, n=1, seed=0, state=None, backend="numpy"):
        """Integrate the fields over ``T`` days with the explicit scheme.

        Parameters
        ----------
        T : float, str or pint.Quantity, optional
            Time to integrate, default the model's ``T`` (200 days).
        n : int, default=1
            Snapshots to return, evenly spaced, the last at ``T``.
        seed : int, default=0
            Seed of :meth:`initial_state`, if no ``state`` is given.
        state : tuple of 3 arrays, optional
            Fields ``(u, w, v)`` to start from, shape batch_shape + (n_grid, n_grid).
        backend : {"numpy", "torch"}, default="numpy"
            "numpy": one compiled (numba) pass over the grid a step; "torch": the same
            step in float64 torch operations on the whole batch (the same fields to
            rounding).

        Returns
        -------
        u, w, v : ndarrays
            Shape batch_shape + (n_grid, n_grid) for ``n=1``, else (n,) + that;
            water in water_litre / m^2, vegetation in g / m^2.
        """
        T = self.T if T is None else float(_in_table_units("T", T))
        if T <= 0 or int(n) != n or n < 1:
            raise ValueError(f"T must be positive and n a positive integer, got T={T}, n={n}")
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {sorted(_BACKENDS)}, got {backend!r}")
        steps = int(round(T / self.dt))
        if abs(steps * self.dt - T) > 1e-9 * T:
            raise ValueError(f"T = {T} day is not a whole number of steps dt = {self.dt} day")
        shape = self.batch_shape + (self.n_grid, self.n_grid)
        start = state if state is not None else self.initial_state(seed)
        fields = np.stack([np.broadcast_to(np.asarray(x, dtype=np.float64), shape) for x in start], -3)
        fields = np.ascontiguousarray(fields.reshape((-1, 3) + shape[-2:]))
        rates = np.stack([self._batch(name).reshape(-1) for name in _RATES], -1)
        marks = [int(round(steps * (i + 1) / n)) for i in range(int(n))]
        snapshots, done = [], 0
        for mark in marks:
            _BACKENDS[backend](fields, rates, self.dt, self.dl, mark - done)
            done = mark
            snapshots.append(fields.reshape(self.batch_shape + (3,) + shape[-2:]).copy())
        out = np.stack(snapshots) if n > 1 else snapshots[0]
        return tuple(np.moveaxis(out, -3, 0))


# the order of the rates in the compiled kernel
_RATES = ("R", "alpha", "k2", "W0", "Du", "gm", "k1", "delta_w", "Dw", "c", "delta_v", "Dv")


@numba.njit(cache=True)
def _euler_steps(fields, rates, dt, dl, steps):
    """``steps`` forward Euler steps, in place, of fields (B, 3, N, N) with rates (B, 12):
    the reaction terms and the periodic five-point Laplacian, one pass over the grid a step."""
    B, _, N, _ = fields.shape
    new = np.empty_like(fields)
    h2 = 1.0 / (dl * dl)
    for _ in range(steps):
        for b in range(B):
            R, alpha, k2, W0, Du, gm, k1, delta_w, Dw, c, delta_v, Dv = rates[b]
            for i in range(N):
                up, down = (i - 1) % N, (i + 1) % N
                for j in range(N):
                    left, right = (j - 1) % N, (j + 1) % N
                    u, w, v = fields[b, 0, i, j], fields[b, 1, i, j], fields[b, 2, i, j]
                    lap_u = (fields[b, 0, up, j] + fields[b, 0, down, j] + fields[b, 0, i, left] + fields[b, 0, i, right] - 4 * u) * h2
                    lap_w = (fields[b, 1, up, j] + fields[b, 1, down, j] + fields[b, 1, i, left] + fields[b, 1, i, right] - 4 * w) * h2
                    lap_v = (fields[b, 2, up, j] + fields[b, 2, down, j] + fields[b, 2, i, left] + fields[b, 2, i, right] - 4 * v) * h2
                    infiltration = alpha * (v + k2 * W0) / (v + k2) * u
                    uptake = gm * v * w / (k1 + w)
                    new[b, 0, i, j] = u + dt * (R - infiltration + Du * lap_u)
                    new[b, 1, i, j] = w + dt * (infiltration - uptake - delta_w * w + Dw * lap_w)
                    new[b, 2, i, j] = v + dt * (c * uptake - delta_v * v + Dv * lap_v)
        fields[:] = new


def _torch_euler_steps(fields, rates, dt, dl, steps):
    """:func:`_euler_steps` in float64 torch operations on the whole batch, in place."""
    import torch

    x = torch.from_numpy(fields)
    R, alpha, k2, W0, Du, gm, k1, delta_w, Dw, c, delta_v, Dv = torch.from_numpy(rates)[:, :, None, None].unbind(1)
    diffusion = torch.stack([Du, Dw, Dv], 1)
    h2 = 1.0 / (dl * dl)
    for _ in range(steps):
        lap = (x.roll(1, -2) + x.roll(-1, -2) + x.roll(1, -1) + x.roll(-1, -1) - 4 * x) * h2
        u, w, v = x.unbind(1)
        infiltration = alpha * (v + k2 * W0) / (v + k2) * u
        uptake = gm * v * w / (k1 + w)
        reaction = torch.stack([R - infiltration, infiltration - uptake - delta_w * w, c * uptake - delta_v * v], 1)
        x = x + dt * (reaction + diffusion * lap)
    fields[:] = x.numpy()


_BACKENDS = {"numpy": _euler_steps, "torch": _torch_euler_steps}
