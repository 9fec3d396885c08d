"""`validate FILE` loads only what FILE's findings depend on, and reports exactly what a whole
run reports on FILE (docs/performance.md, "validate FILE").

The dependency relation is iopctl/changes.py's (`provides`, `reads`, `Graph`); the partial
load is records.load_for. Every test compares a partial run with a whole run without the
cache, on sample_records and on generated repositories with injected mistakes, for every
kind of file and the rules across files (IOP003/IOP004 ids and duplicate sessions, IOP010
references and did-you-mean suggestions, IOP042 family sessions, IOP050 attendance).
"""
from __future__ import annotations

import copy
import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from iopctl import cache, changes, records, repo
from iopctl.changes import EVERY_PARTICIPANT, Facts, Graph, provider_test, provides
from iopctl.cli import cli
from iopctl.validate import validate
from test_perf_paths import inject, text_of

AS_OF = dt.date(2026, 11, 23)
WARM_AS_OF = dt.date(2026, 11, 30)  # the warm-up run's date: its whole result never answers for AS_OF
SAMPLE = Path(__file__).resolve().parent.parent / "sample_records"


class Spy:
    """Counts full loads and partial loads, and records which files were parsed or built."""

    def __init__(self, mp: pytest.MonkeyPatch):
        self.full = 0
        self.partial: list = []  # load_for results (None: it gave up)
        self.parsed: list[str] = []
        self.built: list[str] = []
        real_scan, real_for = records.scan, records.load_for
        real_check, real_doc = records.check_file, records._doc_from

        def scan(*a, **kw):  # every whole load scans every file (records.scan)
            self.full += 1
            return real_scan(*a, **kw)

        def load_for(*a, **kw):
            result = real_for(*a, **kw)
            self.partial.append(result)
            return result

        def check_file(path, rel, kind):
            self.parsed.append(rel)
            return real_check(path, rel, kind)

        def doc_from(f, data, found):
            self.built.append(f.rel)
            return real_doc(f, data, found)

        mp.setattr(records, "scan", scan)
        mp.setattr(records, "load_for", load_for)
        mp.setattr(records, "check_file", check_file)
        mp.setattr(records, "_doc_from", doc_from)


def texts(report) -> list[str]:
    return [f.as_text() for f in report.findings]


def reference(root: Path, as_of: dt.date = AS_OF):
    """A whole run without the cache: rel -> its findings (text lines, in report order)."""
    report = validate(root, as_of=as_of, jobs=1)
    out: dict[str, list[str]] = {}
    for f in report.findings:
        out.setdefault(f.file, []).append(f.as_text())
    return out, report


def members(group: list[str], rels: list[str]) -> list[str]:
    """The record files a group of paths (files or folders) names."""
    return [rel for rel in rels if any(rel == g or rel.startswith(g + "/") for g in group)]


def expected_for(by_file: dict[str, list[str]], rels: list[str]) -> list[str]:
    return sorted((line for rel in rels for line in by_file.get(rel, [])),
                  key=lambda t: (t.split(":")[0], int(t.split(":")[1]), int(t.split(":")[2])))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(folder))
    return folder


def check_every_file(root: Path, mp: pytest.MonkeyPatch, groups: list[list[str]] | None = None) -> int:
    """Validate each record file (and each group) alone from the cache; each must get exactly the
    whole run's findings on it, through the partial load. Returns how many runs were made."""
    by_file, whole = reference(root)
    rels = [f.rel for f in repo.list_records(root)]
    spy = Spy(mp)
    runs = 0
    for group in [[rel] for rel in rels] + (groups or []):
        spy.partial.clear()
        spy.full = 0
        got = validate(root, [root / rel for rel in group], as_of=AS_OF, cache=True)
        assert texts(got) == expected_for(by_file, members(group, rels)), group
        assert got.files == len(members(group, rels))
        assert spy.full == 0 and len(spy.partial) == 1 and spy.partial[0] is not None, group
        runs += 1
    return runs


# -- sample_records -------------------------------------------------------------------------------


def test_every_sample_file_alone_gets_the_whole_runs_findings(tmp_path, cache_dir, monkeypatch):
    root = tmp_path / "records"
    shutil.copytree(SAMPLE, root)
    validate(root, as_of=WARM_AS_OF, cache=True)  # fills the cache (entries and facts)
    monkeypatch.setattr(records, "LOAD_FOR_SHARE", 1.0)  # always the partial load, however many files
    sessions = sorted(str(p.relative_to(root)) for p in (root / "sessions").rglob("*.yaml"))
    groups = [["participants/P0003.yaml", sessions[0]], ["sessions/2026-11"], ["plans"]]
    assert check_every_file(root, monkeypatch, groups) == 101 + len(groups)


def test_a_sample_file_just_changed(tmp_path, cache_dir, monkeypatch):
    """The pre-commit case: the file changed since the cache was filled, so it is parsed; only the
    files its findings depend on are built, and no other file is parsed."""
    root = tmp_path / "records"
    shutil.copytree(SAMPLE, root)
    validate(root, as_of=AS_OF, cache=True)
    family = next(p for p in sorted((root / "sessions").rglob("*.yaml")) if "family-group" in p.name)
    rel = family.relative_to(root).as_posix()
    text = family.read_text()
    attendance = text[text.index("attendance:"):]
    family.write_text(text.replace("status: held", "status: held  # checked by the facilitator", 1))
    assert family.read_text() != text
    named = sorted(line.split(":")[0].strip() for line in attendance.splitlines()[1:]
                   if line.startswith("  ") and not line.startswith("   "))
    assert named  # the sample's family session names somebody
    by_file, _ = reference(root)
    with pytest.MonkeyPatch.context() as mp:
        spy = Spy(mp)
        got = validate(root, [family], as_of=AS_OF, cache=True)
    assert texts(got) == by_file.get(rel, [])
    assert spy.full == 0 and spy.parsed == [rel]
    people = {f"{folder}/{pid}.yaml" for pid in named for folder in ("participants", "plans", "progress")}
    assert set(spy.built) == {"program.yaml", rel} | {p for p in people if (root / p).exists()}


# -- generated repositories ----------------------------------------------------------------------

PROGRAM = {
    "schema_version": 1,
    "program": {"id": "riverside", "name": "Riverside", "timezone": "America/Chicago"},
    "closures": [{"date": "2026-11-26", "reason": "Thanksgiving"}],
    "staff": [{"id": "mrivera", "name": "Maria Rivera"}, {"id": "jchen", "name": "Jo Chen"}],
    "tracks": [{"id": "adult", "name": "Adult", "population": "adult", "level_of_care": "2.1", "weeks": 10,
                "sessions": [
                    {"id": "group", "title": "Group", "kind": "group", "days": ["mon", "wed", "thu"],
                     "start": "18:00", "minutes": 180, "facilitator": "mrivera"},
                    {"id": "family", "title": "Family", "kind": "family", "days": ["tue"], "start": "18:00",
                     "minutes": 60}]}],
    "resources": [{"id": "aa", "name": "AA", "kind": "support-group"}],
}


def participant(pid: str) -> dict:
    return {"schema_version": 1, "id": pid, "preferred_name": "Alex", "date_of_birth": "1988-04-12",
            "status": "active", "admitted": "2026-11-02", "track": "adult", "primary_counselor": "mrivera",
            "supports": [{"id": "sam", "name": "Sam", "relationship": "spouse", "involvement": ["family-sessions"],
                          "consent": {"signed": "2026-11-02", "expires": "2027-11-02"}}]}


def plan(pid: str) -> dict:
    return {"schema_version": 1, "participant": pid, "start": "2026-11-02",
            "signed": {"participant": "2026-11-02", "staff": [{"id": "mrivera", "date": "2026-11-02"}]},
            "extra_sessions": [{"id": "individual", "title": "Individual", "kind": "individual", "days": ["fri"],
                                "start": "17:00", "minutes": 50, "facilitator": "jchen"}],
            "problems": [{"id": "1", "statement": "Drinks daily", "goals": [
                {"id": "1.1", "statement": "Stay sober",
                 "objectives": [{"id": "1.1.1", "statement": "Meetings", "measure": "log",
                                 "target_date": "2026-12-15"}],
                 "interventions": [{"modality": "CBT", "description": "Group", "frequency": "weekly"}]}]}],
            "aftercare": {"resources": ["aa"]}}


def progress(pid: str) -> dict:
    return {"schema_version": 1, "participant": pid,
            "assessments": [{"date": "2026-11-02", "instrument": "PHQ-9", "score": 12,
                             "items": [2, 2, 2, 1, 1, 1, 1, 1, 1]}],
            "objective_updates": [{"date": "2026-11-20", "objective": "1.1.1", "status": "in-progress"}]}


def session(day: str, key: str, attendance: dict) -> dict:
    return {"schema_version": 1, "date": day, "session": key, "status": "held", "attendance": attendance}


PEOPLE = ("P0001", "P0002", "P0003")
GROUP_1 = "sessions/2026-11/2026-11-02-group.yaml"
GROUP_2 = "sessions/2026-11/2026-11-04-group.yaml"
FAMILY = "sessions/2026-11/2026-11-03-family.yaml"
OWN = "sessions/2026-11/2026-11-06-individual.yaml"


def base_repo() -> dict[str, dict]:
    docs = {"program.yaml": PROGRAM}
    for pid in PEOPLE:
        docs[f"participants/{pid}.yaml"] = participant(pid)
        docs[f"plans/{pid}.yaml"] = plan(pid)
        docs[f"progress/{pid}.yaml"] = progress(pid)
    docs[GROUP_1] = session("2026-11-02", "adult/group", {"P0001": "present", "P0002": "late"})
    docs[GROUP_2] = session("2026-11-04", "adult/group", {"P0002": "present", "P0003": "absent"})
    docs[FAMILY] = session("2026-11-03", "adult/family", {"P0001": "present", "P0003": "present"})
    docs[OWN] = session("2026-11-06", "P0001/individual", {"P0001": "present"})
    return docs


def _set(docs: dict, rel: str, path: tuple, value) -> None:
    node = docs[rel]
    for step in path[:-1]:
        node = node[step]
    if value is DROP:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


DROP = object()
# Mistakes across files, each a list of edits (file, path, value); a file value None removes the
# file, a path () writes the whole document.
CROSS_FAULTS = {
    # IOP004: the same session key and date in a second file, sorting before or after the first
    "duplicate-before": [("sessions/2026-11/2026-11-02-a-copy.yaml", (),
                          session("2026-11-02", "adult/group", {"P0003": "present"}))],
    "duplicate-after": [("sessions/2026-11/2026-11-02-zz-copy.yaml", (),
                         session("2026-11-02", "adult/group", {"P0002": "present"}))],
    "duplicate-by-date": [(GROUP_2, ("date",), "2026-11-02")],  # and IOP003: the name says 11-04
    # IOP050: attendance before admission, after discharge, minutes above the session's length
    "admitted-later": [("participants/P0002.yaml", ("admitted",), "2026-11-03")],
    "discharged-before": [("participants/P0003.yaml", ("status",), "discharged"),
                          ("participants/P0003.yaml", ("discharged",), "2026-11-03"),
                          ("participants/P0003.yaml", ("discharge_reason",), "completed")],
    "too-many-minutes": [(GROUP_1, ("attendance", "P0002"), {"status": "late", "minutes": 200})],
    "own-session-minutes": [(OWN, ("attendance", "P0001"), {"status": "present", "minutes": 55})],
    # IOP042: a family session without consent, an expired consent
    "no-consent": [("participants/P0003.yaml", ("supports", 0, "consent"), DROP)],
    "expired-consent": [("participants/P0001.yaml", ("supports", 0, "consent", "expires"), "2026-11-02")],
    # IOP010: unknown participant, track (did-you-mean), objective, own session, orphan plan/progress
    "unknown-attendee": [(GROUP_2, ("attendance", "P0009"), "present")],
    "track-typo": [("participants/P0002.yaml", ("track",), "adlt")],
    "plan-track-typo": [("plans/P0003.yaml", ("track",), "adult-evening")],
    "unknown-objective": [("progress/P0002.yaml", ("objective_updates", 0, "objective"), "9.9.9")],
    "unknown-own-session": [(OWN, ("session",), "P0001/indiv")],
    "orphan-plan": [("participants/P0003.yaml", None, None)],
    "orphan-named-plan": [("plans/P0004.yaml", (), plan("P0004"))],
    "near-miss-participant": [("participants/P0044.yaml", (), participant("P0044"))],
    "progress-without-plan": [("plans/P0002.yaml", None, None)],
    # IOP003: ids that differ from file names (the model keeps the first valid file of an id)
    "id-taken": [("participants/P0002.yaml", ("id",), "P0001")],
    "id-taken-later": [("participants/P0001.yaml", ("id",), "P0003")],
    "plan-of-another": [("plans/P0003.yaml", ("participant",), "P0002")],
    "plan-of-nobody": [("plans/P0003.yaml", ("participant",), "P0007")],
    "progress-of-another": [("progress/P0001.yaml", ("participant",), "P0003")],
    # the plan decides hours and dates
    "plan-before-admission": [("plans/P0002.yaml", ("start",), "2026-10-01")],
    "hours-over": [("program.yaml", ("tracks", 0, "sessions", 0, "minutes"), 420)],
    "short-plan": [("plans/P0001.yaml", ("skip_sessions",), ["group"])],
    # IOP012 depends on the as-of date
    "referred": [("participants/P0003.yaml", ("status",), "referred")],
    # not records, or in the wrong place
    "stray": [("participants/old/P0001.yaml", (), participant("P0001"))],
    "wrong-month": [("sessions/2026-10/2026-11-04-group.yaml", (), session("2026-11-04", "adult/group",
                                                                              {"P0001": "present"}))],
}


def apply(docs: dict, name: str) -> None:
    for rel, path, value in CROSS_FAULTS[name]:
        if path is None:
            docs.pop(rel, None)
        elif path == ():
            docs[rel] = copy.deepcopy(value)
        elif rel in docs:
            _set(docs, rel, path, value if value is DROP else copy.deepcopy(value))


def write(root: Path, docs: dict, broken: dict[str, dict]) -> None:
    for rel, doc in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text_of(broken.get(rel, doc)), encoding="utf-8")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_each_file_alone_gets_the_whole_runs_findings(data):
    """A repository with mistakes across files and in single files; the cache is filled, then
    more mistakes come in (those files are parsed afresh, with their new facts). Each file, and a
    few pairs, validated alone, must get exactly the whole run's findings on it."""
    docs = copy.deepcopy(base_repo())
    before = data.draw(st.lists(st.sampled_from(sorted(CROSS_FAULTS)), max_size=3, unique=True), "before")
    after = data.draw(st.lists(st.sampled_from(sorted(CROSS_FAULTS)), max_size=2, unique=True), "after")
    for name in before:
        apply(docs, name)
    broken = {rel: inject(docs[rel], data.draw)
              for rel in data.draw(st.lists(st.sampled_from(sorted(docs)), max_size=2, unique=True), "broken")}
    use_facts = data.draw(st.booleans(), "facts kept in the cache")
    use_index = data.draw(st.booleans(), "provider index kept in the cache")
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        root = Path(tmp) / "records"
        mp.setenv(cache.ENV_DIR, str(Path(tmp) / "cache"))
        write(root, docs, broken)
        validate(root, as_of=WARM_AS_OF, cache=True)
        for name in after:
            apply(docs, name)
        for rel in sorted(set(p.relative_to(root).as_posix() for p in root.rglob("*.yaml")) - set(docs)):
            (root / rel).unlink()
        write(root, docs, broken)
        mp.setattr(records, "LOAD_FOR_SHARE", 1.0)
        if not use_facts:  # a cache written before facts were kept: they are worked out from the data
            mp.setattr(records, "FACTS_KEY", "no facts here")
        if not use_index:  # nor who provides what: every file's facts are looked at
            mp.setattr(records, "INDEX_KEY", "no index here")
        rels = sorted(docs)
        pairs = [[rels[i], rels[-1 - i]] for i in range(0, len(rels) // 2, 3)]
        runs = check_every_file(root, mp, pairs)
        by_file, _ = reference(root)
        event(f"codes: {sorted({line.split()[1] for lines in by_file.values() for line in lines})}")
    assert runs == len(rels) + len(pairs)


def test_with_the_provider_index_only_the_changed_files_facts_are_looked_at(tmp_path, cache_dir, monkeypatch):
    """While the same files are there, the index of who provides what (kept by the whole run)
    answers for every unchanged file: the facts looked at are those of the asked and changed
    files; without it, every file's. The findings are the same either way."""
    root = tmp_path / "records"
    shutil.copytree(SAMPLE, root)
    validate(root, as_of=WARM_AS_OF, cache=True)
    session = "sessions/2026-11/2026-11-17-adult-evening-family-group.yaml"
    with open(root / session, "a", encoding="utf-8") as f:  # P0013 is no participant: IOP010
        f.write("  P0013: present\n")
    with open(root / "plans/P0004.yaml", "a", encoding="utf-8") as f:
        f.write("# reviewed\n")
    looked: list[str] = []
    real = changes.Facts.from_content

    def from_content(rel, kind, content):
        looked.append(rel)
        return real(rel, kind, content)

    monkeypatch.setattr(changes.Facts, "from_content", staticmethod(from_content))
    with_index = texts(validate(root, [root / session], as_of=AS_OF, cache=True))
    assert sorted(looked) == ["plans/P0004.yaml", session]
    assert any("IOP010" in line and "P0013" in line for line in with_index)
    looked.clear()
    monkeypatch.setattr(records, "INDEX_KEY", "no index here")
    assert texts(validate(root, [root / session], as_of=AS_OF, cache=True)) == with_index
    assert len(looked) == 101
    assert with_index == expected_for(reference(root)[0], [session])


def test_the_closure_of_each_kind_of_file(tmp_path, cache_dir, monkeypatch):
    """What gets built for each kind of file, hand-listed (base_repo with P0002's profile holding
    id P0001 and a second session file for the 2026-11-02 group)."""
    docs = base_repo()
    apply(docs, "id-taken")
    apply(docs, "duplicate-after")
    write(tmp_path / "r", docs, {})
    root = tmp_path / "r"
    validate(root, as_of=WARM_AS_OF, cache=True)
    monkeypatch.setattr(records, "LOAD_FOR_SHARE", 1.0)
    spy = Spy(monkeypatch)
    people = lambda *ids: {f"{d}/{i}.yaml" for i in ids for d in ("participants", "plans", "progress")}  # noqa: E731
    cases = {
        "program.yaml": {"program.yaml"},
        # P0001's files, and P0002's profile, which holds id P0001 too
        "participants/P0001.yaml": {"program.yaml", "participants/P0002.yaml"} | people("P0001"),
        "progress/P0003.yaml": {"program.yaml"} | people("P0003"),
        # everyone the session names (P0001 through P0002's profile as well), and the other file of its slot
        GROUP_1: {"program.yaml", GROUP_1, "sessions/2026-11/2026-11-02-zz-copy.yaml"} | people("P0001", "P0002"),
        OWN: {"program.yaml", OWN, "participants/P0002.yaml"} | people("P0001"),
    }
    for rel, expected in cases.items():
        spy.built.clear()
        validate(root, [root / rel], as_of=AS_OF, cache=True)
        assert set(spy.built) == expected, rel
        assert spy.parsed == []  # everything came from the cache


def test_too_much_or_no_cache_falls_back_to_a_whole_run(tmp_path, cache_dir, monkeypatch):
    docs = base_repo()
    apply(docs, "admitted-later")
    root = tmp_path / "r"
    write(root, docs, {})
    other = dt.date(2026, 12, 1)
    by_date = {day: reference(root, day)[0] for day in (AS_OF, WARM_AS_OF, other)}
    spy = Spy(monkeypatch)
    # No cache yet: a whole run (which fills the cache).
    assert texts(validate(root, [root / GROUP_1], as_of=AS_OF, cache=True)) == by_date[AS_OF][GROUP_1]
    assert (spy.full, spy.partial) == (1, [])
    # The files a session needs are more than half of this small repository: a whole run again.
    assert texts(validate(root, [root / GROUP_1], as_of=WARM_AS_OF, cache=True)) == by_date[WARM_AS_OF][GROUP_1]
    assert spy.full == 2 and spy.partial == [None]
    # A profile needs a few: the partial load (on another date, so no whole result is cached).
    assert texts(validate(root, [root / "participants/P0002.yaml"], as_of=other, cache=True)) == \
        by_date[other].get("participants/P0002.yaml", [])
    assert spy.full == 2 and spy.partial[-1] is not None


def test_validate_file_on_the_command_line(tmp_path, cache_dir, monkeypatch):
    """The pre-commit hook's call, after the session file changed: the same report as the whole
    run's lines for that file, from a partial load."""
    docs = base_repo()
    for pid in ("P0004", "P0005", "P0006"):  # more people, so that a session needs under half the files
        docs[f"participants/{pid}.yaml"] = participant(pid)
        docs[f"plans/{pid}.yaml"] = plan(pid)
    root = tmp_path / "r"
    write(root, docs, {})
    args = ["validate", "--records", str(root), "--as-of", "2026-11-23"]
    assert CliRunner().invoke(cli, args, env={"NO_COLOR": "1"}).exit_code == 0  # fills the cache
    docs["participants/P0002.yaml"]["admitted"] = "2026-11-03"
    docs[GROUP_1]["attendance"]["P0009"] = "present"
    write(root, docs, {})
    spy = Spy(monkeypatch)
    result = CliRunner().invoke(cli, args + [str(root / GROUP_1)], env={"NO_COLOR": "1"})
    assert result.output == (
        f"{GROUP_1}:7:3: IOP050 error: `P0002` is recorded on 2026-11-02 but was not in the program that day "
        "(admitted 2026-11-03)\n"
        f"{GROUP_1}:8:3: IOP010 error: participant `P0009` does not exist\n"
        "1 file checked: 2 errors, 0 warnings\n")
    assert result.exit_code == 1
    assert spy.full == 0 and spy.partial[0] is not None
    assert sorted(spy.parsed) == sorted([GROUP_1, "participants/P0002.yaml"])
    whole = CliRunner().invoke(cli, args + ["--no-cache"], env={"NO_COLOR": "1"}).output
    assert [line for line in whole.splitlines() if line.startswith(GROUP_1)] == result.output.splitlines()[:2]


# -- the relation itself ---------------------------------------------------------------------------

ids = st.sampled_from(["P1", "P2", "P3", "adult"])
facts_st = st.one_of(
    st.builds(Facts, rel=ids.map(lambda i: f"participants/{i}.yaml"), kind=st.just("participant"),
              own=st.one_of(st.none(), ids)),
    st.builds(Facts, rel=ids.map(lambda i: f"plans/{i}.yaml"), kind=st.sampled_from(["plan", "progress"]),
              own=st.one_of(st.none(), ids)),
    st.builds(Facts, rel=st.just("sessions/2026-11/x.yaml"), kind=st.just("session"),
              named=st.lists(ids, max_size=3).map(tuple),
              slot=st.one_of(st.none(), st.tuples(st.sampled_from(["adult/g", "P1/i"]), st.just("2026-11-02")))),
    st.builds(Facts, rel=st.just("participants/x/y.yaml"), kind=st.none()),
)
tokens_st = st.sets(st.one_of(st.tuples(st.sampled_from(["person", "named"]), ids),
                              st.tuples(st.just("slot"), st.sampled_from(["adult/g", "P1/i"]), st.just("2026-11-02")),
                              st.just(EVERY_PARTICIPANT)), max_size=4)


@settings(max_examples=300, deadline=None)
@given(facts_st, tokens_st)
def test_the_quick_provider_test_is_provides(facts, tokens):
    assert provider_test(tokens)(facts) == (not tokens.isdisjoint(provides(facts)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(sorted(CROSS_FAULTS)), max_size=3, unique=True))
def test_forwards_covers_backwards(faults):
    """Whenever B's findings depend on A (backwards: A is in B's closure), a change to A re-checks
    B (forwards: B is among --changed-since's files), but for the shortcut the module docstring
    names: a plan or progress file whose inner id is not its file name and names no participant."""
    docs = copy.deepcopy(base_repo())
    for name in faults:
        apply(docs, name)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write(root, docs, {})
        files = repo.list_records(root)
        graph = Graph(changes.facts_of(f.rel, f.kind, changes._read(root, f.rel)) for f in files)
        forwards = {f.rel: set(changes.files_to_validate(root, [f.rel])) for f in files}
        for b in graph.facts.values():
            shortcut = b.kind in ("plan", "progress") and b.own not in (None, b.stem) \
                and b.own not in graph.participant_stems
            for a in graph.needed_for([b.rel]):
                assert b.rel in forwards[a] or shortcut, (a, b.rel)


def test_forwards_finds_ids_however_they_are_written(tmp_path):
    """--changed-since does not parse every file: it reads those whose text names an id in
    question. An id spelt with an escape, or held by a file of another name, is still found."""
    docs = base_repo()
    del docs[GROUP_2], docs[FAMILY], docs[OWN]
    apply(docs, "id-taken")  # participants/P0002.yaml holds id P0001
    write(tmp_path, docs, {})
    escaped = "sessions/2026-11/2026-11-09-group.yaml"
    (tmp_path / escaped).write_text('schema_version: 1\ndate: 2026-11-09\nsession: "adult/gr\\x6fup"\n'
                                    'status: held\nattendance: {"P\\u0030003": present}\n')
    assert sorted(changes.files_to_validate(tmp_path, ["progress/P0003.yaml"])) == sorted(
        ["participants/P0003.yaml", "plans/P0003.yaml", "progress/P0003.yaml", escaped])
    assert sorted(changes.files_to_validate(tmp_path, ["plans/P0001.yaml"])) == sorted(
        ["participants/P0001.yaml", "participants/P0002.yaml", "plans/P0001.yaml", "progress/P0001.yaml", GROUP_1])
    # A second file for the slot of the escaped session: both are re-checked (IOP004).
    (tmp_path / "sessions/2026-11/2026-11-09-copy.yaml").write_text(
        "schema_version: 1\ndate: 2026-11-09\nsession: adult/group\nstatus: held\nattendance: {}\n")
    assert changes.files_to_validate(tmp_path, ["sessions/2026-11/2026-11-09-copy.yaml"]) == sorted(
        ["sessions/2026-11/2026-11-09-copy.yaml", escaped])


def test_the_rules_read_the_model_not_the_data(tmp_path):
    """A whole validate run lets go of each document's data once its model is built
    (records.load(keep_data=False)): the rules must find the same without it."""
    root = tmp_path / "records"
    shutil.copytree(SAMPLE, root)
    kept, dropped = records.load(root), records.load(root, keep_data=False)
    assert all(d.data is None for d in dropped.documents if d.kind != "program")
    assert [d.data is None for d in kept.documents] == [False] * len(kept.documents)
    for day in (AS_OF, WARM_AS_OF, dt.date(2026, 9, 30)):
        assert records.semantic_findings(dropped, day) == records.semantic_findings(kept, day)
    assert dropped.findings == kept.findings
