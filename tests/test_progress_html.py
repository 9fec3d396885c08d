"""The HTML report: its SVG charts are checked point by point against the data, parsed with xml.etree.

Chart geometry (iopctl.progress_report): the plot area starts at x=48, y=24 and is 400 x 160.
For P0001 of test_progress.py as of 2026-11-23 the instrument charts span 2026-11-02 (plan
start, first score) to 2026-11-23 (as-of, the participant being active): 21 days.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from iopctl import progress, progress_report, records
from test_progress import write_progress_repo

AS_OF = dt.date(2026, 11, 23)
NS = {"svg": "http://www.w3.org/2000/svg"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> records.Records:
    return records.load(write_progress_repo(tmp_path_factory.mktemp("html"))).records


def report(repo, pid: str = "P0001") -> str:
    return progress_report.participant_html(progress.participant_progress(repo, pid, AS_OF), "Test IOP")


def svgs(page: str) -> list[ET.Element]:
    """Every inline <svg> of the page, parsed as XML (so each must be well-formed)."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def chart(page: str, instrument: str) -> ET.Element:
    return next(s for s in svgs(page) if s.get("data-instrument") == instrument)


def points(svg: ET.Element) -> list[tuple[float, float]]:
    line = svg.find("svg:polyline[@class='series']", NS)
    return [tuple(float(v) for v in pair.split(",")) for pair in line.get("points").split()]


def test_geometry_the_tests_assume():
    assert (progress_report.PLOT_X, progress_report.PLOT_Y, progress_report.PLOT_W, progress_report.PLOT_H) == \
        (48, 24, 400, 160)


def test_phq9_points_worked_out_by_hand(repo):
    # x = 48 + 400 * days / 21; y = 24 + 160 * (27 - score) / 27
    # 11-02 18 -> (48.0, 77.3); 11-16 12 -> (314.7, 112.9); 11-20 9 -> (390.9, 130.7)
    svg = chart(report(repo), "PHQ-9")
    assert points(svg) == [(48.0, 77.3), (314.7, 112.9), (390.9, 130.7)]
    circles = [(float(c.get("cx")), float(c.get("cy"))) for c in svg.findall("svg:circle", NS)]
    assert circles == points(svg)
    assert [c.find("svg:title", NS).text for c in svg.findall("svg:circle", NS)] == [
        "2026-11-02: 18", "2026-11-16: 12", "2026-11-20: 9"]


def test_every_chart_point_maps_back_to_its_score(repo):
    """Invert the scales and compare with the summary's series, for every instrument charted."""
    p = progress.participant_progress(repo, "P0001", AS_OF)
    page = report(repo)
    first, days = dt.date(2026, 11, 2), 21
    ranges = {"PHQ-9": 27, "GAD-7": 21, "AUDIT": 40, "PCL-5": 80}
    for name, top in ranges.items():
        got = points(chart(page, name))
        back = [(first + dt.timedelta(days=round((x - 48) / 400 * days)), top - (y - 24) / 160 * top) for x, y in got]
        want = [(s.date, s.score) for s in p.instruments[name].series]
        assert [d for d, _ in back] == [d for d, _ in want], name
        assert all(abs(score - s) <= 0.1 * top / 160 * 2 for (_, score), (_, s) in zip(back, want)), name


def test_severity_bands_tile_the_range_and_hold_the_latest_score(repo):
    svg = chart(report(repo), "PHQ-9")
    bands = svg.findall("svg:rect[@class='band']", NS)
    assert [b.get("data-band") for b in bands] == ["minimal", "mild", "moderate", "moderately severe", "severe"]
    # minimal runs 0 up to 5: y(5) = 24 + 160 * 22 / 27 = 154.4, down to y(0) = 184.0
    assert (float(bands[0].get("y")), float(bands[0].get("height"))) == (154.4, 29.6)
    # severe runs 20 up to 27: y(27) = 24.0, height 160 * 7 / 27 = 41.5
    assert (float(bands[-1].get("y")), float(bands[-1].get("height"))) == (24.0, 41.5)
    assert abs(sum(float(b.get("height")) for b in bands) - 160) < 0.3
    _, y = points(svg)[-1]  # latest score 9: mild
    mild = bands[1]
    assert float(mild.get("y")) <= y <= float(mild.get("y")) + float(mild.get("height"))


def test_attendance_bars_worked_out_by_hand(repo):
    # The scale tops at ceil(9) + 1 = 10 h; 4 weeks, 100 px each; bars 35 px wide at +15 and +50.
    svg = next(s for s in svgs(report(repo)) if "attendance" in s.get("class"))
    planned = svg.findall("svg:rect[@class='bar planned']", NS)
    attended = svg.findall("svg:rect[@class='bar attended']", NS)
    assert [(float(r.get("x")), float(r.get("height"))) for r in planned] == [
        (63.0, 144.0), (163.0, 48.0), (263.0, 144.0), (363.0, 48.0)]  # 9, 3, 9, 3 h of 10
    assert [(float(r.get("x")), float(r.get("height"))) for r in attended] == [
        (98.0, 80.0), (198.0, 48.0), (298.0, 0.0), (398.0, 0.0)]  # 5, 3, 0, 0 h
    for r in planned + attended:  # bars stand on the axis at y = 184
        assert float(r.get("y")) + float(r.get("height")) == pytest.approx(184.0)
    assert [r.get("fill") for r in attended] == ["#b03a2e"] * 3 + ["#1f4e79"]  # under the floor: red
    floor = svg.find("svg:line[@class='floor']", NS)
    assert float(floor.get("y1")) == 40.0  # 24 + 160 * (10 - 9) / 10


def test_a_phq9_item9_score_is_ringed(repo):
    svg = chart(report(repo, "P0002"), "PHQ-9")
    circles = svg.findall("svg:circle", NS)
    assert [c.get("class") for c in circles] == ["point safety", "point"]
    assert circles[0].find("svg:title", NS).text == "2026-11-02: 10 (item 9: 1)"


def test_report_is_self_contained(repo):
    page = report(repo)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "1988" not in page and "cocaine" not in page  # no date of birth, no substances


def test_record_text_is_escaped(tmp_path):
    def change(docs):
        docs["participants/P0001.yaml"]["preferred_name"] = "<script>alert(1)</script>"
        docs["plans/P0001.yaml"]["problems"][0]["goals"][0]["objectives"][0]["statement"] = 'Say "no" & <b>mean it'
        docs["progress/P0001.yaml"]["screens"][1]["kind"] = "<img src=x>"

    repo = records.load(write_progress_repo(tmp_path, change)).records
    page = report(repo)
    assert "<script>" not in page and "<b>mean" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Say &quot;no&quot; &amp; &lt;b&gt;mean it" in page
    svgs(page)  # still well-formed


def test_caseload_html(repo):
    page = progress_report.caseload_html(progress.caseload(repo, AS_OF), "Test IOP")
    rows = re.findall(r"<tr( class=\"flagged\")?><td>(P\d+)</td>", page)
    assert rows == [(' class="flagged"', "P0002"), (' class="flagged"', "P0001"), (' class="flagged"', "P0003")]


def test_an_instrument_without_a_range_has_no_chart(tmp_path):
    def change(docs):
        docs["progress/P0002.yaml"]["assessments"].append(
            {"date": "2026-11-03", "instrument": "BAM", "score": 12})

    repo = records.load(write_progress_repo(tmp_path, change)).records
    page = report(repo, "P0002")
    assert [s.get("data-instrument") for s in svgs(page) if s.get("data-instrument")] == ["PHQ-9"]
    assert "<td>BAM</td>" in page


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_renders_in_headless_chromium(tmp_path):
    """tools/check_progress_html.sh: Chromium parses every chart and the screenshot is not blank."""
    records_root = write_progress_repo(tmp_path / "records")
    result = subprocess.run(
        ["bash", str(ROOT / "tools" / "check_progress_html.sh"), str(records_root), "P0001", "2026-11-23",
         str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "5 charts rendered" in result.stdout  # hours, PHQ-9, GAD-7, AUDIT, PCL-5
    assert (tmp_path / "out" / "progress-P0001.png").stat().st_size > 10_000
