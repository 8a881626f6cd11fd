"""Shared pytest configuration for the package tests, doctests and notebooks.

nbval skips ``image/png`` outputs by default. In the reference environment
(the Python >= 3.11 pins of ``requirements.lock``) figures render
byte-for-byte reproducibly, so the stored PNGs are compared too: a figure that
changes is a failing test, not a silent drift. A figure that plots rounding
errors moves by a pixel from one CPU to another; its cell declares an RMS
tolerance in its metadata and is compared decoded (``tests/figures.py``).
Elsewhere (Python 3.10 gets older matplotlib pins) figures are only checked to
exist, and the run says so.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from hypothesis import HealthCheck, settings

# CI: many examples, derandomized so a run is reproducible and cannot flake.
# dev: fewer, random examples. stress (`pytest --hypothesis-profile=stress`): hunt for bugs.
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "stress", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# routes (`make floors`, `make newest`: the same properties on other interpreters and numpy
# versions, once more in CI): fewer examples, still derandomized.
settings.register_profile(
    "routes",
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The stored outputs of the English lessons and the doctests are English: a contributor whose
# locale is Chinese, Russian or Japanese would otherwise see the checkers answer in that
# language (softmax_course.i18n). A translated lesson chooses its language in its first cell,
# which wins over this; the tests of the language choice set the variables they need.
os.environ["SOFTMAX_COURSE_LANG"] = "en"

LOCK = Path(__file__).with_name("requirements.lock")


def _reference_matplotlib() -> str | None:
    """The matplotlib version the stored figures were rendered with."""
    for raw in LOCK.read_text().splitlines():
        requirement, _, marker = raw.split("#", 1)[0].partition(";")
        name, _, pinned = requirement.strip().partition("==")
        if name == "matplotlib" and "<" not in marker:  # not a pin for older Pythons
            return pinned
    return None


def _figures_reproducible() -> bool:
    try:
        return version("matplotlib") == _reference_matplotlib()
    except PackageNotFoundError:
        return False


COMPARE_PNG = _figures_reproducible()


def pytest_report_header(config):
    if COMPARE_PNG:
        return "notebook figures: compared byte-for-byte with the stored PNGs"
    return "notebook figures: NOT compared (matplotlib differs from the reference pin)"


def pytest_collectstart(collector):
    """Make nbval compare stored PNG figures as well as text outputs."""
    skip_compare = getattr(collector, "skip_compare", None)
    if COMPARE_PNG and skip_compare is not None and type(collector).__name__ == "IPyNbFile":
        collector.skip_compare = tuple(key for key in skip_compare if key != "image/png")


def pytest_configure(config):
    """Run notebook cells with history, as Jupyter does.

    nbval executes cells with ``store_history=False``; IPython then cannot see
    a cell's trailing ``;`` and displays the value it should suppress (for
    example ``[<matplotlib.lines.Line2D at 0x...>]``). Storing history makes the
    test kernel show exactly what a reader's kernel shows.
    """
    try:
        from nbval.kernel import RunningKernel
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to adjust
        return

    def execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(
            cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False
        )

    RunningKernel.execute_cell_input = execute_cell_input

    compare_exactly = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        """Byte-exact, except figures in cells that declare an RMS tolerance."""
        from tests.figures import compare_figures, tolerance_of

        tolerance = tolerance_of(self.cell.metadata)
        if tolerance is None or not COMPARE_PNG:
            return compare_exactly(self, test, ref, skip_compare)
        skip = tuple(skip_compare or self.parent.skip_compare) + ("image/png",)
        if not compare_exactly(self, test, ref, skip):
            return False
        problems = compare_figures(test, ref, tolerance)
        self.comparison_traceback.extend(problems)
        return not problems

    IPyNbCell.compare_outputs = compare_outputs


# The compiled backend's modules import numba; without it (an install without the [fast]
# extra, or the CI stage that blocks it) their doctests are not collected.
try:
    import numba  # noqa: F401
except ImportError:
    collect_ignore = [
        f"softmax_course/{path.name}"
        for path in sorted((Path(__file__).parent / "softmax_course").glob("_numba_*.py"))
    ]
