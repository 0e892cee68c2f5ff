"""Residual pathways, the soft equivariance penalty and augmentation (approximate symmetries)."""

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from scalars.datasets import ModifiedInertia
from scalars.estimators import ResidualPathwayRegressor
from scalars.groups import get_group
from scalars.nn import EquivariancePenalty, PlainMLP, ResidualPathway, TensorHead, augment, fit
from scalars.nn.training import initialize
from scalars.reps import rep
from scalars.testing import assert_equivariant, equivariance_error


def pathway(dtype):
    torch.manual_seed(0)
    head = TensorHead("O(3)", "5T0+5T1", particles=5, hidden=(16,)).to(dtype)
    return ResidualPathway(head, PlainMLP(20, 9, hidden=(16,)).to(dtype), equivariant_weight_decay=0.5, plain_weight_decay=2.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pathway_with_zero_plain_path_is_exactly_equivariant(dtype):
    model = pathway(dtype)
    X = torch.as_tensor(ModifiedInertia(16, seed=0).X, dtype=dtype)
    assert equivariance_error(model, X, rng=0).min() > 1e-3  # the plain path breaks the symmetry
    with torch.no_grad():
        model.plain.net[-1].weight.zero_()
        model.plain.net[-1].bias.zero_()
    assert_equivariant(model, X, rng=1)
    assert model.rep_in is model.equivariant.rep_in and model.rep_out is model.equivariant.rep_out


def test_prior_penalty_is_the_two_weighted_squared_norms():
    model = pathway(torch.float64)
    equivariant = sum(float((p.detach() ** 2).sum()) for p in model.equivariant.parameters())
    plain = sum(float((p.detach() ** 2).sum()) for p in model.plain.parameters())
    assert float(model.prior_penalty().detach()) == pytest.approx(0.5 * equivariant + 2.0 * plain, rel=1e-12)


def test_penalty_is_zero_for_equivariant_maps_and_the_closed_form_otherwise():
    V = rep("T1", "O(2)")
    X = torch.randn(10, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert float(EquivariancePenalty(V, V, seed=0)(lambda x: 3 * x, X)) < 1e-28
    W = torch.tensor([[1.0, 2.0], [0.0, 1.0]], dtype=torch.float64)
    penalty = EquivariancePenalty(V, V, strength=2.5, n_elements=2, seed=7)
    rng = np.random.default_rng(7)
    expected = 0.0
    for _ in range(2):
        g = torch.as_tensor(get_group("O(2)").sample(rng=rng))
        expected += float(((X @ g.T @ W.T - X @ W.T @ g.T) ** 2).mean()) / 2
    assert float(penalty(lambda x: x @ W.T, X)) == pytest.approx(2.5 * expected, rel=1e-12)


def test_penalty_lowers_the_measured_equivariance_error():
    # y = x on a half plane only: an MLP alone need not be equivariant off the data, the penalty makes it so
    V = rep("T1", "O(2)")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 2))
    X[:, 0] = np.abs(X[:, 0])
    X = torch.as_tensor(X)
    errors = []
    for strength in (0.0, 10.0):
        torch.manual_seed(0)
        net = PlainMLP(2, 2, hidden=(32,)).double().fit_statistics(X, X)
        penalty = EquivariancePenalty(V, V, strength, n_elements=2, seed=0) if strength else None
        fit(net, X, X.clone(), max_epochs=300, batch_size=64, validation_fraction=0, seed=0, progress=False, penalty=penalty)
        errors.append(equivariance_error(net, "O(2)", X, layout=V, output=V, n_elements=8, rng=1).mean())
    assert errors[1] < 0.5 * errors[0]


def test_augment_moves_each_copy_by_one_element():
    V = rep("5T0+5T1", "S(5)xO(3)")
    data = ModifiedInertia(6, seed=0)
    X, y = augment(data.X, data.X, V, V, copies=2, seed=3)
    assert X.shape == y.shape == (18, 20)
    np.testing.assert_array_equal(X[:6], data.X)
    np.testing.assert_allclose(X, y)  # the identity map is equivariant: moved inputs are moved outputs
    assert not np.allclose(X[6:12], data.X)
    np.testing.assert_allclose(np.sort(X[6:12, :5], axis=1), np.sort(data.X[:, :5], axis=1))  # masses permuted


def test_bad_inputs_are_named():
    V, W = rep("T1", "O(2)"), rep("T1", "O(3)")
    with pytest.raises(ValueError, match="strength \\(lambda\\) must be a finite number >= 0, got -1"):
        EquivariancePenalty(V, V, strength=-1)
    with pytest.raises(ValueError, match="n_elements must be a positive integer .*got 0"):
        EquivariancePenalty(V, V, n_elements=0)
    with pytest.raises(ValueError, match="of O\\(2\\) but rep_out .* of O\\(3\\)"):
        EquivariancePenalty(V, W)
    with pytest.raises(TypeError, match="rep_in must be a Rep"):
        EquivariancePenalty("T1", V)
    with pytest.raises(ValueError, match="copies must be a positive integer .*got 0"):
        augment(np.zeros((2, 2)), np.zeros((2, 2)), V, V, copies=0)
    with pytest.raises(ValueError, match="plain_weight_decay must be a finite number >= 0, got -0.1"):
        ResidualPathway(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), plain_weight_decay=-0.1)
    with pytest.raises(TypeError, match="plain must be a torch.nn.Module, got str"):
        ResidualPathway(torch.nn.Linear(2, 2), "mlp")
    data = ModifiedInertia(8, seed=0)
    for bad in (dict(equivariance_penalty=-1.0), dict(penalty_elements=0), dict(paths="equivariant"), dict(plain_readout="yes")):
        with pytest.raises(InvalidParameterError, match=next(iter(bad))):
            ResidualPathwayRegressor(**data.estimator_params(), **bad).fit(data.X, data.y)


@pytest.mark.parametrize("options", [dict(), dict(paths="plain", equivariance_penalty=1.0, augmentation=1)])
def test_regressor_fits_and_carries_the_reps(options):
    data = ModifiedInertia(40, seed=0)
    model = ResidualPathwayRegressor(
        **data.estimator_params(), hidden_layer_sizes=(8,), plain_hidden_layer_sizes=(8,), max_epochs=2, random_state=0, **options
    ).fit(data.X, data.y)
    assert model.predict(data.X[:5]).shape == (5, 9)
    assert model.rep_in_.size == 20 and model.rep_out_.size == 9
    assert np.isfinite(equivariance_error(model, data.X[:5], rng=0)).all()


def test_rpp_protocol_runs_adam_at_a_constant_rate_without_lbfgs_and_bad_options_are_named():
    data = ModifiedInertia(40, seed=0)
    params = dict(data.estimator_params(), hidden_layer_sizes=(8,), plain_hidden_layer_sizes=(8,), random_state=0,
                  batch_size=40, polish=0.0)
    # one Adam step: the readout starts at zero, so its largest entry moves by that step's rate exactly
    # (Adam's first step is the rate times the gradient's sign); the cosine schedule starts at 2% of the peak
    for schedule, first_rate in (("constant", 3e-3), ("cosine", 3e-3 * 1e-3 / 0.05)):
        model = ResidualPathwayRegressor(**params, max_epochs=1, learning_rate_schedule=schedule).fit(data.X, data.y)
        assert model.history_.steps == 1 and model.history_.evaluations == 0
        assert float(model.module_.readout.weight.detach().abs().max()) == pytest.approx(first_rate, rel=1e-4)
    auto = ResidualPathwayRegressor(**{**params, "polish": "auto"}, max_epochs=4).fit(data.X, data.y)
    assert auto.polish_ == 0.5 and auto.history_.evaluations > 0  # "auto" ends in L-BFGS below 10,000 samples
    for bad in (dict(polish=1.5), dict(learning_rate_schedule="linear")):
        with pytest.raises(InvalidParameterError, match=next(iter(bad))):
            ResidualPathwayRegressor(**{**params, **bad}).fit(data.X, data.y)


class ExactInertia(torch.nn.Module):
    """The inertia tensor of the rows of ModifiedInertia: an exactly O(3)-equivariant path with a rep_out."""

    rep_in = rep("5T0+5T1", "O(3)")
    rep_out = rep("T2", "O(3)")

    def __init__(self):
        super().__init__()
        self.unit = torch.nn.Parameter(torch.ones((), dtype=torch.float64))

    def forward(self, X):
        masses, positions = X[:, :5], X[:, 5:].reshape(-1, 5, 3)
        eye = torch.eye(3, dtype=X.dtype)
        per_particle = (positions**2).sum(-1)[..., None, None] * eye - positions[..., :, None] * positions[..., None, :]
        return self.unit * torch.einsum("nk,nkij->nij", masses, per_particle)


def test_plain_readout_starts_at_zero_and_represents_the_modified_inertia_with_three_weights():
    data = ModifiedInertia(16, seed=0)
    X = torch.as_tensor(data.X)
    plain = PlainMLP(20, 9, hidden=(8,)).double()
    with torch.no_grad():
        plain.net[-1].weight.zero_()
        plain.net[-1].bias.zero_()
    model = ResidualPathway(ExactInertia(), plain, plain_weight_decay=2.0, plain_readout=True)
    assert_equivariant(model, X, rng=0)  # R = 0 at the start: the equivariant model
    with torch.no_grad():  # 0.3 (I g) g^T for g = z: column 2 of the output gets 0.3 times column 2 of I
        for row in range(3):
            model.readout.weight[3 * row + 2, 3 * row + 2] = 0.3
    np.testing.assert_allclose(model(X).reshape(16, 9).detach().numpy(), data.y, rtol=1e-12, atol=1e-12)
    assert equivariance_error(model, X, rng=0).min() > 1e-3
    plain_squares = sum(float((p.detach() ** 2).sum()) for p in plain.parameters()) + 3 * 0.3**2
    assert float(model.prior_penalty().detach()) == pytest.approx(1e-5 * 1.0 + 2.0 * plain_squares, rel=1e-12)


def test_plain_readout_needs_a_rep_out():
    with pytest.raises(ValueError, match="plain_readout=True needs an equivariant path with a rep_out"):
        ResidualPathway(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), plain_readout=True)


def test_fit_redraws_a_zero_readout_and_a_small_plain_output_layer():
    torch.manual_seed(0)
    full, small = PlainMLP(20, 9, hidden=(8,)).double(), PlainMLP(20, 9, hidden=(8,), init_scale=1e-3).double()
    model = ResidualPathway(ExactInertia(), small, plain_readout=True)
    initialize(model, seed=3)  # what scalars.nn.fit does first
    initialize(full, seed=3)
    assert not model.readout.weight.any()
    torch.testing.assert_close(small.net[0].weight, full.net[0].weight, rtol=0, atol=0)  # hidden layers drawn as usual
    torch.testing.assert_close(small.net[-1].weight, 1e-3 * full.net[-1].weight, rtol=1e-15, atol=0)
    torch.testing.assert_close(small.net[-1].bias, 1e-3 * full.net[-1].bias, rtol=1e-15, atol=0)
    with pytest.raises(ValueError, match="PlainMLP: init_scale must be a finite number >= 0, got -1"):
        PlainMLP(2, 2, init_scale=-1)
