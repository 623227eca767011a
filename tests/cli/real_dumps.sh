#!/usr/bin/env bash
# Real dumps made now by real MicroPython (the WebAssembly port, board/run-script.mjs)
# with heaps of several sizes: small initial heaps grow by areas (split heaps).
# For every dump, mpheap --strict must read it with no warning, i.e. the figures
# recomputed from the map equal the ones MicroPython printed (total, used, free,
# 1-blocks, 2-blocks, max blk sz, max free sz), and show must draw every area.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
M=$MPHEAP
if ! command -v node >/dev/null || [ ! -d board/node_modules ]; then
    skip real_dumps "node or board/node_modules missing (npm ci --prefix board)"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for spec in 16K:300 32K:2000 64K:1500 256K:6000 1M:20000 4M:60000; do
    heap=${spec%%:*} n=${spec##*:}
    name=real_dump_$heap
    if ! node board/run-script.mjs --heap "$heap" -c "N = $n" tests/data/mpy/fragment.py \
        -c "import gc; gc.collect()" -c "import micropython; micropython.mem_info(1)" >"$T/$heap.txt" 2>"$T/err"; then
        not_ok "$name" "run-script failed: $(head -c 300 "$T/err")"
        continue
    fi
    "$M" show --strict --color never "$T/$heap.txt" >"$T/$heap.show" 2>"$T/$heap.err"
    rc=$?
    expect "${name}_strict" [ $rc -eq 0 -a ! -s "$T/$heap.err" ]
    areas=$(grep -c '^GC memory layout; from ' "$T/$heap.txt")
    expect "${name}_areas_drawn" [ "$(grep -c '^-- area ' "$T/$heap.show")" -eq "$areas" ]
    # The summary's used bytes are MicroPython's own.
    used=$(sed -nE 's/^GC: total: [0-9]+, used: ([0-9]+),.*/\1/p' "$T/$heap.txt")
    shown=$(sed -nE 's/^used +([0-9,]+) bytes.*/\1/p' "$T/$heap.show" | tr -d ,)
    expect "${name}_used" [ -n "$used" -a "$used" = "$shown" ]
    echo "$heap: $areas area(s), used $used bytes"
done
# At least one of them is a split heap (the port grows by areas).
most=$(for f in "$T"/*.txt; do grep -c '^GC memory layout' "$f"; done | sort -n | tail -n 1)
expect real_dumps_split_heap [ "${most:-0}" -gt 1 ]
