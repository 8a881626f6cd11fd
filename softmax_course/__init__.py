"""softmax_course: the helper library behind a literate course on softmax.

Nine JupyterLab lessons derive each function; this package holds the
canonical, tested implementation. The lessons ship with it: run
``softmax-course lessons DIR`` (or ``python -m softmax_course lessons DIR``)
to copy them into a folder of your choice, or ``softmax-course lab DIR`` to
copy them and open them in JupyterLab (``pip install 'softmax-course[course]'``
first). Class axis defaults to the last one.

Array arguments are converted as ``np.asarray`` converts them, as in
``scipy.special``: an ``np.matrix`` is read as a plain 2-D array and every
result is a plain ``ndarray``. A masked array is accepted only when nothing
in it is masked; otherwise a ``TypeError`` suggests ``x.filled(-np.inf)``
(masked classes get probability 0) or ``x.data`` (use the hidden values),
rather than silently ignoring the mask.

Submodules: ``nn`` (layers with forward/backward), ``autodiff`` (a small
reverse-mode engine that checks every hand-derived gradient), ``datasets``,
``plotting``, ``widgets``, ``exercises``.
"""

from softmax_course import autodiff, nn
from softmax_course.backend import get_backend, set_backend
from softmax_course.core import log_softmax, logsumexp, softmax
from softmax_course.derivatives import (
    log_softmax_vjp,
    logsumexp_vjp,
    softmax_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from softmax_course.gradcheck import (
    GradientCheck,
    check_gradient,
    numerical_gradient,
    numerical_jacobian,
    relative_error,
)
from softmax_course.losses import (
    cross_entropy,
    cross_entropy_grad,
    one_hot,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from softmax_course.online import online_logsumexp
from softmax_course.parallel import get_workers, set_workers

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "log_softmax",
    "logsumexp",
    "softmax",
    "autodiff",
    "nn",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_vjp",
    "log_softmax_vjp",
    "logsumexp_vjp",
    "GradientCheck",
    "check_gradient",
    "numerical_gradient",
    "numerical_jacobian",
    "relative_error",
    "cross_entropy",
    "cross_entropy_grad",
    "one_hot",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "online_logsumexp",
    "get_workers",
    "set_workers",
    "get_backend",
    "set_backend",
]
