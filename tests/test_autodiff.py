"""Tests of softmax_course.autodiff: every VJP against finite differences and the package."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import softmax_course as sc
from softmax_course import autodiff as ad
from softmax_course import nn
from softmax_course.autodiff import Tensor
from tests import strategies as sts

RTOL, ATOL = 1e-6, 1e-8  # central differences with eps = 1e-6 on entries of order 1


def numeric_grads(f, *arrays):
    """Central-difference gradient of the scalar numpy function f with respect to each array."""
    grads = []
    for i, a in enumerate(arrays):

        def f_i(x, i=i):
            args = list(arrays)
            args[i] = x
            return f(*args)

        grads.append(sc.numerical_gradient(f_i, a))
    return grads


def assert_grads_match(tensor_f, numpy_f, *arrays):
    """The engine's gradients of tensor_f equal finite differences of the same numpy_f."""
    copies = [a.copy() for a in arrays]
    auto = ad.grad(tensor_f, *arrays)
    for a, copy in zip(arrays, copies, strict=True):
        np.testing.assert_array_equal(a, copy)  # inputs never mutated
    for g, numeric, a in zip(auto, numeric_grads(numpy_f, *arrays), arrays, strict=True):
        assert g.shape == np.shape(a)
        np.testing.assert_allclose(g, numeric, rtol=RTOL, atol=ATOL)


# --- elementwise operations with broadcasting ------------------------------------------------

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", BINARY)
@given(data=st.data())
def test_binary_vjps_match_finite_differences_under_broadcasting(op, data):
    a, b, w = data.draw(sts.broadcastable_pairs(positive_second=(op == "div")))
    fn = BINARY[op]
    assert_grads_match(
        lambda A, B: (fn(A, B) * w).sum(), lambda A, B: float(np.sum(fn(A, B) * w)), a, b
    )


@pytest.mark.parametrize("op", BINARY)
@given(data=st.data())
def test_numpy_array_on_the_left_is_a_constant(op, data):
    a, b, w = data.draw(sts.broadcastable_pairs(positive_second=True))
    fn = BINARY[op]
    (gb,) = ad.grad(lambda B: (fn(a, B) * w).sum(), b)  # ndarray (op) Tensor: __r*__ methods
    (numeric,) = numeric_grads(lambda B: float(np.sum(fn(a, B) * w)), b)
    np.testing.assert_allclose(gb, numeric, rtol=RTOL, atol=ATOL)


UNARY = {
    "exp": (ad.exp, np.exp),
    "log": (ad.log, np.log),
    "tanh": (ad.tanh, np.tanh),
    "square": (lambda x: x**2, lambda x: x**2),
    "inverse sqrt": (lambda x: x**-0.5, lambda x: x**-0.5),
    "neg": (lambda x: -x, lambda x: -x),
}


@pytest.mark.parametrize("op", UNARY)
@given(data=st.data())
def test_unary_vjps_match_finite_differences(op, data):
    _, x, _ = data.draw(sts.broadcastable_pairs(positive_second=True))  # x in [0.5, 2]
    w = data.draw(sts.hnp.arrays(np.float64, x.shape, elements=sts.order_one_floats))
    tensor_fn, numpy_fn = UNARY[op]
    assert_grads_match(
        lambda X: (tensor_fn(X) * w).sum(), lambda X: float(np.sum(numpy_fn(X) * w)), x
    )


# --- reductions ----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
@given(x=sts.arrays_without_ties(), keepdims=st.booleans(), data=st.data())
def test_reductions_match_finite_differences(reduction, x, keepdims, data):
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    out_shape = getattr(x, reduction)(axis=axis, keepdims=keepdims).shape
    w = data.draw(sts.hnp.arrays(np.float64, out_shape, elements=sts.order_one_floats))
    assert_grads_match(
        lambda X: (getattr(X, reduction)(axis=axis, keepdims=keepdims) * w).sum(),
        lambda X: float(np.sum(getattr(X, reduction)(axis=axis, keepdims=keepdims) * w)),
        x,
    )


def test_max_shares_the_gradient_between_ties():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]]))
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_sum_over_several_axes():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    out = x.sum(axis=(0, 2))
    np.testing.assert_array_equal(out.value, np.arange(24.0).reshape(2, 3, 4).sum(axis=(0, 2)))
    out.backward(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, np.broadcast_to([[1.0], [2.0], [3.0]], (2, 3, 4)))


# --- matmul, indexing, reshape -------------------------------------------------------------


@given(operands=sts.matmul_operands(), data=st.data())
def test_matmul_vjp_matches_finite_differences(operands, data):
    a, b = operands
    w = data.draw(sts.hnp.arrays(np.float64, (a @ b).shape, elements=sts.order_one_floats))
    assert_grads_match(lambda A, B: (A @ B * w).sum(), lambda A, B: float(np.sum(A @ B * w)), a, b)


@given(x=sts.batches(max_n=5, max_k=5, elements=sts.order_one_floats), data=st.data())
def test_picking_entries_scatters_the_gradient_back(x, data):
    rows = data.draw(st.lists(st.integers(0, x.shape[0] - 1), min_size=1, max_size=8))
    cols = data.draw(
        st.lists(st.integers(0, x.shape[1] - 1), min_size=len(rows), max_size=len(rows))
    )
    index = (np.array(rows), np.array(cols))  # repeated pairs are allowed: both count
    w = np.arange(1.0, len(rows) + 1)
    assert_grads_match(lambda X: (X[index] * w).sum(), lambda X: float(np.sum(X[index] * w)), x)


def test_reshape_and_slices():
    x = np.arange(6.0)
    (g,) = ad.grad(lambda X: (X.reshape(2, 3)[:, 1:] ** 2).sum(), x)
    np.testing.assert_array_equal(g, [0.0, 2.0, 4.0, 0.0, 8.0, 10.0])


def test_unbroadcast_sums_exactly_the_stretched_axes():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(ad.unbroadcast(g, (3, 1)), g.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(ad.unbroadcast(g, ()), g.sum())
    np.testing.assert_array_equal(ad.unbroadcast(g, (2, 3, 4)), g)
    np.testing.assert_array_equal(ad.unbroadcast(g, (1, 3, 4)), g.sum(axis=0, keepdims=True))


# --- the graph: fan-out, reuse, intermediates ----------------------------------------------


def test_a_value_used_twice_receives_the_sum_of_both_gradients():
    x = Tensor(np.array([1.0, 2.0]))
    y = x * x + ad.exp(x)  # x feeds three uses
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.value + np.exp(x.value), rtol=1e-15)


def test_backward_twice_gives_the_same_gradients_not_their_sum():
    x = Tensor(np.array([1.0, -2.0]))
    out = (ad.tanh(x) * 3.0).sum()
    out.backward()
    first = x.grad.copy()
    out.backward()
    np.testing.assert_array_equal(x.grad, first)


def test_deep_chains_do_not_hit_the_recursion_limit():
    x = Tensor(np.array([0.5]))
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0])


# --- against the package's analytic gradients ------------------------------------------------


@given(sts.logits_and_labels(min_dims=2, max_dims=2, max_side=6))
def test_the_engine_rediscovers_S_minus_Y_over_N(case):
    z, labels = case
    t = Tensor(z)
    E = ad.softmax_cross_entropy(t, labels)
    E.backward()
    np.testing.assert_allclose(E.value, sc.softmax_cross_entropy(z, labels), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        t.grad, sc.softmax_cross_entropy_grad(z, labels), rtol=1e-9, atol=1e-15
    )


@given(x=sts.batches(max_n=5, max_k=5, elements=sts.small_floats), data=st.data())
def test_softmax_built_from_primitives_has_the_vjp_of_lesson_05(x, data):
    g = data.draw(sts.hnp.arrays(np.float64, x.shape, elements=sts.unit_floats))
    t = Tensor(x)
    e = ad.exp(t - t.max(axis=1, keepdims=True))
    s = e / e.sum(axis=1, keepdims=True)
    s.backward(g)
    np.testing.assert_allclose(s.value, sc.softmax(x), rtol=1e-12)
    np.testing.assert_allclose(t.grad, sc.softmax_vjp(sc.softmax(x), g), rtol=1e-9, atol=1e-15)


def test_the_engine_trains_the_network_of_lesson_07_like_the_nn_module():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, size=20)
    first, last = nn.Linear(4, 5, rng=1), nn.Linear(5, 3, rng=2)
    model = nn.Sequential(first, nn.Tanh(), last)
    params = [Tensor(p.copy()) for p in (first.weight, first.bias, last.weight, last.bias)]
    loss_fn = nn.SoftmaxCrossEntropy()
    for _ in range(25):
        loss_fn.forward(model.forward(X), y)
        model.backward(loss_fn.backward())
        for parameter, gradient in model.parameters():
            parameter -= 0.5 * gradient
        W1, b1, W2, b2 = params
        E = ad.softmax_cross_entropy(ad.tanh(Tensor(X) @ W1 + b1) @ W2 + b2, y)
        E.backward()
        params = [Tensor(p.value - 0.5 * p.grad) for p in params]
    for p, (reference, _) in zip(params, model.parameters(), strict=True):
        np.testing.assert_allclose(p.value, reference, rtol=1e-10, atol=1e-12)


# --- errors ------------------------------------------------------------------------------


def test_bad_input_is_rejected_with_a_message_naming_it():
    with pytest.raises(TypeError, match="value"):
        Tensor(np.array([1j]))
    with pytest.raises(TypeError, match="Tensor"):
        Tensor(Tensor([1.0]))
    with pytest.raises(ValueError, match="g is required"):
        Tensor([1.0, 2.0]).backward()
    with pytest.raises(ValueError, match=r"g has shape \(3,\)"):
        Tensor([1.0, 2.0]).backward(np.ones(3))
    with pytest.raises(ValueError, match="left operand"):
        Tensor([1.0, 2.0]) @ Tensor(np.ones((2, 2)))
    with pytest.raises(TypeError, match="power"):
        Tensor([1.0]) ** Tensor([2.0])
    with pytest.raises(ValueError, match="out of range"):
        Tensor(np.ones((2, 2))).sum(axis=2)
    with pytest.raises(TypeError, match="axis"):
        Tensor(np.ones((2, 2))).max(axis=1.0)
    with pytest.raises(TypeError, match="f must be callable"):
        ad.grad(3, np.ones(2))
    with pytest.raises(TypeError, match="must return a Tensor"):
        ad.grad(lambda x: 1.0, np.ones(2))
    with pytest.raises(ValueError, match="labels"):
        ad.softmax_cross_entropy(Tensor(np.ones((2, 3))), [0.0, 1.0])


def test_integer_input_becomes_float64():
    assert Tensor([1, 2]).value.dtype == np.float64
    assert Tensor(np.float32(1.0)).value.dtype == np.float64
