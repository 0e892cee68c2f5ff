import numpy as np
import pint
import pytest
import torch

from scalars.dynamics import DoubleSpringPendulum, sample_initial_states


@pytest.fixture
def states():
    return sample_initial_states(8, np.random.default_rng(0))


def test_equations_of_motion_match_autograd_of_the_hamiltonian(states):
    system = DoubleSpringPendulum(m1=1.3, m2=0.7, k1=2.0, k2=0.5, L1=1.1, L2=0.9, g=[0.1, -0.2, -1.5])
    z = torch.tensor(states, requires_grad=True)
    (grad,) = torch.autograd.grad(system.hamiltonian(z).sum(), z)
    symplectic = torch.cat([grad[:, 6:], -grad[:, :6]], dim=-1).numpy()
    np.testing.assert_allclose(system.time_derivative(states), symplectic, rtol=1e-12, atol=1e-12)


def test_hamiltonian_by_hand():
    system = DoubleSpringPendulum(m1=2.0, m2=1.0, k1=3.0, k2=4.0, L1=1.0, L2=0.5, g=[0, 0, -10])
    # q1 = (0, 0, -2): spring 1 stretched by 1; q2 = (0, 0, -3): spring 2 stretched by 0.5.
    z = np.array([0, 0, -2, 0, 0, -3, 2, 0, 0, 0, 1, 0], dtype=float)
    kinetic = 4 / (2 * 2) + 1 / (2 * 1)
    springs = 3 * 1**2 / 2 + 4 * 0.5**2 / 2
    gravity = 2 * 10 * -2 + 1 * 10 * -3
    assert system.hamiltonian(z) == pytest.approx(kinetic + springs + gravity, rel=1e-14)


def test_reference_trajectories_conserve_energy_and_angular_momentum(states):
    system = DoubleSpringPendulum.emlp()
    zs = system.trajectory(states, np.arange(150) * 0.2)
    assert zs.shape == (8, 150, 12)
    np.testing.assert_array_equal(zs[:, 0], states)
    energy = system.energy(zs)
    momentum = system.angular_momentum(zs)
    assert np.max(np.abs(energy - energy[:, :1])) < 1e-8
    assert np.max(np.abs(momentum - momentum[:, :1])) < 1e-8
    assert np.ptp(zs[..., 2], axis=1).min() > 0.1  # the bobs really move


def test_trajectory_is_batched_over_leading_axes(states):
    system = DoubleSpringPendulum.emlp()
    t = np.linspace(0, 2, 5)
    batched = system.trajectory(states.reshape(2, 4, 12), t)
    assert batched.shape == (2, 4, 5, 12)
    np.testing.assert_allclose(batched[1, 2], system.trajectory(states[6], t), atol=1e-9)


def test_emlp_system_drops_the_half_on_the_second_spring():
    system = DoubleSpringPendulum.emlp()
    z = np.zeros(12)
    z[2], z[5] = -1.0, -3.0  # spring 1 at rest, spring 2 stretched by 1
    assert system.hamiltonian(z) == pytest.approx(1.0 + (-1.0 - 3.0))


def test_pint_quantities_are_converted_to_si():
    units = pint.UnitRegistry()
    with_units = DoubleSpringPendulum(
        m1=1000 * units.gram, m2=2 * units.kg, k1=3 * units.newton / units.meter, k2=4 * units("kg/s^2"),
        L1=100 * units.cm, L2=2 * units.m, g=[0, 0, -9.81] * units("m/s^2"),
    )
    plain = DoubleSpringPendulum(1, 2, 3, 4, 1, 2, [0, 0, -9.81])
    z = sample_initial_states(3, np.random.default_rng(1))
    np.testing.assert_allclose(with_units.hamiltonian(z), plain.hamiltonian(z), rtol=1e-14)


def test_wrong_units_and_shapes_are_rejected():
    units = pint.UnitRegistry()
    with pytest.raises(ValueError, match="k1"):
        DoubleSpringPendulum(k1=3 * units.meter)
    with pytest.raises(ValueError, match="3-vector"):
        DoubleSpringPendulum(g=[0, -1])
    with pytest.raises(ValueError, match="positive"):
        DoubleSpringPendulum(m1=-1)
    with pytest.raises(ValueError, match="12 numbers"):
        DoubleSpringPendulum().trajectory(np.zeros(6), [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        DoubleSpringPendulum().trajectory(np.full(12, np.nan), [0, 1])
    with pytest.raises(ValueError, match="increasing"):
        DoubleSpringPendulum().trajectory(np.ones(12), [1, 0])


def test_a_batch_of_systems_matches_each_system_alone(states):
    rng = np.random.default_rng(2)
    params = rng.uniform(1, 2, size=(6, 8))
    g = rng.standard_normal((8, 3))
    batch = DoubleSpringPendulum(*params, g=g)
    t = np.linspace(0, 1, 3)
    together = batch.trajectory(states, t)
    for i in (0, 5):
        alone = DoubleSpringPendulum(*params[:, i], g=g[i])
        np.testing.assert_allclose(together[i], alone.trajectory(states[i], t), atol=1e-9)
        np.testing.assert_allclose(batch.hamiltonian(states)[i], alone.hamiltonian(states[i]), rtol=1e-14)


@pytest.mark.parametrize("n_times", [3, 8])  # 8 == the number of systems: the case that once lined up wrongly
def test_a_batch_of_systems_scores_its_own_trajectories(states, n_times):
    rng = np.random.default_rng(3)
    params = rng.uniform(1, 2, size=(6, 8))
    g = rng.standard_normal((8, 3))
    batch = DoubleSpringPendulum(*params, g=g)
    trajectories = batch.trajectory(states, np.linspace(0, 1, n_times))  # (8, n_times, 12)
    energies = batch.energy(trajectories)
    momenta = batch.angular_momentum(trajectories)
    assert energies.shape == momenta.shape == (8, n_times)
    for i in (0, 7):
        alone = DoubleSpringPendulum(*params[:, i], g=g[i])
        np.testing.assert_allclose(energies[i], alone.energy(trajectories[i]), rtol=1e-14)
        np.testing.assert_allclose(momenta[i], alone.angular_momentum(trajectories[i]), rtol=1e-14)
    torch_energies = batch.energy(torch.as_tensor(trajectories))
    np.testing.assert_allclose(torch_energies.numpy(), energies, rtol=1e-14)


def test_states_with_fewer_axes_than_the_batch_are_rejected():
    batch = DoubleSpringPendulum(m1=np.ones((2, 3)))
    with pytest.raises(ValueError, match="fewer leading axes"):
        batch.energy(np.zeros((3, 12)))


def _state(q1, q2, p1=(0.1, 0.0, 0.0), p2=(0.0, 0.2, 0.0)):
    return np.concatenate([q1, q2, p1, p2]).astype(float)


@pytest.mark.parametrize(
    "z0, where",
    [
        (_state([0, 0, 0], [0, 0, -3]), r"at the pivot \(q1 = 0\)"),
        (_state([0, 0, -1], [0, 0, -1]), r"on bob 2 \(q1 = q2\)"),
    ],
)
def test_a_singular_initial_state_raises_naming_the_time_and_the_state(z0, where, time_limit):
    message = rf"at t = 0: the state \[.*\] is singular: bob 1 is {where}"
    with time_limit(10), pytest.raises(ValueError, match=message):
        DoubleSpringPendulum().trajectory(z0, np.linspace(0, 1, 5))  # used to shrink its step forever
    with pytest.raises(ValueError, match=where):
        DoubleSpringPendulum().time_derivative(np.stack([_state([0, 0, -1], [0, 0, -3]), z0]))


def test_times_with_units_are_converted_to_seconds():
    units = pint.UnitRegistry()
    system, z0 = DoubleSpringPendulum(), _state([0, 0, -1.5], [0, 0, -3])
    t = np.linspace(0, 500, 6)
    np.testing.assert_allclose(system.trajectory(z0, t * units.ms), system.trajectory(z0, t / 1000), rtol=1e-12)
    with pytest.raises(ValueError, match=r"t has units meter of dimension \[length\], expected \[time\]"):
        system.trajectory(z0, t * units.m)
    with pytest.raises(TypeError, match="z0 must be an array of numbers in SI base units"):
        system.trajectory(z0 * units.m, t)


@pytest.mark.parametrize("t, message", [([0.0, np.nan], "t must be finite"), ([], "non-empty"), ([[0, 1]], "1-d")])
def test_bad_times_are_rejected(t, message, time_limit):
    with time_limit(10), pytest.raises(ValueError, match=message):  # t = [0, nan] used to hang
        DoubleSpringPendulum().trajectory(_state([0, 0, -1.5], [0, 0, -3]), t)


@pytest.mark.parametrize("rtol, atol", [(0.0, 1e-10), (1e-10, -1.0), (np.nan, 1e-10), (1e-10, np.inf)])
def test_bad_tolerances_are_rejected(rtol, atol, time_limit):
    with time_limit(10), pytest.raises(ValueError, match="tol must be a positive number"):
        DoubleSpringPendulum().trajectory(_state([0, 0, -1.5], [0, 0, -3]), [0.0, 1.0], rtol=rtol, atol=atol)


def test_without_gravity_the_angular_momentum_about_g_is_an_error():
    z = _state([0, 0, -1.5], [0, 0, -3])
    with pytest.raises(ValueError, match="undefined for g = 0"):
        DoubleSpringPendulum(g=[0, 0, 0]).angular_momentum(z)
    batch = DoubleSpringPendulum(g=[[0, 0, -1], [0, 0, 0]])
    with pytest.raises(ValueError, match=r"undefined for g = 0 \(system \[1\]\)"):
        batch.angular_momentum(np.stack([z, z]))


@pytest.mark.parametrize(
    "params, scale", [(dict(m1=1e-300), r"sqrt\(m1 / \(k1 \+ k2\)\)"), (dict(m2=1e-300), r"sqrt\(m2 / k2\)")]
)
def test_a_span_of_t_beyond_reach_of_adaptive_steps_is_refused(params, scale, time_limit):
    message = rf"t spans 1 s, .* fastest time scale of the system, {scale}"
    with time_limit(10), pytest.raises(ValueError, match=message):
        DoubleSpringPendulum(**params).trajectory(_state([0, 0, -1.5], [0, 0, -3]), [0.0, 1.0])


def test_the_adaptive_integrator_names_where_it_fails(time_limit):
    from scalars.dynamics.integrators import solve_adaptive

    t = np.linspace(0, 2, 5)
    message = r"step size collapsed at t = 1: Required step size.*state changing fastest there is \[\d+\.\d*\]"
    with time_limit(10), pytest.raises(ValueError, match=message):
        solve_adaptive(lambda z: z**2, np.array([[1.0], [0.5]]), t, 1e-10, 1e-10)  # z = 1 / (1 - t) blows up at 1
    with pytest.raises(ValueError, match=r"not finite at t = 0 in the state \[-1\.0\]"):
        solve_adaptive(np.sqrt, np.array([[1.0], [-1.0]]), t, 1e-10, 1e-10)


def test_a_step_size_too_small_to_cross_t_is_a_collapse(time_limit):
    from scalars.dynamics.integrators import solve_adaptive

    with time_limit(30), pytest.raises(ValueError, match=r"collapsed at t = 1: the last 10000 evaluations"):
        solve_adaptive(lambda z: -np.sign(z), np.array([[1.0]]), np.array([0.0, 2.0]), 1e-10, 1e-10)  # chatters at 0
    # Rounding noise of forces of 1e100 N swamps the tolerance on momenta that start at 0.
    with time_limit(30), pytest.raises(ValueError, match=r"collapsed at t = .*badly scaled"):
        DoubleSpringPendulum().trajectory(_state([0, 0, -1.5], [0, 0, -3]) * 1e100, [0.0, 1.0])


@pytest.mark.parametrize("params", [dict(g="down"), dict(m1=None), dict(k2="1"), dict(L1=[1, "a"])])
def test_parameters_that_are_not_numbers_are_type_errors_naming_them(params):
    (name,) = params
    with pytest.raises(TypeError, match=rf"{name} must be a number"):
        DoubleSpringPendulum(**params)
    with pytest.raises(TypeError, match="t must be a number"):
        DoubleSpringPendulum().trajectory(np.ones(12), ["0", "1"])


@pytest.mark.parametrize("scale", [1e-200, 5e-324])
def test_a_bob_very_close_to_the_pivot_is_not_singular(scale):
    z = _state(np.array([0.0, 0.0, -1.0]) * scale, [0, 0, -3])
    force_on_bob_1 = DoubleSpringPendulum(g=[0, 0, 0]).time_derivative(z)[6:9]
    np.testing.assert_allclose(force_on_bob_1, [0, 0, -1.0 - 2.0], rtol=1e-12)  # k1 L1 away from the pivot, k2 (3 - 1) to bob 2


@pytest.mark.parametrize("shape", [(13,), (2, 5)])
def test_states_of_the_wrong_length_are_refused_everywhere(shape):
    system = DoubleSpringPendulum()
    for method in (system.hamiltonian, system.angular_momentum, system.time_derivative):
        with pytest.raises(ValueError, match=r"states must have 12 numbers in the last axis"):
            method(np.ones(shape))  # (13,) used the first 12 silently
    with pytest.raises(ValueError, match=r"states must have 12 numbers"):
        system.hamiltonian(torch.ones(shape))
