import numpy as np
import pytest
import torch

from scalars.groups import Group, get_group
from scalars.testing import assert_equivariant, assert_invariant

GROUPS = ["O(3)", "SO(3)", "O(2)", "SO(2)", "O(5)", "SO(4)", "O(1,3)", "O(1,1)", "Sp(2)", "Sp(4)", "U(1)", "U(2)"]


def random_vectors(group, n=4, batch=6, seed=0):
    columns = np.random.default_rng(seed).standard_normal((batch, n, group.n_columns))
    return group.vectors_from_columns(columns)


@pytest.mark.parametrize("name", GROUPS)
def test_samples_belong_to_the_group(name):
    group = get_group(name)
    g = group.sample(size=20, rng=0)
    assert g.shape == (20, group.d, group.d)
    gT = np.swapaxes(g, -1, -2)
    if name.startswith(("O(", "SO(")) and "," not in name:
        np.testing.assert_allclose(gT @ g, np.broadcast_to(np.eye(group.d), g.shape), atol=1e-12)
        if name.startswith("SO"):
            np.testing.assert_allclose(np.linalg.det(g), 1.0, atol=1e-12)
    elif name.startswith("O(1,"):
        np.testing.assert_allclose(gT @ group.invariant_tensor @ g, np.broadcast_to(group.invariant_tensor, g.shape), atol=1e-11)
    elif name.startswith("Sp"):
        np.testing.assert_allclose(gT @ group.J @ g, np.broadcast_to(group.J, g.shape), atol=1e-11)
    else:
        np.testing.assert_allclose(gT.conj() @ g, np.broadcast_to(np.eye(group.d), g.shape), atol=1e-12)


def test_haar_samples_are_not_degenerate():
    # Haar on O(3): E[g] = 0 and det = +-1 with probability 1/2 each.
    g = get_group("O(3)").sample(size=4000, rng=1)
    assert np.abs(g.mean(axis=0)).max() < 0.05
    assert 0.45 < np.mean(np.linalg.det(g) > 0) < 0.55


def test_lorentz_samples_include_boosts_and_time_reversal():
    g = get_group("O(1,3)").sample(size=200, rng=2)
    assert np.abs(g[:, 0, 0]).max() > 1.2  # gamma > 1: real boosts
    assert (g[:, 0, 0] < 0).any() and (g[:, 0, 0] > 0).any()


@pytest.mark.parametrize("name", GROUPS)
def test_invariants_are_invariant(name):
    group = get_group(name)
    V = random_vectors(group)
    assert group.invariants(V).shape == (6, group.n_invariants(4))
    assert_invariant(group.invariants, group, V, rng=1)
    assert_invariant(group.invariants, group, torch.tensor(V), rng=1)


@pytest.mark.parametrize("name", GROUPS)
def test_vector_basis_is_equivariant(name):
    group = get_group(name)
    V = random_vectors(group)
    B = group.vector_basis(V)
    assert B.shape[-2] == len(group.vector_basis_names([f"v{i}" for i in range(4)]))
    assert_equivariant(lambda V: group.vector_basis(V), group, V, output="T1", rng=2)


@pytest.mark.parametrize("name", [g for g in GROUPS if not g.startswith("U")])
def test_tensor_basis_is_equivariant(name):
    group = get_group(name)
    V = random_vectors(group, n=3)
    T = group.tensor_basis(V)
    assert T.shape[-3] == len(group.tensor_basis_names(["a", "b", "c"]))
    np.testing.assert_allclose(T, np.swapaxes(T, -1, -2))
    assert_equivariant(group.tensor_basis, group, V, output="T2", rng=3)


def test_reflections_break_so_invariants():
    # det and cross products are SO(3)- but not O(3)-invariant/equivariant.
    so3 = get_group("SO(3)")
    V = random_vectors(so3, n=3)
    with pytest.raises(AssertionError, match="O\\(3\\)"):
        assert_invariant(so3.invariants, "O(3)", V, n_elements=10, rng=0)


def test_invariant_names():
    assert get_group("SO(3)").invariant_names(["a", "b", "c"]) == [
        "<a,a>", "<a,b>", "<a,c>", "<b,b>", "<b,c>", "<c,c>", "det(a,b,c)",
    ]
    assert get_group("Sp(2)").invariant_names(["q", "p", "r"]) == ["omega(q,p)", "omega(q,r)", "omega(p,r)"]
    assert get_group("U(2)").invariant_names(["a", "b"]) == ["Re<a,a>", "Re<a,b>", "Re<b,b>", "Im<a,b>"]


@pytest.mark.parametrize("name", ["O(3)", " SO( 3 )", "O(1, 3)", "Sp(4)", "U(2)"])
def test_get_group_by_name(name):
    group = get_group(name)
    assert isinstance(group, Group) and get_group(group) is group
    assert group == get_group(group.name)


@pytest.mark.parametrize("name", ["O3", "GL(3)", "Sp(3)", "O(0)", 3, None])
def test_get_group_rejects(name):
    with pytest.raises(ValueError, match="group|even dimension"):
        get_group(name)


def test_vector_basis_check_catches_a_non_equivariant_basis():
    o3 = get_group("O(3)")
    V = random_vectors(o3)
    shifted = lambda V: o3.vector_basis(V) + np.array([1.0, 0.0, 0.0])
    with pytest.raises(AssertionError, match=r"O\(3\) element"):
        assert_equivariant(shifted, o3, V, output="T1", rng=2)
    # cross products are SO(3)- but not O(3)-equivariant: they flip sign under reflections
    so3 = get_group("SO(3)")
    with pytest.raises(AssertionError, match=r"O\(3\) element"):
        assert_equivariant(so3.vector_basis, o3, V, output="T1", n_elements=10, rng=0)
    assert_equivariant(so3.vector_basis, so3, V, output="T1", n_elements=10, rng=0)


@pytest.mark.parametrize("name", GROUPS)
def test_no_vectors_have_no_invariants(name):
    group = get_group(name)
    V = random_vectors(group, n=0)
    assert group.n_invariants(0) == 0
    assert group.invariants(V).shape == (6, 0)
    assert group.invariants(torch.tensor(V)).shape == (6, 0)


def test_subset_names():
    assert get_group("SO(3)").vector_basis_names(["a", "b", "c"]) == [
        "a", "b", "c", "cross(a,b)", "cross(a,c)", "cross(b,c)",
    ]
    assert get_group("SO(2)").invariant_names(["a", "b"])[-1:] == ["det(a,b)"]
    assert get_group("O(1,3)").invariant_names(["p", "q"]) == ["<p,p>", "<p,q>", "<q,q>"]


def test_tensor_basis_names_the_invariant_tensor():
    assert get_group("O(2)").tensor_basis_names(["a"]) == ["sym(a,a)", "I"]
    assert get_group("O(1,3)").tensor_basis_names(["a"]) == ["sym(a,a)", "eta"]
    assert get_group("Sp(2)").tensor_basis_names(["a"]) == ["sym(a,a)"]  # J is antisymmetric
    lorentz = get_group("O(1,1)")
    T = lorentz.tensor_basis(random_vectors(lorentz, n=1))
    np.testing.assert_array_equal(T[:, -1], np.broadcast_to(np.diag([1.0, -1.0]), (6, 2, 2)))


def test_unitary_groups_have_no_real_tensor_basis():
    u2 = get_group("U(2)")
    with pytest.raises(NotImplementedError, match="Hermitian"):
        u2.tensor_basis(random_vectors(u2))
    with pytest.raises(NotImplementedError, match="Hermitian"):
        u2.tensor_basis_names(["a"])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tensor_basis_keeps_the_torch_dtype(dtype):
    group = get_group("O(1,3)")
    V = torch.tensor(random_vectors(group, n=2), dtype=dtype)
    T = group.tensor_basis(V)
    assert T.dtype == dtype and T.shape == (6, 4, 4, 4)
    torch.testing.assert_close(T, torch.tensor(group.tensor_basis(V.double().numpy()), dtype=dtype))


ALGEBRA_DIMENSIONS = {
    "O(3)": 3, "SO(3)": 3, "O(2)": 1, "SO(4)": 6, "O(5)": 10, "O(1,3)": 6, "O(1,1)": 1, "Sp(2)": 3,
    "Sp(4)": 10, "U(1)": 1, "U(2)": 4, "S(4)": 0, "Z(5)": 0, "D(4)": 0, "E(3)": 6, "SE(2)": 3,
}


def _form(group):
    """The bilinear form the real forms of the group's elements keep."""
    if hasattr(group, "J"):
        return group.J
    return np.diag(group.metric) if getattr(group, "metric", None) is not None else np.eye(group.n_columns)


@pytest.mark.parametrize("name", sorted(ALGEBRA_DIMENSIONS))
def test_lie_algebra_has_the_right_dimension_and_exponentiates_into_the_group(name):
    from scipy.linalg import expm

    group = get_group(name)
    algebra = group.lie_algebra()
    assert algebra.shape[0] == ALGEBRA_DIMENSIONS[name]
    if len(algebra):
        size = algebra.shape[-1]
        assert np.linalg.matrix_rank(algebra.reshape(len(algebra), -1)) == len(algebra)
        rng = np.random.default_rng(0)
        for _ in range(5):
            element = expm(np.tensordot(rng.standard_normal(len(algebra)), algebra, 1))
            assert group.contains(element, atol=1e-12), name
        if not name.startswith(("E", "SE")):
            F = _form(group)
            for A in algebra:  # the generators preserve the form: A^T F + F A = 0
                np.testing.assert_allclose(A.T @ F + F @ A, np.zeros((size, size)), atol=1e-12)


@pytest.mark.parametrize("name", sorted(ALGEBRA_DIMENSIONS))
def test_discrete_generators_and_samples_belong_to_the_group(name):
    group = get_group(name)
    generators = group.discrete_generators()
    assert generators.ndim == 3
    assert group.contains(generators).all()
    samples = group.sample(size=5, rng=1)
    assert group.contains(group.real_form(samples) if group.is_complex else samples).all()


def test_group_membership_rejects_other_matrices():
    assert not get_group("SO(3)").contains(np.diag([1.0, 1.0, -1.0]))
    assert not get_group("O(1,3)").contains(np.eye(4) * 2)
    assert not get_group("S(3)").contains(np.eye(3)[:, [0, 0, 1]])
    assert not get_group("U(2)").contains(np.diag([1.0, -1.0, 1.0, 1.0]))  # complex conjugation


@pytest.mark.parametrize("name, order", [("S(4)", 24), ("Z(5)", 5), ("D(4)", 8), ("S(1)", 1), ("D(1)", 2)])
def test_finite_groups_are_generated_by_their_discrete_generators(name, order):
    group = get_group(name)
    elements = group.elements()
    assert len(elements) == order
    found = [np.eye(group.d)]
    frontier = list(found)
    while frontier:  # closure under multiplication by the generators
        new = []
        for g in frontier:
            for h in group.discrete_generators():
                product = h @ g
                if not any(np.allclose(product, f) for f in found):
                    found.append(product)
                    new.append(product)
        frontier = new
    assert len(found) == order
    assert group.contains(np.array(found)).all()


@pytest.mark.parametrize("name", ["S(4)", "Z(5)", "D(4)", "Z(2)", "D(3)"])
def test_finite_group_invariants_and_bases(name):
    group = get_group(name)
    V = random_vectors(group, n=3)
    assert group.invariants(V).shape == (6, len(group.invariant_names(["a", "b", "c"])))
    assert_invariant(group.invariants, group, V, n_elements=6, rng=1)
    assert_invariant(group.invariants, group, torch.tensor(V), rng=1)
    assert_equivariant(group.vector_basis, group, V, output="T1", n_elements=6, rng=2)


def test_finite_invariants_separate_more_than_the_orthogonal_ones():
    # A square's vertex and the same vertex turned by 30 degrees: same length, different Z(4) invariants.
    v = np.array([[[1.0, 0.0]]])
    turned = np.array([[[np.cos(np.pi / 6), np.sin(np.pi / 6)]]])
    for name in ["Z(4)", "D(4)"]:
        group = get_group(name)
        assert not np.allclose(group.invariants(v), group.invariants(turned))
    assert np.allclose(get_group("O(2)").invariants(v), get_group("O(2)").invariants(turned))


def test_products_by_name_and_by_operator():
    from scalars.groups import Orthogonal, Permutation

    product = get_group("S(5) x O(3)")
    assert product == Permutation(5) * Orthogonal(3) == get_group("S(5)xO(3)")
    assert product.particles == 5 and product.base == Orthogonal(3) and product.d == 15
    g = product.sample(rng=0)
    assert isinstance(g, tuple) and g[0].shape == (5, 5) and g[1].shape == (3, 3)
    np.testing.assert_allclose(product.real_form(g), np.kron(*g))
    assert product.lie_algebra().shape == (3, 15, 15)
    assert product.discrete_generators().shape == (3, 15, 15)  # swap, cycle, reflection


def test_register_group_adds_a_name_without_editing_the_package():
    from scalars.groups import Orthogonal, register_group

    register_group(r"Rotations\((\d+)\)", Orthogonal)
    assert get_group("Rotations(4)") == Orthogonal(4)
    with pytest.raises(ValueError, match="unknown group 'Rotations\\(0\\)'"):
        get_group("Rotations(0)")


def test_so1_vector_basis_is_the_constant_vector():
    group = get_group("SO(1)")
    basis = group.vector_basis(np.ones((2, 3, 1)))
    np.testing.assert_array_equal(basis[:, -1], np.ones((2, 1)))
