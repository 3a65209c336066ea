# VA Portal. `make run` starts the portal with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test floors lint install assets chromium bench clean

# Where make run's web server listens; links in its emails point there unless SITE_URL says.
WEB_ADDRESS ?= 127.0.0.1:8000
export WEB_ADDRESS

run: install assets
	mkdir -p var/broker var/media
	test -s var/inbound-secret || $(PY) -c 'import secrets; print(secrets.token_urlsafe(32))' > var/inbound-secret
	DJANGO_SETTINGS_MODULE=vapportal.settings.base $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=vapportal.settings.base $(PY) manage.py seed_demo
	@echo "VA Portal: http://$(WEB_ADDRESS)  (demo logins in README.md; Ctrl-C stops everything)"
	@echo "Vendor replies: curl --data-binary @reply.eml -H \"X-Inbound-Secret: $$(cat var/inbound-secret)\" http://$(WEB_ADDRESS)/vendors/inbound/"
	VENDOR_INBOUND_SECRET="$${VENDOR_INBOUND_SECRET:-$$(cat var/inbound-secret)}" $(VENV)/bin/honcho start -f Procfile

test: install assets chromium lint
	$(PY) -m pytest $(PYTEST_ARGS)

# The whole suite again on the lowest versions pyproject.toml allows (uv's lowest-direct
# resolution), in a virtualenv of its own: every floor we claim is one we have run.
floors: install assets chromium
	$(PY) -m pip install --quiet uv
	mkdir -p var
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --resolution lowest-direct \
		--python-version 3.11 --quiet -o var/floors.txt
	test -x .venv-floors/bin/python || $(PYTHON) -m venv .venv-floors
	.venv-floors/bin/python -m pip install --quiet -r var/floors.txt
	.venv-floors/bin/python -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=vapportal.settings.production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		TRAVEL_ENCRYPTION_KEYS=lint-only ALLOWED_HOSTS=portal.example DATABASE_URL=sqlite:///:memory: \
		CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
		$(PY) manage.py check --deploy --fail-level WARNING

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed: install python3.11 and try again."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

assets: static/vendor/.installed

static/vendor/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the front-end packages: install Node.js 20 and try again."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
		node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
		static/vendor/bootstrap/
	touch $@

chromium:
	@bash scripts/ensure-chromium.sh

# Load test on PostgreSQL and gunicorn over loopback; prints a table, writes var/bench/results.md.
bench: install assets
	@command -v wrk >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then \
			DEBIAN_FRONTEND=noninteractive apt-get install -y wrk || \
			{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }; \
		else echo "wrk is needed: sudo apt-get install -y wrk"; exit 1; fi; }
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-floors node_modules static/vendor staticfiles var
