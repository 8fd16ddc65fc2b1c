# Wharf: a three-node raft-replicated server that speaks the Amazon SQS API.
#
#   make run     build, then start a local 3-node cluster (Ctrl-C stops it)
#   make test    go vet + every test (unit, cluster, integration)
#   make bench   throughput and latency against a fresh local cluster
#   make lint    gofmt + go vet
#   make build   bin/wharf (static)
#   make docker  the wharf:dev image (FROM scratch; see docker-compose.yml)
#   make chaos   the quick fault-injection run (about 3 min, root)
#   make soak    DURATION=30m SEED=n: random faults for as long as asked

GO          ?= go
BIN         ?= bin/wharf
TEST_TIMEOUT ?= 10m
GOFLAGS_TEST ?=

.PHONY: all build run test lint bench clean docker chaos soak

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/wharf

run: build
	WHARF_BIN=$(BIN) scripts/run-cluster.sh

# The integration tests (./test) run real 3-node clusters; they run after
# the other packages rather than beside them, so that raft heartbeats on a
# 2-core machine do not compete with the other packages' tests.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(GOFLAGS_TEST) $$($(GO) list ./... | grep -v -E '/test(/|$$)')
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(GOFLAGS_TEST) ./test/...
	$(GO) test -count=1 -tags chaos ./test/chaos/checker/

lint:
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: build
	WHARF_BIN=$(BIN) scripts/bench.sh

docker: build
	DOCKER_BUILDKIT=0 docker build -t wharf:dev .

chaos:
	scripts/chaos.sh

DURATION ?= 30m
SEED     ?=
soak:
	DURATION=$(DURATION) SEED=$(SEED) scripts/soak.sh

clean:
	rm -rf bin chaos-results
