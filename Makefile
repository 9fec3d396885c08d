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
	@echo
	@echo "== iopctl history P0003 (the commits that changed P0003's records, in clinical terms)"
	@if git rev-parse --git-dir >/dev/null 2>&1; then $(BIN)/iopctl history P0003 --records $(RECORDS); \
	else echo "(not a git checkout: history needs one)"; fi
	@echo
	@echo "== iopctl init $(OUT)/new-records (a new records repository; it validates as written)"
	@rm -rf $(OUT)/new-records && mkdir -p $(OUT) && $(BIN)/iopctl init $(OUT)/new-records --name "Demo IOP" --no-git
	@$(BIN)/iopctl validate --records $(OUT)/new-records
	@echo
	@echo "== recording a session and a score on a copy of $(RECORDS) in $(OUT)/authoring"
	@rm -rf $(OUT)/authoring && cp -r $(RECORDS) $(OUT)/authoring
	@$(BIN)/iopctl attend 2026-11-23 adult-evening/process-group --records $(OUT)/authoring --as-of $(AS_OF) \
		--present P0002,P0003,P0004,P0005 --late P0008:60 --absent P0007,P0011 --topic "Coping with holiday stress"
	@$(BIN)/iopctl assess P0002 PHQ-9 12 --items 2,1,2,1,2,1,1,1,1 --date $(AS_OF) --records $(OUT)/authoring --as-of $(AS_OF)
	@echo "== a write that would not validate is refused (exit 1) and leaves the files untouched"
	@! $(BIN)/iopctl assess P0003 PHQ-9 13 --items 2,1,2,1,2,1,1,1,1 --date $(AS_OF) --records $(OUT)/authoring --as-of $(AS_OF)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	@echo "make bench is added with the performance work"

lint: $(STAMP)
	$(BIN)/python -m compileall -q iopctl tests

clean:
	rm -rf $(VENV) build *.egg-info $(OUT)
