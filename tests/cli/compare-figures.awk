# Compare figures: the first file holds the expected "PATH VALUE" lines (from
# stats-ref.awk), the second the actual ones (json-flat.awk of mpheap's JSON).
# Hex strings ("0x...") are compared as numbers, fractions to 1e-6. Prints each
# mismatch and "N figures compared"; exits 1 on a mismatch or a missing figure.
# Usage: awk -f hex.awk -f compare-figures.awk WANT GOT
FNR == NR { want[$1] = $2; order[++n] = $1; next }
{ got[$1] = $2 }
END {
    bad = 0
    for (i = 1; i <= n; i++) {
        p = order[i]
        if (!(p in got)) { print "missing " p " (expected " want[p] ")"; bad++; continue }
        g = got[p]
        if (g ~ /^0x/) g = sprintf("%.0f", hex2dec(g))
        w = want[p]
        if (p ~ /fragmentation$/) { diff = g - w; if (diff < 0) diff = -diff; same = diff <= 1e-6 }
        else same = (g + 0 == w + 0) && g != "null"
        if (!same) { print p ": mpheap " got[p] ", expected " w; bad++ }
    }
    print n " figures compared, " bad " differ"
    exit bad > 0 || n == 0
}
