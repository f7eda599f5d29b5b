# Tickerlake: `make run` serves the platform, `make test` runs the tests, `make lint` checks the code.
# Setup is stamp-based, so a second run does nothing it does not need to.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SHELL  := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip warns about this machine's optional local index folders; keep real errors visible.
QUIET_PIP := grep -v "^WARNING: Location 'file://" || true

.DEFAULT_GOAL := help
.PHONY: help setup run test lint bench airflow demo services-up services-down clean-data constraints

help:
	@echo "make run      set up what is missing, build the demo lake, serve http://127.0.0.1:8501"
	@echo "make test     set up what is missing (test tools, chromium) and run pytest"
	@echo "make airflow  Airflow UI (standalone) with airflow/ as the DAGs folder"
	@echo "make lint     ruff format --check, ruff check and mypy"
	@echo "make bench    speed measurements in benchmarks/"

$(BIN)/python:
	@echo "Creating virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml | $(BIN)/python
	@echo "Installing Python dependencies (first run takes a couple of minutes)"
	@$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt 2>&1 | { $(QUIET_PIP); }
	@$(BIN)/pip install -q --no-deps -e . 2>&1 | { $(QUIET_PIP); }
	@touch $@

# Debian's libssl1.1 for the embedded Redis Stack binaries, unpacked into the venv.
$(VENV)/opt/libssl1.1/.installed: $(STAMP)
	@$(BIN)/tickerlake services install

setup: $(STAMP) $(VENV)/opt/libssl1.1/.installed

/usr/bin/chromium:
	@echo "Installing Debian's chromium for the browser tests"
	@$(SUDO) apt-get update -qq
	@DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null

run: setup
	@$(BIN)/tickerlake run

test: setup /usr/bin/chromium
	@$(BIN)/pytest

lint: $(STAMP)
	@$(BIN)/ruff format --check .
	@$(BIN)/ruff check .
	@$(BIN)/mypy

bench: setup
	@$(BIN)/python -m benchmarks

airflow: setup
	@$(BIN)/tickerlake airflow

demo: setup
	@$(BIN)/tickerlake demo

services-up: setup
	@$(BIN)/tickerlake services up

services-down: $(STAMP)
	@$(BIN)/tickerlake services down

clean-data: services-down
	rm -rf data

constraints: $(BIN)/python
	@$(BIN)/pip freeze --exclude-editable | sed '1i # Full pin set, resolved together (pip install -c constraints.txt). Regenerate with: make constraints' > constraints.txt
