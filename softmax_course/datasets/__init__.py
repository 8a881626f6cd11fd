"""Small datasets for the training lessons, available offline.

- :func:`load_iris`: Fisher's Iris measurements (150 flowers, 4 features,
  3 species), a real dataset shipped inside the package as
  ``datasets/data/iris.csv``.
- :func:`make_spirals`: interleaved 2-D spirals, one per class, a synthetic
  problem that a linear classifier cannot solve and whose decision regions
  can be drawn.
- :func:`train_test_split`: a seeded, stratified split into training and
  held-out samples.

Data source and licence of ``iris.csv``: measured by Edgar Anderson (1935)
and published by R. A. Fisher (1936, *Annals of Eugenics* 7, 179-188); also
in the UCI Machine Learning Repository (https://doi.org/10.24432/C56C76,
CC BY 4.0). The file is the copy distributed with scikit-learn 1.9.1
(BSD 3-Clause), which follows Fisher's paper where the UCI copy has two
transcription errors. ``datasets/data/README.md`` has the details and the
licence text.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np

from softmax_course._validation import _describe

__all__ = ["Dataset", "load_iris", "make_spirals", "train_test_split"]


@dataclass(frozen=True)
class Dataset:
    """Features, integer labels and the names that go with them.

    Attributes
    ----------
    X : ndarray of float64, shape (N, D)
        One row per sample, one column per feature.
    y : ndarray of int64, shape (N,)
        Class index of each sample, in ``[0, K)``.
    feature_names : tuple of str
        ``D`` names, one per column of ``X``.
    class_names : tuple of str
        ``K`` names; ``class_names[y[n]]`` names sample ``n``'s class.
    description : str
        Where the data comes from.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    description: str

    @property
    def num_classes(self) -> int:
        """K, the number of classes."""
        return len(self.class_names)

    def __repr__(self) -> str:
        return (
            f"Dataset(X: {self.X.shape} {self.X.dtype}, y: {self.y.shape} {self.y.dtype}, "
            f"features={list(self.feature_names)}, classes={list(self.class_names)})"
        )


_IRIS_DESCRIPTION = """\
Fisher's Iris data: 150 flowers of three species of iris (50 each: setosa,
versicolor, virginica), measured by Edgar Anderson (1935) and analysed by
R. A. Fisher, "The use of multiple measurements in taxonomic problems",
Annals of Eugenics 7, 179-188 (1936). Four measurements in centimetres: sepal
length, sepal width, petal length, petal width. Setosa is linearly separable
from the other two; versicolor and virginica overlap a little.
Source: the copy distributed with scikit-learn 1.9.1 (BSD 3-Clause), which
follows Fisher's paper; the UCI Machine Learning Repository copy
(doi:10.24432/C56C76, CC BY 4.0) has two transcription errors."""


_IRIS_FEATURES = (
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
)
_COUNT = re.compile(r"[0-9]+")  # a count or a class label: digits only (no sign, no point)
_MEASUREMENT = re.compile(r"[0-9]+(\.[0-9]+)?")  # centimetres: plain decimals, no exponent
_NAME = re.compile(r"[!-~]([ -~]*[!-~])?")  # printable ASCII, no spaces at the ends


def _damaged(source: str, line: int, problem: str, expected: str) -> ValueError:
    """The one error a damaged data file gives: the file, the line, what and what instead."""
    return ValueError(f"{source}, line {line}: {problem}; expected {expected}")


def _shown(text: str) -> str:
    """A line of the file as it appears in an error message (shortened if long)."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _parse_iris(data: bytes, source: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Features, labels and class names from the bytes of an iris-format file.

    The format, checked strictly so that a damaged file fails loudly: ASCII
    only; a header ``N,D,name_0,...,name_{K-1}`` with ``D = 4`` and ``K >= 2``
    distinct names; then exactly ``N`` lines of ``D`` measurements (plain
    decimals such as ``5.1``) and one label (digits, ``0 <= label < K``),
    every class present. No blank lines; the last line may end in a newline.
    """
    bad = next((i for i, byte in enumerate(data) if byte > 127), None)
    if bad is not None:
        line_number = data.count(b"\n", 0, bad) + 1
        column = bad - (data.rfind(b"\n", 0, bad) + 1) + 1
        hint = " (a UTF-8 byte-order mark)" if data[bad : bad + 3] == b"\xef\xbb\xbf" else ""
        raise _damaged(
            source,
            line_number,
            f"byte 0x{data[bad]:02x} at column {column} is not ASCII{hint}",
            "a plain ASCII text file",
        )
    text = data.decode("ascii").replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[-1] == "":  # the newline that ends the last line
        lines.pop()
    header_example = "a header such as '150,4,setosa,versicolor,virginica'"
    if not lines:
        raise _damaged(source, 1, "the file is empty", header_example)
    for number, line in enumerate(lines, start=1):
        if line.strip() == "":
            raise _damaged(
                source, number, "the line is blank", "no blank lines (one line per sample)"
            )
    fields = lines[0].split(",")
    if len(fields) < 2 or not all(_COUNT.fullmatch(f) for f in fields[:2]):
        raise _damaged(
            source,
            1,
            f"the header {_shown(lines[0])} does not start with two whole numbers",
            header_example + " (sample count, feature count, class names)",
        )
    num_samples, num_features = int(fields[0]), int(fields[1])
    class_names = tuple(fields[2:])
    if num_features != len(_IRIS_FEATURES):
        raise _damaged(
            source,
            1,
            f"the header declares {num_features} features",
            f"{len(_IRIS_FEATURES)} (the iris measurements: {', '.join(_IRIS_FEATURES)})",
        )
    if len(class_names) < 2:
        raise _damaged(
            source,
            1,
            f"the header names {len(class_names)} class{'es' if len(class_names) != 1 else ''}",
            "at least 2 class names after the two counts, " + header_example,
        )
    for name in class_names:
        if not _NAME.fullmatch(name):
            raise _damaged(
                source,
                1,
                f"the class name {name!r} is empty or starts or ends with a space",
                "a name such as 'setosa' between two commas",
            )
    if len(set(class_names)) != len(class_names):
        raise _damaged(
            source, 1, f"the class names {list(class_names)} repeat", "distinct class names"
        )
    if len(lines) - 1 != num_samples:
        raise _damaged(
            source,
            1,
            f"the header declares {num_samples} samples but {len(lines) - 1} sample lines follow",
            "one line per declared sample",
        )
    num_classes = len(class_names)
    X = np.empty((num_samples, num_features))
    y = np.empty(num_samples, dtype=np.int64)
    for n, line in enumerate(lines[1:]):
        number = n + 2
        values = line.split(",")
        if len(values) != num_features + 1:
            raise _damaged(
                source,
                number,
                f"{_shown(line)} has {len(values)} values",
                f"{num_features + 1}: {num_features} measurements and a class label",
            )
        for d, value in enumerate(values[:-1]):
            if not _MEASUREMENT.fullmatch(value) or not math.isfinite(float(value)):
                raise _damaged(
                    source,
                    number,
                    f"the measurement {_shown(value)} ({_IRIS_FEATURES[d]}) is not a finite "
                    "decimal number",
                    "a length in centimetres such as 5.1",
                )
            X[n, d] = float(value)
        label = values[-1]
        if not _COUNT.fullmatch(label) or int(label) >= num_classes:
            raise _damaged(
                source,
                number,
                f"the class label {label!r} is not one of the {num_classes} classes "
                f"named in the header ({', '.join(class_names)})",
                f"a whole number from 0 to {num_classes - 1}",
            )
        y[n] = int(label)
    counts = np.bincount(y, minlength=num_classes)
    if np.any(counts == 0):
        missing = int(np.flatnonzero(counts == 0)[0])
        raise _damaged(
            source,
            1,
            f"the header names class {missing} ({class_names[missing]}) but no sample has "
            f"label {missing}",
            "one class name per label used in the file",
        )
    return X, y, class_names


def load_iris(*, path: str | os.PathLike[str] | None = None) -> Dataset:
    """Load Fisher's Iris data from the file shipped with the package.

    No network access: the 150 rows are read from ``datasets/data/iris.csv``
    inside the installed package.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A file in the same format to read instead, for instance a copy you
        edited. Default: the packaged ``iris.csv``. The feature names and
        the description are Iris's either way.

    Returns
    -------
    Dataset
        ``X`` float64 of shape (150, 4) in centimetres, ``y`` int64 of shape
        (150,) with 50 samples of each class 0 (setosa), 1 (versicolor) and
        2 (virginica), in that order.

    Raises
    ------
    ValueError
        If the file is damaged. The message names the file and the line and
        says what is wrong there: a byte that is not ASCII (a byte-order mark
        too), an empty file or a blank line, a header that is not
        ``N,4,name,name[,...]``, a sample count that disagrees with the
        lines, a line with the wrong number of values, a measurement that is
        not a finite decimal number (NaN, ``inf``, ``1e400``, ``-1``), a
        label that is not a whole number in ``[0, K)`` for the ``K`` class
        names of the header, or a named class without samples.
    OSError
        If ``path`` cannot be read.

    Notes
    -----
    Source and licence are in the module docstring and in
    ``datasets/data/README.md``; the format is in that README too. The
    arrays are fresh on every call, so a caller may modify them.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.datasets import load_iris
    >>> iris = load_iris()
    >>> iris
    Dataset(X: (150, 4) float64, y: (150,) int64, features=['sepal length (cm)', \
'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'], \
classes=['setosa', 'versicolor', 'virginica'])
    >>> np.bincount(iris.y)
    array([50, 50, 50])
    >>> iris.X.mean(axis=0).round(3)
    array([5.843, 3.057, 3.758, 1.199])
    """
    if path is None:
        file = resources.files(__name__).joinpath("data").joinpath("iris.csv")
        data, source = file.read_bytes(), str(file)
    else:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"path must be a str or os.PathLike or None; received {_describe(path)}"
            )
        with open(path, "rb") as handle:
            data, source = handle.read(), os.fspath(path)
    X, y, class_names = _parse_iris(data, source)
    return Dataset(
        X=X,
        y=y,
        feature_names=_IRIS_FEATURES,
        class_names=class_names,
        description=_IRIS_DESCRIPTION,
    )


def _check_count(value: object, name: str, minimum: int) -> int:
    """An int (not a bool) that is at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; received {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; received {int(value)}")
    return int(value)


def _as_generator(rng: object) -> np.random.Generator:
    """A Generator from a seed or a Generator; ``None`` (fresh entropy) is refused."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(
                f"rng must be a non-negative int seed or a numpy.random.Generator; received "
                f"{int(rng)}; expected e.g. rng=0"
            )
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be an int seed or a numpy.random.Generator; received {_describe(rng)}; "
        "results here are meant to be reproducible, so there is no unseeded default"
    )


def make_spirals(
    n_per_class: int,
    num_classes: int = 3,
    *,
    noise: float = 0.2,
    rng: int | np.random.Generator = 0,
) -> Dataset:
    r"""Interleaved 2-D spirals, one arm per class.

    Sample :math:`i` of class :math:`k` lies at radius :math:`r_i = i / (n - 1)`
    and a noisy angle that grows with the radius:

    .. math::

        x = r (\sin\theta, \cos\theta), \qquad
        \theta = \frac{2\pi k}{K} + 1.5\pi\, r + \varepsilon,
        \quad \varepsilon \sim \mathcal{N}(0, \sigma^2),

    so every arm turns three quarters of a circle outward from the origin
    and the arms are rotated copies of each other.

    Parameters
    ----------
    n_per_class : int
        Samples per class, at least 1.
    num_classes : int, optional
        :math:`K \ge 2` arms. Default 3.
    noise : float, optional
        :math:`\sigma`, the standard deviation of the angle in radians.
        Default 0.2; 0 gives clean curves.
    rng : int or numpy.random.Generator, optional
        Seed or generator for the noise. Default 0, so the same call always
        returns the same points.

    Returns
    -------
    Dataset
        ``X`` float64 of shape (K * n_per_class, 2), inside the unit disc;
        ``y`` int64, class ``k`` in rows ``k * n_per_class`` to
        ``(k + 1) * n_per_class - 1``.

    Raises
    ------
    TypeError
        If a count is not an int, ``noise`` is not a real number, or ``rng``
        is neither an int nor a Generator.
    ValueError
        If ``n_per_class < 1``, ``num_classes < 2``, ``noise`` is negative
        or not finite, or ``rng`` is a negative seed.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.datasets import make_spirals
    >>> data = make_spirals(100, noise=0.1, rng=0)
    >>> data.X.shape, np.bincount(data.y)
    ((300, 2), array([100, 100, 100]))
    >>> bool(np.all(np.hypot(*data.X.T) <= 1))
    True
    """
    n = _check_count(n_per_class, "n_per_class", 1)
    k = _check_count(num_classes, "num_classes", 2)
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a real number; received {_describe(noise)}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be finite and >= 0; received {noise!r}")
    generator = _as_generator(rng)
    radius = np.linspace(0.0, 1.0, n) if n > 1 else np.ones(1)
    offsets = 2 * np.pi * np.arange(k) / k
    # Broadcast (K, 1) arm offsets against (n,) radii: one row of angles per class.
    theta = offsets[:, None] + 1.5 * np.pi * radius + noise * generator.standard_normal((k, n))
    X = np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=-1).reshape(k * n, 2)
    return Dataset(
        X=X,
        y=np.repeat(np.arange(k, dtype=np.int64), n),
        feature_names=("x1", "x2"),
        class_names=tuple(f"arm {c}" for c in range(k)),
        description=(
            f"{k} interleaved spiral arms of {n} points each, angle noise sigma={noise} rad "
            "(synthetic, generated by softmax_course.datasets.make_spirals)."
        ),
    )


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    *,
    test_fraction: float = 0.3,
    rng: int | np.random.Generator = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split samples into training and held-out sets, class by class.

    From each class with :math:`n_c` samples, ``round(test_fraction * n_c)``
    randomly chosen ones are held out, so both sets keep the class
    proportions (a stratified split). Within each set the samples keep their
    original order.

    Parameters
    ----------
    X : ndarray, shape (N, ...)
        Features, one sample per row.
    y : array_like of int, shape (N,)
        Class labels, non-negative integers.
    test_fraction : float, optional
        Fraction of each class to hold out, strictly between 0 and 1.
        Default 0.3.
    rng : int or numpy.random.Generator, optional
        Seed or generator choosing the held-out samples. Default 0.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Copies (the inputs are not modified), in the order scikit-learn uses.

    Raises
    ------
    TypeError
        If ``y`` is not integer, ``test_fraction`` is not a real number or
        ``rng`` is neither an int nor a Generator (a negative seed is a
        ``ValueError``).
    ValueError
        If ``X`` and ``y`` disagree on the number of samples, ``y`` is not
        1-D or negative, ``test_fraction`` is not in (0, 1), or the split
        would leave a class without training samples or hold out no sample
        at all (for instance ``test_fraction=0.9`` with one sample per
        class): an empty set is refused rather than returned.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.datasets import load_iris, train_test_split
    >>> iris = load_iris()
    >>> X_train, X_test, y_train, y_test = train_test_split(iris.X, iris.y, rng=0)
    >>> X_train.shape, X_test.shape
    ((105, 4), (45, 4))
    >>> np.bincount(y_test)
    array([15, 15, 15])
    """
    X = np.asarray(X)
    labels = y if isinstance(y, np.ndarray) else np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-dimensional; received shape {labels.shape}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels; received dtype {labels.dtype}")
    if X.ndim == 0 or X.shape[0] != labels.shape[0]:
        raise ValueError(
            f"X and y must have the same number of samples; received X of shape {X.shape} "
            f"and y of shape {labels.shape}"
        )
    if labels.size and labels.min() < 0:
        raise ValueError(f"y must be non-negative class labels; received {int(labels.min())}")
    if isinstance(test_fraction, (bool, np.bool_)) or not isinstance(test_fraction, numbers.Real):
        raise TypeError(f"test_fraction must be a real number; received {_describe(test_fraction)}")
    if not 0 < test_fraction < 1:
        raise ValueError(
            f"test_fraction must be strictly between 0 and 1; received {test_fraction!r}"
        )
    generator = _as_generator(rng)
    is_test = np.zeros(labels.shape[0], dtype=bool)
    # One loop per class (K iterations), not per sample.
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        n_test = round(test_fraction * members.size)
        if n_test == members.size:
            raise ValueError(
                f"test_fraction={test_fraction!r} holds out round({test_fraction!r} * "
                f"{members.size}) = {n_test} of the {members.size} sample(s) of class {int(c)}, "
                "leaving none of that class for training; expected a smaller test_fraction "
                "or more samples per class"
            )
        is_test[generator.permutation(members)[:n_test]] = True
    if not is_test.any():
        raise ValueError(
            f"test_fraction={test_fraction!r} holds out no sample (round({test_fraction!r} * "
            "n_c) is 0 for every class); expected a larger test_fraction or more samples, "
            "so that the test set is not empty"
        )
    return X[~is_test], X[is_test], labels[~is_test].copy(), labels[is_test].copy()
