"""Sphinx configuration of the course website (``make html``).

Sphinx + myst-nb + sphinx-book-theme, the stack Jupyter Book 1.x wraps, configured directly:
the lessons are ``docs/lessons/NN_*.ipynb`` (``docs/lessons`` links to ``notebooks/``) and are
rendered from their stored outputs, never executed. Everything a page loads is served by the
site itself: MathJax 3 and the widget manager are vendored in ``docs/_vendor/`` (see its
README for versions and checksums).

The same file configures the sites in the other languages (``docs/_ext/course_i18n.py``):
scripts/build_html.py runs Sphinx with ``-c docs`` on ``docs/i18n/<code>/`` and sets
``COURSE_SITE_LANGUAGE``; such a site holds its landing page and glossary, the translated
lessons and the API reference (docstrings stay English, as numpy's and scipy's do), so that
every link of a lesson resolves inside its own site.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))  # autodoc imports softmax_course from the checkout

import softmax_course  # noqa: E402
from course_i18n import built_languages, current_language, phrase  # noqa: E402

project = "Softmax and its derivatives"
author = "the softmax_course authors"
copyright = "the softmax_course authors, MIT licence"  # no year: builds do not depend on the date
release = version = softmax_course.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_copybutton",
    "sphinx_codeautolink",
    "course_site",
    "course_links",
    "course_i18n",
]

# Only these sources: the landing page, the reference pages and the lessons.
# Any notebooks/NN_*.ipynb is a lesson (a new one is picked up without a change here).
root_doc = "index"
# ``api/*.md`` are written by course_site at the start of each build (one page per module).
include_patterns = [
    "index.md",
    "api.md",
    "api/*.md",
    "glossary.md",
    "parity.md",
    "performance.md",
    "sources.md",
    "teachers.md",
    "lessons/[0-9][0-9]_*.ipynb",
]
exclude_patterns = ["_build", "_ext", "_vendor", "i18n", "**/.ipynb_checkpoints"]

# --- languages: this run's language and every language built with it ---
course_site_language = current_language()
course_site_languages = built_languages()
if course_site_language != "en":
    # Sphinx's words (menus, search, previous/next) and search index in that language.
    language = course_site_language
    include_patterns = [
        p for p in include_patterns if p not in ("parity.md", "performance.md", "sources.md")
    ]

# Warnings are errors (sphinx-build -W) and every cross-reference must resolve.
nitpicky = True
# Annotations name numpy's and the standard library's types; without a network there is no
# intersphinx inventory to link them to, so they are shown as plain text, not checked.
nitpick_ignore_regex = [
    ("py:class", r"(numpy|np|numpy\.typing|npt|collections\.abc|typing|os|pathlib)\..+"),
    (
        "py:class",
        r"(ArrayLike|NDArray|DTypeLike|Axis|Callable|Sequence|Iterable|Iterator|Mapping|Any)",
    ),
    # autodoc_type_aliases: an alias inside a subscript (tuple[ArrayLike, ...]) is resolved so.
    ("py:class", r"TypeAliasForwardRef"),
    ("py:(class|meth|func|obj)", r"(matplotlib|mpl|ipywidgets)\..+"),
    ("py:class", r"(Axes|Figure|Line2D|BarContainer)"),
    # Private helpers named in annotations; they are not part of the reference.
    ("py:class", r"softmax_course\.(\w+\.)*_\w+"),
    # External functions named in "See Also" sections (scipy's docs are not available offline).
    ("py:(obj|func|mod|class)", r"scipy(\..+)?"),
    # Private modules named in implementation notes; they are not part of the reference.
    ("py:mod", r"softmax_course\._.+"),
    # Module constants named in docstrings; the reference documents functions and classes.
    ("py:data", r"(softmax_course\.\w+\.)?[A-Z_]+"),
]

# --- notebooks: shown exactly as stored (the outputs strict nbval checks) ---
nb_execution_mode = "off"
nb_merge_streams = False
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# Jupyter's Markdown allows $$...$$ display math inside a paragraph or list item; so do we.
myst_dmath_double_inline = True
# Saved widget state is rendered by @jupyter-widgets/html-manager's standalone bundle (it
# bundles the base controls the lessons use), served from _static/, instead of the CDN
# require.js + embed-amd.js pair myst-nb loads by default.
# html-manager calls MathJax 2's API: widgets-mathjax.js translates it for MathJax 3.
nb_ipywidgets_js = {"widgets-mathjax.js": {}, "html-manager/embed.js": {}}

# --- API reference: autodoc + numpydoc ---
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# The package annotates with ``from __future__ import annotations``: these names are shown as
# written (``ArrayLike``), not expanded into numpy's union of buffer and sequence protocols.
autodoc_type_aliases = {
    "ArrayLike": "ArrayLike",
    "NDArray": "NDArray",
    "DTypeLike": "DTypeLike",
    "Axis": "Axis",
}
# Summary tables on the module pages; the entries themselves are written by autodoc there.
autosummary_generate = False
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- math: MathJax 3 from the site itself (no CDN) ---
mathjax_path = "mathjax/tex-chtml.js"

# --- code: names link to the reference, a copy button strips prompts and outputs ---
# sphinx-codeautolink follows ``import softmax_course as sc`` through each lesson's cells, so
# ``sc.softmax(z)`` links to the entry of ``softmax_course.softmax``.
codeautolink_concat_default = True  # a lesson's cells run in one namespace, top to bottom
codeautolink_warn_on_missing_inventory = False
codeautolink_warn_on_failed_resolve = False
# The examples that show a traceback (``Traceback ...`` then ``...``) cannot be matched to their
# highlighted HTML by codeautolink; they stay unlinked instead of failing the build.
# tests/test_html.py checks that the lessons' and the reference's other code is linked.
suppress_warnings = ["codeautolink.match_block"]
# Only the ">>> " and "... " prompts of examples are prompts; output lines are not copied.
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True
copybutton_exclude = ".linenos, .gp, .go"
# Copy buttons on code (lessons' input cells, examples), not on stored outputs.
copybutton_selector = ", ".join(
    f"div.{kind} pre"
    for kind in (
        "cell_input",
        "highlight-pycon",
        "highlight-python",
        "highlight-default",
        "doctest",
        "highlight-bash",
    )
)

# --- HTML ---
html_theme = "sphinx_book_theme"
html_title = phrase("title")
html_static_path = ["_vendor", "_static"]
templates_path = ["_templates"]
html_css_files = ["course.css"]
# Fixes of the theme and of the saved widgets, loaded on every page (see the file's comments).
html_js_files = [("course.js", {"defer": "defer"})]
html_copy_source = True  # the .ipynb behind each lesson's download button (stored only there)
html_show_sourcelink = False
html_last_updated_fmt = None  # no build date on the pages (reproducible output)
# The light/dark switch starts at "auto" (without it the theme logs an error on a first visit).
html_context = {"default_mode": "auto"}
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
    "show_navbar_depth": 1,
    # The language switcher (course_i18n) before the theme's buttons, on every page.
    "article_header_end": ["language-switcher.html", "article-header-buttons.html"],
    "extra_footer": f"<p>softmax_course {release}</p>",
}
