"""`iopctl handout`: aftercare and welcome handouts in the participant's language."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from iopctl import atomic, handouts, i18n, records
from iopctl.commands.common import EXIT_USAGE, as_of_option, fail, find_root, records_option, refuse_invalid
from iopctl.records import InvalidRecords


def _lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and i18n.base_language(value) is None:
        raise click.BadParameter(f"{value!r} is not a language tag such as en, es or es-MX")
    return value


@click.command("handout")
@click.argument("participant", required=False, metavar="[ID]")
@records_option
@click.option("--template", "template", default="aftercare", show_default=True, metavar="NAME",
              help="aftercare or welcome (or a template the records repository adds under templates/).")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "txt", "json"]), default="md",
              show_default=True, help="md, html (print-friendly page), txt, or json (the data the template gets).")
@click.option("--lang", "lang", callback=_lang, metavar="LANG",
              help="Write in this language instead of the participant's (en, es; es-MX means es).")
@click.option("-o", "--output", "output", type=click.Path(), metavar="PATH",
              help="Write to this file (with --all: into this folder) instead of standard output.")
@click.option("--force", is_flag=True, help="Replace files that already exist.")
@click.option("--all", "all_", is_flag=True, help="One handout per participant discharging soon (needs "
              "--discharging-within and -o DIR).")
@click.option("--discharging-within", "within", type=click.IntRange(min=0), metavar="DAYS",
              help="With --all: participants whose discharge date is between --as-of and DAYS later.")
@as_of_option
def command(participant: str | None, records_dir: str | None, template: str, fmt: str, lang: str | None,
            output: str | None, force: bool, all_: bool, within: int | None, as_of: dt.date | None) -> None:
    """Write a participant's handout: aftercare plan or welcome letter.

    The language is the participant's `language` (es-MX uses the es
    templates); a language without templates falls back to English, with a
    note on stderr. A `templates/` folder in the records repository
    overrides packaged templates of the same name (they run sandboxed).
    Exit 0 written, 1 refused (invalid records, template error, file
    exists), 2 usage.

    \b
    Examples:
      iopctl handout P0001
      iopctl handout P0001 --format html -o P0001.html
      iopctl handout P0008 --template welcome --format txt
      iopctl handout --all --discharging-within 7 --format html -o out/handouts
    """
    if all_ == (participant is not None):
        raise click.UsageError("give a participant ID, or --all (not both)")
    if all_ and (within is None or not output):
        raise click.UsageError("--all needs --discharging-within DAYS and -o DIR")
    if within is not None and not all_:
        raise click.UsageError("--discharging-within goes with --all")
    root = find_root(records_dir)
    loaded = records.load(root)
    as_of = as_of or records.today(loaded.records)
    try:
        records.require_valid(loaded, as_of, None if all_ else records.participant_files(participant))
    except InvalidRecords as e:
        refuse_invalid(e, "write handouts")
    recs = loaded.records
    env = handouts.make_environment("md" if fmt == "json" else fmt, root)
    if all_:
        _write_all(recs, env, template, fmt, lang, Path(output), force, within, as_of)
        return
    if participant not in recs.participants:
        fail(f"no participant {participant} (participants/{participant}.yaml)", EXIT_USAGE)
    done = _render(recs, env, participant, template, fmt, lang, as_of)
    if output is None:
        click.echo(done.text, nl=False)
        return
    path = Path(output)
    if path.is_dir():
        fail(f"{output} is a folder; give a file name (or use --all for a folder)", EXIT_USAGE)
    _refuse_clobber([path], force)
    _write(path, done.text, force)
    click.echo(f"wrote {path}")


def _render(recs, env, pid: str, template: str, fmt: str, lang: str | None, as_of: dt.date) -> handouts.Rendered:
    try:
        done = handouts.render_handout(recs, pid, template, fmt, lang, as_of, env=env)
    except handouts.HandoutTemplateError as e:
        fail(str(e))
    except handouts.HandoutError as e:
        fail(str(e), EXIT_USAGE)
    for note in done.notes:
        click.echo(f"iopctl: note: {note}", err=True)
    return done


def _write(path: Path, text: str, force: bool) -> None:
    """Atomic (temporary file beside it, then rename); never replaces a file without --force."""
    try:
        atomic.write_file(path, text.encode("utf-8"), overwrite=force)
    except atomic.FileExists:  # appeared since we looked
        fail(f"{path} already exists; pass --force to replace it")
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}")


def _refuse_clobber(paths: list[Path], force: bool) -> None:
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        fail(f"{existing[0]} already exists{more}; nothing was written. Pass --force to replace.")


def _write_all(recs, env, template: str, fmt: str, lang: str | None, folder: Path, force: bool,
               within: int, as_of: dt.date) -> None:
    if folder.exists() and not folder.is_dir():
        fail(f"{folder} is a file; --all writes into a folder", EXIT_USAGE)
    last = as_of + dt.timedelta(days=within)
    chosen = handouts.discharging_within(recs, as_of, within)
    if not chosen:
        click.echo(f"no participants discharging between {as_of.isoformat()} and {last.isoformat()}; "
                   "nothing written")
        return
    # Render everything first: a template error leaves no partial set of files behind.
    done = [_render(recs, env, pid, template, fmt, lang, as_of) for pid, _ in chosen]
    paths = [folder / d.file_name for d in done]
    _refuse_clobber(paths, force)
    for d, path in zip(done, paths):
        _write(path, d.text, force)
        click.echo(f"wrote {path}")
    n = len(done)
    click.echo(f"{n} handout{'s' if n != 1 else ''} for participants discharging between {as_of.isoformat()} "
               f"and {last.isoformat()}, in {folder}")
