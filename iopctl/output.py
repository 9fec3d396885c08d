"""Formatters shared by every command: findings, JSON, tables, colour."""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Sequence

from iopctl.findings import ERROR, Finding


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def use_color(stream: Any = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (Click ignores it)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def to_json(data: Any) -> str:
    """Deterministic JSON: the same data always gives the same bytes."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    from tabulate import tabulate

    return tabulate([["" if v is None else v for v in r] for r in rows], headers=list(header),
                    tablefmt="simple", disable_numparse=True)


# -- findings ----------------------------------------------------------------


def summary(files: int, errors: int, warnings: int) -> str:
    return f"{plural(files, 'file')} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')}"


def findings_text(findings: Sequence[Finding], files: int, errors: int, warnings: int,
                  color: bool = False) -> str:
    lines = []
    for f in findings:
        line = f.as_text()
        if color:
            tint = "\033[31m" if f.severity == ERROR else "\033[33m"
            head = f"{f.file}:{f.line}:{f.column}:"
            line = f"\033[1m{head}\033[0m {tint}{f.code} {f.severity}\033[0m: {f.message}"
        lines.append(line)
    lines.append(summary(files, errors, warnings))
    return "\n".join(lines) + "\n"


def findings_json(findings: Sequence[Finding], files: int, errors: int, warnings: int) -> str:
    return to_json({"findings": [f.as_dict() for f in findings], "files": files, "errors": errors,
                    "warnings": warnings})


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def findings_github(findings: Sequence[Finding], root: Path, files: int, errors: int, warnings: int) -> str:
    """GitHub Actions workflow commands; file paths relative to the working directory (the checkout)."""
    lines = []
    for f in findings:
        path = os.path.relpath(root / f.file).replace(os.sep, "/")
        props = f"file={_gh_escape(path, True)},line={f.line},col={f.column},title={_gh_escape(f.code, True)}"
        lines.append(f"::{f.severity} {props}::{_gh_escape(f.code + ' ' + f.message)}")
    lines.append(summary(files, errors, warnings))
    return "\n".join(lines) + "\n"
