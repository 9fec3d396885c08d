"""`validate --changed-since REV`: which record files a change makes worth re-validating.

The story (test_git.build_story) at HEAD holds ten record files:
program.yaml; P0005 (profile, plan, progress) and P0006 (profile, plan) on
adult-evening; T0001 (profile, plan) on teen; the adult-evening session of
2026-11-16 (P0005, P0006) and the teen session of 2026-11-17 (T0001).
"""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from iopctl import changes
from iopctl.cli import cli
from test_git import PROGRAM, SESSION_PATH, TEEN_SESSION_PATH, GitRepo, build_story

ALL = [
    "participants/P0005.yaml", "participants/P0006.yaml", "participants/T0001.yaml",
    "plans/P0005.yaml", "plans/P0006.yaml", "plans/T0001.yaml",
    "program.yaml", "progress/P0005.yaml", SESSION_PATH, TEEN_SESSION_PATH,
]
P0005 = ["participants/P0005.yaml", "plans/P0005.yaml", "progress/P0005.yaml"]
P0006 = ["participants/P0006.yaml", "plans/P0006.yaml"]
T0001 = ["participants/T0001.yaml", "plans/T0001.yaml"]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_story(tmp_path_factory.mktemp("changes"), records="records")


@pytest.fixture
def story(template, tmp_path):
    """A fresh copy of the story's repository (git included) for each test to edit."""
    r, sha = template
    shutil.copytree(r.top, tmp_path / "repo")
    return GitRepo(tmp_path / "repo", "records", init=False), sha


def test_nothing_changed(story):
    r, _ = story
    assert changes.changed_since(r.root, "HEAD") == []


def test_one_participant(story):
    r, _ = story
    r.edit("plans/P0006.yaml", "target_date: 2026-12-01", "target_date: 2026-12-08")
    # Their own files and the session naming them; not P0005, who shares the session.
    assert changes.changed_since(r.root, "HEAD") == sorted(P0006 + [SESSION_PATH])


def test_one_track(story):
    r, _ = story
    r.edit("program.yaml", "minutes: 120", "minutes: 100")
    assert changes.changed_since(r.root, "HEAD") == sorted(T0001 + ["program.yaml", TEEN_SESSION_PATH])


def test_the_other_track(story):
    r, _ = story
    r.edit("program.yaml", 'days: [mon, wed, thu], start: "18:00"', 'days: [mon, wed, fri], start: "18:00"')
    assert changes.changed_since(r.root, "HEAD") == sorted(P0005 + P0006 + ["program.yaml", SESSION_PATH])


def test_program_yaml_outside_tracks_means_everything(story):
    r, _ = story
    r.edit("program.yaml", "reason: Thanksgiving}", "reason: Thanksgiving}\n  - {date: 2026-12-25, reason: Christmas}")
    assert changes.changed_since(r.root, "HEAD") == ALL


def test_a_comment_in_program_yaml_changes_nothing_but_itself(story):
    r, _ = story
    (r.root / "program.yaml").write_text("# Riverside\n" + (r.root / "program.yaml").read_text())
    assert changes.changed_since(r.root, "HEAD") == ["program.yaml"]


def test_a_removed_track_still_named_by_a_participant(story):
    r, _ = story
    text = (r.root / "program.yaml").read_text()
    (r.root / "program.yaml").write_text(text[:text.index("  - id: teen")])
    assert changes.changed_since(r.root, "HEAD") == sorted(T0001 + ["program.yaml", TEEN_SESSION_PATH])


def test_a_session_file_means_itself_and_its_attendance(story):
    r, _ = story
    r.edit(SESSION_PATH, "P0006: present", "P0006: late")
    assert changes.changed_since(r.root, "HEAD") == sorted(P0005 + P0006 + [SESSION_PATH])


def test_attendance_removed_still_rechecks_the_person_removed(story):
    r, _ = story
    r.edit(SESSION_PATH, "  P0006: present\n", "")
    assert changes.changed_since(r.root, "HEAD") == sorted(P0005 + P0006 + [SESSION_PATH])


def test_untracked_session_and_deleted_profile(story):
    r, _ = story
    r.write("sessions/2026-11/2026-11-19-teen-teen-group.yaml", """
        schema_version: 1
        date: 2026-11-19
        session: teen/teen-group
        status: held
        attendance: {T0001: present}
    """)
    r.remove("participants/P0006.yaml")
    r.write("notes.md", "not a record\n")
    assert changes.changed_since(r.root, "HEAD") == sorted(
        T0001 + ["sessions/2026-11/2026-11-19-teen-teen-group.yaml", "plans/P0006.yaml", SESSION_PATH])


def test_since_an_older_revision(story):
    r, sha = story
    assert changes.changed_since(r.root, sha["review"]) == sorted(P0005 + P0006 + [SESSION_PATH])


def test_files_to_validate_without_history_treats_program_as_everything(story):
    r, _ = story
    assert changes.files_to_validate(r.root, ["program.yaml"]) == ALL
    assert changes.files_to_validate(r.root, ["progress/P0005.yaml"]) == sorted(P0005 + [SESSION_PATH])


def test_changed_tracks():
    import yaml

    old = yaml.safe_load(PROGRAM.replace("\n    ", "\n"))
    new = yaml.safe_load(PROGRAM.replace("\n    ", "\n").replace("weeks: 8", "weeks: 9"))
    assert changes.changed_tracks(old, new) == {"teen"}
    assert changes.changed_tracks(old, {**new, "closures": []}) is None
    assert changes.changed_tracks(old, None) is None


# -- the command ---------------------------------------------------------------


def validate(r, *args):
    result = CliRunner().invoke(cli, ["validate", "--records", str(r.root), "--as-of", "2026-11-23", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_validate_changed_since_reports_on_the_selected_files_only(story):
    r, _ = story
    r.edit("program.yaml", "minutes: 120", "minutes: 100")
    result = validate(r, "--changed-since", "HEAD", "--format", "json")
    data = json.loads(result.stdout)
    assert data["files"] == 4
    assert sorted({f["file"] for f in data["findings"]}) == ["plans/T0001.yaml"]  # the teen plan's hours
    everything = json.loads(validate(r, "--format", "json").stdout)
    assert everything["files"] == 10
    assert [f for f in everything["findings"] if f["file"] == "plans/T0001.yaml"] == data["findings"]


def test_validate_changed_since_with_nothing_changed(story):
    r, _ = story
    result = validate(r, "--changed-since", "HEAD")
    assert (result.exit_code, result.stdout) == (0, "0 files checked: 0 errors, 0 warnings\n")


def test_validate_changed_since_errors(story, tmp_path):
    r, _ = story
    result = validate(r, "--changed-since", "origin/main")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "iopctl: unknown revision 'origin/main': no commit by that name in this repository\n"
    result = validate(r, "--changed-since", "HEAD", "plans/P0005.yaml")
    assert result.exit_code == 2 and "give PATHS or --changed-since, not both" in result.stderr
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "program.yaml").write_text(PROGRAM)
    result = CliRunner().invoke(cli, ["validate", "--records", str(tmp_path / "plain"), "--changed-since", "HEAD"])
    assert result.exit_code == 2
    assert "are not in a git repository" in result.stderr and "Traceback" not in result.output
