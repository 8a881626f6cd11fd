r"""Checkers for the lesson exercises: run a learner's function and name the mistake.

Each ``check_*`` function calls the learner's function on a small battery of
inputs (a vector, batches of several shapes, very large and very negative
logits, repeated values, float32, integer and read-only arrays), compares
every answer with a reference computed here with careful numpy, and returns a
:class:`CheckReport`. When an answer is wrong the report does not stop at
"wrong values": it tries the known wrong formulas (the ones in the seed
threads and in :mod:`softmax_course.pitfalls`) and says which one was used,
e.g. *"rows do not sum to 1: you normalized over axis 0 of a batch"*.

The checkers, by lesson (the exercise's function in brackets):

========= ==============================================================================
lesson    checkers
========= ==============================================================================
01        :func:`check_softmax_vector` (``my_softmax``), :func:`check_softmax`,
          :func:`check_logits_from_probabilities`, :func:`check_temperature_for_confidence`
02        :func:`check_softmax`, :func:`check_softmax_columns`, :func:`check_breaking_batch`
03        :func:`check_log_softmax`, :func:`check_softmax`,
          :func:`check_largest_finite_exp_input`
04        :func:`check_softmax_jacobian` (from ``s`` or, with ``takes="logits"``, from ``z``),
          :func:`check_batch_jacobian`, :func:`check_quadratic_form`
05        :func:`check_softmax_vjp`, :func:`check_chain_through_jacobian`,
          :func:`check_softmax_with_temperature` (a layer class)
06        :func:`check_cross_entropy_grad`, :func:`check_loss_from_labels`,
          :func:`check_grad_soft_targets`
07        :func:`check_standardize`, :func:`check_confusion_matrix`,
          :func:`check_regression_gradients`
08        :func:`check_softmax` (``blocked_softmax``), :func:`check_online_logsumexp_stream`,
          :func:`check_softmax_vjp` (``vjp_inplace``)
========= ==============================================================================

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
    "check_batch_jacobian",
    "check_breaking_batch",
    "check_chain_through_jacobian",
    "check_confusion_matrix",
    "check_cross_entropy_grad",
    "check_grad_soft_targets",
    "check_largest_finite_exp_input",
    "check_log_softmax",
    "check_logits_from_probabilities",
    "check_loss_from_labels",
    "check_online_logsumexp_stream",
    "check_quadratic_form",
    "check_regression_gradients",
    "check_softmax",
    "check_softmax_columns",
    "check_softmax_jacobian",
    "check_softmax_vector",
    "check_softmax_vjp",
    "check_softmax_with_temperature",
    "check_standardize",
    "check_temperature_for_confidence",
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
        raw: bool = False,
        via: Callable[..., Any] | None = None,
    ) -> Any:
        """Run ``fn(*copies)``; return the result as an array, or None after noting why not.

        Array arguments are copied (and made read-only on request); any other
        argument (a dtype, a number, an iterator) is passed as it is. With
        ``raw=True`` the result is returned unconverted (a tuple, a scalar of
        a given dtype, a layer object); ``via`` calls that function instead
        of ``fn`` (a method of an object ``fn`` built).
        """
        self.checks += 1
        copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        for copy in copies:
            if isinstance(copy, np.ndarray):
                copy.setflags(write=not read_only)
        target = self.fn if via is None else via
        try:
            # The learner's overflow warnings are part of what is being diagnosed, not
            # noise for the reader: silence them here and describe them in the report.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = target(*copies)
                array = None if result is None or raw else np.asarray(result)
        except NotImplementedError:
            raise _NotImplemented from None
        except Exception as error:  # noqa: BLE001 -- any learner error becomes a message
            self._note_exception(error, label, read_only)
            return None
        for name, original, copy in zip(names, args, copies, strict=True):
            if isinstance(original, np.ndarray) and not np.array_equal(
                original, copy, equal_nan=True
            ):
                self.add("mutation", MUTATION.format(name=name))
        if result is None:
            self.add("none", "your function returned None: did you forget `return`?")
            return None
        if raw:
            return result
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


def _run(
    checker: str, fn: object, battery: Callable[[_Session], None], *, hint: str | None = None
) -> CheckReport:
    session = _Session(checker, fn)
    if not callable(fn):
        session.add(
            "callable",
            f"expected a function; received {type(fn).__name__} "
            "(pass the function itself, without calling it)",
        )
        return session.report()
    try:
        # The references and diagnoses may meet inf or NaN from the learner's answer.
        with np.errstate(all="ignore"):
            battery(session)
    except _NotImplemented:
        problems = [NOT_IMPLEMENTED] if hint is None else [NOT_IMPLEMENTED, f"hint: {hint}"]
        return CheckReport(session.title, passed=False, problems=problems, checks=0)
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


# === checkers for the lessons' other exercises ===============================================
#
# One checker per exercise that is not a softmax, log-softmax, Jacobian, VJP or cross-entropy
# gradient. Each reference below is computed here with plain numpy (or written out by hand),
# never with the learner's function.

VECTOR_NAIVE = (
    "you divided z by its sum: that is not a probability for negative or mixed-sign logits; "
    "exponentiate first, s = exp(z) / sum(exp(z))"
)
VECTOR_NO_SUM = "you returned exp(z) without dividing by the sum: the entries must add up to 1"
LOGITS_IDENTITY = (
    "you returned p itself, but softmax(p) is not p: undo the exp with np.log; the division "
    "by the sum can be ignored because the p_i already add up to 1"
)
TEMPERATURE_INVERTED = (
    "you returned 1/T: softmax(z, temperature=T) divides the logits by T, so a confident "
    "distribution needs a small T"
)
COLUMNS_ROWS = (
    "each row sums to 1: you normalized over axis=-1, but here the samples are the columns "
    "of a (K, N) array; use axis=0 with keepdims=True"
)
COLUMNS_GLOBAL_MAX = (
    "columns far below the array's maximum underflow to 0/0: subtract each column's own "
    "maximum, np.max(X, axis=0, keepdims=True), of shape (1, N)"
)
BREAKING_NOT_BROKEN = (
    "softmax with the global maximum still returns finite numbers on your batch: "
    "move the rows further apart"
)
BATCH_JACOBIAN_VALUES = (
    "right shape, wrong values: compare result[0] with np.diag(S[0]) - np.outer(S[0], S[0])"
)
BATCH_JACOBIAN_DIAGONAL = (
    "returned shape {shape}, one number per entry of S: these are only the diagonals "
    "s(1-s); the Jacobian of each sample is a K x K matrix, so the result has shape (N, K, K)"
)
QUADRATIC_NO_SQUARE = (
    "the term -(sum_i s_i v_i)^2 is missing: v^T J v = sum_i s_i v_i^2 - (sum_i s_i v_i)^2, "
    "from the -s s^T part of J"
)
QUADRATIC_SIGN = (
    "sign error in the second term: v^T (diag(s) - s s^T) v = sum_i s_i v_i^2 - (sum_i s_i v_i)^2"
)
QUADRATIC_VECTOR = (
    "returned {K} numbers: J v is a vector, but v^T J v is a single number (take the inner "
    "product with v too)"
)
CHAIN_J_G = (
    "you computed J g; the chain rule sums over the first (output) index of ds_dz: "
    "dE/dz_nj = sum_i dE_ds[n, i] * ds_dz[n, i, j], which is J^T g ('ni,nij->nj')"
)
CHAIN_SUMMED_N = (
    "returned shape {shape}: you summed over the samples n as well; keep n in the output "
    "('ni,nij->nj')"
)
CHAIN_VALUES = "wrong values: compare result[0] with ds_dz[0].T @ dE_ds[0]"
TEMPERATURE_NO_FACTOR = (
    "the factor 1/T is missing: the chain rule through u = z / T multiplies the softmax "
    "VJP by du/dz = 1/T"
)
TEMPERATURE_TIMES_T = "you multiplied by T instead of dividing: du/dz for u = z / T is 1/T"
LOSS_NONFINITE = (
    "returned {result} for logits up to {size:g}: take the log before rounding, "
    "log s = z - logsumexp(z), with the maximum subtracted inside logsumexp"
)
LOSS_NO_MEAN = (
    "missing the 1/N average: the loss is the mean over the N samples, "
    "-(1/N) sum_n log s[n, labels[n]]"
)
LOSS_SIGN = "sign error: the loss is -(1/N) sum_n log s[n, labels[n]], a positive number"
SOFT_ASSUMES_ONE = (
    "this is (s - y)/N, which assumes every row of y sums to 1; keep the factor sum_k y_nk "
    "in front of s: (s * sum(y, axis=-1, keepdims=True) - y) / N"
)
SOFT_NO_MEAN = "missing the 1/N average: the loss is the mean over the N samples, so divide by N"
SOFT_SIGN = "sign error: dE/dz = (s * sum(y) - y) / N, not (y - s * sum(y)) / N"
SOFT_OVERFLOW = (
    "overflow for logits such as [1000, 5, 0]: exp(1000) is inf and inf/inf is NaN; "
    "subtract each row's maximum before exponentiating"
)
STANDARDIZE_PAIR = "expected a pair (X_train_standardized, X_test_standardized); got {what}"
STANDARDIZE_TRAIN = (
    "X_train is not standardized per feature: subtract X_train.mean(axis=0) and divide "
    "by X_train.std(axis=0)"
)
STANDARDIZE_LEAK = (
    "X_test was standardized with its own statistics: use the mean and standard deviation "
    "of X_train (anything computed from the test set leaks into the model)"
)
STANDARDIZE_TEST = "X_test should be (X_test - mu_train) / sigma_train"
CONFUSION_TRANSPOSED = (
    "rows and columns are swapped: C[i, j] counts samples of true class i (rows) "
    "predicted as j (columns)"
)
CONFUSION_UNDERCOUNT = (
    "some samples were not counted: C[y_true, y_pred] += 1 counts a repeated pair (i, j) "
    "only once; np.add.at(C, (y_true, y_pred), 1) counts every sample"
)
CONFUSION_K = (
    "returned shape {shape} for K = {K}: the matrix is K x K even when a class never "
    "appears; use K, not y.max() + 1"
)
CONFUSION_DTYPE = (
    "returned dtype {dtype}: counts are integers; start from np.zeros((K, K), dtype=int)"
)
REGRESSION_PAIR = "expected a pair (dW, db); got {what}"
REGRESSION_NO_MEAN = "missing the 1/N average: with G = (S - Y) / N, dW = X^T G and db = sum_n G_n"
REGRESSION_SIGN = "sign error: G = (S - Y) / N, not (Y - S) / N"
REGRESSION_DW_TRANSPOSED = (
    "dW has shape {shape}: it must have the shape of W, {expected}: X^T G, not G^T X"
)
REGRESSION_DB_NOT_SUMMED = (
    "db has shape {shape}: b is shared by all samples, so db sums G over the samples, "
    "G.sum(axis=0), shape {expected}"
)
REGRESSION_DB_MEAN = (
    "db is the mean of G over the samples; it is the sum: G already carries the 1/N"
)
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


def _float(session: _Session, result: np.ndarray, label: str) -> float | None:
    """The single number in ``result``, or None after noting that it is not one."""
    if result.size != 1:
        session.add(
            f"shape:{result.shape}:()",
            f"returned shape {result.shape} for {label}; expected a single number",
        )
        return None
    return float(result.reshape(()))


def _scalar_close(actual: float, expected: float) -> bool:
    return bool(np.isclose(actual, expected, rtol=1e-7, atol=1e-10))


# --- lesson 01 ---------------------------------------------------------------------------


def _vector_battery(session: _Session) -> None:
    cases = [
        np.array([2.0, 1.0, -1.0]),
        _VECTOR,
        np.array([0.0, 0.0]),
        np.array([-5.0, 2.5, 0.0, 1.0]),
        np.array([-1.0, -2.0]),
    ]
    for index, z in enumerate(cases):
        label = f"z = {_fmt(z)}"
        result = session.call([z], label, ["z"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
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
                    f"wrong values for {label}: got {_fmt(result)}, expected {_fmt(expected)}",
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
    for index, p in enumerate(cases):
        label = f"p = {_fmt(p)}"
        z = session.call([p], label, ["p"])
        if z is None:
            if index == 0 and session.cannot_run():
                return
            continue
        if z.shape != p.shape:
            session.add("shape", f"for {label}: expected {p.size} logits, got shape {z.shape}")
            continue
        if not np.all(np.isfinite(z)):
            session.add(f"nonfinite:{label}", f"returned inf or NaN for {label}: {_fmt(z)}")
            continue
        s = _ref_softmax(z.astype(np.float64))
        if _close(s, p, p.dtype):
            continue
        if _close(z, p, p.dtype):
            session.add("identity", LOGITS_IDENTITY)
        else:
            session.add("values", f"for {label}: softmax(your logits) = {_fmt(s)}, expected p")


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
    for index, (z, target) in enumerate(cases):
        label = f"z = {_fmt(z)}, target {target}"
        result = session.call([z, target], label, ["z", "target"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        T = _float(session, result, label)
        if T is None:
            continue
        if not T > 0 or not np.isfinite(T):
            session.add(f"positive:{label}", f"for {label}: got T = {T!r}, expected a finite T > 0")
            continue
        top = float(np.max(_ref_softmax(z / T)))
        if abs(top - target) <= 1e-6:
            continue
        if abs(float(np.max(_ref_softmax(z * T))) - target) <= 1e-6:
            session.add("inverted", TEMPERATURE_INVERTED)
        else:
            session.add(
                f"values:{label}",
                f"for {label}: at T = {T:.6g} the top class has probability {top:.6f}",
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


# --- lesson 02 ---------------------------------------------------------------------------


def _columns_battery(session: _Session) -> None:
    cases = [
        (np.array([[1.0, 0.0, 5.0], [2.0, 0.0, 1.0], [3.0, 0.0, 1.0]]), "a square (3, 3) X"),
        (np.array([[1.0, 2.0], [0.0, 4.0], [3.0, -1.0], [6.0, 6.0]]), "X of shape (4, 2)"),
        (np.array([[1.0], [2.0], [3.0], [6.0]]), "one sample, X of shape (4, 1)"),
        (np.array([[0.0, -1000.0], [1.0, -999.0]]), "columns 1000 apart, X of shape (2, 2)"),
    ]
    for index, (X, label) in enumerate(cases):
        result = session.call([X], label, ["X"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        if not session.shape_ok(result, X.shape, label):
            continue
        expected = _ref_softmax(X, axis=0)
        if _close(result, expected, X.dtype):
            continue
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(result)):
                if np.all(np.isfinite(result[:, :1])):
                    session.add("global_max", COLUMNS_GLOBAL_MAX)
                else:
                    session.add(f"nonfinite:{label}", f"returned inf or NaN for {label}")
            elif _close(result, _ref_softmax(X, axis=-1), X.dtype):
                session.add("rows", COLUMNS_ROWS)
            else:
                session.add(
                    "values",
                    f"wrong values for {label}: each column should be a softmax over its K "
                    f"entries; expected {_fmt(expected)}, got {_fmt(result)}",
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
        hint="np.max(X, axis=0, keepdims=True) has shape (1, N)",
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
            f"need a finite batch of shape (2, 3); got shape {result.shape}"
            + ("" if np.all(np.isfinite(result)) else " with inf or NaN entries"),
        )
        return
    X = result.astype(np.float64)
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
        ``exp(X - max(X)) / sum(..., axis=-1)`` has a NaN on it.

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
        hint="one row should lie far below the other's maximum",
    )


# --- lesson 03 ---------------------------------------------------------------------------


def _exp_threshold_battery(session: _Session) -> None:
    for dtype in (np.float16, np.float32, np.float64):
        name = np.dtype(dtype).name
        x = session.call([dtype], f"dtype {name}", ["dtype"], raw=True)
        if x is None:
            if session.cannot_run():
                return
            continue
        if not isinstance(x, np.generic) or x.dtype != dtype:
            session.add(f"dtype:{name}", f"{name}: expected a scalar of dtype {name}, got {x!r}")
            continue
        with np.errstate(over="ignore"):
            if not np.isfinite(np.exp(x)):
                session.add(f"high:{name}", f"{name}: np.exp({x!r}) is inf; go lower")
            elif np.isfinite(np.exp(np.nextafter(x, dtype(np.inf)))):
                session.add(
                    f"low:{name}",
                    f"{name}: np.exp of the next number above {x!r} is still finite; go higher",
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


# --- lesson 04 ---------------------------------------------------------------------------


def _batch_jacobian_battery(session: _Session) -> None:
    rng = np.random.default_rng(3)
    cases = [
        (_ref_softmax(rng.normal(size=(6, 4))), "S of shape (6, 4)", False),
        (
            _ref_softmax(np.array([[1.0, 1.0, 2.0], [0.0, 3.0, -1.0], [2.0, 2.0, 2.0]])),
            "a square S of shape (3, 3)",
            False,
        ),
        (_ref_softmax(np.array([[1.0, 2.0]])), "one sample, S of shape (1, 2)", False),
        (_ref_softmax(rng.normal(size=(2, 5))), "a read-only S", True),
    ]
    for index, (S, label, read_only) in enumerate(cases):
        result = session.call([S], label, ["S"], read_only=read_only)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        N, K = S.shape
        # One matrix per sample, written out row by row: independent of any batched formula.
        expected = np.stack([np.diag(s) - np.outer(s, s) for s in S])
        if result.shape == S.shape:
            session.add("diagonal", BATCH_JACOBIAN_DIAGONAL.format(shape=result.shape))
            continue
        if result.shape != (N, K, K):
            session.add(
                f"shape:{result.shape}:{(N, K, K)}",
                f"returned shape {result.shape} for {label}; expected shape {(N, K, K)}, "
                f"one {K}x{K} matrix per sample",
            )
            continue
        if _close(result, expected, S.dtype):
            continue
        diagonals = np.stack([np.diag(s * (1 - s)) for s in S])
        if _close(result, -expected, S.dtype):
            session.add("sign", JACOBIAN_SIGN)
        elif _close(result, diagonals, S.dtype):
            session.add("diagonal_only", DIAGONAL_ONLY)
        else:
            session.add("values", BATCH_JACOBIAN_VALUES)


def check_batch_jacobian(fn: Callable[[np.ndarray], Any]) -> CheckReport:
    """Check the softmax Jacobians of a batch, shape ``(N, K, K)`` (lesson 04, exercise 3).

    Parameters
    ----------
    fn : callable
        ``fn(S)`` for probabilities ``S`` of shape ``(N, K)``; returns
        ``J[n] = diag(S[n]) - outer(S[n], S[n])`` for every sample.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (only the diagonals,
        a sign error, wrong shape or values, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_batch_jacobian
    >>> check_batch_jacobian(lambda S: S * (1 - S)).problems
    ['returned shape (6, 4), one number per entry of S: these are only the diagonals s(1-s); the Jacobian of each sample is a K x K matrix, so the result has shape (N, K, K)']
    """  # noqa: E501
    return _run("check_batch_jacobian", fn, _batch_jacobian_battery)


def _quadratic_battery(session: _Session) -> None:
    rng = np.random.default_rng(4)
    s5, v5 = _ref_softmax(rng.normal(size=5)), rng.normal(size=5)
    s3 = _ref_softmax(np.array([1.0, 2.0, 0.5]))
    cases = [
        (s5, v5, "s, v with K = 5"),
        (s3, np.array([1.0, -2.0, 0.5]), "s, v with K = 3"),
        (s3, np.full(3, 2.5), "a constant v (the answer is 0)"),
        (np.array([0.5, 0.5]), np.array([1.0, -1.0]), "s = [0.5, 0.5], v = [1, -1]"),
    ]
    for index, (s, v, label) in enumerate(cases):
        result = session.call([s, v], label, ["s", "v"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        J = np.diag(s) - np.outer(s, s)
        if result.shape == v.shape and v.size > 1:
            session.add("vector", QUADRATIC_VECTOR.format(K=v.size))
            continue
        value = _float(session, result, label)
        if value is None:
            continue
        expected = float(v @ J @ v)
        if _scalar_close(value, expected):
            continue
        first, second = float(np.sum(s * v**2)), float(np.sum(s * v)) ** 2
        if _scalar_close(value, first) and not _scalar_close(first, expected):
            session.add("no_square", QUADRATIC_NO_SQUARE)
        elif _scalar_close(value, first + second):
            session.add("sign", QUADRATIC_SIGN)
        else:
            session.add(f"values:{label}", f"for {label}: expected {expected:.6f}, got {value!r}")


def check_quadratic_form(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check :math:`v^\top J v` computed without building ``J`` (lesson 04, exercise 4).

    Parameters
    ----------
    fn : callable
        ``fn(s, v)`` for a probability vector ``s`` and a vector ``v`` of
        the same length; returns the number
        :math:`\sum_i s_i v_i^2 - (\sum_i s_i v_i)^2`.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the squared term
        missing or added, ``J v`` returned instead of a number, wrong values,
        mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_quadratic_form
    >>> check_quadratic_form(lambda s, v: np.sum(s * v**2) - np.sum(s * v) ** 2).passed
    True
    """
    return _run("check_quadratic_form", fn, _quadratic_battery)


# --- lesson 05 ---------------------------------------------------------------------------


def _chain_battery(session: _Session) -> None:
    rng = np.random.default_rng(3)
    cases = [
        # Generic, non-symmetric "Jacobians": summing over the wrong index shows.
        (rng.normal(size=(5, 3)), rng.normal(size=(5, 3, 3)), "N = 5, K = 3"),
        (rng.normal(size=(1, 4)), rng.normal(size=(1, 4, 4)), "a single sample, K = 4"),
    ]
    for index, (dE_ds, ds_dz, label) in enumerate(cases):
        result = session.call([dE_ds, ds_dz], label, ["dE_ds", "ds_dz"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        N, K = dE_ds.shape
        expected = np.stack([ds_dz[n].T @ dE_ds[n] for n in range(N)])  # J^T g, one by one
        if N > 1 and result.shape == (K,):
            session.add("summed_n", CHAIN_SUMMED_N.format(shape=result.shape))
            continue
        if not session.shape_ok(result, (N, K), label):
            continue
        if _close(result, expected, dE_ds.dtype):
            continue
        if _close(result, np.stack([ds_dz[n] @ dE_ds[n] for n in range(N)]), dE_ds.dtype):
            session.add("j_g", CHAIN_J_G)
        else:
            session.add("values", CHAIN_VALUES)


def check_chain_through_jacobian(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check ``dE/dz`` from ``dE/ds`` and a batch of Jacobians (lesson 05, exercise 2).

    Parameters
    ----------
    fn : callable
        ``fn(dE_ds, ds_dz)`` for ``dE_ds`` of shape ``(N, K)`` and
        ``ds_dz`` of shape ``(N, K, K)`` with ``ds_dz[n, i, j]`` =
        :math:`\partial s_{ni} / \partial z_{nj}`; returns
        :math:`\partial E / \partial z_{nj} = \sum_i \partial E/\partial s_{ni}
        \, \partial s_{ni} / \partial z_{nj}` of shape ``(N, K)``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (``J g`` instead of
        ``J^T g``, summing over the samples too, wrong shape or values,
        mutation, exceptions). The Jacobians tried are not symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_chain_through_jacobian
    >>> check_chain_through_jacobian(lambda g, J: np.einsum("ni,nij->nj", g, J)).passed
    True
    >>> check_chain_through_jacobian(lambda g, J: np.einsum("nj,nij->ni", g, J)).problems
    ["you computed J g; the chain rule sums over the first (output) index of ds_dz: dE/dz_nj = sum_i dE_ds[n, i] * ds_dz[n, i, j], which is J^T g ('ni,nij->nj')"]
    """  # noqa: E501
    return _run("check_chain_through_jacobian", fn, _chain_battery)


def _temperature_layer_battery(session: _Session) -> None:
    rng = np.random.default_rng(4)
    cases = [
        (0.5, rng.normal(size=(4, 3)), np.eye(3)[[0, 2, 1, 1]], "T = 0.5, a batch of shape (4, 3)"),
        (3.0, np.array([2.0, -1.0, 0.5, 0.0]), np.eye(4)[1], "T = 3, one sample with K = 4"),
    ]
    for index, (T, z, y, label) in enumerate(cases):
        layer = session.call([T], f"layer_class({T})", ["temperature"], raw=True)
        if layer is None:
            if index == 0 and session.cannot_run():
                return
            continue
        s = session.call([z], f"forward for {label}", ["z"], via=lambda x, _l=layer: _l.forward(x))
        if s is None:
            continue
        s_ref = _ref_softmax(z / T)
        if not _close(s, s_ref, z.dtype):
            session.add(
                "forward",
                f"forward for {label} does not return softmax(z / T): expected {_fmt(s_ref)}, "
                f"got {_fmt(s)}",
            )
            continue
        # The upstream gradient of half the squared error (s - y)^2 / 2, averaged over samples.
        N = z.size // z.shape[-1]
        g = (s_ref - y) / N
        dz = session.call(
            [g], f"backward for {label}", ["g"], via=lambda x, _l=layer: _l.backward(x)
        )
        if dz is None or not session.shape_ok(dz, z.shape, f"backward for {label}"):
            continue
        expected = _vjp(s_ref, g) / T
        if _close(dz, expected, z.dtype):
            continue
        if _close(dz, expected * T, z.dtype):
            session.add("no_factor", TEMPERATURE_NO_FACTOR)
        elif _close(dz, expected * T * T, z.dtype):
            session.add("times_t", TEMPERATURE_TIMES_T)
        elif _close(dz, -expected, z.dtype):
            session.add("sign", VJP_SIGN)
        elif _close(dz, s_ref * (1 - s_ref) * g / T, z.dtype):
            session.add("diagonal", VJP_DIAGONAL)
        else:
            with np.errstate(all="ignore"):
                error = float(
                    np.max(np.abs(dz - expected))
                    / max(float(np.max(np.abs(dz) + np.abs(expected))), 1e-300)
                )
            session.add(
                "values",
                f"backward for {label}: relative error {error:.2g} against the expected "
                f"gradient {_fmt(expected)}",
            )


def check_softmax_with_temperature(layer_class: Callable[[float], Any]) -> CheckReport:
    r"""Check the backward pass of a softmax layer with temperature (lesson 05, exercise 3).

    Parameters
    ----------
    layer_class : callable
        ``layer_class(T)`` builds a layer with ``forward(z)`` returning
        ``softmax(z / T)`` and ``backward(g)`` returning
        :math:`\partial E / \partial z = \frac{1}{T}\, s \odot (g - \langle s, g \rangle)`.
        Tried with ``T = 0.5`` on a batch and ``T = 3`` on one sample, with
        the upstream gradient ``g`` of the half squared error.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the factor ``1/T``
        missing, multiplied by ``T``, sign, only the diagonal, wrong values,
        mutation, exceptions).

    Examples
    --------
    >>> from softmax_course import solutions
    >>> from softmax_course.exercises import check_softmax_with_temperature
    >>> check_softmax_with_temperature(solutions.SoftmaxWithTemperature)
    check_softmax_with_temperature(SoftmaxWithTemperature): passed
    """
    return _run("check_softmax_with_temperature", layer_class, _temperature_layer_battery)


# --- lesson 06 ---------------------------------------------------------------------------


def _labels_loss_battery(session: _Session) -> None:
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    cases = [
        (Z, labels, "a batch of shape (6, 4)"),
        (np.array([[1e4, -1e4], [0.0, 0.0]]), np.array([1, 0]), "logits [[1e4, -1e4], [0, 0]]"),
        (np.array([[0.5, -1.0, 2.0]]), np.array([2]), "a single sample"),
    ]
    for index, (z, y, label) in enumerate(cases):
        result = session.call([z, y], label, ["z", "labels"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        value = _float(session, result, label)
        if value is None:
            continue
        N = z.shape[0]
        picked = _ref_log_softmax(z)[np.arange(N), y]  # one log-probability per row
        expected = float(-np.sum(picked) / N)
        if not np.isfinite(value):
            session.add("nonfinite", LOSS_NONFINITE.format(result=value, size=np.max(np.abs(z))))
        elif _scalar_close(value, expected):
            continue
        elif N > 1 and _scalar_close(value, expected * N):
            session.add("mean", LOSS_NO_MEAN)
        elif _scalar_close(value, -expected):
            session.add("sign", LOSS_SIGN)
        else:
            session.add(
                f"values:{label}",
                f"for logits up to {np.max(np.abs(z)):g}: expected {expected:.6g}, got {value:.6g}",
            )


def check_loss_from_labels(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check the mean cross-entropy from logits and integer labels (lesson 06, exercise 2).

    Parameters
    ----------
    fn : callable
        ``fn(z, labels)`` for logits ``z`` of shape ``(N, K)`` and integer
        labels of shape ``(N,)``; returns
        :math:`-\frac{1}{N} \sum_n \log \operatorname{softmax}(z_n)_{\text{labels}_n}`,
        finite even for logits of size :math:`10^4`.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (a log of a rounded
        probability, the missing ``1/N``, sign, wrong values, mutation,
        exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_loss_from_labels
    >>> def naive(z, labels):
    ...     s = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    ...     return -np.mean(np.log(s[np.arange(len(labels)), labels]))
    >>> check_loss_from_labels(naive).problems
    ['returned inf for logits up to 10000: take the log before rounding, log s = z - logsumexp(z), with the maximum subtracted inside logsumexp']
    """  # noqa: E501
    return _run("check_loss_from_labels", fn, _labels_loss_battery)


def _soft_targets_battery(session: _Session) -> None:
    rng = np.random.default_rng(5)
    cases = [
        (
            rng.normal(size=(5, 3)),
            rng.uniform(0.0, 2.0, size=(5, 3)),
            "y with rows summing to anything",
        ),
        (rng.normal(size=(3, 4)), np.full((3, 4), 0.25), "y with rows summing to 1"),
        (
            np.array([[1000.0, 5.0, 0.0], [0.0, 1.0, 2.0]]),
            np.array([[0.5, 0.0, 1.0], [2.0, 0.0, 0.0]]),
            "logits [[1000, 5, 0], ...]",
        ),
    ]
    for index, (z, y, label) in enumerate(cases):
        result = session.call([z, y], label, ["z", "y"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        if not session.shape_ok(result, z.shape, label):
            continue
        N = z.shape[0]
        s = _ref_softmax(z)
        expected = (s * np.sum(y, axis=-1, keepdims=True) - y) / N
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(result)):
                if np.max(np.abs(z)) > 100:
                    session.add("maxshift", SOFT_OVERFLOW)
                else:
                    session.add(f"nonfinite:{label}", f"returned inf or NaN for {label}")
                continue
            if _close(result, expected, z.dtype):
                continue
            if _close(result, (s - y) / N, z.dtype):
                session.add("assumes_one", SOFT_ASSUMES_ONE)
            elif _close(result, expected * N, z.dtype):
                session.add("mean", SOFT_NO_MEAN)
            elif _close(result, -expected, z.dtype):
                session.add("sign", SOFT_SIGN)
            else:
                session.add(
                    "values",
                    f"wrong gradient for {label}: expected {_fmt(expected)}, got {_fmt(result)}",
                )


def check_grad_soft_targets(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check ``dE/dz`` for targets whose rows need not sum to 1 (lesson 06, exercise 3).

    Parameters
    ----------
    fn : callable
        ``fn(z, y)`` for logits ``z`` and non-negative targets ``y`` of
        shape ``(N, K)``; returns
        :math:`\frac{1}{N}(s \sum_k y_{nk} - y)` with ``s = softmax(z)``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the ``(s - y)/N``
        shortcut that assumes rows summing to 1, the missing ``1/N``, sign,
        overflow, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_grad_soft_targets
    >>> def shortcut(z, y):
    ...     e = np.exp(z - z.max(axis=1, keepdims=True))
    ...     return (e / e.sum(axis=1, keepdims=True) - y) / len(z)
    >>> check_grad_soft_targets(shortcut).problems
    ['this is (s - y)/N, which assumes every row of y sums to 1; keep the factor sum_k y_nk in front of s: (s * sum(y, axis=-1, keepdims=True) - y) / N']
    """  # noqa: E501
    return _run("check_grad_soft_targets", fn, _soft_targets_battery)


# --- lesson 07 ---------------------------------------------------------------------------


def _as_array(value: Any) -> np.ndarray | None:
    """``np.asarray(value)``, or None for what numpy cannot turn into an array (ragged lists)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(value)
    except Exception:  # noqa: BLE001 -- whatever the learner returned, the check goes on
        return None


def _pair(session: _Session, result: Any, template: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The two real arrays of a returned pair, or None after noting what came back instead."""
    if isinstance(result, tuple | list) and len(result) == 2:
        parts = [_as_array(part) for part in result]
        if all(part is not None and part.dtype.kind in "fiub" for part in parts):
            return parts[0].astype(np.float64), parts[1].astype(np.float64)
    what = (
        f"a {type(result).__name__} of length {len(result)}"
        if isinstance(result, tuple | list)
        else f"{type(result).__name__}"
    )
    session.add("pair", template.format(what=what))
    return None


def _standardize_battery(session: _Session) -> None:
    cases = [
        (
            np.random.default_rng(3).normal(5.0, 2.0, size=(20, 3)),
            np.random.default_rng(4).normal(6.0, 1.0, size=(7, 3)),
            "X_train (20, 3) and X_test (7, 3)",
        ),
        (
            np.array([[0.0, 10.0], [2.0, 30.0], [4.0, 20.0]]),
            np.array([[1.0, 0.0]]),
            "X_train (3, 2) and one test sample",
        ),
    ]
    for index, (A, B, label) in enumerate(cases):
        result = session.call([A, B], label, ["X_train", "X_test"], raw=True)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        pair = _pair(session, result, STANDARDIZE_PAIR)
        if pair is None:
            return
        A_std, B_std = pair
        mu, sigma = A.mean(axis=0), A.std(axis=0)
        if not (A_std.shape == A.shape and _close(A_std, (A - mu) / sigma, A.dtype)):
            session.add("train", STANDARDIZE_TRAIN)
        elif (
            B_std.shape == B.shape
            and B.shape[0] > 1
            and _close(B_std, (B - B.mean(axis=0)) / B.std(axis=0), B.dtype)
        ):
            session.add("leak", STANDARDIZE_LEAK)
        elif not (B_std.shape == B.shape and _close(B_std, (B - mu) / sigma, B.dtype)):
            if not session.has("leak"):  # one test sample: its own std is 0, same mistake
                session.add("test", STANDARDIZE_TEST)


def check_standardize(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    """Check standardizing both sets with the training set's statistics (lesson 07, exercise 1).

    Parameters
    ----------
    fn : callable
        ``fn(X_train, X_test)`` returning the pair
        ``((X_train - mu) / sigma, (X_test - mu) / sigma)`` with the
        per-feature ``mu`` and ``sigma`` of ``X_train``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the test set
        standardized with its own statistics, statistics not per feature,
        not a pair, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_standardize
    >>> def leaky(X_train, X_test):
    ...     return [(X - X.mean(axis=0)) / X.std(axis=0) for X in (X_train, X_test)]
    >>> check_standardize(leaky).problems
    ['X_test was standardized with its own statistics: use the mean and standard deviation of X_train (anything computed from the test set leaks into the model)']
    """  # noqa: E501
    return _run("check_standardize", fn, _standardize_battery)


def _confusion_battery(session: _Session) -> None:
    cases = [
        (np.array([0, 0, 1, 2, 2, 2, 1]), np.array([0, 0, 2, 2, 1, 2, 1]), 3, "K = 3"),
        (np.array([0, 1, 1, 0, 2]), np.array([1, 1, 1, 0, 2]), 4, "K = 4, class 3 never seen"),
    ]
    for index, (y_true, y_pred, K, label) in enumerate(cases):
        result = session.call([y_true, y_pred, K], label, ["y_true", "y_pred", "K"], raw=True)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        C = _as_array(result)
        if C is None:
            session.add("dtype", f"returned {type(result).__name__}, not an array of counts")
            return
        expected = np.zeros((K, K), dtype=np.int64)
        for t, p in zip(y_true, y_pred, strict=True):  # counting one by one: the definition
            expected[t, p] += 1
        if C.dtype.kind not in "fiub":
            session.add("dtype", f"returned {type(result).__name__} with dtype {C.dtype}")
            return
        if C.shape != (K, K):
            if C.ndim == 2 and C.shape[0] == C.shape[1]:
                session.add("K", CONFUSION_K.format(shape=C.shape, K=K))
            else:
                session.add(
                    f"shape:{C.shape}", f"returned shape {C.shape} for {label}; expected {(K, K)}"
                )
            continue
        if C.dtype.kind == "f":
            session.add("float", CONFUSION_DTYPE.format(dtype=C.dtype))
        if np.array_equal(C, expected):
            continue
        if np.array_equal(C, expected.T):
            session.add("transposed", CONFUSION_TRANSPOSED)
        elif C.sum() < len(y_true):
            session.add("undercount", CONFUSION_UNDERCOUNT)
        else:
            session.add("values", f"for {label}: expected {_fmt(expected)}, got {_fmt(C)}")


def check_confusion_matrix(fn: Callable[[np.ndarray, np.ndarray, int], Any]) -> CheckReport:
    """Check a confusion matrix ``C[i, j]`` = samples of class i predicted as j (lesson 07, ex. 2).

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, K)`` for integer label arrays of shape ``(N,)``;
        returns the ``K x K`` integer matrix of counts.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (rows and columns
        swapped, repeated pairs counted once, the size taken from the
        labels instead of ``K``, float counts, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_confusion_matrix
    >>> def fancy_index(y_true, y_pred, K):
    ...     C = np.zeros((K, K), dtype=int)
    ...     C[y_true, y_pred] += 1
    ...     return C
    >>> check_confusion_matrix(fancy_index).problems
    ['some samples were not counted: C[y_true, y_pred] += 1 counts a repeated pair (i, j) only once; np.add.at(C, (y_true, y_pred), 1) counts every sample']
    """  # noqa: E501
    return _run("check_confusion_matrix", fn, _confusion_battery)


def _regression_battery(session: _Session) -> None:
    rng = np.random.default_rng(6)
    cases = [
        (
            rng.normal(size=(9, 4)),
            rng.normal(size=(4, 3)),
            rng.normal(size=3),
            rng.integers(0, 3, size=9),
            "N = 9, D = 4, K = 3",
        ),
        (
            rng.normal(size=(5, 2)),
            rng.normal(size=(2, 4)),
            rng.normal(size=4),
            np.array([3, 0, 1, 3, 2]),
            "N = 5, D = 2, K = 4",
        ),
    ]
    for index, (X, W, b, y, label) in enumerate(cases):
        result = session.call([X, W, b, y], label, ["X", "W", "b", "y"], raw=True)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        pair = _pair(session, result, REGRESSION_PAIR)
        if pair is None:
            return
        dW, db = pair
        N, K = X.shape[0], W.shape[1]
        G = (_ref_softmax(X @ W + b) - np.eye(K)[y]) / N  # the shortcut of lesson 06
        expected_dW, expected_db = X.T @ G, G.sum(axis=0)
        if dW.shape != W.shape:
            session.add(
                "dW_shape",
                REGRESSION_DW_TRANSPOSED.format(shape=dW.shape, expected=W.shape)
                if dW.shape == W.shape[::-1]
                else f"dW has shape {dW.shape} for {label}; expected the shape of W, {W.shape}",
            )
        if db.shape != b.shape:
            session.add(
                "db_shape",
                REGRESSION_DB_NOT_SUMMED.format(shape=db.shape, expected=b.shape)
                if db.shape == (N, K)
                else f"db has shape {db.shape} for {label}; expected the shape of b, {b.shape}",
            )
        if dW.shape != W.shape or db.shape != b.shape:
            continue
        dW_ok, db_ok = _close(dW, expected_dW, X.dtype), _close(db, expected_db, X.dtype)
        if dW_ok and db_ok:
            continue
        if _close(dW, expected_dW * N, X.dtype) and _close(db, expected_db * N, X.dtype):
            session.add("mean", REGRESSION_NO_MEAN)
        elif _close(dW, -expected_dW, X.dtype) and _close(db, -expected_db, X.dtype):
            session.add("sign", REGRESSION_SIGN)
        else:
            if not dW_ok:
                session.add("dW", f"dW for {label}: expected {_fmt(expected_dW)}, got {_fmt(dW)}")
            if not db_ok:
                if dW_ok and _close(db, expected_db / N, X.dtype):
                    session.add("db_mean", REGRESSION_DB_MEAN)
                else:
                    session.add(
                        "db", f"db for {label}: expected {_fmt(expected_db)}, got {_fmt(db)}"
                    )


def check_regression_gradients(
    fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], Any],
) -> CheckReport:
    r"""Check the gradients of softmax regression's mean cross-entropy (lesson 07, exercise 3).

    Parameters
    ----------
    fn : callable
        ``fn(X, W, b, y)`` for inputs ``X`` ``(N, D)``, weights ``W``
        ``(D, K)``, bias ``b`` ``(K,)`` and integer labels ``y`` ``(N,)``;
        returns ``(dW, db)`` for
        :math:`E = -\frac{1}{N}\sum_n \log \operatorname{softmax}(x_n W + b)_{y_n}`,
        that is :math:`X^\top G` and :math:`\sum_n G_n` with :math:`G = (S - Y)/N`.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the missing ``1/N``,
        sign, ``dW`` transposed, ``db`` not summed over the samples or
        averaged twice, not a pair, mutation, exceptions).

    Examples
    --------
    >>> from softmax_course import solutions
    >>> from softmax_course.exercises import check_regression_gradients
    >>> check_regression_gradients(solutions.regression_gradients).passed
    True
    """
    return _run("check_regression_gradients", fn, _regression_battery)


# --- lesson 08 ---------------------------------------------------------------------------


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
