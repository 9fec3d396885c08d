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

# The sample describes the program as of 2026-11-23; "today" is pinned so the demo reads the same every day.
AS_OF  ?= 2026-11-23

demo: $(STAMP)
	@echo "== iopctl validate --records $(RECORDS) --as-of $(AS_OF)"
	@$(BIN)/iopctl validate --records $(RECORDS) --as-of $(AS_OF)
	@echo
	@echo "== iopctl calendar P0002 --from 2026-11-16 (one participant's calendar)"
	@$(BIN)/iopctl calendar P0002 --from 2026-11-16 --records $(RECORDS)
	@echo
	@echo "== iopctl calendar --program --from 2026-11-23 --to 2026-11-29 (one week, with rosters)"
	@$(BIN)/iopctl calendar --program --from 2026-11-23 --to 2026-11-29 --records $(RECORDS)
	@echo
	@echo "== iopctl progress --as-of $(AS_OF) (the caseload)"
	@$(BIN)/iopctl progress --records $(RECORDS) --as-of $(AS_OF)
	@echo
	@echo "== iopctl progress P0007 --as-of $(AS_OF) (one participant)"
	@$(BIN)/iopctl progress P0007 --records $(RECORDS) --as-of $(AS_OF)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	@echo "make bench is added with the performance work"

lint: $(STAMP)
	$(BIN)/python -m compileall -q iopctl tests

clean:
	rm -rf $(VENV) build *.egg-info $(OUT)
