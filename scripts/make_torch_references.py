"""PyTorch's cross-entropy values and gradients over a grid of options, for tests without torch.

Writes ``tests/data/torch_cross_entropy.json``: the inputs, and for every
combination of function (``softmax_cross_entropy`` on logits,
``cross_entropy`` on probabilities), class-axis layout, target form (integer
labels or distributions), ``reduction``, ``weight``, ``ignore_index`` and
``label_smoothing``, the value and gradient that PyTorch computes, with the
torch version. ``tests/test_losses_torch.py`` checks the helpers against the
file in ``make test`` (CI has no torch) and, where torch is installed, checks
that this script still reproduces the file.

Usage (torch is not a dependency of the course; install it in the venv
first, never into the pins)::

    .venv/bin/pip install torch
    .venv/bin/python scripts/make_torch_references.py

How each reference is computed:

* ``softmax_cross_entropy`` (logits): ``torch.nn.functional.cross_entropy``
  with the same options, its class axis moved to PyTorch's axis 1, and the
  gradient from autograd with the stored upstream gradient.
* ``cross_entropy`` (probabilities ``p``): the value is
  ``torch.nn.functional.cross_entropy(torch.log(p), ...)``. Its autograd
  gradient with respect to ``p`` would include PyTorch's ``log_softmax``
  normalization, which the helper's gradient leaves out (it treats the
  :math:`NK` probabilities as free numbers); so the gradient comes from
  autograd of the same loss written without the normalization:
  ``torch.nn.functional.nll_loss(torch.log(p), ...)`` plus the smoothing
  term as PyTorch's ``aten/src/ATen/native/LossNLL.cpp`` forms it (labels),
  or ``-(log p * target * weight)`` summed as in that file (distributions).
  The script asserts that this form has the value of ``cross_entropy`` to
  1e-13 before it stores the gradient.

A batch whose labels are all ``ignore_index`` is included: PyTorch's mean is
NaN there (stored as ``NaN``), where the helpers return 0 by design.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "torch_cross_entropy.json"

#: The class-axis layouts: the shape of the input and its class axis (K = 4 in both).
LAYOUTS = {"last": {"shape": (3, 2, 4), "axis": -1}, "first": {"shape": (4, 3, 2), "axis": 0}}
FUNCTIONS = ("softmax_cross_entropy", "cross_entropy")
TARGETS = ("labels", "probs")
REDUCTIONS = ("mean", "sum", "none")
WEIGHTS = (None, "weight")
IGNORE_INDICES = (None, -100, 1)  # none; PyTorch's padding label; a class inside [0, K)
SMOOTHINGS = (0.0, 0.25, 1.0)
#: One class weight is 0 on purpose (its labels count nothing, not even in the mean).
WEIGHT = [0.7, 0.0, 1.9, 1.3]


def make_inputs(seed: int) -> dict[str, np.ndarray]:
    """Logits, probabilities (PyTorch's softmax), labels and distributions per layout."""
    import torch

    rng = np.random.default_rng(seed)
    inputs: dict[str, np.ndarray] = {"weight": np.array(WEIGHT)}
    for name, layout in LAYOUTS.items():
        shape, axis = layout["shape"], layout["axis"]
        k = shape[axis]
        label_shape = tuple(np.delete(shape, axis))
        z = 2.0 * rng.normal(size=shape)
        inputs[f"{name}/logits"] = z
        inputs[f"{name}/probs"] = torch.softmax(torch.tensor(z), dim=axis).numpy()
        labels = rng.integers(0, k, size=label_shape)
        labels.flat[:2] = 1  # ignore_index=1 leaves these out
        inputs[f"{name}/labels"] = labels
        padded = labels.copy()
        padded.flat[-2:] = -100  # ignore_index=-100 leaves these out
        inputs[f"{name}/labels_padded"] = padded
        inputs[f"{name}/all_ignored"] = np.full(label_shape, -100)
        y = rng.dirichlet(np.ones(k), size=label_shape)  # class axis last
        inputs[f"{name}/distributions"] = np.moveaxis(y, -1, axis)
        inputs[f"{name}/grad_output"] = rng.normal(size=label_shape)  # for reduction="none"
    return inputs


def grid() -> list[dict]:
    """Every case: the options and which inputs it uses (no values yet)."""
    cases = []
    for function, layout, targets, reduction, weight, ignore_index, smoothing in itertools.product(
        FUNCTIONS, LAYOUTS, TARGETS, REDUCTIONS, WEIGHTS, IGNORE_INDICES, SMOOTHINGS
    ):
        if targets == "probs" and ignore_index is not None:
            continue  # refused by PyTorch and by the helpers
        if targets == "probs":
            target_name = "distributions"
        else:
            target_name = "labels_padded" if ignore_index == -100 else "labels"
        cases.append(
            _case(function, layout, target_name, reduction, weight, ignore_index, smoothing)
        )
    for function, reduction, weight, smoothing in itertools.product(
        FUNCTIONS, REDUCTIONS, WEIGHTS, (0.0, 0.25)
    ):
        cases.append(_case(function, "last", "all_ignored", reduction, weight, -100, smoothing))
    return cases


def _case(function, layout, target_name, reduction, weight, ignore_index, smoothing) -> dict:
    return {
        "function": function,
        "layout": layout,
        "targets": target_name,
        "reduction": reduction,
        "weight": weight,
        "ignore_index": ignore_index,
        "label_smoothing": smoothing,
        "grad_output": "grad_output" if reduction == "none" else None,
    }


def _to_torch_layout(x: np.ndarray, axis: int):
    """The array with its class axis at PyTorch's position 1 (0 for 1-D)."""
    import torch

    return torch.tensor(np.moveaxis(x, axis, 1 if x.ndim > 1 else 0))


def _smoothing_free_loss(log_p, target, weight, reduction, ignore_index, eps):
    """``cross_entropy(log p)`` without ``log_softmax``: nll_loss plus the smoothing term.

    Follows ``cross_entropy_loss_label_smoothing`` and
    ``cross_entropy_loss_prob_target`` of PyTorch's ``LossNLL.cpp``.
    """
    import torch.nn.functional as F

    k = log_p.shape[1]
    w_view = None if weight is None else weight.view([1, k] + [1] * (log_p.dim() - 2))
    if target.dtype.is_floating_point:
        smoothed = target * (1 - eps) + eps / k
        terms = log_p * smoothed * (1 if w_view is None else w_view)
        if reduction == "mean":
            return -terms.sum() / (log_p.numel() / k)
        return -terms.sum() if reduction == "sum" else -terms.sum(1)
    nll = F.nll_loss(log_p, target, weight=weight, reduction=reduction, ignore_index=ignore_index)
    smooth = -(log_p * (1 if w_view is None else w_view)).sum(1)
    ignored = target == ignore_index
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        counted = target[~ignored]
        total = counted.numel() if weight is None else weight.gather(0, counted.flatten()).sum()
        smooth = smooth.sum() / total
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - eps) * nll + smooth * (eps / k)


def torch_reference(case: dict, inputs: dict[str, np.ndarray]) -> tuple[object, np.ndarray]:
    """PyTorch's value (a float, NaN or a list for ``"none"``) and gradient for one case."""
    import torch
    import torch.nn.functional as F

    layout = LAYOUTS[case["layout"]]
    axis = layout["axis"]
    name = case["layout"]
    kind = "logits" if case["function"] == "softmax_cross_entropy" else "probs"
    x = _to_torch_layout(inputs[f"{name}/{kind}"], axis).requires_grad_(True)
    raw_targets = inputs[f"{name}/{case['targets']}"]
    if case["targets"] == "distributions":
        target = _to_torch_layout(raw_targets, axis)
    else:
        target = torch.tensor(raw_targets)
    weight = torch.tensor(inputs["weight"]) if case["weight"] else None
    ignore_index = -100 if case["ignore_index"] is None else case["ignore_index"]
    options = {
        "weight": weight,
        "reduction": case["reduction"],
        "label_smoothing": case["label_smoothing"],
        "ignore_index": ignore_index,
    }
    if case["targets"] == "distributions":
        del options["ignore_index"]  # PyTorch refuses a non-negative one; -100 is its default
    if kind == "logits":
        loss = F.cross_entropy(x, target, **options)
        differentiated = loss
    else:
        log_p = torch.log(x)
        loss = F.cross_entropy(log_p, target, **options)
        differentiated = _smoothing_free_loss(
            log_p, target, weight, case["reduction"], ignore_index, case["label_smoothing"]
        )
        if not torch.allclose(differentiated, loss, rtol=1e-13, atol=0, equal_nan=True):
            raise AssertionError(f"the normalization-free form differs from torch: {case}")
    upstream = torch.ones(())
    if case["grad_output"] is not None:
        upstream = torch.tensor(inputs[f"{name}/{case['grad_output']}"])
    differentiated.backward(upstream.to(differentiated.dtype))
    grad = np.moveaxis(x.grad.numpy(), 1, axis)
    value = loss.detach().numpy()
    return (value.tolist() if value.ndim else float(value)), grad


def build(seed: int = 0) -> dict:
    """The whole reference file as a dict."""
    import torch

    inputs = make_inputs(seed)
    cases = []
    for case in grid():
        value, grad = torch_reference(case, inputs)
        cases.append({**case, "value": value, "grad": grad.tolist()})
    return {
        "generated_by": "scripts/make_torch_references.py",
        "torch_version": torch.__version__,
        "seed": seed,
        "layouts": {
            name: {"shape": list(v["shape"]), "axis": v["axis"]} for name, v in LAYOUTS.items()
        },
        "inputs": {name: array.tolist() for name, array in inputs.items()},
        "cases": cases,
    }


def dumps(data: dict) -> str:
    """JSON with one input array and one case per line; floats written exactly (repr)."""
    lines = [f" {json.dumps(key)}: {json.dumps(value)}," for key, value in data.items()]
    lines = [line for line in lines if not line.startswith(' "inputs"') and '"cases"' not in line]
    inputs = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in data["inputs"].items())
    cases = ",\n".join(f"  {json.dumps(case)}" for case in data["cases"])
    body = "\n".join(lines)
    return f'{{\n{body}\n "inputs": {{\n{inputs}\n }},\n "cases": [\n{cases}\n ]\n}}\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = build(args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(dumps(data))
    nan = sum(
        1
        for case in data["cases"]
        if isinstance(case["value"], float) and math.isnan(case["value"])
    )
    print(f"wrote {len(data['cases'])} cases ({nan} NaN: all-ignored means) to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
