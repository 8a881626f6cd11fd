"""The checkers' messages in Chinese, Russian and Japanese: extract, update, compile, check.

The exercise checkers (``softmax_course/exercises/``) mark each message for translation:
``_("... {name} ...")`` for a message made when a check runs, ``N_("...")`` for a message
defined at import (a :class:`softmax_course.i18n.Message`, translated when it is used), and
``ngettext(singular, plural, n)`` where a count is shown. This script keeps the catalogs of
``softmax_course/locale/`` in step with them (Babel's extractor; the runtime needs only the
standard library's ``gettext`` and the compiled ``.mo`` files, which are committed)::

    python scripts/messages.py extract   # code -> locale/messages.pot
    python scripts/messages.py update    # messages.pot -> <lang>/LC_MESSAGES/softmax_course.po
    python scripts/messages.py compile   # .po -> .mo
    python scripts/messages.py check     # missing, fuzzy or stale messages; bad placeholders
    python scripts/messages.py all       # extract, update, compile, then check (make messages)

After changing a checker's message: ``make messages``, translate what ``check`` lists as
missing or fuzzy in each ``.po`` (keep every ``{placeholder}`` of the English), then
``make messages`` again. ``tests/test_messages.py`` fails until the catalogs are complete.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "softmax_course"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "messages.pot"
DOMAIN = "softmax_course"
LANGUAGES = ("zh_CN", "ru", "ja")
#: Where the checkers' messages live (the helper functions' errors stay English).
SOURCES = ("exercises",)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# A fixed date: re-extracting unchanged code gives the same file, byte for byte.
_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[:!][^{}]*)?\}(?!\})")


def placeholders(text: str) -> set[str]:
    """The names of the ``{name}`` / ``{name:spec}`` fields of a format string."""
    return set(_PLACEHOLDER.findall(text))


def extract() -> Catalog:
    """The messages of the checkers, as a Babel catalog (the template)."""
    template = Catalog(
        project="softmax_course",
        domain=DOMAIN,
        creation_date=_EPOCH,
        revision_date=_EPOCH,
        msgid_bugs_address="",
        charset="utf-8",
        fuzzy=False,
    )
    for folder in SOURCES:
        found = extract_from_dir(
            PACKAGE / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            path = f"softmax_course/{folder}/{filename}"
            template.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return template


def _write(catalog: Catalog, path: Path | None = None) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, sort_by_file=False)
    data = buffer.getvalue()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return data


def template_bytes() -> bytes:
    """``messages.pot`` as extraction writes it now."""
    return _write(extract())


def catalog_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    with catalog_path(language).open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def update() -> None:
    """Merge the template into each language's catalog (new messages empty, changed fuzzy)."""
    template = extract()
    for language in LANGUAGES:
        path = catalog_path(language)
        if path.exists():
            catalog = read(language)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="softmax_course")
        catalog.update(template, update_header_comment=False)
        catalog.obsolete.clear()  # a message gone from the code is gone from the catalog
        catalog.creation_date = _EPOCH
        catalog.revision_date = _EPOCH
        catalog.fuzzy = False
        _write(catalog, path)


def mo_bytes(language: str) -> bytes:
    """The compiled catalog of ``language`` (fuzzy messages left out, as msgfmt does)."""
    buffer = io.BytesIO()
    write_mo(buffer, read(language), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for language in LANGUAGES:
        catalog_path(language).with_suffix(".mo").write_bytes(mo_bytes(language))


def _messages(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def _complete(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def problems(language: str) -> list[str]:
    """What is wrong with a language's catalog: each missing, fuzzy, stale or broken message."""
    template = {message.id: message for message in _messages(extract())}
    catalog = read(language)
    found: list[str] = []
    ids = set()
    for message in _messages(catalog):
        key = message.id
        ids.add(key)
        english = key if isinstance(key, str) else key[0]
        if key not in template:
            found.append(f"{language}: not in the code (stale): {english!r}")
            continue
        if message.fuzzy:
            found.append(f"{language}: fuzzy: {english!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            found.append(f"{language}: missing: {english!r}")
            continue
        wanted = placeholders(key if isinstance(key, str) else key[1])
        for text in strings:
            if placeholders(text) != wanted:
                found.append(
                    f"{language}: placeholders {sorted(placeholders(text))} instead of "
                    f"{sorted(wanted)}: {english!r}"
                )
    for key in template:
        if key not in ids:
            found.append(f"{language}: not in the catalog: {key!r}")
    return found


def check() -> int:
    """Print every problem of the catalogs; 1 if any (or a stale template or .mo), else 0."""
    found = [problem for language in LANGUAGES for problem in problems(language)]
    if TEMPLATE.read_bytes() != template_bytes():
        found.append("messages.pot is older than the code: run `make messages`")
    for language in LANGUAGES:
        if catalog_path(language).with_suffix(".mo").read_bytes() != mo_bytes(language):
            found.append(f"{language}: the .mo is older than the .po: run `make messages`")
    for problem in found:
        print(problem)
    counts = ", ".join(
        f"{language} {sum(1 for m in _messages(read(language)) if _complete(m))}"
        for language in LANGUAGES
    )
    print(f"{len(list(_messages(extract())))} messages; translated: {counts}")
    return 1 if found else 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "all"
    if command in ("extract", "all"):
        _write(extract(), TEMPLATE)
    if command in ("update", "all"):
        update()
    if command in ("compile", "all"):
        compile_all()
    if command in ("check", "all"):
        return check()
    if command not in ("extract", "update", "compile"):
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
