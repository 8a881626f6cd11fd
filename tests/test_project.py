"""Checks of the project itself: pins agree everywhere, notebooks come from one fresh run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


#: Where the reference pins apply: CI's interpreter on Linux (notebook outputs are stored there).
REFERENCE_ENVIRONMENT = {
    "python_version": "3.11",
    "python_full_version": "3.11.7",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_machine": "x86_64",
}


def lock_lines() -> list[str]:
    """The requirement lines of requirements.lock (uv's ``# via`` annotations dropped)."""
    lines = []
    for raw in (ROOT / "requirements.lock").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def reference_lock() -> dict[str, str]:
    """The pins that apply to the reference interpreter (Python 3.11 on Linux)."""
    pins = {}
    for line in lock_lines():
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(REFERENCE_ENVIRONMENT):
            continue
        name, version = requirement.strip().split("==")
        pins[canonical(name)] = version
    return pins


#: conda-forge names of the declared dependencies where they differ from PyPI's (None: not
#: taken from conda-forge, installed by the ``pip:`` list of environment.yml instead).
CONDA_FORGE_NAMES: dict[str, str | None] = {
    "matplotlib": "matplotlib-base",  # conda-forge's "matplotlib" also pulls a Qt backend
    "nbconvert": "nbconvert-core",  # conda-forge's "nbconvert" also pulls pandoc
    "build": "python-build",
    "playwright": None,  # conda-forge ships the driver under another name: pip's is used
}
PYPI_NAMES = {conda: pypi for pypi, conda in CONDA_FORGE_NAMES.items() if conda}


def conda_spec() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def conda_entries() -> tuple[list[str], list[str]]:
    """The conda dependency strings and the ``pip:`` list of environment.yml."""
    conda, pip = [], []
    for dependency in conda_spec()["dependencies"]:
        if isinstance(dependency, str):
            conda.append(dependency)
        else:
            pip += dependency["pip"]
    return conda, pip


def conda_pins() -> dict[str, str]:
    """PyPI name -> version for everything environment.yml installs (conda and pip)."""
    conda, pip = conda_entries()
    pins = {}
    for dependency in conda:
        name, _, version = dependency.partition("=")
        name = canonical(name)
        pins[PYPI_NAMES.get(name, name)] = version.lstrip("=")
    for requirement in pip:
        if "==" in requirement:
            name, version = requirement.split("==")
            pins[canonical(name)] = version
    return pins


def pyproject_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += [r for r in extra if not r.startswith("softmax-course")]
    return [canonical(re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0]) for r in requirements]


def test_conda_pins_equal_the_lock():
    lock, conda = reference_lock(), conda_pins()
    mismatched = {
        name: (version, lock.get(name))
        for name, version in conda.items()
        if name not in {"python", "pip"} and lock.get(name) != version
    }
    assert not mismatched, f"environment.yml vs requirements.lock (conda, lock): {mismatched}"


def test_every_declared_dependency_is_pinned_in_both():
    lock, conda = reference_lock(), conda_pins()
    declared = pyproject_requirements()
    assert not [name for name in declared if name not in lock], "missing from requirements.lock"
    assert not [name for name in declared if name not in conda], "missing from environment.yml"


def test_conda_python_is_the_reference_interpreter():
    assert tuple(int(p) for p in conda_pins()["python"].split(".")) >= (3, 11)


def test_conda_file_is_one_conda_can_use():
    """conda-forge names, exact ``==`` pins, and a ``pip:`` list pip accepts as a file.

    conda reads ``name=1.2`` as 1.2.*, so exact pins need ``==``; it writes the ``pip:``
    list to a requirements file, where an option such as ``--no-deps`` is an error.
    """
    spec = conda_spec()
    assert spec["channels"] == ["conda-forge"]
    conda, pip = conda_entries()
    for dependency in conda:
        name = re.split(r"[=<>! ]", dependency, maxsplit=1)[0]
        if name in {"python", "pip"}:
            continue
        assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*==[0-9][^=*,<> ]*", dependency), dependency
        assert name not in CONDA_FORGE_NAMES, (
            f"{name!r} is PyPI's name; conda-forge's is {CONDA_FORGE_NAMES[name]!r}"
            if CONDA_FORGE_NAMES[name]
            else f"{name!r} is not taken from conda-forge: list it under pip:"
        )
    for requirement in pip:
        assert requirement == "-e ." or not requirement.startswith("-"), (
            f"pip option {requirement!r} in environment.yml's pip: list (a requirements file)"
        )
        if requirement != "-e .":
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^ ;]*", requirement), requirement
            assert canonical(requirement.split("==")[0]) in CONDA_FORGE_NAMES, (
                f"{requirement}: conda-forge has it, take it from there"
            )
    assert "-e ." in pip, "the package itself is installed (editable) by the pip: list"


def test_lock_pins_are_exact():
    for line in lock_lines():
        requirement, _, marker = line.partition(";")
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[^ ;*]+", requirement.strip()), line
        if marker.strip():
            Marker(marker.strip())  # a valid PEP 508 marker


def test_lock_covers_every_platform_the_readme_promises():
    """Linux, macOS and Windows each resolve to a full set of pins, on every Python."""
    for platform, system, os_name in (
        ("linux", "Linux", "posix"),
        ("darwin", "Darwin", "posix"),
        ("win32", "Windows", "nt"),
    ):
        for python in ("3.10.13", "3.11.7", "3.13.0"):
            environment = dict(
                REFERENCE_ENVIRONMENT,
                sys_platform=platform,
                platform_system=system,
                os_name=os_name,
                python_full_version=python,
                python_version=python.rsplit(".", 1)[0],
            )
            names = [
                canonical(line.split("==")[0])
                for line in lock_lines()
                if ";" not in line or Marker(line.split(";", 1)[1].strip()).evaluate(environment)
            ]
            assert len(names) == len(set(names)), f"two pins of one package: {platform} {python}"
            assert {"numpy", "jupyterlab", "pytest"} <= set(names), (platform, python)
            if platform == "win32":
                assert "pywinpty" in names, "the Windows-only dependencies are pinned"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_was_saved_from_one_fresh_run(path):
    notebook = json.loads(path.read_text())
    counts = [c.get("execution_count") for c in notebook["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..n; run `make execute NB={path}`"
    )
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_objectives_and_ends_with_exercises(path):
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"])
    assert first.startswith("# "), "the first cell is the lesson's title"
    assert "objectives" in first.lower() and "prerequisites" in first.lower()
    sources = "\n".join("".join(c["source"]) for c in cells)
    assert "## Exercises" in sources, "each lesson ends with exercises"
    assert "softmax_course" in sources
    errors = [
        o
        for c in cells
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if o["output_type"] == "error" and "NotImplementedError" not in o.get("ename", "")
    ]
    assert not errors, f"{path.name} stores error outputs: {[e['ename'] for e in errors]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_carries_no_execution_timestamps(path):
    cells = json.loads(path.read_text())["cells"]
    stamped = [i for i, c in enumerate(cells) if "execution" in c.get("metadata", {})]
    assert not stamped, f"{path.name}: cells {stamped} carry timestamps; run `make execute`"


def test_make_lab_listens_on_loopback_and_keeps_token_auth():
    result = subprocess.run(
        ["make", "--dry-run", "--assume-old=.venv/.installed", "lab"],  # print, never run
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    command = result.stdout
    assert "jupyter lab" in command and "--ServerApp.ip=127.0.0.1" in command
    for disabled in ("token=''", 'token=""', "--IdentityProvider.token= ", "disable_check_xsrf"):
        assert disabled not in command


# Printed digits that are a rounding error, not a property of the course: they change with
# the CPU's SIMD level, BLAS kernel or thread count (README, "Portable outputs").
#  - a float printed in full (13+ decimals): 0.9999999999999999, 10.475217368561138;
#  - a tiny number with a significant mantissa: 2.4e-10, -2.22044605e-16 (print "below 1e-9").
ROUNDING_DIGITS = re.compile(
    r"\d\.\d{13,}"
    r"|(?<![\d.])-?[1-9]\.\d*[1-9]\d*e-(?:1\d|[2-9]\d|\d{3})"
)
# A cell whose printed digits are exact on every machine says why in its metadata.
EXACT_OUTPUT_KEY = "exact_output"


def stored_text(cell: dict) -> str:
    texts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            texts.append("".join(output["text"]))
        for mime in ("text/plain", "text/markdown"):
            texts.append("".join(output.get("data", {}).get(mime, "")))
    return "\n".join(texts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_print_no_rounding_digits(path):
    cells = json.loads(path.read_text())["cells"]
    offenders = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        reason = cell.get("metadata", {}).get(EXACT_OUTPUT_KEY)
        found = ROUNDING_DIGITS.findall(stored_text(cell))
        if found and not reason:
            offenders.append((index, cell.get("id"), found[:3]))
        assert reason is None or (isinstance(reason, str) and len(reason) > 20), (
            f"{path.name} cell {index}: {EXACT_OUTPUT_KEY!r} must explain why the digits are exact"
        )
    assert not offenders, (
        f"{path.name}: outputs print rounding-level digits (cell index, id, matches): {offenders}. "
        "Print a verdict against an asserted bound ('below 1e-9') or fewer digits; if the "
        f"digits are exact on every IEEE-754 machine, say why in the cell's metadata "
        f"{EXACT_OUTPUT_KEY!r}."
    )


@pytest.mark.parametrize(
    "text, flagged",
    [
        ("total 0.9999999999999999", True),
        ("W = 10.475217368561138", True),
        ("relative error 2.4e-10", True),
        ("[-2.22044605e-16  0.0]", True),
        ("relative error below 1e-10", False),
        ("W = 10.475217", False),
        ("eps 2.2e-16 | tiny 2.23e-308", True),
        ("spacing 1e-300", False),
        ("probabilities [1.000e+00 6.14e-06]", False),
    ],
)
def test_the_rounding_digits_pattern(text, flagged):
    assert bool(ROUNDING_DIGITS.search(text)) is flagged


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_marked_exactly_and_say_why(path):
    """nbval only honours a marker alone on its line; each ignored cell explains itself."""
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        lines = "".join(cell["source"]).splitlines()
        markers = [line for line in lines if "NBVAL_" in line and line.lstrip().startswith("#")]
        assert all(line.strip() in {"# NBVAL_IGNORE_OUTPUT"} for line in markers), (
            f"{path.name} cell {index}: {markers} is not a marker nbval recognizes; "
            "put '# NBVAL_IGNORE_OUTPUT' alone on the first line and the reason below it"
        )
        if markers:
            assert lines[1].startswith("# why:"), f"{path.name} cell {index}: say why on line 2"
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
            assert "widget" in "".join(cell["source"]), (
                f"{path.name} cell {index}: the ignore tag is kept for widget cells only"
            )


def test_core_path_of_the_course_reads_in_about_three_hours():
    # Every title cell states its core path's reading time; together about three hours.
    minutes = {}
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        title = "".join(cells[0]["source"])
        match = re.search(r"\*\*Core path: about (\d+) minutes\*\*", title)
        assert match, f"{path.name}: the title cell does not state the core path's reading time"
        minutes[path.name] = int(match.group(1))
        if "Optional (skip on first reading)" in title:  # the optional parts it names are marked
            marked = [
                c
                for c in cells[1:]
                if c["cell_type"] == "markdown"
                and "*Optional (skip on first reading)" in "".join(c["source"])
            ]
            assert marked, f"{path.name}: the title names optional parts, but none is marked"
    assert 150 <= sum(minutes.values()) <= 210, minutes
