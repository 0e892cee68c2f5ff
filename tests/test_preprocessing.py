import numpy as np
import pandas as pd
import pint
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from scalars import DimensionlessFeatures, InvariantFeatures, Layout, get_group
from scalars import invariants as inv
from scalars import preprocessing
from scalars.groups import Lorentz, Orthogonal, SpecialOrthogonal
from scalars.testing import assert_invariant
from scalars.units import UnitsError, assert_units_equivariant


@parametrize_with_checks([InvariantFeatures()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "group, layout, n_out",
    [
        ("O(3)", "2T0+3T1", 2 + 6),
        ("SO(3)", "T1+T0+3T1", 1 + 10 + 4),
        ("O(1,3)", "4T1", 10),
        ("Sp(4)", "T0+3T1", 1 + 3),
        ("U(2)", "2T1", 3 + 1),
        ("O(5)", None, 6),
    ],
)
def test_transform_is_invariant(group, layout, n_out):
    features = InvariantFeatures(group=group, layout=layout)
    n_features = {"O(3)": 11, "SO(3)": 13, "O(1,3)": 16, "Sp(4)": 13, "U(2)": 8, "O(5)": 15}[group]
    X = np.random.default_rng(0).standard_normal((20, n_features))
    Z = features.fit_transform(X)
    assert Z.shape == (20, n_out) == (20, len(features.get_feature_names_out()))
    assert_invariant(features.transform, group, X, layout=features.layout_, rng=0)


def test_closed_form_and_names():
    X = np.array([[2.0, 1.0, 2.0, 3.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]])
    features = InvariantFeatures(group="SO(3)", layout="T0+3T1", names=["m", "q", "p", "e"]).fit(X)
    np.testing.assert_allclose(features.transform(X), [[2.0, 14.0, 2.0, 3.0, 1.0, 0.0, 1.0, 1.0]])
    assert features.get_feature_names_out().tolist() == [
        "m", "<q,q>", "<q,p>", "<q,e>", "<p,p>", "<p,e>", "<e,e>", "det(q,p,e)",
    ]


def test_pandas_in_and_out():
    columns = ["mass", "x", "y", "z", "px", "py", "pz"]
    X = pd.DataFrame(np.random.default_rng(0).standard_normal((5, 7)), columns=columns)
    features = InvariantFeatures(group="O(3)", layout="T0+2T1").set_output(transform="pandas")
    out = features.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["mass", "<v0,v0>", "<v0,v1>", "<v1,v1>"]
    np.testing.assert_allclose(out["<v0,v1>"], (X[["x", "y", "z"]].values * X[["px", "py", "pz"]].values).sum(1))


def test_float32_is_preserved():
    X = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    assert InvariantFeatures(group="O(3)").fit_transform(X).dtype == np.float32


def test_in_a_pipeline_learns_an_invariant_law():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 6))
    y = 3 * (X[:, :3] * X[:, 3:]).sum(1) - (X[:, 3:] ** 2).sum(1)
    model = make_pipeline(InvariantFeatures(group="O(3)"), LinearRegression()).fit(X, y)
    assert model.score(X, y) > 1 - 1e-12
    assert_invariant(model.predict, "O(3)", X, layout="2T1")


@pytest.mark.parametrize(
    "kwargs, X, message",
    [
        ({"group": "O(3)", "layout": "2T0+T1"}, np.zeros((3, 6)), r"layout '2T0\+1T1'.*describes 5 columns.*X has 6"),
        ({"group": "O(3)"}, np.zeros((3, 7)), "7 columns, which is not a whole number of 3-column vectors"),
        ({"group": "GL(3)"}, np.zeros((3, 6)), "unknown group 'GL\\(3\\)'"),
        ({"group": "O(3)", "layout": "2Q1"}, np.zeros((3, 6)), "not of the form"),
        ({"group": "O(3)"}, np.array([[np.nan, 0, 0]]), "NaN"),
        ({"group": "O(3)"}, np.array([[np.inf, 0, 0]]), "infinity"),
        ({"group": "O(3)"}, np.zeros(3), "Expected 2D array"),
        ({"group": "O(3)"}, np.array([["a", "b", "c"]]), "could not convert|dtype"),
        ({"group": "O(3)", "layout": "2T1", "names": ["a"]}, np.zeros((3, 6)), "names has 1 entries but layout '2T1' has 2 slots"),
    ],
)
def test_bad_input_is_named(kwargs, X, message):
    with pytest.raises(ValueError, match=message):
        InvariantFeatures(**kwargs).fit(X)


def test_transform_checks_width():
    features = InvariantFeatures(group="O(3)").fit(np.zeros((2, 6)))
    with pytest.raises(ValueError, match="6 features"):
        features.transform(np.zeros((2, 9)))


def test_without_a_group_the_layout_fixes_the_dimension():
    X = np.random.default_rng(0).standard_normal((4, 7))
    features = InvariantFeatures(layout="T0+2T1").fit(X)
    assert features.group_ == get_group("O(3)")
    np.testing.assert_array_equal(
        features.transform(X), InvariantFeatures(group="O(3)", layout="T0+2T1").fit_transform(X)
    )


def test_without_a_group_a_layout_that_fits_no_dimension_is_named():
    with pytest.raises(ValueError, match=r"layout '1T0\+2T1'.*X needs 1 \+ d \* 2 columns.*X has 6"):
        InvariantFeatures(layout="T0+2T1").fit(np.zeros((2, 6)))


def test_names_may_be_a_numpy_array():
    X = np.random.default_rng(0).standard_normal((3, 7))
    names = np.array(["m", "q", "p"])
    features = InvariantFeatures(group="O(3)", layout="T0+2T1", names=names).fit(X)
    out = features.get_feature_names_out().tolist()
    assert out == ["m", "<q,q>", "<q,p>", "<p,p>"]
    assert all(type(name) is str for name in out)


def test_repeated_names_are_refused():
    with pytest.raises(ValueError, match=r"names must be distinct; \['q'\]"):
        InvariantFeatures(group="O(3)", layout="T0+2T1", names=["m", "q", "q"]).fit(np.zeros((2, 7)))


def test_input_features_name_the_scalars():
    features = InvariantFeatures(group="O(2)", layout="T1+T0+T1").fit(np.ones((2, 5)))
    assert features.get_feature_names_out(["a", "b", "m", "c", "d"]).tolist() == [
        "m", "<v0,v0>", "<v0,v1>", "<v1,v1>",
    ]
    with pytest.raises(ValueError, match="input_features should have length equal to"):
        features.get_feature_names_out(["m"])


def test_input_features_must_match_the_fitted_column_names():
    columns = ["mass", "x", "y", "px", "py"]
    X = pd.DataFrame(np.ones((2, 5)), columns=columns)
    features = InvariantFeatures(group="O(2)", layout="T0+2T1", names=["m", "q", "p"]).fit(X)
    assert features.get_feature_names_out(columns).tolist() == ["m", "<q,q>", "<q,p>", "<p,p>"]
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        features.get_feature_names_out(["m", "x", "y", "px", "py"])


def test_feature_units_follow_the_output_names():
    features = InvariantFeatures(group="SO(3)", layout="T0+3T1").fit(np.ones((2, 10)))
    units = features.get_feature_units_out(["kg"] + ["m"] * 3 + ["kg*m/s"] * 3 + ["s"] * 3)
    names = features.get_feature_names_out().tolist()
    length, mass, time = "[length]", "[mass]", "[time]"
    assert dict(zip(names, units)) == {
        "s0": {mass: 1},
        "<v0,v0>": {length: 2},
        "<v0,v1>": {length: 2, mass: 1, time: -1},
        "<v0,v2>": {length: 1, time: 1},
        "<v1,v1>": {length: 2, mass: 2, time: -2},
        "<v1,v2>": {length: 1, mass: 1},
        "<v2,v2>": {time: 2},
        "det(v0,v1,v2)": {length: 2, mass: 1},
    }


def test_feature_units_by_column_name_and_unequal_vector_units():
    X = pd.DataFrame(np.ones((2, 4)), columns=["qx", "qy", "t", "m"])
    features = InvariantFeatures(group="O(2)", layout="T1+2T0").fit(X)
    units = {"qx": "m", "qy": "cm", "t": "s", "m": "kg"}
    assert features.get_feature_units_out(units) == [{"[time]": 1}, {"[mass]": 1}, {"[length]": 2}]
    with pytest.raises(UnitsError, match=r"Columns \['qx', 'qy'\] form one vector but have"):
        features.get_feature_units_out({**units, "qy": "s"})


DOUBLE_PENDULUM_UNITS = (
    ["kg", "kg", "N/m", "N/m", "m", "m", "m/s^2"] + ["m"] * 6 + ["kg*m/s"] * 6
)  # m1, m2, k1, k2, L1, L2, g; then q1, q2, p1, p2 in 3-D


def test_invariant_features_with_their_units_feed_dimensionless_features():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(0.5, 2.0, (50, 7)), rng.standard_normal((50, 12))])
    layout = "7T0+4T1"
    invariants = InvariantFeatures(group="SO(3)", layout=layout).fit(X)
    model = make_pipeline(
        invariants, DimensionlessFeatures(units=invariants.get_feature_units_out(DOUBLE_PENDULUM_UNITS))
    ).fit(X)
    assert model.transform(X).shape == (50, 7 + 10 + 4 - 3)
    assert_units_equivariant(model, X, DOUBLE_PENDULUM_UNITS, n_draws=5)
    assert_invariant(model.transform, "SO(3)", X, layout=layout)
    with pytest.raises(AssertionError, match="not units-equivariant"):  # the check can fail
        assert_units_equivariant(invariants, X, DOUBLE_PENDULUM_UNITS)


# -- the compiled path that reads the flat columns in place ---------------------------------


def split_path(group, layout, X):
    """The invariants as transform computed them before the in-place path (split the columns,
    the group's invariants, concatenate), in float64 and without the compiled kernel."""
    group = get_group(group)
    scalars, columns = Layout.parse(layout).split(X.astype(np.float64), group.n_columns)
    V = group.vectors_from_columns(columns)
    if isinstance(group, (Orthogonal, Lorentz)):  # Gram entries by matmul
        invariants = [inv.gram(V, metric=group.metric)[:, *np.triu_indices(V.shape[-2])]]
        if isinstance(group, SpecialOrthogonal):
            invariants.append(inv.determinants(V))
    else:
        invariants = [group.invariants(V)]
    return np.concatenate([scalars, *invariants], axis=1)


def flat_rows(n_rows, n_features, dtype, order, seed):
    """Random rows, C- or F-ordered, or a strided view of a wider array."""
    X = np.random.default_rng(seed).standard_normal((n_rows, n_features)).astype(dtype)
    if order == "view":
        wide = np.zeros((n_rows, 2 * n_features), dtype)
        wide[:, ::2] = X
        return wide[:, ::2]
    return np.asarray(X, order=order)


@given(
    ranks=st.lists(st.sampled_from([0, 1]), min_size=1, max_size=7),
    group=st.sampled_from(["O(3)", "SO(3)", "O(1,3)", "O(2)", "SO(2)", "U(2)", "Sp(4)"]),
    dtype=st.sampled_from([np.float64, np.float32]),
    order=st.sampled_from(["C", "F", "view"]),
    n_rows=st.sampled_from([1, 63, 150]),
    seed=st.integers(0, 2**31),
)
@settings(max_examples=80, deadline=None)
def test_transform_agrees_with_the_split_path_on_random_layouts(ranks, group, dtype, order, n_rows, seed):
    layout = Layout.from_ranks(ranks)
    X = flat_rows(n_rows, layout.n_features(get_group(group).n_columns), dtype, order, seed)
    Z = InvariantFeatures(group=group, layout=layout).fit(X).transform(X)
    assert Z.dtype == dtype and Z.shape == (n_rows, len(split_path(group, layout, X[:1])[0]))
    tolerance = {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-5}
    np.testing.assert_allclose(Z, split_path(group, layout, X), **tolerance)


@pytest.mark.parametrize("layout", ["T1+2T0+T1", "2T0+3T1+T0", "3T0", "4T1"])
@pytest.mark.parametrize("group", ["O(3)", "SO(3)", "O(1,3)"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_in_place_path_on_interleaved_layouts(layout, group, dtype, order):
    d = get_group(group).n_columns
    X = flat_rows(200, Layout.parse(layout).n_features(d), dtype, order, seed=1)
    Z = InvariantFeatures(group=group, layout=layout).fit_transform(X)
    assert Z.dtype == dtype and Z.flags.c_contiguous
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(Z, split_path(group, layout, X), rtol=rtol, atol=rtol)


def forbidden(*args, **kwargs):
    raise AssertionError("this group should not take this path")


@pytest.mark.parametrize("group, layout", [("O(3)", "T1+2T0+T1"), ("SO(3)", "T0+3T1"), ("O(1,3)", "2T1+T0")])
def test_metric_groups_read_the_columns_in_place(monkeypatch, group, layout):
    X = flat_rows(20, Layout.parse(layout).n_features(get_group(group).d), np.float64, "C", 0)
    monkeypatch.setattr(preprocessing, "split_columns", forbidden)
    Z = InvariantFeatures(group=group, layout=layout).fit_transform(X)
    np.testing.assert_allclose(Z, split_path(group, layout, X))


@pytest.mark.parametrize("group", ["U(2)", "Sp(4)"])
def test_other_groups_keep_their_own_path(monkeypatch, group):
    X = flat_rows(20, 3 * 4 + 1, np.float64, "C", 0)
    monkeypatch.setattr(preprocessing, "gram_upper_flat", forbidden)
    Z = InvariantFeatures(group=group, layout="T1+T0+2T1").fit_transform(X)
    np.testing.assert_allclose(Z, split_path(group, "T1+T0+2T1", X), rtol=1e-12)


def test_a_subclass_with_other_invariants_keeps_them():
    class DoubledGram(Orthogonal):
        def invariants(self, V):
            return 2 * super().invariants(V)

    X = flat_rows(20, 7, np.float64, "C", 0)
    Z = InvariantFeatures(group=DoubledGram(3), layout="T0+2T1").fit_transform(X)
    expected = split_path("O(3)", "T0+2T1", X)
    np.testing.assert_allclose(Z, np.column_stack([expected[:, :1], 2 * expected[:, 1:]]), rtol=1e-12)


@pytest.mark.parametrize("bad, message", [(np.nan, "X contains NaN"), (-np.inf, "X contains infinity")])
@pytest.mark.parametrize("column", [0, 4])  # a scalar, a vector component
def test_transform_names_nan_and_infinity(bad, message, column):
    X = flat_rows(100, 7, np.float64, "C", 0)
    features = InvariantFeatures(group="O(3)", layout="T0+2T1").fit(X)
    X[70, column] = bad
    with pytest.raises(ValueError, match=message):
        features.transform(X)
    with sklearn.config_context(assume_finite=True):  # the user vouches for X: no check
        assert not np.isfinite(features.transform(X)[70]).all()


def test_large_finite_values_are_not_mistaken_for_infinity():
    features = InvariantFeatures(group="O(3)", layout="2T1").fit(np.ones((3, 6)))
    X = np.full((3, 6), 1e153)  # squares of 1e306 are finite; their sum over the batch is not
    np.testing.assert_allclose(features.transform(X), np.full((3, 3), 3e306))
    with pytest.raises(ValueError, match="Gram entries of finite X overflow float64.*rescale X"):
        features.transform(np.full((3, 6), 1e308))


def test_feature_units_keep_the_custom_dimensions_of_the_registry():
    registry = pint.UnitRegistry()
    registry.define("litre_of_water = [water_volume] = lw")
    features = InvariantFeatures(group="O(2)", layout="T0+T1").fit(np.ones((2, 3)))
    units = features.get_feature_units_out(["lw", "m", "m"], registry=registry)
    assert units == [{"[water_volume]": 1}, {"[length]": 2}]
