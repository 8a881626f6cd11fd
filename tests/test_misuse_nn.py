"""Misuse of the layers in softmax_course.nn: call order, aliasing, wrong arguments.

The layers copy what their backward pass needs (module docstring, "Ownership"),
so modifying an input or a returned output in place between ``forward`` and
``backward`` must not change any gradient. References are computed from
untouched copies with scipy.special and plain numpy formulas.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course.nn import (
    CrossEntropy,
    Linear,
    Sequential,
    Softmax,
    SoftmaxCrossEntropy,
    SquaredError,
    Tanh,
)
from tests.strategies import logits_and_labels

RTOL = 1e-12  # the same float64 arithmetic on the same numbers: only reassociation differs


def batch(seed: int, n: int = 4, k: int = 3):
    """Logits z (n, k), an upstream gradient g and integer labels."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, k)), rng.normal(size=(n, k)), rng.integers(0, k, size=n)


# --- item 1: a layer owns what its backward pass needs ----------------------------------


def test_linear_weight_gradient_ignores_later_changes_to_its_input():
    layer = Linear(3, 2, rng=0)
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    x_before = x.copy()
    layer.forward(x)
    x *= 10  # the caller reuses its buffer
    layer.backward(g)
    assert_allclose(layer.grad_weight, x_before.T @ g, rtol=RTOL)
    assert_allclose(layer.grad_bias, g.sum(axis=0), rtol=RTOL)


def test_softmax_backward_ignores_changes_to_the_returned_probabilities():
    z, g, _ = batch(2)
    layer = Softmax()
    s = layer.forward(z)
    np.log(s, out=s)  # the caller turns its probabilities into log-probabilities
    s_ref = scipy.special.softmax(z, axis=-1)
    expected = s_ref * (g - np.sum(s_ref * g, axis=-1, keepdims=True))
    assert_allclose(layer.backward(g), expected, rtol=RTOL, atol=1e-15)


def test_tanh_backward_ignores_changes_to_the_returned_output():
    a, g, _ = batch(3)
    layer = Tanh()
    h = layer.forward(a)
    h[...] = 0.0
    assert_allclose(layer.backward(g), g * (1 - np.tanh(a) ** 2), rtol=RTOL)


def test_cross_entropy_backward_ignores_changes_to_probabilities_and_targets():
    z, _, labels = batch(4)
    s = scipy.special.softmax(z, axis=-1)
    y = np.eye(3)[labels]
    s_ref, y_ref = s.copy(), y.copy()
    loss = CrossEntropy()
    loss.forward(s, y)
    s[...] = 1 / 3
    y[...] = y[:, ::-1]
    assert_allclose(loss.backward(), -(y_ref / s_ref) / len(s_ref), rtol=RTOL)


def test_softmax_cross_entropy_backward_ignores_changes_to_logits_and_labels():
    z, _, labels = batch(5)
    z_ref, labels_ref = z.copy(), labels.copy()
    loss = SoftmaxCrossEntropy()
    loss.forward(z, labels)
    z *= 3
    labels[...] = (labels + 1) % 3
    expected = (scipy.special.softmax(z_ref, axis=-1) - np.eye(3)[labels_ref]) / len(z_ref)
    assert_allclose(loss.backward(), expected, rtol=RTOL, atol=1e-16)


def test_a_target_list_changed_after_forward_does_not_change_the_gradient():
    z, _, _ = batch(6, n=2)
    targets = [0, 2]
    loss = SoftmaxCrossEntropy()
    loss.forward(z, targets)
    targets[0] = 1
    expected = (scipy.special.softmax(z, axis=-1) - np.eye(3)[[0, 2]]) / 2
    assert_allclose(loss.backward(), expected, rtol=RTOL, atol=1e-16)


@given(logits_and_labels(min_dims=2, max_dims=2))
def test_sequential_gradient_is_independent_of_what_the_caller_does_to_its_arrays(case):
    x, labels = case
    k = x.shape[-1]
    model = Sequential(Linear(k, k, rng=0), Softmax())
    weight = model.layers[0].weight.copy()
    x_ref = x.copy()
    s = model.forward(x)
    g = -np.eye(k)[labels] / len(x)  # any upstream gradient
    x[...] = 0.0
    s[...] = 0.0
    dx = model.backward(g)
    s_ref = scipy.special.softmax(x_ref @ weight, axis=-1)
    da = s_ref * (g - np.sum(s_ref * g, axis=-1, keepdims=True))
    assert_allclose(dx, da @ weight.T, rtol=1e-9, atol=1e-12)
    assert_allclose(model.layers[0].grad_weight, x_ref.T @ da, rtol=1e-9, atol=1e-12)


# --- item 1: a forward pass that raised leaves nothing to reuse ---------------------------


@pytest.mark.parametrize(
    ("make", "good", "bad", "backward_args"),
    [
        (lambda: Linear(3, 2, rng=0), [np.ones((2, 3))], [np.ones((2, 4))], [np.ones((2, 2))]),
        (Softmax, [np.zeros((2, 3))], [np.full((2, 3), "a")], [np.ones((2, 3))]),
        (Tanh, [np.zeros((2, 3))], [np.array(["a", "b"])], [np.ones((2, 3))]),
        (CrossEntropy, [np.full((2, 2), 0.5), [0, 1]], [np.full((2, 2), 0.5), [0, 2]], []),
        (SoftmaxCrossEntropy, [np.zeros((2, 2)), [0, 1]], [np.zeros((2, 2)), [0, 5]], []),
        (SquaredError, [np.zeros((2, 2)), [0, 1]], [np.zeros((2, 2)), [0, 1, 1]], []),
        (
            lambda: Sequential(Linear(3, 3, rng=0), Softmax()),
            [np.ones((2, 3))],
            [np.ones((2, 4))],
            [np.ones((2, 3))],
        ),
    ],
    ids=["Linear", "Softmax", "Tanh", "CrossEntropy", "SoftmaxCrossEntropy", "SquaredError", "Seq"],
)
def test_backward_after_a_failed_forward_raises_instead_of_reusing_the_old_cache(
    make, good, bad, backward_args
):
    layer = make()
    layer.forward(*good)
    with pytest.raises((TypeError, ValueError)):
        layer.forward(*bad)
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before .*forward\(\)"):
        layer.backward(*backward_args)


# --- item 12: construction and call-order mistakes -----------------------------------------


def test_sequential_refuses_a_layer_class_at_construction():
    with pytest.raises(TypeError, match=r"received the class Softmax.*Softmax\(\)"):
        Sequential(Linear(2, 3, rng=0), Softmax)


def test_linear_parameters_between_forward_and_backward_says_what_is_missing():
    layer = Linear(2, 3, rng=0)
    layer.forward(np.ones((1, 2)))
    with pytest.raises(RuntimeError) as excinfo:
        list(layer.parameters())
    message = str(excinfo.value)
    assert "called before" not in message
    assert "forward() ran but backward() has not" in message


def test_linear_parameters_before_anything_says_so():
    with pytest.raises(RuntimeError, match=r"no gradients yet \(neither ran\)"):
        list(Linear(2, 3, rng=0).parameters())


@pytest.mark.parametrize("seed", [-1, -(2**40)])
def test_linear_negative_seed_names_rng(seed):
    with pytest.raises(ValueError, match=rf"rng must be a non-negative int seed.*{seed}"):
        Linear(2, 3, rng=seed)


def test_linear_accepts_a_numpy_integer_seed_like_an_int():
    a, b = Linear(2, 3, rng=np.int64(7)), Linear(2, 3, rng=7)
    assert_array_equal(a.weight, b.weight)


# --- item 5 in the layers: integer targets of the predictions' shape are ambiguous ---------


@pytest.mark.parametrize("loss", [SquaredError(), CrossEntropy(), SoftmaxCrossEntropy()])
def test_losses_refuse_integer_targets_of_the_prediction_shape(loss):
    with pytest.raises(ValueError, match=r"reads two ways.*class labels.*floating-point"):
        loss.forward(np.array([[0.2, 0.3, 0.5]]), np.array([[0, 1, 0]]))


@pytest.mark.parametrize("loss", [SquaredError(), CrossEntropy(), SoftmaxCrossEntropy()])
def test_losses_read_float_one_hot_and_integer_labels_alike(loss):
    s = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    from_labels = loss.forward(s, np.array([2, 0]))
    grad_labels = loss.backward()
    from_one_hot = loss.forward(s, np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    assert_allclose(from_labels, from_one_hot, rtol=1e-15)
    assert_allclose(grad_labels, loss.backward(), rtol=1e-15)


def test_softmax_layer_refuses_complex_logits_at_forward():
    # sc.softmax accepts complex input, but the layer's backward could not differentiate it:
    # the layer says so at forward, naming its argument, and keeps no cache
    layer = Softmax()
    with pytest.raises(TypeError, match=r"^z .*complex"):
        layer.forward(np.array([[1.0 + 1j, 2.0]]))
    with pytest.raises(RuntimeError):
        layer.backward(np.ones((1, 2)))
