"""Tests of :mod:`softmax_course.exercises.cross_entropy`.

The cross-entropy gradients and the loss from labels.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import softmax_course as sc
from softmax_course import exercises, pitfalls, solutions
from softmax_course.exercises import (
    check_cross_entropy_grad,
)
from tests.exercise_learners import (
    CORRECT,
    PITFALLS,
    _mistakes,
    _naive_softmax,
    _sm,
    assert_mistake_named,
    assert_only_this_pitfall_named,
    assert_passes,
    scipy_softmax,
)

MINE = {"check_cross_entropy_grad", "check_loss_from_labels", "check_grad_soft_targets"}


def _mine(cases):
    return [case for case in cases if case[0].__name__ in MINE]


MISTAKES = [
    *_mistakes(
        "check_loss_from_labels",
        (
            lambda z, y: -np.mean(np.log(_naive_softmax(z)[np.arange(len(y)), y])),
            "take the log before rounding",
        ),
        (lambda z, y: solutions.loss_from_labels(z, y) * len(y), exercises.LOSS_NO_MEAN),
        (lambda z, y: -solutions.loss_from_labels(z, y), exercises.LOSS_SIGN),
        (lambda z, y: np.zeros(len(y)), "expected a single number"),
        (
            lambda z, y: -np.mean(scipy.special.log_softmax(z, axis=1)[:, y]),
            "for logits up to",
        ),
    ),
    *_mistakes(
        "check_grad_soft_targets",
        (lambda z, y: (_sm(z) - y) / len(z), exercises.SOFT_ASSUMES_ONE),
        (lambda z, y: solutions.grad_soft_targets(z, y) * len(z), exercises.SOFT_NO_MEAN),
        (lambda z, y: -solutions.grad_soft_targets(z, y), exercises.SOFT_SIGN),
        (
            lambda z, y: (_naive_softmax(z) * y.sum(axis=1, keepdims=True) - y) / len(z),
            exercises.SOFT_OVERFLOW,
        ),
        (lambda z, y: solutions.grad_soft_targets(z, y).T, "returned shape"),
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


def test_seed002_einsum_route_passes_the_gradient_checker():
    def grad(z, y):
        s = scipy_softmax(z)
        dE_ds = -(y / s) / len(z)
        ds_dz = np.einsum("ij,ik->ijk", s, -s)
        np.einsum("ijj->ij", ds_dz)[...] += s
        return np.einsum("ij,ijk->ik", dE_ds, ds_dz)

    report = check_cross_entropy_grad(grad)
    # exact on ordinary logits; y / s is 0/0-free here since s > 0 except in the extreme case
    assert exercises.CE_NO_MEAN not in report.problems
    assert exercises.CE_SIGN not in report.problems


@pytest.mark.parametrize(
    ("fn", "messages"),
    [
        (lambda z, y: (y - scipy_softmax(z)) / len(z), [exercises.CE_SIGN]),
        (lambda z, y: y - scipy_softmax(z), [exercises.CE_SIGN, exercises.CE_NO_MEAN]),
        (lambda z, y: (scipy_softmax(z) - y) / z.shape[1], [exercises.CE_BY_K]),
        (lambda z, y: -(y / scipy_softmax(z)) / len(z), [exercises.CE_WRT_PROBS]),
        (lambda z, y: scipy_softmax(z) / len(z), [exercises.CE_NO_Y]),
        (lambda z, y: (z - y) / len(z), [exercises.CE_LOGITS]),
        (
            lambda z, y: (pitfalls.softmax_without_max_shift(z) - y) / len(z),
            [exercises.CE_OVERFLOW],
        ),
    ],
)
def test_cross_entropy_grad_mistakes(fn, messages):
    problems = check_cross_entropy_grad(fn).problems
    for message in messages:
        assert message in problems


def test_cross_entropy_grad_with_softmax_over_the_wrong_axis():
    def grad(z, y):
        return (pitfalls.softmax_over_axis0(z) - y) / len(z)

    problems = check_cross_entropy_grad(grad).problems
    assert "inside your gradient, " + exercises.AXIS_0 in problems


# --- confirmed diagnoses: each appears for its mistake, and only there -----------------------


def seed002_softmax(x):  # thread 002: the maximum of the whole batch
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=1)[:, None]


def seed002_dE_dz(z, y):  # thread 002's einsum answer: -y/s through the Jacobian
    sm = seed002_softmax(z)
    dE_da = -(y / sm) / len(y)
    res = np.einsum("ij,ik->ijk", sm, -sm)
    np.einsum("ijj->ij", res)[...] += sm
    return np.einsum("ij,ijk->ik", dE_da, res)


def test_zero_times_inf_through_the_jacobian_is_named():
    problems = check_cross_entropy_grad(pitfalls.cross_entropy_grad_through_jacobian).problems
    assert problems == [exercises.CE_ZERO_TIMES_INF]  # a stable softmax: not an overflow


def test_thread_002_route_gets_both_of_its_mistakes():
    problems = check_cross_entropy_grad(seed002_dE_dz).problems
    assert exercises.CE_ZERO_TIMES_INF in problems
    assert exercises.CE_GLOBAL_MAX in problems
    assert exercises.CE_OVERFLOW not in problems


def test_overflow_is_named_only_without_the_shift():
    def no_shift(z, y):
        return (pitfalls.softmax_without_max_shift(z) - y) / len(z)

    problems = check_cross_entropy_grad(no_shift).problems
    assert exercises.CE_OVERFLOW in problems
    assert exercises.CE_ZERO_TIMES_INF not in problems
    assert exercises.CE_GLOBAL_MAX not in problems


def test_correct_but_different_gradients_pass():
    def via_logsumexp(z, y):
        s = np.exp(z - scipy.special.logsumexp(z, axis=-1, keepdims=True))
        return (s - y) / len(z)

    def in_float32(z, y):
        z32 = np.asarray(z, np.float32)
        e = np.exp(z32 - z32.max(axis=-1, keepdims=True))
        return ((e / e.sum(axis=-1, keepdims=True) - y) / len(z)).astype(np.float32)

    assert check_cross_entropy_grad(via_logsumexp).passed
    # float64 exercise, float32 answer: told in words, not passed (the one precision rule)
    (problem,) = check_cross_entropy_grad(in_float32).problems
    assert problem.startswith("correct to float32 precision only: for ")
    assert "the exercise asks for float64" in problem
    assert check_cross_entropy_grad(sc.softmax_cross_entropy_grad).checks >= 12  # K = 10 too


def loss_with_log1p(z, labels):
    z = np.asarray(z, dtype=np.float64)
    m = np.max(z, axis=-1, keepdims=True)
    e = np.exp(z - m)
    np.put_along_axis(e, np.argmax(z, axis=-1)[..., None], 0.0, axis=-1)
    log_s = z - m - np.log1p(np.sum(e, axis=-1, keepdims=True))
    return -np.mean(log_s[np.arange(len(labels)), labels])


def loss_with_log(z, labels):
    m = np.max(z, axis=-1, keepdims=True)
    log_s = z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))
    return -np.mean(log_s[np.arange(len(labels)), labels])


def test_loss_log_and_log1p_both_pass():
    z, labels = np.array([[0.0, -40.0]]), np.array([0])
    assert loss_with_log(z, labels) == 0.0
    assert loss_with_log1p(z, labels) > 0.0
    assert exercises.check_loss_from_labels(loss_with_log).passed
    assert exercises.check_loss_from_labels(loss_with_log1p).passed


def test_loss_causes_are_told_apart():
    def log_of_rounded(z, labels):
        s = sc.softmax(z)
        return -np.mean(np.log(s[np.arange(len(labels)), labels]))

    def logsumexp_without_shift(z, labels):
        lse = np.log(np.sum(np.exp(z), axis=-1))
        return -np.mean(z[np.arange(len(labels)), labels] - lse)

    problems = exercises.check_loss_from_labels(log_of_rounded).problems
    assert len(problems) == 1 and "take the log before rounding" in problems[0]
    problems = exercises.check_loss_from_labels(logsumexp_without_shift).problems
    assert len(problems) == 1 and "exp overflows without the maximum shift" in problems[0]


def test_a_scalar_is_called_the_loss_only_when_it_is_the_loss():
    def the_loss(z, y):
        return -np.sum(y * scipy.special.log_softmax(z, axis=-1)) / len(z)

    problems = check_cross_entropy_grad(the_loss).problems
    assert problems[0].startswith("returned the loss; expected the gradient dE/dz")
    problems = check_cross_entropy_grad(lambda z, y: 0.5).problems
    assert problems[0].startswith("returned a single number; expected the gradient dE/dz")
