"""Which record files a change can affect, so `validate --changed-since` checks only those.

Rules (records.md layout; the first that applies to each changed path):
- program.yaml: if anything but `tracks` changed, every record file. If only
  tracks changed, program.yaml itself and, for each track added, removed or
  edited, the participants on it (profile or plan names the track), their
  plan, progress and session files, and the sessions of that track.
- participants/, plans/, progress/<ID>.yaml: that participant's three files
  and the session files naming them.
- a session file: itself and the profile, plan and progress files of the
  participants in its attendance (before and after the change) and of the
  participant whose own session it is.
- any other file under a record folder: itself (validate reports it).
Deleted files are not validated, but what depends on them is.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from iopctl import git, repo, yaml12

ReadOld = Callable[[str], "bytes | None"]
PERSON_FOLDERS = {"participants", "plans", "progress"}


def _parse(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return yaml12.load(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None


def _read(root: Path, rel: str) -> Any:
    try:
        return _parse((root / rel).read_bytes())
    except OSError:
        return None


def changed_tracks(old: Any, new: Any) -> set[str] | None:
    """Ids of tracks added, removed or edited between two program.yaml documents;
    None when something else changed too (or either does not parse)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    rest = lambda d: {k: v for k, v in d.items() if k != "tracks"}  # noqa: E731
    if rest(old) != rest(new):
        return None

    def by_id(doc: dict) -> dict | None:
        tracks = doc.get("tracks")
        if not isinstance(tracks, list) or not all(isinstance(t, dict) for t in tracks):
            return None
        out: dict = {}
        for t in tracks:
            out.setdefault(str(t.get("id")), []).append(t)
        return out

    a, b = by_id(old), by_id(new)
    if a is None or b is None:
        return None
    return {t for t in set(a) | set(b) if a.get(t) != b.get(t)}


def _attendance_ids(data: Any) -> set[str]:
    """Participants a session document names: attendance, and the owner of a participant's own session."""
    if not isinstance(data, dict):
        return set()
    ids = {str(k) for k in (data.get("attendance") or {})} if isinstance(data.get("attendance"), dict) else set()
    session = data.get("session")
    if isinstance(session, str) and "/" in session:
        ids.add(session.split("/", 1)[0])
    return ids


class _Index:
    """Lazy lookups over the current records: who is on a track, which sessions name whom."""

    def __init__(self, root: Path, files: list[repo.RecordFile]):
        self.root = root
        self.files = files
        self.rels = {f.rel for f in files}
        self._sessions: dict[str, set[str]] = {}

    def person_files(self, pid: str) -> set[str]:
        return {rel for rel in (f"participants/{pid}.yaml", f"plans/{pid}.yaml", f"progress/{pid}.yaml")
                if rel in self.rels}

    def sessions_naming(self, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        pattern = re.compile(r"(?<![A-Za-z0-9_-])(?:" + "|".join(map(re.escape, sorted(ids))) + r")(?![A-Za-z0-9_-])")
        out = set()
        for f in self.files:
            if f.kind != "session":
                continue
            try:
                text = f.path.read_bytes().decode("utf-8-sig", "replace")
            except OSError:
                continue
            if pattern.search(text) and _attendance_ids(self._session(f.rel, text)) & ids:
                out.add(f.rel)
        return out

    def _session(self, rel: str, text: str) -> Any:
        try:
            return yaml12.load(text)
        except (yaml.YAMLError, RecursionError):
            return None

    def on_tracks(self, tracks: set[str]) -> tuple[set[str], set[str]]:
        """(participants whose profile or plan names one of the tracks, sessions of those tracks)."""
        people = set()
        for f in self.files:
            if f.kind in ("participant", "plan"):
                data = _read(self.root, f.rel)
                if isinstance(data, dict) and str(data.get("track")) in tracks:
                    people.add(str(data.get("id") if f.kind == "participant" else data.get("participant")))
        sessions = set()
        for f in self.files:
            if f.kind == "session":
                data = _read(self.root, f.rel)
                session = data.get("session") if isinstance(data, dict) else None
                if isinstance(session, str) and session.split("/", 1)[0] in tracks:
                    sessions.add(f.rel)
        return people, sessions


def files_to_validate(root: Path, changed: Iterable[str], read_old: ReadOld | None = None) -> list[str]:
    """The record files (root-relative, sorted) to re-validate after `changed` paths
    changed. `read_old(rel)` gives a file's bytes before the change (None when it
    did not exist); without it a changed program.yaml means everything."""
    root = Path(root)
    files = repo.list_records(root)
    index = _Index(root, files)
    changed = sorted(set(changed))
    wanted: set[str] = set()
    people: set[str] = set()  # their files and the sessions naming them
    people_files_only: set[str] = set()  # their files only
    for rel in changed:
        top = rel.split("/", 1)[0]
        if rel == repo.PROGRAM_FILE:
            tracks = changed_tracks(_parse(read_old(rel)), _read(root, rel)) if read_old else None
            if tracks is None:
                return sorted(index.rels)
            on_track, track_sessions = index.on_tracks(tracks)
            people |= on_track
            wanted |= track_sessions | {rel}
        elif top in PERSON_FOLDERS and repo.kind_of(rel) is not None:
            people.add(rel.split("/", 1)[1].rsplit(".", 1)[0])
        elif repo.kind_of(rel) == "session":
            wanted.add(rel)
            named = _attendance_ids(_read(root, rel))
            if read_old:
                named |= _attendance_ids(_parse(read_old(rel)))
            people_files_only |= named
        elif top in repo.KIND_FOLDERS:
            wanted.add(rel)
    for pid in people | people_files_only:
        wanted |= index.person_files(pid)
    wanted |= index.sessions_naming(people)
    return sorted(wanted & index.rels)


def changed_since(root: Path, rev: str) -> list[str]:
    """The record files to re-validate for everything changed since rev (working
    tree included, untracked files too). Raises git.GitError with a user message."""
    r = git.find_repo(root)
    sha = git.resolve(r, rev)
    changed = list(git.changed_between(r, sha))
    needs_old = [rel for rel in changed if rel == repo.PROGRAM_FILE or repo.kind_of(rel) == "session"]
    old = git.read_at(r, sha, needs_old)
    return files_to_validate(root, changed, lambda rel: old.get(rel))


__all__ = ["files_to_validate", "changed_since", "changed_tracks"]
