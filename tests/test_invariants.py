import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scalars import invariants as inv


def random_vectors(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("shape", [(7, 5, 3), (2, 3, 4, 2), (1, 1, 6), (0, 4, 3), (130, 20, 7)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gram_upper_matches_einsum(shape, dtype):
    V = random_vectors(shape, dtype=dtype)
    rows, cols = np.triu_indices(shape[-2])
    expected = np.einsum("...id,...jd->...ij", V.astype(np.float64), V.astype(np.float64))[..., rows, cols]
    got = inv.gram_upper(V)
    assert got.dtype == dtype and got.shape == shape[:-2] + (len(rows),)
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


def test_gram_upper_non_contiguous_and_out():
    V = random_vectors((50, 4, 6))[:, :, ::2]
    out = np.full((50, 10), np.nan)
    result = inv.gram_upper(V, out=out)
    assert result is out
    np.testing.assert_allclose(out, inv.gram(V)[:, *np.triu_indices(4)], rtol=1e-13)


@pytest.mark.parametrize("metric", [np.array([1.0, -1.0, -1.0, -1.0]), np.diag([1.0, -1.0, -1.0, -1.0])])
def test_minkowski_products(metric):
    V = random_vectors((9, 3, 4))
    t, x = V[..., 0], V[..., 1:]
    expected = t[:, :, None] * t[:, None, :] - np.einsum("bid,bjd->bij", x, x)
    np.testing.assert_allclose(inv.gram(V, metric=metric), expected, rtol=1e-12)
    np.testing.assert_allclose(inv.gram_upper(V, metric=metric), expected[:, *np.triu_indices(3)], rtol=1e-12)


SYMPLECTIC = np.block([[np.zeros((2, 2)), np.eye(2)], [-np.eye(2), np.zeros((2, 2))]])


@pytest.mark.parametrize("metric", [random_vectors((4, 4), seed=1), SYMPLECTIC], ids=["random", "symplectic"])
@pytest.mark.parametrize("backend", [np.asarray, torch.as_tensor])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_full_non_symmetric_metric_is_used_as_given_not_transposed(metric, backend, dtype):
    V, W = random_vectors((6, 3, 4), seed=2), random_vectors((6, 5, 4), seed=3)
    V_, W_, M_ = (backend(a.astype(dtype)) for a in (V, W, metric))
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    got = inv.gram(V_, W_, metric=M_)
    assert type(got) is type(V_) and got.dtype == V_.dtype
    for got, second in ((got, W), (inv.gram(V_, metric=M_), V)):  # <v_i, w_j> = v_i^T M w_j
        expected = np.einsum("bid,de,bje->bij", V, metric, second)
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=tolerance, atol=tolerance)


def test_determinants_of_every_subset():
    V = random_vectors((4, 5, 3))
    dets = inv.determinants(V)
    assert dets.shape == (4, 10)
    subsets = inv.subset_indices(5, 3)
    for k, subset in enumerate(subsets):
        np.testing.assert_allclose(dets[:, k], np.linalg.det(V[:, subset]), rtol=1e-12)
    assert inv.determinants(random_vectors((4, 2, 3))).shape == (4, 0)


def test_cross_products_in_3d():
    V = random_vectors((6, 3, 3))
    crosses = inv.cross_products(V)
    for k, (i, j) in enumerate(inv.subset_indices(3, 2)):
        np.testing.assert_allclose(crosses[:, k], np.cross(V[:, i], V[:, j]), rtol=1e-12, atol=1e-14)


@settings(max_examples=25, deadline=None)
@given(d=st.integers(2, 5), seed=st.integers(0, 2**31))
def test_cross_product_is_the_determinant_functional(d, seed):
    V = random_vectors((d - 1, d), seed)
    w = random_vectors((d,), seed + 1)
    (c,) = inv.cross_products(V)
    np.testing.assert_allclose(c @ w, np.linalg.det(np.vstack([V, w])), rtol=1e-9, atol=1e-12)


def test_symplectic_products():
    V = random_vectors((3, 4, 6))
    J = np.block([[np.zeros((3, 3)), np.eye(3)], [-np.eye(3), np.zeros((3, 3))]])
    full = V @ J @ np.swapaxes(V, -1, -2)
    np.testing.assert_allclose(inv.symplectic_products(V), full[:, *np.triu_indices(4, 1)], rtol=1e-12)
    with pytest.raises(ValueError, match="even dimension"):
        inv.symplectic_products(random_vectors((3, 4, 5)))


def test_hermitian_products():
    V = random_vectors((3, 4, 2)) + 1j * random_vectors((3, 4, 2), seed=1)
    H = inv.hermitian_products(V)
    for k, (i, j) in enumerate(zip(*np.triu_indices(4))):
        np.testing.assert_allclose(H[:, k], np.sum(V[:, i].conj() * V[:, j], axis=-1), rtol=1e-12)


@pytest.mark.parametrize(
    "kernel, complex_",
    [
        (inv.gram_upper, False),
        (inv.determinants, False),
        (inv.cross_products, False),
        (inv.symplectic_products, False),
        (inv.hermitian_products, True),
    ],
)
def test_torch_agrees_with_numpy_and_is_differentiable(kernel, complex_):
    V = random_vectors((5, 4, 4))
    if complex_:
        V = V + 1j * random_vectors((5, 4, 4), seed=3)
    T = torch.tensor(V, requires_grad=True)
    out = kernel(T)
    assert isinstance(out, torch.Tensor) and out.dtype == T.dtype
    np.testing.assert_allclose(out.detach().numpy(), kernel(V), rtol=1e-10, atol=1e-12)
    torch.autograd.gradcheck(lambda x: kernel(x).abs() if complex_ else kernel(x), (T[:2].detach().requires_grad_(),))


def test_torch_float32_stays_float32():
    T = torch.randn(3, 4, 3, dtype=torch.float32)
    assert inv.gram_upper(T).dtype == torch.float32
    assert inv.gram_upper(T, metric=np.array([1.0, -1.0, -1.0])).dtype == torch.float32


def test_gram_upper_fills_a_non_contiguous_out():
    V = random_vectors((20, 3, 4))
    storage = np.full((20, 9), np.nan)
    out = storage[:, 2:8]  # a column slice: not C-contiguous
    assert not out.flags.c_contiguous
    result = inv.gram_upper(V, out=out)
    assert result is out
    np.testing.assert_allclose(storage[:, 2:8], inv.gram(V)[:, *np.triu_indices(3)], rtol=1e-13)
    assert np.isnan(storage[:, :2]).all() and np.isnan(storage[:, 8:]).all()


@pytest.mark.parametrize("metric", [None, np.diag([1.0, -1.0, -1.0, -1.0])])
def test_gram_upper_rejects_a_wrong_out(metric):
    V = random_vectors((20, 3, 4))
    with pytest.raises(ValueError, match=r"shape \(20, 6\) and dtype float64.*got shape \(20, 5\)"):
        inv.gram_upper(V, metric=metric, out=np.empty((20, 5)))
    with pytest.raises(ValueError, match="dtype float64.*got shape \\(20, 6\\) and dtype float32"):
        inv.gram_upper(V, metric=metric, out=np.empty((20, 6), np.float32))
    with pytest.raises(TypeError, match="numpy"):
        inv.gram_upper(torch.tensor(V), metric=metric, out=np.empty((20, 6)))


@pytest.mark.parametrize("metric", [np.ones(2), np.ones(4), np.eye(2), np.ones((3, 4)), np.ones((3, 3, 3))])
@pytest.mark.parametrize("backend", [np.asarray, torch.tensor])
def test_metric_of_the_wrong_shape_is_rejected(metric, backend):
    V = backend(random_vectors((5, 2, 3)))
    for kernel in (inv.gram, inv.gram_upper):
        with pytest.raises(ValueError, match=r"metric must have shape \(3,\) or \(3, 3\)"):
            kernel(V, metric=metric)


@pytest.mark.parametrize("backend", [np.asarray, torch.tensor])
def test_no_vectors_give_empty_results(backend):
    V = backend(np.zeros((10, 0, 4)))
    assert tuple(inv.gram(V).shape) == (10, 0, 0)
    assert tuple(inv.gram_upper(V).shape) == (10, 0)
    assert tuple(inv.gram_upper(V, metric=np.array([1.0, -1, -1, -1])).shape) == (10, 0)
    assert tuple(inv.determinants(V).shape) == (10, 0)
    assert tuple(inv.cross_products(V).shape) == (10, 0, 4)
    assert tuple(inv.symplectic_products(V).shape) == (10, 0)
    assert tuple(inv.hermitian_products(V * 1j).shape) == (10, 0)


def test_no_vectors_with_out():
    out = np.empty((10, 0))
    assert inv.gram_upper(np.zeros((10, 0, 3)), out=out) is out


def test_invariant_features_of_scalars_only():
    import scalars

    X = random_vectors((10, 3))
    features = scalars.InvariantFeatures(group="O(3)", layout="3T0")
    np.testing.assert_array_equal(features.fit_transform(X), X)
    assert features.get_feature_names_out().tolist() == ["s0", "s1", "s2"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("metric", [None, np.array([1.0, -1.0, -1.0])])
def test_gram_upper_flat_reads_vectors_and_scalars_in_place(dtype, metric):
    X = random_vectors((130, 11), dtype=dtype)  # columns: v0 = 0..2, s = 3, v1 = 4..6, s = 7, v2 = 8..10
    starts, scalars = [0, 4, 8], [7, 3]
    V = X[:, [[0, 1, 2], [4, 5, 6], [8, 9, 10]]].astype(np.float64)
    gram = inv.gram(V, metric=metric)[:, *np.triu_indices(3)]
    out = np.full((130, 10), np.nan, dtype)
    assert inv.gram_upper_flat(X, starts, 3, metric, scalars, out=out, offset=3) is out
    np.testing.assert_array_equal(out[:, :2], X[:, scalars])
    assert np.isnan(out[:, 2]).all() and np.isnan(out[:, 9]).all()  # untouched
    np.testing.assert_allclose(out[:, 3:9], gram, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    allocated = inv.gram_upper_flat(np.asfortranarray(X), starts, 3, metric, scalars)
    assert allocated.dtype == dtype and allocated.shape == (130, 8)
    np.testing.assert_array_equal(allocated, out[:, [0, 1, 3, 4, 5, 6, 7, 8]])


def test_gram_upper_flat_agrees_with_gram_upper():
    V = random_vectors((70, 6, 4))
    flat = inv.gram_upper_flat(V.reshape(70, 24), np.arange(6) * 4, 4)
    np.testing.assert_array_equal(flat, inv.gram_upper(V))
    assert inv.gram_upper_flat(np.ones((5, 2)), [], 3, scalars=[1]).shape == (5, 1)  # scalars only


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"starts": [0, 5]}, ValueError, r"columns \[0, 5\] .* must lie in the 7 columns of X"),
        ({"scalars": [7]}, ValueError, r"scalars at columns \[7\] must lie"),
        ({"metric": np.eye(3)}, ValueError, r"metric must be None or a diagonal of shape \(3,\)"),
        ({"out": np.empty((10, 3))}, ValueError, r"shape \(10, >= 4\).*got ndarray of shape \(10, 3\)"),
        ({"out": np.empty((10, 4), np.float32)}, ValueError, "dtype float64.*dtype float32"),
        ({"out": np.empty((10, 8))[:, :4]}, ValueError, "C-contiguous"),
        ({"offset": -1}, ValueError, "offset -1"),
        ({"X": np.ones((10, 7), np.int64)}, TypeError, "float32 or float64, got ndarray.*int64"),
        ({"X": torch.ones(10, 7)}, TypeError, "numpy array.*got Tensor"),
    ],
)
def test_gram_upper_flat_names_bad_arguments(kwargs, error, message):
    arguments = {"X": np.ones((10, 7)), "starts": [0, 3], "d": 3, "scalars": [6], **kwargs}
    with pytest.raises(error, match=message):
        inv.gram_upper_flat(**arguments)


def test_gram_upper_flat_checks_finiteness_on_request():
    X = random_vectors((200, 7))
    X[150, 5] = np.nan
    assert np.isnan(inv.gram_upper_flat(X, [0, 3], 3, scalars=[6])[150]).sum() == 2  # <v0,v1>, <v1,v1>
    with pytest.raises(ValueError, match=r"X contains NaN \(in 1 rows; the first is row 150\)"):
        inv.gram_upper_flat(X, [0, 3], 3, scalars=[6], check_finite=True)
    X[150, 5], X[3, 6], X[9, 0] = 0.0, np.inf, -np.inf
    with pytest.raises(ValueError, match=r"X contains infinity \(in 2 rows; the first is row 3\)"):
        inv.gram_upper_flat(X, [0, 3], 3, scalars=[6], check_finite=True)
    large = np.full((3, 6), 1e153)  # the sum of everything read overflows, no Gram entry does
    np.testing.assert_allclose(inv.gram_upper_flat(large, [0, 3], 3, check_finite=True), 3e306)
    with pytest.raises(ValueError, match="Gram entries of finite X overflow float64 .*first is row 0"):
        inv.gram_upper_flat(np.full((3, 6), 1e308), [0, 3], 3, check_finite=True)
    with pytest.raises(ValueError, match=r"gram_upper_flat overflows float64: <v0,v0> at sample \(0,\)"):
        inv.gram_upper_flat(np.full((3, 6), 1e308), [0, 3], 3)  # without check_finite too


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint8, np.int64, bool])
@pytest.mark.parametrize(
    "kernel", [inv.gram, inv.gram_upper, inv.symplectic_products, inv.determinants, inv.cross_products]
)
def test_integer_and_boolean_vectors_are_promoted_to_float64(kernel, dtype):
    V = np.random.default_rng(0).integers(0, 2 if dtype is bool else 100, (6, 3, 4)).astype(dtype)
    got = kernel(V)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, kernel(V.astype(np.float64)))  # int8 100 * 100 no longer wraps to 16


def test_integer_vectors_need_a_float64_out():
    V = np.full((2, 2, 3), 100, dtype=np.int8)
    np.testing.assert_array_equal(inv.gram_upper(V, out=np.empty((2, 3))), np.full((2, 3), 30000.0))
    with pytest.raises(ValueError, match="dtype float64"):
        inv.gram_upper(V, out=np.empty((2, 3), np.int8))


def test_torch_integer_vectors_are_promoted_to_float64():
    T = torch.full((2, 2, 3), 100, dtype=torch.int8)
    assert inv.gram_upper(T).dtype == torch.float64
    np.testing.assert_array_equal(inv.gram_upper(T).numpy(), np.full((2, 3), 30000.0))


def _products_kernels():
    """Every numpy kernel, called on vectors (..., 3, 3), with its degree in the vectors."""
    return [
        ("gram_upper", inv.gram_upper, 2),
        ("gram_upper", lambda V: inv.gram_upper(V, metric=np.array([1.0, -1.0, -1.0])), 2),
        ("gram_upper", lambda V: inv.gram_upper(V, metric=np.diag([1.0, -1.0, -1.0])), 2),
        ("gram_upper", lambda V: inv.gram_upper(V, out=np.empty(V.shape[:-2] + (6,), V.dtype)), 2),
        ("gram", inv.gram, 2),
        ("gram", lambda V: inv.gram(V[..., :2, :], V), 2),
        ("determinants", inv.determinants, 3),
        ("cross_products", inv.cross_products, 2),
        ("hermitian_products", lambda V: inv.hermitian_products(V * (1 + 1j)), 2),
    ]


@pytest.mark.parametrize("name, kernel, degree", _products_kernels())
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_overflow_of_finite_vectors_is_an_error_naming_the_product(name, kernel, degree, dtype):
    V = random_vectors((4, 3, 3), dtype=dtype)
    V[2] *= np.sqrt(np.finfo(dtype).max) ** (2 / degree) * 1e3
    with pytest.raises(ValueError, match=rf"{name} overflows {np.dtype(dtype).name}: \S+ at sample \(2,\)"):
        kernel(V)


def test_symplectic_overflow_is_an_error():
    V = random_vectors((4, 3, 4))
    V[1] *= 1e160
    with pytest.raises(ValueError, match=r"symplectic_products overflows float64: omega\(v0,v1\) at sample \(1,\)"):
        inv.symplectic_products(V)


@pytest.mark.parametrize("name, kernel, degree", _products_kernels())
def test_non_finite_input_passes_through_without_error(name, kernel, degree):
    V = random_vectors((4, 3, 3))
    V[0, 0, 0], V[1, 2, 1] = np.nan, np.inf
    out = np.asarray(kernel(V))
    assert not np.isfinite(out[:2]).all() and np.isfinite(out[2:]).all()


@pytest.mark.parametrize("name, kernel, degree", _products_kernels())
def test_subnormal_results_warn_of_lost_precision(name, kernel, degree):
    V = random_vectors((4, 3, 3))
    V[3] *= 1e-316 ** (1 / degree)  # products of ~1e-316 keep about 30 of their 53 bits
    with pytest.warns(RuntimeWarning, match=rf"{name}: .*subnormal.*precision.*sample \(3,\)"):
        kernel(V)


def test_ordinary_and_zero_vectors_do_not_warn():
    V = random_vectors((40, 3, 3))
    V[5] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _, kernel, _ in _products_kernels():
            kernel(V)


@pytest.mark.parametrize("kernel", [inv.gram, inv.gram_upper, inv.determinants, inv.cross_products,
                                    inv.symplectic_products, inv.hermitian_products])
@pytest.mark.parametrize("backend", [np.asarray, torch.tensor])
def test_arrays_that_are_not_vectors_are_named(kernel, backend):
    for V in (np.ones(4), np.ones((3, 2, 0))):
        with pytest.raises(ValueError, match=r"V must be vectors of shape \(\.\.\., n, d\) with d >= 1, got shape"):
            kernel(backend(V))
    with pytest.raises(TypeError, match="V must hold numbers, got an array of dtype <U1"):
        kernel(np.array([["a", "b"]]))


def test_nested_lists_are_vectors():
    np.testing.assert_array_equal(inv.gram_upper([[1, 2], [3, 4]]), [1 + 4, 3 + 8, 9 + 16])


def test_a_metric_with_nan_is_named_and_vectors_must_match():
    V = random_vectors((2, 3, 2))
    with pytest.raises(ValueError, match="metric must be finite"):
        inv.gram_upper(V, metric=np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"V and W must have vectors of one dimension"):
        inv.gram(V, random_vectors((2, 3, 3)))
