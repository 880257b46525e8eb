# fastsafe: build and test every module of the workspace from the root.

GO          ?= go
BIN         := $(CURDIR)/bin
# Every module of go.work, each named: ./pkg/... does not reach the module
# nested in it (pkg/ginbearer). e2e/modules_test.go checks the list against
# go.work.
MODULES     := authserver internal pkg pkg/ginbearer resourceserver e2e
PKGS        := $(MODULES:%=./%/...)
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
# Helm, built from its Go module, for the chart's test (e2e/chart_test.go).
HELM_VERSION := v4.3.2
HELM        := $(BIN)/helm-$(HELM_VERSION)/helm
# Static binaries: no cgo anywhere (SQLite is the pure-Go driver).
export CGO_ENABLED ?= 0

.PHONY: all build test fmt-check vet staticcheck unit tidy clean helm chart
.PHONY: bench
.PHONY: image-bins images up demo down

all: build

## build: bin/authserver and bin/resourceserver
build:
	$(GO) build -trimpath -o $(BIN)/authserver ./authserver
	$(GO) build -trimpath -o $(BIN)/resourceserver ./resourceserver

## test: gofmt check, go vet, staticcheck and go test -race over every module,
## with the Helm chart linted, rendered and checked
test: fmt-check vet staticcheck unit

fmt-check:
	@out=$$(gofmt -l $(MODULES) | sort -u); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

# -race needs cgo.
unit: $(HELM)
	FASTSAFE_HELM=$(HELM) CGO_ENABLED=1 $(GO) test -race -count=1 $(PKGS)

# Built once (a few minutes the first time: Helm and its Kubernetes modules),
# outside the workspace, so that no module of fastsafe depends on Helm.
$(HELM):
	GOBIN=$(dir $(HELM)) $(GO) install -trimpath helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

## helm: bin/helm-VERSION/helm, built from helm.sh/helm/v4
helm: $(HELM)

## chart: lint, render and check deploy/helm/fastsafe (e2e/chart_test.go) alone
chart: $(HELM)
	FASTSAFE_HELM=$(HELM) $(GO) test -count=1 -run '^TestHelmChart' ./e2e/

## fuzz: run each fuzz target for FUZZTIME (the seed corpora run in `make test`)
## FUZZTIME is a count of inputs (200000x: seconds per target) or a duration
## (30s). A count is the default: with a duration, Go 1.26's fuzzing
## coordinator can fail a target that found nothing, "context deadline
## exceeded" at the deadline (go.dev/issue/75804, fixed in Go 1.27).
## FUZZMINIMIZETIME bounds the minimizing of each new input.
FUZZTIME ?= 200000x
FUZZMINIMIZETIME ?= 5s
FUZZ_TARGETS := \
	./authserver/internal/form:FuzzParseBody \
	./authserver/internal/clientauth:FuzzExtract \
	./authserver/internal/clientauth:FuzzParseAssertion \
	./pkg/verify:FuzzVerify \
	./pkg/verify:FuzzCheckMembers \
	./pkg/verify:FuzzDecodeClaims \
	./pkg/verify:FuzzDPoP
.PHONY: fuzz
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) || exit 1; \
	done

## tidy: go mod tidy in every module
tidy:
	for m in $(MODULES); do (cd $$m && $(GO) mod tidy) || exit 1; done

clean:
	rm -rf $(BIN)

# Containers: docker-compose.yml runs both servers and the demo relying party
# (oauth2-proxy). `make up` builds the images from source (deploy/*.Dockerfile,
# needs Docker Hub's Go image); `make images` and `make demo` build the same
# images from binaries compiled here, pulling nothing.
IMAGE_BIN   := $(BIN)/image
# Keep in step with the go build line of deploy/*.Dockerfile.
IMAGE_FLAGS := -trimpath -tags nomsgpack -ldflags='-s -w'

## image-bins: static, stripped binaries for the images, in bin/image/; the
## demo relying party's oauth2-proxy comes from the Go module proxy
image-bins:
	GOOS=linux $(GO) build $(IMAGE_FLAGS) -o $(IMAGE_BIN)/authserver/authserver ./authserver
	mkdir -p $(IMAGE_BIN)/authserver/data
	GOOS=linux $(GO) build $(IMAGE_FLAGS) -o $(IMAGE_BIN)/resourceserver/resourceserver ./resourceserver
	GOOS=linux GO=$(GO) deploy/scripts/build-oauth2-proxy.sh $(IMAGE_BIN)/oauth2-proxy
	GOOS=linux $(GO) build $(IMAGE_FLAGS) -o $(IMAGE_BIN)/oauth2-proxy/healthcheck ./internal/cmd/healthcheck
	cp deploy/oauth2-proxy/oauth2-proxy.cfg deploy/oauth2-proxy/alpha-config.yaml $(IMAGE_BIN)/oauth2-proxy/

## images: fastsafe/authserver:local, fastsafe/resourceserver:local and
## fastsafe/oauth2-proxy:local (the demo relying party), offline
images: image-bins
	deploy/scripts/images.sh

## up: build the images from source, start docker-compose.yml, wait until
## healthy, with docker compose (v2) or docker-compose (v1), whichever is here
up:
	deploy/scripts/demo.sh up --build

## demo: build the images offline, start docker-compose.yml, wait until healthy
demo: images
	deploy/scripts/demo.sh up

## down: stop the demo and remove its containers and volumes
down:
	deploy/scripts/demo.sh down

## bench: measure fresh local servers over loopback and write docs/performance.md
## and docs/performance.svg (a few minutes; not part of test). RUNS, PHASE,
## SUSTAIN, SIGNING_ALG and BCRYPT_COST tune it (see e2e/bench/run.sh).
bench: build
	$(GO) build -trimpath -o $(BIN)/loadtest ./e2e/bench/cmd/loadtest
	BIN=$(BIN) bash e2e/bench/run.sh
	BIN=$(BIN) GO=$(GO) bash e2e/bench/data.sh
