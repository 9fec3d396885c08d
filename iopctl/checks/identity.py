"""IOP003 (file name and id) and IOP004 (duplicate ids)."""
from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath
from typing import Iterable, Iterator

from iopctl.checks import Context, check
from iopctl.findings import ERROR, Finding
from iopctl.model import Participant, Plan, Progress, Records, Src


def _stem(src: Src) -> str:
    return PurePosixPath(src.doc.rel).stem


def _tables(records: Records) -> dict[str, dict]:
    return {"participant": records.participants, "plan": records.plans, "progress": records.progress}


def _id_field(rec: Participant | Plan | Progress) -> str:
    return "id" if rec.src.doc.kind == "participant" else "participant"


@check("IOP003")
def file_names(records: Records, ctx: Context) -> Iterator[Finding]:
    tables = _tables(records)
    for rec in [r for table in tables.values() for r in table.values()] + records.shadowed:
        field = _id_field(rec)
        key = getattr(rec, field)
        if _stem(rec.src) == key:
            continue
        holder = tables[rec.src.doc.kind][key]
        if holder is not rec:  # a copied file: naming it after its id would clobber the holder
            yield rec.src.doc.finding("IOP003", ERROR, f"{field} `{key}` differs from the file name, and "
                                      f"{holder.src.doc.rel} holds `{key}` already", (field,))
        else:
            yield rec.src.doc.finding("IOP003", ERROR, f"{field} `{key}` differs from the file "
                                      f"name; name the file {key}.yaml", (field,))
    for log in records.sessions:
        rel = PurePosixPath(log.src.doc.rel)
        day = log.date.isoformat()
        if rel.parent.name != day[:7]:
            yield log.src.doc.finding("IOP003", ERROR, f"a session dated {day} belongs in sessions/{day[:7]}/",
                                      ("date",))
        elif not rel.name.startswith(day):
            yield log.src.doc.finding("IOP003", ERROR, f"the file name must start with the session date {day}",
                                      ("date",))


def _dupes(ids: Iterable[str]) -> set[str]:
    return {i for i, n in Counter(ids).items() if n > 1}


def _dupe_findings(items: list, what: str, id_of=lambda x: x.id) -> Iterator[Finding]:
    dupes = _dupes(id_of(x) for x in items)
    seen: set[str] = set()
    for item in items:
        i = id_of(item)
        if i in dupes:
            if i in seen:
                yield item.src.doc.finding("IOP004", ERROR, f"{what} id `{i}` is used twice", item.src.path + ("id",))
            seen.add(i)


@check("IOP004")
def duplicate_ids(records: Records, ctx: Context) -> Iterator[Finding]:
    program = records.program
    if program is not None:
        doc = program.src.doc
        for section, what in (("tracks", "track"), ("staff", "staff"), ("resources", "resource")):
            ids = [x.get("id") for x in doc.data.get(section) or []]
            for i, x in enumerate(ids):
                if x in ids[:i]:
                    yield doc.finding("IOP004", ERROR, f"{what} id `{x}` is used twice", (section, i, "id"))
        for track in program.tracks.values():
            yield from _dupe_findings(track.sessions, f"session (track {track.id})")
    for p in records.participants.values():
        yield from _dupe_findings(p.supports, "support")
    for plan in records.plans.values():
        yield from _dupe_findings(plan.problems, "problem")
        yield from _dupe_findings([g for p in plan.problems for g in p.goals], "goal")
        yield from _dupe_findings(plan.objectives(), "objective")
        yield from _dupe_findings(plan.extra_sessions, "extra session")
    tables = _tables(records)
    for rec in records.shadowed:  # two files of one name (P0001.yaml and P0001.yml)
        field = _id_field(rec)
        key = getattr(rec, field)
        if _stem(rec.src) == key:
            holder = tables[rec.src.doc.kind][key]
            yield rec.src.doc.finding("IOP004", ERROR, f"{rec.src.doc.kind} `{key}` is also recorded in "
                                      f"{holder.src.doc.rel}", (field,))
    by_slot: dict[tuple, list] = {}
    for log in records.sessions:
        by_slot.setdefault((log.session, log.date), []).append(log)
    for (key, day), logs in sorted(by_slot.items()):
        first, *others = sorted(logs, key=lambda x: x.src.doc.rel)
        for log in others:
            yield log.src.doc.finding("IOP004", ERROR, f"session {key} on {day} is also recorded in "
                                      f"{first.src.doc.rel}", ("session",))
