# newswatch: `make run` sets everything up and starts the monitor; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
FEEDPARSER_SDIST := $(VENV)/share/feedparser-sdist/feedparser-6.0.14.tar.gz

.PHONY: run test bench eval lint clean setup readme

setup: $(RUN_STAMP)

# One virtualenv at the repository root; direct pins in pyproject.toml, every transitive
# version in constraints.txt. Two stamps: what running needs (`make run`), and the test
# tools on top (`make test`, lint, bench, eval). Each re-installs when either file changes.
$(RUN_STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	touch $(RUN_STAMP)
	@echo "newswatch installed: the command is $(BIN)/newswatch (e.g. $(BIN)/newswatch --help)"

# feedparser's own test feeds (BSD licence) come from its sdist, read in place by
# tests/connectors/test_feedparser_corpus.py; downloaded for the tests only, never committed.
$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	test -f $(FEEDPARSER_SDIST) || $(BIN)/pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: feedparser==6.0.14 -d $(VENV)/share/feedparser-sdist
	touch $(TEST_STAMP)

run: $(RUN_STAMP)
	@echo "newswatch: the command is $(CURDIR)/$(BIN)/newswatch (try: $(BIN)/newswatch alerts list, in another terminal)"
	$(BIN)/newswatch run

test: $(TEST_STAMP)
	bash .ci/system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q -rfE --durations=15

# CORPUS: annotated corpus folders to replay and score besides the seeds (space-separated);
# by default the shared development set beside the checkout, when it is there.
CORPUS ?= $(wildcard ../shared/corpus/real-dev)

eval: $(TEST_STAMP)
	@test -n "$(strip $(CORPUS))" || echo "eval: no ../shared/corpus/real-dev here; scoring the seeds only (make eval CORPUS=dir)"
	$(BIN)/python -m streams.quality seeds tests/data/events.yaml $(CORPUS)

bench: $(TEST_STAMP)
	@failed=""; for b in tests/bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "bench: target missed in:$$failed"; exit 1; fi

lint: $(TEST_STAMP)
	$(BIN)/ruff check streams connectors tests
	$(BIN)/mypy streams connectors

# README.md's generated parts: the settings table and every command's example output
# (the commands run in a temporary project made from the seeds, about a minute).
readme: $(RUN_STAMP)
	$(BIN)/python -m streams.config.settings_doc --write README.md
	$(BIN)/python tests/support/readme_commands.py --write README.md

clean:
	rm -rf $(VENV) var .pytest_cache
