# The two commands: `make lab` and `make test`. Everything else supports them.
# Both create .venv from the exact pins in requirements.lock on first use and
# reuse it afterwards (the stamp file is rebuilt only when the pins change).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# JupyterLab opens a browser only where there is a display; override with LAB_ARGS.
LAB_ARGS ?= $(if $(DISPLAY),,--no-browser)
# Jupyter refuses to start as root unless told; containers often run as root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
PORT ?= 8888

.PHONY: help venv lab test lint unit notebooks execute lock clean bench
.PHONY: e2e html html-e2e portability

help:
	@echo "make lab       set up .venv and start JupyterLab on notebooks/ (127.0.0.1, token auth)"
	@echo "make test      set up .venv and run lint, unit/property/doctests and strict nbval"
	@echo "make execute   re-run every notebook top to bottom and store its outputs (NB=path for one)"
	@echo "make html      build the course website into build/html/ (lessons as stored, API reference)"
	@echo "make html-e2e  build it and check every page in Chromium with the network blocked"
	@echo "make portability  re-run every lesson as CPUs with other SIMD/BLAS kernels compute it"
	@echo "make e2e       run the lessons in JupyterLab in Chromium and move the widgets (slow, opt-in)"
	@echo "make bench     time the package vs scipy.special and a copy floor (BENCH_ARGS=--quick)"
	@echo "make lock      re-resolve requirements.lock from pyproject.toml (authors only)"

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is required"'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

lab: venv
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.root_dir=notebooks $(LAB_ROOT) $(LAB_ARGS)

lint: venv
	$(BIN)/ruff check softmax_course tests notebooks scripts conftest.py
	$(BIN)/ruff format --check softmax_course tests scripts conftest.py

# Unit, property and doctests, then every notebook in strict nbval mode (see pyproject).
test: lint
	$(BIN)/python -m pytest

# Re-execute notebooks in place so stored outputs come from one fresh run (counts 1..n).
NB ?= $(NOTEBOOKS)
execute: venv
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 \
		--ExecutePreprocessor.record_timing=False $(NB)
	$(BIN)/python scripts/tidy_notebooks.py $(NB)

# Stored outputs must not depend on the CPU: re-run the lessons (strict nbval) with numpy's
# SIMD dispatch lowered, other OpenBLAS kernels and 1 or 2 BLAS threads (NB=path for one).
portability: venv
	$(BIN)/python scripts/portability.py $(NB)

# Timings of softmax_course vs scipy.special and a copy floor; BENCH_ARGS=--quick for < 1 min.
BENCH_ARGS ?=
bench: venv
	$(BIN)/python -m softmax_course.bench $(BENCH_ARGS)

# Re-resolve the pins: once with the reference Python (3.11+) and once with 3.10.
PYTHON310 ?= python3.10
lock:
	rm -rf .lock-venv .lock-venv310
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	$(PYTHON310) -m venv .lock-venv310 && .lock-venv310/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --all --exclude-editable > .lock-venv/freeze.txt
	.lock-venv310/bin/python -m pip freeze --all --exclude-editable > .lock-venv310/freeze.txt
	$(PYTHON) scripts/merge_lock.py .lock-venv/freeze.txt .lock-venv310/freeze.txt > requirements.lock
	rm -rf .lock-venv .lock-venv310

# Browser end-to-end check: JupyterLab + Debian Chromium via Playwright (installs chromium if missing).
e2e: venv
	BIN=$(BIN) scripts/e2e.sh

# The course website (docs/: Sphinx + myst-nb + sphinx-book-theme): build/html/index.html.
# Lessons shown with their stored outputs (no kernel runs), warnings are errors, MathJax and
# the widget manager are served by the site itself. `make e2e` runs the browser check too.
html: venv
	rm -rf build/html build/html.doctrees
	$(BIN)/python scripts/build_html.py build/html

html-e2e: html
	SITE_DIR=build/html E2E_TESTS=tests/e2e/test_site.py BIN=$(BIN) scripts/e2e.sh

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis
