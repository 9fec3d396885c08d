"""IOP010: references to things that do not exist."""
from __future__ import annotations

from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from iopctl import schedule
from iopctl.checks import Context, check
from iopctl.findings import ERROR, Finding
from iopctl.model import Records, Src
from iopctl.schemas import did_you_mean


def _missing(src: Src, path: tuple, what: str, value: str, known) -> Finding:
    return src.doc.finding("IOP010", ERROR, f"{what} `{value}` does not exist{did_you_mean(value, known)}",
                           src.path + path)


@check("IOP010")
def references(records: Records, ctx: Context) -> Iterator[Finding]:
    program = records.program
    if program is None:
        return
    staff, tracks, resources = program.staff, program.tracks, program.resources
    psrc = program.src
    try:
        ZoneInfo(program.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield psrc.doc.finding("IOP010", ERROR, f"time zone `{program.timezone}` is not an IANA time zone "
                               "name like America/Chicago", ("program", "timezone"))
    if program.holiday_country and ctx.wants(psrc.doc.rel):  # loading the holiday tables takes 0.1 s
        problem = schedule.holiday_supported(program.holiday_country, program.holiday_subdivision)
        if problem:
            yield psrc.doc.finding("IOP010", ERROR, problem, ("holidays",))
    for track in tracks.values():
        for s in track.sessions:
            if s.facilitator and s.facilitator not in staff:
                yield _missing(s.src, ("facilitator",), "staff member", s.facilitator, staff)

    for pid, p in records.participants.items():
        if p.track not in tracks:
            yield _missing(p.src, ("track",), "track", p.track, tracks)
        if p.primary_counselor and p.primary_counselor not in staff:
            yield _missing(p.src, ("primary_counselor",), "staff member", p.primary_counselor, staff)

    for pid, plan in records.plans.items():
        src = plan.src
        if not records.exists("participant", pid):
            yield _missing(src, ("participant",), "participant", pid, records.participants)
        if plan.track and plan.track not in tracks:
            yield _missing(src, ("track",), "track", plan.track, tracks)
        track = records.plan_track(plan)
        if track:
            ids = [s.id for s in track.sessions]
            for i, sid in enumerate(plan.skip_sessions):
                if sid not in ids:
                    yield _missing(src, ("skip_sessions", i), f"session of track {track.id}", sid, ids)
        for sid, when in plan.signed_staff:
            if sid not in staff:
                i = [s for s, _ in plan.signed_staff].index(sid)
                yield _missing(src, ("signed", "staff", i, "id"), "staff member", sid, staff)
        for r in plan.reviews:
            if r.by not in staff:
                yield _missing(r.src, ("by",), "staff member", r.by, staff)
        for s in plan.extra_sessions:
            if s.facilitator and s.facilitator not in staff:
                yield _missing(s.src, ("facilitator",), "staff member", s.facilitator, staff)
        for problem in plan.problems:
            for goal in problem.goals:
                for i, iv in enumerate(goal.interventions):
                    if iv.get("staff") and iv["staff"] not in staff:
                        yield _missing(goal.src, ("interventions", i, "staff"), "staff member", iv["staff"], staff)
        for i, adj in enumerate(plan.adjustments):
            if adj.get("by") and adj["by"] not in staff:
                yield _missing(src, ("adjustments", i, "by"), "staff member", adj["by"], staff)
        if plan.aftercare:
            for i, rid in enumerate(plan.aftercare.resources):
                if rid not in resources:
                    yield _missing(plan.aftercare.src, ("resources", i), "resource", rid, resources)

    for pid, prog in records.progress.items():
        if not records.exists("participant", pid):
            yield _missing(prog.src, ("participant",), "participant", pid, records.participants)
        plan = records.plans.get(pid)
        if plan is None:
            if prog.objective_updates and not records.exists("plan", pid):
                yield prog.src.doc.finding("IOP010", ERROR, f"objective updates name a plan, but plans/{pid}.yaml "
                                           "does not exist", ("objective_updates",), key=True)
            continue
        known = [o.id for o in plan.objectives()]
        for u in prog.objective_updates:
            if u.objective not in known:
                yield _missing(u.src, ("objective",), "objective", u.objective, known)

    for log in records.sessions:
        if records.session_def(log.session) is None:
            known = [s.key for t in tracks.values() for s in t.sessions]
            yield _missing(log.src, ("session",), "session", log.session, known)
        if log.facilitator and log.facilitator not in staff:
            yield _missing(log.src, ("facilitator",), "staff member", log.facilitator, staff)
        for pid, entry in log.attendance.items():
            if not records.exists("participant", pid):
                yield log.src.doc.finding("IOP010", ERROR, f"participant `{pid}` does not exist",
                                          ("attendance", pid), key=True)
