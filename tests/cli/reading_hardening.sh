#!/usr/bin/env bash
# Issue 14, reading: one damaged dump must not poison a log (2), a log of big snapshots takes
# a few snapshots' memory, not the sum (8), an area past the end of the address space is an
# error (9), and a heap over 4 GiB, whose GC total MicroPython prints modulo 2^32, reads (7).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# run NAME WANT-RC ARGS...: the exit code, stdout in $TMP/out, stderr in $TMP/err
run() {
    local name=$1 want=$2 rc
    shift 2
    "$MPHEAP" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -ge 128 ] || grep -q -E 'Sanitizer|runtime error' "$TMP/err"; then
        not_ok "reading/$name" "crashed (exit $rc): $(head -c 400 "$TMP/err")"
        return 1
    fi
    if [ "$rc" != "$want" ]; then
        not_ok "reading/$name" "exit $rc, expected $want; stderr: $(head -c 400 "$TMP/err")"
        return 1
    fi
    return 0
}
# has NAME FILE TEXT: FILE holds TEXT
has() { if grep -q -F -- "$3" "$2"; then ok "reading/$1"; else not_ok "reading/$1" "no '$3' in: $(head -c 600 "$2")"; fi; }

# A good v1.20 dump (tests/data/malformed/abbrev-huge.txt with its damage undone).
sed 's/(99999999 lines/(112 lines/' tests/data/malformed/abbrev-huge.txt >"$TMP/good"
# The same dump with its second row printed twice (issue 14's "board repeats a map row").
awk '{ print } /^00000800: / { print }' "$TMP/good" >"$TMP/bad"
n_good=$(wc -l <"$TMP/good")
{
    echo '=== mpheap 1/3: before ==='; cat "$TMP/good"; echo '>>> '
    echo '=== mpheap 2/3: broken ==='; cat "$TMP/bad"; echo '>>> '
    echo '=== mpheap 3/3: after ==='; cat "$TMP/good"
} >"$TMP/log"
# The repeated row: the 8th line of the second dump (its marker, 5 header lines, 2 rows).
bad_line=$((1 + n_good + 1 + 1 + 7 + 1))
log=$TMP/log

if run good-first-shows 0 show --color never --snapshot 1 "$log"; then
    has good-first-is-first "$TMP/out" "snapshot 1 of 2: mpheap 1/3: before"
    has good-first-says-damage "$TMP/err" "mpheap: $log:$bad_line:1: error: row offset 00000800, expected 00001000"
    has good-first-says-which "$TMP/err" "dump 2 of the input (mpheap 2/3: broken) is damaged: left out, between snapshots 1 and 2"
fi
# The third dump is snapshot 2: snapshots are numbered without the damaged one.
if run after-shows 0 show --color never --snapshot after "$log"; then
    has after-is-2 "$TMP/out" "after"
fi
run second-shows 0 stats --snapshot 2 "$log" && ok reading/second-shows
if run all-exits-3 3 show --color never --snapshot all "$log"; then
    has all-shows-the-others "$TMP/out" "mpheap 3/3: after"
    has all-says-which "$TMP/err" "dump 2 of the input"
fi
run stats-all-exits-3 3 stats --snapshot all "$log" && ok reading/stats-all-exits-3
run timeline-exits-3 3 timeline "$log" && has timeline-has-both "$TMP/out" "after"

# 8: show and stats of one snapshot keep its map alone; every dump is still read and checked.
if run keep-one-map 0 stats --snapshot 2 "$log"; then
    has keep-one-map-still-checks "$TMP/err" "dump 2 of the input"
fi
# 8: timeline reads a log as a stream: the map being read and, of the one before, only its list
# of allocations (the leak analysis compares the pair by their lists), not every map: one map.
# 16 dumps of ~200 bytes, each a 128 MiB heap of 4-byte blocks, "(524287 lines all free)":
# 32 MiB of cells each, 512 MiB for all; an allocation at the start grows by a block a dump.
if cc -O2 -o "$TMP/maxrss" bench/maxrss.c 2>/dev/null; then
    for i in $(seq 0 15); do
        printf '=== mpheap %d ===\nGC: total: 134217728, used: %d, free: %d\n' $((i + 1)) \
            $(((i + 1) * 4)) $((134217728 - (i + 1) * 4))
        printf 'GC memory layout; from 10000000:\n00000000: h%s%s\n' \
            "$(printf '%*s' "$i" '' | tr ' ' '=')" "$(printf '%*s' $((63 - i)) '' | tr ' ' '.')"
        printf '       (524287 lines all free)\n'
    done >"$TMP/big16"
    head -n 5 "$TMP/big16" | sed 's/524287 lines/3 lines/; s/134217728, used: 4, free: 134217724/1024, used: 4, free: 1020/' >"$TMP/small1"
    # ASan keeps freed memory in quarantine: without it, its peak is the program's too.
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
    "$TMP/maxrss" -o "$TMP/small.rss" -- "$MPHEAP" timeline --no-pager "$TMP/small1" >/dev/null 2>&1
    "$TMP/maxrss" -o "$TMP/big.rss" -t 120 -- "$MPHEAP" timeline --no-pager "$TMP/big16" >"$TMP/out" 2>"$TMP/err"
    read -r _ base _ <"$TMP/small.rss"
    read -r wall kib rc <"$TMP/big.rss"
    # One map (32 MiB) and 8 MiB to spare; a second map (a copy of the one before, or a class
    # byte per block) would not fit.
    limit=$((base + 32768 + 8192))
    echo "timeline of 16 x 32 MiB of cells: peak RSS ${kib} KiB (a 1-block log: ${base} KiB; limit ${limit}: one map + 8 MiB; every map: 524288 more), ${wall} s"
    expect timeline-stream-exit-0 [ "$rc" = 0 ]
    expect timeline-stream-memory [ "$kib" -le "$limit" ]
    has timeline-stream-rows "$TMP/out" "timeline of 16 snapshots, blocks of 4 bytes"
    has timeline-stream-last "$TMP/out" "  16  mpheap 16                         64 bytes   128.0 MiB"
    has timeline-stream-suspect "$TMP/out" "keeps growing: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 blocks (4 bytes → 64 bytes), first seen in snapshot 1; grew 15 times"
    # 8: show --snapshot 1 keeps that map alone; the 15 others are read and checked row by
    # row, never stored: one map's cells (32 MiB) and a margin, not two maps (64 MiB).
    "$TMP/maxrss" -o "$TMP/show1.rss" -t 120 -- "$MPHEAP" show --color never -c 4 --snapshot 1 "$TMP/big16" >"$TMP/out" 2>"$TMP/err"
    read -r wall kib rc <"$TMP/show1.rss"
    limit=$((base + 32768 + 8192))
    echo "show --snapshot 1 of 16 x 32 MiB of cells: peak RSS ${kib} KiB (limit ${limit}: one map + 8 MiB; two maps: $((base + 65536))), ${wall} s"
    expect show-one-map-exit-0 [ "$rc" = 0 ]
    expect show-one-map-memory [ "$kib" -le "$limit" ]
    has show-one-map-first "$TMP/out" "snapshot 1 of 16: mpheap 1"
    # 8: show of the last (the default) from a file gives each map back as soon as the next
    # dump's map begins: one map too.
    "$TMP/maxrss" -o "$TMP/showlast.rss" -t 120 -- "$MPHEAP" show --color never -c 4 "$TMP/big16" >"$TMP/out" 2>"$TMP/err"
    read -r wall kib rc <"$TMP/showlast.rss"
    echo "show (the last) of 16 x 32 MiB of cells: peak RSS ${kib} KiB (limit ${limit}), ${wall} s"
    expect show-last-one-map-exit-0 [ "$rc" = 0 ]
    expect show-last-one-map-memory [ "$kib" -le "$limit" ]
    has show-last-one-map-last "$TMP/out" "snapshot 16 of 16: mpheap 16"
    # A 17th dump damaged after its map began: the 16th, whose map was given back, is read
    # again; what is shown is what --snapshot 16 shows, in the same memory.
    { cat "$TMP/big16"
      printf '=== mpheap 17 ===\nGC: total: 134217728, used: 4, free: 134217724\nGC memory layout; from 10000000:\n'
      printf '00000000: h%s\n       (100000 lines all free)\n' "$(printf '%63s' '' | tr ' ' '.')"
      printf '00000000: h%s\n' "$(printf '%63s' '' | tr ' ' '.')"; } >"$TMP/big17d"
    "$TMP/maxrss" -o "$TMP/showd.rss" -t 120 -- "$MPHEAP" show --color never -c 4 "$TMP/big17d" >"$TMP/out" 2>"$TMP/err"
    read -r wall kib rc <"$TMP/showd.rss"
    echo "show (the last) of 16 x 32 MiB and a damaged 17th: peak RSS ${kib} KiB (limit ${limit}), ${wall} s"
    expect show-last-damaged-exit [ "$rc" = 0 ]
    expect show-last-damaged-memory [ "$kib" -le "$limit" ]
    has show-last-damaged-says "$TMP/err" "dump 17 of the input (mpheap 17) is damaged"
    "$MPHEAP" show --color never -c 4 --snapshot 16 "$TMP/big17d" >"$TMP/out16" 2>"$TMP/err16"
    expect show-last-damaged-is-16 cmp -s "$TMP/out" "$TMP/out16"
    "$MPHEAP" show --color never -c 4 <"$TMP/big17d" >"$TMP/out16" 2>/dev/null
    expect show-last-damaged-stdin-same cmp -s "$TMP/out" "$TMP/out16"
    cat "$TMP/big17d" | "$MPHEAP" show --color never -c 4 >"$TMP/out16" 2>/dev/null
    expect show-last-damaged-pipe-same cmp -s "$TMP/out" "$TMP/out16"
    # check of one snapshot keeps its map alone too; diff of two logs, one snapshot of each and
    # the comparison's byte per block: three maps, not the 32 of both logs.
    "$TMP/maxrss" -o "$TMP/check.rss" -t 120 -- "$MPHEAP" check --max-fragmentation 0.5 "$TMP/big16" >"$TMP/out" 2>"$TMP/err"
    read -r wall kib rc <"$TMP/check.rss"
    echo "check of 16 x 32 MiB of cells: peak RSS ${kib} KiB (limit ${limit}), ${wall} s"
    expect check-one-map-exit-0 [ "$rc" = 0 ]
    expect check-one-map-memory [ "$kib" -le "$limit" ]
    # Every snapshot of a file, one map at a time: a first pass counts them, the second shows
    # each while its map is at hand. From a pipe, which cannot be read twice, the same output.
    for cmd in show stats check; do
        case $cmd in
        show) args="show --color never -c 4 --snapshot all" ;;
        stats) args="stats --snapshot all" ;;
        check) args="check --snapshot all --max-fragmentation 0.5" ;;
        esac
        # shellcheck disable=SC2086 # args is words
        "$TMP/maxrss" -o "$TMP/all.rss" -t 120 -- "$MPHEAP" $args "$TMP/big17d" >"$TMP/out" 2>"$TMP/err"
        read -r wall kib rc <"$TMP/all.rss"
        echo "$cmd --snapshot all of 16 x 32 MiB of cells and a damaged 17th: peak RSS ${kib} KiB (limit ${limit}), ${wall} s"
        expect $cmd-all-one-map-memory [ "$kib" -le "$limit" ]
        expect $cmd-all-exit [ "$rc" = "$([ $cmd = check ] && echo 0 || echo 3)" ]
        # shellcheck disable=SC2086
        cat "$TMP/big17d" | "$MPHEAP" $args >"$TMP/out2" 2>/dev/null
        if [ $cmd = show ]; then
            expect $cmd-all-pipe-same cmp -s "$TMP/out" "$TMP/out2"
        else # the names say <stdin>
            expect $cmd-all-pipe-same cmp -s <(sed "s|$TMP/big17d|<stdin>|g" "$TMP/out") "$TMP/out2"
        fi
    done
    has show-all-sixteen "$TMP/out" "big17d#16"
    # What must keep every map at once (report, a pipe's --snapshot all) stops at a budget
    # (MPHEAP_MAP_MEMORY, 2G if unset) with an error saying so: 16 maps of 32 MiB against 64M.
    MPHEAP_MAP_MEMORY=64M "$TMP/maxrss" -o "$TMP/budget.rss" -t 120 -- "$MPHEAP" report -o "$TMP/r.html" "$TMP/big16" >"$TMP/out" 2>"$TMP/err"
    read -r wall kib rc <"$TMP/budget.rss"
    echo "report of 16 x 32 MiB of cells, MPHEAP_MAP_MEMORY=64M: peak RSS ${kib} KiB, exit ${rc}"
    expect map-budget-exit-4 [ "$rc" = 4 ]
    expect map-budget-memory [ "$kib" -le $((base + 65536 + 8192)) ]
    has map-budget-says "$TMP/err" "big16:14:11: error: the maps kept so far (67108864 blocks) and this one's (64 so far) would pass the 67108864 blocks that may be kept at once"
    has map-budget-hints "$TMP/err" "MPHEAP_MAP_MEMORY, a size: 2G if unset"
    expect map-budget-no-report [ ! -e "$TMP/r.html" ]
    MPHEAP_MAP_MEMORY=64M "$MPHEAP" show --snapshot all --color never <"$TMP/big16" >/dev/null 2>"$TMP/err"
    expect map-budget-file-streams [ $? = 0 ]
    cat "$TMP/big16" | MPHEAP_MAP_MEMORY=64M "$MPHEAP" show --snapshot all --color never >/dev/null 2>"$TMP/err"
    expect map-budget-pipe-stops [ $? = 4 ]
    MPHEAP_MAP_MEMORY=lots "$MPHEAP" show "$TMP/small1" >/dev/null 2>"$TMP/err"
    has map-budget-bad-size "$TMP/err" "MPHEAP_MAP_MEMORY='lots' is not a size (say 512M or 8G): 2G it is"
    "$TMP/maxrss" -o "$TMP/diff.rss" -t 120 -- "$MPHEAP" diff --color never "$TMP/big16" "$TMP/big17d" >"$TMP/out" 2>"$TMP/err"
    read -r wall kib rc <"$TMP/diff.rss"
    echo "diff of two logs of 16 x 32 MiB of cells: peak RSS ${kib} KiB (limit $((base + 3 * 32768 + 8192)): three maps + 8 MiB), ${wall} s"
    expect diff-two-maps-exit-0 [ "$rc" = 0 ]
    expect diff-two-maps-memory [ "$kib" -le $((base + 3 * 32768 + 8192)) ]
    has diff-two-maps-compares "$TMP/out" "big16#16"
    # The same log as two files: the stream goes on across them.
    head -n 40 "$TMP/big16" >"$TMP/big16a"
    tail -n +41 "$TMP/big16" >"$TMP/big16b"
    if run timeline-stream-two-files 0 timeline --no-pager --json "$TMP/big16a" "$TMP/big16b"; then
        has timeline-stream-two-files-grew "$TMP/out" '"history_blocks": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], "grew": 15,'
    fi
else
    skip timeline-stream-memory "no C compiler for bench/maxrss.c"
fi

# --strict: any damage anywhere is the input's error, as every warning is.
if run strict-exits-3 3 show --strict --color never --snapshot 1 "$log"; then
    has strict-located "$TMP/err" "mpheap: $log:$bad_line:1: error: row offset 00000800"
fi
# The damaged dump first, or last; a log with no readable dump is the error itself.
{ cat "$TMP/bad"; echo '>>> '; echo '=== two ==='; cat "$TMP/good"; } >"$TMP/first"
run damaged-first 0 show --color never "$TMP/first" && has damaged-first-note "$TMP/err" "left out, before snapshot 1"
{ cat "$TMP/good"; echo '>>> '; echo '=== two ==='; cat "$TMP/bad"; } >"$TMP/last"
run damaged-last 0 show --color never "$TMP/last" && has damaged-last-note "$TMP/err" "left out, after snapshot 1"
run damaged-only 3 show --color never "$TMP/bad" && has damaged-only-located "$TMP/err" "mpheap: $TMP/bad:8:1: error: row offset 00000800"

# A marker's label is a label, whatever it says: words of a dump's header in it (a --label
# "x GC: total: y", or a board's own print) must not start a dump (the log read whole, --strict).
{ echo '=== mpheap 1: x GC: total: y ==='; cat "$TMP/good"; echo '=== mpheap 2: GC memory layout; from zz ==='; cat "$TMP/good"; } >"$TMP/labels"
if run marker-label-with-header-words 0 show --strict --color never -s all "$TMP/labels"; then
    has marker-label-gc-total "$TMP/out" "snapshot 1 of 2: mpheap 1: x GC: total: y"
    has marker-label-layout "$TMP/out" "snapshot 2 of 2: mpheap 2: GC memory layout; from zz"
fi

# The fuzz seeds (tests/data/gen.py) hold these inputs after their first byte (the options).
tail -c +2 fuzz/corpus/seed-area-wraps-address-space >"$TMP/wraps"
tail -c +2 fuzz/corpus/seed-wrapped-total >"$TMP/wrapped-total"

# 9: 2 KiB from 0xffffffffffffffc0 would pass 2^64.
if run area-wraps 3 show --color never "$TMP/wraps"; then
    has area-wraps-located "$TMP/err" "wraps:3:24: error: heap area 1 at 0xffffffffffffffc0"
fi

# 7: a 4 GiB + 257 KiB heap as MicroPython prints it: "GC: total: 263168" (modulo 2^32).
if run wrapped-total-strict 0 stats --strict "$TMP/wrapped-total"; then
    has wrapped-total-heap "$TMP/out" "4,295,230,464"
fi
