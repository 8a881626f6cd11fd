r"""Which implementation runs the kernels: :func:`set_backend`, :func:`get_backend`.

Two implementations compute the row-wise functions (softmax, log-softmax,
logsumexp, the softmax VJP, the fused softmax cross-entropy loss and
gradient):

* ``"numpy"``: the cache-blocked numpy kernels of :mod:`softmax_course._fast`.
  Always available; **the reference**;
* ``"numba"``: compiled single-row loops (:mod:`softmax_course._numba_kernels`)
  with a vectorizable ``exp`` (:mod:`softmax_course._numba_exp`). They read
  each row from memory once and run several times faster than the numpy path
  on large arrays. Needs the optional dependency numba
  (``pip install softmax-course[fast]``).

The default, ``"auto"``, uses the compiled kernels when numba is installed
and the input is float32 or float64, C-contiguous, with the class axis last
and at least :func:`min_elements` elements (:data:`MIN_ELEMENTS_SCALAR_EXP`
where numpy's own ``exp`` is scalar, :data:`MIN_ELEMENTS` where it is
vectorized); everything else takes the numpy path. The choice changes the
last bits of results only: the compiled kernels agree with the numpy path to a few ulp (see
``tests/test_numba_backend.py`` for the bounds) and give exactly the same
special values (NaN, ``inf``, all ``-inf`` rows). Results are bitwise the
same for every number of ``workers`` on either path.

The environment variable ``SOFTMAX_COURSE_BACKEND`` (``auto``, ``numpy`` or
``numba``) sets the default for a whole run (it is read once, by the first call that
needs it: a lookup in ``os.environ`` costs a microsecond, 5 % of a small call), and
``with set_backend(name):``
for a block of code (in the current thread or asyncio task, like
:func:`softmax_course.set_workers`).

Importing :mod:`softmax_course` does not import numba: that happens on the
first call that takes the compiled path, and each kernel is compiled for its
dtype on its first use (about a second, or well under one when numba's disk
cache holds it; see ``docs/performance.md``). numba caches compiled code in
``__pycache__`` beside the package or, when that is not writable, in its
user-wide cache directory (``NUMBA_CACHE_DIR`` overrides both); if no cache
directory is writable the kernels are compiled in memory for every new
process. An edit of the ``exp`` or the vector maximum the kernels inline
(``_numba_exp.py``, ``_numba_simd.py``) drops the kernels' cached code, which
numba alone would keep (it checks each function against its own file).

Examples
--------
>>> import numpy as np
>>> import softmax_course as sc
>>> x = np.random.default_rng(0).normal(size=(1000, 100))
>>> with sc.set_backend("numpy"):
...     reference = sc.softmax(x)
...     sc.get_backend()
'numpy'
>>> bool(np.allclose(sc.softmax(x), reference, rtol=1e-14, atol=0))  # either backend
True
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from softmax_course._validation import _describe

__all__ = [
    "BACKENDS",
    "ENV_VAR",
    "MIN_ELEMENTS",
    "MIN_ELEMENTS_SCALAR_EXP",
    "get_backend",
    "min_elements",
    "numba_available",
    "numpy_exp_is_vectorized",
    "set_backend",
]

#: The accepted backend names.
BACKENDS = ("auto", "numpy", "numba")
#: The environment variable that sets the default backend of a run.
ENV_VAR = "SOFTMAX_COURSE_BACKEND"
#: Under ``"auto"``, arrays of fewer elements take the numpy path when numpy's own ``exp``
#: is vectorized for their dtype (float32 on any x86-64 CPU numpy dispatches to AVX2 or
#: more; float64 only where numpy uses its AVX-512 kernels), and for the kernels without
#: ``exp`` (the softmax VJP). The compiled call is faster from a few thousand elements on,
#: but the first compiled call of a process costs about a second (importing numba, loading
#: the kernels from its cache), which small arrays take many calls to repay.
MIN_ELEMENTS = 1 << 15
#: The threshold where numpy's ``exp`` is a scalar C library call per element (float64
#: without AVX-512): numpy is then several times slower per element and the compiled
#: kernels pay from this size on.
MIN_ELEMENTS_SCALAR_EXP = 1 << 13

_choice: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "softmax_course_backend", default=None
)
_kernels: ModuleType | None = None
_import_failed = False

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_name(name: object, source: str) -> str:
    expected = ", ".join(repr(b) for b in BACKENDS)
    if not isinstance(name, str):
        raise TypeError(f"{source} must be a str, one of {expected}; received {_describe(name)}")
    if name.lower() not in BACKENDS:
        raise ValueError(f"{source} must be one of {expected}; received {name!r}")
    return name.lower()


def get_backend() -> str:
    """The backend in effect: :func:`set_backend`'s, else ``$SOFTMAX_COURSE_BACKEND``, else "auto".

    Examples
    --------
    >>> from softmax_course.backend import get_backend, set_backend
    >>> with set_backend("numpy"):
    ...     get_backend()
    'numpy'
    """
    choice = _choice.get()
    if choice is not None:
        return choice
    return _environment_default or _read_environment()


#: ``$SOFTMAX_COURSE_BACKEND``, checked, once read (an invalid value is never stored).
_environment_default: str | None = None


def _read_environment() -> str:
    global _environment_default
    value = os.environ.get(ENV_VAR, "").strip()
    _environment_default = _check_name(value, f"${ENV_VAR}") if value else "auto"
    return _environment_default


@contextlib.contextmanager
def set_backend(name: str) -> Iterator[None]:
    """Context manager: the backend for calls inside the ``with`` block.

    Parameters
    ----------
    name : {"auto", "numpy", "numba"}
        ``"numpy"`` forces the numpy path; ``"numba"`` uses the compiled
        kernels for every supported input however small (and raises
        :class:`ModuleNotFoundError` on entering the block if numba is not
        installed); ``"auto"`` decides by dtype, layout and size.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        For any other name.
    ModuleNotFoundError
        For ``"numba"`` when numba cannot be imported.

    Examples
    --------
    >>> from softmax_course.backend import get_backend, set_backend
    >>> with set_backend("numpy"):
    ...     with set_backend("auto"):
    ...         inner = get_backend()
    ...     inner, get_backend()
    ('auto', 'numpy')
    >>> with set_backend("cuda"):  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    ValueError: backend must be one of 'auto', 'numpy', 'numba'; received 'cuda'
    """
    name = _check_name(name, "backend")
    if name == "numba" and _load() is None:
        raise ModuleNotFoundError(
            "set_backend('numba') needs numba, which is not installed; install it with "
            "pip install 'softmax-course[fast]', or use 'auto' to fall back to numpy"
        )
    token = _choice.set(name)
    try:
        yield
    finally:
        _choice.reset(token)


def _load() -> ModuleType | None:
    """The compiled kernels module, imported once; None when numba is missing."""
    global _kernels, _import_failed
    if _kernels is None and not _import_failed:
        try:
            _kernels = importlib.import_module("softmax_course._numba_kernels")
        except ImportError:
            _import_failed = True
    return _kernels


def numba_available() -> bool:
    """True when numba can be imported (imports it: not for import-time code).

    Examples
    --------
    >>> from softmax_course.backend import numba_available
    >>> isinstance(numba_available(), bool)
    True
    """
    return _load() is not None


def numpy_exp_is_vectorized(dtype: np.dtype) -> bool:
    """True when numpy's ``exp`` runs SIMD code for this dtype in this process.

    numpy (x86-64) vectorizes float32 ``exp`` from its AVX2 dispatch target on
    and float64 ``exp`` only in its AVX-512 target
    (``numpy/_core/src/umath/loops_exponent_log.dispatch.c.src``); elsewhere
    float64 ``exp`` is the C library's, one element per call. The answer is
    what numpy dispatches to in this process: ``NPY_DISABLE_CPU_FEATURES``
    counts (numpy >= 2.4 names the targets ``X86_V3`` and ``X86_V4``,
    earlier versions ``AVX2`` and ``AVX512F``).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.backend import numpy_exp_is_vectorized
    >>> isinstance(numpy_exp_is_vectorized(np.dtype(np.float64)), bool)
    True
    """
    if np.dtype(dtype) == np.float32:
        return _numpy_dispatches("X86_V3", "AVX2")
    return _numpy_dispatches("X86_V4", "AVX512F")


def _numpy_dispatches(target: str, older_name: str) -> bool:
    """True when numpy's dispatch target (by its numpy >= 2.4 name, else the older one) is on."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # pragma: no cover - numpy < 2
        return False
    name = target if target in __cpu_dispatch__ else older_name
    return bool(__cpu_features__.get(name, False))


def min_elements(dtype: np.dtype, uses_exp: bool = True) -> int:
    """The size from which ``"auto"`` takes the compiled kernels (see :data:`MIN_ELEMENTS`).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.backend import MIN_ELEMENTS, min_elements
    >>> min_elements(np.dtype(np.float32)) == MIN_ELEMENTS
    True
    """
    if uses_exp and not numpy_exp_is_vectorized(dtype):
        return MIN_ELEMENTS_SCALAR_EXP
    return MIN_ELEMENTS


def kernels_for(*arrays: np.ndarray, uses_exp: bool = True) -> ModuleType | None:
    """The compiled kernels to use for these 2-D arrays, or None for the numpy path.

    All arrays must be float32/float64 of the first one's dtype (integer label
    arrays excepted: pass only the float ones), C-contiguous and non-empty.
    ``uses_exp``: whether the computation calls ``exp`` (it sets the size
    threshold of ``"auto"``, :func:`min_elements`).
    """
    backend = get_backend()
    if backend == "numpy":
        return None
    first = arrays[0]
    dtype = first.dtype
    if dtype not in _DTYPES or first.size == 0:
        return None
    for a in arrays:  # a loop, not any() over a generator: this runs on every small call
        if a.dtype != dtype or not a.flags.c_contiguous:
            return None
    if backend == "auto" and first.size < min_elements(first.dtype, uses_exp):
        return None
    kernels = _load()
    if kernels is None and backend == "numba":  # numba uninstalled after set_backend
        raise ModuleNotFoundError("the 'numba' backend is selected but numba is not installed")
    return kernels
