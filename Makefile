# scalelab: run `make help` for the list of targets.
GO      ?= go
BIN     := bin/scalelab
PKGS    := ./...

.PHONY: help build test vet fuzz
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/scalelab
	$(GO) build -o $(BIN) ./cmd/scalelab

vet: ## go vet every package
	$(GO) vet $(PKGS)

test: build vet ## run the whole test suite (as root, namespace tests run too)
	$(GO) test -count=1 -timeout 9m $(PKGS)
