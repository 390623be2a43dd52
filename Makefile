# descflow — `make demo` and `make test` work on a fresh machine: they install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install demo test test-unit test-integration services browser compose-check bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# The CPU wheel of torch; an unpinned spec would pull a multi-GB CUDA build.
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[test,embedded]"
	@touch $(STAMP)

# First run on a fresh machine: install (about 2 minutes), train the house model (about 3), run the pipeline (about 1): 5½ minutes measured.
demo:
	@test -f $(STAMP) || echo "descflow demo: installing into $(VENV) first (torch's CPU wheel and the rest; about 2 minutes on 2 cores, once)"
	@$(MAKE) --no-print-directory install
	$(VENV)/bin/descflow demo

services:
	@bash scripts/services.sh

compose-check:
	@bash scripts/check_compose.sh

# Debian's chromium + chromedriver for the Flower end-to-end test (no browser download).
browser:
	@bash scripts/install_browser.sh

test: install lint services browser compose-check
	$(VENV)/bin/pytest tests -q

test-unit: install
	$(VENV)/bin/pytest tests/unit -q

test-integration: install services browser
	$(VENV)/bin/pytest tests/integration tests/e2e -q

# Each benchmark prints a table and writes bench/results/<name>.json; BENCH_ARGS narrows dedup's sizes.
# bench.queue: DESCFLOW_BENCH_REDIS or the broker (only its own keys); bench.pipeline flushes DESCFLOW_BENCH_REDIS when set, else runs a throwaway redis-server.
bench: install services
	@mkdir -p bench/results
	$(VENV)/bin/descflow train --if-missing
	$(PY) -m bench.quality --source all
	$(PY) -m bench.queue
	$(PY) -m bench.batching
	$(PY) -m bench.pipeline
	$(PY) -m bench.rank
	$(PY) -m bench.sentiment
	$(PY) -m bench.dedup $(BENCH_ARGS)

lint: install
	$(PIP) install --quiet ruff==0.17.6
	$(VENV)/bin/ruff check schemas producers workers descflow tests bench

clean:
	rm -rf .descflow .pytest_cache test-artifacts
