"""The JSON Schemas in schemas/ are the machine form of records.md.

Documents are written inline as the loader hands them over: plain JSON
types, dates and times as strings.
"""
import copy
import datetime
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).parent.parent / "schemas"
KINDS = ("program", "participant", "plan", "progress", "session")


def load_schema(kind):
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


def validator(kind):
    return Draft202012Validator(load_schema(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(kind, doc):
    """(keyword, path) of every error, in a stable order."""
    found = [(e.validator, list(e.absolute_path)) for e in validator(kind).iter_errors(doc)]
    return sorted(found, key=lambda item: (item[0], [str(p) for p in item[1]]))


def changed(doc, path, value=None, *, delete=False):
    """A deep copy of doc with the value at path (a list of keys and indexes) replaced or deleted."""
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def walk(node, path=()):
    """Every (path, subschema) in a schema."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, path + (i,))


# ---------------------------------------------------------------- minimal documents

MINIMAL = {
    "program": {
        "schema_version": 1,
        "program": {"id": "riverside", "name": "Riverside Recovery IOP", "timezone": "America/Chicago"},
        "staff": [{"id": "mrivera", "name": "Maria Rivera"}],
        "tracks": [
            {
                "id": "adult-evening",
                "name": "Adult Evening IOP",
                "population": "adult",
                "level_of_care": "2.1",
                "weeks": 10,
                "sessions": [
                    {
                        "id": "process-group",
                        "title": "Process Group",
                        "kind": "group",
                        "days": ["mon", "wed", "thu"],
                        "start": "18:00",
                        "minutes": 180,
                    }
                ],
            }
        ],
    },
    "participant": {
        "schema_version": 1,
        "id": "P0001",
        "preferred_name": "Alex",
        "date_of_birth": "1988-04-12",
        "status": "active",
        "admitted": "2026-11-02",
        "track": "adult-evening",
    },
    "plan": {
        "schema_version": 1,
        "participant": "P0001",
        "start": "2026-11-02",
        "problems": [
            {
                "id": "1",
                "statement": "Drinks daily to cope with stress at work",
                "goals": [
                    {
                        "id": "1.1",
                        "statement": "Stay alcohol-free",
                        "objectives": [
                            {
                                "id": "1.1.1",
                                "statement": "Attend three peer support meetings a week",
                                "measure": "meetings attended, from the weekly log",
                                "target_date": "2026-12-15",
                            }
                        ],
                        "interventions": [{"modality": "CBT", "frequency": "3 times a week"}],
                    }
                ],
            }
        ],
    },
    "progress": {"schema_version": 1, "participant": "P0001"},
    "session": {
        "schema_version": 1,
        "date": "2026-11-23",
        "session": "adult-evening/process-group",
        "status": "held",
        "attendance": {"P0001": "present"},
    },
}

# The examples of records.md, field for field ("..." replaced by text).
FULL = {
    "program": {
        "schema_version": 1,
        "program": {
            "id": "riverside",
            "name": "Riverside Recovery IOP",
            "timezone": "America/Chicago",
            "phone": "+1 555 0100",
            "address": "12 River St, Springfield",
            "crisis_lines": [{"name": "988 Suicide & Crisis Lifeline", "phone": "988", "text": "988"}],
        },
        "rules": {"plan_review_days": 30, "followup_within_days": 7, "absence_alert_after": 2},
        "holidays": {"country": "US", "subdivision": "IL"},
        "closures": [
            {"date": "2026-11-26", "reason": "Thanksgiving"},
            {"start": "2026-12-24", "end": "2026-12-26", "reason": "Winter break"},
        ],
        "staff": [{"id": "mrivera", "name": "Maria Rivera", "role": "counselor", "credentials": "LCSW"}],
        "tracks": [
            {
                "id": "adult-evening",
                "name": "Adult Evening IOP",
                "population": "adult",
                "level_of_care": "2.1",
                "weeks": 10,
                "sessions": [
                    {
                        "id": "process-group",
                        "title": "Process Group",
                        "kind": "group",
                        "modality": "CBT",
                        "days": ["mon", "wed", "thu"],
                        "start": "18:00",
                        "minutes": 180,
                        "every_weeks": 1,
                        "location": "Room 2",
                        "facilitator": "mrivera",
                    }
                ],
            }
        ],
        "resources": [
            {
                "id": "aa-central",
                "name": "Central AA Meetings",
                "kind": "support-group",
                "phone": "+1 555 0142",
                "url": "https://example.org/meetings",
                "address": "40 Main St",
                "hours": "Daily 7pm",
                "languages": ["en", "es"],
            }
        ],
    },
    "participant": {
        "schema_version": 1,
        "id": "P0001",
        "preferred_name": "Alex",
        "pronouns": "they/them",
        "date_of_birth": "1988-04-12",
        "language": "en",
        "status": "discharged",
        "admitted": "2026-11-02",
        "discharged": "2027-01-09",
        "discharge_reason": "completed",
        "track": "adult-evening",
        "primary_counselor": "mrivera",
        "diagnoses": [{"code": "F10.20", "description": "Alcohol use disorder, moderate", "primary": True}],
        "strengths": ["steady job", "supportive sister"],
        "needs": ["sleep routine", "transport on Thursdays"],
        "cultural_considerations": {
            "interpreter": False,
            "faith": "Catholic",
            "preferences": ["prefers female facilitators"],
            "notes": "Works late on Tuesdays",
        },
        "supports": [
            {
                "id": "sam",
                "name": "Sam",
                "relationship": "spouse",
                "phone": "+1 555 0177",
                "involvement": ["family-sessions", "emergency-contact"],
                "consent": {"signed": "2026-11-02", "expires": "2027-11-02"},
            }
        ],
        "safety_plan": {
            "warning_signs": ["skipping meals"],
            "coping_strategies": ["walk the dog"],
            "social_distractions": ["coffee with Sam"],
            "people_to_ask": ["sam", "my sister"],
            "professionals": [{"name": "Dr. Lee", "phone": "+1 555 0133"}],
            "means_safety": ["no alcohol at home"],
        },
        "medications": [{"name": "naltrexone", "dose": "50 mg", "schedule": "daily", "prescriber": "Dr. Lee"}],
    },
    "plan": {
        "schema_version": 1,
        "participant": "P0001",
        "start": "2026-11-02",
        "weeks": 10,
        "track": "adult-evening",
        "signed": {"participant": "2026-11-04", "staff": [{"id": "mrivera", "date": "2026-11-04"}]},
        "reviews": [{"date": "2026-12-02", "by": "mrivera", "summary": "Goals on track; added family session."}],
        "extra_sessions": [
            {
                "id": "individual",
                "title": "Individual counselling",
                "kind": "individual",
                "modality": "MI",
                "days": ["tue"],
                "start": "17:00",
                "minutes": 50,
                "facilitator": "mrivera",
            }
        ],
        "skip_sessions": ["process-group"],
        "problems": [
            {
                "id": "1",
                "statement": "Drinks daily to cope with stress at work",
                "asam_dimension": 5,
                "goals": [
                    {
                        "id": "1.1",
                        "statement": "Stay alcohol-free",
                        "objectives": [
                            {
                                "id": "1.1.1",
                                "statement": "Attend three peer support meetings a week",
                                "measure": "meetings attended, from the weekly log",
                                "target_date": "2026-12-15",
                            }
                        ],
                        "interventions": [
                            {
                                "modality": "CBT",
                                "description": "Trigger mapping in group",
                                "frequency": "3 times a week",
                                "staff": "mrivera",
                            }
                        ],
                    }
                ],
            }
        ],
        "adjustments": [
            {
                "date": "2026-11-20",
                "by": "mrivera",
                "change": "Added weekly MI session",
                "reason": "Ambivalence about abstinence",
            }
        ],
        "aftercare": {
            "discharge_target": "2027-01-09",
            "step_down": {"level_of_care": "1", "provider": "Springfield Counselling"},
            "gains": ["60 days alcohol-free"],
            "support_needs": ["evening structure"],
            "follow_ups": [
                {
                    "date": "2027-01-12",
                    "time": "10:00",
                    "with": "Dr. Lee",
                    "kind": "psychiatry",
                    "phone": "+1 555 0133",
                    "address": "9 Elm St",
                }
            ],
            "resources": ["aa-central"],
            "relapse_prevention": {
                "triggers": ["work deadlines"],
                "warning_signs": ["skipping meetings"],
                "coping_strategies": ["call sponsor"],
                "people_to_call": ["Sam"],
            },
            "medications": ["naltrexone 50 mg daily, refills from Dr. Lee"],
            "if_symptoms_return": ["call 988", "call Dr. Lee"],
        },
    },
    "progress": {
        "schema_version": 1,
        "participant": "P0001",
        "assessments": [
            {"date": "2026-11-02", "instrument": "PHQ-9", "score": 16, "items": [2, 2, 2, 2, 2, 2, 2, 1, 1]},
            {"date": "2026-11-02", "instrument": "GAD-7", "score": 12},
        ],
        "objective_updates": [
            {"date": "2026-11-20", "objective": "1.1.1", "status": "in-progress", "note": "2 of 3 meetings"}
        ],
        "milestones": [{"date": "2026-12-02", "title": "30 days alcohol-free"}],
        "screens": [{"date": "2026-11-09", "kind": "urine-drug-screen", "result": "negative"}],
    },
    "session": {
        "schema_version": 1,
        "date": "2026-11-23",
        "session": "adult-evening/process-group",
        "status": "held",
        "start": "18:00",
        "minutes": 180,
        "facilitator": "mrivera",
        "topic": "Coping with holiday stress",
        "attendance": {
            "P0001": "present",
            "P0002": {"status": "late", "minutes": 150},
            "P0003": "excused",
            "P0004": "absent",
        },
    },
}


# ---------------------------------------------------------------- the schemas themselves


@pytest.mark.parametrize("kind", KINDS)
def test_schema_passes_the_metaschema(kind):
    Draft202012Validator.check_schema(load_schema(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_schema_header(kind):
    schema = load_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://iopctl.example/schemas/{kind}.schema.json"
    assert schema["title"]
    assert schema["description"]
    assert schema["properties"]["schema_version"]["const"] == 1


@pytest.mark.parametrize("kind", KINDS)
def test_every_object_is_closed(kind):
    for path, node in walk(load_schema(kind)):
        if node.get("type") == "object" or "properties" in node:
            if path[-1:] == ("if",):
                continue  # a condition (if: status is ...), not an object definition
            assert "additionalProperties" in node, f"{kind}: open object at {'/'.join(map(str, path))}"
            if "properties" in node:
                assert node["additionalProperties"] is False, f"{kind}: open object at {'/'.join(map(str, path))}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_has_a_description(kind):
    for path, node in walk(load_schema(kind)):
        if path[-1:] == ("properties",) and path[-2:-1] != ("if",):
            for name, field in node.items():
                assert field.get("description"), f"{kind}: {'/'.join(map(str, path))}/{name} has no description"


@pytest.mark.parametrize("kind", KINDS)
def test_no_reference_leaves_the_file(kind):
    for _path, node in walk(load_schema(kind)):
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/$defs/"), ref


# ---------------------------------------------------------------- valid documents


@pytest.mark.parametrize("kind", KINDS)
def test_minimal_document_is_valid(kind):
    assert errors(kind, MINIMAL[kind]) == []


@pytest.mark.parametrize("kind", KINDS)
def test_records_md_example_is_valid(kind):
    assert errors(kind, FULL[kind]) == []


def test_referred_participant_needs_no_admission_date():
    doc = changed(MINIMAL["participant"], ["status"], "referred")
    doc = changed(doc, ["admitted"], delete=True)
    assert errors("participant", doc) == []


def test_active_with_a_discharge_date_is_left_to_iop012():
    doc = changed(MINIMAL["participant"], ["discharged"], "2027-01-09")
    assert errors("participant", doc) == []


def test_discharge_reason_is_optional():
    doc = changed(FULL["participant"], ["discharge_reason"], delete=True)
    assert errors("participant", doc) == []


def test_cancelled_session_needs_no_attendance():
    doc = changed(MINIMAL["session"], ["status"], "cancelled")
    doc = changed(doc, ["attendance"], delete=True)
    assert errors("session", doc) == []


@pytest.mark.parametrize("level", ["0.5", "1", "1.5", "1.7", "2.1", "2.5", "2.7", "3.1", "3.5", "3.7", "4"])
def test_asam_levels_are_accepted(level):
    doc = changed(MINIMAL["program"], ["tracks", 0, "level_of_care"], level)
    assert errors("program", doc) == []


@pytest.mark.parametrize("code", ["F10.20", "F11", "F32.A", "Z71.41", "F43.10"])
def test_icd10cm_codes_are_accepted(code):
    doc = changed(MINIMAL["participant"], ["diagnoses"], [{"code": code}])
    assert errors("participant", doc) == []


@pytest.mark.parametrize("tag", ["en", "es", "pt-BR", "zh-Hant", "fil"])
def test_language_tags_are_accepted(tag):
    assert errors("participant", changed(MINIMAL["participant"], ["language"], tag)) == []


# ---------------------------------------------------------------- invalid documents

P, S, G = ["problems", 0], ["tracks", 0, "sessions", 0], ["problems", 0, "goals", 0]

INVALID = [
    # (name, kind, path to change, new value (None with delete), delete, expected [(keyword, error path)])
    ("misspelt key in a nested object", "program", S + ["facilitatr"], "mrivera", False,
     [("additionalProperties", S)]),
    ("discharged without a discharge date", "participant", ["status"], "discharged", False,
     [("required", [])]),
    ("withdrawn without a discharge date", "participant", ["status"], "withdrawn", False,
     [("required", [])]),
    ("active without an admission date", "participant", ["admitted"], None, True,
     [("required", [])]),
    ("held session without attendance", "session", ["attendance"], None, True,
     [("required", [])]),
    ("impossible date", "participant", ["admitted"], "2026-02-30", False,
     [("format", ["admitted"])]),
    ("date object instead of a string", "participant", ["admitted"], datetime.date(2026, 11, 2), False,
     [("type", ["admitted"])]),
    ("hour 25", "program", S + ["start"], "25:00", False,
     [("pattern", S + ["start"])]),
    ("time given as minutes past midnight", "program", S + ["start"], 1080, False,
     [("type", S + ["start"])]),
    ("interpreter as a string", "participant", ["cultural_considerations"], {"interpreter": "no"}, False,
     [("type", ["cultural_considerations", "interpreter"])]),
    ("id that climbs out of its folder", "participant", ["id"], "../P0001", False,
     [("pattern", ["id"])]),
    ("session reference with ..", "session", ["session"], "../adult-evening", False,
     [("pattern", ["session"])]),
    ("schema version 2", "progress", ["schema_version"], 2, False,
     [("const", ["schema_version"])]),
    ("level of care as a number", "program", ["tracks", 0, "level_of_care"], 2.1, False,
     [("type", ["tracks", 0, "level_of_care"])]),
    ("unknown level of care", "program", ["tracks", 0, "level_of_care"], "2.2", False,
     [("enum", ["tracks", 0, "level_of_care"])]),
    ("no tracks", "program", ["tracks"], [], False,
     [("minItems", ["tracks"])]),
    ("no staff", "program", ["staff"], [], False,
     [("minItems", ["staff"])]),
    ("session too short", "program", S + ["minutes"], 10, False,
     [("minimum", S + ["minutes"])]),
    ("every_weeks 5", "program", S + ["every_weeks"], 5, False,
     [("maximum", S + ["every_weeks"])]),
    ("weekday spelt out", "program", S + ["days"], ["monday"], False,
     [("enum", S + ["days", 0])]),
    ("empty track name", "program", ["tracks", 0, "name"], "", False,
     [("minLength", ["tracks", 0, "name"])]),
    ("phone as a number", "program", ["program", "phone"], 5550100, False,
     [("type", ["program", "phone"])]),
    ("closure with neither date nor start/end", "program", ["closures"], [{"reason": "Snow"}], False,
     [("oneOf", ["closures", 0])]),
    ("closure with date and start", "program", ["closures"],
     [{"date": "2026-11-26", "start": "2026-11-26", "reason": "Snow"}], False,
     [("oneOf", ["closures", 0])]),
    ("closure with start and no end", "program", ["closures"], [{"start": "2026-12-24"}], False,
     [("oneOf", ["closures", 0])]),
    ("holiday country in lower case", "program", ["holidays"], {"country": "us"}, False,
     [("pattern", ["holidays", "country"])]),
    ("staff member without a name", "program", ["staff"], [{"id": "mrivera"}], False,
     [("required", ["staff", 0])]),
    ("holidays without a country", "program", ["holidays"], {"subdivision": "IL"}, False,
     [("required", ["holidays"])]),
    ("diagnosis without a code", "participant", ["diagnoses"], [{"description": "AUD"}], False,
     [("required", ["diagnoses", 0])]),
    ("every_weeks anchor that is not a date", "program", ["tracks", 0, "sessions", 0, "starts"], "soon", False,
     [("format", ["tracks", 0, "sessions", 0, "starts"]), ("pattern", ["tracks", 0, "sessions", 0, "starts"])]),
    ("review days 0", "program", ["rules"], {"plan_review_days": 0}, False,
     [("minimum", ["rules", "plan_review_days"])]),
    ("unknown rule", "program", ["rules"], {"plan_review_dayz": 30}, False,
     [("additionalProperties", ["rules"])]),
    ("bad ICD-10-CM code", "participant", ["diagnoses"], [{"code": "F1020"}], False,
     [("pattern", ["diagnoses", 0, "code"])]),
    ("ICD-10-CM code starting with U", "participant", ["diagnoses"], [{"code": "U07.1"}], False,
     [("pattern", ["diagnoses", 0, "code"])]),
    ("unknown involvement", "participant", ["supports"],
     [{"id": "sam", "name": "Sam", "relationship": "spouse", "involvement": ["driver"]}], False,
     [("enum", ["supports", 0, "involvement", 0])]),
    ("consent without a signature date", "participant", ["supports"],
     [{"id": "sam", "name": "Sam", "relationship": "spouse", "consent": {"expires": "2027-11-02"}}], False,
     [("required", ["supports", 0, "consent"])]),
    ("professional without a name", "participant", ["safety_plan"], {"professionals": [{"phone": "988"}]}, False,
     [("required", ["safety_plan", "professionals", 0])]),
    ("language in capitals", "participant", ["language"], "EN", False,
     [("pattern", ["language"])]),
    ("unknown status", "participant", ["status"], "inactive", False,
     [("enum", ["status"])]),
    ("plan without problems", "plan", ["problems"], [], False,
     [("minItems", ["problems"])]),
    ("goal without interventions", "plan", G + ["interventions"], [], False,
     [("minItems", G + ["interventions"])]),
    ("objective without a target date", "plan", G + ["objectives", 0, "target_date"], None, True,
     [("required", G + ["objectives", 0])]),
    ("objective id as a number", "plan", G + ["objectives", 0, "id"], 1.1, False,
     [("type", G + ["objectives", 0, "id"])]),
    ("ASAM dimension 7", "plan", P + ["asam_dimension"], 7, False,
     [("maximum", P + ["asam_dimension"])]),
    ("review without a reviewer", "plan", ["reviews"], [{"date": "2026-12-02"}], False,
     [("required", ["reviews", 0])]),
    ("follow-up without whom", "plan", ["aftercare"], {"follow_ups": [{"date": "2027-01-12"}]}, False,
     [("required", ["aftercare", "follow_ups", 0])]),
    ("extra session without minutes", "plan", ["extra_sessions"],
     [{"id": "individual", "title": "Individual", "kind": "individual", "days": ["tue"], "start": "17:00"}],
     False, [("required", ["extra_sessions", 0])]),
    ("unknown instrument", "progress", ["assessments"],
     [{"date": "2026-11-02", "instrument": "PHQ9", "score": 3}], False,
     [("enum", ["assessments", 0, "instrument"])]),
    ("negative score", "progress", ["assessments"],
     [{"date": "2026-11-02", "instrument": "PHQ-9", "score": -1}], False,
     [("minimum", ["assessments", 0, "score"])]),
    ("item score as text", "progress", ["assessments"],
     [{"date": "2026-11-02", "instrument": "GAD-7", "score": 1, "items": ["1"]}], False,
     [("type", ["assessments", 0, "items", 0])]),
    ("unknown objective status", "progress", ["objective_updates"],
     [{"date": "2026-11-20", "objective": "1.1.1", "status": "done"}], False,
     [("enum", ["objective_updates", 0, "status"])]),
    ("screen without a result", "progress", ["screens"],
     [{"date": "2026-11-09", "kind": "urine-drug-screen"}], False,
     [("required", ["screens", 0])]),
    ("unknown attendance status", "session", ["attendance"], {"P0001": "presnt"}, False,
     [("enum", ["attendance", "P0001"])]),
    ("attendance for a bad id", "session", ["attendance"], {"../P0001": "present"}, False,
     [("pattern", ["attendance"])]),
    ("attendance details without a status", "session", ["attendance"], {"P0001": {"minutes": 90}}, False,
     [("required", ["attendance", "P0001"])]),
    ("attendance details with a typo", "session", ["attendance"],
     {"P0001": {"status": "late", "minuts": 90}}, False,
     [("additionalProperties", ["attendance", "P0001"])]),
    ("attendance minutes above 600", "session", ["attendance"],
     {"P0001": {"status": "late", "minutes": 601}}, False,
     [("maximum", ["attendance", "P0001", "minutes"])]),
    ("attendance as a boolean", "session", ["attendance"], {"P0001": True}, False,
     [("type", ["attendance", "P0001"])]),
    ("unknown session status", "session", ["status"], "postponed", False,
     [("enum", ["status"])]),
]


@pytest.mark.parametrize(
    "kind, path, value, delete, expected",
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_document_fails_with_the_expected_keyword(kind, path, value, delete, expected):
    doc = changed(MINIMAL[kind], path, value, delete=delete)
    assert errors(kind, doc) == expected


def test_misspelt_admitted_is_an_unknown_key():
    doc = changed(MINIMAL["participant"], ["admitted"], delete=True)
    doc["admited"] = "2026-11-02"
    # the typo, and (for an active participant) the date it was meant to be
    assert errors("participant", doc) == [("additionalProperties", []), ("required", [])]
    messages = [e.message for e in validator("participant").iter_errors(doc)]
    assert any("'admited' was unexpected" in m for m in messages)


def test_misspelt_optional_key_is_one_error():
    doc = changed(MINIMAL["participant"], ["pronoun"], "they/them")
    assert errors("participant", doc) == [("additionalProperties", [])]


def test_impossible_dates_need_format_checking_switched_on():
    """format is an annotation unless a format checker is given: the loader must pass one."""
    doc = changed(MINIMAL["participant"], ["admitted"], "2026-02-30")
    assert list(Draft202012Validator(load_schema("participant")).iter_errors(doc)) == []
    assert errors("participant", doc) == [("format", ["admitted"])]
