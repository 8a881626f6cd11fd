"""A generated class of lesson-03 submissions, each with the score it must get.

Kinds: the worked solutions, the untouched stubs, every known mistake of the
softmax and log-softmax exercises (the pitfalls module and the seed threads), an
endless loop, a loop that swallows the stop signal, ``os._exit``, a function
that kills the grader's process, checkers replaced or numpy patched in the
notebook or during the call, an answer hard-coded to the checker's fixed
inputs, and a broken notebook. ``expected`` says per exercise what the grader
must give: ``1.0``, ``0.0`` or ``"<1"`` (not passed).
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softmax_course import pitfalls, solutions
from softmax_course.exercises import check_log_softmax, check_softmax

LESSON = Path(__file__).parent.parent / "notebooks" / "03_numerical_stability.ipynb"
IMPORTS = (
    "import os\nimport signal\nimport numpy as np\nimport scipy.special\n"
    "from softmax_course import exercises\nfrom softmax_course.core import softmax as _softmax\n\n"
)
CHECKS = {
    "log_softmax": "exercises.check_log_softmax(log_softmax)",
    "softmax": "exercises.check_softmax(softmax)",
    "largest_finite_exp_input": (
        "exercises.check_largest_finite_exp_input(largest_finite_exp_input)"
    ),
}
IDS = {"log_softmax": "03.log_softmax", "softmax": "03.softmax",
       "largest_finite_exp_input": "03.largest_finite_exp_input"}  # fmt: skip


def _source(fn: Callable[..., Any], name: str) -> str:
    source = textwrap.dedent(inspect.getsource(fn))
    return re.sub(r"^def \w+\(", f"def {name}(", source, count=1, flags=re.M)


SOLVED = {
    "log_softmax": _source(solutions.log_softmax_stable, "log_softmax"),
    "softmax": _source(solutions.softmax_rowwise, "softmax"),
    "largest_finite_exp_input": _source(
        solutions.largest_finite_exp_input, "largest_finite_exp_input"
    ),
}

LOOP = "def softmax(z):\n    while True:\n        pass\n"
SWALLOW = (
    "def softmax(z):\n    while True:\n        try:\n            while True:\n"
    "                pass\n        except BaseException:\n            pass\n"
)
EXIT = "def softmax(z):\n    os._exit(3)\n"
KILL_GRADER = "def softmax(z):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return z\n"
TAMPER_CELL = (
    "exercises.check_softmax = lambda fn: 'passed'\n"
    "exercises.check_log_softmax = lambda fn: 'passed'\n"
    "np.allclose = lambda *a, **k: True\n\n"
    "class Sneaky:\n    import numpy\n    numpy.allclose = lambda *a, **k: True\n"
    "    import softmax_course.exercises._session as s\n    s._close = lambda *a, **k: True\n\n"
)
TAMPER_DURING_CALL = (
    "def softmax(z):\n    import numpy\n    import softmax_course.exercises._session as s\n"
    "    numpy.allclose = lambda *a, **k: True\n    s._close = lambda *a, **k: True\n"
    "    return np.exp(z) / np.sum(np.exp(z), axis=0)\n"
)
HARD_CODED = (
    "def softmax(z):\n    z = np.asarray(z, dtype=np.float64)\n"
    "    from softmax_course.exercises import _session as s\n"
    "    for v in vars(s).values():\n"
    "        if isinstance(v, np.ndarray) and v.shape == z.shape and np.array_equal(v, z):\n"
    "            e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
    "            return e / e.sum(axis=-1, keepdims=True)\n"
    "    return np.full(z.shape, 1.0 / z.shape[-1])\n"
)
FROM_SOLUTIONS = (
    "def softmax(z):\n    from softmax_course import solutions\n"
    "    return solutions.softmax_rowwise(z)\n"
)


def _mistakes() -> list[tuple[str, str, str]]:
    """(kind, exercise function, source) of every known wrong softmax and log-softmax."""
    from tests.exercise_learners import PITFALLS
    from tests.test_exercises_threads import NAMED

    found = []
    for checker, fn, _ in PITFALLS:
        if checker in (check_softmax, check_log_softmax):
            name = "softmax" if checker is check_softmax else "log_softmax"
            found.append((f"pitfall-{fn.__name__}", name, _source(fn, name)))
    for _case, checker, fn, _ in NAMED:
        if checker is check_softmax:
            found.append((f"thread-{fn.__name__}", "softmax", _source(fn, "softmax")))
    assert {p.__name__ for p in [pitfalls.softmax_without_max_shift]} <= {
        k.removeprefix("pitfall-") for k, _, _ in found
    }
    return found


def _notebook(functions: dict[str, str], extra: str = "") -> dict[str, Any]:
    """Lesson 03 with its exercise cells replaced by ``functions`` (name -> source)."""
    notebook = json.loads(LESSON.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        for name, body in functions.items():
            if re.search(rf"^def {name}\(", source, flags=re.M) and CHECKS[name] in source:
                cell["source"] = IMPORTS + extra + body + "\n\n" + CHECKS[name] + "\n"
                cell["outputs"] = []
    return notebook


def make_class(folder: Path, size: int = 120) -> dict[str, dict[str, Any]]:
    """Write ``size`` submissions into ``folder``; the expected score of each exercise."""
    folder.mkdir(parents=True, exist_ok=True)
    solved = dict(SOLVED)
    kinds: list[tuple[str, dict[str, str] | None, str, dict[str, Any]]] = [
        ("correct", solved, "", {"*": 1.0}),
        ("stub", {}, "", {"*": 0.0}),
        ("endless_loop", {**solved, "softmax": LOOP}, "", {"*": 1.0, "softmax": 0.0}),
        ("swallowed_stop", {**solved, "softmax": SWALLOW}, "", {"*": 1.0, "softmax": 0.0}),
        ("os_exit", {**solved, "softmax": EXIT}, "", {"*": 1.0, "softmax": 0.0}),
        ("kills_grader", {**solved, "softmax": KILL_GRADER}, "", {"*": 1.0, "softmax": 0.0}),
        ("tampered_notebook_correct", solved, TAMPER_CELL, {"*": 1.0}),
        (
            "tampered_notebook_wrong",
            {**solved, "softmax": _source(pitfalls.softmax_over_axis0, "softmax")},
            TAMPER_CELL,
            {"*": 1.0, "softmax": "<1"},
        ),
        (
            "tampered_during_call",
            {**solved, "softmax": TAMPER_DURING_CALL},
            "",
            {"*": 1.0, "softmax": "<1"},
        ),
        ("hard_coded", {**solved, "softmax": HARD_CODED}, "", {"*": 1.0, "softmax": "<1"}),
        ("uses_solutions", {**solved, "softmax": FROM_SOLUTIONS}, "", {"*": 1.0, "softmax": 0.0}),
        ("broken_notebook", None, "", {"*": 0.0, "status": "broken"}),
    ]
    for kind, name, source in _mistakes():
        kinds.append((kind, {**solved, name: source}, "", {"*": 1.0, name: "<1"}))
    expected: dict[str, dict[str, Any]] = {}
    for i in range(size):
        kind, functions, extra, scores = kinds[i % len(kinds)]
        student = f"s{i:03d}_{kind}"
        path = folder / f"{student}.ipynb"
        if functions is None:
            path.write_text('{"cells": [', encoding="utf-8")
        else:
            path.write_text(json.dumps(_notebook(functions, extra)), encoding="utf-8")
        expected[student] = {
            "kind": kind,
            "status": scores.get("status", "graded"),
            **{IDS[n]: scores.get(n, scores["*"]) for n in CHECKS},
        }
    return expected


def mismatches(csv_path: Path, expected: dict[str, dict[str, Any]]) -> list[str]:
    """Each graded score that is not the expected one, in words (empty: all as expected)."""
    import csv

    with csv_path.open(encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    wrong = []
    for student, want in expected.items():
        row = rows.get(student)
        if row is None:
            wrong.append(f"{student}: no row")
            continue
        if row["status"] != want["status"]:
            wrong.append(f"{student}: status {row['status']!r}, expected {want['status']!r}")
        for exercise in IDS.values():
            got = float(row[exercise] or 0.0)
            target = want[exercise]
            ok = got < 1.0 if target == "<1" else got == target
            if not ok:
                wrong.append(f"{student}: {exercise} scored {got}, expected {target}")
    return wrong
