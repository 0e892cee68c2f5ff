"""Averages of any function over group elements: the whole group, or a frame per sample.

Both compute, for each sample ``x``,

    <Phi>(x) = sum_h w_h rho_out(h) Phi(rho_in(h)^-1 x)

over a set of elements ``h`` with weights ``w_h`` summing to one: all the elements of a
finite group; for compact continuous factors (O(d), SO(d), U(d), the rotations of E(d))
``n_samples`` Haar draws, equivariant in expectation; or a frame ``F(x)``
(:mod:`scalars.averaging.frames`), exactly equivariant. ``Phi`` sees every transformed
input of a batch in one call, so a scikit-learn ``predict`` or a torch module runs batched.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from scalars._backend import as_backend_of, as_index, concatenate, is_numpy, to_numpy
from scalars.averaging.action import act, inverse, rank, take
from scalars.averaging.frames import (
    SampleError,
    canonical_frames,
    in_safe_range,
    pca_frames,
    sort_frames,
    spectral_frames,
)
from scalars.groups import (
    Euclidean,
    Orthogonal,
    Permutation,
    ProductGroup,
    SpecialEuclidean,
    SpecialOrthogonal,
    Unitary,
    get_group,
)
from scalars.layout import Layout, parse_terms
from scalars.reps import Rep, rep

__all__ = ["Frame", "GroupAverage", "FrameAverage", "DegenerateFrameWarning"]


class DegenerateFrameWarning(UserWarning):
    """A sample is too close to a symmetric configuration for its frame to be exact."""


@dataclass(frozen=True)
class Frame:
    """Group elements attached to the samples of a batch, any number per sample.

    Attributes
    ----------
    sample : ndarray of int, shape (n_rows,)
        The sample each element belongs to, in increasing order.
    elements : ndarray of shape (n_rows, m, m), or a tuple of them for a product group
    weights : ndarray of shape (n_rows,)
        Sum to one over the rows of each sample.
    n_samples : int
    draw : ndarray of int, shape (n_rows,) or None
        Monte Carlo draw of each row (None for a frame).
    n_draws : int
    views : ndarray of int, shape (n_rows,) or None
        Rows with equal views give the same input ``rho_in(h)^-1 x`` (their elements differ
        by a symmetry of ``x``); None when every row may differ.
    """

    sample: np.ndarray
    elements: object
    weights: np.ndarray
    n_samples: int
    draw: np.ndarray = None
    n_draws: int = 1
    views: np.ndarray = None

    def subset(self, rows):
        """The frame restricted to ``rows`` (an index array)."""
        pick = lambda a: None if a is None else a[rows]
        return Frame(self.sample[rows], take(self.elements, rows), self.weights[rows], self.n_samples,
                     pick(self.draw), self.n_draws, pick(self.views))

    def distinct_inputs(self):
        """Rows with distinct inputs, and for each row the position of its input among them."""
        if self.views is None:
            rows = np.arange(len(self.sample))
            return rows, rows
        _, first, position = np.unique(self.views, return_index=True, return_inverse=True)
        return first, position

    @property
    def sizes(self):
        """Number of elements of each sample, shape (n_samples,)."""
        return np.bincount(self.sample, minlength=self.n_samples)

    def pull(self, representation, X):
        """``rho(h)^-1 x`` for every row: the inputs ``Phi`` sees, shape (n_rows, size)."""
        return act(representation, inverse(self.elements), X[as_index(self.sample, X)])

    def push(self, representation, Y):
        """``rho(h) y`` for outputs ``Y`` of shape (n_rows, size), one per row."""
        return act(representation, self.elements, Y)


class _Average:
    """Shared machinery: representations, chunks of samples, and the weighted sum."""

    max_rows = 2**16
    """Rows (samples times elements) passed to ``func`` at once."""

    def __init__(self, group, layout, output):
        self.group = get_group(group)
        # a Rep (images, say) is kept as it is; strings name terms of the layout
        self.layout = layout if isinstance(layout, Rep) else str(layout)
        self.output = output if isinstance(output, Rep) else str(output)
        self.input_rep = rep(self.layout, self.group)
        self.output_rep = None if self.output == "T0" else rep(self.output, self.group)

    def __repr__(self):
        return f"{type(self).__name__}({self.group.name!r}, {self.layout!r}, {self.output!r})"

    def _check(self, X):
        if X.ndim != 2 or X.shape[1] != self.input_rep.size:
            raise ValueError(
                f"layout '{self.layout}' of {self.group.name} describes {self.input_rep.size} columns, "
                f"but X has shape {tuple(X.shape)}"
            )

    def _plan(self, X):
        """Anything shared by all chunks of one call (Monte Carlo draws)."""
        return None

    def rows_per_sample(self, plan):
        """Hook for subclasses: about how many frame rows one sample takes (sizes the chunks).

        Parameters
        ----------
        plan : object
            What ``_plan(X)`` returned for the whole call (the elements and draws of a
            :class:`GroupAverage`, None for frames).

        Returns
        -------
        int
            Positive; ``max_rows // rows_per_sample(plan)`` samples go into one chunk.
        """
        raise NotImplementedError

    def chunk_frame(self, X, offset, plan):
        """Hook for subclasses: the :class:`~scalars.averaging.Frame` of the rows of one chunk of ``X``.

        :meth:`frame` calls it on all of ``X``, and averaging calls it chunk by chunk.

        Parameters
        ----------
        X : array of shape (n_chunk, n_features)
            The chunk's rows.
        offset : int
            The index in the whole input of the chunk's first row (for per-row random draws).
        plan : object
            What ``_plan`` returned for the whole input.

        Returns
        -------
        Frame
            Its ``sample`` indices count from 0 within the chunk.
        """
        raise NotImplementedError

    def frame(self, X):
        """The elements averaged over for each row of ``X`` (n_samples, n_features).

        Returns
        -------
        Frame
        """
        self._check(X)
        return self.chunk_frame(X, 0, self._plan(X))

    def _pull(self, frame, X):
        """The inputs ``Phi`` sees for the rows of ``frame``."""
        return frame.pull(self.input_rep, X)

    def pairs(self, frame, X, y):
        """Training pairs in the frame: ``rho_in(h)^-1 x`` against ``rho_out(h)^-1 y``.

        Rows that see the same input (elements that differ by a symmetry of ``x``) are
        merged into one, with their targets averaged: the target symmetrised as the input.

        Parameters
        ----------
        frame : Frame
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples, n_columns)

        Returns
        -------
        inputs : ndarray of shape (n_rows, n_features)
        targets : ndarray of shape (n_rows, n_columns)
        """
        distinct, position = frame.distinct_inputs()
        targets = y[frame.sample] if self.output_rep is None else frame.pull(self.output_rep, y)
        copies = np.bincount(position)
        targets = _sum_by(position, 1.0 / copies[position], targets, len(distinct))
        return self._pull(frame.subset(distinct), X), targets

    def _outputs(self, func, X):
        """Per chunk: the frame and ``rho_out(h) Phi(rho_in(h)^-1 x)`` for each row, as columns."""
        self._check(X)
        plan = self._plan(X)
        step = max(1, self.max_rows // self.rows_per_sample(plan))
        for start in range(0, len(X), step):
            frame = self.chunk_frame(X[start : start + step], start, plan)
            distinct, position = frame.distinct_inputs()  # Phi once per input, not per symmetry
            chunk = X[start : start + step]
            Y = func(self._pull(frame.subset(distinct), chunk))
            Y = self._check_output(Y if hasattr(Y, "detach") else np.asarray(Y), chunk, frame.sample[distinct], start)
            Y = Y[as_index(position, Y)] if len(distinct) < len(position) else Y
            columns = Y.reshape(len(Y), -1)
            if self.output_rep is not None:
                if columns.shape[1] != self.output_rep.size:
                    raise ValueError(
                        f"output '{self.output}' of {self.group.name} has {self.output_rep.size} columns, "
                        f"but func returns shape {tuple(Y.shape[1:])} per row"
                    )
                columns = frame.push(self.output_rep, columns)
            yield frame, columns, tuple(Y.shape[1:])

    def _check_output(self, Y, X, samples, offset):
        """``func``'s outputs ``Y``, if they are one per input row, and finite where ``X`` is.

        ``samples`` (n_rows,) are the rows of ``X`` the inputs come from; ``X`` starts at row
        ``offset`` of the whole input, which errors count from.
        """
        n_rows = len(samples)
        if Y.ndim == 0 or len(Y) != n_rows:
            columns = "any number of columns" if self.output_rep is None else f"{self.output_rep.size} columns"
            raise ValueError(
                f"func must return one output per input row: given {n_rows} rows it returned "
                f"shape {tuple(Y.shape)}; expected ({n_rows}, ...) with {columns} (output "
                f"'{self.output}' of {self.group.name})"
            )
        rows = Y.detach().reshape(n_rows, -1) if hasattr(Y, "detach") else Y.reshape(n_rows, -1)
        finite = to_numpy(rows.isfinite().all(1)) if hasattr(rows, "isfinite") else np.isfinite(rows).all(axis=1)
        bad = np.unique(samples[~finite])
        bad = bad[np.isfinite(to_numpy(X[as_index(bad, X)])).all(axis=1)]  # a NaN in X may give a NaN
        if len(bad):
            raise ValueError(
                f"func returned inf or NaN for the transformed inputs of samples {(bad[:10] + offset).tolist()}"
                f"{' ...' if len(bad) > 10 else ''} of X: their average over {self.group.name} is undefined"
            )
        return Y

    def __call__(self, func, X):
        """The average of ``func`` at each row of ``X``.

        Parameters
        ----------
        func : callable
            Maps rows (n_rows, n_features) to outputs (n_rows, ...) whose columns the output
            representation acts on (any number of columns for ``output="T0"``); numpy or
            torch, e.g. ``estimator.predict`` or a ``torch.nn.Module``.
        X : array of shape (n_samples, n_features)
            numpy or torch, read with ``layout``.

        Returns
        -------
        array of shape (n_samples, ...)
            The shape, backend and dtype of ``func``'s outputs; differentiable through torch.
        """
        parts, shape = [], ()
        for frame, columns, shape in self._outputs(func, X):
            parts.append(_sum_by(frame.sample, frame.weights, columns, frame.n_samples))
        if not parts:
            raise ValueError("X has no samples")
        out = concatenate(parts, axis=0)
        return out.reshape((len(out),) + shape)


def _sum_by(index, weights, columns, n):
    """``out[i] = sum_r weights[r] columns[r]`` over the rows ``r`` with ``index[r] == i``."""
    weighted = columns * as_backend_of(weights, columns)[:, None]
    if is_numpy(columns):
        out = np.zeros((n, columns.shape[1]), dtype=weighted.dtype)
        np.add.at(out, index, weighted)
        return out
    import torch

    out = torch.zeros((n, columns.shape[1]), dtype=weighted.dtype, device=weighted.device)
    return out.index_add(0, as_index(index, columns), weighted)


def _rounding(X):
    """64 epsilons of the floating dtype of ``X`` (of float64 for other dtypes)."""
    dtype = to_numpy(X[:0]).dtype
    return 64 * np.finfo(dtype if dtype.kind == "f" else np.float64).eps


def _factors(group):
    return group.factors if isinstance(group, ProductGroup) else (group,)


def _point_columns(layout, group):
    """Column indices (n_points, d) of the points of a layout (the same under S(k) x G); none for a Rep."""
    base = group.base if getattr(group, "particles", None) else group
    d, columns, start = base.n_columns, [], 0
    if isinstance(layout, Rep):
        return np.zeros((0, d), dtype=np.intp)
    for count, kind in parse_terms(layout):
        width = d if kind == "P" else d ** (kind[0] + kind[1])
        if kind == "P":
            columns += [start + i * d + np.arange(d) for i in range(count)]
        start += count * width
    return np.array(columns, dtype=np.intp).reshape(-1, d)


class GroupAverage(_Average):
    """Averages over the whole group: exact over finite factors, Monte Carlo over the rest.

    Finite groups (S(n), Z(n), D(n)) and the finite factors of a product are averaged over
    every element. Compact continuous factors (O(d), SO(d), U(d)) are averaged over
    ``n_samples`` Haar draws, the same draws for every sample of a call; the result is
    then equivariant in expectation and :meth:`spread` estimates its standard error. For
    E(d) and SE(d) the rotations are drawn and the translation is the centroid of the
    points of each sample (the translations have no Haar probability measure; centring is
    their frame), so translations are exact.

    Parameters
    ----------
    group : str or Group
        A finite or compact group, E(d), SE(d), or a product of them such as ``"S(5)xE(3)"``.
    layout : str, Layout or Rep
        The representation on the input columns, e.g. ``"5T0+5P+5T1"``; tensors ``T2``
        and ``T(p,q)`` are allowed. Any other :class:`~scalars.reps.Rep` with an ``act``
        method (such as :class:`scalars.fields.ImageRep`, flat images) is bound to ``group``.
    output : str or Rep, default="T0"
        The representation on the output columns: ``"T0"`` (invariant, any number of
        columns), ``"T1"``, ``"T2"``, ``"5P"`` (a point per particle), a Rep, ...
    n_samples : int, default=16
        Haar draws of the continuous factors (ignored for a finite group).
    random_state : int, numpy Generator or None, default=None
        Seeds the draws; an int gives the same draws on every call.

    Raises
    ------
    ValueError
        For a non-compact factor such as O(1,3) or Sp(4).

    Examples
    --------
    >>> import numpy as np
    >>> from scalars.averaging import GroupAverage
    >>> X = np.random.default_rng(0).standard_normal((4, 3))
    >>> average = GroupAverage("S(3)", "T1")            # permute the three coordinates
    >>> np.allclose(average(lambda X: X[:, 0], X), X.mean(1))
    True
    """

    def __init__(self, group, layout, output="T0", n_samples=16, random_state=None):
        super().__init__(group, layout, output)
        self.n_samples = n_samples
        self.random_state = random_state
        for factor in _factors(self.group):
            if not (factor.is_finite or isinstance(factor, (Orthogonal, Unitary, Euclidean))):
                raise ValueError(
                    f"{factor.name} is not compact: it has no Haar probability measure to average "
                    "over; use a finite group, O(d), SO(d), U(d), E(d), SE(d) or products of them"
                )
        self._points = _point_columns(self.layout, self.group)
        self._finite = all(factor.is_finite for factor in _factors(self.group))

    @property
    def n_samples(self):
        """Haar draws of the continuous factors per call (a positive int)."""
        return self._n_samples

    @n_samples.setter
    def n_samples(self, value):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"n_samples must be a positive integer (Haar draws per call), got {value!r}")
        self._n_samples = int(value)

    def _draw(self, factor, size, rng):
        if isinstance(factor, Euclidean):
            g = np.zeros((size, factor.d + 1, factor.d + 1))
            g[:, : factor.d, : factor.d] = factor.linear.sample(size, rng)
            g[:, factor.d, factor.d] = 1.0
            return g
        return factor.sample(size, rng)

    def elements(self, rng=None):
        """The elements averaged over, before translations are set.

        Every combination of the finite factors' elements for each Haar draw of the
        continuous factors (translations of E(d) zero).

        Returns
        -------
        elements : ndarray (m, ...) or tuple of them
        draw : ndarray of int, shape (m,)
        """
        rng = np.random.default_rng(self.random_state if rng is None else rng)
        factors = _factors(self.group)
        n_draws = 1 if self._finite else self.n_samples
        lists = [factor.elements() if factor.is_finite else self._draw(factor, n_draws, rng) for factor in factors]
        finite_sizes = [len(items) if factor.is_finite else 1 for factor, items in zip(factors, lists)]
        grid = np.indices((n_draws, *finite_sizes)).reshape(len(factors) + 1, -1)
        draw = grid[0]
        parts = [items[grid[i + 1]] if factor.is_finite else items[draw] for i, (factor, items) in enumerate(zip(factors, lists))]
        return (tuple(parts) if isinstance(self.group, ProductGroup) else parts[0]), draw

    def _plan(self, X):
        return self.elements()

    def rows_per_sample(self, plan):
        return len(plan[1])

    def chunk_frame(self, X, offset, plan):
        elements, draw = plan
        n, m = len(X), len(draw)
        sample = np.repeat(np.arange(n), m)
        tiled = take(elements, np.tile(np.arange(m), n))
        if len(self._points):
            centroid = to_numpy(X)[:, self._points].mean(axis=1)[sample]
            tiled = self._translate(tiled, centroid)
        n_draws = 1 if self._finite else self.n_samples
        return Frame(sample, tiled, np.full(n * m, 1.0 / m), n, np.tile(draw, n), n_draws)

    def _translate(self, elements, centroid):
        """Elements whose E(d) parts translate by ``centroid`` (n_rows, d)."""
        parts = list(elements) if isinstance(elements, tuple) else [elements]
        for i, factor in enumerate(_factors(self.group)):
            if isinstance(factor, Euclidean):
                parts[i] = parts[i].copy()
                parts[i][:, : factor.d, factor.d] = centroid
        return tuple(parts) if isinstance(elements, tuple) else parts[0]

    def random_frame(self, X, n_per_sample, rng=None):
        """``n_per_sample`` independent random elements per sample (for data augmentation).

        Finite factors are drawn uniformly, continuous ones from Haar measure, and E(d)
        translates by each sample's centroid, as in the average.

        Returns
        -------
        Frame
        """
        self._check(X)
        rng = np.random.default_rng(self.random_state if rng is None else rng)
        n = len(X)
        sample = np.repeat(np.arange(n), n_per_sample)
        parts = tuple(factor.sample(len(sample), rng) if factor.is_finite else self._draw(factor, len(sample), rng) for factor in _factors(self.group))
        elements = parts if isinstance(self.group, ProductGroup) else parts[0]
        if len(self._points):
            elements = self._translate(elements, to_numpy(X)[:, self._points].mean(axis=1)[sample])
        return Frame(sample, elements, np.full(len(sample), 1.0 / n_per_sample), n)

    def spread(self, func, X):
        """Standard error of the Monte Carlo average at each row of ``X``.

        The standard deviation over the Haar draws of the average over the finite factors,
        divided by ``sqrt(n_samples)``; zero for a finite group.

        Returns
        -------
        ndarray of shape (n_samples, ...)
            The shape of the average (numpy, float64).

        Raises
        ------
        ValueError
            If the group has continuous factors and ``n_samples < 2``: one draw has no spread.
        """
        if not self._finite and self.n_samples < 2:
            raise ValueError(
                f"spread needs n_samples >= 2 Haar draws of {self.group.name} to estimate the error of "
                f"the average, got n_samples={self.n_samples}"
            )
        parts, shape = [], ()
        for frame, columns, shape in self._outputs(func, X):
            columns = to_numpy(columns).astype(np.float64)
            key = frame.sample * frame.n_draws + frame.draw
            means = _sum_by(key, frame.weights * frame.n_draws, columns, frame.n_samples * frame.n_draws)
            means = means.reshape(frame.n_samples, frame.n_draws, -1)
            if frame.n_draws < 2:
                parts.append(np.zeros_like(means[:, 0]))
            else:
                parts.append(means.std(axis=1, ddof=1) / np.sqrt(frame.n_draws))
        out = np.concatenate(parts)
        return out.reshape((len(out),) + shape)


class FrameAverage(_Average):
    """Exactly equivariant averages over a frame per sample, any function inside.

    Frames (see :mod:`scalars.averaging.frames`): PCA frames for O(d), SO(d), E(d) and
    SE(d); permutation frames (particles sorted by their invariants) for S(k); both
    together for interchangeable particles ``S(k) x G``; spectral frames (nodes sorted by
    Laplacian eigenvector keys, both signs of each eigenvector used) for S(k) acting on
    symmetric ``k x k`` matrices, weighted graphs, by ``A -> P A P^T`` (layout ``"T2"``),
    or with ``canonical=True`` the canonical-labelling frame of a graph (the coset of its
    automorphism group that takes it to its exact canonical form, exact whatever its
    spectrum, as for strongly regular graphs). Inputs with repeated covariance eigenvalues
    (symmetric configurations) are resolved with the other input vectors or by an exact
    average over their symmetries.

    Parameters
    ----------
    group : str or Group
        ``"O(d)"``, ``"SO(d)"``, ``"E(d)"``, ``"SE(d)"``, ``"S(k)"``, or ``"S(k)xG"`` with
        ``G`` one of the four.
    layout : str or Layout
        Scalars ``T0``, vectors ``T1`` and points ``P``, e.g. ``"5T0+5P+5T1"``; or ``"T2"``
        with ``"S(k)"``: one symmetric ``k x k`` matrix per row, flattened row-major.
    output : str, default="T0"
        The representation on the output columns (``"T0"`` with any number of columns,
        ``"T1"``, ``"T2"``, ``"5P"``, ...; tensor rank at most 3).
    canonical : bool, default=False
        One element per generic input (a canonicalisation) instead of every sign choice
        of the PCA axes; for graphs (``"T2"``), the canonical-labelling frame instead of
        the spectral one (entries compared exactly: every element gives the one canonical
        form, so ``func`` is evaluated once per sample).
    tol : float, default=1e-5
        Relative tolerance for repeated eigenvalues, tied particles and vector components.
    degenerate : {"warn", "raise"}, default="warn"
        What to do with samples nearly, but not exactly, symmetric, for which the frame
        is equivariant only to about their distance from symmetry: a
        :class:`DegenerateFrameWarning` or a ``ValueError``, naming the samples.

    Examples
    --------
    >>> import numpy as np
    >>> from scalars.averaging import FrameAverage
    >>> from scalars.testing import assert_invariant
    >>> X = np.random.default_rng(0).standard_normal((10, 9))     # three points in 3-D
    >>> average = FrameAverage("E(3)", "3P")
    >>> nonsense = lambda X: np.sin(X @ np.arange(9.0))            # no symmetry at all
    >>> assert_invariant(lambda X: average(nonsense, X), "E(3)", X, layout="3P") < 1e-10
    True
    """

    max_graph_frame = 4096
    """Largest spectral frame of a graph (eigenvector signs times orders of tied nodes): a
    graph whose frame would be larger (such as one with a large automorphism group, whose
    nodes no key separates) is refused with a ValueError naming it."""

    max_graph_search = 2**20
    """Largest canonical-labelling search tree of a graph (``canonical=True``), in refined
    colourings: at least its number of automorphisms (``n!`` for the complete graph); a
    graph whose tree is larger is refused with a ValueError naming it."""

    def __init__(self, group, layout, output="T0", canonical=False, tol=1e-5, degenerate="warn"):
        super().__init__(group, layout, output)
        if degenerate not in ("warn", "raise"):
            raise ValueError(f"degenerate must be 'warn' or 'raise', got {degenerate!r}")
        self.canonical, self.tol, self.degenerate = bool(canonical), float(tol), degenerate
        group = self.group
        self.graph = isinstance(group, Permutation) and self.layout in ("T2", "1T2")
        if self.graph:
            self.permutation, self.base, self._vector_columns = group, None, np.arange(0)
            return
        self.permutation = None
        if isinstance(group, Permutation):
            self.permutation, self.base = group, None
        elif getattr(group, "particles", None):
            self.permutation, self.base = group.factors
        else:
            self.base = group
        if self.base is not None and not isinstance(self.base, (Orthogonal, Euclidean)):
            raise ValueError(
                f"no frames for {group.name}: frames are built for O(d), SO(d), E(d), SE(d), S(k) "
                "and S(k) x G with G one of those"
            )
        self._layout = Layout.parse(self.layout)
        vector_width = self.permutation.d if self.base is None else self.base.d
        self._vector_columns = self._layout.column_indices(vector_width)[1].ravel()
        self._max_rank = 0 if self.output_rep is None else rank(self.output_rep)
        if self.permutation is not None and self.base is not None:
            from scalars.expansion import EquivariantExpansion

            self._expansion = EquivariantExpansion(self.group, self._layout)

    def _check(self, X):
        super()._check(X)
        finite = np.isfinite(to_numpy(X)).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise ValueError(
                f"X contains NaN or inf in samples {bad[:10].tolist()}{' ...' if len(bad) > 10 else ''}: "
                "a frame is built from finite inputs"
            )
        if self.graph:
            k = self.group.d
            A = to_numpy(X).reshape(-1, k, k)
            tol = 0.0 if self.canonical else self.tol  # canonical forms compare entries exactly
            asymmetry = np.abs(A - np.swapaxes(A, 1, 2)).max(axis=(1, 2)) > tol * np.abs(A).max(axis=(1, 2))
            if asymmetry.any():
                bad = np.flatnonzero(asymmetry)
                kind = "canonical-labelling frames are built for exactly" if self.canonical else "spectral frames are built for"
                raise ValueError(
                    f"the matrices of samples {bad[:10].tolist()}{' ...' if len(bad) > 10 else ''} of X are not "
                    f"symmetric (within tol={tol:g}): {kind} symmetric matrices"
                )

    def rows_per_sample(self, plan):
        if self.graph:
            return 16  # typical: a few eigenvector signs; symmetric graphs have more rows
        return 2 ** (0 if self.base is None else self.base.d)

    def _pull(self, frame, X):
        """The inputs in their frames, with rounding-level coordinates set to exactly zero.

        In a frame, the coordinates of symmetric or lower-dimensional inputs along the axes
        they do not reach (the normal of a plane of vectors, say) are zero up to rounding.
        A piecewise-constant ``Phi`` (trees, nearest neighbours) must not see that rounding,
        which differs between ``x`` and ``g x``.
        """
        rows = frame.pull(self.input_rep, X)
        columns = as_index(self._vector_columns, rows)
        if not len(self._vector_columns):
            return rows
        raw = X[as_index(frame.sample, X)][:, columns]
        scale = np.maximum(np.abs(to_numpy(rows[:, columns])).max(axis=1), np.abs(to_numpy(raw)).max(axis=1))
        noise = np.zeros(rows.shape, dtype=bool)
        noise[:, self._vector_columns] = np.abs(to_numpy(rows[:, columns])) <= (_rounding(X) * scale)[:, None]
        if is_numpy(rows):
            return np.where(noise, 0.0, rows)
        return rows.masked_fill(as_index(noise, rows), 0.0)

    def chunk_frame(self, X, offset, plan):
        n = len(X)
        if self.graph:
            k = self.group.d
            A = to_numpy(X).reshape(n, k, k)
            build, cap, name = ((canonical_frames, self.max_graph_search, "max_graph_search") if self.canonical else
                                (lambda A, cap: spectral_frames(A.astype(np.float64), self.tol, cap),
                                 self.max_graph_frame, "max_graph_frame"))
            try:
                sample, P, weights, views = build(A, cap)
            except SampleError as error:
                raise ValueError(
                    f"sample {offset + error.row}: {error.message}; raise FrameAverage.{name} to average over it"
                ) from None
            return Frame(sample, P, weights, n, views=views)
        precision = _rounding(X)
        if self.permutation is None:
            rows, g, weights, views = self._pca(to_numpy(X), offset, None, precision)
            return Frame(rows, g, weights, n, views=views)
        sample, P, weights = sort_frames(self._keys(X), self.tol)
        if self.base is None:
            return Frame(sample, P, weights, n)
        identity = np.broadcast_to(self.base.identity(), (len(sample),) + self.base.identity().shape)
        ordered = act(self.input_rep, (np.swapaxes(P, -1, -2), identity), to_numpy(X)[sample])
        rows, g, base_weights, views = self._pca(ordered, offset, sample, precision)
        return Frame(sample[rows], (P[rows], g), weights[rows] * base_weights, n, views=views)

    def _keys(self, X):
        """Invariant scalars of each particle (n, k, m) that order the particles.

        A sample scaled by a power of two has its keys scaled key by key, which keeps their
        order and ties: samples too large or small for them are computed scaled to order one.
        """
        X, _ = in_safe_range(to_numpy(X))
        if self.base is None:  # S(k) alone: each vector is one number per particle
            scalars, V = self._layout.split(X, self.permutation.d)
            return np.swapaxes(V, -1, -2)
        return self._expansion.blocks(X)[0][0]

    def _pca(self, X, offset, rows_to_samples, precision):
        """PCA frames of the base group for the rows of ``X``; reports near-symmetric samples.

        ``precision`` is a multiple of the epsilon of the inputs' dtype: components of
        vectors below it are rounding, not a broken symmetry.
        """
        base = self.base
        _, V = self._layout.split(X, base.d)
        euclidean = isinstance(base, Euclidean)
        special = isinstance(base, (SpecialOrthogonal, SpecialEuclidean))
        sample_of = lambda row: offset + int(row if rows_to_samples is None else rows_to_samples[row])
        try:
            rows, g, weights, views, near = pca_frames(
                V, self._layout.is_point, euclidean, special, self.tol, self.canonical, self._max_rank,
                symmetric_below=max(self.tol**2, precision),
            )
        except SampleError as error:
            raise ValueError(f"sample {sample_of(error.row)}: {error.message}") from None
        if near:
            samples = sorted({sample_of(s) for s, _ in near})
            worst = max(residual for _, residual in near)
            message = (
                f"{len(samples)} samples (indices {samples[:10]}{' ...' if len(samples) > 10 else ''}) are within "
                f"tol={self.tol:g} of a symmetric configuration of {base.name} without being symmetric: "
                f"their frame average is equivariant only to about {worst:.1g} (relative)"
            )
            if self.degenerate == "raise":
                raise ValueError(message)
            warnings.warn(message, DegenerateFrameWarning, stacklevel=4)
        return rows, g, weights, views

    def canonicalize(self, X):
        """The canonical form of each input: ``rho_in(h)^-1 x`` for ``h`` in its canonical frame.

        The same for every element of the canonical frame, whose elements differ only by
        symmetries of ``x``, and so invariant: ``canonicalize(g x) == canonicalize(x)``.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)

        Returns
        -------
        array of shape (n_samples, n_features)

        Raises
        ------
        ValueError
            Naming the samples with particles tied in their invariants that no symmetry
            of the input exchanges (under ``S(k) x G``): their canonical frame holds
            several different inputs.
        """
        self._check(X)
        canonical = FrameAverage(self.group, self.layout, self.output, True, self.tol, self.degenerate)
        frame = canonical.chunk_frame(X, 0, None)
        rows = canonical._pull(frame, X)
        first = np.flatnonzero(np.r_[True, np.diff(frame.sample) > 0])
        forms = to_numpy(rows)
        scale = np.maximum(np.abs(forms[first]).max(axis=1), 1.0)[frame.sample]
        ambiguous = np.unique(frame.sample[np.abs(forms - forms[first][frame.sample]).max(axis=1) > 1e-8 * scale])
        if len(ambiguous):
            raise ValueError(
                f"samples {ambiguous[:10].tolist()}{' ...' if len(ambiguous) > 10 else ''} have tied particles "
                "that no symmetry of the input exchanges, so they have no single canonical form; "
                "average over FrameAverage(..., canonical=True) instead"
            )
        return rows[as_index(first, rows)]
