r"""Compiled row kernels (numba) behind :mod:`softmax_course._fast` (private).

Importing this module imports numba and compiles nothing: each kernel is
compiled for its dtype on first use and cached on disk (``cache=True``;
numba falls back to compiling in memory when its cache directory is not
writable). :mod:`softmax_course.backend` decides when these kernels run.

Every kernel computes the rows ``start`` to ``stop - 1`` of a 2-D C-contiguous
float32 or float64 array, **each row on its own**, in a fixed order of
operations that depends only on the row's length. So the result of a row does
not depend on which rows are computed together, nor by which thread: the
callers in :mod:`softmax_course._fast` hand contiguous row ranges, one per
worker, to the spinning pool of :mod:`softmax_course._numba_pool`; the kernels
are compiled with ``nogil=True`` and run on several cores at once.

Passes over memory. A row of ``K`` values is read from main memory once and
its result written once; the other passes re-read the row from the CPU cache
(a row of ``10**5`` float64 is 800 kB: within the L2 cache of a core that has 1 MB of
it, in the shared L3 on one with 512 kB, as ``docs/performance.md`` measures):

* ``softmax``: 4 passes over the row: the maximum; ``e_j = exp(x_j - m)`` stored
  in the output; their sum; the division by the sum. A single pass (the online
  normalizer of lesson 08) would compute every ``exp`` twice or rescale the running
  sum at every new maximum; with the row in cache the extra reads are cheaper than
  that. The exps have a loop of their own (see :func:`_exp_row`).
* ``log_softmax``: 4 passes: the maximum; the exps into a scratch row; their sum
  but one maximum's 1; ``x_j - m - log1p(r)`` written.
* ``logsumexp``: 3 passes: the maximum; the exps into a scratch row; their sum.
  Nothing of size ``K`` is written to the result.
* ``softmax_vjp``: 2 passes: ``<s, g>``; ``s_j (g_j - <s, g>)`` written.
* cross-entropy loss: 3 passes (maximum; exps; sum), one number written per row:
  no ``(N, K)`` log-softmax is ever stored.
* cross-entropy gradient: 4 passes, as softmax, with the target subtracted
  in the last one (and a fifth over ``y`` for probability targets: its sum).

Other layouts, with the same operations per row: rows of at most
:data:`ACROSS_K` classes (softmax, log-softmax, logsumexp, the loss) are computed in
transposed tiles of :data:`TILE_ROWS` rows, every loop running across rows;
shorter rows than :data:`SMALL_K` otherwise in flat groups; and a row longer
than a block (:mod:`softmax_course._fast` decides) in column chunks of
:data:`WIDE_CHUNK` values, one phase at a time (``wide_*``), shared among the
workers.

Numerics, kept identical in formulation to the numpy path of
:mod:`softmax_course._fast`:

* the maximum propagates nothing but the largest non-NaN value; a NaN in a row
  still reaches every result through the sum (``NaN - m`` is NaN), a ``+inf``
  maximum gives ``inf - inf = NaN`` in the sum, and an all ``-inf`` row has
  ``-inf - (-inf) = NaN``: the results are those of the numpy path (NaN
  throughout for softmax and log-softmax; for logsumexp the maximum itself,
  or NaN if the row holds a NaN);
* logsumexp and log-softmax take ``log1p`` of the sum of the terms *other*
  than one maximum's exact 1 (``r = sum_{e_j < 1} e_j + (ones - 1)``), which
  keeps ``logsumexp([0, -40]) = log1p(e^-40)`` accurate;
* in softmax's float64 sums the terms that are exactly 1 are counted apart (see
  ``_exp_sum_into``); sums are accumulated in float64, in chunks of :data:`CHUNK`, and
  vectorized (``fastmath`` ``'reassoc'`` on the kernels, which is not on
  :func:`~softmax_course._numba_exp.exp`): a different summation order
  from numpy's pairwise sum, a few ulp of difference at most for these sums
  of positive terms;
* a division by a row's total (or by ``N``) is a multiplication by its reciprocal: one
  division per row instead of one per element (a division takes several times the cycles
  of a multiplication, and ``e / total`` and ``e * (1 / total)`` differ by at most an ulp).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal, TypedDict

import numpy as np
from numba import njit

from softmax_course._numba_exp import exp_nonpositive as exp
from softmax_course._numba_exp import log1p64
from softmax_course._numba_simd import row_max

__all__ = [
    "ce_grad_labels",
    "ce_grad_probs",
    "ce_loss_labels",
    "ce_loss_probs",
    "log_softmax",
    "logsumexp",
    "softmax",
    "softmax_inplace",
    "vjp",
]

# 'reassoc' lets LLVM vectorize the sums; 'contract' allows fused multiply-adds. No 'nnan'
# or 'ninf': NaN and inf must behave as IEEE says (they are tested).
_FLAGS = {"contract", "reassoc"}


class _Options(TypedDict):
    """The keyword arguments every kernel passes to ``njit`` (typed: numba's stubs check them)."""

    fastmath: set[str]
    nogil: bool
    cache: bool
    error_model: Literal["python", "numpy"]


_OPTIONS: _Options = {"fastmath": _FLAGS, "nogil": True, "cache": True, "error_model": "numpy"}


@njit(inline="always", **_OPTIONS)
def _row_max(x, i):
    """Largest non-NaN value of row ``i`` (``-inf`` if there is none); exact, order-free.

    In vector registers (:func:`~softmax_course._numba_simd.row_max`): a loop
    written here would stay scalar (see that module).
    """
    return row_max(x[i])


@njit(**_OPTIONS)
def _row_has_nan(x, i):
    for j in range(x.shape[1]):
        if x[i, j] != x[i, j]:
            return True
    return False


#: Sums run over chunks of this many elements, and the chunk sums are added up: the
#: rounding error of a long row then grows with ``CHUNK / lanes + K / CHUNK`` instead of
#: ``K / lanes`` (a two-level version of numpy's pairwise summation).
CHUNK = 512


#: Bytes of one AVX2 vector. The exp loops run over a multiple of its lanes (8 float32, 4
#: float64) and recompute the row's last lanes in a second, overlapping loop (same inputs,
#: same results): the tail then runs as one vector too, where a scalar remainder of up to
#: 7 exps would cost as much as 30 vector ones. One vector's lanes, not a multiple: the exp
#: loop is not unrolled (its polynomial fills the registers), and a longer overlap would
#: recompute more (measured, K = 100: 236 ns a float64 row with 4 lanes, 269 with 8; K = 1000
#: float32: 981 ns with 8, 1047 with 32).
VECTOR_BYTES = 32


@njit(**_OPTIONS)
def _exp_row(x, i, m, t, e):
    """``e[j] = e^((x[i, j] - m)/t)``; ``e`` (1-D, length ``K``) must not overlap ``x``.

    A loop of its own: fused with the float64 sums below, LLVM would vectorize
    float32 exps 4 lanes wide (the width of the widest type in the loop), not 8.
    """
    n = x.shape[1]
    lanes = VECTOR_BYTES // x.itemsize
    body = n - n % lanes
    tail = max(n - lanes, 0) if body < n else n
    if t == 1:
        for j in range(body):
            e[j] = exp(x[i, j] - m)
        for j in range(tail, n):
            e[j] = exp(x[i, j] - m)
    else:
        for j in range(body):
            e[j] = exp((x[i, j] - m) / t)
        for j in range(tail, n):
            e[j] = exp((x[i, j] - m) / t)


# The two sums below are inlined into every caller (numba's ``inline="always"``), and a row of
# at most CHUNK terms takes one plain loop: called as functions, with the chunk loop around a
# row of 100, they cost 2-3 times as much (measured, AVX2: 21 ns against 9.5 for 100 float32
# terms, 43 against 31 for the split). One chunk gives the same bits either way (0 + part).


@njit(inline="always", **_OPTIONS)
def _sum64(e):
    """Float64 sum of the 1-D ``e`` (also for float32), in chunks of :data:`CHUNK`."""
    n = e.shape[0]
    r = 0.0
    if n <= CHUNK:
        for j in range(n):
            r += e[j]
        return r
    for c in range(0, n, CHUNK):
        part = 0.0
        for j in range(c, min(c + CHUNK, n)):
            part += e[j]
        r += part
    return r


@njit(inline="always", **_OPTIONS)
def _sum_split(e):
    """``(r, ones)`` of the 1-D ``e`` (terms in ``[0, 1]``): float64 sum of the terms below 1,
    and the number of exact 1s (as a float64).

    ``floor(v)`` is 1 for an exact 1 and 0 for the others, so ``v - floor(v)`` and
    ``floor(v)`` split the terms with arithmetic only: a select in the loop
    (``0 if v == 1 else v``) would cost twice as much (measured). A NaN term
    reaches both.
    """
    n = e.shape[0]
    r = 0.0
    ones = 0.0
    if n <= CHUNK:
        for j in range(n):
            v = e[j]
            whole = np.floor(v)
            r += v - whole
            ones += whole
        return r, ones
    for c in range(0, n, CHUNK):
        part = 0.0
        for j in range(c, min(c + CHUNK, n)):
            v = e[j]
            whole = np.floor(v)
            part += v - whole
            ones += whole
        r += part
    return r, ones


#: float32 rows whose ``r`` is at least this take ``r = (sum of all terms) - 1`` in float64
#: (see :func:`_split_sum_or_shortcut`).
SHORTCUT_R = 2.0**-16


@njit(inline="always", **_OPTIONS)
def _split_sum_or_shortcut(e):
    """:func:`_sum_split`, or for float32 terms a cheaper sum when that is as accurate.

    With float32 terms, the plain float64 sum ``S`` of them all, maximum's 1
    included, has an absolute error below ``n * 2**-53 * S`` with
    ``n = CHUNK / 4 + K / CHUNK`` (the chunked sum in 4 float64 lanes, or more),
    ``n < 330`` for ``K <= 10**5``; for ``r = S - 1 >= SHORTCUT_R`` that is under
    0.05 of a float32 ulp of ``r``, so ``(S - 1, 1)`` serves.
    Only a row that one value dominates (``r`` below ``2**-16``) pays for the split:
    there ``log1p(r)`` needs ``r`` to float32 precision, which ``S - 1`` has lost.
    """
    if e.itemsize == 4:
        r = _sum64(e) - 1.0
        if r >= SHORTCUT_R:  # False for NaN: the split below passes it on
            return r, 1.0
    return _sum_split(e)


@njit(**_OPTIONS)
def _rest(x, i, m, t, e):
    r"""``r = sum_j e^((x_j - m)/t)`` without one maximum's term (exactly 1): ``log(1 + r)``.

    ``e`` is scratch of length ``K`` (it receives the exps); see :func:`_rest_from_exps`.
    """
    _exp_row(x, i, m, t, e)
    return _rest_from_exps(e, x)


@njit(inline="always", **_OPTIONS)
def _rest_from_exps(e, like):
    """:func:`_rest` of one row from its exps ``e``, returned in the dtype of ``like``.

    The terms equal to 1 are counted, not summed: ``r`` is the sum of the
    others plus ``ones - 1``, accumulated in float64 (also for float32 input).
    """
    r, ones = _split_sum_or_shortcut(e)
    if ones > 1:
        r += ones - 1
    return like.dtype.type(r)


@njit(**_OPTIONS)
def _rest_parts(x, i, m, t, e):
    """The exps and :func:`_rest_from_exps` before its last step (a chunk of a long row)."""
    _exp_row(x, i, m, t, e)
    return _split_sum_or_shortcut(e)


@njit(**_OPTIONS)
def _exp_sum_into(x, i, m, t, out):
    """``out[i, j] = e^((x_ij - m)/t)``; returns ``(r, ones)``, the row's sum is ``r + ones``.

    ``out`` must not overlap ``x`` (see :func:`_exp_row`). In float64 the terms
    that are exactly 1 (the maximum's, and its ties) are counted in ``ones``
    rather than summed (:func:`_sum_split`): adding many small terms to a
    partial sum that holds a 1 loses their low digits, one rounding of 1's ulp
    per addition (tens of ulp in a row of hundreds); ``r``, the float64 sum of
    the others, keeps them. float32 terms are summed in float64, which has 29
    digits to spare: all of them in ``r``, ``ones = 0``, and a cheaper loop.
    """
    row = out[i]
    _exp_row(x, i, m, t, row)
    if x.itemsize == 4:
        return _sum64(row), 0.0
    return _sum_split(row)


@njit(**_OPTIONS)
def _total(x, i, m, t, out):
    """The row's sum of :func:`_exp_sum_into`, in the dtype of ``x``."""
    r, ones = _exp_sum_into(x, i, m, t, out)
    return x.dtype.type(r + ones)


#: Rows shorter than this take the "flat" variants below: a row-by-row loop of a few
#: elements never reaches the vector body of the loop (8-16 lanes, unrolled 4 times), so
#: the exp would run as scalar code. The flat variants compute the exps of a group of rows
#: as one contiguous loop instead. Up to about 128 classes the flat variants win also for
#: rows that do reach the vector body (measured, float32, K = 100: 1.3-1.6x torch's time
#: instead of 1.8-1.9x; from K = 200 the row loops win): the row loops' set-up and their
#: tail of up to a vector's lanes weigh on a row of a hundred.
SMALL_K = 128
#: Elements per group of rows in the flat variants (a few kB: the group stays in L1).
GROUP = 2048


@njit(**_OPTIONS)
def _shift_rows(x, out, t, a, b, maxima):
    """``out[i] = (x[i] - m_i) / t`` for rows ``a:b``; the maxima into ``maxima[: b - a]``."""
    for i in range(a, b):
        m = _row_max(x, i)
        maxima[i - a] = m
        if t == 1:
            for j in range(x.shape[1]):
                out[i, j] = x[i, j] - m
        else:
            for j in range(x.shape[1]):
                out[i, j] = (x[i, j] - m) / t


@njit(**_OPTIONS)
def _exp_flat(source, target):
    """``target[k] = e^source[k]`` over two distinct 1-D arrays of one length.

    Two arguments that are the same array would make LLVM's run-time overlap
    check pick the scalar version of the loop: use :func:`_exp_inplace` then.
    """
    for k in range(source.shape[0]):
        target[k] = exp(source[k])


@njit(**_OPTIONS)
def _exp_inplace(values):
    """``values[k] = e^values[k]`` in place (one array: no run-time overlap check, see above)."""
    for k in range(values.shape[0]):
        values[k] = exp(values[k])


@njit(**_OPTIONS)
def _group_exps(x, a, b, maxima, scratch):
    """Short rows ``a:b``: maxima into ``maxima``, ``e^(x - m)`` into ``scratch[: b - a]``."""
    for i in range(a, b):
        m = _row_max(x, i)
        maxima[i - a] = m
        for j in range(x.shape[1]):
            scratch[i - a, j] = x[i, j] - m
    _exp_inplace(scratch[: b - a].reshape(-1))


@njit(**_OPTIONS)
def _group_log_norms(scratch, n, like, norms):
    """``norms[k] = log1p(r_k)`` (float64) for the first ``n`` rows of exps in ``scratch``.

    The ``r_k`` of :func:`_rest_from_exps` (in the dtype of ``like``), then one
    vectorized ``log1p`` loop over the group: ``np.log1p`` would be a library call per row.
    """
    for k in range(n):
        norms[k] = np.float64(_rest_from_exps(scratch[k], like))
    for k in range(n):
        norms[k] = log1p64(norms[k])


# --- short rows across a tile ------------------------------------------------------------
#
# For K <= ACROSS_K a loop along one row never reaches the vector body (8-16 lanes, unrolled),
# and the loop set-up of every tiny per-row loop costs more than its arithmetic. The kernels
# below load a tile of TILE_ROWS rows transposed, ``tile[j, i] = x[a + i, j]``, into a scratch
# array that stays in L1/L2: every loop then runs along the rows of the tile, over the
# columns one at a time, with the same operations for every lane, and vectorizes (the
# maximum too: an elementwise select, not a reduction). The operations of each row are
# those of the row kernels (maximum, then the shifted exps, float64 sums in column order),
# so a row's result does not depend on the tile it falls in, nor on the worker.

#: Rows of at most this many classes take the tile kernels.
ACROSS_K = 16
#: Rows per tile (a tile of ``TILE_ROWS * ACROSS_K`` float64 is 32 kB).
TILE_ROWS = 256


#: The transposes go 8 rows at a time: for each column, the 8 rows' values are 8 loads at a
#: stride of K and 8 consecutive stores (or the reverse), which LLVM turns into vector
#: shuffles; one row at a time (K strided stores) was 30 % slower, the maximum in a loop of its
#: own over the tile 35 % slower again (measured, K = 10).
TRANSPOSE_ROWS = 8


@njit(**_OPTIONS)
def _tile_load(x, a, b, tile, m):
    """``tile[j, i] = x[a + i, j]`` and ``m[i]`` = the largest non-NaN value of row ``a + i``."""
    n = b - a
    k = x.shape[1]
    flat = x[a:b].reshape(-1)
    for i in range(n):
        m[i] = x.dtype.type(-np.inf)
    whole = n - n % TRANSPOSE_ROWS
    for i0 in range(0, whole, TRANSPOSE_ROWS):
        for j in range(k):
            for d in range(TRANSPOSE_ROWS):
                v = flat[(i0 + d) * k + j]
                tile[j, i0 + d] = v
                m[i0 + d] = v if v > m[i0 + d] else m[i0 + d]
    for i in range(whole, n):
        for j in range(k):
            v = flat[i * k + j]
            tile[j, i] = v
            m[i] = v if v > m[i] else m[i]


@njit(**_OPTIONS)
def _tile_store(tile, n, out, a):
    """``out[a + i, j] = tile[j, i]`` for the first ``n`` lanes (the transpose back)."""
    k = out.shape[1]
    flat = out[a : a + n].reshape(-1)
    whole = n - n % TRANSPOSE_ROWS
    for i0 in range(0, whole, TRANSPOSE_ROWS):
        for j in range(k):
            for d in range(TRANSPOSE_ROWS):
                flat[(i0 + d) * k + j] = tile[j, i0 + d]
    for i in range(whole, n):
        for j in range(k):
            flat[i * k + j] = tile[j, i]


@njit(**_OPTIONS)
def _tile_exps(tile, n, m, t, e):
    """``e[j, i] = exp((tile[j, i] - m[i]) / t)`` over the first ``n`` lanes."""
    if t == 1:
        for j in range(tile.shape[0]):
            for i in range(n):
                e[j, i] = exp(tile[j, i] - m[i])
    else:
        for j in range(tile.shape[0]):
            for i in range(n):
                e[j, i] = exp((tile[j, i] - m[i]) / t)


@njit(**_OPTIONS)
def _tile_sums(e, n, sums, ones, split):
    """Per lane ``i < n`` of the tile of exps ``e``: the float64 sum of its terms.

    ``split``: as :func:`_sum_split`, the terms below 1 into ``sums`` and the exact 1s
    counted in ``ones``; otherwise all of them into ``sums`` and ``ones`` is 0.
    """
    for i in range(n):
        sums[i] = 0.0
        ones[i] = 0.0
    for j in range(e.shape[0]):
        if split:
            for i in range(n):
                v = e[j, i]
                whole = np.floor(v)
                sums[i] += v - whole
                ones[i] += whole
        else:
            for i in range(n):
                sums[i] += e[j, i]


@njit(**_OPTIONS)
def _tile_log_norm(e, n, log_norm, ones):
    """``log_norm[i] = log1p(r_i)``, ``r_i`` = the sum of the terms but one maximum's 1.

    The terms are split (:func:`_tile_sums`), one lane per row (``ones`` is scratch).
    """
    _tile_sums(e, n, log_norm, ones, True)
    for i in range(n):  # log1p64 vectorizes (np.log1p would be a library call per row)
        r = e.dtype.type(log_norm[i] + (ones[i] - 1.0 if ones[i] > 1.0 else 0.0))
        log_norm[i] = log1p64(np.float64(r))


@njit(**_OPTIONS)
def _tile_scratch(x):
    rows = TILE_ROWS
    k = x.shape[1]
    tile = np.empty((k, rows), dtype=x.dtype)
    e = np.empty((k, rows), dtype=x.dtype)
    m = np.empty(rows, dtype=x.dtype)
    sums = np.empty(rows, dtype=np.float64)
    ones = np.empty(rows, dtype=np.float64)
    return tile, e, m, sums, ones


@njit(**_OPTIONS)
def _softmax_tiles(x, out, t, start, stop):
    """:func:`softmax` of rows ``start:stop`` of at most ``ACROSS_K`` values, in tiles."""
    tile, e, m, sums, ones = _tile_scratch(x)
    for a in range(start, stop, TILE_ROWS):
        b = min(a + TILE_ROWS, stop)
        n = b - a
        _tile_load(x, a, b, tile, m)
        _tile_exps(tile, n, m, t, e)
        _tile_sums(e, n, sums, ones, x.itemsize == 8)  # the sums of _exp_sum_into
        for i in range(n):  # reuse m: the reciprocals of the totals
            m[i] = x.dtype.type(1) / x.dtype.type(sums[i] + ones[i])
        for j in range(x.shape[1]):
            for i in range(n):
                e[j, i] = e[j, i] * m[i]
        _tile_store(e, n, out, a)


@njit(**_OPTIONS)
def _log_softmax_tiles(x, out, t, start, stop):
    tile, e, m, log_norm, ones = _tile_scratch(x)
    nan = x.dtype.type(np.nan)
    for a in range(start, stop, TILE_ROWS):
        b = min(a + TILE_ROWS, stop)
        n = b - a
        _tile_load(x, a, b, tile, m)
        _tile_exps(tile, n, m, t, e)
        _tile_log_norm(e, n, log_norm, ones)
        for i in range(n):  # reuse e's first row: the log-normalizers in the dtype of x
            e[0, i] = x.dtype.type(log_norm[i]) if np.isfinite(m[i]) else nan
        ln = e[0]
        for j in range(x.shape[1]):
            if t == 1:
                for i in range(n):
                    tile[j, i] = (tile[j, i] - m[i]) - ln[i]
            else:
                for i in range(n):
                    tile[j, i] = (tile[j, i] - m[i]) / t - ln[i]
        _tile_store(tile, n, out, a)


@njit(**_OPTIONS)
def _logsumexp_tiles(x, out, start, stop):
    tile, e, m, log_norm, ones = _tile_scratch(x)
    one = x.dtype.type(1)
    nan = x.dtype.type(np.nan)
    for a in range(start, stop, TILE_ROWS):
        b = min(a + TILE_ROWS, stop)
        n = b - a
        _tile_load(x, a, b, tile, m)
        _tile_exps(tile, n, m, one, e)
        _tile_log_norm(e, n, log_norm, ones)
        for i in range(n):
            mi = m[i]
            if not np.isfinite(mi):  # +inf or all -inf: the maximum, unless a NaN is there
                out[a + i] = nan if _row_has_nan(x, a + i) else mi
            else:
                out[a + i] = x.dtype.type(log_norm[i]) + mi


@njit(**_OPTIONS)
def _ce_loss_labels_tiles(z, labels, out, start, stop):
    tile, e, m, log_norm, ones = _tile_scratch(z)
    one = z.dtype.type(1)
    nan = z.dtype.type(np.nan)
    for a in range(start, stop, TILE_ROWS):
        b = min(a + TILE_ROWS, stop)
        n = b - a
        _tile_load(z, a, b, tile, m)
        _tile_exps(tile, n, m, one, e)
        _tile_log_norm(e, n, log_norm, ones)
        for i in range(n):
            mi = m[i]
            ln = z.dtype.type(log_norm[i]) if np.isfinite(mi) else nan
            out[a + i] = (z[a + i, labels[a + i]] - mi) - ln


@njit(**_OPTIONS)
def softmax(x, out, t, start, stop):
    """Softmax of rows ``start:stop`` of ``x`` into ``out`` (may be ``x``); 3 passes per row.

    Rows of at most ``ACROSS_K`` values: in transposed tiles. Short rows
    (``K < SMALL_K``), per group of rows: ``out = (x - m) / t`` (reading ``x``),
    one flat ``exp`` loop from the group into a scratch group, then per row the sum
    and ``out = e / total``: 4 passes over the group, all but the first in L1. The
    exps go to scratch, as log-softmax's do, not back into ``out``: that took 15-20 %
    longer for the whole call at K = 100 (measured, AVX2, float32 and float64).
    """
    n_cols = x.shape[1]
    if n_cols <= ACROSS_K:
        _softmax_tiles(x, out, t, start, stop)
        return
    if n_cols < SMALL_K:
        rows = max(1, GROUP // n_cols)
        maxima = np.empty(rows, dtype=x.dtype)
        scratch = np.empty((rows, n_cols), dtype=x.dtype)
        for a in range(start, stop, rows):
            b = min(a + rows, stop)
            _shift_rows(x, out, t, a, b, maxima)
            _exp_flat(out[a:b].reshape(-1), scratch[: b - a].reshape(-1))
            for i in range(a, b):
                e = scratch[i - a]
                if x.itemsize == 4:  # as in _exp_sum_into
                    r, ones = _sum64(e), 0.0
                else:
                    r, ones = _sum_split(e)
                scale = x.dtype.type(1) / x.dtype.type(r + ones)
                for j in range(n_cols):
                    out[i, j] = e[j] * scale
        return
    for i in range(start, stop):
        m = _row_max(x, i)
        scale = x.dtype.type(1) / _total(x, i, m, t, out)
        for j in range(n_cols):
            out[i, j] = out[i, j] * scale


@njit(**_OPTIONS)
def softmax_inplace(x, out, t, start, stop):
    """:func:`softmax` for ``out`` sharing memory with ``x``, through a scratch row.

    Writing ``e_j`` over ``x`` while summing would make LLVM's run-time overlap
    check choose the scalar version of the loop, which sums in another order
    than the vector version: the bits would then depend on ``out=x``. The
    scratch row (``K`` values, in cache) keeps the summing loop the same.
    """
    if x.shape[1] < SMALL_K:  # the flat variant works in place already
        softmax(x, out, t, start, stop)
        return
    scratch = np.empty((1, x.shape[1]), dtype=x.dtype)
    for i in range(start, stop):
        m = _row_max(x, i)
        scale = x.dtype.type(1) / _total(x[i : i + 1], 0, m, t, scratch)
        for j in range(x.shape[1]):
            out[i, j] = scratch[0, j] * scale


@njit(**_OPTIONS)
def log_softmax(x, out, t, start, stop):
    """Log-softmax of rows ``start:stop`` into ``out`` (may be ``x``); 3 passes per row.

    Short rows: ``out = (x - m) / t``, the exps of a group into a scratch
    group, per row the sum of the terms but the maximum's and ``out -= log1p``.
    """
    if x.shape[1] <= ACROSS_K:
        _log_softmax_tiles(x, out, t, start, stop)
        return
    nan = x.dtype.type(np.nan)
    n_cols = x.shape[1]
    if n_cols < SMALL_K:
        rows = max(1, GROUP // n_cols)
        maxima = np.empty(rows, dtype=x.dtype)
        norms = np.empty(rows)
        scratch = np.empty((rows, n_cols), dtype=x.dtype)
        for a in range(start, stop, rows):
            b = min(a + rows, stop)
            _shift_rows(x, out, t, a, b, maxima)
            _exp_flat(out[a:b].reshape(-1), scratch[: b - a].reshape(-1))
            _group_log_norms(scratch, b - a, x, norms)
            for i in range(a, b):
                m = maxima[i - a]
                log_norm = x.dtype.type(norms[i - a]) if np.isfinite(m) else nan
                for j in range(n_cols):
                    out[i, j] = out[i, j] - log_norm
        return
    e = np.empty(n_cols, dtype=x.dtype)
    for i in range(start, stop):
        m = _row_max(x, i)
        r = _rest(x, i, m, t, e)
        log_norm = np.log1p(r) if np.isfinite(m) else nan
        if t == 1:
            for j in range(n_cols):
                out[i, j] = (x[i, j] - m) - log_norm
        else:
            for j in range(n_cols):
                out[i, j] = (x[i, j] - m) / t - log_norm


@njit(**_OPTIONS)
def logsumexp(x, out, start, stop):
    """Log-sum-exp of rows ``start:stop`` into the 1-D ``out``; 2 passes per row."""
    if x.shape[1] <= ACROSS_K:
        _logsumexp_tiles(x, out, start, stop)
        return
    one = x.dtype.type(1)
    n_cols = x.shape[1]
    if n_cols < SMALL_K:  # short rows: the exps of a group of rows in one flat loop
        rows = max(1, GROUP // n_cols)
        maxima = np.empty(rows, dtype=x.dtype)
        norms = np.empty(rows)
        scratch = np.empty((rows, n_cols), dtype=x.dtype)
        for a in range(start, stop, rows):
            b = min(a + rows, stop)
            _group_exps(x, a, b, maxima, scratch)
            _group_log_norms(scratch, b - a, x, norms)
            for i in range(a, b):
                m = maxima[i - a]
                if not np.isfinite(m):
                    out[i] = x.dtype.type(np.nan) if _row_has_nan(x, i) else m
                else:
                    out[i] = x.dtype.type(norms[i - a]) + m
        return
    e = np.empty(n_cols, dtype=x.dtype)
    for i in range(start, stop):
        m = _row_max(x, i)
        if not np.isfinite(m):  # +inf or all -inf: the maximum, unless a NaN is there
            out[i] = x.dtype.type(np.nan) if _row_has_nan(x, i) else m
        else:
            out[i] = np.log1p(_rest(x, i, m, one, e)) + m


@njit(**_OPTIONS)
def vjp(s, g, out, start, stop):
    """``s * (g - <s, g>)`` for rows ``start:stop``; ``out`` may be ``s`` or ``g``; 2 passes."""
    for i in range(start, stop):
        acc = 0.0  # float64, also for float32 input
        for c in range(0, s.shape[1], CHUNK):
            part = 0.0
            for j in range(c, min(c + CHUNK, s.shape[1])):
                part += s[i, j] * g[i, j]
            acc += part
        d = s.dtype.type(acc)
        for j in range(s.shape[1]):
            out[i, j] = s[i, j] * (g[i, j] - d)


@njit(**_OPTIONS)
def ce_loss_labels(z, labels, out, start, stop):
    """``out[i] = log softmax(z_i)[labels[i]]`` (a log-probability, <= 0); 2 passes per row."""
    if z.shape[1] <= ACROSS_K:
        _ce_loss_labels_tiles(z, labels, out, start, stop)
        return
    one = z.dtype.type(1)
    nan = z.dtype.type(np.nan)
    n_cols = z.shape[1]
    if n_cols < SMALL_K:
        rows = max(1, GROUP // n_cols)
        maxima = np.empty(rows, dtype=z.dtype)
        norms = np.empty(rows)
        scratch = np.empty((rows, n_cols), dtype=z.dtype)
        for a in range(start, stop, rows):
            b = min(a + rows, stop)
            _group_exps(z, a, b, maxima, scratch)
            _group_log_norms(scratch, b - a, z, norms)
            for i in range(a, b):
                m = maxima[i - a]
                log_norm = z.dtype.type(norms[i - a]) if np.isfinite(m) else nan
                out[i] = (z[i, labels[i]] - m) - log_norm
        return
    e = np.empty(n_cols, dtype=z.dtype)
    for i in range(start, stop):
        m = _row_max(z, i)
        r = _rest(z, i, m, one, e)
        log_norm = np.log1p(r) if np.isfinite(m) else nan
        out[i] = (z[i, labels[i]] - m) - log_norm


@njit(**_OPTIONS)
def ce_loss_probs(z, y, out, start, stop):
    """``out[i] = sum_k [y_ik > 0] y_ik log softmax(z_i)_k``; 3 passes (max, sum, dot)."""
    one = z.dtype.type(1)
    zero = z.dtype.type(0)
    nan = z.dtype.type(np.nan)
    n_cols = z.shape[1]
    small = n_cols < SMALL_K
    rows = max(1, GROUP // n_cols) if small else 1
    maxima = np.empty(rows, dtype=z.dtype)
    scratch = np.empty((rows if small else 0, n_cols), dtype=z.dtype)
    e = np.empty(0 if small else n_cols, dtype=z.dtype)
    for a in range(start, stop, rows):
        b = min(a + rows, stop)
        if small:  # short rows: the exps of the group in one flat loop
            _group_exps(z, a, b, maxima, scratch)
        for i in range(a, b):
            if small:
                m = maxima[i - a]
                r = _rest_from_exps(scratch[i - a], z)
            else:
                m = _row_max(z, i)
                r = _rest(z, i, m, one, e)
            log_norm = np.log1p(r) if np.isfinite(m) else nan
            acc = 0.0
            for j in range(n_cols):
                w = y[i, j]
                term = w * ((z[i, j] - m) - log_norm)
                acc += term if w > zero else zero
            out[i] = z.dtype.type(acc)


@njit(**_OPTIONS)
def ce_grad_labels(z, labels, n, out, start, stop):
    """``(softmax(z_i) - onehot(labels[i])) / n`` into ``out``; 3 passes per row.

    In the order of the numpy path, ``s = e / total``, ``s[label] - 1``, then ``/ n``, with
    each division a multiplication by the reciprocal (the loops then run on multipliers).
    """
    one = z.dtype.type(1)
    n_cols = z.shape[1]
    if n_cols < SMALL_K:  # short rows: softmax's flat variant, then the label and 1/n
        softmax(z, out, one, start, stop)
        for i in range(start, stop):
            label = labels[i]
            s_label = out[i, label]
            inv_n = one / n
            for j in range(n_cols):
                out[i, j] = out[i, j] * inv_n
            out[i, label] = (s_label - one) * inv_n
        return
    for i in range(start, stop):
        m = _row_max(z, i)
        total = _total(z, i, m, one, out)
        label = labels[i]
        e_label = out[i, label]
        scale = one / total
        inv_n = one / n
        for j in range(z.shape[1]):
            out[i, j] = (out[i, j] * scale) * inv_n
        out[i, label] = ((e_label * scale) - one) * inv_n


@njit(**_OPTIONS)
def ce_grad_probs(z, y, n, out, start, stop):
    """``(softmax(z_i) * sum(y_i) - y_i) / n`` into ``out``; 4 passes per row (one over ``y``)."""
    one = z.dtype.type(1)
    if z.shape[1] < SMALL_K:  # short rows: softmax's flat variant first
        softmax(z, out, one, start, stop)
        for i in range(start, stop):
            acc = 0.0
            for j in range(z.shape[1]):
                acc += y[i, j]
            ysum = z.dtype.type(acc)
            inv_n = one / n
            for j in range(z.shape[1]):
                out[i, j] = (out[i, j] * ysum - y[i, j]) * inv_n
        return
    for i in range(start, stop):
        m = _row_max(z, i)
        total = _total(z, i, m, one, out)
        acc = 0.0
        for j in range(z.shape[1]):
            acc += y[i, j]
        ysum = z.dtype.type(acc)
        scale = one / total
        inv_n = one / n
        for j in range(z.shape[1]):
            out[i, j] = ((out[i, j] * scale) * ysum - y[i, j]) * inv_n


# --- rows longer than a block: column chunks shared among the workers -------------------
#
# One long row (a 1-D input of millions of values) cannot be shared out by rows. It is cut
# into chunks of WIDE_CHUNK columns, a number that does not depend on the workers, and
# every phase computes per-chunk results into arrays (``chunk_max``, ``chunk_sum``, ...)
# that the caller combines in chunk order: the same operations in the same order for any
# number of workers, so the same bits. The first phase takes each chunk's own maximum and
# its sums relative to it (the caller rescales them to the row's maximum), so that the
# chunk is read from memory once. The last two arguments, ``first`` and ``stop``, select
# chunks of row ``i``.

#: Columns per chunk of a long row (512 kB of float64: a chunk is re-read from L2).
WIDE_CHUNK = 1 << 16


@njit(**_OPTIONS)
def _chunk(x, i, c):
    """Chunk ``c`` of row ``i`` as a ``(1, width)`` C-contiguous view (the row helpers' shape)."""
    a = c * WIDE_CHUNK
    b = min(a + WIDE_CHUNK, x.shape[1])
    return x[i][a:b].reshape((1, b - a))


@njit(**_OPTIONS)
def _chunk_exp_sum(x, i, c, m, t, out, in_place, scratch):
    """Chunk ``c``: ``out = e^((x - m)/t)``; returns its ``(r, ones)`` (see :func:`_exp_sum_into`).

    ``in_place`` (``out`` is ``x``): through ``scratch``, as in :func:`softmax_inplace`.
    """
    xc = _chunk(x, i, c)
    oc = _chunk(out, i, c)
    if not in_place:
        return _exp_sum_into(xc, 0, m, t, oc)
    sc = scratch[: xc.shape[1]].reshape((1, xc.shape[1]))
    r, ones = _exp_sum_into(xc, 0, m, t, sc)
    for j in range(xc.shape[1]):
        oc[0, j] = sc[0, j]
    return r, ones


@njit(**_OPTIONS)
def wide_exp_sum(x, i, t, out, in_place, chunk_max, chunk_sum, chunk_ones, first, stop):
    """Per chunk: its maximum ``m_c``, ``out = e^((x - m_c)/t)``, their sum but the 1s, the 1s.

    Softmax's first pass over a long row. The chunk is read from memory once (for
    its maximum) and again from the cache (a chunk of :data:`WIDE_CHUNK` values fits
    in L2); each chunk is relative to its own maximum, and the caller rescales by
    ``e^((m_c - M)/t)`` (the online normalizer of lesson 08, one chunk at a time).
    """
    scratch = np.empty(WIDE_CHUNK if in_place else 0, dtype=x.dtype)
    for c in range(first, stop):
        m = _row_max(_chunk(x, i, c), 0)
        chunk_max[c] = m
        chunk_sum[c], chunk_ones[c] = _chunk_exp_sum(x, i, c, m, t, out, in_place, scratch)


@njit(**_OPTIONS)
def wide_exp_sum_from(x, i, c, m, t, out, in_place, chunk_sum, chunk_ones):
    """:func:`wide_exp_sum` of chunk ``c`` relative to a given ``m`` (a chunk with no maximum)."""
    scratch = np.empty(WIDE_CHUNK if in_place else 0, dtype=x.dtype)
    chunk_sum[c], chunk_ones[c] = _chunk_exp_sum(x, i, c, m, t, out, in_place, scratch)


@njit(**_OPTIONS)
def wide_scale(out, i, scales, first, stop):
    """Per chunk: ``out *= scales[c]`` (softmax's last pass)."""
    for c in range(first, stop):
        oc = _chunk(out, i, c)
        scale = scales[c]
        for j in range(oc.shape[1]):
            oc[0, j] = oc[0, j] * scale


@njit(**_OPTIONS)
def wide_rest(x, i, t, chunk_max, chunk_sum, chunk_ones, first, stop):
    """Per chunk: its maximum ``m_c`` and :func:`_rest_parts` relative to it (one memory read)."""
    e = np.empty(min(WIDE_CHUNK, x.shape[1]), dtype=x.dtype)
    for c in range(first, stop):
        xc = _chunk(x, i, c)
        m = _row_max(xc, 0)
        chunk_max[c] = m
        chunk_sum[c], chunk_ones[c] = _rest_parts(xc, 0, m, t, e[: xc.shape[1]])


@njit(**_OPTIONS)
def wide_rest_from(x, i, c, m, t, chunk_sum, chunk_ones):
    """:func:`wide_rest` of chunk ``c`` relative to a given ``m`` (a chunk with no maximum)."""
    xc = _chunk(x, i, c)
    e = np.empty(xc.shape[1], dtype=x.dtype)
    chunk_sum[c], chunk_ones[c] = _rest_parts(xc, 0, m, t, e)


@njit(**_OPTIONS)
def wide_shift(x, i, m, t, log_norm, out, first, stop):
    """Per chunk: ``out = (x - m)/t - log_norm`` (log-softmax's last pass)."""
    for c in range(first, stop):
        xc = _chunk(x, i, c)
        oc = _chunk(out, i, c)
        if t == 1:
            for j in range(xc.shape[1]):
                oc[0, j] = (xc[0, j] - m) - log_norm
        else:
            for j in range(xc.shape[1]):
                oc[0, j] = (xc[0, j] - m) / t - log_norm


# --- the disk cache and the files these kernels inline ----------------------------------------
#
# numba's disk cache checks a compiled function against its own source file only (its time
# stamp, or its hash in newer versions). These kernels inline the exp of ``_numba_exp`` and the
# vector maximum of ``_numba_simd``: after an edit of those files alone, a checkout would keep
# running the old kernels from ``__pycache__``. So the hash of the files they inline is kept
# beside their cache, and when it differs the kernels' cache entries are dropped (each is
# compiled again on its next call).

#: The files whose code the kernels inline (``_numba_exp`` imports nothing of the package).
INLINED_SOURCES = ("_numba_exp.py", "_numba_simd.py")
STAMP_NAME = "softmax_course._numba_kernels.inlined-sources"


def _inlined_sources_digest() -> str:
    digest = hashlib.sha256()
    for name in INLINED_SOURCES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    return digest.hexdigest()


def _drop_stale_cache() -> bool:
    """Drop the kernels' cache entries if the inlined files changed; True if it dropped them.

    Nothing happens when numba caches nowhere (``cache_path`` is None) or the stamp cannot
    be written (numba then cannot write there either).
    """
    caches = [  # the cached dispatchers defined here (not those imported from _numba_exp)
        f._cache
        for f in list(globals().values())
        if getattr(getattr(f, "py_func", None), "__module__", None) == __name__
        and getattr(getattr(f, "_cache", None), "cache_path", None)
    ]
    if not caches:
        return False
    stamp = Path(caches[0].cache_path) / STAMP_NAME
    digest = _inlined_sources_digest()
    try:
        if stamp.read_text(encoding="ascii") == digest:
            return False
    except (OSError, UnicodeDecodeError):
        pass  # no stamp yet: the cache may predate it, so drop it too
    try:
        for cache in caches:
            cache.flush()
        stamp.write_text(digest, encoding="ascii")
    except OSError:
        pass  # numba cannot write there either: it will compile in memory
    return True


_drop_stale_cache()
