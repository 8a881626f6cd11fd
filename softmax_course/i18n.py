"""The language of the exercise checkers' messages: English, Chinese, Russian or Japanese.

The lessons exist in English, Simplified Chinese (``zh_CN``), Russian (``ru``) and Japanese
(``ja``); a translated lesson chooses its language in its first code cell, and the exercise
checkers then explain a learner's mistake in that language. The messages are translated through
gettext catalogs shipped in ``softmax_course/locale/<language>/LC_MESSAGES/``. Error messages of
the helper functions (``ValueError``/``TypeError``) stay English, as in numpy and scipy.

The language is, in order of precedence:

1. the one given to :func:`set_language` (``None`` forgets it);
2. the environment variable ``SOFTMAX_COURSE_LANG`` (for a whole run: ``make lab LANG=zh``);
3. the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), when it is one of the course's languages;
4. English.

Examples
--------
>>> from softmax_course import i18n
>>> i18n.normalize_language("zh-CN"), i18n.normalize_language("ru_RU.UTF-8")
('zh_CN', 'ru')
>>> previous = i18n.set_language("ja")
>>> i18n.language()
'ja'
>>> _ = i18n.set_language(previous)
"""

from __future__ import annotations

import gettext as _gettext
import os
from functools import cache
from pathlib import Path

__all__ = ["LANGUAGES", "gettext", "language", "normalize_language", "set_language"]

#: The course's languages, by their catalog names.
LANGUAGES: tuple[str, ...] = ("en", "zh_CN", "ru", "ja")
_ALIASES = {"en": "en", "zh": "zh_CN", "zh_cn": "zh_CN", "zh_hans": "zh_CN", "ru": "ru", "ja": "ja"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "softmax_course"
ENVIRONMENT_VARIABLE = "SOFTMAX_COURSE_LANG"

_chosen: str | None = None


def normalize_language(code: str) -> str | None:
    """The course's name for a language code (``"zh"``, ``"zh-CN"``, ``"ru_RU.UTF-8"``), or None.

    Parameters
    ----------
    code : str
        A language tag or POSIX locale name.

    Returns
    -------
    str or None
        One of :data:`LANGUAGES`, or ``None`` if the course has no such language.
    """
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, got {type(code).__name__}")
    base = code.split(".")[0].split("@")[0].replace("-", "_").lower()
    if base in _ALIASES:
        return _ALIASES[base]
    return _ALIASES.get(base.split("_")[0]) if base else None


def set_language(code: str | None) -> str | None:
    """Choose the language of the checkers' messages; return the previous choice.

    Parameters
    ----------
    code : str or None
        ``"en"``, ``"zh"``/``"zh_CN"``, ``"ru"`` or ``"ja"`` (any case, ``-`` or ``_``);
        ``None`` returns to the environment variable, then the locale.

    Returns
    -------
    str or None
        The language chosen before this call (``None`` if none was).

    Raises
    ------
    ValueError
        If ``code`` is not one of the course's languages.
    """
    global _chosen
    previous = _chosen
    if code is None:
        _chosen = None
        return previous
    normalized = normalize_language(code)
    if normalized is None:
        raise ValueError(
            f"code must be one of the course's languages {', '.join(LANGUAGES)} "
            f"(or zh, zh-CN, ...), got {code!r}"
        )
    _chosen = normalized
    return previous


def language() -> str:
    """The language the checkers speak now (one of :data:`LANGUAGES`)."""
    if _chosen is not None:
        return _chosen
    from_environment = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if from_environment:
        normalized = normalize_language(from_environment)
        if normalized is not None:
            return normalized
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return normalize_language(value) or "en"
    return "en"


@cache
def _translations(code: str) -> _gettext.NullTranslations:
    if code == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


def gettext(message: str) -> str:
    """``message`` in the current :func:`language` (itself if it has no translation)."""
    return _translations(language()).gettext(message)
