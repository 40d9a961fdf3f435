# Two commands do all set-up: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck check-content postgres browser unit bench soak faults demo demo-miniapp clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot run

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check-content: $(STAMP)
	$(PY) -m bot content check
	$(PY) -m bot i18n check

# The tests start throwaway PostgreSQL servers of their own; this installs the server when missing.
postgres:
	@sh scripts/ensure-postgres.sh

# The Mini App's browser tests drive Debian's Chromium; this installs it when it is missing.
browser:
	@sh scripts/ensure-chromium.sh

test: lint typecheck check-content postgres browser
	$(VENV)/bin/pytest -m "not slow"

soak: $(STAMP) postgres
	$(VENV)/bin/pytest -m slow

# The full fault tests with real processes: three instances on one PostgreSQL, 10 SIGKILLs
# during a 2,000-pair wave, a dead polling leader, PostgreSQL restarted 3 times (a few minutes).
# `make test` runs them small; `make soak` runs them with every other full-size test.
faults: $(STAMP) postgres
	NEARER_FULL=1 $(VENV)/bin/pytest tests/reliability/test_instances.py

bench: $(STAMP) postgres
	$(PY) -m bench

demo: $(STAMP)
	$(PY) -m sandbox.demo

demo-miniapp: $(STAMP)
	$(PY) -m sandbox.miniapp

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
