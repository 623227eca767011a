#!/usr/bin/env bash
# CLI tests of the diff and timeline pictures: `mpheap diff A B -o X.svg|X.png` and
# `mpheap timeline LOG -o X.svg|X.png`. The SVGs are parsed with python3's xml.etree (and
# xmllint when installed): well-formed; the fill covering known blocks is the safe
# palette's diff colour for that block's change, worked out here from the two dumps (not
# from mpheap); few rects; labels stay text. The timeline's points carry the values of
# `timeline --json`. PNG sizes as the header promises them; writes are atomic; HTML goes to
# the HTML report (one LOG) or is refused with exit 2.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
LOG=tests/data/samples/seq-leak-5snapshots.txt # 5 real snapshots of a leaking program

if [ ! -x "$MPHEAP" ]; then
    not_ok pictures-diff-binary "$MPHEAP is not built"
    exit 0
fi
if ! command -v python3 >/dev/null; then
    skip pictures-diff-svg "python3 is missing (scripts/bootstrap.sh installs it)"
    exit 0
fi

# SNAPSHOT N of LOG as a file of its own (the marker line and its dump).
snap() {
    awk -v n="$1" '/^=== /{k++} k==n' "$LOG"
}
snap 2 >"$T/old.txt"
snap 3 >"$T/new.txt"

# The diff SVG checker: SVG OLD NEW prints "ok" or what is wrong.
cat >"$T/check_diff.py" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
svg, old, new = sys.argv[1:4]
NS = '{http://www.w3.org/2000/svg}'
# The safe palette's diff colours (src/lib/palette.c, backgrounds as xterm 256-colour
# indexes: free 236, kept 244, freed 25, allocated 208, reused 177).
COLOUR = {'free': '#303030', 'kept': '#808080', 'freed': '#005faf', 'allocated': '#ff8700',
          'reused': '#d787ff'}

def cells_of(path):
    """The blocks of a one-area dump, placed by their row offsets."""
    rows, collapsed = [], []
    for line in open(path):
        m = re.match(r'^([0-9a-f]{8}): (\S+)$', line.strip())
        if m:
            rows.append((int(m.group(1), 16), m.group(2)))
            collapsed.append(0)
        m = re.match(r'^\((\d+) lines all free\)$', line.strip())
        if m:
            collapsed[-1] += int(m.group(1))
    step = (rows[1][0] - rows[0][0]) // 64  # bytes per block: offsets step 64 blocks
    cells = []
    for (off, text), free_lines in zip(rows, collapsed):
        b = off // step
        cells += ['.'] * (b - len(cells))
        cells[b:b + len(text)] = list(text)
        cells += ['.'] * (64 * free_lines)
    return cells

def allocs(cells):
    """For each block, its allocation (start, length, type) or None."""
    out, cur = [None] * len(cells), None
    for i, c in enumerate(cells):
        if c == '.':
            cur = None
        elif c == '=':
            if cur is None:
                cur = [i, 0, 'h']
            cur[1] += 1
        else:
            cur = [i, 1, c]
        out[i] = cur
    return [tuple(a) if a else None for a in out]

O, N = cells_of(old), cells_of(new)
n = max(len(O), len(N))
O += ['.'] * (n - len(O)); N += ['.'] * (n - len(N))
ao, an = allocs(O), allocs(N)
def cls(i):
    if O[i] == '.' and N[i] == '.': return 'free'
    if O[i] == '.': return 'allocated'
    if N[i] == '.': return 'freed'
    return 'kept' if ao[i] == an[i] else 'reused'
bad = []
try:
    root = ET.parse(svg).getroot()
except ET.ParseError as e:
    print('not well-formed:', e); sys.exit(0)
for el in root.iter():
    if el.tag.split('}')[-1] in ('script', 'img', 'foreignObject'):
        bad.append('an element ' + el.tag)
areas = [g for g in root.iter(NS + 'g') if g.get('class') == 'area']
if len(areas) != 1:
    print('%d areas' % len(areas)); sys.exit(0)
g = areas[0]
if int(g.get('data-blocks')) != n:
    bad.append('data-blocks %s != %d' % (g.get('data-blocks'), n))
x0, y0 = float(g.get('data-x')), float(g.get('data-y'))
cw, ch = float(g.get('data-cell-width')), float(g.get('data-cell-height'))
per = int(g.get('data-cells-per-row'))
rects = [(float(r.get('x')), float(r.get('y')), float(r.get('width')), float(r.get('height')),
          r.get('fill')) for r in g.iter(NS + 'rect')]
if len(rects) * 4 > n:
    bad.append('%d rects for %d blocks' % (len(rects), n))
def fill_at(b):
    x, y = x0 + (b % per + 0.5) * cw, y0 + (b // per + 0.5) * ch
    f = None
    for rx, ry, rw, rh, rf in rects:  # the last one drawn is on top
        if rx <= x < rx + rw and ry <= y < ry + rh:
            f = rf
    return f
# Every block of every class's first three runs, and every 17th block.
want, runs = set(range(0, n, 17)), {}
for i in range(n):
    c = cls(i)
    if i == 0 or cls(i - 1) != c:
        runs[c] = runs.get(c, 0) + 1
    if runs[c] <= 3:
        want.add(i)
seen = set()
for b in sorted(want):
    c = cls(b)
    seen.add(c)
    got = fill_at(b)
    if got != COLOUR[c]:
        bad.append('block %d (%s -> %s, %s): fill %s, want %s' % (b, O[b], N[b], c, got, COLOUR[c]))
        if len(bad) > 5: break
if seen != set(COLOUR):
    bad.append('classes seen: %s' % sorted(seen))
print('ok' if not bad else '; '.join(bad))
PY

png_size() {
    python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("bad" if d[:8]!=b"\x89PNG\r\n\x1a\n" else "%dx%d" % struct.unpack(">II", d[16:24]))' "$1"
}

# diff OLD NEW -o X.svg: the block colours, against the dumps themselves.
"$MPHEAP" diff -c 2 -o "$T/d.svg" "$T/old.txt" "$T/new.txt" 2>"$T/err"
expect pictures-diff/svg-exit test $? -eq 0
r=$(python3 "$T/check_diff.py" "$T/d.svg" "$T/old.txt" "$T/new.txt")
expect "pictures-diff/svg-parsed-colours-rects${r:+ }" test "$r" = ok
[ "$r" = ok ] || echo "  $r" >&2
if command -v xmllint >/dev/null; then
    expect pictures-diff/svg-xmllint xmllint --noout "$T/d.svg"
else
    skip pictures-diff/svg-xmllint "xmllint is not installed (python3 parsed it above)"
fi
expect pictures-diff/svg-summary grep -q 'largest free  117,632 -&gt; 93,312 bytes (-24,320)' "$T/d.svg"
expect pictures-diff/svg-title grep -q '<title>mpheap: heap diff, SNAPSHOT 2/5: leak list len 120 -&gt; SNAPSHOT 3/5: leak list len 180</title>' "$T/d.svg"
expect pictures-diff/svg-legend grep -q '>reused (another allocation now)</text>' "$T/d.svg"
expect pictures-diff/svg-gutter grep -q '>0x7f2e6844fc00</text>' "$T/d.svg"
# The same diff from one LOG (--from/--to) is the same picture.
"$MPHEAP" diff -c 2 --from 2 --to 3 -o "$T/d2.svg" "$LOG"
expect pictures-diff/log-equals-files cmp -s "$T/d.svg" "$T/d2.svg"

# PNG: the size mpheap.h promises (the unit tests check pixels). 1 area of 8,096 blocks at
# 2 columns: 64 rows of 4 pixels; the width is the widest summary line's.
"$MPHEAP" diff -o "$T/d.png" "$T/old.txt" "$T/new.txt"
expect pictures-diff/png-exit test $? -eq 0
s1=$(png_size "$T/d.png")
"$MPHEAP" diff -o "$T/d8.png" --pixels 8 "$T/old.txt" "$T/new.txt"
s2=$(png_size "$T/d8.png")
# Twice the pixels: the text doubles (t = 2) and so does every part of the layout.
expect "pictures-diff/png-size-doubles-$s1-$s2" python3 -c '
import sys
a, b = [tuple(map(int, s.split("x"))) for s in sys.argv[1:3]]
sys.exit(not (b[0] == 2 * a[0] and b[1] == 2 * a[1]))' "$s1" "$s2"
"$MPHEAP" diff --format png -o "$T/d.img" "$T/old.txt" "$T/new.txt"
expect pictures-diff/format-option sh -c "head -c 4 '$T/d.img' | grep -q PNG"
"$MPHEAP" diff --palette mono -o "$T/mono.svg" "$T/old.txt" "$T/new.txt"
expect pictures-diff/mono-greys python3 -c '
import re, sys
fills = set(re.findall(r"fill=\"#([0-9a-f]{6})\"", open(sys.argv[1]).read()))
sys.exit(not fills or any(f[0:2] != f[2:4] or f[2:4] != f[4:6] for f in fills))' "$T/mono.svg"

# A label with markup stays text.
{ echo '=== <script>alert(1)</script> "><img onerror=x> & co ==='; sed 1d "$T/new.txt"; } >"$T/label.txt"
"$MPHEAP" diff -o "$T/label.svg" "$T/old.txt" "$T/label.txt"
expect pictures-diff/label-exit test $? -eq 0
expect pictures-diff/label-no-raw-markup sh -c "! grep -q -e '<script' -e '<img' '$T/label.svg'"
expect pictures-diff/label-parses python3 -c 'import sys, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]).getroot().find("{http://www.w3.org/2000/svg}title").text; sys.exit("<script>alert(1)</script>" not in t)' "$T/label.svg"

# Block sizes that differ cannot be aligned: the summary and why, and no map.
"$MPHEAP" diff -o "$T/na.svg" tests/data/variants/era-v1.19-u32.txt tests/data/variants/era-v1.19-u64.txt
expect pictures-diff/unaligned-exit test $? -eq 0
expect pictures-diff/unaligned-says-so grep -q '(no map: the snapshots cannot be aligned)' "$T/na.svg"
expect pictures-diff/unaligned-no-area python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(any(g.get("class") == "area" for g in r.iter("{http://www.w3.org/2000/svg}g")))' "$T/na.svg"
"$MPHEAP" diff -o "$T/na.png" tests/data/variants/era-v1.19-u32.txt tests/data/variants/era-v1.19-u64.txt
expect pictures-diff/unaligned-png-exit test $? -eq 0

# Options that do not go together, and formats.
"$MPHEAP" diff --json -o "$T/x.svg" "$T/old.txt" "$T/new.txt" 2>"$T/err"
expect pictures-diff/json-and-output-exit-2 test $? -eq 2
"$MPHEAP" diff -o "$T/x.gif" "$T/old.txt" "$T/new.txt" 2>"$T/err"
expect pictures-diff/unknown-extension-exit-2 test $? -eq 2
expect pictures-diff/unknown-extension-no-file test ! -e "$T/x.gif"
"$MPHEAP" diff --format svg "$T/old.txt" "$T/new.txt" >/dev/null 2>"$T/err"
expect pictures-diff/format-without-output-exit-2 test $? -eq 2
# HTML: from two files there is no one log to put in the page.
"$MPHEAP" diff -o "$T/d.html" "$T/old.txt" "$T/new.txt" 2>"$T/err"
expect pictures-diff/html-two-files-exit-2 test $? -eq 2
expect pictures-diff/html-two-files-no-file test ! -e "$T/d.html"
expect pictures-diff/html-two-files-says-why grep -q 'HTML diff needs OLD and NEW in one LOG' "$T/err"

# Atomic writes: a failed write leaves no file and an old one as it was.
"$MPHEAP" diff -o "$T/no/such/dir/x.svg" "$T/old.txt" "$T/new.txt" 2>"$T/err"
expect pictures-diff/missing-dir-exit-4 test $? -eq 4
# OUT an existing directory: the picture is rendered whole into a temporary file beside it,
# the rename fails, and the temporary file goes; the directory stays as it was.
mkdir -p "$T/out/d.png" && echo old >"$T/out/d.png/keep"
"$MPHEAP" diff -o "$T/out/d.png" "$T/old.txt" "$T/new.txt" 2>"$T/err"
expect pictures-diff/rename-fails-exit-4 test $? -eq 4
expect pictures-diff/rename-fails-message grep -q 'd.png: cannot write' "$T/err"
expect pictures-diff/rename-fails-keeps-old test "$(cat "$T/out/d.png/keep")" = old
expect pictures-diff/rename-fails-no-temp test "$(ls -A "$T/out")" = d.png

# ---------------------------------------------------------------- timeline
"$MPHEAP" timeline -o "$T/t.svg" "$LOG" 2>"$T/err"
expect pictures-timeline/svg-exit test $? -eq 0
"$MPHEAP" timeline --json "$LOG" >"$T/t.json"
cat >"$T/check_chart.py" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
svg, js = sys.argv[1:3]
NS = '{http://www.w3.org/2000/svg}'
bad = []
try:
    root = ET.parse(svg).getroot()
except ET.ParseError as e:
    print('not well-formed:', e); sys.exit(0)
rows = json.load(open(js))['rows']
if root.get('width') != '716' or root.get('height') != '326':
    bad.append('size %sx%s' % (root.get('width'), root.get('height')))
key = {'used': 'used_bytes', 'free': 'free_bytes', 'largest free run': 'largest_free_bytes',
       'fragmentation (right axis)': 'fragmentation'}
series = {g.get('data-series'): g for g in root.iter(NS + 'g') if g.get('class') == 'series'}
if set(series) != set(key):
    bad.append('series %s' % sorted(series))
for name, g in series.items():
    pts = [(int(c.get('data-row')), float(c.get('data-value')), float(c.get('cy')))
           for c in g.iter(NS + 'circle')]
    if [p[0] for p in pts] != list(range(1, len(rows) + 1)):
        bad.append('%s: rows %s' % (name, [p[0] for p in pts]))
        continue
    for (row, v, cy), r in zip(pts, rows):
        want = r[key[name]]
        if abs(v - want) > 1e-6 * max(1, abs(want)):
            bad.append('%s row %d: %g, want %g' % (name, row, v, want))
    # Higher values are drawn higher.
    for (_, v1, y1), (_, v2, y2) in zip(pts, pts[1:]):
        if (v2 > v1 and not y2 < y1) or (v2 < v1 and not y2 > y1):
            bad.append('%s: %g at y %g, %g at y %g' % (name, v1, y1, v2, y2))
    if not list(g.iter(NS + 'polyline')):
        bad.append('%s: no line' % name)
labels = [t.text for t in root.iter(NS + 'title')]
if not any('SNAPSHOT 3/5: leak list len 180' in (l or '') for l in labels):
    bad.append('no tooltip holds a label')
print('ok' if not bad else '; '.join(bad))
PY
r=$(python3 "$T/check_chart.py" "$T/t.svg" "$T/t.json")
expect "pictures-timeline/svg-values${r:+ }" test "$r" = ok
[ "$r" = ok ] || echo "  $r" >&2
# A label with markup stays text in the chart's tooltips.
cat "$T/old.txt" "$T/label.txt" >"$T/label-log.txt"
"$MPHEAP" timeline -o "$T/tl.svg" "$T/label-log.txt"
expect pictures-timeline/label-exit test $? -eq 0
expect pictures-timeline/label-no-raw-markup sh -c "! grep -q -e '<script' -e '<img' '$T/tl.svg'"
expect pictures-timeline/label-in-tooltip python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(not any("<script>alert(1)</script>" in (t.text or "") for t in r.iter("{http://www.w3.org/2000/svg}title")))' "$T/tl.svg"
"$MPHEAP" timeline -o "$T/t.png" "$LOG"
s=$(png_size "$T/t.png")
expect "pictures-timeline/png-size-$s" test "$s" = 716x326
"$MPHEAP" timeline --pixels 8 -o "$T/t8.png" "$LOG"
s=$(png_size "$T/t8.png")
expect "pictures-timeline/png-size-pixels-8-$s" test "$s" = 1432x652
"$MPHEAP" timeline --csv -o "$T/x.svg" "$LOG" 2>"$T/err"
expect pictures-timeline/csv-and-output-exit-2 test $? -eq 2
"$MPHEAP" timeline -o "$T/t.html" "$LOG" "$LOG" 2>"$T/err"
expect pictures-timeline/html-two-files-exit-2 test $? -eq 2
"$MPHEAP" timeline -o "$T/no/such/dir/t.png" "$LOG" 2>"$T/err"
expect pictures-timeline/missing-dir-exit-4 test $? -eq 4
expect pictures-timeline/missing-dir-no-file test ! -e "$T/no"
exit 0
