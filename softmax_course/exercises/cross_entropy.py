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
    _SPREAD_LABEL,
    _SPREAD_ROWS,
    FLOAT32_ONLY,
    SPREAD_MEAN,
    CheckReport,
    _close,
    _confirmed_causes,
    _expected_got,
    _float,
    _float32_only,
    _fmt,
    _run,
    _scalar_close,
    _Session,
    _shift_inside,
)
from softmax_course.exercises.forward import (
    _axis_problem,
)
from softmax_course.i18n import N_
from softmax_course.i18n import gettext as _

__all__ = [
    "CE_BY_K",
    "CE_GLOBAL_MAX",
    "CE_LOGITS",
    "CE_NO_MEAN",
    "CE_NO_Y",
    "CE_OVERFLOW",
    "CE_SIGN",
    "CE_WRT_PROBS",
    "CE_ZERO_TIMES_INF",
    "LOSS_NONFINITE",
    "LOSS_NO_MEAN",
    "LOSS_OVERFLOW",
    "LOSS_SIGN",
    "SOFT_ASSUMES_ONE",
    "SOFT_NO_MEAN",
    "SOFT_OVERFLOW",
    "SOFT_SIGN",
    "check_cross_entropy_grad",
    "check_grad_soft_targets",
    "check_loss_from_labels",
]


CE_NO_MEAN = N_(
    "missing the 1/N average: the loss is the mean over the N samples, so dE/dz = (s - y) / N"
)

CE_SIGN = N_("sign error: dE/dz = (s - y) / N, not (y - s) / N")

CE_BY_K = N_("divided by K (the number of classes) instead of N (the number of samples)")

CE_WRT_PROBS = N_(
    "that is dE/ds, the gradient with respect to the probabilities -(y / s) / N; chain it "
    "through the softmax Jacobian to get dE/dz = (s - y) / N"
)

CE_NO_Y = N_("the - y term is missing: dE/dz = (s - y) / N")

CE_OVERFLOW = N_(
    "overflow for logits such as [1000, 5, 0]: without a shift exp(1000) is inf and inf/inf "
    "is NaN (and a row of very negative logits gives 0/0); subtract each row's maximum "
    "before exponentiating"
)

CE_ZERO_TIMES_INF = N_(
    "NaN for a confident wrong prediction: you carried dE/ds = -(y / s) / N through the "
    "softmax Jacobian; where s rounds to 0 for the true class, y / s is inf, and the "
    "Jacobian's entries there are 0, so 0 * inf = NaN, even with a stable softmax; combine "
    "the two derivatives on paper first: dE/dz = (s - y) / N never divides by s "
    "(lessons 05 and 06)"
)

CE_GLOBAL_MAX = N_(
    "inside your gradient, rows far below the batch maximum underflow to 0/0: the softmax "
    "subtracts the maximum of the whole batch; subtract each row's own maximum, "
    "np.max(z, axis=-1, keepdims=True)"
)

CE_LOGITS = N_(
    "you used the logits z where the probabilities s = softmax(z) belong: dE/dz = "
    "(softmax(z) - y) / N"
)


def _one_hot(labels: Sequence[int], K: int) -> np.ndarray:
    return np.eye(K)[np.asarray(labels)]


_CE_CAUSES = {
    "maxshift": CE_OVERFLOW,
    "global_max": CE_GLOBAL_MAX,
    "zero_times_inf": CE_ZERO_TIMES_INF,
    "spread_mean": SPREAD_MEAN.format(label=_SPREAD_LABEL),
}


def _ce_battery(session: _Session) -> None:
    rng = np.random.default_rng(3)
    first = np.round(rng.normal(size=(4, 3)) * 2, 2)
    cases = [
        (first, [0, 2, 1, 2], _("N = 4 samples, K = 3 classes"), False),
        (np.array([[2.0, -1.0, 0.5, 0.0, 1.0]]), [3], _("a single sample (N = 1, K = 5)"), False),
        (np.round(rng.normal(size=(3, 3)), 2), [1, 0, 2], _("a square batch (N = K = 3)"), False),
        (np.round(rng.normal(size=(6, 2)) * 3, 2), [0, 1, 1, 0, 1, 1], "N = 6, K = 2", False),
        (
            np.array([[1000.0, 5.0, 0.0], [0.0, 0.0, 0.0]]),
            [1, 2],
            _("logits [[1000, 5, 0], ...]"),
            False,
        ),
        (
            np.array([[-1000.0, -1001.0, -999.0], [2.0, 1.0, 0.0]]),
            [2, 0],
            _("very negative logits"),
            False,
        ),
        (np.array([[1.0, 1.0, 2.0], [0.0, 3.0, 3.0]]), [0, 2], _("repeated logits"), False),
        (
            np.array([[3.0, 1.0, 0.2], [-2.0, 0.0, 2.0]], dtype=np.float32),
            [0, 1],
            _("float32 logits"),
            False,
        ),
        (
            np.array([[40.0, -800.0, 0.0], [1.0, 2.0, 3.0]]),
            [1, 2],
            _("a confident wrong prediction, logits [[40, -800, 0], ...] with true class 1"),
            False,
        ),
        (
            np.array([[1000.0, 999.0, 998.0], [0.0, 1.0, 2.0]]),
            [2, 0],
            _("large but close logits [[1000, 999, 998], ...]"),
            False,
        ),
        (
            np.round(rng.normal(size=(7, 10)) * 2, 2),
            [3, 9, 0, 5, 5, 1, 8],
            _("N = 7 samples, K = 10 classes"),
            False,
        ),
        (first, [0, 2, 1, 2], _("read-only z and y"), True),
        (_SPREAD_ROWS, [1, 2], _SPREAD_LABEL, False),
    ]
    for z, labels, label, read_only in cases:
        y = _one_hot(labels, z.shape[-1]).astype(z.dtype)
        result = session.call([z, y], label, ["z", "y"], read_only=read_only)
        if result is None:
            continue
        _diagnose_ce(session, result, z, y, label)


def _ce_softmax(z: np.ndarray, shift: np.ndarray | float) -> np.ndarray:
    e = np.exp(z - shift)
    return e / np.sum(e, axis=-1, keepdims=True)


def _through_jacobian(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dE/ds = -(y / s) / N carried through the softmax Jacobian: J^T (dE/ds) per sample."""
    dE_ds = -(y / s) / s.shape[0]
    J = s[:, :, None] * np.eye(s.shape[-1]) - s[:, :, None] * s[:, None, :]
    return np.einsum("ni,nij->nj", dE_ds, J)


def _ce_candidates(z: np.ndarray, y: np.ndarray) -> list[tuple[list[str], Any]]:
    """Wrong formulas that give inf or NaN, each with its causes (keys of _CE_CAUSES)."""
    N = z.shape[0]
    row_max = np.max(z, axis=-1, keepdims=True)
    return [
        (["maxshift"], lambda: (_ce_softmax(z, 0.0) - y) / N),
        (["spread_mean"], lambda: (_ce_softmax(z, np.mean(z, axis=-1, keepdims=True)) - y) / N),
        (["global_max"], lambda: (_ce_softmax(z, np.max(z)) - y) / N),
        (["zero_times_inf"], lambda: _through_jacobian(_ce_softmax(z, row_max), y)),
        (["maxshift", "zero_times_inf"], lambda: _through_jacobian(_ce_softmax(z, 0.0), y)),
        (["global_max", "zero_times_inf"], lambda: _through_jacobian(_ce_softmax(z, np.max(z)), y)),
    ]


def _diagnose_ce(
    session: _Session, result: np.ndarray, z: np.ndarray, y: np.ndarray, label: str
) -> None:
    N, K = z.shape
    s = _ref_softmax(z)
    expected = (s - y) / N
    dtype = z.dtype
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(result)):
            causes, matching = _confirmed_causes(result, _ce_candidates(z, y), dtype)
            symptom = _("returned inf or NaN for {label}: {values}; expected {expected}").format(
                label=label, values=_fmt(result), expected=_fmt(expected)
            )
            session.add_causes(causes, matching, _CE_CAUSES, (f"nonfinite:{label}", symptom))
            return
        if result.ndim == 0:
            loss = -np.sum(y * _ref_log_softmax(z)) / N
            what = (
                _("the loss") if _close(result, np.asarray(loss), dtype) else _("a single number")
            )
            session.add(
                "scalar",
                _(
                    "returned {what}; expected the gradient dE/dz, one entry per logit, "
                    "of shape (N, K)"
                ).format(what=what),
            )
            return
        if not session.shape_ok(result, z.shape, label):
            return
        if _close(result, expected, dtype):
            return
        if _float32_only(result, expected, dtype):
            session.add("float32_only", FLOAT32_ONLY.format(label=label))
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
                session.add(
                    "axis", _("inside your gradient, {problem}").format(problem=axis_problem)
                )
            else:
                session.add(
                    "values",
                    _("wrong gradient for {label}: {comparison}").format(
                        label=label, comparison=_expected_got(expected, result)
                    ),
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


LOSS_NONFINITE = N_(
    "returned {result} for logits up to {size:g}: take the log before rounding, "
    "log s = z - logsumexp(z), with the maximum subtracted inside logsumexp"
)

LOSS_OVERFLOW = N_(
    "returned {result} for logits up to {size:g}: exp overflows without the maximum shift; "
    "compute logsumexp(z) = m + log(sum(exp(z - m))) with m the maximum of each row"
)

LOSS_NO_MEAN = N_(
    "missing the 1/N average: the loss is the mean over the N samples, "
    "-(1/N) sum_n log s[n, labels[n]]"
)

LOSS_SIGN = N_("sign error: the loss is -(1/N) sum_n log s[n, labels[n]], a positive number")

SOFT_ASSUMES_ONE = N_(
    "this is (s - y)/N, which assumes every row of y sums to 1; keep the factor sum_k y_nk "
    "in front of s: (s * sum(y, axis=-1, keepdims=True) - y) / N"
)

SOFT_NO_MEAN = N_(
    "missing the 1/N average: the loss is the mean over the N samples, so divide by N"
)

SOFT_SIGN = N_("sign error: dE/dz = (s * sum(y) - y) / N, not (y - s * sum(y)) / N")

SOFT_OVERFLOW = N_(
    "overflow for logits such as [1000, 5, 0]: exp(1000) is inf and inf/inf is NaN; "
    "subtract each row's maximum before exponentiating"
)


def _loss_candidates(z: np.ndarray, y: np.ndarray) -> list[tuple[list[str], Any]]:
    """Loss formulas that give inf or NaN, with their causes."""
    rows = np.arange(z.shape[0])

    def log_of(s: np.ndarray) -> np.ndarray:
        return -np.mean(np.log(s[rows, y]))

    return [
        (["log_rounded"], lambda: log_of(_ce_softmax(z, np.max(z, axis=-1, keepdims=True)))),
        (["noshift", "log_rounded"], lambda: log_of(_ce_softmax(z, 0.0))),
        (["noshift"], lambda: -np.mean(z[rows, y] - np.log(np.sum(np.exp(z), axis=-1)))),
    ]


def _labels_loss_battery(session: _Session) -> None:
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    big = np.round(rng.normal(size=(40, 7)) * 3, 2)
    cases = [
        (Z, labels, _("a batch of shape (6, 4)")),
        # exp(-830) rounds to 0: only a log of a rounded probability gives inf here.
        (
            np.array([[30.0, -800.0], [0.0, 0.0]]),
            np.array([1, 0]),
            _("logits [[30, -800], [0, 0]]"),
        ),
        # exp(1000) overflows: only a formula without the maximum shift gives inf or NaN here.
        (
            np.array([[1000.0, 999.0], [0.0, 1.0]]),
            np.array([1, 0]),
            _("logits [[1000, 999], [0, 1]]"),
        ),
        (np.array([[1e4, -1e4], [0.0, 0.0]]), np.array([1, 0]), _("logits [[1e4, -1e4], [0, 0]]")),
        (np.array([[0.5, -1.0, 2.0]]), np.array([2]), _("a single sample")),
        (big, rng.integers(0, 7, size=40), _("a batch of shape (40, 7)")),
    ]
    for z, y, label in cases:
        result = session.call([z, y], label, ["z", "labels"])
        if result is None:
            continue
        value = _float(session, result, label)
        if value is None:
            continue
        N = z.shape[0]
        picked = _ref_log_softmax(z)[np.arange(N), y]  # one log-probability per row
        expected = float(-np.sum(picked) / N)
        if not np.isfinite(value):
            size = np.max(np.abs(z))
            causes, matching = _confirmed_causes(
                np.asarray(value), _loss_candidates(z, y), np.dtype(np.float64)
            )
            messages = {
                "log_rounded": LOSS_NONFINITE.format(result=value, size=size),
                "noshift": LOSS_OVERFLOW.format(result=value, size=size),
            }
            symptom = _("returned {value} for {label}; expected {expected:.6g}").format(
                value=value, label=label, expected=expected
            )
            session.add_causes(causes, matching, messages, (f"nonfinite:{label}", symptom))
        elif _scalar_close(value, expected):
            continue
        elif N > 1 and _scalar_close(value, expected * N):
            session.add("mean", LOSS_NO_MEAN)
        elif _scalar_close(value, -expected):
            session.add("sign", LOSS_SIGN)
        else:
            session.add(
                f"values:{label}",
                _("for logits up to {size:g}: expected {expected:.6g}, got {value:.6g}").format(
                    size=np.max(np.abs(z)), expected=expected, value=value
                ),
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
    >>> for problem in check_loss_from_labels(naive).problems:
    ...     print(problem)
    returned inf for logits up to 800: take the log before rounding, log s = z - logsumexp(z), with the maximum subtracted inside logsumexp
    returned nan for logits up to 1000: exp overflows without the maximum shift; compute logsumexp(z) = m + log(sum(exp(z - m))) with m the maximum of each row
    """  # noqa: E501
    return _run("check_loss_from_labels", fn, _labels_loss_battery)


def _soft_candidates(z: np.ndarray, y: np.ndarray) -> list[tuple[list[str], Any]]:
    """The soft-target gradients from a softmax without the maximum shift."""
    total, N = np.sum(y, axis=-1, keepdims=True), z.shape[0]
    return [
        (["maxshift"], lambda: (_ce_softmax(z, 0.0) * total - y) / N),
        (["maxshift"], lambda: (_ce_softmax(z, 0.0) - y) / N),
    ]


def _soft_targets_battery(session: _Session) -> None:
    rng = np.random.default_rng(5)
    cases = [
        (
            rng.normal(size=(5, 3)),
            rng.uniform(0.0, 2.0, size=(5, 3)),
            _("y with rows summing to anything"),
        ),
        (rng.normal(size=(3, 4)), np.full((3, 4), 0.25), _("y with rows summing to 1")),
        (
            np.array([[1000.0, 5.0, 0.0], [0.0, 1.0, 2.0]]),
            np.array([[0.5, 0.0, 1.0], [2.0, 0.0, 0.0]]),
            _("logits [[1000, 5, 0], ...]"),
        ),
        (_SPREAD_ROWS, np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 1.0]]), _SPREAD_LABEL),
    ]
    for z, y, label in cases:
        result = session.call([z, y], label, ["z", "y"])
        if result is None:
            continue
        if not session.shape_ok(result, z.shape, label):
            continue
        N = z.shape[0]
        s = _ref_softmax(z)
        expected = (s * np.sum(y, axis=-1, keepdims=True) - y) / N
        if z is _SPREAD_ROWS and _shift_inside(
            session,
            result,
            lambda sm, z=z, y=y, N=N: (sm(z) * np.sum(y, axis=-1, keepdims=True) - y) / N,
            label,
        ):
            continue
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(result)):
                causes, matching = _confirmed_causes(result, _soft_candidates(z, y), z.dtype)
                symptom = _("returned inf or NaN for {label}: {values}").format(
                    label=label, values=_fmt(result)
                )
                session.add_causes(
                    causes, matching, {"maxshift": SOFT_OVERFLOW}, (f"nonfinite:{label}", symptom)
                )
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
                    _("wrong gradient for {label}: {comparison}").format(
                        label=label, comparison=_expected_got(expected, result)
                    ),
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
