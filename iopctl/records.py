"""Loading a whole records repository: the one entry point every command uses.

files --read--> documents --schema--> valid documents --build--> Records
Load and schema problems come back as findings, never as exceptions.
"""
from __future__ import annotations

import datetime as dt
import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from iopctl import repo
from iopctl.findings import ERROR, Finding, has_errors

if TYPE_CHECKING:
    from iopctl.cache import Cache
    from iopctl.loader import Document
    from iopctl.model import Records

# The loader, the schemas and the model are imported where they are used: a command that
# is answered from the validation cache, or that only needs InvalidRecords, never pays for
# them (`iopctl validate` on an unchanged repository is mostly start-up time).
_LAZY = {"Document": "iopctl.loader", "read_document": "iopctl.loader", "parse_into": "iopctl.loader",
         "Records": "iopctl.model", "BUILDERS": "iopctl.model", "build_program": "iopctl.model",
         "schemas": "iopctl"}


def __getattr__(name: str) -> Any:
    """`records.Records`, `records.Document`... still work (PEP 562), imported on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_MIN = 200
ENV_JOBS = "IOPCTL_JOBS"


@dataclass
class Loaded:
    """What loading a repository gives: the model, every document, and load/schema findings."""

    records: Records
    documents: list[Document]
    findings: list[Finding] = field(default_factory=list)


def _outside_finding(f: repo.RecordFile) -> Finding:
    return Finding(f.rel, 1, 1, "IOP001", ERROR, "is a symbolic link that points outside the records repository")


def load_document(root: Path, f: repo.RecordFile) -> Document:
    """Read, parse and schema-check one record file."""
    from iopctl import schemas
    from iopctl.loader import read_document

    special = _special(root, f)
    if special is not None:
        return special
    doc = read_document(f.path, f.rel, f.kind)
    if not doc.findings:
        doc.findings.extend(schemas.check_schema(doc))
    return doc


def _unknown_place(rel: str) -> str:
    top = rel.split("/")[0]
    if top == "sessions":
        return "session files belong in sessions/<YYYY-MM>/<date>-<slug>.yaml"
    return f"a record file belongs directly in {top}/ as <ID>.yaml"


def build_records(root: Path, documents: Iterable[Document]) -> Records:
    """The model from every document that parsed and passed its schema."""
    from iopctl.model import BUILDERS, Records, build_program

    records = Records(root=root, program=None)
    for doc in documents:
        if doc.kind in ("participant", "plan", "progress"):
            records.present.setdefault(doc.kind, set()).add(Path(doc.rel).stem)
        if not doc.ok or doc.kind is None:
            continue
        if doc.kind == "program":
            records.program = build_program(doc)
            continue
        item = BUILDERS[doc.kind](doc)
        if doc.kind == "session":
            records.sessions.append(item)
        else:
            table = {"participant": records.participants, "plan": records.plans, "progress": records.progress}
            key = item.id if doc.kind == "participant" else item.participant
            _place(table[doc.kind], key, item, records.shadowed)
    records.sessions.sort(key=lambda s: (s.date, s.session))
    return records


def _place(table: dict, key: str, item: Any, shadowed: list) -> None:
    """Of several files holding one id (a copied file), the one named by the id is the record,
    else the first; the others go to `shadowed`, where IOP003 finds them. The choice depends
    only on which files hold the id, so `load_for`'s cut-down load makes the same one."""
    held = table.get(key)
    if held is None:
        table[key] = item
    elif Path(held.src.doc.rel).stem != key and Path(item.src.doc.rel).stem == key:
        table[key] = item
        shadowed.append(held)
    else:
        shadowed.append(item)


def load(root: Path, *, cache: "Cache | None" = None, jobs: int | None = None,
         files: list[repo.RecordFile] | None = None, keep_data: bool = True) -> Loaded:
    """Load every record under root.

    `cache` reuses what earlier runs found in files whose content has not
    changed (and records what this run finds); `jobs` worker processes parse
    and schema-check the rest (default: one per CPU when there are at least
    PARALLEL_MIN files to parse, else none). Neither changes the result.
    Without `keep_data`, each document but program.yaml lets go of its data once
    its model is built (the rules read the model; validate does not keep both).
    """
    files = repo.list_records(root) if files is None else files
    with paused_gc():
        scanned = scan(root, files, cache=cache, jobs=jobs)
        documents: list[Document] = []

        def built_one_by_one() -> Iterator[Document]:
            for s in scanned:
                doc = s.document()
                s.entry = None  # decoded: the marshalled copy can go
                documents.append(doc)
                yield doc
                if not keep_data and doc.kind != "program":
                    doc.data = None  # build_records has taken what it needs by now

        records = build_records(root, built_one_by_one())
        findings = [x for d in documents for x in d.findings]
        if not any(f.kind == "program" for f in files):
            findings.append(Finding(repo.PROGRAM_FILE, 1, 1, "IOP003", ERROR, "program.yaml is missing"))
        return Loaded(records, documents, findings)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while the model is built.

    Loading 10,000 files makes millions of long-lived objects and almost no cycles;
    the collector would walk all of them again and again (a third of the load
    time). On the way out they are frozen (gc.freeze): they live as long as the
    command, and a collection after this one would otherwise walk them all once
    more. Reference counting still frees everything that is dropped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def _doc_from(f: repo.RecordFile, data: Any, found: list[tuple]) -> Document:
    from iopctl.loader import Document

    doc = Document(f.path, f.rel, f.kind, data, [Finding(f.rel, *t) for t in found])
    if any(t[2] == "IOP001" for t in found):
        doc._root_node = False  # as read_document leaves it: never composed again
    return doc


def _special(root: Path, f: repo.RecordFile) -> Document | None:
    """The document of a file that is not read (no kind, or a symlink out of the repository)."""
    from iopctl.loader import Document

    if f.kind is None:
        doc = Document(f.path, f.rel, None)
        doc.findings.append(Finding(f.rel, 1, 1, "IOP003", ERROR, _unknown_place(f.rel)))
        return doc
    if f.kind == repo.UNREADABLE_FOLDER:
        doc = Document(f.path, f.rel, None)
        doc.findings.append(Finding(f.rel, 1, 1, "IOP001", ERROR, "folder cannot be read (permission denied): "
                                    "the records in it were not checked"))
        return doc
    if f.path.is_symlink() and repo.outside_root(f.path, root):
        doc = Document(f.path, f.rel, f.kind)
        doc.findings.append(_outside_finding(f))
        return doc
    return None


def check_file(path: str, rel: str, kind: str) -> tuple[Any, Any, Any, list[tuple]]:
    """Read, parse and schema-check one file: (stat, blob id, data, findings as tuples).

    stat and blob are None when the file could not be read. Runs in the
    worker processes, so it takes and returns plain values only.
    """
    from iopctl import schemas
    from iopctl.cache import blob_id, stat_of
    from iopctl.loader import MAX_FILE_BYTES, Document, parse_into

    doc = Document(Path(path), rel, kind)
    st = blob = None
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # a byte more than a record may have tells it is too big
            st = stat_of(os.fstat(fh.fileno()))
    except OSError:
        raw = None
    if raw is None or len(raw) > MAX_FILE_BYTES:
        st = None
        _read_carefully(doc)
    else:
        blob = blob_id(raw)
        parse_into(doc, raw)
        if not doc.findings:
            doc.findings.extend(schemas.check_schema(doc))
    found = [(x.line, x.column, x.code, x.severity, x.message) for x in doc.findings]
    return st, blob, doc.data, found


def _read_carefully(doc: Document) -> None:
    """read_document's path (folders, permissions, sizes) for a file that could not simply be read."""
    from iopctl import schemas
    from iopctl.loader import read_document

    fresh = read_document(doc.path, doc.rel, doc.kind)
    doc.data, doc.findings = fresh.data, fresh.findings
    if not doc.findings:
        doc.findings.extend(schemas.check_schema(doc))



def checked(path: str, rel: str, kind: str) -> tuple:
    """check_file's result, compact: (stat, blob, entry, facts, unmarshalled). The data and
    findings come marshalled as the cache keeps them (cache.encode_entry), beside the file's
    dependency facts (changes.Facts.content()), so that nobody needs to hold the data as
    objects until a model is built from it; `unmarshalled` is (data, findings) only when
    marshal cannot carry them (then entry is None)."""
    from iopctl.cache import encode_entry
    from iopctl.changes import facts_of

    st, blob, data, found = check_file(path, rel, kind)
    entry = encode_entry(data, found)
    return st, blob, entry, facts_of(rel, kind, data).content(), ((data, found) if entry is None else None)


def _check_chunk(chunk: list[tuple[int, str, str, str]]) -> list[tuple[int, Any]]:
    import marshal

    out = []
    for i, path, rel, kind in chunk:
        result = checked(path, rel, kind)
        try:
            out.append((i, marshal.dumps(result)))
        except ValueError:  # data marshal cannot carry (never from YAML): let the parent redo it
            out.append((i, None))
    return out


def job_count(todo: int, jobs: int | None) -> int:
    """Worker processes for `todo` files: `jobs` (or $IOPCTL_JOBS) when given, else one per
    CPU for PARALLEL_MIN files or more; 1 means no worker processes."""
    if jobs is None:
        env = os.environ.get(ENV_JOBS, "")
        jobs = int(env) if env.isdigit() and int(env) > 0 else None
    if jobs is None:
        if todo < PARALLEL_MIN:
            return 1
        try:
            jobs = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            jobs = os.cpu_count() or 1
    return max(1, min(jobs, todo))


def _check_in_parallel(todo: list[tuple[int, str, str, str]], jobs: int) -> Iterator[tuple[int, Any]]:
    """`checked` over todo in `jobs` worker processes, results as they come.

    A worker that dies (libyaml can crash on pathological nesting) breaks the
    pool: what it had not finished is then checked here, one file after the
    other, exactly as without workers.
    """
    import marshal
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    size = max(8, min(64, len(todo) // (jobs * 8) or 8))  # small enough to keep both cores busy to the end
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    done: set[int] = set()
    try:
        with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            futures = {pool.submit(_check_chunk, chunk): n for n, chunk in enumerate(chunks)}
            for future in as_completed(futures):
                for i, raw in future.result():
                    yield i, (marshal.loads(raw) if raw is not None else None)
                done.add(futures.pop(future))  # and let go of its results
    except BrokenProcessPool:
        for n, chunk in enumerate(chunks):
            if n not in done:
                for t in chunk:
                    yield t[0], checked(*t[1:])


@dataclass
class Scanned:
    """One record file read, parsed and schema-checked (or taken from the cache), compact: its
    data stays marshalled (`entry`, as the cache keeps it) until a model is built from it."""

    file: repo.RecordFile
    special: Document | None  # a file that is not read (see _special), with its finding
    entry: bytes | None  # marshal of (data, findings as tuples): cache.encode_entry
    facts: Any  # changes.Facts
    blob: str | None = None
    unmarshalled: tuple | None = None  # (data, findings) when marshal cannot carry them (no entry)

    def document(self) -> Document:
        if self.special is not None:
            return self.special
        return _doc_from(self.file, *(self.unmarshalled if self.entry is None else _decode(self.entry)))


def scan(root: Path, files: list[repo.RecordFile], cache: "Cache | None" = None,
         jobs: int | None = None) -> list[Scanned]:
    """Every file, in their order: from the cache, or read, parsed and schema-checked (in
    worker processes for many files). With a cache, what was found is kept in it."""
    from iopctl.changes import Facts, facts_of

    out: list[Scanned | None] = [None] * len(files)
    todo: list[tuple[int, str, str, str]] = []
    stamps: dict[str, tuple] = {}  # rel -> (stat, blob) for the cache index
    new_entries: dict[str, bytes] = {}
    # The facts of the entries, kept beside them: a file the cache holds needs no decoding
    # until its model is built.
    known_facts = (_unmarshalled(cache.entries().get(FACTS_KEY), dict) or {}) if cache is not None else {}
    for i, f in enumerate(files):
        special = _special(root, f)
        if special is not None:
            out[i] = Scanned(f, special, None, Facts(f.rel, f.kind))
            continue
        if cache is not None:
            try:
                st = _stat(f.path)
            except OSError:
                st = None
            blob = cache.known_blob(f.rel, st) if st else None
            if blob is None and st is not None and cache.entries():
                blob = _hash_file(f.path)  # new stat, maybe old content (a checkout, a touch, racy)
            if blob is not None:
                key = cache.entry_key(f.kind, blob)
                raw = cache.entries().get(key)
                facts = Facts.from_content(f.rel, f.kind, known_facts.get(key)) if raw is not None else None
                if facts is None:  # facts not kept (or not as expected): from the data
                    entry = _decode(raw)
                    facts = facts_of(f.rel, f.kind, entry[0]) if entry is not None else None
                if facts is not None:
                    out[i] = Scanned(f, None, raw, facts, blob)
                    stamps[f.rel] = (st, blob)
                    new_entries[key] = raw
                    continue
        todo.append((i, str(f.path), f.rel, f.kind))

    n = job_count(len(todo), jobs)
    results = _check_in_parallel(todo, n) if n > 1 else ((t[0], checked(*t[1:])) for t in todo)
    by_index = {t[0]: t for t in todo}
    for i, result in results:
        f = files[i]
        if result is None:
            result = checked(*by_index[i][1:])
        st, blob, raw, facts, unmarshalled = result
        out[i] = Scanned(f, None, raw, Facts.from_content(f.rel, f.kind, facts) or Facts(f.rel, f.kind), blob,
                         unmarshalled)
        if cache is not None and blob is not None:
            stamps[f.rel] = (st, blob)
            if raw is not None:
                new_entries[cache.entry_key(f.kind, blob)] = raw
    scanned: list[Scanned] = out  # type: ignore[assignment]  (every place is filled by now)
    if cache is not None:
        new_entries.update(_facts_entries(cache, scanned, stamps))
        cache.save_entries(new_entries)
        cache.stamps = stamps
    return scanned


# The entries that keep, beside the per-file entries, every file's dependency facts
# (changes.Facts.content(), by entry key) and who provides what (changes.ProviderIndex):
# `validate FILE` reads them to find what FILE's findings depend on without unmarshalling
# every file's data, and, while the same files are there, without looking at every file's
# facts; a whole run, to leave a cached file's data marshalled until its model is built.
FACTS_KEY = "facts"
INDEX_KEY = "providers"


def _facts_entries(cache: "Cache", scanned: list[Scanned], stamps: dict) -> dict[str, bytes]:
    import marshal

    from iopctl.changes import ProviderIndex

    facts = {cache.entry_key(s.file.kind, stamps[s.file.rel][1]): s.facts.content()
             for s in scanned if s.file.rel in stamps}
    blobs = {s.file.rel: stamps[s.file.rel][1] if s.file.rel in stamps else None for s in scanned}
    index = ProviderIndex.make((s.facts for s in scanned), blobs)
    return {FACTS_KEY: marshal.dumps(facts), INDEX_KEY: marshal.dumps(index.content())}


def _hash_file(path: Path) -> str | None:
    from iopctl.cache import blob_id

    try:
        return blob_id(path.read_bytes())
    except OSError:
        return None


def _stat(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _decode(raw: Any) -> tuple[Any, list[tuple]] | None:
    from iopctl.cache import decode_entry

    return decode_entry(raw) if isinstance(raw, bytes) else None


def present_of(rels: Iterable[str], kinds: dict[str, str | None] | None = None) -> dict[str, set[str]]:
    """Records.present for these files: the ids (file names) of every participant, plan and
    progress file, valid or not. `kinds`: rel -> kind, when known already."""
    from iopctl.changes import stem_of

    present: dict[str, set[str]] = {}
    for rel in rels:
        kind = kinds[rel] if kinds is not None else repo.kind_of(rel)
        if kind in ("participant", "plan", "progress"):
            present.setdefault(kind, set()).add(stem_of(rel))
    return present


# Files parsed to learn what they hold before load_for gives up (a full load is due anyway).
PARSE_AT_MOST = 64
# load_for gives up when the files needed are more than this share of the repository: a full
# load costs little more then, and fills the cache for the next run.
LOAD_FOR_SHARE = 0.5


def load_for(root: Path, rels: list[str], blobs: dict[str, str], asked: Iterable[str],
             cache: "Cache") -> Loaded | None:
    """What `load` gives, cut down to the files the findings on `asked` can depend on
    (changes.Graph): those files' documents and the model built from them, with `present`
    and the load findings of the whole listing as `load` has them. The findings on `asked`
    are then the same as a full load's.

    `rels`: every record file (listing order); `blobs`: rel -> blob id of each one now.
    Facts and data come from the cache; files it does not hold are parsed. None when that
    cannot be done cheaply (no cache, too many files to parse, or the files needed are most
    of the repository): load everything then.
    """
    from iopctl.cache import decode_entry
    from iopctl.changes import Facts, Graph, ProviderIndex, facts_of

    asked = list(asked)
    entries = cache.entries()
    if not entries:
        return None
    index = ProviderIndex.from_content(_unmarshalled(entries.get(INDEX_KEY), tuple))
    changed = index.changed(blobs) if index is not None else None
    if changed is None:  # the files are not those the index describes: look at all of them
        index, scan = None, rels
        known = _unmarshalled(entries.get(FACTS_KEY), dict) or {}
    else:  # only what is asked, and what changed since the index was made, need a look; their
        # data is needed anyway, and the facts come from it quicker than from unmarshalling all
        scan = list(dict.fromkeys([*(rel for rel in asked if rel in blobs), *changed]))
        known = {}
    top = str(root)
    fresh: dict[str, tuple] = {}  # rel -> check_file's result, for files the cache does not hold
    data_of: dict[str, Any] = {}  # rel -> (data, findings) decoded on the way
    facts = []
    kinds: dict[str, str | None] = {}
    for rel in scan:
        kind = kinds[rel] = repo.kind_of(rel)
        blob = blobs.get(rel)
        if kind is None or blob is None:
            facts.append(Facts(rel, kind))
            continue
        key = cache.entry_key(kind, blob)
        found = Facts.from_content(rel, kind, known.get(key))
        if found is None:
            entry = decode_entry(entries[key]) if isinstance(entries.get(key), bytes) else None
            if entry is None:
                f = repo.RecordFile(Path(os.path.join(top, rel)), rel, kind)
                if _special(root, f) is not None:
                    found = Facts(rel, kind)
                else:
                    if len(fresh) >= PARSE_AT_MOST:
                        return None
                    fresh[rel] = check_file(str(f.path), rel, kind)
                    entry = fresh[rel][2:]
            if found is None:
                data_of[rel] = entry
                found = facts_of(rel, kind, entry[0])
        facts.append(found)
    needed = Graph(facts, index).needed_for(asked)
    if repo.PROGRAM_FILE in blobs:
        needed.add(repo.PROGRAM_FILE)  # for the default as-of date, as load has it
    if len(needed) > LOAD_FOR_SHARE * len(rels):
        return None
    documents = []
    for rel in rels:
        if rel not in needed:
            continue
        kind = kinds[rel] if rel in kinds else repo.kind_of(rel)
        f = repo.RecordFile(Path(os.path.join(top, rel)), rel, kind)
        doc = _special(root, f)
        if doc is None:
            if rel in fresh:
                entry = fresh[rel][2:]
            elif rel in data_of:
                entry = data_of[rel]
            else:
                raw = entries.get(cache.entry_key(kind, blobs[rel])) if rel in blobs else None
                entry = decode_entry(raw) if isinstance(raw, bytes) else None
                if entry is None:  # gone from the cache meanwhile: read it
                    entry = check_file(str(f.path), rel, kind)[2:]
            doc = _doc_from(f, *entry)
        documents.append(doc)
    findings = [x for d in documents for x in d.findings]
    if repo.PROGRAM_FILE not in blobs:
        findings.append(Finding(repo.PROGRAM_FILE, 1, 1, "IOP003", ERROR, "program.yaml is missing"))
    records = build_records(root, documents)
    records.present = {k: set(v) for k, v in index.present.items()} if index is not None else present_of(rels)
    return Loaded(records, documents, findings)


def _unmarshalled(raw: Any, kind: type) -> Any:
    """marshal.loads(raw) when raw is bytes holding a `kind`, else None."""
    import marshal

    if not isinstance(raw, bytes):
        return None
    try:
        value = marshal.loads(raw)
    except (ValueError, EOFError, TypeError):
        return None
    return value if type(value) is kind else None


def semantic_findings(loaded: Loaded, as_of: dt.date, only: Iterable[str] | None = None,
                      codes: Callable[[str], bool] | None = None) -> list[Finding]:
    """Every rule's findings. `only`: the files whose findings are wanted (rules may skip work
    for others; findings elsewhere may still come back); `codes`: run only the rules it accepts."""
    from iopctl import schedule
    from iopctl.checks import CHECKS, Context, run_checks

    ctx = Context(as_of=as_of, only=frozenset(only) if only is not None else None)
    with schedule.memoized():  # the records do not change while the rules run
        if codes is None:
            return run_checks(loaded.records, ctx)
        return [x for code, fn in CHECKS if codes(code) for x in fn(loaded.records, ctx)]


class InvalidRecords(Exception):
    """Raised by commands that refuse to build output on records with errors."""

    def __init__(self, findings: list[Finding]):
        super().__init__(f"{len(findings)} error(s) in the records")
        self.findings = findings


def require_valid(loaded: Loaded, as_of: dt.date, files: Iterable[str] | None = None) -> None:
    """Raise InvalidRecords when the given files (default: all) have errors."""
    wanted = set(files) if files is not None else None
    findings = loaded.findings + semantic_findings(loaded, as_of)
    bad = sorted(f for f in findings if f.severity == ERROR and (wanted is None or f.file in wanted))
    if bad:
        raise InvalidRecords(bad)


def participant_files(pid: str) -> list[str]:
    return [f"participants/{pid}.yaml", f"plans/{pid}.yaml", f"progress/{pid}.yaml", repo.PROGRAM_FILE]


def today(records: Records) -> dt.date:
    """Today in the program's time zone (the default for --as-of)."""
    return today_in(records.program.timezone if records.program is not None else None)


def today_in(timezone: str | None) -> dt.date:
    """Today in an IANA time zone; local time when there is none or it is unknown."""
    if timezone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return dt.datetime.now(ZoneInfo(timezone)).date()
        except (ZoneInfoNotFoundError, ValueError):  # validate reports the zone; use local time
            pass
    return dt.date.today()


__all__ = ["Loaded", "Scanned", "scan", "load", "load_for", "load_document", "build_records", "semantic_findings", "require_valid",
           "InvalidRecords", "has_errors", "today", "today_in", "participant_files"]
