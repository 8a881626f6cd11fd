"""Tests of the checkers for the capstone exercises (lessons 06, 07 and 09).

For every checker: a correct function passes, a stub is "not implemented yet", an
exception is reported, and each mistake the checker names is flagged by its message.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import softmax_course as sc
from softmax_course import autodiff, solutions
from softmax_course.exercises import NOT_IMPLEMENTED, CheckReport
from softmax_course.exercises import capstone as ex


def _stub(*args):
    raise NotImplementedError


def _fails(*args):
    raise ValueError("something went wrong inside")


def kl(p, q):
    return scipy.special.rel_entr(p, q).sum(axis=-1)


def l2_gradients(X, W, b, y, lam):
    G = sc.softmax_cross_entropy_grad(X @ W + b, y)
    return X.T @ G + lam * W, G.sum(axis=0)


def hinge(z, y):
    N = len(y)
    margins = np.maximum(0.0, z - z[np.arange(N), y][:, None] + 1.0)
    margins[np.arange(N), y] = 0.0
    return margins.sum() / N


def logsumexp_vjp(z, g):
    return g[:, None] * sc.softmax(z)


def max_vjp(z, g):
    return g[:, None] * (z == z.max(axis=1, keepdims=True))


# The worked solutions (softmax_course.solutions); the independent versions above are
# the references the mistakes below are built from.
CASES = [
    ("check_kl_divergence", solutions.kl_divergence),
    ("check_l2_gradients", solutions.l2_gradients),
    ("check_multiclass_hinge", solutions.multiclass_hinge),
    ("check_unbroadcast", solutions.unbroadcast),
    ("check_logsumexp_vjp", solutions.logsumexp_vjp),
    ("check_max_vjp", solutions.max_vjp),
]
IDS = [name for name, _ in CASES]
INDEPENDENT = [kl, l2_gradients, hinge, autodiff.unbroadcast, logsumexp_vjp, max_vjp]


def test_every_checker_is_listed():
    assert sorted(ex.__all__) == sorted(IDS)
    for name in IDS:
        assert f":func:`{name}`" in ex.__doc__


@pytest.mark.parametrize(("name", "solution"), CASES, ids=IDS)
def test_a_correct_function_passes(name, solution):
    for correct in (solution, INDEPENDENT[IDS.index(name)]):
        report = getattr(ex, name)(correct)
        assert isinstance(report, CheckReport)
        assert report.passed, report.problems
        assert report.checks > 0


def test_the_solutions_agree_with_independent_references():
    rng = np.random.default_rng(5)
    p, q = sc.softmax(rng.normal(size=(3, 4))), sc.softmax(rng.normal(size=(3, 4)))
    np.testing.assert_allclose(solutions.kl_divergence(p, q), kl(p, q), rtol=1e-13)
    X, W, b, y = (
        rng.normal(size=(6, 2)),
        rng.normal(size=(2, 3)),
        rng.normal(size=3),
        rng.integers(0, 3, 6),
    )
    for got, want in zip(
        solutions.l2_gradients(X, W, b, y, 0.3), l2_gradients(X, W, b, y, 0.3), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    z = rng.normal(size=(6, 3))
    np.testing.assert_allclose(solutions.multiclass_hinge(z, y), hinge(z, y), rtol=1e-14)
    g = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(solutions.unbroadcast(g, (3, 1)), autodiff.unbroadcast(g, (3, 1)))


@pytest.mark.parametrize(("name", "solution"), CASES, ids=IDS)
def test_stub_exception_and_non_function(name, solution):
    checker = getattr(ex, name)
    assert checker(_stub).problems == [NOT_IMPLEMENTED]
    failing = checker(_fails)
    assert not failing.passed and len(failing.problems) == 1
    assert failing.problems[0].startswith("raised ValueError: something went wrong inside")
    assert "expected a function" in checker(42).problems[0]


def _problems(name, fn):
    report = getattr(ex, name)(fn)
    assert not report.passed
    return " ".join(report.problems)


def test_kl_mistakes_are_named():
    assert "0 * log(0)" in _problems(
        "check_kl_divergence", lambda p, q: np.sum(p * np.log(p / q), axis=-1)
    )
    assert "KL(q || p)" in _problems("check_kl_divergence", lambda p, q: kl(q, p))
    assert "one divergence per row" in _problems("check_kl_divergence", lambda p, q: kl(p, q).sum())


def test_l2_mistakes_are_named():
    def data_only(X, W, b, y, lam):
        return l2_gradients(X, W, b, y, 0.0)

    def twice(X, W, b, y, lam):
        dW, db = l2_gradients(X, W, b, y, 2 * lam)
        return dW, db

    def over_n(X, W, b, y, lam):
        return l2_gradients(X, W, b, y, lam / len(X))

    def decayed_bias(X, W, b, y, lam):
        dW, db = l2_gradients(X, W, b, y, lam)
        return dW, db + lam * b

    assert "add lam * W" in _problems("check_l2_gradients", data_only)
    assert "not 2 lam W" in _problems("check_l2_gradients", twice)
    assert "no 1/N" in _problems("check_l2_gradients", over_n)
    assert "bias is not decayed" in _problems("check_l2_gradients", decayed_bias)
    assert "expected a pair" in _problems("check_l2_gradients", lambda *a: l2_gradients(*a)[0])


def test_hinge_mistakes_are_named():
    def with_true(z, y):
        return hinge(z, y) + 1.0

    def no_clip(z, y):
        N = len(y)
        margins = z - z[np.arange(N), y][:, None] + 1.0
        margins[np.arange(N), y] = 0.0
        return margins.sum() / N

    assert "skip k = y" in _problems("check_multiclass_hinge", with_true)
    assert "average over the N" in _problems(
        "check_multiclass_hinge", lambda z, y: hinge(z, y) * len(y)
    )
    assert "clip each term" in _problems("check_multiclass_hinge", no_clip)


def test_unbroadcast_mistakes_are_named():
    def mean_instead(g, shape):
        out = autodiff.unbroadcast(g, shape)
        return out * out.size / g.size

    def no_keepdims(g, shape):
        return np.squeeze(autodiff.unbroadcast(g, shape))

    assert "do not average" in _problems("check_unbroadcast", mean_instead)
    assert "keepdims=True" in _problems("check_unbroadcast", no_keepdims)


def test_vjp_mistakes_are_named():
    def unstable(z, g):
        e = np.exp(z)
        return g[:, None] * e / e.sum(axis=1, keepdims=True)

    assert "subtract each row's maximum" in _problems("check_logsumexp_vjp", unstable)
    assert "upstream gradient g" in _problems("check_logsumexp_vjp", lambda z, g: sc.softmax(z))
    assert "0 elsewhere" in _problems(
        "check_max_vjp", lambda z, g: np.broadcast_to(g[:, None], z.shape)
    )
    assert "0/1 mask" in _problems(
        "check_max_vjp", lambda z, g: (z == z.max(axis=1, keepdims=True)).astype(float)
    )


def test_mutating_the_input_is_reported():
    def mutating(z, g):
        z -= z.max(axis=1, keepdims=True)
        return logsumexp_vjp(z, g)

    assert "changed its input z" in _problems("check_logsumexp_vjp", mutating)
