r"""How many threads the kernels may use: ``workers=``, :func:`set_workers`, :func:`get_workers`.

The convention is that of :mod:`scipy.fft`:

* every function with a ``workers=`` keyword (:func:`~softmax_course.softmax`,
  :func:`~softmax_course.log_softmax`, :func:`~softmax_course.logsumexp`,
  :func:`~softmax_course.softmax_vjp` and the fused cross-entropy loss and
  gradient) takes ``workers=None`` to mean *the current default*, a positive
  int for that many threads, and a negative int counted back from the number
  of cores available to this process: ``-1`` is all of them, ``-2`` all but
  one. "Available" honours the process's CPU affinity
  (:func:`os.sched_getaffinity`, as set by ``taskset`` or a container), not
  the machine's core count;
* the default is 1 (no threads are started unless asked for), and
  ``with set_workers(n):`` changes it for the code inside the block, in the
  current thread (or asyncio task) only.

Why threads help at all: numpy's ufuncs (``np.exp``, ``np.subtract``, ...)
and its reductions release Python's global interpreter lock while their
inner loop runs, so two threads calling them on *different* rows really run
at the same time on two cores. The kernels of :mod:`softmax_course._fast`
already work in row blocks of about 1 MiB; with several workers the blocks
are split into contiguous ranges, one range per thread, and the calling
thread works on the first range itself. The compiled kernels of the numba
backend (:mod:`softmax_course.backend`) get the same ranges and release the
GIL too (``nogil=True``).

Results are **bitwise identical** whatever the number of workers: the
blocks (their boundaries, hence every reduction's shape and order) do not
depend on the number of workers, each block is computed by one thread with
exactly the same sequence of numpy calls, and per-block partial results are
combined in the same order. A row shorter than a block therefore lies in
one thread; a row longer than a block is cut into column chunks that
several threads share, and its partial maxima and sums come back in chunk
order. Only *which* thread computes a block changes.

Small arrays stay on the calling thread: handing work to another thread and
waiting for it costs tens of microseconds, which a block of about 1 MiB
repays many times over but a small array does not. A worker is only used
for at least :data:`MIN_BYTES_PER_WORKER` of input.

The compiled kernels use another pool, with the same contract
(:mod:`softmax_course._numba_pool`): its threads poll for the next task for a
millisecond before they sleep, as OpenMP's do, because waking a sleeping
thread costs tens of microseconds, a visible share of a millisecond call.

Examples
--------
>>> import numpy as np
>>> import softmax_course as sc
>>> from softmax_course.parallel import get_workers, set_workers
>>> get_workers()
1
>>> x = np.random.default_rng(0).normal(size=(1000, 100))
>>> with set_workers(2):
...     get_workers(), bool(np.array_equal(sc.softmax(x), sc.softmax(x, workers=1)))
(2, True)
>>> get_workers()
1
"""

from __future__ import annotations

import contextlib
import contextvars
import numbers
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

from softmax_course._validation import _describe

__all__ = ["MIN_BYTES_PER_WORKER", "available_cores", "get_workers", "set_workers"]

#: A worker thread is only used for at least this many bytes of input (2 MiB: two blocks).
MIN_BYTES_PER_WORKER = 2 << 20

_T = TypeVar("_T")

_default_workers: contextvars.ContextVar[int] = contextvars.ContextVar(
    "softmax_course_workers", default=1
)


def available_cores() -> int:
    """Number of CPU cores this process may run on (its affinity mask), at least 1.

    Examples
    --------
    >>> from softmax_course.parallel import available_cores
    >>> available_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux: no affinity mask to honour
        return max(1, os.cpu_count() or 1)


def resolve_workers(workers: object, name: str = "workers") -> int:
    """The number of threads ``workers`` asks for, as a positive int.

    ``None`` is the current default (:func:`get_workers`); a positive int is
    itself; ``-1`` is :func:`available_cores`, ``-2`` one fewer, and so on.

    Raises
    ------
    TypeError
        If ``workers`` is not an int or None (a bool or a float is refused).
    ValueError
        If ``workers`` is 0, or negative beyond the number of available cores.

    Examples
    --------
    >>> from softmax_course.parallel import available_cores, resolve_workers
    >>> resolve_workers(3), resolve_workers(-1) == available_cores()
    (3, True)
    >>> resolve_workers(0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: workers must be a positive int, ... or None for the default; received 0
    """
    if workers is None:
        return _default_workers.get()
    if type(workers) is int and workers > 0:  # the common case, without the ABC checks
        return workers
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        raise TypeError(
            f"{name} must be an int or None; received {_describe(workers)}; expected a "
            "positive number of threads, -1 for all available cores, or None for the default"
        )
    count = int(workers)
    if count > 0:
        return count
    if count == 0:
        raise ValueError(
            f"{name} must be a positive int, a negative int counting back from the "
            f"available cores (-1 = all), or None for the default; received 0"
        )
    cores = available_cores()
    resolved = cores + 1 + count
    if resolved < 1:
        raise ValueError(
            f"{name}={count} asks for all but {-count - 1} of the {cores} available "
            f"core{'s' if cores != 1 else ''}; expected an int in [-{cores}, -1] or a positive int"
        )
    return resolved


def get_workers() -> int:
    """The default number of workers in the current context (1 unless :func:`set_workers` says).

    Examples
    --------
    >>> from softmax_course.parallel import get_workers, set_workers
    >>> with set_workers(4):
    ...     get_workers()
    4
    """
    return _default_workers.get()


@contextlib.contextmanager
def set_workers(workers: int) -> Iterator[None]:
    """Context manager: the default ``workers`` for calls inside the ``with`` block.

    Like :func:`scipy.fft.set_workers`. The setting is local to the current
    thread (and asyncio task): other threads keep their own default. Blocks
    nest, and the previous default comes back on leaving a block, also when
    it is left by an exception.

    Parameters
    ----------
    workers : int
        A positive number of threads, or a negative int counted back from the
        available cores (``-1`` = all of them). ``None`` is refused here: it
        would mean "the default" inside the block that sets the default.

    Raises
    ------
    TypeError, ValueError
        For a ``workers`` that is not an int, is 0, or asks for more cores than
        there are to leave out.

    Examples
    --------
    >>> from softmax_course.parallel import available_cores, get_workers, set_workers
    >>> with set_workers(-1):
    ...     get_workers() == available_cores()
    True
    >>> with set_workers(3):
    ...     with set_workers(1):
    ...         inner = get_workers()
    ...     inner, get_workers()
    (1, 3)
    """
    if workers is None:
        raise TypeError(
            "workers must be an int for set_workers; received None; expected a positive "
            "number of threads or -1 for all available cores"
        )
    token = _default_workers.set(resolve_workers(workers))
    try:
        yield
    finally:
        _default_workers.reset(token)


# --- the pool -----------------------------------------------------------------------------

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_threads = 0


def _executor(threads: int) -> ThreadPoolExecutor:
    """A shared pool with at least ``threads`` threads (grown, never shrunk, on demand).

    A pool that is replaced is not shut down: a call still using it finishes,
    and its idle threads exit once it is garbage collected.
    """
    global _pool, _pool_threads
    with _pool_lock:
        if _pool is None or _pool_threads < threads:
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="softmax_course")
            _pool_threads = threads
        return _pool


def _forget_pool_after_fork() -> None:  # a forked child has the pool object but not its threads
    global _pool, _pool_threads, _pool_lock
    _pool, _pool_threads, _pool_lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def split(n_tasks: int, parts: int) -> list[tuple[int, int]]:
    """``range(n_tasks)`` cut into ``parts`` contiguous ``(start, stop)`` ranges, sizes within 1.

    Examples
    --------
    >>> from softmax_course.parallel import split
    >>> split(5, 2)
    [(0, 2), (2, 5)]
    """
    parts = max(1, min(parts, n_tasks))
    return [(n_tasks * i // parts, n_tasks * (i + 1) // parts) for i in range(parts)]


def effective_workers(workers: int, n_tasks: int, nbytes: int) -> int:
    """Threads to really use: at most one per task and per :data:`MIN_BYTES_PER_WORKER`."""
    by_size = nbytes // MIN_BYTES_PER_WORKER if MIN_BYTES_PER_WORKER > 0 else workers
    return max(1, min(workers, n_tasks, by_size))


def run_ranges(function: Callable[[int, int], _T], n_tasks: int, workers: int) -> list[_T]:
    """Call ``function(start, stop)`` on ``workers`` contiguous ranges of ``range(n_tasks)``.

    The calling thread runs the first range itself and the pool the others,
    each in a copy of the caller's :mod:`contextvars` context (so that
    ``np.errstate`` applies there too); the results come back in range
    order. With one worker (or one task) no thread is involved at all. An
    exception in any range is raised here, after every range has finished.

    Examples
    --------
    >>> from softmax_course.parallel import run_ranges
    >>> run_ranges(lambda start, stop: list(range(start, stop)), 5, 2)
    [[0, 1], [2, 3, 4]]
    """
    if workers <= 1 or n_tasks <= 1:
        return [function(0, n_tasks)]
    ranges = split(n_tasks, workers)
    pool = _executor(len(ranges) - 1)
    # Each task runs in a copy of the caller's context: numpy's errstate lives in a context
    # variable, so a worker would otherwise warn where the caller said np.errstate(...).
    futures = [
        pool.submit(contextvars.copy_context().run, function, *r)  # type: ignore[arg-type]
        for r in ranges[1:]
    ]
    try:
        first = function(*ranges[0])
    finally:  # wait for the others even if ours failed: they write into the caller's arrays
        wait(futures)
    return [first, *(future.result() for future in futures)]
