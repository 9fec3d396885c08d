"""The validation cache (iopctl/cache.py): keyed by content, schemas and iopctl's version;
damaged files ignored; --no-cache neither reads nor writes it; kept only inside .git (or
$IOPCTL_CACHE_DIR): records outside git get none."""
import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import iopctl
from iopctl import cache, records, schemas
from iopctl.cli import cli
from iopctl.validate import validate

AS_OF = dt.date(2026, 11, 23)

PROGRAM = """\
schema_version: 1
program: {id: riverside, name: Riverside Recovery IOP, timezone: America/Chicago}
staff:
  - {id: mrivera, name: Maria Rivera}
tracks:
  - id: adult-evening
    name: Adult Evening IOP
    population: adult
    level_of_care: "2.1"
    weeks: 10
    sessions:
      - {id: process-group, title: Process Group, kind: group, days: [mon, wed, thu], start: "18:00", minutes: 180}
"""
PARTICIPANT = """\
schema_version: 1
id: {pid}
preferred_name: {name}
date_of_birth: 1988-04-12
status: active
admitted: 2026-11-02
track: adult-evening
"""


def make_repo(root: Path, people: int = 3) -> Path:
    (root / "participants").mkdir(parents=True)
    (root / "program.yaml").write_text(PROGRAM)
    for i in range(1, people + 1):
        pid = f"P{i:04d}"
        (root / "participants" / f"{pid}.yaml").write_text(PARTICIPANT.format(pid=pid, name="Alex"))
    return root


def git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """Records in a git work tree of their own: the cache lives in its .git."""
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    root = make_repo(tmp_path / "records")
    git_init(root)
    return root


def everything(folder: Path) -> dict[str, tuple]:
    """Every entry under folder (links not followed) with its kind and content."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        out[rel] = ("dir",) if path.is_dir() else ("file", path.read_bytes(), path.stat().st_mtime_ns)
    return out


@pytest.fixture
def checked(monkeypatch):
    """The root-relative paths that were read and parsed (not answered from the cache)."""
    seen: list[str] = []
    real = records.check_file

    def spy(path, rel, kind):
        seen.append(rel)
        return real(path, rel, kind)

    monkeypatch.setattr(records, "check_file", spy)
    return seen


def texts(report) -> list[str]:
    return [f.as_text() for f in report.findings]


def run(root: Path) -> list[str]:
    return texts(validate(root, as_of=AS_OF, cache=True, jobs=1))


def test_an_unchanged_repository_is_answered_from_the_cache(repo, checked):
    first = run(repo)
    assert sorted(checked) == ["participants/P0001.yaml", "participants/P0002.yaml", "participants/P0003.yaml",
                               "program.yaml"]
    checked.clear()
    assert run(repo) == first
    assert checked == []
    assert sorted(p.name for p in cache.cache_dir(repo).iterdir()) == ["entries", "index", "results"]


def test_a_content_change_is_seen_even_with_the_same_size_and_mtime(repo, checked):
    assert run(repo) == []
    path = repo / "participants" / "P0002.yaml"
    st = path.stat()
    path.write_text(path.read_text().replace("status: active", "status: activ3"))  # same length
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    checked.clear()
    assert run(repo) == ["participants/P0002.yaml:5:9: IOP002 error: status: `activ3` is not one of referred, "
                         "active, on-hold, discharged, withdrawn (did you mean `active`?)"]
    assert checked == ["participants/P0002.yaml"]  # the other files came from the cache


def test_a_schema_change_invalidates_everything(repo, checked, monkeypatch):
    assert run(repo) == []
    real = schemas.schema_text

    def stricter(kind):  # preferred_name at most 3 characters: "Alex" becomes an error
        text = real(kind)
        if kind == "participant":
            text = text.replace('"preferred_name": {', '"preferred_name": {\n      "maxLength": 3,', 1)
        return text

    monkeypatch.setattr(schemas, "schema_text", stricter)
    for fn in (schemas.schema, schemas.validator, schemas.fast_validator, schemas.fingerprint):
        fn.cache_clear()
    try:
        checked.clear()
        found = run(repo)
        assert len(checked) == 4
        assert found == [f"participants/P000{i}.yaml:3:17: IOP002 error: preferred_name is longer than 3 characters"
                         for i in (1, 2, 3)]
    finally:
        for fn in (schemas.schema, schemas.validator, schemas.fast_validator, schemas.fingerprint):
            fn.cache_clear()


def test_an_iopctl_version_change_invalidates_everything(repo, checked, monkeypatch):
    run(repo)
    monkeypatch.setattr(iopctl, "__version__", "99.0.0")
    checked.clear()
    run(repo)
    assert len(checked) == 4


@pytest.mark.parametrize("damage", ["truncate", "garbage", "bad-checksum", "wrong-shape"])
def test_a_damaged_cache_is_ignored(repo, checked, damage):
    first = run(repo)
    folder = cache.cache_dir(repo)
    for path in [folder / "index", folder / "entries", *(folder / "results").iterdir()]:
        raw = path.read_bytes()
        if damage == "truncate":
            path.write_bytes(raw[: len(raw) // 2])
        elif damage == "garbage":
            path.write_bytes(os.urandom(len(raw)))
        elif damage == "bad-checksum":
            path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
        else:  # a well-formed file holding the wrong kind of value
            cache._write(path, ["not", "a", "cache"])
    checked.clear()
    assert run(repo) == first
    if damage in ("garbage", "wrong-shape"):
        assert len(checked) == 4  # nothing was trusted
    elif damage == "truncate":  # the entries pack's header is intact: the entries cut off are read again
        assert 1 <= len(checked) < 4
    else:  # the last byte of the pack is in its last entry, the files' facts: no file is read again
        assert checked == []
    checked.clear()
    assert run(repo) == first and checked == []  # and the cache was written afresh


def test_a_damaged_entry_is_ignored_and_the_others_are_used(repo, checked):
    first = run(repo)
    folder = cache.cache_dir(repo)
    store = cache.Cache.for_root(repo)
    key = store.entry_key("participant", cache.blob_id((repo / "participants" / "P0002.yaml").read_bytes()))
    entry = store.entries()[key]
    raw = (folder / "entries").read_bytes()
    at = raw.index(entry) + len(entry) // 2
    (folder / "entries").write_bytes(raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:])
    for path in (folder / "results").iterdir():  # so that the files are looked at one by one
        path.unlink()
    checked.clear()
    assert run(repo) == first
    assert checked == ["participants/P0002.yaml"]


def test_no_cache_neither_reads_nor_writes(repo):
    runner = CliRunner()
    args = ["validate", "--records", str(repo), "--as-of", "2026-11-23"]
    assert runner.invoke(cli, args + ["--no-cache"]).exit_code == 0
    assert not cache.cache_dir(repo).exists()
    assert runner.invoke(cli, args).exit_code == 0  # fills the cache
    # Plant a result for exactly this state of the repository: the cache is read...
    store = cache.Cache.for_root(repo)
    files = [(f"participants/P000{i}.yaml", cache.blob_id((repo / f"participants/P000{i}.yaml").read_bytes()))
             for i in (1, 2, 3)]
    files = sorted(files + [("program.yaml", cache.blob_id((repo / "program.yaml").read_bytes()))])
    store.save_result(store.result_key(files, "2026-11-23"),
                      [("program.yaml", 1, 1, "IOP001", "error", "planted in the cache")])
    planted = runner.invoke(cli, args)
    assert planted.output.startswith("program.yaml:1:1: IOP001 error: planted in the cache")
    # ...and --no-cache does not read it.
    clean = runner.invoke(cli, args + ["--no-cache"])
    assert clean.exit_code == 0 and "planted" not in clean.output


def test_the_cache_lives_in_the_git_dir_of_the_repository_holding_the_records(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    git_init(tmp_path)
    root = make_repo(tmp_path / "records")  # records in a folder of a bigger git work tree
    assert cache.cache_dir(root).parent == tmp_path / ".git" / "iopctl-cache"
    before = everything(root)
    validate(root, as_of=AS_OF, cache=True)
    assert everything(root) == before  # nothing written into the records folder
    assert (cache.cache_dir(root) / "index").is_file()
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "elsewhere"))
    assert cache.cache_dir(root).parent == tmp_path / "elsewhere"


def test_a_worktree_keeps_its_cache_in_its_own_git_dir(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    main = tmp_path / "main"
    git_init(main)
    make_repo(main / "records")
    git = ["git", "-C", str(main), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "records"], check=True)
    subprocess.run([*git, "worktree", "add", "-q", str(tmp_path / "wt")], check=True)
    root = tmp_path / "wt" / "records"
    assert cache.cache_dir(root).parent == main / ".git" / "worktrees" / "wt" / "iopctl-cache"
    before = everything(tmp_path / "wt")
    assert run(root) == []
    assert everything(tmp_path / "wt") == before
    assert (cache.cache_dir(root) / "index").is_file()


def test_records_outside_git_get_no_cache_and_nothing_is_written(tmp_path, monkeypatch, checked):
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    root = make_repo(tmp_path / "records")
    (root / "participants" / "P0002.yaml").write_text(PARTICIPANT.format(pid="P0002", name="[unclosed"))
    assert cache.cache_dir(root) is None and not cache.Cache.for_root(root).enabled
    before = everything(tmp_path)
    first = run(root)
    assert first == ["participants/P0002.yaml:3:17: IOP001 error: YAML syntax error: the [ list that starts "
                     "here is not closed: a ] is missing, or a comma between items (the parser gave up at "
                     "line 4, column 14)"]
    checked.clear()
    assert run(root) == first
    assert len(checked) == 4  # nothing was kept: every file read again
    assert everything(tmp_path) == before  # nothing written, in the records folder or beside it
    result = CliRunner().invoke(cli, ["validate", "--records", str(root), "--as-of", "2026-11-23"])
    assert result.exit_code == 1
    assert everything(tmp_path) == before


def _hammer(root: str) -> list[str]:
    return [texts(validate(Path(root), as_of=AS_OF, cache=True, jobs=1)) for _ in range(4)]


def test_overlapping_runs_leave_a_working_cache(repo):
    import multiprocessing

    (repo / "participants" / "P0003.yaml").write_text(PARTICIPANT.format(pid="P0003", name="[unclosed"))
    expected = texts(validate(repo, as_of=AS_OF))
    with multiprocessing.get_context("fork").Pool(3) as pool:
        outcomes = pool.map(_hammer, [str(repo)] * 3)
    assert all(run == expected for runs in outcomes for run in runs)
    assert texts(validate(repo, as_of=AS_OF, cache=True)) == expected
    leftovers = [p.name for p in cache.cache_dir(repo).rglob("*.tmp")]
    assert leftovers == []


def backdate(root: Path, seconds: int = 3600) -> None:
    """Age every file and folder, as if written an hour ago (nothing is racy then)."""
    for path in [root, *root.rglob("*")]:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns - seconds * 10**9, st.st_mtime_ns - seconds * 10**9))


def test_while_no_folder_changes_the_files_are_not_listed_again(repo, monkeypatch):
    from iopctl import repo as repo_mod

    first = run(repo)  # fills the cache in .git/: the records root's own entry (.git) changes
    backdate(repo)
    assert run(repo) == first  # lists the files again, and stamps the folders as they are now
    calls = []
    real = repo_mod.list_records
    monkeypatch.setattr(repo_mod, "list_records", lambda root: calls.append(root) or real(root))
    assert run(repo) == first and calls == []


@pytest.mark.parametrize("change", ["new file", "new month folder", "removed file", "renamed file"])
def test_added_removed_and_renamed_files_are_seen(repo, change):
    (repo / "sessions" / "2026-11").mkdir(parents=True)
    backdate(repo)
    assert run(repo) == []
    bad = "schema_version: 1\nid: P0009\n"
    if change == "new file":
        (repo / "participants" / "P0009.yaml").write_text(bad)
        expected = "participants/P0009.yaml"
    elif change == "new month folder":
        (repo / "sessions" / "2026-12").mkdir()
        (repo / "sessions" / "2026-12" / "2026-12-01-x.yaml").write_text("schema_version: 1\n")
        expected = "sessions/2026-12/2026-12-01-x.yaml"
    elif change == "removed file":
        (repo / "participants" / "P0001.yaml").unlink()
        found = validate(repo, as_of=AS_OF, cache=True)
        assert found.files == 3
        return
    else:
        (repo / "participants" / "P0001.yaml").rename(repo / "participants" / "P0001-old.yaml")
        expected = "participants/P0001-old.yaml"
    assert [f.split(":")[0] for f in run(repo)][:1] == [expected]


def test_holiday_tables_are_kept_for_the_installed_holidays_package(repo, monkeypatch):
    """The hours rules need the program's holiday calendar; working it out from the holidays
    package takes longer than the rest of `validate FILE`, so the tables are kept in the cache,
    for that package only."""
    from iopctl import schedule

    program = repo / "program.yaml"
    program.write_text(PROGRAM + "holidays: {country: US, subdivision: IL}\n")
    plan = repo / "plans" / "P0001.yaml"
    plan.parent.mkdir()
    plan.write_text("schema_version: 1\nparticipant: P0001\nstart: 2026-11-16\nproblems:\n"
                    "  - id: '1'\n    statement: Drinks to cope\n    goals:\n      - id: '1.1'\n"
                    "        statement: Stay sober\n        objectives:\n          - {id: '1.1.1', statement: "
                    "Meetings, measure: log, target_date: 2026-12-15}\n        interventions:\n"
                    "          - {modality: CBT, description: Groups, frequency: weekly}\n"
                    "signed: {participant: 2026-11-16, staff: [{id: mrivera, date: 2026-11-16}]}\n")
    computed: list[tuple] = []
    real = schedule._holidays_from_package

    def spy(country, subdivision, year):
        computed.append((country, subdivision, year))
        return real(country, subdivision, year)

    monkeypatch.setattr(schedule, "_holidays_from_package", spy)
    monkeypatch.setattr(schedule, "_TABLES", {})
    first = run(repo)  # Thanksgiving 2026-11-26 takes a week at the floor: IOP022
    assert any("IOP022" in line and "Thanksgiving" in line for line in first)
    assert computed == [("US", "IL", 2026), ("US", "IL", 2027)]  # a 10-week plan from 2026-11-16
    kept = cache.Cache.for_root(repo).holidays(schedule.holidays_fingerprint())
    assert kept[("US", "IL", 2026)]["2026-11-26"] == "Thanksgiving Day"

    # A new process (no tables in memory), the plan just changed: the tables come from the cache.
    monkeypatch.setattr(schedule, "_TABLES", {})
    computed.clear()
    with open(plan, "a") as f:
        f.write("# reviewed\n")
    assert texts(validate(repo, [plan], as_of=AS_OF, cache=True)) == [x for x in first if x.startswith("plans/")]
    assert computed == []

    # Another holidays package (an upgrade): worked out again, not taken from the cache.
    monkeypatch.setattr(schedule, "_TABLES", {})
    monkeypatch.setattr(schedule, "holidays_fingerprint", lambda: "another holidays package")
    with open(plan, "a") as f:
        f.write("# reviewed again\n")
    assert texts(validate(repo, [plan], as_of=AS_OF, cache=True)) == [x for x in first if x.startswith("plans/")]
    assert computed == [("US", "IL", 2026), ("US", "IL", 2027)]


@pytest.mark.parametrize("facts_kept", [True, False])
def test_a_whole_run_decodes_each_cached_file_once_when_its_facts_are_kept(repo, checked, monkeypatch, facts_kept):
    """A whole run takes each cached file's dependency facts from the item kept beside the
    entries, and decodes its data once, to build its model; when that item is damaged, the
    facts come from the data (decoded once more), with the same findings."""
    path = repo / "participants" / "P0002.yaml"
    path.write_text(path.read_text().replace("status: active", "status: activ3"))
    first = run(repo)
    assert len(first) == 1 and "activ3" in first[0]
    folder = cache.cache_dir(repo)
    if not facts_kept:
        raw = (folder / "entries").read_bytes()
        kept = cache.Cache.for_root(repo).entries()[records.FACTS_KEY]
        at = raw.index(kept) + len(kept) // 2
        (folder / "entries").write_bytes(raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:])
    for result in (folder / "results").iterdir():
        result.unlink()
    decoded: list[bytes] = []
    real = records._decode

    def spy(raw):
        decoded.append(raw)
        return real(raw)

    monkeypatch.setattr(records, "_decode", spy)
    checked.clear()
    assert run(repo) == first
    assert checked == []  # every file came from the cache
    assert len(decoded) == (4 if facts_kept else 8)
