"""Render every lesson, with its stored outputs, into a static HTML site.

Usage: ``python scripts/build_html.py [OUT_DIR]`` (default ``build/html``), or
``make html``. Nothing is executed: the pages show exactly the outputs that
strict nbval checks, figures embedded as PNG data URIs, so the site is
readable without a kernel. ``index.html`` links the lessons in course order
under the title of each notebook's first heading.

Exits with status 1 if the build produced any warning (logged or raised).
"""

from __future__ import annotations

import html
import logging
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
DEFAULT_OUT = REPO / "build" / "html"

# The lab template has no alt text for figures (nbconvert then warns about
# every plot); we give each figure one, taken from output metadata when the
# author set it, otherwise from where the figure sits in the lesson.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{% block data_png scoped %}
{%- set alt = output.metadata.get('image/png', {}).get('alt', 'Figure') -%}
{{ super() | replace('<img ', '<img alt="' ~ (alt | escape_html) ~ '" ', 1) }}
{%- endblock data_png %}
"""

# The same MathJax the lesson pages load (titles may hold LaTeX); offline, the TeX shows as typed.
_MATHJAX = (
    "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=TeX-AMS_CHTML-full,Safe"
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_STYLE = """<style>
.course-nav { font-family: system-ui, sans-serif; max-width: 1000px; margin: 1em auto;
  padding: 0.5em 1em; display: flex; justify-content: space-between; gap: 1em; }
.course-nav a { text-decoration: none; }
</style>"""


@dataclass
class Lesson:
    source: Path
    title: str
    page: str
    figures: int = 0


@dataclass
class BuildResult:
    out_dir: Path
    lessons: list[Lesson] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def lesson_paths(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The lessons in course order (``NN_topic.ipynb``)."""
    return sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))


def _plain(markdown: str) -> str:
    """A heading's text without inline markup: links, `code` and *emphasis* marks.

    Underscores stay: in ``log_softmax`` they are part of the name.
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"[*`]", "", text).strip()


def title_of(nb, fallback: str) -> str:
    """Text of the notebook's first Markdown heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                return _plain(match.group(1))
    return fallback


def _label_figures(nb, title: str) -> int:
    """Give figures without alt text one; return how many PNG outputs there are."""
    count = 0
    section = title
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = _HEADING.findall(cell.source)
            if headings:
                section = _plain(headings[-1])
            continue
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                count += 1
                meta = output.setdefault("metadata", {}).setdefault("image/png", {})
                meta.setdefault("alt", f"Figure {count} of “{title}”, section “{section}”")
    return count


def _nav(lessons: list[Lesson], index: int) -> str:
    prev_link = (
        f'<a href="{lessons[index - 1].page}">← {html.escape(lessons[index - 1].title)}</a>'
        if index > 0
        else "<span></span>"
    )
    next_link = (
        f'<a href="{lessons[index + 1].page}">{html.escape(lessons[index + 1].title)} →</a>'
        if index + 1 < len(lessons)
        else "<span></span>"
    )
    return f'<nav class="course-nav">{prev_link}<a href="index.html">Contents</a>{next_link}</nav>'


def _index_page(lessons: list[Lesson]) -> str:
    items = "\n".join(
        f'  <li><a href="{lesson.page}">{html.escape(lesson.title)}</a></li>' for lesson in lessons
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Softmax from first principles: lessons</title>
<script type="text/x-mathjax-config">
MathJax.Hub.Config({{tex2jax: {{inlineMath: [['$', '$']], processEscapes: true}}}});
</script>
<script src="{_MATHJAX}"></script>
<style>body {{ font-family: system-ui, sans-serif; max-width: 46em; margin: 2em auto;
  padding: 0 1em; line-height: 1.5; }}</style>
</head>
<body>
<h1>Softmax from first principles</h1>
<p>The lessons in order, with the outputs stored in the notebooks.
Run them yourself with <code>make lab</code>.</p>
<ol class="lessons">
{items}
</ol>
</body>
</html>
"""


def build(out_dir: Path = DEFAULT_OUT, notebooks: Path = NOTEBOOKS) -> BuildResult:
    """Write one HTML page per lesson plus ``index.html`` into ``out_dir``."""
    result = BuildResult(out_dir=out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    handler = _ListHandler(result.warnings)
    loggers = [logging.getLogger(), logging.getLogger("traitlets")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import nbformat
            from nbconvert import HTMLExporter

            # clean_html (bleach) sanitises every cell for untrusted notebooks and is
            # half the build time; these are the course's own, reviewed sources.
            exporter = HTMLExporter(
                template_name="lab", raw_template=_TEMPLATE, filters={"clean_html": _trusted}
            )
            loggers.append(exporter.log)
            exporter.log.addHandler(handler)
            pages = []
            for path in lesson_paths(notebooks):
                nb = nbformat.read(path, as_version=4)
                lesson = Lesson(path, title_of(nb, path.stem), path.stem + ".html")
                lesson.figures = _label_figures(nb, lesson.title)
                body, _ = exporter.from_notebook_node(
                    nb, resources={"metadata": {"name": lesson.title, "path": str(path.parent)}}
                )
                result.lessons.append(lesson)
                pages.append(body)
        result.warnings.extend(f"{w.category.__name__}: {w.message}" for w in caught)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    for i, (lesson, body) in enumerate(zip(result.lessons, pages, strict=True)):
        nav = _nav(result.lessons, i)
        opening = re.search(r"<body[^>]*>", body)
        body = body[: opening.end()] + "\n" + nav + body[opening.end() :]
        body = body.replace("</head>", _STYLE + "\n</head>", 1)
        head, end, tail = body.rpartition("</body>")
        body = head + nav + "\n" + end + tail
        (out_dir / lesson.page).write_text(body, encoding="utf-8")
    (out_dir / "index.html").write_text(_index_page(result.lessons), encoding="utf-8")
    return result


def _trusted(html_text: str) -> str:
    return html_text


class _ListHandler(logging.Handler):
    """Collect warnings; attached to several loggers, it keeps each record once."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink
        self._seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if id(record) not in self._seen:
            self._seen.add(id(record))
            self.sink.append(f"{record.levelname}: {record.getMessage()}")


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    result = build(out_dir)
    for lesson in result.lessons:
        print(f"{lesson.page:40s} {lesson.figures:3d} figure(s)  {lesson.title}")
    print(f"{len(result.lessons)} lesson(s) -> {out_dir / 'index.html'}")
    for message in result.warnings:
        print(f"warning: {message}", file=sys.stderr)
    return 1 if result.warnings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
