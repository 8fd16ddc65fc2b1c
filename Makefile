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

# make bench runs the suite of `wharf bench` (a fresh cluster and the two
# references, see README). Knobs, passed as flags only when set by the
# caller: DURATION (per run, 3s), RUNS (3), WORKERS (1,16,64), MODES,
# TARGETS (comma or space lists), QUEUED (N messages: heap and restart).
# DURATION has a file default for soak below, so origin tells them apart.
comma := ,
space := $(subst ,, )
bench_flag = $(if $(filter environment command,$(firstword $(origin $(2)))),--$(1) $(subst $(space),$(comma),$(strip $($(2)))))
bench: build
	$(BIN) bench $(call bench_flag,duration,DURATION) $(call bench_flag,runs,RUNS) \
		$(call bench_flag,workers,WORKERS) $(call bench_flag,modes,MODES) \
		$(call bench_flag,targets,TARGETS) $(call bench_flag,queued,QUEUED)

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
