"""git as a subprocess: the record history, read-only.

Every call runs `git` with a clean, predictable environment (C locale, no
pager, no prompts, no optional locks) and never writes to the repository:
only plumbing and read-only porcelain (`rev-parse`, `log`, `diff
--name-status`, `ls-files`, `show`, `cat-file`). The user's own git
configuration and GIT_* variables still apply.

Paths given to and returned by this module are relative to the records
root (posix), which may be a folder inside a larger git repository.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

NULL_SHA = "0" * 40

# Pathspec switches that conflict with GIT_LITERAL_PATHSPECS (git refuses the mix).
_PATHSPEC_VARS = ("GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS")


class GitError(Exception):
    """git could not answer; the message is meant for the user (exit 2)."""


class GitNotFound(GitError):
    """The git program is not installed or not on PATH."""


class NotARepository(GitError):
    """The records root is not inside a git repository."""


class UnknownRevision(GitError):
    """A revision that does not name a commit in this repository."""


@dataclass(frozen=True)
class Repo:
    """A git work tree and where the records root sits in it."""

    toplevel: Path  # the work tree's top folder
    prefix: str  # the records root relative to toplevel, posix, "" or ending in "/"
    root: Path  # the records root

    def git_path(self, rel: str) -> str:
        """A records-root path as git names it (from the top of the work tree)."""
        return self.prefix + rel

    def rel_path(self, git_path: str) -> str | None:
        """A git path as a records-root path; None when it lies outside the records root."""
        if not git_path.startswith(self.prefix):
            return None
        return git_path[len(self.prefix):]

    @property
    def pathspec(self) -> str:
        return self.prefix.rstrip("/") or "."


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: str
    authored: str  # ISO 8601 with the author's UTC offset
    committed: str  # ISO 8601 with the committer's UTC offset
    committed_ts: int  # seconds since the epoch (for "as of" questions)
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:8]

    @property
    def date(self) -> str:
        """The author's calendar date, YYYY-MM-DD (what `git log` shows)."""
        return self.authored[:10]

    def as_dict(self) -> dict:
        return {"commit": self.sha, "date": self.authored, "author": self.author, "subject": self.subject}


@dataclass(frozen=True)
class FileChange:
    """One file a commit touched: git status letter and the blobs on either side."""

    path: str  # records-root relative
    status: str  # A added, D deleted, M modified, T type changed
    old_blob: str | None  # None when the file did not exist before
    new_blob: str | None  # None when the file does not exist after


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in _PATHSPEC_VARS:
        env.pop(name, None)
    env.update(
        LC_ALL="C", LANG="C", LANGUAGE="C",
        GIT_PAGER="cat", PAGER="cat",
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",  # read-only: no opportunistic index refresh
        GIT_LITERAL_PATHSPECS="1",  # a file name with * or : is just a name
    )
    return env


def run(args: Sequence[str], cwd: Path, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run `git ARGS` in cwd and return the finished process (stdout and stderr as bytes)."""
    try:
        proc = subprocess.run(
            ["git", "--no-pager", "-c", "color.ui=never", "-c", "core.quotepath=off", "-c", "log.showSignature=false",
             *args],
            cwd=str(cwd), input=input, capture_output=True, env=_env(),
        )
    except FileNotFoundError:
        raise GitNotFound("git is not installed (or not on PATH); the record history needs it") from None
    except OSError as e:
        raise GitError(f"cannot run git: {e.strerror or e}") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {_stderr(proc)}")
    return proc


def _stderr(proc: subprocess.CompletedProcess) -> str:
    text = proc.stderr.decode("utf-8", "replace").strip()
    lines = [ln.removeprefix("fatal: ").removeprefix("error: ") for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else f"exit status {proc.returncode}"


def find_repo(root: Path) -> Repo:
    """The git repository holding the records root."""
    root = Path(root).resolve()
    proc = run(["rev-parse", "--show-toplevel", "--show-prefix"], cwd=root, check=False)
    if proc.returncode != 0:
        message = _stderr(proc)
        if "not a git repository" in message.lower():
            raise NotARepository(
                f"the records at {root} are not in a git repository, and this needs their git history "
                "(run `git init` there and commit the records)"
            )
        raise GitError(f"git cannot read the repository at {root}: {message}")
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 1 or not lines[0]:
        raise NotARepository(f"the records at {root} are inside a git folder but not in a work tree")
    prefix = lines[1] if len(lines) > 1 else ""
    return Repo(Path(lines[0]), prefix, root)


def resolve(repo: Repo, rev: str) -> str:
    """The full commit id a revision names; UnknownRevision when it names none."""
    if not rev or rev.startswith("-") or "\n" in rev:
        raise UnknownRevision(f"unknown revision {rev!r}")
    proc = run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
               cwd=repo.toplevel, check=False)
    if proc.returncode != 0:
        if rev == "HEAD":
            raise UnknownRevision("HEAD names no commit yet: the repository has no commits")
        raise UnknownRevision(f"unknown revision {rev!r}: no commit by that name in this repository")
    return proc.stdout.decode().strip()


def is_revision(repo: Repo, rev: str) -> bool:
    try:
        resolve(repo, rev)
        return True
    except UnknownRevision:
        return False


# -- log ---------------------------------------------------------------------

_LOG_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%aI%x1f%cI%x1f%ct%x1f%s"


def _parse_commit(header: str) -> Commit:
    sha, parents, author, authored, committed, ts, subject = header.split("\x1f", 6)
    return Commit(sha, tuple(parents.split()), author, authored, committed, int(ts), subject)


def log(repo: Repo, paths: Iterable[str], rev: str = "HEAD", first_parent: bool = False) -> list[Commit]:
    """Commits reachable from rev that touched any of paths, newest first."""
    return [c for c, _ in log_changes(repo, paths, rev, first_parent)]


def log_changes(repo: Repo, paths: Iterable[str], rev: str = "HEAD",
                first_parent: bool = False) -> list[tuple[Commit, list[FileChange]]]:
    """Commits that touched any of paths (files or folders), newest first, each with
    the files under those paths it changed (merges: against the first parent)."""
    sha = resolve(repo, rev)
    specs = [repo.git_path(p) for p in paths]
    if not specs:
        return []
    # A merge lists only what it changed against every parent (a conflict resolved
    # by hand), compared with its first parent; a clean merge lists nothing, as
    # its changes are already in the merged commits. On the first-parent line
    # a merge is the moment the branch entered the record: diff it with that parent.
    merges = "--diff-merges=first-parent" if first_parent else "--diff-merges=dense-combined"
    args = ["log", f"--format={_LOG_FORMAT}", "--raw", "--no-abbrev", "--no-renames", "-z", merges]
    if first_parent:
        args.append("--first-parent")
    proc = run([*args, sha, "--", *specs], cwd=repo.toplevel)
    out: list[tuple[Commit, list[FileChange]]] = []
    for chunk in proc.stdout.decode("utf-8", "surrogateescape").split("\x1e")[1:]:
        header, _, raw = chunk.partition("\0")
        out.append((_parse_commit(header), _parse_raw(repo, raw)))
    return out


def _parse_raw(repo: Repo, raw: str) -> list[FileChange]:
    """`--raw -z` entries: ':oldmode newmode oldsha newsha STATUS\\0path\\0', or for a
    merge with N parents '::...' with N+1 modes, N+1 ids (parents', then the result's)
    and N status letters; a merge entry is taken against its first parent."""
    fields = raw.lstrip("\n\0").split("\0")  # after a merge's header git writes NUL, not a newline
    changes = []
    i = 0
    while i + 1 < len(fields) and fields[i].startswith(":"):
        meta, path = fields[i], fields[i + 1]
        i += 2
        rel = repo.rel_path(path)
        if rel is None:
            continue
        n = len(meta) - len(meta.lstrip(":"))  # parents
        parts = meta.lstrip(":").split()
        shas, status = parts[n + 1:2 * n + 2], parts[2 * n + 2]
        old, new = shas[0], shas[n]
        changes.append(FileChange(rel, status[0], None if old == NULL_SHA else old, None if new == NULL_SHA else new))
    return changes


# -- contents ----------------------------------------------------------------


def show(repo: Repo, rev: str, rel: str) -> bytes | None:
    """A file's bytes at a revision (`git show REV:path`); None when it did not exist there."""
    sha = resolve(repo, rev)
    proc = run(["show", "--no-textconv", f"{sha}:{repo.git_path(rel)}"], cwd=repo.toplevel, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout


def read_objects(repo: Repo, names: Iterable[str]) -> dict[str, bytes | None]:
    """Many blobs at once (`git cat-file --batch`): name -> bytes, None when missing.

    A name is a blob id or `REV:git-path`.
    """
    wanted = list(dict.fromkeys(n for n in names if n and "\n" not in n))
    if not wanted:
        return {}
    proc = run(["cat-file", "--batch"], cwd=repo.toplevel, input="".join(n + "\n" for n in wanted).encode())
    out: dict[str, bytes | None] = {}
    data, pos = proc.stdout, 0
    for name in wanted:
        end = data.index(b"\n", pos)
        header = data[pos:end].decode("utf-8", "surrogateescape").split()
        pos = end + 1
        if len(header) == 3 and header[1] != "missing":
            size = int(header[2])
            out[name] = data[pos:pos + size] if header[1] == "blob" else None
            pos += size + 1
        else:
            out[name] = None
    return out


def read_at(repo: Repo, rev_sha: str, rels: Iterable[str]) -> dict[str, bytes | None]:
    """Files at a commit: rel -> bytes (None when the file did not exist there)."""
    rels = list(rels)
    found = read_objects(repo, [f"{rev_sha}:{repo.git_path(r)}" for r in rels])
    return {r: found.get(f"{rev_sha}:{repo.git_path(r)}") for r in rels}


# -- what changed --------------------------------------------------------------


def changed_between(repo: Repo, rev_a: str, rev_b: str | None = None) -> dict[str, str]:
    """Files under the records root that differ between two commits, or between a
    commit and the working tree (rev_b None, untracked files included):
    rel -> status letter (A added, D deleted, M modified, T type changed)."""
    args = ["diff", "--name-status", "--no-renames", "--no-ext-diff", "--no-textconv", "-z", rev_a]
    if rev_b is not None:
        args.append(rev_b)
    proc = run([*args, "--", repo.pathspec], cwd=repo.toplevel)
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    changed: dict[str, str] = {}
    for status, path in zip(fields[0::2], fields[1::2]):
        rel = repo.rel_path(path)
        if rel is not None and status:
            changed[rel] = status[0]
    if rev_b is None:
        for rel in untracked(repo):
            changed.setdefault(rel, "A")
    return dict(sorted(changed.items()))


def untracked(repo: Repo) -> list[str]:
    """Files under the records root that git does not track and does not ignore."""
    proc = run(["ls-files", "--others", "--exclude-standard", "-z", "--", repo.pathspec], cwd=repo.toplevel)
    rels = (repo.rel_path(p) for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p)
    return sorted(r for r in rels if r is not None)


def changed_paths(root: Path, rev: str) -> list[str]:
    """Root-relative posix paths of files under the records root changed between rev
    and the working tree (added, modified or deleted), plus untracked files that
    git does not ignore. Raises GitError subclasses with a message for the user."""
    repo = find_repo(root)
    return list(changed_between(repo, resolve(repo, rev)))


__all__ = ["GitError", "GitNotFound", "NotARepository", "UnknownRevision", "Repo", "Commit", "FileChange",
           "find_repo", "resolve", "is_revision", "log", "log_changes", "show", "read_objects", "read_at",
           "changed_between", "untracked", "changed_paths"]
