# Two entry points: `make run` (the main job on the bundled data) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup run test test-fast lint sample registry bench bench-scale clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	sh scripts/install_system_packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

# The real seed's district quarter and the latest complete quarter of the bundled sample (its 9 communes).
PERIODS ?= 2021-Q3 2026-Q3

run: setup
	$(BIN)/cchc batch $(addprefix --period ,$(PERIODS))

bench: setup
	$(BIN)/python bench/batch.py

bench-scale: setup  # comparison groups of 25, 70 and 200 communes, then on a Dask LocalCluster (see README)
	$(BIN)/python bench/scale.py

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check .

sample: setup
	$(BIN)/python scripts/make_sample_district.py

registry: setup  # rewrite the national list from the installed vietnam-provinces (read the diff, commit it)
	$(BIN)/python -m devtools.national_registry

clean:
	rm -rf data/processed/*.parquet outputs/*
