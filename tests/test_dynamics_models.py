import numpy as np
import pytest
import torch

from scalars.dynamics import (
    DoubleSpringPendulum,
    HamiltonianNetwork,
    MLPHNN,
    MLPNeuralODE,
    NBodySystem,
    NeuralODE,
    ScalarHNN,
    ScalarNeuralODE,
    SeparableField,
    evaluate,
    integrate,
    integrate_separable,
    leapfrog,
    pendulum_data,
    rk4,
    sample_initial_states,
    train,
)
from scalars.groups import get_group
from scalars.testing import assert_equivariant, assert_invariant

O3 = get_group("O(3)")


SCALAR_HNNS = {
    "separable": dict(),
    "general": dict(separable=False, method="rk4"),
    "dimensionless": dict(dimensionless=True),
    "modulated": dict(dimensionless=True, modulated=True),
}
SCALAR_ODES = {"plain": dict(), "dimensionless": dict(dimensionless=True)}


def _inputs(n=6, seed=0):
    rng = np.random.default_rng(seed)
    z = torch.tensor(sample_initial_states(n, rng))
    g = torch.tensor(rng.standard_normal((n, 3)))
    params = torch.tensor(rng.uniform(1, 2, size=(n, 6)))
    return z, g, params


def _model(cls, **kwargs):
    """A float64 model with random weights everywhere and a non-trivial input whitening."""
    torch.manual_seed(0)
    model = cls(hidden=16, **kwargs).double()
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, std=0.3)
    z, g, params = _inputs(50, seed=1)
    return model.fit_scaling(z, g, params)


def _vectors(z, g):
    return torch.cat([z.reshape(-1, 4, 3), g[:, None]], dim=1)  # (n, 5, 3): q1 q2 p1 p2 g


def _state(X):
    return X[:, :4].reshape(-1, 12), X[:, 4]


def _rotation_and_reflection(seed=0):
    rng = np.random.default_rng(seed)
    rotation = O3.sample(rng=rng)
    rotation *= np.sign(np.linalg.det(rotation))
    return rotation, -rotation  # in 3-D, -R has determinant -1


@pytest.mark.parametrize("kwargs", SCALAR_HNNS.values(), ids=SCALAR_HNNS.keys())
def test_scalar_hnn_energy_is_o3_invariant(kwargs):
    model = _model(ScalarHNN, **kwargs)
    z, g, params = _inputs()
    func = lambda X: model.hamiltonian(*_state(X), params)
    assert_invariant(func, O3, _vectors(z, g), n_elements=4, rng=0)
    for element in _rotation_and_reflection():
        moved = O3.act(torch.tensor(element), _vectors(z, g))
        torch.testing.assert_close(func(moved), func(_vectors(z, g)), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "cls, kwargs",
    [(ScalarHNN, k) for k in SCALAR_HNNS.values()] + [(ScalarNeuralODE, k) for k in SCALAR_ODES.values()],
    ids=[f"hnn-{k}" for k in SCALAR_HNNS] + [f"ode-{k}" for k in SCALAR_ODES],
)
def test_scalar_vector_fields_are_o3_equivariant(cls, kwargs):
    model = _model(cls, **kwargs)
    z, g, params = _inputs()
    func = lambda X: model.vector_field(*_state(X), params).reshape(-1, 4, 3)
    assert_equivariant(func, O3, _vectors(z, g), output="T1", n_elements=4, rng=0)
    for element in _rotation_and_reflection(1):
        moved = func(O3.act(torch.tensor(element), _vectors(z, g)))
        expected = O3.act(torch.tensor(element), func(_vectors(z, g)))
        torch.testing.assert_close(moved, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cls", [ScalarHNN, ScalarNeuralODE])
def test_rollouts_are_o3_equivariant(cls):
    model = _model(cls)
    z, g, params = _inputs(3)
    t = torch.linspace(0, 0.05, 3, dtype=torch.float64)

    def rollout_vectors(X):
        z, g = _state(X)
        return model.rollout(z, t, g, params).reshape(len(X), -1, 3)  # (n, T*4, 3)

    assert_equivariant(rollout_vectors, O3, _vectors(z, g), output="T1", n_elements=2, rng=3)


@pytest.mark.parametrize("cls", [MLPHNN, MLPNeuralODE])
def test_raw_coordinate_baselines_are_not_equivariant(cls):
    model = _model(cls)
    z, g, params = _inputs()
    func = lambda X: model.vector_field(*_state(X), params).reshape(-1, 4, 3)
    with pytest.raises(AssertionError):
        assert_equivariant(func, O3, _vectors(z, g), output="T1", n_elements=2, rng=0)


def _rescale(z, g, params, mass, length, time):
    z = torch.cat([z[:, :6] * length, z[:, 6:] * mass * length / time], dim=-1)
    factors = torch.tensor([mass, mass, mass / time**2, mass / time**2, length, length], dtype=z.dtype)
    return z, g * length / time**2, params * factors


@pytest.mark.parametrize(
    "cls, kwargs",
    [(ScalarHNN, {}), (ScalarHNN, dict(modulated=True)), (ScalarHNN, dict(separable=False, method="rk4")),
     (ScalarNeuralODE, {})],
)
def test_dimensionless_models_are_units_equivariant(cls, kwargs):
    model = _model(cls, dimensionless=True, **kwargs)
    z, g, params = _inputs()
    mass, length, time = 3.7, 0.2, 5.0
    def rescaled_field(field):
        return torch.cat([field[:, :6] * length / time, field[:, 6:] * mass * length / time**2], dim=-1)

    moved = model.vector_field(*_rescale(z, g, params, mass, length, time))
    torch.testing.assert_close(moved, rescaled_field(model.vector_field(z, g, params)), rtol=1e-10, atol=1e-12)
    if cls is ScalarHNN:
        energy = model.hamiltonian(z, g, params)
        scaled = model.hamiltonian(*_rescale(z, g, params, mass, length, time))
        torch.testing.assert_close(scaled, energy * mass * length**2 / time**2, rtol=1e-10, atol=1e-12)
    plain = _model(cls, **kwargs)  # the same model on plain scalars is not units-equivariant
    with pytest.raises(AssertionError):
        torch.testing.assert_close(plain.vector_field(*_rescale(z, g, params, mass, length, time)),
                                   rescaled_field(plain.vector_field(z, g, params)))


def test_hnn_vector_field_is_hamiltonian():
    model = _model(ScalarHNN)
    z, g, params = _inputs()
    z.requires_grad_(True)
    (grad,) = torch.autograd.grad(model.hamiltonian(z, g, params).sum(), z)
    torch.testing.assert_close(model.vector_field(z, g, params), torch.cat([grad[:, 6:], -grad[:, :6]], -1))


def test_integrators_converge_at_their_order():
    # harmonic oscillator H = (p^2 + q^2) / 2: exact solution a rotation
    z0 = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    exact = torch.tensor([np.cos(1.0), -np.sin(1.0)], dtype=torch.float64)

    def errors(method):
        return [float((method(n)[0, -1] - exact).abs().max()) for n in (8, 16)]

    cases = {
        2: lambda n: leapfrog(lambda q: q, lambda p: p, z0, t, n),
        4: lambda n: leapfrog(lambda q: q, lambda p: p, z0, t, n, order=4),
    }
    for order, method in cases.items():
        coarse, fine = errors(method)
        assert coarse / fine == pytest.approx(2**order, rel=0.1)
    coarse, fine = errors(lambda n: rk4(lambda z: torch.stack([z[..., 1], -z[..., 0]], -1), z0, t, n))
    assert coarse / fine == pytest.approx(16, rel=0.1)
    oscillator = SeparableField(lambda p: p, lambda q: -q)
    coarse, fine = errors(lambda n: integrate(oscillator, z0, t, "symplectic_euler", n))
    assert coarse / fine == pytest.approx(2, rel=0.1)


def test_a_separable_field_integrates_as_its_whole_field_by_every_method():
    pendulum = SeparableField(lambda p: 1.5 * p, lambda q: -torch.sin(q))
    whole = lambda z: torch.cat([1.5 * z[..., 1:], -torch.sin(z[..., :1])], -1)  # noqa: E731
    z0, t = torch.tensor([[1.0, 0.2], [0.3, -0.5]], dtype=torch.float64), torch.linspace(0, 2, 5, dtype=torch.float64)
    for method in ("symplectic_euler", "leapfrog2", "leapfrog4", "rk4", "dopri5"):
        separable, plain = (integrate(field, z0, t, method, 3) for field in (pendulum, whole))
        torch.testing.assert_close(separable, plain, rtol=0, atol=0)
    # numpy arrays of any shape, time-first, as the torch states (..., T, n) batch-first
    numpy_pendulum = SeparableField(lambda p: 1.5 * p, lambda q: -np.sin(q))
    q, p = integrate_separable(numpy_pendulum, z0[:, 0].numpy(), z0[:, 1].numpy(), t.numpy(), "leapfrog4", 3)
    assert q.shape == p.shape == (5, 2)
    np.testing.assert_array_equal(np.stack([q.T, p.T], -1), integrate(pendulum, z0, t, "leapfrog4", 3).numpy())


def test_the_hamiltonian_network_leapfrog_of_an_order_is_the_registry_method():
    system = NBodySystem([1.0, 2.0])
    z = torch.as_tensor(system.sample_initial_states(3, np.random.default_rng(0)))
    t = torch.linspace(0, 0.2, 3, dtype=torch.float64)
    torch.manual_seed(0)
    model = HamiltonianNetwork(system, hidden=8, order=2).double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.1)
    by_order = model.rollout(z, t)
    model.method = "leapfrog2"
    torch.testing.assert_close(model.rollout(z, t), by_order, rtol=0, atol=0)
    for method in ("leapfrog", "symplectic_euler"):
        with pytest.raises(ValueError, match=f"the {method} integrator needs a separable Hamiltonian"):
            HamiltonianNetwork(system, separable=False, method=method)


@pytest.mark.parametrize("cls", [ScalarHNN, ScalarNeuralODE, MLPHNN, MLPNeuralODE])
def test_training_smoke(cls, tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    data = pendulum_data(32, 2, duration=2.0, seed=0)
    torch.manual_seed(0)
    model = cls(hidden=16, substeps=1)
    untrained = evaluate(model.double(), data)  # no dynamics at all: every state stays put
    np.testing.assert_array_equal(untrained["prediction"], np.broadcast_to(data.test[:, :1], data.test.shape))
    result = train(model, data, max_epochs=5, learning_rate=2e-3, batch_size=16, polish=0.4, progress=False)
    trained = evaluate(model, data)
    assert result["steps"] == 6 and result["evaluations"] >= 2 and np.isfinite(result["loss"])
    assert trained["prediction"].shape == data.test.shape
    assert trained["rollout_error"] < untrained["rollout_error"]


@pytest.mark.parametrize("cls", [ScalarHNN, ScalarNeuralODE])
def test_warm_start_finds_the_true_dynamics_in_the_span_of_the_scalar_features(cls, tmp_path, monkeypatch):
    # The pendulum's field is linear in the features of both scalar models, so the
    # least-squares start alone is as good as the finite differences it fits.
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    data = pendulum_data(100, 2, duration=6.0, seed=0)
    model = cls()
    train(model, data, max_epochs=0, polish=0, progress=False)
    z = torch.tensor(data.test[:, ::5].reshape(-1, 12))
    g, params = torch.tensor(data.test_g[:1]), torch.tensor(data.test_params[:1])
    learned = model.vector_field(z, g, params).detach().numpy()
    true = DoubleSpringPendulum.emlp().time_derivative(z.numpy())
    assert np.sqrt(np.mean((learned - true) ** 2) / np.mean(true**2)) < 3e-3


def test_torchdiffeq_methods_agree_with_rk4():
    z0 = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
    t = torch.linspace(0, 2, 5, dtype=torch.float64)
    field = lambda z: torch.stack([z[..., 1], -z[..., 0]], -1)
    adaptive = integrate(field, z0, t, method="dopri5", rtol=1e-10, atol=1e-12)
    assert adaptive.shape == (2, 5, 2)
    torch.testing.assert_close(adaptive, rk4(field, z0, t, substeps=50), rtol=0, atol=1e-9)


def test_leapfrog_rejects_an_odd_state():
    with pytest.raises(ValueError, match="even length"):
        leapfrog(lambda q: q, lambda p: p, torch.zeros(2, 5), torch.linspace(0, 1, 3))


@pytest.mark.parametrize(
    "cls, kwargs",
    [(ScalarHNN, {}), (ScalarHNN, dict(dimensionless=True, modulated=True)), (ScalarNeuralODE, {}), (MLPHNN, {}),
     (MLPNeuralODE, {})],
)
def test_the_vector_field_is_affine_in_the_linear_parameters_only(cls, kwargs):
    model = _model(cls, **kwargs)
    z, g, params = _inputs()
    linear = model.linear_parameters()
    rest = [p for p in model.parameters() if id(p) not in {id(q) for q in linear}]
    assert linear and rest

    def field_at(parameters, weights):
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(weights, parameters)
        return model.vector_field(z, g, params).detach()

    for parameters, affine in ((linear, True), (rest, False)):
        generator = torch.Generator().manual_seed(0)
        size = len(torch.nn.utils.parameters_to_vector(parameters))
        a, b = (torch.randn(size, dtype=torch.float64, generator=generator) for _ in range(2))
        middle = field_at(parameters, (a + b) / 2)
        mean = (field_at(parameters, a) + field_at(parameters, b)) / 2
        assert torch.allclose(middle, mean, rtol=1e-9, atol=1e-9 * mean.abs().max()) == affine


def test_reset_parameters_starts_every_model_without_dynamics():
    model = _model(ScalarHNN)
    z, g, params = _inputs()
    assert model.vector_field(z, g, params).abs().max() > 0
    for net in model.nets.values():
        net.reset_parameters()
    assert torch.equal(model.vector_field(z, g, params), torch.zeros_like(z))


def test_the_training_seed_covers_the_initial_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    data = pendulum_data(32, 2, duration=2.0, seed=0)
    trained = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        model = ScalarNeuralODE(hidden=16, substeps=1)
        train(model, data, max_epochs=2, batch_size=16, polish=0.5, seed=3, progress=False)
        trained.append(torch.nn.utils.parameters_to_vector(model.parameters()))
    torch.testing.assert_close(trained[0], trained[1], rtol=0, atol=0)


def test_bad_training_settings_are_rejected_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    data = pendulum_data(8, 1, duration=1.0, seed=0)
    for name, value in [("polish", 1.5), ("max_epochs", -1), ("batch_size", 0), ("mlp_learning_rate", 0.0)]:
        with pytest.raises(ValueError, match=f"'{name}' parameter of train"):
            train(ScalarHNN(hidden=4), data, progress=False, **{name: value})


def test_the_old_training_names_warn_and_train_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALARS_CACHE", str(tmp_path))
    data = pendulum_data(32, 2, duration=2.0, seed=0)
    new, old = ScalarNeuralODE(hidden=8, substeps=1), ScalarNeuralODE(hidden=8, substeps=1)
    settings = dict(batch_size=16, polish=0.5, seed=1, progress=False)
    train(new, data, max_epochs=2, learning_rate=2e-3, mlp_learning_rate=1e-4, **settings)
    with pytest.warns(FutureWarning) as warned:
        train(old, data, epochs=2, lr=2e-3, mlp_lr=1e-4, **settings)
    assert sorted(str(w.message).split(";")[0] for w in warned) == [
        f"the {o!r} parameter of train is renamed {n!r}"
        for o, n in [("epochs", "max_epochs"), ("lr", "learning_rate"), ("mlp_lr", "mlp_learning_rate")]
    ]
    for a, b in zip(new.parameters(), old.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(TypeError, match="both 'learning_rate' and its old name 'lr'"):
        train(old, data, lr=1e-3, learning_rate=1e-3)
    with pytest.raises(ValueError, match="'max_epochs' parameter of train"):  # validated under the new name
        with pytest.warns(FutureWarning):
            train(old, data, epochs=-1)


@pytest.mark.parametrize("cls, kwargs", [(ScalarHNN, dict(modulated=True)), (ScalarNeuralODE, {}), (MLPHNN, {})])
def test_a_float64_model_loads_exactly_into_a_default_constructed_one(cls, kwargs, tmp_path):
    trained = _model(cls, **kwargs)
    torch.save(trained.state_dict(), tmp_path / "model.pt")
    loaded = cls(hidden=16, **kwargs)  # float32, as constructed
    loaded.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    assert {p.dtype for p in loaded.state_dict().values()} == {torch.float64}
    z, g, params = _inputs()
    torch.testing.assert_close(loaded.vector_field(z, g, params), trained.vector_field(z, g, params), rtol=0, atol=0)
    data = pendulum_data(4, 2, duration=1.0, cache=False)
    np.testing.assert_array_equal(evaluate(loaded, data)["prediction"], evaluate(trained, data)["prediction"])


def test_a_float32_state_keeps_a_float32_model():
    model = ScalarHNN(hidden=8)
    model.load_state_dict(ScalarHNN(hidden=8).state_dict())
    assert next(model.parameters()).dtype == torch.float32


# The pendulum's hooks, through which the four models are the generic ones.

SYSTEM = DoubleSpringPendulum(m1=1.3, m2=0.7, k1=2.0, k2=1.5, L1=0.9, L2=1.1, g=(0.2, -0.3, -1.0))


def _gram_upper(vectors):
    i, j = np.triu_indices(vectors.shape[-2])
    return np.einsum("...id,...id->...i", vectors[..., i, :], vectors[..., j, :])


def test_the_pendulum_hooks_give_the_gram_entries_lengths_and_parameters():
    z, g, params = (x.numpy() for x in _inputs())
    q1, q2, p1, p2 = z[:, 0:3], z[:, 3:6], z[:, 6:9], z[:, 9:12]
    lengths = np.linalg.norm(np.stack([q1, q2, q1 - q2], 1), axis=-1)
    expected = {
        "K": np.concatenate([_gram_upper(np.stack([p1, p2, g], 1)), params], -1),
        "U": np.concatenate([_gram_upper(np.stack([q1, q2, q1 - q2, g], 1)), lengths, params], -1),
        "H": np.concatenate([_gram_upper(np.stack([q1, q2, q1 - q2, p1, p2, g], 1)), lengths, params], -1),
    }
    for part, features in expected.items():
        groups = SYSTEM.invariant_features(torch.tensor(z), part, torch.tensor(g), torch.tensor(params))
        assert list(groups) == [""] and groups[""].shape == (6, 1, features.shape[-1])
        np.testing.assert_allclose(groups[""][:, 0].numpy(), features, rtol=1e-14, atol=1e-14)
    features, vectors = SYSTEM.vector_terms(*(torch.tensor(x) for x in (z, g, params)))
    terms = np.concatenate([expected["H"][:, :24], 1 / lengths, params], -1)  # Gram, lengths, inverses, params
    assert features.shape == (6, 1, 1, 33) and vectors.shape == (6, 1, 1, 5, 3)
    np.testing.assert_allclose(features[:, 0, 0].numpy(), terms, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(vectors[:, 0, 0].numpy(), np.stack([q1, q2, p1, p2, g], 1))


def test_the_pendulum_context_is_its_own_g_and_parameters_and_the_models_default_to_it():
    z = _inputs()[0]
    g, params = SYSTEM.context(z)
    np.testing.assert_array_equal(g.numpy(), np.broadcast_to(SYSTEM.g, (6, 3)))
    np.testing.assert_array_equal(params.numpy()[0], [1.3, 0.7, 2.0, 1.5, 0.9, 1.1])
    batch = DoubleSpringPendulum(m1=[1.0, 2.0], g=[[0, 0, -1.0], [0, 1.0, 0]])
    g, params = batch.context(torch.zeros(2, 7, 12, dtype=torch.float64))
    assert g.shape == (2, 7, 3) and params.shape == (2, 7, 6)
    assert params[1, 3, 0] == 2.0 and g[1, 3, 1] == 1.0
    for cls, kwargs in ((HamiltonianNetwork, dict(dimensionless=True, modulated=True)), (NeuralODE, {})):
        model = _random_system_model(cls, **kwargs)
        torch.testing.assert_close(model.vector_field(z), model.vector_field(z, *SYSTEM.context(z)), rtol=0, atol=0)


def _random_system_model(cls, **kwargs):
    torch.manual_seed(0)
    model = cls(SYSTEM, hidden=16, **kwargs).double()
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, std=0.3)
    z, g, params = _inputs(50, seed=1)
    return model.fit_scaling(z, g, params)


@pytest.mark.parametrize("kwargs", [{}, dict(separable=False, method="rk4"), dict(dimensionless=True, modulated=True)])
def test_a_hamiltonian_network_of_a_pendulum_is_exactly_o3_invariant(kwargs):
    model = _random_system_model(HamiltonianNetwork, **kwargs)
    z, g, params = _inputs()
    energy = model.hamiltonian(z, g, params)
    for element in _rotation_and_reflection(2):
        moved = _vectors(z, g) @ torch.tensor(element).T
        torch.testing.assert_close(model.hamiltonian(*_state(moved), params), energy, rtol=1e-12, atol=1e-12)
    raw = _random_system_model(HamiltonianNetwork, raw=True)
    with pytest.raises(AssertionError):
        assert_invariant(lambda X: raw.hamiltonian(*_state(X), params), O3, _vectors(z, g), n_elements=2, rng=0)


@pytest.mark.parametrize(
    "cls, generic, kwargs",
    [(ScalarHNN, HamiltonianNetwork, dict(hidden=16)),
     (ScalarHNN, HamiltonianNetwork, dict(hidden=16, dimensionless=True, modulated=True)),
     (MLPHNN, HamiltonianNetwork, dict(hidden=128, raw=True, separable=False, method="rk4")),
     (ScalarNeuralODE, NeuralODE, dict(hidden=16, dimensionless=True)),
     (MLPNeuralODE, NeuralODE, dict(hidden=128, raw=True))],
)
def test_the_pendulum_models_are_the_generic_ones_of_the_pendulum(cls, generic, kwargs):
    torch.manual_seed(0)
    specific = cls(**{k: v for k, v in kwargs.items() if k != "raw"}).double()
    torch.manual_seed(0)
    general = generic(DoubleSpringPendulum.emlp(), **kwargs).double()
    assert isinstance(specific, generic)
    state = specific.state_dict()
    assert list(state) == list(general.state_dict())
    assert all(torch.equal(state[name], value) for name, value in general.state_dict().items())
    z, g, params = _inputs()
    specific.fit_scaling(z, g, params), general.fit_scaling(z, g, params)
    torch.testing.assert_close(specific.vector_field(z, g, params), general.vector_field(z, g, params), rtol=0, atol=0)


def test_options_without_their_hooks_are_refused_by_name():
    system = NBodySystem([1.0, 2.0])
    with pytest.raises(ValueError, match="dimensionless=True needs .* NBodySystem has none"):
        HamiltonianNetwork(system, dimensionless=True)
    with pytest.raises(ValueError, match="dimensionless=True"):
        NeuralODE(system, dimensionless=True)
    with pytest.raises(ValueError, match=r"modulated=True needs .*\(n_positive_features = 0\)"):
        HamiltonianNetwork(system, modulated=True)


def test_the_raw_neural_ode_of_n_bodies_reads_the_state():
    from scalars.dynamics import NBodySystem

    system = NBodySystem([1.0, 2.0, 3.0])
    model = NeuralODE(system, hidden=8, raw=True).double()
    assert model.nets["F"].skip.in_features == model.nets["F"].skip.out_features == 18
    z = torch.as_tensor(system.sample_initial_states(4, np.random.default_rng(0)))
    assert torch.equal(model.vector_field(z), torch.zeros_like(z))  # no dynamics before training


def test_a_neural_ode_on_fewer_equations_than_linear_parameters_trains_without_a_warm_start():
    # 40 chunks x 12 numbers < the 680 linear parameters: the minimum-norm warm start made
    # the first rollouts of the units variant diverge ("loss is nan before any step")
    from scalars.dynamics import pendulum_data

    data = pendulum_data(40, 2, variant="units", seed=0)
    model = NeuralODE(DoubleSpringPendulum.emlp())
    assert sum(p.numel() for p in model.linear_parameters()) > 40 * 12
    history = train(model, data, max_epochs=1, seed=1, progress=False)
    assert np.isfinite(history["loss"])
