"""Tests of the finite-difference tools on functions whose derivatives are known in closed form."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.differentiate
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import (
    GradientCheck,
    check_gradient,
    numerical_gradient,
    numerical_jacobian,
    relative_error,
)
from tests.strategies import gradcheck_points, scalable_points


def rounding_level(value: float, eps: float = 1e-6) -> float:
    """A bound on central-difference rounding error: ~u |f| / eps with u = 1.1e-16, times 10."""
    return 1e-9 * (1.0 + abs(float(value))) * (1e-6 / eps)


# --- numerical_jacobian -------------------------------------------------------------------


@given(gradcheck_points)
def test_jacobian_of_sin_is_diagonal_cos(x):
    jacobian = numerical_jacobian(np.sin, x)
    assert jacobian.shape == x.shape + x.shape
    expected = np.diag(np.cos(x).ravel()).reshape(x.shape + x.shape)
    assert_allclose(jacobian, expected, rtol=0, atol=1e-9)


def test_jacobian_of_a_linear_map_is_its_matrix():
    A = np.random.default_rng(0).normal(size=(3, 5))
    x = np.random.default_rng(1).normal(size=5)
    assert_allclose(numerical_jacobian(lambda v: A @ v, x), A, rtol=1e-9, atol=1e-10)


def test_jacobian_shape_is_output_shape_then_input_shape():
    B = np.random.default_rng(2).normal(size=(3, 4))
    X = np.random.default_rng(3).normal(size=(2, 3))
    jacobian = numerical_jacobian(lambda M: M @ B, X)  # (2, 3) -> (2, 4)
    assert jacobian.shape == (2, 4, 2, 3)
    # d (XB)[i, j] / d X[k, l] = delta_ik B[l, j]
    expected = np.einsum("ik,lj->ijkl", np.eye(2), B)
    assert_allclose(jacobian, expected, rtol=1e-9, atol=1e-10)


def test_jacobian_agrees_with_scipy_differentiate():
    def f(x):
        return np.array([x[0] * x[1], np.exp(x[2]) - x[0] ** 2, np.tanh(x[1] * x[2])])

    x = np.array([0.3, -1.2, 0.8])
    reference = scipy.differentiate.jacobian(f, x).df
    assert_allclose(numerical_jacobian(f, x), reference, rtol=1e-8, atol=1e-10)


def test_scalar_function_of_a_vector_gives_the_gradient_shape():
    x = np.array([1.0, 2.0])
    assert numerical_jacobian(lambda v: v @ v, x).shape == (2,)


def test_integer_and_float32_points_are_differentiated_in_float64():
    for x in (np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0], dtype=np.float32)):
        gradient = numerical_gradient(lambda v: np.sum(v**3), x)
        assert gradient.dtype == np.float64
        assert_allclose(gradient, [3.0, 12.0, 27.0], rtol=1e-9)


def test_the_point_is_never_mutated_even_by_a_function_that_writes_to_its_argument():
    x = np.array([0.5, -0.25, 2.0])
    x.setflags(write=False)

    def rude(v):
        value = np.sum(v**2)
        v[:] = 1e6  # writes into whatever it was given
        return value

    assert_allclose(numerical_gradient(rude, x), 2 * x, rtol=1e-9)
    assert_array_equal(x, [0.5, -0.25, 2.0])


# --- numerical_gradient -------------------------------------------------------------------


@given(gradcheck_points)
def test_gradient_of_sum_of_cubes(x):
    def f(v):
        return np.sum(v**3)

    # the terms of the sum, not its (possibly cancelled) value, set the rounding error
    terms = np.sum(np.abs(x) ** 3)
    assert_allclose(numerical_gradient(f, x), 3 * x**2, rtol=0, atol=rounding_level(terms))


@given(gradcheck_points)
def test_gradient_of_a_quadratic_form(x):
    v = x.ravel()
    A = np.arange(v.size**2, dtype=np.float64).reshape(v.size, v.size) / v.size**2

    def f(t):
        return t.ravel() @ A @ t.ravel()

    gradient = numerical_gradient(f, x)
    # the terms of the sum, not its (possibly cancelled) value, set the rounding error
    size_of_terms = np.abs(v) @ np.abs(A) @ np.abs(v)
    expected = ((A + A.T) @ v).reshape(x.shape)
    assert_allclose(gradient, expected, rtol=0, atol=rounding_level(size_of_terms))


def test_gradient_requires_a_scalar_function():
    with pytest.raises(
        ValueError,
        match=r"f must return a scalar; f\(x\) returned an array of shape \(3,\); "
        r"expected a single number",
    ):
        numerical_gradient(lambda v: v**2, np.ones(3))


def test_step_size_controls_the_error():
    # exp'(1) = e; the central-difference error scales like eps^2 until rounding takes over
    x = np.array([1.0])
    errors = [
        abs(numerical_gradient(lambda v: np.exp(v[0]), x, eps=e)[0] - np.e) for e in (1e-2, 1e-3)
    ]
    assert 50 < errors[0] / errors[1] < 200  # ~100 = (1e-2 / 1e-3)^2


@pytest.mark.parametrize("function", [numerical_jacobian, numerical_gradient])
def test_bad_arguments(function):
    with pytest.raises(TypeError, match=r"f must be a function of one array; received 3"):
        function(3, np.ones(2))
    with pytest.raises(ValueError, match=r"eps must be finite and greater than 0; received 0.0"):
        function(np.sum, np.ones(2), eps=0.0)
    with pytest.raises(TypeError, match=r"x must be real; received complex"):
        function(np.sum, np.ones(2) * 1j)
    with pytest.raises(TypeError, match=r"f\(x\) must be an array of real numbers"):
        function(lambda v: "nope", np.ones(2))


def test_a_function_that_changes_its_output_shape_is_reported():
    def unstable(v):
        return np.ones(2) if v[0] == 0.0 else np.ones(3)

    with pytest.raises(
        ValueError, match=r"f must return arrays of one shape; f\(x\) has shape \(2,\)"
    ):
        numerical_jacobian(unstable, np.zeros(1))


# --- relative_error -----------------------------------------------------------------------


def test_relative_error_known_values():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0  # 0 / tiny, not 0 / 0
    assert relative_error(np.zeros((0, 2)), np.zeros((0, 2))) == 0.0
    assert relative_error([1.0, -2.0], [-1.0, 2.0]) == 1.0  # opposite
    assert relative_error([3.0, 0.0], [0.0, 0.0]) == 1.0  # one of them zero
    assert_allclose(relative_error([1.0, 2.0], [1.0, 2.1]), 0.1 / 4.1, rtol=1e-14)
    assert np.isnan(relative_error([np.nan, 1.0], [1.0, 1.0]))
    assert isinstance(relative_error([1.0], [1.0]), np.float64)


@given(scalable_points, st.floats(1e-3, 1e3))
def test_relative_error_is_symmetric_scale_free_and_at_most_one(a, scale):
    b = a[::-1].copy() if a.ndim == 1 else a.T.copy().reshape(a.shape)
    error = relative_error(a, b)
    assert error == relative_error(b, a)
    assert 0.0 <= error <= 1.0
    # atol: scaling rounds a and b, which moves an error made of rounding (~1e-16) by ~1e-16
    assert_allclose(relative_error(scale * a, scale * b), error, rtol=1e-12, atol=4e-16)


def test_relative_error_refuses_to_broadcast():
    with pytest.raises(
        ValueError,
        match=r"a and b must have the same shape; received a of shape \(3,\) and b of "
        r"shape \(3, 1\)",
    ):
        relative_error(np.ones(3), np.ones((3, 1)))


# --- check_gradient -----------------------------------------------------------------------


def test_check_gradient_passes_a_right_gradient_given_as_array_or_function():
    x = np.array([0.5, -1.0, 2.0])
    result = check_gradient(3 * x**2, lambda v: np.sum(v**3), x)
    assert isinstance(result, GradientCheck)
    assert result.passed and result.error < 1e-9
    assert check_gradient(lambda v: np.cos(v), lambda v: np.sum(np.sin(v)), x).passed


def test_check_gradient_fails_a_wrong_gradient_and_points_at_the_worst_entry():
    x = np.array([0.5, -1.0, 2.0])
    result = check_gradient(lambda v: v**2, lambda v: np.sum(v**3), x)  # missing factor 3
    assert not result.passed
    assert result.index == (2,)  # |4 - 12| is the largest difference
    assert result.analytic_value == 4.0
    assert_allclose(result.numerical_value, 12.0, rtol=1e-9)
    assert_allclose(result.error, 8.0 / 16.0, rtol=1e-9)
    assert_allclose(result.numerical, 3 * x**2, rtol=1e-9)
    text = repr(result)
    assert text.startswith("GradientCheck(FAILED: relative error 5.00e-01 > rtol 1e-07")
    assert "worst entry at index (2,): analytic 4, numerical 12" in text
    assert "passed" in repr(check_gradient(3 * x**2, lambda v: np.sum(v**3), x))


def test_check_gradient_of_a_vector_function_compares_jacobians():
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = np.array([0.1, 0.2])
    assert check_gradient(A, lambda v: A @ v, x).passed
    result = check_gradient(A.T.reshape(3, 2), lambda v: A @ v, x)
    assert not result.passed


def test_check_gradient_rtol_is_the_threshold():
    x = np.array([1.0])
    slightly_off = np.array([np.e * (1 + 1e-5)])
    assert not check_gradient(slightly_off, lambda v: np.exp(v[0]), x).passed
    assert check_gradient(slightly_off, lambda v: np.exp(v[0]), x, rtol=1e-4).passed


def test_check_gradient_nan_never_passes():
    result = check_gradient(np.array([np.nan, 1.0]), lambda v: np.sum(v), np.ones(2))
    assert not result.passed
    assert result.index == (0,)


def test_check_gradient_bad_arguments():
    with pytest.raises(
        ValueError, match=r"analytic has shape \(2,\); expected \(3,\), the shape of the gradient"
    ):
        check_gradient(np.ones(2), np.sum, np.ones(3))
    with pytest.raises(ValueError, match=r"analytic has shape \(3,\); expected \(2, 3\).*Jacobian"):
        check_gradient(np.ones(3), lambda v: np.stack([v.sum(), v.prod()]), np.ones(3))
    with pytest.raises(ValueError, match=r"rtol must be finite and greater than 0; received -1.0"):
        check_gradient(np.ones(3), np.sum, np.ones(3), rtol=-1)


# --- issue 16.1: the default step follows the precision of f(x) --------------------------------


def test_default_step_is_1e_6_in_float64_and_the_cube_root_of_eps_in_float32():
    x = np.array([0.3, -2.0, 4.0])
    calls = []

    def f(v, dtype):
        calls.append(v.copy())
        return np.sum(np.sin(v).astype(dtype))

    for dtype, expected in [
        (np.float64, 1e-6),
        (np.float32, float(np.finfo(np.float32).eps) ** (1 / 3) * 4.0),  # scaled by max |x| = 4
    ]:
        calls.clear()
        numerical_gradient(lambda v, d=dtype: f(v, d), x)
        steps = [np.max(np.abs(c - x)) for c in calls if np.any(c != x)]  # not f(x) itself
        assert len(steps) == 2 * x.size
        assert_allclose(steps, expected, rtol=1e-9)


def test_float32_numerical_gradient_at_the_default_step_is_accurate_to_float32():
    x = np.array([0.3, -2.0, 4.0])
    numerical = numerical_gradient(lambda v: np.sum(np.sin(v.astype(np.float32))), x)
    assert_allclose(numerical, np.cos(x), rtol=1e-3)  # at eps=1e-6: off by about 10 %


# --- issue 17.2: relative_error is in [0, 1], symmetric and scale-free up to the float64 max ---


@given(
    hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e308, 1e308)),
    hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e308, 1e308)),
)
def test_relative_error_is_a_number_in_0_1_for_any_finite_input(a, b):
    if a.shape != b.shape:
        b = np.resize(b, a.shape)
    error = relative_error(a, b)
    assert 0.0 <= error <= 1.0
    assert error == relative_error(b, a)
    assert relative_error(a, a) == 0.0
    if np.max(np.abs(a)) >= np.finfo(np.float64).tiny:  # below it the floor `tiny` rules
        assert relative_error(a, -a) == 1.0
