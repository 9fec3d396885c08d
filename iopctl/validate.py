"""`validate` as a library call: findings for a repository, or for some of its files."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from iopctl import records as records_mod
from iopctl import repo
from iopctl.findings import Finding, count

ALL_CODES = (
    "IOP001", "IOP002", "IOP003", "IOP004", "IOP010", "IOP011", "IOP012", "IOP020", "IOP021", "IOP022",
    "IOP030", "IOP031", "IOP040", "IOP041", "IOP042", "IOP050",
)


@dataclass
class Report:
    findings: list[Finding]  # sorted by file, line, column
    files: int  # record files checked

    @property
    def errors(self) -> int:
        return count(self.findings)[0]

    @property
    def warnings(self) -> int:
        return count(self.findings)[1]


def _selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    if select and not any(code.startswith(s) for s in select):
        return False
    return not any(code.startswith(i) for i in ignore)


def validate(
    root: Path,
    paths: Iterable[str | Path] | None = None,
    as_of: dt.date | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> Report:
    """Validate the repository at root; with `paths`, report only on those files (or folders).

    Cross-file rules need the whole repository, so everything is loaded; the
    report is then cut down to the files asked about.
    """
    loaded = records_mod.load(root)
    day = as_of or records_mod.today(loaded.records)
    findings = loaded.findings + records_mod.semantic_findings(loaded, day)
    checked = [d.rel for d in loaded.documents]
    if paths is not None:
        wanted = [repo.record_file(root, p).rel for p in paths]
        prefixes = tuple(w.rstrip("/") + "/" for w in wanted)

        def asked(rel: str) -> bool:
            return rel in wanted or rel.startswith(prefixes) or "." in wanted

        checked = [rel for rel in checked if asked(rel)]
        for w in wanted:  # a named file that is not a record at all
            path = root / w
            if path.is_file() and w not in checked and w != ".":
                kind = repo.kind_of(w)
                if kind is None:
                    findings.append(Finding(w, 1, 1, "IOP003", "error", "is not a record file: records are "
                                            "program.yaml and YAML files in participants/, plans/, progress/, "
                                            "sessions/<YYYY-MM>/"))
                    checked.append(w)
        findings = [f for f in findings if asked(f.file)]
    # Sorted by position; findings at the same place keep the order the rules produced them in.
    unique = dict.fromkeys(f for f in findings if _selected(f.code, select, ignore))
    findings = sorted(unique, key=lambda f: (f.file, f.line, f.column))
    return Report(findings, len(checked))
