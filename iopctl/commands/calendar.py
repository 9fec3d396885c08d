"""`iopctl calendar`: a participant's sessions, or the program's sessions with their rosters."""
from __future__ import annotations

import datetime as dt

import click

from iopctl import calendar, output, repo
from iopctl import records as records_mod
from iopctl.commands.common import as_of_option, fail, find_root, parse_date, records_option, refuse_invalid
from iopctl.records import InvalidRecords

FORMATS = ("table", "csv", "json", "ics")


@click.command("calendar")
@click.argument("participant", required=False, metavar="[ID]")
@click.option("--program", "program_view", is_flag=True,
              help="Every session in the range with the participants expected there (staff view).")
@click.option("--from", "first", metavar="DATE", callback=parse_date,
              help="First day to show (YYYY-MM-DD). Default: the plan's start; with --program, "
                   "the Monday of --as-of's week (or six days before --to).")
@click.option("--to", "last", metavar="DATE", callback=parse_date,
              help="Last day to show (YYYY-MM-DD). Default: no limit (the plan, then its "
                   "follow-ups); with --program, six days after --from.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table for people, csv or json for programs, ics for calendar apps.")
@records_option
@as_of_option
def command(participant: str | None, program_view: bool, first: dt.date | None, last: dt.date | None,
            fmt: str, records_dir: str | None, as_of: dt.date | None) -> None:
    """Show a participant's session calendar, or the program's sessions.

    ID: the participant's sessions from their plan (track timetable minus
    skip_sessions, plus extra_sessions), without closures and public
    holidays, then their aftercare follow-ups. The table totals the hours
    of each plan week and marks weeks under the level of care's floor.

    --program: every session from --from to --to (default: this week) with
    the ids of the participants expected there.

    Times are local to the program's time zone. --format ics writes an
    RFC 5545 calendar to import into a calendar app (redirect it to a file).

    \b
    Examples:
      iopctl calendar P0003
      iopctl calendar P0003 --from 2026-11-23 --to 2026-11-29 --format json
      iopctl calendar P0003 --format ics > P0003.ics
      iopctl calendar --program --from 2026-11-23 --to 2026-11-29
    """
    if program_view and participant:
        raise click.UsageError("give a participant ID or --program, not both")
    if not program_view and not participant:
        raise click.UsageError("give a participant ID, or --program for every session")
    if first and last and first > last:
        raise click.BadParameter(f"--from {first} is after --to {last}", param_hint="'--from'")
    root = find_root(records_dir)
    loaded = records_mod.load(root)
    day = as_of or records_mod.today(loaded.records)

    if program_view:
        if first is None and last is None:
            first, last = calendar.default_week(day)
        elif first is None:
            first = last - dt.timedelta(days=6)
        elif last is None:
            last = first + dt.timedelta(days=6)
        needed = [d.rel for d in loaded.documents if d.kind in ("program", "participant", "plan")]
        _require_valid(loaded, day, needed, "build the program calendar")
        try:
            cal = calendar.program_calendar(loaded.records, first, last)
        except calendar.CalendarError as e:
            fail(str(e))
        _print_program(cal, fmt)
        return

    if participant not in loaded.records.participants and not loaded.records.exists("participant", participant):
        fail(calendar.unknown_participant(loaded.records, participant))
    # The files a calendar is built from must be free of errors; a progress file or a
    # session log does not change when anyone comes.
    needed = [repo.PROGRAM_FILE, f"participants/{participant}.yaml", f"plans/{participant}.yaml"]
    _require_valid(loaded, day, needed, f"build the calendar of {participant}")
    try:
        pcal = calendar.participant_calendar(loaded.records, participant, first, last)
    except calendar.CalendarError as e:
        fail(str(e))
    _print_participant(pcal, fmt)


def _require_valid(loaded: records_mod.Loaded, day: dt.date, files: list[str] | None, what: str) -> None:
    try:
        records_mod.require_valid(loaded, day, files)
    except InvalidRecords as e:
        refuse_invalid(e, what)


def _print_participant(cal: calendar.ParticipantCalendar, fmt: str) -> None:
    if fmt == "json":
        click.echo(output.to_json(calendar.participant_json(cal)), nl=False)
    elif fmt == "csv":
        click.echo(output.to_csv(*calendar.participant_csv_rows(cal)), nl=False)
    elif fmt == "ics":
        click.echo(calendar.participant_ics(cal), nl=False)
    else:
        click.echo(calendar.participant_table(cal, color=output.use_color()), nl=False)


def _print_program(cal: calendar.ProgramCalendar, fmt: str) -> None:
    if fmt == "json":
        click.echo(output.to_json(calendar.program_json(cal)), nl=False)
    elif fmt == "csv":
        click.echo(output.to_csv(*calendar.program_csv_rows(cal)), nl=False)
    elif fmt == "ics":
        click.echo(calendar.program_ics(cal), nl=False)
    else:
        click.echo(calendar.program_table(cal), nl=False)

