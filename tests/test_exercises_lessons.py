"""Tests of the lesson-specific exercise checkers (the ones beyond softmax, Jacobian, VJP, CE).

For every checker: the worked solution passes, an unfilled stub is "not
implemented yet", each mistake the checker names is flagged with its own
message (the wrong learner functions are written here), and an exception in
the learner's code is reported, never propagated.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special

from softmax_course import exercises, solutions
from softmax_course.exercises import NOT_IMPLEMENTED, CheckReport


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
def test_stub_is_not_implemented_yet(name, solution, stub, failing):
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


MISTAKES = [
    *_mistakes(
        "check_softmax_vector",
        (lambda z: z / np.sum(z), exercises.VECTOR_NAIVE),
        (lambda z: np.exp(z), exercises.VECTOR_NO_SUM),
        (_in_place_softmax, exercises.MUTATION.format(name="z")),
    ),
    *_mistakes(
        "check_logits_from_probabilities",
        (lambda p: p, exercises.LOGITS_IDENTITY),
        (lambda p: np.log(p)[:-1], "expected 3 logits, got shape (2,)"),
        (lambda p: np.exp(p), "softmax(your logits) = "),
    ),
    *_mistakes(
        "check_temperature_for_confidence",
        (
            lambda z, t: 1.0 / solutions.temperature_for_confidence(z, t),
            exercises.TEMPERATURE_INVERTED,
        ),
        (lambda z, t: -1.0, "got T = -1.0, expected a finite T > 0"),
        (lambda z, t: 1.0, "at T = 1 the top class has probability"),
        (lambda z, t: np.array([1.0, 2.0]), "expected a single number"),
    ),
    *_mistakes(
        "check_softmax_columns",
        (lambda X: _sm(X, axis=-1), exercises.COLUMNS_ROWS),
        (
            lambda X: np.exp(X - X.max()) / np.exp(X - X.max()).sum(axis=0, keepdims=True),
            exercises.COLUMNS_GLOBAL_MAX,
        ),
        (lambda X: _sm(X.T, axis=0), "returned shape"),
        (lambda X: _sm(X, axis=0) + 1e-3, "each column should be a softmax over its K entries"),
    ),
    *_mistakes(
        "check_breaking_batch",
        (lambda: np.zeros((2, 3)), exercises.BREAKING_NOT_BROKEN),
        (
            lambda: np.array([[0.0, 1.0, 2.0], [-100.0, -99.0, -98.0]]),
            exercises.BREAKING_NOT_BROKEN,
        ),
        (lambda: np.zeros((3, 2)), "need a finite batch of shape (2, 3); got shape (3, 2)"),
        (lambda: np.array([[0.0, 1.0, np.inf], [0.0, 0.0, 0.0]]), "with inf or NaN entries"),
    ),
    *_mistakes(
        "check_largest_finite_exp_input",
        (
            lambda d: float(solutions.largest_finite_exp_input(d)),
            "float16: expected a scalar of dtype float16",
        ),
        (
            lambda d: np.nextafter(solutions.largest_finite_exp_input(d), d(np.inf)),
            "is inf; go lower",
        ),
        (
            lambda d: np.nextafter(solutions.largest_finite_exp_input(d), d(-np.inf)),
            "is still finite; go higher",
        ),
    ),
    *_mistakes(
        "check_batch_jacobian",
        (lambda S: S * (1 - S), "these are only the diagonals s(1-s)"),
        (lambda S: -solutions.batch_jacobian(S), exercises.JACOBIAN_SIGN),
        (
            lambda S: S[:, :, None] * np.eye(S.shape[1]) * (1 - S[:, :, None]),
            exercises.DIAGONAL_ONLY,
        ),
        (
            lambda S: solutions.batch_jacobian(S)[0],
            "expected shape (6, 4, 4), one 4x4 matrix per sample",
        ),
        (lambda S: solutions.batch_jacobian(S) + 1e-3, exercises.BATCH_JACOBIAN_VALUES),
    ),
    *_mistakes(
        "check_quadratic_form",
        (lambda s, v: np.sum(s * v**2), exercises.QUADRATIC_NO_SQUARE),
        (lambda s, v: np.sum(s * v**2) + np.sum(s * v) ** 2, exercises.QUADRATIC_SIGN),
        (lambda s, v: (np.diag(s) - np.outer(s, s)) @ v, "returned 5 numbers: J v is a vector"),
        (lambda s, v: np.sum(v**2), "for s, v with K = 5: expected"),
    ),
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
    *_mistakes(
        "check_loss_from_labels",
        (
            lambda z, y: -np.mean(np.log(_naive_softmax(z)[np.arange(len(y)), y])),
            "for logits up to 10000: take the log before rounding",
        ),
        (lambda z, y: solutions.loss_from_labels(z, y) * len(y), exercises.LOSS_NO_MEAN),
        (lambda z, y: -solutions.loss_from_labels(z, y), exercises.LOSS_SIGN),
        (lambda z, y: np.zeros(len(y)), "expected a single number"),
        (
            lambda z, y: -np.mean(scipy.special.log_softmax(z, axis=1)[:, y]),
            "for logits up to",
        ),
    ),
    *_mistakes(
        "check_grad_soft_targets",
        (lambda z, y: (_sm(z) - y) / len(z), exercises.SOFT_ASSUMES_ONE),
        (lambda z, y: solutions.grad_soft_targets(z, y) * len(z), exercises.SOFT_NO_MEAN),
        (lambda z, y: -solutions.grad_soft_targets(z, y), exercises.SOFT_SIGN),
        (
            lambda z, y: (_naive_softmax(z) * y.sum(axis=1, keepdims=True) - y) / len(z),
            exercises.SOFT_OVERFLOW,
        ),
        (lambda z, y: solutions.grad_soft_targets(z, y).T, "returned shape"),
    ),
    *_mistakes(
        "check_standardize",
        (
            lambda A, B: [(X - X.mean(axis=0)) / X.std(axis=0) for X in (A, B)],
            exercises.STANDARDIZE_LEAK,
        ),
        (
            lambda A, B: ((A - A.mean()) / A.std(), (B - A.mean()) / A.std()),
            exercises.STANDARDIZE_TRAIN,
        ),
        (
            lambda A, B: ((A - A.mean(axis=0)) / A.std(axis=0), B - A.mean(axis=0)),
            exercises.STANDARDIZE_TEST,
        ),
        (lambda A, B: (A - A.mean(axis=0)) / A.std(axis=0), "expected a pair"),
        (
            lambda A, B: _standardize_in_place(A, B),
            exercises.MUTATION.format(name="X_train"),
        ),
    ),
    *_mistakes(
        "check_confusion_matrix",
        (lambda t, p, K: solutions.confusion_matrix(t, p, K).T, exercises.CONFUSION_TRANSPOSED),
        (_undercounting_confusion, exercises.CONFUSION_UNDERCOUNT),
        (
            lambda t, p, K: solutions.confusion_matrix(t, p, max(t.max(), p.max()) + 1),
            "returned shape (3, 3) for K = 4",
        ),
        (
            lambda t, p, K: solutions.confusion_matrix(t, p, K).astype(float),
            "returned dtype float64: counts are integers",
        ),
        (lambda t, p, K: solutions.confusion_matrix(t, p, K) * 2, "for K = 3: expected"),
    ),
    *_mistakes(
        "check_regression_gradients",
        (lambda X, W, b, y: _regression(X, W, b, y, scale=len(y)), exercises.REGRESSION_NO_MEAN),
        (lambda X, W, b, y: _regression(X, W, b, y, scale=-1.0), exercises.REGRESSION_SIGN),
        (lambda X, W, b, y: _regression(X, W, b, y, transpose_dW=True), "dW has shape (3, 4)"),
        (lambda X, W, b, y: _regression(X, W, b, y, db_rows=True), "db has shape (9, 3)"),
        (lambda X, W, b, y: _regression(X, W, b, y, db_mean=True), exercises.REGRESSION_DB_MEAN),
        (lambda X, W, b, y: _regression(X, W, b, y)[0], "expected a pair (dW, db)"),
        (
            lambda X, W, b, y: (_regression(X, W, b, y)[0] * 2, _regression(X, W, b, y)[1]),
            "dW for N = 9",
        ),
    ),
    *_mistakes(
        "check_online_logsumexp_stream",
        (_two_pass_stream, exercises.STREAM_TWO_PASSES),
        (_naive_stream, exercises.STREAM_OVERFLOW),
        (_no_rescale_stream, exercises.STREAM_NO_RESCALE),
        (lambda values: max(values), "you returned"),
    ),
]


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


@pytest.mark.parametrize(("name", "fn", "message"), MISTAKES)
def test_each_mistake_gets_its_own_message(name, fn, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker must silence the learner's warnings
        report = getattr(exercises, name)(fn)
    assert not report.passed
    assert any(message in problem for problem in report.problems), report.problems
    assert message in str(report)


def test_specific_messages_come_alone():
    """A recognised mistake is not followed by a generic 'wrong values' for the same cause."""
    report = exercises.check_grad_soft_targets(lambda z, y: (_sm(z) - y) / len(z))
    assert report.problems == [exercises.SOFT_ASSUMES_ONE]
    report = exercises.check_chain_through_jacobian(lambda g, J: np.einsum("nj,nij->ni", g, J))
    assert report.problems == [exercises.CHAIN_J_G]
    report = exercises.check_softmax_columns(lambda X: _sm(X, axis=-1))
    assert report.problems == [exercises.COLUMNS_ROWS]


def test_logits_up_to_a_constant_pass():
    assert exercises.check_logits_from_probabilities(lambda p: np.log(p) - 7.5).passed


def test_stream_accepting_only_one_pass_passes_with_list():
    # Reading the stream once into a list is one pass: allowed.
    def via_list(values):
        return float(scipy.special.logsumexp(np.array(list(values))))

    assert exercises.check_online_logsumexp_stream(via_list).passed


def test_stub_hint_is_shown_for_the_lesson_02_exercises():
    report = exercises.check_softmax_columns(_stub)
    assert report.problems == [
        NOT_IMPLEMENTED,
        "hint: np.max(X, axis=0, keepdims=True) has shape (1, N)",
    ]
    assert "hint: one row" in str(exercises.check_breaking_batch(_stub))


def test_layer_forward_failure_is_reported():
    class BrokenForward(StubTemperatureLayer):
        def forward(self, z):
            raise TypeError("bad forward")

    report = exercises.check_softmax_with_temperature(BrokenForward)
    assert report.problems == [
        "raised TypeError: bad forward for forward for T = 0.5, a batch of shape (4, 3)"
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
    assert report.problems[0].startswith("raised AttributeError")


def test_quadratic_form_reference_matches_finite_differences():
    # v^T J v is the second directional derivative of logsumexp: an independent reference.
    rng = np.random.default_rng(4)
    z, v = rng.normal(size=5), rng.normal(size=5)
    h = 1e-4
    lse = scipy.special.logsumexp
    second = (lse(z + h * v) - 2 * lse(z) + lse(z - h * v)) / h**2
    s = _sm(z)
    assert solutions.quadratic_form(s, v) == pytest.approx(second, rel=1e-6)
    assert exercises.check_quadratic_form(solutions.quadratic_form).passed


def test_regression_gradient_reference_matches_finite_differences():
    rng = np.random.default_rng(6)
    X, W, b = rng.normal(size=(9, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    y = rng.integers(0, 3, size=9)

    def loss(W_, b_):
        return -np.mean(scipy.special.log_softmax(X @ W_ + b_, axis=1)[np.arange(9), y])

    eps = 1e-6
    dW_fd = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[index] = eps
        dW_fd[index] = (loss(W + e, b) - loss(W - e, b)) / (2 * eps)
    dW, _ = _regression(X, W, b, y)
    np.testing.assert_allclose(dW, dW_fd, rtol=1e-7, atol=1e-9)


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
