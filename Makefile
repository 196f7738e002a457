# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEV := DJANGO_DEBUG=true PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: run test install install-dev requirements audit lint format migrations-check ci clean

## Start web, worker and beat on embedded defaults (SQLite, filesystem broker, emails as
## files in var/mail/, read at /staff/dev/outbox/). Ctrl-C stops all three.
run: install
	mkdir -p var
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py seed_demo
	$(DEV) $(BIN)/python manage.py setup_periodic_tasks
	$(DEV) PATIENT_EMAIL_HOURS=$${PATIENT_EMAIL_HOURS:-00:00-24:00} $(BIN)/python -m clinic.run_dev \
		|| test $$? -eq 130  # Ctrl-C: honcho stops all three and exits 130; not an error

## Run the whole test suite (SQLite unless DATABASE_URL is set), in random order
## (pytest-randomly prints the seed). Extra pytest options go in PYTEST_ARGS, e.g.
## make test PYTEST_ARGS='-m "not services and not postgres"' or
## PYTEST_ARGS='-p randomly --randomly-seed=1234' to replay an order (docs/testing.md).
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

## Install the production requirements (hash-checked, once), then compile the translations
## (locale/*.po -> .mo, only those that changed; needs GNU gettext's msgfmt). See
## docs/languages.md. `make run` needs nothing more.
install: $(VENV)/.installed
	$(DEV) $(BIN)/python manage.py compilemessages --ignore=$(VENV) --verbosity=0

## ...and the test, lint, browser and benchmark tools (requirements-dev.txt).
install-dev: $(VENV)/.installed-dev install

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $@

## Compile requirements.in and requirements-dev.in into the pinned, hashed .txt files
## after changing a .in file; `make requirements PIP_COMPILE_ARGS=--upgrade` moves every
## package to its newest allowed version (--upgrade-package NAME for one). Then make test.
PIP_TOOLS := pip-tools==7.6.2
COMPILE = CUSTOM_COMPILE_COMMAND="make requirements" $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
	--no-emit-find-links $(PIP_COMPILE_ARGS)
requirements: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet $(PIP_TOOLS)
	$(COMPILE) --output-file=requirements.txt requirements.in
	$(COMPILE) --output-file=requirements-dev.txt requirements-dev.in

## Known vulnerabilities in both pinned files (pip-audit; docs/security.md, "Supply chain"):
## a found one fails, no advisory source reachable says "not checked".
audit: install-dev
	$(BIN)/python .ci/audit_requirements.py requirements.txt requirements-dev.txt

## Style (ruff), the layers (import-linter's contracts) and types (mypy), as pyproject.toml
## configures them.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV) $(BIN)/lint-imports
	$(DEV) $(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .hypothesis locale/*/LC_MESSAGES/*.mo
