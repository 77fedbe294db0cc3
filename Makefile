# tooltrail: one short Makefile. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TT := $(BIN)/tooltrail
STAMP := $(VENV)/.tooltrail-installed
PACKAGED := pyproject.toml setup.py $(shell find core producer schemas stream_processors sinks \
	-type f \( -name '*.py' -o -name '*.avsc' -o -name '*.yaml' -o -name '*.yml' \
	-o -name '*.sql' -o -name '*.c' -o -name '*.pyi' -o -name py.typed \) -not -path '*/__pycache__/*' 2>/dev/null)
KAFKA_PORT ?= 9092
export TOOLTRAIL_KAFKA_PORT := $(KAFKA_PORT)
export TOOLTRAIL_BOOTSTRAP_SERVERS ?= 127.0.0.1:$(KAFKA_PORT)

.PHONY: help generated install test test-unit test-integration lint format run bench kafka-start kafka-stop clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

generated: $(BIN)/python ## regenerate the Avro readers and writers of the bundled schemas (compiled)
	@rm -f $(STAMP)  # the editable install below is not the one `install` makes
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/python -c "from tooltrail.schemas.framing import readers_module as m; print(m(), end='')" > schemas/_readers.py
	$(BIN)/python -c "from tooltrail.producer.avro_fast import writers_module as m; print(m(), end='')" > producer/_writers.py

install: $(STAMP) ## install tooltrail (non-editable, compiled) with every extra and the test tools into $(VENV)

# Building the wheel compiles modules (2-3 min): reinstall only when a packaged file changed.
$(STAMP): $(BIN)/python $(PACKAGED)
	@rm -rf build  # setuptools reuses build/lib: a module deleted from the tree would linger
	$(BIN)/pip install -q ".[dev]"
	@$(TT) --version  # says whether the hot modules were compiled (setup.py)
	@touch $@

test: install ## unit tests, then the local Kafka broker and the integration tests; stops what it started
	$(BIN)/pytest -q tests/unit
	@started=0; \
	if ! $(TT) kafka status --quiet; then $(TT) kafka start && started=1 || exit 1; fi; \
	$(BIN)/pytest -q tests/integration; status=$$?; \
	if [ $$started = 1 ]; then $(TT) kafka stop; fi; \
	exit $$status

test-unit: install ## unit tests only (no services)
	$(BIN)/pytest -q tests/unit

lint: install ## ruff (lint + format check) and mypy --strict on the installed package
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd /tmp && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml -p tooltrail

format: $(BIN)/python ## apply ruff's formatter and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

run: install ## the whole pipeline locally: broker, topics, processors, a demo fleet of agents
	$(TT) demo run

bench: install ## every benchmark under bench/ (tables on stdout, JSON in bench/results/)
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

kafka-start: install ## start the local single-node Kafka broker (KRaft)
	$(TT) kafka start

kafka-stop: install ## stop the local Kafka broker
	$(TT) kafka stop

clean: ## remove the virtualenv and caches (the Kafka download cache is kept)
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
