"""The cache-blocked kernels of softmax_course._fast agree with the plain formulation.

The reference below is the three-line textbook version, written here and
independent of the package; scipy.special is the second reference. Small
monkeypatched block sizes make tiny arrays span many blocks (and make rows
"wide", i.e. longer than a block), so every branch of the kernels runs in
milliseconds. No test here measures time.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import _fast, log_softmax, logsumexp, softmax

# Relative tolerances of a few units in the last place.
RTOL = {np.dtype(np.float64): 1e-14, np.dtype(np.float32): 4e-6}


def reference_softmax(x, axis=-1, temperature=1.0):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp((x - m) / temperature)
    return e / np.sum(e, axis=axis, keepdims=True)


def reference_log_softmax(x, axis=-1, temperature=1.0):
    shifted = (x - np.max(x, axis=axis, keepdims=True)) / temperature
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def reference_logsumexp(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)), axis=axis)


def check_all(x, axis=-1, temperature=1.0):
    """Compare the three functions on x with the references (log values on an absolute scale)."""
    rtol = RTOL.get(x.dtype, 1e-14)
    scale = 1.0 + np.max(np.abs(x)) / temperature  # log-space errors scale with |x - m| / T
    assert_allclose(
        softmax(x, axis=axis, temperature=temperature),
        reference_softmax(x, axis, temperature),
        rtol=rtol,
        atol=1e-300 if x.dtype == np.float64 else 1e-38,
    )
    assert_allclose(
        log_softmax(x, axis=axis, temperature=temperature),
        reference_log_softmax(x, axis, temperature),
        rtol=rtol,
        atol=rtol * scale,
    )
    assert_allclose(
        logsumexp(x, axis=axis), reference_logsumexp(x, axis), rtol=rtol, atol=rtol * scale
    )


@pytest.fixture(params=[None, 64, 256, 4096], ids=["default-block", "64B", "256B", "4KiB"])
def block_bytes(request, monkeypatch):
    """Run a test with the default block size and with blocks small enough to split rows."""
    if request.param is not None:
        monkeypatch.setattr(_fast, "BLOCK_BYTES", request.param)
    return request.param


SHAPES = [(1,), (7,), (300,), (5, 3), (33, 16), (33, 17), (20, 50), (3, 4, 9), (2, 3, 4, 130)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_blocked_kernels_match_the_reference(shape, dtype, block_bytes):
    x = (np.random.default_rng(sum(shape)).normal(size=shape) * 8).astype(dtype)
    check_all(x)
    check_all(x, temperature=0.7)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_blocked_kernels_match_scipy(shape, block_bytes):
    x = np.random.default_rng(len(shape)).normal(size=shape) * 30
    assert_allclose(softmax(x), scipy.special.softmax(x, axis=-1), rtol=1e-13, atol=1e-300)
    assert_allclose(log_softmax(x), scipy.special.log_softmax(x, axis=-1), rtol=1e-13, atol=1e-12)
    assert_allclose(logsumexp(x), scipy.special.logsumexp(x, axis=-1), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
@pytest.mark.parametrize("axis", [0, 1, -1, (0, 2), None])
def test_every_axis_and_dtype_matches_the_reference(axis, dtype, block_bytes):
    x = (np.random.default_rng(7).normal(size=(6, 5, 20)) * 4).astype(dtype)
    work = x.astype(np.float64)  # float16 is computed in float32; compare in float64
    rtol = {np.float16: 1e-3, np.float32: 4e-6}.get(dtype, 1e-14)
    assert softmax(x, axis=axis).dtype == dtype
    assert_allclose(softmax(x, axis=axis), reference_softmax(work, axis), rtol=rtol, atol=1e-7)
    assert_allclose(
        log_softmax(x, axis=axis), reference_log_softmax(work, axis), rtol=rtol, atol=rtol * 40
    )
    assert_allclose(logsumexp(x, axis=axis), reference_logsumexp(work, axis), rtol=rtol)


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=40),
        elements=st.floats(-700, 700),
    ),
    st.sampled_from([16, 64, 200, 1 << 20]),
)
def test_random_shapes_and_block_sizes(x, block):
    saved = _fast.BLOCK_BYTES
    _fast.BLOCK_BYTES = block  # not a fixture: hypothesis reuses one function call
    try:
        check_all(x)
    finally:
        _fast.BLOCK_BYTES = saved


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[::2],
        lambda a: a[:, ::3],
        lambda a: a[::-1, ::-2],
        lambda a: a.T,
        lambda a: np.moveaxis(a.reshape(6, 5, 8), 0, 1),
        lambda a: a.reshape(6, 5, 8)[:, 1:4, ::2],
    ],
    ids=["rows", "columns", "reversed", "transposed", "moved-3d", "sliced-3d"],
)
def test_non_contiguous_and_read_only_inputs(view, block_bytes):
    base = np.random.default_rng(11).normal(size=(30, 8)) * 5
    x = view(base)
    original = x.copy()
    base.setflags(write=False)  # any write to x would raise
    check_all(x)
    assert_array_equal(x, original)


@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_out_aliasing_the_input(function, block_bytes):
    x = np.random.default_rng(12).normal(size=(40, 30)) * 6
    expected = function(x.copy())
    same = x.copy()
    assert function(same, out=same) is same
    assert_allclose(same, expected, rtol=1e-15)
    view = x.copy()
    assert_allclose(function(view, out=view[:]), expected, rtol=1e-15)  # same memory, new object


@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_out_partially_overlapping_the_input(function, block_bytes):
    buffer = np.random.default_rng(13).normal(size=(25, 31)) * 6
    x, out = buffer[:, :30], buffer[:, 1:]  # out starts one element later in memory
    expected = function(x.copy())
    function(x, out=out)
    assert_allclose(out, expected, rtol=1e-15)


@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_non_contiguous_out(function, block_bytes):
    x = np.random.default_rng(14).normal(size=(4, 6, 10))
    out = np.zeros((10, 6, 4)).T  # Fortran-ordered: no (N, K) row view exists
    function(x, out=out)
    assert_allclose(out, function(x), rtol=1e-15)
    strided = np.zeros((8, 6, 20))[::2, :, ::2]
    function(x, out=strided)
    assert_allclose(strided, function(x), rtol=1e-15)


def test_special_values_in_every_block(block_bytes):
    rows = [
        [np.inf, 1.0, 2.0],
        [-np.inf, -np.inf, -np.inf],
        [np.inf, -np.inf, 0.0],
        [np.nan, 1.0, 0.0],
        [0.0, -np.inf, 1.0],
        [1e308, -1e308, 3.0],
        [-1e308, -1e308, -1e308],
    ]
    x = np.array(rows * 5)
    with np.errstate(all="ignore"):
        assert_allclose(softmax(x), scipy.special.softmax(x, axis=-1), equal_nan=True)
        assert_allclose(logsumexp(x), scipy.special.logsumexp(x, axis=-1), equal_nan=True)
        assert_allclose(log_softmax(x), log_softmax(x.T, axis=0).T, equal_nan=True)
        # The same rows as one long vector each (the "wide" path for small blocks).
        for row in rows:
            wide = np.repeat(row, 40)
            assert_allclose(softmax(wide), scipy.special.softmax(wide), equal_nan=True)
            assert_allclose(logsumexp(wide), scipy.special.logsumexp(wide), equal_nan=True)


def test_finite_extremes_give_no_warning_in_blocks(block_bytes):
    x = np.array([[1e308, -1e308, 0.0, 5.0]] * 50)
    s = softmax(x)  # filterwarnings=error turns any RuntimeWarning into a failure
    assert_array_equal(s[:, 0], 1.0)
    assert not np.any(np.isnan(log_softmax(x)))  # -1e308 - 1e308 is -inf, as in the reference
    assert np.all(np.isfinite(logsumexp(x)))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape", [(11,), (4, 11), (2, 3, 11)], ids=str)
def test_logsumexp_shapes(shape, keepdims, block_bytes):
    x = np.random.default_rng(15).normal(size=shape)
    result = logsumexp(x, keepdims=keepdims)
    expected = scipy.special.logsumexp(x, axis=-1, keepdims=keepdims)
    assert result.shape == np.shape(expected)
    assert_allclose(result, expected, rtol=1e-14)


def test_no_n_by_k_temporary():
    """With out= given, scratch memory is a few blocks, not a copy of the input."""
    x = np.random.default_rng(16).normal(size=(4000, 1000))  # 32 MB
    out = np.empty_like(x)
    # One call first: a compiled backend's first call loads or compiles its kernel, which
    # allocates memory once per process, not per call.
    for function in (softmax, log_softmax, logsumexp):
        function(x)
    for function in (softmax, log_softmax):
        tracemalloc.start()
        function(x, out=out)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak <= 0.25 * x.nbytes + 2 * _fast.BLOCK_BYTES, (function.__name__, peak)
    tracemalloc.start()
    logsumexp(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak <= 2 * _fast.BLOCK_BYTES + 4 * x.shape[0] * 8


# --- the VJP kernel offered to softmax_course.derivatives ---------------------------------


def reference_vjp(s, g):
    return s * (g - np.sum(s * g, axis=-1, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(5,), (33, 16), (33, 17), (3, 4, 50)], ids=str)
def test_vjp_kernel_matches_the_reference(shape, dtype, block_bytes):
    rng = np.random.default_rng(17)
    s = reference_softmax(rng.normal(size=shape)).astype(dtype)
    g = rng.normal(size=shape).astype(dtype)
    expected = reference_vjp(s.astype(np.float64), g.astype(np.float64))
    atol = 1e-15 if dtype == np.float64 else 1e-6
    assert_allclose(_fast.vjp(s, g), expected, rtol=RTOL[np.dtype(dtype)] * 10, atol=atol)
    for alias in ("s", "g"):
        s_copy, g_copy = s.copy(), g.copy()
        out = s_copy if alias == "s" else g_copy
        assert _fast.vjp(s_copy, g_copy, out=out) is out
        assert_allclose(out, expected, rtol=RTOL[np.dtype(dtype)] * 10, atol=atol)


def test_vjp_kernel_with_non_contiguous_arrays(block_bytes):
    rng = np.random.default_rng(18)
    s = reference_softmax(rng.normal(size=(6, 5, 8)))[:, ::2]
    g = rng.normal(size=(6, 5, 8))[:, ::2]
    out = np.zeros((6, 3, 16))[:, :, ::2]
    assert_allclose(_fast.vjp(s, g, out=out), reference_vjp(s, g), rtol=1e-14, atol=1e-16)
    assert _fast.vjp(s[:, :0], g[:, :0]).shape == (6, 0, 8)


def test_vjp_kernel_with_out_partially_overlapping_an_input(block_bytes):
    rng = np.random.default_rng(19)
    buffer = rng.normal(size=(20, 13))
    s = reference_softmax(buffer[:, :12])
    buffer[:, :12] = s
    s_view, out = buffer[:, :12], buffer[:, 1:]  # out starts one element after s
    g = rng.normal(size=(20, 12))
    expected = reference_vjp(s.copy(), g)
    _fast.vjp(s_view, g, out=out)
    assert_allclose(out, expected, rtol=1e-14, atol=1e-16)
