"""Every fast path gives what the plain path gives (docs/performance.md).

YAML: the fast converter and the full PyYAML constructor, libyaml and the
pure-Python parser, and our lean resolver against PyYAML's own, all read
`no`, `on`, `010`, dates... the same way (YAML 1.2). Schemas: jsonschema-rs
answering "valid" never hides a finding jsonschema would make. Repositories:
serial or in worker processes, cached (cold and warm) or not, fast or plain
parsers and validators, the findings are identical. Generated records carry
injected mistakes so that the error paths are compared too.
"""
import copy
import datetime as dt
import json
import re
import sys
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from iopctl import cache, loader, records, schemas, yaml12
from iopctl.validate import validate

AS_OF = dt.date(2026, 11, 23)

# -- YAML ------------------------------------------------------------------------------------------

TOKENS = ["no", "on", "off", "yes", "y", "Yes", "NO", "010", "0o17", "0x1F", "0b101", "1_000", "1e3", "3.0",
          "-5", "+7", "~", "null", "Null", "", "true", "True", "FALSE", ".inf", "-.Inf", ".nan", "2026-11-02",
          "2026-02-30", "0000-01-01", "2026-11-02T10:00:00Z", "18:00", "1:30:00", '"18:00"', "'2026-11-02'",
          "!!str 010", "!!int '7'", "!!float 1", "!!binary aGk=", "!custom x", "&a 5", "[a, b]", "{a: 1}", "[]",
          "{}", '"http://a\\x1c"', '"x\\u0085"', '"\\ud800"', "'it''s'", "plain text here", "<<", "=", "0.5.1"]


class Raw(str):
    """A YAML value written exactly as given."""


def emit(value, indent=0) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:")
                out.extend(emit(v, indent + 2))
            else:
                out.append(f"{pad}{k}: {scalar(v)}".rstrip())
        return out
    if isinstance(value, list):
        out = []
        for item in value:
            inner = emit(item, indent + 2) if isinstance(item, (dict, list)) and item else [" " * (indent + 2) + scalar(item)]
            out.append(f"{pad}- " + inner[0].lstrip())
            out.extend(inner[1:])
        return out
    return [pad + scalar(value)]


def scalar(v) -> str:
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "~"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    return json.dumps(v, ensure_ascii=False)


class ReferenceLoader(yaml12.PureLoader):
    """PyYAML's own resolver code, in place of the lean one in yaml12."""

    resolve = yaml.resolver.BaseResolver.resolve
    descend_resolver = yaml.resolver.BaseResolver.descend_resolver
    ascend_resolver = yaml.resolver.BaseResolver.ascend_resolver


def outcome(text: str, loader_class, fast: bool):
    try:
        return ("ok", repr(yaml12.load(text, loader_class, fast=fast)))
    except yaml.YAMLError as e:
        return ("error", type(e).__name__, str(e))
    except (ValueError, RecursionError) as e:  # e.g. `!!binary` of bad base64
        return ("error", type(e).__name__, str(e))


yaml_docs = st.recursive(
    st.sampled_from(TOKENS).map(Raw),
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(["a", "b", "no", "on", "010", "2026-11-02", "~", "x y"]), inner, max_size=4),
        st.lists(inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(yaml_docs, st.sampled_from(["", "dup", "tab", "two-docs", "alias"]))
def test_every_yaml_path_reads_the_same(doc, fault):
    text = "\n".join(emit(doc)) + "\n"
    if fault == "dup" and isinstance(doc, dict) and doc:
        text += text.splitlines()[0] + "\n"
    elif fault == "tab":
        text = "\t" + text
    elif fault == "two-docs":
        text += "---\na: 1\n"
    elif fault == "alias":
        text = "base: &b {k: no}\nuse: *b\n" + (text if isinstance(doc, dict) and doc else "")
    fast_c = outcome(text, yaml12.FastLoader, True)
    # The same parser gives the same result or the same error with the fast converter or without.
    assert fast_c == outcome(text, yaml12.FastLoader, False)
    pure = outcome(text, yaml12.PureLoader, True)
    assert pure == outcome(text, yaml12.PureLoader, False) == outcome(text, ReferenceLoader, False)
    # libyaml and the pure-Python parser word their errors differently, but agree on the data.
    assert fast_c[0] == pure[0]
    if fast_c[0] == "ok":
        assert fast_c == pure


def test_yaml12_meanings():
    data = yaml12.load("a: no\nb: on\nc: 010\nd: 2026-11-02\ne: 0o17\nf: 1_000\ng: ~\nh: True\ni: 18:00\n")
    assert data == {"a": "no", "b": "on", "c": 10, "d": "2026-11-02", "e": 15, "f": "1_000", "g": None,
                    "h": True, "i": "18:00"}
    assert yaml12.load("a: no\n", yaml12.PureLoader, fast=False) == {"a": "no"}


# -- schemas -----------------------------------------------------------------------------------------

MINIMAL = {
    "program": {"schema_version": 1, "program": {"id": "riverside", "name": "Riverside", "timezone": "America/Chicago",
                                                 "phone": "+1 555 0100"},
                "closures": [{"date": "2026-11-26", "reason": "Thanksgiving"}],
                "staff": [{"id": "mrivera", "name": "Maria Rivera"}],
                "tracks": [{"id": "adult-evening", "name": "Adult Evening", "population": "adult",
                            "level_of_care": "2.1", "weeks": 10,
                            "sessions": [{"id": "process-group", "title": "Process Group", "kind": "group",
                                          "days": ["mon", "wed", "thu"], "start": "18:00", "minutes": 180,
                                          "facilitator": "mrivera"}]}],
                "resources": [{"id": "aa", "name": "AA", "kind": "support-group", "url": "https://example.org/aa"}]},
    "participant": {"schema_version": 1, "id": "P0001", "preferred_name": "Alex", "date_of_birth": "1988-04-12",
                    "status": "active", "admitted": "2026-11-02", "track": "adult-evening",
                    "primary_counselor": "mrivera",
                    "supports": [{"id": "sam", "name": "Sam", "relationship": "spouse",
                                  "involvement": ["family-sessions"], "consent": {"signed": "2026-11-02"}}]},
    "plan": {"schema_version": 1, "participant": "P0001", "start": "2026-11-02",
             "signed": {"participant": "2026-11-04", "staff": [{"id": "mrivera", "date": "2026-11-04"}]},
             "problems": [{"id": "1", "statement": "Drinks daily", "goals": [
                 {"id": "1.1", "statement": "Stay sober",
                  "objectives": [{"id": "1.1.1", "statement": "Meetings", "measure": "log", "target_date": "2026-12-15"}],
                  "interventions": [{"modality": "CBT", "description": "Group", "frequency": "weekly"}]}]}]},
    "progress": {"schema_version": 1, "participant": "P0001",
                 "assessments": [{"date": "2026-11-02", "instrument": "PHQ-9", "score": 12,
                                  "items": [2, 2, 2, 1, 1, 1, 1, 1, 1]}],
                 "objective_updates": [{"date": "2026-11-20", "objective": "1.1.1", "status": "in-progress"}]},
    "session": {"schema_version": 1, "date": "2026-11-02", "session": "adult-evening/process-group",
                "status": "held", "attendance": {"P0001": "present", "P0002": {"status": "late", "minutes": 150}}},
}
FOLDER = {"participant": "participants", "plan": "plans", "progress": "progress"}


def leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, path + (i,))
    yield path


def inject(doc: dict, draw) -> dict:
    """Up to three mistakes: a value replaced by a tricky token, a key dropped, a typo'd key."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(0, 3))):
        paths = [p for p in leaves(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["token", "token", "drop", "typo"]))
        if action == "token":
            parent[path[-1]] = Raw(draw(st.sampled_from(TOKENS)))
        elif action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "typo" and isinstance(parent, dict):
            parent[str(path[-1]) + "d"] = parent.pop(path[-1])
    return doc


def text_of(doc: dict) -> str:
    return "\n".join(emit(doc)) + "\n"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(MINIMAL)), st.data())
def test_fast_schema_check_gives_jsonschemas_findings(kind, data):
    text = text_of(inject(MINIMAL[kind], data.draw))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "record.yaml"
        path.write_text(text, encoding="utf-8")
        doc = loader.read_document(path, "record.yaml", kind)
        if doc.findings:
            return  # did not parse: no schema check on any path
        fast = schemas.check_schema(doc, fast=True)
        plain = schemas.check_schema(doc, fast=False)
        event(f"schema findings: {bool(plain)}")
    assert fast == plain
    if schemas.fast_valid(kind, doc.data):  # the fast validator only ever says "valid" when it is
        assert plain == []


@pytest.mark.parametrize("kind,path,value", [
    ("program", ("resources", 0, "url"), "http://a\x1c"),  # Rust's \S takes U+001C, Python's does not
    ("program", ("resources", 0, "url"), "http://a\x85"),
    ("participant", ("admitted",), "0000-01-01"),  # a date to jsonschema-rs, not to Python
    ("participant", ("admitted",), "2026-02-30"),
    ("session", ("attendance",), {1: "present"}),  # not plain JSON: jsonschema-rs refuses it
])
def test_where_the_validators_differ_jsonschema_decides(kind, path, value):
    doc = copy.deepcopy(MINIMAL[kind])
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    assert not schemas.fast_valid(kind, doc)
    assert not schemas.validator(kind).is_valid(doc)


def test_python_whitespace_is_spelled_out_exactly():
    assert schemas.PY_WHITESPACE == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.match(r"\s", c))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet="0123456789-T:Z +\n٣", max_size=12), st.dates().map(str)))
def test_date_format_is_jsonschemas(text):
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert schemas.is_date(text) == checker.conforms(text, "date")


# -- whole repositories -------------------------------------------------------------------------------


# Mistakes that pass the schemas and leave it to the rules: (file, path, value).
SEMANTIC_FAULTS = [
    ("participants/P0001.yaml", ("track",), "adult-evenin"),  # IOP010 with a did-you-mean
    ("participants/P0002.yaml", ("id",), "P0001"),  # IOP003, and a second P0001
    ("participants/P0002.yaml", ("admitted",), "1980-01-01"),  # IOP011 before the date of birth
    ("participants/P0001.yaml", ("status",), "referred"),  # IOP012 referred but admitted
    ("plans/P0001.yaml", ("start",), "2026-10-01"),  # IOP011 plan before admission
    ("plans/P0002.yaml", ("signed",), {}),  # IOP040
    ("progress/P0001.yaml", ("assessments", 0, "score"), 30),  # IOP030
    ("progress/P0002.yaml", ("objective_updates", 0, "objective"), "9.9.9"),  # IOP010
    ("sessions/2026-11/2026-11-04-process-group.yaml", ("date",), "2026-11-02"),  # IOP004 and IOP003
    ("sessions/2026-11/2026-11-02-process-group.yaml", ("attendance", "P0001"), {"status": "late", "minutes": 500}),
    ("program.yaml", ("tracks", 0, "sessions", 0, "minutes"), 600),  # IOP020 hours above the ceiling
    ("program.yaml", ("closures", 0, "date"), "2026-11-04"),  # IOP022 a closure in a week
]


def write_repo(root: Path, draw) -> None:
    docs = {"program.yaml": ("program", MINIMAL["program"])}
    for pid in ("P0001", "P0002"):
        for kind in ("participant", "plan", "progress"):
            doc = copy.deepcopy(MINIMAL[kind])
            doc["id" if kind == "participant" else "participant"] = pid
            docs[f"{FOLDER[kind]}/{pid}.yaml"] = (kind, doc)
    docs["sessions/2026-11/2026-11-02-process-group.yaml"] = ("session", MINIMAL["session"])
    docs["sessions/2026-11/2026-11-04-process-group.yaml"] = ("session", dict(MINIMAL["session"], date="2026-11-04"))
    faulty = draw(st.lists(st.sampled_from(sorted(docs)), max_size=3))
    for rel, path, value in draw(st.lists(st.sampled_from(SEMANTIC_FAULTS), max_size=3)):
        kind, node = docs[rel][0], copy.deepcopy(docs[rel][1])
        docs[rel] = (kind, node)
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    for rel, (kind, doc) in docs.items():
        if rel in faulty:
            doc = inject(doc, draw)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text_of(doc), encoding="utf-8")


def findings(root: Path, **kw) -> list[str]:
    return [f.as_text() for f in validate(root, as_of=AS_OF, **kw).findings]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_path_gives_the_same_findings(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "records"
        write_repo(root, data.draw)
        reference = findings(root, jobs=1)
        event(f"codes found: {sorted({f.split()[1] for f in reference}) or 'none'}")
        assert findings(root, jobs=2) == reference  # worker processes
        store = Path(tmp) / "cache"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(cache.ENV_DIR, str(store))
            assert findings(root, jobs=1, cache=True) == reference  # cold cache
            assert findings(root, jobs=1, cache=True) == reference  # warm: the whole result
            (root / "plans" / "P0002.yaml").write_text((root / "plans" / "P0002.yaml").read_text() + "# edited\n")
            assert findings(root, jobs=2, cache=True) == reference  # per-file entries and one re-check
        with pytest.MonkeyPatch.context() as mp:  # the plain way: pure-Python YAML, full constructor, jsonschema
            plain_load = yaml12.load
            mp.setattr(yaml12, "load", lambda text, fast=True: plain_load(text, yaml12.PureLoader, fast=False))
            mp.setattr(schemas, "fast_valid", lambda kind, data: False)
            assert findings(root, jobs=1) == reference


def test_parallel_loading_keeps_the_order_and_the_documents(tmp_path):
    (tmp_path / "participants").mkdir()
    (tmp_path / "program.yaml").write_text(text_of(MINIMAL["program"]))
    for i in range(40):
        doc = dict(MINIMAL["participant"], id=f"P{i:04d}")
        (tmp_path / "participants" / f"P{i:04d}.yaml").write_text(text_of(doc))
    (tmp_path / "participants" / "P0007.yaml").write_text("id: [unclosed\n")
    serial = records.load(tmp_path, jobs=1)
    parallel = records.load(tmp_path, jobs=2)
    assert [d.rel for d in parallel.documents] == [d.rel for d in serial.documents]
    assert [d.data for d in parallel.documents] == [d.data for d in serial.documents]
    assert parallel.findings == serial.findings
    assert sorted(parallel.records.participants) == sorted(serial.records.participants)


def test_a_worker_that_dies_does_not_lose_files(tmp_path, monkeypatch):
    """libyaml can crash a process on pathological nesting: the files of a dead worker are
    checked in the parent instead, not lost and not waited for."""
    import os

    (tmp_path / "participants").mkdir()
    (tmp_path / "program.yaml").write_text(text_of(MINIMAL["program"]))
    for i in range(30):
        (tmp_path / "participants" / f"P{i:04d}.yaml").write_text(text_of(dict(MINIMAL["participant"], id=f"P{i:04d}")))
    serial = records.load(tmp_path, jobs=1)
    parent, real = os.getpid(), records.check_file

    def crashing(path, rel, kind):
        if os.getpid() != parent and rel == "participants/P0012.yaml":
            os._exit(139)
        return real(path, rel, kind)

    monkeypatch.setattr(records, "check_file", crashing)
    survived = records.load(tmp_path, jobs=2)
    assert [d.data for d in survived.documents] == [d.data for d in serial.documents]
    assert survived.findings == serial.findings
