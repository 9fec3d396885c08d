"""Typed records, built from schema-valid documents; one model for every command.

Every object keeps `src` (its document and the path inside it) so that a
check or a command can point a finding at the exact line it came from.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iopctl.loader import Document

Date = dt.date
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Src:
    """Where a model object came from."""

    doc: Document
    path: tuple = ()

    def at(self, *more: Any) -> "Src":
        return Src(self.doc, self.path + more)


def _date(value: Any) -> Date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _time(value: Any) -> dt.time | None:
    if value is None:
        return None
    hours, minutes = str(value).split(":")
    return dt.time(int(hours), int(minutes))


def _list(data: dict, key: str) -> list:
    return list(data.get(key) or [])


# -- program -----------------------------------------------------------------


@dataclass(slots=True)
class Session:
    """A weekly timetable entry: a track session, or a plan's extra session."""

    owner: str  # track id, or participant id for extra sessions
    id: str
    title: str
    kind: str
    days: tuple[str, ...]
    start: dt.time
    minutes: int
    every_weeks: int = 1
    modality: str | None = None
    location: str | None = None
    facilitator: str | None = None
    starts: Date | None = None  # anchor of every_weeks, when given
    extra: bool = False  # from a plan's extra_sessions
    src: Src | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """`<track>/<id>` or `<participant>/<id>`, as session files name it."""
        return f"{self.owner}/{self.id}"

    @property
    def weekdays(self) -> tuple[int, ...]:
        return tuple(WEEKDAYS.index(d) for d in self.days)


def build_session(owner: str, data: dict, src: Src, extra: bool = False) -> Session:
    return Session(
        owner=owner,
        id=data["id"],
        title=data["title"],
        kind=data["kind"],
        days=tuple(data["days"]),
        start=_time(data["start"]),
        minutes=data["minutes"],
        every_weeks=data.get("every_weeks", 1),
        modality=data.get("modality"),
        location=data.get("location"),
        facilitator=data.get("facilitator"),
        starts=_date(data.get("starts")),
        extra=extra,
        src=src,
    )


@dataclass(slots=True)
class Track:
    id: str
    name: str
    population: str  # adult | adolescent
    level_of_care: str
    weeks: int
    sessions: list[Session]
    src: Src | None = field(default=None, repr=False, compare=False)

    def session(self, session_id: str) -> Session | None:
        return next((s for s in self.sessions if s.id == session_id), None)


@dataclass(slots=True)
class Closure:
    start: Date
    end: Date  # inclusive
    reason: str | None
    src: Src | None = field(default=None, repr=False, compare=False)

    def covers(self, day: Date) -> bool:
        return self.start <= day <= self.end


@dataclass(slots=True)
class Staff:
    id: str
    name: str
    role: str | None = None
    credentials: str | None = None
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Resource:
    id: str
    name: str
    kind: str
    phone: str | None = None
    url: str | None = None
    address: str | None = None
    hours: str | None = None
    languages: list[str] = field(default_factory=list)
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class CrisisLine:
    name: str
    phone: str | None = None
    text: str | None = None


DEFAULT_CRISIS_LINES = [CrisisLine(name="988 Suicide & Crisis Lifeline", phone="988", text="988")]


@dataclass(slots=True)
class Rules:
    """Program-overridable numbers from rules.md."""

    plan_review_days: int = 30
    followup_within_days: int = 7
    absence_alert_after: int = 2


@dataclass(slots=True)
class Program:
    id: str
    name: str
    timezone: str
    phone: str | None
    address: str | None
    crisis_lines: list[CrisisLine]
    rules: Rules
    holiday_country: str | None
    holiday_subdivision: str | None
    closures: list[Closure]
    staff: dict[str, Staff]
    tracks: dict[str, Track]
    resources: dict[str, Resource]
    src: Src | None = field(default=None, repr=False, compare=False)


def build_program(doc: Document) -> Program:
    d = doc.data
    src = Src(doc)
    info = d["program"]
    closures = []
    for i, c in enumerate(_list(d, "closures")):
        start = _date(c.get("date") or c.get("start"))
        end = _date(c.get("date") or c.get("end"))
        closures.append(Closure(start, end, c.get("reason"), src.at("closures", i)))
    tracks = {}
    for i, t in enumerate(d["tracks"]):
        tsrc = src.at("tracks", i)
        sessions = [build_session(t["id"], s, tsrc.at("sessions", j)) for j, s in enumerate(t["sessions"])]
        tracks.setdefault(
            t["id"], Track(t["id"], t["name"], t["population"], str(t["level_of_care"]), t["weeks"], sessions, tsrc)
        )
    staff = {}
    for i, s in enumerate(d["staff"]):
        staff.setdefault(s["id"], Staff(s["id"], s["name"], s.get("role"), s.get("credentials"), src.at("staff", i)))
    resources = {}
    for i, r in enumerate(_list(d, "resources")):
        resources.setdefault(
            r["id"],
            Resource(
                r["id"], r["name"], r["kind"], r.get("phone"), r.get("url"), r.get("address"), r.get("hours"),
                list(r.get("languages") or []), src.at("resources", i),
            ),
        )
    lines = [CrisisLine(c["name"], c.get("phone"), c.get("text")) for c in _list(info, "crisis_lines")]
    holidays = d.get("holidays") or {}
    return Program(
        id=info["id"],
        name=info["name"],
        timezone=info["timezone"],
        phone=info.get("phone"),
        address=info.get("address"),
        crisis_lines=lines or list(DEFAULT_CRISIS_LINES),
        rules=Rules(**(d.get("rules") or {})),
        holiday_country=holidays.get("country"),
        holiday_subdivision=holidays.get("subdivision"),
        closures=closures,
        staff=staff,
        tracks=tracks,
        resources=resources,
        src=src,
    )


# -- participant -------------------------------------------------------------


@dataclass(slots=True)
class Support:
    id: str
    name: str
    relationship: str
    phone: str | None = None
    involvement: list[str] = field(default_factory=list)
    consent_signed: Date | None = None
    consent_expires: Date | None = None
    src: Src | None = field(default=None, repr=False, compare=False)

    def consent_valid_on(self, day: Date) -> bool:
        """A written consent signed on or before `day` that has not expired (42 CFR 2.31)."""
        if self.consent_signed is None or self.consent_signed > day:
            return False
        return self.consent_expires is None or self.consent_expires >= day


@dataclass(slots=True)
class Participant:
    id: str
    preferred_name: str
    date_of_birth: Date
    status: str
    track: str
    language: str = "en"
    pronouns: str | None = None
    admitted: Date | None = None
    discharged: Date | None = None
    discharge_reason: str | None = None
    primary_counselor: str | None = None
    diagnoses: list[dict] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    cultural_considerations: dict = field(default_factory=dict)
    supports: list[Support] = field(default_factory=list)
    safety_plan: dict = field(default_factory=dict)
    medications: list[dict] = field(default_factory=list)
    src: Src | None = field(default=None, repr=False, compare=False)

    def admitted_on(self, day: Date) -> bool:
        """In the program on `day`: admitted on or before it and not yet discharged."""
        if self.admitted is None or day < self.admitted:
            return False
        return self.discharged is None or day <= self.discharged


def build_participant(doc: Document) -> Participant:
    d = doc.data
    src = Src(doc)
    supports = []
    for i, s in enumerate(_list(d, "supports")):
        consent = s.get("consent") or {}
        supports.append(
            Support(
                s["id"], s["name"], s["relationship"], s.get("phone"), list(s.get("involvement") or []),
                _date(consent.get("signed")), _date(consent.get("expires")), src.at("supports", i),
            )
        )
    return Participant(
        id=d["id"],
        preferred_name=d["preferred_name"],
        date_of_birth=_date(d["date_of_birth"]),
        status=d["status"],
        track=d["track"],
        language=d.get("language") or "en",
        pronouns=d.get("pronouns"),
        admitted=_date(d.get("admitted")),
        discharged=_date(d.get("discharged")),
        discharge_reason=d.get("discharge_reason"),
        primary_counselor=d.get("primary_counselor"),
        diagnoses=_list(d, "diagnoses"),
        strengths=_list(d, "strengths"),
        needs=_list(d, "needs"),
        cultural_considerations=dict(d.get("cultural_considerations") or {}),
        supports=supports,
        safety_plan=dict(d.get("safety_plan") or {}),
        medications=_list(d, "medications"),
        src=src,
    )


# -- plan --------------------------------------------------------------------


@dataclass(slots=True)
class Objective:
    id: str
    statement: str
    measure: str
    target_date: Date
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Goal:
    id: str
    statement: str
    objectives: list[Objective]
    interventions: list[dict]
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Problem:
    id: str
    statement: str
    goals: list[Goal]
    asam_dimension: int | None = None
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Review:
    date: Date
    by: str
    summary: str | None = None
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class FollowUp:
    date: Date
    with_: str
    time: dt.time | None = None
    kind: str | None = None
    phone: str | None = None
    address: str | None = None
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Aftercare:
    discharge_target: Date | None = None
    step_down: dict = field(default_factory=dict)
    gains: list[str] = field(default_factory=list)
    support_needs: list[str] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    relapse_prevention: dict = field(default_factory=dict)
    medications: list[str] = field(default_factory=list)
    if_symptoms_return: list[str] = field(default_factory=list)
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Plan:
    participant: str
    start: Date
    problems: list[Problem]
    weeks: int | None = None  # None: the track's weeks
    track: str | None = None  # None: the participant's track
    signed_participant: Date | None = None
    signed_staff: list[tuple[str, Date]] = field(default_factory=list)
    signed_written: bool = False  # a `signed:` entry is in the file (IOP040 points at it)
    reviews: list[Review] = field(default_factory=list)
    extra_sessions: list[Session] = field(default_factory=list)
    skip_sessions: list[str] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)
    aftercare: Aftercare | None = None
    src: Src | None = field(default=None, repr=False, compare=False)

    def objectives(self) -> list[Objective]:
        return [o for p in self.problems for g in p.goals for o in g.objectives]


def build_plan(doc: Document) -> Plan:
    d = doc.data
    src = Src(doc)
    problems = []
    for i, p in enumerate(d["problems"]):
        psrc = src.at("problems", i)
        goals = []
        for j, g in enumerate(p["goals"]):
            gsrc = psrc.at("goals", j)
            objectives = [
                Objective(o["id"], o["statement"], o["measure"], _date(o["target_date"]), gsrc.at("objectives", k))
                for k, o in enumerate(g["objectives"])
            ]
            goals.append(Goal(g["id"], g["statement"], objectives, list(g["interventions"]), gsrc))
        problems.append(Problem(p["id"], p["statement"], goals, p.get("asam_dimension"), psrc))
    signed = d.get("signed") or {}
    aftercare = None
    if d.get("aftercare") is not None:
        a = d["aftercare"]
        asrc = src.at("aftercare")
        follow_ups = [
            FollowUp(_date(f["date"]), f["with"], _time(f.get("time")), f.get("kind"), f.get("phone"),
                     f.get("address"), asrc.at("follow_ups", i))
            for i, f in enumerate(_list(a, "follow_ups"))
        ]
        aftercare = Aftercare(
            discharge_target=_date(a.get("discharge_target")),
            step_down=dict(a.get("step_down") or {}),
            gains=_list(a, "gains"),
            support_needs=_list(a, "support_needs"),
            follow_ups=follow_ups,
            resources=_list(a, "resources"),
            relapse_prevention=dict(a.get("relapse_prevention") or {}),
            medications=_list(a, "medications"),
            if_symptoms_return=_list(a, "if_symptoms_return"),
            src=asrc,
        )
    return Plan(
        participant=d["participant"],
        start=_date(d["start"]),
        problems=problems,
        weeks=d.get("weeks"),
        track=d.get("track"),
        signed_participant=_date(signed.get("participant")),
        signed_staff=[(s["id"], _date(s["date"])) for s in _list(signed, "staff")],
        signed_written=d.get("signed") is not None,
        reviews=[
            Review(_date(r["date"]), r["by"], r.get("summary"), src.at("reviews", i))
            for i, r in enumerate(_list(d, "reviews"))
        ],
        extra_sessions=[
            build_session(d["participant"], s, src.at("extra_sessions", i), extra=True)
            for i, s in enumerate(_list(d, "extra_sessions"))
        ],
        skip_sessions=_list(d, "skip_sessions"),
        adjustments=_list(d, "adjustments"),
        aftercare=aftercare,
        src=src,
    )


# -- progress ----------------------------------------------------------------


@dataclass(slots=True)
class Assessment:
    date: Date
    instrument: str
    score: float
    items: list[int] | None = None
    note: str | None = None
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class ObjectiveUpdate:
    date: Date
    objective: str
    status: str
    note: str | None = None
    src: Src | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Progress:
    participant: str
    assessments: list[Assessment] = field(default_factory=list)
    objective_updates: list[ObjectiveUpdate] = field(default_factory=list)
    milestones: list[dict] = field(default_factory=list)
    screens: list[dict] = field(default_factory=list)
    src: Src | None = field(default=None, repr=False, compare=False)

    def objective_status(self, objective_id: str, as_of: Date | None = None) -> str:
        """The latest update's status (on or before as_of), else not-started."""
        latest = None
        for u in self.objective_updates:
            if u.objective == objective_id and (as_of is None or u.date <= as_of):
                if latest is None or u.date >= latest.date:
                    latest = u
        return latest.status if latest else "not-started"


def build_progress(doc: Document) -> Progress:
    d = doc.data
    src = Src(doc)
    return Progress(
        participant=d["participant"],
        assessments=[
            Assessment(_date(a["date"]), a["instrument"], a["score"], a.get("items"), a.get("note"),
                       src.at("assessments", i))
            for i, a in enumerate(_list(d, "assessments"))
        ],
        objective_updates=[
            ObjectiveUpdate(_date(u["date"]), str(u["objective"]), u["status"], u.get("note"),
                            src.at("objective_updates", i))
            for i, u in enumerate(_list(d, "objective_updates"))
        ],
        milestones=_list(d, "milestones"),
        screens=_list(d, "screens"),
        src=src,
    )


# -- sessions ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attendance:
    status: str  # present | late | left-early | excused | absent
    minutes: int | None = None
    note: str | None = None
    # (No Src: rules point at `attendance.<id>` of the session's own. A large program has
    # tens of attendance entries a session, and a Src for each took a tenth of its model.)

    @property
    def attended(self) -> bool:
        return self.status in ("present", "late", "left-early")


_PLAIN_ATTENDANCE = {status: Attendance(status) for status in ("present", "late", "left-early", "excused", "absent")}


@dataclass(slots=True)
class SessionLog:
    date: Date
    session: str  # <track>/<id> or <participant>/<id>
    status: str  # held | cancelled
    start: dt.time | None = None
    minutes: int | None = None
    facilitator: str | None = None
    topic: str | None = None
    attendance: dict[str, Attendance] = field(default_factory=dict)
    src: Src | None = field(default=None, repr=False, compare=False)

    @property
    def owner(self) -> str:
        return self.session.split("/", 1)[0]

    @property
    def session_id(self) -> str:
        return self.session.split("/", 1)[1]


def build_session_log(doc: Document) -> SessionLog:
    d = doc.data
    src = Src(doc)
    attendance = {}
    for pid, entry in (d.get("attendance") or {}).items():
        if isinstance(entry, str):  # most entries: one shared, frozen object per status
            attendance[str(pid)] = _PLAIN_ATTENDANCE.get(entry) or Attendance(entry)
        else:
            attendance[str(pid)] = Attendance(entry["status"], entry.get("minutes"), entry.get("note"))
    return SessionLog(
        date=_date(d["date"]),
        session=d["session"],
        status=d["status"],
        start=_time(d.get("start")),
        minutes=d.get("minutes"),
        facilitator=d.get("facilitator"),
        topic=d.get("topic"),
        attendance=attendance,
        src=src,
    )


BUILDERS = {
    "participant": build_participant,
    "plan": build_plan,
    "progress": build_progress,
    "session": build_session_log,
}


# -- the whole repository ----------------------------------------------------


@dataclass(slots=True)
class Records:
    """Everything in one records repository that loaded and passed its schema."""

    root: Path
    program: Program | None
    participants: dict[str, Participant] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    progress: dict[str, Progress] = field(default_factory=dict)
    sessions: list[SessionLog] = field(default_factory=list)
    # Participant, plan and progress records whose id another file holds too (see
    # records._place): no rule but IOP003 looks at them.
    shadowed: list[Participant | Plan | Progress] = field(default_factory=list)
    # kind -> ids (file names) of every file of that kind, valid or not: a reference to a
    # record that exists but failed its schema is not reported again as missing.
    present: dict[str, set[str]] = field(default_factory=dict)

    def exists(self, kind: str, record_id: str) -> bool:
        return record_id in self.present.get(kind, set())

    def plan_track(self, plan: Plan) -> Track | None:
        """The plan's track: its own `track`, else its participant's."""
        if self.program is None:
            return None
        track_id = plan.track
        if track_id is None and plan.participant in self.participants:
            track_id = self.participants[plan.participant].track
        return self.program.tracks.get(track_id) if track_id else None

    def plan_weeks(self, plan: Plan) -> int | None:
        if plan.weeks is not None:
            return plan.weeks
        track = self.plan_track(plan)
        return track.weeks if track else None

    def timetable(self, plan: Plan) -> list[Session]:
        """The weekly sessions of a plan: its track's minus skip_sessions, plus its extras."""
        track = self.plan_track(plan)
        base = [s for s in (track.sessions if track else []) if s.id not in plan.skip_sessions]
        return base + list(plan.extra_sessions)

    def session_def(self, key: str) -> Session | None:
        """The timetable entry a session file names (`<track>/<id>` or `<participant>/<id>`)."""
        owner, _, sid = key.partition("/")
        if self.program and owner in self.program.tracks:
            return self.program.tracks[owner].session(sid)
        plan = self.plans.get(owner)
        if plan:
            return next((s for s in plan.extra_sessions if s.id == sid), None)
        return None
