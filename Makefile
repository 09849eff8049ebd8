# make run   - install the Python environment (.venv) if needed, then start the local mode (no AWS
#              account; npm only for the console's explorer, no CDK CLI)
# make test  - install everything (Python packages and the pinned CDK CLI via npm), then run the test suite
# make synth - synthesize the CloudFormation template (offline, no Docker; needs npm for the CDK CLI)
# make bench - run the benchmarks in bench/ and print their figures
# make schema - regenerate schema/appsync.graphql (schema.graphql with AppSync's scalars and directives
#               declared, as clients and codegen load it; a test fails when it is stale)
# make client NAME=shop SCOPES=SEND,READ - a new API client and its key (printed once); also
#      make clients, make rotate-client ID=..., make revoke-client ID=..., make erase TO=...
#      against MESSAGING_URL with MESSAGING_API_KEY (an ADMIN key); default: the local mode
# make mutation - mutation testing (mutmut) of lambdas/ against the fast tests; slow, not part of
#                 `make test`. Limit it with MUTANTS='messenger.messages.cursor.* messenger.core.*',
#                 or measure a random sample with SAMPLE=150 (per stratum; SEED=1 by default).
#                 Writes mutation-report.md (docs/testing.md explains).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: setup python node console browser run test synth bench mutation schema clean client clients rotate-client revoke-client erase

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

# The console's browser test (tests/e2e/test_console.py) drives Debian's headless chromium. Installed
# here when missing and we are root (CI, a fresh machine); otherwise the test is skipped and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian package) for the console's browser test..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "chromium could not be installed: the console's browser test will be skipped"; \
	  else echo "chromium is missing (install Debian's chromium package): the console's browser test will be skipped"; fi; }

# The console's explorer (GraphiQL) is served from node_modules. `make run` installs only those packages
# (npm ci --omit=dev: no CDK CLI) when they are missing and npm exists; without npm the local mode
# still runs and the console's other pages work (the explorer tab says what to install).
console:
	@test -f node_modules/graphiql/package.json || { \
	  if command -v npm >/dev/null 2>&1; then \
	    echo "==> the console's explorer (GraphiQL, React) from package-lock.json into node_modules"; \
	    npm ci --omit=dev --no-audit --no-fund --loglevel=error; \
	  else echo "==> npm not found: the console's explorer tab is unavailable (everything else works)"; fi; }

run: $(STAMP) console
	$(PY) -m local

test: $(STAMP) $(NODE_STAMP) browser
	$(PY) -m pytest -n 2

synth: $(STAMP) $(NODE_STAMP)
	npx cdk synth --quiet

bench: $(STAMP)
	$(PY) bench/cold_start.py
	$(PY) bench/at_batching.py
	$(PY) bench/load.py
	$(PY) bench/local_throughput.py
	$(PY) bench/receipts.py
	$(PY) bench/templates.py
	$(PY) bench/pacing.py
	$(PY) bench/limits.py
	$(PY) bench/batch.py
	$(PY) bench/csv_upload.py

schema: $(STAMP)
	$(PY) -m local.schema_file

client: $(STAMP)
	$(PY) tools/clients.py create "$(NAME)" "$(SCOPES)"

clients: $(STAMP)
	$(PY) tools/clients.py list

rotate-client: $(STAMP)
	$(PY) tools/clients.py rotate "$(ID)"

revoke-client: $(STAMP)
	$(PY) tools/clients.py revoke "$(ID)"

erase: $(STAMP)
	$(PY) tools/clients.py erase "$(TO)"

MUTANTS ?=
mutation: $(STAMP)
	rm -rf mutants
	start=$$(date +%s); $(PY) bench/mutation.py $(if $(SAMPLE),sample $(SAMPLE) --seed $(or $(SEED),1),run $(MUTANTS)); status=$$?; \
	$(PY) bench/mutation_report.py --elapsed $$(( $$(date +%s) - start )) && exit $$status

clean:
	rm -rf cdk.out .build .pytest_cache mutants mutation-report.md
