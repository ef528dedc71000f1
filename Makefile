# One-word entry points. Variables: DB=sqlite|postgres|mysql, PYTHON, VENV, DJANGO, PYTEST_ARGS.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
DB ?= sqlite
DJANGO ?= Django>=5.2,<6
PYTEST_ARGS ?=
PY := $(abspath $(VENV))/bin/python
DB_EXTRA := $(if $(filter mysql,$(DB)),mysqlclient,)

.PHONY: run test lint format venv venv-dev sample-setup bench clean

## make run: set up and start the sample project (server on :8000, one worker, the demo webhook
## receiver on :8001); Ctrl-C stops them all
run: sample-setup
	@cd sample_project; \
	  echo "Sample project: http://127.0.0.1:8000/  (admin and dashboard login: admin / admin)"; \
	  echo "Customer portal: http://127.0.0.1:8000/webhooks/  (demo customers: acme / acme, globex / globex)"; \
	  $(PY) manage.py ironrelay_worker & worker=$$!; \
	  $(PY) manage.py demo_receiver & receiver=$$!; \
	  trap 'kill -TERM $$worker $$receiver 2>/dev/null; wait $$worker $$receiver' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

# One pip install each: IronRelay (editable) with its dependencies, plus Django in the chosen range.
sample-setup: venv
	@echo "Installing IronRelay and $(DJANGO) into $(VENV)"
	@cd sample_project && $(PY) -m pip install -q "$(DJANGO)" -r requirements.txt
	@echo "Migrating the sample project's SQLite database"
	@cd sample_project && $(PY) manage.py migrate --noinput -v 0
	@cd sample_project && DJANGO_SUPERUSER_PASSWORD=admin $(PY) manage.py createsuperuser \
	  --noinput --username admin --email admin@example.com >/dev/null 2>&1 || true

## make test: set up the dev environment and run the suite (DB=postgres|mysql for a server)
test: venv-dev
	IRONRELAY_TEST_DB=$(DB) $(PY) -m pytest $(PYTEST_ARGS)

lint: venv-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy ironrelay

format: venv-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# The virtualenv itself; each target that needs packages installs them in one pip call.
venv:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip

venv-dev: venv
	@echo "Installing IronRelay with its dev tools and $(DJANGO) into $(VENV)"
	@$(PY) -m pip install -q "$(DJANGO)" -e ".[dev]" $(DB_EXTRA)

## make bench: the side-by-side benchmark against the peers (bench/README.md; BENCH_ARGS=--quick)
bench:
	bash bench/run.sh $(BENCH_ARGS)

clean:
	rm -rf .venv .venv-* build dist *.egg-info sample_project/db.sqlite3*
