PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PELICAN := $(BIN)/pelican
STAMP := $(VENV)/.installed-stamp

INPUTDIR := $(CURDIR)/content
OUTPUTDIR := $(CURDIR)/output
CONFFILE := $(CURDIR)/pelicanconf.py
PUBLISHCONF := $(CURDIR)/publishconf.py

PORT ?= 8000
HOST ?= 127.0.0.1
INBOX_HOST ?= 127.0.0.1
INBOX_PORT ?= 8008
ID ?=
PYTEST_ARGS ?=

MODERATE := PYTHONPATH=plugins $(BIN)/python -m reader_comments.moderate

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

venv: $(STAMP) ## Create .venv and install the pinned dependencies

html: $(STAMP) ## Build the site into output/ (development settings)
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE)

clean: ## Remove the built site and caches
	rm -rf $(OUTPUTDIR) cache .pytest_cache

regenerate: $(STAMP) ## Rebuild on every change
	$(PELICAN) -r $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE)

serve: $(STAMP) ## Serve output/ on http://HOST:PORT (PORT=8000)
	$(PELICAN) -l $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) -b $(HOST) -p $(PORT)

devserver: $(STAMP) ## Rebuild on change, serve, and reload (PORT=8000)
	$(PELICAN) -lr $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE) -b $(HOST) -p $(PORT)

publish: $(STAMP) ## Build for production; any warning or broken comment fails it
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(PUBLISHCONF) --fatal warnings

deploy: publish ## Optional: push output/ to the gh-pages branch (ghp-import)
	$(BIN)/ghp-import -m "Publish site" -b gh-pages $(OUTPUTDIR)

test: $(STAMP) ## Run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

comments: $(STAMP) ## Show the moderation queue
	@$(MODERATE) queue

approve: $(STAMP) ## Approve comments: make approve ID="slug/id [slug/id ...]"
	@$(MODERATE) approve $(ID)

reject: $(STAMP) ## Reject comments: make reject ID=...
	@$(MODERATE) reject $(ID)

spam: $(STAMP) ## Mark comments as spam: make spam ID=...
	@$(MODERATE) spam $(ID)

check-comments: $(STAMP) ## Validate every comment file; non-zero exit on any error
	@$(MODERATE) check

inbox: $(STAMP) ## Run the comment intake service (INBOX_HOST, INBOX_PORT)
	PYTHONPATH=plugins $(BIN)/python -m reader_comments.intake --settings $(CONFFILE) --host $(INBOX_HOST) --port $(INBOX_PORT)

bench: bench-build bench-intake ## Run both benchmarks

bench-build: $(STAMP) ## Measure what comments cost a build (tables in bench-results/)
	PYTHONPATH=plugins $(BIN)/python tests/bench/build_bench.py

bench-intake: $(STAMP) ## Load-test the intake service: 1,000 posts from 20 clients
	PYTHONPATH=plugins $(BIN)/python tests/intake_load.py --json bench-results/intake-load.json

soak: $(STAMP) ## Two-minute soak of the intake service (SOAK_SECONDS=120)
	PYTHONPATH=plugins $(BIN)/python -m pytest tests/hostile/test_hostile_intake.py -m soak -s -q

screenshots: $(STAMP) ## Write PNG screenshots of the site into docs/screenshots
	$(BIN)/python tests/browser/screenshots.py

.PHONY: help venv html clean regenerate serve devserver publish deploy test comments approve reject spam check-comments inbox bench bench-build bench-intake soak screenshots
