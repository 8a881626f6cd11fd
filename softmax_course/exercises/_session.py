"""The machinery of the exercise checkers: run a learner's function safely, build the report.

A checker hands a battery of inputs to a :class:`_Session`, which calls the
learner's function on copies of them and collects one message per distinct
problem; :func:`_run` turns the session into a :class:`CheckReport`. The
inputs shared by several batteries are defined here too.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NOT_IMPLEMENTED = (
    "not implemented yet: replace `raise NotImplementedError` with your code, "
    "then run this check again"
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

__all__ = [
    "CheckReport",
    "MUTATION",
    "NOT_IMPLEMENTED",
    "READ_ONLY",
]


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
