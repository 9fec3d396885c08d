"""Generate the JSON Schemas in schemas/ (run: python tools/make_schemas.py), so shared definitions stay identical across files."""
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "schemas"
BASE = "https://iopctl.example/schemas/"
META = "https://json-schema.org/draft/2020-12/schema"

ID_RE = "[A-Za-z0-9][A-Za-z0-9_-]{0,39}"

DEFS = {
    "id": {
        "description": "An identifier: a letter or digit, then up to 39 letters, digits, '_' or '-'.",
        "type": "string",
        "pattern": f"^{ID_RE}$",
    },
    "item_id": {
        "description": "A problem, goal or objective id such as \"1\", \"1.1\" or \"1.1.1\" (quote it in YAML so it stays a string).",
        "type": "string",
        "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
    },
    "date": {
        "description": "A calendar date, YYYY-MM-DD.",
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        "format": "date",
    },
    "time": {
        "description": "A 24-hour local time \"HH:MM\", quoted in YAML, in the program's timezone.",
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
    },
    "weekday": {
        "description": "A day of the week.",
        "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    },
    "phone": {
        "description": "A phone number, as a quoted string (e.g. \"+1 555 0100\" or \"988\").",
        "type": "string",
        "minLength": 1,
    },
    "text": {
        "description": "Free text.",
        "type": "string",
    },
    "required_text": {
        "description": "Free text, not empty.",
        "type": "string",
        "minLength": 1,
    },
    "text_list": {
        "description": "A list of free-text entries.",
        "type": "array",
        "items": {"type": "string"},
    },
    "language": {
        "description": "A BCP 47 language tag such as en, es or pt-BR.",
        "type": "string",
        "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
    },
    "level_of_care": {
        "description": (
            "ASAM level of care, as a quoted string. iopctl's hour rules know \"1\", \"2.1\" and \"2.5\"; "
            "the other ASAM levels are accepted too, including the ASAM Criteria 4th edition levels "
            "\"1.5\", \"1.7\", \"2.7\", \"3.1\", \"3.5\", \"3.7\" and \"4\" (and \"0.5\")."
        ),
        "type": "string",
        "examples": ["1", "2.1", "2.5"],
        # enum under if/then so an unquoted 2.1 gives one error (type), not two (type and enum)
        "if": {"type": "string"},
        "then": {"enum": ["0.5", "1", "1.5", "1.7", "2.1", "2.5", "2.7", "3.1", "3.5", "3.7", "4"]},
    },
    "modality": {
        "description": "Therapeutic approach.",
        "enum": ["CBT", "DBT", "MI", "ACT", "EMDR", "TSF", "CM", "mindfulness", "yoga", "art", "other"],
    },
    "minutes": {
        "description": "Length in minutes, 15 to 600.",
        "type": "integer",
        "minimum": 15,
        "maximum": 600,
    },
    "session": {
        "description": "A weekly session in a timetable.",
        "type": "object",
        "required": ["id", "title", "kind", "days", "start", "minutes"],
        "properties": {
            "id": {"$ref": "#/$defs/id", "description": "Session id, unique within the track (or the plan's extra sessions)."},
            "title": {"$ref": "#/$defs/required_text", "description": "Title shown on calendars and handouts."},
            "kind": {
                "description": "Kind of session.",
                "enum": ["group", "individual", "family", "psychoeducation", "skills", "medication", "holistic"],
            },
            "modality": {"$ref": "#/$defs/modality", "description": "Therapeutic approach used in the session."},
            "days": {
                "description": "Weekdays the session is held on.",
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"$ref": "#/$defs/weekday"},
            },
            "start": {"$ref": "#/$defs/time", "description": "Start time, \"HH:MM\" (quoted)."},
            "minutes": {"$ref": "#/$defs/minutes", "description": "Length in minutes, 15 to 600."},
            "every_weeks": {
                "description": "1 = every week, 2 = every other week, up to 4.",
                "type": "integer",
                "minimum": 1,
                "maximum": 4,
                "default": 1,
            },
            "location": {"$ref": "#/$defs/text", "description": "Room or place."},
            "facilitator": {"$ref": "#/$defs/id", "description": "Staff id of the facilitator."},
            "starts": {
                "$ref": "#/$defs/date",
                "description": "Optional anchor for every_weeks: the session runs in this date's week and every every_weeks-th week from it. Default anchor: the week of 2024-01-01 for track sessions, plan week 1 for extra sessions.",
            },
        },
        "additionalProperties": False,
    },
}


def prop(ref, description, **extra):
    d = {"$ref": f"#/$defs/{ref}", "description": description}
    d.update(extra)
    return d


def obj(description, properties, required=(), **extra):
    d = {"description": description, "type": "object"}
    if required:
        d["required"] = list(required)
    d["properties"] = properties
    d["additionalProperties"] = False
    d.update(extra)
    return d


def arr(description, items, min_items=None, unique=False):
    d = {"description": description, "type": "array"}
    if min_items:
        d["minItems"] = min_items
    if unique:
        d["uniqueItems"] = True
    d["items"] = items
    return d


def text_list(description):
    return prop("text_list", description)


SCHEMA_VERSION = {"description": "Version of the record format; 1 for this schema.", "const": 1}


def used_defs(node, found=None):
    found = set() if found is None else found
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[len("#/$defs/"):]
            if name not in found:
                found.add(name)
                used_defs(DEFS[name], found)
        for v in node.values():
            used_defs(v, found)
    elif isinstance(node, list):
        for v in node:
            used_defs(v, found)
    return found


def document(kind, title, description, required, properties, **extra):
    body = {
        "$schema": META,
        "$id": f"{BASE}{kind}.schema.json",
        "title": title,
        "description": description,
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }
    body.update(extra)
    names = used_defs(body)
    body["$defs"] = {name: DEFS[name] for name in DEFS if name in names}
    return body


# ---------------------------------------------------------------- program
program = document(
    "program",
    "iopctl program",
    "program.yaml: the program, its tracks and weekly timetable, closures, staff and community resources (record format version 1).",
    ["schema_version", "program", "staff", "tracks"],
    {
        "schema_version": SCHEMA_VERSION,
        "program": obj(
            "The program itself.",
            {
                "id": prop("id", "Program id."),
                "name": prop("required_text", "Program name, shown on handouts."),
                "timezone": {
                    "description": "IANA timezone name, e.g. America/Chicago; all times are local to it.",
                    "type": "string",
                    "minLength": 1,
                    "pattern": "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
                },
                "phone": prop("phone", "Program phone number."),
                "address": prop("text", "Program address."),
                "crisis_lines": arr(
                    "Crisis lines shown on every handout; default: 988 Suicide & Crisis Lifeline.",
                    obj(
                        "A crisis line.",
                        {
                            "name": prop("text", "Name of the line."),
                            "phone": prop("phone", "Number to call."),
                            "text": prop("phone", "Number to text."),
                        },
                        ["name"],
                    ),
                ),
            },
            ["id", "name", "timezone"],
        ),
        "rules": obj(
            "Overrides of the defaults in rules.md.",
            {
                "plan_review_days": {
                    "description": "Days allowed between plan reviews (default 30).",
                    "type": "integer", "minimum": 1, "maximum": 365,
                },
                "followup_within_days": {
                    "description": "Days after discharge within which the first aftercare appointment must fall (default 7).",
                    "type": "integer", "minimum": 1, "maximum": 90,
                },
                "absence_alert_after": {
                    "description": "Consecutive absences that raise an alert (default 2).",
                    "type": "integer", "minimum": 1, "maximum": 20,
                },
            },
        ),
        "holidays": obj(
            "Public holidays of this country (and subdivision) are closures.",
            {
                "country": {
                    "description": "ISO 3166-1 alpha-2 country code, e.g. US.",
                    "type": "string",
                    "pattern": "^[A-Z]{2}$",
                },
                "subdivision": prop("text", "Subdivision (state, province) code, e.g. IL."),
            },
            ["country"],
        ),
        "closures": arr(
            "Days with no sessions: give either date, or start and end.",
            obj(
                "A closure: either one date, or a start and end date (inclusive).",
                {
                    "date": prop("date", "The day closed (use instead of start/end)."),
                    "start": prop("date", "First day closed (with end)."),
                    "end": prop("date", "Last day closed, inclusive (with start)."),
                    "reason": prop("text", "Why the program is closed."),
                },
                oneOf=[
                    {"required": ["date"], "not": {"anyOf": [{"required": ["start"]}, {"required": ["end"]}]}},
                    {"required": ["start", "end"], "not": {"required": ["date"]}},
                ],
            ),
        ),
        "staff": arr(
            "Program staff (at least one).",
            obj(
                "A staff member.",
                {
                    "id": prop("id", "Staff id, used by facilitator, primary_counselor, by and staff fields."),
                    "name": prop("text", "Name."),
                    "role": prop("text", "Role, e.g. counselor."),
                    "credentials": prop("text", "Credentials, e.g. LCSW."),
                },
                ["id", "name"],
            ),
            min_items=1,
        ),
        "tracks": arr(
            "Program tracks (at least one).",
            obj(
                "A track: a population, a level of care and a weekly timetable.",
                {
                    "id": prop("id", "Track id."),
                    "name": prop("required_text", "Track name."),
                    "population": {"description": "Who the track serves.", "enum": ["adult", "adolescent"]},
                    "level_of_care": prop("level_of_care", "ASAM level of care of the track, as a quoted string, e.g. \"2.1\"."),
                    "weeks": {
                        "description": "Default length of a plan on this track, in weeks (1 to 52).",
                        "type": "integer", "minimum": 1, "maximum": 52,
                    },
                    "sessions": arr("The weekly timetable (at least one session).", {"$ref": "#/$defs/session"}, min_items=1),
                },
                ["id", "name", "population", "level_of_care", "weeks", "sessions"],
            ),
            min_items=1,
        ),
        "resources": arr(
            "The program's directory of community resources.",
            obj(
                "A community resource.",
                {
                    "id": prop("id", "Resource id, used in aftercare resources."),
                    "name": prop("required_text", "Name."),
                    "kind": {
                        "description": "Kind of resource.",
                        "enum": ["support-group", "family-support", "housing", "vocational", "legal", "healthcare", "crisis", "other"],
                    },
                    "phone": prop("phone", "Phone number."),
                    "url": {
                        "description": "Web address, starting with http:// or https://.",
                        "type": "string",
                        "pattern": "^https?://\\S+$",
                    },
                    "address": prop("text", "Street address."),
                    "hours": prop("text", "Opening hours, free text."),
                    "languages": arr("Languages served (BCP 47 tags).", {"$ref": "#/$defs/language"}, unique=True),
                },
                ["id", "name", "kind"],
            ),
        ),
    },
)

# ---------------------------------------------------------------- participant
participant = document(
    "participant",
    "iopctl participant",
    "participants/<ID>.yaml: one participant's profile (record format version 1).",
    ["schema_version", "id", "preferred_name", "date_of_birth", "status", "track"],
    {
        "schema_version": SCHEMA_VERSION,
        "id": prop("id", "Pseudonymous participant code; equals the file name. Never a name or derived from an identifier."),
        "preferred_name": prop("required_text", "The only name kept; handouts use it."),
        "pronouns": prop("text", "Pronouns, e.g. they/them."),
        "date_of_birth": prop("date", "Date of birth."),
        "language": prop("language", "BCP 47 tag; chooses the handout language.", default="en"),
        "status": {
            "description": "Where the participant is in the program.",
            "enum": ["referred", "active", "on-hold", "discharged", "withdrawn"],
        },
        "admitted": prop("date", "Admission date; required unless status is referred."),
        "discharged": prop("date", "Discharge date; required when status is discharged or withdrawn."),
        "discharge_reason": {
            "description": "Why the participant left.",
            "enum": ["completed", "stepped-down", "stepped-up", "withdrew", "administrative", "transferred"],
        },
        "track": prop("id", "A track id in program.yaml."),
        "primary_counselor": prop("id", "Staff id of the primary counselor."),
        "diagnoses": arr(
            "Diagnoses.",
            obj(
                "A diagnosis.",
                {
                    "code": {
                        "description": "ICD-10-CM code, e.g. F10.20.",
                        "type": "string",
                        "pattern": "^[A-TV-Z][0-9][0-9AB](\\.[0-9A-TV-Z]{1,4})?$",
                    },
                    "description": prop("text", "Diagnosis in words."),
                    "primary": {"description": "true for the primary diagnosis.", "type": "boolean"},
                },
                ["code"],
            ),
        ),
        "strengths": text_list("Strengths to build on."),
        "needs": text_list("Needs to address."),
        "cultural_considerations": obj(
            "Cultural considerations for care.",
            {
                "interpreter": {"description": "true if an interpreter is needed (true or false).", "type": "boolean"},
                "faith": prop("text", "Faith or spiritual considerations."),
                "preferences": text_list("Preferences, e.g. facilitator gender."),
                "notes": prop("text", "Other notes."),
            },
        ),
        "supports": arr(
            "Family and peers involved in care.",
            obj(
                "A support person.",
                {
                    "id": prop("id", "Support id, unique within the participant."),
                    "name": prop("required_text", "Name or first name."),
                    "relationship": prop("required_text", "Relationship to the participant, e.g. spouse."),
                    "phone": prop("phone", "Phone number."),
                    "involvement": arr(
                        "How this person is involved.",
                        {"enum": ["family-sessions", "emergency-contact", "transport", "sponsor", "other"]},
                        unique=True,
                    ),
                    "consent": obj(
                        "Written consent to share information with this person (42 CFR Part 2).",
                        {
                            "signed": prop("date", "Date the consent was signed."),
                            "expires": prop("date", "Date the consent expires."),
                            "scope": prop("text", "What may be shared."),
                        },
                        ["signed"],
                    ),
                },
                ["id", "name", "relationship"],
            ),
        ),
        "safety_plan": obj(
            "The six steps of a Stanley-Brown safety plan.",
            {
                "warning_signs": text_list("Step 1: warning signs."),
                "coping_strategies": text_list("Step 2: internal coping strategies."),
                "social_distractions": text_list("Step 3: people and places that distract."),
                "people_to_ask": text_list("Step 4: people to ask for help (support ids or free text)."),
                "professionals": arr(
                    "Step 5: professionals and agencies to contact.",
                    obj(
                        "A professional to contact.",
                        {
                            "name": prop("required_text", "Name."),
                            "phone": prop("phone", "Phone number."),
                            "role": prop("text", "Role, e.g. psychiatrist."),
                        },
                        ["name"],
                    ),
                ),
                "means_safety": text_list("Step 6: making the environment safe."),
            },
        ),
        "medications": arr(
            "Current medications.",
            obj(
                "A medication.",
                {
                    "name": prop("text", "Medication name."),
                    "dose": prop("text", "Dose, e.g. 50 mg."),
                    "schedule": prop("text", "When taken, e.g. daily."),
                    "prescriber": prop("text", "Prescriber."),
                },
                ["name"],
            ),
        ),
    },
    allOf=[
        {
            "if": {"properties": {"status": {"not": {"const": "referred"}}}, "required": ["status"]},
            "then": {"required": ["admitted"]},
        },
        {
            "if": {"properties": {"status": {"enum": ["discharged", "withdrawn"]}}, "required": ["status"]},
            "then": {"required": ["discharged"]},
        },
    ],
)

# ---------------------------------------------------------------- plan
plan = document(
    "plan",
    "iopctl treatment plan",
    "plans/<ID>.yaml: a participant's current treatment plan (record format version 1).",
    ["schema_version", "participant", "start", "problems"],
    {
        "schema_version": SCHEMA_VERSION,
        "participant": prop("id", "Participant id; equals the file name."),
        "start": prop("date", "First day of the plan's week 1."),
        "weeks": {
            "description": "Plan length in weeks (1 to 52); default: the track's weeks.",
            "type": "integer", "minimum": 1, "maximum": 52,
        },
        "track": prop("id", "Track id; default: the participant's track."),
        "signed": obj(
            "Plan agreed and signed.",
            {
                "participant": prop("date", "Date the participant signed."),
                "staff": arr(
                    "Staff signatures.",
                    obj(
                        "A staff signature.",
                        {
                            "id": prop("id", "Staff id."),
                            "date": prop("date", "Date signed."),
                        },
                        ["id", "date"],
                    ),
                ),
            },
        ),
        "reviews": arr(
            "Plan reviews held.",
            obj(
                "A plan review.",
                {
                    "date": prop("date", "Date of the review."),
                    "by": prop("id", "Staff id of the reviewer."),
                    "summary": prop("text", "Outcome of the review."),
                },
                ["date", "by"],
            ),
        ),
        "extra_sessions": arr(
            "Personalised weekly sessions beyond the track timetable; same fields as a track session.",
            {"$ref": "#/$defs/session"},
        ),
        "skip_sessions": arr(
            "Track session ids this participant does not attend.",
            {"$ref": "#/$defs/id"},
            unique=True,
        ),
        "problems": arr(
            "Problems the plan addresses (at least one).",
            obj(
                "A problem.",
                {
                    "id": prop("item_id", "Problem id, e.g. \"1\"."),
                    "statement": prop("required_text", "The problem in the participant's terms."),
                    "asam_dimension": {
                        "description": "ASAM dimension, 1 to 6.",
                        "type": "integer", "minimum": 1, "maximum": 6,
                    },
                    "goals": arr(
                        "Goals for this problem (at least one).",
                        obj(
                            "A goal.",
                            {
                                "id": prop("item_id", "Goal id, e.g. \"1.1\"."),
                                "statement": prop("required_text", "The goal."),
                                "objectives": arr(
                                    "Measurable, time-bound objectives (at least one).",
                                    obj(
                                        "An objective. Its status is the latest objective_updates entry in the progress file.",
                                        {
                                            "id": prop("item_id", "Objective id, e.g. \"1.1.1\"."),
                                            "statement": prop("required_text", "The objective."),
                                            "measure": prop("required_text", "How progress is observed."),
                                            "target_date": prop("date", "Date by which it should be met."),
                                        },
                                        ["id", "statement", "measure", "target_date"],
                                    ),
                                    min_items=1,
                                ),
                                "interventions": arr(
                                    "Interventions (at least one).",
                                    obj(
                                        "An intervention.",
                                        {
                                            "modality": prop("modality", "Therapeutic approach."),
                                            "description": prop("text", "What is done."),
                                            "frequency": prop("text", "How often, e.g. 3 times a week."),
                                            "staff": prop("id", "Staff id responsible."),
                                        },
                                    ),
                                    min_items=1,
                                ),
                            },
                            ["id", "statement", "objectives", "interventions"],
                        ),
                        min_items=1,
                    ),
                },
                ["id", "statement", "goals"],
            ),
            min_items=1,
        ),
        "adjustments": arr(
            "Changes to the plan and why.",
            obj(
                "A plan change.",
                {
                    "date": prop("date", "Date of the change."),
                    "by": prop("id", "Staff id."),
                    "change": prop("text", "What changed."),
                    "reason": prop("text", "Why."),
                },
            ),
        ),
        "aftercare": obj(
            "The aftercare plan, given to the participant before a planned discharge.",
            {
                "discharge_target": prop("date", "Planned discharge date; default: start + weeks."),
                "step_down": obj(
                    "Care after the program.",
                    {
                        "level_of_care": prop("level_of_care", "ASAM level of the next care, as a quoted string, e.g. \"1\"."),
                        "provider": prop("text", "Provider of the next care."),
                    },
                ),
                "gains": text_list("Progress made in the program."),
                "support_needs": text_list("Support still needed."),
                "follow_ups": arr(
                    "Appointments after discharge.",
                    obj(
                        "A follow-up appointment.",
                        {
                            "date": prop("date", "Date of the appointment."),
                            "time": prop("time", "Time, \"HH:MM\" (quoted)."),
                            "with": prop("required_text", "Who the appointment is with."),
                            "kind": prop("required_text", "Kind, e.g. psychiatry, therapy, primary-care, peer-support, case-management, medication, other."),
                            "phone": prop("phone", "Phone number."),
                            "address": prop("text", "Where."),
                        },
                        ["date", "with"],
                    ),
                ),
                "resources": arr(
                    "Resource ids from program.yaml.",
                    {"$ref": "#/$defs/id"},
                    unique=True,
                ),
                "relapse_prevention": obj(
                    "Relapse prevention plan.",
                    {
                        "triggers": text_list("Triggers."),
                        "warning_signs": text_list("Warning signs."),
                        "coping_strategies": text_list("Coping strategies."),
                        "people_to_call": text_list("People to call."),
                    },
                ),
                "medications": text_list("Continuity of medication, free text."),
                "if_symptoms_return": text_list("What to do if symptoms return."),
            },
        ),
    },
)

# ---------------------------------------------------------------- progress
progress = document(
    "progress",
    "iopctl progress",
    "progress/<ID>.yaml: a participant's measurements over time: assessments, objective updates, milestones, screens (record format version 1).",
    ["schema_version", "participant"],
    {
        "schema_version": SCHEMA_VERSION,
        "participant": prop("id", "Participant id; equals the file name."),
        "assessments": arr(
            "Standardised assessments.",
            obj(
                "An assessment.",
                {
                    "date": prop("date", "Date given."),
                    "instrument": {
                        "description": "Instrument; ranges and item counts are in rules.md.",
                        "enum": ["PHQ-9", "GAD-7", "AUDIT", "DAST-10", "PCL-5", "BAM"],
                    },
                    "score": {"description": "Total score (0 or more).", "type": "number", "minimum": 0},
                    "items": arr(
                        "Item scores, in order; their sum must equal score.",
                        {"type": "integer", "minimum": 0},
                    ),
                    "note": prop("text", "Note."),
                },
                ["date", "instrument", "score"],
            ),
        ),
        "objective_updates": arr(
            "Objective status changes; the latest per objective is its status.",
            obj(
                "An objective status update.",
                {
                    "date": prop("date", "Date of the update."),
                    "objective": prop("item_id", "Objective id in the plan, e.g. \"1.1.1\"."),
                    "status": {
                        "description": "Objective status.",
                        "enum": ["not-started", "in-progress", "met", "partially-met", "not-met", "revised", "discontinued"],
                    },
                    "note": prop("text", "Note."),
                },
                ["date", "objective", "status"],
            ),
        ),
        "milestones": arr(
            "Milestones reached.",
            obj(
                "A milestone.",
                {
                    "date": prop("date", "Date reached."),
                    "title": prop("required_text", "What was reached."),
                },
                ["date", "title"],
            ),
        ),
        "screens": arr(
            "Screens, e.g. urine drug screens.",
            obj(
                "A screen.",
                {
                    "date": prop("date", "Date taken."),
                    "kind": prop("required_text", "Kind of screen, e.g. urine-drug-screen."),
                    "result": {"description": "Result.", "enum": ["negative", "positive", "invalid"]},
                    "substances": text_list("Substances detected."),
                    "note": prop("text", "Note."),
                },
                ["date", "kind", "result"],
            ),
        ),
    },
)

# ---------------------------------------------------------------- session
ATTENDANCE_STATUS = {
    "description": "Attendance status.",
    "enum": ["present", "late", "left-early", "excused", "absent"],
}
DEFS["attendance_status"] = ATTENDANCE_STATUS
DEFS["attendance_entry"] = {
    "description": "An attendance status, or {status, minutes, note}.",
    "if": {"type": "string"},
    "then": {"$ref": "#/$defs/attendance_status"},
    "else": obj(
        "Attendance with details.",
        {
            "status": prop("attendance_status", "Attendance status."),
            "minutes": {"description": "Minutes attended, 0 to 600.", "type": "integer", "minimum": 0, "maximum": 600},
            "note": prop("text", "Note."),
        },
        ["status"],
    ),
}
session = document(
    "session",
    "iopctl session log",
    "sessions/<YYYY-MM>/<date>-<slug>.yaml: one delivered or cancelled session and its attendance (record format version 1).",
    ["schema_version", "date", "session", "status"],
    {
        "schema_version": SCHEMA_VERSION,
        "date": prop("date", "Date of the session."),
        "session": {
            "description": "<track>/<session id>, or <participant>/<extra session id>.",
            "type": "string",
            "pattern": f"^{ID_RE}/{ID_RE}$",
        },
        "status": {"description": "Whether the session was held.", "enum": ["held", "cancelled"]},
        "start": prop("time", "Actual start time, \"HH:MM\" (quoted); default: the timetable's."),
        "minutes": prop("minutes", "Actual length in minutes; default: the timetable's."),
        "facilitator": prop("id", "Staff id of the facilitator."),
        "topic": prop("text", "Topic covered."),
        "attendance": {
            "description": "Participant id -> status, or {status, minutes, note}. Required when held.",
            "type": "object",
            "propertyNames": {"$ref": "#/$defs/id"},
            "additionalProperties": {"$ref": "#/$defs/attendance_entry"},
        },
    },
    allOf=[
        {
            "if": {"properties": {"status": {"const": "held"}}, "required": ["status"]},
            "then": {"required": ["attendance"]},
        },
    ],
)

OUT.mkdir(parents=True, exist_ok=True)
for name, schema in [("program", program), ("participant", participant), ("plan", plan),
                     ("progress", progress), ("session", session)]:
    path = OUT / f"{name}.schema.json"
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(path)
