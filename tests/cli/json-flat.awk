# Flatten a JSON document into one "PATH VALUE" line per scalar: object members
# by key, array elements by index from 0 (whole.types.T.blocks 12,
# areas.0.base 0x30000). Strings lose their quotes, null stays null.
# A streaming state machine, so large documents cost linear time in any awk.
function path_of(   p) {
    if (d == 0)
        return ""
    if (ctype[d] == "o")
        p = key[d]
    else
        p = cidx[d]++
    return cpath[d] == "" ? p : cpath[d] "." p
}
function emit(v) { print path_of(), v }
function push(t,   p) {
    p = path_of()
    d++
    ctype[d] = t; cpath[d] = p; cidx[d] = 0; want_key[d] = (t == "o")
}
{
    line = $0
    n = length(line)
    i = 1
    while (i <= n) {
        c = substr(line, i, 1)
        if (c == " " || c == "\t" || c == "\r" || c == ":") { i++; continue }
        if (c == "{") { push("o"); i++; continue }
        if (c == "[") { push("a"); i++; continue }
        if (c == "}" || c == "]") { d--; i++; continue }
        if (c == ",") { if (ctype[d] == "o") want_key[d] = 1; i++; continue }
        if (c == "\"") {
            s = ""
            i++
            while (i <= n) {
                c = substr(line, i, 1)
                if (c == "\\") { i++; c = substr(line, i, 1); if (c == "n") c = "\\n"; if (c == "t") c = "\\t" }
                else if (c == "\"") break
                s = s c
                i++
            }
            i++
            if (ctype[d] == "o" && want_key[d]) { key[d] = s; want_key[d] = 0 }
            else emit(s)
            continue
        }
        j = i
        while (j <= n && substr(line, j, 1) !~ /[],} \t\r]/)
            j++
        emit(substr(line, i, j - i))
        i = j
    }
}
