"""Misuse of softmax_course.autodiff: aliasing, bad labels, empty input, extreme values.

References are computed independently: from untouched copies, with numpy's own
``mean``, with the core loss, and with the closed-form derivatives in exact
rational arithmetic (``fractions.Fraction``) where rounding matters.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import softmax_course as sc
from softmax_course import autodiff as ad
from softmax_course.autodiff import Tensor

# --- defect 1: a Tensor owns its value ---------------------------------------------------------


def test_a_tensor_copies_the_callers_array():
    x = np.array([1.0, 2.0])
    a = Tensor(x)
    b = Tensor(np.array([3.0, 4.0]))
    E = (a * b).sum()
    x[:] = 100.0  # the caller reuses its buffer after building the graph
    E.backward()
    assert_array_equal(b.grad, [1.0, 2.0])  # dE/db = a as it was when the graph was built
    assert_array_equal(a.value, [1.0, 2.0])


def test_a_numpy_operand_is_copied_too():
    w = np.array([3.0, 4.0])
    a = Tensor(np.array([1.0, 2.0]))
    E = (a * w).sum()  # w is wrapped by the engine
    w[:] = -1.0
    E.backward()
    assert_array_equal(a.grad, [3.0, 4.0])


def test_grad_of_a_function_that_keeps_its_argument_is_unaffected_by_later_writes():
    x = np.array([1.0, 2.0])
    copy = x.copy()
    g = ad.grad(lambda t: (t * t).sum(), x)[0]
    assert_array_equal(x, copy)
    assert_array_equal(g, 2 * copy)


# --- defect 2: negative labels are refused -----------------------------------------------------


@pytest.mark.parametrize("bad", [[-1, 0], [0, 3]])
def test_softmax_cross_entropy_refuses_labels_outside_0_K(bad):
    z = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels") as engine:
        ad.softmax_cross_entropy(z, bad)
    with pytest.raises(ValueError):  # the core loss refuses the same labels
        sc.softmax_cross_entropy(np.zeros((2, 3)), np.array(bad))
    assert str(bad[0] if bad[0] < 0 else bad[1]) in str(engine.value)


# --- defect 3: empty input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "axis"), [((0,), None), ((0, 3), 0), ((2, 0), 1), ((0, 3), None)]
)
def test_the_mean_of_nothing_is_nan_with_numpys_warning(shape, axis):
    x = np.zeros(shape)
    with warnings.catch_warnings(record=True) as numpy_warnings:
        warnings.simplefilter("always")
        reference = np.mean(x, axis=axis)
    assert "Mean of empty slice" in str(numpy_warnings[0].message)
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        m = Tensor(x).mean(axis=axis)
    assert m.shape == np.shape(reference)
    assert np.all(np.isnan(m.value))


def test_the_gradient_of_an_empty_mean_is_empty():
    t = Tensor(np.zeros((0, 3)))
    with pytest.warns(RuntimeWarning):
        m = t.mean(axis=0)
    m.backward(np.ones(3))
    assert t.grad.shape == (0, 3)


def test_softmax_cross_entropy_of_no_samples_is_refused_like_the_core_loss():
    with pytest.raises(ValueError) as core:
        sc.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="at least one sample") as engine:
        ad.softmax_cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=int))
    assert "(0, 3)" in str(core.value) and "(0, 3)" in str(engine.value)


# --- defect 4: VJPs that must not overflow, x**0, unused arguments ------------------------------


@pytest.mark.parametrize("v", [1e-200, 1e200, 1e-300, 3e300, -1e-200])
def test_the_vjp_of_a_quotient_does_not_overflow_or_underflow(v):
    a, b = Tensor(np.array([v])), Tensor(np.array([v]))
    (a / b).sum().backward()
    exact = Fraction(v)  # the float's exact value: the derivatives in exact arithmetic
    true_db = -exact / exact**2  # d(a/b)/db = -a/b^2
    true_da = 1 / exact
    assert np.isfinite(b.grad[0]) and b.grad[0] != 0
    np.testing.assert_allclose(b.grad[0], float(true_db), rtol=1e-15)
    np.testing.assert_allclose(a.grad[0], float(true_da), rtol=1e-15)


def test_the_quotient_vjp_still_broadcasts():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([2.0, 8.0])
    ga, gb = ad.grad(lambda A, B: (A / B).sum(), a, b)
    assert_array_equal(ga, np.broadcast_to(1 / b, a.shape))
    np.testing.assert_allclose(gb, -(a / b**2).sum(axis=0), rtol=1e-15)


def test_x_to_the_power_zero_has_gradient_zero_everywhere():
    x = Tensor(np.array([0.0, 2.0, -3.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero warning either
        (x**0).sum().backward()
    assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_x_to_the_power_one_has_gradient_one_at_zero():
    x = Tensor(np.array([0.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x**1).sum().backward()
    assert_array_equal(x.grad, [1.0, 1.0])


def test_grad_gives_zeros_for_an_argument_the_output_ignores():
    a, b = np.array([1.0, 2.0]), np.ones((2, 3))
    ga, gb = ad.grad(lambda x, unused: (x * x).sum(), a, b)
    assert_array_equal(ga, [2.0, 4.0])
    assert isinstance(gb, np.ndarray)
    assert_array_equal(gb, np.zeros((2, 3)))
