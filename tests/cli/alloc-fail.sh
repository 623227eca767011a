#!/usr/bin/env bash
# Allocation-failure injection (tests/unit/alloc_fail.c): for every N, the Nth allocation of a
# parse, diff, timeline, verdict, stats report, check and their reports fails; each run must
# return an error (or cope) and leak nothing. One result per scenario.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
bin=${MPH_BUILD:-build}/alloc-fail
if [ ! -x "$bin" ]; then
    not_ok alloc-fail "no $bin (make test builds it)"
    exit 0
fi
# A log with leak suspects, a heap in four areas, a noisy paste with diagnostics.
for input in tests/data/variants/canon/c15.txt tests/data/samples/u64split4-objects-64k.txt \
    tests/data/variants/paste-noisy-log.txt; do
    tag=$(basename "$input" .txt)
    out=$("$bin" "$input" 2>&1)
    rc=$?
    echo "$out" | grep -v -e '^ok ' -e '^alloc-fail: ' | tail -n 30
    summary=$(echo "$out" | grep -c '^alloc-fail: ')
    while read -r word name rest; do
        case $word in
        ok) ok "$name ($tag)" ;;
        FAIL) not_ok "$name ($tag)" "$rest" ;;
        SKIP) skip "alloc-fail ($tag)" "$rest" ;;
        esac
    done < <(echo "$out" | grep -E '^(ok|FAIL|SKIP) ' | sed -E 's/^(ok|FAIL|SKIP) ([^:]*):? ?/\1 \2 /' |
        awk '!seen[$1" "$2]++')
    if [ "$summary" -ne 1 ] || { [ $rc -ne 0 ] && ! echo "$out" | grep -q '^FAIL '; }; then
        not_ok "alloc-fail/exit ($tag)" "exit $rc: $(echo "$out" | tail -n 3)"
    fi
done
