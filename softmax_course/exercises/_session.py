"""The machinery of the exercise checkers: run a learner's function safely, build the report.

A checker hands a battery of inputs to a :class:`_Session`, which calls the
learner's function on copies of them and collects one message per distinct
problem; :func:`_run` turns the session into a :class:`CheckReport`. The
inputs shared by several batteries are defined here too.
"""

from __future__ import annotations

import html
import os
import pickle
import re
import select
import signal
import sys
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from softmax_course.i18n import N_, language, ngettext, translate, using_language
from softmax_course.i18n import gettext as _

NOT_IMPLEMENTED = N_(
    "not implemented yet: replace `raise NotImplementedError` with your code, "
    "then run this check again"
)

MUTATION = N_(
    "your function changed its input {name}: an in-place operation such as `{name} -= ...` "
    "or `np.exp({name}, out={name})` writes into the caller's array; "
    "write `{name} = {name} - ...` to get a new array"
)

READ_ONLY = N_(
    "your function writes into its input: on a read-only array it raised {error}; "
    "compute into a new array (`x = x - m`, not `x -= m`)"
)

__all__ = [
    "LOWER_DTYPE",
    "LOWER_NUMBERS",
    "LOWER_PRECISION",
    "LOWER_UNKNOWN",
    "SCRATCH",
    "SPREAD_MEAN",
    "SPREAD_NO_SHIFT",
    "ENDED",
    "CheckReport",
    "FLOAT32_ONLY",
    "HARD_STOP",
    "MUTATION",
    "NOT_IMPLEMENTED",
    "ONE_D",
    "PARTIAL",
    "RAGGED",
    "READ_ONLY",
    "SYSTEM_EXIT",
    "TIME_BUDGET_SPENT",
    "TIME_LIMIT",
]


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

    def __post_init__(self) -> None:
        # Messages defined at import (N_) are put in words now, in the checker's language.
        self.problems = [translate(problem) for problem in self.problems]

    def __str__(self) -> str:
        if self.passed:
            return _("{title}: passed").format(title=self.title)
        lines = [_("{title}: not passed").format(title=self.title)]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        title = f"**`{self.title}`**"
        if self.passed:
            return "✅ " + _("{title} passed.").format(title=title)
        items = "\n".join(f"- {problem}" for problem in self.problems)
        return "❌ " + _("{title} not passed:").format(title=title) + f"\n\n{items}\n"

    def _repr_html_(self) -> str:
        title = f"<b><code>{html.escape(self.title)}</code></b>"
        if self.passed:
            return (
                '<div class="softmax-course-check passed">✅ '
                + _("{title} passed.").format(title=title)
                + "</div>"
            )
        items = "".join(f"<li>{html.escape(problem)}</li>" for problem in self.problems)
        return (
            '<div class="softmax-course-check failed">❌ '
            + _("{title} not passed:").format(title=title)
            + f"<ul>{items}</ul></div>"
        )


# --- running the learner's function safely ------------------------------------------------

#: Seconds one call of the learner's function may take before the checker stops it.
CALL_TIME_LIMIT = 5.0
#: Seconds all the calls of one checker may take together.
TIME_BUDGET = 15.0

TIME_LIMIT = N_(
    "your function took more than {seconds:g} s on {label} and was stopped; the checker "
    "called it no more (every input here is small: does a loop never end, or does it wait "
    "for something?)"
)
TIME_BUDGET_SPENT = N_(
    "your function took more than {seconds:g} s in all over {calls} calls and was stopped "
    "during {label}; the checker called it no more (every input here is small: each call "
    "should take well under a second)"
)
SYSTEM_EXIT = N_(
    "your function called sys.exit() or exit() ({described}) for {labels}: that ends the "
    "program; return the result instead"
)
PARTIAL = N_(
    "raised NotImplementedError for {labels}: that part is not implemented yet; "
    "the inputs it handled were checked too"
)
ONE_D = N_(
    "one sample is a 1-D vector of shape (K,), and the exercise asks for it as well as for "
    "batches, with the classes on the last axis: write the code with axis=-1 and "
    "keepdims=True instead of requiring 2-D input"
)
RAGGED = N_(
    "returned a ragged {kind} for {label} (its rows have different lengths: {lengths}), "
    "which is not an array of numbers; build the result as one numpy array"
)
FLOAT32_ONLY = N_(
    "correct to float32 precision only: for {label} every entry of your answer is a float32 "
    "number (about 7 correct digits, not 16), so something inside computes in float32; the "
    "exercise asks for float64: keep float64 input in float64"
)


class _TimeUp(BaseException):
    """Raised in the learner's code by the alarm: a BaseException, so `except Exception` in
    the learner's code does not swallow it."""


class _NotImplemented(Exception):
    """Raised inside a check when the learner's function is still a stub."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`_TimeUp` in the running code after ``seconds`` (main thread, POSIX only).

    The alarm is ``SIGALRM``; ``SIGINT`` is left alone, so Ctrl-C still interrupts
    the learner's function with ``KeyboardInterrupt``. Elsewhere (Windows, or a
    checker run outside the main thread) no limit applies.
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def alarm(signum: int, frame: object) -> None:
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, alarm)
    # Fires again every 50 ms in case the learner's code catches BaseException.
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3), 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _peak_memory(facts: dict[str, Any] | None) -> Iterator[None]:
    """Record in ``facts["peak"]`` the peak memory (bytes) allocated inside the block."""
    if facts is None:
        yield
        return
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    try:
        yield
    finally:
        facts["peak"] = tracemalloc.get_traced_memory()[1] - baseline
        if not was_tracing:
            tracemalloc.stop()


SCRATCH = N_(
    "your function allocated about {scratch:.1f} MiB besides its {result:.1f} MiB result for "
    "{label}: {what}; the exercise asks for {asked} (at most {limit:.1f} MiB here)"
)


def _check_scratch(
    session: _Session,
    args: Sequence[np.ndarray],
    label: str,
    names: Sequence[str],
    *,
    limit: int,
    what: str,
    asked: str,
) -> None:
    """Call fn on large ``args`` and note when its scratch memory exceeds ``limit`` bytes."""
    result = session.call(args, label, names, measure=True)
    peak = session.facts.pop("peak", None)
    if result is None or peak is None:
        return
    scratch = peak - result.nbytes
    if scratch > limit:
        session.add(
            "scratch",
            SCRATCH.format(
                scratch=scratch / 2**20,
                result=result.nbytes / 2**20,
                label=label,
                what=what,
                asked=asked,
                limit=limit / 2**20,
            ),
        )


def _fmt(values: np.ndarray) -> str:
    """A short, deterministic rendering of an array for a message."""
    with np.printoptions(precision=4, suppress=True, threshold=20, linewidth=10_000):
        text = np.array2string(np.asarray(values), separator=", ")
    return " ".join(line.strip() for line in text.splitlines())  # one line per message


def _expected_got(expected: np.ndarray, got: np.ndarray) -> str:
    """ "expected A, got B" with enough digits that A and B differ where the arrays do."""
    for precision in (4, 6, 9, 12, 17):
        with np.printoptions(precision=precision, suppress=True, threshold=20, linewidth=10_000):
            a = " ".join(np.array2string(np.asarray(expected), separator=", ").split())
            b = " ".join(np.array2string(np.asarray(got), separator=", ").split())
        if a != b:
            break
    return _("expected {expected}, got {got}").format(expected=a, got=b)


def _tolerances(dtype: npt.DTypeLike) -> tuple[float, float]:
    """(rtol, atol) for answers of this precision: about 1000 units in the last place."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize <= 2:
        return 4e-3, 1e-4
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return 1e-4, 1e-6
    return 1e-7, 1e-10  # float64; integer input is computed in float64 too


def _close(actual: np.ndarray, expected: np.ndarray, dtype: npt.DTypeLike) -> bool:
    """Elementwise agreement at the precision the exercise asks for (``dtype``).

    The one precision rule of the checkers: an answer is judged at the precision
    of the input (float64 for float64 and integer input, float32 for float32
    input). An answer that agrees only at a lower precision (float32: about 7
    digits; float16: about 3) still counts as a match here, so that the
    diagnosis goes on, but the running session is told (see :func:`_note_precision`):
    its report says in words "correct to float32 precision only ...; the
    exercise asks for float64" and the check does not pass. The absolute floor
    ``atol`` accepts ``log(1 + tiny)`` where the reference uses ``log1p(tiny)``.
    """
    if actual.shape != expected.shape:
        return False
    rtol, atol = _tolerances(dtype)
    answer = bool(_CURRENT and _CURRENT[-1].is_answer(actual))
    with np.errstate(all="ignore"):
        if np.allclose(actual, expected, rtol=rtol, atol=atol):
            low = _precision_name(actual.dtype) if actual.dtype.kind == "f" else "float64"
            if answer and low in _LOWER[_precision_name(dtype)]:
                # Agrees, but in a lower-precision dtype than asked: told, not passed.
                _note_precision(low, _precision_name(dtype), actual)
            return True
        if not answer:
            return False  # the checker's own arrays (references, candidates): strictly
        asked = _precision_name(dtype)
        for lower in _LOWER[asked]:
            low_rtol, low_atol = _tolerances(np.dtype(lower))
            if np.allclose(actual, expected, rtol=low_rtol, atol=low_atol):
                _note_precision(lower, asked, actual)
                return True
    return False


def _precision_name(dtype: npt.DTypeLike) -> str:
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize <= 2:
        return "float16"
    if dtype.kind == "f" and dtype.itemsize <= 4:
        return "float32"
    return "float64"


# The precisions below the asked one, the closest first.
_LOWER = {"float64": ("float32", "float16"), "float32": ("float16",), "float16": ()}

_DIGITS = {"float64": 16, "float32": 7, "float16": 3}

LOWER_PRECISION = N_(
    "correct to {low} precision only: for {label} your answer agrees with the expected "
    "values to about {low_digits} significant digits, not {digits}; the exercise asks for "
    "{asked}{why}"
)
LOWER_DTYPE = N_(
    "your answer for {label} is {low} (about {low_digits} significant digits); the exercise "
    "asks for {asked}: keep {asked} input in {asked} (no astype({low}), {low} arrays or "
    "dtype={low})"
)
#: The end of LOWER_PRECISION when every number of the answer is a lower-precision number.
LOWER_NUMBERS = N_(
    ": every number in your answer is a {low} number, so something inside computes in {low} "
    "(an astype({low}), a {low} array or dtype={low}); keep {asked} input in {asked}"
)
#: The end of LOWER_PRECISION otherwise: the cause is not confirmed, only the symptom.
LOWER_UNKNOWN = N_(
    ": look for a step computed in lower precision, or a small constant added (such as "
    "+ 1e-9 inside a log)"
)

_CURRENT: list[_Session] = []  # the session whose battery is running (innermost last)


def _note_precision(low: str, asked: str, actual: np.ndarray) -> None:
    """Tell the running session that an answer matched only at the ``low`` precision."""
    if _CURRENT:
        _CURRENT[-1].note_precision(low, asked, _made_of(actual, low))


def _made_of(actual: np.ndarray, low: str) -> bool:
    """Every entry of ``actual`` is a ``low`` number (its dtype, or a lossless round trip)."""
    if actual.dtype.kind != "f" or actual.size == 0:
        return False
    if actual.dtype.itemsize <= np.dtype(low).itemsize:
        return True
    with np.errstate(all="ignore"):
        return bool(np.array_equal(actual.astype(low).astype(actual.dtype), actual, equal_nan=True))


def _float32_only(actual: np.ndarray, expected: np.ndarray, dtype: np.dtype) -> bool:
    """True when a float64 answer is float32 numbers that agree at float32 precision.

    The cause is confirmed, not guessed: every entry survives a round trip
    through float32 unchanged, which a float64 computation almost never gives.
    """
    if np.dtype(dtype).kind == "f" and np.dtype(dtype).itemsize < 8:
        return False
    if actual.shape != expected.shape or actual.dtype != np.float64 or actual.size == 0:
        return False
    with np.errstate(all="ignore"):
        as_float32 = actual.astype(np.float32).astype(np.float64)
        return bool(
            np.array_equal(as_float32, actual, equal_nan=True)
            and np.allclose(actual, expected, rtol=1e-4, atol=1e-6)
            and not np.allclose(actual, expected, rtol=1e-7, atol=1e-10)
        )


def _same_outcome(actual: np.ndarray, candidate: np.ndarray, dtype: np.dtype) -> bool:
    """``actual`` is what ``candidate`` (a suspected wrong formula) gives: the same NaN
    and infinite entries in the same places, and the finite entries close."""
    candidate = np.asarray(candidate)
    if actual.shape != candidate.shape:
        return False
    with np.errstate(all="ignore"):
        if not np.array_equal(np.isnan(actual), np.isnan(candidate)):
            return False
        if not np.array_equal(np.isposinf(actual), np.isposinf(candidate)):
            return False
        if not np.array_equal(np.isneginf(actual), np.isneginf(candidate)):
            return False
        finite = np.isfinite(candidate)
        return _close(actual[finite], candidate[finite].astype(np.float64), dtype)


def _confirmed_causes(
    actual: np.ndarray,
    candidates: Sequence[tuple[Sequence[str], Callable[[], np.ndarray]]],
    dtype: np.dtype,
) -> tuple[list[str], list[set[str]]]:
    """The causes shared by every suspected formula whose output ``actual`` reproduces.

    Each candidate is ``(causes, formula)``; the formula is run here (with
    warnings silenced) and compared with :func:`_same_outcome`. A cause is
    confirmed only when every matching formula has it: when two formulas with
    different causes give the same output on this input, neither is named.
    Also returns the cause sets of every matching formula.
    """
    matching: list[set[str]] = []
    for causes, formula in candidates:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = np.asarray(formula(), dtype=np.float64)
        except Exception:  # noqa: BLE001, S112 -- a formula that cannot run matches nothing
            continue
        if _same_outcome(actual, value, dtype):
            matching.append(set(causes))
    if not matching:
        return [], []
    shared = set.intersection(*matching)
    ordered = dict.fromkeys(cause for causes, _ in candidates for cause in causes)
    return [cause for cause in ordered if cause in shared], matching


@dataclass
class _Failure:
    """One kind of exception and the inputs it affected."""

    described: str
    error: BaseException
    labels: list[str] = field(default_factory=list)
    one_d: list[bool] = field(default_factory=list)
    shapes: list[tuple[int, ...] | None] = field(default_factory=list)


class _Session:
    """Calls the learner's function on copies of the inputs and collects problems.

    Every input of a battery is tried even after an exception: an exception is
    reported once, with every input it affected, and the inputs that ran are
    diagnosed. Calls stop only when the learner's function exceeds the time
    limit.
    """

    def __init__(self, checker: str, fn: object, *, one_d_hint: bool = False) -> None:
        name = getattr(fn, "__name__", None) or type(fn).__name__
        self.title = f"{checker}({name})"
        self.fn = fn
        self.one_d_hint = one_d_hint
        self.problems: dict[str, str | None] = {}  # key -> message; None: an exception
        self.failures: dict[str, _Failure] = {}
        self.checks = 0
        self.returned = 0  # calls of the learner's code that returned (whatever they returned)
        self.learner_calls = 0
        self.batch_ran = False  # a call with a batch (ndim >= 2) returned
        self.stopped = False
        self.facts: dict[str, Any] = {}  # what the battery learned along the way
        self.label = ""  # the input of the latest call, for messages about its answer
        self._answers: dict[int, np.ndarray] = {}  # the learner's answers, by id
        self.precision: str | None = None  # a LOWER_PRECISION message, kept apart
        self.lower_dtype: str | None = None  # a LOWER_DTYPE message, kept apart
        self._spent = 0.0

    def answer(self, array: np.ndarray) -> np.ndarray:
        """Remember ``array`` as an answer of the learner's (its precision is judged)."""
        self._answers[id(array)] = array  # the reference keeps the id from being reused
        return array

    def is_answer(self, array: object) -> bool:
        return self._answers.get(id(array)) is array

    def note_precision(self, low: str, asked: str, made_of_low: bool) -> None:
        """An answer matched only at the ``low`` precision (the first such answer is told)."""
        if self.precision is None:
            why = LOWER_NUMBERS if made_of_low else LOWER_UNKNOWN
            self.precision = LOWER_PRECISION.format(
                low=low,
                label=self.label,
                low_digits=_DIGITS[low],
                digits=_DIGITS[asked],
                asked=asked,
                why=why.format(low=low, asked=asked),
            )

    def add(self, key: str, message: str) -> None:
        self.problems.setdefault(key, message)

    def has(self, *keys: str) -> bool:
        return any(key in self.problems for key in keys)

    def cannot_run(self) -> bool:
        """True once the function was stopped for taking too long: no more calls."""
        return self.stopped

    def only_not_implemented(self) -> bool:
        """Every call raised NotImplementedError: the function is still the stub."""
        return (
            self.returned == 0
            and bool(self.failures)
            and all(isinstance(f.error, NotImplementedError) for f in self.failures.values())
            and not [k for k, v in self.problems.items() if v is not None]
        )

    def report(self) -> CheckReport:
        problems = []
        for key, message in self.problems.items():
            problems.append(self._failure_message(key) if message is None else message)
        if self.precision is not None and not problems:
            # Told only when nothing else is wrong: a lower-precision answer that matched a
            # wrong formula is reported as that formula, not as "correct to float32".
            problems.append(self.precision)
        elif self.lower_dtype is not None and "keeps_dtype" not in self.problems:
            # A fact about the answer's dtype: always told (unless a checker of dtypes did)
            problems.insert(0, self.lower_dtype)
        return CheckReport(self.title, passed=not problems, problems=problems, checks=self.checks)

    def call(
        self,
        args: Sequence[Any],
        label: str,
        names: Sequence[str],
        *,
        read_only: bool = False,
        raw: bool = False,
        via: Callable[..., Any] | None = None,
        given: bool = False,
        measure: bool = False,
    ) -> Any:
        """Run ``fn(*copies)``; return the result as an array, or None after noting why not.

        Array arguments are copied (and made read-only on request); any other
        argument (a dtype, a number, an iterator) is passed as it is. With
        ``raw=True`` the result is returned unconverted (a tuple, a scalar of
        a given dtype, a layer object); ``via`` calls that function instead
        of ``fn`` (a method of an object ``fn`` built). ``given=True`` marks code
        the lesson gives (a layer's constructor and forward): its calls do not
        count as the learner's code running. ``measure=True`` records in
        ``facts["peak"]`` the peak of the memory (bytes, through ``tracemalloc``)
        allocated during the call and not freed before it, the result included.
        """
        if self.stopped:
            return None
        self.checks += 1
        self.learner_calls += not given
        self.label = label
        copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        for copy in copies:
            if isinstance(copy, np.ndarray):
                copy.setflags(write=not read_only)
        # ``fn`` is whatever the learner passed: calling a non-callable raises TypeError
        # below, reported like any other exception of the learner's code.
        target = cast(Callable[..., Any], self.fn) if via is None else via
        limit = min(CALL_TIME_LIMIT, TIME_BUDGET - self._spent)
        start = time.perf_counter()
        try:
            # The learner's overflow warnings are part of what is being diagnosed, not
            # noise for the reader: silence them here and describe them in the report.
            with (
                warnings.catch_warnings(),
                np.errstate(all="ignore"),
                _time_limit(limit),
                _peak_memory(self.facts if measure else None),
            ):
                warnings.simplefilter("ignore")
                result = target(*copies)
        except _TimeUp:
            self._note_time(label, limit)
            return None
        except KeyboardInterrupt:  # Ctrl-C: the person at the keyboard wants to stop
            raise
        except BaseException as error:  # noqa: BLE001 -- any learner error becomes a message
            # SystemExit, GeneratorExit and the learner's own BaseException subclasses too.
            self._note_failure(error, label, args, read_only)
            return None
        finally:
            self._spent += time.perf_counter() - start
        self.returned += not given
        if any(isinstance(a, np.ndarray) and a.ndim >= 2 for a in args):
            self.batch_ran = True
        for name, original, copy in zip(names, args, copies, strict=True):
            if isinstance(original, np.ndarray) and not np.array_equal(
                original, copy, equal_nan=True
            ):
                self.add("mutation", MUTATION.format(name=name))
        if result is None:
            self.add("none", _("your function returned None: did you forget `return`?"))
            return None
        if not given:
            self._compare_dtypes(result, args)
        if raw:
            return result
        array = self.as_array(result, label)
        if array is None:
            return None
        if array.dtype.kind not in "fiub":
            self.add(
                "dtype",
                _(
                    "returned {type} with dtype {dtype} for {label}; "
                    "expected an array of real numbers"
                ).format(type=type(result).__name__, dtype=array.dtype, label=label),
            )
            return None
        return self.answer(array.astype(np.float64) if array.dtype.kind in "iub" else array)

    def _compare_dtypes(self, result: Any, args: Sequence[Any]) -> None:
        """Note a float answer of lower precision than the float input it was given."""
        inputs = [a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
        parts = result if isinstance(result, tuple | list) and len(result) <= 4 else (result,)
        answers = [p.dtype for p in parts if isinstance(p, np.ndarray | np.floating)]
        answers = [d for d in answers if d.kind == "f"]
        if not inputs or not answers:
            return
        asked = _precision_name(max(inputs, key=lambda d: d.itemsize))
        low = _precision_name(min(answers, key=lambda d: d.itemsize))
        if low in _LOWER[asked] and self.lower_dtype is None:
            self.lower_dtype = LOWER_DTYPE.format(
                low=low, label=self.label, low_digits=_DIGITS[low], asked=asked
            )

    def as_array(self, result: Any, label: str) -> np.ndarray | None:
        """``np.asarray(result)``, or None after saying why the learner's result is not one."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray(result)
        except Exception:  # noqa: BLE001 -- whatever the learner returned, the check goes on
            lengths = _lengths(result)
            if lengths is not None:
                self.add(
                    "ragged",
                    RAGGED.format(kind=type(result).__name__, label=label, lengths=lengths),
                )
            else:
                self.add(
                    "dtype",
                    _(
                        "returned {type} for {label}, which numpy cannot turn "
                        "into an array of numbers"
                    ).format(type=type(result).__name__, label=label),
                )
            return None

    def add_causes(
        self,
        causes: Sequence[str],
        matching: Sequence[set[str]],
        messages: dict[str, str],
        symptom: tuple[str, str],
    ) -> None:
        """Report confirmed causes (keyed by cause); when several formulas with different
        causes matched, stay silent if one of them is fully reported already, else report
        the symptom only."""
        for cause in causes:
            self.add(cause, messages[cause])
        if causes:
            return
        if any(all(self.has(cause) for cause in m) for m in matching):
            return
        self.add(*symptom)

    def shape_ok(self, result: np.ndarray, expected: tuple[int, ...], label: str) -> bool:
        if result.shape == expected:
            return True
        self.add(
            f"shape:{result.shape}:{expected}",
            _("returned shape {shape} for {label}; expected shape {expected}").format(
                shape=result.shape, label=label, expected=expected
            ),
        )
        return False

    def _note_time(self, label: str, limit: float) -> None:
        self.stopped = True
        if limit < CALL_TIME_LIMIT:
            self.add(
                "time",
                TIME_BUDGET_SPENT.format(seconds=TIME_BUDGET, calls=self.checks, label=label),
            )
        else:
            self.add("time", TIME_LIMIT.format(seconds=CALL_TIME_LIMIT, label=label))

    def _note_failure(
        self, error: BaseException, label: str, args: Sequence[Any], read_only: bool
    ) -> None:
        try:
            text = " ".join(str(error).split())  # one line
        except Exception:  # noqa: BLE001 -- an exception whose __str__ fails still gets reported
            text = ""
        if len(text) > 160:
            text = text[:157] + "..."
        described = f"{type(error).__name__}: {text}" if text else type(error).__name__
        if read_only and "read-only" in text:
            self.add("mutation", READ_ONLY.format(error=described))
            return
        # One report per type of exception, with the message of its first occurrence.
        key = f"exception:{type(error).__name__}"
        failure = self.failures.setdefault(key, _Failure(described, error))
        failure.labels.append(label)
        first = next((a for a in args if isinstance(a, np.ndarray)), None)
        failure.one_d.append(first is not None and first.ndim == 1)
        failure.shapes.append(None if first is None else first.shape)
        self.problems.setdefault(key, None)

    def _failure_message(self, key: str) -> str:
        failure = self.failures[key]
        labels = _join(failure.labels, self.learner_calls)
        error, text = failure.error, failure.described
        if isinstance(error, SystemExit):
            return SYSTEM_EXIT.format(described=text, labels=labels)
        if isinstance(error, NotImplementedError):
            return PARTIAL.format(labels=labels)
        message = _("raised {error} for {inputs}").format(error=text, inputs=labels)
        one_d = any(failure.one_d) and self.batch_ran and self.one_d_hint
        if "out of bounds for array of dimension 1" in text:
            message = _hinted(
                message, _("use axis=-1, the class axis of a single vector and of a batch alike")
            )
        elif _transposed(text):
            from softmax_course.exercises.forward import TRANSPOSE_BROADCAST

            message = _hinted(message, TRANSPOSE_BROADCAST)
        elif _keepdims_lost(text):
            message = _hinted(
                message,
                _(
                    "the per-row values lost their axis: keep it with keepdims=True so that "
                    "they broadcast against the rows"
                ),
            )
        elif isinstance(error, AssertionError):
            shape = failure.shapes[0]
            if shape is None:
                rejected = _("an assert in your function rejected this input")
            else:
                rejected = _(
                    "an assert in your function rejected this input "
                    "(the first was an array of shape {shape})"
                ).format(shape=shape)
            message = _hinted(message, rejected)
            if one_d:
                message = _hinted(message, ONE_D)
        elif one_d:
            message = _hinted(message, ONE_D)
        return message


def _hinted(message: str, hint: str) -> str:
    """``message``, then a clause that explains it (each a whole sentence for translators)."""
    # TRANSLATORS: a diagnosis, then a clause that explains it (the separator between them).
    return _("{message}; {hint}").format(message=message, hint=hint)


def _join(labels: Sequence[str], total: int) -> str:
    """The inputs an exception affected, shortly: "a, b and 3 more inputs"."""
    unique = list(dict.fromkeys(translate(label) for label in labels))
    if len(labels) == total and total > 3:
        return ngettext(
            "every input tried ({total} call), the first {first}",
            "every input tried ({total} calls), the first {first}",
            total,
        ).format(total=total, first=unique[0])
    if len(unique) == 1:
        return unique[0]
    if len(unique) <= 3:
        # TRANSLATORS: {inputs} is a list of inputs, {last} the last one.
        return _("{inputs} and {last}").format(inputs=_listed(unique[:-1]), last=unique[-1])
    more = len(unique) - 3
    return ngettext(
        "{inputs} and {count} more inputs", "{inputs} and {count} more inputs", more
    ).format(inputs=_listed(unique[:3]), count=more)


def _listed(items: Sequence[str]) -> str:
    """``items`` as a list in words: "a, b, c" (the separator is the language's)."""
    text = items[0]
    for item in items[1:]:
        # TRANSLATORS: the separator of a list of inputs ("、" in Chinese and Japanese).
        text = _("{inputs}, {next}").format(inputs=text, next=item)
    return text


def _transposed(text: str) -> bool:
    """numpy's broadcasting error of ``x.T`` (all axes reversed) against ``x.max(axis=-1)``."""
    match = re.search(r"shapes \(([0-9, ]*)\) \(([0-9, ]*)\)", text)
    if match is None:
        return False
    a, b = (tuple(int(n) for n in part.replace(" ", "").split(",") if n) for part in match.groups())
    return len(a) >= 3 and a[::-1][:-1] == b


def _keepdims_lost(text: str) -> bool:
    """The broadcasting error of an (N, K) array against the (N,) result of a reduction."""
    match = re.search(r"shapes \(([0-9, ]*)\) \(([0-9, ]*)\)", text)
    if match is None:
        return False
    a, b = (tuple(int(n) for n in part.replace(" ", "").split(",") if n) for part in match.groups())
    return (len(a) >= 2 and b == a[:-1]) or (len(b) >= 2 and a == b[:-1])


def _lengths(value: Any) -> str | None:
    """The lengths of the rows of a ragged list or tuple, e.g. "1, 2", or None."""
    if not isinstance(value, list | tuple):
        return None
    lengths = []
    for row in value:
        try:
            lengths.append(str(len(row)))
        except TypeError:
            lengths.append(_("a number"))
    return ", ".join(dict.fromkeys(lengths))


def _run(
    checker: str,
    fn: object,
    battery: Callable[[_Session], None],
    *,
    hint: str | None = None,
    one_d_hint: bool = False,
) -> CheckReport:
    """Run the battery on ``fn`` in a child process where possible, else here.

    With ``fork`` (Linux), the whole battery runs in one forked child, which
    sends the report back through a pipe; the parent waits at most
    :data:`HARD_TIME_LIMIT` seconds and then kills the child. So learner code
    that swallows the time-limit signal (a bare ``except:`` in a loop), ends
    the process (``os._exit``) or crashes cannot hang or end the caller's
    session. Elsewhere the battery runs in this process, as before.
    """

    chosen = language()  # the caller's language, kept in the child (and in this thread)

    def here() -> CheckReport:
        with using_language(chosen):
            return _run_here(checker, fn, battery, hint=hint, one_d_hint=one_d_hint)

    if not _CAN_FORK or not callable(fn):
        return here()
    return _in_child(here, _Session(checker, fn).title)


#: Seconds the parent waits for the child that runs a whole battery before killing it:
#: the child stops the learner's function itself after TIME_BUDGET seconds, unless the
#: learner's code swallows that signal.
HARD_TIME_LIMIT = TIME_BUDGET + 5.0

HARD_STOP = N_(
    "your function kept running after the checker's time limit ({seconds:g} s) told it to "
    "stop, so the checker ended it after {hard:g} s and could check none of its results: a "
    "bare `except:` (or `except BaseException:`) in a loop swallows that signal; catch "
    "`except Exception:` instead, and make sure the loop ends"
)
ENDED = N_(
    "your function ended the process that ran it ({how}) before the checks were done: "
    "os._exit(), os.kill() or a crash in compiled code; the checker ran it in a separate "
    "process, so your session is unaffected; return the result instead"
)

# The child process is forked on Linux only: fork is unavailable on Windows, and on macOS
# system libraries (Accelerate, used by numpy's BLAS there) are not safe after fork.
_CAN_FORK = sys.platform.startswith("linux") and hasattr(os, "fork")


def _in_child(run: Callable[[], CheckReport], title: str) -> CheckReport:
    """``run()`` in a forked child; its report, or a report of how the child ended."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # Python >= 3.12 warns about fork in a threaded process
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: run the battery, send the outcome, never return
        os.close(read_end)
        status = 0
        try:
            try:
                outcome: tuple[str, Any] = ("report", run())
            except KeyboardInterrupt:
                outcome = ("interrupted", None)
            except BaseException as error:  # noqa: BLE001 -- a bug of the checker: re-raised
                outcome = ("error", error)
            try:
                data = pickle.dumps(outcome)
            except Exception:  # noqa: BLE001 -- an exception that cannot be pickled
                data = pickle.dumps(("error", RuntimeError(repr(outcome[1]))))
            for stream in (sys.stdout, sys.stderr):  # the learner's prints, before the report
                with suppress(Exception):
                    stream.flush()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        except BaseException:  # noqa: BLE001 -- the child must end here whatever happens
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        data, finished = _read_until(read_end, time.monotonic() + HARD_TIME_LIMIT)
    except BaseException:  # Ctrl-C while waiting: end the child, then let it through
        _kill(pid)
        raise
    finally:
        os.close(read_end)
    if not finished:
        _kill(pid)
        problem = HARD_STOP.format(seconds=TIME_BUDGET, hard=HARD_TIME_LIMIT)
        return CheckReport(title, passed=False, problems=[problem])
    status = _reap(pid)
    if not data:
        if os.WIFSIGNALED(status):
            signum = os.WTERMSIG(status)
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            how = _("signal {name}").format(name=signal.Signals(signum).name)
        else:
            how = _("exit code {code}").format(code=os.WEXITSTATUS(status))
        return CheckReport(title, passed=False, problems=[ENDED.format(how=how)])
    kind, value = pickle.loads(data)  # noqa: S301 -- written by our own child
    if kind == "interrupted":
        raise KeyboardInterrupt
    if kind == "error":
        raise value
    return value


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything written to ``fd`` until end of file; ``finished`` False at the deadline."""
    chunks: list[bytes] = []
    poller = select.poll()  # not select.select: a kernel may hold descriptors above 1024
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), False
        if not poller.poll(max(1, int(remaining * 1000))):
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def _reap(pid: int, seconds: float = 5.0) -> int:
    """The exit status of the child, which has closed its pipe; killed if it lingers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.001)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _run_here(
    checker: str,
    fn: object,
    battery: Callable[[_Session], None],
    *,
    hint: str | None = None,
    one_d_hint: bool = False,
) -> CheckReport:
    session = _Session(checker, fn, one_d_hint=one_d_hint)
    if not callable(fn):
        session.add(
            "callable",
            _(
                "expected a function; received {type} "
                "(pass the function itself, without calling it)"
            ).format(type=type(fn).__name__),
        )
        return session.report()
    _CURRENT.append(session)
    try:
        # The references and diagnoses may meet inf or NaN from the learner's answer.
        with np.errstate(all="ignore"):
            battery(session)
    except _NotImplemented:  # a battery can still give up explicitly
        pass
    finally:
        _CURRENT.pop()
    if session.only_not_implemented():
        problems = (
            [NOT_IMPLEMENTED]
            if hint is None
            else [NOT_IMPLEMENTED, _("hint: {hint}").format(hint=hint)]
        )
        return CheckReport(session.title, passed=False, problems=problems, checks=0)
    return session.report()


# --- softmax computed inside a learner's function: the shift ---------------------------

SPREAD_MEAN = N_(
    "overflow for {label}: the softmax inside your function subtracts the mean, not the "
    "maximum; for logits spread this far apart (such as [-1400, 700, 0]) x - mean(x) still "
    "has entries above 709 and exp overflows to inf; subtract each row's maximum, "
    "np.max(z, axis=-1, keepdims=True)"
)
SPREAD_NO_SHIFT = N_(
    "overflow for {label}: the softmax inside your function does not subtract the maximum, "
    "so exp(1000) is inf and inf/inf is NaN; subtract each row's maximum first "
    "(softmax(z - max(z)) equals softmax(z))"
)

#: Logits spread far apart: the mean of the first row is -233, so x - mean(x) reaches 933
#: and exp overflows; the second row overflows without any shift (exp(1000)), but not
#: after subtracting its mean (332). The maxima sit in different columns, so the NaN
#: pattern tells the two mistakes apart. x - max(x) handles both.
_SPREAD_ROWS = np.array([[-1400.0, 700.0, 0.0], [1000.0, 0.0, -5.0]])
_SPREAD_LABEL = N_("logits spread far apart, [[-1400, 700, 0], [1000, 0, -5]]")
#: (X, W, b) whose logits X @ W + b are those rows, and a third row in between.
_SPREAD_REGRESSION = (
    np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]),
    _SPREAD_ROWS.copy(),
    np.zeros(3),
)
_SPREAD_REGRESSION_LABEL = N_(
    "logits X @ W + b spread far apart, rows [-1400, 700, 0] and [1000, 0, -5]"
)


def _shifted_softmax(how: str) -> Callable[..., np.ndarray]:
    """A softmax shifted by the mean (``how="mean"``) or not at all (``"none"``)."""

    def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        shift = np.mean(z, axis=axis, keepdims=True) if how == "mean" else 0.0
        e = np.exp(z - shift)
        return e / np.sum(e, axis=axis, keepdims=True)

    return softmax


def _shift_inside(
    session: _Session,
    actual: np.ndarray,
    formula: Callable[..., np.ndarray],
    label: str,
) -> bool:
    """Diagnose inf or NaN in ``actual``, an answer computed from a softmax of spread logits.

    ``formula(softmax)`` is the right answer with ``softmax`` in place of the
    stable one: run with a mean-shifted and an unshifted softmax, it names the
    cause when ``actual`` reproduces one. Returns True when ``actual`` had inf
    or NaN (reported here), False when it is finite (nothing reported).
    """
    with np.errstate(all="ignore"):
        if np.all(np.isfinite(actual)):
            return False
    candidates = [
        (["spread_mean"], lambda: formula(_shifted_softmax("mean"))),
        (["spread_noshift"], lambda: formula(_shifted_softmax("none"))),
    ]
    causes, matching = _confirmed_causes(actual, candidates, np.dtype(np.float64))
    messages = {
        "spread_mean": SPREAD_MEAN.format(label=label),
        "spread_noshift": SPREAD_NO_SHIFT.format(label=label),
    }
    symptom = (
        f"nonfinite:{label}",
        _(
            "returned inf or NaN for {label}: {values}; every value should be finite "
            "(subtract each row's maximum before exponentiating)"
        ).format(label=label, values=_fmt(actual)),
    )
    session.add_causes(causes, matching, messages, symptom)
    return True


# --- inputs shared by the batteries ---------------------------------------------------

_VECTOR = np.array([3.0, 1.0, 0.2])

# The 3x4 scores of the seed thread: N != K, so the wrong axis shows.
_BATCH = np.array([[1.0, 2.0, 3.0, 6.0], [2.0, 4.0, 5.0, 6.0], [3.0, 8.0, 7.0, 6.0]])

_ONE_ROW = np.array([[1.0, 2.0, 3.0, 6.0]])

_SQUARE = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5], [4.0, -1.0, 0.0]])

_CUBE = np.round(np.random.default_rng(0).normal(size=(2, 3, 4)) * 2, 2)

_HUGE = np.array([1000.0, 5.0])
_HUGE_BATCH = np.array([[1000.0, 999.0, 998.0], [1000.0, 1.0, 0.0]])

_TINY = np.array([-1000.0, -1001.0, -1002.0])

_FAR_ROWS = np.array([[0.0, 1.0, 2.0], [-1000.0, -999.0, -998.0]])

_REPEATED = np.array([1.0, 1.0, 2.0])

_FLOAT32 = np.array([100.0, 0.0], dtype=np.float32)

_FLOAT32_BATCH = np.array([[3.0, 1.0, 0.2], [-2.0, 0.0, 2.0]], dtype=np.float32)

_INTEGERS = np.array([1, 2, 3])
# Logits spread far apart around a negative mean: x - mean(x) overflows, x - max(x) cannot.
_SPREAD = np.array([700.0, -1400.0])
# One dominant term: log(1 + e^-40) = 4e-18 rounds to 0 without log1p; both are accepted.
_DOMINANT = np.array([0.0, -40.0])
# More samples and classes than the small cases: N = 7, K = 12.
_WIDE = np.round(np.random.default_rng(12).normal(size=(7, 12)) * 3, 2)


def _float(session: _Session, result: np.ndarray, label: str) -> float | None:
    """The single number in ``result``, or None after noting that it is not one."""
    if result.size != 1:
        session.add(
            f"shape:{result.shape}:()",
            _("returned shape {shape} for {label}; expected a single number").format(
                shape=result.shape, label=label
            ),
        )
        return None
    if result.dtype.kind == "f" and result.dtype.itemsize < 8 and session.lower_dtype is None:
        # The single-number exercises all ask for float64 (their inputs are float64).
        low = _precision_name(result.dtype)
        session.lower_dtype = LOWER_DTYPE.format(
            low=low, label=label, low_digits=_DIGITS[low], asked="float64"
        )
    return float(result.reshape(()))


def _scalar_close(actual: float, expected: float) -> bool:
    return bool(np.isclose(actual, expected, rtol=1e-7, atol=1e-10))


def _as_array(value: Any) -> np.ndarray | None:
    """``np.asarray(value)``, or None for what numpy cannot turn into an array (ragged lists)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(value)
    except Exception:  # noqa: BLE001 -- whatever the learner returned, the check goes on
        return None


def _keep_precision(part: np.ndarray) -> np.ndarray:
    """``part`` as floats: integers and booleans become float64, floats keep their dtype."""
    return part.astype(np.float64) if part.dtype.kind in "iub" else part


def _pair(
    session: _Session, result: Any, template: str, label: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """The two real arrays of a returned pair, or None after noting what came back instead."""
    if isinstance(result, tuple | list) and len(result) == 2:
        first, second = (
            session.as_array(
                part, _("{label} (part {number} of the pair)").format(label=label, number=i + 1)
            )
            for i, part in enumerate(result)
        )
        if first is None or second is None:
            return None
        if first.dtype.kind in "fiub" and second.dtype.kind in "fiub":
            # float64 copies, judged as answers: a float32 part still counts as float32
            return (
                session.answer(_keep_precision(first)),
                session.answer(_keep_precision(second)),
            )
    what = (
        _("a {type} of length {length}").format(type=type(result).__name__, length=len(result))
        if isinstance(result, tuple | list)
        else f"{type(result).__name__}"
    )
    session.add("pair", template.format(what=what))
    return None
