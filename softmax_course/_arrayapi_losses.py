r"""Array types for the four cross-entropy losses: three routes besides numpy's.

:func:`array_api_loss` wraps :func:`~softmax_course.cross_entropy`,
:func:`~softmax_course.softmax_cross_entropy` and their gradients:

* **numpy** input (an ``ndarray``, a list, a scalar) goes straight to the function:
  one check of ``type``, the same bits as before.
* **The defaults** (``reduction="mean"``, no ``weight``, ``ignore_index`` or
  ``label_smoothing``, no ``grad_output``, the class axis last) on another array-API
  array (torch, CuPy, JAX, array-api-strict, ...) with integer labels or probability
  targets: computed with the array's own namespace, on its device, and returned in its
  type (the mean as a 0-d array). Labels become a one-hot comparison with
  ``arange(K)``; probabilities and labels are checked with one reduction each (a
  synchronization on an accelerator). When a check fails, the numpy function runs on
  host copies to raise its exact message (or a shorter one if the array cannot be
  copied to the host).
* **Any option** (or float labels, a class axis elsewhere) on such an array: the numpy
  function runs on host copies (``np.from_dlpack``, else ``np.asarray``) and the result
  comes back through the library's ``asarray`` on the input's device. An array that
  cannot be copied to the host (a GPU array, a tensor that requires grad) gets a
  ``TypeError`` naming the way out.
* **dask** arrays stay lazy, block by block (each class axis in one chunk, targets
  rechunked to match): the numpy function gives each block's per-sample losses (or
  summed gradient), and the mean divides their lazy sum by :math:`N`. Only
  ``reduction=`` is supported on dask; ``weight``, ``ignore_index`` and
  ``label_smoothing`` (whose means divide by a sum over all blocks) and
  ``grad_output`` raise a ``TypeError`` that names ``x.compute()`` as the way out.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from softmax_course._arrayapi import (
    _compat,
    _is_foreign,
    _xp_forward,
    require_whole_class_axes,
)
from softmax_course._arrayapi_grads import xp_real_named
from softmax_course._validation import is_bfloat16, normalize_axes
from softmax_course.parallel import resolve_workers

__all__ = ["array_api_loss"]

F = TypeVar("F", bound=Callable[..., Any])

#: The options, their defaults, and which the native route leaves at their defaults.
_OPTIONS = ("axis", "reduction", "weight", "ignore_index", "label_smoothing", "grad_output")


def array_api_loss(kind: str) -> Callable[[F], F]:
    """Decorate a loss or its gradient (``kind``: its name) so other arrays keep their type."""

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        first = next(iter(signature.parameters))

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            x = args[0] if args else kwargs.get(first)
            if type(x) is np.ndarray or not _is_foreign(x):
                return func(*args, **kwargs)
            try:
                options = signature.bind(*args, **kwargs).arguments
            except TypeError as error:
                raise TypeError(f"{func.__name__}() {error}") from None
            return _foreign(func, kind, first, signature, options)

        return wrapper  # type: ignore[return-value]

    return decorate


def _type_name(x: object) -> str:
    return f"{type(x).__module__}.{type(x).__name__}"


def _foreign(
    func: Callable[..., Any],
    kind: str,
    name: str,
    signature: inspect.Signature,
    options: dict[str, Any],
) -> Any:
    """Route a call whose first argument ``options[name]`` is a non-numpy array."""
    x, targets = options[name], options["targets"]
    changed = {
        option: options[option]
        for option in _OPTIONS
        if option in options and options[option] is not signature.parameters[option].default
    }
    resolve_workers(options.get("workers"))  # validated as numpy does; the library has its own
    compat = _compat()
    if compat.is_dask_array(x):
        return _dask(func, kind, name, x, targets, changed)
    xp = compat.array_namespace(x)
    if set(changed) <= {"axis"} and _axis_is_last(changed.get("axis", -1), x.ndim):
        native = _native(func, kind, name, xp, x, targets, options)
        if native is not None:
            return native
    return _on_host(func, name, xp, x, options)


def _axis_is_last(axis: object, ndim: int) -> bool:
    return isinstance(axis, int) and not isinstance(axis, bool) and axis in (-1, ndim - 1)


# --- the host route ------------------------------------------------------------------------


def _to_host(array: Any, name: str) -> Any:
    """A numpy copy (or read-only view) of a non-numpy array; anything else as it is."""
    if not _is_foreign(array):
        return array
    xp = _compat().array_namespace(array)
    bfloat16 = getattr(xp, "bfloat16", None)
    is_bf16 = bfloat16 is not None and array.dtype == bfloat16
    if is_bf16:  # numpy has no bfloat16 of its own: through float32, exactly
        array = xp.astype(array, xp.float32)
    try:
        host = np.from_dlpack(array)
    except (TypeError, RuntimeError, BufferError, ValueError):
        try:
            host = np.asarray(array)
        except (TypeError, RuntimeError, ValueError) as error:
            raise TypeError(
                f"{name} is a {_type_name(array)} on device {_compat().device(array)} that "
                f"cannot be copied to the host ({error}); options, float labels and a class "
                "axis other than the last are computed with numpy on the host: expected a "
                f"CPU array (for torch, {name}.detach().cpu()), or the default options with "
                "integer labels or float distributions, which run on the array's device"
            ) from None
    if is_bf16:
        import ml_dtypes

        host = host.astype(ml_dtypes.bfloat16)
    return host


def _on_host(func: Callable[..., Any], name: str, xp: Any, x: Any, options: dict) -> Any:
    """``func`` on host copies of every array argument, the result in ``x``'s type and device."""
    host = {key: _to_host(value, key) for key, value in options.items()}
    call = dict(host)
    first, targets = call.pop(name), call.pop("targets")
    result = np.asarray(func(first, targets, **call))
    return _from_host(xp, result, x)


def _from_host(xp: Any, result: np.ndarray, like: Any) -> Any:
    """The numpy ``result`` as an array of ``like``'s library, on its device."""
    device = _compat().device(like)
    if is_bfloat16(result.dtype):
        moved = xp.asarray(result.astype(np.float32), device=device)
        return xp.astype(moved, xp.bfloat16)
    return xp.asarray(result, device=device)


# --- the native route: the defaults on the array's device ---------------------------------


def _native(
    func: Callable[..., Any],
    kind: str,
    name: str,
    xp: Any,
    x: Any,
    targets: object,
    options: dict,
) -> Any:
    """The default loss or gradient with ``xp``'s functions, or None to take the host route.

    None for targets the native route does not read (float labels, another library's
    array). A failed check runs the numpy function on host copies for its exact message.
    """
    x = xp_real_named(xp, x, name)
    if x.ndim == 0 or math.prod(x.shape) == 0:
        return None  # the numpy function's message
    device = _compat().device(x)
    if not _is_foreign(targets):
        t_host = np.asarray(targets)
        if t_host.dtype.kind not in "iuf":
            return None
        t = xp.asarray(t_host, device=device)
    elif _compat().array_namespace(targets) is not xp and type(targets) is not type(x):
        return None
    else:
        t = targets
    shape, k = tuple(x.shape), x.shape[-1]
    labels = tuple(t.shape) == shape[:-1] and xp.isdtype(t.dtype, "integral")
    distribution = tuple(t.shape) == shape and xp.isdtype(t.dtype, "real floating")
    if not (labels or distribution):
        return None
    dtype = x.dtype
    work = dtype if dtype in (xp.float32, xp.float64) else xp.float32
    xw = xp.astype(x, work)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        bad = _bad_input(xp, kind, xw, dtype, t, labels, k)
        if bool(bad):
            return _raise_on_host(func, name, xp, options)
        if labels:
            classes = xp.arange(k, dtype=t.dtype, device=device)
            y = xp.astype(xp.expand_dims(t, axis=-1) == classes, work)
        else:
            y = xp.astype(t, work)
        n = math.prod(shape[:-1])
        zero = xp.zeros_like(xw)
        positive = y > 0
        if kind == "cross_entropy":
            log_s = xp.log(xp.where(positive, xw, xp.ones_like(xw)))
            result = (0 - xp.sum(xp.where(positive, y * log_s, zero))) / n
        elif kind == "cross_entropy_grad":
            result = xp.where(positive, -y / xp.where(positive, xw, xp.ones_like(xw)), zero) / n
        elif kind == "softmax_cross_entropy":
            log_s = _xp_forward(xp, "log_softmax", xw, (x.ndim - 1,), 1.0, False)
            result = (0 - xp.sum(xp.where(positive, y * log_s, zero))) / n
        else:  # softmax_cross_entropy_grad
            s = _xp_forward(xp, "softmax", xw, (x.ndim - 1,), 1.0, False)
            result = (s * xp.sum(y, axis=-1, keepdims=True) - y) / n
    return xp.astype(result, dtype)


def _bad_input(xp: Any, kind: str, xw: Any, dtype: Any, t: Any, labels: bool, k: int) -> Any:
    """A 0-d bool array: True when the numpy function would refuse the input."""
    if labels:
        bad = xp.any(t < 0) | xp.any(t >= k)
    else:
        bad = xp.any(~xp.isfinite(t)) | xp.any(t < 0)
    if kind.startswith("cross_entropy"):  # probabilities, within the numpy tolerance
        eps = xp.finfo(dtype).eps
        tolerance = max(1e-4, math.sqrt(float(eps)))
        outside = xp.isnan(xw) | (xw < 0) | (xw > 1 + tolerance)
        off = ~(xp.abs(xp.sum(xw, axis=-1) - 1) <= tolerance)
        bad = bad | xp.any(outside) | xp.any(off)
    return bad


def _raise_on_host(func: Callable[..., Any], name: str, xp: Any, options: dict) -> Any:
    """Run the numpy function on host copies: it raises the message of the failed check."""
    try:
        host = {key: _to_host(value, key) for key, value in options.items()}
    except TypeError:
        raise ValueError(
            f"{name} or targets failed the checks of {func.__name__} (probabilities in [0, 1] "
            "summing to 1 per row, labels in [0, K), targets finite and non-negative); "
            f"pass host copies to see which value: {func.__name__}(np.asarray({name}), ...)"
        ) from None
    first, targets = host.pop(name), host.pop("targets")
    result = np.asarray(func(first, targets, **host))
    return _from_host(xp, result, options[name])  # the checks differ only at their edges


# --- dask: per-block numpy, a lazy reduction ----------------------------------------------


def _dask(
    func: Callable[..., Any],
    kind: str,
    name: str,
    x: Any,
    targets: object,
    changed: dict[str, Any],
) -> Any:
    """The loss or gradient of a dask ``x``, lazily, block by block."""
    import dask.array as da

    refused = sorted(set(changed) - {"axis", "reduction"})
    if refused:
        raise TypeError(
            f"{refused[0]}= is not supported for dask arrays (its mean or upstream gradient "
            f"spans every block); received {name} of type {_type_name(x)}; expected "
            f"{refused[0]}=None/default, or compute first: {func.__name__}({name}.compute(), "
            "...) gives the numpy result"
        )
    reduction = changed.get("reduction", "mean")
    if reduction not in ("mean", "sum", "none"):
        func(np.ones((1, 1)), np.zeros(1, dtype=np.int64), reduction=reduction)  # its error
    x = da.asarray(x)
    axis = normalize_axes(changed.get("axis", -1), x.ndim)[0] if x.ndim else 0
    if x.ndim == 0:
        func(np.asarray(x.compute()), targets)  # the numpy function's message
    require_whole_class_axes(x, (axis,), name)
    t = da.asarray(targets)
    label_shape = x.shape[:axis] + x.shape[axis + 1 :]
    if t.shape == label_shape and x.ndim:
        t = da.expand_dims(t, axis).rechunk(
            tuple((1,) if i == axis else c for i, c in enumerate(x.chunks))
        )
        labels = True
    elif t.shape == x.shape:
        t, labels = t.rechunk(x.chunks), False
    else:
        raise ValueError(
            f"targets has shape {t.shape}, which does not fit {name} of shape {x.shape}; "
            f"expected {x.shape} (one-hot or soft targets) or {label_shape} (integer class "
            "labels)"
        )
    # The result's dtype and the numpy function's checks of dtypes, on a tiny example.
    sample = np.zeros((1,) * x.ndim, dtype=x.dtype)
    sample[(0,) * x.ndim] = 1
    t_sample = np.zeros((1,) * (x.ndim - labels), dtype=t.dtype)
    if not labels:
        t_sample[...] = 1
    dtype = np.asarray(func(sample, t_sample, axis=axis)).dtype
    n = math.prod(label_shape)
    if kind.endswith("_grad"):
        block = functools.partial(_grad_block, func, axis, labels)
        grad = da.map_blocks(block, x, t, dtype=dtype, chunks=x.chunks)
        return (grad / n).astype(dtype) if reduction == "mean" else grad  # none: of the sum
    block = functools.partial(_loss_block, func, axis, labels)
    chunks = tuple((1,) if i == axis else c for i, c in enumerate(x.chunks))
    losses = da.map_blocks(block, x, t, dtype=dtype, chunks=chunks)
    losses = da.squeeze(losses, axis=axis)
    if reduction == "none":
        return losses
    work = np.float64 if dtype == np.float64 else np.float32
    total = losses.astype(work).sum()
    return (total if reduction == "sum" else total / n).astype(dtype)


def _loss_block(func: Callable[..., Any], axis: int, labels: bool, x: Any, t: Any) -> Any:
    """One block's per-sample losses, with a class axis of length 1 (for map_blocks)."""
    t = np.squeeze(t, axis=axis) if labels else t
    return np.expand_dims(np.asarray(func(x, t, axis=axis, reduction="none")), axis)


def _grad_block(func: Callable[..., Any], axis: int, labels: bool, x: Any, t: Any) -> Any:
    """One block's gradient of the summed loss."""
    t = np.squeeze(t, axis=axis) if labels else t
    return func(x, t, axis=axis, reduction="sum")
