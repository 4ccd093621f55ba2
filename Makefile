# labroom.mlflow: the two commands of the README, and what they are made of.
#   make lab    set up the controller environment (.venv) and provision the default inventory
#   make test   lint, unit tests, the Molecule room
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON    ?= python3
VENV      := .venv
BIN       := $(CURDIR)/$(VENV)/bin
INVENTORY ?= inventory/localhost/hosts.yml
# The Molecule room in lanes (';' between lanes) that run side by side, each lane's scenarios
# one after the other. One lane: on 2 cores, two lanes beside the checks were much slower (the
# course scenario's converge took 18:47 instead of 2:41: docs/testing.md, "Time"). course
# and course_tier last, when mixed and upgrade have filled the uv cache volume they share.
# SCENARIOS=... on the command line runs those in one lane.
MOLECULE_LANES ?= $(if $(filter command line environment,$(origin SCENARIOS)),$(SCENARIOS),default mixed upgrade course course_tier)
SCENARIOS ?= $(subst ;, ,$(MOLECULE_LANES))
COLLECTION_LINK := .ansible/collections/ansible_collections/labroom/mlflow

export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export CONTAINERS_CONF := $(CURDIR)/molecule/resources/podman/containers.conf

.PHONY: help lab test test-stages checks bench bench-class lint sanity unit integration molecule images host-packages venv test-venv collection-link build clean

help:
	@echo "make lab    set up the controller (.venv) and provision $(INVENTORY)"
	@echo "make test   lint, unit tests and the Molecule room ($(SCENARIOS))"
	@echo "make bench  the room benchmark ($(BENCH_HOSTS) podman PCs per variant, about 50 minutes)"
	@echo "make bench-class  a class of $(BENCH_CLASS_STUDENTS) students at once: six shapes of one podman server, and a course tier"

## Controller environment ---------------------------------------------------------------
# pip bootstraps uv into the venv; uv installs the rest several times faster. --native-tls:
# trust the system's CA store, as behind a school's TLS-intercepting proxy.
UV_INSTALL := $(BIN)/uv pip install --quiet --native-tls --python $(BIN)/python

$(VENV)/.lab-installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(UV_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.lab-installed requirements-test.txt
	$(UV_INSTALL) -r requirements-test.txt
	touch $@

venv: $(VENV)/.lab-installed collection-link
test-venv: $(VENV)/.test-installed

# Makes `labroom.mlflow` resolve to this checkout (ansible.cfg: collections_path).
collection-link:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../../.. $(COLLECTION_LINK)

## The two commands -----------------------------------------------------------------------
lab: venv collection-link
	$(BIN)/ansible-playbook -i $(INVENTORY) site.yml

# Each stage prints its wall time (scripts/stage). Lint, sanity, unit and integration tests run
# while the test images are built (debootstrap waits mostly on the network) and the Molecule
# room starts as soon as they are there (its scenarios one after the other). The checks'
# output is printed whole when each ends; Molecule's as it goes.
STAGE := scripts/stage
test:
	@$(STAGE) total $(MAKE) --no-print-directory test-stages

# The controller environment first, once: the parallel parts below all need it. (Running the
# checks under nice, to give the Molecule room the cores first, did not shorten the total:
# 1916 s against 1866 s, docs/testing.md.)
test-stages:
	$(MAKE) --no-print-directory test-venv collection-link
	$(MAKE) --no-print-directory -j2 checks molecule

checks:
	$(MAKE) --no-print-directory -j4 --output-sync=target lint sanity unit integration

## Parts of `make test` ---------------------------------------------------------------------
lint: test-venv collection-link
	@$(STAGE) lint bash -ec '\
	  $(BIN)/ansible-lint --profile production; \
	  $(BIN)/ruff check plugins tests molecule bench; \
	  $(BIN)/ansible-doc -t module labroom.mlflow.tracking_health > /dev/null; \
	  $(BIN)/ansible-doc -t module labroom.mlflow.package_cache_fetch > /dev/null; \
	  $(BIN)/ansible-doc -t module labroom.mlflow.host_probe > /dev/null; \
	  $(BIN)/ansible-doc -t module labroom.mlflow.mlflow_accounts > /dev/null; \
	  $(BIN)/ansible-doc -t module labroom.mlflow.mlflow_runs > /dev/null; \
	  $(BIN)/ansible-playbook --syntax-check -i inventory/lab-room.example.yml site.yml'

# ansible-test sanity, in the collection's own path layout (scripts/run-sanity.sh).
sanity: test-venv
	@$(STAGE) sanity scripts/run-sanity.sh

# Pure Python: the module and the filter/test plugins.
unit: test-venv collection-link
	@$(STAGE) unit $(BIN)/python -m pytest -q tests/unit

# ansible-playbook driven tests and tests against a real MLflow server, on this machine.
integration: test-venv collection-link
	@$(STAGE) integration $(BIN)/python -m pytest -q tests/integration

host-packages:
	scripts/install-host-packages.sh

images: host-packages
	scripts/build-test-images.sh

# Each lane in the background; each scenario's output is printed whole when it ends (one at a
# time), with its wall time, and kept in $(MOLECULE_LOGS)/<scenario>.log.
MOLECULE_LOGS := .ansible/molecule-logs
molecule: test-venv collection-link images
	@mkdir -p $(MOLECULE_LOGS); rm -f $(MOLECULE_LOGS)/*
	@lanes='$(MOLECULE_LANES)'; IFS=';'; for lane in $$lanes; do \
	  ( IFS=' '; for scenario in $$lane; do \
	      echo "== molecule $$scenario: started $$(date -u +%H:%M:%S) (log: $(MOLECULE_LOGS)/$$scenario.log)"; \
	      $(STAGE) "molecule $$scenario" $(BIN)/molecule test -s $$scenario > $(MOLECULE_LOGS)/$$scenario.log 2>&1; \
	      echo $$? > $(MOLECULE_LOGS)/$$scenario.rc; \
	      flock $(MOLECULE_LOGS)/.print cat $(MOLECULE_LOGS)/$$scenario.log; \
	    done ) & \
	done; wait; \
	failed=""; for scenario in $(SCENARIOS); do \
	  [ "$$(cat $(MOLECULE_LOGS)/$$scenario.rc 2>/dev/null)" = 0 ] || failed="$$failed $$scenario"; \
	done; \
	if [ -n "$$failed" ]; then echo "molecule scenarios failed:$$failed"; exit 1; fi; \
	echo "molecule scenarios passed: $(SCENARIOS)"

## Benchmark (not part of `make test`) -------------------------------------------------------
# A room of BENCH_HOSTS podman PCs provisioned six ways, side by side (uv_commands and role
# BENCH_REPEAT times each, interleaved); writes bench/results/latest.json and prints the
# figures, the medians and spreads, and the ratios.
BENCH_HOSTS ?= 3
BENCH_SCALE ?= 1,3,6
BENCH_REPEAT ?= 3
bench: venv collection-link images
	$(BIN)/python bench/room_bench.py --hosts $(BENCH_HOSTS) --scale=$(BENCH_SCALE) --repeat $(BENCH_REPEAT)

# One podman server (Debian 13) provisioned by the role in six shapes (per-PC SQLite, with
# basic-auth, a PostgreSQL course server, with basic-auth (the role's pool and MLflow's), and
# with it behind the HTTPS front), each loaded by a class of N students at once for each N of
# BENCH_CLASS_STUDENTS, the server's CPU per request read from its container's cgroup; then
# course_auth once more under py-spy (where its time goes). Writes bench/results/class.json.
BENCH_CLASS_STUDENTS ?= 30,100
bench-class: test-venv collection-link images
	$(BIN)/python bench/class_bench.py --students $(BENCH_CLASS_STUDENTS)

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path dist .

clean:
	rm -rf $(VENV) .ansible dist .pytest_cache
