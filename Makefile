# Outpost. `make run` starts the host with embedded defaults; `make test`
# runs every test. Needs only Go; everything else is installed on demand.
GO      ?= go
BIN     := bin
PLUGINS := $(BIN)/plugins
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Every plugin: plugins/<vendor> and the examples that are plugins.
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/main.go))) examples/hello/

.PHONY: all build plugins run test test-go proto proto-check lint lint-go bench demo clean

all: build

build: plugins
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/outpost ./cmd/outpost
	$(GO) build -o $(BIN)/vendorsim ./cmd/vendorsim

plugins:
	@mkdir -p $(PLUGINS)
	@for d in $(PLUGIN_DIRS); do \
	  name=$$(basename $$d); \
	  echo "build $(PLUGINS)/outpost-plugin-$$name"; \
	  $(GO) build -o $(PLUGINS)/outpost-plugin-$$name ./$$d || exit 1; \
	done

run: build
	$(BIN)/outpost serve --data-dir ./data --plugin-dir ./$(PLUGINS)

# Everything CI runs: generated code fresh, formatting, vet, and every test
# with the race detector.
test: proto-check lint-go test-go

test-go:
	$(GO) test -race -timeout 15m ./...

proto:
	scripts/proto.sh

proto-check:
	scripts/proto.sh --check

lint-go:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint: lint-go
	scripts/tools.sh && PATH="$$($(GO) env GOPATH)/bin:$$PATH" buf lint

# Benchmarks; figures go in README.md's performance section.
# Each benchmark at a size that gives a steady figure on 2 cores.
bench:
	$(GO) test -run '^$$' -bench BenchmarkPollStream -benchtime 200000x ./host/plugin/
	$(GO) test -run '^$$' -bench 'BenchmarkCommit$$' -benchtime 100x ./host/store/
	$(GO) test -run '^$$' -bench 'BenchmarkSearchCases|BenchmarkGetCase' ./host/store/
	$(GO) test -run '^$$' -bench . ./host/api/
	$(GO) test -run '^$$' -bench BenchmarkIngestEndToEnd -benchtime 1x ./cmd/outpost/

demo: build
	scripts/demo.sh

clean:
	rm -rf $(BIN)
