"""Options and helpers every subcommand shares."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import click

from iopctl import repo
from iopctl.findings import EXIT_FINDINGS, EXIT_USAGE
from iopctl.records import InvalidRecords


def records_option(fn: Callable) -> Callable:
    return click.option(
        "--records", "records_dir", metavar="DIR", type=click.Path(file_okay=False), default=None,
        help="Records repository (default: the nearest folder upwards holding program.yaml, "
             "or $IOPCTL_RECORDS).",
    )(fn)


def as_of_option(fn: Callable) -> Callable:
    return click.option(
        "--as-of", "as_of", metavar="DATE", default=None, callback=_parse_date,
        help="The day to evaluate as 'today' (YYYY-MM-DD; default: today in the program's time zone).",
    )(fn)


def _parse_date(ctx: click.Context, param: click.Parameter, value: Any) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date as YYYY-MM-DD") from None


def parse_date(ctx: click.Context, param: click.Parameter, value: Any) -> dt.date | None:
    """Click callback for date options."""
    return _parse_date(ctx, param, value)


def find_root(records_dir: str | None) -> Path:
    try:
        return repo.find_root(explicit=records_dir)
    except repo.RecordsNotFound as e:
        raise click.UsageError(str(e)) from None


def refuse_invalid(e: InvalidRecords, what: str) -> None:
    """Print the errors that stop a command and exit 1."""
    click.echo(f"iopctl: cannot {what}: the records have {len(e.findings)} error(s); fix them first "
               "(see `iopctl validate`):", err=True)
    for f in e.findings[:20]:
        click.echo(f"  {f.as_text()}", err=True)
    if len(e.findings) > 20:
        click.echo(f"  ... and {len(e.findings) - 20} more", err=True)
    raise SystemExit(EXIT_FINDINGS)


def fail(message: str, code: int = EXIT_FINDINGS) -> None:
    click.echo(f"iopctl: {message}", err=True)
    raise SystemExit(code)


__all__ = ["records_option", "as_of_option", "parse_date", "find_root", "refuse_invalid", "fail",
           "EXIT_USAGE", "EXIT_FINDINGS"]
