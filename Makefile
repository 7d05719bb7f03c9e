# Distributed Lab — the entry points. `make lab WEEK=n` runs a lab; `make test` runs every check.
SHELL := /bin/bash
WEEK ?=
SWIFT ?= swift
RELEASE_BIN := .build/release
DEBUG_BIN := .build/debug
export LAB_PYTHON := $(CURDIR)/.venv/bin/python

.PHONY: help setup build build-release test lab down clean bench

help:
	@echo "make lab WEEK=n   run lab n (before vs after) and keep it up for exploration"
	@echo "make lab          list the labs"
	@echo "make test         install what is missing, build, run every test"
	@echo "make down         stop whatever a lab started"
	@echo "make clean        remove build output and lab state"

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build

build-release: setup
	$(SWIFT) build -c release --product labctl
	$(SWIFT) build -c release --product labsvc

# One build of everything (tests included), then the test run reuses it.
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@bash scripts/checks.sh

lab: build-release
	@bash scripts/lab.sh "$(WEEK)"

down:
	@if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then bash scripts/lab-compose.sh --down || true; fi
	@if [ -x $(RELEASE_BIN)/labctl ]; then $(RELEASE_BIN)/labctl down; \
	elif [ -x $(DEBUG_BIN)/labctl ]; then $(DEBUG_BIN)/labctl down; \
	else echo "nothing to stop (labctl is not built)"; fi

clean:
	-@$(MAKE) --no-print-directory down >/dev/null 2>&1 || true
	rm -rf .build .lab

bench:
	@echo "benchmarks live in Benchmarks/ (see Benchmarks/README.md)"
