"""Checkers for the single-pass (online) normalizer (lesson 08).

:func:`check_online_logsumexp_stream`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from softmax_course.exercises._session import (
    CheckReport,
    _float,
    _run,
    _scalar_close,
    _Session,
)

__all__ = [
    "STREAM_NO_RESCALE",
    "STREAM_OVERFLOW",
    "STREAM_TWO_PASSES",
    "check_online_logsumexp_stream",
]


STREAM_TWO_PASSES = (
    "your function went over the values twice: a stream can be read only once, so keep the "
    "running maximum m and the running sum d as the values go by"
)

STREAM_OVERFLOW = (
    "overflow for [1000, 1000]: exp(1000) is inf; keep the running maximum m and sum "
    "exp(x - m) instead of exp(x)"
)

STREAM_NO_RESCALE = (
    "the running sum is not rescaled when a new maximum arrives: d must become "
    "d * exp(m_old - m_new) + exp(x - m_new)"
)


class _OnePass:
    """An iterator over ``values`` that notices a second pass (which sees nothing)."""

    def __init__(self, values: Sequence[float]) -> None:
        self._values = list(values)
        self._position = 0
        self.exhausted = False
        self.read_again = False

    def __iter__(self) -> _OnePass:
        return self

    def __next__(self) -> float:
        if self._position < len(self._values):
            self._position += 1
            return self._values[self._position - 1]
        if self.exhausted:
            self.read_again = True
        self.exhausted = True
        raise StopIteration


def _no_rescale(values: Sequence[float]) -> float:
    """The running sum without the rescaling d * exp(m_old - m_new): the mistake to name."""
    m, d = -np.inf, 0.0
    for x in values:
        m = max(m, x)
        d += float(np.exp(x - m))
    return m + float(np.log(d))


def _stream_battery(session: _Session) -> None:
    cases = [[0.0, 0.0], [1.0, 2.0, 3.0], [1000.0, 1000.0], [-5.0, 0.0, 1000.0], [3.0], [3.0, 1.0]]
    for index, values in enumerate(cases):
        label = f"the stream {values}"
        stream = _OnePass(values)
        result = session.call([stream], label, ["values"])
        if stream.read_again:  # noted even when the second pass then raised (log of 0)
            session.add("two_passes", STREAM_TWO_PASSES)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        got = _float(session, result, label)
        if got is None:
            continue
        array = np.array(values)
        m = np.max(array)
        expected = float(m + np.log(np.sum(np.exp(array - m))))
        if _scalar_close(got, expected):
            continue
        if not np.isfinite(got) and np.max(np.abs(array)) > 700:
            session.add("overflow", STREAM_OVERFLOW)
        elif not _scalar_close(_no_rescale(values), expected) and _scalar_close(
            got, _no_rescale(values)
        ):
            session.add("no_rescale", STREAM_NO_RESCALE)
        elif not stream.read_again:
            session.add(
                f"values:{label}", f"for {values} you returned {got!r}, expected {expected!r}"
            )


def check_online_logsumexp_stream(fn: Callable[[Any], Any]) -> CheckReport:
    r"""Check :math:`\log \sum_j e^{x_j}` computed in one pass over a stream (lesson 08, ex. 2).

    Parameters
    ----------
    fn : callable
        ``fn(values)`` for an iterator of floats that can be read only
        once; returns :math:`\log \sum_j e^{x_j}` without overflow.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (reading the stream
        twice, overflow, the running sum not rescaled when the maximum
        grows, wrong values, exceptions).

    Examples
    --------
    >>> import math
    >>> from softmax_course.exercises import check_online_logsumexp_stream
    >>> def two_passes(values):
    ...     m = max(values)
    ...     return m + math.log(sum(math.exp(v - m) for v in values))
    >>> for problem in check_online_logsumexp_stream(two_passes).problems:
    ...     print(problem)
    raised ValueError: math domain error for the stream [0.0, 0.0]
    your function went over the values twice: a stream can be read only once, so keep the running maximum m and the running sum d as the values go by
    """  # noqa: E501
    return _run("check_online_logsumexp_stream", fn, _stream_battery)
