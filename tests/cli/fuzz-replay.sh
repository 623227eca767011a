#!/usr/bin/env bash
# Replay the fuzz corpora (fuzz/corpus*/: seeds and every input that once found a bug) and the
# test data through every fuzz harness, built as plain binaries (make builds
# $BUILD/fuzz-replay, the parser's, and $BUILD/fuzz-replay-NAME for fuzz/fuzz_NAME.c, with
# whatever compiler and sanitizers the build uses). A failed check aborts the replay.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
build=${MPH_BUILD:-build}
data="tests/data/malformed tests/data/variants tests/data/samples"
# harness binary inputs...
replay() {
    local name=$1 bin=$2 dir out rc n
    shift 2
    if [ ! -x "$bin" ]; then
        not_ok "fuzz/$name" "no $bin (make test builds it)"
        return
    fi
    for dir in "$@"; do
        out=$("$bin" "$dir" 2>&1)
        rc=$?
        n=$(echo "$out" | sed -nE 's/^fuzz-replay: ([0-9]+) inputs replayed$/\1/p')
        if [ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ]; then
            ok "fuzz/$name $dir ($n inputs)"
        else
            not_ok "fuzz/$name $dir" "exit $rc: $(echo "$out" | tail -n 5)"
        fi
    done
}
# Every harness in fuzz/ has its replay here: a new one without it fails.
for src in fuzz/fuzz_*.c; do
    h=$(basename "$src" .c)
    h=${h#fuzz_}
    case $h in
    parse) replay replay "$build/fuzz-replay" fuzz/corpus $data ;;
    analyses) replay analyses "$build/fuzz-replay-analyses" fuzz/corpus-analyses fuzz/corpus $data ;;
    repl) replay repl "$build/fuzz-replay-repl" fuzz/corpus-repl ;;
    *) not_ok "fuzz/$h" "fuzz/fuzz_$h.c has no replay in tests/cli/fuzz-replay.sh" ;;
    esac
done
