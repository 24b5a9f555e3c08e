# Toolchain of the assetops.licensing collection (GNU make).
#
#   make test        everything CI checks, in order: units integration compat reliability packaging molecule sanity
#                    lint changelog-lint docs-lint
#   make install     build the collection tarball and install it into COLLECTIONS_PATH (~/.ansible/collections,
#                    on ansible's default search path: `ansible-doc assetops.licensing.vpp_assignment` then finds it)
#   make bench       the benchmarks against the simulator; writes docs/benchmarks.md and docs/benchmarks.png
#   make help        list the targets
#
# Every target that needs tools depends on `venv`, which creates .venv from requirements-dev.txt
# and re-installs only when requirements-dev.txt or requirements.txt changed. `compat` has its own
# .venv-compat with the oldest ansible-core the collection claims (tests/utils/requirements-compat.txt).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VENV_BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.requirements-installed
# Tools run with the venv first on PATH: ansible-lint and ansible-test call ansible-* by name.
IN_VENV := env PATH="$(abspath $(VENV_BIN)):$$PATH"
PYTEST := $(IN_VENV) $(VENV_BIN)/python -m pytest
# The oldest ansible-core that meta/runtime.yml claims, in its own venv. ansible-core 2.17 runs on a
# controller Python 3.10 to 3.12: .venv-compat is made with the first of COMPAT_PYTHONS that is one, or
# with COMPAT_PYTHON=/path/to/python3.x if given.
COMPAT_PYTHONS := python3.12 python3.11 python3.10 python3
COMPAT_PYTHON ?=
COMPAT_VENV := .venv-compat
COMPAT_REQUIREMENTS := tests/utils/requirements-compat.txt
COMPAT_STAMP := $(COMPAT_VENV)/.requirements-installed
COMPAT_ARGS ?=
# `make build` writes the tarball (ansible-galaxy collection build; galaxy.yml's build_ignore leaves out venvs,
# caches and test output) into BUILD_DIR; `make install` installs it into COLLECTIONS_PATH, by default the
# first folder of ansible's default collections path, so ansible, ansible-doc and ansible-playbook find it
# with no setting. Another folder: `make install COLLECTIONS_PATH=/srv/collections`, then put it on
# ANSIBLE_COLLECTIONS_PATH. The installed copy does not follow the checkout: run `make install` again.
BUILD_DIR ?= .build
COLLECTIONS_PATH ?= $(HOME)/.ansible/collections
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml | tr -d "\"' ")
TARBALL := $(BUILD_DIR)/assetops-licensing-$(COLLECTION_VERSION).tar.gz
# Extra arguments, e.g. `make units PYTEST_ARGS=-x`, `make sanity SANITY_ARGS="--test pylint"`.
PYTEST_ARGS ?=
SANITY_ARGS ?=
LINT_ARGS ?=

# Unit test folders that exist (tests/simulator/tests is written separately; git keeps no empty folder).
UNIT_PATHS := $(wildcard tests/unit tests/simulator/tests)

# The steps of `make test`, in order.
TEST_STEPS := units integration compat reliability packaging molecule sanity lint changelog-lint docs-lint

.PHONY: help system-packages venv test $(TEST_STEPS) molecule packaging docs docs-lint demo bench build install clean distclean

help:
	@echo "Targets:"
	@echo "  system-packages apt-get install what is missing of chromium, a Java 17 runtime, make, git (root or sudo)"
	@echo "  venv            create/update .venv from requirements-dev.txt (only when requirements changed)"
	@echo "  build           ansible-galaxy collection build into $(BUILD_DIR)/ (BUILD_DIR=...)"
	@echo "  install         build, then install the tarball into $(COLLECTIONS_PATH) (COLLECTIONS_PATH=...)"
	@echo "  test            run, in order: $(TEST_STEPS)"
	@echo "  units           pytest $(UNIT_PATHS)"
	@echo "  integration     pytest tests/integration"
	@echo "  compat          integration happy paths and the demo on ansible-core 2.17 (.venv-compat; tests/utils/compat.py)"
	@echo "  reliability     pytest tests/reliability (faults, bad input, secrets, TLS; checks docs/reliability.md)"
	@echo "  bench           benchmarks against the simulator (tests/benchmarks); writes docs/benchmarks.md and .png"
	@echo "  sanity          ansible-test sanity --venv on a copy of the collection (tests/utils/sanity.py)"
	@echo "  lint            ansible-lint with .ansible-lint"
	@echo "  changelog-lint  antsibull-changelog lint"
	@echo "  demo            run the demo"
	@echo "  clean           remove test output and caches; distclean also removes .venv, .venv-sanity and .venv-compat"

venv: $(VENV_STAMP)

$(VENV_STAMP): requirements-dev.txt requirements.txt
	@echo "==> venv: creating/updating $(VENV) from requirements-dev.txt"
	@if [ ! -x $(VENV_BIN)/python ]; then \
		echo "    $(PYTHON) -m venv $(VENV)"; \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(VENV_BIN)/python -m pip install --disable-pip-version-check --quiet --upgrade pip
	$(VENV_BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	@touch $@

build: venv
	@echo "==> build: ansible-galaxy collection build into $(BUILD_DIR)/ (galaxy.yml build_ignore: no venvs, caches, test output)"
	$(IN_VENV) $(VENV_BIN)/ansible-galaxy collection build --force --output-path "$(BUILD_DIR)" .

install: build
	@echo "==> install: $(TARBALL) into $(COLLECTIONS_PATH)"
	$(IN_VENV) $(VENV_BIN)/ansible-galaxy collection install --force --offline "$(TARBALL)" -p "$(COLLECTIONS_PATH)"

# Runs every step even when one fails, so one run shows all problems; fails if any step failed.
test: venv
	@failed=(); passed=0; \
	for step in $(TEST_STEPS); do \
		if $(MAKE) --no-print-directory $$step; then passed=$$((passed + 1)); else failed+=("$$step"); fi; \
	done; \
	echo "==> test: steps passed: $$passed of $(words $(TEST_STEPS))$${failed[*]:+; FAILED: $${failed[*]}}"; \
	echo "steps: $$passed passed, $${#failed[@]} failed"; \
	[ $${#failed[@]} -eq 0 ]

units: venv
	@echo "==> units: pytest $(UNIT_PATHS)"
	$(PYTEST) $(PYTEST_ARGS) $(UNIT_PATHS)

integration: venv
	@echo "==> integration: pytest tests/integration (ansible-playbook and ansible against the simulator)"
	$(PYTEST) $(PYTEST_ARGS) tests/integration

# The happy path of every integration target (tasks/happy.yml) and the demo (the device_onboarding role)
# with ansible-playbook from .venv-compat, each against its own simulator (run from .venv), two at a
# time (tests/utils/compat.py). `make compat COMPAT_ARGS=vpp_revoke` runs one.
compat: venv $(COMPAT_STAMP)
	@echo "==> compat: integration happy paths and the demo with ansible-playbook from $(COMPAT_VENV)"
	$(IN_VENV) $(VENV_BIN)/python tests/utils/compat.py --ansible-bin $(COMPAT_VENV)/bin $(COMPAT_ARGS)

$(COMPAT_STAMP): $(COMPAT_REQUIREMENTS) requirements.txt
	@echo "==> compat: creating/updating $(COMPAT_VENV) from $(COMPAT_REQUIREMENTS)"
	@if [ ! -x $(COMPAT_VENV)/bin/python ]; then \
		python=; \
		for candidate in $(or $(COMPAT_PYTHON),$(COMPAT_PYTHONS)); do \
			if $$candidate -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null; then \
				python=$$candidate; break; \
			fi; \
		done; \
		if [ -z "$$python" ]; then \
			echo "compat: ansible-core 2.17 needs a controller Python 3.10, 3.11 or 3.12;" \
				"none of $(or $(COMPAT_PYTHON),$(COMPAT_PYTHONS)) is one (set COMPAT_PYTHON=/path/to/python3.x)" >&2; \
			exit 1; \
		fi; \
		echo "    $$python -m venv $(COMPAT_VENV)   (Python $$($$python -c 'import platform; print(platform.python_version())'))"; \
		$$python -m venv $(COMPAT_VENV); \
	fi
	$(COMPAT_VENV)/bin/python -m pip install --disable-pip-version-check --quiet --upgrade pip
	$(COMPAT_VENV)/bin/python -m pip install --disable-pip-version-check --quiet -r $(COMPAT_REQUIREMENTS)
	@touch $@

# Fault injection, the bad-input catalogue, secret hygiene and TLS; it also checks that
# docs/reliability.md matches the case tables (`python -m tests.reliability.report --write` renews it).
reliability: venv
	@echo "==> reliability: pytest tests/reliability (faults, bad input, secrets, TLS)"
	$(PYTEST) $(PYTEST_ARGS) tests/reliability

sanity: venv
	@echo "==> sanity: ansible-test sanity --venv on a copy in ansible_collections/assetops/licensing"
	$(IN_VENV) $(VENV_BIN)/python tests/utils/sanity.py $(SANITY_ARGS)

# offline: true keeps ansible-lint from installing this collection into its cache, so a throw-away
# ansible_collections/assetops/licensing link to the checkout lets it resolve (and check the
# arguments of) the collection's own modules in playbooks such as docs/examples/.
lint: venv
	@echo "==> lint: ansible-lint -c .ansible-lint (checkout linked as assetops.licensing via ANSIBLE_COLLECTIONS_PATH)"
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/ansible_collections/assetops"; \
	ln -s "$(CURDIR)" "$$tmp/ansible_collections/assetops/licensing"; \
	ANSIBLE_COLLECTIONS_PATH="$$tmp" $(IN_VENV) $(VENV_BIN)/ansible-lint -c .ansible-lint $(LINT_ARGS)

changelog-lint: venv
	@echo "==> changelog-lint: antsibull-changelog lint (changelogs/config.yaml, fragments)"
	$(IN_VENV) $(VENV_BIN)/antsibull-changelog lint

# The simulator with a demo school, the device_onboarding role over 200 devices, a license
# shortage, the idempotent re-run, and the school's license report (its path is printed); then the
# simulator is stopped (tests/utils/demo.py).
# Debian packages for the browser and rulebook tests (chromium, a Java 17 runtime); only what is missing.
system-packages:
	.ci/system-packages

demo: venv
	@echo "==> demo: onboarding 200 devices against the simulator"
	$(IN_VENV) $(VENV_BIN)/python tests/utils/demo.py

# Benchmarks against the simulator with Apple-like settings; prints the table with pass/fail
# against the targets and writes docs/benchmarks.md, docs/benchmarks.png and docs/benchmarks_scale.png
# (tests/benchmarks/run.py). A full run also runs the simulator alone (tests/benchmarks/simulator_bench.py).
BENCH_ARGS ?=
bench: venv
	@echo "==> bench: scenarios against the simulator (requests, time, 429s, peak memory vs bounds)"
	$(IN_VENV) $(VENV_BIN)/python -m tests.benchmarks.run $(BENCH_ARGS)

# The device_onboarding role's molecule scenario against the simulator (tests/utils/molecule.py).
molecule: venv
	@echo "==> molecule: roles/device_onboarding, default scenario against the simulator"
	$(IN_VENV) $(VENV_BIN)/python tests/utils/molecule.py

# AWX/AAP (ansible-runner), execution environment (ansible-builder create) and the built artifact.
packaging: venv
	@echo "==> packaging: ansible-runner with injected credentials, ansible-builder create, collection build + install"
	$(PYTEST) $(PYTEST_ARGS) tests/packaging

# The documentation site (antsibull-docs, offline) and its lint.
docs: venv
	@echo "==> docs: antsibull-docs site under docs/build (offline)"
	$(IN_VENV) $(VENV_BIN)/python tests/utils/docs.py build

docs-lint: venv
	@echo "==> docs-lint: antsibull-docs lint-collection-docs --plugin-docs ."
	$(IN_VENV) $(VENV_BIN)/python tests/utils/docs.py lint

clean:
	@echo "==> clean: removing test output and caches"
	rm -rf tests/output .pytest_cache .hypothesis .cache changelogs/.plugin-cache.yaml *.tar.gz .build
	find . -path ./.git -prune -o -path './.venv*' -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf

distclean: clean
	@echo "==> distclean: removing $(VENV), .venv-sanity and $(COMPAT_VENV)"
	rm -rf $(VENV) .venv-sanity $(COMPAT_VENV)
