"""Every backward pass of softmax_course.nn against central finite differences.

The finite differences always differentiate an independent forward computation
(scipy.special.softmax, plain numpy formulas), never the layer's own backward.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import check_gradient
from softmax_course.nn import (
    CrossEntropy,
    Linear,
    Sequential,
    Softmax,
    SoftmaxCrossEntropy,
    SquaredError,
    Tanh,
)

RTOL = 1e-7  # relative error a correct gradient must reach on well-conditioned inputs
SHAPES = [(5,), (4, 3), (2, 3, 6), (8, 10)]


def well_conditioned(shape, seed):
    """Logits of order 1, an upstream gradient, and one-hot targets for the given shape."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=shape)
    g = rng.normal(size=shape)
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    y = np.eye(shape[-1])[labels]
    return z, g, labels, y


def mean_cross_entropy(s, y):
    return -np.sum(y * np.log(s)) / (s.size // s.shape[-1])


# --- Softmax -----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_forward_and_backward(shape):
    z, g, _, _ = well_conditioned(shape, 0)
    layer = Softmax()
    assert_allclose(layer.forward(z), scipy.special.softmax(z, axis=-1), rtol=1e-13)
    dz = layer.backward(g)
    result = check_gradient(dz, lambda t: np.sum(g * scipy.special.softmax(t, axis=-1)), z)
    assert result.passed, result


def test_softmax_layer_on_another_axis():
    z, g, _, _ = well_conditioned((4, 3), 1)
    layer = Softmax(axis=0)
    layer.forward(z)
    result = check_gradient(
        layer.backward(g), lambda t: np.sum(g * scipy.special.softmax(t, axis=0)), z
    )
    assert result.passed, result


# --- Tanh --------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_tanh_forward_and_backward(shape):
    a, g, _, _ = well_conditioned(shape, 3)
    layer = Tanh()
    assert_allclose(layer.forward(a), np.tanh(a), rtol=1e-15)
    # d tanh(a) / da = 1 / cosh(a)^2, an independent closed form
    assert_allclose(layer.backward(g), g / np.cosh(a) ** 2, rtol=1e-12)
    result = check_gradient(layer.backward(g), lambda t: np.sum(g * np.tanh(t)), a)
    assert result.passed, result


def test_tanh_rejects_a_gradient_of_the_wrong_shape():
    layer = Tanh()
    layer.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"g has shape \(3, 2\); expected \(2, 3\)"):
        layer.backward(np.zeros((3, 2)))


# --- Linear ------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [(6,), (2, 3)])
def test_linear_backward_for_input_weight_and_bias(batch):
    rng = np.random.default_rng(2)
    layer = Linear(4, 3, rng=rng)
    layer.bias[:] = rng.normal(size=3)
    x = rng.normal(size=batch + (4,))
    g = rng.normal(size=batch + (3,))
    W, b = layer.weight.copy(), layer.bias.copy()
    assert_allclose(layer.forward(x), x @ W + b, rtol=1e-14)
    dx = layer.backward(g)

    for analytic, f, point in [
        (dx, lambda t: np.sum(g * (t @ W + b)), x),
        (layer.grad_weight, lambda t: np.sum(g * (x @ t + b)), W),
        (layer.grad_bias, lambda t: np.sum(g * (x @ W + t)), b),
    ]:
        result = check_gradient(analytic, f, point)
        assert result.passed, result


def test_linear_initialisation_is_reproducible_and_scaled():
    a = Linear(400, 50, rng=np.random.default_rng(7))
    b = Linear(400, 50, rng=7)
    assert_array_equal(a.weight, b.weight)
    assert_array_equal(a.bias, np.zeros(50))
    assert abs(a.weight.std() - 1 / np.sqrt(400)) < 0.003


def test_parameters_are_the_arrays_themselves():
    layer = Linear(2, 2, rng=0)
    layer.forward(np.ones((3, 2)))
    layer.backward(np.ones((3, 2)))
    weight_before = layer.weight.copy()
    for parameter, gradient in layer.parameters():
        parameter -= 0.5 * gradient  # an SGD step, in place
    assert_allclose(layer.weight, weight_before - 0.5 * 3.0, rtol=1e-15)
    assert_allclose(layer.bias, -1.5, rtol=1e-15)


# --- losses ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_squared_error_value_and_gradient(shape):
    z, _, labels, y = well_conditioned(shape, 3)
    s = scipy.special.softmax(z, axis=-1)
    n = s.size // shape[-1]
    loss = SquaredError()

    def reference(t):
        return 0.5 * np.sum((t - y) ** 2) / n

    assert_allclose(loss.forward(s, y), reference(s), rtol=1e-14)
    result = check_gradient(loss.backward(), reference, s)
    assert result.passed, result
    assert_allclose(loss.forward(s, labels), reference(s), rtol=1e-14)  # labels are one-hot encoded
    assert_allclose(loss.backward(), (s - y) / n, rtol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_cross_entropy_value_and_gradient(shape):
    z, _, labels, y = well_conditioned(shape, 4)
    s = scipy.special.softmax(z, axis=-1)
    loss = CrossEntropy()
    assert_allclose(loss.forward(s, labels), mean_cross_entropy(s, y), rtol=1e-13)
    # eps=1e-7 keeps the perturbed rows summing to 1 within the loss's own check
    result = check_gradient(
        loss.backward(), lambda t: loss.forward(t, labels), s, eps=1e-7, rtol=RTOL
    )
    assert result.passed, result


@pytest.mark.parametrize("shape", SHAPES)
def test_fused_softmax_cross_entropy_value_and_gradient(shape):
    z, _, labels, y = well_conditioned(shape, 5)
    n = z.size // shape[-1]
    loss = SoftmaxCrossEntropy()

    def reference(t):
        return mean_cross_entropy(scipy.special.softmax(t, axis=-1), y)

    assert_allclose(loss.forward(z, labels), reference(z), rtol=1e-13)
    dz = loss.backward()
    result = check_gradient(dz, reference, z)
    assert result.passed, result
    assert_allclose(dz, (scipy.special.softmax(z, axis=-1) - y) / n, rtol=1e-13, atol=1e-17)


# --- composition: softmax meets any loss through the chain rule --------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("loss", "reference"),
    [
        (SquaredError(), lambda s, y: 0.5 * np.sum((s - y) ** 2) / (s.size // s.shape[-1])),
        (CrossEntropy(), mean_cross_entropy),
    ],
    ids=["squared_error", "cross_entropy"],
)
def test_softmax_then_any_loss_matches_finite_differences(shape, loss, reference):
    z, _, labels, y = well_conditioned(shape, 6)
    activation = Softmax()
    loss.forward(activation.forward(z), y)
    dz = activation.backward(loss.backward())
    result = check_gradient(dz, lambda t: reference(scipy.special.softmax(t, axis=-1), y), z)
    assert result.passed, result


@pytest.mark.parametrize("shape", SHAPES)
def test_generic_chain_equals_the_fused_shortcut(shape):
    z, _, labels, _ = well_conditioned(shape, 7)
    activation, loss, fused = Softmax(), CrossEntropy(), SoftmaxCrossEntropy()
    loss.forward(activation.forward(z), labels)
    fused.forward(z, labels)
    assert_allclose(activation.backward(loss.backward()), fused.backward(), rtol=1e-12, atol=1e-17)


def test_sequential_model_gradients_for_every_parameter():
    rng = np.random.default_rng(8)
    first, second = Linear(3, 5, rng=rng), Linear(5, 4, rng=rng)
    model = Sequential(first, Softmax(), second, Softmax())
    loss = SquaredError()
    x = rng.normal(size=(6, 3))
    labels = rng.integers(0, 4, size=6)
    y = np.eye(4)[labels]

    def reference(W1, b1, W2, b2):
        hidden = scipy.special.softmax(x @ W1 + b1, axis=-1)
        s = scipy.special.softmax(hidden @ W2 + b2, axis=-1)
        return 0.5 * np.sum((s - y) ** 2) / 6

    loss.forward(model.forward(x), labels)
    model.backward(loss.backward())
    params = [first.weight, first.bias, second.weight, second.bias]
    grads = [gradient for _, gradient in model.parameters()]
    assert len(grads) == 4
    for i, (param, grad) in enumerate(zip(params, grads, strict=True)):

        def f(t, i=i):
            args = [p.copy() for p in params]
            args[i] = t
            return reference(*args)

        result = check_gradient(grad, f, param)
        assert result.passed, (i, result)


def test_reprs():
    model = Sequential(Linear(2, 3, rng=0), Softmax())
    assert repr(model) == "Sequential(Linear(in_features=2, out_features=3), Softmax(axis=-1))"
    assert repr(SoftmaxCrossEntropy()) == "SoftmaxCrossEntropy()"


def test_layers_are_callable():
    layer = Softmax()
    assert_allclose(layer(np.zeros(4)), 0.25)
    assert_allclose(SquaredError()(np.array([1.0, 0.0]), np.array([1.0, 0.0])), 0.0)


# --- misuse ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "thing",
    [Softmax(), Tanh(), Linear(2, 2, rng=0), SquaredError(), CrossEntropy(), SoftmaxCrossEntropy()],
)
def test_backward_before_forward(thing):
    name = type(thing).__name__
    with pytest.raises(
        RuntimeError, match=rf"{name}.backward\(\) was called before {name}.forward"
    ):
        if isinstance(thing, (Softmax, Tanh, Linear)):
            thing.backward(np.ones((1, 2)))
        else:
            thing.backward()


def test_bad_shapes_and_arguments():
    layer = Linear(3, 2, rng=0)
    with pytest.raises(
        ValueError, match=r"x has shape \(4, 2\); expected a last axis of length in_features=3"
    ):
        layer.forward(np.ones((4, 2)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"g has shape \(4, 3\); expected \(4, 2\)"):
        layer.backward(np.ones((4, 3)))
    activation = Softmax()
    activation.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"received s of shape \(2, 3\) and g of shape \(3, 2\)"):
        activation.backward(np.ones((3, 2)))
    with pytest.raises(
        TypeError, match=r"rng must be a numpy.random.Generator or an int seed; received None"
    ):
        Linear(2, 2, rng=None)
    with pytest.raises(ValueError, match=r"in_features must be >= 1; received 0"):
        Linear(0, 2, rng=0)
    with pytest.raises(TypeError, match=r"out_features must be an int; received 2.0"):
        Linear(2, 2.0, rng=0)
    with pytest.raises(
        ValueError,
        match=r"targets has shape \(3,\), which does not fit predictions of shape \(2, 3\)",
    ):
        SquaredError().forward(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"prediction must have a class axis"):
        SquaredError().forward(1.0, 1.0)
    with pytest.raises(TypeError, match=r"every layer needs forward and backward methods"):
        Sequential(Softmax(), np.exp)
