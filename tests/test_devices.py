"""``device=``: one resolver, threaded through every torch module and estimator (no CUDA needed)."""

import inspect

import numpy as np
import pytest
import torch

import scalars.dynamics
import scalars.fields
import scalars.nn
from scalars.datasets import Inertia
from scalars.estimators import EquivariantMLPRegressor, ResidualPathwayRegressor
from scalars.nn import resolve_device


def _module_classes():
    for package in (scalars.nn, scalars.fields, scalars.dynamics):
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isclass(obj) and issubclass(obj, torch.nn.Module):
                yield obj


@pytest.mark.parametrize("cls", list(_module_classes()), ids=lambda cls: cls.__name__)
def test_every_public_module_takes_device_with_cpu_default(cls):
    parameter = inspect.signature(cls).parameters.get("device")
    assert parameter is not None and parameter.default == "cpu"


def test_resolve_device_reads_auto_from_cuda_availability(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


def test_resolve_device_errors_name_the_argument(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"EMLP: device='cuda' but CUDA is not available"):
        resolve_device("cuda", "EMLP: device")
    with pytest.raises(ValueError, match=r"device must be one of \('cpu', 'cuda', 'auto'\).*got 'gpu'"):
        resolve_device("gpu")
    with pytest.raises(TypeError, match="device must be one of .* got int 0"):
        resolve_device(0)


def _on(module):
    return {tensor.device.type for tensor in [*module.parameters(), *module.buffers()]}


G = scalars.nn.uniform_rep(8, "O(3)")
T1 = scalars.reps.rep("T1", "O(3)")
SMALL = {
    "EMLP": lambda device: scalars.nn.EMLP("2T1", "T0", "O(3)", hidden=8, layers=1, device=device),
    "EMLPBlock": lambda device: scalars.nn.EMLPBlock(T1, G, device=device),
    "EquivariantLinear": lambda device: scalars.nn.EquivariantLinear(T1, G, device=device),
    "TensorHead": lambda device: scalars.nn.TensorHead("O(3)", "5T0+5T1", particles=5, hidden=(4,), device=device),
    "InvariantEncoder": lambda device: scalars.nn.InvariantEncoder(3, "rbf", device=device),
    "BilinearReadout": lambda device: scalars.nn.BilinearReadout(3, 2, 2, device=device),
    "PlainMLP": lambda device: scalars.nn.PlainMLP(3, 2, hidden=(4,), device=device),
    "ParticleMessagePassing": lambda device: scalars.nn.ParticleMessagePassing(hidden=4, layers=1, device=device),
    "GroupAveraging": lambda device: scalars.nn.GroupAveraging(torch.nn.Linear(6, 1), "O(3)", "2T1", device=device),
    "GeometricCNN": lambda device: scalars.fields.GeometricCNN(0, 1, channels=2, dilations=(1, 1), device=device),
    "AveragePool": lambda device: scalars.fields.AveragePool(2, device=device),
    "ScalarHNN": lambda device: scalars.dynamics.ScalarHNN(hidden=4, layers=1, device=device),
    "PairForceLaw": lambda device: scalars.dynamics.PairForceLaw(steps=2, device=device),
    "LearnedPairForce": lambda device: scalars.dynamics.LearnedPairForce(steps=2, hidden=(4,), device=device),
    "HybridPairForce": lambda device: scalars.dynamics.HybridPairForce(scalars.dynamics.PairForceLaw(steps=2), device=device),
}


@pytest.mark.parametrize("name", SMALL)
def test_modules_keep_their_tensors_on_the_device(name):
    assert _on(SMALL[name]("meta")) == {"meta"}
    assert _on(SMALL[name]("cpu")) == {"cpu"}


def test_modules_default_to_the_same_weights_on_cpu():
    torch.manual_seed(0)
    default = scalars.nn.EMLP("2T1", "T0", "O(3)", hidden=8, layers=1)
    torch.manual_seed(0)
    explicit = scalars.nn.EMLP("2T1", "T0", "O(3)", hidden=8, layers=1, device="cpu")
    for a, b in zip(default.state_dict().values(), explicit.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("estimator", [EquivariantMLPRegressor, ResidualPathwayRegressor])
def test_estimators_thread_the_resolved_device_to_module_and_data(estimator, monkeypatch):
    seen = []

    def spy(device, name="device"):
        seen.append((device, name))
        return torch.device("cpu")

    monkeypatch.setattr(scalars.nn, "resolve_device", spy)
    data = Inertia(32, seed=0)
    params = dict(data.estimator_params(), hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    model = estimator(**params, device="auto").fit(data.X, data.y)
    assert seen == [("auto", f"{estimator.__name__}: device")]
    assert model.device_ == torch.device("cpu") and _on(model.module_) == {"cpu"}
    baseline = estimator(**params).fit(data.X, data.y)
    np.testing.assert_array_equal(model.predict(data.X), baseline.predict(data.X))


def test_estimator_refuses_cuda_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    data = Inertia(16, seed=0)
    model = EquivariantMLPRegressor(**data.estimator_params(), max_epochs=1, device="cuda")
    with pytest.raises(ValueError, match="EquivariantMLPRegressor: device='cuda' but CUDA is not available"):
        model.fit(data.X, data.y)


def test_plain_mlp_regressor_threads_device():
    X = np.random.default_rng(0).normal(size=(32, 3))
    model = scalars.nn.PlainMLPRegressor(hidden_layer_sizes=(4,), max_epochs=1, device="cpu").fit(X, X.sum(1))
    assert model.device_ == torch.device("cpu")
    with pytest.raises(ValueError, match="PlainMLPRegressor: device must be one of"):
        scalars.nn.PlainMLPRegressor(device="gpu").fit(X, X.sum(1))
