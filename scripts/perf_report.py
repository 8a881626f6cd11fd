"""Rewrite the measured parts of docs/performance.md and the README from one benchmark run.

Usage::

    python -m softmax_course.bench --json results.json   # the run (several minutes)
    python scripts/perf_report.py results.json           # the docs, from that run only

Every number of the two pages' measurements comes from the JSON file, so that the
pages cannot mix runs: the text between ``<!-- perf-report:NAME:start -->`` and
``<!-- perf-report:NAME:end -->`` is replaced (``docs`` in ``docs/performance.md``,
``readme`` in ``README.md``); everything outside the markers is left as it is and
holds no measured number. The generated text has the machine line, softmax's times as
multiples of the copy floor, every forward case, the backward pass against torch, and
the PASS/MISS list at each dispatch level measured, with the reason for each MISS
(:data:`WHY`). ``--check`` exits with 1 if a page would change (nothing is written).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from softmax_course import bench

ROOT = Path(__file__).resolve().parent.parent

#: Why a target misses, by the start of its name: printed under a MISS only. Written for
#: the compiled backend on a 2-core x86-64 machine; no numbers (they come from the run).
WHY = {
    "softmax never slower than scipy": (
        "a case below the compiled path's size threshold, or numpy's own exp vectorized "
        "where ours is not faster, within timing noise"
    ),
    "log_softmax never slower than scipy": "as for softmax",
    "softmax >= 1.3x faster than scipy for arrays >= 64 MB": (
        "at 64 MB both are bound by memory traffic; exp's cost decides the rest"
    ),
    "log_softmax >= 1.3x faster than scipy for arrays >= 64 MB": "as for softmax",
    "logsumexp >= 2.5x faster than scipy": (
        "logsumexp writes one number per row: the exps are the whole cost, and where numpy's "
        "exp is vectorized scipy's is as fast as ours"
    ),
    "VJP (_fast.vjp kernel) >= K/2": (
        "the kernel's own time; a miss means the run's timings of a tens-of-microseconds "
        "call were disturbed"
    ),
    "CE shortcut from given s >= K/4": "as for the VJP kernel",
    "softmax >= 2x faster than scipy for K <= 16": (
        "at K = 10 a row is 80 bytes: per-row work (the maximum, the normalizer) is a "
        "large share, and scipy's numpy calls are not slowed by it in the same proportion"
    ),
    "log_softmax >= 2x faster than scipy for K <= 16": (
        "as for softmax; the tile kernels vectorize across rows, but the transposes in and "
        "out of a tile cost about as much as the exps"
    ),
    "2 workers >= 1.7x faster than 1 worker": (
        "two threads share one memory bus: a case that one core already runs near the "
        "memory bandwidth cannot run twice as fast (nor can a copy of it). A new result "
        "of more than 32 MB comes from the operating system as fresh pages, which it zeroes "
        "on first touch: a fixed cost that one worker and two pay alike, and a larger "
        "share of the call the faster the kernels are"
    ),
    "N workers never slower than 1 worker": (
        "a second thread starts from 1 MiB of input (compiled path); just above that the "
        "hand-off to the pool costs about what the second core saves, within timing noise"
    ),
    "faster than torch (same threads)": (
        "torch ships fused, vectorized softmax kernels, with its own exp. Where it keeps up "
        "(K = 10 to 100) the cases are close: exp (a degree-11 polynomial per float64 "
        "element, degree 6 per float32 element, each within 2 ulp) is most of the time, "
        "and at K = 10 the tiles' transposes in and out; two threads scale both alike"
    ),
    "within 2.5x of torch": "see the previous target: the same kernels, at large K",
    "softmax out= (2 workers) within 3.5x": (
        "float64 exp costs about as much as a copy of the element, so two workers need "
        "memory and compute headroom both"
    ),
    "softmax out= (1 worker) within 2x of the copy floor": (
        "a row's maximum and sum are known only at its end, so the kernels pass over each "
        "row three times (the maximum, the stored exps and their sum, the scaling), and a "
        "row larger than the core's L2 cache comes back from L3 for the second and third; "
        "a float64 exp costs about as much as copying its element. At the worst case's rows "
        "the passes alone, with no exp, measured above the target (docs/performance.md, "
        "'Why the remaining misses miss')"
    ),
    "scratch memory": "the compiled kernels allocate one tile or one chunk per worker",
    "VJP (sc.softmax_vjp) >= K/2": (
        "at K = 1000 the 33-row call is tens of microseconds, and it follows the Jacobian "
        "route in each round, which evicts the caches: fresh memory for the result and "
        "cache misses on s and g"
    ),
    "softmax_vjp faster than torch": (
        "at K = 1000 the 33-row call lasts about 20 microseconds: its fixed costs (checks, "
        "numba's dispatch, a new result) are a quarter of it, as torch's dispatch is of "
        "its call, so the two are close; the kernel alone is faster than torch's"
    ),
    "fused cross-entropy loss + gradient faster than torch": (
        "the package computes the loss and the gradient in two calls (two passes of exp); "
        "torch's autograd reuses the forward's softmax in the backward"
    ),
}

START = "<!-- perf-report:{name}:start -->"
END = "<!-- perf-report:{name}:end -->"


def _why(target: str) -> str | None:
    for prefix, reason in WHY.items():
        if target.startswith(prefix):
            return reason
    return None


def machine_line(report: dict) -> str:
    """One sentence: the machine, the versions, the date and load, the rounds and workers."""
    m = report["machine"]
    versions = ", ".join(
        f"{name} {m[name]}" for name in ("python", "numpy", "scipy", "torch") if name in m
    )
    load = m.get("load_average")
    load_text = f", load average {load[0]} at the start" if load else ""
    spread = report.get("spread") or bench.timing_spread(report["records"])
    return (
        f"Measured {m['date_utc']} UTC on {m['cpu']} ({m['available_cores']} cores available, "
        f"numpy dispatch {m['numpy_dispatch']}{load_text}); {versions}; "
        f"{report['rounds']} interleaved rounds per case, workers "
        f"{', '.join(map(str, report['workers']))}; timing spread (median / min - 1 of a case's "
        f"rounds) typically {100 * spread['typical']:.0f} %, {100 * spread['worst_tenth']:.0f} % "
        "or more for the worst tenth of the cases."
    )


def softmax_table(records: list[dict]) -> str:
    """Softmax per case: the copy floor in ms, everything else as a multiple of it."""
    forward = [r for r in records if r["section"] == "forward" and r["function"] == "softmax"]
    workers = bench._workers_of(forward)
    has_torch = any(r["implementation"].startswith("torch") for r in forward)
    head = ["dtype", "shape", "copy floor ms"]
    head += [f"ours, {w} worker{'s' if w > 1 else ''}" for w in workers]
    head += ["out=, 1 worker", "numpy path", "scipy"]
    head += [bench.torch_label(w) for w in workers] if has_torch else []
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    seen: list[tuple] = []
    for r in forward:
        key = (r["dtype"], tuple(r["shape"]))
        if key in seen:
            continue
        seen.append(key)
        match = {"function": "softmax", "dtype": key[0], "shape": list(key[1])}
        floor = bench._lookup(forward, implementation="copy floor", **match)
        if floor is None:
            continue

        def rel(impl: str, match: dict = match, floor: dict = floor) -> str:
            record = bench._lookup(forward, implementation=impl, **match)
            return "-" if record is None else f"{record['min_s'] / floor['min_s']:.1f}x"

        cells = [key[0], str(key[1]), bench._ms(floor["min_s"])]
        cells += [rel(bench.ours_label(w)) for w in workers]
        cells += [rel(bench.ours_label(1, out=True)), rel(bench.NUMPY_PATH), rel("scipy")]
        cells += [rel(bench.torch_label(w)) for w in workers] if has_torch else []
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict_table(verdicts: list[dict]) -> str:
    """The targets as a table: verdict, worst ratio (>= threshold passes), worst case, why."""
    lines = ["| target | verdict | worst ratio | worst case |", "|---|---|---:|---|"]
    for v in verdicts:
        worst = "-" if v["worst"] is None else f"{v['worst']:.2f}"
        detail = v["detail"]
        if v["verdict"] == "MISS" and _why(v["target"]):
            detail += f". Why: {_why(v['target'])}"
        lines.append(f"| {v['target']} | {v['verdict']} | {worst} | {detail} |")
    return "\n".join(lines)


def _counts(verdicts: list[dict]) -> str:
    n = {kind: sum(v["verdict"] == kind for v in verdicts) for kind in ("PASS", "MISS", "SKIP")}
    return f"{n['PASS']} PASS, {n['MISS']} MISS, {n['SKIP']} SKIP"


def _levels(report: dict) -> list[tuple[str, dict]]:
    """(title, report) per dispatch level measured: the native one, then AVX2 if it ran."""
    levels = [(f"numpy dispatch {report['machine']['numpy_dispatch']}", report)]
    if "avx2" in report:
        avx2 = report["avx2"]
        levels.append(
            (
                f"numpy's AVX2 level (NPY_DISABLE_CPU_FEATURES="
                f"{avx2['machine']['NPY_DISABLE_CPU_FEATURES']!r}), forward cases",
                avx2,
            )
        )
    return levels


def docs_section(report: dict) -> str:
    """The generated part of docs/performance.md."""
    parts = [machine_line(report), ""]
    for title, level in _levels(report):
        records = level["records"]
        parts += [f"### softmax at {title}", "", softmax_table(records), ""]
        parts += [f"### Every forward case at {title}", "", bench.format_threads(records), ""]
    backward = bench.format_torch_backward(report["records"])
    if backward:
        parts += ["### Backward against torch's autograd, one thread", "", backward, ""]
    if any(r["section"] in ("vjp", "cross_entropy_grad") for r in report["records"]):
        parts += ["### Backward against the Jacobian route", ""]
        parts += [bench.format_backward(report["records"]), ""]
    for title, level in _levels(report):
        parts += [f"### Targets at {title}: {_counts(level['verdicts'])}", ""]
        parts += [verdict_table(level["verdicts"]), ""]
    return "\n".join(parts).rstrip() + "\n"


def readme_section(report: dict) -> str:
    """The generated part of the README: the machine, softmax, and the verdicts in short."""
    parts = [machine_line(report), ""]
    parts += ["Softmax, time as a multiple of a same-size `np.copyto` (lower is better):", ""]
    parts += [softmax_table(report["records"]), ""]
    for title, level in _levels(report):
        parts += [f"Targets at {title} ({_counts(level['verdicts'])}):", ""]
        lines = ["| target | verdict | worst case |", "|---|---|---|"]
        for v in level["verdicts"]:
            worst = "" if v["worst"] is None else f" (ratio {v['worst']:.2f})"
            lines.append(f"| {v['target']} | {v['verdict']}{worst} | {v['detail']} |")
        parts += lines + [""]
    return "\n".join(parts).rstrip() + "\n"


def replace_between(text: str, name: str, body: str, where: str) -> str:
    """``text`` with the lines between the ``name`` markers replaced by ``body``.

    Raises
    ------
    ValueError
        If the markers are missing, repeated or out of order (naming ``where``).
    """
    start, end = START.format(name=name), END.format(name=name)
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(
            f"{where} must hold the markers {start} and {end} once each, in this order"
        )
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    return pattern.sub(lambda _: f"{start}\n{body}{end}", text)


def load_report(path: Path) -> dict:
    """The JSON written by ``python -m softmax_course.bench --json``, checked for its keys."""
    report = json.loads(path.read_text(encoding="utf-8"))
    missing = [
        key for key in ("machine", "rounds", "workers", "records", "verdicts") if key not in report
    ]
    if missing:
        raise ValueError(
            f"{path} is not a benchmark report: missing {', '.join(missing)}; expected the "
            "file written by python -m softmax_course.bench --json PATH"
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("report", type=Path, help="the JSON of one benchmark run")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true", help="only say whether a page changes")
    args = parser.parse_args(argv)
    report = load_report(args.report)
    changed = []
    for path, name, body in (
        (args.docs, "docs", docs_section(report)),
        (args.readme, "readme", readme_section(report)),
    ):
        old = path.read_text(encoding="utf-8")
        new = replace_between(old, name, body, str(path))
        if new != old:
            changed.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in changed:
        print(f"{'would rewrite' if args.check else 'rewrote'} {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
