#!/bin/sh
# Make the man pages from the binary's own --help: mpheap(1) from `mpheap --help` and
# mpheap-COMMAND(1) from `mpheap COMMAND --help`, for every command that `mpheap --help`
# lists. The pages have no other source, so they cannot drift from --help.
#   docs/man/mkman.sh BUILD/mpheap OUTDIR
# SOURCE_DATE_EPOCH, when set, dates the pages (reproducible builds).
set -eu
bin=$1 out=$2
awk_script=$(dirname "$0")/help2roff.awk
mkdir -p "$out"
version=$("$bin" --version | sed -n '1s/^mpheap \([^ ]*\).*/\1/p')
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    date=$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%B %Y')
else
    date=$(LC_ALL=C date -u '+%B %Y')
fi
commands=$("$bin" --help | awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { exit }')
[ -n "$commands" ] || { echo "mkman: no commands in $bin --help" >&2; exit 1; }

see=""
for c in $commands; do see="$see${see:+,
}.BR mpheap\\-$c (1)"; done
rm -f "$out"/mpheap.1 "$out"/mpheap-*.1
"$bin" --help | awk -v page=mpheap -v version="$version" -v date="$date" -v see_also="$see" \
    -f "$awk_script" >"$out/mpheap.1"
for c in $commands; do
    "$bin" "$c" --help | awk -v page="mpheap-$c" -v version="$version" -v date="$date" \
        -v see_also=".BR mpheap (1)" -f "$awk_script" >"$out/mpheap-$c.1"
done
