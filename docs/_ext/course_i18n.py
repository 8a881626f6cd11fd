"""The course website in the learners' languages: one site per language, one build command.

``scripts/build_html.py`` runs Sphinx once for English (``docs/``) and once per language whose
translated lessons exist (``notebooks/<code>/NN_*.ipynb``), with the same ``docs/conf.py``
(``-c docs``) and the source folder ``docs/i18n/<code>/`` (its landing page, glossary page,
lesson questions, and ``lessons`` linking to ``notebooks/<code>``). The language sites are
written beside the English one, at ``<site>/zh/``, ``<site>/ru/`` and ``<site>/ja/``.

This extension gives every page of every site:

* a **language switcher** that keeps the reader on the same page (a lesson, the landing page,
  the glossary) when that page exists in the other language, and otherwise leads to that
  language's landing page; and ``<link rel="alternate" hreflang>`` for the same pages;
* the ``lang`` attribute in BCP 47 form (``zh-CN``, not Sphinx's ``zh_CN``);
* **search for text without spaces**: Chinese and Japanese are indexed by overlapping
  character pairs (and single characters), and the browser cuts a query the same way, so
  any word of two or more characters finds the pages that contain it; Sphinx's own Chinese
  search needs jieba and its Japanese splitter guesses words, and neither cuts the *query*,
  so a term the index cut differently is not found;
* the words the course's own extensions write on pages (download links, figures' alt text),
  and the glossary table of ``translations/<code>/glossary.csv`` (``{term-table}``).
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sphinx.search
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.search.ja import SearchJapanese
from sphinx.search.zh import SearchChinese
from sphinx.util.docutils import SphinxDirective

REPO = Path(__file__).resolve().parents[2]
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
# Environment variables scripts/build_html.py sets for each Sphinx run.
LANGUAGE_VAR = "COURSE_SITE_LANGUAGE"  # the language of this run: en, zh_CN, ru or ja
LANGUAGES_VAR = "COURSE_SITE_LANGUAGES"  # every language built this time, space-separated


@dataclass(frozen=True)
class Language:
    code: str  # Sphinx's language and the folder of notebooks/ and translations/
    folder: str  # where its site is, under the English one ("" for English)
    name: str  # its name in itself, as the switcher shows it
    tag: str  # BCP 47, for lang= and hreflang=


LANGUAGES = (
    Language("en", "", "English", "en"),
    Language("zh_CN", "zh", "中文", "zh-CN"),
    Language("ru", "ru", "Русский", "ru"),
    Language("ja", "ja", "日本語", "ja"),
)
BY_CODE = {language.code: language for language in LANGUAGES}
# Pages of the English site only (their prose is not translated); every other page but the
# lessons not yet translated exists in every site under the same name.
ENGLISH_ONLY = ("parity", "performance", "sources", "teachers")


def lessons(code: str, repo: Path = REPO) -> list[Path]:
    """The lessons of a language: ``notebooks/NN_*.ipynb`` for English, else its folder's."""
    folder = repo / "notebooks" if code == "en" else repo / "notebooks" / code
    return sorted(folder.glob(LESSON_GLOB))


def available(repo: Path = REPO) -> list[str]:
    """English and every language whose translated lessons exist, in the switcher's order."""
    return [lang.code for lang in LANGUAGES if lang.code == "en" or lessons(lang.code, repo)]


def current_language() -> str:
    code = os.environ.get(LANGUAGE_VAR, "en")
    if code not in BY_CODE:
        raise ValueError(f"{LANGUAGE_VAR}={code!r}: expected one of {', '.join(BY_CODE)}")
    return code


def built_languages() -> list[str]:
    given = os.environ.get(LANGUAGES_VAR)
    return given.split() if given else available()


# --- the words the course's extensions write on pages ------------------------------------------

PHRASES: dict[str, dict[str, str]] = {
    "title": {
        "en": "Softmax and its derivatives",
        "zh_CN": "Softmax 及其导数",
        "ru": "Softmax и её производные",
        "ja": "Softmax とその導関数",
    },
    "download": {
        "en": "download the notebook",
        "zh_CN": "下载 notebook",
        "ru": "скачать блокнот",
        "ja": "ノートブックをダウンロード",
    },
    "figure": {
        "en": "Figure {count} of lesson “{lesson}”, section “{section}”",
        "zh_CN": "图 {count}：课程“{lesson}”中“{section}”一节",
        "ru": "Рисунок {count} урока «{lesson}», раздел «{section}»",
        "ja": "レッスン「{lesson}」の節「{section}」の図 {count}",
    },
    "languages": {
        "en": "Languages",
        "zh_CN": "语言",
        "ru": "Языки",
        "ja": "言語",
    },
    "english": {
        "en": "English",
        "zh_CN": "英文",
        "ru": "английский",
        "ja": "英語",
    },
}


def phrase(key: str, code: str | None = None) -> str:
    """A phrase of :data:`PHRASES` in the language being built (or ``code``)."""
    return PHRASES[key][code or current_language()]


# --- the switcher --------------------------------------------------------------------------------


def page_in(code: str, pagename: str, built: dict[str, set[str]]) -> str:
    """The page a reader of ``pagename`` lands on in language ``code``: the same page if it
    exists there, else that language's landing page."""
    if code == "en":
        return pagename
    missing_lesson = pagename.startswith("lessons/") and pagename not in built.get(code, set())
    return "index" if pagename in ENGLISH_ONLY or missing_lesson else pagename


def switcher_links(current: str, pagename: str, languages: list[str]) -> list[dict[str, str]]:
    """One entry per built language: its name, BCP 47 tag and the URL from this page."""
    built = {code: {f"lessons/{p.stem}" for p in lessons(code)} for code in languages}
    # From this page to the English site's root, then down into the target language's folder.
    to_root = "../" * pagename.count("/") + ("../" if BY_CODE[current].folder else "")
    links = []
    for code in languages:
        language = BY_CODE[code]
        target = page_in(code, pagename, built)
        folder = f"{language.folder}/" if language.folder else ""
        links.append(
            {
                "code": code,
                "name": language.name,
                "tag": language.tag,
                "href": f"{to_root}{folder}{target}.html",
                "current": "true" if code == current else "",
                "same_page": "true" if target == pagename else "",
            }
        )
    return links


def add_language_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    current = app.config.course_site_language
    links = switcher_links(current, pagename, app.config.course_site_languages)
    context["course_languages"] = links
    context["course_languages_label"] = phrase("languages", current)
    context["language"] = BY_CODE[current].tag  # <html lang="zh-CN">
    alternates = "".join(
        f'\n<link rel="alternate" hreflang="{link["tag"]}" href="{link["href"]}" />'
        for link in links
        if link["same_page"] and not link["current"]
    )
    context["metatags"] = context.get("metatags", "") + alternates


# --- search for text without spaces -------------------------------------------------------------

# Han ideographs, kana (without the middle dot ・, a separator) and half-width katakana.
CJK = "\u3040-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_WORD = re.compile(r"\w+")
_RUN = re.compile(f"[{CJK}]+|[^{CJK}]+")
_IS_CJK = re.compile(f"[{CJK}]")


def cjk_terms(text: str, *, unigrams: bool = True) -> list[str]:
    """The index terms of a text: each run of Chinese/Japanese characters as its overlapping
    pairs (plus its single characters when ``unigrams``), other words whole.

    The browser cuts a query with :data:`SPLIT_QUERY_JS`, the same rule without the single
    characters of runs longer than one: a query's pairs must all be on a page to find it.
    """
    terms: list[str] = []
    for word in _WORD.findall(text):
        for run in _RUN.findall(word):
            if not _IS_CJK.match(run):
                terms.append(run)
                continue
            if len(run) == 1 or unigrams:
                terms.extend(run)
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return terms


SPLIT_QUERY_JS = """
/* course_i18n: Chinese and Japanese queries cut into overlapping character pairs, as indexed. */
var splitQuery = (query) => {
  const cjk = "@CJK@";
  const run = new RegExp(`[${cjk}]+|[^${cjk}]+`, "gu");
  const isCjk = new RegExp(`^[${cjk}]`, "u");
  const terms = [];
  for (const word of query.split(/[^\\p{Letter}\\p{Number}_\\p{Emoji_Presentation}]+/gu)) {
    for (const part of word.match(run) || []) {
      if (!isCjk.test(part) || part.length === 1) terms.push(part);
      else for (let i = 0; i + 1 < part.length; i++) terms.push(part.slice(i, i + 2));
    }
  }
  return terms;
};
""".replace("@CJK@", CJK.encode("unicode_escape").decode("ascii"))


def _keep(term: str) -> bool:
    """Index every term but single ASCII characters: a single Han or kana character is a
    word, and so is a Greek letter (δ in "克罗内克δ")."""
    return len(term) > 1 or not term.isascii()


def _english_stemmer_js() -> str:
    """Sphinx's minified English stemmer, as the browser's ``Stemmer``.

    Sphinx 9.0 names the stemmer class after the language (``window.Stemmer =
    ChineseStemmer``), which its English stemmer file does not define: the search page of a
    Chinese site stops with "ChineseStemmer is not defined". This gives the class its name.
    """
    folder = Path(sphinx.search.__file__).parent / "minified-js"
    parts = [
        (folder / name).read_text(encoding="utf-8")
        for name in ("base-stemmer.js", "english-stemmer.js")
    ]
    return "\n".join([*parts, "window.Stemmer = EnglishStemmer;"])


class SearchChineseByPairs(SearchChinese):
    """Chinese search (``zh``): character pairs; Latin words stemmed as in English."""

    js_splitter_code = SPLIT_QUERY_JS
    js_stemmer_rawcode = ""  # Sphinx then takes js_stemmer_code as it is
    js_stemmer_code = _english_stemmer_js()

    def split(self, input: str) -> list[str]:
        terms = cjk_terms(input)
        self.latin_terms.update(t for t in terms if not _IS_CJK.match(t))
        return terms

    def word_filter(self, stemmed_word: str) -> bool:
        return _keep(stemmed_word)


class SearchJapaneseByPairs(SearchJapanese):
    """Japanese search (``ja``): character pairs, no stemming."""

    js_splitter_code = SPLIT_QUERY_JS

    def split(self, input: str) -> list[str]:
        return cjk_terms(input)

    def word_filter(self, stemmed_word: str) -> bool:
        return _keep(stemmed_word)


# --- the glossary table of a language -----------------------------------------------------------


def glossary_rows(code: str, repo: Path = REPO) -> list[tuple[str, str]]:
    """``(English term, translation)`` of ``translations/<code>/glossary.csv``, in its order."""
    path = repo / "translations" / code / "glossary.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["english"], row["translation"]) for row in csv.DictReader(handle)]


class TermTable(SphinxDirective):
    """``{term-table}``: the course's terms in English and in the page's language."""

    has_content = False
    optional_arguments = 1  # the header of the translation column
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        code = self.config.course_site_language
        path = REPO / "translations" / code / "glossary.csv"
        self.env.note_dependency(str(path))
        header = self.arguments[0] if self.arguments else BY_CODE[code].name
        lines = ["```{list-table}", ":header-rows: 1", ":class: term-table", ""]
        lines += [f"* - {phrase('english', code).capitalize()}", f"  - {header}"]
        for english, translation in glossary_rows(code):
            lines += [f"* - {english}", f"  - {translation}"]
        lines += ["```"]
        container = nodes.container(classes=["term-table"])
        self.state.nested_parse(StringList(lines, source="term-table"), 0, container)
        return [container]


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("course_site_language", "en", "env")
    app.add_config_value("course_site_languages", ["en"], "env")
    app.add_search_language(SearchChineseByPairs)
    app.add_search_language(SearchJapaneseByPairs)
    app.add_directive("term-table", TermTable)
    app.connect("html-page-context", add_language_context)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
