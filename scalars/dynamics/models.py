"""Learned dynamics: Hamiltonian networks for any System, and the pendulum's four models.

:class:`HamiltonianNetwork` learns the Hamiltonian of any :class:`~scalars.dynamics.System`
that lists its invariants (:meth:`NBodySystem.invariant_features
<scalars.dynamics.NBodySystem.invariant_features>`): ``H = sum_groups sum_terms
MLP_group(invariants of the term)``, one shared MLP per group of terms (particles, pairs
of particles), so H is exactly invariant under the system's group, permutations of
identical particles included; with ``raw=True`` the same network reads the raw
coordinates instead (the baseline). :class:`NeuralODE` learns an equivariant field of
any System that lists its terms (:meth:`NBodySystem.vector_terms
<scalars.dynamics.NBodySystem.vector_terms>`): each vector of the state is a sum over
terms of MLP coefficients of invariants times equivariant vectors. Models are called with
the state alone, ``vector_field(z)``, ``rollout(z0, t)``.

For the springy double pendulum, four models, two structures by two kinds of input:

=================  ==================================  ====================================
                   Hamiltonian network (HNN)           neural ODE
=================  ==================================  ====================================
scalars (O(3))     :class:`ScalarHNN`: H = MLP of the  :class:`ScalarNeuralODE`: each dz_i/dt
                   invariants, exactly O(3)-invariant   = sum_s f_is(invariants) v_s
raw coordinates    :class:`MLPHNN`: H = MLP(z, g, ...)  :class:`MLPNeuralODE`: dz/dt = MLP(...)
=================  ==================================  ====================================

Every model sees a state ``z = (q1, q2, p1, p2)`` of shape (..., 12), the gravity vector
``g`` (..., 3) and the other parameters of the system ``params = (m1, m2, k1, k2, L1, L2)``
(..., 6), and gives the time derivative :meth:`vector_field` and trajectories
:meth:`rollout`. The Hamiltonian networks are separable by default, ``H = K(p) + U(q)``
as for any particle system, and are integrated with the symplectic leapfrog; the neural
ODEs with RK4 (or any torchdiffeq method).

With ``dimensionless=True`` (scalar models) every input is first made dimensionless with
the scales of its own system, mass ``m1``, length ``L1`` and time ``sqrt(m1 / k1)``, and the
output is given back the right units: the model is then exactly equivariant under changes
of units, as well as under O(3).

Each network is a linear map of its whitened inputs plus an MLP of its standardised
inputs, both zero at the start; the scaling comes from the training data
(:meth:`fit_scaling`).
"""

from itertools import combinations, product

import numpy as np
import torch
from torch import nn

from scalars.dynamics.integrators import integrate, leapfrog
from scalars.dynamics.pendulum import split_state
from scalars.invariants import gram_upper
from scalars.nn.layers import Standardizer, mlp

__all__ = ["HamiltonianNetwork", "NeuralODE", "ScalarHNN", "MLPHNN", "ScalarNeuralODE", "MLPNeuralODE"]


def _monomial_exponents(n):
    """Exponent vectors (m, n) of the monomials of n variables with at most two factors,
    each to the power -1 or +1, the constant monomial first."""
    rows = [np.zeros(n)]
    for i in range(n):
        for a in (-1, 1):
            rows.append(np.eye(n)[i] * a)
    for i, j in combinations(range(n), 2):
        for a, b in product((-1, 1), repeat=2):
            rows.append(np.eye(n)[i] * a + np.eye(n)[j] * b)
    return torch.tensor(np.array(rows))


class _MLP(nn.Module):
    """A linear map of whitened inputs plus an MLP (SiLU) of standardised inputs.

    Both start at zero, so that an untrained model has no dynamics at all. With
    ``layers=0`` the model is linear in its inputs.

    With ``n_context > 0`` the last ``n_context`` inputs are positive parameters of the
    system, and the coefficients of the linear map are themselves linear combinations of
    monomials of them (``m2 / m1``, ``k2 L2``, ...: powers -1 and +1 of at most two), as
    physical coefficients typically are. The whole linear part stays linear in its weights.
    """

    def __init__(self, n_in, n_out, hidden, layers, n_context=0):
        super().__init__()
        self.scaling = Standardizer(n_in, whiten=True)
        self.skip = nn.Linear(n_in, n_out)
        self.n_context = n_context
        if n_context:
            self.register_buffer("exponents", _monomial_exponents(n_context))
            self.skip_context = nn.Linear(len(self.exponents), n_out * n_in, bias=False)
        self.body = mlp(n_in, n_out, (hidden,) * layers, nn.SiLU, output_bias=False) if layers else None
        self._start_at_zero()

    def linear_parameters(self):
        """The weights of the linear part, in which the output is linear."""
        return list(self.skip.parameters()) + (list(self.skip_context.parameters()) if self.n_context else [])

    @torch.no_grad()
    def reset_parameters(self):
        """Draw every layer as at construction: torch's default, then the linear part and
        the output layer at zero."""
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()
        self._start_at_zero()

    @torch.no_grad()
    def _start_at_zero(self):
        for weight in self.linear_parameters() + ([] if self.body is None else [self.body[-1].weight]):
            weight.zero_()

    def forward(self, x):
        standardised, whitened = self.scaling(x), self.scaling.whiten(x)
        out = self.skip(whitened)
        if self.n_context:
            monomials = torch.exp(torch.log(x[..., -self.n_context :]) @ self.exponents.T)
            weights = self.skip_context(monomials).unflatten(-1, (out.shape[-1], x.shape[-1]))
            out = out + (weights @ whitened[..., None])[..., 0]
        return out if self.body is None else out + self.body(standardised)


def _scales(params):
    """Mass, length and time scales (..., 1) of each system: m1, L1, sqrt(m1 / k1)."""
    m1, k1, L1 = params[..., 0:1], params[..., 2:3], params[..., 4:5]
    return m1, L1, torch.sqrt(m1 / k1)


def _dimensionless(z, g, params):
    """Inputs in the units of their own system; the parameters become ratios."""
    mass, length, time = _scales(params)
    q, p = z[..., :6] / length, z[..., 6:] * time / (mass * length)
    ratios = params / torch.cat([mass, mass, mass / time**2, mass / time**2, length, length], dim=-1)
    return torch.cat([q, p], dim=-1), g * time**2 / length, ratios


def _vectors(*arrays):
    """Stack (..., 3) vectors into (..., n, 3), broadcasting the leading axes."""
    return torch.stack(torch.broadcast_tensors(*arrays), dim=-2)


def _scalar_features(vectors, n_lengths, params, inverse_lengths=False):
    """Invariant features of ``vectors`` (..., n, 3) and the system ``params`` (..., 6).

    The Gram entries, then the lengths ``|v|`` of the first ``n_lengths`` vectors
    (separations, never zero) and, if asked, their inverses, then ``params``. Spring
    energies are linear in the lengths and Gram entries, central forces in the inverse
    lengths too.
    """
    lengths = vectors[..., :n_lengths, :].pow(2).sum(-1).sqrt()
    params = params.expand(vectors.shape[:-2] + params.shape[-1:])
    inverses = [1 / lengths] if inverse_lengths else []
    return torch.cat([gram_upper(vectors), lengths, *inverses, params], dim=-1)


def _raw_features(coordinates, g, params):
    """Coordinates (..., k), then ``g`` and ``params`` broadcast to their leading axes."""
    shape = coordinates.shape[:-1]
    return torch.cat([coordinates, g.expand(shape + (3,)), params.expand(shape + (6,))], dim=-1)


class _Dynamics(nn.Module):
    """Shared interface: a vector field, trajectories, and input standardisation."""

    def vector_field(self, z, *context):
        """Time derivative ``dz/dt`` (..., n) of states ``z`` (..., n); ``context`` is the
        system of each state, ``g, params`` for the pendulum and nothing for one System."""
        raise NotImplementedError

    def _features(self, name, z, *context):
        """Inputs (..., k) of the MLP ``self.nets[name]``."""
        raise NotImplementedError

    def linear_parameters(self):
        """The parameters of the linear maps of every network, in which the vector field
        is affine whatever the MLPs: a least-squares fit can set them directly."""
        return [parameter for net in self.nets.values() for parameter in net.linear_parameters()]

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Load a saved state, adopting the floating-point dtype of its parameters.

        A model trained in float64 (as :func:`scalars.dynamics.train` does) then restores
        exactly into a default-constructed float32 one, instead of being rounded to float32.
        Arguments as :meth:`torch.nn.Module.load_state_dict`.
        """
        dtypes = {state_dict[name].dtype for name, _ in self.named_parameters() if name in state_dict}
        if len(dtypes) == 1:
            self.to(dtypes.pop())
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    @torch.no_grad()
    def fit_scaling(self, z, *context):
        """Set the input scaling of every MLP from training states ``z`` (..., n) and their systems."""
        for name, net in self.nets.items():
            net.scaling.fit(self._features(name, z, *context))
        return self

    def rollout(self, z0, t, *context):
        """Trajectories from states ``z0`` (..., n) at times ``t`` (T,): shape (..., T, n).

        ``context`` describes the system of each trajectory: for the pendulum models ``g``
        (..., 3) and ``params`` (..., 6).
        """
        return integrate(lambda z: self.vector_field(z, *context), z0, t, self.method, self.substeps)


class _HNN(_Dynamics):
    """A Hamiltonian network: H from ``_energy``, dynamics by autograd and leapfrog."""

    def hamiltonian(self, z, *context):
        """Learned Hamiltonian of states ``z`` (..., n), shape (...)."""
        if self.separable:
            half = z.shape[-1] // 2
            q, p = z[..., :half], z[..., half:]
            return self.kinetic(p, *context) + self.potential(q, *context)
        return self._energy("H", z, *context)

    def kinetic(self, p, *context):
        """Learned kinetic energy K(p) (...) of momenta p (..., n/2), separable models only."""
        return self._energy("K", torch.cat([torch.zeros_like(p), p], dim=-1), *context)

    def potential(self, q, *context):
        """Learned potential energy U(q) (...) of positions q (..., n/2), separable models only."""
        return self._energy("U", torch.cat([q, torch.zeros_like(q)], dim=-1), *context)

    def _energy(self, name, z, *context):
        return self.nets[name](self._features(name, z, *context))[..., 0]

    def _gradient(self, energy, x, *context):
        # Training differentiates through the gradient; prediction only needs its value.
        create_graph = torch.is_grad_enabled()
        with torch.enable_grad():
            if not x.requires_grad:
                x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(energy(x, *context).sum(), x, create_graph=create_graph)
        return grad

    def vector_field(self, z, *context):
        grad = self._gradient(self.hamiltonian, z, *context)
        half = z.shape[-1] // 2
        return torch.cat([grad[..., half:], -grad[..., :half]], dim=-1)

    def rollout(self, z0, t, *context):
        if not self.separable or self.method != "leapfrog":
            return super().rollout(z0, t, *context)
        return leapfrog(
            lambda q: self._gradient(self.potential, q, *context),
            lambda p: self._gradient(self.kinetic, p, *context),
            z0,
            t,
            self.substeps,
            order=self.order,
        )


class HamiltonianNetwork(_HNN):
    """Hamiltonian network of any System: H sums shared MLPs of the system's invariants.

    Parameters
    ----------
    system : System
        With ``invariant_features(z, part)``, a dict of invariant features
        (..., n_terms, k) per group of terms, for ``part`` ``"K"`` (momenta only), ``"U"``
        (positions only) or ``"H"``.
    hidden, layers : int
        Width and number of hidden layers of each MLP.
    separable : bool
        ``H = K(p) + U(q)``; otherwise one H of the whole state.
    raw : bool
        Read the raw coordinates (the momenta for K, the positions for U, the state for H)
        instead of the invariants: the baseline, with no symmetry.
    method : {"leapfrog", "rk4"} or a torchdiffeq method
        Leapfrog needs ``separable``.
    substeps : int
        Integrator steps between two output times.
    order : {2, 4}
        Order of the leapfrog scheme.

    Examples
    --------
    >>> from scalars.dynamics import NBodySystem
    >>> system = NBodySystem([1.0, 2.0, 3.0])
    >>> model = HamiltonianNetwork(system).double()
    >>> z = torch.as_tensor(system.sample_initial_states(4, np.random.default_rng(0)))
    >>> model.vector_field(z).shape
    torch.Size([4, 18])
    """

    def __init__(self, system, hidden=64, layers=2, separable=True, raw=False, method="leapfrog", substeps=2, order=4):
        super().__init__()
        if method == "leapfrog" and not separable:
            raise ValueError("the leapfrog integrator needs a separable Hamiltonian (separable=True)")
        self.system, self.raw = system, raw
        self.separable, self.method, self.substeps, self.order = separable, method, substeps, order
        self.parts = ("K", "U") if separable else ("H",)
        probe = torch.ones(1, system.state_size, dtype=torch.float64)
        sizes = {
            f"{part}_{group}": x.shape[-1] for part in self.parts for group, x in self._groups(part, probe).items()
        }
        self.nets = nn.ModuleDict({name: _MLP(n, 1, hidden, layers) for name, n in sizes.items()})

    def _groups(self, part, z):
        """Feature groups (..., n_terms, k) of ``part`` of states ``z``."""
        if not self.raw:
            return self.system.invariant_features(z, part)
        half = z.shape[-1] // 2
        return {"raw": {"K": z[..., half:], "U": z[..., :half], "H": z}[part][..., None, :]}

    def _features(self, name, z):
        part, group = name.split("_", 1)
        return self._groups(part, z)[group]

    def _energy(self, part, z):
        return sum(self.nets[f"{part}_{group}"](x)[..., 0].sum(-1) for group, x in self._groups(part, z).items())


class NeuralODE(_Dynamics):
    """Neural ODE of any System, exactly equivariant: ``dz_ki = sum_m sum_b f_kb(x_im) v_imb``.

    The state is ``kinds`` blocks of ``n`` vectors (positions, momenta), ``dz_ki`` the time
    derivative of vector ``i`` of block ``k``; the system's ``vector_terms(z)`` gives, per
    vector ``i`` and term ``m``, invariant features ``x_im`` and equivariant vectors
    ``v_imb``; one MLP maps features to the ``kinds x b`` coefficients.

    Parameters
    ----------
    system : System
        With ``vector_terms(z)``: features (..., n, m, k) and vectors (..., n, m, b, d).
    hidden, layers : int
    method : str
        A key of :data:`~scalars.dynamics.INTEGRATORS` (``"rk4"``) or a torchdiffeq method.
    substeps : int

    Examples
    --------
    >>> from scalars.dynamics import NBodySystem
    >>> system = NBodySystem([1.0, 2.0, 3.0])
    >>> model = NeuralODE(system).double()
    >>> z = torch.as_tensor(system.sample_initial_states(4, np.random.default_rng(0)))
    >>> model.vector_field(z).shape
    torch.Size([4, 18])
    """

    def __init__(self, system, hidden=64, layers=2, method="rk4", substeps=2):
        super().__init__()
        self.system, self.method, self.substeps = system, method, substeps
        features, vectors = system.vector_terms(torch.ones(1, system.state_size, dtype=torch.float64))
        n, _, self.n_vectors, d = vectors.shape[-4:]
        self.kinds = system.state_size // (n * d)
        self.nets = nn.ModuleDict({"F": _MLP(features.shape[-1], self.kinds * self.n_vectors, hidden, layers)})

    def _features(self, name, z):
        return self.system.vector_terms(z)[0]

    def vector_field(self, z):
        features, vectors = self.system.vector_terms(z)
        coefficients = self.nets["F"](features).unflatten(-1, (self.kinds, self.n_vectors))  # (..., n, m, K, b)
        field = torch.einsum("...imkb,...imbd->...kid", coefficients, vectors)
        return field.flatten(-3)


class ScalarHNN(_HNN):
    """Hamiltonian network whose energy is an MLP of O(3) invariants: exactly invariant.

    Parameters
    ----------
    hidden, layers : int
        Width and number of hidden layers of each MLP.
    separable : bool
        ``H = K(p) + U(q)``, K from the Gram matrix of ``(p1, p2, g)``, U from that of
        ``(q1, q2, q1 - q2, g)`` and the lengths ``|q1|, |q2|, |q1 - q2|``; otherwise one
        MLP of the Gram matrix of ``(q1, q2, q1 - q2, p1, p2, g)`` and the same lengths.
    dimensionless : bool
        Make inputs dimensionless and ``H`` an energy (units equivariance).
    modulated : bool
        For data from many systems: the coefficients of the linear part are combinations of
        monomials of the (positive) system parameters, ``H = sum_k c_k(params)
        phi_k(invariants)`` plus the MLP.
    method : {"leapfrog", "rk4"} or a torchdiffeq method
        Leapfrog needs ``separable``.
    substeps : int
        Integrator steps between two output times.
    order : {2, 4}
        Order of the leapfrog scheme (4: Yoshida's composition of three leapfrog steps).
    """

    def __init__(
        self, hidden=64, layers=2, separable=True, dimensionless=False, modulated=False, method="leapfrog",
        substeps=2, order=4,
    ):
        super().__init__()
        if method == "leapfrog" and not separable:
            raise ValueError("the leapfrog integrator needs a separable Hamiltonian (separable=True)")
        self.separable, self.dimensionless = separable, dimensionless
        self.method, self.substeps, self.order = method, substeps, order
        sizes = {"K": 6 + 6, "U": 10 + 3 + 6} if separable else {"H": 21 + 3 + 6}
        context = 6 if modulated else 0
        self.nets = nn.ModuleDict({name: _MLP(n, 1, hidden, layers, context) for name, n in sizes.items()})

    def _energy(self, name, z, g, params):
        energy = super()._energy(name, z, g, params)
        if self.dimensionless:
            mass, length, time = _scales(params)
            energy = energy * (mass * length**2 / time**2)[..., 0]
        return energy

    def _features(self, name, z, g, params):
        if self.dimensionless:
            z, g, params = _dimensionless(z, g, params)
        q1, q2, p1, p2 = split_state(z)
        if name == "K":
            return _scalar_features(_vectors(p1, p2, g), 0, params)
        if name == "U":
            return _scalar_features(_vectors(q1, q2, q1 - q2, g), 3, params)
        return _scalar_features(_vectors(q1, q2, q1 - q2, p1, p2, g), 3, params)


class MLPHNN(_HNN):
    """Hamiltonian network whose energy is an MLP of the raw coordinates (baseline).

    Parameters as :class:`ScalarHNN`, but not separable by default and integrated with RK4,
    like the HNN baseline of the EMLP paper. Inputs are ``z``, ``g`` and ``params``.
    """

    dimensionless = False

    def __init__(self, hidden=128, layers=2, separable=False, method="rk4", substeps=2, order=4):
        super().__init__()
        if method == "leapfrog" and not separable:
            raise ValueError("the leapfrog integrator needs a separable Hamiltonian (separable=True)")
        self.separable, self.method, self.substeps, self.order = separable, method, substeps, order
        sizes = {"K": 6 + 9, "U": 6 + 9} if separable else {"H": 12 + 9}
        self.nets = nn.ModuleDict({name: _MLP(n, 1, hidden, layers) for name, n in sizes.items()})

    def _features(self, name, z, g, params):
        coordinates = {"H": z, "K": z[..., 6:], "U": z[..., :6]}[name]
        return _raw_features(coordinates, g, params)


class ScalarNeuralODE(_Dynamics):
    """Neural ODE, exactly O(3)-equivariant: ``dz_i/dt = sum_s f_is(invariants) v_s``.

    The vectors ``v_s`` are ``q1, q2, p1, p2, g``; the 4 x 5 coefficients ``f_is`` come from
    one MLP of the Gram matrix of ``(q1, q2, q1 - q2, p1, p2, g)``, the lengths
    ``|q1|, |q2|, |q1 - q2|`` and their inverses, and the parameters.

    Parameters
    ----------
    hidden, layers : int
    dimensionless : bool
        Make inputs dimensionless and give each derivative its units.
    method : str
        ``"rk4"`` or a torchdiffeq method.
    substeps : int
    """

    def __init__(self, hidden=64, layers=2, dimensionless=False, method="rk4", substeps=2):
        super().__init__()
        self.dimensionless, self.method, self.substeps = dimensionless, method, substeps
        self.nets = nn.ModuleDict({"F": _MLP(21 + 6 + 6, 4 * 5, hidden, layers)})

    def _features(self, name, z, g, params):
        if self.dimensionless:
            z, g, params = _dimensionless(z, g, params)
        q1, q2, p1, p2 = split_state(z)
        return _scalar_features(_vectors(q1, q2, q1 - q2, p1, p2, g), 3, params, inverse_lengths=True)

    def vector_field(self, z, g, params):
        if self.dimensionless:
            scaled_z, scaled_g, _ = _dimensionless(z, g, params)
        else:
            scaled_z, scaled_g = z, g
        q1, q2, p1, p2 = split_state(scaled_z)
        basis = _vectors(q1, q2, p1, p2, scaled_g)  # (..., 5, 3)
        coefficients = self.nets["F"](self._features("F", z, g, params))
        derivative = (coefficients.unflatten(-1, (4, 5)) @ basis).flatten(-2)  # (..., 12)
        if self.dimensionless:
            mass, length, time = _scales(params)
            derivative = torch.cat([derivative[..., :6] * length / time, derivative[..., 6:] * mass * length / time**2], -1)
        return derivative


class MLPNeuralODE(_Dynamics):
    """Neural ODE ``dz/dt = MLP(z, g, params)`` on raw coordinates (baseline)."""

    def __init__(self, hidden=128, layers=2, method="rk4", substeps=2):
        super().__init__()
        self.method, self.substeps = method, substeps
        self.nets = nn.ModuleDict({"F": _MLP(12 + 9, 12, hidden, layers)})

    def _features(self, name, z, g, params):
        return _raw_features(z, g, params)

    def vector_field(self, z, g, params):
        return self.nets["F"](self._features("F", z, g, params))
