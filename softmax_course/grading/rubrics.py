"""The rubrics of the discussion exercises: instructor edition only (``make student`` drops
this module). One line per point; the teacher enters 0 to the exercise's points in the
``manual:<id>`` column of ``grades.csv``.
"""

from __future__ import annotations

__all__ = ["RUBRICS", "rubrics_markdown"]

RUBRICS: dict[str, tuple[str, ...]] = {
    "01.logits_not_unique": (
        "1 point: no; adding the same constant c to every logit gives the same softmax "
        "(softmax(z + c) = softmax(z)), so log(p) + c works for every c.",
        "1 point: says why: the factor e^c cancels between numerator and denominator.",
    ),
    "02.which_axis": (
        "1 point: the softmax runs over the keys, the last axis (axis=-1): one distribution "
        "per (sample, query) pair, the maximum subtracted per pair.",
        "1 point: says what normalizing over the queries would mean instead (each key "
        "distributing itself over the queries: another question).",
        "1 point: for another normalized axis a: the sum over axis a is 1 for every index of "
        "the other axes, and each slice equals the softmax of that slice alone.",
    ),
    "04.quadratic_form_proof": (
        "1 point: expands v^T (diag(s) - s s^T) v = sum_i s_i v_i^2 - (sum_i s_i v_i)^2.",
        "1 point: reads it as the variance of v under the distribution s, hence >= 0.",
        "1 point: zero exactly when v is constant on the classes with s_i > 0 "
        "(v = c * ones, since every s_i > 0 for finite logits).",
    ),
}


def rubrics_markdown() -> str:
    """The rubrics as Markdown (``RUBRICS.md`` of the instructor edition)."""
    from softmax_course.grading.table import DISCUSSIONS, EXERCISES

    lines = ["# Rubrics of the discussion exercises", ""]
    for d in DISCUSSIONS:
        lines += [f"## {d.id}: {d.title} ({d.points:g} points)", ""]
        lines += [f"- {line}" for line in RUBRICS[d.id]]
        lines.append("")
    lines += ["# The automatically graded exercises", ""]
    lines += ["| exercise | checker | worked solution |", "| --- | --- | --- |"]
    for e in EXERCISES:
        lines.append(f"| {e.id} | `{e.checker}` | `solutions.{e.reference or e.function}` |")
    lines.append("")
    return "\n".join(lines)
