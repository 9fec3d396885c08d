"""`iopctl init`: a records repository ready for git, pre-commit, CI and editors; and the project's hook."""
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from iopctl import schemas
from iopctl.cli import cli
from iopctl.validate import validate

PROJECT = Path(__file__).parent.parent
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Test",
           "GIT_AUTHOR_EMAIL": "test@example.org", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "test@example.org"}

EXPECTED_FILES = [
    ".github/workflows/validate.yml",
    ".gitignore",
    ".iopctl/schemas/participant.schema.json",
    ".iopctl/schemas/plan.schema.json",
    ".iopctl/schemas/program.schema.json",
    ".iopctl/schemas/progress.schema.json",
    ".iopctl/schemas/session.schema.json",
    ".pre-commit-config.yaml",
    ".vscode/settings.json",
    "participants/.gitkeep",
    "plans/.gitkeep",
    "program.yaml",
    "progress/.gitkeep",
    "sessions/.gitkeep",
]


@pytest.fixture(autouse=True)
def clean_git(monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def init(*args: str):
    return CliRunner().invoke(cli, ["init", *args])


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and ".git" not in p.relative_to(root).parts)


def test_init_creates_a_repository_that_validates(tmp_path):
    root = tmp_path / "Lakeside Records"
    result = init(str(root), "--name", "Lakeside IOP", "--timezone", "America/Denver")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"created a records repository in {root}:\n"
                             + "".join(f"  {rel}\n" for rel in EXPECTED_FILES)
                             + "initialised a git repository (git init)\n"
                             "next: replace the TODOs in program.yaml, run `iopctl validate`, "
                             "and `pre-commit install` to check every commit\n")
    assert files_under(root) == EXPECTED_FILES
    assert (root / ".git").is_dir()
    program = (root / "program.yaml").read_text()
    assert "  id: lakeside-records  # letters, digits, - and _\n  name: Lakeside IOP\n" in program
    assert "  timezone: America/Denver  # IANA time zone name" in program
    assert program.startswith("# The program: who you are, when sessions meet, and who runs them.\n")
    report = validate(root, as_of=dt.date(2026, 11, 23))
    assert (report.files, report.findings) == (1, [])


def test_init_writes_the_editor_schemas_and_their_globs(tmp_path):
    root = tmp_path / "r"
    assert init(str(root), "--no-git").exit_code == 0
    assert not (root / ".git").exists()
    settings = json.loads((root / ".vscode/settings.json").read_text())
    assert settings["yaml.schemas"] == {
        "./.iopctl/schemas/program.schema.json": ["program.yaml"],
        "./.iopctl/schemas/participant.schema.json": ["participants/*.yaml", "participants/*.yml"],
        "./.iopctl/schemas/plan.schema.json": ["plans/*.yaml", "plans/*.yml"],
        "./.iopctl/schemas/progress.schema.json": ["progress/*.yaml", "progress/*.yml"],
        "./.iopctl/schemas/session.schema.json": ["sessions/*/*.yaml", "sessions/*/*.yml"],
    }
    for kind in schemas.KINDS:
        assert (root / f".iopctl/schemas/{kind}.schema.json").read_text() == schemas.schema_text(kind)


def test_init_gitignore_keeps_rendered_output_out_of_history(tmp_path):
    root = tmp_path / "r"
    assert init(str(root), "--no-git").exit_code == 0
    ignored = [line for line in (root / ".gitignore").read_text().splitlines() if line and not line.startswith("#")]
    for pattern in ("out/", "*.html", "*.pdf", ".iopctl-cache/"):
        assert pattern in ignored


def test_init_ci_workflow_runs_validate_with_github_annotations(tmp_path):
    root = tmp_path / "r"
    assert init(str(root), "--no-git").exit_code == 0
    workflow = yaml.safe_load((root / ".github/workflows/validate.yml").read_text())
    steps = workflow["jobs"]["validate"]["steps"]
    assert steps[-1] == {"run": "iopctl validate --format github"}
    assert workflow[True] == ["push", "pull_request"]  # PyYAML (YAML 1.1) reads the key `on` as True


def iopctl_program() -> list[str]:
    """The installed `iopctl` next to this Python (what a pre-commit `language: system` hook runs)."""
    script = Path(sys.executable).parent / "iopctl"
    return [str(script)] if script.exists() else [sys.executable, "-m", "iopctl"]


def test_the_generated_pre_commit_hook_fails_a_broken_record(tmp_path):
    root = tmp_path / "r"
    assert init(str(root), "--no-git").exit_code == 0
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    [hook] = config["repos"][0]["hooks"]
    assert (config["repos"][0]["repo"], hook["id"], hook["pass_filenames"]) == ("local", "iopctl-validate", True)
    files = re.compile(hook["files"])
    for path in ("program.yaml", "participants/P1.yaml", "plans/P1.yml", "sessions/2026-11/2026-11-23-a-b.yaml"):
        assert files.search(path), path
    for path in ("README.md", ".vscode/settings.json", "participants/notes/P1.yaml", "templates/a.yaml"):
        assert not files.search(path), path

    broken = root / "participants/P1.yaml"
    broken.write_text("schema_version: 1\nid: P1\npreferred_name: Alex\nadmited: 2026-11-02\n")
    entry = hook["entry"].split()
    assert entry[:2] == ["iopctl", "validate"]
    run = subprocess.run(iopctl_program() + entry[1:] + ["participants/P1.yaml"], cwd=root, capture_output=True,
                         text=True, env={**os.environ, "NO_COLOR": "1", "IOPCTL_RECORDS": ""})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "participants/P1.yaml:4:1: IOP002 error: `admited` is not a known field (did you mean `admitted`?)" \
        in run.stdout
    broken.write_text("schema_version: 1\nid: P1\npreferred_name: Alex\ndate_of_birth: 1980-01-01\n"
                      "status: active\nadmitted: 2026-11-02\ntrack: adult-evening\n")
    fixed = subprocess.run(iopctl_program() + entry[1:] + ["participants/P1.yaml"], cwd=root, capture_output=True,
                           text=True, env={**os.environ, "NO_COLOR": "1", "IOPCTL_RECORDS": ""})
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_init_inside_an_existing_git_repository_does_not_nest_one(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    root = tmp_path / "records"
    result = init(str(root))
    assert result.exit_code == 0, result.output
    assert not (root / ".git").exists()
    assert "initialised a git repository" not in result.stdout
    assert "is inside the git repository" in result.stderr
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    [hook] = config["repos"][0]["hooks"]
    assert hook["entry"] == "iopctl validate --records records"
    assert re.search(hook["files"], "records/participants/P1.yaml")
    assert not re.search(hook["files"], "participants/P1.yaml")


def test_init_refuses_existing_files_unless_forced(tmp_path):
    root = tmp_path / "r"
    assert init(str(root), "--no-git").exit_code == 0
    (root / "program.yaml").write_text("# mine\n")
    again = init(str(root), "--no-git")
    assert again.exit_code == 1
    assert again.stderr.startswith(f"iopctl: {root} already holds .github/workflows/validate.yml, .gitignore, ")
    assert (root / "program.yaml").read_text() == "# mine\n"
    forced = init(str(root), "--no-git", "--force")
    assert forced.exit_code == 0, forced.output
    assert (root / "program.yaml").read_text().startswith("# The program:")


def test_init_rejects_a_bad_time_zone_or_id(tmp_path):
    zone = init(str(tmp_path / "r"), "--timezone", "Mars/Olympus")
    assert zone.exit_code == 2
    assert "'Mars/Olympus' is not an IANA time zone name" in zone.stderr
    bad_id = init(str(tmp_path / "r"), "--id", "no spaces")
    assert bad_id.exit_code == 2
    assert not (tmp_path / "r").exists()


def test_init_json(tmp_path):
    root = tmp_path / "r"
    result = init(str(root), "--no-git", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"root": str(root), "written": EXPECTED_FILES, "git_init": False,
                                         "notes": []}


def test_project_pre_commit_hooks_file_offers_iopctl_validate():
    [hook] = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert {k: hook[k] for k in ("id", "entry", "language", "pass_filenames")} == {
        "id": "iopctl-validate", "entry": "iopctl validate", "language": "python", "pass_filenames": True}
    files = re.compile(hook["files"])
    for path in ("program.yaml", "participants/P0001.yaml", "records/plans/P1.yaml",
                 "sessions/2026-11/2026-11-19-adult-evening-process-group.yaml"):
        assert files.search(path), path
    for path in ("setup.cfg", "schemas/plan.schema.json", "sessions/notes.yaml", "my-program.yaml"):
        assert not files.search(path), path
