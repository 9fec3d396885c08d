#!/usr/bin/env bash
# Print HTML handouts in headless Chromium on US Letter and A4, count the pages, and keep
# PNG images of every page to look at. Fails when a handout takes more than two pages.
#
#   tools/check_handout_print.sh [RECORDS] [OUT] [ID ...]
#
# RECORDS  records repository (default: sample_records)
# OUT      where the .html, .pdf and .png files go (default: out/print-check)
# ID ...   participants (default: every participant in RECORDS/participants)
#
# Each participant gets the aftercare and welcome handouts in English and Spanish.
# Needs: chromium and poppler-utils (pdfinfo, pdftoppm):
#   apt-get update && apt-get install -y chromium poppler-utils
# Environment: IOPCTL (default .venv/bin/iopctl), AS_OF (default 2026-11-23), MAX_PAGES (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS=${1:-sample_records}
OUT=${2:-out/print-check}
shift $(( $# > 2 ? 2 : $# ))
IOPCTL=${IOPCTL:-.venv/bin/iopctl}
AS_OF=${AS_OF:-2026-11-23}
MAX_PAGES=${MAX_PAGES:-2}

for tool in chromium pdfinfo pdftoppm; do
  command -v "$tool" >/dev/null || { echo "check_handout_print: $tool is missing (apt-get install -y chromium poppler-utils)" >&2; exit 2; }
done
if [ $# -gt 0 ]; then
  ids=("$@")
else
  ids=()
  for f in "$RECORDS"/participants/*.yaml; do ids+=("$(basename "$f" .yaml)"); done
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
profile=$(mktemp -d)  # a throwaway Chromium profile: nothing from (or to) the user's own
trap 'rm -rf "$profile"' EXIT

print_pdf() {  # print_pdf HTML PDF
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --user-data-dir="$profile" \
    --no-pdf-header-footer --print-to-pdf-no-header --print-to-pdf="$2" "file://$1" >/dev/null 2>&1
}

failed=0
checked=0
for id in "${ids[@]}"; do
  for template in aftercare welcome; do
    for lang in en es; do
      base="$OUT/$id-$template.$lang"
      "$IOPCTL" handout "$id" --records "$RECORDS" --as-of "$AS_OF" --template "$template" \
        --lang "$lang" --format html > "$base.html" 2>/dev/null
      # The handout sets no paper size (the printer's is used): print it on both.
      cp "$base.html" "$base.letter.html"
      sed 's#</head>#<style>@page { size: A4; }</style></head>#' "$base.html" > "$base.a4.html"
      sed -i 's#</head>#<style>@page { size: letter; }</style></head>#' "$base.letter.html"
      for paper in letter a4; do
        print_pdf "$base.$paper.html" "$base.$paper.pdf"
        pages=$(pdfinfo "$base.$paper.pdf" | awk '/^Pages:/ {print $2}')
        rm -f "$base.$paper".*.png
        pdftoppm -r 60 -png "$base.$paper.pdf" "$base.$paper"
        checked=$((checked + 1))
        if [ "$pages" -gt "$MAX_PAGES" ]; then
          echo "FAIL $id $template $lang $paper: $pages pages (at most $MAX_PAGES)"
          failed=$((failed + 1))
        else
          echo "ok   $id $template $lang $paper: $pages page(s)"
        fi
      done
      rm -f "$base.letter.html" "$base.a4.html"
    done
  done
done
echo "$checked printed, $failed over $MAX_PAGES pages; PDFs and PNGs in $OUT"
[ "$failed" -eq 0 ]
