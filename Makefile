# Two commands for a fresh machine: `make run` (the app on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
STAMP  := $(VENV)/.installed

.PHONY: run test deps translations serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

deps: $(STAMP)

translations: deps
	$(BIN)/python scripts/i18n.py compile

run: translations
	$(BIN)/flask --app wsgi db-upgrade
	$(BIN)/flask --app wsgi seed-demo
	# The background jobs' consumer runs beside the dev server (SQLite queue in instance/) and stops with it.
	$(BIN)/flask --app wsgi jobs-worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

test: translations
	bash scripts/test.sh

clean:
	rm -rf $(VENV) instance/*.sqlite3* test-artifacts
