"""Checkers for the single-pass (online) normalizer (lesson 08).

:func:`check_online_logsumexp_stream`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from softmax_course.exercises._session import (
    CheckReport,
    _float,
    _peak_memory,
    _run,
    _scalar_close,
    _Session,
)
from softmax_course.i18n import N_, ngettext
from softmax_course.i18n import gettext as _

__all__ = [
    "STREAM_MASKED",
    "STREAM_NO_RESCALE",
    "STREAM_OVERFLOW",
    "STREAM_STORED",
    "STREAM_TWO_PASSES",
    "check_online_logsumexp_stream",
]


STREAM_TWO_PASSES = N_(
    "your function went over the values twice: a stream can be read only once, so keep the "
    "running maximum m and the running sum d as the values go by"
)

STREAM_OVERFLOW = N_(
    "overflow for [1000, 1000]: exp(1000) is inf; keep the running maximum m and sum "
    "exp(x - m) instead of exp(x)"
)

STREAM_NO_RESCALE = N_(
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


STREAM_STORED = N_(
    "your function kept the whole stream in memory (its memory grew by about {kib} KiB "
    "when the stream grew by {n} values, where one pass needs a few numbers, or a chunk of "
    "fixed size): it stored the values in a list or an array and then went over them "
    "again; a stream can be read only once: keep the running maximum m and the running "
    "sum d as the values go by"
)

STREAM_MASKED = N_(
    "for the stream {values} you returned {got!r}, expected {expected!r}: a value of -inf (a "
    "masked score) contributes exp(-inf) = 0, but while the running maximum m is still "
    "-inf, x - m is -inf - (-inf) = NaN; skip the update (or the rescaling) while m is -inf"
)

#: Lengths of the two long streams. Storing the stream grows the peak memory with its length
#: (20,000 more floats take 160 KiB more in an array, about 640 KiB more in a list); a
#: one-pass reader's peak does not grow, whatever chunk size it reads (up to _LONG values).
_LONG = 20_000
_STORED_BYTES = 80 * 1024  # half of 20,000 floats in an array


def _long_values(n: int) -> np.ndarray:
    """A long stream: moderate values, then the maximum last (the sum must be rescaled)."""
    values = np.round(20.0 * np.sin(0.7 * np.arange(n)), 3)
    values[-1] = 1000.0
    return values


def _generate(values: np.ndarray) -> Iterator[float]:
    """One Python float at a time, made on demand (nothing is kept by the stream itself)."""
    for index in range(values.size):
        yield float(values[index])


def _peak_while_reading(session: _Session, values: np.ndarray, label: str) -> tuple[Any, int]:
    """fn on a stream of ``values``, and the peak of the memory it allocated meanwhile."""
    facts: dict[str, Any] = {}
    with _peak_memory(facts):
        result = session.call([_generate(values)], label, ["values"])
    return result, facts["peak"]


def _check_memory(session: _Session) -> None:
    """Call fn on two long streams, the second twice as long: does its memory grow with it?"""
    peaks = []
    for n in (_LONG, 2 * _LONG):
        values = _long_values(n)
        label = ngettext("a stream of {n} value", "a stream of {n} values", n).format(n=n)
        result, peak = _peak_while_reading(session, values, label)
        peaks.append(peak)
        if result is None:
            return
        got = _float(session, result, label)
        m = np.max(values)
        expected = float(m + np.log(np.sum(np.exp(values - m))))
        if got is not None and not _scalar_close(got, expected) and not session.problems:
            session.add(
                f"values:{label}",
                _("for {label} you returned {got}, expected {expected}").format(
                    label=label, got=repr(got), expected=repr(expected)
                ),
            )
    growth = peaks[1] - peaks[0]
    if growth > _STORED_BYTES:
        session.add("stored", STREAM_STORED.format(kib=growth // 1024, n=_LONG))


def _expected(values: Sequence[float]) -> float:
    array = np.array(values)
    m = np.max(array)
    with np.errstate(divide="ignore"):
        return float(m + np.log(np.sum(np.exp(array - m))))


def _stream_battery(session: _Session) -> None:
    cases = [
        [0.0, 0.0],
        [1.0, 2.0, 3.0],
        [1000.0, 1000.0],
        [-5.0, 0.0, 1000.0],
        [3.0],
        [3.0, 1.0],
        [-np.inf, 1.0],  # a masked score first: exp(-inf - (-inf)) is NaN
    ]
    for values in cases:
        label = _("the stream {values}").format(values=values)
        stream = _OnePass(values)
        result = session.call([stream], label, ["values"])
        got = None if result is None else _float(session, result, label)
        expected = _expected(values)
        if got is not None and _scalar_close(got, expected):
            continue  # right: a next() after the end (a peek, islice) is not a second pass
        if stream.read_again:  # wrong or raised, after a pass that found nothing left
            session.add("two_passes", STREAM_TWO_PASSES)
        if got is None:
            continue
        array = np.array(values)
        with np.errstate(all="ignore"):
            naive = float(np.log(np.sum(np.exp(array))))  # no running maximum
        if not np.isfinite(got) and not np.isfinite(naive):
            session.add("overflow", STREAM_OVERFLOW)
        elif values[0] == -np.inf and np.isnan(got):
            session.add("masked", STREAM_MASKED.format(values=values, got=got, expected=expected))
        elif not _scalar_close(_no_rescale(values), expected) and _scalar_close(
            got, _no_rescale(values)
        ):
            session.add("no_rescale", STREAM_NO_RESCALE)
        elif not stream.read_again:
            session.add(
                f"values:{label}",
                _("for {label} you returned {got}, expected {expected}").format(
                    label=values, got=repr(got), expected=repr(expected)
                ),
            )
    _check_memory(session)


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
    >>> report = check_online_logsumexp_stream(two_passes)
    >>> print(report.problems[-1])
    your function went over the values twice: a stream can be read only once, so keep the running maximum m and the running sum d as the values go by
    >>> def stores_the_stream(values):
    ...     values = list(values)
    ...     m = max(values)
    ...     return m + math.log(sum(math.exp(v - m) for v in values))
    >>> print(check_online_logsumexp_stream(stores_the_stream).problems[0][:46])  # doctest: +NORMALIZE_WHITESPACE
    your function kept the whole stream in memory
    """  # noqa: E501
    return _run("check_online_logsumexp_stream", fn, _stream_battery)
