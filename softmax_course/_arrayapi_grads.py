r"""Array types for :func:`softmax_jvp`, :func:`log_softmax_vjp` and :func:`logsumexp_vjp`.

:func:`array_api_grad` is :func:`~softmax_course._arrayapi.array_api_vjp` for the three
products that came later:

* **numpy** input goes straight to the function (one check of ``type``), with the same
  bits as before.
* **Any other array-API array** (torch, CuPy, JAX, array-api-strict, ...) is computed
  with its own namespace's functions, on its device, and comes back in its own type:
  ``s * (v - sum(s * v))`` for the JVP, ``g - softmax(l) * sum(g)`` and
  ``g * softmax(z)`` for the VJPs, with 0 (not NaN) in a row that is all ``-inf``, as on
  the numpy path; float16 and bfloat16 are computed in float32.
* **dask** arrays stay lazy: the numpy function runs block by block (``map_blocks``),
  which needs every class axis in one chunk.

``where=`` is supported for numpy input only (a ``TypeError`` says so).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Concatenate, TypeVar

import numpy as np

from softmax_course._arrayapi import (
    P,
    _compat,
    _is_foreign,
    _xp_forward,
    _xp_real,
    require_whole_class_axes,
)
from softmax_course._validation import as_real_array, normalize_axes

__all__ = ["array_api_grad", "xp_real_named"]

R = TypeVar("R")
X = TypeVar("X")
Y = TypeVar("Y")


def array_api_grad(
    kind: str,
) -> Callable[[Callable[Concatenate[X, Y, P], R]], Callable[Concatenate[X, Y, P], R]]:
    """Decorate a product (``kind``: its name) so non-numpy arrays keep their type."""

    def decorate(func: Callable[Concatenate[X, Y, P], R]) -> Callable[Concatenate[X, Y, P], R]:
        signature = inspect.signature(func)
        first, second = list(signature.parameters)[:2]

        @functools.wraps(func)
        def wrapper(a: X, b: Y, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if type(a) is np.ndarray or not (_is_foreign(a) or _is_foreign(b)):
                return func(a, b, *args, **kwargs)
            try:
                options = signature.bind(a, b, *args, **kwargs).arguments
            except TypeError as error:
                raise TypeError(f"{func.__name__}() {error}") from None
            return _foreign(func, kind, (first, second), options)

        return wrapper

    return decorate


def _foreign(
    func: Callable[..., Any], kind: str, names: tuple[str, str], options: dict[str, Any]
) -> Any:
    """The product of the non-numpy arrays ``options[names[0]]`` and ``options[names[1]]``."""
    first, second = names
    a, b = options[first], options[second]
    if options.get("where") is not None:
        kind_name = f"{type(a).__module__}.{type(a).__name__}"
        raise TypeError(
            f"where= is supported for numpy arrays only; received {first} of type {kind_name}; "
            f"expected where=None or numpy {first} and {second} (np.asarray of each)"
        )
    axis = options.get("axis", -1)
    compat = _compat()
    if compat.is_dask_array(a) or compat.is_dask_array(b):
        return _dask(func, kind, names, a, b, axis)
    xp = compat.array_namespace(a, b)
    a, b = xp_real_named(xp, a, first), xp_real_named(xp, b, second)
    axes = normalize_axes(axis, a.ndim)
    if kind == "logsumexp_vjp":
        b = xp.reshape(b, _kept_shape(tuple(a.shape), tuple(b.shape), axes, axis))
    elif tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{first} and {second} must have the same shape; received {first} of shape "
            f"{tuple(a.shape)} and {second} of shape {tuple(b.shape)}; expected {second} to "
            f"hold one number per entry of {first}"
        )
    dtype = xp.result_type(a, b)
    work = dtype if dtype in (xp.float32, xp.float64) else xp.float32
    a, b = xp.astype(a, work), xp.astype(b, work)
    # A library built on numpy (array-api-strict) would warn where the numpy path is quiet.
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if kind == "softmax_jvp":
            result = a * (b - xp.sum(a * b, axis=axes, keepdims=True))
        elif any(a.shape[axis] == 0 for axis in axes):  # no class: an empty result
            result = xp.zeros_like(a)
        else:
            s = _xp_probabilities(xp, a, axes)
            if kind == "log_softmax_vjp":
                result = b - s * xp.sum(b, axis=axes, keepdims=True)
            else:
                result = s * b
            empty = xp.max(a, axis=axes, keepdims=True) == -xp.inf
            result = xp.where(empty, xp.zeros_like(result), result)
    return xp.astype(result, dtype)


def xp_real_named(xp: Any, array: Any, name: str) -> Any:
    """:func:`~softmax_course._arrayapi._xp_real` with its messages naming ``name``, not x."""
    try:
        return _xp_real(xp, array, None)
    except TypeError as error:
        message = str(error)
        raise TypeError(f"{name}{message[1:]}" if message.startswith("x ") else message) from None


def _xp_probabilities(xp: Any, x: Any, axes: tuple[int, ...]) -> Any:
    """``softmax(x)`` with the forward's arithmetic, 0 (not NaN) in rows that are all -inf."""
    s = _xp_forward(xp, "softmax", x, axes, 1.0, False)
    empty = xp.max(x, axis=axes, keepdims=True) == -xp.inf
    return xp.where(empty, xp.zeros_like(s), s)


def _kept_shape(
    shape: tuple[int, ...], g_shape: tuple[int, ...], axes: tuple[int, ...], axis: object
) -> tuple[int, ...]:
    """The keepdims shape of ``logsumexp(z, axis)``, checking that ``g`` has one of its shapes."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    reduced = tuple(n for i, n in enumerate(shape) if i not in axes)
    if g_shape not in (kept, reduced):
        raise ValueError(
            f"g must have the shape of logsumexp(z, axis={axis!r}), {reduced} (or {kept} with "
            f"keepdims=True); received g of shape {g_shape} for z of shape {shape}"
        )
    return kept


def _dask(
    func: Callable[..., Any],
    kind: str,
    names: tuple[str, str],
    a: Any,
    b: Any,
    axis: Any,
) -> Any:
    """``func`` block by block on dask arrays (each class axis in one chunk), lazily."""
    import dask.array as da
    from dask.array.utils import meta_from_array

    first, second = names
    a, b = da.asarray(a), da.asarray(b)
    axes = normalize_axes(axis, a.ndim)
    if kind == "logsumexp_vjp":
        b = b.reshape(_kept_shape(a.shape, b.shape, axes, axis))
    elif a.shape != b.shape:
        raise ValueError(
            f"{first} and {second} must have the same shape; received {first} of shape "
            f"{a.shape} and {second} of shape {b.shape}; expected {second} to hold one "
            f"number per entry of {first}"
        )
    require_whole_class_axes(a, axes, first)
    dtype = np.result_type(
        as_real_array(np.empty(0, a.dtype), first), as_real_array(np.empty(0, b.dtype), second)
    )
    chunks = tuple((1,) if i in axes and b.shape[i] == 1 else c for i, c in enumerate(a.chunks))
    b = b.rechunk(chunks if kind == "logsumexp_vjp" else a.chunks)
    meta = meta_from_array(a, ndim=a.ndim, dtype=dtype)
    block = functools.partial(func, axis=axes)
    return da.map_blocks(block, a, b, dtype=dtype, meta=meta, chunks=a.chunks)
