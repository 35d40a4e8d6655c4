# The README's commands. Each target sets up what it needs on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test check unit system-deps reliability soak bench clean

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
	$(BIN)/ruff check server tests
	$(BIN)/mypy server

test: $(STAMP) system-deps check
	$(BIN)/pytest

# The reliability tests (part of `make test`) with their figures written to docs/RELIABILITY.md.
reliability: $(STAMP) system-deps
	VH_FIGURES=.reliability.json $(BIN)/pytest -m reliability
	$(BIN)/python tests/figures.py render .reliability.json docs/RELIABILITY.md

# The same, longer: more messages, longer fuzzing, more clients.
soak: $(STAMP) system-deps
	VH_SOAK=1 VH_FIGURES=.reliability.json $(BIN)/pytest -m reliability
	$(BIN)/python tests/figures.py render .reliability.json docs/RELIABILITY.md

unit: $(STAMP)
	$(BIN)/pytest -m "not browser and not redis"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
