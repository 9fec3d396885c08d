"""`iopctl export --deidentify`: HIPAA Safe Harbor output, keyed pseudonyms, the 2.32 notice, safe writes."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from iopctl.cli import cli
from iopctl.export import DISCLOSURE_NOTICE, ExportError, read_key, safe_age

SAMPLE = Path(__file__).parent.parent / "sample_records"
KEY = "k" * 32
AS_OF = "2026-11-23"

PROGRAM = """\
schema_version: 1
program: {id: testiop, name: Test IOP, timezone: America/Chicago, phone: "+1 555 0100", address: 1 Main St}
staff:
  - {id: mrivera, name: Maria Rivera, role: counselor}
tracks:
  - id: adult
    name: Adult IOP
    population: adult
    level_of_care: "2.1"
    weeks: 10
    sessions:
      - {id: group, title: Group, kind: group, days: [mon, wed, thu], start: "18:00", minutes: 180}
"""

# Alex is 96 at admission (90+); Bea turns 36 the day after admission, so 35.
PARTICIPANTS = {
    "P0001": """\
schema_version: 1
id: P0001
preferred_name: Alex
date_of_birth: 1930-05-01
status: active
admitted: 2026-11-02
track: adult
diagnoses: [{code: F10.20, description: Alcohol use disorder}]
supports:
  - {id: sam, name: Samantha, relationship: daughter, phone: "+1 555 0177"}
""",
    "P0002": """\
schema_version: 1
id: P0002
preferred_name: Bea
date_of_birth: 1990-11-03
status: active
admitted: 2026-11-02
track: adult
""",
}

PLAN = """\
schema_version: 1
participant: {pid}
start: 2026-11-02
signed: {{participant: 2026-11-02, staff: [{{id: mrivera, date: 2026-11-02}}]}}
problems:
  - id: "1"
    statement: Drinks daily
    goals:
      - id: "1.1"
        statement: Stay sober
        objectives:
{objectives}
        interventions:
          - {{modality: CBT, description: Groups, frequency: 3 times a week}}
"""
OBJECTIVE = """\
          - {{id: "{oid}", statement: Do it, measure: log, target_date: 2026-12-15}}
"""

PROGRESS_P0001 = """\
schema_version: 1
participant: P0001
assessments:
  - {date: 2026-11-02, instrument: PHQ-9, score: 14}
  - {date: 2026-11-16, instrument: PHQ-9, score: 8}
  - {date: 2026-11-30, instrument: PHQ-9, score: 2, note: after the export date}
objective_updates:
  - {date: 2026-11-09, objective: "1.1.1", status: in-progress, note: Talked to Samantha}
  - {date: 2026-11-16, objective: "1.1.1", status: met}
  - {date: 2026-11-16, objective: "1.1.2", status: in-progress}
screens:
  - {date: 2026-11-02, kind: urine-drug-screen, result: positive}
  - {date: 2026-11-09, kind: urine-drug-screen, result: negative}
milestones:
  - {date: 2026-11-20, title: Three weeks sober}
"""

SESSIONS = {
    "2026-11-02-adult-group.yaml": """\
schema_version: 1
date: 2026-11-02
session: adult/group
status: held
attendance: {P0001: present, P0002: {status: late, minutes: 150}}
""",
    "2026-11-04-adult-group.yaml": """\
schema_version: 1
date: 2026-11-04
session: adult/group
status: held
minutes: 120
attendance: {P0001: absent, P0002: present}
""",
    "2026-11-05-adult-group.yaml": """\
schema_version: 1
date: 2026-11-05
session: adult/group
status: cancelled
""",
}


def write_repo(root: Path) -> Path:
    files = {"program.yaml": PROGRAM, "progress/P0001.yaml": PROGRESS_P0001}
    for pid, text in PARTICIPANTS.items():
        files[f"participants/{pid}.yaml"] = text
    objectives = {"P0001": ["1.1.1", "1.1.2"], "P0002": ["1.1.1"]}
    for pid, oids in objectives.items():
        files[f"plans/{pid}.yaml"] = PLAN.format(pid=pid, objectives="".join(OBJECTIVE.format(oid=o) for o in oids))
    for name, text in SESSIONS.items():
        files[f"sessions/2026-11/{name}"] = text
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def pseudo(pid: str, program: str = "testiop", key: str = KEY) -> str:
    return hmac.new(key.encode(), f"{program}/{pid}".encode(), hashlib.sha256).hexdigest()


def run(*args, env=None):
    result = CliRunner().invoke(cli, ["export", *args], env={"IOPCTL_EXPORT_KEY": KEY, **(env or {})})
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def repo(tmp_path):
    return write_repo(tmp_path / "records")


def test_json_export_of_a_small_caseload(repo):
    result = run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["notice"] == DISCLOSURE_NOTICE
    assert data["as_of_year"] == 2026
    rows = {r["participant"]: r for r in data["participants"]}
    assert list(rows) == sorted([pseudo("P0001"), pseudo("P0002")])  # sorted by pseudonym, not by id
    alex = rows[pseudo("P0001")]
    assert alex == {
        "participant": pseudo("P0001"),
        "track": "adult",
        "level_of_care": "2.1",
        "population": "adult",
        "status": "active",
        "discharge_reason": None,
        "age_at_admission": "90+",
        "admitted_year": 2026,
        "discharged_year": None,
        "plan_weeks": 10,
        # The plan's Mon/Wed/Thu sessions from 11-02 to --as-of 11-23: ten, 11-05 cancelled, so 9 planned.
        # 11-02 present (180 min), 11-04 absent; the other 7 have no session file.
        # Planned hours: 8 x 180 min + 120 (11-04 ran 120 minutes) = 26 h.
        "attendance": {"planned": 9, "recorded": 2, "attended": 1, "excused": 0, "absent": 1, "unrecorded": 7,
                       "cancelled": 1, "rate": 0.1111, "hours_planned": 26.0, "hours_attended": 3.0},
        "objectives": {"total": 2, "met": 1, "partially_met": 0, "in_progress": 1, "not_started": 0,
                       "not_met": 0, "revised": 0, "discontinued": 0, "overdue": 0},
        "screens": {"total": 2, "positive": 1},
        "milestones": 1,
        # positive screen; week 3 (11-16 to 11-22) attended 0 of the 9 h floor; sessions with no file
        "flags": ["screen", "hours", "unrecorded"],
        # the 11-30 score is after --as-of
        "instruments": {"PHQ-9": {"count": 2, "baseline": 14, "baseline_year": 2026, "latest": 8,
                                  "latest_year": 2026, "change": -6}},
    }
    bea = rows[pseudo("P0002")]
    assert bea["age_at_admission"] == 35
    # late for 150 of 180 minutes, then present for the 120 the session ran
    assert bea["attendance"] == {"planned": 9, "recorded": 2, "attended": 2, "excused": 0, "absent": 0,
                                 "unrecorded": 7, "cancelled": 1, "rate": 0.2222, "hours_planned": 26.0,
                                 "hours_attended": 4.5}
    assert bea["flags"] == ["hours", "unrecorded"]
    assert bea["objectives"]["not_started"] == 1 and bea["instruments"] == {}
    assert bea["screens"] == {"total": 0, "positive": 0} and bea["milestones"] == 0


def test_csv_export_starts_with_the_notice_and_matches_the_json(repo):
    result = run("--deidentify", "--records", str(repo), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    first, rest = result.stdout.split("\n", 1)
    assert first == f"# {DISCLOSURE_NOTICE}"
    rows = {r["participant"]: r for r in csv.DictReader(io.StringIO(rest))}
    alex = rows[pseudo("P0001")]
    assert alex["age_at_admission"] == "90+"
    assert (alex["sessions_planned"], alex["sessions_attended"], alex["sessions_absent"]) == ("9", "1", "1")
    assert (alex["attendance_rate"], alex["attendance_hours_attended"]) == ("0.1111", "3.0")
    assert alex["flags"] == "screen;hours;unrecorded"
    assert (alex["phq9_count"], alex["phq9_baseline"], alex["phq9_latest"], alex["phq9_change"]) == ("2", "14", "8", "-6")
    assert (alex["gad7_count"], alex["gad7_baseline"]) == ("0", "")
    assert (alex["objectives_total"], alex["objectives_met"]) == ("2", "1")
    assert rows[pseudo("P0002")]["attendance_hours_attended"] == "4.5"


def test_no_identifier_of_the_small_caseload_leaves(repo):
    for fmt in ("csv", "json"):
        text = run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "--format", fmt).stdout
        for word in ("Alex", "Bea", "Samantha", "Maria", "Rivera", "mrivera", "555", "Main St", "F10",
                     "P0001", "P0002", "1930", "Talked", "sober", "Drinks", "Test IOP", "testiop"):
            assert word not in text, (fmt, word)
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text), fmt


@pytest.mark.parametrize("born, day, expected", [
    ("1936-11-23", "2026-11-22", 89),  # 90 tomorrow
    ("1936-11-23", "2026-11-23", "90+"),
    ("1920-01-01", "2026-11-23", "90+"),
    ("2010-02-28", "2026-02-27", 15),
])
def test_ages_over_89_are_one_category(born, day, expected):
    import datetime as dt

    assert safe_age(dt.date.fromisoformat(born), dt.date.fromisoformat(day)) == expected


def test_pseudonyms_depend_on_the_key(repo):
    one = json.loads(run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "--format", "json").stdout)
    other_key = "z" * 32
    two = json.loads(run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "--format", "json",
                         env={"IOPCTL_EXPORT_KEY": other_key}).stdout)
    assert {r["participant"] for r in one["participants"]} == {pseudo("P0001"), pseudo("P0002")}
    assert {r["participant"] for r in two["participants"]} == {pseudo("P0001", key=other_key),
                                                              pseudo("P0002", key=other_key)}


def test_key_file_wins_over_the_environment_and_its_newline_is_ignored(repo, tmp_path):
    key_file = tmp_path / "export.key"
    key_file.write_text("f" * 40 + "\n")
    data = json.loads(run("--deidentify", "--key-file", str(key_file), "--records", str(repo), "--as-of", AS_OF,
                          "--format", "json").stdout)
    assert pseudo("P0001", key="f" * 40) in {r["participant"] for r in data["participants"]}


@pytest.mark.parametrize("args, env, message", [
    ([], {"IOPCTL_EXPORT_KEY": ""}, "iopctl: no export key: pass --key-file FILE or set $IOPCTL_EXPORT_KEY"),
    ([], {"IOPCTL_EXPORT_KEY": "short"}, "iopctl: $IOPCTL_EXPORT_KEY holds 5 bytes; an export key needs at least 16"),
    (["--key-file", "/nonexistent/export.key"], {}, "iopctl: cannot read the key file /nonexistent/export.key"),
])
def test_refuses_without_a_usable_key(repo, args, env, message):
    result = run("--deidentify", *args, "--records", str(repo), "--as-of", AS_OF, env=env)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)


def test_refuses_without_deidentify(repo):
    result = run("--records", str(repo), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.stderr == "iopctl: only de-identified exports are available: pass --deidentify\n"


def test_writes_both_files_and_refuses_to_clobber(repo, tmp_path):
    out = tmp_path / "out" / "export"
    result = run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["progress.csv", "progress.json"]  # no temp files left
    assert (out / "progress.csv").read_text().startswith(f"# {DISCLOSURE_NOTICE}\n")
    assert json.loads((out / "progress.json").read_text())["notice"] == DISCLOSURE_NOTICE

    (out / "progress.json").write_text("old")
    again = run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "-o", str(out))
    assert again.exit_code == 2
    assert again.stderr == f"iopctl: {out / 'progress.csv'} already exists; pass --force to replace it\n"
    assert (out / "progress.json").read_text() == "old"

    forced = run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "-o", str(out), "--force")
    assert forced.exit_code == 0
    assert json.loads((out / "progress.json").read_text())["as_of_year"] == 2026


def test_output_is_deterministic(repo, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "-o", str(out)).exit_code == 0
    for name in ("progress.csv", "progress.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_refuses_invalid_records_and_writes_nothing(repo, tmp_path):
    (repo / "participants/P0002.yaml").write_text(PARTICIPANTS["P0002"].replace("status: active", "status: gone"))
    out = tmp_path / "out"
    result = run("--deidentify", "--records", str(repo), "--as-of", AS_OF, "-o", str(out))
    assert result.exit_code == 1
    assert "iopctl: cannot export: the records have 1 error(s)" in result.stderr
    assert "participants/P0002.yaml:5:9: IOP002" in result.stderr
    assert not out.exists()


def test_read_key_rejects_an_empty_key_file(tmp_path):
    (tmp_path / "k").write_bytes(b"\n")
    with pytest.raises(ExportError, match="holds 0 bytes"):
        read_key(tmp_path / "k", environ={})


# -- the sample program: no identifier of sample_records in the export ------


def _identifiers(root: Path) -> set[str]:
    """Every name, phone, address, date, diagnosis code, support and id written in the sample records."""
    found: set[str] = set()

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif node is not None and key in ("name", "preferred_name", "phone", "text", "address", "with",
                                          "prescriber", "provider", "code", "description", "id", "participant"):
            found.add(str(node))

    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text))  # every full date, birth dates included
        data = yaml.safe_load(text)
        if path.parent.name == "participants":
            walk(data)  # names, supports, diagnoses, safety-plan contacts
        elif path.name == "program.yaml":
            walk(data.get("program"))
            walk(data.get("staff"))
            walk(data.get("resources"))
        elif path.parent.name == "plans":
            walk((data.get("aftercare") or {}).get("follow_ups"))
            walk((data.get("aftercare") or {}).get("step_down"))
    return found


def _kept_words(root: Path) -> set[str]:
    """Ids that are not identifiers and that the export keeps: tracks (and the program's crisis line 988)."""
    program = yaml.safe_load((root / "program.yaml").read_text(encoding="utf-8"))
    return {t["id"] for t in program["tracks"]} | {"988"}


def test_sample_export_holds_no_identifier(tmp_path):
    out = tmp_path / "export"
    result = run("--deidentify", "--records", str(SAMPLE), "--as-of", AS_OF, "-o", str(out))
    assert result.exit_code == 0, result.output
    identifiers = _identifiers(SAMPLE) - _kept_words(SAMPLE)
    # the harvest really found the kinds of identifier the check is about
    for expected in ("Dale", "Carla", "+1 555 0160", "1979-06-03", "F10.20", "P0001", "Maria Rivera",
                     "12 River St, Springfield"):
        assert expected in identifiers
    participants = json.loads((out / "progress.json").read_text())["participants"]
    assert len(participants) == len(list((SAMPLE / "participants").glob("*.yaml")))
    for name in ("progress.csv", "progress.json"):
        text = (out / name).read_text(encoding="utf-8")
        leaks = sorted(i for i in identifiers if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))
        assert leaks == [], name
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
        assert not re.search(r"555[ -]01", text)
