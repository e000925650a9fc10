# Everyday commands. Only python3 (3.10+) and make are needed to start.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-pythons bench bench-posts bench-search bench-build bench-serve build preview
.PHONY: venv dev-venv system-deps clean

# The settings files restart the dev server when they are created or edited
# (watchdog sees new files; the instance folder must exist to be watched).
SETTINGS_FILES := site.yaml:instance/config.py

run: venv ## start the dev server on http://127.0.0.1:5000
	@mkdir -p instance
	$(BIN)/flask --app website run --debug --host $(HOST) --port $(PORT) --extra-files $(SETTINGS_FILES)

test: dev-venv system-deps test-pythons ## set up and run the whole suite
	$(BIN)/python -m pytest

# The app's own tests (no browser or Apache) under every supported Python
# found on this machine: python3.10 ... python3.13 on PATH or under pyenv.
PYTHONS ?= 3.10 3.11 3.12 3.13
test-pythons:
	@for v in $(PYTHONS); do \
		py=; for c in python$$v $$HOME/.pyenv/versions/$$v.*/bin/python; do \
			if $$c -c '' 2>/dev/null; then py=$$c; break; fi; done; \
		if [ -z "$$py" ]; then echo "== Python $$v: not found, skipped"; continue; fi; \
		venv=.venv-py$$v; [ -x $$venv/bin/python ] || $$py -m venv $$venv || exit 1; \
		$$venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt || exit 1; \
		echo "== Python $$v ($$py)"; \
		$$venv/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/browser \
			--ignore=tests/test_apache.py --ignore=tests/test_setup_sh.py || exit 1; \
	done

bench: bench-posts bench-search ## every benchmark below

bench-posts: venv ## time startup, rendering, cached views and the freshness check
	$(BIN)/python benchmarks/posts.py

bench-search: venv ## time the search index (build, updates) and /search at 10,000 posts
	$(BIN)/python benchmarks/search.py

# The static site: build/ (a link to the latest complete build), previewed
# locally with the URLs static hosts give it.
OUT ?= build
build: venv ## write the whole site as static files into build/
	$(BIN)/flask --app website build --out $(OUT)

preview: venv ## serve build/ on http://127.0.0.1:8000 as a static host would
	$(BIN)/flask --app website preview --out $(OUT) --host $(HOST) --port $(or $(PREVIEW_PORT),8000)

bench-build: venv ## time full, no-change and one-edit builds on 1,000 and 10,000 posts, beside Pelican
	$(BIN)/python benchmarks/build.py

bench-serve: venv system-deps ## Apache + mod_wsgi under wrk: static speed, p99, a daemon crash, hostile URLs
	$(BIN)/python benchmarks/serve.py

.PHONY: screenshots
screenshots: dev-venv system-deps ## regenerate the README's screenshots in docs/screenshots/
	$(BIN)/python tests/browser/screenshots.py

venv: $(VENV)/.runtime
dev-venv: $(VENV)/.dev

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "Python 3.10 or newer is needed (found: $$($(PYTHON) --version 2>&1)); try make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt requirements-run.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-run.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-run.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

system-deps:
	tests/system-deps.sh

clean:
	rm -rf $(VENV) node_modules .pytest_cache

# Deploy: update the server from its git remote, over ssh (README, "Deploy").
# HOST is required here (its default above is the dev server's address).
SSH ?= ssh
DIR ?= website
.PHONY: deploy
deploy: ## pull, check and reload the site: make deploy HOST=ubuntu@server [DIR=website]
	@if [ "$(origin HOST)" = file ]; then echo "usage: make deploy HOST=user@server [DIR=website]" >&2; exit 2; fi
	$(SSH) $(HOST) '$(DIR)/deploy/update.sh'

# The CDN (README, "Host on a CDN"): build with --strict, then upload what
# changed to the bucket of the stack made by deploy/aws/provision-cdn.sh.
ARGS ?=
.PHONY: publish cdn-template
publish: venv ## publish to S3 + CloudFront: make publish [ARGS="--dry-run --stack-name NAME --region REGION"]
	deploy/aws/publish.sh $(ARGS)

cdn-template: ## after editing deploy/aws/cdn-function.js: paste it into deploy/aws/cdn.yaml
	$(PYTHON) deploy/aws/embed_function.py
