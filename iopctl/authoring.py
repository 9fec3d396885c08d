"""Writing records from the shell: round-trip YAML edits, validation before writing, git commits.

Every write follows the same steps (`write_records`):

1. lock the folders of the files it writes (`atomic.locked`), then read them;
2. build the new text: a whole new file, or an edit of the ruamel round-trip
   tree of the old one, which keeps comments, key order, quoting and layout
   of everything it does not touch;
3. write each new text to a temporary file beside its target and validate
   the would-be repository (the real loader, schemas and every rule) with
   those temporary files standing in for the targets;
4. refuse, with the findings, when a written file (or program.yaml) would
   have an error or the change would add an error to another file; the
   targets are then untouched, byte for byte;
5. otherwise rename each temporary file onto its target (atomic).

The edit functions (`record_attendance`, `add_assessment`, ...) only
describe a change; the commands in iopctl/commands/ parse options and call
them, then `write_records`, then optionally `git_commit`.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from iopctl import atomic, repo, schedule
from iopctl import records as records_mod
from iopctl.findings import ERROR, Finding
from iopctl.loader import Document
from iopctl.model import Records

# Canonical key order of each record kind (records.md); new keys go where this order puts them.
KEY_ORDER = {
    "participant": ["schema_version", "id", "preferred_name", "pronouns", "date_of_birth", "language", "status",
                    "admitted", "discharged", "discharge_reason", "track", "primary_counselor", "diagnoses",
                    "strengths", "needs", "cultural_considerations", "supports", "safety_plan", "medications"],
    "plan": ["schema_version", "participant", "start", "weeks", "track", "signed", "reviews", "extra_sessions",
             "skip_sessions", "problems", "adjustments", "aftercare"],
    "progress": ["schema_version", "participant", "assessments", "objective_updates", "milestones", "screens"],
    "session": ["schema_version", "date", "session", "status", "start", "minutes", "facilitator", "topic",
                "attendance"],
}
ATTENDANCE_STATUSES = ("present", "late", "left-early", "excused", "absent")
OBJECTIVE_STATUSES = ("not-started", "in-progress", "met", "partially-met", "not-met", "revised", "discontinued")
DISCHARGE_REASONS = ("completed", "stepped-down", "stepped-up", "withdrew", "administrative", "transferred")

# Layouts tried when re-reading a file: (mapping indent, sequence indent, dash offset).
# The first is this project's style (`key:` then `  - item`).
_LAYOUTS = [(2, 4, 2), (2, 2, 0), (4, 6, 4), (4, 4, 2), (4, 4, 0), (2, 4, 0), (3, 5, 3)]
_WIDTH = 4096  # never fold a long line: a reflowed line is a change nobody asked for


class Refused(Exception):
    """A write that iopctl will not do; `findings` say why when validation refused it."""

    def __init__(self, message: str, findings: Sequence[Finding] = ()):
        super().__init__(message)
        self.message = message
        self.findings = list(findings)


# -- round-trip YAML ---------------------------------------------------------


def _yaml(layout: tuple[int, int, int] = _LAYOUTS[0], explicit_start: bool = False) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = _WIDTH
    mapping, sequence, offset = layout
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    y.explicit_start = explicit_start
    return y


@dataclass
class YamlText:
    """A parsed file, ready to edit and write back in the layout it came in."""

    data: Any
    yaml: YAML
    bom: bool = False
    crlf: bool = False
    exact: bool = True  # writing it back unchanged gives the same bytes


def _dump(y: YAML, data: Any) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def parse(raw: bytes) -> YamlText:
    """Parse a record for editing; raises Refused when it does not parse."""
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused("is not UTF-8 text; fix it first (see `iopctl validate`)") from None
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    explicit = text.lstrip().startswith("---")
    best: YamlText | None = None
    best_diff = None
    for layout in _LAYOUTS:
        y = _yaml(layout, explicit)
        try:
            data = y.load(text)
        except YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise Refused(f"does not parse as YAML{where}; fix it first (see `iopctl validate`)") from None
        if not isinstance(data, CommentedMap):
            raise Refused("does not hold a mapping of fields; fix it first (see `iopctl validate`)")
        out = _dump(y, data)
        if out == text:
            return YamlText(data, y, bom, crlf, True)
        diff = sum(a != b for a, b in zip(out.splitlines(), text.splitlines())) + abs(
            out.count("\n") - text.count("\n"))
        if best_diff is None or diff < best_diff:
            best, best_diff = YamlText(data, y, bom, crlf, False), diff
    assert best is not None
    return best


def render(doc: YamlText) -> bytes:
    text = _dump(doc.yaml, doc.data)
    if doc.crlf:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if doc.bom else b"") + text.encode("utf-8")


def dump_new(data: CommentedMap) -> str:
    """Text of a new record in this project's layout."""
    return _dump(_yaml(), data)


def quoted(text: str) -> DoubleQuotedScalarString:
    """A string written in double quotes (times like "18:00", ids like "1.1.1")."""
    return DoubleQuotedScalarString(text)


def flow_seq(values: Iterable[Any]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def flow_map(pairs: Iterable[tuple[str, Any]]) -> CommentedMap:
    m = CommentedMap(pairs)
    m.fa.set_flow_style()
    return m


# -- comment-aware inserts -----------------------------------------------------
#
# ruamel keeps the comment lines that follow a node on that node's last
# scalar. Inserting after such a node would put the new entry below those
# lines, which usually introduce what comes next (`# Objective updates`).
# So the lines are moved onto the new entry: the old entry keeps its
# end-of-line comment, and the comment lines stay just above what follows.


def _is_block(node: Any) -> bool:
    return isinstance(node, (CommentedMap, CommentedSeq)) and len(node) > 0 and not node.fa.flow_style()


def _last_slot(node: Any) -> tuple[Any, Any, int] | None:
    """(container, key or index, position) where comments after `node` are kept."""
    if not _is_block(node):
        return None
    if isinstance(node, CommentedMap):
        key = list(node.keys())[-1]
        return _last_slot(node[key]) or (node, key, 2)
    index = len(node) - 1
    return _last_slot(node[index]) or (node, index, 0)


def _token(slot: tuple[Any, Any, int] | None) -> CommentToken | None:
    if slot is None:
        return None
    container, key, pos = slot
    entry = container.ca.items.get(key)
    if not entry or len(entry) <= pos:
        return None
    token = entry[pos]
    return token if isinstance(token, CommentToken) else None


def _set_token(slot: tuple[Any, Any, int], token: CommentToken) -> None:
    container, key, pos = slot
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    while len(entry) <= pos:
        entry.append(None)
    entry[pos] = token


def _move_trailing(src: tuple[Any, Any, int] | None, dst: tuple[Any, Any, int] | None) -> None:
    """Move the full comment lines after `src` (not its end-of-line comment) to after `dst`."""
    token = _token(src)
    if token is None or dst is None:
        return
    nl = token.value.find("\n")
    if nl < 0 or nl == len(token.value) - 1:
        return
    keep, rest = token.value[: nl + 1], token.value[nl + 1:]
    token.value = keep
    if keep == "\n":  # nothing left but the line end: drop the token
        container, key, pos = src
        container.ca.items[key][pos] = None
    _set_token(dst, CommentToken("\n" + rest, CommentMark(0), None))


def _value_slot(container: Any, key: Any) -> tuple[Any, Any, int]:
    """Where comments after container[key] live (its deepest last scalar, or the key itself)."""
    value = container[key]
    return _last_slot(value) or (container, key, 2 if isinstance(container, CommentedMap) else 0)


def insert_item(seq: CommentedSeq, index: int, item: Any, owner: CommentedMap | None = None,
                owner_key: str | None = None) -> None:
    """Insert item into a list, keeping the comment lines around it where they belong."""
    if not len(seq):
        if seq.fa.flow_style():
            seq.fa.set_block_style()  # `assessments: []` grows into a block list
        previous = (owner, owner_key, 2) if owner is not None else None
    elif index > 0:
        previous = _value_slot(seq, index - 1)
    else:
        previous = None
    seq.insert(index, item)
    _move_trailing(previous, _value_slot(seq, index))


def set_key(mapping: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    """Set mapping[key]: in place when it exists, else where `order` puts it."""
    if key in mapping:
        mapping[key] = value
        return
    rank = {k: i for i, k in enumerate(order)}
    position = len(mapping)
    if key in rank:
        before = [i for i, k in enumerate(mapping) if rank.get(k, len(order)) < rank[key]]
        position = before[-1] + 1 if before else 0
    keys = list(mapping)
    previous = _value_slot(mapping, keys[position - 1]) if position > 0 else None
    mapping.insert(position, key, value)
    _move_trailing(previous, _value_slot(mapping, key))


def list_under(mapping: CommentedMap, key: str, order: Sequence[str]) -> CommentedSeq:
    """mapping[key] as a list to append to, made (empty, block style) where order puts it."""
    value = mapping.get(key)
    if value is None:
        value = CommentedSeq()
        set_key(mapping, key, value, order)
    if not isinstance(value, CommentedSeq):
        raise Refused(f"`{key}` is not a list; fix it first (see `iopctl validate`)")
    return value


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def insert_dated(mapping: CommentedMap, key: str, entry: CommentedMap, order: Sequence[str]) -> None:
    """Add entry to the dated list mapping[key], after every entry dated on or before it."""
    seq = list_under(mapping, key, order)
    day = _as_date(entry["date"])
    index = len(seq)
    while index > 0:
        prior = seq[index - 1]
        prior_day = _as_date(prior.get("date")) if isinstance(prior, dict) else None
        if prior_day is None or day is None or prior_day <= day:
            break
        index -= 1
    insert_item(seq, index, entry, mapping, key)


def _find(seq: Any, match: Callable[[Any], bool]) -> int | None:
    if not isinstance(seq, list):
        return None
    for i, item in enumerate(seq):
        if isinstance(item, dict) and match(item):
            return i
    return None


def _replace_item(seq: CommentedSeq, index: int, entry: CommentedMap) -> None:
    """Replace a list item, keeping the comment lines that followed it (not its end-of-line comment)."""
    token = _token(_value_slot(seq, index))
    seq[index] = entry
    if token is not None:
        nl = token.value.find("\n")
        rest = token.value[nl + 1:] if nl >= 0 else ""
        if rest:
            _set_token(_value_slot(seq, index), CommentToken("\n" + rest, CommentMark(0), None))


# -- what a command writes ---------------------------------------------------


Edit = Callable[[CommentedMap], str]  # changes the tree in place, returns a one-line summary


@dataclass
class Write:
    """One file to write: a whole new text, or an edit of the existing file."""

    rel: str
    text: str | None = None  # a new file (refused if it exists, unless force)
    edit: Edit | None = None  # an edit of the existing file
    start_text: str | None = None  # for an edit: what to start from when the file does not exist
    summary: str = ""  # for a new file: what it holds


@dataclass
class Written:
    rel: str
    action: str  # created | replaced | updated
    summary: str

    def as_dict(self) -> dict:
        return {"file": self.rel, "action": self.action, "summary": self.summary}


@dataclass
class Outcome:
    written: list[Written]
    warnings: list[Finding] = field(default_factory=list)  # warnings the change brought, in any file
    notes: list[str] = field(default_factory=list)
    commit: str | None = None

    @property
    def files(self) -> list[str]:
        return [w.rel for w in self.written]


@dataclass
class _Staged:
    write: Write
    path: Path
    data: bytes
    original: bytes | None  # the bytes read, for an edit or a replacement
    action: str
    summary: str
    tmp: Path | None = None


def _prepare(root: Path, w: Write, force: bool, notes: list[str]) -> _Staged:
    path = root / w.rel
    exists = path.exists()
    if w.text is not None:
        if exists and not force:
            raise Refused(f"{w.rel} already exists; pass --force to replace it")
        original = path.read_bytes() if exists else None
        return _Staged(w, path, w.text.encode("utf-8"), original, "replaced" if exists else "created", w.summary)
    assert w.edit is not None
    if exists:
        original = path.read_bytes()
        source, action = original, "updated"
    elif w.start_text is not None:
        original, source, action = None, w.start_text.encode("utf-8"), "created"
    else:
        raise Refused(f"{w.rel} does not exist")
    try:
        doc = parse(source)
    except Refused as e:
        raise Refused(f"{w.rel} {e.message}") from None
    summary = w.edit(doc.data)
    if not doc.exact:
        notes.append(f"{w.rel}: its layout could not be kept exactly; check `git diff` for reformatted lines")
    return _Staged(w, path, render(doc), original, action, summary)


_LOAD_CODES = ("IOP001", "IOP002", "IOP003")  # the file did not load as a record of its kind


def _missing_folders(path: Path, root: Path) -> list[Path]:
    out = []
    folder = path.parent
    while folder != root and not folder.exists():
        out.append(folder)
        folder = folder.parent
    return out  # deepest first


def validate_staged(root: Path, staged: dict[str, Path], as_of: dt.date,
                    loaded: records_mod.Loaded | None = None) -> tuple[list[Finding], list[Finding]]:
    """Findings (errors that block the write, warnings the change brings) for the repository
    as it would be with each staged temporary file in place of its record."""
    from iopctl.checks import Context, run_checks

    loaded = loaded or records_mod.load(root)
    before = loaded.findings + records_mod.semantic_findings(loaded, as_of)
    docs: dict[str, Document] = {d.rel: d for d in loaded.documents}
    for rel, tmp in staged.items():
        docs[rel] = records_mod.load_document(root, repo.RecordFile(tmp, rel, repo.kind_of(rel)))
    documents = [docs[rel] for rel in sorted(docs)]
    after = [f for d in documents for f in d.findings]
    if repo.PROGRAM_FILE not in docs:
        after.append(Finding(repo.PROGRAM_FILE, 1, 1, "IOP003", ERROR, "program.yaml is missing"))
    after += run_checks(records_mod.build_records(root, documents), Context(as_of=as_of))

    old_errors = {f for f in before if f.severity == ERROR}
    watched = set(staged) | {repo.PROGRAM_FILE}
    blocking = sorted({f for f in after if f.severity == ERROR and (f.file in watched or f not in old_errors)})
    seen = Counter((f.file, f.code, f.message) for f in before if f.severity != ERROR)
    new_warnings = []
    for f in sorted(set(after)):
        if f.severity == ERROR:
            continue
        key = (f.file, f.code, f.message)
        if seen[key]:
            seen[key] -= 1
        else:
            new_warnings.append(f)
    return blocking, new_warnings


def write_records(root: Path, writes: Sequence[Write], as_of: dt.date, force: bool = False,
                  loaded: records_mod.Loaded | None = None) -> Outcome:
    """Validate and write files atomically; raises Refused (nothing written) when they would not validate."""
    paths = [root / w.rel for w in writes]
    notes: list[str] = []
    with atomic.locked(paths):
        staged = [_prepare(root, w, force, notes) for w in writes]
        made: list[Path] = []
        try:
            for s in staged:
                made += [f for f in reversed(_missing_folders(s.path, root)) if f not in made]
                s.tmp = atomic.write_temp(s.path, s.data)
            loaded = loaded or records_mod.load(root)
            # An edit needs a record that loads: a file with a parse or schema error is fixed by hand
            # first, not patched over by a command (a --force replacement of the whole file may fix it).
            edited = {s.write.rel for s in staged if s.write.edit is not None and s.original is not None}
            unloadable = sorted(f for f in loaded.findings if f.file in edited and f.code in _LOAD_CODES)
            if unloadable:
                names = ", ".join(sorted({f.file for f in unloadable}))
                raise Refused(f"{names} has errors; fix them first (see `iopctl validate`)", unloadable)
            blocking, warnings = validate_staged(root, {s.write.rel: s.tmp for s in staged}, as_of, loaded)
            if blocking:
                names = ", ".join(s.write.rel for s in staged)
                raise Refused(f"refused to write {names}: the result would not validate", blocking)
            installed: list[_Staged] = []
            try:
                for s in staged:
                    atomic.install(s.tmp, s.path, overwrite=force, expected=s.original)
                    s.tmp = None
                    installed.append(s)
            except atomic.FileExists as e:
                _roll_back(installed)
                raise Refused(f"{_rel(root, e.path)} already exists (written by someone else just now); "
                              "nothing was written") from None
            except atomic.ChangedMeanwhile as e:
                _roll_back(installed)
                raise Refused(f"{_rel(root, e.path)} changed while iopctl was editing it (saved in an "
                              "editor?); nothing was written: run the command again") from None
            except BaseException:
                _roll_back(installed)
                raise
        except BaseException:
            for s in staged:
                if s.tmp is not None:
                    atomic.discard(s.tmp)
            for folder in reversed(made):  # `made` lists parents first, so remove from the end
                try:
                    folder.rmdir()
                except OSError:
                    pass
            raise
    return Outcome([Written(s.write.rel, s.action, s.summary) for s in staged], warnings, notes)


def _roll_back(installed: list[_Staged]) -> None:
    """Undo the files of this batch already in place, so that a batch is all or nothing."""
    for s in reversed(installed):
        try:
            if s.original is None:
                s.path.unlink()
            else:
                atomic.install(atomic.write_temp(s.path, s.original), s.path, overwrite=True)
        except OSError:
            pass


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# -- the edits -----------------------------------------------------------------


def session_file(day: dt.date, session_key: str) -> str:
    """sessions/YYYY-MM/<date>-<track>-<session>.yaml (or <participant>-<extra session>)."""
    return f"sessions/{day:%Y-%m}/{day.isoformat()}-{session_key.replace('/', '-')}.yaml"


@dataclass
class Mark:
    """One participant's attendance as given on the command line."""

    status: str
    minutes: int | None = None


def attendance_text(day: dt.date, session_key: str, marks: dict[str, Mark] | None, facilitator: str | None = None,
                    topic: str | None = None, start: str | None = None, minutes: int | None = None) -> str:
    """A session file; marks None means the session was cancelled."""
    data = CommentedMap()
    data["schema_version"] = 1
    data["date"] = day
    data["session"] = session_key
    data["status"] = "cancelled" if marks is None else "held"
    if start is not None:
        data["start"] = quoted(start)
    if minutes is not None:
        data["minutes"] = minutes
    if facilitator:
        data["facilitator"] = facilitator
    if topic:
        data["topic"] = topic
    if marks is not None:
        attendance = CommentedMap()
        for pid in sorted(marks):
            mark = marks[pid]
            if mark.minutes is None:
                attendance[pid] = mark.status
            else:
                attendance[pid] = flow_map([("status", mark.status), ("minutes", mark.minutes)])
        data["attendance"] = attendance
    return dump_new(data)


def unscheduled_reason(records: Records, session_key: str, day: dt.date) -> str | None:
    """Why no `session_key` session takes place on `day` (closed, wrong weekday or week), else None."""
    definition = records.session_def(session_key)
    if definition is None:
        return f"there is no session {session_key}"
    found = [occ for occ, _ in schedule.program_occurrences(records, day, day, include_closed=True)
             if occ.key == session_key]
    if found:
        return f"the program is closed on {day.isoformat()} ({found[0].closed})" if found[0].closed else None
    weekday = day.strftime("%A")
    if day.weekday() not in definition.weekdays:
        return (f"{session_key} does not meet on a {weekday} ({day.isoformat()}); "
                f"it meets on {', '.join(definition.days)}")
    if definition.extra:
        return f"{session_key} is not on {definition.owner}'s plan on {day.isoformat()}"
    return (f"{session_key} does not meet in the week of {day.isoformat()} "
            f"(it meets every {definition.every_weeks} weeks)")


def roster_gaps(roster: Sequence[str], marks: dict[str, Mark]) -> tuple[list[str], list[str]]:
    """(on the roster but not named, named but not on the roster), each sorted."""
    return sorted(set(roster) - set(marks)), sorted(set(marks) - set(roster))


def attendance_summary(marks: dict[str, Mark] | None) -> str:
    if marks is None:
        return "cancelled"
    counts = Counter(m.status for m in marks.values())
    parts = [f"{counts[s]} {s}" for s in ATTENDANCE_STATUSES if counts[s]]
    return "held: " + (", ".join(parts) if parts else "no attendance recorded")


def add_assessment(day: dt.date, instrument: str, score: int | float, items: list[int] | None,
                   note: str | None, force: bool) -> Edit:
    def edit(data: CommentedMap) -> str:
        entry = CommentedMap([("date", day), ("instrument", instrument), ("score", score)])
        if items is not None:
            entry["items"] = flow_seq(items)
        if note:
            entry["note"] = note
        seq = data.get("assessments")
        same = _find(seq, lambda a: _as_date(a.get("date")) == day and a.get("instrument") == instrument)
        what = f"{instrument} {_number(score)} on {day.isoformat()}"
        if same is not None:
            if not force:
                raise Refused(f"a {instrument} on {day.isoformat()} is already recorded; pass --force to replace it")
            _replace_item(seq, same, entry)
            return f"replaced the {instrument} of {day.isoformat()}: {what}"
        insert_dated(data, "assessments", entry, KEY_ORDER["progress"])
        return f"added assessment {what}"

    return edit


def _number(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def add_objective_update(day: dt.date, objective: str, status: str, note: str | None, force: bool) -> Edit:
    def edit(data: CommentedMap) -> str:
        entry = CommentedMap([("date", day), ("objective", quoted(objective)), ("status", status)])
        if note:
            entry["note"] = note
        seq = data.get("objective_updates")
        same = _find(seq, lambda u: _as_date(u.get("date")) == day and str(u.get("objective")) == objective)
        what = f"objective {objective} {status} on {day.isoformat()}"
        if same is not None:
            if not force:
                raise Refused(f"objective {objective} already has an update on {day.isoformat()}; "
                              "pass --force to replace it")
            _replace_item(seq, same, entry)
            return f"replaced the update of {day.isoformat()}: {what}"
        insert_dated(data, "objective_updates", entry, KEY_ORDER["progress"])
        return f"added {what}"

    return edit


def add_review(day: dt.date, by: str, summary: str | None, force: bool) -> Edit:
    def edit(data: CommentedMap) -> str:
        entry = CommentedMap([("date", day), ("by", by)])
        if summary:
            entry["summary"] = summary
        seq = data.get("reviews")
        same = _find(seq, lambda r: _as_date(r.get("date")) == day)
        if same is not None:
            if not force:
                raise Refused(f"a plan review on {day.isoformat()} is already recorded; pass --force to replace it")
            _replace_item(seq, same, entry)
            return f"replaced the plan review of {day.isoformat()} (by {by})"
        insert_dated(data, "reviews", entry, KEY_ORDER["plan"])
        return f"added plan review on {day.isoformat()} by {by}"

    return edit


def discharge_status(reason: str) -> str:
    """A participant who withdrew is `withdrawn`; every other way out is `discharged`."""
    return "withdrawn" if reason == "withdrew" else "discharged"


def set_discharge(day: dt.date, reason: str, force: bool) -> Edit:
    def edit(data: CommentedMap) -> str:
        if data.get("discharged") is not None and not force:
            raise Refused(f"already {data.get('status', 'discharged')} on {data['discharged']}; "
                          "pass --force to change it")
        status = discharge_status(reason)
        order = KEY_ORDER["participant"]
        set_key(data, "status", status, order)
        set_key(data, "discharged", day, order)
        set_key(data, "discharge_reason", reason, order)
        return f"{status} on {day.isoformat()} ({reason})"

    return edit


# -- git -----------------------------------------------------------------------


class GitProblem(Exception):
    """git cannot do what was asked; the message is for the user (exit 2)."""


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat")
    try:
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise GitProblem("git is not installed (or not on PATH)") from None


def git_toplevel(folder: Path) -> Path | None:
    """The top of the git work tree holding folder, None when it is in none."""
    if not folder.is_dir():
        return None
    result = _git(["rev-parse", "--show-toplevel"], folder)
    if result.returncode != 0:
        return None
    return Path(result.stdout.strip())


def require_git(root: Path) -> Path:
    top = git_toplevel(root)
    if top is None:
        raise GitProblem(f"--commit needs a git repository, and {root} is not in one "
                         "(run `git init` there, or leave out --commit)")
    return top


def git_init(folder: Path) -> None:
    """`git init` in folder (which must exist)."""
    result = _git(["init", "--quiet"], folder)
    if result.returncode != 0:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise GitProblem(f"git init failed: {said[-1] if said else 'exit ' + str(result.returncode)}")


def git_commit(root: Path, rels: Sequence[str], message: str) -> str:
    """Commit exactly these files (records-root paths) with message; return the new commit id.

    Other changes, staged or not, stay out of the commit (`git commit --only`).
    """
    top = require_git(root)
    paths = [str((root / rel).resolve()) for rel in rels]
    added = _git(["add", "--", *paths], top)
    if added.returncode != 0:
        raise GitProblem(f"git add failed: {added.stderr.strip() or added.stdout.strip()}")
    done = _git(["commit", "--quiet", "--only", "-m", message, "--", *paths], top)
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise GitProblem(f"git commit failed: {said[-1] if said else 'exit ' + str(done.returncode)}")
    head = _git(["rev-parse", "HEAD"], top)
    return head.stdout.strip()


__all__ = [
    "Refused", "Write", "Written", "Outcome", "Mark", "write_records", "validate_staged", "parse", "render",
    "dump_new", "quoted", "flow_seq", "flow_map", "insert_item", "set_key", "insert_dated", "session_file",
    "attendance_text", "attendance_summary", "unscheduled_reason", "roster_gaps", "add_assessment",
    "add_objective_update", "add_review",
    "set_discharge", "discharge_status", "git_commit", "git_init", "git_toplevel", "require_git", "GitProblem",
    "KEY_ORDER", "ATTENDANCE_STATUSES", "OBJECTIVE_STATUSES", "DISCHARGE_REASONS",
]
