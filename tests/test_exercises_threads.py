"""The wrong code of the four seed threads, fed to the checkers: each mistake is named.

One case per piece of wrong code in ``shared/seeds/`` (written here in the
threads' spirit, not copied). The closing note of issue 11 counts them: every
case below whose expected messages name its mistake. Two pieces are correct on
the exercise's inputs and are listed at the end with what the checker says.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from softmax_course import exercises
from softmax_course.exercises import (
    check_chain_through_jacobian,
    check_cross_entropy_grad,
    check_softmax,
    check_softmax_jacobian,
    check_softmax_vjp,
)


def t000_softmax(x):
    return np.exp(x) / np.sum(np.exp(x), axis=0)


def t000_softmax_derivative(X):
    denom = np.sum(np.exp(X), axis=0)
    derivs = []
    for x in X:
        comm = -np.exp(x) / denom**2
        factor = 0.0
        for other in X:
            if other == x:
                continue
            factor += np.exp(other)
        derivs.append(comm * factor)
    return derivs


def t001_compute(incoming):
    exps = np.exp(incoming)
    return exps / exps.sum()


def t001_delta(incoming):
    exps = np.exp(incoming)
    others = exps.sum() - exps
    return 1 / (2 + exps / others + others / exps)


def t001_elementwise_backward(s, g):  # activation.delta(...) * cost.delta(...)
    return s * (1 - s) * g


def t001_vectorized_grad(S):  # the one-sample formula applied to a batch
    s = S.reshape(-1, 1)
    return np.diagflat(s) - np.dot(s, s.T)


def t002_cross_entropy_derivative(z, y):  # dE/da offered as dE/dz
    s = scipy.special.softmax(z, axis=-1)
    return -(y / s) / len(y)


def t002_softmax(x):
    exp = np.exp(x - np.max(x))
    return exp / np.sum(exp, axis=1)[:, None]


def t002_dE_dz_test2(dE_da, da_dz):
    return np.stack([np.matmul(da_dz[n], dE_da[n, :, None])[:, 0] for n in range(len(dE_da))])


def t002_dE_dz_pp(z, y):
    sm = t002_softmax(z)
    dE_da = -(y / sm) / len(y)
    res = np.einsum("ij,ik->ijk", sm, -sm)
    np.einsum("ijj->ij", res)[...] += sm
    return np.einsum("ij,ijk->ik", dE_da, res)


def t003_your_softmax(x):
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum()


def t003_desertnaut(x):
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum(axis=0)


def t003_asserts_2d(z):
    if len(z.shape) != 2:
        raise AssertionError
    s = np.max(z, axis=1)[:, np.newaxis]
    e_x = np.exp(z - s)
    return e_x / np.sum(e_x, axis=1)[:, np.newaxis]


def t003_first_non_singleton(X, theta=1.0, axis=None):
    y = np.atleast_2d(X)
    if axis is None:
        axis = next(j[0] for j in enumerate(y.shape) if j[1] > 1)
    y = y * float(theta)
    y = y - np.expand_dims(np.max(y, axis=axis), axis)
    y = np.exp(y)
    p = y / np.expand_dims(np.sum(y, axis=axis), axis)
    return p.flatten() if len(X.shape) == 1 else p


def t003_concise(x):
    return np.exp(x) / np.exp(x).sum(axis=0)


def t003_log_space(x):
    return np.exp(x - scipy.special.logsumexp(x))


def t003_axis_minus_one_global_max(x, axis=-1):
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum(axis=axis, keepdims=True)


def t003_columns(z):
    z_norm = np.exp(z - np.max(z, axis=0, keepdims=True))
    return np.divide(z_norm, np.sum(z_norm, axis=0, keepdims=True))


def t003_in_place(x):
    if len(x.shape) > 1:
        x -= np.max(x, axis=1).reshape((x.shape[0], 1))
        x = np.exp(x)
        x /= np.sum(x, axis=1).reshape((x.shape[0], 1))
    else:
        x -= np.max(x)
        x = np.exp(x)
        x /= np.sum(x)
    return x


def t003_softmax_fn(input_array):
    e_x = np.exp(input_array - np.max(input_array))
    return e_x / e_x.sum(axis=len(e_x.shape) - 1)


def t003_amax_axis1(x):
    mx = np.amax(x, axis=1, keepdims=True)
    x_exp = np.exp(x - mx)
    return x_exp / np.sum(x_exp, axis=1, keepdims=True)


def t003_transposed(x):
    return (np.exp(x).T / np.exp(x).sum(axis=-1)).T


E = exercises
NAMED = [
    ("000 softmax", check_softmax, t000_softmax, [E.AXIS_0, E.OVERFLOW]),
    (
        "000 softmax_derivative",
        lambda fn: check_softmax_jacobian(fn, takes="logits"),
        t000_softmax_derivative,
        [E.DIAGONAL_ONLY, E.JACOBIAN_SIGN, E.REPEATED_VALUES, E.OVERFLOW],
    ),
    ("001 compute", check_softmax, t001_compute, [E.AXIS_NONE, E.OVERFLOW]),
    (
        "001 delta",
        lambda fn: check_softmax_jacobian(fn, takes="logits"),
        t001_delta,
        [E.DIAGONAL_ONLY, E.DIAGONAL_VECTOR.format(K=2)],
    ),
    ("001 delta * cost.delta", check_softmax_vjp, t001_elementwise_backward, [E.VJP_DIAGONAL]),
    (
        "001 vectorized softmax_grad on a batch",
        E.check_batch_jacobian,
        t001_vectorized_grad,
        [E.BATCH_JACOBIAN_FLATTENED.format(NK=24, K=4)],
    ),
    (
        "002 cross_entropy_derivative as dE/dz",
        check_cross_entropy_grad,
        t002_cross_entropy_derivative,
        [E.CE_WRT_PROBS],
    ),
    ("002 softmax", check_softmax, t002_softmax, [E.GLOBAL_MAX, "raised AxisError"]),
    ("002 dE_dz_test2", check_chain_through_jacobian, t002_dE_dz_test2, [E.CHAIN_J_G]),
    (
        "002 dE_dz_pp",
        check_cross_entropy_grad,
        t002_dE_dz_pp,
        [E.CE_ZERO_TIMES_INF, E.CE_GLOBAL_MAX],
    ),
    ("003 your_softmax", check_softmax, t003_your_softmax, [E.AXIS_NONE]),
    ("003 proposed", check_softmax, t000_softmax, [E.AXIS_0, E.OVERFLOW]),
    ("003 desertnaut", check_softmax, t003_desertnaut, [E.AXIS_0]),
    ("003 assert 2-D", check_softmax, t003_asserts_2d, ["one sample is a 1-D vector"]),
    (
        "003 first non-singleton axis",
        check_softmax,
        t003_first_non_singleton,
        [E.FIRST_AXIS, E.AXIS_0],
    ),
    ("003 concise", check_softmax, t003_concise, [E.AXIS_0, E.OVERFLOW]),
    ("003 log space", check_softmax, t003_log_space, [E.AXIS_NONE]),
    ("003 axis=-1, global max", check_softmax, t003_axis_minus_one_global_max, [E.GLOBAL_MAX]),
    ("003 column convention", check_softmax, t003_columns, [E.AXIS_0]),
    ("003 in place", check_softmax, t003_in_place, [E.MUTATION.format(name="x")]),
    (
        "003 softmax_fn",
        check_softmax,
        t003_softmax_fn,
        ["keep it with keepdims=True", E.SQUARE_NO_KEEPDIMS],
    ),
    ("003 amax axis=1", check_softmax, t003_amax_axis1, ["use axis=-1", E.AXIS_FIXED]),
    ("003 Udacity", check_softmax, t000_softmax, [E.AXIS_0, E.OVERFLOW]),
    ("003 scipy default axis", check_softmax, scipy.special.softmax, [E.AXIS_NONE]),
]


@pytest.mark.parametrize(("case", "checker", "fn", "messages"), NAMED, ids=[c[0] for c in NAMED])
def test_each_thread_mistake_is_named(case, checker, fn, messages):
    problems = checker(fn).problems
    text = "\n".join(problems)
    for message in messages:
        assert message in text, (case, problems)


def test_the_transposed_softmax_is_reported_on_3d_input_without_a_named_cause():
    # Right for 1-D and 2-D input; x.T reverses every axis of a 3-D batch: the checker
    # shows the exception and the shape, and names the missing shift.
    problems = check_softmax(t003_transposed).problems
    assert any(p.startswith("raised ValueError: operands could not be broadcast") for p in problems)
    assert "for a batch of shape (2, 3, 4)" in problems[0] or any(
        "(2, 3, 4)" in p for p in problems
    )
    assert E.OVERFLOW in problems


def test_the_loop_jacobian_is_right_on_the_exercises_1d_input():
    # Its comment promises a (1, n) input, on which np.diag returns a diagonal, not a
    # matrix; the exercise passes 1-D s, where the loop is right.
    def softmax_grad(s):
        jacobian_m = np.diag(s)
        for i in range(len(jacobian_m)):
            for j in range(len(jacobian_m)):
                jacobian_m[i][j] = s[i] * (1 - s[i]) if i == j else -s[i] * s[j]
        return jacobian_m

    assert check_softmax_jacobian(softmax_grad).passed
