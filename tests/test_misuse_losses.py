"""Misuse of one_hot and the cross-entropy losses: ambiguous targets, ragged labels, bad dtypes.

Targets follow PyTorch's convention (integer targets are class labels,
floating-point targets are distributions); integer targets of the
probabilities' own shape are refused because they read two ways.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import (
    cross_entropy,
    cross_entropy_grad,
    one_hot,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)

LOSSES = [cross_entropy, cross_entropy_grad, softmax_cross_entropy, softmax_cross_entropy_grad]
AMBIGUOUS = r"targets are integers of the same shape as .*reads two ways.*class labels.*floating"


# --- item 5: integer targets are labels; integer targets shaped like probs are ambiguous ---


@pytest.mark.parametrize("function", LOSSES)
def test_the_issue_example_is_refused_naming_both_readings(function):
    # Before: [0, 2, 1] was read as a soft target and the loss was 3.10.
    with pytest.raises(ValueError, match=AMBIGUOUS) as excinfo:
        function(np.array([0.2, 0.3, 0.5]), np.array([0, 2, 1]))
    message = str(excinfo.value)
    assert "shape ()" in message  # the labels reading: one label for the single sample
    assert "astype(float)" in message  # the distribution reading


@pytest.mark.parametrize("function", LOSSES)
@pytest.mark.parametrize(
    "targets",
    [
        np.array([[1, 0, 0], [0, 0, 1]]),
        np.array([[1, 0, 0], [0, 0, 1]], dtype=np.uint8),
        [[1, 0, 0], [0, 0, 1]],  # a hand-written list of ints is an integer array too
    ],
)
def test_integer_one_hot_rows_are_refused(function, targets):
    with pytest.raises(ValueError, match=AMBIGUOUS + r".*\(2,\)"):
        function(np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), targets)


def test_integer_labels_and_float_one_hot_give_the_reference_loss():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    s = scipy.special.softmax(z, axis=-1)
    reference = -np.mean(np.log(s[np.arange(6), labels]))
    y = np.eye(4)[labels]
    for targets in (labels, y, y.astype(np.float32), labels.astype(np.uint16)):
        assert_allclose(cross_entropy(s, targets), reference, rtol=1e-13)
        assert_allclose(softmax_cross_entropy(z, targets), reference, rtol=1e-13)
        assert_allclose(softmax_cross_entropy_grad(z, targets), (s - y) / 6, atol=1e-16)


def test_float_targets_of_the_label_shape_are_still_labels_when_whole():
    s = np.array([[0.7, 0.3], [0.4, 0.6]])
    assert_allclose(cross_entropy(s, np.array([0.0, 1.0])), -np.log([0.7, 0.6]).mean(), rtol=1e-15)


@pytest.mark.parametrize(
    "dtype", [str, "U3", "S2", "datetime64[s]", "timedelta64[s]", object, complex, bool]
)
def test_one_hot_refuses_non_numeric_dtypes(dtype):
    with pytest.raises(TypeError, match=r"dtype must be a floating-point or integer type"):
        one_hot([0, 2, 1], 3, dtype=dtype)


def test_one_hot_refuses_something_that_is_not_a_dtype():
    with pytest.raises(TypeError, match=r"dtype must be a numpy data type.*'one'"):
        one_hot([0, 1], dtype="one")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.uint8, int])
def test_one_hot_numeric_dtypes_give_identity_rows(dtype):
    encoded = one_hot([0, 2, 1], 3, dtype=dtype)
    assert encoded.dtype == np.dtype(dtype)
    assert_array_equal(encoded, np.eye(3)[[0, 2, 1]])


# --- item 12: ragged labels give an error that names the argument --------------------------


@pytest.mark.parametrize("labels", [[[0, 1], [2]], [0, [1, 2]]])
def test_one_hot_ragged_labels(labels):
    with pytest.raises(TypeError, match=r"labels must be array-like of integer class indices.*"):
        one_hot(labels, 3)


@pytest.mark.parametrize("function", LOSSES)
def test_ragged_targets_are_named(function):
    with pytest.raises(TypeError, match=r"^targets must be array-like.*\(ragged"):
        function(np.full((2, 3), 1 / 3), [[0, 1], [2]])
