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


def load_iris() -> Dataset:
    """Load Fisher's Iris data from the file shipped with the package.

    No network access: the 150 rows are read from ``datasets/data/iris.csv``
    inside the installed package.

    Returns
    -------
    Dataset
        ``X`` float64 of shape (150, 4) in centimetres, ``y`` int64 of shape
        (150,) with 50 samples of each class 0 (setosa), 1 (versicolor) and
        2 (virginica), in that order.

    Notes
    -----
    Source and licence are in the module docstring and in
    ``datasets/data/README.md``. The arrays are fresh on every call, so a
    caller may modify them.

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
    text = resources.files(__name__).joinpath("data", "iris.csv").read_text(encoding="ascii")
    lines = text.strip().splitlines()
    header = lines[0].split(",")
    num_samples, num_features = int(header[0]), int(header[1])
    class_names = tuple(header[2:])
    table = np.array([line.split(",") for line in lines[1:]], dtype=np.float64)
    if table.shape != (num_samples, num_features + 1):  # a damaged install, not a user error
        raise RuntimeError(
            f"iris.csv is damaged: expected {num_samples} rows of {num_features + 1} "
            f"values, read an array of shape {table.shape}"
        )
    return Dataset(
        X=np.ascontiguousarray(table[:, :num_features]),
        y=table[:, num_features].astype(np.int64),
        feature_names=(
            "sepal length (cm)",
            "sepal width (cm)",
            "petal length (cm)",
            "petal width (cm)",
        ),
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
        If ``n_per_class < 1``, ``num_classes < 2`` or ``noise`` is negative
        or not finite.

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
        ``rng`` is neither an int nor a Generator.
    ValueError
        If ``X`` and ``y`` disagree on the number of samples, ``y`` is not
        1-D or negative, or ``test_fraction`` is not in (0, 1).

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
        is_test[generator.permutation(members)[:n_test]] = True
    return X[~is_test], X[is_test], labels[~is_test].copy(), labels[is_test].copy()
