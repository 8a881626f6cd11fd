"""Batch grading: ``python -m softmax_course grade SUBMISSIONS`` (a folder or a zip of notebooks).

Each notebook is one submission, graded by ``softmax_course.grading.worker``
in its own process, in its own empty temporary folder, with the same seed for
the whole class. Several run at once (``--jobs``). A worker that makes no
progress for ``--timeout`` seconds is killed with every process it started;
a worker that ends early (killed, crashed, ``os._exit`` in a class body) is
started again for the exercises not yet graded, the one it was checking
scored 0 with the reason. So an endless loop, a crash or a broken notebook
costs only the affected exercise or submission, never the batch.

Written into ``--out``:

``grades.csv``
    One row per submission: ``student``, ``lesson``, ``status``, ``seed``, one
    column per exercise (its score, 0 to 1), ``total``, one empty
    ``manual:<id>`` column per discussion exercise of the lesson (the teacher
    fills in 0 to its points), and ``notes``.
``results/<student>.json``
    Gradescope's autograder format (``tests`` with ``score``, ``max_score``,
    ``output``, ``status``), the seed, version and score rule in ``extra_data``.
``feedback/<student>.md``
    The checkers' messages per exercise, for the student (drawn inputs hidden
    unless ``--show-hidden``).
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from softmax_course.grading import SCORE_RULE
from softmax_course.grading.table import DISCUSSIONS, EXERCISES

__all__ = ["Submission", "collect", "grade_all", "run", "write_outputs"]


@dataclass
class Submission:
    """One notebook to grade, and what its worker reported."""

    student: str
    path: Path
    result: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _student(relative: Path) -> str:
    parts = [*relative.parent.parts, relative.stem]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "__".join(p for p in parts if p not in ("", ".")))


def collect(source: Path, workdir: Path) -> list[Submission]:
    """The notebooks of a folder or a zip (extracted into ``workdir``), sorted by student."""
    if source.is_file() and zipfile.is_zipfile(source):
        folder = workdir / "submissions"
        with zipfile.ZipFile(source) as archive:
            for member in archive.infolist():
                name = Path(member.filename)
                if member.is_dir() or name.suffix != ".ipynb" or "__MACOSX" in name.parts:
                    continue
                safe = Path(*[p for p in name.parts if p not in ("..", "/", "")])  # no escape
                target = folder / safe
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as data:
                    target.write_bytes(data.read(50 * 2**20))
        source = folder
    if not source.is_dir():
        raise ValueError(
            f"SUBMISSIONS must be a folder or a zip of .ipynb files; received {str(source)!r}"
        )
    paths = sorted(
        p for p in source.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file()
    )
    # the folders all submissions share (a zip's top folder) are not part of the names
    base = Path(os.path.commonpath([p.parent for p in paths])) if paths else source
    submissions = [Submission(_student(p.relative_to(base)), p) for p in paths]
    seen: dict[str, int] = {}
    for s in submissions:  # two notebooks that map to one name keep both
        seen[s.student] = seen.get(s.student, 0) + 1
        if seen[s.student] > 1:
            s.student += f"_{seen[s.student]}"
    return submissions


@dataclass
class _Running:
    submission: Submission
    process: subprocess.Popen[bytes]
    folder: Path
    out: Path
    last_change: float
    only: list[str] | None
    attempts: int


def _start(
    submission: Submission,
    *,
    seed: int,
    lesson: str | None,
    only: list[str] | None,
    show_hidden: bool,
    attempts: int,
) -> _Running:
    folder = Path(tempfile.mkdtemp(prefix="softmax-grade-"))
    name = submission.path.name  # kept: a lesson's file name tells the lesson
    notebook = folder / (name if re.fullmatch(r"[\w.-]+\.ipynb", name) else "submission.ipynb")
    shutil.copyfile(submission.path, notebook)
    out = folder / "result.json"
    command = [sys.executable, "-m", "softmax_course.grading.worker", str(notebook), str(out)]
    command += ["--seed", str(seed)]
    if lesson:
        command += ["--lesson", lesson]
    if only is not None:
        command += ["--only", *only]
    if show_hidden:
        command.append("--show-hidden")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFTMAX_COURSE_")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", HOME=str(folder))
    process = subprocess.Popen(  # noqa: S603 -- our own worker module
        command,
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: killed with every child it forked
    )
    return _Running(submission, process, folder, out, time.monotonic(), only, attempts)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _read(out: Path) -> dict[str, Any]:
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _absorb(run: _Running, how: str) -> list[str] | None:
    """Merge a finished (or stopped) worker's results; the exercises left to grade, if any."""
    data = _read(run.out)
    shutil.rmtree(run.folder, ignore_errors=True)
    result = run.submission.result
    if not result:
        result.update({k: v for k, v in data.items() if k != "exercises"}, exercises={})
    result["exercises"].update(data.get("exercises", {}))
    if data.get("cells"):
        result["cells"] = data["cells"]
    if data.get("tampering"):
        result["tampering"] = sorted(set(result.get("tampering", [])) | set(data["tampering"]))
    if how == "done" and data.get("current") is None and data:
        return None
    current = data.get("current")
    lesson = result.get("lesson")
    if not data or lesson is None:
        result.setdefault("status", "crashed")
        if not data:
            result["status"] = "crashed"
        run.submission.notes.append(f"the grader's process {how} before it read the notebook")
        return None
    if current in (None, "(the notebook's definitions)"):
        run.submission.notes.append(f"the grader's process {how} while running the definitions")
        result["status"] = "crashed"
        return None
    result["exercises"][current] = {
        "title": current,
        "passed": False,
        "score": 0.0,
        "problems": [
            f"the grader's process {how} while checking this exercise "
            "(the function ended or blocked the process that checked it): scored 0"
        ],
        "checks": 0,
    }
    run.submission.notes.append(f"{current}: the grader's process {how}")
    todo = [e.id for e in EXERCISES if e.lesson == lesson and e.id not in result["exercises"]]
    return todo or None


def grade_all(
    submissions: Sequence[Submission],
    *,
    seed: int,
    jobs: int = 2,
    timeout: float = 60.0,
    lesson: str | None = None,
    show_hidden: bool = False,
) -> None:
    """Grade every submission, ``jobs`` at a time; results into each ``submission.result``."""
    queue: list[tuple[Submission, list[str] | None, int]] = [(s, None, 0) for s in submissions]
    queue.reverse()
    running: list[_Running] = []
    while queue or running:
        while queue and len(running) < jobs:
            submission, only, attempts = queue.pop()
            running.append(
                _start(
                    submission,
                    seed=seed,
                    lesson=lesson or submission.result.get("lesson"),
                    only=only,
                    show_hidden=show_hidden,
                    attempts=attempts,
                )
            )
        time.sleep(0.05)
        for run in list(running):
            now = time.monotonic()
            with_progress = run.out.exists() and run.out.stat().st_mtime
            if with_progress and with_progress > time.time() - (now - run.last_change):
                run.last_change = now
            code = run.process.poll()
            if code is None and now - run.last_change <= timeout:
                continue
            if code is None:
                _kill_group(run.process)
                how = f"made no progress for {timeout:g} s and was stopped"
            elif code == 0:
                _kill_group(run.process)  # a child it left behind
                how = "done"
            else:
                _kill_group(run.process)
                how = f"ended early (exit status {code})"
            running.remove(run)
            todo = _absorb(run, how)
            if todo and run.attempts < len(EXERCISES):
                queue.append((run.submission, todo, run.attempts + 1))


# --- the outputs ---------------------------------------------------------------------------


def _columns(submissions: Sequence[Submission]) -> tuple[list[str], list[str]]:
    lessons = {s.result.get("lesson") for s in submissions}
    auto = [e.id for e in EXERCISES if e.lesson in lessons]
    manual = [d.id for d in DISCUSSIONS if d.lesson in lessons]
    return auto, manual


def _lesson_ids(lesson: str | None) -> list[str]:
    return [e.id for e in EXERCISES if e.lesson == lesson]


def write_outputs(submissions: Sequence[Submission], out: Path, *, seed: int) -> Path:
    """grades.csv, results/*.json and feedback/*.md; returns the CSV's path."""
    from softmax_course import __version__

    out.mkdir(parents=True, exist_ok=True)
    (out / "results").mkdir(exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    auto, manual = _columns(submissions)
    path = out / "grades.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "student",
                "lesson",
                "status",
                "seed",
                *auto,
                "total",
                *(f"manual:{m}" for m in manual),
                "notes",
            ]
        )
        for s in submissions:
            result = s.result
            scores = {k: v.get("score", 0.0) for k, v in result.get("exercises", {}).items()}
            own = _lesson_ids(result.get("lesson"))
            row = [f"{scores.get(e, 0.0):.4f}" if e in own else "" for e in auto]
            total = sum(scores.get(e, 0.0) for e in own)
            notes = s.notes + _notes(result)
            writer.writerow(
                [
                    s.student,
                    result.get("lesson") or "",
                    result.get("status", "crashed"),
                    seed,
                    *row,
                    f"{total:.4f}",
                    *("" for _ in manual),
                    "; ".join(notes),
                ]
            )
            _results_json(s, out / "results" / f"{s.student}.json", seed, __version__)
            _feedback(s, out / "feedback" / f"{s.student}.md", seed, __version__)
    (out / "grading.json").write_text(
        json.dumps({"seed": seed, "version": __version__, "score_rule": SCORE_RULE}, indent=1),
        encoding="utf-8",
    )
    return path


def _notes(result: dict[str, Any]) -> list[str]:
    notes = []
    if result.get("error"):
        notes.append(str(result["error"]))
    if result.get("tampering"):
        notes.append("replaced and restored by the grader: " + ", ".join(result["tampering"]))
    notes += list(result.get("cells", []))
    return notes


def _results_json(s: Submission, path: Path, seed: int, version: str) -> None:
    result = s.result
    tests: list[dict[str, Any]] = []
    for exercise_id in _lesson_ids(result.get("lesson")):
        graded = result.get("exercises", {}).get(exercise_id)
        problems = graded["problems"] if graded else ["not graded"]
        score = graded["score"] if graded else 0.0
        tests.append(
            {
                "name": exercise_id,
                "score": round(score, 4),
                "max_score": 1.0,
                "status": "passed" if graded and graded["passed"] else "failed",
                "output": "\n".join(problems) if problems else "passed",
                "visibility": "visible",
            }
        )
    manual = [d.id for d in DISCUSSIONS if d.lesson == result.get("lesson")]
    payload = {
        "score": round(sum(t["score"] for t in tests), 4),
        "output": "; ".join(s.notes + _notes(result)) or "graded",
        "tests": tests,
        "extra_data": {
            "seed": seed,
            "version": version,
            "score_rule": SCORE_RULE,
            "status": result.get("status", "crashed"),
            "graded_by_hand": manual,
        },
    }
    path.write_text(json.dumps(payload, indent=1), encoding="utf-8")


def _feedback(s: Submission, path: Path, seed: int, version: str) -> None:
    result = s.result
    lines = [f"# Feedback: {s.student}", ""]
    lines.append(
        f"Lesson {result.get('lesson') or '?'}, graded by softmax_course {version} "
        f"(seed {seed}). Score rule: {SCORE_RULE}."
    )
    lines.append("")
    if result.get("status") == "broken":
        lines += ["The notebook could not be read: " + str(result.get("error", "")), ""]
    for exercise_id in _lesson_ids(result.get("lesson")):
        graded = result.get("exercises", {}).get(exercise_id)
        score = graded["score"] if graded else 0.0
        lines.append(f"## {exercise_id}: {score:.2f} of 1")
        lines.append("")
        if graded and graded["passed"]:
            lines.append("Passed.")
        else:
            problems = graded["problems"] if graded else ["not graded"]
            lines += [f"- {p}" for p in problems]
        lines.append("")
    for d in DISCUSSIONS:
        if d.lesson == result.get("lesson"):
            lines += [f"## {d.id}: graded by your teacher (0 to {d.points:g})", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def run(
    source: Path,
    out: Path,
    *,
    seed: int | None = None,
    jobs: int | None = None,
    timeout: float = 60.0,
    lesson: str | None = None,
    show_hidden: bool = False,
) -> Path:
    """Grade ``source`` into ``out``; returns the CSV's path (the seed is drawn when not given)."""
    seed = secrets.randbelow(2**31) if seed is None else seed
    with tempfile.TemporaryDirectory(prefix="softmax-grade-") as work:
        submissions = collect(source, Path(work))
        grade_all(
            submissions,
            seed=seed,
            jobs=jobs or max(1, os.cpu_count() or 1),
            timeout=timeout,
            lesson=lesson,
            show_hidden=show_hidden,
        )
        return write_outputs(submissions, out, seed=seed)
