"""The checker of lesson 08's fused-loop exercise, and its worked solution."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from softmax_course import solutions
from softmax_course.exercises import check_fused_softmax
from softmax_course.exercises.kernels import FUSED_OVERFLOW


def _compile_first():
    # numba compiles on the first call per dtype (seconds on a loaded machine), which the
    # checker's per-call time limit would count: compile before checking, as the lesson does
    for dtype in (np.float64, np.float32):
        solutions.fused_softmax(np.zeros((2, 3), dtype=dtype))


def test_the_solution_passes_and_matches_scipy():
    _compile_first()
    assert check_fused_softmax(solutions.fused_softmax).passed
    x = np.random.default_rng(8).normal(size=(50, 17)) * 30
    np.testing.assert_allclose(
        solutions.fused_softmax(x), scipy.special.softmax(x, axis=-1), rtol=1e-13
    )


def test_the_solution_in_plain_python_passes_too(monkeypatch):
    monkeypatch.setattr(solutions, "_fused_kernel", solutions._fused_softmax_rows)
    assert check_fused_softmax(solutions.fused_softmax).passed


def _no_shift(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def _nan_ignored(x):
    x = np.where(np.isnan(x), -np.inf, x)  # drops NaN instead of propagating it
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - np.where(np.isfinite(m), m, 0))
    return e / e.sum(axis=-1, keepdims=True)


def _columns(x):
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _float64_always(x):
    return scipy.special.softmax(np.asarray(x, dtype=np.float64), axis=-1)


def _mutates(x):
    x -= np.max(x, axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)
    return x


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (_no_shift, FUSED_OVERFLOW.split("{")[0]),
        (_nan_ignored, "a NaN anywhere makes the sum NaN"),
        (_columns, "the columns of your result for the 3x4 batch sum to 1"),
        (_float64_always, "expected float32"),
        (_mutates, "changed its input x"),
    ],
    ids=["no shift", "NaN dropped", "columns", "dtype", "mutation"],
)
def test_each_mistake_is_named(fn, expected):
    report = check_fused_softmax(fn)
    assert not report.passed
    assert any(expected in problem for problem in report.problems), report.problems


def test_a_stub_is_not_implemented_yet():
    def fused_softmax(x):
        raise NotImplementedError

    report = check_fused_softmax(fused_softmax)
    assert not report.passed and "not implemented yet" in report.problems[0]
