"""Links the lessons' text to the rest of the site, at build time (the notebooks are unchanged).

* **Links between lessons.** The lessons link to each other the way JupyterLab resolves links:
  ``[section 3 of lesson 03](03_numerical_stability.ipynb#3.-Subtracting-a-constant:-...)`` or
  ``[section 4](#4.-What-$J$-looks-like,-and-why)``, where the anchor is the heading's rendered
  text with each space replaced by ``-`` (:func:`jupyterlab_anchor`). Each such anchor is mapped
  to the id Sphinx gives that heading; an anchor that matches no heading is left to MyST, which
  reports it (a build error under ``-W``).
* **Glossary.** The first use of each term of ``glossary.md`` in a lesson's prose links to its
  definition (:data:`GLOSSARY_FORMS` lists the words that count as a use; in a translated
  lesson, so do the forms ``translations/<language>/glossary.csv`` gives its translation).
* **Names in prose.** Inline code naming a function of the package (``softmax_vjp``,
  ``sc.softmax``, ``softmax_course.one_hot(y, K)``) links to its reference entry. Names in code
  cells are linked by sphinx-codeautolink.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from docutils import nodes
from docutils.transforms import Transform
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.transforms.post_transforms import SphinxPostTransform

LESSON_PREFIX = "lessons/"

# --- links between lessons -------------------------------------------------------------------


def jupyterlab_anchor(title: nodes.Element) -> str:
    """The id JupyterLab gives a Markdown heading: its text, spaces replaced by ``-``.

    JupyterLab takes the heading element's ``textContent`` before MathJax typesets it, so
    inline math keeps its ``$`` delimiters (``4. What $J$ looks like`` gives
    ``4.-What-$J$-looks-like``) and inline code, emphasis and links count by their text.
    """
    parts = []
    for node in title.children:
        parts.append(_anchor_text(node))
    return "".join(parts).strip().replace(" ", "-")


def _anchor_text(node: nodes.Node) -> str:
    if isinstance(node, nodes.raw):  # inline HTML counts by its text, as in the browser
        return re.sub(r"<[^>]*>", "", node.astext())
    if isinstance(node, nodes.math):
        return f"${node.astext()}$"
    if isinstance(node, nodes.Text):
        return str(node)
    if isinstance(node, nodes.Element):
        return "".join(_anchor_text(child) for child in node.children)
    return node.astext()


def _normalise(anchor: str) -> str:
    return unquote(anchor).strip()


# A translated lesson's heading carries the English heading's JupyterLab id in an empty anchor
# before its text, so that links made for the English lesson still reach it (scripts/i18n.py
# build): `## <a id="3.-Shift-invariance"></a>3. 平移不变性`.
_EXPLICIT_ANCHOR = re.compile(r'<a\s+id="([^"]*)"\s*>')


def adopt_explicit_anchors(document: nodes.document) -> None:
    """Move each heading's ``<a id="..."></a>`` into its section's ids.

    The anchor's raw HTML leaves the title (so it is not copied into tables of contents, where
    its id would appear twice) and its id becomes one of the section's, which the links to it
    resolve to (:func:`section_anchors`).
    """
    for title in list(document.findall(nodes.title)):
        section = title.parent
        if not isinstance(section, nodes.section):
            continue
        for raw in list(title.findall(nodes.raw)):
            text = raw.astext()
            anchors = [html.unescape(a) for a in _EXPLICIT_ANCHOR.findall(text)]
            if anchors or text.strip() == "</a>":
                raw.parent.remove(raw)
            for anchor in anchors:
                if anchor not in document.ids:
                    section["ids"].append(anchor)
                    document.ids[anchor] = section
        if title.children and isinstance(title[0], nodes.Text):
            title[0] = nodes.Text(str(title[0]).lstrip())


_ANCHOR_TAG = re.compile(r"""^\s*<a\s+(?:id|name)=(?:"([^"]+)"|'([^']+)')\s*>\s*(?:</a>)?\s*$""")
_CLOSE_TAG = re.compile(r"^\s*</a>\s*$")


def _explicit_anchors(title: nodes.title) -> list[str]:
    """Take ``<a id="..."></a>`` out of a heading and return the ids.

    A translated lesson keeps the English heading's anchor this way (``## 3. 平移不变性
    <a id="3.-Shift-invariance"></a>``), so that links written against the English text
    still arrive; the page shows the heading without the empty element.
    """
    found = []
    opened = False  # Markdown gives ``<a id="...">`` and ``</a>`` as two pieces of HTML
    for raw in list(title.findall(nodes.raw)):
        if "html" not in raw.get("format", ""):
            continue
        match = _ANCHOR_TAG.match(raw.astext())
        if match or (opened and _CLOSE_TAG.match(raw.astext())):
            if match:
                # An apostrophe may stand in a double-quoted id; &quot; for a quote.
                found.append(html.unescape(match.group(1) or match.group(2)))
            opened = bool(match) and "</a>" not in raw.astext()
            raw.parent.remove(raw)
    if found and title.children and isinstance(title[-1], nodes.Text):
        title[-1].parent.replace(title[-1], nodes.Text(str(title[-1]).rstrip()))
    return found


def section_anchors(document: nodes.document) -> dict[str, str]:
    """``{JupyterLab anchor: Sphinx section id}`` for every heading of a document.

    A heading's explicit ``<a id="..."></a>`` anchors count too.
    """
    anchors: dict[str, str] = {}
    for section in document.findall(nodes.section):
        if not section.children or not isinstance(section[0], nodes.title) or not section["ids"]:
            continue
        for anchor in _explicit_anchors(section[0]):
            anchors.setdefault(anchor, section["ids"][0])
            if anchor not in document.ids:  # the English anchor works on the page too
                section["ids"].append(anchor)
                document.ids[anchor] = section
        anchors.setdefault(jupyterlab_anchor(section[0]), section["ids"][0])
        for explicit in section["ids"][1:]:  # adopted from an explicit anchor
            anchors.setdefault(explicit, section["ids"][0])
    return anchors


class ResolveJupyterLabAnchors(Transform):
    """``[text](#JupyterLab-anchor)`` within a page: point it at the heading's id.

    Runs before MyST's ``ResolveAnchorIds`` (priority 879), which reports any local anchor
    still unknown after this.
    """

    default_priority = 870

    def apply(self, **kwargs: Any) -> None:
        env = getattr(self.document.settings, "env", None)
        adopt_explicit_anchors(self.document)
        anchors = section_anchors(self.document)
        if env is not None:
            env.course_jl_anchors = getattr(env, "course_jl_anchors", {})
            env.course_jl_anchors[env.docname] = anchors
        slugs = getattr(self.document, "myst_slugs", {})
        for ref in list(self.document.findall(nodes.reference)):
            if not ref.get("id_link") or not str(ref.get("refuri", "")).startswith("#"):
                continue
            target = _normalise(ref["refuri"][1:])
            if target in slugs or target in self.document.ids:
                continue
            section_id = anchors.get(target)
            if section_id is None:
                continue  # MyST reports it
            del ref["id_link"]
            del ref["refuri"]
            ref["refid"] = section_id
            ref["internal"] = True
            if not ref.children:
                ref += nodes.Text(self.document.ids[section_id][0].astext())


class ResolveJupyterLabLinks(SphinxPostTransform):
    """``[text](other.ipynb#JupyterLab-anchor)``: the other page's heading, by its id.

    Runs before MyST's reference resolver (priority 9), which reports what is left.
    """

    default_priority = 5

    def run(self, **kwargs: Any) -> None:
        all_anchors: dict[str, dict[str, str]] = getattr(self.env, "course_jl_anchors", {})
        lessons_dir = Path(self.env.srcdir, LESSON_PREFIX).resolve()
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") != "doc":
                continue
            # docs/lessons is a symbolic link to notebooks/: Sphinx resolves the link target's
            # path through it, so a lesson-to-lesson link arrives as an absolute path in
            # notebooks/ rather than as the document name lessons/NN_name.
            target = Path(str(node.get("reftarget")))
            if target.is_absolute() and target.parent == lessons_dir:
                node["reftarget"] = LESSON_PREFIX + target.name
            target_doc, anchor = node.get("reftarget"), node.get("reftargetid")
            if not anchor or target_doc not in all_anchors:
                continue
            anchor = _normalise(anchor)
            slugs = self.env.metadata.get(target_doc, {}).get("myst_slugs", {})
            if anchor in slugs:
                continue
            section_id = all_anchors[target_doc].get(anchor)
            if section_id is None:
                continue  # MyST reports it
            slug = next((s for s, (_, sid, _t) in slugs.items() if sid == section_id), None)
            if slug is not None:
                node["reftargetid"] = slug
                continue
            uri = self.app.builder.get_relative_uri(
                node.get("refdoc", self.env.docname), target_doc
            )
            ref = nodes.reference("", "", internal=True, refuri=f"{uri}#{section_id}")
            ref += node[0].deepcopy() if node.children else nodes.Text(target_doc)
            node.replace_self(ref)


def purge_anchors(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    getattr(env, "course_jl_anchors", {}).pop(docname, None)


def merge_anchors(app: Sphinx, env: BuildEnvironment, docnames: list[str], other) -> None:
    env.course_jl_anchors = getattr(env, "course_jl_anchors", {})
    env.course_jl_anchors.update(
        {d: a for d, a in getattr(other, "course_jl_anchors", {}).items() if d in docnames}
    )


# --- glossary --------------------------------------------------------------------------------

# term of glossary.md -> the words that count as a use of it in a lesson's prose.
GLOSSARY_FORMS: dict[str, str] = {
    "logit": r"logits?",
    "probability simplex": r"probability simplex|simplex",
    "softmax": r"softmax",
    "temperature": r"temperature",
    "Jacobian": r"Jacobians?",
    "Kronecker delta": r"Kronecker delta",
    "vector-Jacobian product": r"vector-Jacobian products?|VJPs?",
    "Jacobian-vector product": r"Jacobian-vector products?|JVPs?",
    "one-hot": r"one-hot",
    "logsumexp": r"logsumexp|log-sum-exp",
    "log-softmax": r"log-softmax",
    "log-likelihood": r"(?:negative )?log-likelihood",
    "cross-entropy": r"cross-entropy",
    "KL divergence": r"KL divergence|Kullback-Leibler divergence",
    "entropy": r"entropy",
    "broadcasting": r"broadcasting|broadcasts?",
    "online normalizer": r"online normalizer|online softmax",
    "finite differences": r"finite differences?|central differences?",
    "gradient check": r"gradient checks?|gradcheck",
    "chain rule": r"chain rule",
    "overflow": r"overflows?",
    "underflow": r"underflows?",
    "machine epsilon": r"machine epsilon",
    "backpropagation": r"backpropagation|backprop",
    "argmax": r"argmax",
}
_SKIP_INSIDE = (
    nodes.title,
    nodes.literal,
    nodes.literal_block,
    nodes.math,
    nodes.math_block,
    nodes.reference,
    nodes.raw,
    nodes.target,
    addnodes.pending_xref,
    addnodes.download_reference,
    nodes.caption,
)


def _in_prose(node: nodes.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, _SKIP_INSIDE):
            return False
        if isinstance(parent, nodes.container) and "cell_output" in parent.get("classes", []):
            return False
        parent = parent.parent
    return True


# Chinese and Japanese write words without spaces: their terms match without word boundaries.
_NO_SPACES = ("zh_CN", "ja")


def translated_forms(language: str, repo: Path | None = None) -> dict[str, str]:
    """``{term of GLOSSARY_FORMS: regex of its translation}`` from a translated glossary.

    ``translations/<language>/glossary.csv`` gives each term's translation and the regex
    (``match``) that the translation tests use to find it in the lessons' prose.
    """
    if language == "en":
        return {}
    path = (repo or Path(__file__).resolve().parents[2]) / "translations" / language
    path = path / "glossary.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = {row["english"]: row["match"] for row in csv.DictReader(handle)}
    return {term: rows[term] for term in GLOSSARY_FORMS if rows.get(term)}


def _forms_pattern(language: str = "en") -> re.Pattern[str]:
    """One group per term: its English forms (a lesson may keep "softmax" or "logit" in any
    language), then the forms of its translation in ``language``."""
    translated = translated_forms(language)
    alternatives = []
    for index, (term, forms) in enumerate(GLOSSARY_FORMS.items()):
        alternative = rf"(?<![\w-])(?:{forms})(?![\w-])"
        if term in translated:
            extra = translated[term]
            no_spaces = language in _NO_SPACES
            alternative += f"|(?:{extra})" if no_spaces else rf"|(?<![\w-])(?:{extra})\w*"
        alternatives.append(f"(?P<t{index}>{alternative})")
    return re.compile("|".join(alternatives), re.IGNORECASE)


_FORMS = {"en": _forms_pattern()}
_TERMS = list(GLOSSARY_FORMS)


def link_glossary_terms(app: Sphinx, doctree: nodes.document) -> None:
    """Link the first use of each glossary term in a lesson's prose to its definition."""
    if not app.env.docname.startswith(LESSON_PREFIX):
        return
    language = getattr(app.config, "course_site_language", "en")
    if language not in _FORMS:
        _FORMS[language] = _forms_pattern(language)
    forms = _FORMS[language]
    seen: set[str] = set()
    for text in list(doctree.findall(nodes.Text)):
        if len(seen) == len(_TERMS):
            break
        if not isinstance(text.parent, (nodes.paragraph, nodes.emphasis, nodes.strong)):
            continue
        if not _in_prose(text):
            continue
        source = str(text)
        pieces: list[nodes.Node] = []
        position = 0
        for match in forms.finditer(source):
            term = _TERMS[int(next(k for k, v in match.groupdict().items() if v)[1:])]
            if term in seen:
                continue
            seen.add(term)
            pieces.append(nodes.Text(source[position : match.start()]))
            xref = addnodes.pending_xref(
                "",
                nodes.inline(match.group(0), match.group(0), classes=["xref", "std", "std-term"]),
                refdomain="std",
                reftype="term",
                reftarget=term.lower(),
                refexplicit=True,
                refwarn=True,
                refdoc=app.env.docname,
            )
            pieces.append(xref)
            position = match.end()
        if pieces:
            pieces.append(nodes.Text(source[position:]))
            parent = text.parent
            index = parent.index(text)
            parent.remove(text)
            for offset, piece in enumerate(pieces):
                parent.insert(index + offset, piece)


# --- names of the package in prose -----------------------------------------------------------

_CODE_NAME = re.compile(r"^(?:sc\.|softmax_course\.)?([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)(?:\(.*\))?$")


def _api_targets() -> dict[str, str]:
    """``{name as written: documented target}`` for the package's public API."""
    from course_site import api_modules

    targets: dict[str, str] = {}
    for modname, (current, names) in api_modules().items():
        short = modname.rsplit(".", 1)[1]
        for name in names:
            full = f"{current}.{name}"
            if current == "softmax_course":
                targets.setdefault(name, full)
            targets.setdefault(f"{short}.{name}", full)
    return targets


def link_code_names(app: Sphinx, doctree: nodes.document) -> None:
    """Inline code naming a public function or class links to its reference entry."""
    if not app.env.docname.startswith(LESSON_PREFIX):
        return
    targets = getattr(app, "_course_api_targets", None)
    if targets is None:
        targets = app._course_api_targets = _api_targets()
    for literal in list(doctree.findall(nodes.literal)):
        if not _in_prose(literal) or isinstance(literal.parent, nodes.title):
            continue
        if isinstance(literal.parent, _SKIP_INSIDE):
            continue
        match = _CODE_NAME.match(literal.astext().strip())
        if not match or match.group(1) not in targets:
            continue
        xref = addnodes.pending_xref(
            "",
            literal.deepcopy(),
            refdomain="py",
            reftype="obj",
            reftarget=targets[match.group(1)],
            refexplicit=True,
            refwarn=True,
            refdoc=app.env.docname,
        )
        literal.replace_self(xref)


def setup(app: Sphinx) -> dict[str, object]:
    app.add_transform(ResolveJupyterLabAnchors)
    app.add_post_transform(ResolveJupyterLabLinks)
    app.connect("env-purge-doc", purge_anchors)
    app.connect("env-merge-info", merge_anchors)
    app.connect("doctree-read", link_glossary_terms)
    app.connect("doctree-read", link_code_names)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
