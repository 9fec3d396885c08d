"""`iopctl new participant`: profile, plan and progress skeletons for a new participant."""
from __future__ import annotations

import datetime as dt

import click

from iopctl import authoring, skeletons
from iopctl.commands import writing
from iopctl.commands.common import fail, parse_date
from iopctl.schemas import did_you_mean


@click.group("new")
def command() -> None:
    """Create new records from commented skeletons."""


@command.command("participant")
@click.argument("pid", metavar="ID")
@click.option("--track", required=True, metavar="TRACK", shell_complete=writing.complete_track,
              help="Track id from program.yaml.")
@click.option("--admitted", required=True, metavar="DATE", callback=parse_date,
              help="Admission date (YYYY-MM-DD); also the plan's start.")
@click.option("--name", metavar="NAME", help="Preferred name, the only name kept (default: a TODO placeholder).")
@click.option("--dob", metavar="DATE", callback=parse_date,
              help="Date of birth (default: a placeholder to replace).")
@writing.write_options
def participant(pid: str, track: str, admitted: dt.date, name: str | None, dob: dt.date | None, force: bool,
                commit: bool, fmt: str, records_dir: str | None, as_of: dt.date | None) -> None:
    """Write participants/ID.yaml, plans/ID.yaml and progress/ID.yaml for a new participant.

    The files validate as written and say in comments what to fill in; the
    plan's problem, goal and objective are TODO placeholders for the plan
    agreed with the participant. An existing ID is refused (--force
    replaces its three files). ID is a pseudonymous code, never a name.

    \b
    Examples:
      iopctl new participant P0012 --track adult-evening --admitted 2026-11-23 --name Sam
    """
    if not writing.ID_RE.match(pid):
        raise click.BadParameter(f"{pid!r} is not an id (letters, digits, - and _, at most 40)", param_hint="ID")
    root, loaded = writing.load(records_dir)
    writing.require_program(loaded)
    program = loaded.records.program
    if track not in program.tracks:
        raise click.BadParameter(f"there is no track {track}{did_you_mean(track, program.tracks)} "
                                 f"(tracks: {', '.join(program.tracks)})", param_hint="--track")
    files = [f"participants/{pid}.yaml", f"plans/{pid}.yaml", f"progress/{pid}.yaml"]
    existing = [f for f in files if (root / f).exists()]
    if existing and not force:
        fail(f"participant {pid} already exists ({', '.join(existing)}); choose another id, "
             "or pass --force to replace its files")
    today = writing.today(loaded, as_of)
    status = "referred" if admitted > today else "active"
    staff = next(iter(program.staff))
    writes = [
        authoring.Write(files[0], text=skeletons.participant_yaml(pid, track, admitted, name, dob, status, staff),
                        summary=f"{status}, {track}, admitted {admitted.isoformat()}"),
        authoring.Write(files[1], text=skeletons.plan_yaml(pid, admitted, program.tracks[track].weeks, staff),
                        summary="plan skeleton: replace the TODO problem, goal and objective"),
        authoring.Write(files[2], text=skeletons.progress_yaml(pid), summary="empty progress"),
    ]
    writing.run(root, writes, today, force, commit, fmt, f"new participant: {pid}", loaded)
    if fmt == "text":
        todo = [] if name else ["preferred_name"]
        todo += [] if dob else ["date_of_birth"]
        if todo:
            click.echo(f"fill in: {', '.join(todo)} in {files[0]} (placeholders)")
        click.echo(f"fill in: the TODO problem, goal and objective in {files[1]}")
