"""The options of issue 26 on the forward functions: weights and signs, masks, complex input.

``logsumexp(x, b=..., return_sign=...)`` is judged against an 80-digit
decimal evaluation of :math:`\\sum_j b_j e^{x_j}` (tests/references.py) and
against ``scipy.special.logsumexp``; ``where=`` against the same functions
applied to the kept entries alone (masking equals dropping); complex input
against ``scipy.special`` and the direct formulas. Special values are
written out from the math, one by one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import (
    _general,
    log_softmax,
    logsumexp,
    softmax,
    softmax_cross_entropy,
    softmax_jacobian,
    softmax_vjp,
)
from tests.references import weighted_logsumexp_exact
from tests.strategies import logits

INF, NAN = np.inf, np.nan
FORWARD = [softmax, log_softmax]
MASKED_VALUE = {softmax: 0.0, log_softmax: -np.inf}
SCIPY = {
    softmax: scipy.special.softmax,
    log_softmax: scipy.special.log_softmax,
    logsumexp: scipy.special.logsumexp,
}


# --- logsumexp with weights and signs ------------------------------------------------------

weights = st.one_of(
    st.just(0.0),
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
    st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
)


@st.composite
def values_and_weights(draw, max_k: int = 8, bound: float = 700.0):
    k = draw(st.integers(1, max_k))
    z = draw(hnp.arrays(np.float64, k, elements=st.floats(-bound, bound)))
    b = draw(hnp.arrays(np.float64, k, elements=weights))
    return z, b


@given(values_and_weights())
def test_signed_weighted_sum_matches_80_digit_decimals(zb):
    z, b = zb
    expected, expected_sign, condition = weighted_logsumexp_exact(z, b)
    assume(condition < 1e8)  # a sum that (nearly) cancels has no accurate float64 answer
    value, sign = logsumexp(z, b=b, return_sign=True)
    assert sign == expected_sign
    if expected == -np.inf:
        assert value == -np.inf
    else:  # terms carry relative errors of about 1e-13 (exp of a rounded log weight)
        assert abs(value - expected) <= 1e-12 * condition * max(1.0, abs(expected))
    plain = logsumexp(z, b=b)
    if expected_sign < 0:
        assert np.isnan(plain)  # the log of a negative sum, as in scipy
    else:
        assert plain == value


@given(values_and_weights(bound=50.0))
def test_weights_agree_with_scipy_where_scipy_is_accurate(zb):
    z, b = zb
    # scipy shifts by max(z) whatever the weights: moderate weights keep it accurate
    b = np.where(np.abs(b) < 1e-6, 0.0, np.clip(b, -1e3, 1e3))
    _, _, condition = weighted_logsumexp_exact(z, b)
    assume(condition < 1e3)
    value, sign = logsumexp(z, b=b, return_sign=True)
    with np.errstate(all="ignore"):
        ref_value, ref_sign = scipy.special.logsumexp(z, b=b, return_sign=True)
    assert sign == ref_sign
    assert_allclose(value, ref_value, rtol=1e-12, atol=1e-12)


@given(logits(max_dims=3, max_side=5))
def test_unit_weights_give_the_plain_logsumexp(x):
    for axis in (-1, 0, None):
        assert_allclose(
            logsumexp(x, axis=axis, b=np.ones_like(x)), logsumexp(x, axis=axis), rtol=1e-15
        )
        value, sign = logsumexp(x, axis=axis, return_sign=True)
        assert_allclose(value, logsumexp(x, axis=axis), rtol=1e-15)
        assert np.all(sign == 1)


@pytest.mark.parametrize(
    ("z", "b", "value", "sign"),
    [
        # the weights decide which term dominates: log(1e300 + e^(800 - 690.8)) = log(1e300)
        ([0.0, 800.0], [1e300, 1e-300], math.log(1e300), 1.0),
        # log(1 + 1e300 e^-1000) = 1e300 e^-1000 to full relative precision
        ([0.0, -1000.0], [1.0, 1e300], 1e300 * math.exp(-1000 + 600) * math.exp(-600), 1.0),
        # infinite terms of one sign: that infinity (scipy issue 23548)
        ([INF], None, INF, 1.0),
        ([INF], [-1.0], INF, -1.0),
        ([INF, 0.0], [-1.0, 1.0], INF, -1.0),
        ([INF, INF], [2.0, 3.0], INF, 1.0),
        ([0.0], [INF], INF, 1.0),
        ([0.0], [-INF], INF, -1.0),
        # inf - inf has no value; nor has an infinite weight on e^-inf = 0
        ([INF, INF], [1.0, -1.0], NAN, NAN),
        ([-INF], [INF], NAN, NAN),
        # a zero weight drops its term, whatever the exponent
        ([NAN, 1.0], [0.0, 1.0], 1.0, 1.0),
        ([INF, 1.0], [0.0, 1.0], 1.0, 1.0),
        ([1.0, 10000.0], [1.0, 0.0], 1.0, 1.0),
        # sums of nothing, and sums that cancel exactly: log 0 = -inf, sign 0
        ([5.0, 5.0], [0.0, 0.0], -INF, 0.0),
        ([0.0], [-0.0], -INF, 0.0),
        ([1.0, 1.0], [1.0, -1.0], -INF, 0.0),
        ([-INF, -INF], None, -INF, 0.0),
        ([-INF, -INF], [1.0, -1.0], -INF, 0.0),
        ([], None, -INF, 0.0),
        # NaN in a term that counts
        ([NAN, 1.0], None, NAN, NAN),
        ([1.0, 2.0], [1.0, NAN], NAN, NAN),
        # e - e^2 < 0: log(e^2 - e) with sign -1 (scipy's doc example)
        ([1.0, 2.0], [1.0, -1.0], math.log(math.exp(2) - math.exp(1)), -1.0),
    ],
)
def test_special_values_of_the_weighted_sum(z, b, value, sign):
    z = np.array(z, dtype=np.float64)
    b = None if b is None else np.array(b, dtype=np.float64)
    got, got_sign = logsumexp(z, b=b, return_sign=True)
    # log|b_j| carries a relative error of ε, which moves a term by |log|b_j|| ε (<= 1.6e-13)
    assert_allclose(got, value, rtol=1e-13)
    assert_array_equal(got_sign, sign)
    plain = logsumexp(z, b=b)
    assert_array_equal(plain, np.nan if sign < 0 else got)


def test_scipy_issue_22903_negative_weight_on_the_largest_term():
    z = np.array([3.06409428, 0.37251854, 3.87471931])
    b = np.array([1.88190708, 2.84174795, -0.85016884])
    exact = math.log(math.fsum(w * math.exp(v) for v, w in zip(z, b, strict=True)))
    assert_allclose(logsumexp(z, b=b), exact, rtol=1e-14)
    b[2] = -3.85016884  # now the sum is negative
    assert np.isnan(logsumexp(z, b=b))
    assert logsumexp(z, b=b, return_sign=True)[1] == -1


def test_weights_broadcast_as_in_scipy():
    x = np.zeros((4, 1, 2, 1))
    b = np.ones((3, 1, 5))
    # 4 * 3 * 2 * 5 = 120 terms of 1
    assert_allclose(logsumexp(x, b=b, axis=None), math.log(120), rtol=1e-15)
    assert logsumexp(x, b=b).shape == (4, 3, 2)
    assert logsumexp(np.arange(3.0), b=np.ones((2, 3))).shape == (2,)
    value, sign = logsumexp(np.ones((1, 2, 3, 4)), axis=(1, 3), b=2.0, return_sign=True)
    assert value.shape == sign.shape == (1, 3)
    assert_allclose(value, 1 + math.log(2 * 8), rtol=1e-15)
    value, sign = logsumexp(np.ones((2, 3)), b=np.ones(3), keepdims=True, return_sign=True)
    assert value.shape == sign.shape == (2, 1)


@pytest.mark.parametrize(
    ("x_dtype", "b", "expected"),
    [
        (np.float32, np.float32(2.0), np.float32),
        (np.float32, 2.0, np.float32),  # a Python number does not promote, as in numpy
        (np.float32, np.array([1.0, 2.0]), np.float64),
        (np.int64, np.array([1, 2]), np.float64),
        (np.float16, np.array([1, 2], dtype=np.float16), np.float16),
        (np.float64, np.array([1, 2], dtype=np.complex64), np.complex128),
    ],
)
def test_the_result_dtype_is_the_common_one(x_dtype, b, expected):
    x = np.array([1, 2], dtype=x_dtype)
    assert logsumexp(x, b=b).dtype == expected


def test_inputs_are_not_written_to():
    x, b = np.array([[5.0, 4.0, INF]]), np.array([3.0, -2.0, 0.0])
    where = np.array([True, True, False])
    copies = x.copy(), b.copy(), where.copy()
    logsumexp(x, b=b, where=where, return_sign=True)
    softmax(x, where=where)
    log_softmax(x, where=where)
    for before, after in zip(copies, (x, b, where), strict=True):
        assert_array_equal(before, after)


# --- where= masks ----------------------------------------------------------------------------


@st.composite
def masked_batches(draw):
    """A batch, a mask of the same shape, and garbage (NaN, inf) under part of the mask."""
    shape = draw(st.tuples(st.integers(1, 5), st.integers(1, 7)))
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-50, 50)))
    keep = draw(hnp.arrays(np.bool_, shape))
    garbage = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([NAN, INF, -INF, 1e308])))
    return np.where(keep, x, garbage), keep


@given(masked_batches())
def test_masking_equals_dropping_the_entries(data):
    x, keep = data
    for function in FORWARD:
        got = function(x, where=keep)
        assert_array_equal(got[~keep], MASKED_VALUE[function])
        for row, row_keep, got_row in zip(x, keep, got, strict=True):
            if row_keep.any():
                reference = SCIPY[function](row[row_keep])
                assert_allclose(got_row[row_keep], reference, rtol=1e-13, atol=1e-15)
    total = logsumexp(x, where=keep)
    for row, row_keep, value in zip(x, keep, total, strict=True):
        if row_keep.any():
            assert_allclose(value, scipy.special.logsumexp(row[row_keep]), rtol=1e-14)
        else:
            assert value == -np.inf


@given(masked_batches(), st.floats(0.1, 10.0))
def test_masks_along_another_axis_and_with_temperature(data, temperature):
    x, keep = data
    for function in FORWARD:
        got = function(x.T, axis=0, where=keep.T, temperature=temperature)
        assert_array_equal(got, function(x, where=keep, temperature=temperature).T)
    assert_array_equal(logsumexp(x.T, axis=0, where=keep.T), logsumexp(x, where=keep))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex128])
def test_a_fully_masked_row_gives_zero_and_minus_inf_without_warning(dtype):
    x = np.array([[1.0, 2.0, 3.0], [NAN, INF, 1.0]]).astype(dtype)
    keep = np.array([[True, True, False], [False, False, False]])
    s = softmax(x, where=keep)  # warnings are errors in this test suite
    assert s.dtype == dtype
    assert_array_equal(s[1], 0)
    assert_allclose(s[0, :2].astype(np.complex128), scipy.special.softmax([1.0, 2.0]), rtol=1e-3)
    assert_array_equal(log_softmax(x, where=keep)[1], -np.inf)
    assert logsumexp(x, where=keep)[1] == -np.inf
    value, sign = logsumexp(x, where=keep, return_sign=True)
    assert value[1] == -np.inf and sign[1] == 0


def test_kept_entries_keep_the_special_cases_of_the_plain_call():
    x = np.array([[-INF, -INF, 0.0], [1.0, INF, 5.0], [NAN, 0.0, 2.0]])
    keep = np.array([[True, True, False], [True, True, False], [True, True, False]])
    for function in FORWARD:
        got = function(x, where=keep)
        for i in range(3):  # an all -inf, a +inf, a NaN slice of kept entries: NaN, as scipy
            assert_array_equal(got[i, :2], function(x[i, :2]))
        assert_array_equal(got[:, 2], MASKED_VALUE[function])
    assert_array_equal(logsumexp(x, where=keep), [-INF, INF, NAN])


def test_mask_scalars_and_broadcast_masks():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert_array_equal(softmax(x, where=True), softmax(x, where=np.ones_like(x, dtype=bool)))
    assert_array_equal(softmax(x, where=False), np.zeros_like(x))
    column_mask = np.array([True, False, True])
    assert_allclose(softmax(x, where=column_mask)[:, [0, 2]], softmax(x[:, [0, 2]]), rtol=1e-15)
    assert_allclose(logsumexp(x, where=column_mask), logsumexp(x[:, [0, 2]]), rtol=1e-15)
    # a mask and weights together: both leave entries out
    b = np.array([1.0, 1.0, 0.0])
    assert_allclose(logsumexp(x, b=b, where=column_mask), x[:, 0], rtol=1e-15)


def test_where_writes_into_out():
    x = np.array([[1.0, 2.0, 3.0]])
    keep = np.array([[True, False, True]])
    out = np.full_like(x, 7.0)
    assert softmax(x, where=keep, out=out) is out
    assert_array_equal(out, softmax(x, where=keep))


def test_plain_calls_do_not_take_the_numpy_path_of_the_options(monkeypatch):
    """The kernels keep plain real calls (their bits are pinned by test_fast_paths.py)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a plain call reached softmax_course._general")

    for name in ("softmax", "log_softmax", "logsumexp"):
        monkeypatch.setattr(_general, name, refuse)
    x = np.random.default_rng(0).normal(size=(5, 7))
    for function in (softmax, log_softmax, logsumexp):
        function(x)
        function(x, axis=0)


# --- complex input ---------------------------------------------------------------------------


complex_arrays = hnp.arrays(
    np.complex128,
    hnp.array_shapes(max_dims=2, max_side=5),
    elements=st.complex_numbers(max_magnitude=40, allow_nan=False, allow_infinity=False),
)


@given(complex_arrays)
def test_complex_input_agrees_with_scipy_and_the_direct_formulas(z):
    for function in (softmax, log_softmax, logsumexp):
        assert_allclose(function(z, axis=None), SCIPY[function](z), rtol=1e-12, atol=1e-12)
    e = np.exp(z)  # |z| <= 40: the direct formulas do not overflow
    assert_allclose(softmax(z, axis=None), e / e.sum(), rtol=1e-10, atol=1e-14)
    total = e.sum()
    assume(abs(total) > 1e-6 * np.abs(e).sum())  # a well-conditioned complex sum
    lse = logsumexp(z, axis=None)
    assert_allclose(np.exp(lse), total, rtol=1e-10)
    assert -np.pi < lse.imag <= np.pi
    value, phase = logsumexp(z, axis=None, return_sign=True)
    assert_allclose(value, np.log(abs(total)), rtol=1e-10, atol=1e-10)
    assert_allclose(phase, total / abs(total), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_dtypes_are_kept(dtype):
    z = np.array([1 + 1j, 2 - 1j, -2 + 3j], dtype=dtype)
    assert softmax(z).dtype == dtype
    assert log_softmax(z).dtype == dtype
    assert logsumexp(z).dtype == dtype
    value, phase = logsumexp(z, return_sign=True)
    assert value.dtype == np.empty(0, dtype).real.dtype and phase.dtype == dtype


@pytest.mark.parametrize(
    "pair",
    [
        [complex(INF, 0.0), 0.0],
        [complex(INF, 1.0), 2.0 + 1j],
        [complex(INF, INF), 1.0],
        [complex(INF, 0.7533), complex(INF, 2.3562)],
        [complex(-INF, 0.0), complex(-INF, 3.0)],
    ],
)
def test_complex_infinities_follow_log_of_sum_of_exp(pair):
    z = np.array(pair, dtype=np.complex128)
    with np.errstate(all="ignore"):
        expected = np.log(np.sum(np.exp(z)))
    assert_array_equal(logsumexp(z), expected)


def test_complex_weights_and_masks():
    z = np.array([1 + 1j, 2 - 1j, 50 + 0j])
    b = np.array([2j, -1.0, 3.0])
    keep = np.array([True, True, False])
    expected = np.log(np.sum(b[:2] * np.exp(z[:2])))
    assert_allclose(logsumexp(z, b=b, where=keep), expected, rtol=1e-14)
    assert_allclose(softmax(z, where=keep)[:2], scipy.special.softmax(z[:2]), rtol=1e-14)
    assert softmax(z, where=keep)[2] == 0
    assert log_softmax(z, where=keep)[2] == -np.inf


def test_other_functions_still_refuse_complex_with_their_message():
    z = np.array([[1 + 2j, 3.0]])
    pattern = r"must be real; received complex dtype complex128"
    with pytest.raises(TypeError, match=r"^s " + pattern):
        softmax_jacobian(z)
    with pytest.raises(TypeError, match=r"^s " + pattern):
        softmax_vjp(z, np.ones((1, 2)))
    with pytest.raises(TypeError, match=r"^logits " + pattern):
        softmax_cross_entropy(z, np.array([0]))


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp])
@pytest.mark.parametrize(
    ("where", "error", "pattern"),
    [
        (
            np.array([1.0, 0.0, 1.0]),
            TypeError,
            r"^where must be a boolean array; received dtype float64; expected True where "
            r"an entry takes part and False where it is left out",
        ),
        ([1, 0, 1], TypeError, r"^where must be a boolean array; received dtype int64"),
        (1, TypeError, r"^where must be a boolean array; received 1 \(type int\)"),
        (
            np.array([True, False]),
            ValueError,
            r"^where has shape \(2,\), which does not broadcast to the shape \(2, 3\) of x; "
            r"expected a shape broadcastable to \(2, 3\)",
        ),
        (np.ones((3, 2, 3), dtype=bool), ValueError, r"^where has shape \(3, 2, 3\)"),
        ([[True], [False, True]], TypeError, r"^where must be array-like of booleans"),
    ],
)
def test_bad_where(function, where, error, pattern):
    with pytest.raises(error, match=pattern):
        function(np.zeros((2, 3)), where=where)


@pytest.mark.parametrize(
    ("b", "error", "pattern"),
    [
        (
            np.ones(4),
            ValueError,
            r"^b has shape \(4,\), which does not broadcast against x of shape \(2, 3\); "
            r"expected a shape that numpy can broadcast with \(2, 3\)",
        ),
        (
            np.array(["a", "b", "c"]),
            TypeError,
            r"^b must be an array of real or complex numbers; received dtype <U1",
        ),
        (np.array([None, 1, 2]), TypeError, r"^b must be .* received dtype object"),
        ([[1, 2, 3], [4]], TypeError, r"^b must be array-like of numbers"),
    ],
)
def test_bad_weights(b, error, pattern):
    with pytest.raises(error, match=pattern):
        logsumexp(np.zeros((2, 3)), b=b)


def test_bad_return_sign():
    with pytest.raises(TypeError, match=r"^return_sign must be a bool; received 'yes'"):
        logsumexp(np.zeros(3), return_sign="yes")


@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp])
def test_masked_arrays_are_pointed_to_where(function):
    x = np.ma.masked_array([[1.0, 2.0, 3.0]], mask=[[0, 1, 0]])
    with pytest.raises(TypeError, match=r"where=~x\.mask to leave the masked entries out"):
        function(x)
    assert_allclose(function(x.data, where=~x.mask), function(x.filled(-np.inf)), rtol=1e-15)


def test_derivatives_do_not_suggest_a_where_they_do_not_have():
    s = np.ma.masked_array([[0.5, 0.5]], mask=[[0, 1]])
    with pytest.raises(TypeError, match=r"^s is a masked array") as error:
        softmax_jacobian(s)
    assert "where=" not in str(error.value)
