"""The compiled path's spinning thread pool (:mod:`softmax_course._numba_pool`).

It keeps the contract of :func:`softmax_course.parallel.run_ranges`; these tests
check that contract on it, the hand-over between polling and sleeping, and the
ways a call can find it busy. No test measures time.
"""

from __future__ import annotations

import contextvars
import os
import sys
import threading
import time

import numpy as np
import pytest

pytest.importorskip("numba")

import softmax_course as sc  # noqa: E402
from softmax_course import _numba_pool, backend, parallel  # noqa: E402


def test_results_come_back_in_range_order():
    assert _numba_pool.run_ranges(lambda a, b: (a, b), 10, 2) == [(0, 5), (5, 10)]
    assert _numba_pool.run_ranges(lambda a, b: (a, b), 1, 2) == [(0, 1)]  # one task: no thread
    assert _numba_pool.run_ranges(lambda a, b: (a, b), 7, 1) == [(0, 7)]


def test_more_workers_than_cores_take_the_other_pool():
    workers = parallel.available_cores() + 1
    assert _numba_pool._get_pool(workers - 1) is None
    ranges = parallel.split(100, workers)
    assert _numba_pool.run_ranges(lambda a, b: (a, b), 100, workers) == ranges


def test_the_pool_grows_on_demand_and_retires_the_old_threads(monkeypatch):
    monkeypatch.setattr(parallel, "available_cores", lambda: 4)
    monkeypatch.setattr(_numba_pool, "_pool", None)

    def spin_threads():
        return sum(t.name.startswith("softmax_course-spin-") for t in threading.enumerate())

    before = spin_threads()
    assert _numba_pool.run_ranges(lambda a, b: (a, b), 8, 2) == [(0, 4), (4, 8)]
    small = _numba_pool._pool
    assert small is not None and small.threads == 1 and spin_threads() == before + 1
    assert _numba_pool.run_ranges(lambda a, b: a, 8, 4) == [0, 2, 4, 6]
    large = _numba_pool._pool
    assert large is not None and large.threads == 3
    for _ in range(200):  # the small pool's thread ends on its own (retired)
        if spin_threads() == before + 3:
            break
        time.sleep(0.01)
    assert spin_threads() == before + 3
    assert not small.lock.acquire(blocking=False)  # a retired pool stays busy
    assert _numba_pool.run_ranges(lambda a, b: a, 8, 2) == [0, 4]  # the large one serves 2 too
    assert _numba_pool._pool is large


def test_the_worker_really_is_another_thread():
    seen = _numba_pool.run_ranges(lambda a, b: threading.get_ident(), 2, 2)
    assert seen[0] == threading.get_ident() != seen[1]


def test_an_error_in_a_worker_is_raised_after_every_range_finished():
    finished = []

    def task(start, stop):
        if start > 0:
            raise RuntimeError(f"range {start}-{stop}")
        time.sleep(0.01)
        finished.append(start)

    with pytest.raises(RuntimeError, match="range 5-10"):
        _numba_pool.run_ranges(task, 10, 2)
    assert finished == [0]
    assert _numba_pool.run_ranges(lambda a, b: a, 10, 2) == [0, 5]  # the pool still works


def test_an_error_in_the_caller_waits_for_the_workers():
    finished = []

    def task(start, stop):
        if start == 0:
            raise ValueError("caller's range")
        time.sleep(0.02)  # longer than the caller's polling: it naps until this is done
        finished.append(start)

    with pytest.raises(ValueError, match="caller's range"):
        _numba_pool.run_ranges(task, 10, 2)
    assert finished == [5]


def test_workers_run_in_a_copy_of_the_callers_context():
    variable = contextvars.ContextVar("variable", default="unset")
    token = variable.set("caller")
    try:
        assert _numba_pool.run_ranges(lambda a, b: variable.get(), 2, 2) == ["caller", "caller"]
        with np.errstate(divide="raise"):
            with pytest.raises(FloatingPointError, match="divide by zero"):
                # only the worker's range divides by zero
                _numba_pool.run_ranges(lambda a, b: np.float64(1) / np.float64(1 - a), 2, 2)
    finally:
        variable.reset(token)


def test_a_task_that_asks_for_workers_itself_takes_the_other_pool():
    def outer(start, stop):
        return _numba_pool.run_ranges(lambda a, b: (a + start, b + start), 4, 2)

    assert _numba_pool.run_ranges(outer, 2, 2) == [[(0, 2), (2, 4)], [(1, 3), (3, 5)]]


def test_concurrent_callers_get_their_own_results():
    def caller(i, results):
        for _ in range(50):
            got = _numba_pool.run_ranges(lambda a, b: (i, a, b), 6, 2)
            if got != [(i, 0, 3), (i, 3, 6)]:
                results[i] = got
                return
        results[i] = "ok"

    results: dict[int, object] = {}
    callers = [threading.Thread(target=caller, args=(i, results)) for i in range(4)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join()
    assert results == dict.fromkeys(range(4), "ok")


@pytest.mark.parametrize("spin", [0.0, 50e-6], ids=["never polls", "polls 50 us"])
def test_sleeping_workers_are_woken(spin):
    """A pool whose workers sleep between tasks (gaps longer than their polling)."""
    pool = _numba_pool._SpinPool(2, spin)
    for round_ in range(30):
        if round_ % 3 == 0:
            time.sleep(0.002)
        ranges = parallel.split(9, 3)
        assert pool.run(lambda a, b: (a, b), ranges) == ranges


def test_runs_that_leave_some_workers_idle_keep_every_worker_in_step():
    """Each worker counts its own tasks: a run with fewer ranges than workers skips some."""
    pool = _numba_pool._SpinPool(3, 20e-6)
    for parts in (4, 2, 3, 2, 2, 4, 3, 4):
        ranges = parallel.split(12, parts)
        assert pool.run(lambda a, b: (a, b), ranges) == ranges


def test_softmax_on_the_pool_matches_one_worker():
    x = np.random.default_rng(0).normal(scale=5.0, size=(4096, 300)).astype(np.float32)
    with backend.set_backend("numba"):
        expected = sc.softmax(x, workers=1)
        for _ in range(5):
            assert sc.softmax(x, workers=2).tobytes() == expected.tobytes()


@pytest.mark.parametrize(
    ("text", "seconds"), [("", 1e-3), ("0", 0.0), (" 250 ", 250e-6), ("2e3", 2e-3)]
)
def test_spin_time_from_the_environment(monkeypatch, text, seconds):
    monkeypatch.setenv("SOFTMAX_COURSE_SPIN_US", text)
    assert _numba_pool.spin_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["-1", "abc", "nan", "inf"])
def test_a_bad_spin_time_is_refused_by_name(monkeypatch, text):
    monkeypatch.setenv("SOFTMAX_COURSE_SPIN_US", text)
    with pytest.raises(ValueError, match=f"SOFTMAX_COURSE_SPIN_US.*received '{text}'"):
        _numba_pool.spin_seconds()


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork")
def test_a_forked_child_gets_a_pool_of_its_own():
    x = np.random.default_rng(1).normal(size=(4096, 100))  # 3.2 MB: two workers
    with backend.set_backend("numba"):
        expected = sc.softmax(x, workers=2)
        assert _numba_pool._pool is not None  # the parent's pool exists before the fork
        pid = os.fork()
        if pid == 0:  # the child: its copy of the pool has no threads; a new one must be made
            try:
                ok = sc.softmax(x, workers=2).tobytes() == expected.tobytes()
                ok = ok and _numba_pool.run_ranges(lambda a, b: a, 4, 2) == [0, 2]
            finally:
                os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
