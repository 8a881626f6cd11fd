r"""Cross-entropy: one-hot targets, the loss, and its two gradients.

For a batch of :math:`N` samples with probabilities :math:`s_{n k}` (the
class axis is the last one unless ``axis`` says otherwise) and targets
:math:`y_{n k}`,

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

The four losses take PyTorch's options of ``torch.nn.functional.cross_entropy``
as keywords: ``axis`` (the class axis), ``reduction`` (``"mean"``, ``"sum"``
or ``"none"``), ``weight`` (per class), ``ignore_index`` (a label to leave
out) and ``label_smoothing``, with PyTorch's formulas (see
:func:`cross_entropy`), except that a batch whose targets are all ignored has
mean 0 rather than NaN. The gradients also take ``grad_output``, the upstream
gradient of the reduced loss.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from softmax_course import _ce_options as _options
from softmax_course import _fast
from softmax_course._arrayapi_losses import array_api_loss
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


def _as_labels(
    labels: object, name: str, num_classes: int | None, ignore_index: int | None = None
) -> np.ndarray:
    """Return ``labels`` as an int64 array of class indices in ``[0, num_classes)``.

    Integer arrays are accepted as they are; float arrays only when every
    value is a whole number (labels read from a CSV file are often floats).
    Booleans are refused: a mask is not a class index. Labels equal to
    ``ignore_index`` are exempt from the range check (PyTorch's padding
    label -100 is out of range on purpose).
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
    counted = result if ignore_index is None else result[result != ignore_index]
    also = "" if ignore_index is None else f", or ignore_index={ignore_index}"
    if counted.size:
        low, high = int(counted.min()), int(counted.max())
        if low < 0:
            raise ValueError(
                f"{name} must be non-negative class indices; received {low}; "
                f"expected integers in [0, K){also} (negative indices do not wrap around here)"
            )
        if num_classes is not None and high >= num_classes:
            raise ValueError(
                f"{name} contains class {high}, out of range for K={num_classes} "
                f"classes; expected integers in [0, {num_classes - 1}]{also}"
            )
    return result


def _check_probs(probs: ArrayLike, axis_name: str = "the last (class) axis") -> np.ndarray:
    """Probabilities: real, at least 1-D, entries in [0, 1], each row summing to 1.

    The tolerance, 1e-4 or ``sqrt(eps)`` of the dtype if
    larger, admits rounding (float16 softmax outputs are off by about 1e-3)
    and the steps of a finite-difference check (``numerical_gradient`` moves
    one entry by ``eps = 1e-6``), and still catches logits and unnormalized
    scores. The class axis is the last one (``axis_name`` names it for the
    message when the caller has moved it there).
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
            f"probs must sum to 1 along {axis_name}; {where} sums to {total!r} "
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


def _ambiguous_targets(
    shape: tuple[int, ...], value_name: str, label_shape: tuple[int, ...] | None = None
) -> ValueError:
    """The error for integer targets of the predictions' own shape: labels or one-hot rows?"""
    label_shape = shape[:-1] if label_shape is None else label_shape
    return ValueError(
        f"targets are integers of the same shape as {value_name}, {shape}, which reads two "
        f"ways: as class labels (integer targets are labels, as in PyTorch) they would need "
        f"shape {label_shape}, one per sample; as one-hot or soft distributions they would "
        "need a floating-point dtype. Expected labels of shape "
        f"{label_shape}, or targets.astype(float) if each row is a distribution"
    )


def _targets(
    targets: object,
    shape: tuple[int, ...],
    dtype: np.dtype,
    value_name: str,
    axis: int | None = None,
    ignore_index: int | None = None,
):
    """Sort ``targets`` into a dense distribution or integer labels.

    ``axis`` (non-negative; default the last) is the class axis of ``shape``.
    Integer targets are labels of ``shape`` without that axis (integer
    targets of ``shape`` itself are refused as ambiguous); other targets of
    ``shape`` are distributions; other targets of the label shape are labels
    if whole. Returns ``(y, labels)`` with exactly one of them not None:
    ``y`` in the given dtype with the class axis moved last (a view of the
    caller's array when no conversion is needed: never write into it),
    ``labels`` of the label shape.
    """
    axis = len(shape) - 1 if axis is None else axis
    label_shape = shape[:axis] + shape[axis + 1 :]
    array = as_array(targets, "targets", "numbers")
    if array.shape == shape and array.dtype.kind in "iu":
        raise _ambiguous_targets(shape, value_name, label_shape)
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
        return np.moveaxis(y, axis, -1).astype(dtype, copy=False), None
    if array.shape == label_shape:
        return None, _as_labels(array, "targets", shape[axis], ignore_index)
    raise ValueError(
        f"targets has shape {array.shape}, which does not fit {value_name} of shape "
        f"{shape}; expected {shape} (one-hot or soft targets) or {label_shape} "
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


# --- the options path (see softmax_course._ce_options) ----------------------------------


def _axis_name(axis: int, ndim: int) -> str:
    """How error messages name the class axis."""
    return "the last (class) axis" if axis == ndim - 1 else f"the class axis (axis={axis})"


def _prepared(
    moved: np.ndarray, targets: object, shape: tuple[int, ...], axis: int,
    options: _options.Options, value_name: str,
) -> tuple[np.ndarray, float, np.dtype]:  # fmt: skip
    """Coefficients, the mean's denominator and the working dtype for the options path.

    ``moved`` is the checked input with its class axis (``axis`` of the
    original ``shape``) moved last.
    """
    work = working_dtype(moved.dtype)
    _options.check_weight_length(options, moved.shape[-1], value_name)
    y, labels = _targets(targets, shape, work, value_name, axis, options.ignore_index)
    if labels is None and options.ignore_index is not None:
        raise ValueError(
            f"ignore_index={options.ignore_index} applies to integer class labels only; "
            f"received floating-point targets of shape {shape}, read as one distribution per "
            "sample; expected ignore_index=None with distributions (PyTorch refuses it too), "
            f"or integer labels of shape {moved.shape[:-1]}"
        )
    c, denominator = _options.coefficients(y, labels, moved.shape, work, options)
    return c, denominator, work


def _loss_result(loss: np.ndarray, dtype: np.dtype, options: _options.Options) -> Any:
    """A numpy scalar for a reduced loss, an array for ``reduction="none"``, in ``dtype``."""
    with np.errstate(over="ignore"):  # float16: a loss beyond 65504 is inf, quietly
        return loss.astype(dtype) if options.reduction == "none" else dtype.type(loss)


def _grad_result(grad: np.ndarray, axis: int, dtype: np.dtype) -> NDArray[np.floating]:
    """The gradient with its class axis moved back to ``axis``, in ``dtype``."""
    with np.errstate(over="ignore"):
        return np.moveaxis(grad, -1, axis).astype(dtype, copy=False)


# --- public functions: the losses -------------------------------------------------------


@overload
def cross_entropy(
    probs: ArrayLike, targets: ArrayLike, *, axis: int = ...,
    reduction: Literal["mean", "sum"] = ..., weight: ArrayLike | None = ...,
    ignore_index: int | None = ..., label_smoothing: float = ...,
) -> np.floating: ...  # fmt: skip
@overload
def cross_entropy(
    probs: ArrayLike, targets: ArrayLike, *, axis: int = ..., reduction: Literal["none"],
    weight: ArrayLike | None = ..., ignore_index: int | None = ..., label_smoothing: float = ...,
) -> NDArray[np.floating]: ...  # fmt: skip
@overload
def cross_entropy(
    probs: ArrayLike, targets: ArrayLike, *, axis: int = ..., reduction: str,
    weight: ArrayLike | None = ..., ignore_index: int | None = ..., label_smoothing: float = ...,
) -> np.floating | NDArray[np.floating]: ...  # fmt: skip
@array_api_loss("cross_entropy")
def cross_entropy(
    probs: ArrayLike,
    targets: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
) -> np.floating | NDArray[np.floating]:
    r"""Cross-entropy between predicted probabilities and targets, mean over samples by default.

    .. math::

        E(s, y) = -\frac{1}{N} \sum_{n} \sum_{k} y_{n k} \log s_{n k},
        \qquad 0 \log 0 := 0 .

    The options are PyTorch's: this is ``torch.nn.functional.cross_entropy``
    applied to ``log(probs)``, that is ``nll_loss`` of the log-probabilities
    plus label smoothing (see Notes for the formulas).

    Parameters
    ----------
    probs : array_like, shape (..., K)
        Probabilities :math:`s`, for example the output of :func:`softmax`:
        entries in :math:`[0, 1]`, each slice along the class axis summing to
        1. Float input keeps its dtype; integers become float64.
    targets : array_like, shape (..., K) or (...)
        Either integer class labels, of the shape of ``probs`` without the
        class axis, or a floating-point distribution per sample of the same
        shape as ``probs`` (one-hot or soft; non-negative). The dtype
        decides, as in PyTorch: integer targets of ``probs``'s own shape are
        refused as ambiguous (pass ``targets.astype(float)`` for one-hot
        rows), and float targets of the label shape are labels if whole.
    axis : int, optional
        The class axis of ``probs`` (and of distribution targets). Default
        -1, the last. PyTorch's class axis is 1 (0 for a single sample):
        ``axis=1`` on the same arrays gives its results.
    reduction : {"mean", "sum", "none"}, optional
        ``"mean"`` (default) divides the summed losses by :math:`N` (by the
        summed weights of the counted labels when ``weight`` or
        ``ignore_index`` is given, as in PyTorch); ``"sum"`` returns their
        sum; ``"none"`` returns the loss of every sample.
    weight : array_like, shape (K,), optional
        A non-negative, finite weight per class, :math:`w_k` (all 1 by
        default), scaling the terms of class :math:`k`.
    ignore_index : int, optional
        Samples whose label equals it contribute 0 and are not counted by the
        mean (PyTorch's default is -100; here it is None: no label is
        ignored). It may lie outside ``[0, K)``. Integer labels only: a
        ``ValueError`` with distribution targets, as in PyTorch.
    label_smoothing : float, optional
        :math:`\varepsilon \in [0, 1]`: the target of every sample becomes
        :math:`(1 - \varepsilon)\, y_n + \varepsilon / K`, for labels and
        distributions alike. Default 0.

    Returns
    -------
    numpy scalar or ndarray
        The reduced loss as a numpy scalar, or for ``reduction="none"`` an
        array of the loss of every sample (the shape of ``probs`` without the
        class axis; shape () for a single sample), in the dtype of ``probs``.

    Raises
    ------
    TypeError
        If ``probs``, ``targets`` or ``weight`` is complex or not numeric,
        labels are boolean, ``axis`` or ``ignore_index`` is not an int,
        ``reduction`` is not a string or ``label_smoothing`` not a number.
    ValueError
        If ``probs`` is not a batch of distributions (NaN, negative entries,
        entries above 1 or rows not summing to 1 by more than the tolerance
        ``max(1e-4, sqrt(eps))``), has no class axis or is empty; if
        ``targets`` has neither accepted shape, is negative or not finite, or
        holds labels that are not whole numbers in ``[0, K)`` (or
        ``ignore_index``); if ``axis`` is out of range, ``reduction`` is
        unknown, ``weight`` is not of shape (K,), negative or not finite,
        ``ignore_index`` is given with distribution targets, or
        ``label_smoothing`` lies outside [0, 1].

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

    **The options.** With weights :math:`w_k`, smoothing
    :math:`\varepsilon`, :math:`K` classes and :math:`m_n = 0` for a sample
    whose label is ``ignore_index`` (1 otherwise), the loss of sample
    :math:`n` is, for labels :math:`y_n`,

    .. math::

        \ell_n = m_n \Bigl( (1 - \varepsilon)\, w_{y_n} \bigl(-\log s_{n y_n}\bigr)
        + \frac{\varepsilon}{K} \sum_k w_k \bigl(-\log s_{n k}\bigr) \Bigr),
        \qquad
        E_{\text{mean}} = \frac{\sum_n \ell_n}{\sum_n m_n w_{y_n}},

    and for distributions :math:`y_{n k}`

    .. math::

        \ell_n = -\sum_k w_k \Bigl( (1 - \varepsilon)\, y_{n k}
        + \frac{\varepsilon}{K} \Bigr) \log s_{n k},
        \qquad
        E_{\text{mean}} = \frac{1}{N} \sum_n \ell_n ,

    with :math:`E_{\text{sum}} = \sum_n \ell_n`. These are PyTorch's
    definitions (``torch/nn/functional.py`` and ``aten`` ``LossNLL.cpp``):
    the weighted mean of labels divides by the weights of the counted
    targets, the mean of distributions by :math:`N`, whatever the weights.
    PyTorch applies ``log_softmax`` to its input; on ``log(probs)`` that is
    ``log(probs)`` itself when each row sums to 1, and rows within the
    tolerance are not renormalized here.

    **The all-ignored batch.** When no target is counted (every label is
    ``ignore_index``; also when every counted label's class has weight 0)
    the mean is :math:`0/0`. PyTorch returns NaN (its issue #70348); the
    helpers return 0, with a zero gradient, taking :math:`0/0 := 0` as they
    take :math:`0 \log 0 := 0`. The loss of such a batch is a constant,
    so 0 agrees with its gradient, with ``reduction="sum"`` and with a
    running mean that adds the numerators and denominators of its batches;
    a NaN would poison every parameter a training step touches. To tell the
    case apart, count the labels that are not ``ignore_index``. (With label
    smoothing, weight-0 labels and positive other weights the numerator is
    positive: the mean is ``inf`` here, NaN in PyTorch.)

    **Label smoothing and soft targets** were two PyTorch feature requests
    (issues #7455 and #11959); both are what ``label_smoothing`` and
    distribution targets give here, and the two combine: smoothing mixes the
    uniform distribution into any target.

    The plain call (the defaults, class axis last) is the computation above
    with :math:`w = 1`, no ignored label and :math:`\varepsilon = 0`; any
    option takes a numpy path that builds the :math:`(N, K)` coefficients
    :math:`c_{n k}` of the formulas above.

    Special cases: a class whose coefficient is 0 contributes 0 even where
    its probability is 0 (the limit :math:`\lim_{p \to 0} 0 \cdot \log p =
    0`; PyTorch gives NaN there); a class with positive coefficient and
    probability exactly 0 makes the loss ``inf`` (with any label smoothing
    every class has a positive coefficient). Neither emits a
    ``RuntimeWarning``.

    Array types: a torch, CuPy, JAX or array-api-strict ``probs`` gives a
    result of its type. With the defaults (integer labels or distribution
    targets, class axis last) it is computed with that library on its
    device, the mean as a 0-d array; any option runs this numpy function
    on host copies (``np.from_dlpack``) and returns the result through the
    library's ``asarray`` on ``probs``'s device (a ``TypeError`` if ``probs``
    cannot be copied to the host, such as a GPU array or a tensor that
    requires grad: pass the defaults or ``probs.detach().cpu()``). A dask
    ``probs`` (class axis in one chunk) stays lazy: per-block losses and
    a lazy sum; only ``reduction=`` is supported there, other options
    raise a ``TypeError`` naming ``probs.compute()``.

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

    The loss of each sample, and a padding label left out of the mean:

    >>> cross_entropy(s, np.array([0, 2]), reduction="none")  # -log 0.7, -log 0.8
    array([0.35667494, 0.22314355])
    >>> cross_entropy(s, np.array([0, -100]), ignore_index=-100)  # -log 0.7
    np.float64(0.35667494393873245)
    >>> cross_entropy(s, np.array([-100, -100]), ignore_index=-100)  # PyTorch: nan
    np.float64(0.0)

    A weight of 3 on class 2 counts the second sample three times:

    >>> cross_entropy(s, np.array([0, 2]), weight=[1.0, 1.0, 3.0])  # -(log 0.7 + 3 log 0.8) / 4
    np.float64(0.2565263994703404)

    The class axis first, as in a (K, N) array:

    >>> cross_entropy(s.T, np.array([0, 2]), axis=0)
    np.float64(0.2899092476264711)

    Smoothing does not change the cost log K of a uniform guess:

    >>> cross_entropy(np.full(4, 0.25), 0, label_smoothing=0.3)
    np.float64(1.3862943611198906)
    """
    options = _options.check_options(reduction, weight, ignore_index, label_smoothing)
    array = as_real_array(probs, "probs")
    _check_class_axis(array, "probs")
    k_axis = _options.class_axis(axis, array.ndim, "probs")
    if options.plain and k_axis == array.ndim - 1:
        return _plain_cross_entropy(array, targets)
    s = _check_probs(np.moveaxis(array, k_axis, -1), _axis_name(k_axis, array.ndim))
    c, denominator, work = _prepared(s, targets, array.shape, k_axis, options, "probs")
    with np.errstate(divide="ignore"):
        log_s = np.log(np.where(c > 0, s.astype(work, copy=False), 1))
    loss = _options.loss_from_log_probs(c, log_s, options, denominator)
    return _loss_result(loss, s.dtype, options)


def _plain_cross_entropy(probs: np.ndarray, targets: ArrayLike) -> np.floating:
    """:func:`cross_entropy` with the defaults: the mean over samples, class axis last."""
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


@array_api_loss("cross_entropy_grad")
def cross_entropy_grad(
    probs: ArrayLike,
    targets: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    grad_output: ArrayLike | None = None,
) -> NDArray[np.floating]:
    r"""Gradient of :func:`cross_entropy` with respect to the probabilities.

    .. math::

        \frac{\partial E}{\partial s_{n k}} = -\frac{1}{N} \frac{y_{n k}}{s_{n k}},
        \qquad \frac{0}{s} := 0 \text{ (also for } s = 0).

    With options, :math:`y_{n k}/N` becomes the coefficient of
    :math:`-\log s_{n k}` in the reduced loss (see :func:`cross_entropy`).

    Parameters
    ----------
    probs : array_like, shape (..., K)
        Probabilities, as in :func:`cross_entropy`.
    targets : array_like, shape (..., K) or (...)
        Distributions or integer labels, as in :func:`cross_entropy`.
    axis, reduction, weight, ignore_index, label_smoothing
        As in :func:`cross_entropy`; the gradient is that of the loss they
        define.
    grad_output : array_like, optional
        The upstream gradient :math:`g = \partial L / \partial E` of a later
        computation :math:`L`: a scalar for ``reduction="mean"`` or
        ``"sum"``, one value per sample (the shape of the losses, or
        broadcastable to it) for ``"none"``. Default 1: for ``"none"`` the
        gradient of the *sum* of the per-sample losses. The result is the
        vector-Jacobian product :math:`\sum_n g_n \, \partial \ell_n /
        \partial s`, as PyTorch's backward pass with ``grad_output``.

    Returns
    -------
    ndarray, shape (..., K)
        :math:`\partial E / \partial s`, same shape and dtype as ``probs``;
        zero wherever the target (the coefficient) is zero.

    Raises
    ------
    TypeError, ValueError
        As in :func:`cross_entropy`; a ``ValueError`` also if
        ``grad_output`` does not fit the shape of the loss.

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

    With options, :math:`\partial E / \partial s_{n k} = -g_n c_{n k} /
    (D\, s_{n k})`, where :math:`c_{n k}` is the coefficient of
    :math:`-\log s_{n k}` in :math:`\ell_n`, :math:`D` the mean's
    denominator (1 for ``"sum"`` and ``"none"``) and :math:`g_n` the upstream
    gradient. PyTorch's autograd on ``cross_entropy(log(probs))`` gives this
    plus :math:`g_n \sum_k c_{n k} / D` in every entry of row :math:`n` (the
    derivative of its ``log_softmax`` normalization, a direction that
    leaves the probability simplex); its ``nll_loss`` gives exactly this.
    An ignored sample has gradient 0, and so does an all-ignored batch
    (see :func:`cross_entropy`). Options take the numpy path.

    Array types: a torch, CuPy, JAX or array-api-strict ``probs`` gives a
    result of its type. With the defaults (integer labels or distribution
    targets, class axis last) it is computed with that library on its
    device, the mean as a 0-d array; any option runs this numpy function
    on host copies (``np.from_dlpack``) and returns the result through the
    library's ``asarray`` on ``probs``'s device (a ``TypeError`` if ``probs``
    cannot be copied to the host, such as a GPU array or a tensor that
    requires grad: pass the defaults or ``probs.detach().cpu()``). A dask
    ``probs`` (class axis in one chunk) stays lazy: each block's gradient
    of the summed loss, divided by :math:`N` for the mean; only
    ``reduction=`` is supported there, other options raise a
    ``TypeError`` naming ``probs.compute()``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import cross_entropy_grad
    >>> s = np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]])
    >>> cross_entropy_grad(s, np.array([0, 2]))
    array([[-1.   ,  0.   ,  0.   ],
           [ 0.   ,  0.   , -0.625]])

    The second sample ignored: the mean counts the first only:

    >>> cross_entropy_grad(s, np.array([0, -1]), ignore_index=-1)
    array([[-2.,  0.,  0.],
           [ 0.,  0.,  0.]])

    Per sample, weighted by an upstream gradient:

    >>> cross_entropy_grad(s, np.array([0, 2]), reduction="none", grad_output=[1.0, 0.5])
    array([[-2.   ,  0.   ,  0.   ],
           [ 0.   ,  0.   , -0.625]])
    """
    options = _options.check_options(reduction, weight, ignore_index, label_smoothing)
    array = as_real_array(probs, "probs")
    _check_class_axis(array, "probs")
    k_axis = _options.class_axis(axis, array.ndim, "probs")
    if options.plain and k_axis == array.ndim - 1 and grad_output is None:
        return _plain_cross_entropy_grad(array, targets)
    s = _check_probs(np.moveaxis(array, k_axis, -1), _axis_name(k_axis, array.ndim))
    c, denominator, work = _prepared(s, targets, array.shape, k_axis, options, "probs")
    g = _options.upstream(grad_output, options, s.shape[:-1], work)
    grad = _options.grad_from_probs(c, s.astype(work, copy=False), g, options, denominator)
    return _grad_result(grad, k_axis, s.dtype)


def _plain_cross_entropy_grad(probs: np.ndarray, targets: ArrayLike) -> NDArray[np.floating]:
    """:func:`cross_entropy_grad` with the defaults."""
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


@overload
def softmax_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, *, axis: int = ...,
    reduction: Literal["mean", "sum"] = ..., weight: ArrayLike | None = ...,
    ignore_index: int | None = ..., label_smoothing: float = ..., workers: int | None = ...,
) -> np.floating: ...  # fmt: skip
@overload
def softmax_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, *, axis: int = ..., reduction: Literal["none"],
    weight: ArrayLike | None = ..., ignore_index: int | None = ..., label_smoothing: float = ...,
    workers: int | None = ...,
) -> NDArray[np.floating]: ...  # fmt: skip
@overload
def softmax_cross_entropy(
    logits: ArrayLike, targets: ArrayLike, *, axis: int = ..., reduction: str,
    weight: ArrayLike | None = ..., ignore_index: int | None = ..., label_smoothing: float = ...,
    workers: int | None = ...,
) -> np.floating | NDArray[np.floating]: ...  # fmt: skip
@array_api_loss("softmax_cross_entropy")
def softmax_cross_entropy(
    logits: ArrayLike,
    targets: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    workers: int | None = None,
) -> np.floating | NDArray[np.floating]:
    r"""Cross-entropy of ``softmax(logits)`` against ``targets``, computed stably.

    .. math::

        E = -\frac{1}{N} \sum_n \sum_k y_{n k} \log\operatorname{softmax}(z_n)_k,
        \qquad
        \log\operatorname{softmax}(z)_k = z_k - \operatorname{logsumexp}(z).

    This is ``torch.nn.functional.cross_entropy``, options included (see
    Notes of :func:`cross_entropy` for their formulas).

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Raw scores :math:`z`; the class axis is the last one unless ``axis``
        says otherwise. Float input keeps its dtype; integers become float64.
    targets : array_like, shape (..., K) or (...)
        Distributions or integer labels, as in :func:`cross_entropy`.
    axis, reduction, weight, ignore_index, label_smoothing
        As in :func:`cross_entropy`: the class axis, ``"mean"`` / ``"sum"`` /
        ``"none"``, per-class weights, the label to leave out, and the
        smoothing :math:`\varepsilon`.
    workers : int, optional
        Threads for the log-softmax of a large batch, as in
        :func:`softmax_course.softmax`; the result does not depend on it.

    Returns
    -------
    numpy scalar or ndarray
        The reduced loss (by default the mean over the :math:`N` samples), or
        for ``reduction="none"`` the loss of every sample, in the dtype of
        ``logits``.

    Raises
    ------
    TypeError
        If ``logits`` or ``targets`` is complex or not numeric, or an option
        has the wrong type, as in :func:`cross_entropy`.
    ValueError
        If ``logits`` has no class axis or is empty, or ``targets`` or an
        option is bad as in :func:`cross_entropy`.

    See Also
    --------
    softmax_cross_entropy_grad : its gradient, :math:`(s - y)/N` for targets
        that sum to 1.
    cross_entropy : the same loss from probabilities, and the formulas of
        the options.

    Notes
    -----
    ``-sum(y * log(softmax(z)))`` rounds the probabilities before taking the
    log: a true class whose probability is below the smallest float has
    already become 0, its log is ``-inf`` and the loss ``inf`` (and without
    the max shift, ``exp`` overflows and the loss is NaN). Through
    :func:`log_softmax` the loss of such a sample is simply
    :math:`\max_k z_k - z_{y}` plus a small correction, a finite number.

    With options, :math:`\log s_{n k}` in the formulas of
    :func:`cross_entropy` is :math:`\log\operatorname{softmax}(z_n)_k`. The
    all-ignored batch gives 0, not PyTorch's NaN (the reasons are in
    :func:`cross_entropy`). The plain call (the defaults, class axis last)
    keeps the compiled fused kernel when that backend is active; any option
    takes the numpy path through :func:`log_softmax`.

    Special cases follow :func:`log_softmax`: a sample whose logits contain
    NaN or ``+inf`` gives NaN (unless it is ignored); a ``-inf`` logit is a
    class with probability 0, which costs nothing when its coefficient is 0
    (:math:`0 \log 0 = 0`) and ``inf`` otherwise.

    Array types: a torch, CuPy, JAX or array-api-strict ``logits`` gives a
    result of its type. With the defaults (integer labels or distribution
    targets, class axis last) it is computed with that library on its
    device, the mean as a 0-d array; any option runs this numpy function
    on host copies (``np.from_dlpack``) and returns the result through the
    library's ``asarray`` on ``logits``'s device (a ``TypeError`` if ``logits``
    cannot be copied to the host, such as a GPU array or a tensor that
    requires grad: pass the defaults or ``logits.detach().cpu()``). A dask
    ``logits`` (class axis in one chunk) stays lazy: per-block losses and
    a lazy sum; only ``reduction=`` is supported there, other options
    raise a ``TypeError`` naming ``logits.compute()``.

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

    Label smoothing keeps a confident right answer from costing nothing:

    >>> z = np.array([[10.0, 0.0, 0.0]])
    >>> softmax_cross_entropy(z, [0]).round(6)
    np.float64(9.1e-05)
    >>> softmax_cross_entropy(z, [0], label_smoothing=0.1).round(4)  # about 2 (0.1 / 3) 10
    np.float64(0.6668)
    """
    options = _options.check_options(reduction, weight, ignore_index, label_smoothing)
    array = as_real_array(logits, "logits")
    _check_class_axis(array, "logits")
    k_axis = _options.class_axis(axis, array.ndim, "logits")
    workers = resolve_workers(workers)
    if options.plain and k_axis == array.ndim - 1:
        return _plain_softmax_cross_entropy(array, targets, workers)
    z = np.moveaxis(array, k_axis, -1)
    c, denominator, work = _prepared(z, targets, array.shape, k_axis, options, "logits")
    log_s = log_softmax(z.astype(work, copy=False), workers=workers)
    loss = _options.loss_from_log_probs(c, log_s, options, denominator)
    return _loss_result(loss, z.dtype, options)


def _plain_softmax_cross_entropy(z: np.ndarray, targets: ArrayLike, workers: int) -> np.floating:
    """:func:`softmax_cross_entropy` with the defaults: compiled and fused when it can be."""
    work = working_dtype(z.dtype)
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


@array_api_loss("softmax_cross_entropy_grad")
def softmax_cross_entropy_grad(
    logits: ArrayLike,
    targets: ArrayLike,
    *,
    axis: int = -1,
    reduction: str = "mean",
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    grad_output: ArrayLike | None = None,
    workers: int | None = None,
) -> NDArray[np.floating]:
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits.

    .. math::

        \frac{\partial E}{\partial z_{n j}}
        = \frac{1}{N} \Bigl( s_{n j} \sum_k y_{n k} - y_{n j} \Bigr)
        = \frac{s_{n j} - y_{n j}}{N}
        \quad \text{when } \textstyle\sum_k y_{n k} = 1 .

    With options, :math:`y_{n k}/N` becomes the coefficient of
    :math:`-\log s_{n k}` in the reduced loss (see Notes).

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Raw scores :math:`z`, as in :func:`softmax_cross_entropy`.
    targets : array_like, shape (..., K) or (...)
        Distributions or integer labels, as in :func:`cross_entropy`.
    axis, reduction, weight, ignore_index, label_smoothing
        As in :func:`cross_entropy`; the gradient is that of the loss they
        define.
    grad_output : array_like, optional
        The upstream gradient :math:`g`, as in :func:`cross_entropy_grad`: a
        scalar for ``"mean"`` and ``"sum"``, one value per sample for
        ``"none"``; default 1 (for ``"none"``: the gradient of the sum of the
        per-sample losses).
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
        As in :func:`softmax_cross_entropy`; a ``ValueError`` also if
        ``grad_output`` does not fit the shape of the loss.

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

    With options the same algebra holds with the coefficients
    :math:`c_{n k}` of :func:`cross_entropy`'s Notes in place of
    :math:`y_{n k}`:
    :math:`\partial E / \partial z_{n j} = g_n \bigl(s_{n j} \sum_k c_{n k}
    - c_{n j}\bigr) / D`, with :math:`D` the mean's denominator (1 for
    ``"sum"`` and ``"none"``). Class weights make :math:`\sum_k c_{n k}`
    differ from 1, so the :math:`s \sum y` form matters there. An ignored
    sample's gradient is exactly 0, even if its logits are not finite, and
    so is an all-ignored batch's (where PyTorch's mean is NaN). The plain
    call keeps the compiled fused kernel when that backend is active; any
    option takes the numpy path.

    Array types: a torch, CuPy, JAX or array-api-strict ``logits`` gives a
    result of its type. With the defaults (integer labels or distribution
    targets, class axis last) it is computed with that library on its
    device, the mean as a 0-d array; any option runs this numpy function
    on host copies (``np.from_dlpack``) and returns the result through the
    library's ``asarray`` on ``logits``'s device (a ``TypeError`` if ``logits``
    cannot be copied to the host, such as a GPU array or a tensor that
    requires grad: pass the defaults or ``logits.detach().cpu()``). A dask
    ``logits`` (class axis in one chunk) stays lazy: each block's gradient
    of the summed loss, divided by :math:`N` for the mean; only
    ``reduction=`` is supported there, other options raise a
    ``TypeError`` naming ``logits.compute()``.

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

    The sum over samples is N times the mean; the second sample ignored
    leaves the first with the whole mean:

    >>> s = softmax(z)
    >>> np.allclose(softmax_cross_entropy_grad(z, [0, 2], reduction="sum"), s - np.eye(3)[[0, 2]])
    True
    >>> softmax_cross_entropy_grad(z, [0, -100], ignore_index=-100).round(4)
    array([[-0.341 ,  0.2424,  0.0986],
           [ 0.    ,  0.    ,  0.    ]])
    """
    options = _options.check_options(reduction, weight, ignore_index, label_smoothing)
    array = as_real_array(logits, "logits")
    _check_class_axis(array, "logits")
    k_axis = _options.class_axis(axis, array.ndim, "logits")
    workers = resolve_workers(workers)
    if options.plain and k_axis == array.ndim - 1 and grad_output is None:
        return _plain_softmax_cross_entropy_grad(array, targets, workers)
    z = np.moveaxis(array, k_axis, -1)
    c, denominator, work = _prepared(z, targets, array.shape, k_axis, options, "logits")
    g = _options.upstream(grad_output, options, z.shape[:-1], work)
    s = softmax(z.astype(work, copy=False), workers=workers)
    grad = _options.grad_from_logits(c, s, g, options, denominator)
    return _grad_result(grad, k_axis, z.dtype)


def _plain_softmax_cross_entropy_grad(
    z: np.ndarray, targets: ArrayLike, workers: int
) -> NDArray[np.floating]:
    """:func:`softmax_cross_entropy_grad` with the defaults: compiled and fused when it can be."""
    work = working_dtype(z.dtype)
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
