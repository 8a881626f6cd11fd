"""How long ``import softmax_course`` takes in a fresh interpreter.

Usage: ``python scripts/import_time.py [--rounds N]``. Each round starts a new
Python process and times the import with ``time.perf_counter`` inside it, so
interpreter start-up is excluded; the minimum over the rounds is reported
(the least disturbed by other load on the machine). numpy is part of the
cost: the package cannot work without it. The last line reads:

    import softmax_course: 0.085 s, of which numpy 0.070 s (min of 7 fresh interpreters)

The *guard* is not this number but ``tests/test_import.py``, which checks that
matplotlib, ipywidgets and scipy stay out of ``sys.modules``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

_PROBE = """
import time
t0 = time.perf_counter()
import {module}
print(time.perf_counter() - t0)
"""


def time_import(module: str, rounds: int) -> float:
    """Minimum wall time of ``import module`` over fresh interpreters, in seconds."""
    times = []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE.format(module=module)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        times.append(float(out))
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    package = time_import("softmax_course", args.rounds)
    numpy = time_import("numpy", args.rounds)
    print(
        f"import softmax_course: {package:.3f} s, of which numpy {numpy:.3f} s "
        f"(min of {args.rounds} fresh interpreters)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
