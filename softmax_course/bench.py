"""Benchmarks of the package against scipy.special, PyTorch, naive numpy and a memory-copy floor.

Run ``python -m softmax_course.bench`` (several minutes) or
``python -m softmax_course.bench --quick`` (fewer rounds); ``--json PATH``
also writes every measurement to a file, ``--workers 1,2,-1`` chooses the
worker counts of the sweep (``-1`` = every available core). ``make bench
BENCH_ARGS=--quick`` does the same from the project root.

How it measures, and why:

* **Interleaved rounds.** Each round calls every implementation of a case
  once, in turn (round robin), and the rounds repeat. A burst of load from
  another process then hits all implementations alike instead of one; the
  minimum over rounds estimates the undisturbed time and the median shows
  the spread; :func:`timing_spread` sums it up for the whole run, printed
  after the verdicts (a verdict that close to its threshold can flip).
* **The copy floor.** ``np.copyto(out, x)`` into a preallocated array reads
  and writes every byte once, which is the least any function producing an
  ``(N, K)`` output from an ``(N, K)`` input must do. GB/s counts bytes read
  plus bytes written (input + output) for every implementation alike.
* **Backward cases.** For each K the batch size N is chosen so that the
  batch Jacobian ``(N, K, K)`` takes :data:`JACOBIAN_BYTES`; the VJP and the
  cross-entropy shortcut do the same job in ``O(NK)``.
* **Scratch memory.** ``tracemalloc`` sees numpy's allocations; the peak
  during one call minus the size of a newly returned result is the extra
  memory an implementation needed on top of its output.
* **Threads.** The package is timed with each worker count of the sweep
  (``workers=``), and PyTorch's CPU kernels, when torch is importable, with
  the same number of threads (``torch.set_num_threads`` and one warm-up
  call before each timed call, untimed: switching the thread count makes
  the next call resize torch's OpenMP thread team). The package's runs with
  several workers get the same untimed warm-up call (its pool's threads, like
  OpenMP's, poll for a while after a call and then sleep), and the round
  robin puts single-threaded runs between torch's threaded run and ours
  (OpenMP's threads poll for about 10 ms after a call: a run started then
  would share a core with them). The scaling from 1 to N workers and the
  ratios to torch come from the same interleaved rounds.
* **Two dispatch levels.** On a CPU with AVX-512, the forward cases run a
  second time in a child process with numpy's AVX-512 kernels switched off
  (``NPY_DISABLE_CPU_FEATURES``), which is what numpy does on an AVX2-only
  CPU: one machine shows both kinds (``--no-avx2`` skips it).

* **Two backends.** ``softmax_course`` rows use the default backend
  (``"auto"``: the compiled numba kernels for these sizes when numba is
  installed); ``numpy path`` rows force the numpy kernels
  (``set_backend("numpy")``), one worker.
* **Backward against torch.** ``softmax_vjp`` is timed against the kernel
  torch's autograd runs for softmax's backward
  (``aten._softmax_backward_data``), and the fused cross-entropy loss and
  gradient from integer labels against ``torch.nn.functional.cross_entropy``
  forward plus ``torch.autograd.grad``, all on one thread. Each pair (ours
  and torch's run of the same computation) has a round robin of its own.

scipy, torch and jax are optional: scipy is imported lazily and its columns
are skipped if it is missing; torch and jax are timed when importable (the
output says when they are not). None of them is a dependency of the package,
and nothing here is imported by ``import softmax_course``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import softmax_course as sc
from softmax_course import _fast, backend, parallel

MiB = 1 << 20
#: Implementation name of the package forced onto its numpy kernels (one worker).
NUMPY_PATH = "numpy path"

FORWARD_SHAPES = [(65536, 10), (16384, 100), (4096, 1000), (256, 100000), (10_000_000,)]
VJP_CLASSES = [10, 100, 1000]
#: The batch Jacobian (N, K, K) of the VJP cases is kept at this many bytes (float64).
JACOBIAN_BYTES = 256 * MiB


# --- measuring ------------------------------------------------------------------------------


#: A timed batch of calls lasts at least this long: a single call of a few microseconds is
#: mostly timer resolution and the cache misses left by the previous implementation.
MIN_BATCH_SECONDS = 2e-3


def interleaved_times(
    implementations: dict[str, Callable[[], object]],
    rounds: int,
    setups: dict[str, Callable[[], object]] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each implementation, round robin over ``rounds`` rounds.

    Each round times a batch of calls of each implementation in turn: one call
    when a call lasts :data:`MIN_BATCH_SECONDS` or more, else as many as fill
    that time (as ``timeit.Timer.autorange`` does), and reports the batch's
    time per call. ``setups[name]``, if given, runs before each batch of
    ``name``, untimed (for instance ``torch.set_num_threads``).
    """
    setups = setups or {}
    batch: dict[str, int] = {}
    for name, function in implementations.items():  # warm-up: first-touch pages, caches
        setups.get(name, _nothing)()
        function()
        start = time.perf_counter()
        function()
        once = time.perf_counter() - start
        batch[name] = max(1, min(1000, math.ceil(MIN_BATCH_SECONDS / max(once, 1e-9))))
    times: dict[str, list[float]] = {name: [] for name in implementations}
    for _ in range(rounds):
        for name, function in implementations.items():
            setups.get(name, _nothing)()
            calls = batch[name]
            start = time.perf_counter()
            for _ in range(calls):
                function()
            times[name].append((time.perf_counter() - start) / calls)
    return times


def _nothing() -> None:
    return None


def scratch_bytes(function: Callable[[], object]) -> int:
    """Peak traced allocation during one call, minus a newly allocated result's size."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if isinstance(result, np.ndarray) and result.base is None and result.flags.owndata:
        peak -= result.nbytes
    return max(peak, 0)


# --- the implementations --------------------------------------------------------------------


def _optional_modules() -> dict[str, Any]:
    """scipy.special, torch and jax.nn if they can be imported (none is required)."""
    modules: dict[str, Any] = {}
    try:
        import scipy.special

        modules["scipy"] = scipy.special
    except ImportError:
        pass
    try:
        import torch

        modules["torch"] = torch
    except ImportError:
        pass
    try:
        import jax

        modules["jax"] = jax
    except ImportError:
        pass
    return modules


def _naive(name: str, x: np.ndarray) -> Callable[[], np.ndarray]:
    """The reference formulations: one full pass and one temporary per line."""
    if name == "softmax":

        def naive():
            e = np.exp(x - np.max(x, axis=-1, keepdims=True))
            return e / np.sum(e, axis=-1, keepdims=True)

    elif name == "log_softmax":

        def naive():
            shifted = x - np.max(x, axis=-1, keepdims=True)
            return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))

    else:

        def naive():
            m = np.max(x, axis=-1, keepdims=True)
            return (m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True)))[..., 0]

    return naive


def ours_label(workers: int, out: bool = False) -> str:
    """Implementation name of the package with ``workers`` threads (1 worker: no suffix)."""
    base = "softmax_course out=" if out else "softmax_course"
    return base if workers == 1 else f"{base}, {workers} workers"


def torch_label(threads: int) -> str:
    return f"torch, {threads} thread" + ("s" if threads != 1 else "")


def forward_implementations(
    name: str,
    x: np.ndarray,
    out: np.ndarray,
    modules: dict[str, Any],
    workers: tuple[int, ...] = (1,),
) -> tuple[dict[str, Callable[[], object]], set[str], dict[str, Callable[[], object]]]:
    """The timed callables for one forward case, the names whose memory is measured, and setups.

    The package runs once per worker count in ``workers``; torch (when
    importable) once per thread count, its ``set_num_threads`` in the setup.

    Every implementation that uses more than one thread gets the same setup: one
    untimed call right before its timed batch, so that its threads are awake
    (torch's OpenMP team and the package's pool both poll for work for a while
    after a call, then sleep). The order keeps the multi-threaded runs of the two
    libraries apart, with single-threaded runs between them: OpenMP's threads
    poll for about 10 ms after torch's last call (measured), and a run started
    in that time would share a core with them.
    """
    ours = getattr(sc, name)
    impls: dict[str, Callable[[], object]] = {"copy floor": lambda: np.copyto(out, x)}
    setups: dict[str, Callable[[], object]] = {}
    for w in sorted(workers, reverse=True):  # several workers first: see the docstring
        impls[ours_label(w)] = lambda w=w: ours(x, workers=w)  # type: ignore[misc]
        if name != "logsumexp":
            impls[ours_label(w, out=True)] = lambda w=w: ours(x, out=out, workers=w)  # type: ignore[misc]
    for label, function in impls.items():
        if "workers" in label:
            setups[label] = function

    def numpy_path():
        with backend.set_backend("numpy"):
            return ours(x)

    impls[NUMPY_PATH] = numpy_path
    if "torch" in modules:
        torch = modules["torch"]
        tx = torch.from_numpy(x)
        torch_fn = {
            "softmax": lambda: torch.softmax(tx, dim=-1),
            "log_softmax": lambda: torch.log_softmax(tx, dim=-1),
            "logsumexp": lambda: torch.logsumexp(tx, dim=-1),
        }[name]
        for w in sorted(workers, reverse=True):
            impls[torch_label(w)] = torch_fn
            # Untimed: switch torch's thread count and make one call (resizing its OpenMP
            # team, waking its threads) before the timed batch.
            setups[torch_label(w)] = lambda w=w: (torch.set_num_threads(w), torch_fn())  # type: ignore[misc]
    if "scipy" in modules:
        reference = getattr(modules["scipy"], name)
        impls["scipy"] = lambda: reference(x, axis=-1)
    impls["naive numpy"] = _naive(name, x)
    numpy_based = set(impls) - {"copy floor"} - {torch_label(w) for w in workers}
    if "jax" in modules:
        jax = modules["jax"]
        jx = jax.device_put(x)
        jax_fn = {
            "softmax": jax.jit(lambda v: jax.nn.softmax(v, axis=-1)),
            "log_softmax": jax.jit(lambda v: jax.nn.log_softmax(v, axis=-1)),
            "logsumexp": jax.jit(lambda v: jax.nn.logsumexp(v, axis=-1)),
        }[name]
        impls["jax"] = lambda: jax_fn(jx).block_until_ready()
    return impls, numpy_based, setups


def _jacobian(s: np.ndarray) -> np.ndarray:
    """The batch Jacobian diag(s) - s s^T, shape (N, K, K), built in full.

    The package's own ``softmax_jacobian`` when it is there (the route the
    lessons teach), otherwise the same two lines inline.
    """
    try:
        from softmax_course.derivatives import softmax_jacobian
    except ImportError:
        jacobian = -s[:, :, None] * s[:, None, :]
        np.einsum("nii->ni", jacobian)[...] += s
        return jacobian
    return softmax_jacobian(s)


def vjp_implementations(
    s: np.ndarray, g: np.ndarray, out: np.ndarray, workers: tuple[int, ...] = (1,)
):
    """The VJP several ways: package function, the blocked kernel, and the Jacobian route.

    The public function with and without ``out=`` and the kernel with and
    without ``out=`` separate the per-call costs of the public function
    (validation: "out=" rows; a fresh result array: the others).
    """
    impls: dict[str, Callable[[], object]] = {}
    try:
        from softmax_course.derivatives import softmax_vjp

        impls["softmax_vjp"] = lambda: softmax_vjp(s, g)
        impls["softmax_vjp out="] = lambda: softmax_vjp(s, g, out=out)
        for w in workers:
            if w != 1:
                impls[f"softmax_vjp, {w} workers"] = lambda w=w: softmax_vjp(s, g, workers=w)  # type: ignore[misc]
    except ImportError:
        pass
    impls["_fast.vjp"] = lambda: _fast.vjp(s, g)
    impls["_fast.vjp out="] = lambda: _fast.vjp(s, g, out=out)
    impls["jacobian + einsum"] = lambda: np.einsum("nk,nkj->nj", g, _jacobian(s))
    return impls


def cross_entropy_implementations(z: np.ndarray, y: np.ndarray, workers: tuple[int, ...] = (1,)):
    """The CE gradient from logits: (softmax(z) - y) / N versus the Jacobian route."""
    n = z.shape[0]

    def shortcut():
        grad = sc.softmax(z)  # (softmax(z) - y) / N, in place: one (N, K) array in all
        grad -= y
        grad /= n
        return grad

    def jacobian_route():
        s = sc.softmax(z)
        return np.einsum("nk,nkj->nj", -(y / s) / n, _jacobian(s))

    impls: dict[str, Callable[[], object]] = {"(softmax(z) - y) / N": shortcut}
    try:
        from softmax_course.losses import softmax_cross_entropy_grad

        impls["softmax_cross_entropy_grad"] = lambda: softmax_cross_entropy_grad(z, y)
        for w in workers:
            if w != 1:
                impls[f"softmax_cross_entropy_grad, {w} workers"] = lambda w=w: (  # type: ignore[misc]
                    softmax_cross_entropy_grad(z, y, workers=w)
                )
    except ImportError:
        pass
    impls["jacobian route"] = jacobian_route
    # The same two routes when s is already known (from the forward pass): without the
    # exponentials, which both routes share, the O(K) factor between them shows undiluted.
    s = sc.softmax(z)
    impls["(s - y) / N, s given"] = lambda: (s - y) / n
    impls["jacobian route, s given"] = lambda: np.einsum("nk,nkj->nj", -(y / s) / n, _jacobian(s))
    return impls


def _one_thread(torch: Any, f: Callable[[], object]) -> Callable[[], object]:
    """``f`` preceded by ``torch.set_num_threads(1)``: a setup run before each timed call."""
    return lambda: (torch.set_num_threads(1), f())


def torch_backward_implementations(
    z: np.ndarray, s: np.ndarray, g: np.ndarray, labels: np.ndarray, modules: dict[str, Any]
) -> tuple[dict[str, Callable[[], object]], dict[str, Callable[[], object]]]:
    """Ours and torch's autograd for softmax's backward and for cross-entropy forward + backward.

    One thread each (``workers=1``, ``torch.set_num_threads(1)`` in the setups).
    """
    impls: dict[str, Callable[[], object]] = {
        OURS_VJP: lambda: sc.softmax_vjp(s, g),
        OURS_CE: lambda: (
            sc.softmax_cross_entropy(z, labels),
            sc.softmax_cross_entropy_grad(z, labels),
        ),
    }
    setups: dict[str, Callable[[], object]] = {}
    if "torch" in modules:
        torch = modules["torch"]
        ts, tg = torch.from_numpy(s), torch.from_numpy(g)
        tz, tl = torch.from_numpy(z), torch.from_numpy(labels.astype(np.int64))

        def torch_ce():
            leaf = tz.detach().requires_grad_()
            loss = torch.nn.functional.cross_entropy(leaf, tl)
            return loss.detach(), torch.autograd.grad(loss, leaf)[0]

        impls[TORCH_VJP] = lambda: torch.ops.aten._softmax_backward_data(tg, ts, -1, ts.dtype)
        impls[TORCH_CE] = torch_ce
        for name in (TORCH_VJP, TORCH_CE):
            setups[name] = _one_thread(torch, impls[name])
    return impls, setups


OURS_VJP = "softmax_vjp"
OURS_CE = "CE loss + grad (labels)"
TORCH_VJP = "torch softmax backward"
TORCH_CE = "torch cross_entropy + backward"
#: Our backward computations and torch's run of the same one.
TORCH_PEERS = {OURS_VJP: TORCH_VJP, OURS_CE: TORCH_CE}


# --- running the cases ----------------------------------------------------------------------


def _summary(times: list[float]) -> dict[str, float]:
    return {"min_s": min(times), "median_s": statistics.median(times)}


def run_forward(
    rounds: int, modules: dict[str, Any], shapes, workers: tuple[int, ...] = (1,)
) -> list[dict]:
    records = []
    for dtype in (np.float64, np.float32):
        for shape in shapes:
            x = np.random.default_rng(0).normal(scale=4.0, size=shape).astype(dtype)
            out = np.empty_like(x)
            for name in ("softmax", "log_softmax", "logsumexp"):
                impls, numpy_based, setups = forward_implementations(name, x, out, modules, workers)
                times = interleaved_times(impls, rounds, setups)
                out_bytes = x.nbytes if name != "logsumexp" else x.nbytes // x.shape[-1]
                for impl, samples in times.items():
                    bytes_moved = x.nbytes + (x.nbytes if impl == "copy floor" else out_bytes)
                    record = {
                        "section": "forward",
                        "function": name,
                        "dtype": np.dtype(dtype).name,
                        "shape": list(shape),
                        "input_bytes": x.nbytes,
                        "implementation": impl,
                        **_summary(samples),
                        "gb_per_s": bytes_moved / min(samples) / 1e9,
                    }
                    if impl in numpy_based:
                        record["scratch_bytes"] = scratch_bytes(impls[impl])
                    records.append(record)
            del x, out
    return records


def run_backward(
    rounds: int, classes, workers: tuple[int, ...] = (1,), modules: dict | None = None
) -> list[dict]:
    records = []
    for k in classes:
        n = max(1, JACOBIAN_BYTES // (8 * k * k))
        rng = np.random.default_rng(k)
        z = rng.normal(size=(n, k))
        s = sc.softmax(z)
        g = rng.normal(size=(n, k))
        labels = rng.integers(0, k, size=n)
        y = np.eye(k)[labels]
        out = np.empty_like(s)
        impls, setups = torch_backward_implementations(z, s, g, labels, modules or {})
        # Each computation's pair on its own round robin: ours then follows torch's run of
        # the same computation, on the same inputs, and torch ours (interleaved with the
        # cross-entropy pair, the VJP followed torch's cross-entropy, which leaves several
        # times more memory behind it in the caches: +10-40 % on a 0.2 ms call, measured).
        for pair in TORCH_PEERS.items():
            group = {name: impls[name] for name in pair if name in impls}
            for impl, samples in interleaved_times(group, rounds, setups).items():
                records.append(
                    {"section": "torch_backward", "K": k, "N": n, "implementation": impl}
                    | _summary(samples)
                )
        for section, impls in (
            ("vjp", vjp_implementations(s, g, out, workers)),
            ("cross_entropy_grad", cross_entropy_implementations(z, y, workers)),
        ):
            for impl, samples in interleaved_times(impls, rounds).items():
                records.append(
                    {
                        "section": section,
                        "K": k,
                        "N": n,
                        "implementation": impl,
                        **_summary(samples),
                        "scratch_bytes": scratch_bytes(impls[impl]),
                    }
                )
    return records


# --- verdicts -------------------------------------------------------------------------------


def _lookup(records, **match) -> dict | None:
    for record in records:
        if all(record.get(key) == value for key, value in match.items()):
            return record
    return None


def _case(record: dict) -> str:
    return f"{record['function']} {record['dtype']} {tuple(record['shape'])}"


def _workers_of(records: list[dict], prefix: str = "softmax_course") -> list[int]:
    """The worker counts that were timed (from the implementation names)."""
    counts = {1}
    for r in records:
        name = r.get("implementation", "")
        if name.startswith(prefix) and name.endswith(" workers"):
            counts.add(int(name.rsplit(", ", 1)[1].split()[0]))
    return sorted(counts)


def verdicts(records: list[dict], forward_only: bool = False) -> list[dict]:
    """PASS/MISS for each target, with the worst measured ratio over the cases it covers.

    Every ratio is oriented so that ``>= threshold`` passes; SKIP means the
    run had no case for the target (a missing peer, one core, ``--quick``
    shapes).
    """
    results = []

    def add(target, ratios, threshold, note="", why_skipped="no case in this run"):
        if not ratios:
            results.append(
                {"target": target, "verdict": "SKIP", "worst": None, "detail": why_skipped}
            )
            return
        worst_case, worst = min(ratios, key=lambda item: item[1])
        results.append(
            {
                "target": target,
                "verdict": "PASS" if worst >= threshold else "MISS",
                "worst": worst,
                "threshold": threshold,
                "detail": f"worst case {worst_case}" + (f"; {note}" if note else ""),
            }
        )

    forward = [r for r in records if r["section"] == "forward"]
    cases = sorted({(r["function"], r["dtype"], tuple(r["shape"])) for r in forward})
    workers = _workers_of(forward)
    most = max(workers)

    def time_of(name, dtype, shape, impl):
        record = _lookup(
            forward, function=name, dtype=dtype, shape=list(shape), implementation=impl
        )
        return None if record is None else record["min_s"]

    def nbytes(dtype, shape):
        return math.prod(shape) * np.dtype(dtype).itemsize

    def speedups(function, predicate=lambda dtype, shape: True):
        ratios = []
        for name, dtype, shape in cases:
            if name != function or not predicate(dtype, shape):
                continue
            ours = time_of(name, dtype, shape, "softmax_course")
            scipy = time_of(name, dtype, shape, "scipy")
            if ours and scipy:
                ratios.append((f"{name} {dtype} {shape}", scipy / ours))
        return ratios

    def small_k(dtype, shape):
        return len(shape) > 1 and shape[-1] <= 16

    def large(dtype, shape):
        return nbytes(dtype, shape) >= 64 * MiB

    # 1. against scipy, one worker (the earlier targets, kept)
    for function in ("softmax", "log_softmax"):
        add(f"{function} never slower than scipy (every case)", speedups(function), 1.0)
        add(f"{function} >= 2x faster than scipy for K <= 16", speedups(function, small_k), 2.0)
        add(
            f"{function} >= 1.3x faster than scipy for arrays >= 64 MB",
            speedups(function, large),
            1.3,
        )
    add("logsumexp >= 2.5x faster than scipy (every case)", speedups("logsumexp"), 2.5)

    # 2. threads: scaling from 1 to N workers
    two, never_slower = [], []
    for name, dtype, shape in cases:
        for out in (False, True):
            one = time_of(name, dtype, shape, ours_label(1, out))
            if one is None:
                continue
            for w in workers[1:]:
                many = time_of(name, dtype, shape, ours_label(w, out))
                if many is None:
                    continue
                label = f"{_case_label(name, dtype, shape, out)}, {w} workers"
                never_slower.append((label, one / many))
                if w == 2 and nbytes(dtype, shape) >= 16 * MiB:
                    two.append((label, one / many))
    cores = parallel.available_cores()
    note = "" if cores >= 2 else f"only {cores} core available: no speed-up is possible"
    add(
        "2 workers >= 1.7x faster than 1 worker for arrays >= 16 MB",
        two,
        1.7,
        note,
        note or "no case in this run (needs 2 in --workers and an array >= 16 MB)",
    )
    add(
        "N workers never slower than 1 worker, any size (5 % timing tolerance)",
        never_slower,
        0.95,
        "ratio shown is time with 1 worker / time with N",
    )

    # 3. against torch with the same number of threads
    torch_small, torch_large = [], []
    for name, dtype, shape in cases:
        for w in workers:
            ours = time_of(name, dtype, shape, ours_label(w))
            peer = time_of(name, dtype, shape, torch_label(w))
            if ours is None or peer is None:
                continue
            label = f"{name} {dtype} {shape}, {w} thread{'s' if w != 1 else ''}"
            if len(shape) > 1 and shape[-1] <= 100:
                torch_small.append((label, peer / ours))
            elif shape[-1] >= 1000:
                torch_large.append((f"{label} ({ours / peer:.1f}x torch)", 2.5 * peer / ours))
    has_torch = any(r["implementation"].startswith("torch") for r in forward)
    absent = "" if has_torch else "torch is not importable"
    add(
        "faster than torch (same threads) for every case with K <= 100",
        torch_small,
        1.0,
        "ratio shown is torch time / ours",
        absent or "no case in this run",
    )
    add(
        "within 2.5x of torch (same threads) for K >= 1000",
        torch_large,
        1.0,
        "ratio shown is 2.5 x torch time / ours",
        absent or "no case in this run",
    )

    every_case = []
    for name, dtype, shape in cases:
        for w in workers[:2]:  # 1 and 2 workers, as the targets say
            ours = time_of(name, dtype, shape, ours_label(w))
            peer = time_of(name, dtype, shape, torch_label(w))
            if ours and peer and len(shape) > 1:
                label = f"{name} {dtype} {shape}, {w} thread{'s' if w != 1 else ''}"
                every_case.append((label, peer / ours))
    add(
        "faster than torch (same threads) in every forward case (K = 10 to 10^5, 1-2 workers)",
        every_case,
        1.0,
        "ratio shown is torch time / ours",
        absent or "no case in this run",
    )

    # 4. the copy floor and scratch memory
    floor_ratios = []
    scratch_ratios = []
    for name, dtype, shape in cases:
        size = nbytes(dtype, shape)
        floor = time_of(name, dtype, shape, "copy floor")
        with_out = time_of(name, dtype, shape, ours_label(most, out=True))
        if name == "softmax" and size >= 64 * MiB and floor and with_out:
            floor_ratios.append(
                (f"{name} {dtype} {shape} ({with_out / floor:.1f}x floor)", 3.5 * floor / with_out)
            )
        for impl in (
            ("softmax_course out=", "softmax_course")
            if name == "logsumexp"
            else ("softmax_course out=",)
        ):
            record = _lookup(
                forward, function=name, dtype=dtype, shape=list(shape), implementation=impl
            )
            if record and "scratch_bytes" in record:
                allowed = 0.25 * size + 2 * MiB
                scratch_ratios.append(
                    (
                        f"{name} {dtype} {shape} ({record['scratch_bytes'] / MiB:.2f} MiB)",
                        allowed / max(record["scratch_bytes"], 1),
                    )
                )
    add(
        f"softmax out= ({most} worker{'s' if most != 1 else ''}) within 3.5x of the copy floor "
        "for arrays >= 64 MB",
        floor_ratios,
        1.0,
        "ratio shown is 3.5 x floor / time; the floor is one thread's np.copyto",
    )
    floor_16 = []
    for name, dtype, shape in cases:
        floor = time_of(name, dtype, shape, "copy floor")
        with_out = time_of(name, dtype, shape, ours_label(1, out=True))
        if name == "softmax" and nbytes(dtype, shape) >= 16 * MiB and floor and with_out:
            label = f"{name} {dtype} {shape} ({with_out / floor:.1f}x floor)"
            floor_16.append((label, 2 * floor / with_out))
    add(
        "softmax out= (1 worker) within 2x of the copy floor for arrays >= 16 MB",
        floor_16,
        1.0,
        "ratio shown is 2 x floor / time",
    )
    add(
        "scratch memory <= 0.25 x input + 2 MiB (1 worker)",
        scratch_ratios,
        1.0,
        "ratio shown is allowance / scratch",
    )
    if forward_only:
        return results

    # 5. the backward pass
    for section, fast_name, factor, label in (
        ("vjp", "softmax_vjp", 0.5, "VJP (sc.softmax_vjp) >= K/2 x faster than the Jacobian"),
        ("vjp", "_fast.vjp out=", 0.5, "VJP (_fast.vjp kernel) >= K/2 x faster than the Jacobian"),
        (
            "cross_entropy_grad",
            "(s - y) / N, s given",
            0.25,
            "CE shortcut from given s >= K/4 x faster than the Jacobian route",
        ),
    ):
        ratios = []
        for record in records:
            if record["section"] != section or record["implementation"] != fast_name:
                continue
            slow_name = "jacobian + einsum" if section == "vjp" else "jacobian route, s given"
            slow = _lookup(records, section=section, K=record["K"], implementation=slow_name)
            needed = factor * record["K"]
            ratios.append(
                (
                    f"{record['implementation']} K={record['K']} "
                    f"({slow['min_s'] / record['min_s']:.0f}x, needs {needed:.0f}x)",  # type: ignore[index]
                    slow["min_s"] / record["min_s"] / needed,  # type: ignore[index]
                )
            )
        add(label, ratios, 1.0, "ratio shown is speed-up / required speed-up")

    # 6. the backward pass against torch's autograd (one thread)
    torch_rows = [r for r in records if r["section"] == "torch_backward"]
    has_torch_backward = any(r["implementation"].startswith("torch") for r in torch_rows)
    for ours_name, peer_name, label in (
        (OURS_VJP, TORCH_VJP, "softmax_vjp faster than torch's softmax backward"),
        (
            OURS_CE,
            TORCH_CE,
            "fused cross-entropy loss + gradient faster than torch cross_entropy + backward",
        ),
    ):
        ratios = []
        for r in torch_rows:
            if r["implementation"] != ours_name:
                continue
            peer = _lookup(torch_rows, K=r["K"], implementation=peer_name)
            if peer:
                ratios.append((f"K={r['K']} N={r['N']}", peer["min_s"] / r["min_s"]))
        add(
            label,
            ratios,
            1.0,
            "ratio shown is torch time / ours",
            "" if has_torch_backward else "torch is not importable",
        )
    return results


def _case_label(name: str, dtype: str, shape, out: bool) -> str:
    return f"{name}{' out=' if out else ''} {dtype} {tuple(shape)}"


# --- reporting ------------------------------------------------------------------------------


def _avx512_features() -> list[str]:
    """numpy's AVX-512 dispatch targets that are active on this CPU (empty elsewhere)."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # pragma: no cover - numpy < 2
        return []
    return [
        name
        for name in __cpu_dispatch__
        if ("AVX512" in name or name == "X86_V4") and __cpu_features__.get(name)
    ]


def dispatch_level() -> str:
    """The highest of numpy's dispatch targets active in this process, e.g. ``X86_V4``."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # pragma: no cover - numpy < 2
        return "unknown"
    active = [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]
    return active[-1] if active else "baseline"


def machine_description() -> dict[str, object]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info: dict[str, object] = {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "available_cores": parallel.available_cores(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_dispatch": dispatch_level(),
        "NPY_DISABLE_CPU_FEATURES": os.environ.get("NPY_DISABLE_CPU_FEATURES", ""),
        "block_bytes": _fast.BLOCK_BYTES,
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }
    try:
        info["load_average"] = tuple(round(v, 2) for v in os.getloadavg())
    except OSError:
        pass
    modules = _optional_modules()
    for name in ("scipy", "torch", "jax"):
        if name in modules:
            root = __import__(name)
            info[name] = root.__version__
    return info


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def format_forward(records: list[dict]) -> str:
    lines = [
        "| function | dtype | shape | implementation | min ms | median ms | GB/s "
        "| vs scipy | vs floor | scratch MiB |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    forward = [r for r in records if r["section"] == "forward"]
    for r in forward:
        match = {"function": r["function"], "dtype": r["dtype"], "shape": r["shape"]}
        scipy = _lookup(forward, implementation="scipy", **match)
        floor = _lookup(forward, implementation="copy floor", **match)
        vs_scipy = f"{scipy['min_s'] / r['min_s']:.2f}x" if scipy else "-"
        vs_floor = f"{r['min_s'] / floor['min_s']:.1f}" if floor else "-"
        scratch = f"{r['scratch_bytes'] / MiB:.2f}" if "scratch_bytes" in r else "-"
        lines.append(
            f"| {r['function']} | {r['dtype']} | {tuple(r['shape'])} | {r['implementation']} "
            f"| {_ms(r['min_s'])} | {_ms(r['median_s'])} | {r['gb_per_s']:.1f} | {vs_scipy} "
            f"| {vs_floor} | {scratch} |"
        )
    return "\n".join(lines)


def format_threads(records: list[dict]) -> str:
    """One line per case: time / copy floor of ours and torch per thread count, and scaling."""
    forward = [r for r in records if r["section"] == "forward"]
    workers = _workers_of(forward)
    has_torch = any(r["implementation"].startswith("torch") for r in forward)
    head = ["function", "dtype", "shape"]
    head += [f"ours {w}w" for w in workers]
    head += [f"torch {w}t" for w in workers] if has_torch else []
    head += [f"scaling 1->{w}" for w in workers[1:]]
    lines = [
        "Time as a multiple of the copy floor (lower is better); scaling = time with 1 worker "
        "/ time with N.",
        "| " + " | ".join(head) + " |",
        "|---|---|---|" + "---:|" * (len(head) - 3),
    ]
    seen = []
    for r in forward:
        key = (r["function"], r["dtype"], tuple(r["shape"]))
        if key in seen:
            continue
        seen.append(key)
        match = {"function": key[0], "dtype": key[1], "shape": list(key[2])}
        floor = _lookup(forward, implementation="copy floor", **match)["min_s"]  # type: ignore[index]

        def rel(impl, match=match, floor=floor):
            record = _lookup(forward, implementation=impl, **match)
            return "-" if record is None else f"{record['min_s'] / floor:.1f}x"

        cells = [key[0], key[1], str(key[2])]
        cells += [rel(ours_label(w)) for w in workers]
        cells += [rel(torch_label(w)) for w in workers] if has_torch else []
        one = _lookup(forward, implementation=ours_label(1), **match)["min_s"]  # type: ignore[index]
        for w in workers[1:]:
            many = _lookup(forward, implementation=ours_label(w), **match)
            cells.append("-" if many is None else f"{one / many['min_s']:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_backward(records: list[dict]) -> str:
    lines = [
        "| section | K | N | implementation | min ms | median ms | Jacobian route / this "
        "| scratch MiB |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in records:
        if r["section"] not in ("vjp", "cross_entropy_grad"):
            continue
        slow_name = "jacobian + einsum" if r["section"] == "vjp" else "jacobian route"
        if r["implementation"].endswith("s given"):
            slow_name = "jacobian route, s given"
        slow = _lookup(records, section=r["section"], K=r["K"], implementation=slow_name)
        lines.append(
            f"| {r['section']} | {r['K']} | {r['N']} | {r['implementation']} "
            f"| {_ms(r['min_s'])} | {_ms(r['median_s'])} | {slow['min_s'] / r['min_s']:.1f}x "  # type: ignore[index]
            f"| {r['scratch_bytes'] / MiB:.2f} |"
        )
    return "\n".join(lines)


def format_torch_backward(records: list[dict]) -> str:
    """Ours against torch's autograd kernels (one thread), when torch was timed."""
    rows = [r for r in records if r["section"] == "torch_backward"]
    if not any(r["implementation"].startswith("torch") for r in rows):
        return ""
    lines = [
        "| K | N | computation | ours ms | torch ms | torch / ours |",
        "|---:|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        peer_name = TORCH_PEERS.get(r["implementation"])
        peer = _lookup(rows, K=r["K"], implementation=peer_name) if peer_name else None
        if peer is None:
            continue
        lines.append(
            f"| {r['K']} | {r['N']} | {r['implementation']} | {_ms(r['min_s'])} "
            f"| {_ms(peer['min_s'])} | {peer['min_s'] / r['min_s']:.2f}x |"
        )
    return "\n".join(lines)


def timing_spread(records: list[dict]) -> dict[str, float]:
    """How much the rounds of this run disagreed: ``median / min - 1`` of every timed case.

    ``typical`` is the median over cases and ``worst_tenth`` the 90th percentile. On a
    quiet machine both are a few percent; on a shared one, bursts of load that outlast a
    round raise them, and a verdict whose ratio is within about ``typical`` of its
    threshold can flip from run to run.
    """
    spreads = sorted(
        r["median_s"] / r["min_s"] - 1 for r in records if r.get("min_s") and r.get("median_s")
    )
    if not spreads:
        return {"typical": float("nan"), "worst_tenth": float("nan")}
    return {
        "typical": float(np.median(spreads)),
        "worst_tenth": float(np.percentile(spreads, 90)),
    }


def format_spread(spread: dict[str, float]) -> str:
    typical, worst = 100 * spread["typical"], 100 * spread["worst_tenth"]
    return (
        f"Timing spread (median / min - 1 over each case's rounds): typical {typical:.0f} %, "
        f"worst tenth {worst:.0f} % or more. A verdict within about the typical spread of its "
        "threshold can flip from run to run."
    )


def format_verdicts(results: list[dict]) -> str:
    lines = []
    for v in results:
        worst = "" if v["worst"] is None else f" (worst ratio {v['worst']:.2f})"
        lines.append(f"[{v['verdict']}] {v['target']}{worst}: {v['detail']}")
    return "\n".join(lines)


def parse_workers(text: str) -> tuple[int, ...]:
    """``"1,2,-1"`` -> the distinct resolved worker counts, ascending, always including 1."""
    try:
        values = [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--workers must be a comma-separated list of ints; received {text!r}"
        ) from None
    try:
        counts = {parallel.resolve_workers(v, "--workers") for v in values}
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return tuple(sorted(counts | {1}))


def parse_shapes(text: str) -> list[tuple[int, ...]]:
    """``"65536x10,10000000"`` -> ``[(65536, 10), (10000000,)]``."""
    try:
        shapes = [tuple(int(n) for n in item.split("x")) for item in text.split(",") if item]
    except ValueError:
        shapes = []
    if not shapes or any(n < 1 for shape in shapes for n in shape):
        raise argparse.ArgumentTypeError(
            f"--shapes must look like 65536x10,10000000 (positive sizes); received {text!r}"
        )
    return shapes


def run_avx2_child(
    rounds: int, workers: tuple[int, ...], shapes: list[tuple[int, ...]]
) -> dict | None:
    """The forward cases again in a child process with numpy's AVX-512 kernels switched off."""
    features = _avx512_features()
    if not features:
        return None
    # numpy's AVX-512 kernels off, and numba compiling for an AVX2 CPU (Haswell) likewise
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=" ".join(features), NUMBA_CPU_NAME="haswell")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "avx2.json")
        command = [sys.executable, "-m", "softmax_course.bench", "--forward-only", "--no-avx2"]
        command += ["--rounds", str(rounds), "--workers", ",".join(map(str, workers))]
        command += ["--shapes", ",".join("x".join(map(str, shape)) for shape in shapes)]
        command += ["--json", path]
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if completed.returncode != 0 or not os.path.exists(path):
            print(f"AVX2 run failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
            return None
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m softmax_course.bench",
        description="Time softmax_course against scipy.special, PyTorch (if installed), "
        "naive numpy and a copy floor, with 1, 2 and all workers.",
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds instead of 7")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per case (default 7)")
    parser.add_argument(
        "--workers",
        type=parse_workers,
        default="1,2,-1",
        help="worker counts of the sweep, comma-separated; -1 = all available cores "
        "(default 1,2,-1)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write all measurements as JSON")
    parser.add_argument(
        "--shapes",
        type=parse_shapes,
        default=None,
        help="forward shapes, e.g. 65536x10,4096x1000,10000000 (default: the five of the docs)",
    )
    parser.add_argument("--forward-only", action="store_true", help="skip the backward cases")
    parser.add_argument(
        "--no-avx2",
        action="store_true",
        help="on an AVX-512 CPU, skip the second run at numpy's AVX2 dispatch level",
    )
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 7)
    if rounds < 1:
        parser.error(f"--rounds must be at least 1; received {rounds}")
    workers = args.workers

    modules = _optional_modules()
    machine = machine_description()
    print("# softmax_course benchmark")
    print(", ".join(f"{key}: {value}" for key, value in machine.items()))
    if "scipy" not in modules:
        print("scipy is not importable: its columns and the verdicts against it are skipped")
    if "torch" not in modules:
        print("torch is not importable: the PyTorch columns and verdicts are skipped")
    print(f"rounds per case: {rounds} (interleaved; min and median reported)")
    print(f"workers: {', '.join(map(str, workers))} (torch with the same numbers of threads)\n")

    shapes = args.shapes or FORWARD_SHAPES
    records = run_forward(rounds, modules, shapes, workers)
    print(format_forward(records), end="\n\n", flush=True)
    print(format_threads(records), end="\n\n", flush=True)
    if not args.forward_only:
        backward = run_backward(rounds, VJP_CLASSES, workers, modules)
        print(format_backward(backward), end="\n\n")
        against_torch = format_torch_backward(backward)
        if against_torch:
            print("Backward against torch's autograd, one thread:")
            print(against_torch, end="\n\n")
        records += backward
    results = verdicts(records, forward_only=args.forward_only)
    print(format_verdicts(results), flush=True)
    spread = timing_spread(records)
    print(format_spread(spread), flush=True)
    report = {
        "machine": machine,
        "rounds": rounds,
        "workers": list(workers),
        "records": records,
        "verdicts": results,
        "spread": spread,
    }
    if not args.no_avx2:
        avx2 = run_avx2_child(rounds, workers, shapes)
        if avx2 is not None:
            print(
                "\n## The same forward cases at numpy's AVX2 dispatch level "
                f"(NPY_DISABLE_CPU_FEATURES={avx2['machine']['NPY_DISABLE_CPU_FEATURES']!r}, "
                f"dispatch {avx2['machine']['numpy_dispatch']})\n"
            )
            print(format_forward(avx2["records"]), end="\n\n")
            print(format_threads(avx2["records"]), end="\n\n")
            print(format_verdicts(avx2["verdicts"]))
            report["avx2"] = avx2
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)
        print(f"\nwrote {args.json}")
    return report


if __name__ == "__main__":
    main()
