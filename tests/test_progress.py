"""Progress metrics on a small repository written in tmp_path, every number worked out by hand.

The repository (see `progress_docs`): track `adult`, level 2.1 adult (floor 9 h a week),
one group on Mon, Wed and Thu at 18:00 for 180 minutes; plans start Mon 2026-11-02 for
4 weeks; the program is closed Wed 2026-11-11 and cancelled Mon 2026-11-09; no public
holidays; plan reviews every 14 days. As of Mon 2026-11-23 the planned sessions are

    week 1: 11-02 11-04 11-05   week 2: 11-12 (11-09 cancelled, 11-11 closed)
    week 3: 11-16 11-18 11-19   week 4: 11-23 (11-25 and 11-26 come later)

P0001's attendance: 11-02 present, 11-04 late for 120 of 180 minutes, 11-05 excused,
11-12 present, 11-16 a file without P0001 (unrecorded), 11-18 absent, 11-19 absent,
11-23 no file yet (unrecorded, on as-of itself).
"""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from iopctl import progress, records
from iopctl.progress import SessionOutcome, count_attendance

AS_OF = dt.date(2026, 11, 23)

SAFETY_PLAN = {
    "warning_signs": ["skipping meals"],
    "coping_strategies": ["walk"],
    "social_distractions": ["library"],
    "people_to_ask": ["sam"],
    "professionals": [{"name": "Front desk", "phone": "+1 555 0100"}],
    "means_safety": ["no alcohol at home"],
}


def _objective(oid: str, target: str) -> dict:
    return {"id": oid, "statement": f"Objective {oid}", "measure": "log", "target_date": target}


def _plan(pid: str, objectives: list[dict], reviews: list[dict] | None = None) -> dict:
    plan = {
        "schema_version": 1,
        "participant": pid,
        "start": "2026-11-02",
        "weeks": 4,
        "signed": {"participant": "2026-11-02", "staff": [{"id": "mrivera", "date": "2026-11-02"}]},
        "problems": [{"id": "1", "statement": "Drinks daily", "goals": [{
            "id": "1.1", "statement": "Stay alcohol-free", "objectives": objectives,
            "interventions": [{"modality": "CBT", "description": "Trigger mapping", "frequency": "weekly",
                               "staff": "mrivera"}]}]}],
    }
    if reviews:
        plan["reviews"] = reviews
    return plan


def _participant(pid: str, name: str, status: str = "active", **more: Any) -> dict:
    data = {"schema_version": 1, "id": pid, "preferred_name": name, "date_of_birth": "1988-04-12",
            "status": status, "admitted": "2026-11-02", "track": "adult", "primary_counselor": "mrivera"}
    data.update(more)
    return data


def _session(day: str, attendance: dict | None, status: str = "held") -> dict:
    data = {"schema_version": 1, "date": day, "session": "adult/group", "status": status}
    if attendance is not None:
        data["attendance"] = attendance
    return data


def progress_docs() -> dict[str, Any]:
    """The small repository as data: relative path -> document."""
    program = {
        "schema_version": 1,
        "program": {"id": "testiop", "name": "Test IOP", "timezone": "America/Chicago"},
        "rules": {"plan_review_days": 14, "followup_within_days": 7, "absence_alert_after": 2},
        "closures": [{"date": "2026-11-11", "reason": "Staff training"}],
        "staff": [{"id": "mrivera", "name": "Maria Rivera", "role": "counselor"}],
        "tracks": [{"id": "adult", "name": "Adult IOP", "population": "adult", "level_of_care": "2.1",
                    "weeks": 4, "sessions": [
                        {"id": "group", "title": "Group", "kind": "group", "days": ["mon", "wed", "thu"],
                         "start": "18:00", "minutes": 180, "facilitator": "mrivera"}]}],
        "resources": [{"id": "aa", "name": "AA Meetings", "kind": "support-group", "phone": "+1 555 0142"}],
    }
    docs: dict[str, Any] = {"program.yaml": program}
    docs["participants/P0001.yaml"] = _participant("P0001", "Alex", safety_plan=SAFETY_PLAN)
    docs["participants/P0002.yaml"] = _participant("P0002", "Blair")
    docs["participants/P0003.yaml"] = _participant("P0003", "Casey", status="on-hold")
    docs["plans/P0001.yaml"] = _plan("P0001", [
        _objective("1.1.1", "2026-11-20"),  # in progress, target passed: overdue
        _objective("1.1.2", "2026-11-13"),  # met on 11-12
        _objective("1.1.3", "2026-11-23"),  # target is as-of itself: not passed yet
        _objective("1.1.4", "2026-12-01"),  # met only on 11-25, after as-of
    ], reviews=[{"date": "2026-11-16", "by": "mrivera"}, {"date": "2026-11-25", "by": "mrivera"}])
    docs["plans/P0002.yaml"] = _plan("P0002", [_objective("1.1.1", "2026-12-15")])  # no review
    docs["plans/P0003.yaml"] = _plan("P0003", [_objective("1.1.1", "2026-12-15")],
                                     reviews=[{"date": "2026-11-10", "by": "mrivera"}])
    docs["progress/P0001.yaml"] = {
        "schema_version": 1, "participant": "P0001",
        "assessments": [
            {"date": "2026-11-02", "instrument": "PHQ-9", "score": 18, "items": [2, 2, 2, 2, 2, 2, 3, 3, 0]},
            {"date": "2026-11-02", "instrument": "GAD-7", "score": 12},
            {"date": "2026-11-02", "instrument": "PCL-5", "score": 40},
            {"date": "2026-11-02", "instrument": "AUDIT", "score": 20},
            {"date": "2026-11-16", "instrument": "PHQ-9", "score": 12},
            {"date": "2026-11-20", "instrument": "PHQ-9", "score": 9},
            {"date": "2026-11-20", "instrument": "GAD-7", "score": 8},
            {"date": "2026-11-20", "instrument": "PCL-5", "score": 31},
            {"date": "2026-11-30", "instrument": "PHQ-9", "score": 3},  # after as-of: not counted
        ],
        "objective_updates": [
            {"date": "2026-11-10", "objective": "1.1.1", "status": "in-progress"},
            {"date": "2026-11-12", "objective": "1.1.2", "status": "met"},
            {"date": "2026-11-25", "objective": "1.1.4", "status": "met"},
        ],
        "milestones": [{"date": "2026-11-10", "title": "First week done"},
                       {"date": "2026-11-30", "title": "Later"}],
        "screens": [{"date": "2026-11-03", "kind": "urine-drug-screen", "result": "negative"},
                    {"date": "2026-11-17", "kind": "urine-drug-screen", "result": "positive",
                     "substances": ["cocaine"]},
                    {"date": "2026-11-24", "kind": "breathalyzer", "result": "positive"}],
    }
    docs["progress/P0002.yaml"] = {
        "schema_version": 1, "participant": "P0002",
        "assessments": [
            {"date": "2026-11-02", "instrument": "PHQ-9", "score": 10, "items": [2, 2, 1, 1, 1, 1, 1, 0, 1]},
            {"date": "2026-11-16", "instrument": "PHQ-9", "score": 16},
        ],
    }
    sessions = {
        "2026-11-02": _session("2026-11-02", {"P0001": "present", "P0002": "present"}),
        "2026-11-04": _session("2026-11-04", {"P0001": {"status": "late", "minutes": 120}, "P0002": "present"}),
        "2026-11-05": _session("2026-11-05", {"P0001": "excused", "P0002": {"status": "left-early"}}),
        "2026-11-09": _session("2026-11-09", None, status="cancelled"),
        "2026-11-12": _session("2026-11-12", {"P0001": "present", "P0002": "present"}),
        "2026-11-16": _session("2026-11-16", {"P0002": "present"}),
        "2026-11-18": _session("2026-11-18", {"P0001": "absent", "P0002": "present", "P0003": "excused"}),
        "2026-11-19": _session("2026-11-19", {"P0001": "absent", "P0002": "present", "P0003": "excused"}),
    }
    for day, data in sessions.items():
        docs[f"sessions/2026-11/{day}-adult-group.yaml"] = data
    return docs


def write_docs(root: Path, docs: dict[str, Any]) -> Path:
    for rel, data in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return root


def write_progress_repo(root: Path, change=None) -> Path:
    """Write the repository; `change(docs)` may edit the documents first."""
    docs = copy.deepcopy(progress_docs())
    if change:
        change(docs)
    return write_docs(root, docs)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> records.Records:
    root = write_progress_repo(tmp_path_factory.mktemp("progress"))
    loaded = records.load(root)
    records.require_valid(loaded, AS_OF)  # the fixture itself has no errors
    return loaded.records


@pytest.fixture(scope="module")
def p1(repo) -> progress.ParticipantProgress:
    return progress.participant_progress(repo, "P0001", AS_OF)


# -- attendance ------------------------------------------------------------------


def test_attendance_counts(p1):
    a = p1.attendance
    assert (a.planned, a.recorded, a.attended, a.excused, a.absent, a.unrecorded, a.cancelled) == (8, 6, 3, 1, 2, 2, 1)
    assert a.rate == 3 / 8
    assert a.consecutive_absences == 2 and a.alert
    assert a.outside_plan == 0


def test_session_outcomes_list_each_planned_session(p1):
    got = [(s.date.isoformat(), s.status, s.attended_minutes) for s in p1.sessions]
    assert got == [
        ("2026-11-02", "present", 180), ("2026-11-04", "late", 120), ("2026-11-05", "excused", 0),
        ("2026-11-09", "cancelled", 0), ("2026-11-12", "present", 180), ("2026-11-16", "unrecorded", 0),
        ("2026-11-18", "absent", 0), ("2026-11-19", "absent", 0), ("2026-11-23", "unrecorded", 0),
    ]  # 11-11 is closed: not a planned session at all


def _outcomes(*statuses: str) -> list[SessionOutcome]:
    start = dt.date(2026, 11, 2)
    return [SessionOutcome(start + dt.timedelta(days=i), "adult/group", "Group", 1, 180, s, 0)
            for i, s in enumerate(statuses)]


@pytest.mark.parametrize("statuses, run", [
    (("present", "absent", "absent", "absent"), 3),
    (("absent", "absent", "excused"), 0),  # excused is not absent: the run is over
    (("absent", "excused", "absent"), 1),
    (("absent", "absent", "unrecorded"), 2),  # counting back from the most recent *recorded* session
    (("absent", "cancelled", "absent"), 2),
    (("late", "left-early"), 0),
    ((), 0),
])
def test_consecutive_absences(statuses, run):
    a = count_attendance(_outcomes(*statuses), alert_after=2)
    assert a.consecutive_absences == run
    assert a.alert == (run >= 2)


def test_alert_threshold_comes_from_the_rules():
    assert not count_attendance(_outcomes("absent", "absent"), alert_after=3).alert
    assert count_attendance(_outcomes("absent", "absent", "absent"), alert_after=3).alert


def test_rate_is_none_without_planned_sessions():
    a = count_attendance(_outcomes("cancelled"), alert_after=2)
    assert a.planned == 0 and a.rate is None


def test_left_early_without_minutes_counts_the_whole_session(repo):
    p2 = progress.participant_progress(repo, "P0002", AS_OF)
    assert p2.sessions[2].status == "left-early" and p2.sessions[2].attended_minutes == 180
    assert (p2.attendance.planned, p2.attendance.attended, p2.attendance.unrecorded) == (8, 7, 1)


def test_attendance_at_a_session_outside_the_plan_is_counted_apart(tmp_path):
    def add(docs):  # P0001 turns up on the closed Wednesday's make-up... on a Tuesday, not in the plan
        docs["sessions/2026-11/2026-11-10-adult-group.yaml"] = _session("2026-11-10", {"P0001": "present"})

    loaded = records.load(write_progress_repo(tmp_path, add))
    p = progress.participant_progress(loaded.records, "P0001", AS_OF)
    assert p.attendance.outside_plan == 1
    assert (p.attendance.planned, p.attendance.attended) == (8, 3)  # neither changes


# -- hours -----------------------------------------------------------------------


def test_hours_per_plan_week(p1):
    got = [(w.week, w.start.isoformat(), w.planned_minutes, w.attended_minutes, w.scheduled_minutes, w.complete,
            w.under_floor) for w in p1.weeks]
    assert got == [
        (1, "2026-11-02", 540, 300, 540, True, True),  # 180 + 120 (late) of 9 h
        (2, "2026-11-09", 180, 180, 180, True, True),  # cancelled Monday, closed Wednesday
        (3, "2026-11-16", 540, 0, 540, True, True),
        (4, "2026-11-23", 180, 0, 540, False, None),  # running: only Monday so far
    ]
    assert p1.weeks[1].closures == ((dt.date(2026, 11, 11), "Staff training"),)
    assert (p1.planned_minutes, p1.attended_minutes) == (1440, 480)
    assert p1.floor == 9
    assert p1.current_week == 4


def test_a_full_week_is_not_under_the_floor(repo):
    p2 = progress.participant_progress(repo, "P0002", AS_OF)
    assert [w.under_floor for w in p2.weeks] == [False, True, False, None]
    assert [w.attended_minutes for w in p2.weeks] == [540, 180, 540, 0]


# -- instruments -----------------------------------------------------------------


def test_phq9_response_but_not_remission(p1):
    phq = p1.instruments["PHQ-9"]
    assert [(s.date.isoformat(), s.score) for s in phq.series] == [
        ("2026-11-02", 18), ("2026-11-16", 12), ("2026-11-20", 9)]  # the 11-30 score is after as-of
    assert (phq.baseline.score, phq.latest.score, phq.change, phq.band) == (18, 9, -9, "mild")
    assert phq.response is True  # 9 <= 18 / 2
    assert phq.remission is False  # 9 is not under 5
    assert phq.meaningful_change is True  # a drop of 9 >= 5
    assert phq.item9_positive == []


def test_gad7_change_of_exactly_4_is_meaningful(p1):
    gad = p1.instruments["GAD-7"]
    assert (gad.baseline.score, gad.latest.score, gad.change, gad.band) == (12, 8, -4, "mild")
    assert gad.meaningful_change is True
    assert gad.response is None and gad.remission is None


def test_pcl5_drop_under_10_is_not_meaningful_and_31_is_probable_ptsd(p1):
    pcl = p1.instruments["PCL-5"]
    assert (pcl.change, pcl.band, pcl.meaningful_change) == (-9, "probable PTSD", False)


def test_instrument_without_a_change_threshold_gives_nulls(p1):
    audit = p1.instruments["AUDIT"]
    assert (audit.change, audit.band) == (0, "zone IV")
    assert audit.meaningful_change is None and audit.response is None and audit.remission is None


def test_instruments_follow_the_rules_order(p1):
    assert list(p1.instruments) == ["PHQ-9", "GAD-7", "AUDIT", "PCL-5"]


def test_phq9_item9_and_a_rise_are_flagged(repo):
    p2 = progress.participant_progress(repo, "P0002", AS_OF)
    phq = p2.instruments["PHQ-9"]
    assert [s.date.isoformat() for s in phq.item9_positive] == ["2026-11-02"]
    assert phq.change == 6 and phq.worsened and not phq.meaningful_change
    assert phq.response is False and phq.remission is False


@pytest.mark.parametrize("baseline, latest, response, remission", [
    (20, 10, True, False), (20, 11, False, False), (8, 4, True, True), (6, 5, False, False), (4, 4, False, True),
])
def test_phq9_thresholds(baseline, latest, response, remission):
    s = progress.summarize_instrument("PHQ-9", [progress.Score(dt.date(2026, 11, 2), baseline),
                                                progress.Score(dt.date(2026, 11, 16), latest)])
    assert (s.response, s.remission) == (response, remission)


# -- objectives, due dates -------------------------------------------------------


def test_objectives_status_and_overdue(p1):
    got = [(o.id, o.status, o.target_date.isoformat(), o.overdue) for o in p1.objectives]
    assert got == [
        ("1.1.1", "in-progress", "2026-11-20", True),
        ("1.1.2", "met", "2026-11-13", False),
        ("1.1.3", "not-started", "2026-11-23", False),
        ("1.1.4", "not-started", "2026-12-01", False),  # met on 11-25, after as-of
    ]
    assert p1.objectives_met == 1


def test_plan_review_from_the_last_review_up_to_as_of(p1):
    assert p1.last_review == dt.date(2026, 11, 16)  # the 11-25 review is after as-of
    assert p1.plan_review_due == dt.date(2026, 11, 30)
    assert not p1.plan_review_overdue


def test_overdue_plan_review_counts_from_the_plan_start(repo):
    p2 = progress.participant_progress(repo, "P0002", AS_OF)
    assert p2.last_review is None
    assert p2.plan_review_due == dt.date(2026, 11, 16)  # 11-02 + 14 days
    assert p2.plan_review_overdue
    assert "plan review overdue (due 2026-11-16)" in [f.text for f in p2.flags]


def test_plan_review_due_today_is_not_overdue(repo):
    p2 = progress.participant_progress(repo, "P0002", dt.date(2026, 11, 16))
    assert p2.plan_review_due == dt.date(2026, 11, 16) and not p2.plan_review_overdue


def test_discharge_target_and_aftercare_readiness(p1):
    ac = p1.aftercare
    assert (ac.discharge_target, ac.target_source) == (dt.date(2026, 11, 30), "plan")  # 11-02 + 4 * 7
    assert (ac.follow_up, ac.resources, ac.relapse_prevention, ac.safety_plan) == (False, False, False, True)
    assert ac.missing == ["follow-up", "resources", "relapse prevention"] and not ac.ready


def _aftercare(follow_up_day: str):
    def change(docs):
        docs["plans/P0001.yaml"]["aftercare"] = {
            "discharge_target": "2026-12-04",
            "follow_ups": [{"date": follow_up_day, "with": "Dr. Lee"}],
            "resources": ["aa"],
            "relapse_prevention": {"triggers": ["payday"], "warning_signs": ["skipping group"],
                                   "coping_strategies": ["call sponsor"], "people_to_call": ["Sam"]},
        }
    return change


@pytest.mark.parametrize("follow_up_day, follow_up", [
    ("2026-12-04", False),  # on the discharge day: does not count
    ("2026-12-05", True),
    ("2026-12-11", True),  # the 7th day after
    ("2026-12-12", False),
])
def test_aftercare_follow_up_window(tmp_path, follow_up_day, follow_up):
    loaded = records.load(write_progress_repo(tmp_path, _aftercare(follow_up_day)))
    ac = progress.participant_progress(loaded.records, "P0001", AS_OF).aftercare
    assert (ac.discharge_target, ac.target_source) == (dt.date(2026, 12, 4), "aftercare")
    assert ac.follow_up is follow_up
    assert ac.ready is follow_up  # everything else is filled in


def test_safety_plan_with_an_empty_step_is_not_filled_in(tmp_path):
    def change(docs):
        docs["participants/P0001.yaml"]["safety_plan"]["means_safety"] = []

    loaded = records.load(write_progress_repo(tmp_path, change))
    assert not progress.participant_progress(loaded.records, "P0001", AS_OF).aftercare.safety_plan


# -- milestones, screens, flags --------------------------------------------------


def test_milestones_and_screens_up_to_as_of(p1):
    assert p1.milestones == [(dt.date(2026, 11, 10), "First week done")]
    assert len(p1.screens) == 2
    assert [s["date"] for s in p1.positive_screens] == [dt.date(2026, 11, 17)]


def test_flags_most_urgent_first(p1, repo):
    assert [f.text for f in p1.flags] == [
        "absent 2 sessions in a row",
        "1 objective overdue (1.1.1)",
        "1 positive screen (latest 2026-11-17)",
        "aftercare missing follow-up, resources, relapse prevention (discharge 2026-11-30)",
        "week 3: 0 h attended, under the 9 h floor",
        "1 planned session unrecorded",  # 11-16; 11-23 is as-of itself and may not be written up yet
    ]
    p2 = progress.participant_progress(repo, "P0002", AS_OF)
    assert [f.text for f in p2.flags] == [
        "PHQ-9 item 9 was 1 on 2026-11-02",
        "PHQ-9 up 6 since baseline",
        "plan review overdue (due 2026-11-16)",
        "aftercare missing follow-up, resources, relapse prevention, safety plan (discharge 2026-11-30)",
    ]


def test_on_hold_participant_gets_no_hours_flag(repo):
    p3 = progress.participant_progress(repo, "P0003", AS_OF)
    assert p3.weeks[2].under_floor  # the week is marked...
    assert "hours" not in [f.code for f in p3.flags]  # ...but being on hold explains it
    assert (p3.attendance.excused, p3.attendance.unrecorded) == (2, 6)


# -- caseload --------------------------------------------------------------------


def test_caseload_rows_sorted_by_attention_with_totals(repo):
    c = progress.caseload(repo, AS_OF)
    assert [r.participant for r in c.rows] == ["P0002", "P0001", "P0003"]  # safety, absences, data gaps
    assert c.totals == {
        "participants": 3, "active": 2, "on_hold": 1, "planned": 24, "attended": 10, "unrecorded": 9,
        "rate": 0.4167, "hours_attended": 8 + 21, "hours_this_week": 0, "objectives_met": 1, "objectives": 6,
        "objectives_overdue": 1, "plan_reviews_overdue": 1, "flagged": 3,
    }


def test_caseload_leaves_out_discharged_participants(tmp_path):
    def change(docs):
        docs["participants/P0003.yaml"].update(status="discharged", discharged="2026-11-20",
                                               discharge_reason="completed")
        del docs["sessions/2026-11/2026-11-18-adult-group.yaml"]["attendance"]["P0003"]
        del docs["sessions/2026-11/2026-11-19-adult-group.yaml"]["attendance"]["P0003"]

    loaded = records.load(write_progress_repo(tmp_path, change))
    assert [r.participant for r in progress.caseload(loaded.records, AS_OF).rows] == ["P0002", "P0001"]


def test_caseload_row_json(repo):
    row = progress.caseload_row(progress.participant_progress(repo, "P0001", AS_OF))
    assert row == {
        "participant": "P0001", "status": "active", "week": 4, "weeks": 4, "rate": 0.375, "planned": 8,
        "attended": 3, "hours_this_week": 0, "scheduled_this_week": 9,
        "phq9": {"latest": 9, "change": -9, "date": "2026-11-20"},
        "gad7": {"latest": 8, "change": -4, "date": "2026-11-20"},
        "objectives_met": 1, "objectives": 4, "plan_review_due": "2026-11-30",
        "flags": [f.text for f in progress.participant_progress(repo, "P0001", AS_OF).flags],
    }


def test_unknown_participant(repo):
    with pytest.raises(progress.UnknownParticipant):
        progress.participant_progress(repo, "P9999", AS_OF)


def test_participant_without_plan_or_progress(tmp_path):
    def change(docs):
        del docs["plans/P0003.yaml"]
        for rel in list(docs):
            if rel.startswith("sessions/"):
                docs[rel].get("attendance", {}).pop("P0003", None)

    loaded = records.load(write_progress_repo(tmp_path, change))
    p3 = progress.participant_progress(loaded.records, "P0003", AS_OF)
    assert (p3.attendance.planned, p3.weeks, p3.objectives, p3.instruments) == (0, [], [], {})
    assert p3.plan_review_due is None and p3.aftercare is None
    assert [f.text for f in p3.flags] == ["no treatment plan"]
    d = progress.participant_dict(p3)
    assert d["attendance"]["rate"] is None and d["plan_review_due"] is None
