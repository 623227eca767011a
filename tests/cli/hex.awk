# hex2dec("0x1a2b") = 6699: shared by stats-ref.awk and compare-figures.awk
# (awk -f tests/cli/hex.awk -f ...).
function hex2dec(h,   i, v) {
    h = tolower(h)
    sub(/^0x/, "", h)
    v = 0
    for (i = 1; i <= length(h); i++)
        v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
    return v
}
