"""`iopctl history ID`: the commits that changed a participant's records, in clinical terms."""
from __future__ import annotations

import click

from iopctl import git, output
from iopctl.commands.common import EXIT_FINDINGS, EXIT_USAGE, fail, find_root, records_option
from iopctl.history import ID_PATTERN, HistoryEntry, known_participant, participant_history
from iopctl.semdiff import FileDiff, clean

LABELS = {"participant": "profile", "plan": "plan", "progress": "progress", "program": "program"}


def file_label(d: FileDiff) -> str:
    """How a history line names the file: profile, plan, progress, or the session and its date."""
    if d.kind == "session":
        moved = f", moved from {d.previous_file}" if d.previous_file else ""
        return f"session {d.subject}{moved}"
    return LABELS.get(d.kind or "", d.file)


MAX_CHANGES_PER_LINE = 8


def _one_line(d: FileDiff) -> str:
    """The file's changes on one line; a long list ends in "and N more" (the json has them all)."""
    if len(d.changes) <= MAX_CHANGES_PER_LINE:
        return d.summary()
    shown = "; ".join(c.line for c in d.changes[:MAX_CHANGES_PER_LINE])
    return f"{shown}; and {len(d.changes) - MAX_CHANGES_PER_LINE} more"


def history_text(pid: str, entries: list[HistoryEntry]) -> str:
    if not entries:
        return f"{pid}: no committed changes to their records\n"
    lines = [f"{pid}: {output.plural(len(entries), 'commit')}, newest first"]
    for e in entries:
        c = e.commit
        lines.append(f"{c.date}  {c.short}  {clean(c.author)}: {clean(c.subject)}")
        for d in e.files:
            lines.append(f"    {file_label(d)}: {_one_line(d)}")
    return "\n".join(lines) + "\n"


def history_json(pid: str, sessions: bool, entries: list[HistoryEntry]) -> str:
    return output.to_json({"participant": pid, "sessions": sessions, "commits": [e.as_dict() for e in entries]})


@click.command("history")
@click.argument("participant")
@records_option
@click.option("--sessions", is_flag=True, help="Also the commits that changed session files naming them.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for programs.")
def command(participant: str, records_dir: str | None, sessions: bool, fmt: str) -> None:
    """Every commit that changed a participant's profile, plan or progress file,
    newest first: date, commit, author, subject, and what changed in clinical
    terms. Reads git; never changes the repository.

    \b
    Examples:
      iopctl history P0001
      iopctl history P0001 --sessions --format json
    """
    if not ID_PATTERN.match(participant):
        fail(f"{participant!r} is not a participant id (letters, digits, - and _)", EXIT_USAGE)
    root = find_root(records_dir)
    try:
        entries = participant_history(root, participant, sessions=sessions)
        if not entries and not known_participant(root, participant):
            fail(f"no participant {participant}: no record files and no commits name that id", EXIT_FINDINGS)
    except git.GitError as e:
        fail(str(e), EXIT_USAGE)
    if fmt == "json":
        click.echo(history_json(participant, sessions, entries), nl=False)
    else:
        click.echo(history_text(participant, entries), nl=False)
