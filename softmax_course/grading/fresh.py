"""Inputs drawn at grading time: an answer hard-coded to the checkers' fixed inputs fails.

In grading mode each checker call also runs the learner's function on
``DRAWS_PER_EXERCISE`` inputs drawn from ``numpy.random.default_rng([seed,
crc32(exercise id)])`` and compares every answer with the exercise's worked
solution at the precision rule of the checkers (float64: ``rtol=1e-7``,
``atol=1e-10``). The same seed draws the same inputs, so the same scores. The
messages name how many drawn inputs failed, never the inputs, unless the
teacher asks (``show_hidden``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from softmax_course.exercises._session import _fmt, _Session

__all__ = ["DRAWS", "DRAWS_PER_EXERCISE", "fresh_battery"]

#: How many inputs are drawn for each exercise.
DRAWS_PER_EXERCISE = 5

Draw = Callable[[np.random.Generator, int], tuple[Any, ...]]


def _shape(rng: np.random.Generator, i: int, *, ndim: int | None = None) -> tuple[int, ...]:
    k, n = int(rng.integers(2, 8)), int(rng.integers(2, 6))
    ndim = ndim if ndim is not None else (1, 2, 3)[i % 3]
    return {1: (k,), 2: (n, k), 3: (2, n, k)}[ndim]


def _logits(rng: np.random.Generator, shape: tuple[int, ...], i: int) -> np.ndarray:
    z = np.round(rng.normal(scale=3.0, size=shape), 3)
    return z + 800.0 if i == DRAWS_PER_EXERCISE - 1 else z  # the last draw needs a max shift


def _probs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    e = np.exp(rng.normal(size=shape))
    return e / e.sum(axis=-1, keepdims=True)


def _labels(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.integers(0, k, size=n)


def _regression(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    n, d, k = int(rng.integers(3, 9)), int(rng.integers(2, 5)), int(rng.integers(2, 6))
    return (
        rng.normal(size=(n, d)),
        rng.normal(size=(d, k)),
        rng.normal(size=k),
        _labels(rng, n, k),
    )


def _stream(values: list[float]) -> Iterator[float]:
    yield from values


def _unbroadcast(rng: np.random.Generator, i: int) -> tuple[Any, ...]:
    shapes = [(3, 1), (4,), (1, 4), (2, 3, 4), (2, 1, 4)]
    return rng.normal(size=(2, 3, 4)), shapes[i % len(shapes)]


DRAWS: dict[str, Draw] = {
    "vector": lambda rng, i: (_logits(rng, _shape(rng, i, ndim=1), i),),
    "logits": lambda rng, i: (_logits(rng, _shape(rng, i), i),),
    "logits_2d": lambda rng, i: (
        _logits(rng, (int(rng.integers(2, 140)), int(rng.integers(2, 9))), i),
    ),
    "columns": lambda rng, i: (_logits(rng, _shape(rng, i, ndim=2), i),),
    "probabilities": lambda rng, i: (_probs(rng, _shape(rng, i, ndim=1)),),
    "probs_vector": lambda rng, i: (_probs(rng, _shape(rng, i, ndim=1)),),
    "probs_batch": lambda rng, i: (_probs(rng, _shape(rng, i, ndim=2)),),
    "probs_and_vector": lambda rng, i: (
        _probs(rng, (k := int(rng.integers(2, 8)),)),
        rng.normal(size=k),
    ),
    "probs_and_grad": lambda rng, i: (
        _probs(rng, shape := _shape(rng, i, ndim=1 + i % 2)),
        rng.normal(size=shape),
    ),
    "chain": lambda rng, i: (
        rng.normal(size=(n := int(rng.integers(2, 5)), k := int(rng.integers(2, 6)))),
        rng.normal(size=(n, k, k)),
    ),
    "one_hot": lambda rng, i: (
        _logits(rng, (n := int(rng.integers(2, 6)), k := int(rng.integers(2, 8))), i),
        np.eye(k)[_labels(rng, n, k)],
    ),
    "soft_targets": lambda rng, i: (
        _logits(rng, (n := int(rng.integers(2, 6)), k := int(rng.integers(2, 8))), i),
        rng.uniform(0.0, 2.0, size=(n, k)),
    ),
    "labels": lambda rng, i: (
        _logits(rng, (n := int(rng.integers(2, 6)), k := int(rng.integers(2, 8))), i),
        _labels(rng, n, k),
    ),
    "distributions": lambda rng, i: (
        _probs(rng, shape := _shape(rng, i, ndim=2)) * (rng.random(shape) > 0.2),
        _probs(rng, shape),
    ),
    "standardize": lambda rng, i: (
        rng.normal(3.0, 2.0, size=(int(rng.integers(4, 9)), d := int(rng.integers(2, 5)))),
        rng.normal(3.0, 2.0, size=(int(rng.integers(2, 5)), d)),
    ),
    "confusion": lambda rng, i: (
        _labels(rng, n := int(rng.integers(5, 30)), k := int(rng.integers(2, 6))),
        _labels(rng, n, k),
        k,
    ),
    "regression": lambda rng, i: _regression(rng),
    "regression_l2": lambda rng, i: (*_regression(rng), float(rng.uniform(0.01, 1.0))),
    "stream": lambda rng, i: ([float(v) for v in _logits(rng, (int(rng.integers(1, 30)),), i)],),
    "unbroadcast": _unbroadcast,
    "rows_and_grad": lambda rng, i: (
        _logits(rng, (n := int(rng.integers(2, 6)), int(rng.integers(2, 8))), i),
        rng.normal(size=n),
    ),
}


def _agrees(answer: Any, expected: Any) -> bool:
    """The checkers' float64 rule: every part of the answer close to the reference."""
    if isinstance(expected, tuple):
        if not isinstance(answer, tuple | list) or len(answer) != len(expected):
            return False
        return all(_agrees(a, e) for a, e in zip(answer, expected, strict=True))
    try:
        got = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    want = np.asarray(expected, dtype=np.float64)
    with np.errstate(all="ignore"):
        return got.shape == want.shape and bool(
            np.allclose(got, want, rtol=1e-7, atol=1e-10, equal_nan=True)
        )


def _agrees_softmax(args: tuple[Any, ...], answer: Any) -> bool:
    """logits_from_probabilities: any logits whose softmax is ``p`` (the answer is not unique)."""
    try:
        z = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if z.shape != args[0].shape:
        return False
    with np.errstate(all="ignore"):
        e = np.exp(z - np.max(z))
        return bool(np.allclose(e / e.sum(), args[0], rtol=1e-7, atol=1e-10))


def _names(args: tuple[Any, ...]) -> list[str]:
    return [f"argument {i + 1}" for i in range(len(args))]


def fresh_battery(
    exercise_id: str,
    draw: str,
    reference: Callable[..., Any] | None,
    seed: int,
    *,
    show_hidden: bool = False,
) -> Callable[[_Session], None]:
    """A checker battery of ``DRAWS_PER_EXERCISE`` inputs drawn from ``seed``.

    ``reference`` answers them (None: the answer is judged by its softmax, for
    ``draw="probabilities"``). A wrong answer is counted, and told as a count
    with the seed; the inputs and expected values only with ``show_hidden``.
    """
    rng_seed = [seed, zlib.crc32(exercise_id.encode())]

    def battery(session: _Session) -> None:
        rng = np.random.default_rng(rng_seed)
        wrong: list[str] = []
        for i in range(DRAWS_PER_EXERCISE):
            args = DRAWS[draw](rng, i)
            label = f"input {i + 1} of {DRAWS_PER_EXERCISE} drawn at grading time"
            given = (_stream(list(args[0])),) if draw == "stream" else args
            answer = session.call(given, label, _names(given), raw=True)
            if answer is None:
                continue
            if reference is None:
                ok = _agrees_softmax(args, answer)
                expected: Any = None
            else:
                expected = reference(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
                ok = _agrees(answer, expected)
            if not ok:
                session.failed_calls.add(session.checks)
                shown = ""
                if show_hidden:
                    inputs = ", ".join(_fmt(np.asarray(a)) for a in args)
                    want = "" if expected is None else f", expected {_show(expected)}"
                    shown = f" (input {inputs}{want}, got {_show(answer)})"
                wrong.append(f"{i + 1}{shown}")
        if wrong:
            session.add(
                "fresh",
                f"wrong answer for {len(wrong)} of {DRAWS_PER_EXERCISE} inputs drawn at "
                f"grading time (seed {seed}): input {', input '.join(wrong)}; an answer "
                "must hold for every input, not only for the ones the lesson shows",
            )

    return battery


def _show(value: Any) -> str:
    if isinstance(value, tuple | list) and len(value) <= 4:
        return "(" + ", ".join(_show(v) for v in value) + ")"
    try:
        return _fmt(np.asarray(value))
    except Exception:  # noqa: BLE001 -- whatever the learner returned
        return type(value).__name__
