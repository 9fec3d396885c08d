"""IOP050: attendance for someone not admitted that day, or minutes above the session's length."""
from __future__ import annotations

from typing import Iterator

from iopctl.checks import Context, check
from iopctl.findings import ERROR, Finding
from iopctl.model import Records


@check("IOP050")
def attendance(records: Records, ctx: Context) -> Iterator[Finding]:
    for log in records.sessions:
        definition = records.session_def(log.session)
        length = log.minutes or (definition.minutes if definition else None)
        for pid, entry in log.attendance.items():
            p = records.participants.get(pid)
            if p is not None and not p.admitted_on(log.date):
                if p.admitted is None or log.date < p.admitted:
                    why = f"admitted {p.admitted}" if p.admitted else "not admitted"
                else:
                    why = f"discharged {p.discharged}"
                yield log.src.doc.finding("IOP050", ERROR, f"`{pid}` is recorded on {log.date} but was not in the "
                                          f"program that day ({why})", ("attendance", pid), key=True)
            if length is not None and entry.minutes is not None and entry.minutes > length:
                yield log.src.doc.finding("IOP050", ERROR, f"`{pid}` attended {entry.minutes} minutes of a "
                                          f"{length}-minute session", ("attendance", pid, "minutes"))
