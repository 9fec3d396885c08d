"""ASAM levels of care and their weekly hours of structured programming (rules.md)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HoursRange:
    floor: float | None  # minimum hours a week (inclusive); None: no minimum
    ceiling: float | None  # hours a week must stay below this; None: no maximum


# (level, population) -> hours. Levels not listed get no hours checks.
HOURS: dict[tuple[str, str], HoursRange] = {
    ("1", "adult"): HoursRange(None, 9),
    ("1", "adolescent"): HoursRange(None, 6),
    ("2.1", "adult"): HoursRange(9, 20),
    ("2.1", "adolescent"): HoursRange(6, 20),
    ("2.5", "adult"): HoursRange(20, None),
    ("2.5", "adolescent"): HoursRange(20, None),
}


def hours_for(level: str, population: str) -> HoursRange | None:
    return HOURS.get((level, population))


def fmt_hours(hours: float) -> str:
    """9 -> '9', 10.5 -> '10.5'."""
    return f"{hours:g}"
