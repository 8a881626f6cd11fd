"""The cross-entropy options against PyTorch: stored references always, live torch when installed.

``tests/data/torch_cross_entropy.json`` is written by
``scripts/make_torch_references.py`` (PyTorch's values and gradients over a
grid of reduction x weight x ignore_index x label_smoothing x target form x
class-axis layout, for the loss on logits and the loss on probabilities).
The stored test runs in ``make test`` without torch and fails if the file is
missing; the live tests run where torch is importable and check the helpers
on fresh inputs and that the script still reproduces the file.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from softmax_course import (
    cross_entropy,
    cross_entropy_grad,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "torch_cross_entropy.json"
SCRIPT = REPO / "scripts" / "make_torch_references.py"

#: "agree with PyTorch to 1e-12 in float64"; the absolute part covers entries that are 0 in one
#: and a rounding error of a sum of terms of size 1 in the other.
RTOL, ATOL = 1e-12, 1e-14


def _script():
    spec = importlib.util.spec_from_file_location("make_torch_references", SCRIPT)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _stored() -> dict:
    return json.loads(DATA.read_text())  # a missing file fails the test: it is committed


def _ours(case: dict, inputs: dict, layouts: dict):
    """The helpers' value and gradient for one case of the reference file."""
    layout = layouts[case["layout"]]
    name = case["layout"]
    on_logits = case["function"] == "softmax_cross_entropy"
    x = np.array(inputs[f"{name}/{'logits' if on_logits else 'probs'}"], dtype=np.float64)
    targets = np.array(inputs[f"{name}/{case['targets']}"])
    options = {
        "axis": layout["axis"],
        "reduction": case["reduction"],
        "weight": np.array(inputs["weight"]) if case["weight"] else None,
        "ignore_index": case["ignore_index"],
        "label_smoothing": case["label_smoothing"],
    }
    upstream = None if case["grad_output"] is None else np.array(inputs[f"{name}/grad_output"])
    loss, grad = (
        (softmax_cross_entropy, softmax_cross_entropy_grad)
        if on_logits
        else (cross_entropy, cross_entropy_grad)
    )
    return loss(x, targets, **options), grad(x, targets, **options, grad_output=upstream)


def _check_case(case: dict, inputs: dict, layouts: dict) -> None:
    value, grad = _ours(case, inputs, layouts)
    expected = np.array(case["value"], dtype=np.float64)
    if case["targets"] == "all_ignored" and case["reduction"] == "mean":
        # The one designed difference: PyTorch's 0/0 is NaN, the helpers' is 0.
        assert np.isnan(expected), case
        assert value == 0.0, (case, value)
    else:
        assert_allclose(value, expected, rtol=RTOL, atol=ATOL, err_msg=str(case))
    assert np.shape(value) == expected.shape
    assert_allclose(grad, np.array(case["grad"]), rtol=RTOL, atol=ATOL, err_msg=str(case))


def test_the_stored_references_cover_the_whole_grid():
    data = _stored()
    seen = {
        (c["function"], c["layout"], c["targets"] != "distributions", c["reduction"], c["weight"],
         c["ignore_index"], c["label_smoothing"])
        for c in data["cases"] if c["targets"] != "all_ignored"
    }  # fmt: skip
    expected = {
        (f, layout, labels, r, w, i, e)
        for f, layout, labels, r, w, i, e in itertools.product(
            ("softmax_cross_entropy", "cross_entropy"), ("last", "first"), (True, False),
            ("mean", "sum", "none"), (None, "weight"), (None, -100, 1), (0.0, 0.25, 1.0),
        )
        if labels or i is None
    }  # fmt: skip
    assert seen == expected
    assert {c["layout"]: c for c in data["cases"]}.keys() == {"last", "first"}
    assert data["layouts"]["first"]["axis"] == 0 and data["layouts"]["last"]["axis"] == -1
    all_ignored = [c for c in data["cases"] if c["targets"] == "all_ignored"]
    assert len(all_ignored) == 24
    assert data["torch_version"] and data["generated_by"] == "scripts/make_torch_references.py"


def test_the_helpers_agree_with_the_stored_torch_references():
    data = _stored()
    for case in data["cases"]:
        _check_case(case, data["inputs"], data["layouts"])


def test_an_all_ignored_batch_is_nan_in_torch_and_zero_here_with_torch_s_zero_gradient():
    data = _stored()
    means = [c for c in data["cases"] if c["targets"] == "all_ignored" and c["reduction"] == "mean"]
    assert len(means) == 8
    for case in means:
        assert math.isnan(case["value"])
        assert not np.any(np.array(case["grad"]))  # PyTorch's gradient is 0 there as well
        value, grad = _ours(case, data["inputs"], data["layouts"])
        assert value == 0.0 and not np.any(grad)


# --- live PyTorch (skipped where torch is not installed, as in CI) -------------------------


def test_the_helpers_agree_with_torch_on_fresh_inputs():
    pytest.importorskip("torch")
    script = _script()
    inputs = {key: value.tolist() for key, value in script.make_inputs(seed=1).items()}
    layouts = {name: {"axis": v["axis"]} for name, v in script.LAYOUTS.items()}
    for case in script.grid():
        value, grad = script.torch_reference(case, {k: np.array(v) for k, v in inputs.items()})
        _check_case({**case, "value": value, "grad": grad.tolist()}, inputs, layouts)


def test_the_script_reproduces_the_stored_references():
    pytest.importorskip("torch")
    stored = _stored()
    fresh = _script().build(seed=stored["seed"])
    assert fresh["inputs"] == stored["inputs"]  # same generator, same numbers
    assert len(fresh["cases"]) == len(stored["cases"])
    for new, old in zip(fresh["cases"], stored["cases"], strict=True):
        assert {k: new[k] for k in new if k not in ("value", "grad")} == {
            k: old[k] for k in old if k not in ("value", "grad")
        }
        assert_allclose(new["value"], old["value"], rtol=RTOL, atol=ATOL, equal_nan=True)
        assert_allclose(new["grad"], old["grad"], rtol=RTOL, atol=ATOL)
