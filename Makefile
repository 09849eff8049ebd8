# make run   - set everything up, then start the local mode (no AWS account needed)
# make test  - set everything up, then run the whole test suite
# make synth - synthesize the CloudFormation template (offline, no Docker)
# make bench - run the benchmarks in bench/ and print their figures
# make mutation - mutation testing (mutmut) of lambdas/ against the fast tests; slow, not part of
#                 `make test`. Limit it with MUTANTS='messenger.logic.cursor.* messenger.models.*'.
#                 Writes mutation-report.md (docs/testing.md explains).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: setup run test synth bench mutation clean

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): requirements.txt lambdas/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(PY) -m local

test: setup
	$(PY) -m pytest

synth: setup
	npx cdk synth --quiet

bench: setup
	$(PY) bench/cold_start.py
	$(PY) bench/at_batching.py
	$(PY) bench/load.py
	$(PY) bench/receipts.py
	$(PY) bench/templates.py

MUTANTS ?=
mutation: setup
	rm -rf mutants
	start=$$(date +%s); $(PY) bench/mutation.py run $(MUTANTS); status=$$?; \
	$(PY) bench/mutation_report.py --elapsed $$(( $$(date +%s) - start )) && exit $$status

clean:
	rm -rf cdk.out .build .pytest_cache mutants mutation-report.md
