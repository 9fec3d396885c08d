"""A second, independent validator (jsonschema-rs, written in Rust) reaches the same verdicts."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema_rs
import pytest

from iopctl import repo, schemas, yaml12

SAMPLE = Path(__file__).resolve().parent.parent / "sample_records"


def third_party(kind: str):
    return jsonschema_rs.validator_for(json.loads(schemas.schema_text(kind)), validate_formats=True)


def sample_files():
    return [f for f in repo.list_records(SAMPLE) if f.kind]


def test_every_schema_passes_the_metaschema():
    for kind in schemas.KINDS:
        assert jsonschema_rs.meta.is_valid(json.loads(schemas.schema_text(kind))), kind


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_same_verdict_on_every_sample_record(kind):
    files = [f for f in sample_files() if f.kind == kind]
    assert files
    other = third_party(kind)
    for f in files:
        data = yaml12.load(f.path.read_text(encoding="utf-8"))
        assert other.is_valid(data) is True, f.rel
        assert schemas.is_valid(kind, data) is True, f.rel


def _mutations(data: dict):
    """Broken copies of a valid participant, each with one schema violation."""
    for key, value in [("admited", "2026-11-02"), ("status", "gone"), ("date_of_birth", "2026-02-30"),
                       ("id", "../P1"), ("language", 7), ("schema_version", 2)]:
        broken = copy.deepcopy(data)
        broken[key] = value
        yield key, broken
    broken = copy.deepcopy(data)
    del broken["preferred_name"]
    yield "no preferred_name", broken


def test_same_verdict_on_broken_records():
    data = yaml12.load((SAMPLE / "participants" / "P0002.yaml").read_text(encoding="utf-8"))
    other = third_party("participant")
    for name, broken in _mutations(data):
        assert other.is_valid(broken) is False, name
        assert schemas.is_valid("participant", broken) is False, name
