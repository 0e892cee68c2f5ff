"""Compiled kernel for the upper triangle of a Gram matrix, the hot path of every featurizer.

numpy evaluates ``V[:, i] * V[:, j]`` one pair at a time through memory; this kernel reads
each sample once. It transposes a block of samples so that the inner loops run over
samples, contiguous in memory, which LLVM vectorises, and splits blocks across threads.
The vectors are read where they lie in a flat feature matrix (any start column each) and
the scalars are copied on the way, so a transformer gathers nothing before the kernel runs
and concatenates nothing after.

NaN and infinity are not assumed away (no ``nnan``/``ninf`` fast-math flags): the kernel
can return the sum of what it read, which is finite when the input is, so a caller checks
the input without a second pass over it.
"""

import numba
import numpy as np

_BLOCK = 64  # samples per block: the transposed block and its outputs stay in L1
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}  # fast, but NaN and inf propagate


@numba.njit(fastmath=_FASTMATH, cache=True)
def _gram_upper_block(X, starts, d, weights, scalars, out, gram, start, stop, xt, ot, add_input):
    m = stop - start
    n = starts.shape[0]
    for b in range(m):
        for c in range(X.shape[1]):
            xt[c, b] = X[start + b, c]
    k = 0
    for i in range(n):
        for j in range(i, n):
            for b in range(m):
                ot[k, b] = 0.0
            for c in range(d):
                w = weights[c]
                xi = xt[starts[i] + c]
                xj = xt[starts[j] + c]
                for b in range(m):
                    ot[k, b] += w * xi[b] * xj[b]
            k += 1
    for b in range(m):
        for q in range(scalars.shape[0]):
            out[start + b, q] = xt[scalars[q], b]
        for q in range(k):
            gram[start + b, q] = ot[q, b]
    total = 0.0
    if add_input:  # the outputs too: a product that overflows makes the sum infinite
        for c in range(X.shape[1]):
            for b in range(m):
                total += xt[c, b]
        for q in range(k):
            for b in range(m):
                total += ot[q, b]
    return total


@numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
def _gram_upper_columns(X, starts, d, weights, scalars, out, offset, add_input, n_chunks):
    n_rows = X.shape[0]
    n = starts.shape[0]
    n_blocks = (n_rows + _BLOCK - 1) // _BLOCK
    gram = out[:, offset:]  # a view: an index offset + q would cost a sign check per store
    totals = np.zeros(n_chunks)
    for chunk in numba.prange(n_chunks):
        # one scratch pair per chunk of consecutive blocks, not per block
        xt = np.empty((X.shape[1], _BLOCK), dtype=X.dtype)
        ot = np.empty((n * (n + 1) // 2, _BLOCK), dtype=X.dtype)
        for t in range(chunk * n_blocks // n_chunks, (chunk + 1) * n_blocks // n_chunks):
            start = t * _BLOCK
            stop = min(n_rows, start + _BLOCK)
            totals[chunk] += _gram_upper_block(
                X, starts, d, weights, scalars, out, gram, start, stop, xt, ot, add_input
            )
    return totals.sum()


def gram_upper_columns(X, starts, d, weights, out, offset=0, scalars=None, add_input=False):
    """Gram entries of vectors read in place from the columns of a flat feature matrix.

    Vector ``i`` of row ``r`` is ``X[r, starts[i] : starts[i] + d]``. For ``i <= j`` in
    row-by-row order ``k``, ``out[r, offset + k] = sum_c weights[c] X[r, starts[i] + c]
    X[r, starts[j] + c]``; and ``out[r, q] = X[r, scalars[q]]``. Other columns of ``out``
    are left as they are. Nothing is checked: the public wrappers check.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features), float32 or float64, C-contiguous
    starts : ndarray of intp, shape (n,)
        First column of each vector.
    d : int
        Components of each vector.
    weights : ndarray of shape (d,), same dtype as ``X``
        Diagonal of the metric.
    out : ndarray of shape (n_rows, n_out), same dtype as ``X``, C-contiguous
    offset : int, default=0
        Column of ``out`` where the ``n(n+1)/2`` Gram entries begin.
    scalars : ndarray of intp, shape (n_scalars,), default=None
        Columns of ``X`` copied to the first ``n_scalars`` columns of ``out``; None for none.
    add_input : bool, default=False
        Also sum every entry of ``X`` and every Gram entry on the way (a finiteness check).

    Returns
    -------
    total : float
        The sum of every entry of ``X`` and of the Gram entries if ``add_input``, else 0: not
        finite if ``X`` holds NaN or infinity, if a Gram entry overflows, and (rarely) when
        large finite entries overflow the sum.
    """
    scalars = np.empty(0, np.intp) if scalars is None else scalars
    n_chunks = 8 * numba.get_num_threads()
    return _gram_upper_columns(X, starts, d, weights, scalars, out, offset, add_input, n_chunks)


def gram_upper_rows(X, n, d, weights, out):
    """Fill ``out`` (n_rows, n(n+1)/2) with sum_c w_c X[r, i*d+c] X[r, j*d+c] for i <= j.

    ``X`` is C-contiguous (n_rows, n*d) of float32 or float64, ``weights`` (d,) and ``out``
    of the same dtype as ``X``.
    """
    gram_upper_columns(X, np.arange(n, dtype=np.intp) * d, d, weights, out)
    return out
