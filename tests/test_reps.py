import numpy as np
import pytest
from scipy.linalg import expm

from scalars.groups import get_group
from scalars.reps import T, rep

GROUPS = ["O(3)", "SO(3)", "O(2)", "O(1,3)", "Sp(4)", "U(2)", "S(4)", "Z(5)", "D(4)", "E(3)", "SE(2)", "S(3)xO(2)"]
REPS = ["T0", "T1", "T2", "T(1,1)", "T0+2T1", "T(0,2)"]


def compose(g, h):
    return tuple(a @ b for a, b in zip(g, h)) if isinstance(g, tuple) else g @ h


def with_particles(group, spec):
    """``spec`` with every count a multiple of the group's particles, so the slots are per particle."""
    k = getattr(group, "particles", None)
    if k is None:
        return spec
    return "+".join(f"{k * int(term.split('T')[0] or 1)}T{term.split('T')[1]}" for term in spec.split("+"))


@pytest.mark.parametrize("name", GROUPS)
@pytest.mark.parametrize("spec", REPS)
def test_rho_is_a_homomorphism(name, spec):
    group = get_group(name)
    R = rep(with_particles(group, spec), group)
    for seed in range(3):
        g, h = group.sample(rng=seed), group.sample(rng=seed + 10)
        np.testing.assert_allclose(R.rho(compose(g, h)), R.rho(g) @ R.rho(h), atol=1e-10)
    np.testing.assert_allclose(R.rho(group.identity()), np.eye(R.size), atol=1e-12)


@pytest.mark.parametrize("name", ["O(3)", "SO(3)", "O(1,3)", "Sp(4)", "E(3)"])
@pytest.mark.parametrize("spec", ["T1", "T2", "T(1,1)", "T1+T0"])
def test_drho_is_the_derivative_of_rho(name, spec):
    group = get_group(name)
    R = rep(spec, group)
    for A in group.lie_algebra():
        np.testing.assert_allclose(R.rho(expm(0.3 * A)), expm(0.3 * R.drho(A)), atol=1e-10)


def test_drho_of_a_product_of_groups():
    group = get_group("S(3)xO(3)")
    R = rep("3T0+3T1+T1", group)
    for A in group.lie_algebra_elements():
        g = (np.eye(3), expm(0.4 * A[1]))
        np.testing.assert_allclose(R.rho(g), expm(0.4 * R.drho(A)), atol=1e-10)


@pytest.mark.parametrize("name", ["O(3)", "U(2)", "O(1,2)"])
def test_dual_inverts_and_transposes(name):
    group = get_group(name)
    V = T(1)(group)
    g = group.sample(rng=0)
    np.testing.assert_allclose(V.dual().rho(g), np.linalg.inv(V.rho(g)).T, atol=1e-12)
    np.testing.assert_allclose((V * V.dual()).rho(g), np.kron(V.rho(g), V.dual().rho(g)), atol=1e-12)
    assert V.dual().dual() == V


def test_sizes_and_names():
    G = get_group("O(3)")
    assert T(2)(G) == (T(1) * T(1))(G) == rep("T2", G)
    assert rep("5T0+5T1", G).size == 20 and str(rep("5T0+5T1", G)) == "5T0+5T1"
    assert (5 * T(1))(G) == rep("5T1", G) and T(1, 1)(G).size == 9
    assert rep("2T1", "U(2)").size == 8  # real parts then imaginary parts
    assert rep("P", G) == T(1)(G)  # linear groups fix the origin: a point is a vector
    assert rep("5T0+5T1", "S(5)xO(3)").size == 20 and rep("5T1+T1", "S(5)xO(3)").size == 18


def test_unbound_and_mismatched_reps_are_errors():
    with pytest.raises(ValueError, match="not bound to a group"):
        T(1).size
    with pytest.raises(ValueError, match="different groups"):
        T(1)("O(3)") + T(1)("SO(3)")
    with pytest.raises(ValueError, match="acts on 3 columns, but X has 4"):
        T(1)("O(3)").act(np.eye(3), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="representation 'T1\\+x'"):
        rep("T1+x", "O(3)")


def test_act_applies_rho_on_flat_rows_in_the_precision_of_x():
    G = get_group("O(3)")
    R = rep("T0+T1+T2", G)
    g = G.sample(rng=1)
    X = np.random.default_rng(0).standard_normal((4, R.size)).astype(np.float32)
    moved = R.act(g, X)
    assert moved.dtype == np.float32
    vector, tensor = X[:, 1:4], X[:, 4:].reshape(4, 3, 3)
    np.testing.assert_allclose(moved[:, 0], X[:, 0])
    np.testing.assert_allclose(moved[:, 1:4], vector @ g.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(moved[:, 4:].reshape(4, 3, 3), g @ tensor @ g.T, rtol=1e-5, atol=1e-5)


def test_points_of_euclidean_groups_translate_and_vectors_do_not():
    G = get_group("E(3)")
    R = rep("P+T1", G)
    g = G.sample(rng=2)
    X = np.random.default_rng(1).standard_normal((5, 6))
    moved = R.act(g, X)
    rotation, shift = g[:3, :3], g[:3, 3]
    np.testing.assert_allclose(moved[:, :3], X[:, :3] @ rotation.T + shift)
    np.testing.assert_allclose(moved[:, 3:], X[:, 3:] @ rotation.T)
    h = G.sample(rng=3)
    np.testing.assert_allclose(R.act(g @ h, X), R.act(g, R.act(h, X)), atol=1e-12)


def test_particle_layouts_permute_particles_and_keep_global_slots():
    G = get_group("S(3)xO(2)")
    R = rep("3T0+3T1+T1", G)  # a scalar and a vector per particle, one global vector
    X = np.arange(11.0)[None]
    swap, turn = np.eye(3)[:, [1, 0, 2]], np.array([[0.0, -1.0], [1.0, 0.0]])
    moved = R.act((swap, turn), X)[0]
    np.testing.assert_allclose(moved[:3], [1, 0, 2])  # scalars of particles 1, 0, 2
    vectors = X[0, 3:9].reshape(3, 2) @ turn.T
    np.testing.assert_allclose(moved[3:9].reshape(3, 2), vectors[[1, 0, 2]])
    np.testing.assert_allclose(moved[9:], X[0, 9:] @ turn.T)


def test_tangent_turns_points_into_vectors_and_keeps_linear_reps():
    from scalars.reps import rep

    state = rep("5P+5T1", "S(5)xE(3)")
    assert state.tangent() == rep("5T1+5T1", "S(5)xE(3)")
    assert state.tangent().translation(state.group.sample(rng=np.random.default_rng(0))) is None
    linear = rep("4T1+T0", "O(3)")
    assert linear.tangent() == linear
