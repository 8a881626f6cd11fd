r"""Checkers for the lesson exercises: run a learner's function and name the mistake.

Each ``check_*`` function calls the learner's function on a small battery of
inputs (a vector, batches of several shapes, very large and very negative
logits, repeated values, float32, integer and read-only arrays), compares
every answer with a reference computed here with careful numpy, and returns a
:class:`CheckReport`. When an answer is wrong the report does not stop at
"wrong values": it tries the known wrong formulas (the ones in the seed
threads and in :mod:`softmax_course.pitfalls`) and says which one was used,
e.g. *"rows do not sum to 1: you normalized over axis 0 of a batch"*.

A checker never raises because of the learner's code: a stub that raises
``NotImplementedError`` is reported as "not implemented yet", any other
exception is reported with its type and message, and warnings raised inside
the learner's function (overflow in ``exp``, ``0/0``) are silenced so that
the report is the only output.

Examples
--------
>>> import numpy as np
>>> from softmax_course.exercises import check_softmax
>>> def my_softmax(x):
...     raise NotImplementedError
>>> check_softmax(my_softmax)
check_softmax(my_softmax): not passed
  - not implemented yet: replace `raise NotImplementedError` with your code, then run this check again

>>> def my_softmax(x):
...     e = np.exp(x - np.max(x, axis=-1, keepdims=True))
...     return e / np.sum(e, axis=-1, keepdims=True)
>>> report = check_softmax(my_softmax)
>>> report.passed
True

>>> def seed_softmax(x):  # the version copied from a Q&A thread
...     return np.exp(x) / np.sum(np.exp(x), axis=0)
>>> for problem in check_softmax(seed_softmax).problems:
...     print(problem)
rows do not sum to 1: you normalized over axis 0 of a batch (each column sums to 1); the classes are on the last axis: sum over axis=-1 with keepdims=True
overflow for [1000, 5]: exp(1000) is inf and inf/inf is NaN; subtract the maximum first (softmax(x - max(x)) equals softmax(x))
"""  # noqa: E501

from __future__ import annotations

import html
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from softmax_course.core import log_softmax as _ref_log_softmax
from softmax_course.core import softmax as _ref_softmax

__all__ = [
    "CheckReport",
    "check_cross_entropy_grad",
    "check_log_softmax",
    "check_softmax",
    "check_softmax_jacobian",
    "check_softmax_vjp",
]

NOT_IMPLEMENTED = (
    "not implemented yet: replace `raise NotImplementedError` with your code, "
    "then run this check again"
)

# Messages shared by several checkers; the tests assert on these words.
OVERFLOW = (
    "overflow for [1000, 5]: exp(1000) is inf and inf/inf is NaN; subtract the maximum "
    "first (softmax(x - max(x)) equals softmax(x))"
)
LOG_UNDERFLOW = (
    "underflow for [-1000, -1001, -1002]: every exp(x) rounds to 0 and log(0) is -inf; "
    "subtract the maximum first"
)
UNDERFLOW = (
    "underflow for [-1000, -1001, -1002]: every exp(x) rounds to 0 and 0/0 is NaN; "
    "subtract the maximum first"
)
OVERFLOW_FLOAT32 = (
    "overflow in float32 for [100, 0]: float32 exp overflows above about 88.7; "
    "subtract the maximum first"
)
GLOBAL_MAX = (
    "rows far below the batch maximum underflow to 0/0: subtract each row's own maximum "
    "(np.max(x, axis=-1, keepdims=True)), not the maximum of the whole batch"
)
MUTATION = (
    "your function changed its input {name}: an in-place operation such as `{name} -= ...` "
    "or `np.exp({name}, out={name})` writes into the caller's array; "
    "write `{name} = {name} - ...` to get a new array"
)
READ_ONLY = (
    "your function writes into its input: on a read-only array it raised {error}; "
    "compute into a new array (`x = x - m`, not `x -= m`)"
)
AXIS_0 = (
    "rows do not sum to 1: you normalized over axis 0 of a batch (each column sums to 1); "
    "the classes are on the last axis: sum over axis=-1 with keepdims=True"
)
AXIS_NONE = (
    "rows do not sum to 1: you normalized over the whole array (a sum or max without "
    "axis=, so the whole batch sums to 1); sum over axis=-1 with keepdims=True"
)
AXIS_FIXED = (
    "slices do not sum to 1 along the last axis of a 3-D input: you normalized over a fixed "
    "axis such as axis=1; the class axis is the last one, so use axis=-1"
)
LOG_OF_SOFTMAX = (
    "log(softmax(x)) gives -inf for [0, -1000]: softmax rounds exp(-1000) to 0 before the "
    "log sees it; compute x - logsumexp(x) (shift by the maximum, stay in log space)"
)
LOG_OVERFLOW = (
    "overflow for [1000, 5]: exp(1000) is inf; subtract the maximum first: "
    "log_softmax(x) = (x - m) - log(sum(exp(x - m))) with m = max(x)"
)
DIAGONAL_ONLY = "only the diagonal s(1-s): the off-diagonal entries -s_i s_j are missing"
DIAGONAL_VECTOR = (
    "returned {K} numbers instead of a {K}x{K} matrix: ds_i/dz_j is a Jacobian with one row "
    "per output s_i and one column per logit z_j"
)
JACOBIAN_SIGN = (
    "sign error: your matrix is -J; ds_i/dz_j = s_i (delta_ij - s_j), so the diagonal "
    "s_i (1 - s_i) is positive and the off-diagonal entries -s_i s_j are negative"
)
REPEATED_VALUES = (
    "wrong on repeated values such as [1, 1, 2]: you compared values, not indices; "
    "the Kronecker delta is about positions (i == j), not about s_i == s_j"
)
SOFTMAX_AGAIN = (
    "you applied softmax to s again: this function receives the probabilities s = softmax(z), "
    "not the logits (pass takes='logits' to the checker if your function takes logits)"
)
LOGITS_AS_PROBS = (
    "you used the logits as if they were probabilities: compute s = softmax(z) first, "
    "then J = diag(s) - s s^T"
)
OFF_DIAGONAL_WRONG = (
    "the diagonal s_i (1 - s_i) is right but the off-diagonal entries are wrong: "
    "ds_i/dz_j = -s_i s_j for i != j"
)
DIAGONAL_WRONG = (
    "the off-diagonal entries -s_i s_j are right but the diagonal is wrong: "
    "ds_i/dz_i = s_i (1 - s_i)"
)
VJP_SIGN = "sign error: your result is -J^T g; the VJP is s * (g - sum(s * g))"
VJP_DIAGONAL = (
    "only the diagonal s(1-s): you multiplied g by s(1-s) elementwise, so the off-diagonal "
    "entries -s_i s_j of the Jacobian are missing; the VJP is s * (g - sum(s * g))"
)
VJP_NO_INNER = (
    "the term -s <s, g> is missing: s * g is only diag(s) g; the -s s^T part of the "
    "Jacobian gives s * (g - sum(s * g))"
)
VJP_SWAPPED = "you used the arguments the other way round: the signature is fn(s, g)"
VJP_JACOBIAN = (
    "returned shape {shape}, the Jacobian; a VJP returns J^T g, one number per class "
    "(the shape of g)"
)
VJP_BATCH = (
    "right for one sample but wrong for a batch: take the inner product <s, g> per sample, "
    "np.sum(s * g, axis=-1, keepdims=True)"
)
CE_NO_MEAN = (
    "missing the 1/N average: the loss is the mean over the N samples, so dE/dz = (s - y) / N"
)
CE_SIGN = "sign error: dE/dz = (s - y) / N, not (y - s) / N"
CE_BY_K = "divided by K (the number of classes) instead of N (the number of samples)"
CE_WRT_PROBS = (
    "that is dE/ds, the gradient with respect to the probabilities -(y / s) / N; chain it "
    "through the softmax Jacobian to get dE/dz = (s - y) / N"
)
CE_NO_Y = "the - y term is missing: dE/dz = (s - y) / N"
CE_OVERFLOW = (
    "overflow for logits such as [1000, 5, 0]: exp(1000) is inf and inf/inf is NaN; "
    "subtract each row's maximum before exponentiating"
)
CE_LOGITS = (
    "you used the logits z where the probabilities s = softmax(z) belong: dE/dz = "
    "(softmax(z) - y) / N"
)


class _NotImplemented(Exception):
    """Raised inside a check when the learner's function is still a stub."""


@dataclass(repr=False)
class CheckReport:
    """What a checker found: whether the function passed, and each problem in words.

    Attributes
    ----------
    title : str
        The checker and the function checked, e.g. ``"check_softmax(my_softmax)"``.
    passed : bool
        True when every check agreed with the reference.
    problems : list of str
        One sentence per distinct mistake, naming it and the fix.
    checks : int
        How many calls of the learner's function were checked (not shown in
        the display, so that stored notebook outputs survive a larger battery).
    """

    title: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    checks: int = 0

    def __str__(self) -> str:
        if self.passed:
            return f"{self.title}: passed"
        lines = [f"{self.title}: not passed"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        if self.passed:
            return f"✅ **`{self.title}`** passed."
        items = "\n".join(f"- {problem}" for problem in self.problems)
        return f"❌ **`{self.title}`** not passed:\n\n{items}\n"

    def _repr_html_(self) -> str:
        title = html.escape(self.title)
        if self.passed:
            return (
                '<div class="softmax-course-check passed">'
                f"✅ <b><code>{title}</code></b> passed.</div>"
            )
        items = "".join(f"<li>{html.escape(problem)}</li>" for problem in self.problems)
        return (
            '<div class="softmax-course-check failed">'
            f"❌ <b><code>{title}</code></b> not passed:<ul>{items}</ul></div>"
        )


# --- running the learner's function safely --------------------------------------------------


def _fmt(values: np.ndarray) -> str:
    """A short, deterministic rendering of an array for a message."""
    with np.printoptions(precision=4, suppress=True, threshold=20, linewidth=10_000):
        text = np.array2string(np.asarray(values), separator=", ")
    return " ".join(line.strip() for line in text.splitlines())  # one line per message


def _close(actual: np.ndarray, expected: np.ndarray, dtype: np.dtype) -> bool:
    """Elementwise agreement with a tolerance suited to the input's precision."""
    if actual.shape != expected.shape:
        return False
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize < 8:  # float32, float16: ~1000 units in the last place
        rtol, atol = 1e-4, 1e-6
    else:  # float64 (integer input is computed in float64 too)
        rtol, atol = 1e-7, 1e-10
    with np.errstate(all="ignore"):
        return bool(np.allclose(actual, expected, rtol=rtol, atol=atol))


class _Session:
    """Calls the learner's function on copies of the inputs and collects problems."""

    def __init__(self, checker: str, fn: object) -> None:
        name = getattr(fn, "__name__", None) or type(fn).__name__
        self.title = f"{checker}({name})"
        self.fn = fn
        self.problems: dict[str, str] = {}  # key -> message, first one per key wins
        self.checks = 0

    def add(self, key: str, message: str) -> None:
        self.problems.setdefault(key, message)

    def has(self, *keys: str) -> bool:
        return any(key in self.problems for key in keys)

    def cannot_run(self) -> bool:
        """True once the function raised or returned nothing usable: more inputs add only noise."""
        return self.has("none", "dtype") or any(k.startswith("exception") for k in self.problems)

    def report(self) -> CheckReport:
        problems = list(self.problems.values())
        return CheckReport(self.title, passed=not problems, problems=problems, checks=self.checks)

    def call(
        self,
        args: Sequence[np.ndarray],
        label: str,
        names: Sequence[str],
        *,
        read_only: bool = False,
    ) -> np.ndarray | None:
        """Run ``fn(*copies)``; return the result as an array, or None after noting why not."""
        self.checks += 1
        copies = [np.array(a, copy=True) for a in args]
        for copy in copies:
            copy.setflags(write=not read_only)
        try:
            # The learner's overflow warnings are part of what is being diagnosed, not
            # noise for the reader: silence them here and describe them in the report.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = self.fn(*copies)
                array = None if result is None else np.asarray(result)
        except NotImplementedError:
            raise _NotImplemented from None
        except Exception as error:  # noqa: BLE001 -- any learner error becomes a message
            self._note_exception(error, label, read_only)
            return None
        for name, original, copy in zip(names, args, copies, strict=True):
            if not np.array_equal(original, copy, equal_nan=True):
                self.add("mutation", MUTATION.format(name=name))
        if array is None:
            self.add("none", "your function returned None: did you forget `return`?")
            return None
        if array.dtype.kind not in "fiub":
            self.add(
                "dtype",
                f"returned {type(result).__name__} with dtype {array.dtype} for {label}; "
                "expected an array of real numbers",
            )
            return None
        return array.astype(np.float64) if array.dtype.kind in "iub" else array

    def _note_exception(self, error: Exception, label: str, read_only: bool) -> None:
        try:
            text = str(error).strip()
        except Exception:  # noqa: BLE001 -- an exception whose __str__ fails still gets reported
            text = ""
        if len(text) > 160:
            text = text[:157] + "..."
        described = f"{type(error).__name__}: {text}" if text else type(error).__name__
        if read_only and "read-only" in text:
            self.add("mutation", READ_ONLY.format(error=described))
            return
        message = f"raised {described} for {label}"
        if "out of bounds for array of dimension" in text:
            message += "; use axis=-1, the class axis of a single vector and of a batch alike"
        elif "broadcast" in text:
            message += (
                "; keep the summed axis with keepdims=True so the per-row values "
                "broadcast against the rows"
            )
        self.add(f"exception:{type(error).__name__}", message)  # one report per kind of error

    def shape_ok(self, result: np.ndarray, expected: tuple[int, ...], label: str) -> bool:
        if result.shape == expected:
            return True
        self.add(
            f"shape:{result.shape}:{expected}",
            f"returned shape {result.shape} for {label}; expected shape {expected}",
        )
        return False


def _run(checker: str, fn: object, battery: Callable[[_Session], None]) -> CheckReport:
    session = _Session(checker, fn)
    if not callable(fn):
        session.add(
            "callable",
            f"expected a function; received {type(fn).__name__} "
            "(pass the function itself, without calling it)",
        )
        return session.report()
    try:
        battery(session)
    except _NotImplemented:
        return CheckReport(session.title, passed=False, problems=[NOT_IMPLEMENTED], checks=0)
    return session.report()


# --- inputs shared by the batteries ----------------------------------------------------------

_VECTOR = np.array([3.0, 1.0, 0.2])
# The 3x4 scores of the seed thread: N != K, so the wrong axis shows.
_BATCH = np.array([[1.0, 2.0, 3.0, 6.0], [2.0, 4.0, 5.0, 6.0], [3.0, 8.0, 7.0, 6.0]])
_ONE_ROW = np.array([[1.0, 2.0, 3.0, 6.0]])
_SQUARE = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5], [4.0, -1.0, 0.0]])
_CUBE = np.round(np.random.default_rng(0).normal(size=(2, 3, 4)) * 2, 2)
_HUGE = np.array([1000.0, 5.0])
_TINY = np.array([-1000.0, -1001.0, -1002.0])
_FAR_ROWS = np.array([[0.0, 1.0, 2.0], [-1000.0, -999.0, -998.0]])
_REPEATED = np.array([1.0, 1.0, 2.0])
_FLOAT32 = np.array([100.0, 0.0], dtype=np.float32)
_FLOAT32_BATCH = np.array([[3.0, 1.0, 0.2], [-2.0, 0.0, 2.0]], dtype=np.float32)
_INTEGERS = np.array([1, 2, 3])


def _axis_problem(p: np.ndarray, x: np.ndarray) -> str | None:
    """Name the axis mistake when the slices of ``p`` along the last axis do not sum to 1."""
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
        hint = (
            "; in a square batch, row sums taken without keepdims=True broadcast along "
            "the wrong axis"
            if x.ndim == 2 and x.shape[0] == x.shape[1]
            else ""
        )
        return (
            f"rows do not sum to 1 for the input of shape {x.shape} (the sums are "
            f"{_fmt(p.sum(axis=-1))}): divide each row by its own sum, "
            f"e / np.sum(e, axis=-1, keepdims=True){hint}"
        )


# --- softmax and log-softmax -----------------------------------------------------------------


def _check_distribution(
    session: _Session,
    x: np.ndarray,
    label: str,
    *,
    log: bool,
    nonfinite: str | None = None,
    read_only: bool = False,
) -> bool:
    """Check fn(x) against softmax (or log-softmax) of x; True when it agrees."""
    result = session.call([x], label, ["x"], read_only=read_only)
    if result is None or not session.shape_ok(result, x.shape, label):
        return False
    reference = (_ref_log_softmax if log else _ref_softmax)(x)
    with np.errstate(all="ignore"):
        finite = np.isfinite(result)
        if not np.all(finite):
            # log(softmax(x)) keeps every entry it can represent and rounds the rest to -inf.
            rounded_to_zero = (
                log
                and np.any(finite)
                and not np.any(np.isnan(result) | np.isposinf(result))
                and _close(result[finite], reference[finite], x.dtype)
            )
            if rounded_to_zero:
                session.add("log_of_softmax", LOG_OF_SOFTMAX)
            elif nonfinite is not None:
                session.add(*_NONFINITE[nonfinite])
            else:
                session.add(
                    f"nonfinite:{label}",
                    f"returned inf or NaN for {label}: {_fmt(result)}; expected {_fmt(reference)}",
                )
            return False
        axis_problem = _axis_problem(np.exp(result) if log else result, x)
    if axis_problem is not None:
        session.add("axis", axis_problem)
        return False
    if _close(result, reference, x.dtype):
        return True
    if log:
        with np.errstate(all="ignore"):
            log_of_rounded = np.log(_ref_softmax(x))
        if _close(result, log_of_rounded, x.dtype):
            session.add("log_of_softmax", LOG_OF_SOFTMAX)
            return False
    session.add(
        "values",
        f"wrong values for {label}: expected {_fmt(reference)}, got {_fmt(result)}",
    )
    return False


_NONFINITE = {
    "overflow": ("maxshift", OVERFLOW),
    "log_overflow": ("maxshift", LOG_OVERFLOW),
    "underflow": ("maxshift", UNDERFLOW),
    "log_underflow": ("maxshift", LOG_UNDERFLOW),
    "float32": ("maxshift", OVERFLOW_FLOAT32),
    "log_of_softmax": ("log_of_softmax", LOG_OF_SOFTMAX),
}


def _softmax_battery(session: _Session, *, log: bool) -> None:
    if not _check_distribution(session, _VECTOR, "[3.0, 1.0, 0.2]", log=log):
        if session.cannot_run():
            return  # the simplest input already fails to run: more inputs add only noise
    _check_distribution(session, _BATCH, "the 3x4 batch [[1, 2, 3, 6], [2, 4, 5, 6], ...]", log=log)
    _check_distribution(session, _ONE_ROW, "the one-row batch [[1, 2, 3, 6]]", log=log)
    _check_distribution(session, _SQUARE, "a square 3x3 batch", log=log)
    _check_distribution(session, _CUBE, "a batch of shape (2, 3, 4)", log=log)
    _check_distribution(
        session, _HUGE, "[1000, 5]", log=log, nonfinite="log_overflow" if log else "overflow"
    )
    _check_distribution(
        session,
        _TINY,
        "[-1000, -1001, -1002]",
        log=log,
        nonfinite="log_underflow" if log else "underflow",
    )
    if log:
        _check_distribution(session, np.array([0.0, -1000.0]), "[0, -1000]", log=True)
    _check_distribution(session, _REPEATED, "[1, 1, 2]", log=log)
    _check_distribution(session, _FLOAT32, "float32 [100, 0]", log=log, nonfinite="float32")
    _check_distribution(session, _FLOAT32_BATCH, "a float32 batch", log=log)
    _check_distribution(session, _INTEGERS, "the integers [1, 2, 3]", log=log)
    _check_distribution(session, _BATCH, "a read-only batch", log=log, read_only=True)
    _check_far_rows(session, log=log)


def _check_far_rows(session: _Session, *, log: bool) -> None:
    """A batch whose second row lies 1000 below the first: catches the global maximum."""
    if session.has("axis"):
        return  # the axis mistake explains any failure here already
    x, label = _FAR_ROWS, "a batch with rows 1000 apart"
    result = session.call([x], label, ["x"])
    if result is None or not session.shape_ok(result, x.shape, label):
        return
    reference = (_ref_log_softmax if log else _ref_softmax)(x)
    for row in range(x.shape[0]):
        if _close(result[row], reference[row], x.dtype):
            continue
        alone = session.call([x[row : row + 1]], f"row {row} of {label}", ["x"])
        if alone is not None and _close(alone, reference[row : row + 1], x.dtype):
            session.add("global_max", GLOBAL_MAX)
        elif alone is not None and not np.all(np.isfinite(alone)):
            session.add("maxshift", LOG_UNDERFLOW if log else UNDERFLOW)
        else:
            session.add(
                "values",
                f"wrong values for {label}: expected {_fmt(reference)}, got {_fmt(result)}",
            )
        return


def check_softmax(fn: Callable[[np.ndarray], Any]) -> CheckReport:
    """Check a learner's ``softmax(x)`` that normalizes over the last axis.

    Parameters
    ----------
    fn : callable
        ``fn(x)`` with ``x`` a 1-D vector of logits or a batch whose last
        axis holds the classes; it must return probabilities of the same
        shape without changing ``x``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (axis, overflow,
        underflow, global maximum, mutation, exceptions, wrong shape).

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
    return _run("check_softmax", fn, lambda session: _softmax_battery(session, log=False))


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
    return _run("check_log_softmax", fn, lambda session: _softmax_battery(session, log=True))


# --- the Jacobian ----------------------------------------------------------------------------


def _jacobian(s: np.ndarray) -> np.ndarray:
    """diag(s) - s s^T, written out so the checker does not trust the learner's formula."""
    return np.diag(s) - np.outer(s, s)


def _jacobian_battery(session: _Session, takes: str) -> None:
    cases = [
        (np.array([1.0, 2.0]), "z = [1, 2]", False),
        (_VECTOR, "z = [3.0, 1.0, 0.2]", False),
        (np.array([0.5, -1.0, 2.0, 0.0, 1.5]), "z = [0.5, -1, 2, 0, 1.5]", False),
        (_REPEATED, "z = [1, 1, 2] (repeated values)", False),
        (_VECTOR.astype(np.float32), "float32 z = [3.0, 1.0, 0.2]", False),
        (np.array([2.0, 0.0, -1.0]), "a read-only input", True),
    ]
    if takes == "logits":
        cases.append((_HUGE, "z = [1000, 5]", False))
    for index, (z, label, read_only) in enumerate(cases):
        s = _ref_softmax(z)
        argument = s if takes == "probs" else z
        name = "s" if takes == "probs" else "z"
        result = session.call([argument], label, [name], read_only=read_only)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        _diagnose_jacobian(session, result, z, s, label, takes)


def _value_skip(s: np.ndarray) -> np.ndarray:
    """The Jacobian built by deciding "diagonal or not" from s_i == s_j (seed 000's test)."""
    same = s[:, None] == s[None, :]
    return np.where(same, (s * (1 - s))[:, None], -np.outer(s, s))


def _diagnose_jacobian(
    session: _Session, result: np.ndarray, z: np.ndarray, s: np.ndarray, label: str, takes: str
) -> None:
    K = s.size
    J = _jacobian(s)
    dtype = z.dtype
    diagonal = s * (1 - s)
    repeated = len(np.unique(s)) < K
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(result)):
            if takes == "logits" and np.max(np.abs(z)) > 100:
                session.add("maxshift", OVERFLOW)
            else:
                session.add(f"nonfinite:{label}", f"returned inf or NaN for {label}")
            return
        if result.shape == (K,):
            # A vector of K numbers: name which diagonal it holds, then why a vector is wrong.
            skip = np.array([si * np.sum(s[s != si]) for si in s])
            if _close(result, diagonal, dtype):
                session.add("diagonal", DIAGONAL_ONLY)
            elif _close(result, -diagonal, dtype):
                session.add("diagonal", DIAGONAL_ONLY)
                session.add("sign", JACOBIAN_SIGN)
            elif repeated and (_close(result, skip, dtype) or _close(result, -skip, dtype)):
                session.add("diagonal", DIAGONAL_ONLY)
                if _close(result, -skip, dtype):
                    session.add("sign", JACOBIAN_SIGN)
                session.add("repeated", REPEATED_VALUES)
            session.add("vector", DIAGONAL_VECTOR.format(K=K))
            return
        if not session.shape_ok(result, (K, K), label):
            return
        if _close(result, J, dtype):
            return
        off = ~np.eye(K, dtype=bool)
        if _close(result, -J, dtype):
            session.add("sign", JACOBIAN_SIGN)
        elif _close(result, np.diag(diagonal), dtype):
            session.add("diagonal", DIAGONAL_ONLY)
        elif _close(result, -np.diag(diagonal), dtype):
            session.add("diagonal", DIAGONAL_ONLY)
            session.add("sign", JACOBIAN_SIGN)
        elif repeated and _close(result, _value_skip(s), dtype):
            session.add("repeated", REPEATED_VALUES)
        elif takes == "probs" and _close(result, _jacobian(_ref_softmax(s)), dtype):
            session.add("softmax_again", SOFTMAX_AGAIN)
        elif takes == "logits" and _close(result, _jacobian(z.astype(np.float64)), dtype):
            session.add("logits_as_probs", LOGITS_AS_PROBS)
        elif _close(np.diag(result), diagonal, dtype):
            session.add("off_diagonal", OFF_DIAGONAL_WRONG)
        elif _close(result[off], J[off], dtype):
            session.add("diagonal_wrong", DIAGONAL_WRONG)
        else:
            session.add(
                "values",
                f"wrong Jacobian for {label}: expected {_fmt(J)}, got {_fmt(result)}",
            )


def check_softmax_jacobian(fn: Callable[[np.ndarray], Any], *, takes: str = "probs") -> CheckReport:
    r"""Check a learner's softmax Jacobian :math:`J_{ij} = \partial s_i / \partial z_j`.

    Parameters
    ----------
    fn : callable
        ``fn(s)`` on a 1-D probability vector ``s = softmax(z)`` (the
        default), or ``fn(z)`` on 1-D logits with ``takes="logits"``;
        returns the ``K x K`` matrix ``diag(s) - s s^T``.
    takes : {"probs", "logits"}, optional
        What ``fn`` receives.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found: only the diagonal
        (including a returned vector of diagonal entries), a sign error,
        comparing values instead of indices, softmax applied twice,
        overflow, mutation, exceptions.

    Raises
    ------
    ValueError
        If ``takes`` is neither ``"probs"`` nor ``"logits"`` (a mistake in
        the lesson, not in the learner's function).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_softmax_jacobian
    >>> def diagonal_only(s):
    ...     return s * (1 - s)
    >>> for problem in check_softmax_jacobian(diagonal_only).problems:
    ...     print(problem)
    only the diagonal s(1-s): the off-diagonal entries -s_i s_j are missing
    returned 2 numbers instead of a 2x2 matrix: ds_i/dz_j is a Jacobian with one row per output s_i and one column per logit z_j
    """  # noqa: E501
    if takes not in ("probs", "logits"):
        raise ValueError(f"takes must be 'probs' or 'logits'; received {takes!r}")
    return _run("check_softmax_jacobian", fn, lambda session: _jacobian_battery(session, takes))


# --- the vector-Jacobian product -------------------------------------------------------------


def _vjp(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """J^T g = s * (g - <s, g>) per sample (J is symmetric)."""
    return s * (g - np.sum(s * g, axis=-1, keepdims=True))


def _vjp_battery(session: _Session) -> None:
    rng = np.random.default_rng(7)
    z_batch = np.round(rng.normal(size=(4, 3)) * 2, 2)
    g_batch = np.round(rng.normal(size=(4, 3)), 2)
    cases = [
        (np.array([3.0, 1.0, 0.2]), np.array([1.0, -2.0, 0.5]), "1-D s and g (K = 3)", False),
        (np.array([1.0, 2.0]), np.array([0.0, 1.0]), "1-D s and g (K = 2)", False),
        (z_batch, g_batch, "a batch of shape (4, 3)", False),
        (z_batch[:3], g_batch[:3], "a square batch of shape (3, 3)", False),
        (
            np.round(rng.normal(size=(2, 3, 4)), 2),
            np.round(rng.normal(size=(2, 3, 4)), 2),
            "a batch of shape (2, 3, 4)",
            False,
        ),
        (_REPEATED, np.array([0.5, 0.5, -1.0]), "s from z = [1, 1, 2]", False),
        (np.array([1.0, 2.0, 3.0]), np.ones(3), "g = [1, 1, 1] (the VJP is 0)", False),
        (
            _VECTOR.astype(np.float32),
            np.array([1.0, -2.0, 0.5], dtype=np.float32),
            "float32 s and g",
            False,
        ),
        (z_batch, g_batch, "read-only s and g", True),
    ]
    single_ok = True
    for index, (z, g, label, read_only) in enumerate(cases):
        s = _ref_softmax(z)
        result = session.call([s, g], label, ["s", "g"], read_only=read_only)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        ok = _diagnose_vjp(session, result, s, g, label, batch=z.ndim > 1, single_ok=single_ok)
        if z.ndim == 1:
            single_ok = single_ok and ok


def _diagnose_vjp(
    session: _Session,
    result: np.ndarray,
    s: np.ndarray,
    g: np.ndarray,
    label: str,
    *,
    batch: bool,
    single_ok: bool,
) -> bool:
    dtype = s.dtype
    expected = _vjp(s, g)
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(result)):
            session.add(f"nonfinite:{label}", f"returned inf or NaN for {label}")
            return False
        K = s.shape[-1]
        if result.shape == s.shape[:-1] + (K, K):
            session.add("jacobian", VJP_JACOBIAN.format(shape=result.shape))
            return False
        if not session.shape_ok(result, s.shape, label):
            return False
        if _close(result, expected, dtype):
            return True
        if _close(result, -expected, dtype):
            session.add("sign", VJP_SIGN)
        elif _close(result, s * (1 - s) * g, dtype):
            session.add("diagonal", VJP_DIAGONAL)
        elif _close(result, s * g, dtype):
            session.add("no_inner", VJP_NO_INNER)
        elif _close(result, _vjp(g, s), dtype):
            session.add("swapped", VJP_SWAPPED)
        elif batch and single_ok:
            session.add("batch", VJP_BATCH)
        else:
            session.add(
                "values",
                f"wrong values for {label}: expected {_fmt(expected)}, got {_fmt(result)}",
            )
        return False


def check_softmax_vjp(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check a learner's backward pass through softmax, ``fn(s, g)`` = :math:`J^T g`.

    Parameters
    ----------
    fn : callable
        ``fn(s, g)`` with ``s = softmax(z)`` and the upstream gradient ``g``
        of the same shape (1-D or a batch, classes on the last axis);
        returns :math:`s \odot (g - \langle s, g \rangle)` of that shape.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (sign, diagonal only,
        missing inner-product term, swapped arguments, per-sample sum in a
        batch, a full Jacobian returned, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_softmax_vjp
    >>> def vjp(s, g):
    ...     return s * (g - np.sum(s * g, axis=-1, keepdims=True))
    >>> check_softmax_vjp(vjp).passed
    True
    >>> check_softmax_vjp(lambda s, g: s * g).problems
    ['the term -s <s, g> is missing: s * g is only diag(s) g; the -s s^T part of the Jacobian gives s * (g - sum(s * g))']
    """  # noqa: E501
    return _run("check_softmax_vjp", fn, _vjp_battery)


# --- the cross-entropy gradient with respect to the logits --------------------------------


def _one_hot(labels: Sequence[int], K: int) -> np.ndarray:
    return np.eye(K)[np.asarray(labels)]


def _ce_battery(session: _Session) -> None:
    rng = np.random.default_rng(3)
    first = np.round(rng.normal(size=(4, 3)) * 2, 2)
    cases = [
        (first, [0, 2, 1, 2], "N = 4 samples, K = 3 classes", False),
        (np.array([[2.0, -1.0, 0.5, 0.0, 1.0]]), [3], "a single sample (N = 1, K = 5)", False),
        (np.round(rng.normal(size=(3, 3)), 2), [1, 0, 2], "a square batch (N = K = 3)", False),
        (np.round(rng.normal(size=(6, 2)) * 3, 2), [0, 1, 1, 0, 1, 1], "N = 6, K = 2", False),
        (
            np.array([[1000.0, 5.0, 0.0], [0.0, 0.0, 0.0]]),
            [1, 2],
            "logits [[1000, 5, 0], ...]",
            False,
        ),
        (
            np.array([[-1000.0, -1001.0, -999.0], [2.0, 1.0, 0.0]]),
            [2, 0],
            "very negative logits",
            False,
        ),
        (np.array([[1.0, 1.0, 2.0], [0.0, 3.0, 3.0]]), [0, 2], "repeated logits", False),
        (
            np.array([[3.0, 1.0, 0.2], [-2.0, 0.0, 2.0]], dtype=np.float32),
            [0, 1],
            "float32 logits",
            False,
        ),
        (first, [0, 2, 1, 2], "read-only z and y", True),
    ]
    for index, (z, labels, label, read_only) in enumerate(cases):
        y = _one_hot(labels, z.shape[-1]).astype(z.dtype)
        result = session.call([z, y], label, ["z", "y"], read_only=read_only)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        _diagnose_ce(session, result, z, y, label)


def _diagnose_ce(
    session: _Session, result: np.ndarray, z: np.ndarray, y: np.ndarray, label: str
) -> None:
    N, K = z.shape
    s = _ref_softmax(z)
    expected = (s - y) / N
    dtype = z.dtype
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(result)):
            if np.max(np.abs(z)) > 100:
                session.add("maxshift", CE_OVERFLOW)
            else:
                session.add(f"nonfinite:{label}", f"returned inf or NaN for {label}")
            return
        if result.ndim == 0:
            session.add(
                "scalar",
                "returned a single number (the loss?); expected the gradient dE/dz, "
                "one entry per logit, of shape (N, K)",
            )
            return
        if not session.shape_ok(result, z.shape, label):
            return
        if _close(result, expected, dtype):
            return
        if N > 1 and _close(result, s - y, dtype):
            session.add("mean", CE_NO_MEAN)
        elif _close(result, (y - s) / N, dtype):
            session.add("sign", CE_SIGN)
        elif N > 1 and _close(result, y - s, dtype):
            session.add("sign", CE_SIGN)
            session.add("mean", CE_NO_MEAN)
        elif N != K and _close(result, (s - y) / K, dtype):
            session.add("by_k", CE_BY_K)
        elif _close(result, -(y / s) / N, dtype):
            session.add("wrt_probs", CE_WRT_PROBS)
        elif _close(result, s / N, dtype) or (N > 1 and _close(result, s, dtype)):
            session.add("no_y", CE_NO_Y)
        elif _close(result, (z - y) / N, dtype):
            session.add("logits", CE_LOGITS)
        else:
            # Perhaps the softmax inside was normalized over the wrong axis: undo the rest.
            axis_problem = _axis_problem(result * N + y, z)
            if axis_problem is not None:
                session.add("axis", "inside your gradient, " + axis_problem)
            else:
                session.add(
                    "values",
                    f"wrong gradient for {label}: expected {_fmt(expected)}, got {_fmt(result)}",
                )


def check_cross_entropy_grad(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check a learner's ``dE/dz`` for the mean cross-entropy of softmax(z).

    Parameters
    ----------
    fn : callable
        ``fn(z, y)`` with logits ``z`` of shape ``(N, K)`` and one-hot
        targets ``y`` of the same shape; returns
        :math:`\partial E / \partial z = (\operatorname{softmax}(z) - y) / N`
        for :math:`E = -\frac{1}{N} \sum_n \sum_k y_{nk} \log s_{nk}`.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (missing ``1/N``,
        sign, dividing by ``K``, the gradient with respect to ``s`` instead
        of ``z``, overflow, axis, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_cross_entropy_grad
    >>> def grad_without_mean(z, y):
    ...     e = np.exp(z - z.max(axis=-1, keepdims=True))
    ...     return e / e.sum(axis=-1, keepdims=True) - y
    >>> check_cross_entropy_grad(grad_without_mean).problems
    ['missing the 1/N average: the loss is the mean over the N samples, so dE/dz = (s - y) / N']
    """
    return _run("check_cross_entropy_grad", fn, _ce_battery)
