# The README's commands. Each target sets up what it needs on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test check unit system-deps a11y-deps reliability soak bench clean autobahn

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "vierhoeken needs Python >= 3.11 (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/vierhoeken serve

system-deps:
	@bash .ci/system-deps

check: $(STAMP)
	$(BIN)/ruff check server tests bench
	$(BIN)/mypy server

# axe-core for the accessibility test (tests/a11y/, loaded into the page; no Node at test time).
A11Y_STAMP := tests/a11y/node_modules/.ci-$(shell cksum tests/a11y/package-lock.json 2>/dev/null | cut -d' ' -f1)
a11y-deps: system-deps
	@test -f $(A11Y_STAMP) || { npm ci --prefix tests/a11y --no-audit --no-fund --loglevel=error && rm -f tests/a11y/node_modules/.ci-* && touch $(A11Y_STAMP); } \
		|| { echo "vierhoeken tests need axe-core: 'npm ci --prefix tests/a11y' failed" >&2; exit 1; }

test: $(STAMP) system-deps a11y-deps check
	$(BIN)/pytest

# The reliability tests (part of `make test`) with their figures written to docs/RELIABILITY.md.
reliability: $(STAMP) system-deps
	VH_FIGURES=.reliability.json $(BIN)/pytest -m reliability
	$(BIN)/python tests/figures.py render .reliability.json docs/RELIABILITY.md

# The same, longer: more messages, longer fuzzing, more clients.
soak: $(STAMP) system-deps
	VH_SOAK=1 VH_FIGURES=.reliability.json $(BIN)/pytest -m reliability
	$(BIN)/python tests/figures.py render .reliability.json docs/RELIABILITY.md

# The Autobahn|Testsuite fuzzing client against the websocket stack (a few minutes), written to
# docs/autobahn-summary.json and docs/RELIABILITY.md. wstest needs Python 2.7 (PYTHON2, python2.7
# or pyenv's 2.7.18); it goes into .autobahn/. See tests/autobahn/README.md.
autobahn: $(STAMP)
	$(BIN)/python tests/autobahn/run

# Load, latency and memory of this server beside a raw Python relay and y-websocket, written to
# docs/PERFORMANCE.md and docs/performance-p99.png (about 15 minutes). QUICK=1: a reduced set in
# about two minutes, written to bench/out/ only.
BENCH_STAMP := $(VENV)/.bench-$(shell cksum pyproject.toml | cut -d' ' -f1)
NPM_STAMP   := bench/node_modules/.ci-$(shell cksum bench/package-lock.json 2>/dev/null | cut -d' ' -f1)
bench: $(STAMP) system-deps
	@test -f $(BENCH_STAMP) || { $(BIN)/python -m pip install -q -e '.[dev,bench]' && rm -f $(VENV)/.bench-* && touch $(BENCH_STAMP); }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' 2>/dev/null && command -v npm >/dev/null 2>&1 || { echo "make bench needs Node.js >= 18 with npm: apt-get install nodejs npm" >&2; exit 1; }
	@test -f $(NPM_STAMP) || { cd bench && npm ci --no-audit --no-fund --loglevel=error && rm -f node_modules/.ci-* && touch ../$(NPM_STAMP); }
	$(BIN)/python -m bench $(if $(filter-out 0,$(QUICK)),--quick)

# The quick loop while working: no browser, Redis, slow or fault tests, four at a time (they
# mostly wait on sockets and subprocesses). `make test` runs everything one at a time: the
# attack, fault and browser tests measure latency and must not share the machine.
unit: $(STAMP)
	$(BIN)/pytest -m "not browser and not redis and not slow and not reliability" -n 4

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
