# arxiv-feeds: `make run` starts the service, `make test` runs every check.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo /root/.pyenv/versions/3.12.1/bin/python)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

VERCEL_CLI := .tools/node_modules/.bin/vercel
# Vercel Framework Preset the local build assumes: empty ("Other") or fastapi (what Vercel picks
# on import). vercel.json pins "framework": null, so both build the same function.
FRAMEWORK ?=

.PHONY: run test lint bench vercel-cli vercel-build redis-server browsers-and-readers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps  ## set up and start the service on http://127.0.0.1:8000
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

redis-server:  # the Redis store tests start a real redis-server on loopback
	@command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }

browsers-and-readers:  # the web page and reader tests drive chromium, newsboat and Node parsers
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v newsboat >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver newsboat >/dev/null; }
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	@test -d tests/node/node_modules/rss-parser || npm ci --prefix tests/node --no-audit --no-fund --loglevel=error

test: $(VENV)/.dev-deps lint redis-server browsers-and-readers vercel-cli  ## set up and run linters, type checks and the whole test suite
	$(BIN)/pytest

bench: $(VENV)/.dev-deps  ## print speed figures (see bench/)
	$(BIN)/python bench/run_all.py
	$(BIN)/python bench/llm.py
	$(BIN)/python bench/load.py

$(VERCEL_CLI):
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	npm install --prefix .tools --no-audit --no-fund --loglevel=error vercel@60.1.3

vercel-cli: $(VERCEL_CLI)  # the bundle tests build with the real Vercel CLI

vercel-build: $(VENV)/.dev-deps $(VERCEL_CLI)  ## build the Vercel function (no account needed), print its size and cold start
	$(BIN)/python bench/vercel_build.py --framework "$(FRAMEWORK)"
	$(BIN)/python bench/cold_start.py --build .vercel/builds/$(or $(FRAMEWORK),other)

clean:
	rm -rf $(VENV) .tools .vercel .pytest_cache .mypy_cache .ruff_cache
