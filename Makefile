# Shortcuts for the README's two commands (both create or reuse .venv at the repository root).
.PHONY: demo test lint benchmarks

demo:
	python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/sbexplore demo --out runs/demo

test:
	python3 -m venv .venv && .venv/bin/pip install -e ".[dev,ray]" && .venv/bin/python -m pytest

lint:
	.venv/bin/ruff check sbexplore tests benchmarks

benchmarks:
	.venv/bin/python -m benchmarks.bench_selection
	.venv/bin/python -m benchmarks.bench_epoch
	.venv/bin/python -m benchmarks.bench_live_view
	.venv/bin/python -m benchmarks.bench_demo
	.venv/bin/python -m benchmarks.bench_sweep
