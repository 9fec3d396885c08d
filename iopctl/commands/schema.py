"""`iopctl schema`: print a packaged JSON Schema."""
from __future__ import annotations

import click

from iopctl import schemas


@click.command("schema")
@click.argument("kind", required=False, type=click.Choice(schemas.KINDS))
def command(kind: str | None) -> None:
    """Print the JSON Schema of a record kind, or list the kinds.

    \b
    Examples:
      iopctl schema participant > participant.schema.json
    """
    if kind is None:
        for k in schemas.KINDS:
            click.echo(k)
        return
    click.echo(schemas.schema_text(kind), nl=False)
