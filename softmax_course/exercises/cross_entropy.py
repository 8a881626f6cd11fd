"""Checkers for the cross-entropy loss and its gradients (lesson 06).

:func:`check_cross_entropy_grad`, :func:`check_loss_from_labels`, :func:`check_grad_soft_targets`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from softmax_course.core import log_softmax as _ref_log_softmax
from softmax_course.core import softmax as _ref_softmax
from softmax_course.exercises._session import (
    CheckReport,
    _close,
    _float,
    _fmt,
    _run,
    _scalar_close,
    _Session,
)
from softmax_course.exercises.forward import (
    _axis_problem,
)

__all__ = [
    "CE_BY_K",
    "CE_LOGITS",
    "CE_NO_MEAN",
    "CE_NO_Y",
    "CE_OVERFLOW",
    "CE_SIGN",
    "CE_WRT_PROBS",
    "LOSS_NONFINITE",
    "LOSS_NO_MEAN",
    "LOSS_SIGN",
    "SOFT_ASSUMES_ONE",
    "SOFT_NO_MEAN",
    "SOFT_OVERFLOW",
    "SOFT_SIGN",
    "check_cross_entropy_grad",
    "check_grad_soft_targets",
    "check_loss_from_labels",
]


CE_NO_MEAN = (
    "missing the 1/N average: the loss is the mean over the N samples, so dE/dz = (s - y) / N"
)

CE_SIGN = "sign error: dE/dz = (s - y) / N, not (y - s) / N"

CE_BY_K = "divided by K (the number of classes) instead of N (the number of samples)"

CE_WRT_PROBS = (
    "that is dE/ds, the gradient with respect to the probabilities -(y / s) / N; chain it "
    "through the softmax Jacobian to get dE/dz = (s - y) / N"
)

CE_NO_Y = "the - y term is missing: dE/dz = (s - y) / N"

CE_OVERFLOW = (
    "overflow for logits such as [1000, 5, 0]: exp(1000) is inf and inf/inf is NaN; "
    "subtract each row's maximum before exponentiating"
)

CE_LOGITS = (
    "you used the logits z where the probabilities s = softmax(z) belong: dE/dz = "
    "(softmax(z) - y) / N"
)


def _one_hot(labels: Sequence[int], K: int) -> np.ndarray:
    return np.eye(K)[np.asarray(labels)]


def _ce_battery(session: _Session) -> None:
    rng = np.random.default_rng(3)
    first = np.round(rng.normal(size=(4, 3)) * 2, 2)
    cases = [
        (first, [0, 2, 1, 2], "N = 4 samples, K = 3 classes", False),
        (np.array([[2.0, -1.0, 0.5, 0.0, 1.0]]), [3], "a single sample (N = 1, K = 5)", False),
        (np.round(rng.normal(size=(3, 3)), 2), [1, 0, 2], "a square batch (N = K = 3)", False),
        (np.round(rng.normal(size=(6, 2)) * 3, 2), [0, 1, 1, 0, 1, 1], "N = 6, K = 2", False),
        (
            np.array([[1000.0, 5.0, 0.0], [0.0, 0.0, 0.0]]),
            [1, 2],
            "logits [[1000, 5, 0], ...]",
            False,
        ),
        (
            np.array([[-1000.0, -1001.0, -999.0], [2.0, 1.0, 0.0]]),
            [2, 0],
            "very negative logits",
            False,
        ),
        (np.array([[1.0, 1.0, 2.0], [0.0, 3.0, 3.0]]), [0, 2], "repeated logits", False),
        (
            np.array([[3.0, 1.0, 0.2], [-2.0, 0.0, 2.0]], dtype=np.float32),
            [0, 1],
            "float32 logits",
            False,
        ),
        (first, [0, 2, 1, 2], "read-only z and y", True),
    ]
    for index, (z, labels, label, read_only) in enumerate(cases):
        y = _one_hot(labels, z.shape[-1]).astype(z.dtype)
        result = session.call([z, y], label, ["z", "y"], read_only=read_only)
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        _diagnose_ce(session, result, z, y, label)


def _diagnose_ce(
    session: _Session, result: np.ndarray, z: np.ndarray, y: np.ndarray, label: str
) -> None:
    N, K = z.shape
    s = _ref_softmax(z)
    expected = (s - y) / N
    dtype = z.dtype
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(result)):
            if np.max(np.abs(z)) > 100:
                session.add("maxshift", CE_OVERFLOW)
            else:
                session.add(f"nonfinite:{label}", f"returned inf or NaN for {label}")
            return
        if result.ndim == 0:
            session.add(
                "scalar",
                "returned a single number (the loss?); expected the gradient dE/dz, "
                "one entry per logit, of shape (N, K)",
            )
            return
        if not session.shape_ok(result, z.shape, label):
            return
        if _close(result, expected, dtype):
            return
        if N > 1 and _close(result, s - y, dtype):
            session.add("mean", CE_NO_MEAN)
        elif _close(result, (y - s) / N, dtype):
            session.add("sign", CE_SIGN)
        elif N > 1 and _close(result, y - s, dtype):
            session.add("sign", CE_SIGN)
            session.add("mean", CE_NO_MEAN)
        elif N != K and _close(result, (s - y) / K, dtype):
            session.add("by_k", CE_BY_K)
        elif _close(result, -(y / s) / N, dtype):
            session.add("wrt_probs", CE_WRT_PROBS)
        elif _close(result, s / N, dtype) or (N > 1 and _close(result, s, dtype)):
            session.add("no_y", CE_NO_Y)
        elif _close(result, (z - y) / N, dtype):
            session.add("logits", CE_LOGITS)
        else:
            # Perhaps the softmax inside was normalized over the wrong axis: undo the rest.
            axis_problem = _axis_problem(result * N + y, z)
            if axis_problem is not None:
                session.add("axis", "inside your gradient, " + axis_problem)
            else:
                session.add(
                    "values",
                    f"wrong gradient for {label}: expected {_fmt(expected)}, got {_fmt(result)}",
                )


def check_cross_entropy_grad(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check a learner's ``dE/dz`` for the mean cross-entropy of softmax(z).

    Parameters
    ----------
    fn : callable
        ``fn(z, y)`` with logits ``z`` of shape ``(N, K)`` and one-hot
        targets ``y`` of the same shape; returns
        :math:`\partial E / \partial z = (\operatorname{softmax}(z) - y) / N`
        for :math:`E = -\frac{1}{N} \sum_n \sum_k y_{nk} \log s_{nk}`.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (missing ``1/N``,
        sign, dividing by ``K``, the gradient with respect to ``s`` instead
        of ``z``, overflow, axis, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_cross_entropy_grad
    >>> def grad_without_mean(z, y):
    ...     e = np.exp(z - z.max(axis=-1, keepdims=True))
    ...     return e / e.sum(axis=-1, keepdims=True) - y
    >>> check_cross_entropy_grad(grad_without_mean).problems
    ['missing the 1/N average: the loss is the mean over the N samples, so dE/dz = (s - y) / N']
    """
    return _run("check_cross_entropy_grad", fn, _ce_battery)


LOSS_NONFINITE = (
    "returned {result} for logits up to {size:g}: take the log before rounding, "
    "log s = z - logsumexp(z), with the maximum subtracted inside logsumexp"
)

LOSS_NO_MEAN = (
    "missing the 1/N average: the loss is the mean over the N samples, "
    "-(1/N) sum_n log s[n, labels[n]]"
)

LOSS_SIGN = "sign error: the loss is -(1/N) sum_n log s[n, labels[n]], a positive number"

SOFT_ASSUMES_ONE = (
    "this is (s - y)/N, which assumes every row of y sums to 1; keep the factor sum_k y_nk "
    "in front of s: (s * sum(y, axis=-1, keepdims=True) - y) / N"
)

SOFT_NO_MEAN = "missing the 1/N average: the loss is the mean over the N samples, so divide by N"

SOFT_SIGN = "sign error: dE/dz = (s * sum(y) - y) / N, not (y - s * sum(y)) / N"

SOFT_OVERFLOW = (
    "overflow for logits such as [1000, 5, 0]: exp(1000) is inf and inf/inf is NaN; "
    "subtract each row's maximum before exponentiating"
)


def _labels_loss_battery(session: _Session) -> None:
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    cases = [
        (Z, labels, "a batch of shape (6, 4)"),
        (np.array([[1e4, -1e4], [0.0, 0.0]]), np.array([1, 0]), "logits [[1e4, -1e4], [0, 0]]"),
        (np.array([[0.5, -1.0, 2.0]]), np.array([2]), "a single sample"),
    ]
    for index, (z, y, label) in enumerate(cases):
        result = session.call([z, y], label, ["z", "labels"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        value = _float(session, result, label)
        if value is None:
            continue
        N = z.shape[0]
        picked = _ref_log_softmax(z)[np.arange(N), y]  # one log-probability per row
        expected = float(-np.sum(picked) / N)
        if not np.isfinite(value):
            session.add("nonfinite", LOSS_NONFINITE.format(result=value, size=np.max(np.abs(z))))
        elif _scalar_close(value, expected):
            continue
        elif N > 1 and _scalar_close(value, expected * N):
            session.add("mean", LOSS_NO_MEAN)
        elif _scalar_close(value, -expected):
            session.add("sign", LOSS_SIGN)
        else:
            session.add(
                f"values:{label}",
                f"for logits up to {np.max(np.abs(z)):g}: expected {expected:.6g}, got {value:.6g}",
            )


def check_loss_from_labels(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check the mean cross-entropy from logits and integer labels (lesson 06, exercise 2).

    Parameters
    ----------
    fn : callable
        ``fn(z, labels)`` for logits ``z`` of shape ``(N, K)`` and integer
        labels of shape ``(N,)``; returns
        :math:`-\frac{1}{N} \sum_n \log \operatorname{softmax}(z_n)_{\text{labels}_n}`,
        finite even for logits of size :math:`10^4`.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (a log of a rounded
        probability, the missing ``1/N``, sign, wrong values, mutation,
        exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_loss_from_labels
    >>> def naive(z, labels):
    ...     s = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    ...     return -np.mean(np.log(s[np.arange(len(labels)), labels]))
    >>> check_loss_from_labels(naive).problems
    ['returned inf for logits up to 10000: take the log before rounding, log s = z - logsumexp(z), with the maximum subtracted inside logsumexp']
    """  # noqa: E501
    return _run("check_loss_from_labels", fn, _labels_loss_battery)


def _soft_targets_battery(session: _Session) -> None:
    rng = np.random.default_rng(5)
    cases = [
        (
            rng.normal(size=(5, 3)),
            rng.uniform(0.0, 2.0, size=(5, 3)),
            "y with rows summing to anything",
        ),
        (rng.normal(size=(3, 4)), np.full((3, 4), 0.25), "y with rows summing to 1"),
        (
            np.array([[1000.0, 5.0, 0.0], [0.0, 1.0, 2.0]]),
            np.array([[0.5, 0.0, 1.0], [2.0, 0.0, 0.0]]),
            "logits [[1000, 5, 0], ...]",
        ),
    ]
    for index, (z, y, label) in enumerate(cases):
        result = session.call([z, y], label, ["z", "y"])
        if result is None:
            if index == 0 and session.cannot_run():
                return
            continue
        if not session.shape_ok(result, z.shape, label):
            continue
        N = z.shape[0]
        s = _ref_softmax(z)
        expected = (s * np.sum(y, axis=-1, keepdims=True) - y) / N
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(result)):
                if np.max(np.abs(z)) > 100:
                    session.add("maxshift", SOFT_OVERFLOW)
                else:
                    session.add(f"nonfinite:{label}", f"returned inf or NaN for {label}")
                continue
            if _close(result, expected, z.dtype):
                continue
            if _close(result, (s - y) / N, z.dtype):
                session.add("assumes_one", SOFT_ASSUMES_ONE)
            elif _close(result, expected * N, z.dtype):
                session.add("mean", SOFT_NO_MEAN)
            elif _close(result, -expected, z.dtype):
                session.add("sign", SOFT_SIGN)
            else:
                session.add(
                    "values",
                    f"wrong gradient for {label}: expected {_fmt(expected)}, got {_fmt(result)}",
                )


def check_grad_soft_targets(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check ``dE/dz`` for targets whose rows need not sum to 1 (lesson 06, exercise 3).

    Parameters
    ----------
    fn : callable
        ``fn(z, y)`` for logits ``z`` and non-negative targets ``y`` of
        shape ``(N, K)``; returns
        :math:`\frac{1}{N}(s \sum_k y_{nk} - y)` with ``s = softmax(z)``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the ``(s - y)/N``
        shortcut that assumes rows summing to 1, the missing ``1/N``, sign,
        overflow, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_grad_soft_targets
    >>> def shortcut(z, y):
    ...     e = np.exp(z - z.max(axis=1, keepdims=True))
    ...     return (e / e.sum(axis=1, keepdims=True) - y) / len(z)
    >>> check_grad_soft_targets(shortcut).problems
    ['this is (s - y)/N, which assumes every row of y sums to 1; keep the factor sum_k y_nk in front of s: (s * sum(y, axis=-1, keepdims=True) - y) / N']
    """  # noqa: E501
    return _run("check_grad_soft_targets", fn, _soft_targets_battery)
