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

The same one-line products for the two functions built on the same sum,
:math:`\operatorname{logsumexp}(z) = \log \sum_k e^{z_k}` (whose gradient is
:math:`s`) and :math:`\log \operatorname{softmax}(z) = z -
\operatorname{logsumexp}(z)` (whose Jacobian is :math:`I - \mathbf{1}
s^\top`): :func:`logsumexp_vjp` and :func:`log_softmax_vjp`.

Every product takes ``where=``, a boolean mask with JAX's meaning: masked
entries do not take part in the forward function, so their gradient is 0,
and a row with nothing left (fully masked, or every logit ``-inf``) has
gradient 0 instead of NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from softmax_course import _fast
from softmax_course._arrayapi import array_api_vjp
from softmax_course._arrayapi_grads import array_api_grad
from softmax_course._validation import (
    Axis,
    _describe,
    as_array,
    as_real_array,
    check_out,
    normalize_axes,
    working_dtype,
)
from softmax_course.core import softmax
from softmax_course.parallel import resolve_workers

__all__ = [
    "log_softmax_vjp",
    "logsumexp_vjp",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_vjp",
]

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


def _mask(where: object, shape: tuple[int, ...], array_name: str) -> np.ndarray:
    """``where`` as a boolean array of ``shape`` (a broadcast view: never written to)."""
    mask = as_array(where, "where", "booleans")
    if mask.dtype != np.bool_:
        raise TypeError(
            f"where must be a boolean mask (True: the entry takes part); received dtype "
            f"{mask.dtype}; expected a bool array broadcastable to {shape}, the shape of "
            f"{array_name} (for example z > -np.inf)"
        )
    try:
        return np.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(
            f"where must be broadcastable to {shape}, the shape of {array_name}; received "
            f"where of shape {mask.shape}"
        ) from None


def _zero_masked(result: np.ndarray, mask: np.ndarray, per_row: np.ndarray) -> None:
    """Zeros at the masked entries of ``result``, where the masked inputs were already 0.

    There the products are 0 already unless the per-row factor is NaN or infinite
    (``0 * inf``): only then is the (slow, random-access) masked write needed. Otherwise
    adding 0 turns the ``-0.0`` of ``0 * (negative)`` into ``0.0`` and changes nothing else.
    """
    zero = result.dtype.type(0)
    if np.isfinite(per_row).all():
        np.add(result, zero, out=result)
    else:
        np.copyto(result, zero, where=~mask)


def _same_shape(first: np.ndarray, second: np.ndarray, names: tuple[str, str], what: str) -> None:
    if first.shape != second.shape:
        a, b = names
        raise ValueError(
            f"{a} and {b} must have the same shape; received {a} of shape {first.shape} "
            f"and {b} of shape {second.shape}; expected {b} to hold one number per {what} in {a}"
        )


def _product(
    s: ArrayLike,
    other: ArrayLike,
    axis: Axis,
    other_name: str,
    out: np.ndarray | None,
    workers: int | None = 1,
    where: ArrayLike | None = None,
) -> np.ndarray:
    """``s * (other - sum(s * other, axis))``, shared by the VJP and the JVP."""
    if (
        out is None
        and where is None
        and type(s) is np.ndarray
        and type(other) is np.ndarray
        and s.ndim == 2
        and s.shape == other.shape
        and type(axis) is int
        and axis in (-1, 1)
    ):
        # The common call, 2-D rows of one float dtype: straight to the compiled kernel. The
        # layers below (checks, conversions, two more calls) cost a few microseconds, a
        # visible share of a 20-microsecond call (33 rows of 1000).
        result = _fast.vjp_compiled(s, other, resolve_workers(workers))
        if result is not None:
            return result
    s = as_real_array(s, "s")
    other = as_real_array(other, other_name)
    _same_shape(s, other, ("s", other_name), "probability")
    axes = normalize_axes(axis, s.ndim)
    workers = resolve_workers(workers)
    mask = None if where is None else _mask(where, s.shape, "s")
    dtype = s.dtype if s.dtype == other.dtype else np.result_type(s.dtype, other.dtype)
    if out is not None:
        check_out(out, s.shape, dtype)
    if (
        mask is None
        and s.dtype == other.dtype == dtype
        and dtype in _FAST_DTYPES
        and axes == (s.ndim - 1,)
    ):
        # class axis last, one float dtype: cache-blocked kernel, no (N, K) temporaries
        return _fast.vjp(s, other, out=out, workers=workers)
    compute = working_dtype(dtype)
    s_c = s.astype(compute, copy=False)
    other_c = other.astype(compute, copy=False)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if mask is None:
            inner = np.sum(s_c * other_c, axis=axes, keepdims=True)  # <s, g> per sample
            result = s_c * (other_c - inner)  # new arrays: inputs untouched
        else:  # masked entries take no part: whatever s and g hold there
            result = np.where(mask, s_c, compute.type(0))  # new arrays, then in place
            kept_other = np.where(mask, other_c, compute.type(0))
            inner = np.sum(result * kept_other, axis=axes, keepdims=True)
            np.subtract(kept_other, inner, out=kept_other)
            np.multiply(result, kept_other, out=result)
            _zero_masked(result, mask, inner)
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
    where: ArrayLike | None = None,
) -> NDArray[np.floating]:
    r"""Backward pass of softmax: the vector-Jacobian product :math:`J^\top g`.

    .. math::

        \frac{\partial E}{\partial z} = J^\top g = s \odot \left(g - \langle s, g\rangle\right),
        \qquad g = \frac{\partial E}{\partial s}.

    Parameters
    ----------
    s : array_like
        Softmax output (probabilities) saved from the forward pass (with
        ``where=``, the output of the masked softmax).
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
    where : array_like of bool, optional
        Mask broadcastable to ``s``, with JAX's meaning: only the entries
        where it is True took part in the softmax. Masked entries get
        gradient 0 whatever ``s`` and ``g`` hold there (NaN included), and
        the others get the gradient of the softmax over the kept entries.
        A fully masked sample gets 0. Default: every entry takes part.

    Returns
    -------
    ndarray
        :math:`\partial E / \partial z`, the same shape as ``s``. The dtype is
        the common float dtype of ``s`` and ``g``.

    Raises
    ------
    TypeError
        If ``s`` or ``g`` is not real numeric data, ``axis`` is not an int,
        tuple of ints or None, ``out`` has the wrong dtype, ``workers`` is
        not an int or None, or ``where`` is not boolean.
    ValueError
        If ``s`` and ``g`` differ in shape, ``axis`` is out of range, ``out``
        has the wrong shape or is read-only, ``workers`` is 0 or below
        minus the number of available cores, or ``where`` does not broadcast
        to the shape of ``s``.

    See Also
    --------
    softmax_jacobian : the matrix :math:`J` itself, :math:`O(K^2)` memory.
    softmax_jvp : the forward-mode product :math:`J v`.
    log_softmax_vjp, logsumexp_vjp : the same for the two log-space functions.

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

    Masks and rows without probability. With ``where``, masked entries of
    ``s`` and ``g`` are read as 0 and their gradient is set to 0: it is
    :math:`J^\top g` of the softmax restricted to the kept entries, with
    :math:`\langle s, g \rangle` summed over those only. A fully masked
    sample therefore gets gradient 0, the derivative of the forward's
    constant output there (0, as JAX's ``where=`` defines it), where the
    unmasked formula would give NaN. The same holds without a mask for a
    sample whose ``s`` is all 0 and whose ``g`` is finite. A sample whose
    logits are all ``-inf`` has ``s`` = NaN from :func:`softmax` (as in
    ``scipy.special.softmax``), which cannot be told apart from a NaN
    input: pass ``where=z > -np.inf`` (or the mask that produced the
    ``-inf``) to get gradient 0 there. Users of JAX (issue #6811) and
    PyTorch (issue #31829) report NaN gradients at ``-inf``, as when
    attention masks a whole row; here a masked row never produces them,
    and no ``RuntimeWarning`` is emitted.

    The plain call (``where=None``) runs the cache-blocked or compiled
    kernels described under ``workers``; a call with ``where`` runs plain
    numpy on one thread (``workers`` is then accepted and ignored).

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

    A mask: the last class took no part in the forward pass, and the
    second sample none at all. The gradient is that of the softmax over
    the kept entries, and 0 elsewhere (no NaN):

    >>> z = np.array([[1.0, 2.0, 7.0], [0.0, 0.0, 0.0]])
    >>> keep = np.array([[True, True, False], [False, False, False]])
    >>> s = np.zeros_like(z)
    >>> s[0, :2] = softmax(z[0, :2])  # the masked forward pass
    >>> g = np.array([[1.0, 0.0, 5.0], [1.0, 2.0, 3.0]])
    >>> softmax_vjp(s, g, where=keep)
    array([[ 0.19661193, -0.19661193,  0.        ],
           [ 0.        ,  0.        ,  0.        ]])
    >>> softmax_vjp(s[0, :2], g[0, :2])  # the same as leaving the class out
    array([ 0.19661193, -0.19661193])
    """
    return _product(s, g, axis, "g", out, workers, where)


@array_api_grad("softmax_jvp")
def softmax_jvp(
    s: ArrayLike, v: ArrayLike, /, axis: Axis = -1, *, where: ArrayLike | None = None
) -> NDArray[np.floating]:
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
    where : array_like of bool, optional
        Mask broadcastable to ``s``: only the entries where it is True took
        part in the softmax, as in :func:`softmax_vjp`. The masked outputs
        are constants (0), so their tangent is 0; the kept ones move with
        the kept logits only. A fully masked sample gets 0.

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

    With ``where``, :math:`J` is that of the softmax over the kept entries
    (zero rows and columns for the masked ones), still symmetric, so the
    JVP and the VJP remain the same formula; the call runs plain numpy.

    Array types: torch, CuPy, JAX and array-api-strict ``s`` and ``v`` (of
    one library) give a result of that type, computed on its device with the
    same formula (float16 and bfloat16 in float32); dask arrays stay lazy,
    block by block, with each class axis in one chunk. ``where`` is for
    numpy input only (a ``TypeError`` otherwise).

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
    return _product(s, v, axis, "v", None, where=where)


@array_api_grad("log_softmax_vjp")
def log_softmax_vjp(
    log_probs: ArrayLike,
    g: ArrayLike,
    /,
    axis: Axis = -1,
    *,
    where: ArrayLike | None = None,
) -> NDArray[np.floating]:
    r"""Backward pass of log-softmax, from its output: :math:`g - s \sum_i g_i`.

    With :math:`\ell = \log\operatorname{softmax}(z) = z -
    \operatorname{logsumexp}(z)` and :math:`s = e^{\ell}`,

    .. math::

        \frac{\partial \ell_i}{\partial z_j} = \delta_{ij} - s_j,
        \qquad
        \frac{\partial E}{\partial z} = g - s \sum_i g_i,
        \qquad g = \frac{\partial E}{\partial \ell}.

    Parameters
    ----------
    log_probs : array_like
        The output :math:`\ell` of :func:`softmax_course.log_softmax` saved
        from the forward pass (with ``where=``, the output of the masked
        forward pass), not the logits.
    g : array_like
        Upstream gradient :math:`\partial E / \partial \ell`, same shape as
        ``log_probs``.
    axis : int, tuple of int or None, optional
        The class axis (or axes) of the forward pass. Default ``-1``.
    where : array_like of bool, optional
        Mask broadcastable to ``log_probs``, with JAX's meaning: only the
        entries where it is True took part in the forward pass. Masked
        entries get gradient 0 whatever ``log_probs`` and ``g`` hold there;
        the sums run over the kept entries. Default: every entry.

    Returns
    -------
    ndarray
        :math:`\partial E / \partial z`, the same shape as ``log_probs``,
        in the common float dtype of ``log_probs`` and ``g`` (float16 is
        computed in float32).

    Raises
    ------
    TypeError
        If ``log_probs`` or ``g`` is not real numeric data, ``axis`` is not
        an int, tuple of ints or None, or ``where`` is not boolean.
    ValueError
        If ``log_probs`` and ``g`` differ in shape, ``axis`` is out of range,
        or ``where`` does not broadcast to the shape of ``log_probs``.

    See Also
    --------
    softmax_vjp : the same product for softmax, from its output ``s``.
    logsumexp_vjp : the gradient of the normalizer, :math:`g\,s`.

    Notes
    -----
    Derivation. :math:`\ell_i = z_i - \operatorname{logsumexp}(z)` and
    :math:`\partial \operatorname{logsumexp}(z) / \partial z_j = s_j`, so
    :math:`\partial \ell_i / \partial z_j = \delta_{ij} - s_j` and
    :math:`\sum_i g_i (\delta_{ij} - s_j) = g_j - s_j \sum_i g_i`.

    Why the output. The formula needs only :math:`s = e^{\ell}`, so the
    forward pass need not keep the logits; it is also what
    :func:`softmax_vjp` takes, and what PyTorch's log-softmax backward
    takes. :math:`s` is computed as :math:`\operatorname{softmax}(\ell)`,
    which equals :math:`e^{\ell}` because :math:`\operatorname{logsumexp}
    (\ell) = 0`, and runs on the cache-blocked and compiled kernels of
    :func:`softmax_course.softmax` (faster than numpy's ``exp``; the result
    then sums to 0 to rounding even if ``log_probs`` was rounded). Since
    :math:`\operatorname{softmax}(\ell) = \operatorname{softmax}(z)`,
    passing the logits :math:`z` instead gives the same gradient, up to
    rounding: both inputs work. For cross-entropy with targets
    :math:`y` (:math:`E = -\sum_i y_i \ell_i`, so :math:`g = -y`) the
    result is :math:`s \sum_i y_i - y`, which is :math:`s - y` for one-hot
    :math:`y`.

    The result sums to 0 over the class axis when :math:`\sum_i s_i = 1`.
    An entry with :math:`\ell_i = -\infty` (a ``-inf`` logit next to finite
    ones) has :math:`s_i = 0` and gradient :math:`g_i`, as the formula says.

    Rows without probability. A row whose every (kept) log-probability is
    ``-inf`` carries no probability at all: the forward output of a fully
    masked row, whose value does not depend on the logits. Its gradient is
    0, the convention of JAX's ``where=``, with no NaN and no
    ``RuntimeWarning``; so is that of a fully masked row, whatever it
    holds. :func:`softmax_course.log_softmax` of a row of logits that are
    all ``-inf`` is NaN (as in ``scipy.special.log_softmax``), which cannot
    be told apart from a NaN input and propagates: pass ``where=z > -np.inf``
    (or the mask that made the ``-inf``), or the logits themselves, for
    gradient 0 there. A NaN anywhere in a row of ``log_probs`` or ``g``
    propagates to the whole row. Users of JAX (issue #6811) and PyTorch
    (issue #31829) report NaN gradients at ``-inf``; here a masked row
    never produces them.

    With ``where``, the masked entries are replaced by ``-inf`` (and their
    ``g`` by 0) in copies, in plain numpy, before the same computation.

    Array types: torch, CuPy, JAX and array-api-strict ``log_probs`` and
    ``g`` (of one library) give a result of that type, computed on its
    device with that library's functions: :math:`s` is the softmax of
    ``log_probs`` with :func:`softmax_course.softmax`'s arithmetic, and a
    row that is all ``-inf`` gets 0 as above (float16 and bfloat16 in
    float32). dask arrays stay lazy, block by block, with each class axis
    in one chunk. ``where`` is for numpy input only (a ``TypeError``
    otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import log_softmax, log_softmax_vjp, softmax
    >>> z = np.array([1.0, 2.0, 3.0])
    >>> y = np.array([0.0, 0.0, 1.0])
    >>> log_softmax_vjp(log_softmax(z), -y)  # cross-entropy: s - y
    array([ 0.09003057,  0.24472847, -0.33475904])
    >>> softmax(z) - y
    array([ 0.09003057,  0.24472847, -0.33475904])

    A masked class takes no part, and a fully masked row gets 0 (no NaN):

    >>> log_probs = np.array([[np.log(0.5), np.log(0.5), -np.inf], [-np.inf] * 3])
    >>> keep = np.array([[True, True, False], [False, False, False]])
    >>> g = np.array([[1.0, 0.0, 5.0], [1.0, 2.0, 3.0]])
    >>> log_softmax_vjp(log_probs, g, where=keep)
    array([[ 0.5, -0.5,  0. ],
           [ 0. ,  0. ,  0. ]])

    The logits of the second row all ``-inf``: the forward pass gives NaN,
    and the mask of the finite logits gives a gradient of 0:

    >>> z = np.array([[0.0, 1.0], [-np.inf, -np.inf]])
    >>> g = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> log_softmax_vjp(log_softmax(z), g, where=z > -np.inf)
    array([[ 0.73105858, -0.73105858],
           [ 0.        ,  0.        ]])
    >>> log_softmax_vjp(log_softmax(z), g)  # without it: NaN, as from a NaN logit
    array([[ 0.73105858, -0.73105858],
           [        nan,         nan]])
    """
    log_probs = as_real_array(log_probs, "log_probs")
    g = as_real_array(g, "g")
    _same_shape(log_probs, g, ("log_probs", "g"), "log-probability")
    axes = normalize_axes(axis, log_probs.ndim)
    mask = None if where is None else _mask(where, log_probs.shape, "log_probs")
    dtype = np.result_type(log_probs.dtype, g.dtype)
    compute = working_dtype(dtype)
    ell = log_probs.astype(compute, copy=False)
    g_c = g.astype(compute, copy=False)
    zero = compute.type(0)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if mask is not None:  # masked entries take no part: whatever they hold
            ell = np.where(mask, ell, compute.type(-np.inf))
            g_c = np.where(mask, g_c, zero)
        result, empty = _probabilities(ell, axes)  # s = softmax(l) = e^l: a new array
        total = np.sum(g_c, axis=axes, keepdims=True)
        np.multiply(result, total, out=result)
        np.subtract(g_c, result, out=result)  # g - s sum(g); inputs untouched
        if empty is not None:  # no probability in the row: the forward output is a constant
            np.copyto(result, zero, where=empty)
        if mask is not None:
            _zero_masked(result, mask, total)
    return result.astype(dtype, copy=False)


def _probabilities(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """``softmax(x)`` (core's blocked and compiled paths) with 0, not NaN, in all ``-inf`` rows.

    Returns a new array and the (keepdims) rows without probability, or None when there
    are none. A row with NaN or ``+inf`` stays NaN, as in :func:`softmax_course.softmax`.
    """
    s = softmax(x, axis=axes)
    # a reduction, no (N, K) temporary; "not > 0" catches a 0 row as well as NaN, so this
    # holds whether softmax gives NaN (as scipy does) or 0 for a row that is all -inf
    if (np.sum(s, axis=axes) > 0).all():
        return s, None
    empty = np.max(x, axis=axes, keepdims=True, initial=-np.inf) == -np.inf  # NaN: False
    np.copyto(s, x.dtype.type(0), where=empty)
    return s, empty


def _reduced_gradient(
    g: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], axis: Axis
) -> np.ndarray:
    """``g`` (the shape of ``logsumexp(z, axis)``, with or without keepdims) with kept axes."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    reduced = tuple(n for i, n in enumerate(shape) if i not in axes)
    if g.shape == kept:
        return g
    if g.shape == reduced:
        return g.reshape(kept)  # only length-1 axes inserted: a view
    raise ValueError(
        f"g must have the shape of logsumexp(z, axis={axis!r}), {reduced} (or {kept} with "
        f"keepdims=True); received g of shape {g.shape} for z of shape {shape}"
    )


@array_api_grad("logsumexp_vjp")
def logsumexp_vjp(
    z: ArrayLike,
    g: ArrayLike,
    /,
    axis: Axis = -1,
    *,
    where: ArrayLike | None = None,
) -> NDArray[np.floating]:
    r"""Backward pass of logsumexp: :math:`g \, \operatorname{softmax}(z)`.

    .. math::

        \frac{\partial}{\partial z_j} \log \sum_k e^{z_k}
            = \frac{e^{z_j}}{\sum_k e^{z_k}} = s_j,
        \qquad
        \frac{\partial E}{\partial z} = g \, s,
        \qquad g = \frac{\partial E}{\partial \operatorname{logsumexp}(z)}.

    Parameters
    ----------
    z : array_like
        The logits the forward pass was taken of (the gradient is their
        softmax, which the output alone does not determine).
    g : array_like
        Upstream gradient, one number per sample: the shape of
        ``logsumexp(z, axis)``, with the class axes removed or, as with
        ``keepdims=True``, kept with length 1.
    axis : int, tuple of int or None, optional
        The class axis (or axes) the forward pass reduced. Default ``-1``.
    where : array_like of bool, optional
        Mask broadcastable to ``z``, with JAX's meaning: only the entries
        where it is True took part in the sum. Masked entries get gradient
        0 whatever ``z`` holds there; the others get :math:`g` times the
        softmax of the kept entries. Default: every entry.

    Returns
    -------
    ndarray
        :math:`\partial E / \partial z`, the shape of ``z``, in the common
        float dtype of ``z`` and ``g`` (float16 is computed in float32).

    Raises
    ------
    TypeError
        If ``z`` or ``g`` is not real numeric data, ``axis`` is not an int,
        tuple of ints or None, or ``where`` is not boolean.
    ValueError
        If ``g`` does not have the shape of ``logsumexp(z, axis)`` (with or
        without the reduced axes), ``axis`` is out of range, or ``where``
        does not broadcast to the shape of ``z``.

    See Also
    --------
    log_softmax_vjp : the gradient of :math:`z - \operatorname{logsumexp}(z)`.
    softmax_vjp : the backward pass of :math:`s`, this gradient.

    Notes
    -----
    Why the logits. :math:`\operatorname{logsumexp}(z)` is one number per
    sample and the gradient is a whole distribution :math:`s`, so the
    forward output cannot give it back: the softmax is recomputed here (by
    :func:`softmax_course.softmax`, with its cache-blocked and compiled
    paths), as JAX's VJP closes over the input. If the forward pass saved
    :math:`s`, multiply it by ``g`` directly.

    Special cases. A ``-inf`` logit next to finite ones gets gradient
    exactly 0 (for finite :math:`g`). A row whose every (kept) logit is
    ``-inf`` (or that is fully masked, or empty) has the constant
    logsumexp ``-inf`` and gradient 0 here, the convention of JAX's
    ``where=``, where the formula would give :math:`0/0` = NaN, as users
    of JAX (issue #6811) and PyTorch (issue #31829) report for their
    gradients at ``-inf``: a NaN that then spreads through every parameter
    of a model. No ``RuntimeWarning`` is emitted. A row containing NaN or
    ``+inf`` gives NaN, as its softmax does.

    With ``where``, the masked entries are replaced by ``-inf`` in a copy
    of ``z`` and take the same path.

    Array types: torch, CuPy, JAX and array-api-strict ``z`` and ``g`` (of
    one library) give a result of that type, computed on its device with
    that library's functions, 0 in a row that is all ``-inf`` as above
    (float16 and bfloat16 in float32). dask arrays stay lazy, block by
    block, with each class axis in one chunk (``g`` is rechunked to match).
    ``where`` is for numpy input only (a ``TypeError`` otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import logsumexp_vjp, softmax
    >>> z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -np.inf]])
    >>> g = np.array([1.0, 2.0])
    >>> logsumexp_vjp(z, g)
    array([[0.09003057, 0.24472847, 0.66524096],
           [1.        , 1.        , 0.        ]])

    Rows that contribute nothing get gradient 0, not NaN:

    >>> z = np.array([[-np.inf, -np.inf], [5.0, 5.0]])
    >>> logsumexp_vjp(z, np.ones(2), where=np.array([True, True]))
    array([[0. , 0. ],
           [0.5, 0.5]])
    >>> logsumexp_vjp(z, np.ones(2), where=np.array([[True, True], [False, False]]))
    array([[0., 0.],
           [0., 0.]])
    """
    z = as_real_array(z, "z")
    g = as_real_array(g, "g")
    axes = normalize_axes(axis, z.ndim)
    g_kept = _reduced_gradient(g, z.shape, axes, axis)
    mask = None if where is None else _mask(where, z.shape, "z")
    dtype = np.result_type(z.dtype, g.dtype)
    compute = working_dtype(dtype)
    z_c = z.astype(compute, copy=False)
    zero = compute.type(0)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if mask is not None:  # masked entries take no part: whatever they hold
            z_c = np.where(mask, z_c, compute.type(-np.inf))
        result, empty = _probabilities(z_c, axes)  # a new array: inputs untouched
        np.multiply(result, g_kept.astype(compute, copy=False), out=result)
        if empty is not None:  # a constant -inf there: gradient 0 even for g = inf or NaN
            np.copyto(result, zero, where=empty)
        if mask is not None:
            _zero_masked(result, mask, g_kept)
    return result.astype(dtype, copy=False)
