#!/usr/bin/env bash
# Hardening (issue 14): boards that misbehave on purpose, run as `exec:` board
# programs (a small Python raw REPL below), and options given nonsense. Each
# test measures what the issue asks for with generous bounds that a regression
# still breaks: peak memory (VmHWM from /proc, or bench/maxrss.c), the time from
# SIGINT/SIGTERM to exit, exit codes, what reaches the log and the terminal.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
M=$MPHEAP
T=$(mktemp -d)
own_results=
if [ "$MPH_RESULTS" = /dev/null ]; then # run alone: count here
    MPH_RESULTS=$T/results
    own_results=1
fi
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
lacks() { ! grep -q "$@"; }
# says NAME PATTERN FILE: FILE holds PATTERN; else the failure shows what it holds.
says() {
    if grep -q -- "$2" "$3"; then ok "$1"; else not_ok "$1" "no '$2' in: $(head -c 600 "$3" | tr '\n' '|')"; fi
}
markers() { grep -c '^=== mpheap ' "$1"; }
now_ms() { date +%s%3N; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
# A process that is there and not a zombie (PID 1 in a container may reap late).
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }

# ---------------------------------------------------------------- the board
# tests/cli/fake_board.py MODE: enough of MicroPython's raw REPL, misbehaving as
# MODE says; every board writes its pid to $T/board.pid.
board() { echo "exec:PIDFILE=$T/board.pid python3 $PWD/tests/cli/fake_board.py $1"; }

if ! command -v python3 >/dev/null; then
    skip hardening_boards "python3 is needed for the fake boards"
    BOARDS=
else
    BOARDS=1
fi
MAXRSS=
if command -v cc >/dev/null && cc -O2 -o "$T/maxrss" bench/maxrss.c 2>/dev/null; then
    MAXRSS=$T/maxrss
fi

# start_bg ARGS...: mpheap in the background; BG is its pid.
start_bg() {
    "$M" "$@" &
    BG=$!
    PIDS+=("$BG")
}
# stop_bg SIGNAL: send it, wait; sets RC and TOOK_MS (signal to exit). A process
# still there after 10 s is killed (RC 137).
stop_bg() {
    local t0 i
    t0=$(now_ms)
    kill -"$1" "$BG" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$BG" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$BG" 2>/dev/null && kill -9 "$BG"
    wait "$BG"; RC=$?
    TOOK_MS=$(($(now_ms) - t0))
}
report() { echo "  $1" >&2; echo "$1" >>"$T/figures"; }

# ------------------------------------------------- 5. one number parser
D=tests/data/samples/u64-fresh-2M-default.txt
L=tests/data/samples/seq-leak-5snapshots.txt
usage2() { # NAME ARGS...: exit 2
    local name=$1; shift
    "$M" "$@" >/dev/null 2>"$T/num.err"; local rc=$?
    expect "$name" [ $rc -eq 2 ]
}
usage2 every_nan capture --port "exec:true" --every nan
usage2 every_inf capture --port "exec:true" --every inf
usage2 every_negative capture --port "exec:true" --every -1
usage2 every_hex capture --port "exec:true" --every 0x10
usage2 every_exponent capture --port "exec:true" --every 1e3
usage2 every_space capture --port "exec:true" --every " 1"
usage2 timeout_nan capture --port "exec:true" --timeout nan
usage2 run_timeout_inf capture --port "exec:true" --exec x --run-timeout inf
usage2 snapshot_timeout_junk capture --port "exec:true" --snapshot-timeout 5s
usage2 count_hex capture --port "exec:true" -n 0x10
usage2 count_plus capture --port "exec:true" -n +3
usage2 max_fragmentation_nan check --max-fragmentation nan "$D"
usage2 min_largest_free_hex check --min-largest-free 0x10 "$D"
usage2 min_largest_free_negative check --min-largest-free -16 "$D"
usage2 need_nan stats --need nan "$D"
usage2 need_inf show --need inf "$D"
usage2 block_size_hex show --block-size 0x10 "$D"
usage2 columns_hex show --columns 0x10 "$D"
usage2 scale_negative show --scale -4 "$D"
usage2 max_allocs_junk check --max-allocs 12abc "$D"
expect numbers_say_why grep -q 'max-allocs' "$T/num.err"
# ...and plain numbers still work.
"$M" check --min-largest-free 16 --max-fragmentation 0.9 "$D" >/dev/null 2>&1; rc=$?
expect plain_numbers_accepted [ $rc -ne 2 ]
"$M" check --min-largest-free 1.5K --max-fragmentation 90% "$D" >/dev/null 2>&1; rc=$?
expect sizes_and_percent_accepted [ $rc -ne 2 ]

# ----------------------------------------------- 3. control bytes in --label
"$M" capture --port "exec:true" -l $'after\nGC: total: 99, used: 1, free: 98' -o "$T/label.log" 2>"$T/label.err"; rc=$?
expect label_newline_usage [ $rc -eq 2 ]
expect label_newline_no_log [ ! -e "$T/label.log" ]
expect label_newline_says_why grep -q 'control byte 0x0a' "$T/label.err"
"$M" capture --port "exec:true" -l $'x\e[2Jy' 2>/dev/null; rc=$?
expect label_escape_usage [ $rc -eq 2 ]

# ---------------------------------------------- 11. exit 4 always says why
for cmd in "stats $D" "stats --json $D" "check --min-free 1 $D" "timeline --csv $L" "timeline $L" \
    "diff $L" "show --color never $D" "devs"; do
    name=$(echo "$cmd" | awk '{print $1 ($2 ~ /^--/ ? "_" substr($2, 3) : "")}')
    $M $cmd >/dev/full 2>"$T/full.err"; rc=$?
    expect "full_${name}_exit_4" [ $rc -eq 4 ]
    expect "full_${name}_says_so" grep -q 'writing the output failed' "$T/full.err"
    expect "full_${name}_says_it_once" [ "$(grep -c 'writing the output failed' "$T/full.err")" -eq 1 ]
done

# --------------------------------------- 12. files written whole or not at all
# show -o / report write a temporary file beside the target, then rename: a
# write that fails (here the file-size limit) leaves the old file and no other.
mkdir "$T/pics"
echo old >"$T/pics/map.svg"
(trap '' XFSZ; ulimit -f 1; exec "$M" report "$D" -o "$T/pics/map.svg" --scale 1 2>"$T/pic.err"); rc=$?
expect atomic_write_fails_exit_4 [ $rc -eq 4 ]
expect atomic_write_keeps_old [ "$(cat "$T/pics/map.svg")" = old ]
expect atomic_write_leaves_nothing [ "$(ls -A "$T/pics")" = map.svg ]
"$M" report "$D" -o "$T/pics/map.svg" 2>/dev/null; rc=$?
expect atomic_write_then_ok [ $rc -eq 0 ] && expect atomic_write_replaced grep -q '<svg' "$T/pics/map.svg"

if [ -n "$BOARDS" ]; then
# ---------------------------------------- 1. memory, deadlines and signals
# A board whose traceback never ends, during --exec: SIGINT at 2 s ends it
# within a second; memory stays small; exit 130.
start_bg capture --port "$(board endless-tb)" --exec 'f()' -o "$T/tb.log" -q 2>"$T/tb.err"
sleep 2
hwm=$(hwm_kib "$BG")
stop_bg INT
report "endless traceback: peak RSS ${hwm:-?} KiB at 2 s, exit ${TOOK_MS} ms after SIGINT (rc $RC)"
expect endless_tb_sigint_exit_130 [ $RC -eq 130 ]
expect endless_tb_exits_within_1s [ "$TOOK_MS" -le 1500 ]
expect endless_tb_memory_bounded [ "${hwm:-999999}" -le 65536 ]
says endless_tb_says_stopped 'stopped by Ctrl-C' "$T/tb.err"

# --run-timeout holds a run that floods too: Ctrl-C at 1 s, the board ignores
# it, --timeout 1 later mpheap gives up (exit 5).
t0=$(now_ms)
"$M" capture --port "$(board endless-tb)" --exec 'f()' --run-timeout 1 --timeout 1 -o /dev/null -q 2>"$T/tb1.err"; rc=$?
took=$(($(now_ms) - t0))
report "endless traceback, --run-timeout 1 --timeout 1: ended after ${took} ms (rc $rc)"
expect run_timeout_flood_exit_5 [ $rc -eq 5 ]
expect run_timeout_flood_in_time [ "$took" -le 5000 ]
says run_timeout_flood_says_so 'did not stop within 1 s of Ctrl-C' "$T/tb1.err"

# The same board during a snapshot: the traceback's memory is capped, and the
# overall deadline ends it (--snapshot-timeout), exit 5.
t0=$(now_ms)
"$M" capture --port "$(board endless-tb)" --snapshot-timeout 2 -o "$T/tb2.log" -q 2>"$T/tb2.err"; rc=$?
took=$(($(now_ms) - t0))
report "endless traceback in a snapshot: --snapshot-timeout 2 ended it after ${took} ms (rc $rc)"
expect snapshot_deadline_exit_5 [ $rc -eq 5 ]
expect snapshot_deadline_in_time [ "$took" -le 6000 ]
says snapshot_deadline_says_so 'more than 2 s in all' "$T/tb2.err"

# A "dump" of 1 GB: cut at the cap its GC: total gives (64 KiB heap: 80 KiB),
# nothing in the log, exit 5, small memory.
if [ -n "$MAXRSS" ]; then
    "$MAXRSS" -o "$T/big.rss" -t 60 -- "$M" capture --port "$(board big-dump)" -o "$T/big.log" -q 2>"$T/big.err"; rc=$?
    read -r wall kib _ <"$T/big.rss"
    report "1 GB dump: refused after ${wall} s, peak RSS ${kib} KiB (rc $rc)"
    expect big_dump_exit_5 [ $rc -eq 5 ]
    expect big_dump_fast [ "${wall%%.*}" -lt 10 ]
    expect big_dump_memory_bounded [ "$kib" -le 65536 ]
    expect big_dump_not_in_log [ "$(markers "$T/big.log")" = 0 ]
    says big_dump_says_why 'more than its "GC: total:" allows' "$T/big.err"
else
    skip big_dump "no C compiler for bench/maxrss.c"
fi

# A board that trickles one byte every 100 ms: SIGINT ends it within a second
# (exit 130), SIGTERM too (exit 143).
for sig in INT TERM; do
    start_bg capture --port "$(board trickle)" -o "$T/trickle.log" -q 2>"$T/trickle.err"
    sleep 1.5
    stop_bg $sig
    report "trickle: exit ${TOOK_MS} ms after SIG$sig (rc $RC)"
    want=$([ $sig = INT ] && echo 130 || echo 143)
    expect "trickle_sig${sig}_exit_$want" [ $RC -eq "$want" ]
    expect "trickle_sig${sig}_within_1s" [ "$TOOK_MS" -le 1500 ]
    expect "trickle_sig${sig}_log_empty" [ "$(markers "$T/trickle.log")" = 0 ]
done

# Code that prints forever with no newline: streamed, not held; the log keeps
# 1 MiB of it and says the rest went to the terminal only.
start_bg capture --port "$(board endless-line)" --exec 'spam()' -o "$T/line.log" 2>/dev/null
sleep 3
hwm=$(hwm_kib "$BG")
stop_bg INT
size=$(stat -c %s "$T/line.log")
report "endless line: peak RSS ${hwm:-?} KiB at 3 s, log ${size} bytes, exit ${TOOK_MS} ms after SIGINT (rc $RC)"
expect endless_line_exit_130 [ $RC -eq 130 ]
expect endless_line_within_1s [ "$TOOK_MS" -le 1500 ]
expect endless_line_memory_bounded [ "${hwm:-999999}" -le 65536 ]
expect endless_line_log_bounded [ "$size" -le 1200000 ]
expect endless_line_log_says_so grep -q 'more bytes of the board.s output are not in this log' "$T/line.log"

# --listen on a program whose dump never ends: the held dump is capped (set
# aside as damaged: exit 5), memory stays small, Ctrl-C ends the listen.
start_bg capture --port "$(board listen-flood)" --listen -o "$T/flood.log" -q 2>"$T/flood.err"
sleep 3
hwm=$(hwm_kib "$BG")
stop_bg INT
report "listen, never-ending dump: peak RSS ${hwm:-?} KiB at 3 s, exit ${TOOK_MS} ms after SIGINT (rc $RC)"
expect listen_flood_exit_5 [ $RC -eq 5 ]
expect listen_flood_memory_bounded [ "${hwm:-999999}" -le 65536 ]
expect listen_flood_within_1s [ "$TOOK_MS" -le 1500 ]
expect listen_flood_log_small [ "$(stat -c %s "$T/flood.log")" -le 1200000 ]
expect listen_flood_set_aside grep -q 'kept in .*flood.log.damaged' "$T/flood.err"

# ...and one that trickles is held to --snapshot-timeout.
start_bg capture --port "$(board listen-trickle)" --listen --snapshot-timeout 1 -o "$T/trk.log" -q 2>"$T/trk.err"
sleep 3
stop_bg INT
expect listen_trickle_exit_5 [ $RC -eq 5 ]
expect listen_trickle_dropped grep -q 'still arriving after 1 s' "$T/trk.err"
expect listen_trickle_log_has_no_dump [ "$(grep -c '^00000' "$T/trk.log")" = 0 ]

# Ctrl-C between snapshots (--every): the snapshots taken are whole and read
# strictly, and the run says it was cut short (130, not 0).
start_bg capture --port "$(board ok)" -n 1000 --every 0.2 -o "$T/every.log" -q 2>"$T/every.err"
sleep 1.5
stop_bg INT
n=$(markers "$T/every.log")
report "--every: $n snapshots kept, exit ${TOOK_MS} ms after SIGINT (rc $RC)"
expect every_sigint_exit_130 [ $RC -eq 130 ]
expect every_sigint_within_1s [ "$TOOK_MS" -le 1500 ]
expect every_sigint_kept_some [ "$n" -ge 2 ]
"$M" show "$T/every.log" -s all --strict --color never >/dev/null 2>&1; rc=$?
expect every_sigint_log_reads [ $rc -eq 0 ]
expect every_sigint_says_how_many grep -q "the $n snapshots taken before are in" "$T/every.err"

# ------------------------------------------------ 2. a damaged dump
# The 2nd of 3 dumps repeats a map row: it goes to LOG.damaged with the reason,
# the log holds the other two numbered 1/2 and 2/2 and reads, exit 5.
"$M" capture --port "$(board damaged)" -n 3 -o "$T/dmg.log" -q 2>"$T/dmg.err"; rc=$?
expect damaged_exit_5 [ $rc -eq 5 ]
expect damaged_log_keeps_the_others [ "$(markers "$T/dmg.log")" = 2 ]
expect damaged_numbering grep -q '^=== mpheap 2/2: ' "$T/dmg.log"
"$M" show "$T/dmg.log" -s all --strict --color never >/dev/null 2>&1; rc=$?
expect damaged_log_reads [ $rc -eq 0 ]
expect damaged_kept_aside grep -q '^### mpheap: damaged, not in .*dmg.log: snapshot 2/3' "$T/dmg.log.damaged"
expect damaged_kept_whole [ "$(grep -c '^00000000: hh' "$T/dmg.log.damaged")" = 2 ]
expect damaged_says_where grep -q 'kept in .*dmg.log.damaged, not in the log' "$T/dmg.err"
# To stdout (no LOG.damaged): left out and said.
"$M" capture --port "$(board damaged)" -n 2 -q >"$T/dmg2.log" 2>"$T/dmg2.err"; rc=$?
expect damaged_stdout_exit_5 [ $rc -eq 5 ]
expect damaged_stdout_left_out [ "$(markers "$T/dmg2.log")" = 1 ]
# --listen: the program prints three labelled dumps, the 2nd repeats a row. It goes to
# LOG.damaged with its marker (no marker is left in the log without its dump, as watch
# did before the two shared one log writer); the others read.
"$M" capture --port "$(board listen-damaged)" --listen -n 2 -o "$T/ldmg.log" -q 2>"$T/ldmg.err"; rc=$?
expect listen_damaged_exit_5 [ $rc -eq 5 ]
expect listen_damaged_log_has_the_others [ "$(grep '^=== mpheap' "$T/ldmg.log" | cut -d' ' -f3-4 | tr '\n' ' ')" = "1: one 3: three " ]
expect listen_damaged_marker_aside grep -q '^=== mpheap 2: two @ ' "$T/ldmg.log.damaged"
"$M" show "$T/ldmg.log" -s all --strict --color never >/dev/null 2>&1; rc=$?
expect listen_damaged_log_reads [ $rc -eq 0 ]
# A label longer than the 512 bytes capture's marker once had: the marker line is whole
# (it was cut there, with no time and no newline, and the dump's first line joined it).
long=$(printf 'x%.0s' $(seq 600))
"$M" capture --port "$(board ok)" -l "$long" -o "$T/long.log" -q 2>/dev/null
expect long_label_marker_whole grep -q "^=== mpheap 1/1: $long @ [0-9TZ:-]* ===\$" "$T/long.log"
expect long_label_dump_on_its_own_line grep -q '^mem: total=' "$T/long.log"

# ------------------------------------------ 4. the board's escapes, made safe
"$M" capture --port "$(board escape)" --exec 'raise_it()' -o "$T/esc.log" 2>"$T/esc.err"; rc=$?
expect escape_exit_1 [ $rc -eq 1 ]
expect escape_no_esc_on_terminal lacks $'\e' "$T/esc.err"
expect escape_no_bel_on_terminal lacks $'\a' "$T/esc.err"
expect escape_shown_escaped grep -qF 'ValueError: \x1b]0;PWNED\x07\x1b[2J' "$T/esc.err"
expect escape_output_shown_escaped grep -qF '\x1b]0;OUTPUT\x07said' "$T/esc.err"
"$M" show --port "$(board escape)" --color never >/dev/null 2>"$T/esc2.err" # (a good snapshot)
"$M" capture --port "$(board endless-tb)" --snapshot-timeout 1 -q 2>"$T/esc3.err" >/dev/null
expect escape_error_lines_clean lacks $'\e' "$T/esc3.err"

# ---------------------------------------------- 6. exec: process hygiene
# The board program in its own process group, and gone when mpheap is killed
# with SIGKILL while the program runs (it never ends by itself).
rm -f "$T/board.pid"
start_bg capture --port "$(board hang)" --exec 'wait()' -q -o /dev/null 2>"$T/hang.err"
for ((i = 0; i < 150; i++)); do [ -s "$T/board.pid" ] && break; sleep 0.1; done
bpid=$(cat "$T/board.pid" 2>/dev/null)
sleep 0.5
if [ -n "$bpid" ] && alive "$bpid"; then
    expect hang_own_group [ "$(ps -o pgid= -p "$bpid" | tr -d ' ')" != "$(ps -o pgid= -p $$ | tr -d ' ')" ]
    t0=$(now_ms)
    kill -9 "$BG"; wait "$BG" 2>/dev/null
    for ((i = 0; i < 250; i++)); do alive "$bpid" || break; sleep 0.02; done
    took=$(($(now_ms) - t0))
    if alive "$bpid"; then
        not_ok hang_board_dies_with_mpheap "pid $bpid still there after 5 s"
        kill -9 "$bpid"
    else
        ok hang_board_dies_with_mpheap
        report "exec: board gone ${took} ms after mpheap was SIGKILLed"
    fi
else
    not_ok hang_board_started "no board pid ($(cat "$T/hang.err"))"
fi
fi # BOARDS

if [ -n "$own_results" ]; then
    awk '{c[$1]++} END {printf "%d passed, %d failed, %d skipped\n", c["pass"], c["fail"], c["skip"]}' "$MPH_RESULTS"
    ! grep -q '^fail' "$MPH_RESULTS"
fi
