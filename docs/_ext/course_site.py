"""Local Sphinx extension of the course website.

* ``{lesson-map}``: the landing page's lesson map, one entry per ``lessons/NN_*.ipynb``
  (discovered, not listed), titled by the lesson's first heading, with a download link and
  the learners' questions it answers (``docs/lesson_questions.yml``, keyed by ``NN``).
* ``<!-- api-by-module -->`` in ``api.md``: autodoc entries for everything in
  ``softmax_course.__all__``, grouped under a heading per defining module (a function added to
  ``__all__`` appears without a change here), then every other public submodule.
* Alt text for every figure a lesson stores: which lesson and section it belongs to, plus
  the plot titles its cell sets.
"""

from __future__ import annotations

import html
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

LESSON_GLOB = "[0-9][0-9]_*.ipynb"
LESSON_DIR = "lessons"
logger = logging.getLogger(__name__)


def lesson_paths(srcdir: Path) -> list[Path]:
    """Every lesson notebook in course order (the order of their ``NN_`` prefixes)."""
    return sorted((srcdir / LESSON_DIR).glob(LESSON_GLOB))


def lesson_questions(srcdir: Path) -> dict[str, list[str]]:
    path = srcdir / "lesson_questions.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key).zfill(2): list(value) for key, value in data.items()}


def _phrase(config: Any, key: str) -> str:
    """Words this extension writes on a page, in the site's language (course_i18n)."""
    from course_i18n import phrase

    return phrase(key, getattr(config, "course_site_language", "en"))


class LessonMap(SphinxDirective):
    """The list of lessons with the questions each one answers."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        srcdir = Path(self.env.srcdir)
        self.env.note_dependency(str(srcdir / "lesson_questions.yml"))
        questions = lesson_questions(srcdir)
        download = _phrase(self.config, "download")
        lines: list[str] = []
        for path in lesson_paths(srcdir):
            number = path.name[:2]
            doc = f"{LESSON_DIR}/{path.stem}"
            # The notebook as Sphinx copies it for the pages' download button (_sources/): one
            # copy of each notebook in the site, not a second one under _downloads/.
            href = f"_sources/{LESSON_DIR}/{path.name}"
            lines.append(
                f"- **{{doc}}`{doc}`** · "
                f'<a class="reference download" href="{href}" download>{download}</a>'
            )
            lines.append("")
            for question in questions.get(number, []):
                lines.append(f"   - {question}")
            lines.append("")
        container = nodes.container(classes=["lesson-map"])
        self.state.nested_parse(StringList(lines, source="lesson-map"), 0, container)
        return [container]


_TITLE = re.compile(r"""(?:set_title|suptitle|title)\(\s*([rf]{0,2})(["'])(.+?)\2""")


def _cell_source(cell: nodes.Element) -> str:
    for block in cell.findall(nodes.literal_block):
        return block.astext()
    return ""


def add_figure_alt_text(app: Sphinx, doctree: nodes.document) -> None:
    """Describe each stored figure of a lesson for screen readers."""
    docname = app.env.docname
    if not docname.startswith(f"{LESSON_DIR}/"):
        return
    first_title = next(doctree.findall(nodes.title), None)
    lesson = first_title.astext() if first_title is not None else docname
    count = 0
    for image in doctree.findall(nodes.image):
        if image.get("alt") and not str(image["alt"]).startswith(("../", "_build")):
            continue
        count += 1
        section = next(
            (
                parent[0].astext()
                for parent in _ancestors(image)
                if isinstance(parent, nodes.section) and parent.children
            ),
            lesson,
        )
        cell = next(
            (
                p
                for p in _ancestors(image)
                if isinstance(p, nodes.container) and "cell" in p.get("classes", [])
            ),
            None,
        )
        titles = [
            _plain(m.group(3))
            for m in (_TITLE.finditer(_cell_source(cell)) if cell else [])
            if _words_only(m.group(1), m.group(3))
        ]
        alt = _phrase(app.config, "figure").format(count=count, lesson=lesson, section=section)
        if titles:
            alt += ": " + "; ".join(titles)
        image["alt"] = alt


# TeX commands of the plot titles, as the symbol a reader sees (screen readers name them).
_TEX_WORDS = {
    "partial": "∂",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "approx": "≈",
    "times": "×",
    "cdot": "·",
    "dots": "…",
    "ldots": "…",
    "cdots": "…",
    "to": "→",
    "infty": "∞",
    "lambda": "λ",
    "alpha": "α",
    "beta": "β",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "sigma": "σ",
    "mu": "μ",
    "top": "ᵀ",
    "in": "∈",
    "sum": "Σ",
    "neq": "≠",
    "ne": "≠",
    "mathbb": "",
    "mathrm": "",
    "operatorname": "",
    "text": "",
    "mathbf": "",
    "boldsymbol": "",
    "left": "",
    "right": "",
    "quad": " ",
    ",": " ",
}


def _words_only(prefix: str, title: str) -> bool:
    """A title usable as alt text: no f-string fields, no code (``np.``, ``sc.``, calls)."""
    if "f" in prefix.lower() and re.search(r"(?<!\{)\{[^{}]*\}(?!\})", title):
        return False
    return not re.search(r"\b(np|sc|plt|ax)\.\w|\w\(\w+[,=]", title)


def _plain(mathtext: str) -> str:
    """A matplotlib title without its TeX markup, as a screen reader should read it."""
    text = re.sub(r"\^\{?2\}?", "²", mathtext)
    text = re.sub(r"\\([A-Za-z]+|,)", lambda m: _TEX_WORDS.get(m.group(1), m.group(1)), text)
    text = text.replace("$", "").replace("{", "").replace("}", "").replace("_", "")
    return re.sub(r"\s+", " ", text.replace("^", "")).strip()


def _ancestors(node: nodes.Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


API_MARKER = "<!-- api-by-module -->"
API_SKIP = {"solutions", "grading"}  # worked solutions; the grader: docs/teachers.md
API_DIR = "api"


def _first_line(module: object) -> str:
    doc = (getattr(module, "__doc__", None) or module.__name__).strip().splitlines()[0]
    return doc.rstrip(".").replace("`", "")


def api_modules(package: str = "softmax_course") -> dict[str, tuple[str, list[str]]]:
    """Every public module: ``{module name: (current module for its names, names)}``.

    The names of ``package.__all__`` are documented under their public names
    (``softmax_course.softmax``), grouped by the module that defines them; then every other
    public submodule with its ``__all__`` (or its public functions and classes). The exercises'
    worked solutions are left to the package, not spoiled on the site.
    """
    module = importlib.import_module(package)
    modules: dict[str, tuple[str, list[str]]] = {}
    submodules = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            submodules.append(obj.__name__)
        elif callable(obj):
            modules.setdefault(obj.__module__, (package, []))[1].append(name)
    others = [
        f"{package}.{info.name}"
        for info in pkgutil.iter_modules(module.__path__)
        if not info.name.startswith("_") and info.name not in API_SKIP
    ]
    for modname in [*submodules, *others]:
        if modname in modules:
            continue
        sub = importlib.import_module(modname)
        names = getattr(sub, "__all__", None) or [
            name
            for name, obj in vars(sub).items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == modname
        ]
        names = [
            n
            for n in names
            if inspect.isfunction(getattr(sub, n)) or inspect.isclass(getattr(sub, n))
        ]
        modules[modname] = (modname, names)
    return modules


def api_page(modname: str, current: str, names: list[str]) -> str:
    """MyST source of one module's reference page: summary table, then every entry."""
    module = importlib.import_module(modname)
    where = importlib.import_module(current)
    parts = [f"# `{modname}`", "", _first_line(module) + ".", ""]
    if current != modname:
        parts += [f"Imported from `{current}`: the names below are `{current}.<name>`.", ""]
    parts += ["```{eval-rst}", f".. py:module:: {modname}", "", f".. currentmodule:: {current}", ""]
    parts += [".. autosummary::", "   :nosignatures:", ""]
    parts += [f"   {name}" for name in names]
    parts += [""]
    for name in names:
        kind = "autoclass" if inspect.isclass(getattr(where, name)) else "autofunction"
        parts += [f".. {kind}:: {name}", ""]
    parts += ["```", ""]
    return "\n".join(parts)


def api_markdown(package: str = "softmax_course") -> str:
    """The reference's index: one line and one page per module."""
    lines = ["| module | what it holds |", "|---|---|"]
    toctree = ["```{toctree}", ":hidden:", ""]
    for modname in api_modules(package):
        module = importlib.import_module(modname)
        lines.append(f"| {{doc}}`{modname} <{API_DIR}/{modname}>` | {_first_line(module)} |")
        toctree.append(f"{API_DIR}/{modname}")
    return "\n".join([*lines, "", *toctree, "```", ""])


def write_api_pages(app: Sphinx) -> None:
    """Write ``docs/api/<module>.md`` (generated, not committed) before Sphinx reads sources."""
    if not app.config.course_api_pages:
        return
    out = Path(app.srcdir) / API_DIR
    out.mkdir(exist_ok=True)
    wanted = {}
    for modname, (current, names) in api_modules().items():
        wanted[f"{modname}.md"] = api_page(modname, current, names)
    for stale in out.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def expand_api(app: Sphinx, docname: str, source: list[str]) -> None:
    if API_MARKER in source[0]:
        source[0] = source[0].replace(API_MARKER, api_markdown())


_TEST_MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+[^\n]*\n?", re.MULTILINE)


def hide_test_markers(app: Sphinx, doctree: nodes.document) -> None:
    """Drop nbval's marker lines (``# NBVAL_IGNORE_OUTPUT``) from the code cells shown.

    They tell the course's tests how to compare a cell's output; readers need the reason on
    the line below (kept), not the marker. The notebooks themselves are unchanged.
    """
    if not app.env.docname.startswith(f"{LESSON_DIR}/"):
        return
    for block in list(doctree.findall(nodes.literal_block)):
        text = block.astext()
        if "NBVAL_" not in text:
            continue
        cleaned = _TEST_MARKER.sub("", text)
        if cleaned != text:
            block.children = [nodes.Text(cleaned)]
            block.rawsource = cleaned


_MARK = '<span class="course-mark course-mark-{0}" role="img" aria-label="{1}"></span>'
_MARKS = {"\u274c": _MARK.format("fail", "not passed"), "\u2705": _MARK.format("pass", "passed")}


def replace_emoji_marks(app: Sphinx, doctree: nodes.document) -> None:
    """The exercise reports' ✅/❌ (emoji) as marks drawn by course.css, in any font."""
    if not app.env.docname.startswith(f"{LESSON_DIR}/"):
        return
    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        if "html" in raw.get("format", "") and any(mark in text for mark in _MARKS):
            for mark, span in _MARKS.items():
                text = text.replace(mark, span)
            raw.replace_self(nodes.raw(text, text, format="html"))
    for text in list(doctree.findall(nodes.Text)):
        source = str(text)
        if not any(mark in source for mark in _MARKS) or isinstance(
            text.parent, nodes.literal_block
        ):
            continue
        pieces = re.split(f"([{''.join(_MARKS)}])", source)
        markup = "".join(_MARKS.get(piece) or html.escape(piece) for piece in pieces)
        text.parent.replace(text, nodes.raw("", markup, format="html"))


def drop_source_maps(app: Sphinx, exception: Exception | None) -> None:
    """No ``*.map`` files in the site, and no comment pointing browsers at one."""
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    for path in static.rglob("*.map"):
        path.unlink()
    pattern = re.compile(rb"\n?/[/*][#@] sourceMappingURL=[^\n]*?(\*/)?\s*$")
    for path in [*static.rglob("*.js"), *static.rglob("*.css")]:
        data = path.read_bytes()
        tail = data[-300:]
        if b"sourceMappingURL" in tail:
            path.write_bytes(data[:-300] + pattern.sub(b"\n", tail))


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("course_api_pages", True, "env")
    app.add_directive("lesson-map", LessonMap)
    app.connect("builder-inited", write_api_pages)
    app.connect("doctree-read", add_figure_alt_text)
    app.connect("doctree-read", hide_test_markers, priority=400)  # before codeautolink (490)
    app.connect("doctree-read", replace_emoji_marks)
    app.connect("source-read", expand_api)
    app.connect("build-finished", drop_source_maps)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
