"""The record history in clinical terms: a participant's commits, two revisions
compared, and a plan as it stood on a date. git is read, never written.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Iterable

from iopctl import git, repo, semdiff, yaml12
from iopctl.semdiff import FileDiff, Version, load_version

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def participant_paths(pid: str) -> list[str]:
    """A participant's own record files (profile, plan, progress), root-relative;
    `.yml` is a record too (repo.YAML_SUFFIXES)."""
    return [f"{folder}/{pid}{suffix}" for folder in ("participants", "plans", "progress")
            for suffix in repo.YAML_SUFFIXES]


# -- history of a participant --------------------------------------------------


@dataclass
class HistoryEntry:
    commit: git.Commit
    files: list[FileDiff]  # the participant's files this commit changed, by file

    def as_dict(self) -> dict:
        return {**self.commit.as_dict(), "files": [f.as_dict() for f in self.files]}


def participant_history(root: Path, pid: str, sessions: bool = False, rev: str = "HEAD") -> list[HistoryEntry]:
    """Every commit reachable from rev that changed the participant's profile, plan or
    progress file (and, with `sessions`, a session file naming them), newest first."""
    r = git.find_repo(root)
    own = participant_paths(pid)
    log = git.log_changes(r, own + (["sessions"] if sessions else []), rev)
    token = pid.encode()
    blobs = git.read_objects(r, [b for _, changes in log for fc in changes for b in (fc.old_blob, fc.new_blob) if b])

    def relevant(fc: git.FileChange) -> bool:
        if fc.path in own:
            return True  # a session file must name the participant in one of its versions
        return repo.kind_of(fc.path) == "session" and any(token in (blobs.get(b) or b"")
                                                          for b in (fc.old_blob, fc.new_blob) if b)

    entries = []
    for commit, changes in log:
        pairs = [(load_version(root, fc.path, blobs.get(fc.old_blob) if fc.old_blob else None),
                  load_version(root, fc.path, blobs.get(fc.new_blob) if fc.new_blob else None))
                 for fc in changes if relevant(fc)]
        files = []
        for d in semdiff.diff_files(pairs):
            d = d if d.file in own else d.about([pid])
            if d is not None:
                files.append(d)
        if files:
            entries.append(HistoryEntry(commit, files))
    return entries


# -- two revisions compared ----------------------------------------------------


@dataclass
class Comparison:
    """The records at rev_a against rev_b (None: the working tree)."""

    rev_a: str
    commit_a: str
    rev_b: str | None
    commit_b: str | None
    files: list[FileDiff]

    @property
    def changes(self) -> int:
        return sum(len(f.changes) for f in self.files)

    @property
    def flagged(self) -> int:
        return sum(f.flagged for f in self.files)

    def as_dict(self) -> dict:
        return {
            "from": {"rev": self.rev_a, "commit": self.commit_a},
            "to": {"rev": self.rev_b, "commit": self.commit_b},  # rev and commit null: the working tree
            "files": [f.as_dict() for f in self.files],
            "counts": {"files": len(self.files), "changes": self.changes, "flagged": self.flagged},
        }


def compare(root: Path, rev_a: str = "HEAD", rev_b: str | None = None,
            participants: Iterable[str] = ()) -> Comparison:
    """The clinical changes to record files between two revisions (rev_b None: the
    working tree, untracked files included); with participants, only theirs."""
    r = git.find_repo(root)
    sha_a = git.resolve(r, rev_a)
    sha_b = git.resolve(r, rev_b) if rev_b is not None else None
    rels = [rel for rel in git.changed_between(r, sha_a, sha_b) if repo.kind_of(rel) is not None]
    old = git.read_at(r, sha_a, rels)
    new = git.read_at(r, sha_b, rels) if sha_b else {rel: _read_disk(root / rel) for rel in rels}
    files = semdiff.diff_files((load_version(root, rel, old[rel]), load_version(root, rel, new[rel])) for rel in rels)
    ids = list(participants)
    if ids:
        files = [d for d in (f.about(ids) for f in files) if d is not None]
    return Comparison(rev_a, sha_a, rev_b, sha_b, files)


def _read_disk(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def known_participant(root: Path, pid: str, revisions: Iterable[str] = ()) -> bool:
    """A participant with a file in the working tree or at one of the revisions."""
    if not ID_PATTERN.match(pid):
        return False
    paths = participant_paths(pid)
    if any((root / p).is_file() for p in paths):
        return True
    shas = list(revisions)
    if not shas:
        return False
    r = git.find_repo(root)
    return any(v is not None for sha in shas for v in git.read_at(r, sha, paths).values())


# -- a plan as of a date -------------------------------------------------------


class NoPlan(Exception):
    """No committed version of the plan on that date (exit 1)."""


@dataclass
class PlanAsOf:
    participant: str
    day: dt.date
    timezone: str  # the end of `day` is midnight in this zone
    file: str
    commit: git.Commit
    text: str  # the YAML as committed
    version: Version

    def as_dict(self) -> dict:
        return {
            "participant": self.participant, "as_of": self.day.isoformat(), "timezone": self.timezone,
            "file": self.file, "commit": {**self.commit.as_dict(), "committed": self.commit.committed},
            "plan": plan_json(self.version.obj) if self.version.obj is not None else None,
        }


def program_timezone(root: Path) -> str:
    """The program's IANA time zone from program.yaml (UTC when it cannot be read)."""
    from zoneinfo import ZoneInfo

    try:
        data = yaml12.load((root / repo.PROGRAM_FILE).read_text(encoding="utf-8-sig"))
        name = str(data["program"]["timezone"])
        ZoneInfo(name)
        return name
    except Exception:  # noqa: BLE001 - any unreadable program.yaml: fall back, validate reports it
        return "UTC"


def plan_as_of(root: Path, pid: str, day: dt.date, rev: str = "HEAD") -> PlanAsOf:
    """The plan as committed at the end of `day` (program time zone), on the
    first-parent line of rev: the last commit before midnight that changed it."""
    from zoneinfo import ZoneInfo

    r = git.find_repo(root)
    rel = f"plans/{pid}.yaml"
    zone = program_timezone(root)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), ZoneInfo(zone)).timestamp()
    commit = next((c for c in git.log(r, [rel], rev, first_parent=True) if c.committed_ts < end), None)
    if commit is None:
        raise NoPlan(f"no committed version of {rel} on or before {day.isoformat()}")
    raw = git.show(r, commit.sha, rel)
    if raw is None:
        raise NoPlan(f"{rel} had been removed by {day.isoformat()} (commit {commit.short}, {commit.date})")
    return PlanAsOf(pid, day, zone, rel, commit, raw.decode("utf-8-sig", "replace"), load_version(root, rel, raw))


def plan_json(plan: Any) -> Any:
    """The model-level plan as plain JSON data (no source positions)."""
    if is_dataclass(plan):
        out = {}
        for f in fields(plan):
            if f.name == "src":
                continue
            value = getattr(plan, f.name)
            if f.name == "signed_staff":
                value = [{"id": s, "date": d} for s, d in value]
            out[f.name.rstrip("_")] = plan_json(value)
        return out
    if isinstance(plan, (list, tuple)):
        return [plan_json(v) for v in plan]
    if isinstance(plan, dict):
        return {str(k): plan_json(v) for k, v in plan.items()}
    return semdiff.plain(plan)


__all__ = ["participant_paths", "participant_history", "HistoryEntry", "compare", "Comparison",
           "known_participant", "plan_as_of", "PlanAsOf", "NoPlan", "plan_json", "program_timezone", "ID_PATTERN"]
