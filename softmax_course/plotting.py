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
    import matplotlib.patches
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
    "draw_number_grid",
    "plot_broadcast_subtraction",
    "plot_exp_regimes",
    "plot_naive_shift_failure",
    "plot_three_normalizations",
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


def _as_matrix(values: ArrayLike, name: str) -> np.ndarray:
    """``values`` as a finite, non-empty 2-D float array."""
    array = as_real_array(values, name)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array; received shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; received {array!r}")
    return array


def draw_number_grid(
    ax: Axes,
    values: ArrayLike,
    title: str = "",
    *,
    faded_from: int | None = None,
    cmap: str = "Blues",
) -> list[matplotlib.patches.Rectangle]:
    """Draw a small 2-D array as a table of coloured cells with its numbers written in.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on; its axis lines are turned off.
    values : array_like, shape (R, C)
        Finite numbers; entry ``[i, j]`` is drawn in row ``i`` (top row first), column ``j``.
    title : str, optional
        Axes title.
    faded_from : int, optional
        Columns ``j >= faded_from`` are drawn pale and dashed: entries numpy never stores
        (a size-1 axis stretched by broadcasting).
    cmap : str, optional
        Matplotlib colormap name; the colour follows the value.

    Returns
    -------
    list of matplotlib.patches.Rectangle
        One cell per entry, row by row.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> cells = draw_number_grid(ax, [[1.0, 2.0], [3.0, 6.0]], "Z")
    >>> len(cells), [t.get_text() for t in ax.texts]
    (4, ['1', '2', '3', '6'])
    >>> plt.close(fig)
    """
    plt = _pyplot()
    from matplotlib.patches import Rectangle

    values = _as_matrix(values, "values")
    rows, cols = values.shape
    spread = float(np.ptp(values)) or 1.0
    colours = plt.get_cmap(cmap)(0.25 + 0.5 * (values - values.min()) / spread)
    cells = []
    for i in range(rows):
        for j in range(cols):
            faded = faded_from is not None and j >= faded_from
            cell = Rectangle(
                (j, rows - 1 - i),
                1,
                1,
                facecolor=colours[i, j],
                edgecolor="black",
                alpha=0.35 if faded else 1.0,
                linestyle="--" if faded else "-",
            )
            ax.add_patch(cell)
            cells.append(cell)
            ax.text(
                j + 0.5,
                rows - 0.5 - i,
                f"{values[i, j]:g}",
                ha="center",
                va="center",
                fontsize=11,
                color="gray" if faded else "black",
            )
    ax.set_xlim(-0.1, cols + 0.1)
    ax.set_ylim(-0.1, rows + 0.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    return cells


def plot_broadcast_subtraction(Z: ArrayLike) -> tuple[Figure, np.ndarray]:
    """Four panels: ``Z``, its row maxima ``m`` (N, 1), ``m`` stretched to (N, K), ``Z - m``.

    Parameters
    ----------
    Z : array_like, shape (N, K)
        A small batch of finite logits, one row per sample.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray of matplotlib.axes.Axes, shape (4,)
        The panels in the order above; each holds one text per drawn entry.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, axes = plot_broadcast_subtraction([[1.0, 2.0], [5.0, 3.0]])
    >>> [t.get_text() for t in axes[3].texts]  # Z - m: every row's max is now 0
    ['-1', '0', '0', '-2']
    >>> plt.close(fig)
    """
    plt = _pyplot()

    Z = _as_matrix(Z, "Z")
    n, k = Z.shape
    m = np.max(Z, axis=1, keepdims=True)
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.2), gridspec_kw={"width_ratios": [k, 1, k, k]})
    draw_number_grid(axes[0], Z, f"Z  (N, K) = ({n}, {k})")
    draw_number_grid(axes[1], m, f"m = max(axis=1,\nkeepdims=True)  ({n}, 1)", cmap="Oranges")
    draw_number_grid(
        axes[2],
        np.repeat(m, k, axis=1),
        f"m stretched to ({n}, {k})\n(pale: not stored)",
        faded_from=1,
        cmap="Oranges",
    )
    draw_number_grid(axes[3], Z - m, f"Z - m  ({n}, {k}):\nevery row's max is now 0", cmap="Greens")
    fig.suptitle(
        f"Broadcasting ({n}, {k}) - ({n}, 1): the size-1 axis is stretched across the classes"
    )
    fig.tight_layout()
    return fig, axes


def plot_three_normalizations(Z: ArrayLike) -> tuple[Figure, np.ndarray, list[np.ndarray]]:
    """One batch of logits normalized three ways: over classes, over samples, over everything.

    Parameters
    ----------
    Z : array_like, shape (N, K)
        Finite logits, one row per sample.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray of matplotlib.axes.Axes, shape (3,)
    probabilities : list of numpy.ndarray, shape (N, K) each
        ``softmax(Z, axis=-1)``, ``softmax(Z, axis=0)`` and ``softmax(Z, axis=None)``, as drawn.
        Row sums are written right of each panel (green where they are 1), column sums below.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, axes, (rows, cols, whole) = plot_three_normalizations([[0.0, 1.0], [2.0, 2.0]])
    >>> rows.sum(axis=1), round(float(whole.sum()), 12)
    (array([1., 1.]), 1.0)
    >>> plt.close(fig)
    """
    plt = _pyplot()

    Z = _as_matrix(Z, "Z")
    n, k = Z.shape
    titles = (
        "softmax over classes (axis=-1)",
        "over samples (axis=0)",
        "over the whole batch (axis=None)",
    )
    probabilities = [softmax(Z, axis=-1), softmax(Z, axis=0), softmax(Z, axis=None)]
    fig, axes = plt.subplots(1, 3, figsize=(15, 0.9 * n + 0.3), sharey=True)
    fig.subplots_adjust(left=0.07, right=0.86, wspace=0.3, top=0.8, bottom=0.1)
    image = None
    for ax, title, S in zip(axes, titles, probabilities, strict=True):
        image = ax.imshow(S, cmap="viridis", vmin=0.0, vmax=1.0)
        for i in range(n):
            for j in range(k):
                colour = "white" if S[i, j] < 0.6 else "black"
                ax.text(j, i, f"{S[i, j]:.2f}", ha="center", va="center", fontsize=9, color=colour)
            row_sum = S[i].sum()
            ax.text(
                k - 0.35,
                i,
                f"{row_sum:.2f}",
                ha="left",
                va="center",
                fontsize=10,
                color="tab:green" if np.isclose(row_sum, 1.0) else "tab:red",
                fontweight="bold",
            )
        ax.text(k - 0.4, -0.6, "row sum", ha="left", va="bottom", fontsize=9)
        for j in range(k):
            ax.text(
                j,
                n - 0.35,
                f"{S[:, j].sum():.2f}",
                ha="center",
                va="top",
                fontsize=10,
                color="dimgray",
            )
        ax.text(-0.55, n - 0.35, "column sum", ha="right", va="top", fontsize=9, color="dimgray")
        ax.set_xticks(range(k), [f"class {j}" for j in range(k)])
        ax.set_yticks(range(n), [f"sample {i}" for i in range(n)])
        ax.set_title(title, fontsize=11, pad=22)
        ax.set_xlim(-0.5, k + 0.3)
        ax.set_ylim(n + 0.2, -0.5)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.tick_params(length=0)
    assert image is not None  # three panels were drawn
    fig.colorbar(image, cax=fig.add_axes((0.89, 0.2, 0.015, 0.55)), label="probability")
    fig.suptitle(
        "One batch, three normalizations. Row sums on the right (green = 1, red = not 1), "
        "column sums below"
    )
    return fig, axes, probabilities


#: The regimes of exp(x) for a float dtype, left to right, with their colours.
EXP_REGIMES = (
    ("exp(x) = 0 (underflow)", "#9e9e9e"),
    ("subnormal: precision lost", "#ffcc80"),
    ("normal: full precision", "#81c784"),
    ("exp(x) = inf (overflow)", "#e57373"),
)


def plot_exp_regimes(limits: dict[str, dict[str, float]]) -> tuple[Figure, Axes]:
    """For each dtype, the axis of logits split into the regimes of ``exp(x)``.

    Parameters
    ----------
    limits : dict
        Maps a dtype name to its thresholds ``{"zero below": a, "subnormal below": b,
        "overflow above": c}`` with ``a < b < c``: ``exp(x)`` is 0 below ``a``, subnormal
        between ``a`` and ``b``, normal up to ``c`` and ``inf`` above (lesson 03 computes them
        from ``np.finfo``). One bar per dtype, bottom to top in the given order.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        Symmetric-log x axis (linear within 10 of 0); ``ax.patches`` holds four bars per
        dtype, in the order of ``EXP_REGIMES``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> limits = {"float16": {"zero below": -17.3, "subnormal below": -9.7,
    ...                       "overflow above": 11.09}}
    >>> fig, ax = plot_exp_regimes(limits)
    >>> [round(float(bar.get_width()), 2) for bar in ax.patches]
    [1182.7, 7.6, 20.79, 1188.91]
    >>> plt.close(fig)
    """
    plt = _pyplot()

    if not limits:
        raise ValueError("limits must name at least one dtype; received an empty mapping")
    fig, ax = plt.subplots(figsize=(9, 1.1 * len(limits) + 0.5))
    for row, (name, lim) in enumerate(limits.items()):
        edges = [-1200, lim["zero below"], lim["subnormal below"], lim["overflow above"], 1200]
        if not all(a < b for a, b in zip(edges[:-1], edges[1:], strict=True)):
            raise ValueError(
                f"limits[{name!r}] must satisfy -1200 < zero below < subnormal below < "
                f"overflow above < 1200; received {lim!r}"
            )
        for (label, colour), left, right in zip(EXP_REGIMES, edges[:-1], edges[1:], strict=True):
            ax.barh(
                row,
                right - left,
                left=left,
                height=0.6,
                color=colour,
                edgecolor="white",
                label=label if row == 0 else None,
            )
        for key in ("overflow above", "zero below"):
            ax.text(lim[key], row + 0.33, f"{lim[key]:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(-1200, 1200)
    ax.set_ylim(-0.45, len(limits) - 0.35)
    ax.set_yticks(range(len(limits)), list(limits))
    ax.set_xlabel("logit x (symmetric log scale)")
    ax.set_title("Where exp(x) is representable, by dtype")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig, ax


def plot_naive_shift_failure(
    first_probability: Any,
    limits: dict[str, dict[str, float]],
    true_value: float,
    ranges: dict[str, float],
) -> tuple[Figure, np.ndarray]:
    """The naive softmax of ``z = [t, t - 5]`` as the shift ``t`` sweeps, one panel per dtype.

    Parameters
    ----------
    first_probability : callable
        ``first_probability(t, dtype)`` returns the computed ``s_0`` for an array of shifts
        ``t`` (the lesson passes its naive formula).
    limits : dict
        ``exp`` thresholds per dtype name, as in :func:`plot_exp_regimes`; the overflow and
        underflow regions are shaded.
    true_value : float
        The exact ``s_0``, the same for every ``t``; drawn as a thick grey line.
    ranges : dict
        Maps a dtype name to the largest ``|t|`` drawn for it, one panel each, top to bottom.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray of matplotlib.axes.Axes
        ``axes[i].lines[1]`` is the curve of ``first_probability`` for the ``i``-th dtype.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> def exact(t, dtype):
    ...     return np.full(t.shape, 0.5)
    >>> fig, axes = plot_naive_shift_failure(
    ...     exact, {"float64": {"zero below": -745.1, "overflow above": 709.8}}, 0.5,
    ...     {"float64": 1000})
    >>> float(axes[0].lines[1].get_ydata()[0])
    0.5
    >>> plt.close(fig)
    """
    plt = _pyplot()

    colours = ["tab:blue", "tab:orange", "tab:green"]
    fig, axes = plt.subplots(len(ranges), 1, figsize=(9, 2.8 * len(ranges)), squeeze=False)
    axes = axes[:, 0]
    for ax, (name, t_max), colour in zip(axes, ranges.items(), colours, strict=False):
        lim = limits[name]
        t = np.linspace(-t_max, t_max, 6001)
        ax.axhline(
            true_value,
            color="black",
            lw=5,
            alpha=0.25,
            label=f"sc.softmax: {true_value:.4f} for every t",
        )
        ax.plot(
            t,
            first_probability(t, np.dtype(name)),
            color=colour,
            lw=1.5,
            label=f"naive formula in {name}",
        )
        ax.axvspan(lim["overflow above"], t_max, color="#e57373", alpha=0.3)
        ax.axvspan(-t_max, lim["zero below"], color="#9e9e9e", alpha=0.3)
        low = true_value - 0.0058
        ax.text(
            (lim["overflow above"] + t_max) / 2, low, "nan\n(inf / inf)", ha="center", fontsize=9
        )
        ax.text((lim["zero below"] - t_max) / 2, low, "nan\n(0 / 0)", ha="center", fontsize=9)
        ax.set_xlim(-t_max, t_max)
        ax.set_ylim(true_value - 0.0073, true_value + 0.0087)
        ax.set_ylabel("s_0")
        ax.set_title(f"{name}: z = [t, t - 5]", fontsize=10)
        ax.legend(loc="lower center", fontsize=8)
        ax.annotate(
            "wrong, no nan: exp(t - 5) is already 0 or subnormal",
            fontsize=8,
            va="center",
            xy=(lim["zero below"] + 3, true_value + 0.0067),
            xytext=(-0.55 * t_max, true_value + 0.0062),
            arrowprops={"arrowstyle": "->", "color": "black"},
        )
    axes[-1].set_xlabel("shift t of both logits")
    fig.suptitle("The naive formula is right only where exp(z) is representable")
    fig.tight_layout()
    return fig, axes


# --- computation graphs of softmax_course.autodiff expressions ---------------------------------

__all__ += ["draw_graph"]  # appended here so that this block stays self-contained

#: How :func:`draw_graph` names the operation that made a tensor, from its VJP's home.
_GRAPH_OPS = {
    "__add__": "+",
    "__sub__": "-",
    "__mul__": "*",
    "__truediv__": "/",
    "__pow__": "**",
    "__matmul__": "@",
    "__getitem__": "index",
}


def _graph_op(node: Any) -> str:
    """The operation that created ``node`` (``"input"`` for a leaf), e.g. ``"max"``, ``"-"``."""
    if node._vjp is None:
        return "input"
    owner = node._vjp.__qualname__.split(".<locals>")[0].split(".")[-1]
    return _GRAPH_OPS.get(owner, owner)


def _graph_numbers(array: np.ndarray | None, max_entries: int, decimals: int) -> str:
    """A short, portable text for an array: its rounded entries when few, else its shape."""
    if array is None:
        return "not computed"
    array = np.asarray(array)
    if array.size > max_entries:
        return f"shape {array.shape}"
    rounded = np.round(array.ravel(), decimals) + 0.0  # + 0.0: no "-0"
    text = " ".join(f"{v:.{decimals}f}".rstrip("0").rstrip(".") for v in rounded)
    return text if array.ndim == 0 else f"[{text}]"


def draw_graph(
    tensor: Any,
    *,
    names: dict[str, Any] | None = None,
    ax: Axes | None = None,
    max_entries: int = 4,
    decimals: int = 3,
    fontsize: float = 8.0,
) -> tuple[Figure, Axes]:
    r"""Draw an :mod:`softmax_course.autodiff` expression as a computation graph.

    One box per tensor that ``tensor`` was computed from, with an arrow from
    each input to the operation's result, in the spirit of micrograd's
    ``draw_dot`` but with matplotlib only (no Graphviz). Each box shows the
    tensor's name and the operation that made it, its value and its gradient
    ``.grad`` (after ``tensor.backward()``): the entries, rounded to
    ``decimals`` so that the picture is the same on every machine, when there
    are at most ``max_entries`` of them, else the shape. Inputs are drawn at
    the top, ``tensor`` at the bottom; each row holds the nodes that are the
    same number of steps from the inputs. Scalar constants that the engine
    wraps on the fly (the ``-1`` of a negation, the ``1/N`` of a mean) are not
    drawn as boxes; the operation that uses them shows them instead
    (``* -1``).

    Parameters
    ----------
    tensor : Tensor
        The output of the expression (a :class:`softmax_course.autodiff.Tensor`),
        usually the loss.
    names : dict, optional
        Labels for the nodes, e.g. the dict in which a lesson keeps its steps;
        a tensor not in it shows its own ``name``, and one without a name
        ``t0``, ``t1``, ... (its place in the drawing order).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure sized to the graph is made if omitted.
    max_entries : int, default 4
        Arrays with at most this many entries are printed, larger ones by shape.
    decimals : int, default 3
        Decimals of the printed entries.
    fontsize : float, default 8
        Size of the text in the boxes.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure drawn on (a new one when ``ax`` is omitted).
    ax : matplotlib.axes.Axes
        One ``ax.texts`` entry per node (gid ``"node"``) and one
        ``ax.patches`` arrow per edge (gid ``"edge"``).

    Raises
    ------
    TypeError
        If ``tensor`` is not a ``Tensor``, or ``max_entries`` or ``decimals``
        is not an integer.
    ValueError
        If ``max_entries`` or ``decimals`` is negative.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_course.autodiff import Tensor, exp
    >>> from softmax_course.plotting import draw_graph
    >>> a = Tensor(np.array([0.0, 1.0]), name="a")
    >>> b = exp(a).sum()
    >>> b.backward()
    >>> fig, ax = draw_graph(b, names={"b": b})
    >>> [text.get_text().splitlines()[0] for text in ax.texts]
    ['a', 't1 = exp(a)', 'b = sum(t1)']
    >>> ax.texts[0].get_text().splitlines()[2]  # the gradient of a is e^a
    'grad [1 2.718]'
    >>> len(ax.patches)  # a -> exp, exp -> sum
    2
    """
    from softmax_course.autodiff import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"tensor must be a softmax_course.autodiff.Tensor; received {type(tensor).__name__}"
        )
    for name_value in (max_entries, decimals):
        if isinstance(name_value, bool) or not isinstance(name_value, (int, np.integer)):
            raise TypeError(f"max_entries and decimals must be integers; received {name_value!r}")
    if max_entries < 0 or decimals < 0:
        raise ValueError(
            f"max_entries and decimals must be >= 0; received {max_entries} and {decimals}"
        )
    labels = {id(t): key for key, t in (names or {}).items()}

    def is_constant(node: Any) -> bool:
        return (
            node._vjp is None and not node.name and id(node) not in labels and node.value.size == 1
        )

    # every node once, inputs before the results computed from them (depth-first post-order)
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(tensor, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node._parents) if id(p) not in seen)
    drawn = [node for node in order if node is tensor or not is_constant(node)]
    depth: dict[int, int] = {}
    for node in drawn:  # parents come first in `order`
        parents = [p for p in node._parents if id(p) in depth]
        depth[id(node)] = 1 + max((depth[id(p)] for p in parents), default=-1)
    for i, node in enumerate(drawn):  # unnamed intermediate results: t0, t1, ... in order
        if id(node) not in labels and not node.name:
            labels[id(node)] = f"t{i}"
    rows: dict[int, list[Any]] = {}
    for node in drawn:
        rows.setdefault(depth[id(node)], []).append(node)
    width = max(len(row) for row in rows.values())
    position = {}
    for level, row in rows.items():
        for i, node in enumerate(row):
            position[id(node)] = (i - (len(row) - 1) / 2, -level)

    if ax is None:
        fig, ax = _pyplot().subplots(figsize=(2.8 * width + 0.8, 1.05 * len(rows) + 0.2))
    else:
        fig = ax.get_figure(root=True)
    for node in drawn:
        label = labels.get(id(node), node.name)
        op = _graph_op(node)
        operands = [
            _graph_numbers(p.value, 1, decimals) if is_constant(p) else labels.get(id(p), p.name)
            for p in node._parents
        ]
        if op == "input":
            expression = "input"
        elif op == "index":
            expression = f"{operands[0]}[...]"
        elif len(operands) == 2:
            expression = f"{operands[0]} {op} {operands[1]}"
        else:
            expression = f"{op}({', '.join(operands)})"
        head = f"{label} = {expression}" if label and op != "input" else label or expression
        text = "\n".join(
            [
                head,
                f"value {_graph_numbers(node.value, max_entries, decimals)}",
                f"grad {_graph_numbers(node.grad, max_entries, decimals)}",
            ]
        )
        x, y = position[id(node)]
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=fontsize,
            family="monospace",
            gid="node",
            bbox={"boxstyle": "round,pad=0.35", "facecolor": "#eef3fb", "edgecolor": "#4a6fa5"},
        )
    from matplotlib.patches import FancyArrowPatch

    gap = 1.9 * fontsize + 5  # points from a box's centre to its edge, for three lines of text
    for node in drawn:
        for parent in node._parents:
            if id(parent) not in position:
                continue
            skip = depth[id(node)] - depth[id(parent)] > 1  # curve around the rows between
            ax.add_patch(
                FancyArrowPatch(
                    position[id(parent)],
                    position[id(node)],
                    connectionstyle=f"arc3,rad={-0.45 if skip else 0.0}",
                    arrowstyle="-|>",
                    mutation_scale=10,
                    shrinkA=gap,
                    shrinkB=gap,
                    color="#4a6fa5",
                    linewidth=1.0,
                    gid="edge",
                )
            )
    ax.set_xlim(-width / 2 - 0.15, width / 2 + 0.15)
    ax.set_ylim(-len(rows) + 0.5, 0.5)
    ax.set_axis_off()
    return fig, ax
