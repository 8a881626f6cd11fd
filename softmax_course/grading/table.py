"""The course's exercises, one row each: what the grader calls, checks and draws.

The table is the grader's contract with the notebooks: an exercise is found in a
submission by the name of the function (or class) its exercise cell defines, and
checked by the named checker of ``softmax_course.exercises`` with the listed
keyword arguments. ``reference`` names the worked solution in
``softmax_course.solutions`` that answers the inputs drawn at grading time
(``softmax_course.grading.fresh``); ``draw`` names how those inputs are drawn
(None: the exercise has no inputs to draw, or its answer is not unique).
Discussion exercises have no function: the teacher scores them by hand, with
the rubrics of ``softmax_course.grading.rubrics`` (instructor edition only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DISCUSSIONS", "EXERCISES", "Discussion", "Exercise", "exercises_of", "lookup"]


@dataclass(frozen=True)
class Exercise:
    """One exercise whose function a checker judges.

    Attributes
    ----------
    id : str
        ``"LL.function"``: the lesson's two digits and the function's name (a CSV column).
    function : str
        The name the exercise cell defines (a function, or a class for a layer).
    checker : str
        The checker's name in ``softmax_course.exercises``.
    kwargs : dict
        Keyword arguments of the checker call in the lesson.
    reference : str or None
        The worked solution in ``softmax_course.solutions`` for fresh inputs.
    draw : str or None
        The kind of input drawn at grading time (a key of ``fresh.DRAWS``).
    """

    id: str
    function: str
    checker: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    reference: str | None = None
    draw: str | None = None

    @property
    def lesson(self) -> str:
        return self.id[:2]


@dataclass(frozen=True)
class Discussion:
    """A free-text exercise: the teacher scores it by hand, 0 to ``points``.

    Its rubric is in ``softmax_course.grading.rubrics`` (instructor edition only).
    """

    id: str
    title: str
    points: float

    @property
    def lesson(self) -> str:
        return self.id[:2]


def _e(id: str, checker: str, reference: str | None, draw: str | None, **kwargs: Any) -> Exercise:
    return Exercise(id, id[3:], checker, kwargs, reference, draw)


EXERCISES: tuple[Exercise, ...] = (
    _e("01.my_softmax", "check_softmax_vector", "softmax_rowwise", "vector"),
    _e("01.logits_from_probabilities", "check_logits_from_probabilities", None, "probabilities"),
    _e("01.temperature_for_confidence", "check_temperature_for_confidence", None, None),
    _e("02.my_softmax", "check_softmax", "softmax_rowwise", "logits"),
    _e("02.softmax_columns", "check_softmax_columns", "softmax_columns", "columns"),
    _e("02.make_breaking_batch", "check_breaking_batch", None, None),
    _e("03.log_softmax", "check_log_softmax", "log_softmax_stable", "logits"),
    _e("03.softmax", "check_softmax", "softmax_rowwise", "logits"),
    _e("03.largest_finite_exp_input", "check_largest_finite_exp_input", None, None),
    _e("04.softmax_jacobian", "check_softmax_jacobian", "jacobian_from_probs", "probs_vector"),
    _e(
        "04.jacobian_from_logits",
        "check_softmax_jacobian",
        "jacobian_from_logits",
        "vector",
        takes="logits",
    ),
    _e("04.batch_jacobian", "check_batch_jacobian", "batch_jacobian", "probs_batch"),
    _e("04.quadratic_form", "check_quadratic_form", "quadratic_form", "probs_and_vector"),
    _e("05.softmax_vjp", "check_softmax_vjp", "vjp", "probs_and_grad"),
    _e(
        "05.chain_through_jacobian",
        "check_chain_through_jacobian",
        "chain_through_jacobian",
        "chain",
    ),
    _e("05.SoftmaxWithTemperature", "check_softmax_with_temperature", None, None),
    _e(
        "06.cross_entropy_grad",
        "check_cross_entropy_grad",
        "cross_entropy_grad_from_logits",
        "one_hot",
    ),
    _e("06.loss_from_labels", "check_loss_from_labels", "loss_from_labels", "labels"),
    _e("06.grad_soft_targets", "check_grad_soft_targets", "grad_soft_targets", "soft_targets"),
    _e("06.kl_divergence", "check_kl_divergence", "kl_divergence", "distributions"),
    _e("07.standardize", "check_standardize", "standardize", "standardize"),
    _e("07.confusion_matrix", "check_confusion_matrix", "confusion_matrix", "confusion"),
    _e(
        "07.regression_gradients",
        "check_regression_gradients",
        "regression_gradients",
        "regression",
    ),
    _e("07.l2_gradients", "check_l2_gradients", "l2_gradients", "regression_l2"),
    _e("07.multiclass_hinge", "check_multiclass_hinge", "multiclass_hinge", "labels"),
    _e("08.fused_softmax", "check_fused_softmax", "softmax_rowwise", "logits_2d"),
    _e(
        "08.blocked_softmax",
        "check_softmax",
        "blocked_softmax",
        "logits_2d",
        keeps_dtype=True,
        block_rows=64,
    ),
    _e(
        "08.online_logsumexp_stream",
        "check_online_logsumexp_stream",
        "online_logsumexp_stream",
        "stream",
    ),
    _e("08.vjp_inplace", "check_softmax_vjp", "vjp_inplace", "probs_and_grad", in_place=True),
    _e("09.unbroadcast", "check_unbroadcast", "unbroadcast", "unbroadcast"),
    _e("09.logsumexp_vjp", "check_logsumexp_vjp", "logsumexp_vjp", "rows_and_grad"),
    _e("09.max_vjp", "check_max_vjp", "max_vjp", "rows_and_grad"),
)

DISCUSSIONS: tuple[Discussion, ...] = (
    Discussion("01.logits_not_unique", "Exercise 2: is your answer the only one?", 2.0),
    Discussion("02.which_axis", "Exercise 4 (discussion): which axis?", 3.0),
    Discussion(
        "04.quadratic_form_proof", "Exercise 4 (pen and paper): v^T J v and when it is zero", 3.0
    ),
)


def exercises_of(lesson: str) -> list[Exercise]:
    """The exercises of one lesson (``"02"``), in the notebook's order."""
    return [e for e in EXERCISES if e.lesson == lesson]


def lookup(checker: str, function: str | None, lesson: str | None = None) -> Exercise | None:
    """The exercise a checker call is about: by checker and function name (lesson first)."""
    found = [e for e in EXERCISES if e.checker == checker and e.function == function]
    if not found:  # a checker of a single exercise names it whatever the function's name
        found = [e for e in EXERCISES if e.checker == checker]
        found = found if len(found) == 1 else []
    if function is None:  # any exercise of this checker (its inputs and reference)
        found = [e for e in EXERCISES if e.checker == checker and not e.kwargs]
    if lesson is not None:
        found = [e for e in found if e.lesson == lesson] or found
    return found[-1] if found else None
