"""Misuse of the online (single-pass) softmax: masked scores, one array, mixed dtypes.

Covers softmax_course.online and the online code of softmax_course.solutions. Each test
here failed before its fix (issue 16 item 2, issue 17 item 4).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from numpy.testing import assert_allclose

import softmax_course as sc
from softmax_course.online import online_logsumexp
from softmax_course.solutions import online_softmax
from tests.strategies import logits, masked_floats

# --- issue 16.2: a masked score (-inf) first in the row -------------------------------------


@pytest.mark.parametrize(
    "row",
    [
        [-np.inf, 1.0, 2.0],  # the first score masked
        [-np.inf, -np.inf, 3.0, -1.0],  # the first two
        [2.0, -np.inf, 1.0],  # masked in the middle (always worked)
    ],
)
def test_online_softmax_with_a_masked_first_score(row):
    x = np.array([row, [0.0] * len(row)])
    result = online_softmax(x)  # was NaN with a RuntimeWarning (an error under pytest)
    assert_allclose(result, sc.softmax(x), rtol=1e-15, atol=0)
    assert np.all(result[0][np.isneginf(x[0])] == 0)


def test_online_softmax_of_a_fully_masked_row_is_nan_like_the_package():
    x = np.array([[-np.inf, -np.inf], [1.0, 2.0]])
    result = online_softmax(x)  # no warning: NaN is the documented answer, as in sc.softmax
    assert np.all(np.isnan(result[0])) and np.all(np.isnan(sc.softmax(x)[0]))
    assert_allclose(result[1], sc.softmax(x[1]), rtol=1e-15)


@given(logits(elements=masked_floats, max_side=7))
def test_online_softmax_matches_the_package_on_masked_rows(x):
    assert_allclose(online_softmax(x), sc.softmax(x), rtol=1e-13, atol=1e-300, equal_nan=True)


def test_online_logsumexp_with_a_masked_first_chunk():
    x = np.array([[-np.inf, -np.inf, 1.0, 2.0], [0.0, 1.0, 2.0, 3.0]])
    result = online_logsumexp([x[:, :2], x[:, 2:]])
    assert_allclose(result, scipy.special.logsumexp(x, axis=-1), rtol=1e-15)


# --- issue 17.4: one array is not an iterable of chunks; mixed dtypes promote ---------------


@pytest.mark.parametrize("shape", [(2, 4), (4,)])
def test_a_single_array_is_refused(shape):
    x = np.arange(np.prod(shape), dtype=float).reshape(shape)
    # was: the rows of a 2-D array read as chunks, one scalar for the whole array
    with pytest.raises(
        TypeError, match=r"single array of shape .*np\.array_split\(x, n, axis=-1\)"
    ):
        online_logsumexp(x)


def test_the_per_row_answer_is_one_split_away():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_allclose(online_logsumexp([x]), scipy.special.logsumexp(x, axis=-1), rtol=1e-15)
    assert_allclose(
        online_logsumexp(np.array_split(x, 2, axis=-1)),
        scipy.special.logsumexp(x, axis=-1),
        rtol=1e-15,
    )


def test_a_float64_chunk_after_a_float32_one_is_not_rounded_to_float32():
    chunks = [np.array([0.0], dtype=np.float32), np.array([1e300])]
    result = online_logsumexp(chunks)  # was: an overflow warning and inf
    assert result.dtype == np.float64
    assert_allclose(result, sc.logsumexp(np.concatenate(chunks)), rtol=1e-15)


@pytest.mark.parametrize(
    "dtypes", [(np.float32, np.float64), (np.float16, np.float32), (np.float16, np.float64)]
)
def test_the_result_dtype_is_that_of_the_concatenation(dtypes):
    rng = np.random.default_rng(0)
    chunks = [rng.normal(size=(2, 3)).astype(dtypes[0]), rng.normal(size=(2, 2)).astype(dtypes[1])]
    result = online_logsumexp(chunks)
    concatenated = np.concatenate(chunks, axis=-1)
    assert result.dtype == concatenated.dtype
    expected = scipy.special.logsumexp(concatenated.astype(np.float64), axis=-1)
    assert_allclose(result, expected, rtol=1e-3 if np.float16 in dtypes else 1e-6)


# --- issue 23.12: a float32 chunk then a float64 chunk is accurate to float64 -----------------


@pytest.mark.parametrize("seed", range(5))
def test_mixed_precision_chunks_are_accurate_to_float64(seed):
    rng = np.random.default_rng(seed)
    first = rng.normal(size=(3, 50)).astype(np.float32)
    second = rng.normal(size=(3, 7))
    result = online_logsumexp([first, second])
    assert result.dtype == np.float64
    # float32 numbers are exact in float64: the concatenation is the same numbers
    expected = scipy.special.logsumexp(np.concatenate([first, second], axis=-1), axis=-1)
    assert_allclose(result, expected, rtol=4e-16, atol=0)  # was accurate to 7.6e-8 only


def test_float32_chunks_alone_are_rounded_once():
    rng = np.random.default_rng(1)
    chunks = [rng.normal(size=(4, 30)).astype(np.float32) for _ in range(5)]
    result = online_logsumexp(chunks)
    assert result.dtype == np.float32
    exact = scipy.special.logsumexp(np.concatenate(chunks, axis=-1).astype(np.float64), axis=-1)
    assert_allclose(result, exact, rtol=float(np.finfo(np.float32).eps) / 2)  # rounded once
