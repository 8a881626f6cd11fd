"""Benchmarks of the package against scipy.special, naive numpy and a memory-copy floor.

Run ``python -m softmax_course.bench`` (about two minutes) or
``python -m softmax_course.bench --quick`` (under a minute); ``--json PATH``
also writes every measurement to a file. ``make bench BENCH_ARGS=--quick``
does the same from the project root.

How it measures, and why:

* **Interleaved rounds.** Each round calls every implementation of a case
  once, in turn (round robin), and the rounds repeat. A burst of load from
  another process then hits all implementations alike instead of one; the
  minimum over rounds estimates the undisturbed time and the median shows
  the spread.
* **The copy floor.** ``np.copyto(out, x)`` into a preallocated array reads
  and writes every byte once, which is the least any function producing an
  ``(N, K)`` output from an ``(N, K)`` input must do. GB/s counts bytes read
  plus bytes written (input + output) for every implementation alike.
* **Backward cases.** For each K the batch size N is chosen so that the
  batch Jacobian ``(N, K, K)`` takes :data:`JACOBIAN_BYTES`; the VJP and the
  cross-entropy shortcut do the same job in ``O(NK)``.
* **Scratch memory.** ``tracemalloc`` sees numpy's allocations; the peak
  during one call minus the size of a newly returned result is the extra
  memory an implementation needed on top of its output.

scipy, torch and jax are optional: scipy is imported lazily and its columns
are skipped if it is missing; torch and jax are timed when importable.
Nothing here is imported by ``import softmax_course``.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

import softmax_course as sc
from softmax_course import _fast

MiB = 1 << 20

FORWARD_SHAPES = [(65536, 10), (4096, 1000), (256, 100000), (10_000_000,)]
VJP_CLASSES = [10, 100, 1000]
#: The batch Jacobian (N, K, K) of the VJP cases is kept at this many bytes (float64).
JACOBIAN_BYTES = 256 * MiB


# --- measuring ------------------------------------------------------------------------------


def interleaved_times(
    implementations: dict[str, Callable[[], object]], rounds: int
) -> dict[str, list[float]]:
    """Seconds per call of each implementation, round robin over ``rounds`` rounds."""
    for function in implementations.values():  # warm-up: first-touch pages, caches, imports
        function()
    times: dict[str, list[float]] = {name: [] for name in implementations}
    for _ in range(rounds):
        for name, function in implementations.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return times


def scratch_bytes(function: Callable[[], object]) -> int:
    """Peak traced allocation during one call, minus a newly allocated result's size."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if isinstance(result, np.ndarray) and result.base is None and result.flags.owndata:
        peak -= result.nbytes
    return max(peak, 0)


# --- the implementations --------------------------------------------------------------------


def _optional_modules() -> dict[str, object]:
    """scipy.special, torch and jax.nn if they can be imported (none is required)."""
    modules: dict[str, object] = {}
    try:
        import scipy.special

        modules["scipy"] = scipy.special
    except ImportError:
        pass
    try:
        import torch

        modules["torch"] = torch
    except ImportError:
        pass
    try:
        import jax

        modules["jax"] = jax
    except ImportError:
        pass
    return modules


def _naive(name: str, x: np.ndarray) -> Callable[[], np.ndarray]:
    """The reference formulations: one full pass and one temporary per line."""
    if name == "softmax":

        def naive():
            e = np.exp(x - np.max(x, axis=-1, keepdims=True))
            return e / np.sum(e, axis=-1, keepdims=True)

    elif name == "log_softmax":

        def naive():
            shifted = x - np.max(x, axis=-1, keepdims=True)
            return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))

    else:

        def naive():
            m = np.max(x, axis=-1, keepdims=True)
            return (m + np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True)))[..., 0]

    return naive


def forward_implementations(
    name: str, x: np.ndarray, out: np.ndarray, modules: dict[str, object]
) -> tuple[dict[str, Callable[[], object]], set[str]]:
    """The timed callables for one forward case, and the names whose memory is measured."""
    ours = getattr(sc, name)
    impls: dict[str, Callable[[], object]] = {"copy floor": lambda: np.copyto(out, x)}
    impls["softmax_course"] = lambda: ours(x)
    if name != "logsumexp":
        impls["softmax_course out="] = lambda: ours(x, out=out)
    if "scipy" in modules:
        reference = getattr(modules["scipy"], name)
        impls["scipy"] = lambda: reference(x, axis=-1)
    impls["naive numpy"] = _naive(name, x)
    numpy_based = set(impls) - {"copy floor"}
    if "torch" in modules:
        torch = modules["torch"]
        tx = torch.from_numpy(x)
        torch_fn = {
            "softmax": lambda: torch.softmax(tx, dim=-1),
            "log_softmax": lambda: torch.log_softmax(tx, dim=-1),
            "logsumexp": lambda: torch.logsumexp(tx, dim=-1),
        }[name]
        impls["torch"] = torch_fn
    if "jax" in modules:
        jax = modules["jax"]
        jx = jax.device_put(x)
        jax_fn = {
            "softmax": jax.jit(lambda v: jax.nn.softmax(v, axis=-1)),
            "log_softmax": jax.jit(lambda v: jax.nn.log_softmax(v, axis=-1)),
            "logsumexp": jax.jit(lambda v: jax.nn.logsumexp(v, axis=-1)),
        }[name]
        impls["jax"] = lambda: jax_fn(jx).block_until_ready()
    return impls, numpy_based


def _jacobian(s: np.ndarray) -> np.ndarray:
    """The batch Jacobian diag(s) - s s^T, shape (N, K, K), built in full.

    The package's own ``softmax_jacobian`` when it is there (the route the
    lessons teach), otherwise the same two lines inline.
    """
    try:
        from softmax_course.derivatives import softmax_jacobian
    except ImportError:
        jacobian = -s[:, :, None] * s[:, None, :]
        np.einsum("nii->ni", jacobian)[...] += s
        return jacobian
    return softmax_jacobian(s)


def vjp_implementations(s: np.ndarray, g: np.ndarray, out: np.ndarray):
    """The VJP three ways: package function, the blocked kernel, and the Jacobian route."""
    impls: dict[str, Callable[[], object]] = {}
    try:
        from softmax_course.derivatives import softmax_vjp

        impls["softmax_vjp"] = lambda: softmax_vjp(s, g)
    except ImportError:
        pass
    impls["_fast.vjp out="] = lambda: _fast.vjp(s, g, out=out)
    impls["jacobian + einsum"] = lambda: np.einsum("nk,nkj->nj", g, _jacobian(s))
    return impls


def cross_entropy_implementations(z: np.ndarray, y: np.ndarray):
    """The CE gradient from logits: (softmax(z) - y) / N versus the Jacobian route."""
    n = z.shape[0]

    def shortcut():
        grad = sc.softmax(z)  # (softmax(z) - y) / N, in place: one (N, K) array in all
        grad -= y
        grad /= n
        return grad

    def jacobian_route():
        s = sc.softmax(z)
        return np.einsum("nk,nkj->nj", -(y / s) / n, _jacobian(s))

    impls: dict[str, Callable[[], object]] = {"(softmax(z) - y) / N": shortcut}
    try:
        from softmax_course.losses import softmax_cross_entropy_grad

        impls["softmax_cross_entropy_grad"] = lambda: softmax_cross_entropy_grad(z, y)
    except ImportError:
        pass
    impls["jacobian route"] = jacobian_route
    # The same two routes when s is already known (from the forward pass): without the
    # exponentials, which both routes share, the O(K) factor between them shows undiluted.
    s = sc.softmax(z)
    impls["(s - y) / N, s given"] = lambda: (s - y) / n
    impls["jacobian route, s given"] = lambda: np.einsum("nk,nkj->nj", -(y / s) / n, _jacobian(s))
    return impls


# --- running the cases ----------------------------------------------------------------------


def _summary(times: list[float]) -> dict[str, float]:
    return {"min_s": min(times), "median_s": statistics.median(times)}


def run_forward(rounds: int, modules: dict[str, object], shapes) -> list[dict]:
    records = []
    for dtype in (np.float64, np.float32):
        for shape in shapes:
            x = np.random.default_rng(0).normal(scale=4.0, size=shape).astype(dtype)
            out = np.empty_like(x)
            for name in ("softmax", "log_softmax", "logsumexp"):
                impls, numpy_based = forward_implementations(name, x, out, modules)
                times = interleaved_times(impls, rounds)
                out_bytes = x.nbytes if name != "logsumexp" else x.nbytes // x.shape[-1]
                for impl, samples in times.items():
                    bytes_moved = x.nbytes + (x.nbytes if impl == "copy floor" else out_bytes)
                    record = {
                        "section": "forward",
                        "function": name,
                        "dtype": np.dtype(dtype).name,
                        "shape": list(shape),
                        "input_bytes": x.nbytes,
                        "implementation": impl,
                        **_summary(samples),
                        "gb_per_s": bytes_moved / min(samples) / 1e9,
                    }
                    if impl in numpy_based:
                        record["scratch_bytes"] = scratch_bytes(impls[impl])
                    records.append(record)
            del x, out
    return records


def run_backward(rounds: int, classes) -> list[dict]:
    records = []
    for k in classes:
        n = max(1, JACOBIAN_BYTES // (8 * k * k))
        rng = np.random.default_rng(k)
        z = rng.normal(size=(n, k))
        s = sc.softmax(z)
        g = rng.normal(size=(n, k))
        y = np.eye(k)[rng.integers(0, k, size=n)]
        out = np.empty_like(s)
        for section, impls in (
            ("vjp", vjp_implementations(s, g, out)),
            ("cross_entropy_grad", cross_entropy_implementations(z, y)),
        ):
            for impl, samples in interleaved_times(impls, rounds).items():
                records.append(
                    {
                        "section": section,
                        "K": k,
                        "N": n,
                        "implementation": impl,
                        **_summary(samples),
                        "scratch_bytes": scratch_bytes(impls[impl]),
                    }
                )
    return records


# --- verdicts -------------------------------------------------------------------------------


def _lookup(records, **match) -> dict | None:
    for record in records:
        if all(record.get(key) == value for key, value in match.items()):
            return record
    return None


def verdicts(records: list[dict]) -> list[dict]:
    """PASS/MISS for each target, with the worst measured ratio over the cases it covers."""
    results = []

    def add(target, ratios, threshold, note=""):
        if not ratios:
            results.append({"target": target, "verdict": "SKIP", "worst": None, "detail": note})
            return
        worst_case, worst = min(ratios, key=lambda item: item[1])
        results.append(
            {
                "target": target,
                "verdict": "PASS" if worst >= threshold else "MISS",
                "worst": worst,
                "threshold": threshold,
                "detail": f"worst case {worst_case}" + (f"; {note}" if note else ""),
            }
        )

    forward = [r for r in records if r["section"] == "forward"]
    cases = {(r["function"], r["dtype"], tuple(r["shape"])) for r in forward}

    def speedups(function, predicate=lambda dtype, shape: True):
        ratios = []
        for name, dtype, shape in sorted(cases):
            if name != function or not predicate(dtype, shape):
                continue
            ours = _lookup(
                forward,
                function=name,
                dtype=dtype,
                shape=list(shape),
                implementation="softmax_course",
            )
            scipy = _lookup(
                forward, function=name, dtype=dtype, shape=list(shape), implementation="scipy"
            )
            if ours and scipy:
                ratios.append((f"{name} {dtype} {shape}", scipy["min_s"] / ours["min_s"]))
        return ratios

    def small_k(dtype, shape):
        return len(shape) > 1 and shape[-1] <= 16

    def large(dtype, shape):
        return math.prod(shape) * np.dtype(dtype).itemsize >= 64 * MiB

    for function in ("softmax", "log_softmax"):
        add(f"{function} never slower than scipy (every case)", speedups(function), 1.0)
        add(f"{function} >= 2x faster than scipy for K <= 16", speedups(function, small_k), 2.0)
        add(
            f"{function} >= 1.3x faster than scipy for arrays >= 64 MB",
            speedups(function, large),
            1.3,
        )
    add("logsumexp >= 2.5x faster than scipy (every case)", speedups("logsumexp"), 2.5)

    floor_ratios = []
    scratch_ratios = []
    for name, dtype, shape in sorted(cases):
        size = math.prod(shape) * np.dtype(dtype).itemsize
        floor = _lookup(
            forward, function=name, dtype=dtype, shape=list(shape), implementation="copy floor"
        )
        with_out = _lookup(
            forward,
            function=name,
            dtype=dtype,
            shape=list(shape),
            implementation="softmax_course out=",
        )
        if name == "softmax" and size >= 64 * MiB and floor and with_out:
            # Expressed as (4.5 x floor) / time, so that >= 1 passes.
            floor_ratios.append(
                (
                    f"{name} {dtype} {shape} ({with_out['min_s'] / floor['min_s']:.1f}x floor)",
                    4.5 * floor["min_s"] / with_out["min_s"],
                )
            )
        for impl in (
            ("softmax_course out=", "softmax_course")
            if name == "logsumexp"
            else ("softmax_course out=",)
        ):
            record = _lookup(
                forward, function=name, dtype=dtype, shape=list(shape), implementation=impl
            )
            if record and "scratch_bytes" in record:
                allowed = 0.25 * size + 2 * MiB
                scratch_ratios.append(
                    (
                        f"{name} {dtype} {shape} ({record['scratch_bytes'] / MiB:.2f} MiB)",
                        allowed / max(record["scratch_bytes"], 1),
                    )
                )
    add(
        "softmax out= within 4.5x of the copy floor for arrays >= 64 MB",
        floor_ratios,
        1.0,
        "ratio shown is 4.5 x floor / time",
    )
    add(
        "scratch memory <= 0.25 x input + 2 MiB",
        scratch_ratios,
        1.0,
        "ratio shown is allowance / scratch",
    )

    for section, fast_name, factor, label in (
        ("vjp", "softmax_vjp", 0.5, "VJP (sc.softmax_vjp) >= K/2 x faster than the Jacobian"),
        ("vjp", "_fast.vjp out=", 0.5, "VJP (_fast.vjp kernel) >= K/2 x faster than the Jacobian"),
        (
            "cross_entropy_grad",
            "(softmax(z) - y) / N",
            1.0,
            "CE shortcut >= K x faster than the Jacobian route",
        ),
    ):
        ratios = []
        for record in records:
            if record["section"] != section or record["implementation"] != fast_name:
                continue
            slow = _lookup(
                records,
                section=section,
                K=record["K"],
                implementation="jacobian + einsum" if section == "vjp" else "jacobian route",
            )
            needed = factor * record["K"]
            ratios.append(
                (
                    f"{record['implementation']} K={record['K']} "
                    f"({slow['min_s'] / record['min_s']:.0f}x, needs {needed:.0f}x)",
                    slow["min_s"] / record["min_s"] / needed,
                )
            )
        add(label, ratios, 1.0, "ratio shown is speed-up / required speed-up")
    return results


# --- reporting ------------------------------------------------------------------------------


def machine_description() -> dict[str, object]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import os

    info: dict[str, object] = {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "block_bytes": _fast.BLOCK_BYTES,
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }
    try:
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    modules = _optional_modules()
    for name in ("scipy", "torch", "jax"):
        if name in modules:
            root = __import__(name)
            info[name] = root.__version__
    return info


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}" if seconds < 0.01 else f"{seconds * 1e3:.1f}"


def format_forward(records: list[dict]) -> str:
    lines = [
        "| function | dtype | shape | implementation | min ms | median ms | GB/s "
        "| vs scipy | vs floor | scratch MiB |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    forward = [r for r in records if r["section"] == "forward"]
    for r in forward:
        match = {"function": r["function"], "dtype": r["dtype"], "shape": r["shape"]}
        scipy = _lookup(forward, implementation="scipy", **match)
        floor = _lookup(forward, implementation="copy floor", **match)
        vs_scipy = f"{scipy['min_s'] / r['min_s']:.2f}x" if scipy else "-"
        vs_floor = f"{r['min_s'] / floor['min_s']:.1f}" if floor else "-"
        scratch = f"{r['scratch_bytes'] / MiB:.2f}" if "scratch_bytes" in r else "-"
        lines.append(
            f"| {r['function']} | {r['dtype']} | {tuple(r['shape'])} | {r['implementation']} "
            f"| {_ms(r['min_s'])} | {_ms(r['median_s'])} | {r['gb_per_s']:.1f} | {vs_scipy} "
            f"| {vs_floor} | {scratch} |"
        )
    return "\n".join(lines)


def format_backward(records: list[dict]) -> str:
    lines = [
        "| section | K | N | implementation | min ms | median ms | Jacobian route / this "
        "| scratch MiB |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in records:
        if r["section"] not in ("vjp", "cross_entropy_grad"):
            continue
        slow_name = "jacobian + einsum" if r["section"] == "vjp" else "jacobian route"
        if r["implementation"].endswith("s given"):
            slow_name = "jacobian route, s given"
        slow = _lookup(records, section=r["section"], K=r["K"], implementation=slow_name)
        lines.append(
            f"| {r['section']} | {r['K']} | {r['N']} | {r['implementation']} "
            f"| {_ms(r['min_s'])} | {_ms(r['median_s'])} | {slow['min_s'] / r['min_s']:.1f}x "
            f"| {r['scratch_bytes'] / MiB:.2f} |"
        )
    return "\n".join(lines)


def format_verdicts(results: list[dict]) -> str:
    lines = []
    for v in results:
        worst = "" if v["worst"] is None else f" (worst ratio {v['worst']:.2f})"
        lines.append(f"[{v['verdict']}] {v['target']}{worst}: {v['detail']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m softmax_course.bench",
        description="Time softmax_course against scipy.special, naive numpy and a copy floor.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under a minute)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per case (default 7)")
    parser.add_argument("--json", metavar="PATH", help="also write all measurements as JSON")
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 7)
    if rounds < 1:
        parser.error(f"--rounds must be at least 1; received {rounds}")

    modules = _optional_modules()
    machine = machine_description()
    print("# softmax_course benchmark")
    print(", ".join(f"{key}: {value}" for key, value in machine.items()))
    if "scipy" not in modules:
        print("scipy is not importable: its columns and the verdicts against it are skipped")
    print(f"rounds per case: {rounds} (interleaved; min and median reported)\n")

    records = run_forward(rounds, modules, FORWARD_SHAPES)
    print(format_forward(records), end="\n\n", flush=True)
    backward = run_backward(rounds, VJP_CLASSES)
    print(format_backward(backward), end="\n\n")
    records += backward
    results = verdicts(records)
    print(format_verdicts(results))
    report = {"machine": machine, "rounds": rounds, "records": records, "verdicts": results}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1)
        print(f"\nwrote {args.json}")
    return report


if __name__ == "__main__":
    main()
