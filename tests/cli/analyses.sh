#!/usr/bin/env bash
# CLI tests of mpheap stats, diff, timeline and check.
#  - every figure of `stats --json` against stats-ref.awk, an independent
#    recomputation from the dump text (and the text report against the JSON);
#  - diffs and timelines of real snapshot pairs and sequences made at test time
#    by the WebAssembly MicroPython (board/, scripts in tests/data/mpy/) with
#    known actions between them, and of the real samples (tests/data/samples);
#  - check's exit codes, with limits taken from stats' own figures.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S=tests/data/samples
MPY=tests/data/mpy

flat() { awk -f tests/cli/json-flat.awk "$@"; }
# get FLATFILE PATH: the value at PATH ("" when absent)
get() { awk -v p="$2" '$1 == p { sub(/^[^ ]* /, ""); print; exit }' "$1"; }
# count FLATFILE REGEX: how many paths match
count() { awk -v r="$2" '$1 ~ r' "$1" | wc -l | tr -d ' '; }
# ceil(a / b)
ceil_div() { echo $((($1 + $2 - 1) / $2)); }

if [ ! -x "$MPHEAP" ]; then
    not_ok analyses-binary "$MPHEAP is not built"
    exit 0
fi

# ----------------------------------------------------- stats vs awk reference

stats_against_reference() { # NAME FILE SNAPSHOT
    local name=$1 file=$2 k=$3
    if ! "$MPHEAP" stats --json --fit 4096,1000,16 -s "$k" "$file" >"$T/s.json" 2>"$T/s.err"; then
        not_ok "$name" "mpheap stats failed: $(cat "$T/s.err")"
        return
    fi
    flat "$T/s.json" >"$T/got"
    awk -v snap="$k" -v fits=4096,1000,16 -f tests/cli/hex.awk -f tests/cli/stats-ref.awk "$file" >"$T/want"
    if awk -f tests/cli/hex.awk -f tests/cli/compare-figures.awk "$T/want" "$T/got" >"$T/cmp"; then
        ok "$name"
    else
        not_ok "$name" "$(head -n 5 "$T/cmp" | tr '\n' ';')"
    fi
    # The text report shows the same figures as the JSON.
    "$MPHEAP" stats --fit 4096,1000,16 -s "$k" "$file" >"$T/s.txt" 2>/dev/null
    awk '
        function num(s) { gsub(/,/, "", s); return s + 0 }
        /^heap /            { print "whole.total.blocks", num($2) }
        $1 == "used" && NF >= 2 { print "whole.used.blocks", num($2) }
        $1 == "free" && $2 ~ /^[0-9,]+$/ { print "whole.free.blocks", num($2) }
        /^largest free run/ { print "whole.largest_free.blocks", num($4)
                              if (match($0, /at 0x[0-9a-f]+/)) print "whole.largest_free.address", substr($0, RSTART + 3, RLENGTH - 3) }
        /^fragmentation /   { sub(/%/, "", $2); print "frag_percent", $2 }
        /^free runs /       { print "whole.free_runs", num($3) }
        /^allocations  /    { print "whole.allocations", num($2) }
        /^  [TLDSAFBMhm] [a-z]/ { print "whole.types." $1 ".allocations", num($3); print "whole.types." $1 ".blocks", num($4) }
        /bytes \([0-9,]+ blocks?\): / { n = $NF; print "fit." fit++ ".count", num(n) }
    ' "$T/s.txt" >"$T/text"
    local mismatch
    mismatch=$(awk '
        FNR == NR { v[$1] = $2; next }
        $1 == "frag_percent" { f = v["whole.fragmentation"] * 100; d = f - $2; if (d < -0.05 || d > 0.05) print "fragmentation " $2 "% vs " f; n++; next }
        $1 ~ /^fit\./ { p = "whole." $1 } $1 !~ /^fit\./ { p = $1 }
        { n++; if (!(p in v) || (v[p] != $2 && v[p] != "0x" $2)) print p ": text " $2 ", json " v[p] }
        END { if (n < 8) print "only " n " figures found in the text" }
    ' "$T/got" "$T/text")
    if [ -z "$mismatch" ]; then ok "$name-text"; else not_ok "$name-text" "$mismatch"; fi
}

if [ -d "$S" ]; then
    for f in "$S"/*.txt; do
        n=$(grep -c 'GC: total' "$f")
        for k in $(seq 1 "$n"); do
            stats_against_reference "stats-ref-$(basename "$f" .txt)-$k" "$f" "$k"
        done
    done
else
    skip stats-ref-samples "$S is not here"
fi

# ----------------------------------------------------------- stats options

if [ -d "$S" ]; then
    L=$S/seq-leak-5snapshots.txt
    n=$("$MPHEAP" stats -s all "$L" 2>/dev/null | grep -c '^largest free run')
    expect stats-all-snapshots test "$n" = "$(grep -c 'GC: total' "$L")"
    "$MPHEAP" stats --json -s all "$L" >/dev/null 2>&1
    expect stats-json-all-refused test $? = 2
    "$MPHEAP" stats --fit 4Q "$L" >/dev/null 2>&1
    expect stats-bad-fit test $? = 2
    "$MPHEAP" stats -s 'no such label' "$L" >/dev/null 2>&1
    expect stats-bad-snapshot test $? = 2
    "$MPHEAP" stats "$T/missing.txt" >/dev/null 2>&1
    expect stats-missing-file test $? = 4
    # The label selects the same snapshot as its number.
    "$MPHEAP" stats --json -s 'leak list len 180' "$L" | flat >"$T/a"
    "$MPHEAP" stats --json -s 3 "$L" | flat >"$T/b"
    expect stats-select-by-label cmp -s "$T/a" "$T/b"
    expect stats-schema test "$(get "$T/a" schema)" = mpheap/stats/2
fi

# -------------------------------------------------------------- diff (samples)

if [ -d "$S" ]; then
    L=$S/seq-leak-5snapshots.txt
    # A snapshot against itself: nothing changes.
    "$MPHEAP" diff --json --from 2 --to 2 "$L" | flat >"$T/d"
    expect diff-self-nothing-new test "$(get "$T/d" total.new)" = 0 -a "$(get "$T/d" total.gone)" = 0
    expect diff-self-all-unchanged test "$(get "$T/d" blocks.unchanged)" = "$(get "$T/d" old.blocks)"

    # --from/--to of one log equals the same two snapshots as two files.
    awk '/^=== SNAPSHOT 2\/5/ {on = 1} /^=== SNAPSHOT 3\/5/ {on = 0} on' "$L" >"$T/two.txt"
    awk '/^=== SNAPSHOT 3\/5/ {on = 1} /^=== SNAPSHOT 4\/5/ {on = 0} on' "$L" >"$T/three.txt"
    # (Only the sources' names and line numbers may differ.)
    "$MPHEAP" diff --json --from 2 --to 3 "$L" | flat | grep -v '\.name \|\.line ' >"$T/a"
    "$MPHEAP" diff --json "$T/two.txt" "$T/three.txt" | flat | grep -v '\.name \|\.line ' >"$T/b"
    expect diff-log-equals-files cmp -s "$T/a" "$T/b"
    # One log without --from: the last two snapshots.
    "$MPHEAP" diff --json "$L" | flat >"$T/c"
    "$MPHEAP" diff --json --from 4 --to 5 "$L" | flat >"$T/e"
    expect diff-log-default-last-two cmp -s "$T/c" "$T/e"

    # The text says what the JSON says.
    "$MPHEAP" diff --color never --no-map --from 2 --to 3 "$L" >"$T/d.txt"
    line=$(grep '^allocations  kept' "$T/d.txt" | sed 's/\([0-9]\),\([0-9]\)/\1\2/g')
    want="allocations  kept $(get "$T/a" total.kept), new $(get "$T/a" total.new), gone $(get "$T/a" total.gone)"
    expect diff-text-matches-json test "${line%%, net*}" = "$want"
    expect diff-json-lists-every-new test "$(count "$T/a" '^new_allocations\.[0-9]+\.type$')" = "$(get "$T/a" total.new)"
    expect diff-json-lists-every-gone test "$(count "$T/a" '^gone_allocations\.[0-9]+\.type$')" = "$(get "$T/a" total.gone)"

    # At the top: the largest free run and fragmentation, OLD -> NEW, as stats
    # gives them for each snapshot.
    "$MPHEAP" stats --json -s 2 "$L" | flat >"$T/s2"
    "$MPHEAP" stats --json -s 3 "$L" | flat >"$T/s3"
    o=$(get "$T/s2" whole.largest_free.bytes) n=$(get "$T/s3" whole.largest_free.bytes)
    delta=$((n - o))
    [ "$delta" -gt 0 ] && delta="+$delta"
    want="largest free  $o -> $n bytes ($delta), at $(get "$T/s2" whole.largest_free.address) -> $(get "$T/s3" whole.largest_free.address)"
    got=$(sed -n 3p "$T/d.txt" | sed 's/\([0-9]\),\([0-9]\)/\1\2/g')
    expect diff-top-largest-free test "$got" = "$want"
    want=$(awk -v a="$(get "$T/s2" whole.fragmentation)" -v b="$(get "$T/s3" whole.fragmentation)" \
        'BEGIN { x = sprintf("%.1f", 100 * a); y = sprintf("%.1f", 100 * b)
                 printf "fragmentation %s%% -> %s%% (%+.1f points)", x, y, y - x }')
    expect diff-top-fragmentation test "$(sed -n 4p "$T/d.txt")" = "$want"
    expect diff-json-largest-free test "$(get "$T/a" largest_free.old.bytes)" = "$o" -a "$(get "$T/a" largest_free.new.bytes)" = "$n" -a "$(get "$T/a" largest_free.change_bytes)" = "$((n - o))"

    # The lists, largest first; equal sizes in address order (area, then block).
    sorted_list() { # FLATFILE LIST: "ok" when LIST is in that order
        awk -v l="$2" '
            { split($1, p, ".") } p[1] == l && p[3] == "area" { a[p[2]] = $2 } p[1] == l && p[3] == "block" { b[p[2]] = $2 }
            p[1] == l && p[3] == "blocks" { s[p[2]] = $2; if (p[2] + 1 > n) n = p[2] + 1 }
            END { for (i = 1; i < n; i++) if (s[i] > s[i - 1] || (s[i] == s[i - 1] && (a[i] < a[i - 1] || (a[i] == a[i - 1] && b[i] < b[i - 1])))) { print "entry " i; exit }
                  print (n > 1 ? "ok" : "too short") }' "$1"
    }
    expect diff-json-new-largest-first test "$(sorted_list "$T/a" new_allocations)" = ok
    "$MPHEAP" diff --json --from 5 --to 1 "$L" | flat >"$T/a15"
    expect diff-json-gone-largest-first test "$(sorted_list "$T/a15" gone_allocations)" = ok
    # The text shows the first of the JSON's list, in its order.
    text_addrs=$(awk '/^new allocations/ { on = 1; next } on && /^  0x/ { print $1 } on && !/^  0x/ { exit }' "$T/d.txt" | tr '\n' ' ')
    json_addrs=$(for i in $(seq 0 19); do get "$T/a" "new_allocations.$i.address"; done | tr '\n' ' ')
    expect diff-text-list-is-json-order test "$text_addrs" = "$json_addrs"
    expect diff-text-list-says-order grep -q '^new allocations (601), largest first$' "$T/d.txt"

    # New inside OLD's largest free run: exactly the news that reach into it,
    # found here from the whole list of news (another code path), in address order.
    rb=$(get "$T/a" new_inside_old_largest_free.run.block)
    rn=$(get "$T/a" new_inside_old_largest_free.run.blocks)
    ra=$(get "$T/a" new_inside_old_largest_free.new_area)
    inside() { # FLATFILE LIST: "block:blocks:type" of the entries in the run, by block
        awk -v l="$2" -v rb="$rb" -v rn="$rn" -v ra="$ra" '
            { split($1, p, ".") } p[1] != l { next }
            p[2] == "allocations" { k = p[3]; f = p[4] } p[2] != "allocations" { k = p[2]; f = p[3] }
            { v[k, f] = $2; if (k + 1 > n) n = k + 1 }
            END { for (i = 0; i < n; i++) if (v[i, "area"] == ra && v[i, "block"] < rb + rn && v[i, "block"] + v[i, "blocks"] > rb)
                      print v[i, "block"] ":" v[i, "blocks"] ":" v[i, "type"] }' "$1" | sort -n
    }
    from_news=$(inside "$T/a" new_allocations | tr '\n' ' ')
    split_list=$(inside "$T/a" new_inside_old_largest_free | tr '\n' ' ')
    in_order=$(awk '$1 ~ /^new_inside_old_largest_free\.allocations\.[0-9]+\.block$/ { print $2 }' "$T/a" | tr '\n' ' ')
    expect diff-split-is-the-news-in-the-run test -n "$from_news" -a "$from_news" = "$split_list" -a "$(echo "$from_news" | wc -w)" = "$(get "$T/a" new_inside_old_largest_free.count)"
    expect diff-split-address-order test "$in_order" = "$(echo "$in_order" | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')"
    want="new inside the largest free run of OLD ($(get "$T/a" new_inside_old_largest_free.run.address), $(get "$T/a" new_inside_old_largest_free.run.bytes) bytes): these split it"
    expect diff-split-text-heading test "$(grep '^new inside' "$T/d.txt" | sed 's/\([0-9]\),\([0-9]\)/\1\2/g')" = "$want"
    count_line=$(grep -A1 '^new inside' "$T/d.txt" | tail -n 1 | sed 's/\([0-9]\),\([0-9]\)/\1\2/g')
    expect diff-split-text-count test "${count_line%% allocations*}" = "  $(get "$T/a" new_inside_old_largest_free.count)"
    # Nothing new in it: one line, and an empty array.
    "$MPHEAP" diff --color never --no-map --from 2 --to 2 "$L" >"$T/self.txt"
    expect diff-split-none-text grep -q '^new inside the largest free run of OLD (0x[0-9a-f]*, [0-9,]* bytes): none, all of it is still free in NEW$' "$T/self.txt"
    "$MPHEAP" diff --json --from 2 --to 2 "$L" >"$T/self.json"
    expect diff-split-none-json grep -q '"allocations": \[\]' "$T/self.json"

    # The text as a reader sees it (UPDATE_GOLDEN=1 rewrites: then read the diff).
    golden_text() { # NAME MPHEAP-ARGS...: against tests/data/golden/NAME.out, sample paths cut
        local name=$1 want=tests/data/golden/$1.out
        shift
        "$MPHEAP" "$@" 2>&1 | sed "s#$S/##g" >"$T/golden"
        [ "${UPDATE_GOLDEN:-}" = 1 ] && cp "$T/golden" "$want"
        if cmp -s "$T/golden" "$want"; then ok "golden-$name"; else
            not_ok "golden-$name" "$(diff "$want" "$T/golden" 2>&1 | head -n 8 | tr '\n' ';')"
        fi
    }
    golden_text diff-leak-2-3 diff --color never --no-map --from 2 --to 3 "$L"
    golden_text diff-leak-5-1 diff --color never --no-map --list 5 --from 5 --to 1 "$L"
    golden_text timeline-leak timeline --ascii "$L"

    # --changed-only: fewer lines, and each map line it prints has a change.
    "$MPHEAP" diff --color never -c 1 --from 2 --to 3 "$L" >"$T/full.txt"
    "$MPHEAP" diff --color never -c 1 --changed-only --from 2 --to 3 "$L" >"$T/changed.txt"
    rows_full=$(grep -c '^0x[0-9a-f]* ' "$T/full.txt")
    rows_changed=$(grep -c '^0x[0-9a-f]* ' "$T/changed.txt")
    unchanged_rows=$(grep '^0x[0-9a-f]* ' "$T/changed.txt" | grep -vc '[-+~]')
    expect diff-changed-only-fewer test "$rows_changed" -lt "$rows_full" -a "$rows_changed" -gt 0
    expect diff-changed-only-all-changed test "$unchanged_rows" = 0
    # Mono map: the glyph counts are the class counts.
    plus=$(grep '^0x[0-9a-f]* ' "$T/full.txt" | cut -d' ' -f2- | tr -cd '+' | wc -c)
    minus=$(grep '^0x[0-9a-f]* ' "$T/full.txt" | cut -d' ' -f2- | tr -cd '-' | wc -c)
    expect diff-map-allocated-cells test "$plus" = "$(get "$T/a" blocks.allocated)"
    expect diff-map-freed-cells test "$minus" = "$(get "$T/a" blocks.freed)"
    legend=$(sed -n '/^legend /,/^[^ l]/p' "$T/full.txt" | sed '$d')
    expect diff-legend grep -q 'allocated.*freed.*reused' <<<"$(tr '\n' ' ' <<<"$legend")"
    # The legend fits the terminal (80 columns when it is not one, as here).
    expect diff-legend-fits test "$(awk '{ gsub(/\033\[[0-9;]*m/, ""); if (length($0) > 80) n++ } END { print n + 0 }' <<<"$legend")" = 0

    # OLD and NEW are read on two threads, but their warnings come in order:
    # OLD's first, every time (NEW's are held until OLD's are out).
    sed 's/ No. of 1-blocks: [0-9]*/ No. of 1-blocks: 1/' "$T/two.txt" >"$T/two-w.txt"
    sed 's/ No. of 1-blocks: [0-9]*/ No. of 1-blocks: 2/' "$T/three.txt" >"$T/three-w.txt"
    order="" want=""
    for i in 1 2 3 4 5 6 7 8 9 10; do
        order="$order $("$MPHEAP" diff --no-map "$T/two-w.txt" "$T/three-w.txt" 2>&1 >/dev/null |
            sed -n 's/^mpheap: \([^:]*\):.*warning.*/\1/p' | tr '\n' ' ')"
        want="$want $T/two-w.txt $T/three-w.txt "
    done
    expect diff-warnings-in-order test "$order" = "$want"

    # Another run of the same program: another base address, same offsets.
    sed 's/from 7f2e6844fc00:/from 7f0012340000:/' "$T/two.txt" >"$T/two-moved.txt"
    "$MPHEAP" diff --json "$T/two.txt" "$T/two-moved.txt" | flat >"$T/m"
    expect diff-other-run-by-order test "$(get "$T/m" alignment)" = order
    expect diff-other-run-nothing-new test "$(get "$T/m" total.new)" = 0 -a "$(get "$T/m" total.gone)" = 0
    # Free lines written out instead of "(N lines all free)": other text positions, same heap.
    awk 'function hex(h, i, v) { v = 0; for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return v }
         /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]: / { if (prev != "" && step == 0) step = hex(substr($0, 1, 8)) - prev; prev = hex(substr($0, 1, 8)) }
         /lines all free\)/ { k = $0; sub(/^ *\(/, "", k); sub(/ .*/, "", k)
             for (i = 1; i <= k + 0; i++) printf "%08x: %s\n", prev + i * step, "................................................................"
             prev += k * step; next }
         { print }' "$T/two.txt" >"$T/two-expanded.txt"
    if grep -q 'lines all free' "$T/two.txt"; then
        "$MPHEAP" diff --json "$T/two.txt" "$T/two-expanded.txt" 2>/dev/null | flat >"$T/x"
        expect diff-not-by-text-position test "$(get "$T/x" total.new)" = 0 -a "$(get "$T/x" total.gone)" = 0 -a "$(get "$T/x" blocks.unchanged)" = "$(get "$T/x" old.blocks)"
    else
        skip diff-not-by-text-position "snapshot 2 of the leak sample has no collapsed free lines"
    fi

    # Different block sizes: said so, only the totals.
    "$MPHEAP" diff --color never "$S/u32-frag-256k.txt" "$S/u64-objects-256k.txt" >"$T/bs.txt"
    expect diff-block-sizes-differ grep -q 'cannot align the blocks: OLD has blocks of 16 bytes, NEW of 32' "$T/bs.txt"
    expect diff-block-sizes-split-unknown grep -q '^new inside the largest free run of OLD: not known, the blocks of OLD and NEW cannot be aligned$' "$T/bs.txt"
    # Each side's largest free run in its own bytes: still comparable.
    expect diff-block-sizes-largest-free grep -q '^largest free  99,616 -> 230,496 bytes (+130,880), at 0x' "$T/bs.txt"
    "$MPHEAP" diff --json "$S/u32-frag-256k.txt" "$S/u64-objects-256k.txt" | flat >"$T/bsj"
    expect diff-block-sizes-split-json test "$(get "$T/bsj" new_inside_old_largest_free.allocations)" = null
    # mem_info() without its argument: a header and no map. Nothing is paired
    # (no "the heap grew a new area"), and no count of its allocations is made up.
    grep -m 2 '^GC: total\|No. of 1-blocks' "$S/u32-frag-256k.txt" >"$T/header-only.txt"
    "$MPHEAP" diff --color never "$T/header-only.txt" "$S/u32-frag-256k.txt" >"$T/ho.txt" 2>/dev/null
    expect diff-header-only-said grep -q '^aligned  cannot align the blocks: OLD has no map' "$T/ho.txt"
    expect diff-header-only-no-false-growth test "$(grep -c 'grew a new area\|^allocations by type' "$T/ho.txt")" = 0
    # Its header's max free sz is the largest free run, in blocks (this header cannot tell its block size).
    mf=$(sed -n 's/.*max free sz: \([0-9]*\).*/\1/p' "$T/header-only.txt" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta')
    expect diff-header-only-largest-free grep -q "^largest free  $mf -> $mf blocks (unchanged), at - -> 0x" "$T/ho.txt"
    "$MPHEAP" diff --json "$T/header-only.txt" "$S/u32-frag-256k.txt" 2>/dev/null | flat >"$T/hoj"
    "$MPHEAP" stats --json "$S/u32-frag-256k.txt" | flat >"$T/u32s"
    expect diff-header-only-json test "$(get "$T/hoj" total.old_total)" = null -a "$(get "$T/hoj" total.new_total)" = "$(get "$T/u32s" whole.allocations)" -a "$(get "$T/hoj" largest_free.old.blocks)" = null
    "$MPHEAP" diff "$L" "$L" "$L" >/dev/null 2>&1
    expect diff-usage test $? = 2
fi

# ---------------------------------------------------------- timeline (sample)

if [ -d "$S" ]; then
    L=$S/seq-leak-5snapshots.txt
    "$MPHEAP" timeline --json "$L" | flat >"$T/t"
    expect timeline-schema test "$(get "$T/t" schema)" = mpheap/timeline/3
    # The growing list is the top suspect: its item array (h) holds at least
    # `len` 8-byte pointers in every snapshot, len read from the labels.
    since=$(get "$T/t" suspects.growing_allocations.0.since)
    okay=$([ "$(get "$T/t" suspects.growing_allocations.0.type)" = h ] && echo yes || echo no)
    k=0
    while [ -n "$since" ] && [ $((since + k)) -le 5 ]; do
        blocks=$(get "$T/t" "suspects.growing_allocations.0.history_blocks.$k")
        len=$(get "$T/t" "rows.$((since + k - 1)).label" | sed -n 's/.*leak list len \([0-9]*\).*/\1/p')
        [ -n "$blocks" ] && [ -n "$len" ] && [ $((blocks * 32)) -ge $((len * 8)) ] || okay=no
        k=$((k + 1))
    done
    expect timeline-leak-top-suspect-is-the-list test "$okay" = yes -a "$k" -ge 2
    "$MPHEAP" timeline --ascii "$L" >"$T/t.txt"
    expect timeline-text-first-suspect grep -q '^  1\. allocation h other at 0x' "$T/t.txt"
    expect timeline-text-ascii-chart grep -Eq '^  used +[_.~=+*#-]{5} ' "$T/t.txt"
    # Each row's figures are stats' figures of that snapshot.
    bad=0
    for k in 1 2 3 4 5; do
        "$MPHEAP" stats --json -s "$k" "$L" | flat >"$T/sk"
        [ "$(get "$T/t" "rows.$((k - 1)).used_bytes")" = "$(get "$T/sk" whole.used.bytes)" ] || bad=1
        [ "$(get "$T/t" "rows.$((k - 1)).largest_free_bytes")" = "$(get "$T/sk" whole.largest_free.bytes)" ] || bad=1
        [ "$(get "$T/t" "rows.$((k - 1)).types.D.0")" = "$(get "$T/sk" whole.types.D.allocations)" ] || bad=1
    done
    expect timeline-rows-equal-stats test "$bad" = 0
    # CSV: a header and one line per snapshot, the same used bytes as the JSON.
    "$MPHEAP" timeline --csv "$L" | tr -d '\r' >"$T/t.csv"
    expect timeline-csv-lines test "$(wc -l <"$T/t.csv")" = 6
    col=$(head -n 1 "$T/t.csv" | tr ',' '\n' | grep -nx used_bytes | cut -d: -f1)
    csv_used=$(sed -n 4p "$T/t.csv" | cut -d, -f"$col")
    expect timeline-csv-equals-json test -n "$col" -a "$csv_used" = "$(get "$T/t" rows.2.used_bytes)"
    # Several files: one row each, in order.
    "$MPHEAP" timeline --json "$S/u64-objects-256k.txt" "$S/u32-frag-256k.txt" | flat >"$T/t2"
    expect timeline-files test "$(count "$T/t2" '^rows\.[0-9]+\.index$')" = 2 -a "$(get "$T/t2" rows.1.label)" = "objects allocated: 2560 kept: 1280"
fi

# ------------------------------------------------------------------- check

if [ -d "$S" ]; then
    F=$S/u32-frag-256k.txt
    "$MPHEAP" stats --json --fit 4096 "$F" | flat >"$T/f"
    largest=$(get "$T/f" whole.largest_free.bytes)
    used=$(get "$T/f" whole.used.bytes)
    frag=$(get "$T/f" whole.fragmentation)
    fits=$(get "$T/f" whole.fit.0.count)
    strs=$(get "$T/f" whole.types.S.allocations)
    "$MPHEAP" check --min-largest-free "$largest" --max-used "$used" --fit "4096=$fits" \
        --max-allocs-of "S=$strs" --max-allocs-of "str=$strs" "$F" >"$T/c.txt"
    expect check-at-the-limits-pass test $? = 0
    expect check-pass-says-ok grep -q ': ok, 5 limits hold' "$T/c.txt"
    "$MPHEAP" check --min-largest-free $((largest + 1)) --fit "4096=$((fits + 1))" "$F" >"$T/c.txt"
    expect check-beyond-fails test $? = 1
    expect check-names-broken-limits test "$(grep -c '^FAIL min-largest-free\|^FAIL fit' "$T/c.txt")" = 2
    # K suffix: the largest free run rounded down to KiB passes, up fails.
    kib=$((largest / 1024))
    "$MPHEAP" check --min-largest-free "${kib}K" -q "$F"
    expect check-size-suffix-pass test $? = 0
    "$MPHEAP" check --min-largest-free "$((kib + 1))K" -q "$F"
    expect check-size-suffix-fail test $? = 1
    # Fragmentation as a fraction or a percentage, either side of the figure.
    below=$(awk -v f="$frag" 'BEGIN { printf "%.4f", f - 0.0001 }')
    above_pct=$(awk -v f="$frag" 'BEGIN { printf "%.2f%%", f * 100 + 0.01 }')
    "$MPHEAP" check --max-fragmentation "$below" -q "$F"
    expect check-fragmentation-fraction test $? = 1
    "$MPHEAP" check --max-fragmentation "$above_pct" -q "$F"
    expect check-fragmentation-percent test $? = 0
    "$MPHEAP" check --max-fragmentation 35 "$F" >/dev/null 2>&1
    expect check-ambiguous-fraction-refused test $? = 2
    "$MPHEAP" check "$F" >/dev/null 2>&1
    expect check-needs-a-limit test $? = 2
    "$MPHEAP" check --max-used 0% --json "$F" | flat >"$T/cj"
    expect check-json test "$(get "$T/cj" schema)" = mpheap/check/1 -a "$(get "$T/cj" ok)" = false -a "$(get "$T/cj" limits.0.kind)" = max_used_fraction
    # Every snapshot of a log: one broken one is enough.
    L=$S/seq-leak-5snapshots.txt
    "$MPHEAP" stats --json -s 1 "$L" | flat >"$T/l1"
    "$MPHEAP" check -s all --max-used "$(get "$T/l1" whole.used.bytes)" -q "$L"
    expect check-all-snapshots test $? = 1
    "$MPHEAP" check -s 1 --max-used "$(get "$T/l1" whole.used.bytes)" -q "$L"
    expect check-first-snapshot test $? = 0
fi

# ------------------------------------- real MicroPython (WebAssembly board)

if ! command -v node >/dev/null 2>&1; then
    skip board-analyses "node is not installed (the WebAssembly board needs Node.js >= 20)"
    exit 0
fi
# Every document parses as JSON (node's parser), labels with quotes and
# backslashes included; the schema member comes first.
json_ok() { # NAME: reads the document on stdin
    if node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
            const j = JSON.parse(s);
            if (!/^mpheap\/[a-z]+\/[0-9]+$/.test(j.schema) || Object.keys(j)[0] !== "schema") process.exit(1);
        })' 2>"$T/json.err"; then ok "$1"; else not_ok "$1" "$(head -c 200 "$T/json.err")"; fi
}
if [ -d "$S" ]; then
    { printf '=== say "hi" \\ now ===\n'; tail -n +2 "$S/u32-frag-256k.txt"; } >"$T/quoted.txt"
    for f in "$S"/*.txt "$T/quoted.txt"; do
        b=$(basename "$f" .txt)
        "$MPHEAP" stats --json --fit 1K "$f" 2>/dev/null | json_ok "json-valid-stats-$b"
        "$MPHEAP" diff --json "$f" "$S/u64-objects-256k.txt" 2>/dev/null | json_ok "json-valid-diff-$b"
        "$MPHEAP" timeline --json "$f" 2>/dev/null | json_ok "json-valid-timeline-$b"
        "$MPHEAP" check --json --max-used 50% --max-allocs-of D=5 "$f" 2>/dev/null | json_ok "json-valid-check-$b"
    done
    label=$("$MPHEAP" stats --json "$T/quoted.txt" | flat | awk '$1 == "source.label" { sub(/^[^ ]* /, ""); print }')
    expect json-label-escaped test "$label" = 'say "hi" \ now'
fi

if [ ! -d board/node_modules ]; then
    skip board-analyses "board/node_modules is missing (run: npm ci --prefix board)"
    exit 0
fi
run_board() { # OUT ARGS... : run MicroPython steps, output into OUT
    local out=$1
    shift
    if ! node board/run-script.mjs "$@" >"$out" 2>"$out.err"; then
        not_ok "board-run" "node board/run-script.mjs $*: $(head -c 300 "$out.err")"
        return 1
    fi
}

# One bytearray of N bytes: exactly one new A (the object, one block) and its
# buffer (h, ceil(N / 16) blocks); nothing gone, nothing freed or reused.
for n in 100 1000 5000; do
    run_board "$T/ba.txt" --heap 64K -c "N = $n" "$MPY/alloc-bytearray.py" || continue
    stats_against_reference "board-stats-ref-bytearray-$n" "$T/ba.txt" 2
    "$MPHEAP" diff --json "$T/ba.txt" | flat >"$T/ba"
    buf=$(ceil_div "$n" 16)
    a_blocks=$(awk '$1 ~ /^new_allocations\.[0-9]+\.type$/ && $2 == "A" { sub(/type$/, "blocks", $1); print $1 }' "$T/ba")
    h_blocks=$(awk '$1 ~ /^new_allocations\.[0-9]+\.type$/ && $2 == "h" { sub(/type$/, "blocks", $1); print $1 }' "$T/ba")
    expect "board-bytearray-$n-two-new" test "$(get "$T/ba" total.new)" = 2 -a "$(get "$T/ba" total.gone)" = 0
    expect "board-bytearray-$n-one-A" test "$(get "$T/ba" types.A.new)" = 1 -a -n "$a_blocks" -a "$(get "$T/ba" "$a_blocks")" = 1
    expect "board-bytearray-$n-buffer" test -n "$h_blocks" -a "$(get "$T/ba" "$h_blocks")" = "$buf"
    expect "board-bytearray-$n-blocks" test "$(get "$T/ba" blocks.allocated)" = $((buf + 1)) -a "$(get "$T/ba" blocks.freed)" = 0 -a "$(get "$T/ba" blocks.reused)" = 0
    # A buffer too big for the holes below the fresh heap's largest free run
    # goes to that run's first block (first fit): it is what splits the run.
    if [ "$n" -ge 1000 ]; then
        first=new_inside_old_largest_free.allocations.0
        expect "board-bytearray-$n-splits-the-run" test "$(get "$T/ba" $first.type)" = h -a "$(get "$T/ba" $first.blocks)" = "$buf" -a "$(get "$T/ba" $first.block)" = "$(get "$T/ba" new_inside_old_largest_free.run.block)"
        "$MPHEAP" diff --no-map --color never "$T/ba.txt" | sed -n '/^new inside/,/^$/p' >"$T/ba.out"
        expect "board-bytearray-$n-split-text" grep -q "^  0x[0-9a-f]* *h other *$buf blocks *[0-9,]* bytes$" "$T/ba.out"
    fi
done

# Delete a list of 200 strings and collect: exactly the list (L and its item
# array of 200 4-byte pointers = 50 blocks) and the strings (200 S, each with
# its data, h) are gone. Documented noise: the snapshot step's own code (a few
# small h) can move into the freed blocks: as many small h new as gone beyond
# the list's, none larger than 2 blocks.
run_board "$T/drop.txt" --heap 64K "$MPY/make-list.py" -c "gc.collect()" "$MPY/snap.py" \
    "$MPY/drop-list.py" "$MPY/snap.py" && {
    "$MPHEAP" diff --json "$T/drop.txt" | flat >"$T/dr"
    expect board-drop-list-strings test "$(get "$T/dr" types.S.gone)" = 200 -a "$(get "$T/dr" types.S.new)" = 0
    expect board-drop-list-list test "$(get "$T/dr" types.L.gone)" = 1 -a "$(get "$T/dr" types.L.new)" = 0
    items=$(awk '$1 ~ /^gone_allocations\.[0-9]+\.type$/ && $2 == "h" { sub(/type$/, "blocks", $1); print $1 }' "$T/dr" |
        while read -r p; do get "$T/dr" "$p"; done | grep -cx 50)
    expect board-drop-list-item-array test "$items" = 1
    noise_new=$(get "$T/dr" types.h.new)
    noise_gone=$(($(get "$T/dr" types.h.gone) - 201))
    big_new=$(awk '$1 ~ /^new_allocations\.[0-9]+\.blocks$/ && $2 > 2' "$T/dr" | wc -l)
    expect board-drop-list-noise test "$noise_new" = "$noise_gone" -a "$noise_new" -le 4 -a "$big_new" = 0 -a "$(get "$T/dr" total.new)" = "$noise_new"
    other_types=$(awk '$1 ~ /^types\.[TDAFBMm]\.(new|gone)$/ && $2 != 0' "$T/dr" | wc -l)
    expect board-drop-list-nothing-else test "$other_types" = 0
}

# The heap grows a new area: the diff says so and counts that area's used
# blocks as allocated.
run_board "$T/grow.txt" --heap 16K "$MPY/grow-heap.py" && {
    "$MPHEAP" diff --json "$T/grow.txt" | flat >"$T/g"
    "$MPHEAP" stats --json -s 2 "$T/grow.txt" | flat >"$T/gs"
    pair=$(awk '$1 ~ /^area_pairs\.[0-9]+\.old_area$/ && $2 == "null" { sub(/\.old_area$/, "", $1); print $1 }' "$T/g")
    new_area=$(get "$T/g" "$pair.new_area")
    expect board-new-area-paired test -n "$pair" -a "$(get "$T/gs" areas.1.index)" = 2 -a "$new_area" = 2
    expect board-new-area-allocated test "$(get "$T/g" "$pair.allocated")" = "$(get "$T/gs" areas.1.used.blocks)"
    expect board-new-area-note grep -q 'the heap grew a new area' "$T/g"
    expect board-new-area-bytearrays test "$(get "$T/g" types.A.new)" = 24
}

# A list that grows over six rounds (25 records each): its item array is the
# top suspect, with room for `len` 4-byte pointers at every snapshot (len from
# the labels), and the records (dicts) are growing types and survivors.
args=("$MPY/leak-setup.py" -c "gc.collect()" -c "snap()")
for k in 1 2 3 4 5 6; do args+=(-c "work(25); gc.collect()" -c "snap()"); done
run_board "$T/leak.txt" --heap 64K "${args[@]}" && {
    "$MPHEAP" timeline --json "$T/leak.txt" | flat >"$T/lt"
    rows=$(count "$T/lt" '^rows\.[0-9]+\.index$')
    since=$(get "$T/lt" suspects.growing_allocations.0.since)
    okay=$([ "$(get "$T/lt" suspects.growing_allocations.0.type)" = h ] && echo yes || echo no)
    k=0
    while [ -n "$since" ] && [ $((since + k)) -le "$rows" ]; do
        blocks=$(get "$T/lt" "suspects.growing_allocations.0.history_blocks.$k")
        len=$(get "$T/lt" "rows.$((since + k - 1)).label" | sed -n 's/SNAPSHOT len \([0-9]*\)/\1/p')
        [ -n "$blocks" ] && [ -n "$len" ] && [ $((blocks * 16)) -ge $((len * 4)) ] || okay=no
        k=$((k + 1))
    done
    expect board-leak-rows test "$rows" = 7
    expect board-leak-top-suspect-is-the-list test "$okay" = yes -a "$k" -ge 3 -a "$(get "$T/lt" suspects.growing_allocations.0.grew)" -ge 2
    dict=$(awk '$1 ~ /^suspects\.growing_types\.[0-9]+\.type$/ && $2 == "D"' "$T/lt" | wc -l)
    expect board-leak-dicts-grow test "$dict" = 1
    # 25 dicts per round survive from the round that made them.
    g=$(awk '$1 ~ /^suspects\.survivor_groups\.[0-9]+\.since$/ && $2 == 3 { sub(/since$/, "types.D.0", $1); print $1 }' "$T/lt")
    expect board-leak-survivors test -n "$g" -a "$(get "$T/lt" "$g")" = 25
    stats_against_reference board-stats-ref-leak-last "$T/leak.txt" 7
}

# Growth must be sustained to make a type a suspect. Five snapshots: one
# bytearray more each round (A rises in every step), and in round 3 one tuple
# kept for good (T goes 0 -> 1 once: noise, not a leak).
setup='import micropython, gc
hold = []
def snap(k):
    print("=== steady %d ===" % k)
    micropython.mem_info(1)'
args=(-c "$setup" -c "gc.collect()" -c "snap(1)")
for k in 2 3 4 5; do
    once=""
    [ "$k" = 3 ] && once="; once = tuple(range(3))"
    args+=(-c "hold.append(bytearray(64))$once; gc.collect()" -c "snap($k)")
done
run_board "$T/steady.txt" --heap 64K "${args[@]}" && {
    "$MPHEAP" timeline --json "$T/steady.txt" | flat >"$T/st"
    series() { for r in 0 1 2 3 4; do get "$T/st" "rows.$r.types.$1.0"; done | tr '\n' ' '; }
    listed() { awk -v t="$1" '$1 ~ /^suspects\.growing_types\.[0-9]+\.type$/ && $2 == t' "$T/st" | wc -l | tr -d ' '; }
    t_series=$(series T) a_series=$(series A)
    # The board did what the test says (else the checks below prove nothing).
    expect board-steady-tuple-once test "$t_series" = "0 0 1 1 1 "
    expect board-steady-bytearrays test "$a_series" = "0 1 2 3 4 "
    expect board-steady-one-rise-not-a-suspect test "$(listed T)" = 0
    expect board-steady-growth-a-suspect test "$(listed A)" = 1
    "$MPHEAP" timeline --ascii "$T/steady.txt" >"$T/steady.out"
    expect board-steady-text grep -q '^  [0-9]\. type A bytearray/array grows: 0 -> 4 allocations, 0 bytes -> 64 bytes; rose in 4 of 4 steps$' "$T/steady.out"
    expect board-steady-text-no-tuple test "$(grep -c 'type T tuple' "$T/steady.out")" = 0
    expect board-steady-first-seen grep -q '^  first seen in snapshot 3: ' "$T/steady.out"
}
exit 0
