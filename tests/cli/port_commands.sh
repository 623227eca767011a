#!/usr/bin/env bash
# --port on show, stats, diff and check: one live snapshot from the virtual board,
# the same figures as a capture of the same board state would give.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
M=$MPHEAP
if ! command -v node >/dev/null || [ ! -d board/node_modules ]; then
    for t in show stats diff check; do skip "port_$t" "node or board/node_modules missing (npm ci --prefix board)"; done
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$M" show --port sim:64K --color never >"$T/show" 2>"$T/err"; rc=$?
expect port_show_exit [ $rc -eq 0 ]
expect port_show_summary grep -q '^heap  *64,000 bytes' "$T/show"
expect port_show_map grep -q '^-- area 1 of 1' "$T/show"

"$M" stats --port sim:64K --json >"$T/stats.json" 2>"$T/err"; rc=$?
expect port_stats_exit [ $rc -eq 0 ]
expect port_stats_schema grep -q '"schema": *"mpheap/stats/2"' "$T/stats.json"

# A fresh virtual board each time: the same program state, so a diff of a capture
# against a live snapshot shows no allocation gone and only the snapshot code's own few.
"$M" capture --port sim:64K -q -o "$T/old.log" 2>"$T/err"
"$M" diff --no-map --port sim:64K "$T/old.log" >"$T/diff" 2>"$T/err"; rc=$?
expect port_diff_exit [ $rc -eq 0 ]
expect port_diff_names_both grep -q "^NEW  sim:64K" "$T/diff"
expect port_diff_old_is_file grep -q "^OLD  $T/old.log" "$T/diff"
"$M" diff --port sim:64K "$T/old.log" "$T/old.log" >/dev/null 2>"$T/err"; rc=$?
expect port_diff_two_files_is_usage [ $rc -eq 2 ]

"$M" check --port sim:64K --min-largest-free 1K -q; rc=$?
expect port_check_passes [ $rc -eq 0 ]
"$M" check --port sim:64K --min-largest-free 1M --no-growth -q; rc=$?
expect port_check_fails [ $rc -eq 1 ]
# The wasm heap can grow (max new split): a new area for 1M counts unless --no-growth.
out=$("$M" check --port sim:64K --min-largest-free 1M -v 2>&1); rc=$?
expect port_check_passes_by_growth [ $rc -eq 0 ]
expect port_check_says_growth grep -q "heap can grow" <<<"$out"
