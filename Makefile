# The two commands of the README's quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test test-weblate lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml .ci/setup
	bash .ci/setup
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The main job on the bundled sample newsroom (this repository is a content root).
run: setup
	$(BIN)/edition sync --root .
	$(BIN)/edition status --root . --html .edition/status.html
	$(BIN)/edition publish --root .

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# Opt-in, never part of `make test`: a real Weblate (own venv, PostgreSQL from
# Debian) on 127.0.0.1, and the round trip through it (tests_weblate/).
# Installs once into /var/tmp/edition-weblate; stops PostgreSQL again if it
# started it.
test-weblate: setup
	bash .ci/weblate-setup
	$(BIN)/pytest -p no:cacheprovider -s tests_weblate; status=$$?; bash .ci/weblate-setup stop; exit $$status

clean:
	rm -rf $(VENV) .edition site .pytest_cache .mypy_cache .ruff_cache
