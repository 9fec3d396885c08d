"""Atomic file writes and an advisory lock, so that a record is never half-written.

A write goes to a temporary file in the target's own folder (same file
system, so the final rename is atomic), is flushed to disk, and then takes
the target's place in one step. Creating a file never replaces one that
appeared in the meantime: the temporary file is hard-linked to the new name,
which fails when the name exists. Writers that go through `locked()` on the
same folder take turns, so two `iopctl` processes appending to the same
progress file cannot lose each other's entry.
"""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from pathlib import Path
from typing import Iterator

try:  # POSIX; on other systems the lock is a no-op and the rename still keeps files whole
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_TIMEOUT_SECONDS = 30.0
TEMP_SUFFIX = ".tmp"


class FileExists(Exception):
    """The target exists and the caller did not ask to replace it."""

    def __init__(self, path: Path):
        super().__init__(f"{path} already exists")
        self.path = path


class ChangedMeanwhile(Exception):
    """The target changed between reading it and replacing it (an editor saved it)."""

    def __init__(self, path: Path):
        super().__init__(f"{path} changed while it was being edited")
        self.path = path


class LockTimeout(Exception):
    def __init__(self, folder: Path):
        super().__init__(f"another process has been writing in {folder} for over {LOCK_TIMEOUT_SECONDS:.0f} s")
        self.folder = folder


def _existing_folder(path: Path) -> Path:
    """The target's folder, or its nearest existing ancestor when the folder is still to be made."""
    folder = path.parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return folder


@contextlib.contextmanager
def locked(paths: list[Path], timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold an exclusive advisory lock (flock) on the folder of each path.

    Folders are locked in sorted order so that two writers of several files
    cannot deadlock. The lock is on the folder itself, so no lock file is
    left in the records repository.
    """
    folders = sorted({_existing_folder(p) for p in paths})
    fds: list[int] = []
    try:
        for folder in folders:
            fd = os.open(folder, os.O_RDONLY)
            fds.append(fd)
            if fcntl is None:
                continue
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                    if time.monotonic() > deadline:
                        raise LockTimeout(folder) from None
                    time.sleep(0.05)
        yield
    finally:
        for fd in reversed(fds):
            if fcntl is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened and synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_temp(path: Path, data: bytes) -> Path:
    """Write data to a new hidden temporary file beside path, flushed to disk; return its path.

    The name starts with a dot, so the records loader never mistakes a
    left-over temporary file for a record.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        mode = path.stat().st_mode & 0o7777 if path.exists() else _default_mode()
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def install(tmp: Path, path: Path, overwrite: bool = False, expected: bytes | None = None) -> None:
    """Put a temporary file from write_temp() in place of path, atomically.

    Without `overwrite`, path must not exist (FileExists). With `expected`,
    path must still hold exactly those bytes (ChangedMeanwhile), which
    catches an editor saving the file while iopctl was editing it.
    """
    try:
        if expected is not None:
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                current = None
            if current != expected:
                raise ChangedMeanwhile(path)
            os.replace(tmp, path)
        elif overwrite:
            os.replace(tmp, path)
        else:
            _create(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)


def _create(tmp: Path, path: Path) -> None:
    """Move tmp to path only if path does not exist, without a window in between."""
    try:
        os.link(tmp, path)  # fails with EEXIST when path exists: no clobbering
    except FileExistsError:
        raise FileExists(path) from None
    except OSError:  # a file system without hard links: check, then rename (we hold the lock)
        if path.exists():
            raise FileExists(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def write_file(path: Path, data: bytes, overwrite: bool = False, expected: bytes | None = None) -> None:
    """Write a whole file atomically (see install() for `overwrite` and `expected`)."""
    with locked([path]):
        install(write_temp(path, data), path, overwrite=overwrite, expected=expected)


def discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


__all__ = ["locked", "write_temp", "install", "write_file", "discard", "FileExists", "ChangedMeanwhile",
           "LockTimeout"]
