# bareoslab: everything installs into .venv/ at the repository root.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LAB_DIR ?= lab

.PHONY: all venv test unit integration roles lint lint-ansible lab lab-down bench clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lab]'
	touch $@

venv: $(STAMP)

lint: venv lint-ansible
	$(VENV)/bin/ruff check daemons tests bench

# Roles, playbooks and inventories, production profile (.ansible-lint).
lint-ansible: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint roles playbooks inventories

# The roles' tests: argument specs against the schema, bad topologies, rendered configs (-t).
roles: venv
	$(PY) -m pytest tests/roles

unit: venv
	$(PY) -m pytest tests/unit

integration: venv
	$(PY) -m pytest tests/integration

test: lint
	$(PY) -m pytest

# The local lab: one Director, one Storage and one File daemon on loopback,
# a Full and an Incremental backup and a restore, compared with the source.
lab: venv
	$(VENV)/bin/bareoslab local demo --dir $(LAB_DIR)

lab-down: venv
	$(VENV)/bin/bareoslab local down --dir $(LAB_DIR)

bench: venv
	$(PY) bench/run_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
