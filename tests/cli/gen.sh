#!/usr/bin/env bash
# The hand-made inputs are reproducible: tests/data/gen.py, run on tests/data/samples, writes
# exactly the files checked in under tests/data/variants, tests/data/malformed and the
# fuzz/corpus/seed-* files. Skipped (with the reason) without python3.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
if ! command -v python3 >/dev/null 2>&1; then
    skip data/reproducible "no python3 to run tests/data/gen.py"
    exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
if ! python3 tests/data/gen.py --samples tests/data/samples --out "$TMP" --corpus "$TMP/corpus" 2>"$TMP/err"; then
    not_ok data/reproducible "gen.py failed: $(tail -n 3 "$TMP/err")"
    exit 0
fi
for d in variants malformed; do
    expect "data/reproducible/$d" diff -r -q "$TMP/$d" "tests/data/$d"
done
mkdir -p "$TMP/seeds"
cp fuzz/corpus/seed-* "$TMP/seeds/"
expect data/reproducible/fuzz-seeds diff -r -q "$TMP/corpus" "$TMP/seeds"
