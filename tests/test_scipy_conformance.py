"""scipy's own installed tests of softmax, log_softmax and logsumexp, run against ours.

scipy ships ``scipy/special/tests/test_logsumexp.py``. This test runs that
module, as installed, in a fresh pytest process with
``tests/scipy_suite_plugin.py``, which substitutes :mod:`softmax_course`'s
three functions (and the phase-wrapping helper of complex logsumexp) for
scipy's, with scipy's default ``axis=None`` passed explicitly. Since issue 26
(``b=``, ``return_sign=``, complex input) every test of the module runs:
the out-of-scope list is empty, and a future entry must name what numpy
arrays cannot express. Nothing of scipy's is copied into this repository: a
newer scipy brings its newer tests, and a deselection that no longer matches
a test is an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import scipy

from tests.scipy_suite_plugin import OUT_OF_SCOPE, SCIPY_TEST_MODULE

ROOT = Path(__file__).resolve().parents[1]


def _reference_scipy() -> str:
    """The scipy pinned for the reference interpreter in requirements.lock."""
    for raw in (ROOT / "requirements.lock").read_text().splitlines():
        requirement, _, marker = raw.split("#", 1)[0].partition(";")
        name, _, pinned = requirement.strip().partition("==")
        if name == "scipy" and "<" not in marker:
            return pinned
    raise AssertionError("requirements.lock pins no scipy for the reference interpreter")


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


#: Older than the reference pin (the floor, or Python 3.10's pin): scipy's module has fewer
#: tests, so OUT_OF_SCOPE rules for tests added later match nothing, and that is expected.
OLDER_SCIPY = _release(scipy.__version__) < _release(_reference_scipy())

#: How many of scipy 1.15.0's tests (the floor, ``make floors``) run against ours (62 with 1.15.3,
#: the pin for Python 3.10).
FLOOR_RUN = 61

#: Never fewer than this many of scipy's tests may run against ours (all 407 of scipy 1.17.1;
#: FLOOR_RUN with 1.15.0, the declared floor, whose module has fewer): a guard against a
#: substitution or a deselection rule that silently empties the run.
MIN_TESTS_RUN = 400 if not OLDER_SCIPY else FLOOR_RUN


@pytest.fixture(scope="module")
def scipy_suite(tmp_path_factory) -> dict:
    """Run scipy's test module against softmax_course once; return the plugin's JSON report."""
    tmp = tmp_path_factory.mktemp("scipy_suite")
    (tmp / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # not our pyproject's addopts
    report = tmp / "report.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only scipy's conftest and our plugin
    env.pop("SCIPY_ARRAY_API", None)  # numpy arrays only: torch, JAX... are out of scope
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        str(tmp / "pytest.ini"),
        "--rootdir",
        str(tmp),
        "-p",
        "no:cacheprovider",
        "-p",
        "tests.scipy_suite_plugin",
        # A RuntimeWarning from our functions is a failure (scipy's tests silence the
        # ones scipy itself emits with their own filterwarnings marks).
        "-W",
        "error::RuntimeWarning",
        # scipy registers its markers in its conftest, after they are first used.
        "-W",
        "ignore::pytest.PytestUnknownMarkWarning",
        "--pyargs",
        SCIPY_TEST_MODULE,
        "-q",
        "--scipy-suite-report",
        str(report),
    ] + (["--scipy-suite-older"] if OLDER_SCIPY else [])
    run = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert report.exists(), f"scipy's suite did not run:\n{run.stdout[-4000:]}\n{run.stderr}"
    result = json.loads(report.read_text(encoding="utf-8"))
    result["returncode"] = run.returncode
    result["output"] = run.stdout[-6000:]
    return result


def test_scipy_suite_passes_against_softmax_course(scipy_suite, capsys):
    failed, skipped, passed = scipy_suite["failed"], scipy_suite["skipped"], scipy_suite["passed"]
    assert not failed, f"scipy's tests failed against ours: {failed}\n{scipy_suite['output']}"
    assert not skipped, f"scipy's tests skipped (not accepted silently): {skipped}"
    assert scipy_suite["returncode"] == 0, scipy_suite["output"]
    assert len(passed) >= MIN_TESTS_RUN, f"only {len(passed)} of scipy's tests ran: {passed}"
    n_deselected = sum(len(ids) for ids in scipy_suite["deselected"].values())
    with capsys.disabled():
        print(
            f"\n[scipy {scipy.__version__} {SCIPY_TEST_MODULE}] {len(passed)} tests ran and "
            f"passed against softmax_course; {n_deselected} deselected as out of scope "
            f"({len(OUT_OF_SCOPE)} rules in tests/scipy_suite_plugin.py"
            + (
                f"; {len(scipy_suite['absent'])} name tests this scipy lacks)"
                if OLDER_SCIPY
                else ")"
            )
        )


def test_every_function_is_exercised(scipy_suite):
    """Each of the three functions has scipy tests of its own that ran against ours."""
    for cls in ("TestSoftmax", "TestLogSoftmax", "TestLogSumExp"):
        if OLDER_SCIPY and not any(f"::{cls}::" in n for n in scipy_suite["collected"]):
            continue  # scipy 1.15 has no TestLogSoftmax in this module
        assert any(f"::{cls}::" in nodeid for nodeid in scipy_suite["passed"]), cls


def test_the_issue_15_cases_ran(scipy_suite):
    """The tests that failed before issue 15 (0-d input, numpy scalars, log1p) now run."""
    passed = " ".join(scipy_suite["passed"])
    collected = " ".join(scipy_suite["collected"])
    for name in ("test_gh18295", "test_xp_invalid_input", "test_array_like", "test_logsumexp["):
        if OLDER_SCIPY and f"TestLogSumExp::{name}" not in collected:
            continue  # this older scipy does not have that test yet
        assert f"TestLogSumExp::{name}" in passed, name


def test_only_out_of_scope_features_are_deselected(scipy_suite):
    """Every deselection gives one of the documented reasons, each naming what numpy lacks."""
    reasons = set(scipy_suite["deselected"])
    present = {rule.reason for rule in OUT_OF_SCOPE if rule.name not in scipy_suite["absent"]}
    assert reasons == present
    assert OLDER_SCIPY or not scipy_suite["absent"]
    for reason in reasons:
        assert "numpy" in reason, reason


def test_every_collected_test_ran(scipy_suite):
    """Issue 26: the tests of b=, return_sign= and complex input run too; nothing is left out."""
    deselected = {nodeid for ids in scipy_suite["deselected"].values() for nodeid in ids}
    assert set(scipy_suite["passed"]) == set(scipy_suite["collected"]) - deselected
    for name in ("test_logsumexp_b", "test_logsumexp_sign", "test_gh22903", "test_dtypes_ab"):
        if OLDER_SCIPY and f"TestLogSumExp::{name}" not in " ".join(scipy_suite["collected"]):
            continue
        assert f"TestLogSumExp::{name}" in " ".join(scipy_suite["passed"]), name
