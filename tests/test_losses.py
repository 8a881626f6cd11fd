"""Tests of one_hot and the cross-entropy losses against scipy.special and finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import (
    cross_entropy,
    cross_entropy_grad,
    one_hot,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from tests.strategies import logits, logits_and_distributions, logits_and_labels


def central_gradient(f, x: np.ndarray, h: float) -> np.ndarray:
    """(f(x + h e_i) - f(x - h e_i)) / 2h for every entry i: an independent reference."""
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        grad[index] = (float(f(plus)) - float(f(minus))) / (2 * h)
    return grad


def assert_matches_finite_differences(analytic: np.ndarray, numerical: np.ndarray) -> None:
    """Agreement to 1e-7 relative, plus 2e-8 absolute for the rounding of the differences.

    Central differences of a loss E with step h carry a rounding error of
    about eps * |E| / h, a few 1e-9 for the losses and steps used here.
    """
    worst = np.max(np.abs(analytic - numerical))
    assert worst <= 2e-8 + 1e-7 * np.max(np.abs(analytic)), (worst, analytic, numerical)


def num_samples(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape[:-1]))


def reference_loss(probs: np.ndarray, y: np.ndarray) -> float:
    """-mean over samples of sum(y log p), with scipy's xlogy giving 0 log 0 = 0."""
    return -np.sum(scipy.special.xlogy(y, probs)) / num_samples(probs.shape)


def dense(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


# --- one_hot ------------------------------------------------------------------------------


@given(hnp.arrays(np.int64, st.integers(0, 20), elements=st.integers(0, 9)), st.integers(0, 3))
def test_one_hot_is_identity_rows(labels, extra):
    k = (int(labels.max()) + 1 if labels.size else 0) + extra
    assert_array_equal(one_hot(labels, k), np.eye(k)[labels].reshape(labels.size, k))
    assert_array_equal(one_hot(labels), np.eye(int(labels.max()) + 1 if labels.size else 0)[labels])


def test_one_hot_dtype_and_float_labels():
    assert one_hot([0, 1], dtype=np.int8).dtype == np.int8
    assert_array_equal(one_hot(np.array([2.0, 0.0])), [[0, 0, 1], [1, 0, 0]])
    assert one_hot(np.array([], dtype=int), 3).shape == (0, 3)


@pytest.mark.parametrize(
    ("labels", "num_classes", "error", "match"),
    [
        ([[0, 1]], None, ValueError, r"labels must be 1-dimensional.*shape \(1, 2\)"),
        (5, None, ValueError, r"labels must be 1-dimensional.*shape \(\)"),
        ([0, -1], None, ValueError, r"labels must be non-negative.*received -1"),
        ([0, 3], 3, ValueError, r"labels contains class 3, out of range for K=3"),
        ([0.5], None, ValueError, r"fractional part \(0\.5\)"),
        ([np.nan], None, ValueError, r"non-finite"),
        ([True, False], None, TypeError, r"labels must be integer.*boolean"),
        (["a"], None, TypeError, r"labels must be integer.*dtype <U1"),
        ([0], 2.0, TypeError, r"num_classes must be an int or None; received 2\.0"),
        ([0], True, TypeError, r"num_classes must be an int"),
        ([0], -1, ValueError, r"num_classes must be >= 0; received -1"),
    ],
)
def test_one_hot_rejects_bad_arguments(labels, num_classes, error, match):
    with pytest.raises(error, match=match):
        one_hot(labels, num_classes)


# --- cross_entropy and its gradient -------------------------------------------------------


@given(logits_and_distributions())
def test_cross_entropy_matches_xlogy_reference(case):
    z, y = case
    s = scipy.special.softmax(z, axis=-1)
    assert_allclose(cross_entropy(s, y), reference_loss(s, y), rtol=1e-12, atol=1e-300)


@given(logits_and_labels())
def test_label_and_one_hot_forms_agree(case):
    z, labels = case
    k = z.shape[-1]
    s = scipy.special.softmax(z, axis=-1)
    y = dense(labels, k)
    assert_allclose(cross_entropy(s, labels), cross_entropy(s, y), rtol=1e-13)
    assert_allclose(cross_entropy_grad(s, labels), cross_entropy_grad(s, y), rtol=1e-13)
    assert_allclose(softmax_cross_entropy(z, labels), softmax_cross_entropy(z, y), rtol=1e-13)
    assert_allclose(
        softmax_cross_entropy_grad(z, labels),
        softmax_cross_entropy_grad(z, y),
        rtol=1e-13,
        atol=1e-17,
    )


@given(logits_and_distributions(elements=st.floats(-1.0, 1.0)))
def test_cross_entropy_grad_equals_finite_differences(case):
    z, y = case
    s = scipy.special.softmax(z, axis=-1)
    # The step of 1e-6 keeps every perturbed row within the 1e-4 row-sum tolerance.
    numerical = central_gradient(lambda p: cross_entropy(p, y), s, h=1e-6)
    assert_matches_finite_differences(cross_entropy_grad(s, y), numerical)


@given(logits_and_distributions())
def test_cross_entropy_grad_is_minus_y_over_p_over_n(case):
    z, y = case
    s = scipy.special.softmax(z, axis=-1)
    expected = np.where(y > 0, -y / np.where(s > 0, s, 1), 0) / num_samples(s.shape)
    assert_allclose(cross_entropy_grad(s, y), expected, rtol=1e-14)


def test_uniform_prediction_costs_log_k():
    for k in (2, 3, 10):
        assert_allclose(cross_entropy(np.full((7, k), 1 / k), np.arange(7) % k), np.log(k))


def test_zero_probability_convention_without_warnings():
    s = np.array([[1.0, 0.0], [0.5, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cross_entropy(s, [[1.0, 0.0], [1.0, 0.0]]) == pytest.approx(np.log(2) / 2)
        assert_array_equal(cross_entropy_grad(s, [0, 0]), [[-0.5, 0.0], [-1.0, 0.0]])
        assert cross_entropy(s, [1, 0]) == np.inf
        assert cross_entropy(s, [[0.0, 1.0], [1.0, 0.0]]) == np.inf
        assert cross_entropy_grad(s, [1, 0])[0, 1] == -np.inf


# --- softmax_cross_entropy and its gradient ------------------------------------------------


@given(logits_and_distributions())
def test_softmax_cross_entropy_matches_scipy_log_softmax(case):
    z, y = case
    expected = -np.sum(y * scipy.special.log_softmax(z, axis=-1)) / num_samples(z.shape)
    assert_allclose(softmax_cross_entropy(z, y), expected, rtol=1e-12, atol=1e-14)


@given(logits_and_distributions())
def test_grad_is_softmax_minus_y_over_n_for_normalized_targets(case):
    z, y = case
    expected = (scipy.special.softmax(z, axis=-1) - y) / num_samples(z.shape)
    assert_allclose(softmax_cross_entropy_grad(z, y), expected, rtol=1e-12, atol=1e-15)


@given(logits(), st.data())
def test_grad_for_targets_that_do_not_sum_to_one(z, data):
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0.0, 3.0)))
    s = scipy.special.softmax(z, axis=-1)
    expected = (s * y.sum(axis=-1, keepdims=True) - y) / num_samples(z.shape)
    assert_allclose(softmax_cross_entropy_grad(z, y), expected, rtol=1e-12, atol=1e-15)


@given(logits_and_distributions(elements=st.floats(-10.0, 10.0)))
def test_softmax_cross_entropy_grad_equals_finite_differences(case):
    z, y = case
    numerical = central_gradient(lambda x: softmax_cross_entropy(x, y), z, h=1e-6)
    assert_matches_finite_differences(softmax_cross_entropy_grad(z, y), numerical)


@given(logits(), st.data())
def test_unnormalized_targets_grad_equals_finite_differences(z, data):
    z = np.clip(z, -10, 10)
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0.0, 3.0)))
    numerical = central_gradient(lambda x: softmax_cross_entropy(x, y), z, h=1e-6)
    assert_matches_finite_differences(softmax_cross_entropy_grad(z, y), numerical)


@given(logits_and_labels(elements=st.floats(-1e3, 1e3)))
def test_stable_loss_equals_naive_loss_where_naive_is_meaningful(case):
    z, labels = case
    with np.errstate(divide="ignore", under="ignore"):
        p_true = np.take_along_axis(scipy.special.softmax(z, axis=-1), labels[..., None], -1)
        naive = -np.mean(np.log(p_true))
    stable = softmax_cross_entropy(z, labels)
    assert np.isfinite(stable)
    if np.all(p_true >= np.finfo(np.float64).tiny):  # not rounded to 0 or subnormal
        assert_allclose(stable, naive, rtol=1e-10, atol=1e-12)


@given(logits_and_labels(elements=st.floats(-1e100, 1e100)))
def test_stable_loss_is_finite_for_huge_logits(case):
    z, labels = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(softmax_cross_entropy(z, labels))
        assert np.all(np.isfinite(softmax_cross_entropy_grad(z, labels)))


def test_the_1e4_example_naive_fails_stable_does_not():
    z = np.array([[1e4, -1e4], [0.0, 0.0]])
    labels = np.array([1, 0])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        y = np.eye(2)[labels]
        unshifted = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)  # inf / inf = NaN
        assert np.isnan(-np.sum(y * np.log(unshifted)) / 2)  # and 0 * NaN is NaN
        shifted = scipy.special.softmax(z, axis=-1)  # the true class underflows to 0
        assert -np.mean(np.log(shifted[[0, 1], labels])) == np.inf
    assert_allclose(softmax_cross_entropy(z, labels), (2e4 + np.log(2)) / 2, rtol=1e-15)
    assert_allclose(softmax_cross_entropy_grad(z, labels), [[0.5, -0.5], [-0.25, 0.25]])


def test_minus_inf_logit_is_a_zero_probability_class():
    z = np.array([[0.0, -np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert softmax_cross_entropy(z, [[1.0, 0.0]]) == 0.0
        assert softmax_cross_entropy(z, [1]) == np.inf


# --- shapes, dtypes and inputs left alone -------------------------------------------------


def test_n_is_the_product_of_all_axes_but_the_last():
    z = np.random.default_rng(0).normal(size=(2, 3, 4))
    labels = np.random.default_rng(1).integers(0, 4, size=(2, 3))
    flat = softmax_cross_entropy_grad(z.reshape(6, 4), labels.reshape(6))
    assert_allclose(softmax_cross_entropy_grad(z, labels), flat.reshape(2, 3, 4), rtol=1e-15)
    assert_allclose(
        softmax_cross_entropy(z, labels), softmax_cross_entropy(z.reshape(6, 4), labels.ravel())
    )
    # a single sample of shape (K,) has N = 1
    assert_allclose(softmax_cross_entropy_grad(z[0, 0], labels[0, 0]), flat[0] * 6, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtype_is_kept(dtype):
    z = np.array([[1.0, 2.0, 3.0], [3.0, 0.0, -1.0]], dtype=dtype)
    s = scipy.special.softmax(z.astype(np.float64), axis=-1).astype(dtype)
    labels = np.array([2, 0])
    assert softmax_cross_entropy(z, labels).dtype == dtype
    assert softmax_cross_entropy_grad(z, labels).dtype == dtype
    assert cross_entropy(s, labels).dtype == dtype
    assert cross_entropy_grad(s, labels).dtype == dtype


def test_integer_logits_become_float64():
    assert softmax_cross_entropy_grad([[1, 2]], [0]).dtype == np.float64


def test_inputs_are_not_modified():
    z = np.array([[1.0, 2.0, 3.0]])
    s = scipy.special.softmax(z, axis=-1)
    y = np.array([[0.0, 0.0, 1.0]])
    labels = np.array([2])
    copies = [a.copy() for a in (z, s, y, labels)]
    for function, values in [
        (cross_entropy, s),
        (cross_entropy_grad, s),
        (softmax_cross_entropy, z),
        (softmax_cross_entropy_grad, z),
    ]:
        function(values, y)
        function(values, labels)
    for original, copy in zip((z, s, y, labels), copies, strict=True):
        assert_array_equal(original, copy)


# --- bad arguments ------------------------------------------------------------------------

PROBS = np.array([[0.5, 0.5], [0.2, 0.8]])


@pytest.mark.parametrize(
    ("probs", "targets", "error", "match"),
    [
        ([[0.5, 0.6]], [0], ValueError, r"probs must sum to 1.*index \(0,\) sums to 1\.1"),
        ([0.5, 0.6], 0, ValueError, r"the single row sums to 1\.1.*did you pass logits"),
        ([[1.5, -0.5]], [0], ValueError, r"probs must be probabilities in \[0, 1\]; received"),
        ([[np.nan, 1.0]], [0], ValueError, r"probs must be probabilities.*nan"),
        (np.float64(1.0), 0, ValueError, r"probs must have a class axis"),
        (np.zeros((0, 3)), np.zeros(0, int), ValueError, r"at least one sample and one class"),
        ([[1 + 0j, 0]], [0], TypeError, r"probs must be real"),
        (PROBS, [[1, 0, 0], [0, 1, 0]], ValueError, r"targets has shape \(2, 3\).*\(2, 2\)"),
        (PROBS, [0, 1, 1], ValueError, r"targets has shape \(3,\).*integer class labels"),
        (PROBS, [0, 2], ValueError, r"targets contains class 2, out of range for K=2"),
        (PROBS, [0, -1], ValueError, r"targets must be non-negative class indices"),
        (PROBS, [0.0, 0.5], ValueError, r"targets must be integer.*fractional part \(0\.5\)"),
        (PROBS, [True, False], TypeError, r"targets must be integer.*boolean"),
        (PROBS, [[1.0, 0.0], [-0.5, 1.5]], ValueError, r"targets must be non-negative; .*-0\.5"),
        (PROBS, [[1.0, 0.0], [np.inf, 0.0]], ValueError, r"targets must be finite"),
    ],
)
@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
def test_probability_losses_reject_bad_arguments(function, probs, targets, error, match):
    with pytest.raises(error, match=match):
        function(probs, targets)


@pytest.mark.parametrize(
    ("z", "targets", "error", "match"),
    [
        (np.float64(1.0), 0, ValueError, r"logits must have a class axis"),
        (np.zeros((2, 0)), np.zeros(2, int), ValueError, r"logits must hold at least one"),
        ([["a", "b"]], [0], TypeError, r"logits must be an array of real numbers"),
        (np.zeros((2, 3)), [[0, 1, 0]], ValueError, r"does not fit logits of shape \(2, 3\)"),
        (np.zeros((2, 3)), [0, 3], ValueError, r"targets contains class 3, out of range"),
        (np.zeros((2, 3)), -np.ones((2, 3)), ValueError, r"targets must be non-negative"),
    ],
)
@pytest.mark.parametrize("function", [softmax_cross_entropy, softmax_cross_entropy_grad])
def test_logit_losses_reject_bad_arguments(function, z, targets, error, match):
    with pytest.raises(error, match=match):
        function(z, targets)


# --- issue 17.3: the row-sum message never contradicts itself ---------------------------------


@pytest.mark.parametrize("offset", [2e-4, -3e-4, 5e-3])
def test_a_nearly_normalized_row_is_reported_with_its_real_distance_from_1(offset):
    s = np.array([[0.25, 0.25, 0.5 + offset]])
    with pytest.raises(ValueError) as info:
        cross_entropy(s, np.array([2]))
    message = str(info.value)
    total = float(np.sum(s))
    assert f"sums to {total!r} ({total - 1:+.1e} away from 1)" in message
    assert "within 1.0e-04" in message
    assert "sums to 1;" not in message and "did you pass logits" not in message
    assert "renormalize" in message


def test_rows_within_a_finite_difference_step_of_1_are_accepted():
    s = np.array([[0.25, 0.25, 0.5 + 1e-6], [0.1, 0.2, 0.7 - 9e-5]])
    expected = -(np.log(0.25) + np.log(0.1)) / 2
    assert_allclose(cross_entropy(s, np.array([0, 0])), expected, rtol=1e-15)
