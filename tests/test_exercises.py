"""Tests of the exercise checkers: right answers pass, each known mistake gets its own message.

The learner functions below are written in the test, independently of the
checkers' references: through ``scipy.special`` and central finite
differences. The wrong ones are the pitfalls module and the seed threads'
answers, copied in spirit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

import softmax_course as sc
from softmax_course import exercises, pitfalls, solutions
from softmax_course.exercises import (
    CheckReport,
    check_cross_entropy_grad,
    check_log_softmax,
    check_softmax,
    check_softmax_jacobian,
    check_softmax_vjp,
)
from tests.references import central_jacobian

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


# --- correct implementations pass -------------------------------------------------------


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


@pytest.mark.parametrize(("checker", "fn"), CORRECT, ids=lambda v: getattr(v, "__name__", ""))
def test_correct_implementations_pass(checker, fn):
    report = checker(fn)
    assert report.problems == []
    assert report.passed is True
    assert report.checks >= 6


def jacobian_through_package(z):
    return sc.softmax_jacobian(sc.softmax(z))


@pytest.mark.parametrize(
    "fn", [solutions.jacobian_from_logits, fd_jacobian_of_logits, jacobian_through_package]
)
def test_jacobian_from_logits_passes_with_takes_logits(fn):
    report = check_softmax_jacobian(fn, takes="logits")
    assert report.passed, report.problems


# --- every pitfall gets its own message ------------------------------------------------


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


@pytest.mark.parametrize(
    ("checker", "fn", "message"), PITFALLS, ids=[fn.__name__ for _, fn, _ in PITFALLS]
)
def test_each_pitfall_gets_exactly_its_own_message(checker, fn, message):
    report = checker(fn)
    assert report.passed is False
    assert report.problems[0] == message
    # The messages of the *other* pitfalls do not appear: the diagnosis is specific.
    others = {m for _, _, m in PITFALLS if m != message}
    assert not others & set(report.problems)


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (pitfalls.softmax_without_max_shift, "overflow for [1000, 5]"),
        (pitfalls.softmax_over_axis0, "you normalized over axis 0 of a batch"),
        (pitfalls.softmax_with_global_max, "rows far below the batch maximum underflow to 0/0"),
        (pitfalls.softmax_in_place, "your function changed its input"),
    ],
)
def test_softmax_messages_use_the_words_of_the_lesson(fn, words):
    assert words in " ".join(check_softmax(fn).problems)


def test_log_of_softmax_message_names_the_input_and_the_fix():
    (problem,) = check_log_softmax(pitfalls.log_of_softmax).problems
    assert problem.startswith("log(softmax(x)) gives -inf for [0, -1000]")
    assert "x - logsumexp(x)" in problem


def test_jacobian_vector_of_diagonal_entries_is_recognised():
    report = check_softmax_jacobian(pitfalls.jacobian_diagonal_only)
    assert report.problems == [
        "only the diagonal s(1-s): the off-diagonal entries -s_i s_j are missing",
        exercises.DIAGONAL_VECTOR.format(K=2),
    ]


def test_jacobian_diagonal_matrix_is_recognised():
    report = check_softmax_jacobian(lambda s: np.diag(s * (1 - s)))
    assert report.problems == [exercises.DIAGONAL_ONLY]


def test_jacobian_sign_error_of_the_diagonal_vector():
    report = check_softmax_jacobian(lambda s: -s * (1 - s))
    assert exercises.DIAGONAL_ONLY in report.problems
    assert exercises.JACOBIAN_SIGN in report.problems


# --- the seed threads' answers -------------------------------------------------------------


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


def test_seed000_derivative_gets_all_three_diagnoses():
    problems = check_softmax_jacobian(seed000_softmax_derivative, takes="logits").problems
    assert exercises.DIAGONAL_ONLY in problems
    assert exercises.JACOBIAN_SIGN in problems
    assert exercises.REPEATED_VALUES in problems
    assert exercises.OVERFLOW in problems  # exp(1000) without a shift


def seed001_delta(incoming):
    exps = np.exp(incoming)
    others = exps.sum() - exps
    return 1 / (2 + exps / others + others / exps)


def test_seed001_delta_is_the_diagonal_only():
    problems = check_softmax_jacobian(seed001_delta, takes="logits").problems
    assert problems[:2] == [exercises.DIAGONAL_ONLY, exercises.DIAGONAL_VECTOR.format(K=2)]


def test_seed001_loop_jacobian_passes():
    def softmax_grad(s):
        jacobian_m = np.diag(s)
        for i in range(len(jacobian_m)):
            for j in range(len(jacobian_m)):
                if i == j:
                    jacobian_m[i][j] = s[i] * (1 - s[i])
                else:
                    jacobian_m[i][j] = -s[i] * s[j]
        return jacobian_m

    assert check_softmax_jacobian(softmax_grad).passed


def test_jacobian_of_logits_given_probabilities_is_softmax_applied_twice():
    report = check_softmax_jacobian(solutions.jacobian_from_logits)  # takes="probs" by default
    assert report.problems == [exercises.SOFTMAX_AGAIN]


def test_probabilities_formula_given_logits():
    report = check_softmax_jacobian(solutions.jacobian_from_probs, takes="logits")
    assert exercises.LOGITS_AS_PROBS in report.problems


def test_seed002_softmax_with_global_max():
    def softmax(x):
        exp = np.exp(x - np.max(x))
        return exp / np.sum(exp, axis=1)[:, None]

    problems = check_softmax(softmax).problems
    # It fails on a vector (axis=1 does not exist) and says so, without raising.
    assert problems[0].startswith("raised AxisError")
    assert "for [3.0, 1.0, 0.2]" in problems[0]
    assert "use axis=-1" in problems[0]


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (lambda x: np.exp(x - np.max(x)) / np.exp(x - np.max(x)).sum(), exercises.AXIS_NONE),
        (lambda x: np.exp(x) / np.sum(np.exp(x), axis=0), exercises.AXIS_0),
        (
            lambda x: np.exp(x - scipy.special.logsumexp(x)),  # the log-space answer, no axis
            exercises.AXIS_NONE,
        ),
        (
            lambda x: np.exp(x - np.max(x)) / np.exp(x - np.max(x)).sum(axis=-1, keepdims=True),
            exercises.GLOBAL_MAX,
        ),
    ],
)
def test_seed003_answers(fn, message):
    assert message in check_softmax(fn).problems


def test_seed003_fixed_axis_1_fails_on_a_3d_batch():
    def softmax(x):
        mx = np.amax(x, axis=1, keepdims=True)
        e = np.exp(x - mx)
        return e / np.sum(e, axis=1, keepdims=True)

    report = check_softmax(softmax)
    assert "use axis=-1" in report.problems[0]  # first failure: 1-D input has no axis 1


def test_seed003_sum_without_keepdims():
    def softmax_fn(x):
        e_x = np.exp(x - np.max(x))
        return e_x / e_x.sum(axis=len(e_x.shape) - 1)

    problems = check_softmax(softmax_fn).problems
    assert any(p.startswith("raised ValueError: operands could not be broadcast") for p in problems)
    assert any("keepdims=True" in p for p in problems)


def test_seed003_in_place_version_reports_mutation():
    def softmax(x):
        if len(x.shape) > 1:
            tmp = np.max(x, axis=1)
            x -= tmp.reshape((x.shape[0], 1))
            x = np.exp(x)
            tmp = np.sum(x, axis=1)
            x /= tmp.reshape((x.shape[0], 1))
        else:
            tmp = np.max(x)
            x -= tmp
            x = np.exp(x)
            tmp = np.sum(x)
            x /= tmp
        return x

    problems = check_softmax(softmax).problems
    assert exercises.MUTATION.format(name="x") in problems


def test_seed002_einsum_route_passes_the_gradient_checker():
    def grad(z, y):
        s = scipy_softmax(z)
        dE_ds = -(y / s) / len(z)
        ds_dz = np.einsum("ij,ik->ijk", s, -s)
        np.einsum("ijj->ij", ds_dz)[...] += s
        return np.einsum("ij,ijk->ik", dE_ds, ds_dz)

    report = check_cross_entropy_grad(grad)
    # exact on ordinary logits; y / s is 0/0-free here since s > 0 except in the extreme case
    assert exercises.CE_NO_MEAN not in report.problems
    assert exercises.CE_SIGN not in report.problems


# --- other named mistakes -----------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("fn", "messages"),
    [
        (lambda z, y: (y - scipy_softmax(z)) / len(z), [exercises.CE_SIGN]),
        (lambda z, y: y - scipy_softmax(z), [exercises.CE_SIGN, exercises.CE_NO_MEAN]),
        (lambda z, y: (scipy_softmax(z) - y) / z.shape[1], [exercises.CE_BY_K]),
        (lambda z, y: -(y / scipy_softmax(z)) / len(z), [exercises.CE_WRT_PROBS]),
        (lambda z, y: scipy_softmax(z) / len(z), [exercises.CE_NO_Y]),
        (lambda z, y: (z - y) / len(z), [exercises.CE_LOGITS]),
        (
            lambda z, y: (pitfalls.softmax_without_max_shift(z) - y) / len(z),
            [exercises.CE_OVERFLOW],
        ),
    ],
)
def test_cross_entropy_grad_mistakes(fn, messages):
    problems = check_cross_entropy_grad(fn).problems
    for message in messages:
        assert message in problems


def test_cross_entropy_grad_with_softmax_over_the_wrong_axis():
    def grad(z, y):
        return (pitfalls.softmax_over_axis0(z) - y) / len(z)

    problems = check_cross_entropy_grad(grad).problems
    assert "inside your gradient, " + exercises.AXIS_0 in problems


def test_log_softmax_overflow_and_global_max():
    def naive(x):
        return x - np.log(np.sum(np.exp(x), axis=-1, keepdims=True))

    def global_max(x):
        m = np.max(x)
        return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))

    def only_underflows(x):
        return x - np.log(np.sum(np.exp(np.minimum(x, 700.0)), axis=-1, keepdims=True))

    assert check_log_softmax(naive).problems == [exercises.LOG_OVERFLOW]  # one cause
    assert exercises.LOG_UNDERFLOW in check_log_softmax(only_underflows).problems
    assert check_log_softmax(global_max).problems == [exercises.GLOBAL_MAX]


def test_underflow_message_for_very_negative_logits():
    def shift_by_the_minimum(x):  # overflows for [1000, 5] too, but differently
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)

    report = check_softmax(shift_by_the_minimum)
    assert report.problems == [exercises.OVERFLOW]  # one cause, one message

    def only_underflows(x):
        e = np.exp(np.minimum(x, 700.0))
        return e / e.sum(axis=-1, keepdims=True)

    assert exercises.UNDERFLOW in check_softmax(only_underflows).problems


def test_slightly_wrong_values_fail_with_the_numbers():
    report = check_softmax(lambda x: sc.softmax(x) * 1.001)
    assert not report.passed
    assert any("do not sum to 1" in p for p in report.problems)
    report = check_log_softmax(lambda x: sc.log_softmax(x) + 1e-6 * np.arange(x.shape[-1]))
    assert report.problems[0].startswith("wrong values for [3.0, 1.0, 0.2]: expected [")


def test_float32_overflow_without_shift_is_caught():
    def clipped(x):  # survives [1000, 5] in float64, but not float32 [100, 0]
        x = np.clip(x, -700, 700)
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)

    assert exercises.OVERFLOW_FLOAT32 in check_softmax(clipped).problems


def test_read_only_input_that_cannot_be_written():
    def writes_only_when_allowed(x):
        out = np.array(x)  # copies, so the caller's array is safe ...
        if not x.flags.writeable:
            x[...] = 0  # ... except here, which a read-only array refuses
        return sc.softmax(out)

    (problem,) = check_softmax(writes_only_when_allowed).problems
    assert problem.startswith("your function writes into its input: on a read-only array")


# --- the checkers never raise on learner errors ---------------------------------------------


def raise_not_implemented(*args):
    raise NotImplementedError


def _stubs():
    def my_softmax(x):
        """Fill me in."""
        raise NotImplementedError("write your softmax here")

    return my_softmax


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


def test_a_list_result_is_accepted_when_right():
    assert check_softmax_jacobian(lambda s: solutions.jacobian_from_probs(s).tolist()).passed


def test_wrong_shape_is_named():
    problems = check_softmax(lambda x: np.ravel(sc.softmax(x))).problems
    assert "returned shape (12,) for the 3x4 batch" in " ".join(problems)


@pytest.mark.parametrize("checker", ALL_CHECKERS)
def test_not_a_function(checker):
    report = checker(np.array([1.0, 2.0]))
    assert report.problems == [
        "expected a function; received ndarray (pass the function itself, without calling it)"
    ]


def test_takes_is_validated():
    with pytest.raises(ValueError, match=r"takes must be 'probs' or 'logits'; received 'z'"):
        check_softmax_jacobian(solutions.jacobian_from_probs, takes="z")


def test_checkers_do_not_share_state_between_calls():
    first = check_softmax(pitfalls.softmax_over_axis0)
    second = check_softmax(sc.softmax)
    third = check_softmax(pitfalls.softmax_over_axis0)
    assert second.passed and first.problems == third.problems


# --- the report's displays ---------------------------------------------------------------


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


def test_integer_input_is_checked_with_float64_tolerance():
    def rounds_integer_input(x):
        s = sc.softmax(x)
        return s.round(5) if np.asarray(x).dtype.kind == "i" else s

    report = check_softmax(rounds_integer_input)
    assert report.problems[0].startswith("wrong values for the integers [1, 2, 3]")


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

    assert check_softmax(fn).problems == ["raised Strange for [3.0, 1.0, 0.2]"]
