# wiredesk: `make demo` runs the pipeline on the built-in Herat wire corpus, `make test` runs every check.
# Needs only python3 (3.11), git and make: a pinned uv is bootstrapped into .tools/ on first use.

UV_VERSION := 0.13.9
PYTHON ?= python3
UV := .tools/uv-$(UV_VERSION)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: demo airflow test lint typecheck unit sync clean eval-dedupe eval-extract browser \
	bench bench-machine bench-extraction bench-signatures bench-dedupe-scale bench-end-to-end bench-store-api \
	bench-synth bench-quick

$(UV):
	@echo "bootstrapping uv $(UV_VERSION) into .tools/ ..."
	@$(PYTHON) -m venv .tools/uv-$(UV_VERSION)
	@.tools/uv-$(UV_VERSION)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet --all-extras
	@touch $@

sync: .venv/.synced

demo: .venv/.synced
	$(UV) run --frozen --no-sync wiredesk demo

# Airflow's UI on http://127.0.0.1:$(UI_PORT) with the demo feeds (login printed; Ctrl-C stops): make airflow UI_PORT=8081
UI_PORT ?= 8080
airflow: .venv/.synced
	$(UV) run --frozen --no-sync wiredesk airflow --port $(UI_PORT)

lint: .venv/.synced
	$(UV) run --frozen --no-sync ruff check .
	$(UV) run --frozen --no-sync ruff format --check .

typecheck: .venv/.synced
	$(UV) run --frozen --no-sync mypy

# The browser test drives Debian's Chromium through Playwright (no browser download): apt-get installs it.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser test (apt-get) ..."
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

browser: $(CHROMIUM)

unit: .venv/.synced $(CHROMIUM)
	$(UV) run --frozen --no-sync pytest

test: lint typecheck unit

eval-dedupe: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/dedupe_eval.py

eval-extract: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/extract_eval.py

# Benchmarks (outside the test run; BENCHMARKS.md has the figures). bench-quick is what CI runs, inside make test.
bench-machine: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/machine.py
bench-extraction: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/extraction.py --profile
bench-signatures: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/signatures.py
bench-dedupe-scale: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/dedupe_scale.py
bench-end-to-end: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/end_to_end.py
bench-store-api: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/store_api.py
bench-synth: .venv/.synced
	$(UV) run --frozen --no-sync python benchmarks/synth.py --articles 1000000 --count-only --workers 2
bench-quick: .venv/.synced
	$(UV) run --frozen --no-sync pytest tests/benchmarks -q
bench: bench-machine bench-extraction bench-signatures bench-dedupe-scale bench-end-to-end bench-store-api

clean:
	rm -rf .venv .tools .wiredesk .pytest_cache .mypy_cache .ruff_cache
