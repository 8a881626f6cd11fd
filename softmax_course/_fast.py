r"""Cache-blocked numpy kernels behind :mod:`softmax_course.core` (private).

The reference formulation of softmax is three lines::

    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    s = e / np.sum(e, axis=-1, keepdims=True)

Each line is a separate pass over the whole array, and ``x - m`` and ``e``
are full ``(N, K)`` temporaries. Once the array is larger than the CPU
caches, every pass streams the array from main memory again: the work is
bound by memory traffic, not arithmetic, and the temporaries double or
triple the peak memory.

The kernels here do the same arithmetic in the same order, but

* **in row blocks of about** :data:`BLOCK_BYTES`: a block of rows is read
  once from memory and the following passes (subtract, exp, sum, divide)
  find it in the cache;
* **in place** with ``out=`` arguments (``np.subtract(x, m, out=o)``,
  ``np.exp(o, out=o)``, ``np.divide(o, total, out=o)``): the only ``(N, K)``
  array is the output, scratch is ``O(block)``;
* **with reductions chosen for the shape**: for a small class count
  (``K <= SMALL_K``) ``np.max(x, axis=1)`` and ``np.sum(x, axis=1)`` run a
  separate tiny inner loop of length ``K`` for every row, and that per-row
  call overhead dominates. A loop over the ``K`` *columns* with
  ``np.maximum(m, x[:, k], out=m)`` makes ``K`` long vectorized calls
  instead, and ``np.einsum('ij->i', e)`` sums rows without the per-row
  overhead. For large ``K`` numpy's own reductions are already efficient
  (and ``np.sum`` sums pairwise, which is more accurate), so they are used.

logsumexp and log-softmax take ``log1p`` of the sum of the terms *other*
than one maximum (whose term is exactly 1), as ``scipy.special.logsumexp``
does, instead of ``log`` of the rounded full sum: at small ``K`` the column
loop of the row maximum also collects the other entries, at large ``K``
``np.argmax`` finds one maximum to leave out. Measured against the plain
``log`` of the full sum (2 shared cores, min of interleaved rounds):
logsumexp 0.9-1.1x the time, log-softmax 1.0-1.1x at large ``K`` and about
1.2x at ``K <= SMALL_K`` (the extra ``np.minimum`` per column).

A row longer than a block (``K`` in the millions) is processed in column
chunks of one row at a time; the row loop then runs over at most one
iteration per block of data, never per sample of a normal batch.

Every kernel takes ``workers`` (a positive int, already resolved by the
caller): the blocks, or the column chunks of a long row, are split into that
many contiguous ranges and computed by threads (see
:mod:`softmax_course.parallel`). numpy's ufuncs release the GIL, so the
threads run on separate cores. The blocks depend on the shape only, each row
is computed by one thread, and partial results are combined in chunk order:
the result is bitwise the same for every number of workers.

All kernels take 2-D arrays ``(N, K)`` with the class axis last; any
strides work. ``core`` reshapes, validates and falls back to the reference
formulation for everything else (other axes, tuples of axes, float16,
longdouble, empty arrays).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

import numpy as np

from softmax_course import backend, parallel

__all__ = [
    "BLOCK_BYTES",
    "MIN_BLOCKS",
    "SMALL_K",
    "can_use_fast_path",
    "log_softmax_rows",
    "logsumexp_rows",
    "softmax_rows",
    "vjp",
    "vjp_rows",
]

#: Target size in bytes of one block of input rows (the L2 cache is 1 MiB per core here;
#: a block of input plus its output and scratch then stays within L2/L3).
BLOCK_BYTES = 1 << 20
#: Up to this many classes, row reductions use a column loop / einsum (see module doc).
SMALL_K = 16
#: The compiled kernels use a second worker from this many bytes of input on.
COMPILED_BYTES_PER_WORKER = 1 << 20
#: An array of a few blocks is cut into at least this many (smaller) blocks, down to a
#: quarter of :data:`BLOCK_BYTES`, so that threads get even shares (see :func:`_rows_per_block`).
MIN_BLOCKS = 8

_T = TypeVar("_T")

_FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def can_use_fast_path(x: np.ndarray, axes: tuple[int, ...]) -> bool:
    """True when ``x`` is float32/float64, non-empty and the only class axis is the last one."""
    return x.dtype in _FAST_DTYPES and x.ndim >= 1 and axes == (x.ndim - 1,) and x.size > 0


def _block_bytes(block_bytes: int | None) -> int:
    return BLOCK_BYTES if block_bytes is None else block_bytes


def _is_wide(n_cols: int, itemsize: int, block_bytes: int | None) -> bool:
    """True when one row is longer than a block: it is then cut into column chunks."""
    return n_cols * itemsize > _block_bytes(block_bytes)


def _rows_per_block(n_rows: int, n_cols: int, itemsize: int, block_bytes: int | None) -> int:
    """Rows per block: about a block of bytes, and at least :data:`MIN_BLOCKS` blocks if possible.

    Depends on the shape only, never on the number of workers, so that every
    reduction sees the same rows whatever the number of threads (bitwise
    identical results). An array large enough for two workers but of only a
    few blocks is cut into :data:`MIN_BLOCKS` smaller ones (down to a quarter
    block) so that the blocks can be shared evenly between threads; smaller
    arrays keep the fewest blocks (fewer numpy calls).
    """
    block = _block_bytes(block_bytes)
    row_bytes = n_cols * itemsize
    rows = max(1, block // row_bytes)
    large_enough = n_rows * row_bytes >= 2 * parallel.MIN_BYTES_PER_WORKER
    if large_enough and n_rows < rows * MIN_BLOCKS:
        rows = max(1, min(rows, max(-(-n_rows // MIN_BLOCKS), (block // 4) // row_bytes)))
    return rows


def _n_blocks(n_items: int, per_block: int) -> int:
    return -(-n_items // per_block)


def _run_blocks(
    function: Callable[[int, int], _T], n_blocks: int, nbytes: int, workers: int
) -> list[_T]:
    """``function(first_block, stop_block)`` over the blocks, shared among up to ``workers``."""
    return parallel.run_ranges(
        function, n_blocks, parallel.effective_workers(workers, n_blocks, nbytes)
    )


def _row_max(xb: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Row maxima of the block ``xb`` into ``out`` (NaN propagates, as in ``np.max``)."""
    n_cols = xb.shape[1]
    if n_cols == 1:
        np.copyto(out, xb[:, 0])
    elif n_cols <= SMALL_K:
        np.maximum(xb[:, 0], xb[:, 1], out=out)
        for k in range(2, n_cols):  # K long vectorized calls, not N tiny ones
            np.maximum(out, xb[:, k], out=out)
    else:
        np.max(xb, axis=1, out=out)
    return out


def _row_sum(eb: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Row sums of the block ``eb`` into ``out``."""
    if eb.shape[1] <= SMALL_K:
        np.einsum("ij->i", eb, out=out)  # no per-row reduction overhead
    else:
        np.sum(eb, axis=1, out=out)  # pairwise summation for long rows
    return out


_vecdot = getattr(np, "vecdot", None)  # numpy >= 2.0


def _row_dot(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Per-row inner products of two blocks, without an ``a * b`` temporary."""
    if a.shape[1] > SMALL_K and _vecdot is not None:
        return _vecdot(a, b, out=out)  # a dot-product loop per row: 2x einsum at K = 1000
    return np.einsum("ij,ij->i", a, b, out=out)  # no per-row call overhead at small K


# logsumexp and log_softmax need log sum_j e^(x_j - m). The term of the maximum is exactly
# e^0 = 1, so that is log1p(r) with r the sum of the *other* terms. Summing the 1 in first and
# taking log afterwards rounds 1 + r and drops every digit of r below the rounding unit of 1
# (log(1 + 1e-18) is 0, not 1e-18): a relative error of 100% when one term dominates, which
# is the everyday case of a confident classifier. So one instance of each row's maximum is
# kept out of the sum, at almost no cost, in one of two ways.


def _row_max_and_others(xb: np.ndarray, out: np.ndarray, others: np.ndarray) -> np.ndarray:
    r"""Small ``K``: row maxima into ``out`` and every entry *but one maximum* into ``others``.

    The column loop of :func:`_row_max`, carrying the running maximum ``mx``:
    at each column the smaller of :math:`(x_k, mx)` goes to ``others`` and the
    larger stays, so exactly one instance of the maximum never reaches
    ``others``. ``others`` is ``(K - 1, N)``, column by column, so that the
    later sum over axis 0 is ``K - 1`` long vectorized additions. NaN
    propagates to ``out`` (and to ``others``), as in ``np.max``.
    """
    np.copyto(out, xb[:, 0])
    for k in range(1, xb.shape[1]):
        np.minimum(xb[:, k], out, out=others[k - 1])
        np.maximum(xb[:, k], out, out=out)
    return out


def _row_argmax(xb: np.ndarray, out: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Large ``K``: row maxima into ``out``; returns the column of one maximum per row.

    ``np.argmax`` is as fast as ``np.max`` here, and NaN wins (as in ``np.max``).
    """
    where = np.argmax(xb, axis=1)
    out[...] = xb[rows, where]
    return where


# --- the compiled path -----------------------------------------------------------------
#
# When :func:`softmax_course.backend.kernels_for` returns the compiled kernels, each
# function below hands them the same row blocks as the numpy path (a row longer than a
# block is a block of its own). The compiled kernels compute every row on its own in a
# fixed order, so the result does not depend on the blocks or the workers at all.


def _compiled_rows(
    kernel: Callable[[int, int], object],
    n_rows: int,
    n_cols: int,
    itemsize: int,
    nbytes: int,
    block_bytes: int | None,
    workers: int,
) -> None:
    """``kernel(first_row, stop_row)`` over contiguous row ranges, one per worker.

    No cache blocks: a compiled kernel reads each row from memory once whatever the
    range. Workers start from :data:`COMPILED_BYTES_PER_WORKER` of input (the compiled
    loops do several times more work per byte than a copy, so a thread pays earlier).
    """
    del n_cols, itemsize, block_bytes  # the same signature as the numpy path's helpers
    _run_compiled(kernel, n_rows, _compiled_workers(workers, n_rows, nbytes))


def _run_compiled(kernel: Callable[[int, int], object], n_tasks: int, workers: int) -> None:
    """``kernel`` over ``workers`` ranges on the compiled path's spinning pool.

    That pool (:mod:`softmax_course._numba_pool`) imports numba: it is reached only
    when the compiled kernels run, so numba is there.
    """
    if workers <= 1 or n_tasks <= 1:
        kernel(0, n_tasks)
        return
    from softmax_course import _numba_pool

    _numba_pool.run_ranges(kernel, n_tasks, workers)


def _compiled_workers(workers: int, n_tasks: int, nbytes: int) -> int:
    """Threads for the compiled path: at most one per task and per ``COMPILED_BYTES_PER_WORKER``."""
    per_worker = COMPILED_BYTES_PER_WORKER
    by_size = nbytes // per_worker if per_worker > 0 else workers
    return max(1, min(workers, n_tasks, by_size))


def _wide_compiled(x: np.ndarray, block_bytes: int | None) -> bool:
    """True when the rows are long enough to be cut into column chunks (compiled path)."""
    return x.shape[0] < MIN_BLOCKS and _is_wide(x.shape[1], x.itemsize, block_bytes)


def _chunk_runner(compiled: ModuleType, n_cols: int, nbytes_row: int, workers: int):
    """``each(phase, *args)``: ``phase(*args, first, stop)`` over the chunks of a long row."""
    n_chunks = -(-n_cols // compiled.WIDE_CHUNK)
    used = _compiled_workers(workers, n_chunks, nbytes_row)

    def each(phase: Callable[..., object], *args: object) -> None:
        _run_compiled(lambda a, b: phase(*args, a, b), n_chunks, used)

    return n_chunks, each


# A long row is cut into chunks of WIDE_CHUNK values that the workers share. The first
# pass takes each chunk's maximum m_c and its exps relative to m_c while the chunk is in
# the cache (the online normalizer of lesson 08, per chunk): one read of the row from
# memory. The row's maximum M then rescales each chunk's sums by w_c = e^((m_c - M)/t).
# A chunk with no maximum (only -inf and NaN) while M is finite is redone relative to M:
# e^(-inf - (-inf)) would be NaN where the term is 0.


def _chunk_weights(chunk_max: np.ndarray, m: np.generic, t: np.generic) -> np.ndarray:
    """``w_c = e^((m_c - m)/t)`` in float64: exactly 1 for a chunk holding the row's maximum."""
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: NaN, as in the terms
        return np.exp((chunk_max.astype(np.float64) - float(m)) / float(t))


def _chunks_without_maximum(chunk_max: np.ndarray, m: np.generic) -> list[int]:
    """The chunks with no value above ``-inf``, when ``m`` is above it (redone relative to it)."""
    return np.flatnonzero(chunk_max == -np.inf).tolist() if float(m) > -np.inf else []


def _softmax_wide_compiled(
    compiled: ModuleType, x: np.ndarray, out: np.ndarray, t: np.generic, workers: int
) -> None:
    """Softmax of long rows: 2 phases over column chunks (maximum, exps and sum; scale)."""
    n_chunks, each = _chunk_runner(compiled, x.shape[1], x[0].nbytes, workers)
    chunk_max = np.empty(n_chunks, dtype=x.dtype)
    chunk_sum = np.empty(n_chunks)
    chunk_ones = np.empty(n_chunks)  # the exact 1s of each chunk, counted apart
    in_place = bool(np.may_share_memory(x, out))
    for i in range(x.shape[0]):
        each(compiled.wide_exp_sum, x, i, t, out, in_place, chunk_max, chunk_sum, chunk_ones)
        m = np.max(chunk_max)  # exact: no order; a NaN reaches every term anyway
        for c in _chunks_without_maximum(chunk_max, m):
            compiled.wide_exp_sum_from(x, i, c, m, t, out, in_place, chunk_sum, chunk_ones)
            chunk_max[c] = m
        weights = _chunk_weights(chunk_max, m, t)
        total = _in_order(weights * (chunk_sum + chunk_ones))
        each(compiled.wide_scale, out, i, (weights / total).astype(x.dtype))


def _rest_of_chunks(
    compiled: ModuleType, each: Callable[..., None], x: np.ndarray, i: int, t, n_chunks: int
) -> tuple[np.generic, float]:
    """``(M, r)``: a long row's maximum and the sum of its terms but one maximum's 1.

    As ``_numba_kernels._rest``: the 1s of the chunks holding the maximum (weight 1)
    are counted, not summed; the other chunks' terms are all ordinary terms.
    """
    chunk_max = np.empty(n_chunks, dtype=x.dtype)
    chunk_sum = np.empty(n_chunks)
    chunk_ones = np.empty(n_chunks)
    each(compiled.wide_rest, x, i, t, chunk_max, chunk_sum, chunk_ones)
    m = np.max(chunk_max)
    for c in _chunks_without_maximum(chunk_max, m):
        compiled.wide_rest_from(x, i, c, m, t, chunk_sum, chunk_ones)
        chunk_max[c] = m
    weights = _chunk_weights(chunk_max, m, t)
    r = ones = 0.0
    for w, part, whole in zip(
        weights.tolist(), chunk_sum.tolist(), chunk_ones.tolist(), strict=True
    ):
        if w == 1.0:
            r += part
            ones += whole
        else:
            r += w * part + w * whole
    return m, (r + (ones - 1) if ones > 1 else r)


def _log_softmax_wide_compiled(
    compiled: ModuleType, x: np.ndarray, out: np.ndarray, t: np.generic, workers: int
) -> None:
    """Log-softmax of long rows: 2 phases over column chunks (maximum and sum; shift)."""
    n_chunks, each = _chunk_runner(compiled, x.shape[1], x[0].nbytes, workers)
    for i in range(x.shape[0]):
        m, r = _rest_of_chunks(compiled, each, x, i, t, n_chunks)
        log_norm = np.log1p(x.dtype.type(r)) if np.isfinite(m) else x.dtype.type(np.nan)
        each(compiled.wide_shift, x, i, m, t, log_norm, out)


def _logsumexp_wide_compiled(
    compiled: ModuleType, x: np.ndarray, out: np.ndarray, workers: int
) -> None:
    """Log-sum-exp of long rows: 1 phase over column chunks (maximum and sum)."""
    n_chunks, each = _chunk_runner(compiled, x.shape[1], x[0].nbytes, workers)
    one = x.dtype.type(1)
    for i in range(x.shape[0]):
        m, r = _rest_of_chunks(compiled, each, x, i, one, n_chunks)
        if not np.isfinite(m):  # +inf or all -inf: the maximum, unless a NaN is there
            out[i] = np.nan if np.isnan(x[i]).any() else m
            continue
        out[i] = np.log1p(x.dtype.type(r)) + m


def _in_order(values: np.ndarray) -> float:
    """The float64 sum of ``values`` one after the other (a fixed order: the same bits)."""
    total = 0.0
    for v in values.tolist():
        total += v
    return total


def _blocks(n_rows: int, rows: int, first: int = 0, stop: int | None = None):
    """Slices of ``rows`` rows (the last one shorter) for the blocks ``first`` to ``stop - 1``."""
    last = _n_blocks(n_rows, rows) if stop is None else stop
    for start in range(first * rows, min(last * rows, n_rows), rows):
        yield slice(start, min(start + rows, n_rows))


def softmax_rows(
    x: np.ndarray,
    out: np.ndarray,
    temperature: float = 1.0,
    block_bytes: int | None = None,
    workers: int = 1,
) -> np.ndarray:
    """Softmax of each row of the 2-D ``x`` into ``out`` (which may be ``x`` itself)."""
    n_rows, n_cols = x.shape
    compiled = backend.kernels_for(x, out)
    if compiled is not None:
        t = x.dtype.type(temperature)
        if _wide_compiled(x, block_bytes):
            _softmax_wide_compiled(compiled, x, out, t, workers)
            return out
        kernel = compiled.softmax_inplace if np.may_share_memory(x, out) else compiled.softmax
        _compiled_rows(
            lambda a, b: kernel(x, out, t, a, b),
            n_rows, n_cols, x.itemsize, x.nbytes, block_bytes, workers,
        )  # fmt: skip
        return out
    if _is_wide(n_cols, x.dtype.itemsize, block_bytes):
        return _softmax_wide(x, out, temperature, block_bytes, workers)
    rows = _rows_per_block(n_rows, n_cols, x.dtype.itemsize, block_bytes)

    def run(first: int, stop: int) -> None:
        row_max = np.empty(min(rows, n_rows), dtype=x.dtype)  # scratch of this thread
        total = np.empty_like(row_max)
        for block in _blocks(n_rows, rows, first, stop):
            xb, ob = x[block], out[block]
            m = _row_max(xb, row_max[: len(xb)])
            np.subtract(xb, m[:, None], out=ob)  # reads x once; ob now sits in the cache
            if temperature != 1.0:
                np.divide(ob, temperature, out=ob)
            np.exp(ob, out=ob)
            t = _row_sum(ob, total[: len(xb)])
            np.divide(ob, t[:, None], out=ob)

    _run_blocks(run, _n_blocks(n_rows, rows), x.nbytes, workers)
    return out


def log_softmax_rows(
    x: np.ndarray,
    out: np.ndarray,
    temperature: float = 1.0,
    block_bytes: int | None = None,
    workers: int = 1,
) -> np.ndarray:
    """Log-softmax of each row of the 2-D ``x`` into ``out`` (which may be ``x`` itself)."""
    n_rows, n_cols = x.shape
    compiled = backend.kernels_for(x, out)
    if compiled is not None:
        t = x.dtype.type(temperature)
        if _wide_compiled(x, block_bytes):
            _log_softmax_wide_compiled(compiled, x, out, t, workers)
            return out
        _compiled_rows(
            lambda a, b: compiled.log_softmax(x, out, t, a, b),
            n_rows, n_cols, x.itemsize, x.nbytes, block_bytes, workers,
        )  # fmt: skip
        return out
    if _is_wide(n_cols, x.dtype.itemsize, block_bytes):
        return _log_softmax_wide(x, out, temperature, block_bytes, workers)
    rows = _rows_per_block(n_rows, n_cols, x.dtype.itemsize, block_bytes)

    def run(first: int, stop: int) -> None:
        row_max = np.empty(min(rows, n_rows), dtype=x.dtype)  # scratch of this thread
        log_norm = np.empty_like(row_max)
        small = n_cols <= SMALL_K
        if small:  # the K - 1 terms but the maximum, column by column
            scratch = np.empty((n_cols - 1, len(row_max)), dtype=x.dtype)
        else:
            scratch = np.empty((len(row_max), n_cols), dtype=x.dtype)  # O(block)
            row_index = np.arange(len(row_max))
        for block in _blocks(n_rows, rows, first, stop):
            xb, ob = x[block], out[block]
            n = len(xb)
            if small:
                m = _row_max_and_others(xb, row_max[:n], scratch[:, :n])
            else:
                at = _row_argmax(xb, row_max[:n], row_index[:n])
                m = row_max[:n]
            np.subtract(xb, m[:, None], out=ob)
            if temperature != 1.0:
                np.divide(ob, temperature, out=ob)
            # log sum_j e^(x_j - m) = log1p(r), r the sum of the terms but one maximum's 1.
            if small:
                eb = scratch[:, :n]
                np.subtract(eb, m, out=eb)
                if temperature != 1.0:
                    np.divide(eb, temperature, out=eb)
                np.exp(eb, out=eb)
                r = np.sum(eb, axis=0, out=log_norm[:n])
            else:
                eb = scratch[:n]
                np.exp(ob, out=eb)
                eb[row_index[:n], at] = 0
                r = _row_sum(eb, log_norm[:n])
            np.log1p(r, out=r)
            np.copyto(r, np.nan, where=~np.isfinite(m))  # NaN, +inf or all -inf: NaN throughout
            np.subtract(ob, r[:, None], out=ob)

    _run_blocks(run, _n_blocks(n_rows, rows), x.nbytes, workers)
    return out


def logsumexp_rows(
    x: np.ndarray, out: np.ndarray, block_bytes: int | None = None, workers: int = 1
) -> np.ndarray:
    """Log-sum-exp of each row of the 2-D ``x`` into the 1-D ``out`` of length ``N``."""
    n_rows, n_cols = x.shape
    compiled = backend.kernels_for(x, out)
    if compiled is not None:
        if _wide_compiled(x, block_bytes):
            _logsumexp_wide_compiled(compiled, x, out, workers)
            return out
        _compiled_rows(
            lambda a, b: compiled.logsumexp(x, out, a, b),
            n_rows, n_cols, x.itemsize, x.nbytes, block_bytes, workers,
        )  # fmt: skip
        return out
    if _is_wide(n_cols, x.dtype.itemsize, block_bytes):
        return _logsumexp_wide(x, out, block_bytes, workers)
    rows = _rows_per_block(n_rows, n_cols, x.dtype.itemsize, block_bytes)

    def run(first: int, stop: int) -> None:
        row_max = np.empty(min(rows, n_rows), dtype=x.dtype)  # scratch of this thread
        rest = np.empty_like(row_max)
        finite = np.empty(len(row_max), dtype=bool)
        small = n_cols <= SMALL_K
        if small:  # the K - 1 terms but the maximum, column by column
            scratch = np.empty((n_cols - 1, len(row_max)), dtype=x.dtype)
        else:
            scratch = np.empty((len(row_max), n_cols), dtype=x.dtype)
            row_index = np.arange(len(row_max))
        for block in _blocks(n_rows, rows, first, stop):
            xb, ob = x[block], out[block]
            n = len(xb)
            if small:
                m = _row_max_and_others(xb, row_max[:n], scratch[:, :n])
            else:
                at = _row_argmax(xb, row_max[:n], row_index[:n])
                m = row_max[:n]
            fb = np.isfinite(m, out=finite[:n])
            # All -inf, +inf or NaN rows: their result is their maximum (-inf, +inf or NaN).
            # Shift them by 0 so that inf - inf never appears.
            np.copyto(ob, m, where=~fb)
            np.copyto(m, 0, where=~fb)
            # log sum_j e^(x_j - m) = log1p(r), r the sum of the terms but one maximum's 1.
            if small:
                eb = scratch[:, :n]
                np.subtract(eb, m, out=eb)
                np.exp(eb, out=eb)
                r = np.sum(eb, axis=0, out=rest[:n])
            else:
                eb = scratch[:n]
                np.subtract(xb, m[:, None], out=eb)
                np.exp(eb, out=eb)
                eb[row_index[:n], at] = 0
                r = _row_sum(eb, rest[:n])
            np.log1p(r, out=ob, where=fb)
            np.add(ob, m, out=ob, where=fb)

    _run_blocks(run, _n_blocks(n_rows, rows), x.nbytes, workers)
    return out


# --- rows longer than a block -----------------------------------------------------------
#
# Per row, in three phases over cache-sized column chunks: the chunk maxima, then per chunk
# subtract/exp/sum while the chunk is in cache (partial sums), then the normalization. The
# chunks of a phase are shared among the workers; the partial results come back in chunk
# order and are combined by the same ``np.max``/``np.sum`` call whatever the number of workers.


def _chunk_phase(
    function: Callable[[slice], _T], n_cols: int, chunk: int, itemsize: int, workers: int
) -> list[_T]:
    """``function(columns)`` for every column chunk of a row, in chunk order, over the workers."""
    n_chunks = _n_blocks(n_cols, chunk)

    def run(first: int, stop: int) -> list[_T]:
        return [function(cols) for cols in _blocks(n_cols, chunk, first, stop)]

    parts = _run_blocks(run, n_chunks, n_cols * itemsize, workers)
    return [item for part in parts for item in part]


def _wide_row_max(xr: np.ndarray, chunk: int, workers: int) -> np.generic:
    maxima = _chunk_phase(lambda cols: np.max(xr[cols]), len(xr), chunk, xr.itemsize, workers)
    return np.max(np.array(maxima, dtype=xr.dtype))  # exact: the order does not matter


def _wide_row_argmax(xr: np.ndarray, chunk: int, workers: int) -> tuple[int, np.generic]:
    """The column of one maximum of a long row, and the maximum (NaN wins, as in ``np.max``)."""

    def chunk_argmax(cols: slice) -> int:
        return cols.start + int(np.argmax(xr[cols]))

    where = _chunk_phase(chunk_argmax, len(xr), chunk, xr.itemsize, workers)
    at = where[int(np.argmax(xr[where]))]  # the first chunk holding the maximum (or a NaN)
    return at, xr[at]


def _softmax_wide(
    x: np.ndarray, out: np.ndarray, temperature: float, block_bytes: int | None, workers: int
) -> np.ndarray:
    """Softmax for rows longer than a block: per row, exp and sum in cache-sized column chunks."""
    chunk = max(1, _block_bytes(block_bytes) // x.dtype.itemsize)
    for i in range(x.shape[0]):  # each row is at least one block of data
        xr, orow = x[i], out[i]
        m = _wide_row_max(xr, chunk, workers)

        def exp_sum(cols: slice, xr=xr, orow=orow, m=m) -> np.generic:
            oc = orow[cols]
            np.subtract(xr[cols], m, out=oc)
            if temperature != 1.0:
                np.divide(oc, temperature, out=oc)
            np.exp(oc, out=oc)
            return np.sum(oc)  # oc is still in the cache

        partial = _chunk_phase(exp_sum, len(xr), chunk, x.dtype.itemsize, workers)
        total = np.sum(np.array(partial, dtype=x.dtype))
        _chunk_phase(
            lambda cols, orow=orow, total=total: np.divide(orow[cols], total, out=orow[cols]),  # type: ignore[misc]
            len(xr),
            chunk,
            x.dtype.itemsize,
            workers,
        )
    return out


def _log_softmax_wide(
    x: np.ndarray, out: np.ndarray, temperature: float, block_bytes: int | None, workers: int
) -> np.ndarray:
    """Log-softmax for rows longer than a block (see :func:`_softmax_wide`)."""
    chunk = max(1, _block_bytes(block_bytes) // x.dtype.itemsize)
    for i in range(x.shape[0]):
        xr, orow = x[i], out[i]
        at, m = _wide_row_argmax(xr, chunk, workers)

        def shift_exp_sum(cols: slice, xr=xr, orow=orow, m=m, at=at) -> np.generic:
            oc = orow[cols]
            np.subtract(xr[cols], m, out=oc)
            if temperature != 1.0:
                np.divide(oc, temperature, out=oc)
            e = np.exp(oc)  # one chunk of scratch
            if cols.start <= at < cols.stop:
                e[at - cols.start] = 0  # one maximum's 1 stays out of the sum
            return np.sum(e)

        partial = _chunk_phase(shift_exp_sum, len(xr), chunk, x.dtype.itemsize, workers)
        log_norm = np.log1p(np.sum(np.array(partial, dtype=x.dtype))) if np.isfinite(m) else np.nan
        _chunk_phase(
            lambda cols, orow=orow, ln=log_norm: np.subtract(orow[cols], ln, out=orow[cols]),  # type: ignore[misc]
            len(xr),
            chunk,
            x.dtype.itemsize,
            workers,
        )
    return out


def _logsumexp_wide(
    x: np.ndarray, out: np.ndarray, block_bytes: int | None, workers: int
) -> np.ndarray:
    """Log-sum-exp for rows longer than a block (see :func:`_softmax_wide`)."""
    chunk = max(1, _block_bytes(block_bytes) // x.dtype.itemsize)
    for i in range(x.shape[0]):
        xr = x[i]
        at, m = _wide_row_argmax(xr, chunk, workers)
        if not np.isfinite(m):  # -inf, +inf or NaN: the result is the maximum itself
            out[i] = m
            continue

        def exp_sum(cols: slice, xr=xr, m=m, at=at) -> np.generic:
            e = np.subtract(xr[cols], m)  # one chunk of scratch
            np.exp(e, out=e)
            if cols.start <= at < cols.stop:
                e[at - cols.start] = 0  # one maximum's 1 stays out of the sum
            return np.sum(e)

        partial = _chunk_phase(exp_sum, len(xr), chunk, x.dtype.itemsize, workers)
        out[i] = m + np.log1p(np.sum(np.array(partial, dtype=x.dtype)))
    return out


def vjp_rows(
    s: np.ndarray,
    g: np.ndarray,
    out: np.ndarray,
    block_bytes: int | None = None,
    workers: int = 1,
) -> np.ndarray:
    r"""Softmax VJP :math:`s \odot (g - \langle s, g\rangle)` of 2-D rows, in row blocks.

    ``out`` may be ``s`` or ``g`` itself: each block's inner products are
    taken before anything is written, and when ``out`` is ``s`` the
    difference ``g - <s, g>`` goes through an ``O(block)`` scratch buffer so
    that ``s`` is still intact for the final product.
    ``np.einsum('ij,ij->i', s, g)`` (small ``K``) or ``np.vecdot(s, g)``
    gives the per-row inner product without an ``(N, K)`` product temporary.
    """
    if vjp_compiled(s, g, workers, out, block_bytes) is not None:
        return out
    n_rows, n_cols = s.shape
    rows = _rows_per_block(n_rows, n_cols, s.dtype.itemsize, block_bytes)
    out_is_s = np.may_share_memory(out, s)

    def run(first: int, stop: int) -> None:
        inner = np.empty(min(rows, n_rows), dtype=s.dtype)
        scratch = np.empty((min(rows, n_rows), n_cols), dtype=s.dtype) if out_is_s else None
        for block in _blocks(n_rows, rows, first, stop):
            sb, gb, ob = s[block], g[block], out[block]
            d = _row_dot(sb, gb, inner[: len(sb)])
            tb = ob if scratch is None else scratch[: len(sb)]
            np.subtract(gb, d[:, None], out=tb)
            np.multiply(sb, tb, out=ob)

    # inf * 0 and inf - inf give NaN without a warning, as in the compiled kernel
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        _run_blocks(run, _n_blocks(n_rows, rows), s.nbytes, workers)
    return out


def vjp_compiled(
    s: np.ndarray,
    g: np.ndarray,
    workers: int,
    out: np.ndarray | None = None,
    block_bytes: int | None = None,
) -> np.ndarray | None:
    """The compiled VJP of 2-D ``s`` and ``g`` into ``out`` (a new array if None), or None.

    None, with nothing written, unless :func:`softmax_course.backend.kernels_for` gives
    the kernels for the arrays (one float dtype, C-contiguous, large enough). The route
    of :func:`vjp_rows`, and of ``softmax_vjp`` for 2-D rows without its other layers.
    """
    arrays = (s, g) if out is None else (s, g, out)
    compiled = backend.kernels_for(*arrays, uses_exp=False)
    if compiled is None:
        return None
    result = np.empty(s.shape, dtype=s.dtype) if out is None else out
    n_rows, n_cols = s.shape
    _compiled_rows(
        lambda a, b: compiled.vjp(s, g, result, a, b),
        n_rows, n_cols, s.itemsize, s.nbytes, block_bytes, workers,
    )  # fmt: skip
    return result


def vjp(
    s: np.ndarray,
    g: np.ndarray,
    out: np.ndarray | None = None,
    block_bytes: int | None = None,
    workers: int = 1,
) -> np.ndarray:
    """Softmax VJP along the last axis of same-shape float32/float64 arrays ``s`` and ``g``.

    A thin wrapper for :mod:`softmax_course.derivatives`: no validation here
    (the caller validates; ``workers`` is already a positive int), any shape
    with the class axis last, ``out`` of the same shape and dtype or ``None``.
    """
    n_cols = s.shape[-1]
    result = np.empty(s.shape, dtype=s.dtype) if out is None else out
    if s.size == 0:
        return result
    s2, g2 = s.reshape(-1, n_cols), g.reshape(-1, n_cols)
    if out is None:  # a new array overlaps nothing
        return vjp_rows(s2, g2, result.reshape(-1, n_cols), block_bytes, workers).reshape(s.shape)
    # Writing block by block is safe when out is disjoint from s and g or is one of them
    # exactly; a partial overlap could overwrite rows of a later block before they are read.
    safe = all(
        not np.may_share_memory(result, a)
        or (result.ctypes.data == a.ctypes.data and result.strides == a.strides)
        for a in (s, g)
    )
    if safe and (result.ndim <= 2 or result.flags.c_contiguous):
        vjp_rows(s2, g2, result.reshape(-1, n_cols), block_bytes, workers)
    else:
        fresh = vjp_rows(s2, g2, np.empty(s2.shape, s.dtype), block_bytes, workers)
        result[...] = fresh.reshape(s.shape)
    return result


def _ce_inputs(
    z: np.ndarray, y: np.ndarray | None, labels: np.ndarray | None
) -> tuple[ModuleType, np.ndarray, np.ndarray] | None:
    """``(kernels, z2, targets2)`` for the fused cross-entropy kernels, or None (numpy path)."""
    n_cols = z.shape[-1]
    z2 = z.reshape(-1, n_cols) if z.flags.c_contiguous else None
    if z2 is None:
        return None
    if labels is None:
        y2 = np.ascontiguousarray(y).reshape(-1, n_cols)
        compiled = backend.kernels_for(z2, y2)
        return None if compiled is None else (compiled, z2, y2)
    compiled = backend.kernels_for(z2)
    if compiled is None:
        return None
    return compiled, z2, np.ascontiguousarray(labels, dtype=np.intp).reshape(-1)


def cross_entropy_rows(
    z: np.ndarray, y: np.ndarray | None, labels: np.ndarray | None, workers: int = 1
) -> np.ndarray | None:
    r"""Per sample :math:`\sum_k y_k \log\operatorname{softmax}(z)_k` (labels: one term).

    Compiled and fused (no ``(N, K)`` array is written); None when the
    compiled backend does not apply, and the caller takes the numpy path.
    ``z`` is float32/float64 with the class axis last; exactly one of ``y``
    (same shape and dtype) and ``labels`` (shape ``z.shape[:-1]``) is given.
    """
    inputs = _ce_inputs(z, y, labels)
    if inputs is None:
        return None
    compiled, z2, t2 = inputs
    rows = np.empty(z2.shape[0], dtype=z.dtype)
    kernel = compiled.ce_loss_labels if labels is not None else compiled.ce_loss_probs
    _compiled_rows(
        lambda a, b: kernel(z2, t2, rows, a, b),
        z2.shape[0], z2.shape[1], z.itemsize, z.nbytes, None, workers,
    )  # fmt: skip
    return rows


def cross_entropy_grad_rows(
    z: np.ndarray, y: np.ndarray | None, labels: np.ndarray | None, n: int, workers: int = 1
) -> np.ndarray | None:
    r"""The fused gradient :math:`(s \sum_k y_k - y)/N` (or :math:`(s - \mathrm{onehot})/N`).

    Compiled; None when the compiled backend does not apply. Arguments as in
    :func:`cross_entropy_rows`; ``n`` is :math:`N`. Returns a new array of
    the shape and dtype of ``z``.
    """
    inputs = _ce_inputs(z, y, labels)
    if inputs is None:
        return None
    compiled, z2, t2 = inputs
    grad = np.empty(z.shape, dtype=z.dtype)
    g2 = grad.reshape(z2.shape)
    kernel = compiled.ce_grad_labels if labels is not None else compiled.ce_grad_probs
    count = z.dtype.type(n)
    _compiled_rows(
        lambda a, b: kernel(z2, t2, count, g2, a, b),
        z2.shape[0], z2.shape[1], z.itemsize, z.nbytes, None, workers,
    )  # fmt: skip
    return grad
