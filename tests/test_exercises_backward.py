"""Tests of :mod:`softmax_course.exercises.backward`.

The VJP, the chain rule through a batch of Jacobians and the temperature layer.
"""

from __future__ import annotations

import numpy as np
import pytest

from softmax_course import exercises, solutions
from softmax_course.exercises import (
    check_softmax_vjp,
)
from tests.exercise_learners import (
    CORRECT,
    PITFALLS,
    StubTemperatureLayer,
    _mistakes,
    _sm,
    _temperature_layer,
    assert_mistake_named,
    assert_only_this_pitfall_named,
    assert_passes,
)

MINE = {"check_softmax_vjp", "check_chain_through_jacobian", "check_softmax_with_temperature"}


def _mine(cases):
    return [case for case in cases if case[0].__name__ in MINE]


MISTAKES = [
    *_mistakes(
        "check_chain_through_jacobian",
        (lambda g, J: np.einsum("nj,nij->ni", g, J), exercises.CHAIN_J_G),
        (lambda g, J: np.einsum("ni,nij->j", g, J), "you summed over the samples n as well"),
        (lambda g, J: 2 * np.einsum("ni,nij->nj", g, J), exercises.CHAIN_VALUES),
        (lambda g, J: np.einsum("ni,nij->nij", g, J), "expected shape (5, 3)"),
    ),
    *_mistakes(
        "check_softmax_with_temperature",
        (_temperature_layer(lambda s, g, T: solutions.vjp(s, g)), exercises.TEMPERATURE_NO_FACTOR),
        (
            _temperature_layer(lambda s, g, T: solutions.vjp(s, g) * T),
            exercises.TEMPERATURE_TIMES_T,
        ),
        (_temperature_layer(lambda s, g, T: -solutions.vjp(s, g) / T), exercises.VJP_SIGN),
        (_temperature_layer(lambda s, g, T: s * (1 - s) * g / T), exercises.VJP_DIAGONAL),
        (_temperature_layer(lambda s, g, T: s * g / T), "relative error"),
    ),
]


@pytest.mark.parametrize(("name", "fn", "message"), MISTAKES)
def test_each_mistake_gets_its_own_message(name, fn, message):
    assert_mistake_named(getattr(exercises, name), fn, message)


@pytest.mark.parametrize(
    ("checker", "fn"), _mine(CORRECT), ids=lambda v: getattr(v, "__name__", "")
)
def test_correct_implementations_pass(checker, fn):
    assert_passes(checker, fn)


@pytest.mark.parametrize(
    ("checker", "fn", "message"), _mine(PITFALLS), ids=[fn.__name__ for _, fn, _ in _mine(PITFALLS)]
)
def test_each_pitfall_gets_exactly_its_own_message(checker, fn, message):
    assert_only_this_pitfall_named(checker, fn, message, PITFALLS)


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda s, g: -(s * (g - np.sum(s * g, axis=-1, keepdims=True))), exercises.VJP_SIGN),
        (lambda s, g: s * g, exercises.VJP_NO_INNER),
        (lambda s, g: g * (s - np.sum(s * g, axis=-1, keepdims=True)), exercises.VJP_SWAPPED),
        (lambda s, g: s * (g - np.sum(s * g)), exercises.VJP_BATCH),
        (lambda s, g: s * (g - np.sum(s * g, axis=0)), exercises.VJP_BATCH),
    ],
)
def test_vjp_mistakes(fn, message):
    assert message in check_softmax_vjp(fn).problems


def test_vjp_returning_the_jacobian():
    def jacobian(s, g):
        return s[..., :, None] * np.eye(s.shape[-1]) - s[..., :, None] * s[..., None, :]

    problems = check_softmax_vjp(jacobian).problems
    assert problems[0] == exercises.VJP_JACOBIAN.format(shape=(3, 3))


def test_layer_forward_failure_is_reported():
    class BrokenForward(StubTemperatureLayer):
        def forward(self, z):
            raise TypeError("bad forward")

    report = exercises.check_softmax_with_temperature(BrokenForward)
    assert report.problems == [
        "raised TypeError: bad forward for forward for T = 0.5, a batch of shape (4, 3), "
        "forward for T = 3, one sample with K = 4 and forward for T = 1, logits spread far "
        "apart, [[-1400, 700, 0], [1000, 0, -5]]"
    ]


def test_layer_with_a_wrong_forward_is_reported():
    class NoTemperatureForward(solutions.SoftmaxWithTemperature):
        def forward(self, z):
            self.s = _sm(np.asarray(z))
            return self.s

    report = exercises.check_softmax_with_temperature(NoTemperatureForward)
    assert not report.passed
    assert report.problems[0].startswith(
        "forward for T = 0.5, a batch of shape (4, 3) does not return softmax(z / T)"
    )


def test_layer_without_backward_is_reported():
    class NoBackward:
        def __init__(self, temperature):
            self.temperature = temperature

        def forward(self, z):
            return _sm(z / self.temperature)

    report = exercises.check_softmax_with_temperature(NoBackward)
    assert not report.passed
    assert report.problems == [
        "layer_class(0.5) returned NoBackward, which has no backward() method: pass the layer "
        "class itself, e.g. check_softmax_with_temperature(SoftmaxWithTemperature)"
    ]


# --- confirmed diagnoses: each appears for its mistake, and only there -----------------------


def test_batch_message_names_the_cause_only_when_confirmed():
    def zeros_for_batches(s, g):  # right for 1-D input, wrong for batches for no known reason
        if s.ndim == 1:
            return s * (g - np.sum(s * g))
        return np.zeros_like(s)

    problems = check_softmax_vjp(zeros_for_batches).problems
    assert exercises.VJP_BATCH not in problems
    assert problems[0].startswith("right for 1-D s and g but wrong for a batch of shape (4, 3)")


def test_float32_vjp_is_judged_at_float32_precision():
    def in_float32(s, g):
        s32, g32 = np.asarray(s, np.float32), np.asarray(g, np.float32)
        return s32 * (g32 - np.sum(s32 * g32, axis=-1, keepdims=True))

    for answer in (in_float32, lambda s, g: in_float32(s, g).astype(np.float64)):
        (problem,) = check_softmax_vjp(answer).problems  # float64 asked: not passed
        assert problem.startswith("correct to float32 precision only")
        assert "every number in your answer is a float32 number" in problem


def test_summed_over_samples_only_when_it_is_the_sum():
    problems = exercises.check_chain_through_jacobian(lambda g, J: np.zeros(g.shape[1])).problems
    assert not any("you summed over the samples" in p for p in problems)
    assert problems[0].startswith("returned shape (3,) for N = 5, K = 3; expected shape (5, 3)")
