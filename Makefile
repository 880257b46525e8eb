# fastsafe: build and test every module of the workspace from the root.

GO          ?= go
BIN         := $(CURDIR)/bin
PKGS        := ./authserver/... ./pkg/... ./resourceserver/... ./e2e/...
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
# Static binaries: no cgo anywhere (SQLite is the pure-Go driver).
export CGO_ENABLED ?= 0

.PHONY: all build test fmt-check vet staticcheck unit tidy clean

all: build

## build: bin/authserver and bin/resourceserver
build:
	$(GO) build -trimpath -o $(BIN)/authserver ./authserver
	$(GO) build -trimpath -o $(BIN)/resourceserver ./resourceserver

## test: gofmt check, go vet, staticcheck and go test -race over every module
test: fmt-check vet staticcheck unit

fmt-check:
	@out=$$(gofmt -l authserver pkg resourceserver e2e); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

# -race needs cgo.
unit:
	CGO_ENABLED=1 $(GO) test -race -count=1 $(PKGS)

## tidy: go mod tidy in every module
tidy:
	for m in authserver pkg resourceserver e2e; do (cd $$m && $(GO) mod tidy) || exit 1; done

clean:
	rm -rf $(BIN)
