"""Smoke tests of the benchmark script on tiny shapes (nothing here depends on timings)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from softmax_course import bench


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(bench, "FORWARD_SHAPES", [(64, 10), (300,)])
    monkeypatch.setattr(bench, "VJP_CLASSES", [3, 10])
    monkeypatch.setattr(bench, "JACOBIAN_BYTES", 1 << 14)


def test_main_prints_tables_and_verdicts_and_writes_json(tiny, tmp_path, capsys):
    path = tmp_path / "bench.json"
    report = bench.main(["--rounds", "1", "--json", str(path)])
    text = capsys.readouterr().out
    assert "| softmax | float64 | (64, 10) | copy floor |" in text
    assert "| vjp | 10 |" in text
    for target in (
        "softmax never slower than scipy",
        "logsumexp >= 2.5x",
        "VJP (_fast.vjp kernel) >= K/2",
    ):
        assert target in text
    assert all(v["verdict"] in {"PASS", "MISS", "SKIP"} for v in report["verdicts"])
    assert json.loads(path.read_text())["rounds"] == 1


def test_every_implementation_computes_the_same_thing(tiny):
    x = np.random.default_rng(0).normal(size=(20, 7))
    out = np.empty_like(x)
    modules = bench._optional_modules()
    for name in ("softmax", "log_softmax", "logsumexp"):
        impls, _ = bench.forward_implementations(name, x, out, modules)
        expected = impls["naive numpy"]()
        for label, function in impls.items():
            if label in {"copy floor", "torch", "jax"}:
                continue
            np.testing.assert_allclose(function(), expected, rtol=1e-13, atol=1e-15, err_msg=label)


def test_backward_routes_agree():
    rng = np.random.default_rng(1)
    z, g = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    s = bench.sc.softmax(z)
    y = np.eye(5)[rng.integers(0, 5, size=6)]
    vjps = [f() for f in bench.vjp_implementations(s, g, np.empty_like(s)).values()]
    grads = [f() for f in bench.cross_entropy_implementations(z, y).values()]
    for result in vjps[1:]:
        np.testing.assert_allclose(result, vjps[0], rtol=1e-12, atol=1e-15)
    for result in grads[1:]:
        np.testing.assert_allclose(result, grads[0], rtol=1e-12, atol=1e-15)


def test_scratch_bytes_excludes_the_returned_result():
    x = np.zeros(100_000)
    assert bench.scratch_bytes(lambda: x.copy()) < 1000
    assert bench.scratch_bytes(lambda: (x + 1)[:10]) >= x.nbytes  # a view keeps its base alive


def test_bad_rounds(tiny):
    with pytest.raises(SystemExit):
        bench.main(["--rounds", "0"])
