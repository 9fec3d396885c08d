#!/usr/bin/env python3
"""A seeded synthetic records repository for `make bench`.

    python bench/make_repo.py OUT --files 10000 [--seed 8] [--faults 0.01]

Writes exactly --files record files: program.yaml, then participants,
plans and progress (one of each per participant, about a quarter of the
files each), and a year of session files (2025-11-24 to 2026-11-20) for the
rest. Participant files are about 4.4 KB, like the issue's measurements.
The same seed gives byte-identical files. A small share of files (--faults)
carries a realistic mistake (a typo'd field, an impossible date, an unknown
staff id, a score out of range, an unquoted time) so that the benchmark
also pays for the error path: jsonschema's messages and line numbers.

Only the standard library is used: the generator must not depend on the
code it measures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from pathlib import Path

FIRST_DAY = dt.date(2025, 11, 24)  # a Monday, a year before the bench's as-of date
LAST_DAY = dt.date(2026, 11, 20)
AS_OF = dt.date(2026, 11, 23)
GENERATOR_VERSION = "3"  # bump when the output changes, so cached repositories are rebuilt

STAFF = [
    ("mrivera", "Maria Rivera", "lead counselor", "LCSW, CADC"),
    ("jchen", "James Chen", "therapist", "LCPC"),
    ("dlee", "Dana Lee", "psychiatrist (prescriber)", "MD"),
    ("tbrooks", "Tasha Brooks", "peer recovery specialist", "CPRS"),
    ("oakande", "Omar Akande", "family therapist", "LMFT"),
    ("lnavarro", "Lucia Navarro", "bilingual counselor", "CADC"),
    ("kpatel", "Kavya Patel", "adolescent counselor", "LCPC"),
    ("rsingh", "Ravi Singh", "counselor", "LPC"),
]
COUNSELORS = ["mrivera", "jchen", "lnavarro", "rsingh", "kpatel"]
RESOURCES = ["aa-central", "na-central", "smart-recovery", "al-anon", "hope-house", "workforce-center",
             "legal-aid", "harbor-health", "county-crisis"]
NAMES = ["Alex", "Sam", "Jordan", "Casey", "Riley", "Morgan", "Jamie", "Taylor", "Drew", "Quinn", "Avery",
         "Rowan", "Dale", "Marisol", "Tomás", "Aisha", "Wen", "Priya", "Kofi", "Ingrid", "Nadia", "Luis",
         "Chloé", "Mateo", "Hana", "Omar", "Zoë", "Björn", "Ana", "Dev"]
PRONOUNS = ["he/him", "she/her", "they/them"]
RELATIONS = ["wife", "husband", "partner", "mother", "father", "sister", "brother", "friend", "AA sponsor",
             "aunt", "grandmother", "roommate"]
DIAGNOSES = [("F10.20", "Alcohol use disorder, moderate"), ("F11.20", "Opioid use disorder, moderate"),
             ("F12.20", "Cannabis use disorder, moderate"), ("F14.20", "Cocaine use disorder, moderate"),
             ("F15.20", "Stimulant use disorder, moderate"), ("F32.1", "Major depressive disorder, moderate"),
             ("F41.1", "Generalized anxiety disorder"), ("F43.10", "Post-traumatic stress disorder")]
WORDS = ("steady work shifts family evenings group meetings sponsor church garden walk dog kids sister "
         "brother cooking music guitar running bus ride sleep routine budget rent court job school coach "
         "library coffee diner weekend morning craving trigger stress plan call text friend neighbour park "
         "gym swim fishing painting reading journal prayer breathing timer phone alarm clinic pharmacy").split()
MEDS = [("naltrexone", "50 mg", "daily"), ("buprenorphine/naloxone", "8 mg/2 mg", "daily"),
        ("sertraline", "50 mg", "every morning"), ("acamprosate", "666 mg", "three times a day"),
        ("trazodone", "50 mg", "at bedtime")]
INSTRUMENTS = [("PHQ-9", 9, 3), ("GAD-7", 7, 3)]


# -- a tiny YAML writer: block style, the way people write records ------------------------------

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_ ,.'()/&+;-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Raw):
        return value.text
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith((" ", ":")) \
            and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


class Raw(str):
    """Written exactly as given (for injected faults such as an unquoted time)."""

    @property
    def text(self) -> str:
        return str(self)


class Flow(list):
    """A list written on one line: `days: [mon, wed]`."""


def emit(value: object, indent: int = 0) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            key = scalar(k)
            if isinstance(v, Flow):
                lines.append(f"{pad}{key}: [{', '.join(scalar(x) for x in v)}]")
            elif isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{key}:")
                lines.extend(emit(v, indent + (2 if isinstance(v, dict) else 2)))
            else:
                lines.append(f"{pad}{key}: {scalar(v) if not isinstance(v, (dict, list)) else ('{}' if isinstance(v, dict) else '[]')}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                inner = emit(item, indent + 2)
                inner[0] = f"{pad}- " + inner[0][indent + 2:]
                lines.extend(inner)
            else:
                lines.append(f"{pad}- {scalar(item)}")
    return lines


def dump(doc: dict, comment: str | None = None) -> str:
    head = [f"# {line}" for line in comment.splitlines()] if comment else []
    return "\n".join(head + emit(doc)) + "\n"


# -- the program ------------------------------------------------------------------------------------


def track_specs(n_tracks: int) -> list[dict]:
    """Adult evening tracks (4 x 200 min, mon to thu: 13.3 h, so one holiday still leaves 10 h) and
    adolescent ones (4 x 120 min: 8 h)."""
    tracks = []
    for i in range(n_tracks):
        adult = i % 4 != 3
        tid = f"{'adult' if adult else 'teen'}-{i + 1:02d}"
        if adult:
            sessions = [
                {"id": "process-group", "title": "Process Group", "kind": "group", "modality": "CBT",
                 "days": Flow(["mon", "tue", "wed", "thu"]), "start": "18:00", "minutes": 110,
                 "location": f"Room {i % 5 + 1}", "facilitator": COUNSELORS[i % 4]},
                {"id": "skills-group", "title": "Skills Group", "kind": "skills", "modality": "DBT",
                 "days": Flow(["mon", "tue", "wed", "thu"]), "start": "20:00", "minutes": 90,
                 "location": f"Room {i % 5 + 1}", "facilitator": "jchen"},
                {"id": "family-group", "title": "Family Group", "kind": "family", "modality": "other",
                 "days": Flow(["fri"]), "start": "18:00", "minutes": 90, "every_weeks": 2,
                 "location": "Room 1", "facilitator": "oakande"},
            ]
            tracks.append({"id": tid, "name": f"Adult Evening IOP {i + 1}", "population": "adult",
                           "level_of_care": "2.1", "weeks": 10, "sessions": sessions})
        else:
            sessions = [
                {"id": "teen-group", "title": "Teen Group", "kind": "group", "modality": "CBT",
                 "days": Flow(["mon", "tue", "wed", "thu"]), "start": "15:30", "minutes": 120,
                 "location": "Room 3", "facilitator": "kpatel"},
            ]
            tracks.append({"id": tid, "name": f"Adolescent Afternoon IOP {i + 1}", "population": "adolescent",
                           "level_of_care": "2.1", "weeks": 8, "sessions": sessions})
    return tracks


def program_doc(tracks: list[dict]) -> dict:
    return {
        "schema_version": 1,
        "program": {"id": "lakeside", "name": "Lakeside Recovery IOP (synthetic benchmark)",
                    "timezone": "America/Chicago", "phone": "+1 555 0100", "address": "12 Lake St, Springfield",
                    "crisis_lines": [{"name": "988 Suicide & Crisis Lifeline", "phone": "988", "text": "988"}]},
        "rules": {"plan_review_days": 30, "followup_within_days": 7, "absence_alert_after": 2},
        "holidays": {"country": "US", "subdivision": "IL"},
        "closures": [{"date": dt.date(2026, 3, 6), "reason": "Staff training"},
                     {"start": dt.date(2025, 12, 24), "end": dt.date(2025, 12, 31), "reason": "Winter break"}],
        "staff": [{"id": i, "name": n, "role": r, "credentials": c} for i, n, r, c in STAFF],
        "tracks": tracks,
        "resources": [{"id": r, "name": r.replace("-", " ").title(), "kind": k, "phone": f"+1 555 01{40 + j}",
                       "url": f"https://example.org/{r}", "hours": "Mon to Fri 9am to 5pm", "languages": Flow(["en"])}
                      for j, (r, k) in enumerate(zip(RESOURCES, ["support-group", "support-group", "support-group",
                                                                 "family-support", "housing", "vocational", "legal",
                                                                 "healthcare", "crisis"]))],
    }


# -- people -------------------------------------------------------------------------------------------


def phrase(rng: random.Random, n: int) -> str:
    words = rng.sample(WORDS, n)
    return (" ".join(words)).capitalize()


class Person:
    def __init__(self, pid: str, track: dict, admitted: dt.date, rng: random.Random):
        self.pid, self.track, self.admitted = pid, track, admitted
        self.weeks = track["weeks"]
        end = admitted + dt.timedelta(weeks=self.weeks) - dt.timedelta(days=3)  # the last Friday
        self.discharged = end if end < AS_OF else None
        self.withdrew = rng.random() < 0.05 and self.discharged is not None
        self.name = rng.choice(NAMES)
        self.supports = ["s1", "s2"] + (["s3"] if rng.random() < 0.5 else [])

    def attends(self, day: dt.date) -> bool:
        return self.admitted <= day and (self.discharged is None or day <= self.discharged)


def participant_doc(p: Person, rng: random.Random) -> dict:
    adult = p.track["population"] == "adult"
    born = dt.date(1960 + rng.randrange(40), rng.randrange(1, 13), rng.randrange(1, 29)) if adult else \
        dt.date(2010 + rng.randrange(2), rng.randrange(1, 13), rng.randrange(1, 29))
    doc: dict = {"schema_version": 1, "id": p.pid, "preferred_name": p.name, "pronouns": rng.choice(PRONOUNS),
                 "date_of_birth": born, "language": rng.choice(["en", "en", "en", "es"])}
    if p.discharged:
        doc.update(status="withdrawn" if p.withdrew else "discharged", admitted=p.admitted, discharged=p.discharged,
                   discharge_reason="withdrew" if p.withdrew else rng.choice(["completed", "stepped-down"]))
    else:
        doc.update(status="active", admitted=p.admitted)
    doc["track"] = p.track["id"]
    doc["primary_counselor"] = rng.choice(COUNSELORS)
    codes = rng.sample(DIAGNOSES, 2)
    doc["diagnoses"] = [{"code": c, "description": d, "primary": i == 0} for i, (c, d) in enumerate(codes)]
    doc["strengths"] = [phrase(rng, 12) for _ in range(9)]
    doc["needs"] = [phrase(rng, 12) for _ in range(7)]
    doc["cultural_considerations"] = {"interpreter": False, "faith": phrase(rng, 5),
                                      "preferences": [phrase(rng, 6), phrase(rng, 6)],
                                      "notes": phrase(rng, 25)}
    supports = []
    for j, sid in enumerate(p.supports):
        s = {"id": sid, "name": rng.choice(NAMES), "relationship": rng.choice(RELATIONS),
             "phone": f"+1 555 01{rng.randrange(10, 99)}",
             "involvement": Flow(["family-sessions", "emergency-contact"] if j == 0 else ["transport"])}
        s["consent"] = {"signed": p.admitted, "expires": p.admitted + dt.timedelta(days=730)}
        supports.append(s)
    doc["supports"] = supports
    doc["safety_plan"] = {
        "warning_signs": [phrase(rng, 10) for _ in range(5)],
        "coping_strategies": [phrase(rng, 10) for _ in range(5)],
        "social_distractions": [phrase(rng, 7) for _ in range(3)],
        "people_to_ask": p.supports[:2],
        "professionals": [{"name": "Lakeside Recovery IOP front desk", "phone": "+1 555 0100"},
                          {"name": "988 Suicide & Crisis Lifeline", "phone": "988"}],
        "means_safety": [phrase(rng, 9) for _ in range(3)],
    }
    doc["medications"] = [{"name": n, "dose": d, "schedule": s, "prescriber": "Dr. Lee"}
                          for n, d, s in rng.sample(MEDS, 3)]
    return doc


def plan_doc(p: Person, rng: random.Random) -> dict:
    start = p.admitted
    doc: dict = {"schema_version": 1, "participant": p.pid, "start": start, "weeks": p.weeks,
                 "track": p.track["id"]}
    doc["signed"] = {"participant": start + dt.timedelta(days=2),
                     "staff": [{"id": "mrivera", "date": start + dt.timedelta(days=2)}]}
    reviews = []
    for k in range(1, p.weeks // 4 + 1):
        day = start + dt.timedelta(days=28 * k)
        if day < AS_OF:
            reviews.append({"date": day, "by": rng.choice(COUNSELORS), "summary": phrase(rng, 12) + "."})
    if reviews:
        doc["reviews"] = reviews
    problems = []
    for i in range(1, 3):
        goals = []
        for g in range(1, 3):
            gid = f"{i}.{g}"
            goals.append({
                "id": gid, "statement": phrase(rng, 6),
                "objectives": [{"id": f"{gid}.{o}", "statement": phrase(rng, 8), "measure": phrase(rng, 6),
                                "target_date": start + dt.timedelta(weeks=2 + 3 * o)} for o in range(1, 3)],
                "interventions": [{"modality": rng.choice(["CBT", "DBT", "MI", "TSF"]),
                                   "description": phrase(rng, 8), "frequency": "3 times a week",
                                   "staff": rng.choice(COUNSELORS)}],
            })
        problems.append({"id": str(i), "statement": phrase(rng, 10), "asam_dimension": rng.randrange(1, 7),
                         "goals": goals})
    doc["problems"] = problems
    end = p.discharged or (start + dt.timedelta(weeks=p.weeks) - dt.timedelta(days=3))
    doc["aftercare"] = {
        "discharge_target": end,
        "step_down": {"level_of_care": "1", "provider": "Springfield Counseling Associates"},
        "gains": [phrase(rng, 7) for _ in range(2)],
        "support_needs": [phrase(rng, 6)],
        "follow_ups": [{"date": end + dt.timedelta(days=4), "time": "10:00", "with": "Dr. Lee",
                        "kind": "psychiatry", "phone": "+1 555 0133", "address": "9 Elm St"}],
        "resources": Flow(rng.sample(RESOURCES[:4], 2)),
        "relapse_prevention": {"triggers": [phrase(rng, 5)], "coping_strategies": [phrase(rng, 6)],
                               "people_to_call": [phrase(rng, 3)]},
    }
    return doc


def progress_doc(p: Person, rng: random.Random) -> dict:
    assessments = []
    day = p.admitted
    last = p.discharged or AS_OF
    phq = rng.randrange(12, 20)
    while day <= last:
        items = [min(3, max(0, phq // 9 + rng.choice([-1, 0, 0, 1]))) for _ in range(8)] + [0]
        assessments.append({"date": day, "instrument": "PHQ-9", "score": sum(items), "items": Flow(items)})
        assessments.append({"date": day, "instrument": "GAD-7", "score": rng.randrange(3, 15)})
        phq = max(2, phq - rng.randrange(0, 4))
        day += dt.timedelta(days=14)
    updates = [{"date": p.admitted + dt.timedelta(days=21), "objective": f"1.{g}.1", "status": "in-progress",
                "note": phrase(rng, 5)} for g in (1, 2) if p.admitted + dt.timedelta(days=21) <= AS_OF]
    doc: dict = {"schema_version": 1, "participant": p.pid, "assessments": assessments}
    if updates:
        doc["objective_updates"] = updates
    doc["screens"] = [{"date": p.admitted + dt.timedelta(days=7), "kind": "urine-drug-screen", "result": "negative"}]
    return doc


# -- sessions -----------------------------------------------------------------------------------------

WEEKDAY = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def occurrences(tracks: list[dict]) -> list[tuple[dt.date, dict, dict]]:
    out = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        week = (day - FIRST_DAY).days // 7
        for t in tracks:
            for s in t["sessions"]:
                if day.weekday() in [WEEKDAY[d] for d in s["days"]] and week % s.get("every_weeks", 1) == 0:
                    out.append((day, t, s))
        day += dt.timedelta(days=1)
    return out


def session_doc(day: dt.date, track: dict, s: dict, people: list[Person], rng: random.Random) -> dict:
    doc: dict = {"schema_version": 1, "date": day, "session": f"{track['id']}/{s['id']}", "status": "held",
                 "facilitator": s["facilitator"], "topic": phrase(rng, 4)}
    attendance: dict = {}
    for p in people:
        r = rng.random()
        if r < 0.85:
            attendance[p.pid] = "present"
        elif r < 0.92:
            attendance[p.pid] = {"status": "late", "minutes": s["minutes"] - 15}
        else:
            attendance[p.pid] = rng.choice(["excused", "absent"])
    if attendance:
        doc["attendance"] = attendance
    else:
        doc["status"] = "cancelled"
    return doc


# -- faults ---------------------------------------------------------------------------------------------


def inject(kind: str, doc: dict, rng: random.Random) -> str:
    """Put one realistic mistake into doc; returns what was done (for the manifest)."""
    choice = rng.randrange(5)
    if choice == 0:  # a typo'd field name: IOP002 with did-you-mean
        key = next(k for k in doc if k not in ("schema_version",))
        doc[key + "d"] = doc.pop(key)
        return f"typo in `{key}`"
    if choice == 1:  # an impossible date: format: date
        for k in ("admitted", "start", "date"):
            if k in doc:
                doc[k] = Raw("2026-02-30")
                return f"impossible date in `{k}`"
    if choice == 2 and kind == "progress" and doc.get("assessments"):  # IOP030 score out of range
        doc["assessments"][0]["score"] = 31
        doc["assessments"][0].pop("items", None)
        return "score out of range"
    if choice == 3:  # YAML 1.1 habit: a `no` that YAML 1.2 reads as text
        doc["schema_version"] = Raw("no")
        return "schema_version: no"
    if kind == "session":  # unknown facilitator: IOP010
        doc["facilitator"] = "mriviera"
        return "unknown facilitator"
    if kind == "plan":
        doc["signed"]["staff"][0]["id"] = "jchne"
        return "unknown staff id"
    doc["status"] = "dischraged"
    return "status not in the list"


# -- the repository ---------------------------------------------------------------------------------------


def plan_sizes(files: int) -> tuple[int, int, int]:
    """(participants, tracks, session files) adding up to `files` with program.yaml."""
    participants = max(2, round(files * 0.25))
    sessions = files - 1 - 3 * participants
    tracks = max(1, round(sessions / 330))  # about 440 occurrences a year per adult track, 210 per adolescent one
    return participants, tracks, sessions


def generate(out: Path, files: int, seed: int, faults: float) -> dict:
    rng = random.Random(seed)
    n_people, n_tracks, n_sessions = plan_sizes(files)
    tracks = track_specs(n_tracks)
    occ = occurrences(tracks)
    if len(occ) < n_sessions:
        raise SystemExit(f"{files} files need more session occurrences than {n_tracks} tracks give")
    # Keep n_sessions occurrences spread evenly over the year.
    step = len(occ) / n_sessions
    chosen = [occ[int(i * step)] for i in range(n_sessions)]

    people: list[Person] = []
    weeks = (LAST_DAY - FIRST_DAY).days // 7
    for i in range(n_people):
        track = tracks[i % n_tracks]
        admitted = FIRST_DAY + dt.timedelta(weeks=rng.randrange(weeks - 2))
        people.append(Person(f"P{i + 1:05d}", track, admitted, rng))

    if out.exists():
        shutil.rmtree(out)
    for sub in ("participants", "plans", "progress", "sessions"):
        (out / sub).mkdir(parents=True)
    written: dict[str, str] = {}

    def write(rel: str, kind: str, doc: dict, comment: str | None = None) -> None:
        note = ""
        if kind != "program" and rng.random() < faults:
            note = inject(kind, doc, rng)
            written[rel] = note
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(doc, comment), encoding="utf-8")

    write("program.yaml", "program", program_doc(tracks), "Synthetic benchmark program: every name is made up.")
    for p in people:
        write(f"participants/{p.pid}.yaml", "participant", participant_doc(p, rng),
              f"Synthetic participant on {p.track['id']}.")
        write(f"plans/{p.pid}.yaml", "plan", plan_doc(p, rng))
        write(f"progress/{p.pid}.yaml", "progress", progress_doc(p, rng))
    by_track: dict[str, list[Person]] = {}
    for p in people:
        by_track.setdefault(p.track["id"], []).append(p)
    for day, track, s in chosen:
        here = [p for p in by_track.get(track["id"], []) if p.attends(day)]
        rel = f"sessions/{day:%Y-%m}/{day.isoformat()}-{track['id']}-{s['id']}.yaml"
        write(rel, "session", session_doc(day, track, s, here, rng))
    manifest = {"generator": GENERATOR_VERSION, "files": files, "seed": seed, "faults": faults,
                "participants": n_people, "tracks": n_tracks, "sessions": n_sessions, "faulty_files": written}
    (out / "bench-manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--faults", type=float, default=0.01, help="share of files with an injected mistake")
    args = ap.parse_args(argv)
    if args.files < 20:
        ap.error("--files must be at least 20")
    m = generate(args.out, args.files, args.seed, args.faults)
    print(f"{args.out}: {m['files']} files ({m['participants']} participants, {m['sessions']} sessions, "
          f"{len(m['faulty_files'])} with an injected mistake)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
