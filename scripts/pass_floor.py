"""What the passes of a row-wise softmax cost without any exp, as multiples of the copy floor.

``docs/performance.md`` ("Why the remaining misses miss") explains the one-worker miss of the
copy-floor target with these numbers: a compiled loop with the kernels' three passes per row
(the maximum; ``x - m`` stored and summed, where the kernels store and sum exps; the scaling)
and one with two empty passes (the maximum, then one write), each timed against
``np.copyto`` and against ``sc.softmax(x, out=out, workers=1)`` in alternating rounds, one
thread. What is left between the three-pass loop and the softmax is the cost of ``exp``.

Usage: ``python scripts/pass_floor.py [ROWSxCOLS ...] [--rounds N]`` (default: the float64
cases of 16 MB or more, ``4096x1000 256x100000``, 5 rounds). Needs numba.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from numba import njit

import softmax_course as sc


@njit(nogil=True, fastmath={"contract", "reassoc"}, inline="always")
def _row_max(x: np.ndarray, i: int) -> float:
    m = -np.inf
    for j in range(x.shape[1]):
        m = max(m, x[i, j])
    return m


@njit(nogil=True, fastmath={"contract", "reassoc"})
def two_passes(x: np.ndarray, out: np.ndarray) -> None:
    """Per row: the maximum, then ``out = x - m`` (two passes, nothing else)."""
    for i in range(x.shape[0]):
        m = _row_max(x, i)
        for j in range(x.shape[1]):
            out[i, j] = x[i, j] - m


@njit(nogil=True, fastmath={"contract", "reassoc"})
def three_passes(x: np.ndarray, out: np.ndarray) -> None:
    """Per row: the maximum; ``out = x - m`` and its sum; ``out *= 1 / sum`` (no exp)."""
    for i in range(x.shape[0]):
        m = _row_max(x, i)
        total = 0.0
        for j in range(x.shape[1]):
            v = x[i, j] - m
            out[i, j] = v
            total += v
        scale = 1.0 / total
        for j in range(x.shape[1]):
            out[i, j] *= scale


def _best_times(calls: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    for call in calls.values():  # compile, first-touch pages
        call()
    best = dict.fromkeys(calls, np.inf)
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def measure(shape: tuple[int, int], rounds: int) -> dict[str, float]:
    """Best time of each loop as a multiple of the copy floor's (float64, one thread)."""
    x = np.random.default_rng(0).normal(scale=4.0, size=shape)
    out = np.empty_like(x)
    best = _best_times(
        {
            "copy floor": lambda: np.copyto(out, x),
            "two passes, no exp": lambda: two_passes(x, out),
            "three passes, no exp": lambda: three_passes(x, out),
            "sc.softmax out=, 1 worker": lambda: sc.softmax(x, out=out, workers=1),
        },
        rounds,
    )
    return {name: seconds / best["copy floor"] for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shapes", nargs="*", default=["4096x1000", "256x100000"])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    for text in args.shapes:
        rows, cols = (int(part) for part in text.split("x"))
        ratios = measure((rows, cols), args.rounds)
        summary = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items())
        print(f"float64 ({rows}, {cols}): {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
