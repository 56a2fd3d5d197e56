PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PELICAN := $(BIN)/pelican
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
PLUGIN_STAMP := $(VENV)/.plugin-installed-stamp
IMPORT_STAMP := $(VENV)/.import-installed-stamp

INPUTDIR := $(CURDIR)/content
OUTPUTDIR := $(CURDIR)/output
# Production builds: a link switched atomically to the newest good build in .public-builds/.
PUBLISHDIR ?= $(CURDIR)/public
CONFFILE := $(CURDIR)/pelicanconf.py
PUBLISHCONF := $(CURDIR)/publishconf.py

PORT ?= 8000
HOST ?= 127.0.0.1
INBOX_HOST ?= 127.0.0.1
INBOX_PORT ?= 8008
# The development build reads these too (pelicanconf.py), so the form posts where `make inbox` listens.
export INBOX_HOST INBOX_PORT
MANIFEST ?= $(OUTPUTDIR)/comments-manifest.json
DEPLOY_REMOTE ?= origin
REPO ?=
LIVE ?=
ID ?=
COMMIT ?=
ARTICLE ?=
ROLE ?=
NAME ?=
PYTEST_ARGS ?=
# Kinds of test a run opts out of when this machine lacks their tools (browser nginx git tmpfs systemd java tls);
# without it a test whose tool is missing fails, naming what to install.
SKIP ?=
# The mutation testing part to run (post_checks, names, editor, intake, edits, app, importers, moderation, core, gitsync); empty: every part in turn.
PART ?=
FROM ?=
FILE ?=
MAP ?=
AUTHORS ?=
DRY_RUN ?=

MODERATE := $(BIN)/reader-comments
# This Makefile's own folder, so `make -f <path>/Makefile` finds the scripts beside it.
TOOLS := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))tools
MIGRATE := $(BIN)/reader-comments-migrate

.DEFAULT_GOAL := help

# Each target's `## [group] text` says who uses it; help lists them by group, in this order.
HELP_GROUPS := author moderator operator developer

help: ## [developer] List the targets, by who uses them
	@for group in $(HELP_GROUPS); do \
	  echo "$$group:"; \
	  grep -E '^[a-z-]+:.*## \['"$$group"'\] ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## \[[a-z]+\] /\1\t/' \
	    | awk -F'\t' '{printf "  make %-17s %s\n", $$1, $$2}'; \
	done

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# The plugin, installed editable: code changes need no reinstall; a new module folder changes pyproject.toml.
# The package lives in plugins/reader_comments (a package-dir mapping, not a src/ layout), so setuptools
# installs it through an import finder and says so in a "BuildBackendWarning: Editable installation ... !!"
# banner on every install. It is information, not a failure, but reads as one: the filter drops that one message.
$(PLUGIN_STAMP): $(STAMP) pyproject.toml
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The importers' libraries: only `make import`, `make export` and the tests need them.
$(IMPORT_STAMP): $(PLUGIN_STAMP) requirements-import.txt
	$(BIN)/python -m pip install --quiet -r requirements-import.txt
	touch $@

$(DEV_STAMP): $(IMPORT_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(PLUGIN_STAMP) ## [operator] Create .venv, install the pinned dependencies and the plugin

venv-dev: $(DEV_STAMP) ## [developer] Also install the test and lint tools

html: $(PLUGIN_STAMP) ## [author] Build the site into output/ (development settings)
	$(PELICAN) $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE)

clean: ## [author] Remove the development build and caches (not public/)
	rm -rf $(OUTPUTDIR) cache .pytest_cache .mutation

regenerate: $(PLUGIN_STAMP) ## [author] Rebuild on every change
	$(PELICAN) -r $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE)

SERVE := $(BIN)/python tools/serve.py $(OUTPUTDIR) --host $(HOST) --port $(PORT)

serve: $(PLUGIN_STAMP) ## [author] Serve output/ on http://HOST:PORT (PORT=8000)
	$(SERVE)

devserver: $(PLUGIN_STAMP) ## [author] Rebuild on change and serve; refresh the browser to see a change (PORT=8000)
	$(SERVE) --rebuild $(PELICAN) -r $(INPUTDIR) -o $(OUTPUTDIR) -s $(CONFFILE)

publish: $(PLUGIN_STAMP) ## [operator] Build for production into a fresh folder, then switch public/ to it; a failure keeps the last good site
	@previous=$$(mktemp) && { cp -- $(PUBLISHDIR)/comments-manifest.json "$$previous" 2>/dev/null || :; } && \
	  if deploy/publish-site $(PUBLISHDIR) $(BIN) $(INPUTDIR) $(PUBLISHCONF); then \
	    deploy/notify-readers "$$previous" $(PUBLISHDIR) $(BIN) $(INPUTDIR) $(PUBLISHCONF); rm -f -- "$$previous"; \
	  else rm -f -- "$$previous"; exit 1; fi

deploy: publish ## [operator] Commit public/ to the gh-pages branch and push it to DEPLOY_REMOTE (origin)
	$(BIN)/ghp-import -n -m "Publish site" -b gh-pages $(PUBLISHDIR)/
	@if git remote get-url $(DEPLOY_REMOTE) >/dev/null 2>&1; then \
	  git push $(DEPLOY_REMOTE) gh-pages && echo "deploy: committed $(PUBLISHDIR) to gh-pages and pushed it to $(DEPLOY_REMOTE)"; \
	else \
	  echo "deploy: committed $(PUBLISHDIR) to the local gh-pages branch and pushed NOTHING: there is no git remote '$(DEPLOY_REMOTE)' (add one, or set DEPLOY_REMOTE=<remote>)" >&2; exit 1; \
	fi

install-hook: ## [operator] Install the publishing hook: make install-hook REPO=<bare repository> LIVE=<folder the web server serves>
	@deploy/install-hook "$(REPO)" "$(LIVE)"

lint: $(DEV_STAMP) ## [developer] Lint and type-check the Python code (ruff and mypy, configured in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(DEV_STAMP) lint ## [developer] Lint, then run the whole test suite (PYTEST_ARGS="tests/test_x.py -x" for one file; SKIP=browser to opt out)
	TESTS_SKIP="$(SKIP)" $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(DEV_STAMP) ## [developer] The edit-test loop: every test but the browser and nginx ones, no lint (PYTEST_ARGS as for test)
	TESTS_SKIP="$(SKIP)" $(BIN)/python -m pytest --ignore=tests/browser -m "not soak and not nginx" $(PYTEST_ARGS)

comments: $(PLUGIN_STAMP) ## [moderator] Show the moderation queue
	@$(MODERATE) queue

# Stops a moderation target that names no comment, saying how to name one.
define need_id
@test -n "$(strip $(ID))" || { echo 'error: say which comment: make $(1) ID=<slug>/<id> (several: ID="<slug>/<id> <slug>/<id>"; make comments lists them)' >&2; exit 2; }
endef

approve: $(PLUGIN_STAMP) ## [moderator] Approve comments: make approve ID="slug/id [slug/id ...]" [COMMIT=1 to commit them]
	$(call need_id,approve)
	@$(MODERATE) approve $(if $(COMMIT),--commit) $(ID)

reject: $(PLUGIN_STAMP) ## [moderator] Reject comments: make reject ID=... [COMMIT=1]
	$(call need_id,reject)
	@$(MODERATE) reject $(if $(COMMIT),--commit) $(ID)

spam: $(PLUGIN_STAMP) ## [moderator] Mark comments as spam: make spam ID=... [COMMIT=1]
	$(call need_id,spam)
	@$(MODERATE) spam $(if $(COMMIT),--commit) $(ID)

remove: $(PLUGIN_STAMP) ## [moderator] Take comments off the site, as a reader's removal request asks: make remove ID=... [COMMIT=1]
	$(call need_id,remove)
	@$(MODERATE) remove $(if $(COMMIT),--commit) $(ID)

pin: $(PLUGIN_STAMP) ## [moderator] Show comments first in their thread, "pinned by the editors": make pin ID=... [COMMIT=1]
	$(call need_id,pin)
	@$(MODERATE) pin $(if $(COMMIT),--commit) $(ID)

unpin: $(PLUGIN_STAMP) ## [moderator] Put pinned comments back in date order: make unpin ID=... [COMMIT=1]
	$(call need_id,unpin)
	@$(MODERATE) unpin $(if $(COMMIT),--commit) $(ID)

# BODY, NAME and FILE reach the command through the environment, so quotes in them need no care;
# BODY given empty or blank is refused rather than opening the editor.
reply: $(PLUGIN_STAMP) ## [moderator] Reply as the author: make reply ID=<slug>/<id> (or ARTICLE=<slug>) [ROLE=moderator] [NAME=] [BODY= or FILE=, else EDITOR] [COMMIT=1]
	@test -n "$(strip $(ID)$(ARTICLE))" || { echo 'error: say what to answer: make reply ID=<slug>/<id>, or ARTICLE=<slug> for a top-level comment' >&2; exit 2; }
	@$(MODERATE) reply $(if $(strip $(ID)),"$$ID") $(if $(strip $(ARTICLE)),--article "$$ARTICLE") $(if $(ROLE),--role "$$ROLE") \
	  $(if $(NAME),--name "$$NAME") $(if $(filter command line environment,$(origin BODY)),--body "$$BODY") $(if $(FILE),--file "$$FILE") $(if $(COMMIT),--commit)

moderator-setup: $(PLUGIN_STAMP) ## [moderator] Once per clone: `git pull` rebases onto new comments; `git commit` checks comment files
	@$(TOOLS)/moderator-setup "$(abspath $(MODERATE))"

check-comments: $(PLUGIN_STAMP) ## [moderator] Validate every comment file; non-zero exit on any error
	@$(MODERATE) check

import: $(IMPORT_STAMP) ## [moderator] Import comments: make import FROM=wordpress|disqus|isso|staticman|pcs|json FILE=<path> [DRY_RUN=1] [MAP=<csv>] [AUTHORS=1]
	@$(MIGRATE) import $(FROM) "$(FILE)" $(if $(DRY_RUN),--dry-run) $(if $(MAP),--map "$(MAP)") $(if $(AUTHORS),--mark-authors)

export: $(IMPORT_STAMP) ## [moderator] Export every comment, with every field, as one JSON file: make export FILE=<path>
	@$(MIGRATE) export "$(FILE)"

inbox: $(PLUGIN_STAMP) ## [operator] Run the comment intake service (INBOX_HOST, INBOX_PORT, MANIFEST=output/comments-manifest.json)
	$(BIN)/reader-comments-intake --settings $(CONFFILE) --host $(INBOX_HOST) --port $(INBOX_PORT) --manifest $(MANIFEST)

bench: bench-build bench-intake bench-intake-git bench-import bench-page spam-check ## [developer] Run every benchmark

bench-build: $(DEV_STAMP) ## [developer] Measure what comments cost a build (tables in bench-results/)
	$(BIN)/python tests/bench/build_bench.py

bench-intake: $(DEV_STAMP) ## [developer] Load-test the intake service: 1,000 posts from 20 clients
	$(BIN)/python -m tests.bench.intake_load --json bench-results/intake-load.json

bench-intake-git: $(DEV_STAMP) ## [developer] The same load committed and pushed, beside isso 0.14 (3 pairs): req/s, p99, ratio, git fsck
	$(BIN)/python -m tests.bench.intake_load --git --isso-pairs 3 --json bench-results/intake-load-git.json
bench-import: $(DEV_STAMP) ## [developer] Time an import of 10,000 comments (WordPress export): dry run, real run, repeat run
	$(BIN)/python tests/bench/import_bench.py --json bench-results/import.json

bench-page: $(DEV_STAMP) ## [developer] An article with 1,000 comments: HTML size raw and gzipped, first paint in Chromium
	$(BIN)/python tests/bench/page_bench.py --json bench-results/page.json

spam-check: $(DEV_STAMP) ## [developer] Precision and recall of the spam rules (content/spam-rules.yaml) on the labelled corpus
	$(BIN)/python tests/bench/spam_check.py --json bench-results/spam-check.json

soak: $(DEV_STAMP) ## [developer] Two-minute soak of the intake service (SOAK_SECONDS=120)
	$(BIN)/python -m pytest tests/hostile/test_hostile_intake.py -m soak -s -q

mutation: $(DEV_STAMP) ## [developer] Mutation testing with mutmut, every part in turn or one: make mutation PART=core (see tests/MUTATION.md)
	$(BIN)/python tests/mutation/mutate.py $(if $(PART),--part $(PART))

screenshots: $(DEV_STAMP) ## [developer] Write PNG screenshots of the site into docs/screenshots
	$(BIN)/python -m tests.browser.screenshots

.PHONY: help venv venv-dev lint html clean regenerate serve devserver publish deploy install-hook test test-fast comments approve reject spam remove pin unpin reply check-comments import export inbox bench bench-build bench-intake bench-intake-git bench-import bench-page spam-check soak mutation screenshots
