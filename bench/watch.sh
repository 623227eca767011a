#!/usr/bin/env bash
# Watch benchmark (issue 11): refreshes a second of `mpheap watch` on the virtual board with a
# 64 KB heap, target at least 10.
#
# The board (`mpheap sim --heap 64K` on a pty) first gets a heap filled to about 60% with
# small objects, as bench/capture.sh fills it (no "(N lines all free)" shortcuts: the dump is
# as long as it gets). Then `mpheap watch --every 0 -n SNAPS` polls it back to back in an
# 80x24 terminal (script(1) gives it a pty): each refresh is a raw-REPL snapshot, the parse,
# the diff from the previous one, and the screen drawn. watch itself prints the rate on the
# way out: "(N refreshes in T s: R a second)", measured from its first snapshot to its last.
# RUNS runs; the median, the slowest and the log's snapshot count (it must hold every one).
# Usage: bench/watch.sh [RUNS] [SNAPS]   (MPHEAP=path/to/mpheap, default build/mpheap)
set -eu
cd "$(dirname "$0")/.."
M=${MPHEAP:-build/mpheap}
RUNS=${1:-5}
SNAPS=${2:-100}
command -v node >/dev/null || { echo "watch bench: skipped (node is not installed)"; exit 0; }
[ -d board/node_modules/@micropython ] || { echo "watch bench: skipped (run npm ci --prefix board)"; exit 0; }
command -v script >/dev/null || { echo "watch bench: skipped (script(1), util-linux, is not installed)"; exit 0; }
T=$(mktemp -d)
SIM=
trap '[ -n "$SIM" ] && kill $SIM 2>/dev/null; rm -rf "$T"' EXIT

"$M" sim --heap 64K --link "$T/board" >"$T/sim.out" 2>"$T/sim.err" &
SIM=$!
for _ in $(seq 100); do [ -e "$T/board" ] && break; sleep 0.05; done
objs=$(( 65536 * 6 / 10 / 48 ))
"$M" capture --port "$T/board" --exec "keep = [bytearray(8 + 16 * (i % 3)) for i in range($objs)]" \
    -q -o "$T/fill.log"
used=$("$M" stats --json "$T/fill.log" 2>/dev/null | awk -f tests/cli/json-flat.awk |
    awk '$1 == "whole.used.blocks" { u = $2 } $1 == "whole.total.blocks" { t = $2 }
         END { if (t) printf "%.0f%% used", 100 * u / t }')

: >"$T/rates"
for _ in $(seq "$RUNS"); do
    rm -f "$T/w.log"
    env TERM=xterm-256color COLUMNS=80 LINES=24 \
        script -qec "'$M' watch --port '$T/board' --every 0 -n $SNAPS -o '$T/w.log'" /dev/null \
        </dev/null >"$T/screen" 2>&1 || true
    rate=$(tr -d '\r' <"$T/screen" | grep -ao 'refreshes in [0-9.]* s: [0-9.]* a second' |
        awk '{ print $5 }' | tail -n 1)
    kept=$(grep -c '^GC: total:' "$T/w.log" 2>/dev/null || echo 0)
    echo "${rate:-0} $kept" >>"$T/rates"
done
kill $SIM 2>/dev/null; wait $SIM 2>/dev/null || true; SIM=

median=$(awk '{ print $1 }' "$T/rates" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
slowest=$(awk '{ print $1 }' "$T/rates" | sort -g | head -n 1)
all_kept=$(awk -v n="$SNAPS" '$2 != n { bad = 1 } END { print bad ? "no" : "yes" }' "$T/rates")
verdict=$(awk -v r="$median" 'BEGIN { print (r >= 10 ? "PASS" : "FAIL") }')
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores); heap: ${used:-?}"
echo "mpheap watch --port PTY --every 0 -n $SNAPS, 80x24, 64K heap filled with small objects, $RUNS runs:"
echo "  median $median refreshes a second (slowest $slowest); every snapshot in the log: $all_kept"
echo "  target >= 10 a second: $verdict"
