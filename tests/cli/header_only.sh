#!/usr/bin/env bash
# CLI tests of timeline and diff on dumps with no whole map: the output of
# micropython.mem_info() without an argument (two header lines, no map), as
# a log of periodic calls prints them, and a map cut short. Made from the
# header lines of real dumps (tests/data/variants/canon); every expected
# figure is read from those lines here, not from mpheap.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
V=tests/data/variants/canon
S=tests/data/samples

flat() { awk -f tests/cli/json-flat.awk "$@"; }
get() { awk -v p="$2" '$1 == p { sub(/^[^ ]* /, ""); print; exit }' "$1"; }
# header FIELD FILE: a figure of the dump's own header lines
header() {
    case $1 in
    used | free) sed -n "s/.*GC: total: [0-9]*, used: \([0-9]*\), free: \([0-9]*\).*/\1 \2/p" "$2" |
        head -n 1 | awk -v f="$1" '{ print (f == "used" ? $1 : $2) }' ;;
    maxfree) sed -n 's/.*max free sz: \([0-9]*\).*/\1/p' "$2" | head -n 1 ;;
    esac
}
# group3 N: 80736 -> 80,736
group3() { echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }

if [ ! -x "$MPHEAP" ]; then
    not_ok header-only-binary "$MPHEAP is not built"
    exit 0
fi

# A log of three mem_info() outputs: each dump's header lines after a marker.
for c in c00 c08 c13; do
    echo "=== $c ==="
    grep -m 2 'GC: total\|No\. of 1-blocks' "$V/$c.txt"
    grep -m 2 'GC: total\|No\. of 1-blocks' "$V/$c.txt" >"$T/$c.hdr"
done >"$T/log.txt"

# --------------------------------------------------------------- timeline

"$MPHEAP" timeline --json "$T/log.txt" 2>/dev/null | flat >"$T/j"
expect timeline-ho-schema test "$(get "$T/j" schema)" = mpheap/timeline/3
expect timeline-ho-labels test "$(get "$T/j" rows.0.label) $(get "$T/j" rows.1.label) $(get "$T/j" rows.2.label)" = "c00 c08 c13"
bad=""
k=0
for c in c00 c08 c13; do
    [ "$(get "$T/j" rows.$k.used_bytes)" = "$(header used "$T/$c.hdr")" ] || bad="$bad $c.used"
    [ "$(get "$T/j" rows.$k.free_bytes)" = "$(header free "$T/$c.hdr")" ] || bad="$bad $c.free"
    [ "$(get "$T/j" rows.$k.largest_free_blocks)" = "$(header maxfree "$T/$c.hdr")" ] || bad="$bad $c.largest"
    # No block size in these headers (every figure is a multiple of 32): no
    # blocks, no bytes of the largest run, no fragmentation; never allocations.
    for m in used_blocks free_blocks largest_free_bytes fragmentation allocations types block_size; do
        [ "$(get "$T/j" rows.$k.$m)" = null ] || bad="$bad $c.$m"
    done
    [ "$(get "$T/j" rows.$k.map)" = none ] || bad="$bad $c.map"
    k=$((k + 1))
done
expect timeline-ho-json-header-figures test -z "$bad"
expect timeline-ho-json-no-steps test "$(get "$T/j" suspects.steps)" = 0
expect timeline-ho-json-one-note grep -q '^notes\.0 rows 1-3 have no map, so the leak analysis left them out (mem_info() without an argument prints no map: call mem_info(1))$' "$T/j"

"$MPHEAP" timeline --ascii "$T/log.txt" >"$T/t.txt" 2>/dev/null
expect timeline-ho-no-zero-rows test "$(grep -c ' 0 blocks\| 0 bytes' "$T/t.txt")" = 0
# Row 1: the header's used and free, max free sz in blocks, "?" for the rest.
expect timeline-ho-text-row grep -Eq "^   1  c00 +78\.8 KiB +171\.3 KiB +$(group3 "$(header maxfree "$T/c00.hdr")") blocks +\? +\?$" "$T/t.txt"
expect timeline-ho-text-says-why grep -q '^rows 1-3: block size unknown (no map to measure it)' "$T/t.txt"
expect timeline-ho-leak-said-once test "$(grep -c 'call mem_info(1)' "$T/t.txt")" = 1
expect timeline-ho-no-false-none test "$(grep -c 'no allocation keeps growing' "$T/t.txt")" = 0
expect timeline-ho-not-looked-for grep -q '^  not looked for: that needs two snapshots with a whole map$' "$T/t.txt"
# Charts: known figures drawn, unknown ones never as zeros.
expect timeline-ho-chart-used grep -Eq '^  used +[_.~=+*#-]{3} +78\.8 KiB -> 23\.5 KiB' "$T/t.txt"
expect timeline-ho-chart-allocations grep -q '^  allocations          not known: no snapshot has a whole map$' "$T/t.txt"
expect timeline-ho-chart-no-zero test "$(grep -c '0 -> 0\|0\.0% -> 0\.0%' "$T/t.txt")" = 0

# --block-size: blocks and fragmentation follow from the same figures.
"$MPHEAP" timeline --json --block-size 16 "$T/log.txt" 2>/dev/null | flat >"$T/j16"
used=$(header used "$T/c13.hdr")
free=$(header free "$T/c13.hdr")
mf=$(header maxfree "$T/c13.hdr")
frag=$(awk -v f="$free" -v m="$mf" 'BEGIN { printf "%.6f", 1 - m / (f / 16) }')
expect timeline-ho-block-size test "$(get "$T/j16" rows.2.used_blocks)" = $((used / 16)) -a \
    "$(get "$T/j16" rows.2.largest_free_bytes)" = $((mf * 16)) -a "$(get "$T/j16" rows.2.fragmentation)" = "$frag" -a \
    "$(get "$T/j16" rows.2.allocations)" = null

"$MPHEAP" timeline --csv "$T/log.txt" 2>/dev/null | tr -d '\r' >"$T/t.csv"
col() { head -n 1 "$T/t.csv" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
line=$(sed -n 2p "$T/t.csv")
expect timeline-ho-csv test "$(echo "$line" | cut -d, -f"$(col used_bytes)")" = "$(header used "$T/c00.hdr")" -a \
    -z "$(echo "$line" | cut -d, -f"$(col allocations)")" -a -z "$(echo "$line" | cut -d, -f"$(col used_blocks)")" -a \
    "$(echo "$line" | cut -d, -f"$(col map)")" = none

# A map cut short (a real dump, its last 40 rows gone) after two whole ones:
# that row has the header's figures, and only the whole ones are compared.
n=$(wc -l <"$V/c00.txt")
{ echo "=== whole 1 ==="; cat "$V/c00.txt"; echo "=== whole 2 ==="; cat "$V/c00.txt"
  echo "=== cut ==="; head -n $((n - 40)) "$V/c00.txt"; } >"$T/cut.txt"
"$MPHEAP" timeline --json "$T/cut.txt" 2>/dev/null | flat >"$T/jc"
expect timeline-cut-row test "$(get "$T/jc" rows.2.map)" = partial -a \
    "$(get "$T/jc" rows.2.used_bytes)" = "$(header used "$V/c00.txt")" -a \
    "$(get "$T/jc" rows.2.largest_free_blocks)" = "$(header maxfree "$V/c00.txt")" -a \
    "$(get "$T/jc" rows.2.allocations)" = null -a "$(get "$T/jc" rows.0.map)" = whole -a \
    "$(get "$T/jc" suspects.steps)" = 1
expect timeline-cut-note grep -q '^notes\.0 row 3: the map is cut short, so the leak analysis left it out$' "$T/jc"

# Files mixed: a header-only dump between the sample's snapshots does not
# end the tracking of its growing list.
if [ -f "$S/seq-leak-5snapshots.txt" ]; then
    "$MPHEAP" timeline --json "$S/seq-leak-5snapshots.txt" | flat >"$T/full"
    "$MPHEAP" timeline --json "$S/seq-leak-5snapshots.txt" "$T/c13.hdr" 2>/dev/null | flat >"$T/mixed"
    expect timeline-mixed-suspects-kept test "$(get "$T/mixed" suspects.steps)" = 4 -a \
        "$(get "$T/mixed" suspects.growing_allocations.0.history_blocks.4)" = "$(get "$T/full" suspects.growing_allocations.0.history_blocks.4)" -a \
        "$(get "$T/mixed" rows.5.map)" = none -a "$(get "$T/mixed" block_size)" = "$(get "$T/full" block_size)"
else
    skip timeline-mixed-suspects-kept "$S is not here"
fi

# ------------------------------------------------------------------- diff

"$MPHEAP" diff --color never "$T/c00.hdr" "$T/c13.hdr" >"$T/d.txt" 2>/dev/null
u0=$(header used "$T/c00.hdr") u1=$(header used "$T/c13.hdr")
f0=$(header free "$T/c00.hdr") f1=$(header free "$T/c13.hdr")
m0=$(header maxfree "$T/c00.hdr") m1=$(header maxfree "$T/c13.hdr")
expect diff-ho-used grep -qx "used          $(group3 "$u0") -> $(group3 "$u1") bytes (-$(group3 $((u0 - u1))))" "$T/d.txt"
expect diff-ho-free grep -qx "free          $(group3 "$f0") -> $(group3 "$f1") bytes (-$(group3 $((f0 - f1))))" "$T/d.txt"
expect diff-ho-largest grep -qx "largest free  $(group3 "$m0") -> $(group3 "$m1") blocks (-$(group3 $((m0 - m1))))" "$T/d.txt"
expect diff-ho-no-false-sentences test "$(grep -c 'unknown\|has no map (\|unchanged 0\|^blocks \|^allocations  \|^by type\|new inside' "$T/d.txt")" = 0
expect diff-ho-needs-both-maps grep -q '^allocations and blocks: not compared, that needs both maps' "$T/d.txt"
"$MPHEAP" diff --color never "$T/c13.hdr" "$V/c13.txt" >"$T/d2.txt" 2>/dev/null
expect diff-ho-vs-full grep -qx "largest free  $(group3 "$m1") -> $(group3 "$m1") blocks (unchanged), at - -> 0x[0-9a-f]* (area [0-9]*)" "$T/d2.txt"
expect diff-ho-vs-full-one-line test "$(grep -c 'not compared, that needs both maps' "$T/d2.txt")" = 1 -a \
    "$(grep -c '^blocks \|^by type\|unknown' "$T/d2.txt")" = 0
