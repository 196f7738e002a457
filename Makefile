# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEV := DJANGO_DEBUG=true PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: run test install lint format migrations-check ci clean

## Start web, worker and beat on embedded defaults (SQLite, filesystem broker, console email).
run: install
	mkdir -p var
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py seed_demo
	$(DEV) $(BIN)/python manage.py setup_periodic_tasks
	$(DEV) PATIENT_EMAIL_HOURS=$${PATIENT_EMAIL_HOURS:-00:00-24:00} $(BIN)/honcho start

## Run the whole test suite (SQLite unless DATABASE_URL is set). Extra pytest options go in
## PYTEST_ARGS, e.g. make test PYTEST_ARGS='-m "not services and not postgres"' (docs/testing.md).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

## Install the pinned requirements (once), then compile the translations (locale/*.po -> .mo,
## only those that changed; needs GNU gettext's msgfmt). See docs/languages.md.
install: $(VENV)/.installed
	$(DEV) $(BIN)/python manage.py compilemessages --ignore=$(VENV) --verbosity=0

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .hypothesis locale/*/LC_MESSAGES/*.mo
