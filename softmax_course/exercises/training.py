"""Checkers for training a classifier (lesson 07).

:func:`check_standardize`, :func:`check_confusion_matrix`, :func:`check_regression_gradients`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from softmax_course.core import softmax as _ref_softmax
from softmax_course.exercises._session import (
    _SPREAD_REGRESSION,
    _SPREAD_REGRESSION_LABEL,
    CheckReport,
    _close,
    _expected_got,
    _fmt,
    _pair,
    _run,
    _Session,
    _shift_inside,
)
from softmax_course.i18n import N_
from softmax_course.i18n import gettext as _

__all__ = [
    "CONFUSION_DTYPE",
    "CONFUSION_K",
    "CONFUSION_TRANSPOSED",
    "CONFUSION_UNDERCOUNT",
    "REGRESSION_DB_MEAN",
    "REGRESSION_DB_NOT_SUMMED",
    "REGRESSION_DW_TRANSPOSED",
    "REGRESSION_NO_MEAN",
    "REGRESSION_PAIR",
    "REGRESSION_SIGN",
    "STANDARDIZE_LEAK",
    "STANDARDIZE_PAIR",
    "STANDARDIZE_ROWS",
    "STANDARDIZE_TEST",
    "STANDARDIZE_TRAIN",
    "check_confusion_matrix",
    "check_regression_gradients",
    "check_standardize",
]


STANDARDIZE_PAIR = N_("expected a pair (X_train_standardized, X_test_standardized); got {what}")

STANDARDIZE_TRAIN = N_(
    "X_train is not standardized per feature: you used the mean and standard deviation of "
    "the whole array; subtract X_train.mean(axis=0) and divide by X_train.std(axis=0)"
)

STANDARDIZE_ROWS = N_(
    "X_train is not standardized per feature: you used each sample's (row's) mean and "
    "standard deviation; the statistics are per feature: X_train.mean(axis=0), "
    "X_train.std(axis=0)"
)

STANDARDIZE_LEAK = N_(
    "X_test was standardized with its own statistics: use the mean and standard deviation "
    "of X_train (anything computed from the test set leaks into the model)"
)

STANDARDIZE_TEST = N_("X_test should be (X_test - mu_train) / sigma_train")

CONFUSION_TRANSPOSED = N_(
    "rows and columns are swapped: C[i, j] counts samples of true class i (rows) "
    "predicted as j (columns)"
)

CONFUSION_UNDERCOUNT = N_(
    "some samples were not counted: C[y_true, y_pred] += 1 counts a repeated pair (i, j) "
    "only once; np.add.at(C, (y_true, y_pred), 1) counts every sample"
)

CONFUSION_K = N_(
    "returned shape {shape} for K = {K}: the matrix is K x K even when a class never "
    "appears; use K, not y.max() + 1"
)

CONFUSION_DTYPE = N_(
    "returned dtype {dtype}: counts are integers; start from np.zeros((K, K), dtype=int)"
)

REGRESSION_PAIR = N_("expected a pair (dW, db); got {what}")

REGRESSION_NO_MEAN = N_(
    "missing the 1/N average: with G = (S - Y) / N, dW = X^T G and db = sum_n G_n"
)

REGRESSION_SIGN = N_("sign error: G = (S - Y) / N, not (Y - S) / N")

REGRESSION_DW_TRANSPOSED = N_(
    "dW has shape {shape}: it must have the shape of W, {expected}: X^T G, not G^T X"
)

REGRESSION_DB_NOT_SUMMED = N_(
    "db has shape {shape}: b is shared by all samples, so db sums G over the samples, "
    "G.sum(axis=0), shape {expected}"
)

REGRESSION_DB_MEAN = N_(
    "db is the mean of G over the samples; it is the sum: G already carries the 1/N"
)


def _standardize_battery(session: _Session) -> None:
    cases = [
        (
            np.random.default_rng(3).normal(5.0, 2.0, size=(20, 3)),
            np.random.default_rng(4).normal(6.0, 1.0, size=(7, 3)),
            _("X_train (20, 3) and X_test (7, 3)"),
        ),
        (
            np.array([[0.0, 10.0], [2.0, 30.0], [4.0, 20.0]]),
            np.array([[1.0, 0.0]]),
            _("X_train (3, 2) and one test sample"),
        ),
    ]
    for A, B, label in cases:
        result = session.call([A, B], label, ["X_train", "X_test"], raw=True)
        if result is None:
            continue
        pair = _pair(session, result, STANDARDIZE_PAIR, label)
        if pair is None:
            continue
        _diagnose_standardize(session, A, B, *pair, label)


def _diagnose_standardize(
    session: _Session,
    A: np.ndarray,
    B: np.ndarray,
    A_std: np.ndarray,
    B_std: np.ndarray,
    label: str,
) -> None:
    mu = A.mean(axis=0)
    # The population std (ddof=0) and the sample std (ddof=1) are both standard choices.
    ddof = next(
        (
            d
            for d in (0, 1)
            if A_std.shape == A.shape and _close(A_std, (A - mu) / A.std(axis=0, ddof=d), A.dtype)
        ),
        None,
    )
    if ddof is None:
        if A_std.shape == A.shape and _close(A_std, (A - A.mean()) / A.std(), A.dtype):
            session.add("train", STANDARDIZE_TRAIN)
        elif A_std.shape == A.shape and _close(
            A_std, (A - A.mean(axis=1, keepdims=True)) / A.std(axis=1, keepdims=True), A.dtype
        ):
            session.add("train", STANDARDIZE_ROWS)
        elif A_std.shape != A.shape:
            session.add(
                "train_shape",
                _("X_train standardized has shape {shape} for {label}; expected {expected}").format(
                    shape=A_std.shape, label=label, expected=A.shape
                ),
            )
        else:
            session.add(
                "train_values",
                _(
                    "X_train is not standardized per feature for {label}: its columns have means "
                    "{means} and standard deviations {deviations}; expected 0 and 1"
                ).format(
                    label=label, means=_fmt(A_std.mean(axis=0)), deviations=_fmt(A_std.std(axis=0))
                ),
            )
        return
    sigma = A.std(axis=0, ddof=ddof)
    if (
        B_std.shape == B.shape
        and B.shape[0] > 1
        and _close(B_std, (B - B.mean(axis=0)) / B.std(axis=0, ddof=ddof), B.dtype)
    ):
        session.add("leak", STANDARDIZE_LEAK)
    elif not (B_std.shape == B.shape and _close(B_std, (B - mu) / sigma, B.dtype)):
        if not session.has("leak"):  # one test sample: its own std is 0, same mistake
            session.add("test", STANDARDIZE_TEST)


def check_standardize(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    """Check standardizing both sets with the training set's statistics (lesson 07, exercise 1).

    Parameters
    ----------
    fn : callable
        ``fn(X_train, X_test)`` returning the pair
        ``((X_train - mu) / sigma, (X_test - mu) / sigma)`` with the
        per-feature ``mu`` and ``sigma`` of ``X_train``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the test set
        standardized with its own statistics, statistics not per feature,
        not a pair, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_standardize
    >>> def leaky(X_train, X_test):
    ...     return [(X - X.mean(axis=0)) / X.std(axis=0) for X in (X_train, X_test)]
    >>> check_standardize(leaky).problems
    ['X_test was standardized with its own statistics: use the mean and standard deviation of X_train (anything computed from the test set leaks into the model)']
    """  # noqa: E501
    return _run("check_standardize", fn, _standardize_battery)


def _confusion_battery(session: _Session) -> None:
    cases = [
        (np.array([0, 0, 1, 2, 2, 2, 1]), np.array([0, 0, 2, 2, 1, 2, 1]), 3, "K = 3"),
        (np.array([0, 1, 1, 0, 2]), np.array([1, 1, 1, 0, 2]), 4, _("K = 4, class 3 never seen")),
    ]
    for y_true, y_pred, K, label in cases:
        result = session.call([y_true, y_pred, K], label, ["y_true", "y_pred", "K"], raw=True)
        if result is None:
            continue
        C = session.as_array(result, label)
        if C is None:
            continue
        expected = np.zeros((K, K), dtype=np.int64)
        for t, p in zip(y_true, y_pred, strict=True):  # counting one by one: the definition
            expected[t, p] += 1
        if C.dtype.kind not in "fiub":
            session.add(
                "dtype",
                _("returned {type} with dtype {dtype}").format(
                    type=type(result).__name__, dtype=C.dtype
                ),
            )
            continue
        if C.shape != (K, K):
            largest = int(max(np.max(y_true), np.max(y_pred)))
            if C.ndim == 2 and C.shape[0] == C.shape[1] == largest + 1:
                session.add("K", CONFUSION_K.format(shape=C.shape, K=K))
            else:
                session.add(
                    f"shape:{C.shape}",
                    _("returned shape {shape} for {label}; expected {expected}").format(
                        shape=C.shape, label=label, expected=(K, K)
                    ),
                )
            continue
        if C.dtype.kind == "f":
            session.add("float", CONFUSION_DTYPE.format(dtype=C.dtype))
        if np.array_equal(C, expected):
            continue
        once = np.zeros((K, K), dtype=np.int64)
        once[y_true, y_pred] += 1  # fancy indexing: a repeated pair is counted once
        if np.array_equal(C, expected.T):
            session.add("transposed", CONFUSION_TRANSPOSED)
        elif np.array_equal(C, once):
            session.add("undercount", CONFUSION_UNDERCOUNT)
        else:
            session.add(
                "values",
                _("for {label}: {comparison}").format(
                    label=label, comparison=_expected_got(expected, C)
                ),
            )


def check_confusion_matrix(fn: Callable[[np.ndarray, np.ndarray, int], Any]) -> CheckReport:
    """Check a confusion matrix ``C[i, j]`` = samples of class i predicted as j (lesson 07, ex. 2).

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, K)`` for integer label arrays of shape ``(N,)``;
        returns the ``K x K`` integer matrix of counts.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (rows and columns
        swapped, repeated pairs counted once, the size taken from the
        labels instead of ``K``, float counts, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_confusion_matrix
    >>> def fancy_index(y_true, y_pred, K):
    ...     C = np.zeros((K, K), dtype=int)
    ...     C[y_true, y_pred] += 1
    ...     return C
    >>> check_confusion_matrix(fancy_index).problems
    ['some samples were not counted: C[y_true, y_pred] += 1 counts a repeated pair (i, j) only once; np.add.at(C, (y_true, y_pred), 1) counts every sample']
    """  # noqa: E501
    return _run("check_confusion_matrix", fn, _confusion_battery)


def _regression_battery(session: _Session) -> None:
    rng = np.random.default_rng(6)
    cases = [
        (
            rng.normal(size=(9, 4)),
            rng.normal(size=(4, 3)),
            rng.normal(size=3),
            rng.integers(0, 3, size=9),
            "N = 9, D = 4, K = 3",
        ),
        (
            rng.normal(size=(5, 2)),
            rng.normal(size=(2, 4)),
            rng.normal(size=4),
            np.array([3, 0, 1, 3, 2]),
            "N = 5, D = 2, K = 4",
        ),
        (*_SPREAD_REGRESSION, np.array([0, 1, 2]), _SPREAD_REGRESSION_LABEL),
    ]
    for X, W, b, y, label in cases:
        result = session.call([X, W, b, y], label, ["X", "W", "b", "y"], raw=True)
        if result is None:
            continue
        pair = _pair(session, result, REGRESSION_PAIR, label)
        if pair is None:
            return
        dW, db = pair
        N, K = X.shape[0], W.shape[1]

        def answer(sm, X=X, W=W, b=b, y=y, K=K, N=N):
            G = (sm(X @ W + b) - np.eye(K)[y]) / N
            return np.concatenate([(X.T @ G).ravel(), G.sum(axis=0)])

        if (
            dW.shape == W.shape
            and db.shape == b.shape
            and _shift_inside(session, np.concatenate([dW.ravel(), db]), answer, label)
        ):
            continue
        G = (_ref_softmax(X @ W + b) - np.eye(K)[y]) / N  # the shortcut of lesson 06
        expected_dW, expected_db = X.T @ G, G.sum(axis=0)
        if dW.shape != W.shape:
            session.add(
                "dW_shape",
                REGRESSION_DW_TRANSPOSED.format(shape=dW.shape, expected=W.shape)
                if dW.shape == W.shape[::-1] and _close(dW, expected_dW.T, X.dtype)
                else _(
                    "dW has shape {shape} for {label}; expected the shape of W, {expected}"
                ).format(shape=dW.shape, label=label, expected=W.shape),
            )
        if db.shape != b.shape:
            session.add(
                "db_shape",
                REGRESSION_DB_NOT_SUMMED.format(shape=db.shape, expected=b.shape)
                if db.shape == (N, K) and _close(db, G, X.dtype)
                else _(
                    "db has shape {shape} for {label}; expected the shape of b, {expected}"
                ).format(shape=db.shape, label=label, expected=b.shape),
            )
        if dW.shape != W.shape or db.shape != b.shape:
            continue
        dW_ok, db_ok = _close(dW, expected_dW, X.dtype), _close(db, expected_db, X.dtype)
        if dW_ok and db_ok:
            continue
        if _close(dW, expected_dW * N, X.dtype) and _close(db, expected_db * N, X.dtype):
            session.add("mean", REGRESSION_NO_MEAN)
        elif _close(dW, -expected_dW, X.dtype) and _close(db, -expected_db, X.dtype):
            session.add("sign", REGRESSION_SIGN)
        else:
            if not dW_ok:
                session.add(
                    "dW",
                    _("dW for {label}: {comparison}").format(
                        label=label, comparison=_expected_got(expected_dW, dW)
                    ),
                )
            if not db_ok:
                if dW_ok and _close(db, expected_db / N, X.dtype):
                    session.add("db_mean", REGRESSION_DB_MEAN)
                else:
                    session.add(
                        "db",
                        _("db for {label}: {comparison}").format(
                            label=label, comparison=_expected_got(expected_db, db)
                        ),
                    )


def check_regression_gradients(
    fn: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], Any],
) -> CheckReport:
    r"""Check the gradients of softmax regression's mean cross-entropy (lesson 07, exercise 3).

    Parameters
    ----------
    fn : callable
        ``fn(X, W, b, y)`` for inputs ``X`` ``(N, D)``, weights ``W``
        ``(D, K)``, bias ``b`` ``(K,)`` and integer labels ``y`` ``(N,)``;
        returns ``(dW, db)`` for
        :math:`E = -\frac{1}{N}\sum_n \log \operatorname{softmax}(x_n W + b)_{y_n}`,
        that is :math:`X^\top G` and :math:`\sum_n G_n` with :math:`G = (S - Y)/N`.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the missing ``1/N``,
        sign, ``dW`` transposed, ``db`` not summed over the samples or
        averaged twice, not a pair, mutation, exceptions).

    Examples
    --------
    >>> from softmax_course import solutions
    >>> from softmax_course.exercises import check_regression_gradients
    >>> check_regression_gradients(solutions.regression_gradients).passed
    True
    """
    return _run("check_regression_gradients", fn, _regression_battery)
