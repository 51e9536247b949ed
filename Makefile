# ejournal: `make run` brings the whole system up, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTANCE := $(or $(EJOURNAL_INSTANCE),$(CURDIR)/instance)
PORT ?= 8000

# Without REDIS_URL the embedded Redis runs beside the other processes.
ifeq ($(strip $(REDIS_URL)),)
RUN_REDIS_URL := unix://$(INSTANCE)/redis.sock
PROCESSES := redis web worker cron
else
RUN_REDIS_URL := $(REDIS_URL)
PROCESSES := web worker cron
endif

# The suite runs in parallel, one pytest-xdist worker per core; PYTEST_ARGS="-n 0" runs it serially.
PYTEST_WORKERS ?= auto

.PHONY: run test test-e2e bench lint setup setup-dev deps

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What runs (make run) and, on top of it, what tests and lints (make test, bench, lint).
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

# Re-pin after editing requirements.in or requirements-dev.in (pip-tools, with hashes).
deps: | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements-dev.txt requirements-dev.in

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo
	@echo "  Электронный журнал: http://127.0.0.1:$(PORT)/"
	@echo "  Демо-входы (пароль demo): admin, deputy, head, teacher, classteacher"
	@echo "  Остановить: Ctrl-C"
	@echo
	PATH="$(BIN):$$PATH" TZ=Europe/Moscow REDIS_URL="$(RUN_REDIS_URL)" EJOURNAL_BIND=127.0.0.1:$(PORT) \
		$(BIN)/honcho start -f Procfile $(PROCESSES)

test: setup-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Only the browser tests (Playwright + Debian's chromium: `apt-get install chromium`).
test-e2e: setup-dev
	$(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

bench: setup-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: setup-dev
	$(BIN)/python -m ruff check .
