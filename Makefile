# The registry's two commands: `make run` and `make test`. Prerequisites: Python 3.11+, Node 18+.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app registry
VENDOR := registry/static/vendor
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run serve test venv assets migrate demo admin serve-prod worker clean

run: venv assets migrate demo admin serve

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# Front-end assets from the npm registry (package.json + lockfile), copied into a
# git-ignored static folder: the app serves every CSS/JS file itself.
assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json
	@node -e 'if (+process.versions.node.split(".")[0] < 18) { console.error("Node 18+ is required"); process.exit(1) }'
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	   $(VENDOR)/bootstrap/
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE $(VENDOR)/echarts/
	@# axe-core (devDependency) is a test tool: tests/browser reads it from node_modules and
	@# it is never copied into static/, so the app never serves it.
	@test -f node_modules/axe-core/axe.min.js || { echo "axe-core missing from node_modules"; exit 1; }
	@touch $@

migrate: venv
	$(FLASK) db upgrade

demo: venv
	$(FLASK) demo --if-empty

admin: venv
	$(FLASK) users ensure-admin

serve: venv
	@echo "注册库已启动：http://$(HOST):$(PORT)/  (Ctrl+C 停止)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Several workers, production config: needs SECRET_KEY (and DATABASE_URL) in the environment.
# See docs/DEPLOY.md for nginx in front, systemd units and every setting.
serve-prod: venv assets
	REGISTRY_ENV=production $(VENV)/bin/gunicorn --workers $${WORKERS:-3} --bind $(HOST):$(PORT) \
	  --access-logfile - 'registry:create_app()'

# The RQ worker that runs large imports; only with REDIS_URL set (without Redis they run in
# a thread of the web worker that took the upload, and no worker is needed).
worker: venv
	REGISTRY_ENV=production $(FLASK) jobs worker

# The whole suite on SQLite, then PostgreSQL and MariaDB when their servers answer.
# DB=sqlite limits the databases; PYTEST_ARGS passes options to pytest. The browser tests
# (tests/browser) run in the SQLite leg and need Chromium at /usr/bin/chromium.
test: venv assets
	@test -x /usr/bin/chromium || echo "NOTE: /usr/bin/chromium not found: the browser tests (tests/browser) will be SKIPPED (apt-get install -y chromium)"
	$(PY) -m tests.matrix $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
