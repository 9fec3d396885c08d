"""`iopctl review`: record a treatment plan review."""
from __future__ import annotations

import datetime as dt

import click

from iopctl import authoring
from iopctl.commands import writing
from iopctl.commands.common import parse_date


@click.command("review")
@click.argument("pid", metavar="ID", shell_complete=writing.complete_participant)
@click.option("--by", required=True, metavar="STAFF", shell_complete=writing.complete_staff,
              help="Staff id of the reviewer.")
@click.option("--summary", required=True, metavar="TEXT", help="Outcome of the review.")
@click.option("--date", "day", metavar="DATE", callback=parse_date, help="Date of the review (default: today).")
@writing.write_options
def command(pid: str, by: str, summary: str, day: dt.date | None, force: bool, commit: bool, fmt: str,
            records_dir: str | None, as_of: dt.date | None) -> None:
    """Add a plan review to plans/ID.yaml (reviews are due every plan_review_days, 30 by default).

    A second review on the same day is refused unless --force replaces it.

    \b
    Examples:
      iopctl review P0002 --by mrivera --summary "Goals on track; added a family session."
    """
    root, loaded = writing.load(records_dir)
    writing.require_program(loaded)
    writing.check_participant(root, pid)
    today = writing.today(loaded, as_of)
    day = day or today
    write = authoring.Write(f"plans/{pid}.yaml", edit=authoring.add_review(day, by, summary, force))
    writing.run(root, [write], today, force, commit, fmt, f"plan review: {pid} {day.isoformat()}", loaded)
