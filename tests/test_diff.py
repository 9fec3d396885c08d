"""`iopctl diff` and iopctl.semdiff: record changes in clinical terms.

CLI tests run on test_git.build_story with uncommitted edits on top; unit
tests feed two versions of one file to the semantic diff.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from iopctl import semdiff
from iopctl.cli import cli
from test_git import GitRepo, SESSION_1116, TEEN_SESSION_PATH, build_story

NEW_SESSION = "sessions/2026-11/2026-11-18-adult-evening-process-group.yaml"
MOVED_SESSION = "sessions/2026-11/2026-11-19-teen-teen-group.yaml"


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """The story, plus uncommitted edits: a profile, a plan objective, an assessment
    score, a new (untracked) session, and the teen session moved to another day."""
    r, sha = build_story(tmp_path_factory.mktemp("diff"), records="records")
    r.edit("participants/P0006.yaml", "primary_counselor: mrivera", "primary_counselor: jchen")
    r.edit("participants/P0006.yaml", "date_of_birth: 1990-05-01", "date_of_birth: 1990-05-10")
    r.edit("plans/P0006.yaml", "measure: meetings attended, from the weekly log",
           "measure: meetings attended, signed by the sponsor")
    r.edit("plans/P0006.yaml", "target_date: 2026-12-01", "target_date: 2026-12-08")
    r.edit("progress/P0005.yaml", "instrument: PHQ-9, score: 9}", "instrument: PHQ-9, score: 8}")
    r.write(NEW_SESSION, """
        schema_version: 1
        date: 2026-11-18
        session: adult-evening/process-group
        status: held
        attendance:
          P0005: present
          P0006: {status: late, minutes: 150}
    """)
    text = (r.root / TEEN_SESSION_PATH).read_text()
    r.remove(TEEN_SESSION_PATH)
    (r.root / MOVED_SESSION).write_text(text.replace("date: 2026-11-17", "date: 2026-11-19"))
    return r, sha


def run(r, *args):
    result = CliRunner().invoke(cli, ["diff", *args, "--records", str(r.root)])
    assert result.exception is None or isinstance(result.exception, SystemExit)  # never a traceback
    return result


def test_diff_head_against_the_working_tree(story):
    r, sha = story
    result = run(r)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"""\
Record changes from HEAD ({sha['discharge'][:8]}) to the working tree: 5 files, 9 changes, 0 flagged

participants/P0006.yaml (P0006): modified
  - participant primary counselor mrivera -> jchen
  - participant date of birth changed

plans/P0006.yaml (P0006): modified
  - objective 1.1.1 measure changed
      was: meetings attended, from the weekly log
      now: meetings attended, signed by the sponsor
  - objective 1.1.1 target date 2026-12-01 -> 2026-12-08

progress/P0005.yaml (P0005): modified
  - assessment PHQ-9 2026-12-02 score 9 -> 8

sessions/2026-11/2026-11-18-adult-evening-process-group.yaml (adult-evening/process-group 2026-11-18): added
  - session added (held)
  - attendance P0005 recorded present
  - attendance P0006 recorded late (150 min)

sessions/2026-11/2026-11-19-teen-teen-group.yaml (teen/teen-group 2026-11-19): \
moved from sessions/2026-11/2026-11-17-teen-teen-group.yaml
  - session rescheduled 2026-11-17 -> 2026-11-19
"""


def change(item, action, summary, detail=None, field=None, old=None, new=None, participant=None, flagged=False):
    return {"item": item, "action": action, "detail": detail, "field": field, "old": old, "new": new,
            "participant": participant, "flagged": flagged, "summary": summary}


def test_diff_json(story):
    r, sha = story
    result = run(r, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "from": {"rev": "HEAD", "commit": sha["discharge"]},
        "to": {"rev": None, "commit": None},
        "files": [
            {"file": "participants/P0006.yaml", "previous_file": None, "kind": "participant", "status": "modified",
             "subject": "P0006", "participants": ["P0006"],
             "changes": [
                 change("participant", "changed", "participant primary counselor mrivera -> jchen",
                        field="primary_counselor", old="mrivera", new="jchen"),
                 # private: the date of birth never leaves the record
                 change("participant", "changed", "participant date of birth changed", field="date_of_birth"),
             ],
             "summary": "participant primary counselor mrivera -> jchen; participant date of birth changed"},
            {"file": "plans/P0006.yaml", "previous_file": None, "kind": "plan", "status": "modified",
             "subject": "P0006", "participants": ["P0006"],
             "changes": [
                 change("objective 1.1.1", "changed", "objective 1.1.1 measure changed", field="measure",
                        old="meetings attended, from the weekly log", new="meetings attended, signed by the sponsor"),
                 change("objective 1.1.1", "changed", "objective 1.1.1 target date 2026-12-01 -> 2026-12-08",
                        field="target_date", old="2026-12-01", new="2026-12-08"),
             ],
             "summary": "objective 1.1.1 measure changed; objective 1.1.1 target date 2026-12-01 -> 2026-12-08"},
            {"file": "progress/P0005.yaml", "previous_file": None, "kind": "progress", "status": "modified",
             "subject": "P0005", "participants": ["P0005"],
             "changes": [change("assessment PHQ-9 2026-12-02", "changed", "assessment PHQ-9 2026-12-02 score 9 -> 8",
                                field="score", old=9, new=8)],
             "summary": "assessment PHQ-9 2026-12-02 score 9 -> 8"},
            {"file": NEW_SESSION, "previous_file": None, "kind": "session", "status": "added",
             "subject": "adult-evening/process-group 2026-11-18", "participants": ["P0005", "P0006"],
             "changes": [
                 change("session", "added", "session added (held)", detail="(held)"),
                 change("attendance P0005", "recorded", "attendance P0005 recorded present", detail="present",
                        participant="P0005"),
                 change("attendance P0006", "recorded", "attendance P0006 recorded late (150 min)",
                        detail="late (150 min)", participant="P0006"),
             ],
             "summary": "session added (held); attendance P0005 recorded present; "
                        "attendance P0006 recorded late (150 min)"},
            {"file": MOVED_SESSION, "previous_file": TEEN_SESSION_PATH, "kind": "session", "status": "moved",
             "subject": "teen/teen-group 2026-11-19", "participants": ["T0001"],
             "changes": [change("session", "rescheduled", "session rescheduled 2026-11-17 -> 2026-11-19",
                                detail="2026-11-17 -> 2026-11-19", field="date", old="2026-11-17", new="2026-11-19")],
             "summary": "session rescheduled 2026-11-17 -> 2026-11-19"},
        ],
        "counts": {"files": 5, "changes": 9, "flagged": 0},
    }


def test_diff_two_revisions_as_markdown_flags_the_attendance_correction(story):
    r, sha = story
    result = run(r, "HEAD~4", "HEAD", "--format", "md")
    assert result.exit_code == 0
    assert result.stdout == f"""\
## Record changes: `HEAD~4` (`{sha['session'][:8]}`) → `HEAD` (`{sha['discharge'][:8]}`)

**4 files, 12 changes, 1 flagged.**

> **1 flagged:** Flagged changes alter a delivered-care record after the fact (attendance of a session already \
on record, or a held session cancelled or removed): check each is a documented correction.

### `participants/P0005.yaml` (P0005): modified

- participant discharged 2027-01-05 (completed)

### `plans/P0005.yaml` (P0005): modified

- goal 1.1 statement changed
  - was: Stay alcohol-free
  - now: Stay alcohol-free, one day at a time
- objective 1.1.2 target date 2026-12-15 → 2027-01-05
- objective 1.1.3 added (target 2026-12-20)
- goal 1.1 intervention "Trigger mapping in group" frequency 3 times a week → 2 times a week
- goal 1.1 intervention "Individual MI session" added (weekly)
- review added 2026-12-02
- adjustment added 2026-11-20: Trigger work moved to individual sessions
- aftercare plan added
- follow-up 2027-01-08 with Dr. Lee added

### `progress/P0005.yaml` (P0005): modified

- assessment added PHQ-9 2026-12-02 score 9

### `sessions/2026-11/2026-11-16-adult-evening-process-group.yaml` (adult-evening/process-group 2026-11-16): modified

- **FLAGGED** (changes a delivered-care record): attendance P0005 status absent → present
"""


def test_diff_text_of_one_revision_pair_for_one_participant(story):
    r, sha = story
    result = run(r, sha["review"], sha["discharge"], "P0005")
    assert result.stdout == f"""\
Record changes from {sha['review']} ({sha['review'][:8]}) to {sha['discharge']} ({sha['discharge'][:8]}): \
3 files, 4 changes, 1 flagged

participants/P0005.yaml (P0005): modified
  - participant discharged 2027-01-05 (completed)

plans/P0005.yaml (P0005): modified
  - aftercare plan added
  - follow-up 2027-01-08 with Dr. Lee added

sessions/2026-11/2026-11-16-adult-evening-process-group.yaml (adult-evening/process-group 2026-11-16): modified
  ! attendance P0005 status absent -> present [FLAGGED: changes a delivered-care record]

! Flagged changes alter a delivered-care record after the fact (attendance of a session already on record, \
or a held session cancelled or removed): check each is a documented correction.
"""
    # P0006 sat in the same session, but only P0005's attendance changed.
    other = run(r, "HEAD~4", "HEAD", "P0006")
    assert other.stdout == f"No record changes from HEAD~4 ({sha['session'][:8]}) to HEAD ({sha['discharge'][:8]}).\n"


def test_diff_ids_without_revisions_and_a_participant_only_in_the_working_tree(story):
    r, _ = story
    result = run(r, "T0001", "--format", "json")
    assert [f["file"] for f in json.loads(result.stdout)["files"]] == [MOVED_SESSION]


def test_diff_errors_exit_2_with_a_message(story, tmp_path):
    r, _ = story
    result = run(r, "nosuchrev")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("iopctl: unknown revision or participant 'nosuchrev': no commit by that name in this "
                             "repository and no participant with that id\n")
    result = run(r, "HEAD~1", "HEAD", "HEAD~2")
    assert (result.exit_code, result.stderr) == (
        2, "iopctl: too many revisions at 'HEAD~2': give at most two, then participant ids\n")
    (tmp_path / "program.yaml").write_text("schema_version: 1\n")
    result = CliRunner().invoke(cli, ["diff", "--records", str(tmp_path)])
    assert result.exit_code == 2 and "are not in a git repository" in result.stderr


def test_diff_in_a_repository_without_commits(tmp_path):
    r = GitRepo(tmp_path / "repo")
    r.write("program.yaml", "schema_version: 1\n")
    result = run(r)
    assert (result.exit_code, result.stderr) == (
        2, "iopctl: HEAD names no commit yet: the repository has no commits\n")


def test_diff_is_deterministic_and_read_only(story):
    r, _ = story
    before = r.git("status", "--porcelain")
    assert run(r, "--format", "json").stdout == run(r, "--format", "json").stdout
    assert r.git("status", "--porcelain") == before


# -- semdiff units ---------------------------------------------------------------


def version(rel: str, text: str | None) -> semdiff.Version:
    raw = None if text is None else textwrap.dedent(text).lstrip("\n").encode()
    return semdiff.load_version(Path("/records"), rel, raw)


def summaries(rel: str, old: str | None, new: str | None) -> list[str]:
    return [c.line for c in semdiff.diff_versions(version(rel, old), version(rel, new)).changes]


SESSION = "sessions/2026-11/2026-11-16-adult-evening-process-group.yaml"


def test_session_cancelled_after_the_fact_and_attendance_removed_are_flagged():
    cancelled = SESSION_1116.replace("status: held", "status: cancelled").replace(
        "    attendance:\n      P0005: absent\n      P0006: present\n", "")
    assert summaries(SESSION, SESSION_1116, cancelled) == [
        "session status held -> cancelled [FLAGGED: changes a delivered-care record]",
        "attendance P0005 removed (was absent) [FLAGGED: changes a delivered-care record]",
        "attendance P0006 removed (was present) [FLAGGED: changes a delivered-care record]",
    ]
    assert summaries(SESSION, SESSION_1116, None) == [
        "session record removed (held) [FLAGGED: changes a delivered-care record]"]
    assert summaries(SESSION, cancelled, None) == ["session record removed (cancelled)"]
    late = SESSION_1116.replace("P0006: present", "P0006: {status: late, minutes: 120}\n      P0007: present")
    assert summaries(SESSION, SESSION_1116, late) == [
        "attendance P0006 status present -> late [FLAGGED: changes a delivered-care record]",
        "attendance P0006 minutes none -> 120 [FLAGGED: changes a delivered-care record]",
        "attendance P0007 added present [FLAGGED: changes a delivered-care record]",
    ]


def test_comments_and_layout_are_no_change():
    reflowed = SESSION_1116.replace("attendance:\n      P0005: absent\n      P0006: present",
                                    "attendance: {P0005: absent, P0006: present}  # as signed")
    d = semdiff.diff_versions(version(SESSION, SESSION_1116), version(SESSION, reflowed))
    assert (d.changes, d.summary()) == ([], "no change in content (comments or layout only)")


def test_unreadable_versions_are_reported_not_compared():
    assert summaries(SESSION, SESSION_1116, "date: [unclosed\n") == [
        "new version does not parse as YAML (no clinical comparison; see iopctl validate)"]
    assert summaries(SESSION, "schema_version: 1\ndate: 2026-11-16\n", SESSION_1116) == [
        "old version does not pass its schema (no clinical comparison; see iopctl validate)"]


PARTICIPANT = """
    schema_version: 1
    id: P0007
    preferred_name: Robin
    date_of_birth: 1985-01-01
    status: referred
    track: adult-evening
    diagnoses: [{code: F10.20, primary: true}]
    supports:
      - {id: kim, name: Kim, relationship: sister, phone: "+1 555 0170", consent: {signed: 2026-11-02}}
"""


def test_participant_admission_and_private_fields():
    admitted = PARTICIPANT.replace("status: referred", "status: active\n    admitted: 2026-11-09").replace(
        "F10.20", "F10.10").replace("preferred_name: Robin", "preferred_name: Rob").replace(
        '"+1 555 0170"', '"+1 555 0171"').replace("signed: 2026-11-02}", "signed: 2026-11-02, expires: 2027-11-02}")
    d = semdiff.diff_versions(version("participants/P0007.yaml", PARTICIPANT),
                              version("participants/P0007.yaml", admitted))
    assert [c.line for c in d.changes] == [
        "participant admitted 2026-11-09 to adult-evening",
        "participant preferred name changed",
        "participant diagnoses changed",
        "support kim consent expires none -> 2027-11-02",
        "support kim phone changed",
    ]
    dumped = json.dumps([c.as_dict() for c in d.changes])
    for secret in ("Rob", "F10", "0171", "0170"):
        assert secret not in dumped
    assert summaries("participants/P0007.yaml", None, PARTICIPANT) == [
        "participant added (referred, track adult-evening)"]
    withdrawn = admitted.replace("status: active", "status: withdrawn\n    discharged: 2026-11-20\n"
                                 "    discharge_reason: withdrew")
    assert summaries("participants/P0007.yaml", admitted, withdrawn) == [
        "participant withdrawn 2026-11-20 (withdrew)"]


PLAN = """
    schema_version: 1
    participant: P0007
    start: 2026-11-09
    problems:
      - id: "1"
        statement: Drinks after work
        goals:
          - id: "1.1"
            statement: Stay sober
            objectives:
              - {id: "1.1.1", statement: Meetings, measure: log, target_date: 2026-12-01}
              - {id: "1.1.2", statement: Triggers, measure: plan, target_date: 2026-12-15}
            interventions:
              - {modality: CBT, description: Trigger mapping, frequency: weekly, staff: mrivera}
              - {modality: MI, description: Motivation work, frequency: weekly, staff: jchen}
"""


def test_plan_goals_objectives_interventions_signatures():
    new = PLAN.replace(
        '              - {id: "1.1.2", statement: Triggers, measure: plan, target_date: 2026-12-15}\n', "").replace(
        "description: Trigger mapping, frequency: weekly", "description: Trigger and urge mapping, frequency: weekly")
    new = new.replace("start: 2026-11-09", "start: 2026-11-09\n    signed: {participant: 2026-11-10, staff: "
                      "[{id: mrivera, date: 2026-11-10}]}\n    skip_sessions: [process-group]")
    new += "\n".join([
        '      - id: "2"',
        "        statement: No evening routine",
        "        goals:",
        '          - id: "2.1"',
        "            statement: Evening routine",
        '            objectives: [{id: "2.1.1", statement: Gym, measure: log, target_date: 2026-12-20}]',
        "            interventions: [{modality: other, description: Gym buddy, frequency: weekly}]",
        ""])
    assert summaries("plans/P0007.yaml", PLAN, new) == [
        "plan signed by participant 2026-11-10",
        "plan signed by staff mrivera 2026-11-10",
        "problem 2 added",
        "goal 2.1 added",
        "objective 2.1.1 added (target 2026-12-20)",  # in the new file's order, then what was removed
        "objective 1.1.2 removed",
        'goal 1.1 intervention "Trigger mapping" description changed',
        "track session process-group skipped",
    ]


def test_program_track_timetable_and_closures():
    from test_git import PROGRAM

    new = PROGRAM.replace("minutes: 120", "minutes: 90").replace(
        "      - {date: 2026-11-26, reason: Thanksgiving}",
        "      - {date: 2026-11-26, reason: Thanksgiving}\n      - {start: 2026-12-24, end: 2026-12-26}")
    assert summaries("program.yaml", PROGRAM, new) == [
        "closure added 2026-12-24 to 2026-12-26",
        "track teen session teen-group minutes 120 -> 90",
    ]


def test_program_crisis_lines_changed():
    from test_git import PROGRAM

    lines = "      timezone: America/Chicago\n      crisis_lines:\n        - {name: Local line, phone: \"+1 555 0199\"}"
    with_line = PROGRAM.replace("      timezone: America/Chicago", lines)
    assert summaries("program.yaml", PROGRAM, with_line) == ["crisis lines changed (shown on every handout)"]
    assert summaries("program.yaml", with_line, with_line.replace("0199", "0198")) == ["crisis lines changed (shown on every handout)"]
    assert summaries("program.yaml", with_line, with_line) == []


def test_a_held_session_moved_to_another_day_is_one_rescheduled_session():
    moved = SESSION_1116.replace("date: 2026-11-16", "date: 2026-11-17")
    diffs = semdiff.diff_files([
        (version(SESSION, SESSION_1116), version(SESSION, None)),
        (version("sessions/2026-11/2026-11-17-x.yaml", None), version("sessions/2026-11/2026-11-17-x.yaml", moved)),
    ])
    assert [(d.file, d.status, d.previous_file, d.summary()) for d in diffs] == [
        ("sessions/2026-11/2026-11-17-x.yaml", "moved", SESSION, "session rescheduled 2026-11-16 -> 2026-11-17")]


def test_summaries_are_one_plain_line():
    """A line break or a terminal escape sequence in a record does not reach the screen."""
    change = semdiff.Change("adjustment", "added", "2026-11-20: first line\nsecond \x1b[2J line")
    assert change.summary == "adjustment added 2026-11-20: first line second  [2J line"
    edited = semdiff.Change("goal 1.1", "changed", field="statement", old="a\nb", new="c", text=True)
    assert (edited.summary, edited.long_form()) == ("goal 1.1 statement changed", [("was", "a b"), ("now", "c")])
