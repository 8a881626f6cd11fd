"""Build step that puts the course in the wheel; everything else is in pyproject.toml.

The lessons live in ``notebooks/`` in the repository (where they are edited,
executed and tested). A wheel must carry them inside the package, so that
``softmax-course lessons DIR`` can hand them to a pip user: this ``build_py``
copies ``notebooks/NN_*.ipynb`` into ``softmax_course/lessons/`` of the build.
The sdist carries ``notebooks/`` (MANIFEST.in), so a wheel built from the
sdist gets them too. An editable install reads them from ``notebooks/``
directly (``softmax_course.cli.lessons_source``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
LESSONS = "[0-9][0-9]_*.ipynb"


class build_py_with_lessons(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the editable package finds the lessons in notebooks/
        lessons = sorted((ROOT / "notebooks").glob(LESSONS))
        if not lessons:
            raise RuntimeError(f"no lessons {LESSONS} in {ROOT / 'notebooks'}: nothing to ship")
        target = Path(self.build_lib) / "softmax_course" / "lessons"
        target.mkdir(parents=True, exist_ok=True)
        for old in target.glob(LESSONS):
            old.unlink()  # a lesson renamed since the last build must not linger
        for lesson in lessons:
            shutil.copyfile(lesson, target / lesson.name)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "softmax_course" / "lessons"
            outputs += [str(target / p.name) for p in sorted((ROOT / "notebooks").glob(LESSONS))]
        return outputs


setup(cmdclass={"build_py": build_py_with_lessons})
