# The README's two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e '.[docker]'
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e '.[test,docker]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# RUN_ARGS: more `circle server` options, e.g. make run RUN_ARGS="--port 8123"
run: install
	$(BIN)/circle server $(RUN_ARGS)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# circle and Buildbot side by side (docs/performance.md); not part of `make test`. BENCH_ARGS=--quick for a smoke run.
$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(BIN)/pip install -q -e '.[test,docker,bench]'
	touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
