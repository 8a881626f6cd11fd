"""Reading time of each lesson's core path, counted from the notebook, not declared.

The **core path** of a lesson is every cell that is *not* tagged ``optional`` (cell metadata
``tags``), up to but not including the line ``## Exercises`` of a markdown cell:
everything from that heading on (exercises, their solutions) comes on top of the core path.

What is counted on the core path, and at which rate a careful reader gets through it:

* **prose words** (markdown, without display equations and without fenced code, which are
  counted below): :data:`WORDS_PER_MINUTE`. Inline math such as ``$s_i$`` counts as words;
* **display equations** (each ``$$ ... $$`` block or ``\\begin{...}`` environment in a
  markdown cell): :data:`MINUTES_PER_EQUATION` each, the time to read one and check it
  against the line before;
* **code lines** (non-blank lines of code cells and of fenced code in markdown; the
  ``# NBVAL_...`` markers and their ``# why:`` line are not counted):
  :data:`SECONDS_PER_CODE_LINE` each, reading the line and its printed output;
* **figures** (each ``image/png`` or ``image/svg+xml`` output): :data:`MINUTES_PER_FIGURE`
  each, the time to find in the picture what the prose says is there.

Calibration
-----------
The rates were set once, against the course as it stood before issue 21 (nine lessons,
2026-12-02), which a careful reader was measured to take about 5 hours over (issue 21: "15,700
words of prose, 54 display equations, about 1,900 lines of code on the core path ... about
5 hours"; stated against counted minutes, lesson 03 ~50, 02 ~42, 04 ~39, 07 ~34). Technical
prose read while following code and math runs slower than the 200-250 words per minute of
ordinary reading, so prose is taken at 130 words per minute; a display equation at 45 seconds;
a code line at 4 seconds including its output; a figure at 30 seconds. On that day's core path
(the optional parts were then marked by italic text; ``scripts/tag_optional.py`` turns that
marking into the tags counted here) this script counts 16,100 words (124 min), 52 display
equations (39 min), 1,913 code lines (128 min) and 15 figures (8 min): 298 minutes, 5.0 hours,
and per lesson 03 51, 02 44, 04 38, 07 34 minutes, in line with the measurement.

Usage::

    python scripts/reading_time.py            # table per lesson and the total
    python scripts/reading_time.py --check    # exit 1 if a title cell's stated time is off

``--check`` compares each title cell's ``**Core path: about NN minutes**`` with the computed
figure and fails when they differ by more than :data:`TOLERANCE` (relative), and when the
total core path exceeds :data:`MAX_TOTAL_MINUTES`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

#: Prose read while following code and math: slower than ordinary reading (200-250 wpm).
WORDS_PER_MINUTE = 130.0
#: A display equation: read it and check it against the line before it.
MINUTES_PER_EQUATION = 0.75
#: A line of code, with its share of the printed output.
SECONDS_PER_CODE_LINE = 4.0
#: A figure: find in it what the prose says is there.
MINUTES_PER_FIGURE = 0.5
#: The tag that takes a cell off the core path.
OPTIONAL_TAG = "optional"
#: The heading from which on nothing is on the core path.
EXERCISES_HEADING = "## Exercises"
#: A stated time may differ from the computed one by this much (relative).
TOLERANCE = 0.15
#: The nine lessons' core paths together (issue 21: 3 h 30 or less).
MAX_TOTAL_MINUTES = 210
#: How a title cell states the reading time.
STATED = re.compile(r"\*\*Core path: about (\d+) minutes\*\*")

DISPLAY_MATH = re.compile(r"\$\$.*?\$\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.DOTALL)
FENCED_CODE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
IMAGE_MIMES = ("image/png", "image/svg+xml")


@dataclass
class Count:
    """What one lesson's core path holds, and how long it takes to read."""

    words: int = 0
    equations: int = 0
    code_lines: int = 0
    figures: int = 0

    @property
    def minutes(self) -> float:
        return (
            self.words / WORDS_PER_MINUTE
            + self.equations * MINUTES_PER_EQUATION
            + self.code_lines * SECONDS_PER_CODE_LINE / 60
            + self.figures * MINUTES_PER_FIGURE
        )


def source(cell: dict) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def is_optional(cell: dict) -> bool:
    return OPTIONAL_TAG in cell.get("metadata", {}).get("tags", [])


def exercises_line(cell: dict) -> int | None:
    """Index of the line ``## Exercises`` in a markdown cell, or None."""
    if cell["cell_type"] != "markdown":
        return None
    lines = [line.strip() for line in source(cell).splitlines()]
    return lines.index(EXERCISES_HEADING) if EXERCISES_HEADING in lines else None


def is_exercises_heading(cell: dict) -> bool:
    """Whether the cell holds the ``## Exercises`` heading (on any of its lines)."""
    return exercises_line(cell) is not None


def core_cells(cells: list[dict]) -> list[dict]:
    """The cells on the core path: not tagged optional, before ``## Exercises``.

    A cell whose ``## Exercises`` line comes after other text contributes that text.
    """
    core = []
    for cell in cells:
        line = exercises_line(cell)
        if line is not None:
            if line > 0 and not is_optional(cell):
                before = "\n".join(source(cell).splitlines()[:line])
                core.append({**cell, "source": before})
            break
        if not is_optional(cell):
            core.append(cell)
    return core


def code_line_count(text: str) -> int:
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and lines[0].strip().startswith("# NBVAL_"):
        has_reason = len(lines) > 1 and lines[1].lstrip().startswith("# why:")
        lines = lines[2:] if has_reason else lines[1:]
    return len(lines)


def count_cells(cells: list[dict]) -> Count:
    count = Count()
    for cell in cells:
        text = source(cell)
        if cell["cell_type"] == "markdown":
            count.equations += len(DISPLAY_MATH.findall(text))
            text = DISPLAY_MATH.sub(" ", text)
            for block in FENCED_CODE.findall(text):
                count.code_lines += code_line_count("\n".join(block.splitlines()[1:-1]))
            text = FENCED_CODE.sub(" ", text)
            count.words += len(re.findall(r"\w\S*|\S*\w", text))
        elif cell["cell_type"] == "code":
            count.code_lines += code_line_count(text)
            for output in cell.get("outputs", []):
                if any(mime in output.get("data", {}) for mime in IMAGE_MIMES):
                    count.figures += 1
    return count


def count_notebook(path: Path) -> Count:
    return count_cells(core_cells(json.loads(path.read_text())["cells"]))


def stated_minutes(path: Path) -> int | None:
    cells = json.loads(path.read_text())["cells"]
    match = STATED.search(source(cells[0])) if cells else None
    return int(match.group(1)) if match else None


def within_tolerance(stated: int | None, computed: float) -> bool:
    return stated is not None and abs(stated - computed) <= TOLERANCE * computed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lesson")
    parser.add_argument("--check", action="store_true", help="exit 1 on a stated-time mismatch")
    args = parser.parse_args(argv)
    paths = args.notebooks or NOTEBOOKS
    header = f"{'lesson':34} {'words':>6} {'eqs':>4} {'code':>5} {'figs':>4} {'min':>5}"
    header += f" {'stated':>6}"
    print(header)
    print("-" * len(header))
    total, failures = Count(), []
    for path in paths:
        count, stated = count_notebook(path), stated_minutes(path)
        for field in ("words", "equations", "code_lines", "figures"):
            setattr(total, field, getattr(total, field) + getattr(count, field))
        ok = within_tolerance(stated, count.minutes)
        if not ok:
            failures.append(f"{path.name}: states {stated}, computed {count.minutes:.0f} minutes")
        print(
            f"{path.name:34} {count.words:6d} {count.equations:4d} {count.code_lines:5d} "
            f"{count.figures:4d} {count.minutes:5.0f} {stated if stated is not None else '-':>6}"
            f"{'' if ok else '  <- off by more than 15%'}"
        )
    print("-" * len(header))
    print(
        f"{'total':34} {total.words:6d} {total.equations:4d} {total.code_lines:5d} "
        f"{total.figures:4d} {total.minutes:5.0f}   ({total.minutes / 60:.1f} h)"
    )
    if not args.notebooks and total.minutes > MAX_TOTAL_MINUTES:
        failures.append(f"total core path {total.minutes:.0f} > {MAX_TOTAL_MINUTES} minutes")
    if args.check and failures:
        print("\n".join(["", *failures]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
