# The two commands the README names:
#   make run   set everything up, land the default inputs, build the lakehouse
#   make test  set everything up, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= ../shared/datasets
COCO_IMAGES ?= $(SHARED)/coco128/train2017
COCO_ANNOTATIONS ?= $(SHARED)/coco128/annotations/instances_train2017.json

.PHONY: run test setup bench bench-scale clean
BENCH_IMAGES ?= 1000

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# uv comes from the package registry and installs the locked set in seconds.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet -c requirements.lock -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/mmfactory build --coco-images "$(COCO_IMAGES)" --coco-annotations "$(COCO_ANNOTATIONS)"

test: setup
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/run_all.py

# The real default build on a synthetic COCO corpus with image files (BENCH_IMAGES=10000 ...)
bench-scale: setup
	$(BIN)/python bench/bench_build.py --images $(BENCH_IMAGES) --rerun

clean:
	rm -rf warehouse target logs
