"""Progress metrics: attendance, hours per plan week, instruments, objectives, due dates, flags, caseload.

Everything is computed "as of" one day: sessions dated on or before it,
assessments, updates, reviews, milestones and screens dated on or before it.
Nothing here reads the clock, so the same records and day give the same
numbers. The JSON shape (`participant_dict`, `caseload_dict`) is documented
in docs/progress.md.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from iopctl import instruments, levels, schedule
from iopctl.model import Participant, Plan, Progress, Records, SessionLog

ATTENDED = ("present", "late", "left-early")
ACTIVE = ("active", "on-hold")
# Statuses that count an entry's own `minutes` instead of the session's length.
PARTIAL = ("late", "left-early")
SAFETY_PLAN_STEPS = ("warning_signs", "coping_strategies", "social_distractions", "people_to_ask",
                     "professionals", "means_safety")
RELAPSE_PREVENTION_PARTS = ("triggers", "warning_signs", "coping_strategies", "people_to_call")
# Aftercare readiness is flagged in the last two weeks before the discharge target
# (the weeks rules.md allows for a step-down).
AFTERCARE_WARN_DAYS = 14


# -- results -----------------------------------------------------------------


@dataclass(frozen=True)
class SessionOutcome:
    """One planned session of a participant (closures left out) and what the records say happened."""

    date: dt.date
    session: str  # <track>/<id> or <participant>/<id>
    title: str
    week: int  # plan week
    minutes: int  # the session's length: the session file's `minutes`, else the timetable's
    status: str  # present | late | left-early | excused | absent | unrecorded | cancelled
    attended_minutes: int

    @property
    def planned(self) -> bool:
        return self.status != "cancelled"

    @property
    def recorded(self) -> bool:
        return self.status not in ("cancelled", "unrecorded")


@dataclass
class Attendance:
    planned: int = 0  # planned sessions dated on or before as-of, cancelled ones left out
    recorded: int = 0  # planned sessions whose file lists this participant
    attended: int = 0  # present, late, left-early
    excused: int = 0
    absent: int = 0
    unrecorded: int = 0  # planned, but no session file or not in its attendance: a data gap
    cancelled: int = 0  # sessions the program cancelled (not planned)
    outside_plan: int = 0  # attended held sessions that are not in the plan (not counted above)
    consecutive_absences: int = 0
    alert: bool = False  # consecutive_absences reached the program's absence_alert_after

    @property
    def rate(self) -> float | None:
        return self.attended / self.planned if self.planned else None


@dataclass(frozen=True)
class WeekHours:
    week: int
    start: dt.date
    end: dt.date
    planned_minutes: int  # planned sessions dated on or before as-of
    attended_minutes: int
    scheduled_minutes: int  # the whole week after closures and known cancellations
    sessions_planned: int
    sessions_attended: int
    closures: tuple[tuple[dt.date, str], ...]
    complete: bool  # the week ended on or before as-of
    partial: bool  # cut short by the participant's discharge
    floor: float | None  # the level of care's weekly minimum, hours

    @property
    def under_floor(self) -> bool | None:
        """Attended hours under the floor in a complete, whole week; None otherwise or with no floor."""
        if self.floor is None or not self.complete or self.partial:
            return None
        return self.attended_minutes < self.floor * 60


@dataclass(frozen=True)
class Score:
    date: dt.date
    score: float
    items: tuple[int, ...] | None = None


@dataclass
class InstrumentSummary:
    name: str
    series: list[Score]  # on or before as-of, by date
    baseline: Score
    latest: Score
    change: float  # latest - baseline
    band: str | None
    response: bool | None  # PHQ-9: latest <= 50% of baseline; None where undefined
    remission: bool | None  # PHQ-9: latest < 5
    meaningful_change: bool | None  # drop of at least the instrument's threshold; None where undefined
    meaningful_drop: float | None
    worsened: bool | None  # rise of at least the threshold
    item9_positive: list[Score] = field(default_factory=list)  # PHQ-9 entries with item 9 above 0


@dataclass(frozen=True)
class ObjectiveSummary:
    id: str
    statement: str
    status: str
    target_date: dt.date
    overdue: bool


@dataclass
class AftercareReadiness:
    discharge_target: dt.date | None
    target_source: str | None  # aftercare | plan
    follow_up: bool  # one within followup_within_days after the target (not on the day)
    resources: bool
    relapse_prevention: bool  # each of its four lists has an entry
    safety_plan: bool  # each of the six steps has an entry

    @property
    def missing(self) -> list[str]:
        parts = [("follow-up", self.follow_up), ("resources", self.resources),
                 ("relapse prevention", self.relapse_prevention), ("safety plan", self.safety_plan)]
        return [name for name, ok in parts if not ok]

    @property
    def ready(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Flag:
    code: str  # safety | absences | worsening | review | objectives | screen | aftercare | hours | unrecorded
    text: str

    @property
    def rank(self) -> int:
        return FLAG_ORDER.index(self.code)


FLAG_ORDER = ("safety", "absences", "worsening", "review", "objectives", "screen", "aftercare", "hours",
              "unrecorded", "plan")


@dataclass
class ParticipantProgress:
    participant: str
    preferred_name: str
    status: str
    track: str | None
    level_of_care: str | None
    population: str | None
    as_of: dt.date
    plan_start: dt.date | None
    plan_weeks: int | None
    current_week: int | None  # the plan week holding as-of, None outside the plan
    floor: float | None
    attendance: Attendance
    sessions: list[SessionOutcome]
    weeks: list[WeekHours]
    instruments: dict[str, InstrumentSummary]
    objectives: list[ObjectiveSummary]
    last_review: dt.date | None
    plan_review_due: dt.date | None
    plan_review_overdue: bool
    aftercare: AftercareReadiness | None
    milestones: list[tuple[dt.date, str]]
    screens: list[dict]  # {date, kind, result}, on or before as-of
    flags: list[Flag]

    @property
    def planned_minutes(self) -> int:
        return sum(w.planned_minutes for w in self.weeks)

    @property
    def attended_minutes(self) -> int:
        return sum(w.attended_minutes for w in self.weeks)

    @property
    def this_week(self) -> WeekHours | None:
        return next((w for w in self.weeks if w.week == self.current_week), None)

    @property
    def objectives_met(self) -> int:
        return sum(1 for o in self.objectives if o.status == "met")

    @property
    def objectives_overdue(self) -> list[ObjectiveSummary]:
        return [o for o in self.objectives if o.overdue]

    @property
    def positive_screens(self) -> list[dict]:
        return [s for s in self.screens if s["result"] == "positive"]


class UnknownParticipant(LookupError):
    pass


# -- building blocks -----------------------------------------------------------


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def session_logs(records: Records) -> dict[tuple[dt.date, str], SessionLog]:
    """Session files by (date, session key); the first file wins if two name the same session."""
    logs: dict[tuple[dt.date, str], SessionLog] = {}
    for log in records.sessions:
        logs.setdefault((log.date, log.session), log)
    return logs


def session_outcomes(records: Records, plan: Plan, pid: str, as_of: dt.date) -> list[SessionOutcome]:
    """Every session of the plan dated on or before as-of (closures already left out), with its outcome."""
    logs = session_logs(records)
    out = []
    for occ in schedule.plan_occurrences(records, plan):
        if occ.date > as_of:
            break  # sorted by start
        log = logs.get((occ.date, occ.key))
        minutes = (log.minutes if log and log.minutes else None) or occ.session.minutes
        if log is not None and log.status == "cancelled":
            status, got = "cancelled", 0
        elif log is None or pid not in log.attendance:
            status, got = "unrecorded", 0
        else:
            entry = log.attendance[pid]
            status = entry.status
            if status in PARTIAL and entry.minutes is not None:
                got = entry.minutes
            else:
                got = minutes if status in ATTENDED else 0
        out.append(SessionOutcome(occ.date, occ.key, occ.session.title, occ.week, minutes, status, got))
    return out


def count_attendance(outcomes: list[SessionOutcome], alert_after: int) -> Attendance:
    a = Attendance()
    for o in outcomes:
        if o.status == "cancelled":
            a.cancelled += 1
            continue
        a.planned += 1
        if o.status == "unrecorded":
            a.unrecorded += 1
            continue
        a.recorded += 1
        if o.status in ATTENDED:
            a.attended += 1
        elif o.status == "excused":
            a.excused += 1
        elif o.status == "absent":
            a.absent += 1
    # Counting back from the most recent recorded session; anything but `absent` ends the run.
    for o in reversed([o for o in outcomes if o.recorded]):
        if o.status != "absent":
            break
        a.consecutive_absences += 1
    a.alert = alert_after > 0 and a.consecutive_absences >= alert_after
    return a


def outside_plan(records: Records, outcomes: list[SessionOutcome], pid: str, as_of: dt.date) -> int:
    """Held sessions this participant attended that are not among their planned sessions."""
    planned = {(o.date, o.session) for o in outcomes}
    return sum(
        1 for log in records.sessions
        if log.date <= as_of and log.status == "held" and (log.date, log.session) not in planned
        and pid in log.attendance and log.attendance[pid].attended
    )


def week_hours(records: Records, plan: Plan, outcomes: list[SessionOutcome], as_of: dt.date,
               floor: float | None) -> list[WeekHours]:
    """Hours per plan week, for the weeks that started on or before as-of."""
    logs = session_logs(records)
    whole = schedule.plan_occurrences(records, plan)
    out = []
    for pw in schedule.plan_weeks(records, plan):
        if pw.start > as_of:
            break
        mine = [o for o in outcomes if o.week == pw.week and o.planned]
        scheduled = 0
        for occ in whole:
            if occ.week != pw.week:
                continue
            log = logs.get((occ.date, occ.key))
            if log is not None and log.status == "cancelled":
                continue
            scheduled += (log.minutes if log and log.minutes else None) or occ.session.minutes
        out.append(WeekHours(
            week=pw.week, start=pw.start, end=pw.end,
            planned_minutes=sum(o.minutes for o in mine),
            attended_minutes=sum(o.attended_minutes for o in mine),
            scheduled_minutes=scheduled,
            sessions_planned=len(mine),
            sessions_attended=sum(1 for o in mine if o.status in ATTENDED),
            closures=pw.closures,
            complete=min(pw.end, schedule.plan_end(records, plan)) <= as_of,
            partial=pw.partial,
            floor=floor,
        ))
    return out


def summarize_instrument(name: str, series: list[Score]) -> InstrumentSummary:
    """Baseline, latest, change, band and the rules.md thresholds for one instrument's series."""
    inst = instruments.get(name)
    first, last = series[0], series[-1]
    change = last.score - first.score
    response = remission = meaningful = worsened = None
    threshold = inst.meaningful_drop if inst else None
    if inst and inst.has_response:
        response = last.score <= first.score / 2
    if inst and inst.remission_below is not None:
        remission = last.score < inst.remission_below
    if threshold is not None:
        meaningful = -change >= threshold
        worsened = change >= threshold
    item = instruments.PHQ9_SAFETY_ITEM
    positives = [s for s in series if name == "PHQ-9" and s.items and len(s.items) >= item and s.items[item - 1] > 0]
    return InstrumentSummary(
        name=name, series=series, baseline=first, latest=last, change=change,
        band=inst.band(last.score) if inst and inst.bands else None,
        response=response, remission=remission, meaningful_change=meaningful, meaningful_drop=threshold,
        worsened=worsened, item9_positive=positives,
    )


def instrument_summaries(progress: Progress | None, as_of: dt.date) -> dict[str, InstrumentSummary]:
    """One summary per instrument recorded on or before as-of, in rules.md order."""
    series: dict[str, list[Score]] = {}
    for a in sorted(progress.assessments if progress else [], key=lambda a: a.date):  # stable: file order on ties
        if a.date <= as_of:
            series.setdefault(a.instrument, []).append(Score(a.date, a.score, tuple(a.items) if a.items else None))
    order = list(instruments.INSTRUMENTS)
    names = sorted(series, key=lambda n: (order.index(n) if n in order else len(order), n))
    return {n: summarize_instrument(n, series[n]) for n in names}


def objective_summaries(plan: Plan | None, progress: Progress | None, as_of: dt.date) -> list[ObjectiveSummary]:
    out = []
    for o in plan.objectives() if plan else []:
        status = progress.objective_status(o.id, as_of) if progress else "not-started"
        out.append(ObjectiveSummary(o.id, o.statement, status, o.target_date,
                                    overdue=o.target_date < as_of and status != "met"))
    return out


def discharge_target(records: Records, plan: Plan) -> tuple[dt.date | None, str | None]:
    """The aftercare's discharge_target, else plan start + weeks * 7."""
    if plan.aftercare and plan.aftercare.discharge_target:
        return plan.aftercare.discharge_target, "aftercare"
    weeks = records.plan_weeks(plan)
    if weeks is None:
        return None, None
    return plan.start + dt.timedelta(days=7 * weeks), "plan"


def _filled(data: dict, keys: tuple[str, ...]) -> bool:
    return all(data.get(k) for k in keys)


def aftercare_readiness(records: Records, participant: Participant, plan: Plan) -> AftercareReadiness:
    target, source = discharge_target(records, plan)
    rules = records.program.rules if records.program else None
    within = rules.followup_within_days if rules else 7
    after = plan.aftercare
    follow_up = bool(target and after and any(
        target < f.date <= target + dt.timedelta(days=within) for f in after.follow_ups))
    return AftercareReadiness(
        discharge_target=target,
        target_source=source,
        follow_up=follow_up,
        resources=bool(after and after.resources),
        relapse_prevention=bool(after and _filled(after.relapse_prevention, RELAPSE_PREVENTION_PARTS)),
        safety_plan=_filled(participant.safety_plan, SAFETY_PLAN_STEPS),
    )


def _weeks_list(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def build_flags(p: ParticipantProgress, alert_after: int) -> list[Flag]:
    """What needs a clinician's attention, most urgent first."""
    flags = []
    phq = p.instruments.get("PHQ-9")
    if phq and phq.item9_positive:
        last = phq.item9_positive[-1]
        flags.append(Flag("safety", f"PHQ-9 item 9 was {last.items[instruments.PHQ9_SAFETY_ITEM - 1]} "
                                    f"on {last.date}"))
    if p.attendance.alert:
        flags.append(Flag("absences", f"absent {p.attendance.consecutive_absences} sessions in a row"))
    for inst in p.instruments.values():
        if inst.worsened:
            flags.append(Flag("worsening", f"{inst.name} up {_num(inst.change)} since baseline"))
    active = p.status in ACTIVE
    if active and p.plan_review_overdue:
        flags.append(Flag("review", f"plan review overdue (due {p.plan_review_due})"))
    overdue = p.objectives_overdue
    if overdue:
        ids = ", ".join(o.id for o in overdue)
        word = "objective" if len(overdue) == 1 else "objectives"
        flags.append(Flag("objectives", f"{len(overdue)} {word} overdue ({ids})"))
    positives = p.positive_screens
    if positives:
        word = "screen" if len(positives) == 1 else "screens"
        flags.append(Flag("screen", f"{len(positives)} positive {word} (latest {positives[-1]['date']})"))
    ac = p.aftercare
    if active and ac and ac.discharge_target and not ac.ready \
            and (ac.discharge_target - p.as_of).days <= AFTERCARE_WARN_DAYS:
        flags.append(Flag("aftercare", f"aftercare missing {', '.join(ac.missing)} "
                                       f"(discharge {ac.discharge_target})"))
    complete = [w for w in p.weeks if w.complete]
    if p.status == "active" and complete and complete[-1].under_floor:
        w = complete[-1]
        flags.append(Flag("hours", f"week {w.week}: {_hours(w.attended_minutes)} h attended, "
                                   f"under the {levels.fmt_hours(w.floor)} h floor"))
    # A session on as-of itself may simply not be written up yet: it counts, but is not flagged.
    n = sum(1 for o in p.sessions if o.status == "unrecorded" and o.date < p.as_of)
    if n:
        flags.append(Flag("unrecorded", f"{n} planned session{'' if n == 1 else 's'} unrecorded"))
    if p.plan_start is None and p.status in ACTIVE:
        flags.append(Flag("plan", "no treatment plan"))
    return sorted(flags, key=lambda f: f.rank)


def _num(x: float) -> float | int:
    """5.0 -> 5 (scores are numbers; keep whole numbers whole)."""
    return int(x) if float(x).is_integer() else x


def _hours(minutes: int) -> str:
    return levels.fmt_hours(round(minutes / 60, 2))


# -- one participant ---------------------------------------------------------


def participant_progress(records: Records, pid: str, as_of: dt.date) -> ParticipantProgress:
    """The progress summary of one participant as of a day. Records are assumed valid."""
    participant = records.participants.get(pid)
    if participant is None:
        raise UnknownParticipant(pid)
    plan = records.plans.get(pid)
    progress = records.progress.get(pid)
    rules = records.program.rules if records.program else None
    alert_after = rules.absence_alert_after if rules else 2
    review_days = rules.plan_review_days if rules else 30
    track = records.plan_track(plan) if plan else (records.program.tracks.get(participant.track)
                                                  if records.program else None)
    rng = levels.hours_for(track.level_of_care, track.population) if track else None
    floor = rng.floor if rng else None

    outcomes = session_outcomes(records, plan, pid, as_of) if plan else []
    attendance = count_attendance(outcomes, alert_after)
    attendance.outside_plan = outside_plan(records, outcomes, pid, as_of)
    weeks = week_hours(records, plan, outcomes, as_of, floor) if plan else []

    current_week = None
    last_review = due = None
    aftercare = None
    if plan:
        n = (as_of - plan.start).days // 7 + 1
        total = records.plan_weeks(plan) or 0
        current_week = n if 1 <= n <= total and as_of <= schedule.plan_end(records, plan) else None
        reviews = [r.date for r in plan.reviews if r.date <= as_of]
        last_review = max(reviews) if reviews else None
        due = (last_review or plan.start) + dt.timedelta(days=review_days)
        aftercare = aftercare_readiness(records, participant, plan)

    milestones = sorted(((_day(m["date"]), str(m["title"])) for m in (progress.milestones if progress else [])
                         if _day(m["date"]) <= as_of), key=lambda m: m[0])
    screens = sorted(({"date": _day(s["date"]), "kind": str(s["kind"]), "result": s["result"]}
                      for s in (progress.screens if progress else []) if _day(s["date"]) <= as_of),
                     key=lambda s: s["date"])
    result = ParticipantProgress(
        participant=pid,
        preferred_name=participant.preferred_name,
        status=participant.status,
        track=track.id if track else None,
        level_of_care=track.level_of_care if track else None,
        population=track.population if track else None,
        as_of=as_of,
        plan_start=plan.start if plan else None,
        plan_weeks=records.plan_weeks(plan) if plan else None,
        current_week=current_week,
        floor=floor,
        attendance=attendance,
        sessions=outcomes,
        weeks=weeks,
        instruments=instrument_summaries(progress, as_of),
        objectives=objective_summaries(plan, progress, as_of),
        last_review=last_review,
        plan_review_due=due,
        plan_review_overdue=due is not None and as_of > due,
        aftercare=aftercare,
        milestones=milestones,
        screens=screens,
        flags=[],
    )
    result.flags = build_flags(result, alert_after)
    return result


# -- the caseload ------------------------------------------------------------


@dataclass
class Caseload:
    as_of: dt.date
    rows: list[ParticipantProgress]  # active and on-hold, those needing attention first

    @property
    def totals(self) -> dict[str, Any]:
        planned = sum(r.attendance.planned for r in self.rows)
        attended = sum(r.attendance.attended for r in self.rows)
        return {
            "participants": len(self.rows),
            "active": sum(1 for r in self.rows if r.status == "active"),
            "on_hold": sum(1 for r in self.rows if r.status == "on-hold"),
            "planned": planned,
            "attended": attended,
            "unrecorded": sum(r.attendance.unrecorded for r in self.rows),
            "rate": _rate(attended, planned),
            "hours_attended": round(sum(r.attended_minutes for r in self.rows) / 60, 2),
            "hours_this_week": round(sum(r.this_week.attended_minutes for r in self.rows if r.this_week) / 60, 2),
            "objectives_met": sum(r.objectives_met for r in self.rows),
            "objectives": sum(len(r.objectives) for r in self.rows),
            "objectives_overdue": sum(len(r.objectives_overdue) for r in self.rows),
            "plan_reviews_overdue": sum(1 for r in self.rows if r.plan_review_overdue),
            "flagged": sum(1 for r in self.rows if r.flags),
        }


def attention_key(p: ParticipantProgress) -> tuple:
    """Most urgent flag first, then more flags, then id; participants with no flags last."""
    top = min((f.rank for f in p.flags), default=len(FLAG_ORDER))
    return (top, -len(p.flags), p.participant)


def caseload(records: Records, as_of: dt.date) -> Caseload:
    rows = [participant_progress(records, pid, as_of)
            for pid, p in sorted(records.participants.items()) if p.status in ACTIVE]
    return Caseload(as_of, sorted(rows, key=attention_key))


# -- JSON shapes -------------------------------------------------------------


def _rate(attended: int, planned: int) -> float | None:
    return round(attended / planned, 4) if planned else None


def _score(s: Score) -> dict:
    return {"date": s.date.isoformat(), "score": _num(s.score)}


def instrument_dict(i: InstrumentSummary) -> dict:
    d = {
        "baseline": _num(i.baseline.score),
        "baseline_date": i.baseline.date.isoformat(),
        "latest": _num(i.latest.score),
        "latest_date": i.latest.date.isoformat(),
        "change": _num(i.change),
        "band": i.band,
        "response": i.response,
        "remission": i.remission,
        "meaningful_change": i.meaningful_change,
        "meaningful_drop": _num(i.meaningful_drop) if i.meaningful_drop is not None else None,
        "count": len(i.series),
        "series": [_score(s) for s in i.series],
    }
    if i.name == "PHQ-9":
        d["safety_flag"] = bool(i.item9_positive)
        d["item9_positive"] = [{"date": s.date.isoformat(),
                                "item9": s.items[instruments.PHQ9_SAFETY_ITEM - 1]} for s in i.item9_positive]
    return d


def week_dict(w: WeekHours) -> dict:
    return {
        "week": w.week,
        "start": w.start.isoformat(),
        "end": w.end.isoformat(),
        "planned_hours": round(w.planned_minutes / 60, 2),
        "attended_hours": round(w.attended_minutes / 60, 2),
        "scheduled_hours": round(w.scheduled_minutes / 60, 2),
        "planned_minutes": w.planned_minutes,
        "attended_minutes": w.attended_minutes,
        "sessions_planned": w.sessions_planned,
        "sessions_attended": w.sessions_attended,
        "closures": [{"date": d.isoformat(), "reason": r} for d, r in w.closures],
        "complete": w.complete,
        "partial": w.partial,
        "under_floor": w.under_floor,
    }


def participant_dict(p: ParticipantProgress) -> dict:
    a = p.attendance
    ac = p.aftercare
    return {
        "participant": p.participant,
        "preferred_name": p.preferred_name,
        "status": p.status,
        "as_of": p.as_of.isoformat(),
        "track": p.track,
        "level_of_care": p.level_of_care,
        "plan": {
            "start": p.plan_start.isoformat() if p.plan_start else None,
            "weeks": p.plan_weeks,
            "current_week": p.current_week,
        },
        "attendance": {
            "planned": a.planned, "recorded": a.recorded, "attended": a.attended, "excused": a.excused,
            "absent": a.absent, "unrecorded": a.unrecorded, "cancelled": a.cancelled,
            "outside_plan": a.outside_plan, "rate": _rate(a.attended, a.planned),
            "consecutive_absences": a.consecutive_absences, "alert": a.alert,
        },
        "hours": {
            "planned": round(p.planned_minutes / 60, 2),
            "attended": round(p.attended_minutes / 60, 2),
            "planned_minutes": p.planned_minutes,
            "attended_minutes": p.attended_minutes,
            "floor": p.floor,
        },
        "weeks": [week_dict(w) for w in p.weeks],
        "sessions": [
            {"date": s.date.isoformat(), "session": s.session, "week": s.week, "status": s.status,
             "minutes": s.minutes, "attended_minutes": s.attended_minutes}
            for s in p.sessions
        ],
        "instruments": {name: instrument_dict(i) for name, i in p.instruments.items()},
        "objectives": [
            {"id": o.id, "statement": o.statement, "status": o.status, "target_date": o.target_date.isoformat(),
             "overdue": o.overdue}
            for o in p.objectives
        ],
        "plan_review_due": p.plan_review_due.isoformat() if p.plan_review_due else None,
        "due": {
            "plan_review": {
                "last_review": p.last_review.isoformat() if p.last_review else None,
                "due": p.plan_review_due.isoformat() if p.plan_review_due else None,
                "overdue": p.plan_review_overdue,
            },
            "discharge_target": ac.discharge_target.isoformat() if ac and ac.discharge_target else None,
            "discharge_target_from": ac.target_source if ac else None,
            "aftercare": None if ac is None else {
                "ready": ac.ready, "follow_up": ac.follow_up, "resources": ac.resources,
                "relapse_prevention": ac.relapse_prevention, "safety_plan": ac.safety_plan,
                "missing": ac.missing,
            },
        },
        "milestones": {
            "count": len(p.milestones),
            "items": [{"date": d.isoformat(), "title": t} for d, t in p.milestones],
        },
        "screens": {
            "count": len(p.screens),
            "positive": len(p.positive_screens),
            "positives": [{"date": s["date"].isoformat(), "kind": s["kind"]} for s in p.positive_screens],
        },
        "flags": [f.text for f in p.flags],
    }


def caseload_row(p: ParticipantProgress) -> dict:
    week = p.this_week

    def latest(name: str) -> dict | None:
        i = p.instruments.get(name)
        return None if i is None else {"latest": _num(i.latest.score), "change": _num(i.change),
                                       "date": i.latest.date.isoformat()}

    return {
        "participant": p.participant,
        "status": p.status,
        "week": p.current_week,
        "weeks": p.plan_weeks,
        "rate": _rate(p.attendance.attended, p.attendance.planned),
        "planned": p.attendance.planned,
        "attended": p.attendance.attended,
        "hours_this_week": round(week.attended_minutes / 60, 2) if week else None,
        "scheduled_this_week": round(week.scheduled_minutes / 60, 2) if week else None,
        "phq9": latest("PHQ-9"),
        "gad7": latest("GAD-7"),
        "objectives_met": p.objectives_met,
        "objectives": len(p.objectives),
        "plan_review_due": p.plan_review_due.isoformat() if p.plan_review_due else None,
        "flags": [f.text for f in p.flags],
    }


def caseload_dict(c: Caseload) -> dict:
    return {"as_of": c.as_of.isoformat(), "participants": [caseload_row(r) for r in c.rows], "totals": c.totals}
