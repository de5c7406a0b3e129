# The two set-up commands: `make run` and `make test` (see README.md).
# Each creates .venv when missing, installs the project into it (editable) and whatever
# the machine lacks (Debian chromium + chromium-driver for the browser tests, postgresql for the store tests), then runs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=
APT_PACKAGES := chromium chromium-driver postgresql

.PHONY: run test install browser bench bench-install bench-erlang bench-forecast bench-schedule bench-plan bench-app bench-intraday bench-many clean

run: $(STAMP)
	$(BIN)/planner demo --reuse
	$(BIN)/planner app

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Debian's chromium and its driver, and the PostgreSQL server the store tests start; installed with apt-get (sudo when not root) only when missing.
browser:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

# Benchmarks compare with peers (pyworkforce); they are not part of `make test`. Each appends
# its result (date, machine, ratio to the peer) to benchmarks/RESULTS.md.
bench-install: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"

bench: bench-erlang bench-forecast bench-schedule bench-plan bench-app bench-intraday bench-many

bench-erlang: bench-install
	$(BIN)/python benchmarks/erlang_speed.py

bench-forecast: bench-install
	$(BIN)/python benchmarks/forecast_accuracy.py

bench-schedule: bench-install
	$(BIN)/python benchmarks/schedule_week.py

bench-plan: bench-install
	$(BIN)/python benchmarks/plan_week.py
	$(BIN)/python benchmarks/warm_scenarios.py
	$(BIN)/python benchmarks/plan_gap.py

bench-app: bench-install browser
	$(BIN)/python benchmarks/app_pages.py

bench-intraday: bench-install
	$(BIN)/python benchmarks/intraday_accuracy.py
	$(BIN)/python benchmarks/intraday_replan.py

bench-many: bench-install
	$(BIN)/python benchmarks/many_queues.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis tests/ui/artifacts
