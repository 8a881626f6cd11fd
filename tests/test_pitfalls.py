"""The flawed implementations fail exactly where their docstrings say, and only there.

Each pitfall is shown to agree with the reference (``scipy.special``) on the
input where its flaw is invisible, and to break on the input that exposes it.
That it is flagged with its own message by a checker is tested in
``tests/test_exercises_*.py`` (one module per checker module).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
import scipy.special
from numpy.testing import assert_allclose

import softmax_course
from softmax_course import pitfalls

VECTOR = np.array([3.0, 1.0, 0.2])
BATCH = np.array([[1.0, 2.0, 3.0, 6.0], [2.0, 4.0, 5.0, 6.0], [3.0, 8.0, 7.0, 6.0]])


def reference(x):
    return scipy.special.softmax(x, axis=-1)


def jacobian(s):
    return np.diag(s) - np.outer(s, s)


def test_not_exported_at_top_level():
    assert not hasattr(softmax_course, "softmax_without_max_shift")
    assert "pitfalls" not in softmax_course.__all__


@pytest.mark.parametrize("name", pitfalls.__all__)
def test_every_pitfall_documents_its_flaw_with_an_example(name):
    doc = inspect.getdoc(getattr(pitfalls, name))
    assert "What goes wrong" in doc
    assert ">>> " in doc


@pytest.mark.parametrize(
    "fn",
    [
        pitfalls.softmax_without_max_shift,
        pitfalls.softmax_over_whole_array,
        pitfalls.softmax_over_axis0,
        pitfalls.softmax_with_global_max,
        pitfalls.softmax_in_place,
    ],
)
def test_softmax_pitfalls_are_right_on_an_ordinary_vector(fn):
    # Which is what makes them believable.
    assert_allclose(fn(VECTOR.copy()), reference(VECTOR), rtol=1e-14)


def test_without_max_shift_overflows_and_underflows():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning, match="overflow"):
            pitfalls.softmax_without_max_shift(np.array([1000.0, 5.0]))
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(pitfalls.softmax_without_max_shift(np.array([1000.0, 5.0]))[0])
        assert np.all(np.isnan(pitfalls.softmax_without_max_shift(np.array([-1000.0, -1001.0]))))
        assert np.isnan(
            pitfalls.softmax_without_max_shift(np.array([100.0, 0.0], dtype=np.float32))[0]
        )


def test_over_whole_array_makes_the_batch_sum_to_one():
    s = pitfalls.softmax_over_whole_array(BATCH)
    assert_allclose(s.sum(), 1.0, rtol=1e-14)
    assert not np.allclose(s.sum(axis=-1), 1.0)


def test_over_axis0_normalizes_columns():
    s = pitfalls.softmax_over_axis0(BATCH)
    assert_allclose(s, scipy.special.softmax(BATCH, axis=0), rtol=1e-14)
    assert_allclose(pitfalls.softmax_over_axis0(BATCH[:1]), np.ones((1, 4)))


def test_global_max_is_right_for_close_rows_and_nan_for_far_rows():
    assert_allclose(pitfalls.softmax_with_global_max(BATCH), reference(BATCH), rtol=1e-14)
    far = np.array([[0.0, 1.0, 2.0], [-1000.0, -999.0, -998.0]])
    with np.errstate(invalid="ignore"):
        s = pitfalls.softmax_with_global_max(far)
    assert_allclose(s[0], reference(far[0]), rtol=1e-14)
    assert np.all(np.isnan(s[1]))


def test_in_place_returns_the_right_values_but_overwrites_the_caller():
    x = BATCH.copy()
    s = pitfalls.softmax_in_place(x)
    assert_allclose(s, reference(BATCH), rtol=1e-14)
    assert_allclose(x, reference(BATCH), rtol=1e-14)  # the logits are gone
    readonly = BATCH.copy()
    readonly.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        pitfalls.softmax_in_place(readonly)
    integers = np.array([1, 2, 3])
    pitfalls.softmax_in_place(integers)
    assert integers.tolist() == [1, 2, 3]  # integer input is converted, hence copied


def test_log_of_softmax_loses_tiny_probabilities():
    x = np.array([0.0, -1000.0])
    with np.errstate(divide="ignore"):
        result = pitfalls.log_of_softmax(x)
    assert result[1] == -np.inf
    assert scipy.special.log_softmax(x)[1] == -1000.0
    assert_allclose(pitfalls.log_of_softmax(VECTOR), scipy.special.log_softmax(VECTOR))


def test_jacobian_pitfalls_against_the_jacobian():
    s = reference(VECTOR)
    J = jacobian(s)
    assert_allclose(pitfalls.jacobian_diagonal_only(s), np.diag(J), rtol=1e-14)
    assert_allclose(pitfalls.jacobian_sign_error(s), -J, rtol=1e-14)
    # distinct values: comparing values happens to give the right matrix
    assert_allclose(pitfalls.jacobian_skip_equal_values(s), J, rtol=1e-14)


def test_skip_equal_values_is_wrong_exactly_where_two_classes_tie():
    s = reference(np.array([1.0, 1.0, 2.0]))
    J = jacobian(s)
    wrong = ~np.isclose(pitfalls.jacobian_skip_equal_values(s), J, rtol=1e-12)
    assert wrong.tolist() == [[False, True, False], [True, False, False], [False, False, False]]


def test_vjp_diagonal_only_misses_the_coupling():
    s, g = reference(VECTOR), np.array([1.0, -2.0, 0.5])
    assert_allclose(pitfalls.vjp_diagonal_only(s, g), np.diag(jacobian(s)) * g, rtol=1e-14)
    assert not np.allclose(pitfalls.vjp_diagonal_only(s, g), jacobian(s).T @ g)


def test_cross_entropy_grad_without_mean_is_n_times_too_large():
    z = np.random.default_rng(0).normal(size=(5, 3))
    y = np.eye(3)[[0, 1, 2, 2, 1]]
    assert_allclose(pitfalls.cross_entropy_grad_without_mean(z, y), reference(z) - y, rtol=1e-13)
    assert_allclose(
        pitfalls.cross_entropy_grad_without_mean(z, y) / 5,
        (reference(z) - y) / 5,
        rtol=1e-13,
    )
    # For a single sample N = 1 hides the flaw.
    assert_allclose(
        pitfalls.cross_entropy_grad_without_mean(z[:1], y[:1]), reference(z[:1]) - y[:1]
    )


def test_mean_shift_is_right_until_the_logits_spread_out():
    assert_allclose(pitfalls.softmax_with_mean_shift(BATCH), reference(BATCH), rtol=1e-14)
    assert_allclose(pitfalls.softmax_with_mean_shift(np.array([1000.0, 5.0])), [1.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(pitfalls.softmax_with_mean_shift(np.array([700.0, -1400.0]))[0])
    assert_allclose(reference(np.array([700.0, -1400.0])), [1.0, 0.0])


def test_first_non_singleton_axis_changes_meaning_with_the_batch_size():
    one_row = BATCH[:1]
    assert_allclose(pitfalls.softmax_first_non_singleton_axis(one_row), reference(one_row))
    assert_allclose(pitfalls.softmax_first_non_singleton_axis(VECTOR), reference(VECTOR))
    assert_allclose(
        pitfalls.softmax_first_non_singleton_axis(BATCH), scipy.special.softmax(BATCH, axis=0)
    )


def test_flattened_batch_jacobian_has_the_per_sample_blocks_and_more():
    S = reference(BATCH)
    N, K = S.shape
    J = pitfalls.batch_jacobian_flattened(S)
    assert J.shape == (N * K, N * K)
    for n in range(N):  # the diagonal blocks are the per-sample Jacobians ...
        block = J[n * K : (n + 1) * K, n * K : (n + 1) * K]
        assert_allclose(block, jacobian(S[n]), rtol=1e-14)
    assert np.any(J[:K, K:] != 0)  # ... but samples are coupled off the diagonal blocks


def test_gradient_through_the_jacobian_is_right_until_a_probability_rounds_to_zero():
    z = np.random.default_rng(0).normal(size=(5, 3))
    y = np.eye(3)[[0, 1, 2, 2, 1]]
    assert_allclose(
        pitfalls.cross_entropy_grad_through_jacobian(z, y), (reference(z) - y) / 5, atol=1e-15
    )
    z = np.array([[40.0, -800.0, 0.0]])
    y = np.array([[0.0, 1.0, 0.0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.all(np.isnan(pitfalls.cross_entropy_grad_through_jacobian(z, y)))
    assert np.all(np.isfinite(reference(z) - y))
