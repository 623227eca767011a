#!/usr/bin/env bash
# Replay the fuzz corpus (fuzz/corpus/, seeds and every input that once found a bug) and the
# test data through the fuzz harness, built as a plain binary (make builds $BUILD/fuzz-replay,
# with whatever compiler and sanitizers the build uses). A failed check aborts the replay.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
bin=${MPH_BUILD:-build}/fuzz-replay
if [ ! -x "$bin" ]; then
    not_ok fuzz/replay "no $bin (make test builds it)"
    exit 0
fi
for dir in fuzz/corpus tests/data/malformed tests/data/variants tests/data/samples; do
    out=$("$bin" "$dir" 2>&1)
    rc=$?
    n=$(echo "$out" | sed -nE 's/^fuzz-replay: ([0-9]+) inputs replayed$/\1/p')
    if [ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ]; then
        ok "fuzz/replay $dir ($n inputs)"
    else
        not_ok "fuzz/replay $dir" "exit $rc: $(echo "$out" | tail -n 5)"
    fi
done
