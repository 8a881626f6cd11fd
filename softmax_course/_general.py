r"""The numpy path for the options the row kernels do not take (private).

:mod:`softmax_course.core` sends a call here when it uses ``where=`` (a
mask), complex input, or logsumexp's ``b=`` / ``return_sign=``; plain real
calls keep the kernels of :mod:`softmax_course._fast`. Arguments arrive
validated: arrays of the working dtype, axes sorted and non-negative, masks
and weights already broadcast to the shape of ``x``.

The signed, weighted logsumexp writes every nonzero term as

.. math::

    b_j e^{x_j} = \sigma_j e^{c_j}, \qquad c_j = x_j + \log|b_j|, \quad
    \sigma_j = \operatorname{sign} b_j ,

takes the largest exponent :math:`c_{j^*}` (so the weights decide which term
dominates, not ``x`` alone) and sums the others relative to it:

.. math::

    \sum_j b_j e^{x_j} = \sigma_{j^*} e^{c_{j^*}} (1 + r), \qquad
    r = \sum_{j \ne j^*} \sigma_j \sigma_{j^*} e^{(x_j - x_{j^*}) + (\log|b_j| - \log|b_{j^*}|)} .

Every term of :math:`r` lies in :math:`[-1, 1]`, so nothing overflows, and
:math:`\log|1 + r|` is ``log1p(r)`` (or ``log1p(-r - 2)`` when
:math:`r < -1`), which keeps the digits of a small :math:`r`. Complex input
follows ``scipy.special.logsumexp`` step by step instead (see
:func:`_logsumexp_complex`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["log_softmax", "logsumexp", "softmax"]


def _row_max(x: np.ndarray, axes: tuple[int, ...], keep: np.ndarray | None) -> np.ndarray:
    """Maximum over ``axes`` of the kept entries (``-inf`` for none); complex: lexicographic."""
    if keep is None:
        return np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    return np.max(x, axis=axes, keepdims=True, initial=-np.inf, where=keep)


def _exp_kept(shifted: np.ndarray, keep: np.ndarray | None) -> np.ndarray:
    """``exp(shifted)``, with 0 at the masked entries (whatever their value)."""
    e = np.exp(shifted)
    return e if keep is None else np.where(keep, e, 0)


def softmax(
    x: np.ndarray, axes: tuple[int, ...], temperature: float, keep: np.ndarray | None
) -> np.ndarray:
    """Softmax of the kept entries, 0 at the masked ones (scipy's arithmetic for complex)."""
    shifted = x - _row_max(x, axes, keep)
    if temperature != 1.0:
        shifted /= temperature
    e = _exp_kept(shifted, keep)
    probs = e / np.sum(e, axis=axes, keepdims=True)
    return probs if keep is None else np.where(keep, probs, 0)


def log_softmax(
    x: np.ndarray, axes: tuple[int, ...], temperature: float, keep: np.ndarray | None
) -> np.ndarray:
    """Log-softmax of the kept entries, ``-inf`` at the masked ones.

    Real input takes ``log1p`` of the terms other than the maximum's 1, as
    the plain path does; complex input is scipy's ``tmp - log(sum(exp(tmp)))``
    with a non-finite maximum replaced by 0.
    """
    row_max = _row_max(x, axes, keep)
    finite = np.isfinite(row_max)
    if x.dtype.kind == "c":
        row_max = np.where(finite, row_max, 0)
    shifted = x - row_max
    if temperature != 1.0:
        shifted /= temperature
    e = _exp_kept(shifted, keep)
    total = np.sum(e, axis=axes, keepdims=True)
    if x.dtype.kind == "c":
        log_norm = np.log(total)
    else:  # the maximum's term is exactly 1: log1p of the others when the sum is below 2
        rest = np.sum(e, axis=axes, keepdims=True, where=e < 1)
        log_norm = np.where((total < 2) & finite, np.log1p(rest), np.log(total))
    result = shifted - log_norm
    return result if keep is None else np.where(keep, result, -np.inf)


# --- logsumexp ---------------------------------------------------------------------------


def _as_rows(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``a`` with the reduced ``axes`` moved last and flattened into one: ``(kept..., R)``."""
    kept = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, kept + list(axes))
    return moved.reshape(moved.shape[: len(kept)] + (-1,))


def _take(a: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``a[..., at]`` row by row (``at`` has the shape of ``a`` without its last axis)."""
    return np.take_along_axis(a, at[..., None], axis=-1)[..., 0]


def _logsumexp_real(
    x: np.ndarray, b: np.ndarray | None, keep: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    r"""``(log|sum_j b_j e^{x_j}|, sign of the sum)`` over the last axis of real arrays.

    A term drops out where ``keep`` is False or ``b`` is 0, whatever ``x``
    holds there. With no term left the result is ``(-inf, 0)``; NaN in a
    term gives ``(nan, nan)``; infinite terms of one sign give ``(inf,
    that sign)``, of both signs ``(nan, nan)``.
    """
    include = np.ones(x.shape, dtype=bool) if keep is None else keep.copy()
    if b is None:
        log_b, sign_b = np.zeros_like(x), np.ones_like(x)
    else:
        include &= b != 0
        log_b = np.log(np.abs(np.where(include, b, 1)))
        sign_b = np.sign(b)
    c = np.where(include, x + log_b, -np.inf)
    c_max = np.max(c, axis=-1, initial=-np.inf)
    out = np.full(c_max.shape, np.nan, dtype=x.dtype)
    sign = np.full(c_max.shape, np.nan, dtype=x.dtype)
    if x.shape[-1] == 0:
        return np.full_like(out, -np.inf), np.zeros_like(sign)
    at = np.argmax(c, axis=-1)
    x_at, log_b_at, sign_at = _take(x, at), _take(log_b, at), _take(sign_b, at)
    # Each other term relative to the dominant one: its exponent is <= 0 where c_max is finite.
    terms = np.exp((x - x_at[..., None]) + (log_b - log_b_at[..., None]))
    terms *= sign_b * sign_at[..., None]
    terms = np.where(include, terms, 0)
    np.put_along_axis(terms, at[..., None], 0, axis=-1)
    r = np.sum(terms, axis=-1)
    finite = np.isfinite(c_max)
    magnitude = np.where(r >= -1, np.log1p(r), np.log1p(-r - 2))  # log|1 + r|
    np.copyto(out, x_at + log_b_at + magnitude, where=finite)
    np.copyto(sign, sign_at * np.where(r > -1, 1, np.where(r < -1, -1, 0)), where=finite)
    # All terms zero: log 0 = -inf with sign 0. Infinite terms: the sign of the infinity.
    none = c_max == -np.inf
    out[none], sign[none] = -np.inf, 0
    infinite = include & (c == np.inf)
    positive = np.any(infinite & (sign_b > 0), axis=-1)
    negative = np.any(infinite & (sign_b < 0), axis=-1)
    one_sign = (c_max == np.inf) & (positive != negative)
    out[one_sign] = np.inf
    sign[one_sign] = np.where(positive, 1, -1)[one_sign]
    return out, sign


def _wrap_radians(angle: np.ndarray) -> np.ndarray:
    """``angle`` wrapped into :math:`(-\\pi, \\pi]`, unchanged (to the last bit) inside it."""
    wrapped = -((-angle + np.pi) % (2 * np.pi) - np.pi)
    return np.where(np.abs(angle) < np.pi, angle, wrapped)


def _with_wrapped_phase(z: np.ndarray) -> np.ndarray:
    """``z`` with its imaginary part wrapped to :math:`(-\\pi, \\pi]`, built as scipy builds it."""
    return z.real + _wrap_radians(z.imag).astype(z.dtype) * 1j


def _logsumexp_complex(
    x: np.ndarray, b: np.ndarray | None, keep: np.ndarray | None, return_sign: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    r"""scipy 1.17's complex logsumexp over the last axis, with masked entries left out.

    The shift is the entry of largest real part (the last of equal ones), the
    other terms are summed relative to it and ``log1p`` taken of the ratio;
    where that is not finite, ``log(sum(b * exp(x)))`` is used, so complex
    infinities follow the C99 rules of ``exp`` and ``log``. The imaginary part
    of the result (or the phase of the sign) is wrapped to :math:`(-\pi, \pi]`.
    """
    include = np.ones(x.shape, dtype=bool) if keep is None else keep
    if b is not None:
        include = include & (b != 0)
    direct = np.exp(x) if b is None else b * np.exp(x)
    total = np.sum(np.where(include, direct, 0), axis=-1)
    sign_inf = np.sign(total)
    out_inf = np.log(np.abs(total) if return_sign else total)

    a = np.where(include, x, -np.inf)
    if x.shape[-1] == 0:
        out, sign = out_inf, sign_inf
    else:
        last = a.shape[-1] - 1 - np.argmax(a.real[..., ::-1], axis=-1)  # last max real part
        a_max = _take(a, last)
        m = np.ones(a_max.shape, x.dtype) if b is None else _take(b, last)
        others = a.copy()
        np.put_along_axis(others, last[..., None], -np.inf, axis=-1)
        e = np.exp(others - a_max[..., None])
        if b is not None:
            e *= b
        s = np.sum(e, axis=-1)
        s = np.where(s == 0, s, s / m)
        sign = np.sign(s + 1) * np.sign(m) * np.exp(a_max.imag * 1j)
        out = np.log1p(s) + np.log(m) + a_max
        if return_sign:
            out = out.real
        finite = np.isfinite(out)
        out = np.where(finite, out, out_inf)
        if return_sign:
            sign = np.where(finite, sign, sign_inf)
    if return_sign:
        return out, _with_wrapped_phase(sign)
    return _with_wrapped_phase(out), None


def logsumexp(
    x: np.ndarray,
    axes: tuple[int, ...],
    b: np.ndarray | None,
    keep: np.ndarray | None,
    keepdims: bool,
    return_sign: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``(logsumexp, sign or None)`` of ``x`` (at least 1-D) over ``axes``, keepdims applied.

    ``x``, ``b`` and ``keep`` have one shape. Real results that are the log
    of a negative sum become NaN unless ``return_sign``, as in scipy.
    """
    x_rows = _as_rows(x, axes)
    b_rows = None if b is None else _as_rows(b, axes)
    keep_rows = None if keep is None else _as_rows(keep, axes)
    sign: np.ndarray | None
    if x.dtype.kind == "c":
        out, sign = _logsumexp_complex(x_rows, b_rows, keep_rows, return_sign)
    else:
        out, sign = _logsumexp_real(x_rows, b_rows, keep_rows)
        if not return_sign:
            out = np.where(sign < 0, np.nan, out)
            sign = None
    if keepdims:
        out = np.expand_dims(out, axes)
        sign = None if sign is None else np.expand_dims(sign, axes)
    return out, sign
