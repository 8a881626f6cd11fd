"""Grade one submitted notebook in this process: ``python -m softmax_course.grading.worker``.

The batch grader (``softmax_course.grading.batch``) starts one such process per
submission, in an empty temporary folder that holds only a copy of the notebook.
How the learner's functions are found and checked:

1. The grader's own modules are imported first (numpy, the checkers, the worked
   solutions as references), and a snapshot is taken of their namespaces.
2. From every code cell, in order, only the top-level ``import`` statements, the
   ``def`` and ``class`` statements and assignments of a constant or a name
   (``EPS = 1e-12``, ``softmax = my_softmax``) are run (each cell with a time
   limit, its output discarded, its errors noted). The
   rest of the notebook, check calls included, is not run: the lesson's own
   demonstrations cost time, and a statement that replaces or patches a checker
   never runs. ``softmax_course.solutions`` cannot be imported by that code.
3. Every snapshot namespace is then restored (a checker, a numpy function or a
   builtin the code replaced is put back and the replacement is reported), and
   each exercise of the lesson is checked by the grader's checker in grading
   mode, the learner's function running in a child process as always
   (``softmax_course.exercises``). Results are written after each exercise,
   so that a crash of this process costs only the exercise being checked.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import io
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

import softmax_course
from softmax_course import exercises
from softmax_course.exercises import _session
from softmax_course.grading import mode
from softmax_course.grading.table import EXERCISES, Exercise

__all__ = ["guess_lesson", "learner_statements", "main"]

#: Seconds each code cell's definitions may take to run.
CELL_TIME_LIMIT = 10.0
#: The per-call and per-checker limits in grading (the lessons' inputs are small).
CALL_TIME_LIMIT = 2.0
TIME_BUDGET = 6.0

_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _literal(node: ast.AST) -> bool:
    """A literal constant, or a name or dotted name (``softmax = my_softmax``): no call."""
    while isinstance(node, ast.Attribute):
        node = node.value
    if isinstance(node, ast.Name):
        return True
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


#: Modules the lessons import for figures and widgets only: not imported while grading (they
#: cost seconds per submission); their names are bound to a placeholder module instead.
DISPLAY_ONLY = (
    "matplotlib",
    "ipywidgets",
    "IPython",
    "softmax_course.plotting",
    "softmax_course.widgets",
)


def _display_only(node: ast.stmt) -> bool:
    """An import of display-only modules (and of nothing else)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        package = node.module == "softmax_course"
        names = [f"{node.module}.{a.name}" for a in node.names] if package else [node.module]
    else:
        return False
    return all(any(n == m or n.startswith(m + ".") for m in DISPLAY_ONLY) for n in names)


def _placeholders(node: ast.stmt) -> list[str]:
    """The names a skipped display-only import would have bound."""
    if isinstance(node, ast.Import):
        return [a.asname or a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names if a.name != "*"]
    return []


def learner_statements(source: str) -> ast.Module | None:
    """The statements of a cell the grader runs (imports, defs, classes, constants, aliases)."""
    lines = [
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    ]  # IPython magics and shell escapes are not Python
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    body: list[ast.stmt] = [
        node
        for node in tree.body
        if isinstance(node, _KEPT)
        or (
            isinstance(node, ast.Assign)
            and all(isinstance(t, ast.Name) for t in node.targets)
            and _literal(node.value)
        )
    ]
    return ast.Module(body=body, type_ignores=[])


def _defined(source: str) -> set[str]:
    module = learner_statements(source)
    if module is None:
        return set()
    return {
        node.name
        for node in module.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def guess_lesson(cells: list[str], filename: str = "") -> str | None:
    """The lesson of the file name's first two digits if it defines one of its exercise
    functions, else the lesson whose exercise functions it defines most."""
    names = set().union(*(_defined(c) for c in cells)) if cells else set()
    counts: dict[str, int] = {}
    for exercise in EXERCISES:
        counts[exercise.lesson] = counts.get(exercise.lesson, 0) + (exercise.function in names)
    stem = Path(filename).name[:2]
    if counts.get(stem):  # a lesson's file name ("03_numerical_stability.ipynb") decides
        return stem
    best = max(counts.values(), default=0)
    tied = sorted(lesson for lesson, n in counts.items() if n == best)
    return tied[0] if best else (stem if stem in counts else None)


# --- the grader's own namespaces, and putting them back ----------------------------------


def _watched() -> dict[str, types.ModuleType]:
    """The namespaces the checkers read: the package's modules, numpy's and scipy.special's
    top level, builtins, math, os and sys (the few where a replaced function changes a
    verdict; numpy's hundreds of private modules are not watched, to keep calls cheap)."""
    found = {
        name: module
        for name, module in list(sys.modules.items())
        if isinstance(module, types.ModuleType)
        and (name.split(".")[0] == "softmax_course" or name in ("numpy", "scipy.special"))
    }
    for module in (builtins, np, __import__("math"), os, sys):
        found[module.__name__] = module
    return found


def _snapshot() -> dict[str, tuple[types.ModuleType, dict[str, Any], dict[str, Any]]]:
    """Each watched module, its functions, classes and submodules, and their code.

    Data (locks, caches, counters) is left out: modules change it legitimately.
    """
    shots = {}
    for name, module in _watched().items():
        space = {
            k: v
            for k, v in vars(module).items()
            if callable(v) or isinstance(v, types.ModuleType) or k in _PROTECTED
        }
        codes = {k: v.__code__ for k, v in space.items() if isinstance(v, types.FunctionType)}
        shots[name] = (module, space, codes)
    return shots


_PROTECTED = {"modules", "path", "meta_path", "path_hooks", "stdout", "stderr", "stdin"}


def _restore(
    shots: dict[str, tuple[types.ModuleType, dict[str, Any], dict[str, Any]]],
) -> list[str]:
    """Put every snapshot namespace back; the names that had been changed."""
    changed = []
    for name, (module, space, codes) in shots.items():
        if sys.modules.get(name) is not module and name != "softmax_course.solutions":
            sys.modules[name] = module
            changed.append(f"sys.modules[{name!r}]")
        current = vars(module)
        for key, value in space.items():
            if name == "sys" and key not in _PROTECTED:
                continue
            if key.startswith("__") and key != "__import__":
                continue
            if current.get(key, _MISSING) is not value:
                with contextlib.suppress(AttributeError, TypeError):
                    setattr(module, key, value)
                    changed.append(f"{name}.{key}")
        for key, code in codes.items():
            function = space[key]
            if function.__code__ is not code:
                function.__code__ = code
                changed.append(f"{name}.{key}.__code__")
    return changed


_MISSING = object()

TAMPERED = (
    "your function replaced {names} of the grader while it ran; the grader put them back "
    "and counts this call as failed"
)


def _put_back(session: Any, shots: dict[str, Any]) -> None:
    """After a call of the learner's function: undo what it replaced, and say so."""
    changed = _restore(shots)
    if changed:
        session.add("tampering", TAMPERED.format(names=", ".join(sorted(set(changed))[:5])))


# --- running the submission's definitions -------------------------------------------------


def _run_cells(cells: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Run each cell's definitions in one namespace; the namespace and the cells that failed."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    failed = []
    sink = io.StringIO()
    for number, source in enumerate(cells, start=1):
        module = learner_statements(source)
        if module is None:
            failed.append(f"code cell {number}: not valid Python (not run)")
            continue
        for node in [n for n in module.body if _display_only(n)]:
            module.body.remove(node)
            for name in _placeholders(node):
                namespace[name] = types.ModuleType(name, "not imported while grading")
        if not module.body:
            continue
        try:
            code = compile(module, f"<code cell {number}>", "exec")
            with (
                contextlib.redirect_stdout(sink),
                contextlib.redirect_stderr(sink),
                _session._time_limit(CELL_TIME_LIMIT),
            ):
                exec(code, namespace)  # noqa: S102 -- the learner's definitions, by design
        except _session._TimeUp:
            failed.append(
                f"code cell {number}: its definitions took more than {CELL_TIME_LIMIT:g} s"
            )
        except BaseException as error:  # noqa: BLE001 -- a broken cell costs only itself
            failed.append(f"code cell {number}: {type(error).__name__}: {error}"[:300])
        sink.seek(0)
        sink.truncate()
    return namespace, failed


def _code_cells(path: Path) -> list[str]:
    """The sources of the notebook's code cells (ValueError when it is not a notebook)."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook["cells"]
        return [
            "".join(c["source"]) if isinstance(c["source"], list) else str(c["source"])
            for c in cells
            if c.get("cell_type") == "code"
        ]
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise ValueError(f"not a readable notebook: {type(error).__name__}: {error}") from error


def _write(out: Path, result: dict[str, Any]) -> None:
    partial = out.with_suffix(".partial")
    partial.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    partial.replace(out)


def _compile_first(fn: Any) -> None:
    """Call a numba function once per float dtype, so that its checks do not time compilation.

    A numba dispatcher (it has ``py_func``) compiles on its first call for each
    dtype, which can take longer than :data:`CALL_TIME_LIMIT` on a busy machine;
    compiled here, in the worker, the checker's forked child inherits the
    machine code. The calls have :data:`CELL_TIME_LIMIT`; what they return or
    raise is ignored (the checks judge the function). Other functions are left alone.
    """
    if not hasattr(fn, "py_func"):
        return
    for dtype in (np.float64, np.float32):
        try:
            with _session._time_limit(CELL_TIME_LIMIT), np.errstate(all="ignore"):
                fn(np.zeros((1, 2), dtype=dtype))
        except (Exception, _session._TimeUp):  # noqa: BLE001 -- judged by the checks instead
            return


def _grade(exercise: Exercise, fn: Any, seed: int, show_hidden: bool) -> dict[str, Any]:
    checker = getattr(exercises, exercise.checker)
    _compile_first(fn)
    with mode.grading(seed, raise_on_failure=False, show_hidden=show_hidden, exercise=exercise.id):
        report = checker(fn, **exercise.kwargs)
    return {
        "title": report.title,
        "passed": report.passed,
        "score": float(report.score or 0.0),
        "problems": list(report.problems),
        "checks": report.checks,
    }


def grade_notebook(
    path: Path,
    out: Path,
    *,
    seed: int,
    lesson: str | None = None,
    only: list[str] | None = None,
    show_hidden: bool = False,
) -> dict[str, Any]:
    """Grade the notebook at ``path``; results written to ``out`` after each exercise."""
    result: dict[str, Any] = {
        "status": "graded",
        "version": softmax_course.__version__,
        "seed": seed,
        "lesson": lesson,
        "exercises": {},
        "cells": [],
        "tampering": [],
        "current": None,
    }
    try:
        cells = _code_cells(path)
    except ValueError as error:
        result.update(status="broken", error=str(error))
        _write(out, result)
        return result
    lesson = lesson or guess_lesson(cells, path.name)
    result["lesson"] = lesson
    mode.references()  # the worked solutions, loaded before the learner's code runs
    _session.CALL_TIME_LIMIT, _session.TIME_BUDGET = CALL_TIME_LIMIT, TIME_BUDGET
    solutions = sys.modules.pop("softmax_course.solutions", None)
    if solutions is not None and hasattr(softmax_course, "solutions"):
        delattr(softmax_course, "solutions")
    sys.modules["softmax_course.solutions"] = None  # type: ignore[assignment]
    shots = _snapshot()
    _write(out, {**result, "current": "(the notebook's definitions)"})
    _session.AFTER_CALL.append(lambda session: _put_back(session, shots))
    namespace, result["cells"] = _run_cells(cells)
    result["tampering"] = sorted(set(_restore(shots)))
    for exercise in (e for e in EXERCISES if e.lesson == lesson):
        if only is not None and exercise.id not in only:
            continue
        _write(out, {**result, "current": exercise.id})
        fn = namespace.get(exercise.function)
        if fn is None:
            result["exercises"][exercise.id] = {
                "title": f"{exercise.checker}({exercise.function})",
                "passed": False,
                "score": 0.0,
                "problems": [f"the notebook defines no function named {exercise.function}"],
                "checks": 0,
            }
        else:
            result["exercises"][exercise.id] = _grade(exercise, fn, seed, show_hidden)
        result["tampering"] = sorted(set(result["tampering"]) | set(_restore(shots)))
    result["current"] = None
    _write(out, result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m softmax_course.grading.worker")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--lesson")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--show-hidden", action="store_true")
    args = parser.parse_args(argv)
    grade_notebook(
        args.notebook,
        args.out,
        seed=args.seed,
        lesson=args.lesson,
        only=args.only,
        show_hidden=args.show_hidden,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
