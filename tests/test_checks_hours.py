"""IOP020-IOP022: planned weekly hours against the level of care (rules.md).

ASAM 2.1: adults 9 to under 20 hours a week, adolescents 6 to under 20.
Each rule gets a record that triggers it and one that does not; the
repositories are written inline and run through iopctl.validate.validate.
Plans start on Monday 2026-10-05 (weeks: Oct 5, 12, 19, 26, Nov 2, ...).
"""
from __future__ import annotations

import datetime as dt

import yaml

from iopctl.validate import validate

AS_OF = dt.date(2026, 11, 23)


def session(sid: str, days: list[str], minutes: int, start: str = "18:00", **more) -> dict:
    return {"id": sid, "title": sid.title(), "kind": "group", "days": days, "start": start, "minutes": minutes,
            **more}


def repo(tmp_path, sessions: list[dict], population: str = "adult", weeks: int = 4, closures=(),
         holidays=None, timezone: str = "America/Chicago", **plan) -> list[tuple]:
    """Write a one-participant repository; return its hours findings as tuples."""
    program = {
        "schema_version": 1,
        "program": {"id": "testiop", "name": "Test IOP", "timezone": timezone},
        "staff": [{"id": "mrivera", "name": "Maria Rivera"}],
        "closures": list(closures),
        "tracks": [{"id": "t", "name": "Track", "population": population, "level_of_care": "2.1",
                    "weeks": weeks, "sessions": sessions}],
    }
    if holidays:
        program["holidays"] = holidays
    participant = {"schema_version": 1, "id": "P0001", "preferred_name": "Alex", "date_of_birth": "1990-01-01",
                   "status": "active", "admitted": "2026-10-05", "track": "t"}
    plan_doc = {
        "schema_version": 1, "participant": "P0001", "start": "2026-10-05",
        "signed": {"participant": "2026-10-05", "staff": [{"id": "mrivera", "date": "2026-10-05"}]},
        "problems": [{"id": "1", "statement": "s", "goals": [{
            "id": "1.1", "statement": "g",
            "objectives": [{"id": "1.1.1", "statement": "o", "measure": "m", "target_date": "2026-12-31"}],
            "interventions": [{"modality": "CBT", "description": "d", "frequency": "weekly"}],
        }]}],
        **plan,
    }
    for rel, data in {"program.yaml": program, "participants/P0001.yaml": participant,
                      "plans/P0001.yaml": plan_doc}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    report = validate(tmp_path, as_of=AS_OF, select=("IOP02",))
    return [(f.file, f.line, f.code, f.severity, f.message) for f in report.findings]


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
THREE_EVENINGS = [session("group", ["mon", "wed", "thu"], 180)]  # 9 hours: the adult floor exactly


# -- IOP020: at or above the ceiling ---------------------------------------------


def test_iop020_twenty_hours_a_week_is_above_2_1(tmp_path):
    assert repo(tmp_path, [session("day", WEEKDAYS, 240)]) == [
        ("plans/P0001.yaml", 3, "IOP020", "error",
         "20 hours planned in weeks 1-4 (2026-10-05 to 2026-11-01); level 2.1 (adult) must stay under "
         "20 hours a week"),
    ]


def test_iop020_names_only_the_weeks_over_the_ceiling(tmp_path):
    """18h a week, plus a fortnightly 2-hour session in weeks 1 and 3 (Oct 5, Oct 19) = 20h."""
    sessions = [session("day", WEEKDAYS, 216), session("extra", ["sat"], 120, every_weeks=2)]
    assert repo(tmp_path, sessions) == [
        ("plans/P0001.yaml", 3, "IOP020", "error",
         "20 hours planned in weeks 1, 3 (2026-10-05 to 2026-10-11, 2026-10-19 to 2026-10-25); "
         "level 2.1 (adult) must stay under 20 hours a week"),
    ]


def test_iop020_not_for_19_and_a_half_hours(tmp_path):
    assert repo(tmp_path, [session("day", WEEKDAYS, 234)]) == []


# -- IOP021: below the floor outside the last two weeks ----------------------------------


def test_iop021_eight_hours_for_adults(tmp_path):
    """Weeks 5 and 6 of 6 are the last two: a step-down there is allowed."""
    assert repo(tmp_path, [session("group", ["mon", "wed", "thu"], 160)], weeks=6) == [
        ("plans/P0001.yaml", 3, "IOP021", "warning",
         "only 8 hours planned in weeks 1-4 (2026-10-05 to 2026-11-01); level 2.1 (adult) needs at least "
         "9 hours a week"),
    ]


def test_iop021_not_in_a_plan_of_two_weeks(tmp_path):
    assert repo(tmp_path, [session("group", ["mon", "wed", "thu"], 160)], weeks=2) == []


def test_iop021_not_at_the_adult_floor(tmp_path):
    assert repo(tmp_path, THREE_EVENINGS) == []


def test_iop021_nine_hours_of_20_minute_sessions_meet_the_floor(tmp_path):
    """27 x 20 minutes = 540 minutes = 9 hours (a float sum of 27 x 1/3 gives 8.999...)."""
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    sessions = [session("a", every_day, 20, "09:00"), session("b", every_day, 20, "10:00"),
                session("c", every_day, 20, "11:00"), session("d", every_day[:6], 20, "12:00")]
    assert repo(tmp_path, sessions) == []


def test_iop021_adolescents_need_6_hours(tmp_path):
    five_and_a_half = [session("teen", ["mon", "tue", "thu"], 110)]
    assert repo(tmp_path, five_and_a_half, population="adolescent", weeks=3) == [
        ("plans/P0001.yaml", 3, "IOP021", "warning",
         "only 5.5 hours planned in week 1 (2026-10-05 to 2026-10-11); level 2.1 (adolescent) needs at least "
         "6 hours a week"),
    ]
    assert repo(tmp_path, [session("teen", ["mon", "tue", "thu"], 120)], population="adolescent", weeks=3) == []


def test_iop021_counts_extra_sessions_and_skips(tmp_path):
    """Skipping one evening leaves 6 hours; a weekly 3-hour extra session brings it back to 9."""
    extra = session("individual", ["fri"], 180) | {"kind": "individual"}
    assert [c for _, _, c, _, _ in repo(tmp_path, [session("a", ["mon", "wed"], 180), session("b", ["thu"], 180)],
                                         skip_sessions=["b"])] == ["IOP021"]
    assert repo(tmp_path, [session("a", ["mon", "wed"], 180), session("b", ["thu"], 180)],
                skip_sessions=["b"], extra_sessions=[extra]) == []


# -- IOP022: a closure takes a week below the floor ------------------------------


def test_iop022_one_finding_per_closure_week(tmp_path):
    closures = [{"date": "2026-10-07", "reason": "Staff training"},
                {"start": "2026-10-21", "end": "2026-10-22", "reason": "Retreat"}]
    assert repo(tmp_path, THREE_EVENINGS, closures=closures) == [
        ("plans/P0001.yaml", 3, "IOP022", "warning",
         "week 1 (2026-10-05 to 2026-10-11): closures (2026-10-07 Staff training) leave 6 of the 9 hours "
         "level 2.1 (adult) needs"),
        ("plans/P0001.yaml", 3, "IOP022", "warning",
         "week 3 (2026-10-19 to 2026-10-25): closures (2026-10-21 to 2026-10-22 Retreat) leave 3 of the "
         "9 hours level 2.1 (adult) needs"),
    ]


def test_iop022_public_holiday_for_adolescents(tmp_path):
    """Columbus Day, Monday 2026-10-12, takes 2 of the 6 adolescent hours in week 2."""
    teen = [session("teen", ["mon", "tue", "thu"], 120, "15:30")]
    assert repo(tmp_path, teen, population="adolescent", holidays={"country": "US"}) == [
        ("plans/P0001.yaml", 3, "IOP022", "warning",
         "week 2 (2026-10-12 to 2026-10-18): closures (2026-10-12 Columbus Day) leave 4 of the 6 hours "
         "level 2.1 (adolescent) needs"),
    ]


def test_iop022_not_when_the_week_still_meets_the_floor(tmp_path):
    """10.5 hours in the week of Oct 5; closing its Tuesday family group leaves 9."""
    sessions = THREE_EVENINGS + [session("family", ["tue"], 90, every_weeks=2)]
    assert repo(tmp_path, sessions, closures=[{"date": "2026-10-06", "reason": "Staff training"}]) == []


def test_iop022_not_for_a_week_already_below_the_floor(tmp_path):
    """That week is IOP021's; IOP022 is about closures taking a week under the floor."""
    found = repo(tmp_path, [session("group", ["mon", "wed", "thu"], 160)], weeks=6,
                 closures=[{"date": "2026-10-07", "reason": "Staff training"}])
    assert [code for _, _, code, _, _ in found] == ["IOP021"]


def test_hours_checks_survive_an_unknown_time_zone(tmp_path):
    """IOP010 reports the zone; the hours checks still run (in UTC) instead of crashing."""
    assert repo(tmp_path, [session("group", ["mon", "wed", "thu"], 160)], weeks=6, timezone="Mars/Olympus")[0][2] \
        == "IOP021"
