"""No half-written record: SIGKILL in the middle of a write, and writers racing each other.

Every command that writes runs in a child process whose os.replace and
os.link (the two calls that put a finished temporary file in place) stop at
the N-th call, say so on stdout and wait to be killed. The parent kills it
with SIGKILL right there, and then every file must hold either its old
bytes or exactly the bytes an uninterrupted run writes. A second child
rewrites one record in a loop and is killed at random moments; concurrent
`iopctl assess` processes on one progress file must each land, in turn.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from iopctl.cli import cli
from iopctl.validate import validate

BASE = Path(__file__).parent / "corpus" / "base"
AS_OF = ("--as-of", "2026-11-23")

STOPPING_CHILD = textwrap.dedent("""
    import os, sys, time
    stop_at, calls = int(os.environ["STOP_AT"]), 0

    def stopping(real):
        def call(src, dst, *args, **kwargs):
            global calls
            calls += 1
            if calls == stop_at:
                print("COMMIT", dst, flush=True)
                time.sleep(120)
            return real(src, dst, *args, **kwargs)
        return call

    os.replace, os.link = stopping(os.replace), stopping(os.link)
    from iopctl.cli import main
    main(sys.argv[1:])
""")

# command (run in the records folder) -> how many files it puts in place
WRITERS = {
    "assess": (["assess", "P0001", "PHQ-9", "9", "--date", "2026-11-20"], 1),
    "update": (["update", "P0001", "1.1.1", "met", "--date", "2026-11-20", "--note", "done"], 1),
    "review": (["review", "P0001", "--by", "mrivera", "--summary", "On track", "--date", "2026-11-20"], 1),
    "discharge": (["discharge", "P0001", "--reason", "completed", "--date", "2026-11-20"], 1),
    "attend": (["attend", "2026-11-04", "adult/group", "--present", "P0001"], 1),
    "new": (["new", "participant", "P0002", "--track", "adult", "--admitted", "2026-11-20", "--dob", "1990-01-01"], 3),
    "handout -o": (["handout", "P0001", "-o", "out/P0001.md"], 1),
    "progress -o": (["progress", "--format", "json", "-o", "out/progress.json"], 1),
    "export -o": (["export", "--deidentify", "-o", "out/export"], 2),
}


def env() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in ("IOPCTL_RECORDS", "IOPCTL_DEBUG")}
    return {**keep, "IOPCTL_EXPORT_KEY": "k" * 32, "NO_COLOR": "1"}


def files(root: Path) -> dict[str, bytes]:
    """Every visible file under root (temporary files are hidden: their names start with a dot)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}


def fresh(where: Path) -> Path:
    root = where / "records"
    shutil.copytree(BASE, root)
    (where / "out").mkdir()
    return root


def cli_args(args: list[str], root: Path) -> list[str]:
    out = [a if not a.startswith("out/") else str(root.parent / a) for a in args]
    return [*out, "--records", str(root), *AS_OF]


def run_to_the_end(args: list[str], root: Path) -> None:
    result = CliRunner().invoke(cli, cli_args(args, root), env=env())
    assert result.exit_code == 0, result.output


def errors(root: Path) -> int:
    return validate(root, as_of=dt.date(2026, 11, 23)).errors


def kill_at_commit(args: list[str], root: Path, stop_at: int) -> str:
    """Run the command, SIGKILL it when it reaches its `stop_at`-th rename; the file it was about to place."""
    proc = subprocess.Popen([sys.executable, "-c", STOPPING_CHILD, *cli_args(args, root)],
                            env={**env(), "STOP_AT": str(stop_at)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        assert line.startswith("COMMIT "), (line, proc.stdout.read() if proc.poll() is not None else "",
                                            proc.stderr.read() if proc.poll() is not None else "")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        return line.split(" ", 1)[1].strip()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


CASES = [(name, n) for name, (_, count) in WRITERS.items() for n in range(1, count + 1)]


@pytest.mark.parametrize("name, stop_at", CASES, ids=[f"{name}-rename{n}" for name, n in CASES])
def test_sigkill_at_a_rename_leaves_each_file_old_or_new(tmp_path, name, stop_at):
    args, _ = WRITERS[name]
    done = fresh(tmp_path / "done")
    run_to_the_end(args, done)
    new = files(done.parent)

    root = fresh(tmp_path / "killed")
    old = files(root.parent)
    target = kill_at_commit(args, root, stop_at)
    after = files(root.parent)

    assert target  # the child really stopped at a rename
    for rel in sorted(set(old) | set(new) | set(after)):
        assert after.get(rel) in (old.get(rel), new.get(rel)), f"{rel} is neither the old nor the new version"
    # the file being placed when the process died is still the old one (or absent)
    rel = Path(target).resolve().relative_to(root.parent.resolve()).as_posix()
    assert after.get(rel) == old.get(rel)
    # and the repository still loads: a left-over temporary file is not taken for a record
    assert errors(root) == 0


RECORD_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from iopctl import atomic
    path, versions = Path(sys.argv[1]), [Path(p).read_bytes() for p in sys.argv[2:]]
    print("READY", flush=True)
    i = 0
    while True:
        atomic.write_file(path, versions[i % len(versions)], overwrite=True)
        i += 1
""")


def progress_version(score: int, padding: int) -> bytes:
    """A valid progress record, made large with a comment so that each write takes a while."""
    data = (BASE / "progress/P0001.yaml").read_text(encoding="utf-8").replace("score: 14", f"score: {score}")
    items = [2, 2, 2, 2, 2, 1, 1, 2, 0] if score == 14 else [score, 0, 0, 0, 0, 0, 0, 0, 0]
    data = data.replace("items: [2, 2, 2, 2, 2, 1, 1, 2, 0]", f"items: {items}")
    return (data + "# " + "x" * padding + "\n").encode("utf-8")


def test_sigkill_at_random_moments_never_leaves_a_mix(tmp_path):
    root = fresh(tmp_path)
    target = root / "progress/P0001.yaml"
    versions = [progress_version(14, 2_000_000), progress_version(3, 2_000_001)]
    for i, v in enumerate(versions):
        (tmp_path / f"v{i}").write_bytes(v)
    allowed = {target.read_bytes(), *versions}
    rng = random.Random(20261123)
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", RECORD_WRITER, str(target), str(tmp_path / "v0"),
                                 str(tmp_path / "v1")], env=env(), stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline() == "READY\n"
        time.sleep(rng.uniform(0.0, 0.08))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        assert target.read_bytes() in allowed
    leftovers = [p.name for p in target.parent.iterdir() if p.name != "P0001.yaml"]
    assert all(name.startswith(".P0001.yaml.") for name in leftovers)  # hidden temporary files only
    assert errors(root) == 0


def test_concurrent_writers_take_turns(tmp_path):
    """Six `iopctl assess` at once on one progress file: every entry lands, the file stays whole."""
    root = fresh(tmp_path)
    days = [f"2026-11-{d:02d}" for d in range(10, 16)]
    procs = [subprocess.Popen([sys.executable, "-m", "iopctl", "assess", "P0001", "GAD-7", str(i + 3), "--date", day,
                               "--records", str(root), *AS_OF], env=env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i, day in enumerate(days)]
    results = [(p.wait(timeout=120), p.stdout.read() + p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert [code for code, _ in results] == [0] * 6, results
    data = yaml.safe_load((root / "progress/P0001.yaml").read_text(encoding="utf-8"))
    gad = sorted((str(a["date"]), a["score"]) for a in data["assessments"] if a["instrument"] == "GAD-7")
    assert gad == [(day, i + 3) for i, day in enumerate(days)]
    assert [a["instrument"] for a in data["assessments"]].count("PHQ-9") == 1  # the base entry is still there


def test_concurrent_whole_file_writes_do_not_interleave(tmp_path):
    root = fresh(tmp_path)
    target = root / "progress/P0001.yaml"
    versions = [progress_version(score, 1_000_000 + score) for score in (3, 4, 5, 6)]
    for i, v in enumerate(versions):
        (tmp_path / f"v{i}").write_bytes(v)
    # four writers, each writing its own version over and over for a moment
    script = RECORD_WRITER.replace("while True:", "for _ in range(15):")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(target), str(tmp_path / f"v{i}")], env=env(),
                              stdout=subprocess.DEVNULL) for i in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    assert target.read_bytes() in versions
