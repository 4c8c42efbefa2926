# Footprint developer entry points. `make help` lists them.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TOOLS_BIN := $(CURDIR)/.cache/bin
export PATH := $(TOOLS_BIN):$(PATH)
# Tools live in their own module (tools/go.mod) outside go.work, so their
# dependencies never leak into the services' build list.
BUF := $(TOOLS_BIN)/buf
STACK := deploy/local/stack.sh
# `make up PROFILE=cluster`: the local multi-node profile (deploy/local/cluster.sh, docs/deploy.md).
ifdef PROFILE
export FOOTPRINT_STACK_PROFILE := $(PROFILE)
endif
# What `buf breaking` compares the schemas with: main (on a branch), or the
# previous commit when we are on main itself. Override with BREAKING_AGAINST=<buf input>.
BREAKING_AGAINST ?=
# The query service's HTTP gateway, generated into its own module (buf.gen.yaml says why).
GATEWAY := services/query/internal/gateway
# The Python SDK: its venv (generation, lint, tests; pins in requirements-dev.txt) and
# its generated protobuf/gRPC modules.
PYVENV := $(CURDIR)/.cache/pyvenv
PY_SDK := sdk/python
PY_GEN := $(PY_SDK)/src/footprint/event $(PY_SDK)/src/footprint/collector
MODULES := gen internal store cmd/footprint services/collector services/pg-writer services/ch-writer services/query services/notifier sdk e2e bench deploy

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: up ## Start the stack and services, send demo traffic, print what landed where
	bash deploy/local/demo.sh

.PHONY: test
test: infra lint checkgenerate build ## Bring up the stack; lint, check generated code, build every module alone, run all tests with -race
	bash scripts/test.sh

.PHONY: test-cluster
test-cluster: ## Start the multi-node profile (PROFILE=cluster) and run its failure drill (e2e/cluster_drill_test.go, ~2 min after start-up)
	FOOTPRINT_STACK_PROFILE=cluster bash $(STACK) up
	cd e2e && FOOTPRINT_REQUIRE_STACK=1 go test -tags cluster -count=1 -timeout 20m -run '^TestClusterFailureDrill$$' -v .

.PHONY: bench
bench: up ## Run the benchmark suite, write bench/results/latest.{md,json,png}
	cd bench && go run ./cmd/footprint-bench --out results $(BENCH_FLAGS)

.PHONY: bench-dashboards
bench-dashboards: infra ## PostgreSQL vs ClickHouse on the dashboard's queries, write bench/results/dashboards.{md,json,png} (DASHBOARDS_FLAGS=--quick or --sizes 1000000,3000000)
	cd bench && go run ./cmd/footprint-bench dashboards --out results $(DASHBOARDS_FLAGS)

.PHONY: bench-notifier
bench-notifier: up ## Notifier latency, Ingest ack -> Subscribe receive, at a steady load (NOTIFIER_BENCH_FLAGS=-rate 50 -duration 20s)
	cd services/notifier && go run ./cmd/notifier-bench $(NOTIFIER_BENCH_FLAGS)

.PHONY: screenshots
screenshots: ## Regenerate docs/screenshots/ (desktop, dark, phone) from the running stack's demo dashboard (after `make run`)
	cd e2e && FOOTPRINT_REQUIRE_STACK=1 go test -tags screenshots -count=1 -run '^TestDashboardScreenshots$$' -v .

# The dashboard's vendored chart library (services/query/internal/web/assets/vendor/):
# bump the version here and run `make dashboard-vendor` (needs the npm registry).
UPLOT_VERSION := 1.6.32
.PHONY: dashboard-vendor
dashboard-vendor: ## Re-vendor uPlot $(UPLOT_VERSION) into the dashboard from npm (npm pack; never at build or run time)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		(cd "$$tmp" && npm pack --silent uplot@$(UPLOT_VERSION) >/dev/null && tar xzf uplot-$(UPLOT_VERSION).tgz); \
		dst=services/query/internal/web/assets/vendor; \
		cp "$$tmp/package/dist/uPlot.iife.min.js" "$$tmp/package/dist/uPlot.min.css" "$$dst/"; \
		cp "$$tmp/package/LICENSE" "$$dst/uPlot.LICENSE"; \
		echo "vendored uPlot $(UPLOT_VERSION) into $$dst"

.PHONY: up
up: ## Install what is missing and start Kafka, PostgreSQL, ClickHouse and the services (PROFILE=cluster: the multi-node profile)
	bash $(STACK) up

.PHONY: infra
infra: ## Like up, without the Footprint services (what the tests need)
	bash $(STACK) infra

.PHONY: down
down: ## Stop everything `make up` started
	bash $(STACK) down

.PHONY: status
status: ## Show what the local stack runs
	bash $(STACK) status

.PHONY: tools
tools: $(BUF) ## Build the pinned code generators into .cache/bin

$(BUF): tools/go.mod tools/go.sum
	GOWORK=off go -C tools build -o $(TOOLS_BIN)/ tool
	@touch $@

.PHONY: generate
generate: tools pyvenv ## Regenerate gen/ (and the Python SDK's stubs) from proto/ with the pinned tools
	$(BUF) format -w
	rm -rf gen/footprint $(PY_GEN)
	$(BUF) generate

.PHONY: checkgenerate
checkgenerate: generate ## Fail when gen/ or proto/ formatting differ from what is committed
	@if [ -n "$$(git status --porcelain -- gen proto $(GATEWAY) $(PY_GEN))" ]; then \
		echo "generated code or proto formatting is out of date; run 'make generate' and commit:"; \
		git status --porcelain -- gen proto $(GATEWAY) $(PY_GEN); git --no-pager diff --stat -- gen proto $(GATEWAY) $(PY_GEN); exit 1; \
	fi
	@echo "checkgenerate: gen/ is up to date"

.PHONY: lint
lint: tools pyvenv ## buf lint, buf format, buf breaking, gofmt, go vet in every module; ruff and mypy --strict on sdk/python
	$(BUF) lint
	$(BUF) format --diff --exit-code
	@against='$(BREAKING_AGAINST)'; \
		if [ -z "$$against" ]; then \
			if [ "$$(git rev-parse --abbrev-ref HEAD)" = main ]; then against='.git#ref=HEAD~1'; else against='.git#branch=main'; fi; \
		fi; \
		echo "buf breaking --against $$against"; $(BUF) breaking --against "$$against"
	@unformatted=$$(git ls-files '*.go' | grep -v '^gen/' | xargs gofmt -l); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@for m in $(MODULES); do echo "go vet $$m"; (cd $$m && go vet ./...); done
	cd $(PY_SDK) && $(PYVENV)/bin/ruff check . && $(PYVENV)/bin/ruff format --check . && $(PYVENV)/bin/mypy

.PHONY: pyvenv
pyvenv: $(PYVENV)/.installed ## Create the Python SDK's venv in .cache/pyvenv (pinned; the SDK installed editable)

$(PYVENV)/.installed: $(PY_SDK)/requirements-dev.txt $(PY_SDK)/pyproject.toml
	python3 -m venv $(PYVENV)
	$(PYVENV)/bin/pip install -q --disable-pip-version-check -r $(PY_SDK)/requirements-dev.txt
	$(PYVENV)/bin/pip install -q --disable-pip-version-check --no-deps -e $(PY_SDK)
	@touch $@

.PHONY: build
build: ## Build every module with GOWORK=off (each module stands alone)
	@for m in $(MODULES); do echo "build $$m"; (cd $$m && GOWORK=off go build ./...); done

.PHONY: tidy
tidy: ## go mod tidy in every module
	@for m in $(MODULES) tools; do (cd $$m && GOWORK=off go mod tidy); done
