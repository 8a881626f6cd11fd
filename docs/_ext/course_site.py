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

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

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


class LessonMap(SphinxDirective):
    """The list of lessons with the questions each one answers."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        srcdir = Path(self.env.srcdir)
        self.env.note_dependency(str(srcdir / "lesson_questions.yml"))
        questions = lesson_questions(srcdir)
        lines: list[str] = []
        for path in lesson_paths(srcdir):
            number = path.name[:2]
            doc = f"{LESSON_DIR}/{path.stem}"
            lines.append(
                f"- **{{doc}}`{doc}`** · "
                f"{{download}}`download the notebook <{LESSON_DIR}/{path.name}>`"
            )
            lines.append("")
            for question in questions.get(number, []):
                lines.append(f"   - {question}")
            lines.append("")
        container = nodes.container(classes=["lesson-map"])
        self.state.nested_parse(StringList(lines, source="lesson-map"), 0, container)
        return [container]


_TITLE = re.compile(r"""(?:set_title|suptitle|title)\(\s*[rf]?(["'])(.+?)\1""")


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
        titles = [_plain(m.group(2)) for m in _TITLE.finditer(_cell_source(cell))] if cell else []
        alt = f"Figure {count} of lesson “{lesson}”, section “{section}”"
        if titles:
            alt += ": " + "; ".join(titles)
        image["alt"] = alt


def _plain(mathtext: str) -> str:
    """A matplotlib title without its TeX markup, as a screen reader should read it."""
    text = re.sub(r"\\([A-Za-z]+)", r"\1", mathtext)
    return re.sub(r"\s+", " ", text.replace("$", "").replace("{", "").replace("}", "")).strip()


def _ancestors(node: nodes.Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


API_MARKER = "<!-- api-by-module -->"
API_SKIP = {"solutions"}  # the exercises' worked solutions


def api_markdown(package: str = "softmax_course") -> str:
    """MyST source documenting ``package.__all__`` under its public names, by module."""
    module = importlib.import_module(package)
    groups: dict[str, list[tuple[str, object]]] = {}
    submodules = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            submodules.append(obj.__name__)
        elif callable(obj):
            groups.setdefault(obj.__module__, []).append((name, obj))
    parts = []
    for modname, members in groups.items():
        doc = (importlib.import_module(modname).__doc__ or modname).strip().splitlines()[0]
        parts += [f"## `{modname}`: {doc.rstrip('.')}", "", "```{eval-rst}"]
        parts += [f".. py:module:: {modname}", ""]
        parts += [f".. currentmodule:: {package}", ""]
        for name, obj in members:
            kind = "autoclass" if inspect.isclass(obj) else "autofunction"
            parts += [f".. {kind}:: {name}", ""]
        parts += ["```", ""]
    # Then every other public submodule (its functions and classes; the exercises' worked
    # solutions are left to the package, not spoiled on the site).
    for modname in submodules:
        doc = (importlib.import_module(modname).__doc__ or modname).strip().splitlines()[0]
        parts += [f"## `{modname}`: {doc.rstrip('.')}", "", "```{eval-rst}"]
        parts += [f".. automodule:: {modname}", "```", ""]
    covered = set(groups) | set(submodules)
    for info in pkgutil.iter_modules(module.__path__):
        modname = f"{package}.{info.name}"
        if info.name.startswith("_") or info.name in API_SKIP or modname in covered:
            continue
        sub = importlib.import_module(modname)
        names = getattr(sub, "__all__", None) or [
            name
            for name, obj in vars(sub).items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == modname
        ]
        doc = (sub.__doc__ or modname).strip().splitlines()[0]
        parts += [f"## `{modname}`: {doc.rstrip('.')}", "", "```{eval-rst}"]
        parts += [f".. py:module:: {modname}", ""]
        for name in names:
            kind = "autoclass" if inspect.isclass(getattr(sub, name)) else "autofunction"
            parts += [f".. {kind}:: {name}", ""]
        parts += ["```", ""]
    return "\n".join(parts)


def expand_api(app: Sphinx, docname: str, source: list[str]) -> None:
    if API_MARKER in source[0]:
        source[0] = source[0].replace(API_MARKER, api_markdown())


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("lesson-map", LessonMap)
    app.connect("doctree-read", add_figure_alt_text)
    app.connect("source-read", expand_api)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
