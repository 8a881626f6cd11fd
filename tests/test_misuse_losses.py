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


# --- issue 26: the options of the cross-entropy losses ---------------------------------------

Z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
P = scipy.special.softmax(Z, axis=-1)
LABELS = np.array([2, 0])


def _input_for(function):
    return P if function in (cross_entropy, cross_entropy_grad) else Z


@pytest.mark.parametrize("function", LOSSES)
@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"reduction": "avg"}, ValueError, r"reduction must be one of 'mean', 'sum', 'none'; "
         r"received 'avg'"),
        ({"reduction": None}, TypeError, r"reduction must be a string; received None"),
        ({"weight": [1.0, 2.0]}, ValueError, r"weight has shape \(2,\).*K=3 classes; "
         r"expected shape \(3,\)"),
        ({"weight": [[1.0, 1.0, 1.0]]}, ValueError, r"weight must be 1-dimensional.*\(1, 3\)"),
        ({"weight": [1.0, -0.5, 1.0]}, ValueError, r"weight must be non-negative; received -0\.5"),
        ({"weight": [1.0, np.nan, 1.0]}, ValueError, r"weight must be finite; received nan"),
        ({"weight": [1.0, np.inf, 1.0]}, ValueError, r"weight must be finite; received inf"),
        ({"weight": [1j, 1.0, 1.0]}, TypeError, r"weight must be real; received complex"),
        ({"weight": ["a", "b", "c"]}, TypeError, r"weight must be an array of real numbers"),
        ({"ignore_index": 1.0}, TypeError, r"ignore_index must be an int or None; received 1\.0"),
        ({"ignore_index": True}, TypeError, r"ignore_index must be an int or None; received True"),
        ({"label_smoothing": 1.5}, ValueError, r"label_smoothing must be in \[0, 1\]; received "
         r"1\.5"),
        ({"label_smoothing": -0.1}, ValueError, r"label_smoothing must be in \[0, 1\]"),
        ({"label_smoothing": np.nan}, ValueError, r"label_smoothing must be in \[0, 1\]; "
         r"received nan"),
        ({"label_smoothing": "0.1"}, TypeError, r"label_smoothing must be a real number; "
         r"received '0\.1'"),
        ({"axis": 2}, ValueError, r"axis=2 is out of range for (probs|logits) with 2 "
         r"dimensions; expected an integer in \[-2, 1\]"),
        ({"axis": -3}, ValueError, r"axis=-3 is out of range"),
        ({"axis": (0, 1)}, TypeError, r"axis must be an int, the class axis of (probs|logits); "
         r"received \(0, 1\)"),
        ({"axis": 1.0}, TypeError, r"axis must be an int"),
    ],
)  # fmt: skip
def test_bad_options_are_named_with_what_was_received(function, options, error, match):
    with pytest.raises(error, match=match):
        function(_input_for(function), LABELS, **options)


@pytest.mark.parametrize("function", LOSSES)
def test_ignore_index_with_distribution_targets_is_refused_as_in_pytorch(function):
    y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    with pytest.raises(
        ValueError,
        match=r"ignore_index=-100 applies to integer class labels only; received floating-point "
        r"targets of shape \(2, 3\).*expected ignore_index=None.*or integer labels of shape "
        r"\(2,\)",
    ):
        function(_input_for(function), y, ignore_index=-100)


@pytest.mark.parametrize("function", LOSSES)
def test_labels_out_of_range_mention_the_ignore_index(function):
    with pytest.raises(ValueError, match=r"targets contains class 3.*\[0, 2\], or ignore_index=-1"):
        function(_input_for(function), [3, -1], ignore_index=-1)
    with pytest.raises(ValueError, match=r"non-negative.*received -2.*or ignore_index=-1"):
        function(_input_for(function), [-2, -1], ignore_index=-1)


@pytest.mark.parametrize("function", LOSSES)
def test_targets_that_do_not_fit_the_class_axis_name_the_label_shape(function):
    x = _input_for(function).T  # (K, N) = (3, 2), class axis 0
    with pytest.raises(ValueError, match=r"targets has shape \(3,\).*expected \(3, 2\).*or \(2,\)"):
        function(x, [0, 1, 2], axis=0)
    with pytest.raises(ValueError, match=AMBIGUOUS + r".*shape \(2,\)"):
        function(x, np.ones((3, 2), dtype=int), axis=0)


def test_the_row_sum_message_names_the_class_axis():
    with pytest.raises(ValueError, match=r"probs must sum to 1 along the class axis \(axis=0\)"):
        cross_entropy(np.full((3, 2), 0.5), [0, 1], axis=0)


@pytest.mark.parametrize("function", [cross_entropy_grad, softmax_cross_entropy_grad])
@pytest.mark.parametrize(
    ("reduction", "grad_output", "match"),
    [
        ("mean", [1.0, 2.0], r"grad_output has shape \(2,\); expected shape \(\) \(a scalar"),
        ("sum", np.ones((2, 1)), r"grad_output has shape \(2, 1\); expected shape \(\)"),
        ("none", [1.0, 2.0, 3.0], r"grad_output has shape \(3,\); expected shape \(2,\) \(one "
         r"value per sample"),
    ],
)  # fmt: skip
def test_an_upstream_gradient_of_the_wrong_shape_is_named(function, reduction, grad_output, match):
    with pytest.raises(ValueError, match=match):
        function(_input_for(function), LABELS, reduction=reduction, grad_output=grad_output)


@pytest.mark.parametrize("function", [cross_entropy_grad, softmax_cross_entropy_grad])
def test_an_upstream_gradient_that_is_not_real_is_named(function):
    with pytest.raises(TypeError, match=r"grad_output must be real"):
        function(_input_for(function), LABELS, grad_output=1j)


@pytest.mark.parametrize("function", LOSSES)
def test_the_options_are_keyword_only(function):
    with pytest.raises(TypeError, match=r"positional argument"):
        function(_input_for(function), LABELS, -1)
