# Practice Review analysis suite. `make` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# Outputs never reach git: nbstripout cleans notebooks as they are staged (.gitattributes).
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		$(BIN)/nbstripout --install --attributes .gitattributes; fi
	@touch $(STAMP)

## install: create .venv and install the suite with its test tools (run by every target)
install: $(STAMP)

## run: render every council's reports for the bundled synthetic sample; open reports/index.html
run: $(STAMP)
	$(BIN)/practice-review run

## watch: as run, then render again whenever a sample file changes (Ctrl-C to stop)
watch: $(STAMP)
	$(BIN)/practice-review run --watch

## summary: print the section-4 tables of every review in the sample
summary: $(STAMP)
	$(BIN)/practice-review summary

## test: lint, then run the whole test suite on every core (browser checks included where chromium exists)
test: $(STAMP)
	$(BIN)/ruff check .
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile --durations=10

## test-fast: lint, then the tests not marked slow (no notebooks, batches or browser): a minute or two
test-fast: $(STAMP)
	$(BIN)/ruff check .
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile -m "not slow"

## lint: ruff over the library, tests and benchmarks
lint: $(STAMP)
	$(BIN)/ruff check .

## lab: open JupyterLab at the project root (notebooks/ and reports/), outputs stripped on save
lab: $(STAMP)
	JUPYTER_CONFIG_DIR=$(CURDIR)/.jupyter $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) \
		--LabApp.default_url=/lab/tree/notebooks --LabApp.custom_css=True \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

## sample: regenerate the synthetic sample programme in data/sample (deterministic)
sample: $(STAMP)
	$(BIN)/python -m review_lib.data.sample

## bench: time loading, validating and summarising a national-scale programme
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_load.py

## bench-batch: time the sample's batch run: cold, warm, one council changed, against a floor
bench-batch: $(STAMP)
	$(BIN)/python benchmarks/bench_batch.py

## bench-calibrate: time calibrate() on the sample's moderation exercise (target under 5 s)
bench-calibrate: $(STAMP)
	$(BIN)/python benchmarks/bench_calibrate.py

## clean: remove generated reports and figures
clean:
	find reports figures -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  make /' -e 's/: / — /'

.PHONY: install run watch summary test test-fast lint lab sample bench bench-batch bench-calibrate clean help
