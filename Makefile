# Holdfast. `make run` starts the app, `make test` runs every test; both
# install what they need first (Debian packages, npm packages, Go tools).
SHELL := /bin/bash
GO ?= go
export PATH := $(HOME)/go/bin:$(PATH)
# SQLite's full-text search (FTS5) is compiled into mattn/go-sqlite3 only
# with this tag; Holdfast refuses to start without it. Every go build, vet
# and test below passes it (and scripts/*.sh, wails.json).
TAGS := sqlite_fts5
# One version for every binary: the latest v* tag (git describe), else
# 0.0.0-dev+COMMIT; see scripts/version.sh.
# Computed once per make run and handed to the scripts, so a commit made
# while `make test` runs cannot give dist and the install test two versions.
VERSION := $(shell ./scripts/version.sh)
export HOLDFAST_VERSION := $(VERSION)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: run test deps-go test-go bench build serve frontend deps-frontend test-frontend test-e2e bench-frontend deps-desktop test-desktop desktop deps-dist dist test-install

## run: start the app (desktop window if there is a display, else `holdfast serve`)
run: build
	./scripts/run.sh

## test: every test — Go (with -race), front-end units, browser end-to-end, desktop smoke, packages + install
test: test-go test-frontend test-e2e test-desktop test-install

deps-go:
	./scripts/apt-ensure.sh gcc libc6-dev
	$(GO) mod download

test-go: deps-go
	$(GO) vet -tags $(TAGS) ./internal/... ./frontend/...
	$(GO) test -tags $(TAGS) -race -count=1 ./internal/... ./frontend/... .

## bench: Go benchmarks (event log alone; log + SSE over loopback; a seeded history of 1,000,000 messages), then `holdfast bench`
bench: build
	$(GO) test -tags $(TAGS) -run '^$$' -bench 'Append' -benchtime 300000x -count 3 ./internal/eventlog/
	$(GO) test -tags $(TAGS) -run '^$$' -bench 'Replay' -benchtime 5x -count 3 ./internal/eventlog/
	$(GO) test -tags $(TAGS) -run '^$$' -bench 'Deliver' -benchtime 200000x -count 3 ./internal/bench/
	$(GO) test -tags $(TAGS) -run '^$$' -bench 'Latency|Replay100k' -benchtime 1x -count 3 ./internal/bench/
	$(GO) test -tags $(TAGS) -run '^$$' -bench 'ChatGPT5000' -benchtime 1x -count 3 ./internal/importer/
	$(GO) test -tags $(TAGS) -run '^$$' -bench 'Import5000' -benchtime 1x -count 3 ./internal/importjob/
	$(GO) test -tags $(TAGS) -run '^$$' -bench 'History' -benchtime 20x ./internal/bench/
	./bin/holdfast bench

## build: the headless/serve binary with the front end embedded
build: deps-go frontend
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o bin/holdfast .

serve: build
	./bin/holdfast serve

# --- front end (frontend/) ---------------------------------------------------
## deps-frontend: npm packages (npm ci) and Debian chromium + CJK fonts for the browser tests
deps-frontend:
	./scripts/deps-frontend.sh

## frontend: build frontend/dist (embedded into the binary by frontend/embed.go)
frontend: deps-frontend
	cd frontend && npm run build

## test-frontend: type-check the UI and run the Vitest units
test-frontend: deps-frontend
	cd frontend && npm run check && npm test

## test-e2e: browser tests in Debian chromium against real `holdfast serve` processes
test-e2e: build
	$(GO) build -tags $(TAGS) -o bin/seedhistory ./scripts/seedhistory
	./frontend/e2e/run.sh

## bench-frontend: front-end speed figures (streaming, 2,000-message chat, bundle size)
bench-frontend: build
	$(GO) build -tags $(TAGS) -o bin/seedhistory ./scripts/seedhistory
	cd frontend && npm run bench

# --- desktop (app/) ---------------------------------------------------------
deps-desktop: deps-go
	./scripts/deps-desktop.sh

## desktop: the desktop binary (bin/holdfast-desktop), front end embedded
desktop: deps-desktop frontend
	$(GO) build -tags desktop,production,webkit2_41,$(TAGS) -ldflags "-s -w $(LDFLAGS)" -o bin/holdfast-desktop .

## test-desktop: build the real desktop binary and smoke-test it in a window under Xvfb
test-desktop: deps-desktop frontend
	./scripts/test-desktop.sh

# --- release packages (dist/) -------------------------------------------------
deps-dist: deps-go
	./scripts/deps-dist.sh

## dist: .deb, .tar.gz and the Windows build (+ installer) in dist/, version from git
dist: deps-dist frontend
	./scripts/dist.sh

## test-install: install dist's .deb with apt-get, smoke-test the installed app, remove it (root or sudo)
test-install: dist
	go test -tags $(TAGS) -count=1 ./scripts/desktopsmoke
	./scripts/test-install.sh
