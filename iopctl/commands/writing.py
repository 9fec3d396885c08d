"""What the record-writing commands (new, attend, assess, update, review, discharge) share:
their common options, shell completion of ids, and how a write is reported."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable, Sequence

import click

from iopctl import authoring, output, repo
from iopctl import records as records_mod
from iopctl.commands.common import as_of_option, fail, records_option
from iopctl.findings import EXIT_FINDINGS, EXIT_USAGE
from iopctl.schemas import did_you_mean

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


# -- shell completion ------------------------------------------------------------
# Completion runs on every <TAB>: it reads file names and program.yaml only, and
# gives nothing (rather than an error) outside a records repository.


def _root(ctx: click.Context) -> Path | None:
    explicit = ctx.params.get("records_dir")
    try:
        return repo.find_root(explicit=explicit)
    except (repo.RecordsNotFound, OSError):
        return None


def _read(path: Path) -> Any:
    from iopctl import yaml12

    try:
        return yaml12.load(path.read_text(encoding="utf-8"))
    except Exception:  # completion must never fail loudly
        return None


def participant_ids(root: Path) -> list[str]:
    """Participant ids, from the file names in participants/."""
    folder = root / "participants"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))


def program_data(root: Path) -> dict:
    data = _read(root / repo.PROGRAM_FILE)
    return data if isinstance(data, dict) else {}


def track_session_keys(root: Path) -> list[str]:
    """`<track>/<session>` for every session in program.yaml."""
    keys = []
    for track in program_data(root).get("tracks") or []:
        if isinstance(track, dict):
            for s in track.get("sessions") or []:
                if isinstance(s, dict) and track.get("id") and s.get("id"):
                    keys.append(f"{track['id']}/{s['id']}")
    return keys


def extra_session_keys(root: Path, pid: str) -> list[str]:
    """`<participant>/<session>` for one participant's extra sessions (plans/<ID>.yaml)."""
    plan = _read(root / "plans" / f"{pid}.yaml")
    if not isinstance(plan, dict):
        return []
    return [f"{pid}/{s['id']}" for s in plan.get("extra_sessions") or [] if isinstance(s, dict) and s.get("id")]


def complete_participant(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    root = _root(ctx)
    if root is None:
        return []
    done = incomplete.rsplit(",", 1)[0] + "," if "," in incomplete else ""  # --present P1,P2,<TAB>
    last = incomplete[len(done):]
    return [done + pid for pid in participant_ids(root) if pid.startswith(last)]


def complete_session(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    root = _root(ctx)
    if root is None:
        return []
    keys = track_session_keys(root)
    if "/" in incomplete:
        owner = incomplete.split("/", 1)[0]
        if owner in participant_ids(root):
            keys += extra_session_keys(root, owner)
    return [k for k in keys if k.startswith(incomplete)]


def complete_track(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    root = _root(ctx)
    if root is None:
        return []
    tracks = [t.get("id") for t in program_data(root).get("tracks") or [] if isinstance(t, dict)]
    return [t for t in tracks if isinstance(t, str) and t.startswith(incomplete)]


def complete_staff(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    root = _root(ctx)
    if root is None:
        return []
    staff = [s.get("id") for s in program_data(root).get("staff") or [] if isinstance(s, dict)]
    return [s for s in staff if isinstance(s, str) and s.startswith(incomplete)]


def complete_objective(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    root = _root(ctx)
    pid = ctx.params.get("pid")
    if root is None or not pid:
        return []
    plan = _read(root / "plans" / f"{pid}.yaml")
    ids = []
    if isinstance(plan, dict):
        for p in plan.get("problems") or []:
            for g in (p.get("goals") or []) if isinstance(p, dict) else []:
                for o in (g.get("objectives") or []) if isinstance(g, dict) else []:
                    if isinstance(o, dict) and o.get("id") is not None:
                        ids.append(str(o["id"]))
    return [i for i in ids if i.startswith(incomplete)]


# -- options -----------------------------------------------------------------------


def write_options(fn: Callable) -> Callable:
    """--force, --commit, --format, --records and --as-of, in that order in --help."""
    fn = as_of_option(fn)
    fn = records_option(fn)
    fn = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                      help="text for people; json lists the files written, new warnings and the commit.")(fn)
    fn = click.option("--commit", is_flag=True,
                      help="Make one git commit of exactly the files written.")(fn)
    fn = click.option("--force", is_flag=True,
                      help="Replace an existing file or entry instead of refusing.")(fn)
    return fn


# -- loading and checking arguments --------------------------------------------------


def load(records_dir: str | None) -> tuple[Path, records_mod.Loaded]:
    from iopctl.commands.common import find_root

    root = find_root(records_dir)
    return root, records_mod.load(root)


def today(loaded: records_mod.Loaded, as_of: dt.date | None) -> dt.date:
    return as_of or records_mod.today(loaded.records)


def require_program(loaded: records_mod.Loaded) -> None:
    """Writes need a program.yaml that loads: the model and every rule depend on it."""
    if loaded.records.program is None:
        problems = [f for f in loaded.findings if f.file == repo.PROGRAM_FILE]
        click.echo("iopctl: program.yaml has errors; fix it first (see `iopctl validate`):", err=True)
        for f in problems[:20]:
            click.echo(f"  {f.as_text()}", err=True)
        raise SystemExit(EXIT_FINDINGS)


def check_participant(root: Path, pid: str, param: str = "ID") -> None:
    """A usage error (exit 2) unless participants/<pid>.yaml exists."""
    if not ID_RE.match(pid):
        raise click.BadParameter(f"{pid!r} is not an id (letters, digits, - and _, at most 40)",
                                 param_hint=f"'{param}'")
    if not (root / "participants" / f"{pid}.yaml").exists():
        known = participant_ids(root)
        raise click.BadParameter(f"participant {pid} does not exist (no participants/{pid}.yaml)"
                                 f"{did_you_mean(pid, known)}", param_hint=f"'{param}'")


# -- doing the write and reporting it ---------------------------------------------------


def run(root: Path, writes: Sequence[authoring.Write], as_of: dt.date, force: bool, commit: bool, fmt: str,
        message: str, loaded: records_mod.Loaded | None = None) -> authoring.Outcome:
    """Write (validated, atomic), print what was written, and commit when asked."""
    if commit:
        try:
            authoring.require_git(root)
        except authoring.GitProblem as e:
            fail(str(e), EXIT_USAGE)
    try:
        outcome = authoring.write_records(root, writes, as_of, force=force, loaded=loaded)
    except authoring.Refused as e:
        click.echo(f"iopctl: {e.message}" + (":" if e.findings else ""), err=True)
        for f in e.findings[:30]:
            click.echo(f"  {f.as_text()}", err=True)
        if len(e.findings) > 30:
            click.echo(f"  ... and {len(e.findings) - 30} more", err=True)
        raise SystemExit(EXIT_FINDINGS)
    except authoring.atomic.LockTimeout as e:
        fail(str(e), EXIT_USAGE)
    except OSError as e:  # permissions, a full disk: nothing was written (temporary files are removed)
        where = f" {e.filename}" if e.filename else ""
        fail(f"cannot write{where}: {e.strerror or e.__class__.__name__}; nothing was written", EXIT_USAGE)
    problem = None
    if commit:
        try:
            outcome.commit = authoring.git_commit(root, outcome.files, message)
        except authoring.GitProblem as e:
            problem = f"{e}; the files are written but not committed"
    report(outcome, fmt, message if commit else None)
    if problem:
        fail(problem, EXIT_USAGE)
    return outcome


def report(outcome: authoring.Outcome, fmt: str, message: str | None = None) -> None:
    if fmt == "json":
        click.echo(output.to_json({
            "written": [w.as_dict() for w in outcome.written],
            "warnings": [f.as_dict() for f in outcome.warnings],
            "notes": outcome.notes,
            "commit": outcome.commit,
        }), nl=False)
        return
    for w in outcome.written:
        click.echo(f"{w.action} {w.rel}" + (f": {w.summary}" if w.summary else ""))
    for f in outcome.warnings:
        click.echo(f"  {f.as_text()}")
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    if outcome.commit:
        click.echo(f"committed {outcome.commit[:8]}: {message}")
