"""``make student`` / ``make instructor``: the two editions of the course for a class.

    python scripts/editions.py student build/student [--site]
    python scripts/editions.py instructor build/instructor [--site]

Both are copies of the course (lessons, package, the files that build and install it,
and with ``--site`` the website built from that copy's lessons):

* **student**: no worked solutions. The package has no ``softmax_course.solutions``
  (importing it raises ImportError) and no ``softmax_course.grading.rubrics``; the
  lessons lose their "**Worked solution:**" lines and their
  ``<details><summary>Solution</summary>`` blocks (hints stay). Nothing else
  changes: the code cells and their stored outputs are those of the repository,
  so the copy passes strict nbval.
* **instructor**: the self-study course as it is (worked solutions included) plus
  ``RUBRICS.md``, the rubrics of the discussion exercises and the table of the
  automatically graded ones.

``make lab`` is neither: it opens the repository's lessons, the self-study edition.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: Files that build, install and test the copy (strict nbval needs conftest and the sanitizer).
PROJECT_FILES = [
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "CITATION.cff",
    "CONTRIBUTING.md",
    "requirements.lock",
    "conftest.py",
    "tests/__init__.py",
    "tests/figures.py",
    "tests/nbval_sanitize.cfg",
]
#: What the student edition leaves out of the package.
STUDENT_DROPS = ("solutions.py", "grading/rubrics.py")

WORKED = re.compile(r"^.*\*\*Worked solution:\*\*.*(\n|$)", re.M)
SOLUTION_BLOCK = re.compile(
    r"<details>\s*<summary>\s*Solution\s*</summary>.*?</details>\s*", re.S | re.I
)


def strip_solutions(notebook: dict) -> dict:
    """The notebook without its worked-solution lines and Solution blocks (a new dict)."""
    cells = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            stripped = SOLUTION_BLOCK.sub("", WORKED.sub("", text)).rstrip("\n")
            if not stripped.strip():
                continue  # a cell that held only the solution
            if stripped != text.rstrip("\n"):
                lines = stripped.splitlines(keepends=True)
                cell = {**cell, "source": lines}
        cells.append(cell)
    return {**notebook, "cells": cells}


def _copy_project(dest: Path) -> None:
    for name in PROJECT_FILES:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, target)


def _copy_package(dest: Path, drops: tuple[str, ...]) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "lessons")
    shutil.copytree(REPO / "softmax_course", dest / "softmax_course", ignore=ignore)
    for name in drops:
        (dest / "softmax_course" / name).unlink()


def _copy_lessons(dest: Path, *, student: bool) -> None:
    (dest / "notebooks").mkdir(parents=True)
    for lesson in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        text = lesson.read_text(encoding="utf-8")
        if student:
            notebook = strip_solutions(json.loads(text))
            text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        (dest / "notebooks" / lesson.name).write_text(text, encoding="utf-8")


def _build_site(dest: Path) -> None:
    """The website from the copy's lessons and package (docs/ copied, lessons linked)."""
    shutil.copytree(REPO / "docs", dest / "docs", symlinks=True, dirs_exist_ok=True)
    link = dest / "docs" / "lessons"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to("../notebooks")
    shutil.copytree(REPO / "scripts", dest / "scripts", dirs_exist_ok=True)
    env_path = f"PYTHONPATH={dest}"
    command = [sys.executable, str(dest / "scripts" / "build_html.py"), str(dest / "site")]
    subprocess.run(["env", env_path, *command], check=True)


def build(edition: str, dest: Path, *, site: bool = False) -> Path:
    """Write the ``edition`` ("student" or "instructor") into ``dest`` (replaced)."""
    if edition not in ("student", "instructor"):
        raise ValueError(f"edition must be 'student' or 'instructor'; received {edition!r}")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    _copy_project(dest)
    student = edition == "student"
    _copy_package(dest, STUDENT_DROPS if student else ())
    _copy_lessons(dest, student=student)
    if not student:
        from softmax_course.grading.rubrics import rubrics_markdown

        (dest / "RUBRICS.md").write_text(rubrics_markdown(), encoding="utf-8")
    (dest / "EDITION").write_text(f"{edition}\n", encoding="utf-8")
    if site:
        _build_site(dest)
    return dest


def main(argv: list[str]) -> int:
    site = "--site" in argv
    args = [a for a in argv if a != "--site"]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dest = build(args[0], Path(args[1]), site=site)
    print(f"{args[0]} edition: {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
