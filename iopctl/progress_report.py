"""Renderings of progress summaries: table (80 columns), md, csv, json, and a one-page HTML report.

Each comes in two kinds: for the care team, and for disclosure outside it
(`for_disclosure`): the 42 CFR 2.32 notice on top and only the numbers.

The HTML report draws its charts as inline SVG by hand (no plotting
library): each instrument's scores over time on its severity bands, and
attended against planned hours per plan week. Every value taken from the
records is escaped. Chart geometry is fixed (the constants below) so that
tests can check the points against the data.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
import textwrap
from typing import Any, Iterable, Sequence

from iopctl import instruments, output
from iopctl.export import DISCLOSURE_NOTICE, OBJECTIVE_STATUSES
from iopctl.levels import fmt_hours
from iopctl.progress import (Caseload, InstrumentSummary, ParticipantProgress, WeekHours, caseload_dict,
                             caseload_row, participant_dict)

WIDTH = 79  # lines stay under 80 columns (some terminals wrap at the 80th)

# -- small formatting helpers ------------------------------------------------


def _yn(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _h(minutes: int) -> str:
    return fmt_hours(round(minutes / 60, 2))


def _n(x: float) -> str:
    return f"{x:g}"


def _signed(x: float) -> str:
    return f"{x:+g}" if x else "0"


def text_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain table with two spaces between columns (tabulate pads more than 80 columns allow)."""
    cells = [[str(h) for h in header]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def _wrap(text: str, first: str = "  ", rest: str = "    ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)


def _week_note(w: WeekHours) -> str:
    notes = []
    if w.under_floor:
        notes.append("under floor")
    if w.closures:
        days = len(w.closures)
        notes.append(f"{days} closed day{'' if days == 1 else 's'}")
    if not w.complete:
        notes.append("so far")
    return "; ".join(notes)


def _instrument_rows(p: ParticipantProgress) -> list[list[str]]:
    return [[i.name, _n(i.baseline.score), _n(i.latest.score), _signed(i.change), i.band or "-", _yn(i.response),
             _yn(i.remission), _yn(i.meaningful_change)] for i in p.instruments.values()]


INSTRUMENT_HEADER = ["instrument", "first", "latest", "change", "band", "resp", "remit", "meaningful"]


def _header_line(p: ParticipantProgress, name: bool = True) -> str:
    parts = ([f"{p.participant} ({p.preferred_name})"] if name else []) + [p.status]
    if p.track:
        parts.append(f"{p.track} (level {p.level_of_care})")
    if p.current_week:
        parts.append(f"plan week {p.current_week} of {p.plan_weeks}")
    return " · ".join(parts)


def _due_lines(p: ParticipantProgress, aftercare: bool = True) -> list[str]:
    lines = []
    if p.plan_review_due:
        last = f"last review {p.last_review}" if p.last_review else f"no review yet, plan start {p.plan_start}"
        mark = " OVERDUE" if p.plan_review_overdue else ""
        lines.append(f"plan review due {p.plan_review_due} ({last}){mark}")
    ac = p.aftercare
    if ac and ac.discharge_target:
        lines.append(f"discharge target {ac.discharge_target} (from the {ac.target_source})")
    if ac and aftercare:
        lines.append("aftercare ready" if ac.ready else f"aftercare not ready: missing {', '.join(ac.missing)}")
    return lines


def _screens_line(p: ParticipantProgress) -> str:
    pos = p.positive_screens
    text = f"screens: {len(p.screens)}, {len(pos)} positive"
    if pos:
        text += " (" + ", ".join(f"{s['date']} {s['kind']}" for s in pos) + ")"
    return text


def _milestones_line(p: ParticipantProgress) -> str:
    text = f"milestones: {len(p.milestones)}"
    if p.milestones:
        day, title = p.milestones[-1]
        text += f" (latest {day} {title})"
    return text


# -- one participant: table ----------------------------------------------------


def _numbers_text(p: ParticipantProgress) -> list[str]:
    """Attendance, hours per week and instruments: the lines the care-team and disclosure tables share."""
    a = p.attendance
    out = ["Attendance"]
    out.append(f"  planned {a.planned}, recorded {a.recorded}, attended {a.attended}, excused {a.excused}, "
               f"absent {a.absent}")
    out.append(f"  unrecorded {a.unrecorded}, cancelled {a.cancelled}, outside the plan {a.outside_plan}")
    out.append(f"  rate {_pct(a.rate)}, absences in a row {a.consecutive_absences}"
               + (" (alert)" if a.alert else ""))
    out.append("")
    floor = f" (floor {fmt_hours(p.floor)} h a week)" if p.floor is not None else ""
    out.append(f"Hours: attended {_h(p.attended_minutes)} of {_h(p.planned_minutes)} planned{floor}")
    if p.weeks:
        rows = [[w.week, w.start.isoformat(), _h(w.planned_minutes), _h(w.attended_minutes),
                 _h(w.scheduled_minutes), _week_note(w)] for w in p.weeks]
        out.append(_indent(text_table(["week", "start", "planned", "attended", "scheduled", "note"], rows)))
    out.append("")
    out.append("Instruments")
    if p.instruments:
        out.append(_indent(text_table(INSTRUMENT_HEADER, _instrument_rows(p))))
    else:
        out.append("  none recorded")
    return out


def participant_text(p: ParticipantProgress) -> str:
    out = [_header_line(p), f"as of {p.as_of}", ""]
    out += _numbers_text(p)
    out.append("")
    out.append("Objectives")
    if p.objectives:
        rows = [[o.id, o.status, o.target_date.isoformat(), "OVERDUE" if o.overdue else ""] for o in p.objectives]
        header = ["id", "status", "target", "overdue", "objective"]
        used = 2 + sum(max(len(str(r[i])) for r in rows + [header]) + 2 for i in range(4))
        room = max(WIDTH - used, 12)  # the statement takes what the other columns leave
        rows = [r + [textwrap.shorten(o.statement, room, placeholder="...")] for r, o in zip(rows, p.objectives)]
        out.append(_indent(text_table(header, rows)))
    else:
        out.append("  none (no plan)")
    out.append("")
    out.append("Due")
    out.extend(_wrap(line) for line in _due_lines(p) or ["no plan"])
    out.append("")
    out.append(_wrap(_first_upper(_milestones_line(p)), "", "  "))
    out.append(_wrap(_first_upper(_screens_line(p)), "", "  "))
    out.append("")
    out.append("Flags" if p.flags else "Flags: none")
    out.extend(_wrap(f.text, "  - ", "    ") for f in p.flags)
    return "\n".join(out) + "\n"


# -- one participant: markdown -------------------------------------------------


def _md_cell(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_cell("" if v is None else v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _numbers_md(p: ParticipantProgress) -> list[str]:
    """Attendance, hours and instruments: the Markdown the care-team and disclosure reports share."""
    a = p.attendance
    out = ["## Attendance", ""]
    out.append(md_table(["planned", "recorded", "attended", "excused", "absent", "unrecorded", "cancelled", "rate",
                         "absences in a row"],
                        [[a.planned, a.recorded, a.attended, a.excused, a.absent, a.unrecorded, a.cancelled,
                          _pct(a.rate), a.consecutive_absences]]))
    floor = f" (floor {fmt_hours(p.floor)} h a week)" if p.floor is not None else ""
    out += ["", "## Hours", "", f"Attended {_h(p.attended_minutes)} of {_h(p.planned_minutes)} hours "
            f"planned{floor}.", ""]
    if p.weeks:
        out.append(md_table(["week", "start", "planned h", "attended h", "scheduled h", "note"],
                            [[w.week, w.start, _h(w.planned_minutes), _h(w.attended_minutes),
                              _h(w.scheduled_minutes), _week_note(w)] for w in p.weeks]))
    out += ["", "## Instruments", ""]
    out.append(md_table(INSTRUMENT_HEADER, _instrument_rows(p)) if p.instruments else "None recorded.")
    return out


def participant_md(p: ParticipantProgress) -> str:
    out = [f"# Progress: {_md_cell(_header_line(p))}", "", f"As of {p.as_of}.", ""]
    out += _numbers_md(p)
    out += ["", "## Objectives", ""]
    out.append(md_table(["id", "objective", "status", "target", "overdue"],
                        [[o.id, o.statement, o.status, o.target_date, "**overdue**" if o.overdue else ""]
                         for o in p.objectives]) if p.objectives else "None (no plan).")
    out += ["", "## Due", ""]
    out += [f"- {_md_cell(line)}" for line in _due_lines(p) or ["no plan"]]
    out += ["", "## Milestones and screens", "", f"- {_md_cell(_milestones_line(p))}",
            f"- {_md_cell(_screens_line(p))}", "", "## Flags", ""]
    out += [f"- {_md_cell(f.text)}" for f in p.flags] or ["None."]
    return "\n".join(out) + "\n"


# -- one participant: csv and json ---------------------------------------------


def participant_csv(p: ParticipantProgress) -> str:
    """Long form, one value a row: section, item, field, value (every number in the JSON, flattened)."""
    d = participant_dict(p)
    rows: list[tuple] = [("participant", "", k, d[k]) for k in ("participant", "status", "as_of", "track",
                                                                "level_of_care")]
    rows += [("plan", "", k, v) for k, v in d["plan"].items()]
    rows += [("attendance", "", k, v) for k, v in d["attendance"].items()]
    rows += [("hours", "", k, v) for k, v in d["hours"].items()]
    for w in d["weeks"]:
        rows += [("week", w["week"], k, v) for k, v in w.items() if k not in ("week", "closures")]
    for name, i in d["instruments"].items():
        rows += [("instrument", name, k, v) for k, v in i.items()
                 if k not in ("series", "item9_positive")]
    for o in d["objectives"]:
        rows += [("objective", o["id"], k, v) for k, v in o.items() if k not in ("id", "statement")]
    due = d["due"]
    rows += [("due", "plan_review", k, v) for k, v in due["plan_review"].items()]
    rows += [("due", "discharge_target", "date", due["discharge_target"])]
    if due["aftercare"]:
        rows += [("due", "aftercare", k, v if k != "missing" else "; ".join(v)) for k, v in due["aftercare"].items()]
    rows += [("milestones", "", "count", d["milestones"]["count"]),
             ("screens", "", "count", d["screens"]["count"]), ("screens", "", "positive", d["screens"]["positive"])]
    rows += [("flag", i + 1, "text", text) for i, text in enumerate(d["flags"])]
    return output.to_csv(["section", "item", "field", "value"], [[_csv_value(v) for v in r] for r in rows])


def _csv_value(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def participant_json(p: ParticipantProgress) -> str:
    return output.to_json(participant_dict(p))


# -- the caseload --------------------------------------------------------------


def _score_cell(row: dict, key: str) -> str:
    s = row[key]
    return "-" if s is None else f"{_n(s['latest'])} ({_signed(s['change'])})"


def _caseload_rows(c: Caseload) -> list[dict]:
    return [caseload_row(r) for r in c.rows]


def _week_cell(row: dict) -> str:
    return "-" if row["week"] is None else f"{row['week']}/{row['weeks']}"


def _hours_cell(row: dict) -> str:
    if row["hours_this_week"] is None:
        return "-"
    return f"{_n(row['hours_this_week'])}/{_n(row['scheduled_this_week'])}"


CASELOAD_HEADER = ["id", "status", "week", "rate", "hours", "PHQ-9", "GAD-7", "obj", "flags"]


def _caseload_table_rows(rows: list[dict], flags: bool = True) -> list[list[str]]:
    """Table cells per caseload row; the last (the flag count) only with `flags`."""
    return [[r["participant"], r["status"], _week_cell(r), _pct(r["rate"]), _hours_cell(r),
             _score_cell(r, "phq9"), _score_cell(r, "gad7"), f"{r['objectives_met']}/{r['objectives']}"]
            + ([str(len(r["flags"])) if r["flags"] else ""] if flags else []) for r in rows]


def _totals_text(t: dict) -> str:
    """The program line; the flagged count only when the totals hold it (not in a disclosure)."""
    return (f"{output.plural(t['participants'], 'participant')} ({t['active']} active, {t['on_hold']} on hold); "
            f"attendance {_pct(t['rate'])} ({t['attended']} of {output.plural(t['planned'], 'planned session')}, "
            f"{t['unrecorded']} unrecorded); {_n(t['hours_this_week'])} h attended this week; objectives "
            f"{t['objectives_met']} of {t['objectives']} met, {t['objectives_overdue']} overdue; "
            f"{output.plural(t['plan_reviews_overdue'], 'plan review')} overdue"
            + (f"; {t['flagged']} flagged" if "flagged" in t else ""))


def caseload_text(c: Caseload) -> str:
    rows = _caseload_rows(c)
    out = [f"Caseload as of {c.as_of}", "(hours: attended so far / scheduled in the current plan week)", ""]
    out.append(text_table(CASELOAD_HEADER, _caseload_table_rows(rows)) if rows else "No active or on-hold "
               "participants.")
    flagged = [r for r in rows if r["flags"]]
    if flagged:
        out += ["", "Needs attention"]
        for r in flagged:
            out.append(_wrap(f"{r['participant']}: " + "; ".join(r["flags"]), "  ", "    "))
    out += ["", _wrap("Program: " + _totals_text(c.totals), "", "  ")]
    return "\n".join(out) + "\n"


def caseload_md(c: Caseload) -> str:
    rows = _caseload_rows(c)
    table = [r[:-1] + ["; ".join(row["flags"])] for r, row in zip(_caseload_table_rows(rows), rows)]
    out = [f"# Caseload as of {c.as_of}", "",
           md_table(CASELOAD_HEADER, table) if rows else "No active or on-hold participants.",
           "", "Hours: attended so far / scheduled in the current plan week.", "",
           f"**Program:** {_md_cell(_totals_text(c.totals))}."]
    return "\n".join(out) + "\n"


CASELOAD_CSV = ["participant", "status", "week", "weeks", "rate", "planned", "attended", "hours_this_week",
                "scheduled_this_week", "phq9", "phq9_change", "gad7", "gad7_change", "objectives_met", "objectives",
                "plan_review_due", "flags"]


def caseload_csv(c: Caseload) -> str:
    rows = []
    for r in _caseload_rows(c):
        phq, gad = r["phq9"] or {}, r["gad7"] or {}
        rows.append([r["participant"], r["status"], r["week"], r["weeks"], r["rate"], r["planned"], r["attended"],
                     r["hours_this_week"], r["scheduled_this_week"], phq.get("latest"), phq.get("change"),
                     gad.get("latest"), gad.get("change"), r["objectives_met"], r["objectives"],
                     r["plan_review_due"], "; ".join(r["flags"])])
    return output.to_csv(CASELOAD_CSV, rows)


def caseload_json(c: Caseload) -> str:
    return output.to_json(caseload_dict(c))


# -- HTML: SVG charts ----------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
# Instrument chart: plot area at (PLOT_X, PLOT_Y), PLOT_W x PLOT_H; band labels on the right.
PLOT_X, PLOT_Y, PLOT_W, PLOT_H = 48, 24, 400, 160
CHART_W, CHART_H = PLOT_X + PLOT_W + 120, PLOT_Y + PLOT_H + 36
# Severity colours, mildest first; a band takes the colour at its place in the scale.
BAND_COLOURS = ("#e3f2e1", "#eef5d6", "#fdf3c9", "#fde0c2", "#f9cdc8")


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _f(x: float) -> str:
    """Coordinates with one decimal: the same data always gives the same bytes."""
    return f"{x:.1f}"


def chart_domain(p: ParticipantProgress) -> tuple[dt.date, dt.date]:
    """The dates every instrument chart spans: plan start (or first score) to the last score or as-of."""
    days = [s.date for i in p.instruments.values() for s in i.series]
    first = min(days + ([p.plan_start] if p.plan_start else []))
    ends = days + ([p.as_of] if p.status in ("active", "on-hold") else [])
    last = max(ends)
    return first, (last if last > first else first + dt.timedelta(days=1))


def x_of(day: dt.date, first: dt.date, last: dt.date) -> float:
    return PLOT_X + PLOT_W * (day - first).days / (last - first).days


def y_of(score: float, low: float, high: float) -> float:
    return PLOT_Y + PLOT_H * (high - score) / (high - low)


def _band_colour(index: int, count: int) -> str:
    if count <= 1:
        return BAND_COLOURS[0]
    return BAND_COLOURS[round(index * (len(BAND_COLOURS) - 1) / (count - 1))]


def instrument_svg(i: InstrumentSummary, first: dt.date, last: dt.date) -> str:
    """Scores over time on the instrument's severity bands; '' for an instrument with no range (BAM)."""
    inst = instruments.get(i.name)
    if inst is None or inst.minimum is None or inst.maximum is None:
        return ""
    low, high = inst.minimum, inst.maximum
    parts = [f'<svg xmlns="{SVG_NS}" class="chart instrument" data-instrument="{esc(i.name)}" '
             f'width="{CHART_W}" height="{CHART_H}" viewBox="0 0 {CHART_W} {CHART_H}" role="img" '
             f'aria-label="{esc(i.name)} scores over time">',
             f"<title>{esc(i.name)} scores from {first} to {last}</title>",
             f'<text class="chart-title" x="{PLOT_X}" y="{PLOT_Y - 8}" font-size="13" '
             f'font-weight="bold">{esc(i.name)}</text>']
    bands = inst.bands
    for n, b in enumerate(bands):
        # A band runs from its lowest score up to the next band's (whole-number scores tile the range).
        top = bands[n + 1].low if n + 1 < len(bands) else high
        y0, y1 = y_of(top, low, high), y_of(b.low, low, high)
        parts.append(f'<rect class="band" data-band="{esc(b.label)}" data-low="{_n(b.low)}" '
                     f'data-high="{_n(b.high)}" x="{PLOT_X}" y="{_f(y0)}" width="{PLOT_W}" '
                     f'height="{_f(y1 - y0)}" fill="{_band_colour(n, len(bands))}"/>')
        parts.append(f'<text class="band-label" x="{PLOT_X + PLOT_W + 6}" y="{_f((y0 + y1) / 2 + 4)}" '
                     f'font-size="11">{esc(b.label)}</text>')
        parts.append(f'<text class="tick" x="{PLOT_X - 6}" y="{_f(y1 + 4)}" font-size="10" '
                     f'text-anchor="end">{_n(b.low)}</text>')
    parts.append(f'<text class="tick" x="{PLOT_X - 6}" y="{_f(PLOT_Y + 4)}" font-size="10" '
                 f'text-anchor="end">{_n(high)}</text>')
    parts.append(f'<rect class="frame" x="{PLOT_X}" y="{PLOT_Y}" width="{PLOT_W}" height="{PLOT_H}" '
                 f'fill="none" stroke="#999"/>')
    base = PLOT_Y + PLOT_H
    for day, anchor in ((first, "start"), (last, "end")):
        parts.append(f'<text class="tick" x="{_f(x_of(day, first, last))}" y="{base + 16}" font-size="10" '
                     f'text-anchor="{anchor}">{day}</text>')
    points = [(x_of(s.date, first, last), y_of(s.score, low, high), s) for s in i.series]
    parts.append(f'<polyline class="series" fill="none" stroke="#1f4e79" stroke-width="2" '
                 f'points="{" ".join(f"{_f(x)},{_f(y)}" for x, y, _ in points)}"/>')
    unsafe = {id(s) for s in i.item9_positive}
    for x, y, s in points:
        if id(s) in unsafe:  # PHQ-9 item 9 above 0: a red ring, and said in the tooltip
            item9 = s.items[instruments.PHQ9_SAFETY_ITEM - 1]
            parts.append(f'<circle class="point safety" cx="{_f(x)}" cy="{_f(y)}" r="4" fill="#1f4e79" '
                         f'stroke="#b03a2e" stroke-width="3"><title>{s.date}: {_n(s.score)} (item 9: {item9})'
                         f'</title></circle>')
            continue
        parts.append(f'<circle class="point" cx="{_f(x)}" cy="{_f(y)}" r="4" fill="#1f4e79">'
                     f'<title>{s.date}: {_n(s.score)}</title></circle>')
        # The label sits above its point, kept clear of the axis labels at either edge.
        label_x = min(max(x, PLOT_X + 10), PLOT_X + PLOT_W - 10)
        parts.append(f'<text class="value" x="{_f(label_x)}" y="{_f(y - 8)}" font-size="10" '
                     f'text-anchor="middle">{_n(s.score)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def hours_scale(weeks: list[WeekHours], floor: float | None) -> int:
    """The top of the attendance chart: the largest hours shown (or the floor) rounded up, plus one."""
    most = max([w.planned_minutes / 60 for w in weeks] + [w.attended_minutes / 60 for w in weeks]
               + [floor or 0, 1])
    return math.ceil(most) + 1  # an hour of headroom above the tallest bar


def attendance_svg(weeks: list[WeekHours], floor: float | None) -> str:
    """Planned and attended hours per plan week (bars), with the level of care's floor (dashed line)."""
    if not weeks:
        return ""
    top = hours_scale(weeks, floor)
    slot = PLOT_W / len(weeks)
    base = PLOT_Y + PLOT_H

    def y(hours: float) -> float:
        return PLOT_Y + PLOT_H * (top - hours) / top

    parts = [f'<svg xmlns="{SVG_NS}" class="chart attendance" width="{CHART_W}" height="{CHART_H}" '
             f'viewBox="0 0 {CHART_W} {CHART_H}" role="img" aria-label="Attended and planned hours by week">',
             "<title>Attended and planned hours by plan week</title>",
             f'<text class="chart-title" x="{PLOT_X}" y="{PLOT_Y - 8}" font-size="13" '
             f'font-weight="bold">Hours by plan week</text>',
             f'<rect class="frame" x="{PLOT_X}" y="{PLOT_Y}" width="{PLOT_W}" height="{PLOT_H}" fill="none" '
             f'stroke="#999"/>']
    for tick in range(0, top + 1, max(1, math.ceil(top / 6))):
        parts.append(f'<text class="tick" x="{PLOT_X - 6}" y="{_f(y(tick) + 4)}" font-size="10" '
                     f'text-anchor="end">{tick}</text>')
    for n, w in enumerate(weeks):
        x = PLOT_X + n * slot
        planned, attended = w.planned_minutes / 60, w.attended_minutes / 60
        parts.append(f'<rect class="bar planned" data-week="{w.week}" x="{_f(x + slot * 0.15)}" '
                     f'y="{_f(y(planned))}" width="{_f(slot * 0.35)}" height="{_f(base - y(planned))}" '
                     f'fill="#c9d6e3"><title>week {w.week}: {_h(w.planned_minutes)} h planned</title></rect>')
        colour = "#b03a2e" if w.under_floor else "#1f4e79"
        parts.append(f'<rect class="bar attended" data-week="{w.week}" x="{_f(x + slot * 0.5)}" '
                     f'y="{_f(y(attended))}" width="{_f(slot * 0.35)}" height="{_f(base - y(attended))}" '
                     f'fill="{colour}"><title>week {w.week}: {_h(w.attended_minutes)} h attended'
                     f'{" (under the floor)" if w.under_floor else ""}</title></rect>')
        parts.append(f'<text class="tick" x="{_f(x + slot / 2)}" y="{base + 16}" font-size="10" '
                     f'text-anchor="middle">{w.week}</text>')
    if floor is not None:
        parts.append(f'<line class="floor" x1="{PLOT_X}" x2="{PLOT_X + PLOT_W}" y1="{_f(y(floor))}" '
                     f'y2="{_f(y(floor))}" stroke="#b03a2e" stroke-dasharray="6 4"/>')
        parts.append(f'<text class="band-label" x="{PLOT_X + PLOT_W + 6}" y="{_f(y(floor) + 4)}" '
                     f'font-size="11">floor {fmt_hours(floor)} h</text>')
    parts.append(f'<text class="band-label" x="{PLOT_X + PLOT_W / 2}" y="{base + 32}" font-size="11" '
                 f'text-anchor="middle">plan week</text>')
    parts.append("</svg>")
    return "\n".join(parts)


# -- HTML: the page ------------------------------------------------------------

CSS = """
body { font: 14px/1.4 system-ui, sans-serif; color: #222; max-width: 880px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 20px 0 6px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 4px 0; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; white-space: nowrap; }
th { background: #f2f2f2; }
td.text { white-space: normal; }
.meta, .note { color: #555; }
.note { font-size: 12px; }
.overdue, .alert { color: #b03a2e; }
tr.flagged td:first-child { color: #b03a2e; font-weight: bold; }
.flags { border: 2px solid #b03a2e; background: #fdf0ee; padding: 6px 12px; margin: 12px 0; }
.flags ul { margin: 4px 0; padding-left: 20px; }
.charts svg { display: block; margin: 4px 0 12px; }
.legend span { display: inline-block; margin-right: 14px; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } svg { break-inside: avoid; } }
"""


def _html_table(header: Sequence[str], rows: Iterable[Sequence[Any]], classes: Sequence[str] = (),
                text_column: int | None = None) -> str:
    """A table; `classes` per row, and `text_column` (free text) may wrap while the others do not."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for n, row in enumerate(rows):
        cls = f' class="{esc(classes[n])}"' if n < len(classes) and classes[n] else ""
        cells = "".join(('<td class="text">' if k == text_column else "<td>") + esc("" if v is None else v) + "</td>"
                        for k, v in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _page(title: str, body: list[str], css: str = CSS) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


CONFIDENTIAL = ("Confidential: for the care team. Contains substance use disorder treatment information "
                "protected by 42 CFR Part 2; do not redisclose without the participant's written consent.")


def _numbers_html(p: ParticipantProgress, summaries: list[InstrumentSummary]) -> list[str]:
    """Attendance, hours (chart and table) and instruments (table, and a chart of each of `summaries`)."""
    a = p.attendance
    body = ["<h2>Attendance</h2>"]
    body.append(_html_table(["planned", "recorded", "attended", "excused", "absent", "unrecorded", "cancelled",
                             "rate", "absences in a row"],
                            [[a.planned, a.recorded, a.attended, a.excused, a.absent, a.unrecorded, a.cancelled,
                              _pct(a.rate), a.consecutive_absences]]))
    floor = f"; floor {fmt_hours(p.floor)} h a week" if p.floor is not None else ""
    body.append(f"<p>Hours attended {esc(_h(p.attended_minutes))} of {esc(_h(p.planned_minutes))} planned"
                f"{esc(floor)}.</p>")
    if p.weeks:
        body.append('<div class="charts">' + attendance_svg(p.weeks, p.floor) + "</div>")
        body.append('<p class="legend note"><span>light bar: planned hours</span><span>dark bar: attended hours '
                    "(red: under the floor)</span><span>dashed line: the level of care's floor</span></p>")
        body.append(_html_table(["week", "start", "planned h", "attended h", "scheduled h", "note"],
                                [[w.week, w.start, _h(w.planned_minutes), _h(w.attended_minutes),
                                  _h(w.scheduled_minutes), _week_note(w)] for w in p.weeks],
                                ["alert" if w.under_floor else "" for w in p.weeks]))
    body.append("<h2>Instruments</h2>")
    if summaries:
        body.append(_html_table(INSTRUMENT_HEADER, _instrument_rows(p)))
        first, last = chart_domain(p)
        charts = [instrument_svg(i, first, last) for i in summaries]
        body.append('<div class="charts">' + "\n".join(c for c in charts if c) + "</div>")
    else:
        body.append("<p>None recorded.</p>")
    return body


def participant_html(p: ParticipantProgress, program_name: str = "") -> str:
    body = [f"<h1>Progress: {esc(p.participant)} ({esc(p.preferred_name)})</h1>",
            f'<p class="meta">{esc(program_name + " · " if program_name else "")}'
            f"{esc(_header_line(p, name=False))} · as of {esc(p.as_of)}</p>"]
    if p.flags:
        body.append('<div class="flags"><strong>Needs attention</strong><ul>'
                    + "".join(f"<li>{esc(f.text)}</li>" for f in p.flags) + "</ul></div>")
    body += _numbers_html(p, list(p.instruments.values()))
    body.append("<h2>Objectives</h2>")
    if p.objectives:
        body.append(_html_table(["id", "objective", "status", "target", "overdue"],
                                [[o.id, o.statement, o.status, o.target_date, "overdue" if o.overdue else ""]
                                 for o in p.objectives],
                                ["overdue" if o.overdue else "" for o in p.objectives], text_column=1))
    else:
        body.append("<p>None (no plan).</p>")
    body.append("<h2>Due</h2><ul>" + "".join(f"<li>{esc(line)}</li>" for line in _due_lines(p) or ["no plan"])
                + "</ul>")
    body.append("<h2>Milestones and screens</h2><ul>"
                f"<li>{esc(_milestones_line(p))}</li><li>{esc(_screens_line(p))}</li></ul>")
    body.append(f'<p class="note">{esc(CONFIDENTIAL)}</p>')
    return _page(f"Progress: {p.participant} as of {p.as_of}", body)


def caseload_html(c: Caseload, program_name: str = "") -> str:
    rows = _caseload_rows(c)
    table = [r[:-1] + ["; ".join(row["flags"])] for r, row in zip(_caseload_table_rows(rows), rows)]
    body = [f"<h1>Caseload as of {esc(c.as_of)}</h1>",
            f'<p class="meta">{esc(program_name)}</p>' if program_name else "",
            _html_table(CASELOAD_HEADER, table, ["flagged" if row["flags"] else "" for row in rows],
                        text_column=len(CASELOAD_HEADER) - 1),
            '<p class="note">Hours: attended so far / scheduled in the current plan week.</p>',
            f"<p><strong>Program:</strong> {esc(_totals_text(c.totals))}.</p>",
            f'<p class="note">{esc(CONFIDENTIAL)}</p>']
    return _page(f"Caseload as of {c.as_of}", [b for b in body if b])


# -- for disclosure: minimum necessary, with the 42 CFR 2.32 notice --------------
#
# `iopctl progress --for-disclosure` is for a reader outside the care team. Every
# rendering below is built from allow-lists: the participant ID and the numbers
# (attendance, hours, scores, objective status counts, due dates). Names, free
# text, supports, staff, diagnoses, dates of birth, the care team's flags, PHQ-9
# item answers and aftercare readiness never reach it, and a field added to the
# care-team report later stays out until someone adds it here on purpose.
# docs/progress.md ("For disclosure") lists what is dropped and why.

DISCLOSURE_HEADING = "prepared for disclosure: minimum necessary"
DISCLOSURE_CSS = CSS + ".notice { border: 2px solid #222; padding: 6px 12px; margin: 0 0 12px; }\n"

PLAN_KEYS = ("start", "weeks", "current_week")
ATTENDANCE_KEYS = ("planned", "recorded", "attended", "excused", "absent", "unrecorded", "cancelled", "outside_plan",
                   "rate", "consecutive_absences", "alert")
HOURS_KEYS = ("planned", "attended", "planned_minutes", "attended_minutes", "floor")
WEEK_KEYS = ("week", "start", "end", "planned_hours", "attended_hours", "scheduled_hours", "planned_minutes",
             "attended_minutes", "sessions_planned", "sessions_attended", "complete", "partial", "under_floor")
SESSION_KEYS = ("date", "week", "status", "minutes", "attended_minutes")  # not the session: its id can say what it is
INSTRUMENT_KEYS = ("baseline", "baseline_date", "latest", "latest_date", "change", "band", "response", "remission",
                   "meaningful_change", "meaningful_drop", "count")
SCORE_KEYS = ("date", "score")
PLAN_REVIEW_KEYS = ("last_review", "due", "overdue")
CASELOAD_ROW_KEYS = ("participant", "status", "week", "weeks", "rate", "planned", "attended", "hours_this_week",
                     "scheduled_this_week", "phq9", "gad7", "objectives_met", "objectives", "plan_review_due")
CASELOAD_SCORE_KEYS = ("latest", "change", "date")
TOTALS_KEYS = ("participants", "active", "on_hold", "planned", "attended", "unrecorded", "rate", "hours_attended",
               "hours_this_week", "objectives_met", "objectives", "objectives_overdue", "plan_reviews_overdue")


def _pick(d: dict, keys: Sequence[str]) -> dict:
    return {k: d[k] for k in keys}


def objective_counts(p: ParticipantProgress) -> dict:
    """How many objectives, how many overdue, and how many in each status (every status, in a fixed order)."""
    by_status = {s: 0 for s in OBJECTIVE_STATUSES}
    for o in p.objectives:
        by_status[o.status] = by_status.get(o.status, 0) + 1
    return {"total": len(p.objectives), "overdue": len(p.objectives_overdue), "by_status": by_status}


def disclosure_participant_dict(p: ParticipantProgress) -> dict:
    """The JSON of one participant for disclosure: the notice, the ID and the numbers (docs/progress.md)."""
    d = participant_dict(p)  # the same numbers as the care team's report, taken key by key
    due = d["due"]
    return {
        "notice": DISCLOSURE_NOTICE,
        "participant": d["participant"],
        "status": d["status"],
        "as_of": d["as_of"],
        "track": d["track"],
        "level_of_care": d["level_of_care"],
        "plan": _pick(d["plan"], PLAN_KEYS),
        "attendance": _pick(d["attendance"], ATTENDANCE_KEYS),
        "hours": _pick(d["hours"], HOURS_KEYS),
        # closures only counted: their reasons are free text
        "weeks": [{**_pick(w, WEEK_KEYS), "closed_days": len(w["closures"])} for w in d["weeks"]],
        "sessions": [_pick(x, SESSION_KEYS) for x in d["sessions"]],
        "instruments": {name: {**_pick(i, INSTRUMENT_KEYS), "series": [_pick(x, SCORE_KEYS) for x in i["series"]]}
                        for name, i in d["instruments"].items()},
        "objectives": objective_counts(p),
        "due": {
            "plan_review": _pick(due["plan_review"], PLAN_REVIEW_KEYS),
            "discharge_target": due["discharge_target"],
            "discharge_target_from": due["discharge_target_from"],
        },
        "milestones": {"count": d["milestones"]["count"]},
        "screens": {"count": d["screens"]["count"], "positive": d["screens"]["positive"],
                    "positive_dates": [x["date"] for x in d["screens"]["positives"]]},
    }


def _disclosed_header(p: ParticipantProgress) -> str:
    return " · ".join([p.participant, _header_line(p, name=False)])


def _objective_counts_line(p: ParticipantProgress) -> str:
    counts = objective_counts(p)
    if not counts["total"]:
        return "objectives: none" + ("" if p.plan_start else " (no plan)")
    parts = ", ".join(f"{n} {status}" for status, n in counts["by_status"].items() if n)
    return f"objectives: {counts['total']} ({parts}), {counts['overdue']} overdue"


def _disclosed_milestones_line(p: ParticipantProgress) -> str:
    return f"milestones: {len(p.milestones)}"


def _disclosed_screens_line(p: ParticipantProgress) -> str:
    """Counts and the dates of positive screens; not their kind (free text) nor substances."""
    pos = p.positive_screens
    text = f"screens: {len(p.screens)}, {len(pos)} positive"
    return text + (" (" + ", ".join(str(x["date"]) for x in pos) + ")" if pos else "")


def _objective_counts_table(p: ParticipantProgress) -> tuple[list[str], list[list[int]]]:
    counts = objective_counts(p)
    return (["total", *counts["by_status"], "overdue"],
            [[counts["total"], *counts["by_status"].values(), counts["overdue"]]])


def disclosure_participant_text(p: ParticipantProgress) -> str:
    out = [DISCLOSURE_NOTICE, "", _disclosed_header(p), f"as of {p.as_of} · {DISCLOSURE_HEADING}", ""]
    out += _numbers_text(p)
    out += ["", _wrap(_first_upper(_objective_counts_line(p)), "", "  "), "", "Due"]
    out.extend(_wrap(line) for line in _due_lines(p, aftercare=False) or ["no plan"])
    out += ["", _first_upper(_disclosed_milestones_line(p)), _wrap(_first_upper(_disclosed_screens_line(p)), "", "  ")]
    return "\n".join(out) + "\n"


def disclosure_participant_md(p: ParticipantProgress) -> str:
    out = [f"> {DISCLOSURE_NOTICE}", "", f"# Progress: {_md_cell(_disclosed_header(p))}", "",
           f"As of {p.as_of}; {DISCLOSURE_HEADING}.", ""]
    out += _numbers_md(p)
    out += ["", "## Objectives", ""]
    out.append(md_table(*_objective_counts_table(p)) if p.objectives else "None (no plan).")
    out += ["", "## Due", ""]
    out += [f"- {_md_cell(line)}" for line in _due_lines(p, aftercare=False) or ["no plan"]]
    out += ["", "## Milestones and screens", "", f"- {_md_cell(_disclosed_milestones_line(p))}",
            f"- {_md_cell(_disclosed_screens_line(p))}"]
    return "\n".join(out) + "\n"


def disclosure_participant_csv(p: ParticipantProgress) -> str:
    """The long form of `participant_csv`, flattened from the disclosure JSON, under a `#` notice line."""
    d = disclosure_participant_dict(p)
    rows: list[tuple] = [("participant", "", k, d[k]) for k in ("participant", "status", "as_of", "track",
                                                                "level_of_care")]
    rows += [("plan", "", k, v) for k, v in d["plan"].items()]
    rows += [("attendance", "", k, v) for k, v in d["attendance"].items()]
    rows += [("hours", "", k, v) for k, v in d["hours"].items()]
    for w in d["weeks"]:
        rows += [("week", w["week"], k, v) for k, v in w.items() if k != "week"]
    for name, i in d["instruments"].items():
        rows += [("instrument", name, k, v) for k, v in i.items() if k != "series"]
    o = d["objectives"]
    rows += [("objectives", "", "total", o["total"]), ("objectives", "", "overdue", o["overdue"])]
    rows += [("objectives", "by_status", status, n) for status, n in o["by_status"].items()]
    due = d["due"]
    rows += [("due", "plan_review", k, v) for k, v in due["plan_review"].items()]
    rows += [("due", "discharge_target", "date", due["discharge_target"])]
    rows += [("milestones", "", "count", d["milestones"]["count"]),
             ("screens", "", "count", d["screens"]["count"]), ("screens", "", "positive", d["screens"]["positive"])]
    return f"# {DISCLOSURE_NOTICE}\n" + output.to_csv(["section", "item", "field", "value"],
                                                      [[_csv_value(v) for v in r] for r in rows])


def disclosure_participant_json(p: ParticipantProgress) -> str:
    return output.to_json(disclosure_participant_dict(p))


def disclosure_participant_html(p: ParticipantProgress, program_name: str = "") -> str:
    # Scores only: the charts' copies hold no PHQ-9 item answers, so no point is ringed or says "item 9".
    summaries = [dataclasses.replace(i, item9_positive=[]) for i in p.instruments.values()]
    body = [f'<p class="notice"><strong>{esc(DISCLOSURE_NOTICE)}</strong></p>',
            f"<h1>Progress: {esc(p.participant)}</h1>",
            f'<p class="meta">{esc(program_name + " · " if program_name else "")}'
            f"{esc(_header_line(p, name=False))} · as of {esc(p.as_of)}</p>",
            f'<p class="meta">{esc(_first_upper(DISCLOSURE_HEADING))}.</p>']
    body += _numbers_html(p, summaries)
    body.append("<h2>Objectives</h2>")
    body.append(_html_table(*_objective_counts_table(p)) if p.objectives else "<p>None (no plan).</p>")
    body.append("<h2>Due</h2><ul>" + "".join(f"<li>{esc(line)}</li>"
                                             for line in _due_lines(p, aftercare=False) or ["no plan"]) + "</ul>")
    body.append("<h2>Milestones and screens</h2><ul>"
                f"<li>{esc(_disclosed_milestones_line(p))}</li><li>{esc(_disclosed_screens_line(p))}</li></ul>")
    return _page(f"Progress: {p.participant} as of {p.as_of} (for disclosure)", body, DISCLOSURE_CSS)


def disclosure_caseload_rows(c: Caseload) -> list[dict]:
    """Caseload rows without flags, in ID order (the care team's attention order would tell who is flagged)."""
    rows = []
    for r in sorted(c.rows, key=lambda r: r.participant):
        row = caseload_row(r)
        picked = _pick(row, CASELOAD_ROW_KEYS)
        for key in ("phq9", "gad7"):  # {latest, change, date} or None
            picked[key] = row[key] and _pick(row[key], CASELOAD_SCORE_KEYS)
        rows.append(picked)
    return rows


def disclosure_caseload_dict(c: Caseload) -> dict:
    return {"notice": DISCLOSURE_NOTICE, "as_of": c.as_of.isoformat(), "participants": disclosure_caseload_rows(c),
            "totals": _pick(c.totals, TOTALS_KEYS)}


def _disclosure_caseload_table(c: Caseload) -> tuple[list[str], list[list[str]]]:
    return CASELOAD_HEADER[:-1], _caseload_table_rows(disclosure_caseload_rows(c), flags=False)


def disclosure_caseload_text(c: Caseload) -> str:
    header, rows = _disclosure_caseload_table(c)
    out = [DISCLOSURE_NOTICE, "", f"Caseload as of {c.as_of} · {DISCLOSURE_HEADING}",
           "(hours: attended so far / scheduled in the current plan week)", ""]
    out.append(text_table(header, rows) if rows else "No active or on-hold participants.")
    out += ["", _wrap("Program: " + _totals_text(_pick(c.totals, TOTALS_KEYS)), "", "  ")]
    return "\n".join(out) + "\n"


def disclosure_caseload_md(c: Caseload) -> str:
    header, rows = _disclosure_caseload_table(c)
    out = [f"> {DISCLOSURE_NOTICE}", "", f"# Caseload as of {c.as_of}", "", f"{_first_upper(DISCLOSURE_HEADING)}.",
           "", md_table(header, rows) if rows else "No active or on-hold participants.",
           "", "Hours: attended so far / scheduled in the current plan week.", "",
           f"**Program:** {_md_cell(_totals_text(_pick(c.totals, TOTALS_KEYS)))}."]
    return "\n".join(out) + "\n"


def disclosure_caseload_csv(c: Caseload) -> str:
    """`caseload_csv` without the flags column, rows in ID order, under a `#` notice line."""
    rows = []
    for r in disclosure_caseload_rows(c):
        phq, gad = r["phq9"] or {}, r["gad7"] or {}
        rows.append([r["participant"], r["status"], r["week"], r["weeks"], r["rate"], r["planned"], r["attended"],
                     r["hours_this_week"], r["scheduled_this_week"], phq.get("latest"), phq.get("change"),
                     gad.get("latest"), gad.get("change"), r["objectives_met"], r["objectives"],
                     r["plan_review_due"]])
    return f"# {DISCLOSURE_NOTICE}\n" + output.to_csv(CASELOAD_CSV[:-1], rows)


def disclosure_caseload_json(c: Caseload) -> str:
    return output.to_json(disclosure_caseload_dict(c))


def disclosure_caseload_html(c: Caseload, program_name: str = "") -> str:
    header, rows = _disclosure_caseload_table(c)
    body = [f'<p class="notice"><strong>{esc(DISCLOSURE_NOTICE)}</strong></p>',
            f"<h1>Caseload as of {esc(c.as_of)}</h1>",
            f'<p class="meta">{esc(program_name)}</p>' if program_name else "",
            f'<p class="meta">{esc(_first_upper(DISCLOSURE_HEADING))}.</p>',
            _html_table(header, rows),
            '<p class="note">Hours: attended so far / scheduled in the current plan week.</p>',
            f"<p><strong>Program:</strong> {esc(_totals_text(_pick(c.totals, TOTALS_KEYS)))}.</p>"]
    return _page(f"Caseload as of {c.as_of} (for disclosure)", [b for b in body if b], DISCLOSURE_CSS)


RENDER_PARTICIPANT = {"table": participant_text, "md": participant_md, "csv": participant_csv,
                      "json": participant_json}
RENDER_CASELOAD = {"table": caseload_text, "md": caseload_md, "csv": caseload_csv, "json": caseload_json}
DISCLOSE_PARTICIPANT = {"table": disclosure_participant_text, "md": disclosure_participant_md,
                        "csv": disclosure_participant_csv, "json": disclosure_participant_json}
DISCLOSE_CASELOAD = {"table": disclosure_caseload_text, "md": disclosure_caseload_md, "csv": disclosure_caseload_csv,
                     "json": disclosure_caseload_json}
FORMATS = ("table", "md", "csv", "json", "html")


def render_participant(p: ParticipantProgress, fmt: str, program_name: str = "",
                       for_disclosure: bool = False) -> str:
    """One participant's summary; `for_disclosure`: minimum necessary under the 42 CFR 2.32 notice."""
    if fmt == "html":
        return (disclosure_participant_html if for_disclosure else participant_html)(p, program_name)
    return (DISCLOSE_PARTICIPANT if for_disclosure else RENDER_PARTICIPANT)[fmt](p)


def render_caseload(c: Caseload, fmt: str, program_name: str = "", for_disclosure: bool = False) -> str:
    """The caseload; `for_disclosure`: minimum necessary under the 42 CFR 2.32 notice."""
    if fmt == "html":
        return (disclosure_caseload_html if for_disclosure else caseload_html)(c, program_name)
    return (DISCLOSE_CASELOAD if for_disclosure else RENDER_CASELOAD)[fmt](c)
