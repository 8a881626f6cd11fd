"""Print the pins of a requirements file that apply to one interpreter and platform.

``make lock`` checks with it that re-resolving kept the reference pins (notebook outputs
depend on them): ``python scripts/lock_pins.py requirements.lock 3.11 linux`` before and
after, then diff. Usage: lock_pins.py FILE PYTHON_VERSION [linux|darwin|win32]
"""

from __future__ import annotations

import sys

from packaging.markers import Marker

PLATFORMS = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "darwin": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
    "win32": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
}


def pins(path: str, python: str, platform: str = "linux") -> list[str]:
    environment = {
        "python_version": ".".join(python.split(".")[:2]),
        "python_full_version": python if python.count(".") == 2 else f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_machine": "x86_64",
        **PLATFORMS[platform],
    }
    selected = []
    for raw in open(path, encoding="utf-8"):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement, _, marker = line.partition(";")
        if not marker.strip() or Marker(marker.strip()).evaluate(environment):
            name, _, version = requirement.strip().partition("==")
            selected.append(f"{name.strip().lower().replace('_', '-')}=={version.strip()}")
    return sorted(selected)


if __name__ == "__main__":
    print("\n".join(pins(*sys.argv[1:])))
