# The two commands of the README's quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint clean

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

clean:
	rm -rf $(VENV) .edition site .pytest_cache .mypy_cache .ruff_cache
