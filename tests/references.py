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
