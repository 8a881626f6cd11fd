"""Properties of the cross-entropy options (axis, reduction, weight, ignore_index, label_smoothing,
grad_output), each against a reference built here from scipy.special or finite differences.

The agreement with PyTorch itself is in tests/test_losses_torch.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import (
    cross_entropy,
    cross_entropy_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from tests.strategies import logits_and_distributions, logits_and_labels
from tests.test_losses import assert_matches_finite_differences, central_gradient

LOSSES = [softmax_cross_entropy, cross_entropy]


def weights_for(k: int) -> st.SearchStrategy[np.ndarray]:
    """Class weights away from 0 and from large values: weighted means stay well conditioned."""
    return hnp.arrays(np.float64, (k,), elements=st.floats(0.1, 3.0))


def per_sample_reference(z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """-sum_k w_k y_nk log softmax(z_n)_k with scipy's log_softmax (class axis last)."""
    terms = y * scipy.special.log_softmax(z, axis=-1)
    return -np.sum(terms if w is None else terms * w, axis=-1)


def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def probs_of(z: np.ndarray) -> np.ndarray:
    return scipy.special.softmax(z, axis=-1)


# --- reduction ----------------------------------------------------------------------------


@given(logits_and_labels(), st.booleans())
def test_each_reduction_against_scipy(case, as_distributions):
    z, labels = case
    k, n = z.shape[-1], labels.size
    y = one_hot(labels, k)
    targets = y if as_distributions else labels
    expected = per_sample_reference(z, y)
    for loss, x in ((softmax_cross_entropy, z), (cross_entropy, probs_of(z))):
        assert_allclose(loss(x, targets, reduction="none"), expected, rtol=1e-10, atol=1e-12)
        assert_allclose(loss(x, targets, reduction="sum"), expected.sum(), rtol=1e-10, atol=1e-12)
        # the sum is N times the mean when nothing is weighted or ignored
        assert_allclose(
            loss(x, targets, reduction="sum"), n * loss(x, targets), rtol=1e-12, atol=1e-12
        )


def test_reduction_none_shapes_and_dtypes():
    z = np.zeros((2, 3, 4), dtype=np.float32)
    assert softmax_cross_entropy(z, np.zeros((2, 3), int), reduction="none").shape == (2, 3)
    single = softmax_cross_entropy(np.zeros(4), 1, reduction="none")
    assert isinstance(single, np.ndarray) and single.shape == ()
    assert_allclose(single, np.log(4), rtol=1e-15)
    for dtype in (np.float16, np.float32, np.float64):
        x = np.full((3, 4), 0.25, dtype=dtype)
        for loss in LOSSES:
            assert loss(x, [0, 1, 2], reduction="none").dtype == dtype
            assert loss(x, [0, 1, 2], reduction="sum").dtype == dtype
            assert loss(x, [0, 1, 2], label_smoothing=0.1).dtype == dtype
        assert softmax_cross_entropy_grad(x, [0, 1, 2], reduction="sum").dtype == dtype
        assert cross_entropy_grad(x, [0, 1, 2], reduction="sum").dtype == dtype


# --- weight -------------------------------------------------------------------------------


@given(logits_and_labels(), st.data())
def test_weighted_mean_divides_by_the_weights_of_the_targets(case, data):
    z, labels = case
    k = z.shape[-1]
    w = data.draw(weights_for(k))
    picked_w = w[labels]
    per_sample = picked_w * per_sample_reference(z, one_hot(labels, k))
    assert_allclose(
        softmax_cross_entropy(z, labels, weight=w, reduction="none"), per_sample, rtol=1e-10,
        atol=1e-12,
    )  # fmt: skip
    expected = per_sample.sum() / picked_w.sum()
    assert_allclose(softmax_cross_entropy(z, labels, weight=w), expected, rtol=1e-10, atol=1e-12)
    assert_allclose(cross_entropy(probs_of(z), labels, weight=w), expected, rtol=1e-10, atol=1e-12)


@given(logits_and_distributions(), st.data())
def test_weighted_mean_of_distributions_divides_by_n(case, data):
    z, y = case
    w = data.draw(weights_for(z.shape[-1]))
    expected = per_sample_reference(z, y, w).sum() / (y.size // y.shape[-1])
    assert_allclose(softmax_cross_entropy(z, y, weight=w), expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=50, deadline=None)  # each example runs many calls
@given(logits_and_labels(), st.booleans(), st.sampled_from(["mean", "sum", "none"]))
def test_weight_of_ones_is_no_weight(case, as_distributions, reduction):
    z, labels = case
    k = z.shape[-1]
    targets = one_hot(labels, k) if as_distributions else labels
    ones = np.ones(k)
    for loss, grad, x in (
        (softmax_cross_entropy, softmax_cross_entropy_grad, z),
        (cross_entropy, cross_entropy_grad, probs_of(z)),
    ):
        assert_allclose(
            loss(x, targets, weight=ones, reduction=reduction),
            loss(x, targets, reduction=reduction), rtol=1e-13, atol=1e-13,
        )  # fmt: skip
        assert_allclose(
            grad(x, targets, weight=ones, reduction=reduction),
            grad(x, targets, reduction=reduction), rtol=1e-13, atol=1e-15,
        )  # fmt: skip


# --- ignore_index -------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)  # each example runs many calls
@given(logits_and_labels(min_dims=2, max_dims=2), st.data())
def test_ignore_index_equals_dropping_those_samples(case, data):
    z, labels = case
    keep = data.draw(hnp.arrays(bool, labels.shape))
    ignore_index = data.draw(st.sampled_from([-100, -1, z.shape[-1] + 5]))
    padded = np.where(keep, labels, ignore_index)
    for loss, grad, x in (
        (softmax_cross_entropy, softmax_cross_entropy_grad, z),
        (cross_entropy, cross_entropy_grad, probs_of(z)),
    ):
        for reduction in ("mean", "sum"):
            got = loss(x, padded, ignore_index=ignore_index, reduction=reduction)
            g = grad(x, padded, ignore_index=ignore_index, reduction=reduction)
            assert_array_equal(g[~keep], 0)
            if keep.any():
                assert_allclose(got, loss(x[keep], labels[keep], reduction=reduction), rtol=1e-13)
                assert_allclose(
                    g[keep], grad(x[keep], labels[keep], reduction=reduction), rtol=1e-13,
                    atol=1e-16,
                )  # fmt: skip
            else:
                assert got == 0.0  # the all-ignored batch: 0, not PyTorch's NaN
        none = loss(x, padded, ignore_index=ignore_index, reduction="none")
        assert_array_equal(none[~keep], 0)
        expected = per_sample_reference(z[keep], one_hot(labels[keep], z.shape[-1]))
        assert_allclose(none[keep], expected, rtol=1e-10, atol=1e-12)


def test_ignore_index_inside_the_class_range_ignores_that_class():
    z = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0], [2.0, 2.0, 2.0]])
    labels = np.array([1, 0, 1])
    assert_allclose(
        softmax_cross_entropy(z, labels, ignore_index=1), -scipy.special.log_softmax(z[1])[0]
    )


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 0.5]])
def test_an_all_ignored_batch_is_zero_with_zero_gradient_and_no_warning(
    loss, label_smoothing, weight
):
    x = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    grad = cross_entropy_grad if loss is cross_entropy else softmax_cross_entropy_grad
    options = {"ignore_index": -100, "weight": weight, "label_smoothing": label_smoothing}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loss(x, [-100, -100], **options) == 0.0
        assert loss(x, [-100, -100], reduction="sum", **options) == 0.0
        assert_array_equal(loss(x, [-100, -100], reduction="none", **options), [0.0, 0.0])
        for reduction in ("mean", "sum", "none"):
            assert_array_equal(grad(x, [-100, -100], reduction=reduction, **options), 0.0)


def test_an_ignored_sample_with_nan_logits_costs_nothing_and_gets_zero_gradient():
    z = np.array([[np.nan, 0.0, 1.0], [1.0, 2.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = softmax_cross_entropy(z, [-1, 2], ignore_index=-1)
        grad = softmax_cross_entropy_grad(z, [-1, 2], ignore_index=-1)
    assert_allclose(value, -scipy.special.log_softmax(z[1])[2], rtol=1e-15)
    assert_array_equal(grad[0], 0.0)


def test_zero_weights_of_every_counted_class_give_zero_over_zero():
    z = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
    w = [0.0, 1.0, 1.0]
    assert softmax_cross_entropy(z, [0, 0], weight=w) == 0.0
    assert_array_equal(softmax_cross_entropy_grad(z, [0, 0], weight=w), 0.0)
    # with smoothing the other classes still cost something: a positive number over 0 is inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert softmax_cross_entropy(z, [0, 0], weight=w, label_smoothing=0.1) == np.inf


# --- label_smoothing ----------------------------------------------------------------------


@given(logits_and_labels(), st.floats(0.0, 1.0), st.booleans(), st.data())
def test_label_smoothing_equals_the_smoothed_one_hot_target(case, eps, weighted, data):
    z, labels = case
    k = z.shape[-1]
    w = data.draw(weights_for(k)) if weighted else None
    smoothed = (1 - eps) * one_hot(labels, k) + eps / k  # built here, as PyTorch defines it
    per_sample = per_sample_reference(z, smoothed, w)
    denominator = labels.size if w is None else w[labels].sum()
    for loss, x in ((softmax_cross_entropy, z), (cross_entropy, probs_of(z))):
        got = loss(x, labels, label_smoothing=eps, weight=w, reduction="none")
        assert_allclose(got, per_sample, rtol=1e-10, atol=1e-12)
        got = loss(x, labels, label_smoothing=eps, weight=w)
        assert_allclose(got, per_sample.sum() / denominator, rtol=1e-10, atol=1e-12)
        # distribution targets: the same smoothing of the one-hot rows gives the same loss
        # (the mean divides by N there, the weighted label mean by the targets' weights)
        if w is None:
            got = loss(x, one_hot(labels, k), label_smoothing=eps)
            assert_allclose(got, per_sample.mean(), rtol=1e-10, atol=1e-12)


@given(logits_and_distributions(), st.floats(0.0, 1.0))
def test_label_smoothing_of_soft_targets_mixes_in_the_uniform_distribution(case, eps):
    z, y = case
    smoothed = (1 - eps) * y + eps / y.shape[-1]
    expected = per_sample_reference(z, smoothed).mean()
    got = softmax_cross_entropy(z, y, label_smoothing=eps)
    assert_allclose(got, expected, rtol=1e-10, atol=1e-12)  # atol: scipy's z - logsumexp(z)
    expected_grad = (probs_of(z) - smoothed) / (y.size // y.shape[-1])
    assert_allclose(
        softmax_cross_entropy_grad(z, y, label_smoothing=eps), expected_grad, rtol=1e-10,
        atol=1e-15,
    )  # fmt: skip


# --- axis ---------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)  # each example runs many calls
@given(logits_and_labels(min_dims=2, max_dims=3), st.data())
def test_the_class_axis_anywhere_equals_moving_it_last(case, data):
    z, labels = case
    axis = data.draw(st.integers(0, z.ndim - 1))
    moved = np.moveaxis(z, -1, axis)
    for loss, grad, x, xm in (
        (softmax_cross_entropy, softmax_cross_entropy_grad, z, moved),
        (cross_entropy, cross_entropy_grad, probs_of(z), np.moveaxis(probs_of(z), -1, axis)),
    ):
        for targets, moved_targets in (
            (labels, labels),
            (one_hot(labels, z.shape[-1]), np.moveaxis(one_hot(labels, z.shape[-1]), -1, axis)),
        ):
            options = {"label_smoothing": 0.2, "reduction": "sum"}
            assert_allclose(
                loss(xm, moved_targets, axis=axis, **options), loss(x, targets, **options),
                rtol=1e-14,
            )  # fmt: skip
            assert_allclose(
                grad(xm, moved_targets, axis=axis, **options),
                np.moveaxis(grad(x, targets, **options), -1, axis), rtol=1e-14, atol=1e-17,
            )  # fmt: skip
            negative = axis - z.ndim
            assert_allclose(loss(xm, moved_targets, axis=negative), loss(x, targets), rtol=1e-14)


def test_the_default_options_spelled_out_keep_the_plain_call_s_bits():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 7))
    labels = rng.integers(0, 7, size=50)
    explicit = {"axis": 1, "reduction": "mean", "weight": None, "label_smoothing": 0.0}
    for targets in (labels, one_hot(labels, 7)):
        assert softmax_cross_entropy(z, targets, **explicit) == softmax_cross_entropy(z, targets)
        assert (
            softmax_cross_entropy_grad(z, targets, **explicit).tobytes()
            == softmax_cross_entropy_grad(z, targets).tobytes()
        )


# --- gradients against finite differences ----------------------------------------------


options_strategy = st.fixed_dictionaries(
    {
        "reduction": st.sampled_from(["mean", "sum", "none"]),
        "label_smoothing": st.sampled_from([0.0, 0.1, 1.0]),
        "weighted": st.booleans(),
        "ignore": st.booleans(),
    }
)


def _drawn_options(data, labels, k, drawn):
    options = {"reduction": drawn["reduction"], "label_smoothing": drawn["label_smoothing"]}
    if drawn["weighted"]:
        options["weight"] = data.draw(weights_for(k))
    if drawn["ignore"]:
        mask = data.draw(hnp.arrays(bool, labels.shape))
        labels = np.where(mask, -100, labels)
        options["ignore_index"] = -100
    return labels, options


def _upstream(data, shape, reduction):
    if reduction == "none":
        return data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0)))
    return np.float64(data.draw(st.floats(-2.0, 2.0)))


@settings(max_examples=50, deadline=None)  # each example runs many calls
@given(logits_and_labels(elements=st.floats(-5.0, 5.0)), options_strategy, st.data())
def test_softmax_cross_entropy_grad_with_options_equals_finite_differences(case, drawn, data):
    z, labels = case
    labels, options = _drawn_options(data, labels, z.shape[-1], drawn)
    g = _upstream(data, labels.shape, options["reduction"])

    def scalar(x):  # L = sum_n g_n l_n (none) or g E: the analytic gradient is its VJP
        return np.sum(g * softmax_cross_entropy(x, labels, **options))

    numerical = central_gradient(scalar, z, h=1e-6)
    analytic = softmax_cross_entropy_grad(z, labels, **options, grad_output=g)
    assert_matches_finite_differences(analytic, numerical)


@settings(max_examples=50, deadline=None)  # each example runs many calls
@given(logits_and_labels(elements=st.floats(-1.0, 1.0)), options_strategy, st.booleans(), st.data())
def test_cross_entropy_grad_with_options_equals_finite_differences(
    case, drawn, as_distributions, data
):
    z, labels = case
    s = probs_of(z)
    k = z.shape[-1]
    if as_distributions:
        drawn = {**drawn, "ignore": False}
    labels, options = _drawn_options(data, labels, k, drawn)
    targets = one_hot(labels, k) if as_distributions else labels
    g = _upstream(data, labels.shape, options["reduction"])

    def scalar(p):  # a step of 1e-6 keeps every row within the row-sum tolerance
        return np.sum(g * cross_entropy(p, targets, **options))

    numerical = central_gradient(scalar, s, h=1e-6)
    analytic = cross_entropy_grad(s, targets, **options, grad_output=g)
    assert_matches_finite_differences(analytic, numerical)


@settings(max_examples=50, deadline=None)  # each example runs many calls
@given(logits_and_labels(), st.sampled_from([0.0, 0.2]))
def test_none_without_upstream_gradient_is_the_gradient_of_the_sum(case, eps):
    z, labels = case
    for grad, x in ((softmax_cross_entropy_grad, z), (cross_entropy_grad, probs_of(z))):
        none = grad(x, labels, reduction="none", label_smoothing=eps)
        ones = grad(x, labels, reduction="none", label_smoothing=eps, grad_output=1.0)
        assert_array_equal(none, grad(x, labels, reduction="sum", label_smoothing=eps))
        assert_array_equal(ones, none)
        scaled = grad(x, labels, grad_output=np.float64(3.0))
        assert_allclose(scaled, 3 * grad(x, labels), rtol=1e-15)


# --- inputs are left alone ----------------------------------------------------------------


def test_no_input_is_modified_by_any_option():
    z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
    s = probs_of(z)
    labels = np.array([2, -100])
    y = np.array([[0.0, 0.2, 0.8], [1.0, 0.0, 0.0]])
    w = np.array([1.0, 2.0, 0.5])
    g = np.array([1.0, -0.5])
    arrays = (z, s, labels, y, w, g)
    copies = [a.copy() for a in arrays]
    for loss, grad, x in (
        (softmax_cross_entropy, softmax_cross_entropy_grad, z),
        (cross_entropy, cross_entropy_grad, s),
    ):
        for targets, ignore in ((labels, -100), (y, None)):
            options = {"weight": w, "ignore_index": ignore, "label_smoothing": 0.1}
            loss(x, targets, reduction="none", **options)
            grad(x, targets, reduction="none", grad_output=g, **options)
            grad(x.T, np.moveaxis(targets, -1, 0) if targets is y else targets, axis=0, **options)
    for original, copy in zip(arrays, copies, strict=True):
        assert_array_equal(original, copy)


# --- the plain call keeps the fused path; options take the numpy path ---------------------


def test_only_the_plain_call_asks_for_the_fused_kernels(monkeypatch):
    from softmax_course import _fast

    calls = []
    for name in ("cross_entropy_rows", "cross_entropy_grad_rows"):
        original = getattr(_fast, name)
        monkeypatch.setattr(
            _fast, name, lambda *a, _f=original, _n=name: calls.append(_n) or _f(*a)
        )
    z = np.random.default_rng(0).normal(size=(20, 5))
    labels = np.arange(20) % 5
    softmax_cross_entropy(z, labels)
    softmax_cross_entropy_grad(z, labels)
    assert calls == ["cross_entropy_rows", "cross_entropy_grad_rows"]
    for options in ({"reduction": "sum"}, {"weight": np.ones(5)}, {"ignore_index": 3},
                    {"label_smoothing": 0.1}, {"axis": 0}):  # fmt: skip
        x = z.T if options.get("axis") == 0 else z
        softmax_cross_entropy(x, labels, **options)
        softmax_cross_entropy_grad(x, labels, **options)
    softmax_cross_entropy_grad(z, labels, grad_output=2.0)
    assert len(calls) == 2
