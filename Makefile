# The two commands a new user runs: `make demo` and `make test`. Both need only python3.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MANAGE := $(PY) example_project/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-postgres lint build clean venv messages

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e ".[pdf,ocr,notify,rq,test,example,dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	$(MANAGE) walk_demo_cases
	@echo ""
	@echo "Serving the example council intranet on http://$(HOST):$(PORT)/"
	@echo "  API:          http://$(HOST):$(PORT)/api/safety/"
	@echo "  API docs:     http://$(HOST):$(PORT)/api/docs/"
	@echo "  Schema:       http://$(HOST):$(PORT)/api/schema/"
	@echo "  Admin:        http://$(HOST):$(PORT)/admin/"
	@echo "Bundles and notices are done by task workers started beside the server (Ctrl-C stops them all)."
	$(MANAGE) serve_demo --addr $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_ARGS)

# The message catalogues (docs/development.md, "Messages and translations"): extract every marked string into the
# English source catalogue and the Welsh one, then compile them. Needs GNU gettext (apt-get install gettext); a
# server never does, as the compiled .mo files are committed and shipped. New Welsh entries come out untranslated
# ("untranslated messages" below, and tests/test_language.py fails) until they are translated in
# safety_workflow/locale/cy/LC_MESSAGES/django.po; then run this again to compile them.
MESSAGES := cd safety_workflow && ../$(PY) -P ../example_project/manage.py
messages: $(STAMP)
	$(MESSAGES) makemessages --locale cy --locale en --add-location file --ignore "migrations/*"
	$(MESSAGES) compilemessages --locale cy --locale en
	msgfmt --check --statistics -o /dev/null safety_workflow/locale/cy/LC_MESSAGES/django.po

lint: $(STAMP)
	$(PY) -m ruff check safety_workflow tests example_project bench

build: $(STAMP)
	$(PY) -m build

clean:
	rm -rf $(VENV) build dist *.egg-info example_project/db.sqlite3 example_project/media
