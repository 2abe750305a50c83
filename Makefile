# kgcrm: the two commands of the README.
#   make demo   set up everything and run kgcrm on the embedded default
#               (local Neo4j + SQLite + demo data); ends by printing the Neo4j
#               Browser URL and the `:play` command of kgcrm's Browser guide
#   make test   set up everything and run the tests against real services
# Both work on a fresh machine: they create the venv, fetch Neo4j from Maven
# Central, and (for the tests) install and start PostgreSQL.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
KGCRM  := $(BIN)/kgcrm
EXTRAS ?= test,embeddings,eval
SCALE  ?= 20000
TENANTS ?= 2

.PHONY: demo test venv neo4j lint check clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-installs when pyproject.toml changes. PyPI's torch pulls several GB of CUDA wheels: a download cut
# short (a dropped connection, or a disk that filled up meanwhile) is resumed more often than pip's default 5
# times, and the whole install is tried up to 3 times, since pip keeps what it already fetched in its cache.
PIP_INSTALL_TRIES ?= 3
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@for try in $$(seq $(PIP_INSTALL_TRIES)); do \
		$(BIN)/pip install --quiet --resume-retries 20 -e '.[$(EXTRAS)]' && exit 0; \
		echo "pip install failed (try $$try of $(PIP_INSTALL_TRIES)); free disk: $$(df -h . | awk 'NR==2 {print $$4}')"; \
		[ $$try -lt $(PIP_INSTALL_TRIES) ] && sleep 10; \
	done; exit 1
	touch $@

venv: $(VENV)/.installed

neo4j: venv
	$(KGCRM) neo4j start

demo: neo4j
	$(KGCRM) db upgrade
	$(KGCRM) seed --tenants $(TENANTS) --scale $(SCALE) --if-empty
	$(KGCRM) graph init
	$(KGCRM) sync --full
	@# possible duplicates for the Browser guide, in every demo tenant (the seed's slugs)
	@for slug in $$($(BIN)/python -c "from kgcrm.crm.seed_generate import tenant_identity as t; print(*(t(i)[1] for i in range($(TENANTS))))"); do \
		$(KGCRM) dedupe --tenant $$slug >/dev/null && echo "dedupe: tenant $$slug done"; \
	done
	$(KGCRM) browser guide --start

# As CI runs it: the system packages first (Maven, a JDK, Chromium: .ci/test-packages.sh installs the missing
# ones), and a test that cannot find a service it needs fails instead of skipping (KGCRM_REQUIRE_SERVICES=0: skip).
test: venv
	bash .ci/test-packages.sh
	eval "$$(bash .ci/start-postgres.sh)" && KGCRM_REQUIRE_SERVICES=$${KGCRM_REQUIRE_SERVICES:-1} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The layers contract (import-linter) and the types (mypy), on a regular install of the package.
check: venv
	PYTHON=$(BIN)/python bash .ci/check-structure.sh

clean-venv:
	rm -rf $(VENV)

# The committed OpenAPI schema (openapi.json), regenerated from the code; tests/api/test_api_openapi.py
# fails while it differs from what /openapi.json serves.
.PHONY: openapi
openapi: venv
	$(KGCRM) openapi --out openapi.json
