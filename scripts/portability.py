"""Re-run every lesson under strict nbval as machines with other CPUs would compute it.

A stored notebook output must not depend on the CPU that recorded it. This script
proves that on one machine: it runs the lessons once per *numeric configuration*,
each a different numpy SIMD dispatch level (``NPY_DISABLE_CPU_FEATURES``), OpenBLAS
kernel (``OPENBLAS_CORETYPE``) and BLAS thread count (``OPENBLAS_NUM_THREADS``), and
prints what each run really used (``numpy`` and ``threadpoolctl`` report it from
inside a fresh interpreter with the same environment as the notebook kernels).

The configurations are derived from this CPU, so the script runs anywhere:

* numpy: its dispatch forced down one level (the highest group this CPU supports
  turned off) and down to the build's baseline (every dispatched group off);
* OpenBLAS: three kernels this CPU can execute (``Haswell``, ``Sandybridge`` and
  ``Nehalem`` on x86-64 with AVX2), with 1 and 2 threads.

``make test`` already covers the native configuration. Usage::

    python scripts/portability.py                 # every lesson, every configuration
    python scripts/portability.py --list          # show the configurations only
    python scripts/portability.py --jobs 1        # one lesson at a time (default: one per core)
    python scripts/portability.py notebooks/03_numerical_stability.ipynb
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Variables that decide how numpy and OpenBLAS compute; each configuration sets its own.
NUMERIC_VARIABLES = (
    "NPY_DISABLE_CPU_FEATURES",
    "NPY_ENABLE_CPU_FEATURES",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
)

PROBE = """
import json, numpy, threadpoolctl
from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
blas = [
    {"api": i.get("internal_api"), "kernel": i.get("architecture"), "threads": i.get("num_threads")}
    for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"
]
print(json.dumps({
    "baseline": list(__cpu_baseline__),
    "dispatch": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)],
    "blas": blas,
}))
"""


@dataclass
class Configuration:
    name: str
    env: dict[str, str] = field(default_factory=dict)


def probe(env: dict[str, str]) -> dict:
    """What numpy and OpenBLAS use in a fresh interpreter with this environment."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def clean_environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in NUMERIC_VARIABLES:
        env.pop(name, None)
    return env


def configurations() -> list[Configuration]:
    """The configurations this CPU can run, each a different way to round."""
    native = probe(clean_environment())
    dispatched = native["dispatch"]  # the dispatch groups this CPU supports, lowest first
    x86 = platform.machine().lower() in {"x86_64", "amd64"}
    configs = []

    def kernel(name: str) -> dict[str, str]:
        return {"OPENBLAS_CORETYPE": name} if x86 else {}

    if dispatched:
        # One level down: turn off the highest group and everything that needs it.
        # On x86 the AVX-512 groups (X86_V4, AVX512_*) all sit above X86_V3 (AVX2).
        top = [f for f in dispatched if f != "X86_V3"] if "X86_V3" in dispatched else []
        top = top or dispatched[-1:]
        configs.append(
            Configuration(
                "numpy one SIMD level down, BLAS Haswell kernel, 1 thread",
                {
                    "NPY_DISABLE_CPU_FEATURES": " ".join(top),
                    "OPENBLAS_NUM_THREADS": "1",
                    **kernel("Haswell"),
                },
            )
        )
        configs.append(
            Configuration(
                "numpy baseline SIMD, BLAS Nehalem kernel, 2 threads",
                {
                    "NPY_DISABLE_CPU_FEATURES": " ".join(dispatched),
                    "OPENBLAS_NUM_THREADS": "2",
                    **kernel("Nehalem"),
                },
            )
        )
    configs.append(
        Configuration(
            "numpy native SIMD, BLAS Sandybridge kernel, 1 thread",
            {"OPENBLAS_NUM_THREADS": "1", **kernel("Sandybridge")},
        )
    )
    if not x86:
        configs.append(
            Configuration("numpy native SIMD, 2 BLAS threads", {"OPENBLAS_NUM_THREADS": "2"})
        )
    return configs


def describe(info: dict) -> str:
    simd = "+".join(info["baseline"] + info["dispatch"]) or "none"
    blas = ", ".join(f"{b['api']} {b['kernel']} x{b['threads']}" for b in info["blas"]) or "none"
    return f"numpy SIMD {simd} | BLAS {blas}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="lessons to run (default: all)")
    parser.add_argument("--list", action="store_true", help="print the configurations and exit")
    parser.add_argument(
        "--jobs",
        default="auto",
        help="pytest-xdist workers per configuration (default: auto, one per core); each "
        "lesson runs whole in one worker's kernel",
    )
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
    )

    print(f"native: {describe(probe(clean_environment()))}")
    results = []
    for number, config in enumerate(configurations(), start=1):
        env = clean_environment() | config.env
        settings = " ".join(f"{k}={v!r}" for k, v in config.env.items())
        print(f"\n[{number}] {config.name}\n    {settings}\n    {describe(probe(env))}", flush=True)
        if args.list:
            continue
        start = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", args.jobs]
            + ["--dist", "loadfile", *notebooks],
            cwd=ROOT,
            env=env,
        )
        results.append((config.name, run.returncode, time.perf_counter() - start))

    if args.list:
        return 0
    print("\nportability summary")
    for name, code, seconds in results:
        print(f"  {'PASS' if code == 0 else 'FAIL'}  {name}  ({seconds:.0f} s)")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
