"""Misuse of softmax_course.gradcheck: inputs a careful user meets that once gave wrong verdicts.

Each test here failed before its fix (issue 16 item 1, issue 17 items 2 and 3).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import softmax_course as sc
from softmax_course import check_gradient, numerical_gradient, relative_error


def float32_regression(n: int = 1000, k: int = 5, d: int = 4, seed: int = 0):
    """A softmax regression loss computed in float32, its analytic dW, and a point W."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = rng.integers(0, k, n)
    W = rng.normal(size=(d, k))

    def loss(W):
        return sc.softmax_cross_entropy(X @ W.astype(np.float32), y)

    def grad(W):
        return X.T @ sc.softmax_cross_entropy_grad(X @ W.astype(np.float32), y)

    return loss, grad, W


# --- issue 16.1: a correct float32 gradient must pass, a wrong one must fail ----------------


def test_correct_float32_gradient_passes_with_the_defaults():
    loss, grad, W = float32_regression()
    check = check_gradient(grad, loss, W)  # was: error about 0.3 > rtol 1e-7
    assert check.passed, check
    assert check.rtol == 1e-2


@pytest.mark.parametrize("wrong", ["factor", "sign", "transposed_data"])
def test_wrong_float32_gradient_fails_with_the_defaults(wrong):
    loss, grad, W = float32_regression()
    rng = np.random.default_rng(1)
    other = rng.normal(size=(1000, 4)).astype(np.float32)
    bad = {
        "factor": lambda W: 2 * grad(W),
        "sign": lambda W: -grad(W),
        "transposed_data": lambda W: (
            other.T
            @ sc.softmax_cross_entropy_grad(other @ W.astype(np.float32), np.zeros(1000, int))
        ),
    }[wrong]
    assert not check_gradient(bad, loss, W).passed


def test_float32_analytic_gradient_of_a_float64_function_passes():
    # A float32 model's dW against float64 differences of the same loss: the derivative's
    # own rounding (a few 1e-7 here) must not fail it
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 20)).astype(np.float32)
    y = rng.integers(0, 10, 1000)
    W = rng.normal(size=(20, 10)).astype(np.float32)
    dW = X.T @ sc.softmax_cross_entropy_grad(X @ W, y)  # computed in float32

    def loss(W):
        return sc.softmax_cross_entropy(X.astype(np.float64) @ W, y)

    check = check_gradient(dW, loss, W)
    assert check.passed, check  # was: 3.6e-7 > rtol 1e-7
    assert check.rtol == 1e-4
    assert not check_gradient(dW * 1.01, loss, W).passed


def test_float64_defaults_are_unchanged():
    x = np.array([0.5, -1.0, 2.0])
    check = check_gradient(lambda x: 3 * x**2, lambda x: np.sum(x**3), x)
    assert check.rtol == 1e-7
    step = 1e-6
    expected = np.sum((x + step * np.eye(3)) ** 3, axis=1) - np.sum(
        (x - step * np.eye(3)) ** 3, axis=1
    )
    assert_allclose(check.numerical, expected / (2 * step), rtol=1e-9)


def test_float16_is_refused_with_a_clear_message():
    x = np.array([0.5, -1.0, 2.0])
    with pytest.raises(ValueError, match=r"f\(x\) of dtype float16.*pass both eps= and rtol="):
        check_gradient(lambda x: 3 * x**2, lambda x: np.sum(x.astype(np.float16) ** 3), x)
    with pytest.raises(ValueError, match=r"analytic of dtype float16"):
        check_gradient(lambda x: (3 * x**2).astype(np.float16), lambda x: np.sum(x**3), x)
    # explicit eps and rtol: the caller's choice, and it runs
    check = check_gradient(
        lambda x: 3 * x**2, lambda x: np.sum(x.astype(np.float16) ** 3), x, eps=0.1, rtol=0.2
    )
    assert check.passed


# --- issue 17.2: relative_error with infinities and values near the float64 maximum ----------


def test_relative_error_of_equal_arrays_with_infinities_is_zero():
    a = np.array([np.inf, -np.inf, 1.0])
    assert relative_error(a, a.copy()) == 0.0  # was NaN


def test_relative_error_of_opposite_huge_numbers_is_one():
    assert relative_error(np.array([1.5e308]), np.array([-1.5e308])) == 1.0  # was NaN


def test_relative_error_with_an_unmatched_infinity_is_one():
    assert relative_error(np.array([np.inf, 1.0]), np.array([1.0, 1.0])) == 1.0
    assert relative_error(np.array([np.inf]), np.array([-np.inf])) == 1.0


# --- issue 17.3: the package differentiates its own loss with respect to probabilities ------


def test_numerical_gradient_of_cross_entropy_wrt_probabilities_at_the_default_eps():
    s = sc.softmax(np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]]))
    y = np.array([2, 0])
    numerical = numerical_gradient(lambda p: sc.cross_entropy(p, y), s)  # was a ValueError
    assert_allclose(numerical, sc.cross_entropy_grad(s, y), rtol=1e-7)


def test_check_gradient_of_cross_entropy_wrt_probabilities():
    s = sc.softmax(np.array([[0.2, -0.3, 1.0, 0.0]]))
    y = np.array([[0.1, 0.2, 0.3, 0.4]])
    check = check_gradient(sc.cross_entropy_grad(s, y), lambda p: sc.cross_entropy(p, y), s)
    assert check.passed, check


# --- issue 23.11: a step below f's resolution is diagnosed; float32 checks of cross_entropy ----


def float32_inside(x):
    """A function that computes in float32 and returns a float64 number."""
    return np.float64(np.sum(np.sin(x.astype(np.float32))))


def test_a_float32_function_returned_as_float64_is_diagnosed():
    x = np.array([0.5, -1.0, 2.0])
    check = check_gradient(np.cos(x), float32_inside, x)  # the right derivative
    assert not check.passed  # a step of 1e-6 is below float32's resolution: the check cannot pass
    text = repr(check)
    assert "float32" in text and "resolution" in text
    assert "eps=" in text and "rtol=" in text  # what to do
    # the advice works: with the float32 step and tolerance the right derivative passes
    advised = check_gradient(np.cos(x), float32_inside, x, eps=check.advised_eps, rtol=1e-2)
    assert advised.passed, advised
    assert not check_gradient(np.sin(x), float32_inside, x, eps=check.advised_eps, rtol=1e-2).passed


def test_numerical_zeros_where_the_analytic_gradient_is_not_are_diagnosed():
    x = np.array([1000.0, 2000.0])

    def coarse(v):  # float32 at 1000 resolves 6e-5: a step of 1e-6 changes nothing
        return np.float64(np.sum(v.astype(np.float32) ** 2))

    check = check_gradient(2 * x, coarse, x)
    assert not check.passed
    assert check.numerical_value == 0.0
    assert "numerical derivative is 0" in repr(check)


def test_a_wrong_float64_gradient_gets_no_resolution_diagnosis():
    x = np.array([0.5, -1.0, 2.0])
    check = check_gradient(np.sin(x), lambda v: np.sum(np.sin(v)), x)
    assert not check.passed
    assert "resolution" not in repr(check) and check.diagnosis == ""


def test_float32_gradient_check_of_the_packages_cross_entropy_wrt_probabilities():
    rng = np.random.default_rng(0)
    s = sc.softmax(rng.normal(size=(4, 3)))
    y = np.array([0, 1, 2, 0])

    def f32(p):
        return sc.cross_entropy(p.astype(np.float32), y)

    check = check_gradient(sc.cross_entropy_grad(s, y), f32, s)  # raised ValueError before
    assert check.passed, check
    assert check.eps < float(np.finfo(np.float32).eps) ** 0.5  # inside the sum-to-1 tolerance
    wrong = check_gradient(-sc.cross_entropy_grad(s, y), f32, s)
    assert not wrong.passed


def test_a_domain_error_at_x_itself_is_still_raised():
    with pytest.raises(ValueError, match="probs"):
        check_gradient(np.zeros(3), lambda p: sc.cross_entropy(p, np.array(0)), np.ones(3))
