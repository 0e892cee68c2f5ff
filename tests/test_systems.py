"""Systems: equations checked against autograd, conservation laws, closed forms, symmetry, units."""

import numpy as np
import pint
import pytest
import torch

from scalars.dynamics import (
    INTEGRATORS,
    ChargedParticleInMagneticField,
    DoubleSpringPendulum,
    HamiltonianNetwork,
    NBodySystem,
    NeuralODE,
    SeparableField,
    evaluate,
    integrate,
    integrate_separable,
    leapfrog,
    train,
    trajectory_data,
)
from scalars.groups import get_group
from scalars.testing import assert_equivariant

UNITS = pint.UnitRegistry()

SYSTEMS = {
    "gravity": lambda: NBodySystem([1.0, 2.0, 0.5, 1.5]),
    "softened-gravity": lambda: NBodySystem([1.0, 2.0, 0.5], G=0.7, softening=0.3),
    "coulomb": lambda: NBodySystem([1.0, 2.0, 1.0], charges=[1.0, -1.0, 2.0], kind="coulomb", G=0.5),
    "2-d": lambda: NBodySystem([1.0, 1.0, 3.0], dim=2),
    "magnetic": lambda: ChargedParticleInMagneticField(2.0, -1.5, B=(0.3, -0.2, 1.0), E=(0.1, 0.0, 0.4)),
}


def _autograd_field(system, z):
    z = torch.tensor(z, requires_grad=True)
    (grad,) = torch.autograd.grad(system.hamiltonian(z).sum(), z)
    half = z.shape[-1] // 2
    return torch.cat([grad[..., half:], -grad[..., :half]], -1).numpy()


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_time_derivative_is_hamiltons_equations_by_autograd(name):
    system = SYSTEMS[name]()
    z = system.sample_initial_states(6, np.random.default_rng(0))
    np.testing.assert_allclose(system.time_derivative(z), _autograd_field(system, z), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(system.hamiltonian(z), system.hamiltonian(torch.tensor(z)).numpy(), rtol=1e-14)


def test_a_batch_of_nbody_systems_matches_each_system_alone():
    masses = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]])
    batch = NBodySystem(masses, G=np.array([1.0, 2.0]), softening=0.1)
    z = NBodySystem(masses[0]).sample_initial_states(2, np.random.default_rng(1))
    zs = batch.trajectory(z, np.linspace(0, 1, 4))
    for k in range(2):
        alone = NBodySystem(masses[k], G=[1.0, 2.0][k], softening=0.1)
        np.testing.assert_allclose(batch.time_derivative(z)[k], alone.time_derivative(z[k]), rtol=1e-14)
        np.testing.assert_allclose(zs[k], alone.trajectory(z[k], np.linspace(0, 1, 4)), rtol=1e-7, atol=1e-8)


def test_nbody_trajectories_conserve_energy_and_both_momenta():
    system = NBodySystem([1.0, 2.0, 0.5, 1.5, 1.0], softening=0.2)
    z0 = system.sample_initial_states(4, np.random.default_rng(2))
    zs = system.trajectory(z0, np.linspace(0, 5, 26))
    assert system.energy_error(zs) < 1e-8
    np.testing.assert_allclose(system.momentum(zs), np.broadcast_to(system.momentum(z0)[:, None], (4, 26, 3)), atol=1e-10)
    np.testing.assert_allclose(system.angular_momentum(zs), system.angular_momentum(zs[:, :1]).repeat(26, 1), atol=1e-8)
    assert np.abs(zs[:, -1] - z0).max() > 0.1  # they moved


def test_a_kepler_orbit_keeps_its_closed_form_period():
    # two unit masses on a circle of radius 1 about their centre: |v|^2 = G m / (4 r) = 1/4, period 4 pi
    system = NBodySystem([1.0, 1.0])
    z0 = np.array([1.0, 0, 0, -1, 0, 0, 0, 0.5, 0, 0, -0.5, 0])
    zs = system.trajectory(z0, np.array([0.0, 2 * np.pi, 4 * np.pi]))
    np.testing.assert_allclose(zs[1, :3], [-1.0, 0, 0], atol=1e-8)
    np.testing.assert_allclose(zs[2], z0, atol=1e-8)


@pytest.mark.parametrize("kind", ["gravity", "coulomb"])
def test_nbody_dynamics_is_equivariant_under_permutations_and_euclidean_motions(kind):
    charges = np.ones(4) if kind == "coulomb" else None  # identical particles
    system = NBodySystem(np.full(4, 1.5), charges=charges, kind=kind, softening=0.1)
    z = system.sample_initial_states(5, np.random.default_rng(3))
    assert_equivariant(system.time_derivative, system.group, z, layout=system.layout, output="4T1+4T1", rng=0)
    assert_equivariant(system.hamiltonian, system.group, z, layout=system.layout, output="T0", rng=1)


def _orthogonal(rng, reflect):
    R = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    return R * np.sign(np.linalg.det(R)) * (-1.0 if reflect else 1.0)


@pytest.mark.parametrize("reflect", [False, True])
def test_the_magnetic_system_is_o3_invariant_with_b_a_pseudovector(reflect):
    rng = np.random.default_rng(4)
    B, E = np.array([0.3, -0.2, 1.0]), np.array([0.1, 0.0, 0.4])
    system = ChargedParticleInMagneticField(2.0, 1.5, B=B, E=E)
    z = system.sample_initial_states(5, rng)
    R = _orthogonal(rng, reflect)
    moved = ChargedParticleInMagneticField(2.0, 1.5, B=np.linalg.det(R) * R @ B, E=R @ E)
    rz = (z.reshape(5, 2, 3) @ R.T).reshape(5, 6)
    np.testing.assert_allclose(moved.hamiltonian(rz), system.hamiltonian(z), rtol=1e-12)
    rotated_field = (system.time_derivative(z).reshape(5, 2, 3) @ R.T).reshape(5, 6)
    np.testing.assert_allclose(moved.time_derivative(rz), rotated_field, rtol=1e-12, atol=1e-14)
    if reflect:  # B as an ordinary vector would break the symmetry
        wrong = ChargedParticleInMagneticField(2.0, 1.5, B=R @ B, E=R @ E)
        assert not np.allclose(wrong.time_derivative(rz), rotated_field)


def test_the_cyclotron_orbit_has_its_closed_form():
    mass, charge = 2.0, 1.5
    B = np.array([0.3, -0.2, 1.0])
    system = ChargedParticleInMagneticField(mass, charge, B=B)
    omega, b = system.cyclotron_frequency, B / np.linalg.norm(B)
    assert omega == pytest.approx(charge * np.linalg.norm(B) / mass)
    q0, v0 = np.array([0.5, -1.0, 0.2]), np.array([0.4, 0.7, -0.3])
    z0 = np.concatenate([q0, mass * v0 + charge * np.cross(B, q0) / 2])
    t = np.linspace(0, 3 * 2 * np.pi / omega, 40)
    zs = system.trajectory(z0, t)
    parallel, perpendicular = b * (b @ v0), v0 - b * (b @ v0)
    turned = np.cross(b, perpendicular)
    wt = omega * t[:, None]
    velocity = parallel + perpendicular * np.cos(wt) - turned * np.sin(wt)
    position = q0 + parallel * t[:, None] + perpendicular * np.sin(wt) / omega + turned * (np.cos(wt) - 1) / omega
    np.testing.assert_allclose(zs[:, :3], position, atol=1e-8)
    np.testing.assert_allclose(system.velocity(zs), velocity, atol=1e-8)
    assert system.energy_error(zs) < 1e-8


def test_pint_quantities_are_checked_and_converted():
    system = NBodySystem(UNITS.Quantity([1.0, 2.0], "g"), G=UNITS.Quantity(6.674e-11, "m^3 / kg / s^2"))
    np.testing.assert_allclose(system.masses, [1e-3, 2e-3])
    with pytest.raises(ValueError, match=r"masses has units meter of dimension \[length\], expected \[mass\]"):
        NBodySystem(UNITS.Quantity([1.0, 2.0], "m"))
    with pytest.raises(ValueError, match=r"B has units .* expected \[mass\] / \[current\] / \[time\] \*\* 2"):
        ChargedParticleInMagneticField(B=UNITS.Quantity([0, 0, 1.0], "V / m"))
    tesla = ChargedParticleInMagneticField(mass=UNITS.Quantity(1.0, "g"), charge=UNITS.Quantity(1.0, "mC"), B=UNITS.Quantity([0, 0, 2.0], "T"))
    assert tesla.cyclotron_frequency == pytest.approx(2.0)
    with pytest.raises(ValueError, match=r"t has units meter"):
        tesla.trajectory(np.zeros(6), UNITS.Quantity([0.0, 1.0], "m"))


def test_bad_systems_and_states_are_refused_by_name():
    with pytest.raises(ValueError, match="kind must be one of"):
        NBodySystem([1.0], kind="yukawa")
    with pytest.raises(ValueError, match="charges are needed for kind='coulomb'"):
        NBodySystem([1.0, 1.0], kind="coulomb")
    with pytest.raises(ValueError, match="masses must be positive"):
        NBodySystem([1.0, -1.0])
    with pytest.raises(ValueError, match="B must be a 3-vector"):
        ChargedParticleInMagneticField(B=(0.0, 1.0))
    with pytest.raises(ValueError, match="states must have 12 numbers"):
        NBodySystem([1.0, 1.0]).trajectory(np.zeros(6), [0.0, 1.0])
    with pytest.raises(ValueError, match="singular: two particles coincide"):
        NBodySystem([1.0, 1.0]).time_derivative(np.zeros(12))
    span = ChargedParticleInMagneticField(mass=1e-30)
    with pytest.raises(ValueError, match=r"fastest time scale of the system, m / \(\|e\| \|B\|\)"):
        span.trajectory(np.ones(6), [0.0, 1.0])


def test_integrators_are_looked_up_by_name():
    assert set(INTEGRATORS) == {
        "symplectic_euler", "leapfrog2", "leapfrog4", "rk4", "dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun",
    }
    known = r"the known ones are \['adaptive_heun', 'bosh3'"
    with pytest.raises(ValueError, match=rf"unknown integration method 'verlet'; {known}"):
        integrate(lambda z: z, torch.zeros(2), torch.arange(3.0), method="verlet")
    splittings = r"\['leapfrog2', 'leapfrog4', 'symplectic_euler'\]"
    with pytest.raises(ValueError, match=rf"unknown splitting method 'rk4'; the known ones are {splittings}"):
        integrate_separable(SeparableField(abs, abs), torch.zeros(2), torch.zeros(2), torch.arange(3.0), "rk4")
    # the separable leapfrog by name is the leapfrog of the two gradients
    field = lambda z: torch.cat([z[..., 1:], -torch.sin(z[..., :1])], -1)  # noqa: E731  a pendulum
    z0, t = torch.tensor([[1.0, 0.3]], dtype=torch.float64), torch.linspace(0, 2, 5, dtype=torch.float64)
    for order in (2, 4):
        by_name = integrate(field, z0, t, method=f"leapfrog{order}", substeps=3)
        direct = leapfrog(torch.sin, lambda p: p, z0, t, substeps=3, order=order)
        torch.testing.assert_close(by_name, direct, rtol=0, atol=0)
    dopri = integrate(field, z0, t, method="dopri8", rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(integrate(field, z0, t, method="rk4", substeps=50), dopri, rtol=0, atol=1e-7)


def test_trajectory_data_of_any_system_is_seeded_checksummed_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    system = ChargedParticleInMagneticField(B=(0.0, 0.0, 2.0))
    data = trajectory_data(system, 6, 2, duration=3.0)
    assert data.train.shape == (6, 5, 6) and data.test.shape == (2, 15, 6)
    np.testing.assert_allclose(data.test, system.trajectory(data.test[:, 0], data.t), atol=1e-9)
    assert len(list(tmp_path.iterdir())) == 1
    again = trajectory_data(system, 6, 2, duration=3.0)
    assert again.checksum == data.checksum == trajectory_data(system, 6, 2, duration=3.0, cache=False).checksum
    assert trajectory_data(system, 6, 2, duration=3.0, seed=1, cache=False).checksum != data.checksum
    other = ChargedParticleInMagneticField(B=(0.0, 0.0, 3.0))
    assert trajectory_data(other, 6, 2, duration=3.0).checksum != data.checksum  # the system is in the key
    with pytest.raises(ValueError, match="needs one system"):
        trajectory_data(DoubleSpringPendulum(m1=[1.0, 2.0]), 2, 2)
    with pytest.raises(ValueError, match="n_train"):
        trajectory_data(system, 0, 2)


def test_the_pendulum_is_a_system():
    system = DoubleSpringPendulum.emlp()
    assert system.state_size == 12 and system.group == "O(3)"
    assert get_group(system.group).d == 3


def _random_network(system, cls=HamiltonianNetwork, **kwargs):
    model = cls(system, hidden=16, **kwargs).double()
    z = torch.as_tensor(system.sample_initial_states(20, np.random.default_rng(5)))
    model.fit_scaling(z)
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.5)  # every weight nonzero, the linear part included
    return model


@pytest.mark.parametrize("kind", ["gravity", "coulomb"])
@pytest.mark.parametrize("separable", [True, False])
def test_the_hamiltonian_network_is_exactly_invariant_and_its_field_equivariant(kind, separable):
    charges = np.full(4, -1.0) if kind == "coulomb" else None
    system = NBodySystem(np.full(4, 2.0), charges=charges, kind=kind, softening=0.1)
    model = _random_network(system, separable=separable, method="leapfrog" if separable else "rk4")
    z = torch.as_tensor(system.sample_initial_states(6, np.random.default_rng(6)))
    assert_equivariant(model.hamiltonian, system.group, z, layout=system.layout, output="T0", n_elements=4, rng=0)
    assert_equivariant(model.vector_field, system.group, z, layout=system.layout, output="4T1+4T1", rng=1)
    t = torch.linspace(0, 0.2, 3, dtype=torch.float64)
    last = lambda z: model.rollout(z, t)[:, -1]  # noqa: E731  the state rolled out, (n, 24)
    assert_equivariant(last, system.group, z, layout=system.layout, output=system.layout, rng=2)


@pytest.mark.parametrize("kind", ["gravity", "coulomb"])
def test_the_neural_ode_field_is_exactly_equivariant(kind):
    charges = np.full(4, 0.5) if kind == "coulomb" else None
    system = NBodySystem(np.full(4, 2.0), charges=charges, kind=kind, softening=0.1)
    model = _random_network(system, NeuralODE)
    z = torch.as_tensor(system.sample_initial_states(6, np.random.default_rng(8)))
    error = assert_equivariant(model.vector_field, system.group, z, layout=system.layout, output="4T1+4T1", rng=3)
    assert error < 1e-10


def test_the_raw_baseline_is_not_invariant():
    system = NBodySystem(np.full(3, 1.0))
    model = _random_network(system, raw=True, separable=False, method="rk4")
    z = torch.as_tensor(system.sample_initial_states(6, np.random.default_rng(7)))
    with pytest.raises(AssertionError):
        assert_equivariant(model.hamiltonian, system.group, z, layout=system.layout, output="T0", rng=0)


@pytest.mark.parametrize("cls", [HamiltonianNetwork, NeuralODE])
def test_generic_models_learn_two_bodies_through_the_one_training_loop(cls, tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    system = NBodySystem([1.0, 2.0], softening=0.5)
    data = trajectory_data(system, 20, 2, dt=0.1, duration=3.0)
    model = cls(system, hidden=8, layers=1, substeps=4)
    untrained = evaluate(model.double(), data)["rollout_error"]
    train(model, data, max_epochs=2, progress=False)
    trained = evaluate(model, data)
    assert trained["prediction"].shape == data.test.shape
    # the warm start finds the dynamics in the span of the invariants (and vectors)
    assert trained["rollout_error"] < 3e-3 < untrained
