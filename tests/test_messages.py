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

pytest.importorskip("babel", reason="the catalogs are extracted and compiled with Babel")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("messages_script", ROOT / "scripts" / "messages.py")
assert _spec is not None and _spec.loader is not None
messages = importlib.util.module_from_spec(_spec)
sys.modules["messages_script"] = messages
_spec.loader.exec_module(messages)


def _body(pot: bytes) -> bytes:
    """The template without the Babel version that wrote it (older Babel, same messages)."""
    return b"\n".join(line for line in pot.splitlines() if not line.startswith(b'"Generated-By'))


def test_the_template_is_what_extraction_gives_now():
    assert _body(messages.TEMPLATE.read_bytes()) == _body(messages.template_bytes()), (
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
def test_each_compiled_catalog_is_made_from_its_po(language):
    mo = messages.catalog_path(language).with_suffix(".mo")
    assert mo.read_bytes() == messages.mo_bytes(language), f"run `make messages`: {mo}"


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
