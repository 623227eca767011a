#!/usr/bin/env bash
# The Windows build (mpheap.exe, `make windows`) under Wine, against this system's build:
# the offline commands on tests/data byte for byte (stdout, stderr, exit status), the
# Windows side of things (drive letters, backslashes, CRLF files, stdin in binary mode,
# UTF-8 labels, what the build leaves out), and live capture from the virtual board
# through Wine's COM port mapping ($WINEPREFIX/dosdevices/com5 -> the board's pty) over
# the Win32 serial code (transport_serial_win32.c).
# Run by `make test-windows` (which sets MPHEAP_EXE); `make test` skips it, saying so:
# Wine's start-up would add a minute to every run.
set -u
cd "$(dirname "$0")/../.."
# Run alone (make test-windows), it counts for itself: a summary line, and exit 1 on a failure.
OWN_RESULTS=
if [ -z "${MPH_RESULTS:-}" ]; then
    MPH_RESULTS=$(mktemp)
    OWN_RESULTS=$MPH_RESULTS
fi
summary() {
    [ -n "$OWN_RESULTS" ] || return 0
    local p f s
    read -r p f s < <(awk '{c[$1]++} END {print c["pass"]+0, c["fail"]+0, c["skip"]+0}' "$OWN_RESULTS")
    rm -f "$OWN_RESULTS"
    echo "tests/cli/windows.sh: $p passed, $f failed, $s skipped"
    [ "$f" -eq 0 ] || exit 1
}
trap summary EXIT
. tests/lib.sh
M=$MPHEAP
EXE=${MPHEAP_EXE:-}
if [ -z "$EXE" ]; then
    skip windows "MPHEAP_EXE is not set: \`make test-windows\` builds mpheap.exe and runs this suite"
    exit 0
fi
if [ ! -f "$EXE" ]; then
    skip windows "$EXE was not built (\`make windows\`)"
    exit 0
fi
if ! command -v wine >/dev/null 2>&1; then
    skip windows "wine is not installed (Debian: wine64; scripts/bootstrap.sh --windows)"
    exit 0
fi
export WINEDEBUG=-all
export WINEPREFIX=${WINEPREFIX:-$(cd "$(dirname "$EXE")" && pwd)/wineprefix}
T=$(mktemp -d)
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    rm -f "$WINEPREFIX/dosdevices/com5" "$WINEPREFIX/dosdevices/com3"
    wineserver -k 2>/dev/null
    rm -rf "$T"
    summary
}
trap cleanup EXIT
# One wine server for the whole suite: each run then starts in about half a second.
wine cmd /c exit 0 >/dev/null 2>&1 </dev/null
wineserver -p 2>/dev/null
# wine_run ARGS...: mpheap.exe under Wine, stdin from /dev/null unless WINE_STDIN names a file.
# Wine itself sometimes fails under load ("wine client error", a wineserver that went away):
# that run says nothing of mpheap, so it is run once more, saying so on the suite's stderr.
wine_run() {
    local out err rc
    out=$(mktemp "$T/wo.XXXXXX") err=$(mktemp "$T/we.XXXXXX")
    wine "$EXE" "$@" <"${WINE_STDIN:-/dev/null}" >"$out" 2>"$err"; rc=$?
    if grep -qE '^wine client error|wineserver: .*(failed|crashed)|^wine: .*server' "$err"; then
        echo "windows.sh: Wine failed under mpheap.exe $* ($(head -n 1 "$err")): run again" >&3
        wineserver -p 2>/dev/null
        wine "$EXE" "$@" <"${WINE_STDIN:-/dev/null}" >"$out" 2>"$err"; rc=$?
    fi
    cat "$out"; cat "$err" >&2
    rm -f "$out" "$err"
    return $rc
}
exec 3>&2
W() { wine_run "$@"; }
# Z: is / in every Wine prefix: this file's Windows path with a drive letter and backslashes.
winpath() { printf 'Z:%s' "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" | tr / '\\'; }

expect exe_runs W --version >"$T/version" 2>&1
expect version_features grep -q '^features: .*+libpng -ncurses$' "$T/version"
expect version_matches [ "$(head -n 1 "$T/version")" = "$("$M" --version | head -n 1)" ]

# same NAME ARGS...: the same stdout, stderr and exit status from both builds, run in
# the same directory on the same files (relative paths with '/' mean the same to both).
same() {
    local name=$1; shift
    "$M" "$@" >"$T/l.out" 2>"$T/l.err" </dev/null; local lrc=$?
    W "$@" >"$T/w.out" 2>"$T/w.err"; local wrc=$?
    if [ $lrc -eq $wrc ] && cmp -s "$T/l.out" "$T/w.out" && cmp -s "$T/l.err" "$T/w.err"; then
        ok "$name"
    else
        not_ok "$name" "exit $lrc vs $wrc; $(diff "$T/l.out" "$T/w.out" | head -n 4 | tr '\n' ' ')$(diff "$T/l.err" "$T/w.err" | head -n 4 | tr '\n' ' ')"
    fi
}

# ---- the offline commands, byte for byte
for f in tests/data/samples/*.txt; do
    n=$(basename "$f" .txt)
    same "show_plain_$n" show --color never --columns 2 --no-pager "$f"
    same "show_color_$n" show --color always --columns 4 --collapse-free --no-pager "$f"
    same "stats_$n" stats --no-pager "$f"
    same "stats_json_$n" stats --json --fit 1K,4K --need 2K "$f"
    same "check_$n" check --max-fragmentation 30% --need 4K "$f"
    same "report_svg_$n" report -o - --format svg "$f"
done
L=tests/data/samples/seq-leak-5snapshots.txt
same timeline_text timeline --no-pager --ascii "$L"
same timeline_json timeline --json "$L"
same timeline_csv timeline --csv "$L"
same diff_text diff --color never --columns 2 --no-pager --from 1 --to 5 "$L"
same diff_json diff --json --from 2 --to 3 "$L"
same show_all_snapshots show -s all --color never --columns 2 --no-pager "$L"
same check_all_json check -s all --json --max-used 50% "$L"
for f in tests/data/variants/*.txt; do
    same "stats_variant_$(basename "$f" .txt)" stats --no-pager "$f"
done
for f in $(ls tests/data/malformed/*.txt 2>/dev/null | head -n 8); do
    same "malformed_$(basename "$f" .txt)" show --color never --no-pager "$f"
done
same missing_file show --no-pager tests/data/no-such-file.txt

# The HTML report: the same page from both (written to files, the atomic way).
"$M" report -o "$T/l.html" "$L" 2>/dev/null
W report -o "$(winpath "$T")\\w.html" "$L" 2>"$T/err"; rc=$?
expect report_html_written [ $rc -eq 0 ]
expect report_html_same cmp -s "$T/l.html" "$T/w.html"
# Written again over the old file (rename over an existing file fails on Windows).
W report -o "$(winpath "$T")\\w.html" "$L" 2>"$T/err"; rc=$?
expect report_html_replaces [ $rc -eq 0 ]
expect report_html_replaces_output cmp -s "$T/l.html" "$T/w.html"
expect report_no_temp_left [ "$(ls -A "$T" | grep -c '^\.w\.html')" -eq 0 ]

# PNG: libpng cross-built from Debian's source package (scripts/windows-libpng.sh): the same
# bytes as the Linux build's, for the map, a diff and a timeline chart.
"$M" report -o "$T/l.png" "$L" 2>/dev/null
W report -o "$(winpath "$T")\\w.png" "$L" 2>"$T/err"; rc=$?
expect report_png_written [ $rc -eq 0 ]
expect report_png_same cmp -s "$T/l.png" "$T/w.png"
"$M" diff --from 1 --to 5 -o "$T/ld.png" "$L" 2>/dev/null
W diff --from 1 --to 5 -o "$(winpath "$T")\\wd.png" "$L" 2>"$T/err"
expect diff_png_same cmp -s "$T/ld.png" "$T/wd.png"
"$M" timeline -o "$T/lt.png" "$L" 2>/dev/null
W timeline -o "$(winpath "$T")\\wt.png" "$L" 2>"$T/err"
expect timeline_png_same cmp -s "$T/lt.png" "$T/wt.png"
for f in tests/data/samples/*.txt; do
    same "report_png_$(basename "$f" .txt)" report -o - --format png "$f"
done

# ---- Windows paths: a drive letter and backslashes. The output names the file as it was
# given: with that name put back, the same bytes as the Linux path's.
unname() { perl -pe 'BEGIN { $from = shift; $to = shift } s/\Q$from\E/$to/g' "$1" "$L"; }
"$M" stats --no-pager "$L" >"$T/l.out" 2>/dev/null
wp=$(winpath "$L")
W stats --no-pager "$wp" 2>/dev/null | unname "$wp" >"$T/w.out"
expect drive_letter_path cmp -s "$T/l.out" "$T/w.out"
expect drive_letter_named grep -qF "$wp" <(W stats --no-pager "$wp" 2>/dev/null)
wp='tests\data\samples\seq-leak-5snapshots.txt'
W stats --no-pager "$wp" 2>/dev/null | unname "$wp" >"$T/w.out"
expect backslash_relative_path cmp -s "$T/l.out" "$T/w.out"
W report -o "$(winpath "$T")\\map.svg" "$L" 2>"$T/err"; rc=$?
"$M" report -o "$T/l.svg" "$L" 2>/dev/null
expect report_backslash_dir [ $rc -eq 0 ]
expect report_backslash_dir_output cmp -s "$T/l.svg" "$T/map.svg"

# ---- CRLF files and stdin in binary mode
sed 's/$/\r/' "$L" >"$T/crlf.txt"
"$M" show --color never --columns 2 --no-pager "$T/crlf.txt" >"$T/l.out" 2>"$T/l.err"; lrc=$?
W show --color never --columns 2 --no-pager "$(winpath "$T/crlf.txt")" >"$T/w.out" 2>"$T/w.err"; wrc=$?
expect crlf_file_same [ $lrc -eq $wrc ]
expect crlf_file_same_output cmp -s "$T/l.out" "$T/w.out"
expect crlf_output_has_no_cr [ "$(tr -cd '\r' <"$T/w.out" | wc -c)" -eq 0 ]
"$M" stats --no-pager - <"$T/crlf.txt" >"$T/l.out" 2>"$T/l.err"
WINE_STDIN=$T/crlf.txt wine_run stats --no-pager - >"$T/w.out" 2>"$T/w.err"
expect stdin_crlf_same cmp -s "$T/l.out" "$T/w.out"
"$M" stats --json - <"$L" >"$T/l.out" 2>/dev/null
WINE_STDIN=$L wine_run stats --json - >"$T/w.out" 2>/dev/null
expect stdin_binary_same cmp -s "$T/l.out" "$T/w.out"

# ---- UTF-8 labels: the same bytes out
sed '1s/leak list len 60/café ☕ ünïcode/' "$L" >"$T/utf8.txt"
expect utf8_label_in_input grep -q 'café ☕' "$T/utf8.txt"
"$M" show -s 1 --color never --columns 2 --no-pager "$T/utf8.txt" >"$T/l.out" 2>/dev/null
W show -s 1 --color never --columns 2 --no-pager "$(winpath "$T/utf8.txt")" >"$T/w.out" 2>/dev/null
expect utf8_label_same cmp -s "$T/l.out" "$T/w.out"
expect utf8_label_shown grep -q 'café ☕' "$T/w.out"

# ---- what the Windows build leaves out, said plainly (exit 2)
for cmd in watch explore sim; do
    W $cmd 2>"$T/err"; rc=$?
    expect "${cmd}_not_in_windows_build" [ $rc -eq 2 ]
    expect "${cmd}_says_why" grep -q "$cmd is not in the Windows build" "$T/err"
done
W capture --port 'exec:true' -q 2>"$T/err"; rc=$?
expect exec_port_not_on_windows [ $rc -eq 5 ]
expect exec_port_not_on_windows_output grep -q 'not available on Windows' "$T/err"
W capture --port a0 -q 2>"$T/err"; rc=$?
expect linux_shortcut_is_unknown [ $rc -eq 2 ]
W capture --port COM42 -q 2>"$T/err"; rc=$?
expect missing_com_port_device_error [ $rc -eq 5 ]
expect missing_com_port_says_so grep -q '^mpheap: COM42: error: no such port' "$T/err"
W capture --port c2 -q 2>"$T/err"; rc=$?
# named as Windows names it (COM2), not by the device path it is opened as (\\.\COM2)
expect shortcut_port_named_com grep -q '^mpheap: c2: error: COM2: no such port' "$T/err"
W devs >"$T/devs" 2>"$T/err"; rc=$?
expect devs_runs [ $rc -eq 0 ]
# Wine has no USB serial ports: the hint names what Windows has, not the virtual board.
expect devs_hint_windows grep -q 'no serial ports found (.*--port COMn' "$T/err"
expect devs_hint_no_sim_on_windows bash -c '! grep -q "port sim" "$1"' _ "$T/err"
W show -p auto 2>"$T/err"; rc=$?
expect auto_hint_no_sim_on_windows bash -c '! grep -q "port sim" "$1" && grep -q "no board found" "$1"' _ "$T/err"

# ---- live: the virtual board on a pty, seen by Windows as COM5 (and COM3: c3)
if ! command -v node >/dev/null 2>&1 || [ ! -d board/node_modules ]; then
    skip windows_live "the virtual board needs Node.js and \`npm ci --prefix board\`"
    exit 0
fi
"$M" sim --heap 64K --link "$T/board" >"$T/sim.out" 2>"$T/sim.err" &
SIM_PID=$!
for _ in $(seq 50); do [ -L "$T/board" ] && break; sleep 0.1; done
pty=$(readlink "$T/board")
expect sim_pty [ -c "$pty" ]
ln -sfn "$pty" "$WINEPREFIX/dosdevices/com5"
ln -sfn "$pty" "$WINEPREFIX/dosdevices/com3"
W capture --port COM5 --gc -o "$(winpath "$T")\\cap.log" 2>"$T/err"; rc=$?
expect live_capture_com5 [ $rc -eq 0 ]
expect live_log_one_snapshot [ "$(grep -c '^GC: total:' "$T/cap.log")" -eq 1 ]
# mpheap's own lines have no CR (the board's lines end in CR LF, as on Linux).
expect live_marker_has_no_cr [ "$(grep -c $'^=== mpheap.*\r$' "$T/cap.log")" -eq 0 ]
"$M" check --max-used 100% "$T/cap.log" >/dev/null 2>&1
expect live_log_reads_on_linux [ $? -eq 0 ]
# Appending: the markers number on (2/2), as on Linux.
W capture --port c3 -o "$(winpath "$T")\\cap.log" 2>"$T/err"; rc=$?
expect live_capture_c3_shortcut [ $rc -eq 0 ]
expect live_log_appended [ "$(grep -c '^GC: total:' "$T/cap.log")" -eq 2 ]
W capture --port '\\.\COM5' --exec "x = [bytearray(64) for i in range(20)]; raise ValueError('boom')" \
    -o "$(winpath "$T")\\run.log" 2>"$T/err"; rc=$?
expect live_exec_raises [ $rc -eq 1 ]
expect live_exec_traceback_in_log grep -q "ValueError: boom" "$T/run.log"
expect live_exec_log_has_dump grep -q '^GC: total:' "$T/run.log"
W show --color never --columns 2 --no-pager -p COM5 >"$T/live-show" 2>"$T/err"; rc=$?
expect live_show_port [ $rc -eq 0 ]
expect live_show_port_output grep -q '^heap ' "$T/live-show"
W stats --json -p COM5 >"$T/live-stats" 2>"$T/err"; rc=$?
expect live_stats_port [ $rc -eq 0 ]
expect live_stats_port_output grep -q '"schema"' "$T/live-stats"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; SIM_PID=
# The board gone: a device error, not a hang.
timeout 60 wine "$EXE" capture --port COM5 -q </dev/null 2>"$T/err"; rc=$?
expect live_board_gone_device_error [ $rc -eq 5 ]
exit 0
