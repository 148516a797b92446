# Shortcuts for the README's two commands (both create or reuse .venv at the repository root).
.PHONY: demo test test-fast lint benchmarks

demo:
	python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/sbexplore demo --out runs/demo

test:
	python3 -m venv .venv && .venv/bin/pip install -e ".[dev,ray]" && .venv/bin/python -m pytest

test-fast:  # the fast tier: every test not marked slow (about 1.5 min on 2 cores)
	.venv/bin/python -m pytest -m "not slow"

lint:
	.venv/bin/ruff check sbexplore tests benchmarks notebooks

benchmarks:
	.venv/bin/python -m benchmarks.bench_selection
	.venv/bin/python -m benchmarks.bench_epoch
	.venv/bin/python -m benchmarks.bench_live_view
	.venv/bin/python -m benchmarks.bench_demo
	.venv/bin/python -m benchmarks.bench_sweep
