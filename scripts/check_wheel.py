"""Check the pip route: the installed wheel carries the course, and its lessons pass there.

Usage: python scripts/check_wheel.py ROUTE_DIR  (``make wheel-check`` prepares ROUTE_DIR/venv:
a fresh venv with the wheel from dist/ and its ``course`` extra at the lock's pins)

0. The sdist in dist/ carries the lessons and leaves the tests out.

1. ``softmax-course lessons ROUTE_DIR/lessons`` copies the nine lessons; a second copy
   without ``--force`` is refused and changes nothing; ``python -m softmax_course`` works.
   ``--lang zh|ru|ja`` copies the translated lessons of ``notebooks/<lang>/`` byte for byte
   (they run under strict nbval in ``make test``: their code cells are the English ones).
2. The package imported is the installed one; ``help(softmax_course)`` names no
   ``notebooks/`` folder; ``py.typed`` ships; its checkers speak Chinese (the ``.mo`` ship).
3. The installed package's doctests pass with an empty pytest configuration.
4. The copied lessons run under strict nbval in that venv, from ROUTE_DIR (outside the
   repository), with the repository's nbval set-up copied beside them: the same sanitizers
   and the same figure comparison as ``make test``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh_CN", "ru", "ja")
HARNESS = ["conftest.py", "requirements.lock", "tests/__init__.py", "tests/figures.py"]
HARNESS += ["tests/nbval_sanitize.cfg"]
PYTEST_INI = """[pytest]
addopts = --nbval --nbval-current-env --nbval-cell-timeout=300
    --nbval-sanitize-with=tests/nbval_sanitize.cfg -p no:cacheprovider -ra
"""


def run(*command: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    print("$", " ".join(map(str, command)), flush=True)
    result = subprocess.run(list(map(str, command)), cwd=cwd, capture_output=True, text=True)
    print(result.stdout + result.stderr, end="", flush=True)
    if check and result.returncode != 0:
        sys.exit(f"FAIL: exit status {result.returncode}")
    return result


def check_sdist(dist: Path, lessons: list[str]) -> None:
    """The sdist carries the lessons (the wheel built from it copies them) and no tests.

    ``lessons``: their paths under ``notebooks/`` (``01_x.ipynb``, ``ru/01_x.ipynb``).
    """
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    shipped = sorted(
        n.removeprefix("notebooks/")
        for n in names
        if n.startswith("notebooks/") and n[-6:] == ".ipynb"
    )
    assert shipped == lessons, f"{sdist.name} carries lessons {shipped}"
    leaked = [n for n in names if n.startswith(("tests/", "scripts/")) or n == "conftest.py"]
    assert not leaked, f"{sdist.name} carries {leaked[:5]}: its tests could not run"
    print(f"ok: {sdist.name} carries the {len(lessons)} lessons and no tests")


def main(route: Path) -> int:
    route = route.resolve()
    bin_dir = route / "venv" / "bin"
    python = bin_dir / "python"
    lessons = route / "lessons"
    expected = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    translated = {
        language: sorted(p.name for p in (ROOT / "notebooks" / language).glob("[0-9][0-9]_*.ipynb"))
        for language in LANGUAGES
    }
    every = expected + [f"{lang}/{name}" for lang, names in translated.items() for name in names]

    check_sdist(ROOT / "dist", sorted(every))
    run(bin_dir / "softmax-course", "lessons", lessons, cwd=route)
    copied = sorted(p.name for p in lessons.glob("*.ipynb"))
    assert copied == expected, f"copied {copied}, expected {expected}"
    for name in expected:
        assert (lessons / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes(), name
    (lessons / expected[0]).write_text("a learner's edit")
    again = run(python, "-m", "softmax_course", "lessons", lessons, cwd=route, check=False)
    assert again.returncode == 1 and "--force" in again.stderr, "a second copy was not refused"
    assert (lessons / expected[0]).read_text() == "a learner's edit", "the edit was overwritten"
    run(python, "-m", "softmax_course", "lessons", lessons, "--force", cwd=route)
    assert (lessons / expected[0]).read_bytes() == (ROOT / "notebooks" / expected[0]).read_bytes()
    run(python, "-m", "softmax_course", "list", cwd=route)
    for language, names in translated.items():
        if not names:
            print(f"note: no lessons in notebooks/{language}/ (make translations makes them)")
            continue
        target = route / f"lessons-{language}"
        run(bin_dir / "softmax-course", "lessons", target, "--lang", language, cwd=route)
        assert sorted(p.name for p in target.glob("*.ipynb")) == names, language
        for name in names:
            original = ROOT / "notebooks" / language / name
            assert (target / name).read_bytes() == original.read_bytes(), f"{language}/{name}"
        print(f"ok: the wheel's {len(names)} lessons in {language}")

    probe = (
        "import pydoc, softmax_course as sc, pathlib;"
        "print(pathlib.Path(sc.__file__).parent);"
        "text = pydoc.render_doc(sc);"
        "assert 'notebooks/' not in text, 'help(sc) names notebooks/';"
        "assert (pathlib.Path(sc.__file__).parent / 'py.typed').exists(), 'no py.typed'"
    )
    where = run(python, "-c", probe, cwd=route).stdout.strip()
    assert Path(where).is_relative_to(route / "venv"), f"imported {where}, not the wheel"

    # The checkers speak Chinese from the wheel: the compiled catalogs ship (no Babel needed).
    speaks = (
        "import numpy as np, pathlib, softmax_course.i18n as i18n;"
        "from softmax_course.exercises import check_softmax_vector;"
        "assert pathlib.Path(i18n.__file__).parent.name == 'softmax_course';"
        "i18n.set_language('zh');"
        "text = str(check_softmax_vector(lambda z: z / np.sum(z)));"
        "assert '未通过' in text and '概率' in text, text;"
        "print('ok: the installed checkers speak Chinese:', text.splitlines()[0])"
    )
    run(python, "-c", speaks, cwd=route)

    # The doctests of the installed package, with no configuration of the repository's.
    doctests = route / "doctests"
    doctests.mkdir(exist_ok=True)
    (doctests / "pytest.ini").write_text("[pytest]\n")
    # This route installs the [course] extra, not [fast]: without numba the two modules of
    # compiled kernels cannot be imported (the package never imports them then), so their
    # doctests are left out, as the repository's conftest.py does. pytest's --pyargs takes no
    # --ignore, so the installed modules are named one by one, with this folder's empty
    # configuration named too (the route venv may sit inside the repository).
    has_numba = run(python, "-c", "import numba", cwd=route, check=False).returncode == 0
    probe_dir = "import os, softmax_course; print(os.path.dirname(softmax_course.__file__))"
    package = Path(run(python, "-c", probe_dir, cwd=doctests).stdout.strip())
    modules = [
        path
        for path in sorted(package.rglob("*.py"))
        if has_numba or not path.name.startswith("_numba_")
    ]
    run(
        python, "-m", "pytest", "-c", doctests / "pytest.ini", "--rootdir", doctests,
        "--doctest-modules", *modules,
        "-p", "no:cacheprovider", "-p", "no:nbval", "-q", cwd=doctests,
    )  # fmt: skip

    for name in HARNESS:
        (route / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, route / name)
    (route / "pytest.ini").write_text(PYTEST_INI)
    # One lesson per worker (pytest-xdist, one per core), its cells in order in one kernel.
    jobs = ("-n", "auto", "--dist", "loadfile")
    result = run(python, "-m", "pytest", *jobs, "lessons", cwd=route, check=False)
    if result.returncode != 0:
        print("FAIL: the installed lessons do not pass strict nbval")
        return 1
    print(f"OK: the wheel's {len(expected)} lessons pass strict nbval in {route / 'venv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
