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
