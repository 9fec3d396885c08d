"""The bad-input corpus: every hostile repository gives findings with file and line, never a crash.

Each case in tests/corpus/cases.yaml is the base repository with the case's
files laid over it. `iopctl validate --format json` runs on it in a separate
process with a time limit, so a hang, a crash of the C parser or a runaway
allocation fails one case instead of the whole run. To keep the file fast,
each case's process is forked from this one with iopctl already imported
(the CLI entry point `iopctl.cli.main` runs in the child, stdout and stderr
to files); a smaller set of the most hostile cases also runs through a real
`python -m iopctl` subprocess, so the installed entry point is covered too.
Each test checks one case: the exact error findings (code, file, line), the
exit code, no traceback, and that no file in or around the repository
changed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

CORPUS = Path(__file__).parent / "corpus"
BASE = CORPUS / "base"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
TIMEOUT = 60  # seconds per case; a normal case takes a fraction of a second
AS_OF = "2026-11-23"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# Root reads a file whatever its mode. As root (CI), the cases that need an unreadable file run
# in a subprocess without the two capabilities that allow that (setpriv, from util-linux): the
# owner's mode bits then apply to root as to anyone.
WITHOUT_ROOT_READ = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def _can_drop_root_read() -> bool:
    if not IS_ROOT or shutil.which("setpriv") is None:
        return False
    try:
        return subprocess.run([*WITHOUT_ROOT_READ, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


DROP_ROOT_READ = _can_drop_root_read()

PAR = "participants/P0001.yaml"
PRG = "program.yaml"
SES = "sessions/2026-11/2026-11-02-adult-group.yaml"


# -- generated cases: what should not sit in git ------------------------------


def _append(root: Path, rel: str, text: str) -> None:
    with open(root / rel, "a", encoding="utf-8") as f:
        f.write(text)


def _deep_flow_sequence(root: Path, outside: Path) -> None:
    _append(root, PAR, "strengths: " + "[" * 100_000 + "\n")


def _deep_flow_mapping(root: Path, outside: Path) -> None:
    _append(root, PAR, "strengths: " + "{a: " * 100_000 + "\n")


def _deep_block_mapping(root: Path, outside: Path) -> None:
    _append(root, PAR, "".join("  " * i + "x:\n" for i in range(1000)))


def _block_mapping_under_the_limit(root: Path, outside: Path) -> None:
    _append(root, PAR, "".join("  " * i + "x:\n" for i in range(450)))


def _deep_block_sequence(root: Path, outside: Path) -> None:
    _append(root, PAR, "strengths:\n" + "- " * 100_000 + "x\n")


def _huge_file(root: Path, outside: Path) -> None:
    line = "# " + "x" * 1021 + "\n"  # 1 KiB
    with open(root / PAR, "a", encoding="utf-8") as f:
        for _ in range(50 * 1024):
            f.write(line)


def _folder_at(rel: str) -> Callable[[Path, Path], None]:
    def make(root: Path, outside: Path) -> None:
        (root / rel).mkdir(parents=True)
        (root / rel / "notes.txt").write_text("not a record\n")

    return make


def _file_as_folder(root: Path, outside: Path) -> None:
    (root / "participants").rmdir()
    (root / "participants").write_text("P0001\n")


def _symlink_outside_file(root: Path, outside: Path) -> None:
    (outside / "P0001.yaml").write_bytes((BASE / PAR).read_bytes())  # a valid record, but outside
    (root / PAR).symlink_to(outside / "P0001.yaml")


def _symlink_outside_program(root: Path, outside: Path) -> None:
    (outside / "program.yaml").write_bytes((BASE / PRG).read_bytes())
    (root / PRG).symlink_to(outside / "program.yaml")


def _symlink_outside_folder(root: Path, outside: Path) -> None:
    (outside / "2026-11").mkdir()
    (outside / "2026-11" / Path(SES).name).write_bytes((BASE / SES).read_bytes())
    (root / "sessions/2026-11").rmdir()
    (root / "sessions/2026-11").symlink_to(outside / "2026-11", target_is_directory=True)


def _symlink_dangling(root: Path, outside: Path) -> None:
    (root / PAR).symlink_to("missing.yaml")


def _symlink_loop(root: Path, outside: Path) -> None:
    (root / PAR).symlink_to("P0001.yaml")


def _symlink_etc_passwd(root: Path, outside: Path) -> None:
    (root / SES).symlink_to("/etc/passwd")


def _unreadable_file(root: Path, outside: Path) -> None:
    os.chmod(root / PAR, 0)


def _unreadable_folder(root: Path, outside: Path) -> None:
    os.chmod(root / "sessions/2026-11", 0)


GENERATORS: dict[str, Callable[[Path, Path], None]] = {
    "deep_flow_sequence": _deep_flow_sequence,
    "deep_flow_mapping": _deep_flow_mapping,
    "deep_block_mapping": _deep_block_mapping,
    "block_mapping_under_the_limit": _block_mapping_under_the_limit,
    "deep_block_sequence": _deep_block_sequence,
    "huge_file": _huge_file,
    "folder_as_file": _folder_at(PAR),
    "folder_as_program": _folder_at(PRG),
    "folder_as_session": _folder_at(SES),
    "file_as_folder": _file_as_folder,
    "symlink_outside_file": _symlink_outside_file,
    "symlink_outside_program": _symlink_outside_program,
    "symlink_outside_folder": _symlink_outside_folder,
    "symlink_dangling": _symlink_dangling,
    "symlink_loop": _symlink_loop,
    "symlink_etc_passwd": _symlink_etc_passwd,
    "unreadable_file": _unreadable_file,
    "unreadable_folder": _unreadable_folder,
}


# -- building and running a case ---------------------------------------------


def build(case: dict, where: Path) -> Path:
    """The case's repository under where/repo (symlink targets go to where/outside)."""
    root, outside = where / "repo", where / "outside"
    shutil.copytree(BASE, root)
    outside.mkdir()
    overlay = CORPUS / "cases" / case["case"]
    if overlay.is_dir():
        shutil.copytree(overlay, root, dirs_exist_ok=True, symlinks=True)
    for rel in case.get("remove", []):
        (root / rel).unlink()
    if case.get("generate"):
        GENERATORS[case["generate"]](root, outside)
    return root


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under folder (links not followed): kind, mode, and content hash or link target."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            rel = path.relative_to(folder).as_posix()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", st.st_mode)
            else:
                try:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                except PermissionError:
                    digest = None
                out[rel] = ("file", st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


@dataclass
class Outcome:
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str
    changed: dict  # entries that differ before/after: rel -> (before, after)


def cli_args(case: dict, root: Path) -> list[str]:
    records = root / case["records"] if "records" in case else root
    return ["validate", "--records", str(records), "--format", "json", "--as-of", AS_OF]


def run_subprocess(args: list[str], cwd: Path, prefix: list[str] = ()) -> tuple[int | None, str, str]:
    """`python -m iopctl ARGS` in a real subprocess (behind `prefix`, a command that runs it);
    (None, ...) when it does not finish in time."""
    env = {k: v for k, v in os.environ.items() if k not in ("IOPCTL_RECORDS", "IOPCTL_DEBUG")}
    env["IOPCTL_CACHE_DIR"] = str(cwd.parent / "_cache")
    try:
        proc = subprocess.run([*prefix, sys.executable, "-m", "iopctl", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=TIMEOUT)
        return proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        return None, str(e.stdout or ""), str(e.stderr or "")


@dataclass
class Prepared:
    case: dict
    where: Path
    root: Path
    before: dict


def prepare(case: dict, where: Path) -> Prepared:
    root = build(case, where)
    return Prepared(case, where, root, snapshot(where))


def finish(p: Prepared, code: int | None, out: str, err: str) -> Outcome:
    after = snapshot(p.where)
    changed = {k: (p.before.get(k), after.get(k)) for k in p.before.keys() | after.keys()
               if p.before.get(k) != after.get(k)}
    if p.case.get("generate") in ("unreadable_file", "unreadable_folder"):  # let pytest clean up
        for dirpath, dirnames, filenames in os.walk(p.root):
            for name in dirnames + filenames:
                os.chmod(Path(dirpath) / name, 0o755)
    return Outcome(code, out, err, changed)


def run_case(case: dict, where: Path, prefix: list[str] = ()) -> Outcome:
    """One case through a real `python -m iopctl` subprocess."""
    p = prepare(case, where)
    return finish(p, *run_subprocess(cli_args(case, p.root), where, prefix))


def _runnable(case: dict) -> bool:
    return not (case.get("needs_non_root") and IS_ROOT)


def _child(args: list[str], cwd: Path, out_fd: int, err_fd: int) -> int:
    """In the forked child: run the CLI with fds 1 and 2 on the given files; the exit code."""
    os.chdir(cwd)
    for name in ("IOPCTL_RECORDS", "IOPCTL_DEBUG"):
        os.environ.pop(name, None)
    os.environ["IOPCTL_CACHE_DIR"] = str(cwd.parent / "_cache")
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    sys.stdin = open(os.devnull)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    code = 0
    try:
        from iopctl.cli import main

        main(args)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # main() should never let one through; show it, the test fails on it
        import traceback

        traceback.print_exc()
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _fork(args: list[str], cwd: Path) -> tuple[int, object, object]:
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 98
        try:
            code = _child(args, cwd, out.fileno(), err.fileno())
        finally:
            os._exit(code)
    return pid, out, err


def _collected(out, err, status: int | None) -> tuple[int | None, str, str]:
    texts = []
    for f in (out, err):
        f.seek(0)
        texts.append(f.read().decode("utf-8", "replace"))
        f.close()
    if status is None:
        return None, texts[0], texts[1]
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status), texts[0], texts[1] + f"\n[killed by signal {os.WTERMSIG(status)}]"
    return os.WEXITSTATUS(status), texts[0], texts[1]


def run_forked_many(jobs: list[tuple[list[str], Path]], parallel: int) -> list[tuple[int | None, str, str]]:
    """Each job's CLI in a child forked from this (warmed-up) process, `parallel` at a time, each
    killed after TIMEOUT seconds. Results in job order."""
    results: list = [None] * len(jobs)
    running: dict[int, tuple[int, object, object, float]] = {}  # pid -> (job, out, err, deadline)
    todo = list(enumerate(jobs))
    while todo or running:
        while todo and len(running) < parallel:
            i, (args, cwd) = todo.pop(0)
            pid, out, err = _fork(args, cwd)
            running[pid] = (i, out, err, time.monotonic() + TIMEOUT)
        for pid, (i, out, err, deadline) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done and time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                done, status = pid, None
            if done:
                del running[pid]
                results[i] = _collected(out, err, status)
        time.sleep(0.002)
    return results


def _warm_up() -> None:
    """Import and compile what validate uses, once, so every forked child starts warm."""
    import datetime as dt

    from iopctl import schemas
    from iopctl.validate import validate

    for kind in schemas.KINDS:
        schemas.validator(kind)
    validate(BASE, as_of=dt.date(2026, 11, 23))


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("corpus")
    _warm_up()
    prepared = []
    for c in CASES:
        if _runnable(c):
            (base / c["case"]).mkdir()
            prepared.append(prepare(c, base / c["case"]))
    answers = run_forked_many([(cli_args(p.case, p.root), p.where) for p in prepared], parallel=os.cpu_count() or 2)
    return {p.case["case"]: finish(p, *answer) for p, answer in zip(prepared, answers)}


def _param(case: dict):
    marks = []
    if case.get("needs_non_root"):
        marks.append(pytest.mark.skipif(IS_ROOT and not DROP_ROOT_READ,
                                        reason="root reads files and folders whatever their mode, and setpriv "
                                        "cannot drop that here"))
    if case.get("xfail"):
        marks.append(pytest.mark.xfail(reason=case["xfail"], strict=True))
    return pytest.param(case, id=case["case"], marks=marks)


# -- the tests -----------------------------------------------------------------


def test_corpus_is_big_enough():
    bad = [c for c in CASES if c.get("exit", 1) == 1]
    assert len(bad) >= 100
    assert len({c["case"] for c in CASES}) == len(CASES)
    for case_dir in (CORPUS / "cases").iterdir():  # no stray overlay without a manifest entry
        assert case_dir.name in {c["case"] for c in CASES}, case_dir.name


def test_base_repository_is_valid():
    proc = subprocess.run([sys.executable, "-m", "iopctl", "validate", "--records", str(BASE), "--format", "json",
                           "--as-of", AS_OF], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["findings"] == []


def check(case: dict, got: Outcome) -> None:
    assert got.returncode is not None, f"no answer within {TIMEOUT} s"
    assert "Traceback" not in got.stderr and "internal error" not in got.stderr, got.stderr
    assert got.changed == {}, "validate changed files"
    expected_exit = case.get("exit", 1)
    assert got.returncode == expected_exit, got.stdout[-2000:] + got.stderr[-2000:]
    if expected_exit == 2:
        assert got.stdout == ""
        assert got.stderr.strip(), "a usage error says what is wrong"
        return
    report = json.loads(got.stdout)
    for f in report["findings"]:
        assert f["file"] and f["line"] >= 1 and f["column"] >= 1, f
    errors = sorted([f["code"], f["file"], f["line"]] for f in report["findings"] if f["severity"] == "error")
    assert errors == sorted(case["expect"]), json.dumps(report["findings"], indent=1, ensure_ascii=False)[:3000]


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: dict, outcomes: dict[str, Outcome], tmp_path: Path) -> None:
    if case.get("needs_non_root") and IS_ROOT:
        (tmp_path / "case").mkdir()
        check(case, run_case(case, tmp_path / "case", WITHOUT_ROOT_READ))
    else:
        check(case, outcomes[case["case"]])


# The most hostile cases again, through a real `python -m iopctl` process.
SUBPROCESS_CASES = (
    "nesting-deep-flow-sequence", "nesting-deep-flow-mapping", "nesting-deep-block-mapping",
    "nesting-deep-block-sequence", "alias-bomb-lists", "alias-recursive", "huge-file-50mb", "symlink-loop",
    "encoding-nul-mid-file", "syntax-python-tag", "usage-records-is-a-file", "type-enum-wrong-case",
)


@pytest.mark.parametrize("case", [_param(c) for c in CASES if c["case"] in SUBPROCESS_CASES])
def test_case_in_a_real_subprocess(case: dict, tmp_path: Path) -> None:
    (tmp_path / "case").mkdir()
    check(case, run_case(case, tmp_path / "case"))


# The cases above keep validate's cache (iopctl/cache.py) outside the case, in
# $IOPCTL_CACHE_DIR. Without it, records outside git get no cache: validate writes nothing.


@pytest.mark.parametrize("no_cache", [False, True])
def test_validate_writes_nothing_into_records_outside_git(tmp_path: Path, no_cache: bool) -> None:
    root = tmp_path / "repo"
    shutil.copytree(BASE, root)
    (root / PAR).write_text((BASE / PAR).read_text().replace("status: active", "status: gone"))
    before = snapshot(root)
    env = {k: v for k, v in os.environ.items() if k not in ("IOPCTL_RECORDS", "IOPCTL_CACHE_DIR")}
    proc = subprocess.run([sys.executable, "-m", "iopctl", "validate", "--records", str(root), "--as-of", AS_OF,
                           *(["--no-cache"] if no_cache else [])], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 1
    assert snapshot(root) == before  # every record byte-identical, and no new file
