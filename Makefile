# The two commands the README names:
#   make run   set everything up, land the default inputs, build the lakehouse
#   make test  set everything up, run the whole test suite
# and, for the review page: make browser (Debian's Chromium, which its tests drive) and
# make review (serve the page over the built lakehouse on http://127.0.0.1:8765/)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared/datasets
COCO_IMAGES ?= $(SHARED)/coco128/train2017
COCO_ANNOTATIONS ?= $(SHARED)/coco128/annotations/instances_train2017.json

.PHONY: run test setup bench bench-scale clean browser review
BENCH_IMAGES ?= 1000

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv comes from the package registry and installs the locked set in seconds.
$(VENV)/.installed: pyproject.toml requirements.lock requirements-consumers.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	# no --compile-bytecode: compiling all of site-packages (~15,000 files) took ~18 s of the
	# setup on one core, and the commands import under half of it. Every target below that
	# runs Python unsets PYTHONDONTWRITEBYTECODE (CACHED), so each module is compiled once,
	# on first import, and cached (BENCHMARKS.md, issue 12 session 16).
	$(BIN)/uv pip install --python $(BIN)/python --quiet -c requirements.lock -e '.[dev,ray]'
	# real trainer code for the consumer tests, without its torch-sized dependencies
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -r requirements-consumers.txt
	touch $@

setup: $(VENV)/.installed

# Every target below runs Python with the bytecode cache on, also where the environment sets
# PYTHONDONTWRITEBYTECODE (this sandbox does): else every process compiles its imports from
# source again (~3 s of CPU per dbt process), and nothing is ever cached (see setup).
CACHED := env -u PYTHONDONTWRITEBYTECODE

run: setup
	$(CACHED) $(BIN)/mmfactory build --coco-images "$(COCO_IMAGES)" --coco-annotations "$(COCO_ANNOTATIONS)"

# the browser tests of the review page drive Debian's Chromium: `make browser` installs it.
# The suite starts dozens of Python processes (dbt, mmfactory, workers); the first to
# import a module caches its bytecode for all the others (CACHED, above).
# Every core (tests/conftest.py): the session build starts in the background while the
# tests that need no build run below its priority (nice 10); each test module runs whole
# on one worker, in the order tests/conftest.py gives. PYTEST_WORKERS="-n 0" runs it in
# one process.
PYTEST_WORKERS ?= -n auto --dist loadscope --no-loadscope-reorder
test: setup browser
	$(CACHED) $(BIN)/pytest $(PYTEST_WORKERS)

# Debian's Chromium for the review page's browser tests; nothing to do when it is there.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) && echo "chromium: $$($(CHROMIUM) --version 2>/dev/null)"

review: setup
	$(CACHED) $(BIN)/mmfactory review serve

bench: setup
	$(CACHED) $(BIN)/python bench/run_all.py

# The real default build on a synthetic COCO corpus with image files (BENCH_IMAGES=10000 ...)
bench-scale: setup
	$(CACHED) $(BIN)/python bench/bench_build.py --images $(BENCH_IMAGES) --rerun

clean:
	rm -rf warehouse target logs
