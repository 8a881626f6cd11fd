r"""The derivative of softmax: its Jacobian, and products with it (VJP and JVP).

Write :math:`s = \operatorname{softmax}(z)` along the class axis, with
:math:`K` classes. The quotient rule applied to
:math:`s_i = e^{z_i} / \sum_k e^{z_k}` gives

.. math::

    \frac{\partial s_i}{\partial z_j}
        = \frac{\delta_{ij} e^{z_i} \sum_k e^{z_k} - e^{z_i} e^{z_j}}
               {\left(\sum_k e^{z_k}\right)^2}
        = s_i (\delta_{ij} - s_j),

where the Kronecker delta :math:`\delta_{ij}` is 1 when :math:`i = j` and 0
otherwise. As a matrix, :math:`J = \operatorname{diag}(s) - s s^\top`.

Every output depends on every input, so the derivative is a :math:`K \times K`
matrix, not a vector. Backpropagation never needs that matrix, only its
product with the upstream gradient :math:`g = \partial E / \partial s`:

.. math::

    J^\top g = s \odot \left(g - \langle s, g \rangle\right),

which costs :math:`O(K)` per sample instead of :math:`O(K^2)` and works with
*any* loss :math:`E`. Only the softmax output ``s`` is needed, never the
logits.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from softmax_course import _fast
from softmax_course._arrayapi import array_api_vjp
from softmax_course._validation import (
    Axis,
    _describe,
    as_real_array,
    check_out,
    normalize_axes,
    working_dtype,
)
from softmax_course.parallel import resolve_workers

__all__ = ["softmax_jacobian", "softmax_jvp", "softmax_vjp"]

_FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _single_axis(axis: object, ndim: int) -> int:
    """The class axis as a non-negative int; a Jacobian needs exactly one class axis."""
    if isinstance(axis, (tuple, list)) or axis is None:
        raise TypeError(
            f"axis must be a single int (the class axis); received {_describe(axis)}; "
            "to differentiate a softmax over several axes, reshape them into one first"
        )
    return normalize_axes(axis, ndim)[0]  # type: ignore[arg-type]  # int by now


def softmax_jacobian(s: ArrayLike, /, axis: int = -1) -> NDArray[np.floating]:
    r"""Jacobian of softmax, :math:`J_{ij} = \partial s_i / \partial z_j`, from its output ``s``.

    .. math::

        J = \operatorname{diag}(s) - s s^\top, \qquad
        J_{ij} = s_i (\delta_{ij} - s_j).

    Parameters
    ----------
    s : array_like
        Softmax output (probabilities), not the logits. Any shape; float
        input keeps its dtype, integer and boolean input becomes float64.
    axis : int, optional
        The class axis of ``s``. Default ``-1``.

    Returns
    -------
    ndarray
        Shape ``(*batch, K, K)``, where ``batch`` is the shape of ``s`` with
        the class axis removed and :math:`K` its length: one :math:`K \times K`
        matrix per sample, the two Jacobian axes last. For ``s`` of shape
        ``(N, K)`` this is ``(N, K, K)``.

    Raises
    ------
    TypeError
        If ``s`` is not real numeric data, or ``axis`` is not a single int.
    ValueError
        If ``axis`` is out of range for ``s``.

    See Also
    --------
    softmax_vjp : the product :math:`J^\top g` without building :math:`J`.
    softmax_jvp : the product :math:`J v` without building :math:`J`.

    Notes
    -----
    Derivation. With :math:`S = \sum_k e^{z_k}`, :math:`\partial e^{z_i} /
    \partial z_j = \delta_{ij} e^{z_i}` and :math:`\partial S / \partial z_j
    = e^{z_j}`, so the quotient rule gives

    .. math::

        \frac{\partial s_i}{\partial z_j}
        = \frac{\delta_{ij} e^{z_i}}{S} - \frac{e^{z_i} e^{z_j}}{S^2}
        = s_i \delta_{ij} - s_i s_j .

    The matrix is built without a loop over samples: the outer product
    :math:`-s s^\top` by broadcasting, then ``s`` added to its diagonal
    through the writeable view ``np.einsum('...ii->...i', J)``.

    Properties, for a softmax output: :math:`J` is symmetric; every row and
    column sums to 0 (:math:`J \mathbf{1} = 0`, because adding a constant to
    all logits changes nothing); so :math:`J` is singular. It is positive
    semi-definite, and for :math:`K \ge 2` probabilities that are all
    positive its rank is :math:`K - 1`.

    Memory is :math:`N K^2` numbers: use :func:`softmax_vjp` for
    backpropagation.

    Special cases: NaN in ``s`` propagates to its row and column; a
    probability of exactly 0 (from a ``-inf`` logit) gives a zero row and
    column. An empty class axis gives an empty ``(*batch, 0, 0)`` array.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import softmax, softmax_jacobian
    >>> s = softmax(np.array([1.0, 2.0]))
    >>> J = softmax_jacobian(s)
    >>> J
    array([[ 0.19661193, -0.19661193],
           [-0.19661193,  0.19661193]])

    The diagonal alone, :math:`s_i (1 - s_i)`, is not the derivative: the
    off-diagonal terms say that raising one logit lowers every other
    probability. Rows sum to zero:

    >>> J.sum(axis=-1)
    array([0., 0.])

    A batch of shape ``(N, K)`` gives one matrix per sample:

    >>> softmax_jacobian(softmax(np.zeros((4, 3)))).shape
    (4, 3, 3)
    """
    s = as_real_array(s, "s")
    class_axis = _single_axis(axis, s.ndim)
    s_last = np.moveaxis(s, class_axis, -1)
    jacobian = -s_last[..., :, None] * s_last[..., None, :]  # -s_i s_j, a new array
    # delta_ij: add s_i on the diagonal, through a writeable view (no identity matrix needed)
    np.einsum("...ii->...i", jacobian)[...] += s_last
    return jacobian


def _product(
    s: ArrayLike,
    other: ArrayLike,
    axis: Axis,
    other_name: str,
    out: np.ndarray | None,
    workers: int | None = 1,
) -> np.ndarray:
    """``s * (other - sum(s * other, axis))``, shared by the VJP and the JVP."""
    s = as_real_array(s, "s")
    other = as_real_array(other, other_name)
    if s.shape != other.shape:
        raise ValueError(
            f"s and {other_name} must have the same shape; received s of shape {s.shape} "
            f"and {other_name} of shape {other.shape}; expected {other_name} to hold one "
            "number per probability in s"
        )
    axes = normalize_axes(axis, s.ndim)
    workers = resolve_workers(workers)
    dtype = np.result_type(s.dtype, other.dtype)
    if out is not None:
        check_out(out, s.shape, dtype)
    if s.dtype == other.dtype == dtype and dtype in _FAST_DTYPES and axes == (s.ndim - 1,):
        # class axis last, one float dtype: cache-blocked kernel, no (N, K) temporaries
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            return _fast.vjp(s, other, out=out, workers=workers)
    compute = working_dtype(dtype)
    s_c = s.astype(compute, copy=False)
    other_c = other.astype(compute, copy=False)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        inner = np.sum(s_c * other_c, axis=axes, keepdims=True)  # <s, g> per sample
        result = s_c * (other_c - inner)  # new arrays: inputs untouched
    if out is None:
        return result.astype(dtype, copy=False)
    np.copyto(out, result, casting="same_kind")
    return out


@array_api_vjp
def softmax_vjp(
    s: ArrayLike,
    g: ArrayLike,
    /,
    axis: Axis = -1,
    *,
    out: np.ndarray | None = None,
    workers: int | None = None,
) -> NDArray[np.floating]:
    r"""Backward pass of softmax: the vector-Jacobian product :math:`J^\top g`.

    .. math::

        \frac{\partial E}{\partial z} = J^\top g = s \odot \left(g - \langle s, g\rangle\right),
        \qquad g = \frac{\partial E}{\partial s}.

    Parameters
    ----------
    s : array_like
        Softmax output (probabilities) saved from the forward pass.
    g : array_like
        Upstream gradient :math:`\partial E / \partial s`, same shape as ``s``,
        from any loss :math:`E`.
    axis : int, tuple of int or None, optional
        The class axis (or axes) the softmax was taken over. Default ``-1``.
    out : ndarray, optional
        Array of the result's shape and dtype to write into; it may be ``s``
        or ``g`` itself.
    workers : int, optional
        Threads for the row blocks of a large array, as in
        :func:`softmax_course.softmax` (``None``: the default of
        :func:`softmax_course.set_workers`; ``-1``: all available
        cores). The result is bitwise the same for every value.

    Returns
    -------
    ndarray
        :math:`\partial E / \partial z`, the same shape as ``s``. The dtype is
        the common float dtype of ``s`` and ``g``.

    Raises
    ------
    TypeError
        If ``s`` or ``g`` is not real numeric data, ``axis`` is not an int,
        tuple of ints or None, ``out`` has the wrong dtype, or ``workers`` is
        not an int or None.
    ValueError
        If ``s`` and ``g`` differ in shape, ``axis`` is out of range, ``out``
        has the wrong shape or is read-only, or ``workers`` is 0 or below
        minus the number of available cores.

    See Also
    --------
    softmax_jacobian : the matrix :math:`J` itself, :math:`O(K^2)` memory.
    softmax_jvp : the forward-mode product :math:`J v`.

    Notes
    -----
    Derivation. By the chain rule :math:`\partial E / \partial z_j =
    \sum_i g_i \, \partial s_i / \partial z_j = \sum_i g_i s_i (\delta_{ij} -
    s_j) = s_j g_j - s_j \sum_i s_i g_i`. The matrix :math:`J` is never
    formed: one elementwise product, one sum per sample and one more
    product, :math:`O(K)` time and memory per sample.

    Because the formula only needs :math:`g`, softmax composes with any
    loss by the chain rule. For cross-entropy with one-hot :math:`y`,
    :math:`g = -y / s` (per sample) and the result collapses to
    :math:`s - y`.

    The result sums to 0 over the class axis (shifting all logits changes
    nothing), and adding a constant to :math:`g` along the class axis does
    not change it.

    Special cases: NaN in ``s`` or ``g`` propagates to the whole sample;
    a probability of exactly 0 gives a gradient of exactly 0 there as
    long as the upstream gradient is finite.

    Array types: torch, CuPy, JAX and array-api-strict ``s`` and ``g`` (of
    one library) give a result of that type, computed on its device with the
    same formula (float16 and bfloat16 in float32); dask arrays stay lazy,
    block by block, with each class axis in one chunk, as in
    :func:`softmax_course.softmax`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import softmax, softmax_jacobian, softmax_vjp
    >>> s = softmax(np.array([1.0, 2.0, 3.0]))
    >>> g = np.array([1.0, 0.0, 0.0])
    >>> softmax_vjp(s, g)
    array([ 0.08192507, -0.02203304, -0.05989202])

    The same as multiplying by the transposed Jacobian, without building it:

    >>> softmax_jacobian(s).T @ g
    array([ 0.08192507, -0.02203304, -0.05989202])

    With cross-entropy's upstream gradient :math:`-y/s` it gives :math:`s - y`:

    >>> y = np.array([0.0, 0.0, 1.0])
    >>> np.allclose(softmax_vjp(s, -y / s), s - y)
    True
    """
    return _product(s, g, axis, "g", out, workers)


def softmax_jvp(s: ArrayLike, v: ArrayLike, /, axis: Axis = -1) -> NDArray[np.floating]:
    r"""Forward-mode derivative of softmax: the Jacobian-vector product :math:`J v`.

    .. math::

        J v = s \odot \left(v - \langle s, v\rangle\right).

    This is how much ``s`` moves, to first order, when the logits move by
    :math:`v`: :math:`\operatorname{softmax}(z + \epsilon v) \approx s +
    \epsilon J v`.

    Parameters
    ----------
    s : array_like
        Softmax output (probabilities).
    v : array_like
        A tangent (direction in logit space), same shape as ``s``.
    axis : int, tuple of int or None, optional
        The class axis (or axes). Default ``-1``.

    Returns
    -------
    ndarray
        :math:`J v`, the same shape as ``s``.

    Raises
    ------
    TypeError, ValueError
        As in :func:`softmax_vjp`, with ``v`` in place of ``g``.

    See Also
    --------
    softmax_vjp, softmax_jacobian

    Notes
    -----
    :math:`J = \operatorname{diag}(s) - s s^\top` is symmetric, so
    :math:`J v = J^\top v`: the JVP and the VJP are the same formula.
    (For most functions they differ; for softmax they coincide.)

    Because :math:`J \mathbf{1} = 0`, a tangent that raises every logit by
    the same amount gives :math:`J v = 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import softmax, softmax_jvp
    >>> z = np.array([1.0, 2.0, 3.0])
    >>> v = np.array([0.0, 0.0, 1.0])
    >>> softmax_jvp(softmax(z), v)
    array([-0.05989202, -0.1628034 ,  0.22269543])
    >>> eps = 1e-6
    >>> ((softmax(z + eps * v) - softmax(z - eps * v)) / (2 * eps)).round(8)
    array([-0.05989202, -0.1628034 ,  0.22269543])

    Raising every logit by the same amount moves nothing (up to rounding):

    >>> np.abs(softmax_jvp(softmax(z), np.ones(3))).max() < 1e-15
    np.True_
    """
    return _product(s, v, axis, "v", None)
