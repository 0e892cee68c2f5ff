"""Assertions that a function is invariant or equivariant under random group elements.

For the project's tests and for users' own models::

    from scalars.testing import assert_equivariant
    assert_equivariant(model, X)      # a fitted estimator or module carries its reps
    assert_equivariant(model.predict, "O(3)", X, layout="5T0+5T1", output="T1")
    assert_equivariant(model.predict, "S(5)xO(3)", X, layout="5T0+5T1", output="5T1")

Each assertion draws random elements ``g`` of the group, transforms the inputs by their
representation (``layout``: a string or a :class:`scalars.reps.Rep`; scalars stay as they
are, vectors rotate, particles permute under ``S(k) x G``, points of E(d) translate) and
compares ``func(g . x)`` with ``func(x)`` (invariance) or with ``g . func(x)``
(equivariance, ``output`` a string or Rep). ``g`` is applied in the precision of the array
it acts on, so a float32 model sees float32 inputs. The tolerance follows the lower
precision of input and output: about 1e-10 in double precision and 1e-4 in single,
relative to the output's largest magnitude. Inputs may be numpy arrays, torch tensors or,
for flat rows, a pandas DataFrame (``func`` then receives a DataFrame with the same
columns); several inputs go as a tuple with a tuple of layouts. Like e3nn's helper, the
assertions return the largest error they measured.
:func:`assert_units_equivariant` does the same for a random change of units.
"""

import numpy as np

from scalars._backend import as_backend_of, is_dataframe, to_numpy
from scalars.groups import Group, get_group
from scalars.reps import Rep, rep, slots

__all__ = [
    "assert_invariant",
    "assert_equivariant",
    "equivariance_error",
    "carried_reps",
    "assert_units_equivariant",
    "act_on_inputs",
    "default_tolerance",
]


def __getattr__(name):
    # scalars.units needs sympy and pint: import its assertion on first use (PEP 562), so
    # that ``import scalars.testing`` stays light.
    if name == "assert_units_equivariant":
        from scalars.units.testing import assert_units_equivariant

        globals()[name] = assert_units_equivariant
        return assert_units_equivariant
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_tolerance(*dtypes):
    """Relative tolerance for the least precise of numpy ``dtypes``: 1e-10 if all are double
    precision (float64, complex128) or not floating point, 1e-4 otherwise."""
    bits = [np.finfo(dtype).bits for dtype in dtypes if np.issubdtype(dtype, np.inexact)]
    return 1e-10 if min(bits, default=64) >= 64 else 1e-4


def _as_rep(spec, group):
    return spec.bind(group) if isinstance(spec, Rep) else rep(str(spec), group)


def _cast(g, X):
    """``g`` in the backend and precision of ``X`` (the parts of a product element as they are)."""
    return g if isinstance(g, tuple) else as_backend_of(g, X)


def act_on_inputs(group, g, X, layout=None):
    """Apply ``g`` to the inputs ``X``.

    Parameters
    ----------
    group : str or Group
    g : group element
        As :meth:`Group.sample` returns it; applied in the precision of ``X``.
    X : array of shape (..., n, d) if ``layout`` is None, else flat (n_samples, n_features)
        numpy, torch or a pandas DataFrame.
    layout : str, Layout or Rep, optional
        The representation on the columns of flat ``X``.

    Returns
    -------
    Transformed ``X``, same type and shape (a DataFrame keeps its index and columns).
    """
    group = get_group(group)
    if is_dataframe(X):
        moved = act_on_inputs(group, g, X.to_numpy(), layout)
        return X.__class__(moved, index=X.index, columns=X.columns)
    if layout is None:
        return group.act(_cast(g, X), X)
    return _as_rep(layout, group).act(g, X)


def _act_on_vector_output(group, g, Y, output):
    """Outputs of functions of bare vectors: invariant, vectors (..., d) or tensors."""
    if output == "T0":
        return Y
    g = _cast(g, Y)
    if output == "T1":
        return group.act(g, Y[..., None, :])[..., 0, :]
    if output == "T2":
        d = group.d
        if Y.shape[-1] == d * d:  # flattened tensors
            return group.act_tensor(g, Y.reshape(tuple(Y.shape[:-1]) + (d, d))).reshape(Y.shape)
        return group.act_tensor(g, Y)
    raise ValueError(f"output must be 'T0', 'T1' or 'T2' for functions of bare vectors, got {output!r}")


def _columns(Y, n_samples):
    """Outputs as real columns (n_samples, size): complex vectors as real parts, then imaginary."""
    Y = to_numpy(Y)
    if np.iscomplexobj(Y):
        Y = np.concatenate([Y.real, Y.imag], axis=-1)
    return Y.reshape(n_samples, -1)


def _describe(g):
    """A short text for a group element: its matrix if small, else its shape."""
    parts = g if isinstance(g, tuple) else (g,)
    if sum(np.size(part) for part in parts) <= 16:
        return " x ".join(np.array2string(np.asarray(part), precision=3, separator=",").replace("\n", "") for part in parts)
    return " x ".join(f"a {np.shape(part)} matrix" for part in parts)


def _error(actual, expected, what):
    """Largest |difference| relative to the output scale (at least 1)."""
    actual, expected = to_numpy(actual), to_numpy(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: output shape {actual.shape} != expected {expected.shape}")
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    return float(np.max(np.abs(actual - expected), initial=0.0)) / scale, scale


def carried_reps(model):
    """``(func, rep_in, rep_out)`` of a model that carries its representations, else None.

    A fitted estimator exposes ``rep_in_`` and ``rep_out_`` (``func`` is its ``predict``, or
    ``transform`` for a transformer); a torch module exposes ``rep_in`` and ``rep_out``
    (``func`` calls it, numpy inputs as tensors of the same dtype). ``rep_in`` may be a
    tuple of Reps for a model of several inputs (a dynamics model's state and context).
    """
    for suffix in ("_", ""):
        rep_in, rep_out = getattr(model, "rep_in" + suffix, None), getattr(model, "rep_out" + suffix, None)
        several = isinstance(rep_in, tuple) and all(isinstance(r, Rep) for r in rep_in)
        if (isinstance(rep_in, Rep) or several) and isinstance(rep_out, Rep):
            break
    else:
        return None
    if hasattr(model, "predict"):
        return model.predict, rep_in, rep_out
    if hasattr(model, "transform"):
        return model.transform, rep_in, rep_out

    def module(*X):  # no torch.no_grad(): a Hamiltonian network differentiates its energy
        import torch

        out = model(*(torch.as_tensor(x) if isinstance(x, np.ndarray) else x for x in X))
        return out.detach()

    return module, rep_in, rep_out


def _invariant_rep(rep_):
    """Whether every column of ``rep_`` is a scalar (any number of invariant columns)."""
    return all(slot.kind == "T0" for slot in slots(rep_))


def _resolve(func, group, X, layout, output):
    """``(func, group, inputs, layouts, output)`` of either calling convention."""
    reps = carried_reps(func)
    if reps is not None and X is None and group is not None and not isinstance(group, (str, Group)):
        if layout is not None:
            raise TypeError(
                f"{type(func).__name__} carries its representations (rep_in: {reps[1]!r}, rep_out: "
                f"{reps[2]!r}): call assert_equivariant(model, X) without a layout"
            )
        func, rep_in, rep_out = reps
        several = isinstance(rep_in, tuple)  # a model of several inputs: X is a tuple of them
        inputs, layouts = (tuple(group), rep_in) if several else ((group,), (rep_in,))
        if len(inputs) != len(layouts):
            raise ValueError(f"{type(func).__name__} takes {len(layouts)} inputs ({layouts}), got {len(inputs)}")
        return func, layouts[0].group, inputs, layouts, "T0" if _invariant_rep(rep_out) else rep_out
    if group is None or X is None:
        raise TypeError(
            "assert_equivariant(func, group, X, layout=..., output=...) needs the group and X for a plain "
            "function; a fitted estimator or module with rep_in_/rep_out_ (rep_in/rep_out) needs only X"
        )
    group = get_group(group)
    several = isinstance(X, (tuple, list))
    inputs = tuple(X) if several else (X,)
    layouts = tuple(layout) if several and isinstance(layout, (tuple, list)) else (layout,) * len(inputs)
    if len(layouts) != len(inputs):
        raise ValueError(f"{len(inputs)} inputs but {len(layouts)} layouts")
    return func, group, inputs, layouts, output


def _errors(func, group, X, layout, output, n_elements, rng):
    """Yield ``(index, g, relative error, output scale, output name)`` for random elements ``g``."""
    func, group, inputs, layouts, output = _resolve(func, group, X, layout, output)
    rng = np.random.default_rng(rng)
    Y = _array(func(*inputs))
    n_samples = len(to_numpy(Y)) if np.ndim(to_numpy(Y)) else 1
    invariant = isinstance(output, str) and output == "T0"  # any number of invariant columns
    out_rep = None if layouts[0] is None or invariant else _as_rep(output, group)
    for index in range(n_elements):
        g = group.sample(rng=rng)
        moved = _array(func(*(act_on_inputs(group, g, x, lay) for x, lay in zip(inputs, layouts))))
        if invariant:
            expected = Y
        elif out_rep is None:
            expected = _act_on_vector_output(group, g, Y, output)
        else:
            moved, expected = _columns(moved, n_samples), out_rep.act(g, _columns(Y, n_samples))
        error, scale = _error(moved, expected, f"{group.name} element {index} ({output} output)")
        yield index, g, error, scale, f"{group.name} element {index} ({output} output)", (inputs, Y)


def equivariance_error(func, group=None, X=None, layout=None, output="T1", n_elements=3, rng=None):
    """The measured equivariance errors ``|func(g . X) - g . func(X)|``, without asserting.

    Same calling conventions as :func:`assert_equivariant`: ``equivariance_error(model, X)``
    for a model that carries its representations, or ``equivariance_error(func, group, X,
    layout=..., output=...)``.

    Returns
    -------
    ndarray of shape (n_elements,)
        For each random element, the largest absolute difference relative to the output scale
        (the largest output magnitude, at least 1).
    """
    return np.array([error for _, _, error, _, _, _ in _errors(func, group, X, layout, output, n_elements, rng)])


def assert_equivariant(func, group=None, X=None, layout=None, output="T1", n_elements=3, rng=None, rtol=None):
    """Check ``func(g . X) == g . func(X)`` for random elements ``g`` of ``group``.

    Two calling conventions: ``assert_equivariant(model, X)`` for a fitted estimator
    (``rep_in_``, ``rep_out_``) or a torch module (``rep_in``, ``rep_out``), which carry
    their group, layout and output as e3nn's modules carry their irreps; or
    ``assert_equivariant(func, group, X, layout=..., output=...)`` for any function.

    Parameters
    ----------
    func : callable, fitted estimator or torch module
        Maps ``X`` (or ``*X`` for a tuple of inputs) to outputs; numpy, torch or pandas.
    group : str or Group
        Any group, e.g. ``"O(3)"``, ``"U(2)"``, ``"E(3)"`` or ``"S(5)xO(3)"``. Not given
        for a model that carries its representations.
    X : array, DataFrame, or tuple of them
        Vectors (..., n, d) if ``layout`` is None, else flat rows (n_samples, n_features).
    layout : str, Layout or Rep (or a tuple of them for a tuple ``X``), optional
        The representation on the columns of flat ``X``, e.g. ``"5T0+5T1"``.
    output : str or Rep
        How outputs transform. With a layout: any representation (``"T0"``, ``"T1"``,
        ``"T2"``, ``"T0+T1"``, ``"5T1"`` for one vector per particle, ...) on the outputs'
        columns (a (n, d, d) tensor is read row-major; complex vectors of U(d) as real
        parts then imaginary parts). Without: ``"T0"``, ``"T1"`` (vectors (..., d)) or
        ``"T2"`` ((..., d, d) or flattened (..., d*d), as ``g T g^T``).
    n_elements : int
        Number of random group elements to try.
    rng : int or numpy Generator, optional
    rtol : float, optional
        Tolerance relative to the largest output magnitude; by default from the lower
        precision of ``X`` and the outputs (see :func:`default_tolerance`).

    Returns
    -------
    float
        The largest relative error seen over the elements.

    Raises
    ------
    AssertionError
        Naming the group, the element, the size of the violation and the tolerance.
    TypeError
        For a plain function without ``group`` and ``X``, or ``(model, X)`` given a layout
        as well (an explicit group and layout override the model's own).
    """
    largest = 0.0
    for index, g, error, scale, what, (inputs, Y) in _errors(func, group, X, layout, output, n_elements, rng):
        tolerance = rtol
        if tolerance is None:
            tolerance = default_tolerance(*(to_numpy(x).dtype for x in inputs), to_numpy(Y).dtype)
        if not error <= tolerance:  # also fails on NaN
            raise AssertionError(
                f"{what}: max |difference| {error * scale:.3g} exceeds {tolerance:.1g} x {scale:.3g} "
                f"(tolerance x output scale); g = {_describe(g)}"
            )
        largest = max(largest, error)
    return largest


def _array(Y):
    """Outputs as an array: a DataFrame (e.g. from ``set_output(transform="pandas")``) as numpy."""
    return Y.to_numpy() if is_dataframe(Y) else Y


def assert_invariant(func, group, X, layout=None, n_elements=3, rng=None, rtol=None):
    """Check ``func(g . X) == func(X)`` for random elements ``g`` of ``group``.

    Same parameters and return value as :func:`assert_equivariant` with ``output="T0"``.
    """
    return assert_equivariant(func, group, X, layout, "T0", n_elements, rng, rtol)
