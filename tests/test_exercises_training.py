"""Tests of :mod:`softmax_course.exercises.training`.

Standardization, the confusion matrix and the regression gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from softmax_course import exercises, solutions
from tests.exercise_learners import (
    _mistakes,
    _regression,
    _standardize_in_place,
    _undercounting_confusion,
    assert_mistake_named,
)

MINE = {"check_standardize", "check_confusion_matrix", "check_regression_gradients"}


def _mine(cases):
    return [case for case in cases if case[0].__name__ in MINE]


MISTAKES = [
    *_mistakes(
        "check_standardize",
        (
            lambda A, B: [(X - X.mean(axis=0)) / X.std(axis=0) for X in (A, B)],
            exercises.STANDARDIZE_LEAK,
        ),
        (
            lambda A, B: ((A - A.mean()) / A.std(), (B - A.mean()) / A.std()),
            exercises.STANDARDIZE_TRAIN,
        ),
        (
            lambda A, B: ((A - A.mean(axis=0)) / A.std(axis=0), B - A.mean(axis=0)),
            exercises.STANDARDIZE_TEST,
        ),
        (lambda A, B: (A - A.mean(axis=0)) / A.std(axis=0), "expected a pair"),
        (
            lambda A, B: _standardize_in_place(A, B),
            exercises.MUTATION.format(name="X_train"),
        ),
    ),
    *_mistakes(
        "check_confusion_matrix",
        (lambda t, p, K: solutions.confusion_matrix(t, p, K).T, exercises.CONFUSION_TRANSPOSED),
        (_undercounting_confusion, exercises.CONFUSION_UNDERCOUNT),
        (
            lambda t, p, K: solutions.confusion_matrix(t, p, max(t.max(), p.max()) + 1),
            "returned shape (3, 3) for K = 4",
        ),
        (
            lambda t, p, K: solutions.confusion_matrix(t, p, K).astype(float),
            "returned dtype float64: counts are integers",
        ),
        (lambda t, p, K: solutions.confusion_matrix(t, p, K) * 2, "for K = 3: expected"),
    ),
    *_mistakes(
        "check_regression_gradients",
        (lambda X, W, b, y: _regression(X, W, b, y, scale=len(y)), exercises.REGRESSION_NO_MEAN),
        (lambda X, W, b, y: _regression(X, W, b, y, scale=-1.0), exercises.REGRESSION_SIGN),
        (lambda X, W, b, y: _regression(X, W, b, y, transpose_dW=True), "dW has shape (3, 4)"),
        (lambda X, W, b, y: _regression(X, W, b, y, db_rows=True), "db has shape (9, 3)"),
        (lambda X, W, b, y: _regression(X, W, b, y, db_mean=True), exercises.REGRESSION_DB_MEAN),
        (lambda X, W, b, y: _regression(X, W, b, y)[0], "expected a pair (dW, db)"),
        (
            lambda X, W, b, y: (_regression(X, W, b, y)[0] * 2, _regression(X, W, b, y)[1]),
            "dW for N = 9",
        ),
    ),
]


@pytest.mark.parametrize(("name", "fn", "message"), MISTAKES)
def test_each_mistake_gets_its_own_message(name, fn, message):
    assert_mistake_named(getattr(exercises, name), fn, message)


def test_regression_gradient_reference_matches_finite_differences():
    rng = np.random.default_rng(6)
    X, W, b = rng.normal(size=(9, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    y = rng.integers(0, 3, size=9)

    def loss(W_, b_):
        return -np.mean(scipy.special.log_softmax(X @ W_ + b_, axis=1)[np.arange(9), y])

    eps = 1e-6
    dW_fd = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[index] = eps
        dW_fd[index] = (loss(W + e, b) - loss(W - e, b)) / (2 * eps)
    dW, _ = _regression(X, W, b, y)
    np.testing.assert_allclose(dW, dW_fd, rtol=1e-7, atol=1e-9)


# --- confirmed diagnoses: each appears for its mistake, and only there -----------------------


def test_sample_standard_deviation_is_accepted():
    def with_ddof1(X_train, X_test):
        mu, sigma = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
        return (X_train - mu) / sigma, (X_test - mu) / sigma

    assert exercises.check_standardize(with_ddof1).passed


def test_standardize_names_the_statistics_used():
    def per_row(A, B):
        return [(X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True) for X in (A, B)]

    assert exercises.check_standardize(per_row).problems == [exercises.STANDARDIZE_ROWS]
    problems = exercises.check_standardize(lambda A, B: (A / 2, B / 2)).problems
    assert problems[0].startswith("X_train is not standardized per feature for ")
    assert exercises.STANDARDIZE_TRAIN not in problems


def test_undercount_named_only_for_the_fancy_index_mistake():
    def missing_the_last_sample(y_true, y_pred, K):
        return solutions.confusion_matrix(y_true[:-1], y_pred[:-1], K)

    problems = exercises.check_confusion_matrix(missing_the_last_sample).problems
    assert exercises.CONFUSION_UNDERCOUNT not in problems
    assert problems[0].startswith("for K = 3: expected")


def test_shape_causes_only_when_the_values_confirm_them():
    def transposed_shape_other_values(X, W, b, y):
        dW, db = _regression(X, W, b, y)
        return np.ones_like(dW.T), db

    problems = exercises.check_regression_gradients(transposed_shape_other_values).problems
    assert not any("X^T G, not G^T X" in p for p in problems)
    assert problems[0].startswith("dW has shape (3, 4) for N = 9, D = 4, K = 3")

    def too_big(y_true, y_pred, K):
        return solutions.confusion_matrix(y_true, y_pred, K + 2)

    problems = exercises.check_confusion_matrix(too_big).problems
    assert not any("use K, not y.max() + 1" in p for p in problems)
