"""Browser end-to-end tests: opt-in, so the normal ``make test`` stays fast and offline.

They start JupyterLab and drive it with Debian's Chromium through Playwright.
Every test here carries the ``e2e`` marker and is skipped unless selected with
``-m e2e`` (``make e2e`` does that). Screenshots and the server log go to
``artifacts/e2e/``.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.e2e.lab import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LabServer, lesson_dir

SKIP_REASON = "browser end-to-end test: run `make e2e` (pytest tests/e2e -m e2e)"
HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: drives JupyterLab in Chromium; runs only when selected with -m e2e"
    )
    if _selected(config):
        # `timeout` (scripts/e2e.sh) sends SIGTERM: turn it into an interrupt so
        # pytest still runs the fixture teardown that stops the server.
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _selected(config: pytest.Config) -> bool:
    """True when the -m expression asks for e2e (and not for ``not e2e``)."""
    markexpr = config.getoption("markexpr", "") or ""
    return re.search(r"(?<!not )\be2e\b", markexpr) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _selected(config):
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Keep each phase's report on the item so fixtures can react to failures.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def lab_server():
    with LabServer(lesson_dir()) as server:
        yield server


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the session: its sync API allows only one per process."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    # launch() gives every run a fresh temporary profile (user data dir).
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000
    )
    try:
        yield browser
    finally:
        try:
            browser.close()
        except Exception:  # noqa: BLE001 - already gone after an interrupt
            pass


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    console: list[str] = []
    page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
    page.on("console", lambda msg: msg.type == "error" and console.append(f"error: {msg.text}"))
    try:
        yield page
    finally:
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=ARTIFACTS / f"FAILED_{name}.png")
            except Exception:  # noqa: BLE001 - a failed screenshot must not hide the real failure
                pass
        if console:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / f"console_{name}.txt").write_text("\n".join(console) + "\n")
        try:
            context.close()
        except Exception:  # noqa: BLE001 - the browser may already be gone (interrupted run)
            pass
