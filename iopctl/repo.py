"""The records repository on disk: where its root is and which file is which kind."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

PROGRAM_FILE = "program.yaml"
ENV_RECORDS = "IOPCTL_RECORDS"

# folder -> kind; a file's kind is decided by its folder (records.md).
KIND_FOLDERS = {"participants": "participant", "plans": "plan", "progress": "progress", "sessions": "session"}
YAML_SUFFIXES = (".yaml", ".yml")
MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")
# The kind of a RecordFile that is a file where a kind folder belongs (`participants` holding
# text): listed so that it is reported (IOP001), never read as a record.
NOT_A_FOLDER = "not-a-folder"
# The kind of a RecordFile that is a folder that cannot be listed (no permission): its records
# would go unchecked without a word, so it is listed to be reported (IOP001).
UNREADABLE_FOLDER = "unreadable-folder"


class RecordsNotFound(Exception):
    """No records repository where one was expected (a usage error, exit 2)."""


@dataclass(frozen=True)
class RecordFile:
    path: Path  # absolute
    rel: str  # posix, relative to the root
    kind: str | None  # None: a YAML file in no known place (IOP003); NOT_A_FOLDER, UNREADABLE_FOLDER: see there


def find_root(start: Path | None = None, explicit: str | os.PathLike | None = None) -> Path:
    """The records root: `explicit` (--records), else $IOPCTL_RECORDS, else the nearest
    folder from `start` upwards that holds program.yaml."""
    given = explicit or os.environ.get(ENV_RECORDS) or None
    if given:
        root = Path(given).expanduser().resolve()
        if not root.is_dir():
            raise RecordsNotFound(f"records folder {given} does not exist")
        if not (root / PROGRAM_FILE).exists():
            raise RecordsNotFound(f"{given} holds no {PROGRAM_FILE}; is it a records repository?")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROGRAM_FILE).exists():
            return folder
    raise RecordsNotFound(
        f"no {PROGRAM_FILE} in {here} or any folder above it; "
        f"run inside a records repository, or pass --records DIR (or set {ENV_RECORDS})"
    )


def kind_of(rel: str) -> str | None:
    """The record kind of a root-relative posix path, None when it is in no known place."""
    parts = rel.split("/")
    if parts == [PROGRAM_FILE]:
        return "program"
    if len(parts) < 2 or not parts[-1].endswith(YAML_SUFFIXES):
        return None
    kind = KIND_FOLDERS.get(parts[0])
    if kind == "session":
        return kind if len(parts) == 3 and MONTH_FOLDER.match(parts[1]) else None
    return kind if len(parts) == 2 else None


def _walk(folder: Path, root: Path) -> Iterable[tuple[Path, str | None]]:
    """(path, None) of every file under folder, and (path, kind) of the folders to report:
    "linked" for a link out of the repository, UNREADABLE_FOLDER for one that cannot be listed."""
    unreadable: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False, onerror=unreadable.append):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        for name in sorted(filenames):
            if not name.startswith("."):
                yield base / name, None
        for d in list(dirnames):
            path = base / d
            if d.endswith(YAML_SUFFIXES):  # a folder named like a record file is reported (IOP001)
                dirnames.remove(d)
                yield path, None
            elif os.path.islink(path) and outside_root(path, root):
                # os.walk does not follow it: its records would go unchecked without a word.
                yield path, "linked"
    for error in unreadable:
        if error.filename is not None:
            yield Path(error.filename), UNREADABLE_FOLDER


def list_records(root: Path) -> list[RecordFile]:
    """Every record file under root, sorted by path: program.yaml and the kind folders.

    YAML files elsewhere inside a kind folder come back with kind None so that
    validate can report them; files outside the kind folders are not records.
    So that nothing is skipped without a word, a folder symlink that leaves the
    repository comes back as one entry (of its folder's kind, so validate reports
    the link), a file where a kind folder belongs with kind NOT_A_FOLDER, and a folder
    that cannot be listed with kind UNREADABLE_FOLDER.
    """
    out: list[RecordFile] = []
    if (root / PROGRAM_FILE).exists():
        out.append(RecordFile(root / PROGRAM_FILE, PROGRAM_FILE, "program"))
    for folder, kind in KIND_FOLDERS.items():
        base = root / folder
        if base.is_symlink() and outside_root(base, root):  # the whole folder lives elsewhere
            out.append(RecordFile(base, folder, kind))
            continue
        if not base.is_dir():
            if base.exists():  # a file where the folder belongs: its records are nowhere
                out.append(RecordFile(base, folder, NOT_A_FOLDER))
            continue
        cut = len(str(base))  # every walked path starts with base: its rel is cut from the string (fast)
        for path, special in _walk(base, root):
            rel = folder + str(path)[cut:].replace(os.sep, "/")
            if special == "linked":
                out.append(RecordFile(path, rel, kind))  # reported as a link leaving the repository
            elif special == UNREADABLE_FOLDER:
                out.append(RecordFile(path, rel, UNREADABLE_FOLDER))
            elif rel.endswith(YAML_SUFFIXES):
                out.append(RecordFile(path, rel, kind_of(rel)))
    return sorted(out, key=lambda f: f.rel)


def record_file(root: Path, given: str | os.PathLike) -> RecordFile:
    """A path given on the command line, as a RecordFile of this root."""
    path = Path(given)
    if not path.is_absolute():
        path = Path.cwd() / path
    path = Path(os.path.normpath(path))
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        raise RecordsNotFound(f"{given} is not inside the records repository {root}") from None
    return RecordFile(path, rel, kind_of(rel))


def outside_root(path: Path, root: Path) -> bool:
    """True for a symlink (or a file under one) whose target leaves the repository.

    A link that cannot be resolved at all (a loop: RuntimeError before Python
    3.13, OSError after) counts as outside: it is reported, never followed.
    """
    try:
        path.resolve().relative_to(root.resolve())
        return False
    except (ValueError, RuntimeError, OSError):
        return True
