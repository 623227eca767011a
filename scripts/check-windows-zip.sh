#!/usr/bin/env bash
# Checks a Windows release zip (`make windows-zip`): the files it must hold, and, with Wine,
# that the mpheap.exe inside runs, has PNG, and draws one.   scripts/check-windows-zip.sh ZIP
set -eu
zip=$1
list=$(unzip -Z1 "$zip")
top=$(basename "$zip" .zip)
for f in mpheap.exe README.md device/mpheap.py device/README.md; do
    grep -qx "$top/$f" <<<"$list" || { echo "check-windows-zip: $zip has no $top/$f" >&2; exit 1; }
done
if ! command -v wine >/dev/null 2>&1; then
    echo "check-windows-zip: $zip holds its files (no wine: mpheap.exe not run)"
    exit 0
fi
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
unzip -q "$zip" -d "$t"
sample=$(cd "$(dirname "$0")/.." && pwd)/tests/data/samples/u32-frag-256k.txt
export WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$t/wineprefix}
wine cmd /c exit 0 >/dev/null 2>&1 </dev/null || true # a new prefix says a lot: not here
features=$(wine "$t/$top/mpheap.exe" --version </dev/null | grep '^features:')
grep -q '+libpng' <<<"$features" || { echo "check-windows-zip: mpheap.exe lacks libpng: $features" >&2; exit 1; }
wine "$t/$top/mpheap.exe" report -o "$t/map.png" "$sample" </dev/null
[ "$(head -c 8 "$t/map.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    { echo "check-windows-zip: the zip's mpheap.exe wrote no PNG" >&2; exit 1; }
wineserver -k 2>/dev/null || true
echo "check-windows-zip: $zip: mpheap.exe runs ($features) and draws a PNG"
