r"""The options of the cross-entropy losses (private): reduction, class weights, ignore_index,
label smoothing and the upstream gradient.

Every combination of options becomes one array of non-negative coefficients
:math:`c_{n k}` of the shape of the input (class axis last) and one
denominator :math:`D`:

.. math::

    \ell_n = -\sum_k c_{n k} \log s_{n k}, \qquad
    E = \frac{1}{D} \sum_n \ell_n \;(\text{mean}), \quad
    \sum_n \ell_n \;(\text{sum}), \quad \ell \;(\text{none}).

With label smoothing :math:`\varepsilon`, class weights :math:`w` (all 1
without ``weight``), :math:`K` classes and :math:`m_n = 0` for an ignored
sample (1 otherwise), as PyTorch's ``cross_entropy`` defines them:

* integer labels :math:`y_n`:
  :math:`c_{n k} = m_n \bigl((1 - \varepsilon)\, w_{y_n} \delta_{k y_n}
  + \tfrac{\varepsilon}{K} w_k\bigr)` and :math:`D = \sum_n m_n w_{y_n}`;
* distributions :math:`y_{n k}`:
  :math:`c_{n k} = w_k \bigl((1 - \varepsilon) y_{n k} + \tfrac{\varepsilon}{K}\bigr)`
  and :math:`D = N`.

The gradients follow from :math:`\ell_n`: with respect to the probabilities
:math:`-c_{n k} / s_{n k}`, with respect to the logits
:math:`s_{n k} \sum_j c_{n j} - c_{n k}`, scaled by the upstream gradient and
divided by :math:`D` for the mean. Division takes :math:`0/0 := 0` (an
all-ignored batch has loss 0 and gradient 0), as the losses take
:math:`0 \log 0 := 0`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from softmax_course._validation import _describe, as_real_array

__all__ = [
    "REDUCTIONS",
    "Options",
    "check_options",
    "check_weight_length",
    "class_axis",
    "coefficients",
    "grad_from_logits",
    "grad_from_probs",
    "loss_from_log_probs",
    "upstream",
]

#: The accepted values of ``reduction``, in PyTorch's spelling.
REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class Options:
    """Checked options; ``weight`` is a float64 array of shape (K,) or None."""

    reduction: str = "mean"
    weight: np.ndarray | None = None
    ignore_index: int | None = None
    label_smoothing: float = 0.0

    @property
    def plain(self) -> bool:
        """True for the defaults, which keep the fast path of the plain call."""
        return (
            self.reduction == "mean"
            and self.weight is None
            and self.ignore_index is None
            and self.label_smoothing == 0.0
        )


def class_axis(axis: object, ndim: int, name: str) -> int:
    """``axis`` as a non-negative int in ``[0, ndim)``; ``name`` is the array's name."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(
            f"axis must be an int, the class axis of {name}; received {_describe(axis)}; "
            "expected a single integer such as -1 (the last axis, the default)"
        )
    index = int(axis)
    if not -ndim <= index < ndim:
        raise ValueError(
            f"axis={index} is out of range for {name} with {ndim} dimension"
            f"{'s' if ndim != 1 else ''}; expected an integer in [{-ndim}, {ndim - 1}]"
        )
    return index % ndim


def _check_weight(weight: object) -> np.ndarray | None:
    """Class weights: real, 1-D, finite and non-negative (the length is checked later)."""
    if weight is None:
        return None
    w = as_real_array(weight, "weight")
    if w.ndim != 1:
        raise ValueError(
            f"weight must be 1-dimensional, one weight per class; received shape {w.shape}; "
            "expected shape (K,)"
        )
    if not np.all(np.isfinite(w)):
        raise ValueError(
            f"weight must be finite; received {float(w[~np.isfinite(w)][0])!r}; "
            "expected non-negative finite class weights"
        )
    if np.any(w < 0):
        raise ValueError(
            f"weight must be non-negative; received {float(w[w < 0][0])!r}; expected "
            "non-negative finite class weights (a weight scales a class's share of the loss)"
        )
    return w.astype(np.float64)  # a copy: later changes to the caller's array do not leak in


def check_options(
    reduction: object, weight: object, ignore_index: object, label_smoothing: object
) -> Options:
    """Check the options that do not depend on the input's shape."""
    if not isinstance(reduction, str):
        raise TypeError(
            f"reduction must be a string; received {_describe(reduction)}; expected one of "
            "'mean', 'sum', 'none'"
        )
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none'; received {reduction!r}")
    if ignore_index is not None and (
        isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, numbers.Integral)
    ):
        raise TypeError(
            f"ignore_index must be an int or None; received {_describe(ignore_index)}; "
            "expected the integer label of the samples to leave out, such as -100"
        )
    if isinstance(label_smoothing, (bool, np.bool_)) or not isinstance(
        label_smoothing, numbers.Real
    ):
        raise TypeError(
            f"label_smoothing must be a real number; received {_describe(label_smoothing)}; "
            "expected a number in [0, 1]"
        )
    smoothing = float(label_smoothing)
    if not 0.0 <= smoothing <= 1.0:  # NaN fails both comparisons
        raise ValueError(
            f"label_smoothing must be in [0, 1]; received {smoothing!r}; expected 0 (no "
            "smoothing, the default) up to 1 (the uniform distribution)"
        )
    return Options(
        reduction=reduction,
        weight=_check_weight(weight),
        ignore_index=None if ignore_index is None else int(ignore_index),
        label_smoothing=smoothing,
    )


def check_weight_length(options: Options, num_classes: int, name: str) -> None:
    """The weight has one entry per class of ``name``."""
    if options.weight is not None and options.weight.shape != (num_classes,):
        raise ValueError(
            f"weight has shape {options.weight.shape}, one weight per class, but {name} has "
            f"K={num_classes} classes; expected shape ({num_classes},)"
        )


def upstream(
    grad_output: object, options: Options, sample_shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray | None:
    """The upstream gradient: None for 1, else an array of the loss's shape (broadcast)."""
    if grad_output is None:
        return None
    g = as_real_array(grad_output, "grad_output")
    target_shape = sample_shape if options.reduction == "none" else ()
    what = (
        "one value per sample, the shape of the losses of reduction='none'"
        if options.reduction == "none"
        else f"a scalar: the loss of reduction={options.reduction!r} is a scalar"
    )
    try:
        broadcast = np.broadcast_to(g, target_shape)
    except ValueError:
        raise ValueError(
            f"grad_output has shape {g.shape}; expected shape {target_shape} ({what})"
        ) from None
    return broadcast.astype(dtype)


def coefficients(
    y: np.ndarray | None, labels: np.ndarray | None, shape: tuple[int, ...], dtype: np.dtype,
    options: Options,
) -> tuple[np.ndarray, float]:  # fmt: skip
    r"""The coefficients :math:`c_{n k}` (a new array) and the mean's denominator :math:`D`.

    ``shape`` is the input's with the class axis last; exactly one of ``y``
    (that shape, non-negative) and ``labels`` (``shape[:-1]``, int64, already
    checked to be in range where not ignored) is given.
    """
    k = shape[-1]
    eps = options.label_smoothing
    w = None if options.weight is None else options.weight.astype(dtype)
    if labels is None:
        assert y is not None
        c = (1 - eps) * y + eps / k if eps else y.copy()
        if w is not None:
            c = c * w
        return c.astype(dtype, copy=False), float(math.prod(shape[:-1]))
    counted = (
        np.ones(labels.shape, dtype=bool)
        if options.ignore_index is None
        else labels != options.ignore_index
    )
    safe = np.where(counted, labels, 0)  # an in-range stand-in for ignored labels
    w_target = np.where(counted, 1 if w is None else w[safe], 0).astype(dtype)
    c = np.zeros(shape, dtype=dtype)
    np.put_along_axis(c, safe[..., None], ((1 - eps) * w_target)[..., None], axis=-1)
    if eps:
        c += (eps / k) * (1 if w is None else w) * counted[..., None]
    return c, float(np.sum(w_target, dtype=np.float64))


def _divide(numerator: np.ndarray, denominator: float) -> np.ndarray:
    """``numerator / denominator`` with :math:`0/0 := 0` (the all-ignored batch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(numerator == 0, 0, numerator / denominator).astype(numerator.dtype)


def loss_from_log_probs(c: np.ndarray, log_s: np.ndarray, options: Options, denominator: float):
    r"""The reduced loss from the coefficients and :math:`\log s`; ``0 \log 0 := 0``.

    Returns the per-sample losses (``reduction="none"``) or a 0-d array.
    """
    with np.errstate(invalid="ignore"):  # only for non-finite logits: NaN is the answer
        per_sample = np.asarray(0 - np.sum(np.where(c > 0, c * log_s, 0), axis=-1))  # no -0.0
    if options.reduction == "none":
        return per_sample
    total = np.asarray(np.sum(per_sample))
    return total if options.reduction == "sum" else _divide(total, denominator)


def _scale(rows: np.ndarray, g: np.ndarray | None, options: Options, denominator: float):
    """Multiply per-sample gradient rows by the upstream gradient; divide by D for the mean."""
    if g is not None:
        with np.errstate(invalid="ignore"):  # inf * 0 only where the gradient is already inf
            rows = rows * (g[..., None] if options.reduction == "none" else g)
    return _divide(rows, denominator) if options.reduction == "mean" else rows


def grad_from_probs(
    c: np.ndarray, s: np.ndarray, g: np.ndarray | None, options: Options, denominator: float
) -> np.ndarray:
    r""":math:`-c / s` per sample (0 where :math:`c = 0`, also at :math:`s = 0`), reduced."""
    with np.errstate(divide="ignore"):
        rows = np.where(c > 0, -c / np.where(c > 0, s, 1), 0)
    return _scale(rows, g, options, denominator)


def grad_from_logits(
    c: np.ndarray, s: np.ndarray, g: np.ndarray | None, options: Options, denominator: float
) -> np.ndarray:
    r""":math:`s \sum_j c_j - c` per sample (0 for an ignored sample), reduced."""
    total = np.sum(c, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):  # NaN logits: NaN is the answer, except where ignored
        rows = np.where(total > 0, s * total - c, 0)
    return _scale(rows, g, options, denominator)
