"""Checkers for the backward pass through softmax (lessons 05 and 08).

:func:`check_softmax_vjp`, :func:`check_chain_through_jacobian`,
:func:`check_softmax_with_temperature`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from softmax_course.core import softmax as _ref_softmax
from softmax_course.exercises._session import (
    _REPEATED,
    _SPREAD_LABEL,
    _SPREAD_ROWS,
    _VECTOR,
    FLOAT32_ONLY,
    CheckReport,
    _check_scratch,
    _close,
    _expected_got,
    _float32_only,
    _fmt,
    _run,
    _Session,
    _shift_inside,
)
from softmax_course.i18n import N_
from softmax_course.i18n import gettext as _

__all__ = [
    "CHAIN_J_G",
    "CHAIN_SUMMED_N",
    "CHAIN_VALUES",
    "LAYER_INSTANCE",
    "NOT_A_LAYER",
    "TEMPERATURE_NO_FACTOR",
    "TEMPERATURE_TIMES_T",
    "VJP_BATCH",
    "VJP_DIAGONAL",
    "VJP_JACOBIAN",
    "VJP_NO_INNER",
    "VJP_SIGN",
    "VJP_SWAPPED",
    "check_chain_through_jacobian",
    "check_softmax_vjp",
    "check_softmax_with_temperature",
]


VJP_SIGN = N_("sign error: your result is -J^T g; the VJP is s * (g - sum(s * g))")

VJP_DIAGONAL = N_(
    "only the diagonal s(1-s): you multiplied g by s(1-s) elementwise, so the off-diagonal "
    "entries -s_i s_j of the Jacobian are missing; the VJP is s * (g - sum(s * g))"
)

VJP_NO_INNER = N_(
    "the term -s <s, g> is missing: s * g is only diag(s) g; the -s s^T part of the "
    "Jacobian gives s * (g - sum(s * g))"
)

VJP_SWAPPED = N_("you used the arguments the other way round: the signature is fn(s, g)")

VJP_JACOBIAN = N_(
    "returned shape {shape}, the Jacobian; a VJP returns J^T g, one number per class "
    "(the shape of g)"
)

VJP_BATCH = N_(
    "right for one sample but wrong for a batch: the inner product <s, g> was summed over "
    "more than one sample (or without keepdims=True); take it per sample, "
    "np.sum(s * g, axis=-1, keepdims=True)"
)


def _vjp(s: np.ndarray, g: np.ndarray) -> np.ndarray:
    """J^T g = s * (g - <s, g>) per sample (J is symmetric)."""
    return s * (g - np.sum(s * g, axis=-1, keepdims=True))


def _vjp_battery(session: _Session) -> None:
    rng = np.random.default_rng(7)
    z_batch = np.round(rng.normal(size=(4, 3)) * 2, 2)
    g_batch = np.round(rng.normal(size=(4, 3)), 2)
    cases = [
        (np.array([3.0, 1.0, 0.2]), np.array([1.0, -2.0, 0.5]), _("1-D s and g (K = 3)"), False),
        (np.array([1.0, 2.0]), np.array([0.0, 1.0]), _("1-D s and g (K = 2)"), False),
        (z_batch, g_batch, _("a batch of shape (4, 3)"), False),
        (z_batch[:3], g_batch[:3], _("a square batch of shape (3, 3)"), False),
        (
            np.round(rng.normal(size=(2, 3, 4)), 2),
            np.round(rng.normal(size=(2, 3, 4)), 2),
            _("a batch of shape (2, 3, 4)"),
            False,
        ),
        (_REPEATED, np.array([0.5, 0.5, -1.0]), _("s from z = [1, 1, 2]"), False),
        (np.array([1.0, 2.0, 3.0]), np.ones(3), _("g = [1, 1, 1] (the VJP is 0)"), False),
        (
            _VECTOR.astype(np.float32),
            np.array([1.0, -2.0, 0.5], dtype=np.float32),
            _("float32 s and g"),
            False,
        ),
        (z_batch, g_batch, _("read-only s and g"), True),
    ]
    single_ok = True
    for z, g, label, read_only in cases:
        s = _ref_softmax(z)
        result = session.call([s, g], label, ["s", "g"], read_only=read_only)
        if result is None:
            continue
        ok = _diagnose_vjp(session, result, s, g, label, batch=z.ndim > 1, single_ok=single_ok)
        if z.ndim == 1:
            single_ok = single_ok and ok


def _batch_mistake(result: np.ndarray, s: np.ndarray, g: np.ndarray, dtype: np.dtype) -> bool:
    """The result is the VJP with the inner product <s, g> taken over the wrong axes."""
    with np.errstate(all="ignore"):
        wrong_sums = [np.sum(s * g), np.sum(s * g, axis=0)]
        if s.ndim == 2 and s.shape[0] == s.shape[1]:
            wrong_sums.append(np.sum(s * g, axis=-1))  # no keepdims: broadcast along rows
        return any(_close(result, s * (g - inner), dtype) for inner in wrong_sums)


def _diagnose_vjp(
    session: _Session,
    result: np.ndarray,
    s: np.ndarray,
    g: np.ndarray,
    label: str,
    *,
    batch: bool,
    single_ok: bool,
) -> bool:
    dtype = s.dtype
    expected = _vjp(s, g)
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(result)):
            session.add(
                f"nonfinite:{label}", _("returned inf or NaN for {label}").format(label=label)
            )
            return False
        K = s.shape[-1]
        if result.shape == s.shape[:-1] + (K, K):
            session.add("jacobian", VJP_JACOBIAN.format(shape=result.shape))
            return False
        if not session.shape_ok(result, s.shape, label):
            return False
        if _close(result, expected, dtype):
            return True
        if _close(result, -expected, dtype):
            session.add("sign", VJP_SIGN)
        elif _close(result, s * (1 - s) * g, dtype):
            session.add("diagonal", VJP_DIAGONAL)
        elif _close(result, s * g, dtype):
            session.add("no_inner", VJP_NO_INNER)
        elif _close(result, _vjp(g, s), dtype):
            session.add("swapped", VJP_SWAPPED)
        elif batch and single_ok and _batch_mistake(result, s, g, dtype):
            session.add("batch", VJP_BATCH)
        elif _float32_only(result, expected, dtype):
            session.add("float32_only", FLOAT32_ONLY.format(label=label))
        elif batch and single_ok:
            session.add(
                "batch_values",
                _("right for 1-D s and g but wrong for {label}: {comparison}").format(
                    label=label, comparison=_expected_got(expected, result)
                ),
            )
        else:
            session.add(
                "values",
                _("wrong values for {label}: {comparison}").format(
                    label=label, comparison=_expected_got(expected, result)
                ),
            )
        return False


def _check_in_place(session: _Session) -> None:
    """The scratch memory of the VJP on a (4096, 256) batch: one value per row at most."""
    rng = np.random.default_rng(9)
    s = _ref_softmax(rng.normal(size=(4096, 256)))
    g = rng.normal(size=s.shape)
    _check_scratch(
        session,
        [s, g],
        _("s and g of shape (4096, 256)"),
        ["s", "g"],
        limit=2**20,
        what=_("a temporary of the input's size, such as s * g or g - inner"),
        asked=_("the result and one value per row (np.einsum for the inner products, then out=)"),
    )


def check_softmax_vjp(
    fn: Callable[[np.ndarray, np.ndarray], Any], *, in_place: bool = False
) -> CheckReport:
    r"""Check a learner's backward pass through softmax, ``fn(s, g)`` = :math:`J^T g`.

    Parameters
    ----------
    fn : callable
        ``fn(s, g)`` with ``s = softmax(z)`` and the upstream gradient ``g``
        of the same shape (1-D or a batch, classes on the last axis);
        returns :math:`s \odot (g - \langle s, g \rangle)` of that shape.
    in_place : bool, optional
        Lesson 08's VJP without temporaries: also measure (with
        ``tracemalloc``) the memory the function holds at its peak besides
        its result, on ``s`` and ``g`` of shape ``(4096, 256)``; more than
        1 MiB fails. Two live temporaries of the input's size are caught; one
        freed before the next is made is not (numpy reuses the temporaries of
        ``s * (g - inner)``), so an ``s * g`` inside ``np.sum`` passes.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (sign, diagonal only,
        missing inner-product term, swapped arguments, per-sample sum in a
        batch, a full Jacobian returned, mutation, exceptions).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_softmax_vjp
    >>> def vjp(s, g):
    ...     return s * (g - np.sum(s * g, axis=-1, keepdims=True))
    >>> check_softmax_vjp(vjp).passed
    True
    >>> check_softmax_vjp(lambda s, g: s * g).problems
    ['the term -s <s, g> is missing: s * g is only diag(s) g; the -s s^T part of the Jacobian gives s * (g - sum(s * g))']
    """  # noqa: E501

    def battery(session: _Session) -> None:
        _vjp_battery(session)
        if in_place and not session.problems:
            _check_in_place(session)

    return _run("check_softmax_vjp", fn, battery, one_d_hint=True)


CHAIN_J_G = N_(
    "you computed J g; the chain rule sums over the first (output) index of ds_dz: "
    "dE/dz_nj = sum_i dE_ds[n, i] * ds_dz[n, i, j], which is J^T g ('ni,nij->nj')"
)

CHAIN_SUMMED_N = N_(
    "returned shape {shape}: you summed over the samples n as well; keep n in the output "
    "('ni,nij->nj')"
)

CHAIN_VALUES = N_("wrong values: compare result[0] with ds_dz[0].T @ dE_ds[0]")

TEMPERATURE_NO_FACTOR = N_(
    "the factor 1/T is missing: the chain rule through u = z / T multiplies the softmax "
    "VJP by du/dz = 1/T"
)

TEMPERATURE_TIMES_T = N_("you multiplied by T instead of dividing: du/dz for u = z / T is 1/T")


def _chain_battery(session: _Session) -> None:
    rng = np.random.default_rng(3)
    cases = [
        # Generic, non-symmetric "Jacobians": summing over the wrong index shows.
        (rng.normal(size=(5, 3)), rng.normal(size=(5, 3, 3)), "N = 5, K = 3"),
        (rng.normal(size=(1, 4)), rng.normal(size=(1, 4, 4)), _("a single sample, K = 4")),
    ]
    for dE_ds, ds_dz, label in cases:
        result = session.call([dE_ds, ds_dz], label, ["dE_ds", "ds_dz"])
        if result is None:
            continue
        N, K = dE_ds.shape
        expected = np.stack([ds_dz[n].T @ dE_ds[n] for n in range(N)])  # J^T g, one by one
        if N > 1 and result.shape == (K,) and _close(result, expected.sum(axis=0), dE_ds.dtype):
            session.add("summed_n", CHAIN_SUMMED_N.format(shape=result.shape))
            continue
        if not session.shape_ok(result, (N, K), label):
            continue
        if _close(result, expected, dE_ds.dtype):
            continue
        if _close(result, np.stack([ds_dz[n] @ dE_ds[n] for n in range(N)]), dE_ds.dtype):
            session.add("j_g", CHAIN_J_G)
        else:
            session.add("values", CHAIN_VALUES)


def check_chain_through_jacobian(fn: Callable[[np.ndarray, np.ndarray], Any]) -> CheckReport:
    r"""Check ``dE/dz`` from ``dE/ds`` and a batch of Jacobians (lesson 05, exercise 2).

    Parameters
    ----------
    fn : callable
        ``fn(dE_ds, ds_dz)`` for ``dE_ds`` of shape ``(N, K)`` and
        ``ds_dz`` of shape ``(N, K, K)`` with ``ds_dz[n, i, j]`` =
        :math:`\partial s_{ni} / \partial z_{nj}`; returns
        :math:`\partial E / \partial z_{nj} = \sum_i \partial E/\partial s_{ni}
        \, \partial s_{ni} / \partial z_{nj}` of shape ``(N, K)``.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (``J g`` instead of
        ``J^T g``, summing over the samples too, wrong shape or values,
        mutation, exceptions). The Jacobians tried are not symmetric.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.exercises import check_chain_through_jacobian
    >>> check_chain_through_jacobian(lambda g, J: np.einsum("ni,nij->nj", g, J)).passed
    True
    >>> check_chain_through_jacobian(lambda g, J: np.einsum("nj,nij->ni", g, J)).problems
    ["you computed J g; the chain rule sums over the first (output) index of ds_dz: dE/dz_nj = sum_i dE_ds[n, i] * ds_dz[n, i, j], which is J^T g ('ni,nij->nj')"]
    """  # noqa: E501
    return _run("check_chain_through_jacobian", fn, _chain_battery)


NOT_A_LAYER = N_(
    "layer_class({T}) returned {what}, which has no {missing} method: pass the layer class "
    "itself, e.g. check_softmax_with_temperature(SoftmaxWithTemperature)"
)

LAYER_INSTANCE = N_(
    "received an instance of {name}, not the class: the checker builds its own layers with "
    "several temperatures; pass the class itself, check_softmax_with_temperature({name})"
)


def _temperature_layer_battery(session: _Session) -> None:
    rng = np.random.default_rng(4)
    cases = [
        (
            0.5,
            rng.normal(size=(4, 3)),
            np.eye(3)[[0, 2, 1, 1]],
            _("T = 0.5, a batch of shape (4, 3)"),
        ),
        (3.0, np.array([2.0, -1.0, 0.5, 0.0]), np.eye(4)[1], _("T = 3, one sample with K = 4")),
        (1.0, _SPREAD_ROWS, np.eye(3)[[1, 2]], f"T = 1, {_SPREAD_LABEL}"),
    ]
    for T, z, y, label in cases:
        layer = session.call([T], f"layer_class({T})", ["temperature"], raw=True, given=True)
        if layer is None:
            continue
        missing = [m for m in ("forward", "backward") if not callable(getattr(layer, m, None))]
        if missing:
            session.add(
                "not_a_layer",
                NOT_A_LAYER.format(
                    T=T,
                    what=type(layer).__name__,
                    missing=_("{inputs} and {last}").format(inputs="forward()", last="backward()")
                    if len(missing) == 2
                    else f"{missing[0]}()",
                ),
            )
            continue
        s = session.call(
            [z],
            _("forward for {label}").format(label=label),
            ["z"],
            via=lambda x, _l=layer: _l.forward(x),
            given=True,
        )
        if s is None:
            continue
        s_ref = _ref_softmax(z / T)
        if s.shape == z.shape and _shift_inside(
            session,
            s,
            lambda sm, z=z, T=T: sm(z / T),
            _("forward for {label}").format(label=label),
        ):
            continue
        if not _close(s, s_ref, z.dtype):
            session.add(
                "forward",
                _("forward for {label} does not return softmax(z / T): {comparison}").format(
                    label=label, comparison=_expected_got(s_ref, s)
                ),
            )
            continue
        # The upstream gradient of half the squared error (s - y)^2 / 2, averaged over samples.
        N = z.size // z.shape[-1]
        g = (s_ref - y) / N
        dz = session.call(
            [g],
            _("backward for {label}").format(label=label),
            ["g"],
            via=lambda x, _l=layer: _l.backward(x),
        )
        if dz is None or not session.shape_ok(
            dz, z.shape, _("backward for {label}").format(label=label)
        ):
            continue
        expected = _vjp(s_ref, g) / T
        if _close(dz, expected, z.dtype):
            continue
        if _close(dz, expected * T, z.dtype):
            session.add("no_factor", TEMPERATURE_NO_FACTOR)
        elif _close(dz, expected * T * T, z.dtype):
            session.add("times_t", TEMPERATURE_TIMES_T)
        elif _close(dz, -expected, z.dtype):
            session.add("sign", VJP_SIGN)
        elif _close(dz, s_ref * (1 - s_ref) * g / T, z.dtype):
            session.add("diagonal", VJP_DIAGONAL)
        else:
            with np.errstate(all="ignore"):
                error = float(
                    np.max(np.abs(dz - expected))
                    / max(float(np.max(np.abs(dz) + np.abs(expected))), 1e-300)
                )
            session.add(
                "values",
                _(
                    "backward for {label}: relative error {error:.2g} against the expected "
                    "gradient {expected}"
                ).format(label=label, error=error, expected=_fmt(expected)),
            )


def check_softmax_with_temperature(layer_class: Callable[[float], Any]) -> CheckReport:
    r"""Check the backward pass of a softmax layer with temperature (lesson 05, exercise 3).

    Parameters
    ----------
    layer_class : callable
        ``layer_class(T)`` builds a layer with ``forward(z)`` returning
        ``softmax(z / T)`` and ``backward(g)`` returning
        :math:`\partial E / \partial z = \frac{1}{T}\, s \odot (g - \langle s, g \rangle)`.
        Tried with ``T = 0.5`` on a batch and ``T = 3`` on one sample, with
        the upstream gradient ``g`` of the half squared error.

    Returns
    -------
    CheckReport
        ``passed`` and one message per mistake found (the factor ``1/T``
        missing, multiplied by ``T``, sign, only the diagonal, wrong values,
        mutation, exceptions).

    Examples
    --------
    >>> from softmax_course import solutions
    >>> from softmax_course.exercises import check_softmax_with_temperature
    >>> check_softmax_with_temperature(solutions.SoftmaxWithTemperature)
    check_softmax_with_temperature(SoftmaxWithTemperature): passed
    """
    if not isinstance(layer_class, type) and callable(getattr(layer_class, "backward", None)):
        name = type(layer_class).__name__
        return CheckReport(
            f"check_softmax_with_temperature({name} instance)",
            passed=False,
            problems=[LAYER_INSTANCE.format(name=name)],
        )
    return _run("check_softmax_with_temperature", layer_class, _temperature_layer_battery)
