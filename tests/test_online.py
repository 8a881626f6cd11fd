"""online_logsumexp (one pass over chunks) agrees with scipy.special.logsumexp."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from softmax_course.online import online_logsumexp
from tests.strategies import any_finite_floats, logits


def split_last_axis(x, cuts):
    """Split x along its last axis at the sorted positions in cuts (empty chunks allowed)."""
    return np.split(x, sorted(cuts), axis=-1)


@given(logits(max_side=12), st.lists(st.integers(0, 12), max_size=5))
def test_matches_scipy_for_any_chunking(x, cuts):
    chunks = split_last_axis(x, [min(c, x.shape[-1]) for c in cuts])
    assert_allclose(
        online_logsumexp(chunks), scipy.special.logsumexp(x, axis=-1), rtol=1e-13, atol=1e-14
    )


@given(logits(elements=any_finite_floats, max_side=8), st.lists(st.integers(0, 8), max_size=4))
def test_never_overflows_for_finite_input(x, cuts):
    chunks = split_last_axis(x, [min(c, x.shape[-1]) for c in cuts])
    result = online_logsumexp(chunks)  # filterwarnings=error: no RuntimeWarning may leak
    assert np.all(np.isfinite(result))
    with np.errstate(all="ignore"):
        expected = scipy.special.logsumexp(x, axis=-1)
    assert_allclose(result, expected, rtol=1e-13, atol=1e-14)


def test_rescaling_when_the_maximum_grows_late():
    # Increasing chunks force a rescale at every step; the first ones would underflow alone.
    x = np.concatenate([np.full(3, -800.0), np.full(3, 0.0), np.full(3, 800.0)])
    result = online_logsumexp(np.split(x, 3))
    assert_allclose(result, 800 + np.log(3), rtol=1e-15)


@pytest.mark.parametrize(
    "row",
    [
        [-np.inf, -np.inf, 1.0, -1000.0],
        [-np.inf, -np.inf, -np.inf, -np.inf],
        [1.0, 2.0, np.inf, 3.0],
        [1.0, np.nan, 2.0, 3.0],
        [-np.inf, -np.inf, -2000.0, 3.0],
    ],
)
def test_special_values_match_scipy(row):
    x = np.array(row)
    with np.errstate(all="ignore"):
        expected = scipy.special.logsumexp(x)
    assert_allclose(online_logsumexp([x[:2], x[2:3], x[3:]]), expected, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_of_the_chunks_is_kept(dtype):
    x = np.arange(6, dtype=dtype).reshape(2, 3)
    result = online_logsumexp([x[:, :1], x[:, 1:]])
    assert result.dtype == dtype
    expected = scipy.special.logsumexp(x.astype(np.float64), axis=-1)
    assert_allclose(result, expected, rtol=1e-3 if dtype == np.float16 else 1e-6)


def test_chunks_may_be_a_generator_of_lists():
    result = online_logsumexp([float(i), float(i + 1)] for i in range(0, 6, 2))
    assert_allclose(result, scipy.special.logsumexp(np.arange(6.0)), rtol=1e-15)


def test_bad_chunks():
    with pytest.raises(ValueError, match=r"chunks must contain at least one array; received an"):
        online_logsumexp([])
    with pytest.raises(ValueError, match=r"chunks\[1\] has batch shape \(3,\); expected \(2,\)"):
        online_logsumexp([np.zeros((2, 4)), np.zeros((3, 4))])
    with pytest.raises(ValueError, match=r"chunks\[0\] is 0-dimensional"):
        online_logsumexp([np.float64(1.0)])
    with pytest.raises(TypeError, match=r"chunks\[0\] must be real; received complex"):
        online_logsumexp([np.array([1j])])
