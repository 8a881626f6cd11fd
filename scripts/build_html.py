"""``make html``: build the course website (docs/) with Sphinx into one folder.

The one place that says how the site is built, used by ``make html``, tests/test_html.py and
the browser test: a fresh build (``-E``, no cached environment) in which every warning is an
error (``-W --keep-going`` lists them all before failing) and every cross-reference must
resolve (``nitpicky`` in docs/conf.py). The lessons are rendered from their stored outputs;
no kernel runs.

The English site is built first, into the folder given; then one site per language whose
translated lessons exist (``notebooks/zh_CN``, ``notebooks/ru``, ``notebooks/ja``, made by
scripts/i18n.py), into its subfolder (``zh/``, ``ru/``, ``ja/``), from ``docs/i18n/<code>/``
with the same ``docs/conf.py`` (see docs/_ext/course_i18n.py). A language without lessons is
skipped with a message. Usage::

    python scripts/build_html.py build/html             # English and every translated language
    python scripts/build_html.py build/html en ja       # only these languages
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import course_i18n  # noqa: E402


def _sphinx(
    srcdir: Path, out_dir: Path, doctrees: Path, env: dict[str, str], quiet: bool
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-E",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-c",
        str(DOCS),
        "-d",
        str(doctrees),
        *(["-q"] if quiet else []),
        str(srcdir),
        str(out_dir),
    ]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def build(
    out_dir: Path,
    *,
    quiet: bool = True,
    languages: list[str] | None = None,
    jobs: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Build the sites into ``out_dir`` (doctrees beside it); return the finished process.

    ``languages`` (codes of ``course_i18n.LANGUAGES``, default: English and every language
    whose lessons exist) chooses what is built; English always is (the switcher of every
    page leads to it). ``jobs`` Sphinx processes run at once (default: one per core). The
    process's ``stdout`` says which languages were built or skipped
    and why; its ``stderr`` holds Sphinx's warnings; its return code is non-zero if there
    was any, or if a language asked for has no lessons.
    """
    out_dir = Path(out_dir).resolve()
    doctrees = out_dir.parent / f"{out_dir.name}.doctrees"
    present = course_i18n.available(REPO)
    wanted = ["en", *[c for c in (languages or present) if c != "en"]]
    unknown = [code for code in wanted if code not in course_i18n.BY_CODE]
    if unknown:
        raise ValueError(
            f"languages: unknown {unknown}; expected codes of {list(course_i18n.BY_CODE)}"
        )
    building = [code for code in wanted if code in present]
    report: list[str] = []
    for code in course_i18n.BY_CODE:
        if code not in present:
            report.append(
                f"site: {code} skipped: notebooks/{code}/ holds no NN_*.ipynb "
                "(python scripts/i18n.py build makes them)"
            )
    # A fixed date for anything that would print one, so two builds of one commit agree.
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0"),
        course_i18n.LANGUAGES_VAR: " ".join(building),
    }
    # A language's site is built into a folder of its own and moved into place at the end:
    # myst-nb writes a notebook's images beside the output folder (its parent's
    # jupyter_execute/), which must be neither the English site nor shared between builds.
    staging = out_dir.parent / f"{out_dir.name}.i18n"

    def run(code: str) -> subprocess.CompletedProcess[str]:
        if code == "en":
            return _sphinx(DOCS, out_dir, doctrees, {**env, course_i18n.LANGUAGE_VAR: code}, quiet)
        folder = staging / code
        shutil.rmtree(folder, ignore_errors=True)
        return _sphinx(
            DOCS / "i18n" / code,
            folder / "site",
            folder / "doctrees",
            {**env, course_i18n.LANGUAGE_VAR: code},
            quiet,
        )

    # The sites are independent: as many Sphinx processes at once as there are cores.
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(building)))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = dict(zip(building, pool.map(run, building), strict=True))
    stdout, stderr, returncode = [], [], 0
    for code in building:
        result = results[code]
        stdout.append(result.stdout)
        stderr.append(result.stderr)
        returncode = returncode or result.returncode
        folder = course_i18n.BY_CODE[code].folder
        if folder:
            target = out_dir / folder
            shutil.rmtree(target, ignore_errors=True)
            if (staging / code / "site").is_dir():
                shutil.move(staging / code / "site", target)
        stdout.append(f"site: {code} built into {out_dir / folder}\n")
    missing = [code for code in wanted if code not in present]
    if missing and languages:
        returncode = returncode or 1
    return subprocess.CompletedProcess(
        ["build_html", str(out_dir), *building],
        returncode,
        "\n".join(report) + "\n" + "".join(stdout),
        "".join(stderr),
    )


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    result = build(Path(argv[0]), quiet=False, languages=argv[1:] or None)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 0:
        print(f"site: {Path(argv[0]) / 'index.html'}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
