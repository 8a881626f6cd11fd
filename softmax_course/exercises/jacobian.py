"""Checkers for the softmax Jacobian (lesson 04).

:func:`check_softmax_jacobian`, :func:`check_batch_jacobian`, :func:`check_quadratic_form`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from softmax_course.core import softmax as _ref_softmax
from softmax_course.exercises._session import (
    _HUGE,
    _REPEATED,
    _VECTOR,
    FLOAT32_ONLY,
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
)
from softmax_course.exercises.forward import MEAN_SHIFT, OVERFLOW
from softmax_course.i18n import N_
from softmax_course.i18n import gettext as _

__all__ = [
    "BATCH_JACOBIAN_DIAGONAL",
    "BATCH_JACOBIAN_FLATTENED",
    "BATCH_JACOBIAN_VALUES",
    "DIAGONAL_ONLY",
    "DIAGONAL_VECTOR",
    "DIAGONAL_WRONG",
    "JACOBIAN_SIGN",
    "LOGITS_AS_PROBS",
    "OFF_DIAGONAL_WRONG",
    "QUADRATIC_NO_SQUARE",
    "QUADRATIC_SIGN",
    "QUADRATIC_VECTOR",
    "REPEATED_VALUES",
    "SOFTMAX_AGAIN",
    "check_batch_jacobian",
    "check_quadratic_form",
    "check_softmax_jacobian",
]


DIAGONAL_ONLY = N_("only the diagonal s(1-s): the off-diagonal entries -s_i s_j are missing")

DIAGONAL_VECTOR = N_(
    "returned {K} numbers instead of a {K}x{K} matrix: ds_i/dz_j is a Jacobian with one row "
    "per output s_i and one column per logit z_j"
)

JACOBIAN_SIGN = N_(
    "sign error: your matrix is -J; ds_i/dz_j = s_i (delta_ij - s_j), so the diagonal "
    "s_i (1 - s_i) is positive and the off-diagonal entries -s_i s_j are negative"
)

REPEATED_VALUES = N_(
    "wrong on repeated values such as [1, 1, 2]: you compared values, not indices; "
    "the Kronecker delta is about positions (i == j), not about s_i == s_j"
)

SOFTMAX_AGAIN = N_(
    "you applied softmax to s again: this function receives the probabilities s = softmax(z), "
    "not the logits (pass takes='logits' to the checker if your function takes logits)"
)

LOGITS_AS_PROBS = N_(
    "you used the logits as if they were probabilities: compute s = softmax(z) first, "
    "then J = diag(s) - s s^T"
)

OFF_DIAGONAL_WRONG = N_(
    "the diagonal s_i (1 - s_i) is right but the off-diagonal entries are wrong: "
    "ds_i/dz_j = -s_i s_j for i != j"
)

DIAGONAL_WRONG = N_(
    "the off-diagonal entries -s_i s_j are right but the diagonal is wrong: "
    "ds_i/dz_i = s_i (1 - s_i)"
)


def _jacobian(s: np.ndarray) -> np.ndarray:
    """diag(s) - s s^T, written out so the checker does not trust the learner's formula."""
    return np.diag(s) - np.outer(s, s)


def _jacobian_battery(session: _Session, takes: str) -> None:
    cases = [
        (np.array([1.0, 2.0]), "z = [1, 2]", False),
        (_VECTOR, "z = [3.0, 1.0, 0.2]", False),
        (np.array([0.5, -1.0, 2.0, 0.0, 1.5]), "z = [0.5, -1, 2, 0, 1.5]", False),
        (_REPEATED, _("z = [1, 1, 2] (repeated values)"), False),
        (_VECTOR.astype(np.float32), "float32 z = [3.0, 1.0, 0.2]", False),
        (np.array([2.0, 0.0, -1.0]), _("a read-only input"), True),
    ]
    if takes == "logits":
        cases.append((_HUGE, "z = [1000, 5]", False))
        cases.append((np.array([700.0, -1400.0]), "z = [700, -1400]", False))
    for z, label, read_only in cases:
        s = _ref_softmax(z)
        argument = s if takes == "probs" else z
        name = "s" if takes == "probs" else "z"
        result = session.call([argument], label, [name], read_only=read_only)
        if result is None:
            continue
        _diagnose_jacobian(session, result, z, s, label, takes)


def _overflow_candidates(z: np.ndarray, takes: str) -> list[tuple[list[str], Any]]:
    """The Jacobian from a softmax without a shift, or shifted by the mean (from logits)."""
    if takes != "logits":
        return []

    def from_softmax(shift: np.ndarray | float) -> np.ndarray:
        e = np.exp(z - shift)
        s = e / np.sum(e)
        return np.diag(s) - np.outer(s, s)

    return [
        (["noshift"], lambda: from_softmax(0.0)),
        (["mean"], lambda: from_softmax(np.mean(z))),
        (["noshift"], lambda: from_softmax(0.0)[np.diag_indices(z.size)]),  # the diagonal only
        (["mean"], lambda: from_softmax(np.mean(z))[np.diag_indices(z.size)]),
        # The diagonal from the exponentials themselves, e_i (sum_j e_j - e_i) / (sum_j e_j)^2.
        (["noshift"], lambda: np.exp(z) * (np.sum(np.exp(z)) - np.exp(z)) / np.sum(np.exp(z)) ** 2),
    ]


def _value_skip(s: np.ndarray) -> np.ndarray:
    """The Jacobian built by deciding "diagonal or not" from s_i == s_j.

    The test posted in the thread "Clear implementation of softmax and its derivative".
    """
    same = s[:, None] == s[None, :]
    return np.where(same, (s * (1 - s))[:, None], -np.outer(s, s))


def _diagnose_jacobian(
    session: _Session, result: np.ndarray, z: np.ndarray, s: np.ndarray, label: str, takes: str
) -> None:
    K = s.size
    J = _jacobian(s)
    dtype = z.dtype
    diagonal = s * (1 - s)
    repeated = len(np.unique(s)) < K
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(result)):
            causes, _matching = _confirmed_causes(result, _overflow_candidates(z, takes), dtype)
            if "noshift" in causes:
                session.add("maxshift", OVERFLOW)
            elif "mean" in causes:
                session.add("mean", MEAN_SHIFT.format(label=label))
            else:
                session.add(
                    f"nonfinite:{label}",
                    _("returned inf or NaN for {label}: {values}; expected {expected}").format(
                        label=label, values=_fmt(result), expected=_fmt(J)
                    ),
                )
            return
        if result.shape == (K,):
            # A vector of K numbers: name which diagonal it holds, then why a vector is wrong.
            skip = np.array([si * np.sum(s[s != si]) for si in s])
            if _close(result, diagonal, dtype):
                session.add("diagonal", DIAGONAL_ONLY)
            elif _close(result, -diagonal, dtype):
                session.add("diagonal", DIAGONAL_ONLY)
                session.add("sign", JACOBIAN_SIGN)
            elif repeated and (_close(result, skip, dtype) or _close(result, -skip, dtype)):
                session.add("diagonal", DIAGONAL_ONLY)
                if _close(result, -skip, dtype):
                    session.add("sign", JACOBIAN_SIGN)
                session.add("repeated", REPEATED_VALUES)
            session.add("vector", DIAGONAL_VECTOR.format(K=K))
            return
        if not session.shape_ok(result, (K, K), label):
            return
        if _close(result, J, dtype):
            return
        if _float32_only(result, J, dtype):
            session.add("float32_only", FLOAT32_ONLY.format(label=label))
            return
        off = ~np.eye(K, dtype=bool)
        if _close(result, -J, dtype):
            session.add("sign", JACOBIAN_SIGN)
        elif _close(result, np.diag(diagonal), dtype):
            session.add("diagonal", DIAGONAL_ONLY)
        elif _close(result, -np.diag(diagonal), dtype):
            session.add("diagonal", DIAGONAL_ONLY)
            session.add("sign", JACOBIAN_SIGN)
        elif repeated and _close(result, _value_skip(s), dtype):
            session.add("repeated", REPEATED_VALUES)
        elif takes == "probs" and _close(result, _jacobian(_ref_softmax(s)), dtype):
            session.add("softmax_again", SOFTMAX_AGAIN)
        elif takes == "logits" and _close(result, _jacobian(z.astype(np.float64)), dtype):
            session.add("logits_as_probs", LOGITS_AS_PROBS)
        elif _close(np.diag(result), diagonal, dtype):
            session.add("off_diagonal", OFF_DIAGONAL_WRONG)
        elif _close(result[off], J[off], dtype):
            session.add("diagonal_wrong", DIAGONAL_WRONG)
        else:
            session.add(
                "values",
                _("wrong Jacobian for {label}: {comparison}").format(
                    label=label, comparison=_expected_got(J, result)
                ),
            )


def check_softmax_jacobian(fn: Callable[[np.ndarray], Any], *, takes: str = "probs") -> CheckReport:
    r"""Check a learner's softmax Jacobian :math:`J_{ij} = \partial s_i / \partial z_j`.

    Parameters
    ----------
    fn : callable
        ``fn(s)`` on a 1-D probability vector ``s = softmax(z)`` (the
        default), or ``fn(z)`` on 1-D logits with ``takes="logits"``;
        returns the ``K x K`` matrix ``diag(s) - s s^T``.
    takes : {"probs", "logits"}, optional
        What ``fn`` receives.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found: only the diagonal
        (including a returned vector of diagonal entries), a sign error,
        comparing values instead of indices, softmax applied twice,
        overflow, mutation, exceptions.

    Raises
    ------
    ValueError
        If ``takes`` is neither ``"probs"`` nor ``"logits"`` (a mistake in
        the lesson, not in the learner's function).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_softmax_jacobian
    >>> def diagonal_only(s):
    ...     return s * (1 - s)
    >>> for problem in check_softmax_jacobian(diagonal_only).problems:
    ...     print(problem)
    only the diagonal s(1-s): the off-diagonal entries -s_i s_j are missing
    returned 2 numbers instead of a 2x2 matrix: ds_i/dz_j is a Jacobian with one row per output s_i and one column per logit z_j
    """  # noqa: E501
    if takes not in ("probs", "logits"):
        raise ValueError(f"takes must be 'probs' or 'logits'; received {takes!r}")
    return _run("check_softmax_jacobian", fn, lambda session: _jacobian_battery(session, takes))


BATCH_JACOBIAN_VALUES = N_(
    "right shape, wrong values: compare result[0] with np.diag(S[0]) - np.outer(S[0], S[0])"
)

BATCH_JACOBIAN_FLATTENED = N_(
    "returned one ({NK}, {NK}) matrix: s.reshape(-1, 1) flattened the whole batch into one "
    "vector, so its Jacobian mixes the samples (its off-diagonal blocks -s_n s_m^T couple "
    "different samples, which do not affect each other); build one {K}x{K} matrix per "
    "sample: S[:, :, None] * np.eye(K) - S[:, :, None] * S[:, None, :], shape (N, K, K)"
)

BATCH_JACOBIAN_DIAGONAL = N_(
    "returned shape {shape}, one number per entry of S: these are only the diagonals "
    "s(1-s); the Jacobian of each sample is a K x K matrix, so the result has shape (N, K, K)"
)

QUADRATIC_NO_SQUARE = N_(
    "the term -(sum_i s_i v_i)^2 is missing: v^T J v = sum_i s_i v_i^2 - (sum_i s_i v_i)^2, "
    "from the -s s^T part of J"
)

QUADRATIC_SIGN = N_(
    "sign error in the second term: v^T (diag(s) - s s^T) v = sum_i s_i v_i^2 - (sum_i s_i v_i)^2"
)

QUADRATIC_VECTOR = N_(
    "returned {K} numbers: J v is a vector, but v^T J v is a single number (take the inner "
    "product with v too)"
)


def _batch_jacobian_battery(session: _Session) -> None:
    rng = np.random.default_rng(3)
    cases = [
        (_ref_softmax(rng.normal(size=(6, 4))), _("S of shape (6, 4)"), False),
        (
            _ref_softmax(np.array([[1.0, 1.0, 2.0], [0.0, 3.0, -1.0], [2.0, 2.0, 2.0]])),
            _("a square S of shape (3, 3)"),
            False,
        ),
        (_ref_softmax(np.array([[1.0, 2.0]])), _("one sample, S of shape (1, 2)"), False),
        (_ref_softmax(rng.normal(size=(2, 5))), _("a read-only S"), True),
    ]
    for S, label, read_only in cases:
        result = session.call([S], label, ["S"], read_only=read_only)
        if result is None:
            continue
        N, K = S.shape
        # One matrix per sample, written out row by row: independent of any batched formula.
        expected = np.stack([np.diag(s) - np.outer(s, s) for s in S])
        if result.shape == S.shape and _close(result, S * (1 - S), S.dtype):
            session.add("diagonal", BATCH_JACOBIAN_DIAGONAL.format(shape=result.shape))
            continue
        flat = S.reshape(-1)
        if result.shape == (N * K, N * K) and _close(
            result, np.diag(flat) - np.outer(flat, flat), S.dtype
        ):
            session.add("flattened", BATCH_JACOBIAN_FLATTENED.format(NK=N * K, K=K))
            continue
        if result.shape != (N, K, K):
            session.add(
                f"shape:{result.shape}:{(N, K, K)}",
                _(
                    "returned shape {shape} for {label}; expected shape {expected}, "
                    "one {K}x{K} matrix per sample"
                ).format(shape=result.shape, label=label, expected=(N, K, K), K=K),
            )
            continue
        if _close(result, expected, S.dtype):
            continue
        diagonals = np.stack([np.diag(s * (1 - s)) for s in S])
        if _close(result, -expected, S.dtype):
            session.add("sign", JACOBIAN_SIGN)
        elif _close(result, diagonals, S.dtype):
            session.add("diagonal_only", DIAGONAL_ONLY)
        elif _close(result, np.stack([_jacobian(row) for row in _ref_softmax(S)]), S.dtype):
            session.add("softmax_again", SOFTMAX_AGAIN)
        elif _float32_only(result, expected, S.dtype):
            session.add("float32_only", FLOAT32_ONLY.format(label=label))
        else:
            session.add("values", BATCH_JACOBIAN_VALUES)


def check_batch_jacobian(fn: Callable[[np.ndarray], Any]) -> CheckReport:
    """Check the softmax Jacobians of a batch, shape ``(N, K, K)`` (lesson 04, exercise 3).

    Parameters
    ----------
    fn : callable
        ``fn(S)`` for probabilities ``S`` of shape ``(N, K)``; returns
        ``J[n] = diag(S[n]) - outer(S[n], S[n])`` for every sample.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (only the diagonals,
        a sign error, wrong shape or values, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_batch_jacobian
    >>> check_batch_jacobian(lambda S: S * (1 - S)).problems
    ['returned shape (6, 4), one number per entry of S: these are only the diagonals s(1-s); the Jacobian of each sample is a K x K matrix, so the result has shape (N, K, K)']
    """  # noqa: E501
    return _run("check_batch_jacobian", fn, _batch_jacobian_battery)


def _quadratic_battery(session: _Session) -> None:
    rng = np.random.default_rng(4)
    s5, v5 = _ref_softmax(rng.normal(size=5)), rng.normal(size=5)
    s3 = _ref_softmax(np.array([1.0, 2.0, 0.5]))
    cases = [
        (s5, v5, _("s, v with K = 5")),
        (s3, np.array([1.0, -2.0, 0.5]), _("s, v with K = 3")),
        (s3, np.full(3, 2.5), _("a constant v (the answer is 0)")),
        (np.array([0.5, 0.5]), np.array([1.0, -1.0]), "s = [0.5, 0.5], v = [1, -1]"),
    ]
    for s, v, label in cases:
        result = session.call([s, v], label, ["s", "v"])
        if result is None:
            continue
        J = np.diag(s) - np.outer(s, s)
        if result.shape == v.shape and v.size > 1 and _close(result, J @ v, s.dtype):
            session.add("vector", QUADRATIC_VECTOR.format(K=v.size))
            continue
        value = _float(session, result, label)
        if value is None:
            continue
        expected = float(v @ J @ v)
        if _scalar_close(value, expected):
            continue
        first, second = float(np.sum(s * v**2)), float(np.sum(s * v)) ** 2
        if _scalar_close(value, first) and not _scalar_close(first, expected):
            session.add("no_square", QUADRATIC_NO_SQUARE)
        elif _scalar_close(value, first + second):
            session.add("sign", QUADRATIC_SIGN)
        else:
            session.add(
                f"values:{label}",
                _("for {label}: expected {expected:.6f}, got {value}").format(
                    label=label, expected=expected, value=repr(value)
                ),
            )


def check_quadratic_form(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check :math:`v^\top J v` computed without building ``J`` (lesson 04, exercise 4).

    Parameters
    ----------
    fn : callable
        ``fn(s, v)`` for a probability vector ``s`` and a vector ``v`` of
        the same length; returns the number
        :math:`\sum_i s_i v_i^2 - (\sum_i s_i v_i)^2`.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the squared term
        missing or added, ``J v`` returned instead of a number, wrong values,
        mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_quadratic_form
    >>> check_quadratic_form(lambda s, v: np.sum(s * v**2) - np.sum(s * v) ** 2).passed
    True
    """
    return _run("check_quadratic_form", fn, _quadratic_battery)
