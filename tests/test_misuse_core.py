"""Misuse of the forward functions and derivatives: ndarray subclasses as input.

Input is converted with ``np.asarray`` semantics, as scipy.special does:
``np.matrix`` becomes a plain 2-D array (so does a masked array with nothing
masked); a masked array with masked entries is refused, because the mask
would be silently ignored. Each path is exercised: the row-wise fast path
(last axis, float64) and the general one (axis 0, axis None, float16).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from numpy.testing import assert_allclose

from softmax_course import log_softmax, logsumexp, softmax, softmax_jacobian, softmax_vjp

FORWARD = {
    softmax: scipy.special.softmax,
    log_softmax: scipy.special.log_softmax,
    logsumexp: scipy.special.logsumexp,
}
CASES = [(-1, np.float64), (0, np.float64), (None, np.float64), (-1, np.float16)]
Z = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.5]])

matrix_warning = pytest.mark.filterwarnings(
    "ignore:the matrix subclass is not the recommended:PendingDeprecationWarning"
)


def plain_result_type(function, axis, dtype) -> type:
    """An ndarray, or for a full reduction a numpy scalar, as numpy's own reductions return."""
    return np.dtype(dtype).type if function is logsumexp and axis is None else np.ndarray


def tolerance(dtype) -> dict:
    return {"rtol": 1e-3} if dtype == np.float16 else {"rtol": 1e-13, "atol": 1e-15}


@matrix_warning
@pytest.mark.parametrize(("axis", "dtype"), CASES)
@pytest.mark.parametrize("function", FORWARD)
def test_matrix_input_is_read_as_a_plain_2d_array(function, axis, dtype):
    x = np.matrix(Z.astype(dtype))
    result = function(x, axis=axis)
    assert type(result) is plain_result_type(function, axis, dtype)
    assert result.dtype == dtype
    expected = FORWARD[function](Z.astype(np.float64), axis=axis)
    assert_allclose(result.astype(np.float64), expected, **tolerance(dtype))


@pytest.mark.parametrize(("axis", "dtype"), CASES)
@pytest.mark.parametrize("function", FORWARD)
def test_masked_array_with_nothing_masked_is_read_as_its_data(function, axis, dtype):
    x = np.ma.masked_array(Z.astype(dtype), mask=False)
    result = function(x, axis=axis)
    assert type(result) is plain_result_type(function, axis, dtype)
    expected = FORWARD[function](Z.astype(np.float64), axis=axis)
    assert_allclose(result.astype(np.float64), expected, **tolerance(dtype))


@pytest.mark.parametrize(("axis", "dtype"), CASES)
@pytest.mark.parametrize("function", FORWARD)
def test_masked_entries_are_refused_with_the_two_ways_out(function, axis, dtype):
    x = np.ma.masked_array(Z.astype(dtype), mask=[[0, 0, 1], [0, 0, 0]])
    with pytest.raises(TypeError, match=r"^x is a masked array with 1 masked entry.*filled"):
        function(x, axis=axis)


def test_the_suggested_fill_gives_masked_classes_probability_zero():
    x = np.ma.masked_array(Z, mask=[[0, 0, 1], [0, 0, 0]])
    s = softmax(x.filled(-np.inf))
    assert s[0, 2] == 0
    assert_allclose(s[0, :2], scipy.special.softmax(Z[0, :2]), rtol=1e-15)


@matrix_warning
def test_derivatives_accept_matrix_and_refuse_masked_entries():
    s = scipy.special.softmax(Z, axis=-1)
    g = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    expected = s * (g - np.sum(s * g, axis=-1, keepdims=True))
    result = softmax_vjp(np.matrix(s), np.matrix(g))
    assert type(result) is np.ndarray
    assert_allclose(result, expected, rtol=1e-13, atol=1e-16)
    jacobian = softmax_jacobian(np.matrix(s))
    assert jacobian.shape == (2, 3, 3)
    assert_allclose(np.einsum("nij,ni->nj", jacobian, g), expected, rtol=1e-13, atol=1e-16)
    with pytest.raises(TypeError, match=r"^g is a masked array with 2 masked entries"):
        softmax_vjp(s, np.ma.masked_array(g, mask=[[1, 1, 0], [0, 0, 0]]))


@pytest.mark.parametrize("function", FORWARD)
def test_masked_input_is_not_modified(function):
    x = np.ma.masked_array(Z.copy(), mask=False)
    function(x, axis=0)
    assert not np.ma.getmaskarray(x).any()
    assert np.array_equal(x.data, Z)


# --- issue 23.13: out= of any layout gives the bits of the result without out= ----------------


def _layouts(shape, dtype):
    """Output buffers of ``shape`` in other layouts: Fortran order, strided views."""
    yield "fortran", np.empty(shape, dtype=dtype, order="F")
    yield "every other column", np.empty((shape[0], 2 * shape[1]), dtype=dtype)[:, ::2]
    yield "every other row", np.empty((2 * shape[0], shape[1]), dtype=dtype)[::2]
    yield "reversed rows", np.empty(shape, dtype=dtype)[::-1]


@pytest.mark.parametrize("function", [softmax, log_softmax])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [7, 20_000])
def test_out_of_any_layout_is_bitwise_the_result_without_out(function, dtype, k):
    x = np.random.default_rng(k).normal(size=(3, k)).astype(dtype) * 3
    expected = function(x)
    for name, out in _layouts(x.shape, dtype):
        returned = function(x, out=out)
        assert returned is out, name
        np.testing.assert_array_equal(out, expected, err_msg=name)


@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_out_aliasing_a_strided_input_is_bitwise_the_result_without_out(function):
    base = np.random.default_rng(3).normal(size=(4, 2000)).astype(np.float32)
    x = base[:, ::2]  # a strided input used as its own output
    expected = function(x.copy())
    function(x, out=x)
    np.testing.assert_array_equal(x, expected)
