"""IOP020-IOP022: weekly hours against the level of care, per plan week.

Reported on the plan file at its `start` line, naming plan weeks and dates.
"""
from __future__ import annotations

from typing import Iterator

from iopctl import levels, schedule
from iopctl.checks import Context, check
from iopctl.findings import ERROR, WARNING, Finding
from iopctl.levels import fmt_hours
from iopctl.model import Plan, Records
from iopctl.schedule import PlanWeek


def _weeks_text(weeks: list[PlanWeek]) -> str:
    """'weeks 1-3 and 5 (2026-11-02 to 2026-11-22, 2026-11-30 to 2026-12-06)'."""
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


def _context(records: Records, plan: Plan):
    track = records.plan_track(plan)
    if track is None or records.program is None:
        return None, None
    rng = levels.hours_for(track.level_of_care, track.population)
    return track, rng


@check("IOP020")
def above_ceiling(records: Records, ctx: Context) -> Iterator[Finding]:
    for plan in records.plans.values():
        track, rng = _context(records, plan)
        if not rng or rng.ceiling is None:
            continue
        over = [w for w in schedule.plan_weeks(records, plan) if w.regular_hours >= rng.ceiling]
        if over:
            most = max(w.regular_hours for w in over)
            yield plan.src.doc.finding(
                "IOP020", ERROR,
                f"{fmt_hours(most)} hours planned in {_weeks_text(over)}; level {track.level_of_care} "
                f"({track.population}) must stay under {fmt_hours(rng.ceiling)} hours a week",
                ("start",),
            )


@check("IOP021")
def below_floor(records: Records, ctx: Context) -> Iterator[Finding]:
    for plan in records.plans.values():
        track, rng = _context(records, plan)
        if not rng or rng.floor is None:
            continue
        weeks = schedule.plan_weeks(records, plan)
        total = records.plan_weeks(plan) or 0
        # The last two weeks may step down; a week cut short by discharge is not a regular week.
        under = [w for w in weeks if w.week <= total - 2 and not w.partial and w.regular_hours < rng.floor]
        if under:
            least = min(w.regular_hours for w in under)
            yield plan.src.doc.finding(
                "IOP021", WARNING,
                f"only {fmt_hours(least)} hours planned in {_weeks_text(under)}; level {track.level_of_care} "
                f"({track.population}) needs at least {fmt_hours(rng.floor)} hours a week",
                ("start",),
            )


@check("IOP022")
def closure_weeks(records: Records, ctx: Context) -> Iterator[Finding]:
    for plan in records.plans.values():
        track, rng = _context(records, plan)
        if not rng or rng.floor is None:
            continue
        for w in schedule.plan_weeks(records, plan):
            if w.partial or w.regular_hours < rng.floor or w.scheduled_hours >= rng.floor:
                continue
            closed = ", ".join(f"{day} {reason}" for day, reason in w.closures)
            yield plan.src.doc.finding(
                "IOP022", WARNING,
                f"week {w.week} ({w.start} to {w.end}): closures ({closed}) leave "
                f"{fmt_hours(w.scheduled_hours)} of the {fmt_hours(rng.floor)} hours level "
                f"{track.level_of_care} needs",
                ("start",),
            )
