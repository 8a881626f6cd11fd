"""Grade a generated class of lesson-03 submissions and check every score (issue 27's test).

    python scripts/grade_class.py [--size 120] [--jobs 2] [--keep DIR]

The class (``tests/grading_class.py``): worked solutions, stubs, every known
mistake, endless loops, a loop that swallows the stop signal, ``os._exit``, a
function that kills the grader's process, tampered checkers, a hard-coded
answer, a broken notebook. Prints the wall time, the CPU time of the grading
processes, the load average before and after, and each score that is not the
expected one; exits 1 if any.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from softmax_course.grading.batch import run  # noqa: E402
from tests.grading_class import make_class, mismatches  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=120)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="write the class and the grades here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = args.keep or Path(work)
        expected = make_class(root / "class", args.size)
        load_before = os.getloadavg()
        start = time.perf_counter()
        csv_path = run(root / "class", root / "grades", seed=args.seed, jobs=args.jobs)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrong = mismatches(csv_path, expected)
        print(
            f"{args.size} submissions, {args.jobs} at a time: {wall:.0f} s wall, "
            f"{usage.ru_utime + usage.ru_stime:.0f} s CPU in the grading processes; "
            f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after "
            f"({os.cpu_count()} CPUs)"
        )
        kinds = sorted({e["kind"] for e in expected.values()})
        print(f"{len(kinds)} kinds of submission: {', '.join(kinds)}")
        print("\n".join(wrong) if wrong else "every score as expected")
        return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
