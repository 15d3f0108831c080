# Two commands do all set-up on a fresh machine (Python 3.11+ and make):
#   make demo   builds a sample workbook, runs everything on it, leaves results to open
#   make test   runs the whole test suite
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint bench clean system-packages addin

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[files,backend,local,addin,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/creditdesk demo --out demo-output

test: $(STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The inner loop: everything but the tests marked slow (packaging, fuzzing, the local stack
# in a child process). The full suite above is what CI runs.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow"

# LibreOffice (recalculates the results workbook in a test; renders workbooks to look at),
# poppler (reads PDFs back as text and pictures) and Chromium (drives the debtor's page).
# Installed with apt when this runs as root on Debian or Ubuntu, as CI does; elsewhere the tests that need them say they are skipped, and
# why.
SYSTEM_PACKAGES := libreoffice-calc-nogui poppler-utils chromium
system-packages:
	@if command -v soffice >/dev/null && command -v pdftoppm >/dev/null && \
	   command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(SYSTEM_PACKAGES)"; \
		{ apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
		  { apt-get update -q >/dev/null 2>&1 && \
		    apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; }; } || \
		echo "note: could not install $(SYSTEM_PACKAGES); the tests that need them are skipped"; \
	else echo "note: $(SYSTEM_PACKAGES) not installed; the tests that need them are skipped"; fi

# The add-in's generated files: xlwings Lite's main.py (requirements.txt needs the backend:
# creditdesk addin lite --url), and the desktop
# workbook workbook_templates/Creditdesk.xlsm with addin/vba/Creditdesk.bas (tests check
# they are current).
addin: $(STAMP)
	$(BIN)/python -m creditdesk_addin.lite
	$(BIN)/python -m workbook_templates.xlsm

bench: $(STAMP)
	$(BIN)/python -m bench.engine --write-docs
	$(BIN)/python -m bench.cli_file --write-docs
	$(BIN)/python -m bench.addin_refresh --write-docs
	$(BIN)/python -m bench.lite_payload --write-docs
	$(BIN)/python -m bench.backend_send --write-docs
	$(BIN)/python -m bench.lambda_package --write-docs
	$(BIN)/python -m bench.import --write-docs
	$(BIN)/python -m bench.statements --write-docs

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .hypothesis
