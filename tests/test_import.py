"""``import softmax_course`` stays light: heavy libraries load only when used.

Checked in a fresh interpreter (this one has them imported already). Not a
timing test, which would be flaky; ``scripts/import_time.py`` measures time.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ["matplotlib", "ipywidgets", "scipy", "IPython", "pandas", "numba", "llvmlite"]
# the array libraries of softmax_course._arrayapi: imported when their arrays arrive
HEAVY += ["array_api_compat", "array_api_strict", "ml_dtypes", "dask", "torch", "jax"]


def _modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(out))


@pytest.fixture(scope="module")
def loaded() -> set[str]:
    return _modules_after("import softmax_course")


@pytest.mark.parametrize("heavy", HEAVY)
def test_importing_the_package_does_not_import(loaded, heavy):
    assert heavy not in loaded, f"`import softmax_course` imported {heavy} (import it lazily)"


def test_the_probe_sees_what_a_module_imports():
    # The check above must be able to fail: a module that does import numpy shows it.
    assert "numpy" in _modules_after("import softmax_course")
    assert "fractions" in _modules_after("import fractions")
    assert "fractions" not in _modules_after("pass")
