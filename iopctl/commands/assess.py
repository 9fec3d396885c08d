"""`iopctl assess`: add a standardised assessment to a participant's progress file."""
from __future__ import annotations

import datetime as dt

import click

from iopctl import authoring, skeletons
from iopctl.commands import writing
from iopctl.commands.common import parse_date
from iopctl.instruments import INSTRUMENTS


def _score(ctx: click.Context, param: click.Parameter, value: str) -> int | float:
    try:
        number = float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise click.BadParameter(f"{value!r} is not a number")
    return int(number) if number.is_integer() and "." not in value else number


def _instrument(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """PHQ-9 as written in the records, whatever the case typed (phq-9, Phq-9)."""
    for name in INSTRUMENTS:
        if name.lower() == value.lower():
            return name
    raise click.BadParameter(f"{value!r} is not an instrument iopctl knows: {', '.join(INSTRUMENTS)}")


def _complete_instrument(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [name for name in INSTRUMENTS if name.lower().startswith(incomplete.lower())]


def _items(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int] | None:
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if not all(p.isdigit() for p in parts):
        raise click.BadParameter(f"{value!r}: give the item scores as whole numbers separated by commas, "
                                 "e.g. 2,1,0,3")
    return [int(p) for p in parts]


@click.command("assess")
@click.argument("pid", metavar="ID", shell_complete=writing.complete_participant)
@click.argument("instrument", callback=_instrument, shell_complete=_complete_instrument)
@click.argument("score", callback=_score)
@click.option("--date", "day", metavar="DATE", callback=parse_date, help="Date given (default: today).")
@click.option("--items", callback=_items, metavar="N,N,...", help="Item scores in order; they must sum to SCORE.")
@click.option("--note", metavar="TEXT", help="A note kept with the score.")
@writing.write_options
def command(pid: str, instrument: str, score: int | float, day: dt.date | None, items: list[int] | None,
            note: str | None, force: bool, commit: bool, fmt: str, records_dir: str | None,
            as_of: dt.date | None) -> None:
    """Add an assessment (PHQ-9, GAD-7, AUDIT, DAST-10, PCL-5, BAM) to progress/ID.yaml.

    The score is checked against the instrument's range and, with --items,
    against their sum before anything is written. A second score for the
    same instrument on the same day is refused unless --force replaces it.

    \b
    Examples:
      iopctl assess P0002 PHQ-9 12 --items 2,1,2,1,2,1,1,1,1
      iopctl assess P0002 GAD-7 8 --date 2026-11-20
    """
    root, loaded = writing.load(records_dir)
    writing.require_program(loaded)
    writing.check_participant(root, pid)
    today = writing.today(loaded, as_of)
    day = day or today
    rel = f"progress/{pid}.yaml"
    write = authoring.Write(rel, edit=authoring.add_assessment(day, instrument, score, items, note, force),
                            start_text=skeletons.progress_yaml(pid))
    writing.run(root, [write], today, force, commit, fmt, f"assessment: {pid} {instrument} {day.isoformat()}",
                loaded)
