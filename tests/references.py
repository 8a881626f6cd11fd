"""Independent numerical references shared by the tests (kept apart from the package's own
``softmax_course.gradcheck``, so a bug there cannot hide a bug elsewhere)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_jacobian(
    f: Callable[[np.ndarray], np.ndarray], z: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """``d f(z)_i / d z_j`` by central differences for a 1-D ``z``, in float64.

    The last axis of the result indexes ``j``; the leading axes are those of ``f(z)``.
    """
    z = np.asarray(z, dtype=np.float64)
    columns = []
    for j in range(z.size):
        step = np.zeros_like(z)
        step[j] = eps
        columns.append((f(z + step) - f(z - step)) / (2 * eps))
    return np.stack(columns, axis=-1)


def logsumexp_exact(z: np.ndarray) -> float:
    r"""``log(sum(exp(z)))`` of a 1-D float array in 80-digit decimal arithmetic, rounded once.

    Independent of numpy's ``exp``/``log``: Python's :mod:`decimal` evaluates
    :math:`m + \log \sum_j e^{z_j - m}` (:math:`m` the largest entry, so that
    a tiny result such as ``1e-47`` keeps its digits) with 80 significant
    digits, so ``[0, -40]`` gives ``4.248e-18`` where float64
    ``log(1 + e^-40)`` gives 0. Non-finite entries follow the limits (``-inf``
    contributes 0; ``+inf`` or NaN give ``+inf`` or NaN).
    """
    import decimal

    values = [float(v) for v in np.asarray(z, dtype=np.float64).ravel()]
    if any(np.isnan(v) for v in values):
        return float("nan")
    if any(v == np.inf for v in values):
        return float("inf")
    finite = [decimal.Decimal(v) for v in values if v != -np.inf]
    if not finite:
        return float("-inf")
    with decimal.localcontext() as context:
        context.prec = 80
        m = max(finite)
        return float(m + sum((v - m).exp() for v in finite).ln())


def weighted_logsumexp_exact(z: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    r"""``(log|S|, sign S, condition)`` of :math:`S = \sum_j b_j e^{z_j}` in 80-digit decimals.

    ``z`` and ``b`` are finite 1-D float arrays of one length; a zero weight
    drops its term. ``condition`` is :math:`\sum_j |b_j e^{z_j}| / |S|` (``inf``
    when :math:`S = 0`): an error of :math:`\epsilon` in each term moves
    :math:`\log|S|` by about :math:`\epsilon` times it, so a test may allow
    that much. Independent of numpy: :mod:`decimal` evaluates every term
    :math:`b_j e^{z_j - m}` (:math:`m` the largest :math:`z_j` with a nonzero
    weight) and sums them exactly to 80 digits.
    """
    import decimal

    pairs = [
        (decimal.Decimal(float(v)), decimal.Decimal(float(w)))
        for v, w in zip(np.ravel(z), np.ravel(b), strict=True)
        if w != 0
    ]
    if not pairs:
        return float("-inf"), 0.0, float("inf")
    with decimal.localcontext() as context:
        context.prec = 80
        m = max(v for v, _ in pairs)
        terms = [w * (v - m).exp() for v, w in pairs]
        total = sum(terms)
        if total == 0:
            return float("-inf"), 0.0, float("inf")
        condition = float(sum(abs(t) for t in terms) / abs(total))
        return float(m + abs(total).ln()), (1.0 if total > 0 else -1.0), condition
