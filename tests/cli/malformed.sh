#!/usr/bin/env bash
# Damaged inputs: each gives exit 3 and `mpheap: FILE:LINE:COL: error: ...` at the place of the
# damage, or (where a real dump could look like this) a located warning and exit 0.
# The cases are tests/data/malformed/*.txt with tests/data/malformed/EXPECT, both written by
# tests/data/gen.py, which computes each line and column from the edit that made the damage;
# a few big ones are made here. Every case must also run without a crash (ASan: make asan).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
DATA=tests/data/malformed
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# check NAME FILE EXIT LINE COL LEVEL MESSAGE-PART [OPTIONS...]
check() {
    local name=$1 file=$2 want_rc=$3 line=$4 col=$5 level=$6 msg=$7
    shift 7
    local rc
    "$MPHEAP" show --color never --columns 1 "$@" "$file" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -ge 128 ] || grep -q -E 'Sanitizer|runtime error' "$TMP/err"; then
        not_ok "malformed/$name" "crashed (exit $rc): $(head -c 400 "$TMP/err")"
        return
    fi
    if [ "$rc" != "$want_rc" ]; then
        not_ok "malformed/$name" "exit $rc, expected $want_rc; stderr: $(head -c 400 "$TMP/err")"
        return
    fi
    local where="mpheap: $file:$line:$col: $level: "
    if ! grep -F -- "$where" "$TMP/err" | grep -q -F -- "$msg"; then
        not_ok "malformed/$name" "no \"$where...$msg...\" in: $(head -c 600 "$TMP/err")"
        return
    fi
    # An error is the only message and nothing is shown; a warning comes with the map.
    if [ "$level" = error ] && { [ -s "$TMP/out" ] || [ "$(wc -l <"$TMP/err")" -ne 1 ]; }; then
        not_ok "malformed/$name" "an error should print one line and no map"
        return
    fi
    if [ "$level" = warning ] && ! grep -q '^-- area 1 of' "$TMP/out"; then
        not_ok "malformed/$name" "a warning should still show the map"
        return
    fi
    ok "malformed/$name"
}

kinds=0
while IFS=$'\t' read -r name rc line col level msg opts; do
    case $name in '#'*|'') continue ;; esac
    # shellcheck disable=SC2086 # options are words
    check "$name" "$DATA/$name.txt" "$rc" "$line" "$col" "$level" "$msg" $opts
    kinds=$((kinds + 1))
done <"$DATA/EXPECT"

# Made here, too big to keep: a 10 MB line of output before a dump (skipped, with a warning
# at its 1 MiB cut), and a 10 MB row inside a map (an error where row 64 ends).
dump=$DATA/block-size-option-ignored.txt # an undamaged dump: 4 header lines, layout, rows
{ head -c 10000000 /dev/zero | tr '\0' 'x'; echo; cat "$dump"; } >"$TMP/long-line.txt"
check long-line "$TMP/long-line.txt" 0 1 1048577 warning "longer than 1048576 bytes"
check long-line-strict "$TMP/long-line.txt" 3 1 1048577 error "longer than 1048576 bytes" --strict
{ sed -n '1,8p' "$dump"; printf '00000c00: '; head -c 10000000 /dev/zero | tr '\0' '.'; echo; } >"$TMP/long-row.txt"
check long-row "$TMP/long-row.txt" 3 9 75 error "at most 64"
# the same 10 MB row with no newline at the end (read through the parser's carry)
head -c -1 "$TMP/long-row.txt" >"$TMP/long-row-eof.txt"
check long-row-eof "$TMP/long-row-eof.txt" 3 9 75 error "at most 64"
head -c 10000000 /dev/zero | tr '\0' '\n' >"$TMP/ten-million-blank-lines.txt"
check blank-lines "$TMP/ten-million-blank-lines.txt" 3 10000000 1 error "no heap dump found"
kinds=$((kinds + 5))

# Through stdin as well: the name is <stdin>.
printf 'GC memory layout; from 1000:\n00000000: hhXh\n' | "$MPHEAP" show - >/dev/null 2>"$TMP/err"
expect malformed/stdin-located grep -q -F 'mpheap: <stdin>:2:13: error: unknown cell' "$TMP/err"

# Enough kinds of damage (the issue asks for at least 30).
expect malformed/at-least-30-kinds test "$kinds" -ge 30
echo "malformed kinds: $kinds"
