# Two commands do all set-up on a fresh machine (Python 3.11+ and make):
#   make demo   builds a sample workbook, runs everything on it, leaves results to open
#   make test   runs the whole test suite
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[files,backend,local,addin,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/creditdesk demo --out demo-output

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The inner loop: everything but the tests marked slow (packaging, fuzzing, the local stack
# in a child process). The full suite above is what CI runs.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/engine.py --write-docs
	$(BIN)/python bench/cli_file.py --write-docs
	$(BIN)/python bench/addin_refresh.py --write-docs
	$(BIN)/python bench/backend_send.py --write-docs
	$(BIN)/python bench/lambda_package.py --write-docs
	$(BIN)/python bench/import.py --write-docs

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .hypothesis
