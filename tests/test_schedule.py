"""Schedule expansion (iopctl.schedule): exact dates, worked out by hand from a calendar.

Each test writes a small records repository into tmp_path and loads it the
way every command does (iopctl.records.load). The weekly timetable used
throughout: a 3-hour group on Mon, Wed and Thu at 18:00, and a 90-minute
family group every other Tuesday. Dates in October and November 2026:

    Mon  5 12 19 26 | 2  9 16 23 30
    Tue  6 13 20 27 | 3 10 17 24
    Wed  7 14 21 28 | 4 11 18 25
    Thu  8 15 22 29 | 5 12 19 26
    Fri  9 16 23 30 | 6 13 20 27

Fortnightly track sessions count weeks from the week of 2024-01-01:
2026-10-05 is 1008 days (144 weeks) later, so the family group runs in the
weeks of Oct 5, Oct 19, Nov 2, Nov 16.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from iopctl import records, schedule

D = dt.date


def program_doc(**changes) -> dict:
    doc = {
        "schema_version": 1,
        "program": {"id": "testiop", "name": "Test IOP", "timezone": "America/Chicago"},
        "staff": [{"id": "mrivera", "name": "Maria Rivera"}],
        "tracks": [{
            "id": "adult", "name": "Adult IOP", "population": "adult", "level_of_care": "2.1", "weeks": 4,
            "sessions": [
                {"id": "group", "title": "Process Group", "kind": "group", "days": ["mon", "wed", "thu"],
                 "start": "18:00", "minutes": 180, "location": "Room 2", "facilitator": "mrivera"},
                {"id": "family", "title": "Family Group", "kind": "family", "days": ["tue"],
                 "start": "18:00", "minutes": 90, "every_weeks": 2},
            ],
        }],
    }
    doc.update(changes)
    return doc


def participant_doc(pid: str, admitted: str, **changes) -> dict:
    doc = {"schema_version": 1, "id": pid, "preferred_name": "Alex", "date_of_birth": "1990-01-01",
           "status": "active", "admitted": admitted, "track": "adult"}
    doc.update(changes)
    return doc


def plan_doc(pid: str, start: str, **changes) -> dict:
    doc = {
        "schema_version": 1, "participant": pid, "start": start,
        "problems": [{"id": "1", "statement": "s", "goals": [{
            "id": "1.1", "statement": "g",
            "objectives": [{"id": "1.1.1", "statement": "o", "measure": "m", "target_date": "2026-12-31"}],
            "interventions": [{"modality": "CBT", "description": "d", "frequency": "weekly"}],
        }]}],
    }
    doc.update(changes)
    return doc


def load(tmp_path: Path, program: dict, people: list[tuple[dict, dict]]):
    """Write the repository and load it; the documents must pass their schemas."""
    files = {"program.yaml": program}
    for participant, plan in people:
        files[f"participants/{participant['id']}.yaml"] = participant
        files[f"plans/{plan['participant']}.yaml"] = plan
    for rel, data in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    loaded = records.load(tmp_path)
    assert loaded.findings == []
    return loaded.records


def one(tmp_path, program=None, admitted="2026-10-05", start="2026-10-05", participant=None, **plan):
    """Records with one participant P0001; returns (records, plan)."""
    rec = load(tmp_path, program or program_doc(),
               [(participant or participant_doc("P0001", admitted), plan_doc("P0001", start, **plan))])
    return rec, rec.plans["P0001"]


def dates(occurrences) -> list[tuple[dt.date, str]]:
    return [(o.date, o.key) for o in occurrences]


G, F = "adult/group", "adult/family"


# -- weekly and every other week -----------------------------------------------


def test_weekly_and_every_other_week_sessions(tmp_path):
    rec, plan = one(tmp_path, weeks=2)
    assert dates(schedule.plan_occurrences(rec, plan)) == [
        (D(2026, 10, 5), G), (D(2026, 10, 6), F), (D(2026, 10, 7), G), (D(2026, 10, 8), G),
        (D(2026, 10, 12), G), (D(2026, 10, 14), G), (D(2026, 10, 15), G),
    ]


def test_every_other_week_follows_the_track_not_the_plan_start(tmp_path):
    """Two participants a week apart see the same fortnightly Tuesdays."""
    rec = load(tmp_path, program_doc(), [
        (participant_doc("P0001", "2026-10-05"), plan_doc("P0001", "2026-10-05")),
        (participant_doc("P0002", "2026-10-12"), plan_doc("P0002", "2026-10-12")),
    ])
    first = [o.date for o in schedule.plan_occurrences(rec, rec.plans["P0001"]) if o.key == F]
    second = [o.date for o in schedule.plan_occurrences(rec, rec.plans["P0002"]) if o.key == F]
    assert first == [D(2026, 10, 6), D(2026, 10, 20)]
    assert second == [D(2026, 10, 20), D(2026, 11, 3)]


def test_starts_anchors_every_weeks_and_nothing_runs_before_it(tmp_path):
    program = program_doc()
    program["tracks"][0]["sessions"][1]["starts"] = "2026-10-13"  # the week of Oct 12, not Oct 5
    rec, plan = one(tmp_path, program)
    assert [o.date for o in schedule.plan_occurrences(rec, plan) if o.key == F] == [D(2026, 10, 13), D(2026, 10, 27)]
    program["tracks"][0]["sessions"][1].update(every_weeks=1, starts="2026-10-21")
    rec, plan = one(tmp_path, program)
    assert [o.date for o in schedule.plan_occurrences(rec, plan) if o.key == F] == [D(2026, 10, 27)]


def test_plan_weeks_start_on_the_plan_start_not_on_monday(tmp_path):
    rec, plan = one(tmp_path, admitted="2026-10-07", start="2026-10-07", weeks=2)
    assert [(o.date, o.week) for o in schedule.plan_occurrences(rec, plan) if o.key == G] == [
        (D(2026, 10, 7), 1), (D(2026, 10, 8), 1), (D(2026, 10, 12), 1),
        (D(2026, 10, 14), 2), (D(2026, 10, 15), 2), (D(2026, 10, 19), 2),
    ]
    weeks = schedule.plan_weeks(rec, plan)
    assert [(w.week, w.start, w.end) for w in weeks] == [
        (1, D(2026, 10, 7), D(2026, 10, 13)), (2, D(2026, 10, 14), D(2026, 10, 20))]


# -- closures and holidays ---------------------------------------------------


def test_single_day_closure(tmp_path):
    rec, plan = one(tmp_path, program_doc(closures=[{"date": "2026-10-07", "reason": "Staff training"}]), weeks=1)
    assert dates(schedule.plan_occurrences(rec, plan)) == [
        (D(2026, 10, 5), G), (D(2026, 10, 6), F), (D(2026, 10, 8), G)]
    closed = [(o.date, o.closed) for o in schedule.plan_occurrences(rec, plan, include_closed=True) if o.closed]
    assert closed == [(D(2026, 10, 7), "Staff training")]


def test_closure_range(tmp_path):
    closures = [{"start": "2026-10-13", "end": "2026-10-19", "reason": "Retreat"}]
    rec, plan = one(tmp_path, program_doc(closures=closures), weeks=3)
    assert dates(schedule.plan_occurrences(rec, plan)) == [
        (D(2026, 10, 5), G), (D(2026, 10, 6), F), (D(2026, 10, 7), G), (D(2026, 10, 8), G),
        (D(2026, 10, 12), G),
        # Oct 14 and 15 and Mon Oct 19 are closed; the family group of Tue Oct 20 runs.
        (D(2026, 10, 20), F), (D(2026, 10, 21), G), (D(2026, 10, 22), G),
    ]
    week2 = schedule.plan_weeks(rec, plan)[1]
    assert week2.closures == ((D(2026, 10, 14), "Retreat"), (D(2026, 10, 15), "Retreat"))
    assert (week2.regular_minutes, week2.scheduled_minutes) == (540, 180)


def test_public_holidays_us(tmp_path):
    """Veterans Day 2026 is Wednesday Nov 11, Thanksgiving Thursday Nov 26."""
    rec, plan = one(tmp_path, program_doc(holidays={"country": "US"}), admitted="2026-11-09",
                    start="2026-11-09", weeks=3)
    got = [(o.date, o.closed) for o in schedule.plan_occurrences(rec, plan, include_closed=True) if o.key == G]
    assert got == [
        (D(2026, 11, 9), None), (D(2026, 11, 11), "Veterans Day"), (D(2026, 11, 12), None),
        (D(2026, 11, 16), None), (D(2026, 11, 18), None), (D(2026, 11, 19), None),
        (D(2026, 11, 23), None), (D(2026, 11, 25), None), (D(2026, 11, 26), "Thanksgiving Day"),
    ]


def test_a_closure_wins_over_a_holiday_on_the_same_day(tmp_path):
    program = program_doc(holidays={"country": "US"}, closures=[{"date": "2026-11-26", "reason": "Thanksgiving"}])
    assert schedule.closed_reason(one(tmp_path, program)[0].program, D(2026, 11, 26)) == "Thanksgiving"


def test_holiday_configuration_messages():
    assert schedule.holiday_supported("US", "IL") is None
    assert schedule.holiday_supported("US", None) is None
    assert schedule.holiday_supported("XX", None) == "country `XX` is not known to the holidays calendar"
    assert schedule.holiday_supported("US", "XX") == "subdivision `XX` of US is not known to the holidays calendar"


# -- time zones --------------------------------------------------------------


def test_a_plan_across_the_end_of_daylight_saving_time_keeps_local_times(tmp_path):
    """Chicago leaves CDT (-05:00) for CST (-06:00) on Sunday 2026-11-01."""
    rec, plan = one(tmp_path, admitted="2026-10-26", start="2026-10-26", weeks=2)
    got = [(o.start.isoformat(), o.end.isoformat()) for o in schedule.plan_occurrences(rec, plan)
           if D(2026, 10, 29) <= o.date <= D(2026, 11, 2)]
    assert got == [
        ("2026-10-29T18:00:00-05:00", "2026-10-29T21:00:00-05:00"),
        ("2026-11-02T18:00:00-06:00", "2026-11-02T21:00:00-06:00"),
    ]
    utc = [o.start.astimezone(dt.timezone.utc).isoformat() for o in schedule.plan_occurrences(rec, plan)
           if o.date in (D(2026, 10, 29), D(2026, 11, 2))]
    assert utc == ["2026-10-29T23:00:00+00:00", "2026-11-03T00:00:00+00:00"]


def test_a_session_over_the_change_lasts_its_minutes(tmp_path):
    """00:30 CDT + 180 minutes of elapsed time is 02:30 CST (the clock went back at 02:00 CDT)."""
    program = program_doc()
    program["tracks"][0]["sessions"] = [{"id": "night", "title": "Night", "kind": "group", "days": ["sun"],
                                         "start": "00:30", "minutes": 180}]
    rec, plan = one(tmp_path, program, admitted="2026-10-26", start="2026-10-26", weeks=1)
    (occ,) = schedule.plan_occurrences(rec, plan)
    assert (occ.start.isoformat(), occ.end.isoformat()) == ("2026-11-01T00:30:00-05:00", "2026-11-01T02:30:00-06:00")
    assert occ.end.astimezone(dt.timezone.utc) - occ.start.astimezone(dt.timezone.utc) == dt.timedelta(hours=3)


def test_a_start_in_the_spring_forward_gap_moves_to_the_real_time(tmp_path):
    """Chicago jumps from 02:00 CST to 03:00 CDT on Sunday 2026-03-08: 02:30 does not exist."""
    program = program_doc()
    program["tracks"][0]["sessions"] = [{"id": "night", "title": "Night", "kind": "group", "days": ["sun"],
                                         "start": "02:30", "minutes": 60}]
    rec, plan = one(tmp_path, program, admitted="2026-03-02", start="2026-03-02", weeks=1)
    (occ,) = schedule.plan_occurrences(rec, plan)
    assert (occ.start.isoformat(), occ.end.isoformat()) == ("2026-03-08T03:30:00-05:00", "2026-03-08T04:30:00-05:00")


# -- the participant's plan ----------------------------------------------------


def test_discharge_before_the_plan_ends(tmp_path):
    participant = participant_doc("P0001", "2026-10-05", status="discharged", discharged="2026-10-14",
                                  discharge_reason="stepped-down")
    rec, plan = one(tmp_path, participant=participant, weeks=4)
    assert schedule.plan_end(rec, plan) == D(2026, 10, 14)
    assert dates(schedule.plan_occurrences(rec, plan))[-3:] == [
        (D(2026, 10, 8), G), (D(2026, 10, 12), G), (D(2026, 10, 14), G)]  # the discharge day is included
    weeks = schedule.plan_weeks(rec, plan)
    assert [(w.week, w.partial, w.regular_minutes) for w in weeks] == [(1, False, 630), (2, True, 360)]


def test_skip_sessions_and_extra_sessions(tmp_path):
    extra = {"id": "individual", "title": "Individual counselling", "kind": "individual", "days": ["fri"],
             "start": "17:00", "minutes": 50, "facilitator": "mrivera"}
    rec, plan = one(tmp_path, weeks=2, skip_sessions=["family"], extra_sessions=[extra])
    assert dates(schedule.plan_occurrences(rec, plan)) == [
        (D(2026, 10, 5), G), (D(2026, 10, 7), G), (D(2026, 10, 8), G), (D(2026, 10, 9), "P0001/individual"),
        (D(2026, 10, 12), G), (D(2026, 10, 14), G), (D(2026, 10, 15), G), (D(2026, 10, 16), "P0001/individual"),
    ]
    assert [w.regular_minutes for w in schedule.plan_weeks(rec, plan)] == [590, 590]


def test_an_extra_session_every_other_week_counts_from_plan_week_1(tmp_path):
    extra = {"id": "family", "title": "Family session", "kind": "family", "days": ["fri"],
             "start": "17:00", "minutes": 60, "every_weeks": 2}
    rec, plan = one(tmp_path, admitted="2026-10-12", start="2026-10-12", weeks=4, extra_sessions=[extra])
    assert [o.date for o in schedule.plan_occurrences(rec, plan) if o.key == "P0001/family"] == [
        D(2026, 10, 16), D(2026, 10, 30)]


# -- rosters and the program view ---------------------------------------------------


def test_rosters(tmp_path):
    extra = {"id": "individual", "title": "Individual", "kind": "individual", "days": ["tue"],
             "start": "17:00", "minutes": 50}
    rec = load(tmp_path, program_doc(), [
        (participant_doc("P0001", "2026-10-05"), plan_doc("P0001", "2026-10-05", extra_sessions=[extra])),
        (participant_doc("P0002", "2026-10-05"), plan_doc("P0002", "2026-10-05", skip_sessions=["family"])),
        (participant_doc("P0003", "2026-10-05", status="on-hold"), plan_doc("P0003", "2026-10-05")),
        (participant_doc("P0004", "2026-10-05", status="discharged", discharged="2026-10-14",
                         discharge_reason="completed"), plan_doc("P0004", "2026-10-05")),
        (participant_doc("P0005", "2026-10-19"), plan_doc("P0005", "2026-10-19")),
    ])
    assert schedule.roster(rec, G, D(2026, 10, 14)) == ["P0001", "P0002", "P0004"]
    assert schedule.roster(rec, G, D(2026, 10, 15)) == ["P0001", "P0002"]
    assert schedule.roster(rec, F, D(2026, 10, 20)) == ["P0001", "P0005"]
    found = [(o.date, o.key, names) for o, names in schedule.program_occurrences(rec, D(2026, 10, 19), D(2026, 10, 21))]
    assert found == [
        (D(2026, 10, 19), G, ["P0001", "P0002", "P0005"]),
        (D(2026, 10, 20), "P0001/individual", ["P0001"]),
        (D(2026, 10, 20), F, ["P0001", "P0005"]),
        (D(2026, 10, 21), G, ["P0001", "P0002", "P0005"]),
    ]
    # No family group in the week of Oct 12, and a track session runs with nobody expected.
    found = [(o.date, o.key, names) for o, names in schedule.program_occurrences(rec, D(2026, 10, 13), D(2026, 10, 13))]
    assert found == [(D(2026, 10, 13), "P0001/individual", ["P0001"])]
    assert schedule.roster(rec, G, D(2027, 3, 1)) == []
