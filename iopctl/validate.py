"""`validate` as a library call: findings for a repository, or for some of its files."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from iopctl import repo
from iopctl.findings import Finding, count

ALL_CODES = (
    "IOP001", "IOP002", "IOP003", "IOP004", "IOP010", "IOP011", "IOP012", "IOP020", "IOP021", "IOP022",
    "IOP030", "IOP031", "IOP040", "IOP041", "IOP042", "IOP050",
)


@dataclass
class Report:
    findings: list[Finding]  # sorted by file, line, column
    files: int  # record files checked

    @property
    def errors(self) -> int:
        return count(self.findings)[0]

    @property
    def warnings(self) -> int:
        return count(self.findings)[1]


def _selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    if select and not any(code.startswith(s) for s in select):
        return False
    return not any(code.startswith(i) for i in ignore)


def validate(
    root: Path,
    paths: Iterable[str | Path] | None = None,
    as_of: dt.date | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    cache: bool = False,
    jobs: int | None = None,
) -> Report:
    """Validate the repository at root; with `paths`, report only on those files (or folders).

    The report on `paths` is always what a whole run reports on them. With
    `cache`, results are kept in the repository's cache (iopctl/cache.py): an
    unchanged repository is answered without loading anything, unchanged files
    are not parsed again, and with `paths` only the files their findings can
    depend on are loaded (changes.Graph, records.load_for). `jobs`: worker
    processes (records.load). Neither changes the findings.
    """
    asked = None
    if paths is not None:
        wanted = [repo.record_file(root, p).rel for p in paths]
        prefixes = tuple(w.rstrip("/") + "/" for w in wanted)

        def asked(rel: str) -> bool:
            return rel in wanted or rel.startswith(prefixes) or "." in wanted

    codes = lambda code: _selected(code, select, ignore)  # noqa: E731
    rels, findings = _all_findings(root, as_of, cache, jobs, asked, codes)
    checked = list(rels)
    if asked is not None:
        checked = [rel for rel in checked if asked(rel)]
        for w in wanted:  # a named file that is not a record at all
            path = root / w
            if path.is_file() and w not in checked and w != ".":
                kind = repo.kind_of(w)
                if kind is None:
                    findings.append(Finding(w, 1, 1, "IOP003", "error", "is not a record file: records are "
                                            "program.yaml and YAML files in participants/, plans/, progress/, "
                                            "sessions/<YYYY-MM>/"))
                    checked.append(w)
        findings = [f for f in findings if asked(f.file)]
    # Sorted by position; findings at the same place keep the order the rules produced them in.
    unique = dict.fromkeys(f for f in findings if codes(f.code))
    findings = sorted(unique, key=lambda f: (f.file, f.line, f.column))
    return Report(findings, len(checked))


def _all_findings(root: Path, as_of: dt.date | None, use_cache: bool, jobs: int | None,
                  asked: Callable[[str], bool] | None = None,
                  codes: Callable[[str], bool] | None = None) -> tuple[list[str], list[Finding]]:
    """The record files (root-relative) and their load, schema and semantic findings, in the
    order the rules give them. With `asked`, the findings on the files it accepts are all
    there, others may be missing."""
    store = dirs = listed = None
    if use_cache:
        from iopctl.cache import Cache, folder_stamps

        store = Cache.for_root(root)
        listed = store.unchanged_listing(root)  # no folder changed: the same files as last time
        if listed is not None:
            hit = _from_cache(store, root, listed, as_of, asked, codes)
            if hit is not None:
                return listed, hit
        dirs = folder_stamps(root)  # taken before listing: a file added later changes a folder later
    files = repo.list_records(root)
    rels = [f.rel for f in files]
    if store is not None and listed is None:  # (with the same listing as above, the cache said no already)
        hit = _from_cache(store, root, rels, as_of, asked, codes)
        if hit is not None:
            store.save_index(store.index_stamps(), store.program_tz, dirs, rels)
            return rels, hit

    from iopctl import records as records_mod

    with records_mod.paused_gc():
        loaded = records_mod.load(root, cache=store, jobs=jobs, files=files, keep_data=False)
        day = as_of or records_mod.today(loaded.records)
        package = _know_holidays(store)
        findings = loaded.findings + records_mod.semantic_findings(loaded, day)
        program = loaded.records.program
        _keep_holidays(store, package, program)
        if store is not None:
            store.save_index(store.stamps, program.timezone if program is not None else "", dirs, rels)
            if len(store.stamps) == len(files):  # every file read: the whole result can be kept
                blobs = [(rel, store.stamps[rel][1]) for rel in rels]
                store.save_result(store.result_key(blobs, day.isoformat()),
                                  [(f.file, f.line, f.column, f.code, f.severity, f.message) for f in findings])
    return rels, findings


def _from_cache(store, root: Path, rels: list[str], as_of: dt.date | None,
                asked: Callable[[str], bool] | None, codes: Callable[[str], bool] | None) -> list[Finding] | None:
    """Findings without a full load: the cached result of a whole run on these files as they
    are now; else, with `asked`, a run on the part of the repository the asked files depend
    on (records.load_for). None when neither can be had."""
    blobs = _blobs(store, root, rels)
    if blobs is None:
        return None
    day = as_of
    if day is None and store.program_tz is not None:
        from iopctl.records import today_in

        day = today_in(store.program_tz or None)  # "": the last run had no valid program.yaml
    if day is not None:
        hit = store.result(store.result_key(blobs, day.isoformat()))
        if hit is not None:
            return [Finding(*f) for f in hit]
    if asked is None:
        return None
    return _part_findings(store, root, rels, dict(blobs), as_of, asked, codes)


def _part_findings(store, root: Path, rels: list[str], blobs: dict[str, str], as_of: dt.date | None,
                   asked: Callable[[str], bool], codes: Callable[[str], bool] | None) -> list[Finding] | None:
    from iopctl import records as records_mod

    wanted = [rel for rel in rels if asked(rel)]
    if len(wanted) > records_mod.LOAD_FOR_SHARE * len(rels):
        return None  # most of the repository: a full run is as quick, and fills the cache
    with records_mod.paused_gc():
        loaded = records_mod.load_for(root, rels, blobs, wanted, store)
        if loaded is None:
            return None
        day = as_of or records_mod.today(loaded.records)
        package = _know_holidays(store)
        findings = loaded.findings + records_mod.semantic_findings(loaded, day, only=wanted, codes=codes)
        _keep_holidays(store, package, loaded.records.program)
        return findings


# The hours rules need the program's public holiday tables; the holidays package takes longer
# to give them than the rest of a `validate FILE` run, so they are kept in the cache.
def _know_holidays(store) -> str | None:
    """Take the holiday tables the cache keeps (schedule._TABLES); the package's fingerprint."""
    if store is None:
        return None
    from iopctl import schedule

    package = schedule.holidays_fingerprint()
    schedule.know_holidays(store.holidays(package))
    return package


def _keep_holidays(store, package: str | None, program) -> None:
    """Keep the program's holiday tables in the cache (when they hold more than it had)."""
    if store is not None and package is not None:
        from iopctl import schedule

        store.save_holidays(package, schedule.holiday_tables(program))


def _blobs(store, root: Path, rels: list[str]) -> list[tuple[str, str]] | None:
    """(rel, blob id) of every file as it is now, or None when that cannot be had cheaply (no
    index yet, too many files new or changed since, a file gone or unreadable). Files the
    index cannot vouch for by their stat are hashed."""
    import os

    from iopctl.cache import blob_id

    if not store.index():
        return None
    top = str(root) + os.sep
    blobs = []
    unknown = 0
    for rel in rels:
        path = top + rel  # (os.path.join costs a fifth of this loop, 10,000 files at a time)
        try:
            st = os.stat(path)
            blob = store.known_blob(rel, (st.st_size, st.st_mtime_ns, st.st_ino))
            if blob is None:
                unknown += 1
                if unknown > HASH_AT_MOST:
                    return None
                with open(path, "rb") as fh:
                    blob = blob_id(fh.read())
        except OSError:  # gone, unreadable, a folder: let loading report it
            return None
        blobs.append((rel, blob))
    return blobs


# New or changed files hashed before giving up on a cached result: past this, loading is due anyway.
HASH_AT_MOST = 64
