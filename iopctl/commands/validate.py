"""`iopctl validate`: the schemas and every rule in rules.md, with file:line:column."""
from __future__ import annotations

import click

from iopctl import output
from iopctl.commands.common import as_of_option, find_root, records_option
from iopctl.findings import EXIT_FINDINGS, EXIT_OK, WARNING
from iopctl.repo import RecordsNotFound
from iopctl.validate import ALL_CODES, validate


def _codes(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    codes = tuple(c.strip().upper() for v in value for c in v.split(",") if c.strip())
    for c in codes:
        if not any(code.startswith(c) for code in ALL_CODES):
            raise click.BadParameter(f"{c} is not a rule code (IOP001 ... IOP050)")
    return codes


def _changed_since(root, rev: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    """The files to validate for --changed-since, as absolute paths (validate resolves relative ones from cwd)."""
    from iopctl import changes, git
    from iopctl.findings import EXIT_USAGE

    if paths:
        raise click.UsageError("give PATHS or --changed-since, not both")
    try:
        return tuple(str(root / rel) for rel in changes.changed_since(root, rev))
    except git.GitError as e:
        click.echo(f"iopctl: {e}", err=True)
        raise SystemExit(EXIT_USAGE) from None


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@records_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="text for people, json for programs, github for Actions annotations.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--select", multiple=True, callback=_codes, metavar="CODES",
              help="Only these rule codes (comma-separated; a prefix like IOP02 selects a group).")
@click.option("--ignore", multiple=True, callback=_codes, metavar="CODES", help="Skip these rule codes.")
@click.option("--changed-since", "changed_since", metavar="REV", default=None,
              help="Only files changed since git revision REV (working tree and untracked files included) "
                   "and the files that depend on them (see docs/history.md).")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Neither read nor write the validation cache (.git/iopctl-cache or .iopctl-cache; "
                   "see docs/performance.md).")
@as_of_option
def command(paths: tuple[str, ...], records_dir: str | None, fmt: str, strict: bool,
            select: tuple[str, ...], ignore: tuple[str, ...], as_of, changed_since: str | None = None,
            no_cache: bool = False) -> None:
    """Check records against the schemas and clinical rules.

    Without PATHS, the whole records repository; with PATHS (files or
    folders), only findings in those. One line per finding:
    FILE:LINE:COL: CODE severity: message. Exit 0 clean, 1 errors (or
    warnings with --strict), 2 usage.

    \b
    Examples:
      iopctl validate
      iopctl validate participants/P0001.yaml --format json
      iopctl validate --strict --ignore IOP022
    """
    root = find_root(records_dir)
    if changed_since is not None:
        paths = _changed_since(root, changed_since, paths)
    try:
        report = validate(root, list(paths) if paths or changed_since is not None else None, as_of=as_of,
                          select=select, ignore=ignore, cache=not no_cache)
    except RecordsNotFound as e:
        raise click.UsageError(str(e)) from None
    errors, warnings = report.errors, report.warnings
    if fmt == "json":
        click.echo(output.findings_json(report.findings, report.files, errors, warnings), nl=False)
    elif fmt == "github":
        click.echo(output.findings_github(report.findings, root, report.files, errors, warnings), nl=False)
    else:
        click.echo(output.findings_text(report.findings, report.files, errors, warnings,
                                        color=output.use_color()), nl=False)
    failed = errors or (strict and any(f.severity == WARNING for f in report.findings))
    raise SystemExit(EXIT_FINDINGS if failed else EXIT_OK)
