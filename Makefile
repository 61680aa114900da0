# ingestd developer targets. `make test` is what CI runs (.ci/run).
GO ?= go
SAMPLE_ARGS = --host logstash-ds-q4xg9 --geoip-db testdata/GeoLite2-City-Test.mmdb \
	--directory testdata/directory.yaml --path-dir /var/log/authing-server

# Stamped into the binary (ingestd version, ingestd_build_info).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILDINFO = github.com/ingestd/ingestd/internal/buildinfo
LDFLAGS = -s -w -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT)
RELEASE_ARCHS = amd64 arm64

IMAGE ?= ingestd:$(VERSION)
IMAGE_ARCH ?= amd64
CA_CERTS ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: all build run test unit lint fuzz bench golden engine-start engine-stop release mutation image

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ingestd ./cmd/ingestd

# Static linux binaries (no cgo; time zone data embedded) and their
# SHA256SUMS in dist/.
release:
	rm -rf dist && mkdir -p dist
	for arch in $(RELEASE_ARCHS); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
			-o dist/ingestd-$(VERSION)-linux-$$arch ./cmd/ingestd || exit 1; \
	done
	cd dist && sha256sum ingestd-* > SHA256SUMS

# The container image (Containerfile, FROM scratch), tagged $(IMAGE) and
# ingestd:latest. Needs podman; the CA bundle comes from the build host.
image:
	rm -rf .cache/image && mkdir -p .cache/image
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o .cache/image/ingestd ./cmd/ingestd
	cp $(CA_CERTS) .cache/image/ca-certificates.crt
	podman build --arch $(IMAGE_ARCH) -f Containerfile -t $(IMAGE) -t ingestd:latest .cache/image

# Replay the seed line to stdout on the embedded defaults (no engine needed).
run:
	$(GO) run ./cmd/ingestd replay $(SAMPLE_ARGS) testdata/audit.2021-09-22.log

# Everything CI runs: unit, golden, fuzz-corpus, real GeoLite2 and real
# engine tests. Fetches the GeoLite2 database and OpenSearch into
# ~/.cache/ingestd (never into the repository) and starts/stops the engine.
test:
	scripts/test.sh

# Unit tests only: no engine, no downloads.
unit:
	$(GO) test -count=1 ./...

lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...

# Regenerate golden files and the test GeoIP database.
golden:
	$(GO) test ./internal/geoiptest ./cmd/ingestd -update

fuzz:
	$(GO) test ./parser -run XXX -fuzz 'FuzzParse$$' -fuzztime 60s
	$(GO) test ./parser -run XXX -fuzz FuzzRoundTrip -fuzztime 60s

# Mutation testing (TESTING.md): installs the pinned gremlins if missing,
# runs it on the core packages (one worker, MUTATION_TIMEOUT per package,
# default 60m) and prints the scores. Not part of `make test`.
mutation:
	scripts/mutation.sh $(MUTATION_PKGS)

bench:
	$(GO) test ./parser ./enrich -run XXX -bench . -benchtime 2s
	scripts/bench-replay.sh

# A local engine for --es http://127.0.0.1:9201 (OpenSearch from Maven Central).
engine-start:
	scripts/engine.sh start

engine-stop:
	scripts/engine.sh stop
