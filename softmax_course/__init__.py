"""softmax_course: the helper library behind a literate course on softmax.

The lessons in ``notebooks/`` derive each function; this package holds the
canonical, tested implementation. Class axis defaults to the last one.
"""

from softmax_course.core import log_softmax, logsumexp, softmax

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "log_softmax",
    "logsumexp",
    "softmax",
]
