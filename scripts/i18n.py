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
    python scripts/i18n.py build              # notebooks/<lang>/NN_*.ipynb from the catalogs
    python scripts/i18n.py build ja 03        # one language, one lesson
    python scripts/i18n.py build --allow-missing   # keep English where a message is missing

The format of ``show`` and ``fill``: each message starts with a line ``@@ N`` (its number in
the catalog) followed by its text; ``show`` prints the English (and the current translation, if
any, after a line ``@@ N translation``), ``fill`` reads ``@@ N`` blocks of translated text.
Messages absent from FILE keep their translation.

``build`` writes the translated lessons ``notebooks/<lang>/NN_*.ipynb`` (:func:`translate`):
the English notebook with every prose block of its markdown cells replaced by its translation,
code cells unchanged, and one code cell inserted before the first code cell that chooses the
lesson's language for the exercise checkers. It refuses a catalog with a missing or fuzzy
message, or none for a block (``extract`` was not run), unless ``--allow-missing`` (keep the
English block: for work on the tooling while the catalogs are being filled; never in CI). The
outputs of a translated lesson come from executing it (``make translations``); ``build`` keeps
the stored outputs when the code cells are unchanged, so a change of prose alone needs no run.
"""

from __future__ import annotations

import copy
import html
import json
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
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


def extract(selection: list[str], translations: Path = TRANSLATIONS) -> None:
    """Make or update the catalogs of the selected lessons (all if empty) in ``translations``."""
    lessons = sorted(NOTEBOOKS.glob(LESSON_GLOB))
    if selection:
        lessons = [p for p in lessons if any(p.name.startswith(s) for s in selection)]
    for notebook in lessons:
        pot = template(notebook)
        for language in LANGUAGES:
            path = translations / language / f"{notebook.stem}.po"
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


# --- translated notebooks ---------------------------------------------------------------------

#: The code cell a translated lesson starts its code with: it chooses the checkers' language.
LANGUAGE_CELL_ID = "course-language"
LANGUAGE_COMMENTS = {
    "zh_CN": "# 本课使用中文：练习的检查函数也用中文给出提示",
    "ru": "# Язык урока — русский: проверки упражнений тоже отвечают по-русски",
    "ja": "# このレッスンは日本語です。演習のチェック関数も日本語でメッセージを表示します",
}
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)([ \t]+#+)?[ \t]*$")
_INLINE_MATH = re.compile(r"(?<![\\$])\$[^$\n]+?\$(?!\$)")


class MissingTranslation(ValueError):
    """A catalog lacks the translation of a block (missing, fuzzy, or not extracted)."""


def heading_anchor(heading: str) -> str:
    """The id JupyterLab gives a Markdown heading: its rendered text, each space made ``-``.

    Rendered text: code spans lose their backticks, emphasis its markers, HTML tags and
    backslash escapes go, entities are decoded; inline math is not typeset (``$J$`` stays).
    """
    pieces, last = [], 0
    for math in _INLINE_MATH.finditer(heading):
        pieces.append(_rendered_text(heading[last : math.start()]))
        pieces.append(math.group(0))
        last = math.end()
    pieces.append(_rendered_text(heading[last:]))
    return "".join(pieces).strip().replace(" ", "-")


def _rendered_text(text: str) -> str:
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match.group(2).strip())
        return "\0"

    text = re.sub(r"(`+)(.+?)\1", keep, text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)
    text = html.unescape(text)
    for span in spans:
        text = text.replace("\0", span, 1)
    return text


def _heading_lines(text: str) -> list[tuple[int, re.Match[str]]]:
    """``(line index, match)`` of each Markdown heading line outside fenced code."""
    found, in_fence = [], False
    for index, line in enumerate(text.split("\n")):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _HEADING.match(line)):
            found.append((index, match))
    return found


def anchor_headings(english: str, translation: str) -> str:
    """``translation`` with each heading carrying the anchor of its English heading.

    A translated heading has another JupyterLab id than the English one, and the lessons link
    to headings by that id (``[section 3](#3.-Shift-invariance)``, kept unchanged in every
    translation). So a translated heading whose id differs gets an explicit, empty HTML anchor
    with the English id before its text: ``## <a id="3.-Shift-invariance"></a>3. 平移不变性``.
    JupyterLab's sanitizer turns the ``id`` into ``data-jupyter-id``, where its fragment
    navigation and link clicks look first; the heading's own id (its rendered text) is
    unchanged, since the anchor has no text.
    """
    english_headings = _heading_lines(english)
    lines = translation.split("\n")
    translated_headings = _heading_lines(translation)
    if len(english_headings) != len(translated_headings):
        raise MissingTranslation(
            f"the translation has {len(translated_headings)} heading(s), the English "
            f"{len(english_headings)}: {english.splitlines()[0]!r}"
        )
    pairs = zip(english_headings, translated_headings, strict=True)
    for (_, english_match), (index, match) in pairs:
        wanted = heading_anchor(english_match.group(2))
        marker = f'<a id="{_attribute(wanted)}"></a>'
        if heading_anchor(match.group(2)) == wanted or marker in match.group(2):
            continue
        lines[index] = f"{match.group(1)} {marker}{match.group(2)}{match.group(3) or ''}"
    return "\n".join(lines)


def _attribute(value: str) -> str:
    """``value`` escaped for a double-quoted HTML attribute."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def catalog_messages(path: Path) -> dict[tuple[str, str], Message]:
    """``{(cell id, English block): message}`` of a catalog."""
    with path.open("rb") as f:
        catalog = read_po(f)
    return {(str(m.context), str(m.id)): m for m in catalog if m.id}


def translate_markdown(
    source: str, cell_id: str, messages: dict[tuple[str, str], Message], missing: list[str]
) -> str:
    """A markdown cell's source with each prose block replaced by its translation.

    Blocks without a usable translation stay English and are appended to ``missing``.
    """
    pieces = []
    for block, separator in blocks(source):
        text = block
        if block and is_prose(block):
            message = messages.get((cell_id, block))
            if message is None or not message.string or message.fuzzy:
                state = "untranslated" if message is not None else "not in the catalog"
                state = "fuzzy" if message is not None and message.fuzzy else state
                missing.append(f"cell {cell_id}, {state}: {block.splitlines()[0][:60]!r}")
            else:
                text = anchor_headings(block, str(message.string))
        pieces.append(text + separator)
    return "".join(pieces)


def language_cell(language: str) -> dict[str, Any]:
    """The code cell that chooses the lesson's language for the exercise checkers."""
    source = (
        f"{LANGUAGE_COMMENTS[language]}\n"
        "import softmax_course.i18n\n\n"
        f'softmax_course.i18n.set_language("{language}")'
    )
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": LANGUAGE_CELL_ID,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def translate(
    notebook: Path, language: str, catalog: Path, *, allow_missing: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """The translated notebook (no outputs) and the blocks left English.

    Raises
    ------
    MissingTranslation
        If a block has no usable translation and ``allow_missing`` is false.
    """
    english = json.loads(notebook.read_text(encoding="utf-8"))
    messages = catalog_messages(catalog) if catalog.exists() else {}
    missing: list[str] = []
    cells = []
    for original in english["cells"]:
        cell = copy.deepcopy(original)
        if cell["cell_type"] == "markdown":
            cell["source"] = translate_markdown(_source(cell), cell["id"], messages, missing)
        elif cell["cell_type"] == "code":
            if not any(c["cell_type"] == "code" for c in cells):
                cells.append(language_cell(language))
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
    if missing and not allow_missing:
        where = catalog.relative_to(REPO) if catalog.is_relative_to(REPO) else catalog
        raise MissingTranslation(
            f"{where}: {len(missing)} block(s) without a translation, e.g. {missing[0]}"
        )
    english["cells"] = cells
    english["metadata"].pop("widgets", None)  # the saved widget state of the English run
    english["metadata"]["softmax_course"] = {
        "language": language,
        "source": f"notebooks/{notebook.name}",
    }
    return english, missing


def keep_outputs(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Give ``new`` the outputs of ``old`` if their code cells are the same; say if it did.

    The outputs, execution counts and saved widget state come from one run of the code
    cells, so they are kept only when every code cell (id and source, in order) is unchanged.
    """

    def code(notebook: dict[str, Any]) -> list[tuple[str, str]]:
        return [(c["id"], _source(c)) for c in notebook["cells"] if c["cell_type"] == "code"]

    if code(new) != code(old):
        return False
    if any(c.get("execution_count") is None for c in old["cells"] if c["cell_type"] == "code"):
        return False  # never executed (or not completely): nothing to keep
    runs = {c["id"]: c for c in old["cells"] if c["cell_type"] == "code"}
    for cell in new["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = runs[cell["id"]].get("outputs", [])
            cell["execution_count"] = runs[cell["id"]].get("execution_count")
    if "widgets" in old["metadata"]:
        new["metadata"]["widgets"] = old["metadata"]["widgets"]
    return True


def translated_path(language: str, notebook: Path, notebooks: Path = NOTEBOOKS) -> Path:
    return notebooks / language / notebook.name


def build_text(
    notebook: Path,
    language: str,
    *,
    translations: Path = TRANSLATIONS,
    target: Path | None = None,
    allow_missing: bool = False,
) -> tuple[str, list[str], bool]:
    """The file text of a translated lesson, the blocks left English, and if outputs were kept.

    ``target`` (default ``notebooks/<language>/<lesson>.ipynb``) is the stored translated
    lesson whose outputs are kept when its code cells are unchanged.
    """
    import nbformat

    catalog = translations / language / f"{notebook.stem}.po"
    translated, missing = translate(notebook, language, catalog, allow_missing=allow_missing)
    target = target or translated_path(language, notebook)
    kept = target.exists() and keep_outputs(
        translated, json.loads(target.read_text(encoding="utf-8"))
    )
    return nbformat.writes(nbformat.from_dict(translated)) + "\n", missing, kept


def build(languages: list[str], selection: list[str], *, allow_missing: bool = False) -> int:
    """Write ``notebooks/<language>/NN_*.ipynb``; return 1 if a lesson could not be built."""
    lessons = sorted(NOTEBOOKS.glob(LESSON_GLOB))
    if selection:
        lessons = [p for p in lessons if any(p.name.startswith(s) for s in selection)]
    failed = 0
    for language in languages:
        folder = NOTEBOOKS / language
        folder.mkdir(exist_ok=True)
        if not selection:  # a lesson renamed or removed in English goes in every language
            names = {p.name for p in lessons}
            for stale in folder.glob(LESSON_GLOB):
                if stale.name not in names:
                    stale.unlink()
                    print(f"{stale.relative_to(REPO)}: removed (no English lesson)")
        for notebook in lessons:
            path = translated_path(language, notebook)
            try:
                text, missing, kept = build_text(notebook, language, allow_missing=allow_missing)
            except MissingTranslation as error:
                hint = "--allow-missing keeps English"
                print(f"{path.relative_to(REPO)}: not built: {error} ({hint})")
                failed += 1
                continue
            old = path.read_text(encoding="utf-8") if path.exists() else None
            if old != text:
                path.write_text(text, encoding="utf-8")
            state = "unchanged" if old == text else "written"
            runs = "outputs kept" if kept else "needs a run (make translations)"
            english = f"; {len(missing)} block(s) left English" if missing else ""
            print(f"{path.relative_to(REPO)}: {state}, {runs}{english}")
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    commands = {"extract", "stats", "show", "fill", "build"}
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
    if argv[0] == "build":
        allow_missing = "--allow-missing" in argv[1:]
        rest = [a for a in argv[1:] if a != "--allow-missing"]
        unknown = [a for a in rest if a not in LANGUAGES and not re.fullmatch(r"\d\d?", a)]
        if unknown:
            print(f"build: {unknown} are neither {'/'.join(LANGUAGES)} nor a lesson number")
            return 2
        languages = [a for a in rest if a in LANGUAGES] or list(LANGUAGES)
        lessons = [a for a in rest if a not in LANGUAGES]
        return build(languages, lessons, allow_missing=allow_missing)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
