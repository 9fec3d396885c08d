"""`iopctl calendar`: rows, table, csv, json and ics, for a participant and for the program.

The repository below is written inline. Its plan runs two weeks from Monday
2026-10-26 across the end of daylight saving time in Chicago (Sunday Nov 1:
-05:00 before, -06:00 after), with a 3-hour group on Mon, Wed and Thu at
18:00, a 50-minute individual session on Fridays at 17:00, a staff-training
closure on Thursday Nov 5, and one aftercare follow-up on Nov 12.
"""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import yaml
from click.testing import CliRunner

from iopctl import calendar, records
from iopctl.cli import cli

AS_OF = "2026-11-23"

PROGRAM = {
    "schema_version": 1,
    "program": {"id": "testiop", "name": "Test IOP", "timezone": "America/Chicago"},
    "holidays": {"country": "US"},
    "closures": [{"date": "2026-11-05", "reason": "Staff training"}],
    "staff": [{"id": "mrivera", "name": "Maria Rivera"}, {"id": "jchen", "name": "Jo Chen"}],
    "tracks": [{
        "id": "adult", "name": "Adult IOP", "population": "adult", "level_of_care": "2.1", "weeks": 2,
        "sessions": [{"id": "group", "title": "Process Group", "kind": "group", "days": ["mon", "wed", "thu"],
                      "start": "18:00", "minutes": 180, "location": "Room 2", "facilitator": "mrivera"}],
    }],
}


def person(pid: str, name: str) -> dict:
    return {"schema_version": 1, "id": pid, "preferred_name": name, "date_of_birth": "1988-04-12",
            "status": "active", "admitted": "2026-10-26", "track": "adult",
            "diagnoses": [{"code": "F10.20", "description": "Alcohol use disorder, moderate", "primary": True}]}


def plan(pid: str, **more) -> dict:
    return {
        "schema_version": 1, "participant": pid, "start": "2026-10-26",
        "signed": {"participant": "2026-10-26", "staff": [{"id": "mrivera", "date": "2026-10-26"}]},
        "problems": [{"id": "1", "statement": "Drinks daily to cope with stress", "goals": [{
            "id": "1.1", "statement": "Stay alcohol-free",
            "objectives": [{"id": "1.1.1", "statement": "o", "measure": "m", "target_date": "2026-12-31"}],
            "interventions": [{"modality": "CBT", "description": "d", "frequency": "weekly"}],
        }]}],
        **more,
    }


INDIVIDUAL = {"id": "individual", "title": "Individual counselling", "kind": "individual", "days": ["fri"],
              "start": "17:00", "minutes": 50, "location": "Office 4", "facilitator": "jchen"}
FOLLOW_UP = {"date": "2026-11-12", "time": "10:00", "with": "Dr. Lee", "kind": "psychiatry",
             "phone": "+1 555 0133", "address": "9 Elm St"}


def write_repo(root, **overrides) -> None:
    files = {
        "program.yaml": PROGRAM,
        "participants/P0001.yaml": person("P0001", "Alex"),
        "plans/P0001.yaml": plan("P0001", extra_sessions=[INDIVIDUAL], aftercare={"follow_ups": [FOLLOW_UP]}),
        "participants/P0002.yaml": person("P0002", "Jamie"),
        "plans/P0002.yaml": plan("P0002"),
    }
    files.update(overrides)
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture
def repo(tmp_path):
    write_repo(tmp_path)
    return tmp_path


def run(root, *args):
    result = CliRunner().invoke(cli, ["calendar", *args, "--records", str(root), "--as-of", AS_OF])
    return result


# -- the participant's calendar ----------------------------------------------------


def test_json_shape_and_times(repo):
    result = run(repo, "P0001", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["participant", "sessions"]
    assert data["participant"] == "P0001"
    assert data["sessions"][0] == {
        "date": "2026-10-26", "start": "2026-10-26T18:00:00-05:00", "end": "2026-10-26T21:00:00-05:00",
        "minutes": 180, "session": "adult/group", "title": "Process Group", "kind": "group",
        "location": "Room 2", "facilitator": "mrivera", "week": 1,
    }
    assert [(s["start"], s["session"], s["week"]) for s in data["sessions"]] == [
        ("2026-10-26T18:00:00-05:00", "adult/group", 1),
        ("2026-10-28T18:00:00-05:00", "adult/group", 1),
        ("2026-10-29T18:00:00-05:00", "adult/group", 1),
        ("2026-10-30T17:00:00-05:00", "P0001/individual", 1),
        ("2026-11-02T18:00:00-06:00", "adult/group", 2),  # after the end of daylight saving time
        ("2026-11-04T18:00:00-06:00", "adult/group", 2),
        # Thu Nov 5 is closed (staff training)
        ("2026-11-06T17:00:00-06:00", "P0001/individual", 2),
        ("2026-11-12T10:00:00-06:00", "P0001/follow-up", None),
    ]
    assert data["sessions"][-1] == {
        "date": "2026-11-12", "start": "2026-11-12T10:00:00-06:00", "end": None, "minutes": None,
        "session": "P0001/follow-up", "title": "Follow-up: psychiatry", "kind": "follow-up",
        "location": "9 Elm St", "facilitator": "Dr. Lee", "week": None,
    }


def test_from_and_to_limit_the_rows(repo):
    result = run(repo, "P0001", "--from", "2026-11-02", "--to", "2026-11-04", "--format", "json")
    assert [s["date"] for s in json.loads(result.stdout)["sessions"]] == ["2026-11-02", "2026-11-04"]


def test_csv(repo):
    result = run(repo, "P0001", "--from", "2026-11-06", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout == (
        "date,start,end,minutes,session,title,kind,location,facilitator,week\n"
        "2026-11-06,2026-11-06T17:00:00-06:00,2026-11-06T17:50:00-06:00,50,P0001/individual,"
        "Individual counselling,individual,Office 4,jchen,2\n"
        "2026-11-12,2026-11-12T10:00:00-06:00,,,P0001/follow-up,Follow-up: psychiatry,follow-up,9 Elm St,Dr. Lee,\n"
    )


def test_table(repo):
    result = run(repo, "P0001")
    assert result.exit_code == 0
    assert result.stdout == """\
P0001 Alex: Adult IOP, level 2.1 (adult), 9h to under 20h a week
plan 2026-10-26 to 2026-11-08 (2 weeks); times in America/Chicago

wk  date        day  time   len  title             kind        location  staff
--  ----------  ---  -----  ---  ----------------  ----------  --------  -------
1   2026-10-26  Mon  18:00  3h   Process Group     group       Room 2    mrivera
1   2026-10-28  Wed  18:00  3h   Process Group     group       Room 2    mrivera
1   2026-10-29  Thu  18:00  3h   Process Group     group       Room 2    mrivera
1   2026-10-30  Fri  17:00  50m  Individual coun\u2026  individual  Office 4  jchen
    week 1 (2026-10-26 to 2026-11-01): 9h50
2   2026-11-02  Mon  18:00  3h   Process Group     group       Room 2    mrivera
2   2026-11-04  Wed  18:00  3h   Process Group     group       Room 2    mrivera
    2026-11-05  Thu  closed: Staff training
2   2026-11-06  Fri  17:00  50m  Individual coun\u2026  individual  Office 4  jchen
    week 2 (2026-11-02 to 2026-11-08): 6h50  ! under the 9h floor
-   2026-11-12  Thu  10:00       Follow-up         follow-up
    psychiatry with Dr. Lee; 9 Elm St; +1 555 0133
"""
    # 80 columns: the title gives way ("Individual coun..."); json and csv keep it whole.
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_table_fits_80_columns_with_long_titles(tmp_path):
    long = dict(INDIVIDUAL, title="Individual counselling with a rather long title", location="Office 4, second floor")
    write_repo(tmp_path, **{"plans/P0001.yaml": plan("P0001", extra_sessions=[long])})
    out = run(tmp_path, "P0001").stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "50m  Individual coun\u2026  individual  Office \u2026  jchen\n" in out


# -- ics -----------------------------------------------------------------------


def ics_bytes(root, *args) -> bytes:
    result = run(root, *args, "--format", "ics")
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def unfold(data: bytes) -> list[str]:
    """A small RFC 5545 reader: CRLF line ends, lines of at most 75 octets, folds are CRLF + space."""
    assert data.endswith(b"\r\n")
    physical = data[:-2].split(b"\r\n")
    for line in physical:
        assert b"\n" not in line and b"\r" not in line, line
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold never splits a UTF-8 character
    logical: list[bytes] = []
    for line in physical:
        if line.startswith(b" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return [line.decode("utf-8") for line in logical]


def components(lines: list[str]) -> list[dict]:
    """Each component as {'type': NAME, PROPERTY: value}, checking BEGIN/END nesting."""
    stack, found = [], []
    for line in lines:
        name, _, value = line.partition(":")
        if name == "BEGIN":
            stack.append({"type": value})
        elif name == "END":
            comp = stack.pop()
            assert comp["type"] == value
            found.append(comp)
        else:
            stack[-1][name] = value
    assert stack == []
    return found


def test_ics_is_byte_identical_across_runs(repo):
    assert ics_bytes(repo, "P0001") == ics_bytes(repo, "P0001")
    assert ics_bytes(repo, "--program", "--from", "2026-10-26", "--to", "2026-11-08") == \
        ics_bytes(repo, "--program", "--from", "2026-10-26", "--to", "2026-11-08")


def test_ics_structure_by_hand(repo):
    comps = components(unfold(ics_bytes(repo, "P0001")))
    events = [c for c in comps if c["type"] == "VEVENT"]
    assert [c["type"] for c in comps].count("VTIMEZONE") == 1
    assert comps[-1]["type"] == "VCALENDAR" and comps[-1]["VERSION"] == "2.0"
    assert comps[-1]["X-WR-CALNAME"] == "Test IOP: Alex"
    assert [(e["UID"], e["DTSTART;TZID=America/Chicago"]) for e in events] == [
        ("P0001.adult.group.20261026@testiop.iopctl", "20261026T180000"),
        ("P0001.adult.group.20261028@testiop.iopctl", "20261028T180000"),
        ("P0001.adult.group.20261029@testiop.iopctl", "20261029T180000"),
        ("P0001.P0001.individual.20261030@testiop.iopctl", "20261030T170000"),
        ("P0001.adult.group.20261102@testiop.iopctl", "20261102T180000"),
        ("P0001.adult.group.20261104@testiop.iopctl", "20261104T180000"),
        ("P0001.P0001.individual.20261106@testiop.iopctl", "20261106T170000"),
        ("P0001.follow-up.20261112T1000@testiop.iopctl", "20261112T100000"),
    ]
    assert {e["DTSTAMP"] for e in events} == {"20261026T000000Z"}  # the plan's start, 00:00 UTC
    assert events[0]["DTEND;TZID=America/Chicago"] == "20261026T210000"
    assert "DTEND;TZID=America/Chicago" not in events[-1]  # a follow-up's length is not recorded
    assert events[-1]["SUMMARY"] == "Follow-up: psychiatry"


def test_ics_parses_with_icalendar_and_the_ics_package(repo):
    import ics  # the second, independent parser (test extra)
    from icalendar import Calendar

    data = ics_bytes(repo, "P0001")
    parsed = Calendar.from_ical(data)
    assert parsed.to_ical() == data
    starts = [e.start for e in parsed.walk("VEVENT")]
    assert starts[4] == dt.datetime(2026, 11, 2, 18, 0, tzinfo=starts[4].tzinfo)
    assert starts[4].utcoffset() == dt.timedelta(hours=-6)
    assert starts[0].utcoffset() == dt.timedelta(hours=-5)

    other = ics.Calendar(data.decode("utf-8"))
    events = sorted(other.events, key=lambda e: e.begin)
    assert [e.begin.isoformat() for e in events[2:5]] == [
        "2026-10-29T18:00:00-05:00", "2026-10-30T17:00:00-05:00", "2026-11-02T18:00:00-06:00"]
    assert [e.name for e in events[2:5]] == ["Process Group", "Individual counselling", "Process Group"]
    assert events[1].end.isoformat() == "2026-10-28T21:00:00-05:00"
    assert len({e.uid for e in events}) == 8


def test_ics_holds_no_clinical_details_or_other_participants(repo):
    data = ics_bytes(repo, "P0001").decode("utf-8")
    for secret in ("F10.20", "Alcohol", "1988", "Drinks daily", "Jamie", "P0002"):
        assert secret not in data
    assert data.count("Alex") == 1  # the calendar's name


def test_program_ics_lists_ids_not_names(repo):
    data = ics_bytes(repo, "--program", "--from", "2026-10-30", "--to", "2026-11-02")
    events = [c for c in components(unfold(data)) if c["type"] == "VEVENT"]
    assert [(e["UID"], e["DESCRIPTION"]) for e in events] == [
        ("P0001.individual.20261030@testiop.iopctl", "Participants (1): P0001\\nFacilitator: Jo Chen"),
        ("adult.group.20261102@testiop.iopctl", "Participants (2): P0001 P0002\\nFacilitator: Maria Rivera"),
    ]
    assert {e["DTSTAMP"] for e in events} == {"20261030T000000Z"}  # --from, 00:00 UTC
    for secret in (b"Alex", b"Jamie", b"F10.20"):
        assert secret not in data


def test_long_text_is_folded_at_75_octets(tmp_path):
    long = dict(INDIVIDUAL, title="Séance individuelle de thérapie cognitive et comportementale, "
                                  "avec un titre très long pour tester le pliage")
    write_repo(tmp_path, **{"plans/P0001.yaml": plan("P0001", extra_sessions=[long])})
    data = ics_bytes(tmp_path, "P0001")
    assert b"\r\n " in data
    summaries = [c["SUMMARY"] for c in components(unfold(data)) if c.get("SUMMARY", "").startswith("S")]
    assert summaries[0] == long["title"].replace(",", "\\,")


# -- the program view --------------------------------------------------------------


def test_program_json(repo):
    result = run(repo, "--program", "--from", "2026-11-04", "--to", "2026-11-06", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "program": "testiop", "from": "2026-11-04", "to": "2026-11-06", "timezone": "America/Chicago",
        "sessions": [
            {"date": "2026-11-04", "start": "2026-11-04T18:00:00-06:00", "end": "2026-11-04T21:00:00-06:00",
             "minutes": 180, "session": "adult/group", "title": "Process Group", "kind": "group",
             "location": "Room 2", "facilitator": "mrivera", "participants": ["P0001", "P0002"]},
            {"date": "2026-11-06", "start": "2026-11-06T17:00:00-06:00", "end": "2026-11-06T17:50:00-06:00",
             "minutes": 50, "session": "P0001/individual", "title": "Individual counselling", "kind": "individual",
             "location": "Office 4", "facilitator": "jchen", "participants": ["P0001"]},
        ],
        "closed": [{"date": "2026-11-05", "reason": "Staff training"}],
    }


def test_program_table_defaults_to_the_week_of_as_of(repo):
    result = CliRunner().invoke(cli, ["calendar", "--program", "--records", str(repo), "--as-of", "2026-11-04"])
    assert result.exit_code == 0
    assert result.stdout == """\
Test IOP: sessions 2026-11-02 to 2026-11-08; times in America/Chicago

date        day  time   len  title                 kind        location  staff
----------  ---  -----  ---  --------------------  ----------  --------  -------
2026-11-02  Mon  18:00  3h   Process Group         group       Room 2    mrivera
            participants (2): P0001 P0002
2026-11-04  Wed  18:00  3h   Process Group         group       Room 2    mrivera
            participants (2): P0001 P0002
2026-11-05  Thu  closed: Staff training
2026-11-06  Fri  17:00  50m  Individual counsell\u2026  individual  Office 4  jchen
            participants (1): P0001
"""


def test_program_csv(repo):
    result = run(repo, "--program", "--from", "2026-11-06", "--to", "2026-11-06", "--format", "csv")
    assert result.stdout == (
        "date,start,end,minutes,session,title,kind,location,facilitator,participants\n"
        "2026-11-06,2026-11-06T17:00:00-06:00,2026-11-06T17:50:00-06:00,50,P0001/individual,"
        "Individual counselling,individual,Office 4,jchen,P0001\n"
    )


# -- bad input -------------------------------------------------------------------


def test_unknown_participant(repo):
    result = run(repo, "P001")
    assert result.exit_code == 1
    assert result.stderr == "iopctl: no participant `P001` in this records repository (did you mean `P0001`?)\n"
    assert result.stdout == ""


def test_participant_without_a_plan(tmp_path):
    write_repo(tmp_path)
    (tmp_path / "plans" / "P0002.yaml").unlink()
    result = run(tmp_path, "P0002")
    assert (result.exit_code, result.stderr) == (
        1, "iopctl: participant `P0002` has no plan (plans/P0002.yaml), so no sessions to show\n")


@pytest.mark.parametrize("args, message", [
    (["P0001", "--from", "2026-11-09", "--to", "2026-11-02"], "--from 2026-11-09 is after --to 2026-11-02"),
    (["P0001", "--from", "2026-02-30"], "'2026-02-30' is not a date as YYYY-MM-DD"),
    (["P0001", "--to", "next week"], "'next week' is not a date as YYYY-MM-DD"),
    (["P0001", "--program"], "give a participant ID or --program, not both"),
    ([], "give a participant ID, or --program for every session"),
])
def test_usage_errors(repo, args, message):
    result = run(repo, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_refuses_records_with_errors_in_the_files_it_reads(tmp_path):
    broken = plan("P0001")
    broken["extra_sesions"] = []  # a typo: a schema error
    write_repo(tmp_path, **{"plans/P0001.yaml": broken})
    result = run(tmp_path, "P0001")
    assert result.exit_code == 1
    assert result.stderr.startswith("iopctl: cannot build the calendar of P0001: the records have 1 error(s)")
    assert "plans/P0001.yaml" in result.stderr
    assert result.stdout == ""
    assert run(tmp_path, "--program", "--format", "json").exit_code == 1
    # P0002's own files are fine, and so is its calendar.
    assert run(tmp_path, "P0002", "--format", "json").exit_code == 0


def test_an_error_in_a_progress_file_does_not_block_calendars(tmp_path):
    write_repo(tmp_path, **{"progress/P0001.yaml": "schema_version: 1\nparticipant: P0001\nassesments: []\n"})
    assert run(tmp_path, "P0001", "--format", "json").exit_code == 0
    assert run(tmp_path, "--program", "--format", "json").exit_code == 0


# -- the library and the sample records ------------------------------------------


def test_library_rows_match_the_schedule(repo):
    loaded = records.load(repo)
    cal = calendar.participant_calendar(loaded.records, "P0001")
    assert [(w.week, w.scheduled_minutes, w.regular_minutes) for w in cal.weeks] == [(1, 590, 590), (2, 410, 590)]
    assert cal.closed == [(dt.date(2026, 11, 5), "Staff training")]
    with pytest.raises(calendar.CalendarError, match=re.escape("no participant `P9`")):
        calendar.participant_calendar(loaded.records, "P9")


def test_sample_records(tmp_path):
    """The sample program: Thanksgiving (Thu 2026-11-26) takes P0003's Thursday groups."""
    result = CliRunner().invoke(cli, ["calendar", "P0003", "--records", "sample_records", "--as-of", AS_OF,
                                      "--from", "2026-11-23", "--to", "2026-11-29", "--format", "json"])
    assert result.exit_code == 0, result.output
    sessions = json.loads(result.stdout)["sessions"]
    assert "2026-11-26" not in {s["date"] for s in sessions}
    assert ("2026-11-24", "P0003/individual") in {(s["date"], s["session"]) for s in sessions}
    program = CliRunner().invoke(cli, ["calendar", "--program", "--records", "sample_records", "--as-of", AS_OF,
                                       "--format", "ics"])
    assert program.exit_code == 0, program.output
    assert b"BEGIN:VEVENT" in program.stdout_bytes


def test_follow_ups_without_a_time_and_at_the_same_time(tmp_path):
    follow_ups = [{"date": "2026-11-13", "time": "09:00", "with": "Robin"},
                  {"date": "2026-11-12", "with": "Dr. Lee", "kind": "psychiatry"},
                  {"date": "2026-11-13", "time": "09:00", "with": "Sam"}]
    write_repo(tmp_path, **{"plans/P0001.yaml": plan("P0001", aftercare={"follow_ups": follow_ups})})
    sessions = json.loads(run(tmp_path, "P0001", "--from", "2026-11-09", "--format", "json").stdout)["sessions"]
    assert [(s["date"], s["start"], s["title"], s["facilitator"]) for s in sessions] == [
        ("2026-11-12", None, "Follow-up: psychiatry", "Dr. Lee"),
        ("2026-11-13", "2026-11-13T09:00:00-06:00", "Follow-up", "Robin"),
        ("2026-11-13", "2026-11-13T09:00:00-06:00", "Follow-up", "Sam"),
    ]
    events = [c for c in components(unfold(ics_bytes(tmp_path, "P0001", "--from", "2026-11-09")))
              if c["type"] == "VEVENT"]
    assert [(e["UID"], e.get("DTSTART;VALUE=DATE") or e["DTSTART;TZID=America/Chicago"]) for e in events] == [
        ("P0001.follow-up.20261112@testiop.iopctl", "20261112"),
        ("P0001.follow-up.20261113T0900@testiop.iopctl", "20261113T090000"),
        ("P0001.follow-up.20261113T0900-2@testiop.iopctl", "20261113T090000"),
    ]
    table = run(tmp_path, "P0001", "--from", "2026-11-09").stdout
    assert "-   2026-11-12  Thu  all day       Follow-up  follow-up\n    psychiatry with Dr. Lee\n" in table
