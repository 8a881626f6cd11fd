r"""Array types and ``dtype=`` for the forward functions: one decorator, three routes.

:func:`array_api_dispatch` wraps :func:`~softmax_course.softmax`,
:func:`~softmax_course.log_softmax` and :func:`~softmax_course.logsumexp`:

* **numpy** input (an ``ndarray``, a list, a Python or numpy scalar) goes straight to
  the function, which keeps its fast and compiled paths; the only cost is one check of
  ``type(x)``.
* ``dtype=`` (PyTorch's meaning) casts ``x`` to a floating dtype first; the result then
  has that dtype.
* **Any other array-API array** (torch, CuPy, JAX, array-api-strict, ...) is computed
  with its own namespace's functions (found by ``array_api_compat.array_namespace``),
  so it stays on its device, and comes back in its own type. The arithmetic is the
  numpy reference path's: shift by the maximum (by 0 where the maximum is not finite),
  ``log1p`` of the terms other than the maximum's, float16 and bfloat16 computed in
  float32. **dask** arrays stay lazy: the numpy function runs block by block
  (``map_blocks``), which needs every class axis in one chunk.

``array-api-compat`` is optional (``pip install "softmax-course[arrayapi]"``); it is
imported only when a non-numpy array arrives, never at ``import softmax_course``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np

from softmax_course._validation import (
    Axis,
    _describe,
    as_real_array,
    check_positive_scalar,
    is_bfloat16,
    normalize_axes,
)
from softmax_course.parallel import resolve_workers

__all__ = ["array_api_dispatch", "array_api_vjp", "floating_dtype", "require_whole_class_axes"]

P = ParamSpec("P")
R = TypeVar("R")
X = TypeVar("X")
Y = TypeVar("Y")

#: Top-level modules of the array libraries array-api-compat knows (their arrays do not
#: all have ``__array_namespace__``: torch tensors and dask arrays do not).
_FOREIGN_MODULES = frozenset(
    {"torch", "cupy", "cupyx", "jax", "jaxlib", "dask", "array_api_strict", "sparse", "ndonnx"}
)
#: The options the non-numpy routes understand; any other option keeps its default there.
_PORTABLE = frozenset({"x", "axis", "temperature", "keepdims", "workers", "out"})
_FLOAT_NAMES = ("float16", "bfloat16", "float32", "float64")
_EXPECTED_DTYPE = "a floating dtype: float16, bfloat16, float32, float64 or longdouble"


def _is_foreign(x: object) -> bool:
    """True for an array of another library than numpy (numpy's own subclasses are not).

    Known libraries are recognized by module name, without importing anything.
    """
    if isinstance(x, (np.ndarray, np.generic)):
        return False
    if type(x).__module__.partition(".")[0] in _FOREIGN_MODULES:
        return True
    if not hasattr(x, "__array_namespace__"):
        return False
    # Another library's array: foreign if array-api-compat knows it; otherwise numpy's
    # conversion, as for any array-like.
    try:
        import array_api_compat

        array_api_compat.array_namespace(x)
    except (ImportError, TypeError):
        return False
    return True


def floating_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """``dtype`` as a numpy floating dtype (bfloat16 included), or a ``TypeError`` naming ``name``.

    The string ``"bfloat16"`` imports ``ml_dtypes`` (the type JAX uses), which
    registers it with numpy.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course._arrayapi import floating_dtype
    >>> floating_dtype("float32")
    dtype('float32')
    >>> floating_dtype(np.int32)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    TypeError: dtype must be a floating dtype: float16, bfloat16, float32, float64 or
    longdouble; received int32
    """
    if isinstance(dtype, str) and dtype == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    try:
        result = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{name} must be {_EXPECTED_DTYPE}; received {_describe(dtype)}") from None
    if result.kind != "f" and not is_bfloat16(result):
        raise TypeError(f"{name} must be {_EXPECTED_DTYPE}; received {result}")
    return result


def _cast_numpy(x: object, dtype: object) -> np.ndarray:
    """``x`` validated as real numbers, then cast to the floating ``dtype`` (a new array)."""
    target = floating_dtype(dtype)
    return as_real_array(x, "x").astype(target)


def array_api_dispatch(
    kind: str,
) -> Callable[[Callable[Concatenate[X, P], R]], Callable[Concatenate[X, P], R]]:
    """Decorate a forward function (``kind``: its name) with ``dtype=`` and array-type dispatch.

    The wrapper adds a keyword-only ``dtype=None`` to the signature that
    :func:`inspect.signature` (and so ``help`` and the API page) shows.
    """

    def decorate(func: Callable[Concatenate[X, P], R]) -> Callable[Concatenate[X, P], R]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(x: X, /, *args: P.args, **kwargs: P.kwargs) -> R:
            # The plain numpy call costs one type check and one dict lookup more.
            if type(x) is np.ndarray and "dtype" not in kwargs:
                return func(x, *args, **kwargs)
            dtype = kwargs.pop("dtype", None)
            if not _is_foreign(x):
                if dtype is not None:
                    return func(_cast_numpy(x, dtype), *args, **kwargs)  # type: ignore[arg-type]
                return func(x, *args, **kwargs)
            try:
                options = signature.bind(x, *args, **kwargs).arguments
            except TypeError as error:  # as Python words it for the function itself
                raise TypeError(f"{func.__name__}() {error}") from None
            return _foreign(func, kind, signature, options, dtype)

        if "dtype" not in signature.parameters:
            parameters = list(signature.parameters.values())
            extra = inspect.Parameter(
                "dtype", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="DTypeLike"
            )
            wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
                parameters=[*parameters, extra]
            )
        return wrapper

    return decorate


def require_whole_class_axes(array: Any, axes: tuple[int, ...], name: str) -> None:
    """Refuse a dask ``array`` split along a class axis, naming the ``rechunk`` that fixes it."""
    split = [axis for axis in axes if len(array.chunks[axis]) > 1]
    if split:
        rechunk = "{" + ", ".join(f"{axis}: -1" for axis in split) + "}"
        raise ValueError(
            f"{name} is a dask array split along the class axis {split[0]} (chunks "
            f"{array.chunks[split[0]]}); expected each class axis in one chunk, so that a "
            f"block holds whole rows: pass {name}.rechunk({rechunk}) (the other axes stay "
            "chunked, so the data still need not fit in memory)"
        )


# --- the non-numpy routes ---------------------------------------------------------------


def _compat() -> Any:
    """The ``array_api_compat`` module, or an ImportError saying how to get it."""
    try:
        import array_api_compat
    except ModuleNotFoundError:
        raise ImportError(
            "results in the input's array type need the array-api-compat package: "
            "pip install 'softmax-course[arrayapi]' (or pass np.asarray(x) for a numpy result)"
        ) from None
    return array_api_compat


def _foreign(
    func: Callable[..., Any],
    kind: str,
    signature: inspect.Signature,
    options: dict[str, Any],
    dtype: object,
) -> Any:
    """Run ``func``'s computation on a non-numpy array ``options["x"]``."""
    x = options["x"]
    kind_name = f"{type(x).__module__}.{type(x).__name__}"
    for option, value in options.items():
        default = signature.parameters[option].default
        if option not in _PORTABLE and value is not default:
            raise TypeError(
                f"{option}= is supported for numpy arrays only; received x of type "
                f"{kind_name}; expected {option}={default!r} or a numpy x"
            )
    if options.get("out") is not None:
        raise TypeError(
            f"out= is supported for numpy arrays only; received x of type {kind_name}; "
            "expected out=None (the result is a new array of x's type)"
        )
    resolve_workers(options.get("workers"))  # validated; the array library runs its own threads
    temperature = check_positive_scalar(options.get("temperature", 1.0), "temperature")
    keepdims = options.get("keepdims", False)
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"keepdims must be a bool; received {keepdims!r}")
    compat = _compat()
    if compat.is_dask_array(x):
        return _dask(func, kind, x, options.get("axis", -1), temperature, bool(keepdims), dtype)
    xp = compat.array_namespace(x)
    x = _xp_real(xp, x, dtype)
    axes = normalize_axes(options.get("axis", -1), x.ndim)
    # A library built on numpy (array-api-strict) would warn where the numpy path is quiet.
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        return _xp_forward(xp, kind, x, axes, temperature, bool(keepdims))


def _xp_dtype(xp: Any, dtype: object) -> Any:
    """The floating dtype of namespace ``xp`` that ``dtype`` names (its own or numpy's)."""
    own = {name: getattr(xp, name) for name in _FLOAT_NAMES if hasattr(xp, name)}
    for candidate in own.values():
        # compared with the library's own dtype objects only (array-api-strict warns otherwise)
        if type(dtype) is type(candidate) and dtype == candidate:
            return candidate
    name = floating_dtype(dtype).name  # numpy's spelling (a string, a numpy type, ...)
    if name not in own:
        raise TypeError(
            f"dtype must be {_EXPECTED_DTYPE} that the array's library has; received "
            f"{name}, which {xp.__name__} does not provide"
        )
    return own[name]


def _xp_real(xp: Any, x: Any, dtype: object) -> Any:
    """``x`` checked to hold real numbers: integers and booleans become the default float."""
    if xp.isdtype(x.dtype, "complex floating"):
        raise TypeError(
            f"x must be real; received complex dtype {x.dtype}; expected a float, integer "
            "or boolean array (pass the real part if that is what you mean)"
        )
    if not xp.isdtype(x.dtype, ("real floating", "integral", "bool")):
        raise TypeError(
            f"x must be an array of real numbers; received dtype {x.dtype}; expected a "
            "float, integer or boolean array"
        )
    if dtype is not None:
        return xp.astype(x, _xp_dtype(xp, dtype))
    if xp.isdtype(x.dtype, "real floating"):
        return x
    device = _compat().device(x)
    default = xp.__array_namespace_info__().default_dtypes(device=device)["real floating"]
    return xp.astype(x, default)


def _xp_log_total(xp: Any, e: Any, axes: tuple[int, ...], finite: Any = None) -> Any:
    """``log(sum(e))`` over ``axes``, as ``core._log_total``: ``log1p`` of the rest below 2.

    ``finite`` (keepdims shape, optional) marks the slices shifted by a finite maximum.
    """
    total = xp.sum(e, axis=axes, keepdims=True)
    log1p = getattr(xp, "log1p", None)
    if log1p is None:  # not in the namespace: plain log, accurate unless one term dominates
        return xp.log(total)
    rest = xp.sum(xp.where(e < 1, e, xp.zeros_like(e)), axis=axes, keepdims=True)
    small = total < 2
    if finite is not None:
        small = small & finite
    return xp.where(small, log1p(rest), xp.log(total))


def _xp_forward(
    xp: Any, kind: str, x: Any, axes: tuple[int, ...], temperature: float, keepdims: bool
) -> Any:
    """softmax, log_softmax or logsumexp of ``x`` with namespace ``xp``'s functions."""
    dtype = x.dtype
    work = dtype if dtype in (xp.float32, xp.float64) else xp.float32
    x = xp.astype(x, work)
    if any(x.shape[axis] == 0 for axis in axes):  # an empty class axis: no maximum to take
        if kind != "logsumexp":
            return xp.astype(x, dtype)
        shape = _reduced_shape(x.shape, axes, keepdims)
        return xp.astype(xp.full(shape, -xp.inf, dtype=work, device=_compat().device(x)), dtype)
    row_max = xp.max(x, axis=axes, keepdims=True)
    if kind == "logsumexp":
        finite = xp.isfinite(row_max)
        shift = xp.where(finite, row_max, xp.zeros_like(row_max))  # never inf - inf
        result = _xp_log_total(xp, xp.exp(x - shift), axes, finite) + shift
        if not keepdims:
            result = xp.reshape(result, _reduced_shape(x.shape, axes, keepdims))
        return xp.astype(result, dtype)
    shifted = x - row_max  # NaN throughout a slice with NaN, +inf or only -inf, as numpy's
    if temperature != 1.0:
        shifted = shifted / temperature
    e = xp.exp(shifted)
    if kind == "softmax":
        result = e / xp.sum(e, axis=axes, keepdims=True)
    else:
        result = shifted - _xp_log_total(xp, e, axes)
    return xp.astype(result, dtype)


def _reduced_shape(
    shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool
) -> tuple[int, ...]:
    """The shape of a reduction of ``shape`` over ``axes``."""
    if keepdims:
        return tuple(1 if axis in axes else side for axis, side in enumerate(shape))
    return tuple(side for axis, side in enumerate(shape) if axis not in axes)


# --- dask: the numpy function block by block ---------------------------------------------


def _dask(
    func: Callable[..., Any],
    kind: str,
    x: Any,
    axis: Axis,
    temperature: float,
    keepdims: bool,
    dtype: object,
) -> Any:
    """``func`` mapped over the blocks of the dask array ``x``, lazily.

    Each block holds whole slices along the class axes (required: a block that
    held part of a slice would be normalized on its own), so the result of a
    block is the result for those rows.
    """
    from dask.array.utils import meta_from_array

    axes = normalize_axes(axis, x.ndim)
    if dtype is not None:
        x = x.astype(floating_dtype(dtype))
    # The result's dtype, with numpy's checks and messages (complex, strings, ...).
    result_dtype = as_real_array(np.empty((0,), dtype=x.dtype), "x").dtype
    require_whole_class_axes(x, axes, "x")
    options: dict[str, Any] = {"axis": axes}
    if kind == "logsumexp":
        options["keepdims"] = keepdims
    else:
        options["temperature"] = temperature
    block = functools.partial(_block, func, options)
    if kind != "logsumexp":
        meta = meta_from_array(x, ndim=x.ndim, dtype=result_dtype)
        return x.map_blocks(block, dtype=result_dtype, meta=meta)
    if keepdims:
        chunks = tuple((1,) if axis in axes else c for axis, c in enumerate(x.chunks))
        meta = meta_from_array(x, ndim=x.ndim, dtype=result_dtype)
        return x.map_blocks(block, chunks=chunks, dtype=result_dtype, meta=meta)
    meta = meta_from_array(x, ndim=x.ndim - len(axes), dtype=result_dtype)
    return x.map_blocks(block, drop_axis=axes, dtype=result_dtype, meta=meta)


def _block(func: Callable[..., Any], options: dict[str, Any], block: Any) -> Any:
    """One block's result: an array, also for a full reduction (numpy would give a scalar)."""
    result = func(block, **options)
    return np.asarray(result) if isinstance(result, np.generic) else result


# --- softmax_vjp: two arrays of one type ---------------------------------------------------


def array_api_vjp(
    func: Callable[Concatenate[X, Y, P], R],
) -> Callable[Concatenate[X, Y, P], R]:
    """Decorate :func:`~softmax_course.softmax_vjp`: non-numpy ``s`` and ``g`` keep their type.

    numpy input goes straight to ``func``. Otherwise ``s`` and ``g`` must be
    arrays of one library (``array_namespace(s, g)``); dask arrays run the
    numpy function block by block, ``g`` rechunked like ``s``.
    """
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(s: X, g: Y, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if type(s) is np.ndarray or not (_is_foreign(s) or _is_foreign(g)):
            return func(s, g, *args, **kwargs)
        try:
            options = signature.bind(s, g, *args, **kwargs).arguments
        except TypeError as error:
            raise TypeError(f"{func.__name__}() {error}") from None
        return _foreign_vjp(func, signature, options)

    return wrapper


def _foreign_vjp(func: Callable[..., Any], signature: inspect.Signature, options: dict) -> Any:
    """``s * (g - sum(s * g))`` over the class axes for non-numpy ``s`` and ``g``."""
    s, g = options["s"], options["g"]
    kind_name = f"{type(s).__module__}.{type(s).__name__}"
    for option, value in options.items():
        default = signature.parameters[option].default
        if option not in _PORTABLE | {"s", "g"} and value is not default:
            raise TypeError(
                f"{option}= is supported for numpy arrays only; received s of type "
                f"{kind_name}; expected {option}={default!r} or numpy s and g"
            )
    if options.get("out") is not None:
        raise TypeError(
            f"out= is supported for numpy arrays only; received s of type {kind_name}; "
            "expected out=None (the result is a new array of s's type)"
        )
    resolve_workers(options.get("workers"))
    compat = _compat()
    axis = options.get("axis", -1)
    if compat.is_dask_array(s) or compat.is_dask_array(g):
        return _dask_vjp(func, s, g, axis)
    xp = compat.array_namespace(s, g)
    s, g = _xp_real(xp, s, None), _xp_real(xp, g, None)
    if tuple(s.shape) != tuple(g.shape):
        raise ValueError(
            f"s and g must have the same shape; received s of shape {tuple(s.shape)} and g "
            f"of shape {tuple(g.shape)}; expected g to hold one number per probability in s"
        )
    axes = normalize_axes(axis, s.ndim)
    dtype = xp.result_type(s, g)
    work = dtype if dtype in (xp.float32, xp.float64) else xp.float32
    s, g = xp.astype(s, work), xp.astype(g, work)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        result = s * (g - xp.sum(s * g, axis=axes, keepdims=True))
    return xp.astype(result, dtype)


def _dask_vjp(func: Callable[..., Any], s: Any, g: Any, axis: Axis) -> Any:
    """``func`` block by block on dask ``s`` and ``g`` (whole class axes per block)."""
    import dask.array as da
    from dask.array.utils import meta_from_array

    s, g = da.asarray(s), da.asarray(g)
    if s.shape != g.shape:
        raise ValueError(
            f"s and g must have the same shape; received s of shape {s.shape} and g of shape "
            f"{g.shape}; expected g to hold one number per probability in s"
        )
    axes = normalize_axes(axis, s.ndim)
    require_whole_class_axes(s, axes, "s")
    dtype = np.result_type(
        as_real_array(np.empty(0, s.dtype), "s"), as_real_array(np.empty(0, g.dtype), "g")
    )
    g = g.rechunk(s.chunks)
    meta = meta_from_array(s, ndim=s.ndim, dtype=dtype)
    return da.map_blocks(functools.partial(func, axis=axes), s, g, dtype=dtype, meta=meta)
