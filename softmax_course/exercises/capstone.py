r"""Checkers for the exercises added by the capstone issue (lessons 06, 07 and 09).

Each ``check_*`` calls the learner's function on copies of its inputs,
compares the result with an independent reference, and names the specific
mistake when it differs, with the same machinery (and the same report) as the other checkers of
:mod:`softmax_course.exercises`, which exports them all.

Lesson 06: :func:`check_kl_divergence`.
Lesson 07: :func:`check_l2_gradients`, :func:`check_multiclass_hinge`.
Lesson 09: :func:`check_unbroadcast`, :func:`check_logsumexp_vjp`, :func:`check_max_vjp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from softmax_course.exercises._session import (
    _SPREAD_LABEL,
    _SPREAD_REGRESSION,
    _SPREAD_REGRESSION_LABEL,
    _SPREAD_ROWS,
    CheckReport,
    _close,
    _pair,
    _run,
    _Session,
    _shift_inside,
)
from softmax_course.i18n import N_
from softmax_course.i18n import gettext as _

__all__ = [
    "check_kl_divergence",
    "check_l2_gradients",
    "check_logsumexp_vjp",
    "check_max_vjp",
    "check_multiclass_hinge",
    "check_unbroadcast",
]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _compare(
    session: _Session,
    result: np.ndarray | None,
    expected: np.ndarray,
    label: str,
    diagnoses: list[tuple[str, np.ndarray | None, str]],
) -> None:
    """Note a shape mismatch or a wrong value; name the first diagnosis ``result`` matches."""
    if result is None:
        return
    if result.shape != expected.shape:
        session.add(
            f"shape:{result.shape}",
            _("returned shape {shape} for {label}; expected shape {expected}").format(
                shape=result.shape, label=label, expected=expected.shape
            ),
        )
        return
    if _close(result, expected, np.float64):
        return
    if not np.all(np.isfinite(result)):
        session.add(
            "nonfinite",
            _("returned inf or NaN for {label}; every value should be finite").format(label=label),
        )
        return
    for key, wrong, message in diagnoses:
        if (
            wrong is not None
            and wrong.shape == expected.shape
            and _close(result, wrong, np.float64)
        ):
            session.add(key, message)
            return
    session.add("value", _("wrong values for {label}").format(label=label))


# --- lesson 06 ---------------------------------------------------------------------------

KL_REVERSED = N_(
    "you computed KL(q || p): the first argument p weighs the log-ratio, sum p log(p / q)"
)
KL_AXIS = N_("sum over the class axis only (axis=-1): one divergence per row")


def _kl_battery(session: _Session) -> None:
    cases = [
        (np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.5, 0.25]), _("one distribution")),
        (
            np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]),
            np.array([[1 / 3, 1 / 3, 1 / 3], [0.2, 0.5, 0.3]]),
            _("a batch of 2 rows"),
        ),
        (
            np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]),
            np.array([[0.8, 0.1, 0.1], [0.3, 0.3, 0.4]]),
            N_("one-hot rows (0 log 0 = 0)"),  # a Message: the test below reads its English
        ),
    ]
    for p, q, label in cases:
        result = session.call([p, q], label, ["p", "q"])
        if result is None:
            if session.cannot_run():
                return
            continue
        with np.errstate(all="ignore"):
            expected = np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / q), 0), axis=-1)
            reversed_ = np.sum(q * np.log(q / p), axis=-1)
        if result.shape != expected.shape and result.size == 1 and p.ndim > 1:
            session.add(
                "axis",
                _("returned one number for {label}; {hint}").format(label=label, hint=KL_AXIS),
            )
            continue
        if np.any(np.isnan(result)) and "one-hot" in label:
            session.add(
                "zero",
                _(
                    "NaN for {label}: 0 * log(0) is 0 * -inf = NaN in floating point; "
                    "skip the zero entries of p (np.where(p > 0, ...) or scipy.special.rel_entr)"
                ).format(label=label),
            )
            continue
        _compare(session, result, expected, label, [("reversed", reversed_, KL_REVERSED)])


def check_kl_divergence(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check ``fn(p, q)`` = :math:`\mathrm{KL}(p \,\|\, q) = \sum_k p_k \log(p_k/q_k)` per row.

    Parameters
    ----------
    fn : callable
        ``fn(p, q)`` for distributions on the last axis; returns one value per
        row (shape ``p.shape[:-1]``), with the convention :math:`0 \log 0 = 0`.

    Returns
    -------
    CheckReport
        Names the reversed divergence, a NaN from :math:`0 \log 0`, a sum over
        the whole batch, mutation and exceptions.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import rel_entr
    >>> check_kl_divergence(lambda p, q: rel_entr(p, q).sum(axis=-1)).passed
    True
    >>> check_kl_divergence(lambda p, q: np.sum(p * np.log(p / q), axis=-1)).problems[0][:24]
    'NaN for one-hot rows (0 '
    """
    return _run("check_kl_divergence", fn, _kl_battery)


# --- lesson 07 ---------------------------------------------------------------------------

L2_PAIR = N_("expected a pair (dW, db); received {what}")


def _l2_battery(session: _Session) -> None:
    rng = np.random.default_rng(12)
    cases = [
        (rng.normal(size=(8, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), 0.1, "lam = 0.1"),
        (rng.normal(size=(5, 2)), rng.normal(size=(2, 3)), rng.normal(size=3), 2.0, "lam = 2"),
        (*_SPREAD_REGRESSION, 0.1, f"{_SPREAD_REGRESSION_LABEL}, lam = 0.1"),
    ]
    for X, W, b, lam, label in cases:
        y = np.arange(len(X)) % W.shape[1]
        result = session.call([X, W, b, y, lam], label, ["X", "W", "b", "y", "lam"], raw=True)
        if result is None:
            if session.cannot_run():
                return
            continue
        pair = _pair(session, result, L2_PAIR, label)
        if pair is None:
            return
        dW, db = pair
        N, K = X.shape[0], W.shape[1]

        def answer(sm, X=X, W=W, b=b, y=y, lam=lam, K=K, N=N):
            G = (sm(X @ W + b) - np.eye(K)[y]) / N
            return np.concatenate([(X.T @ G + lam * W).ravel(), G.sum(axis=0)])

        if (
            dW.shape == W.shape
            and db.shape == b.shape
            and _shift_inside(session, np.concatenate([dW.ravel(), db]), answer, label)
        ):
            continue
        G = (_softmax(X @ W + b) - np.eye(K)[y]) / N
        data_dW, data_db = X.T @ G, G.sum(axis=0)
        _compare(
            session,
            dW,
            data_dW + lam * W,
            f"dW, {label}",
            [
                ("no decay", data_dW, _("dW has no weight decay: add lam * W")),
                (
                    "twice",
                    data_dW + 2 * lam * W,
                    _("the derivative of (lam/2)|W|^2 is lam * W, not 2 lam W"),
                ),
                (
                    "over N",
                    data_dW + lam * W / N,
                    _("the penalty is not averaged over samples: lam * W, no 1/N"),
                ),
            ],
        )
        _compare(
            session,
            db,
            data_db,
            f"db, {label}",
            [
                (
                    "bias decay",
                    data_db + lam * b,
                    _("the bias is not decayed: db is the data term only"),
                )
            ],
        )


def check_l2_gradients(fn: Callable[..., Any]) -> CheckReport:
    r"""Check ``fn(X, W, b, y, lam)`` = ``(dW, db)`` of cross-entropy plus L2 weight decay.

    The loss is :math:`E = -\frac1N\sum_n \log\operatorname{softmax}(x_n W + b)_{y_n}
    + \frac{\lambda}{2}\lVert W\rVert^2`, so :math:`\partial E/\partial W = X^\top G + \lambda W`
    and :math:`\partial E/\partial b = \sum_n G_n` with :math:`G = (S - Y)/N`.

    Parameters
    ----------
    fn : callable
        ``fn(X, W, b, y, lam)``; returns the pair ``(dW, db)``.

    Returns
    -------
    CheckReport
        Names a missing decay, a factor 2, a decay divided by N, a decayed bias.

    Examples
    --------
    >>> import numpy as np
    >>> def l2_gradients(X, W, b, y, lam):
    ...     Z = X @ W + b
    ...     S = np.exp(Z - Z.max(axis=1, keepdims=True))
    ...     S /= S.sum(axis=1, keepdims=True)
    ...     S[np.arange(len(y)), y] -= 1
    ...     G = S / len(y)
    ...     return X.T @ G + lam * W, G.sum(axis=0)
    >>> check_l2_gradients(l2_gradients).passed
    True
    """
    return _run("check_l2_gradients", fn, _l2_battery)


def _hinge_battery(session: _Session) -> None:
    rng = np.random.default_rng(7)
    cases = [
        (np.array([[3.0, 1.0, 2.5], [0.0, 2.0, -1.0]]), np.array([0, 0]), _("two samples")),
        (rng.normal(size=(6, 4)) * 2, rng.integers(0, 4, size=6), "N = 6, K = 4"),
    ]
    for z, y, label in cases:
        result = session.call([z, y], label, ["z", "y"])
        if result is None:
            if session.cannot_run():
                return
            continue
        N = len(y)
        margins = z - z[np.arange(N), y][:, None] + 1.0
        terms = np.maximum(0.0, margins)
        with_true = terms.sum() / N
        terms[np.arange(N), y] = 0.0
        expected = np.asarray(terms.sum() / N)
        no_clip = margins.copy()
        no_clip[np.arange(N), y] = 0.0
        _compare(
            session,
            result.reshape(()) if result.size == 1 else result,
            expected,
            label,
            [
                (
                    "true",
                    np.asarray(with_true),
                    _("skip k = y: the true class adds max(0, 1) = 1 per sample"),
                ),
                ("sum", expected * N, _("average over the N samples (the loss is a mean)")),
                (
                    "clip",
                    np.asarray(no_clip.sum() / N),
                    _("clip each term at 0: max(0, z_k - z_y + 1)"),
                ),
            ],
        )


def check_multiclass_hinge(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check ``fn(z, y)`` = the mean multiclass hinge (SVM) loss with margin 1.

    :math:`E = \frac1N\sum_n \sum_{k \ne y_n} \max(0,\, z_{nk} - z_{n y_n} + 1)`.

    Parameters
    ----------
    fn : callable
        ``fn(z, y)`` for logits ``(N, K)`` and integer labels ``(N,)``; returns a scalar.

    Returns
    -------
    CheckReport
        Names the true class counted, a sum instead of a mean, a missing clip at 0.

    Examples
    --------
    >>> import numpy as np
    >>> def hinge(z, y):
    ...     m = np.maximum(0, z - z[np.arange(len(y)), y][:, None] + 1)
    ...     return (m.sum() - len(y)) / len(y)  # the true class contributes exactly 1 each
    >>> check_multiclass_hinge(hinge).passed
    True
    """
    return _run("check_multiclass_hinge", fn, _hinge_battery)


# --- lesson 09 ---------------------------------------------------------------------------


def _unbroadcast_battery(session: _Session) -> None:
    rng = np.random.default_rng(9)
    g = rng.normal(size=(2, 3, 4))
    cases = [((3, 4), "g (2, 3, 4) to (3, 4)"), ((3, 1), "g (2, 3, 4) to (3, 1)"),
             ((1, 3, 1), "g (2, 3, 4) to (1, 3, 1)"), ((2, 3, 4), "g (2, 3, 4) to (2, 3, 4)"),
             ((), "g (2, 3, 4) to ()")]  # fmt: skip
    for shape, label in cases:
        # The same label, in the learner's language.
        label = _("g {source} to {target}").format(source=g.shape, target=shape)
        result = session.call([g, shape], label, ["g", "shape"])
        if result is None:
            if session.cannot_run():
                return
            continue
        lead = g.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
        )
        expected = g.sum(axis=axes).reshape(shape)
        counts = int(np.prod([g.shape[a] for a in axes]))
        _compare(
            session,
            result,
            expected,
            label,
            [("mean", expected / counts, _("sum over the broadcast axes, do not average them"))],
        )
        if session.has(f"shape:{result.shape}") and result.size == expected.size:
            session.add("keepdims", _("keep the length-1 axes of `shape` (keepdims=True)"))


def check_unbroadcast(fn: Callable[[np.ndarray, tuple[int, ...]], Any]) -> CheckReport:
    """Check ``fn(g, shape)``: ``g`` summed over the axes along which ``shape`` was broadcast.

    Examples
    --------
    >>> from softmax_course.autodiff import unbroadcast
    >>> check_unbroadcast(unbroadcast).passed
    True
    """
    return _run("check_unbroadcast", fn, _unbroadcast_battery)


def _logsumexp_battery(session: _Session) -> None:
    rng = np.random.default_rng(3)
    cases = [
        (rng.normal(size=(4, 3)), rng.normal(size=4), "N = 4, K = 3"),
        (np.array([[1000.0, 5.0], [-1000.0, -1001.0]]), np.array([1.0, 2.0]), _("logits +-1000")),
        (_SPREAD_ROWS, np.array([1.0, -2.0]), _SPREAD_LABEL),
    ]
    for z, g, label in cases:
        result = session.call([z, g], label, ["z", "g"])
        if result is None:
            if session.cannot_run():
                return
            continue
        S = _softmax(z)
        if (
            z is _SPREAD_ROWS
            and result.shape == z.shape
            and _shift_inside(session, result, lambda sm, z=z, g=g: g[:, None] * sm(z), label)
        ):
            continue
        if not np.all(np.isfinite(result)) and np.abs(z).max() > 100:
            session.add(
                "overflow",
                _("inf or NaN for {label}: subtract each row's maximum first").format(label=label),
            )
            continue
        _compare(
            session,
            result,
            g[:, None] * S,
            label,
            [("no g", S, _("multiply by the upstream gradient g (broadcast as g[:, None])"))],
        )


def check_logsumexp_vjp(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check ``fn(z, g)``: the VJP of the row-wise logsumexp, ``g[:, None] * softmax(z)``.

    Examples
    --------
    >>> import numpy as np
    >>> import softmax_course as sc
    >>> check_logsumexp_vjp(lambda z, g: g[:, None] * sc.softmax(z)).passed
    True
    """
    return _run("check_logsumexp_vjp", fn, _logsumexp_battery)


def _max_battery(session: _Session) -> None:
    cases = [
        (np.array([[1.0, 3.0, 2.0], [5.0, -1.0, 0.0]]), np.array([2.0, -1.0]), "N = 2, K = 3"),
        (np.array([[0.5, 0.1, 0.2, 0.9]]), np.array([3.0]), "N = 1, K = 4"),
    ]
    for z, g, label in cases:
        result = session.call([z, g], label, ["z", "g"])
        if result is None:
            if session.cannot_run():
                return
            continue
        winners = (z == z.max(axis=1, keepdims=True)).astype(float)
        _compare(
            session,
            result,
            g[:, None] * winners,
            label,
            [
                ("everywhere", np.broadcast_to(g[:, None], z.shape).copy(),
                 _("only the entry that was the maximum moved the max: g goes there, 0 elsewhere")),
                ("no g", winners, _("multiply the 0/1 mask by the upstream gradient g")),
            ],
        )  # fmt: skip


def check_max_vjp(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    """Check ``fn(z, g)``: the VJP of the row maximum, ``g`` routed to each row's argmax.

    Examples
    --------
    >>> import numpy as np
    >>> check_max_vjp(lambda z, g: g[:, None] * (z == z.max(axis=1, keepdims=True))).passed
    True
    """
    return _run("check_max_vjp", fn, _max_battery)
