"""The compiled backend: its ``exp``, its agreement with the numpy path, and its selection.

The kernels are judged against independent references (``np.longdouble``
for ``exp``, a softmax computed in extended precision) and against the numpy
path, the package's reference implementation, within stated bounds:

* ``exp``: at most 2 ulp from the exact value (float64 against 80-bit
  ``np.longdouble``, float32 against float64), over more than a million
  points from below the underflow limit to 0;
* softmax: relative error at most ``(SOFTMAX_EPS + |x_j - m|)`` machine
  epsilons against the extended-precision softmax (``|x_j - m|`` is the
  condition number of ``exp``: rounding ``x_j - m`` costs that much in every
  implementation), and within twice that of the numpy path (which has its
  own rounding);
* log-softmax and logsumexp: absolute error at most ``LOG_EPS`` epsilons of
  the magnitudes involved (``|x_j - m|`` and the log-normalizer), plus the
  log-normalizer times the condition number of its terms.

Special values must be *exactly* those of the numpy path.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softmax_course as sc
from softmax_course import backend

numba = pytest.importorskip("numba", exc_type=ImportError)

from softmax_course import _numba_exp, _numba_simd  # noqa: E402  (needs numba)

SOFTMAX_EPS = 8
LOG_EPS = 8
DTYPES = [np.float64, np.float32]


def _ulp_error(x: np.ndarray, got: np.ndarray, dtype) -> np.ndarray:
    """|got - exp(x)| in units of the last place of exp(x) in ``dtype`` (subnormals included)."""
    wide = np.longdouble if dtype == np.float64 else np.float64
    exact = np.exp(x.astype(wide))
    rounded = np.abs(exact).astype(dtype)
    with np.errstate(over="ignore"):
        ulp = np.spacing(rounded).astype(wide)
    ulp = np.maximum(ulp, np.finfo(dtype).smallest_subnormal)
    return np.abs(got.astype(wide) - exact) / ulp


def _exp_test_points(dtype) -> np.ndarray:
    info = np.finfo(dtype)
    rng = np.random.default_rng(20)
    underflow = float(np.log(np.float64(info.smallest_subnormal)) - 1)  # exp rounds to 0 below
    subnormal = float(np.log(np.float64(info.tiny)))
    parts = [
        rng.uniform(underflow, 0, 1_000_000),  # the whole range softmax feeds it
        rng.uniform(underflow, subnormal, 100_000),  # subnormal results and exact zeros
        -np.logspace(-30, np.log10(-underflow), 50_000),  # tiny |x| too
        rng.uniform(-1, 1, 50_000),  # near 0 on both sides
        [0.0, -0.0, underflow, subnormal, np.log(info.max) * 0.999],
    ]
    x = np.concatenate(parts).astype(dtype)
    ends = [np.nextafter(dtype(0), dtype(-1)), dtype(underflow)]
    return np.concatenate([x, np.asarray(ends, dtype=dtype)])


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs 80-bit long double")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_exp_is_within_2_ulp_on_a_million_points(dtype):
    x = _exp_test_points(dtype)
    assert x.size > 1_000_000
    got = _numba_exp.exp_array(x)
    error = _ulp_error(x, got, dtype)
    worst = int(np.argmax(error))
    assert error[worst] <= 2, (x[worst], got[worst], float(error[worst]))
    # the subnormal range was really visited, and results below it are exact zeros
    tiny = np.finfo(dtype).tiny
    assert np.any((got > 0) & (got < tiny)) and np.any(got == 0)
    assert np.all(got[x < np.log(np.float64(np.finfo(dtype).smallest_subnormal)) - 1] == 0)


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs 80-bit long double")
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_the_stored_polynomial_is_within_a_tenth_of_the_unit_roundoff(dtype):
    """``1 + r + r^2 q(r)`` with the stored minimax coefficients against ``e^r`` in 80-bit.

    The polynomial's own error, without the rounding of its evaluation (which the
    million-point test above includes): well below the rounding of the result.
    """
    q = _numba_exp._Q64 if dtype == np.float64 else _numba_exp._Q32
    assert {np.asarray(c).dtype for c in q} == {np.dtype(dtype)}  # evaluated in dtype
    half_width = np.log(np.longdouble(2)) / 2 * np.longdouble(1.0001)
    r = np.linspace(-half_width, half_width, 20_001, dtype=np.longdouble)
    tail = np.zeros_like(r)
    for c in reversed(q):
        tail = tail * r + np.longdouble(float(c))
    exact = np.exp(r)
    relative = np.abs(1 + r + r * r * tail - exact) / exact
    assert relative.max() < 0.1 * np.finfo(dtype).eps / 2


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs 80-bit long double")
def test_the_coefficients_script_derives_the_stored_coefficients():
    """``scripts/exp_coefficients.py`` (Lawson's iteration) reproduces the stored polynomials.

    To the digits that matter: rounded to float64/float32, the fit's coefficients agree with
    the stored ones to 1e-9 relative or one float32 ulp (the last bits may depend on the
    platform's long double ``exp``), and they meet the bound of the test above.
    """
    script = Path(__file__).resolve().parent.parent / "scripts" / "exp_coefficients.py"
    spec = importlib.util.spec_from_file_location("exp_coefficients", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    check = np.linspace(-module.HALF_WIDTH, module.HALF_WIDTH, 2_001, dtype=np.longdouble)
    for (degree, dtype), stored in zip(
        module.TARGETS, (_numba_exp._Q64, _numba_exp._Q32), strict=True
    ):
        rounded = [dtype(float(c)) for c in module.minimax_tail(degree)]
        tolerance = max(1e-9, float(np.finfo(dtype).eps))  # float32: one ulp
        np.testing.assert_allclose(np.asarray(rounded, float), np.asarray(stored, float), tolerance)
        worst = module.relative_error(rounded, check).max()
        assert worst < 0.1 * np.finfo(dtype).eps / 2


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_exp_special_values_match_numpy(dtype):
    info = np.finfo(dtype)
    x = np.array(
        [np.nan, -np.inf, np.inf, 0.0, -0.0, info.max, info.min, 1000.0, -1000.0], dtype=dtype
    )
    with np.errstate(over="ignore"):
        expected = np.exp(x)
    got = _numba_exp.exp_array(x)
    np.testing.assert_array_equal(got, expected)  # NaN, inf, exact 0 and exact 1
    assert got[4] == 1 and got[3] == 1


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_the_kernels_exp_gives_the_bits_of_exp_where_softmax_calls_it(dtype):
    """``exp*_nonpositive`` (the kernels' exp: arguments ``x - max <= 0``) equals exp bit for bit.

    The million points of the accuracy test that are <= 0, the specials the
    kernels meet (NaN, -inf, +-0, the most negative finite value), and positive
    arguments taken as 0.
    """
    x = _exp_test_points(dtype)
    x = x[x <= 0]
    info = np.finfo(dtype)
    specials = np.array([np.nan, -np.inf, 0.0, -0.0, info.min, -info.tiny], dtype=dtype)
    x = np.concatenate([x, specials])
    got = _numba_exp.exp_array(x, nonpositive=True)
    assert got.tobytes() == _numba_exp.exp_array(x).tobytes()
    positive = np.array([info.tiny, 0.5, 80.0, info.max, np.inf], dtype=dtype)
    assert np.all(_numba_exp.exp_array(positive, nonpositive=True) == 1)


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs 80-bit long double")
def test_log1p_is_within_2_ulp_on_a_million_points():
    rng = np.random.default_rng(21)
    r = np.concatenate(
        [
            10 ** rng.uniform(-320, 5.5, 1_000_000),  # from subnormal sums to 10**5 classes
            rng.uniform(0, 20, 200_000),  # the common range of the rest of a row
            [0.0, np.finfo(np.float64).smallest_subnormal, 1e-300, 1.0, np.sqrt(2) - 1, 1e300],
        ]
    )
    got = _numba_exp.log1p_array(r)
    exact = np.log1p(r.astype(np.longdouble))
    ulp = np.maximum(np.spacing(exact.astype(np.float64)), np.finfo(np.float64).smallest_subnormal)
    error = np.abs(got.astype(np.longdouble) - exact) / ulp.astype(np.longdouble)
    worst = int(np.argmax(error))
    assert error[worst] <= 2, (r[worst], got[worst], float(error[worst]))
    assert got[-6] == 0 and got[-5] == r[-5]  # log1p(0) = 0 and log1p(tiny) = tiny, exactly
    special = _numba_exp.log1p_array(np.array([np.nan, np.inf]))
    np.testing.assert_array_equal(special, np.log1p(np.array([np.nan, np.inf])))


# --- the kernels against extended precision and against the numpy path ----------------


def _reference_softmax(x: np.ndarray) -> np.ndarray:
    xl = x.astype(np.longdouble)
    e = np.exp(xl - xl.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _numpy_path(function, *args, **kwargs):
    with sc.set_backend("numpy"):
        return function(*args, **kwargs)


def _compiled(function, *args, **kwargs):
    with sc.set_backend("numba"):
        return function(*args, **kwargs)


finite_rows = st.sampled_from(DTYPES).flatmap(
    lambda dtype: hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=300),
        elements=st.floats(-300, 300, width=np.dtype(dtype).itemsize * 8),
    )
)


@settings(max_examples=40, deadline=None)
@given(x=finite_rows)
def test_softmax_matches_extended_precision_and_the_numpy_path(x):
    eps = np.finfo(x.dtype).eps
    got = _compiled(sc.softmax, x)
    numpy_path = _numpy_path(sc.softmax, x)
    exact = _reference_softmax(x)
    # exp has condition number |x_j - m|: rounding x_j - m (half an ulp of it) alone moves
    # e^(x_j - m) by that many eps, in every implementation; the bound allows for it, and for
    # the last place of a subnormal result.
    allowed = (SOFTMAX_EPS + np.abs(x - x.max(axis=-1, keepdims=True))) * eps * exact
    allowed += 2 * np.finfo(x.dtype).smallest_subnormal
    assert np.all(np.abs(got - exact) <= allowed)
    assert np.all(np.abs(got - numpy_path) <= 2 * allowed)


@settings(max_examples=40, deadline=None)
@given(x=finite_rows)
def test_log_softmax_and_logsumexp_match_extended_precision(x):
    eps = np.finfo(x.dtype).eps
    xl = x.astype(np.longdouble)
    m = xl.max(axis=-1, keepdims=True)
    e = np.exp(xl - m)
    np.put_along_axis(e, np.argmax(x, axis=-1)[:, None], 0, axis=-1)  # one maximum's 1
    log_norm = np.log1p(e.sum(axis=-1, keepdims=True))  # log(1 + rest): no digits lost
    exact_lse = (m + log_norm)[:, 0]
    exact_ls = (xl - m) - log_norm
    # the terms e^(x_j - m) carry the condition number |x_j - m| of exp (see softmax above);
    # the log-normalizer is their log1p, so its error is at most log_norm times the largest
    cond = 1 + np.abs(xl - m).max(axis=-1, keepdims=True)
    allowed_ls = eps * (LOG_EPS * (np.abs(xl - m) + log_norm) + log_norm * cond)
    # subnormal terms: each carries up to one subnormal last place of absolute error
    subnormal_slack = x.shape[1] * np.finfo(x.dtype).smallest_subnormal
    allowed_ls += subnormal_slack
    got_ls = _compiled(sc.log_softmax, x)
    assert np.all(np.abs(got_ls - exact_ls) <= allowed_ls)
    got_lse = _compiled(sc.logsumexp, x, axis=-1)
    allowed_lse = (eps * (LOG_EPS * (np.abs(m) + log_norm) + log_norm * cond))[:, 0]
    allowed_lse += subnormal_slack
    assert np.all(np.abs(got_lse - exact_lse) <= allowed_lse)
    numpy_lse = _numpy_path(sc.logsumexp, x, axis=-1)
    assert np.all(np.abs(got_lse - numpy_lse) <= 2 * allowed_lse)


def test_logsumexp_keeps_the_log1p_precision():
    x = np.zeros((200, 2))
    x[:, 1] = -40.0
    got = _compiled(sc.logsumexp, x, axis=-1)
    np.testing.assert_allclose(got, np.log1p(np.exp(-40.0)), rtol=4e-16)
    ls = _compiled(sc.log_softmax, x)
    np.testing.assert_allclose(ls[:, 0], -np.log1p(np.exp(-40.0)), rtol=4e-16)


@numba.njit
def _row_maxima(x):
    out = np.empty(x.shape[0], dtype=x.dtype)
    for i in range(x.shape[0]):
        out[i] = _numba_simd.row_max(x[i])
    return out


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_simd_row_max_is_the_largest_non_nan_value_for_every_length(dtype):
    rng = np.random.default_rng(3)
    for n in [*range(0, 70), 100, 333, 1000]:  # every tail length of both vector widths
        x = rng.normal(size=(8, n)).astype(dtype)
        if n:
            x[1] = np.nan
            x[2] = -np.inf
            x[3, rng.integers(n)] = np.nan
            x[4, rng.integers(n)] = np.inf
            x[5, ::2] = np.nan
            x[6, rng.integers(n)] = x[6].max() + 1  # the maximum anywhere, tail included
        expected = np.max(np.where(np.isnan(x), -np.inf, x), axis=1, initial=-np.inf)
        np.testing.assert_array_equal(_row_maxima(x), expected.astype(dtype))


@pytest.mark.parametrize("gap", [4.0, 10.0, 11.5, 12.0, 20.0, 60.0])
@pytest.mark.parametrize("n_cols", [2, 30, 300, 3000])
def test_float32_log1p_precision_on_both_sides_of_the_shortcut(gap, n_cols):
    # r = (n_cols - 1) e^-gap lands on both sides of SHORTCUT_R = 2**-16: above it the
    # kernels take r = (sum of all terms) - 1, below it they split the terms
    x = np.full((64, n_cols), -gap, dtype=np.float32)
    x[:, 0] = 0.0
    exact_r = (n_cols - 1) * np.exp(np.float64(-gap))
    exact_lse = np.log1p(exact_r)
    got = _compiled(sc.logsumexp, x, axis=-1)
    np.testing.assert_allclose(got, exact_lse, rtol=2 * np.finfo(np.float32).eps, atol=0)
    ls = _compiled(sc.log_softmax, x)
    np.testing.assert_allclose(ls[:, 0], -exact_lse, rtol=2 * np.finfo(np.float32).eps, atol=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n_cols", [1, 7, 12, 300])
def test_special_values_are_exactly_those_of_the_numpy_path(dtype, n_cols):
    rng = np.random.default_rng(n_cols)
    x = (rng.normal(size=(40, n_cols)) * 5).astype(dtype)
    x[1] = -np.inf
    x[2, 0] = np.inf
    x[3, -1] = np.nan
    x[4] = np.nan
    x[5, ::2] = -np.inf
    x[6] = np.inf
    x[7, 0] = -np.inf
    x[7, -1] = np.nan
    x[8] = np.finfo(dtype).max
    x[9, 0] = np.inf
    x[9, -1] = np.nan
    x[10, :] = 0.0
    x[10, -1] = -0.0
    labels = rng.integers(0, n_cols, size=40)
    y = sc.one_hot(labels, n_cols, dtype=dtype)
    g = rng.normal(size=x.shape).astype(dtype)
    s = _numpy_path(sc.softmax, x)
    checks = {
        "softmax": lambda: sc.softmax(x),
        "softmax T=0.5": lambda: sc.softmax(x, temperature=0.5),
        "log_softmax": lambda: sc.log_softmax(x),
        "log_softmax T=3": lambda: sc.log_softmax(x, temperature=3.0),
        "logsumexp": lambda: sc.logsumexp(x, axis=-1),
        "vjp": lambda: sc.softmax_vjp(s, g),
        "ce labels": lambda: sc.softmax_cross_entropy(x, labels),
        "ce probs": lambda: sc.softmax_cross_entropy(x, y),
        "ce grad labels": lambda: sc.softmax_cross_entropy_grad(x, labels),
        "ce grad probs": lambda: sc.softmax_cross_entropy_grad(x, y),
    }
    for name, call in checks.items():
        expected, got = _numpy_path(call), _compiled(call)
        nonfinite = ~np.isfinite(expected)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=name)
        np.testing.assert_array_equal(got[nonfinite], expected[nonfinite], err_msg=name)
        exact_zero = np.asarray(expected) == 0
        np.testing.assert_array_equal(np.asarray(got)[exact_zero], 0, err_msg=name)
        finite = np.isfinite(expected)
        np.testing.assert_allclose(
            np.asarray(got)[finite], np.asarray(expected)[finite], rtol=64 * np.finfo(dtype).eps,
            atol=4 * np.finfo(dtype).eps, err_msg=name,
        )  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_losses_and_vjp_agree_with_the_numpy_path(dtype):
    rng = np.random.default_rng(7)
    z = (rng.normal(size=(300, 57)) * 4).astype(dtype)
    labels = rng.integers(0, 57, size=300)
    y = rng.dirichlet(np.ones(57), size=300).astype(dtype)
    g = rng.normal(size=z.shape).astype(dtype)
    eps = np.finfo(dtype).eps
    for targets in (labels, y):
        for function in (sc.softmax_cross_entropy, sc.softmax_cross_entropy_grad):
            got, expected = _compiled(function, z, targets), _numpy_path(function, z, targets)
            np.testing.assert_allclose(got, expected, rtol=16 * eps, atol=4 * eps / 300)
    s = sc.softmax(z)
    got, expected = _compiled(sc.softmax_vjp, s, g), _numpy_path(sc.softmax_vjp, s, g)
    np.testing.assert_allclose(got, expected, rtol=0, atol=16 * eps * np.abs(s).max())


def test_in_place_gives_the_same_bits_as_out_of_place():
    x = np.random.default_rng(1).normal(size=(64, 333)) * 10
    for function in (sc.softmax, sc.log_softmax):
        expected = _compiled(function, x)
        y = x.copy()
        _compiled(function, y, out=y)
        assert y.tobytes() == expected.tobytes()


def test_large_input_takes_the_compiled_path_under_auto(monkeypatch):
    calls = []
    kernels = backend._load()
    original = kernels.softmax
    monkeypatch.setattr(kernels, "softmax", lambda *a: calls.append(a) or original(*a))
    x = np.ones((backend.min_elements(np.dtype(np.float64)) // 10 + 1, 10))
    with sc.set_backend("auto"):
        sc.softmax(x)
        small = sc.softmax(np.ones((3, 4)))
    assert len(calls) == 1 and np.allclose(small, 0.25)
    with sc.set_backend("numpy"):
        sc.softmax(x)
    assert len(calls) == 1


# --- selection: the switch, the environment variable, laziness, no numba, no cache ---------


def test_set_backend_nests_and_validates():
    assert sc.get_backend() in backend.BACKENDS
    with sc.set_backend("numpy"):
        assert sc.get_backend() == "numpy"
        with sc.set_backend("NUMBA"):
            assert sc.get_backend() == "numba"
        assert sc.get_backend() == "numpy"
    with pytest.raises(ValueError, match="backend must be one of 'auto', 'numpy', 'numba'"):
        with sc.set_backend("gpu"):
            pass
    with pytest.raises(TypeError, match=r"received 3 \(type int\)"):
        with sc.set_backend(3):
            pass


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def test_environment_variable_sets_the_default_and_a_bad_value_is_named():
    code = "import softmax_course as sc; print(sc.get_backend())"
    ok = _run(code, SOFTMAX_COURSE_BACKEND="numpy")
    assert ok.returncode == 0 and ok.stdout.strip() == "numpy", ok.stderr
    bad = _run(
        "import numpy as np, softmax_course as sc; sc.softmax(np.ones((3, 4)))",
        SOFTMAX_COURSE_BACKEND="fast",
    )
    assert bad.returncode != 0 and "$SOFTMAX_COURSE_BACKEND must be one of" in bad.stderr


def test_the_environment_variable_is_read_once(monkeypatch):
    monkeypatch.setattr(backend, "_environment_default", None)
    monkeypatch.setenv("SOFTMAX_COURSE_BACKEND", " NumPy ")
    assert backend.get_backend() == "numpy"
    monkeypatch.setenv("SOFTMAX_COURSE_BACKEND", "numba")  # too late: the run has its default
    assert backend.get_backend() == "numpy"
    with backend.set_backend("auto"):
        assert backend.get_backend() == "auto"
    monkeypatch.setattr(backend, "_environment_default", None)
    monkeypatch.setenv("SOFTMAX_COURSE_BACKEND", "fast")
    for _ in range(2):  # a bad value is refused each time, never stored
        with pytest.raises(ValueError, match="received 'fast'"):
            backend.get_backend()


def test_without_numba_the_numpy_path_serves_everything():
    code = """
        import sys
        sys.modules["numba"] = None  # any `import numba` now raises ImportError
        import numpy as np, softmax_course as sc
        from softmax_course import backend
        x = np.random.default_rng(0).normal(size=(400, 100))
        s = sc.softmax(x)
        assert np.allclose(s.sum(axis=-1), 1) and not backend.numba_available()
        assert sc.softmax_cross_entropy(x, np.zeros(400, dtype=int)) > 0
        try:
            with sc.set_backend("numba"):
                pass
        except ModuleNotFoundError as error:
            assert "softmax-course[fast]" in str(error)
        else:
            raise AssertionError("set_backend('numba') without numba must raise")
        print("ok")
    """
    result = _run(code, SOFTMAX_COURSE_BACKEND="auto")  # not "numba" of a CI run: numba is gone
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_works_when_the_cache_directory_cannot_be_written(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    code = """
        import numpy as np, softmax_course as sc
        x = np.random.default_rng(0).normal(size=(50, 30))
        with sc.set_backend("numba"):
            got = sc.softmax(x)
        with sc.set_backend("numpy"):
            assert np.allclose(got, sc.softmax(x), rtol=1e-14, atol=0)
        print("ok")
    """
    result = _run(code, NUMBA_CACHE_DIR=str(blocker / "cache"))  # mkdir under a file fails
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_an_edit_of_the_inlined_exp_drops_the_kernels_cache(monkeypatch):
    """The kernels inline ``_numba_exp``/``_numba_simd``, which numba's cache does not track.

    A stamp of those files beside the kernels' cache: a different stamp (an edited exp)
    drops every kernel's cache entries once and records the new stamp.
    """
    from softmax_course import _numba_kernels as kernels

    cache = kernels.softmax._cache
    if cache.cache_path is None:
        pytest.skip("numba caches nowhere here")
    flushed = []
    monkeypatch.setattr(type(cache), "flush", lambda self: flushed.append(self))
    stamp = Path(cache.cache_path) / kernels.STAMP_NAME
    stamp.write_text("the digest of an older _numba_exp.py", encoding="ascii")
    assert kernels._drop_stale_cache()
    assert cache in flushed and kernels.vjp._cache in flushed
    assert _numba_exp.log1p64._cache not in flushed  # its own file is numba's to track
    assert stamp.read_text(encoding="ascii") == kernels._inlined_sources_digest()
    flushed.clear()
    assert not kernels._drop_stale_cache() and not flushed  # up to date: nothing dropped


# --- the layouts: short rows in tiles, long rows in column chunks, any number of workers ---


@pytest.fixture
def every_worker_counts(monkeypatch):
    """Workers from the first byte on, so that small test arrays really use several threads."""
    from softmax_course import _fast

    monkeypatch.setattr(_fast, "COMPILED_BYTES_PER_WORKER", 0)


def _special_rows(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[1] = -np.inf
    x[2, 0] = np.inf
    x[3, -1] = np.nan
    x[5, ::2] = -np.inf
    return x


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n_cols", [1, 3, 10, 16])
def test_short_rows_give_the_same_bits_for_every_number_of_workers(
    dtype, n_cols, every_worker_counts
):
    # 1000 rows: tiles of TILE_ROWS rows, and workers whose ranges cut the tiles anywhere
    x = (np.random.default_rng(n_cols).normal(size=(1000, n_cols)) * 6).astype(dtype)
    x = _special_rows(x)
    for function in (sc.softmax, sc.log_softmax, lambda v, **k: sc.logsumexp(v, axis=-1, **k)):
        one = _compiled(function, x, workers=1)
        for workers in (2, 3):
            assert _compiled(function, x, workers=workers).tobytes() == one.tobytes()
        expected = _numpy_path(function, x)
        np.testing.assert_array_equal(np.isnan(one), np.isnan(expected))
        finite = np.isfinite(expected)
        np.testing.assert_array_equal(one[~finite], expected[~finite])
        # log-softmax near 0 is a difference of terms of the size of the largest: atol
        scale = 16 * np.finfo(dtype).eps
        np.testing.assert_allclose(
            one[finite], expected[finite], rtol=scale, atol=scale * np.abs(expected[finite]).max()
        )


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_a_long_row_gives_the_same_bits_for_every_number_of_workers(dtype, every_worker_counts):
    kernels = backend._load()
    n = 5 * kernels.WIDE_CHUNK + 7  # longer than a block: cut into 6 column chunks
    x = (np.random.default_rng(5).normal(size=n) * 8).astype(dtype)
    eps = np.finfo(dtype).eps
    for function in (sc.softmax, sc.log_softmax, sc.logsumexp):
        one = _compiled(function, x, workers=1)
        for workers in (2, 3, 4):
            assert np.asarray(_compiled(function, x, workers=workers)).tobytes() == (
                np.asarray(one).tobytes()
            )
        expected = _numpy_path(function, x)
        if function is sc.softmax:
            # each within (8 + |x - m|) eps of the exact value (the condition number of
            # exp), so within twice that of each other: the chunks' exps relative to their
            # own maxima round differently from the numpy path's
            rtol = 2 * (8 + np.abs(x.astype(np.float64) - x.max())) * eps
            assert np.all(np.abs(one - expected) <= rtol * np.abs(expected))
        else:
            np.testing.assert_allclose(one, expected, rtol=64 * eps, atol=0)
    for function in (sc.softmax, sc.log_softmax):  # in place: the same bits
        y = x.copy()
        _compiled(function, y, out=y, workers=2)
        assert y.tobytes() == _compiled(function, x).tobytes()
    # special values, in a chunk other than the first
    for position, value in ((3 * kernels.WIDE_CHUNK + 1, np.nan), (n - 1, np.inf)):
        z = x.copy()
        z[position] = value
        for function in (sc.softmax, sc.log_softmax, sc.logsumexp):
            np.testing.assert_array_equal(
                _compiled(function, z, workers=3), _numpy_path(function, z)
            )
    minus_inf = np.full(n, -np.inf, dtype=dtype)
    for function in (sc.softmax, sc.log_softmax, sc.logsumexp):
        np.testing.assert_array_equal(
            _compiled(function, minus_inf, workers=2), _numpy_path(function, minus_inf)
        )
    # a chunk of nothing but -inf (no maximum of its own: redone relative to the row's),
    # and the same chunk with a NaN in it
    chunk = slice(2 * kernels.WIDE_CHUNK, 3 * kernels.WIDE_CHUNK)
    for nan_too in (False, True):
        z = x.copy()
        z[chunk] = -np.inf
        if nan_too:
            z[chunk.start + 5] = np.nan
        for function in (sc.softmax, sc.log_softmax, sc.logsumexp):
            got, expected = _compiled(function, z, workers=3), _numpy_path(function, z)
            assert np.array_equal(np.isnan(got), np.isnan(expected))
            assert np.array_equal(got[np.isinf(expected)], expected[np.isinf(expected)])
            if function is sc.softmax:
                assert np.all(got[chunk] == 0) != nan_too
            finite = np.isfinite(expected)
            np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-3, atol=0)


def test_the_auto_threshold_follows_what_numpys_exp_runs(monkeypatch):
    float32, float64 = np.dtype(np.float32), np.dtype(np.float64)
    # an AVX2 machine: numpy's float32 exp is vectorized, its float64 exp is not
    monkeypatch.setattr(backend, "_numpy_dispatches", lambda target, older: target == "X86_V3")
    assert backend.min_elements(float64) == backend.MIN_ELEMENTS_SCALAR_EXP
    assert backend.min_elements(float32) == backend.MIN_ELEMENTS
    assert backend.min_elements(float64, uses_exp=False) == backend.MIN_ELEMENTS
    # AVX-512: both vectorized
    monkeypatch.setattr(backend, "_numpy_dispatches", lambda target, older: True)
    assert backend.min_elements(float64) == backend.MIN_ELEMENTS
    # numpy's baseline only (NPY_DISABLE_CPU_FEATURES=X86_V3): both scalar
    monkeypatch.setattr(backend, "_numpy_dispatches", lambda target, older: False)
    assert backend.min_elements(float32) == backend.MIN_ELEMENTS_SCALAR_EXP
    assert backend.MIN_ELEMENTS_SCALAR_EXP < backend.MIN_ELEMENTS


def test_numpys_dispatch_targets_are_read_from_numpy():
    code = """
        import numpy as np
        from softmax_course import backend
        print(backend.numpy_exp_is_vectorized(np.dtype(np.float32)))
    """
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    target = "X86_V3" if "X86_V3" in __cpu_dispatch__ else "AVX2"
    if not __cpu_features__.get(target):
        pytest.skip(f"numpy does not dispatch to {target} on this CPU")
    assert _run(code).stdout.strip() == "True"
    assert _run(code, NPY_DISABLE_CPU_FEATURES=target).stdout.strip() == "False"
