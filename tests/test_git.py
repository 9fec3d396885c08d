"""iopctl.git: git as a read-only subprocess. Also home of the scripted test
repositories (GitRepo, build_story) that test_history, test_diff and
test_changes use: real git, fixed names and dates, so commit ids and output
are the same on every run.
"""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from iopctl import git

# Fixed identities and no user or system configuration: commit ids are reproducible.
BASE_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_EMAIL": "records@riverside.example",
    "GIT_COMMITTER_EMAIL": "records@riverside.example",
    "LC_ALL": "C",
}


class GitRepo:
    """A scratch git repository whose records root is `records` inside it."""

    def __init__(self, top: Path, records: str = "", init: bool = True):
        self.top = top
        self.root = top / records if records else top
        self.root.mkdir(parents=True, exist_ok=True)
        if init:
            self.git("init", "-q", "-b", "main")

    def git(self, *args: str, **env: str) -> str:
        full = {**os.environ, **BASE_ENV, **env}
        proc = subprocess.run(["git", *args], cwd=self.top, env=full, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (rel, old)
        path.write_text(text.replace(old, new), encoding="utf-8")

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink()

    def commit(self, message: str, when: str, author: str = "Maria Rivera") -> str:
        """Commit everything at `when` (ISO 8601 with offset); the new commit id."""
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, GIT_AUTHOR_NAME=author, GIT_COMMITTER_NAME=author,
                 GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
        return self.git("rev-parse", "HEAD").strip()


# -- the story: one program, two tracks, P0005's stay from admission to discharge --

PROGRAM = """
    schema_version: 1
    program:
      id: riverside
      name: Riverside Recovery IOP
      timezone: America/Chicago
    closures:
      - {date: 2026-11-26, reason: Thanksgiving}
    staff:
      - {id: mrivera, name: Maria Rivera, role: counselor}
      - {id: jchen, name: James Chen, role: therapist}
    tracks:
      - id: adult-evening
        name: Adult Evening IOP
        population: adult
        level_of_care: "2.1"
        weeks: 10
        sessions:
          - {id: process-group, title: Process Group, kind: group, days: [mon, wed, thu], start: "18:00",
             minutes: 180, facilitator: mrivera}
      - id: teen
        name: Teen IOP
        population: adolescent
        level_of_care: "2.1"
        weeks: 8
        sessions:
          - {id: teen-group, title: Teen Group, kind: group, days: [mon, tue, thu], start: "15:30",
             minutes: 120, facilitator: jchen}
"""


def participant(pid: str, track: str, admitted: str, born: str = "1990-05-01", extra: str = "") -> str:
    return f"""
    schema_version: 1
    id: {pid}
    preferred_name: Sam
    date_of_birth: {born}
    status: active
    admitted: {admitted}
    track: {track}
    primary_counselor: mrivera
    {extra}"""


def plan(pid: str, start: str) -> str:
    return f"""
    schema_version: 1
    participant: {pid}
    start: {start}
    signed:
      participant: {start}
      staff: [{{id: mrivera, date: {start}}}]
    problems:
      - id: "1"
        statement: Drinks daily to cope with stress at work
        goals:
          - id: "1.1"
            statement: Stay alcohol-free
            objectives:
              - id: "1.1.1"
                statement: Attend three peer support meetings a week
                measure: meetings attended, from the weekly log
                target_date: 2026-12-01
              - id: "1.1.2"
                statement: Name three triggers and a plan for each
                measure: written trigger plan reviewed with counselor
                target_date: 2026-12-15
            interventions:
              - {{modality: CBT, description: Trigger mapping in group, frequency: 3 times a week, staff: mrivera}}
    """


def progress(pid: str, day: str, score: int) -> str:
    return f"""
    schema_version: 1
    participant: {pid}
    assessments:
      - {{date: {day}, instrument: PHQ-9, score: {score}}}
    """


SESSION_1116 = """
    schema_version: 1
    date: 2026-11-16
    session: adult-evening/process-group
    status: held
    facilitator: mrivera
    topic: Coping with holiday stress
    attendance:
      P0005: absent
      P0006: present
"""

SESSION_PATH = "sessions/2026-11/2026-11-16-adult-evening-process-group.yaml"
TEEN_SESSION_PATH = "sessions/2026-11/2026-11-17-teen-teen-group.yaml"


def build_story(tmp_path: Path, records: str = "") -> tuple[GitRepo, dict[str, str]]:
    """Seven commits: setup, admission, a session, a plan change, a review,
    an attendance correction, a discharge. Returns the repo and commit ids by step."""
    r = GitRepo(tmp_path / "repo", records)
    shas = {}
    r.write("program.yaml", PROGRAM)
    r.write("participants/P0006.yaml", participant("P0006", "adult-evening", "2026-10-05"))
    r.write("plans/P0006.yaml", plan("P0006", "2026-10-05"))
    r.write("participants/T0001.yaml", participant("T0001", "teen", "2026-10-06", born="2011-02-03"))
    r.write("plans/T0001.yaml", plan("T0001", "2026-10-06"))
    r.write(TEEN_SESSION_PATH, """
        schema_version: 1
        date: 2026-11-17
        session: teen/teen-group
        status: held
        attendance: {T0001: present}
    """)
    shas["setup"] = r.commit("Program setup", "2026-11-01T09:00:00-05:00")

    r.write("participants/P0005.yaml", participant("P0005", "adult-evening", "2026-11-02"))
    r.write("plans/P0005.yaml", plan("P0005", "2026-11-02"))
    r.write("progress/P0005.yaml", progress("P0005", "2026-11-02", 16))
    shas["admission"] = r.commit("Admit P0005", "2026-11-02T10:00:00-06:00")

    r.write(SESSION_PATH, SESSION_1116)
    shas["session"] = r.commit("Session notes 2026-11-16", "2026-11-16T21:30:00-06:00")

    r.edit("plans/P0005.yaml", "statement: Stay alcohol-free", "statement: Stay alcohol-free, one day at a time")
    r.edit("plans/P0005.yaml", "frequency: 3 times a week", "frequency: 2 times a week")
    r.edit("plans/P0005.yaml", "        interventions:\n", "\n".join([
        '          - id: "1.1.3"',
        "            statement: Sleep seven hours on work nights",
        "            measure: sleep diary",
        "            target_date: 2026-12-20",
        "        interventions:",
        "          - {modality: MI, description: Individual MI session, frequency: weekly, staff: jchen}",
        ""]))
    r.edit("plans/P0005.yaml", "\nproblems:", "\nadjustments:\n  - {date: 2026-11-20, by: jchen, change: Trigger "
           "work moved to individual sessions, reason: Shift change}\nproblems:")
    shas["plan-change"] = r.commit("Plan change for P0005", "2026-11-20T14:00:00-06:00", author="James Chen")

    r.edit("plans/P0005.yaml", "target_date: 2026-12-15", "target_date: 2027-01-05")
    r.edit("plans/P0005.yaml", "\nadjustments:", "\nreviews:\n  - {date: 2026-12-02, by: mrivera, summary: Goals on "
           "track}\nadjustments:")
    r.edit("progress/P0005.yaml", "score: 16}", "score: 16}\n  - {date: 2026-12-02, instrument: PHQ-9, score: 9}")
    shas["review"] = r.commit("30-day review for P0005", "2026-12-02T11:00:00-06:00")

    r.edit(SESSION_PATH, "P0005: absent", "P0005: present")
    shas["correction"] = r.commit("Correct attendance 2026-11-16", "2026-12-03T09:15:00-06:00")

    r.edit("participants/P0005.yaml", "status: active", "status: discharged")
    r.edit("participants/P0005.yaml", "admitted: 2026-11-02",
           "admitted: 2026-11-02\ndischarged: 2027-01-05\ndischarge_reason: completed")
    r.edit("plans/P0005.yaml", "\nreviews:", "\naftercare:\n  follow_ups:\n    - {date: 2027-01-08, with: Dr. Lee, "
           "kind: outpatient counselling}\nreviews:")
    shas["discharge"] = r.commit("Discharge P0005", "2027-01-05T16:00:00-06:00")
    return r, shas


# -- git.py --------------------------------------------------------------------


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    return build_story(tmp_path_factory.mktemp("git"), records="records")


def test_find_repo_gives_toplevel_and_prefix(story):
    r, _ = story
    found = git.find_repo(r.root)
    assert found.toplevel == r.top.resolve()
    assert found.prefix == "records/"
    assert found.git_path("plans/P0005.yaml") == "records/plans/P0005.yaml"
    assert found.rel_path("records/plans/P0005.yaml") == "plans/P0005.yaml"
    assert found.rel_path("README.md") is None


def test_find_repo_at_the_top(tmp_path):
    r = GitRepo(tmp_path / "top")
    found = git.find_repo(r.root)
    assert (found.prefix, found.pathspec) == ("", ".")


def test_not_a_repository(tmp_path):
    (tmp_path / "records").mkdir()
    with pytest.raises(git.NotARepository, match="not in a git repository"):
        git.find_repo(tmp_path / "records")


def test_git_not_installed(story, monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(git.GitNotFound, match="git is not installed"):
        git.find_repo(story[0].root)


def test_resolve_and_unknown_revision(story):
    r, shas = story
    repo = git.find_repo(r.root)
    assert git.resolve(repo, "HEAD") == shas["discharge"]
    assert git.resolve(repo, "HEAD~6") == shas["setup"]
    assert git.resolve(repo, shas["review"][:10]) == shas["review"]
    for bad in ("nosuchrev", "HEAD~7", "--all", ""):
        with pytest.raises(git.UnknownRevision):
            git.resolve(repo, bad)
    assert git.is_revision(repo, "main") and not git.is_revision(repo, "P0005")


def test_head_of_an_empty_repository(tmp_path):
    r = GitRepo(tmp_path / "empty")
    with pytest.raises(git.UnknownRevision, match="no commits"):
        git.resolve(git.find_repo(r.root), "HEAD")


def test_log_lists_commits_touching_paths_newest_first(story):
    r, shas = story
    repo = git.find_repo(r.root)
    commits = git.log(repo, ["plans/P0005.yaml"])
    assert [c.sha for c in commits] == [shas["discharge"], shas["review"], shas["plan-change"], shas["admission"]]
    top = commits[1]
    assert (top.author, top.subject, top.date) == ("Maria Rivera", "30-day review for P0005", "2026-12-02")
    assert top.authored == "2026-12-02T11:00:00-06:00"
    assert commits[2].author == "James Chen"


def test_log_changes_gives_the_blobs_on_either_side(story):
    r, shas = story
    repo = git.find_repo(r.root)
    (commit, changes), = [e for e in git.log_changes(repo, ["sessions"]) if e[0].sha == shas["correction"]]
    (fc,) = changes
    assert (fc.path, fc.status) == (SESSION_PATH, "M")
    blobs = git.read_objects(repo, [fc.old_blob, fc.new_blob])
    assert b"P0005: absent" in blobs[fc.old_blob] and b"P0005: present" in blobs[fc.new_blob]


def test_show_reads_a_file_at_a_revision(story):
    r, shas = story
    repo = git.find_repo(r.root)
    assert b"target_date: 2026-12-15" in git.show(repo, shas["plan-change"], "plans/P0005.yaml")
    assert b"target_date: 2027-01-05" in git.show(repo, "HEAD", "plans/P0005.yaml")
    assert git.show(repo, shas["setup"], "plans/P0005.yaml") is None
    with pytest.raises(git.UnknownRevision):
        git.show(repo, "nosuchrev", "plans/P0005.yaml")


def test_read_at_many_files(story):
    r, shas = story
    repo = git.find_repo(r.root)
    found = git.read_at(repo, shas["setup"], ["program.yaml", "plans/P0005.yaml"])
    assert found["plans/P0005.yaml"] is None
    assert found["program.yaml"].startswith(b"schema_version: 1\nprogram:")


def test_changed_paths_includes_untracked_and_deleted_never_ignored(tmp_path):
    r, shas = build_story(tmp_path, records="records")
    (r.top / ".gitignore").write_text("*.tmp\n")
    r.edit("plans/P0006.yaml", "2026-12-15", "2026-12-20")
    r.remove("plans/T0001.yaml")
    r.write("progress/P0006.yaml", progress("P0006", "2026-10-05", 7))
    r.write("sessions/scratch.tmp", "ignored")
    (r.top / "outside.yaml").write_text("not under the records root\n")
    status_before = r.git("status", "--porcelain")
    assert git.changed_paths(r.root, "HEAD") == ["plans/P0006.yaml", "plans/T0001.yaml", "progress/P0006.yaml"]
    assert git.changed_paths(r.root, shas["correction"]) == [
        "participants/P0005.yaml", "plans/P0005.yaml", "plans/P0006.yaml", "plans/T0001.yaml", "progress/P0006.yaml"]
    assert r.git("status", "--porcelain") == status_before  # nothing staged, nothing written


def test_changed_paths_errors(tmp_path):
    r = GitRepo(tmp_path / "repo")
    r.write("program.yaml", PROGRAM)
    r.commit("setup", "2026-11-01T09:00:00-05:00")
    with pytest.raises(git.UnknownRevision, match="unknown revision 'origin/main'"):
        git.changed_paths(r.root, "origin/main")
    (tmp_path / "plain").mkdir()
    with pytest.raises(git.NotARepository):
        git.changed_paths(tmp_path / "plain", "HEAD")


def test_file_names_with_special_characters(tmp_path):
    r = GitRepo(tmp_path / "repo")
    r.write("program.yaml", PROGRAM)
    r.commit("setup", "2026-11-01T09:00:00-05:00")
    r.write("sessions/2026-11/2026-11-16-group *ü.yaml", SESSION_1116)
    repo = git.find_repo(r.root)
    assert git.changed_paths(r.root, "HEAD") == ["sessions/2026-11/2026-11-16-group *ü.yaml"]
    r.commit("add", "2026-11-16T21:00:00-06:00")
    assert git.show(repo, "HEAD", "sessions/2026-11/2026-11-16-group *ü.yaml").startswith(b"schema_version")
    assert [fc.path for _, ch in git.log_changes(repo, ["sessions"]) for fc in ch] == [
        "sessions/2026-11/2026-11-16-group *ü.yaml"]


def test_merges_list_only_what_they_resolved(tmp_path):
    """A clean merge adds nothing to the log's file changes (the merged commits
    carry them); a conflict resolved by hand is a change of the merge itself."""
    r = GitRepo(tmp_path / "repo")
    r.write("plans/P0005.yaml", plan("P0005", "2026-11-02"))
    r.write("progress/P0005.yaml", progress("P0005", "2026-11-02", 16))
    r.commit("plan", "2026-11-02T10:00:00-06:00")
    r.git("checkout", "-q", "-b", "feature")
    r.edit("plans/P0005.yaml", "target_date: 2026-12-15", "target_date: 2027-01-05")
    r.commit("feature: extend", "2026-11-03T10:00:00-06:00")
    r.git("checkout", "-q", "main")
    r.edit("progress/P0005.yaml", "score: 16", "score: 15")
    r.commit("main: rescore", "2026-11-04T10:00:00-06:00")
    r.git("merge", "-q", "--no-ff", "feature", "-m", "clean merge", GIT_AUTHOR_NAME="Lead", GIT_COMMITTER_NAME="Lead",
          GIT_AUTHOR_DATE="2026-11-04T12:00:00-06:00", GIT_COMMITTER_DATE="2026-11-04T12:00:00-06:00")
    r.git("checkout", "-q", "-b", "other", "HEAD~1")
    r.edit("plans/P0005.yaml", "target_date: 2026-12-15", "target_date: 2026-12-20")
    r.commit("other: extend less", "2026-11-05T10:00:00-06:00")
    r.git("checkout", "-q", "main")
    proc = subprocess.run(["git", "merge", "-q", "other"], cwd=r.top, env={**os.environ, **BASE_ENV},
                          capture_output=True)
    assert proc.returncode == 1  # conflict: resolve it by hand with a third date
    r.write("plans/P0005.yaml", plan("P0005", "2026-11-02").replace("2026-12-15", "2026-12-31"))
    merged = r.commit("resolve: 2026-12-31", "2026-11-06T10:00:00-06:00")
    repo = git.find_repo(r.root)
    log = git.log_changes(repo, ["plans/P0005.yaml", "progress/P0005.yaml"])
    assert [(c.subject, [fc.path for fc in ch]) for c, ch in log] == [
        ("resolve: 2026-12-31", ["plans/P0005.yaml"]),
        ("other: extend less", ["plans/P0005.yaml"]),
        ("clean merge", []),
        ("main: rescore", ["progress/P0005.yaml"]),
        ("feature: extend", ["plans/P0005.yaml"]),
        ("plan", ["plans/P0005.yaml", "progress/P0005.yaml"]),
    ]
    (fc,) = log[0][1]
    blobs = git.read_objects(repo, [fc.old_blob, fc.new_blob])  # against the first parent (main)
    assert b"2027-01-05" in blobs[fc.old_blob] and b"2026-12-31" in blobs[fc.new_blob]
    assert log[0][0].sha == merged and len(log[0][0].parents) == 2
