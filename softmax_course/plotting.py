r"""Small, reusable pictures of softmax: bar charts and temperature sweeps.

Every function draws on axes it is given (or on a figure it creates and
returns) and returns the matplotlib objects it made, so that a lesson can
restyle them and a test can read their data back. Nothing here calls
``plt.show()``; matplotlib is imported only inside the functions that need
it, so ``import softmax_course`` stays fast and works without matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from softmax_course._validation import as_real_array, check_positive_scalar
from softmax_course.core import softmax

if TYPE_CHECKING:  # only for the annotations; never imported at run time here
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

PLOTTING_EXTRA = "pip install 'softmax-course[plotting]'"


def _pyplot() -> Any:
    """Import ``matplotlib.pyplot`` on first use, with a message saying how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"softmax_course.plotting needs matplotlib, which is not installed: {PLOTTING_EXTRA}"
        ) from error
    return plt


__all__ = [
    "plot_logits",
    "plot_logits_and_probabilities",
    "plot_probabilities",
    "plot_temperature_sweep",
]


def _as_vector(values: ArrayLike, name: str) -> np.ndarray:
    """``values`` as a finite 1-D float array with at least one entry."""
    array = as_real_array(values, name)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array (one value per class); "
            f"received shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; received {array!r}")
    return array


def _class_labels(labels: Sequence[str] | None, num_classes: int) -> list[str]:
    """The tick labels: the given ones (one per class) or ``0 .. K-1``."""
    if labels is None:
        return [str(i) for i in range(num_classes)]
    labels = [str(label) for label in labels]
    if len(labels) != num_classes:
        raise ValueError(
            f"labels must have one entry per class; received {len(labels)} labels "
            f"for K={num_classes} classes"
        )
    return labels


def _bars(
    ax: Axes,
    values: np.ndarray,
    labels: Sequence[str] | None,
    offset: float,
    width: float,
    annotate: bool,
    bar_kwargs: dict[str, Any],
) -> BarContainer:
    """Draw one bar per class at ``0 .. K-1`` shifted by ``offset``."""
    positions = np.arange(values.size) + offset
    bars = ax.bar(positions, values, width=width, **bar_kwargs)
    ax.set_xticks(np.arange(values.size), _class_labels(labels, values.size))
    if annotate:
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize="small")
    return bars


def plot_probabilities(
    ax: Axes,
    s: ArrayLike,
    labels: Sequence[str] | None = None,
    *,
    offset: float = 0.0,
    width: float = 0.8,
    annotate: bool = True,
    **bar_kwargs: Any,
) -> BarContainer:
    r"""Bar chart of one probability vector, on a fixed ``[0, 1]`` scale.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    s : array_like, shape (K,)
        Probabilities, each in :math:`[0, 1]` (typically a softmax output).
    labels : sequence of str, optional
        One tick label per class. Default ``"0"``, ..., ``"K-1"``.
    offset : float, optional
        Horizontal shift of the bars from the class positions ``0 .. K-1``;
        with ``width`` it places several distributions side by side.
    width : float, optional
        Bar width, default 0.8.
    annotate : bool, optional
        Write each probability (two decimals) above its bar. Default True.
    **bar_kwargs
        Passed on to :meth:`matplotlib.axes.Axes.bar` (``color``, ``label``, ...).

    Returns
    -------
    matplotlib.container.BarContainer
        The bars; ``[p.get_height() for p in bars]`` gives back ``s``.

    Raises
    ------
    TypeError
        If ``s`` is not real-valued.
    ValueError
        If ``s`` is not a non-empty 1-D array of finite values in
        :math:`[0, 1]`, or ``labels`` does not have one entry per class.

    Notes
    -----
    The y axis always spans :math:`[0, 1.1]`, so charts of different
    distributions can be compared by eye: a uniform distribution over
    :math:`K` classes is a flat row of bars at height :math:`1/K`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from softmax_course import softmax
    >>> from softmax_course.plotting import plot_probabilities
    >>> fig, ax = plt.subplots()
    >>> bars = plot_probabilities(ax, softmax([2.0, 1.0, -1.0]), ["cat", "dog", "bird"])
    >>> np.array([bar.get_height() for bar in bars]).round(3)
    array([0.705, 0.259, 0.035])
    >>> plt.close(fig)
    """
    s = _as_vector(s, "s")
    if np.any((s < 0) | (s > 1)):
        raise ValueError(f"s must hold probabilities in [0, 1]; received {s!r}")
    bars = _bars(ax, s, labels, offset, width, annotate, bar_kwargs)
    ax.set_ylim(0.0, 1.1)
    ax.set_ylabel("probability")
    return bars


def plot_logits(
    ax: Axes,
    z: ArrayLike,
    labels: Sequence[str] | None = None,
    *,
    offset: float = 0.0,
    width: float = 0.8,
    annotate: bool = True,
    **bar_kwargs: Any,
) -> BarContainer:
    r"""Bar chart of one logit vector, with a line at zero.

    Logits are any real numbers, so bars may point down; the line at zero
    makes the sign visible.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    z : array_like, shape (K,)
        Logits (unnormalized scores), finite.
    labels : sequence of str, optional
        One tick label per class. Default ``"0"``, ..., ``"K-1"``.
    offset, width : float, optional
        Placement of the bars, as in :func:`plot_probabilities`.
    annotate : bool, optional
        Write each logit (two decimals) next to its bar. Default True.
    **bar_kwargs
        Passed on to :meth:`matplotlib.axes.Axes.bar`.

    Returns
    -------
    matplotlib.container.BarContainer
        The bars; their heights are ``z``.

    Raises
    ------
    TypeError
        If ``z`` is not real-valued.
    ValueError
        If ``z`` is not a non-empty 1-D array of finite values, or ``labels``
        does not have one entry per class.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from softmax_course.plotting import plot_logits
    >>> fig, ax = plt.subplots()
    >>> bars = plot_logits(ax, [2.0, 1.0, -1.0])
    >>> [float(bar.get_height()) for bar in bars]
    [2.0, 1.0, -1.0]
    >>> plt.close(fig)
    """
    z = _as_vector(z, "z")
    bars = _bars(ax, z, labels, offset, width, annotate, bar_kwargs)
    ax.axhline(0.0, color="black", linewidth=0.8)
    # Leave room for the value labels above the highest and below the lowest bar.
    low, high = min(float(z.min()), 0.0), max(float(z.max()), 0.0)
    margin = 0.15 * max(high - low, 1.0)
    ax.set_ylim(low - margin, high + margin)
    ax.set_ylabel("logit")
    return bars


def plot_logits_and_probabilities(
    z: ArrayLike,
    labels: Sequence[str] | None = None,
    *,
    temperature: float = 1.0,
    figsize: tuple[float, float] = (8.0, 3.2),
) -> tuple[Figure, tuple[Axes, Axes]]:
    r"""A new figure: logits on the left, their softmax on the right.

    Parameters
    ----------
    z : array_like, shape (K,)
        Logits, finite.
    labels : sequence of str, optional
        One tick label per class.
    temperature : float, optional
        :math:`T > 0`; the right panel shows ``softmax(z, temperature=T)``.
    figsize : tuple of float, optional
        Figure size in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The new figure (created with ``pyplot``, so notebooks display it).
    axes : tuple of Axes
        ``(ax_logits, ax_probabilities)``.

    Raises
    ------
    TypeError, ValueError
        For bad ``z`` or ``labels`` as in :func:`plot_logits`, or a
        ``temperature`` that is not a finite positive number.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from softmax_course.plotting import plot_logits_and_probabilities
    >>> fig, (ax_z, ax_s) = plot_logits_and_probabilities([2.0, 1.0, -1.0])
    >>> ax_s.get_title()
    'probabilities s = softmax(z)'
    >>> plt.close(fig)
    """
    plt = _pyplot()

    z = _as_vector(z, "z")
    temperature = check_positive_scalar(temperature, "temperature")
    s = softmax(z, temperature=temperature)
    fig, (ax_z, ax_s) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    plot_logits(ax_z, z, labels, color="tab:gray")
    ax_z.set_title("logits z (any real numbers)")
    plot_probabilities(ax_s, s, labels, color="tab:blue")
    if temperature == 1.0:
        ax_s.set_title("probabilities s = softmax(z)")
    else:
        ax_s.set_title(f"probabilities s = softmax(z / {temperature:g})")
    return fig, (ax_z, ax_s)


def plot_temperature_sweep(
    ax: Axes,
    z: ArrayLike,
    temperatures: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
) -> list[Line2D]:
    r"""Each class's probability ``softmax(z / T)_i`` as a curve over the temperature.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on; its x axis is set to a log scale.
    z : array_like, shape (K,)
        Logits, finite.
    temperatures : array_like, shape (M,), optional
        Temperatures :math:`T > 0` to evaluate, in increasing order. Default
        401 values log-spaced from ``1e-2`` to ``1e2``.
    labels : sequence of str, optional
        One legend entry per class. Default ``"class 0"``, ...

    Returns
    -------
    list of matplotlib.lines.Line2D
        One curve per class, in class order: curve ``i`` has x data
        ``temperatures`` and y data ``softmax(z, temperature=T)[i]``. The
        reference lines (uniform level, ``T = 1``) are not included.

    Raises
    ------
    TypeError
        If ``z`` or ``temperatures`` is not real-valued.
    ValueError
        If ``z`` is not a non-empty finite 1-D array, ``temperatures`` is not
        a non-empty 1-D array of finite positive values, or ``labels`` does
        not have one entry per class.

    Notes
    -----
    Dividing by :math:`T` scales every logit difference, so the ratio of two
    probabilities is :math:`s_i / s_j = e^{(z_i - z_j)/T}`. As
    :math:`T \to 0` the curve of the largest logit goes to 1 and the others
    to 0 (the one-hot argmax); as :math:`T \to \infty` every curve goes to
    the dashed uniform level :math:`1/K`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from softmax_course.plotting import plot_temperature_sweep
    >>> fig, ax = plt.subplots()
    >>> lines = plot_temperature_sweep(ax, [2.0, 1.0, -1.0], [0.01, 1.0, 100.0])
    >>> lines[0].get_ydata().round(3)  # the top class: certain, then 0.705, then near 1/3
    array([1.   , 0.705, 0.338])
    >>> plt.close(fig)
    """
    z = _as_vector(z, "z")
    if temperatures is None:
        temperatures = np.logspace(-2.0, 2.0, 401)
    temperatures = _as_vector(temperatures, "temperatures")
    if np.any(temperatures <= 0):
        raise ValueError(f"temperatures must all be greater than 0; received {temperatures!r}")
    if labels is None:
        names = [f"class {i}" for i in range(z.size)]
    else:
        names = _class_labels(labels, z.size)
    # One row per temperature: z / T broadcasts (M, 1) against (K,) into (M, K).
    s = softmax(z / temperatures[:, np.newaxis], axis=-1)
    lines = [ax.plot(temperatures, s[:, i], label=names[i])[0] for i in range(z.size)]
    ax.axhline(1.0 / z.size, color="gray", linestyle="--", linewidth=1, label="uniform 1/K")
    ax.axvline(1.0, color="gray", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("temperature T (log scale)")
    ax.set_ylabel("probability")
    ax.legend(fontsize="small")
    return lines
