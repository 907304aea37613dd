# newswatch: `make run` sets everything up and starts the monitor; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench eval lint clean setup

setup: $(STAMP)

# feedparser's own test feeds (BSD licence) come from its sdist, read in place by
# tests/test_feedparser_corpus.py; downloaded at set-up, never committed.
# One virtualenv at the repository root; direct pins in pyproject.toml, every transitive
# version in constraints.txt. Re-installs when either changes.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	test -f $(VENV)/share/feedparser-sdist/feedparser-6.0.14.tar.gz || $(BIN)/pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: feedparser==6.0.14 -d $(VENV)/share/feedparser-sdist
	touch $(STAMP)

run: $(STAMP)
	@echo "newswatch: the command is $(CURDIR)/$(BIN)/newswatch (try: $(BIN)/newswatch alerts list, in another terminal)"
	$(BIN)/newswatch run

test: $(STAMP)
	bash .ci/system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q -rfE

# CORPUS: annotated corpus folders to replay and score besides the seeds (space-separated);
# by default the shared development set beside the checkout, when it is there.
CORPUS ?= $(wildcard ../shared/corpus/real-dev)

eval: $(STAMP)
	@test -n "$(strip $(CORPUS))" || echo "eval: no ../shared/corpus/real-dev here; scoring the seeds only (make eval CORPUS=dir)"
	$(BIN)/python -m streams.quality seeds tests/data/events.yaml $(CORPUS)

bench: $(STAMP)
	@for b in tests/bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check streams connectors tests
	$(BIN)/mypy streams connectors

clean:
	rm -rf $(VENV) var .pytest_cache
