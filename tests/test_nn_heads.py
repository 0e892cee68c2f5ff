import numpy as np
import pytest
import torch

from scalars.datasets import Inertia
from scalars.estimators import EquivariantMLPRegressor
from scalars.groups import get_group
from scalars.layout import Layout
from scalars.nn import EquivariantHead, InvariantEncoder, InvariantMLP, TensorHead, VectorHead
from scalars.testing import assert_equivariant


HEADS = [
    (InvariantMLP, "T0", ["O(3)", "SO(3)", "O(1,3)", "Sp(4)", "U(2)"]),
    (VectorHead, "T1", ["O(3)", "SO(3)", "O(1,3)", "Sp(4)", "U(2)"]),
    (TensorHead, "T2", ["O(3)", "SO(3)", "O(1,3)", "Sp(4)"]),
]
CASES = [(head, output, group) for head, output, groups in HEADS for group in groups]


def _inputs(group, layout, n_samples=8, seed=0):
    n_features = Layout.parse(layout).n_features(get_group(group).n_columns)
    return torch.as_tensor(np.random.default_rng(seed).standard_normal((n_samples, n_features)))


@pytest.mark.parametrize("head, output, group", CASES, ids=[f"{h.__name__}-{g}" for h, _, g in CASES])
@pytest.mark.parametrize("encoding", [None, "log", "rbf"])
def test_head_is_equivariant(head, output, group, encoding):
    layout = "2T0+3T1"
    torch.manual_seed(0)
    X = _inputs(group, layout)
    model = head(group, layout, hidden=(16, 16), encoding=encoding).double().fit_statistics(X)
    with torch.no_grad():
        assert_equivariant(model, group, X, layout, output, n_elements=3, rng=0)


@pytest.mark.parametrize("output", ["T0", "T1", "T2"])
def test_particle_head_is_permutation_and_lorentz_equivariant(output):
    layout = "3T0+3T1"
    X = _inputs("O(1,3)", layout)
    model = EquivariantHead("O(1,3)", layout, output, particles=3, hidden=(16,)).double().fit_statistics(X)
    with torch.no_grad():
        assert_equivariant(model, "O(1,3)", X, layout, output, rng=1)
        permuted = X[:, [1, 2, 0, 7, 8, 9, 10, 11, 12, 13, 14, 3, 4, 5, 6]]
        torch.testing.assert_close(model(permuted), model(X), rtol=1e-12, atol=1e-12)


def test_output_shapes_and_batch_axes():
    X = _inputs("O(3)", "T0+2T1").reshape(2, 4, 7)
    assert InvariantMLP("O(3)", "T0+2T1").double()(X).shape == (2, 4)
    assert VectorHead("O(3)", "T0+2T1").double()(X).shape == (2, 4, 3)
    assert TensorHead("O(3)", "T0+2T1").double()(X).shape == (2, 4, 3, 3)
    assert VectorHead("U(2)", "T1").double()(_inputs("U(2)", "T1")).dtype == torch.complex128


def test_fit_statistics_standardises_invariants_and_scales_output():
    data = Inertia(500, seed=0)
    X, y = torch.as_tensor(data.X), torch.as_tensor(data.y).reshape(-1, 3, 3)
    head = TensorHead("O(3)", "5T0+5T1", particles=5).double().fit_statistics(X, y)
    for block, (invariants, _) in zip(head.blocks, head.expansion.blocks(X)):
        standard = block.encoder(invariants).reshape(-1, invariants.shape[-1])
        torch.testing.assert_close(standard.mean(0), torch.zeros_like(standard[0]), atol=1e-10, rtol=0)
        torch.testing.assert_close(standard.std(0), torch.ones_like(standard[0]), atol=1e-10, rtol=0)
    assert head.output_offset.item() == 0.0  # no equivariant offset for tensors
    assert head.output_scale.item() == pytest.approx(y.pow(2).mean().sqrt().item())


def test_encoder_compresses_heavy_tails():
    z = torch.tensor([[1e-3], [1.0], [1e6]], dtype=torch.float64)
    log = InvariantEncoder(1, "log").double().fit(z)(z)
    plain = InvariantEncoder(1).double().fit(z)(z)
    assert (log[1] - log[0]).item() > 0.03 * (log[2] - log[1]).item()  # small values stay resolved
    assert (plain[1] - plain[0]).item() < 1e-5 * (plain[2] - plain[1]).item()
    assert InvariantEncoder(2, "rbf", n_centers=5).n_outputs == 12
    with pytest.raises(ValueError, match="encoding must be one of"):
        InvariantEncoder(1, "sqrt")


def test_save_and_load_with_weights_only(tmp_path):
    X = _inputs("SO(3)", "T0+3T1")
    head = VectorHead("SO(3)", "T0+3T1", encoding="rbf").double().fit_statistics(X, torch.ones(8, 3))
    torch.save(head.state_dict(), tmp_path / "head.pt")
    restored = VectorHead("SO(3)", "T0+3T1", encoding="rbf").double()
    restored.load_state_dict(torch.load(tmp_path / "head.pt", weights_only=True))
    with torch.no_grad():
        torch.testing.assert_close(restored(X), head(X), rtol=0, atol=0)
        assert not torch.equal(VectorHead("SO(3)", "T0+3T1", encoding="rbf").double()(X), head(X))


def test_rbf_encoding_needs_two_centers():
    with pytest.raises(ValueError, match="n_centers >= 2"):
        InvariantEncoder(3, encoding="rbf", n_centers=1)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
def test_a_mixed_head_fitted_on_targets_with_a_mean_stays_equivariant(dtype):
    """The scalar targets' mean is an offset of the scalar column only, never of the vector columns."""
    X = np.random.default_rng(0).standard_normal((64, 6)) + 3.0  # v0, v1: both parts of y have a nonzero mean
    v0, v1 = X[:, :3], X[:, 3:]
    y = np.column_stack([(v0 * v1).sum(1) + 10.0, v0 * (v1 * v1).sum(1, keepdims=True)])
    model = EquivariantMLPRegressor(group="O(3)", layout="2T1", output="T0+T1", hidden_layer_sizes=(16,), max_epochs=5,
                                    random_state=0).fit(X, y)
    assert_equivariant(model.predict, "O(3)", X, "2T1", "T0+T1", rng=0)
    head = EquivariantHead("O(3)", "2T1", "T0+T1", hidden=(16,)).to(dtype)
    head.fit_statistics(torch.as_tensor(X, dtype=dtype), torch.as_tensor(y, dtype=dtype))
    with torch.no_grad():
        assert_equivariant(head, "O(3)", torch.as_tensor(X, dtype=dtype), "2T1", "T0+T1", rng=0)
