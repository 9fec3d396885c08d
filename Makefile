# iopctl: `make demo` and `make test` work on a fresh machine (they create .venv themselves).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RECORDS ?= sample_records
OUT    ?= out

.PHONY: demo test bench lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel

# Reinstall when the package metadata changes.
$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@echo "== iopctl validate --records $(RECORDS)"
	@$(BIN)/iopctl validate --records $(RECORDS)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	@echo "make bench is added with the performance work"

lint: $(STAMP)
	$(BIN)/python -m compileall -q iopctl tests

clean:
	rm -rf $(VENV) build *.egg-info $(OUT)
