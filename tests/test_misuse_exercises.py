"""Hostile and unusual learner functions: every checker contains them and still reports.

A learner's function may end the program, never return, return ragged lists,
implement only part of the exercise, or be the wrong kind of object. The
checker must report each of these in words, stop calling a function that
takes too long, and still let Ctrl-C through.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import signal
import sys
import time
import warnings

import numpy as np
import pytest
import scipy.special

from softmax_course import exercises, solutions
from softmax_course.exercises import _session
from tests.exercise_learners import CASES, IDS, StubTemperatureLayer, _temperature_layer


def _checker(name):
    return getattr(exercises, name)


def _learner(name, body):
    """A learner for checker ``name`` whose (backward) code is ``body(*args)``."""
    if name == "check_softmax_with_temperature":
        return _temperature_layer(lambda s, g, T: body(s, g))
    return body


@pytest.fixture
def short_limits(monkeypatch):
    monkeypatch.setattr(_session, "CALL_TIME_LIMIT", 0.3)
    monkeypatch.setattr(_session, "TIME_BUDGET", 0.6)


# --- sys.exit() ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_sys_exit_is_contained_and_reported(name):
    def exits(*args):
        sys.exit(3)

    report = _checker(name)(_learner(name, exits))
    assert not report.passed
    assert report.problems[0].startswith(
        "your function called sys.exit() or exit() (SystemExit: 3)"
    )


def test_exit_without_code_is_reported_too():
    report = exercises.check_softmax(lambda x: sys.exit())
    assert report.problems[0].startswith("your function called sys.exit() or exit() (SystemExit)")


# --- time limits -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_a_function_that_never_returns_is_stopped(name, short_limits):
    def loops(*args):
        while True:
            pass

    start = time.perf_counter()
    report = _checker(name)(_learner(name, loops))
    assert time.perf_counter() - start < 2.0
    assert not report.passed
    assert report.checks <= 3  # stopped after the first call (a layer's forward comes first)
    (problem,) = [p for p in report.problems if "took more than" in p]
    assert problem.startswith("your function took more than 0.3 s on ")
    assert "was stopped" in problem


def test_a_slow_function_is_stopped_by_the_checker_budget(short_limits):
    def sleepy(x):
        time.sleep(0.1)
        return scipy.special.softmax(x, axis=-1)

    start = time.perf_counter()
    report = exercises.check_softmax(sleepy)
    assert time.perf_counter() - start < 1.5
    problem = report.problems[-1]
    assert problem.startswith("your function took more than 0.6 s in all over ")
    assert "the checker called it no more" in problem


def test_a_function_that_catches_exceptions_is_stopped_anyway(short_limits):
    def stubborn(x):
        while True:
            try:
                time.sleep(1.0)
            except Exception:  # noqa: BLE001, S112 -- the learner swallows errors
                continue

    report = exercises.check_softmax(stubborn)
    assert any(p.startswith("your function took more than") for p in report.problems)


def test_the_alarm_is_restored_after_a_check(short_limits):
    def handler(signum, frame):  # pragma: no cover -- never fires
        raise AssertionError("the caller's alarm handler ran")

    previous = signal.signal(signal.SIGALRM, handler)
    before = signal.getitimer(signal.ITIMER_REAL)  # pytest-timeout's, if it set one
    try:
        exercises.check_softmax(lambda x: time.sleep(10))
        assert signal.getsignal(signal.SIGALRM) is handler
        after = signal.getitimer(signal.ITIMER_REAL)
        if _session._CAN_FORK:  # the alarm is set in the child: the caller's timer runs on
            assert (after[0] == 0) == (before[0] == 0) and after[0] <= before[0]
        else:
            assert after == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_fast_correct_functions_are_not_affected_by_the_limit(short_limits):
    assert exercises.check_softmax(solutions.softmax_rowwise).passed


# --- Ctrl-C ----------------------------------------------------------------------------------


def test_keyboard_interrupt_propagates():
    def interrupted(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        exercises.check_softmax(interrupted)


@contextlib.contextmanager
def python_sigint_handler():
    """Python's own SIGINT handler for a test, whatever the suite inherited.

    Under ``nohup`` or as a background job of a non-interactive shell the process
    starts with SIGINT ignored (``SIG_IGN``), and no Ctrl-C would ever arrive.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def presses_ctrl_c(x):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)  # interrupted long before
    return x


def test_a_real_sigint_interrupts_the_checker():
    start = time.perf_counter()
    with python_sigint_handler(), pytest.raises(KeyboardInterrupt):
        exercises.check_softmax(presses_ctrl_c)
    assert time.perf_counter() - start < 2.0


def test_the_sigint_test_holds_when_the_suite_starts_with_sigint_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under nohup
    try:
        test_a_real_sigint_interrupts_the_checker()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # restored afterwards
    finally:
        signal.signal(signal.SIGINT, previous)


# --- ragged results --------------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_a_ragged_result_is_the_learners_problem(name):
    def ragged(*args):
        return [[1.0, 2.0], [3.0]]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = _checker(name)(_learner(name, ragged))
    assert not report.passed
    text = " ".join(report.problems)
    assert "raised ValueError" not in text  # not reported as if the learner had raised
    # A list of two is a pair to the checkers that expect one; ragged parts are tested below.
    pairs = ("check_standardize", "check_regression_gradients")
    if name not in ("check_breaking_batch", "check_largest_finite_exp_input", *pairs):
        assert "ragged" in text or "expected a pair" in text, report.problems


def test_ragged_message_names_the_row_lengths():
    report = exercises.check_softmax(lambda x: [[1.0, 2.0], [3.0]])
    assert report.problems[0].startswith(
        "returned a ragged list for [3.0, 1.0, 0.2] (its rows have different lengths: 2, 1)"
    )


def test_ragged_part_of_a_pair_is_named():
    report = exercises.check_regression_gradients(lambda X, W, b, y: ([[1.0], [1.0, 2.0]], b))
    assert report.problems[0].startswith("returned a ragged list for N = 9, D = 4, K = 3 (part 1")


# --- partial implementations -----------------------------------------------------------------


def test_partial_implementation_gets_its_other_problems_reported():
    def vector_only(x):
        if x.ndim > 1:
            raise NotImplementedError("batches later")
        return np.exp(x) / np.sum(np.exp(x))  # and no max shift

    problems = exercises.check_softmax(vector_only).problems
    assert problems[0].startswith("raised NotImplementedError for the one-row batch")
    assert "that part is not implemented yet" in problems[0]
    assert exercises.OVERFLOW in problems  # the 1-D inputs were diagnosed
    assert exercises.NOT_IMPLEMENTED not in problems


def test_a_stub_is_still_only_not_implemented():
    def stub(x):
        raise NotImplementedError

    assert exercises.check_softmax(stub).problems == [exercises.NOT_IMPLEMENTED]


def test_the_lessons_temperature_stub_is_still_only_not_implemented():
    report = exercises.check_softmax_with_temperature(StubTemperatureLayer)
    assert report.problems == [exercises.NOT_IMPLEMENTED]


# --- one exception does not hide the other mistakes -------------------------------------------


def test_axis_error_on_1d_does_not_hide_the_global_maximum():
    def seed002_softmax(x):  # thread 002: axis=1 and the maximum of the whole batch
        e = np.exp(x - np.max(x))
        return e / np.sum(e, axis=1)[:, None]

    problems = exercises.check_softmax(seed002_softmax).problems
    assert problems[0].startswith("raised AxisError")
    assert "[3.0, 1.0, 0.2], [1000, 5]" in problems[0]  # every input it affected, once
    assert sum(p.startswith("raised AxisError") for p in problems) == 1
    assert exercises.GLOBAL_MAX in problems


def test_assertion_on_1d_input_says_the_shape_and_why_1d_must_work():
    def asserts_2d(z):  # thread 003
        assert len(z.shape) == 2
        e = np.exp(z - np.max(z, axis=1)[:, np.newaxis])
        return e / np.sum(e, axis=1)[:, np.newaxis]

    (problem,) = exercises.check_softmax(asserts_2d).problems
    assert problem.startswith("raised AssertionError")  # pytest adds words to a bare assert
    assert " for [3.0, 1.0, 0.2], " in problem
    assert "(the first was an array of shape (3,))" in problem
    assert "one sample is a 1-D vector of shape (K,)" in problem
    assert "asks for it as well as for batches" in problem


def test_the_1d_hint_is_not_given_when_1d_input_is_fine():
    def fails_on_3d(x):
        if x.ndim == 3:
            raise AssertionError
        return scipy.special.softmax(x, axis=-1)

    (problem,) = exercises.check_softmax(fails_on_3d).problems
    assert "1-D" not in problem


def test_broadcast_hint_only_when_keepdims_was_lost():
    def no_keepdims(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / e.sum(axis=-1)

    def other_broadcast(x):
        return scipy.special.softmax(x, axis=-1) + np.ones(7)

    assert any(
        "keep it with keepdims=True" in p for p in exercises.check_softmax(no_keepdims).problems
    )
    assert not any("keepdims" in p for p in exercises.check_softmax(other_broadcast).problems)


# --- the wrong kind of object ----------------------------------------------------------------


def test_temperature_checker_given_an_instance():
    report = exercises.check_softmax_with_temperature(solutions.SoftmaxWithTemperature(2.0))
    assert report.problems == [
        "received an instance of SoftmaxWithTemperature, not the class: the checker builds its "
        "own layers with several temperatures; pass the class itself, "
        "check_softmax_with_temperature(SoftmaxWithTemperature)"
    ]


def test_temperature_checker_given_a_function():
    report = exercises.check_softmax_with_temperature(lambda T: scipy.special.softmax)
    assert report.problems == [
        "layer_class(0.5) returned function, which has no forward() and backward() method: pass "
        "the layer class itself, e.g. check_softmax_with_temperature(SoftmaxWithTemperature)"
    ]


@pytest.mark.parametrize(("name", "solution", "stub", "failing"), CASES, ids=IDS)
def test_a_class_instance_or_module_is_not_a_function(name, solution, stub, failing):
    report = _checker(name)(np)
    assert not report.passed
    assert "received module" in report.problems[0]


# --- issue 23.8: BaseException subclasses, and functions that swallow the time limit ----------


class LearnersOwnError(BaseException):
    """A learner's exception that does not derive from Exception."""


@pytest.mark.parametrize("name", IDS)
def test_a_base_exception_subclass_is_contained_and_reported(name):
    def raises(*args):
        raise LearnersOwnError("my own signal")

    report = _checker(name)(_learner(name, raises))
    assert not report.passed
    assert any("raised LearnersOwnError: my own signal" in p for p in report.problems)


def test_generator_exit_is_reported_too():
    def raises(x):
        raise GeneratorExit("closed")

    report = exercises.check_softmax(raises)
    assert any("raised GeneratorExit: closed" in p for p in report.problems)


@pytest.fixture
def hard_limit(monkeypatch):
    monkeypatch.setattr(_session, "CALL_TIME_LIMIT", 0.2)
    monkeypatch.setattr(_session, "TIME_BUDGET", 0.4)
    monkeypatch.setattr(_session, "HARD_TIME_LIMIT", 1.5)


needs_fork = pytest.mark.skipif(
    not _session._CAN_FORK, reason="the hard limit needs a child process (fork, Linux)"
)


@needs_fork
@pytest.mark.parametrize("name", IDS)
def test_a_function_that_swallows_the_time_limit_cannot_hang_a_checker(name, hard_limit):
    def swallows(*args):
        while True:
            try:
                time.sleep(0.01)
            except:  # noqa: E722 -- the learner's bare except swallows the checker's alarm
                pass

    start = time.perf_counter()
    report = _checker(name)(_learner(name, swallows))
    assert time.perf_counter() - start < 4.0
    assert not report.passed
    (problem,) = report.problems
    assert problem.startswith("your function kept running after the checker's time limit")
    assert "bare `except:`" in problem


@needs_fork
def test_a_function_that_ends_the_process_is_contained():
    def ends(x):
        os._exit(7)

    report = exercises.check_softmax(ends)
    assert not report.passed
    assert "ended the process" in report.problems[0] and "exit code 7" in report.problems[0]


@needs_fork
def test_the_learners_side_effects_stay_in_the_child():
    calls = []

    def counts(x):
        calls.append(1)
        return scipy.special.softmax(x, axis=-1)

    assert exercises.check_softmax(counts).passed
    assert calls == []  # run in a child process: the parent's list is untouched


def test_the_in_process_path_still_works(monkeypatch):
    monkeypatch.setattr(_session, "_CAN_FORK", False)
    assert exercises.check_softmax(solutions.softmax_rowwise).passed
    report = exercises.check_softmax(lambda x: x)
    assert not report.passed


def test_a_bug_in_the_checker_itself_still_raises(monkeypatch):
    def broken(session):
        raise ZeroDivisionError("checker bug")

    with pytest.raises(ZeroDivisionError, match="checker bug"):
        _session._run("check_broken", lambda x: x, broken)


# --- issue 23.5: a softmax shifted by the mean, or not at all, fails every checker -------------


def _shifted(how):
    def softmax(z, axis=-1):
        z = np.asarray(z, dtype=np.float64)
        shift = np.mean(z, axis=axis, keepdims=True) if how == "mean" else 0.0
        with np.errstate(all="ignore"):
            e = np.exp(z - shift)
            return e / np.sum(e, axis=axis, keepdims=True)

    return softmax


def _learners_with(sm):
    """The seven exercises' answers, right except for the softmax ``sm`` inside."""

    def ce(z, y):
        return (sm(z) - y) / z.shape[0]

    def soft(z, y):
        return (sm(z) * np.sum(y, axis=-1, keepdims=True) - y) / z.shape[0]

    def lse(z, g):
        return g[:, None] * sm(z)

    def regression(X, W, b, y):
        G = sm(X @ W + b) - np.eye(W.shape[1])[y]
        G = G / X.shape[0]
        return X.T @ G, G.sum(axis=0)

    def l2(X, W, b, y, lam):
        dW, db = regression(X, W, b, y)
        return dW + lam * W, db

    def columns(X):
        return sm(X, axis=0)

    class Layer:
        def __init__(self, temperature):
            self.temperature = temperature

        def forward(self, z):
            self.s = sm(np.asarray(z) / self.temperature)
            return self.s

        def backward(self, g):
            s = self.s
            return s * (g - np.sum(s * g, axis=-1, keepdims=True)) / self.temperature

    return {
        "check_cross_entropy_grad": ce,
        "check_grad_soft_targets": soft,
        "check_logsumexp_vjp": lse,
        "check_regression_gradients": regression,
        "check_l2_gradients": l2,
        "check_softmax_columns": columns,
        "check_softmax_with_temperature": Layer,
    }


SEVEN = list(_learners_with(None))


@pytest.mark.parametrize("name", SEVEN)
def test_the_answers_with_a_stable_softmax_pass(name):
    def stable(z, axis=-1):
        return scipy.special.softmax(z, axis=axis)

    report = _checker(name)(_learners_with(stable)[name])
    assert report.passed, report


@pytest.mark.parametrize("how", ["mean", "none"])
@pytest.mark.parametrize("name", SEVEN)
def test_a_softmax_without_the_max_shift_fails_every_checker(name, how):
    report = _checker(name)(_learners_with(_shifted(how))[name])
    assert not report.passed
    text = " ".join(report.problems)
    if how == "mean":
        assert "subtracts the mean, not the maximum" in text, report
    else:
        assert "inf" in text or "overflow" in text, report


# --- issue 23.6: one precision rule for every checker -----------------------------------------


def _solutions_by_checker():
    """Every checker whose worked solution returns numbers computed from float input."""
    from tests.exercise_learners import CASES as cases

    found = {name: fn for name, fn, _, _ in cases}
    found.update(
        {
            "check_softmax": solutions.softmax_rowwise,
            "check_log_softmax": solutions.log_softmax_stable,
            "check_softmax_jacobian": solutions.jacobian_from_probs,
            "check_softmax_vjp": solutions.vjp,
            "check_cross_entropy_grad": solutions.cross_entropy_grad_from_logits,
            "check_kl_divergence": solutions.kl_divergence,
            "check_l2_gradients": solutions.l2_gradients,
            "check_multiclass_hinge": solutions.multiclass_hinge,
            "check_unbroadcast": solutions.unbroadcast,
            "check_logsumexp_vjp": solutions.logsumexp_vjp,
            "check_max_vjp": solutions.max_vjp,
        }
    )
    # Exact answers (counts, a batch the learner builds, a threshold of a given dtype) and
    # a layer class are not "computed in a lower precision".
    for name in (
        "check_confusion_matrix",
        "check_breaking_batch",
        "check_largest_finite_exp_input",
        "check_softmax_with_temperature",
    ):
        found.pop(name)
    return found


PRECISION_CASES = _solutions_by_checker()


def _cast(value, dtype):
    if isinstance(value, tuple):
        return tuple(_cast(part, dtype) for part in value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(dtype)
    if isinstance(value, float | np.floating):
        return np.asarray(value).astype(dtype)[()]
    return value


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("name", sorted(PRECISION_CASES))
def test_a_lower_precision_answer_is_told_so_and_never_passes(name, dtype):
    solution = PRECISION_CASES[name]

    def rounded(*args):
        return _cast(solution(*args), dtype)

    report = _checker(name)(rounded)
    assert not report.passed, name
    low = np.dtype(dtype).name
    told = (f"correct to {low} precision only", f"is {low} (about ")
    assert any(
        any(t in p for t in told) and "the exercise asks for float64" in p for p in report.problems
    ), report
    if all(p.startswith("correct to") for p in report.problems):
        assert len(report.problems) == 1  # right but in lower precision: that alone is said


@pytest.mark.parametrize("name", sorted(PRECISION_CASES))
def test_the_float64_solutions_still_pass(name):
    assert _checker(name)(PRECISION_CASES[name]).passed


def test_float32_computation_returned_as_float64_is_told_in_words_not_numbers():
    def in_float32(z, y):
        z32 = np.asarray(z, dtype=np.float32)
        e = np.exp(z32 - z32.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=True) - y) / len(z)  # float64 in the end

    (problem,) = exercises.check_cross_entropy_grad(in_float32).problems
    assert problem.startswith("correct to float32 precision only")
    assert "the exercise asks for float64" in problem
    assert "expected [" not in problem  # no identical-looking numbers


# --- issue 23.7: the stream checker's false reports, and a NaN for a masked first value --------


def _one_pass(values):
    m, d = -math.inf, 0.0
    for v in values:
        if v == -math.inf:
            continue
        if v > m:
            d = d * math.exp(m - v) if d else 0.0
            m = v
        d += math.exp(v - m)
    return m + math.log(d) if d else -math.inf


def test_a_next_after_the_end_is_not_a_second_pass():
    def then_peeks(values):
        it = iter(values)
        result = _one_pass(it)
        assert next(it, None) is None  # the stream is done: nothing read twice
        return result

    assert exercises.check_online_logsumexp_stream(then_peeks).passed


def test_reading_chunks_until_an_empty_chunk_passes():
    def in_chunks(values, size=4096):
        it = iter(values)
        m, d = -math.inf, 0.0
        while chunk := list(itertools.islice(it, size)):
            chunk_m = max(chunk)
            if chunk_m == -math.inf:
                continue
            new_m = max(m, chunk_m)
            d = (d * math.exp(m - new_m) if d else 0.0) + sum(math.exp(v - new_m) for v in chunk)
            m = new_m
        return m + math.log(d) if d else -math.inf

    report = exercises.check_online_logsumexp_stream(in_chunks)
    assert report.passed, report  # neither "went over the values twice" nor "kept the stream"


def test_storing_the_stream_is_still_named():
    def stores(values):
        values = list(values)
        m = max(values)
        return m + math.log(sum(math.exp(v - m) for v in values))

    problems = exercises.check_online_logsumexp_stream(stores).problems
    assert any(p.startswith("your function kept the whole stream in memory") for p in problems)


def test_two_passes_are_still_named():
    def two_passes(values):
        m = max(values)
        return m + math.log(sum(math.exp(v - m) for v in values) or 1.0)

    problems = exercises.check_online_logsumexp_stream(two_passes).problems
    assert exercises.STREAM_TWO_PASSES in problems


def test_a_naive_stream_that_gives_nan_for_a_masked_first_value_fails():
    def naive(values):
        m, d = -math.inf, 0.0
        for v in values:
            new_m = max(m, v)
            d = d * math.exp(m - new_m) + math.exp(v - new_m)  # exp(-inf + inf) = NaN
            m = new_m
        return m + math.log(d)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = exercises.check_online_logsumexp_stream(naive)
    assert not report.passed
    assert any("[-inf, 1.0]" in p for p in report.problems), report


# --- issue 23.9: check_breaking_batch judges a batch in its own dtype -------------------------


def test_a_float32_batch_that_breaks_in_float32_passes():
    batch = np.array([[0.0, 1.0, 2.0], [-110.0, -109.0, -108.0]], dtype=np.float32)
    with np.errstate(all="ignore"):  # the reference: the global-max softmax in float32
        e = np.exp(batch - np.max(batch))
        assert np.isnan(e / e.sum(axis=-1, keepdims=True)).any()
    assert exercises.check_breaking_batch(lambda: batch.copy()).passed


def test_the_same_batch_in_float64_is_not_broken():
    batch = np.array([[0.0, 1.0, 2.0], [-110.0, -109.0, -108.0]])
    report = exercises.check_breaking_batch(lambda: batch.copy())
    assert report.problems == [exercises.BREAKING_NOT_BROKEN]


# --- issue 23.10: the transpose trick, softmax applied twice to a batch ------------------------


def _transpose_trick(x):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(x.T - np.max(x, axis=-1))  # lesson 02, section 6(e)
        return (e / np.sum(e, axis=0)).T


def test_the_transpose_trick_is_named_on_a_batch_with_equal_batch_axes():
    problems = exercises.check_softmax(_transpose_trick).problems
    square = [p for p in problems if "(2, 2, 3)" in p]
    assert square and square[0].startswith("inf or NaN for a batch of shape (2, 2, 3)")
    assert "transpose trick" in square[0]
    broadcast = [p for p in problems if p.startswith("raised ValueError")]
    assert broadcast and "transpose trick works for 2-D input only" in broadcast[0]


def test_a_batch_jacobian_of_softmax_applied_again_is_named():
    def jacobian_of_softmax_again(S):  # thread: the Jacobian of the logits' softmax, from S
        P = scipy.special.softmax(S, axis=-1)
        return np.stack([np.diag(p) - np.outer(p, p) for p in P])

    problems = exercises.check_batch_jacobian(jacobian_of_softmax_again).problems
    assert problems == [exercises.SOFTMAX_AGAIN]


# --- issue 23.10: lesson 08's blocked softmax and in-place VJP: peak scratch memory -----------


def test_an_unblocked_softmax_fails_the_blocked_exercise():
    def unblocked(x):
        x = np.asarray(x)
        x = x if x.dtype.kind == "f" else x.astype(np.float64)
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))  # a whole-batch temporary
        return e / np.sum(e, axis=-1, keepdims=True)

    assert exercises.check_softmax(unblocked, keeps_dtype=True).passed  # right values
    (problem,) = exercises.check_softmax(unblocked, keeps_dtype=True, block_rows=64).problems
    assert problem.startswith("your function allocated about ")
    blocked = exercises.check_softmax(solutions.blocked_softmax, keeps_dtype=True, block_rows=64)
    assert blocked.passed


def test_a_vjp_with_two_live_temporaries_fails_the_in_place_exercise():
    def two_temporaries(s, g):
        inner = np.sum(s * g, axis=-1, keepdims=True)
        shifted = g - inner  # kept alive while the result is made
        return s * shifted

    assert exercises.check_softmax_vjp(two_temporaries).passed
    (problem,) = exercises.check_softmax_vjp(two_temporaries, in_place=True).problems
    assert problem.startswith("your function allocated about ")
    assert exercises.check_softmax_vjp(solutions.vjp_inplace, in_place=True).passed
