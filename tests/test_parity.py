"""docs/parity.md: every "yes" of the helpers names a test that exists, and its numbers hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
import scipy
import scipy.special

import softmax_course as sc

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "parity.md"
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _rows() -> list[list[str]]:
    """The cells of the table's body rows (header and rule excluded)."""
    lines = [line for line in PAGE.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    assert lines[0].startswith("| Feature |") and set(lines[1]) <= set("|-: ")
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_table_has_a_row_per_feature_and_six_columns():
    rows = _rows()
    assert len(rows) >= 15
    assert all(len(row) == 6 for row in rows), [row[0] for row in rows if len(row) != 6]


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row[0][:40])
def test_every_feature_the_helpers_have_names_a_test_that_exists(row):
    ours, proof = row[4], row[5]
    assert ours not in ("no", "-", ""), f"the page lists a feature the helpers lack: {row[0]}"
    references = TEST_REF.findall(proof)
    assert references, f"no test named for {row[0]!r}"
    for file, name in references:
        path = ROOT / file
        assert path.is_file(), f"{file} does not exist"
        assert name in _test_functions(path), f"{file} has no test {name}"


def test_the_page_is_in_the_site_and_english_only():
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    toctree = index[index.index(":caption: Reference") :]
    assert "\nparity\n" in toctree
    i18n = (ROOT / "docs" / "_ext" / "course_i18n.py").read_text(encoding="utf-8")
    english_only = ast.literal_eval(re.search(r"^ENGLISH_ONLY = (.*)$", i18n, re.M).group(1))
    assert "parity" in english_only  # the page is not translated: the switcher goes home


def test_the_far_apart_weights_example():
    z, b = np.array([0.0, 800.0]), np.array([1e300, 1e-300])
    assert "$\\log 10^{300} = 690.8$" in PAGE.read_text(encoding="utf-8")
    assert f"{sc.logsumexp(z, b=b):.1f}" == "690.8" == f"{300 * np.log(10):.1f}"


@pytest.mark.skipif(scipy.__version__ != "1.17.1", reason="the page quotes scipy 1.17.1")
def test_the_far_apart_weights_example_in_scipy():
    z, b = np.array([0.0, 800.0]), np.array([1e300, 1e-300])
    assert f"{scipy.special.logsumexp(z, b=b):.1f}" == "109.2"
    assert "| 109.2 |" in PAGE.read_text(encoding="utf-8")


def test_the_choices_the_page_states():
    value, sign = sc.logsumexp(np.array([]), return_sign=True)
    assert value == -np.inf and sign == 0
    assert sc.logsumexp(np.array([0.0, -40.0])) > 0  # log(1 + e^-40), not 0
