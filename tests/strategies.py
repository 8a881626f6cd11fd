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
