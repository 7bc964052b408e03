# tfseg — every target depends on `install`, so on a fresh machine `make test` does all the set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Quiet TensorFlow's C++ start-up banner in everything we run.
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install test test-fast flops-table clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

test: install
	$(BIN)/python -m pytest -n 2 --durations=15

test-fast: install
	$(BIN)/python -m pytest -n 2 -m "not slow"

flops-table: install
	$(BIN)/python benchmarks/flops_table.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
