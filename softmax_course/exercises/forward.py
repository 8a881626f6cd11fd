"""Checkers for the forward pass: softmax, log-softmax and the lessons' small forward exercises.

Lessons 01-03 and 08: :func:`check_softmax`, :func:`check_log_softmax`,
:func:`check_softmax_vector`, :func:`check_logits_from_probabilities`,
:func:`check_temperature_for_confidence`, :func:`check_softmax_columns`,
:func:`check_breaking_batch`, :func:`check_largest_finite_exp_input`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from softmax_course.core import log_softmax as _ref_log_softmax
from softmax_course.core import softmax as _ref_softmax
from softmax_course.exercises._session import (
    _BATCH,
    _CUBE,
    _DOMINANT,
    _FAR_ROWS,
    _FLOAT32,
    _FLOAT32_BATCH,
    _HUGE,
    _HUGE_BATCH,
    _INTEGERS,
    _ONE_ROW,
    _REPEATED,
    _SPREAD,
    _SPREAD_ROWS,
    _SQUARE,
    _TINY,
    _VECTOR,
    _WIDE,
    FLOAT32_ONLY,
    CheckReport,
    _check_scratch,
    _close,
    _confirmed_causes,
    _expected_got,
    _float,
    _float32_only,
    _fmt,
    _run,
    _Session,
    _shift_inside,
)
from softmax_course.i18n import N_, ngettext
from softmax_course.i18n import gettext as _

__all__ = [
    "TRANSPOSE_BROADCAST",
    "TRANSPOSE_TRICK",
    "AXIS_0",
    "AXIS_FIXED",
    "AXIS_NONE",
    "BREAKING_NOT_BROKEN",
    "COLUMNS_GLOBAL_MAX",
    "COLUMNS_NO_SHIFT",
    "COLUMNS_ROWS",
    "FIRST_AXIS",
    "GLOBAL_MAX",
    "KEEP_DTYPE",
    "LOGITS_IDENTITY",
    "LOG_OF_SOFTMAX",
    "LOG_OVERFLOW",
    "LOG_UNDERFLOW",
    "MEAN_SHIFT",
    "OVERFLOW",
    "OVERFLOW_FLOAT32",
    "SQUARE_NO_KEEPDIMS",
    "TEMPERATURE_INVERTED",
    "UNDERFLOW",
    "VECTOR_NAIVE",
    "VECTOR_NO_SUM",
    "check_breaking_batch",
    "check_largest_finite_exp_input",
    "check_log_softmax",
    "check_logits_from_probabilities",
    "check_softmax",
    "check_softmax_columns",
    "check_softmax_vector",
    "check_temperature_for_confidence",
]


# Messages shared by several checkers; the tests assert on these words.
OVERFLOW = N_(
    "overflow for [1000, 5]: exp(1000) is inf and inf/inf is NaN; subtract the maximum "
    "first (softmax(x - max(x)) equals softmax(x))"
)

LOG_UNDERFLOW = N_(
    "underflow for [-1000, -1001, -1002]: every exp(x) rounds to 0 and log(0) is -inf; "
    "subtract the maximum first"
)

UNDERFLOW = N_(
    "underflow for [-1000, -1001, -1002]: every exp(x) rounds to 0 and 0/0 is NaN; "
    "subtract the maximum first"
)

OVERFLOW_FLOAT32 = N_(
    "overflow in float32 for [100, 0]: float32 exp overflows above about 88.7; "
    "subtract the maximum first"
)

GLOBAL_MAX = N_(
    "rows far below the batch maximum underflow to 0/0: subtract each row's own maximum "
    "(np.max(x, axis=-1, keepdims=True)), not the maximum of the whole batch"
)

AXIS_0 = N_(
    "rows do not sum to 1: you normalized over axis 0 of a batch (each column sums to 1); "
    "the classes are on the last axis: sum over axis=-1 with keepdims=True"
)

AXIS_NONE = N_(
    "rows do not sum to 1: you normalized over the whole array (the whole batch sums to 1: a "
    "sum without axis=, or a library function called with its default axis=None, as "
    "scipy.special.softmax(x) and scipy.special.logsumexp(x) are); normalize over axis=-1 "
    "(keepdims=True for sums, axis=-1 for library calls)"
)

AXIS_FIXED = N_(
    "slices do not sum to 1 along the last axis of a 3-D input: you normalized over a fixed "
    "axis such as axis=1; the class axis is the last one, so use axis=-1"
)

LOG_OF_SOFTMAX = N_(
    "log(softmax(x)) gives -inf for [0, -1000]: softmax rounds exp(-1000) to 0 before the "
    "log sees it; compute x - logsumexp(x) (shift by the maximum, stay in log space)"
)

LOG_OVERFLOW = N_(
    "overflow for [1000, 5]: exp(1000) is inf; subtract the maximum first: "
    "log_softmax(x) = (x - m) - log(sum(exp(x - m))) with m = max(x)"
)


TRANSPOSE_TRICK = N_(
    "inf or NaN for {label}: you shifted x.T by np.max(x, axis=-1), the transpose trick of lesson "
    "02 (section 6(e)); .T reverses all the axes, so beyond 2-D slice (i, j) is shifted by "
    "the maximum of slice (j, i) (and a (2, 3, 4) batch does not broadcast at all); "
    "subtract np.max(x, axis=-1, keepdims=True) without transposing"
)

TRANSPOSE_BROADCAST = N_(
    "the shapes are those of x.T and np.max(x, axis=-1): .T reverses all the axes, so the "
    "transpose trick works for 2-D input only (lesson 02, section 6(e)); subtract "
    "np.max(x, axis=-1, keepdims=True) without transposing"
)

# A (2, 2, 3) batch whose slice (0, 1) lies 1000 below the others: the transpose trick
# shifts it by the maximum of slice (1, 0), and gets 0/0 there (and inf/inf in (1, 0)).
_SQUARE_BATCH = np.zeros((2, 2, 3))
_SQUARE_BATCH[0, 1] = [-1000.0, -999.0, -998.0]
_SQUARE_BATCH_LABEL = N_("a batch of shape (2, 2, 3) whose slice (0, 1) lies 1000 below the others")

MEAN_SHIFT = N_(
    "overflow for {label}: you subtracted the mean, not the maximum; for logits spread this "
    "far apart x - mean(x) still has entries above 709 and exp overflows to inf; subtract "
    "the maximum, so that every exponent is at most 0"
)

FIRST_AXIS = N_(
    "your function picks its axis from the shape (the first axis longer than 1, the default "
    "of some posted softmax functions): right for one sample and for a batch of one, wrong "
    "for a batch of N > 1 samples; the classes are always on the last axis: use axis=-1"
)

KEEP_DTYPE = N_(
    "returned dtype {got} for {label}: the exercise asks to keep float32 input in float32 and "
    "to give float64 and integer input a float64 result; allocate the result with "
    "dtype=np.result_type(x, np.float32)"
)

SQUARE_NO_KEEPDIMS = N_(
    "rows do not sum to 1 for the square batch: the row sums were taken without "
    "keepdims=True, so the vector of sums broadcast along the wrong axis (each row was "
    "divided by the sums of the other rows); keep the axis: np.sum(e, axis=-1, keepdims=True)"
)


def _shifted(x: np.ndarray, shift: np.ndarray | float, *, log: bool) -> np.ndarray:
    """Softmax (or its log) after subtracting ``shift``: the formula with its flaw in ``shift``."""
    u = x - shift
    e = np.exp(u)
    total = np.sum(e, axis=-1, keepdims=True)
    return u - np.log(total) if log else e / total


def _first_non_singleton(x: np.ndarray) -> np.ndarray:
    """Softmax over the first axis longer than 1 (a generic softmax's ``axis=None``)."""
    axis = next((a for a, n in enumerate(x.shape) if n > 1), x.ndim - 1)
    return _ref_softmax(x, axis=axis)


_KEYS = {"noshift": "maxshift", "mean": "mean", "global_max": "global_max"}
_KEYS["log_of_softmax"] = "log_of_softmax"
_KEYS["transpose"] = "transpose"


def _transpose_trick(x: np.ndarray, *, log: bool) -> np.ndarray:
    """Lesson 02's ``x.T - np.max(x, axis=-1)``: right for 2-D, wrong when axes coincide."""
    u = x.T - np.max(x, axis=-1)
    if log:
        return (u - np.log(np.sum(np.exp(u), axis=0))).T
    e = np.exp(u)
    return (e / np.sum(e, axis=0)).T


def _softmax_candidates(x: np.ndarray, *, log: bool) -> list[tuple[list[str], Any]]:
    """The known wrong formulas whose output on ``x`` may contain inf or NaN, with their causes."""
    mean = np.mean(x, axis=-1, keepdims=True)
    candidates: list[tuple[list[str], Any]] = [
        (["noshift"], lambda: _shifted(x, 0.0, log=log)),
        (["mean"], lambda: _shifted(x, mean, log=log)),
        (["global_max"], lambda: _shifted(x, np.max(x), log=log)),
    ]
    if x.ndim >= 3 and x.shape[:-1] == x.shape[:-1][::-1]:  # the trick broadcasts here
        candidates.append((["transpose"], lambda: _transpose_trick(x, log=log)))
    if log:
        candidates += [
            (["noshift", "log_of_softmax"], lambda: np.log(_shifted(x, 0.0, log=False))),
            (["mean", "log_of_softmax"], lambda: np.log(_shifted(x, mean, log=False))),
            (["global_max", "log_of_softmax"], lambda: np.log(_shifted(x, np.max(x), log=False))),
            (["log_of_softmax"], lambda: np.log(_ref_softmax(x))),
        ]
    return candidates


def _refute(session: _Session, x: np.ndarray, reference: np.ndarray, *, log: bool) -> None:
    """Note the wrong formulas (by position in the list) that a right answer on ``x`` rules out."""
    refuted = session.facts.setdefault("refuted", set())
    for index, (_ignored, formula) in enumerate(_softmax_candidates(x, log=log)):
        with np.errstate(all="ignore"):
            if not _close(np.asarray(formula(), dtype=np.float64), reference, x.dtype):
                refuted.add(index)


def _live_candidates(session: _Session, x: np.ndarray, *, log: bool) -> list[tuple[list[str], Any]]:
    """The wrong formulas not yet ruled out by an input the function got right."""
    refuted = session.facts.get("refuted", set())
    return [c for i, c in enumerate(_softmax_candidates(x, log=log)) if i not in refuted]


def _causes(session: _Session, result: np.ndarray, x: np.ndarray, *, log: bool) -> list[str]:
    """The confirmed causes of a wrong answer on ``x``: among all the known wrong formulas,
    or, when several with different causes reproduce it, among those still not ruled out."""
    causes, matching = _confirmed_causes(result, _softmax_candidates(x, log=log), x.dtype)
    if not causes:
        causes, matching = _confirmed_causes(result, _live_candidates(session, x, log=log), x.dtype)
    if not causes and any(all(session.has(_KEYS[c]) for c in m) for m in matching):
        return ["explained"]  # a formula with causes already reported reproduces it
    return causes


def _nonfinite_message(cause: str, x: np.ndarray, label: str, *, log: bool) -> tuple[str, str]:
    """(key, message) for a confirmed cause of inf or NaN on ``x``."""
    if cause == "mean":
        return "mean", MEAN_SHIFT.format(label=label)
    if cause == "global_max":
        return "global_max", GLOBAL_MAX
    if cause == "log_of_softmax":
        return "log_of_softmax", LOG_OF_SOFTMAX
    if cause == "transpose":
        return "transpose", TRANSPOSE_TRICK.format(label=label)
    if x.dtype == np.float32 and np.max(np.abs(x)) < 700:
        return "maxshift", OVERFLOW_FLOAT32
    if np.max(x) > 0:
        return "maxshift", LOG_OVERFLOW if log else OVERFLOW
    return "maxshift", LOG_UNDERFLOW if log else UNDERFLOW


def _axis_problem(p: np.ndarray, x: np.ndarray) -> str | None:
    """Name the axis mistake when the slices of ``p`` along the last axis do not sum to 1.

    Each name is confirmed: the sums along another axis (or of the whole
    array) are 1, or the output is that of the formula with the flaw.
    """
    with np.errstate(all="ignore"):
        if p.shape != x.shape or not np.all(np.isfinite(p)):
            return None
        if np.allclose(p.sum(axis=-1), 1.0, rtol=1e-5):
            return None
        if x.ndim >= 2 and np.allclose(p.sum(axis=0), 1.0, rtol=1e-5):
            return AXIS_0
        if np.isclose(p.sum(), 1.0, rtol=1e-5):
            return AXIS_NONE
        if x.ndim >= 3 and any(
            np.allclose(p.sum(axis=a), 1.0, rtol=1e-5) for a in range(1, x.ndim - 1)
        ):
            return AXIS_FIXED
        if x.ndim == 2 and x.shape[0] == x.shape[1]:
            for shift in (0.0, np.max(x), np.max(x, axis=-1, keepdims=True), np.max(x, axis=-1)):
                e = np.exp(x - shift)
                if _close(p, e / np.sum(e, axis=-1), x.dtype):
                    return SQUARE_NO_KEEPDIMS
        return _(
            "rows do not sum to 1 for the input of shape {shape} (the sums are "
            "{sums}): divide each row by its own sum, "
            "e / np.sum(e, axis=-1, keepdims=True)"
        ).format(shape=x.shape, sums=_fmt(p.sum(axis=-1)))


def _check_distribution(
    session: _Session,
    x: np.ndarray,
    label: str,
    *,
    log: bool,
    read_only: bool = False,
) -> bool:
    """Check fn(x) against softmax (or log-softmax) of x; True when it agrees."""
    result = session.call([x], label, ["x"], read_only=read_only)
    if result is None or not session.shape_ok(result, x.shape, label):
        return False
    if session.facts.get("keeps_dtype"):
        wanted = np.result_type(x.dtype, np.float32)
        if result.dtype != wanted:
            session.add("keeps_dtype", KEEP_DTYPE.format(got=result.dtype, label=label))
    reference = (_ref_log_softmax if log else _ref_softmax)(x)
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(result)):
            causes = _causes(session, result, x, log=log)
            if causes:
                for cause in causes:
                    if cause != "explained":
                        session.add(*_nonfinite_message(cause, x, label, log=log))
            else:
                session.add(
                    f"nonfinite:{label}",
                    _("returned inf or NaN for {label}: {values}; expected {expected}").format(
                        label=label, values=_fmt(result), expected=_fmt(reference)
                    ),
                )
            return False
        axis_problem = _axis_problem(np.exp(result) if log else result, x)
    if axis_problem is not None:
        session.add("axis", axis_problem)
        if axis_problem == AXIS_0 and session.facts.get("one_row_ok"):
            if _close(np.exp(result) if log else result, _first_non_singleton(x), x.dtype):
                session.add("first_axis", FIRST_AXIS)
        return False
    if _close(result, reference, x.dtype):
        _refute(session, x, reference, log=log)
        return True
    if _float32_only(result, reference, x.dtype):
        session.add("float32_only", FLOAT32_ONLY.format(label=label))
        return False
    if log:
        with np.errstate(all="ignore"):
            log_of_rounded = np.log(_ref_softmax(x))
        if _close(result, log_of_rounded, x.dtype):
            session.add("log_of_softmax", LOG_OF_SOFTMAX)
            return False
    session.add("values", _wrong_values(label, reference, result))
    return False


def _wrong_values(label: str, reference: np.ndarray, result: np.ndarray) -> str:
    """ "wrong values ...", with the size of the difference when the rounded numbers agree."""
    text = _("wrong values for {label}: {comparison}").format(
        label=label, comparison=_expected_got(reference, result)
    )
    if _fmt(reference) == _fmt(result):
        with np.errstate(all="ignore"):
            difference = float(np.max(np.abs(result - reference)))
        text = _(
            "wrong values for {label}: {comparison} (they differ by up to {difference:.1e}, "
            "more than rounding explains)"
        ).format(label=label, comparison=_expected_got(reference, result), difference=difference)
    return text


def _softmax_battery(
    session: _Session, *, log: bool, keeps_dtype: bool = False, block_rows: int | None = None
) -> None:
    session.facts["keeps_dtype"] = keeps_dtype
    _check_distribution(session, _VECTOR, "[3.0, 1.0, 0.2]", log=log)
    session.facts["one_row_ok"] = _check_distribution(
        session, _ONE_ROW, _("the one-row batch [[1, 2, 3, 6]]"), log=log
    )
    _check_distribution(
        session, _BATCH, _("the 3x4 batch [[1, 2, 3, 6], [2, 4, 5, 6], ...]"), log=log
    )
    _check_distribution(session, _SQUARE, _("a square 3x3 batch"), log=log)
    _check_distribution(session, _CUBE, _("a batch of shape (2, 3, 4)"), log=log)
    _check_distribution(session, _HUGE, "[1000, 5]", log=log)
    # Large logits in a batch whose rows share their maximum: only the missing shift fails.
    _check_distribution(
        session, _HUGE_BATCH, _("the batch [[1000, 999, 998], [1000, 1, 0]]"), log=log
    )
    _check_distribution(session, _TINY, "[-1000, -1001, -1002]", log=log)
    # Spread out: the mean is -350, so x - mean(x) overflows where x - max(x) cannot.
    _check_distribution(session, _SPREAD, "[700, -1400]", log=log)
    if log:
        _check_distribution(session, np.array([0.0, -1000.0]), "[0, -1000]", log=True)
    # One dominant term: log(1 + e^-40) and log1p(e^-40) differ by 4e-18; both pass.
    _check_distribution(session, _DOMINANT, "[0, -40]", log=log)
    _check_distribution(session, _REPEATED, "[1, 1, 2]", log=log)
    _check_distribution(session, _FLOAT32, "float32 [100, 0]", log=log)
    _check_distribution(session, _FLOAT32_BATCH, _("a float32 batch"), log=log)
    _check_distribution(session, _INTEGERS, _("the integers [1, 2, 3]"), log=log)
    _check_distribution(session, _WIDE, _("a batch of shape (7, 12)"), log=log)
    # Two batch axes of equal length: x.T - x.max(axis=-1) broadcasts, with the wrong maxima.
    # (Late in the battery: a missing shift fails here too, and is named by then.)
    _check_distribution(session, _SQUARE_BATCH, _SQUARE_BATCH_LABEL, log=log)
    _check_distribution(session, _BATCH, _("a read-only batch"), log=log, read_only=True)
    _check_far_rows(session, log=log)
    if block_rows is not None and not session.problems:
        _check_blocked(session, block_rows)


def _check_far_rows(session: _Session, *, log: bool) -> None:
    """A batch whose second row lies 1000 below the first: catches the global maximum."""
    if session.has("global_max"):
        return
    x, label = _FAR_ROWS, _("a batch with rows 1000 apart")
    result = session.call([x], label, ["x"])
    if result is None or not session.shape_ok(result, x.shape, label):
        return
    reference = (_ref_log_softmax if log else _ref_softmax)(x)
    if _close(result, reference, x.dtype):
        return
    with np.errstate(all="ignore"):
        causes = _causes(session, result, x, log=log)
    if causes:
        for cause in causes:
            if cause != "explained":
                session.add(*_nonfinite_message(cause, x, label, log=log))
        return
    for row in range(x.shape[0]):
        if _close(result[row], reference[row], x.dtype) or session.has("axis"):
            continue  # an axis mistake explains a wrong row already
        alone = session.call(
            [x[row : row + 1]], _("row {row} of {label}").format(row=row, label=label), ["x"]
        )
        if alone is not None and _close(alone, reference[row : row + 1], x.dtype):
            session.add(
                "mixes_rows",
                _(
                    "row {row} of {label} is right on its own but wrong inside the batch: your "
                    "function mixes the rows (each row's softmax must depend on that row only)"
                ).format(row=row, label=label),
            )
        else:
            session.add("values", _wrong_values(label, reference, result))
        return


def _check_blocked(session: _Session, block_rows: int) -> None:
    """The scratch memory of a blocked softmax on a (4096, 256) batch: a few blocks at most."""
    x = np.random.default_rng(8).normal(size=(4096, 256))
    block = block_rows * x.shape[-1] * x.itemsize
    _check_scratch(
        session,
        [x],
        _("a batch of shape (4096, 256)"),
        ["x"],
        limit=max(8 * block, 2**20),
        what=_("whole-batch temporaries such as x - max or exp(...) of the input's size"),
        asked=ngettext(
            "temporaries of one block of {rows} row, written with out=",
            "temporaries of one block of {rows} rows, written with out=",
            block_rows,
        ).format(rows=block_rows),
    )


def check_softmax(
    fn: Callable[[np.ndarray], Any], *, keeps_dtype: bool = False, block_rows: int | None = None
) -> CheckReport:
    """Check a learner's ``softmax(x)`` that normalizes over the last axis.

    Parameters
    ----------
    fn : callable
        ``fn(x)`` with ``x`` a 1-D vector of logits or a batch whose last
        axis holds the classes; it must return probabilities of the same
        shape without changing ``x``.
    keeps_dtype : bool, optional
        Also require the result's dtype to be ``np.result_type(x, np.float32)``:
        float32 input stays float32, float64 and integer input give float64
        (lesson 08's blocked softmax asks for this). Without it a
        lower-precision answer still fails, by the precision rule of
        :mod:`softmax_course.exercises`, with a message saying so.
    block_rows : int, optional
        Lesson 08's blocked softmax: also measure (with ``tracemalloc``) the
        memory the function holds at its peak besides its result, on a
        ``(4096, 256)`` batch; more than 8 blocks of ``block_rows`` rows (at
        least 1 MiB) fails. This catches whole-batch temporaries such as
        ``x - max``; it cannot tell a loop over blocks from one ``out=`` pass
        over the whole batch, which holds the same memory.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (axis, overflow,
        underflow, the mean or the global maximum subtracted, a default
        axis taken from the shape, float32 inside, mutation, exceptions,
        wrong shape).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_softmax
    >>> def global_max_softmax(x):
    ...     e = np.exp(x - np.max(x))
    ...     return e / e.sum(axis=-1, keepdims=True)
    >>> check_softmax(global_max_softmax).problems
    ["rows far below the batch maximum underflow to 0/0: subtract each row's own maximum (np.max(x, axis=-1, keepdims=True)), not the maximum of the whole batch"]
    """  # noqa: E501
    return _run(
        "check_softmax",
        fn,
        lambda session: _softmax_battery(
            session, log=False, keeps_dtype=keeps_dtype, block_rows=block_rows
        ),
        one_d_hint=True,
    )


def check_log_softmax(fn: Callable[[np.ndarray], Any]) -> CheckReport:
    """Check a learner's ``log_softmax(x)`` over the last axis.

    Parameters
    ----------
    fn : callable
        ``fn(x)`` returning ``log(softmax(x))`` of the same shape, computed
        without taking the log of a rounded probability.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (``log(softmax(x))``,
        overflow, axis, global maximum, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_log_softmax
    >>> def via_logsumexp(x):
    ...     m = np.max(x, axis=-1, keepdims=True)
    ...     return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))
    >>> check_log_softmax(via_logsumexp)
    check_log_softmax(via_logsumexp): passed
    """
    return _run(
        "check_log_softmax",
        fn,
        lambda session: _softmax_battery(session, log=True),
        one_d_hint=True,
    )


VECTOR_NAIVE = N_(
    "you divided z by its sum: that is not a probability for negative or mixed-sign logits; "
    "exponentiate first, s = exp(z) / sum(exp(z))"
)

VECTOR_NO_SUM = N_("you returned exp(z) without dividing by the sum: the entries must add up to 1")

LOGITS_IDENTITY = N_(
    "you returned p itself, but softmax(p) is not p: undo the exp with np.log; the division "
    "by the sum can be ignored because the p_i already add up to 1"
)

TEMPERATURE_INVERTED = N_(
    "you returned 1/T: softmax(z, temperature=T) divides the logits by T, so a confident "
    "distribution needs a small T"
)

COLUMNS_ROWS = N_(
    "each row sums to 1: you normalized over axis=-1, but here the samples are the columns "
    "of a (K, N) array; use axis=0 with keepdims=True"
)

COLUMNS_GLOBAL_MAX = N_(
    "columns far below the array's maximum underflow to 0/0: subtract each column's own "
    "maximum, np.max(X, axis=0, keepdims=True), of shape (1, N)"
)

BREAKING_NOT_BROKEN = N_(
    "softmax with the global maximum still returns finite numbers on your batch: "
    "move the rows further apart"
)


def _vector_battery(session: _Session) -> None:
    cases = [
        np.array([2.0, 1.0, -1.0]),
        _VECTOR,
        np.array([0.0, 0.0]),
        np.array([-5.0, 2.5, 0.0, 1.0]),
        np.array([-1.0, -2.0]),
    ]
    for z in cases:
        label = f"z = {_fmt(z)}"
        result = session.call([z], label, ["z"])
        if result is None:
            continue
        if not session.shape_ok(result, z.shape, label):
            continue
        expected = _ref_softmax(z)
        if _close(result, expected, z.dtype):
            continue
        with np.errstate(all="ignore"):
            naive = z / np.sum(z)
            if _close(result, naive, z.dtype) or (
                not np.all(np.isfinite(naive)) and np.array_equal(result, naive, equal_nan=True)
            ):
                session.add("naive", VECTOR_NAIVE)
            elif _close(result, np.exp(z), z.dtype):
                session.add("no_sum", VECTOR_NO_SUM)
            else:
                session.add(
                    "values",
                    _("wrong values for {label}: {comparison}").format(
                        label=label, comparison=_expected_got(expected, result)
                    ),
                )


def check_softmax_vector(fn: Callable[[np.ndarray], Any]) -> CheckReport:
    """Check a learner's softmax of a single 1-D vector of logits (lesson 01, exercise 1).

    Only 1-D input is tried; :func:`check_softmax` adds batches, extreme
    logits, float32 and read-only input.

    Parameters
    ----------
    fn : callable
        ``fn(z)`` returning ``softmax(z)`` for a 1-D array ``z``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (dividing by the sum
        of the logits, a missing normalization, wrong values or shape,
        mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_softmax_vector
    >>> check_softmax_vector(lambda z: np.exp(z) / np.sum(np.exp(z))).passed
    True
    >>> check_softmax_vector(lambda z: z / np.sum(z)).problems
    ['you divided z by its sum: that is not a probability for negative or mixed-sign logits; exponentiate first, s = exp(z) / sum(exp(z))']
    """  # noqa: E501
    return _run("check_softmax_vector", fn, _vector_battery)


def _logits_battery(session: _Session) -> None:
    cases = [
        np.array([0.7, 0.2, 0.1]),
        np.array([0.5, 0.5]),
        np.array([0.01, 0.01, 0.98]),
        np.full(5, 0.2),
    ]
    for p in cases:
        label = f"p = {_fmt(p)}"
        z = session.call([p], label, ["p"])
        if z is None:
            continue
        if z.shape != p.shape:
            session.add(
                "shape",
                ngettext(
                    "for {label}: expected {count} logit, got shape {shape}",
                    "for {label}: expected {count} logits, got shape {shape}",
                    p.size,
                ).format(label=label, count=p.size, shape=z.shape),
            )
            continue
        if not np.all(np.isfinite(z)):
            session.add(
                f"nonfinite:{label}",
                _("returned inf or NaN for {label}: {values}").format(label=label, values=_fmt(z)),
            )
            continue
        s = _ref_softmax(z.astype(np.float64))
        if _close(s, p, p.dtype):
            continue
        if _close(z, p, p.dtype):
            session.add("identity", LOGITS_IDENTITY)
        else:
            session.add(
                "values",
                _("for {label}: softmax(your logits) = {values}, expected p").format(
                    label=label, values=_fmt(s)
                ),
            )


def check_logits_from_probabilities(fn: Callable[[np.ndarray], Any]) -> CheckReport:
    r"""Check logits whose softmax is a given probability vector (lesson 01, exercise 2).

    Any answer :math:`\log p + c` passes: the check is that
    ``softmax(fn(p))`` gives ``p`` back.

    Parameters
    ----------
    fn : callable
        ``fn(p)`` for a 1-D probability vector ``p`` with every ``p_i > 0``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (returning ``p``
        itself, wrong shape or values, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_logits_from_probabilities
    >>> check_logits_from_probabilities(lambda p: np.log(p) + 3.0).passed
    True
    """
    return _run("check_logits_from_probabilities", fn, _logits_battery)


def _temperature_battery(session: _Session) -> None:
    z = np.array([2.0, 1.0, -1.0])
    cases = [
        (z, 0.9),
        (z, 0.5),
        (np.array([0.0, 0.1, 0.2, 0.3]), 0.99),
        (np.array([4.0, 0.0]), 0.6),
    ]
    for z, target in cases:
        label = _("z = {z}, target {target}").format(z=_fmt(z), target=target)
        result = session.call([z, target], label, ["z", "target"])
        if result is None:
            continue
        T = _float(session, result, label)
        if T is None:
            continue
        if not T > 0 or not np.isfinite(T):
            session.add(
                f"positive:{label}",
                _("for {label}: got T = {T}, expected a finite T > 0").format(
                    label=label, T=repr(T)
                ),
            )
            continue
        top = float(np.max(_ref_softmax(z / T)))
        if abs(top - target) <= 1e-6:
            continue
        if abs(float(np.max(_ref_softmax(z * T))) - target) <= 1e-6:
            session.add("inverted", TEMPERATURE_INVERTED)
        else:
            session.add(
                f"values:{label}",
                _("for {label}: at T = {T:.6g} the top class has probability {top:.6f}").format(
                    label=label, T=T, top=top
                ),
            )


def check_temperature_for_confidence(fn: Callable[[np.ndarray, float], Any]) -> CheckReport:
    """Check a temperature search: the top class of ``softmax(z / T)`` has probability ``target``.

    Lesson 01, exercise 3. The returned ``T`` passes when the top
    probability is within ``1e-6`` of ``target``.

    Parameters
    ----------
    fn : callable
        ``fn(z, target)`` for 1-D logits ``z`` (not all equal) and
        ``1/K < target < 1``; returns a positive number ``T``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (``1/T`` returned,
        a non-positive ``T``, a top probability off target, exceptions).

    Examples
    --------
    >>> from softmax_course import solutions
    >>> from softmax_course.exercises import check_temperature_for_confidence
    >>> check_temperature_for_confidence(solutions.temperature_for_confidence)
    check_temperature_for_confidence(temperature_for_confidence): passed
    """
    return _run("check_temperature_for_confidence", fn, _temperature_battery)


COLUMNS_NO_SHIFT = N_(
    "overflow or underflow without a shift: exp(1000) is inf (inf/inf is NaN) and a column "
    "of logits near -1000 gives 0/0; subtract each column's maximum, "
    "np.max(X, axis=0, keepdims=True), of shape (1, N)"
)

_COLUMNS_CAUSES = {"global_max": COLUMNS_GLOBAL_MAX, "noshift": COLUMNS_NO_SHIFT}


def _columns_candidates(X: np.ndarray) -> list[tuple[list[str], Any]]:
    """Column softmaxes with the flaw in the shift: none, or the whole array's maximum."""

    def columns(shift: np.ndarray | float) -> np.ndarray:
        e = np.exp(X - shift)
        return e / np.sum(e, axis=0, keepdims=True)

    return [(["noshift"], lambda: columns(0.0)), (["global_max"], lambda: columns(np.max(X)))]


def _columns_battery(session: _Session) -> None:
    cases = [
        (np.array([[1.0, 0.0, 5.0], [2.0, 0.0, 1.0], [3.0, 0.0, 1.0]]), _("a square (3, 3) X")),
        (np.array([[1.0, 2.0], [0.0, 4.0], [3.0, -1.0], [6.0, 6.0]]), _("X of shape (4, 2)")),
        (np.array([[1.0], [2.0], [3.0], [6.0]]), _("one sample, X of shape (4, 1)")),
        (np.array([[0.0, -1000.0], [1.0, -999.0]]), _("columns 1000 apart, X of shape (2, 2)")),
        (np.array([[1000.0, 1.0], [5.0, 2.0]]), "X = [[1000, 1], [5, 2]]"),
        (
            _SPREAD_ROWS.T.copy(),
            _("columns spread far apart, X = [[-1400, 1000], [700, 0], [0, -5]]"),
        ),
    ]
    for X, label in cases:
        result = session.call([X], label, ["X"])
        if result is None:
            continue
        if not session.shape_ok(result, X.shape, label):
            continue
        expected = _ref_softmax(X, axis=0)
        if X.shape == _SPREAD_ROWS.T.shape and _shift_inside(
            session, result, lambda sm, X=X: sm(X, axis=0), label
        ):
            continue
        if _close(result, expected, X.dtype):
            continue
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(result)):
                causes, matching = _confirmed_causes(result, _columns_candidates(X), X.dtype)
                symptom = _("returned inf or NaN for {label}: {values}").format(
                    label=label, values=_fmt(result)
                )
                session.add_causes(
                    causes, matching, _COLUMNS_CAUSES, (f"nonfinite:{label}", symptom)
                )
            elif _close(result, _ref_softmax(X, axis=-1), X.dtype):
                session.add("rows", COLUMNS_ROWS)
            else:
                session.add(
                    "values",
                    _(
                        "wrong values for {label}: each column should be a softmax over its K "
                        "entries; {comparison}"
                    ).format(label=label, comparison=_expected_got(expected, result)),
                )


def check_softmax_columns(fn: Callable[[np.ndarray], Any]) -> CheckReport:
    """Check a softmax over each column of a ``(K, N)`` array (lesson 02, exercise 2).

    Parameters
    ----------
    fn : callable
        ``fn(X)`` for ``X`` of shape ``(K, N)``, one sample per column;
        returns the array of the same shape whose columns are softmaxes.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (rows normalized
        instead of columns, the maximum of the whole array, wrong values,
        mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_softmax_columns
    >>> def rows(X):
    ...     e = np.exp(X - X.max(axis=-1, keepdims=True))
    ...     return e / e.sum(axis=-1, keepdims=True)
    >>> check_softmax_columns(rows).problems
    ['each row sums to 1: you normalized over axis=-1, but here the samples are the columns of a (K, N) array; use axis=0 with keepdims=True']
    """  # noqa: E501
    return _run(
        "check_softmax_columns",
        fn,
        _columns_battery,
        hint=_("np.max(X, axis=0, keepdims=True) has shape (1, N)"),
    )


def _global_max_softmax(X: np.ndarray) -> np.ndarray:
    """The flawed softmax of lesson 02: one shift by the maximum of the whole batch."""
    e = np.exp(X - np.max(X))
    return e / np.sum(e, axis=-1, keepdims=True)


def _breaking_battery(session: _Session) -> None:
    result = session.call([], "make()", [])
    if result is None:
        return
    if result.shape != (2, 3) or not np.all(np.isfinite(result)):
        session.add(
            "shape",
            (
                _("need a finite batch of shape (2, 3); got shape {shape}")
                if np.all(np.isfinite(result))
                else _(
                    "need a finite batch of shape (2, 3); got shape {shape} with inf or NaN entries"
                )
            ).format(shape=result.shape),
        )
        return
    # Judged in the batch's own dtype: a float32 batch breaks where float32 underflows
    # (exp(-104) is 0 in float32, not in float64). Integers are computed in float64.
    X = result if result.dtype.kind == "f" else result.astype(np.float64)
    with np.errstate(all="ignore"):
        broken = bool(np.any(np.isnan(_global_max_softmax(X))))
    if not broken:
        session.add("not_broken", BREAKING_NOT_BROKEN)


def check_breaking_batch(make: Callable[[], Any]) -> CheckReport:
    """Check a finite ``(2, 3)`` batch on which the global-max softmax gives NaN (lesson 02, ex. 3).

    Parameters
    ----------
    make : callable
        ``make()`` with no arguments, returning the batch.

    Returns
    -------
    CheckReport
        ``passed`` when the batch is finite, of shape ``(2, 3)``, and
        ``exp(X - max(X)) / sum(..., axis=-1)`` has a NaN on it, computed in
        the batch's own dtype (float64 for integers): a float32 batch is
        broken where float32 underflows.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_breaking_batch
    >>> check_breaking_batch(lambda: np.array([[0.0, 1.0, 2.0], [-1000.0, -999.0, -998.0]]))
    check_breaking_batch(<lambda>): passed
    >>> check_breaking_batch(lambda: np.zeros((2, 3))).problems
    ['softmax with the global maximum still returns finite numbers on your batch: move the rows further apart']
    """  # noqa: E501
    return _run(
        "check_breaking_batch",
        make,
        _breaking_battery,
        hint=_("one row should lie far below the other's maximum"),
    )


def _as_scalar_of(session: _Session, value: Any, dtype: type) -> np.generic | None:
    """``value`` as a scalar of ``dtype`` when it is one exactly (a numpy scalar, a Python
    float, a 0-d array), or None after saying why not."""
    name = np.dtype(dtype).name
    try:
        array = np.asarray(value)
        ok = array.shape == () and array.dtype.kind in "fiu"
    except Exception:  # noqa: BLE001 -- whatever the learner returned, the check goes on
        ok = False
    if not ok:
        session.add(
            f"dtype:{name}",
            _("{dtype}: expected a single number of dtype {dtype}, got {value}").format(
                dtype=name, value=repr(value)
            ),
        )
        return None
    with np.errstate(all="ignore"):
        scalar = dtype(array[()])
        if array.dtype.kind == "f" and not float(scalar) == float(array[()]):
            session.add(
                f"dtype:{name}",
                _(
                    "{dtype}: {value} is not a {dtype} number (in {dtype} it rounds to "
                    "{rounded}); return a value of dtype {dtype}"
                ).format(dtype=name, value=repr(value), rounded=repr(scalar)),
            )
            return None
    return scalar


def _exp_threshold_battery(session: _Session) -> None:
    for dtype in (np.float16, np.float32, np.float64):
        name = np.dtype(dtype).name
        x = session.call([dtype], f"dtype {name}", ["dtype"], raw=True)
        if x is None:
            continue
        x = _as_scalar_of(session, x, dtype)
        if x is None:
            continue
        with np.errstate(over="ignore"):
            if not np.isfinite(np.exp(x)):
                session.add(
                    f"high:{name}",
                    _("{dtype}: np.exp({x}) is inf; go lower").format(dtype=name, x=repr(x)),
                )
            elif np.isfinite(np.exp(np.nextafter(x, dtype(np.inf)))):
                session.add(
                    f"low:{name}",
                    _(
                        "{dtype}: np.exp of the next number above {x} is still finite; go higher"
                    ).format(dtype=name, x=repr(x)),
                )


def check_largest_finite_exp_input(fn: Callable[[type], Any]) -> CheckReport:
    """Check the largest ``x`` of a dtype with ``np.exp(x)`` finite (lesson 03, exercise 3).

    Parameters
    ----------
    fn : callable
        ``fn(dtype)`` for ``np.float16``, ``np.float32`` and ``np.float64``;
        returns a numpy scalar of that dtype.

    Returns
    -------
    CheckReport
        ``passed`` when, for every dtype, ``exp(x)`` is finite and ``exp``
        of the next representable number above ``x`` is ``inf``; otherwise
        one message per dtype (wrong type, too high, too low).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_largest_finite_exp_input
    >>> for problem in check_largest_finite_exp_input(lambda d: d(np.log(np.finfo(d).max))).problems:
    ...     print(problem)
    float16: np.exp(np.float16(11.09)) is inf; go lower
    float32: np.exp(np.float32(88.72284)) is inf; go lower
    """  # noqa: E501
    return _run("check_largest_finite_exp_input", fn, _exp_threshold_battery)
