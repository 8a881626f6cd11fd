"""Argument checking shared by every public function.

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the
argument, says what was received and what is expected, so that a learner can
fix the call without reading this file.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

#: An axis argument: one axis, several, or None for all of them.
Axis = int | Sequence[int] | None

__all__ = [
    "Axis",
    "as_real_array",
    "check_out",
    "check_positive_scalar",
    "normalize_axes",
    "working_dtype",
]


def _describe(value: object) -> str:
    """A short description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (type {type(value).__name__})"


def as_real_array(x: object, name: str = "x") -> np.ndarray:
    """Return ``x`` as a real floating-point array without copying when possible.

    Float arrays keep their dtype; integer and boolean arrays become float64.
    Complex, object, string and date/time data raise ``TypeError``.
    """
    if isinstance(x, np.ndarray):
        array = x
    else:
        try:
            array = np.asarray(x)
        except (ValueError, TypeError) as error:
            raise TypeError(
                f"{name} must be array-like of real numbers; received "
                f"{_describe(x)}, which numpy cannot turn into an array ({error})"
            ) from None
    kind = array.dtype.kind
    if kind == "f":
        return array
    if kind in "iub":
        return array.astype(np.float64)
    if kind == "c":
        raise TypeError(
            f"{name} must be real; received complex dtype {array.dtype}; "
            "expected a float, integer or boolean array (softmax is not defined "
            "for complex logits here; pass x.real if that is what you mean)"
        )
    raise TypeError(
        f"{name} must be an array of real numbers; received dtype {array.dtype}; "
        "expected a float, integer or boolean array"
    )


def working_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype to compute in: float16 is computed in float32 for accuracy."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def normalize_axes(
    axis: int | Sequence[int] | None, ndim: int, name: str = "axis"
) -> tuple[int, ...]:
    """Turn ``axis`` (an int, a tuple of ints or None) into sorted non-negative axes.

    ``None`` means every axis. Repeated axes, booleans and out-of-range values
    are rejected.
    """
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    if isinstance(axis, (tuple, list)) and len(items) == 0:
        raise ValueError(
            f"{name} must name at least one axis; received an empty {type(axis).__name__}"
        )
    axes = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            raise TypeError(
                f"{name} must be an int, a tuple of ints or None; received {_describe(axis)}"
            )
        index = int(item)
        if ndim == 0:
            raise ValueError(
                f"{name}={axis!r} cannot be used on a 0-dimensional array; "
                "expected an array with at least one axis (the class axis)"
            )
        if not -ndim <= index < ndim:
            raise ValueError(
                f"{name}={axis!r} is out of range for an array with {ndim} "
                f"dimension{'s' if ndim != 1 else ''}; expected an integer in "
                f"[{-ndim}, {ndim - 1}]"
            )
        axes.append(index % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name} must not repeat an axis; received {axis!r}")
    return tuple(sorted(axes))


def check_positive_scalar(value: object, name: str) -> float:
    """Return ``value`` as a float, requiring a finite real number greater than 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; received {_describe(value)}")
    number = float(value)
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be finite and greater than 0; received {number!r}")
    return number


def check_out(out: object, shape: tuple[int, ...], dtype: np.dtype, name: str = "out") -> None:
    """Validate a user-supplied output buffer: ndarray, right shape and dtype, writeable."""
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array; received {_describe(out)}; expected an "
            f"array of shape {shape} and dtype {dtype}"
        )
    if out.shape != shape:
        raise ValueError(f"{name} has shape {out.shape}; expected {shape}, the shape of the result")
    if out.dtype != dtype:
        raise TypeError(f"{name} has dtype {out.dtype}; expected {dtype}, the dtype of the result")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only; expected a writeable array")
