# Two commands on a fresh machine (Python 3.11 and make):
#   make report   # the quarterly CX report on the bundled synthetic data -> reports/<quarter>/index.html
#   make test     # the test suite (what CI runs)
# Both create the local virtual environment .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: report test data bench clean-reports help

help:
	@echo "make report   run the quarterly report (latest quarter; pass ARGS='--quarter 2026Q2 --force')"
	@echo "make test     run the test suite"
	@echo "make data     regenerate data/synthetic/"
	@echo "make bench    run the benchmarks (slow)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cxlib needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/cx report --resume $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(ARGS)

data: $(STAMP)
	$(BIN)/cx data synth $(ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_nps.py
	$(BIN)/python benchmarks/bench_engines.py
	$(BIN)/python benchmarks/bench_drivers.py
	$(BIN)/python benchmarks/bench_weighting.py
	$(BIN)/python benchmarks/bench_crosstab.py
	$(BIN)/python benchmarks/bench_batch.py

clean-reports:
	rm -rf reports/20*
