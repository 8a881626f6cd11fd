r"""Checkers for the lesson exercises: run a learner's function and name the mistake.

Each ``check_*`` function calls the learner's function on a small battery of
inputs (a vector, batches of several shapes, very large and very negative
logits, repeated values, float32, integer and read-only arrays), compares
every answer with a reference computed here with careful numpy, and returns a
:class:`CheckReport`. When an answer is wrong the report does not stop at
"wrong values": it tries the known wrong formulas (the ones in the seed
threads and in :mod:`softmax_course.pitfalls`) and says which one was used,
e.g. *"rows do not sum to 1: you normalized over axis 0 of a batch"*.

A message names a cause only when the checker has confirmed it: it runs the
suspected wrong formula on the same input and the learner's output matches
(the same NaN and infinite entries, the other entries close), or it observes
the cause directly (the columns sum to 1). Otherwise the report states the
symptom (*"returned inf or NaN for [1000, 5]: ..."*) and the expected values,
printed with enough digits to differ where they differ.

**The precision rule** (one for every checker): an answer is judged at the
precision the exercise asks for, which is that of its input: float64 for
float64, integer and Python-number input, float32 for float32 input (about
1000 units in the last place: ``rtol=1e-7`` in float64, ``1e-4`` in float32;
an absolute floor accepts ``log(1 + tiny)`` where the reference has
``log1p(tiny)``). A lower-precision answer never passes and is told so in
words, not shown as two identical-looking arrays: one that agrees only to
float32 (or float16) precision gets *"correct to float32 precision only: ...
the exercise asks for float64"*, with the cause named when it is confirmed
(every number of the answer is a float32 number); one returned in a lower
dtype gets *"your answer ... is float32 ...; the exercise asks for float64"*
even when it is wrong for other reasons too.

The checkers live in modules by topic: :mod:`~softmax_course.exercises.forward`
(softmax, log-softmax, lessons 01-03), :mod:`~softmax_course.exercises.jacobian`,
:mod:`~softmax_course.exercises.backward` (the VJP, the chain rule, a layer),
:mod:`~softmax_course.exercises.cross_entropy`, :mod:`~softmax_course.exercises.training`,
:mod:`~softmax_course.exercises.streaming` and :mod:`~softmax_course.exercises.capstone`
(the KL, weight-decay, hinge and backprop-by-hand exercises of lessons 06, 07 and 09); the machinery that runs a
learner's function safely and builds the :class:`CheckReport` is in the private
``_session`` module. Every checker is importable from this package.

The checkers, by lesson (the exercise's function in brackets):

========= ==============================================================================
lesson    checkers
========= ==============================================================================
01        :func:`check_softmax_vector` (``my_softmax``), :func:`check_softmax`,
          :func:`check_logits_from_probabilities`, :func:`check_temperature_for_confidence`
02        :func:`check_softmax`, :func:`check_softmax_columns`, :func:`check_breaking_batch`
03        :func:`check_log_softmax`, :func:`check_softmax`,
          :func:`check_largest_finite_exp_input`
04        :func:`check_softmax_jacobian` (from ``s`` or, with ``takes="logits"``, from ``z``),
          :func:`check_batch_jacobian`, :func:`check_quadratic_form`
05        :func:`check_softmax_vjp`, :func:`check_chain_through_jacobian`,
          :func:`check_softmax_with_temperature` (a layer class)
06        :func:`check_cross_entropy_grad`, :func:`check_loss_from_labels`,
          :func:`check_grad_soft_targets`, :func:`check_kl_divergence`
07        :func:`check_standardize`, :func:`check_confusion_matrix`,
          :func:`check_regression_gradients`, :func:`check_l2_gradients`,
          :func:`check_multiclass_hinge`
08        :func:`check_softmax` (``blocked_softmax``, with ``keeps_dtype=True``),
          :func:`check_online_logsumexp_stream`,
          :func:`check_softmax_vjp` (``vjp_inplace``)
09        :func:`check_unbroadcast`, :func:`check_logsumexp_vjp`, :func:`check_max_vjp`
========= ==============================================================================

The reports are in the learner's language: English, Simplified Chinese, Russian or
Japanese, as :mod:`softmax_course.i18n` chooses it (``set_language("zh")`` in a lesson's
first cell, ``SOFTMAX_COURSE_LANG``, or the locale); the English examples here are the
default.

A checker never raises because of the learner's code: a stub that raises
``NotImplementedError`` on every input is reported as "not implemented yet";
any other exception, ``sys.exit()`` and the learner's own ``BaseException``
subclasses included, is reported once with its type, its message and the
inputs it affected, and every other input of the battery is still run and
diagnosed (a function that handles 1-D input but raises for batches gets both
reports). A call that takes more than 5 s, or calls that take more than 15 s
in all, are stopped with a message and the function is not called again
(through ``SIGALRM``, every 50 ms until the function stops). Warnings raised
inside the learner's function (overflow in ``exp``, ``0/0``) are silenced so
that the report is the only output.

On Linux each checker call forks **one child process** that runs the whole
battery and sends the report back; the parent kills the child after 20 s
(``_session.HARD_TIME_LIMIT``). So a function that swallows the stop signal
(a bare ``except:`` in a loop), ends the process (``os._exit``) or crashes in
compiled code is reported and cannot hang or end the session; the fork costs
a few tens of milliseconds per checker call (measured on a shared 2-core
machine: 30 to 40 ms, e.g. 46 ms against 13 ms in-process for
``check_softmax`` of a correct answer). Side effects
of the learner's function (a global list it appends to) stay in the child. On
Windows and macOS (no fork, or libraries unsafe after fork) the battery runs in
the session's process: there a function that swallows the stop signal is not
stopped, and on Windows (no ``SIGALRM``) no time limit applies at all.

Ctrl-C interrupts a checker with ``KeyboardInterrupt`` (from the learner's
code or while the parent waits for the child, which is then killed), unless
the process ignores SIGINT, as one started with ``nohup`` or as a background
job of a non-interactive shell does: then Ctrl-C does nothing, here as
everywhere in that process, and only the time limits stop the function.

Examples
--------
>>> import numpy as np
>>> from softmax_course.exercises import check_softmax
>>> def my_softmax(x):
...     raise NotImplementedError
>>> check_softmax(my_softmax)
check_softmax(my_softmax): not passed
  - not implemented yet: replace `raise NotImplementedError` with your code, then run this check again

>>> def my_softmax(x):
...     e = np.exp(x - np.max(x, axis=-1, keepdims=True))
...     return e / np.sum(e, axis=-1, keepdims=True)
>>> report = check_softmax(my_softmax)
>>> report.passed
True

>>> def seed_softmax(x):  # the version copied from a Q&A thread
...     return np.exp(x) / np.sum(np.exp(x), axis=0)
>>> for problem in check_softmax(seed_softmax).problems:
...     print(problem)
rows do not sum to 1: you normalized over axis 0 of a batch (each column sums to 1); the classes are on the last axis: sum over axis=-1 with keepdims=True
overflow for [1000, 5]: exp(1000) is inf and inf/inf is NaN; subtract the maximum first (softmax(x - max(x)) equals softmax(x))
"""  # noqa: E501

from __future__ import annotations

# The messages (the tests and the lessons quote them) and the checkers, by topic.
from softmax_course.exercises._session import *  # noqa: F403
from softmax_course.exercises._session import CheckReport
from softmax_course.exercises.backward import *  # noqa: F403
from softmax_course.exercises.backward import (
    check_chain_through_jacobian,
    check_softmax_vjp,
    check_softmax_with_temperature,
)
from softmax_course.exercises.capstone import *  # noqa: F403
from softmax_course.exercises.capstone import (
    check_kl_divergence,
    check_l2_gradients,
    check_logsumexp_vjp,
    check_max_vjp,
    check_multiclass_hinge,
    check_unbroadcast,
)
from softmax_course.exercises.cross_entropy import *  # noqa: F403
from softmax_course.exercises.cross_entropy import (
    check_cross_entropy_grad,
    check_grad_soft_targets,
    check_loss_from_labels,
)
from softmax_course.exercises.forward import *  # noqa: F403
from softmax_course.exercises.forward import (
    check_breaking_batch,
    check_largest_finite_exp_input,
    check_log_softmax,
    check_logits_from_probabilities,
    check_softmax,
    check_softmax_columns,
    check_softmax_vector,
    check_temperature_for_confidence,
)
from softmax_course.exercises.jacobian import *  # noqa: F403
from softmax_course.exercises.jacobian import (
    check_batch_jacobian,
    check_quadratic_form,
    check_softmax_jacobian,
)
from softmax_course.exercises.kernels import check_fused_softmax  # noqa: F401 (lesson 08, sec. 6)
from softmax_course.exercises.streaming import *  # noqa: F403
from softmax_course.exercises.streaming import check_online_logsumexp_stream
from softmax_course.exercises.training import *  # noqa: F403
from softmax_course.exercises.training import (
    check_confusion_matrix,
    check_regression_gradients,
    check_standardize,
)

__all__ = [
    "CheckReport",
    "check_batch_jacobian",
    "check_breaking_batch",
    "check_chain_through_jacobian",
    "check_confusion_matrix",
    "check_cross_entropy_grad",
    "check_grad_soft_targets",
    "check_kl_divergence",
    "check_l2_gradients",
    "check_logsumexp_vjp",
    "check_max_vjp",
    "check_multiclass_hinge",
    "check_unbroadcast",
    "check_largest_finite_exp_input",
    "check_log_softmax",
    "check_logits_from_probabilities",
    "check_loss_from_labels",
    "check_online_logsumexp_stream",
    "check_quadratic_form",
    "check_regression_gradients",
    "check_softmax",
    "check_softmax_columns",
    "check_softmax_jacobian",
    "check_softmax_vector",
    "check_softmax_vjp",
    "check_softmax_with_temperature",
    "check_standardize",
    "check_temperature_for_confidence",
]
