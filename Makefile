# The two commands of the README: `make console` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PLAYGROUND := tests/e2e/playground

.PHONY: console test quick lint typecheck unit bench clean playground screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The Microsoft 365 Agents Playground for tests/e2e/test_playground.py, as its lock file pins it.
# Without npm the test skips and says why (with CI=true it fails instead).
$(PLAYGROUND)/node_modules/.installed: $(PLAYGROUND)/package.json $(PLAYGROUND)/package-lock.json
	npm ci --prefix $(PLAYGROUND) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

playground:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(PLAYGROUND)/node_modules/.installed; \
	else echo "npm not found: the Playground test (tests/e2e/test_playground.py) will skip"; fi

console: $(STAMP)
	$(BIN)/candor console

lint: $(STAMP)
	$(BIN)/ruff check bot storage adapters tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) playground
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck unit

# Everything but the tests marked slow (crashes under load, the linkage days, live key rotations).
quick: lint typecheck
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

# The README's screenshots of the evidence pages, taken by the browser test.
screenshots: $(STAMP)
	CANDOR_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q tests/e2e/test_evidence_browser.py -k slack

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(PLAYGROUND)/node_modules
