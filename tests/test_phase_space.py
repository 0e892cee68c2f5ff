"""The phase-space expansion: the one source of the features of systems with a fixed origin."""

import numpy as np
import pytest
import torch

from scalars.dynamics import ChargedParticleInMagneticField, DoubleSpringPendulum
from scalars.expansion import PARTS, PhaseSpaceExpansion
from scalars.groups import get_group

EXPANSION = PhaseSpaceExpansion("O(3)", "4T1", ("T1", "2T0"), ("g", "m1", "m2"))


def _state(dtype, seed=0, shape=(7,)):
    rng = np.random.default_rng(seed)
    z, g, params = rng.standard_normal(shape + (12,)), rng.standard_normal(shape + (3,)), rng.uniform(1, 2, shape + (2,))
    return tuple(torch.as_tensor(x, dtype=dtype) for x in (z, g, params))


def test_features_are_the_gram_entries_lengths_and_scalars_written_out():
    z, g, params = _state(torch.float64, shape=())
    q1, q2, p1, p2 = z.unflatten(-1, (4, 3))
    vectors = {"q1": q1, "q2": q2, "q1-q2": q1 - q2, "p1": p1, "p2": p2, "g": g}
    features = EXPANSION.features(z, "H", g, params, inverse_lengths=True)
    names = EXPANSION.feature_names("H", inverse_lengths=True)
    expected = {}
    for a in vectors:
        for b in vectors:
            expected[f"<{a},{b}>"] = float(vectors[a] @ vectors[b])
        expected[f"|{a}|"] = float(vectors[a].norm())
        expected[f"1/|{a}|"] = 1 / float(vectors[a].norm())
    expected.update(m1=float(params[0]), m2=float(params[1]))
    assert len(names) == len(features) == 21 + 3 + 3 + 2
    for name, value in zip(names, features.tolist()):
        assert value == pytest.approx(expected[name], rel=1e-12), name


@pytest.mark.parametrize("part, vectors", [("K", ["p1", "p2", "g"]), ("U", ["q1", "q2", "q1-q2", "g"])])
def test_each_part_sees_only_its_vectors(part, vectors):
    assert EXPANSION.vector_names(part) == vectors
    z, g, params = _state(torch.float64)
    features = EXPANSION.features(z, part, g, params)
    assert features.shape[-1] == len(EXPANSION.feature_names(part))
    half = slice(0, 6) if part == "K" else slice(6, 12)
    moved = z.clone()
    moved[..., half] += 1.0  # positions for K, momenta for U: the features must not change
    assert torch.equal(EXPANSION.features(moved, part, g, params), features)


@pytest.mark.parametrize("dtype, atol", [(torch.float64, 1e-12), (torch.float32, 1e-4)])
def test_features_are_invariant_and_terms_equivariant_under_o3(dtype, atol):
    z, g, params = _state(dtype)
    R = torch.as_tensor(get_group("O(3)").sample(rng=np.random.default_rng(1)), dtype=dtype)
    turned_z = (z.unflatten(-1, (4, 3)) @ R.T).flatten(-2)
    for part in PARTS:
        before, after = EXPANSION.features(z, part, g, params), EXPANSION.features(turned_z, part, g @ R.T, params)
        torch.testing.assert_close(after, before, atol=atol, rtol=atol)
    features, vectors = EXPANSION.terms(z, g, params)
    turned_features, turned_vectors = EXPANSION.terms(turned_z, g @ R.T, params)
    torch.testing.assert_close(turned_features, features, atol=atol, rtol=atol)
    torch.testing.assert_close(turned_vectors, vectors @ R.T, atol=atol, rtol=atol)


def test_selection_maps_give_the_state_vectors_of_each_part():
    z = torch.as_tensor(np.random.default_rng(2).standard_normal(12))
    q1, q2, p1, p2 = z.unflatten(-1, (4, 3))
    vectors = {"q1": q1, "q2": q2, "q1-q2": q1 - q2, "p1": p1, "p2": p2, "g": torch.zeros(3, dtype=z.dtype)}
    for part in PARTS:
        expected = torch.stack([vectors[name] for name in EXPANSION.vector_names(part)])
        torch.testing.assert_close(torch.as_tensor(EXPANSION.selection(part)) @ z, expected)


def test_the_pendulum_takes_its_features_from_the_expansion():
    system = DoubleSpringPendulum.emlp()
    z = torch.tensor([[0, 0, -1.0, 0, 0, -2.0, 1.0, 0, 2.0, 0, 3.0, 1.0]])
    assert system.invariant_features(z, "K")[""][0, 0, :6].tolist() == [5.0, 2.0, -2.0, 10.0, -1.0, 1.0]
    assert system.invariant_feature_names("U")[""][-9:] == ["|q1|", "|q2|", "|q1-q2|", "m1", "m2", "k1", "k2", "L1", "L2"]
    features, vectors = system.vector_terms(z)
    assert features.shape == (1, 1, 1, 33) and vectors.shape == (1, 1, 1, 5, 3)


@pytest.mark.parametrize(
    "args, match",
    [
        (("O(1,3)", "4T1"), "O\\(d\\) or SO\\(d\\)"),
        (("O(3)", "3T1"), "even number of vectors"),
        (("O(3)", "2T1+T0"), "even number of vectors"),
        (("O(3)", "2T1", ("T1+T0",)), "vectors or scalars"),
        (("O(3)", "2T1", ("T1",), ("g", "h")), "name the 1 context slots"),
    ],
)
def test_bad_declarations_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        PhaseSpaceExpansion(*args)


def test_bad_calls_are_refused():
    z, g, params = _state(torch.float64)
    with pytest.raises(ValueError, match="part must be one of"):
        EXPANSION.features(z, "T", g, params)
    with pytest.raises(TypeError, match="the context is 2 arrays"):
        EXPANSION.features(z, "H", g)


def test_a_system_without_a_declared_context_has_no_features():
    with pytest.raises(TypeError, match="ChargedParticleInMagneticField does not declare the context"):
        ChargedParticleInMagneticField().invariant_features(torch.zeros(6), "H")
