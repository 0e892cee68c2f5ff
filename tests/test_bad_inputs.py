"""Bad inputs to every public kernel, transformer, estimator, head and simulator.

The contract (issue 12): a call returns a correct result, or raises a ValueError or a
TypeError whose message names the offending argument, within a time limit (a hang fails
the test); it never returns a NaN or an inf that its input did not contain. Warnings
(subnormal results, a model reduced to one monomial) are allowed and silenced here.
"""

import re
import warnings

import numpy as np
import pint
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalars import (
    DimensionlessFeatures,
    EquivariantMLPRegressor,
    EquivariantRegressor,
    InvariantFeatures,
    UnitsEquivariantRegressor,
)
from scalars import invariants as inv
from scalars.averaging import FrameAverage, GroupAverage
from scalars.dynamics import DoubleSpringPendulum, pendulum_data
from scalars.groups import get_group
from scalars.nn import GroupAveraging, InvariantMLP, TensorHead, VectorHead
from scalars.reps import rep

LIMIT = 10  # seconds for one call


@pytest.fixture(scope="module", autouse=True)
def compiled_kernels():
    """Compile the numba kernels in both precisions first: on a fresh clone their cache is
    cold, and compiling is not a hang."""
    for dtype in (np.float32, np.float64):
        V = np.random.default_rng(0).standard_normal((3, 2, 3)).astype(dtype)
        inv.gram_upper(V)
        inv.gram_upper(V, metric=np.array([1.0, -1.0, -1.0]))
        inv.gram_upper_flat(V.reshape(3, 6), [0, 3], 3, check_finite=True)
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEW, SOME = settings(max_examples=10, **_SETTINGS), settings(max_examples=40, **_SETTINGS)

# The invariants of S(n), Z(n), D(n) and products are computed in scalars.groups, not by the
# checked kernels: see test_invariants_of_finite_and_product_groups_name_an_overflow.
GROUPS = ["O(3)", "SO(3)", "SO(1)", "O(1,2)", "Sp(2)", "U(1)", "O(2)", "E(2)", "Q(3)", "O(0)", "SO(-1)", "o3", 3]
LAYOUTS = [None, "T0+T1", "2T1", "T1+T0+T1", "4T0", "2X1", "", "T2", "0T1"]
UNITS = ["m", "kg", "s", "m/s", "N", "J/K", "", None, "K", {"length": 1}, {"[velocity]": 2},
         "degC", "degF", "kg*m/s^2 = N", "m/s/", "m**", "furlong_of_doom", {"lenght": 1}, 3.5]
SPECIALS = [np.nan, np.inf, -np.inf]


def outcome(call, time_limit):
    """The result of ``call()``, or the ValueError or TypeError it raised."""
    with time_limit(LIMIT), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call()
        except (ValueError, TypeError) as error:
            return error


def check(result, names, finite_input=True):
    """An error names one of ``names``; a result of finite input is finite."""
    if isinstance(result, Exception):
        message = str(result)
        assert any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", message) for name in names), (
            f"{type(result).__name__}({message!r}) names none of {names}"
        )
        return
    if finite_input:
        for value in result if isinstance(result, tuple) else (result,):
            value = value.detach().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
            assert np.isfinite(value).all(), f"a NaN or inf from finite input: {value}"


def is_finite(*arrays):
    return all(np.isfinite(np.asarray(a, dtype=complex)).all() for a in arrays)


@st.composite
def numbers(draw, shape, dtype=None, top=300):
    """An array of ``shape`` of one dtype: per-row magnitudes 10^-top..10^top, maybe a NaN or inf."""
    dtype = dtype or draw(st.sampled_from(["float64", "float32", "int8", "int64", "bool"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.startswith("int"):
        return rng.integers(-100, 100, shape).astype(dtype)
    top = min(top, 36) if dtype == "float32" else top
    exponents = np.array(draw(st.lists(st.integers(-top, top), min_size=shape[0], max_size=shape[0])), float)
    values = rng.standard_normal(shape) * 10.0 ** exponents.reshape((-1,) + (1,) * (len(shape) - 1))
    special = draw(st.sampled_from([None, None] + SPECIALS))
    if special is not None and values.size:
        values.flat[draw(st.integers(0, values.size - 1))] = special
    return values.astype(dtype)


# -- kernels -----------------------------------------------------------------------------

def _minkowski(V):
    return inv.gram_upper(V, metric=np.concatenate([[1.0], -np.ones(V.shape[-1] - 1)]))


# name: (kernel, degree in the vectors as a function of d, smallest d)
KERNELS = {
    "gram": (inv.gram, lambda d: 2, 1),
    "gram_upper": (inv.gram_upper, lambda d: 2, 1),
    "minkowski": (_minkowski, lambda d: 2, 1),
    "determinants": (inv.determinants, lambda d: d, 1),
    "cross_products": (inv.cross_products, lambda d: d - 1, 1),
    "symplectic_products": (inv.symplectic_products, lambda d: 2, 1),
    "hermitian_products": (lambda V: inv.hermitian_products(V * (1 + 1j)), lambda d: 2, 1),
}


@st.composite
def kernel_calls(draw):
    name = draw(st.sampled_from(sorted(KERNELS)))
    kernel, degree, smallest = KERNELS[name]
    shape = (draw(st.integers(0, 3)), draw(st.integers(1, 4)), draw(st.integers(smallest, 4)))
    return name, kernel, degree(shape[-1]), draw(numbers(shape))


def _exactly_rescaled(kernel, V, degree):
    """``kernel(V)`` from vectors scaled per sample by a power of two to order one: exact
    unless the true result leaves the float range (then inf or 0)."""
    exponents = np.frexp(np.abs(V).max(axis=(-2, -1), initial=0))[1].astype(np.int64)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        scaled = kernel(np.ldexp(V, -exponents[:, None, None]).astype(V.dtype))
        shift = (degree * exponents).reshape((-1,) + (1,) * (scaled.ndim - 1))
        if np.iscomplexobj(scaled):
            return np.ldexp(scaled.real, shift) + 1j * np.ldexp(scaled.imag, shift)
        return np.ldexp(scaled, shift)


@SOME
@given(call=kernel_calls())
def test_kernels_give_the_exact_result_or_name_the_overflow(call, time_limit):
    name, kernel, degree, V = call
    result = outcome(lambda: kernel(V), time_limit)
    if name == "symplectic_products" and V.shape[-1] % 2:
        assert isinstance(result, ValueError) and "even dimension" in str(result)
        return
    check(result, ["vectors"], is_finite(V))
    if isinstance(result, Exception):  # only a true overflow
        assert "overflows" in str(result) and not is_finite(_exactly_rescaled(kernel, V, degree))
    elif V.dtype.kind in "biu":
        assert result.real.dtype == np.float64
        np.testing.assert_array_equal(result, kernel(V.astype(np.float64)))
    elif is_finite(V):
        np.testing.assert_allclose(
            result, _exactly_rescaled(kernel, V, degree), rtol=1e-5 if V.dtype == np.float32 else 1e-12,
            atol=1e3 * np.finfo(V.dtype).tiny,
        )


@pytest.mark.parametrize(
    "kernel",
    [inv.gram, inv.gram_upper, inv.determinants, inv.cross_products, inv.symplectic_products, inv.hermitian_products],
)
@pytest.mark.parametrize("V", [np.ones(3), np.ones((2, 3, 0)), np.array([["a", "b"]]), [[1, "x"]]])
def test_kernels_name_what_is_not_vectors(kernel, V, time_limit):
    result = outcome(lambda: kernel(V), time_limit)
    assert isinstance(result, Exception)
    check(result, ["V"])


# -- transformers and estimators ---------------------------------------------------------

@st.composite
def flat_inputs(draw, max_features=7):
    """X of shape (n_samples, n_features), sometimes 0 samples or the wrong rank."""
    shape = (draw(st.sampled_from([0, 1, 2, 5])), draw(st.integers(1, max_features)))
    X = draw(numbers(shape))
    return draw(st.sampled_from([X, X, X, X[0] if len(X) else X.ravel(), X[None]]))


# sklearn's validate_data says "array" for X ("Found array with dim 3").
FEATURE_NAMES = ["X", "array", "group", "layout", "vectors", "columns", "sample", "feature", "output"]


@SOME
@given(group=st.sampled_from(GROUPS), layout=st.sampled_from(LAYOUTS), X=flat_inputs())
def test_invariant_features(group, layout, X, time_limit):
    result = outcome(lambda: InvariantFeatures(group=group, layout=layout).fit(X).transform(X), time_limit)
    check(result, FEATURE_NAMES, is_finite(X))


@pytest.mark.parametrize("group, n_columns", [("S(3)", 6), ("Z(4)", 2), ("D(3)", 2), ("S(2)xO(2)", 4)])
def test_invariants_of_finite_and_product_groups_name_an_overflow(group, n_columns, time_limit):
    X = np.random.default_rng(0).standard_normal((3, n_columns)) * 1e110  # degree 3 or more: beyond float64
    check(outcome(lambda: InvariantFeatures(group=group).fit(X).transform(X), time_limit), FEATURE_NAMES)


@SOME
@given(
    group=st.sampled_from(["O(3)", "SO(3)", "SO(1)", "O(1,2)", "U(1)", "S(3)", "E(2)", "Q(3)", None]),
    output=st.sampled_from(["T0", "T1", "T2", "T3"]),
    y_columns=st.sampled_from([1, 2, 3]),
    X=flat_inputs(max_features=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_equivariant_regressor(group, output, y_columns, X, seed, time_limit):
    y = np.random.default_rng(seed).standard_normal((len(X), y_columns) if y_columns > 1 else len(X))
    # degree 1: the bad inputs are the subject, and at degree 2 five columns under SO(1) with a
    # T2 output already make 5082 basis functions, whose ridge solve takes 20 s (not a hang)
    model = EquivariantRegressor(group=group, output=output, degree=1)
    result = outcome(lambda: model.fit(X, y).predict(X), time_limit)
    check(result, FEATURE_NAMES + ["y"], is_finite(X))


def test_unitary_groups_refuse_tensor_outputs_with_a_value_error(time_limit):
    result = outcome(lambda: EquivariantRegressor(group="U(1)", output="T2").fit(np.ones((3, 2)), np.ones((3, 1))),
                     time_limit)
    assert isinstance(result, ValueError)
    check(result, ["output"])


@FEW
@given(group=st.sampled_from(["O(3)", "SO(3)", "Q(3)"]), output=st.sampled_from(["T0", "T1"]),
       X=flat_inputs(max_features=6))
def test_equivariant_mlp_regressor(group, output, X, time_limit):
    y = np.ones((len(X), 3)) if output == "T1" else np.linspace(0, 1, len(X))
    model = EquivariantMLPRegressor(group=group, output=output, hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    result = outcome(lambda: model.fit(X, y).predict(X), time_limit)
    check(result, FEATURE_NAMES + ["y"], is_finite(X))


@SOME
@given(
    units=st.lists(st.sampled_from(UNITS), min_size=1, max_size=3),
    max_denominator=st.sampled_from([1, 2, 0, -3, 2.5]),
    repeating=st.sampled_from([None, [0], ["x1"], ["nope"], [7]]),
    data=st.data(),
)
def test_units_transformers_and_regressors(units, max_denominator, repeating, data, time_limit):
    X = np.abs(data.draw(numbers((5, len(units)), dtype="float64")))
    y = np.linspace(1.0, 2.0, 5)
    features = DimensionlessFeatures(units=units, repeating=repeating)
    check(outcome(lambda: features.fit(X).transform(X), time_limit), _unit_names(units), is_finite(X))
    model = UnitsEquivariantRegressor(units=units, target_units="m", max_denominator=max_denominator)
    check(outcome(lambda: model.fit(X, y).predict(X), time_limit), _unit_names(units), is_finite(X))


def _unit_names(units):
    """What an error about these units, X or the options may name."""
    return ["X", "max_denominator", "repeating", "units", "target", *(repr(u) for u in units), "x0", "x1", "x2"]


def test_units_that_do_not_fit_the_columns(time_limit):
    for units in (["m"], "m", {"a": "m"}, ["m", "s", "kg", "K"]):
        check(outcome(lambda: DimensionlessFeatures(units=units).fit(np.ones((3, 2))), time_limit), ["units"])


# -- torch heads -------------------------------------------------------------------------

HEADS = [InvariantMLP, VectorHead, TensorHead]


@SOME
@given(
    head=st.sampled_from(HEADS),
    dtype=st.sampled_from([torch.float64, torch.float32, torch.int64, torch.bool]),
    n_rows=st.sampled_from([0, 1, 3]),
    n_features=st.sampled_from([6, 5, 7]),
    exponent=st.integers(-60, 60),
    special=st.sampled_from([None] + SPECIALS),
)
def test_heads(head, dtype, n_rows, n_features, exponent, special, time_limit):
    torch.manual_seed(0)
    model = head("O(3)", "2T1", hidden=(4,)).double()
    X = torch.randn(n_rows, n_features, dtype=torch.float64) * 10.0**exponent
    if special is not None and X.numel():
        X[0, 0] = special
    X = X.to(dtype)
    check(outcome(lambda: model(X), time_limit), ["X", "layout", "columns"], is_finite(X.double().numpy()))


def test_heads_name_an_overflow_of_their_invariants(time_limit):
    X = torch.randn(3, 6, dtype=torch.float64) * 1e200
    check(outcome(lambda: InvariantMLP("O(3)", "2T1", hidden=(4,)).double()(X), time_limit), ["X"])


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("group, layout", [("Q(3)", "2T1"), ("O(3)", "2X1"), ("O(3)", ""), (None, "T1")])
def test_heads_name_unknown_groups_and_layouts(head, group, layout, time_limit):
    result = outcome(lambda: head(group, layout), time_limit)
    assert isinstance(result, Exception)
    check(result, ["group", "layout"])


# -- the double pendulum -----------------------------------------------------------------

PARAMETERS = ["m1", "m2", "k1", "k2", "L1", "L2"]
VALUES = [1.0, 2.0, 0.0, -1.0, 1e-300, 1e-150, 1e150, 1e300, "1", None] + SPECIALS
STATE = np.array([0, 0, -1.5, 0, 0, -3, 0.1, 0, 0, 0, 0.2, 0.0])


@SOME
@given(
    parameters=st.dictionaries(st.sampled_from(PARAMETERS), st.sampled_from(VALUES), max_size=2),
    g=st.sampled_from([(0, 0, -1.0), (0, 0, 0), (0, 0, 1e300), (0, 0, np.nan), (0, -1), "down"]),
    exponent=st.sampled_from([-300, -150, -10, 0, 10, 150, 300]),
    state=st.sampled_from(["ok", "pivot", "together", "short", "nan"]),
)
def test_pendulum_trajectories(parameters, g, exponent, state, time_limit):
    z0 = {
        "ok": STATE * 10.0**exponent,
        "pivot": np.concatenate([np.zeros(3), STATE[3:]]),
        "together": np.concatenate([STATE[3:6], STATE[3:]]),
        "short": STATE[:9],
        "nan": np.where(np.arange(12) == 4, np.nan, STATE),
    }[state]

    def simulate():
        system = DoubleSpringPendulum(**parameters, g=g)
        return system.trajectory(z0, [0.0, 0.5, 1.0]), system.time_derivative(z0)

    names = [*parameters, "g", "t", "state", "states", "initial states", "step size"]
    check(outcome(simulate, time_limit), names, is_finite(z0))


@SOME
@given(times=st.sampled_from(["ok", "empty", "nan", "decreasing", "2-d", "meters", "ms", "text"]),
       rtol=st.sampled_from([1e-10, 0.0, -1.0, np.nan]))
def test_pendulum_times_and_tolerances(times, rtol, time_limit):
    units = pint.get_application_registry()
    t = {
        "ok": [0.0, 1.0], "empty": [], "nan": [0.0, np.nan], "decreasing": [1.0, 0.0], "2-d": [[0.0, 1.0]],
        "meters": np.array([0.0, 1.0]) * units.m, "ms": np.array([0.0, 100.0]) * units.ms, "text": ["0", "1"],
    }[times]
    result = outcome(lambda: DoubleSpringPendulum().trajectory(STATE, t, rtol=rtol), time_limit)
    check(result, ["t", "rtol"])


@pytest.mark.parametrize("method", ["hamiltonian", "angular_momentum", "time_derivative"])
@pytest.mark.parametrize("shape", [(2, 5), (13,), (0,)])
def test_pendulum_functions_of_states_of_the_wrong_shape(method, shape, time_limit):
    result = outcome(lambda: getattr(DoubleSpringPendulum(), method)(np.ones(shape)), time_limit)
    assert isinstance(result, ValueError)  # (13,) used to use the first 12 numbers silently
    check(result, ["states"])


@FEW
@given(
    name=st.sampled_from(["n_train", "n_test", "chunk_len", "dt", "duration", "seed", "variant", "test"]),
    value=st.sampled_from([0, -1, 2.5, np.nan, np.inf, "2", None, "triple"]),
)
def test_pendulum_data_settings(name, value, time_limit):
    settings_ = {**dict(n_train=2, n_test=1, duration=1.0, cache=False), name: value}

    def generate():
        data = pendulum_data(**settings_)
        return data.train, data.test

    check(outcome(generate, time_limit), [name, "chunk_len"])


# -- representations and group names (issue 28) ------------------------------------------

@pytest.mark.parametrize("make_rep, element", [
    (lambda: rep("2T1", "O(3)") * rep("T1", "SO(3)"), np.eye(3)),  # used to give a (12, 18) matrix
    (lambda: rep("4T1", "S(4)xO(3)"), np.eye(3)),  # used to give (2, 9)
    (lambda: rep("4T1", "S(4)xO(3)"), (np.eye(3), np.eye(3))),
    (lambda: rep("4T1", "S(4)xO(3)"), (np.eye(4),)),
])
def test_a_product_rep_takes_an_element_of_the_product_group(make_rep, element):
    R = make_rep()
    with pytest.raises(ValueError, match=rf"representation .* takes one element of the group {re.escape(R.group.name)}, "
                                         r"a tuple of 2 elements of its factors"):
        R.rho(element)
    g = R.group.sample(rng=0)
    assert R.rho(g).shape == (R.size, R.size)


def test_a_rep_names_the_shape_of_an_element_of_its_group():
    with pytest.raises(ValueError, match=r"2T1\(O\(3\)\) takes one element of the group O\(3\), an array of shape "
                                         r"\(3, 3\); got ndarray of shape \(4, 4\)"):
        rep("2T1", "O(3)").rho(np.eye(4))
    with pytest.raises(ValueError, match=r"Lie algebra element of O\(3\) acting on 3 columns"):
        rep("T2", "O(3)").drho(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"tuple of 2 elements, one of each of S\(3\), O\(3\)"):
        rep("3T1", "S(3)xO(3)").drho(np.zeros((3, 3)))


@pytest.mark.parametrize("name, cause", [
    ("S(4)x", "a product needs a group on each side of 'x'"),
    ("xO(3)", "use 'O(d)'"),
    ("S(4)xQ(3)", "its factor 'Q(3)' is not a group"),
])
def test_a_malformed_product_name_is_named_whole(name, cause):
    with pytest.raises(ValueError, match=rf"unknown group {re.escape(repr(name))}: .*{re.escape(cause)}"):
        get_group(name)


# -- averaging (issue 28) ----------------------------------------------------------------

ROWS = np.random.default_rng(0).standard_normal((5, 9))  # three vectors (or points) in 3-D


@pytest.mark.parametrize("n_samples", [0, -3, 2.5, True, "16"])
def test_group_averages_name_a_bad_n_samples(n_samples):
    with pytest.raises(ValueError, match=rf"n_samples must be a positive integer .* got {re.escape(repr(n_samples))}"):
        GroupAverage("O(3)", "3T1", n_samples=n_samples)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        GroupAveraging(torch.nn.Identity(), "O(3)", "3T1", n_samples=n_samples)
    averaging = GroupAveraging(torch.nn.Identity(), "O(3)", "3T1")
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        averaging.n_samples = n_samples


def test_the_spread_of_one_haar_draw_is_an_error_not_zero():
    with pytest.raises(ValueError, match=r"spread needs n_samples >= 2 Haar draws of O\(3\) .* got n_samples=1"):
        GroupAverage("O(3)", "3T1", n_samples=1).spread(lambda X: X[:, :3], ROWS)
    assert np.all(GroupAverage("O(3)", "3T1", n_samples=2, random_state=0).spread(lambda X: X[:, :3], ROWS) > 0)
    np.testing.assert_array_equal(GroupAverage("S(3)", "3T1", n_samples=1).spread(lambda X: X[:, :3], ROWS), 0.0)


@pytest.mark.parametrize("average", [FrameAverage("O(3)", "3T1", output="T1"), GroupAverage("O(3)", "3T1", output="T1")])
@pytest.mark.parametrize("func, returned", [
    (lambda X: X[:3, :3], r"\(3, 3\)"),  # too few rows
    (lambda X: 1.0, r"\(\)"),  # a scalar
    (lambda X: X[:, 0], r"\(\d+,\)"),  # one column for a vector output
])
def test_averages_name_the_shape_of_what_func_returns(average, func, returned):
    match = rf"func must .*returned shape {returned}; expected \(\d+, \.\.\.\) with 3 columns \(output 'T1' of O\(3\)\)"
    if returned == r"\(\d+,\)":
        match = r"output 'T1' of O\(3\) has 3 columns, but func returns shape \(\) per row"
    with pytest.raises(ValueError, match=match):
        average(func, ROWS)


@pytest.mark.parametrize("output", ["T0", "T1"])
def test_a_frame_average_of_inf_is_an_error_not_nan(output):
    bad = lambda X: np.where(np.arange(len(X))[:, None] % 8 == 3, np.inf, X[:, :3])  # noqa: E731
    with pytest.raises(ValueError, match=r"func returned inf or NaN for the transformed inputs of samples \[0, 1, 2, 3, 4\]"):
        FrameAverage("O(3)", "3T1", output=output)(bad, ROWS)


def test_a_group_average_of_a_nan_sample_is_nan_there_only():
    X = ROWS.copy()
    X[1, 2] = np.nan
    average = GroupAverage("O(3)", "3T1", output="T1", random_state=0)(lambda X: X[:, :3], X)
    assert np.isnan(average[1]).all() and np.isfinite(np.delete(average, 1, axis=0)).all()


def test_a_frame_average_names_the_samples_that_are_not_finite():
    X = ROWS.copy()
    X[2, 1], X[4, 0] = np.nan, -np.inf
    with pytest.raises(ValueError, match=r"X contains NaN or inf in samples \[2, 4\]: a frame is built from finite inputs"):
        FrameAverage("E(3)", "3P")(lambda X: X[:, 0], X)  # used to be LinAlgError: Eigenvalues did not converge


@pytest.mark.parametrize("group, layout", [("O(3)", "3T1"), ("SO(3)", "3T1"), ("E(3)", "3P"), ("SE(3)", "3P"), ("S(3)xE(3)", "3P")])
@pytest.mark.parametrize("scale", [1e200, 1e-200, 1e300])
def test_frames_of_huge_and_tiny_inputs_are_those_of_the_rescaled_inputs(group, layout, scale):
    average = FrameAverage(group, layout, output="T1")
    linear = lambda X: 2 * X[:, :3] - X[:, 3:6]  # noqa: E731
    np.testing.assert_allclose(average(linear, ROWS * scale) / scale, average(linear, ROWS), atol=1e-13)


# -- dask (issue 28) ---------------------------------------------------------------------

@pytest.mark.parametrize("method, row, value", [("featurize", 510, np.nan), ("featurize", 777, 1e200),
                                                ("predict", 777, 1e200), ("predict", 3, np.inf)])
def test_dask_errors_name_the_row_of_the_whole_array(method, row, value):
    da = pytest.importorskip("dask.array")
    from scalars import parallel

    X = np.random.default_rng(0).standard_normal((1000, 7))
    model = (InvariantFeatures if method == "featurize" else EquivariantRegressor)(group="O(3)", layout="T0+2T1")
    model = model.fit(X, X[:, 0]) if method == "predict" else model.fit(X)
    X[row, 1:4] *= value
    start = row // 250 * 250
    with pytest.raises(ValueError, match=rf"failed on row {row} of X \(its chunk starts at row {start}, "):
        getattr(parallel, method)(model, da.from_array(X, chunks=(250, -1))).compute(scheduler="synchronous")


# -- the sparse Hamiltonian (issue 28) ---------------------------------------------------

@pytest.fixture(scope="module")
def three_bodies():
    from scalars.dynamics import NBodySystem, trajectory_data

    system = NBodySystem([1.0, 1.5, 0.5], softening=0.5)
    return system, trajectory_data(system, 6, 1, dt=0.1, duration=1.0, cache=False)


def _chunks(train):
    """``train`` with the chunks given as functions of the originals."""
    return {
        "none": train[:0],
        "nan": np.where(np.arange(train.size).reshape(train.shape) == 40, np.nan, train),
        "motionless": np.repeat(train[:, :1], train.shape[1], axis=1),
    }


@pytest.mark.parametrize("case, match", [
    ("none", r"data.train must hold chunks of shape \(n >= 1, C, state_size\), got shape \(0, 5, 18\)"),
    ("nan", r"data.train has NaN or inf in chunks \[0\]"),  # used to be a bare StopIteration
    ("motionless", r"no chunk of data.train moves"),  # used to be "zero-size array"
])
def test_sparse_hamiltonian_names_what_is_wrong_with_the_chunks(three_bodies, case, match):
    import dataclasses

    from scalars.dynamics import SparseHamiltonian

    system, data = three_bodies
    with pytest.raises(ValueError, match=match):
        SparseHamiltonian(system).fit(dataclasses.replace(data, train=_chunks(data.train)[case]))


def test_sparse_hamiltonian_says_what_fit_takes_and_that_it_is_not_fitted(three_bodies):
    from sklearn.exceptions import NotFittedError

    from scalars.dynamics import SparseHamiltonian

    system, data = three_bodies
    with pytest.raises(TypeError, match=r"fit takes a TrajectoryData \(trajectory_data\) .* got ndarray"):
        SparseHamiltonian(system).fit(data.train)
    with pytest.raises(TypeError, match=r"fit takes a PendulumData \(pendulum_data\) with the fields train, t_chunk, "
                                        r"train_params, train_g; got TrajectoryData"):
        SparseHamiltonian().fit(data)
    for call in (lambda m: m.to_sympy(), lambda m: m.hamiltonian(data.train[0]), lambda m: m.rollout(data.train[0, 0], [0, 1.0])):
        with pytest.raises(NotFittedError, match="SparseHamiltonian is not fitted yet"):
            call(SparseHamiltonian(system))


# -- EMLP (issue 28) ---------------------------------------------------------------------

@pytest.mark.parametrize("hidden, layers, match", [
    (-5, 3, "hidden must be a positive number of channels, a Rep, or a sequence of them; got -5"),
    ([16, 0], 3, "hidden must be .* got 0"),
    ("wide", 3, "hidden must be .* got 'wide'"),
    (16, -1, "layers must be a non-negative integer, got -1"),
])
def test_emlp_names_bad_hidden_layers(hidden, layers, match):
    from scalars.nn import EMLP

    with pytest.raises(ValueError, match=match):
        EMLP("2T1", "T0", "O(3)", hidden=hidden, layers=layers)


@pytest.mark.parametrize("x, error, match", [
    (torch.ones(4, 5), ValueError, r"input representation 2T1\(O\(3\)\) has 6 columns, but x has shape \(4, 5\)"),
    (torch.ones(()), ValueError, r"has 6 columns, but x has shape \(\)"),
    (np.ones((4, 6)), TypeError, r"takes a torch tensor of shape \(\.\.\., 6\) for its input representation 2T1\(O\(3\)\), "
                                 r"got ndarray"),
    (torch.ones(4, 6, dtype=torch.float64), TypeError, r"computes in torch.float32, but x is torch.float64"),
])
def test_emlp_names_its_representation_and_dtype_for_bad_inputs(x, error, match):
    from scalars.nn import EMLP

    net = EMLP("2T1", "T0", "O(3)", hidden=16, layers=1)
    with pytest.raises(error, match=match):
        net(x)
    assert net(torch.ones(4, 6)).shape == (4, 1)


def test_emlp_says_when_its_hidden_channels_allow_scalars_only():
    from scalars.nn import EMLP

    G = "S(4)xO(3)"
    with pytest.raises(ValueError, match=r"hidden=16 gives a hidden layer of scalars only: uniform_rep\(16, 'S\(4\)xO\(3\)'\) "
                                         r"is 16T0 .* Use at least 24 channels"):
        EMLP(rep("4T0+4T1", G), rep("4T1", G), G, hidden=16)
    EMLP(rep("4T0+4T1", G), rep("4T1", G), G, hidden=24, layers=1)


def test_emlp_warns_when_its_only_equivariant_output_is_zero():
    from scalars.nn import EMLP

    with pytest.warns(UserWarning, match=r"O\(3\) acts trivially on the input 3T0 .* to T1 is zero"):
        net = EMLP("3T0", "T1", "O(3)", hidden=16, layers=1)
    assert torch.all(net(torch.randn(5, 3)) == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EMLP("3T0", "T0", "O(3)", hidden=8, layers=1)
        EMLP("T0+T1", "T1", "O(3)", hidden=8, layers=1)


# -- fuzzing the newer modules (issue 28) ------------------------------------------------

REP_GROUPS = {"O(3)": "2T1+T0", "SO(3)": "T2", "E(3)": "2P+T1", "U(2)": "T1", "S(3)": "T(1,1)", "O(1,3)": "T1",
              "S(3)xO(3)": "3T0+3T1"}


def _elements(group):
    """Good and bad elements for ``rep.rho``: (name, element)."""
    identity = group.identity()
    single = identity[1] if isinstance(identity, tuple) else identity
    return {
        "identity": identity, "sample": group.sample(rng=0),
        "as list": list(identity) if isinstance(identity, tuple) else identity.tolist(),
        "too big": np.eye(len(single) + 1), "scalar": 1.0, "text": "g", "none": None,
        "one part": (single,), "three parts": (single, single, single),
    }


@SOME
@given(name=st.sampled_from(sorted(REP_GROUPS)), kind=st.sampled_from(sorted(_elements(get_group("O(3)")))))
def test_reps_take_one_element_of_their_group(name, kind, time_limit):
    group = get_group(name)
    R = rep(REP_GROUPS[name], group)
    result = outcome(lambda: R.rho(_elements(group)[kind]), time_limit)
    good = kind in ("identity", "sample", "as list")
    if not good or isinstance(result, Exception):
        assert not good and isinstance(result, ValueError), result
        check(result, ["representation"])
        assert name in str(result)
    elif kind == "sample":
        assert result.shape == (R.size, R.size) and np.isfinite(result).all()
    else:
        np.testing.assert_allclose(result, np.eye(R.size), atol=1e-12)


def _cube(X):
    return X[:, :3] ** 3


FUNCS = {
    "linear": lambda X: 2 * X[:, :3] - X[:, 3:6],
    "cube": _cube,
    "inf": lambda X: np.full((len(X), 3), np.inf),
    "rows": lambda X: X[:2, :3],
    "scalar": lambda X: 0.0,
    "torch": lambda X: torch.as_tensor(X[:, :3]),
}


@SOME
@given(
    average=st.sampled_from(["group", "frame"]),
    group=st.sampled_from(["O(3)", "SO(3)", "E(3)", "S(3)", "S(3)xE(3)"]),
    func=st.sampled_from(sorted(FUNCS)),
    X=st.integers(0, 5).flatmap(lambda n: numbers((n, 9))),
)
def test_averages_of_any_function(average, group, func, X, time_limit):
    layout = "3P" if "E" in group else "3T1"
    make = GroupAverage if average == "group" else FrameAverage
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = outcome(lambda: make(group, layout, output="T1" if group != "S(3)" else "T0")(FUNCS[func], X), time_limit)
    finite_func = func in ("linear", "torch") or (func == "cube" and is_finite(X.astype(float) ** 3))
    check(result, ["X", "func", "samples"], is_finite(X) and finite_func)
    if not isinstance(result, Exception) and func == "linear" and is_finite(X) and len(X):
        assert result.shape[0] == len(X)


@SOME
@given(
    shape=st.sampled_from([(4, 6), (4, 5), (6,), (), (2, 3, 6), (0, 6)]),
    dtype=st.sampled_from([torch.float32, torch.float64, torch.int64, "numpy"]),
    special=st.sampled_from([None] + SPECIALS),
)
def test_emlp_inputs(shape, dtype, special, time_limit):
    from scalars.nn import EMLP

    torch.manual_seed(0)
    net = EMLP("2T1", "T0+T1", "O(3)", hidden=16, layers=1)
    x = torch.randn(shape)
    if special is not None and x.numel():
        x.view(-1)[0] = special
    x = x.numpy() if dtype == "numpy" else x.to(dtype)
    result = outcome(lambda: net(x), time_limit)
    check(result, ["x", "representation"], is_finite(np.asarray(x, dtype=float)))
    if not isinstance(result, Exception):
        assert result.shape == shape[:-1] + (4,)


@FEW
@given(name=st.sampled_from(["tolerance", "threshold", "max_denominator", "names"]),
       value=st.sampled_from([-1.0, 0.0, 0.5, 2.0, np.nan, np.inf, "1", None, 0, 3, ["a"]]))
def test_to_sympy_options(name, value, time_limit):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 6))
    model = EquivariantRegressor(group="O(3)", layout="2T1").fit(X, (X[:, :3] ** 2).sum(1))
    result = outcome(lambda: model.to_sympy(**{name: value}), time_limit)
    check(result, [name], finite_input=False)  # a law is a sympy expression
    if not isinstance(result, Exception) and name != "names":
        assert {str(s) for s in result.free_symbols} <= {"<v0,v0>", "<v0,v1>", "<v1,v1>"}


@FEW
@given(X=st.integers(1, 12).flatmap(lambda n: numbers((n, 7), dtype="float64")), chunk=st.integers(1, 5))
def test_dask_featurize_is_transform_or_names_the_row(X, chunk, time_limit):
    da = pytest.importorskip("dask.array")
    from scalars.parallel import featurize

    features = InvariantFeatures(group="O(3)", layout="T0+2T1").fit(np.ones((2, 7)))
    expected = outcome(lambda: features.transform(X), time_limit)
    result = outcome(lambda: featurize(features, da.from_array(X, chunks=(chunk, -1))).compute(scheduler="sync"), time_limit)
    if isinstance(expected, Exception):  # the row named fails alone, the rows before it in its chunk do not
        named = re.search(r"failed on row (\d+) of X \(its chunk starts at row (\d+)", str(result))
        assert isinstance(result, ValueError) and named, result
        row, start = int(named[1]), int(named[2])
        assert isinstance(outcome(lambda: features.transform(X[row : row + 1]), time_limit), ValueError)
        assert start <= row and (row == start or not isinstance(outcome(lambda: features.transform(X[start:row]), time_limit), Exception))
    else:
        np.testing.assert_array_equal(result, expected)


@FEW
@given(
    masses=st.sampled_from([[1.0, 2.0], [1.0, -1.0], [1.0, 0.0], [1.0, np.nan], [], 1.0, [[1.0, 2.0]], ["a", "b"]]),
    softening=st.sampled_from([0.0, 0.5, -1.0, np.nan, np.inf, "x"]),
    state=st.sampled_from(["ok", "together", "nan", "short"]),
)
def test_nbody_systems(masses, softening, state, time_limit):
    from scalars.dynamics import NBodySystem

    z0 = {"ok": np.array([0, 0, 0, 1, 0, 0, 0, 0.5, 0, 0, -0.5, 0.0]), "together": np.zeros(12),
          "nan": np.full(12, np.nan), "short": np.zeros(5)}[state]

    def simulate():
        system = NBodySystem(masses, softening=softening)
        return system.trajectory(z0, [0.0, 0.1]), system.hamiltonian(z0)

    check(outcome(simulate, time_limit), ["masses", "softening", "states", "state", "z0", "initial states", "G"],
          is_finite(z0))
