# Two entry points: `make demo` (set up + run the main job) and `make test` (set up + test suite).
# Both create or reuse the virtual environment .venv at the repository root.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
EXTRAS ?= dev,ray

.PHONY: setup demo test lint clean

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "sbexplore needs Python >= 3.10"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

setup: $(VENV)/.installed-$(EXTRAS)

demo: setup
	$(VENV)/bin/sbexplore demo --out runs/demo

test: setup
	$(PY) -m pytest -q -rs

lint: setup
	$(VENV)/bin/ruff check sbexplore tests benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
