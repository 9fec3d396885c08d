"""`iopctl validate`, `iopctl schema` and the group: exact output and exit codes."""
from __future__ import annotations

import json

from click.testing import CliRunner

from iopctl import __version__
from iopctl.cli import cli
from repo_factory import base_records, write_repo


def several_findings(tmp_path):
    docs = base_records()
    docs["participants/P0001.yaml"]["admited"] = "2026-11-02"
    docs["progress/P0001.yaml"]["assessments"].append({"date": "2026-11-16", "instrument": "PHQ-9", "score": 31})
    docs["plans/P0001.yaml"]["signed"] = {"staff": [{"id": "mrivera", "date": "2026-11-02"}]}
    return write_repo(tmp_path, docs, raw={"sessions/2026-11/2026-11-04-adult-group.yaml": "date: [2026\n"})


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env or {"NO_COLOR": "1"})


EXPECTED_TEXT = """\
participants/P0001.yaml:15:1: IOP002 error: `admited` is not a known field (did you mean `admitted`?)
plans/P0001.yaml:5:3: IOP040 warning: plan is not signed by the participant
progress/P0001.yaml:8:50: IOP030 error: score 31 is above the PHQ-9 maximum of 27
sessions/2026-11/2026-11-04-adult-group.yaml:1:7: IOP001 error: YAML syntax error: the [ list that starts here is not closed: a ] is missing, or a comma between items (the parser reached the end of the file)
6 files checked: 3 errors, 1 warning
"""


def test_text_output_is_exact(tmp_path):
    root = several_findings(tmp_path)
    result = invoke("validate", "--records", str(root), "--as-of", "2026-11-23")
    assert result.output == EXPECTED_TEXT
    assert result.exit_code == 1


def test_json_output_is_exact(tmp_path):
    root = several_findings(tmp_path)
    result = invoke("validate", "--records", str(root), "--as-of", "2026-11-23", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data == {
        "findings": [
            {"file": "participants/P0001.yaml", "line": 15, "column": 1, "code": "IOP002", "severity": "error",
             "message": "`admited` is not a known field (did you mean `admitted`?)"},
            {"file": "plans/P0001.yaml", "line": 5, "column": 3, "code": "IOP040", "severity": "warning",
             "message": "plan is not signed by the participant"},
            {"file": "progress/P0001.yaml", "line": 8, "column": 50, "code": "IOP030", "severity": "error",
             "message": "score 31 is above the PHQ-9 maximum of 27"},
            {"file": "sessions/2026-11/2026-11-04-adult-group.yaml", "line": 1, "column": 7, "code": "IOP001",
             "severity": "error", "message": "YAML syntax error: the [ list that starts here is not closed: a ] "
                                             "is missing, or a comma between items (the parser reached the end "
                                             "of the file)"},
        ],
        "files": 6,
        "errors": 3,
        "warnings": 1,
    }


def test_github_annotations(tmp_path, monkeypatch):
    several_findings(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", "--format", "github", "--select", "IOP030,IOP040", "--as-of", "2026-11-23")
    assert result.output == (
        "::warning file=plans/P0001.yaml,line=5,col=3,title=IOP040::IOP040 plan is not signed by the participant\n"
        "::error file=progress/P0001.yaml,line=8,col=50,title=IOP030::IOP030 score 31 is above the PHQ-9 "
        "maximum of 27\n"
        "6 files checked: 1 error, 1 warning\n"
    )
    assert result.exit_code == 1


def test_select_ignore_strict_and_paths(tmp_path):
    root = several_findings(tmp_path)
    base = ["validate", "--records", str(root), "--as-of", "2026-11-23"]
    only_warning = invoke(*base, "--ignore", "IOP00,IOP030")
    assert only_warning.output.splitlines()[-1] == "6 files checked: 0 errors, 1 warning"
    assert only_warning.exit_code == 0
    assert invoke(*base, "--ignore", "IOP00,IOP030", "--strict").exit_code == 1
    one_file = invoke(*base, str(root / "plans" / "P0001.yaml"))
    assert one_file.output == (
        "plans/P0001.yaml:5:3: IOP040 warning: plan is not signed by the participant\n"
        "1 file checked: 0 errors, 1 warning\n"
    )
    assert one_file.exit_code == 0


def test_clean_repository_exits_zero(tmp_path):
    root = write_repo(tmp_path)
    result = invoke("validate", "--records", str(root), "--as-of", "2026-11-23")
    assert (result.output, result.exit_code) == ("5 files checked: 0 errors, 0 warnings\n", 0)


def test_records_found_from_cwd_and_env(tmp_path, monkeypatch):
    root = write_repo(tmp_path / "recs")
    monkeypatch.chdir(root / "plans")
    assert invoke("validate", "--as-of", "2026-11-23").exit_code == 0
    monkeypatch.chdir(tmp_path)
    env = {"NO_COLOR": "1", "IOPCTL_RECORDS": str(root)}
    assert invoke("validate", "--as-of", "2026-11-23", env=env).exit_code == 0


def test_usage_errors_exit_two(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("validate")
    assert result.exit_code == 2
    assert "no program.yaml in" in result.output and "--records DIR" in result.output
    root = write_repo(tmp_path / "r")
    assert invoke("validate", "--records", str(root), "--select", "IOP999").exit_code == 2
    assert invoke("validate", "--records", str(root), "--as-of", "2026-13-01").exit_code == 2
    assert invoke("validate", "--records", str(root), "--bogus").exit_code == 2
    outside = invoke("validate", "--records", str(root), str(tmp_path))
    assert outside.exit_code == 2 and "is not inside the records repository" in outside.output


def test_color_only_on_request(tmp_path):
    root = several_findings(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "--records", str(root)], env={"NO_COLOR": ""})
    assert "\033[" not in result.output  # CliRunner's stdout is not a terminal


def test_version_and_schema():
    assert invoke("--version").output == f"iopctl, version {__version__}\n"
    kinds = invoke("schema")
    assert kinds.output.split() == ["program", "participant", "plan", "progress", "session"]
    schema = json.loads(invoke("schema", "participant").output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert invoke("schema", "nope").exit_code == 2


def test_sample_records_have_no_errors():
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "sample_records"
    result = invoke("validate", "--records", str(sample), "--as-of", "2026-11-23", "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 0
    assert data["errors"] == 0
    # The intended warnings (sample_records/README.md): closure weeks, one unsigned plan, one PHQ-9 item 9.
    assert sorted({f["code"] for f in data["findings"]}) == ["IOP022", "IOP031", "IOP040"]
