"""Laws: fitted equivariant models printed with sympy, and sparse fits that find them."""

import numpy as np
import pytest
import sympy
from scipy.special import ellipk
from sklearn.preprocessing import SplineTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from scalars import EquivariantRegressor, InvariantFeatures, SparseEquivariantRegressor
from scalars.datasets import ParticleInteraction
from scalars.__main__ import DEMOS
from scalars.bench.laws_demo import inertia_law, scattering_law
from scalars.laws import gram_substitutions, rationalize, stlsq, to_sympy
from scalars.units import UnitsError

MOMENTA = ["p1", "p2", "p3", "p4"]


def _vector(name, d):
    return sympy.MatrixSymbol(name, d, 1).as_explicit()


@parametrize_with_checks([SparseEquivariantRegressor()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_inertia_law_is_the_inertia_tensor():
    model, exact = inertia_law(100)  # symbolic comparison with sum_i m_i (|r_i|^2 I - r_i r_i^T)
    assert exact
    assert np.count_nonzero(model.coef_) == 2  # m_i sym(r_i, r_i) and m_i <r_i, r_i> I, shared by the particles


def test_particle_interaction_law_is_the_scattering_amplitude():
    law, exact = scattering_law(100)  # symbolic comparison with 4 sum Le * Lmu
    assert exact
    assert len(sympy.Add.make_args(law)) == 5


def test_the_demo_is_registered():
    assert DEMOS["laws"][0] == "scalars.bench.laws_demo"


def test_scalar_law_reproduces_predict_on_the_invariant_features():
    train, test = ParticleInteraction(100, seed=0), ParticleInteraction(20, seed=1)
    model = EquivariantRegressor(**train.estimator_params()).fit(train.X, train.y)
    law = model.to_sympy(names=MOMENTA, tolerance=0.0, threshold=0.0)
    features = InvariantFeatures(group="O(1,3)", layout="4T1", names=MOMENTA).fit(test.X)
    symbols = [sympy.Symbol(name) for name in features.get_feature_names_out()]
    assert law.free_symbols <= set(symbols)
    evaluated = sympy.lambdify(symbols, law)(*features.transform(test.X).T)
    np.testing.assert_allclose(evaluated, model.predict(test.X), rtol=1e-10, atol=1e-10)


def test_cross_product_law_under_so3():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    y = 3 * np.cross(X[:, :3], X[:, 3:]) - X[:, 3:] * (X[:, :3] ** 2).sum(1, keepdims=True)
    model = SparseEquivariantRegressor(group="SO(3)", layout="2T1", output="T1").fit(X, y)
    law = model.to_sympy(names=["q", "p"])
    q, p = _vector("q", 3), _vector("p", 3)
    truth = 3 * q.cross(p) - p * (q.T * q)[0]
    assert (law.xreplace(gram_substitutions(["q", "p"], 3)) - truth).applyfunc(sympy.expand) == sympy.zeros(3, 1)
    named = model.to_sympy(names=["q", "p"], explicit=False)
    assert {str(s) for s in named.free_symbols} == {"p", "cross(q,p)", "<q,q>"}


def test_per_particle_outputs_are_one_law_per_particle():
    rng = np.random.default_rng(0)
    masses, velocities = rng.uniform(0.5, 2, (60, 3)), rng.standard_normal((60, 3, 3))
    X = np.concatenate([masses, velocities.reshape(60, 9)], axis=1)
    y = (masses[..., None] * velocities).reshape(60, 9)  # momentum of each particle
    model = SparseEquivariantRegressor(group="O(3)", layout="3T0+3T1", output="3T1", particles=3).fit(X, y)
    laws = model.to_sympy(names=["m0", "m1", "m2", "v0", "v1", "v2"])
    assert len(laws) == 3
    for i, law in enumerate(laws):
        assert law == sympy.Symbol(f"m{i}") * _vector(f"v{i}", 3)


def test_units_make_the_period_law_dimensionally_consistent():
    rng = np.random.default_rng(0)
    L, g, m, theta = rng.uniform(0.5, 2, 200), rng.uniform(1, 20, 200), rng.uniform(0.1, 5, 200), rng.uniform(-1, 1, 200)
    period = 4 * np.sqrt(L / g) * ellipk(np.sin(theta / 2) ** 2)
    model = SparseEquivariantRegressor(
        layout="4T0", degree=8, units=["m", "m/s^2", "kg", ""], target_units="s", max_denominator=2
    ).fit(np.column_stack([L, g, m, theta]), period)
    law = model.to_sympy(names=["L", "g", "m", "theta"], tolerance=0.0)
    Ls, gs, thetas = sympy.symbols("L g theta")
    shape = sympy.expand(law * sympy.sqrt(gs) / sympy.sqrt(Ls))
    assert shape.free_symbols == {thetas}  # sqrt(L/g) f(theta): no mass, no other dimension
    series = sympy.Poly(shape, thetas)
    assert all(power % 2 == 0 for (power,) in series.monoms())  # the period is even in the amplitude
    assert abs(float(series.coeff_monomial(1)) - 2 * np.pi) < 1e-3  # small swings: 2 pi sqrt(L / g)
    assert abs(float(series.coeff_monomial(thetas**2)) / (2 * np.pi) - 1 / 16) < 2e-3


def test_units_leave_only_terms_of_the_target_dimension():
    rng = np.random.default_rng(1)
    X = np.concatenate([rng.uniform(0.5, 2, (50, 1)), rng.standard_normal((50, 6))], axis=1)  # m, q, p
    units = ["kg"] + ["m"] * 3 + ["kg*m/s"] * 3
    energy = (X[:, 4:] ** 2).sum(1) / (2 * X[:, 0])
    model = SparseEquivariantRegressor(group="O(3)", layout="T0+2T1", units=units, target_units="J").fit(X, energy)
    law = model.to_sympy(names=["m", "q", "p"])
    assert law == sympy.Symbol("<p,p>") / (2 * sympy.Symbol("m"))
    mass, length, time = (np.array(row) for row in ([1, 0, 1, 2], [0, 2, 2, 2], [0, 0, -1, -2]))  # m, <q,q>, <q,p>, <p,p>
    allowed = model.bases_[0].powers_[model.candidates_]  # one block, one basis element: a column per monomial
    assert len(allowed) > 1 and np.allclose(allowed @ np.stack([mass, length, time]).T, [1, 2, -2])  # all energies
    with pytest.raises(UnitsError, match="no term"):
        SparseEquivariantRegressor(group="O(3)", layout="T0+2T1", units=units, target_units="A").fit(X, energy)


def test_to_sympy_needs_a_monomial_basis():
    train = ParticleInteraction(50, seed=0)
    model = EquivariantRegressor(group="O(1,3)", layout="4T1", basis=SplineTransformer()).fit(train.X, train.y)
    with pytest.raises(ValueError, match="monomial basis"):
        to_sympy(model)


def _cubic(layout="3T1", output="T1", seed=0):
    """An exact cubic vector law of the last two vectors, ``|a|^2 b - 2 <a,b>^2 a + b``."""
    X = np.random.default_rng(seed).standard_normal((300, 9))
    a, b = X[:, 3:6], X[:, 6:]
    y = (a * a).sum(1)[:, None] * b - 2 * (a * b).sum(1)[:, None] ** 2 * a + b
    return X, y


def _n_terms(law):
    return sum(len(sympy.Add.make_args(sympy.expand(entry))) for entry in law)


def test_a_ridge_law_prints_the_true_terms_not_the_ridge_noise():
    X, y = _cubic()
    model = EquivariantRegressor(group="O(3)", layout="3T1", output="T1", degree=3).fit(X, y)
    assert _n_terms(model.to_sympy()) == 9  # 3 terms per component; it printed 120 with the noise
    assert _n_terms(model.to_sympy(threshold=0.0)) > 100  # every coefficient of the ridge fit
    u, v, w = (_vector(name, 3) for name in ("v0", "v1", "v2"))
    law = model.to_sympy(tolerance=1e-6).xreplace(gram_substitutions(["v0", "v1", "v2"], 3))
    truth = (v.T * v)[0] * w - 2 * (v.T * w)[0] ** 2 * v + w
    assert (law - truth).applyfunc(sympy.expand) == sympy.zeros(3, 1)
    with pytest.raises(ValueError, match=r"threshold must be a number in \[0, 1\), got 1.5"):
        model.to_sympy(threshold=1.5)


def test_to_sympy_of_a_model_without_a_linear_basis_says_so():
    from scalars import EquivariantMLPRegressor
    from sklearn.exceptions import NotFittedError

    X, y = _cubic()
    mlp = EquivariantMLPRegressor(group="O(3)", layout="3T1", output="T1", hidden_layer_sizes=(4,), max_epochs=1,
                                  random_state=0).fit(X[:20], y[:20])
    with pytest.raises(TypeError, match="EquivariantMLPRegressor has no linear basis to print"):
        to_sympy(mlp)  # used to say "not fitted yet"
    with pytest.raises(NotFittedError):
        to_sympy(EquivariantRegressor())


def test_rationalize_rounds_only_within_tolerance():
    values = rationalize([0.5 + 1e-12, 2 / 3, np.pi, 1e-15], [1.0, 1.0, 1.0, 1.0], tolerance=1e-9)
    assert values[:2] == [sympy.Rational(1, 2), sympy.Rational(2, 3)]
    assert isinstance(values[2], sympy.Float) and values[3] == 0


def test_stlsq_takes_the_sparsest_of_exactly_equivalent_fits():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 200))
    design = np.column_stack([a, b, a + b, a - 2 * b])  # four columns, rank two
    y = 2 * (a + b)
    coef = stlsq(design.T @ design / 200, design.T @ y / 200, threshold=0.01)
    np.testing.assert_allclose(coef, [0, 0, 2, 0], atol=1e-10)
