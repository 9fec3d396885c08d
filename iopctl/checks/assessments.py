"""IOP030 (score out of range or items that do not sum) and IOP031 (PHQ-9 item 9)."""
from __future__ import annotations

from typing import Iterator

from iopctl import instruments
from iopctl.checks import Context, check
from iopctl.findings import ERROR, WARNING, Finding
from iopctl.model import Records


@check("IOP030")
def scores(records: Records, ctx: Context) -> Iterator[Finding]:
    for prog in records.progress.values():
        for a in prog.assessments:
            inst = instruments.get(a.instrument)
            if inst is None:
                continue
            doc, path = a.src.doc, a.src.path
            if inst.maximum is not None and a.score > inst.maximum:
                yield doc.finding("IOP030", ERROR, f"score {a.score:g} is above the {inst.name} maximum of "
                                  f"{inst.maximum:g}", path + ("score",))
            elif inst.minimum is not None and a.score < inst.minimum:
                yield doc.finding("IOP030", ERROR, f"score {a.score:g} is below the {inst.name} minimum of "
                                  f"{inst.minimum:g}", path + ("score",))
            if a.items is None:
                continue
            if len(a.items) != inst.items:
                yield doc.finding("IOP030", ERROR, f"{inst.name} has {inst.items} items, found {len(a.items)}",
                                  path + ("items",))
                continue
            bad = [i for i, v in enumerate(a.items) if v not in inst.item_values[i]]
            if bad:
                i = bad[0]
                allowed = ", ".join(str(v) for v in inst.item_values[i])
                yield doc.finding("IOP030", ERROR, f"{inst.name} item {i + 1} is {a.items[i]}; it takes "
                                  f"{allowed}", path + ("items", i))
            elif inst.maximum is not None and inst.item_sum(a.items) != a.score:
                how = " (item 3 scored reversed)" if inst.reverse_items else ""
                yield doc.finding("IOP030", ERROR, f"items add up to {inst.item_sum(a.items)}{how}, "
                                  f"but score is {a.score:g}", path + ("score",))


@check("IOP031")
def phq9_item9(records: Records, ctx: Context) -> Iterator[Finding]:
    item = instruments.PHQ9_SAFETY_ITEM
    for prog in records.progress.values():
        for a in prog.assessments:
            if a.instrument == "PHQ-9" and a.items and len(a.items) >= item and a.items[item - 1] > 0:
                yield a.src.doc.finding(
                    "IOP031", WARNING,
                    f"PHQ-9 item 9 (thoughts of self-harm) is {a.items[item - 1]} on {a.date}: "
                    "follow the program's safety protocol",
                    a.src.path + ("items", item - 1),
                )
