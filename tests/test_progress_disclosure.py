"""`iopctl progress --for-disclosure`: the 42 CFR 2.32 notice on top of every format, and only the numbers.

The small repository is the one of test_progress.py (its docstring explains every
number); the leak tests run every format on sample_records and look for every
name, free text, diagnosis code and date of birth written in its files.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from click.testing import CliRunner

from iopctl.cli import cli
from iopctl.export import DISCLOSURE_NOTICE
from test_privacy import all_forbidden
from test_progress import write_progress_repo

SAMPLE = Path(__file__).resolve().parent.parent / "sample_records"
FORMATS = ("table", "md", "csv", "json", "html")
AS_OF = "2026-11-23"


def run(*args: str):
    return CliRunner().invoke(cli, ["progress", *args, "--as-of", AS_OF], catch_exceptions=False,
                              env={"NO_COLOR": "1"})


def disclose(root: str, *args: str) -> str:
    result = run(*args, "--records", root, "--for-disclosure")
    assert (result.exit_code, result.stderr) == (0, ""), result.output
    return result.stdout


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> str:
    return str(write_progress_repo(tmp_path_factory.mktemp("disclosure")))


def test_the_notice_is_the_one_export_prints():
    assert DISCLOSURE_NOTICE == "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


# -- exact output on the small repository -------------------------------------------

P0001_TABLE = f"""\
{DISCLOSURE_NOTICE}

P0001 · active · adult (level 2.1) · plan week 4 of 4
as of 2026-11-23 · prepared for disclosure: minimum necessary

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

Objectives: 4 (1 met, 1 in-progress, 2 not-started), 1 overdue

Due
  plan review due 2026-11-30 (last review 2026-11-16)
  discharge target 2026-11-30 (from the plan)

Milestones: 1
Screens: 2, 1 positive (2026-11-17)
"""

CASELOAD_TABLE = f"""\
{DISCLOSURE_NOTICE}

Caseload as of 2026-11-23 · prepared for disclosure: minimum necessary
(hours: attended so far / scheduled in the current plan week)

id     status   week  rate  hours  PHQ-9    GAD-7   obj
-----  -------  ----  ----  -----  -------  ------  ---
P0001  active   4/4   38%   0/9    9 (-9)   8 (-4)  1/4
P0002  active   4/4   88%   0/9    16 (+6)  -       0/1
P0003  on-hold  4/4   0%    0/9    -        -       0/1

Program: 3 participants (2 active, 1 on hold); attendance 42% (10 of 24 planned
  sessions, 9 unrecorded); 0 h attended this week; objectives 1 of 6 met, 1
  overdue; 1 plan review overdue
"""

CASELOAD_CSV = f"""\
# {DISCLOSURE_NOTICE}
participant,status,week,weeks,rate,planned,attended,hours_this_week,scheduled_this_week,phq9,phq9_change,gad7,\
gad7_change,objectives_met,objectives,plan_review_due
P0001,active,4,4,0.375,8,3,0.0,9.0,9,-9,8,-4,1,4,2026-11-30
P0002,active,4,4,0.875,8,7,0.0,9.0,16,6,,,0,1,2026-11-16
P0003,on-hold,4,4,0.0,8,0,0.0,9.0,,,,,0,1,2026-11-24
"""


def test_participant_table(root):
    assert disclose(root, "P0001") == P0001_TABLE


def test_caseload_table_is_in_id_order_without_flags(root):
    assert disclose(root) == CASELOAD_TABLE


def test_caseload_csv(root):
    assert disclose(root, "--format", "csv") == CASELOAD_CSV


def test_participant_json(root):
    d = json.loads(disclose(root, "P0001", "--format", "json"))
    assert list(d) == ["notice", "participant", "status", "as_of", "track", "level_of_care", "plan", "attendance",
                       "hours", "weeks", "sessions", "instruments", "objectives", "due", "milestones", "screens"]
    assert d["notice"] == DISCLOSURE_NOTICE
    assert (d["participant"], d["status"], d["as_of"], d["track"], d["level_of_care"]) == \
        ("P0001", "active", "2026-11-23", "adult", "2.1")
    assert d["plan"] == {"start": "2026-11-02", "weeks": 4, "current_week": 4}
    assert d["attendance"] == {"planned": 8, "recorded": 6, "attended": 3, "excused": 1, "absent": 2,
                               "unrecorded": 2, "cancelled": 1, "outside_plan": 0, "rate": 0.375,
                               "consecutive_absences": 2, "alert": True}
    assert d["hours"] == {"planned": 24, "attended": 8, "planned_minutes": 1440, "attended_minutes": 480, "floor": 9}
    # week 2: Mon 11-09 cancelled, Wed 11-11 closed (a closure counted, its reason not printed), Thu 11-12 present
    assert d["weeks"][1] == {"week": 2, "start": "2026-11-09", "end": "2026-11-15", "planned_hours": 3.0,
                             "attended_hours": 3.0, "scheduled_hours": 3.0, "planned_minutes": 180,
                             "attended_minutes": 180, "sessions_planned": 1, "sessions_attended": 1,
                             "complete": True, "partial": False, "under_floor": True, "closed_days": 1}
    assert d["sessions"][:2] == [
        {"date": "2026-11-02", "week": 1, "status": "present", "minutes": 180, "attended_minutes": 180},
        {"date": "2026-11-04", "week": 1, "status": "late", "minutes": 180, "attended_minutes": 120}]
    assert d["instruments"]["PHQ-9"] == {
        "baseline": 18, "baseline_date": "2026-11-02", "latest": 9, "latest_date": "2026-11-20", "change": -9,
        "band": "mild", "response": True, "remission": False, "meaningful_change": True, "meaningful_drop": 5,
        "count": 3, "series": [{"date": "2026-11-02", "score": 18}, {"date": "2026-11-16", "score": 12},
                               {"date": "2026-11-20", "score": 9}]}
    # 1.1.1 in progress and past its target; 1.1.2 met; 1.1.3 and 1.1.4 not started (1.1.4 met after as-of)
    assert d["objectives"] == {"total": 4, "overdue": 1, "by_status": {
        "met": 1, "partially-met": 0, "in-progress": 1, "not-started": 2, "not-met": 0, "revised": 0,
        "discontinued": 0}}
    assert d["due"] == {"plan_review": {"last_review": "2026-11-16", "due": "2026-11-30", "overdue": False},
                        "discharge_target": "2026-11-30", "discharge_target_from": "plan"}
    assert d["milestones"] == {"count": 1}
    assert d["screens"] == {"count": 2, "positive": 1, "positive_dates": ["2026-11-17"]}


def test_participant_csv_is_long_form_under_the_notice(root):
    lines = disclose(root, "P0001", "--format", "csv").splitlines()
    assert lines[0] == f"# {DISCLOSURE_NOTICE}"
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    assert rows[0] == ["section", "item", "field", "value"]
    assert rows[1] == ["participant", "", "participant", "P0001"]
    assert ["attendance", "", "rate", "0.375"] in rows
    assert ["week", "2", "closed_days", "1"] in rows
    assert ["objectives", "", "overdue", "1"] in rows
    assert ["objectives", "by_status", "not-started", "2"] in rows
    assert ["screens", "", "positive", "1"] in rows
    assert not [r for r in rows if r[0] in ("objective", "flag") or r[2] in ("statement", "title", "kind")]


def test_markdown(root):
    out = disclose(root, "P0001", "--format", "md")
    assert out.startswith(f"> {DISCLOSURE_NOTICE}\n\n# Progress: P0001 · active · adult (level 2.1) · plan week 4 "
                          "of 4\n\nAs of 2026-11-23; prepared for disclosure: minimum necessary.\n")
    assert "| 8 | 6 | 3 | 1 | 2 | 2 | 1 | 38% | 2 |" in out
    assert ("| total | met | partially-met | in-progress | not-started | not-met | revised | discontinued | overdue |\n"
            "|---|---|---|---|---|---|---|---|---|\n| 4 | 1 | 0 | 1 | 2 | 0 | 0 | 0 | 1 |") in out
    assert out.endswith("## Milestones and screens\n\n- milestones: 1\n- screens: 2, 1 positive (2026-11-17)\n")


def test_html_drops_the_phq9_item_answers(root):
    """P0002's first PHQ-9 has item 9 at 1: the care team's report rings it and says so; the disclosure does not."""
    care = run("P0002", "--records", root, "--format", "html").stdout
    assert 'class="point safety"' in care and "item 9" in care and "Blair" in care  # the control
    out = disclose(root, "P0002", "--format", "html")
    assert "safety" not in out and "item 9" not in out and "Blair" not in out
    assert "Needs attention" not in out and "aftercare" not in out
    assert out.count('<circle class="point"') == 2  # both PHQ-9 scores are still drawn
    assert "<title>Progress: P0002 as of 2026-11-23 (for disclosure)</title>" in out


def test_tables_fit_80_columns(root):
    for args in ([], ["P0001"], ["P0002"], ["P0003"]):
        assert max(len(line) for line in disclose(root, *args).splitlines()) < 80


def test_written_to_a_file(root, tmp_path):
    target = tmp_path / "P0001.csv"
    result = run("P0001", "--records", root, "--for-disclosure", "--format", "csv", "-o", str(target))
    assert (result.exit_code, result.stdout) == (0, "")
    assert target.read_text(encoding="utf-8") == disclose(root, "P0001", "--format", "csv")
    assert [p.name for p in tmp_path.iterdir()] == ["P0001.csv"]


# -- the notice on top of every format --------------------------------------------


def notice_on_top(fmt: str, text: str) -> bool:
    if fmt == "table":
        return text.startswith(f"{DISCLOSURE_NOTICE}\n\n")
    if fmt == "md":
        return text.startswith(f"> {DISCLOSURE_NOTICE}\n\n")
    if fmt == "csv":
        return text.startswith(f"# {DISCLOSURE_NOTICE}\n")
    if fmt == "json":
        return list(json.loads(text).items())[0] == ("notice", DISCLOSURE_NOTICE)
    return f'<body>\n<p class="notice"><strong>{html.escape(DISCLOSURE_NOTICE)}</strong></p>\n' in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_starts_with_the_notice(root, fmt):
    for args in ([], ["P0001"], ["P0003"]):
        assert notice_on_top(fmt, disclose(root, *args, "--format", fmt)), (args, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_care_team_report_has_no_notice_and_keeps_the_names(root, fmt):
    result = run("P0001", "--records", root, "--format", fmt)
    assert result.exit_code == 0
    assert DISCLOSURE_NOTICE not in result.stdout and not notice_on_top(fmt, result.stdout)
    if fmt != "csv":  # the care team's long-form CSV has no name column
        assert "Alex" in result.stdout


# -- nothing but the numbers, on sample_records -------------------------------------


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _only_scores(text: str) -> bool:
    return all(re.fullmatch(r"[-+]?\d+(\.\d+)?|[A-Z]+-\d+", w) for w in text.split())


def sample_words() -> dict[str, set[str]]:
    """What no disclosure may print, by kind, read from the sample's own files."""
    participants = [_load(p) for p in sorted((SAMPLE / "participants").glob("*.yaml"))]
    progress = [_load(p) for p in sorted((SAMPLE / "progress").glob("*.yaml"))]
    program = _load(SAMPLE / "program.yaml")
    staff = {s["name"] for s in program["staff"]}
    files = participants + progress + [_load(p) for p in sorted((SAMPLE / "plans").glob("*.yaml"))] \
        + [_load(p) for p in sorted((SAMPLE / "sessions").rglob("*.yaml"))]
    # Free text: every string of more than one word in a participant, plan, progress or session file
    # (statements, notes, summaries, milestone titles, strengths, needs, topics, ...), and closure reasons;
    # not a note made only of scores (P0004 has one, "PHQ-9 8", which a score table can spell by chance).
    free = {s for f in files for s in _strings(f) if len(s.split()) > 1 and not _only_scores(s)}
    free |= {c["reason"] for c in program.get("closures") or []}
    screens = [s for p in progress for s in p.get("screens") or []]
    return {
        "preferred names": {p["preferred_name"] for p in participants},
        "support names": {s["name"] for p in participants for s in p.get("supports") or []},
        "staff names": staff | {part for name in staff for part in name.split()},
        "free text": free,
        "screen kinds and substances": {s["kind"] for s in screens} | {x for s in screens
                                                                       for x in s.get("substances") or []},
        "diagnosis codes and dates of birth": all_forbidden(SAMPLE),
    }


def found(text: str, words: set[str]) -> list[str]:
    """Words in text as whole words; longer free text by its first 24 characters (a table may shorten it)."""
    flat = " ".join(html.unescape(text).split())  # undo HTML escapes and line wrapping
    out = []
    for word in words:
        probe = " ".join(word.split())
        if len(probe) > 24:
            hit = probe[:24] in flat
        else:  # whole words only: "Ana" is not in "Analysis"
            hit = re.search(rf"(?<![\w.]){re.escape(probe)}(?![\w])", flat) is not None
        if hit:
            out.append(word)
    return sorted(out)


@pytest.fixture(scope="module")
def words() -> dict[str, set[str]]:
    if not (SAMPLE / "program.yaml").exists():
        pytest.skip("no sample_records")
    out = sample_words()
    # The sample has something of every kind to look for (else the tests below could not fail).
    assert {"Keisha", "Maya"} <= out["preferred names"] and {"Andre", "Carla", "Gil"} <= out["support names"]
    assert {"Maria Rivera", "Tasha"} <= out["staff names"] and "methamphetamine" in out["screen kinds and substances"]
    assert {"First negative drug screen", "Stay alcohol-free", "Staff training"} <= out["free text"]
    assert "F15.20" in out["diagnosis codes and dates of birth"]
    return out


def sample_ids() -> list[str]:
    return sorted(p.stem for p in (SAMPLE / "participants").glob("*.yaml"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_disclosures_of_the_sample_print_none_of_it(words, fmt):
    outputs = {pid: disclose(str(SAMPLE), pid, "--format", fmt) for pid in sample_ids()}
    outputs["caseload"] = disclose(str(SAMPLE), "--format", fmt)
    assert len(outputs) == 12
    for who, text in outputs.items():
        assert notice_on_top(fmt, text), who
        for kind, forbidden in words.items():
            assert found(text, forbidden) == [], (who, fmt, kind)


def test_the_care_team_report_of_the_sample_does_print_it(words):
    """The control for the test above: the same search finds names and free text in the care team's report."""
    text = run("P0007", "--records", str(SAMPLE), "--format", "md").stdout
    assert "Keisha" in found(text, words["preferred names"])
    assert "First negative drug screen" in found(text, words["free text"])
    assert "Complete the Hope House application" in found(text, words["free text"])
    assert "urine-drug-screen" in found(text, words["screen kinds and substances"])


def test_disclosed_numbers_are_the_care_teams():
    for pid in sample_ids():
        care = json.loads(run(pid, "--records", str(SAMPLE), "--format", "json").stdout)
        out = json.loads(disclose(str(SAMPLE), pid, "--format", "json"))
        for key in ("participant", "status", "as_of", "track", "level_of_care", "plan", "attendance", "hours"):
            assert out[key] == care[key], (pid, key)
        for name, scores in out["instruments"].items():
            assert scores == {k: v for k, v in care["instruments"][name].items()
                              if k not in ("safety_flag", "item9_positive")}, (pid, name)
        assert out["objectives"]["total"] == len(care["objectives"])
        assert out["objectives"]["overdue"] == sum(o["overdue"] for o in care["objectives"])
        assert out["due"]["plan_review"] == care["due"]["plan_review"]
        assert out["screens"]["positive_dates"] == [s["date"] for s in care["screens"]["positives"]]
