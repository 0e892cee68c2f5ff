"""Group averages, frame averages and canonicalisation: exact (or Monte Carlo) equivariance."""

import warnings

import numpy as np
import pytest
import torch

from scalars.averaging import DegenerateFrameWarning, FrameAverage, GroupAverage, act
from scalars.averaging.frames import design
from scalars.groups import get_group
from scalars.reps import rep
from scalars.testing import act_on_inputs, assert_equivariant, assert_invariant


def backbone(n_outputs, seed=0):
    """A smooth function of flat rows with no symmetry at all (numpy or torch in, same out)."""
    rng = np.random.default_rng(seed)
    W, A = rng.standard_normal((64, 48)), rng.standard_normal((96, n_outputs)) / 10

    def phi(X):
        hidden = X @ (W[: X.shape[1]] if isinstance(X, np.ndarray) else torch.as_tensor(W[: X.shape[1]]))
        features = (hidden * 0.7).tanh() if not isinstance(X, np.ndarray) else np.tanh(0.7 * hidden)
        features = (torch.cat if not isinstance(X, np.ndarray) else np.concatenate)([features, features**2], 1)
        return features @ (A if isinstance(X, np.ndarray) else torch.as_tensor(A))

    return phi


def size_of(output, group):
    return 1 if output == "T0" else rep(output, group).size


# -- the batched action ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "group, layout",
    [("O(3)", "2T0+3T1+T2"), ("SO(3)", "T1+T(1,1)"), ("E(3)", "5T0+5P+5T1"), ("S(5)xE(3)", "5T0+5P+5T1+T1"),
     ("S(4)xO(3)", "4T0+8T1+T2"), ("U(2)", "T0+2T1"), ("O(1,3)", "T1+T(0,1)"), ("D(4)", "T1+T2")],
)
def test_act_applies_one_element_per_row_like_rep_act(group, layout):
    group, rng = get_group(group), np.random.default_rng(0)
    representation = rep(layout, group)
    X, g = rng.standard_normal((6, representation.size)), group.sample(6, rng)
    one_by_one = np.stack([representation.act(tuple(p[i] for p in g) if isinstance(g, tuple) else g[i], X[i]) for i in range(6)])
    np.testing.assert_allclose(act(representation, g, X), one_by_one, atol=1e-13)
    np.testing.assert_allclose(act(representation, g, torch.tensor(X)).numpy(), one_by_one, atol=1e-13)


# -- group averages -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "group, layout, output",
    [("S(5)", "2T1+T0", "T1"), ("D(6)", "3T1", "T2"), ("Z(4)", "T0+2T1", "T1"), ("S(3)xD(4)", "3T0+3T1", "3T1")],
)
def test_finite_group_averages_are_exactly_equivariant(group, layout, output):
    X = np.random.default_rng(1).standard_normal((12, rep(layout, group).size))
    average = GroupAverage(group, layout, output)
    phi = backbone(size_of(output, group))
    assert assert_equivariant(lambda X: average(phi, X), group, X, layout=layout, output=output, n_elements=4) < 1e-10
    assert np.all(average.spread(phi, X) == 0)


def test_averaging_an_invariant_function_changes_nothing():
    X = np.random.default_rng(2).standard_normal((8, 9))
    norms = lambda X: (X.reshape(len(X), 3, 3) ** 2).sum((1, 2))
    np.testing.assert_allclose(GroupAverage("O(3)", "3T1", n_samples=5, random_state=0)(norms, X), norms(X))


def test_monte_carlo_average_is_exact_on_the_finite_factor_and_translations_and_within_its_spread():
    group, layout, output = "S(3)xE(3)", "3T0+3P+3T1", "3P"
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 21))
    phi = backbone(9)
    average = GroupAverage(group, layout, output, n_samples=16, random_state=0)
    Y, spread = average(phi, X), average.spread(phi, X)
    out = rep(output, group)
    shift = np.eye(4)
    shift[:3, 3] = [5.0, -2.0, 1.0]
    for exact in [(get_group("S(3)").sample(rng=rng), np.eye(4)), (np.eye(3), shift)]:
        np.testing.assert_allclose(average(phi, act_on_inputs(group, exact, X, layout)), out.act(exact, Y), atol=1e-12)
    g = get_group(group).sample(rng=rng)
    moved = act_on_inputs(group, g, X, layout)
    difference = np.abs(average(phi, moved) - out.act(g, Y))
    bound = np.sqrt(2) * np.maximum(spread.max(1), average.spread(phi, moved).max(1))[:, None]
    assert np.all(difference <= 5 * bound) and np.mean(difference <= 2 * bound) > 0.9
    assert difference.max() > 1e-6  # only equivariant in expectation
    quartered = GroupAverage(group, layout, output, n_samples=64, random_state=0).spread(phi, X)
    assert 0.35 < np.median(quartered / spread) < 0.65  # the standard error falls as 1/sqrt(n)


def test_non_compact_groups_have_no_group_average():
    with pytest.raises(ValueError, match=r"O\(1,3\) is not compact"):
        GroupAverage("O(1,3)", "T1")


def test_augmentation_draws_independent_elements_per_sample():
    X = np.random.default_rng(4).standard_normal((3, 6))
    frame = GroupAverage("S(2)xE(3)", "2P", random_state=0).random_frame(X, 5)
    assert frame.sizes.tolist() == [5, 5, 5]
    rows = frame.pull(rep("2P", "S(2)xE(3)"), X)
    np.testing.assert_allclose(rows.reshape(15, 2, 3).mean(1), 0, atol=1e-12)  # centred on the centroid
    assert len({tuple(np.round(r, 8)) for r in rows}) == 15


# -- frames on generic inputs ----------------------------------------------------------------
GENERIC = [
    ("O(3)", "T2"), ("SO(3)", "T1"), ("E(3)", "T1"), ("SE(3)", "T2"),
    ("S(5)xE(3)", "5P"), ("S(5)xSE(3)", "5T1"), ("S(5)xO(3)", "T2"),
]


@pytest.mark.parametrize("canonical", [False, True])
@pytest.mark.parametrize("group, output", GENERIC)
def test_frame_averages_are_exactly_equivariant(group, output, canonical):
    layout = "5T0+5P+5T1"
    X = np.random.default_rng(5).standard_normal((30, 35))
    average = FrameAverage(group, layout, output, canonical=canonical)
    sizes = average.frame(X).sizes
    assert np.all(sizes == (1 if canonical else 4 if "SE" in group or "SO" in group else 8))
    phi = backbone(size_of(output, group))
    assert assert_equivariant(lambda X: average(phi, X), group, X, layout=layout, output=output, n_elements=3) < 1e-10


def test_special_frames_keep_handedness():
    X = np.random.default_rng(6).standard_normal((20, 9))
    chiral = lambda X: np.linalg.det(X.reshape(-1, 3, 3)) + X[:, 0]
    average = FrameAverage("SO(3)", "3T1")
    assert_invariant(lambda X: average(chiral, X), "SO(3)", X, layout="3T1")
    reflected = act_on_inputs("O(3)", np.diag([1.0, 1.0, -1.0]), X, "3T1")
    assert not np.allclose(average(chiral, reflected), average(chiral, X))


def test_frame_average_runs_torch_functions_and_keeps_gradients():
    X = torch.tensor(np.random.default_rng(7).standard_normal((10, 15)), requires_grad=True)
    average = FrameAverage("E(3)", "5P", "5P")
    Y = average(backbone(15), X)
    assert isinstance(Y, torch.Tensor) and Y.shape == (10, 15)
    Y.sum().backward()
    assert X.grad is not None and torch.isfinite(X.grad).all()


# -- symmetric (degenerate) inputs -----------------------------------------------------------
_angles = np.arange(6) * np.pi / 3
CONFIGURATIONS = {
    "square": np.array([[1.0, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]]),
    "hexagon": np.stack([np.cos(_angles), np.sin(_angles), 0 * _angles], 1),
    "tetrahedron": np.array([[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]),
    "octahedron": np.concatenate([np.eye(3), -np.eye(3)]),
    "cube": np.array([[a, b, c] for a in (-1.0, 1.0) for b in (-1.0, 1.0) for c in (-1.0, 1.0)]),
    "collinear": np.outer([-1.0, 0.3, 2.0], [1.0, 2.0, 3.0]),
    "coplanar": np.array([[0.0, 0, 0], [1, 0, 0], [0, 2, 0], [3, 1, 0]]),
    "two points": np.array([[1.0, 0, 0], [-1, 0, 0]]),
    "one point": np.array([[0.3, -1.0, 2.0]]),
}


def symmetric_rows(points, velocities, seed):
    """Two placements of a configuration (random rotation and translation), with velocities
    none, zero, radial (which keep the symmetry) or random."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(2):
        R = np.linalg.qr(rng.standard_normal((3, 3)))[0]
        placed = points @ R.T + rng.standard_normal(3)
        V = {"zero": 0 * placed, "radial": placed - placed.mean(0), "random": rng.standard_normal(placed.shape)}
        rows.append(np.concatenate([placed.ravel()] + ([] if velocities == "none" else [V[velocities].ravel()])))
    k = len(points)
    return np.array(rows), f"{k}P" + ("" if velocities == "none" else f"+{k}T1")


@pytest.mark.parametrize(
    "name, velocities",
    [(name, velocities) for name in CONFIGURATIONS for velocities in ("none", "random")]
    + [("square", "radial"), ("collinear", "radial"), ("octahedron", "zero")],
)
def test_symmetric_configurations_stay_exactly_equivariant(name, velocities):
    X, layout = symmetric_rows(CONFIGURATIONS[name], velocities, seed=len(name))
    k = len(CONFIGURATIONS[name])
    cases = [("E(3)", "T2"), ("SE(3)", "T1"), ("O(3)", "T1"), ("SO(3)", "T2")]
    if k <= 4:  # every order of k tied particles: k! elements
        cases += [(f"S({k})xE(3)", f"{k}P"), (f"S({k})xSE(3)", "T2")]
    for group, output in cases:
        for canonical in (False, True):
            average = FrameAverage(group, layout, output, canonical=canonical)
            phi = backbone(size_of(output, group), seed=k)
            with np.errstate(all="raise"):
                error = assert_equivariant(lambda X: average(phi, X), group, X, layout, output, n_elements=2, rng=k)
            assert error < 1e-10, (group, output, canonical)


def test_symmetric_inputs_have_small_frames():
    square, _ = symmetric_rows(CONFIGURATIONS["square"], "none", seed=0)
    point, _ = symmetric_rows(CONFIGURATIONS["one point"], "none", seed=0)
    line, _ = symmetric_rows(CONFIGURATIONS["collinear"], "none", seed=0)
    assert FrameAverage("E(3)", "4P", "T2").frame(square).sizes.tolist() == [2, 2]  # the normal's sign
    assert FrameAverage("E(3)", "1P", "T0").frame(point).sizes.tolist() == [1, 1]
    assert FrameAverage("E(3)", "1P", "T1").frame(point).sizes.tolist() == [2, 2]  # {I, -I}
    assert FrameAverage("E(3)", "1P", "T2").frame(point).sizes.tolist() == [48, 48]  # signed permutations
    assert FrameAverage("SE(3)", "3P", "T1", canonical=True).frame(line).sizes.tolist() == [2, 2]  # turn by pi


def test_design_integrates_tensors_exactly():
    for special in (False, True):
        D = design(3, 2, special)
        assert len(D) == (24 if special else 48) and np.all(np.linalg.det(D) > 0) == special
        twice = np.einsum("nij,nkl->ijkl", D, D) / len(D)
        reference = np.einsum("ik,jl->ijkl", np.eye(3), np.eye(3)) / 3  # Haar average of g (x) g
        np.testing.assert_allclose(twice, reference, atol=1e-12)
    with pytest.raises(ValueError, match="rank 4"):
        design(3, 4, False)
    point, _ = symmetric_rows(CONFIGURATIONS["one point"], "none", seed=0)
    with pytest.raises(ValueError, match=r"sample 0: no exact design for outputs of tensor rank 4"):
        FrameAverage("E(3)", "1P", "T4").frame(point)


def test_nearly_symmetric_samples_are_named():
    X, layout = symmetric_rows(CONFIGURATIONS["collinear"], "random", seed=1)
    nearly = X.copy()
    X[:, 9:] = 0.0
    nearly[:, 9:] = 0.0
    along = nearly[1, :3] - nearly[1, 3:6]
    nearly[1, 9:12] = along + 1e-7 * np.cross(along, [1.0, 0.0, 0.0])  # a velocity off the line, barely
    with pytest.warns(DegenerateFrameWarning, match=r"indices \[1\].*equivariant only to about"):
        FrameAverage("E(3)", layout, "T1").frame(nearly)
    with pytest.raises(ValueError, match=r"indices \[1\]"):
        FrameAverage("E(3)", layout, "T1", degenerate="raise").frame(nearly)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FrameAverage("E(3)", layout, "T1").frame(X)  # exactly symmetric: no warning


# -- canonicalisation -------------------------------------------------------------------------
def test_canonical_forms_are_invariant_and_reproduce_the_frame():
    X = np.random.default_rng(8).standard_normal((25, 35))
    average = FrameAverage("S(5)xE(3)", "5T0+5P+5T1", "5P", canonical=True)
    canonical = average.canonicalize(X)
    assert_invariant(average.canonicalize, "S(5)xE(3)", X, layout="5T0+5P+5T1", n_elements=4)
    np.testing.assert_allclose(canonical[:, 5:20].reshape(25, 5, 3).mean(1), 0, atol=1e-12)  # centred
    np.testing.assert_allclose(np.diff(canonical[:, :5], axis=1) >= 0, True)  # sorted by charge first
    square, layout = symmetric_rows(CONFIGURATIONS["square"], "zero", seed=2)
    assert_invariant(FrameAverage("E(3)", layout, canonical=True).canonicalize, "E(3)", square, layout=layout)


def test_tied_particles_that_no_symmetry_exchanges_have_no_canonical_form():
    X, layout = symmetric_rows(CONFIGURATIONS["tetrahedron"], "none", seed=3)
    FrameAverage("S(4)xE(3)", layout).canonicalize(X)  # every order is a symmetry of the tetrahedron
    with pytest.raises(ValueError, match=r"samples \[0, 1\] have tied particles"):
        FrameAverage("S(4)xSE(3)", layout).canonicalize(X)  # odd orders need a reflection


def test_unsupported_groups_and_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"no frames for O\(1,3\)"):
        FrameAverage("O(1,3)", "T1")
    with pytest.raises(ValueError, match=r"describes 9 columns, but X has shape \(4, 8\)"):
        FrameAverage("E(3)", "3P").frame(np.zeros((4, 8)))
    with pytest.raises(ValueError, match=r"output 'T1' of E\(3\) has 3 columns, but func returns shape \(2,\) per row"):
        FrameAverage("E(3)", "3P", "T1")(lambda X: X[:, :2], np.random.default_rng(0).standard_normal((4, 9)))
