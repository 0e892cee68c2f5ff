import numpy as np
import pytest
from scipy.linalg import null_space

from scalars.groups import get_group
from scalars.reps import T, equivariant_basis, equivariant_blocks, rep, solver


def brute_force(rep_in, rep_out):
    """The nullspace of every constraint stacked densely: the definition, for small reps."""
    group, n_in, n_out = rep_in.group, rep_in.size, rep_out.size
    rows = [np.kron(rep_out.drho(A), np.eye(n_in)) - np.kron(np.eye(n_out), rep_in.drho(A).T) for A in group.lie_algebra_elements()]
    rows += [
        np.kron(rep_out.rho(h), np.linalg.inv(rep_in.rho(h)).T) - np.eye(n_out * n_in) for h in group.discrete_generator_elements()
    ]
    C = np.concatenate(rows) if rows else np.zeros((1, n_out * n_in))
    return null_space(C.T @ C, rcond=1e-12)


def assert_equivariant_basis(Q, rep_in, rep_out, n_elements=3):
    assert Q.shape[0] == rep_out.size * rep_in.size
    np.testing.assert_allclose(Q.T @ Q, np.eye(Q.shape[1]), atol=1e-12)
    W = Q.T.reshape(-1, rep_out.size, rep_in.size)
    for seed in range(n_elements):
        g = rep_in.group.sample(rng=seed)
        error = np.abs(rep_out.rho(g) @ W - W @ rep_in.rho(g)).max(initial=0.0)
        assert error < 1e-10, f"basis of {rep_in!r} -> {rep_out!r} violates equivariance by {error:.2g}"


BELL = {1: 1, 2: 2, 3: 5, 4: 15}
KNOWN = [  # (group, rep_in, rep_out, number of equivariant maps)
    ("O(3)", T(2), T(0), 1),
    ("O(3)", T(4), T(0), 3),
    ("SO(3)", T(3), T(0), 1),
    ("O(3)", T(3), T(0), 0),  # the determinant is not O(3)-invariant
    ("O(3)", T(1), T(1), 1),
    ("O(1,3)", T(1), T(1), 1),
    ("O(1,3)", T(2), T(0), 1),
    ("O(1,3)", T(1, 1), T(0), 1),
    ("Sp(4)", T(1), T(1), 1),
    ("Sp(4)", T(2), T(0), 1),  # omega
    ("SO(3)", T(2), T(1), 1),  # the cross product
    ("U(2)", T(1), T(1), 2),  # multiplication by complex numbers
    ("O(5)", T(2), T(2), 3),
    *[("S(4)", T(k), T(0), BELL[k]) for k in BELL],
    # Z(n), D(n) on the plane; Z(2), Z(4), D(2), D(4) act by signed permutations (cycles with a sign)
    ("Z(2)", T(1), T(1), 4),  # -I commutes with everything
    ("Z(3)", T(1), T(1), 2),  # multiplication by complex numbers
    ("Z(3)", T(2), T(1), 2),  # conj(z1 z2): 1 + 1 = -1 mod 3
    ("Z(3)", T(3), T(0), 2),  # Re, Im of z1 z2 z3
    ("Z(4)", T(1), T(1), 2),
    ("Z(4)", T(2), T(2), 8),  # T1 x T1 = 1 + 1 + (2) + (-2), and 2 = -2 mod 4
    ("Z(4)", T(3), T(0), 0),  # odd degree: -I is in Z(4)
    ("Z(4)", T(4), T(0), 8),  # weights of sum 0 (6) or +-4 (2)
    ("Z(6)", T(2), T(2), 6),
    ("Z(6)", T(3), T(0), 0),
    ("D(2)", T(1), T(1), 2),  # the diagonal matrices
    ("D(3)", T(1), T(1), 1),
    ("D(3)", T(2), T(1), 1),
    ("D(3)", T(2), T(2), 3),  # T1 x T1 = trivial + sign + T1
    ("D(4)", T(1), T(1), 1),
    ("D(4)", T(2), T(2), 4),  # T1 x T1 = four distinct characters
    ("D(4)", T(4), T(0), 4),
    ("D(6)", T(2), T(2), 3),
]
FINITE = [entry for entry in KNOWN if get_group(entry[0]).is_finite]


@pytest.mark.parametrize("name, rep_in, rep_out, count", KNOWN, ids=[f"{g}:{a}->{b}" for g, a, b, _ in KNOWN])
def test_basis_dimension_is_the_known_count_and_every_member_is_equivariant(name, rep_in, rep_out, count):
    group = get_group(name)
    rep_in, rep_out = rep_in(group), rep_out(group)
    Q = equivariant_basis(rep_in, rep_out)
    assert Q.shape == (rep_out.size * rep_in.size, count)
    assert_equivariant_basis(Q, rep_in, rep_out)


def group_elements(group):
    """Every element of a finite group, by closing its generators under multiplication."""
    generators = group.discrete_generator_elements()
    key = lambda g: (np.round(g, 9) + 0.0).tobytes()  # noqa: E731  (+ 0.0: -0 and 0 are one entry)
    found = {key(np.eye(group.d)): np.eye(group.d)}
    frontier = list(found.values())
    while frontier:
        products = [h @ g for g in frontier for h in generators]
        frontier = [found.setdefault(key(g), g) for g in products if key(g) not in found]
    return list(found.values())


@pytest.mark.parametrize("name, rep_in, rep_out, count", FINITE, ids=[f"{g}:{a}->{b}" for g, a, b, _ in FINITE])
def test_known_counts_of_finite_groups_are_the_character_inner_products(name, rep_in, rep_out, count):
    """dim Hom(V, W) = (1/|G|) sum_g chi_V(g^-1) chi_W(g): the table's counts are theory, not the solver's output."""
    group = get_group(name)
    rep_in, rep_out = rep_in(group), rep_out(group)
    elements = group_elements(group)
    assert len(elements) == (len(group.elements()))
    inner = np.mean([np.trace(rep_in.rho(np.linalg.inv(g))) * np.trace(rep_out.rho(g)) for g in elements])
    assert inner == pytest.approx(count, abs=1e-9)


@pytest.mark.parametrize("name, rep_in, rep_out, count", FINITE, ids=[f"{g}:{a}->{b}" for g, a, b, _ in FINITE])
def test_finite_group_bases_span_the_group_averages_of_random_maps(name, rep_in, rep_out, count):
    """The average of rho_out(g) W rho_in(g)^-1 over the group projects every W onto the equivariant maps."""
    group = get_group(name)
    rep_in, rep_out = rep_in(group), rep_out(group)
    n_maps = rep_out.size * rep_in.size
    W = np.random.default_rng(0).standard_normal((n_maps, rep_out.size, rep_in.size))
    averages = np.mean([rep_out.rho(g) @ W @ np.linalg.inv(rep_in.rho(g)) for g in group_elements(group)], axis=0)
    U, s, _ = np.linalg.svd(averages.reshape(n_maps, n_maps).T, full_matrices=False)
    span = U[:, s > 1e-8]  # a nonzero average of standard normal maps is of order 1
    Q = equivariant_basis(rep_in, rep_out)
    assert Q.shape[1] == span.shape[1] == count
    np.testing.assert_allclose(Q @ Q.T, span @ span.T, atol=1e-10)


def test_a_rep_alone_gives_its_invariant_vectors():
    V = T(1)("O(3)")
    Q = equivariant_basis(V * V)
    assert Q.shape == (9, 1)
    np.testing.assert_allclose(np.abs(Q[:, 0]), np.eye(3).ravel() / np.sqrt(3), atol=1e-12)


def test_permutation_tensors_of_s8_are_the_orbits_of_index_quadruples_without_a_nullspace(monkeypatch):
    def refuse(*args):
        raise AssertionError("a permutation representation needs no nullspace: its invariants are its orbit sums")

    for name in ("_nullspace", "_dense_nullspace", "_iterative_nullspace"):
        monkeypatch.setattr(solver, name, refuse)
    solver.clear_cache()
    V = T(1)("S(8)")
    Q = equivariant_basis(V * V, V * V)  # EMLP's V**2 -> V**2
    assert Q.shape == (4096, 15)
    assert_equivariant_basis(Q, V * V, V * V)
    # orbit indicators: each column takes one nonzero value, on the pattern of equal indices
    for column in Q.T:
        assert len(np.unique(np.round(column[column != 0], 12))) == 1


MIXED = [
    ("O(3)", "T0+T1+T0", "T1+T0"),
    ("O(3)", "T1+T2", "T0+T1+T2"),
    ("SO(3)", "2T1", "T1"),
    ("O(1,3)", "T(1,1)", "T2+T0"),
    ("Sp(4)", "T1+T0", "T1"),
    ("S(3)xO(2)", "3T0+3T1+T1", "3T1+T0"),  # particles: scalar and vector each, one global vector
    ("S(4)", "T1+T2", "T1"),
    ("D(4)", "T1+T2", "T2"),
    ("Z(5)", "T1", "T1"),
    ("E(3)", "T1", "T1"),
]


@pytest.mark.parametrize("name, spec_in, spec_out", MIXED, ids=[f"{g}:{a}->{b}" for g, a, b in MIXED])
def test_block_solution_spans_the_same_maps_as_the_whole_constraint(name, spec_in, spec_out):
    group = get_group(name)
    rep_in, rep_out = rep(spec_in, group), rep(spec_out, group)
    Q, reference = equivariant_basis(rep_in, rep_out), brute_force(rep_in, rep_out)
    assert Q.shape[1] == reference.shape[1] > 0
    np.testing.assert_allclose(Q @ Q.T, reference @ reference.T, atol=1e-10)
    assert_equivariant_basis(Q, rep_in, rep_out)


def test_identical_blocks_are_solved_once():
    group = get_group("O(3)")
    blocks = equivariant_blocks(rep("5T0+3T1", group), rep("4T1+2T0", group))
    assert [(str(b.leaf_in), str(b.leaf_out), len(b.in_index), len(b.out_index)) for b in blocks.blocks] == [
        ("T1", "T1", 3, 4),
        ("T0", "T0", 5, 2),
    ]
    assert blocks.dim == 3 * 4 + 5 * 2


def test_products_of_groups_factor_into_the_maps_of_each_group():
    group = get_group("S(5)xO(3)")
    per_particle = rep("5T1", group)  # one vector per particle
    Q = equivariant_basis(per_particle, per_particle)
    assert Q.shape[1] == 2  # (identity or all-ones on particles) x identity on vectors
    assert_equivariant_basis(Q, per_particle, per_particle)


@pytest.mark.parametrize("name, k", [("SO(3)", 3), ("Sp(4)", 2), ("O(1,3)", 2)])
def test_iterative_nullspace_agrees_with_the_dense_one(monkeypatch, name, k):
    rep_in = rep_out = T(k)(get_group(name))
    dense = equivariant_basis(rep_in, rep_out)
    monkeypatch.setattr(solver, "DENSE_LIMIT", 8)
    solver.clear_cache()
    iterative = equivariant_basis(rep_in, rep_out)
    solver.clear_cache()
    assert iterative.shape == dense.shape
    np.testing.assert_allclose(iterative @ iterative.T, dense @ dense.T, atol=1e-10)


def test_disk_cache_round_trip_with_a_version_key(tmp_path, monkeypatch):
    rep_in = rep_out = T(2)("O(3)")
    first = equivariant_basis(rep_in, rep_out, cache_dir=tmp_path)
    files = list(tmp_path.glob("*.npy"))
    assert len(files) == 1 and f"-v{solver.VERSION}-" in files[0].name
    solver.clear_cache()
    monkeypatch.setattr(solver, "_solve_leaves", lambda *args: pytest.fail("solved again instead of read from disk"))
    monkeypatch.setenv(solver.CACHE_ENV, str(tmp_path))
    np.testing.assert_array_equal(equivariant_basis(rep_in, rep_out), first)
    solver.clear_cache()


def test_bases_are_read_only_and_cached_in_memory():
    rep_in = T(1)("SO(3)")
    Q = equivariant_basis(rep_in * rep_in, rep_in)
    with pytest.raises(ValueError):
        Q[0, 0] = 1.0
    assert equivariant_blocks(rep_in * rep_in, rep_in) is equivariant_blocks(rep_in * rep_in, rep_in)


def test_clear_errors():
    with pytest.raises(ValueError, match=r"O\(3\) but rep_out .* of SO\(3\)"):
        equivariant_basis(T(1)("O(3)"), T(1)("SO(3)"))
    with pytest.raises(ValueError, match="not bound to a group"):
        equivariant_basis(T(1), T(1))
    with pytest.raises(ValueError, match="affine, not linear"):
        equivariant_basis(rep("P", "E(3)"), T(1)("E(3)"))
