# mpt: the everyday commands. `make test` is the README's test command and what CI runs.
GO      ?= go
PICO    := 2.1.1
HTMX    := 2.0.11

.PHONY: run test test-short lint fmt bench fuzz crash screenshots vendor build clean

## run: start the app on the SQLite file mpt.db (created with demo data on first start)
run:
	$(GO) run ./cmd/mpt

## build: a static-ish binary in bin/mpt
build:
	$(GO) build -o bin/mpt ./cmd/mpt

## test: the whole suite with the race detector; PostgreSQL variants run when
## MPT_TEST_POSTGRES_DSN is set (CI always sets it)
test:
	$(GO) test -race -count=1 ./...

## test-short: quick feedback without the race detector
test-short:
	$(GO) test -count=1 ./...

## lint: formatting, go vet and staticcheck (pinned as a go tool in go.mod)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## bench: every benchmark, with memory figures
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## crash: the crash-safety test alone, verbose: the server SIGKILLed CRASH_ROUNDS times (default 24)
## during bulk ingest, imports, declaration generation and FX allocation, the database checked after
## each kill (make test runs it too); MPT_CRASH_SEED=n replays a run's delays and data
CRASH_ROUNDS ?= 24
crash:
	MPT_CRASH_ROUNDS=$(CRASH_ROUNDS) $(GO) test -race -count=1 -v -run '^TestCrashSafety$$' ./cmd/mpt/

## fuzz: every fuzz target for FUZZTIME each (default 30s), one after another; a crash stops
## the run and leaves its input in the package's testdata/fuzz/<FuzzName>/ (commit it as a seed)
FUZZTIME ?= 30s
FUZZ_TARGETS := \
	./workflow:FuzzCheckUSCC ./workflow:FuzzCheckContainerNumber ./workflow:FuzzCheckHSCode \
	./workflow:FuzzImportFile ./workflow:FuzzPreviewDeclarations ./workflow:FuzzReadStatement \
	./cmd/mpt:FuzzDeclare
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## screenshots: the user guides' screenshots (docs/img), taken by the browser tests on the demo
## data; needs Chromium
screenshots:
	MPT_SCREENSHOTS=$(CURDIR)/docs/img $(GO) test -count=1 -run TestScreenshots ./handlers/e2e/

## vendor: re-fetch the front-end libraries pinned above from npm into web/static/vendor
vendor:
	rm -rf .vendor-tmp && mkdir .vendor-tmp
	cd .vendor-tmp && npm pack --silent @picocss/pico@$(PICO) && tar xzf picocss-pico-$(PICO).tgz
	cp .vendor-tmp/package/css/pico.min.css web/static/vendor/pico/pico.min.css
	cp .vendor-tmp/package/LICENSE.md web/static/vendor/pico/LICENSE.md
	rm -rf .vendor-tmp/package
	cd .vendor-tmp && npm pack --silent htmx.org@$(HTMX) && tar xzf htmx.org-$(HTMX).tgz
	cp .vendor-tmp/package/dist/htmx.min.js web/static/vendor/htmx/htmx.min.js
	cp .vendor-tmp/package/LICENSE web/static/vendor/htmx/LICENSE
	rm -rf .vendor-tmp

clean:
	rm -rf bin mpt.db mpt.db-shm mpt.db-wal
