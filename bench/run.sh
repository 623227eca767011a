#!/usr/bin/env bash
# mpheap benchmarks (`make bench`): mpheap against the seed notebook's class
# (../shared/baseline/seed_run.py) and against `wc -l`, in the same run, on
# the same inputs:
#   wasm64   a real dump of a fragmented 64 MiB heap, from the virtual board
#            (bench/wasm_fill.py + bench/wasm_drop.py; wasm64-old is the same
#            heap before the drop, for diff)
#   big512, empty512, split64, u32: the heap shapes of issue 15 (see "every heap shape")
#   gen512   a generated, valid dump of a 512 MiB heap: 16 Mi blocks of 32
#            bytes (bench/gen_dump.c, seed 1; gen512-new adds 10% churn;
#            gen512-empty is the same heap nearly empty: only its first 2%,
#            the imports, for a diff from nearly empty to full)
# Medians of N runs; output to /dev/null; wall time and peak RSS from
# bench/maxrss.c (wait4). Prints a table and writes it to bench/out/results.txt.
#
# Environment:
#   BUILD             build directory with mpheap and libmpheap.a (default build)
#   CC, CFLAGS        to build the bench tools (default cc, -O2 -g)
#   BENCH_N           runs of each mpheap/wc case (default 5)
#   BENCH_SEED_N      runs of each seed case (default 3; it takes ~10-40 s a run)
#   BENCH_SEED_TIMEOUT  seconds before a seed run is killed (default 900)
#   BENCH_SEED=0      leave the seed out
#   BENCH_WASM_HEAP   heap of the board dump (default 64M)
#   BENCH_STRICT=1    exit 1 when a target is missed (default: report only)
#   BENCH_ONLY=html   only the HTML report's size and draw time (the inputs are made first)
#   BENCH_ONLY=shapes only the table of every heap shape (issue 15): read, show, stats, diff
#   BENCH_ONLY=biglog only the peak RSS of show --snapshot 1 and timeline on a log of 40 big claims
#   BENCH_BIG_HEAP    heap of the one-allocation and empty dumps (default 512M, the board's largest)
#   BENCH_SPLIT_HEAP, BENCH_SPLIT_FILL  the split heap: initial heap, and what it is filled to
#                     (default 8M grown to 64M: 4 areas)
# Inputs are cached in bench/out/ and remade when their generator changes.
set -eu
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
N=${BENCH_N:-5}
SEED_N=${BENCH_SEED_N:-3}
SEED_TIMEOUT=${BENCH_SEED_TIMEOUT:-900}
WASM_HEAP=${BENCH_WASM_HEAP:-64M}
OUT=bench/out
TOOLS=$BUILD/bench
MPHEAP=$BUILD/mpheap
SEED_PY=../shared/baseline/seed_run.py
RSS_LIMIT_KIB=$((64 * 1024))

mkdir -p "$OUT" "$TOOLS"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mpheap-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 2; }

[ -x "$MPHEAP" ] || die "$MPHEAP is missing: run make BUILD=$BUILD all (or make bench)"
[ -f "$BUILD/libmpheap.a" ] || die "$BUILD/libmpheap.a is missing"

# ------------------------------------------------------------------ tools
WARN="-std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla"
build_tool() { # name, extra inputs...
    local name=$1; shift
    local bin=$TOOLS/$name src=bench/$name.c
    if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] || { [ $# -gt 0 ] && [ "$1" -nt "$bin" ]; }; then
        say "building $bin"
        # shellcheck disable=SC2086
        $CC $WARN $CFLAGS -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            -o "$bin" "$src" "$@" -lm
    fi
}
build_tool maxrss
build_tool gen_dump
build_tool parse_only "$BUILD/libmpheap.a"
build_tool cells_floor

# print_table: '|'-separated rows on stdin, the first a header, as aligned columns with a
# line of dashes under the header.
print_table() {
    awk -F'|' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NF }
        END { for (r = 1; r <= NR; r++) { line = "";
                for (i = 1; i <= n; i++) line = line sprintf("%-*s  ", w[i], c[r, i]);
                sub(/ +$/, "", line); print line
                if (r == 1) { line = ""; for (i = 1; i <= n; i++) { s = ""; for (k = 0; k < w[i]; k++) s = s "-"; line = line s "  " } sub(/ +$/, "", line); print line } } }'
}

# A small log that claims much (issue 14, 8): 40 snapshots of ~200 bytes, each a 1 GiB heap,
# "(4194303 lines all free)" (256 MiB of cells each). show --snapshot 1 keeps one snapshot's
# map and reads the others row by row without storing them (mph_parser_skim_maps): its peak
# RSS is one snapshot's cells and a little, not two, not 40.
BIGLOG=$OUT/biglog40.txt
make_biglog() {
    [ -s "$BIGLOG" ] && return
    for i in $(seq 1 40); do
        printf '=== mpheap %d ===\nGC: total: 1073741824, used: 0, free: 1073741824\n' "$i"
        printf 'GC memory layout; from 10000000:\n00000000: %s\n' \
            "................................................................"
        printf '       (4194303 lines all free)\n'
    done >"$BIGLOG"
}
biglog_bench() {
    make_biglog
    say "biglog40: show --snapshot 1 (40 snapshots of 1 GiB claimed)"
    measure "biglog.show1" 3 "$MPHEAP" show --color never -c 4 --snapshot 1 "$BIGLOG" -- "" 0 0
    local rss bad limit=$(((256 + 32) * 1024))
    read -r _ _ rss bad _ <<<"$(summary biglog.show1)"
    echo "peak RSS show --snapshot 1 biglog40 ($(wc -c <"$BIGLOG") bytes)|$(fmt_mib "$rss")|all 40 maps: 10240 MiB|-|< 288 MiB (1 map + 32 MiB)|$([ "$rss" -lt "$limit" ] && [ "$bad" = 0 ] && echo PASS || echo FAIL)" >>"$ROWS"
    # The last, show's default: each map given back as soon as the next dump's map begins.
    say "biglog40: show (the last snapshot, the default)"
    measure "biglog.showlast" 3 "$MPHEAP" show --color never -c 4 "$BIGLOG" -- "" 0 0
    read -r _ _ rss bad _ <<<"$(summary biglog.showlast)"
    echo "peak RSS show (the last) biglog40|$(fmt_mib "$rss")|all 40 maps: 10240 MiB|-|< 288 MiB (1 map + 32 MiB)|$([ "$rss" -lt "$limit" ] && [ "$bad" = 0 ] && echo PASS || echo FAIL)" >>"$ROWS"
}

# timeline reads the same log as a stream (issue 14, 8): the map being read and, of the one
# before, only its list of allocations (the leak analysis compares the pair by their lists), so
# one snapshot's cells, whatever the number of snapshots (a copy of the one before and a class
# byte per block made it three: 771 MiB). Next to it, one snapshot's cells alone:
# bench/cells_floor writing 256 Mi bytes, a process that does nothing else.
biglog_timeline_bench() {
    make_biglog
    say "biglog40: one snapshot's cells alone, then timeline (one run each, ~10 s)"
    : >"$TMP/biglog.floor"
    : >"$TMP/biglog.timeline"
    run_once biglog.floor 600 "$TOOLS/cells_floor" 268435456
    run_once biglog.timeline 600 "$MPHEAP" timeline --no-pager "$BIGLOG"
    local one tl bad t maps show=""
    read -r _ _ one _ _ <<<"$(summary biglog.floor)"
    read -r t _ tl bad _ <<<"$(summary biglog.timeline)"
    maps=$(awk -v a="$tl" -v b="$one" 'BEGIN { printf "%.2f", a / b }')
    if [ -s "$TMP/biglog.show1" ]; then
        local srss
        read -r _ _ srss _ _ <<<"$(summary biglog.show1)"
        show="; show --snapshot 1: $(fmt_mib "$srss") = $(awk -v a="$srss" -v b="$one" 'BEGIN { printf "%.2f", a / b }') x"
    fi
    echo "  one snapshot's cells biglog40|$(fmt_mib "$one")|-|-|-|INFO" >>"$ROWS"
    echo "peak RSS timeline biglog40 ($(fmt_t "$t"))|$(fmt_mib "$tl")|all 40 maps: 10240 MiB$show|$maps x one's cells|<= 1.125 x one's cells (1 map + 32 MiB)|$(awk -v m="$maps" 'BEGIN { exit !(m <= 1.125) }' && [ "$bad" = 0 ] && echo PASS || echo FAIL)" >>"$ROWS"
}

# ----------------------------------------------------------------- inputs
# The board's dumps: one run, a marker line before each dump, split in two.
WASM_OLD=$OUT/wasm64-old.txt WASM_NEW=$OUT/wasm64.txt
wasm_stale() {
    [ ! -s "$WASM_NEW" ] || [ ! -s "$WASM_OLD" ] || [ bench/wasm_fill.py -nt "$WASM_NEW" ] ||
        [ bench/wasm_drop.py -nt "$WASM_NEW" ] || [ "$(cat "$OUT/wasm64.heap" 2>/dev/null)" != "$WASM_HEAP" ]
}
if wasm_stale; then
    [ -d board/node_modules ] || die "the virtual board is not installed: npm ci --prefix board"
    say "making the board dump (heap $WASM_HEAP, ~10 s)"
    heap_bytes=$(awk -v h="$WASM_HEAP" 'BEGIN { m = 1; u = substr(h, length(h));
        if (u == "K") m = 1024; else if (u == "M") m = 1048576; else if (u == "G") m = 1073741824;
        if (m > 1) h = substr(h, 1, length(h) - 1); printf "%d", h * m }')
    node board/run-script.mjs --heap "$WASM_HEAP" --time -c "HEAP = $heap_bytes" bench/wasm_fill.py \
        -c 'import micropython; print("== bench wasm: filled =="); micropython.mem_info(1)' \
        bench/wasm_drop.py \
        -c 'import micropython; print("== bench wasm: every other run dropped =="); micropython.mem_info(1)' \
        >"$TMP/wasm.raw" 2>"$TMP/wasm.err" || { cat "$TMP/wasm.err" >&2; die "the board failed"; }
    sed 's/^/bench:   /' "$TMP/wasm.err" >&2
    awk -v old="$TMP/old" -v new="$TMP/new" '/^== bench wasm: filled/ { f = old }
        /^objects allocated:/ || /^== bench wasm: every other/ { f = new } f { print > f }' "$TMP/wasm.raw"
    [ -s "$TMP/old" ] && [ -s "$TMP/new" ] || die "the board's output has no two dumps"
    mv "$TMP/old" "$WASM_OLD"
    mv "$TMP/new" "$WASM_NEW"
    printf '%s\n' "$WASM_HEAP" >"$OUT/wasm64.heap"
fi

GEN_OLD=$OUT/gen512.txt GEN_NEW=$OUT/gen512-new.txt
if [ ! -s "$GEN_OLD" ] || [ bench/gen_dump.c -nt "$GEN_OLD" ]; then
    say "generating $GEN_OLD (16 Mi blocks of 32 bytes, seed 1)"
    "$TOOLS/gen_dump" --seed 1 -o "$GEN_OLD"
fi
if [ ! -s "$GEN_NEW" ] || [ bench/gen_dump.c -nt "$GEN_NEW" ]; then
    say "generating $GEN_NEW (the same heap after 10% churn)"
    "$TOOLS/gen_dump" --seed 1 --churn 10 -o "$GEN_NEW"
fi
GEN_EMPTY=$OUT/gen512-empty.txt
if [ ! -s "$GEN_EMPTY" ] || [ bench/gen_dump.c -nt "$GEN_EMPTY" ]; then
    say "generating $GEN_EMPTY (the same heap nearly empty: its first 2%, the imports)"
    "$TOOLS/gen_dump" --seed 1 --fill 2 -o "$GEN_EMPTY"
fi

# The heap shapes of issue 15, each made by real MicroPython (the virtual board) or kept as a
# real dump: one allocation filling most of a 512 MiB heap, and the same heap before it (mostly
# empty: its free lines collapsed), from one run (bench/wasm_big.py); a split heap of 4 areas
# (a BENCH_SPLIT_HEAP heap grown to BENCH_SPLIT_FILL by bench/wasm_fill.py, then
# bench/wasm_drop.py); a 32-bit unix-port dump (tests/data/samples/, kept as it is).
BIG_HEAP=${BENCH_BIG_HEAP:-512M}
SPLIT_HEAP=${BENCH_SPLIT_HEAP:-8M} SPLIT_FILL=${BENCH_SPLIT_FILL:-64M}
BIG_OLD=$OUT/empty512.txt BIG_NEW=$OUT/big512.txt
SPLIT_OLD=$OUT/split64-old.txt SPLIT_NEW=$OUT/split64.txt
U32=tests/data/samples/u32-frag-256k.txt
bytes_of() { awk -v h="$1" 'BEGIN { m = 1; u = substr(h, length(h));
    if (u == "K") m = 1024; else if (u == "M") m = 1048576; else if (u == "G") m = 1073741824;
    if (m > 1) h = substr(h, 1, length(h) - 1); printf "%d", h * m }'; }
# board_pair OLD NEW STAMP STAMP_TEXT TAG_OLD TAG_NEW NODE_ARGS...: one board run, split at the
# marker lines "== TAG_OLD" and "== TAG_NEW" it prints before each dump.
board_pair() {
    local old=$1 new=$2 stamp=$3 stamp_text=$4 tag_old=$5 tag_new=$6
    shift 6
    [ -d board/node_modules ] || die "the virtual board is not installed: npm ci --prefix board"
    node board/run-script.mjs --time "$@" >"$TMP/pair.raw" 2>"$TMP/pair.err" ||
        { cat "$TMP/pair.err" >&2; die "the board failed"; }
    sed 's/^/bench:   /' "$TMP/pair.err" >&2
    awk -v old="$TMP/old" -v new="$TMP/new" -v a="== $tag_old" -v b="== $tag_new" \
        'index($0, a) == 1 { f = old } index($0, b) == 1 { f = new } f { print > f }' "$TMP/pair.raw"
    [ -s "$TMP/old" ] && [ -s "$TMP/new" ] || die "the board's output has no two dumps"
    mv "$TMP/old" "$old"
    mv "$TMP/new" "$new"
    printf '%s\n' "$stamp_text" >"$stamp"
}
if [ ! -s "$BIG_NEW" ] || [ ! -s "$BIG_OLD" ] || [ bench/wasm_big.py -nt "$BIG_NEW" ] ||
    [ "$(cat "$OUT/big512.heap" 2>/dev/null)" != "$BIG_HEAP" ]; then
    say "making the one-allocation dump and the empty one (heap $BIG_HEAP, ~1 min)"
    board_pair "$BIG_OLD" "$BIG_NEW" "$OUT/big512.heap" "$BIG_HEAP" "bench empty" "bench big" \
        --heap "$BIG_HEAP" -c "HEAP = $(bytes_of "$BIG_HEAP")" \
        -c 'import micropython; print("== bench empty: nothing allocated =="); micropython.mem_info(1)' \
        bench/wasm_big.py \
        -c 'import micropython; print("== bench big: one allocation of 90% =="); micropython.mem_info(1)'
fi
if [ ! -s "$SPLIT_NEW" ] || [ ! -s "$SPLIT_OLD" ] || [ bench/wasm_fill.py -nt "$SPLIT_NEW" ] ||
    [ bench/wasm_drop.py -nt "$SPLIT_NEW" ] ||
    [ "$(cat "$OUT/split64.heap" 2>/dev/null)" != "$SPLIT_HEAP $SPLIT_FILL" ]; then
    say "making the split-heap dumps (heap $SPLIT_HEAP grown to $SPLIT_FILL, ~15 s)"
    board_pair "$SPLIT_OLD" "$SPLIT_NEW" "$OUT/split64.heap" "$SPLIT_HEAP $SPLIT_FILL" "bench split: filled" \
        "bench split: every other" --heap "$SPLIT_HEAP" -c "HEAP = $(bytes_of "$SPLIT_FILL")" bench/wasm_fill.py \
        -c 'import micropython; print("== bench split: filled =="); micropython.mem_info(1)' \
        bench/wasm_drop.py \
        -c 'import micropython; print("== bench split: every other run dropped =="); micropython.mem_info(1)'
fi

# Every input must be a valid dump: --strict makes any invariant warning an error.
for f in "$WASM_OLD" "$WASM_NEW" "$GEN_OLD" "$GEN_NEW" "$GEN_EMPTY" "$BIG_OLD" "$BIG_NEW" "$SPLIT_OLD" \
    "$SPLIT_NEW" "$U32"; do
    "$MPHEAP" show --strict --color never -c 4 "$f" >/dev/null 2>"$TMP/check.err" ||
        { cat "$TMP/check.err" >&2; die "$f does not pass mpheap show --strict"; }
    cat "$f" >/dev/null # into the page cache
done

# ---------------------------------------------------------------- helpers
HAVE_SEED=1 SEED_WHY=""
if [ "${BENCH_SEED:-1}" = 0 ]; then
    HAVE_SEED=0 SEED_WHY="BENCH_SEED=0"
elif [ ! -f "$SEED_PY" ]; then
    HAVE_SEED=0 SEED_WHY="$SEED_PY not found"
elif ! python3 -c 'import colorama' 2>/dev/null; then
    HAVE_SEED=0 SEED_WHY="python3 has no colorama (Debian: apt-get install python3-colorama)"
fi
[ "$HAVE_SEED" = 1 ] || say "SKIPPING the seed column: $SEED_WHY"

has_cmd() { "$MPHEAP" "$1" --help >/dev/null 2>&1; }

# run_once KEY TIMEOUT CMD...: one run, stdout to /dev/null; appends "wall rss status" to $TMP/KEY.
run_once() {
    local key=$1 limit=$2; shift 2
    "$TOOLS/maxrss" -o "$TMP/one" -t "$limit" -- "$@" >/dev/null 2>"$TMP/$key.stderr" || true
    cat "$TMP/one" >>"$TMP/$key"
}

# measure KEY_A NA CMD_A... -- KEY_B NB TIMEOUT_B CMD_B...: runs A and B alternately (so that
# noise on this shared machine hits both alike), NA and NB times. A gets one warm-up run.
measure() {
    local key_a=$1 na=$2; shift 2
    local -a a=() b=()
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift
    local key_b=$1 nb=$2 limit_b=$3; shift 3
    b=("$@")
    : >"$TMP/$key_a"
    [ -n "$key_b" ] && : >"$TMP/$key_b"
    "${a[@]}" >/dev/null 2>&1 || true
    local i max=$na
    [ "$nb" -gt "$max" ] && max=$nb
    for ((i = 1; i <= max; i++)); do
        [ "$i" -le "$na" ] && run_once "$key_a" 600 "${a[@]}"
        [ -n "$key_b" ] && [ "$i" -le "$nb" ] && run_once "$key_b" "$limit_b" "${b[@]}"
    done
    return 0
}

# summary KEY: "median_seconds runs max_rss_kib failed_runs timeouts min_seconds max_seconds"
summary() {
    [ -s "$TMP/$1" ] || { echo "- 0 0 0 0 - -"; return; }
    sort -g -k1,1 "$TMP/$1" | awk '{ t[NR] = $1; if ($2 > rss) rss = $2; if ($3 == 124) to++;
        else if ($3 != 0) bad++ }
        END { n = NR; m = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2;
              printf "%.6f %d %d %d %d %.6f %.6f\n", m, n, rss, bad, to, t[1], t[n] }'
}
# spread MIN MAX: "1.2-1.5" in the unit fmt_t would pick for MAX
spread() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 1) printf "%.0f-%.0f ms", a * 1000, b * 1000; else printf "%.1f-%.1f s", a, b }'; }

ROWS=$TMP/rows   # case|mpheap|baseline|ratio|target|result
RSS_ROWS=$TMP/rss
: >"$ROWS"
: >"$RSS_ROWS"
NOTES=()
fmt_t() { awk -v t="$1" 'BEGIN { if (t == "-") print "-"; else if (t < 1) printf "%.1f ms", t * 1000; else printf "%.2f s", t }'; }
fmt_mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# row CASE KEY_M BASE_NAME KEY_B KIND: KIND "faster100" (baseline/mpheap >= 100) or
# "within3" (mpheap/baseline <= 3) or "info".
row() {
    local name=$1 km=$2 bname=$3 kb=$4 kind=$5
    read -r tm nm rm badm tom lo hi <<<"$(summary "$km")"
    echo "$name|$km|$tm|$rm" >>"$RSS_ROWS"
    local mcol base ratio target result
    mcol="$(fmt_t "$tm") (n=$nm, $(spread "$lo" "$hi"))"
    if [ "$badm" -gt 0 ] || [ "$tom" -gt 0 ]; then
        mcol="FAILED ($badm errors, $tom timeouts: $(head -c 200 "$TMP/$km.stderr" | tr '\n' ' '))"
    fi
    case $kind in
    faster100) target=">= 100x" ;;
    within3) target="<= 3.0x wc" ;;
    within2show) target="<= 2.0x show" ;;
    within2stats) target="<= 2.0x stats" ;;
    *) target="-" ;;
    esac
    if [ -z "$kb" ]; then
        base="$bname" ratio="-" result="INFO"
        [ "$kind" = info ] || base="$bname: skipped" result="SKIP"
    else
        read -r tb nb rb badb tob blo bhi <<<"$(summary "$kb")"
        if [ "$tob" -gt 0 ]; then
            base="$bname >$SEED_TIMEOUT s (timeout, n=$nb)"
            ratio=$(awk -v m="$tm" -v l="$SEED_TIMEOUT" 'BEGIN { printf ">%.0fx", l / m }')
            result=$(awk -v m="$tm" -v l="$SEED_TIMEOUT" 'BEGIN { print (l / m >= 100 ? "PASS" : "?") }')
        elif [ "$badb" -gt 0 ] || [ "$tb" = - ]; then
            base="$bname FAILED ($(head -c 120 "$TMP/$kb.stderr" | tr '\n' ' '))" ratio="-" result="SKIP"
        else
            base="$bname $(fmt_t "$tb") (n=$nb, $(spread "$blo" "$bhi"))"
            case $kind in
            faster100)
                ratio=$(awk -v m="$tm" -v b="$tb" 'BEGIN { printf "%.1fx faster", b / m }')
                result=$(awk -v m="$tm" -v b="$tb" 'BEGIN { print (b / m >= 100 ? "PASS" : "FAIL") }') ;;
            within3)
                ratio=$(awk -v m="$tm" -v b="$tb" 'BEGIN { printf "%.1fx wc", m / b }')
                result=$(awk -v m="$tm" -v b="$tb" 'BEGIN { print (m / b <= 3 ? "PASS" : "FAIL") }') ;;
            within2show | within2stats)
                ratio=$(awk -v m="$tm" -v b="$tb" -v u="${kind#within2}" 'BEGIN { printf "%.2fx %s", m / b, u }')
                result=$(awk -v m="$tm" -v b="$tb" 'BEGIN { print (m / b <= 2 ? "PASS" : "FAIL") }') ;;
            *)
                ratio=$(awk -v m="$tm" -v b="$tb" 'BEGIN { printf "%.1fx", b / m }') result="INFO" ;;
            esac
        fi
        [ "$mcol" = "${mcol#FAILED}" ] || result="FAIL"
    fi
    echo "$name|$mcol|$base|$ratio|$target|$result" >>"$ROWS"
}

# "N.Nx wc": how the median of KEY compares with wc -l's (for info rows).
wc_ratio() {
    read -r ta _ <<<"$(summary "$1")"
    read -r tb _ <<<"$(summary "$2")"
    awk -v a="$ta" -v b="$tb" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.1fx wc -l", a / b }'
}

seed_key() { [ "$HAVE_SEED" = 1 ] && echo "$1" || echo ""; }
seed_cmd() { [ "$HAVE_SEED" = 1 ] && echo python3 || echo true; }

# ------------------------------------------------------------------ cases
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average before: $LOAD_START, $(nproc) cores; N=$N, seed N=$SEED_N"

# The HTML report of the 512 MiB heap: its size (<= 2,000,000 bytes) and its draw time in
# headless Chromium (<= 1 s: navigation start to the first frame after the map is drawn,
# median of N fresh pages; bench/html_draw.mjs with tests/browser's playwright-core).
html_bench() {
    local html=$TMP/gen512.html t0 t1 size line med
    t0=$(date +%s.%N)
    "$MPHEAP" report -o "$html" "$GEN_OLD" || { NOTES+=("html: mpheap report -o gen512.html failed"); return; }
    t1=$(date +%s.%N)
    size=$(wc -c <"$html")
    echo "html report size gen512|$(awk -v b="$size" 'BEGIN { printf "%d bytes", b }')|-|written in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }')|<= 2,000,000 bytes|$([ "$size" -le 2000000 ] && echo PASS || echo FAIL)" >>"$ROWS"
    if [ ! -x "${MPH_CHROMIUM:-/usr/bin/chromium}" ] || [ ! -d tests/browser/node_modules/playwright-core ]; then
        NOTES+=("html draw: not measured (needs chromium and npm ci --prefix tests/browser)")
        return
    fi
    if ! line=$(node bench/html_draw.mjs "$html" "$N" 2>"$TMP/html.err"); then
        NOTES+=("html draw: bench/html_draw.mjs failed: $(head -c 300 "$TMP/html.err" | tr '\n' ' ')")
        return
    fi
    read -r _ med _ min _ max _ script _ runs <<<"$line"
    echo "html draw gen512 (chromium)|$(fmt_t "$(awk -v m="$med" 'BEGIN { print m / 1000 }')") ($runs, $min-$max ms)|-|page script $script ms|<= 1 s|$([ "$med" -le 1000 ] && echo PASS || echo FAIL)" >>"$ROWS"
}
if [ "${BENCH_ONLY:-}" = biglog ]; then
    biglog_bench
    biglog_timeline_bench
    tr '|' '\t' <"$ROWS"
    exit 0
fi
if [ "${BENCH_ONLY:-}" = html ]; then
    html_bench
    tr '|' '\t' <"$ROWS"
    for n in "${NOTES[@]}"; do echo "note: $n"; done
    exit 0
fi

ONLY=${BENCH_ONLY:-}
for d in wasm64 gen512; do
    [ "$ONLY" = shapes ] && break
    if [ $d = wasm64 ]; then old=$WASM_OLD new=$WASM_NEW; else old=$GEN_OLD new=$GEN_NEW; fi
    main=$new
    [ $d = gen512 ] && main=$old # the fragmented heap itself; -new is it after churn

    say "$d: parse only vs wc -l"
    measure "parse.$d" "$N" "$TOOLS/parse_only" "$main" -- "wc.$d" "$N" 600 wc -l "$main"
    row "parse only      $d" "parse.$d" "wc -l" "wc.$d" within3
    # The floor under parse only: a byte per block of fresh memory, written once.
    measure "floor.$d" "$N" "$TOOLS/cells_floor" "$("$TOOLS/parse_only" "$main" | awk '{ print $3 }')" -- "" 0 0
    row "  cells alone   $d" "floor.$d" "$(wc_ratio "floor.$d" "wc.$d")" "" info

    say "$d: show --color always vs the seed's map ($SEED_N seed runs)"
    measure "showc.$d" "$N" "$MPHEAP" show --color always -c 4 "$main" -- \
        "$(seed_key "seed.$d")" "$SEED_N" "$SEED_TIMEOUT" "$(seed_cmd)" "$SEED_PY" map "$main" 4
    row "show colour     $d" "showc.$d" "seed map" "$(seed_key "seed.$d")" faster100

    say "$d: show --color never"
    measure "showm.$d" "$N" "$MPHEAP" show --color never -c 4 "$main" -- "" 0 0
    row "show no colour  $d" "showm.$d" "seed map" "$(seed_key "seed.$d")" faster100

    if has_cmd stats; then
        say "$d: stats"
        measure "stats.$d" "$N" "$MPHEAP" stats "$main" -- "" 0 0
        row "stats           $d" "stats.$d" "seed map" "$(seed_key "seed.$d")" faster100
    fi
    if has_cmd diff; then
        say "$d: diff --color always vs the seed's diff ($SEED_N seed runs)"
        measure "diffc.$d" "$N" "$MPHEAP" diff --color always -c 4 "$old" "$new" -- \
            "$(seed_key "seeddiff.$d")" "$SEED_N" "$SEED_TIMEOUT" "$(seed_cmd)" "$SEED_PY" diff "$new" "$old" 4
        row "diff colour     $d" "diffc.$d" "seed diff" "$(seed_key "seeddiff.$d")" faster100
        measure "diffn.$d" "$N" "$MPHEAP" diff --no-map "$old" "$new" -- "" 0 0
        row "diff --no-map   $d" "diffn.$d" "seed diff" "$(seed_key "seeddiff.$d")" faster100
    fi
done

# diff from the nearly empty heap to the full one against show of the full one,
# both with their maps and no colour, run alternately (paired medians).
if has_cmd diff && [ "$ONLY" != shapes ]; then
    say "gen512: diff nearly empty -> full vs show of the full one"
    measure "diffe.gen512" "$N" "$MPHEAP" diff --color never -c 4 "$GEN_EMPTY" "$GEN_OLD" -- \
        "showe.gen512" "$N" 600 "$MPHEAP" show --color never -c 4 "$GEN_OLD"
    row "diff empty->full gen512" "diffe.gen512" "show" "showe.gen512" within2show
fi

# The verdict's window search: 32 MiB does not fit the generated heap (its largest free run
# is 25.6 MiB), so stats --need searches every window; against stats alone, run alternately.
if has_cmd stats && "$MPHEAP" stats --help | grep -q -- --need && [ "$ONLY" != shapes ]; then
    say "gen512: stats --need 32M (window search) vs stats"
    measure "need.gen512" "$N" "$MPHEAP" stats --need 32M "$GEN_OLD" -- \
        "statsn.gen512" "$N" 600 "$MPHEAP" stats "$GEN_OLD"
    row "stats --need 32M gen512" "need.gen512" "stats" "statsn.gen512" within2stats
fi

# ------------------------------------------------- every heap shape (issue 15)
# Per shape, each against its own baseline, run alternately (paired medians):
#   read    parse_only against wc -l (<= 3x), and against the cells-alone floor (info)
#   show    show --color always -c 4 against the seed's map (>= 100x); its peak RSS (<= 64 MiB)
#   stats   stats against parse_only (<= 1.2x: the analyses on top of reading), and the
#           floor under it (parse_only --stats-floor, info)
#   diff    diff --color always -c 4 OLD NEW against show --color always -c 4 NEW (<= 2x)
SHAPE_ROWS=$TMP/shape_rows # shape|what|mpheap|baseline|ratio|target|result
: >"$SHAPE_ROWS"
# shape_row SHAPE WHAT KEY_M KEY_B BASE_NAME KIND LIMIT: KIND "over" (m/b <= LIMIT), "faster"
# (b/m >= LIMIT), "info" (m/b shown).
shape_row() {
    local shape=$1 what=$2 km=$3 kb=$4 bname=$5 kind=$6 limit=$7
    read -r tm nm rm badm tom lo hi <<<"$(summary "$km")"
    local mcol="$(fmt_t "$tm") (n=$nm, $(spread "$lo" "$hi"))" base="-" ratio="-" target="-" result=INFO
    [ "$badm" -gt 0 ] || [ "$tom" -gt 0 ] &&
        mcol="FAILED ($badm errors, $tom timeouts: $(head -c 200 "$TMP/$km.stderr" | tr '\n' ' '))"
    case $kind in
    over) target="<= ${limit}x $bname" ;;
    faster) target=">= ${limit}x faster" ;;
    esac
    if [ -n "$kb" ] && [ -s "$TMP/$kb" ]; then
        read -r tb nb rb badb tob blo bhi <<<"$(summary "$kb")"
        if [ "$tob" -gt 0 ]; then
            base="$bname >$SEED_TIMEOUT s (timeout)"
            ratio=$(awk -v m="$tm" -v l="$SEED_TIMEOUT" 'BEGIN { printf ">%.0fx faster", l / m }')
            result=$(awk -v m="$tm" -v l="$SEED_TIMEOUT" -v w="$limit" 'BEGIN { print (l / m >= w ? "PASS" : "?") }')
        elif [ "$badb" -gt 0 ]; then
            base="$bname FAILED ($(head -c 120 "$TMP/$kb.stderr" | tr '\n' ' '))" result=SKIP
        else
            base="$bname $(fmt_t "$tb") (n=$nb, $(spread "$blo" "$bhi"))"
            case $kind in
            over)
                ratio=$(awk -v m="$tm" -v b="$tb" -v u="$bname" 'BEGIN { printf "%.2fx %s", m / b, u }')
                result=$(awk -v m="$tm" -v b="$tb" -v w="$limit" 'BEGIN { print (m / b <= w ? "PASS" : "FAIL") }') ;;
            faster)
                ratio=$(awk -v m="$tm" -v b="$tb" 'BEGIN { printf "%.1fx faster", b / m }')
                result=$(awk -v m="$tm" -v b="$tb" -v w="$limit" 'BEGIN { print (b / m >= w ? "PASS" : "FAIL") }') ;;
            *) ratio=$(awk -v m="$tm" -v b="$tb" -v u="$bname" 'BEGIN { printf "%.2fx %s", m / b, u }') ;;
            esac
        fi
    elif [ "$kind" != info ]; then
        base="$bname: skipped" result=SKIP
    fi
    [ "$mcol" = "${mcol#FAILED}" ] || result=FAIL
    echo "$shape|$what|$mcol|$base|$ratio|$target|$result" >>"$SHAPE_ROWS"
}
if [ -z "$ONLY" ] || [ "$ONLY" = shapes ]; then
    # shape|file|old file for diff (- for none)|what it is
    SHAPES="big512|$BIG_NEW|$BIG_OLD|one allocation of 90% of a 512 MiB heap (board), diff from the empty heap
empty512|$BIG_OLD|-|the same heap with nothing allocated: free lines collapsed (board)
wasm64|$WASM_NEW|$WASM_OLD|fragmented 64 MiB heap (board), diff from before the drop
split64|$SPLIT_NEW|$SPLIT_OLD|$SPLIT_HEAP heap grown to 4 areas, fragmented (board), diff from before the drop
u32|$U32|-|32-bit unix port, 256 KiB heap, fragmented (tests/data/samples, as kept)
gen512|$GEN_OLD|$GEN_EMPTY|generated fragmented 512 MiB heap (bench/gen_dump.c), diff from it nearly empty"
    # The stats floor is AVX2 code: asked once, on the smallest dump, whether it runs here.
    STATS_FLOOR=0
    "$TOOLS/parse_only" --stats-floor "$U32" >/dev/null 2>&1 && STATS_FLOOR=1
    while IFS='|' read -r S main old what; do
        say "shape $S: read, show, stats, diff"
        measure "sh.parse.$S" "$N" "$TOOLS/parse_only" "$main" -- "sh.wc.$S" "$N" 600 wc -l "$main"
        shape_row "$S" "read" "sh.parse.$S" "sh.wc.$S" "wc -l" over 3
        blocks=$("$TOOLS/parse_only" "$main" | awk '{ print $3 }')
        measure "sh.floor.$S" "$N" "$TOOLS/cells_floor" "$blocks" -- "sh.parse2.$S" "$N" 600 "$TOOLS/parse_only" "$main"
        shape_row "$S" "  cells floor" "sh.floor.$S" "sh.wc.$S" "wc -l" info 0
        shape_row "$S" "  read/floor" "sh.parse2.$S" "sh.floor.$S" "floor" info 0
        # The alternative model (2 bits a block and a letter a head, as MicroPython keeps it):
        # its floor, against the byte-per-block floor, paired.
        heads=$("$MPHEAP" stats --json "$main" | sed -n 's/^ *"allocations": *\([0-9]*\).*/\1/p' | head -n 1)
        measure "sh.floor2.$S" "$N" "$TOOLS/cells_floor" "$blocks" "${heads:-0}" -- "sh.floor1.$S" "$N" 600 \
            "$TOOLS/cells_floor" "$blocks"
        shape_row "$S" "  2-bit floor" "sh.floor2.$S" "sh.floor1.$S" "floor" info 0
        # An estimate, not a measurement: reading as it is, less the byte-per-block floor, plus the
        # 2-bit floor (the packing of the bits is not counted), against wc -l.
        read -r tp _ <<<"$(summary "sh.parse2.$S")"
        read -r tf1 _ <<<"$(summary "sh.floor1.$S")"
        read -r tf2 _ <<<"$(summary "sh.floor2.$S")"
        read -r tw _ <<<"$(summary "sh.wc.$S")"
        est=$(awk -v p="$tp" -v a="$tf1" -v b="$tf2" 'BEGIN { e = p - a + b; printf "%.6f", (e > b ? e : b) }')
        echo "$S|  2-bit read (est.)|$(fmt_t "$est") (read - floor + 2-bit floor)|wc -l $(fmt_t "$tw")|$(awk -v e="$est" -v w="$tw" 'BEGIN { printf "%.2fx wc -l", e / w }')|-|INFO" >>"$SHAPE_ROWS"
        if [ -s "$TMP/seed.$S" ]; then
            measure "sh.show.$S" "$N" "$MPHEAP" show --color always -c 4 "$main" -- "" 0 0
            cp "$TMP/seed.$S" "$TMP/sh.seed.$S"
        else
            measure "sh.show.$S" "$N" "$MPHEAP" show --color always -c 4 "$main" -- \
                "$(seed_key "sh.seed.$S")" "$SEED_N" "$SEED_TIMEOUT" "$(seed_cmd)" "$SEED_PY" map "$main" 4
        fi
        shape_row "$S" "show" "sh.show.$S" "$(seed_key "sh.seed.$S")" "seed map" faster 100
        read -r _ _ rss _ _ <<<"$(summary "sh.show.$S")"
        echo "$S|  show peak RSS|$(fmt_mib "$rss")|-|-|<= 64 MiB|$([ "$rss" -le "$RSS_LIMIT_KIB" ] && echo PASS || echo FAIL)" >>"$SHAPE_ROWS"
        measure "sh.stats.$S" "$N" "$MPHEAP" stats "$main" -- "sh.parse3.$S" "$N" 600 "$TOOLS/parse_only" "$main"
        shape_row "$S" "stats" "sh.stats.$S" "sh.parse3.$S" "read" over 1.2
        # The least a second pass for the stats does (parse_only --stats-floor: the cells loaded
        # again, their masks, the head letters, the runs by level), on top of the same reading.
        if [ "$STATS_FLOOR" = 1 ]; then
            measure "sh.sfloor.$S" "$N" "$TOOLS/parse_only" --stats-floor "$main" -- \
                "sh.parse4.$S" "$N" 600 "$TOOLS/parse_only" "$main"
            shape_row "$S" "  stats floor" "sh.sfloor.$S" "sh.parse4.$S" "read" info 0
        else
            echo "$S|  stats floor|-|-|-|-|SKIP (parse_only --stats-floor needs x86-64 with AVX2)" >>"$SHAPE_ROWS"
        fi
        if [ "$old" != - ]; then
            measure "sh.diff.$S" "$N" "$MPHEAP" diff --color always -c 4 "$old" "$main" -- \
                "sh.shown.$S" "$N" 600 "$MPHEAP" show --color always -c 4 "$main"
            shape_row "$S" "diff" "sh.diff.$S" "sh.shown.$S" "show" over 2
        else
            echo "$S|diff|-|-|-|-|SKIP (one dump of this shape)" >>"$SHAPE_ROWS"
        fi
    done <<<"$SHAPES"
fi

# The serial engineer's capture benchmark makes its own medians: run it once, keep its lines.
CAPTURE_LINES=$TMP/capture
: >"$CAPTURE_LINES"
if [ "$ONLY" = shapes ]; then
    echo "not run (BENCH_ONLY=shapes)" >"$CAPTURE_LINES"
elif [ -x bench/capture.sh ]; then
    say "capture from the virtual board (bench/capture.sh $N)"
    if ! MPHEAP=$MPHEAP bench/capture.sh "$N" >"$CAPTURE_LINES" 2>"$TMP/capture.err"; then
        echo "bench/capture.sh FAILED: $(head -c 300 "$TMP/capture.err" | tr '\n' ' ')" >>"$CAPTURE_LINES"
    fi
else
    echo "bench/capture.sh is not there: capture not measured." >"$CAPTURE_LINES"
fi
# mpheap watch on the same board (bench/watch.sh): refreshes a second, its own median.
WATCH_LINES=$TMP/watch
: >"$WATCH_LINES"
if [ -x bench/watch.sh ] && [ "$ONLY" != shapes ]; then
    say "watch on the virtual board (bench/watch.sh $N)"
    if ! MPHEAP=$MPHEAP bench/watch.sh "$N" >"$WATCH_LINES" 2>"$TMP/watch.err"; then
        echo "bench/watch.sh FAILED: $(head -c 300 "$TMP/watch.err" | tr '\n' ' ')" >>"$WATCH_LINES"
    fi
fi
has_cmd stats || NOTES+=("stats: $MPHEAP has no stats command yet: not measured.")
has_cmd diff || NOTES+=("diff: $MPHEAP has no diff command yet: not measured.")

[ "$ONLY" = shapes ] || html_bench
[ "$ONLY" = shapes ] || biglog_bench
[ "$ONLY" = shapes ] || biglog_timeline_bench

# The memory target: peak RSS of show on the 512 MiB-heap dump.
for key in showc.gen512 showm.gen512; do
    [ -s "$TMP/$key" ] || continue
    read -r _ _ rss _ _ <<<"$(summary "$key")"
    base="-" ratio="-"
    if [ -s "$TMP/seed.gen512" ]; then
        read -r _ _ srss _ _ <<<"$(summary seed.gen512)"
        base="seed map $(fmt_mib "$srss")"
        ratio=$(awk -v a="$rss" -v b="$srss" 'BEGIN { printf "%.1fx less", b / a }')
    fi
    result=$([ "$rss" -lt "$RSS_LIMIT_KIB" ] && echo PASS || echo FAIL)
    label="peak RSS show colour"
    [ $key = showm.gen512 ] && label="peak RSS show no col."
    echo "$label gen512|$(fmt_mib "$rss")|$base|$ratio|< 64 MiB|$result" >>"$ROWS"
done

# ----------------------------------------------------------------- report
RES=$OUT/results.txt
{
    echo "mpheap benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+dirty'), BUILD=$BUILD"
    echo "host: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "runs: N=$N for mpheap and wc -l, $SEED_N for the seed (interleaved); median (n, min-max); output to /dev/null"
    echo
    echo "inputs:"
    for f in "$WASM_NEW" "$WASM_OLD" "$GEN_OLD" "$GEN_NEW" "$GEN_EMPTY" "$BIG_NEW" "$BIG_OLD" "$SPLIT_NEW" \
        "$SPLIT_OLD" "$U32"; do
        blocks=$("$TOOLS/parse_only" "$f" | awk '{ print $3 }')
        printf '  %-26s %6.1f MB, %7d lines, %9d blocks\n' "$f" \
            "$(awk -v b="$(wc -c <"$f")" 'BEGIN { print b / 1e6 }')" "$(wc -l <"$f")" "$blocks"
    done
    echo
    {
        echo "case|mpheap median|baseline median|ratio|target|result"
        cat "$ROWS"
    } | print_table
    echo
    if [ -s "$SHAPE_ROWS" ]; then
        echo "every heap shape (paired medians; read = bench/parse_only, floor = bench/cells_floor):"
        while IFS='|' read -r S main old what; do printf '  %-9s %s\n' "$S" "$what"; done <<<"$SHAPES"
        {
            echo "shape|case|mpheap median|baseline median|ratio|target|result"
            cat "$SHAPE_ROWS"
        } | print_table
        echo
    fi
    echo "peak memory (max RSS over the runs, from wait4):"
    while IFS='|' read -r name key t rss; do
        printf '  %-22s %10s\n' "$name" "$(fmt_mib "$rss")"
    done <"$RSS_ROWS"
    for k in seed.wasm64 seed.gen512 seeddiff.wasm64 seeddiff.gen512 wc.gen512; do
        [ -s "$TMP/$k" ] || continue
        read -r _ _ rss _ _ <<<"$(summary "$k")"
        printf '  %-22s %10s\n' "baseline $k" "$(fmt_mib "$rss")"
    done
    echo
    echo "capture from the virtual board (bench/capture.sh $N, its own paired medians; target: one snapshot, whole command, <= 0.25x mpremote):"
    sed 's/^/  /' "$CAPTURE_LINES"
    echo
    if [ -s "$WATCH_LINES" ]; then
        echo "watch on the virtual board (bench/watch.sh $N; target: at least 10 refreshes a second, 64 KB heap):"
        sed 's/^/  /' "$WATCH_LINES"
        echo
    fi
    echo "notes:"
    echo "  - ratios: seed median / mpheap median (>= 100x wanted); parse: parse_only median / wc -l median"
    echo "  - cells alone (bench/cells_floor.c): a process that only allocates and writes a byte per block,"
    echo "    as the parser's cells: a floor under parse only that no parsing work can go below."
    echo "    (bench/parse_only.c: 128 KiB reads into mph_parser_feed, as the CLI reads, then mph_parser_finish)."
    echo "  - stats floor (parse_only --stats-floor): reading, then only the steps every stats walk of this"
    echo "    kind takes (each 64 cells loaded again, their free and tail masks, the head letters counted,"
    echo "    the runs counted by level, four chunks at once), on two threads and skipping what the walk"
    echo "    skips: a floor under stats. Above 1.2x read, the stats target is out of this walk's reach."
    echo "  - the seed always colours; mpheap is timed with --color always and never, -c 4 as the seed's 4 columns."
    echo "  - the seed keeps only the first \"(N lines all free)\" of a dump, so on dumps with several"
    echo "    collapsed runs (gen512) it prints fewer cells than mpheap: the ratios understate mpheap."
    echo "  - stats has no seed counterpart: it is set against the seed's map, the seed's only view of one dump."
    echo "  - diff: mpheap diff OLD NEW against seed_run.py diff NEW OLD; --no-map prints no map, the seed always does."
    echo "  - diff empty->full: diff --color never -c 4 gen512-empty gen512 against show --color never -c 4 gen512,"
    echo "    run alternately; ratio = diff median / show median (<= 2.0x wanted)."
    echo "  - stats --need 32M: the verdict's window search over every window of the 512 MiB heap (32 MiB"
    echo "    does not fit), against stats alone, run alternately; ratio = --need median / stats median."
    [ "$HAVE_SEED" = 1 ] || echo "  - SEED COLUMN SKIPPED: $SEED_WHY"
    for n in "${NOTES[@]}"; do echo "  - $n"; done
    fails=$(cat "$ROWS" "$SHAPE_ROWS" | grep -c '|FAIL$' || true)
    passes=$(cat "$ROWS" "$SHAPE_ROWS" | grep -c '|PASS$' || true)
    echo
    echo "$passes targets passed, $fails missed"
} >"$RES"
cat "$RES"
say "written to $RES"
if [ "${BENCH_STRICT:-0}" = 1 ] && grep -q 'targets passed, [1-9]' "$RES"; then
    exit 1
fi
exit 0
