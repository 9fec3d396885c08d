"""Which record files depend on which: one relation, read both ways.

`validate --changed-since` reads it forwards (these files changed: whose
findings can change?), `validate FILE` backwards (what can the findings on
FILE depend on? only that is loaded). Both come from `provides` and
`reads` over a few facts per file (`Facts`, from its data): the findings
on a file B can depend on a file A when A provides a token B reads, and
every file but program.yaml depends on program.yaml.

| file | provides | reads |
|---|---|---|
| program.yaml | everything | nothing (its findings are about itself alone) |
| participants/, plans/, progress/`<ID>.yaml` holding id X | person ID, person X; a participant file also `participants` | person ID, person X; a plan or progress file whose X has no participants/X.yaml also `participants` |
| a session file | its slot (session key, date); named P for everyone P it names | its slot; person P for everyone P it names |
| any other file | nothing | nothing |

A session names the people in its attendance and the owner of its key
(`P0001/individual`). Why, rule by rule (iopctl/checks): a participant,
plan or progress file is checked against the records of its own id, and of
several files holding one id the model keeps the one named by the id, else
the first valid one (records._place), so every file holding it counts
(IOP003, IOP010, IOP011, IOP041, hours); a session
against the profile (and, for a participant's own session, the plan) of
everyone it names (IOP010, IOP042, IOP050) and against the other session
files of the same key and date (IOP004); a plan or progress file naming a
participant who has no file gets a did-you-mean suggestion drawn from
every participant (IOP010). Whether a file of some kind and id exists
comes from the list of files, not from their content.

Forwards, three more rules keep `--changed-since` checking what it always
has (docs/history.md): a changed session file also re-checks the profile,
plan and progress of everyone it names before and after the change (its
`named` tokens; no rule needs them, and no file reads them backwards); a
changed program.yaml means every record file, unless only `tracks`
changed: then program.yaml, the participants on the changed tracks (as if
their files had changed) and those tracks' session files. Deleted files
are not validated, but what depends on them is.

Forwards there is no cache of facts, and files are not all parsed: a file
can only hold an id that its text spells out (or hides behind a backslash
escape), so only files whose text mentions an id in question are parsed.
One shortcut: the readers of `participants` are found by file name and
among the files parsed anyway, so a plan whose inner id differs from its
file name and names no participant (an IOP003 error already) is not
re-checked for a changed did-you-mean suggestion.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

from iopctl import repo

ReadOld = Callable[[str], "bytes | None"]
PERSON_KINDS = ("participant", "plan", "progress")
Token = tuple  # ("person", id) | ("named", id) | ("slot", session key, date) | EVERY_PARTICIPANT
EVERY_PARTICIPANT: Token = ("participants",)


# -- the facts and the relation -------------------------------------------------------------


class Facts(NamedTuple):
    """What the relation needs to know of one record file. Depends only on the file's kind and
    content (and its name), so it can be cached by content: `facts_of(...).content()`. (A named
    tuple: `validate FILE` makes one for every file of the repository, 10,000 at a time.)"""

    rel: str
    kind: str | None
    own: str | None = None  # participant, plan, progress: the id inside (`id`, `participant`)
    named: tuple[str, ...] = ()  # session: attendance ids, and the owner of the session key
    slot: tuple[str, str] | None = None  # session: (session key, date)

    @property
    def stem(self) -> str:
        return stem_of(self.rel)

    def content(self) -> tuple:
        """The part that comes from the content (for a cache keyed by content)."""
        return (self.own, self.named, self.slot)

    @classmethod
    def from_content(cls, rel: str, kind: str | None, content: Any) -> "Facts | None":
        """The inverse of content(); None when `content` is not what content() gives. (Checked
        only for its shape: it comes from iopctl's own checksummed cache, 10,000 at a time.)"""
        if type(content) is not tuple or len(content) != 3:
            return None
        own, named, slot = content
        if (own is not None and type(own) is not str) or type(named) is not tuple or \
                (slot is not None and (type(slot) is not tuple or len(slot) != 2)):
            return None
        return cls(rel, kind, own, named, slot)


def stem_of(rel: str) -> str:
    """PurePosixPath(rel).stem, the id a file's name gives it (pathlib is ten times slower)."""
    name = rel.rpartition("/")[2]
    i = name.rfind(".")
    return name[:i] if 0 < i < len(name) - 1 else name


def _day(value: Any) -> str:
    """A date as the model reads it (model._date), as text: two spellings of a day are one slot."""
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return str(value)


def _attendance_ids(data: Any) -> set[str]:
    """Participants a session document names: attendance, and the owner of a participant's own session."""
    if not isinstance(data, dict):
        return set()
    ids = {str(k) for k in (data.get("attendance") or {})} if isinstance(data.get("attendance"), dict) else set()
    session = data.get("session")
    if isinstance(session, str):
        ids.add(session.partition("/")[0])  # as Records.session_def splits it
    return ids


def facts_of(rel: str, kind: str | None, data: Any) -> Facts:
    """The facts of a file from its data (None or anything else that did not load: no facts)."""
    if not isinstance(data, dict):
        return Facts(rel, kind)
    if kind in PERSON_KINDS:
        own = data.get("id" if kind == "participant" else "participant")
        return Facts(rel, kind, own=None if own is None or isinstance(own, (dict, list)) else str(own))
    if kind == "session":
        session, day = data.get("session"), data.get("date")
        slot = (session, _day(day)) if isinstance(session, str) and day is not None else None
        return Facts(rel, kind, named=tuple(sorted(_attendance_ids(data))), slot=slot)
    return Facts(rel, kind)


def _ids(f: Facts) -> set[str]:
    return {f.stem} if f.own is None else {f.stem, f.own}


def provides(f: Facts) -> set[Token]:
    """What the findings of other files can read from this one (program.yaml aside: everything)."""
    if f.kind in PERSON_KINDS:
        out = {("person", i) for i in _ids(f)}
        if f.kind == "participant":
            out.add(EVERY_PARTICIPANT)
        return out
    if f.kind == "session":
        out = {("named", p) for p in f.named}
        if f.slot is not None:
            out.add(("slot", *f.slot))
        return out
    return set()


def reads(f: Facts, participant_stems: set[str] | frozenset[str]) -> set[Token]:
    """What this file's findings can depend on besides itself and program.yaml.
    `participant_stems`: the ids of every participants/<ID>.yaml (the did-you-mean guard)."""
    if f.kind in PERSON_KINDS:
        out = {("person", i) for i in _ids(f)}
        if f.kind != "participant" and f.own is not None and f.own not in participant_stems:
            out.add(EVERY_PARTICIPANT)
        return out
    if f.kind == "session":
        out = {("person", p) for p in f.named}
        if f.slot is not None:
            out.add(("slot", *f.slot))
        return out
    return set()


def provider_test(tokens: set[Token]) -> Callable[[Facts], bool]:
    """`lambda f: not tokens.isdisjoint(provides(f))`, without building provides(f) for every
    file of a repository (tests/test_validate_paths.py checks the two agree)."""
    person = {t[1] for t in tokens if t[0] == "person"}
    named = {t[1] for t in tokens if t[0] == "named"}
    slots = {t[1:] for t in tokens if t[0] == "slot"}
    every = EVERY_PARTICIPANT in tokens

    def test(f: Facts) -> bool:
        if f.kind in PERSON_KINDS:
            return f.stem in person or f.own in person or (every and f.kind == "participant")
        if f.kind == "session":
            return f.slot in slots or not named.isdisjoint(f.named)
        return False

    return test


class Graph:
    """The relation over every file of a repository, with every file's facts known (the cache
    keeps them: records.load_for).

    Or, with `index` (a ProviderIndex of the repository as a whole run saw it, with the same
    files), over the files whose content changed since, and `asked`: the index answers for
    every other file, so `validate FILE` looks at a few files' facts, not at 10,000.
    """

    def __init__(self, facts: Iterable[Facts], index: "ProviderIndex | None" = None):
        self.facts = {f.rel: f for f in facts}
        self.index = index
        if index is not None:
            self.participant_stems = index.participant_stems
        else:
            self.participant_stems = frozenset(f.stem for f in self.facts.values() if f.kind == "participant")

    def needed_for(self, asked: Iterable[str]) -> set[str]:
        """The files the findings on `asked` can depend on, `asked` (those that exist) included."""
        out: set[str] = set()
        tokens: set[Token] = set()
        for rel in asked:
            f = self.facts.get(rel)
            if f is None:
                continue
            out.add(rel)
            if f.kind != "program":
                if repo.PROGRAM_FILE in (self.facts if self.index is None else self.index.blobs):
                    out.add(repo.PROGRAM_FILE)
                tokens |= reads(f, self.participant_stems)
        if tokens:
            test = provider_test(tokens)
            out.update(rel for rel, f in self.facts.items() if test(f))
            if self.index is not None:  # the unchanged files, by what they provided then
                for t in tokens:
                    out.update(rel for rel in self.index.providers.get(t, ()) if rel not in self.facts)
        return out


class ProviderIndex(NamedTuple):
    """Who provides what in a repository, as a whole run saw it: the blob id of every file
    (rel -> blob, None for a file that was not read), token -> the files providing it, and
    the ids (file names) of the participant, plan and progress files (Records.present). Kept
    in the validation cache (records.scan); it describes a repository with the same
    list of files."""

    blobs: dict[str, str | None]
    providers: dict[Token, list[str]]
    present: dict[str, tuple[str, ...]]

    @classmethod
    def make(cls, facts: Iterable[Facts], blobs: dict[str, str | None]) -> "ProviderIndex":
        providers: dict[Token, list[str]] = {}
        present: dict[str, set[str]] = {}
        for f in facts:
            for t in provides(f):
                providers.setdefault(t, []).append(f.rel)
            if f.kind in PERSON_KINDS:
                present.setdefault(f.kind, set()).add(f.stem)
        return cls(blobs, providers, {kind: tuple(sorted(ids)) for kind, ids in present.items()})

    @property
    def participant_stems(self) -> frozenset[str]:
        return frozenset(self.present.get("participant", ()))

    def content(self) -> tuple:
        return tuple(self)

    @classmethod
    def from_content(cls, content: Any) -> "ProviderIndex | None":
        """The inverse of content(); None when `content` is not what content() gives."""
        if type(content) is not tuple or len(content) != 3 or not all(type(x) is dict for x in content):
            return None
        return cls(*content)

    def changed(self, blobs: dict[str, str]) -> list[str] | None:
        """The files whose content differs from the index's, when `blobs` names the same files
        (else None: the index does not describe this repository)."""
        if len(blobs) != len(self.blobs):
            return None
        known = self.blobs
        changed = []
        for rel, blob in blobs.items():
            held = known.get(rel, _MISSING)
            if held is _MISSING:
                return None
            if held != blob:  # (None: the file was not read then)
                changed.append(rel)
        return changed


_MISSING = object()


# -- forwards: which files a change affects ---------------------------------------------------


def _parse(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return _load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None


def _load(text: str) -> Any:
    """The data of a YAML text, None when it does not parse. (Imported here: `validate FILE`
    uses this module's relation without parsing anything itself.)"""
    import yaml

    from iopctl import yaml12

    try:
        return yaml12.load(text)
    except (yaml.YAMLError, RecursionError):
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


_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _mentions(words: set[str]) -> Callable[[str], bool]:
    """Whether a text can hold one of `words` as a value: it has the word whole (no id character
    just before or after), or a backslash anywhere (a double-quoted escape can spell a word
    without writing it). The word is found first and its ends checked after: a look-behind in
    the pattern makes the search several times slower."""
    pattern = re.compile("|".join(map(re.escape, sorted(words, key=lambda w: (-len(w), w)))))

    def mentions(text: str) -> bool:
        if "\\" in text:
            return True
        m = pattern.search(text)
        while m is not None:
            a, b = m.span()
            if (a == 0 or text[a - 1] not in _ID_CHARS) and (b == len(text) or text[b] not in _ID_CHARS):
                return True
            m = pattern.search(text, a + 1)  # a shorter word may start inside this one
        return False

    return mentions


class _Index:
    """Lazy lookups over the current records: facts are worked out only for files whose text
    mentions what is looked for (see the module docstring)."""

    def __init__(self, root: Path, files: list[repo.RecordFile]):
        self.root = root
        self.files = files
        self.rels = {f.rel for f in files}
        self.participant_stems = {stem_of(f.rel) for f in files if f.kind == "participant"}

    def _mentioning(self, words: set[str]) -> dict[str, Facts]:
        """Facts of the participant, plan, progress and session files whose text can hold one
        of words (the others cannot hold any of them as a value)."""
        if not words:
            return {}
        mentions = _mentions(words)
        out = {}
        for f in self.files:
            if f.kind not in PERSON_KINDS and f.kind != "session":
                continue
            try:
                text = f.path.read_bytes().decode("utf-8-sig", "replace")
            except OSError:
                continue
            if mentions(text):
                out[f.rel] = facts_of(f.rel, f.kind, _load(text))
        return out

    def readers(self, tokens: set[Token]) -> set[str]:
        """Every file that reads one of tokens, and (forwards only) the participant, plan and
        progress files of everyone a `named` token names."""
        if not tokens:
            return set()
        named = {t[1] for t in tokens if t[0] == "named"}
        words = {t[1] for t in tokens if t[0] in ("person", "named", "slot")}
        parsed = self._mentioning(words)
        out = set()
        for f in self.files:
            facts = parsed.get(f.rel)
            if facts is None:  # holds none of the words: its file name is all that can match
                facts = Facts(f.rel, f.kind, own=stem_of(f.rel) if f.kind in PERSON_KINDS else None)
            if not tokens.isdisjoint(reads(facts, self.participant_stems)) or (
                    f.kind in PERSON_KINDS and not named.isdisjoint(_ids(facts))):
                out.add(f.rel)
        return out

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
    did not exist); without it a changed program.yaml means everything, and a file's
    old content is not looked at."""
    root = Path(root)
    files = repo.list_records(root)
    index = _Index(root, files)
    wanted: set[str] = set()
    tokens: set[Token] = set()  # what the changed files provide, before and after
    for rel in sorted(set(changed)):
        kind = repo.kind_of(rel)
        if rel == repo.PROGRAM_FILE:
            tracks = changed_tracks(_parse(read_old(rel)), _read(root, rel)) if read_old else None
            if tracks is None:
                return sorted(index.rels)
            on_track, track_sessions = index.on_tracks(tracks)
            tokens |= {("person", p) for p in on_track}  # as if their files had changed
            wanted |= track_sessions | {rel}
        elif kind in PERSON_KINDS or kind == "session":
            wanted.add(rel)
            tokens |= provides(facts_of(rel, kind, _read(root, rel)))
            if read_old:
                tokens |= provides(facts_of(rel, kind, _parse(read_old(rel))))
        elif rel.split("/", 1)[0] in repo.KIND_FOLDERS:
            wanted.add(rel)
    wanted |= index.readers(tokens)
    return sorted(wanted & index.rels)


def changed_since(root: Path, rev: str) -> list[str]:
    """The record files to re-validate for everything changed since rev (working
    tree included, untracked files too). Raises git.GitError with a user message."""
    from iopctl import git

    r = git.find_repo(root)
    sha = git.resolve(r, rev)
    changed = list(git.changed_between(r, sha))
    needs_old = [rel for rel in changed if rel == repo.PROGRAM_FILE or repo.kind_of(rel) is not None]
    old = git.read_at(r, sha, needs_old)
    return files_to_validate(root, changed, lambda rel: old.get(rel))


__all__ = ["files_to_validate", "changed_since", "changed_tracks", "Facts", "facts_of", "provides", "reads",
           "provider_test", "Graph", "ProviderIndex", "EVERY_PARTICIPANT", "stem_of"]
