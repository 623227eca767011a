#!/usr/bin/env bash
# The full-screen views (issue 11), in a real terminal: tmux (send-keys, capture-pane).
#
#  explore: navigation, zoom, a jump to an address, find, snapshot stepping with the changes
#           highlighted (colour and the pattern fallback), the diff view, help, the panel's
#           content checked against `stats --json`, `diff --json` and a dump made by hand,
#           a resize both ways, and every way out (q, Ctrl-C, SIGTERM) with the terminal
#           restored (stty settings as before, the main screen back);
#  watch:   the virtual board polled (snapshots counted on the screen and in the log), a
#           program that allocates between its own snapshots (--listen --run: the highlight
#           is on the line where the allocation went), the board killed and started again
#           (the status line, then recovery, the log kept), a log that cannot be written
#           (an error exit with the terminal restored);
#  both:    not a terminal: exit 2, pointing to show/capture.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
MPHEAP=$(cd "$(dirname "$MPHEAP")" && pwd)/$(basename "$MPHEAP")
TMP=$(mktemp -d)
SOCK=$TMP/tmux.sock # its own server and socket: no other test's tmux can touch it
SIM_PID=
cleanup() {
    tmux -S "$SOCK" kill-server 2>/dev/null
    [ -n "$SIM_PID" ] && stop_sim
    rm -rf "$TMP"
}
trap cleanup EXIT
unset NO_COLOR COLORTERM
flat() { awk -f tests/cli/json-flat.awk; }

# ---- not a terminal
"$MPHEAP" explore tests/data/samples/seq-leak-5snapshots.txt </dev/null >"$TMP/out" 2>"$TMP/err"
rc=$?
expect "tui/explore-not-a-terminal-exit-2" test "$rc" = 2
expect "tui/explore-not-a-terminal-says-show" grep -q 'needs a terminal.*mpheap show' "$TMP/err"
expect "tui/explore-not-a-terminal-no-output" test ! -s "$TMP/out"
"$MPHEAP" watch --port sim:64K >"$TMP/out" 2>"$TMP/err" </dev/null
rc=$?
expect "tui/watch-not-a-terminal-exit-2" test "$rc" = 2
expect "tui/watch-not-a-terminal-says-capture" grep -q 'needs a terminal.*mpheap capture' "$TMP/err"
# The numbers go through the one reader every command uses (nan was taken as seconds).
"$MPHEAP" watch --every nan --port sim:64K </dev/null >/dev/null 2>"$TMP/err"
expect "tui/watch-every-nan-usage" sh -c "test $? = 2 && grep -q -- '--every takes seconds' '$TMP/err'"
"$MPHEAP" watch --count 0x10 </dev/null >/dev/null 2>"$TMP/err"
expect "tui/watch-count-hex-usage" sh -c "test $? = 2 && grep -q -- '--count takes a number' '$TMP/err'"
"$MPHEAP" watch --gc --listen >/dev/null 2>"$TMP/err"
expect "tui/watch-listen-gc-usage" sh -c "test $? = 2 && grep -q -- '--gc and --every need the raw REPL' '$TMP/err'"

if ! command -v tmux >/dev/null 2>&1; then
    skip "tui/terminal" "tmux is not installed (scripts/bootstrap.sh installs it)"
    exit 0
fi

# A dump made by hand: 16-byte blocks (rows 0x400 apart), 40 rows at 0x20000000.
# Row 0: other(3) at 0, list(4) at 5, str(2) at 14; row 1: dict(8) at 67; then "h==.." rows.
{
    echo "GC memory layout; from 20000000:"
    printf '00000000: %s\n' "$(printf 'h==..L===.....S=%48s' '' | tr ' ' '.')"
    printf '00000400: %s\n' "$(printf '...D=======%53s' '' | tr ' ' '.')"
    awk 'BEGIN { for (i = 2; i < 40; i++) { printf "%08x: ", i * 1024
        for (j = 0; j < 64; j++) printf (j % 5 == 0 ? "h" : (j % 5 < 3 ? "=" : ".")); print "" } }'
} >"$TMP/hand.txt"
LEAK=tests/data/samples/seq-leak-5snapshots.txt

# The terminal's own name inside tmux (its keys and 256 colours), as tmux sets it.
TERM_IN=xterm-256color
for t in tmux-256color screen-256color; do
    if infocmp "$t" >/dev/null 2>&1; then TERM_IN=$t; break; fi
done
# run NAME COLSxROWS ENV COMMAND: in a new terminal; after it, EXIT=N and RESTORED when the
# terminal's settings are what they were before.
run() {
    local name=$1 size=$2 envs=$3 try
    shift 3
    for try in 1 2 3; do # a loaded machine: tmux may refuse once
        tmux -S "$SOCK" new-session -d -s "$name" -x "${size%x*}" -y "${size#*x}" \
            "cd '$PWD'; before=\$(stty -g); env -u COLUMNS -u LINES TERM=$TERM_IN $envs $*; echo EXIT=\$?; [ \"\$before\" = \"\$(stty -g)\" ] && echo RESTORED; sleep 60" \
            2>/dev/null && return 0
        sleep 1
    done
    return 1
}
# One session that outlives every test's, so that the server does not exit (and race the next
# new-session) each time a test's session ends.
tmux -S "$SOCK" new-session -d -s keeper "sleep 3600" 2>/dev/null
pane() { tmux -S "$SOCK" capture-pane -p -t "$1"; }
pane_e() { tmux -S "$SOCK" capture-pane -p -e -t "$1"; }
keys() { local n=$1; shift; tmux -S "$SOCK" send-keys -t "$n" "$@"; }
# wait_for NAME REGEX [SECONDS]: until the screen shows it
wait_for() {
    local i
    for ((i = 0; i < ${3:-10} * 10; i++)); do
        pane "$1" | grep -q -- "$2" && return 0
        sleep 0.1
    done
    return 1
}
gone_for() { # NAME REGEX [SECONDS]: until the screen no longer shows it
    local i
    for ((i = 0; i < ${3:-10} * 10; i++)); do
        pane "$1" | grep -q -- "$2" || return 0
        sleep 0.1
    done
    return 1
}
done_with() { tmux -S "$SOCK" kill-session -t "$1" 2>/dev/null; }
# The screen after a key (the view redraws at once; a loaded machine gets a little longer).
after() { keys "$@"; sleep 0.3; }

# ---- explore: the panel, navigation, find, jump, zoom, help (a dump made by hand)
run nav 80x24 "" "$MPHEAP" explore "$TMP/hand.txt"
if ! tmux -S "$SOCK" has-session -t nav 2>/dev/null; then
    sleep 1 # a loaded machine: once more
    run nav 80x24 "" "$MPHEAP" explore "$TMP/hand.txt"
fi
if ! tmux -S "$SOCK" has-session -t nav 2>/dev/null; then
    not_ok "tui/tmux-server" "tmux could not start a session on $SOCK"
    exit 0
fi
expect "tui/explore-starts" wait_for nav 'at 0x20000000: area 1, block 0$' 10
expect "tui/panel-head" wait_for nav '^other (h) from 0x20000000 (block 0): 3 blocks, 48 B' 2
expect "tui/legend-visible" wait_for nav '\. free .*= tail .*L list .*D dict' 2
expect "tui/map-at-80-columns" sh -c "tmux -S '$SOCK' capture-pane -p -t nav | grep -q '^0x20000000 h==\\.\\.L===\\.\\.\\.\\.\\.S=\\.*\$'"
after nav Right Right Right Right Right
expect "tui/right-moves" wait_for nav 'at 0x20000050: area 1, block 5$' 2
expect "tui/panel-list" wait_for nav '^list (L) from 0x20000050 (block 5): 4 blocks, 64 B' 2
after nav Down
expect "tui/down-moves-a-line" wait_for nav 'block 69$' 2
expect "tui/panel-dict-from-a-tail" wait_for nav '^dict (D) from 0x20000430 (block 67): 8 blocks, 128 B' 2
after nav Left Left Left
# row 0 ends in 48 free blocks that row 1 goes on with: one run of 51 from block 16
expect "tui/panel-free-run" wait_for nav "^free run from 0x20000100 (block 16): 51 blocks, 816 B" 2
after nav Home
after nav / D Enter
expect "tui/find-type" wait_for nav 'found dict (D) at 0x20000430: 8 blocks' 2
expect "tui/find-moves-cursor" wait_for nav 'at 0x20000430: area 1, block 67$' 2
after nav Home
after nav / 1 0 0 Enter
expect "tui/find-size" wait_for nav 'found dict (D) at 0x20000430' 2
after nav / L Enter
expect "tui/find-wraps" wait_for nav 'found list (L) at 0x20000050: 4 blocks (from the top again)' 2
after nav g 0 x 2 0 0 0 0 0 e 8 Enter
expect "tui/goto-address" wait_for nav 'at 0x200000e0: area 1, block 14$' 2
expect "tui/goto-address-panel" wait_for nav '^str/bytes (S) from 0x200000e0 (block 14): 2 blocks, 32 B' 2
after nav g 3 0 0 0 0 0 0 0 Enter
expect "tui/goto-nowhere" wait_for nav 'no block at 0x30000000 in this snapshot' 2
after nav NPage
# from line 1 (block 14) a page (the map's 15 lines less one) down: block 14 * 64 + 14
expect "tui/page-down" wait_for nav 'at 0x200038e0: area 1, block 910$' 2
after nav End
expect "tui/end" wait_for nav 'at 0x20009ff0: area 1, block 2559$' 2
after nav -
expect "tui/zoom-out" wait_for nav 'scale 2' 2
expect "tui/zoom-panel-cell" wait_for nav '(cell of 2 blocks, [0-9]* used)' 2
for _ in 1 2 3 4 5 6 7; do keys nav -; done
sleep 0.3
expect "tui/zoom-whole-heap" wait_for nav 'the whole heap is on the screen' 2
# 2560 blocks in 15 lines of 64 cells: 4 blocks a cell, the last line at 0x20009000
expect "tui/zoom-whole-heap-fits" sh -c "tmux -S '$SOCK' capture-pane -p -t nav | grep -q 'scale 4\$' && tmux -S '$SOCK' capture-pane -p -t nav | grep -q '^0x20009000 '"
after nav +
expect "tui/zoom-in" sh -c "! tmux -S '$SOCK' capture-pane -p -t nav | grep -q 'the whole heap is on the screen'"
after nav '?'
expect "tui/help" wait_for nav 'mpheap explore: keys' 2
after nav x
expect "tui/help-closes" gone_for nav 'mpheap explore: keys' 2
after nav q
expect "tui/q-exit-0" wait_for nav '^EXIT=0$' 5
expect "tui/q-restores-terminal" wait_for nav '^RESTORED$' 2
expect "tui/q-main-screen-back" sh -c "! tmux -S '$SOCK' capture-pane -p -t nav | grep -q 'mpheap explore'"
done_with nav

# ---- explore: the panel against stats --json and diff --json (a real log of 5 snapshots)
"$MPHEAP" stats --json "$LEAK" 2>/dev/null | flat >"$TMP/stats"
LF_ADDR=$(awk '$1 == "whole.largest_free.address" { print $2 }' "$TMP/stats")
LF_BLOCKS=$(awk '$1 == "whole.largest_free.blocks" { print $2 }' "$TMP/stats")
LF_BYTES=$(awk '$1 == "whole.largest_free.bytes" { print $2 }' "$TMP/stats")
USED=$(awk '$1 == "whole.used.bytes" { print $2 }' "$TMP/stats")
ALLOCS=$(awk '$1 == "whole.allocations" { print $2 }' "$TMP/stats")
"$MPHEAP" diff --json "$LEAK" 2>/dev/null | flat >"$TMP/diff"
NEW_ADDR=$(awk '$1 == "new_allocations.0.address" { print $2 }' "$TMP/diff")
NEW_BLOCKS=$(awk '$1 == "new_allocations.0.blocks" { print $2 }' "$TMP/diff")
NEW_TYPE=$(awk '$1 == "new_allocations.0.type" { print $2 }' "$TMP/diff")
commas() { awk -v n="$1" 'BEGIN { s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } print n s }'; }
run leak 80x24 "NO_COLOR=1" "$MPHEAP" explore "$LEAK"
expect "tui/leak-starts-at-last" wait_for leak 'snapshot 5/5' 10
expect "tui/summary-used-matches-stats" wait_for leak "^used $(commas "$USED") B " 2
expect "tui/summary-allocs-matches-stats" wait_for leak "  $ALLOCS allocs\$" 2
keys leak g; keys leak -l "$LF_ADDR"; after leak Enter
expect "tui/panel-largest-free-matches-stats" wait_for leak "^free run from $LF_ADDR (block [0-9]*): $LF_BLOCKS blocks, $(commas "$LF_BYTES") B" 2
keys leak g; keys leak -l "$NEW_ADDR"; after leak Enter
expect "tui/panel-new-alloc-matches-diff" wait_for leak "^[a-z/]* ($NEW_TYPE) from $NEW_ADDR (block [0-9]*): $NEW_BLOCKS blocks" 2
expect "tui/panel-change-class" wait_for leak '^since #4: allocated here' 2
# The pattern fallback: without colour, allocated blocks show '+' (the map has no '+' else).
expect "tui/no-color-changed-glyph" sh -c "tmux -S '$SOCK' capture-pane -p -t leak | grep '^0x' | grep -q '+'"
expect "tui/no-color-no-escapes" sh -c "! tmux -S '$SOCK' capture-pane -p -e -t leak | grep -q '48;5;'"
after leak p
expect "tui/step-previous" wait_for leak 'snapshot 4/5' 2
expect "tui/step-panel-since" wait_for leak '^since #3: ' 2
after leak '['
expect "tui/step-bracket" wait_for leak 'snapshot 3/5' 2
after leak ']' n
expect "tui/step-next" wait_for leak 'snapshot 5/5' 2
after leak n
expect "tui/step-past-last" wait_for leak 'the last snapshot (5 of 5)' 2
after leak d
expect "tui/diff-view-legend" wait_for leak 'free in both .*kept' 2
after leak d
expect "tui/diff-view-off" gone_for leak 'free in both' 2
for _ in 1 2 3 4; do keys leak p; done
sleep 0.3
expect "tui/first-snapshot" wait_for leak 'snapshot 1/5' 2
expect "tui/first-snapshot-nothing-changed" sh -c "! tmux -S '$SOCK' capture-pane -p -t leak | grep '^0x' | grep -q '+'"
expect "tui/first-snapshot-panel" wait_for leak 'the first snapshot: no changes to show' 2
after leak d
expect "tui/first-snapshot-no-diff" wait_for leak 'nothing to compare it with' 2
# A resize at any moment: a wide terminal gets the side panel and a wider map; back again.
tmux -S "$SOCK" resize-window -t leak -x 150 -y 40
expect "tui/resize-side-panel" wait_for leak 'fragmentation: [0-9.]*%' 5
expect "tui/resize-side-panel-label" wait_for leak 'label: ' 1
wide=$(pane leak | grep '^0x' | head -n 1 | awk '{ print length($2) }')
expect "tui/resize-wider-map" test "${wide:-0}" -gt 64
tmux -S "$SOCK" resize-window -t leak -x 80 -y 24
expect "tui/resize-back" gone_for leak 'fragmentation: ' 5
# (tmux cuts the wide lines at once; the view then draws its 64-cell lines)
map_cells() { pane leak | grep '^0x' | head -n 1 | awk '{ print length($2) }'; }
for _ in $(seq 50); do [ "$(map_cells)" = 64 ] && break; sleep 0.1; done
expect "tui/resize-back-map" test "$(map_cells)" = 64
after leak C-c
expect "tui/ctrl-c-exit-0" wait_for leak '^EXIT=0$' 5
expect "tui/ctrl-c-restores-terminal" wait_for leak '^RESTORED$' 2
done_with leak

# Colour: the changes in the diff palette's colours (the safe palette's 256-colour orange,
# 208, for allocated blocks), the same palette as every renderer.
run colour 80x24 "" "$MPHEAP" explore "$LEAK"
wait_for colour 'snapshot 5/5' 10
expect "tui/colour-allocated-orange" sh -c "tmux -S '$SOCK' capture-pane -p -e -t colour | grep -q '48;5;208m'"
expect "tui/colour-free-grey" sh -c "tmux -S '$SOCK' capture-pane -p -e -t colour | grep -q '48;5;236m'"
# SIGTERM: the terminal comes back, exit 128 + 15.
pid=$(pgrep -P "$(tmux -S "$SOCK" display -p -t colour:0 '#{pane_pid}')" -x mpheap)
[ -n "$pid" ] && kill -TERM "$pid"
expect "tui/sigterm-exit-143" wait_for colour '^EXIT=143$' 5
expect "tui/sigterm-restores-terminal" wait_for colour '^RESTORED$' 2
done_with colour

# --need: b jumps to the best window, then to its blockers.
"$MPHEAP" stats --need 60K --json "$LEAK" 2>/dev/null | flat >"$TMP/need"
W_ADDR=$(awk '$1 == "verdict.windows.0.makes.address" { print $2; exit }' "$TMP/need")
run need 80x24 "" "$MPHEAP" explore --need 60K "$LEAK"
wait_for need 'snapshot 5/5' 10
expect "tui/need-legend-blocker" wait_for need '! blocker' 2
after need b
expect "tui/need-best-window" wait_for need "best window: [0-9]* blocks from ${W_ADDR:-none} once its [0-9]* blockers are freed" 2
expect "tui/need-best-window-cursor" wait_for need "^at ${W_ADDR:-none}: area 1" 1
after need b
expect "tui/need-first-blocker" wait_for need 'blocker 1 of [0-9]*: ' 2
after need q
expect "tui/need-quit" wait_for need '^EXIT=0$' 5
done_with need

# ---- watch: a dump that does not parse goes to LOG.damaged, never into the log, and the
# watch exits 5, as capture does (the log writer they share); a fake board
# (tests/cli/fake_board.py) sends it.
if command -v python3 >/dev/null 2>&1; then
    FAKE="exec:python3 $PWD/tests/cli/fake_board.py"
    # Polled: the 2nd snapshot repeats a map row; -n 3 ends after the 3rd whole one.
    run wdmg 80x24 "" "$MPHEAP" watch --port "'$FAKE damaged'" --every 0.1 -n 3 -o "$TMP/wdmg.log"
    expect "tui/watch-damaged-exit-5" wait_for wdmg '^EXIT=5$' 15
    expect "tui/watch-damaged-log-numbers-the-others" sh -c "test \$(grep -c '^=== mpheap [0-9]*: watch @' '$TMP/wdmg.log') = 3 && grep -q '^=== mpheap 3: watch @' '$TMP/wdmg.log'"
    expect "tui/watch-damaged-log-reads" sh -c "'$MPHEAP' show -s all --strict --color never '$TMP/wdmg.log' >/dev/null 2>&1"
    expect "tui/watch-damaged-kept-aside" grep -q '^### mpheap: damaged, not in .*wdmg.log: snapshot 2 @' "$TMP/wdmg.log.damaged"
    expect "tui/watch-damaged-said" sh -c "tmux -S '$SOCK' capture-pane -p -J -t wdmg | grep -q 'kept in .*wdmg.log.damaged, not in the log'"
    done_with wdmg
    # --listen: the program prints three labelled dumps, the 2nd damaged: it goes aside with
    # its marker; -n 2 ends after the two whole ones.
    run ldmg 80x24 "" "$MPHEAP" watch --port "'$FAKE listen-damaged'" --listen -n 2 -o "$TMP/ldmg.log"
    expect "tui/listen-damaged-exit-5" wait_for ldmg '^EXIT=5$' 15
    expect "tui/listen-damaged-log-has-the-others" sh -c "test \"\$(grep '^=== mpheap' '$TMP/ldmg.log' | cut -d' ' -f3-4 | tr '\n' ' ')\" = '1: one 3: three '"
    expect "tui/listen-damaged-log-reads" sh -c "'$MPHEAP' show -s all --strict --color never '$TMP/ldmg.log' >/dev/null 2>&1"
    expect "tui/listen-damaged-kept-aside-with-marker" sh -c "grep -q '^### mpheap: damaged, not in .*ldmg.log: dump 2 @' '$TMP/ldmg.log.damaged' && grep -q '^=== mpheap 2: two @ ' '$TMP/ldmg.log.damaged'"
    expect "tui/listen-damaged-said" sh -c "tmux -S '$SOCK' capture-pane -p -J -t ldmg | grep -q 'kept in .*ldmg.log.damaged, not in the log'"
    done_with ldmg
else
    skip "tui/watch-damaged" "python3 is needed for the fake board"
fi

# ---- watch (the virtual board)
if ! command -v node >/dev/null 2>&1 || [ ! -d board/node_modules/@micropython ]; then
    skip "tui/watch" "the virtual board is not installed (npm ci --prefix board)"
    exit 0
fi
# Polled: the screen counts the snapshots, the log holds each one.
run poll 80x24 "" "$MPHEAP" watch --port sim:64K --every 0.1 -o "$TMP/poll.log"
expect "tui/watch-refreshes" wait_for poll 'snapshot [5-9][0-9]* ' 20
first=$(pane poll | sed -n 's/.*snapshot \([0-9]*\) .*/\1/p' | head -n 1)
sleep 1
second=$(pane poll | sed -n 's/.*snapshot \([0-9]*\) .*/\1/p' | head -n 1)
expect "tui/watch-keeps-refreshing" test "${second:-0}" -gt "${first:-0}"
expect "tui/watch-sparklines" wait_for poll '^used    .* [0-9.]*%$' 1
expect "tui/watch-map-fitted" wait_for poll '^-- area 1 at 0x30000: 64,000 B' 1
expect "tui/watch-legend" wait_for poll 'cell = [0-9]* blocks:' 1
after poll q
expect "tui/watch-q" wait_for poll '^EXIT=0$' 5
expect "tui/watch-q-restores" wait_for poll '^RESTORED$' 2
n=$(pane poll | tr -d '\n' | sed -n 's/.*watch: \([0-9]*\) snapshots.*/\1/p')
expect "tui/watch-log-every-snapshot" test -n "$n" -a "$(grep -c '^GC: total:' "$TMP/poll.log")" = "${n:-x}"
expect "tui/watch-log-parses" sh -c "'$MPHEAP' timeline '$TMP/poll.log' >/dev/null 2>&1"
done_with poll

# A board shared by the next runs (mpheap sim on a pty), with the device module on it.
start_sim() {
    "$MPHEAP" sim --heap 64K --link "$TMP/board" >"$TMP/sim.out" 2>"$TMP/sim.err" &
    SIM_PID=$!
    for _ in $(seq 100); do [ -e "$TMP/board" ] && break; sleep 0.1; done
}
stop_sim() { # SIGTERM, and SIGKILL after 5 s: a test must not hang on a board that hangs
    local i
    kill "$SIM_PID" 2>/dev/null
    for ((i = 0; i < 50; i++)); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SIM_PID" 2>/dev/null
    wait "$SIM_PID" 2>/dev/null
    SIM_PID=
}
start_sim
"$MPHEAP" upload --port "$TMP/board" >/dev/null 2>&1
# A program that allocates between two of its own snapshots: the highlight (the pattern
# fallback's '*' in the fitted overview) is on the map line that holds the new allocation.
cat >"$TMP/app.py" <<'EOF'
import mpheap
mpheap.snapshot("before", collect=True)
big = bytearray(6000)
mpheap.snapshot("after", collect=True)
EOF
run listen 80x24 "NO_COLOR=1" "$MPHEAP" watch --port "$TMP/board" --listen --run "$TMP/app.py" -o "$TMP/listen.log"
expect "tui/listen-program-ended" wait_for listen 'the program ended; still listening' 20
pane listen >"$TMP/listen.screen"
expect "tui/listen-two-snapshots-on-screen" grep -q 'snapshot 2 ' "$TMP/listen.screen"
"$MPHEAP" diff --json "$TMP/listen.log" 2>/dev/null | flat >"$TMP/ldiff"
BIG=$(awk '$1 == "new_allocations.0.address" { print $2 }' "$TMP/ldiff")
BIG_BLOCKS=$(awk '$1 == "new_allocations.0.blocks" { print $2 }' "$TMP/ldiff")
expect "tui/listen-log-has-the-allocation" test "${BIG_BLOCKS:-0}" -ge 375
# the gutter line whose range holds BIG, and whether it has a '*'
hit=$(awk -v a="$BIG" 'function hex(s,  i, c, v) { v = 0; s = tolower(substr(s, 3))
        for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
        return v }
    /^0x[0-9a-f]+ / { n++; addr[n] = hex($1); cells[n] = $2 }
    END { want = hex(a); for (i = 1; i <= n; i++) if (addr[i] <= want && (i == n || addr[i + 1] > want)) { print (cells[i] ~ /\*/) ? "yes" : "no"; exit } print "none" }' "$TMP/listen.screen")
expect "tui/listen-highlight-where-allocated" test "$hit" = yes
expect "tui/listen-legend-changed" grep -q '\* allocated' "$TMP/listen.screen"
after listen q
expect "tui/listen-q" wait_for listen '^EXIT=0$' 5
expect "tui/listen-log-every-snapshot" bash -c "test \$(grep -c '^=== mpheap [0-9]*: ' '$TMP/listen.log') = 2 && grep -q 'watch: 2 snapshots' <(tmux -S '$SOCK' capture-pane -p -J -t listen)"
done_with listen

# The board killed while watched, then started again on the same port.
run killed 80x24 "" "$MPHEAP" watch --port "$TMP/board" --every 0.2 -o "$TMP/killed.log"
wait_for killed 'snapshot [3-9]' 15
stop_sim
expect "tui/board-gone-status" wait_for killed 'board gone [0-9]* s ago, waiting for it to come back' 10
before=$(grep -c '^GC: total:' "$TMP/killed.log")
start_sim
expect "tui/board-back-status" wait_for killed 'board back after [0-9.]* s away' 15
expect "tui/board-back-refreshes" sh -c "sleep 1; test \$(grep -c '^GC: total:' '$TMP/killed.log') -gt $before"
after killed q
expect "tui/killed-q" wait_for killed '^EXIT=0$' 5
expect "tui/killed-restores" wait_for killed '^RESTORED$' 2
n=$(tmux -S "$SOCK" capture-pane -p -J -t killed | sed -n 's/.*watch: \([0-9]*\) snapshots.*/\1/p')
expect "tui/killed-log-kept" test -n "$n" -a "$(grep -c '^GC: total:' "$TMP/killed.log")" = "${n:-x}"
done_with killed

# An error on the way: the log cannot be written (a full disk). Exit 4, terminal restored.
run full 80x24 "" "$MPHEAP" watch --port "$TMP/board" --every 0.2 -o /dev/full
expect "tui/error-exit-4" wait_for full '^EXIT=4$' 15
expect "tui/error-restores" wait_for full '^RESTORED$' 2
expect "tui/error-says-why" wait_for full '/dev/full: error: No space left on device' 1
done_with full
stop_sim
