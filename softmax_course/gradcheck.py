r"""Gradient checking: derivatives by central finite differences, and comparing them.

A hand-written derivative is trusted only after it agrees with the
definition of the derivative, evaluated numerically:

.. math::

    \frac{\partial f}{\partial x_j}
    \approx \frac{f(x + \epsilon e_j) - f(x - \epsilon e_j)}{2 \epsilon},

where :math:`e_j` is the :math:`j`-th unit vector. The central difference is
exact for quadratics; its truncation error is :math:`O(\epsilon^2)` and its
rounding error :math:`O(u / \epsilon)` with :math:`u \approx 10^{-16}` in
float64, so with :math:`\epsilon = 10^{-6}` a correct derivative agrees to
roughly :math:`10^{-9}` relative error and a wrong one is off by far more.
In float32 (:math:`u \approx 1.2 \times 10^{-7}`) the best step is about
:math:`u^{1/3} \approx 5 \times 10^{-3}` and agreement only about
:math:`10^{-4}`: :func:`check_gradient` chooses its step and tolerance from
the dtypes ``f`` and the derivative are computed in.

The functions here loop over the *coordinates* of ``x`` (two calls of ``f``
per coordinate); they are meant for small test inputs, not for training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from softmax_course._validation import _describe, as_real_array, check_positive_scalar

__all__ = [
    "GradientCheck",
    "check_gradient",
    "numerical_gradient",
    "numerical_jacobian",
    "relative_error",
]


def _check_callable(f: object, name: str = "f") -> None:
    if not callable(f):
        raise TypeError(
            f"{name} must be a function of one array; received {_describe(f)}; "
            "expected something like lambda x: np.sum(x ** 2)"
        )


def _evaluate(f: Callable[[np.ndarray], ArrayLike], x: np.ndarray) -> np.ndarray:
    """``f`` at a private copy of ``x`` (so an ``f`` that writes to its input harms no one)."""
    value = as_real_array(f(x.copy()), "f(x)")
    return np.asarray(value)


def _float_copy(x: ArrayLike) -> np.ndarray:
    """A private copy of ``x`` in at least float64: finite differences need the precision."""
    x = as_real_array(x, "x")
    return np.array(x, dtype=np.result_type(x.dtype, np.float64), copy=True)


_FLOAT64_EPS = float(np.finfo(np.float64).eps)


def _unit_roundoff(dtype: np.dtype) -> float:
    """Machine epsilon of the precision ``dtype`` computes in (float64 for ints and bools)."""
    return float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else _FLOAT64_EPS


def _default_step(value_dtype: np.dtype, x: np.ndarray) -> float:
    r"""The central-difference step for an ``f`` whose values have dtype ``value_dtype``.

    float64 (or wider): ``1e-6``, as always. Lower precision :math:`u`: the
    step that balances truncation :math:`O(\epsilon^2)` against rounding
    :math:`O(u/\epsilon)`, :math:`\epsilon = u^{1/3}`, scaled to the size of ``x``.
    """
    u = _unit_roundoff(value_dtype)
    if u <= _FLOAT64_EPS:
        return 1e-6
    finite = np.abs(x[np.isfinite(x)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    return float(u ** (1 / 3) * scale)


def numerical_jacobian(
    f: Callable[[np.ndarray], ArrayLike], x: ArrayLike, *, eps: float | None = None
) -> NDArray[np.float64]:
    r"""Jacobian of ``f`` at ``x`` by central differences, shape ``f(x).shape + x.shape``.

    .. math::

        J[\ldots, j] = \frac{f(x + \epsilon e_j) - f(x - \epsilon e_j)}{2\epsilon}.

    Parameters
    ----------
    f : callable
        A function of one array returning an array (or a scalar). It is
        always called with a fresh copy of ``x``, never with ``x`` itself.
    x : array_like
        The point to differentiate at. It is copied to float64 (or a wider
        float) before perturbing; ``x`` itself is never modified.
    eps : float, optional
        The step :math:`\epsilon > 0`. By default it is chosen from the
        dtype of ``f(x)``: ``1e-6`` when ``f`` returns float64 (a good
        compromise between truncation and rounding error for inputs of
        order 1), and :math:`u^{1/3} \max(1, \max_j |x_j|)` for a lower
        precision with machine epsilon :math:`u` (about ``4.9e-3`` in
        float32), where a step of ``1e-6`` would measure only rounding noise.

    Returns
    -------
    ndarray
        ``J`` with ``J[i..., j...] = d f(x)[i...] / d x[j...]``: the output's
        axes first, then the input's. For ``f: R^n -> R^m`` this is the
        usual ``(m, n)`` matrix.

    Raises
    ------
    TypeError
        If ``f`` is not callable, or ``x`` or ``f(x)`` is not real numeric data.
    ValueError
        If ``eps`` is not finite and positive, or ``f`` returns arrays of
        different shapes at different points.

    See Also
    --------
    numerical_gradient : the same for a scalar ``f``, shaped like ``x``.
    scipy.differentiate.jacobian : an adaptive, more accurate version.

    Notes
    -----
    The step actually taken is ``(x + eps) - (x - eps)`` as rounded in
    floating point, not ``2 * eps``; dividing by it removes the error of
    representing the perturbed point. The cost is ``2 * x.size`` calls of
    ``f``. Non-finite values of ``f`` propagate into the result.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import numerical_jacobian
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> numerical_jacobian(lambda x: A @ x, np.array([0.5, -1.0])).round(8)
    array([[1., 2.],
           [3., 4.],
           [5., 6.]])

    An elementwise function has a diagonal Jacobian:

    >>> numerical_jacobian(np.sin, np.array([0.0, np.pi])).round(8)
    array([[ 1.,  0.],
           [ 0., -1.]])
    """
    _check_callable(f)
    x = _float_copy(x)
    if eps is not None:
        eps = check_positive_scalar(eps, "eps")
    value = _evaluate(f, x)
    if eps is None:
        eps = _default_step(value.dtype, x)
    jacobian = np.empty((value.size, x.size), dtype=np.result_type(value.dtype, x.dtype))
    flat = x.reshape(-1)  # a view of our private copy
    for j in range(x.size):  # a loop over coordinates: the definition of a partial derivative
        original = flat[j]
        flat[j] = original + eps
        plus = _evaluate(f, x)
        flat[j] = original - eps
        minus = _evaluate(f, x)
        step = (original + eps) - (original - eps)
        flat[j] = original
        if plus.shape != value.shape or minus.shape != value.shape:
            other = plus.shape if plus.shape != value.shape else minus.shape
            raise ValueError(
                f"f must return arrays of one shape; f(x) has shape {value.shape} but a "
                f"perturbed point gave shape {other}"
            )
        jacobian[:, j] = (plus - minus).reshape(-1) / step
    return jacobian.reshape(value.shape + x.shape)


def numerical_gradient(
    f: Callable[[np.ndarray], ArrayLike], x: ArrayLike, *, eps: float | None = None
) -> NDArray[np.float64]:
    r"""Gradient of a scalar function ``f`` at ``x`` by central differences, shaped like ``x``.

    Parameters
    ----------
    f : callable
        A function of one array returning a scalar (a Python number or a
        0-dimensional array), for example a loss.
    x : array_like
        The point to differentiate at; never modified.
    eps : float, optional
        The finite-difference step; by default chosen from the dtype of
        ``f(x)`` as in :func:`numerical_jacobian` (``1e-6`` in float64).

    Returns
    -------
    ndarray
        :math:`\nabla f(x)`, float64, of the same shape as ``x``.

    Raises
    ------
    TypeError
        If ``f`` is not callable or ``x`` is not real numeric data.
    ValueError
        If ``f(x)`` is not a scalar, or ``eps`` is not finite and positive.

    See Also
    --------
    numerical_jacobian : for functions with array output.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import numerical_gradient
    >>> x = np.array([1.0, -2.0, 3.0])
    >>> numerical_gradient(lambda x: np.sum(x ** 3), x).round(6)  # 3 x**2
    array([ 3., 12., 27.])

    A loss must return one number, not one per sample:

    >>> numerical_gradient(lambda x: x ** 2, x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: f must return a scalar; f(x) returned an array of shape (3,); expected ...
    """
    _check_callable(f)
    x = _float_copy(x)
    value = _evaluate(f, x)
    if value.ndim != 0:
        raise ValueError(
            f"f must return a scalar; f(x) returned an array of shape {value.shape}; expected "
            "a single number (did you forget to sum or average over samples?)"
        )
    return numerical_jacobian(f, x, eps=eps)


def relative_error(a: ArrayLike, b: ArrayLike) -> np.float64:
    r"""Largest difference between ``a`` and ``b``, relative to their size.

    .. math::

        \operatorname{err}(a, b) = \frac{\max_i |a_i - b_i|}
                                        {\max\bigl(\max_i (|a_i| + |b_i|),\ \text{tiny}\bigr)}

    Parameters
    ----------
    a, b : array_like
        Two arrays of the same shape, for example an analytic and a
        numerical gradient.

    Returns
    -------
    numpy.float64
        A number in :math:`[0, 1]`: 0 when the arrays are equal (including
        both all zero, equal infinities, and empty arrays), 1 when they
        have nothing in common (for example ``b = -a``, one of them zero, or
        an infinity in one that the other does not match); NaN if either
        holds NaN.

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not real numeric data.
    ValueError
        If ``a`` and ``b`` differ in shape. They are not broadcast: comparing
        a ``(N,)`` gradient with a ``(N, 1)`` one is a bug to report, not to
        hide.

    Notes
    -----
    ``tiny`` is the smallest normal float64 (about ``2.2e-308``), so two
    zero arrays give :math:`0 / \text{tiny} = 0` instead of :math:`0/0`.
    Dividing by the *largest* magnitude rather than entry by entry keeps
    tiny entries (where finite differences have no relative accuracy)
    from dominating the verdict. Rule of thumb in float64 with central
    differences: below ``1e-7`` the derivative is right; above ``1e-3``
    it is wrong.

    Infinite entries that agree (same sign in both arrays) count as equal
    and do not enter the denominator; the finite ones are compared as
    usual. Values near the float64 maximum are halved before adding, so
    :math:`|a| + |b|` never overflows into an ``inf / inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import relative_error
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    np.float64(0.0)
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.1])).round(6)  # 0.1 / 4.1
    np.float64(0.02439)
    >>> relative_error(np.zeros(3), np.zeros(3))
    np.float64(0.0)

    Equal infinities are equal; opposite huge numbers have nothing in common:

    >>> relative_error(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]))
    np.float64(0.0)
    >>> relative_error(np.array([1.5e308]), np.array([-1.5e308]))
    np.float64(1.0)
    """
    a = as_real_array(a, "a")
    b = as_real_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape; received a of shape {a.shape} and b of "
            f"shape {b.shape}; expected equal shapes (they are not broadcast)"
        )
    if a.size == 0:
        return np.float64(0.0)
    a = a.astype(np.float64, copy=False)
    b = b.astype(np.float64, copy=False)
    if np.isnan(a).any() or np.isnan(b).any():
        return np.float64(np.nan)
    same = a == b  # equal entries, equal infinities included, differ by exactly 0
    if np.any(~same & (np.isinf(a) | np.isinf(b))):
        return np.float64(1.0)  # an infinity the other array does not match: nothing in common
    a, b = np.where(same & np.isinf(a), 0, a), np.where(same & np.isinf(b), 0, b)
    if max(np.max(np.abs(a)), np.max(np.abs(b))) > np.finfo(np.float64).max / 2:
        a, b = a / 2, b / 2  # |a| + |b| and |a - b| could overflow; the ratio is unchanged
    numerator = np.max(np.abs(a - b))
    denominator = max(np.max(np.abs(a) + np.abs(b)), np.finfo(np.float64).tiny)
    return np.float64(numerator / denominator)


@dataclass(frozen=True)
class GradientCheck:
    """The verdict of :func:`check_gradient`: passed or not, how far off, and where.

    Attributes
    ----------
    passed : bool
        ``error <= rtol``.
    error : float
        :func:`relative_error` of the analytic and numerical derivatives.
    rtol : float
        The threshold used.
    index : tuple of int
        Where ``|analytic - numerical|`` is largest (the entry that sets the error).
    analytic_value, numerical_value : float
        The two derivatives at ``index``.
    analytic, numerical : ndarray
        The full arrays (not shown in the repr).
    eps : float
        The finite-difference step actually used.
    diagnosis : str
        Why a check failed when the cause is in the finite differences rather
        than in the derivative (a step below the resolution of ``f``), with
        what to do; also notes a step that was reduced. Empty otherwise.
    advised_eps : float or None
        With a resolution diagnosis: the step to use instead.
    """

    passed: bool
    error: float
    rtol: float
    index: tuple[int, ...]
    analytic_value: float
    numerical_value: float
    analytic: np.ndarray = field(repr=False, compare=False)
    numerical: np.ndarray = field(repr=False, compare=False)
    eps: float = field(default=0.0, repr=False, compare=False)
    diagnosis: str = field(default="", repr=False, compare=False)
    advised_eps: float | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        relation = "<=" if self.passed else ">"
        note = f"; {self.diagnosis}" if self.diagnosis else ""
        return (
            f"GradientCheck({verdict}: relative error {self.error:.2e} {relation} "
            f"rtol {self.rtol:.0e}; worst entry at index {self.index}: "
            f"analytic {self.analytic_value:.10g}, numerical {self.numerical_value:.10g}{note})"
        )


#: Default ``rtol`` of :func:`check_gradient` by the precision the finite differences
#: are computed in (the dtype of ``f(x)``) and by that of the analytic derivative.
_RTOL_OF_NUMERICAL = {8: 1e-7, 4: 1e-2}
_RTOL_OF_ANALYTIC = {8: 1e-7, 4: 1e-4}


def _precision_bytes(dtype: np.dtype) -> int:
    """Bytes of the float ``dtype`` computes in: 8 for float64 and wider, ints and bools."""
    if not np.issubdtype(dtype, np.floating):
        return 8
    return min(int(np.dtype(dtype).itemsize), 8)


def _default_rtol(value_dtype: np.dtype, analytic_dtype: np.dtype) -> float:
    """``rtol`` from the working precisions, or a ValueError for float16."""
    numerical, analytic = _precision_bytes(value_dtype), _precision_bytes(analytic_dtype)
    if numerical < 4 or analytic < 4:
        which = "f(x)" if numerical < 4 else "analytic"
        dtype = value_dtype if numerical < 4 else analytic_dtype
        raise ValueError(
            f"check_gradient cannot choose eps and rtol for {which} of dtype {dtype}: with "
            "about 3 significant digits a correct derivative and a wrong one agree equally "
            "badly; expected f and the derivative computed in float32 or float64 (or pass "
            "both eps= and rtol= to take the responsibility)"
        )
    return max(_RTOL_OF_NUMERICAL[numerical], _RTOL_OF_ANALYTIC[analytic])


def check_gradient(
    analytic: ArrayLike | Callable[[np.ndarray], ArrayLike],
    f: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    *,
    eps: float | None = None,
    rtol: float | None = None,
) -> GradientCheck:
    r"""Compare a hand-written derivative of ``f`` at ``x`` with finite differences.

    Parameters
    ----------
    analytic : array_like or callable
        The derivative to test: either its value at ``x``, or a function
        that computes it from ``x`` (called with a copy). For a scalar ``f``
        it has the shape of ``x`` (a gradient); otherwise the shape
        ``f(x).shape + x.shape`` (a Jacobian, as :func:`numerical_jacobian`).
    f : callable
        The function being differentiated.
    x : array_like
        The point; never modified. It is copied to float64 before
        perturbing, but ``f`` may still compute in a lower precision (for
        example with float32 weights or ``x.astype(np.float32)``); the dtype
        ``f`` *returns* is what sets the defaults below.
    eps : float, optional
        Finite-difference step. By default chosen from the dtype of ``f(x)``
        (see Notes): ``1e-6`` in float64, about ``4.9e-3`` (scaled to the size
        of ``x``) in float32.
    rtol : float, optional
        Largest :func:`relative_error` that passes. By default chosen from the
        dtypes of ``f(x)`` and of the analytic derivative (see Notes):
        ``1e-7`` when both are float64.

    Returns
    -------
    GradientCheck
        ``passed``, ``error``, the ``index`` of the worst entry and the two
        values there; the full arrays in ``.analytic`` and ``.numerical``.

    Raises
    ------
    TypeError
        If ``f`` is not callable or an array is not real numeric data.
    ValueError
        If the analytic derivative has the wrong shape, ``eps`` or ``rtol``
        is not finite and positive, or a default would have to be chosen
        for a float16 ``f(x)`` or derivative (too imprecise to check).

    See Also
    --------
    numerical_gradient, numerical_jacobian, relative_error

    Notes
    -----
    Check at a point where ``f`` is smooth and well conditioned (moderate
    values, no ties at a kink), in float64 if you can. An error near
    ``1e-10`` means agreement to the precision finite differences allow.

    The central difference has truncation error :math:`O(\epsilon^2)` and
    rounding error about :math:`u |f| / \epsilon`, where :math:`u` is the
    machine epsilon of the precision ``f`` computes in (``2.2e-16`` in
    float64, ``1.2e-7`` in float32). The defaults follow from that:

    ============================ =========================================== ========
    precision                    ``eps``                                     ``rtol``
    ============================ =========================================== ========
    ``f(x)`` float64             ``1e-6``                                    ``1e-7``
    ``f(x)`` float32             :math:`u^{1/3} \max(1, \max_j |x_j|)`       ``1e-2``
    derivative float32           (as set by ``f(x)``)                        ``1e-4``
    float16 anywhere             refused: pass ``eps`` and ``rtol``          refused
    ============================ =========================================== ========

    ``rtol`` is the larger of the two rows that apply. :math:`\epsilon =
    u^{1/3}` balances the two errors; even so, finite differences of a
    float32 ``f`` are good to only about ``1e-4`` relative to the gradient
    (worse when the gradient is small next to ``f`` itself, as for a loss
    summed over many samples with nearly uniform predictions), so a float32
    check catches wrong derivatives (a missing factor, sign or term
    typically costs more than ``1e-1``) but not errors of a fraction of a
    percent. A float32 derivative compared with float64 differences is held
    to ``1e-4``, a few hundred times its own rounding. The precision is read
    from the dtype ``f`` returns: an ``f`` that computes in float32 but
    returns a Python float looks like float64, so pass ``eps`` and ``rtol``
    yourself then.

    When such a check fails, the verdict says why (``diagnosis``, also in the
    repr): numerical derivatives that are exactly 0 where the analytic one is
    not mean the step moved ``f`` by less than its resolution; a float64
    ``f(x)`` whose values are all float32 numbers (at ``x`` and at a nearby
    point) computes in float32 inside, so a ``1e-6`` step gives float32
    rounding noise. Both come with the step to use instead (``advised_eps``).
    A function with a domain check that accepts ``x`` but refuses ``x``
    moved by the default step (``cross_entropy`` wants rows summing to 1
    within 3.5e-4 in float32, less than the float32 step 4.9e-3) is
    differentiated with the default step halved until it is accepted, down
    to :math:`0.1\sqrt{u}` times the scale of ``x``; the step used is ``eps``
    and the verdict says it was reduced. An ``eps`` you pass is never changed.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import check_gradient
    >>> x = np.array([0.5, -1.0, 2.0])
    >>> check_gradient(lambda x: 3 * x ** 2, lambda x: np.sum(x ** 3), x).passed
    True

    A derivative that is off by a factor shows where it fails the most:

    >>> off = check_gradient(lambda x: x ** 2, lambda x: np.sum(x ** 3), x)
    >>> off  # doctest: +NORMALIZE_WHITESPACE
    GradientCheck(FAILED: relative error 5.00e-01 > rtol 1e-07;
                  worst entry at index (2,): analytic 4, numerical 12)

    A function computed in float32 gets a float32 step and tolerance:

    >>> f32 = lambda x: np.sum(x.astype(np.float32) ** 3)
    >>> check = check_gradient(lambda x: 3 * x ** 2, f32, x)
    >>> check.passed, check.rtol
    (True, 0.01)
    >>> check_gradient(lambda x: x ** 2, f32, x).passed
    False
    """
    _check_callable(f)
    x = _float_copy(x)
    if eps is not None:
        eps = check_positive_scalar(eps, "eps")
    if rtol is not None:
        rtol = check_positive_scalar(rtol, "rtol")
    value = _evaluate(f, x)
    note = ""
    if eps is None:
        _default_rtol(value.dtype, np.dtype(np.float64))  # refuse float16 before the loop
        eps = _default_step(value.dtype, x)
        numerical, eps, note = _differences_within_the_domain(f, x, value, eps)
    elif value.ndim == 0:
        numerical = numerical_gradient(f, x, eps=eps)
    else:
        numerical = numerical_jacobian(f, x, eps=eps)
    if callable(analytic):
        analytic = analytic(x.copy())
    analytic = np.asarray(as_real_array(analytic, "analytic"))
    if analytic.shape != numerical.shape:
        kind = "gradient (the shape of x)" if value.ndim == 0 else "Jacobian f(x).shape + x.shape"
        raise ValueError(
            f"analytic has shape {analytic.shape}; expected {numerical.shape}, the shape of "
            f"the {kind}"
        )
    if rtol is None:
        rtol = _default_rtol(value.dtype, analytic.dtype)
    error = float(relative_error(analytic, numerical))
    if numerical.size:
        with np.errstate(invalid="ignore"):
            difference = np.abs(analytic.astype(np.float64) - numerical)
        worst = int(np.argmax(np.nan_to_num(difference, nan=np.inf)))
        index = tuple(int(i) for i in np.unravel_index(worst, numerical.shape))
        analytic_value, numerical_value = float(analytic[index]), float(numerical[index])
    else:
        index, analytic_value, numerical_value = (), 0.0, 0.0
    passed = bool(error <= rtol)
    advised = None
    if not passed:
        diagnosis, advised = _below_resolution(f, x, value, analytic, numerical, eps)
        note = "; ".join(part for part in (note, diagnosis) if part)
    return GradientCheck(
        passed=passed,
        error=error,
        rtol=rtol,
        index=index,
        analytic_value=analytic_value,
        numerical_value=numerical_value,
        analytic=analytic,
        numerical=numerical,
        eps=eps,
        diagnosis=note,
        advised_eps=advised,
    )


def _differences_within_the_domain(
    f: Callable[[np.ndarray], ArrayLike], x: np.ndarray, value: np.ndarray, eps: float
) -> tuple[np.ndarray, float, str]:
    """Finite differences at the default step, halved while ``f`` refuses ``x +- eps``.

    A function with a domain check (``cross_entropy`` wants rows summing to 1
    within ``sqrt(u)``, 3.5e-4 in float32) accepts ``x`` but may refuse the
    float32 default step of 4.9e-3. The step is halved until ``f`` accepts it,
    down to a tenth of ``sqrt(u)`` times the scale of ``x``, where the rounding
    error u / eps is still below ``rtol``; below that the error is raised.
    """
    u = _unit_roundoff(value.dtype)
    finite = np.abs(x[np.isfinite(x)])
    floor = 0.1 * u**0.5 * (max(1.0, float(finite.max())) if finite.size else 1.0)
    first = eps
    while True:
        try:
            if value.ndim == 0:
                return numerical_gradient(f, x, eps=eps), eps, _reduced(first, eps)
            return numerical_jacobian(f, x, eps=eps), eps, _reduced(first, eps)
        except ValueError:
            if eps / 2 < floor:
                raise
            eps /= 2


def _reduced(first: float, eps: float) -> str:
    if eps == first:
        return ""
    return f"step reduced from {first:.1e} to {eps:.1e}: f refused x +- {first:.1e}"


def _below_resolution(
    f: Callable[[np.ndarray], ArrayLike],
    x: np.ndarray,
    value: np.ndarray,
    analytic: np.ndarray,
    numerical: np.ndarray,
    eps: float,
) -> tuple[str, float | None]:
    """Why finite differences failed when the step is below the resolution of ``f``.

    Two confirmed symptoms: numerical derivatives that are exactly 0 where the
    analytic one is not (``f(x + eps)`` and ``f(x - eps)`` rounded to the same
    number), and values of a float64 ``f`` that are all float32 numbers (at ``x``
    and at a nearby point: ``f`` computes in float32 inside, so differences
    at a float64 step are float32 rounding noise). Returns ``("", None)`` otherwise.
    """
    if numerical.size == 0 or _precision_bytes(value.dtype) < 8:
        return "", None
    with np.errstate(all="ignore"):
        a = analytic.astype(np.float64)
        scale = float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0))
        zeros = (numerical == 0) & (np.abs(a) > 1e-3 * scale)
    float32_inside = _float32_numbers(value)
    if float32_inside:
        try:
            nearby = _evaluate(f, x + 0.3183 * eps * (1 + np.abs(x)))
            float32_inside = _float32_numbers(nearby)
        except Exception:  # noqa: BLE001 -- the diagnosis must not turn a verdict into an error
            float32_inside = False
    if not (zeros.any() or float32_inside):
        return "", None
    advised = _default_step(np.dtype(np.float32), x) if float32_inside else 1e3 * eps
    parts = []
    if zeros.any():
        where = tuple(int(i) for i in np.argwhere(zeros)[0])
        parts.append(
            f"the numerical derivative is 0 at index {where} where the analytic one is "
            f"{float(a[where]):.4g}: a step of eps={eps:.1e} changed f by less than its "
            "resolution"
        )
    if float32_inside:
        parts.append(
            "f returns float32 numbers as float64 (it computes in float32 inside), so the "
            f"step eps={eps:.1e} is below its resolution and the differences are float32 "
            f"rounding noise; compute f in float64, or pass eps={advised:.1e} and "
            "rtol=1e-2 (the float32 defaults)"
        )
    else:
        parts.append(f"try a larger step, e.g. eps={advised:.1e}, or compute f in float64")
    return "; ".join(parts), advised


def _float32_numbers(values: np.ndarray) -> bool:
    """Every finite entry survives a round trip through float32 and some are not whole."""
    with np.errstate(all="ignore"):
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size == 0 or np.all(v == np.round(v)):
            return False
        return bool(np.array_equal(v.astype(np.float32).astype(np.float64), v))
