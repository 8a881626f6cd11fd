"""``make html``: the course website builds without a warning and serves everything itself.

The site is built once (scripts/build_html.py: Sphinx with ``-W``, nitpicky) into a temporary
folder (or into ``$SITE_OUT``, kept there for the browser tests: CI builds it once). Each
lesson page is compared with its notebook: every stored figure shown with alt text, the
notebook offered for download byte for byte, the title taken from its first heading. The
browser half of the checks (math typeset, no request leaving 127.0.0.1, search, previous/next)
is tests/e2e/test_site.py.

The same build makes a site per language whose translated lessons exist (``notebooks/zh_CN``,
``notebooks/ru``, ``notebooks/ja`` -> ``zh/``, ``ru/``, ``ja/``): each is checked against its
own notebooks, against the English page of the same lesson (the same math, figures and
widgets), against Sphinx's own translations of the theme's words, and through its search index
with the terms of ``translations/<code>/glossary.csv``.
"""

from __future__ import annotations

import csv
import gettext
import importlib.util
import json
import os
import re
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

import softmax_course

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
VENDOR = REPO / "docs" / "_vendor"
# Each translation: its folder of notebooks/ and translations/, its site's folder, lang="...".
TRANSLATIONS = {"zh_CN": ("zh", "zh-CN"), "ru": ("ru", "ru"), "ja": ("ja", "ja")}


def _translated_lessons(code: str) -> list[Path]:
    return sorted((REPO / "notebooks" / code).glob("[0-9][0-9]_*.ipynb"))


PRESENT = [code for code in TRANSLATIONS if _translated_lessons(code)]

if importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("myst_nb") is None:
    pytest.skip("the site's tools are pinned for Python >= 3.11 only", allow_module_level=True)

# One Sphinx run per language (up to four, one per core at a time): the first test that uses
# the site waits for all of them, longer than pyproject's 600 s on a loaded 2-core machine.
pytestmark = pytest.mark.timeout(1800)


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_html", REPO / "scripts" / "build_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Tags(HTMLParser):
    """Every start tag with its attributes, and <a href> with the text inside."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attrs))
        if tag == "a" and "href" in attrs:
            self._href, self._text = attrs["href"], []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _parse(path: Path) -> _Tags:
    tags = _Tags()
    tags.feed(path.read_text(encoding="utf-8"))
    return tags


def _notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _stored_pngs(notebook: Path) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in _notebook(notebook)["cells"]
        for output in cell.get("outputs", [])
    )


def _first_heading(notebook: Path) -> str:
    for cell in _notebook(notebook)["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    raise AssertionError(f"{notebook.name} has no Markdown heading")


def _page(site: Path, notebook: Path) -> Path:
    return site / "lessons" / f"{notebook.stem}.html"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    # $SITE_OUT (CI): build into that folder and keep it, so `make e2e` (SITE_DIR) opens the
    # very sites checked here instead of building all four again.
    kept = os.environ.get("SITE_OUT")
    if kept:
        out = Path(kept).resolve()
        for suffix in ("", ".doctrees", ".i18n"):  # what scripts/build_html.py writes
            shutil.rmtree(out.with_name(out.name + suffix), ignore_errors=True)
    else:
        out = tmp_path_factory.mktemp("site") / "html"
    return out, _load_builder().build(out)


@pytest.fixture(scope="module")
def site(build):
    out, result = build
    assert result.returncode == 0, result.stderr
    return out


def test_there_are_lessons_to_build():
    assert LESSONS, "no notebooks/NN_*.ipynb found"


def test_the_build_produces_no_warning(build):
    _, result = build
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_page_shows_all_its_stored_figures_with_alt_text(site, notebook):
    page = _page(site, notebook)
    figures = [img for img in _parse(page).all("img") if "_images/" in img.get("src", "")]
    assert len(figures) == _stored_pngs(notebook)
    for img in figures:
        assert (page.parent / img["src"]).is_file(), img["src"]
        assert img.get("alt", "").startswith("Figure "), img
        assert "$" not in img["alt"] and "\\" not in img["alt"], img["alt"]


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_offers_its_notebook_for_download(site, notebook):
    page = _page(site, notebook)
    hrefs = [href for href, _ in _parse(page).links if href.endswith(f"/{notebook.name}")]
    assert hrefs, f"no download link to {notebook.name}"
    for href in hrefs:
        assert (page.parent / href).read_bytes() == notebook.read_bytes()


def test_index_lists_every_lesson_in_order_under_its_title(site):
    links = _parse(site / "index.html").links
    # The lesson map: each lesson's link is followed by its notebook's download link (the
    # sidebar and the footer link lessons too, without one).
    in_map = [
        (href, text)
        for (href, text), (after, _) in zip(links, links[1:], strict=False)
        if href.startswith("lessons/") and after.startswith("_sources/")
    ]
    expected = [(f"lessons/{nb.stem}.html", _first_heading(nb)) for nb in LESSONS]
    assert [h for h, _ in in_map] == [h for h, _ in expected]
    for (_, text), (_, heading) in zip(in_map, expected, strict=True):
        # Rendered as text: `code` and *emphasis* marks are dropped.
        assert text == heading.replace("`", "").replace("*", "")
    # One copy of each notebook in the site: the one the pages' download buttons use.
    assert not (site / "_downloads").exists()
    downloads = [h for h, _ in links if h.startswith("_sources/") and h.endswith(".ipynb")]
    assert [Path(h).name for h in downloads] == [nb.name for nb in LESSONS]
    for href, notebook in zip(downloads, LESSONS, strict=True):
        assert (site / href).read_bytes() == notebook.read_bytes()


def test_every_lesson_has_questions_on_the_landing_page(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    for notebook, next_one in zip(LESSONS, [*LESSONS[1:], None], strict=True):
        start = text.index('href="_sources/', text.index(f'href="lessons/{notebook.stem}.html'))
        end = text.index(f'href="lessons/{next_one.stem}.html', start) if next_one else None
        assert "<li><p>" in text[start:end], f"no questions listed for {notebook.stem}"


def _pages(site: Path) -> list[Path]:
    return [p for p in site.rglob("*.html") if not p.relative_to(site).parts[0].startswith("_")]


def test_no_page_loads_anything_from_another_host(site):
    for page in _pages(site):
        tags = _parse(page)
        sources = [a.get("src", "") for a in tags.all("script") + tags.all("img")]
        sources += [a.get("href", "") for a in tags.all("link")]
        remote = [s for s in sources if re.match(r"(https?:)?//", s)]
        assert not remote, (page.name, remote)


def test_math_is_typeset_by_the_vendored_mathjax_3(site):
    for notebook in LESSONS:
        scripts = [a.get("src", "") for a in _parse(_page(site, notebook)).all("script")]
        mathjax = [s for s in scripts if "/mathjax/" in s]
        assert mathjax == [s for s in mathjax if s.startswith("../_static/mathjax/tex-chtml.js")]
        assert len(mathjax) == 1, mathjax
    served = (site / "_static" / "mathjax" / "tex-chtml.js").read_bytes()
    assert served == (VENDOR / "mathjax" / "tex-chtml.js").read_bytes()
    assert b"3.2.2" in served  # the pinned version (docs/_vendor/README.md)


def test_saved_widgets_are_rendered_by_the_vendored_widget_manager(site):
    with_widgets = [
        nb
        for nb in LESSONS
        if _notebook(nb)["metadata"]
        .get("widgets", {})
        .get("application/vnd.jupyter.widget-state+json", {})
    ]
    assert with_widgets, "no lesson stores widget state: the widget checks check nothing"
    for notebook in with_widgets:
        tags = _parse(_page(site, notebook))
        types = [a.get("type") for a in tags.all("script")]
        assert "application/vnd.jupyter.widget-state+json" in types
        assert "application/vnd.jupyter.widget-view+json" in types
        srcs = [a.get("src", "") for a in tags.all("script")]
        assert any(s.startswith("../_static/html-manager/embed.js") for s in srcs), srcs


def test_the_api_reference_has_a_page_per_module_with_a_summary_table(site):
    pages = sorted((site / "api").glob("softmax_course.*.html"))
    names = {p.stem for p in pages}
    assert {"softmax_course.core", "softmax_course.nn", "softmax_course.autodiff"} <= names
    index_links = {href for href, _ in _parse(site / "api.html").links}
    ids = set()
    for page in pages:
        assert f"api/{page.name}" in index_links, page.name
        tags = _parse(page)
        ids |= {a.get("id") for _, a in tags.tags}
        tables = [a for a in tags.all("table") if "autosummary" in a.get("class", "")]
        assert tables, f"{page.name} has no summary table"
        text = page.read_text(encoding="utf-8")
        # numpy's ArrayLike by its name, not its expansion into buffer and sequence protocols.
        assert "_SupportsArray" not in text and "_NestedSequence" not in text, page.name
    public = [
        name
        for name in softmax_course.__all__
        if callable(getattr(softmax_course, name)) and not name.startswith("_")
    ]
    missing = [name for name in public if f"softmax_course.{name}" not in ids]
    assert not missing, missing
    assert "softmax_course.nn.Linear" in ids  # submodules' classes, under their module's name
    core = (site / "api" / "softmax_course.core.html").read_text(encoding="utf-8")
    assert "ArrayLike" in core
    assert "&gt;&gt;&gt; " in core  # the doctest examples
    assert 'class="math' in core  # the Notes' formulas


def test_lesson_code_links_to_the_reference_and_has_no_test_markers(site):
    linked = 0
    for notebook in LESSONS:
        text = _page(site, notebook).read_text(encoding="utf-8")
        assert "NBVAL_IGNORE_OUTPUT" not in re.sub(r"<p>.*?</p>", "", text, flags=re.S), notebook
        linked += len(re.findall(r'class="sphinx-codeautolink-a"[^>]*href="[^"]*api/', text))
        linked += len(re.findall(r'href="[^"]*api/[^"]*#softmax_course[^"]*"[^>]*>\s*<code', text))
    assert linked > 100, linked


def test_each_lesson_links_glossary_terms_once(site):
    for notebook in LESSONS:
        tags = _parse(_page(site, notebook))
        terms = [href for href, _ in tags.links if "glossary.html#term-" in href]
        assert terms, f"no glossary link in {notebook.stem}"
        assert len(terms) == len(set(terms)), f"a term linked twice in {notebook.stem}"
    glossary = (site / "glossary.html").read_text(encoding="utf-8")
    for term in ("logit", "probability-simplex", "Kronecker-delta", "vector-Jacobian-product"):
        assert f'id="term-{term}"' in glossary, term


def test_exercise_marks_do_not_need_an_emoji_font(site):
    for notebook in LESSONS:
        text = _page(site, notebook).read_text(encoding="utf-8")
        assert "\u274c" not in text and "\u2705" not in text, notebook.stem


def test_the_teachers_page_is_in_the_reference_and_names_the_outputs(site):
    page = site / "teachers.html"
    index_links = {href for href, _ in _parse(site / "index.html").links}
    assert "teachers.html" in index_links
    text = page.read_text(encoding="utf-8")
    for needed in ("RUBRICS.md", "SOFTMAX_COURSE_GRADING", "grades.csv", "results.json"):
        assert needed in text, needed


def test_the_search_index_finds_kronecker_in_lesson_04(site):
    raw = (site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
    docs = index["docnames"]
    # Terms are stored stemmed ("kronecker" -> "kroneck").
    hits = [
        i
        for term, h in index["terms"].items()
        if term.startswith("kroneck")
        for i in ([h] if isinstance(h, int) else h)
    ]
    lesson04 = next(nb for nb in LESSONS if nb.name.startswith("04_"))
    assert f"lessons/{lesson04.stem}" in [docs[i] for i in hits]


# --- links between lessons, written the way JupyterLab resolves them (docs/_ext/course_links.py)


def _markdown_notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": c}
                for i, c in enumerate(cells)
            ],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def _build_fixture(tmp_path: Path, link_in_b: str):
    """A two-notebook project with the site's link resolution, built with -W."""
    import subprocess
    import sys

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(REPO / 'docs' / '_ext')!r})\n"
        "extensions = ['myst_nb', 'course_links']\n"
        "nb_execution_mode = 'off'\n"
        "myst_enable_extensions = ['dollarmath']\n"
        "myst_heading_anchors = 3\n"
        "exclude_patterns = ['_build']\n",
        encoding="utf-8",
    )
    (src / "index.md").write_text("# Fixture\n\n```{toctree}\na\nb\n```\n", encoding="utf-8")
    (src / "a.ipynb").write_text(
        _markdown_notebook(
            "# Lesson A",
            "## 3. Subtracting a constant: the proof, and why the constant is the maximum\n\ntext",
            "## 4. What $J$ looks like, and why\n\ntext",
            "### 4.1 Less deep\n\ntext",
            "#### 4.1.1 A `deep` heading\n\ntext",
            "See [section 4](#4.-What-$J$-looks-like,-and-why) and "
            "[the deep one](#4.1.1-A-deep-heading).",
        ),
        encoding="utf-8",
    )
    (src / "b.ipynb").write_text(
        _markdown_notebook("# Lesson B", f"## 1. Links\n\n{link_in_b}"), encoding="utf-8"
    )
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-W", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    return out, result


def _ids(page: Path) -> set[str]:
    return {a.get("id") for _, a in _parse(page).tags if a.get("id")}


def test_jupyterlab_anchors_resolve_to_the_right_heading(tmp_path):
    out, result = _build_fixture(
        tmp_path,
        "[section 3 of lesson A](a.ipynb#3.-Subtracting-a-constant:-the-proof,-and-why-the-"
        "constant-is-the-maximum), [its deep section](a.ipynb#4.1.1-A-deep-heading) and "
        "[lesson A](a.ipynb).",
    )
    assert result.returncode == 0, result.stderr
    a_ids = _ids(out / "a.html")
    links_a = dict((text, href) for href, text in _parse(out / "a.html").links)
    section4 = links_a["section 4"]
    assert section4.startswith("#") and section4[1:] in a_ids
    assert "what-j-looks-like" in section4
    deep = links_a["the deep one"]
    assert deep.startswith("#") and deep[1:] in a_ids and "deep" in deep
    links_b = dict((text, href) for href, text in _parse(out / "b.html").links)
    page, anchor = links_b["section 3 of lesson A"].split("#")
    assert page == "a.html" and anchor in a_ids and "subtracting-a-constant" in anchor
    page, anchor = links_b["its deep section"].split("#")
    assert page == "a.html" and anchor in a_ids and "deep" in anchor
    assert links_b["lesson A"] == "a.html"


def test_an_unknown_jupyterlab_anchor_fails_the_build(tmp_path):
    _, result = _build_fixture(tmp_path, "[gone](a.ipynb#3.-No-such-heading)")
    assert result.returncode != 0
    assert "3.-No-such-heading" in result.stderr


# --- the sites in other languages (docs/_ext/course_i18n.py) ---------------------------------


def test_a_language_is_built_when_its_lessons_exist(tmp_path):
    builder = _load_builder()
    i18n = importlib.import_module("course_i18n")  # scripts/build_html.py put docs/_ext first
    (tmp_path / "notebooks" / "ru").mkdir(parents=True)
    (tmp_path / "notebooks" / "ja").mkdir()  # a folder without lessons does not count
    (tmp_path / "notebooks" / "ru" / "01_a.ipynb").write_text("{}", encoding="utf-8")
    assert i18n.available(tmp_path) == ["en", "ru"]
    with pytest.raises(ValueError, match="xx"):
        builder.build(tmp_path / "html", languages=["xx"])


@pytest.mark.parametrize("code", TRANSLATIONS)
def test_each_translation_present_is_built_and_each_absent_one_is_named(build, code):
    out, result = build
    folder = out / TRANSLATIONS[code][0]
    lessons = _translated_lessons(code)
    if not lessons:
        assert f"site: {code} skipped" in result.stdout, result.stdout
        assert not folder.exists()
        return
    assert result.returncode == 0, result.stderr
    for name in ("index.html", "glossary.html", "search.html", "api.html"):
        assert (folder / name).is_file(), name
    assert sorted(p.name for p in (folder / "lessons").glob("*.html")) == [
        f"{nb.stem}.html" for nb in lessons
    ]


def _site_pages(site: Path) -> list[Path]:
    """Every page of the English site and of the language sites (not _static etc.)."""
    return [p for p in site.rglob("*.html") if not any(part.startswith("_") for part in p.parts)]


def _switcher(page: Path) -> list[tuple[str, str, str]]:
    """``(lang, href, aria-current)`` of the language switcher's links on a page."""
    text = page.read_text(encoding="utf-8")
    nav = re.search(r'<nav class="course-languages".*?</nav>', text, re.S)
    assert nav, f"no language switcher on {page}"
    tags = _Tags()
    tags.feed(nav.group(0))
    return [(a["lang"], a["href"], a.get("aria-current", "")) for a in tags.all("a")]


def test_every_page_has_a_switcher_whose_links_resolve_to_the_same_page(site):
    folders = {"en": ""} | {code: TRANSLATIONS[code][0] for code in PRESENT}
    tags = {"en": "en"} | {code: TRANSLATIONS[code][1] for code in PRESENT}
    roots = {code: (site / folder if folder else site) for code, folder in folders.items()}
    lessons = {"en": {nb.stem for nb in LESSONS}} | {
        code: {nb.stem for nb in _translated_lessons(code)} for code in PRESENT
    }
    checked_same_lesson = 0
    for page in _site_pages(site):
        here = next(c for c in [*PRESENT, "en"] if page.is_relative_to(roots[c]))
        relative = page.relative_to(roots[here]).as_posix()
        links = _switcher(page)
        assert [lang for lang, _, _ in links] == [tags[c] for c in folders], page
        for code, (_, href, current) in zip(folders, links, strict=True):
            target = (page.parent / href).resolve()
            assert target.is_file(), (page, href)
            assert (current == "page") == (code == here), (page, href)
            stem = Path(relative).stem
            # Every site has every page of the English one (the API reference too), except the
            # parity table, the performance notes, the sources, the teachers page and the
            # lessons not yet translated.
            same_page_exists = code == "en" or (
                relative not in ("parity.html", "performance.html", "sources.html", "teachers.html")
                and (not relative.startswith("lessons/") or stem in lessons[code])
            )
            if same_page_exists:
                assert target == (roots[code] / relative).resolve(), (page, href)
                checked_same_lesson += relative.startswith("lessons/")
            else:
                assert target == (roots[code] / "index.html").resolve(), (page, href)
    if PRESENT:
        assert checked_same_lesson >= 2 * len(LESSONS)


@pytest.mark.parametrize("code", PRESENT)
def test_each_language_site_speaks_its_language(site, code):
    folder, tag = TRANSLATIONS[code]
    for page in _site_pages(site / folder):
        html_tag = next(a for name, a in _parse(page).tags if name == "html")
        assert html_tag.get("lang") == tag, page
    assert next(a for n, a in _parse(site / "index.html").tags if n == "html")["lang"] == "en"
    # The theme's own words, in Sphinx's own translation of them (its message catalog).
    import sphinx

    catalog = gettext.translation(
        "sphinx", localedir=Path(sphinx.__file__).parent / "locale", languages=[code]
    )
    for english in ("Search", "previous", "next"):
        translated = catalog.gettext(english)
        assert translated != english, english
        lesson = _page(site / folder, _translated_lessons(code)[0])
        text = lesson.read_text(encoding="utf-8")
        assert translated in text, (english, translated)


def _math(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return sorted(
        re.findall(r'<(?:span|div) class="math notranslate nohighlight">(.*?)</', text, re.S)
    )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("code", PRESENT)
def test_translated_lessons_show_the_same_math_figures_and_widgets(site, code):
    import base64

    folder = site / TRANSLATIONS[code][0]
    served = (folder / "_static" / "mathjax" / "tex-chtml.js").read_bytes()
    assert served == (VENDOR / "mathjax" / "tex-chtml.js").read_bytes()
    for notebook in _translated_lessons(code):
        english = REPO / "notebooks" / notebook.name
        page, en_page = _page(folder, notebook), _page(site, english)
        assert _math(page) == _math(en_page), notebook.name
        tags, en_tags = _parse(page), _parse(en_page)
        scripts = [a.get("src", "") for a in tags.all("script")]
        assert [s for s in scripts if "/mathjax/" in s] == [
            s for s in (a.get("src", "") for a in en_tags.all("script")) if "/mathjax/" in s
        ]
        # Figures: the translated notebook's own stored PNGs, byte for byte, as many as the
        # English page shows. (Not the English bytes: a lesson is executed in each language,
        # and a plot of timings, lesson 08's, differs from run to run.)
        stored = [
            base64.b64decode(output["data"]["image/png"])
            for cell in _notebook(notebook)["cells"]
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        shown = [img for img in tags.all("img") if "_images/" in img.get("src", "")]
        assert [(page.parent / img["src"]).read_bytes() for img in shown] == stored
        en_shown = [img for img in en_tags.all("img") if "_images/" in img.get("src", "")]
        assert len(shown) == len(en_shown), notebook.name
        assert all(_png_size(data) > (0, 0) for data in stored)
        assert all(img.get("alt") for img in shown), notebook.name
        types = sorted(
            a.get("type", "") for a in tags.all("script") if "jupyter" in a.get("type", "")
        )
        en_types = sorted(
            a.get("type", "") for a in en_tags.all("script") if "jupyter" in a.get("type", "")
        )
        assert types == en_types, notebook.name


def _index(site_dir: Path) -> dict:
    raw = (site_dir / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])


_CJK = "\u3040-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"


def _query_terms(query: str, code: str) -> list[str]:
    """A query as the reader's browser cuts it: words; Chinese/Japanese runs into character
    pairs (a run of one character stays one); then, as Sphinx's searchtools.js does, the
    language's stop words and numbers dropped and the rest lowercased and stemmed (English
    stemmer for zh, Russian for ru, none for ja)."""
    import importlib as imp

    import snowballstemmer

    language = {"zh_CN": ("zh", "english"), "ru": ("ru", "russian"), "ja": ("ja", None)}[code]
    module = imp.import_module(f"sphinx.search.{language[0]}")
    stopwords = next(
        (v.stopwords for v in vars(module).values() if hasattr(v, "stopwords") and v.stopwords),
        frozenset(),
    )
    stem = snowballstemmer.stemmer(language[1]).stemWord if language[1] else str
    terms = []
    for word in re.findall(r"\w+", query):
        for run in re.findall(f"[{_CJK}]+|[^{_CJK}]+", word):
            if re.match(f"[{_CJK}]", run):
                terms += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            elif run.lower() not in stopwords and not run.isdigit():
                terms.append(stem(run.lower()))
    return terms


def _search(index: dict, query: str, code: str) -> set[str]:
    """The pages Sphinx's search page lists for a query (searchtools.js, ``_parseQuery`` and
    ``performTermsSearch``): a term matches an index term equal to it or, if it is longer
    than two characters, containing it; a page must match every term, or every term longer
    than two characters."""
    terms = set(_query_terms(query, code))
    matched: dict[int, set[str]] = {}
    for term in terms:
        for table in ("terms", "titleterms"):
            entries = index[table]
            keys = (
                [term] if term in entries or len(term) <= 2 else [k for k in entries if term in k]
            )
            for key in keys:
                hits = entries.get(key, [])
                for doc in [hits] if isinstance(hits, int) else hits:
                    matched.setdefault(doc, set()).add(term)
    long_terms = sum(len(t) > 2 for t in terms)
    return {
        index["docnames"][doc]
        for doc, found in matched.items()
        if len(found) == len(terms) or len(found) == long_terms
    }


def _glossary_csv(code: str) -> list[dict[str, str]]:
    path = REPO / "translations" / code / "glossary.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _prose(notebook: Path) -> str:
    return "\n".join(
        "".join(cell["source"])
        for cell in _notebook(notebook)["cells"]
        if cell["cell_type"] == "markdown"
    )


@pytest.mark.parametrize("code", PRESENT)
def test_search_finds_each_glossary_term_on_the_glossary_page_and_in_its_lessons(site, code):
    index = _index(site / TRANSLATIONS[code][0])
    prose = {f"lessons/{nb.stem}": _prose(nb) for nb in _translated_lessons(code)}
    in_lessons = 0
    for row in _glossary_csv(code):
        # The translation as written in the table, without a parenthesised aside.
        term = re.sub(r"\s*[(（].*?[)）]", "", row["translation"]).strip()
        found = _search(index, term, code)
        assert "glossary" in found, (term, _query_terms(term, code))
        for doc, text in prose.items():
            if code != "ru" and term in text:  # Russian words are found by their stem
                assert doc in found, (term, doc)
                in_lessons += 1
    if code in ("zh_CN", "ja"):
        assert in_lessons > 0, "no glossary term of the translated lessons was looked up"


@pytest.mark.parametrize("code", PRESENT)
def test_the_glossary_page_shows_the_term_table_and_lessons_link_to_it(site, code):
    folder = site / TRANSLATIONS[code][0]
    text = (folder / "glossary.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", text, re.S)
    cells = [
        tuple(re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", r, re.S))
        for r in rows
    ]
    for row in _glossary_csv(code):
        assert (row["english"], row["translation"]) in cells, row
    for notebook in _translated_lessons(code):
        links = [h for h, _ in _parse(_page(folder, notebook)).links if "glossary.html#term-" in h]
        assert links, f"no glossary link in {code}/{notebook.stem}"


@pytest.mark.parametrize("code", PRESENT)
def test_each_landing_page_lists_its_lessons_with_their_notebooks(site, code):
    folder = site / TRANSLATIONS[code][0]
    links = _parse(folder / "index.html").links
    downloads = [h for h, _ in links if h.startswith("_sources/") and h.endswith(".ipynb")]
    lessons = _translated_lessons(code)
    assert [Path(h).name for h in downloads] == [nb.name for nb in lessons]
    for href, notebook in zip(downloads, lessons, strict=True):
        assert (folder / href).read_bytes() == notebook.read_bytes()


@pytest.mark.parametrize("code", PRESENT)
def test_translated_headings_keep_their_english_anchor_as_an_id_only(site, code):
    folder = site / TRANSLATIONS[code][0]
    for notebook in _translated_lessons(code):
        text = _page(folder, notebook).read_text(encoding="utf-8")
        # Every <a> of the page links somewhere (the theme's scroll spy reads every
        # contents entry's href); the heading's <a id> became an id of its section.
        assert not re.search(r"<a\s+id=", text), notebook.name
        # Plain anchors (no math, no quotes) also stay usable as an id of the page.
        ids = {a.get("id") for _, a in _parse(_page(folder, notebook)).tags}
        for anchor in re.findall(r'<a id="([^"$\\&]*?)"></a>', _prose(notebook)):
            assert anchor in ids, (notebook.name, anchor)


@pytest.mark.parametrize("code", PRESENT)
def test_the_search_page_has_a_stemmer_that_exists(site, code):
    text = (site / TRANSLATIONS[code][0] / "_static" / "language_data.js").read_text("utf-8")
    assigned = re.findall(r"window\.Stemmer = (\w+);", text)
    for name in assigned:
        assert re.search(rf"\b(?:class|function|var|const|let)\s+{name}\b|{name}\s*=", text)
