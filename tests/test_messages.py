"""The checkers' catalogs are complete, current and compiled (``make messages`` keeps them so).

Fails when a checker's message changed or was added without its translations, when a
translation is fuzzy, drops or renames a ``{placeholder}``, or when a committed ``.mo`` is
older than its ``.po``. The runtime reads the ``.mo`` with the standard library only.
"""

from __future__ import annotations

import gettext
import importlib.util
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("messages_script", ROOT / "scripts" / "messages.py")
assert _spec is not None and _spec.loader is not None
messages = importlib.util.module_from_spec(_spec)
sys.modules["messages_script"] = messages
_spec.loader.exec_module(messages)


def _entries(catalog) -> list[tuple]:
    """What a translator sees of each message: its text, context, comments and files."""
    return [
        (m.id, m.context, tuple(m.auto_comments), tuple(sorted({path for path, _ in m.locations})))
        for m in catalog
        if m.id
    ]


def test_the_template_is_what_extraction_gives_now():
    with messages.TEMPLATE.open("rb") as file:
        stored = read_po(file)
    assert _entries(stored) == _entries(messages.extract()), (
        "softmax_course/locale/messages.pot is older than the checkers: run `make messages`"
    )


def test_the_extraction_finds_the_checkers_messages():
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in messages.extract() if m.id}
    assert len(ids) > 250
    assert (
        "not implemented yet: replace `raise NotImplementedError` with your code, then "
        "run this check again" in ids
    )
    assert "{title}: not passed" in ids and "expected {expected}, got {got}" in ids


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_each_catalog_is_complete_current_and_keeps_the_placeholders(language):
    problems = messages.problems(language)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_each_compiled_catalog_says_what_its_po_says(language):
    """The committed .mo, read by the standard library, holds exactly the .po's translations."""
    mo = messages.catalog_path(language).with_suffix(".mo")
    with mo.open("rb") as file:
        compiled = dict(gettext.GNUTranslations(file)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)  # the header
    expected: dict[object, str] = {}
    for message in messages.read(language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            for index, form in enumerate(message.string):
                expected[(message.id[0], index)] = form
        else:
            expected[message.id] = message.string
    assert compiled == expected, f"{mo} is older than its .po: run `make messages`"


@pytest.mark.parametrize(
    ("language", "word"), [("zh_CN", "通过"), ("ru", "пройдено"), ("ja", "合格")]
)
def test_the_standard_library_reads_the_compiled_catalogs(language, word):
    translations = gettext.translation(
        messages.DOMAIN, messages.LOCALE, languages=[language], fallback=False
    )
    assert word in translations.gettext("{title}: passed")
    every = (
        "every input tried ({total} call), the first {first}",
        "every input tried ({total} calls), the first {first}",
    )
    forms = {translations.ngettext(*every, n) for n in (1, 2, 5)}
    assert len(forms) == (3 if language == "ru" else 1)


def test_placeholders_are_read_with_their_format_specs():
    assert messages.placeholders("{a} {b:.1f} {c!r} {{d}} {e:g}") == {"a", "b", "c", "e"}
