#!/usr/bin/env bash
# mpheap show as a new user meets it (issue 9, "Defaults and messages"):
#
#  1. the default palette is the colour-blind safe one, written as 256-colour or 24-bit
#     escapes (the measurement itself is tests/unit/test_palette.c); seed = notebook;
#  2. output longer than the screen goes through a pager (tmux: a real terminal);
#  3. the summary, the verdict and the legend fit the terminal's width;
#  4. a terminal on stdin is told what to paste;
#  5. two files: "use mpheap diff";
#  6. -p is the port in every command that takes one; a palette given to -p, or a board
#     given to --palette, is an error that names the right option.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
MPHEAP=$(cd "$(dirname "$MPHEAP")" && pwd)/$(basename "$MPHEAP")
TMP=$(mktemp -d)
SOCK=mpheap-test-$$
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
export COLUMNS=80 LINES=50
unset NO_COLOR COLORTERM MPHEAP_PAGER PAGER LESS

strip() { sed 's/\x1b\[[0-9;]*m//g' "$@"; }
widest() { strip "$@" | awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }'; }

# A dump of N rows of 64 blocks: allocations of three blocks with two free between.
make_dump() {
    awk -v n="$1" 'BEGIN { print "GC memory layout; from 20000000:"
        for (i = 0; i < n; i++) { printf "%08x: ", i * 1024
            for (j = 0; j < 64; j++) printf (j % 5 == 0 ? "h" : (j % 5 < 3 ? "=" : ".")); print "" } }'
}
make_dump 300 >"$TMP/big.txt"
make_dump 4 >"$TMP/small.txt"
# Every type, two areas, 64-bit addresses: the widest summary lines.
row() { printf '%08x: %-64s\n' "$1" "$2" | sed 's/ /./g; s/^\([0-9a-f]*\):\./\1: /'; }
{
    echo "GC memory layout; from 7ff1a65d7c00:"
    row 0 "hTLDSAFBMm==h=======h=..........h=....hh....T=....L=="
    row 2048 "h=====S"
    echo "GC memory layout; from 7ff1a6600000:"
    row 0 "h=S"
    row 2048 "................................h=========="
} >"$TMP/types.txt"
# Twelve areas at 64-bit addresses: "at 0x7ff1a6b00020 in area 12" in the verdict's lines.
for k in $(seq 0 11); do
    printf 'GC memory layout; from %x:\n' $((0x7ff1a6000000 + k * 0x100000))
    row 0 "h=...h=====....................h=.........................h"
    row 1024 "......h=======.....................h=......................h=.."
done >"$TMP/areas.txt"
SAMPLE=tests/data/samples/u64split4-objects-64k.txt
[ -f "$SAMPLE" ] || SAMPLE=$TMP/types.txt

# ---- 1. the default palette
"$MPHEAP" show --color always "$TMP/types.txt" >"$TMP/default" 2>&1
"$MPHEAP" show --color always --palette safe "$TMP/types.txt" >"$TMP/safe" 2>&1
expect "show-ux/default-palette-is-safe" cmp -s "$TMP/default" "$TMP/safe"
# free is dark grey (256-colour 236), not the notebook's green on green
expect "show-ux/free-not-green" sh -c "grep -q '48;5;236m\\.' '$TMP/default' && ! grep -q '32;42m' '$TMP/default'"
"$MPHEAP" show --color always --palette seed "$TMP/types.txt" >"$TMP/seed" 2>&1
"$MPHEAP" show --color always --palette notebook "$TMP/types.txt" >"$TMP/notebook" 2>&1
expect "show-ux/seed-is-notebook" cmp -s "$TMP/seed" "$TMP/notebook"
expect "show-ux/notebook-is-red-green" grep -q '32;42m\.' "$TMP/notebook"
COLORTERM=truecolor "$MPHEAP" show --color always "$TMP/types.txt" >"$TMP/tc" 2>&1
expect "show-ux/truecolor-when-colorterm-says" grep -q '48;2;48;48;48m\.' "$TMP/tc"
"$MPHEAP" show --color always --color-depth 24bit "$TMP/types.txt" >"$TMP/24" 2>&1
expect "show-ux/depth-24bit" cmp -s "$TMP/tc" "$TMP/24"
# the same text whatever the depth; 16 colours write no 256-colour escape
"$MPHEAP" show --color always --color-depth 16 "$TMP/types.txt" >"$TMP/16" 2>&1
expect "show-ux/depth-16-no-256" sh -c "! grep -q '[34]8;[25];' '$TMP/16'"
expect "show-ux/depths-same-text" sh -c "[ \"\$(sed 's/\\x1b\\[[0-9;]*m//g' '$TMP/16')\" = \"\$(sed 's/\\x1b\\[[0-9;]*m//g' '$TMP/24')\" ]"
"$MPHEAP" show --color-depth 8 "$TMP/types.txt" >/dev/null 2>"$TMP/err"
expect "show-ux/depth-unknown" grep -q -- '--color-depth takes 16, 256, 24bit or auto' "$TMP/err"
"$MPHEAP" show --help >"$TMP/help"
expect "show-ux/help-names-palettes" sh -c "grep -q 'safe (default: colour-blind safe)' '$TMP/help' && grep -q 'also \"seed\"' '$TMP/help'"

# ---- 3. widths: summary, verdict and legend
fits=1 detail=
for w in 80 60 40 100 200; do
    for f in "$TMP/types.txt" "$TMP/areas.txt" "$SAMPLE" "$TMP/big.txt"; do
        for need in "" "--need 1900" "--need 4000" "--need 100K" "--need 17"; do
            for scale in 1 3; do
                # shellcheck disable=SC2086
                COLUMNS=$w "$MPHEAP" show --color always --scale $scale $need -s all "$f" 2>/dev/null |
                    strip | awk '/^-- area/ { exit } { print }' >"$TMP/top"
                got=$(widest "$TMP/top")
                if [ "$got" -gt "$w" ]; then
                    fits=0 detail="$detail $(basename "$f") $need scale $scale at $w: $got;"
                fi
            done
        done
    done
done
expect "show-ux/summary-verdict-legend-fit-width" test "$fits" = 1
[ "$fits" = 1 ] || not_ok "show-ux/fit-detail" "$detail"
# the verdict as stats prints it (mph_render_text_verdict): within 80 columns too
COLUMNS=200 "$MPHEAP" stats --need 1900 "$TMP/areas.txt" 2>/dev/null |
    awk '/^verdict/ { p = 1 } p && /^$/ { exit } p' >"$TMP/verdict"
expect "show-ux/verdict-fits-80" test -s "$TMP/verdict" -a "$(widest "$TMP/verdict")" -le 80
# the lines are broken, not cut: the same words at any width
a=$(COLUMNS=200 "$MPHEAP" show --color never --need 4000 "$TMP/types.txt" | awk '/^-- area/ { exit } { print }' | tr -s ' \n' ' ')
b=$(COLUMNS=40 "$MPHEAP" show --color never --need 4000 "$TMP/types.txt" | awk '/^-- area/ { exit } { print }' | tr -s ' \n' ' ')
expect "show-ux/nothing-lost-when-narrow" test "$a" = "$b"
# the legend was one line of about 100 columns: at 200 it is one line, at 80 it breaks
n200=$(COLUMNS=200 "$MPHEAP" show --color never "$TMP/types.txt" | sed -n '/^legend/,/^-- area/p' | grep -vc '^-- area')
n80=$(COLUMNS=80 "$MPHEAP" show --color never "$TMP/types.txt" | sed -n '/^legend/,/^-- area/p' | grep -vc '^-- area')
expect "show-ux/legend-uses-the-width" test "$n200" = 1 -a "$n80" -ge 2

# ---- 5. two files
"$MPHEAP" show "$TMP/small.txt" "$TMP/big.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
expect "show-ux/two-files-exit-2" test "$rc" = 2
expect "show-ux/two-files-says-diff" grep -q "show takes one FILE; to compare two, use \`mpheap diff $TMP/small.txt $TMP/big.txt\`" "$TMP/err"
expect "show-ux/two-files-no-usage-dump" sh -c "! grep -q '^usage:' '$TMP/err' && test ! -s '$TMP/out'"

# ---- 6. -p is the port
# Each command that takes a port: -p and --port do the same (a missing device here).
for cmd in show stats check diff capture upload; do
    args=()
    [ "$cmd" = check ] && args=(--min-free 1)
    [ "$cmd" = diff ] && args=("$TMP/small.txt") # OLD; NEW from the board
    "$MPHEAP" "$cmd" --port /dev/mpheap-no-such-tty "${args[@]}" >"$TMP/long" 2>&1
    rl=$?
    "$MPHEAP" "$cmd" -p /dev/mpheap-no-such-tty "${args[@]}" >"$TMP/short" 2>&1
    rs=$?
    expect "show-ux/-p-is-port/$cmd" test "$rl" = "$rs" -a "$rs" != 2
    expect "show-ux/-p-is-port-same-message/$cmd" cmp -s "$TMP/long" "$TMP/short"
    "$MPHEAP" "$cmd" "${args[@]}" -p type >"$TMP/out" 2>"$TMP/err"
    rc=$?
    expect "show-ux/-p-palette-name/$cmd" sh -c "test $rc = 2 && grep -q \"'type' is a palette, not a board\" '$TMP/err' && grep -q -- '--palette type' '$TMP/err'"
done
"$MPHEAP" show --palette /dev/ttyUSB0 "$TMP/small.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
expect "show-ux/palette-given-a-board" sh -c "test $rc = 2 && grep -q \"'/dev/ttyUSB0' is a board, not a palette: give it to -p/--port\" '$TMP/err'"
"$MPHEAP" show --palette u0 "$TMP/small.txt" >/dev/null 2>"$TMP/err"
expect "show-ux/palette-given-u0" grep -q 'give it to -p/--port' "$TMP/err"
"$MPHEAP" show --palette pastel "$TMP/small.txt" >/dev/null 2>"$TMP/err"
expect "show-ux/palette-unknown" grep -q -- "--palette takes safe, notebook, type, rainbow or mono, not 'pastel'" "$TMP/err"
for cmd in show stats check diff; do
    "$MPHEAP" "$cmd" --help | grep -q -- '-p, --port P' || not_ok "show-ux/help-p/$cmd" "no -p in --help"
done
ok "show-ux/help-p"

# not a terminal: no pager, all of it (a pipe is read by a program)
"$MPHEAP" show --color never "$TMP/big.txt" >"$TMP/piped" 2>&1
expect "show-ux/pipe-not-paged" test "$(grep -c '^0x' "$TMP/piped")" = 300
# stdin a pipe: no message on stderr
"$MPHEAP" show --color never <"$TMP/small.txt" >/dev/null 2>"$TMP/err"
expect "show-ux/stdin-pipe-quiet" test ! -s "$TMP/err"

# ---- 2 and 4: a real terminal (tmux)
if ! command -v tmux >/dev/null 2>&1; then
    skip "show-ux/terminal" "tmux is not installed (scripts/bootstrap.sh installs it)"
    exit 0
fi
if ! command -v less >/dev/null 2>&1; then
    skip "show-ux/terminal" "less is not installed (scripts/bootstrap.sh installs it)"
    exit 0
fi
# run NAME COMMAND: in a new 80x24 terminal; the command's exit status is printed as EXIT=N
run() {
    local try
    for try in 1 2 3; do # a loaded machine: tmux may refuse once
        tmux -L "$SOCK" new-session -d -s "$1" -x 80 -y 24 \
            "cd '$PWD'; env -u LESS -u PAGER -u MPHEAP_PAGER -u COLUMNS -u LINES $2; echo EXIT=\$?; sleep 30" \
            2>/dev/null && return 0
        sleep 1
    done
    return 1
}
# One session that outlives every test's, so that the server does not exit (and race the next
# new-session) each time a test's session ends.
tmux -L "$SOCK" new-session -d -s keeper "sleep 3600" 2>/dev/null
pane() { tmux -L "$SOCK" capture-pane -p -t "$1"; }
# wait_for NAME REGEX [SECONDS]: until the screen shows it
wait_for() {
    local i
    for ((i = 0; i < ${3:-10} * 10; i++)); do
        pane "$1" | grep -q -- "$2" && return 0
        sleep 0.1
    done
    return 1
}
done_with() { tmux -L "$SOCK" kill-session -t "$1" 2>/dev/null; }

# 2. longer than the screen: the pager shows the top (the summary), and waits
run long "$MPHEAP show $TMP/big.txt"
wait_for long '^heap ' 10
sleep 0.5
pane long >"$TMP/screen"
expect "show-ux/pager-shows-summary-first" grep -q '^heap  *307,200 bytes' "$TMP/screen"
expect "show-ux/pager-waits" sh -c "! grep -q 'EXIT=' '$TMP/screen' && tail -n 1 '$TMP/screen' | grep -q '^:'"
tmux -L "$SOCK" send-keys -t long G
wait_for long '0x2004ac00' 5
expect "show-ux/pager-has-every-block" wait_for long '0x2004ac00' 1
tmux -L "$SOCK" send-keys -t long q
expect "show-ux/pager-quit-exit-0" wait_for long '^EXIT=0' 5
done_with long
# a pager quit early (a map much longer than the pipe holds): no error, exit 0
make_dump 5000 >"$TMP/huge.txt"
run huge "$MPHEAP show --color always $TMP/huge.txt"
wait_for huge '^heap ' 10
tmux -L "$SOCK" send-keys -t huge q
expect "show-ux/pager-quit-early" wait_for huge '^EXIT=0' 5
expect "show-ux/pager-quit-early-quiet" sh -c "! tmux -L '$SOCK' capture-pane -p -t huge | grep -q 'error'"
done_with huge
# short: no pager
run short "$MPHEAP show $TMP/small.txt"
expect "show-ux/short-not-paged" wait_for short '^EXIT=0' 5
done_with short
# --no-pager: straight to the terminal (the summary scrolls away, as before)
run nopager "$MPHEAP show --no-pager $TMP/big.txt"
wait_for nopager '^EXIT=0' 5
expect "show-ux/no-pager" sh -c "! tmux -L '$SOCK' capture-pane -p -t nopager | grep -q '^heap '"
done_with nopager
# $MPHEAP_PAGER before $PAGER; "cat" is none
run mp "env MPHEAP_PAGER='sed s/^/MP:/' PAGER='sed s/^/PG:/' $MPHEAP show $TMP/big.txt"
expect "show-ux/mpheap-pager-first" wait_for mp '^MP:0x2004ac00' 5
done_with mp
run pg "env PAGER='sed s/^/PG:/' $MPHEAP show $TMP/big.txt"
expect "show-ux/pager-env" wait_for pg '^PG:0x2004ac00' 5
done_with pg
run cat "env MPHEAP_PAGER=cat PAGER='sed s/^/PG:/' $MPHEAP show $TMP/big.txt"
wait_for cat '^EXIT=0' 5
expect "show-ux/pager-cat-is-none" sh -c "tmux -L '$SOCK' capture-pane -p -t cat | grep -q '^0x2004ac00' && ! tmux -L '$SOCK' capture-pane -p -t cat | grep -q 'PG:'"
done_with cat

# 4. a terminal on stdin: say what to paste, then read it
run stdin "$MPHEAP show --color never"
expect "show-ux/stdin-terminal-says-what" wait_for stdin 'paste what micropython.mem_info(1)$' 5
while IFS= read -r line; do
    tmux -L "$SOCK" send-keys -t stdin -l "$line"
    tmux -L "$SOCK" send-keys -t stdin Enter
done <"$TMP/small.txt"
tmux -L "$SOCK" send-keys -t stdin C-d
expect "show-ux/stdin-terminal-reads" wait_for stdin '^EXIT=0' 5
expect "show-ux/stdin-terminal-shows" wait_for stdin '^heap  *4,096 bytes' 1
done_with stdin

# 5. stats, diff and timeline page their text as show does (the top stays on the screen), and
#    --no-pager writes straight through. Inputs: a real 256 KB heap and a 5-snapshot log.
C00=tests/data/variants/canon/c00.txt LEAK=tests/data/samples/seq-leak-5snapshots.txt
run stats "$MPHEAP stats --need 120K $C00"
expect "show-ux/stats-paged" wait_for stats '^:' 10
expect "show-ux/stats-top-kept" sh -c "tmux -L '$SOCK' capture-pane -p -t stats | head -n 1 | grep -q 'c00.txt'"
tmux -L "$SOCK" send-keys -t stats q
expect "show-ux/stats-quit-exit-0" wait_for stats '^EXIT=0' 5
done_with stats
run diff "$MPHEAP diff --color never $C00 $C00"
expect "show-ux/diff-paged" wait_for diff '^:' 10
expect "show-ux/diff-top-kept" sh -c "tmux -L '$SOCK' capture-pane -p -t diff | head -n 1 | grep -q '^OLD '"
tmux -L "$SOCK" send-keys -t diff q
expect "show-ux/diff-quit-exit-0" wait_for diff '^EXIT=0' 5
done_with diff
run tl "$MPHEAP timeline $LEAK"
expect "show-ux/timeline-paged" wait_for tl '^:' 10
tmux -L "$SOCK" send-keys -t tl q
expect "show-ux/timeline-quit-exit-0" wait_for tl '^EXIT=0' 5
done_with tl
run tlnp "$MPHEAP timeline --no-pager $LEAK"
expect "show-ux/timeline-no-pager" wait_for tlnp '^EXIT=0' 5
done_with tlnp
