"""Smoke tests of the benchmark script on tiny shapes (nothing here depends on timings)."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

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
    report = bench.main(["--rounds", "1", "--workers", "1,2", "--no-avx2", "--json", str(path)])
    text = capsys.readouterr().out
    assert "| softmax | float64 | (64, 10) | copy floor |" in text
    assert "| softmax | float64 | (64, 10) | softmax_course out=, 2 workers |" in text
    assert "| vjp | 10 |" in text
    assert "| softmax | float64 | (64, 10) | numpy path |" in text
    assert "| function | dtype | shape | ours 1w | ours 2w |" in text  # the threads table
    assert "scaling 1->2" in text
    for target in (
        "softmax never slower than scipy",
        "logsumexp >= 2.5x",
        "VJP (_fast.vjp kernel) >= K/2",
        "2 workers >= 1.7x faster than 1 worker",
        "N workers never slower than 1 worker",
        "faster than torch (same threads) for every case with K <= 100",
        "within 2.5x of torch (same threads) for K >= 1000",
        "within 3.5x of the copy floor",
        "CE shortcut from given s >= K/4",
        "faster than torch (same threads) in every forward case",
        "within 2x of the copy floor for arrays >= 16 MB",
        "softmax_vjp faster than torch's softmax backward",
        "fused cross-entropy loss + gradient faster than torch cross_entropy + backward",
    ):
        assert target in text
    assert "CE shortcut >= K x" not in text  # the retired target
    assert all(v["verdict"] in {"PASS", "MISS", "SKIP"} for v in report["verdicts"])
    saved = json.loads(path.read_text())
    assert saved["rounds"] == 1 and saved["workers"] == [1, 2]
    assert "avx2" not in saved


def test_torch_absent_is_said_and_its_verdicts_skipped(tiny, monkeypatch, capsys):
    modules = {k: v for k, v in bench._optional_modules().items() if k != "torch"}
    monkeypatch.setattr(bench, "_optional_modules", lambda: modules)
    report = bench.main(["--rounds", "1", "--forward-only", "--no-avx2", "--workers", "1"])
    text = capsys.readouterr().out
    assert "torch is not importable" in text
    assert not any(r["implementation"].startswith("torch") for r in report["records"])
    torch_verdicts = [v for v in report["verdicts"] if "torch" in v["target"]]
    assert len(torch_verdicts) == 3  # K <= 100, K >= 1000, every forward case
    assert all(v["verdict"] == "SKIP" for v in torch_verdicts)
    assert not any(v["target"].startswith("VJP") for v in report["verdicts"])  # forward only


def test_torch_is_timed_with_each_thread_count_when_installed(tiny):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(20, 7))
    impls, _, setups = bench.forward_implementations(
        "softmax", x, np.empty_like(x), {"torch": torch}, workers=(1, 2)
    )
    multi_threaded = {
        "torch, 2 threads",
        "softmax_course, 2 workers",
        "softmax_course out=, 2 workers",
    }
    assert set(setups) == {"torch, 1 thread"} | multi_threaded  # one warm-up call each
    # In the round robin, single-threaded runs separate torch's threaded run from ours.
    order = list(impls)
    for i, label in enumerate(order):
        if label.startswith("torch") and label in multi_threaded:
            following = [order[(i + j) % len(order)] for j in (1, 2)]
            assert not any(f in multi_threaded for f in following), order
    saved = torch.get_num_threads()
    try:
        for label, threads in (("torch, 2 threads", 2), ("torch, 1 thread", 1)):
            setups[label]()
            assert torch.get_num_threads() == threads
            np.testing.assert_allclose(
                impls[label]().numpy(), impls["softmax_course"](), rtol=1e-13, atol=1e-15
            )
    finally:
        torch.set_num_threads(saved)


def test_avx2_child_runs_at_the_lower_dispatch_level(capsys):
    if not bench._avx512_features():
        pytest.skip("this CPU has no AVX-512: there is no lower level to imitate")
    child = bench.run_avx2_child(1, (1,), [(8, 5)])
    assert child is not None
    disabled = child["machine"]["NPY_DISABLE_CPU_FEATURES"].split()
    assert set(bench._avx512_features()) <= set(disabled)
    level = child["machine"]["numpy_dispatch"]
    assert "AVX512" not in level and level != "X86_V4", level
    if "X86_V4" in disabled:  # numpy >= 2.3 names its levels: X86_V3 is AVX2
        assert level == "X86_V3"
    else:  # older numpy names features: the highest left is AVX2's group
        assert level in {"AVX2", "FMA3", "F16C"}, level
    assert {r["section"] for r in child["records"]} == {"forward"}


def test_parse_workers_and_shapes():
    cores = bench.parallel.available_cores()
    assert bench.parse_workers("2,-1") == tuple(sorted({1, 2, cores}))
    assert bench.parse_shapes("64x10,300") == [(64, 10), (300,)]
    for bad in ("0", "a", "-99"):
        with pytest.raises(argparse.ArgumentTypeError, match="--workers"):
            bench.parse_workers(bad)
    for bad in ("", "64x0", "4xa"):
        with pytest.raises(argparse.ArgumentTypeError, match="--shapes"):
            bench.parse_shapes(bad)


def test_verdicts_judge_scaling_and_torch_from_the_records():
    def record(impl, seconds, shape=(8192, 1024), name="softmax"):
        return {
            "section": "forward",
            "function": name,
            "dtype": "float64",
            "shape": list(shape),
            "implementation": impl,
            "min_s": seconds,
        }

    records = [
        record("copy floor", 1.0),
        record("softmax_course", 8.0),
        record("softmax_course out=", 7.0),
        record("softmax_course, 2 workers", 4.2),  # 1.90x: passes 1.7x
        record("softmax_course out=, 2 workers", 4.5),  # 1.56x: misses
        record("torch, 1 thread", 4.0),  # ours 2.0x torch: within 2.5x
        record("torch, 2 threads", 1.5),  # ours 2.8x torch: not within 2.5x
    ]
    results = {v["target"]: v for v in bench.verdicts(records, forward_only=True)}
    two = results["2 workers >= 1.7x faster than 1 worker for arrays >= 16 MB"]
    assert two["verdict"] == "MISS" and two["worst"] == pytest.approx(7.0 / 4.5)
    never = results["N workers never slower than 1 worker, any size (5 % timing tolerance)"]
    assert never["verdict"] == "PASS"
    torch_large = results["within 2.5x of torch (same threads) for K >= 1000"]
    assert torch_large["verdict"] == "MISS" and "2 threads" in torch_large["detail"]
    assert torch_large["worst"] == pytest.approx(2.5 * 1.5 / 4.2)
    assert results["faster than torch (same threads) for every case with K <= 100"]["verdict"] == (
        "SKIP"
    )


def test_every_implementation_computes_the_same_thing(tiny):
    x = np.random.default_rng(0).normal(size=(20, 7))
    out = np.empty_like(x)
    modules = bench._optional_modules()
    for name in ("softmax", "log_softmax", "logsumexp"):
        impls, _, _ = bench.forward_implementations(name, x, out, modules, workers=(1, 2))
        expected = impls["naive numpy"]()
        assert "softmax_course, 2 workers" in impls
        for label, function in impls.items():
            if label == "copy floor" or label.startswith(("torch", "jax")):
                continue
            np.testing.assert_allclose(function(), expected, rtol=1e-13, atol=1e-15, err_msg=label)


def test_backward_routes_agree():
    rng = np.random.default_rng(1)
    z, g = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    s = bench.sc.softmax(z)
    y = np.eye(5)[rng.integers(0, 5, size=6)]
    vjps = [f() for f in bench.vjp_implementations(s, g, np.empty_like(s), (1, 2)).values()]
    grads = [f() for f in bench.cross_entropy_implementations(z, y, (1, 2)).values()]
    assert len(vjps) == 6 and len(grads) == 6
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
    with pytest.raises(SystemExit):
        bench.main(["--workers", "0"])


# --- scripts/perf_report.py: the docs rewritten from one run ---------------------------------


def _perf_report():
    """``scripts/perf_report.py`` as a module (scripts/ is not a package)."""
    script = Path(__file__).resolve().parent.parent / "scripts" / "perf_report.py"
    spec = importlib.util.spec_from_file_location("perf_report", script)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _fake_report() -> dict:
    def record(impl, seconds, name="softmax"):
        return {
            "section": "forward",
            "function": name,
            "dtype": "float64",
            "shape": [4096, 1000],
            "implementation": impl,
            "min_s": seconds,
            "median_s": seconds,
            "gb_per_s": 1.0,
        }

    records = [
        record("copy floor", 0.002),
        record("softmax_course", 0.006),  # 3.0x the floor
        record("softmax_course out=", 0.005),  # 2.5x: misses "within 2x"
        record("softmax_course, 2 workers", 0.0035),  # 1.75x
        record("softmax_course out=, 2 workers", 0.003),
        record("numpy path", 0.02),
        record("scipy", 0.024),  # 12.0x
        record("torch, 1 thread", 0.007),
        record("torch, 2 threads", 0.004),
    ]
    machine = {
        "cpu": "Test CPU",
        "available_cores": 2,
        "numpy_dispatch": "X86_V3",
        "NPY_DISABLE_CPU_FEATURES": "",
        "python": "3.11.7",
        "numpy": "2.4.6",
        "date_utc": "2026-12-02 12:00",
        "load_average": [0.5, 0.4, 0.3],
    }
    return {
        "machine": machine,
        "rounds": 7,
        "workers": [1, 2],
        "records": records,
        "verdicts": bench.verdicts(records, forward_only=True),
    }


def test_perf_report_rewrites_only_between_the_markers(tmp_path):
    perf_report = _perf_report()
    report = _fake_report()
    json_path = tmp_path / "run.json"
    json_path.write_text(json.dumps(report))
    docs, readme = tmp_path / "performance.md", tmp_path / "README.md"
    docs.write_text(
        "# Performance\nprose before\n<!-- perf-report:docs:start -->\nold table 9.9x\n"
        "<!-- perf-report:docs:end -->\nprose after\n"
    )
    readme.write_text(
        "intro\n<!-- perf-report:readme:start -->\n<!-- perf-report:readme:end -->\nrest\n"
    )
    argv = [str(json_path), "--docs", str(docs), "--readme", str(readme)]
    assert perf_report.main([*argv, "--check"]) == 1  # would change, nothing written yet
    assert "old table 9.9x" in docs.read_text()
    assert perf_report.main(argv) == 0
    text = docs.read_text()
    assert text.startswith("# Performance\nprose before\n<!-- perf-report:docs:start -->\n")
    assert text.endswith("<!-- perf-report:docs:end -->\nprose after\n")
    assert "old table 9.9x" not in text
    # the numbers are those of the run: 6 ms / 2 ms = 3.0x, scipy 24 / 2 = 12.0x, floor 2.000 ms
    assert (
        "| float64 | (4096, 1000) | 2.000 | 3.0x | 1.8x | 2.5x | 10.0x | 12.0x | 3.5x | 2.0x |"
        in (text)
    )
    assert "Measured 2026-12-02 12:00 UTC on Test CPU" in text and "7 interleaved rounds" in text
    spread = bench.timing_spread(report["records"])  # the run's own, as the header says
    assert f"typically {100 * spread['typical']:.0f} %" in text
    # the verdicts, with the reason under a MISS
    assert (  # 2 x 2 ms / 5 ms = 0.80 < 1
        "| softmax out= (1 worker) within 2x of the copy floor for arrays >= 16 MB | MISS | 0.80 |"
        in text
    )
    miss = next(v for v in report["verdicts"] if v["verdict"] == "MISS")
    assert f"| {miss['target']} | MISS |" in text
    assert "Why:" in text.split(miss["target"], 1)[1].split("\n", 1)[0]
    assert readme.read_text().startswith("intro\n<!-- perf-report:readme:start -->\nMeasured")
    assert readme.read_text().endswith("<!-- perf-report:readme:end -->\nrest\n")
    assert perf_report.main([*argv, "--check"]) == 0  # idempotent: nothing left to change


def test_perf_report_names_missing_markers_and_wrong_files(tmp_path):
    perf_report = _perf_report()
    page = tmp_path / "page.md"
    page.write_text("no markers here\n")
    with pytest.raises(ValueError, match=r"page.md must hold the markers <!-- perf-report:docs"):
        perf_report.replace_between(page.read_text(), "docs", "x\n", str(page))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"machine": {}}))
    with pytest.raises(ValueError, match="missing rounds, workers, records, verdicts"):
        perf_report.load_report(bad)


def test_every_target_of_the_benchmark_has_a_reason_for_a_miss():
    perf_report = _perf_report()
    records = _fake_report()["records"]
    for verdict in bench.verdicts(records):
        assert perf_report._why(verdict["target"]), verdict["target"]


def test_perf_report_shows_the_avx2_level_when_the_run_has_it():
    perf_report = _perf_report()
    report = _fake_report()
    report["machine"]["numpy_dispatch"] = "AVX512_SPR"
    avx2 = _fake_report()
    avx2["machine"]["NPY_DISABLE_CPU_FEATURES"] = "X86_V4 AVX512_ICL AVX512_SPR"
    avx2["records"][1]["min_s"] = 0.010  # 5.0x the floor at that level
    avx2["verdicts"] = bench.verdicts(avx2["records"], forward_only=True)
    report["avx2"] = avx2
    docs = perf_report.docs_section(report)
    assert "### softmax at numpy dispatch AVX512_SPR" in docs
    assert "### softmax at numpy's AVX2 level (NPY_DISABLE_CPU_FEATURES='X86_V4" in docs
    native, lower = docs.split("### softmax at numpy's AVX2 level", 1)
    assert "| float64 | (4096, 1000) | 2.000 | 3.0x |" in native.split("### Every", 1)[0]
    assert "| float64 | (4096, 1000) | 2.000 | 5.0x |" in lower.split("### Every", 1)[0]
    assert docs.count("### Targets at") == 2
    assert "Targets at numpy's AVX2 level" in perf_report.readme_section(report)


def test_pass_floor_script_times_the_passes_against_the_copy_and_the_softmax(capsys):
    """``scripts/pass_floor.py`` (quoted in docs/performance.md): its loops do what they say."""
    pytest.importorskip("numba")
    script = Path(__file__).resolve().parent.parent / "scripts" / "pass_floor.py"
    spec = importlib.util.spec_from_file_location("pass_floor", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = np.random.default_rng(1).normal(size=(5, 40))
    out = np.empty_like(x)
    module.two_passes(x, out)
    np.testing.assert_array_equal(out, x - x.max(axis=1, keepdims=True))
    module.three_passes(x, out)
    shifted = x - x.max(axis=1, keepdims=True)
    np.testing.assert_allclose(out, shifted / shifted.sum(axis=1, keepdims=True), rtol=1e-12)
    assert module.main(["8x64", "--rounds", "1"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("float64 (8, 64): copy floor 1.00x, two passes, no exp ")
    assert "three passes, no exp" in line and line.endswith("x")


def test_timing_spread_is_the_median_and_90th_percentile_of_median_over_min():
    records = [{"min_s": 1.0, "median_s": 1.0 + k / 100} for k in range(11)]  # 0 % to 10 %
    records.append({"implementation": "no timing"})  # skipped
    spread = bench.timing_spread(records)
    assert spread["typical"] == pytest.approx(0.05) and spread["worst_tenth"] == pytest.approx(0.09)
    line = bench.format_spread(spread)
    assert "typical 5 %" in line and "worst tenth 9 %" in line
    assert np.isnan(bench.timing_spread([])["typical"])
