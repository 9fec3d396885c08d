"""`iopctl init`: a new records repository, ready for git, CI and editors."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from iopctl import authoring, output, skeletons
from iopctl.commands.common import fail
from iopctl.commands.writing import ID_RE
from iopctl.findings import EXIT_USAGE


def _timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{value!r} is not an IANA time zone name like America/Chicago") from None
    return value


@click.command("init")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--id", "program_id", metavar="ID", help="Program id (default: from the folder's name).")
@click.option("--name", metavar="NAME", help="Program name (default: a TODO placeholder).")
@click.option("--timezone", default="America/Chicago", show_default=True, callback=_timezone, metavar="ZONE",
              help="IANA time zone of the program; every time in the records is local to it.")
@click.option("--no-git", is_flag=True, help="Do not run `git init`.")
@click.option("--force", is_flag=True, help="Replace files that already exist.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json lists the files written and whether git init ran.")
def command(folder: str, program_id: str | None, name: str | None, timezone: str, no_git: bool, force: bool,
            fmt: str) -> None:
    """Create a records repository in DIR: a commented program.yaml, the record folders,
    git, a .gitignore for rendered output, a pre-commit hook, a CI workflow and editor schemas.

    DIR may exist; files already in it are refused unless --force. The new
    program.yaml validates as written; replace its TODOs with your program.

    \b
    Examples:
      iopctl init riverside-records --name "Riverside Recovery IOP" --timezone America/Chicago
    """
    root = Path(folder).expanduser().resolve()
    if root.exists() and not root.is_dir():
        fail(f"{folder} exists and is not a folder", EXIT_USAGE)
    program_id = program_id or skeletons.slug(root.name)
    if not ID_RE.match(program_id):
        raise click.BadParameter(f"{program_id!r} is not an id (letters, digits, - and _, at most 40)",
                                 param_hint="--id")
    try:
        top = authoring.git_toplevel(root) if root.exists() else _git_top_of_parent(root)
    except authoring.GitProblem:
        top = None
    prefix = ""
    if top is not None and top.resolve() != root:
        prefix = root.relative_to(top.resolve()).as_posix() + "/"
    files = skeletons.repository_files(program_id, name or "TODO: the program's name", timezone, prefix)
    existing = sorted(rel for rel in files if (root / rel).exists())
    if existing and not force:
        fail(f"{folder} already holds {', '.join(existing)}; pass --force to replace "
             f"{'it' if len(existing) == 1 else 'them'}")
    root.mkdir(parents=True, exist_ok=True)
    try:
        outcome = authoring.write_records(root, [authoring.Write("program.yaml", text=files.pop("program.yaml"))],
                                          dt.date.today(), force=force)
    except authoring.Refused as e:
        click.echo(f"iopctl: {e.message}:", err=True)
        for f in e.findings:
            click.echo(f"  {f.as_text()}", err=True)
        raise SystemExit(1)
    written = list(outcome.files)
    for rel, text in files.items():
        authoring.atomic.write_file(root / rel, text.encode("utf-8"), overwrite=force)
        written.append(rel)
    git_init = False
    notes = []
    if top is None and not no_git:
        try:
            authoring.git_init(root)
            git_init = True
        except authoring.GitProblem as e:
            notes.append(f"{e}; run `git init` yourself")
    if prefix:
        notes.append(f"{folder} is inside the git repository {top}: .pre-commit-config.yaml and .github/ "
                     "take effect only at its top, so move them there (or merge them into yours)")
    if fmt == "json":
        click.echo(output.to_json({"root": str(root), "written": sorted(written), "git_init": git_init,
                                   "notes": notes}), nl=False)
        return
    click.echo(f"created a records repository in {folder}:")
    for rel in sorted(written):
        click.echo(f"  {rel}")
    if git_init:
        click.echo("initialised a git repository (git init)")
    for note in notes:
        click.echo(f"note: {note}", err=True)
    click.echo("next: replace the TODOs in program.yaml, run `iopctl validate`, "
               "and `pre-commit install` to check every commit")


def _git_top_of_parent(root: Path) -> Path | None:
    """For a DIR still to be made: the git work tree of its nearest existing parent."""
    parent = root.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return authoring.git_toplevel(parent)
