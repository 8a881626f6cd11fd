"""Tests of :mod:`softmax_course.exercises.jacobian`.

The softmax Jacobian, the batch Jacobian and the quadratic form.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from softmax_course import exercises, pitfalls, solutions
from softmax_course.exercises import (
    check_softmax_jacobian,
)
from tests.exercise_learners import (
    CORRECT,
    PITFALLS,
    _mistakes,
    _sm,
    assert_mistake_named,
    assert_only_this_pitfall_named,
    assert_passes,
    fd_jacobian_of_logits,
    jacobian_through_package,
    seed000_softmax_derivative,
    seed001_delta,
)

MINE = {"check_softmax_jacobian", "check_batch_jacobian", "check_quadratic_form"}


def _mine(cases):
    return [case for case in cases if case[0].__name__ in MINE]


MISTAKES = [
    *_mistakes(
        "check_batch_jacobian",
        (lambda S: S * (1 - S), "these are only the diagonals s(1-s)"),
        (lambda S: -solutions.batch_jacobian(S), exercises.JACOBIAN_SIGN),
        (
            lambda S: S[:, :, None] * np.eye(S.shape[1]) * (1 - S[:, :, None]),
            exercises.DIAGONAL_ONLY,
        ),
        (
            lambda S: solutions.batch_jacobian(S)[0],
            "expected shape (6, 4, 4), one 4x4 matrix per sample",
        ),
        (lambda S: solutions.batch_jacobian(S) + 1e-3, exercises.BATCH_JACOBIAN_VALUES),
    ),
    *_mistakes(
        "check_quadratic_form",
        (lambda s, v: np.sum(s * v**2), exercises.QUADRATIC_NO_SQUARE),
        (lambda s, v: np.sum(s * v**2) + np.sum(s * v) ** 2, exercises.QUADRATIC_SIGN),
        (lambda s, v: (np.diag(s) - np.outer(s, s)) @ v, "returned 5 numbers: J v is a vector"),
        (lambda s, v: np.sum(v**2), "for s, v with K = 5: expected"),
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
    "fn", [solutions.jacobian_from_logits, fd_jacobian_of_logits, jacobian_through_package]
)
def test_jacobian_from_logits_passes_with_takes_logits(fn):
    report = check_softmax_jacobian(fn, takes="logits")
    assert report.passed, report.problems


@pytest.mark.parametrize(
    ("checker", "fn", "message"), _mine(PITFALLS), ids=[fn.__name__ for _, fn, _ in _mine(PITFALLS)]
)
def test_each_pitfall_gets_exactly_its_own_message(checker, fn, message):
    assert_only_this_pitfall_named(checker, fn, message, PITFALLS)


def test_jacobian_vector_of_diagonal_entries_is_recognised():
    report = check_softmax_jacobian(pitfalls.jacobian_diagonal_only)
    assert report.problems == [
        "only the diagonal s(1-s): the off-diagonal entries -s_i s_j are missing",
        exercises.DIAGONAL_VECTOR.format(K=2),
    ]


def test_jacobian_diagonal_matrix_is_recognised():
    report = check_softmax_jacobian(lambda s: np.diag(s * (1 - s)))
    assert report.problems == [exercises.DIAGONAL_ONLY]


def test_jacobian_sign_error_of_the_diagonal_vector():
    report = check_softmax_jacobian(lambda s: -s * (1 - s))
    assert exercises.DIAGONAL_ONLY in report.problems
    assert exercises.JACOBIAN_SIGN in report.problems


def test_seed000_derivative_gets_all_three_diagnoses():
    problems = check_softmax_jacobian(seed000_softmax_derivative, takes="logits").problems
    assert exercises.DIAGONAL_ONLY in problems
    assert exercises.JACOBIAN_SIGN in problems
    assert exercises.REPEATED_VALUES in problems
    assert exercises.OVERFLOW in problems  # exp(1000) without a shift


def test_seed001_delta_is_the_diagonal_only():
    problems = check_softmax_jacobian(seed001_delta, takes="logits").problems
    assert problems[:2] == [exercises.DIAGONAL_ONLY, exercises.DIAGONAL_VECTOR.format(K=2)]


def test_seed001_loop_jacobian_passes():
    def softmax_grad(s):
        jacobian_m = np.diag(s)
        for i in range(len(jacobian_m)):
            for j in range(len(jacobian_m)):
                if i == j:
                    jacobian_m[i][j] = s[i] * (1 - s[i])
                else:
                    jacobian_m[i][j] = -s[i] * s[j]
        return jacobian_m

    assert check_softmax_jacobian(softmax_grad).passed


def test_jacobian_of_logits_given_probabilities_is_softmax_applied_twice():
    report = check_softmax_jacobian(solutions.jacobian_from_logits)  # takes="probs" by default
    assert report.problems == [exercises.SOFTMAX_AGAIN]


def test_probabilities_formula_given_logits():
    report = check_softmax_jacobian(solutions.jacobian_from_probs, takes="logits")
    assert exercises.LOGITS_AS_PROBS in report.problems


def test_a_list_result_is_accepted_when_right():
    assert check_softmax_jacobian(lambda s: solutions.jacobian_from_probs(s).tolist()).passed


def test_takes_is_validated():
    with pytest.raises(ValueError, match=r"takes must be 'probs' or 'logits'; received 'z'"):
        check_softmax_jacobian(solutions.jacobian_from_probs, takes="z")


def test_quadratic_form_reference_matches_finite_differences():
    # v^T J v is the second directional derivative of logsumexp: an independent reference.
    rng = np.random.default_rng(4)
    z, v = rng.normal(size=5), rng.normal(size=5)
    h = 1e-4
    lse = scipy.special.logsumexp
    second = (lse(z + h * v) - 2 * lse(z) + lse(z - h * v)) / h**2
    s = _sm(z)
    assert solutions.quadratic_form(s, v) == pytest.approx(second, rel=1e-6)
    assert exercises.check_quadratic_form(solutions.quadratic_form).passed


# --- confirmed diagnoses: each appears for its mistake, and only there -----------------------


def jacobian_from_logits_mean_shift(z):
    e = np.exp(z - np.mean(z))
    s = e / e.sum()
    return np.diag(s) - np.outer(s, s)


def jacobian_from_logits_no_shift(z):
    e = np.exp(z)
    s = e / e.sum()
    return np.diag(s) - np.outer(s, s)


def test_jacobian_from_logits_names_the_mean_and_the_missing_shift_apart():
    problems = check_softmax_jacobian(jacobian_from_logits_mean_shift, takes="logits").problems
    assert problems == [exercises.MEAN_SHIFT.format(label="z = [700, -1400]")]
    problems = check_softmax_jacobian(jacobian_from_logits_no_shift, takes="logits").problems
    assert problems == [exercises.OVERFLOW]


def test_float32_jacobian_is_not_called_a_wrong_diagonal():
    def in_float32(s):
        s32 = np.asarray(s, dtype=np.float32)
        return np.diag(s32) - np.outer(s32, s32)

    for answer in (in_float32, lambda s: in_float32(s).astype(np.float64)):
        problems = check_softmax_jacobian(answer).problems  # float64 asked: not passed
        assert problems[0].startswith("correct to float32 precision only")
    assert exercises.DIAGONAL_WRONG not in problems
    assert exercises.OFF_DIAGONAL_WRONG not in problems


def test_flattened_batch_jacobian_is_named():
    problems = exercises.check_batch_jacobian(pitfalls.batch_jacobian_flattened).problems
    assert problems[0] == exercises.BATCH_JACOBIAN_FLATTENED.format(NK=24, K=4)
    # Any other (NK, NK) matrix is only a wrong shape.
    problems = exercises.check_batch_jacobian(lambda S: np.eye(S.size)).problems
    assert not any("flattened" in p for p in problems)
    assert problems[0].startswith("returned shape (24, 24) for S of shape (6, 4)")


def test_batch_jacobian_by_einsum_passes():
    def by_einsum(S):
        return np.einsum(
            "nij,ni->nij", np.broadcast_to(np.eye(S.shape[1]), S.shape + S.shape[1:]), S
        ) - np.einsum("ni,nj->nij", S, S)

    assert exercises.check_batch_jacobian(by_einsum).passed


def test_shape_messages_name_a_cause_only_when_the_values_confirm_it():
    problems = exercises.check_batch_jacobian(lambda S: S * 2).problems
    assert not any("only the diagonals" in p for p in problems)
    problems = exercises.check_quadratic_form(lambda s, v: v).problems
    assert not any("J v is a vector" in p for p in problems)
    assert problems[0].startswith("returned shape (5,) for s, v with K = 5; expected a single")
