"""A pytest plugin that runs scipy's own tests of the three forward functions against ours.

scipy installs its test module for ``softmax``, ``log_softmax`` and
``logsumexp`` (:data:`SCIPY_TEST_MODULE`). Loaded with ``-p``, this plugin
substitutes :mod:`softmax_course`'s functions for scipy's in that module
before every test, deselects the tests of features this package does not
have (each one listed by name in :data:`OUT_OF_SCOPE`, with the reason), and
checks that every remaining test really called one of ours::

    python -m pytest -p tests.scipy_suite_plugin --pyargs scipy.special.tests.test_logsumexp

``tests/test_scipy_conformance.py`` runs that in a subprocess (a fresh
interpreter with scipy's own ``conftest.py`` and fixtures, and an empty ini
file, so that this project's ``addopts`` and ``filterwarnings = error`` do
not apply to scipy's test code; RuntimeWarnings stay errors) and reads the
JSON report written with ``--scipy-suite-report=PATH``.

scipy's functions reduce over *every* axis by default (``axis=None``); ours
use the last axis. The substitutes below pass scipy's default explicitly, so
the tests exercise the same reductions they were written for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from softmax_course import _general, core

__all__ = ["OUT_OF_SCOPE", "SCIPY_TEST_MODULE", "Deselection"]

#: The module scipy installs with its tests of the three functions.
SCIPY_TEST_MODULE = "scipy.special.tests.test_logsumexp"


@dataclass(frozen=True)
class Deselection:
    """scipy tests left out: ``Class::test`` by name, optionally only some parameters."""

    name: str
    reason: str
    when: Callable[[dict[str, Any]], bool] | None = None  # on the test's parameters

    def matches(self, item: pytest.Item) -> bool:
        cls = getattr(item, "cls", None)
        name = getattr(item, "originalname", item.name)
        qualified = f"{cls.__name__}::{name}" if cls is not None else name
        if qualified != self.name:
            return False
        callspec = getattr(item, "callspec", None)
        return self.when is None or self.when(callspec.params if callspec else {})


#: Every scipy test that does not run against this package, and why. A rule that
#: matches no test is an error with the reference scipy or a newer one (an upgrade renamed
#: something: look again); with an older scipy (the floor) it names a test added later.
#: Since issue 26 (b=, return_sign=, complex input) none: every test of the module can be
#: expressed with numpy arrays and runs (the array-API backends are not requested, so
#: scipy's ``xp`` fixture is numpy alone). A future rule needs a reason naming what numpy
#: cannot express.
OUT_OF_SCOPE: tuple[Deselection, ...] = ()


# --- the substitutes: scipy's signatures, our functions -----------------------------------

_calls = 0  # how many times the current test called one of ours


def softmax(x, axis=None):
    """``softmax_course.softmax`` with scipy's default ``axis=None``."""
    global _calls
    _calls += 1
    return core.softmax(x, axis=axis)


def log_softmax(x, axis=None):
    """``softmax_course.log_softmax`` with scipy's default ``axis=None``."""
    global _calls
    _calls += 1
    return core.log_softmax(x, axis=axis)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``softmax_course.logsumexp`` with scipy's signature and default ``axis=None``."""
    global _calls
    _calls += 1
    return core.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def _wrap_radians(x, xp=None):
    """``softmax_course._general._wrap_radians``, the phase wrapping of complex results.

    scipy's ``test_wrap_radians`` tests scipy's private helper of that name;
    logsumexp's complex results here go through a helper of their own, which
    this substitute hands to that test (``xp`` is positional in scipy 1.15).
    """
    global _calls
    _calls += 1
    return (np if xp is None else xp).asarray(_general._wrap_radians(np.asarray(x)))


SUBSTITUTES = {
    "softmax": softmax,
    "log_softmax": log_softmax,
    "logsumexp": logsumexp,
    "_wrap_radians": _wrap_radians,
}


# --- pytest hooks --------------------------------------------------------------------------


def pytest_addoption(parser):
    parser.addoption(
        "--scipy-suite-report",
        metavar="PATH",
        help="write a JSON summary (passed, failed, deselected with reasons) to PATH",
    )
    parser.addoption(
        "--scipy-suite-older",
        action="store_true",
        help="the installed scipy is older than the reference pin: a rule that matches no "
        "test (one that scipy added later) is reported as 'absent', not an error",
    )


def pytest_configure(config):
    config._scipy_suite_results = {}  # nodeid -> "passed" | "failed" | "skipped"
    config._scipy_suite_deselected = {}  # reason -> nodeids
    config._scipy_suite_absent = []  # rules matching no test of an older scipy


def pytest_collection_modifyitems(config, items):
    config._scipy_suite_collected = [item.nodeid for item in items]
    kept, dropped = [], []
    used = set()
    for item in items:
        rule = next((rule for rule in OUT_OF_SCOPE if rule.matches(item)), None)
        if rule is None:
            kept.append(item)
        else:
            used.add(rule)
            dropped.append(item)
            config._scipy_suite_deselected.setdefault(rule.reason, []).append(item.nodeid)
    stale = [rule.name for rule in OUT_OF_SCOPE if rule not in used]
    if stale and config.getoption("--scipy-suite-older"):
        config._scipy_suite_absent = stale  # tests this older scipy does not have yet
    elif stale:
        raise pytest.UsageError(
            f"OUT_OF_SCOPE names tests that scipy no longer has: {stale}; update the list"
        )
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


@pytest.fixture(autouse=True)
def _softmax_course_functions(request, monkeypatch):
    """Replace scipy's three functions in the test's module by ours, for this test."""
    global _calls
    module = request.module
    if module.__name__ != SCIPY_TEST_MODULE:
        yield
        return
    for name, function in SUBSTITUTES.items():
        if hasattr(module, name):  # scipy < 1.16 tests log_softmax in another module
            monkeypatch.setattr(module, name, function)
    _calls = 0
    yield
    assert _calls > 0, f"{request.node.nodeid} did not call softmax_course"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Record each test's outcome: failed in any phase, skipped, or passed (its call)."""
    outcome = yield
    report = outcome.get_result()
    results = item.config._scipy_suite_results
    if report.failed:
        results[report.nodeid] = "failed"
    elif report.skipped:
        results[report.nodeid] = "skipped"
    elif report.when == "call":
        results.setdefault(report.nodeid, "passed")


def pytest_terminal_summary(terminalreporter, config):
    results = config._scipy_suite_results
    state = {
        outcome: sorted(nodeid for nodeid, seen in results.items() if seen == outcome)
        for outcome in ("passed", "failed", "skipped")
    }
    state["deselected"] = config._scipy_suite_deselected
    state["absent"] = config._scipy_suite_absent
    state["collected"] = getattr(config, "_scipy_suite_collected", [])
    n_deselected = sum(len(ids) for ids in state["deselected"].values())
    terminalreporter.write_line(
        f"{SCIPY_TEST_MODULE}: {len(state['passed'])} of scipy's tests passed against "
        f"softmax_course, {len(state['failed'])} failed, {len(state['skipped'])} skipped, "
        f"{n_deselected} deselected as out of scope"
    )
    path = config.getoption("--scipy-suite-report")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=1)
