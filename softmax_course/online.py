r"""The online (single-pass) normalizer of softmax, over chunks of the class axis.

Milakov and Gimelshein (2018), "Online normalizer calculation for softmax",
keep two running numbers per row while the logits stream past once: the
maximum :math:`m` seen so far and the sum :math:`d` of exponentials *relative
to that maximum*. When a chunk raises the maximum, the old sum is rescaled:

.. math::

    m_\text{new} = \max(m_\text{old}, \max_j x_j), \qquad
    d_\text{new} = d_\text{old}\, e^{m_\text{old} - m_\text{new}}
                 + \sum_j e^{x_j - m_\text{new}} .

At the end :math:`d = \sum_j e^{x_j - m}` and :math:`\operatorname{logsumexp}
= m + \log d`. This is what attention kernels (FlashAttention) do tile by
tile, so that a row of scores never has to be stored whole.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

from softmax_course._validation import as_real_array, working_dtype

__all__ = ["online_logsumexp"]


def _accumulator(dtype: np.dtype) -> np.dtype:
    """The dtype of the running arrays: float64, or wider for longdouble chunks."""
    return np.promote_types(working_dtype(dtype), np.float64)


def online_logsumexp(chunks: Iterable[ArrayLike], /) -> np.ndarray:
    r"""Log-sum-exp over the last axis of arrays that arrive one chunk at a time.

    Equivalent to ``logsumexp(np.concatenate(list(chunks), axis=-1))`` but
    each chunk is read once and then dropped: memory is one chunk plus two
    running arrays of the batch shape.

    Parameters
    ----------
    chunks : iterable of array_like
        Pieces of the class axis, in any order: a list, a tuple or a
        generator of arrays (or of lists of numbers). All chunks share the
        leading (batch) shape; their last axes may differ in length (even be
        0). A single NumPy array is refused, because iterating over it would
        treat its *rows* as chunks: pass ``[x]``, or
        ``np.array_split(x, n, axis=-1)`` for ``n`` chunks of every row.

    Returns
    -------
    ndarray
        ``m + log(d)`` of the batch shape (a 0-d array for 1-D chunks). Its
        dtype is the one ``np.concatenate`` would give the chunks
        (``np.result_type`` of all of them, integers counted as float64):
        a float64 chunk after float32 ones makes the result float64, as
        for the concatenated array, and as accurate as the float64
        ``logsumexp`` of it: the running maximum and sum are kept in float64
        (or wider) whatever the chunks' dtype, and rounded to the result's
        dtype once at the end.

    Raises
    ------
    ValueError
        If ``chunks`` is empty, a chunk is 0-dimensional, or the batch shapes differ.
    TypeError
        If ``chunks`` is a single NumPy array, or a chunk is not real-valued
        (as for :func:`softmax_course.softmax`).

    Notes
    -----
    The update, with :math:`m` the running maximum and :math:`d` the running
    sum relative to it,

    .. math::

        m' = \max(m, \max_j x_j), \qquad
        d' = d\, e^{m - m'} + \sum_j e^{x_j - m'},

    keeps every exponent :math:`\le 0`, so nothing overflows, and it is exact
    algebra: :math:`d' e^{m'} = d e^{m} + \sum_j e^{x_j}`. When the running
    maximum is not finite (all ``-inf`` so far, ``+inf`` or NaN), 0 is used as
    the shift instead, which gives the special values of
    :func:`softmax_course.logsumexp`: ``-inf`` for an all ``-inf`` row, ``+inf``
    with ``+inf`` present, NaN with NaN present.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course import logsumexp
    >>> from softmax_course.online import online_logsumexp
    >>> x = np.array([[1.0, 2.0, 3.0, 4.0], [1000.0, 0.0, 1000.0, -5.0]])
    >>> online_logsumexp([x[:, :1], x[:, 1:3], x[:, 3:]])
    array([   4.4401897 , 1000.69314718])
    >>> bool(np.allclose(online_logsumexp(np.split(x, 2, axis=-1)), logsumexp(x)))
    True

    The array itself is not an iterable of chunks:

    >>> online_logsumexp(x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    TypeError: chunks must be an iterable of chunks (a list, tuple or generator); received ...
    """
    if isinstance(chunks, np.ndarray):
        raise TypeError(
            f"chunks must be an iterable of chunks (a list, tuple or generator); received a "
            f"single array of shape {chunks.shape}, whose iteration would treat its rows as "
            "chunks; expected [x] for one chunk, or np.array_split(x, n, axis=-1) to split "
            "every row into n chunks"
        )
    # running shift (the max, or 0 if not finite) and sum: set by the first chunk, and read
    # only after it (an empty iterable raises below, before any is read)
    ref: np.ndarray
    total: np.ndarray
    running_max: np.ndarray
    dtype = work = None
    batch_shape: tuple[int, ...] = ()
    for index, chunk in enumerate(chunks):
        x = as_real_array(chunk, f"chunks[{index}]")
        if x.ndim == 0:
            raise ValueError(
                f"chunks[{index}] is 0-dimensional; expected arrays whose last axis holds classes"
            )
        if dtype is None:
            dtype = x.dtype
            batch_shape = x.shape[:-1]
            work = _accumulator(dtype)
            ref = np.zeros(batch_shape, dtype=work)
            running_max = np.full(batch_shape, -np.inf, dtype=work)
            total = np.zeros(batch_shape, dtype=work)
        elif x.shape[:-1] != batch_shape:
            raise ValueError(
                f"chunks[{index}] has batch shape {x.shape[:-1]}; expected {batch_shape}, "
                "the leading shape of the first chunk"
            )
        else:
            # Promote as np.concatenate would: a wider chunk (longdouble) widens the running
            # arrays (exactly), it is never rounded down to the first chunk's dtype.
            dtype = np.result_type(dtype, x.dtype)
            if _accumulator(dtype) != work:
                work = _accumulator(dtype)
                ref, running_max, total = (a.astype(work) for a in (ref, running_max, total))
        x = x.astype(work, copy=False)
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            running_max = np.maximum(running_max, np.max(x, axis=-1, initial=-np.inf))
            new_ref = np.where(np.isfinite(running_max), running_max, 0).astype(work)
            # Rescale the old sum to the new reference, then add this chunk's terms.
            # (A zero sum means every value so far was -inf: it stays 0, never 0 * inf.)
            rescaled = np.where(total == 0, 0, total * np.exp(ref - new_ref))
            total = rescaled + np.sum(np.exp(x - new_ref[..., None]), axis=-1)
            ref = new_ref
    if dtype is None:
        raise ValueError("chunks must contain at least one array; received an empty iterable")
    # The running arrays are float64 (at least) whatever the chunks: a float64 chunk after
    # float32 ones then gets a float64-accurate result, and float32 input is rounded once.
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return np.asarray(np.log(total) + ref, dtype=dtype)
