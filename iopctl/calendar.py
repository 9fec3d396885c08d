"""Session calendars: a participant's plan, or the whole program over a date range.

`participant_calendar` and `program_calendar` build the rows from the
schedule expansion (schedule.py); `*_table`, `*_csv_rows`, `*_json` and
`*_ics` render them. Rendering is deterministic: the same records give the
same bytes (no "now", no random ids). The formats are documented in
docs/calendar.md.
"""
from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass, field
from typing import Any, Sequence

from iopctl import levels, schedule
from iopctl.model import Participant, Plan, Program, Records, Track
from iopctl.schemas import did_you_mean

FOLLOW_UP = "follow-up"  # kind of an aftercare appointment in a participant's calendar
WIDTH = 80  # tables fit a normal terminal
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
INDENT = " " * 4  # free lines of a participant's table start under its date column
# The keys of one session in `--format json` and the columns of `--format csv`, in order.
FIELDS = ("date", "start", "end", "minutes", "session", "title", "kind", "location", "facilitator")


class CalendarError(Exception):
    """A calendar that cannot be built from these records (unknown participant, no plan)."""


@dataclass(frozen=True)
class Entry:
    """One row of a calendar: a dated session, or an aftercare follow-up."""

    date: dt.date
    start: dt.datetime | None  # aware, program time zone; None: a follow-up without a time
    end: dt.datetime | None  # None for follow-ups: their length is not recorded
    minutes: int | None
    session: str  # <track>/<id>, <participant>/<id>, or <participant>/follow-up
    title: str
    kind: str
    location: str | None
    facilitator: str | None  # staff id; for a follow-up, who it is with
    week: int | None = None  # plan week (participant calendars; None for follow-ups)
    participants: tuple[str, ...] = ()  # roster (program calendars)
    uid: str = ""  # the ics UID before its @domain: stable across runs, unique in its calendar
    facilitator_name: str | None = None  # for ics descriptions
    phone: str | None = None  # a follow-up's phone, for ics descriptions
    note: str | None = None  # a follow-up's own kind (psychiatry, peer support ...)

    @property
    def sort_key(self) -> tuple:
        # A follow-up without a time sorts first on its day, as all-day events do.
        start = self.start or dt.datetime.combine(self.date, dt.time(0), tzinfo=dt.timezone.utc)
        return (self.date, start, self.session)

    def as_dict(self, week: bool = True, participants: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "date": self.date.isoformat(),
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "minutes": self.minutes,
            "session": self.session,
            "title": self.title,
            "kind": self.kind,
            "location": self.location,
            "facilitator": self.facilitator,
        }
        if week:
            data["week"] = self.week
        if participants:
            data["participants"] = list(self.participants)
        return data


@dataclass
class ParticipantCalendar:
    participant: Participant
    plan: Plan
    track: Track
    program: Program
    first: dt.date | None  # --from, None: the whole plan
    last: dt.date | None  # --to
    entries: list[Entry]  # sessions and follow-ups in the range, sorted by start
    weeks: list[schedule.PlanWeek]  # plan weeks overlapping the range
    closed: list[tuple[dt.date, str]]  # closed days in the range that took one of the plan's sessions
    floor_minutes: float | None  # the level of care's weekly floor, if it has one
    plan_end: dt.date = field(default=dt.date.min)  # last day of sessions (plan's end, or discharge)
    plan_weeks: int = 0


@dataclass
class ProgramCalendar:
    program: Program
    first: dt.date
    last: dt.date
    entries: list[Entry]
    closed: list[tuple[dt.date, str]]  # closed days in the range that took a session


# -- building ----------------------------------------------------------------


def _in_range(day: dt.date, first: dt.date | None, last: dt.date | None) -> bool:
    return (first is None or day >= first) and (last is None or day <= last)


def _session_entry(program: Program, occ: schedule.Occurrence, participants: Sequence[str] = (),
                   uid_prefix: str = "") -> Entry:
    s = occ.session
    staff = program.staff.get(s.facilitator) if s.facilitator else None
    return Entry(
        date=occ.date, start=occ.start, end=occ.end, minutes=s.minutes, session=s.key, title=s.title,
        kind=s.kind, location=s.location, facilitator=s.facilitator, week=occ.week,
        participants=tuple(participants), uid=f"{uid_prefix}{s.owner}.{s.id}.{occ.date:%Y%m%d}",
        facilitator_name=staff.name if staff else None,
    )


def _follow_up_entries(program: Program, plan: Plan) -> list[Entry]:
    if plan.aftercare is None:
        return []
    zone = schedule.tz(program)
    out = []
    seen: set[str] = set()
    for f in plan.aftercare.follow_ups:
        start = None
        uid = f"{plan.participant}.{FOLLOW_UP}.{f.date:%Y%m%d}"
        if f.time is not None:
            start = dt.datetime.combine(f.date, f.time, tzinfo=zone).astimezone(schedule.UTC).astimezone(zone)
            uid += f"T{f.time:%H%M}"
        base, n = uid, 1
        while uid in seen:  # two appointments at the same time: the second gets -2
            n += 1
            uid = f"{base}-{n}"
        seen.add(uid)
        out.append(Entry(
            date=f.date, start=start, end=None, minutes=None, session=f"{plan.participant}/{FOLLOW_UP}",
            title=f"Follow-up: {f.kind}" if f.kind else "Follow-up", kind=FOLLOW_UP, location=f.address,
            facilitator=f.with_, uid=uid, facilitator_name=f.with_,
            phone=f.phone, note=f.kind,
        ))
    return out


def unknown_participant(records: Records, pid: str) -> str:
    known = sorted(records.present.get("participant", set()) | set(records.participants))
    return f"no participant `{pid}` in this records repository{did_you_mean(pid, known)}"


def participant_calendar(records: Records, pid: str, first: dt.date | None = None,
                         last: dt.date | None = None) -> ParticipantCalendar:
    """A participant's sessions (and aftercare follow-ups) between two dates, default the whole plan."""
    participant = records.participants.get(pid)
    if participant is None or records.program is None:
        raise CalendarError(unknown_participant(records, pid))
    plan = records.plans.get(pid)
    if plan is None:
        raise CalendarError(f"participant `{pid}` has no plan (plans/{pid}.yaml), so no sessions to show")
    track = records.plan_track(plan)
    if track is None:
        raise CalendarError(f"the plan of `{pid}` names no track that program.yaml has")
    program = records.program
    occurrences = schedule.plan_occurrences(records, plan, include_closed=True)
    entries = [_session_entry(program, o, uid_prefix=f"{pid}.") for o in occurrences
               if o.closed is None and _in_range(o.date, first, last)]
    entries += [e for e in _follow_up_entries(program, plan) if _in_range(e.date, first, last)]
    closed = sorted({(o.date, o.closed) for o in occurrences if o.closed and _in_range(o.date, first, last)})
    weeks = [w for w in schedule.plan_weeks(records, plan)
             if (last is None or w.start <= last) and (first is None or w.end >= first)]
    rng = levels.hours_for(track.level_of_care, track.population)
    return ParticipantCalendar(
        participant=participant, plan=plan, track=track, program=program, first=first, last=last,
        entries=sorted(entries, key=lambda e: e.sort_key), weeks=weeks, closed=closed,
        floor_minutes=rng.floor * 60 if rng and rng.floor is not None else None,
        plan_end=schedule.plan_end(records, plan),
        plan_weeks=records.plan_weeks(plan) or 0,
    )


def program_calendar(records: Records, first: dt.date, last: dt.date) -> ProgramCalendar:
    """Every session between two dates with the participants expected there."""
    if records.program is None:
        raise CalendarError("program.yaml did not load")
    program = records.program
    found = schedule.program_occurrences(records, first, last, include_closed=True)
    entries = [_session_entry(program, occ, names) for occ, names in found if occ.closed is None]
    closed = sorted({(occ.date, occ.closed) for occ, _ in found if occ.closed})
    return ProgramCalendar(program, first, last, sorted(entries, key=lambda e: e.sort_key), closed)


def default_week(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the week holding `day`: the program view's default range."""
    monday = schedule.monday(day)
    return monday, monday + dt.timedelta(days=6)


# -- json and csv ------------------------------------------------------------


def participant_json(cal: ParticipantCalendar) -> dict[str, Any]:
    """{"participant": ID, "sessions": [...]}, the shape documented in docs/calendar.md."""
    return {"participant": cal.participant.id, "sessions": [e.as_dict() for e in cal.entries]}


def program_json(cal: ProgramCalendar) -> dict[str, Any]:
    return {
        "program": cal.program.id,
        "from": cal.first.isoformat(),
        "to": cal.last.isoformat(),
        "timezone": cal.program.timezone,
        "sessions": [e.as_dict(week=False, participants=True) for e in cal.entries],
        "closed": [{"date": day.isoformat(), "reason": why} for day, why in cal.closed],
    }


def participant_csv_rows(cal: ParticipantCalendar) -> tuple[list[str], list[list[Any]]]:
    header = [*FIELDS, "week"]
    return header, [[e.as_dict()[k] for k in header] for e in cal.entries]


def program_csv_rows(cal: ProgramCalendar) -> tuple[list[str], list[list[Any]]]:
    header = [*FIELDS, "participants"]
    rows = [[*(e.as_dict(week=False)[k] for k in FIELDS), " ".join(e.participants)] for e in cal.entries]
    return header, rows


# -- table -------------------------------------------------------------------


def fmt_length(minutes: float | None) -> str:
    """90 -> '1h30', 180 -> '3h', 50 -> '50m'."""
    if minutes is None:
        return ""
    h, m = divmod(int(round(minutes)), 60)
    if h == 0:
        return f"{m}m" if m else "0h"
    return f"{h}h{m:02d}" if m else f"{h}h"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "\u2026"


def _fit(widths: list[int], flexible: Sequence[tuple[int, int]], limit: int, gap: int) -> list[int]:
    """Narrow flexible columns until a row fits `limit`: each (column, minimum) in turn down to its
    minimum, then the widest of them down to 6 characters."""
    widths = list(widths)

    def over() -> int:
        return sum(widths) + gap * (len(widths) - 1) - limit

    for col, least in flexible:
        widths[col] -= max(0, min(over(), widths[col] - least))
    cols = [c for c, _ in flexible]
    while over() > 0 and cols:
        col = max(cols, key=lambda i: (widths[i], -i))
        if widths[col] <= 6:
            break
        widths[col] -= 1
    return widths


class FixedTable:
    """Rows in aligned columns, with free lines (totals, closures) between them."""

    def __init__(self, header: Sequence[str], flexible: Sequence[tuple[int, int]], gap: int = 2):
        self.header = list(header)
        self.flexible = list(flexible)
        self.gap = gap
        self.items: list[tuple[str, Any]] = []

    def row(self, cells: Sequence[Any]) -> None:
        self.items.append(("row", ["" if c is None else str(c) for c in cells]))

    def line(self, text: str) -> None:
        self.items.append(("line", text))

    def render(self, width: int = WIDTH) -> str:
        rows = [cells for kind, cells in self.items if kind == "row"]
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(self.header)]
        widths = _fit(widths, self.flexible, width, self.gap)
        sep = " " * self.gap

        def fmt(cells: Sequence[str]) -> str:
            return sep.join(_clip(c, w).ljust(w) for c, w in zip(cells, widths)).rstrip()

        out = [fmt(self.header), sep.join("-" * w for w in widths)]
        for kind, value in self.items:
            out.append(fmt(value) if kind == "row" else value)
        return "\n".join(out) + "\n"


def wrap_parts(parts: Sequence[str], width: int, sep: str = "; ") -> list[str]:
    """Join parts with sep into lines of at most `width`, breaking between parts where it can
    (so a phone number is not split), and inside a part only when it is too long by itself."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
            continue
        if lines:
            lines[-1] += sep.rstrip()
        lines.extend([part] if len(part) <= width else textwrap.wrap(part, width))
    return lines


def _time(e: Entry) -> str:
    return e.start.strftime("%H:%M") if e.start else "all day"


def _under(minutes: float, floor: float | None) -> bool:
    return floor is not None and minutes < floor


def participant_table(cal: ParticipantCalendar, color: bool = False) -> str:
    p, plan, track = cal.participant, cal.plan, cal.track
    rng = levels.hours_for(track.level_of_care, track.population)
    hours = ""
    if rng and rng.floor is not None and rng.ceiling is not None:
        hours = f", {fmt_length(rng.floor * 60)} to under {fmt_length(rng.ceiling * 60)} a week"
    elif rng and rng.ceiling is not None:
        hours = f", under {fmt_length(rng.ceiling * 60)} a week"
    elif rng and rng.floor is not None:
        hours = f", {fmt_length(rng.floor * 60)} or more a week"
    head = [
        f"{p.id} {p.preferred_name}: {track.name}, level {track.level_of_care} ({track.population}){hours}",
        f"plan {plan.start} to {cal.plan_end} ({cal.plan_weeks} weeks"
        + (f", discharged {p.discharged})" if p.discharged and p.discharged == cal.plan_end else ")")
        + f"; times in {cal.program.timezone}",
    ]
    if cal.first or cal.last:
        head.append(f"showing {cal.first or 'the start'} to {cal.last or 'the end'}")
    # Short headers (wk, len, staff) so that the nine columns fit 80 characters; free lines
    # (closures, week totals, follow-up details) start under the date column.
    table = FixedTable(["wk", "date", "day", "time", "len", "title", "kind", "location", "staff"],
                       flexible=[(8, 7), (7, 8), (6, 10), (5, 13)])
    sessions = [e for e in cal.entries if e.kind != FOLLOW_UP]
    follow_ups = [e for e in cal.entries if e.kind == FOLLOW_UP]
    for w in cal.weeks:
        events: list[tuple[dt.date, int, Any]] = [(e.date, 1, e) for e in sessions if e.week == w.week]
        events += [(day, 0, why) for day, why in cal.closed if w.start <= day <= w.end]
        for day, order, item in sorted(events, key=lambda x: (x[0], x[1], x[2].sort_key if x[1] else 0)):
            if order == 0:
                table.line(f"{INDENT}{day}  {WEEKDAY_NAMES[day.weekday()]}  closed: {item}")
            else:
                table.row([w.week, item.date, WEEKDAY_NAMES[item.date.weekday()], _time(item),
                           fmt_length(item.minutes), item.title, item.kind, item.location, item.facilitator])
        end = min(w.end, cal.plan_end)  # a week cut short by discharge shows its real end
        total = f"{INDENT}week {w.week} ({w.start} to {end}): {fmt_length(w.scheduled_minutes)}"
        if _under(w.scheduled_minutes, cal.floor_minutes):
            mark = f"! under the {fmt_length(cal.floor_minutes)} floor"
            total += "  " + (f"\033[1;31m{mark}\033[0m" if color else mark)
        table.line(total)
    for e in follow_ups:  # who and where go on a line of their own: they are too long for columns
        table.row(["-", e.date, WEEKDAY_NAMES[e.date.weekday()], _time(e), "", "Follow-up", e.kind, "", ""])
        who = " ".join(x for x in (e.note, f"with {e.facilitator}") if x)
        for text in wrap_parts([x for x in (who, e.location, e.phone) if x], WIDTH - len(INDENT)):
            table.line(INDENT + text)
    if not cal.entries and not cal.closed and not cal.weeks:
        table.line(f"{INDENT}(no sessions in this range)")
    return "\n".join(head) + "\n\n" + table.render()


def program_table(cal: ProgramCalendar) -> str:
    head = [
        f"{cal.program.name}: sessions {cal.first} to {cal.last}; times in {cal.program.timezone}",
    ]
    table = FixedTable(["date", "day", "time", "len", "title", "kind", "location", "staff"],
                       flexible=[(7, 7), (6, 8), (5, 10), (4, 13)])
    events: list[tuple[dt.date, int, Any]] = [(e.date, 1, e) for e in cal.entries]
    events += [(day, 0, why) for day, why in cal.closed]
    indent = " " * 12
    for day, order, item in sorted(events, key=lambda x: (x[0], x[1], x[2].sort_key if x[1] else 0)):
        if order == 0:
            table.line(f"{day}  {WEEKDAY_NAMES[day.weekday()]}  closed: {item}")
            continue
        e = item
        table.row([e.date, WEEKDAY_NAMES[e.date.weekday()], _time(e), fmt_length(e.minutes), e.title, e.kind,
                   e.location, e.facilitator])
        who = f"participants ({len(e.participants)}): " + (" ".join(e.participants) or "none expected")
        for text in textwrap.wrap(who, WIDTH - len(indent), subsequent_indent="  "):
            table.line(indent + text)
    if not events:
        table.line("(no sessions in this range)")
    return "\n".join(head) + "\n\n" + table.render()


# -- ics ---------------------------------------------------------------------


def _uid(program: Program, e: Entry) -> str:
    # Ids cannot hold a dot, so dots keep the parts apart: P0001.adult-evening.process-group.20261102
    return f"{e.uid}@{program.id}.iopctl"


def _ics(program: Program, name: str, entries: list[Entry], stamp: dt.datetime,
         descriptions: dict[int, str], fallback: dt.date) -> bytes:
    from icalendar import Calendar, Event, Timezone

    cal = Calendar()
    cal.add("prodid", "-//iopctl//session calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", program.timezone)
    zone = schedule.tz(program)
    # VTIMEZONE transitions for the years the events span (not icalendar's default 1970-2038, which
    # is long). Always present, so that a range without sessions is still a valid calendar.
    years = [e.date.year for e in entries] or [fallback.year]
    cal.add_component(Timezone.from_tzid(zone.key, first_date=dt.date(min(years), 1, 1),
                                         last_date=dt.date(max(years) + 1, 1, 1)))
    for i, e in enumerate(entries):
        ev = Event()
        ev.add("uid", _uid(program, e))
        ev.add("dtstamp", stamp)
        if e.start is not None:
            ev.add("dtstart", e.start.astimezone(zone))
        else:
            ev.add("dtstart", e.date)  # an all-day follow-up
        if e.end is not None:
            ev.add("dtend", e.end.astimezone(zone))
        ev.add("summary", e.title)
        if e.location:
            ev.add("location", e.location)
        if descriptions.get(i):
            ev.add("description", descriptions[i])
        cal.add_component(ev)
    return cal.to_ical()


def _midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.timezone.utc)


def participant_ics(cal: ParticipantCalendar) -> bytes:
    """The participant's own calendar: titles, times, rooms and who runs them; nothing clinical.

    DTSTAMP is the plan's start at 00:00 UTC, so the same records give the same bytes.
    """
    descriptions = {}
    for i, e in enumerate(cal.entries):
        parts = []
        if e.facilitator_name:
            parts.append(f"With {e.facilitator_name}")
        if e.phone:
            parts.append(f"Phone {e.phone}")
        descriptions[i] = "\n".join(parts)
    name = f"{cal.program.name}: {cal.participant.preferred_name}"
    return _ics(cal.program, name, cal.entries, _midnight_utc(cal.plan.start), descriptions,
                cal.first or cal.plan.start)


def program_ics(cal: ProgramCalendar) -> bytes:
    """The staff calendar: each session with the ids (never names) of the participants expected.

    DTSTAMP is the range's first day at 00:00 UTC.
    """
    descriptions = {}
    for i, e in enumerate(cal.entries):
        parts = [f"Participants ({len(e.participants)}): {' '.join(e.participants) or 'none expected'}"]
        if e.facilitator_name:
            parts.append(f"Facilitator: {e.facilitator_name}")
        descriptions[i] = "\n".join(parts)
    name = f"{cal.program.name}: sessions {cal.first} to {cal.last}"
    return _ics(cal.program, name, cal.entries, _midnight_utc(cal.first), descriptions, cal.first)
