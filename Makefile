# Holdfast. `make run` starts the app, `make test` runs every test; both
# install what they need first (Debian packages, npm packages, Go tools).
SHELL := /bin/bash
GO ?= go
export PATH := $(HOME)/go/bin:$(PATH)

.PHONY: run test deps-go test-go bench build serve frontend deps-frontend test-frontend test-e2e deps-desktop test-desktop

## run: start the app (desktop window if there is a display, else `holdfast serve`)
run: build
	./scripts/run.sh

## test: every test — Go (with -race), front-end units, browser end-to-end, desktop smoke
test: test-go test-frontend test-e2e test-desktop

deps-go:
	./scripts/apt-ensure.sh gcc libc6-dev
	$(GO) mod download

test-go: deps-go
	$(GO) vet ./internal/... ./frontend/...
	$(GO) test -race -count=1 ./internal/... ./frontend/... .

## bench: Go benchmarks for the event log and the SSE path
bench: deps-go
	$(GO) test -run '^$$' -bench . -benchtime 2x ./internal/eventlog/ ./internal/server/

## build: the headless/serve binary with the front end embedded
build: deps-go frontend
	$(GO) build -o bin/holdfast .

serve: build
	./bin/holdfast serve

# --- front end (frontend/) ---------------------------------------------------
deps-frontend:
	@if [ -f frontend/package.json ]; then ./scripts/deps-frontend.sh; fi

frontend: deps-frontend
	@if [ -f frontend/package.json ]; then cd frontend && npm run build; fi

test-frontend: deps-frontend
	@if [ -f frontend/package.json ]; then cd frontend && npm test; fi

test-e2e: build
	@if [ -f frontend/e2e/run.sh ]; then ./frontend/e2e/run.sh; fi

# --- desktop (app/) ---------------------------------------------------------
deps-desktop:
	@if [ -f scripts/deps-desktop.sh ]; then ./scripts/deps-desktop.sh; fi

test-desktop: deps-desktop
	@if [ -f scripts/test-desktop.sh ]; then ./scripts/test-desktop.sh; fi
