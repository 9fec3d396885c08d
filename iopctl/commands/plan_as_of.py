"""`iopctl plan-as-of ID DATE`: a treatment plan as it stood on a date, from git."""
from __future__ import annotations

import click

from iopctl import git, output
from iopctl.commands.common import EXIT_FINDINGS, EXIT_USAGE, fail, find_root, parse_date, records_option
from iopctl.history import ID_PATTERN, NoPlan, PlanAsOf, plan_as_of
from iopctl.semdiff import clean


def plan_text(p: PlanAsOf) -> str:
    """The plan's YAML as committed, under two comment lines saying which commit (still valid YAML)."""
    c = p.commit
    head = (f"# {p.file} as of {p.day.isoformat()} (end of day, {p.timezone})\n"
            f"# commit {c.short} {c.committed[:10]} {clean(c.author)}: {clean(c.subject)}\n")
    return head + p.text + ("" if p.text.endswith("\n") else "\n")


@click.command("plan-as-of")
@click.argument("participant")
@click.argument("day", metavar="DATE", callback=parse_date)
@records_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: the YAML as committed; json: the plan as the model reads it.")
def command(participant: str, day, records_dir: str | None, fmt: str) -> None:
    """Show a participant's plan as it stood at the end of DATE (in the program's
    time zone): the last commit on the current branch's first-parent line
    that changed plans/ID.yaml before midnight, and the file as committed.

    \b
    Examples:
      iopctl plan-as-of P0001 2026-10-20
      iopctl plan-as-of P0001 2026-10-20 --format json
    """
    if not ID_PATTERN.match(participant):
        fail(f"{participant!r} is not a participant id (letters, digits, - and _)", EXIT_USAGE)
    root = find_root(records_dir)
    try:
        found = plan_as_of(root, participant, day)
    except git.GitError as e:
        fail(str(e), EXIT_USAGE)
    except NoPlan as e:
        fail(str(e), EXIT_FINDINGS)
    if fmt == "json":
        if found.version.obj is None:
            fail(f"{found.file} as committed in {found.commit.short} {found.version.problem}; "
                 "use --format text to see it as written", EXIT_FINDINGS)
        click.echo(output.to_json(found.as_dict()), nl=False)
    else:
        click.echo(plan_text(found), nl=False)
