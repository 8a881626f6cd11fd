"""``make html``: the course website builds without a warning and serves everything itself.

The site is built once (scripts/build_html.py: Sphinx with ``-W``, nitpicky) into a temporary
folder. Each lesson page is compared with its notebook: every stored figure shown with alt
text, the notebook offered for download byte for byte, the title taken from its first
heading. The browser half of the checks (math typeset, no request leaving 127.0.0.1, search,
previous/next) is tests/e2e/test_site.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import softmax_course

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
VENDOR = REPO / "docs" / "_vendor"

if importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("myst_nb") is None:
    pytest.skip("the site's tools are pinned for Python >= 3.11 only", allow_module_level=True)


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
