"""`iopctl update`: record an objective's new status in a participant's progress file."""
from __future__ import annotations

import datetime as dt

import click

from iopctl import authoring, skeletons
from iopctl.commands import writing
from iopctl.commands.common import parse_date


@click.command("update")
@click.argument("pid", metavar="ID", shell_complete=writing.complete_participant)
@click.argument("objective", shell_complete=writing.complete_objective)
@click.argument("status", type=click.Choice(authoring.OBJECTIVE_STATUSES))
@click.option("--note", metavar="TEXT", help="What was observed.")
@click.option("--date", "day", metavar="DATE", callback=parse_date, help="Date of the update (default: today).")
@writing.write_options
def command(pid: str, objective: str, status: str, note: str | None, day: dt.date | None, force: bool,
            commit: bool, fmt: str, records_dir: str | None, as_of: dt.date | None) -> None:
    """Set the status of an objective of ID's plan: adds to objective_updates in progress/ID.yaml.

    OBJECTIVE is an objective id from plans/ID.yaml (e.g. 1.1.1); an
    objective's status is its latest update. A second update of the same
    objective on the same day is refused unless --force replaces it.

    \b
    Examples:
      iopctl update P0002 1.1.1 in-progress --note "2 of 3 meetings"
      iopctl update P0002 2.1.1 met --date 2026-11-20
    """
    root, loaded = writing.load(records_dir)
    writing.require_program(loaded)
    writing.check_participant(root, pid)
    today = writing.today(loaded, as_of)
    day = day or today
    write = authoring.Write(f"progress/{pid}.yaml", edit=authoring.add_objective_update(day, objective, status, note,
                                                                                        force),
                            start_text=skeletons.progress_yaml(pid))
    writing.run(root, [write], today, force, commit, fmt,
                f"objective update: {pid} {objective} {status} {day.isoformat()}", loaded)
