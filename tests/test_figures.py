"""The figure comparison used by nbval: harmless differences pass, real changes fail."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest

from tests.figures import compare_figures, png_rms, pngs, tolerance_of

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


EPS = 2.2e-16
FLOOR = 8 * EPS  # as in lesson 03: errors of a few ulps are drawn at a floor


def render(errors: np.ndarray, *, bound_factor: float = 1.0, label: str = "eps × spread") -> str:
    """A log-log figure like lesson 03's accuracy plot, as stored base64 PNG text."""
    spreads = np.geomspace(1, 2000, 60)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.axhline(FLOOR, lw=0.6, alpha=0.5)
    ax.loglog(spreads, np.maximum(errors, FLOOR), "o-", ms=3, label="measured")
    ax.loglog(spreads, bound_factor * EPS * spreads, "--", lw=1, label=label)
    ax.set_ylim(1e-18, 3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def errors() -> np.ndarray:
    spreads = np.geomspace(1, 2000, 60)
    return EPS * spreads * np.random.default_rng(0).uniform(0.3, 1.0, size=60)


TOLERANCE = 1.0  # what lesson 03's accuracy figure declares


def test_identical_figures_have_zero_rms(errors):
    figure = render(errors)
    assert png_rms(figure, figure) == 0.0


def test_rounding_level_changes_stay_within_the_tolerance(errors):
    # Another CPU's exp and summation change errors below the floor by a factor up to 2
    # (drawn on the floor all the same) and the larger ones by about a percent: sub-pixel
    # moves (measured on lesson 03's figure across numpy SIMD levels: RMS up to 0.6).
    moved = errors * np.random.default_rng(1).uniform(0.99, 1.01, size=errors.size)
    moved[errors < FLOOR / 2] *= 2.0
    assert 0 < png_rms(render(errors), render(moved)) <= TOLERANCE


@pytest.mark.parametrize(
    "change",
    [
        {"bound_factor": 2.0},  # the bound line moved by a factor 2
        {"label": "eps × spread²"},  # another label
    ],
)
def test_real_changes_fail(errors, change):
    assert png_rms(render(errors), render(errors, **change)) > TOLERANCE


def test_every_point_shifted_fails(errors):
    assert png_rms(render(errors), render(errors * 10)) > TOLERANCE


def test_different_sizes_never_match(errors):
    small = render(errors)
    fig, ax = plt.subplots(figsize=(4, 3))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72)
    plt.close(fig)
    assert png_rms(small, base64.b64encode(buffer.getvalue()).decode()) == float("inf")


def test_compare_figures_reports_count_and_rms(errors):
    stored = [{"output_type": "display_data", "data": {"image/png": render(errors)}}]
    moved = [{"output_type": "display_data", "data": {"image/png": render(errors * 10)}}]
    assert compare_figures(stored, stored, TOLERANCE) == []
    assert "RMS" in compare_figures(moved, stored, TOLERANCE)[0]
    assert "0 figure(s); 1 stored" in compare_figures([], stored, TOLERANCE)[0]


@pytest.mark.parametrize(
    "spec",
    [{"rms": 2.0}, {"rms": 0, "why": "x"}, {"rms": 50, "why": "x"}, {"rms": "2", "why": "x"}, 2.0],
)
def test_a_tolerance_needs_a_size_and_a_reason(spec):
    with pytest.raises(ValueError, match="figure_tolerance"):
        tolerance_of({"figure_tolerance": spec})


def test_cells_without_a_tolerance_are_compared_exactly():
    assert tolerance_of({}) is None
    assert tolerance_of({"figure_tolerance": {"rms": 2.0, "why": "rounding"}}) == 2.0


def test_tolerances_are_rare_and_explained():
    """Byte-exact is the default: only cells that plot rounding errors may relax it."""
    relaxed = []
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            tolerance = tolerance_of(cell.get("metadata", {}))
            if tolerance is not None:
                assert pngs(cell.get("outputs", [])), f"{path.name}: a tolerance but no figure"
                relaxed.append((path.name, tolerance))
    assert 0 < len(relaxed) <= 2, relaxed
    assert all(tolerance <= TOLERANCE for _, tolerance in relaxed), relaxed
