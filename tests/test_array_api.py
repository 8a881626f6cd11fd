"""Array types, bfloat16 and ``dtype=`` of softmax, log_softmax and logsumexp.

References are scipy.special on the numpy equivalent of the input (and ``math`` for the
digits of a dominant term), never the package's own numpy path.
"""

from __future__ import annotations

import inspect
import math
import sys

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from softmax_course import log_softmax, logsumexp, softmax
from tests.strategies import logits, logits_and_axis, moderate_floats

xp = pytest.importorskip("array_api_strict")
ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)

FORWARD = [softmax, log_softmax, logsumexp]
#: Each function with scipy.special's counterpart, for values.
REFERENCES = [
    (softmax, scipy.special.softmax),
    (log_softmax, scipy.special.log_softmax),
    (logsumexp, scipy.special.logsumexp),
]
#: (dtype, relative tolerance against float64 scipy on the values cast to dtype)
FLOAT_DTYPES = [
    (np.dtype(np.float16), 2e-3),
    (BF16, 1.6e-2),
    (np.dtype(np.float32), 2e-6),
    (np.dtype(np.float64), 1e-12),
]


def to_numpy(array: object) -> np.ndarray:
    """A non-numpy CPU array as numpy, through DLPack (array-api-strict has no __array__)."""
    return np.from_dlpack(array)


# --- dtype= ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("function", "reference"), REFERENCES)
@pytest.mark.parametrize(("dtype", "rtol"), FLOAT_DTYPES, ids=lambda d: str(d))
@given(x=logits(max_dims=2))
@settings(max_examples=25)
def test_dtype_casts_first_and_returns_that_dtype(function, reference, dtype, rtol, x):
    before = x.copy()
    result = np.asarray(function(x, axis=-1, dtype=dtype))
    assert result.dtype == dtype
    expected = reference(x.astype(dtype).astype(np.float64), axis=-1)
    atol = rtol if function is softmax else rtol * max(1.0, float(np.max(np.abs(x))))
    assert_allclose(result.astype(np.float64), expected, rtol=rtol, atol=atol)
    assert_array_equal(x, before)


@pytest.mark.parametrize("function", FORWARD)
def test_dtype_accepts_names_types_and_integer_input(function):
    for dtype in ("float32", np.float32, np.dtype(np.float32)):
        assert np.asarray(function([1, 2, 3], dtype=dtype)).dtype == np.float32
    assert np.asarray(function([1.0, 2.0], dtype="bfloat16")).dtype == BF16
    assert np.asarray(function(np.array([1.0, 2.0]), dtype=np.longdouble)).dtype == np.longdouble


@pytest.mark.parametrize("function", FORWARD)
@pytest.mark.parametrize("dtype", [np.int32, "int64", bool, np.complex128, "U3", object])
def test_dtype_must_be_floating(function, dtype):
    received = str(np.dtype(dtype))
    with pytest.raises(TypeError, match=rf"^dtype must be a floating dtype.*received {received}"):
        function(np.array([1.0, 2.0]), dtype=dtype)


@pytest.mark.parametrize("function", FORWARD)
def test_dtype_that_is_not_a_dtype(function):
    with pytest.raises(TypeError, match=r"^dtype must be a floating dtype.*received 'spam'"):
        function([1.0, 2.0], dtype="spam")


def test_dtype_keeps_x_checks():
    with pytest.raises(TypeError, match="^x must be real"):
        softmax(np.array([1j, 2.0]), dtype=np.float64)


def test_signature_shows_dtype():
    for function in FORWARD:
        parameter = inspect.signature(function).parameters["dtype"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is None


def test_out_with_dtype_has_that_dtype():
    x = np.array([[1.0, 2.0, 3.0]])
    out = np.empty(x.shape, dtype=np.float32)
    assert softmax(x, dtype=np.float32, out=out) is out
    assert_allclose(out, scipy.special.softmax(x.astype(np.float32), axis=-1), rtol=1e-6)
    with pytest.raises(TypeError, match="^out has dtype float64; expected float32"):
        softmax(x, dtype=np.float32, out=np.empty(x.shape))


# --- bfloat16 arrays -------------------------------------------------------------------------


@pytest.mark.parametrize(("function", "reference"), REFERENCES)
@given(case=logits_and_axis(dtype=np.float32))
@settings(max_examples=40)
def test_bfloat16_in_bfloat16_out(function, reference, case):
    x32, axis = case
    x = x32.astype(BF16)
    before = x.copy()
    result = np.asarray(function(x, axis=axis))
    assert result.dtype == BF16
    # bfloat16 keeps 8 significant bits: one rounding of the float64 value is 2**-9 relative
    expected = reference(x.astype(np.float64), axis=axis)
    scale = 1.0 if function is softmax else max(1.0, float(np.max(np.abs(x32))))
    assert_allclose(result.astype(np.float64), expected, rtol=2**-8, atol=2**-8 * scale)
    assert_array_equal(x.view(np.uint16), before.view(np.uint16))


def test_bfloat16_is_accepted_where_float16_is():
    from softmax_course import cross_entropy, softmax_vjp

    s = softmax(np.array([[1.0, 2.0, 0.5]], dtype=BF16))
    grad = softmax_vjp(s, np.array([[1.0, 0.0, 0.0]], dtype=BF16))
    assert grad.dtype == BF16
    s64 = s.astype(np.float64)
    assert_allclose(grad.astype(np.float64), s64 * ([[1.0, 0, 0]] - s64[:, :1]), atol=2**-8)
    loss = cross_entropy(s, np.array([1]))
    assert_allclose(float(loss), -math.log(float(s64[0, 1])), rtol=2**-7)


# --- array-api-strict: the same type out, computed with its functions -----------------------


@pytest.mark.parametrize(("function", "reference"), REFERENCES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(case=logits_and_axis())
@settings(max_examples=30)
def test_strict_arrays_come_back_strict(function, reference, dtype, case):
    x, axis = case
    x = x.astype(dtype)
    array = xp.asarray(x)
    result = function(array, axis=axis)
    assert type(result) is type(array)
    assert result.dtype == getattr(xp, dtype)
    rtol = 1e-12 if dtype == "float64" else 2e-6
    expected = reference(x.astype(np.float64), axis=axis)
    assert_allclose(to_numpy(result), expected, rtol=rtol, atol=rtol)
    assert_array_equal(to_numpy(array), x)  # not mutated


@pytest.mark.parametrize(("function", "reference"), REFERENCES)
@given(case=logits_and_axis(max_dims=3), keepdims=st.booleans(), data=st.data())
@settings(max_examples=30)
def test_strict_axes_tuples_and_keepdims(function, reference, case, keepdims, data):
    x, _ = case
    axes = tuple(sorted(data.draw(st.sets(st.integers(0, x.ndim - 1), min_size=1))))
    options = {"keepdims": keepdims} if function is logsumexp else {}
    result = function(xp.asarray(x), axis=axes, **options)
    expected = reference(x, axis=axes, **options)
    assert_allclose(to_numpy(result), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("function", "reference"), [REFERENCES[0], REFERENCES[2]])
def test_strict_special_values_follow_scipy(function, reference):
    inf = np.inf
    x = np.array([[0.0, -inf, 1.0], [-inf, -inf, -inf], [inf, 0.0, 1.0], [np.nan, 0.0, 1.0]])
    with np.errstate(invalid="ignore"):
        expected = reference(x, axis=-1)
    assert_array_equal(to_numpy(function(xp.asarray(x), axis=-1)), expected)


def test_strict_log_softmax_special_values():
    inf = np.inf
    x = np.array([[0.0, -inf], [-inf, -inf], [inf, 0.0], [np.nan, 0.0]])
    result = to_numpy(log_softmax(xp.asarray(x)))
    assert_array_equal(result[0], [0.0, -inf])
    assert np.isnan(result[1:]).all()  # NaN exactly where softmax gives NaN


def test_strict_keeps_the_digits_of_a_dominant_term():
    x = xp.asarray([0.0, -40.0])
    assert float(logsumexp(x)) == math.log1p(math.exp(-40.0))
    assert float(log_softmax(x)[0]) == -math.log1p(math.exp(-40.0))


def test_strict_temperature_and_integers():
    result = softmax(xp.asarray([1, 2, 3]), temperature=2.0)
    assert result.dtype == xp.float64  # the namespace's default floating dtype
    assert_allclose(to_numpy(result), scipy.special.softmax(np.array([1, 2, 3]) / 2.0))


def test_strict_empty_class_axis():
    empty = xp.zeros((2, 0))
    assert_array_equal(to_numpy(logsumexp(empty)), scipy.special.logsumexp(np.zeros((2, 0)), -1))
    assert logsumexp(empty, keepdims=True).shape == (2, 1)
    assert softmax(empty).shape == (2, 0)


@pytest.mark.parametrize("function", FORWARD)
def test_strict_dtype_keyword(function):
    for dtype in (xp.float32, np.float32, "float32"):
        assert function(xp.asarray([1.0, 2.0]), dtype=dtype).dtype == xp.float32
    with pytest.raises(TypeError, match=r"^dtype must be a floating dtype.*received .*int32"):
        function(xp.asarray([1.0, 2.0]), dtype=xp.int32)
    with pytest.raises(TypeError, match=r"received bfloat16, which array_api_strict does not"):
        function(xp.asarray([1.0, 2.0]), dtype="bfloat16")


@pytest.mark.parametrize("function", FORWARD)
def test_strict_bad_input(function):
    with pytest.raises(TypeError, match="^x must be real; received complex dtype .*complex128"):
        function(xp.asarray([1j, 2.0]))
    if function is logsumexp:
        with pytest.raises(TypeError, match=r"^logsumexp\(\) got an unexpected keyword .*'out'"):
            function(xp.asarray([1.0, 2.0]), out=np.empty(2))
    else:
        with pytest.raises(TypeError, match="^out= is supported for numpy arrays only"):
            function(xp.asarray([1.0, 2.0]), out=np.empty(2))
    with pytest.raises(ValueError, match=r"^axis=2 is out of range"):
        function(xp.asarray([[1.0, 2.0]]), axis=2)
    with pytest.raises(ValueError, match="^workers must"):
        function(xp.asarray([1.0, 2.0]), workers=0)


def test_strict_without_array_api_compat(monkeypatch):
    monkeypatch.setitem(sys.modules, "array_api_compat", None)  # as if not installed
    with pytest.raises(ImportError, match=r"softmax-course\[arrayapi\]"):
        softmax(xp.asarray([1.0, 2.0]))
    assert_allclose(softmax([0.0, 0.0]), [0.5, 0.5])  # numpy input never needs it


# --- dask: lazy, block by block --------------------------------------------------------------

da = pytest.importorskip("dask.array")


class CountTasks:
    """A dask callback that counts the tasks the local schedulers run."""

    def __init__(self) -> None:
        from dask.callbacks import Callback

        self.count = 0

        def pretask(key, dsk, state):
            self.count += 1

        self.callback = Callback(pretask=pretask)


@pytest.mark.parametrize(("function", "reference"), REFERENCES)
@given(x=logits(min_dims=2, max_dims=3, max_side=5), keepdims=st.booleans())
@settings(max_examples=20, deadline=None)
def test_dask_is_lazy_and_matches_scipy(function, reference, x, keepdims):
    lazy = da.from_array(x, chunks=(2,) * (x.ndim - 1) + (-1,))
    counter = CountTasks()
    options = {"keepdims": keepdims} if function is logsumexp else {}
    with counter.callback:
        result = function(lazy, axis=-1, **options)
        assert isinstance(result, da.Array)
        assert counter.count == 0  # nothing ran: the graph only grew
        computed = result.compute(scheduler="sync")
    assert counter.count > 0
    assert_allclose(computed, reference(x, axis=-1, **options), rtol=1e-12, atol=1e-12)
    assert result.dtype == computed.dtype == x.dtype


def test_dask_several_class_axes_and_dtype():
    x = np.random.default_rng(0).normal(size=(6, 3, 4))
    lazy = da.from_array(x, chunks=(2, -1, -1))
    result = log_softmax(lazy, axis=(1, 2), dtype=np.float32)
    assert result.dtype == np.float32
    assert_allclose(result.compute(), scipy.special.log_softmax(x, axis=(1, 2)), rtol=1e-5)


def test_dask_split_class_axis_is_refused():
    lazy = da.from_array(np.zeros((4, 6)), chunks=(2, 3))
    with pytest.raises(ValueError, match=r"class axis 1 .*x\.rechunk\(\{1: -1\}\)"):
        softmax(lazy)
    with pytest.raises(ValueError, match=r"class axis 0 .*x\.rechunk\(\{0: -1, 1: -1\}\)"):
        logsumexp(lazy, axis=None)
    assert_allclose(softmax(lazy.rechunk({1: -1})).compute(), np.full((4, 6), 1 / 6))


def test_dask_bad_dtype_is_caught_before_compute():
    with pytest.raises(TypeError, match="^x must be real; received complex dtype"):
        softmax(da.from_array(np.array([[1j, 2.0]])))
    with pytest.raises(TypeError, match=r"^dtype must be a floating dtype.*received int64"):
        softmax(da.from_array(np.array([[1.0, 2.0]])), dtype=np.int64)


# --- torch (when installed) ------------------------------------------------------------------


@pytest.mark.parametrize(("function", "reference"), REFERENCES)
@pytest.mark.parametrize("name", ["float32", "float64", "bfloat16", "float16"])
def test_torch_tensors_come_back_as_tensors(function, reference, name):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(scale=5.0, size=(4, 7))
    tensor = torch.asarray(x).to(getattr(torch, name))
    before = tensor.clone()
    result = function(tensor, axis=-1)
    assert isinstance(result, torch.Tensor)
    assert result.dtype == tensor.dtype and result.device == tensor.device
    rtol = {"float64": 1e-12, "float32": 2e-6, "float16": 2e-3, "bfloat16": 1.6e-2}[name]
    expected = reference(tensor.to(torch.float64).numpy(), axis=-1)
    scale = 1.0 if function is softmax else 20.0
    assert_allclose(result.to(torch.float64).numpy(), expected, rtol=rtol, atol=rtol * scale)
    assert torch.equal(tensor, before)


def test_torch_dtype_keyword_and_integers():
    torch = pytest.importorskip("torch")
    tensor = torch.tensor([[1, 2, 3]])
    assert softmax(tensor).dtype == torch.get_default_dtype()
    assert softmax(tensor, dtype=torch.float64).dtype == torch.float64
    assert logsumexp(tensor, dtype="bfloat16").dtype == torch.bfloat16


# --- softmax_vjp -----------------------------------------------------------------------------


def vjp_reference(s: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    """J^T g with J = diag(s) - s s^T built explicitly, slice by slice (float64)."""
    s_last, g_last = np.moveaxis(s, axis, -1), np.moveaxis(g, axis, -1)
    jacobian = np.einsum("...i,ij->...ij", s_last, np.eye(s_last.shape[-1]))
    jacobian -= s_last[..., :, None] * s_last[..., None, :]
    return np.moveaxis(np.einsum("...ij,...i->...j", jacobian, g_last), -1, axis)


@given(case=logits_and_axis(), data=st.data())
@settings(max_examples=30, deadline=None)
def test_vjp_keeps_the_array_type(case, data):
    from softmax_course import softmax_vjp

    z, axis = case
    s = scipy.special.softmax(z, axis=axis)
    g = data.draw(hnp.arrays(np.float64, s.shape, elements=moderate_floats))
    expected = vjp_reference(s, g, axis)
    result = softmax_vjp(xp.asarray(s), xp.asarray(g), axis=axis)
    assert type(result) is type(xp.asarray(s)) and result.dtype == xp.float64
    assert_allclose(to_numpy(result), expected, rtol=1e-10, atol=1e-10)
    chunks = tuple(2 if a != axis % z.ndim else -1 for a in range(z.ndim))
    lazy = softmax_vjp(da.from_array(s, chunks=chunks), da.from_array(g), axis=axis)
    assert isinstance(lazy, da.Array)
    assert_allclose(lazy.compute(), expected, rtol=1e-10, atol=1e-10)


def test_vjp_bad_input():
    from softmax_course import softmax_vjp

    s = xp.asarray([[0.5, 0.5]])
    with pytest.raises(ValueError, match=r"^s and g must have the same shape; received s of"):
        softmax_vjp(s, xp.asarray([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="^out= is supported for numpy arrays only"):
        softmax_vjp(s, s, out=np.empty((1, 2)))
    with pytest.raises(ValueError, match=r"split along the class axis 1 .*s\.rechunk\(\{1: -1\}\)"):
        softmax_vjp(da.zeros((2, 4), chunks=(1, 2)), da.zeros((2, 4)))


def test_vjp_torch_keeps_the_device_and_dtype():
    torch = pytest.importorskip("torch")
    from softmax_course import softmax_vjp

    s = torch.softmax(torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.bfloat16), dim=-1)
    g = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.bfloat16)
    result = softmax_vjp(s, g)
    assert result.dtype == torch.bfloat16 and result.device == s.device
    expected = vjp_reference(s.double().numpy(), g.double().numpy(), -1)
    assert_allclose(result.double().numpy(), expected, atol=2**-8)


# --- softmax_jvp, log_softmax_vjp, logsumexp_vjp ----------------------------------------------


def jacobian_rows(z: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """scipy's softmax of ``z`` with the class axis last, and that axis for moving back."""
    return np.moveaxis(scipy.special.softmax(z, axis=axis), axis, -1), axis % z.ndim


def log_softmax_vjp_reference(z: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    """J^T g with J = I - 1 s^T built explicitly, slice by slice (float64)."""
    s, axis = jacobian_rows(z, axis)
    k = s.shape[-1]
    jacobian = np.eye(k) - s[..., None, :]  # J[i, j] = delta_ij - s_j
    return np.moveaxis(np.einsum("...ij,...i->...j", jacobian, np.moveaxis(g, axis, -1)), -1, axis)


GRADS = ["softmax_jvp", "log_softmax_vjp", "logsumexp_vjp"]


def grad_case(name: str, z: np.ndarray, axis: int, g: np.ndarray):
    """(function, first argument, second argument, reference) for one of GRADS."""
    import softmax_course

    function = getattr(softmax_course, name)
    s = scipy.special.softmax(z, axis=axis)
    if name == "softmax_jvp":
        return function, s, g, vjp_reference(s, g, axis)  # J is symmetric: J v = J^T v
    if name == "log_softmax_vjp":
        log_s = scipy.special.log_softmax(z, axis=axis)
        return function, log_s, g, log_softmax_vjp_reference(z, g, axis)
    upstream = np.sum(g, axis=axis)  # one number per sample
    return function, z, upstream, s * np.expand_dims(upstream, axis)


@pytest.mark.parametrize("name", GRADS)
@given(case=logits_and_axis(), data=st.data())
@settings(max_examples=25, deadline=None)
def test_grads_keep_the_array_type(name, case, data):
    z, axis = case
    g = data.draw(hnp.arrays(np.float64, z.shape, elements=moderate_floats))
    function, first, second, expected = grad_case(name, z, axis, g)
    a, b = xp.asarray(first), xp.asarray(second)
    result = function(a, b, axis=axis)
    assert type(result) is type(a) and result.dtype == xp.float64
    assert_allclose(to_numpy(result), expected, rtol=1e-10, atol=1e-9)
    assert_array_equal(to_numpy(a), first)  # not mutated
    assert_array_equal(to_numpy(b), second)
    chunks = tuple(2 if i != axis % z.ndim else -1 for i in range(z.ndim))
    lazy = function(da.from_array(first, chunks=chunks), da.from_array(second), axis=axis)
    assert isinstance(lazy, da.Array)
    assert_allclose(lazy.compute(), expected, rtol=1e-10, atol=1e-9)


def test_grads_float32_and_integers():
    from softmax_course import log_softmax_vjp, logsumexp_vjp, softmax_jvp

    z = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], dtype=np.float32)
    s = scipy.special.softmax(z.astype(np.float64), axis=-1)
    g = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], dtype=np.float32)
    result = log_softmax_vjp(xp.asarray(np.log(s).astype(np.float32)), xp.asarray(g))
    assert result.dtype == xp.float32
    assert_allclose(to_numpy(result), log_softmax_vjp_reference(z, g, -1), rtol=1e-5, atol=1e-6)
    result = logsumexp_vjp(xp.asarray([[1, 2, 3]]), xp.asarray([2.0]))
    assert result.dtype == xp.float64  # integers: the default floating dtype
    assert_allclose(to_numpy(result), 2 * scipy.special.softmax([[1.0, 2, 3]], axis=-1))
    v = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    result = softmax_jvp(xp.asarray(s), xp.asarray(v))
    assert_allclose(to_numpy(result), vjp_reference(s, v, -1), atol=1e-15)


def test_grads_rows_without_probability_give_zero():
    from softmax_course import log_softmax_vjp, logsumexp_vjp

    inf = np.inf
    z = np.array([[-inf, -inf, -inf], [0.0, -inf, 0.0]])
    result = to_numpy(logsumexp_vjp(xp.asarray(z), xp.asarray([3.0, 2.0])))
    assert_array_equal(result, [[0.0, 0.0, 0.0], [1.0, 0.0, 1.0]])  # 2 * (1/2, 0, 1/2)
    log_probs = np.array([[-inf, -inf, -inf], [np.log(0.5), -inf, np.log(0.5)]])
    g = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0]])
    result = to_numpy(log_softmax_vjp(xp.asarray(log_probs), xp.asarray(g)))
    assert_allclose(result, [[0.0, 0.0, 0.0], [0.5, 0.0, -0.5]], atol=1e-15)
    assert not np.isnan(result).any()


@pytest.mark.parametrize("name", GRADS)
def test_grads_bad_input(name):
    import softmax_course

    function = getattr(softmax_course, name)
    z = xp.asarray([[0.0, 1.0]])
    second = xp.asarray([1.0]) if name == "logsumexp_vjp" else z
    with pytest.raises(TypeError, match="^where= is supported for numpy arrays only"):
        function(z, second, where=np.array([True, False]))
    with pytest.raises(ValueError, match="must have the same shape|must have the shape of"):
        function(z, xp.asarray([1.0, 2.0, 3.0]))
    first = {"softmax_jvp": "s", "log_softmax_vjp": "log_probs", "logsumexp_vjp": "z"}[name]
    with pytest.raises(TypeError, match=f"^{first} must be real; received complex"):
        function(xp.asarray([[1j, 2.0]]), second)
    lazy = da.zeros((2, 4), chunks=(1, 2))
    lazy_second = da.zeros(2) if name == "logsumexp_vjp" else da.zeros((2, 4))
    with pytest.raises(ValueError, match=r"split along the class axis 1 .*\.rechunk\(\{1: -1\}\)"):
        function(lazy, lazy_second)


def test_grads_numpy_input_keeps_its_path():
    from softmax_course import derivatives

    for name in GRADS:  # the decorator leaves numpy input to the function itself
        assert getattr(derivatives, name).__wrapped__.__module__ == "softmax_course.derivatives"
    z = np.array([[1.0, 2.0, 3.0]])
    result = derivatives.logsumexp_vjp(z, np.array([1.0]))
    assert type(result) is np.ndarray
    assert_allclose(result, scipy.special.softmax(z, axis=-1), rtol=1e-15)


def test_grads_torch_keeps_device_and_dtype():
    torch = pytest.importorskip("torch")
    from softmax_course import log_softmax_vjp, logsumexp_vjp

    z = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]], dtype=torch.float64, requires_grad=True)
    upstream = torch.tensor([1.5, -0.5], dtype=torch.float64)
    torch.logsumexp(z, dim=-1).backward(upstream)
    result = logsumexp_vjp(z.detach(), upstream)
    assert isinstance(result, torch.Tensor) and result.dtype == torch.float64
    assert_allclose(result.numpy(), z.grad.numpy(), rtol=1e-12)
    z.grad = None
    g = torch.tensor([[1.0, 0.0, 2.0], [0.5, 0.5, 0.0]], dtype=torch.float64)
    log_s = torch.log_softmax(z, dim=-1)
    log_s.backward(g)
    result = log_softmax_vjp(log_s.detach().to(torch.bfloat16), g.to(torch.bfloat16))
    assert result.dtype == torch.bfloat16
    assert_allclose(result.double().numpy(), z.grad.numpy(), atol=2e-2)


# --- the four cross-entropy functions --------------------------------------------------------

LOSSES = ["cross_entropy", "cross_entropy_grad", "softmax_cross_entropy",
          "softmax_cross_entropy_grad"]  # fmt: skip


def loss_reference(name: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mean cross-entropy over samples (or its gradient) from scipy, float64.

    ``y`` is a distribution per sample (class axis last); ``z`` the logits.
    """
    n = math.prod(z.shape[:-1])
    s = scipy.special.softmax(z, axis=-1)
    if name == "cross_entropy":
        return -np.sum(scipy.special.xlogy(y, s)) / n
    if name == "softmax_cross_entropy":
        return -np.sum(y * scipy.special.log_softmax(z, axis=-1)) / n
    if name == "cross_entropy_grad":
        return -np.divide(y, s, out=np.zeros_like(s), where=y > 0) / n
    return (s * y.sum(axis=-1, keepdims=True) - y) / n


def first_argument(name: str, z: np.ndarray) -> np.ndarray:
    """The probabilities for the two losses of probabilities, the logits otherwise."""
    return scipy.special.softmax(z, axis=-1) if name.startswith("cross") else z


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("targets", ["labels", "distributions"])
@given(z=logits(max_dims=3, elements=st.floats(-5.0, 5.0)), data=st.data())
@settings(max_examples=20, deadline=None)
def test_losses_keep_the_array_type(name, targets, z, data):
    import softmax_course

    function = getattr(softmax_course, name)
    k = z.shape[-1]
    if targets == "labels":
        labels = data.draw(hnp.arrays(np.int64, z.shape[:-1], elements=st.integers(0, k - 1)))
        target, y = labels, np.eye(k)[labels]
    else:
        weights = data.draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0.0, 1.0)))
        target = y = weights
    x = first_argument(name, z)
    a, t = xp.asarray(x), xp.asarray(target)
    result = function(a, t)
    assert type(result) is type(a) and result.dtype == xp.float64
    assert tuple(result.shape) == (x.shape if name.endswith("_grad") else ())
    assert_allclose(to_numpy(result), loss_reference(name, z, y), rtol=1e-10, atol=1e-12)
    assert_array_equal(to_numpy(a), x)  # not mutated
    assert_array_equal(to_numpy(t), target)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("targets", ["labels", "distributions"])
@given(z=logits(min_dims=2, max_dims=3, max_side=5, elements=st.floats(-5.0, 5.0)),
       reduction=st.sampled_from(["mean", "sum", "none"]), data=st.data())  # fmt: skip
@settings(max_examples=15, deadline=None)
def test_losses_dask_are_lazy(name, targets, z, reduction, data):
    import softmax_course

    function = getattr(softmax_course, name)
    k, n = z.shape[-1], math.prod(z.shape[:-1])
    if targets == "labels":
        target = data.draw(hnp.arrays(np.int64, z.shape[:-1], elements=st.integers(0, k - 1)))
        y = np.eye(k)[target]
    else:
        target = y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0.0, 1.0)))
    x = first_argument(name, z)
    lazy = da.from_array(x, chunks=(2,) * (x.ndim - 1) + (-1,))
    counter = CountTasks()
    with counter.callback:
        result = function(lazy, da.from_array(target, chunks=1), reduction=reduction)
        assert isinstance(result, da.Array) and counter.count == 0  # nothing ran yet
        computed = result.compute(scheduler="sync")
    expected = loss_reference(name, z, y)
    if reduction == "sum" or (reduction == "none" and name.endswith("_grad")):
        expected = expected * n  # "none": the gradient of the summed losses, as in numpy
    elif reduction == "none":  # the loss of every sample: the mean of one sample each
        expected = np.array([loss_reference(name, z[i], y[i]) for i in np.ndindex(z.shape[:-1])])
        expected = expected.reshape(z.shape[:-1])
    assert_allclose(computed, expected, rtol=1e-10, atol=1e-12)
    assert computed.dtype == x.dtype


@pytest.mark.parametrize("name", LOSSES)
def test_losses_options_on_host_keep_the_type(name):
    import softmax_course

    function = getattr(softmax_course, name)
    rng = np.random.default_rng(2)
    z = rng.normal(size=(3, 5, 4))
    x = first_argument(name, np.moveaxis(z, 1, -1))
    x = np.moveaxis(x, -1, 1)  # the class axis is axis 1, as in PyTorch
    labels = np.array([[0, 4, -100, 2], [1, 1, 3, -100], [4, 0, 0, 2]])
    options = dict(axis=1, reduction="sum", weight=[1.0, 2.0, 0.5, 1.0, 3.0],
                   ignore_index=-100, label_smoothing=0.1)  # fmt: skip
    a = xp.asarray(x)
    result = function(a, xp.asarray(labels), **options)
    assert type(result) is type(a) and result.dtype == xp.float64
    # the numpy function on numpy copies: the host route must give its result exactly
    assert_array_equal(to_numpy(result), function(x.copy(), labels.copy(), **options))
    assert_array_equal(to_numpy(a), x)


def test_losses_reduction_none_and_float32():
    from softmax_course import softmax_cross_entropy

    z = np.array([[2.0, 1.0, 0.1], [0.0, 3.0, -1.0]], dtype=np.float32)
    result = softmax_cross_entropy(xp.asarray(z), xp.asarray([0, 2]), reduction="none")
    assert result.dtype == xp.float32 and tuple(result.shape) == (2,)
    expected = -scipy.special.log_softmax(z.astype(np.float64), axis=-1)[[0, 1], [0, 2]]
    assert_allclose(to_numpy(result), expected, rtol=1e-6)
    mean = softmax_cross_entropy(xp.asarray(z), xp.asarray([0, 2]))
    assert mean.dtype == xp.float32
    assert_allclose(float(mean), expected.mean(), rtol=1e-6)


@pytest.mark.parametrize("name", ["cross_entropy", "cross_entropy_grad"])
def test_losses_bad_input_named(name):
    import softmax_course

    function = getattr(softmax_course, name)
    with pytest.raises(ValueError, match=r"^probs must sum to 1 along the last \(class\) axis"):
        function(xp.asarray([[0.5, 0.6]]), xp.asarray([0]))
    with pytest.raises(ValueError, match=r"^targets contains class 2, out of range for K=2"):
        function(xp.asarray([[0.5, 0.5]]), xp.asarray([2]))
    with pytest.raises(ValueError, match=r"^targets must be non-negative"):
        function(xp.asarray([[0.5, 0.5]]), xp.asarray([[1.0, -1.0]]))
    with pytest.raises(ValueError, match=r"^targets are integers of the same shape as probs"):
        function(xp.asarray([[0.5, 0.5]]), xp.asarray([[1, 0]]))
    with pytest.raises(TypeError, match=r"^probs must be real"):
        function(xp.asarray([[0.5 + 0j, 0.5]]), xp.asarray([0]))
    lazy = da.from_array(np.full((4, 2), 0.5), chunks=2)
    with pytest.raises(TypeError, match=r"^weight= is not supported for dask .*\.compute\(\)"):
        function(lazy, da.zeros(4, dtype=int), weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"split along the class axis 1 .*\.rechunk\(\{1: -1\}\)"):
        function(da.from_array(np.full((4, 2), 0.5), chunks=1), da.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"^targets has shape \(3,\), which does not fit"):
        function(da.from_array(np.full((4, 2), 0.5)), da.zeros(3, dtype=int))


def test_softmax_losses_bad_input_named():
    from softmax_course import softmax_cross_entropy, softmax_cross_entropy_grad

    for function in (softmax_cross_entropy, softmax_cross_entropy_grad):
        with pytest.raises(ValueError, match=r"^targets must be finite"):
            function(xp.asarray([[0.0, 1.0]]), xp.asarray([[np.nan, 1.0]]))
        with pytest.raises(ValueError, match=r"^targets must be non-negative class indices"):
            function(xp.asarray([[0.0, 1.0]]), xp.asarray([-1]))
        with pytest.raises(ValueError, match=r"^workers must"):
            function(xp.asarray([[0.0, 1.0]]), xp.asarray([0]), workers=0)
        with pytest.raises(ValueError, match=r"^reduction must be one of"):
            function(xp.asarray([[0.0, 1.0]]), xp.asarray([0]), reduction="avg")


def test_losses_keyword_arguments_and_numpy_fast_exit():
    from softmax_course import cross_entropy

    s = np.array([[0.7, 0.3]])
    assert type(cross_entropy(probs=s, targets=np.array([0]))) is np.float64
    result = cross_entropy(probs=xp.asarray(s), targets=xp.asarray([0]))
    assert type(result) is type(xp.asarray(s))
    assert_allclose(float(result), -math.log(0.7), rtol=1e-15)


@pytest.mark.parametrize("name", LOSSES)
def test_losses_torch(name):
    torch = pytest.importorskip("torch")
    import softmax_course

    function = getattr(softmax_course, name)
    z = torch.tensor([[2.0, 1.0, 0.1], [0.0, 3.0, -1.0]], dtype=torch.float64)
    labels = torch.tensor([0, 2])
    y = np.eye(3)[labels.numpy()]
    x = torch.softmax(z, dim=-1) if name.startswith("cross") else z
    result = function(x, labels)
    assert isinstance(result, torch.Tensor) and result.dtype == torch.float64
    assert_allclose(result.numpy(), loss_reference(name, z.numpy(), y), rtol=1e-12)
    smoothed = function(x, labels, label_smoothing=0.2, reduction="sum")  # the host route
    assert isinstance(smoothed, torch.Tensor) and smoothed.dtype == torch.float64
    on_numpy = function(x.numpy(), labels.numpy(), label_smoothing=0.2, reduction="sum")
    assert_array_equal(smoothed.numpy(), on_numpy)
    with pytest.raises(TypeError, match=r"cannot be copied to the host .*\.detach\(\)"):
        function(x.clone().requires_grad_(True), labels, label_smoothing=0.2)
