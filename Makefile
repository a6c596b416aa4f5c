# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv with Python 3.12 when it is missing and install the project into it.

PYTHON ?= $(shell command -v python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean bench readme-figure

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/mcsim compare

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# The README's figure is the main job's uptake-by-income figure: copy it from the newest comparison.
readme-figure:
	cp "$$(ls -d results/compare/*/ | tail -n 1)figures/uptake_by_income.png" docs/figures/uptake_by_income.png
