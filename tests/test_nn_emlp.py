import io

import numpy as np
import pytest
import torch

from scalars.groups import get_group
from scalars.nn import EMLP, EquivariantBilinear, EquivariantLinear, GatedNonlinearity, gated, uniform_rep
from scalars.reps import T, equivariant_basis, rep
from scalars.testing import assert_equivariant

NETWORKS = [  # group, input, output: the three EMLP tasks, and other kinds of groups
    ("O(5)", "2T1", "T0"),
    ("O(3)", "5T0+5T1", "T2"),
    ("O(1,3)", "4T1", "T0"),
    ("SO(3)", "2T1", "T1"),
    ("Sp(4)", "2T1", "T1+T0"),
    ("S(4)", "T1+T0", "T1"),
    ("S(4)xO(2)", "4T0+4T1", "4T1+T0"),
]


def network(name, spec_in, spec_out, seed=0, hidden=40, layers=2):
    torch.manual_seed(seed)
    return EMLP(rep(spec_in, name), rep(spec_out, name), name, hidden=hidden, layers=layers)


@pytest.mark.parametrize("name, spec_in, spec_out", NETWORKS, ids=[f"{g}:{a}->{b}" for g, a, b in NETWORKS])
def test_a_random_network_is_equivariant_in_float64_and_float32(name, spec_in, spec_out):
    net = network(name, spec_in, spec_out).double()
    rep_in, rep_out = rep(spec_in, name), rep(spec_out, name)
    X = torch.randn(32, rep_in.size, dtype=torch.float64)
    assert net(X).abs().max() > 1e-3  # a network that outputs zero is trivially equivariant
    assert assert_equivariant(net, name, X, layout=rep_in, output=rep_out, rtol=1e-10) < 1e-10
    net.float()
    assert assert_equivariant(net, name, X.float(), layout=rep_in, output=rep_out, rtol=1e-5) < 1e-5


def test_saved_and_loaded_network_predicts_exactly_the_same():
    net = network("O(3)", "5T0+5T1", "T2", seed=0).double()
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    buffer.seek(0)
    other = network("O(3)", "5T0+5T1", "T2", seed=1).double()  # other random weights, same architecture
    X = torch.randn(20, 20, dtype=torch.float64)
    assert not torch.equal(other(X), net(X))
    other.load_state_dict(torch.load(buffer, weights_only=True))
    assert torch.equal(other(X), net(X))


def test_the_bilinear_layer_is_a_function_of_the_representations():
    R = gated(uniform_rep(100, "O(3)"))
    first, second = EquivariantBilinear(R, R), EquivariantBilinear(R, R)
    assert len(first.weights) > 0
    for f in range(len(first.weights)):
        assert torch.equal(getattr(first, f"_source{f}"), getattr(second, f"_source{f}"))
    with torch.no_grad():
        for a, b in zip(first.weights, second.weights):
            b.copy_(a)
    x = torch.randn(5, R.size)
    assert torch.equal(first(x), second(x)) and first(x).abs().max() > 0


def test_linear_layer_spans_the_equivariant_maps_with_an_invariant_bias():
    group = get_group("O(3)")
    rep_in, rep_out = rep("T0+T1+T2", group), rep("2T0+T2", group)
    layer = EquivariantLinear(rep_in, rep_out).double()
    assert sum(p.numel() for p in layer.weights) == equivariant_basis(rep_in, rep_out).shape[1]
    assert sum(p.numel() for p in layer.biases) == equivariant_basis(rep_out).shape[1] == 3
    W, b = layer.weight().detach().numpy(), layer.bias().detach().numpy()
    g = group.sample(rng=0)
    np.testing.assert_allclose(rep_out.rho(g) @ W, W @ rep_in.rho(g), atol=1e-12)
    np.testing.assert_allclose(rep_out.rho(g) @ b, b, atol=1e-12)


def test_no_linear_map_is_a_clear_error():
    message = r"no O\(3\)-equivariant linear map from T1 to T0.*vectors cannot map linearly to scalars"
    with pytest.raises(ValueError, match=message):
        EquivariantLinear(T(1)("O(3)"), T(0)("O(3)"))


def test_gates_scale_non_scalar_blocks_and_scalars_pass_through_swish():
    R = rep("T0+T1", "O(3)")
    assert gated(R).size == 5  # one gate for the vector
    x = torch.tensor([[2.0, 1.0, -1.0, 3.0, 0.5]])
    out = GatedNonlinearity(R)(x)
    expected = torch.cat([x[:, :1] * torch.sigmoid(x[:, :1]), x[:, 1:4] * torch.sigmoid(x[:, 4:])], dim=1)
    torch.testing.assert_close(out, expected)
    assert gated(rep("T1", "S(4)")) == rep("T1", "S(4)")  # a permutation rep needs no gate


@pytest.mark.parametrize("name", ["O(5)", "O(3)", "O(1,3)", "Sp(4)", "S(4)"])
def test_uniform_rep_fills_the_channels(name):
    assert uniform_rep(384, name).size == 384
    assert str(uniform_rep(384, "O(5)")) == "134T0+25T1+5T2"  # EMLP's allocation for its O(5) model


def test_precision_moves_round_the_float64_bases_afresh():
    net = network("O(1,3)", "4T1", "T0").float().double()
    layer = net.network[0].linear
    exact = torch.tensor(np.array(layer._exact["_weight_basis0"]))
    assert torch.equal(layer._weight_basis0, exact)


def test_statistics_standardise_each_block_and_keep_equivariance():
    name = "O(3)"
    rep_in, rep_out = rep("5T0+5T1", name), rep("T2", name)
    X = torch.randn(200, 20, dtype=torch.float64) * 3 + torch.cat([torch.full((5,), 4.0), torch.zeros(15)])
    y = torch.randn(200, 9, dtype=torch.float64) * 5
    net = network(name, "5T0+5T1", "T2").double().fit_statistics(X, y)
    torch.testing.assert_close(net.input_offset[:5], X[:, :5].mean(0))
    assert torch.all(net.input_offset[5:] == 0)  # vectors have no invariant offset under O(3)
    standard = (X - net.input_offset) / net.input_scale
    torch.testing.assert_close(standard[:, 5:8].pow(2).mean(), torch.tensor(1.0, dtype=torch.float64))
    assert assert_equivariant(net, name, X, layout=rep_in, output=rep_out) < 1e-10
