"""The writing library: atomic files, round-trip YAML edits, validation before writing."""
import datetime as dt
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from iopctl import atomic, authoring
from iopctl.authoring import Refused, Write

SAMPLE = Path(__file__).parent.parent / "sample_records"
D = dt.date


def edited(text: str, edit) -> str:
    doc = authoring.parse(text.encode())
    edit(doc.data)
    return authoring.render(doc).decode()


# -- round trip ------------------------------------------------------------------------


def test_every_sample_record_reads_and_writes_back_byte_identical():
    files = sorted(SAMPLE.rglob("*.yaml"))
    assert len(files) > 50
    for path in files:
        raw = path.read_bytes()
        doc = authoring.parse(raw)
        assert doc.exact, path
        assert authoring.render(doc) == raw, path


def test_an_append_to_a_sample_progress_file_changes_only_the_new_lines():
    raw = (SAMPLE / "progress/P0001.yaml").read_text()
    out = edited(raw, authoring.add_assessment(D(2026, 11, 6), "GAD-7", 3, [1, 0, 1, 0, 1, 0, 0], None, False))
    old, new = raw.splitlines(), out.splitlines()
    # Inserted after the last assessment (2026-11-04), before objective_updates.
    at = old.index("objective_updates:")
    assert new[:at] == old[:at]
    assert new[at:at + 4] == ["  - date: 2026-11-06", "    instrument: GAD-7", "    score: 3",
                              "    items: [1, 0, 1, 0, 1, 0, 0]"]
    assert new[at + 4:] == old[at:]


def test_comment_lines_after_a_list_stay_above_what_follows():
    text = """\
assessments:
  - date: 2026-11-02
    instrument: PHQ-9
    score: 5   # mild
# Updates follow.
objective_updates: []
"""
    assert edited(text, authoring.add_assessment(D(2026, 11, 9), "PHQ-9", 4, None, "better", False)) == """\
assessments:
  - date: 2026-11-02
    instrument: PHQ-9
    score: 5   # mild
  - date: 2026-11-09
    instrument: PHQ-9
    score: 4
    note: better
# Updates follow.
objective_updates: []
"""


def test_an_empty_flow_list_grows_into_a_block_list():
    text = "schema_version: 1\nparticipant: P1\nobjective_updates: []   # none yet\n# end\n"
    assert edited(text, authoring.add_objective_update(D(2026, 11, 9), "1.1", "met", None, False)) == """\
schema_version: 1
participant: P1
objective_updates:      # none yet
  - date: 2026-11-09
    objective: "1.1"
    status: met
# end
"""


def test_a_new_list_goes_where_the_record_format_puts_it():
    text = "schema_version: 1\nparticipant: P1\n# screens by hand\nscreens: []\n"
    assert edited(text, authoring.add_assessment(D(2026, 11, 9), "AUDIT", 12, None, None, False)) == """\
schema_version: 1
participant: P1
assessments:
  - date: 2026-11-09
    instrument: AUDIT
    score: 12
# screens by hand
screens: []
"""


def test_a_list_written_without_indentation_keeps_its_layout():
    text = "reviews:\n- date: 2026-11-02\n  by: mrivera\n"
    assert edited(text, authoring.add_review(D(2026, 11, 30), "jchen", "Fine: on track.", False)) == (
        "reviews:\n- date: 2026-11-02\n  by: mrivera\n- date: 2026-11-30\n  by: jchen\n  summary: 'Fine: on track.'\n")


def test_discharge_keys_go_after_admitted_and_keep_the_comment_before_track():
    text = "id: P1\nstatus: active\nadmitted: 2026-11-02\n# Clinical\ntrack: adult-evening\n"
    assert edited(text, authoring.set_discharge(D(2026, 11, 30), "stepped-down", False)) == (
        "id: P1\nstatus: discharged\nadmitted: 2026-11-02\ndischarged: 2026-11-30\n"
        "discharge_reason: stepped-down\n# Clinical\ntrack: adult-evening\n")


def test_crlf_line_ends_and_a_byte_order_mark_are_kept():
    raw = b"\xef\xbb\xbfschema_version: 1\r\nparticipant: P1\r\n"
    doc = authoring.parse(raw)
    authoring.add_assessment(D(2026, 11, 9), "GAD-7", 2, None, None, False)(doc.data)
    assert authoring.render(doc) == (b"\xef\xbb\xbfschema_version: 1\r\nparticipant: P1\r\nassessments:\r\n"
                                     b"  - date: 2026-11-09\r\n    instrument: GAD-7\r\n    score: 2\r\n")


def test_a_file_that_does_not_parse_is_refused():
    with pytest.raises(Refused, match=r"does not parse as YAML \(line 2\)"):
        authoring.parse(b"a: 1\n  b: 2\n")
    with pytest.raises(Refused, match="does not hold a mapping"):
        authoring.parse(b"- 1\n")


def test_attendance_text_quotes_times_and_leaves_dates_plain():
    text = authoring.attendance_text(D(2026, 11, 23), "P0003/individual", {"P0003": authoring.Mark("present")},
                                     start="09:30", minutes=50)
    assert text == ("schema_version: 1\ndate: 2026-11-23\nsession: P0003/individual\nstatus: held\n"
                    'start: "09:30"\nminutes: 50\nattendance:\n  P0003: present\n')
    assert authoring.session_file(D(2026, 11, 23), "P0003/individual") == \
        "sessions/2026-11/2026-11-23-P0003-individual.yaml"


# -- atomic files ------------------------------------------------------------------------


def test_write_file_creates_and_never_clobbers(tmp_path):
    path = tmp_path / "a" / "b.yaml"
    atomic.write_file(path, b"one\n")
    assert path.read_bytes() == b"one\n"
    with pytest.raises(atomic.FileExists):
        atomic.write_file(path, b"two\n")
    assert path.read_bytes() == b"one\n"
    os.chmod(path, 0o640)
    atomic.write_file(path, b"three\n", overwrite=True)
    assert path.read_bytes() == b"three\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # a replaced file keeps its permissions
    assert sorted(p.name for p in path.parent.iterdir()) == ["b.yaml"]  # no temporary file left


def test_write_file_with_expected_bytes_detects_a_change_made_meanwhile(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"v1\n")
    with pytest.raises(atomic.ChangedMeanwhile):
        atomic.write_file(path, b"v3\n", expected=b"v0\n")
    assert path.read_bytes() == b"v1\n"
    atomic.write_file(path, b"v2\n", expected=b"v1\n")
    assert path.read_bytes() == b"v2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


# -- write_records --------------------------------------------------------------------------

PROGRAM = """\
schema_version: 1
program: {id: p, name: P, timezone: America/Chicago}
staff: [{id: s1, name: S}]
tracks:
  - id: t
    name: T
    population: adult
    level_of_care: "2.1"
    weeks: 10
    sessions:
      - {id: g, title: G, kind: group, days: [mon, wed, thu], start: "18:00", minutes: 180}
"""


def tiny_repo(root: Path) -> Path:
    for folder in ("participants", "plans", "progress"):
        (root / folder).mkdir(parents=True)
    (root / "program.yaml").write_text(PROGRAM)
    (root / "participants/P1.yaml").write_text(
        "schema_version: 1\nid: P1\npreferred_name: A\ndate_of_birth: 1980-01-01\nstatus: active\n"
        "admitted: 2026-11-02\ntrack: t\n")
    (root / "progress/P1.yaml").write_text("schema_version: 1\nparticipant: P1  # keep me\n")
    return root


def _assess(args):
    root, day = args
    write = Write("progress/P1.yaml", edit=authoring.add_assessment(D(2026, 11, day), "GAD-7", day % 22, None,
                                                                      None, False))
    authoring.write_records(Path(root), [write], D(2026, 11, 23))


def test_concurrent_writers_to_one_file_lose_nothing(tmp_path):
    root = tiny_repo(tmp_path)
    days = list(range(1, 9))
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        pool.map(_assess, [(str(root), d) for d in days])
    text = (root / "progress/P1.yaml").read_text()
    assert [f"2026-11-{d:02d}" for d in days] == [line.split()[-1] for line in text.splitlines()
                                                   if line.startswith("  - date:")]
    assert "participant: P1  # keep me\n" in text
    assert [p.name for p in (root / "progress").iterdir()] == ["P1.yaml"]


def test_an_error_already_elsewhere_does_not_block_a_write_but_a_new_one_does(tmp_path):
    root = tiny_repo(tmp_path)
    (root / "plans").joinpath("P9.yaml").write_text("schema_version: 1\nparticipant: P9\n")  # broken already
    outcome = authoring.write_records(root, [Write("progress/P1.yaml", edit=authoring.add_assessment(
        D(2026, 11, 9), "GAD-7", 3, None, None, False))], D(2026, 11, 23))
    assert [(w.rel, w.action) for w in outcome.written] == [("progress/P1.yaml", "updated")]
    # A discharge before admission is an error in the written file itself.
    before = (root / "participants/P1.yaml").read_bytes()
    with pytest.raises(Refused) as e:
        authoring.write_records(root, [Write("participants/P1.yaml", edit=authoring.set_discharge(
            D(2026, 11, 1), "completed", False))], D(2026, 11, 23))
    assert [(f.file, f.code) for f in e.value.findings] == [("participants/P1.yaml", "IOP011")]
    assert (root / "participants/P1.yaml").read_bytes() == before


def test_a_batch_is_all_or_nothing(tmp_path):
    root = tiny_repo(tmp_path)
    writes = [Write("plans/P1.yaml", text="schema_version: 1\nparticipant: P1\n"),  # no start, no problems
              Write("progress/P2.yaml", text="schema_version: 1\nparticipant: P2\n")]
    with pytest.raises(Refused) as e:
        authoring.write_records(root, writes, D(2026, 11, 23))
    assert {f.file for f in e.value.findings} == {"plans/P1.yaml", "progress/P2.yaml"}
    assert not (root / "plans/P1.yaml").exists()
    assert not (root / "progress/P2.yaml").exists()
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == ["P1.yaml", "P1.yaml", "program.yaml"]


def test_an_edit_of_a_missing_file_without_a_starting_text_is_refused(tmp_path):
    root = tiny_repo(tmp_path)
    with pytest.raises(Refused, match=r"^plans/P1.yaml does not exist$"):
        authoring.write_records(root, [Write("plans/P1.yaml", edit=authoring.add_review(
            D(2026, 11, 9), "s1", None, False))], D(2026, 11, 23))


def test_a_save_from_an_editor_during_the_edit_is_not_lost(tmp_path):
    root = tiny_repo(tmp_path)
    path = root / "progress/P1.yaml"
    inner = authoring.add_assessment(D(2026, 11, 9), "GAD-7", 3, None, None, False)

    def edit_while_someone_saves(data):
        path.write_text("schema_version: 1\nparticipant: P1  # saved in an editor\n")
        return inner(data)

    with pytest.raises(Refused, match=r"^progress/P1.yaml changed while iopctl was editing it"):
        authoring.write_records(root, [Write("progress/P1.yaml", edit=edit_while_someone_saves)], D(2026, 11, 23))
    assert path.read_text() == "schema_version: 1\nparticipant: P1  # saved in an editor\n"
    assert [p.name for p in (root / "progress").iterdir()] == ["P1.yaml"]


def test_a_failure_half_way_through_a_batch_undoes_the_files_already_written(tmp_path, monkeypatch):
    root = tiny_repo(tmp_path)
    real_install = atomic.install
    calls = []

    def failing_install(tmp, path, **kwargs):
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_install(tmp, path, **kwargs)

    monkeypatch.setattr(atomic, "install", failing_install)
    progress_before = (root / "progress/P1.yaml").read_bytes()
    writes = [Write("plans/P1.yaml", text=(
        'schema_version: 1\nparticipant: P1\nstart: 2026-11-02\nproblems:\n  - id: "1"\n    statement: S\n'
        '    goals:\n      - id: "1.1"\n        statement: G\n        objectives:\n          - {id: "1.1.1", '
        'statement: O, measure: M, target_date: 2026-12-01}\n        interventions: [{frequency: weekly}]\n')),
        Write("progress/P1.yaml", edit=authoring.add_assessment(D(2026, 11, 9), "GAD-7", 3, None, None, False))]
    with pytest.raises(OSError):
        authoring.write_records(root, writes, D(2026, 11, 23))
    assert calls == ["P1.yaml", "P1.yaml"]
    assert not (root / "plans/P1.yaml").exists()
    assert (root / "progress/P1.yaml").read_bytes() == progress_before
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == ["P1.yaml", "P1.yaml", "program.yaml"]
