"""The worked solutions against scipy.special, finite differences and the checkers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import softmax_course
from softmax_course import solutions
from softmax_course.exercises import (
    check_cross_entropy_grad,
    check_log_softmax,
    check_softmax,
    check_softmax_jacobian,
    check_softmax_vjp,
)
from tests.references import central_jacobian
from tests.strategies import batches, logits


def test_not_exported_at_top_level():
    assert "solutions" not in softmax_course.__all__


@pytest.mark.parametrize("name", solutions.__all__)
def test_every_solution_names_its_lesson(name):
    assert "lesson" in getattr(solutions, name).__doc__


@pytest.mark.parametrize(
    ("checker", "fn", "kwargs"),
    [
        (check_softmax, solutions.softmax_rowwise, {}),
        (check_softmax, solutions.softmax_with_temperature, {}),
        (check_softmax, solutions.online_softmax, {}),
        (check_log_softmax, solutions.log_softmax_stable, {}),
        (check_softmax_jacobian, solutions.jacobian_from_probs, {}),
        (check_softmax_jacobian, solutions.jacobian_from_logits, {"takes": "logits"}),
        (check_softmax_vjp, solutions.vjp, {}),
        (check_cross_entropy_grad, solutions.cross_entropy_grad_from_logits, {}),
    ],
)
def test_solutions_pass_their_checker(checker, fn, kwargs):
    report = checker(fn, **kwargs)
    assert report.passed, report.problems


@given(logits())
def test_softmax_solutions_match_scipy(x):
    expected = scipy.special.softmax(x, axis=-1)
    assert_allclose(solutions.softmax_rowwise(x), expected, rtol=1e-13, atol=1e-300)
    assert_allclose(solutions.online_softmax(x), expected, rtol=1e-12, atol=1e-300)
    assert_allclose(
        solutions.log_softmax_stable(x),
        scipy.special.log_softmax(x, axis=-1),
        rtol=1e-12,
        atol=1e-12,
    )


@given(logits(), st.floats(0.1, 10.0))
def test_temperature_matches_scipy_on_scaled_logits(x, temperature):
    assert_allclose(
        solutions.softmax_with_temperature(x, temperature),
        scipy.special.softmax(x / temperature, axis=-1),
        rtol=1e-12,
        atol=1e-300,
    )


def test_online_softmax_on_extreme_and_float32_input():
    x = np.array([[1000.0, 5.0, -1000.0], [-1000.0, -1001.0, -999.0]])
    assert_allclose(solutions.online_softmax(x), scipy.special.softmax(x, axis=-1), rtol=1e-13)
    x32 = x.astype(np.float32)
    assert solutions.online_softmax(x32).dtype == np.float32


@given(logits(max_dims=1, min_side=1))
def test_jacobians_match_finite_differences(z):
    expected = central_jacobian(lambda v: scipy.special.softmax(v), z)
    assert_allclose(solutions.jacobian_from_logits(z), expected, atol=1e-8)
    s = scipy.special.softmax(z)
    assert_allclose(solutions.jacobian_from_probs(s), expected, atol=1e-8)


@given(batches())
def test_batch_jacobian_stacks_the_single_jacobians(x):
    s = scipy.special.softmax(x, axis=-1)
    J = solutions.batch_jacobian(s)
    assert J.shape == (*x.shape, x.shape[-1])
    for n in range(x.shape[0]):
        assert_allclose(J[n], np.diag(s[n]) - np.outer(s[n], s[n]), rtol=1e-14, atol=1e-300)


@given(batches(), st.data())
def test_vjp_and_chain_rule_agree_with_the_jacobian(x, data):
    s = scipy.special.softmax(x, axis=-1)
    g = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(size=x.shape)
    J = np.stack([np.diag(row) - np.outer(row, row) for row in s])
    expected = np.einsum("nij,ni->nj", J, g)
    assert_allclose(solutions.vjp(s, g), expected, rtol=1e-10, atol=1e-14)
    assert_allclose(solutions.chain_through_jacobian(g, J), expected, rtol=1e-10, atol=1e-14)


def test_cross_entropy_and_its_gradient_by_finite_differences():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4))
    y = np.eye(4)[[0, 3, 1, 1, 2]]

    def loss(flat):
        return -np.sum(y * scipy.special.log_softmax(flat.reshape(z.shape), axis=-1)) / 5

    assert_allclose(solutions.cross_entropy_from_logits(z, y), loss(z.ravel()), rtol=1e-13)
    numerical = central_jacobian(loss, z.ravel()).reshape(z.shape)
    assert_allclose(solutions.cross_entropy_grad_from_logits(z, y), numerical, atol=1e-8)


def test_cross_entropy_chain_rule_collapses_to_s_minus_y_over_n():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 3))
    y = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    s = scipy.special.softmax(z, axis=-1)
    through_jacobian = solutions.chain_through_jacobian(-(y / s) / 6, solutions.batch_jacobian(s))
    assert_allclose(through_jacobian, (s - y) / 6, rtol=1e-12, atol=1e-15)


def test_solutions_do_not_mutate_their_input():
    x = np.random.default_rng(2).normal(size=(3, 4))
    x.setflags(write=False)
    for fn in (
        solutions.softmax_rowwise,
        solutions.log_softmax_stable,
        solutions.online_softmax,
    ):
        fn(x)


# --- the lesson-specific exercises (the same properties the lessons' check cells test) -----


@pytest.mark.parametrize(
    "p", [[0.7, 0.2, 0.1], [0.5, 0.5], [0.01, 0.01, 0.98], [0.2] * 5, [1e-300, 1.0 - 1e-16]]
)
def test_logits_from_probabilities_round_trip(p):
    p = np.array(p)
    assert_allclose(scipy.special.softmax(solutions.logits_from_probabilities(p)), p, rtol=1e-12)


@pytest.mark.parametrize(
    ("z", "target"),
    [
        ([2.0, 1.0, -1.0], 0.9),
        ([2.0, 1.0, -1.0], 0.5),
        ([0.0, 0.1, 0.2, 0.3], 0.99),
        ([4.0, 0.0], 0.6),
        ([1000.0, 0.0, -1000.0], 0.999999),
        ([1e-4, 0.0], 0.9),
    ],
)
def test_temperature_for_confidence_hits_the_target(z, target):
    z = np.array(z)
    T = solutions.temperature_for_confidence(z, target)
    assert T > 0
    assert abs(scipy.special.softmax(z / T).max() - target) < 1e-9


@pytest.mark.parametrize(
    ("z", "target", "pattern"),
    [
        ([1.0, 2.0], 0.5, r"target must lie strictly between 1/K = 0.5 and 1; received 0.5"),
        ([1.0, 2.0], 1.0, r"received 1.0"),
        ([1.0, 1.0], 0.7, r"z must not have all logits equal"),
    ],
)
def test_temperature_for_confidence_rejects_impossible_targets(z, target, pattern):
    with pytest.raises(ValueError, match=pattern):
        solutions.temperature_for_confidence(np.array(z), target)


@given(batches())
def test_softmax_columns_matches_scipy_over_axis_0(X):
    assert_allclose(
        solutions.softmax_columns(X), scipy.special.softmax(X, axis=0), rtol=1e-13, atol=1e-300
    )


def test_breaking_batch_breaks_the_global_max_only():
    from softmax_course.pitfalls import softmax_with_global_max

    X = solutions.make_breaking_batch()
    assert X.shape == (2, 3) and X.dtype == np.float64 and np.isfinite(X).all()
    with np.errstate(invalid="ignore"):
        assert np.isnan(softmax_with_global_max(X)).any()
    assert np.isfinite(scipy.special.softmax(X, axis=-1)).all()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_largest_finite_exp_input_is_the_threshold(dtype):
    x = solutions.largest_finite_exp_input(dtype)
    assert isinstance(x, np.generic) and x.dtype == dtype
    with np.errstate(over="ignore"):
        assert np.isfinite(np.exp(x))
        assert np.isinf(np.exp(np.nextafter(x, dtype(np.inf))))


@given(logits(max_dims=1), st.data())
def test_quadratic_form_is_v_j_v(z, data):
    s = scipy.special.softmax(z)
    v = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(size=z.shape)
    J = np.diag(s) - np.outer(s, s)
    assert_allclose(solutions.quadratic_form(s, v), v @ J @ v, rtol=1e-9, atol=1e-14)
    assert solutions.quadratic_form(s, np.full_like(v, 3.7)) < 1e-14  # constant v: zero


def test_softmax_with_temperature_layer_by_finite_differences():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(4, 3))
    y = np.eye(3)[[0, 2, 1, 1]]
    T = 0.5

    def loss(flat):
        s = scipy.special.softmax(flat.reshape(z.shape) / T, axis=-1)
        return 0.5 * np.sum((s - y) ** 2) / 4

    layer = solutions.SoftmaxWithTemperature(T)
    s = layer.forward(z)
    assert_allclose(s, scipy.special.softmax(z / T, axis=-1), rtol=1e-14)
    dz = layer.backward((s - y) / 4)  # the squared error's gradient, mean over N = 4
    numerical = central_jacobian(loss, z.ravel()).reshape(z.shape)
    assert_allclose(dz, numerical, atol=1e-8)
    assert isinstance(layer, softmax_course.nn.Layer)


def test_loss_from_labels_against_scipy_even_for_huge_logits():
    rng = np.random.default_rng(0)
    for scale in (1.0, 1e4):
        z = rng.normal(size=(7, 4)) * scale
        labels = rng.integers(0, 4, size=7)
        log_s = scipy.special.log_softmax(z, axis=-1)
        expected = -np.mean(log_s[np.arange(7), labels])
        assert_allclose(solutions.loss_from_labels(z, labels), expected, rtol=1e-12)


def test_grad_soft_targets_against_finite_differences():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(5, 3))
    y = rng.uniform(0.0, 2.0, size=(5, 3))  # rows sum to anything

    def loss(flat):
        return -np.sum(y * scipy.special.log_softmax(flat.reshape(z.shape), axis=-1)) / 5

    numerical = central_jacobian(loss, z.ravel()).reshape(z.shape)
    assert_allclose(solutions.grad_soft_targets(z, y), numerical, atol=1e-8)
    one_hot = np.eye(3)[[0, 1, 2, 0, 1]]
    assert_allclose(
        solutions.grad_soft_targets(z, one_hot),
        solutions.cross_entropy_grad_from_logits(z, one_hot),
        rtol=1e-14,
    )


def test_standardize_uses_training_statistics_only():
    A = np.random.default_rng(3).normal(5.0, 2.0, size=(20, 3))
    B = np.random.default_rng(4).normal(6.0, 1.0, size=(7, 3))
    A.setflags(write=False)
    B.setflags(write=False)
    A_std, B_std = solutions.standardize(A, B)
    assert_allclose(A_std.mean(axis=0), 0.0, atol=1e-14)
    assert_allclose(A_std.std(axis=0), 1.0, rtol=1e-14)
    assert_allclose(B_std, (B - A.mean(axis=0)) / A.std(axis=0), rtol=1e-14)


def test_confusion_matrix_counts_repeated_pairs():
    y_true = np.array([0, 0, 1, 2, 2, 2, 1])
    y_pred = np.array([0, 0, 2, 2, 1, 2, 1])
    expected = np.array([[2, 0, 0], [0, 1, 1], [0, 1, 2]])
    assert np.array_equal(solutions.confusion_matrix(y_true, y_pred, 3), expected)
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 4, size=50), rng.integers(0, 4, size=50)
    C = solutions.confusion_matrix(t, p, 4)
    assert C.sum() == 50
    assert all(C[i, j] == np.sum((t == i) & (p == j)) for i in range(4) for j in range(4))


def test_regression_gradients_against_finite_differences():
    rng = np.random.default_rng(6)
    X, W, b = rng.normal(size=(9, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    y = rng.integers(0, 3, size=9)

    def loss(W_, b_):
        log_s = scipy.special.log_softmax(X @ W_ + b_, axis=-1)
        return -np.mean(log_s[np.arange(9), y])

    dW, db = solutions.regression_gradients(X, W, b, y)
    numerical_W = central_jacobian(lambda w: loss(w.reshape(W.shape), b), W.ravel())
    numerical_b = central_jacobian(lambda v: loss(W, v), b)
    assert_allclose(dW, numerical_W.reshape(W.shape), atol=1e-8)
    assert_allclose(db, numerical_b, atol=1e-8)


# --- lesson 08 ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5,), (3, 4), (130, 7), (3, 70, 5)])
def test_blocked_softmax_matches_scipy_across_blocks(shape):
    x = np.random.default_rng(0).normal(size=shape) * 20
    x.setflags(write=False)
    assert_allclose(solutions.blocked_softmax(x), scipy.special.softmax(x, axis=-1), rtol=1e-13)


@pytest.mark.parametrize(
    "values",
    [[0.0, 0.0], [1.0, 2.0, 3.0], [1000.0, 1000.0], [-5.0, 0.0, 1000.0], [3.0], [-np.inf, 2.0]],
)
def test_online_logsumexp_stream_reads_once(values):
    result = solutions.online_logsumexp_stream(v for v in values)  # a generator: one pass
    assert_allclose(result, scipy.special.logsumexp(values), rtol=1e-14)


def test_online_logsumexp_stream_of_nothing():
    assert solutions.online_logsumexp_stream([]) == -np.inf


@pytest.mark.parametrize(
    ("checker", "fn"),
    [(check_softmax, solutions.blocked_softmax), (check_softmax_vjp, solutions.vjp_inplace)],
)
def test_lesson_08_solutions_pass_their_checker(checker, fn):
    report = checker(fn)
    assert report.passed, report.problems


# --- issue 16.5: N is the product of every axis but the class axis, as in the package --------


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_cross_entropy_from_logits_solutions_use_the_packages_n(shape):
    rng = np.random.default_rng(0)
    z = rng.normal(size=shape)
    y = softmax_course.softmax(rng.normal(size=shape))  # soft targets, rows sum to 1
    assert_allclose(
        solutions.cross_entropy_grad_from_logits(z, y),
        softmax_course.softmax_cross_entropy_grad(z, y),
        rtol=1e-13,
        atol=1e-16,
    )
    assert_allclose(
        solutions.cross_entropy_from_logits(z, y),
        softmax_course.softmax_cross_entropy(z, y),
        rtol=1e-13,
    )
    # and against finite differences of the loss, independently of the package
    numerical = central_jacobian(
        lambda v: solutions.cross_entropy_from_logits(v.reshape(shape), y), z.ravel()
    )
    assert_allclose(
        solutions.cross_entropy_grad_from_logits(z, y).ravel(), numerical.ravel(), atol=1e-8
    )


def test_attention_weights_normalize_over_the_keys():
    scores = np.random.default_rng(4).normal(size=(2, 3, 5)) * 30
    weights = solutions.attention_weights(scores)
    assert_allclose(weights, scipy.special.softmax(scores, axis=-1), rtol=1e-13, atol=1e-300)
    # each query's weights equal those it gets alone: no dependence on the rest of the batch
    assert_allclose(weights[1, 2], scipy.special.softmax(scores[1, 2]), rtol=1e-13, atol=1e-300)


# --- issue 21: every exercise of lessons 05-09 has an indexed, linked, checked solution ------

import ast  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from softmax_course import exercises  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: The lessons whose exercise cells name their worked solution (issue 21b); 01-04 are issue 21a's.
LINKED_LESSONS = ("05", "06", "07", "08", "09")
_INDEX_ROW = re.compile(r"^(\d\d) +(\d) ``(\w+)`` +:(?:func|class):`(\w+)`", re.MULTILINE)


def _index() -> dict[tuple[str, int], str]:
    """The table in the module docstring: (lesson, exercise number) -> solution name."""
    return {
        (lesson, int(number)): solution
        for lesson, number, _, solution in _INDEX_ROW.findall(solutions.__doc__)
    }


def _exercises(lesson: str) -> list[tuple[int, str, str]]:
    """(number, markdown text, the code cell after it) for every exercise of a lesson."""
    (path,) = NOTEBOOKS.glob(f"{lesson}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for i, cell in enumerate(cells):
        text = "".join(cell["source"])
        match = re.search(r"\*\*Exercise (\d+)", text)
        if cell["cell_type"] == "markdown" and match:
            found.append((int(match.group(1)), text, "".join(cells[i + 1]["source"])))
    return found


def _checker_call(code: str) -> tuple[str, dict]:
    """The checker a lesson's exercise cell calls, and its keyword arguments."""
    for node in ast.walk(ast.parse(code)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr.startswith("check_")
        ):
            return node.func.attr, {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    raise AssertionError(f"no checker call in:\n{code}")


def test_index_names_existing_solutions():
    index = _index()
    assert len(index) >= 30
    for solution in index.values():
        assert solution in solutions.__all__


@pytest.mark.parametrize("lesson", LINKED_LESSONS)
def test_every_exercise_is_indexed_linked_and_solved(lesson):
    index = _index()
    found = _exercises(lesson)
    assert found, f"lesson {lesson} has no exercises"
    for number, text, code in found:
        assert (lesson, number) in index, f"lesson {lesson} exercise {number} is not indexed"
        name = index[lesson, number]
        assert f"`solutions.{name}`" in text and "Worked solution" in text, (
            f"lesson {lesson} exercise {number} does not link its solution {name}"
        )
        checker, kwargs = _checker_call(code)
        report = getattr(exercises, checker)(getattr(solutions, name), **kwargs)
        assert report.passed, (lesson, number, report.problems)
