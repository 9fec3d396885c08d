"""The validation cache: what loading and checking a file found, keyed by its content.

Three files in one folder, each written whole to a temporary file and renamed
into place (two overlapping runs each leave a complete file; the last rename
wins), each with a checksum so that a damaged file is ignored, never trusted:

- `index`: root-relative path -> (size, mtime_ns, inode, blob id, racy), git's
  trick: a file whose stat is unchanged keeps its blob id without being read
  again. A file changed within two seconds of the run that wrote the index is
  "racy" (a second change within the file system's time resolution could
  keep its stat): its content is hashed again to be sure. The index also
  keeps the list of record files and the stamps of every folder taken before
  listing them: while no folder changes, nothing was added, removed or
  renamed, and the files need not be listed again.
- `entries`: (kind, blob id) -> the parsed data and the load and schema
  findings of that content (marshal of plain data).
- `results/<key>`: the findings of a whole-repository run, keyed by every
  file's path and blob id and the as-of date: an unchanged repository is
  answered from here without loading anything.

Every key is salted with the cache format, iopctl's version, a hash of the
packaged schemas and the Python version (marshal's format), so an upgrade or
a schema change starts afresh.

The folder is $IOPCTL_CACHE_DIR/<root> when that is set, else
`<git dir>/iopctl-cache/<root>` when the records live in a git work tree
(the cache holds parsed record content: inside .git it sits beside every
version of the records, and git never shows it as a change). Records outside
git get no cache at all: validate writes nothing into a records folder.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterable

FORMAT = 2  # 2: load findings point at the line to fix (an unclosed quote's opening line...)
ENV_DIR = "IOPCTL_CACHE_DIR"
_MAGIC = b"IOPCACHE"
RACY_NS = 2_000_000_000  # stat entries younger than this are not trusted next time
KEEP_RESULTS = 16

Stat = tuple[int, int, int]  # size, mtime_ns, inode


def blob_id(raw: bytes) -> str:
    """Git's blob id of these bytes (`git hash-object`)."""
    return hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()


def stat_of(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _git_dir(root: Path) -> Path | None:
    """The .git folder of the work tree holding root (following a `.git` file's gitdir)."""
    for folder in (root, *root.parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            try:
                line = dot.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeError):
                return None
            if line.startswith("gitdir:"):
                target = Path(line[len("gitdir:"):].strip())
                return target if target.is_absolute() else (folder / target)
            return None
    return None


def cache_dir(root: Path) -> Path | None:
    """Where the cache of the records repository at root lives (see the module docstring);
    None for records outside git (and no $IOPCTL_CACHE_DIR): they get no cache."""
    name = hashlib.sha1(str(root.resolve()).encode("utf-8")).hexdigest()[:16]
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser() / name
    git = _git_dir(root)
    if git is not None:
        return git / "iopctl-cache" / name
    return None


def salt() -> str:
    from iopctl import __version__, schemas

    text = f"{FORMAT}|{__version__}|{schemas.fingerprint()}|{sys.version_info[0]}.{sys.version_info[1]}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _read(path: Path) -> Any:
    """The marshalled value in path, or None when missing, damaged or unreadable."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 20
    if len(raw) < head or not raw.startswith(_MAGIC) or hashlib.sha1(raw[head:]).digest() != raw[len(_MAGIC):head]:
        return None
    try:
        return marshal.loads(raw[head:])
    except (ValueError, EOFError, TypeError):
        return None


def _write(path: Path, value: Any) -> bool:
    """Write atomically; False (and nothing left behind) when it cannot be done."""
    try:
        payload = marshal.dumps(value)
    except ValueError:  # something marshal cannot hold: do not cache it
        return False
    import tempfile  # only runs that write pay for it

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + hashlib.sha1(payload).digest() + payload)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


class Cache:
    """The cache of one records repository. Every failure to read or write is a miss.

    A cache without a folder (records outside git) reads nothing and writes nothing.
    """

    def __init__(self, folder: Path | None, salt_text: str | None = None):
        self.folder = folder
        self.salt = salt_text if salt_text is not None else salt()
        self._index: dict[str, tuple] | None = None
        self._entries: dict[str, bytes] | None = None
        self.program_tz: str | None = None
        self._dirs: dict[str, tuple] | None = None
        self._listed: list[str] | None = None
        # rel -> (stat, blob) of the files records.load_documents read or took from here
        self.stamps: dict[str, tuple] = {}

    @classmethod
    def for_root(cls, root: Path) -> "Cache":
        return cls(cache_dir(root))

    @property
    def enabled(self) -> bool:
        """False when there is nowhere to keep a cache: every lookup misses, nothing is written."""
        return self.folder is not None

    # -- the stat index ------------------------------------------------------------------
    def index(self) -> dict[str, tuple]:
        if self._index is None:
            value = _read(self.folder / "index") if self.folder is not None else None
            ok = isinstance(value, dict) and value.get("salt") == self.salt and isinstance(value.get("files"), dict)
            self._index = value["files"] if ok else {}
            self.program_tz = value.get("program_tz") if ok and isinstance(value.get("program_tz"), str) else None
            dirs, listed = (value.get("dirs"), value.get("listed")) if ok else (None, None)
            self._dirs = dirs if isinstance(dirs, dict) else None
            self._listed = listed if isinstance(listed, list) and all(isinstance(r, str) for r in listed) else None
        return self._index

    def index_stamps(self) -> dict[str, tuple[Stat, str]]:
        """The index as save_index takes it (to save it again with new folder stamps)."""
        return {rel: (hit[:3], hit[3]) for rel, hit in self.index().items()}

    def unchanged_listing(self, root: Path) -> list[str] | None:
        """The record files (root-relative, in listing order) of the run that wrote the index,
        when no folder has changed since (so listing them again would give the same), else None.

        A folder's mtime changes whenever an entry is added to it, removed or renamed; every
        folder under the kind folders is stamped (more than the listing walks: safe), and a
        folder that was racy when stamped is not trusted.
        """
        self.index()
        if not self._dirs or self._listed is None:
            return None
        top = str(root)
        for rel, stamp in self._dirs.items():
            if not (isinstance(stamp, tuple) and len(stamp) == 3) or stamp[2]:
                return None
            try:
                st = os.stat(os.path.join(top, rel) if rel else top)
            except OSError:
                return None
            if (st.st_mtime_ns, st.st_ino) != stamp[:2]:
                return None
        return list(self._listed)

    def known_blob(self, rel: str, st: Stat) -> str | None:
        """The blob id of rel when its stat is what the index remembers (and was not racy then)."""
        hit = self.index().get(rel)
        if isinstance(hit, tuple) and len(hit) == 5 and hit[:3] == st and isinstance(hit[3], str) and not hit[4]:
            return hit[3]
        return None

    def save_index(self, files: dict[str, tuple[Stat | None, str]], program_tz: str | None,
                   dirs: dict[str, tuple[int, int]] | None = None, listed: list[str] | None = None) -> None:
        """Remember stat and blob of every file, and the folders' stamps and the file list taken
        before listing. An entry changed within RACY_NS of now is marked racy: a second change
        within the file system's time resolution could keep its stat, so next time it is not
        trusted (git's "racily clean" rule)."""
        if self.folder is None:
            return
        now = time.time_ns()
        remembered = {rel: (*st, blob, now - st[1] <= RACY_NS) for rel, (st, blob) in files.items()
                      if st is not None}
        folders = {rel: (*st, now - st[0] <= RACY_NS) for rel, st in dirs.items()} if dirs is not None else None
        self.index()
        if (remembered, program_tz, folders, listed) != (self._index, self.program_tz, self._dirs, self._listed):
            _write(self.folder / "index", {"salt": self.salt, "files": remembered, "program_tz": program_tz,
                                           "dirs": folders, "listed": listed})
            self._index, self.program_tz, self._dirs, self._listed = remembered, program_tz, folders, listed

    # -- per-file entries ---------------------------------------------------------------------
    def entry_key(self, kind: str, blob: str) -> str:
        return f"{kind}:{blob}"

    def entries(self) -> dict[str, bytes]:
        if self._entries is None:
            value = _read(self.folder / "entries") if self.folder is not None else None
            ok = isinstance(value, dict) and value.get("salt") == self.salt and isinstance(value.get("entries"), dict)
            self._entries = value["entries"] if ok else {}
        return self._entries

    def entry(self, kind: str, blob: str) -> tuple[Any, list[tuple]] | None:
        """(data, findings as (line, column, code, severity, message)) cached for this content."""
        raw = self.entries().get(self.entry_key(kind, blob))
        if not isinstance(raw, bytes):
            return None
        return decode_entry(raw)

    def save_entries(self, entries: dict[str, bytes]) -> None:
        if self.folder is not None and entries != self.entries():
            _write(self.folder / "entries", {"salt": self.salt, "entries": entries})
            self._entries = entries

    # -- whole-repository results ----------------------------------------------------------
    def result_key(self, blobs: Iterable[tuple[str, str]], as_of: str) -> str:
        text = "".join(f"{rel}\0{blob}\n" for rel, blob in blobs)
        return hashlib.sha1(f"{self.salt}|{as_of}|{text}".encode("utf-8")).hexdigest()

    def result(self, key: str) -> list[tuple] | None:
        if self.folder is None:
            return None
        value = _read(self.folder / "results" / key)
        if isinstance(value, list) and all(isinstance(f, tuple) and len(f) == 6 for f in value):
            return value
        return None

    def save_result(self, key: str, findings: list[tuple]) -> None:
        if self.folder is None:
            return
        folder = self.folder / "results"
        if not _write(folder / key, findings):
            return
        try:  # keep the newest few: results of older states are rarely asked for again
            old = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns, reverse=True)[KEEP_RESULTS:]
            for p in old:
                p.unlink()
        except OSError:
            pass


def folder_stamps(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, inode) of root and of every folder under its kind folders, by relative path."""
    from iopctl.repo import KIND_FOLDERS

    top = str(root)
    out = {}
    try:
        st = os.stat(top)
    except OSError:
        return {}
    out[""] = (st.st_mtime_ns, st.st_ino)
    for folder in KIND_FOLDERS:
        for dirpath, _dirs, _files in os.walk(os.path.join(top, folder)):  # symlinked folders: not walked,
            try:                                                            # as repo.list_records does
                st = os.stat(dirpath)
            except OSError:
                continue
            out[os.path.relpath(dirpath, top)] = (st.st_mtime_ns, st.st_ino)
    return out


def encode_entry(data: Any, findings: list[tuple]) -> bytes | None:
    try:
        return marshal.dumps((data, findings))
    except ValueError:
        return None


def decode_entry(raw: bytes) -> tuple[Any, list[tuple]] | None:
    try:
        value = marshal.loads(raw)
    except (ValueError, EOFError, TypeError):
        return None
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], list):
        return value
    return None
