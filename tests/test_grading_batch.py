"""Batch grading (softmax_course.grading.batch) on a small generated class: every kind of
submission once (tests/grading_class.py), the expected score for each exercise."""

from __future__ import annotations

import csv
import json
import zipfile

import pytest

from softmax_course.cli import main
from softmax_course.grading import SCORE_RULE
from softmax_course.grading.table import DISCUSSIONS
from softmax_course.grading.worker import guess_lesson, learner_statements
from tests.grading_class import make_class, mismatches

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The generated class, zipped (one of each kind, and a few known mistakes), graded."""
    root = tmp_path_factory.mktemp("class")
    expected = make_class(root / "class", 16)
    with zipfile.ZipFile(root / "class.zip", "w") as archive:
        for path in sorted((root / "class").glob("*.ipynb")):
            archive.write(path, f"submissions/{path.name}")
    assert main(["grade", str(root / "class.zip"), "--out", str(root / "out"), "--seed", "5"]) == 0
    return root / "out", expected


def test_every_submission_gets_its_expected_scores(graded):
    out, expected = graded
    assert mismatches(out / "grades.csv", expected) == []


def test_csv_has_a_column_per_exercise_the_seed_and_a_manual_column(graded):
    out, expected = graded
    with (out / "grades.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(expected)
    assert {row["seed"] for row in rows} == {"5"}
    header = set(rows[0])
    assert {"03.log_softmax", "03.softmax", "03.largest_finite_exp_input"} <= header
    # lesson 03 has no discussion exercise: no manual column
    assert not [h for h in header if h.startswith("manual:")]
    tampered = next(r for r in rows if r["student"].endswith("tampered_notebook_wrong"))
    assert "numpy.allclose" in tampered["notes"]


def test_results_json_is_gradescope_shaped_and_feedback_is_written(graded):
    out, expected = graded
    for student in expected:
        result = json.loads((out / "results" / f"{student}.json").read_text(encoding="utf-8"))
        assert result["extra_data"]["score_rule"] == SCORE_RULE
        assert result["extra_data"]["seed"] == 5
        for test in result["tests"]:
            assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
            assert 0.0 <= test["score"] <= test["max_score"] == 1.0
        assert result["score"] == pytest.approx(sum(t["score"] for t in result["tests"]))
        feedback = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
        assert feedback.startswith(f"# Feedback: {student}")


def test_feedback_hides_the_drawn_inputs(graded):
    out, expected = graded
    student = next(s for s, e in expected.items() if e["kind"] == "hard_coded")
    feedback = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
    assert "drawn at grading time (seed 5)" in feedback
    line = next(x for x in feedback.splitlines() if "drawn at grading time" in x)
    assert "expected" not in line and "[" not in line


def test_learner_statements_keep_definitions_only():
    module = learner_statements(
        "import numpy as np\n%timeit f()\nexercises.check_softmax = None\nK = 3\n"
        "Y = np.eye(K)\ndef f(x):\n    return x\nclass L:\n    pass\nf(1)\ng = f\nh = np.exp\n"
    )
    kinds = [type(node).__name__ for node in module.body]
    assert kinds == ["Import", "Assign", "FunctionDef", "ClassDef", "Assign", "Assign"]
    assert learner_statements("def f(:\n") is None


def test_lesson_is_guessed_from_the_exercise_functions():
    cells = ["def cross_entropy_grad(z, y):\n    pass", "def kl_divergence(p, q):\n    pass"]
    assert guess_lesson(cells) == "06"
    assert guess_lesson(["def my_softmax(x):\n    pass"], "02_broadcasting_and_axes.ipynb") == "02"


def test_discussion_exercises_get_a_manual_column(tmp_path):
    import shutil
    from pathlib import Path

    lesson = Path(__file__).parent.parent / "notebooks" / "02_broadcasting_and_axes.ipynb"
    (tmp_path / "in").mkdir()
    shutil.copyfile(lesson, tmp_path / "in" / "ada.ipynb")
    main(["grade", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--seed", "1"])
    with (tmp_path / "out" / "grades.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    manual = [d.id for d in DISCUSSIONS if d.lesson == "02"]
    assert manual and all(rows[0][f"manual:{m}"] == "" for m in manual)
    assert rows[0]["02.my_softmax"] == "0.0000"  # the stored stub


def test_a_numba_function_is_compiled_before_its_checks_time_it():
    numba = pytest.importorskip("numba")
    from softmax_course.grading import worker

    doubled = numba.njit(lambda x: x * 2)
    worker._compile_first(doubled)  # float64 and float32, outside the checks' time limits
    assert len(doubled.signatures) == 2
    worker._compile_first(lambda x: 1 / 0)  # a plain function is not called at all
