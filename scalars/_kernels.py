"""Compiled kernel for the upper triangle of a Gram matrix, the hot path of every featurizer.

numpy evaluates ``V[:, i] * V[:, j]`` one pair at a time through memory; this kernel reads
each sample once. It transposes a block of samples so that the inner loops run over
samples, contiguous in memory, which LLVM vectorises, and splits blocks across threads.
"""

import numba
import numpy as np

_BLOCK = 64  # samples per block: the transposed block and its outputs stay in L1


@numba.njit(fastmath=True, cache=True)
def _gram_upper_block(X, n, d, weights, out, start, stop, xt, ot):
    m = stop - start
    for b in range(m):
        for c in range(n * d):
            xt[c, b] = X[start + b, c]
    k = 0
    for i in range(n):
        for j in range(i, n):
            for b in range(m):
                ot[k, b] = 0.0
            for c in range(d):
                w = weights[c]
                xi = xt[i * d + c]
                xj = xt[j * d + c]
                for b in range(m):
                    ot[k, b] += w * xi[b] * xj[b]
            k += 1
    for b in range(m):
        for q in range(k):
            out[start + b, q] = ot[q, b]


@numba.njit(parallel=True, fastmath=True, cache=True)
def _gram_upper_rows(X, n, d, weights, out, n_chunks):
    n_rows = X.shape[0]
    n_blocks = (n_rows + _BLOCK - 1) // _BLOCK
    for chunk in numba.prange(n_chunks):
        # one scratch pair per chunk of consecutive blocks, not per block
        xt = np.empty((n * d, _BLOCK), dtype=X.dtype)
        ot = np.empty((out.shape[1], _BLOCK), dtype=X.dtype)
        for t in range(chunk * n_blocks // n_chunks, (chunk + 1) * n_blocks // n_chunks):
            start = t * _BLOCK
            _gram_upper_block(X, n, d, weights, out, start, min(n_rows, start + _BLOCK), xt, ot)


def gram_upper_rows(X, n, d, weights, out):
    """Fill ``out`` (n_rows, n(n+1)/2) with sum_c w_c X[r, i*d+c] X[r, j*d+c] for i <= j.

    ``X`` is C-contiguous (n_rows, n*d) of float32 or float64, ``weights`` (d,) and ``out``
    of the same dtype as ``X``.
    """
    _gram_upper_rows(X, n, d, weights, out, 8 * numba.get_num_threads())
    return out
