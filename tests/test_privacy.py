"""Minimum necessary: what every rendered output of the sample program leaves out.

- No diagnosis code and no date of birth on any handout, progress report,
  calendar or export of the sample program (none of those readers needs them).
- A support person without a valid consent: their phone number never appears,
  and their name appears only on the participant's own handouts.
- Error messages name the file and the field and never echo a record, or long
  free text, back.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from iopctl import handouts, i18n, progress, progress_report
from iopctl import records as records_mod
from iopctl.cli import cli

SAMPLE = Path(__file__).parent.parent / "sample_records"
AS_OF = dt.date(2026, 11, 23)
ENV = {"IOPCTL_EXPORT_KEY": "k" * 32, "NO_COLOR": "1"}


def participants_data(root: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((root / "participants").glob("*.yaml"))}


def date_spellings(day: dt.date) -> set[str]:
    """A date as the outputs could write it: ISO, US, and in words in every language iopctl writes."""
    out = {day.isoformat(), f"{day.month:02d}/{day.day:02d}/{day.year}", f"{day.month}/{day.day}/{day.year}"}
    for lang in i18n.LANGUAGES:
        out.add(i18n.long_date(day, lang))
        month = i18n.month_name(day, lang)
        out.update({f"{month} {day.day}, {day.year}", f"{day.day} de {month} de {day.year}"})
    return out


def forbidden(root: Path) -> dict[str, set[str]]:
    """participant id -> diagnosis codes and spellings of the date of birth."""
    out = {}
    for pid, data in participants_data(root).items():
        words = {d["code"] for d in data.get("diagnoses") or []}
        words |= date_spellings(data["date_of_birth"])
        out[pid] = words
    return out


def leaks(text: str, words: set[str]) -> list[str]:
    return sorted(w for w in words if re.search(rf"(?<![\w.]){re.escape(w)}(?![\w])", text))


@pytest.fixture(scope="module")
def sample():
    loaded = records_mod.load(SAMPLE)
    records_mod.require_valid(loaded, AS_OF)
    return loaded.records


def test_the_sample_has_what_this_file_looks_for():
    words = forbidden(SAMPLE)
    assert len(words) == 11
    assert "F10.20" in words["P0001"] and "1979-06-03" in words["P0001"] and "June 3, 1979" in words["P0001"]
    assert all(any(re.match(r"^[A-Z]\d", w) for w in ws) for ws in words.values())  # every one has a diagnosis


def all_forbidden(root: Path = SAMPLE) -> set[str]:
    return set().union(*forbidden(root).values())


def test_handouts_hold_no_diagnosis_or_date_of_birth(sample):
    words = all_forbidden()
    rendered = 0
    for pid in sample.participants:
        for template in handouts.TEMPLATES:
            for fmt in handouts.FORMATS + ("json",):
                for lang in (None, "en", "es"):
                    done = handouts.render_handout(sample, pid, template, fmt, lang, AS_OF)
                    assert leaks(done.text, words) == [], (pid, template, fmt, lang)
                    rendered += 1
    assert rendered == 11 * 2 * 4 * 3


def test_progress_reports_hold_no_diagnosis_or_date_of_birth(sample):
    words = all_forbidden()
    caseload = progress.caseload(sample, AS_OF)
    for fmt in progress_report.FORMATS:
        assert leaks(progress_report.render_caseload(caseload, fmt, sample.program.name), words) == [], fmt
        for pid in sample.participants:
            p = progress.participant_progress(sample, pid, AS_OF)
            assert leaks(progress_report.render_participant(p, fmt, sample.program.name), words) == [], (pid, fmt)


def cli_text(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--records", str(SAMPLE), "--as-of", AS_OF.isoformat()], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "ics"])
def test_calendars_hold_no_diagnosis_or_date_of_birth(sample, fmt):
    words = all_forbidden()
    texts = [cli_text("calendar", pid, "--format", fmt) for pid in sorted(sample.participants)]
    texts.append(cli_text("calendar", "--program", "--format", fmt))
    for text in texts:
        assert leaks(text, words) == []


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_holds_no_diagnosis_or_date_of_birth(fmt):
    assert leaks(cli_text("export", "--deidentify", "--format", fmt), all_forbidden()) == []


# -- support persons without consent --------------------------------------------


@pytest.fixture
def lapsed(tmp_path) -> Path:
    """The sample with P0001's supports changed: Carla's consent removed, Gil's expired on 2026-11-01,
    and Gil's number also written into the aftercare plan's free text."""
    root = tmp_path / "records"
    shutil.copytree(SAMPLE, root)
    path = root / "participants/P0001.yaml"
    before = path.read_text(encoding="utf-8")
    text = before.replace("    consent:\n      signed: 2026-09-14\n      expires: 2027-09-14\n", "", 1)
    text = text.replace("      expires: 2027-10-01", "      expires: 2026-11-01")
    assert len(text) == len(before) - 64 and "expires: 2026-11-01" in text  # both edits were made
    path.write_text(text, encoding="utf-8")
    plan = root / "plans/P0001.yaml"
    data = plan.read_text(encoding="utf-8")
    assert "  if_symptoms_return:\n" in data
    plan.write_text(data.replace("  if_symptoms_return:\n", "  if_symptoms_return:\n    - Call Gil at (555) 0161 any time\n", 1),
                    encoding="utf-8")
    return root


CARLA_PHONE, GIL_PHONE = "+1 555 0160", "+1 555 0161"


def phone_leaks(text: str) -> list[str]:
    """Carla's and Gil's numbers, however they are spaced or bracketed."""
    return [last for last in ("0160", "0161") if re.search(rf"555[\s().-]*{last}(?!\d)", text)]


def p0001_outputs(root: Path) -> dict[tuple, str]:
    loaded = records_mod.load(root)
    recs = loaded.records
    out = {}
    for template in handouts.TEMPLATES:
        for fmt in handouts.FORMATS + ("json",):
            for lang in ("en", "es"):
                out[("handout", template, fmt, lang)] = handouts.render_handout(recs, "P0001", template, fmt, lang,
                                                                              AS_OF).text
    runner = CliRunner()
    for args in (["progress", "P0001", "--format", "json"], ["progress", "--format", "csv"],
                 ["calendar", "P0001", "--format", "json"], ["export", "--deidentify", "--format", "json"]):
        result = runner.invoke(cli, [*args, "--records", str(root), "--as-of", AS_OF.isoformat()], env=ENV)
        assert result.exit_code == 0, result.output
        out[tuple(args)] = result.stdout
    return out


def test_support_phones_need_a_valid_consent(lapsed):
    for where, text in p0001_outputs(lapsed).items():
        assert phone_leaks(text) == [], where


def test_with_valid_consents_the_handout_does_show_the_supports():
    """The control for the test above: the same outputs of the unchanged sample list both numbers."""
    outputs = p0001_outputs(SAMPLE)
    aftercare = outputs[("handout", "aftercare", "md", "en")]
    assert CARLA_PHONE in aftercare and GIL_PHONE in aftercare


def test_supports_appear_only_on_the_participants_own_handouts(lapsed):
    for where, text in p0001_outputs(lapsed).items():
        if where[0] != "handout":  # care-team and third-party outputs never list supports
            assert "Carla" not in text and "Gil" not in text, where


# -- error messages ----------------------------------------------------------------

SECRET = "Patient disclosed relapse after her husband Tomas Ruiz left; lives at 44 Oak Lane; call 555-0199. " * 5


@pytest.fixture
def base_repo(tmp_path) -> Path:
    root = tmp_path / "records"
    shutil.copytree(Path(__file__).parent / "corpus" / "base", root)
    return root


# (file, line number to replace in it, the new line, the field the message must name)
BAD_VALUES = [
    ("participants/P0001.yaml", 5, f"status: {SECRET}", "status"),
    ("participants/P0001.yaml", 3, f"preferred_name: [{SECRET}]", "preferred_name"),
    ("participants/P0001.yaml", 4, f"date_of_birth: {SECRET}", "date_of_birth"),
    ("plans/P0001.yaml", 11, f"    statement: {{text: {SECRET}}}", "problems[0].statement"),
    ("progress/P0001.yaml", 6, f"    score: {SECRET}", "assessments[0].score"),
    ("sessions/2026-11/2026-11-02-adult-group.yaml", 9, f"  P0001: {SECRET}", "attendance.P0001"),
    ("participants/P0001.yaml", 19, f"notes: {SECRET}", "notes"),
]


def replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    if number > len(lines) - 1:
        lines.insert(number - 1, text)
    else:
        lines[number - 1] = text
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize("rel, line, text, field", BAD_VALUES, ids=[f"{b[0].split('/')[0]}-{b[3]}" for b in BAD_VALUES])
def test_schema_errors_name_file_and_field_without_echoing_the_text(base_repo, rel, line, text, field):
    replace_line(base_repo / rel, line, text)
    result = CliRunner().invoke(cli, ["validate", "--records", str(base_repo), "--as-of", AS_OF.isoformat()],
                                env=ENV)
    assert result.exit_code == 1
    errors = [x for x in result.stdout.splitlines() if " error: " in x]
    assert errors and all(x.startswith(f"{rel}:{line}:") for x in errors), result.stdout
    assert any(field in x for x in errors), result.stdout
    for x in errors:
        assert len(x) < 250, x
    for fragment in ("Tomas Ruiz", "44 Oak Lane", "555-0199"):
        assert fragment not in result.output
    # a command that refuses the records quotes the same short findings
    refused = CliRunner().invoke(cli, ["progress", "--records", str(base_repo), "--as-of", AS_OF.isoformat()], env=ENV)
    assert refused.exit_code == 1
    for fragment in ("Tomas Ruiz", "44 Oak Lane", "555-0199"):
        assert fragment not in refused.output


def test_yaml_errors_do_not_quote_the_line(base_repo):
    replace_line(base_repo / "participants/P0001.yaml", 3, 'preferred_name: "Tomas Ruiz" 555-0199 44 Oak Lane')
    result = CliRunner().invoke(cli, ["validate", "--records", str(base_repo)], env=ENV)
    assert result.exit_code == 1
    assert result.stdout.startswith("participants/P0001.yaml:3:")
    for fragment in ("Tomas", "555-0199", "Oak Lane"):
        assert fragment not in result.output


def test_a_whole_record_in_the_wrong_shape_is_not_echoed(base_repo):
    path = base_repo / "participants/P0001.yaml"
    record = path.read_text(encoding="utf-8").replace("preferred_name: Alex", "preferred_name: Tomas Ruiz")
    path.write_text("- " + record.replace("\n", "\n  ").rstrip() + "\n", encoding="utf-8")  # the record in a list
    result = CliRunner().invoke(cli, ["validate", "--records", str(base_repo)], env=ENV)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == ("participants/P0001.yaml:1:1: IOP002 error: the file must be a mapping "
                                             "(key: value lines), found a list; remove the leading `- `")
    assert "Tomas" not in result.output and "1988-04-12" not in result.output
