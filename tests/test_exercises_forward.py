"""Tests of :mod:`softmax_course.exercises.forward`.

Softmax, log-softmax and the forward exercises of lessons 01-03.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special

import softmax_course as sc
from softmax_course import exercises, pitfalls, solutions
from softmax_course.exercises import (
    NOT_IMPLEMENTED,
    check_log_softmax,
    check_softmax,
)
from tests.exercise_learners import (
    CORRECT,
    PITFALLS,
    _in_place_softmax,
    _mistakes,
    _sm,
    _stub,
)

MINE = {
    "check_softmax",
    "check_log_softmax",
    "check_softmax_vector",
    "check_logits_from_probabilities",
    "check_temperature_for_confidence",
    "check_softmax_columns",
    "check_breaking_batch",
    "check_largest_finite_exp_input",
}


def _mine(cases):
    return [case for case in cases if case[0].__name__ in MINE]


MISTAKES = [
    *_mistakes(
        "check_softmax_vector",
        (lambda z: z / np.sum(z), exercises.VECTOR_NAIVE),
        (lambda z: np.exp(z), exercises.VECTOR_NO_SUM),
        (_in_place_softmax, exercises.MUTATION.format(name="z")),
    ),
    *_mistakes(
        "check_logits_from_probabilities",
        (lambda p: p, exercises.LOGITS_IDENTITY),
        (lambda p: np.log(p)[:-1], "expected 3 logits, got shape (2,)"),
        (lambda p: np.exp(p), "softmax(your logits) = "),
    ),
    *_mistakes(
        "check_temperature_for_confidence",
        (
            lambda z, t: 1.0 / solutions.temperature_for_confidence(z, t),
            exercises.TEMPERATURE_INVERTED,
        ),
        (lambda z, t: -1.0, "got T = -1.0, expected a finite T > 0"),
        (lambda z, t: 1.0, "at T = 1 the top class has probability"),
        (lambda z, t: np.array([1.0, 2.0]), "expected a single number"),
    ),
    *_mistakes(
        "check_softmax_columns",
        (lambda X: _sm(X, axis=-1), exercises.COLUMNS_ROWS),
        (
            lambda X: np.exp(X - X.max()) / np.exp(X - X.max()).sum(axis=0, keepdims=True),
            exercises.COLUMNS_GLOBAL_MAX,
        ),
        (lambda X: _sm(X.T, axis=0), "returned shape"),
        (lambda X: _sm(X, axis=0) + 1e-3, "each column should be a softmax over its K entries"),
    ),
    *_mistakes(
        "check_breaking_batch",
        (lambda: np.zeros((2, 3)), exercises.BREAKING_NOT_BROKEN),
        (
            lambda: np.array([[0.0, 1.0, 2.0], [-100.0, -99.0, -98.0]]),
            exercises.BREAKING_NOT_BROKEN,
        ),
        (lambda: np.zeros((3, 2)), "need a finite batch of shape (2, 3); got shape (3, 2)"),
        (lambda: np.array([[0.0, 1.0, np.inf], [0.0, 0.0, 0.0]]), "with inf or NaN entries"),
    ),
    *_mistakes(
        "check_largest_finite_exp_input",
        (lambda d: "11.09", "float16: expected a single number of dtype float16"),
        (lambda d: 11.1, "float16: 11.1 is not a float16 number (in float16 it rounds to"),
        (
            lambda d: np.nextafter(solutions.largest_finite_exp_input(d), d(np.inf)),
            "is inf; go lower",
        ),
        (
            lambda d: np.nextafter(solutions.largest_finite_exp_input(d), d(-np.inf)),
            "is still finite; go higher",
        ),
    ),
]


@pytest.mark.parametrize(("name", "fn", "message"), MISTAKES)
def test_each_mistake_gets_its_own_message(name, fn, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker must silence the learner's warnings
        report = getattr(exercises, name)(fn)
    assert not report.passed
    assert any(message in problem for problem in report.problems), report.problems
    assert message in str(report)


@pytest.mark.parametrize(
    ("checker", "fn"), _mine(CORRECT), ids=lambda v: getattr(v, "__name__", "")
)
def test_correct_implementations_pass(checker, fn):
    report = checker(fn)
    assert report.problems == []
    assert report.passed is True
    assert report.checks >= 6


@pytest.mark.parametrize(
    ("checker", "fn", "message"), _mine(PITFALLS), ids=[fn.__name__ for _, fn, _ in _mine(PITFALLS)]
)
def test_each_pitfall_gets_exactly_its_own_message(checker, fn, message):
    report = checker(fn)
    assert report.passed is False
    assert report.problems[0] == message
    # The messages of the *other* pitfalls do not appear: the diagnosis is specific.
    others = {m for _, _, m in PITFALLS if m != message}
    assert not others & set(report.problems)


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (pitfalls.softmax_without_max_shift, "overflow for [1000, 5]"),
        (pitfalls.softmax_over_axis0, "you normalized over axis 0 of a batch"),
        (pitfalls.softmax_with_global_max, "rows far below the batch maximum underflow to 0/0"),
        (pitfalls.softmax_in_place, "your function changed its input"),
    ],
)
def test_softmax_messages_use_the_words_of_the_lesson(fn, words):
    assert words in " ".join(check_softmax(fn).problems)


def test_log_of_softmax_message_names_the_input_and_the_fix():
    (problem,) = check_log_softmax(pitfalls.log_of_softmax).problems
    assert problem.startswith("log(softmax(x)) gives -inf for [0, -1000]")
    assert "x - logsumexp(x)" in problem


def test_seed002_softmax_with_global_max():
    def softmax(x):
        exp = np.exp(x - np.max(x))
        return exp / np.sum(exp, axis=1)[:, None]

    problems = check_softmax(softmax).problems
    # It fails on a vector (axis=1 does not exist) and says so, without raising.
    assert problems[0].startswith("raised AxisError")
    assert "for [3.0, 1.0, 0.2]" in problems[0]
    assert "use axis=-1" in problems[0]


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda x: np.exp(x - np.max(x)) / np.exp(x - np.max(x)).sum(), exercises.AXIS_NONE),
        (lambda x: np.exp(x) / np.sum(np.exp(x), axis=0), exercises.AXIS_0),
        (
            lambda x: np.exp(x - scipy.special.logsumexp(x)),  # the log-space answer, no axis
            exercises.AXIS_NONE,
        ),
        (
            lambda x: np.exp(x - np.max(x)) / np.exp(x - np.max(x)).sum(axis=-1, keepdims=True),
            exercises.GLOBAL_MAX,
        ),
    ],
)
def test_seed003_answers(fn, message):
    assert message in check_softmax(fn).problems


def test_seed003_fixed_axis_1_fails_on_a_3d_batch():
    def softmax(x):
        mx = np.amax(x, axis=1, keepdims=True)
        e = np.exp(x - mx)
        return e / np.sum(e, axis=1, keepdims=True)

    report = check_softmax(softmax)
    assert "use axis=-1" in report.problems[0]  # first failure: 1-D input has no axis 1


def test_seed003_sum_without_keepdims():
    def softmax_fn(x):
        e_x = np.exp(x - np.max(x))
        return e_x / e_x.sum(axis=len(e_x.shape) - 1)

    problems = check_softmax(softmax_fn).problems
    assert any(p.startswith("raised ValueError: operands could not be broadcast") for p in problems)
    assert any("keepdims=True" in p for p in problems)


def test_seed003_in_place_version_reports_mutation():
    def softmax(x):
        if len(x.shape) > 1:
            tmp = np.max(x, axis=1)
            x -= tmp.reshape((x.shape[0], 1))
            x = np.exp(x)
            tmp = np.sum(x, axis=1)
            x /= tmp.reshape((x.shape[0], 1))
        else:
            tmp = np.max(x)
            x -= tmp
            x = np.exp(x)
            tmp = np.sum(x)
            x /= tmp
        return x

    problems = check_softmax(softmax).problems
    assert exercises.MUTATION.format(name="x") in problems


def test_log_softmax_overflow_and_global_max():
    def naive(x):
        return x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True))

    def global_max(x):
        m = np.max(x)
        return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))

    def only_underflows(x):
        return x - np.log(np.sum(np.exp(np.minimum(x, 700.0)), axis=-1, keepdims=True))

    assert check_log_softmax(naive).problems == [exercises.LOG_OVERFLOW]  # one cause
    assert exercises.LOG_UNDERFLOW in check_log_softmax(only_underflows).problems
    assert check_log_softmax(global_max).problems == [exercises.GLOBAL_MAX]


def test_underflow_message_for_very_negative_logits():
    def shift_by_the_minimum(x):  # overflows for [1000, 5] too, but differently
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)

    report = check_softmax(shift_by_the_minimum)
    assert report.problems == [exercises.OVERFLOW]  # one cause, one message

    def only_underflows(x):
        e = np.exp(np.minimum(x, 700.0))
        return e / e.sum(axis=-1, keepdims=True)

    assert exercises.UNDERFLOW in check_softmax(only_underflows).problems


def test_slightly_wrong_values_fail_with_the_numbers():
    report = check_softmax(lambda x: sc.softmax(x) * 1.001)
    assert not report.passed
    assert any("do not sum to 1" in p for p in report.problems)
    report = check_log_softmax(lambda x: sc.log_softmax(x) + 1e-6 * np.arange(x.shape[-1]))
    assert report.problems[0].startswith("wrong values for [3.0, 1.0, 0.2]: expected [")


def test_float32_overflow_without_shift_is_caught():
    def clipped(x):  # survives [1000, 5] in float64, but not float32 [100, 0]
        x = np.clip(x, -700, 700)
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)

    assert exercises.OVERFLOW_FLOAT32 in check_softmax(clipped).problems


def test_read_only_input_that_cannot_be_written():
    def writes_only_when_allowed(x):
        out = np.array(x)  # copies, so the caller's array is safe ...
        if not x.flags.writeable:
            x[...] = 0  # ... except here, which a read-only array refuses
        return sc.softmax(out)

    (problem,) = check_softmax(writes_only_when_allowed).problems
    assert problem.startswith("your function writes into its input: on a read-only array")


def test_wrong_shape_is_named():
    problems = check_softmax(lambda x: np.ravel(sc.softmax(x))).problems
    assert "returned shape (12,) for the 3x4 batch" in " ".join(problems)


def test_integer_input_is_checked_with_float64_tolerance():
    def rounds_integer_input(x):
        s = sc.softmax(x)
        return s.round(5) if np.asarray(x).dtype.kind == "i" else s

    report = check_softmax(rounds_integer_input)
    assert report.problems[0].startswith("wrong values for the integers [1, 2, 3]")


def test_logits_up_to_a_constant_pass():
    assert exercises.check_logits_from_probabilities(lambda p: np.log(p) - 7.5).passed


def test_stub_hint_is_shown_for_the_lesson_02_exercises():
    report = exercises.check_softmax_columns(_stub)
    assert report.problems == [
        NOT_IMPLEMENTED,
        "hint: np.max(X, axis=0, keepdims=True) has shape (1, N)",
    ]
    assert "hint: one row" in str(exercises.check_breaking_batch(_stub))
