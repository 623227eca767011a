#!/usr/bin/env bash
# Every test: C unit tests, CLI suites (tests/cli/*.sh), Node suites (tests/**/*.test.mjs).
# Ends with one line "N passed, N failed, N skipped"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
export MPHEAP="${MPHEAP:-${BUILD:-build}/mpheap}"
export MPH_BUILD="${BUILD:-build}"
MPH_RESULTS=$(mktemp)
export MPH_RESULTS
trap 'rm -f "$MPH_RESULTS"' EXIT
passed=0 failed=0 skipped=0

add_counts() { # "P F S"
    passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3))
}

echo "== unit tests"
out=$("$MPH_BUILD/unit-tests" 2>&1); rc=$?
echo "$out" | grep -v '^unit:' | tail -n 40
line=$(echo "$out" | grep '^unit:' | tail -n 1)
if [ -n "$line" ]; then
    read -r p f s < <(echo "$line" | sed -E 's/unit: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
    add_counts "$p" "$f" "$s"
    echo "$line"
fi
[ $rc -ne 0 ] && [ -z "$line" ] && add_counts 0 1 0 && echo "FAIL unit-tests crashed (exit $rc)"

# MPH_SKIP_SUITES: suites (a grep -E pattern over their paths, CLI and Node) to leave out,
# each counted as one skip and printed with the reason MPH_SKIP_WHY (make asan sets both).
skipped_suite() {
    [ -n "${MPH_SKIP_SUITES:-}" ] && echo "$1" | grep -qE "$MPH_SKIP_SUITES" || return 1
    echo "SKIP $1: ${MPH_SKIP_WHY:-left out}"
    add_counts 0 0 1
}
for suite in tests/cli/*.sh; do
    [ -e "$suite" ] || continue
    skipped_suite "$suite" && continue
    echo "== $suite"
    before=$(wc -l <"$MPH_RESULTS")
    if ! bash "$suite"; then
        echo "fail $suite (exited non-zero)" >>"$MPH_RESULTS"
        echo "FAIL $suite exited non-zero"
    fi
    tail -n +$((before + 1)) "$MPH_RESULTS" | awk '{c[$1]++} END {printf "%s: %d passed, %d failed, %d skipped\n", "'"$suite"'", c["pass"], c["fail"], c["skip"]}'
done
read -r p f s < <(awk '{c[$1]++} END {print c["pass"]+0, c["fail"]+0, c["skip"]+0}' "$MPH_RESULTS")
add_counts "$p" "$f" "$s"

node_suites=$(find tests -name node_modules -prune -o -name '*.test.mjs' -print | sort)
if [ -n "${MPH_SKIP_SUITES:-}" ]; then
    for s in $node_suites; do
        skipped_suite "$s" || true
    done
    node_suites=$(echo "$node_suites" | grep -vE "$MPH_SKIP_SUITES")
fi
if [ -n "$node_suites" ]; then
    echo "== node suites"
    out=$(node --test $node_suites 2>&1); rc=$?
    echo "$out" | grep -E '^not ok|^# (tests|pass|fail|skipped)' | head -n 60
    p=$(echo "$out" | sed -nE 's/^# pass ([0-9]+)/\1/p' | tail -n 1)
    f=$(echo "$out" | sed -nE 's/^# fail ([0-9]+)/\1/p' | tail -n 1)
    s=$(echo "$out" | sed -nE 's/^# skipped ([0-9]+)/\1/p' | tail -n 1)
    add_counts "${p:-0}" "${f:-1}" "${s:-0}"
    [ $rc -ne 0 ] && [ "${f:-0}" = 0 ] && add_counts 0 1 0 && echo "FAIL node suites exited $rc"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
