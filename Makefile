# The two commands: `make run` (demo on SQLite at http://127.0.0.1:5000) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
PG_URL ?= postgresql://tcn:tcn@127.0.0.1:5432/tocongnghe_test
PYTEST_ARGS ?=

.PHONY: prod run test test-today test-ahead deps test-deps translations translations-update system-test-deps postgres bench clean

$(VENV)/.deps: requirements.txt
	@test -x $(PY) || python3 -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: $(VENV)/.deps requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

deps: $(VENV)/.deps
test-deps: $(VENV)/.test-deps

# The Vietnamese lives in translations/vi/LC_MESSAGES/messages.po, edited by hand. `make translations`
# compiles it for `make run` and `make test`; after adding or changing a _("…") in the code or a
# template, `make translations-update` adds the new English msgids to messages.po with an empty msgstr
# (and drops those no longer used), then lists the entries still to translate.
# tests/test_translations.py fails while one is missing, empty or fuzzy.
PYBABEL := $(VENV)/bin/pybabel
PO := translations/vi/LC_MESSAGES/messages.po

translations: $(VENV)/.deps
	@$(PYBABEL) -q compile -d translations

translations-update: $(VENV)/.deps
	$(PYBABEL) -q extract -F babel.cfg -k _l --add-location=file --no-wrap -o translations/messages.pot .
	$(PYBABEL) -q update -N --ignore-obsolete --ignore-pot-creation-date --no-wrap \
	  -i translations/messages.pot -d translations -l vi
	@$(PY) -c 'from babel.messages.pofile import read_po; \
	  todo = [m.id for m in read_po(open("$(PO)", "rb")) if m.id and (not m.string or m.fuzzy)]; \
	  print("$(PO): " + (f"{len(todo)} to translate:" if todo else "every entry translated.")); \
	  [print("  " + str(i)) for i in todo]'

instance/secret_key:  # signs sessions and SMS acknowledgement links; kept across runs, readable by you only
	@$(PY) -c "import config; config.ensure_secret_key_file()"

instance/vapid_private.pem:  # Web Push's VAPID key (VAPID_PRIVATE_KEY wins); browsers subscribe to it, so it is kept
	@$(PY) -c "import config; config.ensure_vapid_key_file()"

run: deps translations instance/secret_key instance/vapid_private.pem
	$(FLASK) db upgrade
	$(FLASK) geo load
	$(FLASK) demo load
	$(PY) tools/run_demo.py  # web + scheduler + dispatcher + local SMS sandbox (unless TWILIO_* is set)

# The production stack (docs/production.md): checks the settings production must have, migrates,
# loads the geography, then gunicorn + one scheduler + DISPATCHERS dispatchers under supervisord.
prod: deps translations
	$(PY) tools/prod.py

# Debian packages the tests need: PostgreSQL 15, Chromium (never a downloaded browser) and faketime.
system-test-deps:
	@if ! command -v pg_ctlcluster >/dev/null || [ ! -x /usr/bin/chromium ] || ! command -v faketime >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql chromium faketime >/dev/null; fi

postgres: system-test-deps
	@pg_lsclusters -h | grep -q . || pg_createcluster $$(ls /usr/lib/postgresql | sort -V | tail -1) main
	@pg_lsclusters -h | grep -q online || pg_ctlcluster $$(pg_lsclusters -h | awk 'NR==1{print $$1" "$$2}') start
	@su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='tcn'\"" | grep -q 1 || \
	  su postgres -c "psql -qc \"CREATE ROLE tcn LOGIN PASSWORD 'tcn' CREATEDB\""
	@su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='tocongnghe_test'\"" | grep -q 1 || \
	  su postgres -c "createdb -O tcn tocongnghe_test"

# `make test`: the whole suite on SQLite and PostgreSQL today, then the SQLite half again with the
# machine's clock moved three years ahead (libfaketime), so a test tied to a calendar date shows itself.
test: test-today test-ahead

test-today: test-deps translations postgres
	TEST_DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -q $(PYTEST_ARGS)

# Chromium's CPU throttling stalls under libfaketime (the page never loads): the two tests that
# slow the CPU down to a cheap phone's run in test-today only; every other browser test runs here too.
test-ahead: test-deps translations system-test-deps
	TEST_DATABASES=sqlite faketime '+3 years' $(VENV)/bin/pytest -q -m "not cpu_throttled" $(PYTEST_ARGS)

bench: test-deps translations postgres instance/secret_key
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	@su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='tocongnghe_bench'\"" | grep -q 1 || \
	  su postgres -c "createdb -O tcn tocongnghe_bench"
	DATABASE_URL=postgresql://tcn:tcn@127.0.0.1:5432/tocongnghe_bench $(PY) bench/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache
