# arxiv-feeds: `make run` starts the service, `make test` runs every check.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo /root/.pyenv/versions/3.12.1/bin/python)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# make test BROWSERS=0: no chromium, newsboat, Node or Vercel CLI installed, their tests not run
# (not under CI)
BROWSERS ?= 1
SKIP := $(if $(filter 0,$(BROWSERS)),$(if $(CI),,-m "not browser"))

VERCEL_CLI := .tools/node_modules/.bin/vercel
# Vercel Framework Preset the local build assumes: empty ("Other") or fastapi (what Vercel picks
# on import). vercel.json pins "framework": null, so both build the same function.
FRAMEWORK ?=

.PHONY: run refresh digest docs test lint bench vercel-cli vercel-build redis-server browsers-and-readers clean

$(BIN)/python:
	@echo "==> creating $(VENV)/ with $(PYTHON) (first run only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	@echo "==> installing the service's Python packages into $(VENV)/ (first run only, about a minute)"
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	@echo "==> installing the Python packages for tests and linters into $(VENV)/ (first run only, 1-2 minutes)"
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps  ## set up and start the service on http://127.0.0.1:8000 (HOST=, PORT= to change)
	@echo "==> checking the configuration (config.json, ARXIV_FEEDS_* variables)"
	@$(BIN)/python -m app check
	@echo "==> starting the service on http://$(HOST):$(PORT)/ (Ctrl+C stops it)"
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

refresh: $(VENV)/.run-deps  ## fetch today's listings, rank them, make the summaries (arxiv-feeds refresh)
	$(BIN)/python -m app refresh

digest: $(VENV)/.run-deps  ## refresh, then print the Markdown digest (OUTPUT=file to write one)
	$(BIN)/python -m app digest -o $(or $(OUTPUT),-)

docs: $(VENV)/.dev-deps  ## build the documentation site into site/ (warnings are errors)
	@echo "==> building the documentation into site/ with zensical (offline)"
	$(BIN)/zensical build --strict --clean

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

redis-server:  # the Redis store tests start a real redis-server on loopback
	@command -v redis-server >/dev/null || { echo "==> installing redis-server with apt-get (the store tests run a real one)"; apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }

browsers-and-readers:  # the web page and reader tests drive chromium, newsboat and Node parsers
ifneq ($(SKIP),)
	@echo "==> BROWSERS=0: not installing chromium, newsboat or Node packages, and not running the browser and reader tests"
else
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v newsboat >/dev/null || { echo "==> installing chromium, chromedriver and newsboat with apt-get (about 125 Debian packages, a few minutes; make test BROWSERS=0 skips this)"; apt-get update -qq && apt-get install -y -qq chromium chromium-driver newsboat >/dev/null; }
	@command -v npm >/dev/null || { echo "==> installing Node.js and npm with apt-get"; apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	@test -d tests/node/node_modules/rss-parser || { echo "==> installing the Node feed parsers (tests/node) with npm ci"; npm ci --prefix tests/node --no-audit --no-fund --loglevel=error; }
endif

test: $(VENV)/.dev-deps lint docs redis-server browsers-and-readers $(if $(SKIP),,vercel-cli)  ## set up and run linters, type checks and the whole test suite
	@echo "==> running the test suite (2-4 minutes)"
	$(BIN)/pytest $(SKIP)

bench: $(VENV)/.dev-deps  ## print speed figures (see bench/)
	$(BIN)/python bench/run_all.py
	$(BIN)/python bench/llm.py
	$(BIN)/python bench/load.py

$(VERCEL_CLI):
	@command -v npm >/dev/null || { echo "==> installing Node.js and npm with apt-get"; apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	@echo "==> installing the Vercel CLI (vercel@60.1.3) into .tools/ with npm (the bundle tests build with it)"
	@npm install --prefix .tools --no-audit --no-fund --loglevel=error vercel@60.1.3

vercel-cli: $(VERCEL_CLI)  # the bundle tests build with the real Vercel CLI

vercel-build: $(VENV)/.dev-deps $(VERCEL_CLI)  ## build the Vercel function (no account needed), print its size and cold start
	$(BIN)/python bench/vercel_build.py --framework "$(FRAMEWORK)"
	$(BIN)/python bench/cold_start.py --build .vercel/builds/$(or $(FRAMEWORK),other)

clean:
	rm -rf $(VENV) .tools .vercel .pytest_cache .mypy_cache .ruff_cache site
