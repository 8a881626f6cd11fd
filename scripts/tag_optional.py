"""Turn the italic "*Optional (skip on first reading): ...*" markings into ``optional`` cell tags.

Until issue 21, an optional part of a lesson began with an italic line
``*Optional (skip on first reading): what it is.*`` and lasted, by convention, to the next
heading. The reading-time script (``scripts/reading_time.py``) and the site need the extent
in the notebook itself, so this script makes it a cell tag:

* a markdown cell holding the mark starts an optional **run**. If a heading precedes the mark
  in the same cell, the run starts at that heading and lasts until the next heading of the same
  or a higher level (``## 5.`` runs to ``## 6.``); otherwise it starts at the mark and lasts
  until the next heading of any level;
* if core text precedes the start of the run in the same cell, the cell is split there (the
  new cell gets a fresh id); the part from the run's start on is tagged;
* every cell of the run (markdown and code) gets the tag ``optional``; the first cell keeps
  its italic line, so it says *Optional* in words;
* the title cell (index 0) is left alone: it only names the optional parts;
* ``## Summary`` and ``## Exercises`` always end a run.

Outputs are kept; the notebook does not need re-executing for the tags (a split markdown cell
has no outputs). Usage: ``python scripts/tag_optional.py notebooks/0[1-4]_*.ipynb``
(``--dry-run`` prints what it would tag).
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid

import nbformat

MARK = re.compile(r"^\*Optional \(skip on first reading\)", re.MULTILINE)
HEADING = re.compile(r"^(#{1,6}) ", re.MULTILINE)
TAG = "optional"
ALWAYS_CORE = ("## Summary", "## Exercises")


def heading_level(text: str) -> int | None:
    """Level of the first heading in ``text`` (None if it has none)."""
    match = HEADING.search(text)
    return len(match.group(1)) if match else None


def starts_with_heading(text: str) -> int | None:
    match = HEADING.match(text.lstrip())
    return len(match.group(1)) if match else None


def tag(cell) -> None:
    tags = cell.metadata.setdefault("tags", [])
    if TAG not in tags:
        tags.append(TAG)


def convert(notebook) -> list[int]:
    """Tag the optional runs in place; return the indices of the tagged cells."""
    cells = notebook.cells
    tagged: list[int] = []
    index = 1
    while index < len(cells):
        cell = cells[index]
        text = cell.source
        mark = MARK.search(text) if cell.cell_type == "markdown" else None
        if not mark:
            index += 1
            continue
        headings = [m for m in HEADING.finditer(text) if m.start() < mark.start()]
        if headings:
            start, end_level = headings[-1].start(), len(headings[-1].group(1))
        else:
            start, end_level = mark.start(), 6
        if text[:start].strip():  # split: the core text stays, the run gets its own cell
            core, rest = text[:start].rstrip() + "\n", text[start:]
            cell.source = core.rstrip("\n")
            new = nbformat.v4.new_markdown_cell(rest.rstrip("\n"))
            new.id = uuid.uuid4().hex[:8]
            cells.insert(index + 1, new)
            index += 1
        tag(cells[index])
        tagged.append(index)
        index += 1
        while index < len(cells):
            following = cells[index]
            level = (
                starts_with_heading(following.source) if following.cell_type == "markdown" else None
            )
            if following.source.lstrip().startswith(ALWAYS_CORE):
                break
            if level is not None and level <= end_level:
                break
            if MARK.search(following.source) and following.cell_type == "markdown":
                break  # a new run starts here
            tag(following)
            tagged.append(index)
            index += 1
    return tagged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        tagged = convert(notebook)
        print(f"{path}: tagged cells {tagged}")
        if not args.dry_run and tagged:
            nbformat.write(notebook, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
