#!/usr/bin/env bash
# The verdict (issue 8): --need on show, stats and check; the size of a MemoryError read from
# the log; header-only and truncated dumps; the growth rule; marks on the map. Inputs are the
# real dumps in tests/data/variants (see tests/data/README.md), cut or extended here.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
M=$MPHEAP
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
C00=tests/data/variants/canon/c00.txt     # 32-bit unix port, 256 KB heap, fragmented, no growth
SPLIT=tests/data/variants/split-max-new-split.txt  # 64-bit, 4 areas, "max new split: 129024"

json_get() { # FILE PYTHON-EXPRESSION-ON-d
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
has() { grep -qF -- "$1" "$2"; }
not() { ! "$@"; }

# --- --need on a whole map ---------------------------------------------------------------
"$M" show --color=never --need 4K "$C00" >"$T/fits" 2>&1; rc=$?
expect need/fits-exit [ $rc -eq 0 ]
expect need/fits-blocks has "verdict        for 4,096 bytes = 256 blocks of 16 bytes" "$T/fits"
expect need/fits-now has "fits now?      yes: gc_alloc takes the first free run that long" "$T/fits"
"$M" show --color=never --need 120K "$C00" >"$T/nofit" 2>&1
expect need/nofit-now has "fits now?      no: the largest free run is 6,226 blocks (97.3 KiB)" "$T/nofit"
expect need/nofit-gc has "after a gc?    maybe" "$T/nofit"
expect need/nofit-nogrow has "by growing?    no: this heap cannot grow" "$T/nofit"
expect need/nofit-splits has "what splits it freeing " "$T/nofit"
# Without colour the blockers are marked under their rows, the largest run with '_'.
expect need/nofit-marker-line grep -q '\^\^\^.*what splits it$' "$T/nofit"
expect need/largest-run-marked grep -q '^0x[0-9a-f]* _\{64\}$' "$T/nofit"
# With colour, blockers in the blocker role (the default palette's black on yellow), the run
# in its own (white on blue).
"$M" show --color=always --color-depth 256 --need 120K "$C00" >"$T/nofit.color" 2>&1
expect need/blocker-colour grep -q $'\x1b\\[0;38;5;16;48;5;226m' "$T/nofit.color"
expect need/largest-colour grep -q $'\x1b\\[0;38;5;231;48;5;63m' "$T/nofit.color"
"$M" show --color=never --scale 16 --need 120K "$C00" >"$T/nofit.scale" 2>&1
expect need/overview-marks grep -q '!' "$T/nofit.scale"
expect need/overview-legend has "! what splits it" "$T/nofit.scale"
"$M" show --need 0 "$C00" >/dev/null 2>&1; rc=$?
expect need/zero-refused [ $rc -eq 2 ]
"$M" show --need 4X "$C00" >/dev/null 2>&1; rc=$?
expect need/bad-size-refused [ $rc -eq 2 ]

# --- stats --need, text and JSON -----------------------------------------------------------
"$M" stats --need 120K "$C00" >"$T/stats" 2>&1
expect stats/need-text has "so             it does not fit now; it may after a collection, else MemoryError" "$T/stats"
"$M" stats --json --need 120K "$C00" >"$T/stats.json" 2>/dev/null
expect stats/json-schema test "$(json_get "$T/stats.json" 'd["schema"]')" = mpheap/stats/2
expect stats/json-outcome test "$(json_get "$T/stats.json" 'd["verdict"]["outcome"]')" = may-fit-after-collection
expect stats/json-need-blocks test "$(json_get "$T/stats.json" 'd["verdict"]["need_blocks"]')" = 7680
expect stats/json-largest test "$(json_get "$T/stats.json" 'd["verdict"]["largest_free"]["blocks"]')" = 6226
# The best window's blockers lie inside the run it makes, and the run is long enough.
expect stats/json-window-sane test "$(json_get "$T/stats.json" '(lambda w: all(w["makes"]["block"] <= b["block"] and b["block"] + b["blocks"] <= w["makes"]["block"] + w["makes"]["blocks"] for b in w["blockers"]) and w["makes"]["blocks"] >= 7680 and len(w["blockers"]) == min(256, w["blocker_count"]) and w["blocker_count"] > 256)(d["verdict"]["windows"][0])')" = True
"$M" stats --json "$C00" >"$T/stats0.json" 2>/dev/null
expect stats/json-no-need test "$(json_get "$T/stats0.json" 'd["verdict"]["need_source"]')" = none

# --- the size of a MemoryError next to the snapshot -----------------------------------------
{ cat "$SPLIT"; printf 'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\nMemoryError: memory allocation failed, allocating 20000 bytes\r\n'; } >"$T/err.log"
line=$(grep -n "^MemoryError" "$T/err.log" | cut -d: -f1)
"$M" show --color=never "$T/err.log" >"$T/err.out" 2>&1
expect log/size-read has "verdict        for 20,000 bytes = 625 blocks of 32 bytes" "$T/err.out"
expect log/size-line has "(the MemoryError at line $line)" "$T/err.out"
expect log/no-area-big-enough has "nothing to free would do: no area has 625 blocks" "$T/err.out"
expect log/growth has "by growing?    yes, if the system has it: a new area of 22,048 bytes" "$T/err.out"
"$M" show --color=never --need 1K "$T/err.log" >"$T/err.need" 2>&1
expect log/option-wins has "verdict        for 1,024 bytes" "$T/err.need"
# A marker written right after gc.collect() and naming the failed size (capture --gc,
# device/mpheap.py): the collection cannot help, so only growth remains.
{ echo "=== mpheap 3: send: MemoryError: memory allocation failed, allocating 200000 bytes (after gc.collect()) ==="; cat "$SPLIT"; } >"$T/marker.log"
"$M" show --color=never "$T/marker.log" >"$T/marker.out" 2>&1
expect marker/size has "verdict        for 200,000 bytes" "$T/marker.out"
expect marker/after-gc has "after a gc?    no: the dump was taken right after gc.collect()" "$T/marker.out"
expect marker/grow-too-small has "by growing?    no: a new area would need 205,078 bytes" "$T/marker.out"
expect marker/fails has "so             MemoryError: it fits nowhere" "$T/marker.out"
expect marker/label-trimmed grep -q "== snapshot 1 of 1: mpheap 3: send: MemoryError: memory allocation failed, allocating 200000 bytes (line 2) ==" "$T/marker.out"

# --- check: --need and the growth rule -------------------------------------------------------
"$M" check --need 20000 "$SPLIT" >"$T/chk" 2>&1; rc=$?
expect check/need-grows [ $rc -eq 0 ]
"$M" check -v --need 20000 "$SPLIT" >"$T/chk" 2>&1
expect check/need-says-growth has "it passes because the heap can grow" "$T/chk"
"$M" check --no-growth --need 20000 "$SPLIT" >"$T/chk2" 2>&1; rc=$?
expect check/need-no-growth [ $rc -eq 1 ]
expect check/need-no-growth-says has "(growth not counted: --no-growth)" "$T/chk2"
"$M" check --min-largest-free 200K "$SPLIT" >/dev/null 2>&1; rc=$?
expect check/largest-beyond-growth [ $rc -eq 1 ]
"$M" check --need 4K "$C00" >/dev/null 2>&1; rc=$?
expect check/need-fits [ $rc -eq 0 ]
"$M" check --json --need 20000 "$SPLIT" >"$T/chk.json" 2>/dev/null
expect check/json-need test "$(json_get "$T/chk.json" '(d["limits"][0]["kind"], d["limits"][0]["by_growth"], d["limits"][0]["outcome"])')" = "('need', True, 'may-fit-after-collection')"

# --- a map cut short: the header's figures ----------------------------------------------------
head -n 120 "$C00" >"$T/cut.txt"
"$M" show --color=never "$T/cut.txt" >"$T/cut.out" 2>"$T/cut.err"; rc=$?
expect cut/exit [ $rc -eq 0 ]
expect cut/partial has "map            partial: 116,736 bytes (114.0 KiB) shown, the paste is cut short;" "$T/cut.out"
expect cut/header-largest has "largest free   99,616 bytes (97.3 KiB) = 6,226 blocks (the header's max free sz)" "$T/cut.out"
expect cut/not-full not grep -q "100.0%" "$T/cut.out"
expect cut/warned has "the dump is truncated" "$T/cut.err"
"$M" check --min-largest-free 64K "$T/cut.txt" >/dev/null 2>&1; rc=$?
expect cut/check-header [ $rc -eq 0 ]
"$M" stats "$T/cut.txt" >"$T/cut.stats" 2>/dev/null
expect cut/stats-header has "need the whole map" "$T/cut.stats"

# --- mem_info() without an argument: only the header -----------------------------------------
sed -n 4,5p "$C00" >"$T/hdr.txt"
"$M" show --color=never "$T/hdr.txt" >"$T/hdr.out" 2>"$T/hdr.err"; rc=$?
expect hdr/show-exit [ $rc -eq 0 ]
expect hdr/show-no-map has "(no map to draw: the dump has only the header's figures" "$T/hdr.out"
# 80,736 and 175,392 are multiples of 32: 16- or 32-byte blocks, so the size stays in blocks.
expect hdr/show-blocks has "largest free   6,226 blocks (max free sz); block size unknown: give --block-size" "$T/hdr.out"
"$M" stats --block-size 16 --need 120K "$T/hdr.txt" >"$T/hdr.stats" 2>/dev/null; rc=$?
expect hdr/stats-exit [ $rc -eq 0 ]
expect hdr/stats-largest has "largest free   99,616 bytes (97.3 KiB) = 6,226 blocks (the header's max free sz)" "$T/hdr.stats"
expect hdr/stats-verdict has "fits now?      no: the largest free run is 6,226 blocks (97.3 KiB)" "$T/hdr.stats"
"$M" stats --json --block-size 16 "$T/hdr.txt" >"$T/hdr.json" 2>/dev/null
expect hdr/json-map-none test "$(json_get "$T/hdr.json" '(d["map"], d["whole"], d["header"]["max_free_sz"])')" = "('none', None, 6226)"
"$M" check --block-size 16 --min-largest-free 64K --max-fragmentation 50% "$T/hdr.txt" >/dev/null 2>&1; rc=$?
expect hdr/check-passes [ $rc -eq 0 ]
"$M" check --block-size 16 --max-allocs 5 "$T/hdr.txt" >/dev/null 2>"$T/hdr.chk.err"; rc=$?
expect hdr/check-allocs-refused [ $rc -eq 2 ]
expect hdr/check-allocs-says has "has no map, so limit 1 (allocations, fits) cannot be checked" "$T/hdr.chk.err"
# A header whose figures rule out 32-byte blocks (used is an odd multiple of 16): 16, said so.
printf 'GC: total: 102400, used: 51184, free: 51216\n No. of 1-blocks: 100, 2-blocks: 10, max blk sz: 64, max free sz: 1000\n' >"$T/hdr16.txt"
"$M" show --color=never "$T/hdr16.txt" >"$T/hdr16.out" 2>/dev/null
expect hdr/block-size-16 has "blocks of 16 bytes (assumed: the header's figures rule out 32)" "$T/hdr16.out"
# Among dumps with maps, a header alone is skipped (and said to be).
{ cat "$T/hdr.txt"; cat "$C00"; } >"$T/mixed.txt"
"$M" show --color=never "$T/mixed.txt" >/dev/null 2>"$T/mixed.err"; rc=$?
expect hdr/mixed-skipped [ $rc -eq 0 ]
expect hdr/mixed-said has "1 dump with heap figures but no block map" "$T/mixed.err"

# --- the headline never promises more than the dump tells ------------------------------------
"$M" show --color=never "$C00" >"$T/plain" 2>&1
expect headline/no-promise not grep -q "can succeed" "$T/plain"
expect headline/fits-now has "the largest allocation that fits now, without a collection" "$T/plain"
expect headline/garbage has "this dump cannot tell garbage" "$T/plain"
"$M" show --color=never "$SPLIT" >"$T/split" 2>&1
expect headline/growth has "can grow by    up to 126.0 KiB in a new area (max new split)" "$T/split"

# --- real MicroPython (the virtual board): the blockers the test placed itself -----------------
# tests/data/mpy/fill-keep-every-4th.py fills a 64 KB heap with 256-byte tuples and keeps every
# 4th; ask-1600.py names the kept tuples (their id() is their address) and asks for 1600 bytes,
# which no free run holds: freeing one kept tuple would (48 + 16 + 48 blocks >= 100).
if [ ! -d board/node_modules ]; then
    skip verdict/board "the virtual board is not installed (npm ci --prefix board)"
    exit 0
fi
FILL=tests/data/mpy/fill-keep-every-4th.py ASK=tests/data/mpy/ask-1600.py
# The tuples named in a log's "kept ids:" line, one per line.
kept_ids() { sed -n 's/^kept ids: //p' "$1" | tr ' ' '\n' | grep .; }
# "ok" when the best window frees one kept tuple and every one-tuple window frees a kept one.
windows_ok() { # JSON KEPT-IDS-FILE
    python3 - "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))["verdict"]
kept = set(open(sys.argv[2]).read().split())
w = v["windows"]
best = w[0] if w else None
ok = best and best["blocker_count"] == 1 and best["blockers"][0]["type"] == "T" \
    and best["blockers"][0]["address"] in kept and best["makes"]["blocks"] >= v["need_blocks"]
ones = [x["blockers"][0] for x in w if x["blocker_count"] == 1 and x["blockers"][0]["type"] == "T"]
print("ok" if ok and ones and all(b["address"] in kept for b in ones) else "bad: %r" % (w[:2],))
PY
}
# 1. A heap that cannot grow, dumped after the failure (no gc marker): the size comes from the
#    MemoryError line, the collection is "maybe", growth is out.
node board/run-script.mjs --fixed-heap --heap 64K "$FILL" "$ASK" \
    -c 'import micropython; micropython.mem_info(1)' >"$T/fixed.txt" 2>"$T/fixed.err"
expect board/fixed-failed grep -q "^MemoryError: memory allocation failed, allocating 1600 bytes" "$T/fixed.txt"
kept_ids "$T/fixed.txt" >"$T/fixed.ids"
"$M" stats --json "$T/fixed.txt" >"$T/fixed.json" 2>/dev/null
expect board/fixed-size-from-log test "$(json_get "$T/fixed.json" '(d["verdict"]["need_source"], d["verdict"]["need_bytes"], d["verdict"]["need_blocks"])')" = "('log', 1600, 100)"
expect board/fixed-outcome test "$(json_get "$T/fixed.json" '(d["verdict"]["outcome"], d["verdict"]["fits_by_growing"])')" = "('may-fit-after-collection', False)"
expect board/fixed-blockers test "$(windows_ok "$T/fixed.json" "$T/fixed.ids")" = ok
"$M" show --color=never "$T/fixed.txt" >"$T/fixed.out" 2>/dev/null
first=$(head -n 1 "$T/fixed.ids")
expect board/fixed-text-names-tuple grep -Eq "^ +0x[0-9a-f]+  tuple +256 bytes$" "$T/fixed.out"

# 2. The same on one board over the serial path, the second capture with --gc: the marker says
#    the dump follows gc.collect(), so a collection cannot help and the verdict is "fails".
"$M" sim --heap 64K --link "$T/fixedpty" -- --fixed-heap >/dev/null 2>"$T/sim.err" &
SIM=$!
for _ in $(seq 50); do [ -e "$T/fixedpty" ] && break; sleep 0.1; done
"$M" capture --port "$T/fixedpty" --run "$FILL" -q -o "$T/gc.log"; rc1=$?
"$M" capture --port "$T/fixedpty" --gc --run "$ASK" -q -o "$T/gc.log"; rc2=$?
kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
expect board/gc-captures [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
expect board/gc-marker grep -q '^=== mpheap 2/2: after ask-1600.py @ .* (after gc.collect()) ===$' "$T/gc.log"
kept_ids "$T/gc.log" >"$T/gc.ids"
"$M" stats --json -s -1 "$T/gc.log" >"$T/gc.json" 2>/dev/null
expect board/gc-outcome test "$(json_get "$T/gc.json" '(d["verdict"]["need_bytes"], d["verdict"]["after_collect"], d["verdict"]["outcome"])')" = "(1600, True, 'fails')"
expect board/gc-blockers test "$(windows_ok "$T/gc.json" "$T/gc.ids")" = ok
"$M" check --need 1600 "$T/gc.log" >/dev/null 2>&1; rc=$?
expect board/gc-check-fails [ $rc -eq 1 ]

# 3. A heap that can grow: the same fill stopped at 58,000 bytes used, then a snapshot after
#    gc.collect(). 8 KB fit in no free run, but a new area can hold them: "fits by growing" (and
#    "may fit after a collection" for the snapshot without --gc); the board then really grows.
"$M" sim --heap 64K --link "$T/growpty" >/dev/null 2>"$T/sim2.err" &
SIM=$!
for _ in $(seq 50); do [ -e "$T/growpty" ] && break; sleep 0.1; done
"$M" capture --port "$T/growpty" --exec 'LIMIT = 58000' -q -o /dev/null; rc0=$?
"$M" capture --port "$T/growpty" --run "$FILL" -q -o "$T/grow.log"; rc1=$?
"$M" capture --port "$T/growpty" --gc -q -o "$T/grow.log"; rc2=$?
"$M" capture --port "$T/growpty" --exec 'buf = bytearray(8192); print("allocated")' -q -o "$T/grow.log"; rc3=$?
kill "$SIM" 2>/dev/null; wait "$SIM" 2>/dev/null
expect board/grow-captures [ $rc0 -eq 0 ] && [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc3 -eq 0 ]
expect board/grow-one-area-before test "$(json_get <("$M" stats --json -s 2 "$T/grow.log" 2>/dev/null) 'len(d["areas"])')" -eq 1
"$M" stats --json -s 2 --need 8K "$T/grow.log" >"$T/grow2.json" 2>/dev/null
expect board/grow-outcome test "$(json_get "$T/grow2.json" '(d["verdict"]["fits_now"], d["verdict"]["can_grow"], d["verdict"]["fits_by_growing"], d["verdict"]["outcome"])')" = "(False, True, True, 'fits-by-growing')"
"$M" stats --json -s 1 --need 8K "$T/grow.log" >"$T/grow1.json" 2>/dev/null
expect board/grow-no-gc-outcome test "$(json_get "$T/grow1.json" 'd["verdict"]["outcome"]')" = may-fit-after-collection
expect board/grow-really-grew grep -q '^allocated' "$T/grow.log"
expect board/grow-new-area test "$(json_get <("$M" stats --json -s 3 "$T/grow.log" 2>/dev/null) 'len(d["areas"])')" -ge 2
"$M" check --need 8K -s 2 "$T/grow.log" >/dev/null 2>&1; rc=$?
expect board/grow-check-passes [ $rc -eq 0 ]
"$M" check --need 8K --no-growth -s 2 "$T/grow.log" >/dev/null 2>&1; rc=$?
expect board/grow-check-no-growth [ $rc -eq 1 ]
