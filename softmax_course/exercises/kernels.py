"""Checker for the fused, compiled softmax loop (lesson 08, optional section 6).

:func:`check_fused_softmax`. It judges results, never speed: a learner's loop
may be compiled with numba or run as plain Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from softmax_course.exercises._session import (
    _BATCH,
    _HUGE_BATCH,
    _WIDE,
    CheckReport,
    _close,
    _fmt,
    _run,
    _Session,
)
from softmax_course.i18n import N_
from softmax_course.i18n import gettext as _

__all__ = ["FUSED_OVERFLOW", "FUSED_SPECIAL", "check_fused_softmax"]

FUSED_OVERFLOW = N_(
    "returned inf or NaN for the finite rows {rows}: exp overflowed; find the row maximum m "
    "in a first loop and use exp(x - m) in the second"
)

FUSED_SPECIAL = N_("for the row {row} you returned {got}, expected {expected}: {why}")

#: Rows with special values and what the numpy path gives for them, with the reason.
_SPECIAL_ROWS = [
    (
        [0.0, -np.inf, 1.0],
        N_("a -inf logit is a class of probability exactly 0; the others share 1"),
    ),
    ([1.0, np.nan, 2.0], N_("a NaN anywhere makes the sum NaN, so every entry is NaN")),
    ([1.0, np.inf, 2.0], N_("with a +inf maximum, x - m is inf - inf = NaN: every entry is NaN")),
    (
        [-np.inf, -np.inf, -np.inf],
        N_("an all -inf row has no finite maximum: -inf - (-inf) is NaN"),
    ),
    ([5.0, 5.0, 5.0], N_("equal logits share the probability equally")),
]


def _reference(x: np.ndarray) -> np.ndarray:
    """Softmax of each row by the package's numpy path (the reference implementation)."""
    from softmax_course import backend, core

    with backend.set_backend("numpy"), np.errstate(all="ignore"):
        return core.softmax(x, axis=-1)


def _battery(session: _Session) -> None:
    float32 = np.array([[3.0, 1.0, 0.2], [-2.0, 0.0, 2.0]], dtype=np.float32)
    one_class = np.array([[2.0], [-7.0], [0.0]])
    cases = [
        (_("the 3x4 batch"), _BATCH),
        (_("rows of very large logits"), _HUGE_BATCH),
        (_("a 7x12 batch"), _WIDE),
        (_("a float32 batch"), float32),
        (_("one class per row"), one_class),
    ]
    for label, x in cases:
        got = session.call([x], label, ["x"])
        if got is None:
            continue
        expected = _reference(x)
        if got.shape != expected.shape:
            session.add(
                f"shape:{label}",
                _(
                    "returned shape {shape} for {label} of shape {expected}; expected {expected}"
                ).format(shape=got.shape, label=label, expected=x.shape),
            )
            continue
        if x.dtype == np.float32 and got.dtype != np.float32:
            session.add(
                "dtype",
                _(
                    "returned {dtype} for float32 input; expected float32 (allocate the result "
                    "with np.empty_like(x))"
                ).format(dtype=got.dtype),
            )
        finite_rows = [
            i
            for i in range(len(x))
            if not np.all(np.isfinite(got[i])) and np.all(np.isfinite(x[i]))
        ]
        if finite_rows:
            session.add("overflow", FUSED_OVERFLOW.format(rows=_fmt(x[finite_rows[0]])))
            continue
        if _close(got, expected, x.dtype):
            continue
        sums = got.sum(axis=-1)
        if x.shape[0] > 1 and np.allclose(got.sum(axis=0), 1) and not np.allclose(sums, 1):
            session.add(
                "axis",
                _(
                    "the columns of your result for {label} sum to 1, not the rows: normalize each "
                    "row by its own sum"
                ).format(label=label),
            )
        else:
            session.add(
                f"values:{label}",
                _("for {label} you returned {got}, expected {expected}").format(
                    label=label, got=_fmt(got), expected=_fmt(expected)
                ),
            )
    specials = np.array([row for row, _ in _SPECIAL_ROWS])
    got = session.call([specials], _("rows with special values"), ["x"])
    if got is None or got.shape != specials.shape:
        return
    expected = _reference(specials)
    for i, (row, why) in enumerate(_SPECIAL_ROWS):
        same_nan = np.array_equal(np.isnan(got[i]), np.isnan(expected[i]))
        finite = ~np.isnan(expected[i])
        zeros_exact = np.array_equal(got[i][expected[i] == 0], expected[i][expected[i] == 0])
        if not (
            same_nan and zeros_exact and _close(got[i][finite], expected[i][finite], specials.dtype)
        ):
            session.add(
                f"special:{i}",
                FUSED_SPECIAL.format(
                    row=_fmt(np.array(row)), got=_fmt(got[i]), expected=_fmt(expected[i]), why=why
                ),
            )


def check_fused_softmax(fn: Callable[[Any], Any]) -> CheckReport:
    r"""Check a softmax over the rows of a 2-D array written as explicit loops (lesson 08).

    Parameters
    ----------
    fn : callable
        ``fn(x)`` for a 2-D float array ``x`` of shape ``(N, K)``; returns a new
        array of the same shape and dtype whose rows are
        :math:`e^{x_j - m} / \sum_k e^{x_k - m}` with :math:`m` the row maximum.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found: overflow (no maximum
        subtracted), columns normalized instead of rows, the dtype not kept,
        special values (``-inf`` logits, NaN, ``+inf``, all ``-inf`` rows) that
        differ from :func:`softmax_course.softmax`'s, wrong values, the input
        modified, exceptions. Speed is not judged.

    Notes
    -----
    A numba function compiles on its first call for each dtype, which can
    take seconds; the checker stops a call after a few seconds, so call the
    function once on a small float64 and a small float32 array before
    checking it.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_fused_softmax
    >>> def no_shift(x):
    ...     e = np.exp(x)
    ...     return e / e.sum(axis=-1, keepdims=True)
    >>> print(check_fused_softmax(no_shift).problems[0][:60])
    returned inf or NaN for the finite rows [1000.,  999.,  998.
    """
    return _run("check_fused_softmax", fn, _battery)
