"""The windy double spring pendulum: the wind's work in closed form, forces, joint O(3) equivariance."""

import numpy as np
import pytest
import torch

from scalars.dynamics import DoubleSpringPendulum, HamiltonianNetwork, WindyDoubleSpringPendulum
from scalars.groups import get_group
from scalars.testing import assert_equivariant

Z0 = np.array([0.1, 0.0, -1.5, 0.0, 0.2, -3.0, 0.1, 0.0, 0.0, 0.0, 0.2, 0.1])


def test_the_wind_does_work_and_the_total_energy_is_conserved():
    system = WindyDoubleSpringPendulum.emlp(wind=(0.3, -0.1, 0.05))
    zs = system.trajectory(Z0, np.arange(0, 4, 0.2))
    work = system.wind_work(Z0, zs)
    np.testing.assert_allclose(system.pendulum_energy(zs) - system.pendulum_energy(Z0), work, atol=1e-7)
    np.testing.assert_allclose(system.hamiltonian(zs), system.hamiltonian(Z0), atol=1e-7)
    assert np.abs(work).max() > 0.05  # the wind did move the bobs: the check above is not vacuous


def test_forces_are_the_pendulums_plus_the_wind_and_minus_the_gradient_of_h():
    wind = np.array([0.3, 0.0, -0.2])
    system, calm = WindyDoubleSpringPendulum.emlp(wind=wind), DoubleSpringPendulum.emlp()
    z = Z0 + 0.1 * np.random.default_rng(0).standard_normal((5, 12))
    difference = system.time_derivative(z) - calm.time_derivative(z)
    np.testing.assert_allclose(difference, np.tile(np.r_[np.zeros(6), wind, wind], (5, 1)), atol=1e-15)
    zt = torch.as_tensor(z).requires_grad_()
    (gradient,) = torch.autograd.grad(system.hamiltonian(zt).sum(), zt)
    np.testing.assert_allclose(system.time_derivative(z), np.c_[gradient[:, 6:], -gradient[:, :6]], atol=1e-12)
    assert np.array_equal(WindyDoubleSpringPendulum.emlp(wind=(0.0, 0.0, 0.0)).time_derivative(z), calm.time_derivative(z))


def test_dynamics_and_model_are_equivariant_in_state_gravity_and_wind_together():
    R = get_group("O(3)").sample(rng=3)
    g, wind = np.array([0.0, 0.0, -1.0]), np.array([0.3, 0.1, 0.0])
    system, turned = WindyDoubleSpringPendulum(g=g, wind=wind), WindyDoubleSpringPendulum(g=R @ g, wind=R @ wind)
    z = Z0 + 0.1 * np.random.default_rng(1).standard_normal((4, 12))
    rotate = np.kron(np.eye(4), R)
    np.testing.assert_allclose(turned.time_derivative(z @ rotate.T), system.time_derivative(z) @ rotate.T, atol=1e-12)
    torch.manual_seed(0)
    model = HamiltonianNetwork(system, hidden=16).double()
    with torch.no_grad():  # the networks start at zero: random weights make the check bite
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.3)
    for dtype in (torch.float64, torch.float32):
        zt = torch.as_tensor(z, dtype=dtype)
        assert float(model.to(dtype).vector_field(zt).detach().abs().max()) > 0.1
        assert_equivariant(model, (zt, *system.context(zt)), n_elements=3, rng=0)
    # the wind breaks the rotations about g for the system: its vector field changes under them
    about_g = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    spun = np.kron(np.eye(4), about_g)
    assert np.abs(system.time_derivative(z @ spun.T) - system.time_derivative(z) @ spun.T).max() > 0.1


def test_bad_wind_and_broken_conservation_are_named():
    with pytest.raises(ValueError, match="wind must be a finite 3-vector"):
        WindyDoubleSpringPendulum(wind=(0.3, 0.0))
    with pytest.raises(NotImplementedError, match="angular momentum about g is not conserved"):
        WindyDoubleSpringPendulum().angular_momentum(Z0)
    with pytest.raises(ValueError, match="needs one system, got a batch"):
        WindyDoubleSpringPendulum(wind=np.zeros((2, 3))).sample_initial_states(3, np.random.default_rng(0))


def test_residual_hamiltonian_is_the_sum_and_its_prior_is_closed_form():
    from scalars.dynamics import ResidualHamiltonianNetwork

    system = WindyDoubleSpringPendulum.emlp()
    torch.manual_seed(0)
    equivariant, plain = HamiltonianNetwork(DoubleSpringPendulum.emlp(), hidden=8).double(), HamiltonianNetwork(system, hidden=8, raw=True).double()
    with torch.no_grad():
        for parameter in list(equivariant.parameters()) + list(plain.parameters()):
            parameter.normal_(0.0, 0.3)
    model = ResidualHamiltonianNetwork(equivariant, plain, equivariant_weight_decay=0.5, plain_weight_decay=2.0)
    z = torch.as_tensor(Z0 + 0.1 * np.random.default_rng(2).standard_normal((3, 12)))
    torch.testing.assert_close(model.vector_field(z), equivariant.vector_field(z) + plain.vector_field(z), rtol=1e-12, atol=1e-12)
    squares = [sum(float(p.detach().square().sum()) for p in net.parameters()) for net in (equivariant, plain)]
    assert float(model.prior_penalty().detach()) == pytest.approx(0.5 * squares[0] + 2.0 * squares[1], rel=1e-12)
    with torch.no_grad():
        for parameter in plain.parameters():
            parameter.zero_()
    torch.testing.assert_close(model.vector_field(z), equivariant.vector_field(z), rtol=0, atol=0)  # plain path off: exactly the equivariant model
    with pytest.raises(ValueError, match="plain_weight_decay must be >= 0, got -1"):
        ResidualHamiltonianNetwork(equivariant, plain, plain_weight_decay=-1)
    with pytest.raises(TypeError, match="plain must be a HamiltonianNetwork, got Linear"):
        ResidualHamiltonianNetwork(equivariant, torch.nn.Linear(2, 2))


def test_warm_start_of_the_residual_hamiltonian_puts_what_both_paths_fit_on_the_equivariant_one():
    from scalars.dynamics import ResidualHamiltonianNetwork, train, trajectory_data

    def plain_linear_norm(system, data, priors):
        equivariant = HamiltonianNetwork(DoubleSpringPendulum.emlp(), hidden=8, layers=1)
        plain = HamiltonianNetwork(system, hidden=8, layers=1, raw=True)
        model = ResidualHamiltonianNetwork(equivariant, plain, *priors)
        train(model, data, max_epochs=0, polish=0.0, progress=False)  # the warm start alone
        precision = model.linear_prior()
        n_equivariant = sum(p.numel() for p in equivariant.linear_parameters())
        assert precision.shape == (n_equivariant + sum(p.numel() for p in plain.linear_parameters()),)
        assert torch.all(precision[:n_equivariant] == priors[0]) and torch.all(precision[n_equivariant:] == priors[1])
        return float(torch.cat([p.detach().reshape(-1) for p in plain.linear_parameters()]).norm())

    calm = WindyDoubleSpringPendulum.emlp(wind=(0.0, 0.0, 0.0))
    data = trajectory_data(calm, 30, 1, duration=1.0, seed=0, cache=False)
    # no wind: the equivariant path fits everything, so under the priors the plain path's linear part stays off;
    # with equal priors the least-norm fit shares the gravity potential between the paths
    assert plain_linear_norm(calm, data, (1e-5, 1e-1)) < 1e-2 * plain_linear_norm(calm, data, (1e-1, 1e-1))
    windy = WindyDoubleSpringPendulum.emlp(wind=(0.3, 0.0, 0.0))
    assert plain_linear_norm(windy, trajectory_data(windy, 30, 1, duration=1.0, seed=0, cache=False), (1e-5, 1e-1)) > 0.05
