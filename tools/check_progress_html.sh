#!/usr/bin/env bash
# Render `iopctl progress ID --format html` in headless Chromium and check what it drew.
#
#   tools/check_progress_html.sh [RECORDS] [ID] [AS_OF] [OUT_DIR]
#   defaults:                    sample_records P0007 2026-11-23 out/progress-check
#
# Writes OUT_DIR/progress-ID.html and OUT_DIR/progress-ID.png (a full-page
# screenshot: open it and look), and fails (exit 1) when Chromium did not
# render the page, the rendered page lost a chart, or the screenshot is blank.
# Exit 2 when chromium (or iopctl) is not installed: `apt-get install -y chromium`.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
records="${1:-$here/sample_records}"
pid="${2:-P0007}"
as_of="${3:-2026-11-23}"
out="${4:-$here/out/progress-check}"

iopctl="${IOPCTL:-$here/.venv/bin/iopctl}"
[ -x "$iopctl" ] || iopctl="$(command -v iopctl || true)"
[ -n "$iopctl" ] || { echo "check_progress_html: iopctl is not installed" >&2; exit 2; }
python="${PYTHON:-$here/.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
chromium="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$chromium" ] || { echo "check_progress_html: chromium is not installed (apt-get install -y chromium)" >&2; exit 2; }

mkdir -p "$out"
html="$out/progress-$pid.html"
png="$out/progress-$pid.png"
"$iopctl" progress "$pid" --records "$records" --as-of "$as_of" --format html -o "$html"

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --no-first-run --hide-scrollbars --user-data-dir="$profile")
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"

# The page as Chromium parsed it: every chart must survive parsing.
dom="$profile/dom.html"
timeout 120 "$chromium" "${flags[@]}" --dump-dom "$url" >"$dom" 2>/dev/null
# A tall window, so that the one-page report fits in one screenshot.
rm -f "$png"
timeout 120 "$chromium" "${flags[@]}" --window-size=1000,2600 --screenshot="$png" "$url" >/dev/null 2>&1 || true

"$python" - "$html" "$png" "$dom" <<'PY'
import re, struct, sys, zlib

html_path, png_path, dom_path = sys.argv[1:4]
dom = open(dom_path, encoding="utf-8").read()
source = open(html_path, encoding="utf-8").read()
charts = len(re.findall(r"<svg\b", source))
rendered = len(re.findall(r"<svg\b", dom))
problems = []
if charts == 0:
    problems.append("the report has no chart")
if rendered != charts:
    problems.append(f"Chromium's DOM has {rendered} charts, the file {charts}")
if dom.count('class="point') != source.count('class="point') or dom.count('class="bar ') != source.count('class="bar '):
    problems.append("points or bars were lost in rendering")
try:
    data = open(png_path, "rb").read()
except OSError:
    data = b""
if not data.startswith(b"\x89PNG\r\n\x1a\n"):
    problems.append("no screenshot was written")
else:
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    pixels = zlib.decompress(idat)
    # A blank page is one colour: its rows compress to almost nothing and use few byte values.
    if len(set(pixels)) < 32:
        problems.append("the screenshot looks blank")
    print(f"screenshot {png_path}: {width}x{height}, {charts} charts rendered")
for p in problems:
    print(f"check_progress_html: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
