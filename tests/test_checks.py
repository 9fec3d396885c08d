"""Every rule code in rules.md: a record that triggers it and one that does not.

(The hours rules IOP020-IOP022 are pinned in test_checks_hours.py.)
"""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from iopctl.validate import validate
from repo_factory import base_records, write_repo

AS_OF = dt.date(2026, 11, 23)


def run(tmp_path, docs=None, raw=None, code=None):
    write_repo(tmp_path, docs, raw)
    report = validate(tmp_path, as_of=AS_OF)
    return [f for f in report.findings if code is None or f.code == code]


def as_tuples(findings):
    return [(f.file, f.line, f.column, f.code, f.severity, f.message) for f in findings]


def test_base_repository_is_clean(tmp_path):
    assert run(tmp_path) == []


# -- IOP001 ------------------------------------------------------------------

BAD_YAML = {
    "syntax error": ("id: P0001\npreferred_name: [Alex\n", 2, 17),  # the unclosed [, not the end of the file
    "duplicate key": ("id: P0001\nid: P0002\n", 2, 1),
    "tab indentation": ("supports:\n\t- id: sam\n", 2, 1),
    "merge conflict": ("id: P0001\n<<<<<<< HEAD\nstatus: active\n=======\nstatus: on-hold\n>>>>>>> b\n", 2, 1),
    "non-utf8": (b"id: P0001\npreferred_name: Jos\xe9\n", 2, 20),
    "utf16": ("id: P0001\n".encode("utf-16"), 1, 1),
    "two documents": ("id: P0001\n---\nid: P0002\n", 2, 1),
    "alias bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg")),
        1, 1,
    ),
    "deep flow nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1, 1),
}


@pytest.mark.parametrize("name", sorted(BAD_YAML))
def test_iop001_bad_yaml_gives_one_finding_with_a_line(tmp_path, name):
    content, line, column = BAD_YAML[name]
    docs = base_records()
    del docs["participants/P0001.yaml"]
    findings = run(tmp_path, docs, raw={"participants/P0001.yaml": content})
    mine = [f for f in findings if f.file == "participants/P0001.yaml"]
    assert [(f.code, f.line, f.column) for f in mine] == [("IOP001", line, column)], mine
    assert mine[0].severity == "error"


def test_iop001_messages_speak_the_users_language(tmp_path):
    docs = base_records()
    del docs["participants/P0001.yaml"]
    raw = {"participants/P0001.yaml": "supports:\n\t- id: sam\n"}
    (finding,) = [f for f in run(tmp_path, docs, raw) if f.file.startswith("participants/")]
    assert finding.message == "a tab character is used for indentation or spacing; YAML needs spaces"


def test_iop001_utf8_bom_is_accepted(tmp_path):
    docs = base_records()
    from repo_factory import dump

    raw = {"participants/P0001.yaml": b"\xef\xbb\xbf" + dump(docs.pop("participants/P0001.yaml")).encode()}
    assert run(tmp_path, docs, raw) == []


def test_iop001_folder_where_a_file_belongs(tmp_path):
    write_repo(tmp_path)
    (tmp_path / "progress" / "P0002.yaml").mkdir()
    report = validate(tmp_path, as_of=AS_OF)
    assert as_tuples(report.findings) == [
        ("progress/P0002.yaml", 1, 1, "IOP001", "error", "is a folder where a record file belongs")
    ]


# -- IOP002 ------------------------------------------------------------------


def test_iop002_unknown_field_points_at_the_key_and_suggests(tmp_path):
    docs = base_records()
    p = docs["participants/P0001.yaml"]
    p["admited"] = p.pop("admitted")
    findings = run(tmp_path, docs)
    assert as_tuples(findings) == [
        ("participants/P0001.yaml", 1, 1, "IOP002", "error", "`admitted` is required when status is active"),
        ("participants/P0001.yaml", 14, 1, "IOP002", "error",
         "`admited` is not a known field (did you mean `admitted`?)"),
    ]


def test_iop002_empty_file_and_list_instead_of_mapping(tmp_path):
    docs = base_records()
    del docs["participants/P0001.yaml"], docs["progress/P0001.yaml"]
    raw = {"participants/P0001.yaml": "", "progress/P0001.yaml": "- participant: P0001\n"}
    findings = [f for f in run(tmp_path, docs, raw) if not f.file.startswith(("plans", "sessions"))]
    assert as_tuples(findings) == [
        ("participants/P0001.yaml", 1, 1, "IOP002", "error", "the file is empty; expected a participant record"),
        ("progress/P0001.yaml", 1, 1, "IOP002", "error",
         "the file must be a mapping (key: value lines), found a list; remove the leading `- `"),
    ]


def test_iop002_yaml_12_traps_and_bad_values(tmp_path):
    docs = base_records()
    del docs["participants/P0001.yaml"]
    raw = {"participants/P0001.yaml": (
        "schema_version: 1\nid: 0123\npreferred_name: Alex\ndate_of_birth: 2026-02-30\nstatus: active\n"
        "admitted: 2026-11-02\ntrack: adult\ncultural_considerations:\n  interpreter: no\n"
    )}
    findings = run(tmp_path, docs, raw, code="IOP002")
    assert [(f.line, f.message) for f in findings] == [
        (2, 'id must be text, found the number 123; put it in quotes: "0123"'),
        (4, "date_of_birth: `2026-02-30` is not a real date (expected YYYY-MM-DD)"),
        (9, "cultural_considerations.interpreter must be true or false, found `no`; "
            "YAML 1.2 reads yes/no/on/off as text: write true or false"),
    ]


def test_iop002_enum_time_and_range(tmp_path):
    docs = base_records()
    session = docs["sessions/2026-11/2026-11-02-adult-group.yaml"]
    session["attendance"] = {"P0001": "presnt"}
    session["start"] = "25:00"
    docs["program.yaml"]["tracks"][0]["sessions"][0]["minutes"] = 700
    findings = run(tmp_path, docs, code="IOP002")
    assert [(f.file, f.message) for f in findings] == [
        ("program.yaml", "tracks[0].sessions[0].minutes: 700 is above the maximum of 600"),
        ("sessions/2026-11/2026-11-02-adult-group.yaml",
         "attendance.P0001: `presnt` is not one of present, late, left-early, excused, absent "
         "(did you mean `present`?)"),
        ("sessions/2026-11/2026-11-02-adult-group.yaml",
         'start: `25:00` is not a 24-hour time in quotes, like "18:00"'),
    ]


def test_iop002_schema_failure_stops_semantic_checks_for_that_file(tmp_path):
    docs = base_records()
    docs["plans/P0001.yaml"]["signed"] = "yes"  # schema error; IOP040 must not follow
    findings = run(tmp_path, docs)
    assert [(f.file, f.code) for f in findings] == [("plans/P0001.yaml", "IOP002")]


# -- IOP003 / IOP004 ---------------------------------------------------------


def test_iop003_file_name_and_id_differ(tmp_path):
    docs = base_records()
    docs["participants/P0002.yaml"] = dict(docs["participants/P0001.yaml"], id="P0003")
    findings = run(tmp_path, docs, code="IOP003")
    assert as_tuples(findings) == [
        ("participants/P0002.yaml", 2, 5, "IOP003", "error",
         "id `P0003` differs from the file name; name the file P0003.yaml"),
    ]


def test_iop003_copied_files_are_reported_and_the_file_named_by_the_id_is_the_record(tmp_path):
    # Copies that sort before and after the real files: each copy is reported, none dropped,
    # and the rules read the real file (its admission date, not the copy's).
    docs = base_records()
    docs["participants/P0000.yaml"] = dict(docs["participants/P0001.yaml"], admitted="2026-12-30")
    docs["plans/P0009.yaml"] = dict(docs["plans/P0001.yaml"])
    findings = run(tmp_path, docs)
    assert as_tuples(findings) == [
        ("participants/P0000.yaml", 2, 5, "IOP003", "error",
         "id `P0001` differs from the file name, and participants/P0001.yaml holds `P0001` already"),
        ("plans/P0009.yaml", 2, 14, "IOP003", "error",
         "participant `P0001` differs from the file name, and plans/P0001.yaml holds `P0001` already"),
    ]


def test_iop004_one_participant_in_a_yaml_and_a_yml_file(tmp_path):
    docs = base_records()
    docs["participants/P0001.yml"] = dict(docs["participants/P0001.yaml"])
    findings = run(tmp_path, docs)
    assert [(f.file, f.code, f.message) for f in findings] == [
        ("participants/P0001.yml", "IOP004", "participant `P0001` is also recorded in participants/P0001.yaml")]


def test_iop003_file_in_no_known_place_and_session_month(tmp_path):
    docs = base_records()
    docs["participants/old/P0009.yaml"] = {"id": "P0009"}
    docs["sessions/2026-10/2026-11-02-adult-group.yaml"] = docs.pop("sessions/2026-11/2026-11-02-adult-group.yaml")
    findings = run(tmp_path, docs, code="IOP003")
    assert [(f.file, f.message) for f in findings] == [
        ("participants/old/P0009.yaml", "a record file belongs directly in participants/ as <ID>.yaml"),
        ("sessions/2026-10/2026-11-02-adult-group.yaml", "a session dated 2026-11-02 belongs in sessions/2026-11/"),
    ]


def test_iop004_duplicate_ids(tmp_path):
    docs = base_records()
    docs["program.yaml"]["staff"].append({"id": "mrivera", "name": "Other"})
    goal = docs["plans/P0001.yaml"]["problems"][0]["goals"][0]
    goal["objectives"].append(dict(goal["objectives"][0]))
    docs["sessions/2026-11/2026-11-02-adult-group-2.yaml"] = docs["sessions/2026-11/2026-11-02-adult-group.yaml"]
    findings = run(tmp_path, docs, code="IOP004")
    assert [(f.file, f.message) for f in findings] == [
        ("plans/P0001.yaml", "objective id `1.1.1` is used twice"),
        ("program.yaml", "staff id `mrivera` is used twice"),
        ("sessions/2026-11/2026-11-02-adult-group.yaml",
         "session adult/group on 2026-11-02 is also recorded in sessions/2026-11/2026-11-02-adult-group-2.yaml"),
    ]


# -- IOP010 ------------------------------------------------------------------


def test_iop010_references(tmp_path):
    docs = base_records()
    docs["participants/P0001.yaml"]["track"] = "adlut"
    docs["plans/P0001.yaml"]["track"] = "adult"  # so the plan still resolves
    docs["plans/P0001.yaml"]["aftercare"]["resources"] = ["na"]
    docs["progress/P0001.yaml"]["objective_updates"][0]["objective"] = "9.9.9"
    docs["sessions/2026-11/2026-11-02-adult-group.yaml"]["attendance"]["P0404"] = "present"
    docs["program.yaml"]["program"]["timezone"] = "Mars/Olympus"
    findings = run(tmp_path, docs, code="IOP010")
    assert [(f.file, f.message) for f in findings] == [
        ("participants/P0001.yaml", "track `adlut` does not exist (did you mean `adult`?)"),
        ("plans/P0001.yaml", "resource `na` does not exist"),
        ("program.yaml", "time zone `Mars/Olympus` is not an IANA time zone name like America/Chicago"),
        ("progress/P0001.yaml", "objective `9.9.9` does not exist"),
        ("sessions/2026-11/2026-11-02-adult-group.yaml", "participant `P0404` does not exist"),
    ]


# -- IOP011 / IOP012 ---------------------------------------------------------


def test_iop011_dates_out_of_order(tmp_path):
    docs = base_records()
    docs["plans/P0001.yaml"]["start"] = "2026-10-26"
    docs["plans/P0001.yaml"]["reviews"] = [{"date": "2026-10-01", "by": "mrivera"}]
    findings = run(tmp_path, docs, code="IOP011")
    assert [(f.line, f.message) for f in findings] == [
        (3, "plan start 2026-10-26 is before admission 2026-11-02"),
        (21, "review 2026-10-01 is before the plan start 2026-10-26"),
    ]


def test_iop012_status_and_dates_disagree(tmp_path):
    docs = base_records()
    docs["participants/P0001.yaml"]["discharged"] = "2026-11-20"
    findings = run(tmp_path, docs, code="IOP012")
    assert [f.message for f in findings] == [
        "status is active but a discharge date is set; set status to discharged or withdrawn, "
        "or remove `discharged`"
    ]
    docs["participants/P0001.yaml"]["status"] = "discharged"
    assert run(tmp_path, docs, code="IOP012") == []


# -- IOP030 / IOP031 ---------------------------------------------------------


def test_iop030_score_range_and_item_sum(tmp_path):
    docs = base_records()
    docs["progress/P0001.yaml"]["assessments"] = [
        {"date": "2026-11-02", "instrument": "PHQ-9", "score": 31},
        {"date": "2026-11-09", "instrument": "GAD-7", "score": 10, "items": [1, 1, 1, 1, 1, 1, 1]},
        {"date": "2026-11-09", "instrument": "DAST-10", "score": 2, "items": [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]},
        {"date": "2026-11-09", "instrument": "DAST-10", "score": 3, "items": [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]},
    ]
    findings = run(tmp_path, docs, code="IOP030")
    assert [f.message for f in findings] == [
        "score 31 is above the PHQ-9 maximum of 27",
        "items add up to 7, but score is 10",
        # DAST-10 item 3 is reversed: [1,0,1,...] -> 1 + 0 + 0 = 1 ... and [1,1,0,...] -> 1 + 1 + 1 = 3 (valid)
        "items add up to 1 (item 3 scored reversed), but score is 2",
    ]


def test_iop031_phq9_item9(tmp_path):
    docs = base_records()
    assert run(tmp_path, docs, code="IOP031") == []
    docs["progress/P0001.yaml"]["assessments"][0]["items"] = [2, 2, 2, 2, 2, 1, 1, 1, 1]
    findings = run(tmp_path, docs, code="IOP031")
    assert [(f.severity, f.message) for f in findings] == [
        ("warning", "PHQ-9 item 9 (thoughts of self-harm) is 1 on 2026-11-02: follow the program's safety protocol")
    ]


# -- IOP040 / IOP041 / IOP042 ------------------------------------------------


def test_iop040_unsigned_plan(tmp_path):
    docs = base_records()
    docs["plans/P0001.yaml"]["signed"] = {"staff": [{"id": "mrivera", "date": "2026-11-02"}]}
    findings = run(tmp_path, docs, code="IOP040")
    assert [(f.severity, f.message) for f in findings] == [("warning", "plan is not signed by the participant")]


def _discharged(docs, follow_ups):
    docs["participants/P0001.yaml"].update(status="discharged", discharged="2026-11-20",
                                           discharge_reason="completed")
    docs["plans/P0001.yaml"]["aftercare"]["follow_ups"] = follow_ups
    return docs


def test_iop041_follow_up_within_seven_days(tmp_path):
    ok = _discharged(base_records(), [{"date": "2026-11-27", "with": "Dr. Lee"}])
    assert run(tmp_path, ok, code="IOP041") == []
    late = _discharged(base_records(), [{"date": "2026-11-28", "with": "Dr. Lee"}])
    assert [f.message for f in run(tmp_path, late, code="IOP041")] == [
        "discharged on 2026-11-20 with no aftercare follow-up within 7 days after (by 2026-11-27)"
    ]


def test_iop041_discharge_day_does_not_count(tmp_path):
    same_day = _discharged(base_records(), [{"date": "2026-11-20", "with": "Dr. Lee"}])
    assert [f.message for f in run(tmp_path, same_day, code="IOP041")] == [
        "discharged on 2026-11-20 with no aftercare follow-up within 7 days after (by 2026-11-27)",
        "follow-up on the discharge day 2026-11-20 does not count; the first must fall 1 to 7 days after it",
    ]


def test_iop042_consent(tmp_path):
    docs = base_records()
    assert run(tmp_path, docs, code="IOP042") == []
    docs["participants/P0001.yaml"]["supports"][0]["consent"]["expires"] = "2026-11-10"
    docs["sessions/2026-11/2026-11-17-adult-family.yaml"] = {
        "schema_version": 1, "date": "2026-11-17", "session": "adult/family", "status": "held",
        "attendance": {"P0001": "present"},
    }
    findings = run(tmp_path, docs, code="IOP042")
    assert [(f.file, f.message) for f in findings] == [
        ("participants/P0001.yaml", "support `sam` takes part in family sessions but written consent has expired "
                                    "(42 CFR 2.31)"),
        ("sessions/2026-11/2026-11-17-adult-family.yaml",
         "`P0001` attended a family session on 2026-11-17 with no support person's unexpired consent on file"),
    ]


# -- IOP050 ------------------------------------------------------------------


def test_iop050_attendance(tmp_path):
    docs = base_records()
    docs["sessions/2026-10/2026-10-28-adult-group.yaml"] = {
        "schema_version": 1, "date": "2026-10-28", "session": "adult/group", "status": "held",
        "attendance": {"P0001": "present"},
    }
    docs["sessions/2026-11/2026-11-02-adult-group.yaml"]["attendance"]["P0001"] = {"status": "late", "minutes": 200}
    findings = run(tmp_path, docs, code="IOP050")
    assert as_tuples(findings) == [
        ("sessions/2026-10/2026-10-28-adult-group.yaml", 5, 14, "IOP050", "error",
         "`P0001` is recorded on 2026-10-28 but was not in the program that day (admitted 2026-11-02)"),
        ("sessions/2026-11/2026-11-02-adult-group.yaml", 7, 34, "IOP050", "error",
         "`P0001` attended 200 minutes of a 180-minute session"),
    ]


def test_iop002_one_finding_per_bad_value(tmp_path):
    docs = base_records()
    docs["participants/P0001.yaml"]["admitted"] = "soon"  # breaks the date pattern and the date format
    findings = run(tmp_path, docs, code="IOP002")
    assert [f.message for f in findings] == ["admitted: `soon` is not a date as YYYY-MM-DD"]


# -- load and schema findings point at the line to fix (the bad-input corpus, in small) ------

PARTICIPANT_HEAD = "schema_version: 1\nid: P0001\n"  # lines 1-2 of the raw participants below


def participant_findings(tmp_path, text, code=None):
    docs = base_records()
    del docs["participants/P0001.yaml"]
    raw = {"participants/P0001.yaml": text}
    return [f for f in run(tmp_path, docs, raw, code) if f.file == "participants/P0001.yaml"]


UNCLOSED = {
    # name: (text after PARTICIPANT_HEAD, line, column, message)
    "double quote": ('preferred_name: "Alex\nstatus: active\ntrack: adult\n', 3, 17,
                     'YAML syntax error: the quoted text that starts here has no closing " '
                     "(the parser reached the end of the file)"),
    "single quote": ("preferred_name: 'Alex\nstatus: active\n", 3, 17,
                     "YAML syntax error: the quoted text that starts here has no closing ' "
                     "(the parser reached the end of the file)"),
    # (in a flow list, `music` and `status` would make one key over two lines: the parser stops at the `:`)
    "bracket": ("strengths: [art, music\nstatus: active\n", 3, 12,
                "YAML syntax error: the [ list that starts here is not closed: a ] is missing, or a comma "
                "between items (the parser gave up at line 4, column 7)"),
    "bracket, in a list item": ("supports:\n  - involvement: [family\n    name: Sam\nstatus: active\n", 4, 18,
                                "YAML syntax error: the [ list that starts here is not closed: a ] is missing, "
                                "or a comma between items (the parser gave up at line 5, column 9)"),
    "bracket at the end": ("strengths: [art, music\n", 3, 12,
                           "YAML syntax error: the [ list that starts here is not closed: a ] is missing, or a "
                           "comma between items (the parser reached the end of the file)"),
    "brace": ("cultural_considerations: {interpreter: false\n", 3, 26,
              "YAML syntax error: the { mapping that starts here is not closed: a } is missing, or a comma "
              "between entries (the parser reached the end of the file)"),
    "key without colon": ("status active\ntrack: adult\n", 3, 1,
                          "YAML syntax error: this line has no `:` after its key (a mapping entry is `key: value`)"),
}


@pytest.mark.parametrize("name", sorted(UNCLOSED))
def test_iop001_an_unclosed_quote_bracket_or_key_is_reported_where_it_opens(tmp_path, name):
    text, line, column, message = UNCLOSED[name]
    findings = participant_findings(tmp_path, PARTICIPANT_HEAD + text)
    assert [(f.line, f.column, f.code, f.message) for f in findings] == [(line, column, "IOP001", message)]


def test_iop001_errors_at_a_precise_place_keep_it(tmp_path):
    # A bad escape inside a quote is where it is, not where the quote opens; a block error
    # is on the line that breaks the block.
    text = PARTICIPANT_HEAD + 'preferred_name: "Al\\qex"\n'
    (finding,) = participant_findings(tmp_path, text)
    assert (finding.line, finding.column) == (3, 20)
    (finding,) = participant_findings(tmp_path, PARTICIPANT_HEAD + "status: active\n  track: adult\n")
    assert (finding.line, finding.code) == (4, "IOP001")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_iop001_a_control_character_is_placed_by_line_and_column_and_named(tmp_path, newline):
    text = PARTICIPANT_HEAD.replace("\n", newline) + "preferred_name: Zoë\x1b" + newline + "status: active" + newline
    (finding,) = participant_findings(tmp_path, text)
    assert (finding.line, finding.column, finding.code) == (3, 20, "IOP001")  # Z=17, o=18, ë=19
    assert finding.message == ("the file holds the control character U+001B (ESC), which YAML does not allow: "
                               "remove it (or retype the text around it)")


def test_a_control_character_has_the_same_place_in_both_parsers():
    import yaml

    from iopctl import yaml12

    text = "a: ééé\nb: x\x00y\n"
    places = []
    for loader_class in (yaml12.FastLoader, yaml12.PureLoader):
        with pytest.raises(yaml12.BadCharacterError) as caught:
            yaml12.load(text, loader_class)
        mark = caught.value.problem_mark
        places.append((mark.line, mark.column))
        assert "U+0000 (NUL)" in caught.value.problem and isinstance(caught.value, yaml.YAMLError)
    assert places == [(1, 4), (1, 4)]


@pytest.mark.parametrize("number, digits", [("9" * 5000, "5,000"), ("0x" + "f" * 4000, "4,000")])
def test_iop001_a_number_too_long_for_python_is_a_finding(tmp_path, number, digits):
    # (Python reads at most 4,300 decimal digits, and cannot print a longer number in a message.)
    docs = base_records()
    del docs["sessions/2026-11/2026-11-02-adult-group.yaml"]
    raw = {"sessions/2026-11/2026-11-02-adult-group.yaml":
           "schema_version: 1\ndate: '2026-11-02'\nsession: adult/group\nstatus: held\nminutes: " + number + "\n"}
    findings = [f for f in run(tmp_path, docs, raw) if f.file.startswith("sessions/")]
    assert [(f.line, f.column, f.code, f.message) for f in findings] == [
        (5, 10, "IOP001", f"a number {digits} digits long is not a value a record can hold")]


def test_iop002_long_values_are_not_echoed_at_length(tmp_path):
    docs = base_records()
    docs["sessions/2026-11/2026-11-02-adult-group.yaml"]["minutes"] = int("9" * 4000)
    docs["participants/P0001.yaml"]["status"] = "x" * 5000
    findings = run(tmp_path, docs, code="IOP002")
    assert [f.message for f in findings] == [
        "status: `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` is not one of referred, active, on-hold, discharged, "
        "withdrawn",
        "minutes: 9999999999999999999… (4,000 digits) is above the maximum of 600",
    ]


def test_iop001_deep_block_nesting_is_refused_before_the_parser_crashes(tmp_path):
    # 100,000 levels would overflow libyaml's C stack (a crash, not an exception).
    findings = participant_findings(tmp_path, PARTICIPANT_HEAD + "strengths:\n" + "- " * 100_000 + "x\n")
    assert [(f.line, f.code, f.message) for f in findings] == [
        (4, "IOP001", "lists or mappings nested more than 500 levels deep")]
    # Indentation alone, with CR line ends (a line is what YAML counts as one).
    deep = "".join(" " * i + "k:\r" for i in range(600))
    findings = participant_findings(tmp_path, PARTICIPANT_HEAD.replace("\n", "\r") + deep)
    # line 3 + j opens the mapping at depth j + 1 (the root is depth 1): depth 501 is on line 503
    assert [(f.line, f.code) for f in findings] == [(503, "IOP001")]


def test_block_nesting_under_the_limit_is_loaded_and_judged_by_the_schema(tmp_path):
    text = PARTICIPANT_HEAD + "preferred_name: Alex\ndate_of_birth: '1988-04-12'\nstatus: active\n" \
        "admitted: '2026-11-02'\ntrack: adult\nstrengths:\n" + "- " * 499 + "x\n"
    findings = participant_findings(tmp_path, text)
    assert [(f.line, f.column, f.code, f.message) for f in findings] == [
        (9, 3, "IOP002", "strengths[0] must be text, found a list")]


def test_data_deeper_than_jsonschema_can_recurse_names_the_field(tmp_path):
    # The loader refuses such files first; a library caller can still hand check_schema data
    # this deep, and jsonschema's recursion must end in a finding, not a RecursionError.
    from iopctl.loader import Document
    from iopctl.schemas import check_schema

    value: object = "x"
    for _ in range(1500):
        value = [value]
    data = {"schema_version": 1, "id": "P0001", "preferred_name": "Alex", "date_of_birth": "1988-04-12",
            "status": "active", "admitted": "2026-11-02", "track": "adult", "strengths": value}
    doc = Document(tmp_path / "P0001.yaml", "participants/P0001.yaml", "participant", data)
    doc._root_node = False  # no file behind it: the finding falls back to line 1
    assert [(f.code, f.message) for f in check_schema(doc, fast=False)] == [
        ("IOP002", "strengths: lists or mappings nested 1,500 levels deep; a record nests a few levels")]


def test_iop002_every_missing_field_of_an_empty_mapping(tmp_path):
    docs = base_records()
    del docs["sessions/2026-11/2026-11-02-adult-group.yaml"]
    raw = {"sessions/2026-11/2026-11-02-adult-group.yaml": "{}\n"}
    findings = [f for f in run(tmp_path, docs, raw) if f.file.startswith("sessions/")]
    assert [(f.line, f.column, f.message) for f in findings] == [
        (1, 1, "`date` is required"), (1, 1, "`schema_version` is required"), (1, 1, "`session` is required"),
        (1, 1, "`status` is required")]


@pytest.mark.parametrize("text", ["---\n", "---", "# nothing yet\n---\n"])
def test_iop002_an_empty_document_is_reported_inside_the_file(tmp_path, text):
    (finding,) = participant_findings(tmp_path, text)
    last_line = max(1, text.count("\n"))
    assert (finding.line, finding.column, finding.message) == (
        last_line, 1, "the file is empty; expected a participant record")


def test_iop002_keys_that_are_not_text_are_found_and_named(tmp_path):
    base = PARTICIPANT_HEAD + "preferred_name: Alex\ndate_of_birth: '1988-04-12'\nstatus: active\n" \
        "admitted: '2026-11-02'\ntrack: adult\n"
    findings = participant_findings(tmp_path, base + "~: x\ntrue: y\n12: z\n'12': w\n", code="IOP002")
    assert [(f.line, f.column, f.message) for f in findings] == [
        (8, 1, "the null key `~` is not a known field"),
        (9, 1, "the key `true` (read as true/false) is not a known field"),
        (10, 1, "the key `12` (read as a number) is not a known field"),
        (11, 1, "`12` is not a known field"),  # the text "12", not the number 12 a line above
    ]


def test_iop002_a_key_that_must_be_text_points_at_the_key(tmp_path):
    docs = base_records()
    del docs["sessions/2026-11/2026-11-02-adult-group.yaml"]
    raw = {"sessions/2026-11/2026-11-02-adult-group.yaml":
           "schema_version: 1\ndate: '2026-11-02'\nsession: adult/group\nstatus: held\nattendance:\n"
           "  P0001: present\n  0123: present\n  \"a b\": late\n"}
    findings = [f for f in run(tmp_path, docs, raw, code="IOP002")]
    assert [(f.line, f.column, f.message) for f in findings] == [
        (7, 3, 'a key in attendance must be text, found the number 123; put it in quotes: "0123"'),
        (8, 3, "a key in attendance: `a b` is not an id: letters, digits, - and _, at most 40 characters"),
    ]


# -- the listing: nothing under the kind folders is skipped without a word --------------------


def test_iop001_a_folder_symlink_leaving_the_repository(tmp_path):
    root = write_repo(tmp_path / "repo")
    outside = tmp_path / "elsewhere" / "2026-11"
    outside.parent.mkdir()
    (root / "sessions" / "2026-11").rename(outside)
    (root / "sessions" / "2026-11").symlink_to(outside, target_is_directory=True)
    inside = root / "sessions" / "2026-12"  # a link that stays inside is no finding (as before)
    inside.symlink_to(root / "participants", target_is_directory=True)
    findings = validate(root, as_of=AS_OF).findings
    assert as_tuples(findings) == [("sessions/2026-11", 1, 1, "IOP001", "error",
                                    "is a symbolic link that points outside the records repository")]


def test_iop001_a_whole_kind_folder_linked_outside(tmp_path):
    root = write_repo(tmp_path / "repo")
    (root / "progress").rename(tmp_path / "progress")
    (root / "progress").symlink_to(tmp_path / "progress", target_is_directory=True)
    findings = validate(root, as_of=AS_OF).findings
    assert [(f.file, f.code) for f in findings if f.severity == "error"] == [("progress", "IOP001")]


def test_iop001_a_file_where_a_kind_folder_belongs(tmp_path):
    root = write_repo(tmp_path / "repo")
    shutil.rmtree(root / "progress")
    (root / "progress").write_text("P0001\n")
    findings = validate(root, as_of=AS_OF).findings
    assert as_tuples(findings) == [("progress", 1, 1, "IOP001", "error",
                                    "is a file where a folder of records belongs (participants/, plans/, progress/, "
                                    "sessions/): move the file aside and make the folder")]
