"""The files `iopctl init` and `iopctl new participant` start from.

Each record skeleton validates as written (placeholders marked TODO stand in
for what only staff can fill in) and carries comments that say what goes
where. The repository files (.gitignore, pre-commit, CI, editor settings)
are the plumbing a records repository needs to be checked on every commit.
"""
from __future__ import annotations

import datetime as dt
import json
import re

from iopctl import schemas

# A placeholder date of birth that no real participant has; `new participant --dob` replaces it.
PLACEHOLDER_DOB = dt.date(1900, 1, 1)
FOLDERS = ("participants", "plans", "progress", "sessions")
SCHEMA_FOLDER = ".iopctl/schemas"
# Which files each schema describes (paths from the records root).
SCHEMA_GLOBS = {
    "program": ["program.yaml"],
    "participant": ["participants/*.yaml", "participants/*.yml"],
    "plan": ["plans/*.yaml", "plans/*.yml"],
    "progress": ["progress/*.yaml", "progress/*.yml"],
    "session": ["sessions/*/*.yaml", "sessions/*/*.yml"],
}
# The files the pre-commit hook checks (a regular expression on paths from the git top level).
RECORD_FILES_RE = r"(program\.yaml|(participants|plans|progress)/[^/]+\.ya?ml|sessions/[^/]+/[^/]+\.ya?ml)"

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 .,()'/_+-]*$")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(text: str) -> str:
    """text as a YAML scalar: plain when that reads back as the same text, else double-quoted."""
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not text.endswith(" "):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML 1.2 double-quoted scalar


def slug(name: str) -> str:
    """An id from a folder name: `Riverside Recovery` -> `riverside-recovery`."""
    out = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return out or "program"


# -- program.yaml ----------------------------------------------------------------

PROGRAM = """\
# The program: who you are, when sessions meet, and who runs them.
# Format: records.md (iopctl's record format, version 1). Check it with
# `iopctl validate`; editors with the YAML language server complete and
# check fields as you type (see .vscode/settings.json).
# Replace every TODO and example below with your program's own.
schema_version: 1

program:
  id: {id}  # letters, digits, - and _
  name: {name}
  timezone: {timezone}  # IANA time zone name: every time below is local to it
  # phone: "+1 555 0100"           # handouts print the phone and address
  # address: 12 River St, Springfield
  # crisis_lines:                  # on every handout; default: 988 Suicide & Crisis Lifeline
  #   - {{name: 988 Suicide & Crisis Lifeline, phone: "988", text: "988"}}

# Defaults of the clinical rules (rules.md); change them if your state or payer differs.
# rules:
#   plan_review_days: 30           # review every plan at least this often
#   followup_within_days: 7        # first aftercare appointment within 7 days after discharge
#   absence_alert_after: 2         # flag a participant after 2 absences in a row

# Public holidays are closures: name a country (and state) known to the
# Python `holidays` package.
# holidays: {{country: US, subdivision: IL}}

# Other days with no sessions.
# closures:
#   - {{date: 2026-11-05, reason: Staff training}}
#   - {{start: 2026-12-24, end: 2026-12-31, reason: Winter break}}

staff:
  - id: counselor1                 # used by facilitator, primary_counselor, review --by
    name: "TODO: staff member's name"
    role: counselor
    # credentials: LCSW

tracks:
  # One track per population and level of care, with its weekly timetable.
  # Adults at ASAM level 2.1 need 9 to 19 hours a week; adolescents 6 to 19.
  - id: adult-evening
    name: Adult Evening IOP
    population: adult              # adult | adolescent
    level_of_care: "2.1"           # ASAM level, quoted: "1" "2.1" "2.5"
    weeks: 10                      # default length of a plan on this track
    sessions:
      - id: process-group          # `iopctl attend DATE adult-evening/process-group ...`
        title: Process Group
        kind: group                # group | individual | family | psychoeducation | skills | medication | holistic
        modality: CBT              # CBT | DBT | MI | ACT | EMDR | TSF | CM | mindfulness | yoga | art | other
        days: [mon, wed, thu]
        start: "18:00"             # 24-hour time, quoted
        minutes: 180               # 3 sessions x 3 hours = 9 hours a week
        # every_weeks: 2           # every other week
        location: Room 1
        facilitator: counselor1

# Community resources that aftercare plans name by id.
# resources:
#   - id: aa-central
#     name: Central AA Meetings
#     kind: support-group  # support-group | family-support | housing | vocational | legal | healthcare | crisis | other
#     phone: "+1 555 0142"
#     hours: Daily 7pm
"""


def program_yaml(program_id: str, name: str, timezone: str) -> str:
    return PROGRAM.format(id=scalar(program_id), name=scalar(name), timezone=scalar(timezone))


# -- a new participant -----------------------------------------------------------

PARTICIPANT = """\
# Participant {id}. Keep only what care needs (minimum necessary): the
# preferred name is the only name kept, and the id is a code, never a name
# or a number derived from another identifier.
schema_version: 1
id: {id}
preferred_name: {name}{name_note}
# pronouns: they/them
date_of_birth: {dob}{dob_note}
language: en  # BCP 47 tag; chooses the handout language
status: {status}  # referred | active | on-hold | discharged | withdrawn
admitted: {admitted}
track: {track}
# primary_counselor: {staff}  # a staff id from program.yaml
# diagnoses:                       # ICD-10-CM; never printed on handouts
#   - {{code: F10.20, description: "Alcohol use disorder, moderate", primary: true}}
# strengths: [steady job, supportive sister]
# needs: [sleep routine, transport on Thursdays]
# supports:                        # family and peers; consent under 42 CFR Part 2
#   - id: sam
#     name: Sam
#     relationship: spouse
#     involvement: [family-sessions, emergency-contact]
#     consent: {{signed: {admitted}, expires: YYYY-MM-DD}}
# safety_plan:                     # Stanley-Brown: the six steps, in order
#   warning_signs: []
#   coping_strategies: []
#   social_distractions: []
#   people_to_ask: []              # support ids or free text
#   professionals: [{{name: "988 Suicide & Crisis Lifeline", phone: "988"}}]
#   means_safety: []
# medications:
#   - {{name: naltrexone, dose: 50 mg, schedule: daily, prescriber: Dr. Lee}}
"""

PLAN = """\
# Treatment plan of {id}, agreed with the participant. Replace every TODO.
# Objectives must be measurable (measure) and time-bound (target_date);
# each intervention says how often. An objective's status is kept in
# progress/{id}.yaml: `iopctl update {id} 1.1.1 in-progress`.
# Plan reviews: `iopctl review {id} --by STAFF --summary TEXT`.
schema_version: 1
participant: {id}
start: {start}  # first day of plan week 1
# weeks: {weeks}  # default: the track's {weeks} weeks
# signed:                          # when the participant and staff sign the plan
#   participant: {start}
#   staff:
#     - {{id: {staff}, date: {start}}}
problems:
  - id: "1"
    statement: "TODO: the problem, in the participant's words"
    # asam_dimension: 5            # ASAM dimension 1..6
    goals:
      - id: "1.1"
        statement: "TODO: what the participant wants to achieve"
        objectives:
          - id: "1.1.1"
            statement: "TODO: a step someone could observe"
            measure: "TODO: how progress is observed"
            target_date: {target}  # by when (this default is the plan's last day)
        interventions:
          - modality: other        # CBT | DBT | MI | ACT | EMDR | TSF | CM | mindfulness | yoga | art | other
            description: "TODO: what staff will do"
            frequency: "TODO: how often, e.g. 3 times a week"
# aftercare:                       # before a planned discharge (rules.md): gains,
#   discharge_target: {target}  # support needs, follow-ups, resources, relapse prevention
#   follow_ups:
#     - {{date: 2027-01-12, time: "10:00", with: Dr. Lee, phone: "+1 555 0133"}}
"""

PROGRESS = """\
# Progress of {id}: measurements over time, newest last. iopctl adds them:
#   iopctl assess {id} PHQ-9 14 --items 2,2,2,2,2,1,1,1,1
#   iopctl update {id} 1.1.1 in-progress --note "2 of 3 meetings"
# Milestones and screens are added by hand, for example:
#   milestones:
#     - {{date: 2026-12-23, title: 30 days alcohol-free}}
#   screens:
#     - {{date: 2026-11-30, kind: urine-drug-screen, result: negative}}
schema_version: 1
participant: {id}
"""


def participant_yaml(pid: str, track: str, admitted: dt.date, name: str | None, dob: dt.date | None,
                     status: str, staff: str) -> str:
    return PARTICIPANT.format(
        id=pid,
        name=scalar(name) if name else pid,
        name_note="" if name else "  # TODO: the name they want to be called",
        dob=(dob or PLACEHOLDER_DOB).isoformat(),
        dob_note="" if dob else "  # TODO: placeholder; replace with the real date of birth",
        status=status,
        admitted=admitted.isoformat(),
        track=track,
        staff=staff,
    )


def plan_yaml(pid: str, start: dt.date, weeks: int, staff: str) -> str:
    target = start + dt.timedelta(days=7 * weeks - 1)
    return PLAN.format(id=pid, start=start.isoformat(), weeks=weeks, staff=staff, target=target.isoformat())


def progress_yaml(pid: str) -> str:
    return PROGRESS.format(id=pid)


# -- the repository around the records --------------------------------------------

GITIGNORE = """\
# Rendered output: handouts, reports and exports hold PHI (42 CFR Part 2,
# HIPAA) and do not belong in the records history. Render them into out/.
out/
*.html
*.pdf
*.docx
*.csv
# iopctl's cache and any temporary file an interrupted write left behind.
.iopctl-cache/
.*.tmp
# Editors and operating systems.
.DS_Store
*.swp
*~
"""


def pre_commit_config(records_prefix: str = "") -> str:
    """A .pre-commit-config.yaml that runs `iopctl validate` on the record files a commit changes.

    records_prefix is the records root relative to the git top level ("" or "records/").
    """
    entry = "iopctl validate" + (f" --records {records_prefix.rstrip('/')}" if records_prefix else "")
    files = "^" + re.escape(records_prefix) + RECORD_FILES_RE + "$"
    return f"""\
# pre-commit (https://pre-commit.com): `pip install pre-commit && pre-commit install`,
# then every commit is checked by `iopctl validate` on the record files it changes.
# This uses the iopctl installed where you run git (`pip install iopctl`); to let
# pre-commit install it, use iopctl's own hook instead (its .pre-commit-hooks.yaml):
#   - repo: <the iopctl git repository>
#     rev: <a release tag>
#     hooks:
#       - id: iopctl-validate
repos:
  - repo: local
    hooks:
      - id: iopctl-validate
        name: iopctl validate
        entry: {entry}
        language: system
        files: '{files}'
        pass_filenames: true
"""


def ci_workflow(records_prefix: str = "") -> str:
    records = f" --records {records_prefix.rstrip('/')}" if records_prefix else ""
    return f"""\
# GitHub Actions: check every push and pull request; findings appear as
# annotations on the changed lines. Other CI systems: run the same command.
name: validate records
on: [push, pull_request]
permissions:
  contents: read
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      # Install iopctl from wherever your program gets it (a package index or its git repository).
      - run: python -m pip install iopctl
      - run: iopctl validate{records} --format github
"""


def vscode_settings() -> str:
    """.vscode/settings.json: each record folder checked against its schema (YAML language server)."""
    settings = {
        "yaml.schemas": {f"./{SCHEMA_FOLDER}/{kind}.schema.json": SCHEMA_GLOBS[kind] for kind in schemas.KINDS},
        "files.trimTrailingWhitespace": True,
        "files.insertFinalNewline": True,
    }
    return json.dumps(settings, indent=2) + "\n"


def schema_files() -> dict[str, str]:
    """Copies of the packaged schemas, so that editors work offline and match this iopctl."""
    return {f"{SCHEMA_FOLDER}/{kind}.schema.json": schemas.schema_text(kind) for kind in schemas.KINDS}


def repository_files(program_id: str, name: str, timezone: str, records_prefix: str = "") -> dict[str, str]:
    """Every file `iopctl init` writes, by path from the records root, in writing order."""
    files = {"program.yaml": program_yaml(program_id, name, timezone)}
    for folder in FOLDERS:
        files[f"{folder}/.gitkeep"] = ""
    files[".gitignore"] = GITIGNORE
    files[".pre-commit-config.yaml"] = pre_commit_config(records_prefix)
    files[".github/workflows/validate.yml"] = ci_workflow(records_prefix)
    files[".vscode/settings.json"] = vscode_settings()
    files.update(schema_files())
    return files
