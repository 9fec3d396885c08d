"""De-identified export of the caseload's progress (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)).

What leaves the program is counts, rates and scores per participant, keyed
by a keyed hash of the participant id. Everything else is dropped on
purpose, not forgotten:

- names (participant, supports, staff), phone numbers, addresses: never written;
- dates: only the year of admission, discharge and each assessment; no
  report date beyond its year, no durations in days (with an exact report
  date they would give the admission date back);
- age at admission, 90 and over as "90+"; no year of birth;
- free text (statements, notes, topics, milestones, strengths, needs) can
  hold any identifier, so none of it is exported; diagnoses, language,
  pronouns, counselor and medications are not needed for progress counts
  (minimum necessary) and are left out too;
- participant ids become HMAC-SHA256(key, "<program id>/<participant id>"):
  stable across exports made with the same key, not reversible without it.
  Rows are sorted by that hash, so their order says nothing about the ids.

Every export carries the 42 CFR 2.32 notice (`DISCLOSURE_NOTICE`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from iopctl import atomic, output, progress
from iopctl.instruments import INSTRUMENTS
from iopctl.model import Participant, Records

# 42 CFR 2.32(a)(2) (as amended in 2024): the short statement that must accompany
# a disclosure of Part 2 records. Shared by every output meant for someone outside
# the care team (export, reports run with --for-disclosure).
DISCLOSURE_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."

ENV_KEY = "IOPCTL_EXPORT_KEY"
MIN_KEY_BYTES = 16
AGE_CAP = 90  # Safe Harbor: ages over 89 are one category, "90+"

OBJECTIVE_STATUSES = ("met", "partially-met", "in-progress", "not-started", "not-met", "revised", "discontinued")
CSV_FILE = "progress.csv"
JSON_FILE = "progress.json"


class ExportError(Exception):
    """A problem with the key or the output folder (a usage error, exit 2)."""


# -- the key -----------------------------------------------------------------


def read_key(key_file: str | os.PathLike | None, environ: Mapping[str, str] = os.environ) -> bytes:
    """The HMAC key: the bytes of `key_file` (one trailing newline ignored), else $IOPCTL_EXPORT_KEY."""
    if key_file is not None:
        try:
            key = Path(key_file).read_bytes()
        except OSError as e:
            raise ExportError(f"cannot read the key file {key_file}: {e.strerror or type(e).__name__}") from None
        key = key.rstrip(b"\r\n")
        where = f"the key file {key_file}"
    else:
        key = environ.get(ENV_KEY, "").encode("utf-8")
        where = f"${ENV_KEY}"
        if not key:
            raise ExportError(f"no export key: pass --key-file FILE or set ${ENV_KEY} "
                              "(make one with: openssl rand -hex 32 > export.key)")
    if len(key) < MIN_KEY_BYTES:
        raise ExportError(f"{where} holds {len(key)} bytes; an export key needs at least {MIN_KEY_BYTES} "
                          "(make one with: openssl rand -hex 32 > export.key)")
    return key


def pseudonym(key: bytes, program_id: str, participant_id: str) -> str:
    """The keyed hash that replaces a participant id (hex HMAC-SHA256)."""
    return hmac.new(key, f"{program_id}/{participant_id}".encode("utf-8"), hashlib.sha256).hexdigest()


# -- what is exported --------------------------------------------------------


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def safe_age(born: dt.date, day: dt.date) -> int | str:
    """Age in whole years, with 90 and over as the one category "90+"."""
    age = age_on(born, day)
    return f"{AGE_CAP}+" if age >= AGE_CAP else age


def _attendance(pp: progress.ParticipantProgress) -> dict[str, Any]:
    a = pp.attendance
    return {
        "planned": a.planned,
        "recorded": a.recorded,
        "attended": a.attended,
        "excused": a.excused,
        "absent": a.absent,
        "unrecorded": a.unrecorded,
        "cancelled": a.cancelled,
        "rate": round(a.attended / a.planned, 4) if a.planned else None,  # as `iopctl progress` rounds it
        "hours_planned": round(pp.planned_minutes / 60, 2),
        "hours_attended": round(pp.attended_minutes / 60, 2),
    }


def _objectives(pp: progress.ParticipantProgress) -> dict[str, int]:
    out = {"total": len(pp.objectives), **{s.replace("-", "_"): 0 for s in OBJECTIVE_STATUSES}}
    for o in pp.objectives:
        out[o.status.replace("-", "_")] += 1
    out["overdue"] = len(pp.objectives_overdue)
    return out


def _instruments(pp: progress.ParticipantProgress) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, summary in pp.instruments.items():
        inst = INSTRUMENTS.get(name)
        scored = inst is not None and inst.maximum is not None  # BAM has no total score: count only
        out[name] = {
            "count": len(summary.series),
            "baseline": summary.baseline.score if scored else None,
            "baseline_year": summary.baseline.date.year,
            "latest": summary.latest.score if scored else None,
            "latest_year": summary.latest.date.year,
            "change": summary.change if scored else None,
        }
    return out


def participant_row(records: Records, p: Participant, key: bytes, as_of: dt.date) -> dict[str, Any]:
    """One participant's de-identified progress (the JSON shape; the CSV flattens it).

    The numbers are those of `iopctl progress` (iopctl.progress), so the two agree.
    """
    pp = progress.participant_progress(records, p.id, as_of)
    program = records.program
    return {
        "participant": pseudonym(key, program.id if program else "", p.id),
        "track": pp.track,
        "level_of_care": pp.level_of_care,
        "population": pp.population,
        "status": p.status,
        "discharge_reason": p.discharge_reason,
        "age_at_admission": safe_age(p.date_of_birth, p.admitted) if p.admitted else None,
        "admitted_year": p.admitted.year if p.admitted else None,
        "discharged_year": p.discharged.year if p.discharged else None,
        "plan_weeks": pp.plan_weeks,
        "attendance": _attendance(pp),
        "objectives": _objectives(pp),
        "screens": {"total": len(pp.screens), "positive": len(pp.positive_screens)},
        "milestones": len(pp.milestones),
        "flags": list(dict.fromkeys(f.code for f in pp.flags)),  # codes, most urgent first; the texts name dates
        "instruments": _instruments(pp),
    }


@dataclass
class Export:
    as_of_year: int
    participants: list[dict[str, Any]]

    def as_json_data(self) -> dict[str, Any]:
        return {
            "notice": DISCLOSURE_NOTICE,
            "deidentification": METHOD,
            "as_of_year": self.as_of_year,
            "participants": self.participants,
        }


METHOD = {
    "standard": "HIPAA Safe Harbor, 45 CFR 164.514(b)(2)",
    "participant": "HMAC-SHA256 of '<program id>/<participant id>' under the export key, hex",
    "dates": "year only",
    "ages": "age at admission in whole years; 90 and over as \"90+\"",
    "dropped": "names, phone numbers, addresses, support persons, staff, dates of birth, full dates, "
               "diagnoses, free text",
}


def build_export(records: Records, key: bytes, as_of: dt.date) -> Export:
    """The de-identified progress of every participant, sorted by pseudonym."""
    rows = [participant_row(records, p, key, as_of) for p in records.participants.values()]
    rows.sort(key=lambda r: r["participant"])
    return Export(as_of.year, rows)


# -- formats -----------------------------------------------------------------

CSV_BASE = ("participant", "track", "level_of_care", "population", "status", "discharge_reason",
            "age_at_admission", "admitted_year", "discharged_year", "plan_weeks")
CSV_ATTENDANCE = ("planned", "recorded", "attended", "excused", "absent", "unrecorded", "cancelled", "rate",
                  "hours_planned", "hours_attended")
CSV_OBJECTIVES = ("total",) + tuple(s.replace("-", "_") for s in OBJECTIVE_STATUSES) + ("overdue",)
CSV_INSTRUMENT = ("count", "baseline", "baseline_year", "latest", "latest_year", "change")


def _slug(instrument: str) -> str:
    return instrument.lower().replace("-", "")  # PHQ-9 -> phq9


def csv_header() -> list[str]:
    return (
        list(CSV_BASE)
        + [f"sessions_{c}" if not c.startswith(("rate", "hours")) else f"attendance_{c}" for c in CSV_ATTENDANCE]
        + [f"objectives_{c}" for c in CSV_OBJECTIVES]
        + ["screens_total", "screens_positive", "milestones", "flags"]
        + [f"{_slug(name)}_{c}" for name in INSTRUMENTS for c in CSV_INSTRUMENT]
    )


def to_csv(export: Export) -> str:
    """CSV with the notice as a leading `#` comment line (read with comment='#' or skip one line)."""
    rows = []
    for r in export.participants:
        row = [r[c] for c in CSV_BASE]
        row += [r["attendance"][c] for c in CSV_ATTENDANCE]
        row += [r["objectives"][c] for c in CSV_OBJECTIVES]
        row += [r["screens"]["total"], r["screens"]["positive"], r["milestones"], ";".join(r["flags"])]
        for name in INSTRUMENTS:
            scores = r["instruments"].get(name, {})
            row += [scores.get(c, 0 if c == "count" else None) for c in CSV_INSTRUMENT]
        rows.append(row)
    return f"# {DISCLOSURE_NOTICE}\n" + output.to_csv(csv_header(), rows)


def to_json(export: Export) -> str:
    return output.to_json(export.as_json_data())


# -- writing -----------------------------------------------------------------


def write_export(export: Export, folder: Path, force: bool = False) -> list[Path]:
    """Write progress.csv and progress.json into folder, each atomically (iopctl.atomic).

    Refuses (ExportError) when either file exists and `force` is not given;
    both are checked, and both staged, before either takes its place.
    """
    targets = {folder / CSV_FILE: to_csv(export), folder / JSON_FILE: to_json(export)}
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic.locked(list(targets)):
            existing = [p for p in targets if p.exists() or p.is_symlink()]
            if existing and not force:
                raise ExportError(f"{existing[0]} already exists; pass --force to replace it")
            staged: list[tuple[Path, Path]] = []
            try:
                for path, text in targets.items():
                    staged.append((atomic.write_temp(path, text.encode("utf-8")), path))
                for tmp, path in staged:
                    atomic.install(tmp, path, overwrite=force)
            finally:
                for tmp, _ in staged:
                    atomic.discard(tmp)  # gone already when installed
    except atomic.FileExists as e:  # appeared while we were writing
        raise ExportError(f"{e.path} already exists; pass --force to replace it") from None
    except (OSError, atomic.LockTimeout) as e:
        raise ExportError(f"cannot write into {folder}: {getattr(e, 'strerror', None) or e}") from None
    return list(targets)


__all__ = ["DISCLOSURE_NOTICE", "ENV_KEY", "Export", "ExportError", "build_export", "participant_row",
           "pseudonym", "read_key", "safe_age", "to_csv", "to_json", "write_export"]
