"""The course as learners meet it: JupyterLab in a real browser.

Opt-in (``make e2e``); see ``conftest.py``. The server runs on a temporary copy
of ``notebooks/`` so nothing here can change the stored outputs.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import softmax_course as sc
from softmax_course.widgets import format_vector
from tests.e2e.lab import ARTIFACTS, lessons, open_notebook, run_all_cells, shutdown_kernel

pytestmark = pytest.mark.e2e

LESSONS = [path.name for path in lessons()]
WIDGET_TIMEOUT_MS = 30_000  # a slider move is a round trip through the kernel


def _assert_ran_cleanly(report: dict) -> None:
    assert report["runError"] is None, report["runError"]
    errors = [(c["index"], e) for c in report["cells"] for e in c["errors"]]
    assert not errors, f"cells with errors (index, error): {errors}"
    skipped = [c["index"] for c in report["cells"] if c["count"] is None]
    assert not skipped, f"code cells that did not run: {skipped}"
    # Warnings a learner would see (strict nbval forbids them in the stored outputs too).
    stderr = [(c["index"], text) for c in report["cells"] for text in c["stderr"]]
    assert not stderr, f"cells writing to stderr (index, text): {stderr}"


def _slider(explorer, label: str):
    """The ipywidgets slider in ``explorer`` whose description is exactly ``label``."""
    return explorer.locator(".widget-slider").filter(
        has=explorer.page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(label)}$"))
    )


def _readout(slider) -> float:
    # d3-format writes negative numbers with a real minus sign (U+2212).
    return float(slider.locator(".widget-readout").inner_text().replace("\u2212", "-"))


def test_server_refuses_requests_without_the_token(lab_server):
    for api in ("/api/contents", "/api/kernels", "/api/sessions"):
        assert lab_server.get(api, token=lab_server.token) == 200
        assert lab_server.get(api) == 403
        assert lab_server.get(api, token="not-the-token") == 403
    # The Lab page itself sends an unauthenticated browser to the login form.
    status, headers = lab_server.request("/lab")
    assert status == 302
    assert headers["Location"].startswith("/login")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", LESSONS)
def test_every_cell_of_the_lesson_runs_without_error(page, lab_server, name):
    stem = name.removesuffix(".ipynb")
    open_notebook(page, lab_server, name)
    try:
        report = run_all_cells(page)
        page.screenshot(path=ARTIFACTS / f"{stem}.png")
        # A widget that failed to render shows this text instead of raising.
        broken_widgets = page.get_by_text("Error displaying widget").count()
    finally:
        shutdown_kernel(page)
    (ARTIFACTS / f"{stem}.cells.json").write_text(json.dumps(report, indent=1))
    _assert_ran_cleanly(report)
    assert broken_widgets == 0, f"{broken_widgets} widget(s) failed to render"


@pytest.mark.timeout(600)
def test_the_temperature_slider_of_lesson_01_recomputes_the_probabilities(page, lab_server):
    from playwright.sync_api import expect

    first = [name for name in LESSONS if name.startswith("01_")]
    assert first, "lesson 01 is missing"
    open_notebook(page, lab_server, first[0])
    try:
        _assert_ran_cleanly(run_all_cells(page))
        output = page.locator(".jp-OutputArea-output").filter(
            has=page.locator(".softmax-course-probabilities")
        )
        expect(output.first).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
        explorer = output.first
        probabilities = explorer.locator(".softmax-course-probabilities")
        entropy = explorer.locator(".softmax-course-entropy")
        temperature = _slider(explorer, "T")
        expect(temperature).to_have_count(1)
        logit_sliders = explorer.locator(".widget-slider").filter(
            has=page.locator(".widget-label", has_text=re.compile(r"^z\d+$"))
        )
        assert logit_sliders.count() >= 2
        # The logits as the learner sees them (the lesson's start values have <= 2 decimals).
        z = np.array([_readout(logit_sliders.nth(k)) for k in range(logit_sliders.count())])
        explorer.scroll_into_view_if_needed()
        explorer.screenshot(path=ARTIFACTS / "01_logits_explorer_before.png")

        # Keyboard on the slider handle, as a learner would: one press = one step (0.1).
        handle = temperature.locator(".noUi-handle")
        for key, presses in (("ArrowRight", 15), ("ArrowLeft", 20)):
            start = _readout(temperature)
            for _ in range(presses):
                handle.press(key)
            sign = 1 if key == "ArrowRight" else -1
            T = round(start + sign * 0.1 * presses, 2)
            expect(temperature.locator(".widget-readout")).to_have_text(f"{T:.2f}")
            s = sc.softmax(z, temperature=T)
            entropy_nats = float(-np.sum(s * sc.log_softmax(z, temperature=T)))
            # The kernel's callback must have redrawn the numbers for the new T.
            expect(probabilities).to_have_text(f"s = {format_vector(s)}", timeout=WIDGET_TIMEOUT_MS)
            expect(entropy).to_contain_text(f"H(s) = {entropy_nats:.4f} nats")
            explorer.screenshot(path=ARTIFACTS / f"01_logits_explorer_T{T:.2f}.png")
        # Sanity: the two temperatures really gave different probabilities.
        assert not np.allclose(sc.softmax(z, temperature=2.5), sc.softmax(z, temperature=0.5))
    finally:
        shutdown_kernel(page)
