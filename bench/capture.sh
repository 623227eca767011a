#!/usr/bin/env bash
# Capture benchmark on the virtual board (MicroPython's WebAssembly port on a
# pseudo-terminal, through the serial-port code).
#
# 1. mpheap against mpremote, one snapshot of a 64 KB heap, the whole command,
#    on the same pty (one `mpheap sim --heap 64K` board for both), run in
#    pairs whose order alternates, max(RUNS, 11) pairs; medians and their
#    ratio (target: mpheap at most a quarter of mpremote's time):
#      mpheap capture --port PTY -n 1 -q -o /dev/null
#      mpremote connect PTY resume exec "import micropython;micropython.mem_info(1)"
#    mpremote is MicroPython's own tool: the one on PATH, else one run from a
#    temporary export (git archive) of tools/mpremote in a MicroPython clone,
#    $MPREMOTE_SRC (default /work/.mirror/micropython+micropython/repo when it
#    is there), with a python3 that has pyserial and platformdirs (Debian:
#    python3-serial, python3-platformdirs). Without either, the ratio is taken
#    against the README's figure (its "mpremote ... median" line) and says so.
# 2. One snapshot of a 64 KB and a 1 MB heap filled to about 60% with small
#    objects (no "(N lines all free)" shortcuts): medians of RUNS runs of the
#    snapshot itself (raw REPL round trip + transfer + parse check), of the
#    whole command (including starting Node.js and the board), bytes each way.
# 3. The capture's own footprint: blocks between back-to-back snapshots, and
#    between separate captures.
# Times are wall clock from bash's EPOCHREALTIME (microseconds). The load
# average is printed: measure on an idle machine.
# Usage: bench/capture.sh [RUNS]   (MPHEAP=path/to/mpheap, default build/mpheap)
set -eu
cd "$(dirname "$0")/.."
M=${MPHEAP:-build/mpheap}
RUNS=${1:-7}
PAIRS=$(( RUNS > 11 ? RUNS : 11 ))
command -v node >/dev/null || { echo "capture bench: skipped (node is not installed)"; exit 0; }
[ -d board/node_modules/@micropython ] || { echo "capture bench: skipped (run npm ci --prefix board)"; exit 0; }
T=$(mktemp -d)
SIM=
trap '[ -n "$SIM" ] && kill $SIM 2>/dev/null; rm -rf "$T"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_us() { echo "${EPOCHREALTIME/./}"; }
# Milliseconds a command takes, 0.01 ms precision; the command's status is ignored.
time_ms() {
    local t0 t1
    t0=$(now_us)
    "$@" >/dev/null 2>&1 || true
    t1=$(now_us)
    awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f\n", d / 1000 }'
}
start_sim() { # HEAP LINK: a board on a pty, its path in $PTS
    "$M" sim --heap "$1" --link "$2" >"$T/sim.out" 2>"$T/sim.err" &
    SIM=$!
    for _ in $(seq 100); do [ -s "$T/sim.out" ] && [ -e "$2" ] && break; sleep 0.05; done
    PTS=$(head -n 1 "$T/sim.out")
}
stop_sim() { kill $SIM 2>/dev/null; wait $SIM 2>/dev/null || true; SIM=; }

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"

# ------------------------------------------------------- 1. against mpremote
MPR=() MPR_FROM=
if command -v mpremote >/dev/null; then
    MPR=(mpremote) MPR_FROM="mpremote $(mpremote version 2>/dev/null | awk '{print $2}') from PATH"
else
    SRC=${MPREMOTE_SRC:-/work/.mirror/micropython+micropython/repo}
    PY=
    for py in python3 /usr/bin/python3; do
        if command -v "$py" >/dev/null && "$py" -c 'import serial, platformdirs' 2>/dev/null; then PY=$py; break; fi
    done
    if [ -n "$PY" ] && git -C "$SRC" rev-parse --verify -q HEAD:tools/mpremote >/dev/null 2>&1; then
        mkdir -p "$T/mpremote"
        git -C "$SRC" archive HEAD tools/mpremote | tar -x -C "$T/mpremote"
        MPR=(env PYTHONPATH="$T/mpremote/tools/mpremote" "$PY" -m mpremote)
        MPR_FROM="mpremote from $(git -C "$SRC" describe --tags --always HEAD 2>/dev/null) (a temporary export of tools/mpremote; $PY)"
    fi
fi
SNAP='import micropython;micropython.mem_info(1)'
start_sim 64K "$T/board"
# Warm both up once (page cache, the board's first compile).
"$M" capture --port "$PTS" -n 1 -q -o /dev/null 2>/dev/null || true
[ ${#MPR[@]} -gt 0 ] && { "${MPR[@]}" connect "$PTS" resume exec "$SNAP" >/dev/null 2>&1 || MPR=(); }
: >"$T/m.ms"; : >"$T/r.ms"
for i in $(seq "$PAIRS"); do
    if [ $((i % 2)) -eq 1 ] || [ ${#MPR[@]} -eq 0 ]; then
        time_ms "$M" capture --port "$PTS" -n 1 -q -o /dev/null >>"$T/m.ms"
        [ ${#MPR[@]} -gt 0 ] && time_ms "${MPR[@]}" connect "$PTS" resume exec "$SNAP" >>"$T/r.ms"
    else
        time_ms "${MPR[@]}" connect "$PTS" resume exec "$SNAP" >>"$T/r.ms"
        time_ms "$M" capture --port "$PTS" -n 1 -q -o /dev/null >>"$T/m.ms"
    fi
done
# The same check as a user's: the snapshot must have arrived.
"$M" capture --port "$PTS" -n 1 -o "$T/check.log" 2>"$T/check.err" ||
    { echo "capture bench: mpheap capture failed: $(tr '\n' ' ' <"$T/check.err")"; exit 1; }
m_med=$(median <"$T/m.ms")
m_rng="$(sort -g "$T/m.ms" | head -n 1)-$(sort -g "$T/m.ms" | tail -n 1)"
if [ -s "$T/r.ms" ]; then
    r_med=$(median <"$T/r.ms")
    r_rng="$(sort -g "$T/r.ms" | head -n 1)-$(sort -g "$T/r.ms" | tail -n 1)"
    r_what="$r_med ms (n=$PAIRS, $r_rng; $MPR_FROM, same run)"
else
    # The README's figure: its line "    mpremote connect PTY resume exec ...  median N ms".
    r_med=$(sed -n 's/^ *mpremote connect PTY resume exec .* median \([0-9.]*\) ms.*/\1/p' README.md | head -n 1)
    r_what="${r_med:-?} ms (the README's figure: no mpremote here, nor a MicroPython clone with python3-serial)"
fi
if [ -n "${r_med:-}" ]; then
    ratio=$(awk -v a="$m_med" -v b="$r_med" 'BEGIN { printf "%.3f", a / b }')
    verdict=$(awk -v q="$ratio" 'BEGIN { print (q <= 0.25 ? "PASS" : "FAIL") }')
    faster=$(awk -v a="$m_med" -v b="$r_med" 'BEGIN { printf "%.1fx faster", b / a }')
else
    ratio=? verdict=? faster=?
fi
echo "one snapshot, whole command, 64K heap, one pty, $PAIRS alternated pairs:"
echo "  mpheap capture --port PTY -n 1                       median $m_med ms (n=$PAIRS, $m_rng)"
echo "  mpremote connect PTY resume exec \"...mem_info(1)\"   median $r_what"
echo "  mpheap / mpremote = $ratio ($faster); target <= 0.25: $verdict"
stop_sim

# ------------------------------------------------- 2. snapshot sizes and times
for heap in 64K 1M; do
    case $heap in *K) bytes=$(( ${heap%K} * 1024 )) ;; *M) bytes=$(( ${heap%M} * 1048576 )) ;; esac
    objs=$(( bytes * 6 / 10 / 48 ))
    fill="keep = [bytearray(8 + 16 * (i % 3)) for i in range($objs)]"
    : >"$T/snap"; : >"$T/whole"
    for _ in $(seq "$RUNS"); do
        t0=$(now_us)
        "$M" capture --port "sim:$heap" --exec "$fill" -o "$T/log" 2>"$T/err"
        t1=$(now_us)
        awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f\n", d / 1000 }' >>"$T/whole"
        # "snapshot 3/3 "after exec" (12.34 ms, 83215 bytes from the board, 43 to it): ..."
        sed -n 's/.*snapshot [0-9]*\/[0-9]* .*(\([0-9.]*\) ms, \([0-9]*\) bytes from the board, \([0-9]*\) to it).*/\1 \2 \3/p' "$T/err" >>"$T/snap"
    done
    snap_ms=$(awk '{print $1}' "$T/snap" | median)
    from=$(awk '{print $2}' "$T/snap" | median)
    to=$(awk '{print $3}' "$T/snap" | median)
    whole_ms=$(median <"$T/whole")
    used=$(sed -n 's/.*: \([0-9]*\) blocks used.*/\1/p' "$T/err" | tail -n 1)
    printf 'capture %-3s heap (%s blocks used): snapshot median %s ms, whole command median %s ms (Node.js and the board start included), %s bytes from the board, %s to it (%s runs)\n' \
        "$heap" "$used" "$snap_ms" "$whole_ms" "$from" "$to" "$RUNS"
done

# ------------------------------------------------------------ 3. footprint
fp() { sed -n 's/.*capture footprint: \([+-][0-9]* blocks ([+-][0-9]* bytes)\).*/\1/p' "$1"; }
"$M" capture --port sim:64K -n 5 -o "$T/fp.log" 2>"$T/fp.err"
echo "footprint, raw REPL:        $(fp "$T/fp.err") between back-to-back snapshots of one capture"
"$M" capture --port sim:64K --gc -n 5 -o "$T/fpgc.log" 2>"$T/fpgc.err"
echo "footprint, raw REPL --gc:   $(fp "$T/fpgc.err") between back-to-back snapshots of one capture"
start_sim 64K "$T/board"
used() { sed -n 's/.*: \([0-9]*\) blocks used.*/\1/p' "$1"; }
"$M" capture --port "$PTS" --gc -q -o /dev/null
"$M" capture --port "$PTS" -o /dev/null 2>"$T/s1.err"
"$M" capture --port "$PTS" -o /dev/null 2>"$T/s2.err"
echo "footprint, separate captures: $(printf '%+d' $(( $(used "$T/s2.err") - $(used "$T/s1.err") ))) blocks between two \`capture -n 1\` one after the other"
if [ ${#MPR[@]} -gt 0 ]; then
    gcused() { grep '^GC: total' "$1" | sed -n 's/.* used: \([0-9]*\),.*/\1/p'; }
    "${MPR[@]}" connect "$PTS" resume exec 'import gc;gc.collect()' >/dev/null 2>&1
    "${MPR[@]}" connect "$PTS" resume exec "$SNAP" >"$T/r1" 2>&1
    "${MPR[@]}" connect "$PTS" resume exec "$SNAP" >"$T/r2" 2>&1
    echo "footprint, mpremote:          $(printf '%+d' $(( ($(gcused "$T/r2") - $(gcused "$T/r1")) / 16 ))) blocks between two \`mpremote resume exec\` one after the other"
fi
"$M" upload --port "$PTS" 2>/dev/null
printf 'import mpheap\nfor i in range(5):\n    mpheap.snapshot("back to back")\n' >"$T/five.py"
"$M" capture --port "$PTS" --listen --run "$T/five.py" -o "$T/fpl.log" 2>"$T/fpl.err"
stop_sim
echo "footprint, listen (device/mpheap.py): $(grep -o '([+-][0-9]* since the last)' "$T/fpl.err" | sort -u | tr '\n' ' ')blocks between back-to-back snapshots"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
