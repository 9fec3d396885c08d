"""IOP011 (dates out of order) and IOP012 (status and dates disagree)."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from iopctl.checks import Context, check
from iopctl.findings import ERROR, Finding
from iopctl.model import Records, Src


def _order(src: Src, path: tuple, what: str, day: dt.date, rule: str, other: dt.date) -> Finding:
    return src.doc.finding("IOP011", ERROR, f"{what} {day} is {rule} {other}", src.path + path)


@check("IOP011")
def dates_in_order(records: Records, ctx: Context) -> Iterator[Finding]:
    if records.program:
        for c in records.program.closures:
            if c.end < c.start:
                yield _order(c.src, ("end",), "closure end", c.end, "before its start", c.start)
    for p in records.participants.values():
        if p.admitted and p.admitted < p.date_of_birth:
            yield _order(p.src, ("admitted",), "admission", p.admitted, "before the date of birth", p.date_of_birth)
        if p.admitted and p.discharged and p.discharged < p.admitted:
            yield _order(p.src, ("discharged",), "discharge", p.discharged, "before admission", p.admitted)
        for s in p.supports:
            if s.consent_signed and s.consent_expires and s.consent_expires < s.consent_signed:
                yield _order(s.src, ("consent", "expires"), "consent expiry", s.consent_expires,
                             "before it was signed", s.consent_signed)
    for pid, plan in records.plans.items():
        p = records.participants.get(pid)
        if p and p.admitted and plan.start < p.admitted:
            yield _order(plan.src, ("start",), "plan start", plan.start, "before admission", p.admitted)
        for r in plan.reviews:
            if r.date < plan.start:
                yield _order(r.src, ("date",), "review", r.date, "before the plan start", plan.start)
        for o in plan.objectives():
            if o.target_date < plan.start:
                yield _order(o.src, ("target_date",), "objective target date", o.target_date,
                             "before the plan start", plan.start)
        a = plan.aftercare
        if a and a.discharge_target and a.discharge_target < plan.start:
            yield _order(a.src, ("discharge_target",), "discharge target", a.discharge_target,
                         "before the plan start", plan.start)
        if a:
            for f in a.follow_ups:
                if f.date < plan.start:
                    yield _order(f.src, ("date",), "follow-up", f.date, "before the plan start", plan.start)


@check("IOP012")
def status_matches_dates(records: Records, ctx: Context) -> Iterator[Finding]:
    for p in records.participants.values():
        left = p.status in ("discharged", "withdrawn")
        if p.discharged and not left:
            yield p.src.doc.finding("IOP012", ERROR, f"status is {p.status} but a discharge date is set; set "
                                    "status to discharged or withdrawn, or remove `discharged`", ("discharged",))
        if p.discharge_reason and not left:
            yield p.src.doc.finding("IOP012", ERROR, f"status is {p.status} but a discharge_reason is set",
                                    ("discharge_reason",))
        if p.status == "referred" and p.admitted and p.admitted <= ctx.as_of:
            yield p.src.doc.finding("IOP012", ERROR, f"status is referred but admitted is {p.admitted}; "
                                    "set status to active", ("status",))
