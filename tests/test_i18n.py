"""The checkers speak the learner's language: which language, and what the reports say in it.

The language comes from ``set_language`` > ``SOFTMAX_COURSE_LANG`` > the locale > English
(``using_language`` above all, for one thread). A translated report names the same mistake
as the English one, with the same numbers, in the language's own script; the forked child
that runs a battery speaks its parent's language.
"""

from __future__ import annotations

import html
import pickle
import re
import threading
import unicodedata

import numpy as np
import pytest

from softmax_course import i18n
from softmax_course.exercises import check_softmax, check_softmax_vector
from tests.exercise_learners import PITFALLS

LOCALE_VARIABLES = ("SOFTMAX_COURSE_LANG", "LC_ALL", "LC_MESSAGES", "LANG")

#: The script each translation is written in (checked on the letters of a report).
SCRIPTS = {"zh_CN": ("CJK",), "ja": ("HIRAGANA", "KATAKANA", "CJK"), "ru": ("CYRILLIC",)}

# A number as the English messages write it; "1-D"/"2-D" are words ("一维", "одномерный").
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?!-D)(?![\w.])")


@pytest.fixture(autouse=True)
def clean_language(monkeypatch):
    """No language chosen and no locale variable set, before and after each test."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    previous = i18n.set_language(None)
    yield
    i18n.set_language(previous)


def letters_in(text: str, script: tuple[str, ...]) -> int:
    """How many letters of ``text`` belong to one of the Unicode scripts named."""
    return sum(
        1 for char in text if char.isalpha() and unicodedata.name(char, "").startswith(script)
    )


def numbers(text: str) -> list[str]:
    return sorted(_NUMBER.findall(text))


def contains_all(translated: list[str], english: list[str]) -> bool:
    """Every number of the English text occurs in the translation, as often (or more)."""
    rest = list(translated)
    for number in english:
        if number not in rest:
            return False
        rest.remove(number)
    return True


# --- which language -------------------------------------------------------------------------


def test_without_any_choice_the_checkers_speak_english():
    assert i18n.language() == "en"


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_TW.UTF-8"}, "zh_CN"),  # the course has one Chinese: Simplified
        ({"LANG": "fr_FR.UTF-8"}, "en"),  # a locale the course does not speak: English
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "ru_RU.UTF-8"}, "ja"),  # LC_ALL wins, as in POSIX
        ({"LC_MESSAGES": "ru_RU.UTF-8", "LANG": "ja_JP.UTF-8"}, "ru"),
        ({"SOFTMAX_COURSE_LANG": "zh", "LANG": "ru_RU.UTF-8"}, "zh_CN"),  # env over locale
        ({"SOFTMAX_COURSE_LANG": "xx", "LANG": "ru_RU.UTF-8"}, "ru"),  # unknown: next in line
        ({"SOFTMAX_COURSE_LANG": "en", "LANG": "ja_JP.UTF-8"}, "en"),
    ],
)
def test_the_environment_and_the_locale_choose_in_order(monkeypatch, variables, expected):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert i18n.language() == expected


def test_set_language_wins_over_the_environment_and_none_gives_it_back(monkeypatch):
    monkeypatch.setenv("SOFTMAX_COURSE_LANG", "ru")
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    assert i18n.set_language("zh-CN") is None
    assert i18n.language() == "zh_CN"
    assert i18n.set_language(None) == "zh_CN"
    assert i18n.language() == "ru"


def test_using_language_wins_inside_its_block_only():
    i18n.set_language("ru")
    with i18n.using_language("ja") as chosen:
        assert chosen == i18n.language() == "ja"
        with i18n.using_language(None) as kept:  # None keeps the language of the moment
            assert kept == "ja"
    assert i18n.language() == "ru"


@pytest.mark.parametrize("code", ["fr", "", "english", "zz_ZZ"])
def test_an_unknown_language_is_refused_by_name(code):
    with pytest.raises(ValueError, match=r"code must be one of .* got"):
        i18n.set_language(code)
    with pytest.raises(ValueError, match="code must be one of"), i18n.using_language(code):
        pass
    assert i18n.language() == "en"


def test_a_code_that_is_not_text_is_a_type_error():
    with pytest.raises(TypeError, match="code must be a str, got int"):
        i18n.set_language(7)  # type: ignore[arg-type]


# --- messages defined at import --------------------------------------------------------------


def test_a_message_is_its_english_text_until_it_is_used():
    from softmax_course.exercises import OVERFLOW, TIME_LIMIT

    i18n.set_language("ru")
    english = str.__str__(OVERFLOW)
    assert OVERFLOW == english and hash(OVERFLOW) == hash(english)
    assert str(OVERFLOW) != english and letters_in(str(OVERFLOW), SCRIPTS["ru"]) > 20
    assert f"{OVERFLOW}" == str(OVERFLOW) == i18n.translate(OVERFLOW)
    text = TIME_LIMIT.format(seconds=5.0, label="[1000, 5]")
    assert "5 с" in text and "[1000, 5]" in text
    restored = pickle.loads(pickle.dumps(OVERFLOW))
    assert type(restored) is i18n.Message and restored == OVERFLOW


def test_ngettext_uses_the_plural_rule_of_the_language():
    forms = ("{n} value", "{n} values")
    with i18n.using_language("ru"):
        words = [
            i18n.ngettext("a stream of " + forms[0], "a stream of " + forms[1], n)
            for n in (1, 3, 5, 21)
        ]
    assert [w.split()[-1] for w in words] == ["значения", "значений", "значений", "значения"]
    with i18n.using_language("en"):
        assert i18n.ngettext("a stream of {n} value", "a stream of {n} values", 1).endswith("value")


# --- the reports, language by language -------------------------------------------------------


def _reports(checker, fn, language):
    with i18n.using_language("en"):
        english = checker(fn)
    with i18n.using_language(language):
        translated = checker(fn)
    return english, translated


@pytest.mark.parametrize("language", ["zh_CN", "ru", "ja"])
@pytest.mark.parametrize(
    ("checker", "fn", "message"),
    PITFALLS,
    ids=[f"{checker.__name__}-{fn.__name__}" for checker, fn, _ in PITFALLS],
)
def test_a_known_mistake_is_named_in_the_language_with_the_same_numbers(
    checker, fn, message, language
):
    english, translated = _reports(checker, fn, language)
    assert not english.passed and not translated.passed
    assert any(message in problem for problem in english.problems)
    assert len(translated.problems) == len(english.problems)
    with i18n.using_language(language):
        named = i18n.translate(message) if isinstance(message, i18n.Message) else None
    if named is not None:  # a message without placeholders: found word for word
        assert named in translated.problems
    for theirs, ours in zip(translated.problems, english.problems, strict=True):
        assert letters_in(theirs, SCRIPTS[language]) >= 4, theirs
        assert contains_all(numbers(theirs), numbers(ours)), (theirs, ours)
        assert theirs != ours


@pytest.mark.parametrize(
    ("language", "failed", "passed"),
    [("zh_CN", "未通过", "通过"), ("ru", "не пройдено", "пройдено"), ("ja", "不合格", "合格")],
)
def test_every_form_of_the_report_is_in_the_language(language, failed, passed):
    with i18n.using_language(language):
        wrong = check_softmax_vector(lambda z: z / np.sum(z))
        right = check_softmax_vector(lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum())
        forms = [str(wrong), wrong._repr_markdown_(), wrong._repr_html_()]
        good = [str(right), right._repr_markdown_(), right._repr_html_()]
    # The words a reader sees: without the HTML tags (their CSS classes stay English).
    forms[2], good[2] = (html.unescape(re.sub(r"<[^>]+>", "", t[2])) for t in (forms, good))
    for text in forms:
        assert failed in text and "check_softmax_vector(<lambda>)" in text
        assert "not passed" not in text
    for text in good:
        assert passed in text and failed not in text and "passed" not in text


def test_english_reports_are_the_english_messages_word_for_word():
    from softmax_course.exercises import AXIS_0, NOT_IMPLEMENTED, OVERFLOW

    report = check_softmax(lambda x: np.exp(x) / np.exp(x).sum(axis=0))
    assert report.problems[:2] == [str.__str__(AXIS_0), str.__str__(OVERFLOW)]
    assert str(report).startswith("check_softmax(<lambda>): not passed\n  - rows do not sum")
    assert report._repr_html_().startswith(
        '<div class="softmax-course-check failed">❌ <b><code>check_softmax(&lt;lambda&gt;)'
        "</code></b> not passed:<ul><li>rows do not sum to 1"
    )

    def stub(x):
        raise NotImplementedError

    assert check_softmax(stub).problems == [str.__str__(NOT_IMPLEMENTED)]


# --- the child process and threads ----------------------------------------------------------


def test_the_child_that_runs_the_battery_speaks_the_parents_language(monkeypatch):
    from softmax_course.exercises import _session

    if not _session._CAN_FORK:
        pytest.skip("the batteries run in a child process on Linux only")
    children = []
    real_fork = _session.os.fork

    def fork():
        pid = real_fork()
        if pid != 0:
            children.append(pid)
        return pid

    monkeypatch.setattr(_session.os, "fork", fork)
    monkeypatch.setenv("SOFTMAX_COURSE_LANG", "ru")  # set_language below wins over it
    i18n.set_language("ja")
    report = check_softmax_vector(lambda z: z / np.sum(z))
    assert children, "the battery did not run in a child process"
    assert letters_in(report.problems[0], SCRIPTS["ja"]) > 10
    assert letters_in(report.problems[0], SCRIPTS["ru"]) == 0


def test_threads_check_in_their_own_languages_at_once():
    """``using_language`` is per thread: two learners' checks do not swap languages."""
    results: dict[str, str] = {}
    start = threading.Barrier(4)  # three learners and this thread

    def learner(language: str) -> None:
        with i18n.using_language(language):
            start.wait()
            results[language] = str(check_softmax_vector(lambda z: z / np.sum(z)))

    threads = [threading.Thread(target=learner, args=(code,)) for code in ("zh_CN", "ru", "ja")]
    for thread in threads:
        thread.start()
    start.wait()
    with i18n.using_language("en"):
        english = str(check_softmax_vector(lambda z: z / np.sum(z)))
    for thread in threads:
        thread.join()
    assert "not passed" in english and letters_in(english, SCRIPTS["ru"] + ("CJK",)) == 0
    assert letters_in(results["ru"], SCRIPTS["ru"]) > 10
    assert letters_in(results["zh_CN"], ("HIRAGANA", "KATAKANA")) == 0
    assert letters_in(results["zh_CN"], ("CJK",)) > 10
    assert letters_in(results["ja"], ("HIRAGANA", "KATAKANA")) > 3
