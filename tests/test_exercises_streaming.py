"""Tests of :mod:`softmax_course.exercises.streaming`.

The single-pass logsumexp over a stream.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from softmax_course import exercises
from tests.exercise_learners import (
    _mistakes,
    _naive_stream,
    _no_rescale_stream,
    _two_pass_stream,
    assert_mistake_named,
)

MINE = {"check_online_logsumexp_stream"}


def _mine(cases):
    return [case for case in cases if case[0].__name__ in MINE]


MISTAKES = [
    *_mistakes(
        "check_online_logsumexp_stream",
        (_two_pass_stream, exercises.STREAM_TWO_PASSES),
        (_naive_stream, exercises.STREAM_OVERFLOW),
        (_no_rescale_stream, exercises.STREAM_NO_RESCALE),
        (lambda values: max(values), "you returned"),
    ),
]


@pytest.mark.parametrize(("name", "fn", "message"), MISTAKES)
def test_each_mistake_gets_its_own_message(name, fn, message):
    assert_mistake_named(getattr(exercises, name), fn, message)


def test_stream_stored_in_a_list_is_the_two_pass_cheat():
    # Reading the stream into a list and reducing it afterwards is what the exercise forbids.
    def via_list(values):
        return float(scipy.special.logsumexp(np.array(list(values))))

    def via_fromiter(values):
        return float(scipy.special.logsumexp(np.fromiter(values, dtype=float)))

    for fn in (via_list, via_fromiter):
        problems = exercises.check_online_logsumexp_stream(fn).problems
        assert len(problems) == 1
        assert problems[0].startswith("your function kept the whole stream in memory")


def test_one_pass_with_numpy_scalars_is_not_accused_of_storing():
    def online(values):
        m, d = -np.inf, 0.0
        for v in values:
            if v == -np.inf:  # a masked score: exp(-inf - (-inf)) would be NaN
                continue
            m_new = np.maximum(m, v)
            d = d * np.exp(m - m_new) + np.exp(v - m_new)
            m = m_new
        return float(m + np.log(d))

    assert exercises.check_online_logsumexp_stream(online).passed
