#!/usr/bin/env bash
# Capture benchmark: one snapshot of a 64 KB and a 1 MB heap from the virtual board
# (MicroPython's WebAssembly port on a pseudo-terminal, through the serial-port code).
# The heap is first filled to about 60% with small objects, so that the map has no
# "(N lines all free)" shortcuts. Prints medians of RUNS runs (default 7): the
# snapshot itself (raw REPL round trip + transfer + parse check), the whole command
# (including starting Node.js and the board), and the bytes each way.
# Then the capture's own footprint: blocks between back-to-back snapshots.
# Usage: bench/capture.sh [RUNS]   (MPHEAP=path/to/mpheap, default build/mpheap)
set -eu
cd "$(dirname "$0")/.."
M=${MPHEAP:-build/mpheap}
RUNS=${1:-7}
command -v node >/dev/null || { echo "capture bench: skipped (node is not installed)"; exit 0; }
[ -d board/node_modules/@micropython ] || { echo "capture bench: skipped (run npm ci --prefix board)"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for heap in 64K 1M; do
    case $heap in *K) bytes=$(( ${heap%K} * 1024 )) ;; *M) bytes=$(( ${heap%M} * 1048576 )) ;; esac
    objs=$(( bytes * 6 / 10 / 48 ))
    fill="keep = [bytearray(8 + 16 * (i % 3)) for i in range($objs)]"
    : >"$T/snap"; : >"$T/whole"
    for _ in $(seq "$RUNS"); do
        t0=$(date +%s%N)
        "$M" capture --port "sim:$heap" --exec "$fill" -o "$T/log" 2>"$T/err"
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 )) >>"$T/whole"
        # "snapshot 1/1 "after exec" (12 ms, 83215 bytes from the board, 43 to it): ..."
        sed -n 's/.*snapshot 1\/1 .*(\([0-9]*\) ms, \([0-9]*\) bytes from the board, \([0-9]*\) to it).*/\1 \2 \3/p' "$T/err" >>"$T/snap"
    done
    snap_ms=$(awk '{print $1}' "$T/snap" | median)
    from=$(awk '{print $2}' "$T/snap" | median)
    to=$(awk '{print $3}' "$T/snap" | median)
    whole_ms=$(median <"$T/whole")
    used=$(sed -n 's/.*: \([0-9]*\) blocks used.*/\1/p' "$T/err" | tail -n 1)
    printf 'capture %-3s heap (%s blocks used): snapshot median %s ms, whole command median %s ms, %s bytes from the board, %s to it (%s runs)\n' \
        "$heap" "$used" "$snap_ms" "$whole_ms" "$from" "$to" "$RUNS"
done

"$M" capture --port sim:64K -n 5 -o "$T/fp.log" 2>"$T/fp.err"
echo "footprint, raw REPL:        $(sed -n 's/.*capture footprint: \([+-][0-9]* blocks ([+-][0-9]* bytes)\).*/\1/p' "$T/fp.err") between back-to-back snapshots"
"$M" capture --port sim:64K --gc -n 5 -o "$T/fpgc.log" 2>"$T/fpgc.err"
echo "footprint, raw REPL --gc:   $(sed -n 's/.*capture footprint: \([+-][0-9]* blocks ([+-][0-9]* bytes)\).*/\1/p' "$T/fpgc.err") between back-to-back snapshots"
"$M" sim --heap 64K --link "$T/board" >/dev/null & SIM=$!
for _ in $(seq 50); do [ -e "$T/board" ] && break; sleep 0.1; done
"$M" upload --port "$T/board" 2>/dev/null
printf 'import mpheap\nfor i in range(5):\n    mpheap.snapshot("back to back")\n' >"$T/five.py"
"$M" capture --port "$T/board" --listen --run "$T/five.py" -o "$T/fpl.log" 2>"$T/fpl.err"
kill $SIM; wait $SIM 2>/dev/null || true
echo "footprint, listen (device/mpheap.py): $(grep -o '([+-][0-9]* since the last)' "$T/fpl.err" | sort -u | tr '\n' ' ')blocks between back-to-back snapshots"
