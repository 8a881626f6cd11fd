"""Derive the polynomial coefficients of ``softmax_course._numba_exp`` and print them.

The compiled ``exp`` writes :math:`e^r = 1 + r + r^2 q(r)` on :math:`|r| \\le \\ln 2 / 2` and
needs ``q``. Its Taylor polynomial would do, but the polynomial of the same degree with the
smallest *largest* relative error on the interval (the minimax polynomial) is about
``2**degree`` times more accurate, so it reaches float64's accuracy with degree 11 instead of 13
and float32's with degree 6 instead of 7: two and one fused multiply-adds fewer per element.

Method: Lawson's algorithm, an iteratively reweighted least-squares fit that converges to the
minimax polynomial. Least squares on Chebyshev nodes, then each node's weight is multiplied by
its error, so the fit pays more attention where it is worst, until the error equioscillates.
``1 + r`` is kept exact (``q`` is fitted to ``(e^r - 1 - r) / r**2``), and the fit is
in Chebyshev polynomials of ``r / a`` (``a`` the half-width), where the normal equations are
well conditioned, then converted to powers of ``r``. Everything runs in
``np.longdouble`` (80-bit on x86 Linux: 64-bit mantissa, error ~5e-20, enough to see
1e-17). The printed error is that of the coefficients *rounded* to the target dtype, on 20,001
points: the tests (``tests/test_numba_backend.py``) check the stored coefficients against this
bound, and the whole exp against 2 ulp on a million points.

Usage: ``python scripts/exp_coefficients.py`` (needs an 80-bit long double: x86 Linux).
"""

from __future__ import annotations

import sys

import numpy as np

WIDE = np.longdouble
#: Half-width of the reduced interval, ln(2)/2, with a margin for the rounding of ``x / ln 2``.
HALF_WIDTH = WIDE(np.log(WIDE(2))) / 2 * WIDE(1.0001)
#: (degree of the whole polynomial, dtype of its coefficients)
TARGETS = ((11, np.float64), (6, np.float32))


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Gaussian elimination with partial pivoting in ``np.longdouble`` (numpy solves in double)."""
    a, b = a.copy(), b.copy()
    n = len(b)
    for col in range(n):
        pivot = col + int(np.argmax(np.abs(a[col:, col])))
        a[[col, pivot]], b[[col, pivot]] = a[[pivot, col]], b[[pivot, col]]
        factors = a[col + 1 :, col] / a[col, col]
        a[col + 1 :] -= factors[:, None] * a[col]
        b[col + 1 :] -= factors * b[col]
    x = np.zeros(n, dtype=WIDE)
    for row in range(n - 1, -1, -1):
        x[row] = (b[row] - a[row, row + 1 :] @ x[row + 1 :]) / a[row, row]
    return x


def relative_error(coefficients, r: np.ndarray) -> np.ndarray:
    """``|1 + r + r^2 q(r) - e^r| / e^r`` in long double; ``q``'s coefficients lowest first."""
    q = np.zeros_like(r)
    for c in reversed([WIDE(float(v)) for v in coefficients]):
        q = q * r + c
    exact = np.exp(r)
    return np.abs(1 + r + r * r * q - exact) / exact


def minimax_tail(degree: int, nodes: int = 2000, iterations: int = 1000) -> np.ndarray:
    """Coefficients of ``q`` (degree ``degree - 2``, lowest first) for ``1 + r + r^2 q(r)``."""
    k = np.arange(nodes, dtype=WIDE)
    r = HALF_WIDTH * np.cos(WIDE(np.pi) * (k + WIDE(0.5)) / nodes)
    exact = np.exp(r)
    u = r / HALF_WIDTH
    basis = np.empty((nodes, degree - 1), dtype=WIDE)  # Chebyshev polynomials T_j(u)
    basis[:, 0], basis[:, 1] = 1, u
    for j in range(2, degree - 1):
        basis[:, j] = 2 * u * basis[:, j - 1] - basis[:, j - 2]
    design = (r * r / exact)[:, None] * basis  # relative error is linear in q's coefficients
    target = (exact - 1 - r) / exact
    weights = np.ones(nodes, dtype=WIDE)
    for _ in range(iterations):
        weighted = design * weights[:, None]
        scaled = _solve(design.T @ weighted, weighted.T @ target)
        error = np.abs(design @ scaled - target)
        weights = weights * error / np.sum(weights * error)
    monomial = np.polynomial.chebyshev.cheb2poly(scaled)  # coefficients of u**j
    return monomial / HALF_WIDTH ** np.arange(degree - 1)


def main() -> int:
    if np.finfo(WIDE).nmant < 63:
        print("needs an 80-bit long double (x86 Linux)", file=sys.stderr)
        return 2
    check = np.linspace(-HALF_WIDTH, HALF_WIDTH, 20_001, dtype=WIDE)
    for degree, dtype in TARGETS:
        coefficients = [dtype(float(c)) for c in minimax_tail(degree)]
        worst = float(np.max(relative_error(coefficients, check)))
        unit = float(np.finfo(dtype).eps) / 2
        print(f"# degree {degree}, {np.dtype(dtype).name}: largest relative error {worst:.3g}")
        print(f"# = {worst / unit:.3f} of the unit roundoff; q's coefficients, lowest first:")
        print("(" + ", ".join(repr(float(c)) for c in coefficients) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
