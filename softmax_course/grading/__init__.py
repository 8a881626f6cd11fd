"""The teacher's kit: scores, grading mode, inputs drawn at grading time, batch grading.

**The score rule** (``SCORE_RULE``): every ``softmax_course.exercises.CheckReport``
carries a ``score`` between 0 and 1, its ``exercise`` identifier and the course
``version``. A report that passes scores 1. Otherwise the score is the share of
the checker's calls of the learner's function after which no problem was noted
(a problem is noted after the call that showed it), kept below 1; a stub (only
``NotImplementedError``), a function stopped by the time limit, one that ended
its process and a non-callable score 0. The named mistakes are the report's
``problems``.

**Grading mode** (``SOFTMAX_COURSE_GRADING=1`` or ``grading``): a check
that does not pass raises ``AssertionError`` with the report as its message,
and each checker also runs inputs drawn from a seed
(``SOFTMAX_COURSE_SEED``, reported in ``report.seed``) against the worked
solution, so an answer hard-coded to the lesson's inputs fails. Learners,
outside grading mode, see the same reports as before.

**Batch grading**: ``python -m softmax_course grade SUBMISSIONS`` (see
``softmax_course.grading.batch``).
"""

from __future__ import annotations

from softmax_course.grading.mode import current, grading
from softmax_course.grading.table import DISCUSSIONS, EXERCISES, Discussion, Exercise

__all__ = ["DISCUSSIONS", "EXERCISES", "SCORE_RULE", "Discussion", "Exercise", "current", "grading"]

#: The score of a report, in one sentence (written into every CSV and results.json).
SCORE_RULE = (
    "1 when the check passes; otherwise the share of the checker's calls of the function after "
    "which no problem was noted, below 1; 0 for a stub, a function stopped by the time limit "
    "or one that ended its process"
)
