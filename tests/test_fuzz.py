"""Fuzzing: mutated records never make iopctl raise, and commands refuse what is broken.

Mutations start from the valid base repository of the bad-input corpus
(tests/corpus/base/): on the data (drop, duplicate, retype or truncate one
value anywhere in a file) and on the bytes (truncate, delete, insert, flip,
duplicate or drop lines). Hypothesis runs derandomized, so `make test` sees
the same examples every time, and bounded, so the file stays fast.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from iopctl import yaml12
from iopctl.cli import cli
from iopctl.validate import ALL_CODES, Report, validate

BASE = Path(__file__).parent / "corpus" / "base"
AS_OF = dt.date(2026, 11, 23)
PROGRAM, PARTICIPANT, PLAN, PROGRESS = "program.yaml", "participants/P0001.yaml", "plans/P0001.yaml", "progress/P0001.yaml"
SESSION = "sessions/2026-11/2026-11-02-adult-group.yaml"
FILES = (PROGRAM, PARTICIPANT, PLAN, PROGRESS, SESSION)
LOAD_CODES = ("IOP001", "IOP002", "IOP003")  # the file did not load as a record of its kind

FUZZ = settings(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow],
                print_blob=True)


# -- mutations -----------------------------------------------------------------

TRAPS = ["no", "on", "0123", "25:00", "2026-02-30", "../P0001", "\u04200001", "", "P0001", "mrivera", "adult",
         "adult/group", "18:00", "2026-11-02", "P0099", "1.1.1", "held", "x" * 300]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.integers(10**30, 10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), st.sampled_from(TRAPS),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                           max_size=3), max_leaves=6)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """The path of every value under node (not node itself)."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        out.append(prefix + (key,))
        out.extend(_paths(child, prefix + (key,)))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for step in path[:-1]:
        data = data[step]
    return data


@st.composite
def data_mutations(draw) -> tuple[str, bytes]:
    """One file of the base repository with one value dropped, duplicated, retyped or truncated."""
    rel = draw(st.sampled_from(FILES))
    data = yaml12.load((BASE / rel).read_text(encoding="utf-8"))
    path = draw(st.sampled_from(_paths(data)))
    parent, key = _parent(data, path), path[-1]
    op = draw(st.sampled_from(["drop", "duplicate", "retype", "truncate"]))
    if op == "drop":
        del parent[key]
    elif op == "duplicate":
        if isinstance(parent, list):
            parent.insert(key, parent[key])
        else:
            parent[f"{key}2"] = parent[key]
    elif op == "retype":
        parent[key] = draw(values)
    else:
        value = parent[key]
        if isinstance(value, (str, list)):
            parent[key] = value[: draw(st.integers(0, max(len(value) - 1, 0)))]
        else:
            parent[key] = str(value)[:1]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)
    return rel, text.encode("utf-8")


NOISE = st.sampled_from([b":", b"- ", b"[", b"]", b"{", b"}", b"&a ", b"*a", b"!!python/name:os.system ", b"#", b"\t",
                         b"\n", b"'", b'"', b"%", b"@", b"`", b"|", b">", b"\x00", b"\xef\xbb\xbf", b"\xe9", b"\xff",
                         b"<<<<<<< HEAD\n", b"---\n", b"  ", b"~", b"\r"])


@st.composite
def byte_mutations(draw) -> tuple[str, bytes]:
    rel = draw(st.sampled_from(FILES))
    raw = (BASE / rel).read_bytes()
    op = draw(st.sampled_from(["truncate", "delete", "insert", "flip", "duplicate-line", "drop-line", "swap-lines"]))
    at = draw(st.integers(0, len(raw)))
    if op == "truncate":
        return rel, raw[:at]
    if op == "delete":
        return rel, raw[:at] + raw[at + draw(st.integers(1, 20)):]
    if op == "insert":
        return rel, raw[:at] + b"".join(draw(st.lists(NOISE, min_size=1, max_size=4))) + raw[at:]
    if op == "flip":
        if not raw:
            return rel, raw
        i = min(at, len(raw) - 1)
        return rel, raw[:i] + bytes([raw[i] ^ (1 << draw(st.integers(0, 7)))]) + raw[i + 1:]
    lines = raw.split(b"\n")
    i = draw(st.integers(0, len(lines) - 1))
    if op == "duplicate-line":
        lines.insert(i, lines[i])
    elif op == "drop-line":
        del lines[i]
    else:
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    return rel, b"\n".join(lines)


mutations = st.one_of(data_mutations(), byte_mutations())


def write_case(where: Path, rel: str, raw: bytes, template: Path = BASE) -> Path:
    root = where / "repo"
    shutil.copytree(template, root, symlinks=True)
    (root / rel).write_bytes(raw)
    return root


def check_report(report: Report) -> None:
    assert isinstance(report, Report)
    for f in report.findings:
        assert isinstance(f.file, str) and f.file
        assert f.line >= 1 and f.column >= 1
        assert f.code in ALL_CODES and f.severity in ("error", "warning")
        assert f.message


# -- validate, the library ---------------------------------------------------------


@settings(FUZZ, max_examples=400)
@given(data_mutations())
def test_validate_never_raises_on_data_mutations(mutation):
    with tempfile.TemporaryDirectory() as tmp:
        check_report(validate(write_case(Path(tmp), *mutation), as_of=AS_OF))


@settings(FUZZ, max_examples=400)
@given(byte_mutations())
def test_validate_never_raises_on_byte_mutations(mutation):
    with tempfile.TemporaryDirectory() as tmp:
        check_report(validate(write_case(Path(tmp), *mutation), as_of=AS_OF))


def test_mutations_do_break_records():
    """The strategies are not toothless: most examples give error findings (checked on a fixed sample)."""
    found = []

    @settings(max_examples=40, derandomize=True, deadline=None, database=None)
    @given(mutations)
    def collect(mutation):
        with tempfile.TemporaryDirectory() as tmp:
            found.append(validate(write_case(Path(tmp), *mutation), as_of=AS_OF).errors > 0)

    collect()
    assert sum(found) >= len(found) // 2


# -- every other command ---------------------------------------------------------------

OPTS = ("--as-of", AS_OF.isoformat())
# command args -> the files that must be free of errors for it to run (None: every file)
READERS: list[tuple[tuple[str, ...], tuple[str, ...] | None]] = [
    (("progress",), None),
    # (and the session files that name P0001: a mutation may take P0001 out of one)
    (("progress", "P0001", "--format", "json"), (PROGRAM, PARTICIPANT, PLAN, PROGRESS)),
    (("calendar", "P0001", "--format", "json"), (PROGRAM, PARTICIPANT, PLAN)),
    (("calendar", "--program", "--from", "2026-11-02", "--to", "2026-11-08"), (PROGRAM, PARTICIPANT, PLAN)),
    (("handout", "P0001"), (PROGRAM, PARTICIPANT, PLAN, PROGRESS)),
    (("handout", "P0001", "--format", "html"), (PROGRAM, PARTICIPANT, PLAN, PROGRESS)),
    (("export", "--deidentify", "--format", "json"), None),
]
# writers: args -> the file they change (when it does not load, they must refuse and change nothing)
WRITERS: list[tuple[tuple[str, ...], str]] = [
    (("assess", "P0001", "PHQ-9", "5", "--date", "2026-11-20"), PROGRESS),
    (("update", "P0001", "1.1.1", "met", "--date", "2026-11-20"), PROGRESS),
    (("review", "P0001", "--by", "mrivera", "--summary", "On track", "--date", "2026-11-20"), PLAN),
    (("discharge", "P0001", "--reason", "completed", "--date", "2026-11-20"), PARTICIPANT),
    (("attend", "2026-11-04", "adult/group", "--present", "P0001"), PROGRAM),  # a new session file
    (("new", "participant", "P0002", "--track", "adult", "--admitted", "2026-11-20"), PROGRAM),  # three new files
]
GIT_READERS = [("history", "P0001"), ("diff",), ("plan-as-of", "P0001", "2026-11-20")]


def _registered(name: str) -> bool:
    from iopctl.commands import COMMANDS

    return name in COMMANDS


def invoke(args: tuple[str, ...], root: Path) -> Any:
    result = CliRunner().invoke(cli, [*args, "--records", str(root), *([] if args[0] in ("history", "diff",
                                "plan-as-of") else OPTS)], env={"IOPCTL_EXPORT_KEY": "k" * 32, "NO_COLOR": "1"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args[0]} raised {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), (args, result.exit_code)
    assert "Traceback" not in result.output
    return result


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


@pytest.fixture(scope="module")
def git_template(tmp_path_factory) -> Path:
    """The base repository, committed to git, for history, diff and plan-as-of."""
    root = tmp_path_factory.mktemp("git") / "repo"
    shutil.copytree(BASE, root)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": "2026-11-20T12:00:00",
           "GIT_COMMITTER_DATE": "2026-11-20T12:00:00"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "base"]):
        subprocess.run(cmd, cwd=root, env=env, check=True, capture_output=True)
    return root


@pytest.mark.parametrize("args", [a for a, _ in READERS] + [a for a, _ in WRITERS] + GIT_READERS,
                         ids=lambda a: " ".join(a[:2]))
def test_commands_work_on_the_valid_base(git_template, tmp_path, args):
    """The control for the property below: on the unmutated base every command succeeds, so a refusal
    there is the records' doing, not a wrong argument."""
    root = tmp_path / "repo"
    shutil.copytree(git_template, root, symlinks=True)
    result = invoke(args, root)
    assert result.exit_code == 0, result.output


def test_every_command_is_covered():
    """A new command that reads records should be added to READERS, WRITERS or GIT_READERS here."""
    from iopctl.commands import COMMANDS

    covered = {a[0] for a, _ in READERS} | {a[0] for a, _ in WRITERS} | {a[0] for a in GIT_READERS}
    assert set(COMMANDS) - covered == {"validate", "schema", "init"}  # init makes a new repository


@settings(FUZZ, max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutations)
def test_commands_refuse_broken_records_cleanly(git_template, mutation):
    rel, raw = mutation
    with tempfile.TemporaryDirectory() as tmp:
        root = write_case(Path(tmp) / "read", rel, raw, git_template)
        report = validate(root, as_of=AS_OF)
        errors = {f.file for f in report.findings if f.severity == "error"}
        broken = {f.file for f in report.findings if f.code in LOAD_CODES}
        event("errors in " + (", ".join(sorted(errors)) or "no file"))
        before = snapshot(root)
        for args, needs in READERS:
            if not _registered(args[0]):
                continue
            result = invoke(args, root)
            if errors & set(needs or errors):
                assert result.exit_code in (1, 2), (args, sorted(errors), result.output[-500:])
        for args in GIT_READERS:
            if _registered(args[0]):
                invoke(args, root)
        assert snapshot(root) == before, "a reading command changed the records"

        for i, (args, target) in enumerate(WRITERS):
            if not _registered(args[0]):
                continue
            root = write_case(Path(tmp) / f"write{i}", rel, raw)
            before = snapshot(root)
            result = invoke(args, root)
            if result.exit_code != 0:
                assert snapshot(root) == before, f"{args[0]} refused but changed files"
            if {target, PROGRAM} & broken:
                assert result.exit_code in (1, 2), (args, sorted(broken), result.output[-500:])
                assert snapshot(root) == before
