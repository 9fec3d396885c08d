"""Semantic rules: one small function per rule code, registered in CHECKS.

Each check has the same shape, `(records, context) -> findings`, and sees
only records that parsed and passed their schema, so one typo gives one
finding, not a cascade.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable

from iopctl.findings import Finding
from iopctl.model import Records


@dataclass(frozen=True)
class Context:
    as_of: dt.date  # "today" for rules that depend on it (consent expiry)
    # Set when only findings on these files (root-relative) are wanted (`validate FILE`): a check
    # may skip work whose findings would all land elsewhere. What it does report is unchanged.
    only: frozenset[str] | None = None

    def wants(self, rel: str) -> bool:
        return self.only is None or rel in self.only


CheckFn = Callable[[Records, Context], Iterable[Finding]]
CHECKS: list[tuple[str, CheckFn]] = []


def check(code: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append((code, fn))
        return fn

    return register


def run_checks(records: Records, context: Context) -> list[Finding]:
    findings: list[Finding] = []
    for _code, fn in CHECKS:
        findings.extend(fn(records, context))
    return findings


# Importing the rule modules registers their checks, in code order.
from iopctl.checks import (  # noqa: E402,F401
    identity,
    references,
    dates,
    hours,
    assessments,
    plans,
    attendance,
)
