#!/usr/bin/env bash
# Issue 12: make install / uninstall into a DESTDIR and into a PREFIX; a C program built
# against the installed header, pkg-config file and libmpheap.so (and libmpheap.a); exports
# exactly the public API (nm -D); man pages rendered by man -l without warnings and holding
# every option of --help; bash completion through compgen; the installed Python package; the
# Python unit tests (python/tests); the example notebook run headless by jupyter nbconvert.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
ROOT=$PWD
B=${MPH_BUILD:-build}
M=$MPHEAP
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# Debian's python3 (Jupyter's), as on a clean Debian 12; another python3 only without it.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)

# A library built with a sanitizer (make asan) loads into Python only behind the sanitizer's
# runtime, and programs linked with it need the sanitizer too. The CLI, linked statically
# with its own runtime, must not inherit the preload: the notebook gets a wrapper for it.
py_env=() san_cc=() CLI_FOR_PY=$ROOT/$M
if nm -D "$B/libmpheap.so" 2>/dev/null | grep -q ' U __asan_init'; then
    rt=$(clang -print-file-name=libclang_rt.asan-x86_64.so 2>/dev/null)
    py_env=(LD_PRELOAD="$rt" ASAN_OPTIONS=detect_leaks=0 MPHEAP_SANITIZED=1)
    san_cc=(-fsanitize=address,undefined)
    CLI_FOR_PY=$T/mpheap-cli
    printf '#!/bin/sh\nexec env -u LD_PRELOAD "%s" "$@"\n' "$ROOT/$M" >"$CLI_FOR_PY"
    chmod +x "$CLI_FOR_PY"
    echo "install.sh: $B is sanitized: Python runs with LD_PRELOAD=$rt"
fi
CC_PROG=${CC:-cc}
[ ${#san_cc[@]} -gt 0 ] && CC_PROG=clang

ABI=$(sed -n 's/^#define MPH_ABI_VERSION \([0-9]*\).*/\1/p' include/mpheap.h)
VER=$(sed -n 's/^#define MPH_VERSION "\(.*\)"/\1/p' include/mpheap.h)

# --- make install DESTDIR=... ----------------------------------------------------------------
D=$T/dest
if ! make -s BUILD="$B" install DESTDIR="$D" PREFIX=/usr/local >"$T/install.log" 2>&1; then
    not_ok install/destdir "$(tail -n 20 "$T/install.log")"
    exit 0
fi
ok install/destdir
U=$D/usr/local
PYDIR=$(sed -n 's/^installed under .*; the Python package in \(.*\)\/mpheap$/\1/p' "$T/install.log")
files_ok=1
for f in bin/mpheap lib/libmpheap.so.$VER lib/libmpheap.a lib/pkgconfig/mpheap.pc \
    include/mpheap.h share/man/man1/mpheap.1 share/man/man1/mpheap-show.1 \
    share/bash-completion/completions/mpheap share/mpheap/device/mpheap.py \
    share/mpheap/board/virtual-board.mjs; do
    [ -f "$U/$f" ] || { files_ok=0; echo "missing $U/$f" >&2; }
done
expect install/files [ $files_ok -eq 1 ]
expect install/soname-links [ "$(readlink "$U/lib/libmpheap.so.$ABI") $(readlink "$U/lib/libmpheap.so")" \
    = "libmpheap.so.$VER libmpheap.so.$ABI" ]
readelf -d "$U/lib/libmpheap.so.$VER" >"$T/dynamic"
expect install/soname grep -q "Library soname: \[libmpheap.so.$ABI\]" "$T/dynamic"
expect install/python-package test -n "$PYDIR" -a -f "$PYDIR/mpheap/__init__.py" \
    -a -f "$PYDIR/mpheap/_installed.py"
case $PYDIR in "$D"/usr/local/*) ok install/python-under-prefix ;;
    *) not_ok install/python-under-prefix "$PYDIR" ;; esac

# --- exports: exactly the functions of the public header ---------------------------------------
nm -D --defined-only "$U/lib/libmpheap.so.$VER" | awk '$2 ~ /^[TDBRVWi]$/ { print $3 }' |
    sed 's/@.*//' | sort -u >"$T/exports"
grep -oE '\bmph_[a-z][a-z0-9_]*\(' "$U/include/mpheap.h" | tr -d '(' | sort -u >"$T/declared"
grep -v '^mph_[a-z]' "$T/exports" >"$T/exports.other"
expect exports/only-public test -s "$T/exports" -a ! -s "$T/exports.other"
comm -3 "$T/exports" "$T/declared" >"$T/exports.diff"
if [ -s "$T/exports.diff" ]; then
    not_ok exports/equal-header "exported but not declared / declared but not exported: $(tr '\n' ' ' <"$T/exports.diff")"
else ok exports/equal-header; fi
nm -D "$U/lib/libmpheap.so.$VER" | grep ' mph__' >"$T/internal"
expect exports/internal-hidden test ! -s "$T/internal"
# The static library keeps the internal symbols (the CLI links them); only the .so hides them.
expect exports/static-has-internal sh -c "nm '$U/lib/libmpheap.a' 2>/dev/null | grep -q ' T mph__'"

# --- a C program against the installed tree through pkg-config ---------------------------------
cat >"$T/prog.c" <<'EOF'
#include <mpheap.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    if (argc != 2 || MPH_VERSION_NUMBER != mph_version_number())
        return 2;
    FILE *f = fopen(argv[1], "rb");
    static char buf[1 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    mph_log *log = NULL;
    mph_error err = {0};
    if (mph_log_parse(buf, n, NULL, &log, &err) != MPH_OK) {
        fprintf(stderr, "%lu:%lu: %s\n", err.line, err.column, err.message);
        return 1;
    }
    mph_stats st;
    const mph_snapshot *s = mph_log_snapshot(log, mph_log_snapshot_count(log) - 1);
    if (mph_stats_compute(s, MPH_ALL_AREAS, &st, &err) != MPH_OK)
        return 1;
    printf("%s %llu\n", mph_version_string(), (unsigned long long)st.largest_free_blocks);
    mph_log_free(log);
    fclose(f);
    return 0;
}
EOF
SAMPLE=tests/data/samples/u32-frag-256k.txt
want="$VER $("$M" stats --json "$SAMPLE" | sed -n 's/.*"largest_free": {"blocks": \([0-9]*\),.*/\1/p' | head -n 1)"
export PKG_CONFIG_PATH=$U/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
if "$CC_PROG" "${san_cc[@]}" -std=c11 -Wall -Werror -o "$T/prog" "$T/prog.c" $(pkg-config --cflags --libs mpheap) 2>"$T/cc.err"; then
    ok pkgconfig/compile
    got=$(LD_LIBRARY_PATH=$U/lib "$T/prog" "$SAMPLE" 2>&1)
    expect pkgconfig/run [ "$got" = "$want" ]
    LD_LIBRARY_PATH=$U/lib ldd "$T/prog" >"$T/ldd"
    expect pkgconfig/uses-shared grep -q "$U/lib/libmpheap.so.$ABI" "$T/ldd"
else
    not_ok pkgconfig/compile "$(cat "$T/cc.err")"
fi
# The static library with the .pc's private libraries.
if "$CC_PROG" "${san_cc[@]}" -std=c11 -o "$T/prog-static" "$T/prog.c" $(pkg-config --cflags mpheap) "$U/lib/libmpheap.a" \
    $(pkg-config --static --libs-only-other --libs-only-l mpheap | sed 's/-lmpheap//') 2>"$T/cc.err"; then
    expect pkgconfig/static-run [ "$("$T/prog-static" "$SAMPLE")" = "$want" ]
else
    not_ok pkgconfig/static-run "$(cat "$T/cc.err")"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# --- --version: the features from the library's one list -------------------------------------
v=$("$U/bin/mpheap" --version)
expect version/first-line [ "$(echo "$v" | head -n 1 | cut -d' ' -f2)" = "$VER" ]
expect version/features grep -Eq '^features: [+-]avx2 [+-]libpng [+-]ncurses$' <<<"$v"

# --- man pages: one per command, rendered without warnings, every option of --help ------------
commands=$("$M" --help | awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { exit }')
pages_ok=1 warn_ok=1 opts_ok=1
if command -v man >/dev/null 2>&1; then
    for c in "" $commands; do
        page=$U/share/man/man1/mpheap${c:+-$c}.1
        [ -f "$page" ] || { pages_ok=0; echo "no page $page" >&2; continue; }
        w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
        [ -z "$w" ] || { warn_ok=0; echo "man -l $page: $w" >&2; }
        LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$page" 2>/dev/null | col -b | tr -d '\302\255' >"$T/page.txt"
        # shellcheck disable=SC2086
        for o in $("$M" $c --help | grep -oE '(^|[ ,])--[a-z][-a-z0-9]*' | sed 's/^[ ,]//' | sort -u); do
            grep -qF -- "$o" "$T/page.txt" || { opts_ok=0; echo "mpheap${c:+-$c}.1 lacks $o" >&2; }
        done
    done
    expect man/one-per-command [ $pages_ok -eq 1 ]
    expect man/no-warnings [ $warn_ok -eq 1 ]
    expect man/every-option [ $opts_ok -eq 1 ]
    LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$U/share/man/man1/mpheap.1" 2>/dev/null | col -b >"$T/main.txt"
    expect man/see-also grep -q 'mpheap-capture(1)' "$T/main.txt"
else
    skip man/pages "man is not installed (Debian: man-db)"
fi

# --- bash completion with compgen ----------------------------------------------------------------
S=$T/sys
mkdir -p "$S/class/tty/ttyACM7" "$S/devices/usb1/1-1/1-1:1.0" "$S/bus/usb"
ln -s "$S/devices/usb1/1-1/1-1:1.0" "$S/class/tty/ttyACM7/device"
ln -s "$S/bus/usb" "$S/devices/usb1/1-1/1-1:1.0/subsystem"
printf '2e8a\n' >"$S/devices/usb1/1-1/idVendor"; printf '0005\n' >"$S/devices/usb1/1-1/idProduct"
complete_words() { # WORD... : what TAB offers for the last word
    MPHEAP_SYSFS=$S PATH="$U/bin:$PATH" bash -c '
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _mpheap mpheap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$U/share/bash-completion/completions/mpheap" "$@"
}
expect completion/commands [ "$(complete_words mpheap s | tr '\n' ' ')" = "show sim stats " ]
expect completion/all-commands [ "$(complete_words mpheap '' | grep -vc '^-')" -eq "$(echo $commands | wc -w)" ]
expect completion/options [ "$(complete_words mpheap show --pal)" = "--palette" ]
expect completion/capture-options [ "$(complete_words mpheap capture --so)" = "--soft-reset" ]
palettes=$(complete_words mpheap show --palette '')
pal_ok=1
for p in $palettes; do "$M" show --palette "$p" --color=never --no-pager "$SAMPLE" >/dev/null 2>&1 || pal_ok=0; done
expect completion/palettes [ "$(echo $palettes) $pal_ok" = "mono notebook rainbow safe type 1" ]
ports=$(complete_words mpheap show --port '')
expect completion/ports-present grep -qx /dev/ttyACM7 <<<"$ports"
expect completion/ports-words [ "$(grep -cxE 'sim|auto' <<<"$ports")" -eq 2 ]
expect completion/color [ "$(complete_words mpheap show --color a | tr '\n' ' ')" = "always auto " ]

# --- the installed Python package (Debian's python3) -------------------------------------------
if [ -n "$PY" ]; then
    out=$(env "${py_env[@]}" PYTHONPATH="$PYDIR" MPHEAP_LIB="$U/lib" "$PY" -c '
import json, sys, mpheap
s = mpheap.load(sys.argv[1])[-1]
print(json.dumps(s.figures, sort_keys=True))' "$SAMPLE" 2>&1)
    want_json=$("$M" stats --json "$SAMPLE" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
    expect python/installed-figures [ "$out" = "$want_json" ]
else
    skip python/installed-figures "no python3"
fi

# --- uninstall leaves nothing ---------------------------------------------------------------------
make -s BUILD="$B" uninstall DESTDIR="$D" PREFIX=/usr/local >"$T/uninstall.log" 2>&1
left=$(find "$D" ! -type d)
if [ -z "$left" ]; then ok uninstall/destdir-empty; else not_ok uninstall/destdir-empty "$left"; fi

# --- make install PREFIX=... (no DESTDIR): everything finds everything, no variables ----------
P=$T/prefix
if make -s BUILD="$B" install PREFIX="$P" >"$T/install2.log" 2>&1; then
    ok install/prefix
    PYDIR2=$(sed -n 's/^installed under .*; the Python package in \(.*\)\/mpheap$/\1/p' "$T/install2.log")
    if [ -n "$PY" ]; then
        # No MPHEAP_LIB: the package finds the library where make install put it.
        got=$(cd "$T" && env -u MPHEAP_LIB "${py_env[@]}" PYTHONPATH="$PYDIR2" "$PY" -c '
import mpheap, mpheap._lib as l
print(l.path)' 2>&1)
        expect python/finds-installed-lib [ "$got" = "$P/lib/libmpheap.so.$ABI" ]
    fi
    if command -v node >/dev/null 2>&1 && [ -d board/node_modules/@micropython ]; then
        # The installed tool and package find the installed virtual board.
        (cd "$T" && env -u MPHEAP_BOARD "$P/bin/mpheap" stats --json -p sim:64K >"$T/sim.json" 2>"$T/sim.err")
        expect installed/sim-board grep -q '"schema": "mpheap/stats/2"' "$T/sim.json"
        if [ -n "$PY" ]; then
            got=$(cd "$T" && env -u MPHEAP_BOARD -u MPHEAP_LIB "${py_env[@]}" PYTHONPATH="$PYDIR2" "$PY" -c '
import mpheap
log = mpheap.capture(port="sim:64K", gc=True)
print(len(log), log[0].after_collect)' 2>&1)
            expect python/installed-capture [ "$got" = "1 True" ]
        fi
    else
        skip installed/sim-board "node or the board's npm packages are missing"
    fi
    make -s BUILD="$B" uninstall PREFIX="$P" >/dev/null 2>&1
    left=$(find "$P" ! -type d)
    if [ -z "$left" ]; then ok uninstall/prefix-empty; else not_ok uninstall/prefix-empty "$left"; fi
else
    not_ok install/prefix "$(tail -n 20 "$T/install2.log")"
fi

# --- the Python unit tests ---------------------------------------------------------------------
if [ -z "$PY" ]; then
    skip python/unittest "no python3"
else
    # One result line per test (python/tests/report.py writes them into MPH_RESULTS).
    before=$(wc -l <"$MPH_RESULTS" 2>/dev/null || echo 0)
    env "${py_env[@]}" MPHEAP="$CLI_FOR_PY" MPHEAP_LIB="$ROOT/$B/libmpheap.so" PYTHONPATH="$ROOT/python" \
        "$PY" python/tests/report.py "$MPH_RESULTS" >"$T/unit.out" 2>&1; rc=$?
    if [ "$MPH_RESULTS" != /dev/null ] && [ "$(wc -l <"$MPH_RESULTS")" -eq "$before" ]; then
        not_ok python/unittest-ran "$(tail -n 20 "$T/unit.out")"
    fi
    [ $rc -eq 0 ] || echo "FAIL python unit tests: $(grep -E '^(FAIL|ERROR):' "$T/unit.out")" >&2
    [ $rc -eq 0 ] || tail -n 40 "$T/unit.out" >&2
    grep 'RSS over' "$T/unit.out"
fi

# --- the example notebook, headless ---------------------------------------------------------------
if ! command -v jupyter >/dev/null 2>&1 || ! jupyter nbconvert --version >/dev/null 2>&1; then
    skip notebook/nbconvert "jupyter nbconvert is not installed (Debian: jupyter-nbconvert python3-ipykernel)"
elif ! "$PY" -c 'import ipykernel' 2>/dev/null; then
    skip notebook/nbconvert "ipykernel is not installed (Debian: python3-ipykernel)"
elif ! command -v node >/dev/null 2>&1 || [ ! -d board/node_modules/@micropython ]; then
    skip notebook/nbconvert "the notebook captures from the virtual board: node or its npm packages are missing"
else
    N=$T/nb
    mkdir -p "$N"
    cp examples/heap-notebook.ipynb examples/fragmenter.py "$N/"
    if (cd "$N" && env "${py_env[@]}" PYTHONPATH="$ROOT/python" MPHEAP_LIB="$ROOT/$B/libmpheap.so" \
        MPHEAP_BIN="$CLI_FOR_PY" MPHEAP_BOARD="$ROOT/board/virtual-board.mjs" PYDEVD_DISABLE_FILE_VALIDATION=1 \
        timeout 300 jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=120 \
        --output executed.ipynb heap-notebook.ipynb) >"$T/nb.log" 2>&1; then
        ok notebook/executes
        "$M" stats --json -s 2 "$N/fragmenter.log" >"$N/stats.json"
        "$PY" - "$N/executed.ipynb" "$N/stats.json" >"$T/nb.check" 2>&1 <<'EOF'
# Reads the executed notebook: prints "pass NAME" or "fail NAME why" lines.
import html, json, re, sys
nb = json.load(open(sys.argv[1]))
cli = json.load(open(sys.argv[2]))
cells = {}
errors = []
for c in nb["cells"]:
    if c["cell_type"] != "code":
        continue
    for o in c.get("outputs", []):
        if o["output_type"] == "error":
            errors.append("%s: %s" % (o["ename"], o["evalue"]))
    for t in c.get("metadata", {}).get("tags", []):
        cells[t] = c
def say(name, cond, why=""):
    print(("pass %s" % name) if cond else ("fail %s %s" % (name, why)))
say("notebook/no-errors", not errors, "; ".join(errors))
def html_of(tag):
    for o in cells.get(tag, {}).get("outputs", []):
        if "text/html" in o.get("data", {}):
            h = o["data"]["text/html"]
            return "".join(h) if isinstance(h, list) else h
    return ""
def stream_of(tag):
    return "".join("".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                   for o in cells.get(tag, {}).get("outputs", []) if o["output_type"] == "stream")
frame = html_of("map-after")
m = re.search(r'srcdoc="(.*?)"', frame, re.S)
page = html.unescape(m.group(1)) if m else ""
island = re.search(r'<script type="application/json" id="mpheap-data">(.*?)</script>', page, re.S)
say("notebook/map-html", bool(island) and "<canvas" in page, "no report page with its data")
if island:
    data = json.loads(island.group(1))
    shown = [s for s in data["snapshots"] if s["index"] == 2]
    stats = shown[0]["stats"] if shown else {}
    strip = lambda d: {k: v for k, v in d.items() if k != "source"}
    say("notebook/map-figures-equal-stats-json", strip(stats) == strip(cli),
        "the map's figures differ from mpheap stats --json")
say("notebook/diff-html", "<iframe" in html_of("diff"), "no diff output")
v = stream_of("verdict")
say("notebook/verdict", "for 4,096 bytes" in v and v.strip().endswith("fails"), v[-300:])
fig = stream_of("figures")
say("notebook/figures", json.loads(fig)["largest_free"] == cli["whole"]["largest_free"] if fig else False, fig)
say("notebook/magic-show", "<span style=" in html_of("magic-show") and "largest free" in html_of("magic-show"))
say("notebook/magic-stats", "fragmentation" in html_of("magic-stats"))
say("notebook/cell-magic", "fragmentation" in html_of("cell-magic"))
say("notebook/from-output", "'blocks': 7203" in stream_of("from-output"), stream_of("from-output"))
EOF
        while read -r verdict name why; do
            if [ "$verdict" = pass ]; then ok "$name"; else not_ok "$name" "$why"; fi
        done < <(grep -E '^(pass|fail) ' "$T/nb.check")
        grep -qE '^(pass|fail) ' "$T/nb.check" || not_ok notebook/check "$(cat "$T/nb.check")"
    else
        not_ok notebook/executes "$(tail -n 30 "$T/nb.log")"
    fi
fi
exit 0
