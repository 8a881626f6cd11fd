"""Grading mode: scores with an exercise id and version, fresh inputs, a raise on failure.

Outside grading mode a checker only labels its report (exercise, version).
In grading mode (the environment variable ``SOFTMAX_COURSE_GRADING=1``, or the
``grading`` context manager) it also runs the inputs drawn at grading time
(``softmax_course.grading.fresh``) when the worked solutions are installed
(the instructor edition), and raises ``AssertionError`` with the report as its
message when the function does not pass, so nbgrader, otter-grader and pytest
count the check cell as failed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from softmax_course.exercises import _session
from softmax_course.exercises._session import CheckReport
from softmax_course.grading.fresh import fresh_battery
from softmax_course.grading.table import lookup

__all__ = ["Settings", "current", "finish", "grading", "references"]


@dataclass
class Settings:
    """What grading mode does (one set per process; ``grading`` changes it for a block)."""

    active: bool = False
    seed: int | None = None
    raise_on_failure: bool = True
    show_hidden: bool = False
    lesson: str | None = None
    exercise: str | None = None


def _from_environment() -> Settings:
    env = os.environ
    seed = env.get("SOFTMAX_COURSE_SEED", "").strip()
    return Settings(
        active=env.get("SOFTMAX_COURSE_GRADING", "").strip() not in ("", "0"),
        seed=int(seed) if seed else None,
        show_hidden=env.get("SOFTMAX_COURSE_SHOW_HIDDEN", "").strip() not in ("", "0"),
        lesson=env.get("SOFTMAX_COURSE_LESSON") or None,
    )


_STACK: list[Settings] = []
_REFERENCES: list[ModuleType | None] = []  # the worked solutions, loaded once


def current() -> Settings:
    """The settings in force: the innermost ``grading`` block, else the environment."""
    return _STACK[-1] if _STACK else _from_environment()


@contextmanager
def grading(
    seed: int | None = None,
    *,
    raise_on_failure: bool = True,
    show_hidden: bool = False,
    lesson: str | None = None,
    exercise: str | None = None,
) -> Iterator[Settings]:
    """Grading mode for the checker calls inside the block.

    Parameters
    ----------
    seed : int, optional
        The seed of the inputs drawn at grading time; drawn at random (and reported in
        every report's ``seed``) when not given.
    raise_on_failure : bool
        Raise ``AssertionError`` with the report as message when a check does not pass.
    show_hidden : bool
        Let the messages show the drawn inputs and their expected answers.
    lesson, exercise : str, optional
        The lesson (``"02"``) or the exercise id (``"02.my_softmax"``) being graded, when
        the function's name alone does not tell.

    Examples
    --------
    >>> from softmax_course.exercises import check_softmax
    >>> from softmax_course.grading import grading
    >>> def my_softmax(x):
    ...     raise NotImplementedError
    >>> with grading(seed=1):
    ...     check_softmax(my_softmax)
    Traceback (most recent call last):
    ...
    AssertionError: check_softmax(my_softmax): not passed
      - not implemented yet: replace `raise NotImplementedError` with your code, then run this check again
    """  # noqa: E501
    if seed is None:
        seed = secrets.randbelow(2**31)
    settings = Settings(True, seed, raise_on_failure, show_hidden, lesson, exercise)
    _STACK.append(settings)
    try:
        yield settings
    finally:
        _STACK.pop()


_PROCESS_SEED: list[int] = []  # the seed drawn once when the environment gives none


def references() -> ModuleType | None:
    """``softmax_course.solutions``, or None in the student edition (no worked solutions)."""
    if not _REFERENCES:
        try:
            from softmax_course import solutions
        except ImportError:
            solutions = None  # type: ignore[assignment]
        _REFERENCES.append(solutions if hasattr(solutions, "softmax_rowwise") else None)
    return _REFERENCES[0]


def finish(checker: str, fn: object, report: CheckReport) -> CheckReport:
    """Label ``report``; in grading mode add the fresh inputs and raise when it failed."""
    from softmax_course import __version__

    settings = current()
    name = getattr(fn, "__name__", None)
    entry = lookup(checker, name, settings.lesson)
    report.exercise = settings.exercise or (entry.id if entry else report.title)
    report.version = __version__
    if not settings.active:
        return report
    seed = settings.seed
    if seed is None:
        if not _PROCESS_SEED:
            _PROCESS_SEED.append(secrets.randbelow(2**31))
        seed = _PROCESS_SEED[0]
    report.seed = seed
    solutions = references()
    entry = entry or lookup(checker, None)  # a function of another name: the same inputs
    if entry is not None and entry.draw is not None and solutions is not None and report.score:
        reference = getattr(solutions, entry.reference) if entry.reference else None
        battery = fresh_battery(
            report.exercise, entry.draw, reference, seed, show_hidden=settings.show_hidden
        )
        _merge(report, _run_fresh(checker, fn, battery))
    if settings.raise_on_failure and not report.passed:
        raise AssertionError(str(report))
    return report


def _run_fresh(checker: str, fn: object, battery: Any) -> CheckReport:
    def here() -> CheckReport:
        return _session._run_here(checker, fn, battery)

    if not _session._CAN_FORK:
        return here()
    return _session._in_child(here, f"{checker}({getattr(fn, '__name__', '?')})")


def _merge(report: CheckReport, fresh: CheckReport) -> None:
    """One report: the problems of both, the score over the calls of both."""
    calls = report.checks + fresh.checks
    score = (
        (float(report.score or 0.0) * report.checks + float(fresh.score or 0.0) * fresh.checks)
        / calls
        if calls
        else 0.0
    )
    report.problems = report.problems + [p for p in fresh.problems if p not in report.problems]
    report.passed = report.passed and fresh.passed
    report.checks = calls
    report.score = 1.0 if report.passed else min(score, (calls - 1) / calls if calls else 0.0)
