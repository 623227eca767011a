# An independent recomputation of the figures of `mpheap stats`, for the CLI
# tests: the dump text is expanded in text order (each "(N lines all free)"
# is N x 64 free blocks; the offsets are not read), the block size is
# "GC: total" / number of cells, and each figure is counted from the cells.
# Usage: awk -v snap=K -v fits=4096,1024 -f hex.awk -f stats-ref.awk DUMP
# (K = the K-th dump, counted by its "GC: total" line). Prints "PATH VALUE"
# with the paths of the mpheap/stats/2 schema as json-flat.awk writes them.
function bucket(len,   k) {
    k = 0
    while (len >= 2) { len = int(len / 2); k++ }
    return k
}
function out(p, v) { printf "%s %.0f\n", p, v }
BEGIN {
    if (snap == "") snap = 1
    nfit = fits == "" ? 0 : split(fits, fit, ",")
    types = "TLDSAFBMhm"
}
{ sub(/\r+$/, "") }
/GC: total: / {
    s++
    if (s == snap) {
        t = $0
        sub(/.*GC: total: /, "", t)
        sub(/,.*/, "", t)
        gc_total = t + 0
    }
    next
}
s != snap { next }
/GC memory layout; from / {
    na++
    b = $0
    sub(/.*from /, "", b)
    sub(/:.*/, "", b)
    base[na] = hex2dec(b)
    cells[na] = ""
    next
}
na && /^[0-9a-f]+: [.=hTLDSAFBMm]+$/ {
    cells[na] = cells[na] substr($0, index($0, ": ") + 2)
    next
}
na && /^ *\([0-9]+ lines all free\)$/ {
    k = $0
    sub(/^ *\(/, "", k)
    sub(/ .*/, "", k)
    for (r = 0; r < k + 0; r++)
        cells[na] = cells[na] "................................................................"
    next
}
END {
    ncells = 0
    for (a = 1; a <= na; a++)
        ncells += length(cells[a])
    bpb = gc_total / ncells
    for (a = 0; a <= na; a++) {   # a = 0: the whole heap
        delete ah; delete ahb; delete fh; delete fhb; delete ta; delete tb; delete fc
        used = free = allocs = orphans = n1 = n2 = maxa = runs = above = largest = 0
        lfa = lfb = 0
        first = a ? a : 1; last = a ? a : na
        for (x = first; x <= last; x++) {
            c = cells[x]
            n = length(c)
            i = 1
            lastused = 0
            while (i <= n) {
                ch = substr(c, i, 1)
                j = i + 1
                if (ch == ".") {
                    while (j <= n && substr(c, j, 1) == ".") j++
                    len = j - i
                    free += len; runs++
                    fh[bucket(len)]++; fhb[bucket(len)] += len
                    if (len > largest) { largest = len; lfa = x; lfb = i - 1 }
                    for (f = 1; f <= nfit; f++) fc[f] += int(len / int((fit[f] + bpb - 1) / bpb))
                } else {
                    while (j <= n && substr(c, j, 1) == "=") j++
                    len = j - i
                    used += len; allocs++
                    if (ch == "=") { orphans++; ch = "h" }
                    ta[ch]++; tb[ch] += len
                    if (len == 1) n1++
                    if (len == 2) n2++
                    if (len > maxa) maxa = len
                    ah[bucket(len)]++; ahb[bucket(len)] += len
                    lastused = j - 1
                }
                i = j
            }
            above += n - lastused
        }
        p = a ? "areas." (a - 1) "." : "whole."
        if (a) {
            printf "%sindex %d\n", p, a
            out(p "base", base[a])
        }
        out(p "total.blocks", used + free);  out(p "total.bytes", (used + free) * bpb)
        out(p "used.blocks", used);          out(p "used.bytes", used * bpb)
        out(p "free.blocks", free);          out(p "free.bytes", free * bpb)
        out(p "allocations", allocs)
        out(p "orphan_tails", orphans)
        out(p "one_block_allocations", n1)
        out(p "two_block_allocations", n2)
        out(p "largest_allocation.blocks", maxa); out(p "largest_allocation.bytes", maxa * bpb)
        out(p "free_runs", runs)
        out(p "largest_free.blocks", largest); out(p "largest_free.bytes", largest * bpb)
        if (largest) {
            out(p "largest_free.address", base[lfa] + lfb * bpb)
            out(p "largest_free.area", lfa)
            out(p "largest_free.block", lfb)
        }
        out(p "free_above_top.blocks", above); out(p "free_above_top.bytes", above * bpb)
        printf "%sfragmentation %.6f\n", p, free ? 1 - largest / free : 0
        for (k = 1; k <= length(types); k++) {
            ch = substr(types, k, 1)
            out(p "types." ch ".allocations", ta[ch])
            out(p "types." ch ".blocks", tb[ch])
            out(p "types." ch ".bytes", tb[ch] * bpb)
        }
        idx = 0
        for (k = 0; k < 40; k++) {
            if (!ah[k]) continue
            q = p "allocation_sizes." idx++ "."
            out(q "min_blocks", 2 ^ k); out(q "max_blocks", 2 ^ (k + 1) - 1)
            out(q "min_bytes", 2 ^ k * bpb); out(q "max_bytes", (2 ^ (k + 1) - 1) * bpb)
            out(q "allocations", ah[k]); out(q "blocks", ahb[k]); out(q "bytes", ahb[k] * bpb)
        }
        idx = 0
        for (k = 0; k < 40; k++) {
            if (!fh[k]) continue
            q = p "free_run_sizes." idx++ "."
            out(q "min_blocks", 2 ^ k); out(q "max_blocks", 2 ^ (k + 1) - 1)
            out(q "runs", fh[k]); out(q "blocks", fhb[k]); out(q "bytes", fhb[k] * bpb)
        }
        for (f = 1; f <= nfit; f++) {
            q = p "fit." (f - 1) "."
            out(q "bytes", fit[f]); out(q "count", fc[f])
        }
    }
    out("block_size", bpb)
}
