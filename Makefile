# make run   - set everything up, then start the local mode (no AWS account needed)
# make test  - set everything up, then run the whole test suite
# make synth - synthesize the CloudFormation template (offline, no Docker)
# make bench - run the benchmarks in bench/ and print their figures
# make schema - regenerate schema/appsync.graphql (schema.graphql with AppSync's scalars and directives
#               declared, as clients and codegen load it; a test fails when it is stale)
# make client NAME=shop SCOPES=SEND,READ - a new API client and its key (printed once); also
#      make clients, make rotate-client ID=..., make revoke-client ID=..., make erase TO=...
#      against MESSAGING_URL with MESSAGING_API_KEY (an ADMIN key); default: the local mode
# make mutation - mutation testing (mutmut) of lambdas/ against the fast tests; slow, not part of
#                 `make test`. Limit it with MUTANTS='messenger.logic.cursor.* messenger.models.*'.
#                 Writes mutation-report.md (docs/testing.md explains).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: setup browser run test synth bench mutation schema clean client clients rotate-client revoke-client erase

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): requirements.txt lambdas/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The console's browser test (tests/e2e/test_console.py) drives Debian's headless chromium. Installed
# here when missing and we are root (CI, a fresh machine); otherwise the test is skipped and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian package) for the console's browser test..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
	      || echo "chromium could not be installed: the console's browser test will be skipped"; \
	  else echo "chromium is missing (install Debian's chromium package): the console's browser test will be skipped"; fi; }

run: setup
	$(PY) -m local

test: setup browser
	$(PY) -m pytest

synth: setup
	npx cdk synth --quiet

bench: setup
	$(PY) bench/cold_start.py
	$(PY) bench/at_batching.py
	$(PY) bench/load.py
	$(PY) bench/receipts.py
	$(PY) bench/templates.py

schema: setup
	$(PY) -m local.schema_file

client:
	$(PY) tools/clients.py create "$(NAME)" "$(SCOPES)"

clients:
	$(PY) tools/clients.py list

rotate-client:
	$(PY) tools/clients.py rotate "$(ID)"

revoke-client:
	$(PY) tools/clients.py revoke "$(ID)"

erase:
	$(PY) tools/clients.py erase "$(TO)"

MUTANTS ?=
mutation: setup
	rm -rf mutants
	start=$$(date +%s); $(PY) bench/mutation.py run $(MUTANTS); status=$$?; \
	$(PY) bench/mutation_report.py --elapsed $$(( $$(date +%s) - start )) && exit $$status

clean:
	rm -rf cdk.out .build .pytest_cache mutants mutation-report.md
