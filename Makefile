# Kefu 客服 — one machine, no Docker.  See README.md.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m tests --durations=8
MANAGE := $(PY) -m services.manage

.PHONY: run test lint unit integration e2e faults browser fuzz bench stop clean setup stack migrate \
        migrate-test verify-access-log call mail sms rebuild-reports check-reports

$(STAMP): requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

## setup: install what is missing (RabbitMQ, PostgreSQL, the virtualenv) and start the stack
setup: stack $(STAMP)

stack:
	deploy/local/stack.sh install
	deploy/local/stack.sh start

## migrate: schema and subscriber queues of the run databases/vhost
migrate: setup
	. deploy/local/env.sh
	$(MANAGE) all migrate
	$(MANAGE) all declare

## run: start the whole system and print how to log in
run: migrate
	@. deploy/local/env.sh
	$(MANAGE) gateway ensure-admin var/secrets/admin-password
	deploy/local/services.sh start
	echo
	echo "Kefu is up: http://127.0.0.1:8000/  (the console; API under /api/v1, OpenAPI at /api/v1/openapi.json)"
	echo "Console:    open http://127.0.0.1:8000/ and sign in as admin, password: $$(cat var/secrets/admin-password)"
	echo "Log in:     POST /api/v1/auth/login {\"username\": \"admin\", \"password\": \"<var/secrets/admin-password>\"}"
	echo "            curl -s localhost:8000/api/v1/auth/login -d \"{\\\"username\\\":\\\"admin\\\",\\\"password\\\":\\\"\$$(cat var/secrets/admin-password)\\\"}\""
	echo "Providers:  SMS, robots, webhooks simulated at $$KEFU_PROVIDERS_URL (make sms), mail at $$KEFU_SMTP_ADDRESS (make mail)"
	echo "Metrics:    $$(awk '!/^#/ && NF {printf "%s :%s  ", $$1, $$2}' services/registry.txt)"
	echo "Stop with:  make stop"

## call: a simulated incoming call for an agent's open console (AGENT=, CALLER=, IVR=)
call: $(STAMP)
	. deploy/local/env.sh
	$(PY) deploy/local/telephony.py --agent "$(AGENT)" --caller "$(CALLER)" $(if $(IVR),--ivr "$(IVR)")

## mail: the mail the local SMTP server received (run env)
mail: $(STAMP)
	. deploy/local/env.sh
	$(PY) -m simulators.show mail

## sms: the SMS the local provider simulator accepted (run env; phones masked)
sms: $(STAMP)
	. deploy/local/env.sh
	$(PY) -m simulators.show sms

## migrate-test: fresh test databases, migrated, with their queues declared
migrate-test: setup
	deploy/local/stack.sh reset-test-dbs
	export KEFU_ENV=test
	. deploy/local/env.sh
	$(MANAGE) all migrate

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy services

unit: $(STAMP)
	$(PYTEST) $(or $(T),tests/unit)

integration: migrate-test
	export KEFU_ENV=test
	. deploy/local/env.sh
	$(PYTEST) $(or $(T),tests/integration)

e2e: migrate-test
	export KEFU_ENV=test
	. deploy/local/env.sh
	$(PYTEST) $(or $(T),tests/e2e)

faults: migrate-test
	export KEFU_ENV=test
	. deploy/local/env.sh
	$(PYTEST) $(or $(T),tests/faults)

## browser: the console in Debian's Chromium (Playwright; no eventlet patch: real threads)
browser: migrate-test
	export KEFU_ENV=test
	. deploy/local/env.sh
	$(PY) -m pytest $(or $(T),tests/browser)

## fuzz: schemathesis over every route (S5); last, as it changes shared settings
fuzz: migrate-test
	export KEFU_ENV=test
	. deploy/local/env.sh
	$(PYTEST) $(or $(T),tests/fuzz)

## test: set-up, lint, then every tier
test: setup lint unit integration e2e faults browser fuzz

## bench: the benchmarks (B=p13 runs one; several: B="p5 p13"), figures into bench/RESULTS.md
bench: migrate-test
	export KEFU_ENV=test
	. deploy/local/env.sh
	$(PY) -m bench $(B)

## verify-access-log: check the borrowing log's hash chain; names the first broken row
verify-access-log: $(STAMP)
	. deploy/local/env.sh
	$(MANAGE) customer verify-access-log $(if $(ANCHOR),--anchor $(ANCHOR))

## rebuild-reports: rebuild every report rollup from the owning services, while events keep arriving (R4)
rebuild-reports: $(STAMP)
	. deploy/local/env.sh
	$(MANAGE) report rebuild

## check-reports: compare the rollups with the owners' own counts (FROM=YYYY-MM-DD TO=YYYY-MM-DD; default today)
check-reports: $(STAMP)
	. deploy/local/env.sh
	$(MANAGE) report check --from $(or $(FROM),$$(TZ=Asia/Shanghai date +%F)) \
	  --to $(or $(TO),$$(TZ=Asia/Shanghai date +%F))

stop:
	-KEFU_ENV=test deploy/local/services.sh stop
	-deploy/local/services.sh stop
	deploy/local/stack.sh stop

clean: stop
	rm -rf var $(VENV)
