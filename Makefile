# Two commands do all set-up on a fresh machine (Python 3.11+ and make):
#   make demo   builds a sample workbook, runs everything on it, leaves results to open
#   make test   runs the whole test suite
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

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

bench: $(STAMP)
	$(BIN)/python -m bench.engine --write-docs
	$(BIN)/python -m bench.cli_file --write-docs
	$(BIN)/python -m bench.addin_refresh --write-docs
	$(BIN)/python -m bench.backend_send --write-docs
	$(BIN)/python -m bench.lambda_package --write-docs

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .hypothesis
