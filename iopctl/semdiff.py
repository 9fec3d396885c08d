"""Semantic diff of two versions of a record file, in clinical terms.

Each version is parsed with the YAML 1.2 loader and built into the one
model (model.build_*), so a diff speaks of objectives, reviews and
attendance rather than YAML lines, and a change in comments or layout is
no change at all.

Minimum necessary (45 CFR 164.502(b)): identifying and sensitive fields
(name, date of birth, diagnoses, medications, safety plan, support
contacts...) are reported as "changed" without their values, so a diff can
be posted on a pull request without copying them there.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import yaml

from iopctl import model, repo, schemas, yaml12
from iopctl.loader import Document

FLAG_REASON = "changes a delivered-care record"


# -- changes -------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A JSON-ready copy: dates ISO strings, times HH:MM, tuples lists."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean(text: str) -> str:
    """One line of plain text: each run of line breaks or control characters (a
    terminal escape sequence in a record) becomes one space."""
    return _CONTROL.sub(" ", text)


def show(value: Any) -> str:
    """A value as a summary prints it."""
    value = plain(value)
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {show(v)}" for k, v in value.items())
    return clean(str(value))


@dataclass(frozen=True)
class Change:
    """One clinical change: `item action detail`, or `item field old -> new`."""

    item: str  # "objective 1.1.2", "review", "attendance P0002"
    action: str  # added | removed | changed | admitted | discharged | rescheduled | recorded | ...
    detail: str | None = None
    field: str | None = None  # for action "changed": the field, as the record format names it
    old: Any = None
    new: Any = None
    text: bool = False  # free text: one-line summaries say "changed", long forms show both
    private: bool = False  # value withheld everywhere (minimum necessary)
    participant: str | None = None  # the one person this change is about, in a shared file
    flagged: bool = False  # changes a delivered-care record after the fact

    @property
    def summary(self) -> str:
        if self.action == "changed" and self.field:
            label = f"{self.item} {self.field.replace('_', ' ')}"
            if self.text or self.private:
                return clean(f"{label} changed")
            return clean(f"{label} {show(self.old)} -> {show(self.new)}")
        return clean(" ".join(p for p in (self.item, self.action, self.detail) if p))

    @property
    def line(self) -> str:
        """The summary, with the flag spelled out when there is one."""
        return f"{self.summary} [FLAGGED: {FLAG_REASON}]" if self.flagged else self.summary

    def long_form(self) -> list[tuple[str, str]]:
        """("was", old) and ("now", new) for free-text changes; nothing otherwise."""
        if self.action == "changed" and self.text and not self.private:
            return [("was", show(self.old)), ("now", show(self.new))]
        return []

    def as_dict(self) -> dict:
        return {
            "item": self.item, "action": self.action, "detail": self.detail, "field": self.field,
            "old": None if self.private else plain(self.old), "new": None if self.private else plain(self.new),
            "participant": self.participant, "flagged": self.flagged, "summary": self.summary,
        }


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


# A field spec: (attribute, name in the record format, mode); mode is
# "value" (shown), "text" (free text) or "private" (withheld).
Spec = tuple[str, str, str]


def _fields(item: str, old: Any, new: Any, specs: Sequence[Spec], **kw: Any) -> list[Change]:
    out = []
    for attr, name, mode in specs:
        a, b = plain(_get(old, attr)), plain(_get(new, attr))
        if a != b:
            private = mode == "private"
            out.append(Change(item, "changed", field=name, old=None if private else a, new=None if private else b,
                              text=mode == "text", private=private, **kw))
    return out


def _keyed(old: Iterable[Any], new: Iterable[Any], key: Callable[[Any], Any]) -> list[tuple[Any, Any]]:
    """Pairs (old item or None, new item or None) matched by key, in the new order,
    then the removed ones in the old order. Repeated keys match in order."""

    def numbered(items: Iterable[Any]) -> dict:
        seen: dict = {}
        out = {}
        for it in items:
            k = key(it)
            seen[k] = seen.get(k, 0) + 1
            out[(k, seen[k])] = it
        return out

    a, b = numbered(old), numbered(new)
    pairs = [(a.get(k), v) for k, v in b.items()]
    pairs += [(v, None) for k, v in a.items() if k not in b]
    return pairs


def _items(prefix: str, old: Iterable[Any], new: Iterable[Any], specs: list, *,
           key: Callable[[Any], Any] = lambda x: x.id, label: Callable[[Any], str] = lambda x: x.id,
           added: Callable[[Any], str | None] = lambda x: None) -> list[Change]:
    """Items matched by key: `<prefix> <label> added (detail)`, `... removed`, or field by field."""
    out: list[Change] = []
    for a, b in _keyed(old, new, key):
        item = f"{prefix} {label(b or a)}"
        if a is None:
            out.append(Change(item, "added", added(b)))
        elif b is None:
            out.append(Change(item, "removed"))
        else:
            out += _fields(item, a, b, specs)
    return out


# -- versions ------------------------------------------------------------------

BUILD: dict[str, Callable[[Document], Any]] = {"program": model.build_program, **model.BUILDERS}


@dataclass
class Version:
    """One version of a record file: its model object, or why there is none."""

    rel: str
    kind: str | None
    exists: bool
    obj: Any = None
    problem: str | None = None  # "does not parse as YAML", "does not pass its schema"


def load_version(root: Path, rel: str, raw: bytes | None) -> Version:
    """Parse and build one version of a file (raw None: the file does not exist)."""
    kind = repo.kind_of(rel)
    if raw is None:
        return Version(rel, kind, False)
    if kind is None:
        return Version(rel, None, True, problem="is not in a record folder")
    try:
        data = yaml12.load(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return Version(rel, kind, True, problem="does not parse as YAML")
    if not schemas.is_valid(kind, data):
        return Version(rel, kind, True, problem="does not pass its schema")
    try:
        obj = BUILD[kind](Document(path=Path(root) / rel, rel=rel, kind=kind, data=data))
    except (KeyError, TypeError, ValueError, AttributeError):  # schema-valid but not buildable
        return Version(rel, kind, True, problem="cannot be read as a record")
    return Version(rel, kind, True, obj)


# -- file diffs ----------------------------------------------------------------


@dataclass
class FileDiff:
    """What changed in one record file between two versions."""

    file: str
    kind: str | None
    status: str  # added | removed | modified | moved
    subject: str  # participant id, "<session> <date>", or "program"
    changes: list[Change]
    participants: tuple[str, ...] = ()  # the people the file is about (sessions: attendance, both versions)
    previous_file: str | None = None  # for a moved (rescheduled) session
    owner: str | None = None  # a session's owner: a track, or the participant whose own session it is

    @property
    def flagged(self) -> int:
        return sum(c.flagged for c in self.changes)

    def summary(self) -> str:
        """One line: every change, `; `-separated."""
        if not self.changes:
            return "no change in content (comments or layout only)"
        return "; ".join(c.line for c in self.changes)

    def about(self, ids: Iterable[str]) -> "FileDiff | None":
        """This diff cut down to the given participants (None when it is not about them).

        A shared file (a session) keeps its own changes and the given
        participants' attendance, not other people's.
        """
        ids = set(ids)
        if not ids & {*self.participants, self.owner}:
            return None
        kept = [c for c in self.changes if c.participant is None or c.participant in ids]
        if self.changes and not kept:
            return None  # only other people's attendance changed
        return replace(self, changes=kept, participants=tuple(p for p in self.participants if p in ids))

    def as_dict(self) -> dict:
        return {
            "file": self.file, "previous_file": self.previous_file, "kind": self.kind, "status": self.status,
            "subject": self.subject, "participants": list(self.participants),
            "changes": [c.as_dict() for c in self.changes], "summary": self.summary(),
        }


def _subject(v: Version) -> str:
    obj = v.obj
    if v.kind == "program":
        return "program"
    if isinstance(obj, model.Participant):
        return obj.id
    if isinstance(obj, (model.Plan, model.Progress)):
        return obj.participant
    if isinstance(obj, model.SessionLog):
        return f"{obj.session} {obj.date.isoformat()}"
    stem = v.rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem if v.kind in ("participant", "plan", "progress") else v.rel


def _people(*versions: Version) -> tuple[str, ...]:
    ids: set[str] = set()
    for v in versions:
        if isinstance(v.obj, model.SessionLog):
            ids.update(v.obj.attendance)
        elif v.kind in ("participant", "plan", "progress") and v.exists:
            ids.add(_subject(v))
    return tuple(sorted(ids))


def _owner(*versions: Version) -> str | None:
    return next((v.obj.owner for v in versions if isinstance(v.obj, model.SessionLog)), None)


def diff_versions(old: Version, new: Version) -> FileDiff:
    """The clinical changes from old to new (versions of the same file)."""
    status = "added" if not old.exists else "removed" if not new.exists else "modified"
    main = new if new.exists else old
    kind = main.kind
    changes: list[Change] = []
    for side, v in (("old", old), ("new", new)):
        if v.exists and v.problem:
            changes.append(Change(f"{side} version", v.problem, "(no clinical comparison; see iopctl validate)"))
    if not changes and kind in DIFFERS:
        changes = DIFFERS[kind](old.obj, new.obj)
    subject = _subject(new) if new.obj is not None else _subject(old)
    return FileDiff(main.rel, kind, status, subject, changes, _people(old, new), owner=_owner(new, old))


def diff_files(versions: Iterable[tuple[Version, Version]]) -> list[FileDiff]:
    """Diffs of many files (old, new) changed together, sorted by file.

    A session file removed and another added for the same session are one
    session rescheduled (moved to the file of its new date).
    """
    pairs = list(versions)
    gone = [o for o, n in pairs if o.exists and not n.exists and isinstance(o.obj, model.SessionLog)]
    came = [n for o, n in pairs if n.exists and not o.exists and isinstance(n.obj, model.SessionLog)]
    moves: list[tuple[Version, Version]] = []
    for g in sorted(gone, key=lambda v: v.rel):
        same = [c for c in came if c.obj.session == g.obj.session]
        if same:
            c = min(same, key=lambda v: (abs((v.obj.date - g.obj.date).days), v.rel))
            came.remove(c)
            moves.append((g, c))
    moved = {v.rel for m in moves for v in m}
    out = [diff_versions(o, n) for o, n in pairs if (n if n.exists else o).rel not in moved]
    for g, c in moves:
        d = diff_versions(Version(c.rel, c.kind, True, g.obj), c)
        out.append(replace(d, status="moved", previous_file=g.rel, participants=_people(g, c)))
    return sorted(out, key=lambda d: d.file)


# -- participant ---------------------------------------------------------------

_PARTICIPANT_FIELDS: list[Spec] = [
    ("status", "status", "value"), ("admitted", "admitted", "value"), ("discharged", "discharged", "value"),
    ("discharge_reason", "discharge_reason", "value"), ("track", "track", "value"),
    ("primary_counselor", "primary_counselor", "value"), ("language", "language", "value"),
    ("pronouns", "pronouns", "value"),
    ("preferred_name", "preferred_name", "private"), ("date_of_birth", "date_of_birth", "private"),
    ("diagnoses", "diagnoses", "private"), ("strengths", "strengths", "private"), ("needs", "needs", "private"),
    ("cultural_considerations", "cultural_considerations", "private"), ("safety_plan", "safety_plan", "private"),
    ("medications", "medications", "private"),
]
_SUPPORT_FIELDS: list[Spec] = [
    ("relationship", "relationship", "value"), ("involvement", "involvement", "value"),
    ("consent_signed", "consent signed", "value"), ("consent_expires", "consent expires", "value"),
    ("name", "name", "private"), ("phone", "phone", "private"),
]


def _discharge_detail(p: model.Participant) -> str:
    return p.discharged.isoformat() + (f" ({p.discharge_reason})" if p.discharge_reason else "")


def diff_participant(old: model.Participant | None, new: model.Participant | None) -> list[Change]:
    if new is None:
        return [Change("participant file", "removed")]
    out: list[Change] = []
    skip: set[str] = set()
    if new.admitted and (old is None or old.admitted is None):
        out.append(Change("participant", "admitted", f"{new.admitted.isoformat()} to {new.track}"))
        skip |= {"admitted", "status"}
    elif old is None:
        out.append(Change("participant", "added", f"({new.status}, track {new.track})"))
    if new.discharged and (old is None or old.discharged is None):
        action = "withdrawn" if new.status == "withdrawn" else "discharged"
        out.append(Change("participant", action, _discharge_detail(new)))
        skip |= {"discharged", "status", "discharge_reason"}
    if old is None:
        return out
    out += _fields("participant", old, new, [s for s in _PARTICIPANT_FIELDS if s[0] not in skip])
    out += _items("support", old.supports, new.supports, _SUPPORT_FIELDS, added=lambda b: f"({b.relationship})")
    return out


# -- plan ----------------------------------------------------------------------

_OBJECTIVE_FIELDS: list[Spec] = [
    ("statement", "statement", "text"), ("measure", "measure", "text"), ("target_date", "target_date", "value"),
]
_INTERVENTION_FIELDS: list[Spec] = [
    ("modality", "modality", "value"), ("description", "description", "text"),
    ("frequency", "frequency", "value"), ("staff", "staff", "value"),
]
_SESSION_FIELDS: list[Spec] = [
    ("title", "title", "text"), ("kind", "kind", "value"), ("modality", "modality", "value"),
    ("days", "days", "value"), ("start", "start", "value"), ("minutes", "minutes", "value"),
    ("every_weeks", "every_weeks", "value"), ("starts", "starts", "value"), ("location", "location", "value"),
    ("facilitator", "facilitator", "value"),
]
_FOLLOW_UP_FIELDS: list[Spec] = [
    ("time", "time", "value"), ("kind", "kind", "value"), ("phone", "phone", "value"), ("address", "address", "value"),
]
_AFTERCARE_LISTS = ("gains", "support_needs", "medications", "if_symptoms_return")


def _session_when(s: model.Session) -> str:
    every = f", every {s.every_weeks} weeks" if s.every_weeks != 1 else ""
    return f"({', '.join(s.days)} {s.start.strftime('%H:%M')}, {s.minutes} min{every})"


def _timetable(prefix: str, old: Sequence[model.Session], new: Sequence[model.Session]) -> list[Change]:
    return _items(prefix, old, new, _SESSION_FIELDS, added=_session_when)


def _interventions(gid: str, old: list[dict], new: list[dict]) -> list[Change]:
    """Interventions have no id: same description is the same intervention; the
    rest pair up by position (an edited one), and what is left was added or removed."""
    a_rest = list(old)
    pairs: list[tuple[dict | None, dict | None]] = []
    unmatched_new = []
    for b in new:
        match = next((a for a in a_rest if a.get("description") == b.get("description")), None)
        if match is not None:
            a_rest.remove(match)
            pairs.append((match, b))
        else:
            unmatched_new.append(b)
    for i, b in enumerate(unmatched_new):
        pairs.append((a_rest[i] if i < len(a_rest) else None, b))
    pairs += [(a, None) for a in a_rest[len(unmatched_new):]]
    out: list[Change] = []
    for a, b in pairs:
        item = f'goal {gid} intervention "{(b or a).get("description")}"'
        if a is None:
            out.append(Change(item, "added", f"({b.get('frequency')})"))
        elif b is None:
            out.append(Change(item, "removed"))
        else:
            if a.get("description") != b.get("description"):
                item = f'goal {gid} intervention "{a.get("description")}"'
            out += _fields(item, a, b, _INTERVENTION_FIELDS)
    return out


def _string_list(item: str, old: Sequence[Any], new: Sequence[Any]) -> list[Change]:
    """Items added to and removed from a list of texts (or ids)."""
    a, b = [show(x) for x in old], [show(x) for x in new]
    out = [Change(item, "added", f'"{x}"') for x in b if x not in a]
    out += [Change(item, "removed", f'"{x}"') for x in a if x not in b]
    return out


def _aftercare(old: model.Aftercare | None, new: model.Aftercare | None) -> list[Change]:
    if old is None and new is None:
        return []
    if new is None:
        return [Change("aftercare plan", "removed")]
    out: list[Change] = []
    if old is None:
        out.append(Change("aftercare plan", "added"))
        old = model.Aftercare()
    out += _fields("aftercare", old, new, [("discharge_target", "discharge_target", "value")])
    out += _fields("aftercare step-down", old.step_down, new.step_down,
                   [("level_of_care", "level_of_care", "value"), ("provider", "provider", "value")])
    out += _items("follow-up", old.follow_ups, new.follow_ups, _FOLLOW_UP_FIELDS, key=lambda f: (f.date, f.with_),
                  label=lambda f: f"{f.date.isoformat()} with {f.with_}")
    out += _string_list("aftercare resource", old.resources, new.resources)
    for name in _AFTERCARE_LISTS:
        out += _string_list(f"aftercare {name.replace('_', ' ')}", getattr(old, name), getattr(new, name))
    keys = list(dict.fromkeys([*new.relapse_prevention, *old.relapse_prevention]))
    for k in keys:
        out += _string_list(f"relapse prevention {k.replace('_', ' ')}", old.relapse_prevention.get(k) or [],
                            new.relapse_prevention.get(k) or [])
    return out


def _plan_counts(plan: model.Plan) -> str:
    goals = [g for p in plan.problems for g in p.goals]
    n = lambda count, word: f"{count} {word}{'' if count == 1 else 's'}"  # noqa: E731
    return (f"(start {plan.start.isoformat()}; {n(len(plan.problems), 'problem')}, {n(len(goals), 'goal')}, "
            f"{n(len(plan.objectives()), 'objective')})")


def diff_plan(old: model.Plan | None, new: model.Plan | None) -> list[Change]:
    if new is None:
        return [Change("plan", "removed")]
    if old is None:
        return [Change("plan", "added", _plan_counts(new))]
    out = _fields("plan", old, new, [("start", "start", "value"), ("weeks", "weeks", "value"),
                                     ("track", "track", "value")])
    if old.signed_participant != new.signed_participant:
        if old.signed_participant is None:
            out.append(Change("plan", "signed by participant", new.signed_participant.isoformat()))
        else:
            out += _fields("plan", old, new, [("signed_participant", "signed by participant", "value")])
    for a, b in _keyed(old.signed_staff, new.signed_staff, lambda s: s[0]):
        if a is None:
            out.append(Change("plan", "signed by staff", f"{b[0]} {b[1].isoformat()}"))
        elif b is None:
            out.append(Change(f"staff signature {a[0]}", "removed"))
        elif a[1] != b[1]:
            out.append(Change(f"staff signature {a[0]}", "changed", field="date", old=plain(a[1]), new=plain(b[1])))
    # The treatment plan proper: problems, goals, objectives, interventions, by id.
    out += _items("problem", old.problems, new.problems,
                  [("statement", "statement", "text"), ("asam_dimension", "asam_dimension", "value")])
    old_goals = [g for p in old.problems for g in p.goals]
    new_goals = [g for p in new.problems for g in p.goals]
    out += _items("goal", old_goals, new_goals, [("statement", "statement", "text")])
    out += _items("objective", old.objectives(), new.objectives(), _OBJECTIVE_FIELDS,
                  added=lambda b: f"(target {b.target_date.isoformat()})")
    for a, b in _keyed(old_goals, new_goals, lambda g: g.id):
        if a is not None and b is not None:
            out += _interventions(b.id, a.interventions, b.interventions)
    for a, b in _keyed(old.reviews, new.reviews, lambda r: (r.date, r.by)):
        if a is None:
            out.append(Change("review", "added", b.date.isoformat()))
        elif b is None:
            out.append(Change("review", "removed", a.date.isoformat()))
        else:
            out += _fields(f"review {a.date.isoformat()}", a, b, [("summary", "summary", "text")])
    out += _timetable("extra session", old.extra_sessions, new.extra_sessions)
    out += [Change(f"track session {s}", "skipped") for s in new.skip_sessions if s not in old.skip_sessions]
    out += [Change(f"track session {s}", "no longer skipped") for s in old.skip_sessions
            if s not in new.skip_sessions]
    for a, b in _keyed(old.adjustments, new.adjustments, lambda x: (str(x.get("date")), x.get("change"))):
        if a is None:
            out.append(Change("adjustment", "added", f"{plain(b.get('date'))}: {b.get('change')}"))
        elif b is None:
            out.append(Change("adjustment", "removed", f"{plain(a.get('date'))}: {a.get('change')}"))
        else:
            out += _fields(f"adjustment {plain(a.get('date'))}", a, b,
                           [("by", "by", "value"), ("reason", "reason", "text")])
    return out + _aftercare(old.aftercare, new.aftercare)


# -- progress ------------------------------------------------------------------


def _assessment(a: model.Assessment) -> str:
    return f"{a.instrument} {a.date.isoformat()}"


def _progress_counts(p: model.Progress) -> str:
    parts = [(len(p.assessments), "assessment"), (len(p.objective_updates), "objective update"),
             (len(p.milestones), "milestone"), (len(p.screens), "screen")]
    listed = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in parts if n]
    return f"({', '.join(listed) or 'empty'})"


def diff_progress(old: model.Progress | None, new: model.Progress | None) -> list[Change]:
    if new is None:
        return [Change("progress file", "removed")]
    if old is None:
        return [Change("progress file", "added", _progress_counts(new))]
    out: list[Change] = []
    for a, b in _keyed(old.assessments, new.assessments, lambda x: (x.date, x.instrument)):
        if a is None:
            out.append(Change("assessment", "added", f"{_assessment(b)} score {show(b.score)}"))
        elif b is None:
            out.append(Change("assessment", "removed", f"{_assessment(a)} (score {show(a.score)})"))
        else:
            out += _fields(f"assessment {_assessment(a)}", a, b, [("score", "score", "value"),
                                                                  ("items", "items", "value"),
                                                                  ("note", "note", "text")])
    for a, b in _keyed(old.objective_updates, new.objective_updates, lambda u: (u.date, u.objective)):
        u = b or a
        if a is None:
            out.append(Change(f"objective {u.objective} update", "added", f"{u.date.isoformat()}: {u.status}"))
        elif b is None:
            out.append(Change(f"objective {u.objective} update", "removed", f"{u.date.isoformat()} ({u.status})"))
        else:
            out += _fields(f"objective {u.objective} update {u.date.isoformat()}", a, b,
                           [("status", "status", "value"), ("note", "note", "text")])
    for a, b in _keyed(old.milestones, new.milestones, lambda m: (str(m.get("date")), m.get("title"))):
        if a is None or b is None:
            m = b or a
            out.append(Change("milestone", "added" if a is None else "removed",
                              f"{plain(m.get('date'))}: {m.get('title')}"))
    for a, b in _keyed(old.screens, new.screens, lambda s: (str(s.get("date")), s.get("kind"))):
        s = b or a
        label = f"{plain(s.get('date'))} {s.get('kind')}"
        if a is None:
            out.append(Change("screen", "added", f"{label}: {s.get('result')}"))
        elif b is None:
            out.append(Change("screen", "removed", label))
        else:
            out += _fields(f"screen {label}", a, b, [("result", "result", "value"),
                                                     ("substances", "substances", "value")])
    return out


# -- sessions ------------------------------------------------------------------


def _attendance(entry: model.Attendance) -> str:
    return entry.status + (f" ({entry.minutes} min)" if entry.minutes is not None else "")


def diff_session(old: model.SessionLog | None, new: model.SessionLog | None) -> list[Change]:
    """Changes to a delivered-care record. Any change to the attendance of a
    session already on record (or removing a held session) is flagged."""
    if new is None:
        held = old.status == "held"
        return [Change("session record", "removed", f"({old.status})", flagged=held)]
    if old is None:
        out = [Change("session", "added", f"({new.status})")]
        out += [Change(f"attendance {pid}", "recorded", _attendance(e), participant=pid)
                for pid, e in sorted(new.attendance.items())]
        return out
    out: list[Change] = []
    if old.date != new.date:
        out.append(Change("session", "rescheduled", field="date", old=plain(old.date), new=plain(new.date),
                          detail=f"{old.date.isoformat()} -> {new.date.isoformat()}"))
    if old.status != new.status:
        out.append(Change("session", "changed", field="status", old=old.status, new=new.status,
                          flagged=old.status == "held"))
    out += _fields("session", old, new, [("start", "start", "value"), ("minutes", "minutes", "value"),
                                         ("facilitator", "facilitator", "value"), ("topic", "topic", "text")])
    for pid in sorted(set(old.attendance) | set(new.attendance)):
        a, b = old.attendance.get(pid), new.attendance.get(pid)
        item = f"attendance {pid}"
        if a is None:
            out.append(Change(item, "added", _attendance(b), participant=pid, flagged=True))
        elif b is None:
            out.append(Change(item, "removed", f"(was {_attendance(a)})", participant=pid, flagged=True))
        else:
            out += _fields(item, a, b, [("status", "status", "value"), ("minutes", "minutes", "value"),
                                        ("note", "note", "text")], participant=pid, flagged=True)
    return out


# -- program -------------------------------------------------------------------

_TRACK_FIELDS: list[Spec] = [
    ("name", "name", "text"), ("population", "population", "value"), ("level_of_care", "level_of_care", "value"),
    ("weeks", "weeks", "value"),
]
_PROGRAM_FIELDS: list[Spec] = [
    ("name", "name", "text"), ("timezone", "timezone", "value"), ("phone", "phone", "value"),
    ("address", "address", "value"), ("holiday_country", "holidays country", "value"),
    ("holiday_subdivision", "holidays subdivision", "value"),
]


def diff_program(old: model.Program | None, new: model.Program | None) -> list[Change]:
    if new is None:
        return [Change("program.yaml", "removed")]
    if old is None:
        return [Change("program", "added", f"({len(new.tracks)} tracks, {len(new.staff)} staff)")]
    out = _fields("program", old, new, _PROGRAM_FIELDS)
    if list(old.crisis_lines) != list(new.crisis_lines):  # (dataclasses: compared field by field)
        out.append(Change("crisis lines", "changed", detail="(shown on every handout)"))
    out += _fields("rules", old.rules, new.rules, [(f.name, f.name, "value") for f in fields(model.Rules)])
    for a, b in _keyed(old.closures, new.closures, lambda c: (c.start, c.end)):
        c = b or a
        span = c.start.isoformat() + ("" if c.end == c.start else f" to {c.end.isoformat()}")
        if a is None:
            out.append(Change("closure", "added", f"{span}" + (f": {c.reason}" if c.reason else "")))
        elif b is None:
            out.append(Change("closure", "removed", span))
        else:
            out += _fields(f"closure {span}", a, b, [("reason", "reason", "text")])
    out += _items("staff", old.staff.values(), new.staff.values(),
                  [("name", "name", "value"), ("role", "role", "value"), ("credentials", "credentials", "value")],
                  added=lambda b: f"({b.role})" if b.role else None)
    for a, b in _keyed(old.tracks.values(), new.tracks.values(), lambda t: t.id):
        item = f"track {(b or a).id}"
        if a is None:
            out.append(Change(item, "added", f"({b.level_of_care}, {b.weeks} weeks)"))
        elif b is None:
            out.append(Change(item, "removed"))
        else:
            out += _fields(item, a, b, _TRACK_FIELDS)
            out += _timetable(f"track {b.id} session", a.sessions, b.sessions)
    out += _items("resource", old.resources.values(), new.resources.values(),
                  [(name, name, "value") for name in ("name", "kind", "phone", "url", "address", "hours", "languages")],
                  added=lambda b: f"({b.kind})")
    return out


DIFFERS: dict[str, Callable[[Any, Any], list[Change]]] = {
    "program": diff_program,
    "participant": diff_participant,
    "plan": diff_plan,
    "progress": diff_progress,
    "session": diff_session,
}


__all__ = ["Change", "FileDiff", "Version", "load_version", "diff_versions", "diff_files", "diff_participant",
           "diff_plan", "diff_progress", "diff_session", "diff_program", "plain", "show", "FLAG_REASON"]
