"""Tests of softmax, log_softmax and logsumexp against scipy.special and the math."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import softmax_course as sc
from softmax_course import _fast, log_softmax, logsumexp, softmax
from softmax_course.online import online_logsumexp
from tests.references import logsumexp_exact
from tests.strategies import any_finite_floats, batches, logits, logits_and_axis, moderate_floats

FUNCTIONS = [softmax, log_softmax]


# --- agreement with scipy.special (axis always explicit) --------------------------------


@given(logits_and_axis())
def test_softmax_matches_scipy(case):
    x, axis = case
    assert_allclose(
        softmax(x, axis=axis), scipy.special.softmax(x, axis=axis), rtol=1e-13, atol=1e-300
    )


@given(logits_and_axis())
def test_log_softmax_matches_scipy(case):
    x, axis = case
    assert_allclose(
        log_softmax(x, axis=axis), scipy.special.log_softmax(x, axis=axis), rtol=1e-12, atol=1e-12
    )


@given(logits_and_axis(elements=any_finite_floats))
def test_logsumexp_matches_scipy_for_any_finite_input(case):
    x, axis = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's own, not ours
        expected = scipy.special.logsumexp(x, axis=axis)
    assert_allclose(logsumexp(x, axis=axis), expected, rtol=1e-13)


@pytest.mark.parametrize("axis", [(0, 1), (1, 2), (0, 2), None])
def test_tuple_and_none_axes_match_scipy(axis):
    x = np.random.default_rng(0).normal(size=(3, 4, 5)) * 10
    assert_allclose(softmax(x, axis=axis), scipy.special.softmax(x, axis=axis), rtol=1e-13)
    # scipy's log_softmax takes log of the rounded sum (no log1p): next to 0 (the largest
    # entry) it is only accurate to ~eps in absolute terms, ours to ~eps relative.
    assert_allclose(
        log_softmax(x, axis=axis),
        scipy.special.log_softmax(x, axis=axis),
        rtol=1e-12,
        atol=1e-15,
    )
    assert_allclose(logsumexp(x, axis=axis), scipy.special.logsumexp(x, axis=axis), rtol=1e-13)
    assert_allclose(
        logsumexp(x, axis=axis, keepdims=True),
        scipy.special.logsumexp(x, axis=axis, keepdims=True),
        rtol=1e-13,
    )


# --- the math as properties -------------------------------------------------------------


@given(logits(elements=any_finite_floats))
def test_softmax_is_a_distribution_for_any_finite_input(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may leak for finite input
        s = softmax(x)
    assert np.all(np.isfinite(s))
    assert np.all((s >= 0) & (s <= 1))
    assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)


@given(logits(elements=any_finite_floats))
def test_log_softmax_is_never_nan_or_positive_for_finite_input(x):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_s = log_softmax(x)
    assert not np.any(np.isnan(log_s))
    assert np.all(log_s <= 0)


@given(logits(), st.floats(-1e3, 1e3))
def test_shift_invariance(x, c):
    assert_allclose(softmax(x + c), softmax(x), rtol=1e-9, atol=1e-15)


@given(logits(), st.data())
def test_permutation_equivariance(x, data):
    permutation = data.draw(st.permutations(range(x.shape[-1])))
    assert_allclose(softmax(x[..., permutation]), softmax(x)[..., permutation], rtol=1e-14)


@given(logits())
def test_log_softmax_is_x_minus_logsumexp(x):
    assert_allclose(log_softmax(x), x - logsumexp(x, keepdims=True), rtol=1e-12, atol=1e-12)


@given(logits())
def test_logsumexp_is_a_smooth_maximum(x):
    m = x.max(axis=-1)
    value = logsumexp(x)
    assert np.all(value >= m - 1e-12)
    assert np.all(value <= m + np.log(x.shape[-1]) + 1e-12)


@given(logits(min_side=2))
def test_softmax_preserves_order(x):
    s = softmax(x)
    # x_i > x_j  implies  s_i >= s_j  (ties can round together)
    bigger = x[..., :, None] > x[..., None, :]
    assert np.all(~bigger | (s[..., :, None] >= s[..., None, :]))


@given(batches())
def test_batch_rows_equal_single_row_results(x):
    s = softmax(x)
    for row, s_row in zip(x, s, strict=True):
        assert_allclose(softmax(row), s_row, rtol=1e-15)


@given(logits(max_dims=1, min_side=2))
def test_high_temperature_tends_to_uniform(x):
    s = softmax(x, temperature=1e9)
    assert_allclose(s, 1 / x.size, rtol=1e-6)


@given(logits(max_dims=1, min_side=2))
def test_low_temperature_tends_to_argmax(x):
    if np.sum(x == x.max()) > 1 or np.partition(x, -2)[-2] > x.max() - 1e-3:
        return  # a near-tie needs an even lower temperature; not the property being tested
    s = softmax(x, temperature=1e-6)
    expected = np.zeros_like(x)
    expected[np.argmax(x)] = 1.0
    assert_allclose(s, expected, atol=1e-12)


@given(logits(), st.floats(0.05, 20))
def test_temperature_equals_scaling_the_logits(x, temperature):
    assert_allclose(
        softmax(x, temperature=temperature), softmax(x / temperature), rtol=1e-9, atol=1e-300
    )
    assert_allclose(
        log_softmax(x, temperature=temperature), log_softmax(x / temperature), rtol=1e-9, atol=1e-9
    )


# --- stability on the inputs from the seeds ---------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([1000.0, 5.0], [1.0, 0.0]),
        ([-1000.0, -1001.0], [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))]),
        ([1e308, 1e308], [0.5, 0.5]),
        ([1e308, -1e308], [1.0, 0.0]),
        ([3.0, 1.0, 0.2], [0.8360188, 0.11314284, 0.05083836]),
    ],
)
def test_extreme_logits_stay_finite(x, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = softmax(np.array(x))
        log_s = log_softmax(np.array(x))
    assert_allclose(s, expected, rtol=1e-7)
    assert not np.any(np.isnan(log_s))


def test_log_softmax_keeps_information_that_log_of_softmax_loses():
    x = np.array([0.0, -1000.0])
    assert_array_equal(log_softmax(x), [0.0, -1000.0])
    with np.errstate(divide="ignore"):
        assert np.log(softmax(x))[1] == -np.inf


def test_logsumexp_of_huge_equal_values():
    assert_allclose(logsumexp(np.array([1000.0, 1000.0])), 1000 + np.log(2), rtol=1e-15)


# --- special cases, as scipy.special -----------------------------------------------------


SPECIAL_ROWS = [
    [np.inf, 1.0],
    [-np.inf, -np.inf],
    [np.inf, -np.inf],
    [np.nan, 1.0],
    [0.0, -np.inf],
]


@pytest.mark.parametrize("row", SPECIAL_ROWS)
def test_special_values_match_scipy(row):
    x = np.array(row)
    with np.errstate(all="ignore"):
        assert_allclose(softmax(x), scipy.special.softmax(x), equal_nan=True)
        assert_allclose(logsumexp(x), scipy.special.logsumexp(x), equal_nan=True)


def test_special_values_of_log_softmax():
    with np.errstate(all="ignore"):
        assert_array_equal(log_softmax(np.array([0.0, -np.inf])), [0.0, -np.inf])
        assert np.all(np.isnan(log_softmax(np.array([-np.inf, -np.inf]))))
        assert np.all(np.isnan(log_softmax(np.array([np.inf, 1.0]))))


def test_empty_inputs():
    assert softmax(np.zeros((0, 3))).shape == (0, 3)
    assert softmax(np.zeros((2, 0))).shape == (2, 0)
    assert_array_equal(logsumexp(np.zeros((2, 0))), [-np.inf, -np.inf])


# --- dtypes, out=, and never mutating the input ------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp])
def test_float_dtype_is_kept(function, dtype):
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -5.0]], dtype=dtype)
    result = function(x)
    assert result.dtype == dtype
    assert np.all(np.isfinite(result))


@pytest.mark.parametrize("x", [[1, 2, 3], [True, False, True], np.arange(3, dtype=np.uint8)])
@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp])
def test_integers_and_booleans_become_float64(function, x):
    assert function(x).dtype == np.float64
    assert_allclose(function(x), function(np.asarray(x, dtype=np.float64)))


def test_float32_accuracy():
    # The error of exp(x - m) in float32 grows like |x - m| * eps32; keep |x - m| below ~30.
    x = np.random.default_rng(1).normal(size=(20, 7)).astype(np.float32) * 5
    expected = scipy.special.softmax(x.astype(np.float64), axis=-1)
    assert_allclose(softmax(x), expected, rtol=3e-6, atol=1e-30)


@pytest.mark.parametrize("function", FUNCTIONS + [logsumexp])
def test_input_is_never_mutated(function):
    x = np.random.default_rng(2).normal(size=(4, 5))
    original = x.copy()
    x.setflags(write=False)  # writing would raise
    function(x)
    function(x, axis=0)
    assert_array_equal(x, original)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_out_is_filled_and_returned(function):
    x = np.random.default_rng(3).normal(size=(4, 5))
    out = np.empty_like(x)
    result = function(x, out=out)
    assert result is out
    assert_allclose(out, function(x), rtol=1e-15)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_out_may_alias_the_input(function):
    x = np.random.default_rng(4).normal(size=(4, 5))
    expected = function(x)
    function(x, out=x)
    assert_allclose(x, expected, rtol=1e-15)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_lists_and_noncontiguous_views(function):
    x = np.random.default_rng(5).normal(size=(6, 8))
    assert_allclose(function(x[::2, ::3]), function(np.ascontiguousarray(x[::2, ::3])))
    assert_allclose(function(x.tolist()), function(x))


# --- bad input: the message names the argument, what came and what is expected -----------


@pytest.mark.parametrize("function", FUNCTIONS + [logsumexp])
@pytest.mark.parametrize(
    ("x", "error", "pattern"),
    [
        (
            np.array(["a", "b"]),
            TypeError,
            r"x must be an array of real numbers; received dtype <U1",
        ),
        (np.array([1, None], dtype=object), TypeError, r"x must be .*received dtype object"),
        ([[1, 2], [3]], TypeError, r"x must be array-like of real numbers"),
    ],
)
def test_bad_x(function, x, error, pattern):
    with pytest.raises(error, match=pattern):
        function(x)


@pytest.mark.parametrize("function", FUNCTIONS + [logsumexp])
@pytest.mark.parametrize(
    ("axis", "error", "pattern"),
    [
        (
            2,
            ValueError,
            r"axis=2 is out of range for an array with 2 dimensions; "
            r"expected an integer in \[-2, 1\]",
        ),
        (-3, ValueError, r"axis=-3 is out of range"),
        (1.0, TypeError, r"axis must be an int, a tuple of ints or None; received 1.0"),
        (True, TypeError, r"axis must be an int"),
        ((0, 0), ValueError, r"axis must not repeat an axis; received \(0, 0\)"),
        ((), ValueError, r"axis must name at least one axis"),
    ],
)
def test_bad_axis(function, axis, error, pattern):
    with pytest.raises(error, match=pattern):
        function(np.zeros((2, 3)), axis=axis)


@pytest.mark.parametrize("function", FUNCTIONS + [logsumexp])
def test_scalar_input_has_no_class_axis(function):
    with pytest.raises(ValueError, match=r"0-dimensional array"):
        function(3.0)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize(
    ("temperature", "error", "pattern"),
    [
        (0.0, ValueError, r"temperature must be finite and greater than 0; received 0.0"),
        (-1, ValueError, r"received -1.0"),
        (np.inf, ValueError, r"received inf"),
        (np.nan, ValueError, r"received nan"),
        ("hot", TypeError, r"temperature must be a real number; received 'hot'"),
        (True, TypeError, r"temperature must be a real number"),
    ],
)
def test_bad_temperature(function, temperature, error, pattern):
    with pytest.raises(error, match=pattern):
        function(np.zeros(3), temperature=temperature)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_bad_out(function):
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"out has shape \(3, 2\); expected \(2, 3\)"):
        function(x, out=np.empty((3, 2)))
    with pytest.raises(TypeError, match=r"out has dtype float32; expected float64"):
        function(x, out=np.empty((2, 3), dtype=np.float32))
    with pytest.raises(TypeError, match=r"out must be a numpy array; received \[0, 0\]"):
        function(x, out=[0, 0])
    readonly = np.empty((2, 3))
    readonly.setflags(write=False)
    with pytest.raises(ValueError, match=r"out is read-only"):
        function(x, out=readonly)


def test_bad_keepdims():
    with pytest.raises(TypeError, match=r"keepdims must be a bool; received 'yes'"):
        logsumexp(np.zeros(3), keepdims="yes")


# --- float16 extremes: no warning may leak from the final cast (issue 16.3) -------------------

FLOAT16_EXTREMES = [
    [60000.0, 0.0, -60000.0],
    [65504.0, -65504.0],
    [6e-8, -6e-8, 0.0],
    [-65504.0, -65504.0, 65504.0],
]


@pytest.mark.parametrize("row", FLOAT16_EXTREMES)
@pytest.mark.parametrize("temperature", [1.0, 1e-3, 1e3])
def test_float16_extremes_warn_nowhere_in_the_core(row, temperature):
    x = np.array([row, row[::-1]], dtype=np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for axis in (-1, 0, None):
            s = softmax(x, axis=axis, temperature=temperature)
            log_s = log_softmax(x, axis=axis, temperature=temperature)
            log_s_out = log_softmax(x, axis=axis, temperature=temperature, out=np.empty_like(x))
            lse = logsumexp(x, axis=axis)
            assert s.dtype == log_s.dtype == lse.dtype == np.float16
            assert_array_equal(log_s_out, log_s)
            # the float32 computation, rounded once: -inf where it is below -65504
            exact = scipy.special.log_softmax(x.astype(np.float32) / temperature, axis=axis)
            with np.errstate(over="ignore"):
                assert_array_equal(log_s, exact.astype(np.float16))


def test_the_issue_example_gives_minus_inf_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = log_softmax(np.array([60000, 0, -60000], dtype=np.float16))
    assert_array_equal(result, np.array([0.0, -60000.0, -np.inf], dtype=np.float16))


@pytest.mark.parametrize("row", FLOAT16_EXTREMES)
def test_float16_extremes_warn_nowhere_in_the_public_api(row):
    x = np.array([row, row[::-1]], dtype=np.float16)
    s = softmax(x)
    labels = np.array([len(row) - 1, 0])
    y = sc.one_hot(labels, len(row), dtype=np.float16)
    tiny = np.array([[1 - 2**-11, 2**-24]] * 2, dtype=np.float16)  # smallest subnormal p
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc.softmax_jacobian(s)
        sc.softmax_vjp(s, x)
        sc.softmax_vjp(s, x, out=np.empty_like(x))
        sc.softmax_jvp(s, x)
        for targets in (labels, y):
            sc.cross_entropy(s, targets)
            sc.cross_entropy_grad(s, targets)
            sc.softmax_cross_entropy(x, targets)
            sc.softmax_cross_entropy_grad(x, targets)
        grad = sc.cross_entropy_grad(tiny, np.array([1, 1]))  # -1 / (2 * 6e-8) overflows
        online_logsumexp([x[:, :1], x[:, 1:]])
        sc.relative_error(x, -x)
    assert grad.dtype == np.float16 and np.isneginf(grad[0, 1])


def test_log_softmax_docstring_quotes_the_underflow_thresholds():
    # float64 rounds to 0 below half its smallest subnormal 4.9e-324 (the smallest *normal*
    # is 2.2e-308); float32 below half of 1.4e-45
    assert np.finfo(np.float64).smallest_subnormal == np.float64(4.9e-324)
    assert np.float64(2.4e-324) == 0 and np.float64(2.5e-324) > 0
    assert np.finfo(np.float32).smallest_subnormal == np.float32(1.4e-45)
    assert np.float32(7e-46) == 0 and np.float32(7.1e-46) > 0
    doc = " ".join(log_softmax.__doc__.split())
    assert "``4.9e-324`` in float64, ``1.4e-45`` in float32" in doc
    assert "``2.2e-308`` in float64" in doc and "1e-308" not in doc.replace("2.2e-308", "")


# --- issue 15: 0-d input, numpy scalars from full reductions, log1p precision ------------


@pytest.mark.parametrize("x", [1.0, 3, np.float64(-2.5), np.array(0.25), np.float32(7.0)])
def test_scalar_and_0d_input_with_axis_none(x):
    expected_dtype = np.asarray(x).dtype if np.asarray(x).dtype.kind == "f" else np.float64
    value = logsumexp(x, axis=None)  # a single term: logsumexp is the value itself
    assert isinstance(value, np.generic) and value.dtype == expected_dtype
    assert value == float(x)
    assert isinstance(logsumexp(x, axis=None, keepdims=True), np.generic)  # as np.sum does
    for function, expected in [(softmax, 1.0), (log_softmax, 0.0)]:
        result = function(x, axis=None)
        assert isinstance(result, np.generic) and result.dtype == expected_dtype
        assert result == expected == scipy.special.__dict__[function.__name__](x)


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_non_finite_0d_input_matches_scipy(value):
    with np.errstate(all="ignore"):
        assert_array_equal(logsumexp(value, axis=None), scipy.special.logsumexp(value))
        assert_array_equal(softmax(value, axis=None), scipy.special.softmax(value))  # NaN


@pytest.mark.parametrize("function", FUNCTIONS)
def test_0d_input_with_out_returns_out(function):
    out = np.empty(())
    assert function(np.array(2.0), axis=None, out=out) is out
    assert out == function(2.0, axis=None)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble, np.int64])
@pytest.mark.parametrize(
    ("shape", "axis"),
    [((5,), -1), ((5,), None), ((3, 4), None), ((3, 4), (0, 1)), ((2, 1, 3), None)],
)
def test_full_reductions_return_numpy_scalars(shape, axis, dtype):
    x = np.arange(np.prod(shape)).reshape(shape).astype(dtype)
    value = logsumexp(x, axis=axis)
    assert isinstance(value, np.generic) and not isinstance(value, np.ndarray)
    assert value.dtype == (np.float64 if dtype == np.int64 else dtype)
    assert type(value) is type(np.sum(x.astype(value.dtype), axis=axis))  # as numpy does
    kept = logsumexp(x, axis=axis, keepdims=True)
    assert isinstance(kept, np.ndarray) and kept.shape == (1,) * len(shape)
    assert isinstance(logsumexp(np.ones((2, 3)), axis=0), np.ndarray)  # partial: an array


def _exact_rows(x: np.ndarray) -> np.ndarray:
    return np.array([logsumexp_exact(row) for row in x.reshape(-1, x.shape[-1])])


def _max_error_bound(x: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Error allowed at each row: a few ulps of m and of log1p(r) (r summed over K terms).

    ``m`` is exact and ``log1p(r) = exact - m`` is accurate to about ``K`` ulps
    of itself, so the bound is relative to ``|m| + K |exact - m|``, not to
    ``|exact|``, which may cancel to 0 (an ill-conditioned input for any method).
    """
    m = x.reshape(-1, x.shape[-1]).max(axis=-1)
    eps = np.finfo(np.float64).eps
    return 4 * eps * (np.abs(m) + x.shape[-1] * np.abs(exact - m)) + 1e-300


@pytest.mark.parametrize("K", [2, 5, SMALL_K := _fast.SMALL_K, SMALL_K + 1, 200])
@pytest.mark.parametrize("path", ["fast", "reference", "wide"])
def test_logsumexp_keeps_the_digits_of_dominated_terms(K, path):
    # One dominant logit: the others add e^-40 ... e^-700, far below the rounding unit of 1.
    rng = np.random.default_rng(K)
    x = -rng.uniform(40, 700, size=(64, K))
    x[np.arange(64), rng.integers(0, K, 64)] = rng.uniform(-3, 3, 64)
    x[0] = [0.0, -40.0] + [-np.inf] * (K - 2)  # scipy issue 18295: log(1 + e^-40)
    exact = _exact_rows(x)
    if path == "fast":
        got = logsumexp(x)
    elif path == "reference":
        got = logsumexp(x.T, axis=0)  # not the last axis: the plain numpy formulation
    else:  # rows longer than a block: the column-chunk path of the kernel
        got = _fast.logsumexp_rows(x, np.empty(len(x)), block_bytes=8 * max(1, K // 3))
    assert np.all(np.abs(got - exact) <= _max_error_bound(x, exact))
    assert got[0] == pytest.approx(4.248354255291589e-18, rel=1e-14)
    with np.errstate(divide="ignore"):  # the plain formula loses them all
        assert np.log(np.sum(np.exp(x[0]))) == 0.0


@pytest.mark.parametrize("K", [2, 5, _fast.SMALL_K + 1, 200])
@pytest.mark.parametrize("path", ["fast", "reference", "wide"])
def test_log_softmax_of_the_largest_entry_is_minus_log1p_of_the_rest(K, path):
    rng = np.random.default_rng(100 + K)
    x = -rng.uniform(30, 60, size=(32, K))
    winners = rng.integers(0, K, 32)
    x[np.arange(32), winners] = 0.0  # the largest logit; exact log-probability -log(1 + r)
    exact = -_exact_rows(x)
    if path == "fast":
        got = log_softmax(x)
    elif path == "reference":
        got = log_softmax(x.T, axis=0).T
    else:
        got = _fast.log_softmax_rows(x, np.empty_like(x), block_bytes=8 * max(1, K // 3))
    assert_allclose(got[np.arange(32), winners], exact, rtol=4 * K * np.finfo(float).eps, atol=0)
    assert np.all(got[np.arange(32), winners] < 0)  # not rounded to 0: a nonzero loss


@given(batches(max_n=4, max_k=20, elements=moderate_floats))
def test_logsumexp_is_accurate_to_a_few_ulps(x):
    exact = _exact_rows(x)
    assert np.all(np.abs(logsumexp(x) - exact) <= _max_error_bound(x, exact))
    assert np.all(np.abs(logsumexp(x.T, axis=0) - exact) <= _max_error_bound(x, exact))


@pytest.mark.parametrize("K", [3, _fast.SMALL_K + 4])
def test_ties_and_special_values_in_both_kernels(K):
    rows = np.full((7, K), -3.0)
    rows[0] = 0.0  # all tied: log K
    rows[1, :2] = 5.0  # two tied maxima
    rows[2] = -np.inf
    rows[3, 1] = np.inf
    rows[4, 1] = np.nan
    rows[5, [0, 2]] = [np.inf, np.nan]
    rows[6, 0] = 1e300  # finite extreme
    with np.errstate(all="ignore"):
        for function in (logsumexp, softmax):
            expected = getattr(scipy.special, function.__name__)(rows, axis=-1)
            assert_allclose(function(rows), expected, rtol=1e-15, equal_nan=True)
            assert_allclose(function(rows.T, axis=0), expected.T, rtol=1e-15, equal_nan=True)
        assert logsumexp(rows)[0] == pytest.approx(np.log(K), rel=1e-15)
        assert np.isnan(log_softmax(rows)[2:6]).all()
