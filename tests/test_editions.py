"""The student and instructor editions (scripts/editions.py, `make student`/`make instructor`):
no worked solution reaches the student copy, which still passes strict nbval."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from softmax_course import solutions
from softmax_course.grading.rubrics import RUBRICS

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("editions", REPO / "scripts" / "editions.py")
assert _spec and _spec.loader
editions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(editions)

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    return editions.build("student", tmp_path_factory.mktemp("ed") / "student")


@pytest.fixture(scope="module")
def instructor(tmp_path_factory):
    return editions.build("instructor", tmp_path_factory.mktemp("ed") / "instructor")


def _texts(root: Path):
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".txt", ".toml", ".cfg"):
            yield path, path.read_text(encoding="utf-8")


def _solution_blocks() -> list[str]:
    """The bodies of the lessons' Solution blocks and their worked-solution lines (from git)."""
    found = []
    code = ""  # the lessons' code cells: a stub's signature is not solution text
    for lesson in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(lesson.read_text(encoding="utf-8"))["cells"]:
            text = "".join(cell["source"])
            if cell["cell_type"] != "markdown":
                code += text
                continue
            for block in re.findall(r"<summary>Solution</summary>(.*?)</details>", text, re.S):
                found += [line.strip() for line in block.splitlines() if len(line.strip()) > 40]
            found += [line for line in text.splitlines() if "Worked solution" in line]
    return [line for line in found if line not in code]


def _body(obj) -> str:
    """The statements of a function or class after its docstring, whitespace-normalized."""
    source = textwrap.dedent(inspect.getsource(obj))
    node = ast.parse(source).body[0]
    statements = node.body
    if statements and isinstance(statements[0], ast.Expr):
        statements = statements[1:]  # the docstring
    return " ".join(" ".join(ast.get_source_segment(source, s).split()) for s in statements)


def test_no_solution_text_or_function_reaches_the_student_edition(student):
    assert not (student / "softmax_course" / "solutions.py").exists()
    assert not (student / "softmax_course" / "grading" / "rubrics.py").exists()
    blocks = _solution_blocks()
    assert len(blocks) > 30  # the lessons' worked-solution lines and Solution blocks
    # each worked solution's code after its docstring, whitespace-normalized
    bodies = [_body(getattr(solutions, name)) for name in solutions.__all__]
    assert all(len(b) > 40 for b in bodies)
    rubric_lines = [line for lines in RUBRICS.values() for line in lines]
    for path, text in _texts(student):
        flat = " ".join(text.split())
        assert "Worked solution" not in text, path
        assert not [b for b in blocks if " ".join(b.split()) in flat], path
        assert not [r for r in rubric_lines if r in text], path
        assert not [b for b in bodies if b in flat], path


def test_student_package_cannot_import_the_solutions(student):
    # The repository's editable install adds a finder that maps every module of the
    # package by name to the repository; a student's environment has only the copy.
    code = (
        "import sys\n"
        "sys.meta_path = [f for f in sys.meta_path if 'editable' not in repr(f)]\n"
        "import softmax_course, importlib.util\n"
        f"assert softmax_course.__file__.startswith({str(student)!r}), softmax_course.__file__\n"
        "assert importlib.util.find_spec('softmax_course.solutions') is None\n"
        "from softmax_course.exercises import check_softmax\n"
        "import numpy as np\n"
        "print(check_softmax(lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)).passed)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=student,
        env={**os.environ, "PYTHONPATH": str(student)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"  # the checkers work (that softmax overflows)


def test_instructor_edition_keeps_solutions_and_adds_rubrics(instructor):
    assert (instructor / "softmax_course" / "solutions.py").exists()
    rubrics = (instructor / "RUBRICS.md").read_text(encoding="utf-8")
    for lines in RUBRICS.values():
        assert all(line in rubrics for line in lines)
    lesson = "02_broadcasting_and_axes.ipynb"
    assert (instructor / "notebooks" / lesson).read_bytes() == (
        REPO / "notebooks" / lesson
    ).read_bytes()


def test_student_lessons_keep_every_code_cell(student):
    for lesson in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        original = json.loads(lesson.read_text(encoding="utf-8"))
        copy = json.loads((student / "notebooks" / lesson.name).read_text(encoding="utf-8"))
        code = [c for c in original["cells"] if c["cell_type"] == "code"]
        assert code == [c for c in copy["cells"] if c["cell_type"] == "code"]


def test_student_lesson_passes_strict_nbval(student):
    lesson = "notebooks/02_broadcasting_and_axes.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", lesson],
        cwd=student,
        env={**os.environ, "PYTHONPATH": str(student)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
