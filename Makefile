# WSR Platform. The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# Django 6 needs Python >= 3.12: take the first one found on PATH or under pyenv.
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 /root/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
# Front-end libraries (Leaflet, Chart.js) come from npm when the project declares them.
NPM_STAMP := $(if $(wildcard package.json),node_modules/.installed)
# Translations: compiled whenever a .po file is newer than its .mo.
PO_FILES := $(shell find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o -name '*.po' -print 2>/dev/null)
MO_FILES := $(PO_FILES:.po=.mo)

# The whole dependency tree, pinned with hashes: requirements.lock (what the image
# installs) and requirements-dev.lock (that plus the tools of `make test`/`make lint`),
# both made from pyproject.toml by `make lock` with uv.
UV_VERSION := 0.13.9
LOCK_FLAGS := --universal --python-version 3.12 --generate-hashes --quiet --custom-compile-command "make lock"
# pytest-xdist workers for `make test` (0: one process). Each worker has a database and
# a pair of Redis dbs of its own (config/settings/test.py); more than the cores only waits.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 8 ] && n=8; echo $$n)

.PHONY: run test chaos lint format install lock system-packages services migrate demo static backup restore bench fuzz clean-venv

$(VENV)/.installed: pyproject.toml requirements-dev.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (Django 6). Install it, or run: make PYTHON=/path/to/python3.12"; exit 1; }
	@# A lock older than pyproject.toml's dependencies is refused, not silently
	@# re-resolved: what gets installed is always what was committed and reviewed.
	@$(PYTHON) scripts/lock.py check
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q --require-hashes -r requirements-dev.lock
	@touch $@

# Resolve pyproject.toml again into both lock files (every pin not affected stays where it
# was: uv starts from the current lock), then stamp them with pyproject's fingerprint.
lock:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (Django 6)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/uv --version 2>/dev/null | grep -q " $(UV_VERSION)" || $(PIP) install -q "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_FLAGS) -o requirements-dev.lock
	$(PYTHON) scripts/lock.py stamp

# The system packages the tests and the demo need (Chromium, gettext, poppler, fonts,
# the PostgreSQL client, npm): apt-get installs the missing ones, as root or with sudo -n.
system-packages:
	@scripts/system-packages.sh

node_modules/.installed: package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null || { echo "npm is required for the front-end libraries (apt-get install npm)."; exit 1; }
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	@touch $@

%.mo: %.po
	@command -v msgfmt >/dev/null || { echo "msgfmt is required to compile translations (apt-get install gettext)."; exit 1; }
	msgfmt --check-format -o $@ $<

install: $(VENV)/.installed $(NPM_STAMP) $(MO_FILES)

# Say which of PostgreSQL / Redis is missing and how to start it; create the database.
services: install
	@$(PY) manage.py check_services --create-db

migrate: services
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

static: install
	$(PY) manage.py collectstatic --noinput -v 0

# From a fresh clone: venv, install, database, migrations, demo data, static files, then
# the web server, a Celery worker and Celery beat until Ctrl-C.
run: system-packages demo static
	@PY=$(PY) VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) scripts/run.sh

# On a CI machine (CI=true) PostgreSQL and Redis are started when installed but down.
# The duration is printed at the end, pass or fail.
test: system-packages install
	@if [ "$$CI" = "true" ]; then scripts/system-packages.sh --start-services; fi
	@start=$$(date +%s); status=0; \
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) || status=$$?; \
	echo "make test: $$(( $$(date +%s) - start ))s with $(TEST_WORKERS) workers"; exit $$status

# Schemathesis with its coverage phase and a large budget (>= 200 cases per operation and
# role); stops by itself. Record its last result in docs/security.md.
fuzz: install
	@mkdir -p var
	WSR_FUZZ_COVERAGE=1 WSR_FUZZ_COVERAGE_PER_GROUP=$(or $(FUZZ_COVERAGE_PER_GROUP),0) \
		WSR_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),200) \
		WSR_FUZZ_STATEFUL=$(or $(FUZZ_STATEFUL),50) WSR_FUZZ_REPORT=var/fuzz-last.json \
		$(VENV)/bin/pytest -q -p no:cacheprovider -p no:randomly tests/security/test_api_fuzz.py $(PYTEST_ARGS)
# The slow fault-injection probes (tests/reliability, marker `chaos`): worker SIGKILL,
# Redis stopped and hung, DB connection terminated, intake during apply. Real processes
# (their own redis-server, Celery workers, gunicorn); several minutes.
chaos: install
	$(VENV)/bin/pytest -m chaos tests/reliability $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# pg_dump (custom format) into var/backups/, and the stored files (as stored: encrypted)
# into <dump>.files/ with a SHA-256 manifest; `make restore FILE=var/backups/x.dump
# [DB=new_db_name]` restores into a new database (or, with CLEAN=1, over the current one),
# puts the files back (checked against the manifest), reports every file the database
# refers to that is missing or corrupt, and verifies the audit chain there.
backup: install
	$(PY) manage.py db_backup

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/<name>.dump [DB=<new database>] [CLEAN=1]"; exit 1; }
	$(PY) manage.py db_restore "$(FILE)" $(if $(DB),--database "$(DB)" --create) $(if $(CLEAN),--clean)

bench: install
	@if [ -x bench/run.sh ]; then bench/run.sh; else echo "bench/run.sh is not there yet."; fi
