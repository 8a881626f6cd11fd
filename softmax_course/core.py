r"""The forward functions: softmax, log-softmax and log-sum-exp.

For logits :math:`z \in \mathbb{R}^K` along the class axis,

.. math::

    \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}}, \qquad
    \operatorname{logsumexp}(z) = \log \sum_{j=1}^{K} e^{z_j}, \qquad
    \log\operatorname{softmax}(z)_i = z_i - \operatorname{logsumexp}(z).

All three are evaluated after subtracting :math:`m = \max_j z_j`, which
changes nothing mathematically (the factor :math:`e^{-m}` cancels) and keeps
every exponent at or below zero, so nothing overflows.

The reference formulation, for a batch with the class axis last, is::

    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    s = e / np.sum(e, axis=-1, keepdims=True)

For float32/float64 input with a single class axis that is the last one,
the functions run the same arithmetic through the cache-blocked, in-place
kernels of :mod:`softmax_course._fast` (row blocks of about 1 MiB, no
``(N, K)`` temporary besides the output); for large C-contiguous input, and
when numba is installed, those kernels hand the rows to compiled loops
instead (:mod:`softmax_course.backend`; ``sc.set_backend("numpy")`` turns
them off). Everything else (another class axis, several axes, float16,
longdouble, empty arrays) takes the reference path below, which is short
enough to read as the definition. The options the kernels do not take
(``where=`` masks, complex input, logsumexp's ``b=`` and ``return_sign=``)
take the numpy path of :mod:`softmax_course._general`.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from softmax_course import _fast, _general
from softmax_course._arrayapi import array_api_dispatch
from softmax_course._validation import (
    Axis,
    as_numeric_array,
    as_weights,
    check_out,
    check_positive_scalar,
    check_where,
    normalize_axes,
    working_dtype,
)
from softmax_course.parallel import resolve_workers

__all__ = ["log_softmax", "logsumexp", "softmax"]


def _shifted(x: np.ndarray, axes: tuple[int, ...], temperature: float) -> np.ndarray:
    """Return ``(x - max(x)) / temperature`` along ``axes``, in the working dtype.

    The maximum of an empty slice is taken as ``-inf`` so that empty class
    axes give empty results instead of an exception.
    """
    x = x.astype(working_dtype(x.dtype), copy=False)
    row_max = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    shifted = x - row_max  # a new array: the caller's x is never written to
    if temperature != 1.0:
        shifted /= temperature
    return shifted


def _same_layout(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` and ``b`` are the same memory with the same strides (``out=x``)."""
    return a.ctypes.data == b.ctypes.data and a.strides == b.strides


def _rows_or_none(a: np.ndarray) -> np.ndarray | None:
    """``a`` as a 2-D ``(N, K)`` *view* with the class axis last, or None if that needs a copy."""
    if a.ndim <= 2 or a.flags.c_contiguous:
        return a.reshape(-1, a.shape[-1])
    return None


def _fast_rowwise(
    kernel, x: np.ndarray, out: np.ndarray | None, temperature: float, workers: int = 1
) -> np.ndarray:
    """Run a blocked row kernel of :mod:`softmax_course._fast` on ``x`` with the class axis last.

    ``x`` is flattened to ``(N, K)`` (a view, or a C-contiguous copy of a
    strided array). The kernel writes straight into ``out`` when it
    is a view-compatible buffer that is either ``x`` itself or disjoint from
    it; otherwise it writes into a fresh array that is copied into ``out``.
    """
    # Rows are read from a C-contiguous array: the compiled kernels need one, and a strided
    # input then gives the same bits as its contiguous copy on either backend.
    x2 = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
    if out is None:
        result = np.empty(x.shape, dtype=x.dtype)
        kernel(x2, result.reshape(x2.shape), temperature, workers=workers)
        return result
    o2 = _rows_or_none(out)
    # Only a C-contiguous out is written directly: the kernel's sums over a strided or
    # Fortran-ordered buffer run in another order, so the bits would differ from out=None.
    if (
        o2 is not None
        and o2.flags.c_contiguous
        and (_same_layout(out, x) or not np.may_share_memory(out, x))
    ):
        kernel(x2, o2, temperature, workers=workers)
    else:  # another layout, or a partial overlap: compute as without out=, then copy
        fresh = kernel(x2, np.empty(x2.shape, dtype=x.dtype), temperature, workers=workers)
        np.copyto(out, fresh.reshape(x.shape))
    return out


def _deliver(result: np.ndarray, dtype: np.dtype, out: np.ndarray | None) -> np.ndarray:
    """Cast ``result`` back to ``dtype`` and copy it into ``out`` if one was given.

    The cast happens in the error state that ignores overflow: a float16
    log-probability below -65504 rounds to ``-inf``, which is the correctly
    rounded value, not an event to warn about. A 0-d result without ``out``
    becomes a numpy scalar, as numpy's ufuncs and reductions return
    (``np.exp(np.array(1.0))`` is ``np.float64(2.718...)``).
    """
    with np.errstate(over="ignore"):
        if out is None:
            return _scalar_if_0d(np.asarray(result).astype(dtype, copy=False))
        np.copyto(out, result, casting="same_kind")
    return out


def _scalar_if_0d(result: np.ndarray) -> np.ndarray:
    """``result`` itself, or its single element as a numpy scalar if it has shape ``()``."""
    return result[()] if result.ndim == 0 else result


def _log_total(
    e: np.ndarray, axes: tuple[int, ...], finite: np.ndarray | bool = True
) -> np.ndarray:
    r"""``log(sum(e))`` over ``axes`` for ``e = exp(x - m)``, accurate when one term dominates.

    The term of the maximum is exactly :math:`e^0 = 1`, so the sum is
    :math:`1 + r` with :math:`r` the sum of the other terms. Rounding ``1 + r``
    keeps only the digits of :math:`r` above the rounding unit of 1
    (``2.2e-16`` in float64); below half of it, ``1 + r`` is exactly 1 and
    :math:`\log 1 = 0` loses :math:`\log(1 + r) \approx r` entirely. Where
    the sum is below 2 (then exactly one term equals 1, and :math:`r < 1`)
    this returns ``log1p(r)`` with :math:`r` summed without that term; above
    2, ``log(sum)`` is already accurate to a few ulps. ``finite`` (keepdims
    shape) marks the slices whose maximum was finite (shifted by it); the
    others keep ``log``.
    """
    total = np.sum(e, axis=axes, keepdims=True)
    rest = np.sum(e, axis=axes, keepdims=True, where=e < 1)  # every term but the 1
    return np.where((total < 2) & finite, np.log1p(rest), np.log(total))


@array_api_dispatch("softmax")
def softmax(
    x: ArrayLike,
    /,
    axis: Axis = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    workers: int | None = None,
    dtype: DTypeLike | None = None,
) -> NDArray[np.inexact]:
    r"""Softmax of ``x`` along ``axis``: exponentiate, then normalize to sum to 1.

    .. math::

        s_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}
            = \frac{e^{(z_i - m) / T}}{\sum_j e^{(z_j - m) / T}},
        \qquad m = \max_j z_j .

    Parameters
    ----------
    x : array_like
        Logits ``z``. Float input keeps its dtype (float16 is computed in
        float32 and rounded once at the end); integer and boolean input
        becomes float64; complex input keeps its complex dtype (see Notes).
    axis : int, tuple of int or None, optional
        The class axis (or axes) to normalize over. Default ``-1``, the last
        axis, so a batch of shape ``(N, K)`` gives one distribution per row.
        ``None`` normalizes over the whole array.
    temperature : float, optional
        :math:`T > 0`. Large :math:`T` flattens the distribution toward
        uniform, small :math:`T` sharpens it toward the one-hot argmax.
    where : array_like of bool, optional
        Mask broadcastable to the shape of ``x``: only the entries where it
        is True take part (JAX's ``where=``); the masked entries get
        probability 0, whatever ``x`` holds there (even NaN or ``inf``).
        A fully masked slice gives 0 throughout, without NaN or warning.
    out : ndarray, optional
        Array of the result's shape and dtype to write into. It may be ``x``
        itself when ``x`` is a float array. Any layout (Fortran order, a
        strided view) receives exactly the bits returned without ``out``: a
        C-contiguous ``out`` is written directly, another layout receives a copy.
    workers : int, optional
        Threads for the row blocks of a large array (as in :mod:`scipy.fft`):
        ``None`` is the default of :func:`softmax_course.set_workers`
        (1 unless set), ``-1`` all cores available to the process. Small
        arrays stay on the calling thread; the result is bitwise the same for
        every value.
    dtype : dtype, optional
        Cast ``x`` to this floating dtype (float16, bfloat16, float32, float64
        or longdouble) before the computation; the result has it too, as
        PyTorch's ``dtype=``. ``None`` (the default) keeps the rules above; any
        other dtype raises ``TypeError``.

    Returns
    -------
    ndarray or numpy scalar
        Probabilities of the same shape and dtype as ``x``: each slice along
        ``axis`` is non-negative and sums to 1 (over its kept entries with
        ``where``; 0 at the masked ones). A 0-d ``x`` (only with
        ``axis=None``) gives a numpy scalar, as numpy's ufuncs do, unless
        ``out`` is given.

    Raises
    ------
    TypeError
        If ``x`` is object or string data, ``axis`` is not an int or tuple of
        ints, ``temperature`` is not a real number, ``where`` is not boolean,
        ``out`` is not an array of the result's dtype, or ``workers`` is not
        an int or None.
    ValueError
        If ``axis`` is out of range or repeated, ``temperature`` is not finite
        and positive, ``where`` does not broadcast to the shape of ``x``,
        ``out`` has the wrong shape or is read-only, or ``workers`` is 0 or
        below minus the number of available cores.

    See Also
    --------
    log_softmax : the logarithm of this, computed without taking ``log`` of a
        rounded probability.
    scipy.special.softmax : the reference this agrees with.

    Notes
    -----
    Subtracting the maximum is exact algebra:
    :math:`e^{z_i - m} / \sum_j e^{z_j - m} = e^{-m} e^{z_i} / (e^{-m} \sum_j e^{z_j})`.
    Numerically it matters: every exponent is :math:`\le 0`, the largest
    term is exactly 1, so the denominator lies in :math:`[1, K]` and can
    neither overflow nor underflow to 0. No warning is emitted for finite
    input.

    Special cases follow ``scipy.special.softmax``: a slice containing NaN
    or ``+inf``, or a slice that is entirely ``-inf``, gives NaN throughout;
    ``-inf`` entries next to finite ones get probability 0.

    Masks: with ``where``, the kept entries of a slice get exactly the
    softmax of those entries alone (:math:`m` and the sum run over them),
    so the special cases above apply to the kept entries; the masked ones
    hold 0. A slice with no kept entry is a distribution over nothing: 0
    throughout, with no NaN and no ``RuntimeWarning`` (filling the masked
    entries with ``-inf`` gives NaN there instead, see the last example).

    Complex ``x``, as ``scipy.special.softmax`` defines it: the same formula
    with the complex exponential, shifted by the largest entry in numpy's
    ordering of complex numbers (real part first, then imaginary part);
    the result has the dtype of ``x`` and each slice sums to 1, but its
    entries are complex, not probabilities.

    Performance: for float32/float64 input whose class axis is the last one,
    the same arithmetic runs in cache-sized row blocks, writing straight into
    the result (see :mod:`softmax_course._fast`); with ``out=x`` it allocates
    nothing of size :math:`N \times K` at all. ``python -m softmax_course.bench``
    compares it with ``scipy.special`` and with a plain memory copy. A call
    with ``where`` or complex ``x`` takes the plain numpy formulation instead
    (full-size temporaries, one thread: ``workers`` has no effect there).

    Array types and dtypes: bfloat16 (``ml_dtypes.bfloat16``, the type JAX
    uses) is computed in float32 and rounded once, as float16 is. Arrays of
    other libraries (torch, CuPy, JAX, array-api-strict: anything
    ``array_api_compat.array_namespace`` knows; ``pip install
    "softmax-course[arrayapi]"``) are computed with their own library's
    functions, on their device, by the same steps (shift by the maximum,
    ``log1p`` of the terms other than the maximum's), and the result has the
    input's type; integer input becomes that library's default floating
    dtype. A dask array stays lazy: this function runs on each block
    (``map_blocks``), which needs each class axis in one chunk (a
    ``ValueError`` names the ``x.rechunk`` call otherwise). ``out=`` and the
    compiled kernels are for numpy arrays; ``workers=`` is checked and then
    left to the other library's own threads.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import softmax
    >>> softmax(np.array([3.0, 1.0, 0.2]))
    array([0.8360188 , 0.11314284, 0.05083836])

    The naive formula overflows where this one does not:

    >>> z = np.array([1000.0, 5.0])
    >>> with np.errstate(over="ignore", invalid="ignore"):
    ...     np.exp(z) / np.exp(z).sum()
    array([nan,  0.])
    >>> softmax(z)
    array([1., 0.])

    A batch is normalized row by row (the class axis is the last one):

    >>> softmax(np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])).round(4)
    array([[0.09  , 0.2447, 0.6652],
           [0.3333, 0.3333, 0.3333]])

    Temperature trades sharpness for spread:

    >>> softmax(np.array([1.0, 2.0, 3.0]), temperature=10.0).round(4)
    array([0.3006, 0.3322, 0.3672])

    A mask leaves entries out: the kept ones share the probability, and a
    fully masked row gives 0 where filling with ``-inf`` gives NaN:

    >>> z = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> keep = np.array([[True, False, True], [False, False, False]])
    >>> softmax(z, where=keep).round(4)
    array([[0.1192, 0.    , 0.8808],
           [0.    , 0.    , 0.    ]])
    >>> softmax(np.where(keep, z, -np.inf)).round(4)
    array([[0.1192, 0.    , 0.8808],
           [   nan,    nan,    nan]])

    ``dtype=`` computes in another floating type (PyTorch's meaning):

    >>> softmax(np.array([1.0, 2.0]), dtype=np.float32).dtype
    dtype('float32')

    An array of another library (torch, JAX, array-api-strict, ...) comes back
    in its own type; ``tests/test_array_api.py`` shows each (those libraries are
    not dependencies of the package, so no example here needs one).
    """
    del dtype  # applied by array_api_dispatch, which casts x before this body runs
    x = as_numeric_array(x, "x")
    axes = normalize_axes(axis, x.ndim)
    temperature = check_positive_scalar(temperature, "temperature")
    keep = None if where is None else check_where(where, x.shape)
    workers = resolve_workers(workers)
    if out is not None:
        check_out(out, x.shape, x.dtype)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if keep is not None or x.dtype.kind == "c":  # the numpy path of the options
            work = x.astype(working_dtype(x.dtype), copy=False)
            return _deliver(_general.softmax(work, axes, temperature, keep), x.dtype, out)
        if _fast.can_use_fast_path(x, axes):
            return _fast_rowwise(_fast.softmax_rows, x, out, temperature, workers)
        exp_shifted = np.exp(_shifted(x, axes, temperature))
        probs = exp_shifted / np.sum(exp_shifted, axis=axes, keepdims=True)
    return _deliver(probs, x.dtype, out)


@array_api_dispatch("log_softmax")
def log_softmax(
    x: ArrayLike,
    /,
    axis: Axis = -1,
    *,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    out: np.ndarray | None = None,
    workers: int | None = None,
    dtype: DTypeLike | None = None,
) -> NDArray[np.inexact]:
    r"""Logarithm of the softmax of ``x`` along ``axis``, computed stably.

    .. math::

        \log s_i = \frac{z_i - m}{T} - \log \sum_j e^{(z_j - m) / T},
        \qquad m = \max_j z_j .

    Parameters
    ----------
    x : array_like
        Logits ``z``; dtype rules as for :func:`softmax`.
    axis : int, tuple of int or None, optional
        The class axis (or axes). Default ``-1``.
    temperature : float, optional
        :math:`T > 0`, as in :func:`softmax`.
    where : array_like of bool, optional
        Mask broadcastable to the shape of ``x``, as in :func:`softmax`: only
        the entries where it is True take part, and the masked entries hold
        ``-inf`` (the log of their probability 0). A fully masked slice
        gives ``-inf`` throughout, without NaN or warning.
    out : ndarray, optional
        Array of the result's shape and dtype to write into; any layout receives
        exactly the bits returned without ``out``, as in :func:`softmax`.
    workers : int, optional
        Threads for a large array, as in :func:`softmax`.
        ``None`` is the default (:func:`softmax_course.set_workers`).
    dtype : dtype, optional
        Cast ``x`` to this floating dtype first, as in :func:`softmax`.

    Returns
    -------
    ndarray or numpy scalar
        Log-probabilities, all :math:`\le 0`, of the same shape and dtype as
        ``x`` (``-inf`` at masked entries); a numpy scalar for a 0-d ``x``
        (``axis=None``) without ``out``.

    Raises
    ------
    TypeError, ValueError
        For bad ``x``, ``axis``, ``temperature``, ``where``, ``out`` or
        ``workers``, as in :func:`softmax`.

    See Also
    --------
    softmax, logsumexp, scipy.special.log_softmax

    Notes
    -----
    ``np.log(softmax(x))`` rounds first and takes the log second: a
    probability below about the smallest subnormal number of the dtype
    (``4.9e-324`` in float64, ``1.4e-45`` in float32; exactly, below half of
    it) has already become 0, and its log is ``-inf``; one between that and
    the smallest normal number (``2.2e-308`` in float64, ``1.2e-38`` in
    float32) keeps only some of its digits.
    Here the subtraction happens in log space, so a class 1000 logits below
    the best one gets ``-1000`` rather than ``-inf``. The log of the
    denominator lies in :math:`[0, \log K]`.

    The denominator is :math:`1 + r`, where 1 is the term of the maximum and
    :math:`r` the sum of the others; its log is computed as
    :math:`\operatorname{log1p}(r)`, never as ``log`` of the rounded
    ``1 + r``. For a confident prediction (:math:`r` below the rounding unit,
    ``2.2e-16``) the largest entry is then :math:`-r` to full relative
    precision instead of exactly 0: the cross-entropy loss of a confident,
    correct prediction is small but not zero.

    Special cases: a slice containing NaN or ``+inf``, or an all ``-inf``
    slice, gives NaN throughout, exactly where :func:`softmax` gives NaN;
    ``-inf`` next to finite entries gives ``-inf``; a 0-d ``x`` with
    ``axis=None`` gives ``np.float64(0.0)`` (or NaN if it is not finite).
    (``scipy.special.log_softmax`` agrees except next to ``+inf``, where it
    returns ``-inf`` for the finite entries and NaN only for the ``+inf``
    one.)

    Masks: the kept entries of a slice get the log-softmax of those entries
    alone, the masked ones ``-inf``, so that ``exp`` of the result is
    ``softmax(x, where=...)``. A fully masked slice gives ``-inf``
    throughout, with no NaN and no ``RuntimeWarning``. Such calls take the
    numpy path (as in :func:`softmax`), with the same ``log1p`` of the
    terms other than the maximum's.

    Complex ``x``, as ``scipy.special.log_softmax`` defines it:
    :math:`t - \log \sum_j e^{t_j}` with :math:`t = (z - m)/T`, :math:`m` the
    largest entry in numpy's ordering of complex numbers (replaced by 0 if
    it is not finite) and numpy's principal ``log`` of the complex sum; the
    result has the dtype of ``x``, and its ``exp`` is :func:`softmax`.

    Array types, bfloat16 and ``dtype=`` are handled as in :func:`softmax`:
    a torch, CuPy, JAX or array-api-strict array gives the same type back,
    computed on its device; a dask array stays lazy.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import log_softmax, softmax
    >>> z = np.array([0.0, -1000.0])
    >>> with np.errstate(divide="ignore"):
    ...     np.log(softmax(z))
    array([  0., -inf])
    >>> log_softmax(z)
    array([    0., -1000.])

    A confident prediction keeps its tiny log-probability gap (here
    :math:`-\log(1 + e^{-40}) \approx -e^{-40}`):

    >>> log_softmax(np.array([0.0, -40.0]))
    array([-4.24835426e-18, -4.00000000e+01])

    Masked entries hold ``-inf``; a fully masked row is ``-inf``, not NaN:

    >>> keep = np.array([[True, False, True], [False, False, False]])
    >>> log_softmax(np.array([[0.0, 9.0, 0.0], [1.0, 2.0, 3.0]]), where=keep).round(6)
    array([[-0.693147,      -inf, -0.693147],
           [     -inf,      -inf,      -inf]])
    """
    del dtype  # applied by array_api_dispatch, which casts x before this body runs
    x = as_numeric_array(x, "x")
    axes = normalize_axes(axis, x.ndim)
    temperature = check_positive_scalar(temperature, "temperature")
    keep = None if where is None else check_where(where, x.shape)
    workers = resolve_workers(workers)
    if out is not None:
        check_out(out, x.shape, x.dtype)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if keep is not None or x.dtype.kind == "c":  # the numpy path of the options
            work = x.astype(working_dtype(x.dtype), copy=False)
            return _deliver(_general.log_softmax(work, axes, temperature, keep), x.dtype, out)
        if _fast.can_use_fast_path(x, axes):
            return _fast_rowwise(_fast.log_softmax_rows, x, out, temperature, workers)
        shifted = _shifted(x, axes, temperature)
        shifted -= _log_total(np.exp(shifted), axes)  # a non-finite max made the slice NaN
    return _deliver(shifted, x.dtype, out)


@overload
def logsumexp(
    x: ArrayLike,
    /,
    axis: Axis = ...,
    *,
    b: ArrayLike | None = ...,
    keepdims: bool = ...,
    return_sign: Literal[False] = ...,
    where: ArrayLike | None = ...,
    workers: int | None = ...,
    dtype: DTypeLike | None = ...,
) -> NDArray[np.inexact] | np.inexact: ...


@overload
def logsumexp(
    x: ArrayLike,
    /,
    axis: Axis = ...,
    *,
    b: ArrayLike | None = ...,
    keepdims: bool = ...,
    return_sign: Literal[True],
    where: ArrayLike | None = ...,
    workers: int | None = ...,
    dtype: DTypeLike | None = ...,
) -> tuple[NDArray[np.floating] | np.floating, NDArray[np.inexact] | np.inexact]: ...


@array_api_dispatch("logsumexp")
def logsumexp(
    x: ArrayLike,
    /,
    axis: Axis = -1,
    *,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
    where: ArrayLike | None = None,
    workers: int | None = None,
    dtype: DTypeLike | None = None,
) -> Any:
    r"""Log of the (weighted) sum of exponentials along ``axis``, without overflow.

    .. math::

        \operatorname{logsumexp}(z) = \log \sum_j b_j e^{z_j}
                                    = m + \log \sum_j b_j e^{z_j - m},
        \qquad m = \max_j z_j ,

    with all weights :math:`b_j = 1` unless ``b`` is given.

    Parameters
    ----------
    x : array_like
        Input values; dtype rules as for :func:`softmax` (complex input
        gives a complex result, see Notes).
    axis : int, tuple of int or None, optional
        Axis or axes to reduce. Default ``-1``; ``None`` reduces everything.
        With ``b``, the axes of the shape that ``x`` and ``b`` broadcast to.
    b : array_like, optional
        Weights :math:`b_j` (``scipy.special.logsumexp``'s ``b``): real or
        complex, broadcast against ``x`` as numpy broadcasts (either may
        have more axes). A term with :math:`b_j = 0` drops out, even where
        :math:`z_j` is ``inf`` or NaN. Negative weights may make the sum
        negative; its log is then NaN unless ``return_sign``. The result's
        dtype is the common dtype of ``x`` and ``b`` (float64 if both are
        integers).
    keepdims : bool, optional
        Keep the reduced axes with length 1, so the result broadcasts
        against ``x`` (as in ``x - logsumexp(x, keepdims=True)``).
    return_sign : bool, optional
        Return ``(log|sum|, sign(sum))`` instead of ``log(sum)``, as scipy
        does: the sign is +1, -1 or 0 (a sum of 0, whose log is ``-inf``) for
        real input, the complex phase :math:`\text{sum}/|\text{sum}|` for
        complex input.
    where : array_like of bool, optional
        Mask broadcastable to the shape of ``x`` (of ``x`` and ``b``): only
        the entries where it is True take part (JAX's ``where=``), as if the
        others were not there. A fully masked slice is an empty sum:
        ``-inf`` (sign 0), without NaN or warning.
    workers : int, optional
        Threads for a large array, as in :func:`softmax`.
    dtype : dtype, optional
        Cast ``x`` to this floating dtype first, as in :func:`softmax`.

    Returns
    -------
    ndarray or numpy scalar
        The reduction, in the dtype of ``x`` (float64 for integer input; the
        common dtype with ``b``). When every axis is reduced without
        ``keepdims`` (``axis=None``, or the last axis of a 1-D ``x``) or
        ``x`` is 0-d, the result is a numpy scalar such as ``np.float64``,
        as numpy's own reductions return. With ``return_sign`` the real
        :math:`\log|\text{sum}|`.
    ndarray or numpy scalar
        Only with ``return_sign``: the sign (real input) or phase (complex
        input) of the sum, in the result's dtype (complex for complex input).

    Raises
    ------
    TypeError
        For bad ``x``, ``axis`` or ``workers``, as in :func:`softmax`; if
        ``keepdims`` or ``return_sign`` is not a bool, ``b`` is not numeric,
        or ``where`` is not boolean.
    ValueError
        For a bad ``axis`` or ``workers``, as in :func:`softmax`; if ``b``
        does not broadcast against ``x``, or ``where`` does not broadcast to
        their shape.

    See Also
    --------
    scipy.special.logsumexp : the reference this agrees with.

    Notes
    -----
    It is a smooth maximum: :math:`\max_j z_j \le \operatorname{logsumexp}(z)
    \le \max_j z_j + \log K`, and its gradient is :math:`\operatorname{softmax}(z)`.

    Precision: the term of the maximum is exactly :math:`e^0 = 1`, and the
    result is evaluated as

    .. math::

        \operatorname{logsumexp}(z) = m + \operatorname{log1p}(r), \qquad
        r = \sum_{j \ne j^*} e^{z_j - m},

    with :math:`j^*` one position of the maximum, as ``scipy.special.logsumexp``
    does (scipy issue 18295). ``log(1 + r)`` would round ``1 + r`` first and
    return exactly 0 for ``z = [0, -40]``, whose true value is
    :math:`\log(1 + e^{-40}) = 4.2 \times 10^{-18}`: a relative error of
    100% whenever one term dominates.

    Special cases follow ``scipy.special.logsumexp``: a slice that is all
    ``-inf`` (or empty) gives ``-inf``; a slice containing ``+inf`` and no
    NaN gives ``+inf``; NaN gives NaN. When :math:`m` is not finite the
    shift uses 0 instead, so ``inf - inf`` never appears. With
    ``axis=None`` a scalar or 0-d ``x`` is its own logsumexp. Full
    reductions return numpy scalars (see Returns); ``keepdims=True``
    returns an array whenever ``x`` has at least one axis.

    Weights and signs: every nonzero term is written
    :math:`b_j e^{z_j} = \sigma_j e^{c_j}` with :math:`c_j = z_j + \log|b_j|`
    and :math:`\sigma_j = \operatorname{sign} b_j`, and the dominant term is
    the largest :math:`c_{j^*}`, so that

    .. math::

        \log\Bigl|\sum_j b_j e^{z_j}\Bigr| = c_{j^*} + \log|1 + r|, \qquad
        r = \sum_{j \ne j^*} \sigma_j \sigma_{j^*} e^{c_j - c_{j^*}}
        \in [-(K - 1), K - 1],

    with ``log1p(r)`` (or ``log1p(-r - 2)`` when :math:`r < -1`) and the sign
    :math:`\sigma_{j^*} \operatorname{sign}(1 + r)`. scipy shifts by
    :math:`\max_j z_j` whatever the weights, and loses the sum when the
    weights decide which term dominates (see the examples). The differences
    :math:`z_j - z_{j^*}` and :math:`\log|b_j| - \log|b_{j^*}|` are taken
    separately, so equal weights cost no precision; other weights add a
    relative error of about :math:`|\log|b_j||\,\epsilon` to a term (at most
    ``1.6e-13`` in float64). Special values where the math has an answer
    (scipy issues 22903 and 23548): infinite terms of one sign give ``inf``
    with that sign (``z = [inf, 0]``, ``b = [-1, 1]``: ``(inf, -1.0)``),
    infinite terms of both signs (``inf - inf``) give NaN, a sum that
    cancels exactly gives ``(-inf, 0.0)``, and a zero weight times an
    infinite :math:`e^{z_j}` is no term at all; an infinite weight on
    :math:`e^{-\infty} = 0` is undefined and gives NaN.

    Complex ``x`` or ``b`` follow ``scipy.special.logsumexp`` step by step:
    the shift is the entry of largest real part, the same ``log1p`` of the
    other terms, the direct ``log(sum(b * exp(x)))`` where that is not
    finite (complex infinities follow the C99 rules of ``exp`` and ``log``),
    and the imaginary part (or the phase) wrapped into :math:`(-\pi, \pi]`.

    ``b``, ``return_sign``, ``where`` and complex input take the numpy path
    (:mod:`softmax_course._general`: full-size temporaries, one thread,
    ``workers`` has no effect); plain real calls keep the row kernels and
    their bits.

    Array types, bfloat16 and ``dtype=`` are handled as in :func:`softmax`:
    a torch, CuPy, JAX or array-api-strict array gives the same type back
    (a full reduction is a 0-d array of that type), computed on its device
    with the same shift and ``log1p``; a dask array stays lazy (one result
    per block of rows).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import logsumexp
    >>> z = np.array([1000.0, 1000.0])
    >>> with np.errstate(over="ignore"):
    ...     np.log(np.sum(np.exp(z)))
    np.float64(inf)
    >>> logsumexp(z).round(8)  # a full reduction gives a numpy scalar
    np.float64(1000.69314718)
    >>> logsumexp(np.array([[0.0, 0.0], [1.0, -np.inf]]), axis=-1)
    array([0.69314718, 1.        ])

    One dominant term: ``log`` of the rounded sum loses everything, ``log1p``
    of the other terms does not:

    >>> z = np.array([0.0, -40.0])
    >>> np.log(np.sum(np.exp(z)))
    np.float64(0.0)
    >>> print(f"{logsumexp(z):.6e}")  # log(1 + e^-40), about e^-40
    4.248354e-18

    Weights, and a difference of exponentials with its sign,
    :math:`e^1 - e^2 = -(e^2 - e^1)`, :math:`\log(e^2 - e^1) = 1.541...`:

    >>> logsumexp(np.array([0.0, 1.0]), b=np.array([2.0, 3.0])).round(8)
    np.float64(2.31795098)
    >>> print(np.log(2 + 3 * np.e).round(8))
    2.31795098
    >>> logsumexp(np.array([1.0, 2.0]), b=np.array([1.0, -1.0]))
    np.float64(nan)
    >>> value, sign = logsumexp(np.array([1.0, 2.0]), b=np.array([1.0, -1.0]), return_sign=True)
    >>> print(round(float(value), 8), sign)
    1.54132485 -1.0

    When the weights decide which term dominates,
    :math:`\log(10^{300} e^0 + 10^{-300} e^{800}) \approx \log 10^{300}`;
    a shift by :math:`\max_j z_j` alone (scipy's) loses the first term:

    >>> z, b = np.array([0.0, 800.0]), np.array([1e300, 1e-300])
    >>> print(logsumexp(z, b=b).round(6), np.log(1e300).round(6))
    690.775528 690.775528
    >>> shifted = b * np.exp(z - z.max())  # e^-800 underflows to 0: the 1e300 is gone
    >>> print((z.max() + np.log(shifted.sum())).round(6))
    109.224472

    A mask leaves entries out; a fully masked row is an empty sum:

    >>> z = np.array([[0.0, 50.0, 0.0], [1.0, 2.0, 3.0]])
    >>> keep = np.array([[True, False, True], [False, False, False]])
    >>> logsumexp(z, where=keep).round(8)  # [log 2, log of nothing]
    array([0.69314718,       -inf])
    """
    del dtype  # applied by array_api_dispatch, which casts x before this body runs
    x = as_numeric_array(x, "x")
    for name, flag in (("keepdims", keepdims), ("return_sign", return_sign)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool; received {flag!r}; expected True or False")
    workers = resolve_workers(workers)
    if b is not None or where is not None or return_sign or x.dtype.kind == "c":
        return _logsumexp_options(x, axis, b, keepdims, return_sign, where)
    axes = normalize_axes(axis, x.ndim)
    input_dtype = x.dtype
    if _fast.can_use_fast_path(x, axes):
        result = np.empty(x.shape[:-1], dtype=x.dtype)
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            _fast.logsumexp_rows(x.reshape(-1, x.shape[-1]), result.reshape(-1), workers=workers)
        return result[..., None] if keepdims else _scalar_if_0d(result)
    x = x.astype(working_dtype(input_dtype), copy=False)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        row_max = np.asarray(np.max(x, axis=axes, keepdims=True, initial=-np.inf))
        finite = np.isfinite(row_max)
        shift = np.where(finite, row_max, 0)  # all -inf, +inf or NaN slices: do not shift
        result = _log_total(np.exp(x - shift), axes, finite) + shift
    if not keepdims:
        result = np.squeeze(result, axis=axes)
    with np.errstate(over="ignore"):  # float16: a result above 65504 rounds to inf, quietly
        return _scalar_if_0d(np.asarray(result, dtype=input_dtype))


def _logsumexp_options(
    x: np.ndarray,
    axis: Axis,
    b: ArrayLike | None,
    keepdims: bool,
    return_sign: bool,
    where: ArrayLike | None,
) -> Any:
    """:func:`logsumexp` with ``b=``, ``return_sign=``, ``where=`` or complex input (numpy path).

    ``x`` and ``b`` are broadcast against each other (as in scipy), ``axis``
    refers to that shape, and the sum is computed in their common floating
    dtype; ``where`` broadcasts to that shape.
    """
    weights = None if b is None else as_weights(b, x.shape)
    dtype = x.dtype
    if weights is not None:  # a Python number as weight keeps x's dtype, as in numpy
        dtype = np.result_type(x, b if isinstance(b, (int, float, complex)) else weights)
    if dtype.kind not in "fc":
        dtype = np.dtype(np.float64)
    shape = x.shape if weights is None else np.broadcast_shapes(x.shape, weights.shape)
    axes = normalize_axes(axis, len(shape))
    keep = None if where is None else check_where(where, shape)
    work = working_dtype(dtype)
    x = np.broadcast_to(x, shape).astype(work)
    weights = None if weights is None else np.broadcast_to(weights, shape).astype(work)
    if not shape:  # a 0-d x (axis=None): a one-term sum
        x = x.reshape(1)
        weights = None if weights is None else weights.reshape(1)
        keep = None if keep is None else keep.reshape(1)
        axes, keepdims = (0,), False
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        out, sign = _general.logsumexp(x, axes, weights, keep, keepdims, return_sign)
    real_dtype = np.empty(0, dtype=dtype).real.dtype
    with np.errstate(over="ignore"):  # float16: a result above 65504 rounds to inf, quietly
        if not return_sign:
            return _scalar_if_0d(np.asarray(out, dtype=dtype))
        return _scalar_if_0d(np.asarray(out, dtype=real_dtype)), _scalar_if_0d(
            np.asarray(sign, dtype=dtype)
        )
