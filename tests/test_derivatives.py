"""Tests of the softmax Jacobian, VJP and JVP against finite differences and the math.

The reference softmax inside every finite difference is ``scipy.special.softmax``,
so no test compares this package's derivative with this package's forward pass.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import (
    numerical_jacobian,
    softmax_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from tests.strategies import (
    logits,
    logits_and_axis,
    logits_axis_and_vector,
    small_floats,
)


def reference_softmax(z, axis=-1):
    return scipy.special.softmax(z, axis=axis)


def per_sample_jacobians(s, axis):
    """The textbook formula diag(s) - s s^T, one sample at a time (a loop, on purpose)."""
    s_last = np.moveaxis(s, axis, -1)
    k = s_last.shape[-1]
    expected = np.empty(s_last.shape[:-1] + (k, k))
    for index in np.ndindex(s_last.shape[:-1]):
        row = s_last[index]
        expected[index] = np.diag(row) - np.outer(row, row)
    return expected


# --- the Jacobian ------------------------------------------------------------------------


@given(logits_and_axis())
def test_batched_jacobian_equals_per_sample_formula(case):
    z, axis = case
    s = reference_softmax(z, axis)
    jacobian = softmax_jacobian(s, axis=axis)
    s_last = np.moveaxis(s, axis, -1)
    assert jacobian.shape == s_last.shape + (s_last.shape[-1],)
    assert_allclose(jacobian, per_sample_jacobians(s, axis), rtol=1e-15, atol=1e-300)


@given(logits(max_dims=1, max_side=8, elements=st.floats(-10.0, 10.0)))
def test_jacobian_equals_finite_differences_of_scipy_softmax(z):
    jacobian = softmax_jacobian(reference_softmax(z))
    numerical = numerical_jacobian(reference_softmax, z)
    # Central differences are accurate to ~1e-10 here; entries are O(0.1).
    assert_allclose(jacobian, numerical, rtol=0, atol=1e-9)


def test_jacobian_of_a_batch_equals_finite_differences_sample_by_sample():
    z = np.random.default_rng(0).normal(size=(3, 4)) * 2
    jacobian = softmax_jacobian(reference_softmax(z))
    # f maps (3, 4) -> (3, 4); its full Jacobian is (3, 4, 3, 4) and block-diagonal in samples.
    full = numerical_jacobian(reference_softmax, z)
    for n in range(3):
        assert_allclose(jacobian[n], full[n, :, n, :], rtol=0, atol=1e-9)
        for m in range(3):
            if m != n:
                assert_array_equal(full[n, :, m, :], 0.0)  # samples do not interact


@given(logits())
def test_jacobian_is_symmetric(z):
    jacobian = softmax_jacobian(reference_softmax(z))
    assert_array_equal(jacobian, np.swapaxes(jacobian, -1, -2))


@given(logits())
def test_rows_and_columns_sum_to_zero(z):
    jacobian = softmax_jacobian(reference_softmax(z))
    assert_allclose(jacobian.sum(axis=-1), 0.0, atol=1e-15)  # J 1 = 0
    assert_allclose(jacobian.sum(axis=-2), 0.0, atol=1e-15)  # 1^T J = 0


@given(logits(min_side=2, elements=small_floats))
def test_jacobian_is_positive_semidefinite_with_rank_k_minus_1(z):
    s = reference_softmax(z)
    jacobian = softmax_jacobian(s)
    k = z.shape[-1]
    eigenvalues = np.linalg.eigvalsh(jacobian)  # ascending
    # exactly one zero eigenvalue (along the all-ones vector) ...
    assert np.all(np.abs(eigenvalues[..., 0]) < 1e-15)
    # ... and the others interlace with the sorted probabilities, so they are at least min(s) > 0
    assert np.all(eigenvalues[..., 1:] >= s.min(axis=-1, keepdims=True) - 1e-15)
    # rounding of J is ~1e-17 while min(s) > 1e-6 here: a tolerance between the two
    assert_array_equal(np.linalg.matrix_rank(jacobian, tol=1e-10), np.full(z.shape[:-1], k - 1))


def test_jacobian_matches_the_seed_threads_two_class_example():
    s = reference_softmax(np.array([1.0, 2.0]))
    expected = np.array([[0.19661193, -0.19661193], [-0.19661193, 0.19661193]])
    assert_allclose(softmax_jacobian(s), expected, rtol=1e-7)


def test_jacobian_of_a_one_class_softmax_is_zero():
    assert_array_equal(softmax_jacobian(np.ones((4, 1))), np.zeros((4, 1, 1)))


def test_jacobian_special_cases():
    assert softmax_jacobian(np.zeros((2, 0))).shape == (2, 0, 0)
    assert softmax_jacobian(np.zeros((0, 3))).shape == (0, 3, 3)
    # probability exactly 0 (a -inf logit): that row and column vanish
    jacobian = softmax_jacobian(np.array([0.5, 0.0, 0.5]))
    assert_array_equal(jacobian[1], 0.0)
    assert_array_equal(jacobian[:, 1], 0.0)
    # NaN spreads to its row and column only
    jacobian = softmax_jacobian(np.array([np.nan, 0.5, 0.5]))
    assert np.all(np.isnan(jacobian[0])) and np.all(np.isnan(jacobian[:, 0]))
    assert not np.any(np.isnan(jacobian[1:, 1:]))


# --- the VJP and the JVP -------------------------------------------------------------------


def s_with_vector(**kwargs):
    """(z, s, g, axis): logits, scipy's softmax of them along axis, and a same-shape vector."""
    return logits_axis_and_vector(**kwargs).map(
        lambda case: (case[0], reference_softmax(case[0], case[1]), case[2], case[1])
    )


@given(s_with_vector())
def test_vjp_equals_transposed_jacobian_times_g(case):
    _, s, g, axis = case
    jacobian = softmax_jacobian(s, axis=axis)
    g_last = np.moveaxis(g, axis, -1)
    expected = np.moveaxis(np.einsum("...ij,...i->...j", jacobian, g_last), -1, axis)
    assert_allclose(softmax_vjp(s, g, axis=axis), expected, rtol=1e-10, atol=1e-15)


@given(s_with_vector())
def test_jvp_equals_jacobian_times_v(case):
    _, s, v, axis = case
    jacobian = softmax_jacobian(s, axis=axis)
    v_last = np.moveaxis(v, axis, -1)
    expected = np.moveaxis(np.einsum("...ij,...j->...i", jacobian, v_last), -1, axis)
    assert_allclose(softmax_jvp(s, v, axis=axis), expected, rtol=1e-10, atol=1e-15)


@given(s_with_vector(elements=st.floats(-10.0, 10.0), max_side=4))
def test_vjp_equals_numerical_gradient_of_g_dot_softmax(case):
    z, s, g, axis = case

    def inner_product(t):  # E(z) = <g, softmax(z)>, whose gradient is J^T g
        return np.sum(g * reference_softmax(t, axis))

    numerical = numerical_jacobian(inner_product, z)
    assert_allclose(softmax_vjp(s, g, axis=axis), numerical, rtol=0, atol=1e-8)


@given(s_with_vector(elements=st.floats(-10.0, 10.0), max_side=4))
def test_jvp_equals_directional_finite_difference(case):
    z, s, v, axis = case
    eps = 1e-6
    numerical = (reference_softmax(z + eps * v, axis) - reference_softmax(z - eps * v, axis)) / (
        2 * eps
    )
    assert_allclose(softmax_jvp(s, v, axis=axis), numerical, rtol=0, atol=1e-9)


@given(s_with_vector())
def test_vjp_sums_to_zero_and_ignores_constant_shifts_of_g(case):
    _, s, g, axis = case
    dz = softmax_vjp(s, g, axis=axis)
    assert_allclose(dz.sum(axis=axis), 0.0, atol=1e-14)
    assert_allclose(softmax_vjp(s, g + 3.0, axis=axis), dz, rtol=1e-9, atol=1e-14)


@given(logits(min_dims=2, max_dims=2))
def test_vjp_of_cross_entropy_gradient_is_s_minus_y_over_n(z):
    s = reference_softmax(z)
    n, k = z.shape
    labels = np.arange(n) % k
    y = np.eye(k)[labels]
    upstream = np.zeros_like(s)
    picked = s[np.arange(n), labels]
    upstream[np.arange(n), labels] = -1.0 / (n * picked)  # dE/ds of the mean cross-entropy
    if not np.all(np.isfinite(upstream)):
        return  # a true-class probability that underflowed: the unfused route's known limit
    assert_allclose(softmax_vjp(s, upstream), (s - y) / n, rtol=1e-9, atol=1e-15)


def test_vjp_over_a_tuple_of_axes_equals_the_flattened_class_axis():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(2, 3, 4))
    g = rng.normal(size=(2, 3, 4))
    s = reference_softmax(z, axis=(1, 2))
    flat = softmax_vjp(s.reshape(2, 12), g.reshape(2, 12)).reshape(2, 3, 4)
    assert_allclose(softmax_vjp(s, g, axis=(1, 2)), flat, rtol=1e-13, atol=1e-17)
    assert_allclose(softmax_jvp(s, g, axis=(1, 2)), flat, rtol=1e-13, atol=1e-17)


def test_the_docstring_example_of_seed_001_answer():
    # dx = s * dy; dx -= s * sum(dx): the loss-independent backward pass quoted in the thread
    rng = np.random.default_rng(2)
    s = reference_softmax(rng.normal(size=(5, 4)))
    dy = rng.normal(size=(5, 4))
    dx = s * dy
    dx -= s * dx.sum(axis=-1, keepdims=True)
    assert_allclose(softmax_vjp(s, dy), dx, rtol=1e-13, atol=1e-17)


# --- dtypes, out=, never mutating ----------------------------------------------------------


@pytest.mark.parametrize("function", [softmax_vjp, softmax_jvp])
def test_dtypes(function):
    s32 = np.array([0.25, 0.75], dtype=np.float32)
    g32 = np.array([1.0, 0.0], dtype=np.float32)
    assert function(s32, g32).dtype == np.float32
    assert function(s32, g32.astype(np.float64)).dtype == np.float64
    assert function([0, 1], [1, 0]).dtype == np.float64
    assert function(s32.astype(np.float16), g32.astype(np.float16)).dtype == np.float16
    assert softmax_jacobian(s32).dtype == np.float32
    assert softmax_jacobian([1, 0]).dtype == np.float64


def test_vjp_out_is_filled_and_returned_and_may_alias_either_input():
    rng = np.random.default_rng(3)
    s = reference_softmax(rng.normal(size=(4, 5)))
    g = rng.normal(size=(4, 5))
    expected = softmax_vjp(s, g)
    out = np.empty_like(s)
    assert softmax_vjp(s, g, out=out) is out
    assert_array_equal(out, expected)
    s_copy, g_copy = s.copy(), g.copy()
    softmax_vjp(s_copy, g_copy, out=g_copy)
    assert_array_equal(g_copy, expected)
    s_copy, g_copy = s.copy(), g.copy()
    softmax_vjp(s_copy, g_copy, out=s_copy)
    assert_array_equal(s_copy, expected)


def test_inputs_are_never_mutated():
    rng = np.random.default_rng(4)
    s = reference_softmax(rng.normal(size=(3, 4)))
    g = rng.normal(size=(3, 4))
    s_before, g_before = s.copy(), g.copy()
    s.setflags(write=False)  # any write would raise
    g.setflags(write=False)
    softmax_jacobian(s)
    softmax_vjp(s, g)
    softmax_jvp(s, g, axis=0)
    assert_array_equal(s, s_before)
    assert_array_equal(g, g_before)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("function", "name"), [(softmax_vjp, "g"), (softmax_jvp, "v")])
def test_shape_mismatch_names_both_shapes(function, name):
    pattern = (
        rf"s and {name} must have the same shape; received s of shape \(2, 3\) and "
        rf"{name} of shape \(3, 2\)"
    )
    with pytest.raises(ValueError, match=pattern):
        function(np.full((2, 3), 1 / 3), np.zeros((3, 2)))
    with pytest.raises(
        ValueError, match=rf"received s of shape \(3,\) and {name} of shape \(1, 3\)"
    ):
        function(np.full(3, 1 / 3), np.zeros((1, 3)))  # no silent broadcasting


def test_bad_arguments():
    with pytest.raises(TypeError, match=r"s must be real; received complex dtype"):
        softmax_jacobian(np.array([0.5 + 1j, 0.5]))
    with pytest.raises(TypeError, match=r"g must be an array of real numbers; received dtype <U1"):
        softmax_vjp(np.array([0.5, 0.5]), np.array(["a", "b"]))
    with pytest.raises(
        TypeError, match=r"axis must be a single int \(the class axis\); received \(0, 1\)"
    ):
        softmax_jacobian(np.full((2, 2), 0.5), axis=(0, 1))
    with pytest.raises(TypeError, match=r"axis must be a single int.*received None"):
        softmax_jacobian(np.full((2, 2), 0.5), axis=None)
    with pytest.raises(ValueError, match=r"axis=2 is out of range for an array with 2 dimensions"):
        softmax_jacobian(np.full((2, 2), 0.5), axis=2)
    with pytest.raises(ValueError, match=r"axis=-3 is out of range"):
        softmax_vjp(np.full((2, 2), 0.5), np.zeros((2, 2)), axis=-3)
    with pytest.raises(ValueError, match=r"0-dimensional array"):
        softmax_jacobian(1.0)
    with pytest.raises(ValueError, match=r"out has shape \(3,\); expected \(2,\)"):
        softmax_vjp(np.full(2, 0.5), np.zeros(2), out=np.empty(3))
    with pytest.raises(TypeError, match=r"out has dtype float32; expected float64"):
        softmax_vjp(np.full(2, 0.5), np.zeros(2), out=np.empty(2, dtype=np.float32))
