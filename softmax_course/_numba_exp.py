r"""A vectorizable ``exp`` for compiled loops: range reduction and a polynomial (private).

Importing this module imports numba; :mod:`softmax_course.backend` imports it
only on the first call that takes the compiled path.

Why not ``np.exp`` in a compiled loop? numba lowers it to a call of the C
library's scalar ``exp``: a function call per element that LLVM cannot turn
into SIMD instructions, so a loop calling it is no faster than numpy (which on
an AVX2 CPU also calls the scalar libm ``exp`` for float64). The function
below is made only of additions, multiplications, a rounding and integer bit
operations, which LLVM compiles to vector instructions when it is inlined in
a loop.

The method (the textbook one, as in fdlibm and Cephes):

1. **Range reduction.** Write :math:`x = k \ln 2 + r` with the integer
   :math:`k = \operatorname{round}(x / \ln 2)`, so that
   :math:`|r| \le \ln 2 / 2 \approx 0.347` and
   :math:`e^x = 2^k e^r`. :math:`\ln 2` is split in two,
   ``LN2_HI + LN2_LO``, where ``LN2_HI`` has enough trailing zero bits for
   ``k * LN2_HI`` to be exact for every ``|k| <= 1100`` (float64) or
   ``<= 200`` (float32); then ``x - k * LN2_HI`` is exact too (the two are
   within a factor 2, Sterbenz's lemma) and only ``k * LN2_LO`` rounds, at
   the level of :math:`2^{-53}|r|`.
2. **Polynomial.** :math:`e^r = 1 + r + r^2 q(r)` on :math:`|r| \le 0.347`,
   where ``q`` is not the Taylor polynomial but the *minimax* polynomial of
   its degree: the one whose largest relative error on the interval is the
   smallest (``scripts/exp_coefficients.py`` computes it by Lawson's
   iteration in 80-bit arithmetic, keeping ``1 + r`` exact). Its error is
   three orders of magnitude below that of the Taylor polynomial of the same
   degree, so float64 needs degree 11 instead of 13 (largest relative error
   :math:`5.6\cdot10^{-18}`, 0.05 of the unit roundoff :math:`2^{-53}`) and
   float32 degree 6 instead of 7 (:math:`3.8\cdot10^{-9}`, 0.06 of
   :math:`2^{-24}`): two and one fused multiply-adds fewer per element,
   measured 13 % and 9 % less time per exp (AVX2). Its last two steps are
   Horner's rule, :math:`1 + r\,(1 + r\,q(r))`: the last addition of 1 is the
   largest rounding (half an ulp); the rest contributes well under one ulp.
   ``q`` is evaluated by Estrin's scheme, in pairs :math:`(c_n + c_{n+1} r)`
   combined with :math:`r^2, r^4`: Horner's rule all the way would be one
   chain of 11 (float64) dependent fused multiply-adds, each waiting for the
   previous one's result, and the CPU would sit idle in that latency
   (measured with the degree-13 polynomial: 20 % slower in float64, 15 % in
   float32).
3. **Scaling by** :math:`2^k`. Built from its bits (exponent field
   ``k + bias``) rather than by ``ldexp`` (a library call). To reach the
   subnormal range without a branch the factor is applied in two halves,
   :math:`2^{\lfloor k/2 \rfloor} \cdot 2^{k - \lfloor k/2 \rfloor}`: both
   halves are normal numbers for every ``k`` that can occur, the first
   product is exact and the second rounds once, so a subnormal result is
   the correctly rounded subnormal of the polynomial's value, and a result
   below half the smallest subnormal is exactly 0.

Special values: ``x`` is clamped to ``[LOW, HIGH]`` first (``LOW`` below the
point where ``exp`` rounds to 0, ``HIGH`` above the point where it overflows),
so ``-inf`` gives exactly 0 and ``+inf`` gives ``inf`` through the same
arithmetic. The clamps are written ``LOW if x < LOW else x``, so that a NaN
(for which every comparison is false) is kept, and then NaN propagates
through every arithmetic step to the result: no select at the end. None of
this needs a branch, so the loop vectorizes.

The kernels call :func:`exp64_nonpositive` and :func:`exp32_nonpositive`
instead: their arguments are ``x - max``, never above 0, so ``k <= 0`` and
the factor can be :math:`2^{k + 1022}` (float32: :math:`2^{k + 126}`), a normal
number for every such ``k``, times the smallest normal number. Again the
first product is exact and the second rounds once: the same bits as
:func:`exp64` for every argument ``<= 0`` (tested on the million points), for
an addition and a shift where the two halves take an arithmetic shift, a
subtraction and another shift each (and AVX2 has no arithmetic shift of 64-bit
lanes). Measured 5-11 % less time per exp, AVX2. A positive argument is taken as 0.

The tests (``tests/test_numba_backend.py``) check the bound against
``np.longdouble`` (80-bit extended) for float64 and float64 for float32 on
more than a million points from the underflow limit to 0: at most 1 ulp of
error measured for float64 and float32 (the documented bound is 2 ulp).

The functions are compiled with ``fastmath={'contract'}`` only: contracting
``a * b + c`` into one fused multiply-add is harmless (more accurate), but
``'reassoc'`` would let LLVM rewrite ``(k + SHIFT) - SHIFT``-style
expressions and ``'nnan'``/``'ninf'`` would let it drop the NaN select.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = [
    "exp",
    "exp32",
    "exp32_nonpositive",
    "exp64",
    "exp64_nonpositive",
    "exp_array",
    "exp_nonpositive",
    "log1p64",
    "log1p_array",
]

# float64 constants
LOG2E = 1.4426950408889634  # 1 / ln 2
LN2_HI = 6.93147180369123816490e-01  # 0x3FE62E42FEE00000: 32 significant bits
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
LOW = -750.0  # e^-745.14 is already below half the smallest subnormal: 0
HIGH = 710.0  # e^709.79 overflows: inf
SHIFT = 6755399441055744.0  # 1.5 * 2**52: x + SHIFT rounds x to an integer (|x| < 2**51)
SHIFT_BITS = int(np.float64(SHIFT).view(np.int64))
TWO_TO_MINUS_1022 = 2.0**-1022  # the smallest normal float64
# float32 constants (Cephes expf)
LOG2E_F = np.float32(1.44269504088896341)
LN2_HI_F = np.float32(0.693359375)  # 9 significant bits
LN2_LO_F = np.float32(-2.12194440e-4)
LOW_F = np.float32(-110.0)  # e^-103.98 rounds to 0 in float32
HIGH_F = np.float32(89.0)  # e^88.73 overflows float32
SHIFT_F = np.float32(12582912.0)  # 1.5 * 2**23
SHIFT_BITS_F = int(SHIFT_F.view(np.int32))
ZERO_F = np.float32(0.0)

# The tail q(r) of e^r = 1 + r + r^2 q(r), lowest degree first: minimax polynomials printed by
# scripts/exp_coefficients.py (degree 11 overall in float64, largest relative error 5.6e-18 on
# |r| <= ln(2)/2; degree 6 in float32, 3.8e-9), checked by tests/test_numba_backend.py.
_Q64 = (
    0.5000000000000011,
    0.16666666666666435,
    0.0416666666665284,
    0.00833333333348246,
    0.0013888888943971557,
    0.00019841269529651673,
    2.4801492816166302e-05,
    2.755756761515984e-06,
    2.7630333068975726e-07,
    2.500556411887692e-08,
)
_Q32 = tuple(
    np.float32(c)
    for c in (
        0.4999999403953552,
        0.1666652113199234,
        0.04166838899254799,
        0.008368716575205326,
        0.001381459878757596,
    )
)
(Q2, Q3, Q4, Q5, Q6, Q7, Q8, Q9, Q10, Q11) = _Q64
(P2, P3, P4, P5, P6) = _Q32
ONE_F = np.float32(1.0)


@intrinsic
def _int64_as_float64(typingctx, bits):
    """Reinterpret the bits of an int64 as a float64 (an LLVM ``bitcast``: vectorizes)."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _float64_as_int64(typingctx, value):
    """Reinterpret the bits of a float64 as an int64."""
    if value != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _times_pow2_f32(typingctx, p, t):
    """``(p * 2**h) * 2**(k - h)``, ``h = floor(k/2)``, with ``k`` in the low bits of ``t``.

    The float32 scaling step of :func:`exp32` in 32-bit integer lanes: written in
    Python, numba would widen the integers to int64 (8 float32 lanes would become
    two halves of 4 int64 lanes, and AVX2 has no 64-bit arithmetic shift).
    """
    if p != types.float32 or t != types.float32:
        return None

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        k = builder.sub(builder.bitcast(args[1], i32), ir.Constant(i32, SHIFT_BITS_F))
        half = builder.ashr(k, ir.Constant(i32, 1))
        bias, mantissa_bits = ir.Constant(i32, 127), ir.Constant(i32, 23)
        s1 = builder.bitcast(builder.shl(builder.add(half, bias), mantissa_bits), ir.FloatType())
        rest = builder.add(builder.sub(k, half), bias)
        s2 = builder.bitcast(builder.shl(rest, mantissa_bits), ir.FloatType())
        return builder.fmul(builder.fmul(args[0], s1), s2)

    return types.float32(types.float32, types.float32), codegen


@intrinsic
def _times_pow2_nonpositive_f32(typingctx, p, t):
    """``(p * 2**(k + 126)) * 2**-126`` for ``k <= 0`` in the low bits of ``t`` (32-bit lanes)."""
    if p != types.float32 or t != types.float32:
        return None

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        biased = builder.add(builder.bitcast(args[1], i32), ir.Constant(i32, 253 - SHIFT_BITS_F))
        scale = builder.bitcast(builder.shl(biased, ir.Constant(i32, 23)), ir.FloatType())
        smallest_normal = ir.Constant(ir.FloatType(), float(np.finfo(np.float32).tiny))
        return builder.fmul(builder.fmul(args[0], scale), smallest_normal)

    return types.float32(types.float32, types.float32), codegen


_FLAGS = {"contract"}


@njit(fastmath=_FLAGS, cache=True, nogil=True)
def _reduced64(xc):
    """``(t, p)`` for a clamped ``xc``: ``e**xc = p * 2**k``, ``k`` in the low bits of ``t``."""
    # round(x / ln 2) without a float-to-int conversion (which AVX2 cannot vectorize):
    # adding 1.5 * 2**52 rounds to an integer, and that integer sits in the low bits.
    t = xc * LOG2E + SHIFT
    kf = t - SHIFT
    r = (xc - kf * LN2_HI) - kf * LN2_LO
    r2 = r * r
    r4 = r2 * r2
    # q = Q2 + Q3 r + ... + Q11 r^9 by Estrin's scheme: pairs, then r^2, then r^4
    q_low = (Q2 + r * Q3) + r2 * (Q4 + r * Q5)
    q_mid = (Q6 + r * Q7) + r2 * (Q8 + r * Q9)
    q = q_low + r4 * (q_mid + r4 * (Q10 + r * Q11))
    return t, 1.0 + r * (1.0 + r * q)  # Horner's last two steps: the last rounding is of 1 + ...


@njit(fastmath=_FLAGS, cache=True, nogil=True)
def exp64(x):
    """``e**x`` in float64, at most 2 ulp from the exact value (see the module doc)."""
    xc = LOW if x < LOW else x  # -inf goes to LOW; NaN is kept (the comparison is false)
    xc = HIGH if xc > HIGH else xc
    t, p = _reduced64(xc)
    k = _float64_as_int64(t) - SHIFT_BITS
    half = k >> 1  # floor(k / 2)
    s1 = _int64_as_float64((half + 1023) << 52)
    s2 = _int64_as_float64((k - half + 1023) << 52)
    return (p * s1) * s2


@njit(fastmath=_FLAGS, cache=True, nogil=True)
def exp64_nonpositive(x):
    """:func:`exp64` for ``x <= 0`` (NaN kept), the same bits, cheaper; ``x > 0`` is taken as 0.

    The arguments of the kernels' exps are ``x - max`` (then over a positive
    temperature): never above 0. There ``k <= 0``, and ``2**k`` can be applied as
    ``2**(k + 1022)``, a normal number for every ``k >= LOW / ln 2``, times
    ``2**-1022``: the first product is exact and the second rounds once, as in
    :func:`exp64`, so the result is the same; but the factor is built with one
    addition and one shift, where the two halves need an arithmetic shift right,
    which AVX2 does not have for 64-bit lanes.
    """
    xc = LOW if x < LOW else x
    xc = 0.0 if xc > 0.0 else xc
    t, p = _reduced64(xc)
    scale = _int64_as_float64((_float64_as_int64(t) + (2045 - SHIFT_BITS)) << 52)
    return (p * scale) * TWO_TO_MINUS_1022


@njit(fastmath=_FLAGS, cache=True, nogil=True)
def _reduced32(xc):
    """:func:`_reduced64` in float32 (degree 6)."""
    t = xc * LOG2E_F + SHIFT_F
    kf = t - SHIFT_F
    r = (xc - kf * LN2_HI_F) - kf * LN2_LO_F
    r2 = r * r
    q = (P2 + r * P3) + r2 * ((P4 + r * P5) + r2 * P6)  # Estrin, as in exp64
    return t, ONE_F + r * (ONE_F + r * q)


@njit(fastmath=_FLAGS, cache=True, nogil=True)
def exp32(x):
    """``e**x`` in float32, at most 2 ulp from the exact value (see the module doc)."""
    xc = LOW_F if x < LOW_F else x  # NaN is kept, as in exp64
    xc = HIGH_F if xc > HIGH_F else xc
    t, p = _reduced32(xc)
    return _times_pow2_f32(p, t)  # 2**k in two halves, as in exp64


@njit(fastmath=_FLAGS, cache=True, nogil=True)
def exp32_nonpositive(x):
    """:func:`exp64_nonpositive` in float32: ``2**(k + 126) * 2**-126``, the bits of exp32."""
    xc = LOW_F if x < LOW_F else x
    xc = ZERO_F if xc > ZERO_F else xc
    t, p = _reduced32(xc)
    return _times_pow2_nonpositive_f32(p, t)


@njit(fastmath=_FLAGS, cache=True, nogil=True)
def _exp_array(x, out, nonpositive):
    # exp and exp_nonpositive are the dispatchers defined below: compiled on first call
    if nonpositive:
        for i in range(x.shape[0]):
            out[i] = exp_nonpositive(x[i])
    else:
        for i in range(x.shape[0]):
            out[i] = exp(x[i])


def exp_array(x: np.ndarray, nonpositive: bool = False) -> np.ndarray:
    """Elementwise :func:`exp64`/:func:`exp32` of a 1-D float64/float32 array (for tests).

    ``nonpositive=True``: :func:`exp64_nonpositive`/:func:`exp32_nonpositive` instead.
    """
    x = np.ascontiguousarray(x)
    if x.dtype not in (np.float64, np.float32):
        raise TypeError(f"x must be float32 or float64; received {x.dtype}")
    out = np.empty_like(x)
    _exp_array(x, out, bool(nonpositive))
    return out


def _exp_dispatch(x):  # pragma: no cover - replaced by the overload below inside compiled code
    raise NotImplementedError


def _exp_nonpositive_dispatch(x):  # pragma: no cover - as _exp_dispatch
    raise NotImplementedError


# numba's stubs type ``jit_options`` without ``cache``, which ``overload`` passes on to ``jit``
# like the other options: hence the cast (to Any, so that it holds with and without numba).
_OVERLOAD_OPTIONS = cast(Any, {"fastmath": _FLAGS, "nogil": True, "cache": True})


@overload(_exp_dispatch, jit_options=_OVERLOAD_OPTIONS)
def _exp_overload(x):
    if x == types.float64:
        return lambda x: exp64(x)
    if x == types.float32:
        return lambda x: exp32(x)
    return None


@overload(_exp_nonpositive_dispatch, jit_options=_OVERLOAD_OPTIONS)
def _exp_nonpositive_overload(x):
    if x == types.float64:
        return lambda x: exp64_nonpositive(x)
    if x == types.float32:
        return lambda x: exp32_nonpositive(x)
    return None


#: ``exp`` for compiled code: :func:`exp64` or :func:`exp32` chosen by the argument's type.
exp = _exp_dispatch
#: The kernels' ``exp`` (arguments ``x - max <= 0``): :func:`exp64_nonpositive` or
#: :func:`exp32_nonpositive` chosen by the argument's type.
exp_nonpositive = _exp_nonpositive_dispatch


# --- log1p, for the log-normalizers of many short rows at once --------------------------
#
# fdlibm's ``log`` (``e_log.c``, error below 1 ulp) made branch-free, and log1p from it as
# in fdlibm's ``s_log1p.c``: ``u = 1 + r`` rounds, ``u - 1`` and ``r - (u - 1)`` are exact,
# and ``log1p(r) = log(u) + (r - (u - 1)) / u`` to first order in that rounding error.
# numba's ``np.log1p`` is a scalar C library call per value; this vectorizes.

LG1 = 6.666666666666735130e-01
LG2 = 3.999999999940941908e-01
LG3 = 2.857142874366239149e-01
LG4 = 2.222219843214978396e-01
LG5 = 1.818357216161805012e-01
LG6 = 1.531383769920937332e-01
LG7 = 1.479819860511658591e-01


# error_model="numpy": a float division by zero gives inf/NaN instead of raising, so that
# the divisions below carry no check and vectorize.
@njit(fastmath=_FLAGS, cache=True, nogil=True, error_model="numpy")
def log1p64(r):
    """``log(1 + r)`` in float64 for ``r >= 0`` (NaN and ``inf`` pass through); < 2 ulp."""
    u = 1.0 + r
    ix = _float64_as_int64(u)
    # u = 2**k * (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)): fdlibm's (musl's) reduction
    hx = (ix >> 32) + (0x3FF00000 - 0x3FE6A09E)
    k = (hx >> 20) - 0x3FF
    hx = (hx & 0x000FFFFF) + 0x3FE6A09E
    f = _int64_as_float64((hx << 32) | (ix & 0xFFFFFFFF)) - 1.0
    kf = _int64_as_float64(k + SHIFT_BITS) - SHIFT  # float(k) without a conversion
    c = (r - (u - 1.0)) / u  # the rounding error of 1 + r, to first order
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LG2 + w * (LG4 + w * LG6))
    t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
    big = t2 + t1
    hfsq = 0.5 * f * f
    result = kf * LN2_HI - ((hfsq - (s * (hfsq + big) + (kf * LN2_LO + c))) - f)
    return result if r < np.inf else r  # NaN and +inf


@njit(fastmath=_FLAGS, cache=True, nogil=True, error_model="numpy")
def _log1p_array64(x, out):
    for i in range(x.shape[0]):
        out[i] = log1p64(x[i])


def log1p_array(x: np.ndarray) -> np.ndarray:
    """Elementwise :func:`log1p64` of a 1-D float64 array (for tests)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    _log1p_array64(x, out)
    return out
