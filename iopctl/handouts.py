"""Participant handouts: the data a handout gets, the Jinja2 environments, and rendering.

records --build_handout--> Handout (plain data, in the participant's language)
        --render---------> md | html | txt text (or the data as JSON)

Templates are found by name `<lang>/<template>.<format>.j2`, first in the
records repository's `templates/` folder, then in the packaged templates.
When the repository has a `templates/` folder, rendering runs in Jinja2's
sandbox, because those templates come with the records, not with iopctl.
Every environment uses StrictUndefined; HTML autoescapes every value.

Privacy (rules.md, minimum necessary): the Handout holds no diagnosis, no
date of birth, no plan problems; a support person's phone number is kept
only while their written consent is valid on the handout's date.
"""
from __future__ import annotations

import datetime as dt
import re
import textwrap
import traceback
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from iopctl import i18n
from iopctl.model import Participant, Plan, Records, Support
from iopctl.resources import data_dir

TEMPLATES = ("aftercare", "welcome")  # packaged; a repository may add its own names
FORMATS = ("md", "html", "txt")
REPO_TEMPLATES = "templates"  # folder in a records repository
TXT_WIDTH = 72
WELCOME_WEEKS = 2  # the welcome handout lists the plan's first two weeks
SAFETY_STEPS = ("warning_signs", "coping_strategies", "social_distractions", "people_to_ask",
                "professionals", "means_safety")  # Stanley and Brown's order
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class HandoutError(Exception):
    """Bad input for a handout (unknown template or participant): a message for the user."""


class HandoutTemplateError(HandoutError):
    """A template failed to compile or render; `where` is `file:line`."""

    def __init__(self, where: str, message: str):
        super().__init__(f"template error in {where}: {message}")
        self.where = where


# -- the data a handout gets -------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One line of a list: text, and optionally a note (a role, a relationship) and a phone."""

    text: str
    note: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class ProgramInfo:
    name: str
    phone: str | None
    address: str | None


@dataclass(frozen=True)
class Counselor:
    name: str
    credentials: str | None


@dataclass(frozen=True)
class FollowUp:
    date: dt.date
    date_text: str  # long date with weekday, in the handout's language
    weekday: str
    time: str | None  # "HH:MM", as in the records
    time_text: str | None
    who: str
    kind: str | None
    phone: str | None
    address: str | None


@dataclass(frozen=True)
class StepDown:
    provider: str | None
    level_of_care: str | None
    level_text: str | None  # the level in plain words


@dataclass(frozen=True)
class RelapsePlan:
    triggers: list[str]
    warning_signs: list[str]
    coping_strategies: list[str]
    people_to_call: list[Entry]

    @property
    def empty(self) -> bool:
        return not (self.triggers or self.warning_signs or self.coping_strategies or self.people_to_call)


@dataclass(frozen=True)
class SafetyStep:
    number: int  # 1..6, Stanley-Brown step number (kept when an earlier step is empty)
    key: str
    items: list[Entry]


@dataclass(frozen=True)
class CrisisLine:
    name: str
    phone: str | None
    text: str | None
    is_988: bool


@dataclass(frozen=True)
class Resource:
    id: str
    name: str
    kind: str
    kind_text: str
    phone: str | None
    url: str | None
    address: str | None
    hours: str | None
    languages: list[str]
    languages_text: str | None


@dataclass(frozen=True)
class SessionItem:
    start: str  # "HH:MM"
    start_text: str
    end: str
    end_text: str
    title: str
    location: str | None
    facilitator: str | None  # staff name


@dataclass(frozen=True)
class SessionDay:
    date: dt.date
    date_text: str
    closed: str | None  # why there are no sessions that day
    sessions: list[SessionItem]


@dataclass(frozen=True)
class Handout:
    """Everything a template may print. Empty lists and None mean: leave the section out."""

    template: str
    lang: str
    as_of: dt.date
    participant: dict  # {id, preferred_name}: the id names files, handouts address by name
    program: ProgramInfo
    counselor: Counselor | None
    discharge_date: dt.date | None
    discharge_date_text: str | None
    has_aftercare: bool
    step_down: StepDown | None
    follow_ups: list[FollowUp]
    medications: list[str]
    gains: list[str]
    relapse_prevention: RelapsePlan
    if_symptoms_return: list[str]
    safety_plan: list[SafetyStep]
    crisis_lines: list[CrisisLine]
    resources: list[Resource]
    first_weeks: list[SessionDay] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        """Top-level template variables: the fields, nested objects kept as objects."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class _Redactor:
    """Removes the phone numbers of support persons without a valid consent from free text."""

    def __init__(self, blocked: Iterable[Support]):
        patterns = []
        for s in blocked:
            digits = re.sub(r"\D", "", s.phone or "")
            # the full number, and its last 7 digits (a local way of writing it)
            for d in sorted({digits, digits[-7:]} - {""}, key=len, reverse=True):
                if len(d) >= 3:
                    body = r"[\s().-]*".join(d)
                    patterns.append(rf"(?:\s*[,:;]\s*|\s+)?[+(]*(?<!\d){body}(?!\d)")
        self._re = re.compile("|".join(patterns)) if patterns else None

    def __call__(self, text: str) -> str:
        text = " ".join(str(text).split())  # one line: md and txt lists rely on it
        if self._re is not None:
            text = self._re.sub("", text).strip()
        return text

    def phone(self, value: str | None) -> str | None:
        """A phone field, or None when it is a blocked support's number."""
        if value is None or (self._re is not None and self._re.search(value)):
            return None
        return value


def _texts(items: Iterable[Any], clean: Callable[[str], str]) -> list[str]:
    return [t for t in (clean(x) for x in items or []) if t]


def _program_info(records: Records) -> ProgramInfo:
    p = records.program
    return ProgramInfo(p.name, p.phone, p.address)


def crisis_lines(records: Records) -> list[CrisisLine]:
    """The program's crisis lines, with 988 first when the program does not list it (rules.md)."""
    lines = [CrisisLine(c.name, c.phone, c.text, c.phone == "988" or c.text == "988")
             for c in records.program.crisis_lines]
    if not any(line.is_988 for line in lines):
        lines.insert(0, CrisisLine("988 Suicide & Crisis Lifeline", "988", "988", True))
    return lines


def _support_entry(s: Support, day: dt.date, clean: Callable[[str], str]) -> Entry:
    phone = s.phone if s.consent_valid_on(day) else None
    return Entry(clean(s.name), clean(s.relationship) or None, phone)


def _people(items: Iterable[str], participant: Participant, day: dt.date,
            clean: Callable[[str], str]) -> list[Entry]:
    """Support ids resolve to name, relationship and (with consent) phone; other text stays as written."""
    supports = {s.id: s for s in participant.supports}
    out = []
    for item in items or []:
        key = str(item).strip()
        if key in supports:
            out.append(_support_entry(supports[key], day, clean))
        elif clean(key):
            out.append(Entry(clean(key)))
    return out


def _safety_plan(participant: Participant, day: dt.date, clean: _Redactor) -> list[SafetyStep]:
    plan = participant.safety_plan
    steps = []
    for number, key in enumerate(SAFETY_STEPS, start=1):
        if key == "people_to_ask":
            items = _people(plan.get(key), participant, day, clean)
        elif key == "professionals":
            items = [Entry(clean(p["name"]), clean(p.get("role") or "") or None, clean.phone(p.get("phone")))
                     for p in plan.get(key) or [] if clean(p.get("name") or "")]
        else:
            items = [Entry(t) for t in _texts(plan.get(key), clean)]
        if items:
            steps.append(SafetyStep(number, key, items))
    return steps


def _follow_ups(plan: Plan | None, lang: str, clean: _Redactor) -> list[FollowUp]:
    if plan is None or plan.aftercare is None:
        return []
    out = []
    for f in sorted(plan.aftercare.follow_ups, key=lambda f: (f.date, f.time or dt.time(0))):
        out.append(FollowUp(
            date=f.date, date_text=i18n.long_date(f.date, lang), weekday=i18n.weekday_name(f.date, lang),
            time=f.time.strftime("%H:%M") if f.time else None,
            time_text=i18n.clock(f.time, lang) if f.time else None,
            who=clean(f.with_), kind=clean(f.kind or "") or None, phone=clean.phone(f.phone),
            address=clean(f.address or "") or None,
        ))
    return out


def _resources(records: Records, plan: Plan | None, lang: str, clean: Callable[[str], str]) -> list[Resource]:
    if plan is None or plan.aftercare is None:
        return []
    out = []
    for rid in plan.aftercare.resources:  # in the plan's order: the counsellor chose it
        r = records.program.resources.get(rid)
        if r is None:  # validate reports it (IOP010)
            continue
        names = [i18n.language_name(code, lang) for code in r.languages]
        out.append(Resource(r.id, clean(r.name), r.kind, i18n.resource_kind(r.kind, lang), r.phone, r.url,
                            clean(r.address or "") or None, clean(r.hours or "") or None, list(r.languages),
                            ", ".join(names) or None))
    return out


def discharge_date(records: Records, participant: Participant, default: bool = True) -> dt.date | None:
    """The recorded discharge, else the plan's target, else (with `default`) plan start + weeks (records.md)."""
    if participant.discharged:
        return participant.discharged
    plan = records.plans.get(participant.id)
    if plan is None:
        return None
    if plan.aftercare and plan.aftercare.discharge_target:
        return plan.aftercare.discharge_target
    weeks = records.plan_weeks(plan)
    return plan.start + dt.timedelta(weeks=weeks) if weeks and default else None


def _first_weeks(records: Records, plan: Plan | None, lang: str) -> list[SessionDay]:
    """The plan's first two weeks of sessions, closed days included with their reason."""
    from iopctl.schedule import plan_occurrences

    if plan is None:
        return []
    staff = records.program.staff
    days: dict[dt.date, list] = {}
    for occ in plan_occurrences(records, plan, include_closed=True):
        if occ.week is not None and occ.week <= WELCOME_WEEKS:
            days.setdefault(occ.date, []).append(occ)
    out = []
    for day, occs in sorted(days.items()):
        open_ = [o for o in occs if o.closed is None]
        closed = occs[0].closed if not open_ else None
        items = [
            SessionItem(o.start.strftime("%H:%M"), i18n.clock(o.start.time(), lang), o.end.strftime("%H:%M"),
                        i18n.clock(o.end.time(), lang), o.session.title, o.session.location,
                        staff[o.session.facilitator].name if o.session.facilitator in staff else None)
            for o in open_
        ]
        out.append(SessionDay(day, i18n.long_date(day, lang), closed, items))
    return out


def build_handout(records: Records, pid: str, template: str, lang: str, as_of: dt.date) -> Handout:
    """The data a handout gets, in language `lang`, with consents judged on `as_of`."""
    participant = records.participants.get(pid)
    if participant is None or records.program is None:
        raise HandoutError(f"no participant {pid} in participants/")
    plan = records.plans.get(pid)
    aftercare = plan.aftercare if plan else None
    blocked = [s for s in participant.supports if s.phone and not s.consent_valid_on(as_of)]
    clean = _Redactor(blocked)
    staff = records.program.staff.get(participant.primary_counselor or "")
    rp = aftercare.relapse_prevention if aftercare else {}
    step = aftercare.step_down if aftercare else {}
    level = step.get("level_of_care")
    leaving = discharge_date(records, participant, default=False)  # a handout prints only a date someone set
    return Handout(
        template=template,
        lang=lang,
        as_of=as_of,
        participant={"id": participant.id, "preferred_name": clean(participant.preferred_name)},
        program=_program_info(records),
        counselor=Counselor(staff.name, staff.credentials) if staff else None,
        discharge_date=leaving,
        discharge_date_text=i18n.long_date(leaving, lang) if leaving else None,
        has_aftercare=aftercare is not None,
        step_down=StepDown(clean(step.get("provider") or "") or None, str(level) if level else None,
                           i18n.level_of_care(level, lang)) if step else None,
        follow_ups=_follow_ups(plan, lang, clean),
        medications=_texts(aftercare.medications if aftercare else [], clean),
        gains=_texts(aftercare.gains if aftercare else [], clean),
        relapse_prevention=RelapsePlan(
            triggers=_texts(rp.get("triggers"), clean),
            warning_signs=_texts(rp.get("warning_signs"), clean),
            coping_strategies=_texts(rp.get("coping_strategies"), clean),
            people_to_call=_people(rp.get("people_to_call"), participant, as_of, clean),
        ),
        if_symptoms_return=_texts(aftercare.if_symptoms_return if aftercare else [], clean),
        safety_plan=_safety_plan(participant, as_of, clean),
        crisis_lines=crisis_lines(records),
        resources=_resources(records, plan, lang, clean),
        first_weeks=_first_weeks(records, plan, lang),
    )


# -- filters -------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
# Only what starts a block when it begins a line: `- x`, `+ x`, `# x`, `1. x`, `> x`.
_MD_LEADING = re.compile(r"^(\s*)(?:([#*+-])(?=\s|$)|(>)|(\d{1,9})([.)])(?=\s|$))")


def md_escape(value: Any) -> str:
    """Record text as literal Markdown: no emphasis, links, HTML or list markers from the data."""
    text = _MD_SPECIAL.sub(r"\\\1", str(value))
    return _MD_LEADING.sub(_md_leading, text)


def _md_leading(m: re.Match) -> str:
    if m.group(4):  # `1.` -> `1\.`
        return f"{m.group(1)}{m.group(4)}\\{m.group(5)}"
    return f"{m.group(1)}\\{m.group(2) or m.group(3)}"


_PHONE = re.compile(r"\+?\d[\d ().-]{4,}\d")
_SHORT_NUMBER = re.compile(r" (?=\d{1,3}[.,;:)]?(?:\s|$))")  # `press 1`, `Call 988.`: keep with the word before
_GLUE = "\x00"  # stands for a space that must not become a line break


def _fill(value: Any, width: int, first: str, rest: str) -> str:
    """textwrap.fill that never breaks inside a phone number (`+1 555 0100` stays on one line)."""
    text = " ".join(str(value).split())
    text = _PHONE.sub(lambda m: m.group(0).replace(" ", _GLUE), text)
    text = _SHORT_NUMBER.sub(_GLUE, text)
    filled = textwrap.fill(text, width=width, initial_indent=first, subsequent_indent=rest,
                           break_long_words=False, break_on_hyphens=False)
    return filled.replace(_GLUE, " ")


def bullet(value: Any, marker: str = "- ", indent: int = 2, width: int = TXT_WIDTH) -> str:
    """A wrapped list item for plain text, continuation lines under the text."""
    first = " " * indent + marker
    return _fill(value, width, first, " " * len(first))


def wrap(value: Any, indent: int = 0, width: int = TXT_WIDTH) -> str:
    pad = " " * indent
    return _fill(value, width, pad, pad)


def underline(value: Any, char: str = "=") -> str:
    text = str(value)
    return f"{text}\n{char * len(text)}"


def _lang_of(ctx: Any) -> str:
    return ctx.get("lang") or i18n.DEFAULT


@jinja2.pass_context
def _long_date(ctx: Any, value: dt.date) -> str:
    return i18n.long_date(value, _lang_of(ctx))


@jinja2.pass_context
def _short_date(ctx: Any, value: dt.date) -> str:
    return i18n.short_date(value, _lang_of(ctx))


@jinja2.pass_context
def _weekday(ctx: Any, value: dt.date) -> str:
    return i18n.weekday_name(value, _lang_of(ctx))


@jinja2.pass_context
def _clock(ctx: Any, value: dt.time) -> str:
    return i18n.clock(value, _lang_of(ctx))


FILTERS: dict[str, Callable] = {
    "long_date": _long_date,
    "short_date": _short_date,
    "weekday": _weekday,
    "clock": _clock,
    "md": md_escape,
    "bullet": bullet,
    "wrap": wrap,
    "underline": underline,
    "upfirst": i18n.upfirst,
}


# -- templates -------------------------------------------------------------------


class _RepoLoader(jinja2.FileSystemLoader):
    """The repository's templates/ folder; a symlink may not lead outside the repository."""

    def __init__(self, folder: Path, root: Path):
        super().__init__(str(folder))
        self.root = root.resolve()

    def get_source(self, environment: jinja2.Environment, template: str):
        source, filename, uptodate = super().get_source(environment, template)
        try:
            Path(filename).resolve().relative_to(self.root)
        except ValueError:
            raise jinja2.TemplateNotFound(template) from None
        return source, filename, uptodate


def packaged_dir() -> Path:
    return Path(str(data_dir("templates")))


def repo_templates(root: Path | None) -> Path | None:
    if root is None:
        return None
    folder = root / REPO_TEMPLATES
    return folder if folder.is_dir() else None


def make_environment(fmt: str, root: Path | None = None) -> jinja2.Environment:
    """The environment for one output format: packaged templates, overridden by the repository's.

    HTML escapes every value (CSS files excepted); md and txt templates escape
    with the `md` filter or wrap with `bullet`/`wrap` themselves.
    """
    override = repo_templates(root)
    if override is None:
        return _packaged_environment(fmt)
    return _environment(fmt, override, root)


@lru_cache(maxsize=None)
def _packaged_environment(fmt: str) -> jinja2.Environment:
    """Packaged templates only: one environment per format, reused (Jinja caches compiled templates)."""
    return _environment(fmt, None, None)


def _environment(fmt: str, override: Path | None, root: Path | None) -> jinja2.Environment:
    packaged = jinja2.FileSystemLoader(str(packaged_dir()))
    options: dict[str, Any] = dict(
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: fmt == "html" and not (name or "").endswith((".css", ".css.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    if override is not None:
        env: jinja2.Environment = ImmutableSandboxedEnvironment(
            loader=jinja2.ChoiceLoader([_RepoLoader(override, root), packaged]), **options)
    else:
        env = jinja2.Environment(loader=packaged, **options)
    env.filters.update(FILTERS)
    return env


def template_name(template: str, fmt: str, lang: str) -> str:
    return f"{lang}/{template}.{fmt}.j2"


def _exists(env: jinja2.Environment, name: str) -> bool:
    try:
        env.loader.get_source(env, name)
        return True
    except jinja2.TemplateNotFound:
        return False


def choose_language(env: jinja2.Environment, template: str, fmt: str, wanted: str | None) -> tuple[str, list[str]]:
    """The language to write in, and notes for stderr: `es-MX` -> `es`; missing -> English."""
    lang = i18n.base_language(wanted) or i18n.DEFAULT
    if _exists(env, template_name(template, fmt, lang)):
        return lang, []
    if lang != i18n.DEFAULT and _exists(env, template_name(template, fmt, i18n.DEFAULT)):
        return i18n.DEFAULT, [f"no `{lang}` translation of the {template} handout ({fmt}); writing it in English"]
    raise HandoutError(f"no template `{template}` for format {fmt} (looked for "
                       f"{REPO_TEMPLATES}/{template_name(template, fmt, lang)} and the packaged templates)")


def _where(filename: str | None, line: int | None, root: Path | None) -> str:
    """A template's file for messages: relative to the records root, or marked as packaged."""
    if not filename:
        return f"<template>:{line or 0}"
    path = Path(filename)
    for base, label in ((root, ""), (packaged_dir(), "packaged template ")):
        if base is None:
            continue
        try:
            return f"{label}{path.resolve().relative_to(base.resolve()).as_posix()}:{line or 0}"
        except ValueError:
            continue
    return f"{filename}:{line or 0}"


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost traceback frame that runs template code (Jinja rewrites frames to template lines)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2") or frame.filename == "<template>":
            found = (frame.filename, frame.lineno)
    return found


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any], root: Path | None = None) -> str:
    """Render, turning any template problem into HandoutTemplateError with file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as e:
        raise HandoutTemplateError(_where(e.filename, e.lineno, root), e.message or "syntax error") from None
    except Exception as e:  # undefined names, sandbox refusals, filter errors: all template faults
        filename, line = _template_frame(e)
        if filename is None:
            raise
        message = getattr(e, "message", None) or str(e) or type(e).__name__
        raise HandoutTemplateError(_where(filename, line, root), f"{type(e).__name__}: {message}") from None


@dataclass(frozen=True)
class Rendered:
    pid: str
    template: str
    fmt: str
    lang: str
    text: str
    notes: list[str]

    @property
    def file_name(self) -> str:
        """`P0001-aftercare.en.html`: what --all writes."""
        return f"{self.pid}-{self.template}.{self.lang}.{self.fmt}"


def render_handout(records: Records, pid: str, template: str = "aftercare", fmt: str = "md",
                   lang: str | None = None, as_of: dt.date | None = None,
                   env: jinja2.Environment | None = None) -> Rendered:
    """One participant's handout. `lang` overrides the participant's language; fmt json gives the data."""
    from iopctl.output import to_json

    if not _NAME.match(template):
        raise HandoutError(f"`{template}` is not a template name (letters, digits, - and _)")
    participant = records.participants.get(pid)
    if participant is None:
        raise HandoutError(f"no participant {pid} in participants/")
    as_of = as_of or dt.date.today()
    if fmt == "json":
        env_fmt = "md"  # json writes the data; the language still follows the md templates
    elif fmt in FORMATS:
        env_fmt = fmt
    else:
        raise HandoutError(f"unknown format {fmt}")
    env = env or make_environment(env_fmt, records.root)
    chosen, notes = choose_language(env, template, env_fmt, lang or participant.language)
    data = build_handout(records, pid, template, chosen, as_of)
    if template == "aftercare" and not data.has_aftercare:
        notes.append(f"no aftercare plan yet (plans/{pid}.yaml `aftercare:`); the handout holds the safety plan "
                     "and crisis lines only")
    if fmt == "json":
        text = to_json(data.as_json())
    else:
        text = render_template(env, template_name(template, fmt, chosen), data.context(), records.root)
        if not text.endswith("\n"):
            text += "\n"
    return Rendered(pid, template, fmt, chosen, text, [f"{pid}: {n}" for n in notes])


def discharging_within(records: Records, as_of: dt.date, days: int) -> list[tuple[str, dt.date]]:
    """(id, discharge date) of participants leaving between as_of and as_of + days, sorted by id."""
    last = as_of + dt.timedelta(days=days)
    out = []
    for pid, participant in sorted(records.participants.items()):
        if participant.status in ("referred", "withdrawn"):
            continue
        leaving = discharge_date(records, participant)
        if leaving is not None and as_of <= leaving <= last:
            out.append((pid, leaving))
    return out


__all__ = ["TEMPLATES", "FORMATS", "HandoutError", "HandoutTemplateError", "Handout", "build_handout",
           "make_environment", "choose_language", "render_template", "render_handout", "Rendered",
           "discharging_within", "discharge_date", "crisis_lines", "md_escape", "bullet", "wrap"]
