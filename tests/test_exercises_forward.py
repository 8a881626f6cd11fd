"""Tests of :mod:`softmax_course.exercises.forward`.

Softmax, log-softmax and the forward exercises of lessons 01-03.
"""

from __future__ import annotations

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
    assert_mistake_named,
    assert_only_this_pitfall_named,
    assert_passes,
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
    assert_mistake_named(getattr(exercises, name), fn, message)


@pytest.mark.parametrize(
    ("checker", "fn"), _mine(CORRECT), ids=lambda v: getattr(v, "__name__", "")
)
def test_correct_implementations_pass(checker, fn):
    assert_passes(checker, fn)


@pytest.mark.parametrize(
    ("checker", "fn", "message"), _mine(PITFALLS), ids=[fn.__name__ for _, fn, _ in _mine(PITFALLS)]
)
def test_each_pitfall_gets_exactly_its_own_message(checker, fn, message):
    assert_only_this_pitfall_named(checker, fn, message, PITFALLS)


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
    report = check_softmax(lambda x: sc.softmax(x) + 1e-3 * _centered(x))
    assert report.problems[0].startswith("wrong values for [3.0, 1.0, 0.2]: expected [")


def _centered(x):
    """0, +-1, ... along the last axis, summing to 0: rows still sum to 1 when added."""
    k = np.asarray(x).shape[-1]
    return np.arange(k) - (k - 1) / 2


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
    assert report.problems[0].startswith("correct to float32 precision only: for the integers")
    assert "the exercise asks for float64" in report.problems[0]


def test_logits_up_to_a_constant_pass():
    assert exercises.check_logits_from_probabilities(lambda p: np.log(p) - 7.5).passed


def test_stub_hint_is_shown_for_the_lesson_02_exercises():
    report = exercises.check_softmax_columns(_stub)
    assert report.problems == [
        NOT_IMPLEMENTED,
        "hint: np.max(X, axis=0, keepdims=True) has shape (1, N)",
    ]
    assert "hint: one row" in str(exercises.check_breaking_batch(_stub))


# --- confirmed diagnoses: each appears for its mistake, and only there -----------------------


def softmax_shift_by_max_in_float32(x):
    """Correct, computed in float32 and returned in float32: judged at float32 precision."""
    x32 = np.asarray(x, dtype=np.float32)
    e = np.exp(x32 - np.max(x32, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_float32_inside(x):
    """Correct to float32 precision, returned as float64."""
    return softmax_shift_by_max_in_float32(x).astype(np.float64)


def log_softmax_with_log(x):
    m = np.max(x, axis=-1, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))


def log_softmax_with_log1p(x):
    """log(1 + sum of the other terms) with log1p: exact where one term dominates."""
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    np.put_along_axis(e, np.argmax(x, axis=-1)[..., None], 0.0, axis=-1)
    return x - m - np.log1p(np.sum(e, axis=-1, keepdims=True))


def log_softmax_mean_shift(x):
    u = x - np.mean(x, axis=-1, keepdims=True)
    return u - np.log(np.sum(np.exp(u), axis=-1, keepdims=True))


def mean_shift_message(report):
    return [p for p in report.problems if "you subtracted the mean" in p]


def test_mean_shift_is_named_and_only_for_the_mean():
    report = check_softmax(pitfalls.softmax_with_mean_shift)
    assert report.problems == [exercises.MEAN_SHIFT.format(label="[700, -1400]")]
    report = check_log_softmax(log_softmax_mean_shift)
    assert report.problems == [exercises.MEAN_SHIFT.format(label="[700, -1400]")]
    # No shift at all overflows too, but that is not the mean: the overflow message only.
    assert not mean_shift_message(check_softmax(pitfalls.softmax_without_max_shift))
    assert exercises.OVERFLOW in check_softmax(pitfalls.softmax_without_max_shift).problems


def test_log_and_log1p_formulations_both_pass():
    x = np.array([0.0, -40.0])
    assert log_softmax_with_log(x)[0] == 0.0  # log(1 + 4e-18) rounds to 0 ...
    assert log_softmax_with_log1p(x)[0] < 0.0  # ... log1p keeps it
    assert check_log_softmax(log_softmax_with_log).passed
    assert check_log_softmax(log_softmax_with_log1p).passed
    assert check_log_softmax(lambda x: scipy.special.log_softmax(x, axis=-1)).passed


def test_a_default_axis_from_the_shape_is_named():
    problems = check_softmax(pitfalls.softmax_first_non_singleton_axis).problems
    assert exercises.AXIS_0 in problems
    assert exercises.FIRST_AXIS in problems
    # Plain axis=0 is wrong for a batch of one too: the shape-dependent default is not named.
    assert exercises.FIRST_AXIS not in check_softmax(pitfalls.softmax_over_axis0).problems


def test_scipy_softmax_with_its_default_axis_none():
    problems = check_softmax(scipy.special.softmax).problems
    assert problems == [exercises.AXIS_NONE]
    assert "scipy.special.softmax(x)" in problems[0]
    assert check_softmax(lambda x: scipy.special.softmax(x, axis=-1)).passed


def test_float32_answers_to_a_float64_exercise_are_told_so_and_fail():
    for answer in (softmax_shift_by_max_in_float32, softmax_float32_inside):
        problems = check_softmax(answer).problems
        assert len(problems) == 1
        assert problems[0].startswith("correct to float32 precision only: for ")
        assert "the exercise asks for float64" in problems[0]
        assert "every number in your answer is a float32 number" in problems[0]


def test_float32_input_asks_for_float32_precision():
    report = check_softmax(softmax_shift_by_max_in_float32, keeps_dtype=True)
    assert not any("float32 precision only" in p for p in report.problems)


def test_float32_numbers_are_named_only_when_confirmed():
    # Off by 1e-6 relative in float64: float32 precision, but not "float32 numbers".
    (problem,) = check_softmax(lambda x: sc.softmax(x) * (1 + 1e-6)).problems
    assert problem.startswith("correct to float32 precision only")
    assert "float32 number" not in problem


def test_identical_rounded_numbers_show_the_difference():
    problems = check_softmax(lambda x: sc.softmax(x) + 2e-5 * _centered(x))
    text = problems.problems[0]
    assert text.startswith("wrong values")
    expected, got = text.split("expected ")[1].split(", got ")
    assert expected != got.split(" (they differ")[0]  # enough digits to see the difference


def test_keeps_dtype_only_where_the_exercise_asks_for_it():
    def always_float64(x):
        return sc.softmax(np.asarray(x, dtype=np.float64))

    assert check_softmax(always_float64).passed
    problems = check_softmax(always_float64, keeps_dtype=True).problems
    assert problems == [exercises.KEEP_DTYPE.format(got="float64", label="float32 [100, 0]")]
    assert check_softmax(solutions.blocked_softmax, keeps_dtype=True).passed
    assert (
        check_softmax(softmax_shift_by_max_in_float32, keeps_dtype=True)
        .problems[0]
        .startswith("returned dtype float32 for [3.0, 1.0, 0.2]")
    )


def test_square_batch_without_keepdims_is_confirmed():
    def no_keepdims(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / e.sum(axis=-1)

    assert exercises.SQUARE_NO_KEEPDIMS in check_softmax(no_keepdims).problems

    def scaled(x):  # wrong on a square batch for another reason
        p = sc.softmax(x)
        return p * 1.01 if p.ndim == 2 and p.shape[0] == p.shape[1] else p

    problems = check_softmax(scaled).problems
    assert exercises.SQUARE_NO_KEEPDIMS not in problems
    assert any(p.startswith("rows do not sum to 1 for the input of shape (3, 3)") for p in problems)


def test_columns_overflow_and_global_max_are_told_apart():
    def no_shift(X):
        e = np.exp(X)
        return e / e.sum(axis=0, keepdims=True)

    def global_max(X):
        e = np.exp(X - X.max())
        return e / e.sum(axis=0, keepdims=True)

    problems = exercises.check_softmax_columns(no_shift).problems
    assert exercises.COLUMNS_NO_SHIFT in problems
    assert exercises.COLUMNS_GLOBAL_MAX not in problems
    problems = exercises.check_softmax_columns(global_max).problems
    assert exercises.COLUMNS_GLOBAL_MAX in problems
    assert exercises.COLUMNS_NO_SHIFT not in problems
    assert exercises.check_softmax_columns(lambda X: scipy.special.softmax(X, axis=0)).passed


@pytest.mark.parametrize(
    "convert", [float, np.asarray, lambda v: np.float64(v)], ids=["float", "0-d", "float64"]
)
def test_the_exact_exp_threshold_is_accepted_in_any_scalar_form(convert):
    report = exercises.check_largest_finite_exp_input(
        lambda d: convert(solutions.largest_finite_exp_input(d))
    )
    assert report.passed, report.problems


def test_global_max_is_named_only_when_the_rows_are_shifted_together():
    assert exercises.GLOBAL_MAX in check_softmax(pitfalls.softmax_with_global_max).problems
    for fn in (pitfalls.softmax_without_max_shift, pitfalls.softmax_with_mean_shift, sc.softmax):
        assert exercises.GLOBAL_MAX not in check_softmax(fn).problems
