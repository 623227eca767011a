#!/usr/bin/env bash
# CLI tests of the pictures: `mpheap report -o X.svg|X.png` and `show -o`. The SVG is
# parsed with python3's xml.etree: well-formed, the colour of the rect covering known
# blocks of a real dump (read from the dump here, not from mpheap) is the safe palette's,
# far fewer rects than blocks, labels stay text; the PNG's size is worked out from the
# layout mpheap.h gives (the unit tests decode its pixels); writes are atomic; HTML is one
# self-contained page.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DUMP=tests/data/variants/canon/c00.txt # a real 256 KB heap

if [ ! -x "$MPHEAP" ]; then
    not_ok pictures-binary "$MPHEAP is not built"
    exit 0
fi
if ! command -v python3 >/dev/null; then
    skip pictures-svg "python3 is missing (scripts/bootstrap.sh installs it)"
    exit 0
fi

# The SVG checker: FILE DUMP [LABEL] prints "ok" or what is wrong.
cat >"$T/check.py" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
svg, dump = sys.argv[1], sys.argv[2]
label = sys.argv[3] if len(sys.argv) > 3 else None
NS = '{http://www.w3.org/2000/svg}'
# The safe palette's RGB (src/lib/palette.c, README "Colours").
HEAD = {'T': '#875f00', 'L': '#87875f', 'D': '#8787af', 'S': '#5fafff', 'A': '#87d7af',
        'F': '#ffafd7', 'B': '#d78700', 'M': '#005f87', 'h': '#9e9e9e', 'm': '#767676'}
FREE, LARGEST = '#303030', '#5f5fff'
bad = []
try:
    root = ET.parse(svg).getroot()
except ET.ParseError as e:
    print('not well-formed:', e); sys.exit(0)
if root.tag != NS + 'svg':
    bad.append('root is ' + root.tag)
for el in root.iter():
    if el.tag.split('}')[-1] in ('script', 'img', 'foreignObject'):
        bad.append('an element ' + el.tag)
cells = ''
for line in open(dump):
    m = re.match(r'^[0-9a-f]{8}: (\S+)$', line.strip())
    if m:
        cells += m.group(1)
    m = re.match(r'^\((\d+) lines all free\)$', line.strip())
    if m:  # MicroPython prints whole free lines of 64 blocks this way
        cells += '.' * (64 * int(m.group(1)))
areas = [g for g in root.iter(NS + 'g') if g.get('class') == 'area']
if len(areas) != 1:
    bad.append('%d areas' % len(areas))
else:
    g = areas[0]
    if int(g.get('data-blocks')) != len(cells):
        bad.append('data-blocks %s != %d' % (g.get('data-blocks'), len(cells)))
    x0, y0 = float(g.get('data-x')), float(g.get('data-y'))
    cw, ch = float(g.get('data-cell-width')), float(g.get('data-cell-height'))
    per = int(g.get('data-cells-per-row'))
    rects = [(float(r.get('x')), float(r.get('y')), float(r.get('width')), float(r.get('height')),
              r.get('fill')) for r in g.iter(NS + 'rect')]
    if len(rects) * 4 > len(cells):
        bad.append('%d rects for %d blocks' % (len(rects), len(cells)))
    def fill_at(b):
        x, y = x0 + (b % per + 0.5) * cw, y0 + (b // per + 0.5) * ch
        f = None
        for rx, ry, rw, rh, rf in rects:  # the last one drawn is on top
            if rx <= x < rx + rw and ry <= y < ry + rh:
                f = rf
        return f
    # The largest free run: the first longest run of '.'.
    best, start = (0, 0), None
    for i, c in enumerate(cells + 'x'):
        if c == '.' and start is None:
            start = i
        elif c != '.' and start is not None:
            if i - start > best[0]:
                best = (i - start, start)
            start = None
    lo, hi = best[1], best[1] + best[0]
    want, last_head, seen = {}, 'h', set()
    for i, c in enumerate(cells):
        if c == '=':
            col, kind = HEAD[last_head], 'tail'
        elif c == '.':
            col, kind = (LARGEST, 'largest') if lo <= i < hi else (FREE, 'free')
        else:
            last_head = c
            col, kind = HEAD[c], 'head ' + c
        if kind not in seen:
            seen.add(kind); want[i] = col
    want[hi - 1] = LARGEST
    for b, col in sorted(want.items()):
        got = fill_at(b)
        if got != col:
            bad.append('block %d (%r): fill %s, want %s' % (b, cells[b], got, col))
    if len(want) < 8:
        bad.append('only %d kinds of block checked' % len(want))
if label is not None:
    title = root.find(NS + 'title')
    if title is None or label not in (title.text or ''):
        bad.append('title %r does not hold the label' % (title.text if title is not None else None))
    texts = [t.text or '' for t in root.iter(NS + 'text')]
    if not any(label in t for t in texts):
        bad.append('no text holds the label')
print('ok' if not bad else '; '.join(bad))
PY

# report -o X.svg on a real dump.
"$MPHEAP" report -o "$T/map.svg" "$DUMP" 2>"$T/err"
expect pictures/report-svg-exit test $? -eq 0
r=$(python3 "$T/check.py" "$T/map.svg" "$DUMP")
expect "pictures/svg-parsed-colours-rects${r:+ }" test "$r" = ok
[ "$r" = ok ] || echo "  $r" >&2
expect pictures/svg-summary grep -q 'largest free   99,616 bytes (97.3 KiB) = 6,226 blocks, at 0xf7c43af0' "$T/map.svg"
expect pictures/svg-area-title grep -q 'area 1 of 1: 0xf7c1d790-0x' "$T/map.svg"
expect pictures/svg-gutter grep -q '>0xf7c1d790</text>' "$T/map.svg"
expect pictures/svg-legend grep -q '>the largest free run</text>' "$T/map.svg"

# A label with markup stays text.
# (the marker goes just before the dump: in place of c00's "objects allocated" line)
{ echo '=== <script>alert(1)</script> "><img onerror=x> & co ==='; sed 1d "$DUMP"; } >"$T/label.txt"
"$MPHEAP" report -o "$T/label.svg" "$T/label.txt" 2>"$T/err"
expect pictures/label-exit test $? -eq 0
r=$(python3 "$T/check.py" "$T/label.svg" "$DUMP" '<script>alert(1)</script> "><img onerror=x> & co')
expect pictures/label-escaped test "$r" = ok
[ "$r" = ok ] || echo "  $r" >&2
expect pictures/label-no-raw-markup sh -c "! grep -q -e '<script' -e '<img' '$T/label.svg'"

# show -o writes the same picture as report -o for the same input and options.
"$MPHEAP" show -o "$T/show.svg" "$DUMP" && "$MPHEAP" report -o "$T/report.svg" "$DUMP"
expect pictures/show-equals-report-svg cmp -s "$T/show.svg" "$T/report.svg"
"$MPHEAP" show -c 3 --scale 4 --need 8K --palette notebook -o "$T/show.png" "$DUMP" &&
    "$MPHEAP" report -c 3 --scale 4 --need 8K --palette notebook -o "$T/report.png" "$DUMP"
expect pictures/show-equals-report-png cmp -s "$T/show.png" "$T/report.png"

# PNG: the signature and the size mpheap.h promises, worked out here from the SVG's text
# (the same summary lines and legend entries) by the PNG's layout, in units of t = 1: a
# margin of 8; the title line (12), a gap of 6, the summary lines, a gap of 6, the legend
# lines (entries of a 9 swatch, 4, the text, 12, wrapped to the width), a gap of 6; per area
# its title line and rows * pixels (16,008 blocks = 126 rows of 128), a gap of 6; a margin.
# The width: the map (the gutter "0xf7c1d790" and a blank, 11 characters of 6, and
# columns * 64 * pixels) or the widest text line, with the margins.
cat >"$T/png_size.py" <<'PY'
import struct, sys
import xml.etree.ElementTree as ET
png, svg, columns, pixels, blocks = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
NS = '{http://www.w3.org/2000/svg}'
d = open(png, 'rb').read(24)
if d[:8] != b'\x89PNG\r\n\x1a\n':
    print('not a PNG'); sys.exit(0)
got = struct.unpack('>II', d[16:24])
root = ET.parse(svg).getroot()
groups = {g.get('class'): g for g in root.iter(NS + 'g')}
summary = [t.text or '' for t in groups['summary'].iter(NS + 'text')]
legend, swatch = [], False
for el in groups['legend']:
    if el.tag == NS + 'rect':
        swatch = True
    elif el.tag == NS + 'text':
        legend.append((el.text or '', swatch)); swatch = False
titles = [t.text or '' for t in root.iter(NS + 'text') if t.get('class') == 'h']
rows = -(-blocks // (64 * columns))
map_w = 11 * 6 + 64 * columns * pixels
width = 16 + max([map_w] + [len(s) * 6 for s in summary + titles])
lines, x = 0, 0
for text, sw in legend:
    w = len(text) * 6 + 12 + (13 if sw else 0)
    if lines == 0 or x + w > width - 16:
        lines, x = lines + 1, 0
    x += w
height = 8 + 12 + 6 + 12 * len(summary) + 6 + 12 * lines + 6 + 12 + rows * pixels + 6 + 8
print('ok' if got == (width, height) else 'got %dx%d, want %dx%d' % (got + (width, height)))
PY
"$MPHEAP" report -o "$T/map.png" "$DUMP"
expect pictures/png-exit test $? -eq 0
r=$(python3 "$T/png_size.py" "$T/map.png" "$T/map.svg" 2 4 16008)
expect "pictures/png-size${r:+ }" test "$r" = ok
[ "$r" = ok ] || echo "  $r" >&2
"$MPHEAP" report --pixels 1 -c 1 -o "$T/one.png" "$DUMP" && "$MPHEAP" report -c 1 -o "$T/one.svg" "$DUMP"
r=$(python3 "$T/png_size.py" "$T/one.png" "$T/one.svg" 1 1 16008)
expect "pictures/png-size-pixels-1${r:+ }" test "$r" = ok
[ "$r" = ok ] || echo "  $r" >&2
"$MPHEAP" report --pixels 6 -c 1 --need 8K -o "$T/six.png" "$DUMP" && "$MPHEAP" report -c 1 --need 8K -o "$T/six.svg" "$DUMP"
r=$(python3 "$T/png_size.py" "$T/six.png" "$T/six.svg" 1 6 16008)
expect "pictures/png-size-pixels-6-verdict${r:+ }" test "$r" = ok
[ "$r" = ok ] || echo "  $r" >&2
# The verdict's text is in the PNG too: more summary lines, a taller picture.
python3 -c 'import struct,sys; a,b=[struct.unpack(">II", open(f,"rb").read(24)[16:24]) for f in sys.argv[1:]]; sys.exit(not b[1] > a[1])' "$T/map.png" "$T/six.png"
expect pictures/png-verdict-taller test $? -eq 0

# --format wins over the extension.
"$MPHEAP" report --format png -o "$T/pic.img" "$DUMP"
expect pictures/format-option sh -c "head -c 4 '$T/pic.img' | grep -q PNG"

# HTML: one page, its CSP allowing its own script and style by hash only, one JSON island
# with no '<' in it (tests/browser/ opens it in chromium); --format html wins over the name.
"$MPHEAP" report -o "$T/r.html" "$DUMP" 2>"$T/err"
expect pictures/html-exit-0 test $? -eq 0
expect pictures/html-doctype sh -c "head -n 1 '$T/r.html' | grep -qx '<!DOCTYPE html>'"
expect pictures/html-csp grep -q "content=\"default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]*='; style-src 'sha256-" "$T/r.html"
expect pictures/html-one-island test "$(grep -c 'id="mpheap-data"' "$T/r.html")" = 1
island=$(tr -d '\n' <"$T/r.html" | sed -n 's/.*id="mpheap-data">\([^<]*\)<\/script>.*/\1/p')
expect pictures/html-island-no-lt test "${#island}" -gt 1000
expect pictures/html-no-temp sh -c "! ls -a '$T' | grep -q '^\.r\.html\.'"
"$MPHEAP" report --format html -o "$T/r.svg2" "$DUMP" 2>"$T/err"
expect pictures/format-html-exit-0 sh -c "head -n 1 '$T/r.svg2' | grep -qx '<!DOCTYPE html>'"
"$MPHEAP" report "$DUMP" 2>"$T/err"
expect pictures/no-output-exit-2 test $? -eq 2

# Atomic writes: an unwritable place gives exit 4 and no file; a failed render leaves the
# old file as it was and no temporary file.
"$MPHEAP" report -o "$T/no/such/dir/x.svg" "$DUMP" 2>"$T/err"
expect pictures/missing-dir-exit-4 test $? -eq 4
expect pictures/missing-dir-message grep -q 'x.svg: cannot write' "$T/err"
touch "$T/plain"
"$MPHEAP" report -o "$T/plain/x.svg" "$DUMP" 2>"$T/err"
expect pictures/not-a-dir-exit-4 test $? -eq 4
# A directory mpheap may not write in. Root writes anywhere, so as root the command runs as
# nobody (setpriv, util-linux), on copies it can read.
mkdir "$T/ro" && chmod 555 "$T/ro"
as_user=() bin=$MPHEAP
cp "$DUMP" "$T/dump.txt"
if [ "$(id -u)" -eq 0 ]; then
    # nobody may not reach the checkout (a clone under a private folder): copies in $T.
    chmod 755 "$T" && chmod 644 "$T/dump.txt"
    cp "$MPHEAP" "$T/mpheap-copy" && chmod 755 "$T/mpheap-copy"
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups) bin=$T/mpheap-copy
fi
"${as_user[@]}" "$bin" report -o "$T/ro/x.svg" "$T/dump.txt" 2>"$T/err"
expect pictures/read-only-dir-exit-4 test $? -eq 4
expect pictures/read-only-dir-no-file test -z "$(ls -A "$T/ro")"
head -n 5 "$DUMP" >"$T/header-only.txt"
mkdir "$T/out" && echo old >"$T/out/h.png"
"$MPHEAP" report -o "$T/out/h.png" "$T/header-only.txt" 2>"$T/err"
expect pictures/header-only-png-exit-3 test $? -eq 3
expect pictures/header-only-png-says-no-map grep -q 'no map to draw' "$T/err"
expect pictures/failed-write-keeps-old test "$(cat "$T/out/h.png")" = old
expect pictures/failed-write-no-temp test "$(ls -A "$T/out")" = h.png

# A header-only dump as SVG: the header's figures, and no map, said so.
"$MPHEAP" report -o "$T/h.svg" "$T/header-only.txt"
expect pictures/header-only-svg-exit test $? -eq 0
expect pictures/header-only-svg-says-no-map grep -q 'no map to draw' "$T/h.svg"
expect pictures/header-only-svg-parses python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(any(g.get("class") == "area" for g in r.iter("{http://www.w3.org/2000/svg}g")))' "$T/h.svg"

# -o -: standard output (no file named "-"), the same bytes as the file; the format must be named.
( D=$PWD/$DUMP M=$(cd "$(dirname "$MPHEAP")" && pwd)/$(basename "$MPHEAP"); cd "$T" && "$M" report -o - --format svg "$D" >"$T/stdout.svg" 2>"$T/err" )
expect pictures/stdout-exit test $? -eq 0
expect pictures/stdout-no-file-named-dash test ! -e "$T/-"
expect pictures/stdout-same-as-file cmp -s "$T/stdout.svg" "$T/map.svg"
( D=$PWD/$DUMP M=$(cd "$(dirname "$MPHEAP")" && pwd)/$(basename "$MPHEAP"); cd "$T" && "$M" report -o - "$D" >/dev/null 2>"$T/err" )
expect pictures/stdout-needs-format sh -c "test $? -eq 2 && grep -q 'give --format' '$T/err'"
exit 0
