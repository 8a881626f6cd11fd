"""Tests of :mod:`softmax_course.exercises.cross_entropy`.

The cross-entropy gradients and the loss from labels.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special

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
