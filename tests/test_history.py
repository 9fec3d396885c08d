"""`iopctl history` and `iopctl plan-as-of` on a scripted git repository
(test_git.build_story): admission, a session, a plan change, a review, an
attendance correction, a discharge. Commit ids come from the story, every
other character of the output is pinned here.
"""
from __future__ import annotations

import datetime
import json

import pytest
from click.testing import CliRunner

from iopctl import history
from iopctl.cli import cli
from test_git import SESSION_PATH, GitRepo, build_story, participant, plan


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    return build_story(tmp_path_factory.mktemp("history"), records="records")


def run(r, *args):
    result = CliRunner().invoke(cli, [*args, "--records", str(r.root)])
    assert result.exception is None or isinstance(result.exception, SystemExit)  # never a traceback
    return result


def test_history_text(story):
    r, sha = story
    result = run(r, "history", "P0005")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"""\
P0005: 4 commits, newest first
2027-01-05  {sha['discharge'][:8]}  Maria Rivera: Discharge P0005
    profile: participant discharged 2027-01-05 (completed)
    plan: aftercare plan added; follow-up 2027-01-08 with Dr. Lee added
2026-12-02  {sha['review'][:8]}  Maria Rivera: 30-day review for P0005
    plan: objective 1.1.2 target date 2026-12-15 -> 2027-01-05; review added 2026-12-02
    progress: assessment added PHQ-9 2026-12-02 score 9
2026-11-20  {sha['plan-change'][:8]}  James Chen: Plan change for P0005
    plan: goal 1.1 statement changed; objective 1.1.3 added (target 2026-12-20); goal 1.1 intervention \
"Trigger mapping in group" frequency 3 times a week -> 2 times a week; goal 1.1 intervention \
"Individual MI session" added (weekly); adjustment added 2026-11-20: Trigger work moved to individual sessions
2026-11-02  {sha['admission'][:8]}  Maria Rivera: Admit P0005
    profile: participant admitted 2026-11-02 to adult-evening
    plan: plan added (start 2026-11-02; 1 problem, 1 goal, 2 objectives)
    progress: progress file added (1 assessment)
"""


def test_history_with_sessions_flags_the_attendance_correction(story):
    r, sha = story
    result = run(r, "history", "P0005", "--sessions")
    assert result.exit_code == 0
    # The session is shared: P0005's history shows P0005's attendance, not P0006's.
    assert result.stdout == f"""\
P0005: 6 commits, newest first
2027-01-05  {sha['discharge'][:8]}  Maria Rivera: Discharge P0005
    profile: participant discharged 2027-01-05 (completed)
    plan: aftercare plan added; follow-up 2027-01-08 with Dr. Lee added
2026-12-03  {sha['correction'][:8]}  Maria Rivera: Correct attendance 2026-11-16
    session adult-evening/process-group 2026-11-16: attendance P0005 status absent -> present \
[FLAGGED: changes a delivered-care record]
2026-12-02  {sha['review'][:8]}  Maria Rivera: 30-day review for P0005
    plan: objective 1.1.2 target date 2026-12-15 -> 2027-01-05; review added 2026-12-02
    progress: assessment added PHQ-9 2026-12-02 score 9
2026-11-20  {sha['plan-change'][:8]}  James Chen: Plan change for P0005
    plan: goal 1.1 statement changed; objective 1.1.3 added (target 2026-12-20); goal 1.1 intervention \
"Trigger mapping in group" frequency 3 times a week -> 2 times a week; goal 1.1 intervention \
"Individual MI session" added (weekly); adjustment added 2026-11-20: Trigger work moved to individual sessions
2026-11-16  {sha['session'][:8]}  Maria Rivera: Session notes 2026-11-16
    session adult-evening/process-group 2026-11-16: session added (held); attendance P0005 recorded absent
2026-11-02  {sha['admission'][:8]}  Maria Rivera: Admit P0005
    profile: participant admitted 2026-11-02 to adult-evening
    plan: plan added (start 2026-11-02; 1 problem, 1 goal, 2 objectives)
    progress: progress file added (1 assessment)
"""


def test_history_of_another_participant_skips_sessions_not_naming_them(story):
    r, sha = story
    result = run(r, "history", "T0001", "--sessions")
    assert result.stdout == f"""\
T0001: 1 commit, newest first
2026-11-01  {sha['setup'][:8]}  Maria Rivera: Program setup
    profile: participant admitted 2026-10-06 to teen
    plan: plan added (start 2026-10-06; 1 problem, 1 goal, 2 objectives)
    session teen/teen-group 2026-11-17: session added (held); attendance T0001 recorded present
"""


def test_history_json(story):
    r, sha = story
    result = run(r, "history", "P0005", "--sessions", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["participant"] == "P0005" and data["sessions"] is True
    assert [c["commit"] for c in data["commits"]] == [sha[k] for k in (
        "discharge", "correction", "review", "plan-change", "session", "admission")]
    assert data["commits"][1] == {
        "commit": sha["correction"],
        "date": "2026-12-03T09:15:00-06:00",
        "author": "Maria Rivera",
        "subject": "Correct attendance 2026-11-16",
        "files": [{
            "file": SESSION_PATH,
            "previous_file": None,
            "kind": "session",
            "status": "modified",
            "subject": "adult-evening/process-group 2026-11-16",
            "participants": ["P0005"],
            "changes": [{
                "item": "attendance P0005", "action": "changed", "detail": None, "field": "status",
                "old": "absent", "new": "present", "participant": "P0005", "flagged": True,
                "summary": "attendance P0005 status absent -> present",
            }],
            "summary": "attendance P0005 status absent -> present [FLAGGED: changes a delivered-care record]",
        }],
    }
    review = data["commits"][2]
    assert review["date"] == "2026-12-02T11:00:00-06:00"
    assert [(f["file"], f["status"], f["participants"]) for f in review["files"]] == [
        ("plans/P0005.yaml", "modified", ["P0005"]), ("progress/P0005.yaml", "modified", ["P0005"])]
    assert review["files"][0]["changes"] == [
        {"item": "objective 1.1.2", "action": "changed", "detail": None, "field": "target_date",
         "old": "2026-12-15", "new": "2027-01-05", "participant": None, "flagged": False,
         "summary": "objective 1.1.2 target date 2026-12-15 -> 2027-01-05"},
        {"item": "review", "action": "added", "detail": "2026-12-02", "field": None, "old": None, "new": None,
         "participant": None, "flagged": False, "summary": "review added 2026-12-02"},
    ]
    assert review["files"][1]["changes"] == [
        {"item": "assessment", "action": "added", "detail": "PHQ-9 2026-12-02 score 9", "field": None,
         "old": None, "new": None, "participant": None, "flagged": False,
         "summary": "assessment added PHQ-9 2026-12-02 score 9"},
    ]
    plan_change = data["commits"][3]["files"][0]["changes"][0]
    assert plan_change == {
        "item": "goal 1.1", "action": "changed", "detail": None, "field": "statement",
        "old": "Stay alcohol-free", "new": "Stay alcohol-free, one day at a time", "participant": None,
        "flagged": False, "summary": "goal 1.1 statement changed"}
    assert result.stdout == run(r, "history", "P0005", "--sessions", "--format", "json").stdout  # deterministic


def test_history_library_lists_entries(story):
    r, sha = story
    entries = history.participant_history(r.root, "P0006", sessions=True)
    assert [(e.commit.sha, [f.file for f in e.files]) for e in entries] == [
        (sha["session"], [SESSION_PATH]),
        (sha["setup"], ["participants/P0006.yaml", "plans/P0006.yaml"]),
    ]  # the correction changed P0005's attendance only, so it is not in P0006's history
    assert [c.summary for c in entries[0].files[0].changes] == ["session added (held)",
                                                                  "attendance P0006 recorded present"]


def test_history_of_unknown_participant_and_bad_id(story):
    r, _ = story
    result = run(r, "history", "P9999")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "iopctl: no participant P9999: no record files and no commits name that id\n"
    result = run(r, "history", "../P0005")
    assert result.exit_code == 2
    assert result.stderr == "iopctl: '../P0005' is not a participant id (letters, digits, - and _)\n"


def test_history_outside_git(tmp_path):
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "program.yaml").write_text("schema_version: 1\n")
    result = CliRunner().invoke(cli, ["history", "P0005", "--records", str(tmp_path / "records")])
    assert result.exit_code == 2
    assert result.stderr == (f"iopctl: the records at {tmp_path / 'records'} are not in a git repository, and this "
                             "needs their git history (run `git init` there and commit the records)\n")
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback


def test_history_of_a_participant_with_no_commits_yet(tmp_path):
    r = GitRepo(tmp_path / "repo")
    r.write("program.yaml", "schema_version: 1\n")
    r.commit("setup", "2026-11-01T09:00:00-05:00")
    r.write("participants/P0009.yaml", participant("P0009", "adult-evening", "2026-11-20"))
    result = run(r, "history", "P0009")
    assert (result.exit_code, result.stdout) == (0, "P0009: no committed changes to their records\n")


# -- plan-as-of ------------------------------------------------------------------


def test_plan_as_of_text_is_the_file_as_committed(story):
    r, sha = story
    result = run(r, "plan-as-of", "P0005", "2026-12-01")
    assert result.exit_code == 0
    committed = r.git("show", f"{sha['plan-change']}:records/plans/P0005.yaml")
    assert "target_date: 2026-12-15" in committed and "reviews:" not in committed
    assert result.stdout == (
        "# plans/P0005.yaml as of 2026-12-01 (end of day, America/Chicago)\n"
        f"# commit {sha['plan-change'][:8]} 2026-11-20 James Chen: Plan change for P0005\n" + committed)
    # The review was committed on 2026-12-02 at 11:00, so that day shows it.
    later = run(r, "plan-as-of", "P0005", "2026-12-02").stdout
    assert later.splitlines()[1] == f"# commit {sha['review'][:8]} 2026-12-02 Maria Rivera: 30-day review for P0005"


def test_plan_as_of_json_is_the_model_plan(story):
    r, sha = story
    result = run(r, "plan-as-of", "P0005", "2026-11-19", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {k: data[k] for k in ("participant", "as_of", "timezone", "file")} == {
        "participant": "P0005", "as_of": "2026-11-19", "timezone": "America/Chicago", "file": "plans/P0005.yaml"}
    assert data["commit"] == {"commit": sha["admission"], "date": "2026-11-02T10:00:00-06:00",
                              "author": "Maria Rivera", "subject": "Admit P0005",
                              "committed": "2026-11-02T10:00:00-06:00"}
    p = data["plan"]
    assert (p["start"], p["weeks"], p["track"], p["signed_participant"]) == ("2026-11-02", None, None, "2026-11-02")
    assert p["signed_staff"] == [{"id": "mrivera", "date": "2026-11-02"}]
    goal = p["problems"][0]["goals"][0]
    assert [(o["id"], o["target_date"]) for o in goal["objectives"]] == [("1.1.1", "2026-12-01"),
                                                                         ("1.1.2", "2026-12-15")]
    assert goal["interventions"] == [{"modality": "CBT", "description": "Trigger mapping in group",
                                      "frequency": "3 times a week", "staff": "mrivera"}]
    assert p["reviews"] == [] and p["aftercare"] is None


def test_plan_as_of_before_the_plan_existed(story):
    r, _ = story
    result = run(r, "plan-as-of", "P0005", "2026-11-01")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "iopctl: no committed version of plans/P0005.yaml on or before 2026-11-01\n"


def test_plan_as_of_uses_the_program_time_zone(tmp_path):
    """23:30 in Chicago on Dec 2 is Dec 3 in UTC: it still counts for Dec 2."""
    r = GitRepo(tmp_path / "repo")
    r.write("program.yaml", "schema_version: 1\nprogram: {id: x, name: X, timezone: America/Chicago}\n")
    r.write("plans/P0005.yaml", plan("P0005", "2026-11-02"))
    first = r.commit("plan", "2026-11-02T10:00:00-06:00")
    r.edit("plans/P0005.yaml", "2026-12-15", "2027-01-05")
    late = r.commit("late edit", "2026-12-02T23:30:00-06:00")
    r.remove("plans/P0005.yaml")
    gone = r.commit("remove", "2026-12-10T09:00:00-06:00")
    found = history.plan_as_of(r.root, "P0005", datetime.date(2026, 12, 2))
    assert found.commit.sha == late and found.version.obj.objectives()[1].target_date.isoformat() == "2027-01-05"
    assert history.plan_as_of(r.root, "P0005", datetime.date(2026, 12, 1)).commit.sha == first
    result = run(r, "plan-as-of", "P0005", "2026-12-11")
    assert result.exit_code == 1
    assert result.stderr == f"iopctl: plans/P0005.yaml had been removed by 2026-12-11 (commit {gone[:8]}, 2026-12-10)\n"


def test_plan_as_of_errors(story, tmp_path):
    r, _ = story
    assert run(r, "plan-as-of", "P0005", "2026-02-30").exit_code == 2
    result = CliRunner().invoke(cli, ["plan-as-of", "P0005", "2026-12-01", "--records", str(tmp_path)])
    assert result.exit_code == 2  # no program.yaml there: not a records repository


def test_plan_as_of_counts_a_merged_branch_from_the_merge(tmp_path):
    r = GitRepo(tmp_path / "repo")
    r.write("program.yaml", "schema_version: 1\nprogram: {id: x, name: X, timezone: America/Chicago}\n")
    r.write("plans/P0005.yaml", plan("P0005", "2026-11-02"))
    first = r.commit("plan", "2026-11-02T10:00:00-06:00")
    r.git("checkout", "-q", "-b", "feature")
    r.edit("plans/P0005.yaml", "2026-12-15", "2027-01-05")
    r.commit("extend on a branch", "2026-11-03T10:00:00-06:00")
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "feature", "-m", "merge", GIT_AUTHOR_NAME="Lead", GIT_COMMITTER_NAME="Lead",
          GIT_AUTHOR_DATE="2026-11-05T10:00:00-06:00", GIT_COMMITTER_DATE="2026-11-05T10:00:00-06:00")
    merge = r.git("rev-parse", "HEAD").strip()
    assert history.plan_as_of(r.root, "P0005", datetime.date(2026, 11, 4)).commit.sha == first
    assert history.plan_as_of(r.root, "P0005", datetime.date(2026, 11, 5)).commit.sha == merge
    # history shows who made the change (the branch commit), not the clean merge
    assert [e.commit.subject for e in history.participant_history(r.root, "P0005")] == [
        "extend on a branch", "plan"]
