"""The ``softmax-course`` command and the messages that name an extra."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pydoc
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import softmax_course
from softmax_course import cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def test_the_lessons_of_a_checkout_are_its_notebooks():
    assert [p.name for p in cli.list_lessons()] == [p.name for p in LESSONS]
    assert len(LESSONS) >= 9


def test_lessons_copies_every_lesson_byte_for_byte(tmp_path, capsys):
    target = tmp_path / "course"
    assert cli.main(["lessons", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == [p.name for p in LESSONS]
    for lesson in LESSONS:
        assert (target / lesson.name).read_bytes() == lesson.read_bytes()
    assert f"copied {len(LESSONS)} lessons" in capsys.readouterr().out


def test_lessons_never_overwrites_without_force(tmp_path, capsys):
    target = tmp_path / "course"
    cli.copy_lessons(target)
    edited = target / LESSONS[0].name
    edited.write_text("my notes")
    assert cli.main(["lessons", str(target)]) == 1
    error = capsys.readouterr().err
    assert "already in" in error and "--force" in error and "nothing was copied" in error
    assert edited.read_text() == "my notes"
    assert cli.main(["lessons", str(target), "--force"]) == 0
    assert edited.read_bytes() == LESSONS[0].read_bytes()


def test_lessons_refuses_a_file_as_destination(tmp_path):
    destination = tmp_path / "a-file"
    destination.write_text("")
    with pytest.raises(FileExistsError, match="is a file, expected a folder"):
        cli.copy_lessons(destination)


def test_list_names_every_lesson_with_its_title(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for lesson in LESSONS:
        title = next(
            line[2:]
            for cell in json.loads(lesson.read_text())["cells"]
            if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines()
            if line.startswith("# ")
        )
        assert lesson.name in out and title.strip() in out


def test_lab_without_jupyterlab_names_the_extra(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jupyterlab" else real(name)
    )
    assert cli.main(["lab", str(tmp_path / "course")]) == 2
    error = capsys.readouterr().err
    assert "JupyterLab" in error and "pip install 'softmax-course[course]'" in error
    assert "jupyterlab>=4.2" in EXTRAS["course"]
    assert not (tmp_path / "course").exists(), "nothing is copied when lab cannot start"


def test_lab_listens_on_loopback_with_token_auth(tmp_path):
    command = cli.lab_command(tmp_path, port=8899, browser=False)
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--ServerApp.ip=127.0.0.1" in command and "--ServerApp.port=8899" in command
    assert f"--ServerApp.root_dir={tmp_path}" in command and "--no-browser" in command
    joined = " ".join(command)
    for disabled in ("token=", "password", "disable_check_xsrf", "0.0.0.0", "ip=*"):
        assert disabled not in joined


def test_python_dash_m_and_the_version_come_from_one_source():
    result = subprocess.run(
        [sys.executable, "-m", "softmax_course", "--version"],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert result.stdout.strip() == f"softmax-course {softmax_course.__version__}"
    assert version("softmax-course") == softmax_course.__version__


def test_help_names_the_command_not_a_folder_a_pip_user_lacks():
    text = pydoc.render_doc(softmax_course)
    assert "notebooks/" not in text
    assert "softmax-course lessons DIR" in text


@pytest.mark.parametrize(
    ("module", "blocked", "call", "extra", "requirement"),
    [
        ("plotting", "matplotlib.pyplot", "_pyplot", "plotting", "matplotlib>=3.8"),
        ("widgets", "ipywidgets", "_ipywidgets", "widgets", "ipywidgets>=8.1"),
    ],
)
def test_a_missing_optional_dependency_names_its_extra(
    monkeypatch, module, blocked, call, extra, requirement
):
    target = importlib.import_module(f"softmax_course.{module}")
    monkeypatch.setitem(sys.modules, blocked, None)  # makes `import` raise ImportError
    with pytest.raises(ImportError, match=rf"pip install 'softmax-course\[{extra}\]'"):
        getattr(target, call)()
    assert requirement in EXTRAS[extra], f"the {extra} extra provides {requirement}"


def fake_checkout(tmp_path: Path, monkeypatch, languages=("", "ru")) -> Path:
    """A checkout whose notebooks/ holds one English lesson and its Russian translation."""
    root = tmp_path / "checkout"
    for folder in languages:
        (root / "notebooks" / folder).mkdir(parents=True, exist_ok=True)
        (root / "notebooks" / folder / "01_x.ipynb").write_text(f"lesson in {folder or 'en'}")
    monkeypatch.setattr(cli, "__file__", str(root / "softmax_course" / "cli.py"))
    return root


@pytest.mark.parametrize("lang, folder", [(None, ""), ("en", ""), ("RU", "ru"), ("ru-RU", "ru")])
def test_lessons_in_a_language_come_from_its_folder(tmp_path, monkeypatch, lang, folder):
    root = fake_checkout(tmp_path, monkeypatch)
    assert cli.lessons_source(lang) == root / "notebooks" / folder
    copied = cli.copy_lessons(tmp_path / "course", language=lang)
    assert [p.read_text() for p in copied] == [f"lesson in {folder or 'en'}"]


def test_lessons_in_a_language_this_installation_lacks_say_so(tmp_path, monkeypatch, capsys):
    fake_checkout(tmp_path, monkeypatch)
    assert cli.main(["lessons", str(tmp_path / "course"), "--lang", "ja"]) == 1
    assert "no lessons found" in capsys.readouterr().err
    assert not (tmp_path / "course").exists()
    with pytest.raises(SystemExit) as refused:
        cli.main(["lessons", str(tmp_path / "course"), "--lang", "fr"])
    assert refused.value.code == 2
    assert "no lessons in 'fr'" in capsys.readouterr().err


def test_lab_in_a_language_tells_the_checkers(tmp_path, monkeypatch):
    fake_checkout(tmp_path, monkeypatch)
    calls = []
    real = importlib.util.find_spec
    monkeypatch.setattr(  # JupyterLab is never started: it need not be installed
        importlib.util,
        "find_spec",
        lambda name, *a: object() if name == "jupyterlab" else real(name),
    )
    monkeypatch.setattr(cli.subprocess, "call", lambda command, env: calls.append(env) or 0)
    monkeypatch.delenv("SOFTMAX_COURSE_LANG", raising=False)
    assert cli.main(["lab", str(tmp_path / "course"), "--lang", "ru", "--no-browser"]) == 0
    assert calls[0]["SOFTMAX_COURSE_LANG"] == "ru"
    assert (tmp_path / "course" / "01_x.ipynb").read_text() == "lesson in ru"
    assert cli.main(["lab", str(tmp_path / "english"), "--no-browser"]) == 0
    assert "SOFTMAX_COURSE_LANG" not in calls[1]
