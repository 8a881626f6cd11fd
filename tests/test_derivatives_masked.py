"""Tests of logsumexp_vjp, log_softmax_vjp and the ``where=`` masks of every VJP.

The references are independent of the package: scipy.special's forward functions inside
finite differences, the explicit Jacobians written from the math, 80-digit decimal
arithmetic, and a masked forward pass built here (the function of the kept entries only,
scattered back), never the package's own forward ``where=``.
"""

from __future__ import annotations

import decimal
import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import (
    log_softmax_vjp,
    logsumexp_vjp,
    numerical_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from tests.references import central_jacobian
from tests.strategies import logits, logits_axis_and_vector, masked_floats, unit_floats

# --- independent references -------------------------------------------------------------


def masked_forward(function, z, keep, empty_value):
    """``function`` of the kept entries of each row of ``z`` (class axis last), scattered back.

    Masked entries get the value of an entry without probability: 0 for softmax, ``-inf``
    for log-softmax (``empty_value``); so does every entry of a row without probability
    (no kept entry, or only ``-inf`` ones), whose output does not depend on the logits.
    """
    out = np.full(z.shape, empty_value, dtype=np.float64)
    for index in np.ndindex(z.shape[:-1]):
        kept = keep[index]
        if np.any(z[index][kept] > -np.inf):
            out[index + (kept,)] = function(z[index][kept])
    return out


def masked_logsumexp(z, keep):
    """logsumexp of the kept entries of each row (``-inf`` for a row without any)."""
    out = np.full(z.shape[:-1], -np.inf)
    for index in np.ndindex(z.shape[:-1]):
        kept = keep[index]
        if np.any(z[index][kept] > -np.inf):
            out[index] = scipy.special.logsumexp(z[index][kept])
    return out


def masked_softmax(z, keep):
    return masked_forward(scipy.special.softmax, z, keep, 0.0)


def masked_log_softmax(z, keep):
    return masked_forward(scipy.special.log_softmax, z, keep, -np.inf)


def exact_softmax(row):
    """softmax of a 1-D float row in 80-digit decimal arithmetic, rounded once per entry."""
    with decimal.localcontext() as context:
        context.prec = 80
        values = [decimal.Decimal(float(v)) for v in row]
        m = max(values)
        terms = [(v - m).exp() for v in values]
        total = sum(terms)
        return np.array([float(t / total) for t in terms])


def fd_atol(inner_product, z):
    """Central differences of a scalar E lose about u |E| / eps = 1e-10 |E| to rounding."""
    return 1e-8 + 1e-9 * abs(float(inner_product(z)))


def call_quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning fails the test
        return function(*args, **kwargs)


#: Logits whose central differences are accurate to ~1e-9.
gradcheck_floats = st.floats(-10.0, 10.0)


@st.composite
def logits_and_mask(draw, *, elements=gradcheck_floats, max_side=5):
    """Logits (class axis last), a same-shape upstream vector and a boolean mask."""
    z = draw(logits(min_dims=1, max_dims=3, max_side=max_side, elements=elements))
    g = draw(hnp.arrays(np.float64, z.shape, elements=unit_floats))
    keep = draw(hnp.arrays(np.bool_, z.shape))
    return z, g, keep


# --- log_softmax_vjp ---------------------------------------------------------------------


@given(logits_axis_and_vector())
def test_log_softmax_vjp_equals_transposed_jacobian_from_the_math(case):
    z, axis, g = case
    s = scipy.special.softmax(z, axis=axis)
    log_probs = scipy.special.log_softmax(z, axis=axis)
    # J_ij = d l_i / d z_j = delta_ij - s_j, built explicitly per sample
    s_last, g_last = np.moveaxis(s, axis, -1), np.moveaxis(g, axis, -1)
    k = s_last.shape[-1]
    jacobian = np.eye(k) - s_last[..., None, :]
    expected = np.moveaxis(np.einsum("...ij,...i->...j", jacobian, g_last), -1, axis)
    assert_allclose(log_softmax_vjp(log_probs, g, axis=axis), expected, rtol=1e-9, atol=1e-13)


@given(logits_axis_and_vector(elements=st.floats(-10.0, 10.0), max_side=4))
def test_log_softmax_vjp_equals_finite_differences_of_scipy(case):
    z, axis, g = case

    def inner_product(t):  # E(z) = <g, log_softmax(z)>, whose gradient is J^T g
        return np.sum(g * scipy.special.log_softmax(t, axis=axis))

    expected = numerical_jacobian(inner_product, z)
    got = log_softmax_vjp(scipy.special.log_softmax(z, axis=axis), g, axis=axis)
    assert_allclose(got, expected, rtol=0, atol=fd_atol(inner_product, z))


@given(logits_axis_and_vector(), st.data())
def test_log_softmax_vjp_is_the_adjoint_of_the_jvp_from_the_math(case, data):
    # <J v, g> = <v, J^T g> with J v = v - <s, v> (from l = z - logsumexp(z))
    z, axis, g = case
    v = data.draw(hnp.arrays(np.float64, z.shape, elements=unit_floats))
    s = scipy.special.softmax(z, axis=axis)
    jv = v - np.sum(s * v, axis=axis, keepdims=True)
    vjp = log_softmax_vjp(scipy.special.log_softmax(z, axis=axis), g, axis=axis)
    assert_allclose(np.sum(jv * g), np.sum(v * vjp), rtol=1e-9, atol=1e-12)


@given(logits_axis_and_vector())
def test_log_softmax_vjp_sums_to_zero_over_the_class_axis(case):
    z, axis, g = case
    got = log_softmax_vjp(scipy.special.log_softmax(z, axis=axis), g, axis=axis)
    assert_allclose(got.sum(axis=axis), 0.0, atol=1e-12)


@given(logits(min_dims=2, max_dims=2))
def test_log_softmax_vjp_of_cross_entropy_is_s_minus_y(z):
    n, k = z.shape
    y = np.eye(k)[np.arange(n) % k]
    got = log_softmax_vjp(scipy.special.log_softmax(z, axis=-1), -y)  # E = -sum(y * l)
    assert_allclose(got, scipy.special.softmax(z, axis=-1) - y, rtol=1e-12, atol=1e-15)


def test_log_softmax_vjp_over_a_tuple_of_axes_equals_the_flattened_class_axis():
    rng = np.random.default_rng(5)
    z, g = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    log_probs = scipy.special.log_softmax(z, axis=(1, 2))
    flat = log_softmax_vjp(log_probs.reshape(2, 12), g.reshape(2, 12)).reshape(2, 3, 4)
    assert_allclose(log_softmax_vjp(log_probs, g, axis=(1, 2)), flat, rtol=1e-13, atol=1e-16)


def test_log_softmax_vjp_keeps_digits_of_tiny_probabilities():
    # s = exp(l) for l near -700: the decimal reference keeps every digit
    z = np.array([0.0, -700.0, -745.0, 3.0])
    g = np.array([0.0, 1.0, 1.0, 0.0])
    got = log_softmax_vjp(scipy.special.log_softmax(z), g)
    expected = g - exact_softmax(z) * g.sum()
    assert_allclose(got[:2], expected[:2], rtol=1e-12)
    assert_allclose(got[2:], expected[2:], rtol=1e-9)  # s_2 is subnormal: fewer digits


# --- logsumexp_vjp -------------------------------------------------------------------------


@st.composite
def logits_axis_and_row_gradient(draw, **kwargs):
    z, axis, _ = draw(logits_axis_and_vector(**kwargs))
    shape = tuple(n for i, n in enumerate(z.shape) if i != axis % z.ndim)
    g = draw(hnp.arrays(np.float64, shape, elements=unit_floats))
    return z, axis, g


@given(logits_axis_and_row_gradient(elements=st.floats(-10.0, 10.0), max_side=4))
def test_logsumexp_vjp_equals_finite_differences_of_scipy(case):
    z, axis, g = case

    def inner_product(t):
        return np.sum(g * scipy.special.logsumexp(t, axis=axis))

    expected = numerical_jacobian(inner_product, z)
    assert_allclose(
        logsumexp_vjp(z, g, axis=axis), expected, rtol=0, atol=fd_atol(inner_product, z)
    )


@given(logits_axis_and_row_gradient())
def test_logsumexp_vjp_is_g_times_softmax_with_or_without_keepdims(case):
    z, axis, g = case
    expected = np.expand_dims(g, axis) * scipy.special.softmax(z, axis=axis)
    assert_allclose(logsumexp_vjp(z, g, axis=axis), expected, rtol=1e-13, atol=1e-300)
    kept = logsumexp_vjp(z, np.expand_dims(g, axis), axis=axis)
    assert_array_equal(kept, logsumexp_vjp(z, g, axis=axis))


@given(logits_axis_and_row_gradient(), st.data())
def test_logsumexp_vjp_is_the_adjoint_of_the_directional_derivative(case, data):
    # d logsumexp(z + t v)/dt = <s, v>: <J v, g> = <v, J^T g>
    z, axis, g = case
    v = data.draw(hnp.arrays(np.float64, z.shape, elements=unit_floats))
    jv = np.sum(scipy.special.softmax(z, axis=axis) * v, axis=axis)
    assert_allclose(
        np.sum(jv * g), np.sum(v * logsumexp_vjp(z, g, axis=axis)), rtol=1e-9, atol=1e-12
    )


def test_logsumexp_vjp_over_all_axes_and_a_tuple():
    rng = np.random.default_rng(6)
    z = rng.normal(size=(3, 4)) * 5
    expected = 2.5 * exact_softmax(z.ravel()).reshape(3, 4)
    assert_allclose(logsumexp_vjp(z, 2.5, axis=None), expected, rtol=1e-14)
    assert_allclose(logsumexp_vjp(z, np.array([[2.5]]), axis=(0, 1)), expected, rtol=1e-14)


@given(logits(max_dims=1, min_side=2, elements=st.floats(-1000.0, 1000.0)))
def test_logsumexp_vjp_agrees_with_80_digit_arithmetic(z):
    got = logsumexp_vjp(z, 1.0)
    expected = exact_softmax(z)
    normal = expected > np.finfo(np.float64).tiny * 1e3  # subnormals keep fewer digits
    assert_allclose(got[normal], expected[normal], rtol=1e-13 * (1 + np.ptp(z)))
    assert_allclose(got[~normal], expected[~normal], rtol=0, atol=1e-300)


def test_logsumexp_vjp_with_one_dominant_logit_in_float32():
    z = np.array([0.0, 100.0, 30.0], dtype=np.float32)
    got = logsumexp_vjp(z, np.float32(1.0))
    assert got.dtype == np.float32
    assert_allclose(got, exact_softmax(z.astype(np.float64)), rtol=2e-6, atol=1e-45)


# --- masks: the gradient of the masked forward pass -------------------------------------


@given(logits_and_mask())
def test_masked_softmax_vjp_equals_finite_differences_of_the_masked_forward(case):
    z, g, keep = case
    s = masked_softmax(z, keep)
    expected = numerical_jacobian(lambda t: np.sum(g * masked_softmax(t, keep)), z)
    got = call_quietly(softmax_vjp, s, g, where=keep)
    assert_allclose(got, expected, rtol=0, atol=1e-8)
    assert_array_equal(got[~keep], 0.0)


@given(logits_and_mask())
def test_masked_softmax_jvp_equals_directional_difference_of_the_masked_forward(case):
    z, v, keep = case
    eps = 1e-6
    expected = (masked_softmax(z + eps * v, keep) - masked_softmax(z - eps * v, keep)) / (2 * eps)
    got = call_quietly(softmax_jvp, masked_softmax(z, keep), v, where=keep)
    assert_allclose(got, expected, rtol=0, atol=1e-8)
    assert_array_equal(got[~keep], 0.0)


@given(logits_and_mask())
def test_masked_log_softmax_vjp_equals_finite_differences_of_the_masked_forward(case):
    z, g, keep = case

    def inner_product(t):  # masked outputs are constants (-inf): their g takes no part
        return np.sum(g * np.where(keep, masked_log_softmax(t, keep), 0.0))

    expected = numerical_jacobian(inner_product, z)
    got = call_quietly(log_softmax_vjp, masked_log_softmax(z, keep), g, where=keep)
    assert_allclose(got, expected, rtol=0, atol=fd_atol(inner_product, z))
    assert_array_equal(got[~keep], 0.0)


@given(logits_and_mask())
def test_masked_logsumexp_vjp_equals_finite_differences_of_the_masked_forward(case):
    z, g_full, keep = case
    g = g_full[..., 0]

    def inner_product(t):
        values = masked_logsumexp(t, keep)
        return np.sum(g * np.where(np.isfinite(values), values, 0.0))  # empty rows: constants

    expected = numerical_jacobian(inner_product, z)
    got = call_quietly(logsumexp_vjp, z, g, where=keep)
    assert_allclose(got, expected, rtol=0, atol=fd_atol(inner_product, z))
    assert_array_equal(got[~keep], 0.0)


@given(logits_and_mask(elements=masked_floats))
def test_masked_vjps_ignore_what_masked_entries_hold(case):
    # NaN and +inf under the mask, and -inf logits among the kept ones: no NaN comes out
    z, g, keep = case
    s, log_probs = masked_softmax(z, keep), masked_log_softmax(z, keep)
    garbage = np.where(keep, 0.0, np.nan)
    for function, forward in [(softmax_vjp, s), (softmax_jvp, s), (log_softmax_vjp, log_probs)]:
        clean = call_quietly(function, forward, g, where=keep)
        dirty = call_quietly(function, forward + garbage, g + garbage, where=keep)
        assert_array_equal(dirty, clean)
        assert not np.isnan(clean).any()
        assert not np.signbit(clean[~keep]).any()  # 0.0, not -0.0
    z_dirty = np.where(keep, z, np.inf)
    clean = call_quietly(logsumexp_vjp, z, g[..., 0], where=keep)
    assert_array_equal(call_quietly(logsumexp_vjp, z_dirty, g[..., 0], where=keep), clean)
    assert not np.isnan(clean).any()
    assert not np.signbit(clean[~keep]).any()


def test_a_mask_that_broadcasts():
    rng = np.random.default_rng(7)
    z, g = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    columns = np.array([True, False, True, True])  # shape (K,): the same classes every row
    keep = np.broadcast_to(columns, z.shape)
    s, log_probs = masked_softmax(z, keep), masked_log_softmax(z, keep)
    assert_array_equal(softmax_vjp(s, g, where=columns), softmax_vjp(s, g, where=keep))
    assert_array_equal(
        log_softmax_vjp(log_probs, g, where=columns), log_softmax_vjp(log_probs, g, where=keep)
    )
    rows = np.array([[True], [False], [True]])  # shape (N, 1): whole samples
    assert_array_equal(logsumexp_vjp(z, g[:, 0], where=rows)[1], 0.0)
    assert_array_equal(
        logsumexp_vjp(z, g[:, 0], where=rows)[[0, 2]], logsumexp_vjp(z[[0, 2]], g[[0, 2], 0])
    )


def test_masked_softmax_vjp_writes_into_out_and_over_a_tuple_of_axes():
    rng = np.random.default_rng(8)
    z, g = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    keep = rng.random((2, 3, 4)) < 0.6
    flat_keep = keep.reshape(2, 12)
    s_flat = masked_softmax(z.reshape(2, 12), flat_keep)
    expected = softmax_vjp(s_flat, g.reshape(2, 12), where=flat_keep).reshape(2, 3, 4)
    s = s_flat.reshape(2, 3, 4)
    out = np.empty_like(s)
    assert softmax_vjp(s, g, axis=(1, 2), out=out, where=keep) is out
    assert_allclose(out, expected, rtol=1e-13, atol=1e-17)


def test_a_mask_of_all_true_gives_the_plain_result():
    rng = np.random.default_rng(9)
    z, g = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    s, log_probs = scipy.special.softmax(z, axis=-1), scipy.special.log_softmax(z, axis=-1)
    assert_allclose(softmax_vjp(s, g, where=True), softmax_vjp(s, g), rtol=1e-14, atol=1e-17)
    assert_allclose(softmax_jvp(s, g, where=True), softmax_jvp(s, g), rtol=1e-14, atol=1e-17)
    assert_array_equal(log_softmax_vjp(log_probs, g, where=True), log_softmax_vjp(log_probs, g))
    assert_array_equal(logsumexp_vjp(z, g[:, 0], where=True), logsumexp_vjp(z, g[:, 0]))


# --- rows without probability: zeros, never NaN, no warning ------------------------------


def test_rows_of_all_minus_inf_and_fully_masked_rows_get_zero_gradients():
    z = np.array([[-np.inf, -np.inf, -np.inf], [1.0, 2.0, -np.inf], [np.nan, np.inf, 4.0]])
    keep = np.array([[True, True, True], [True, True, True], [False, False, False]])
    g = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.25], [np.nan, np.inf, -np.inf]])
    row = np.array([1.0, -1.0, np.inf])

    # logsumexp_vjp takes the logits: an all -inf row is 0 even without a mask
    got = call_quietly(logsumexp_vjp, z[:2], row[:2])
    assert_array_equal(got[0], 0.0)
    assert_allclose(got[1], -scipy.special.softmax(z[1]), rtol=1e-15)
    got = call_quietly(logsumexp_vjp, z, row, where=keep)
    assert_array_equal(got[[0, 2]], 0.0)

    # the outputs the forward functions give a fully masked row (0, -inf), without a mask
    assert_array_equal(call_quietly(softmax_vjp, np.zeros(3), g[0]), 0.0)
    assert_array_equal(call_quietly(log_softmax_vjp, np.full(3, -np.inf), g[0]), 0.0)
    # today's forward output of an all -inf row (NaN), with the mask of the finite logits
    nan_rows = np.full((3, 3), np.nan)
    finite = z > -np.inf
    for function in (softmax_vjp, softmax_jvp, log_softmax_vjp):
        got = call_quietly(function, nan_rows[:1], g[:1], where=finite[:1])
        assert_array_equal(got, 0.0)
        got = call_quietly(function, nan_rows, g, where=keep & finite)
        assert_array_equal(got[[0, 2]], 0.0)


def test_a_nan_input_still_propagates():
    # NaN logits make NaN outputs: without a mask, no zero is invented for them
    s = np.array([np.nan, np.nan])
    g = np.array([1.0, 0.0])
    assert np.isnan(softmax_vjp(s, g)).all()
    assert np.isnan(log_softmax_vjp(s, g)).all()
    assert np.isnan(logsumexp_vjp(np.array([np.nan, 0.0]), 1.0)).all()
    assert np.isnan(logsumexp_vjp(np.array([np.inf, 0.0]), 1.0)).all()  # as softmax does


def test_empty_class_axes():
    assert logsumexp_vjp(np.zeros((2, 0)), np.ones(2)).shape == (2, 0)
    assert log_softmax_vjp(np.zeros((2, 0)), np.zeros((2, 0))).shape == (2, 0)
    assert softmax_vjp(np.zeros((2, 0)), np.zeros((2, 0)), where=True).shape == (2, 0)


# --- dtypes, never mutating, bad input -------------------------------------------------------


def test_dtypes():
    s32 = np.array([0.25, 0.75], dtype=np.float32)
    g32 = np.array([1.0, 0.0], dtype=np.float32)
    keep = np.array([True, False])
    log32 = np.log(s32)
    assert log_softmax_vjp(log32, g32).dtype == np.float32
    assert log_softmax_vjp(log32, g32.astype(np.float64)).dtype == np.float64
    assert log_softmax_vjp(log32.astype(np.float16), g32.astype(np.float16)).dtype == np.float16
    assert logsumexp_vjp(s32, np.float32(1.0)).dtype == np.float32
    assert logsumexp_vjp([0, 1], 1).dtype == np.float64
    assert logsumexp_vjp(s32.astype(np.float16), np.float16(1.0)).dtype == np.float16
    assert softmax_vjp(s32, g32, where=keep).dtype == np.float32
    assert softmax_jvp(s32.astype(np.float16), g32.astype(np.float16), where=keep).dtype == (
        np.float16
    )


def test_inputs_are_never_mutated():
    rng = np.random.default_rng(10)
    z = rng.normal(size=(3, 4))
    z[0] = -np.inf
    keep = rng.random((3, 4)) < 0.5
    g = rng.normal(size=(3, 4))
    arrays = [z, keep, g, masked_softmax(z, keep), masked_log_softmax(z, keep), g[:, 0].copy()]
    before = [a.copy() for a in arrays]
    for a in arrays:
        a.setflags(write=False)  # any write would raise
    z, keep, g, s, log_probs, row = arrays
    softmax_vjp(s, g, where=keep)
    softmax_jvp(s, g, where=keep)
    log_softmax_vjp(log_probs, g)
    log_softmax_vjp(log_probs, g, where=keep)
    logsumexp_vjp(z, row)
    logsumexp_vjp(z, row, where=keep)
    for a, b in zip(arrays, before, strict=True):
        assert_array_equal(a, b)


def test_shape_mismatches_name_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"log_probs and g must have the same shape; received log_probs of shape "
        r"\(2, 3\) and g of shape \(3, 2\)",
    ):
        log_softmax_vjp(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(
        ValueError,
        match=r"g must have the shape of logsumexp\(z, axis=-1\), \(2,\) \(or \(2, 1\) with "
        r"keepdims=True\); received g of shape \(3,\) for z of shape \(2, 3\)",
    ):
        logsumexp_vjp(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"received g of shape \(2, 3\)"):
        logsumexp_vjp(np.zeros((2, 3)), np.zeros((2, 3)))  # no silent broadcasting


@pytest.mark.parametrize(
    ("call", "array_name"),
    [
        (lambda w: softmax_vjp(np.full((2, 3), 1 / 3), np.zeros((2, 3)), where=w), "s"),
        (lambda w: softmax_jvp(np.full((2, 3), 1 / 3), np.zeros((2, 3)), where=w), "s"),
        (lambda w: log_softmax_vjp(np.zeros((2, 3)), np.zeros((2, 3)), where=w), "log_probs"),
        (lambda w: logsumexp_vjp(np.zeros((2, 3)), np.zeros(2), where=w), "z"),
    ],
)
def test_bad_masks_are_named(call, array_name):
    with pytest.raises(
        TypeError,
        match=rf"where must be a boolean mask \(True: the entry takes part\); received dtype "
        rf"float64; expected a bool array broadcastable to \(2, 3\), the shape of {array_name}",
    ):
        call(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"where must be a boolean mask.*received dtype int64"):
        call(np.array([1, 0, 1]))
    with pytest.raises(
        ValueError,
        match=rf"where must be broadcastable to \(2, 3\), the shape of {array_name}; "
        r"received where of shape \(2,\)",
    ):
        call(np.array([True, False]))
    with pytest.raises(ValueError, match=r"received where of shape \(4, 2, 3\)"):
        call(np.ones((4, 2, 3), dtype=bool))  # a mask may not broadcast the input up
    with pytest.raises(TypeError, match=r"where is a masked array with 1 masked entry"):
        call(np.ma.masked_array([True, True, True], mask=[True, False, False]))


def test_bad_arrays_and_axes_are_named():
    with pytest.raises(TypeError, match=r"z must be real; received complex dtype"):
        logsumexp_vjp(np.array([1j, 0.0]), 1.0)
    with pytest.raises(TypeError, match=r"log_probs must be an array of real numbers"):
        log_softmax_vjp(np.array(["a", "b"]), np.zeros(2))
    with pytest.raises(TypeError, match=r"g must be an array of real numbers"):
        logsumexp_vjp(np.zeros(2), "a")
    with pytest.raises(ValueError, match=r"axis=2 is out of range for an array with 2 dimensions"):
        logsumexp_vjp(np.zeros((2, 2)), np.zeros(2), axis=2)
    with pytest.raises(ValueError, match=r"axis=-3 is out of range"):
        log_softmax_vjp(np.zeros((2, 2)), np.zeros((2, 2)), axis=-3)
    with pytest.raises(ValueError, match=r"0-dimensional array"):
        logsumexp_vjp(1.0, 1.0)


def test_the_central_difference_reference_is_independent_of_the_package():
    # the same check as above, with the tests' own central differences instead of gradcheck
    z = np.array([0.3, -1.2, 2.0, 0.0])
    g = np.array([0.5, -0.25, 1.0, 2.0])
    keep = np.array([True, False, True, True])
    with np.errstate(invalid="ignore"):  # -inf - -inf in the masked rows, dropped below
        jacobian = central_jacobian(lambda t: masked_log_softmax(t[None], keep[None])[0], z)
    expected = np.where(keep, g, 0.0) @ np.where(keep[:, None], jacobian, 0.0)
    got = log_softmax_vjp(masked_log_softmax(z[None], keep[None])[0], g, where=keep)
    assert_allclose(got, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("backend", ["numpy", "auto"])
def test_logsumexp_vjp_of_a_large_array_takes_the_fast_softmax_and_still_zeroes_empty_rows(
    backend,
):
    # 300 x 128 float64 is above backend.MIN_ELEMENTS: core's blocked or compiled softmax runs
    from softmax_course import set_backend

    rng = np.random.default_rng(11)
    z = rng.normal(size=(300, 128)) * 4
    z[::7] = -np.inf
    g = rng.normal(size=300)
    expected = g[:, None] * scipy.special.softmax(np.where(z > -np.inf, z, 0.0), axis=-1)
    expected[::7] = 0.0
    with set_backend(backend):
        got = call_quietly(logsumexp_vjp, z, g)
    assert_allclose(got, expected, rtol=1e-13, atol=1e-300)


@given(logits_axis_and_vector(elements=masked_floats))
def test_log_softmax_vjp_of_the_logits_equals_that_of_the_output(case):
    # softmax(log_softmax(z)) = softmax(z): either input gives the gradient at z
    z, axis, g = case
    empty = np.all(z == -np.inf, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):  # scipy's NaN for an all -inf row
        log_probs = scipy.special.log_softmax(z, axis=axis)
    from_logits = call_quietly(log_softmax_vjp, z, g, axis=axis)
    kept = np.broadcast_to(~empty, z.shape)
    assert_allclose(
        from_logits[kept], log_softmax_vjp(log_probs, g, axis=axis)[kept], rtol=1e-9, atol=1e-12
    )
    assert_array_equal(from_logits[~kept], 0.0)  # all -inf logits: zero, not NaN


def test_rows_without_probability_get_zero_whichever_value_softmax_gives_them(monkeypatch):
    # scipy's softmax gives NaN for an all -inf row; a "safe" softmax gives 0: either way, 0
    import softmax_course.derivatives as derivatives

    def safe_softmax(x, axis):
        with np.errstate(invalid="ignore"):
            s = scipy.special.softmax(x, axis=axis)
        return np.where(np.isnan(s) & np.all(x == -np.inf, axis=axis, keepdims=True), 0.0, s)

    monkeypatch.setattr(derivatives, "softmax", safe_softmax)
    z = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
    g = np.array([[1.0, 2.0], [1.0, 0.0]])
    assert_array_equal(log_softmax_vjp(z, g)[0], 0.0)
    assert_array_equal(logsumexp_vjp(z, np.array([np.inf, 1.0]))[0], 0.0)
    assert_allclose(log_softmax_vjp(z, g)[1], g[1] - scipy.special.softmax(z[1]), rtol=1e-15)
