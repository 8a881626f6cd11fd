"""The language of the exercise checkers' messages: English, Chinese, Russian or Japanese.

The lessons exist in English, Simplified Chinese (``zh_CN``), Russian (``ru``) and Japanese
(``ja``); a translated lesson chooses its language in its first code cell, and the exercise
checkers then explain a learner's mistake in that language. The messages are translated through
gettext catalogs shipped in ``softmax_course/locale/<language>/LC_MESSAGES/``. Error messages of
the helper functions (``ValueError``/``TypeError``) stay English, as in numpy and scipy.

The language is, in order of precedence:

1. inside ``with using_language(code):``, that language (for this thread or task only);
2. the one given to :func:`set_language` (``None`` forgets it);
3. the environment variable ``SOFTMAX_COURSE_LANG`` (for a whole run: ``make lab LANG=zh``);
4. the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), when it is one of the course's languages;
5. English.

The checkers mark their messages with ``N_`` (a :class:`Message`, defined at import and
translated each time it is used), ``gettext`` or ``ngettext`` (at the time of the check);
``scripts/messages.py`` (``make messages``) extracts them into the catalogs. A checker runs its
battery in a forked child process with the language of its caller (see
``softmax_course.exercises._session``).

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
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "LANGUAGES",
    "Message",
    "N_",
    "gettext",
    "language",
    "ngettext",
    "normalize_language",
    "set_language",
    "translate",
    "using_language",
]

#: The course's languages, by their catalog names.
LANGUAGES: tuple[str, ...] = ("en", "zh_CN", "ru", "ja")
_ALIASES = {"en": "en", "zh": "zh_CN", "zh_cn": "zh_CN", "zh_hans": "zh_CN", "ru": "ru", "ja": "ja"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "softmax_course"
ENVIRONMENT_VARIABLE = "SOFTMAX_COURSE_LANG"

_chosen: str | None = None
# A language for one thread or asyncio task (``using_language``): a checker run in a thread
# speaks the language it was asked for whatever another thread chooses meanwhile.
_local: ContextVar[str | None] = ContextVar("softmax_course_language", default=None)


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
    local = _local.get()
    if local is not None:
        return local
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
    return _translations(language()).gettext(str.__str__(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count ``n`` in the current :func:`language`.

    The plural rule is the language's (Russian has three forms, Chinese and Japanese one).
    """
    return _translations(language()).ngettext(singular, plural, n)


@contextmanager
def using_language(code: str | None) -> Iterator[str]:
    """Speak ``code`` inside the block, in this thread or task only; yield the language.

    ``None`` keeps the current language (useful to pass a parent's choice along). Unlike
    :func:`set_language`, other threads are not affected, and the previous language comes
    back when the block ends, even on an exception.

    Examples
    --------
    >>> from softmax_course import i18n
    >>> with i18n.using_language("ru") as chosen:
    ...     chosen
    'ru'
    """
    normalized = language() if code is None else normalize_language(code)
    if normalized is None:
        raise ValueError(
            f"code must be one of the course's languages {', '.join(LANGUAGES)} "
            f"(or zh, zh-CN, ...), got {code!r}"
        )
    token = _local.set(normalized)
    try:
        yield normalized
    finally:
        _local.reset(token)


class Message(str):
    """An English message, translated each time it is used (not when it is defined).

    The checkers' messages are module constants, defined at import, before a lesson chooses
    its language. A ``Message`` compares and hashes as its English text (so code and tests
    can still test ``OVERFLOW in report.problems`` in English), and its :meth:`format` and
    :meth:`translated` look the translation up in the language current at that moment.
    """

    __slots__ = ()

    def translated(self) -> str:
        """The message in the current :func:`language`, as a plain ``str``."""
        return gettext(self)

    def format(self, *args: Any, **kwargs: Any) -> str:  # noqa: D102 -- as str.format
        return gettext(self).format(*args, **kwargs)

    def __str__(self) -> str:
        return gettext(self)

    def __format__(self, spec: str) -> str:
        return format(gettext(self), spec)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (str.__str__(self),))


def N_(message: str) -> str:  # noqa: N802 -- the gettext convention for a deferred message
    """Mark ``message`` for translation, to be translated when it is used.

    Returns a :class:`Message` (typed as ``str``, which it is, so that the checkers' message
    tables keep their types).
    """
    return Message(message)


def translate(message: object) -> str:
    """``message`` as text in the current language: a :class:`Message` is translated."""
    return message.translated() if isinstance(message, Message) else str(message)
