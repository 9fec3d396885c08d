"""`iopctl progress`: one participant's progress summary, or the whole caseload."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from iopctl import progress, progress_report, records
from iopctl.commands.common import EXIT_USAGE, as_of_option, fail, find_root, records_option, refuse_invalid
from iopctl.loader import Document


def _session_files_for(documents: list[Document], pid: str) -> list[str]:
    """Session files that name the participant, or that could not be read (they might)."""
    out = []
    for doc in documents:
        if doc.kind != "session":
            continue
        data = doc.data
        if not isinstance(data, dict):
            out.append(doc.rel)
        elif isinstance(data.get("attendance"), dict) and pid in {str(k) for k in data["attendance"]}:
            out.append(doc.rel)
    return out


def _write(path: str, text: str) -> None:
    """Write atomically: a temporary file beside the target, then rename."""
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=".iopctl-")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it the mode a new file gets
        os.replace(tmp, target)
    except OSError as e:
        fail(f"cannot write {path}: {e.strerror or e}", EXIT_USAGE)


@click.command("progress")
@click.argument("participant_id", metavar="[ID]", required=False)
@records_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(progress_report.FORMATS), default="table", show_default=True,
              help="table (80 columns), md, csv, json, or html (a one-page report with charts).")
@click.option("-o", "--output", metavar="FILE", default=None,
              help="Write to FILE (atomically) instead of standard output.")
@click.option("--for-disclosure", "for_disclosure", is_flag=True,
              help="For a reader outside the care team: the 42 CFR 2.32 notice on top, the participant ID and "
                   "the numbers only (no names, free text, flags; see docs/progress.md).")
def command(participant_id: str | None, records_dir: str | None, as_of, fmt: str, output: str | None,
            for_disclosure: bool) -> None:
    """Progress of one participant (ID), or the caseload without an ID.

    One participant: attendance, hours per plan week against the level of
    care's floor, instruments (baseline, latest, change, band, response,
    remission), objectives, plan review and discharge dates, aftercare
    readiness, milestones, screens and flags. The caseload: one row per
    active or on-hold participant, those needing attention first, then
    program totals. Everything counts up to --as-of (default: today in the
    program's time zone). Records with errors are refused (exit 1).

    --for-disclosure is for anyone outside the care team (with the
    participant's written consent): every format starts with the 42 CFR
    2.32 redisclosure notice and keeps only the participant ID and the
    numbers (attendance, hours, scores, objective status counts, due
    dates); names, free text, support persons, staff, diagnoses, dates of
    birth, flags, PHQ-9 item answers and aftercare readiness are left out.

    \b
    Examples:
      iopctl progress
      iopctl progress P0007 --as-of 2026-11-23
      iopctl progress P0007 --format html -o P0007-progress.html
      iopctl progress --format json
      iopctl progress P0007 --for-disclosure --format html -o P0007.html
    """
    root = find_root(records_dir)
    loaded = records.load(root)
    day = as_of or records.today(loaded.records)
    if participant_id is None:
        try:
            records.require_valid(loaded, day)
        except records.InvalidRecords as e:
            refuse_invalid(e, "summarise the caseload")
        report = progress.caseload(loaded.records, day)
        text = progress_report.render_caseload(report, fmt, _program_name(loaded), for_disclosure)
    else:
        pid = participant_id
        rel = f"participants/{pid}.yaml"
        if pid not in loaded.records.participants and not any(d.rel == rel for d in loaded.documents):
            fail(f"no participant `{pid}` in {root} (no {rel})", EXIT_USAGE)
        files = records.participant_files(pid) + _session_files_for(loaded.documents, pid)
        try:
            records.require_valid(loaded, day, files)
        except records.InvalidRecords as e:
            refuse_invalid(e, f"summarise the progress of {pid}")
        summary = progress.participant_progress(loaded.records, pid, day)
        text = progress_report.render_participant(summary, fmt, _program_name(loaded), for_disclosure)
    if output:
        _write(output, text)
    else:
        click.echo(text, nl=False)


def _program_name(loaded: records.Loaded) -> str:
    program = loaded.records.program
    return program.name if program else ""
