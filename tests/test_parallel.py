"""Threads: ``workers=``, ``set_workers`` and bitwise-identical results for any worker count.

No test here measures time. To make tiny arrays take the threaded path, the
tests shrink the block size (many blocks, rows longer than a block) and the
minimum work per thread (``parallel.MIN_BYTES_PER_WORKER``), and count how
often the thread pool is asked for, so that a test of "identical results"
cannot pass by never using a second thread.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import softmax_course as sc
from softmax_course import _fast, backend, parallel
from softmax_course.parallel import available_cores, get_workers, resolve_workers, set_workers
from tests.strategies import any_finite_floats, logits

WORKER_COUNTS = [1, 2, 3, -1]


@pytest.fixture
def pool_calls(monkeypatch):
    """Count the calls that hand work to a pool, with its number of extra threads.

    Two pools: :mod:`softmax_course.parallel`'s (the numpy path) and, when numba is
    installed, the compiled path's spinning pool (:mod:`softmax_course._numba_pool`).
    """
    calls = []
    real = parallel._executor

    def spy(threads):
        calls.append(threads)
        return real(threads)

    monkeypatch.setattr(parallel, "_executor", spy)
    if backend.numba_available():
        from softmax_course import _numba_pool

        real_run = _numba_pool._SpinPool.run

        def spy_run(pool, function, ranges):
            calls.append(len(ranges) - 1)
            return real_run(pool, function, ranges)

        monkeypatch.setattr(_numba_pool._SpinPool, "run", spy_run)
    return calls


@pytest.fixture
def tiny_blocks(monkeypatch, pool_calls):
    """Blocks of 256 bytes and no minimum work per thread: small arrays use the pool."""
    monkeypatch.setattr(_fast, "BLOCK_BYTES", 256)
    monkeypatch.setattr(parallel, "MIN_BYTES_PER_WORKER", 0)
    monkeypatch.setattr(_fast, "COMPILED_BYTES_PER_WORKER", 0)  # the compiled path's minimum
    return pool_calls


def _all_functions(x: np.ndarray, g: np.ndarray, labels: np.ndarray, workers):
    """Every function with a ``workers=`` keyword, on the same inputs."""
    s = sc.softmax(x, workers=workers)
    return {
        "softmax": s,
        "softmax T=0.5": sc.softmax(x, temperature=0.5, workers=workers),
        "log_softmax": sc.log_softmax(x, workers=workers),
        "log_softmax T=3": sc.log_softmax(x, temperature=3.0, workers=workers),
        "logsumexp": sc.logsumexp(x, workers=workers),
        "softmax_vjp": sc.softmax_vjp(s, g, workers=workers),
        "softmax_cross_entropy": sc.softmax_cross_entropy(x, labels, workers=workers),
        "softmax_cross_entropy_grad": sc.softmax_cross_entropy_grad(x, labels, workers=workers),
    }


def _assert_bitwise_equal(results: dict, expected: dict, label: str) -> None:
    for name, value in results.items():
        # array_equal with equal_nan: same values and NaN in the same places; then the bytes,
        # which also tell -0.0 from 0.0 and one NaN payload from another
        assert np.array_equal(value, expected[name], equal_nan=True), (label, name)
        assert np.asarray(value).tobytes() == np.asarray(expected[name]).tobytes(), (label, name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(97, 10), (40, 33), (6, 301), (3, 5, 40), (1000,)], ids=str)
def test_every_worker_count_gives_the_same_bits(shape, dtype, tiny_blocks):
    rng = np.random.default_rng(sum(shape))
    x = (rng.normal(size=shape) * 20).astype(dtype)
    g = rng.normal(size=shape).astype(dtype)
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    expected = _all_functions(x, g, labels, workers=1)
    assert tiny_blocks == []  # one worker never touches the pool
    for workers in WORKER_COUNTS[1:]:
        _assert_bitwise_equal(_all_functions(x, g, labels, workers), expected, f"{workers=}")
    if len(shape) > 1 or sc.get_backend() != "numba":  # a compiled row is one thread's work
        assert tiny_blocks, "the threaded path was never taken"


def test_special_values_give_the_same_bits_and_no_warning_in_a_worker(tiny_blocks):
    # pytest turns warnings into errors (filterwarnings = error in pyproject.toml), also in
    # the pool's threads: a worker that forgot the caller's np.errstate would raise here.
    x = np.random.default_rng(3).normal(size=(64, 12)) * 5
    x[3] = -np.inf
    x[10, 4] = np.inf
    x[20, 7] = np.nan
    x[30, ::2] = -np.inf
    x[40] = 1e308
    wide = np.concatenate([x.ravel(), [np.inf, -np.inf, np.nan]])  # one long row, three phases
    for data in (x, wide):
        reference = [f(data, workers=1) for f in (sc.softmax, sc.log_softmax, sc.logsumexp)]
        for workers in (2, -1):
            got = [f(data, workers=workers) for f in (sc.softmax, sc.log_softmax, sc.logsumexp)]
            for a, b in zip(got, reference, strict=True):
                assert a.tobytes() == b.tobytes()
    assert np.isnan(sc.softmax(x, workers=2)[3]).all()
    assert sc.logsumexp(x, workers=2)[3] == -np.inf
    assert tiny_blocks


@given(
    logits(max_dims=3, max_side=24, elements=any_finite_floats),
    st.sampled_from([64, 200, 4096]),
    st.sampled_from([2, 3, -1]),
)
def test_random_arrays_any_worker_count(x, block, workers):
    saved = _fast.BLOCK_BYTES, parallel.MIN_BYTES_PER_WORKER
    _fast.BLOCK_BYTES, parallel.MIN_BYTES_PER_WORKER = block, 0  # not a fixture: hypothesis
    try:
        for function in (sc.softmax, sc.log_softmax, sc.logsumexp):
            assert function(x, workers=workers).tobytes() == function(x, workers=1).tobytes()
        s = sc.softmax(x)
        assert sc.softmax_vjp(s, x, workers=workers).tobytes() == sc.softmax_vjp(s, x).tobytes()
    finally:
        _fast.BLOCK_BYTES, parallel.MIN_BYTES_PER_WORKER = saved


@pytest.mark.parametrize("function", [sc.softmax, sc.log_softmax])
def test_out_and_in_place_with_threads(function, tiny_blocks):
    x = np.random.default_rng(5).normal(size=(50, 20))
    expected = function(x, workers=1)
    out = np.empty_like(x)
    assert function(x, out=out, workers=2) is out
    assert out.tobytes() == expected.tobytes()
    y = x.copy()
    function(y, out=y, workers=2)  # out=x: each block is read before it is written
    assert y.tobytes() == expected.tobytes()


def test_vjp_in_place_with_threads(tiny_blocks):
    rng = np.random.default_rng(6)
    s, g = sc.softmax(rng.normal(size=(60, 9))), rng.normal(size=(60, 9))
    expected = sc.softmax_vjp(s, g, workers=1)
    for name in ("s", "g"):
        s_copy, g_copy = s.copy(), g.copy()
        out = s_copy if name == "s" else g_copy
        sc.softmax_vjp(s_copy, g_copy, out=out, workers=2)
        assert out.tobytes() == expected.tobytes(), name


def test_threads_are_used_for_large_arrays_only(pool_calls):
    """With the real thresholds: 16 MiB goes to the pool, 1 MiB stays on the calling thread."""
    small = np.random.default_rng(0).normal(size=(1024, 128))  # 1 MiB
    assert small.nbytes < parallel.MIN_BYTES_PER_WORKER
    sc.softmax(small, workers=2)
    sc.logsumexp(small, workers=-1)
    assert pool_calls == []
    large = np.random.default_rng(1).normal(size=(2048, 1024))  # 16 MiB
    expected = sc.softmax(large, workers=1)
    assert sc.softmax(large, workers=2).tobytes() == expected.tobytes()
    assert pool_calls == [1]  # one extra thread next to the calling one
    with set_workers(2):
        assert sc.softmax(large).tobytes() == expected.tobytes()  # workers=None: the default
    assert pool_calls == [1, 1]


def test_blocks_are_a_function_of_the_shape():
    # the property behind the identical bits: _rows_per_block has no workers argument at all
    assert _fast._rows_per_block(65536, 10, 8, None) == 8192  # 5 MiB: 8 blocks, not 5
    assert _fast._rows_per_block(4096, 1000, 8, None) == 131  # 32 MiB: blocks of 1 MiB
    assert _fast._n_blocks(100, _fast._rows_per_block(100, 10, 8, None)) == 1  # tiny: one block


# --- the workers argument -------------------------------------------------------------


@pytest.mark.parametrize(
    ("workers", "error"),
    [(0, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError), ([2], TypeError)],
)
def test_bad_workers_are_refused_by_every_function(workers, error):
    x = np.ones((3, 4))
    calls = [
        lambda: sc.softmax(x, workers=workers),
        lambda: sc.log_softmax(x, workers=workers),
        lambda: sc.logsumexp(x, workers=workers),
        lambda: sc.softmax_vjp(x / 4, x, workers=workers),
        lambda: sc.softmax_cross_entropy(x, np.zeros(3, dtype=int), workers=workers),
        lambda: sc.softmax_cross_entropy_grad(x, np.zeros(3, dtype=int), workers=workers),
    ]
    for call in calls:
        with pytest.raises(error, match="workers"):
            call()


def test_too_negative_workers_names_the_available_cores():
    cores = available_cores()
    assert resolve_workers(-cores) == 1
    with pytest.raises(ValueError, match=rf"workers=-{cores + 1} asks for all but {cores} of"):
        sc.softmax(np.ones(3), workers=-(cores + 1))


def test_negative_workers_honour_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert available_cores() == 1
    assert resolve_workers(-1) == 1
    with pytest.raises(ValueError, match="all but 1 of the 1 available core;"):
        resolve_workers(-2)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert resolve_workers(-1) == 3
    assert resolve_workers(-2) == 2


def test_positive_workers_are_taken_as_given():
    assert resolve_workers(1) == 1
    assert resolve_workers(np.int64(64)) == 64  # more than the cores is allowed, as in scipy.fft
    x = np.random.default_rng(2).normal(size=(300, 7))
    assert sc.softmax(x, workers=64).tobytes() == sc.softmax(x, workers=1).tobytes()


# --- set_workers / get_workers --------------------------------------------------------


def test_default_is_one_and_set_workers_nests_and_restores():
    assert get_workers() == 1
    assert resolve_workers(None) == 1
    with set_workers(3):
        assert get_workers() == resolve_workers(None) == 3
        with set_workers(-1):
            assert get_workers() == available_cores()
        assert get_workers() == 3
        with pytest.raises(KeyError), set_workers(2):
            assert get_workers() == 2
            raise KeyError("leaving the block by an exception restores the default too")
        assert get_workers() == 3
    assert get_workers() == 1


@pytest.mark.parametrize(
    ("workers", "error"), [(None, TypeError), (0, ValueError), (2.0, TypeError)]
)
def test_set_workers_refuses_bad_values(workers, error):
    with pytest.raises(error, match="workers"), set_workers(workers):
        pass  # pragma: no cover
    assert get_workers() == 1


def test_set_workers_is_local_to_the_thread():
    seen = {}

    def other_thread():
        seen["default"] = get_workers()
        with set_workers(5):
            seen["inside"] = get_workers()
            barrier.wait()  # the main thread reads its own default meanwhile
            barrier.wait()

    barrier = threading.Barrier(2)
    with set_workers(2):
        thread = threading.Thread(target=other_thread)
        thread.start()
        barrier.wait()
        assert get_workers() == 2  # not 5: the other thread's setting stays there
        barrier.wait()
        thread.join()
    assert seen == {"default": 1, "inside": 5}
    assert get_workers() == 1


def test_concurrent_callers_share_the_pool_safely(tiny_blocks):
    rng = np.random.default_rng(8)
    inputs = [rng.normal(size=(80, 15)) * 10 for _ in range(8)]
    expected = [sc.softmax(x, workers=1) for x in inputs]

    def task(i):
        with set_workers(1 + i % 3):  # each caller with its own default
            return [sc.softmax(inputs[i]) for _ in range(5)]

    with ThreadPoolExecutor(max_workers=4) as callers:
        results = list(callers.map(task, range(len(inputs))))
    for got, want in zip(results, expected, strict=True):
        assert all(r.tobytes() == want.tobytes() for r in got)
    assert tiny_blocks


def test_run_ranges_returns_in_order_and_raises_from_a_worker():
    assert parallel.run_ranges(lambda a, b: (a, b), 10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert parallel.run_ranges(lambda a, b: (a, b), 2, 8) == [(0, 1), (1, 2)]

    def fail_in_the_last_range(start, stop):
        if stop == 10:
            raise RuntimeError(f"range {start}-{stop}")
        return start

    with pytest.raises(RuntimeError, match="range 6-10"):
        parallel.run_ranges(fail_in_the_last_range, 10, 3)


def test_split_and_effective_workers():
    for n, parts in [(1, 4), (7, 2), (100, 3), (5, 5)]:
        ranges = parallel.split(n, parts)
        assert ranges[0][0] == 0 and ranges[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        sizes = [stop - start for start, stop in ranges]
        assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1
    mb = parallel.MIN_BYTES_PER_WORKER
    assert parallel.effective_workers(4, 100, 10 * mb) == 4
    assert parallel.effective_workers(4, 100, 2 * mb) == 2
    assert parallel.effective_workers(4, 3, 10 * mb) == 3
    assert parallel.effective_workers(4, 100, mb // 2) == 1


def test_top_level_exports():
    assert sc.set_workers is set_workers and sc.get_workers is get_workers
