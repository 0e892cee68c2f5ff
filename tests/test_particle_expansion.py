"""The particle expansion: the features of interchangeable particles under S(n) x E(d)."""

import itertools

import numpy as np
import pytest
import torch

from scalars.dynamics import NBodySystem
from scalars.expansion import ParticleExpansion
from scalars.groups import get_group

N, D = 4, 3
COULOMB = ParticleExpansion(N, D, scalars=("e", "m"), positive=("m",))


def _inputs(dtype, seed=0, batch=(5,)):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(batch + (2 * N * D,))
    charges, masses = rng.standard_normal(batch + (N,)), rng.uniform(0.5, 2, batch + (N,))
    return [torch.as_tensor(x, dtype=dtype) for x in (z, charges, masses)]


def test_features_are_the_formulas_of_their_names():
    z, e, m = _inputs(torch.float64, batch=())
    q, p = z.unflatten(-1, (2, N, D))
    eps = 0.3
    groups = COULOMB.feature_groups(z, "H", (e, m), eps)
    names = COULOMB.feature_group_names("H")
    for i in range(N):
        values = dict(zip(names["particles"], groups["particles"][i].tolist()))
        k, ei, mi = float(p[i] @ p[i]), float(e[i]), float(m[i])
        assert values == pytest.approx({"|p_i|^2": k, "|p_i|^2/m_i": k / mi, "e_i": ei, "m_i": mi}, rel=1e-12)
    pairs = [(i, j) for i in range(N) for j in range(i + 1, N)]
    for (i, j), row in zip(pairs, groups["pairs"].tolist()):
        values = dict(zip(names["pairs"], row))
        s, r = q[i] - q[j], p[i] - p[j]
        soft = 1 / np.sqrt(float(s @ s) + eps**2)
        expected = {
            "<q_i-q_j,q_i-q_j>": s @ s, "<q_i-q_j,p_i-p_j>": s @ r, "<p_i-p_j,p_i-p_j>": r @ r,
            "|q_i-q_j|": s.norm(), "1/s_ij": soft, "e_i*e_j/s_ij": e[i] * e[j] * soft, "e_i*e_j": e[i] * e[j],
            "e_i+e_j": e[i] + e[j], "m_i*m_j/s_ij": m[i] * m[j] * soft, "m_i*m_j": m[i] * m[j], "m_i+m_j": m[i] + m[j],
        }
        assert values == pytest.approx({k: float(v) for k, v in expected.items()}, rel=1e-12)
    features, vectors = COULOMB.vector_terms(z, (e, m), eps)
    i, j = 2, 0  # the term of particle 2 with particle 0
    s, r = q[i] - q[j], p[i] - p[j]
    torch.testing.assert_close(vectors[i, 0], torch.stack([s, r, p[i]]))
    soft = 1 / (s @ s + eps**2).sqrt()
    gram = [s @ s, s @ r, s @ p[i], r @ r, r @ p[i], p[i] @ p[i]]
    expected = [s.norm(), soft, e[i], e[j], e[i] * e[j] * soft**3, m[i], m[j], m[i] * m[j] * soft**3, 1 / m[i]]
    torch.testing.assert_close(features[i, 0], torch.stack(gram + expected))


@pytest.mark.parametrize("part, groups", [("K", ["particles"]), ("U", ["pairs"]), ("H", ["particles", "pairs"])])
def test_each_part_has_its_groups_and_names_for_every_column(part, groups):
    z, e, m = _inputs(torch.float64)
    values, names = COULOMB.feature_groups(z, part, (e, m)), COULOMB.feature_group_names(part)
    assert list(values) == list(names) == groups
    for group in groups:
        assert values[group].shape == (5, N if group == "particles" else N * (N - 1) // 2, len(names[group]))


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_features_are_invariant_and_terms_equivariant_under_e3_and_permutations(dtype, tol):
    z, e, m = _inputs(dtype)
    q, p = z.unflatten(-1, (2, N, D)).unbind(1)
    R = torch.as_tensor(get_group("O(3)").sample(rng=3), dtype=dtype)
    shift = torch.as_tensor(np.random.default_rng(4).standard_normal(D), dtype=dtype)
    perm = [2, 0, 3, 1]
    moved = torch.stack([(q @ R.T + shift)[:, perm], (p @ R.T)[:, perm]], 1).flatten(1)
    e2, m2 = e[:, perm], m[:, perm]
    pairs = [(i, j) for i in range(N) for j in range(i + 1, N)]
    # the moved state's pair (a, b) is the original pair {perm[a], perm[b]}
    pair_perm = [pairs.index(tuple(sorted((perm[a], perm[b])))) for a, b in pairs]
    before, after = COULOMB.feature_groups(z, "H", (e, m), 0.2), COULOMB.feature_groups(moved, "H", (e2, m2), 0.2)
    torch.testing.assert_close(after["particles"], before["particles"][:, perm], rtol=tol, atol=tol)
    torch.testing.assert_close(after["pairs"], before["pairs"][:, pair_perm], rtol=tol, atol=tol)
    features, vectors = COULOMB.vector_terms(z, (e, m), 0.2)
    features2, vectors2 = COULOMB.vector_terms(moved, (e2, m2), 0.2)
    others = [[j for j in range(N) if j != i] for i in range(N)]
    slot = [[others[perm[a]].index(perm[b]) for b in others[a]] for a in range(N)]
    for a, i in enumerate(perm):
        torch.testing.assert_close(features2[:, a], features[:, i, slot[a]], rtol=tol, atol=tol)
        torch.testing.assert_close(vectors2[:, a], vectors[:, i, slot[a]] @ R.T, rtol=tol, atol=tol)


def test_nbody_systems_read_their_masses_charges_and_softening_through_the_expansion():
    system = NBodySystem([1.0, 2.0, 0.5], charges=[1.0, -1.0, 2.0], kind="coulomb", softening=0.25)
    assert system.invariant_feature_names("U")["pairs"][-6:-4] == ["e_i*e_j/s_ij", "e_i*e_j"]
    z = torch.as_tensor(system.sample_initial_states(2, np.random.default_rng(0)))
    q, _ = system.split(z)
    pairs = system.invariant_features(z, "U")["pairs"]
    r = (q[:, 0] - q[:, 1]).norm(dim=-1)
    torch.testing.assert_close(pairs[:, 0, -6], -1.0 / (r**2 + 0.25**2).sqrt())  # charges 1 and -1
    # H is linear in the features: sum_pairs(k e_i e_j / s) + sum_particles(|p_i|^2/m_i) / 2
    K = system.invariant_features(z, "K")["particles"][..., 1].sum(-1) / 2
    torch.testing.assert_close(system.hamiltonian(z), K + pairs[..., -6].sum(-1))
    features, vectors = system.vector_terms(z)
    assert features.shape[-3:-1] == (3, 2) and vectors.shape[-4:] == (3, 2, 3, 3)
    with pytest.raises(TypeError, match="take the state alone"):
        system.invariant_features(z, "U", torch.ones(2, 3))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n=1, d=3), "at least 2 particles"),
        (dict(n=3, d=3, scalars=("m",), positive=("q",)), r"positive scalars \['q'\]"),
    ],
)
def test_bad_declarations_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ParticleExpansion(**kwargs)


def test_bad_calls_are_refused():
    z, e, m = _inputs(torch.float64)
    with pytest.raises(TypeError, match=r"carry 2 scalars \(e, m\), got 1"):
        COULOMB.feature_groups(z, "H", (m,))
    with pytest.raises(ValueError, match="part must be one of"):
        COULOMB.feature_groups(z, "X", (e, m))


def test_pair_features_are_the_block_and_refuse_bad_columns():
    z, e, m = _inputs(torch.float64)
    q, p = z.unflatten(-1, (2, N, D)).unbind(-3)
    i, j = COULOMB.pairs
    block = COULOMB.pair_features(q[:, i] - q[:, j], p[:, i] - p[:, j], [(e[:, i], e[:, j]), (m[:, i], m[:, j])], 0.2)
    assert torch.equal(block, COULOMB.feature_groups(z, "H", (e, m), 0.2)["pairs"])
    some = COULOMB.pair_features(q[:, i] - q[:, j], scalars=[(e[:, i], e[:, j]), (m[:, i], m[:, j])],
                                 softening=0.2, columns=["m_i+m_j", "1/s_ij"])
    assert torch.equal(some, block[..., [-1, 4]])
    with pytest.raises(ValueError, match=r"columns \['<p_i-p_j,p_i-p_j>'\] are not in the pair block"):
        COULOMB.pair_features(q[:, i] - q[:, j], scalars=[(e, e), (m, m)], columns=["<p_i-p_j,p_i-p_j>"])
    with pytest.raises(TypeError, match=r"got 1 pairs \(x_i, x_j\)"):
        COULOMB.pair_features(q[:, i] - q[:, j], scalars=[(e, e)])


def test_the_pair_force_models_read_the_pair_block_of_the_expansion():
    from scalars.dynamics import LearnedPairForce, PairForceLaw
    from scalars.nn import ParticleMessagePassing

    X = torch.as_tensor(np.random.default_rng(1).standard_normal((3, 35)))
    charges, x, v = X[:, :5], X[:, 5:20].unflatten(-1, (5, 3)), X[:, 20:].unflatten(-1, (5, 3))
    expansion = ParticleExpansion(5, 3, scalars=("e",))
    i, j = expansion.ordered_pairs
    block = expansion.pair_features(x[:, i] - x[:, j], v[:, i] - v[:, j], [(charges[:, i], charges[:, j])], 0.1)
    names = expansion.feature_group_names("H")["pairs"]
    columns = lambda wanted: block[..., [names.index(name) for name in wanted]]  # noqa: E731
    seen = []
    force = LearnedPairForce(steps=1, hidden=(4,)).double()  # its MLP reads the whole block
    force.pair.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    gnn = ParticleMessagePassing(hidden=4, layers=1).double()  # its edges are two columns
    gnn.net.register_forward_pre_hook(lambda module, args: seen.append(args[3][:, i, j]))
    law = PairForceLaw(steps=1)  # its laws are functions of two columns
    read = law.expansion.pair_features

    def spy(*args, **kwargs):
        seen.append(read(*args, **kwargs))
        return seen[-1]

    law.expansion.pair_features = spy
    force(X), gnn(X), law(X)
    assert torch.equal(seen[0], block)
    torch.testing.assert_close(seen[1], columns(ParticleMessagePassing.PAIR_FEATURES), rtol=1e-15, atol=0)
    torch.testing.assert_close(seen[2], columns(PairForceLaw.PAIR_FEATURES), rtol=1e-15, atol=0)
