"""Print requirements.lock with numpy and scipy replaced by the floors pyproject.toml declares.

The oldest supported configuration (``make floors``): the lowest Python, and exactly the
lowest numpy and scipy the package declares (``numpy>=X`` in the dependencies, ``scipy>=Y``
in the extras), everything else as locked. Usage: python scripts/floor_pins.py > floors.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
FLOORED = ("numpy", "scipy")


def declared_floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    floors: dict[str, str] = {}
    for requirement in requirements:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)\s*", requirement)
        if match and match.group(1).lower() in FLOORED:
            name, version = match.group(1).lower(), match.group(2)
            if floors.setdefault(name, version) != version:
                sys.exit(f"{name} has two floors in pyproject.toml: {floors[name]}, {version}")
    missing = set(FLOORED) - set(floors)
    if missing:
        sys.exit(f"no floor declared for {sorted(missing)} in pyproject.toml")
    return floors


def main() -> None:
    floors = declared_floors()
    print("# requirements.lock with the declared floors of " + ", ".join(sorted(floors)))
    for raw in (ROOT / "requirements.lock").read_text().splitlines():
        name = re.split(r"[=<>!~ ;]", raw.strip(), maxsplit=1)[0].lower()
        if name not in floors:
            print(raw)
    for name, version in sorted(floors.items()):
        # "2.0" means the first release of that series: 2.0.0
        print(f"{name}=={version}.0" if version.count(".") == 1 else f"{name}=={version}")


if __name__ == "__main__":
    main()
