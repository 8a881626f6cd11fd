"""Scores, exercise ids and grading mode (softmax_course.grading), against the stubs, the
worked solutions and every known mistake of the checker tests and the seed threads."""

from __future__ import annotations

import contextlib
import json
import os

import numpy as np
import pytest

import softmax_course
from softmax_course import exercises, solutions
from softmax_course.exercises import _session, check_softmax
from softmax_course.grading import EXERCISES, SCORE_RULE, grading
from tests import (
    test_exercises_backward,
    test_exercises_cross_entropy,
    test_exercises_forward,
    test_exercises_jacobian,
    test_exercises_streaming,
    test_exercises_threads,
    test_exercises_training,
)
from tests.exercise_learners import (
    ALL_CHECKERS,
    PITFALLS,
    StubTemperatureLayer,
    _bad_functions,
)

IDS = [e.id for e in EXERCISES]


def _solution(exercise):
    """The worked solution of an exercise: by its function's name, else its reference."""
    return getattr(solutions, exercise.function, None) or getattr(solutions, exercise.reference)


def _stub(exercise):
    if exercise.function == "SoftmaxWithTemperature":
        return StubTemperatureLayer

    def stub(*args):
        raise NotImplementedError("replace this line with your code")

    stub.__name__ = exercise.function
    return stub


def _check(exercise, fn):
    if exercise.id == "08.fused_softmax":  # as its checker advises: compile before checking
        for dtype in (np.float64, np.float32):
            with contextlib.suppress(Exception):  # a stub or a mistake is judged by the check
                fn(np.zeros((1, 2), dtype=dtype))
    return getattr(exercises, exercise.checker)(fn, **exercise.kwargs)


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_stub_scores_0_and_solution_scores_1(exercise):
    stub = _check(exercise, _stub(exercise))
    assert (stub.passed, stub.score) == (False, 0.0)
    assert stub.exercise == exercise.id  # the stub has the exercise's own name
    assert stub.version == softmax_course.__version__
    solved = _check(exercise, _solution(exercise))
    assert (solved.passed, solved.score) == (True, 1.0), solved.problems


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_grading_mode_scores_stub_0_and_solution_1_with_fresh_inputs(exercise):
    with grading(seed=20261202, raise_on_failure=False):
        solved = _check(exercise, _solution(exercise))
        stub = _check(exercise, _stub(exercise))
    assert (solved.passed, solved.score, solved.seed) == (True, 1.0, 20261202), solved.problems
    assert (stub.passed, stub.score) == (False, 0.0)
    plain = _check(exercise, _solution(exercise))
    # the fresh inputs are extra calls (exercises with inputs to draw)
    assert solved.checks > plain.checks or exercise.draw is None


def _known_mistakes():
    for module in (
        test_exercises_backward,
        test_exercises_cross_entropy,
        test_exercises_forward,
        test_exercises_jacobian,
        test_exercises_streaming,
        test_exercises_training,
    ):
        for param in module.MISTAKES:
            name, fn, _ = param.values
            yield pytest.param(getattr(exercises, name), fn, id=param.id)
    for checker, fn, _ in PITFALLS:
        yield pytest.param(checker, fn, id=f"pitfall-{fn.__name__}")
    for case, checker, fn, _ in test_exercises_threads.NAMED:
        yield pytest.param(checker, fn, id=f"thread-{case}")
    for checker in ALL_CHECKERS:  # functions that raise, return None, NaN, a string...
        for fn in _bad_functions(1):
            yield pytest.param(checker, fn, id=f"{checker.__name__}-{fn.__name__}")


@pytest.mark.parametrize(("checker", "fn"), list(_known_mistakes()))
def test_every_known_mistake_scores_below_1(checker, fn):
    report = checker(fn)
    assert not report.passed
    assert 0.0 <= report.score < 1.0


def test_score_is_the_share_of_calls_without_a_problem():
    def right_for_vectors_only(x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim > 1:
            raise ValueError("batches are not handled")
        e = np.exp(x - x.max())
        return e / e.sum()

    report = check_softmax(right_for_vectors_only)
    assert not report.passed and report.checks > 0
    # partial credit: the vectors passed, the batches did not
    assert 0.0 < report.score < 1.0
    # an independent count: the battery's calls with a 1-D first argument
    calls = []
    original = _session._Session.call

    def counting(self, args, *rest, **kwargs):
        calls.append(np.ndim(args[0]) if args else 0)
        return original(self, args, *rest, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_session, "_CAN_FORK", False)
        mp.setattr(_session._Session, "call", counting)
        check_softmax(right_for_vectors_only)
    vectors = sum(1 for ndim in calls if ndim == 1)
    assert report.score <= vectors / len(calls)


def test_grading_mode_raises_assertion_with_the_diagnosis():
    with grading(seed=1), pytest.raises(AssertionError) as raised:
        check_softmax(test_exercises_threads.t003_transposed)
    # the diagnosis of the fixed inputs first, then what the drawn inputs showed
    assert str(raised.value).startswith(str(check_softmax(test_exercises_threads.t003_transposed)))
    assert "drawn at grading time (seed 1)" in str(raised.value)
    with grading(seed=1):
        assert check_softmax(solutions.softmax_rowwise).passed  # no raise when it passes


def test_grading_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOFTMAX_COURSE_GRADING", "1")
    monkeypatch.setenv("SOFTMAX_COURSE_SEED", "7")
    report = check_softmax(solutions.softmax_rowwise)
    assert report.seed == 7
    with pytest.raises(AssertionError, match="not passed"):
        check_softmax(test_exercises_threads.t003_transposed)
    monkeypatch.setenv("SOFTMAX_COURSE_GRADING", "0")
    assert check_softmax(test_exercises_threads.t003_transposed).score < 1.0  # no raise


def _hard_coded_softmax():
    """An answer that looks its inputs up in a table of the checker's fixed inputs."""
    fixed = [v for v in vars(_session).values() if isinstance(v, np.ndarray)]
    table = {(x.shape, x.astype(np.float64).tobytes()): solutions.softmax_rowwise(x) for x in fixed}

    def my_softmax(x):
        x = np.asarray(x, dtype=np.float64)
        return table.get((x.shape, x.tobytes()), np.full(x.shape, 1.0 / x.shape[-1]))

    return my_softmax


def test_hard_coded_answer_fails_in_grading_mode_and_the_seed_repeats_the_score():
    fn = _hard_coded_softmax()
    with grading(seed=5, raise_on_failure=False):
        first = check_softmax(fn)
        again = check_softmax(fn)
    assert not first.passed
    assert any("drawn at grading time (seed 5)" in p for p in first.problems)
    assert (first.score, first.problems) == (again.score, again.problems)


def test_feedback_hides_the_drawn_inputs_unless_asked():
    fn = _hard_coded_softmax()
    with grading(seed=5, raise_on_failure=False):
        hidden = check_softmax(fn)
    with grading(seed=5, raise_on_failure=False, show_hidden=True):
        shown = check_softmax(fn)
    fresh_hidden = next(p for p in hidden.problems if "drawn at grading time" in p)
    fresh_shown = next(p for p in shown.problems if "drawn at grading time" in p)
    assert "expected" not in fresh_hidden and "[" not in fresh_hidden
    assert "expected" in fresh_shown and "[" in fresh_shown


def test_learners_display_is_unchanged_by_the_new_fields():
    report = check_softmax(test_exercises_threads.t003_transposed)
    lines = str(report).splitlines()
    assert lines[0] == "check_softmax(t003_transposed): not passed"
    assert "score" not in str(report) + report._repr_markdown_() + report._repr_html_()


@pytest.mark.parametrize("grading_env", ["1", "0"])
def test_nbgrader_scores_a_failing_check_cell_0_in_grading_mode(grading_env):
    """nbgrader's own scoring function (nbgrader.utils.determine_grade) on executed cells."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    # softmax-course[grading] (Python >= 3.11, where nbgrader 0.9.6 installs)
    determine_grade = pytest.importorskip("nbgrader.utils").determine_grade
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np\nfrom softmax_course.exercises import check_softmax\n"
            "def wrong(x):\n    return np.exp(x) / np.sum(np.exp(x), axis=0)\n"
            "def right(x):\n    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n"
            "    return e / np.sum(e, axis=-1, keepdims=True)"
        ),
        nbformat.v4.new_code_cell("check_softmax(wrong)"),
        nbformat.v4.new_code_cell("check_softmax(right)"),
    ]
    for number, cell in enumerate(nb.cells[1:]):  # nbgrader "autograder tests", 3 points each
        cell.metadata["nbgrader"] = {
            "grade": True,
            "solution": False,
            "locked": True,
            "points": 3,
            "grade_id": f"check_{number}",
            "schema_version": 3,
        }
    old = dict(os.environ)
    os.environ.update(SOFTMAX_COURSE_GRADING=grading_env, SOFTMAX_COURSE_SEED="3")
    try:
        nbclient.NotebookClient(nb, timeout=120, allow_errors=True).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    wrong, right = (determine_grade(cell)[0] for cell in nb.cells[1:])
    assert right == 3.0
    # grading mode: 0; the learner's mode displays the report, which nbgrader gives full marks
    assert wrong == (0.0 if grading_env == "1" else 3.0)
    if grading_env == "1":
        assert "rows do not sum to 1" in json.dumps(nb.cells[1]["outputs"])


def test_score_rule_is_stated():
    assert "share" in SCORE_RULE and "0 for a stub" in SCORE_RULE
