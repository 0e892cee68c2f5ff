"""Models carry their representations: assert_equivariant(model, X) needs no group, layout or output."""

import numpy as np
import pytest
import torch

from scalars import (
    EquivariantMLPRegressor,
    EquivariantRegressor,
    FrameAveragedRegressor,
    GroupAveragedRegressor,
    InvariantFeatures,
    Layout,
)
from scalars.datasets import Inertia, O5Synthetic
from scalars.nn import EMLP, EquivariantHead, FrameAveraging, GroupAveraging, mlp
from scalars.reps import rep, slots
from scalars.testing import assert_equivariant, equivariance_error


@pytest.fixture(scope="module")
def inertia():
    return Inertia(40, seed=0)


ESTIMATORS = {
    "ridge": lambda p: EquivariantRegressor(**p),
    "mlp": lambda p: EquivariantMLPRegressor(**p, hidden_layer_sizes=(8,), max_epochs=2, random_state=0),
    "emlp": lambda p: EquivariantMLPRegressor(**p, hidden_layer_sizes=(16,), max_epochs=1, random_state=0, backbone="emlp"),
    "group average": lambda p: GroupAveragedRegressor(group="O(3)", layout=p["layout"], output=p["output"], n_samples=3, random_state=0),
    "frame average": lambda p: FrameAveragedRegressor(group="O(3)", layout=p["layout"], output=p["output"]),
}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_fitted_estimator_checks_with_its_own_reps(name, inertia):
    model = ESTIMATORS[name](inertia.estimator_params()).fit(inertia.X, inertia.y)
    assert model.rep_out_.size == 9  # a 3x3 tensor
    if name in ("ridge", "mlp", "frame average"):  # exactly equivariant models
        assert assert_equivariant(model, inertia.X) < 1e-10
    else:  # a group average from 3 samples is not equivariant; the EMLP backbone is, but for O(3) alone
        errors = equivariance_error(model, inertia.X, n_elements=2, rng=0)
        assert errors.shape == (2,)
        if name == "emlp":
            assert model.rep_in_.group.name == "O(3)" and errors.max() < 1e-10
        else:
            assert errors.min() > 1e-6


def test_the_invariant_transformer_carries_scalars_out(inertia):
    features = InvariantFeatures(group="S(5)xO(3)", layout="5T0+5T1").fit(inertia.X)
    assert features.rep_in_ == rep("5T0+5T1", "S(5)xO(3)")
    assert features.rep_out_.size == features.n_output_features_
    assert assert_equivariant(features, inertia.X) < 1e-10


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_modules_carry_their_reps_in_both_precisions(dtype):
    X = torch.as_tensor(np.random.default_rng(0).standard_normal((6, 15)), dtype=dtype)
    torch.manual_seed(0)
    modules = [
        EquivariantHead("O(3)", "5P", "T2", hidden=(8,)),
        EquivariantHead("O(3)", "6T0+2T1+T1", "T0+T1", hidden=(8,)),
        EMLP("5T1", "T2", "O(3)", hidden=32, layers=1),
        FrameAveraging(mlp(15, 15), "E(3)", "5P", output="5P"),
        GroupAveraging(mlp(15, 1), "S(5)", "5T0+5T0+5T0", n_samples=120),
    ]
    for module in modules:
        module = module.to(dtype).eval()
        assert assert_equivariant(module, X) < (1e-4 if dtype == torch.float32 else 1e-10), type(module).__name__


def test_a_broken_model_is_caught_through_its_carried_reps(inertia):
    model = EquivariantRegressor(**inertia.estimator_params()).fit(inertia.X, inertia.y)
    broken = EquivariantRegressor(**inertia.estimator_params()).fit(inertia.X, inertia.y)
    broken.predict = lambda X: model.predict(X) + X[:, 5:14]  # adds the first vector's components
    broken.rep_in_, broken.rep_out_ = model.rep_in_, model.rep_out_
    with pytest.raises(AssertionError, match="S\\(5\\)xO\\(3\\) element 0"):
        assert_equivariant(broken, inertia.X)
    assert equivariance_error(broken, inertia.X, n_elements=3, rng=1).min() > 1e-3


def test_calling_conventions_are_checked(inertia):
    model = EquivariantRegressor(**inertia.estimator_params()).fit(inertia.X, inertia.y)
    with pytest.raises(TypeError, match="without a layout"):
        assert_equivariant(model, inertia.X, layout="5T0+5T1")
    with pytest.raises(TypeError, match="needs the group and X for a plain function"):
        assert_equivariant(model.predict, inertia.X)
    # the explicit convention still works, and overrides the carried reps
    assert assert_equivariant(model.predict, "O(3)", inertia.X, layout="5T0+5T1", output="T2") < 1e-10


@pytest.mark.parametrize(
    "spec, group, owners",
    [
        ("5T0+5T1", "S(5)xO(3)", [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]),
        ("10T1+T1", "S(5)xE(3)", [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1]),
        ("2T0+3P+3T1", "S(3)xE(2)", [-1, -1, 0, 1, 2, 0, 1, 2]),
        ("T0+2T1+2T0", "O(3)", [-1] * 5),
    ],
)
def test_slots_of_a_rep_agree_with_the_layout_and_round_trip(spec, group, owners):
    r = rep(spec, group)
    found = slots(r)
    assert [s.particle for s in found] == owners
    assert np.array_equal(np.concatenate([s.columns for s in found]), np.arange(r.size))
    layout = Layout.from_rep(r)
    assert rep(str(layout), group) == r
    k = getattr(r.group, "particles", None)
    if k:
        assert layout.particle_of(k).tolist() == owners


def test_a_layout_cannot_describe_tensor_slots():
    with pytest.raises(ValueError, match="not one kind of slot"):
        Layout.from_rep(rep("T0+T2", "O(3)"))


def test_particles_with_no_term_per_particle_warn_and_name_the_counts():
    data = O5Synthetic(10, seed=0)
    X = np.random.default_rng(0).standard_normal((10, 20))
    with pytest.warns(UserWarning, match=r"counts \(5, 5\) are not multiples of 4"):
        EquivariantRegressor(group="O(3)", layout="5T0+5T1", particles=4).fit(X, data.y)


def test_global_slots_under_permutations_transform_without_a_crash():
    X = np.random.default_rng(0).standard_normal((4, 16))
    with pytest.warns(UserWarning, match="no term per particle"):
        features = InvariantFeatures(group="S(5)xO(3)", layout="4T0+4T1").fit(X)
    Z = features.transform(X)
    assert Z.shape == (4, len(features.get_feature_names_out())) and np.isfinite(Z).all()


def test_a_general_tensor_output_is_refused_not_fitted_as_a_symmetric_one():
    # It was fitted as the symmetric T2: training MSE 0.31 on the exact target a b^T.
    X = np.random.default_rng(0).standard_normal((30, 9))
    y = np.einsum("ni,nj->nij", X[:, :3], X[:, 3:6]).reshape(30, 9)
    with pytest.raises(ValueError, match=r"general \(non-symmetric\) tensor 'T\(2,0\)'"):
        EquivariantRegressor(group="O(3)", layout="3T1", output="T(2,0)").fit(X, y)


def _perturbed(model):
    with torch.no_grad():  # a fresh model's last layers are zero: give every weight a value
        for parameter in model.parameters():
            parameter.normal_(0, 0.3, generator=torch.Generator().manual_seed(parameter.numel()))
    return model


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["HamiltonianNetwork", "NeuralODE"])
@pytest.mark.parametrize("system_name", ["pendulum", "nbody"])
def test_dynamics_models_carry_the_reps_of_their_state_and_context(kind, system_name, dtype):
    from scalars import dynamics

    if system_name == "pendulum":
        system = dynamics.DoubleSpringPendulum.emlp()
        z = torch.randn(5, 12, dtype=dtype, generator=torch.Generator().manual_seed(0))
        X = (z, *system.context(z))
    else:
        system = dynamics.NBodySystem(masses=np.ones(5))
        X = torch.randn(4, 30, dtype=dtype, generator=torch.Generator().manual_seed(0))
    model = _perturbed(getattr(dynamics, kind)(system).double()).to(dtype)
    assert model.rep_out == system.derivative_rep
    assert assert_equivariant(model, X) < (1e-4 if dtype == torch.float32 else 1e-10)


def test_a_raw_dynamics_model_carries_no_reps():
    from scalars.dynamics import DoubleSpringPendulum, NeuralODE

    model = NeuralODE(DoubleSpringPendulum.emlp(), raw=True)
    assert not hasattr(model, "rep_in")
    with pytest.raises(TypeError, match="needs the group and X"):
        assert_equivariant(model, torch.zeros(2, 12))


def test_the_velocity_of_a_point_is_a_vector():
    from scalars.dynamics import NBodySystem

    system = NBodySystem(masses=np.ones(3))
    assert system.state_rep == rep("3P+3T1", system.group)
    assert system.derivative_rep == rep("3T1+3T1", system.group)
