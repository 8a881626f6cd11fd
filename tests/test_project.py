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


def reading_time():
    """``scripts/reading_time.py`` as a module (scripts/ is not a package)."""
    import importlib.util

    script = ROOT / "scripts" / "reading_time.py"
    spec = importlib.util.spec_from_file_location("reading_time", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("reading_time", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_title_cell_states_the_computed_core_path_reading_time(path):
    """The title cell states ``**Core path: about NN minutes**``, NN within 15% of the figure
    ``scripts/reading_time.py`` computes from the core path (cells not tagged ``optional``,
    before ``## Exercises``) at the rates stated in that script."""
    rt = reading_time()
    stated, computed = rt.stated_minutes(path), rt.count_notebook(path).minutes
    assert stated is not None, f"{path.name}: the title cell does not state the core path's time"
    assert rt.within_tolerance(stated, computed), (
        f"{path.name}: states {stated} minutes, the core path counts {computed:.0f}; "
        "run `python scripts/reading_time.py` and update the title cell"
    )


def test_core_path_of_the_whole_course_reads_in_three_and_a_half_hours_or_less():
    rt = reading_time()
    minutes = {path.name: round(rt.count_notebook(path).minutes) for path in NOTEBOOKS}
    assert sum(minutes.values()) <= rt.MAX_TOTAL_MINUTES, minutes


def test_reading_time_counts_what_it_says():
    """The counting rules on a made-up notebook: optional cells and exercises do not count."""
    rt = reading_time()

    def cell(kind, text, tags=(), outputs=()):
        extra = {"outputs": list(outputs)} if kind == "code" else {}
        return {"cell_type": kind, "source": text, "metadata": {"tags": list(tags)}, **extra}

    cells = [
        cell("markdown", "# Title\n\nfour words of prose\n\n$$a = b$$\n"),
        cell("code", "# NBVAL_IGNORE_OUTPUT\n# why: timing\nx = 1\n\ny = 2\n"),
        cell("code", "plot()", outputs=[{"data": {"image/png": ""}}]),
        cell("markdown", "ten words that are optional and never counted at all here", ["optional"]),
        cell("markdown", "two more\n\n## Exercises\n\nnot counted"),
        cell("code", "not = counted"),
    ]
    count = rt.count_cells(rt.core_cells(cells))
    assert (count.words, count.equations, count.code_lines, count.figures) == (7, 1, 3, 1)
    expected = 7 / rt.WORDS_PER_MINUTE + rt.MINUTES_PER_EQUATION
    expected += 3 * rt.SECONDS_PER_CODE_LINE / 60 + rt.MINUTES_PER_FIGURE
    assert count.minutes == pytest.approx(expected)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_an_optional_run_says_optional_in_words(path):
    """Each run of consecutive ``optional``-tagged cells starts with a markdown cell that says
    "Optional" in words (a reader who does not see cell tags still knows what to skip)."""
    cells = json.loads(path.read_text())["cells"]
    silent = []
    for index, cell in enumerate(cells):
        tagged = "optional" in cell.get("metadata", {}).get("tags", [])
        previous = index > 0 and "optional" in cells[index - 1].get("metadata", {}).get("tags", [])
        if tagged and not previous:
            if cell["cell_type"] != "markdown" or "Optional" not in "".join(cell["source"]):
                silent.append(index)
    assert not silent, f"{path.name}: optional runs starting at cells {silent} do not say so"


# --- Links between lessons -------------------------------------------------------------------
#
# The anchor rule, read from JupyterLab 4.x (@jupyterlab/rendermime `renderers.ts`):
# `headerAnchors` gives every rendered h1-h6 the id `createHeaderId(heading)`, which is
# `heading.textContent.replace(/ /g, '-')`: the heading's *rendered text*, each space (only
# U+0020) replaced by `-`, case and punctuation kept. A fragment `#x` is looked up as that id
# (notebook `setFragment`, legacy kind; `@jupyterlab/toc` `getHeadingId` renders the heading
# with `shouldTypeset: false`). Rendered text means: code spans lose their backticks,
# emphasis its `*`/`_`, backslash escapes their backslash, entities are decoded, and inline
# math is *not* typeset, so `$J$` stays `$J$`.
MARKDOWN_LINK = re.compile(  # [text](destination), destinations with balanced parentheses
    r"(?<!!)\[((?:[^\[\]]|\[[^\]]*\])*)\]"
    r"\(((?:[^()\s]|\((?:[^()\s]|\([^()\s]*\))*\))*)\)"
)
HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
INLINE_MATH = re.compile(r"(?<![\\$])\$[^$\n]+?\$(?!\$)")
# "lesson 03", "lessons 04", "section 3", "sections 3.5": a place in the course.
PLACE_MENTION = re.compile(r"\b(?:[Ll]essons?\s+0[1-9]|[Ss]ections?\s+\d+(?:\.\d+)?)\b")
# Characters a browser percent-encodes in a URL fragment (and non-ASCII): such anchors would
# not match JupyterLab's undecoded id lookup, so a linked heading must not produce them.
UNSAFE_IN_FRAGMENT = re.compile(r"[\"<>`\s]|[^\x00-\x7f]")


def heading_anchor(heading: str) -> str:
    """JupyterLab's id for a Markdown heading's text (the rule above)."""
    pieces, last = [], 0
    for math in INLINE_MATH.finditer(heading):
        pieces.append(render_inline_text(heading[last : math.start()]))
        pieces.append(math.group(0))
        last = math.end()
    pieces.append(render_inline_text(heading[last:]))
    return "".join(pieces).replace(" ", "-")


def render_inline_text(text: str) -> str:
    import html

    text = re.sub(r"(`+)(.+?)\1", lambda m: "\0" + m.group(2).strip() + "\0", text)
    code = re.findall(r"\0(.*?)\0", text)
    text = re.sub(r"\0.*?\0", "\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)
    text = html.unescape(text)
    for snippet in code:
        text = text.replace("\1", snippet, 1)
    return text


def notebook_anchors(path: Path) -> set[str]:
    anchors = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            text = FENCED.sub("", "".join(cell["source"]))
            anchors |= {heading_anchor(m.group(2)) for m in HEADING_LINE.finditer(text)}
    return anchors


FENCED = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)


def prose_outside_links(text: str) -> str:
    """Markdown text without fenced code, math, code spans, headings and link texts."""
    text = FENCED.sub(" ", text)
    text = MARKDOWN_LINK.sub(" ", text)
    text = DISPLAY_MATH.sub(" ", text)
    text = INLINE_MATH.sub(" ", text)
    text = CODE_SPAN.sub(" ", text)
    return HEADING_LINE.sub(" ", text)


@pytest.mark.parametrize(
    "heading, anchor",
    [
        (
            "3. Subtracting a constant: the proof, and why the constant is the maximum",
            "3.-Subtracting-a-constant:-the-proof,-and-why-the-constant-is-the-maximum",
        ),
        ("4. What $J$ looks like, and why", "4.-What-$J$-looks-like,-and-why"),
        ("6. A warning: `exp` overflows", "6.-A-warning:-exp-overflows"),
        (
            "(d) Mutating the caller's array: `x -= max`",
            "(d)-Mutating-the-caller's-array:-x--=-max",
        ),
        (
            "2. Deriving $\\partial s_i / \\partial z_j$",
            "2.-Deriving-$\\partial-s_i-/-\\partial-z_j$",
        ),
        ("A **bold** and *emphasized* step", "A-bold-and-emphasized-step"),
        ("Ranks and `a_b` and $a_b$ and a\\_b", "Ranks-and-a_b-and-$a_b$-and-a_b"),
    ],
)
def test_heading_anchor_follows_jupyterlab(heading, anchor):
    assert heading_anchor(heading) == anchor


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_mentions_of_other_places_are_links_that_resolve(path):
    """What is checked, in every markdown cell of the lesson:

    1. every mention of a place in the course, ``lesson NN``/``lessons NN`` (NN = 01-09) and
       ``section N``/``sections N.M``, is inside the text of a Markdown link ``[...](...)``;
       not checked: mentions in headings, code spans, math and fenced code, and self-references
       without a number ("this lesson", "the next section");
    2. every relative link to a notebook (``NN_name.ipynb``, ``NN_name.ipynb#anchor`` or
       ``#anchor`` for the same lesson) names a file in ``notebooks/``, and its anchor equals
       the JupyterLab id of a heading in that notebook (``heading_anchor``), using only
       characters a browser leaves as they are in a URL fragment (ASCII, no space, quote,
       ``<``, ``>`` or backtick).
    """
    unlinked, broken = [], []
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        unlinked += [(index, m.group(0)) for m in PLACE_MENTION.finditer(prose_outside_links(text))]
        for match in MARKDOWN_LINK.finditer(FENCED.sub(" ", CODE_SPAN.sub(" ", text))):
            target = match.group(2)
            if re.match(r"[a-z]+:", target) or not re.match(r"(\d\d_\w+\.ipynb)?(#|$)", target):
                continue  # a web address, or a link to something that is not a lesson
            name, _, anchor = target.partition("#")
            linked = ROOT / "notebooks" / name if name else path
            if not linked.exists():
                broken.append((index, target, "no such notebook"))
            elif anchor and anchor not in notebook_anchors(linked):
                broken.append((index, target, "no heading with this anchor"))
            elif UNSAFE_IN_FRAGMENT.search(anchor):
                broken.append((index, target, "the anchor would be percent-encoded"))
    assert not unlinked, f"{path.name}: mentions that are not links (cell, text): {unlinked}"
    assert not broken, f"{path.name}: links that do not resolve: {broken}"


# --- Comments and prose that promise an assert -----------------------------------------------
#
# A heuristic: a sentence or comment that places an assert "below"/"above" ("the assert below",
# "asserted below", "the asserts above") must have an assert where it points. "Below" in a code
# comment: an assert statement (or `np.testing.assert_*`) later in the same cell or in one of
# the next two code cells; "above": earlier in the same cell or in one of the two code cells
# before. In markdown: one of the next (previous) two code cells.
PROMISED_ASSERT = re.compile(
    r"\b(?:assert(?:s|ed|ion|ions)?)\s+(?:\w+\s+){0,2}?(below|above)\b"
    r"|\b(below|above)\s+(?:\w+\s+){0,2}?assert(?:s|ion|ions)?\b",
    re.IGNORECASE,
)
ASSERT_STATEMENT = re.compile(r"^\s*assert\b|\bassert_\w+\(|\.assert\w*\(", re.MULTILINE)


def promised_assert_offenders(cells: list[dict]) -> list[tuple[int, str]]:
    code = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    offenders = []
    for index, cell in enumerate(cells):
        text = "".join(cell["source"])
        if cell["cell_type"] == "code":
            lines = text.splitlines()
            for number, line in enumerate(lines):
                comment = line.partition("#")[2]
                for match in PROMISED_ASSERT.finditer(comment):
                    where = (match.group(1) or match.group(2)).lower()
                    near = [
                        j for j in code if 0 < (j - index if where == "below" else index - j) <= 2
                    ]
                    own = "\n".join(lines[number + 1 :] if where == "below" else lines[:number])
                    others = "\n".join("".join(cells[j]["source"]) for j in near)
                    if not ASSERT_STATEMENT.search(own + "\n" + others):
                        offenders.append((index, match.group(0)))
        elif cell["cell_type"] == "markdown":
            for match in PROMISED_ASSERT.finditer(text):
                where = (match.group(1) or match.group(2)).lower()
                after = [j for j in code if j > index][:2]
                before = [j for j in code if j < index][-2:]
                near = after if where == "below" else before
                if not ASSERT_STATEMENT.search(
                    "\n".join("".join(cells[j]["source"]) for j in near)
                ):
                    offenders.append((index, match.group(0)))
    return offenders


def test_promised_assert_heuristic():
    def cell(kind, text):
        return {"cell_type": kind, "source": text}

    assert promised_assert_offenders([cell("code", "x = 1  # the assert below keeps it\n")])
    assert not promised_assert_offenders(
        [cell("code", "x = 1  # the assert below keeps it\nassert x == 1\n")]
    )
    assert promised_assert_offenders(
        [
            cell("code", "assert True\n"),
            cell("markdown", "It is asserted below."),
            cell("code", "1"),
        ]
    )
    assert not promised_assert_offenders(
        [cell("code", "np.testing.assert_allclose(a, b)"), cell("markdown", "Asserted above.")]
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_comment_promises_an_assert_that_is_not_there(path):
    offenders = promised_assert_offenders(json.loads(path.read_text())["cells"])
    assert not offenders, f"{path.name}: promised asserts not found (cell, words): {offenders}"


# --- Seed ids ---------------------------------------------------------------------------------
#
# The course grew out of four Q&A threads kept, outside the repository, in files named
# `NNN_<16 hex digits>.txt`. A reader has none of them: a thread is named by its subject.
SEED_ID = re.compile(
    r"\b(?:threads?|seeds?)[\s_#-]*0\d\d\b|\b\d{3}_[0-9a-f]{16}\b|\bseeds?/|shared/seeds",
    re.IGNORECASE,
)


def reader_facing_texts():
    for path in NOTEBOOKS:
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            yield f"{path.name} cell {index}", "".join(cell["source"]) + stored_text(cell)
    for folder, patterns in (("softmax_course", ("**/*.py",)), ("docs", ("*.md", "*.yml"))):
        for pattern in patterns:
            for path in sorted((ROOT / folder).glob(pattern)):
                yield str(path.relative_to(ROOT)), path.read_text()
    yield "README.md", (ROOT / "README.md").read_text()


def test_no_seed_ids_in_lessons_package_or_docs():
    found = [
        (where, m.group(0)) for where, text in reader_facing_texts() for m in SEED_ID.finditer(text)
    ]
    assert not found, f"seed ids a reader cannot follow (name the thread by its subject): {found}"


# --- Exercises and their worked solutions -----------------------------------------------------
#
# The index of worked solutions is the table in `softmax_course.solutions`' docstring: one row
# per exercise, "NN  number ...  :func:`name`". A discussion exercise has a row too (its
# function states the answer in its docstring).
SOLUTION_ROW = re.compile(r"^(\d\d)\s+(\d+)\s.*?:(?:func|class):`(\w+)`", re.MULTILINE)
EXERCISE_HEADING = re.compile(r"(?:^#{2,4}\s+|\*\*)Exercise\s+(\d+)\b", re.MULTILINE)


def notebook_exercises(path: Path) -> dict[int, str]:
    """Exercise number -> its markdown (from its heading to the next exercise's)."""
    cells = json.loads(path.read_text())["cells"]
    text, started = [], False
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and re.search(r"^## Exercises\s*$", source, re.M):
            started = True
            source = source[re.search(r"^## Exercises\s*$", source, re.M).start() :]
        if started and cell["cell_type"] == "markdown":
            text.append(source)
    joined = "\n".join(text)
    marks = list(EXERCISE_HEADING.finditer(joined))
    return {
        int(m.group(1)): joined[m.start() : marks[i + 1].start() if i + 1 < len(marks) else None]
        for i, m in enumerate(marks)
    }


def solutions_index() -> dict[tuple[str, int], str]:
    from softmax_course import solutions

    return {
        (m.group(1), int(m.group(2))): m.group(3) for m in SOLUTION_ROW.finditer(solutions.__doc__)
    }


def test_solutions_index_is_complete_and_names_real_solutions():
    """Every exercise of every lesson has a row in the index, every row names a function or
    class of ``softmax_course.solutions``, and no row names an exercise that does not exist."""
    from softmax_course import solutions

    index = solutions_index()
    exercises = {(p.name[:2], n) for p in NOTEBOOKS for n in notebook_exercises(p)}
    assert exercises, "no exercise headings found"
    assert not sorted(exercises - set(index)), "exercises without a worked solution in the index"
    assert not sorted(set(index) - exercises), "index rows for exercises that do not exist"
    assert not [name for name in index.values() if not hasattr(solutions, name)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_exercise_points_to_its_worked_solution(path):
    """Each exercise's text names its worked solution as ``solutions.<name>`` (the index's
    entry; ``solutions.<name>??`` in JupyterLab shows the code). The solutions are kept off the
    website on purpose, so the pointer is the name, not a hyperlink."""
    index = solutions_index()
    silent = [
        number
        for number, text in notebook_exercises(path).items()
        if (path.name[:2], number) in index
        and f"solutions.{index[path.name[:2], number]}" not in text
    ]
    assert not silent, f"{path.name}: exercises {silent} do not name their worked solution"
