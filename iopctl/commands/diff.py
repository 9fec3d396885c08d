"""`iopctl diff`: records compared between two revisions, in clinical terms."""
from __future__ import annotations

import re

import click

from iopctl import git, output
from iopctl.commands.common import EXIT_USAGE, fail, find_root, records_option
from iopctl.history import Comparison, compare, known_participant, participant_paths
from iopctl.semdiff import FLAG_REASON, FileDiff

FLAG_NOTE = ("Flagged changes alter a delivered-care record after the fact (attendance of a session "
             "already on record, or a held session cancelled or removed): check each is a documented correction.")


def _sides(c: Comparison) -> tuple[str, str]:
    to = f"{c.rev_b} ({c.commit_b[:8]})" if c.rev_b else "the working tree"
    return f"{c.rev_a} ({c.commit_a[:8]})", to


def _counts(c: Comparison) -> str:
    return (f"{output.plural(len(c.files), 'file')}, {output.plural(c.changes, 'change')}, "
            f"{c.flagged} flagged")


def _heading(d: FileDiff) -> str:
    status = f"moved from {d.previous_file}" if d.previous_file else d.status
    return f"{d.file} ({d.subject}): {status}"


def diff_text(c: Comparison) -> str:
    a, b = _sides(c)
    if not c.files:
        return f"No record changes from {a} to {b}.\n"
    lines = [f"Record changes from {a} to {b}: {_counts(c)}"]
    for d in c.files:
        lines += ["", _heading(d)]
        if not d.changes:
            lines.append(f"  - {d.summary()}")
        for ch in d.changes:
            lines.append(f"  {'!' if ch.flagged else '-'} {ch.line}")
            lines += [f"      {label}: {value}" for label, value in ch.long_form()]
    if c.flagged:
        lines += ["", f"! {FLAG_NOTE}"]
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md_escape(text: str) -> str:
    """Record text as literal Markdown (no emphasis, links, HTML or tables from the data)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_change(summary: str) -> str:
    return md_escape(summary).replace(" -\\> ", " → ")


def _tick(rev: str) -> str:
    return rev.replace("`", "")


def diff_md(c: Comparison) -> str:
    """A review comment for a pull request."""
    a = f"`{_tick(c.rev_a)}` (`{c.commit_a[:8]}`)"
    b = f"`{_tick(c.rev_b)}` (`{c.commit_b[:8]}`)" if c.rev_b else "the working tree"
    lines = [f"## Record changes: {a} → {b}", ""]
    if not c.files:
        return "\n".join(lines + ["No changes to record files.", ""])
    lines.append(f"**{_counts(c)}.**")
    if c.flagged:
        lines += ["", f"> **{c.flagged} flagged:** {FLAG_NOTE}"]
    for d in c.files:
        status = f"moved from `{d.previous_file}`" if d.previous_file else d.status
        lines += ["", f"### `{d.file}` ({md_escape(d.subject)}): {status}", ""]
        if not d.changes:
            lines.append(f"- {d.summary()}")
        for ch in d.changes:
            if ch.flagged:
                lines.append(f"- **FLAGGED** ({FLAG_REASON}): {_md_change(ch.summary)}")
            else:
                lines.append(f"- {_md_change(ch.summary)}")
            lines += [f"  - {label}: {md_escape(value)}" for label, value in ch.long_form()]
    return "\n".join(lines) + "\n"


def split_arguments(root, args: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """[REV_A [REV_B]] [ID...]: leading arguments that name commits are revisions
    (a name that is also a participant's file is the participant); the rest are ids."""
    r = git.find_repo(root)
    revs: list[str] = []
    ids: list[str] = []
    for arg in args:
        is_person = any((root / p).is_file() for p in participant_paths(arg)) if "/" not in arg else False
        if not ids and len(revs) < 2 and not is_person and git.is_revision(r, arg):
            revs.append(arg)
        else:
            ids.append(arg)
    shas = [git.resolve(r, rev) for rev in revs] or [git.resolve(r, "HEAD")]
    for pid in ids:
        if not known_participant(root, pid, shas):
            if git.is_revision(r, pid):
                raise git.UnknownRevision(f"too many revisions at {pid!r}: give at most two, then participant ids")
            raise git.UnknownRevision(f"unknown revision or participant {pid!r}: no commit by that name in this "
                                      "repository and no participant with that id")
    return revs, ids


@click.command("diff")
@click.argument("args", nargs=-1, metavar="[REV_A [REV_B]] [ID...]")
@records_option
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True,
              help="text for people, md for a pull-request comment, json for programs.")
def command(args: tuple[str, ...], records_dir: str | None, fmt: str) -> None:
    """Compare the records between two revisions in clinical terms: participants
    admitted or discharged; goals, objectives and interventions added, removed
    or changed; reviews; sessions added or rescheduled; assessments. Attendance
    changed after the fact is FLAGGED. Default: HEAD against the working tree
    (untracked files included). With IDs, only those participants' changes.

    \b
    Examples:
      iopctl diff
      iopctl diff origin/main HEAD --format md
      iopctl diff HEAD~3 P0001
    """
    root = find_root(records_dir)
    try:
        revs, ids = split_arguments(root, args)
        comparison = compare(root, revs[0] if revs else "HEAD", revs[1] if len(revs) > 1 else None, ids)
    except git.GitError as e:
        fail(str(e), EXIT_USAGE)
    if fmt == "json":
        click.echo(output.to_json(comparison.as_dict()), nl=False)
    elif fmt == "md":
        click.echo(diff_md(comparison), nl=False)
    else:
        click.echo(diff_text(comparison), nl=False)
