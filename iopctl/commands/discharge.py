"""`iopctl discharge`: record that a participant left the program."""
from __future__ import annotations

import datetime as dt

import click

from iopctl import authoring
from iopctl.commands import writing
from iopctl.commands.common import parse_date


@click.command("discharge")
@click.argument("pid", metavar="ID", shell_complete=writing.complete_participant)
@click.option("--date", "day", metavar="DATE", callback=parse_date, help="Discharge date (default: today).")
@click.option("--reason", required=True, type=click.Choice(authoring.DISCHARGE_REASONS),
              help="Why the participant left; `withdrew` sets status withdrawn, the others discharged.")
@writing.write_options
def command(pid: str, day: dt.date | None, reason: str, force: bool, commit: bool, fmt: str,
            records_dir: str | None, as_of: dt.date | None) -> None:
    """Set status, discharged and discharge_reason in participants/ID.yaml.

    Refused when the result would not validate: a date before admission, or
    attendance already recorded after it. A participant who already has a
    discharge date is refused unless --force changes it. A planned discharge
    needs an aftercare plan with a follow-up within 7 days (warning IOP041).

    \b
    Examples:
      iopctl discharge P0002 --date 2026-11-23 --reason completed
    """
    root, loaded = writing.load(records_dir)
    writing.require_program(loaded)
    writing.check_participant(root, pid)
    today = writing.today(loaded, as_of)
    day = day or today
    write = authoring.Write(f"participants/{pid}.yaml", edit=authoring.set_discharge(day, reason, force))
    writing.run(root, [write], today, force, commit, fmt, f"discharge: {pid} {day.isoformat()} ({reason})", loaded)
