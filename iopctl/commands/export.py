"""`iopctl export --deidentify`: the caseload's progress, de-identified (HIPAA Safe Harbor)."""
from __future__ import annotations

from pathlib import Path

import click

from iopctl import export as export_mod
from iopctl import records as records_mod
from iopctl.commands.common import EXIT_USAGE, as_of_option, fail, find_root, records_option, refuse_invalid


@click.command("export")
@click.option("--deidentify", is_flag=True,
              help="Required: only de-identified exports exist (HIPAA Safe Harbor).")
@click.option("--key-file", metavar="FILE", type=click.Path(dir_okay=False), default=None,
              help=f"Secret key for the participant pseudonyms (default: ${export_mod.ENV_KEY}).")
@click.option("-o", "--output", "out_dir", metavar="DIR", type=click.Path(), default=None,
              help=f"Write {export_mod.CSV_FILE} and {export_mod.JSON_FILE} into DIR "
                   "(default: print --format to stdout).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="What to print when no -o DIR is given.")
@click.option("--force", is_flag=True, help="Replace existing export files in DIR.")
@records_option
@as_of_option
def command(deidentify: bool, key_file: str | None, out_dir: str | None, fmt: str, force: bool,
            records_dir: str | None, as_of) -> None:
    """Export every participant's progress, de-identified.

    Counts, rates and scores per participant: sessions attended, hours,
    objectives by status, screens, first and latest score of each
    instrument. No names, phone numbers, addresses, support persons, staff,
    diagnoses or free text; years instead of dates; ages over 89 as 90+;
    participant ids replaced by HMAC-SHA256 pseudonyms under a secret key
    (--key-file or $IOPCTL_EXPORT_KEY; the export refuses to run without
    one). Every file carries the 42 CFR 2.32 notice. Exit 0 written, 1
    records have errors, 2 usage (no key, files exist without --force).

    \b
    Examples:
      openssl rand -hex 32 > ~/.iopctl-export.key
      iopctl export --deidentify --key-file ~/.iopctl-export.key -o export/
      IOPCTL_EXPORT_KEY=... iopctl export --deidentify --format json
    """
    if not deidentify:
        fail("only de-identified exports are available: pass --deidentify", EXIT_USAGE)
    try:
        key = export_mod.read_key(key_file)
    except export_mod.ExportError as e:
        fail(str(e), EXIT_USAGE)
    root = find_root(records_dir)
    loaded = records_mod.load(root)
    day = as_of or records_mod.today(loaded.records)
    try:
        records_mod.require_valid(loaded, day)
    except records_mod.InvalidRecords as e:
        refuse_invalid(e, "export")
    result = export_mod.build_export(loaded.records, key, day)
    if out_dir is None:
        text = export_mod.to_json(result) if fmt == "json" else export_mod.to_csv(result)
        click.echo(text, nl=False)
        return
    try:
        written = export_mod.write_export(result, Path(out_dir), force=force)
    except export_mod.ExportError as e:
        fail(str(e), EXIT_USAGE)
    for path in written:
        click.echo(f"wrote {path}", err=True)
