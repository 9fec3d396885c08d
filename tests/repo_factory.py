"""A small valid records repository, written into a temporary folder, for rule and CLI tests.

`base_records()` returns the documents as plain data; a test changes what it
needs and `write_repo()` writes them as YAML. The base repository validates
with no findings at all.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml


def base_records() -> dict[str, Any]:
    program = {
        "schema_version": 1,
        "program": {"id": "testiop", "name": "Test IOP", "timezone": "America/Chicago", "phone": "+1 555 0100"},
        "rules": {"plan_review_days": 30, "followup_within_days": 7, "absence_alert_after": 2},
        "staff": [
            {"id": "mrivera", "name": "Maria Rivera", "role": "counselor"},
            {"id": "jchen", "name": "Jo Chen", "role": "therapist"},
        ],
        "tracks": [
            {
                "id": "adult",
                "name": "Adult IOP",
                "population": "adult",
                "level_of_care": "2.1",
                "weeks": 10,
                "sessions": [
                    {"id": "group", "title": "Process Group", "kind": "group", "days": ["mon", "wed", "thu"],
                     "start": "18:00", "minutes": 180, "facilitator": "mrivera"},
                    {"id": "family", "title": "Family Group", "kind": "family", "days": ["tue"],
                     "start": "18:00", "minutes": 60},
                ],
            }
        ],
        "resources": [{"id": "aa", "name": "AA Meetings", "kind": "support-group", "phone": "+1 555 0142"}],
    }
    participant = {
        "schema_version": 1,
        "id": "P0001",
        "preferred_name": "Alex",
        "date_of_birth": "1988-04-12",
        "status": "active",
        "admitted": "2026-11-02",
        "track": "adult",
        "primary_counselor": "mrivera",
        "supports": [
            {"id": "sam", "name": "Sam", "relationship": "spouse", "involvement": ["family-sessions"],
             "consent": {"signed": "2026-11-02", "expires": "2027-11-02"}},
        ],
    }
    plan = {
        "schema_version": 1,
        "participant": "P0001",
        "start": "2026-11-02",
        "signed": {"participant": "2026-11-02", "staff": [{"id": "mrivera", "date": "2026-11-02"}]},
        "problems": [
            {"id": "1", "statement": "Drinks daily", "goals": [
                {"id": "1.1", "statement": "Stay alcohol-free",
                 "objectives": [{"id": "1.1.1", "statement": "Attend three meetings a week",
                                 "measure": "meetings log", "target_date": "2026-12-15"}],
                 "interventions": [{"modality": "CBT", "description": "Trigger mapping",
                                    "frequency": "weekly", "staff": "mrivera"}]},
            ]},
        ],
        "aftercare": {"resources": ["aa"]},
    }
    progress = {
        "schema_version": 1,
        "participant": "P0001",
        "assessments": [
            {"date": "2026-11-02", "instrument": "PHQ-9", "score": 14, "items": [2, 2, 2, 2, 2, 1, 1, 2, 0]},
        ],
        "objective_updates": [{"date": "2026-11-09", "objective": "1.1.1", "status": "in-progress"}],
    }
    session = {
        "schema_version": 1,
        "date": "2026-11-02",
        "session": "adult/group",
        "status": "held",
        "facilitator": "mrivera",
        "attendance": {"P0001": "present"},
    }
    return {
        "program.yaml": program,
        "participants/P0001.yaml": participant,
        "plans/P0001.yaml": plan,
        "progress/P0001.yaml": progress,
        "sessions/2026-11/2026-11-02-adult-group.yaml": session,
    }


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1000)


def write_repo(root: Path, docs: dict[str, Any] | None = None, raw: dict[str, str | bytes] | None = None) -> Path:
    """Write documents (data, dumped as YAML) and raw files (text or bytes) under root."""
    docs = copy.deepcopy(base_records()) if docs is None else docs
    for rel, data in docs.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(data), encoding="utf-8")
    for rel, content in (raw or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
