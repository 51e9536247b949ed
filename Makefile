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

.PHONY: run test test-e2e bench lint setup

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

setup: $(VENV)/.installed

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

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Only the browser tests (Playwright + Debian's chromium: `apt-get install chromium`).
test-e2e: setup
	$(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: setup
	$(BIN)/python -m ruff check .
