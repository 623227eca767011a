# Turns the text of `mpheap [COMMAND] --help` into a man page (roff, man macros), so that the
# pages say what --help says and cannot drift from it. docs/man/mkman.sh runs it; no other
# source of the pages exists.
#
# Variables: page (mpheap or mpheap-COMMAND), version, date, see_also (roff text).
#
# What --help looks like (every command follows it):
#   usage: mpheap COMMAND [options] [FILE|-]      -> SYNOPSIS
#   One paragraph of description.                 -> NAME (its first clause), DESCRIPTION
#   heading:                                      -> .SH HEADING (e.g. "commands:")
#     -x, --long ARG   text                       -> .TP entries; deeper lines continue them
#   Plain paragraphs after a list                 -> NOTES, or EXIT STATUS when they say so

# Roff-safe text: backslashes, leading dots and quotes, and the hyphens of options (a '-'
# starting a word, or doubled) as \- so that they print and search as ASCII minus.
function esc(s,    out, i, c, prev) {
    gsub(/\\/, "\\e", s)
    out = ""; prev = " "
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "-" && (prev ~ /[ \t(\[|,=\/"'`]/ || prev == "-"))
            out = out "\\-"
        else
            out = out c
        prev = c
    }
    if (out ~ /^[.']/)
        out = "\\&" out
    return out
}

# An entry's tag with the option names (and command names) in bold.
function bold_tag(tag,    n, parts, i, t, out, name, rest, cut) {
    n = split(tag, parts, " ")
    out = ""
    for (i = 1; i <= n; i++) {
        t = parts[i]
        if (i == 1 && t !~ /^-/ && t ~ /^[a-z]/) {
            out = "\\fB" esc(t) "\\fR"
        } else if (t ~ /^-/) {
            cut = match(t, /[,=]/)
            if (cut) { name = substr(t, 1, cut - 1); rest = substr(t, cut) } else { name = t; rest = "" }
            t = "\\fB" esc(name) "\\fR" esc(rest)
            out = out (out == "" ? "" : " ") t
        } else {
            out = out (out == "" ? "" : " ") "\\fI" esc(t) "\\fR"
        }
    }
    return out
}

function indent_of(s) { match(s, /^ */); return RLENGTH }

function section(name) {
    if (name != current) { print ".SH " name; current = name }
}

function flush_para() {
    if (para != "") {
        if (para ~ /^Exit status/) section("EXIT STATUS")
        else if (after_list && blank_before) section("NOTES")
        print ".PP"
        print esc(para)
        para = ""
    }
}

function flush_entry() {
    if (tag != "") {
        print ".TP"
        print bold_tag(tag)
        print (desc == "" ? "\\&" : esc(desc))
        tag = ""; desc = ""
    }
}

BEGIN { state = "usage"; current = ""; para = ""; tag = ""; desc = ""; after_list = 0 }

state == "usage" {
    if ($0 !~ /^usage: /) { print "help2roff: --help does not start with \"usage: \"" > "/dev/stderr"; exit 1 }
    synopsis = substr($0, 8)
    state = "about"; about = ""
    next
}

state == "about" {
    if ($0 != "") { about = about (about == "" ? "" : " ") $0; next }
    start_page()
    state = "body"
    next
}

function start_page(    short, cut, upper) {
    # NAME: the description's first clause, lower-cased unless it starts with an acronym.
    short = about
    cut = match(short, /(\. |: |; )/)
    if (cut) short = substr(short, 1, cut - 1)
    sub(/\.$/, "", short)
    if (substr(short, 2, 1) ~ /[a-z ]/) short = tolower(substr(short, 1, 1)) substr(short, 2)
    upper = toupper(page)
    printf ".TH %s 1 \"%s\" \"mpheap %s\" \"User Commands\"\n", upper, date, version
    print ".SH NAME"
    print page " \\- " esc(short)
    print ".SH SYNOPSIS"
    # The command words in bold, the rest as written.
    syn = synopsis
    if (page == "mpheap") { sub(/^mpheap/, "", syn); print "\\fBmpheap\\fR" esc(syn) }
    else { cmdw = substr(page, 8); sub("^mpheap " cmdw, "", syn); print "\\fBmpheap " cmdw "\\fR" esc(syn) }
    section("DESCRIPTION")
    print esc(about)
}

state == "body" && $0 == "" { flush_entry(); flush_para(); desc_col = 0; blank = 1; next }

# "commands:", "options:", "limits (at least one; ...):"
state == "body" && /^[a-z][^ ]*( [^ ]+)*:$/ && indent_of($0) == 0 {
    flush_entry(); flush_para()
    head = $0; sub(/:$/, "", head)
    note = ""
    if (match(head, / \(/)) { note = substr(head, RSTART + 1); head = substr(head, 1, RSTART - 1) }
    blank = 0
    section(toupper(head))
    if (note != "") { print ".PP"; print esc(note) }
    after_list = 1
    next
}

# An entry: "  -x, --long ARG   text", "      --long", "  show      text".
state == "body" && indent_of($0) >= 2 && indent_of($0) <= 8 && /^ +[-a-z]/ {
    flush_entry(); flush_para()
    if (current == "DESCRIPTION") section("OPTIONS")
    blank = 0
    # The text starts after a gap of two blanks or more, or, where --help left one blank
    # only, in the column where the list's text starts.
    if (match($0, /[^ ]   *[^ ]/)) col = RSTART + RLENGTH - 1
    else if (desc_col && substr($0, desc_col - 1, 2) ~ /^ [^ ]/) col = desc_col
    else col = 0
    if (col) {
        tag = substr($0, 1, col - 1); desc = substr($0, col)
        desc_col = col
    } else { tag = $0; desc = "" }
    raw = $0
    sub(/^ +/, "", tag); sub(/ +$/, "", tag)
    after_list = 1
    next
}

# An entry's text that goes on.
state == "body" && indent_of($0) > 8 && tag != "" {
    if (!desc_col) desc_col = indent_of($0) + 1
    # The first entry with one blank before its text: the text's column is this line's.
    if (desc == "" && substr(raw, desc_col - 1, 2) ~ /^ [^ ]/) {
        tag = substr(raw, 1, desc_col - 1); desc = substr(raw, desc_col)
        sub(/^ +/, "", tag); sub(/ +$/, "", tag)
    }
    line = $0; sub(/^ +/, "", line)
    desc = desc (desc == "" ? "" : " ") line
    next
}

state == "body" {
    flush_entry()
    if (para == "") blank_before = blank
    blank = 0
    line = $0; sub(/^ +/, "", line)
    para = para (para == "" ? "" : " ") line
    next
}

END {
    if (state == "about") start_page()
    flush_entry(); flush_para()
    if (see_also != "") {
        print ".SH SEE ALSO"
        print see_also
    }
}
