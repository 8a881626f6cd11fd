"""Packaging metadata and the tools' configuration agree with what the project promises."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import yaml

import softmax_course

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def test_license_is_an_spdx_expression_with_its_file():
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # PEP 639


def test_the_version_has_one_source():
    assert "version" not in PROJECT and PROJECT["dynamic"] == ["version"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "softmax_course.__version__"
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["version"] == softmax_course.__version__


def test_classifiers_name_every_tested_python():
    pythons = {c.rsplit(" ", 1)[1] for c in PROJECT["classifiers"] if re.search(r":: 3\.\d+$", c)}
    assert pythons == {"3.10", "3.11", "3.12", "3.13"}
    assert PROJECT["requires-python"] == ">=3.10"
    assert "Typing :: Typed" in PROJECT["classifiers"]
    assert (ROOT / "softmax_course" / "py.typed").exists()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["softmax_course"]


def test_extras_match_what_they_enable():
    extras = PROJECT["optional-dependencies"]
    assert extras["plotting"] == ["matplotlib>=3.8"]
    assert extras["widgets"] == ["ipywidgets>=8.1"]
    course = " ".join(extras["course"])
    for needed in ("softmax-course[plotting,widgets,fast]", "scipy", "jupyterlab", "ipykernel"):
        assert needed in course, needed
    assert not any("jupyterlab" in r for r in extras["plotting"] + extras["widgets"])
    assert PROJECT["scripts"] == {"softmax-course": "softmax_course.cli:main"}


def test_the_lessons_and_what_they_import_are_in_the_course_extra():
    """Every third-party module a lesson imports is provided by the course extra."""
    provided = {"numpy", "matplotlib", "scipy", "ipywidgets", "softmax_course", "IPython", "numba"}
    optional = {"torch"}  # lesson 08 times it only when it happens to be installed
    stdlib = set(sys.stdlib_module_names)
    seen = set()
    for lesson in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        imported = set(re.findall(r"^\s*(?:import|from) ([A-Za-z_]\w*)", code, re.M))
        seen |= imported
        imported = {name for name in imported if name not in stdlib}
        assert imported <= provided | optional, f"{lesson.name}: {imported - provided}"
    assert {"numpy", "matplotlib", "numba"} <= seen  # the scan reads the lessons' code


def test_the_sdist_carries_the_lessons_and_leaves_the_tests_out():
    manifest = (ROOT / "MANIFEST.in").read_text()
    assert "include notebooks/[0-9][0-9]_*.ipynb" in manifest
    for language in ("zh_CN", "ru", "ja"):  # the translated lessons (setup.py ships them)
        assert f"notebooks/{language}/[0-9][0-9]_*.ipynb" in manifest, language
    for pruned in ("prune tests", "prune scripts", "prune docs"):
        assert pruned in manifest


def test_pre_commit_runs_the_same_notebook_hygiene_as_make():
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^NBSTRIPOUT_ARGS := (.*?)(?<!\\)\n", makefile, re.M | re.S)
    assert match, "NBSTRIPOUT_ARGS in the Makefile"
    make_args = shlex.split(match.group(1).replace("\\\n", " "))
    hooks = {
        hook["id"]: hook
        for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
        for hook in repo["hooks"]
    }
    assert {"ruff-check", "ruff-format", "nbstripout", "mypy"} <= set(hooks)
    assert shlex.split(hooks["nbstripout"]["entry"])[1:] == make_args
    assert all(hook["language"] == "system" for hook in hooks.values())  # no network


def test_contributor_documents_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in ("CONTRIBUTING.md", "CHANGELOG.md", "CITATION.cff"):
        assert (ROOT / name).exists(), name
        assert f"]({name})" in readme, f"README links {name}"


def test_the_wheel_ships_the_compiled_catalogs_of_the_checkers():
    """package-data names every committed .mo: an installed course speaks zh_CN, ru and ja."""
    from fnmatch import fnmatch

    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["softmax_course"]
    package = ROOT / "softmax_course"
    compiled = sorted(p.relative_to(package).as_posix() for p in package.rglob("*.mo"))
    expected = [f"locale/{lang}/LC_MESSAGES/softmax_course.mo" for lang in ("ja", "ru", "zh_CN")]
    assert compiled == expected
    for path in compiled:
        assert any(fnmatch(path, pattern) for pattern in patterns), path


def test_the_wheel_ships_the_lessons_of_every_language(tmp_path, monkeypatch):
    """setup.py's list of what goes to softmax_course/lessons/, on a checkout of its own."""
    import importlib.util

    import pytest

    pytest.importorskip("setuptools")  # a build-time tool: the floors' venv has none

    for folder in ("", "ru", "ja"):
        (tmp_path / "notebooks" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "notebooks" / folder / "01_x.ipynb").write_text("{}")
    (tmp_path / "notebooks" / "ru" / "notes.ipynb").write_text("{}")  # not a lesson
    spec = importlib.util.spec_from_file_location("course_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setattr("setuptools.setup", lambda **kwargs: None)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    shipped = [(str(path.relative_to(tmp_path)), name) for path, name in module.shipped()]
    assert shipped == [
        ("notebooks/01_x.ipynb", "01_x.ipynb"),
        ("notebooks/ru/01_x.ipynb", "ru/01_x.ipynb"),
        ("notebooks/ja/01_x.ipynb", "ja/01_x.ipynb"),
    ]
