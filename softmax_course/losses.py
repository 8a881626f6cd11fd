r"""Cross-entropy: one-hot targets, the loss, and its two gradients.

For a batch of :math:`N` samples with probabilities :math:`s_{n k}` (the
class axis is the last one) and targets :math:`y_{n k}`,

.. math::

    E = -\frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{K} y_{n k} \log s_{n k},
    \qquad
    \frac{\partial E}{\partial s_{n k}} = -\frac{1}{N} \frac{y_{n k}}{s_{n k}} .

When :math:`s = \operatorname{softmax}(z)`, the chain rule through the
softmax Jacobian collapses the two into one short expression,

.. math::

    \frac{\partial E}{\partial z_{n j}}
    = \frac{1}{N} \Bigl( s_{n j} \sum_k y_{n k} - y_{n j} \Bigr)
    = \frac{s_{n j} - y_{n j}}{N} \quad \text{if every target row sums to 1.}

Targets come in two forms, told apart by their dtype as in PyTorch's
``cross_entropy``: **integer** targets are class labels, of shape
``probs.shape[:-1]``; **floating-point** targets are a distribution per
sample (one-hot or soft), of the same shape as the probabilities. Integer
targets of the probabilities' own shape are refused: they could be one-hot
rows or labels of the wrong shape, and guessing would give a wrong loss
silently (``targets.astype(float)`` says "one-hot"). Floating-point
targets of shape ``probs.shape[:-1]`` cannot be distributions, so they are
read as labels when every value is a whole number (labels read from a CSV
file are often floats). :math:`N` is the product
of all axes but the last. The convention :math:`0 \log 0 = 0` is used
throughout: a class with target 0 contributes nothing, even where its
probability is exactly 0.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from softmax_course import _fast
from softmax_course._validation import _describe, as_array, as_real_array, working_dtype
from softmax_course.core import log_softmax, softmax
from softmax_course.parallel import resolve_workers

__all__ = [
    "cross_entropy",
    "cross_entropy_grad",
    "one_hot",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
]


# --- argument checking ------------------------------------------------------------------


def _as_labels(labels: object, name: str, num_classes: int | None) -> np.ndarray:
    """Return ``labels`` as an int64 array of class indices in ``[0, num_classes)``.

    Integer arrays are accepted as they are; float arrays only when every
    value is a whole number (labels read from a CSV file are often floats).
    Booleans are refused: a mask is not a class index.
    """
    array = as_array(labels, name, "integer class indices")
    kind = array.dtype.kind
    if kind == "b":
        raise TypeError(
            f"{name} must be integer class indices; received a boolean array; "
            f"expected integers in [0, K) (use {name}.astype(int) if True/False mean 1/0)"
        )
    if kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError(
                f"{name} must be integer class indices; received non-finite values "
                "(NaN or inf); expected whole numbers in [0, K)"
            )
        if np.any(array != np.round(array)):
            bad = array[array != np.round(array)].flat[0]
            raise ValueError(
                f"{name} must be integer class indices; received a value with a "
                f"fractional part ({float(bad)!r}); expected whole numbers in [0, K)"
            )
    elif kind not in "iu":
        raise TypeError(
            f"{name} must be integer class indices; received dtype {array.dtype}; "
            "expected an integer array"
        )
    result = array.astype(np.int64)
    if result.size:
        low, high = int(result.min()), int(result.max())
        if low < 0:
            raise ValueError(
                f"{name} must be non-negative class indices; received {low}; "
                "expected integers in [0, K) (negative indices do not wrap around here)"
            )
        if num_classes is not None and high >= num_classes:
            raise ValueError(
                f"{name} contains class {high}, out of range for K={num_classes} "
                f"classes; expected integers in [0, {num_classes - 1}]"
            )
    return result


def _check_probs(probs: ArrayLike) -> np.ndarray:
    """Probabilities: real, at least 1-D, entries in [0, 1], each row summing to 1.

    The tolerance, 1e-4 or ``sqrt(eps)`` of the dtype if
    larger, admits rounding (float16 softmax outputs are off by about 1e-3)
    and the steps of a finite-difference check (``numerical_gradient`` moves
    one entry by ``eps = 1e-6``), and still catches logits and unnormalized
    scores.
    """
    s = as_real_array(probs, "probs")
    _check_class_axis(s, "probs")
    tolerance = max(1e-4, math.sqrt(float(np.finfo(s.dtype).eps)))
    outside = np.isnan(s) | (s < 0) | (s > 1 + tolerance)  # a negative p has no log at all
    if np.any(outside):
        raise ValueError(
            f"probs must be probabilities in [0, 1]; received {float(s[outside].flat[0])!r}; "
            "expected the output of softmax (for raw scores use softmax_cross_entropy)"
        )
    with np.errstate(over="ignore"):
        row_sums = np.sum(s, axis=-1, dtype=working_dtype(s.dtype))
    off = ~(np.abs(row_sums - 1) <= tolerance)  # inf sums are off too
    if np.any(off):
        index = tuple(int(i) for i in np.argwhere(off)[0])
        where = f"the row at index {index}" if index else "the single row"
        total = float(row_sums[index])
        if abs(total - 1) < 0.01:  # nearly normalized: rounding or a too-large step, not logits
            hint = (
                "renormalize with probs / probs.sum(axis=-1, keepdims=True), or use a smaller "
                "finite-difference step"
            )
        else:
            hint = "did you pass logits or unnormalized scores? use softmax_cross_entropy for those"
        raise ValueError(
            f"probs must sum to 1 along the last (class) axis; {where} sums to {total!r} "
            f"({total - 1:+.1e} away from 1); expected 1 within {tolerance:.1e} ({hint})"
        )
    return s


def _check_class_axis(x: np.ndarray, name: str) -> None:
    """At least one axis (the class axis), at least one class and one sample."""
    if x.ndim == 0:
        raise ValueError(
            f"{name} must have a class axis; received a 0-dimensional array; "
            "expected shape (K,) or (N, K)"
        )
    if x.shape[-1] == 0 or x.size == 0:
        raise ValueError(
            f"{name} must hold at least one sample and one class; received shape "
            f"{x.shape}; expected every axis to have length >= 1"
        )


def _ambiguous_targets(shape: tuple[int, ...], value_name: str) -> ValueError:
    """The error for integer targets of the predictions' own shape: labels or one-hot rows?"""
    return ValueError(
        f"targets are integers of the same shape as {value_name}, {shape}, which reads two "
        f"ways: as class labels (integer targets are labels, as in PyTorch) they would need "
        f"shape {shape[:-1]}, one per sample; as one-hot or soft distributions they would need "
        "a floating-point dtype. Expected labels of shape "
        f"{shape[:-1]}, or targets.astype(float) if each row is a distribution"
    )


def _targets(targets: object, shape: tuple[int, ...], dtype: np.dtype, value_name: str):
    """Sort ``targets`` into a dense distribution or integer labels.

    Integer targets are labels of shape ``shape[:-1]`` (integer targets of
    ``shape`` itself are refused as ambiguous); other targets of ``shape``
    are distributions; other targets of ``shape[:-1]`` are labels if whole.
    Returns ``(y, labels)`` with exactly one of them not None: ``y`` has the
    given shape and dtype, ``labels`` has shape ``shape[:-1]``.
    """
    array = as_array(targets, "targets", "numbers")
    if array.shape == shape and array.dtype.kind in "iu":
        raise _ambiguous_targets(shape, value_name)
    if array.shape == shape:
        y = as_real_array(array, "targets")
        if not np.all(np.isfinite(y)):
            raise ValueError(
                "targets must be finite; received NaN or inf; expected a one-hot or "
                "soft distribution per sample"
            )
        if np.any(y < 0):
            raise ValueError(
                f"targets must be non-negative; received {float(y[y < 0].flat[0])!r}; "
                "expected a one-hot or soft distribution per sample"
            )
        return y.astype(dtype, copy=False), None
    if array.shape == shape[:-1]:
        return None, _as_labels(array, "targets", shape[-1])
    raise ValueError(
        f"targets has shape {array.shape}, which does not fit {value_name} of shape "
        f"{shape}; expected {shape} (one-hot or soft targets) or {shape[:-1]} "
        "(integer class labels)"
    )


def _picked(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``values[..., labels]`` sample by sample: the entry of each sample's true class."""
    return np.take_along_axis(values, labels[..., None], axis=-1)[..., 0]


def _num_samples(shape: tuple[int, ...]) -> int:
    """N, the product of every axis but the class axis (1 for a single sample)."""
    return math.prod(shape[:-1])


# --- public functions -------------------------------------------------------------------


def one_hot(
    labels: ArrayLike, num_classes: int | None = None, *, dtype: DTypeLike = np.float64
) -> np.ndarray:
    r"""Encode integer class labels as rows of the identity matrix.

    .. math::

        Y_{n k} = \delta_{k, y_n} =
        \begin{cases} 1 & k = y_n \\ 0 & \text{otherwise.} \end{cases}

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        Class indices in ``[0, num_classes)``. Float arrays are accepted when
        every value is a whole number.
    num_classes : int, optional
        :math:`K`, the number of columns. Default ``max(labels) + 1`` (and 0
        for no labels); pass it explicitly when a batch may miss the last
        classes.
    dtype : data-type, optional
        Dtype of the result: a floating-point or integer type. Default
        float64.

    Returns
    -------
    ndarray, shape (N, K)
        Row ``n`` is all zeros except a 1 in column ``labels[n]``.

    Raises
    ------
    TypeError
        If ``labels`` is boolean, ragged or not numeric, ``num_classes`` is
        not an int, or ``dtype`` is not a floating-point or integer type.
    ValueError
        If ``labels`` is not 1-D, has a fractional part, is negative, or
        reaches ``num_classes``; if ``num_classes`` is negative.

    Notes
    -----
    It is the identity matrix indexed by the labels, ``np.eye(K)[labels]``,
    written as one scatter ``Y[np.arange(N), labels] = 1`` without building
    the :math:`K \times K` identity. Negative labels are refused instead of
    wrapping around as numpy indexing would: ``-1`` is almost always a bug.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import one_hot
    >>> one_hot([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])

    A batch that happens to miss class 3 still needs four columns:

    >>> one_hot(np.array([1, 0]), num_classes=4, dtype=np.int8)
    array([[0, 1, 0, 0],
           [1, 0, 0, 0]], dtype=int8)
    """
    if num_classes is not None and (
        isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, numbers.Integral)
    ):
        raise TypeError(f"num_classes must be an int or None; received {_describe(num_classes)}")
    if num_classes is not None and num_classes < 0:
        raise ValueError(f"num_classes must be >= 0; received {num_classes}")
    try:
        result_dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"dtype must be a numpy data type; received {_describe(dtype)}; expected a "
            "floating-point or integer type such as np.float64 or np.int8"
        ) from None
    if result_dtype.kind not in "fiu":
        raise TypeError(
            f"dtype must be a floating-point or integer type; received {result_dtype}; "
            "expected e.g. np.float64 (the default) or np.int8: a one-hot row holds the "
            "numbers 0 and 1"
        )
    array = as_array(labels, "labels", "integer class indices")
    if array.ndim != 1:
        raise ValueError(
            f"labels must be 1-dimensional, one class index per sample; received "
            f"shape {array.shape}; expected shape (N,) (flatten with labels.ravel())"
        )
    indices = _as_labels(array, "labels", None if num_classes is None else int(num_classes))
    if num_classes is None:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    encoded = np.zeros((indices.size, int(num_classes)), dtype=result_dtype)
    encoded[np.arange(indices.size), indices] = 1
    return encoded


def cross_entropy(probs: ArrayLike, targets: ArrayLike) -> np.floating:
    r"""Mean cross-entropy between predicted probabilities and targets.

    .. math::

        E(s, y) = -\frac{1}{N} \sum_{n} \sum_{k} y_{n k} \log s_{n k},
        \qquad 0 \log 0 := 0 .

    Parameters
    ----------
    probs : array_like, shape (..., K)
        Probabilities :math:`s`, for example the output of :func:`softmax`:
        entries in :math:`[0, 1]`, each slice along the last axis summing to
        1. Float input keeps its dtype; integers become float64.
    targets : array_like, shape (..., K) or (...)
        Either integer class labels of shape ``probs.shape[:-1]`` or a
        floating-point distribution per sample of the same shape as
        ``probs`` (one-hot or soft; non-negative). The dtype decides, as in
        PyTorch: integer targets of ``probs``'s own shape are refused as
        ambiguous (pass ``targets.astype(float)`` for one-hot rows), and
        float targets of shape ``probs.shape[:-1]`` are labels if whole.

    Returns
    -------
    numpy scalar
        The loss averaged over the :math:`N` samples (the product of all axes
        but the last), in the dtype of ``probs``.

    Raises
    ------
    TypeError
        If ``probs`` or ``targets`` is complex or not numeric, or labels are boolean.
    ValueError
        If ``probs`` is not a batch of distributions (NaN, negative entries,
        entries above 1 or rows not summing to 1 by more than the tolerance
        ``max(1e-4, sqrt(eps))``), has no class axis or is empty; if
        ``targets`` has neither accepted shape, is negative or not finite, or
        holds labels that are not whole numbers in ``[0, K)``.

    See Also
    --------
    softmax_cross_entropy : the same loss from logits, which stays finite
        where this one gives ``inf``.
    cross_entropy_grad : its gradient with respect to ``probs``.

    Notes
    -----
    With integer labels the inner sum has a single term,
    :math:`E = -\frac{1}{N} \sum_n \log s_{n, y_n}`, which is what is computed
    (no one-hot array is built).

    Special cases: a class whose target is 0 contributes 0 even where its
    probability is 0 (the limit :math:`\lim_{p \to 0} 0 \cdot \log p = 0`); a
    class with positive target and probability exactly 0 makes the loss
    ``inf``. Neither emits a ``RuntimeWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import cross_entropy
    >>> s = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    >>> cross_entropy(s, np.array([0, 2]))  # -(log 0.7 + log 0.8) / 2
    np.float64(0.2899092476264711)
    >>> cross_entropy(s, np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    np.float64(0.2899092476264711)

    A uniform guess over K classes costs log K:

    >>> cross_entropy(np.full((5, 4), 0.25), np.zeros(5, dtype=int))
    np.float64(1.3862943611198906)

    Zero targets ignore zero probabilities; a positive target does not:

    >>> cross_entropy(np.array([1.0, 0.0]), 0)
    np.float64(0.0)
    >>> cross_entropy(np.array([1.0, 0.0]), 1)
    np.float64(inf)
    """
    s = _check_probs(probs)
    work = working_dtype(s.dtype)
    s_work = s.astype(work, copy=False)
    y, labels = _targets(targets, s.shape, work, "probs")
    n = _num_samples(s.shape)
    with np.errstate(divide="ignore"):
        if labels is not None:
            total = 0 - np.sum(np.log(_picked(s_work, labels)))  # 0 - x: no -0.0
        else:
            terms = np.where(y > 0, y * np.log(np.where(y > 0, s_work, 1)), 0)
            total = 0 - np.sum(terms)
    return s.dtype.type(total / n)


def cross_entropy_grad(probs: ArrayLike, targets: ArrayLike) -> NDArray[np.floating]:
    r"""Gradient of :func:`cross_entropy` with respect to the probabilities.

    .. math::

        \frac{\partial E}{\partial s_{n k}} = -\frac{1}{N} \frac{y_{n k}}{s_{n k}},
        \qquad \frac{0}{s} := 0 \text{ (also for } s = 0).

    Parameters
    ----------
    probs : array_like, shape (..., K)
        Probabilities, as in :func:`cross_entropy`.
    targets : array_like, shape (..., K) or (...)
        Distributions or integer labels, as in :func:`cross_entropy`.

    Returns
    -------
    ndarray, shape (..., K)
        :math:`\partial E / \partial s`, same shape and dtype as ``probs``;
        zero wherever the target is zero.

    Raises
    ------
    TypeError, ValueError
        As in :func:`cross_entropy`.

    See Also
    --------
    softmax_cross_entropy_grad : the gradient with respect to the logits,
        which is this one pulled back through the softmax Jacobian.

    Notes
    -----
    This is the upstream gradient ``g`` that a softmax layer receives when
    the loss is kept separate from the activation. It is large where the
    predicted probability of the true class is small, and it ignores the
    row-sum constraint on :math:`s`: it is the gradient of :math:`E` as a
    function of :math:`NK` free numbers. A class with positive target and
    probability exactly 0 gives ``-inf``, without a ``RuntimeWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import cross_entropy_grad
    >>> s = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    >>> cross_entropy_grad(s, np.array([0, 2]))
    array([[-1.   ,  0.   ,  0.   ],
           [ 0.   ,  0.   , -0.625]])
    """
    s = _check_probs(probs)
    work = working_dtype(s.dtype)
    s_work = s.astype(work, copy=False)
    y, labels = _targets(targets, s.shape, work, "probs")
    n = _num_samples(s.shape)
    if labels is not None:
        y = np.zeros(s.shape, dtype=work)
        np.put_along_axis(y, labels[..., None], 1, axis=-1)
    with np.errstate(divide="ignore", over="ignore"):  # float16: beyond 65504 is inf, quietly
        grad = np.where(y > 0, -y / np.where(y > 0, s_work, 1), 0) / n
        return grad.astype(s.dtype, copy=False)


def softmax_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, *, workers: int | None = None
) -> np.floating:
    r"""Cross-entropy of ``softmax(logits)`` against ``targets``, computed stably.

    .. math::

        E = -\frac{1}{N} \sum_n \sum_k y_{n k} \log\operatorname{softmax}(z_n)_k,
        \qquad
        \log\operatorname{softmax}(z)_k = z_k - \operatorname{logsumexp}(z).

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Raw scores :math:`z`; the class axis is the last one. Float input
        keeps its dtype; integers become float64.
    targets : array_like, shape (..., K) or (...)
        Distributions or integer labels, as in :func:`cross_entropy`.
    workers : int, optional
        Threads for the log-softmax of a large batch, as in
        :func:`softmax_course.softmax`; the result does not depend on it.

    Returns
    -------
    numpy scalar
        The mean loss over the :math:`N` samples, in the dtype of ``logits``.

    Raises
    ------
    TypeError
        If ``logits`` or ``targets`` is complex or not numeric.
    ValueError
        If ``logits`` has no class axis or is empty, or ``targets`` is bad as
        in :func:`cross_entropy`.

    See Also
    --------
    softmax_cross_entropy_grad : its gradient, :math:`(s - y)/N` for targets
        that sum to 1.
    cross_entropy : the same loss from probabilities.

    Notes
    -----
    ``-sum(y * log(softmax(z)))`` rounds the probabilities before taking the
    log: a true class whose probability is below the smallest float has
    already become 0, its log is ``-inf`` and the loss ``inf`` (and without
    the max shift, ``exp`` overflows and the loss is NaN). Through
    :func:`log_softmax` the loss of such a sample is simply
    :math:`\max_k z_k - z_{y}` plus a small correction, a finite number.

    Special cases follow :func:`log_softmax`: a sample whose logits contain
    NaN or ``+inf`` gives NaN; a ``-inf`` logit is a class with probability
    0, which costs nothing when its target is 0 (:math:`0 \log 0 = 0`) and
    ``inf`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import softmax, softmax_cross_entropy
    >>> z = np.array([[1e4, -1e4]])
    >>> y = np.array([[0.0, 1.0]])

    Naively, without the max shift ``exp`` overflows; with it, the true
    class's probability underflows to 0 and its log is ``-inf``:

    >>> with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
    ...     naive = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    ...     -np.sum(y * np.log(naive)), -np.sum(y * np.log(softmax(z)))
    (np.float64(nan), np.float64(inf))

    From the logits the loss is the finite margin by which the wrong class wins:

    >>> softmax_cross_entropy(z, y)
    np.float64(20000.0)
    >>> softmax_cross_entropy(np.array([[2.0, 1.0, 0.1]]), np.array([0]))
    np.float64(0.41703001627783354)
    """
    z = as_real_array(logits, "logits")
    _check_class_axis(z, "logits")
    work = working_dtype(z.dtype)
    workers = resolve_workers(workers)
    y, labels = _targets(targets, z.shape, work, "logits")
    n = _num_samples(z.shape)
    rows = _fast.cross_entropy_rows(z.astype(work, copy=False), y, labels, workers)
    if rows is not None:  # compiled and fused: no (N, K) log-softmax is stored
        with np.errstate(over="ignore"):
            return z.dtype.type((0 - np.sum(rows)) / n)
    log_s = log_softmax(z.astype(work, copy=False), workers=workers)
    if labels is not None:
        total = 0 - np.sum(_picked(log_s, labels))
    else:
        with np.errstate(invalid="ignore"):  # only for non-finite logits: NaN is the answer
            total = 0 - np.sum(np.where(y > 0, y * log_s, 0))
    with np.errstate(over="ignore"):  # float16: a loss beyond 65504 is inf, quietly
        return z.dtype.type(total / n)


def softmax_cross_entropy_grad(
    logits: ArrayLike, targets: ArrayLike, *, workers: int | None = None
) -> NDArray[np.floating]:
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits.

    .. math::

        \frac{\partial E}{\partial z_{n j}}
        = \frac{1}{N} \Bigl( s_{n j} \sum_k y_{n k} - y_{n j} \Bigr)
        = \frac{s_{n j} - y_{n j}}{N}
        \quad \text{when } \textstyle\sum_k y_{n k} = 1 .

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Raw scores :math:`z`, as in :func:`softmax_cross_entropy`.
    targets : array_like, shape (..., K) or (...)
        Distributions or integer labels, as in :func:`cross_entropy`.
    workers : int, optional
        Threads for the softmax of a large batch, as in
        :func:`softmax_course.softmax`; the result does not depend on it.

    Returns
    -------
    ndarray, shape (..., K)
        :math:`\partial E / \partial z`, same shape and dtype as ``logits``.

    Raises
    ------
    TypeError, ValueError
        As in :func:`softmax_cross_entropy`.

    See Also
    --------
    cross_entropy_grad : the gradient with respect to the probabilities;
        this one equals it contracted with the softmax Jacobian.

    Notes
    -----
    From the chain rule with the softmax Jacobian
    :math:`\partial s_i / \partial z_j = s_i(\delta_{ij} - s_j)`:

    .. math::

        \frac{\partial E}{\partial z_j}
        = \sum_i \Bigl(-\frac{y_i}{N s_i}\Bigr) s_i (\delta_{ij} - s_j)
        = \frac{1}{N} \Bigl(-y_j + s_j \sum_i y_i\Bigr).

    One-hot targets and label smoothing have :math:`\sum_i y_i = 1`, giving
    the familiar :math:`(s - y)/N`; that is what the integer-label form
    computes (``s[n, y_n] -= 1``). Soft targets that do not sum to 1 (for
    instance unnormalized weights) keep the factor :math:`\sum_i y_i`, and
    this function applies it, so it is the true gradient for every
    non-negative target. Each row of the result sums to 0 for any targets,
    since :math:`\sum_j \big(s_j \sum_i y_i - y_j\big) = \sum_i y_i - \sum_j y_j = 0`
    (a shift of all logits of a sample changes no probability). No
    :math:`1/s` appears, so nothing blows up as a probability tends to 0.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import softmax, softmax_cross_entropy_grad
    >>> z = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]])
    >>> softmax_cross_entropy_grad(z, np.array([0, 2])).round(4)
    array([[-0.1705,  0.1212,  0.0493],
           [ 0.1667,  0.1667, -0.3333]])

    With targets summing to 2, the ``s`` term counts twice:

    >>> y = np.array([[1.0, 1.0, 0.0]])
    >>> g = softmax_cross_entropy_grad(z[:1], y)
    >>> np.allclose(g, 2 * softmax(z[:1]) - y), np.allclose(g, softmax(z[:1]) - y)
    (True, False)
    """
    z = as_real_array(logits, "logits")
    _check_class_axis(z, "logits")
    work = working_dtype(z.dtype)
    workers = resolve_workers(workers)
    y, labels = _targets(targets, z.shape, work, "logits")
    n = _num_samples(z.shape)
    fused = _fast.cross_entropy_grad_rows(z.astype(work, copy=False), y, labels, n, workers)
    if fused is not None:  # compiled: softmax, the target and 1/N in one sweep per row
        return fused.astype(z.dtype, copy=False)
    s = softmax(z.astype(work, copy=False), workers=workers)  # a new array, safe to write into
    if labels is not None:
        # Each label row sums to 1: subtract 1 at the true class, no one-hot needed.
        np.put_along_axis(s, labels[..., None], _picked(s, labels)[..., None] - 1, axis=-1)
        grad = s
    else:
        grad = s * np.sum(y, axis=-1, keepdims=True) - y
    grad /= n
    return grad.astype(z.dtype, copy=False)
