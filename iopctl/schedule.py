"""Expanding weekly timetables into dated sessions: plans, closures, holidays, time zones.

Plan week n runs from `start + 7(n-1)` days for seven days. A track session
with `every_weeks: k` runs in the calendar weeks (Monday-based) counted in
steps of k from its `starts` date's week, or from the week of ANCHOR when it
has none, so every participant of a track sees the same fortnightly group.
An extra session counts its steps from plan week 1 (or, when it has
`starts`, from that date's Monday-based week, like a track session). No
session runs before its `starts` date.

Times are wall-clock times in the program's zone: an 18:00 session is at
18:00 local on both sides of a daylight-saving change; its end is its start
plus its minutes of elapsed time.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from iopctl.model import Participant, Plan, Program, Records, Session

ANCHOR = dt.date(2024, 1, 1)  # a Monday
DAY = dt.timedelta(days=1)
UTC = dt.timezone.utc
# Statuses whose participants are not expected at sessions now (left off rosters).
NOT_ATTENDING = ("referred", "on-hold")


@dataclass(frozen=True)
class Occurrence:
    """One dated session of a timetable."""

    date: dt.date
    session: Session
    start: dt.datetime  # aware, in the program's time zone
    end: dt.datetime
    week: int | None = None  # plan week, for a participant's schedule
    closed: str | None = None  # why it does not take place (closure or holiday), else None

    @property
    def key(self) -> str:
        return self.session.key

    @property
    def hours(self) -> float:
        return self.session.minutes / 60


@dataclass(frozen=True)
class PlanWeek:
    week: int
    start: dt.date
    end: dt.date  # inclusive
    regular_minutes: int  # timetable and extras, closures ignored
    scheduled_minutes: int  # after closures and holidays
    closures: tuple[tuple[dt.date, str], ...]  # the closed days that took sessions
    partial: bool  # cut short by the discharge date

    # Minutes are summed as integers so that a comparison with a floor is exact.
    @property
    def regular_hours(self) -> float:
        return self.regular_minutes / 60

    @property
    def scheduled_hours(self) -> float:
        return self.scheduled_minutes / 60


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def runs_in_week(session: Session, day: dt.date, plan_week: int | None = None) -> bool:
    """Whether an every_weeks session runs in the week holding `day`."""
    k = session.every_weeks or 1
    if session.starts is not None and day < session.starts:
        return False
    if k == 1:
        return True
    if session.extra and session.starts is None and plan_week is not None:
        return (plan_week - 1) % k == 0
    anchor = monday(session.starts or ANCHOR)
    return ((monday(day) - anchor).days // 7) % k == 0


# Holiday tables by (country, subdivision, year). The holidays package takes 0.1 to 0.2 s to
# import and work out one table, longer than the rest of a pre-commit `validate FILE`: validate
# keeps the tables in its cache (Cache.holidays) and hands them back with `know_holidays`.
_TABLES: dict[tuple[str, str | None, int], dict[dt.date, str]] = {}


def _holidays(country: str, subdivision: str | None, year: int) -> dict[dt.date, str]:
    key = (country, subdivision, year)
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = _holidays_from_package(country, subdivision, year)
    return table


def _holidays_from_package(country: str, subdivision: str | None, year: int) -> dict[dt.date, str]:
    import holidays  # imported on first use: it is large

    try:
        table = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except (NotImplementedError, KeyError, ValueError):  # validate reports it (IOP010)
        return {}
    return {day: str(name) for day, name in sorted(table.items())}


def holiday_tables(program: Program | None) -> dict[tuple[str, str | None, int], dict[str, str]]:
    """The tables of the program's holiday calendar worked out or known so far, as plain data
    (ISO dates) for a cache."""
    if program is None or not program.holiday_country:
        return {}
    calendar = (program.holiday_country, program.holiday_subdivision)
    return {key: {day.isoformat(): name for day, name in table.items()} for key, table in _TABLES.items()
            if key[:2] == calendar}


def know_holidays(tables: object) -> None:
    """Take tables that holiday_tables gave (from a cache: anything malformed is ignored)."""
    if not isinstance(tables, dict):
        return
    for key, table in tables.items():
        try:
            country, subdivision, year = key
            known = {dt.date.fromisoformat(day): name for day, name in table.items() if isinstance(name, str)}
        except (TypeError, ValueError, AttributeError):
            continue
        if isinstance(country, str) and isinstance(subdivision, (str, type(None))) and isinstance(year, int):
            _TABLES.setdefault((country, subdivision, year), known)


def holidays_fingerprint() -> str:
    """Which holidays package is installed, without importing it (that is the slow part): its
    version file's path, size and modification time change with every install or upgrade."""
    from importlib.util import find_spec
    import os

    try:
        spec = find_spec("holidays")
        origin = spec.origin if spec is not None else None
        if origin is None:
            return "none"
        version = os.path.join(os.path.dirname(origin), "version.py")
        st = os.stat(version if os.path.exists(version) else origin)
    except (ImportError, ValueError, OSError):
        return "none"
    return f"{origin}|{st.st_size}|{st.st_mtime_ns}"


def holiday_supported(country: str, subdivision: str | None) -> str | None:
    """None when the holidays package knows country/subdivision, else what is wrong."""
    import holidays

    try:
        holidays.country_holidays(country, years=2026)
    except (NotImplementedError, KeyError, ValueError):
        return f"country `{country}` is not known to the holidays calendar"
    if subdivision is None:
        return None
    try:  # the package raises NotImplementedError for an unknown subdivision too
        holidays.country_holidays(country, subdiv=subdivision, years=2026)
    except (NotImplementedError, KeyError, ValueError):
        return f"subdivision `{subdivision}` of {country} is not known to the holidays calendar"
    return None


def closed_reason(program: Program, day: dt.date) -> str | None:
    """Why the program is closed on `day` (a closure or a public holiday), else None."""
    for closure in program.closures:
        if closure.covers(day):
            return closure.reason or "closed"
    if program.holiday_country:
        name = _holidays(program.holiday_country, program.holiday_subdivision, day.year).get(day)
        if name:
            return name
    return None


def tz(program: Program) -> ZoneInfo:
    try:
        return ZoneInfo(program.timezone)
    except (ZoneInfoNotFoundError, ValueError):  # validate reports it (IOP010); schedule in UTC meanwhile
        return ZoneInfo("UTC")


def occurrence(program: Program, session: Session, day: dt.date, week: int | None = None) -> Occurrence:
    zone = tz(program)
    # The start is wall-clock time on that day; the round trip through UTC moves a
    # start inside the spring-forward gap (02:30 that does not exist) to a real time.
    start = dt.datetime.combine(day, session.start, tzinfo=zone).astimezone(UTC).astimezone(zone)
    # The end is elapsed time: a 90-minute session lasts 90 minutes even across a change.
    end = (start.astimezone(UTC) + dt.timedelta(minutes=session.minutes)).astimezone(zone)
    return Occurrence(day, session, start, end, week, closed_reason(program, day))


def plan_week_of(plan: Plan, day: dt.date) -> int:
    """The plan week holding `day` (1-based; 0 or less before the plan starts)."""
    return (day - plan.start).days // 7 + 1


def plan_end(records: Records, plan: Plan) -> dt.date:
    """The last day of the plan's last week, or of the participant's stay if shorter."""
    weeks = records.plan_weeks(plan) or 0
    last = plan.start + dt.timedelta(days=7 * weeks - 1)
    participant = records.participants.get(plan.participant)
    if participant and participant.discharged and participant.discharged < last:
        return participant.discharged
    return last


def plan_slots(records: Records, plan: Plan) -> list[tuple[dt.date, int, Session]]:
    """(day, plan week, session) of every session of a plan, closed days included, by day.

    The one place that decides when a plan's sessions fall: plan_occurrences
    dresses these up as timed occurrences, plan_weeks only adds up minutes.
    """
    if records.program is None or records.plan_track(plan) is None:
        return []
    timetable = [(session, session.weekdays) for session in records.timetable(plan)]
    last = plan_end(records, plan)
    out = []
    day = plan.start
    while day <= last:
        week = plan_week_of(plan, day)
        weekday = day.weekday()
        for session, weekdays in timetable:
            if weekday in weekdays and runs_in_week(session, day, week):
                out.append((day, week, session))
        day += DAY
    return out


def plan_occurrences(records: Records, plan: Plan, include_closed: bool = False) -> list[Occurrence]:
    """Every session of a plan, sorted by start; closed days left out unless asked for."""
    out = []
    for day, week, session in plan_slots(records, plan):
        occ = occurrence(records.program, session, day, week)  # type: ignore[arg-type]
        if include_closed or occ.closed is None:
            out.append(occ)
    return sorted(out, key=lambda o: (o.start, o.key))


# plan_weeks results inside a `memoized()` block: validate's three hours rules ask for
# every plan's weeks, and working them out is most of the time those rules take.
_weeks_memo: dict[int, tuple[Records, Plan, list[PlanWeek]]] | None = None


@contextmanager
def memoized() -> Iterator[None]:
    """Remember plan_weeks per plan inside the block; the records must not change inside it."""
    global _weeks_memo
    outer = _weeks_memo
    if outer is None:
        _weeks_memo = {}
    try:
        yield
    finally:
        _weeks_memo = outer


def plan_weeks(records: Records, plan: Plan) -> list[PlanWeek]:
    """Hours per plan week: the regular timetable, and what closures leave of it."""
    memo = _weeks_memo
    if memo is not None:
        hit = memo.get(id(plan))
        if hit is not None and hit[0] is records and hit[1] is plan:
            return list(hit[2])
    weeks = records.plan_weeks(plan) or 0
    last = plan_end(records, plan)
    closed_on: dict[dt.date, str | None] = {}
    slots = []  # (week, day, minutes, why closed)
    for day, week, session in plan_slots(records, plan):
        if day not in closed_on:
            closed_on[day] = closed_reason(records.program, day)  # type: ignore[arg-type]
        slots.append((week, day, session.minutes, closed_on[day]))
    out = []
    for n in range(1, weeks + 1):
        start = plan.start + dt.timedelta(days=7 * (n - 1))
        if start > last:
            break
        end = start + dt.timedelta(days=6)
        in_week = [s for s in slots if s[0] == n]
        closed = sorted({(day, why) for _, day, _, why in in_week if why})
        out.append(
            PlanWeek(
                week=n,
                start=start,
                end=end,
                regular_minutes=sum(minutes for _, _, minutes, _ in in_week),
                scheduled_minutes=sum(minutes for _, _, minutes, why in in_week if not why),
                closures=tuple(closed),
                partial=end > last,
            )
        )
    if memo is not None:
        memo[id(plan)] = (records, plan, out)
        return list(out)
    return out


def expected(records: Records, participant: Participant, plan: Plan, session_key: str, day: dt.date) -> bool:
    """Whether the participant's plan puts them in this session on this day."""
    if not participant.admitted_on(day) or not (plan.start <= day <= plan_end(records, plan)):
        return False
    week = plan_week_of(plan, day)
    for session in records.timetable(plan):
        if session.key == session_key and day.weekday() in session.weekdays:
            return runs_in_week(session, day, week)
    return False


def roster(records: Records, session_key: str, day: dt.date) -> list[str]:
    """Participant ids expected at a session on a day, sorted.

    A participant on hold (or only referred) is left off: their status says they are not coming.
    """
    out = []
    for pid, plan in sorted(records.plans.items()):
        participant = records.participants.get(pid)
        if participant is None or participant.status in NOT_ATTENDING:
            continue
        if expected(records, participant, plan, session_key, day):
            out.append(pid)
    return out


def program_occurrences(records: Records, first: dt.date, last: dt.date, include_closed: bool = False
                        ) -> list[tuple[Occurrence, list[str]]]:
    """Every track session between two dates, and every extra session someone is expected
    at, with its roster, sorted by start. A track session runs even with an empty roster."""
    program = records.program
    if program is None:
        return []
    sessions = [s for t in program.tracks.values() for s in t.sessions]
    sessions += [s for _, p in sorted(records.plans.items()) for s in p.extra_sessions]
    out = []
    day = first
    while day <= last:
        for session in sessions:
            if day.weekday() not in session.weekdays:
                continue
            # An extra session's weeks count from its plan, so only its roster can tell.
            if not session.extra and not runs_in_week(session, day):
                continue
            names = roster(records, session.key, day)
            if session.extra and not names:
                continue
            occ = occurrence(program, session, day)
            if include_closed or occ.closed is None:
                out.append((occ, names))
        day += DAY
    return sorted(out, key=lambda item: (item[0].start, item[0].key))
