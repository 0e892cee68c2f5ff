"""The averaging wrappers: scikit-learn meta-estimators and torch modules."""

import numpy as np
import pytest
import torch
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.kernel_ridge import KernelRidge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from scalars import FrameAveragedRegressor, GroupAveragedRegressor
from scalars.nn import FrameAveraging, GroupAveraging, fit, mlp
from scalars.testing import act_on_inputs, assert_equivariant, assert_invariant

LAYOUT = "5T0+5P+5T1"  # a charge, a position and a velocity per particle


def particles(n_samples, seed):
    """Charges, positions and velocities of 5 particles; the first rows are symmetric: a
    square with its centre, at rest, and five points on a line (of a size set by the seed,
    so that no two data sets share them)."""
    rng = np.random.default_rng(seed)
    q = rng.choice([-1.0, 1.0], (n_samples, 5))
    x, v = rng.standard_normal((n_samples, 5, 3)), rng.standard_normal((n_samples, 5, 3))
    size = 1 + seed / 10
    x[0] = size * np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0], [0, 0, 0]])
    v[0], q[0] = 0.0, [1, 1, 1, 1, -1]
    x[1], v[1] = size * np.outer(np.arange(5.0), [1.0, -2.0, 0.5]), 0.0
    X = np.concatenate([q, x.reshape(n_samples, 15), v.reshape(n_samples, 15)], axis=1)
    pull = np.einsum("ni,nj,nijd->nid", q, q, x[:, :, None] - x[:, None, :])  # sum_j q_i q_j (x_i - x_j)
    return X, (x + v + 0.1 * pull).reshape(n_samples, 15)


@parametrize_with_checks(
    [GroupAveragedRegressor(), FrameAveragedRegressor(), FrameAveragedRegressor(KNeighborsRegressor(), canonical=True)]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("group, canonical", [("S(5)xE(3)", False), ("S(5)xSE(3)", True)])
def test_frame_averaged_regressors_are_exactly_equivariant(group, canonical):
    X, y = particles(120, seed=0)
    test, _ = particles(12, seed=1)
    smooth = FrameAveragedRegressor(KernelRidge(alpha=0.1, kernel="rbf", gamma=0.05), group, LAYOUT, "5P", canonical)
    assert assert_equivariant(smooth.fit(X, y).predict, group, test, layout=LAYOUT, output="5P", n_elements=3) < 1e-10
    # Piecewise-constant models are exact too, away from their jumps: not on symmetric
    # inputs, where rounding decides between tied neighbours or sides of a split.
    generic = test[2:]
    neighbours = FrameAveragedRegressor(KNeighborsRegressor(3), group, LAYOUT, "5P", canonical).fit(X, y)
    assert assert_equivariant(neighbours.predict, group, generic, layout=LAYOUT, output="5P", n_elements=3) < 1e-10
    energy = FrameAveragedRegressor(GradientBoostingRegressor(n_estimators=20, random_state=0), group, LAYOUT)
    energy.fit(X, (y.reshape(-1, 5, 3) ** 2).sum((1, 2)))
    assert assert_invariant(energy.predict, group, generic, layout=LAYOUT, n_elements=3) < 1e-10


def test_frame_averaging_learns_where_the_plain_model_does():
    X, y = particles(400, seed=2)
    test, y_test = particles(200, seed=3)
    averaged = FrameAveragedRegressor(group="S(5)xE(3)", layout=LAYOUT, output="5P").fit(X, y)
    assert np.mean((averaged.predict(test) - y_test) ** 2) < 0.1 * np.var(y_test)


def test_group_averaged_regressor_is_exact_for_finite_groups_and_reports_its_spread():
    X, y = particles(150, seed=4)
    model = GroupAveragedRegressor(KNeighborsRegressor(3), "S(5)", "5T0", n_augment=2, random_state=0).fit(X[:, :5], y[:, 0])
    assert_invariant(model.predict, "S(5)", X[:20, :5], layout="5T0")
    assert np.all(model.predict_spread(X[:20, :5]) == 0)
    rotated = GroupAveragedRegressor(group="O(3)", layout="T0+T1", output="T1", n_samples=8, random_state=0)
    rotated.fit(X[:, [0, 5, 6, 7]], y[:, :3])
    spread = rotated.predict_spread(X[:20, [0, 5, 6, 7]])
    assert spread.shape == (20, 3) and np.all(spread > 0)
    np.testing.assert_allclose(rotated.predict(X[:5, [0, 5, 6, 7]]), rotated.predict(X[:5, [0, 5, 6, 7]]))  # fixed draws


def test_wrappers_name_bad_parameters_and_targets():
    X, y = particles(20, seed=5)
    with pytest.raises(InvalidParameterError, match="n_samples"):
        GroupAveragedRegressor(n_samples=0).fit(X, y[:, 0])
    with pytest.raises(ValueError, match=r"output '5P' of S\(5\)xE\(3\) needs y of shape \(n_samples, 15\), got \(20, 3\)"):
        FrameAveragedRegressor(group="S(5)xE(3)", layout=LAYOUT, output="5P").fit(X, y[:, :3])


def _torch_data(n_samples, seed):
    X, y = particles(n_samples, seed)
    return torch.tensor(X), torch.tensor(y)


@pytest.mark.parametrize("group", ["S(5)xE(3)", "E(3)"])
def test_frame_averaging_module_trains_and_stays_equivariant(group):
    X, y = _torch_data(96, seed=6)
    torch.manual_seed(0)
    net = FrameAveraging(mlp(35, 15, hidden=(32,)).double(), group, LAYOUT, output="5P")
    history = fit(net, X, y, max_epochs=3, batch_size=32, seed=0, progress=False)
    assert history.train_loss[-1] < history.train_loss[0]
    with torch.no_grad():
        assert assert_equivariant(net, group, X[:16], layout=LAYOUT, output="5P", n_elements=3) < 1e-10


def test_group_averaging_module_draws_fresh_elements_in_training_and_fixed_ones_in_evaluation():
    X, y = _torch_data(64, seed=7)
    torch.manual_seed(0)
    net = GroupAveraging(mlp(35, 15, hidden=(32,)).double(), "S(5)xE(3)", LAYOUT, output="5P", n_samples=1)
    fit(net, X, y, max_epochs=2, batch_size=32, seed=0, progress=False)
    net.train()
    assert not torch.allclose(net(X[:4]), net(X[:4]))
    net.eval()
    net.n_samples = 4
    with torch.no_grad():
        first = net(X[:8])
        torch.testing.assert_close(net(X[:8]), first)
        permuted = act_on_inputs("S(5)xE(3)", (np.eye(5)[:, [3, 1, 4, 0, 2]], np.eye(4)), X[:8], LAYOUT)
        moved = act_on_inputs("S(5)xE(3)", (np.eye(5)[:, [3, 1, 4, 0, 2]], np.eye(4)), first, "5P")
        torch.testing.assert_close(net(permuted), moved)  # exact over the permutations
