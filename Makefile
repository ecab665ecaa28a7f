# bareoslab: everything installs into .venv/ at the repository root.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LAB_DIR ?= lab

.PHONY: all system venv test unit integration roles molecule lint lint-ansible image lab lab-down specs \
	lab-local lab-local-down bench clean collection fuzz

all: test

# The Debian packages the lab and the tests need (installed as root, else named in one line).
system:
	@tools/system-packages

$(STAMP): pyproject.toml | system
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lab]'
	touch $@

venv: system $(STAMP)

lint: venv lint-ansible
	$(VENV)/bin/ruff check daemons tests bench tools fuzz
	$(VENV)/bin/mypy

# Roles, playbooks, inventories and molecule scenarios, production profile (.ansible-lint).
lint-ansible: venv
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint roles playbooks inventories molecule

# The roles' argument specs and schema variables, generated from the config schema.
specs: venv
	$(PY) tools/generate_role_specs.py

# The roles' tests: argument specs against the schema, bad topologies, rendered configs (-t).
roles: venv
	$(PY) -m pytest tests/roles

unit: venv
	$(PY) -m pytest tests/unit

integration: venv
	$(PY) -m pytest tests/integration

# Every fuzz target for FUZZ_SECONDS (60) each; `make test` runs a bounded, seeded pass of each
# (tests/fuzz). A crash leaves crash-<sha1> in fuzz/artifacts/: copy it to fuzz/regressions/<target>/.
FUZZ_SECONDS ?= 60
fuzz: venv
	@mkdir -p fuzz/artifacts
	@for target in $$($(PY) fuzz/run.py --list); do \
		echo "== $$target ($(FUZZ_SECONDS) s)"; \
		$(PY) fuzz/run.py $$target -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/artifacts/$$target- \
			> fuzz/artifacts/$$target.log 2>&1; status=$$?; \
		grep -v '^INFO: Instrumenting' fuzz/artifacts/$$target.log | tail -3; \
		[ $$status -eq 0 ] || exit 1; \
	done

# The molecule scenarios (default, two-sd, ssh, faults) in Docker containers; they need a reachable
# Docker Engine, else they fail saying so. BAREOSLAB_SKIP_MOLECULE=1 skips them.
molecule: venv
ifeq ($(BAREOSLAB_SKIP_MOLECULE),1)
	@echo "molecule scenarios skipped (BAREOSLAB_SKIP_MOLECULE=1)"
else
	$(VENV)/bin/bareoslab containers test
endif

# Three phases, each announced and timed (tools/phase).
test: venv
	@tools/phase 1/3 "lint: ruff, mypy, ansible-lint" $(MAKE) --no-print-directory lint
	@tools/phase 2/3 "pytest: unit, roles, fuzz, integration" $(PY) -m pytest
	@tools/phase 3/3 "molecule scenarios in Docker" $(MAKE) --no-print-directory molecule

# The containers' Debian image, built here from the host's apt sources (never pulled).
image: venv
	$(VENV)/bin/bareoslab image

# The lab: the two-SD topology in containers, deployed by the roles; backups, a restore,
# a local copy and a remote migrate; the catalog's outcome as a table. It keeps running.
# The roles and playbooks as an Ansible collection (bareoslab.lab) in build/.
collection: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path build

lab: venv
	$(VENV)/bin/bareoslab containers up
	$(VENV)/bin/bareoslab containers run

lab-down: venv
	$(VENV)/bin/bareoslab containers down

# The lab without containers: one Director, Storage and File daemon on loopback,
# a Full and an Incremental backup and a restore, compared with the source.
lab-local: venv
	$(VENV)/bin/bareoslab local demo --dir $(LAB_DIR)

lab-local-down: venv
	$(VENV)/bin/bareoslab local down --dir $(LAB_DIR)

bench: venv
	$(PY) bench/run_bench.py --extras copy,scale,queue,tls

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
