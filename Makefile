# Distributed Lab — the entry points. `make lab WEEK=n` runs a lab; `make test` runs every check.
SHELL := /bin/bash
WEEK ?=
SWIFT ?= swift
DEBUG_BIN := .build/debug
export LAB_PYTHON := $(CURDIR)/.venv/bin/python

.PHONY: help setup build test lab down clean bench

help:
	@echo "make lab WEEK=n   run lab n (before vs after) and keep it up for exploration"
	@echo "make lab          list the labs"
	@echo "make test         install what is missing, build, run every test"
	@echo "make down         stop whatever a lab started"
	@echo "make clean        remove build output and lab state"

setup:
	@bash scripts/setup.sh

# One debug build serves the tests and the labs: the labs hold in debug builds (CI runs them that
# way), so `make lab` after `make test` (or before it) builds nothing twice. Only the benchmarks
# build in release (Benchmarks/).
build: setup
	$(SWIFT) build

# The build (tests included), the static checks, the unit and integration tests, then every lab's
# comparison at its test scale, two labs at a time (`labctl verify --all`).
test: setup
	$(SWIFT) build --build-tests
	@bash scripts/checks.sh
	$(SWIFT) test --skip-build
	$(DEBUG_BIN)/labctl verify --all

lab: build
	@bash scripts/lab.sh "$(WEEK)"

down:
	@if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then bash scripts/lab-compose.sh --down || true; fi
	@if [ -x $(DEBUG_BIN)/labctl ]; then $(DEBUG_BIN)/labctl down; \
	else echo "nothing to stop (labctl is not built)"; fi

clean:
	-@$(MAKE) --no-print-directory down >/dev/null 2>&1 || true
	rm -rf .build .lab

bench:
	@echo "benchmarks live in Benchmarks/ (see Benchmarks/README.md)"
