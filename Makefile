# pulumi-ocean — every target creates and uses .venv itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PULUMI_BIN = $(shell scripts/build-pulumi.sh)
PYTEST_WORKERS ?= 2

.PHONY: all venv pulumi demo test test-fast schema sdk check-generated lint bench mutate clean

all: test

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]' 2>&1 | grep -v -i -E 'warning|^ *$$|!!|\*\*\*|deprecat|corresp|wheel_obj|please|by 20|see https|folders in|name as your' || true
	@touch $(STAMP)

venv: $(STAMP)

## pulumi: the pinned Pulumi CLI and Python language host (built once from Go modules, then cached)
pulumi:
	@bin="$$(scripts/build-pulumi.sh)" && echo "pulumi: $$bin" && "$$bin/pulumi" version

## demo: the quick start — two droplets on the embedded emulator, up → preview → destroy
demo: venv pulumi
	@PATH="$(PULUMI_BIN):$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ocean demo

## test: everything CI runs
test: venv pulumi lint check-generated
	@PATH="$(PULUMI_BIN):$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: venv
	@$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not e2e" $(PYTEST_ARGS)

## schema: regenerate schema/schema.json from the resource models
schema: venv
	@$(VENV)/bin/ocean schema > schema/schema.json.tmp && mv schema/schema.json.tmp schema/schema.json
	@echo "wrote schema/schema.json"

## sdk: regenerate sdk/python from schema/schema.json with `pulumi package gen-sdk`
sdk: venv pulumi
	@PATH="$(PULUMI_BIN):$$PATH" scripts/gen-sdk.sh sdk

## check-generated: fail when the committed schema or SDK differ from what the code generates
check-generated: venv pulumi
	@PATH="$(PULUMI_BIN):$$PATH" scripts/check-generated.sh

lint: venv
	@$(VENV)/bin/ruff check provider tests bench
	@$(VENV)/bin/mypy provider/ocean

## bench: performance figures, as ratios against baselines measured in the same run
bench: venv pulumi
	@PATH="$(PULUMI_BIN):$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) bench/run.py

## mutate: mutation testing of the core mechanisms, score per module (cosmic-ray; slow: not in test or CI)
##   make mutate MUTATE_MODULES="governor waiters"   — some of: governor transport waiters base marshal
mutate: venv
	@$(PY) scripts/mutate.py $(MUTATE_MODULES)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
