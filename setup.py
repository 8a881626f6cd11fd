"""Build step that puts the course in the wheel; everything else is in pyproject.toml.

The lessons live in ``notebooks/`` in the repository (where they are edited,
executed and tested). A wheel must carry them inside the package, so that
``softmax-course lessons DIR`` can hand them to a pip user: this ``build_py``
copies ``notebooks/NN_*.ipynb`` into ``softmax_course/lessons/`` of the build,
and the translated lessons ``notebooks/<lang>/NN_*.ipynb`` into ``lessons/<lang>/``
(``softmax-course lessons DIR --lang zh``).
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
LANGUAGES = ("zh_CN", "ru", "ja")  # the translated lessons' folders (scripts/i18n.py)


def shipped() -> list[tuple[Path, str]]:
    """``(lesson in the checkout, its path under softmax_course/lessons/)``, every language."""
    pairs = [(p, p.name) for p in sorted((ROOT / "notebooks").glob(LESSONS))]
    for language in LANGUAGES:
        for path in sorted((ROOT / "notebooks" / language).glob(LESSONS)):
            pairs.append((path, f"{language}/{path.name}"))
    return pairs


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
        for old in [*target.glob(LESSONS), *target.glob(f"*/{LESSONS}")]:
            old.unlink()  # a lesson renamed since the last build must not linger
        for lesson, name in shipped():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lesson, target / name)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "softmax_course" / "lessons"
            outputs += [str(target / name) for _, name in shipped()]
        return outputs


setup(cmdclass={"build_py": build_py_with_lessons})
