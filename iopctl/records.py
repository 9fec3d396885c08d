"""Loading a whole records repository: the one entry point every command uses.

files --read--> documents --schema--> valid documents --build--> Records
Load and schema problems come back as findings, never as exceptions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from iopctl import repo, schemas
from iopctl.findings import ERROR, Finding, has_errors
from iopctl.loader import Document, read_document
from iopctl.model import BUILDERS, Records, build_program


@dataclass
class Loaded:
    """What loading a repository gives: the model, every document, and load/schema findings."""

    records: Records
    documents: list[Document]
    findings: list[Finding] = field(default_factory=list)


def _outside_finding(f: repo.RecordFile) -> Finding:
    return Finding(f.rel, 1, 1, "IOP001", ERROR, "is a symbolic link that points outside the records repository")


def load_document(root: Path, f: repo.RecordFile) -> Document:
    """Read, parse and schema-check one record file."""
    if f.kind is None:
        doc = Document(f.path, f.rel, None)
        doc.findings.append(Finding(f.rel, 1, 1, "IOP003", ERROR, _unknown_place(f.rel)))
        return doc
    if f.path.is_symlink() and repo.outside_root(f.path, root):
        doc = Document(f.path, f.rel, f.kind)
        doc.findings.append(_outside_finding(f))
        return doc
    doc = read_document(f.path, f.rel, f.kind)
    if not doc.findings:
        doc.findings.extend(schemas.check_schema(doc))
    return doc


def _unknown_place(rel: str) -> str:
    top = rel.split("/")[0]
    if top == "sessions":
        return "session files belong in sessions/<YYYY-MM>/<date>-<slug>.yaml"
    return f"a record file belongs directly in {top}/ as <ID>.yaml"


def build_records(root: Path, documents: Iterable[Document]) -> Records:
    """The model from every document that parsed and passed its schema."""
    records = Records(root=root, program=None)
    for doc in documents:
        if doc.kind in ("participant", "plan", "progress"):
            records.present.setdefault(doc.kind, set()).add(Path(doc.rel).stem)
        if not doc.ok or doc.kind is None:
            continue
        if doc.kind == "program":
            records.program = build_program(doc)
            continue
        item = BUILDERS[doc.kind](doc)
        if doc.kind == "session":
            records.sessions.append(item)
        else:
            table = {"participant": records.participants, "plan": records.plans, "progress": records.progress}
            key = item.id if doc.kind == "participant" else item.participant
            table[doc.kind].setdefault(key, item)
    records.sessions.sort(key=lambda s: (s.date, s.session))
    return records


def load(root: Path) -> Loaded:
    """Load every record under root."""
    files = repo.list_records(root)
    documents = [load_document(root, f) for f in files]
    findings = [x for d in documents for x in d.findings]
    if not any(f.kind == "program" for f in files):
        findings.append(Finding(repo.PROGRAM_FILE, 1, 1, "IOP003", ERROR, "program.yaml is missing"))
    return Loaded(build_records(root, documents), documents, findings)


def semantic_findings(loaded: Loaded, as_of: dt.date) -> list[Finding]:
    from iopctl.checks import Context, run_checks

    return run_checks(loaded.records, Context(as_of=as_of))


class InvalidRecords(Exception):
    """Raised by commands that refuse to build output on records with errors."""

    def __init__(self, findings: list[Finding]):
        super().__init__(f"{len(findings)} error(s) in the records")
        self.findings = findings


def require_valid(loaded: Loaded, as_of: dt.date, files: Iterable[str] | None = None) -> None:
    """Raise InvalidRecords when the given files (default: all) have errors."""
    wanted = set(files) if files is not None else None
    findings = loaded.findings + semantic_findings(loaded, as_of)
    bad = sorted(f for f in findings if f.severity == ERROR and (wanted is None or f.file in wanted))
    if bad:
        raise InvalidRecords(bad)


def participant_files(pid: str) -> list[str]:
    return [f"participants/{pid}.yaml", f"plans/{pid}.yaml", f"progress/{pid}.yaml", repo.PROGRAM_FILE]


def today(records: Records) -> dt.date:
    """Today in the program's time zone (the default for --as-of)."""
    if records.program is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return dt.datetime.now(ZoneInfo(records.program.timezone)).date()
        except (ZoneInfoNotFoundError, ValueError):  # validate reports the zone; use local time
            pass
    return dt.date.today()


__all__ = ["Loaded", "load", "load_document", "build_records", "semantic_findings", "require_valid",
           "InvalidRecords", "has_errors", "today", "participant_files"]
