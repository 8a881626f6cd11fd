"""Translation catalogs of the lessons: one gettext catalog per lesson and language.

The English notebooks in ``notebooks/`` are the only source of code, math and structure. The
prose of their markdown cells is cut into *blocks* (paragraphs, list runs, headings, tables; a
blank line ends a block, except inside a fenced code block or a ``$$`` display) and every block
that holds words is one message of ``translations/<lang>/<lesson>.po``:

* ``msgctxt`` is the id of the markdown cell (so equal paragraphs in two cells are separate
  messages, and a message is found again after cells move);
* ``msgid`` is the English block, byte for byte, so a change to the English text is a new
  message: the old translation becomes fuzzy (``#| msgid`` keeps the English it was made
  from) and CI fails until a translator updates it.

Every math span, code span, link target and number of a message must appear unchanged in its
translation (:func:`invariants`); ``fill`` refuses a translation that breaks this.

Usage::

    python scripts/i18n.py extract            # make/update every catalog from the notebooks
    python scripts/i18n.py extract 03         # only lesson 03
    python scripts/i18n.py stats              # translated / fuzzy / missing per catalog
    python scripts/i18n.py show ja 03         # the messages of a catalog, numbered, as text
    python scripts/i18n.py fill ja 03 FILE    # set translations from FILE (format of ``show``)

The format of ``show`` and ``fill``: each message starts with a line ``@@ N`` (its number in
the catalog) followed by its text; ``show`` prints the English (and the current translation, if
any, after a line ``@@ N translation``), ``fill`` reads ``@@ N`` blocks of translated text.
Messages absent from FILE keep their translation.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
TRANSLATIONS = REPO / "translations"
LANGUAGES = ("zh_CN", "ru", "ja")
LESSON_GLOB = "[0-9][0-9]_*.ipynb"

_FENCE = re.compile(r"^\s*(```|~~~)")
# What is not prose: display and inline math, code spans, HTML tags, link targets.
_NOT_PROSE = re.compile(
    r"\$\$.*?\$\$|\$[^$]+\$|`[^`\n]*`|<[^>\n]+>|\]\([^)\s]*\)|https?://\S+", re.DOTALL
)


def blocks(text: str) -> list[tuple[str, str]]:
    """Cut a markdown cell into ``(block, separator)`` pairs; ``"".join`` of all gives ``text``.

    A blank line ends a block, except inside a fenced code block or a ``$$`` display.
    """
    pieces: list[tuple[str, str]] = []
    current: list[str] = []
    separator: list[str] = []
    in_fence = in_math = False
    for line in text.splitlines(keepends=True):
        blank = not line.strip()
        if blank and not in_fence and not in_math:
            if current:
                separator.append(line)
            elif pieces:  # blank lines after a separator belong to it
                block, sep = pieces[-1]
                pieces[-1] = (block, sep + line)
            else:
                separator.append(line)  # leading blank lines: kept as an empty block
            continue
        if separator and current:
            pieces.append(("".join(current), "".join(separator)))
            current, separator = [], []
        elif separator and not current:
            pieces.append(("", "".join(separator)))
            separator = []
        current.append(line)
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.count("$$") % 2 == 1:
            in_math = not in_math
    if current or separator:
        pieces.append(("".join(current), "".join(separator)))
    # a block's own trailing newline belongs to the separator, so messages hold no "\n" at the end
    cleaned = []
    for block, sep in pieces:
        stripped = block.rstrip("\n")
        cleaned.append((stripped, block[len(stripped) :] + sep))
    return cleaned


def is_prose(block: str) -> bool:
    """True if the block has words outside math, code, HTML and link targets."""
    if _FENCE.match(block):
        return False
    return re.search(r"[^\W\d_]{2,}", _NOT_PROSE.sub(" ", block)) is not None


_INVARIANT = re.compile(r"\$\$.*?\$\$|\$[^$]+\$|`[^`\n]*`|\]\(([^)\s]*)\)", re.DOTALL)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?")


def invariants(text: str) -> list[str]:
    """The parts of a message a translation keeps unchanged, sorted.

    Display and inline math, code spans, link targets, and the numbers of the prose outside them.
    """
    found: list[str] = []
    for match in _INVARIANT.finditer(text):
        found.append(match.group(1) if match.group(1) is not None else match.group(0))
    prose = _INVARIANT.sub(" ", text)
    found.extend(n.lstrip("+") for n in _NUMBER.findall(prose))
    return sorted(found)


def invariant_problems(english: str, translation: str) -> list[str]:
    """What of ``english``'s invariants ``translation`` lost or added (empty if none)."""
    want, got = invariants(english), invariants(translation)
    problems = []
    for item in sorted(set(want) | set(got)):
        if want.count(item) != got.count(item):
            counts = f"{want.count(item)} in English, {got.count(item)} in translation"
            problems.append(f"{item!r}: {counts}")
    return problems


def markdown_cells(notebook: Path) -> Iterator[tuple[str, str]]:
    """Yield ``(cell id, source)`` of each markdown cell of a notebook."""
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            yield cell["id"], source if isinstance(source, str) else "".join(source)


def template(notebook: Path) -> Catalog:
    """The messages of one English lesson, in the order a reader meets them."""
    catalog = Catalog(project="softmax_course", domain=notebook.stem, fuzzy=False)
    for cell_id, source in markdown_cells(notebook):
        for block, _ in blocks(source):
            if block and is_prose(block):
                message = catalog.get(block, context=cell_id)
                if message is None:
                    catalog.add(block, context=cell_id, locations=[(notebook.name, 0)])
    return catalog


def catalog_path(language: str, notebook: Path) -> Path:
    return TRANSLATIONS / language / f"{notebook.stem}.po"


def _fixed_header(catalog: Catalog, language: str) -> None:
    """Header fields that do not change from one run to the next (no dates in diffs)."""
    epoch = datetime(2026, 1, 1, tzinfo=timezone.utc)
    catalog.creation_date = epoch
    catalog.revision_date = epoch
    catalog.version = "1"
    catalog.last_translator = "softmax_course translators"
    catalog.language_team = language
    catalog.header_comment = (
        f"# {language} translation of a softmax_course lesson: made by scripts/i18n.py from\n"
        "# the English notebook; edit only the msgstr lines.\n"
        "# This file is distributed under the same license as the softmax_course project."
    )


def extract(selection: list[str]) -> None:
    lessons = sorted(NOTEBOOKS.glob(LESSON_GLOB))
    if selection:
        lessons = [p for p in lessons if any(p.name.startswith(s) for s in selection)]
    for notebook in lessons:
        pot = template(notebook)
        for language in LANGUAGES:
            path = catalog_path(language, notebook)
            if path.exists():
                with path.open("rb") as f:
                    catalog = read_po(f, locale=language, domain=notebook.stem)
                catalog.update(pot, update_header_comment=False)
                # messages of English text that is gone are dropped, not kept as obsolete
                catalog.obsolete.clear()
            else:
                catalog = Catalog(
                    locale=language, domain=notebook.stem, project="softmax_course", fuzzy=False
                )
                catalog.update(pot)
            _fixed_header(catalog, language)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as f:
                write_po(f, catalog, width=0, omit_header=False, include_previous=True)
        print(f"{notebook.name}: {len(pot)} messages")


def stats() -> int:
    missing_any = 0
    for path in sorted(TRANSLATIONS.glob("*/*.po")):
        with path.open("rb") as f:
            catalog = read_po(f)
        messages = [m for m in catalog if m.id]
        done = sum(1 for m in messages if m.string and not m.fuzzy)
        fuzzy = sum(1 for m in messages if m.fuzzy)
        missing = sum(1 for m in messages if not m.string)
        missing_any += fuzzy + missing
        rel = path.relative_to(REPO)
        print(f"{rel}: {done}/{len(messages)} translated, {fuzzy} fuzzy, {missing} missing")
    return 1 if missing_any else 0


def _catalog_for(language: str, lesson: str) -> Path:
    matches = sorted((TRANSLATIONS / language).glob(f"{lesson}*.po"))
    if len(matches) != 1:
        raise SystemExit(f"no single catalog translations/{language}/{lesson}*.po: {matches}")
    return matches[0]


def _messages(path: Path) -> tuple[Catalog, list]:
    with path.open("rb") as f:
        catalog = read_po(f)
    return catalog, [m for m in catalog if m.id]


def show(language: str, lesson: str) -> None:
    _, messages = _messages(_catalog_for(language, lesson))
    for number, message in enumerate(messages, 1):
        print(f"@@ {number}")
        print(message.id)
        if message.string:
            print(f"@@ {number} translation")
            print(message.string)


def fill(language: str, lesson: str, source: Path) -> int:
    path = _catalog_for(language, lesson)
    catalog, messages = _messages(path)
    parts = re.split(r"^@@ (\d+)[ \t]*\n", source.read_text(encoding="utf-8"), flags=re.M)
    bad = 0
    for number_text, text in zip(parts[1::2], parts[2::2], strict=True):
        number = int(number_text)
        if not 1 <= number <= len(messages):
            print(f"@@ {number}: no such message (1..{len(messages)})")
            bad += 1
            continue
        message = messages[number - 1]
        translation = text.strip("\n")
        problems = invariant_problems(message.id, translation)
        if problems:
            bad += 1
            print(f"@@ {number}: not filled, the translation changes " + "; ".join(problems))
            continue
        message.string = translation
        message.flags.discard("fuzzy")
        message.previous_id = []
    with path.open("wb") as f:
        write_po(f, catalog, width=0, omit_header=False, include_previous=True)
    done = sum(1 for m in messages if m.string and not m.fuzzy)
    print(f"{path.relative_to(REPO)}: {done}/{len(messages)} translated; {bad} refused")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    commands = {"extract", "stats", "show", "fill"}
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "extract":
        extract(argv[1:])
        return 0
    if argv[0] == "show" and len(argv) == 3:
        show(argv[1], argv[2])
        return 0
    if argv[0] == "fill" and len(argv) == 4:
        return fill(argv[1], argv[2], Path(argv[3]))
    if argv[0] == "stats":
        return stats()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
