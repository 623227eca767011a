#!/bin/sh
# Writes report_assets.c: the HTML report's template, script and style as byte
# arrays, and the SHA-256 (base64) of the script and the style for the page's
# Content-Security-Policy. POSIX sh and coreutils only (od, sha256sum, base64):
# the build needs neither Node.js nor openssl nor xxd.
# usage: embed.sh OUT TEMPLATE JS CSS
set -eu
out=$1 template=$2 js=$3 css=$4

bytes() { # NAME FILE: const unsigned char NAME[] = {...}; and NAME_len
    echo "const unsigned char $1[] = {"
    od -An -v -tu1 "$2" | awk '{ s = "   "; for (i = 1; i <= NF; i++) s = s " " $i ","; print s }'
    echo "    0};"
    echo "const size_t $1_len = sizeof $1 - 1;"
}

# The base64 of the binary digest: the hex pairs as printf's octal escapes.
hash() {
    printf "$(sha256sum <"$1" | cut -c1-64 | awk '{
        h = "0123456789abcdef"
        for (i = 1; i < 64; i += 2)
            printf "\\%03o", (index(h, substr($0, i, 1)) - 1) * 16 + index(h, substr($0, i + 1, 1)) - 1
    }')" | base64 -w0
}

{
    echo "/* Made by src/lib/render/html/embed.sh from $template, $js and $css: edit those. */"
    echo "#include <stddef.h>"
    echo "extern const unsigned char mph__html_template[], mph__html_js[], mph__html_css[];"
    echo "extern const size_t mph__html_template_len, mph__html_js_len, mph__html_css_len;"
    echo "extern const char mph__html_js_sha256[], mph__html_css_sha256[];"
    bytes mph__html_template "$template"
    bytes mph__html_js "$js"
    bytes mph__html_css "$css"
    echo "const char mph__html_js_sha256[] = \"$(hash "$js")\";"
    echo "const char mph__html_css_sha256[] = \"$(hash "$css")\";"
} >"$out.tmp"
mv "$out.tmp" "$out"
