"""The `iopctl` command group: lazy subcommands, shared options, and the error boundary.

Subcommands live in iopctl/commands/ and are imported only when run, so
`iopctl --help` costs little more than importing Click.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from iopctl import __version__
from iopctl.commands import COMMANDS
from iopctl.findings import EXIT_USAGE


class LazyGroup(click.Group):
    """Commands listed in COMMANDS (name -> (module, one-line help)), imported on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"iopctl.commands.{COMMANDS[name][0]}")
        return getattr(module, "command")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="iopctl")
def cli() -> None:
    """Validate, schedule, summarise and hand out the records of an Intensive
    Outpatient Program, kept as YAML files in git.

    Every command finds the records repository by walking up from the current
    folder to program.yaml; pass --records DIR (or set IOPCTL_RECORDS) to
    point elsewhere. Exit codes: 0 fine, 1 findings or refused, 2 usage.
    """


def main(argv: list[str] | None = None) -> Any:
    """Entry point: Click's own handling, plus no tracebacks for anything unexpected."""
    try:
        return cli.main(args=argv, prog_name="iopctl", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("iopctl: interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # the last line of defence: never show a traceback to a user
        click.echo(
            f"iopctl: internal error ({type(e).__name__}). Nothing was written. Please report this with "
            f"the command you ran and `iopctl --version` ({__version__}); run with IOPCTL_DEBUG=1 for details.",
            err=True,
        )
        import os

        if os.environ.get("IOPCTL_DEBUG"):
            raise
        sys.exit(EXIT_USAGE)
