"""``make html``: build the course website (docs/) with Sphinx into one folder.

The one place that says how the site is built, used by ``make html``, tests/test_html.py and
the browser test: a fresh build (``-E``, no cached environment) in which every warning is an
error (``-W --keep-going`` lists them all before failing) and every cross-reference must
resolve (``nitpicky`` in docs/conf.py). The lessons are rendered from their stored outputs;
no kernel runs. Usage::

    python scripts/build_html.py build/html
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def build(out_dir: Path, *, quiet: bool = True) -> subprocess.CompletedProcess[str]:
    """Build the site into ``out_dir`` (doctrees beside it); return the finished process.

    The process's ``stderr`` holds Sphinx's warnings; its return code is non-zero if there
    was any.
    """
    out_dir = Path(out_dir).resolve()
    doctrees = out_dir.parent / f"{out_dir.name}.doctrees"
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-E",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        str(doctrees),
        *(["-q"] if quiet else []),
        str(DOCS),
        str(out_dir),
    ]
    # A fixed date for anything that would print one, so two builds of one commit agree.
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")}
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    result = build(Path(argv[0]), quiet=False)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 0:
        print(f"site: {Path(argv[0]) / 'index.html'}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
