"""The one findings type every check and every loader error produces."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

ERROR = "error"
WARNING = "warning"

# Exit codes users and CI rely on.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one file. Field order is the sort order: file, then line."""

    file: str  # posix path relative to the records root
    line: int  # 1-based
    column: int  # 1-based
    code: str  # IOP001 ...
    severity: str  # "error" | "warning"
    message: str

    def as_text(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.code} {self.severity}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


def count(findings: Iterable[Finding]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = warnings = 0
    for f in findings:
        if f.severity == ERROR:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)
