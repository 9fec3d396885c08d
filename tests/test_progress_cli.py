"""`iopctl progress` on the command line: exact output, formats, refusals, exit codes.

The repository is the one of test_progress.py (its docstring explains every number).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from iopctl.cli import cli
from test_progress import write_progress_repo

SAMPLE = Path(__file__).resolve().parent.parent / "sample_records"


def run(*args: str):
    return CliRunner().invoke(cli, ["progress", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> str:
    return str(write_progress_repo(tmp_path_factory.mktemp("cli")))


CASELOAD_TABLE = """\
Caseload as of 2026-11-23
(hours: attended so far / scheduled in the current plan week)

id     status   week  rate  hours  PHQ-9    GAD-7   obj  flags
-----  -------  ----  ----  -----  -------  ------  ---  -----
P0002  active   4/4   88%   0/9    16 (+6)  -       0/1  4
P0001  active   4/4   38%   0/9    9 (-9)   8 (-4)  1/4  6
P0003  on-hold  4/4   0%    0/9    -        -       0/1  2

Needs attention
  P0002: PHQ-9 item 9 was 1 on 2026-11-02; PHQ-9 up 6 since baseline; plan
    review overdue (due 2026-11-16); aftercare missing follow-up, resources,
    relapse prevention, safety plan (discharge 2026-11-30)
  P0001: absent 2 sessions in a row; 1 objective overdue (1.1.1); 1 positive
    screen (latest 2026-11-17); aftercare missing follow-up, resources, relapse
    prevention (discharge 2026-11-30); week 3: 0 h attended, under the 9 h
    floor; 1 planned session unrecorded
  P0003: aftercare missing follow-up, resources, relapse prevention, safety
    plan (discharge 2026-11-30); 5 planned sessions unrecorded

Program: 3 participants (2 active, 1 on hold); attendance 42% (10 of 24 planned
  sessions, 9 unrecorded); 0 h attended this week; objectives 1 of 6 met, 1
  overdue; 1 plan review overdue; 3 flagged
"""

P0001_TABLE = """\
P0001 (Alex) · active · adult (level 2.1) · plan week 4 of 4
as of 2026-11-23

Attendance
  planned 8, recorded 6, attended 3, excused 1, absent 2
  unrecorded 2, cancelled 1, outside the plan 0
  rate 38%, absences in a row 2 (alert)

Hours: attended 8 of 24 planned (floor 9 h a week)
  week  start       planned  attended  scheduled  note
  ----  ----------  -------  --------  ---------  -------------------------
  1     2026-11-02  9        5         9          under floor
  2     2026-11-09  3        3         3          under floor; 1 closed day
  3     2026-11-16  9        0         9          under floor
  4     2026-11-23  3        0         9          so far

Instruments
  instrument  first  latest  change  band           resp  remit  meaningful
  ----------  -----  ------  ------  -------------  ----  -----  ----------
  PHQ-9       18     9       -9      mild           yes   no     yes
  GAD-7       12     8       -4      mild           -     -      yes
  AUDIT       20     20      0       zone IV        -     -      -
  PCL-5       40     31      -9      probable PTSD  -     -      no

Objectives
  id     status       target      overdue  objective
  -----  -----------  ----------  -------  ---------------
  1.1.1  in-progress  2026-11-20  OVERDUE  Objective 1.1.1
  1.1.2  met          2026-11-13           Objective 1.1.2
  1.1.3  not-started  2026-11-23           Objective 1.1.3
  1.1.4  not-started  2026-12-01           Objective 1.1.4

Due
  plan review due 2026-11-30 (last review 2026-11-16)
  discharge target 2026-11-30 (from the plan)
  aftercare not ready: missing follow-up, resources, relapse prevention

Milestones: 1 (latest 2026-11-10 First week done)
Screens: 2, 1 positive (2026-11-17 urine-drug-screen)

Flags
  - absent 2 sessions in a row
  - 1 objective overdue (1.1.1)
  - 1 positive screen (latest 2026-11-17)
  - aftercare missing follow-up, resources, relapse prevention (discharge
    2026-11-30)
  - week 3: 0 h attended, under the 9 h floor
  - 1 planned session unrecorded
"""


def test_caseload_table(root):
    r = run("--records", root, "--as-of", "2026-11-23")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == CASELOAD_TABLE


def test_participant_table(root):
    r = run("P0001", "--records", root, "--as-of", "2026-11-23")
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == P0001_TABLE


def test_tables_fit_80_columns(root):
    for args in ([], ["P0001"], ["P0002"], ["P0003"]):
        out = run(*args, "--records", root, "--as-of", "2026-11-23").stdout
        assert max(len(line) for line in out.splitlines()) < 80


def test_participant_json(root):
    r = run("P0001", "--records", root, "--as-of", "2026-11-23", "--format", "json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["participant"] == "P0001" and d["as_of"] == "2026-11-23"
    assert d["attendance"] == {"planned": 8, "recorded": 6, "attended": 3, "excused": 1, "absent": 2,
                               "unrecorded": 2, "cancelled": 1, "outside_plan": 0, "rate": 0.375,
                               "consecutive_absences": 2, "alert": True}
    assert d["hours"] == {"planned": 24, "attended": 8, "planned_minutes": 1440, "attended_minutes": 480, "floor": 9}
    assert [(w["week"], w["start"], w["planned_hours"], w["attended_hours"], w["under_floor"]) for w in d["weeks"]] \
        == [(1, "2026-11-02", 9, 5, True), (2, "2026-11-09", 3, 3, True), (3, "2026-11-16", 9, 0, True),
            (4, "2026-11-23", 3, 0, None)]
    phq = d["instruments"]["PHQ-9"]
    assert {k: phq[k] for k in ("baseline", "latest", "change", "band", "response", "remission",
                                "meaningful_change")} == {
        "baseline": 18, "latest": 9, "change": -9, "band": "mild", "response": True, "remission": False,
        "meaningful_change": True}
    gad = d["instruments"]["GAD-7"]
    assert (gad["change"], gad["meaningful_change"], gad["response"], gad["remission"]) == (-4, True, None, None)
    assert d["instruments"]["AUDIT"]["meaningful_change"] is None
    assert [(o["id"], o["status"], o["target_date"], o["overdue"]) for o in d["objectives"]][0] == \
        ("1.1.1", "in-progress", "2026-11-20", True)
    assert d["plan_review_due"] == "2026-11-30"
    assert d["due"]["discharge_target"] == "2026-11-30"
    assert d["due"]["aftercare"]["missing"] == ["follow-up", "resources", "relapse prevention"]
    assert d["screens"] == {"count": 2, "positive": 1, "positives": [{"date": "2026-11-17",
                                                                       "kind": "urine-drug-screen"}]}
    assert d["flags"][0] == "absent 2 sessions in a row"
    assert "cocaine" not in r.stdout and "date_of_birth" not in r.stdout and "1988" not in r.stdout


def test_participant_json_types_and_keys(root):
    d = json.loads(run("P0002", "--records", root, "--as-of", "2026-11-23", "--format", "json").stdout)
    for key in ("participant", "as_of", "attendance", "hours", "weeks", "instruments", "objectives", "flags",
                "plan_review_due"):
        assert key in d
    assert isinstance(d["attendance"]["rate"], float) and isinstance(d["weeks"][0]["planned_hours"], float)
    assert d["instruments"]["PHQ-9"]["safety_flag"] is True
    assert d["instruments"]["PHQ-9"]["item9_positive"] == [{"date": "2026-11-02", "item9": 1}]
    assert d["due"]["plan_review"] == {"last_review": None, "due": "2026-11-16", "overdue": True}


def test_caseload_json(root):
    d = json.loads(run("--records", root, "--as-of", "2026-11-23", "--format", "json").stdout)
    assert d["as_of"] == "2026-11-23"
    assert [p["participant"] for p in d["participants"]] == ["P0002", "P0001", "P0003"]
    assert d["participants"][1]["gad7"] == {"latest": 8, "change": -4, "date": "2026-11-20"}
    assert d["totals"]["rate"] == 0.4167 and d["totals"]["planned"] == 24


def test_caseload_csv(root):
    rows = list(csv.DictReader(io.StringIO(run("--records", root, "--as-of", "2026-11-23", "--format",
                                               "csv").stdout)))
    assert [r["participant"] for r in rows] == ["P0002", "P0001", "P0003"]
    assert (rows[1]["rate"], rows[1]["phq9"], rows[1]["phq9_change"], rows[1]["gad7_change"]) == \
        ("0.375", "9", "-9", "-4")
    assert rows[2]["phq9"] == "" and rows[2]["status"] == "on-hold"


def test_participant_csv_is_long_form(root):
    out = run("P0001", "--records", root, "--as-of", "2026-11-23", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["section", "item", "field", "value"]
    assert ["attendance", "", "rate", "0.375"] in rows
    assert ["week", "1", "attended_minutes", "300"] in rows
    assert ["instrument", "GAD-7", "meaningful_change", "true"] in rows
    assert ["instrument", "GAD-7", "response", ""] in rows
    assert ["objective", "1.1.1", "overdue", "true"] in rows
    assert ["due", "plan_review", "due", "2026-11-30"] in rows


def test_markdown(root):
    out = run("P0001", "--records", root, "--as-of", "2026-11-23", "--format", "md").stdout
    assert out.startswith("# Progress: P0001 (Alex) · active")
    assert "| 8 | 6 | 3 | 1 | 2 | 2 | 1 | 38% | 2 |" in out
    assert "| 1.1.1 | Objective 1.1.1 | in-progress | 2026-11-20 | **overdue** |" in out
    caseload = run("--records", root, "--as-of", "2026-11-23", "--format", "md").stdout
    assert "| P0001 | active | 4/4 | 38% | 0/9 | 9 (-9) | 8 (-4) | 1/4 | absent 2 sessions in a row;" in caseload


def test_output_is_deterministic_and_written_atomically(root, tmp_path):
    for fmt in ("table", "json", "csv", "md", "html"):
        first = run("P0001", "--records", root, "--as-of", "2026-11-23", "--format", fmt).stdout
        assert run("P0001", "--records", root, "--as-of", "2026-11-23", "--format", fmt).stdout == first
    target = tmp_path / "report.html"
    r = run("P0001", "--records", root, "--as-of", "2026-11-23", "--format", "html", "-o", str(target))
    assert (r.exit_code, r.stdout) == (0, "")
    assert target.read_text(encoding="utf-8") == first  # html was the last format above
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


def test_as_of_moves_the_counts(root):
    d = json.loads(run("P0001", "--records", root, "--as-of", "2026-11-05", "--format", "json").stdout)
    assert (d["attendance"]["planned"], d["attendance"]["attended"], d["attendance"]["excused"]) == (3, 2, 1)
    assert list(d["instruments"]["PHQ-9"]["series"]) == [{"date": "2026-11-02", "score": 18}]


def test_unknown_participant_is_a_usage_error(root):
    r = run("P9999", "--records", root, "--as-of", "2026-11-23")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "no participant `P9999`" in r.stderr and "participants/P9999.yaml" in r.stderr


def test_bad_as_of(root):
    r = run("--records", root, "--as-of", "2026-13-01")
    assert r.exit_code == 2 and "not a date" in r.stderr


def _broken_score(docs):
    docs["progress/P0001.yaml"]["assessments"][0]["score"] = 30  # PHQ-9 runs 0-27


def test_invalid_records_are_refused_naming_the_findings(tmp_path):
    root = str(write_progress_repo(tmp_path, _broken_score))
    r = run("P0001", "--records", root, "--as-of", "2026-11-23")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith("iopctl: cannot summarise the progress of P0001: the records have 2 error(s)")
    assert "progress/P0001.yaml:" in r.stderr and "IOP030 error: score 30 is above the PHQ-9 maximum" in r.stderr
    assert "Traceback" not in r.stderr
    # Another participant's summary does not rest on the broken file; the caseload does.
    assert run("P0002", "--records", root, "--as-of", "2026-11-23").exit_code == 0
    caseload = run("--records", root, "--as-of", "2026-11-23")
    assert caseload.exit_code == 1 and "cannot summarise the caseload" in caseload.stderr


def test_a_broken_session_file_naming_the_participant_is_refused(tmp_path):
    def change(docs):
        docs["sessions/2026-11/2026-11-18-adult-group.yaml"]["attendance"]["P0001"] = "gone"

    root = str(write_progress_repo(tmp_path, change))
    r = run("P0001", "--records", root, "--as-of", "2026-11-23")
    assert r.exit_code == 1 and "sessions/2026-11/2026-11-18-adult-group.yaml:" in r.stderr
    assert run("P0003", "--records", root, "--as-of", "2026-11-23").exit_code == 1  # the same file lists P0003


def test_missing_records_folder(tmp_path):
    r = run("--records", str(tmp_path / "nowhere"), "--as-of", "2026-11-23")
    assert r.exit_code == 2


def test_sample_records_caseload_and_one_participant():
    if not (SAMPLE / "program.yaml").exists():
        pytest.skip("no sample_records")
    r = run("--records", str(SAMPLE), "--as-of", "2026-11-23", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["participants"] and all(p["status"] in ("active", "on-hold") for p in d["participants"])
    table = run("--records", str(SAMPLE), "--as-of", "2026-11-23")
    assert max(len(line) for line in table.stdout.splitlines()) < 80
    pid = d["participants"][0]["participant"]
    one = run(pid, "--records", str(SAMPLE), "--as-of", "2026-11-23")
    assert one.exit_code == 0 and one.stdout.startswith(pid)
    assert max(len(line) for line in one.stdout.splitlines()) < 80
