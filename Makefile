# The two commands: `make lab` and `make test`. Everything else supports them.
# Both create .venv from the exact pins in requirements.lock on first use and
# reuse it afterwards (the stamp file is rebuilt only when the pins change).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# The translated lessons, generated from the English ones and translations/<lang>/*.po.
TRANSLATED_LANGUAGES := zh_CN ru ja
TRANSLATED := $(sort $(wildcard $(TRANSLATED_LANGUAGES:%=notebooks/%/[0-9][0-9]_*.ipynb)))

# `make lab LANG=zh` (zh, zh_CN, ru, ja, en; any case, - or _, .UTF-8 suffix) opens the lessons
# in that language. LANG is also the POSIX locale, and make would hand `LANG=zh` to every
# recipe, where no locale is called "zh": given on the command line, it is read here as the
# course's language (COURSE_LANG=zh says the same) and the recipes get C.UTF-8 instead.
ifeq ($(origin LANG),command line)
COURSE_LANG := $(LANG)
override LANG := C.UTF-8
export LANG
endif
COURSE_LANG ?=
_lang_base := $(firstword $(subst ., ,$(subst @, ,$(subst -,_,$(COURSE_LANG)))))
LESSON_LANG := $(strip \
	$(if $(filter zh zh_CN zh_cn ZH zh_Hans zh_hans,$(_lang_base)),zh_CN) \
	$(if $(filter ru ru_RU ru_ru RU,$(_lang_base)),ru) \
	$(if $(filter ja ja_JP ja_jp JA,$(_lang_base)),ja) \
	$(if $(filter en en_US en_GB en_us en_gb EN,$(_lang_base)),en))
LAB_DIR := $(if $(filter-out en,$(LESSON_LANG)),notebooks/$(LESSON_LANG),notebooks)
# JupyterLab opens a browser only where there is a display; override with LAB_ARGS.
LAB_ARGS ?= $(if $(DISPLAY),,--no-browser)
# Jupyter refuses to start as root unless told; containers often run as root.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
PORT ?= 8888

.PHONY: help venv lab test lint unit notebooks execute translations lock clean bench
.PHONY: e2e html html-e2e portability wheel wheel-check lab-check floors newest messages
.PHONY: student instructor grade-class

help:
	@echo "make lab       set up .venv and start JupyterLab on notebooks/ (127.0.0.1, token auth)"
	@echo "               LANG=zh, ru or ja: the lessons in Chinese, Russian or Japanese"
	@echo "make test      set up .venv and run lint, unit/property/doctests and strict nbval"
	@echo "make execute   re-run every notebook top to bottom and store its outputs (NB=path for one)"
	@echo "make translations  generate notebooks/<lang>/ from the catalogs and execute them"
	@echo "make html      build the course website into build/html/ (and zh/, ru/, ja/ when translated)"
	@echo "make html-e2e  build it and check every page in Chromium with the network blocked"
	@echo "make portability  re-run every lesson as CPUs with other SIMD/BLAS kernels compute it"
	@echo "make e2e       run the lessons in JupyterLab in Chromium and move the widgets (slow, opt-in)"
	@echo "make bench     time the package vs scipy.special and a copy floor (BENCH_ARGS=--quick)"
	@echo "make messages  extract the checkers' messages, update the zh_CN/ru/ja catalogs, compile, check"

	@echo "make student   the student edition (no worked solutions) in build/student (SITE=1: + site)"
	@echo "make instructor  the instructor edition (solutions, rubrics) in build/instructor"
	@echo "make grade-class  grade a generated class of 120 submissions, check every score, time it"
	@echo "make lock      re-resolve requirements.lock from pyproject.toml (uv; keeps existing pins)"
	@echo "make wheel     build the sdist and the wheel (lessons inside) into dist/"
	@echo "make wheel-check  install the wheel in a fresh venv, copy the lessons, strict nbval there"
	@echo "make lab-check    start make lab / softmax-course lab, check 127.0.0.1 + token, stop it"
	@echo "make floors    unit/property/doctests on Python 3.10 with the lowest numpy and scipy declared"
	@echo "make newest    unit/property/doctests on the newest Python (3.13) with the lock's pins"

venv: $(STAMP)

# pip installs uv (pinned in the lock too), uv installs the pins: the same versions pip would
# install, in a fraction of its time (pip alone took 8 min of a CI run on a busy 2-core machine).
UV_PIN = $(shell grep -m1 '^uv==' requirements.lock)
UV_SYNC = $(BIN)/uv pip install --quiet --python $(BIN)/python
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is required"'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(UV_PIN)
	$(UV_SYNC) -r requirements.lock
	$(UV_SYNC) --no-deps --no-build-isolation -e .
	@touch $@

lab: venv
	@$(if $(COURSE_LANG),$(if $(LESSON_LANG),:,echo "make lab: no lessons in language \
	'$(COURSE_LANG)'; the course has en, zh (zh_CN), ru and ja" >&2; exit 2),:)
	@$(if $(filter-out en,$(LESSON_LANG)),test -n "$$(ls $(LAB_DIR)/*.ipynb 2>/dev/null)" || \
	{ echo "make lab: no lessons in $(LAB_DIR)/; make translations generates them" >&2; exit 2; },:)
	$(if $(LESSON_LANG),SOFTMAX_COURSE_LANG=$(LESSON_LANG) )$(BIN)/jupyter lab \
		--ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
		--ServerApp.root_dir=$(LAB_DIR) $(LAB_ROOT) $(LAB_ARGS)

lint: venv
	$(BIN)/ruff check softmax_course tests notebooks scripts conftest.py setup.py
	$(BIN)/ruff format --check softmax_course tests scripts conftest.py setup.py
	$(BIN)/mypy
	$(BIN)/nbstripout --verify $(NBSTRIPOUT_ARGS) $(NOTEBOOKS) $(TRANSLATED)

# Unit, property and doctests, then every notebook in strict nbval mode (see pyproject):
# the English lessons and the translated ones in notebooks/<lang>/. The test files are spread
# over JOBS workers (pytest-xdist; auto: one per core); --dist loadfile keeps each file on one
# worker, so a notebook's cells run in order in one kernel, as strict nbval needs. The slowest
# tests are listed at the end (where the time goes).
JOBS ?= auto
test: lint
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --durations=15

# Notebook hygiene (also a pre-commit hook): outputs and counts stay (nbval compares them),
# cell ids stay, the saved widget state stays (the website draws it); execution timestamps
# and UI state (collapsed, scrolled...) go.
NBSTRIPOUT_ARGS := --keep-output --keep-count --keep-id \
	--extra-keys "cell.metadata.execution" --keep-metadata-keys "metadata.widgets"

# Re-execute notebooks in place so stored outputs come from one fresh run (counts 1..n).
NB ?= $(NOTEBOOKS)
execute: venv
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 \
		--ExecutePreprocessor.record_timing=False $(NB)
	$(BIN)/nbstripout $(NBSTRIPOUT_ARGS) $(NB)

# The translated lessons: generated from the English notebooks and the catalogs of
# translations/ (refused while a message is missing or fuzzy), then executed and stored like
# the English ones. LANGS=ru for one language. Nothing in notebooks/<lang>/ is edited by hand.
LANGS ?= $(TRANSLATED_LANGUAGES)
translations: venv
	$(BIN)/python scripts/i18n.py build $(LANGS)
	$(MAKE) --no-print-directory execute NB="$$(echo $(LANGS:%=notebooks/%/[0-9][0-9]_*.ipynb))"

# Stored outputs must not depend on the CPU: re-run the lessons (strict nbval) with numpy's
# SIMD dispatch lowered, other OpenBLAS kernels and 1 or 2 BLAS threads (NB=path for one).
portability: venv
	$(BIN)/python scripts/portability.py $(NB)

# The checkers' messages (softmax_course/locale/): extract them from the code, merge them into
# each language's .po (new messages empty, changed ones fuzzy), compile the .mo, list what is
# missing or fuzzy (exit status 1 until every message is translated).
messages: venv
	$(BIN)/python scripts/messages.py all

# The editions for a class (scripts/editions.py): `make lab` stays the self-study edition.
SITE ?=
student: venv
	$(BIN)/python scripts/editions.py student build/student $(if $(SITE),--site)

instructor: venv
	$(BIN)/python scripts/editions.py instructor build/instructor $(if $(SITE),--site)

# The batch grader's acceptance run: 120 generated submissions, 2 at a time (a few minutes).
grade-class: venv
	$(BIN)/python scripts/grade_class.py --size 120 --jobs 2

# Timings of softmax_course vs scipy.special and a copy floor; BENCH_ARGS=--quick for < 1 min.
BENCH_ARGS ?=
bench: venv
	$(BIN)/python -m softmax_course.bench $(BENCH_ARGS)

# Re-resolve the pins with uv, for every supported Python (3.10+) and platform in one file.
# uv prefers the versions already in requirements.lock: only what pyproject.toml newly asks
# for is resolved afresh (UPGRADE=--upgrade moves everything). The pins that changed for the
# reference Python and for 3.10 are printed: notebook outputs depend on them.
UPGRADE ?=
lock: venv
	cp requirements.lock .lock-before.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.10 \
		--no-emit-package softmax-course --custom-compile-command "make lock" \
		--quiet $(UPGRADE) -o requirements.lock
	@for py in 3.11.7 3.10.13; do \
		echo "pins changed for Python $$py (< before, > after):"; \
		$(BIN)/python scripts/lock_pins.py .lock-before.txt $$py > .lock-before.$$py; \
		$(BIN)/python scripts/lock_pins.py requirements.lock $$py > .lock-after.$$py; \
		diff .lock-before.$$py .lock-after.$$py || true; \
	done
	rm -f .lock-before.txt .lock-before.3.* .lock-after.3.*

# Browser end-to-end check: JupyterLab + Debian Chromium via Playwright (installs chromium if missing).
e2e: venv
	BIN=$(BIN) scripts/e2e.sh

# The course website (docs/: Sphinx + myst-nb + sphinx-book-theme): build/html/index.html,
# and build/html/{zh,ru,ja}/ for each language whose notebooks/<code>/ lessons exist.
# Lessons shown with their stored outputs (no kernel runs), warnings are errors, MathJax and
# the widget manager are served by the site itself. `make e2e` runs the browser check too.
html: venv
	rm -rf build/html build/html.doctrees build/html.i18n
	$(BIN)/python scripts/build_html.py build/html

html-e2e: html
	SITE_DIR=build/html E2E_TESTS=tests/e2e/test_site.py BIN=$(BIN) scripts/e2e.sh

# --- every documented install route, as CI runs it (.ci/run) --------------------------------
DIST ?= dist
ROUTES ?= build/routes
PY310 ?= $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python)))
PY313 ?= $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.13.*/bin/python)))
# Unit, property and doctests (no notebooks: figures and digits differ off the reference pins).
# The site build (test_html) and the browser tests are not part of it; the properties run 50
# derandomized examples each (the routes profile of conftest.py; make test runs 200), the
# files spread over the cores as in make test.
UNIT_ARGS ?= tests softmax_course -q -p no:cacheprovider -n auto --dist loadfile --ignore=tests/e2e \
	--ignore=tests/test_html.py --hypothesis-profile=routes --durations=5

# The sdist and the wheel; setup.py copies notebooks/NN_*.ipynb into softmax_course/lessons/.
wheel: venv
	rm -rf $(DIST) build/lib
	$(BIN)/python -m build --no-isolation --outdir $(DIST) .

# pip's route: the wheel in a fresh venv with the lessons' pins, `softmax-course lessons DIR`,
# then every copied lesson under strict nbval there (the installed package, not the checkout).
# The route venvs are made and filled by uv (pinned in the lock, in .venv): the same pins as
# pip would install, in a fraction of pip's time.
UV_PIP = $(BIN)/uv pip install --quiet --python

wheel-check: wheel
	rm -rf $(ROUTES)/wheel && $(BIN)/uv venv --quiet --python $(PYTHON) $(ROUTES)/wheel/venv
	$(UV_PIP) $(ROUTES)/wheel/venv/bin/python -c requirements.lock \
		"softmax-course[course] @ $$(ls $(abspath $(DIST))/*.whl)" pytest pytest-xdist nbval hypothesis
	$(ROUTES)/wheel/venv/bin/python scripts/check_wheel.py $(ROUTES)/wheel

# `make lab` (also `make lab LANG=zh`) and `softmax-course lab DIR` each start, listen on
# 127.0.0.1 only, refuse requests without the token and answer with it; then they are stopped.
lab-check: venv
	$(BIN)/python scripts/check_lab.py -- make --no-print-directory lab 'PORT={port}' LAB_ARGS=--no-browser
	$(BIN)/python scripts/check_lab.py -- make --no-print-directory lab 'PORT={port}' LAB_ARGS=--no-browser LANG=zh
	rm -rf $(ROUTES)/lab-lessons
	$(BIN)/python scripts/check_lab.py -- $(BIN)/python -m softmax_course lab $(ROUTES)/lab-lessons --port '{port}' --no-browser

# A fresh venv with the package (editable) and what its unit tests import, at the pins of
# $(2) (used as constraints): $(call route_venv,DIR,PINS,PYTHON)
define route_venv
	rm -rf $(1) && $(BIN)/uv venv --quiet --python $(3) $(1)
	$(UV_PIP) $(1)/bin/python -c $(2) -e '.[plotting,widgets,test]'
	$(1)/bin/python -c 'import sys, numpy, scipy; print("Python", sys.version.split()[0], "numpy", numpy.__version__, "scipy", scipy.__version__)'
endef

# The oldest supported configuration: Python 3.10, the lowest numpy and scipy pyproject.toml
# declares (scripts/floor_pins.py), everything else from the lock.
floors: venv
	@test -x "$(PY310)" || { echo "no Python 3.10 (set PY310=/path/to/python3.10)"; exit 1; }
	mkdir -p $(ROUTES) && $(PYTHON) scripts/floor_pins.py > $(ROUTES)/floor-pins.txt
	$(call route_venv,$(ROUTES)/floors,$(ROUTES)/floor-pins.txt,$(PY310))
	$(ROUTES)/floors/bin/python -m pytest $(UNIT_ARGS)

# The newest Python available with the lock's pins.
newest: venv
	@test -x "$(PY313)" || { echo "no Python 3.13 (set PY313=/path/to/python3.13)"; exit 1; }
	$(call route_venv,$(ROUTES)/newest,requirements.lock,$(PY313))
	$(ROUTES)/newest/bin/python -m pytest $(UNIT_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
