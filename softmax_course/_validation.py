"""Argument checking shared by every public function.

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the
argument, says what was received and what is expected, so that a learner can
fix the call without reading this file.

Array input is converted with :func:`numpy.asarray` semantics, as
``scipy.special`` does: an ``np.matrix`` becomes the plain 2-D array with
the same entries (results are ``ndarray``, never ``matrix``), and every
other ``ndarray`` subclass becomes its base array. A masked array is
converted the same way only when nothing in it is masked; with masked
entries it is refused, because converting would silently give the hidden
values a share of the probability (``scipy.special`` ignores the mask; here
the caller chooses: ``x.filled(-np.inf)`` gives masked classes probability
0, ``x.data`` uses the hidden values).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

#: An axis argument: one axis, several, or None for all of them.
Axis = int | Sequence[int] | None

__all__ = [
    "Axis",
    "as_array",
    "as_numeric_array",
    "as_real_array",
    "as_weights",
    "check_where",
    "check_out",
    "check_positive_scalar",
    "is_bfloat16",
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


def as_array(
    x: object, name: str = "x", expected: str = "real numbers", *, where_hint: bool = False
) -> np.ndarray:
    """Return ``x`` as a plain ``ndarray`` (``np.asarray`` semantics), naming ``name`` on failure.

    A plain ndarray is returned as it is (no copy). Subclasses are viewed as
    their base array: an ``np.matrix`` as the 2-D array with its entries, a
    masked array with nothing masked as its data. A masked array with masked
    entries raises ``TypeError``; so does anything numpy cannot make into an
    array, such as a ragged nested list (``expected`` says what ``x`` should
    hold, for the message; ``where_hint`` adds ``where=~x.mask`` to the ways
    out, for the functions that take a mask).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course._validation import as_array
    >>> as_array(np.ma.masked_array([1.0, 2.0], mask=[False, False]))  # nothing masked
    array([1., 2.])
    >>> as_array([[0, 1], [2]], "labels", "integers")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    TypeError: labels must be array-like of integers; received [[0, 1], [2]] (type list),
    which numpy cannot turn into an array (ragged: the rows have different lengths)
    """
    if type(x) is np.ndarray:
        return x
    if isinstance(x, np.ma.MaskedArray):
        masked = int(np.count_nonzero(np.ma.getmaskarray(x)))
        if masked:
            raise TypeError(
                f"{name} is a masked array with {masked} masked "
                f"entr{'y' if masked == 1 else 'ies'}; masked arrays are not supported "
                "(the mask would be silently ignored); expected a plain array: pass "
                f"{name}.filled(-np.inf) to give masked classes probability 0, "
                + (f"where=~{name}.mask to leave the masked entries out, " if where_hint else "")
                + f"or {name}.data to use the values under the mask"
            )
        return np.asarray(x.data)
    try:
        return np.asarray(x)
    except (ValueError, TypeError) as error:
        reason = str(error)
        if "inhomogeneous" in reason:
            reason = "ragged: the rows have different lengths"
        raise TypeError(
            f"{name} must be array-like of {expected}; received {_describe(x)}, "
            f"which numpy cannot turn into an array ({reason})"
        ) from None


def as_real_array(x: object, name: str = "x") -> np.ndarray:
    """Return ``x`` as a real floating-point array without copying when possible.

    Float arrays keep their dtype (bfloat16 included); integer and boolean arrays
    become float64.
    Complex, object, string and date/time data raise ``TypeError``. The
    conversion is :func:`as_array`'s: ``np.matrix`` and other subclasses
    become plain arrays, masked arrays with masked entries are refused.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course._validation import as_real_array
    >>> masked = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    >>> as_real_array(masked)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    TypeError: x is a masked array with 1 masked entry; masked arrays are not supported
    (the mask would be silently ignored); expected a plain array: pass x.filled(-np.inf)
    to give masked classes probability 0, or x.data to use the values under the mask
    """
    array = as_array(x, name)
    kind = array.dtype.kind
    if kind == "f" or is_bfloat16(array.dtype):
        return array
    if kind in "iub":
        return array.astype(np.float64)
    if kind == "c":
        raise TypeError(
            f"{name} must be real; received complex dtype {array.dtype}; "
            "expected a float, integer or boolean array (this function takes real "
            f"input only; pass {name}.real if that is what you mean)"
        )
    raise TypeError(
        f"{name} must be an array of real numbers; received dtype {array.dtype}; "
        "expected a float, integer or boolean array"
    )


def as_numeric_array(x: object, name: str = "x") -> np.ndarray:
    """Return ``x`` as a real or complex floating-point array (see :func:`as_real_array`).

    Complex arrays keep their dtype; everything else is :func:`as_real_array`'s,
    except that a masked array's message also suggests ``where=~x.mask``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course._validation import as_numeric_array
    >>> as_numeric_array([1 + 2j, 3]).dtype
    dtype('complex128')
    """
    array = as_array(x, name, where_hint=True)
    return array if array.dtype.kind == "c" else as_real_array(array, name)


def as_weights(b: object, shape: tuple[int, ...], name: str = "b") -> np.ndarray:
    """Return the weights ``b`` as an array of numbers whose shape broadcasts with ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course._validation import as_weights
    >>> as_weights(np.ones(4), (2, 3))  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ValueError: b has shape (4,), which does not broadcast against x of shape (2, 3);
    expected a shape that numpy can broadcast with (2, 3), such as (3,), (2, 1) or (2, 3)
    """
    array = as_array(b, name, "numbers")
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"{name} must be an array of real or complex numbers; received dtype "
            f"{array.dtype}; expected a float, integer, boolean or complex array"
        )
    try:
        np.broadcast_shapes(array.shape, shape)
    except ValueError:
        raise ValueError(
            f"{name} has shape {array.shape}, which does not broadcast against x of shape "
            f"{shape}; expected a shape that numpy can broadcast with {shape}, such as "
            f"{shape[-1:]}, {shape[:-1] + (1,)} or {shape}"
        ) from None
    return array


def check_where(where: object, shape: tuple[int, ...], name: str = "where") -> np.ndarray:
    """Return the mask ``where`` as a boolean array broadcast to ``shape`` (a read-only view).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course._validation import check_where
    >>> check_where(np.array([1.0, 0.0]), (2,))  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    TypeError: where must be a boolean array; received dtype float64; expected True
    where an entry takes part and False where it is left out (for example
    where=scores > -np.inf, where=~x.mask or where=mask.astype(bool))
    """
    array = as_array(where, name, "booleans")
    if array.dtype != np.bool_:
        raise TypeError(
            f"{name} must be a boolean array; received "
            + (f"dtype {array.dtype}" if array.ndim else _describe(where))
            + "; expected True where an entry takes part and False where it is left out "
            f"(for example {name}=scores > -np.inf, {name}=~x.mask or "
            f"{name}=mask.astype(bool))"
        )
    try:
        return np.broadcast_to(array, shape)
    except ValueError:
        raise ValueError(
            f"{name} has shape {array.shape}, which does not broadcast to the shape "
            f"{shape} of x; expected a shape broadcastable to {shape}, such as "
            f"{shape[-1:]}, {shape[:-1] + (1,)} or {shape}"
        ) from None


def is_bfloat16(dtype: np.dtype) -> bool:
    """True for ``ml_dtypes.bfloat16`` (dtype kind ``'V'``), told by name: no import needed."""
    return dtype.kind == "V" and dtype.name == "bfloat16"


def working_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype to compute in: float16 and bfloat16 are computed in float32 for accuracy."""
    if dtype == np.float16 or is_bfloat16(dtype):
        return np.dtype(np.float32)
    return np.dtype(dtype)


def normalize_axes(
    axis: int | Sequence[int] | None, ndim: int, name: str = "axis"
) -> tuple[int, ...]:
    """Turn ``axis`` (an int, a tuple of ints or None) into sorted non-negative axes.

    ``None`` means every axis. Repeated axes, booleans and out-of-range values
    are rejected.
    """
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, checked cheaply
        return (axis % ndim,)
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
