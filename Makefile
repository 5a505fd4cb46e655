# Tandem: every command a user or CI runs. Targets install what they need (npm packages,
# the local stack's jars and MariaDB) and stop what they start.
SHELL := /bin/bash
.DEFAULT_GOAL := help
TOPOLOGY ?= bidirectional
BIN := node_modules/.bin
TSX := $(BIN)/tsx
# The package's bin: lib/cli/main.ts through tsx (bin/tandem --help; exit codes in docs/cli.md).
CLI := bin/tandem

.PHONY: help install typecheck test test-unit test-db test-browser test-e2e screenshot chromium run describe setup teardown \
        stack-up stack-down stack-status dlq bench bench-decode bench-sink bench-topology bench-lag bench-scaling bench-ab
.PHONY: verify workload soak doctor

help:
	@echo "make run TOPOLOGY=bidirectional   sync the two local MariaDB instances both ways"
	@echo "make test                         everything (unit, MariaDB, full stack)"
	@echo "make test-unit                    tests that need no services (seconds)"
	@echo "make test-browser                 the status page in headless chromium (installs chromium)"
	@echo "make doctor                       check both databases before the first run (exit 1 on a refusal)"
	@echo "make describe TOPOLOGY=name       print a topology's graph (FORMAT=text|mermaid|json)"
	@echo "make dlq ARGS='list'              dead letters: list, show <position>, replay <position>... | --all"
	@echo "make stack-up | stack-down | stack-status"
	@echo "make bench                        every benchmark part; writes bench/RESULTS.md"
	@echo "make bench-decode | bench-sink | bench-topology | bench-lag | bench-scaling | bench-ab"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.installed

typecheck: install
	$(BIN)/tsc --noEmit -p .

# Unit tests: no services.
test-unit: install
	$(BIN)/tap run test/unit

# Tests that start their own throwaway MariaDB (or use MYSQL_URL).
test-db: install
	$(BIN)/tap run test/db

# Debian's chromium for the browser tests (idempotent; installs it when root and missing).
chromium:
	bash stack/ensure-chromium.sh

# The status page in headless chromium, over a runtime on in-memory fakes: no stack, no database.
test-browser: install chromium
	$(BIN)/tap run test/browser

# The README's picture of the status page (docs/status-page.png), taken by the browser test.
screenshot: install chromium
	TANDEM_UPDATE_SCREENSHOT=1 $(BIN)/tap run test/browser/status-page.test.ts

# Tests against the whole local stack; expects it up (see stack/test-all.sh).
test-e2e: install
	$(BIN)/tap run --jobs=1 test/e2e

test: install typecheck
	bash stack/test-all.sh

# Metrics (/metrics), health (/healthz, /readyz) and the status page (/) on this port while it
# runs: 9464 unless TANDEM_HTTP_PORT says otherwise (`off` or empty: none). `tandem run` alone
# serves nothing unless TANDEM_HTTP_PORT is set (tests).
TANDEM_HTTP_PORT ?= 9464
run: install
	TANDEM_HTTP_PORT='$(TANDEM_HTTP_PORT)' $(CLI) run $(TOPOLOGY)

describe: install
	@$(CLI) describe $(TOPOLOGY) --format $(or $(FORMAT),text)

# Triggers and tombstone table on TANDEM_DB_A_URL and TANDEM_DB_B_URL (never a password in ARGS: `ps` shows it).
setup: install
	$(CLI) setup $(TOPOLOGY)

teardown: install
	$(CLI) teardown $(TOPOLOGY)

stack-up: install
	$(CLI) stack up

stack-down: install
	$(CLI) stack down

stack-status: install
	@$(CLI) stack status

# The dead-letter topic (TANDEM_DLQ_TOPIC): ARGS="list", "show 12", "replay 12 13" or "replay --all".
dlq: install
	@$(CLI) dlq $(or $(ARGS),list)

# Every part (sink ceiling, topology vs Debezium JDBC sink, lag + native replication, scaling),
# stack brought up as needed; regenerates bench/RESULTS.md. BENCH_PARTS=topology,lag picks parts.
bench: install
	$(TSX) bench/all.ts

bench-decode: install
	$(TSX) bench/decode.ts

bench-sink: install
	$(TSX) bench/sink.ts

# BENCH_EVENTS (500000), BENCH_TOPOLOGY_RUNS (2), BENCH_JDBC_BATCHES (500,2000,5000), BENCH_PARTITIONS (4);
# BENCH_BASELINE=0 / BENCH_FLOOR=0 leave out issue 14's baseline commit / the floor (bench/floor.ts).
bench-topology: install
	$(TSX) bench/topology.ts

# BENCH_LAG_RATES (500,2000,5000 rows/s), BENCH_LAG_SECONDS (60 per rate).
bench-lag: install
	$(TSX) bench/lag.ts

bench-scaling: install
	$(TSX) bench/topology.ts scaling

# BENCH_AB="KEY=value ..." (a setting) or BENCH_AB_ROOT=<checkout or commit> (other code) against this one.
bench-ab: install
	$(TSX) bench/topology.ts ab

# Check both databases (TANDEM_DB_A_URL / TANDEM_DB_B_URL, TANDEM_TABLES, ...) before the first
# make run: one line per finding; exit 1 when anything is refused (docs/doctor.md).
doctor: install
	$(CLI) doctor $(ARGS)

# Compare the two databases row by row (TANDEM_DB_A_URL / TANDEM_DB_B_URL, or ARGS="--a-file f --b-file g"); exit 1 on drift.
verify: install
	$(CLI) verify $(ARGS)

# Random seeded application writes on both databases (ARGS="--seed 42 --operations 5000 --rate 200").
workload: install
	$(CLI) workload $(ARGS)

# The large convergence run with every fault on a stack of its own; writes soak/RESULTS.md.
soak: install
	bash soak/run.sh
