"""Merge two ``pip freeze`` outputs into one lock file with environment markers.

The reference environment is Python 3.11+ (numpy 2.4 and scipy 1.17 need it);
Python 3.10 gets the last releases that support it. Packages pinned identically
in both get an unmarked line. Usage::

    python scripts/merge_lock.py FREEZE_PY311 FREEZE_PY310 > requirements.lock
"""

from __future__ import annotations

import sys
from pathlib import Path

HEADER = """\
# Exact pins for .venv (make test / make lab), resolved by `make lock`.
# Reference environment: Python >= 3.11. Python 3.10 gets the last releases that support it
# (stored notebook figures are compared byte-for-byte only in the reference environment).
# Keep environment.yml in step (tests/test_project.py checks it).
"""


def read_freeze(path: str) -> dict[str, str]:
    pins = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-e")) or "==" not in line:
            continue
        name, version = line.split("==", 1)
        if name.lower().replace("_", "-") in {"softmax-course", "pip"}:
            continue
        pins[name] = version
    return pins


def main(reference: str, legacy: str) -> None:
    new, old = read_freeze(reference), read_freeze(legacy)
    lines = [HEADER.rstrip("\n")]
    for name in sorted(set(new) | set(old), key=str.lower):
        if new.get(name) == old.get(name):
            lines.append(f"{name}=={new[name]}")
            continue
        if name in new:
            lines.append(f'{name}=={new[name]} ; python_version >= "3.11"')
        if name in old:
            lines.append(f'{name}=={old[name]} ; python_version < "3.11"')
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:3])
