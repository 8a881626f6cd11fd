"""The ``softmax-course`` command (also ``python -m softmax_course``).

The lessons ship inside the package. These subcommands hand them to a learner
who installed it with pip::

    softmax-course list              # the lessons in this installation
    softmax-course lessons DIR       # copy them into DIR (never overwrites without --force)
    softmax-course lab DIR           # copy them if DIR has none, then start JupyterLab there
    softmax-course lab DIR --lang zh # the lessons in Chinese (zh), Russian (ru) or Japanese (ja)

With ``--lang``, the translated lessons are used (English by default), and ``lab`` starts
JupyterLab with ``SOFTMAX_COURSE_LANG`` set, so the exercise checkers speak that language too.

``lab`` starts JupyterLab on 127.0.0.1 only, with Jupyter's token
authentication kept (open the ``...?token=...`` URL it prints), as
``make lab`` does in the repository. It needs the ``course`` extra:
``pip install 'softmax-course[course]'``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from softmax_course import __version__
from softmax_course.i18n import ENVIRONMENT_VARIABLE, LANGUAGES, normalize_language

__all__ = ["lessons_source", "list_lessons", "copy_lessons", "lab_command", "main"]

LESSON_PATTERN = "[0-9][0-9]_*.ipynb"
COURSE_EXTRA = "pip install 'softmax-course[course]'"


def _language_folder(language: str | None) -> str:
    """The lessons' subfolder of a language: ``""`` for English, else its catalog name."""
    if language is None:
        return ""
    normalized = normalize_language(language)
    if normalized is None:
        raise ValueError(
            f"language must be one of the course's languages {', '.join(LANGUAGES)} "
            f"(or zh, zh-CN, ...), got {language!r}"
        )
    return "" if normalized == "en" else normalized


def lessons_source(language: str | None = None) -> Path:
    """The folder that holds the lessons of this installation, in ``language``.

    An installed wheel has them in ``softmax_course/lessons/`` (copied there
    when the wheel is built), the translated ones in ``lessons/<language>/``;
    a source checkout or editable install reads the repository's ``notebooks/``
    (``notebooks/<language>/``).

    Parameters
    ----------
    language : str, optional
        ``"en"`` (the default), ``"zh"``/``"zh_CN"``, ``"ru"`` or ``"ja"``.
    """
    folder = _language_folder(language)
    packaged = Path(str(resources.files("softmax_course"))) / "lessons" / folder
    if any(packaged.glob(LESSON_PATTERN)):
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "notebooks" / folder
    if any(checkout.glob(LESSON_PATTERN)):
        return checkout
    raise FileNotFoundError(
        f"no lessons found in {packaged} (nor in {checkout}): this installation of "
        "softmax-course was built without them; reinstall it from a wheel or the sdist"
    )


def list_lessons(language: str | None = None) -> list[Path]:
    """Every lesson notebook of this installation in ``language``, in course order."""
    return sorted(lessons_source(language).glob(LESSON_PATTERN))


def _title(path: Path) -> str:
    """The lesson's first heading (``# 01 · What softmax is``), or its file name."""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):  # a translated title carries an empty anchor
                    return re.sub(r"<[^>]*>", "", line[2:]).strip()
    return path.stem


def copy_lessons(
    destination: str | os.PathLike[str], *, force: bool = False, language: str | None = None
) -> list[Path]:
    """Copy every lesson into ``destination`` (created if needed); return the new paths.

    Parameters
    ----------
    destination : path
        The folder to copy into.
    force : bool, default False
        Overwrite lessons already in ``destination``. Without it, an existing
        lesson file is an error and nothing is copied.
    language : str, optional
        The lessons' language (English by default; ``"zh"``, ``"ru"``, ``"ja"``).

    Raises
    ------
    FileExistsError
        When a lesson is already in ``destination`` and ``force`` is false, or
        ``destination`` is a file.
    """
    target = Path(destination)
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"destination {str(target)!r} is a file, expected a folder")
    sources = list_lessons(language)
    clashes = [target / p.name for p in sources if (target / p.name).exists()]
    if clashes and not force:
        raise FileExistsError(
            f"{len(clashes)} lesson(s) already in {str(target)!r} (e.g. {clashes[0].name}); "
            "nothing was copied. Use --force to overwrite them (your edits in them are lost)"
        )
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sources:
        shutil.copyfile(source, target / source.name)
        copied.append(target / source.name)
    return copied


def lab_command(directory: Path, *, port: int = 8888, browser: bool | None = None) -> list[str]:
    """The JupyterLab command ``lab`` runs: 127.0.0.1 only, token authentication kept."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--ServerApp.root_dir={directory}",
    ]
    if browser is None:  # a browser only where there is a display, as `make lab` does
        browser = sys.platform in ("win32", "darwin") or bool(os.environ.get("DISPLAY"))
    if not browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root
    return command


def _cmd_list(args: argparse.Namespace) -> int:
    try:
        source = lessons_source(args.lang)
    except FileNotFoundError as error:
        print(f"softmax-course: {error}", file=sys.stderr)
        return 1
    print(f"lessons in {source}:")
    for path in list_lessons(args.lang):
        print(f"  {path.name:<36} {_title(path)}")
    return 0


def _cmd_lessons(args: argparse.Namespace) -> int:
    try:
        copied = copy_lessons(args.directory, force=args.force, language=args.lang)
    except (FileExistsError, FileNotFoundError) as error:
        print(f"softmax-course: {error}", file=sys.stderr)
        return 1
    print(f"copied {len(copied)} lessons into {Path(args.directory).resolve()}")
    lang = f" --lang {args.lang}" if args.lang else ""
    print(f"start with {copied[0].name}; `softmax-course lab {args.directory}{lang}` opens them")
    return 0


def _cmd_lab(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("jupyterlab") is None:
        print(
            "softmax-course lab needs JupyterLab, which is not installed here; install the "
            f"course extra: {COURSE_EXTRA}",
            file=sys.stderr,
        )
        return 2
    directory = Path(args.directory).resolve()
    if not any(directory.glob(LESSON_PATTERN)):
        try:
            copied = copy_lessons(directory, language=args.lang)
        except FileNotFoundError as error:
            print(f"softmax-course: {error}", file=sys.stderr)
            return 1
        print(f"copied {len(copied)} lessons into {directory}")
    command = lab_command(directory, port=args.port, browser=args.browser)
    environment = dict(os.environ)
    if args.lang:  # the checkers speak the lessons' language (softmax_course.i18n)
        environment[ENVIRONMENT_VARIABLE] = normalize_language(args.lang) or "en"
    print("starting JupyterLab on 127.0.0.1 (open the URL with ?token=... it prints)")
    try:
        return subprocess.call(command, env=environment)
    except KeyboardInterrupt:  # Jupyter shuts itself down on the same Ctrl-C
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="softmax-course",
        description="The softmax course: copy its lessons, or open them in JupyterLab.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_list = sub.add_parser("list", help="list the lessons this installation ships")
    _add_lang(p_list)
    p_list.set_defaults(run=_cmd_list)

    p_lessons = sub.add_parser("lessons", help="copy the lessons into DIR")
    p_lessons.add_argument("directory", metavar="DIR", help="folder to copy into (created)")
    p_lessons.add_argument("--force", action="store_true", help="overwrite lessons already in DIR")
    _add_lang(p_lessons)
    p_lessons.set_defaults(run=_cmd_lessons)

    p_lab = sub.add_parser(
        "lab",
        help="copy the lessons into DIR if it has none, then start JupyterLab there",
        description="Start JupyterLab on 127.0.0.1 with token authentication, in DIR "
        f"(lessons copied there first if it has none). Needs: {COURSE_EXTRA}",
    )
    p_lab.add_argument("directory", metavar="DIR", help="folder of the lessons (created)")
    p_lab.add_argument("--port", type=int, default=8888, help="port (default 8888)")
    p_lab.add_argument(
        "--browser",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="open a browser (default: only where there is a display)",
    )
    _add_lang(p_lab)
    p_lab.set_defaults(run=_cmd_lab)

    p_grade = sub.add_parser(
        "grade",
        help="grade a class: a folder or zip of submitted notebooks -> CSV, results.json, feedback",
        description="Grade each submitted notebook in its own process with the course's "
        "checkers, on inputs drawn from one seed; write grades.csv, results/<student>.json "
        "(Gradescope format) and feedback/<student>.md into --out.",
    )
    p_grade.add_argument("submissions", metavar="SUBMISSIONS", help="folder or .zip of .ipynb")
    p_grade.add_argument("--out", default="grades", help="output folder (default: grades)")
    p_grade.add_argument("--seed", type=int, help="seed of the drawn inputs (default: random)")
    p_grade.add_argument("--jobs", type=int, help="submissions at once (default: CPU count)")
    p_grade.add_argument(
        "--timeout", type=float, default=60.0, help="seconds without progress before a stop"
    )
    p_grade.add_argument("--lesson", help="the lesson (01..09) when names do not tell")
    p_grade.add_argument(
        "--show-hidden", action="store_true", help="let feedback show the drawn inputs"
    )
    p_grade.set_defaults(run=_cmd_grade)
    return parser


def _language(value: str) -> str:
    if normalize_language(value) is None:
        raise argparse.ArgumentTypeError(
            f"no lessons in {value!r}: the course has en, zh (zh_CN), ru and ja"
        )
    return value


def _add_lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        type=_language,
        default=None,
        metavar="LANG",
        help="the lessons' language: en (default), zh, ru or ja",
    )


def _cmd_grade(args: argparse.Namespace) -> int:
    from softmax_course.grading.batch import run

    csv_path = run(
        Path(args.submissions),
        Path(args.out),
        seed=args.seed,
        jobs=args.jobs,
        timeout=args.timeout,
        lesson=args.lesson,
        show_hidden=args.show_hidden,
    )
    print(f"wrote {csv_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``softmax-course`` and ``python -m softmax_course``."""
    args = build_parser().parse_args(argv)
    return int(args.run(args))
