"""Shared pytest configuration.

nbval skips ``image/png`` outputs by default. The pinned environment renders
figures byte-for-byte reproducibly, so the stored PNGs are compared too: a
figure that changes is a failing test, not a silent drift.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_collectstart(collector):
    """Make nbval compare stored PNG figures as well as text outputs."""
    skip_compare = getattr(collector, "skip_compare", None)
    if skip_compare is not None and type(collector).__name__ == "IPyNbFile":
        collector.skip_compare = tuple(key for key in skip_compare if key != "image/png")
