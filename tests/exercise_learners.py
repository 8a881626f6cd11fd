"""Learner functions and cases shared by the exercise-checker tests (``tests/test_exercises_*.py``).

Right answers are written independently of the checkers' references: through
``scipy.special`` and central finite differences. The wrong ones are the
pitfalls module and the seed threads' answers, copied in spirit.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special

import softmax_course as sc
from softmax_course import exercises, pitfalls, solutions
from softmax_course.exercises import (
    check_cross_entropy_grad,
    check_log_softmax,
    check_softmax,
    check_softmax_jacobian,
    check_softmax_vjp,
)
from tests.references import central_jacobian

# --- the three assertions every checker module makes ----------------------------------------


def assert_mistake_named(checker, fn, message: str) -> None:
    """``checker`` fails ``fn``, names ``message`` and lets none of its warnings escape."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker must silence the learner's warnings
        report = checker(fn)
    assert not report.passed
    assert any(message in problem for problem in report.problems), report.problems
    assert message in str(report)


def assert_passes(checker, fn) -> None:
    """A correct (but differently written) answer passes, after at least six inputs."""
    report = checker(fn)
    assert report.problems == []
    assert report.passed is True
    assert report.checks >= 6


def assert_only_this_pitfall_named(checker, fn, message: str, pitfalls_and_messages) -> None:
    """A pitfall gets its own message first, and no other pitfall's message."""
    report = checker(fn)
    assert report.passed is False
    assert report.problems[0] == message
    others = {m for _, _, m in pitfalls_and_messages if m != message}
    assert not others & set(report.problems)


CHECKERS_1 = [check_softmax, check_log_softmax, check_softmax_jacobian]


CHECKERS_2 = [check_softmax_vjp, check_cross_entropy_grad]


ALL_CHECKERS = CHECKERS_1 + CHECKERS_2


def scipy_softmax(x):
    return scipy.special.softmax(x, axis=-1)


def scipy_log_softmax(x):
    return scipy.special.log_softmax(x, axis=-1)


def fd_jacobian_of_logits(z):
    return central_jacobian(scipy_softmax, z, eps=1e-5)


def fd_jacobian_of_probs(s):
    # softmax(log s) = s, so log s is a set of logits with these probabilities.
    return central_jacobian(scipy_softmax, np.log(np.asarray(s, dtype=np.float64)), eps=1e-5)


def fd_vjp(s, g):
    s, g = np.asarray(s, dtype=np.float64), np.asarray(g, dtype=np.float64)
    z = np.log(s)
    result = np.empty_like(z)
    for index in np.ndindex(z.shape[:-1]):
        J = central_jacobian(scipy_softmax, z[index], eps=1e-5)
        result[index] = J.T @ g[index]
    return result


def fd_cross_entropy_grad(z, y):
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def loss(flat):
        return -np.sum(y * scipy_log_softmax(flat.reshape(z.shape))) / z.shape[0]

    flat = z.ravel()
    grad = np.empty_like(flat)
    for j in range(flat.size):
        step = np.zeros_like(flat)
        step[j] = 1e-5
        grad[j] = (loss(flat + step) - loss(flat - step)) / 2e-5
    return grad.reshape(z.shape)


def softmax_via_logsumexp(x):
    return np.exp(x - scipy.special.logsumexp(x, axis=-1, keepdims=True))


def jacobian_by_einsum(s):
    return np.einsum("i,ij->ij", s, np.eye(len(s))) - np.einsum("i,j->ij", s, s)


def vjp_through_matrix(s, g):
    J = s[..., :, None] * np.eye(s.shape[-1]) - s[..., :, None] * s[..., None, :]
    return np.einsum("...ij,...i->...j", J, g)


CORRECT = [
    (check_softmax, sc.softmax),
    (check_softmax, solutions.softmax_rowwise),
    (check_softmax, solutions.online_softmax),
    (check_softmax, scipy_softmax),
    (check_softmax, softmax_via_logsumexp),
    (check_log_softmax, sc.log_softmax),
    (check_log_softmax, solutions.log_softmax_stable),
    (check_log_softmax, scipy_log_softmax),
    (check_softmax_jacobian, sc.softmax_jacobian),
    (check_softmax_jacobian, solutions.jacobian_from_probs),
    (check_softmax_jacobian, jacobian_by_einsum),
    (check_softmax_jacobian, fd_jacobian_of_probs),
    (check_softmax_vjp, sc.softmax_vjp),
    (check_softmax_vjp, solutions.vjp),
    (check_softmax_vjp, vjp_through_matrix),
    (check_softmax_vjp, fd_vjp),
    (check_cross_entropy_grad, sc.softmax_cross_entropy_grad),
    (check_cross_entropy_grad, solutions.cross_entropy_grad_from_logits),
    (check_cross_entropy_grad, fd_cross_entropy_grad),
]


def jacobian_through_package(z):
    return sc.softmax_jacobian(sc.softmax(z))


PITFALLS = [
    (check_softmax, pitfalls.softmax_without_max_shift, exercises.OVERFLOW),
    (check_softmax, pitfalls.softmax_over_whole_array, exercises.AXIS_NONE),
    (check_softmax, pitfalls.softmax_over_axis0, exercises.AXIS_0),
    (check_softmax, pitfalls.softmax_with_global_max, exercises.GLOBAL_MAX),
    (check_softmax, pitfalls.softmax_in_place, exercises.MUTATION.format(name="x")),
    (check_log_softmax, pitfalls.log_of_softmax, exercises.LOG_OF_SOFTMAX),
    (check_softmax_jacobian, pitfalls.jacobian_diagonal_only, exercises.DIAGONAL_ONLY),
    (check_softmax_jacobian, pitfalls.jacobian_sign_error, exercises.JACOBIAN_SIGN),
    (check_softmax_jacobian, pitfalls.jacobian_skip_equal_values, exercises.REPEATED_VALUES),
    (check_softmax_vjp, pitfalls.vjp_diagonal_only, exercises.VJP_DIAGONAL),
    (check_cross_entropy_grad, pitfalls.cross_entropy_grad_without_mean, exercises.CE_NO_MEAN),
]


def seed000_softmax_derivative(X):
    """The loop from the first thread: a vector, a sign error, values compared."""
    derivs = []
    denom = np.sum(np.exp(X), axis=0)
    for x in X:
        comm = -np.exp(x) / (denom**2)
        factor = 0
        for other in X:
            if other == x:
                continue
            factor += np.exp(other)
        derivs.append(comm * factor)
    return derivs


def seed001_delta(incoming):
    exps = np.exp(incoming)
    others = exps.sum() - exps
    return 1 / (2 + exps / others + others / exps)


def raise_not_implemented(*args):
    raise NotImplementedError


def _stubs():
    def my_softmax(x):
        """Fill me in."""
        raise NotImplementedError("write your softmax here")

    return my_softmax


def _bad_functions(arity):
    def raises_key_error(*args):
        raise KeyError("oops")

    def raises_zero_division(*args):
        return 1 / 0

    def returns_none(*args):
        return None

    def returns_list(*args):
        return np.asarray(args[0]).tolist()

    def returns_nan(*args):
        return np.full(np.shape(args[0]), np.nan)

    def returns_wrong_shape(*args):
        return np.zeros(7)

    def returns_scalar(*args):
        return 0.5

    def returns_string(*args):
        return "softmax"

    def returns_complex(*args):
        return np.asarray(args[0]) + 1j

    def returns_ragged(*args):
        return [[1.0], [1.0, 2.0]]

    def returns_object(*args):
        return object()

    def raises_recursion(*args):
        return raises_recursion(*args)

    def wrong_arity():
        return 0

    def warns(*args):
        warnings.warn("learner warning", UserWarning, stacklevel=1)
        return np.log(np.zeros(3))

    return [
        raises_key_error,
        raises_zero_division,
        returns_none,
        returns_list,
        returns_nan,
        returns_wrong_shape,
        returns_scalar,
        returns_string,
        returns_complex,
        returns_ragged,
        returns_object,
        raises_recursion,
        wrong_arity,
        warns,
    ]


def _stub(*args):
    raise NotImplementedError


def _fails(*args):
    raise ValueError("something went wrong inside")


class StubTemperatureLayer:
    """The notebook's stub: forward given, backward left to the learner."""

    def __init__(self, temperature):
        self.temperature = temperature

    def forward(self, z):
        self.s = scipy.special.softmax(np.asarray(z) / self.temperature, axis=-1)
        return self.s

    def backward(self, g):
        raise NotImplementedError("Exercise 3")


def _temperature_layer(backward):
    """A layer class whose backward is ``backward(s, g, T)``."""

    class Layer(StubTemperatureLayer):
        def backward(self, g):
            return backward(self.s, g, self.temperature)

    Layer.__name__ = "Layer"
    return Layer


class FailingTemperatureLayer(StubTemperatureLayer):
    def backward(self, g):
        raise ValueError("something went wrong inside")


# (checker, worked solution, stub, function raising ValueError)
CASES = [
    ("check_softmax_vector", solutions.softmax_rowwise, _stub, _fails),
    ("check_logits_from_probabilities", solutions.logits_from_probabilities, _stub, _fails),
    ("check_temperature_for_confidence", solutions.temperature_for_confidence, _stub, _fails),
    ("check_softmax_columns", solutions.softmax_columns, _stub, _fails),
    ("check_breaking_batch", solutions.make_breaking_batch, _stub, _fails),
    ("check_largest_finite_exp_input", solutions.largest_finite_exp_input, _stub, _fails),
    ("check_batch_jacobian", solutions.batch_jacobian, _stub, _fails),
    ("check_quadratic_form", solutions.quadratic_form, _stub, _fails),
    ("check_chain_through_jacobian", solutions.chain_through_jacobian, _stub, _fails),
    (
        "check_softmax_with_temperature",
        solutions.SoftmaxWithTemperature,
        StubTemperatureLayer,
        FailingTemperatureLayer,
    ),
    ("check_loss_from_labels", solutions.loss_from_labels, _stub, _fails),
    ("check_grad_soft_targets", solutions.grad_soft_targets, _stub, _fails),
    ("check_standardize", solutions.standardize, _stub, _fails),
    ("check_confusion_matrix", solutions.confusion_matrix, _stub, _fails),
    ("check_regression_gradients", solutions.regression_gradients, _stub, _fails),
    ("check_online_logsumexp_stream", solutions.online_logsumexp_stream, _stub, _fails),
]


IDS = [case[0] for case in CASES]


def _mistakes(name, *fns_and_messages):
    return [
        pytest.param(name, fn, message, id=f"{name}-{i}")
        for i, (fn, message) in enumerate(fns_and_messages)
    ]


def _sm(x, axis=-1):
    return scipy.special.softmax(x, axis=axis)


def _in_place_softmax(z):
    z -= np.max(z)
    np.exp(z, out=z)
    z /= z.sum()
    return z


def _no_rescale_stream(values):
    m, d = -math.inf, 0.0
    for v in values:
        m = max(m, v)
        d += math.exp(v - m)
    return m + math.log(d)


def _two_pass_stream(values):
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values) or 1.0)


def _naive_stream(values):
    return math.log(sum(math.exp(min(v, 709.0)) if v < 709 else math.inf for v in values))


def _undercounting_confusion(y_true, y_pred, K):
    C = np.zeros((K, K), dtype=int)
    C[y_true, y_pred] += 1
    return C


def _regression(X, W, b, y, *, scale=1.0, transpose_dW=False, db_rows=False, db_mean=False):
    N = X.shape[0]
    G = scale * (_sm(X @ W + b) - np.eye(W.shape[1])[y]) / N
    dW = G.T @ X if transpose_dW else X.T @ G
    db = G if db_rows else (G.mean(axis=0) if db_mean else G.sum(axis=0))
    return dW, db


def _naive_softmax(z):
    with np.errstate(all="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def _standardize_in_place(A, B):
    mu, sigma = A.mean(axis=0), A.std(axis=0)
    B = (B - mu) / sigma
    A -= mu
    A /= sigma
    return A, B


ODD_RETURNS = [
    "text",
    {"a": 1},
    [[1.0, 2.0], [3.0]],
    np.array(["x", "y"]),
    1e-300,
    -np.inf,
    np.nan,
    np.zeros((0,)),
    np.full((2, 3), np.nan),
    (np.ones(2), "b"),
    object(),
]
