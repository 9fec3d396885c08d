"""The record-writing commands: new, attend, assess, update, review, discharge.

Each test builds a small commented records repository in tmp_path (or
copies sample_records there) and pins the exact bytes written. A refused
write must leave every file byte-identical.
"""
import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner

from iopctl.cli import cli
from iopctl.validate import validate

SAMPLE = Path(__file__).parent.parent / "sample_records"
AS_OF = ["--as-of", "2026-11-23"]

PROGRAM = """\
# Lakeside: a tiny program for tests.
schema_version: 1
program:
  id: lakeside
  name: Lakeside IOP
  timezone: America/Chicago
closures:
  - {date: 2026-11-26, reason: Thanksgiving}
staff:
  - {id: mrivera, name: Maria Rivera}
  - {id: jchen, name: James Chen}
tracks:
  - id: adult-evening
    name: Adult Evening IOP
    population: adult
    level_of_care: "2.1"
    weeks: 10
    sessions:
      - id: process-group
        title: Process Group
        kind: group
        days: [mon, wed, thu]
        start: "18:00"
        minutes: 180
        facilitator: mrivera
      - id: skills-group
        title: Skills Group
        kind: skills
        days: [tue]
        start: "18:00"
        minutes: 60
        every_weeks: 2      # weeks of Nov 17, Dec 1, ...
"""

PARTICIPANT = """\
# {pid}: synthetic.
schema_version: 1
id: {pid}
preferred_name: {name}
date_of_birth: 1980-01-01
status: {status}   # as of intake
admitted: {admitted}
# Track and counsellor.
track: adult-evening
primary_counselor: mrivera
"""

PLAN = """\
schema_version: 1
participant: {pid}
start: {admitted}
signed:
  participant: {admitted}
  staff:
    - {{id: mrivera, date: {admitted}}}
reviews:
  - date: {admitted}
    by: mrivera
    summary: Intake review.   # first one
# Problems, goals, objectives.
problems:
  - id: "1"
    statement: Drinks daily
    goals:
      - id: "1.1"
        statement: Stay alcohol-free
        objectives:
          - id: "1.1.1"
            statement: Attend three meetings a week
            measure: meeting log
            target_date: 2026-12-15
        interventions:
          - {{modality: CBT, frequency: 3 times a week, staff: mrivera}}
"""

PROGRESS_P1 = """\
# Progress of P1. Keep entries in date order.
schema_version: 1
participant: P1
assessments:
  - date: 2026-11-02
    instrument: PHQ-9
    score: 16          # moderately severe
  - date: 2026-11-09
    instrument: PHQ-9
    score: 12
# Objective status updates.
objective_updates:
  - date: 2026-11-09
    objective: "1.1.1"
    status: in-progress
    note: 2 of 3 meetings
"""

PEOPLE = {"P1": ("Alex", "active", "2026-11-02"), "P2": ("Sam", "active", "2026-11-16"),
          "P3": ("Kim", "on-hold", "2026-11-02")}


def make_repo(root: Path) -> Path:
    """program.yaml and three participants (P3 on hold), each with plan and progress."""
    for folder in ("participants", "plans", "progress", "sessions/2026-11"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(PROGRAM)
    for pid, (name, status, admitted) in PEOPLE.items():
        (root / f"participants/{pid}.yaml").write_text(
            PARTICIPANT.format(pid=pid, name=name, status=status, admitted=admitted))
        (root / f"plans/{pid}.yaml").write_text(PLAN.format(pid=pid, admitted=admitted))
        progress = PROGRESS_P1 if pid == "P1" else f"schema_version: 1\nparticipant: {pid}\n"
        (root / f"progress/{pid}.yaml").write_text(progress)
    return root


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "records")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (outside .git), with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--records", str(root), *AS_OF])


def test_the_fixture_repository_is_valid(repo):
    report = validate(repo, as_of=dt.date(2026, 11, 23))
    assert report.errors == 0, [f.as_text() for f in report.findings]


# -- attend --------------------------------------------------------------------------


def test_attend_writes_the_session_file(repo):
    result = run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P1",
                 "--late", "P2:150", "--topic", "Coping with holiday stress")
    assert result.exit_code == 0, result.output
    rel = "sessions/2026-11/2026-11-23-adult-evening-process-group.yaml"
    assert result.stdout == (f"created {rel}: adult-evening/process-group on 2026-11-23, held: 1 present, 1 late\n")
    assert (repo / rel).read_text() == """\
schema_version: 1
date: 2026-11-23
session: adult-evening/process-group
status: held
facilitator: mrivera
topic: Coping with holiday stress
attendance:
  P1: present
  P2: {status: late, minutes: 150}
"""


def test_attend_takes_comma_separated_ids_and_every_status(repo):
    result = run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--excused", "P1,P3",
                 "--left-early", "P2", "--facilitator", "jchen", "--start", "18:15", "--minutes", "165")
    assert result.exit_code == 0, result.output
    assert "note: P3 not expected at adult-evening/process-group on 2026-11-23" in result.stderr
    text = (repo / "sessions/2026-11/2026-11-23-adult-evening-process-group.yaml").read_text()
    assert text == """\
schema_version: 1
date: 2026-11-23
session: adult-evening/process-group
status: held
start: "18:15"
minutes: 165
facilitator: jchen
attendance:
  P1: excused
  P2: left-early
  P3: excused
"""


def test_attend_refuses_a_roster_member_left_out(repo):
    before = snapshot(repo)
    result = run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P1")
    assert result.exit_code == 1
    assert result.stderr == ("iopctl: not recorded: P2 (expected at adult-evening/process-group on 2026-11-23); "
                             "name everyone as --present, --late, --left-early, --excused or --absent, "
                             "or pass --partial\n")
    assert snapshot(repo) == before


def test_attend_partial_records_only_those_named(repo):
    result = run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--absent", "P2", "--partial")
    assert result.exit_code == 0, result.output
    text = (repo / "sessions/2026-11/2026-11-23-adult-evening-process-group.yaml").read_text()
    assert text.endswith("attendance:\n  P2: absent\n")


def test_attend_refuses_a_day_the_session_does_not_meet(repo):
    before = snapshot(repo)
    tuesday = run(repo, "attend", "2026-11-24", "adult-evening/process-group", "--present", "P1")
    assert tuesday.exit_code == 1
    assert tuesday.stderr == ("iopctl: adult-evening/process-group does not meet on a Tuesday (2026-11-24); "
                              "it meets on mon, wed, thu; pass --unscheduled to record it anyway\n")
    off_week = run(repo, "attend", "2026-11-24", "adult-evening/skills-group", "--present", "P1")
    assert off_week.exit_code == 1
    assert "does not meet in the week of 2026-11-24 (it meets every 2 weeks)" in off_week.stderr
    closed = run(repo, "attend", "2026-11-26", "adult-evening/process-group", "--present", "P1,P2")
    assert closed.exit_code == 1
    assert closed.stderr == ("iopctl: the program is closed on 2026-11-26 (Thanksgiving); "
                             "pass --unscheduled to record it anyway\n")
    assert snapshot(repo) == before


def test_attend_unscheduled_records_it_anyway(repo):
    result = run(repo, "attend", "2026-11-24", "adult-evening/process-group", "--present", "P1", "--unscheduled")
    assert result.exit_code == 0, result.output
    assert (repo / "sessions/2026-11/2026-11-24-adult-evening-process-group.yaml").exists()


def test_attend_cancelled(repo):
    result = run(repo, "attend", "2026-11-25", "adult-evening/process-group", "--cancelled")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("created sessions/2026-11/2026-11-25-adult-evening-process-group.yaml: "
                             "adult-evening/process-group on 2026-11-25, cancelled\n")
    assert (repo / "sessions/2026-11/2026-11-25-adult-evening-process-group.yaml").read_text() == """\
schema_version: 1
date: 2026-11-25
session: adult-evening/process-group
status: cancelled
facilitator: mrivera
"""
    both = run(repo, "attend", "2026-11-30", "adult-evening/process-group", "--cancelled", "--present", "P1")
    assert both.exit_code == 2


def test_attend_never_overwrites_without_force(repo):
    args = ["attend", "2026-11-23", "adult-evening/process-group", "--present", "P1,P2"]
    assert run(repo, *args).exit_code == 0
    path = repo / "sessions/2026-11/2026-11-23-adult-evening-process-group.yaml"
    first = path.read_bytes()
    again = run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P1", "--absent", "P2")
    assert again.exit_code == 1
    assert again.stderr == ("iopctl: sessions/2026-11/2026-11-23-adult-evening-process-group.yaml already exists; "
                            "pass --force to replace it\n")
    assert path.read_bytes() == first
    forced = run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P1", "--absent", "P2",
                 "--force")
    assert forced.exit_code == 0
    assert forced.stdout.startswith("replaced sessions/2026-11/2026-11-23-adult-evening-process-group.yaml")
    assert path.read_text().endswith("  P1: present\n  P2: absent\n")


def test_attend_refuses_what_would_not_validate_and_leaves_no_folder(repo):
    before = snapshot(repo)
    # 2026-12-02 is a Wednesday; 200 minutes of a 180-minute session is IOP050.
    result = run(repo, "attend", "2026-12-02", "adult-evening/process-group", "--present", "P1", "--late", "P2:200")
    assert result.exit_code == 1
    assert result.stderr == (
        "iopctl: refused to write sessions/2026-12/2026-12-02-adult-evening-process-group.yaml: "
        "the result would not validate:\n"
        "  sessions/2026-12/2026-12-02-adult-evening-process-group.yaml:8:31: IOP050 error: "
        "`P2` attended 200 minutes of a 180-minute session\n")
    assert snapshot(repo) == before
    assert not (repo / "sessions/2026-12").exists()
    assert not [p for p in repo.rglob("*.tmp")]


def test_attend_usage_errors(repo):
    twice = run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P1", "--absent", "P1")
    assert twice.exit_code == 2
    assert "P1 is named twice (as present and absent)" in twice.stderr
    minutes = run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--late", "P1:ten")
    assert minutes.exit_code == 2
    assert "minutes attended must be a whole number" in minutes.stderr
    unknown = run(repo, "attend", "2026-11-23", "adult-evening/proces-group", "--present", "P1")
    assert unknown.exit_code == 2
    assert "there is no session adult-evening/proces-group (did you mean `adult-evening/process-group`?)" \
        in unknown.stderr
    bad_date = run(repo, "attend", "2026-11-31", "adult-evening/process-group", "--present", "P1")
    assert bad_date.exit_code == 2


def test_attend_default_roster_comes_from_the_schedule_on_sample_records(tmp_path):
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root)
    result = run(root, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P0002")
    assert result.exit_code == 1
    # P0006 is on hold and P0001 was discharged: neither is expected.
    assert result.stderr.startswith("iopctl: not recorded: P0003, P0004, P0005, P0007, P0008, P0011 ")
    ok = run(root, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P0002,P0003,P0004,P0005",
             "--late", "P0008:60", "--absent", "P0007,P0011")
    assert ok.exit_code == 0, ok.output
    assert (root / "sessions/2026-11/2026-11-23-adult-evening-process-group.yaml").read_text().endswith(
        "attendance:\n  P0002: present\n  P0003: present\n  P0004: present\n  P0005: present\n"
        "  P0007: absent\n  P0008: {status: late, minutes: 60}\n  P0011: absent\n")


# -- new participant -------------------------------------------------------------------


def test_new_participant_writes_three_skeletons_that_validate(repo):
    result = run(repo, "new", "participant", "P4", "--track", "adult-evening", "--admitted", "2026-11-23",
                 "--name", "Jo", "--dob", "1990-05-06")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "created participants/P4.yaml: active, adult-evening, admitted 2026-11-23\n"
        "created plans/P4.yaml: plan skeleton: replace the TODO problem, goal and objective\n"
        "created progress/P4.yaml: empty progress\n"
        "  plans/P4.yaml:7:14: IOP040 warning: plan is not signed by the participant and a staff member\n"
        "  plans/P4.yaml:8:8: IOP022 warning: week 1 (2026-11-23 to 2026-11-29): closures (2026-11-26 Thanksgiving) "
        "leave 6 of the 9 hours level 2.1 (adult) needs\n"
        "fill in: the TODO problem, goal and objective in plans/P4.yaml\n")
    assert (repo / "participants/P4.yaml").read_text() == """\
# Participant P4. Keep only what care needs (minimum necessary): the
# preferred name is the only name kept, and the id is a code, never a name
# or a number derived from another identifier.
schema_version: 1
id: P4
preferred_name: Jo
# pronouns: they/them
date_of_birth: 1990-05-06
language: en  # BCP 47 tag; chooses the handout language
status: active  # referred | active | on-hold | discharged | withdrawn
admitted: 2026-11-23
track: adult-evening
# primary_counselor: mrivera  # a staff id from program.yaml
# diagnoses:                       # ICD-10-CM; never printed on handouts
#   - {code: F10.20, description: "Alcohol use disorder, moderate", primary: true}
# strengths: [steady job, supportive sister]
# needs: [sleep routine, transport on Thursdays]
# supports:                        # family and peers; consent under 42 CFR Part 2
#   - id: sam
#     name: Sam
#     relationship: spouse
#     involvement: [family-sessions, emergency-contact]
#     consent: {signed: 2026-11-23, expires: YYYY-MM-DD}
# safety_plan:                     # Stanley-Brown: the six steps, in order
#   warning_signs: []
#   coping_strategies: []
#   social_distractions: []
#   people_to_ask: []              # support ids or free text
#   professionals: [{name: "988 Suicide & Crisis Lifeline", phone: "988"}]
#   means_safety: []
# medications:
#   - {name: naltrexone, dose: 50 mg, schedule: daily, prescriber: Dr. Lee}
"""
    # Ten weeks from Monday 2026-11-23 end on Sunday 2027-01-31: the placeholder objective's target.
    assert (repo / "plans/P4.yaml").read_text() == """\
# Treatment plan of P4, agreed with the participant. Replace every TODO.
# Objectives must be measurable (measure) and time-bound (target_date);
# each intervention says how often. An objective's status is kept in
# progress/P4.yaml: `iopctl update P4 1.1.1 in-progress`.
# Plan reviews: `iopctl review P4 --by STAFF --summary TEXT`.
schema_version: 1
participant: P4
start: 2026-11-23  # first day of plan week 1
# weeks: 10  # default: the track's 10 weeks
# signed:                          # when the participant and staff sign the plan
#   participant: 2026-11-23
#   staff:
#     - {id: mrivera, date: 2026-11-23}
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
            target_date: 2027-01-31  # by when (this default is the plan's last day)
        interventions:
          - modality: other        # CBT | DBT | MI | ACT | EMDR | TSF | CM | mindfulness | yoga | art | other
            description: "TODO: what staff will do"
            frequency: "TODO: how often, e.g. 3 times a week"
# aftercare:                       # before a planned discharge (rules.md): gains,
#   discharge_target: 2027-01-31  # support needs, follow-ups, resources, relapse prevention
#   follow_ups:
#     - {date: 2027-01-12, time: "10:00", with: Dr. Lee, phone: "+1 555 0133"}
"""
    assert (repo / "progress/P4.yaml").read_text() == """\
# Progress of P4: measurements over time, newest last. iopctl adds them:
#   iopctl assess P4 PHQ-9 14 --items 2,2,2,2,2,1,1,1,1
#   iopctl update P4 1.1.1 in-progress --note "2 of 3 meetings"
# Milestones and screens are added by hand, for example:
#   milestones:
#     - {date: 2026-12-23, title: 30 days alcohol-free}
#   screens:
#     - {date: 2026-11-30, kind: urine-drug-screen, result: negative}
schema_version: 1
participant: P4
"""
    report = validate(repo, as_of=dt.date(2026, 11, 23))
    assert report.errors == 0, [f.as_text() for f in report.findings]


def test_new_participant_placeholders_and_future_admission(repo):
    result = run(repo, "new", "participant", "P5", "--track", "adult-evening", "--admitted", "2026-12-07")
    assert result.exit_code == 0, result.output
    profile = (repo / "participants/P5.yaml").read_text()
    assert "preferred_name: P5  # TODO: the name they want to be called\n" in profile
    assert "date_of_birth: 1900-01-01  # TODO: placeholder; replace with the real date of birth\n" in profile
    assert "status: referred  #" in profile  # admitted after today (--as-of 2026-11-23)
    assert "fill in: preferred_name, date_of_birth in participants/P5.yaml (placeholders)" in result.stdout


def test_new_participant_refuses_an_existing_id(repo):
    before = snapshot(repo)
    result = run(repo, "new", "participant", "P1", "--track", "adult-evening", "--admitted", "2026-11-23")
    assert result.exit_code == 1
    assert result.stderr == ("iopctl: participant P1 already exists (participants/P1.yaml, plans/P1.yaml, "
                             "progress/P1.yaml); choose another id, or pass --force to replace its files\n")
    assert snapshot(repo) == before
    track = run(repo, "new", "participant", "P9", "--track", "adult-evenin", "--admitted", "2026-11-23")
    assert track.exit_code == 2
    assert "there is no track adult-evenin (did you mean `adult-evening`?)" in track.stderr


# -- assess, update, review, discharge -------------------------------------------------


def test_assess_appends_and_keeps_comments(repo):
    result = run(repo, "assess", "P1", "phq-9", "9", "--date", "2026-11-23", "--items", "1,1,1,1,1,1,1,2,0")
    assert result.exit_code == 0, result.output
    assert result.stdout == "updated progress/P1.yaml: added assessment PHQ-9 9 on 2026-11-23\n"
    assert (repo / "progress/P1.yaml").read_text() == """\
# Progress of P1. Keep entries in date order.
schema_version: 1
participant: P1
assessments:
  - date: 2026-11-02
    instrument: PHQ-9
    score: 16          # moderately severe
  - date: 2026-11-09
    instrument: PHQ-9
    score: 12
  - date: 2026-11-23
    instrument: PHQ-9
    score: 9
    items: [1, 1, 1, 1, 1, 1, 1, 2, 0]
# Objective status updates.
objective_updates:
  - date: 2026-11-09
    objective: "1.1.1"
    status: in-progress
    note: 2 of 3 meetings
"""


def test_assess_keeps_date_order_and_reports_a_safety_flag(repo):
    result = run(repo, "assess", "P1", "PHQ-9", "14", "--date", "2026-11-05", "--items", "2,2,2,2,2,1,1,1,1")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("updated progress/P1.yaml: added assessment PHQ-9 14 on 2026-11-05\n"
                             "  progress/P1.yaml:11:37: IOP031 warning: PHQ-9 item 9 (thoughts of self-harm) is 1 "
                             "on 2026-11-05: follow the program's safety protocol\n")
    lines = (repo / "progress/P1.yaml").read_text().splitlines()
    assert lines[4:14] == [
        "  - date: 2026-11-02",
        "    instrument: PHQ-9",
        "    score: 16          # moderately severe",
        "  - date: 2026-11-05",
        "    instrument: PHQ-9",
        "    score: 14",
        "    items: [2, 2, 2, 2, 2, 1, 1, 1, 1]",
        "  - date: 2026-11-09",
        "    instrument: PHQ-9",
        "    score: 12",
    ]


def test_assess_refuses_an_invalid_score_and_leaves_the_file_byte_identical(repo):
    before = snapshot(repo)
    result = run(repo, "assess", "P1", "PHQ-9", "10", "--date", "2026-11-23", "--items", "1,1,1,1,1,1,1,1,1")
    assert result.exit_code == 1
    assert result.stderr == ("iopctl: refused to write progress/P1.yaml: the result would not validate:\n"
                             "  progress/P1.yaml:13:12: IOP030 error: items add up to 9, but score is 10\n")
    out_of_range = run(repo, "assess", "P1", "GAD-7", "30", "--date", "2026-11-23")
    assert out_of_range.exit_code == 1
    assert "IOP030 error: score 30 is above the GAD-7 maximum of 21" in out_of_range.stderr
    assert snapshot(repo) == before


def test_assess_refuses_a_second_score_the_same_day_unless_forced(repo):
    before = snapshot(repo)
    result = run(repo, "assess", "P1", "PHQ-9", "11", "--date", "2026-11-09")
    assert result.exit_code == 1
    assert result.stderr == "iopctl: a PHQ-9 on 2026-11-09 is already recorded; pass --force to replace it\n"
    assert snapshot(repo) == before
    forced = run(repo, "assess", "P1", "PHQ-9", "11", "--date", "2026-11-09", "--force")
    assert forced.exit_code == 0
    assert forced.stdout == ("updated progress/P1.yaml: replaced the PHQ-9 of 2026-11-09: PHQ-9 11 on 2026-11-09\n")
    text = (repo / "progress/P1.yaml").read_text()
    assert "  - date: 2026-11-09\n    instrument: PHQ-9\n    score: 11\n# Objective status updates.\n" in text


def test_assess_unknown_participant_or_instrument_is_a_usage_error(repo):
    nobody = run(repo, "assess", "P7", "PHQ-9", "3")
    assert nobody.exit_code == 2
    assert "participant P7 does not exist (no participants/P7.yaml)" in nobody.stderr
    instrument = run(repo, "assess", "P1", "PHQ-8", "3")
    assert instrument.exit_code == 2
    assert "'PHQ-8' is not an instrument iopctl knows: PHQ-9, GAD-7, AUDIT, DAST-10, PCL-5, BAM" in instrument.stderr


def test_update_appends_an_objective_update(repo):
    result = run(repo, "update", "P1", "1.1.1", "met", "--note", "3 meetings a week since Nov 9",
                 "--date", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert result.stdout == "updated progress/P1.yaml: added objective 1.1.1 met on 2026-11-23\n"
    assert (repo / "progress/P1.yaml").read_text().endswith("""\
# Objective status updates.
objective_updates:
  - date: 2026-11-09
    objective: "1.1.1"
    status: in-progress
    note: 2 of 3 meetings
  - date: 2026-11-23
    objective: "1.1.1"
    status: met
    note: 3 meetings a week since Nov 9
""")


def test_update_creates_the_list_in_an_empty_progress_file(repo):
    result = run(repo, "update", "P2", "1.1.1", "in-progress", "--date", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert (repo / "progress/P2.yaml").read_text() == """\
schema_version: 1
participant: P2
objective_updates:
  - date: 2026-11-23
    objective: "1.1.1"
    status: in-progress
"""


def test_update_refuses_an_objective_the_plan_does_not_have(repo):
    before = snapshot(repo)
    result = run(repo, "update", "P1", "1.1.2", "met", "--date", "2026-11-23")
    assert result.exit_code == 1
    assert result.stderr == ("iopctl: refused to write progress/P1.yaml: the result would not validate:\n"
                             "  progress/P1.yaml:18:16: IOP010 error: objective `1.1.2` does not exist "
                             "(did you mean `1.1.1`?)\n")
    assert snapshot(repo) == before


def test_review_appends_to_the_plan(repo):
    result = run(repo, "review", "P1", "--by", "jchen", "--summary", "On track; keep the plan.",
                 "--date", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert result.stdout == "updated plans/P1.yaml: added plan review on 2026-11-23 by jchen\n"
    text = (repo / "plans/P1.yaml").read_text()
    assert text == PLAN.format(pid="P1", admitted="2026-11-02").replace(
        "    summary: Intake review.   # first one\n",
        "    summary: Intake review.   # first one\n"
        "  - date: 2026-11-23\n    by: jchen\n    summary: On track; keep the plan.\n")


def test_review_refuses_unknown_staff(repo):
    before = snapshot(repo)
    result = run(repo, "review", "P1", "--by", "mriviera", "--summary", "x", "--date", "2026-11-23")
    assert result.exit_code == 1
    assert "IOP010 error: staff member `mriviera` does not exist (did you mean `mrivera`?)" in result.stderr
    assert snapshot(repo) == before


def test_discharge_sets_status_date_and_reason_in_place(repo):
    result = run(repo, "discharge", "P1", "--date", "2026-11-23", "--reason", "completed")
    assert result.exit_code == 0, result.output
    # The warning the change brings is reported where it belongs: on the plan, which has no aftercare.
    assert result.stdout == ("updated participants/P1.yaml: discharged on 2026-11-23 (completed)\n"
                             "  plans/P1.yaml:3:8: IOP041 warning: discharged on 2026-11-23 with no aftercare "
                             "follow-up within 7 days after (by 2026-11-30)\n")
    assert (repo / "participants/P1.yaml").read_text() == """\
# P1: synthetic.
schema_version: 1
id: P1
preferred_name: Alex
date_of_birth: 1980-01-01
status: discharged # as of intake
admitted: 2026-11-02
discharged: 2026-11-23
discharge_reason: completed
# Track and counsellor.
track: adult-evening
primary_counselor: mrivera
"""
    again = run(repo, "discharge", "P1", "--date", "2026-11-24", "--reason", "completed")
    assert again.exit_code == 1
    assert again.stderr == "iopctl: already discharged on 2026-11-23; pass --force to change it\n"


def test_discharge_withdrew_sets_status_withdrawn(repo):
    result = run(repo, "discharge", "P2", "--date", "2026-11-20", "--reason", "withdrew")
    assert result.exit_code == 0, result.output
    text = (repo / "participants/P2.yaml").read_text()
    assert "status: withdrawn # as of intake\n" in text
    assert "discharged: 2026-11-20\ndischarge_reason: withdrew\n" in text


def test_discharge_refuses_when_it_breaks_another_record(repo):
    assert run(repo, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P1,P2").exit_code == 0
    before = snapshot(repo)
    result = run(repo, "discharge", "P1", "--date", "2026-11-20", "--reason", "completed")
    assert result.exit_code == 1
    assert result.stderr == (
        "iopctl: refused to write participants/P1.yaml: the result would not validate:\n"
        "  sessions/2026-11/2026-11-23-adult-evening-process-group.yaml:7:3: IOP050 error: `P1` is recorded on "
        "2026-11-23 but was not in the program that day (discharged 2026-11-20)\n")
    assert snapshot(repo) == before
    early = run(repo, "discharge", "P2", "--date", "2026-11-01", "--reason", "completed")
    assert early.exit_code == 1
    assert "IOP011 error: discharge 2026-11-01 is before admission 2026-11-16" in early.stderr


def test_an_edit_refuses_a_record_that_does_not_load(repo):
    path = repo / "participants/P2.yaml"
    path.write_text(path.read_text().replace("status: active", "stauts: active"))
    before = snapshot(repo)
    result = run(repo, "discharge", "P2", "--date", "2026-11-20", "--reason", "completed")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "iopctl: participants/P2.yaml has errors; fix them first (see `iopctl validate`):")
    assert "IOP002 error: `status` is required" in result.stderr
    assert snapshot(repo) == before


def test_json_output_lists_what_was_written(repo):
    result = run(repo, "review", "P2", "--by", "mrivera", "--summary", "Settling in.", "--date", "2026-11-23",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "written": [{"file": "plans/P2.yaml", "action": "updated",
                     "summary": "added plan review on 2026-11-23 by mrivera"}],
        "warnings": [],
        "notes": [],
        "commit": None,
    }


# -- --commit ---------------------------------------------------------------------------

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "test@example.org", "GIT_AUTHOR_DATE": "2026-11-23T12:00:00+00:00",
           "GIT_COMMITTER_DATE": "2026-11-23T12:00:00+00:00", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


@pytest.fixture
def git_repo(repo, monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "records")
    return repo


def test_commit_makes_one_commit_of_exactly_the_files_written(git_repo):
    # An unrelated edit, staged, must stay out of the commit.
    (git_repo / "plans/P2.yaml").write_text((git_repo / "plans/P2.yaml").read_text() + "# draft\n")
    git(git_repo, "add", "plans/P2.yaml")
    result = run(git_repo, "attend", "2026-11-23", "adult-evening/process-group", "--present", "P1,P2", "--commit")
    assert result.exit_code == 0, result.output
    head = git(git_repo, "rev-parse", "HEAD").strip()
    assert result.stdout.splitlines()[-1] == f"committed {head[:8]}: attendance: adult-evening/process-group 2026-11-23"
    assert git(git_repo, "rev-list", "--count", "HEAD").strip() == "2"
    assert git(git_repo, "log", "-1", "--format=%s").strip() == "attendance: adult-evening/process-group 2026-11-23"
    assert git(git_repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "sessions/2026-11/2026-11-23-adult-evening-process-group.yaml"]
    assert git(git_repo, "diff", "--cached", "--name-only").split() == ["plans/P2.yaml"]


def test_commit_of_an_edit(git_repo):
    result = run(git_repo, "assess", "P1", "GAD-7", "7", "--date", "2026-11-23", "--commit", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["commit"] == git(git_repo, "rev-parse", "HEAD").strip()
    assert git(git_repo, "log", "-1", "--format=%s").strip() == "assessment: P1 GAD-7 2026-11-23"
    assert git(git_repo, "status", "--porcelain").strip() == ""


def test_commit_outside_a_git_repository_is_refused_before_writing(repo):
    before = snapshot(repo)
    result = run(repo, "assess", "P1", "GAD-7", "7", "--date", "2026-11-23", "--commit")
    assert result.exit_code == 2
    assert result.stderr.startswith("iopctl: --commit needs a git repository, and ")
    assert snapshot(repo) == before


# -- shell completion -------------------------------------------------------------------


def complete(args: list[str], incomplete: str) -> list[str]:
    comp = ShellComplete(cli, {}, "iopctl", "_IOPCTL_COMPLETE")
    return [c.value for c in comp.get_completions(args, incomplete)]


def test_completion_of_participant_ids_and_session_keys(repo):
    assert complete(["assess", "--records", str(repo)], "P") == ["P1", "P2", "P3"]
    assert complete(["attend", "--records", str(repo), "2026-11-23", "adult-evening/process-group", "--present"],
                    "P1,P") == ["P1,P1", "P1,P2", "P1,P3"]
    assert complete(["attend", "--records", str(repo), "2026-11-23"], "adult") == [
        "adult-evening/process-group", "adult-evening/skills-group"]
    assert complete(["new", "participant", "--records", str(repo), "P9", "--track"], "") == ["adult-evening"]
    assert complete(["review", "--records", str(repo), "P1", "--by"], "m") == ["mrivera"]
    assert complete(["update", "--records", str(repo), "P1"], "1.") == ["1.1.1"]
    assert complete(["assess", "--records", str(repo), "P1"], "ph") == ["PHQ-9"]
    assert "attend" in complete([], "at")


def test_completion_outside_a_records_repository_offers_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IOPCTL_RECORDS", raising=False)
    assert complete(["assess"], "P") == []
