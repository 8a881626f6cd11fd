r"""Deliberately flawed implementations, each named after its flaw.

These are the mistakes that circulate in Q&A threads about softmax, written
down once so that the lessons can run them, show where they break, and let
:mod:`softmax_course.exercises` recognise them. Every function here is
**wrong on purpose**; the correct versions are in :mod:`softmax_course.core`
and :mod:`softmax_course.solutions`. This module is not imported by
``import softmax_course``: use ``from softmax_course import pitfalls``.

Each docstring says what goes wrong, on which input, and shows it. Where the
flaw makes numpy warn (overflow in ``exp``, ``0/0``), the example silences
the warning with ``np.errstate`` so that only the wrong result is shown.

Examples
--------
>>> import numpy as np
>>> from softmax_course import pitfalls, softmax
>>> x = np.array([[1.0, 2.0, 3.0, 6.0]])  # one sample, as a batch of one row
>>> pitfalls.softmax_over_axis0(x)
array([[1., 1., 1., 1.]])
>>> softmax(x).round(4)
array([[0.0063, 0.017 , 0.0463, 0.9304]])
"""

from __future__ import annotations

import numpy as np

from softmax_course.core import softmax as _softmax

__all__ = [
    "batch_jacobian_flattened",
    "cross_entropy_grad_through_jacobian",
    "cross_entropy_grad_without_mean",
    "jacobian_diagonal_only",
    "jacobian_sign_error",
    "jacobian_skip_equal_values",
    "log_of_softmax",
    "softmax_first_non_singleton_axis",
    "softmax_in_place",
    "softmax_over_axis0",
    "softmax_over_whole_array",
    "softmax_with_global_max",
    "softmax_with_mean_shift",
    "softmax_without_max_shift",
    "vjp_diagonal_only",
]


def softmax_without_max_shift(x: np.ndarray) -> np.ndarray:
    """Softmax straight from the formula, ``exp(x) / sum(exp(x))``, with no shift.

    What goes wrong: ``exp`` overflows to ``inf`` above about 709 in float64
    (88.7 in float32), and ``inf / inf`` is NaN; below about -745 it
    underflows to 0 for every entry, and ``0 / 0`` is NaN. Subtracting the
    row maximum first changes nothing mathematically and avoids both.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import softmax_without_max_shift
    >>> softmax_without_max_shift(np.array([3.0, 1.0, 0.2]))
    array([0.8360188 , 0.11314284, 0.05083836])
    >>> with np.errstate(over="ignore", invalid="ignore"):  # numpy warns: overflow, 0/0
    ...     softmax_without_max_shift(np.array([1000.0, 5.0]))
    array([nan,  0.])
    >>> with np.errstate(invalid="ignore"):
    ...     softmax_without_max_shift(np.array([-1000.0, -1001.0]))
    array([nan, nan])
    """
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_over_whole_array(x: np.ndarray) -> np.ndarray:
    """Softmax normalized over every entry of a batch (``sum()`` with no ``axis``).

    What goes wrong: for a 1-D vector this is right, which is why it looks
    fine. For a batch of shape ``(N, K)`` the whole batch sums to 1 and each
    row sums to much less: the samples compete with each other.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import softmax_over_whole_array
    >>> s = softmax_over_whole_array(np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
    >>> s.sum(axis=-1)  # each row should sum to 1
    array([0.5, 0.5])
    """
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def softmax_over_axis0(x: np.ndarray) -> np.ndarray:
    """Softmax normalized over ``axis=0``, the answer copied from the Q&A thread.

    What goes wrong: for a 1-D vector, axis 0 is the class axis, so the
    result is right. For a batch of shape ``(N, K)`` axis 0 runs over the
    samples: each *column* sums to 1, and a batch of one row gives all ones.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import softmax_over_axis0
    >>> s = softmax_over_axis0(np.array([[1.0, 2.0, 3.0, 6.0], [2.0, 4.0, 5.0, 6.0]]))
    >>> s.sum(axis=0), s.sum(axis=-1).round(4)
    (array([1., 1., 1., 1.]), array([1.0073, 2.9927]))
    """
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def softmax_with_global_max(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, but shifted by the maximum of the whole batch.

    What goes wrong: the shift is meant to make each row's largest exponent
    exactly 0. With one maximum for the whole batch, a row lying far below
    it (here 1000 below) has every ``exp`` underflow to 0, and ``0 / 0`` is
    NaN, although the same row on its own is handled fine.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import softmax_with_global_max
    >>> x = np.array([[0.0, 1.0, 2.0], [-1000.0, -999.0, -998.0]])
    >>> with np.errstate(invalid="ignore"):  # numpy warns: 0/0
    ...     softmax_with_global_max(x).round(4)
    array([[0.09  , 0.2447, 0.6652],
           [   nan,    nan,    nan]])
    >>> softmax_with_global_max(x[1:]).round(4)  # the same row alone is fine
    array([[0.09  , 0.2447, 0.6652]])
    """
    e = np.exp(x - np.max(x))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_in_place(x: np.ndarray) -> np.ndarray:
    """A correct softmax that reuses the caller's array as its workspace.

    What goes wrong: ``x -= ...``, ``np.exp(x, out=x)`` and ``x /= ...``
    overwrite the logits the caller still holds, so the caller's ``x`` has
    turned into probabilities after the call (and a read-only array raises
    ``ValueError``). The values returned are right, which hides the bug.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import softmax_in_place
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> softmax_in_place(x).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> x.round(4)  # the caller's logits are gone
    array([0.09  , 0.2447, 0.6652])
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)  # only integer input gets a copy; floats are overwritten
    x -= np.max(x, axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= np.sum(x, axis=-1, keepdims=True)
    return x


def log_of_softmax(x: np.ndarray) -> np.ndarray:
    """Log-softmax as ``np.log(softmax(x))``, with a perfectly stable softmax.

    What goes wrong: softmax rounds a probability below about ``1e-308``
    (float64) to exactly 0 before the logarithm sees it, and ``log(0)`` is
    ``-inf``. For ``[0, -1000]`` the right answer is ``[0, -1000]``, which
    ``x - logsumexp(x)`` computes without leaving log space.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import log_of_softmax
    >>> with np.errstate(divide="ignore"):  # numpy warns: log of zero
    ...     log_of_softmax(np.array([0.0, -1000.0]))
    array([  0., -inf])
    """
    return np.log(_softmax(x))


def jacobian_diagonal_only(s: np.ndarray) -> np.ndarray:
    """The "derivative of softmax" as the vector ``s * (1 - s)``.

    What goes wrong: this is only the diagonal :math:`\\partial s_i / \\partial z_i`
    of the Jacobian. Changing one logit changes *every* probability (they
    share the denominator), so the off-diagonal entries :math:`-s_i s_j` are
    missing, and a gradient check fails. (The question in one thread computes
    exactly this, as ``1 / (2 + e/o + o/e)`` from the logits.)

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import jacobian_diagonal_only
    >>> s = np.array([0.5, 0.5])
    >>> jacobian_diagonal_only(s)
    array([0.25, 0.25])
    >>> np.diag(s) - np.outer(s, s)  # the Jacobian
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    return s * (1 - s)


def jacobian_sign_error(s: np.ndarray) -> np.ndarray:
    """The Jacobian with the wrong sign, ``s sᵀ - diag(s)``.

    What goes wrong: differentiating the quotient
    :math:`e^{z_i} / \\sum_k e^{z_k}` and dropping a minus sign gives
    :math:`-J`: a negative diagonal, which would mean raising a logit lowers
    its own probability.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import jacobian_sign_error
    >>> jacobian_sign_error(np.array([0.5, 0.5]))
    array([[-0.25,  0.25],
           [ 0.25, -0.25]])
    """
    return np.outer(s, s) - np.diag(s)


def jacobian_skip_equal_values(s: np.ndarray) -> np.ndarray:
    """A Jacobian that finds "the current element" by comparing values.

    What goes wrong: the Kronecker delta :math:`\\delta_{ij}` is about
    positions. Writing ``if s[i] == s[j]`` (as the answer in one thread does
    with ``if other == x: continue``) treats two *different* classes with
    equal probabilities as the same class, so for repeated logits such as
    ``[1, 1, 2]`` an off-diagonal entry gets the diagonal formula
    :math:`s_i(1 - s_i)`. For distinct values it is right, which hides it.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import softmax
    >>> from softmax_course.pitfalls import jacobian_skip_equal_values
    >>> s = softmax(np.array([1.0, 1.0, 2.0]))
    >>> jacobian_skip_equal_values(s).round(4)[0]  # entry [0, 1] should be -s_0 s_1 < 0
    array([ 0.167 ,  0.167 , -0.1221])
    """
    K = len(s)
    J = np.empty((K, K))
    for i in range(K):  # loops kept on purpose: the flaw is in the `if`
        for j in range(K):
            if s[i] == s[j]:  # compares values; the delta needs i == j
                J[i, j] = s[i] * (1 - s[i])
            else:
                J[i, j] = -s[i] * s[j]
    return J


def vjp_diagonal_only(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Backprop through softmax as ``s * (1 - s) * g``, like an elementwise activation.

    What goes wrong: it treats softmax like a sigmoid, multiplying the
    upstream gradient by the diagonal of the Jacobian only. The coupling
    through the shared denominator, :math:`-s \\langle s, g \\rangle`, is lost.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import vjp_diagonal_only
    >>> s, g = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    >>> vjp_diagonal_only(s, g)
    array([0.25, 0.  ])
    >>> s * (g - np.sum(s * g))  # the VJP
    array([ 0.25, -0.25])
    """
    return s * (1 - s) * g


def cross_entropy_grad_without_mean(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The gradient of the mean cross-entropy with respect to the logits, without ``/ N``.

    What goes wrong: the loss is the *mean* over the N samples, so each
    sample's gradient carries a factor :math:`1/N`. Without it the gradient
    is N times too large, and a gradient check on a batch fails (a check on
    a single sample, N = 1, does not notice).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import cross_entropy_grad_without_mean
    >>> z = np.zeros((2, 2))
    >>> y = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> cross_entropy_grad_without_mean(z, y)  # the right answer is half of this
    array([[-0.5,  0.5],
           [ 0.5, -0.5]])
    """
    return _softmax(z) - y


def softmax_with_mean_shift(x: np.ndarray) -> np.ndarray:
    """Softmax shifted by each row's mean instead of its maximum.

    What goes wrong: the shift cancels mathematically whatever it is, so the
    result is right wherever nothing overflows, including ``[1000, 5]``
    (the mean is 502.5). But after subtracting the mean the largest entry
    is still ``max - mean``, which exceeds 709 when the logits are spread
    far apart: ``exp`` overflows and ``inf / inf`` is NaN. Only the maximum
    guarantees every exponent is at most 0.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import softmax_with_mean_shift
    >>> softmax_with_mean_shift(np.array([1000.0, 5.0]))
    array([1., 0.])
    >>> with np.errstate(over="ignore", invalid="ignore"):  # numpy warns: overflow, inf/inf
    ...     softmax_with_mean_shift(np.array([700.0, -1400.0]))
    array([nan,  0.])
    """
    e = np.exp(x - np.mean(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_first_non_singleton_axis(x: np.ndarray) -> np.ndarray:
    """A generic softmax whose default axis is "the first axis longer than 1".

    From the thread "Softmax in Python: why subtracting the max gives the same
    result".

    What goes wrong: the axis depends on the shape. For one sample, 1-D or a
    batch of one row ``(1, K)``, it is the class axis and the result is
    right; for a batch of ``N > 1`` rows it is axis 0, so each *column* sums
    to 1. The meaning of the call changes with the batch size.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import softmax_first_non_singleton_axis
    >>> softmax_first_non_singleton_axis(np.array([[1.0, 2.0, 3.0]])).round(4)
    array([[0.09  , 0.2447, 0.6652]])
    >>> softmax_first_non_singleton_axis(np.array([[1.0, 2.0], [1.0, 2.0]]))
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    axis = next((a for a, n in enumerate(np.shape(x)) if n > 1), np.ndim(x) - 1)
    return _softmax(x, axis=axis)


def batch_jacobian_flattened(S: np.ndarray) -> np.ndarray:
    """The vectorized single-sample Jacobian applied to a batch: ``s.reshape(-1, 1)``.

    From the thread "How to implement the softmax derivative independently of
    any loss function".

    What goes wrong: for one sample, ``diagflat(s) - s s^T`` with
    ``s = S.reshape(-1, 1)`` is the Jacobian. For a batch of shape ``(N, K)``
    the reshape flattens all ``N K`` probabilities into one vector, and the
    result is a single ``(N K, N K)`` matrix whose off-diagonal blocks
    ``-s_n s_m^T`` couple samples that do not affect each other. The batch
    Jacobian has shape ``(N, K, K)``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import batch_jacobian_flattened
    >>> S = np.array([[0.5, 0.5], [0.25, 0.75]])
    >>> batch_jacobian_flattened(S).shape
    (4, 4)
    >>> float(batch_jacobian_flattened(S)[0, 2])  # sample 0 against sample 1: should not exist
    -0.125
    """
    s = S.reshape(-1, 1)
    return np.diagflat(s) - s @ s.T


def cross_entropy_grad_through_jacobian(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dE/dz`` as ``dE/ds = -(y / s) / N`` carried through the softmax Jacobian.

    From the thread "Vectorizing softmax cross-entropy gradient".

    What goes wrong: nothing mathematically, and the softmax inside is
    stable. But for a confident wrong prediction the true class's
    probability rounds to 0, ``y / s`` is ``inf``, the Jacobian's entries in
    that row and column are 0, and ``0 * inf`` is NaN. The algebraic
    combination, ``(s - y) / N``, never divides by ``s``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.pitfalls import cross_entropy_grad_through_jacobian
    >>> z = np.array([[1.0, 2.0, 3.0]])
    >>> y = np.array([[0.0, 1.0, 0.0]])
    >>> cross_entropy_grad_through_jacobian(z, y).round(4)
    array([[ 0.09  , -0.7553,  0.6652]])
    >>> with np.errstate(divide="ignore", invalid="ignore"):  # numpy warns: 1/0, 0 * inf
    ...     cross_entropy_grad_through_jacobian(np.array([[40.0, -800.0, 0.0]]), y)
    array([[nan, nan, nan]])
    """
    s = _softmax(z)
    dE_ds = -(y / s) / z.shape[0]
    J = s[:, :, None] * np.eye(s.shape[-1]) - s[:, :, None] * s[:, None, :]
    return np.einsum("ni,nij->nj", dE_ds, J)
