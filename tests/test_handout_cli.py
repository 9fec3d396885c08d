"""`iopctl handout`: exact output, files written, exit codes."""
from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from iopctl import handouts, records
from iopctl.cli import cli
from repo_factory import base_records, write_repo

SAMPLE = str(Path(__file__).resolve().parent.parent / "sample_records")
AS_OF = "2026-11-23"


def invoke(*args):
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "IOPCTL_RECORDS": None})


def handout(*args, records_dir=SAMPLE):
    return invoke("handout", *args, "--records", str(records_dir), "--as-of", AS_OF)


def test_stdout_is_the_participants_handout():
    result = handout("P0001", "--format", "txt")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith(
        "Riverside Recovery IOP\nPhone: +1 555 0100\n12 River St, Springfield\n\n"
        "YOUR AFTERCARE PLAN\n===================\n\n"
        "Dale, this is your plan for after the program. Keep it where you can\n"
    )
    assert result.stdout.endswith("\nQuestions? Call Riverside Recovery IOP at +1 555 0100.\n")
    loaded = records.load(Path(SAMPLE)).records
    assert result.stdout == handouts.render_handout(loaded, "P0001", "aftercare", "txt", None,
                                                    dt.date(2026, 11, 23)).text


def test_language_from_the_record_and_from_lang():
    spanish = handout("P0008", "--template", "welcome")
    assert spanish.exit_code == 0
    assert spanish.stdout.startswith("# Bienvenida a Riverside Recovery IOP\n")
    english = handout("P0008", "--template", "welcome", "--lang", "en")
    assert english.stdout.startswith("# Welcome to Riverside Recovery IOP\n")
    french = handout("P0001", "--lang", "fr-CA")
    assert french.exit_code == 0
    assert french.stderr == ("iopctl: note: P0001: no `fr` translation of the aftercare handout (md); "
                             "writing it in English\n")
    assert french.stdout.startswith("# Your Aftercare Plan\n")


def test_json_is_the_data_the_template_gets():
    result = handout("P0001", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == ["template", "lang", "as_of", "participant", "program", "counselor", "discharge_date",
                          "discharge_date_text", "has_aftercare", "step_down", "follow_ups", "medications", "gains",
                          "relapse_prevention", "if_symptoms_return", "safety_plan", "crisis_lines", "resources",
                          "first_weeks"]
    assert data["participant"] == {"id": "P0001", "preferred_name": "Dale"}
    assert data["follow_ups"][0] == {
        "date": "2026-11-10", "date_text": "Tuesday, November 10, 2026", "weekday": "Tuesday", "time": "17:30",
        "time_text": "5:30 PM", "who": "Chris, counselor at Springfield Counseling Associates",
        "kind": "outpatient counselling", "phone": "+1 555 0130", "address": "88 Oak Ave, Springfield"}
    assert [s["number"] for s in data["safety_plan"]] == [1, 2, 3, 4, 5, 6]
    assert data["safety_plan"][3]["items"][0] == {"text": "Carla", "note": "wife", "phone": "+1 555 0160"}
    assert data["crisis_lines"][0] == {"name": "988 Suicide & Crisis Lifeline", "phone": "988", "text": "988",
                                       "is_988": True}
    assert data["first_weeks"][0]["date"] == "2026-09-14"
    assert "date_of_birth" not in result.stdout and "diagnoses" not in result.stdout


def test_output_file_is_written_once_and_replaced_only_with_force(tmp_path):
    target = tmp_path / "P0001.html"
    first = handout("P0001", "--format", "html", "-o", str(target))
    assert (first.exit_code, first.stdout) == (0, f"wrote {target}\n")
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>\n")
    target.write_text("mine\n")
    again = handout("P0001", "--format", "html", "-o", str(target))
    assert again.exit_code == 1
    assert again.stderr == f"iopctl: {target} already exists; nothing was written. Pass --force to replace.\n"
    assert target.read_text() == "mine\n"
    forced = handout("P0001", "--format", "html", "-o", str(target), "--force")
    assert forced.exit_code == 0 and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["P0001.html"]  # no temporary files left


def test_all_discharging_within_writes_one_file_each(tmp_path):
    out = tmp_path / "handouts"
    result = handout("--all", "--discharging-within", "7", "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"wrote {out}/P0002-aftercare.en.html\n"
        f"wrote {out}/P0009-aftercare.en.html\n"
        f"2 handouts for participants discharging between 2026-11-23 and 2026-11-30, in {out}\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["P0002-aftercare.en.html", "P0009-aftercare.en.html"]
    assert "Tuesday, December 1, 2026 at 4:00 PM" in (out / "P0009-aftercare.en.html").read_text(encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = handout("--all", "--discharging-within", "7", "--format", "html", "-o", str(out))
    assert again.exit_code == 1
    assert again.stderr == (f"iopctl: {out}/P0002-aftercare.en.html already exists (and 1 more); nothing was "
                            "written. Pass --force to replace.\n")
    forced = handout("--all", "--discharging-within", "7", "--format", "html", "-o", str(out), "--force")
    assert forced.exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # deterministic: the same bytes


def test_all_with_nobody_in_the_window(tmp_path):
    result = invoke("handout", "--all", "--discharging-within", "3", "-o", str(tmp_path / "x"), "--records", SAMPLE,
                    "--as-of", "2026-12-20")
    assert (result.exit_code, result.stdout) == (
        0, "no participants discharging between 2026-12-20 and 2026-12-23; nothing written\n")
    assert not (tmp_path / "x").exists()


def test_usage_errors_exit_2(tmp_path):
    cases = [
        (("P0001", "--all", "--discharging-within", "7", "-o", str(tmp_path)), "give a participant ID, or --all"),
        ((), "give a participant ID, or --all"),
        (("--all", "-o", str(tmp_path)), "--all needs --discharging-within DAYS and -o DIR"),
        (("--all", "--discharging-within", "7"), "--all needs --discharging-within DAYS and -o DIR"),
        (("P0001", "--discharging-within", "7"), "--discharging-within goes with --all"),
        (("P0001", "--lang", "x y"), "'x y' is not a language tag"),
        (("P0001", "--format", "pdf"), "'pdf' is not one of"),
    ]
    for args, message in cases:
        result = handout(*args)
        assert result.exit_code == 2, args
        assert message in result.stderr, (args, result.stderr)
    unknown = handout("P9999")
    assert (unknown.exit_code, unknown.stderr) == (2, "iopctl: no participant P9999 (participants/P9999.yaml)\n")
    template = handout("P0001", "--template", "discharge-letter")
    assert template.exit_code == 2
    assert template.stderr == ("iopctl: no template `discharge-letter` for format md (looked for "
                               "templates/en/discharge-letter.md.j2 and the packaged templates)\n")


def test_invalid_records_are_refused(tmp_path):
    docs = copy.deepcopy(base_records())
    docs["participants/P0001.yaml"]["status"] = "discharged"  # without a discharge date
    root = write_repo(tmp_path, docs)
    result = handout("P0001", records_dir=root)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "iopctl: cannot write handouts: the records have 1 error(s); fix them first (see `iopctl validate`):\n"
        "  participants/P0001.yaml:1:1: IOP002 error: `discharged` is required when status is discharged\n")


def test_a_broken_override_exits_1_with_file_and_line(tmp_path):
    root = write_repo(tmp_path)
    (root / "templates" / "en").mkdir(parents=True)
    (root / "templates" / "en" / "aftercare.md.j2").write_text("# {{ w }}\nHello {{ participant.name }}\n")
    result = handout("P0001", records_dir=root)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("iopctl: template error in templates/en/aftercare.md.j2:1: "
                             "UndefinedError: 'w' is undefined\n")
    assert "Traceback" not in result.output


def test_a_template_error_in_all_writes_nothing(tmp_path):
    docs = copy.deepcopy(base_records())
    docs["plans/P0001.yaml"]["aftercare"]["discharge_target"] = "2026-11-25"
    root = write_repo(tmp_path / "repo", docs)
    (root / "templates" / "en").mkdir(parents=True)
    (root / "templates" / "en" / "aftercare.txt.j2").write_text("ok\n{% for %}\n")
    out = tmp_path / "out"
    result = handout("--all", "--discharging-within", "7", "--format", "txt", "-o", str(out), records_dir=root)
    assert result.exit_code == 1
    assert result.stderr.startswith("iopctl: template error in templates/en/aftercare.txt.j2:2: ")
    assert not out.exists()


def test_an_override_is_used_by_the_command(tmp_path):
    root = write_repo(tmp_path)
    (root / "templates" / "en").mkdir(parents=True)
    (root / "templates" / "en" / "welcome.txt.j2").write_text(
        "Hi {{ participant.preferred_name }}: {{ first_weeks[0].date_text }}, "
        "{{ first_weeks[0].sessions[0].start_text }} {{ first_weeks[0].sessions[0].title }}\n")
    result = handout("P0001", "--template", "welcome", "--format", "txt", records_dir=root)
    assert (result.exit_code, result.stdout) == (0, "Hi Alex: Monday, November 2, 2026, 6:00 PM Process Group\n")


def test_help_lists_the_command():
    result = invoke("--help")
    assert "handout" in result.stdout
    assert invoke("handout", "--help").exit_code == 0
