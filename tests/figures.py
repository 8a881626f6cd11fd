"""Comparing notebook figures: byte for byte by default, by RMS where a cell says so.

A figure whose data are exact renders to the same PNG bytes on every machine, and
nbval compares it byte for byte (``conftest.py``). A figure that *plots rounding
errors* legitimately moves by a pixel or two from one CPU to another (another SIMD
``exp``, another BLAS kernel). Such a cell declares a tolerance in its metadata::

    "metadata": {"figure_tolerance": {"rms": 2.0, "why": "plots rounding errors"}}

and its stored and fresh PNGs are decoded and compared by their root-mean-square
pixel difference, with matplotlib's own ``calculate_rms`` (the measure
``matplotlib.testing.compare`` and pytest-mpl use), on a 0-255 scale.
``tests/test_figures.py`` proves that harmless differences pass and real
changes (a moved line, another label) fail.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

METADATA_KEY = "figure_tolerance"


def decode_png(data: str | bytes) -> np.ndarray:
    """A PNG, base64 text as stored in a notebook or raw bytes, as an (H, W, C) uint8 array."""
    from PIL import Image

    raw = base64.b64decode(data) if isinstance(data, str) else data
    with Image.open(io.BytesIO(raw)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def png_rms(expected: str | bytes, actual: str | bytes) -> float:
    """Root-mean-square pixel difference (0-255 scale); ``inf`` when the sizes differ."""
    from matplotlib.testing.compare import calculate_rms

    a, b = decode_png(expected), decode_png(actual)
    if a.shape != b.shape:
        return math.inf
    return float(calculate_rms(a.astype(np.int16), b.astype(np.int16)))


def tolerance_of(cell_metadata: Mapping[str, Any]) -> float | None:
    """The RMS tolerance a cell declares, or None for byte-exact comparison."""
    spec = cell_metadata.get(METADATA_KEY)
    if spec is None:
        return None
    rms = spec.get("rms") if isinstance(spec, Mapping) else None
    if not isinstance(rms, int | float) or not 0 < rms < 10 or not spec.get("why"):
        raise ValueError(
            f"cell metadata {METADATA_KEY!r} must be {{'rms': number in (0, 10), 'why': reason}}; "
            f"received {spec!r}"
        )
    return float(rms)


def pngs(outputs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The base64 PNGs among a cell's outputs, in order."""
    return [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]


def compare_figures(
    fresh: Sequence[Mapping[str, Any]], stored: Sequence[Mapping[str, Any]], tolerance: float
) -> list[str]:
    """Problems found comparing a cell's fresh and stored figures (empty when they match)."""
    new, old = pngs(fresh), pngs(stored)
    if len(new) != len(old):
        return [f"the cell made {len(new)} figure(s); {len(old)} stored"]
    problems = []
    for number, (a, b) in enumerate(zip(old, new, strict=True), start=1):
        rms = png_rms(a, b)
        if rms > tolerance:
            problems.append(
                f"figure {number} differs from the stored one: "
                f"RMS {rms:.3g} > tolerance {tolerance}"
            )
    return problems
