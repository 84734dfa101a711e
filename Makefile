# scalelab: `make help` lists the targets.
#   make phase 1      run phase 1 of the ladder, write results/<time>-phase-01/
#   make test         the whole test suite (as root, the namespace tests run too)
GO      ?= go
BIN     := bin/scalelab
PKGS    := ./...
FUZZTIME ?= 20s

# `make phase N`: the word after `phase` is its argument, not a target.
ifeq (phase,$(firstword $(MAKECMDGOALS)))
  PHASE_ARGS := $(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS))
  $(eval $(PHASE_ARGS):;@:)
endif

.PHONY: help build test vet race fuzz phase ladder ladder-report report reference compare k8s-manifest site site-check exercises control noise anchors bench-driver bench-h2 h2-side-by-side clean

help: ## list the targets
	@echo "usage: make TARGET"
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build bin/scalelab
	$(GO) build -o $(BIN) ./cmd/scalelab

phase: build ## make phase N: run phase N of the ladder (no N: list the ladder); OUT=dir to choose where
	@$(BIN) run $(if $(OUT),--out $(OUT)) $(PHASE_ARGS)

ladder: build ## run every phase of the ladder in order; fails at the end only for exit status 2 or 3 (a refuted or inconclusive rung is a result)
	@bad=""; for n in $$($(BIN) run --list -q); do \
	  $(BIN) run $$n; rc=$$?; \
	  case $$rc in 0) ;; 1) echo "ladder: phase $$n: exit 1 (hypothesis refuted or a threshold failed)";; \
	    4) echo "ladder: phase $$n: exit 4 (inconclusive)";; *) echo "ladder: phase $$n: exit $$rc"; bad="$$bad $$n";; esac; \
	done; $(BIN) ladder; rc=$$?; \
	if [ -n "$$bad" ]; then echo "ladder: could not run (exit 2 or 3): phase$$bad"; exit 1; fi; exit $$rc

h2-side-by-side: build ## rung 11 both ways: phase 11 (h2c, 100 connections x 100 streams) and its HTTP/1.1 twin (docs/h2/), compared by requests in flight
	@t=$$(date +%Y%m%d-%H%M%S); a=results/$$t-phase-11-http1; b=results/$$t-phase-11; \
	$(BIN) run docs/h2/11-nethttp-http1.yaml --out $$a; $(BIN) run 11 --out $$b; \
	$(BIN) compare $$a $$b --out results/$$t-h2-side-by-side.md && cat results/$$t-h2-side-by-side.md && echo "written: results/$$t-h2-side-by-side.md" >&2

ladder-report: build ## the ladder's table and chart from the newest run of each phase under results/ (writes results/ladder.md)
	@$(BIN) ladder

report: build ## make report RUN=dir: write a run's report, charts and results.csv again from its scorecard
	@test -n "$(RUN)" || { echo "usage: make report RUN=results/<run>"; exit 2; }
	@$(BIN) report '$(RUN)'

reference: build ## the committed reference runs of the ladder as one dated history
	@$(BIN) reference

compare: build ## make compare A=dir B=dir: compare run B with run A (run directories or scorecard files); prints the report and writes compare-<A>-vs-<B>.md in the current directory
	@test -n "$(A)" && test -n "$(B)" || { echo "usage: make compare A=results/<run> B=results/<run>"; exit 2; }
	@name() { p=$$(realpath -m "$$1"); [ "$$(basename "$$p")" = scorecard.yaml ] && p=$$(dirname "$$p"); p=$$(basename "$$p"); echo "$${p%.yaml}"; }; \
	f="compare-$$(name '$(A)')-vs-$$(name '$(B)').md"; \
	$(BIN) compare '$(A)' '$(B)' --out "$$f" && cat "$$f" && echo "written: $$f" >&2

test: build vet ## run the whole test suite, one package at a time so load tests do not share the CPUs (as root the namespace tests run too), then `make race`
	$(GO) test -p 1 -count=1 -timeout 9m $(PKGS)
	@$(MAKE) --no-print-directory race

race: ## the race detector over the packages with goroutines that share state (driver, runner, servers)
	$(GO) test -race -p 1 -count=1 -timeout 9m ./driver/... ./runner/... ./servers/...

vet: ## go vet and gofmt check
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }

fuzz: ## run every fuzz target for FUZZTIME each (default 20s)
	@grep -rl --include='*_test.go' '^func Fuzz' . | while read f; do \
	  d=$$(dirname $$f); for fn in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/func //'); do \
	    echo "== $$d $$fn"; $(GO) test -run='^$$' -fuzz="^$$fn$$" -fuzztime=$(FUZZTIME) $$d || exit 1; done; done

k8s-manifest: build ## make k8s-manifest URL=http://svc:8080/ [SHARDS=4] [ARGS='-c 4000 -d 60s']: print the Indexed Job and ConfigMap of a sharded load (docs/scale-out.md)
	@test -n "$(URL)" || { echo "usage: make k8s-manifest URL=http://web.bench.svc:8080/ [SHARDS=4] [ARGS='-c 4000 -d 60s --image IMAGE']"; exit 2; }
	@$(BIN) k8s job --shards $(or $(SHARDS),4) --allow-remote $(ARGS) '$(URL)'

site: build ## the results as a static site in bin/site/ (SITE=dir): the ladder, every report and comparison, the course; RUNS=results/ adds your runs
	@$(BIN) site --out $(or $(SITE),bin/site) $(or $(RUNS),$(if $(wildcard results/*/scorecard.yaml),results))

site-check: ## build the site and check it in headless Chromium (installed if missing): console errors, broken links, images, phone width; screenshots in bin/site-check/
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "site-check: installing chromium"; apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	$(GO) run ./scripts/sitecheck -shots bin/site-check -timeout 4m

exercises: ## run every exercise of the course (docs/course/exercises) and check the outcome its page promises (as root; about 2 minutes)
	$(GO) test -count=1 -timeout 9m -run 'TestExercises' -v ./docs/course

control: build ## run the control phase (gnet, generous limits, closed loop, 4 counts x 4 trials) RUNS times (default 5): no level may be judged dropped; as root
	$(GO) run ./scripts/control -runs $(or $(RUNS),5)

noise: build ## measure the noise margins of this machine (one count's trials within a run, and from run to run); as root
	$(GO) run ./scripts/noise

anchors: build ## benchmark: wrk against nginx and every variant (installs wrk, nginx)
	scripts/anchors.sh

bench-driver: build ## benchmark: wrk vs scalelab load, 100 and 10,000 connections (installs wrk, nginx)
	scripts/bench-driver.sh

bench-h2: build ## benchmark: h2load vs scalelab load over h2c, paired rounds against the nethttp h2c variant and nginx (installs nghttp2-client, nginx-light)
	scripts/bench-h2.sh

clean: ## remove bin/ (results/ stays)
	rm -rf bin
