#!/usr/bin/env bash
# mpheap show: golden outputs and invariances.
#
#  1. every real dump in tests/data/samples/ under option sets: plain, --color always with each palette,
#     --columns, --collapse-free, --scale, --snapshot; compared with tests/data/golden/.
#  2. tests/data/variants/ (tests/data/gen.py): every era and paste variant must show exactly
#     as its canonical v1.20 print (title line numbers and the block-size source aside);
#     the ones with no canonical form have golden outputs.
#  3. properties that need no stored answer: stdin = file, `-s all` = each snapshot in turn,
#     --block-size never overrides what the dump says.
#
# UPDATE_GOLDEN=1 tests/cli/show.sh rewrites the golden files (then read the diff!).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
SAMPLES=tests/data/samples
GOLDEN=tests/data/golden
VARIANTS=tests/data/variants
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export COLUMNS=80 LINES=50
unset NO_COLOR COLORTERM # the default palette in 256 colours

# Option sets: NAME|OPTIONS (snapshot selection is added per file).
OPTSETS='plain|--color never --columns 1
cols2|--color never --columns 2
cols4-collapse|--color never --columns 4 --collapse-free
safe|--color always --columns 1
notebook|--color always --palette notebook --columns 1
type-collapse|--color always --palette type --columns 2 --collapse-free
rainbow|--color always --palette rainbow --columns 1
scale8|--color never --columns 1 --scale 8
scale4-color|--color always --columns 1 --scale 4 --collapse-free'

# run OUT ARGS...: stdout, then stderr under a marker (paths made relative).
run() {
    local out=$1
    shift
    "$MPHEAP" show "$@" >"$out" 2>"$TMP/stderr"
    local rc=$?
    if [ -s "$TMP/stderr" ] || [ $rc -ne 0 ]; then
        printf -- '--- exit %d, stderr:\n' "$rc" >>"$out"
        sed -e "s#$SAMPLES/##g" -e "s#$VARIANTS/##g" "$TMP/stderr" >>"$out"
    fi
}

# golden NAME FILE OPTIONS...: compare with tests/data/golden/NAME.out
golden() {
    local name=$1
    shift
    run "$TMP/got" "$@"
    if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
        mkdir -p "$GOLDEN"
        cp "$TMP/got" "$GOLDEN/$name.out"
    fi
    if [ ! -f "$GOLDEN/$name.out" ]; then
        not_ok "show/golden/$name" "no $GOLDEN/$name.out (UPDATE_GOLDEN=1 makes it)"
    elif cmp -s "$TMP/got" "$GOLDEN/$name.out"; then
        ok "show/golden/$name"
    else
        not_ok "show/golden/$name" "differs: $(diff "$GOLDEN/$name.out" "$TMP/got" | head -n 8)"
    fi
}

# ---- 1. the real samples
if [ ! -d "$SAMPLES" ]; then
    not_ok "show/samples" "$SAMPLES is missing: the real dumps are part of the repository"
else
    for f in "$SAMPLES"/*.txt; do
        base=$(basename "$f" .txt)
        while IFS='|' read -r set opts; do
            # shellcheck disable=SC2086 # options are words
            golden "$base.$set" "$f" $opts
        done <<<"$OPTSETS"
        # a genuine dump never draws a warning, even with --strict
        "$MPHEAP" show --strict --color never -s all "$f" >/dev/null 2>"$TMP/err"
        expect "show/strict-clean/$base" test ! -s "$TMP/err"
        # mono is plain even when colour is asked for; --no-summary --no-legend leave the map
        "$MPHEAP" show --color never --columns 1 "$f" >"$TMP/plain" 2>/dev/null
        "$MPHEAP" show --color always --palette mono --columns 1 "$f" >"$TMP/mono" 2>/dev/null
        expect "show/mono-is-plain/$base" cmp -s "$TMP/plain" "$TMP/mono"
        "$MPHEAP" show --color never --columns 1 --no-summary --no-legend "$f" 2>/dev/null |
            grep -v '^== snapshot' >"$TMP/bare"
        sed -n '/^-- area 1 of/,$p' "$TMP/plain" >"$TMP/map"
        expect "show/bare-is-the-map/$base" cmp -s "$TMP/bare" "$TMP/map"
        expect "show/no-escapes-without-colour/$base" sh -c "! grep -q \"\$(printf '\\033')\" '$TMP/plain'"
        n=$(grep -c 'GC memory layout; from' "$f")
        areas=$("$MPHEAP" show --color never --columns 1 -s all "$f" 2>/dev/null | grep -c '^-- area')
        expect "show/all-areas/$base" test "$n" = "$areas"
    done
    log=$SAMPLES/seq-leak-5snapshots.txt
    golden snapshot-number "$log" --color never --columns 1 --snapshot 2
    golden snapshot-last "$log" --color never --columns 1 --snapshot -1
    golden snapshot-label "$log" --color never --columns 1 --snapshot "SNAPSHOT 3/5"
    golden snapshot-all-collapse "$log" --color never --columns 2 --snapshot all --collapse-free
    golden snapshot-unknown "$log" --snapshot 9
    golden snapshot-ambiguous "$log" --snapshot SNAPSHOT
    golden split-type "$SAMPLES/u64split4-objects-64k.txt" --color always --palette type --columns 1
    golden split-scale "$SAMPLES/u64split4-objects-64k.txt" --color never --columns 1 --scale 2
    golden fresh-scale-auto "$SAMPLES/u64-fresh-2M-default.txt" --color never --columns 1 --scale auto
fi

# ---- 2. variants: each as its canonical form, or against a golden output
# The summary says where the block size came from, and titles give line numbers: both may differ.
norm() { sed -E 's/ \(from (the row offsets|GC total \/ number of blocks|--block-size)\)$//; s/ \(line [0-9]+\) ==$/ ==/' "$1"; }
while IFS=$'\t' read -r name canon what; do
    case $name in '#'*|'') continue ;; esac
    f=$VARIANTS/$name.txt
    if [ "$canon" = - ]; then
        golden "variant.$name" "$f" --color never --columns 1 -s all
        golden "variant.$name.collapse" "$f" --color always --palette type --columns 2 -s all --collapse-free
        continue
    fi
    for opts in "--color never --columns 1" "--color always --palette rainbow --columns 2 --collapse-free"; do
        # shellcheck disable=SC2086
        "$MPHEAP" show $opts -s all "$f" >"$TMP/v" 2>"$TMP/verr"
        rc=$?
        # shellcheck disable=SC2086
        "$MPHEAP" show $opts -s all "$VARIANTS/canon/$canon.txt" >"$TMP/c" 2>/dev/null
        if [ $rc -eq 0 ] && [ -s "$TMP/c" ] && [ "$(norm "$TMP/v")" = "$(norm "$TMP/c")" ]; then
            ok "show/variant/$name ($what)"
        else
            not_ok "show/variant/$name" "exit $rc; $(head -c 300 "$TMP/verr"); $(diff <(norm "$TMP/c") <(norm "$TMP/v") | head -n 6)"
        fi
    done
done <"$VARIANTS/MANIFEST"

# ---- 3. properties
# A heap used up to its last block passes --strict in every era: up to v1.8.1 MicroPython left
# that allocation out of its figures, v1.8.2 counts it (the other era's count: malformed/EXPECT).
for f in "$VARIANTS"/heap-end-*.txt; do
    "$MPHEAP" show --strict --color never "$f" >/dev/null 2>"$TMP/err"
    rc=$?
    expect "show/era-count/$(basename "$f" .txt)" test "$rc" = 0 -a ! -s "$TMP/err"
done
# micropython-magic's log: the snapshot is its marker's name, with the "time:" line's stamp.
f=$VARIANTS/labels-micropython-magic.txt
"$MPHEAP" show --color never --no-summary --no-legend -s "step 1" "$f" >"$TMP/mg" 2>&1
expect "show/micropython-magic-label" grep -q '^== snapshot 2 of 12: step 1 @ 1796288729934674000 (line 74) ==$' "$TMP/mg"
# the five-snapshot log, clean (the canonical form of its CRLF paste)
f=$VARIANTS/canon/$(awk -F'\t' '$1 == "paste-crlf" { print $2 }' "$VARIANTS/MANIFEST").txt
"$MPHEAP" show --color never --columns 1 -s all "$f" >"$TMP/all" 2>/dev/null
: >"$TMP/each"
n=$("$MPHEAP" show --color never -s all "$f" 2>/dev/null | grep -c '^== snapshot')
for i in $(seq 1 "$n"); do
    [ "$i" -gt 1 ] && echo >>"$TMP/each"
    "$MPHEAP" show --color never --columns 1 -s "$i" "$f" 2>/dev/null |
        sed -E "s/^== snapshot [0-9]+ of [0-9]+/== snapshot $i of $n/" >>"$TMP/each"
done
expect "show/all-is-each-in-turn" cmp -s "$TMP/all" "$TMP/each"
expect "show/five-snapshots" test "$n" = 5
"$MPHEAP" show --color never --columns 2 -s all - <"$f" >"$TMP/stdin" 2>/dev/null
"$MPHEAP" show --color never --columns 2 -s all "$f" >"$TMP/file" 2>/dev/null
expect "show/stdin-is-file" cmp -s "$TMP/stdin" "$TMP/file"
"$MPHEAP" show --color never --columns 1 --block-size 64 "$f" >"$TMP/bs" 2>"$TMP/bserr"
"$MPHEAP" show --color never --columns 1 "$f" >"$TMP/nobs" 2>/dev/null
expect "show/block-size-option-does-not-override" cmp -s "$TMP/bs" "$TMP/nobs"
expect "show/block-size-option-warns" grep -q -- '--block-size 64 ignored: the dump says 32' "$TMP/bserr"
# A one-row map with no GC line: only --block-size can tell, and the summary says so.
printf 'GC memory layout; from 20000000:\n00000000: h=..\n' >"$TMP/one.txt"
"$MPHEAP" show --color never --columns 1 --block-size 16 "$TMP/one.txt" >"$TMP/one" 2>&1
expect "show/block-size-from-option" grep -q 'blocks of 16 bytes (from --block-size)' "$TMP/one"
"$MPHEAP" show --color never --columns 1 "$TMP/one.txt" >"$TMP/one" 2>&1
expect "show/block-size-unknown-said" grep -q 'block size unknown' "$TMP/one"
# From GC total when there are not two rows.
printf 'GC: total: 64, used: 32, free: 32\n No. of 1-blocks: 0, 2-blocks: 1, max blk sz: 2, max free sz: 2\nGC memory layout; from 20000000:\n00000000: h=..\n' >"$TMP/total.txt"
"$MPHEAP" show --strict --color never --columns 1 "$TMP/total.txt" >"$TMP/total" 2>&1
expect "show/block-size-from-gc-total" grep -q 'blocks of 16 bytes (from GC total / number of blocks)' "$TMP/total"
# A scale so large that scale x line width overflows: one cell per area, no endless loop.
f=$VARIANTS/canon/$(awk -F'\t' '$1 == "era-v1.19-u64" { print $2 }' "$VARIANTS/MANIFEST").txt
for k in 288230376151711744 18446744073709551615; do
    timeout 10 "$MPHEAP" show --color never --columns 1 --scale "$k" --collapse-free "$f" >"$TMP/huge" 2>&1
    rc=$?
    expect "show/huge-scale-$k" test "$rc" = 0 -a "$(grep -c '^0x' "$TMP/huge")" = 1
done
