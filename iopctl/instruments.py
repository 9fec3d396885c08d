"""Assessment instruments: item counts, ranges, severity bands, change thresholds (rules.md)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Instrument:
    name: str
    items: int
    item_values: tuple[tuple[int, ...], ...]  # allowed values per item
    minimum: float | None  # None: the instrument has no total (BAM)
    maximum: float | None
    bands: tuple[Band, ...] = ()
    meaningful_drop: float | None = None  # change that is clinically meaningful
    reliable_drop: float | None = None
    has_response: bool = False  # response = 50% drop from baseline
    remission_below: float | None = None
    reverse_items: tuple[int, ...] = ()  # 1-based items scored reversed before summing
    subscales: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def band(self, score: float) -> str | None:
        for b in self.bands:
            if b.low <= score <= b.high:
                return b.label
        return None

    def item_sum(self, items: list[int]) -> int:
        total = 0
        for i, value in enumerate(items, start=1):
            total += (max(self.item_values[i - 1]) - value) if i in self.reverse_items else value
        return total


def _same(n: int, values: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(values for _ in range(n))


_0_3 = (0, 1, 2, 3)
_0_4 = (0, 1, 2, 3, 4)

INSTRUMENTS: dict[str, Instrument] = {
    "PHQ-9": Instrument(
        "PHQ-9", 9, _same(9, _0_3), 0, 27,
        (Band(0, 4, "minimal"), Band(5, 9, "mild"), Band(10, 14, "moderate"),
         Band(15, 19, "moderately severe"), Band(20, 27, "severe")),
        meaningful_drop=5, has_response=True, remission_below=5,
    ),
    "GAD-7": Instrument(
        "GAD-7", 7, _same(7, _0_3), 0, 21,
        (Band(0, 4, "minimal"), Band(5, 9, "mild"), Band(10, 14, "moderate"), Band(15, 21, "severe")),
        meaningful_drop=4,
    ),
    # AUDIT items 1-8 score 0-4; items 9 and 10 score 0, 2 or 4 (WHO 2001).
    "AUDIT": Instrument(
        "AUDIT", 10, _same(8, _0_4) + _same(2, (0, 2, 4)), 0, 40,
        (Band(0, 7, "zone I"), Band(8, 15, "zone II"), Band(16, 19, "zone III"), Band(20, 40, "zone IV")),
    ),
    # DAST-10 answers are 0 (no) or 1 (yes); item 3 is scored reversed.
    "DAST-10": Instrument(
        "DAST-10", 10, _same(10, (0, 1)), 0, 10,
        (Band(0, 0, "none"), Band(1, 2, "low"), Band(3, 5, "moderate"), Band(6, 8, "substantial"),
         Band(9, 10, "severe")),
        reverse_items=(3,),
    ),
    "PCL-5": Instrument(
        "PCL-5", 20, _same(20, _0_4), 0, 80,
        (Band(0, 30, "below threshold"), Band(31, 80, "probable PTSD")),
        meaningful_drop=10, reliable_drop=5,
    ),
    # BAM has no total; `score` is not interpreted, items give the subscales.
    "BAM": Instrument(
        "BAM", 17, _same(17, _0_4), None, None,
        subscales={"use": (4, 5, 6), "risk": (1, 2, 3, 8, 11, 15), "protective": (9, 10, 12, 13, 14, 16)},
    ),
}

PHQ9_SAFETY_ITEM = 9


def get(name: str) -> Instrument | None:
    return INSTRUMENTS.get(name)
