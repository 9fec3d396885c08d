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
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
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
	@echo "== iopctl handout: aftercare and welcome handouts into $(OUT)/handouts/"
	@mkdir -p $(OUT)/handouts
	@$(BIN)/iopctl handout P0001 --records $(RECORDS) --as-of $(AS_OF) --format html --force -o $(OUT)/handouts/P0001-aftercare.en.html
	@$(BIN)/iopctl handout P0001 --records $(RECORDS) --as-of $(AS_OF) --lang es --format html --force -o $(OUT)/handouts/P0001-aftercare.es.html
	@$(BIN)/iopctl handout P0008 --records $(RECORDS) --as-of $(AS_OF) --template welcome --format html --force -o $(OUT)/handouts/P0008-welcome.es.html
	@$(BIN)/iopctl handout --all --discharging-within 7 --records $(RECORDS) --as-of $(AS_OF) --format md --force -o $(OUT)/handouts
	@$(BIN)/iopctl handout P0001 --records $(RECORDS) --as-of $(AS_OF) --format txt | head -40
	@echo "... (the rest of the handout; open the .html files in $(OUT)/handouts/ in a browser and print them)"
	@echo
	@echo "== iopctl export --deidentify (a demo key; real exports use --key-file with a secret key)"
	@IOPCTL_EXPORT_KEY=demo-only-key-never-use-this-1234 $(BIN)/iopctl export --deidentify --records $(RECORDS) --as-of $(AS_OF) | head -4
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
	@test -x bench/work/cj/bin/check-jsonschema || { mkdir -p bench/work && $(PYTHON) -m venv bench/work/cj && bench/work/cj/bin/python -m pip install --quiet 'check-jsonschema>=0.28'; } || echo "bench: check-jsonschema could not be installed; its comparison is skipped"
	$(BIN)/python bench/run.py --check-jsonschema bench/work/cj/bin/check-jsonschema

lint: $(STAMP)
	$(BIN)/ruff check iopctl tests bench tools

clean:
	rm -rf $(VENV) build *.egg-info $(OUT)
