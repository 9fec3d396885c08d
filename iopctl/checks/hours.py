"""IOP020-IOP022: weekly hours against the level of care, per plan week.

Reported on the plan file at its `start` line, naming plan weeks and dates.
Hours are compared as whole minutes, so 9 hours of 20-minute sessions meet
a 9-hour floor exactly.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from iopctl import levels, schedule
from iopctl.checks import Context, check
from iopctl.findings import ERROR, WARNING, Finding
from iopctl.model import Plan, Records, Track
from iopctl.schedule import PlanWeek


def fmt_minutes(minutes: float) -> str:
    """Minutes as hours for a message: 540 -> '9', 630 -> '10.5', 410 -> '6.83'."""
    return f"{round(minutes / 60, 2):g}"


def _weeks_text(weeks: list[PlanWeek]) -> str:
    """'weeks 1-3, 5 (2026-11-02 to 2026-11-22, 2026-11-30 to 2026-12-06)'."""
    runs: list[list[PlanWeek]] = []
    for w in weeks:
        if runs and runs[-1][-1].week == w.week - 1:
            runs[-1].append(w)
        else:
            runs.append([w])
    names = [f"{r[0].week}" if len(r) == 1 else f"{r[0].week}-{r[-1].week}" for r in runs]
    dates = [f"{r[0].start} to {r[-1].end}" for r in runs]
    label = "week" if len(weeks) == 1 else "weeks"
    return f"{label} {', '.join(names)} ({', '.join(dates)})"


def closures_text(closures: tuple[tuple[dt.date, str], ...]) -> str:
    """Closed days, consecutive days with one reason joined: '2026-12-28 to 2026-12-31 Winter break'."""
    runs: list[list] = []  # [first, last, reason]
    for day, reason in closures:
        if runs and runs[-1][2] == reason and (day - runs[-1][1]).days == 1:
            runs[-1][1] = day
        else:
            runs.append([day, day, reason])
    return ", ".join(f"{a} {why}" if a == b else f"{a} to {b} {why}" for a, b, why in runs)


def _context(records: Records, plan: Plan) -> tuple[Track | None, levels.HoursRange | None]:
    track = records.plan_track(plan)
    if track is None or records.program is None:
        return None, None
    return track, levels.hours_for(track.level_of_care, track.population)


def _plans(records: Records, ctx: Context) -> Iterator[Plan]:
    """The plans whose findings are wanted (hours findings land on the plan file)."""
    return (plan for plan in records.plans.values() if ctx.wants(plan.src.doc.rel))


def _level(track: Track) -> str:
    return f"level {track.level_of_care} ({track.population})"


@check("IOP020")
def above_ceiling(records: Records, ctx: Context) -> Iterator[Finding]:
    for plan in _plans(records, ctx):
        track, rng = _context(records, plan)
        if not rng or rng.ceiling is None:
            continue
        ceiling = rng.ceiling * 60
        over = [w for w in schedule.plan_weeks(records, plan) if w.regular_minutes >= ceiling]
        if over:
            most = max(w.regular_minutes for w in over)
            yield plan.src.doc.finding(
                "IOP020", ERROR,
                f"{fmt_minutes(most)} hours planned in {_weeks_text(over)}; {_level(track)} "
                f"must stay under {fmt_minutes(ceiling)} hours a week",
                ("start",),
            )


@check("IOP021")
def below_floor(records: Records, ctx: Context) -> Iterator[Finding]:
    for plan in _plans(records, ctx):
        track, rng = _context(records, plan)
        if not rng or rng.floor is None:
            continue
        floor = rng.floor * 60
        weeks = schedule.plan_weeks(records, plan)
        total = records.plan_weeks(plan) or 0
        # The last two weeks may step down; a week cut short by discharge is not a regular week.
        under = [w for w in weeks if w.week <= total - 2 and not w.partial and w.regular_minutes < floor]
        if under:
            least = min(w.regular_minutes for w in under)
            yield plan.src.doc.finding(
                "IOP021", WARNING,
                f"only {fmt_minutes(least)} hours planned in {_weeks_text(under)}; {_level(track)} "
                f"needs at least {fmt_minutes(floor)} hours a week",
                ("start",),
            )


@check("IOP022")
def closure_weeks(records: Records, ctx: Context) -> Iterator[Finding]:
    for plan in _plans(records, ctx):
        track, rng = _context(records, plan)
        if not rng or rng.floor is None:
            continue
        floor = rng.floor * 60
        for w in schedule.plan_weeks(records, plan):
            if w.partial or w.regular_minutes < floor or w.scheduled_minutes >= floor:
                continue
            yield plan.src.doc.finding(
                "IOP022", WARNING,
                f"week {w.week} ({w.start} to {w.end}): closures ({closures_text(w.closures)}) leave "
                f"{fmt_minutes(w.scheduled_minutes)} of the {fmt_minutes(floor)} hours {_level(track)} needs",
                ("start",),
            )
