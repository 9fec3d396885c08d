"""The validation cache: what loading and checking a file found, keyed by its content.

A few files in one folder, each written whole to a temporary file and renamed
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
  findings of that content (marshal of plain data), as a pack: a header
  (checksummed) gives each entry's place, length and CRC-32, so a run that
  needs a few entries of 10,000 reads only those (`Pack`), and a damaged
  entry is ignored on its own.
- `results/<key>`: the findings of a whole-repository run, keyed by every
  file's path and blob id and the as-of date: an unchanged repository is
  answered from here without loading anything.
- `holidays`: the public holiday tables the hours rules used, keyed by the
  installed holidays package (importing it costs more than the rest of a
  pre-commit run).

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
import zlib
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

FORMAT = 3  # 2: load findings point at the line to fix (an unclosed quote's opening line...); 3: entries pack
ENV_DIR = "IOPCTL_CACHE_DIR"
_MAGIC = b"IOPCACHE"
_PACK_MAGIC = b"IOPPACK1"
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
    return _write_parts(path, [_MAGIC, hashlib.sha1(payload).digest(), payload])


def _write_parts(path: Path, parts: list[bytes]) -> bool:
    """Write parts, one after the other, to a temporary file renamed onto path."""
    import tempfile  # only runs that write pay for it

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.writelines(parts)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


class Pack(Mapping[str, bytes]):
    """The entries file, read as a mapping without reading every entry.

    Layout: _PACK_MAGIC, the SHA-1 of the header, the header's length (8 bytes, little
    endian), the header (marshal: {"salt", "entries": {key: (offset, length, crc32)}}), then
    the entries one after the other. The file is mapped, not read: an entry is read when it
    is asked for, and a damaged one (wrong length or CRC-32) is missing, like any other.
    """

    def __init__(self, spans: dict[str, tuple[int, int, int]], data: Any, start: int):
        self._spans, self._data, self._start = spans, data, start

    @classmethod
    def open(cls, path: Path, salt_text: str) -> "Pack | None":
        """The pack at path, or None when it is missing, damaged, unreadable or of another salt."""
        import mmap

        try:
            with open(path, "rb") as f:
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
            return None
        head = len(_PACK_MAGIC) + 28
        if len(data) < head or data[:len(_PACK_MAGIC)] != _PACK_MAGIC:
            return None
        size = int.from_bytes(data[head - 8:head], "little")
        header = data[head:head + size]
        if len(header) != size or hashlib.sha1(header).digest() != data[len(_PACK_MAGIC):head - 8]:
            return None
        try:
            value = marshal.loads(header)
        except (ValueError, EOFError, TypeError):
            return None
        if not (isinstance(value, dict) and value.get("salt") == salt_text and isinstance(value.get("entries"), dict)):
            return None
        return cls(value["entries"], data, head + size)

    @staticmethod
    def sums_of(entries: dict[str, bytes]) -> dict[str, tuple[int, int]]:
        """key -> (length, crc32) of each entry, as a pack of them holds it."""
        return {key: (len(raw), zlib.crc32(raw)) for key, raw in entries.items()}

    @staticmethod
    def parts(salt_text: str, entries: dict[str, bytes], sums: dict[str, tuple[int, int]]) -> list[bytes]:
        """The bytes of a pack holding entries (see `open`; `sums`: sums_of(entries)), in pieces."""
        spans, offset = {}, 0
        for key, (length, crc) in sums.items():
            spans[key] = (offset, length, crc)
            offset += length
        header = marshal.dumps({"salt": salt_text, "entries": spans})
        return [_PACK_MAGIC, hashlib.sha1(header).digest(), len(header).to_bytes(8, "little"), header,
                *entries.values()]

    def sums(self) -> dict[str, tuple[int, int]]:
        """key -> (length, crc32) of every entry: what a pack of the same entries would hold."""
        return {key: tuple(span[1:]) for key, span in self._spans.items() if isinstance(span, tuple)}

    def __getitem__(self, key: str) -> bytes:
        span = self._spans[key]
        try:
            offset, length, crc = span
            raw = self._data[self._start + offset:self._start + offset + length]
        except (TypeError, ValueError):
            raise KeyError(key) from None
        if len(raw) != length or zlib.crc32(raw) != crc:
            raise KeyError(key)
        return raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


class Cache:
    """The cache of one records repository. Every failure to read or write is a miss.

    A cache without a folder (records outside git) reads nothing and writes nothing.
    """

    def __init__(self, folder: Path | None, salt_text: str | None = None):
        self.folder = folder
        self.salt = salt_text if salt_text is not None else salt()
        self._index: dict[str, tuple] | None = None
        self._entries: Mapping[str, bytes] | None = None
        self._holidays: dict | None = None
        self.program_tz: str | None = None
        self._dirs: dict[str, tuple] | None = None
        self._listed: list[str] | None = None
        # rel -> (stat, blob) of the files records.scan read or took from here
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

    def entries(self) -> Mapping[str, bytes]:
        """Every entry (a Pack, read as asked), or {} when there are none to trust."""
        if self._entries is None:
            pack = Pack.open(self.folder / "entries", self.salt) if self.folder is not None else None
            self._entries = pack if pack is not None else {}
        return self._entries

    def entry(self, kind: str, blob: str) -> tuple[Any, list[tuple]] | None:
        """(data, findings as (line, column, code, severity, message)) cached for this content."""
        raw = self.entries().get(self.entry_key(kind, blob))
        if not isinstance(raw, bytes):
            return None
        return decode_entry(raw)

    def save_entries(self, entries: dict[str, bytes]) -> None:
        """Write a pack of entries, unless the one there holds the same already."""
        if self.folder is None:
            return
        held = self.entries()
        sums = Pack.sums_of(entries)
        if isinstance(held, Pack) and held.sums() == sums:
            return
        if _write_parts(self.folder / "entries", Pack.parts(self.salt, entries, sums)):
            self._entries = entries

    # -- public holiday tables -------------------------------------------------------------
    def holidays(self, fingerprint: str) -> dict:
        """The holiday tables (schedule.holiday_tables) kept for this holidays package, or {}."""
        value = _read(self.folder / "holidays") if self.folder is not None else None
        ok = isinstance(value, dict) and value.get("salt") == self.salt and value.get("package") == fingerprint
        tables = value.get("tables") if ok else None
        self._holidays = tables if isinstance(tables, dict) else {}
        return self._holidays

    def save_holidays(self, fingerprint: str, tables: dict) -> None:
        """Keep the tables when they hold more than what `holidays` read."""
        if self.folder is not None and tables != self._holidays:
            _write(self.folder / "holidays", {"salt": self.salt, "package": fingerprint, "tables": tables})
            self._holidays = tables

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
