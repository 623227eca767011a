# Sourced by the shell test suites: record results for tests/run-all.sh.
# ok NAME / not_ok NAME DETAIL / skip NAME REASON; MPHEAP is the binary under test.
: "${MPHEAP:=build/mpheap}"
: "${MPH_RESULTS:=/dev/null}"
ok() { echo "pass $1" >>"$MPH_RESULTS"; }
not_ok() { echo "fail $1" >>"$MPH_RESULTS"; echo "FAIL $1: ${2:-}" >&2; }
skip() { echo "skip $1" >>"$MPH_RESULTS"; echo "SKIP $1: $2"; }
# expect NAME COND-COMMAND... : passes when the command succeeds
expect() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "$*"; fi; }
