r"""A thread pool for the compiled kernels whose threads poll for work (private; imports numba).

Why not the pool of :mod:`softmax_course.parallel`? Its threads wait for work
asleep, on a lock. Waking a sleeping thread costs 25-50 microseconds on the
machines we measured, and sometimes far more: the scheduler may wake it on the
caller's own core, where it waits until the caller's share is done, so that
two workers take the time of one (seen as 2-worker calls of 2 ms where 1.05 ms
is the norm). OpenMP, which PyTorch uses, avoids both: after a parallel region
its threads keep polling for the next one for some milliseconds. This pool
does the same, for the kernels that the numba backend runs:

* a worker that finishes a task polls its own flag for :func:`spin_seconds`
  (``SOFTMAX_COURSE_SPIN_US`` microseconds, default 1000) before it goes to
  sleep on an event; the calling thread, once its own range is done, polls the
  workers' "done" flags the same way;
* the polling is done in compiled code that has released the GIL (an atomic
  load, then the CPU's ``pause`` hint on x86), so a waiting thread never holds
  Python up; a worker goes from publishing "done" to polling for the next task
  in one compiled call, so that between tasks it never waits for the GIL;
* the flags are int64 counters, one cache line each, so that polling one does
  not slow down the writes of another.

``SOFTMAX_COURSE_SPIN_US=0`` makes every wait sleep at once (no CPU time spent
waiting). The results do not depend on any of this: which thread runs which
range never changes a row's bits (see :mod:`softmax_course._numba_kernels`).

:func:`run_ranges` has the contract of :func:`softmax_course.parallel.run_ranges`
(same ranges, same context copies, results in range order, an exception raised
after every range has finished). A call that finds the pool busy (another
Python thread, or a task that itself asks for workers) uses that module's pool
instead, so concurrent calls never wait for each other here.
"""

from __future__ import annotations

import contextvars
import functools
import os
import platform
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from softmax_course import parallel

__all__ = ["run_ranges", "spin_seconds"]

_T = TypeVar("_T")

#: int64 slots per flag: one 64-byte cache line each.
_STRIDE = 8
_X86 = platform.machine().lower() in {"x86_64", "amd64", "i386", "i686", "x86"}
#: Default time a waiting thread polls before it sleeps.
DEFAULT_SPIN_US = 1000


def spin_seconds() -> float:
    """How long a waiting thread polls: ``SOFTMAX_COURSE_SPIN_US`` microseconds (default 1000).

    Read when the pool is created (the first compiled call with two workers or
    more). A value that is not a non-negative number is refused with a
    ``ValueError`` naming the variable.
    """
    text = os.environ.get("SOFTMAX_COURSE_SPIN_US", "").strip()
    if not text:
        return DEFAULT_SPIN_US * 1e-6
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(
            f"SOFTMAX_COURSE_SPIN_US must be a non-negative number of microseconds; "
            f"received {text!r}; expected for instance 0 (never spin) or {DEFAULT_SPIN_US}"
        )
    return value * 1e-6


def _int64_vector(flags) -> bool:
    return isinstance(flags, types.Array) and flags.dtype == types.int64 and flags.ndim == 1


# Atomic accesses with sequentially consistent order (not just acquire/release): the
# handshake before a thread sleeps is "store my flag, then load yours" on both sides, and
# only a total order guarantees that at least one of the two sees the other's store.


@intrinsic
def _load(typingctx, flags, index):
    """``flags[index]``, an atomic load (sequentially consistent)."""
    if not (_int64_vector(flags) and isinstance(index, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.load_atomic(builder.gep(array.data, [args[1]]), "seq_cst", 8)

    return types.int64(flags, index), codegen


@intrinsic
def _store(typingctx, flags, index, value):
    """``flags[index] = value``, an atomic store (sequentially consistent)."""
    if not (_int64_vector(flags) and isinstance(index, types.Integer) and value == types.int64):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        builder.store_atomic(args[2], builder.gep(array.data, [args[1]]), "seq_cst", 8)
        return context.get_dummy_value()

    return types.none(flags, index, types.int64), codegen


@intrinsic
def _cpu_relax(typingctx):
    """The x86 ``pause`` hint in a polling loop (it frees the core's resources); else nothing."""

    def codegen(context, builder, signature, args):
        if _X86:
            pause = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse2.pause"
            )
            builder.call(pause, [])
        return context.get_dummy_value()

    return types.none(), codegen


@njit(nogil=True, cache=True)
def _poll(flags, index, value, polls):
    """True as soon as ``flags[index] == value``; False after ``polls`` unsuccessful polls."""
    for _ in range(polls):
        if _load(flags, index) == value:
            return True
        _cpu_relax()
    return _load(flags, index) == value


@njit(nogil=True, cache=True)
def _finish_and_wait(flags, done, done_value, go, go_value, sleeping, polls):
    """A worker's turn-around, without the GIL: publish "done", then poll for the next "go".

    Returns True when the next task has arrived; False after ``polls`` polls,
    with the worker's "sleeping" flag raised (the caller then waits on its event).
    """
    _store(flags, done, done_value)
    if _poll(flags, go, go_value, polls):
        return True
    _store(flags, sleeping, 1)
    if _load(flags, go) == go_value:  # arrived between the last poll and the flag
        _store(flags, sleeping, 0)
        return True
    return False


@njit(nogil=True, cache=True)
def _start(flags, go, go_value, sleeping):
    """The caller's side: publish "go"; True if the worker sleeps (it must then be woken)."""
    _store(flags, go, go_value)
    return _load(flags, sleeping) != 0


@njit(nogil=True, cache=True)
def _set(flags, index, value):
    _store(flags, index, value)


def _polls_per_second(flags: np.ndarray, index: int) -> float:
    """Measured rate of :func:`_poll` on a flag that does not change (``pause`` varies by CPU)."""
    polls = 20_000
    _poll(flags, index, -1, 1)  # compiled (or loaded from the cache) before the timing
    start = time.perf_counter()
    _poll(flags, index, -1, polls)
    return polls / max(time.perf_counter() - start, 1e-9)


#: After its polls, the calling thread checks the workers' "done" flags this often.
_CALLER_NAP = 50e-6


class _SpinPool:
    """``threads`` daemon workers, each with "go", "done" and "sleeping" flags and a wake event."""

    def __init__(self, threads: int, spin: float) -> None:
        self.threads = threads
        self.flags = np.zeros(3 * _STRIDE * (threads + 1), dtype=np.int64)
        self.polls = int(spin * _polls_per_second(self.flags, self._go(threads)))
        self.lock = threading.Lock()
        self.issued = [0] * threads  # tasks handed to each worker so far (its "go" value)
        self.tasks: list[Callable[[], Any] | None] = [None] * threads
        self.results: list[Any] = [None] * threads
        self.errors: list[BaseException | None] = [None] * threads
        self.wake = [threading.Event() for _ in range(threads)]
        for k in range(threads):
            name = f"softmax_course-spin-{k}"
            threading.Thread(target=self._work, args=(k,), name=name, daemon=True).start()

    @staticmethod
    def _go(k: int) -> int:
        return 3 * _STRIDE * k

    @staticmethod
    def _done(k: int) -> int:
        return 3 * _STRIDE * k + _STRIDE

    @staticmethod
    def _sleeping(k: int) -> int:
        return 3 * _STRIDE * k + 2 * _STRIDE

    def _work(self, k: int) -> None:
        flags, wake = self.flags, self.wake[k]
        go, done, sleeping = self._go(k), self._done(k), self._sleeping(k)
        finished = 0
        while True:
            # One compiled call publishes the last result and polls for the next task,
            # so that between two tasks this thread never waits for the GIL.
            while not _finish_and_wait(
                flags, done, finished, go, finished + 1, sleeping, self.polls
            ):
                wake.wait()
                wake.clear()  # a set() after this is not lost: the loop polls "go" again
                _set(flags, sleeping, 0)
            task, self.tasks[k] = self.tasks[k], None
            if task is _RETIRE:
                return
            try:
                self.results[k] = task() if task is not None else None
            except BaseException as error:  # raised in the caller, after every range
                self.errors[k] = error
            finished += 1

    def run(self, function: Callable[[int, int], _T], ranges: list[tuple[int, int]]) -> list[_T]:
        """The ranges after the first on the workers, the first on the calling thread."""
        helpers = len(ranges) - 1
        for k, (start, stop) in enumerate(ranges[1:]):
            self.tasks[k] = functools.partial(contextvars.copy_context().run, function, start, stop)
            self.errors[k] = None
            self.issued[k] += 1
        for k in range(helpers):
            if _start(self.flags, self._go(k), self.issued[k], self._sleeping(k)):
                self.wake[k].set()
        try:
            first = function(*ranges[0])
        finally:  # wait for the others even if ours failed: they write into the caller's arrays
            for k in range(helpers):
                while not _poll(self.flags, self._done(k), self.issued[k], self.polls):
                    time.sleep(_CALLER_NAP)  # a long imbalance: poll now and then, GIL released
        for error in self.errors[:helpers]:
            if error is not None:
                raise error
        results = [first, *self.results[:helpers]]
        self.results[:helpers] = [None] * helpers
        return results

    def retire(self) -> None:
        """End the workers' threads; the caller holds :attr:`lock`, which stays held.

        A caller that still has this pool then finds it busy and takes the other pool.
        """
        for k in range(self.threads):
            self.tasks[k] = _RETIRE
            self.issued[k] += 1
            if _start(self.flags, self._go(k), self.issued[k], self._sleeping(k)):
                self.wake[k].set()


def _RETIRE() -> None:  # pragma: no cover - a marker task, never called
    """The task that ends a worker's thread (see :meth:`_SpinPool.retire`)."""


_create_lock = threading.Lock()
_pool: _SpinPool | None = None


def _get_pool(helpers: int) -> _SpinPool | None:
    """The shared pool with at least ``helpers`` threads, or None for more than the cores.

    Grown on demand, as :mod:`softmax_course.parallel`'s pool: at most one helper per
    other available core. A pool that is replaced retires its threads, unless it is in
    use (a task asking for more workers): its threads then just stay asleep.
    """
    global _pool
    if helpers > max(1, parallel.available_cores() - 1):
        return None
    with _create_lock:
        if _pool is None or _pool.threads < helpers:
            old, _pool = _pool, _SpinPool(helpers, spin_seconds())
            if old is not None and old.lock.acquire(blocking=False):
                old.retire()
        return _pool


def _forget_pool_after_fork() -> None:  # a forked child has the pool object but not its threads
    global _pool, _create_lock
    _pool, _create_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def run_ranges(function: Callable[[int, int], _T], n_tasks: int, workers: int) -> list[_T]:
    """:func:`softmax_course.parallel.run_ranges` on the spinning pool (same contract).

    Examples
    --------
    >>> from softmax_course._numba_pool import run_ranges
    >>> run_ranges(lambda start, stop: list(range(start, stop)), 5, 2)
    [[0, 1], [2, 3, 4]]
    """
    if workers <= 1 or n_tasks <= 1:
        return [function(0, n_tasks)]
    ranges = parallel.split(n_tasks, workers)
    pool = _get_pool(len(ranges) - 1)
    if pool is None or not pool.lock.acquire(blocking=False):
        return parallel.run_ranges(function, n_tasks, workers)  # more threads than cores, or busy
    try:
        return pool.run(function, ranges)
    finally:
        pool.lock.release()
