"""``make html``: every lesson rendered from its stored outputs, figures included.

The figure count of each page is compared with the PNG outputs stored in the
notebook itself, so a figure the build drops (or a page it forgets) fails here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_html", REPO / "scripts" / "build_html.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class _Tags(HTMLParser):
    """Collect <img src> and <a href>/text pairs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        elif tag == "a" and "href" in attrs:
            self._href, self._text = attrs["href"], []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def _parse(path: Path) -> _Tags:
    tags = _Tags()
    tags.feed(path.read_text(encoding="utf-8"))
    return tags


def _stored_pngs(notebook: Path) -> int:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum(
        "image/png" in output.get("data", {})
        for cell in cells
        for output in cell.get("outputs", [])
    )


def _first_heading(notebook: Path) -> str:
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    raise AssertionError(f"{notebook.name} has no Markdown heading")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    return _load_builder().build(out)


def test_there_are_lessons_to_build():
    assert LESSONS, "no notebooks/NN_*.ipynb found"


def test_the_build_produces_no_warning(site):
    assert site.warnings == []


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_each_lesson_page_shows_all_its_stored_figures(site, notebook):
    page = site.out_dir / f"{notebook.stem}.html"
    assert page.is_file()
    pngs = [img for img in _parse(page).images if img.get("src", "").startswith("data:image/png")]
    assert len(pngs) == _stored_pngs(notebook)
    # Every figure is described for screen readers, not with nbconvert's placeholder.
    assert all(img.get("alt") and "No description" not in img["alt"] for img in pngs)


def test_lessons_with_figures_render_them(site):
    with_figures = [nb for nb in LESSONS if _stored_pngs(nb)]
    for notebook in with_figures:
        page = site.out_dir / f"{notebook.stem}.html"
        assert "data:image/png;base64," in page.read_text(encoding="utf-8")


def test_index_links_every_lesson_in_order_under_its_title(site):
    links = [(href, text) for href, text in _parse(site.out_dir / "index.html").links]
    expected = [(f"{nb.stem}.html", _first_heading(nb)) for nb in LESSONS]
    assert [href for href, _ in links] == [href for href, _ in expected]
    for (_, text), (_, heading) in zip(links, expected, strict=True):
        # The index shows the heading as text: `code` and *emphasis* marks are dropped.
        assert text == heading.replace("`", "").replace("*", "")
