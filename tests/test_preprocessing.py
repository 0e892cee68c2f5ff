import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from scalars import InvariantFeatures
from scalars.testing import assert_invariant


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
