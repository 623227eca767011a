#!/usr/bin/env bash
# End to end against the virtual board (real MicroPython, WebAssembly port) on a
# pseudo-terminal: mpheap opens the pty's slave with its serial-port code (lock,
# raw termios, poll, hang-up), the board runs on the master. Needs node and
# `npm ci --prefix board`; skipped with the reason otherwise.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
M=$MPHEAP
T=$(mktemp -d)
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# Simple things that need no board.
expect upload_print_is_device_module cmp -s <("$M" upload --print) device/mpheap.py
"$M" capture --port bogus -q 2>"$T/err"; rc=$?
expect unknown_port_is_usage_error [ $rc -eq 2 ]
"$M" capture --port /nonexistent/ttyACM7 -q 2>"$T/err"; rc=$?
expect missing_port_is_device_error [ $rc -eq 5 ]
expect missing_port_says_so grep -q "no such port" "$T/err"

# devs over a made-up sysfs (MPHEAP_SYSFS): mpremote's line format, USB ports first.
S=$T/sys
mkdir -p "$S/class/tty/ttyACM0" "$S/class/tty/ttyS4" "$S/devices/usb1/1-1/1-1:1.0" "$S/devices/pnp0/00:04" "$S/bus/usb" "$S/bus/pnp"
ln -s "$S/devices/usb1/1-1/1-1:1.0" "$S/class/tty/ttyACM0/device"
ln -s "$S/bus/usb" "$S/devices/usb1/1-1/1-1:1.0/subsystem"
ln -s "$S/devices/pnp0/00:04" "$S/class/tty/ttyS4/device"
ln -s "$S/bus/pnp" "$S/devices/pnp0/00:04/subsystem"
printf '2e8a\n' >"$S/devices/usb1/1-1/idVendor"; printf '0005\n' >"$S/devices/usb1/1-1/idProduct"
printf 'E661\n' >"$S/devices/usb1/1-1/serial"; printf 'MicroPython\n' >"$S/devices/usb1/1-1/manufacturer"
printf 'Board in FS mode\n' >"$S/devices/usb1/1-1/product"
MPHEAP_SYSFS=$S "$M" devs >"$T/devs"; rc=$?
printf '/dev/ttyACM0 E661 2e8a:0005 MicroPython Board in FS mode\n/dev/ttyS4 - -:- - -\n' >"$T/devs.want"
expect devs_lists_usb_ports [ $rc -eq 0 ]
expect devs_format cmp -s "$T/devs" "$T/devs.want"

if ! command -v node >/dev/null 2>&1; then
    skip live_board "node is not installed (the virtual board needs Node.js 20+)"
    exit 0
fi
if [ ! -d board/node_modules/@micropython/micropython-webassembly-pyscript ]; then
    skip live_board "board/node_modules is missing: run npm ci --prefix board (make bootstrap)"
    exit 0
fi
BOARD="node board/virtual-board.mjs --heap 64K"
run() { timeout 60 "$M" "$@"; } # no test may hang
markers() { grep -c '^=== mpheap ' "$1"; }

# 1. Three back-to-back snapshots: a log that show parses, markers with labels and times,
#    and the capture's own footprint measured in the summary.
run capture --port sim:64K -n 3 -o "$T/a.log" 2>"$T/a.err"; rc=$?
expect capture_ok [ $rc -eq 0 ]
expect capture_three_markers [ "$(markers "$T/a.log")" = 3 ]
expect capture_marker_format grep -Eq '^=== mpheap 2/3: snapshot @ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z ===$' "$T/a.log"
run show "$T/a.log" -s all --color never >"$T/a.show" 2>&1; rc=$?
expect capture_log_shows [ $rc -eq 0 ]
expect capture_labels_in_show grep -q '== snapshot 3 of 3: mpheap 3/3: snapshot @ ' "$T/a.show"
expect capture_no_soft_reset grep -q 'no soft reset' "$T/a.err"
expect capture_footprint_raw grep -q 'capture footprint: +9 blocks' "$T/a.err"

# 2. --gc: the snapshot code's garbage is collected, nothing grows between snapshots.
run capture --port sim:64K --gc -n 3 -o "$T/gc.log" 2>"$T/gc.err"; rc=$?
expect capture_gc_ok [ $rc -eq 0 ]
expect capture_footprint_gc grep -q 'capture footprint: +0 blocks' "$T/gc.err"

# 3. A script run between two snapshots; the second shows what it allocated.
cat >"$T/grow.py" <<'EOF'
keep = [bytearray(200) for i in range(40)]
print("grew", len(keep))
EOF
run capture --port sim:64K --before --run "$T/grow.py" -o "$T/run.log" 2>"$T/run.err"; rc=$?
expect run_ok [ $rc -eq 0 ]
expect run_two_markers [ "$(markers "$T/run.log")" = 2 ]
expect run_labels grep -q '^=== mpheap 1/2: before grow.py @ ' "$T/run.log"
expect run_label_after grep -q '^=== mpheap 2/2: after grow.py @ ' "$T/run.log"
expect run_output_in_log grep -q '^grew 40' "$T/run.log"
before=$(sed -n 's/.*snapshot 1\/2.*: \([0-9]*\) blocks used.*/\1/p' "$T/run.err")
after=$(sed -n 's/.*snapshot 2\/2.*: \([0-9]*\) blocks used.*/\1/p' "$T/run.err")
expect run_heap_grew [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -ge 520 ]

# 4. The board's code raises: exit 1, the traceback on stderr, the snapshot still taken.
run capture --port sim:64K --exec 'x = 1/0' -o "$T/raise.log" 2>"$T/raise.err"; rc=$?
expect raise_exit_1 [ $rc -eq 1 ]
expect raise_traceback grep -q 'ZeroDivisionError: divide by zero' "$T/raise.err"
expect raise_snapshot_kept [ "$(markers "$T/raise.log")" = 1 ]
run capture --port sim:64K --exec 'def' -o "$T/syntax.log" 2>"$T/syntax.err"; rc=$?
expect syntax_error_exit_1 [ $rc -eq 1 ]
expect syntax_error_shown grep -q 'SyntaxError' "$T/syntax.err"

# 5. A board that never answers: a clear error within the deadline, exit 5, an empty log.
start=$(date +%s)
run capture --port "exec:$BOARD --fault silent" --timeout 1.5 -o "$T/silent.log" 2>"$T/silent.err"; rc=$?
took=$(($(date +%s) - start))
expect silent_exit_5 [ $rc -eq 5 ]
expect silent_in_time [ $took -le 5 ]
expect silent_says_so grep -q 'did not answer' "$T/silent.err"
expect silent_log_empty [ ! -s "$T/silent.log" ]

# 6. A board that hangs up in the middle of the 4th dump: the first 3 are kept and
#    parse, the error is clear, exit 5.
run capture --port "exec:$BOARD --fault hangup-after=1500" -n 5 -o "$T/hup.log" 2>"$T/hup.err"; rc=$?
expect hangup_exit_5 [ $rc -eq 5 ]
expect hangup_keeps_earlier [ "$(markers "$T/hup.log")" = 3 ]
expect hangup_says_gone grep -q 'went away' "$T/hup.err"
# (whether the partial 4th dump reaches us before the hang-up flushes the tty is a race)
expect hangup_names_what_is_kept grep -q 'the 3 snapshots taken before are in' "$T/hup.err"
run show "$T/hup.log" --strict -s all --color never >/dev/null 2>&1; rc=$?
expect hangup_log_parses_strictly [ $rc -eq 0 ]

# 7. Line noise before every chunk of output: skipped where the protocol expects its own bytes.
run capture --port "exec:$BOARD --fault garbage=7" -n 2 -o "$T/noise.log" 2>"$T/noise.err"; rc=$?
expect garbage_ok [ $rc -eq 0 ]
expect garbage_noted grep -q 'bytes of line noise' "$T/noise.err"
run show "$T/noise.log" -s all --color never >/dev/null 2>&1; rc=$?
expect garbage_log_parses [ $rc -eq 0 ]

# 8. A slow board (every output chunk 300 ms late) is waited for.
run capture --port "exec:$BOARD --fault slow=300" -o "$T/slow.log" -q; rc=$?
expect slow_board_ok [ $rc -eq 0 ] && [ "$(markers "$T/slow.log")" = 1 ]

# 9. Over pipes instead of a pty.
run capture --port "pipe:$BOARD" -o "$T/pipe.log" -q; rc=$?
expect pipes_ok [ $rc -eq 0 ] && [ "$(markers "$T/pipe.log")" = 1 ]

# 10. show --port: one live snapshot, shown.
run show --port sim:64K --color never -c 1 >"$T/show.out" 2>"$T/show.err"; rc=$?
expect show_port_ok [ $rc -eq 0 ]
expect show_port_map grep -q '^0x00030000 h' "$T/show.out"
expect show_port_titled grep -q '== snapshot 1 of 1: mpheap: sim:64K' "$T/show.out"

# 11. One board, several clients (mpheap sim): the heap survives between connections
#     (no soft reset unless asked), a held port is busy, --soft-reset gives a fresh heap.
"$M" sim --heap 64K --link "$T/board" >"$T/sim.out" 2>"$T/sim.err" &
SIM_PID=$!
for _ in $(seq 50); do [ -e "$T/board" ] && break; sleep 0.1; done
expect sim_prints_pty grep -q '^/dev/pts/' "$T/sim.out"
run capture --port "$T/board" --exec 'big = bytearray(8000)' -o "$T/p1.log" -q; rc=$?
expect sim_first_client [ $rc -eq 0 ]
run capture --port "$T/board" -o "$T/p2.log" 2>"$T/p2.err"; rc=$?
used2=$(sed -n 's/.*: \([0-9]*\) blocks used.*/\1/p' "$T/p2.err")
expect sim_heap_persists [ $rc -eq 0 ] && [ -n "$used2" ] && [ "$used2" -ge 500 ]
timeout 20 "$M" capture --port "$T/board" --listen --timeout 4 -q -o /dev/null &
HOLDER=$!
sleep 1
run capture --port "$T/board" -o "$T/busy.log" 2>"$T/busy.err"; rc=$?
expect busy_exit_5 [ $rc -eq 5 ]
expect busy_says_so grep -q 'port busy' "$T/busy.err"
wait $HOLDER
run capture --port "$T/board" --soft-reset -o "$T/p3.log" 2>"$T/p3.err"; rc=$?
used3=$(sed -n 's/.*: \([0-9]*\) blocks used.*/\1/p' "$T/p3.err")
expect soft_reset_fresh_heap [ $rc -eq 0 ] && [ -n "$used3" ] && [ "$used3" -lt 100 ]

# 12. Listen mode: the device module uploaded by mpheap, an application printing labelled
#     snapshots; two in a row differ by 0 blocks (the module allocates nothing).
run upload --port "$T/board" 2>"$T/up.err"; rc=$?
expect upload_ok [ $rc -eq 0 ]
run capture --port "$T/board" --listen --run examples/labelled_app.py -o "$T/listen.log" 2>"$T/listen.err"; rc=$?
expect listen_ok [ $rc -eq 0 ]
expect listen_four_dumps [ "$(markers "$T/listen.log")" = 4 ]
expect listen_label_time grep -Eq '^=== mpheap 3: 40 readings @ [0-9T:-]+Z ===' "$T/listen.log"
expect listen_zero_footprint grep -q 'dump 2: .*(+0 since the last)' "$T/listen.err"
run show "$T/listen.log" -s 'kept 10' --color never >/dev/null 2>&1; rc=$?
expect listen_log_selectable [ $rc -eq 0 ]
# Pure listening sends nothing and keeps what the running program prints. Another
# program types into the board's friendly REPL (root ignores TIOCEXCL; others skip).
run capture --port "$T/board" --exec 'import mpheap' -q -o /dev/null
timeout 20 "$M" capture --port "$T/board" --listen -n 1 -o "$T/pure.log" 2>"$T/pure.err" &
LISTENER=$!
sleep 1
if printf "mpheap.snapshot('poked')\r" 2>/dev/null >"$T/board"; then
    wait $LISTENER; rc=$?
    expect pure_listen_exit_0 [ $rc -eq 0 ]
    expect pure_listen_kept_dump grep -Eq '^=== mpheap [0-9]+: poked @ ' "$T/pure.log"
    expect pure_listen_sent_nothing grep -q ', 0 to it)' "$T/pure.err"
else
    kill -INT $LISTENER; wait $LISTENER
    skip pure_listen "cannot write to the held pty (TIOCEXCL applies to non-root users)"
fi
timeout 20 "$M" capture --port "$T/board" --listen -q -o /dev/null &
LISTENER=$!
sleep 0.5
kill -INT $LISTENER; wait $LISTENER; rc=$?
expect listen_ctrl_c_exit_0 [ $rc -eq 0 ]

# 13. The board ending under us while listening: device gone, exit 5.
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; SIM_PID=
run capture --port "exec:$BOARD --fault hangup-after=60" --listen --run examples/labelled_app.py -o "$T/lgone.log" 2>"$T/lgone.err"; rc=$?
expect listen_gone_exit_5 [ $rc -eq 5 ]
