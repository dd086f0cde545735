# pulumi-ocean — every target creates and uses .venv itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The two engines (README "Pulumi version"): built once from Go modules, then cached.
PULUMI_NEWEST = $(shell scripts/build-pulumi.sh newest)
PULUMI_OLDEST = $(shell scripts/build-pulumi.sh oldest)
PYTEST_WORKERS ?= 2
# make test-e2e ENGINE=oldest: the e2e suite under one engine only.
ENGINE ?= newest
# make bench BENCH="engine api_waits": only those sections of bench/run.py (default: all).
BENCH ?=

.PHONY: all venv constraints pulumi demo test test-fast test-e2e spec schema sdk check-generated lint \
	bench mutate dist clean

all: test

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -c constraints.txt -e '.[dev]' 2>&1 | grep -v -i -E 'warning|^ *$$|!!|\*\*\*|deprecat|corresp|wheel_obj|please|by 20|see https|folders in|name as your' || true
	@touch $(STAMP)

venv: $(STAMP)

## constraints: re-resolve constraints.txt (the exact versions make venv installs) to the newest releases
constraints:
	@tmp="$$(mktemp -d)" && trap 'rm -rf "$$tmp"' EXIT && $(PYTHON) -m venv "$$tmp/venv" \
	  && "$$tmp/venv/bin/python" -m pip install -q --upgrade pip \
	  && "$$tmp/venv/bin/python" -m pip install -q -e '.[dev]' >/dev/null 2>&1 \
	  && { sed -n '/^#/p' constraints.txt; "$$tmp/venv/bin/python" -m pip freeze --exclude-editable; } \
	     > "$$tmp/c.txt" && mv "$$tmp/c.txt" constraints.txt && echo "wrote constraints.txt"

## pulumi: both engines — the newest Pulumi CLI and the oldest supported one (built once, then cached)
pulumi:
	@for engine in newest oldest; do \
	  bin="$$(scripts/build-pulumi.sh $$engine)" || exit 1; \
	  echo "pulumi ($$engine): $$bin ($$("$$bin/pulumi" version))"; \
	done

## demo: the quick start — two droplets on the embedded emulator, up → preview → destroy
demo: venv pulumi
	@PATH="$(PULUMI_NEWEST):$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ocean demo

## test: everything CI runs — the e2e suite under the newest engine, its designated part under the oldest
test: venv pulumi lint check-generated
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-fast: venv
	@$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not e2e" $(PYTEST_ARGS)

## test-e2e: every end-to-end test that can run under ENGINE (newest or oldest)
test-e2e: venv pulumi
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" OCEAN_E2E_ENGINE=$(ENGINE) \
	  $(PY) -m pytest -n $(PYTEST_WORKERS) -m e2e $(PYTEST_ARGS)

## spec: fetch DigitalOcean's OpenAPI spec at the pinned commit (when ../shared/spec is not beside the repo)
spec: venv
	@$(PY) scripts/fetch-spec.py

## schema: regenerate schema/schema.json from the resource models
schema: venv
	@$(VENV)/bin/ocean schema > schema/schema.json.tmp && mv schema/schema.json.tmp schema/schema.json
	@echo "wrote schema/schema.json"

## sdk: regenerate sdk/python from schema/schema.json with the oldest engine's `pulumi package gen-sdk`
sdk: venv pulumi
	@PATH="$(PULUMI_OLDEST):$$PATH" scripts/gen-sdk.sh sdk

## check-generated: fail when the committed schema or SDK differ from what the code generates
check-generated: venv pulumi
	@PATH="$(PULUMI_OLDEST):$$PATH" scripts/check-generated.sh

lint: venv
	@$(VENV)/bin/ruff check provider tests bench scripts
	@$(VENV)/bin/mypy provider/ocean

## bench: performance figures, as ratios against baselines measured in the same run
##   make bench BENCH=engine   — only some sections (bench/run.py names them)
bench: venv pulumi
	@PATH="$(PULUMI_NEWEST):$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) bench/run.py $(BENCH)

## dist: the wheel and sdist, into dist/
dist: venv
	@rm -rf dist && log="$$(mktemp)" && { $(PY) -m build --outdir dist . >"$$log" 2>&1 || { cat "$$log"; exit 1; }; } \
	  && rm -f "$$log" && ls dist/*

## mutate: mutation testing of the core mechanisms, score per module (cosmic-ray; slow: not in test or CI)
##   make mutate MUTATE_MODULES="governor waiters"   — some of: governor transport waiters base marshal
mutate: venv
	@$(PY) scripts/mutate.py $(MUTATE_MODULES)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
