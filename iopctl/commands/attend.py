"""`iopctl attend`: record a session's attendance in one line, right after the session."""
from __future__ import annotations

import datetime as dt
import re

import click

from iopctl import authoring, schedule
from iopctl.authoring import Mark
from iopctl.commands import writing
from iopctl.commands.common import fail, parse_date
from iopctl.findings import EXIT_USAGE
from iopctl.schemas import did_you_mean

TIME_RE = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _ids(value: str) -> list[str]:
    """`P1,P2` or `P1`: several ids may share one option."""
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_marks(present: tuple[str, ...], late: tuple[str, ...], left_early: tuple[str, ...],
                excused: tuple[str, ...], absent: tuple[str, ...]) -> dict[str, Mark]:
    """The attendance named on the command line; a usage error for a bad or repeated id."""
    marks: dict[str, Mark] = {}
    given = [("present", present, False), ("late", late, True), ("left-early", left_early, True),
             ("excused", excused, False), ("absent", absent, False)]
    for status, values, timed in given:
        for value in values:
            for item in _ids(value):
                pid, minutes = item, None
                if timed and ":" in item:
                    pid, _, text = item.partition(":")
                    if not text.isdigit():
                        raise click.BadParameter(f"{item!r}: minutes attended must be a whole number, "
                                                 f"as ID:MIN (e.g. {pid}:60)", param_hint=f"--{status}")
                    minutes = int(text)
                if not writing.ID_RE.match(pid):
                    raise click.BadParameter(f"{pid!r} is not a participant id", param_hint=f"--{status}")
                if pid in marks:
                    raise click.BadParameter(f"{pid} is named twice (as {marks[pid].status} and {status})",
                                             param_hint=f"--{status}")
                marks[pid] = Mark(status, minutes)
    return marks


@click.command("attend")
@click.argument("day", metavar="DATE", callback=parse_date)
@click.argument("session_key", metavar="SESSION", shell_complete=writing.complete_session)
@click.option("--present", multiple=True, metavar="ID", shell_complete=writing.complete_participant,
              help="Attended the whole session (repeat, or separate ids with commas).")
@click.option("--late", multiple=True, metavar="ID[:MIN]", shell_complete=writing.complete_participant,
              help="Came late; MIN = minutes attended.")
@click.option("--left-early", "left_early", multiple=True, metavar="ID[:MIN]",
              shell_complete=writing.complete_participant, help="Left early; MIN = minutes attended.")
@click.option("--excused", multiple=True, metavar="ID", shell_complete=writing.complete_participant,
              help="Absent with notice.")
@click.option("--absent", multiple=True, metavar="ID", shell_complete=writing.complete_participant,
              help="Absent without notice.")
@click.option("--cancelled", is_flag=True, help="The session did not take place (no attendance).")
@click.option("--partial", is_flag=True, help="Record only the people named, not the whole roster.")
@click.option("--unscheduled", is_flag=True,
              help="Record a session on a day it does not meet (or the program is closed).")
@click.option("--facilitator", metavar="STAFF", shell_complete=writing.complete_staff,
              help="Who ran it (default: the timetable's facilitator).")
@click.option("--topic", metavar="TEXT", help="What the session covered.")
@click.option("--start", metavar="HH:MM", help="Actual start, when it differs from the timetable.")
@click.option("--minutes", type=click.IntRange(15, 600), help="Actual length, when it differs from the timetable.")
@writing.write_options
def command(day: dt.date, session_key: str, present, late, left_early, excused, absent, cancelled: bool,
            partial: bool, unscheduled: bool, facilitator: str | None, topic: str | None, start: str | None,
            minutes: int | None, force: bool, commit: bool, fmt: str, records_dir: str | None,
            as_of: dt.date | None) -> None:
    """Record who attended a session: writes sessions/YYYY-MM/<date>-<track>-<session>.yaml.

    SESSION is <track>/<session> (or <participant>/<extra session>). Everyone
    the schedule expects at that session must be named once, as present,
    late, left early, excused or absent, unless --partial. A date on which
    the session does not meet is refused unless --unscheduled. MIN after
    --late or --left-early is the minutes attended.

    \b
    Examples:
      iopctl attend 2026-11-23 adult-evening/process-group \\
          --present P0002,P0003,P0004,P0005 --late P0008:60 --absent P0011
      iopctl attend 2026-11-24 adult-evening/family-group --cancelled --topic "Facilitator ill"
    """
    marks = parse_marks(present, late, left_early, excused, absent)
    if cancelled and marks:
        raise click.UsageError("a cancelled session has no attendance: leave out --present, --late, ... ")
    if start is not None and not re.match(TIME_RE, start):
        raise click.BadParameter(f"{start!r} is not a 24-hour time HH:MM", param_hint="--start")
    root, loaded = writing.load(records_dir)
    writing.require_program(loaded)
    records = loaded.records
    definition = records.session_def(session_key)
    if definition is None:
        known = [s.key for t in records.program.tracks.values() for s in t.sessions]
        known += [s.key for p in records.plans.values() for s in p.extra_sessions]
        raise click.BadParameter(f"there is no session {session_key}{did_you_mean(session_key, known)}; "
                                 "sessions are <track>/<session> from program.yaml", param_hint="SESSION")
    if not unscheduled:
        reason = authoring.unscheduled_reason(records, session_key, day)
        if reason:
            fail(f"{reason}; pass --unscheduled to record it anyway")
    if not cancelled:
        roster = schedule.roster(records, session_key, day)
        missing, extra = authoring.roster_gaps(roster, marks)
        if missing and not partial:
            fail(f"not recorded: {', '.join(missing)} (expected at {session_key} on {day.isoformat()}); "
                 "name everyone as --present, --late, --left-early, --excused or --absent, or pass --partial")
        if not marks:
            fail("nobody is named: give --present, --late, ... (or --cancelled)", EXIT_USAGE)
        if extra:
            click.echo(f"note: {', '.join(extra)} not expected at {session_key} on {day.isoformat()} "
                       "by the schedule; recorded as given", err=True)
    text = authoring.attendance_text(day, session_key, None if cancelled else marks,
                                     facilitator=facilitator or definition.facilitator, topic=topic, start=start,
                                     minutes=minutes)
    rel = authoring.session_file(day, session_key)
    summary = f"{session_key} on {day.isoformat()}, {authoring.attendance_summary(None if cancelled else marks)}"
    message = f"attendance: {session_key} {day.isoformat()}" + (" (cancelled)" if cancelled else "")
    writing.run(root, [authoring.Write(rel, text=text, summary=summary)], writing.today(loaded, as_of), force,
                commit, fmt, message, loaded)
