# make run   - install the Python environment (.venv) if needed, then start the local mode (no AWS
#              account, no Node.js needed)
# make test  - install everything (Python packages and the pinned CDK CLI via npm), then run the test suite
# make synth - synthesize the CloudFormation template (offline, no Docker; needs npm for the CDK CLI)
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

.PHONY: setup python node run test synth bench mutation clean

# `run`, `bench` and `mutation` need only the Python environment; `test` and `synth` need the CDK CLI too.
setup: python node
python: $(STAMP)
node: $(NODE_STAMP)

$(STAMP): requirements.txt lambdas/requirements.txt
	@echo "==> Python environment in $(VENV) (the first time takes about a minute)"
	@test -x $(PY) || { echo "  creating the virtual environment with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@$(PY) tools/pip_progress.py $(PY) requirements.txt
	@touch $@
	@echo "==> Python environment ready"

$(NODE_STAMP): package.json package-lock.json
	@echo "==> CDK CLI and resolver linter from package-lock.json into node_modules (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: $(STAMP)
	$(PY) -m local

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest

synth: $(STAMP) $(NODE_STAMP)
	npx cdk synth --quiet

bench: $(STAMP)
	$(PY) bench/cold_start.py
	$(PY) bench/at_batching.py
	$(PY) bench/load.py
	$(PY) bench/local_throughput.py
	$(PY) bench/receipts.py
	$(PY) bench/templates.py

MUTANTS ?=
mutation: $(STAMP)
	rm -rf mutants
	start=$$(date +%s); $(PY) bench/mutation.py run $(MUTANTS); status=$$?; \
	$(PY) bench/mutation_report.py --elapsed $$(( $$(date +%s) - start )) && exit $$status

clean:
	rm -rf cdk.out .build .pytest_cache mutants mutation-report.md
