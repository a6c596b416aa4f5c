# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv with Python 3.12 when it is missing and install the project into it;
# `make test` also installs Debian's Chromium for the explorer's browser test (Playwright
# drives /usr/bin/chromium and never downloads a browser).

PYTHON ?= $(shell command -v python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
APT_INSTALL := apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

.PHONY: run test install clean bench readme-figure

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Installed as root (or with password-less sudo); otherwise one line says what to run.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the browser test: $(APT_INSTALL)"; \
		sh -c '$(APT_INSTALL)' >/dev/null || { echo "make: could not install chromium; run as root: $(APT_INSTALL)" >&2; exit 1; }; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
		sudo sh -c '$(APT_INSTALL)' >/dev/null || { echo "make: could not install chromium; run: sudo sh -c '$(APT_INSTALL)'" >&2; exit 1; }; \
	else \
		echo "make test needs Debian's chromium for the browser test; run: sudo sh -c '$(APT_INSTALL)'" >&2; exit 1; \
	fi

install: $(STAMP)

run: $(STAMP)
	$(BIN)/mcsim compare

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -q -n 2

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# The README's figures are the main job's uptake-by-income and acceptability figures: copied from the newest comparison.
readme-figure:
	cp "$$(ls -d results/compare/*/ | tail -n 1)figures/uptake_by_group.png" docs/figures/uptake_by_income.png
	cp "$$(ls -d results/compare/*/ | tail -n 1)figures/acceptability_curves.png" docs/figures/acceptability_curves.png
