"""IOP040 (plan signatures), IOP041 (follow-up after discharge), IOP042 (consent)."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

from iopctl.checks import Context, check
from iopctl.findings import WARNING, Finding
from iopctl.model import Records


@check("IOP040")
def signed(records: Records, ctx: Context) -> Iterator[Finding]:
    for plan in records.plans.values():
        missing = []
        if plan.signed_participant is None:
            missing.append("the participant")
        if not plan.signed_staff:
            missing.append("a staff member")
        if missing:
            path = ("signed",) if plan.signed_written else ("participant",)
            yield plan.src.doc.finding("IOP040", WARNING, f"plan is not signed by {' and '.join(missing)}", path)


@check("IOP041")
def follow_up(records: Records, ctx: Context) -> Iterator[Finding]:
    for pid, p in records.participants.items():
        if p.status != "discharged" or p.discharged is None:
            continue
        plan = records.plans.get(pid)
        if plan is None:
            continue
        days = records.program.rules.followup_within_days if records.program else 7
        follow_ups = plan.aftercare.follow_ups if plan.aftercare else []
        for f in follow_ups:
            if f.date == p.discharged:
                yield f.src.doc.finding("IOP041", WARNING, f"follow-up on the discharge day {f.date} does not "
                                        f"count; the first must fall 1 to {days} days after it", f.src.path + ("date",))
        window = [f for f in follow_ups if p.discharged < f.date <= p.discharged + dt.timedelta(days=days)]
        if not window:
            where = ("aftercare", "follow_ups") if follow_ups else (("aftercare",) if plan.aftercare else ("start",))
            yield plan.src.doc.finding(
                "IOP041", WARNING,
                f"discharged on {p.discharged} with no aftercare follow-up within {days} days after "
                f"(by {p.discharged + dt.timedelta(days=days)})",
                where,
            )


@check("IOP042")
def consent(records: Records, ctx: Context) -> Iterator[Finding]:
    for pid, p in records.participants.items():
        on = min(ctx.as_of, p.discharged) if p.discharged else ctx.as_of
        for s in p.supports:
            if "family-sessions" in s.involvement and not s.consent_valid_on(on):
                state = "has expired" if s.consent_expires and s.consent_expires < on else "is missing"
                yield s.src.doc.finding("IOP042", WARNING, f"support `{s.id}` takes part in family sessions but "
                                        f"written consent {state} (42 CFR 2.31)", s.src.path + ("involvement",))
    for log in records.sessions:
        definition = records.session_def(log.session)
        if log.status != "held" or definition is None or definition.kind != "family":
            continue
        for pid, entry in log.attendance.items():
            p = records.participants.get(pid)
            if p is None or not entry.attended:
                continue
            if not any(s.consent_valid_on(log.date) for s in p.supports):
                yield log.src.doc.finding("IOP042", WARNING, f"`{pid}` attended a family session on {log.date} "
                                          "with no support person's unexpired consent on file",
                                          ("attendance", pid), key=True)
