"""Tests of the plot helpers: the artists they return carry the right data.

The reference values come from scipy.special.softmax, not from the package.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no display in tests; set here, not in the environment

import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.special
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from numpy.testing import assert_allclose

from softmax_course.plotting import (
    draw_number_grid,
    plot_broadcast_subtraction,
    plot_exp_regimes,
    plot_logits,
    plot_logits_and_probabilities,
    plot_naive_shift_failure,
    plot_probabilities,
    plot_temperature_sweep,
    plot_three_normalizations,
)

Z = np.array([2.0, 1.0, -1.0])
LABELS = ["cat", "dog", "bird"]


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def heights(bars: BarContainer) -> np.ndarray:
    return np.array([bar.get_height() for bar in bars])


def tick_texts(ax) -> list[str]:
    return [tick.get_text() for tick in ax.get_xticklabels()]


# --- plot_probabilities --------------------------------------------------------------


def test_probability_bars_have_the_probabilities_as_heights(ax):
    s = scipy.special.softmax(Z)
    bars = plot_probabilities(ax, s, LABELS)
    assert isinstance(bars, BarContainer)
    assert_allclose(heights(bars), s, rtol=0, atol=0)
    assert tick_texts(ax) == LABELS
    assert ax.get_ylim() == (0.0, 1.1)
    assert ax.get_ylabel() == "probability"
    # one value label per bar, two decimals
    assert [text.get_text() for text in ax.texts] == ["0.71", "0.26", "0.04"]


def test_probability_bars_default_labels_offset_and_no_annotation(ax):
    bars = plot_probabilities(ax, [0.25, 0.75], offset=0.2, width=0.4, annotate=False, color="red")
    assert tick_texts(ax) == ["0", "1"]
    assert_allclose([bar.get_x() + bar.get_width() / 2 for bar in bars], [0.2, 1.2])
    assert_allclose([bar.get_width() for bar in bars], [0.4, 0.4])
    assert len(ax.texts) == 0
    assert_allclose(bars[0].get_facecolor(), matplotlib.colors.to_rgba("red"))


@pytest.mark.parametrize(
    ("s", "match"),
    [
        ([[0.5, 0.5]], r"s must be a non-empty 1-D array .* received shape \(1, 2\)"),
        ([], r"s must be a non-empty 1-D array .* received shape \(0,\)"),
        ([0.5, np.nan], r"s must be finite"),
        ([1.5, -0.5], r"s must hold probabilities in \[0, 1\]"),
    ],
)
def test_probability_bars_reject_non_probabilities(ax, s, match):
    with pytest.raises(ValueError, match=match):
        plot_probabilities(ax, s)


def test_probability_bars_reject_wrong_number_of_labels(ax):
    with pytest.raises(ValueError, match=r"labels must have one entry per class; received 2 .*K=3"):
        plot_probabilities(ax, [0.2, 0.3, 0.5], ["a", "b"])


def test_probability_bars_reject_complex_input(ax):
    with pytest.raises(TypeError, match="s must be real"):
        plot_probabilities(ax, np.array([0.5 + 0j, 0.5]))


# --- plot_logits ---------------------------------------------------------------------


def test_logit_bars_have_the_logits_as_heights_and_a_zero_line(ax):
    bars = plot_logits(ax, Z, LABELS)
    assert_allclose(heights(bars), Z, rtol=0, atol=0)
    assert tick_texts(ax) == LABELS
    assert ax.get_ylabel() == "logit"
    zero_lines = [line for line in ax.get_lines() if np.all(np.asarray(line.get_ydata()) == 0)]
    assert len(zero_lines) == 1
    low, high = ax.get_ylim()
    assert low < Z.min() and high > Z.max()


def test_logit_bars_keep_zero_in_view_for_all_positive_logits(ax):
    plot_logits(ax, [5.0, 6.0], annotate=False)
    low, high = ax.get_ylim()
    assert low < 0.0 < 6.0 < high


def test_logit_bars_reject_infinite_logits(ax):
    with pytest.raises(ValueError, match="z must be finite"):
        plot_logits(ax, [1.0, np.inf])


# --- plot_logits_and_probabilities ---------------------------------------------------


@pytest.mark.parametrize("temperature", [1.0, 0.5, 4.0])
def test_side_by_side_figure_shows_logits_and_their_softmax(temperature):
    fig, (ax_z, ax_s) = plot_logits_and_probabilities(Z, LABELS, temperature=temperature)
    try:
        assert isinstance(fig, Figure)
        assert_allclose(heights(ax_z.containers[0]), Z, rtol=0, atol=0)
        expected = scipy.special.softmax(Z / temperature)
        assert_allclose(heights(ax_s.containers[0]), expected, rtol=1e-14)
        assert "softmax" in ax_s.get_title()
        assert tick_texts(ax_s) == LABELS
    finally:
        plt.close(fig)


def test_side_by_side_figure_rejects_bad_temperature():
    open_before = len(plt.get_fignums())
    with pytest.raises(ValueError, match="temperature must be finite and greater than 0"):
        plot_logits_and_probabilities(Z, temperature=0.0)
    assert len(plt.get_fignums()) == open_before  # nothing half-drawn is left open


# --- plot_temperature_sweep ----------------------------------------------------------


def test_temperature_sweep_curves_are_softmax_of_z_over_t(ax):
    temperatures = np.logspace(-2, 2, 9)
    lines = plot_temperature_sweep(ax, Z, temperatures, LABELS)
    assert len(lines) == Z.size
    for i, line in enumerate(lines):
        assert_allclose(line.get_xdata(), temperatures, rtol=0, atol=0)
        expected = [scipy.special.softmax(Z / t)[i] for t in temperatures]
        assert_allclose(line.get_ydata(), expected, rtol=1e-13, atol=1e-300)
        assert line.get_label() == LABELS[i]
    assert ax.get_xscale() == "log"
    legend_texts = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend_texts == [*LABELS, "uniform 1/K"]


def test_temperature_sweep_reaches_argmax_and_uniform_limits(ax):
    lines = plot_temperature_sweep(ax, Z)  # default grid 1e-2 .. 1e2
    first = np.array([line.get_ydata()[0] for line in lines])
    last = np.array([line.get_ydata()[-1] for line in lines])
    assert_allclose(first, [1.0, 0.0, 0.0], atol=1e-40)  # T = 0.01: one-hot argmax
    assert_allclose(last, np.full(3, 1 / 3), atol=0.02)  # T = 100: nearly uniform
    assert lines[0].get_label() == "class 0"
    uniform = [line for line in ax.get_lines() if line.get_label() == "uniform 1/K"]
    assert_allclose(uniform[0].get_ydata(), [1 / 3, 1 / 3])


@pytest.mark.parametrize(
    ("temperatures", "match"),
    [
        ([1.0, 0.0], "temperatures must all be greater than 0"),
        ([-1.0], "temperatures must all be greater than 0"),
        ([[1.0]], "temperatures must be a non-empty 1-D array"),
    ],
)
def test_temperature_sweep_rejects_bad_temperatures(ax, temperatures, match):
    with pytest.raises(ValueError, match=match):
        plot_temperature_sweep(ax, Z, temperatures)


# --- the lesson 02 and 03 pictures ------------------------------------------------------------


def test_number_grid_writes_every_entry_and_fades_the_stretched_columns(ax):
    values = np.array([[1.5, -2.0, 3.0], [0.0, 4.0, 7.25]])
    cells = draw_number_grid(ax, values, "V", faded_from=1)
    assert [t.get_text() for t in ax.texts] == ["1.5", "-2", "3", "0", "4", "7.25"]
    assert [c.get_alpha() for c in cells] == [1.0, 0.35, 0.35, 1.0, 0.35, 0.35]
    # top row first: the cell of entry [0, 0] sits in the upper row of the drawing
    assert cells[0].get_xy() == (0, 1) and cells[5].get_xy() == (2, 0)
    assert ax.get_title() == "V"


@pytest.mark.parametrize("bad", [[1.0, 2.0], [[1.0, np.nan]], [[]]])
def test_number_grid_rejects_what_it_cannot_draw(ax, bad):
    with pytest.raises(ValueError, match="values"):
        draw_number_grid(ax, bad)


def test_broadcast_subtraction_shows_z_minus_the_row_maxima():
    Z = np.array([[1.0, 2.0, 3.0, 6.0], [2.0, 4.0, 1.0, 0.0], [5.0, 5.0, 2.0, 1.0]])
    fig, axes = plot_broadcast_subtraction(Z)
    try:
        maxima = [max(row) for row in Z.tolist()]  # plain Python, not numpy's max
        expected = [f"{v - m:g}" for row, m in zip(Z.tolist(), maxima, strict=True) for v in row]
        assert [t.get_text() for t in axes[3].texts] == expected
        assert [t.get_text() for t in axes[1].texts] == [f"{m:g}" for m in maxima]
        assert len(axes[2].texts) == Z.size  # the stretched column is drawn in full
    finally:
        plt.close(fig)


def test_three_normalizations_match_scipy():
    Z = np.random.default_rng(3).normal(size=(6, 4))
    fig, axes, probabilities = plot_three_normalizations(Z)
    try:
        for S, axis in zip(probabilities, (-1, 0, None), strict=True):
            assert_allclose(S, scipy.special.softmax(Z, axis=axis), rtol=1e-13)
        # row sums are written in green only where the rows are distributions
        green = [t for t in axes[0].texts if t.get_color() == "tab:green"]
        assert len(green) == 6
        assert not [t for t in axes[1].texts if t.get_color() == "tab:green"]
    finally:
        plt.close(fig)


def test_exp_regimes_bars_span_the_given_thresholds():
    limits = {
        "float32": {"zero below": -103.3, "subnormal below": -87.3, "overflow above": 88.72},
        "float64": {"zero below": -745.1, "subnormal below": -708.4, "overflow above": 709.78},
    }
    fig, ax = plot_exp_regimes(limits)
    try:
        bars = ax.patches
        assert len(bars) == 8
        lefts = [round(float(b.get_x()), 2) for b in bars[4:]]
        assert lefts == [-1200, -745.1, -708.4, 709.78]
        assert [t.get_text() for t in ax.get_yticklabels()] == ["float32", "float64"]
    finally:
        plt.close(fig)


def test_exp_regimes_rejects_unordered_limits():
    with pytest.raises(ValueError, match="limits"):
        plot_exp_regimes({"float64": {"zero below": 1, "subnormal below": 0, "overflow above": 2}})


def test_naive_shift_failure_draws_the_given_formula_per_dtype():
    calls = []

    def first_probability(t, dtype):
        calls.append(dtype)
        return (1 / (1 + np.exp(-5.0)) + 0 * t).astype(dtype)

    limits = {
        "float64": {"zero below": -745.1, "overflow above": 709.78},
        "float32": {"zero below": -103.3, "overflow above": 88.72},
    }
    fig, axes = plot_naive_shift_failure(
        first_probability, limits, 0.9933, {"float64": 1000, "float32": 150}
    )
    try:
        assert calls == [np.dtype("float64"), np.dtype("float32")]
        assert axes[1].get_xlim() == (-150, 150)
        assert_allclose(axes[0].lines[1].get_ydata(), 1 / (1 + np.exp(-5.0)), rtol=1e-15)
    finally:
        plt.close(fig)


# --- draw_graph: the computation graph of an autodiff expression --------------------------------


def _chain():
    # the stable cross-entropy of lesson 09 for one sample, step by step
    from softmax_course import autodiff as ad
    from softmax_course.autodiff import Tensor

    t = {"z": Tensor(np.array([[2.0, 1.0, -1.0]]), name="z")}
    t["m"] = t["z"].max(axis=1, keepdims=True)
    t["u"] = t["z"] - t["m"]
    t["e"] = ad.exp(t["u"])
    t["r"] = t["e"].sum(axis=1, keepdims=True)
    t["lse"] = ad.log(t["r"])
    t["log_s"] = t["u"] - t["lse"]
    t["p"] = t["log_s"][np.arange(1), np.array([1])]
    t["E"] = -t["p"].mean()
    t["E"].backward()
    return t


def _nodes_and_edges(ax):
    nodes = [text for text in ax.texts if text.get_gid() == "node"]
    edges = [patch for patch in ax.patches if patch.get_gid() == "edge"]
    return nodes, edges


def test_draw_graph_structure_of_a_known_expression():
    from softmax_course.plotting import draw_graph

    t = _chain()
    fig, ax = draw_graph(t["E"], names=t)
    try:
        nodes, edges = _nodes_and_edges(ax)
        # z, m, u, e, r, lse, log_s, p, the sum and the 1/N of the mean, E (the constants 1/N
        # and -1 are folded into their operations, not drawn)
        assert len(nodes) == 11
        # one edge per (input, result) pair among drawn nodes: u and log_s have two inputs each
        assert len(edges) == 12
        heads = [node.get_text().splitlines()[0] for node in nodes]
        assert heads[0] == "z" and heads[-1] == "E = t9 * -1"
        for expected in [
            "m = max(z)",
            "u = z - m",
            "e = exp(u)",
            "lse = log(r)",
            "log_s = u - lse",
        ]:
            assert expected in heads
        assert isinstance(fig, Figure) and not ax.axison
    finally:
        plt.close(fig)


def test_draw_graph_labels_carry_values_and_gradients():
    from softmax_course.plotting import draw_graph

    t = _chain()
    fig, ax = draw_graph(t["E"], names=t)
    try:
        nodes, _ = _nodes_and_edges(ax)
        text = {node.get_text().splitlines()[0].split(" = ")[0]: node.get_text() for node in nodes}
        s = scipy.special.softmax([2.0, 1.0, -1.0])
        grad_z = s - np.array([0.0, 1.0, 0.0])  # (S - Y)/N with N = 1, independently
        expected = " ".join(f"{v:.3f}".rstrip("0").rstrip(".") for v in np.round(grad_z, 3))
        assert text["z"].splitlines()[1] == "value [2 1 -1]"
        assert text["z"].splitlines()[2] == f"grad [{expected}]"
        assert text["m"].splitlines()[2] == "grad [0]"  # no gradient through the max
        lse = np.log(np.exp([0.0, -1.0, -3.0]).sum())
        assert text["lse"].splitlines()[1] == f"value [{lse:.3f}]"
        assert text["E"].splitlines()[1:] == [f"value {1.0 + lse:.3f}", "grad 1"]
    finally:
        plt.close(fig)


def test_draw_graph_shows_shapes_of_large_arrays_and_missing_gradients(ax):
    from softmax_course.autodiff import Tensor
    from softmax_course.plotting import draw_graph

    a = Tensor(np.ones((3, 4)), name="a")
    b = (a * a).sum()  # no backward: gradients are not computed yet
    fig, returned = draw_graph(b, ax=ax)
    assert returned is ax and fig is ax.figure
    nodes, edges = _nodes_and_edges(ax)
    assert len(nodes) == 3 and len(edges) == 3  # a feeds the product twice
    assert nodes[0].get_text().splitlines() == ["a", "value shape (3, 4)", "grad not computed"]


def test_draw_graph_rejects_what_is_not_a_tensor():
    from softmax_course.plotting import draw_graph

    with pytest.raises(TypeError, match="tensor must be a softmax_course.autodiff.Tensor"):
        draw_graph(np.ones(3))
    with pytest.raises(ValueError, match="max_entries"):
        draw_graph(_chain()["E"], max_entries=-1)
