"""Hypothesis strategies shared by every property test (one place, as in minitorch)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: Logits whose spread stays moderate, so float64 identities hold near 1e-12.
moderate_floats = st.floats(-50.0, 50.0, allow_nan=False, allow_infinity=False)
#: Any finite float64 at all, to test that nothing overflows.
any_finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


def logits(
    *,
    min_dims: int = 1,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 6,
    elements: st.SearchStrategy[float] = moderate_floats,
    dtype: np.dtype | type = np.float64,
) -> st.SearchStrategy[np.ndarray]:
    """Arrays of logits of any shape within the bounds; the class axis is the last one."""
    return hnp.arrays(
        dtype=dtype,
        shape=hnp.array_shapes(
            min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
        ),
        elements=elements,
    )


def batches(
    *, max_n: int = 8, max_k: int = 8, elements: st.SearchStrategy[float] = moderate_floats
) -> st.SearchStrategy[np.ndarray]:
    """2-D batches of shape (N, K) with N >= 1 samples and K >= 1 classes."""
    return hnp.arrays(
        dtype=np.float64,
        shape=st.tuples(st.integers(1, max_n), st.integers(1, max_k)),
        elements=elements,
    )


@st.composite
def logits_and_axis(draw, **kwargs) -> tuple[np.ndarray, int]:
    """An array of logits together with a valid (possibly negative) axis."""
    x = draw(logits(**kwargs))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    return x, axis


# --- targets for the cross-entropy tests (losses.py) -------------------------------------


@st.composite
def logits_and_labels(draw, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Logits of shape (..., K) and integer labels of shape (...) with values in [0, K)."""
    z = draw(logits(**kwargs))
    labels = draw(
        hnp.arrays(dtype=np.int64, shape=z.shape[:-1], elements=st.integers(0, z.shape[-1] - 1))
    )
    return z, labels


@st.composite
def logits_and_distributions(draw, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Logits of shape (..., K) and soft targets of the same shape, each row summing to 1."""
    z = draw(logits(**kwargs))
    weights = draw(hnp.arrays(dtype=np.float64, shape=z.shape, elements=st.floats(0.0, 1.0)))
    weights[..., 0] += 1e-3  # keep every row's total positive before normalizing
    return z, weights / weights.sum(axis=-1, keepdims=True)


# --- derivatives (derivatives.py, gradcheck.py) -------------------------------------------

#: Logits small enough that every probability is at least ~1e-5 for K <= 6 (J has rank K - 1).
small_floats = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False)
#: Upstream gradients g and tangents v.
unit_floats = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False)


@st.composite
def logits_axis_and_vector(draw, **kwargs) -> tuple[np.ndarray, int, np.ndarray]:
    """Logits, a valid class axis, and a vector of the same shape (an upstream gradient)."""
    z, axis = draw(logits_and_axis(**kwargs))
    g = draw(hnp.arrays(dtype=np.float64, shape=z.shape, elements=unit_floats))
    return z, axis, g


#: Points to differentiate at: any shape up to 4 per side, entries of order 1.
gradcheck_points = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    elements=st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False),
)
#: Like gradcheck_points, with entries that stay normal floats after scaling by 1e-3 (0 included).
scalable_points = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    elements=st.floats(-3.0, 3.0).filter(lambda v: v == 0 or abs(v) > 1e-290),
)

#: A logit or a masked score (-inf), as in attention with a mask.
masked_floats = st.one_of(moderate_floats, st.just(-np.inf))


# --- the autodiff engine (autodiff.py) ----------------------------------------------------

#: Entries of order 1: every operation's finite difference is accurate to ~1e-9 there.
order_one_floats = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


@st.composite
def broadcastable_pairs(draw, *, positive_second: bool = False):
    """Arrays ``a``, ``b`` of mutually broadcastable shapes and a weight ``w`` of their result.

    With ``positive_second`` the entries of ``b`` lie in [0.5, 2] (a denominator, a log's input).
    """
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
    )
    second = st.floats(0.5, 2.0) if positive_second else order_one_floats
    a = draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=order_one_floats))
    b = draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=second))
    w = draw(hnp.arrays(np.float64, shapes.result_shape, elements=order_one_floats))
    return a, b, w


@st.composite
def arrays_without_ties(draw, *, min_dims: int = 1, max_dims: int = 3):
    """Arrays in [-2, 2] whose entries differ by at least 0.05 (no ties for a maximum)."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, max_side=4))
    size = int(np.prod(shape))
    steps = draw(st.lists(st.integers(-40, 40), min_size=size, max_size=size, unique=True))
    return np.array(steps, dtype=np.float64).reshape(shape) / 20


@st.composite
def matmul_operands(draw):
    """``A`` of shape (..., n, k) and ``B`` of shape (k, m) or (..., k, m), each side <= 4."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(st.sampled_from([(), (2,)]))
    a = draw(hnp.arrays(np.float64, batch + (n, k), elements=order_one_floats))
    b_batch = draw(st.sampled_from([(), batch]))
    b = draw(hnp.arrays(np.float64, b_batch + (k, m), elements=order_one_floats))
    return a, b
