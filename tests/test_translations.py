"""The translated lessons: complete catalogs, faithful invariants, one glossary, generated files.

The English notebooks are the only source of code, math and structure; ``translations/<lang>/``
holds the translated prose (one gettext catalog per lesson) and ``notebooks/<lang>/`` the
lessons generated from both (``scripts/i18n.py build``, then executed: ``make translations``).
What is checked here, per language and lesson:

* the catalog is complete (no message missing or fuzzy) and up to date with the English
  lesson (``extract`` would not change a byte of it: no message of an older English text);
* every math span, code span, link target and number of each English message is in its
  translation, as often (an independent reading of the Markdown, not ``scripts/i18n.py``);
* the glossary's translation of a term is used wherever the English uses the term;
* the generated notebook is what ``build`` makes from today's sources (outputs aside), its
  code cells are the English ones plus the one cell choosing the language, and every heading
  anchor of the English lesson resolves in it.

The translated notebooks run under strict nbval with the English ones (pytest's ``notebooks``
test path holds ``notebooks/<lang>/``).
"""

from __future__ import annotations

import csv
import html
import importlib.util
import json
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("babel", reason="the catalogs are read with Babel (make venv installs it)")
from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402

from tests.test_project import heading_anchor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh_CN", "ru", "ja")
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CASES = [(language, lesson) for language in LANGUAGES for lesson in LESSONS]
CASE_IDS = [f"{language}-{lesson.name[:2]}" for language, lesson in CASES]


def i18n_script():
    """``scripts/i18n.py`` as a module (scripts/ is not a package)."""
    if "course_i18n_script" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "course_i18n_script", ROOT / "scripts/i18n.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["course_i18n_script"] = module
        spec.loader.exec_module(module)
    return sys.modules["course_i18n_script"]


def catalog_file(language: str, lesson: Path) -> Path:
    return ROOT / "translations" / language / f"{lesson.stem}.po"


def messages(language: str, lesson: Path) -> list:
    with catalog_file(language, lesson).open("rb") as f:
        return [m for m in read_po(f) if m.id]


def translated(message) -> bool:
    return bool(message.string) and not message.fuzzy


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


# --- the catalogs ----------------------------------------------------------------------------


@pytest.mark.parametrize("language, lesson", CASES, ids=CASE_IDS)
def test_catalog_has_every_message_translated_and_none_fuzzy(language, lesson):
    found = messages(language, lesson)
    assert found, f"{catalog_file(language, lesson)} has no messages"
    missing = [m.id.splitlines()[0][:50] for m in found if not m.string]
    fuzzy = [m.id.splitlines()[0][:50] for m in found if m.fuzzy]
    assert not missing, f"{len(missing)}/{len(found)} untranslated, e.g. {missing[:3]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (the English changed: update them), e.g. {fuzzy[:3]}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name[:2])
def test_catalogs_are_up_to_date_with_the_english_lesson(lesson, tmp_path, capsys):
    """``extract`` run on a copy of the catalogs changes none of them: no message is missing
    for a block of today's English, none is left from an older English text."""
    copy = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", copy)
    i18n_script().extract([lesson.name[:2]], copy)
    capsys.readouterr()
    stale = [
        language
        for language in LANGUAGES
        if (copy / language / f"{lesson.stem}.po").read_bytes()
        != catalog_file(language, lesson).read_bytes()
    ]
    assert not stale, (
        f"the catalogs of {stale} are not made from today's {lesson.name}: run "
        f"`python scripts/i18n.py extract {lesson.name[:2]}` and translate what it marks"
    )


# The parts of a message a translation keeps, read independently of scripts/i18n.py.
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE_MATH = re.compile(r"\$([^$]+)\$")  # may span a line break (lesson 01 has one)
CODE_SPAN = re.compile(r"(`+)([^`]|[^`].*?[^`])\1(?!`)", re.DOTALL)
LINK_TARGET = re.compile(r"\]\(([^)\s]*)\)")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?")


def kept_parts(text: str) -> Counter:
    parts: Counter = Counter()
    for pattern, label in ((DISPLAY_MATH, "math"), (CODE_SPAN, "code"), (INLINE_MATH, "math")):
        for match in pattern.finditer(text):
            parts[(label, match.group(0))] += 1
        text = pattern.sub(" ", text)
    for match in LINK_TARGET.finditer(text):
        parts[("link target", match.group(1))] += 1
    text = LINK_TARGET.sub(" ", text)
    for match in NUMBER.finditer(text):
        parts[("number", match.group(0).lstrip("+"))] += 1
    return parts


@pytest.mark.parametrize(
    "text, parts",
    [
        ("see [section 3](#3.-Shift) of $e^{z}$ and `np.exp`", 4),
        ("$$\na = 1\n$$ costs 2.5 ms, 1e-9 and 1,000 times", 4),
        ("``a `b` c`` then `d`", 2),
    ],
)
def test_kept_parts_reads_math_code_links_and_numbers(text, parts):
    assert sum(kept_parts(text).values()) == parts


@pytest.mark.parametrize("language, lesson", CASES, ids=CASE_IDS)
def test_translations_keep_math_code_link_targets_and_numbers(language, lesson):
    changed = []
    for number, message in enumerate(messages(language, lesson), 1):
        if translated(message):
            want, got = kept_parts(message.id), kept_parts(message.string)
            if want != got:
                changed.append((number, dict(want - got), dict(got - want)))
    assert not changed, f"messages whose (lost, added) parts differ: {changed[:5]}"


# --- the glossary ----------------------------------------------------------------------------

# Where an English term is not prose: math, code spans, HTML, link targets, web addresses.
NOT_PROSE = re.compile(
    r"\$\$.*?\$\$|\$[^$\n]+\$|(`+).*?\1|<[^>\n]+>|\]\([^)\s]*\)|https?://\S+", re.DOTALL
)


def glossary(language: str) -> list[dict[str, str]]:
    with (ROOT / "translations" / language / "glossary.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def term_pattern(term: str) -> re.Pattern[str]:
    """The English term as a whole word (plural allowed), not inside a hyphenated compound:
    "entropy" is not a use in "cross-entropy", nor "softmax" in "log-softmax"."""
    return re.compile(rf"(?<![\w-]){re.escape(term)}(?:s|es)?(?![\w-])", re.IGNORECASE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_glossary_rows_are_well_formed(language):
    rows = glossary(language)
    assert rows and set(rows[0]) == {"english", "translation", "match"}
    terms = [row["english"].lower() for row in rows]
    assert len(terms) == len(set(terms)), "a term has two rows"
    for row in rows:
        assert all(row.values()), row
        match = re.compile(row["match"], re.IGNORECASE)
        assert match.search(row["translation"]), f"{row}: the match misses the translation"


@pytest.mark.parametrize("language", LANGUAGES)
def test_glossary_terms_are_translated_the_same_way_everywhere(language):
    rows = [
        (term_pattern(r["english"]), re.compile(r["match"], re.I), r) for r in glossary(language)
    ]
    inconsistent = []
    for lesson in LESSONS:
        for number, message in enumerate(messages(language, lesson), 1):
            if not translated(message):
                continue
            english = NOT_PROSE.sub(" ", message.id)
            translation = NOT_PROSE.sub(" ", message.string)
            for term, match, row in rows:
                if term.search(english) and not match.search(translation):
                    inconsistent.append(f"{lesson.name[:2]} @@ {number}: {row['english']!r}")
    assert not inconsistent, (
        f"{len(inconsistent)} messages use an English term of translations/{language}/"
        f"glossary.csv without its translation (its `match`): {inconsistent[:10]}"
    )


@pytest.mark.parametrize(
    "text, found",
    [
        ("The Jacobian of softmax", True),
        ("two Jacobians", True),
        ("the vector-Jacobian product", False),
        ("`jacobian(z)` returns", False),
        ("[see](#4.-The-Jacobian)", False),
        ("$J$ is the Jacobianmatrix", False),
    ],
)
def test_a_glossary_term_counts_only_as_a_word_of_prose(text, found):
    assert bool(term_pattern("Jacobian").search(NOT_PROSE.sub(" ", text))) is found


# --- the generated notebooks -----------------------------------------------------------------


def generated(language: str, lesson: Path) -> Path:
    return ROOT / "notebooks" / language / lesson.name


@pytest.mark.parametrize("language, lesson", CASES, ids=CASE_IDS)
def test_generated_lesson_is_up_to_date_with_its_sources(language, lesson):
    """What ``build`` makes now from the English lesson and the catalog is the stored file,
    byte for byte (the stored outputs kept, as ``build`` keeps them for unchanged code)."""
    path = generated(language, lesson)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run `make translations`"
    text, _, _ = i18n_script().build_text(lesson, language)
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.relative_to(ROOT)} is not what its sources make: run `make translations`"
    )


LANGUAGE_CELL = re.compile(
    r'# [^\n]+\nimport softmax_course\.i18n\n\nsoftmax_course\.i18n\.set_language\("(\w+)"\)'
)


@pytest.mark.parametrize("language, lesson", CASES, ids=CASE_IDS)
def test_generated_lesson_has_the_english_code_and_one_cell_choosing_its_language(language, lesson):
    path = generated(language, lesson)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run `make translations`"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["softmax_course"]["language"] == language
    english, ours = cells(lesson), notebook["cells"]
    inserted = [c for c in ours if not any(c["id"] == e["id"] for e in english)]
    assert len(inserted) == 1 and inserted[0]["cell_type"] == "code"
    (cell,) = inserted
    choice = LANGUAGE_CELL.fullmatch(source(cell))
    assert choice and choice.group(1) == language, source(cell)
    assert re.search(r"[^\x00-\x7f]", source(cell).splitlines()[0]), "a comment in the language"
    first_code = next(i for i, c in enumerate(english) if c["cell_type"] == "code")
    assert ours.index(cell) == first_code, "the language is chosen before any other code runs"
    rest = [c for c in ours if c is not cell]
    assert [(c["id"], c["cell_type"]) for c in rest] == [(c["id"], c["cell_type"]) for c in english]
    for theirs, mine in zip(english, rest, strict=True):
        if theirs["cell_type"] == "code":
            assert source(mine) == source(theirs), f"code cell {theirs['id']} differs"
            assert mine["metadata"] == theirs["metadata"], f"cell {theirs['id']} metadata"


EXPLICIT_ANCHOR = re.compile(r'<a id="([^"]*)"></a>')
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
FENCED = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def anchors_of(path: Path) -> set[str]:
    """JupyterLab's ids of the notebook's headings, and their explicit ``<a id>`` anchors."""
    found = set()
    for cell in cells(path):
        if cell["cell_type"] == "markdown":
            for heading in HEADING.findall(FENCED.sub("", source(cell))):
                found.add(heading_anchor(heading))
                found |= {html.unescape(a) for a in EXPLICIT_ANCHOR.findall(heading)}
    return found


@pytest.mark.parametrize("language, lesson", CASES, ids=CASE_IDS)
def test_every_english_heading_anchor_resolves_in_the_translation(language, lesson):
    path = generated(language, lesson)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing: run `make translations`"
    lost = anchors_of(lesson) - anchors_of(path)
    assert not lost, f"headings a link to the English lesson reaches, absent here: {lost}"


# --- build, on a small notebook of its own ---------------------------------------------------


def tiny_lesson(tmp_path: Path) -> tuple[Path, Path]:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# 01 · Title"},
            {
                "cell_type": "code",
                "execution_count": 3,
                "id": "c1",
                "metadata": {"tags": ["keep"]},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": "1\n"}],
                "source": "print(1)",
            },
            {
                "cell_type": "markdown",
                "id": "m2",
                "metadata": {},
                "source": "## 3. Shift `x`\n\nSee [section 3](#3.-Shift-x) for $e^z$.\n\n$$\na\n$$",
            },
        ],
        "metadata": {"kernelspec": {"name": "python3"}, "widgets": {"state": 1}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    lesson = tmp_path / "01_tiny.ipynb"
    lesson.write_text(json.dumps(notebook))
    return lesson, tmp_path / "01_tiny.po"


def write_catalog(path: Path, strings: dict[tuple[str, str], tuple[str, bool]]) -> None:
    catalog = Catalog(locale="ru")
    for (context, english), (string, fuzzy) in strings.items():
        catalog.add(english, string, context=context, flags=["fuzzy"] if fuzzy else [])
    with path.open("wb") as f:
        write_po(f, catalog)


def test_build_translates_prose_anchors_headings_and_adds_the_language_cell(tmp_path):
    lesson, catalog = tiny_lesson(tmp_path)
    write_catalog(
        catalog,
        {
            ("m1", "# 01 · Title"): ("# 01 · Заголовок", False),
            ("m2", "## 3. Shift `x`"): ("## 3. Сдвиг `x`", False),
            ("m2", "See [section 3](#3.-Shift-x) for $e^z$."): (
                "См. [раздел 3](#3.-Shift-x) про $e^z$.",
                False,
            ),
        },
    )
    notebook, missing = i18n_script().translate(lesson, "ru", catalog)
    assert missing == []
    sources = [source(c) for c in notebook["cells"]]
    assert sources[0] == '# <a id="01-·-Title"></a>01 · Заголовок'
    assert 'set_language("ru")' in sources[1] and notebook["cells"][1]["cell_type"] == "code"
    assert sources[2] == "print(1)" and notebook["cells"][2]["outputs"] == []
    assert sources[3] == (
        '## <a id="3.-Shift-x"></a>3. Сдвиг `x`\n\nСм. [раздел 3](#3.-Shift-x) про $e^z$.'
        "\n\n$$\na\n$$"
    )
    # the anchor has no text: the heading's own JupyterLab id is that of its words
    assert heading_anchor(sources[3].splitlines()[0][3:]) == "3.-Сдвиг-x"
    assert notebook["metadata"]["softmax_course"]["language"] == "ru"
    assert "widgets" not in notebook["metadata"]


def test_build_refuses_missing_and_fuzzy_messages_unless_allowed(tmp_path):
    i18n = i18n_script()
    lesson, catalog = tiny_lesson(tmp_path)
    write_catalog(
        catalog,
        {
            ("m1", "# 01 · Title"): ("# 01 · Заголовок", True),
            ("m2", "## 3. Shift `x`"): ("", False),
        },
    )
    with pytest.raises(i18n.MissingTranslation, match="3 block"):
        i18n.translate(lesson, "ru", catalog)
    notebook, missing = i18n.translate(lesson, "ru", catalog, allow_missing=True)
    assert len(missing) == 3 and "fuzzy" in missing[0] and "untranslated" in missing[1]
    assert source(notebook["cells"][0]) == "# 01 · Title"


def test_build_keeps_outputs_only_for_unchanged_code(tmp_path):
    i18n = i18n_script()
    lesson, catalog = tiny_lesson(tmp_path)
    old, _ = i18n.translate(lesson, "ru", catalog, allow_missing=True)
    for count, cell in enumerate(c for c in old["cells"] if c["cell_type"] == "code"):
        cell["execution_count"], cell["outputs"] = count + 1, [{"output_type": "stream"}]
    new, _ = i18n.translate(lesson, "ru", catalog, allow_missing=True)
    assert i18n.keep_outputs(new, old)
    assert [c["execution_count"] for c in new["cells"] if c["cell_type"] == "code"] == [1, 2]
    changed, _ = i18n.translate(lesson, "ru", catalog, allow_missing=True)
    changed["cells"][2]["source"] = "print(2)"
    assert not i18n.keep_outputs(changed, old)
    assert changed["cells"][2]["outputs"] == []


def test_the_language_cell_chooses_the_checkers_language():
    from softmax_course import i18n

    for language in LANGUAGES:
        cell = i18n_script().language_cell(language)
        previous = i18n.set_language(None)
        try:
            exec(source(cell), {})
            assert i18n.language() == language
        finally:
            i18n.set_language(previous)


def test_the_site_resolves_a_translated_heading_by_its_english_anchor():
    """docs/_ext/course_links.py: the empty anchor leaves the title and becomes a section id."""
    pytest.importorskip("sphinx")
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import course_links
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    document = new_document("lesson", get_default_settings(Parser))
    section = nodes.section(ids=["slug"])
    title = nodes.title()
    title += nodes.raw("", '<a id="3.-Shift-&quot;x&quot;"></a>', format="html")
    title += nodes.Text("3. Сдвиг ")
    title += nodes.math("", "x")
    section += title
    document += section
    document.ids["slug"] = section
    course_links.adopt_explicit_anchors(document)
    assert not list(title.findall(nodes.raw))
    assert section["ids"] == ["slug", '3.-Shift-"x"']
    assert course_links.section_anchors(document) == {
        "3.-Сдвиг-$x$": "slug",
        '3.-Shift-"x"': "slug",
    }


# --- the READMEs of the languages -------------------------------------------------------------

README_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_readme_of_a_language_maps_its_lessons_and_names_its_commands(language):
    """README.<lang>.md: every lesson of the course linked in its language, the two ways to
    open them in that language, and every relative link resolving to a file."""
    text = (ROOT / f"README.{language}.md").read_text(encoding="utf-8")
    targets = README_LINK.findall(text)
    lessons = [t for t in targets if t.startswith("notebooks/")]
    assert lessons == [f"notebooks/{language}/{lesson.name}" for lesson in LESSONS]
    short = language.split("_")[0]
    assert f"make lab LANG={short}" in text and f"--lang {short}" in text
    assert "](README.md)" in text and "make test" in text
    missing = [t for t in targets if "://" not in t and not (ROOT / t).exists()]
    assert not missing, f"README.{language}.md links to files that do not exist: {missing}"


def test_the_english_readme_links_every_language():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for language in LANGUAGES:
        assert f"](README.{language}.md)" in readme
    assert "make lab LANG=zh" in readme and "--lang zh" in readme


# --- make lab LANG=... ------------------------------------------------------------------------


def make(*arguments: str, extra: Path | None = None) -> str:
    import subprocess

    files = ["-f", "Makefile", *(["-f", str(extra)] if extra else [])]
    return subprocess.run(
        ["make", "--no-print-directory", *files, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize(
    "lang, language",
    [("zh", "zh_CN"), ("zh_CN", "zh_CN"), ("zh-CN", "zh_CN"), ("ru", "ru"), ("ja_JP.UTF-8", "ja")],
)
def test_make_lab_in_a_language_opens_its_lessons_and_tells_the_checkers(lang, language):
    command = make("--dry-run", "--assume-old=.venv/.installed", "lab", f"LANG={lang}")
    assert f"SOFTMAX_COURSE_LANG={language} " in command
    assert f"--ServerApp.root_dir=notebooks/{language} " in command
    assert "--ServerApp.ip=127.0.0.1" in command


def test_make_lab_without_a_language_opens_the_english_lessons():
    command = make("--dry-run", "--assume-old=.venv/.installed", "lab")
    assert "--ServerApp.root_dir=notebooks " in command and "SOFTMAX_COURSE_LANG" not in command


def test_lang_given_to_make_is_not_the_locale_of_its_recipes(tmp_path):
    """``make lab LANG=zh``: no POSIX locale is called "zh"; the recipes get a real one."""
    probe = tmp_path / "probe.mk"
    probe.write_text('probe:\n\t@echo "$$LANG|$(LESSON_LANG)"\n')
    assert make("probe", "LANG=zh", extra=probe).strip() == "C.UTF-8|zh_CN"
    assert make("probe", "COURSE_LANG=ru", extra=probe).strip().endswith("|ru")
