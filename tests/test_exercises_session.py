"""Tests of :mod:`softmax_course.exercises._session`.

The machinery shared by every checker: stubs, exceptions, odd results, displays.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import softmax_course as sc
from softmax_course import exercises, pitfalls, solutions
from softmax_course.exercises import (
    NOT_IMPLEMENTED,
    CheckReport,
    check_cross_entropy_grad,
    check_softmax,
    check_softmax_vjp,
)
from tests.exercise_learners import (
    ALL_CHECKERS,
    CASES,
    IDS,
    ODD_RETURNS,
    _bad_functions,
    _sm,
    _stubs,
    _temperature_layer,
    raise_not_implemented,
)


@pytest.mark.parametrize("checker", ALL_CHECKERS)
def test_stub_is_not_implemented_yet(checker):
    report = checker(raise_not_implemented)
    assert report.passed is False
    assert report.problems == [exercises.NOT_IMPLEMENTED]
    assert report.problems[0].startswith("not implemented yet")
    assert report.checks == 0


def test_stub_report_text_is_deterministic():
    report = check_softmax(_stubs())
    assert str(report) == (
        "check_softmax(my_softmax): not passed\n"
        "  - not implemented yet: replace `raise NotImplementedError` with your code, "
        "then run this check again"
    )
    assert repr(report) == str(report)
    assert str(check_softmax(_stubs())) == str(report)


@pytest.mark.parametrize("checker", ALL_CHECKERS)
@pytest.mark.parametrize("index", range(14))
def test_checkers_never_raise_and_never_warn(checker, index):
    fn = _bad_functions(1)[index]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = checker(fn)
    assert isinstance(report, CheckReport)
    assert report.passed is False
    assert report.problems
    assert all(isinstance(p, str) and p for p in report.problems)


@pytest.mark.parametrize("checker", ALL_CHECKERS)
def test_exception_is_reported_with_type_and_message(checker):
    def broken(*args):
        raise KeyError("no such class")

    report = checker(broken)
    assert report.problems[0].startswith("raised KeyError: 'no such class' for ")
    assert len(report.problems) == 1  # the first input fails: the rest would only repeat it


def test_none_result_suggests_return():
    assert check_softmax(lambda x: None).problems == [
        "your function returned None: did you forget `return`?"
    ]


@pytest.mark.parametrize("checker", ALL_CHECKERS)
def test_not_a_function(checker):
    report = checker(np.array([1.0, 2.0]))
    assert report.problems == [
        "expected a function; received ndarray (pass the function itself, without calling it)"
    ]


def test_checkers_do_not_share_state_between_calls():
    first = check_softmax(pitfalls.softmax_over_axis0)
    second = check_softmax(sc.softmax)
    third = check_softmax(pitfalls.softmax_over_axis0)
    assert second.passed and first.problems == third.problems


def test_passed_report_displays():
    report = check_softmax(solutions.softmax_rowwise)
    assert str(report) == "check_softmax(softmax_rowwise): passed"
    assert report._repr_markdown_() == "✅ **`check_softmax(softmax_rowwise)`** passed."
    assert "passed" in report._repr_html_() and "softmax-course-check passed" in (
        report._repr_html_()
    )


def test_failed_report_displays_escape_html():
    report = CheckReport("check_softmax(<lambda>)", passed=False, problems=["a < b & c"])
    assert str(report) == "check_softmax(<lambda>): not passed\n  - a < b & c"
    assert "<li>a &lt; b &amp; c</li>" in report._repr_html_()
    assert "&lt;lambda&gt;" in report._repr_html_()
    assert report._repr_markdown_().endswith("- a < b & c\n")


def test_stub_display_is_frozen_because_lessons_store_it():
    # Lessons store this exact output (all three MIME types) and nbval compares it:
    # changing the format means re-executing every lesson.
    report = check_softmax(_stubs())
    assert report._repr_html_() == (
        '<div class="softmax-course-check failed">❌ <b><code>check_softmax(my_softmax)</code>'
        "</b> not passed:<ul><li>not implemented yet: replace `raise NotImplementedError` with "
        "your code, then run this check again</li></ul></div>"
    )
    assert report._repr_markdown_() == (
        "❌ **`check_softmax(my_softmax)`** not passed:\n\n- not implemented yet: replace "
        "`raise NotImplementedError` with your code, then run this check again\n"
    )


def test_mutating_g_or_y_is_named():
    def vjp_in_place(s, g):
        g -= np.sum(s * g, axis=-1, keepdims=True)
        return s * g

    def grad_in_place(z, y):
        y -= sc.softmax(z)
        y /= -len(z)
        return y

    assert check_softmax_vjp(vjp_in_place).problems == [exercises.MUTATION.format(name="g")]
    assert check_cross_entropy_grad(grad_in_place).problems == [exercises.MUTATION.format(name="y")]


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(ALL_CHECKERS),
    st.lists(st.integers(0, 4), max_size=3),
    st.sampled_from([0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e308, 5e-324]),
    st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.bool_]),
)
def test_any_returned_array_gives_a_report(checker, shape, value, dtype):
    def fn(*args):
        with np.errstate(all="ignore"):
            return np.full(shape, value).astype(dtype)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = checker(fn)
    assert isinstance(report, CheckReport)
    assert report.passed is False
    assert report.problems and all(isinstance(p, str) for p in report.problems)
    str(report), report._repr_html_(), report._repr_markdown_()


def test_an_exception_that_cannot_be_printed_is_still_reported():
    class Strange(Exception):
        def __str__(self):
            raise RuntimeError("no text")

    def fn(x):
        raise Strange

    assert check_softmax(fn).problems == [
        f"raised Strange for every input tried ({check_softmax(fn).checks} calls), "
        "the first [3.0, 1.0, 0.2]"
    ]


def test_every_new_checker_is_public():
    for name, *_ in CASES:
        assert name in exercises.__all__
        assert f":func:`{name}`" in exercises.__doc__


@pytest.mark.parametrize(("name", "solution", "stub", "failing"), CASES, ids=IDS)
def test_worked_solution_passes(name, solution, stub, failing):
    report = getattr(exercises, name)(solution)
    assert isinstance(report, CheckReport)
    assert report.passed, report.problems
    assert report.problems == []
    assert report.checks > 0
    assert str(report).endswith(": passed")


@pytest.mark.parametrize(("name", "solution", "stub", "failing"), CASES, ids=IDS)
def test_lesson_stub_is_not_implemented_yet(name, solution, stub, failing):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = getattr(exercises, name)(stub)
    assert not report.passed
    assert report.problems[0] == NOT_IMPLEMENTED
    assert all(p == NOT_IMPLEMENTED or p.startswith("hint: ") for p in report.problems)
    assert "not implemented yet" in report._repr_markdown_()
    assert "not implemented yet" in report._repr_html_()


@pytest.mark.parametrize(("name", "solution", "stub", "failing"), CASES, ids=IDS)
def test_exception_is_reported_not_raised(name, solution, stub, failing):
    report = getattr(exercises, name)(failing)
    assert not report.passed
    assert len(report.problems) == 1
    assert report.problems[0].startswith("raised ValueError: something went wrong inside for ")


@pytest.mark.parametrize(("name", "solution", "stub", "failing"), CASES, ids=IDS)
def test_not_a_function_is_reported(name, solution, stub, failing):
    report = getattr(exercises, name)(42)
    assert not report.passed
    assert "expected a function; received int" in report.problems[0]


@pytest.mark.parametrize(("name", "solution", "stub", "failing"), CASES, ids=IDS)
def test_returning_none_suggests_return(name, solution, stub, failing):
    if name == "check_softmax_with_temperature":
        fn = _temperature_layer(lambda s, g, T: None)
    else:

        def fn(*args):
            return None

    report = getattr(exercises, name)(fn)
    assert report.problems == ["your function returned None: did you forget `return`?"]


def test_specific_messages_come_alone():
    """A recognised mistake is not followed by a generic 'wrong values' for the same cause."""
    report = exercises.check_grad_soft_targets(lambda z, y: (_sm(z) - y) / len(z))
    assert report.problems == [exercises.SOFT_ASSUMES_ONE]
    report = exercises.check_chain_through_jacobian(lambda g, J: np.einsum("nj,nij->ni", g, J))
    assert report.problems == [exercises.CHAIN_J_G]
    report = exercises.check_softmax_columns(lambda X: _sm(X, axis=-1))
    assert report.problems == [exercises.COLUMNS_ROWS]


@pytest.mark.parametrize("value", ODD_RETURNS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("name", IDS)
def test_any_returned_value_gives_a_report_without_warnings(name, value):
    if name == "check_softmax_with_temperature":
        fn = _temperature_layer(lambda s, g, T: value)
    else:

        def fn(*args):
            return value

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = getattr(exercises, name)(fn)
    assert isinstance(report, CheckReport)
    assert not report.passed
    assert report.problems
    assert str(report).startswith(f"{name}(")
